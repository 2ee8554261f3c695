"""Write golden lr (and momentum / β₁) sequences of the schedulers torch 2.13 added
after the first seven: MultiplicativeLR, ConstantLR, PolynomialLR, SequentialLR,
ChainedScheduler, CyclicLR, OneCycleLR and CosineAnnealingWarmRestarts.

Run from the repository root (needs torch)::

    python tests/golden/make_sched_golden.py

One file, ``sched_more.npz``, arrays only (``np.load(..., allow_pickle=False)``
reads it): ``configs`` (a 0-d unicode array with the JSON list of ``RUNS``), and
per run i ``<i>_lr`` and ``<i>_momentum`` ((steps + 1) × groups: the values
after construction and after each ``step()``; the momentum is the group's
``momentum``, or ``betas[0]`` for an optimizer with ``betas``).

A run names its optimizer (``"SGD"``: SGD with momentum 0.9; ``"Adam"``), its
scheduler and keyword arguments; ``parts`` lists the inner schedulers of
SequentialLR and ChainedScheduler; functions are named (``FUNCTIONS``);
``epochs`` = k means ``step(t / k)`` (CosineAnnealingWarmRestarts' fractional
epochs). :func:`lr_sequence` builds and runs a run with torch's
``lr_scheduler`` module or adam_ref's, so the live tests use the same code.
"""

import json
import math
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
STEPS = 150
GROUP_LRS = (0.1, 0.03)

# functions, by name (a config can only name them)
FUNCTIONS = {"mul95": lambda e: 0.95,
             "mul_wave": lambda e: 1.0 + 0.1 * math.sin(e / 7),
             "half_life": lambda x: 0.5 ** (x / 40),
             "per_cycle": lambda x: 1.0 / x}

RUNS = [
    dict(scheduler="MultiplicativeLR", lambdas=["mul95"]),
    dict(scheduler="MultiplicativeLR", lambdas=["mul_wave", "mul95"]),
    dict(scheduler="ConstantLR", kwargs=dict()),
    dict(scheduler="ConstantLR", kwargs=dict(factor=0.5, total_iters=40)),
    dict(scheduler="ConstantLR", kwargs=dict(factor=1.0, total_iters=0)),
    dict(scheduler="PolynomialLR", kwargs=dict()),
    dict(scheduler="PolynomialLR", kwargs=dict(total_iters=100, power=0.9)),
    dict(scheduler="PolynomialLR", kwargs=dict(total_iters=60, power=2.0)),
    dict(scheduler="CosineAnnealingWarmRestarts", kwargs=dict(T_0=10)),
    dict(scheduler="CosineAnnealingWarmRestarts", kwargs=dict(T_0=5, T_mult=2, eta_min=0.001)),
    dict(scheduler="CosineAnnealingWarmRestarts", kwargs=dict(T_0=3, T_mult=3, eta_min=1e-4),
         epochs=7),
    dict(scheduler="CosineAnnealingWarmRestarts", kwargs=dict(T_0=4), epochs=3),
    dict(scheduler="CyclicLR", optimizer="SGD",
         kwargs=dict(base_lr=0.01, max_lr=0.1, step_size_up=10)),
    dict(scheduler="CyclicLR", optimizer="SGD",
         kwargs=dict(base_lr=[0.01, 0.001], max_lr=[0.1, 0.05], step_size_up=7,
                     step_size_down=13, mode="triangular2", base_momentum=[0.8, 0.85],
                     max_momentum=[0.9, 0.95])),
    dict(scheduler="CyclicLR", optimizer="SGD",
         kwargs=dict(base_lr=0.001, max_lr=0.1, step_size_up=20, mode="exp_range",
                     gamma=0.99)),
    dict(scheduler="CyclicLR", optimizer="Adam",
         kwargs=dict(base_lr=0.001, max_lr=0.01, step_size_up=15, step_size_down=5,
                     base_momentum=0.85, max_momentum=0.95)),
    dict(scheduler="CyclicLR", optimizer="Adam",
         kwargs=dict(base_lr=0.001, max_lr=0.01, step_size_up=9, cycle_momentum=False)),
    dict(scheduler="CyclicLR", optimizer="SGD", scale_fn="half_life",
         kwargs=dict(base_lr=0.01, max_lr=0.1, step_size_up=6, scale_mode="iterations")),
    dict(scheduler="CyclicLR", optimizer="SGD", scale_fn="per_cycle",
         kwargs=dict(base_lr=0.01, max_lr=0.1, step_size_up=8, mode="not used")),
    dict(scheduler="OneCycleLR", optimizer="SGD", kwargs=dict(max_lr=0.1, total_steps=150)),
    dict(scheduler="OneCycleLR", optimizer="SGD",
         kwargs=dict(max_lr=[0.1, 0.05], epochs=16, steps_per_epoch=10, pct_start=0.25,
                     anneal_strategy="linear", base_momentum=[0.8, 0.85],
                     max_momentum=0.95, div_factor=10.0, final_div_factor=100.0)),
    dict(scheduler="OneCycleLR", optimizer="Adam",
         kwargs=dict(max_lr=0.01, total_steps=160, three_phase=True)),
    dict(scheduler="OneCycleLR", optimizer="Adam",
         kwargs=dict(max_lr=0.01, total_steps=151, pct_start=0.4, anneal_strategy="linear",
                     three_phase=True, cycle_momentum=False)),
    dict(scheduler="SequentialLR",
         parts=[["LinearLR", dict(start_factor=0.1, total_iters=10)],
                ["CosineAnnealingLR", dict(T_max=140, eta_min=1e-4)]],
         kwargs=dict(milestones=[10])),
    dict(scheduler="SequentialLR",
         parts=[["ConstantLR", dict(factor=0.1, total_iters=20)],
                ["ExponentialLR", dict(gamma=0.9)]],
         kwargs=dict(milestones=[20])),
    dict(scheduler="SequentialLR",
         parts=[["LinearLR", dict(start_factor=0.5, total_iters=5)],
                ["StepLR", dict(step_size=10, gamma=0.5)],
                ["PolynomialLR", dict(total_iters=50, power=1.5)]],
         kwargs=dict(milestones=[5, 60])),
    dict(scheduler="SequentialLR",
         parts=[["ExponentialLR", dict(gamma=0.98)],
                ["MultiStepLR", dict(milestones=[5, 15, 15], gamma=0.5)]],
         kwargs=dict(milestones=[30])),
    dict(scheduler="ChainedScheduler",
         parts=[["ConstantLR", dict(factor=0.1, total_iters=20)],
                ["ExponentialLR", dict(gamma=0.9)]]),
    dict(scheduler="ChainedScheduler",
         parts=[["LinearLR", dict(start_factor=0.25, total_iters=12)],
                ["StepLR", dict(step_size=25, gamma=0.3)],
                ["MultiplicativeLR", dict(lr_lambda="mul_wave")]]),
]


def run_id(run):
    parts = "+".join(name for name, _ in run.get("parts", []))
    return f"{run['scheduler']}{'(' + parts + ')' if parts else ''}-" \
           f"{json.dumps(run.get('kwargs', run.get('lambdas')), sort_keys=True)}"


def _kwargs(kwargs):
    return {k: FUNCTIONS[v] if k == "lr_lambda" else v for k, v in kwargs.items()}


def build(S, run, optimizer):
    """The run's scheduler from the scheduler module ``S`` (torch's or adam_ref's)."""
    name = run["scheduler"]
    if name in ("SequentialLR", "ChainedScheduler"):
        parts = [getattr(S, part)(optimizer, **_kwargs(kw)) for part, kw in run["parts"]]
        if name == "SequentialLR":
            return S.SequentialLR(optimizer, parts, **run["kwargs"])
        return S.ChainedScheduler(parts, optimizer=optimizer)
    if "lambdas" in run:
        functions = [FUNCTIONS[f] for f in run["lambdas"]]
        return getattr(S, name)(optimizer, functions[0] if len(functions) == 1 else functions)
    kwargs = dict(run["kwargs"])
    if "scale_fn" in run:
        kwargs["scale_fn"] = FUNCTIONS[run["scale_fn"]]
    return getattr(S, name)(optimizer, **kwargs)


def momentum_of(group):
    if "betas" in group:
        return group["betas"][0]
    return group.get("momentum", float("nan"))


def lr_sequence(S, run, optimizer):
    """(lrs, momenta), each (steps + 1) × groups, stepping ``optimizer`` before each step."""
    scheduler = build(S, run, optimizer)
    lrs = [[g["lr"] for g in optimizer.param_groups]]
    momenta = [[momentum_of(g) for g in optimizer.param_groups]]
    for t in range(1, STEPS + 1):
        optimizer.step()
        if "epochs" in run:
            scheduler.step(t / run["epochs"])
        else:
            scheduler.step()
        lrs.append([g["lr"] for g in optimizer.param_groups])
        momenta.append([momentum_of(g) for g in optimizer.param_groups])
        assert scheduler.get_last_lr() == lrs[-1]
    return np.array(lrs), np.array(momenta)


def torch_optimizer(run):
    import torch
    groups = [{"params": [torch.zeros(1, requires_grad=True)], "lr": lr} for lr in GROUP_LRS]
    if run.get("optimizer") == "Adam":
        return torch.optim.Adam(groups, foreach=False)
    return torch.optim.SGD(groups, momentum=0.9, foreach=False)


def torch_lr_sequence(run):
    import warnings

    from torch.optim import lr_scheduler
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the epoch argument's deprecation warning
        return lr_sequence(lr_scheduler, run, torch_optimizer(run))


def main():
    import torch
    meta = dict(torch=torch.__version__)
    arrays = {"configs": np.array(json.dumps(RUNS))}
    for i, run in enumerate(RUNS):
        arrays[f"{i}_lr"], arrays[f"{i}_momentum"] = torch_lr_sequence(run)
    np.savez_compressed(HERE / "sched_more.npz", meta=np.array(json.dumps(meta)), **arrays)
    print(f"sched_more.npz: {(HERE / 'sched_more.npz').stat().st_size} bytes")


if __name__ == "__main__":
    main()
