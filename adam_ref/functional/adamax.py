r"""Adamax (Kingma & Ba, 2015, §7.1) as ``torch.optim.Adamax``."""

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from .._record import Record
from ._spec import Hyper, Spec, StateField
from ._validate import any_nonzero, check, float_array

__all__ = ["ADAMAX", "AdamaxState", "AdamaxTrace", "adamax_init", "adamax_step"]


class AdamaxState(NamedTuple):
    """Adamax after ``t`` steps: the first moment m_t and the infinity norm u_t."""

    t: int
    m: np.ndarray
    u: np.ndarray


@dataclass(frozen=True, repr=False)
class AdamaxTrace(Record):
    """Every quantity of one Adamax step."""

    t: int
    g: np.ndarray
    m: np.ndarray
    u: np.ndarray
    bias_correction: object
    clr: object
    update: np.ndarray
    theta: np.ndarray


def adamax_init(theta):
    """Adamax's state before the first step: t = 0 and m₀ = u₀ = 0."""
    theta = float_array(theta, "theta", param=True)
    return AdamaxState(t=0, m=np.zeros_like(theta), u=np.zeros_like(theta))


def adamax_step(theta, grad, state, *, lr=2e-3, beta1=0.9, beta2=0.999, eps=1e-8,
                weight_decay=0.0, maximize=False):
    r"""One step of Adamax, with ``torch.optim.Adamax``'s (2.13) equations in torch's order.

    With α = ``lr``, λ = ``weight_decay``::

        t   = t + 1
        g_t = −g_t                               if maximize
        g_t = g_t + λ·θ_{t−1}
        m_t = β1·m_{t−1} + (1 − β1)·g_t
        u_t = max(β2·u_{t−1}, |g_t| + ε)
        α_t = α / (1 − β1^t)
        θ_t = θ_{t−1} − α_t·m_t / u_t

    Kingma & Ba (2015), Algorithm 2, has u_t = max(β2·u_{t−1}, |g_t|), with no ε:
    there u_t = 0 (and the step 0/0) wherever every gradient so far was 0. torch puts
    ε inside the max instead, so u_t ≥ ε and a coordinate with g = 0 does not move.
    Both correct only the step size for m's bias, θ_t = θ_{t−1} − (α/(1 − β1^t))·m_t/u_t;
    u needs no correction. ``clr`` (torch's name) is α_t.

    Returns ``(theta_next, state_next, trace)``; the inputs are not modified.
    """
    theta, g, state, lr, beta1, beta2, eps, weight_decay = check(ADAMAX, locals())
    t = state.t + 1
    if maximize:
        g = -g
    if any_nonzero(weight_decay):
        g = g + weight_decay * theta
    m = beta1 * state.m + (1 - beta1) * g
    u = np.maximum(beta2 * state.u, np.abs(g) + eps)
    bias_correction = 1 - beta1 ** t
    clr = lr / bias_correction
    theta_next = theta - clr * (m / u)
    update = theta_next - theta

    trace = AdamaxTrace(t=t, g=g, m=m, u=u, bias_correction=bias_correction, clr=clr,
                        update=update, theta=theta_next)
    return theta_next, AdamaxState(t=t, m=m, u=u), trace


ADAMAX = Spec(
    name="adamax", title="Adamax", step=adamax_step, init=adamax_init, state=AdamaxState,
    trace=AdamaxTrace,
    hypers=(Hyper("lr", "Invalid learning rate", r"\alpha"),
            Hyper("beta1", "Invalid beta parameter at index 0", r"\beta_1", below_one=True),
            Hyper("beta2", "Invalid beta parameter at index 1", r"\beta_2", below_one=True),
            Hyper("eps", "Invalid epsilon value", r"\epsilon"),
            Hyper("weight_decay", "Invalid weight_decay value", r"\lambda")),
    flags=("maximize",),
    state_fields=(StateField("m", "exp_avg"), StateField("u", "exp_inf", nonnegative=True)),
    torch_args=("lr", "betas", "eps", "weight_decay"),
    torch_kwargs=("maximize",),
    pairs={"betas": ("beta1", "beta2")},
)
