r"""SGD with (Nesterov) momentum as ``torch.optim.SGD``."""

from dataclasses import dataclass
from typing import NamedTuple, Optional

import numpy as np

from .._record import Record
from ._spec import Hyper, Spec, StateField
from ._validate import any_nonzero, check, float_array

__all__ = ["SGD_SPEC", "SGDState", "SGDTrace", "sgd_init", "sgd_step"]


class SGDState(NamedTuple):
    """SGD after ``t`` steps: the momentum buffer b_t (None until momentum first runs)."""

    t: int
    b: Optional[np.ndarray]


@dataclass(frozen=True, repr=False)
class SGDTrace(Record):
    """Every quantity of one SGD step (``b`` is None when momentum is 0)."""

    t: int
    g: np.ndarray
    b: Optional[np.ndarray]
    d: np.ndarray
    update: np.ndarray
    theta: np.ndarray


def sgd_init(theta):
    """SGD's state before the first step: t = 0 and no momentum buffer yet."""
    float_array(theta, "theta", param=True)
    return SGDState(t=0, b=None)


def sgd_step(theta, grad, state, *, lr=1e-3, momentum=0.0, dampening=0.0, weight_decay=0.0,
             nesterov=False, maximize=False):
    r"""One step of SGD with momentum, with ``torch.optim.SGD``'s (2.13) equations.

    With γ = ``lr``, μ = ``momentum``, τ = ``dampening``, λ = ``weight_decay``::

        g_t = −g_t                               if maximize
        g_t = g_t + λ·θ_{t−1}
        b_t = g_t                                if t = 1 (torch stores the raw gradient)
        b_t = μ·b_{t−1} + (1 − τ)·g_t            otherwise
        d_t = g_t + μ·b_t                        if nesterov
        d_t = b_t                                otherwise
        θ_t = θ_{t−1} − γ·d_t

    The b, d lines run only when μ ≠ 0; with μ = 0 the step is d_t = g_t. The
    first buffer is g₁ itself, not (1 − τ)·g₁: dampening starts at step 2.
    ``t`` counts steps here; torch keeps no step count for SGD, so "t = 1" is
    "no buffer yet" (``state.b is None``).

    Returns ``(theta_next, state_next, trace)``; the inputs are not modified.
    """
    theta, g, state, lr, momentum, dampening, weight_decay = check(SGD_SPEC, locals())
    t = state.t + 1
    if maximize:
        g = -g
    if any_nonzero(weight_decay):
        g = g + weight_decay * theta
    b = state.b
    d = g
    if any_nonzero(momentum):
        b = np.copy(g) if state.b is None else momentum * state.b + (1 - dampening) * g
        d = g + momentum * b if nesterov else b
        if np.ndim(momentum):
            # entries with μ = 0 are plain SGD in torch, whatever τ is
            d = np.where(momentum != 0, d, g)
    theta_next = theta - lr * d
    update = theta_next - theta

    trace = SGDTrace(t=t, g=g, b=b if any_nonzero(momentum) else None, d=d,
                     update=update, theta=theta_next)
    return theta_next, SGDState(t=t, b=b), trace


def _nesterov_rule(h):
    if h["nesterov"] and (np.any(np.asarray(h["momentum"]) <= 0)
                          or np.any(np.asarray(h["dampening"]) != 0)):
        raise ValueError("Nesterov momentum requires a momentum and zero dampening")


SGD_SPEC = Spec(
    name="sgd", title="SGD", step=sgd_step, init=sgd_init, state=SGDState, trace=SGDTrace,
    hypers=(Hyper("lr", "Invalid learning rate", r"\alpha"),
            Hyper("momentum", "Invalid momentum value", r"\mu"),
            Hyper("dampening", "Invalid dampening value", r"\tau"),
            Hyper("weight_decay", "Invalid weight_decay value", r"\lambda")),
    flags=("nesterov", "maximize"),
    state_fields=(StateField("b", "momentum_buffer", when=lambda h: any_nonzero(h["momentum"]),
                             zeros=False),),
    torch_args=("lr", "momentum", "dampening", "weight_decay", "nesterov"),
    torch_kwargs=("maximize",),
    rule=_nesterov_rule,
    step_key=None,
    switches=("foreach", "differentiable", "fused"),
)
