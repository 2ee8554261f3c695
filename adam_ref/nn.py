r"""Small layers and losses with hand-derived gradients, shaped like ``torch.nn``.

Enough to train an MLP the way PyTorch code does, without autograd. Each layer's
``forward`` remembers what its ``backward`` needs; ``backward(∂L/∂y)`` adds the
parameter gradients to ``.grad`` (as torch's autograd accumulates them) and
returns ∂L/∂x::

    Linear   y = x Wᵀ + b          ∂L/∂W += (∂L/∂y)ᵀ x,  ∂L/∂b += Σ_n (∂L/∂y)_n,
                                   ∂L/∂x = (∂L/∂y) W       x: (N, in), W: (out, in)
    ReLU     y = max(x, 0)         ∂L/∂x = ∂L/∂y · [x > 0]
    Tanh     y = tanh x            ∂L/∂x = ∂L/∂y · (1 − y²)
    Sequential                     forward in order, backward in reverse order

The losses return ``(L, ∂L/∂y)``::

    mse_loss       L = (1/(N·out)) Σ (y − t)²            ∂L/∂y = 2 (y − t) / (N·out)
    cross_entropy  L = (1/N) Σ_n [lse(z_n) − z_n,t_n]    ∂L/∂z = (softmax(z) − onehot(t)) / N

with lse(z) = m + log Σ_c exp(z_c − m), m = max_c z_c (stable for large logits).
A :class:`Module` has torch's ``parameters``, ``named_parameters`` ("0.weight", ...),
``state_dict`` / ``load_state_dict``, ``train`` / ``eval`` / ``training`` and
``zero_grad``; calling it calls ``forward``.
"""

import math
from collections import OrderedDict, namedtuple

import numpy as np

from .functional._validate import float_array
from .optim.optimizer import Param

__all__ = ["Module", "Linear", "ReLU", "Tanh", "Sequential", "mse_loss", "cross_entropy"]

#: what ``load_state_dict(..., strict=False)`` returns, as torch's ``_IncompatibleKeys``
IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])


class Module:
    """Base class: Params and sub-modules assigned as attributes are registered,
    in order, and found by :meth:`named_parameters` (as ``torch.nn.Module``).

    A subclass calls ``super().__init__()`` first and defines ``forward`` and
    ``backward`` (∂L/∂output → ∂L/∂input, adding to its Params' ``.grad``).
    """

    def __init__(self):
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "training", True)

    def __setattr__(self, name, value):
        params, modules = self.__dict__.get("_parameters"), self.__dict__.get("_modules")
        if params is None:
            raise AttributeError("cannot assign attributes before Module.__init__() call")
        for registry in (params, modules):
            registry.pop(name, None)
        if isinstance(value, Param) or (value is None and name in self._param_names()):
            params[name] = value
        elif isinstance(value, Module):
            modules[name] = value
        object.__setattr__(self, name, value)

    def _param_names(self):
        return getattr(self, "_declared_params", ())

    # ------------------------------------------------------------- calling
    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} has no forward()")

    def backward(self, grad_output):
        raise NotImplementedError(f"{type(self).__name__} has no backward()")

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    # ------------------------------------------------------------- parameters and modules
    def named_children(self):
        """(name, module) of each direct sub-module."""
        return iter(list(self._modules.items()))

    def children(self):
        return (module for _, module in self.named_children())

    def named_modules(self, prefix=""):
        """(name, module) of this module and every sub-module, depth first."""
        yield prefix, self
        for name, module in self._modules.items():
            yield from module.named_modules(f"{prefix}.{name}" if prefix else name)

    def modules(self):
        return (module for _, module in self.named_modules())

    def named_parameters(self, prefix="", recurse=True, remove_duplicate=True):
        """(name, Param) pairs, torch's names: "weight", "0.bias", ... (each Param once)."""
        seen = set()
        modules = self.named_modules(prefix) if recurse else [(prefix, self)]
        for module_prefix, module in modules:
            for name, p in module._parameters.items():
                if p is None or (remove_duplicate and id(p) in seen):
                    continue
                seen.add(id(p))
                yield (f"{module_prefix}.{name}" if module_prefix else name), p

    def parameters(self, recurse=True):
        """The Params, in torch's order (a list; pass it to an optimizer)."""
        return [p for _, p in self.named_parameters(recurse=recurse)]

    # ------------------------------------------------------------- modes and grads
    def train(self, mode=True):
        """Set ``training`` on this module and every sub-module; returns self."""
        if not isinstance(mode, (bool, np.bool_)):
            raise ValueError("training mode is expected to be boolean")
        for module in self.modules():
            object.__setattr__(module, "training", bool(mode))
        return self

    def eval(self):
        """``train(False)``."""
        return self.train(False)

    def zero_grad(self, set_to_none=True):
        """Reset every Param's grad: to None (torch's default), or to zeros in place."""
        for p in self.parameters():
            p.zero_grad(set_to_none)

    # ------------------------------------------------------------- state dicts
    def state_dict(self):
        """An ordered dict name → a copy of the Param's array (torch's names and order)."""
        return OrderedDict((name, p.data.copy()) for name, p in self.named_parameters())

    def load_state_dict(self, state_dict, strict=True):
        """Copy the arrays of ``state_dict`` into the Params, in place.

        Checked in full before anything is written: with ``strict`` every name
        must be present and none extra; each value must be a floating array of
        the Param's shape whose values, cast to the Param's dtype (as torch's
        ``copy_`` casts), are finite. On error (RuntimeError listing every
        problem, as torch's) nothing changes. Returns ``(missing_keys,
        unexpected_keys)``.
        """
        if not hasattr(state_dict, "keys") or not hasattr(state_dict, "__getitem__"):
            raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict)}.")
        params = OrderedDict(self.named_parameters())
        missing = [name for name in params if name not in state_dict]
        unexpected = [name for name in state_dict.keys() if name not in params]
        errors = []
        if strict:
            if unexpected:
                errors.append("Unexpected key(s) in state_dict: "
                              + ", ".join(f'"{k}"' for k in unexpected) + ". ")
            if missing:
                errors.append("Missing key(s) in state_dict: "
                              + ", ".join(f'"{k}"' for k in missing) + ". ")
        values = {}
        for name, p in params.items():
            if name not in state_dict:
                continue
            problem, value = _checked_value(state_dict[name], p)
            if problem:
                errors.append(f"{name}: {problem}")
            else:
                values[name] = value
        if errors:
            raise RuntimeError(f"Error(s) in loading state_dict for {type(self).__name__}:\n\t"
                               + "\n\t".join(errors))
        for name, value in values.items():
            params[name].data[...] = value
        return IncompatibleKeys(missing, unexpected)

    # ------------------------------------------------------------- repr
    def extra_repr(self):
        return ""

    def __repr__(self):
        lines = [f"({name}): " + "\n  ".join(repr(m).split("\n"))
                 for name, m in self._modules.items()]
        if not lines:
            return f"{type(self).__name__}({self.extra_repr()})"
        return f"{type(self).__name__}(\n  " + "\n  ".join(lines) + "\n)"


def _checked_value(value, p):
    """(problem or None, the value as an array of the Param's dtype)."""
    if isinstance(value, Param):
        value = value.data
    if not isinstance(value, np.ndarray):
        return f"expected an array, got {type(value).__name__}", None
    if value.dtype.kind != "f":
        return (f"expected a floating-point array (the param is {p.dtype}), "
                f"got dtype {value.dtype}"), None
    if value.shape != p.shape:
        return (f"size mismatch: copying a param with shape {value.shape}, the shape in "
                f"the current model is {p.shape}"), None
    with np.errstate(over="ignore"):
        cast = value.astype(p.dtype)
    bad = cast.size - np.count_nonzero(np.isfinite(cast))
    if bad:
        return (f"{bad} non-finite value{'s' if bad != 1 else ''} (NaN or inf"
                f"{' after the cast to ' + str(p.dtype) if value.dtype != p.dtype else ''})"), None
    return None, cast


def _accumulate(p, grad):
    grad = grad.astype(p.dtype, copy=False)
    p.grad = grad if p.grad is None else p.grad + grad


def _check_size(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer, got {value!r}")
    if value < 1:
        raise ValueError(f"{name} must be >= 1, got {value}")


# --------------------------------------------------------------------------- layers

class Linear(Module):
    """``y = x Wᵀ + b`` with ``weight`` W of shape (out, in) and ``bias`` b of shape (out,).

    Both start uniform in (−1/√in, 1/√in), as ``torch.nn.Linear`` (whose
    kaiming_uniform_ with a = √5 gives exactly that bound). ``rng`` is a
    ``np.random.Generator`` or a seed. ``backward`` *adds* to ``.grad``, as torch
    does, so call ``optimizer.zero_grad()`` before each backward pass.
    """

    _declared_params = ("weight", "bias")

    def __init__(self, in_features, out_features, bias=True, *, rng=None, dtype=np.float64):
        _check_size("in_features", in_features)
        _check_size("out_features", out_features)
        dtype = np.dtype(dtype)
        if dtype.kind != "f":
            raise TypeError(f"dtype must be a floating-point dtype, got {dtype}")
        super().__init__()
        rng = np.random.default_rng(rng)
        bound = 1 / math.sqrt(in_features)
        self.in_features, self.out_features = int(in_features), int(out_features)
        self.weight = Param(rng.uniform(-bound, bound, (out_features, in_features)).astype(dtype),
                            name="weight")
        self.bias = (Param(rng.uniform(-bound, bound, out_features).astype(dtype), name="bias")
                     if bias else None)
        self._x = None

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


class _Elementwise(Module):
    """An elementwise activation: ``forward`` remembers what ``backward`` needs."""

    def __init__(self):
        super().__init__()
        self._saved = None

    def _grad_y(self, grad_y):
        if self._saved is None:
            raise RuntimeError("backward() needs a forward() first")
        grad_y = float_array(grad_y, "grad_y")
        if grad_y.shape != self._saved.shape:
            raise ValueError(f"grad_y must have shape {self._saved.shape}, got {grad_y.shape}")
        return grad_y


class ReLU(_Elementwise):
    """``y = max(x, 0)``; ∂y/∂x = 1 where x > 0, else 0 (torch's choice at 0)."""

    def forward(self, x):
        x = float_array(x, "x")
        self._saved = x > 0
        return np.where(self._saved, x, np.zeros((), dtype=x.dtype))

    def backward(self, grad_y):
        grad_y = self._grad_y(grad_y)
        return np.where(self._saved, grad_y, np.zeros((), dtype=grad_y.dtype))


class Tanh(_Elementwise):
    """``y = tanh x``; ∂y/∂x = 1 − y²."""

    def forward(self, x):
        y = np.tanh(float_array(x, "x"))
        self._saved = y
        return y.copy()

    def backward(self, grad_y):
        grad_y = self._grad_y(grad_y)
        y = self._saved
        return grad_y * (1 - y * y)


class Sequential(Module):
    """Modules applied in order; ``backward`` runs their ``backward`` in reverse.

    ``Sequential(Linear(4, 8), Tanh(), Linear(8, 2))`` names its Params
    "0.weight", "0.bias", "2.weight", "2.bias", as torch; an ``OrderedDict`` of
    modules gives them its names.
    """

    def __init__(self, *modules):
        if len(modules) == 1 and isinstance(modules[0], OrderedDict):
            items = list(modules[0].items())
        else:
            items = [(str(i), m) for i, m in enumerate(modules)]
        for name, module in items:
            if not isinstance(module, Module):
                raise TypeError(f"Sequential takes Modules, but {name!r} is a "
                                f"{type(module).__name__}")
            if not isinstance(name, str) or not name or "." in name:
                raise ValueError(f"module names must be non-empty strings without '.', "
                                 f"got {name!r}")
            if hasattr(Sequential, name) or name in ("training", "_parameters", "_modules"):
                raise ValueError(f"a module cannot be named {name!r}: Sequential has an "
                                 "attribute of that name")
        super().__init__()
        for name, module in items:
            setattr(self, name, module)

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(list(self._modules.values()))

    def __getitem__(self, index):
        modules = list(self._modules.values())
        if isinstance(index, slice):
            return Sequential(OrderedDict(list(self._modules.items())[index]))
        return modules[index]

    def forward(self, x):
        for module in self._modules.values():
            x = module(x)
        return x

    def backward(self, grad_y):
        """∂L/∂output → ∂L/∂input, through every module in reverse order."""
        for module in reversed(list(self._modules.values())):
            grad_y = module.backward(grad_y)
        return grad_y


# --------------------------------------------------------------------------- losses

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


def cross_entropy(logits, target):
    """``(L, ∂L/∂z)`` for logits z (N, C) and class indices t (N,), as
    ``nn.CrossEntropyLoss()``: softmax then negative log-likelihood, mean over the batch.

    L = (1/N) Σ_n [lse(z_n) − z_n,t_n] with a stable log-sum-exp, and
    ∂L/∂z = (softmax(z) − onehot(t)) / N.
    """
    z = float_array(logits, "logits")
    if z.ndim != 2 or z.shape[0] < 1 or z.shape[1] < 1:
        raise ValueError(f"logits must have shape (N, C) with N, C >= 1, got {z.shape}")
    t = np.asarray(target)
    if t.dtype.kind not in "iu":
        raise TypeError(f"target must hold integer class indices, got dtype {t.dtype}")
    if t.shape != (z.shape[0],):
        raise ValueError(f"target must have shape ({z.shape[0]},), one class per row of "
                         f"logits, got {t.shape}")
    out = (t < 0) | (t >= z.shape[1])
    if out.any():
        raise ValueError(f"target {t[out][0]} is out of bounds for {z.shape[1]} classes")
    n = z.shape[0]
    rows = np.arange(n)
    m = z.max(axis=1, keepdims=True)
    shifted = z - m
    exp = np.exp(shifted)
    total = exp.sum(axis=1, keepdims=True)
    log_softmax = shifted - np.log(total)
    loss = -log_softmax[rows, t].mean()
    grad = exp / total
    grad[rows, t] -= 1
    grad /= n
    return loss, grad
