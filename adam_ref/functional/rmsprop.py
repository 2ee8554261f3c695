r"""RMSprop (Hinton, lecture 6e) as ``torch.optim.RMSprop``."""

from dataclasses import dataclass
from typing import NamedTuple, Optional

import numpy as np

from .._record import Record
from ._spec import Hyper, Spec, StateField
from ._validate import any_nonzero, check, float_array

__all__ = ["RMSPROP", "RMSpropState", "RMSpropTrace", "rmsprop_init", "rmsprop_step"]


class RMSpropState(NamedTuple):
    """RMSprop after ``t`` steps: v_t, the centred mean g_avg and the momentum buffer b."""

    t: int
    v: np.ndarray
    g_avg: np.ndarray
    b: np.ndarray


@dataclass(frozen=True, repr=False)
class RMSpropTrace(Record):
    """Every quantity of one RMSprop step (``g_avg`` None unless centered, ``b`` None
    unless momentum)."""

    t: int
    g: np.ndarray
    v: np.ndarray
    g_avg: Optional[np.ndarray]
    v_tilde: np.ndarray
    denom: np.ndarray
    b: Optional[np.ndarray]
    update: np.ndarray
    theta: np.ndarray


def rmsprop_init(theta):
    """RMSprop's state before the first step: t = 0 and v₀ = g_avg₀ = b₀ = 0."""
    theta = float_array(theta, "theta", param=True)
    return RMSpropState(t=0, v=np.zeros_like(theta), g_avg=np.zeros_like(theta),
                        b=np.zeros_like(theta))


def rmsprop_step(theta, grad, state, *, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0,
                 momentum=0.0, centered=False, maximize=False):
    r"""One step of RMSprop, with ``torch.optim.RMSprop``'s (2.13) equations in torch's order.

    Hinton's lecture 6e rule, with γ = ``lr``, α = ``alpha`` (the decay of the
    squared-gradient average), λ = ``weight_decay``, μ = ``momentum``::

        t     = t + 1
        g_t   = −g_t                             if maximize
        g_t   = g_t + λ·θ_{t−1}
        v_t   = α·v_{t−1} + (1 − α)·g_t²
        ḡ_t   = α·ḡ_{t−1} + (1 − α)·g_t          if centered
        ṽ_t   = v_t − ḡ_t²                       if centered, else ṽ_t = v_t
        δ_t   = √ṽ_t + ε
        b_t   = μ·b_{t−1} + g_t / δ_t            if μ > 0
        θ_t   = θ_{t−1} − γ·b_t                  if μ > 0
        θ_t   = θ_{t−1} − γ·g_t / δ_t            otherwise

    ε is added *after* the square root (torch: ``sqrt_()`` then ``add_(eps)``),
    so it bounds the step by γ·|g|/ε, not the variance. ḡ is ``g_avg`` in code.

    Returns ``(theta_next, state_next, trace)``; the inputs are not modified.
    """
    theta, g, state, lr, alpha, eps, weight_decay, momentum = check(RMSPROP, locals())
    t = state.t + 1
    if maximize:
        g = -g
    if any_nonzero(weight_decay):
        g = g + weight_decay * theta
    v = alpha * state.v + (1 - alpha) * g * g
    g_avg = alpha * state.g_avg + (1 - alpha) * g if centered else state.g_avg
    v_tilde = v - g_avg * g_avg if centered else v
    denom = np.sqrt(v_tilde) + eps
    b = momentum * state.b + g / denom if any_nonzero(momentum) else state.b
    theta_next = theta - lr * b if any_nonzero(momentum) else theta - lr * (g / denom)
    update = theta_next - theta

    trace = RMSpropTrace(t=t, g=g, v=v, g_avg=g_avg if centered else None, v_tilde=v_tilde,
                         denom=denom, b=b if any_nonzero(momentum) else None,
                         update=update, theta=theta_next)
    return theta_next, RMSpropState(t=t, v=v, g_avg=g_avg, b=b), trace


RMSPROP = Spec(
    name="rmsprop", title="RMSprop", step=rmsprop_step, init=rmsprop_init, state=RMSpropState,
    trace=RMSpropTrace,
    hypers=(Hyper("lr", "Invalid learning rate", r"\alpha"),
            Hyper("alpha", "Invalid alpha value", r"\alpha_{\rm RMS}"),
            Hyper("eps", "Invalid epsilon value", r"\epsilon"),
            Hyper("weight_decay", "Invalid weight_decay value", r"\lambda"),
            Hyper("momentum", "Invalid momentum value", r"\mu")),
    flags=("centered", "maximize"),
    state_fields=(StateField("v", "square_avg", nonnegative=True),
                  StateField("g_avg", "grad_avg", when=lambda h: h["centered"]),
                  StateField("b", "momentum_buffer", when=lambda h: any_nonzero(h["momentum"]))),
    torch_args=("lr", "alpha", "eps", "weight_decay", "momentum", "centered"),
    torch_kwargs=("maximize",),
)
