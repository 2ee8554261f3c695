"""Write golden Adagrad / Adadelta / NAdam / RAdam runs, computed by torch (2.13, CPU,
foreach=False), to ``lineage_optim.npz``.

Run from the repository root (needs torch)::

    python tests/golden/make_lineage_golden.py

The layout is ``family_optim.npz``'s (see ``make_family_golden.py``, whose inputs
and torch runner are reused): ``configs`` (JSON list of the runs), ``checkpoints``,
``theta0_<dtype>``, ``grads_<dtype>`` and per run i ``<i>_theta`` and ``<i>_<key>``
for each entry of torch's final state (``step`` and NAdam's ``mu_product`` as 0-d
float32 arrays, as torch keeps them). Arrays only: ``np.load(..., allow_pickle=False)``
reads it. ``LINEAGE_RUNS`` is imported by the tests; torch is imported lazily.
"""

import importlib.util
import itertools
import json
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location("make_family_golden", HERE / "make_family_golden.py")
family = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(family)

CHECKPOINTS = family.CHECKPOINTS[2::3]  # steps 60, 120, ..., 300: a small file
optimizer_inputs = family.optimizer_inputs


def torch_optimizer_run(run, theta0, grads):
    """θ at ``CHECKPOINTS`` and torch's final state arrays."""
    thetas, state = family.torch_optimizer_run(run, theta0, grads)
    keep = np.isin(family.CHECKPOINTS[:len(thetas)], CHECKPOINTS)
    return thetas[keep], state


def _lineage_runs():
    runs = []
    for lr_decay, weight_decay, initial, maximize in itertools.product(
            (0.0, 0.01), (0.0, 0.01), (0.0, 0.1), (False, True)):
        runs.append(("Adagrad", dict(lr=0.05, lr_decay=lr_decay, weight_decay=weight_decay,
                                     initial_accumulator_value=initial, maximize=maximize)))
    for rho, weight_decay, maximize in itertools.product((0.9, 1.0), (0.0, 0.01), (False, True)):
        runs.append(("Adadelta", dict(lr=0.5, rho=rho, weight_decay=weight_decay,
                                      maximize=maximize)))
    runs.append(("Adadelta", dict(rho=0.0, eps=1e-4)))
    for momentum_decay, weight_decay, decoupled, maximize in itertools.product(
            (4e-3, 0.1), (0.0, 0.01), (False, True), (False, True)):
        runs.append(("NAdam", dict(lr=0.01, momentum_decay=momentum_decay,
                                   weight_decay=weight_decay, decoupled_weight_decay=decoupled,
                                   maximize=maximize)))
    runs.append(("NAdam", dict(lr=0.05, betas=[0.5, 0.9], eps=1e-6, momentum_decay=0.0)))
    for weight_decay, decoupled, maximize in itertools.product((0.0, 0.01), (False, True),
                                                               (False, True)):
        runs.append(("RAdam", dict(lr=0.01, weight_decay=weight_decay,
                                   decoupled_weight_decay=decoupled, maximize=maximize)))
    runs.append(("RAdam", dict(lr=0.01, betas=[0.9, 0.9])))    # ρ_∞ = 19: adaptive from t = 3
    runs.append(("RAdam", dict(lr=0.01, betas=[0.5, 0.6])))    # ρ_∞ = 4: never adaptive
    return [dict(optimizer=name, dtype=dtype, hyper=hyper)
            for dtype in ("float64", "float32") for name, hyper in runs]


LINEAGE_RUNS = _lineage_runs()


def main():
    import torch
    torch.set_num_threads(1)
    meta = dict(torch=torch.__version__)
    arrays = {"configs": np.array(json.dumps(LINEAGE_RUNS)), "checkpoints": CHECKPOINTS}
    for dtype in ("float64", "float32"):
        arrays[f"theta0_{dtype}"], arrays[f"grads_{dtype}"] = optimizer_inputs(dtype)
    for i, run in enumerate(LINEAGE_RUNS):
        theta0, grads = arrays[f"theta0_{run['dtype']}"], arrays[f"grads_{run['dtype']}"]
        arrays[f"{i}_theta"], state = torch_optimizer_run(run, theta0, grads)
        arrays.update({f"{i}_{key}": value for key, value in state.items()})
    path = HERE / "lineage_optim.npz"
    np.savez_compressed(path, meta=np.array(json.dumps(meta)), **arrays)
    print(f"{path.name}: {path.stat().st_size} bytes")


if __name__ == "__main__":
    main()
