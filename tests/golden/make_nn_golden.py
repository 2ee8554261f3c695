"""Write a golden MLP forward / backward with cross_entropy, computed by torch's autograd.

Run from the repository root (needs torch)::

    python tests/golden/make_nn_golden.py

One file, ``nn_mlp.npz``, arrays only (``np.load(..., allow_pickle=False)``
reads it): ``x`` (N × 5, float64), ``target`` (N class indices), the initial
parameters under torch's names (``0.weight``, ``0.bias``, ... of
``Sequential(Linear(5, 16), Tanh(), Linear(16, 12), ReLU(), Linear(12, 4))``),
``loss``, ``grad.<name>`` for every parameter and ``grad.x``; then
``sgd.<name>``: the parameters after ``STEPS`` SGD steps (lr 0.1, momentum 0.9)
on the same batch.
"""

import json
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
SIZES = (5, 16, 12, 4)
N = 8
STEPS = 20


def inputs(seed=0):
    rng = np.random.default_rng(seed)
    params = {}
    for i, (d_in, d_out) in enumerate(zip(SIZES[:-1], SIZES[1:])):
        bound = 1 / np.sqrt(d_in)
        params[f"{2 * i}.weight"] = rng.uniform(-bound, bound, size=(d_out, d_in))
        params[f"{2 * i}.bias"] = rng.uniform(-bound, bound, size=d_out)
    x = rng.normal(size=(N, SIZES[0]))
    target = rng.integers(0, SIZES[-1], size=N)
    return params, x, target


def torch_run(params, x, target):
    import torch
    model = torch.nn.Sequential(torch.nn.Linear(SIZES[0], SIZES[1]), torch.nn.Tanh(),
                                torch.nn.Linear(SIZES[1], SIZES[2]), torch.nn.ReLU(),
                                torch.nn.Linear(SIZES[2], SIZES[3])).double()
    model.load_state_dict({k: torch.tensor(v) for k, v in params.items()})
    tx = torch.tensor(x, requires_grad=True)
    loss = torch.nn.functional.cross_entropy(model(tx), torch.tensor(target))
    loss.backward()
    out = {"loss": np.array(loss.item()), "grad.x": tx.grad.numpy().copy()}
    out.update({f"grad.{k}": p.grad.numpy().copy() for k, p in model.named_parameters()})
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, foreach=False)
    for _ in range(STEPS):
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(model(torch.tensor(x)), torch.tensor(target)).backward()
        optimizer.step()
    out.update({f"sgd.{k}": p.detach().numpy().copy() for k, p in model.named_parameters()})
    return out


def main():
    import torch
    params, x, target = inputs()
    arrays = dict(params, x=x, target=target, **torch_run(params, x, target))
    meta = np.array(json.dumps(dict(torch=torch.__version__)))
    np.savez_compressed(HERE / "nn_mlp.npz", meta=meta, **arrays)
    print(f"nn_mlp.npz: {(HERE / 'nn_mlp.npz').stat().st_size} bytes")


if __name__ == "__main__":
    main()
