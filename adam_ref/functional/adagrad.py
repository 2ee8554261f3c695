r"""Adagrad (Duchi, Hazan & Singer, 2011) as ``torch.optim.Adagrad``."""

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from .._record import Record
from ._spec import Hyper, Spec, StateField
from ._validate import any_nonzero, check, check_hypers, float_array

__all__ = ["ADAGRAD", "AdagradState", "AdagradTrace", "adagrad_init", "adagrad_step"]


class AdagradState(NamedTuple):
    """Adagrad after ``t`` steps: the accumulated sum of squared gradients G_t."""

    t: int
    sum: np.ndarray


@dataclass(frozen=True, repr=False)
class AdagradTrace(Record):
    """Every quantity of one Adagrad step."""

    t: int
    g: np.ndarray
    clr: object
    sum: np.ndarray
    std: np.ndarray
    update: np.ndarray
    theta: np.ndarray


def adagrad_init(theta, *, initial_accumulator_value=0.0):
    """Adagrad's state before the first step: t = 0 and G₀ = ``initial_accumulator_value``
    everywhere (torch's ``torch.full_like(p, initial_accumulator_value)``)."""
    theta = float_array(theta, "theta", param=True)
    (value,) = check_hypers(_INIT, {"initial_accumulator_value": initial_accumulator_value}, theta)
    return AdagradState(t=0, sum=np.zeros_like(theta) + value)


def adagrad_step(theta, grad, state, *, lr=1e-2, lr_decay=0.0, weight_decay=0.0,
                 initial_accumulator_value=0.0, eps=1e-10, maximize=False):
    r"""One step of Adagrad, with ``torch.optim.Adagrad``'s (2.13) equations in torch's order.

    Duchi, Hazan & Singer (2011), the diagonal form, with η = ``lr``,
    δ = ``lr_decay``, λ = ``weight_decay``::

        t   = t + 1
        g_t = −g_t                               if maximize
        g_t = g_t + λ·θ_{t−1}
        η_t = η / (1 + (t − 1)·δ)                the decayed step size (torch's ``clr``)
        G_t = G_{t−1} + g_t²                     the accumulated sum of squares (``sum``)
        s_t = √G_t + ε
        θ_t = θ_{t−1} − η_t·g_t / s_t

    G₀ is ``initial_accumulator_value`` (set by :func:`adagrad_init`; the step
    accepts the keyword so that one set of keywords serves both, and checks it,
    but does not use it). ε is added after the square root, as torch adds it.

    Returns ``(theta_next, state_next, trace)``; the inputs are not modified.
    """
    theta, g, state, lr, lr_decay, weight_decay, _, eps = check(ADAGRAD, locals())
    t = state.t + 1
    if maximize:
        g = -g
    if any_nonzero(weight_decay):
        g = g + weight_decay * theta
    clr = lr / (1 + (t - 1) * lr_decay)
    G = state.sum + g * g
    std = np.sqrt(G) + eps
    theta_next = theta - clr * (g / std)
    update = theta_next - theta

    trace = AdagradTrace(t=t, g=g, clr=clr, sum=G, std=std, update=update, theta=theta_next)
    return theta_next, AdagradState(t=t, sum=G), trace


_INITIAL = Hyper("initial_accumulator_value", "Invalid initial_accumulator_value value", "G_0")

ADAGRAD = Spec(
    name="adagrad", title="Adagrad", step=adagrad_step, init=adagrad_init, state=AdagradState,
    trace=AdagradTrace,
    hypers=(Hyper("lr", "Invalid learning rate", r"\eta"),
            Hyper("lr_decay", "Invalid lr_decay value", r"\delta"),
            Hyper("weight_decay", "Invalid weight_decay value", r"\lambda"),
            _INITIAL,
            Hyper("eps", "Invalid epsilon value", r"\epsilon")),
    flags=("maximize",),
    state_fields=(StateField("sum", "sum", nonnegative=True),),
    torch_args=("lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps"),
    torch_kwargs=("maximize",),
    switches=("foreach", "differentiable", "fused"),
)

# the init's one check, through the same validation point as the step's
_INIT = Spec(name="adagrad_init", title="Adagrad", step=adagrad_init, init=adagrad_init,
             state=AdagradState, trace=AdagradTrace, hypers=(_INITIAL,), flags=(),
             state_fields=(), torch_args=())
