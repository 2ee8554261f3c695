"""Write golden SGD / RMSprop / Adamax runs, scheduler lr sequences and a Linear
training run, all computed by torch (2.13, CPU, foreach=False).

Run from the repository root (needs torch)::

    python tests/golden/make_family_golden.py

Three files, arrays only (``np.load(..., allow_pickle=False)`` reads them); each
holds ``configs``, a 0-d unicode array with the JSON list of the runs:

- ``family_optim.npz``: ``theta0_<dtype>`` and ``grads_<dtype>`` (steps × shape),
  shared by every run of that dtype; per run i, ``<i>_theta`` (θ after steps
  ``checkpoints``) and ``<i>_<key>`` for each entry of torch's final state
  (``step`` included, as a 0-d float array, where torch keeps one).
- ``family_sched.npz``: per run i, ``<i>_lr`` ((steps + 1) × groups: the lrs after
  construction and after each ``step()``) and, for ReduceLROnPlateau,
  ``<i>_metrics`` (the metric passed at each step).
- ``family_train.npz``: ``Linear(10, 1)`` trained with Adam + StepLR on stored
  batches: ``weight0``, ``bias0``, ``inputs``, ``targets`` (float32 values, run in
  float64), ``loss`` (per epoch), ``weight``, ``bias`` (after each epoch).

The gradients and batches are data, so a replay feeds exactly what torch saw.
The run descriptions (``OPTIMIZER_RUNS``, ``SCHEDULER_RUNS``, ``LAMBDAS``) and the
``torch_*`` runners are imported by the live tests; torch is imported lazily.
"""

import itertools
import json
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
STEPS = 300
SHAPE = (2, 5)
CHECKPOINTS = np.arange(20, STEPS + 1, 20)
SCHED_STEPS = 150
GROUP_LRS = (0.1, 0.03)
EPOCHS = 100


def _optimizer_runs():
    runs = []
    for momentum, dampening, weight_decay, nesterov, maximize in itertools.product(
            (0.0, 0.9), (0.0, 0.5), (0.0, 0.01), (False, True), (False, True)):
        if nesterov and (momentum == 0 or dampening != 0):
            continue
        runs.append(("SGD", dict(lr=0.02, momentum=momentum, dampening=dampening,
                                 weight_decay=weight_decay, nesterov=nesterov,
                                 maximize=maximize)))
    for momentum, centered, weight_decay, maximize in itertools.product(
            (0.0, 0.9), (False, True), (0.0, 0.01), (False, True)):
        runs.append(("RMSprop", dict(lr=0.01, alpha=0.9, eps=1e-8, momentum=momentum,
                                     centered=centered, weight_decay=weight_decay,
                                     maximize=maximize)))
    for weight_decay, maximize in itertools.product((0.0, 0.01), (False, True)):
        runs.append(("Adamax", dict(lr=0.01, weight_decay=weight_decay, maximize=maximize)))
    runs.append(("Adamax", dict(lr=0.05, betas=[0.5, 0.9], eps=1e-6)))
    runs.append(("Adamax", dict(lr=2e-3, betas=[0.95, 0.9999], eps=0.0)))
    return [dict(optimizer=name, dtype=dtype, hyper=hyper)
            for dtype in ("float64", "float32") for name, hyper in runs]


OPTIMIZER_RUNS = _optimizer_runs()

STATE_KEYS = {"SGD": ("momentum_buffer",), "RMSprop": ("square_avg", "momentum_buffer", "grad_avg"),
              "Adamax": ("exp_avg", "exp_inf")}

# LambdaLR's functions, by name (a config can only name them)
LAMBDAS = {"exp": lambda e: 0.95 ** e,
           "inverse": lambda e: 1.0 / (e + 1),
           "warmup": lambda e: min(1.0, (e + 1) / 10),
           "steps": lambda e: 0.5 ** (e // 25)}


def _plateau_metrics(kind, seed):
    """Metric sequences with falls, plateaus, noise below the threshold and jumps."""
    rng = np.random.default_rng(seed)
    n = SCHED_STEPS
    if kind == "loss":
        return np.concatenate([np.linspace(1.0, 0.5, 20),
                               0.5 * (1 + 2e-5 * rng.normal(size=30)),    # below rel 1e-4
                               np.linspace(0.5, 0.2, 30),
                               np.full(25, 0.2),
                               0.2 + 0.05 * rng.random(size=n - 105)])
    if kind == "accuracy":
        return np.concatenate([np.linspace(0.1, 0.8, 30),
                               0.8 + 0.004 * rng.normal(size=40),         # below abs 0.01
                               np.linspace(0.8, 0.9, 20),
                               0.9 - 0.1 * rng.random(size=n - 90)])
    return 1.0 + np.cumsum(rng.normal(scale=0.05, size=n))              # a random walk


SCHEDULER_RUNS = [
    dict(scheduler="StepLR", kwargs=dict(step_size=30, gamma=0.1)),
    dict(scheduler="StepLR", kwargs=dict(step_size=7, gamma=0.5)),
    dict(scheduler="MultiStepLR", kwargs=dict(milestones=[10, 40, 40, 90], gamma=0.3)),
    dict(scheduler="ExponentialLR", kwargs=dict(gamma=0.97)),
    dict(scheduler="ExponentialLR", kwargs=dict(gamma=1.01)),
    dict(scheduler="CosineAnnealingLR", kwargs=dict(T_max=25, eta_min=0.001)),
    dict(scheduler="CosineAnnealingLR", kwargs=dict(T_max=150)),
    dict(scheduler="CosineAnnealingLR", kwargs=dict(T_max=1)),
    dict(scheduler="LinearLR", kwargs=dict(start_factor=0.2, end_factor=0.9, total_iters=40)),
    dict(scheduler="LinearLR", kwargs=dict()),
    dict(scheduler="LinearLR", kwargs=dict(start_factor=1.0, end_factor=0.0, total_iters=100)),
    dict(scheduler="LambdaLR", lambdas=["exp", "inverse"]),
    dict(scheduler="LambdaLR", lambdas=["warmup"]),
    dict(scheduler="LambdaLR", lambdas=["steps", "warmup"]),
    dict(scheduler="ReduceLROnPlateau", metrics=["loss", 0],
         kwargs=dict(patience=3, cooldown=2, min_lr=[0.001, 0.002])),
    dict(scheduler="ReduceLROnPlateau", metrics=["loss", 1],
         kwargs=dict(patience=0, factor=0.5, threshold_mode="abs", threshold=1e-3)),
    dict(scheduler="ReduceLROnPlateau", metrics=["accuracy", 2],
         kwargs=dict(mode="max", threshold_mode="abs", threshold=0.01, patience=2, factor=0.5)),
    dict(scheduler="ReduceLROnPlateau", metrics=["accuracy", 3],
         kwargs=dict(mode="max", patience=4, cooldown=5, min_lr=1e-3)),
    dict(scheduler="ReduceLROnPlateau", metrics=["walk", 4],
         kwargs=dict(patience=1, factor=0.7, eps=5e-3, min_lr=0.01)),
    dict(scheduler="ReduceLROnPlateau", metrics=["walk", 5],
         kwargs=dict(mode="max", patience=2, factor=0.0, cooldown=1)),
]


def plateau_metrics(run):
    return _plateau_metrics(*run["metrics"])


# --------------------------------------------------------------------------- inputs

def optimizer_inputs(dtype, seed=0):
    """θ₀ and the gradients every optimizer run of ``dtype`` is fed."""
    rng = np.random.default_rng(seed)
    theta0 = rng.normal(size=SHAPE)
    # log-uniform magnitudes in [1e-3, 10], 3% exact zeros, one coordinate at 1e-9 (ε's scale)
    grads = rng.normal(size=(STEPS, *SHAPE)) * np.exp(rng.uniform(np.log(1e-3), np.log(10.0),
                                                                  size=(STEPS, *SHAPE)))
    grads[rng.random(size=grads.shape) < 0.03] = 0.0
    grads[:, 0, 0] *= 1e-9
    return theta0.astype(dtype), grads.astype(dtype)


def training_inputs(seed=0):
    """Initial weights (torch's U(−1/√10, 1/√10)) and the batches of every epoch."""
    rng = np.random.default_rng(seed)
    bound = 1 / np.sqrt(10)
    weight0 = rng.uniform(-bound, bound, size=(1, 10))
    bias0 = rng.uniform(-bound, bound, size=1)
    w_true = rng.normal(size=(10, 1))
    inputs = rng.normal(size=(EPOCHS, 32, 10)).astype(np.float32)
    targets = (inputs @ w_true + 0.5 + 0.1 * rng.normal(size=(EPOCHS, 32, 1))).astype(np.float32)
    return dict(weight0=weight0, bias0=bias0, inputs=inputs, targets=targets)


# --------------------------------------------------------------------------- torch runs

def torch_optimizer(run, params):
    import torch
    hyper = dict(run["hyper"])
    if "betas" in hyper:
        hyper["betas"] = tuple(hyper["betas"])
    return getattr(torch.optim, run["optimizer"])(params, foreach=False, **hyper)


def torch_optimizer_run(run, theta0, grads):
    """θ at ``CHECKPOINTS`` and the final state arrays, as torch computes them."""
    import torch
    p = torch.tensor(theta0).requires_grad_()
    opt = torch_optimizer(run, [p])
    thetas = []
    for k in range(len(grads)):
        p.grad = torch.tensor(grads[k])
        opt.step()
        if k + 1 in CHECKPOINTS:
            thetas.append(p.detach().numpy().copy())
    state = {key: value.numpy().copy() for key, value in opt.state[p].items()}
    return np.array(thetas), state


def scheduler_args(run):
    """The constructor arguments after the optimizer (one name: one function for all groups)."""
    if run["scheduler"] == "LambdaLR":
        functions = [LAMBDAS[name] for name in run["lambdas"]]
        return dict(lr_lambda=functions[0] if len(functions) == 1 else functions)
    return run["kwargs"]


def torch_scheduler(run, optimizer):
    from torch.optim import lr_scheduler
    return getattr(lr_scheduler, run["scheduler"])(optimizer, **scheduler_args(run))


def torch_lr_sequence(run):
    """(steps + 1) × groups: the lrs after construction and after each ``step()``."""
    import torch
    groups = [{"params": [torch.zeros(1, requires_grad=True)], "lr": lr} for lr in GROUP_LRS]
    optimizer = torch.optim.SGD(groups)
    scheduler = torch_scheduler(run, optimizer)
    metrics = plateau_metrics(run) if run["scheduler"] == "ReduceLROnPlateau" else None
    lrs = [[g["lr"] for g in optimizer.param_groups]]
    for k in range(SCHED_STEPS):
        optimizer.step()
        if metrics is None:
            scheduler.step()
        else:
            scheduler.step(float(metrics[k]))
        lrs.append([g["lr"] for g in optimizer.param_groups])
    return np.array(lrs)


def torch_training_run(data, lr=0.1):
    """Linear(10, 1) + MSELoss + Adam(lr, weight_decay=1e-5) + StepLR(30, 0.1) in torch."""
    import torch
    model = torch.nn.Linear(10, 1).double()
    with torch.no_grad():
        model.weight.copy_(torch.tensor(data["weight0"]))
        model.bias.copy_(torch.tensor(data["bias0"]))
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, betas=(0.9, 0.999),
                                 weight_decay=1e-5, foreach=False)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=30, gamma=0.1)
    losses, weights, biases = [], [], []
    for epoch in range(len(data["inputs"])):
        optimizer.zero_grad()
        inputs = torch.tensor(data["inputs"][epoch], dtype=torch.float64)
        targets = torch.tensor(data["targets"][epoch], dtype=torch.float64)
        loss = torch.nn.MSELoss()(model(inputs), targets)
        loss.backward()
        optimizer.step()
        scheduler.step()
        losses.append(loss.item())
        weights.append(model.weight.detach().numpy().copy())
        biases.append(model.bias.detach().numpy().copy())
    return dict(loss=np.array(losses), weight=np.array(weights), bias=np.array(biases))


# --------------------------------------------------------------------------- files

def main():
    import torch
    torch.set_num_threads(1)
    meta = dict(torch=torch.__version__)

    arrays = {"configs": np.array(json.dumps(OPTIMIZER_RUNS)), "checkpoints": CHECKPOINTS}
    for dtype in ("float64", "float32"):
        arrays[f"theta0_{dtype}"], arrays[f"grads_{dtype}"] = optimizer_inputs(dtype)
    for i, run in enumerate(OPTIMIZER_RUNS):
        theta0, grads = arrays[f"theta0_{run['dtype']}"], arrays[f"grads_{run['dtype']}"]
        arrays[f"{i}_theta"], state = torch_optimizer_run(run, theta0, grads)
        arrays.update({f"{i}_{key}": value for key, value in state.items()})
    np.savez_compressed(HERE / "family_optim.npz", meta=np.array(json.dumps(meta)), **arrays)

    arrays = {"configs": np.array(json.dumps(SCHEDULER_RUNS))}
    for i, run in enumerate(SCHEDULER_RUNS):
        arrays[f"{i}_lr"] = torch_lr_sequence(run)
        if run["scheduler"] == "ReduceLROnPlateau":
            arrays[f"{i}_metrics"] = plateau_metrics(run)
    np.savez_compressed(HERE / "family_sched.npz", meta=np.array(json.dumps(meta)), **arrays)

    data = training_inputs()
    np.savez_compressed(HERE / "family_train.npz", meta=np.array(json.dumps(meta)), **data,
                        **torch_training_run(data))
    for name in ("family_optim.npz", "family_sched.npz", "family_train.npz"):
        print(f"{name}: {(HERE / name).stat().st_size} bytes")


if __name__ == "__main__":
    main()
