"""Write golden Adam/AdamW trajectories computed by torch (2.13, CPU, foreach=False).

Run from the repository root (needs torch)::

    python tests/golden/make_adam_golden.py

Each scenario becomes ``tests/golden/adam_<name>.npz`` holding arrays only
(``np.load(..., allow_pickle=False)`` reads it):

- ``config``: a 0-d unicode array, the JSON of the scenario (optimizer class,
  dtype, groups with their hyperparameters and param shapes, torch version);
- ``p{i}_init``, ``p{i}_grad`` (steps × shape) and ``p{i}_has_grad`` (steps,):
  the initial value of param i and the gradient fed at each step, or None
  where ``has_grad`` is False;
- ``lr`` (steps × groups): the lr written into ``param_groups`` before each step;
- ``p{i}_theta`` (steps × shape): param i after each step;
- ``state_at`` (the 1-based steps at which the state was recorded) and, at
  those steps, ``p{i}_step`` (−1 while the param has no state) and
  ``p{i}_exp_avg``, ``p{i}_exp_avg_sq``, ``p{i}_max_exp_avg_sq`` (NaN while absent).

The gradients are data, not a function of the params, so a replay feeds
exactly the numbers torch saw.
"""

import json
from pathlib import Path

import numpy as np

try:  # the tests import this file for param_groups, with or without torch
    import torch
except ImportError:
    torch = None

HERE = Path(__file__).resolve().parent
STEPS = 300
STATE_EVERY = 25

DEFAULTS = dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False,
                maximize=False, decoupled_weight_decay=False)

# name: optimizer, dtype, groups (shapes + hyperparameters), how grads are drawn,
# lr changes {step: factor} applied to every group, and which params skip steps.
SCENARIOS = {
    "basic_f64": dict(optimizer="Adam", dtype="float64",
                      groups=[dict(shapes=[[4], [2, 3]], lr=1e-2)]),
    "basic_f32": dict(optimizer="Adam", dtype="float32",
                      groups=[dict(shapes=[[4], [2, 3]], lr=1e-2)]),
    "amsgrad_l2_f64": dict(optimizer="Adam", dtype="float64",
                           groups=[dict(shapes=[[5], [3]], lr=3e-2, betas=(0.8, 0.99),
                                        weight_decay=0.1, amsgrad=True)]),
    "decoupled_f64": dict(optimizer="Adam", dtype="float64",
                          groups=[dict(shapes=[[6], [2, 2]], lr=2e-2, weight_decay=0.05,
                                       decoupled_weight_decay=True)]),
    "adamw_amsgrad_f64": dict(optimizer="AdamW", dtype="float64",
                              groups=[dict(shapes=[[5], [4]], lr=1e-2, weight_decay=0.05,
                                           amsgrad=True)]),
    "adamw_f32": dict(optimizer="AdamW", dtype="float32",
                      groups=[dict(shapes=[[5], [4]], lr=1e-2, weight_decay=0.1)]),
    "maximize_f64": dict(optimizer="Adam", dtype="float64",
                         groups=[dict(shapes=[[7]], lr=1e-2, maximize=True, weight_decay=0.02,
                                      amsgrad=True)]),
    "groups_f64": dict(optimizer="Adam", dtype="float64", lr_changes={100: 0.5, 200: 0.1},
                       skip=True,
                       groups=[dict(shapes=[[3], [2]], lr=1e-2),
                               dict(shapes=[[4]], lr=5e-2, betas=(0.5, 0.9), eps=1e-6,
                                    amsgrad=True, weight_decay=0.1),
                               dict(shapes=[[2, 2]], lr=1e-3, betas=(0.95, 0.9999),
                                    weight_decay=0.3, decoupled_weight_decay=True,
                                    maximize=True)]),
    "groups_f32": dict(optimizer="Adam", dtype="float32", lr_changes={100: 0.5, 200: 0.1},
                       skip=True,
                       groups=[dict(shapes=[[3], [2]], lr=1e-2),
                               dict(shapes=[[4]], lr=5e-2, betas=(0.5, 0.9), eps=1e-6,
                                    amsgrad=True, weight_decay=0.1)]),
    # gradients of 1e-12..1e-7, so that √v̂ is near or below ε = 1e-8
    "tiny_f64": dict(optimizer="Adam", dtype="float64", grad_scale=(1e-12, 1e-7),
                     groups=[dict(shapes=[[8]], lr=1e-3, amsgrad=True)]),
    "tiny_f32": dict(optimizer="Adam", dtype="float32", grad_scale=(1e-12, 1e-7),
                     groups=[dict(shapes=[[8]], lr=1e-3)]),
}


def config_of(name, scenario):
    """The JSON-able description stored in the file (every hyperparameter spelled out)."""
    decoupled = {"decoupled_weight_decay": True} if scenario["optimizer"] == "AdamW" else {}
    groups = [{**DEFAULTS, **g, **decoupled, "betas": list(g.get("betas", DEFAULTS["betas"]))}
              for g in scenario["groups"]]
    return dict(name=name, optimizer=scenario["optimizer"], dtype=scenario["dtype"],
                steps=STEPS, state_every=STATE_EVERY, groups=groups,
                torch=torch.__version__)


def make_inputs(scenario, seed):
    """Initial params, gradients (with None steps) and the lr of each group at each step."""
    rng = np.random.default_rng(seed)
    dtype = np.dtype(scenario["dtype"])
    low, high = scenario.get("grad_scale", (1e-3, 10.0))
    shapes = [tuple(s) for g in scenario["groups"] for s in g["shapes"]]
    arrays = {}
    for i, shape in enumerate(shapes):
        arrays[f"p{i}_init"] = rng.normal(size=shape).astype(dtype)
        # log-uniform magnitudes per step and per coordinate, some exact zeros
        scale = np.exp(rng.uniform(np.log(low), np.log(high), size=(STEPS, *shape)))
        grad = rng.normal(size=(STEPS, *shape)) * scale
        grad[rng.random(size=grad.shape) < 0.03] = 0.0
        arrays[f"p{i}_grad"] = grad.astype(dtype)
        has_grad = np.ones(STEPS, dtype=bool)
        if scenario.get("skip") and i % 2 == 1:
            has_grad[:10] = False                      # no state until step 11
            has_grad[10:] = rng.random(STEPS - 10) > 0.2
        arrays[f"p{i}_has_grad"] = has_grad
    lrs = np.array([g["lr"] for g in scenario["groups"]], dtype=np.float64)
    lr = np.tile(lrs, (STEPS, 1))
    for step, factor in scenario.get("lr_changes", {}).items():
        lr[step:] *= factor
    arrays["lr"] = lr
    return arrays


def param_groups(config, params):
    """The param groups a config describes over ``params``: the same for torch and adam_ref."""
    groups, start = [], 0
    for g in config["groups"]:
        n = len(g["shapes"])
        hyper = {k: v for k, v in g.items() if k != "shapes"}
        hyper["betas"] = tuple(hyper["betas"])
        if config["optimizer"] == "AdamW":
            del hyper["decoupled_weight_decay"]
        groups.append({"params": params[start:start + n], **hyper})
        start += n
    return groups


def torch_optimizer(config, params):
    """The torch optimizer the config describes, over ``params`` grouped as in the config."""
    groups = [{**group, "foreach": False} for group in param_groups(config, params)]
    cls = {"Adam": torch.optim.Adam, "AdamW": torch.optim.AdamW}[config["optimizer"]]
    return cls(groups)


def run_torch(config, inputs):
    """Replay ``inputs`` through torch; return the trajectory arrays described above."""
    n_params = sum(len(g["shapes"]) for g in config["groups"])
    params = [torch.tensor(inputs[f"p{i}_init"]).requires_grad_() for i in range(n_params)]
    opt = torch_optimizer(config, params)
    steps = config["steps"]
    state_at = np.arange(config["state_every"], steps + 1, config["state_every"])
    out = {"state_at": state_at}
    for i, p in enumerate(params):
        shape = tuple(p.shape)
        dtype = inputs[f"p{i}_init"].dtype
        out[f"p{i}_theta"] = np.zeros((steps, *shape), dtype=dtype)
        out[f"p{i}_step"] = np.full(len(state_at), -1, dtype=np.int64)
        for key in ("exp_avg", "exp_avg_sq", "max_exp_avg_sq"):
            out[f"p{i}_{key}"] = np.full((len(state_at), *shape), np.nan, dtype=dtype)
    for k in range(steps):
        for group, lr in zip(opt.param_groups, inputs["lr"][k]):
            group["lr"] = float(lr)
        for i, p in enumerate(params):
            has = inputs[f"p{i}_has_grad"][k]
            p.grad = torch.tensor(inputs[f"p{i}_grad"][k]) if has else None
        opt.step()
        row = np.searchsorted(state_at, k + 1)
        recorded = row < len(state_at) and state_at[row] == k + 1
        for i, p in enumerate(params):
            out[f"p{i}_theta"][k] = p.detach().numpy()
            state = opt.state.get(p, {})
            if recorded and state:
                out[f"p{i}_step"][row] = int(state["step"].item())
                for key in ("exp_avg", "exp_avg_sq", "max_exp_avg_sq"):
                    if key in state:
                        out[f"p{i}_{key}"][row] = state[key].numpy()
    return out


def golden(name, seed):
    """All arrays of one golden file."""
    scenario = SCENARIOS[name]
    config = config_of(name, scenario)
    inputs = make_inputs(scenario, seed)
    return {"config": np.array(json.dumps(config)), **inputs, **run_torch(config, inputs)}


def main():
    torch.set_num_threads(1)
    for seed, name in enumerate(SCENARIOS):
        path = HERE / f"adam_{name}.npz"
        np.savez_compressed(path, **golden(name, seed))
        print(f"{path.name}: {path.stat().st_size} bytes")


if __name__ == "__main__":
    main()
