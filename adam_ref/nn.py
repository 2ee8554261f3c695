r"""A linear layer and the mean squared error, with hand-derived gradients.

Enough to train ``nn.Linear`` the way PyTorch code does, without autograd::

    y = x Wᵀ + b                    forward,  x: (N, in), W: (out, in), b: (out,)
    L = (1/(N·out)) Σ (y − t)²      mse_loss (torch's reduction="mean")
    ∂L/∂y = 2 (y − t) / (N·out)
    ∂L/∂W = (∂L/∂y)ᵀ x              backward
    ∂L/∂b = Σ_n (∂L/∂y)_n
    ∂L/∂x = (∂L/∂y) W
"""

import math

import numpy as np

from .functional._validate import float_array
from .optim.optimizer import Param

__all__ = ["Linear", "mse_loss"]


class Linear:
    """``y = x Wᵀ + b`` with ``weight`` W of shape (out, in) and ``bias`` b of shape (out,).

    Both start uniform in (−1/√in, 1/√in), as ``torch.nn.Linear`` (whose
    kaiming_uniform_ with a = √5 gives exactly that bound). ``rng`` is a
    ``np.random.Generator`` or a seed. ``backward`` *adds* to ``.grad``, as torch
    does, so call ``optimizer.zero_grad()`` before each backward pass.
    """

    def __init__(self, in_features, out_features, bias=True, *, rng=None, dtype=np.float64):
        for name, value in (("in_features", in_features), ("out_features", out_features)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
                raise TypeError(f"{name} must be an integer, got {value!r}")
            if value < 1:
                raise ValueError(f"{name} must be >= 1, got {value}")
        dtype = np.dtype(dtype)
        if dtype.kind != "f":
            raise TypeError(f"dtype must be a floating-point dtype, got {dtype}")
        rng = np.random.default_rng(rng)
        bound = 1 / math.sqrt(in_features)
        self.in_features, self.out_features = int(in_features), int(out_features)
        self.weight = Param(rng.uniform(-bound, bound, (out_features, in_features)).astype(dtype),
                            name="weight")
        self.bias = (Param(rng.uniform(-bound, bound, out_features).astype(dtype), name="bias")
                     if bias else None)
        self._x = None

    def parameters(self):
        """The Params, in torch's order: weight, then bias."""
        return [self.weight] + ([self.bias] if self.bias is not None else [])

    def forward(self, x):
        """y = x Wᵀ + b for x of shape (N, in); remembers x for :meth:`backward`."""
        x = float_array(x, "x")
        if x.ndim != 2 or x.shape[1] != self.in_features:
            raise ValueError(f"x must have shape (N, {self.in_features}), got {x.shape}")
        if x.dtype != self.weight.dtype:
            raise TypeError(f"x has dtype {x.dtype} but the layer has dtype {self.weight.dtype}")
        self._x = x.copy()
        y = x @ self.weight.data.T
        if self.bias is not None:
            y = y + self.bias.data
        return y

    __call__ = forward

    def backward(self, grad_y):
        """Given ∂L/∂y (N, out): add ∂L/∂W, ∂L/∂b to ``.grad`` and return ∂L/∂x."""
        if self._x is None:
            raise RuntimeError("backward() needs a forward() first")
        x = self._x
        grad_y = float_array(grad_y, "grad_y")
        if grad_y.shape != (x.shape[0], self.out_features):
            raise ValueError(f"grad_y must have shape {(x.shape[0], self.out_features)}, "
                             f"got {grad_y.shape}")
        grad_W = grad_y.T @ x
        grad_x = grad_y @ self.weight.data
        _accumulate(self.weight, grad_W)
        if self.bias is not None:
            _accumulate(self.bias, grad_y.sum(axis=0))
        return grad_x

    def __repr__(self):
        return (f"Linear(in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None})")


def _accumulate(p, grad):
    grad = grad.astype(p.dtype, copy=False)
    p.grad = grad if p.grad is None else p.grad + grad


def mse_loss(y, target):
    """``(L, ∂L/∂y)`` with L = mean((y − t)²) over every element, as ``nn.MSELoss()``."""
    y = float_array(y, "y")
    target = float_array(target, "target")
    if y.shape != target.shape:
        raise ValueError(f"y has shape {y.shape} but target has shape {target.shape}")
    diff = y - target
    loss = np.mean(diff * diff)
    grad_y = (2 / diff.size) * diff  # torch's order: (2/N)·(y − t)
    return loss, grad_y
