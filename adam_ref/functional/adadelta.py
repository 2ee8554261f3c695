r"""Adadelta (Zeiler, 2012) as ``torch.optim.Adadelta``."""

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from .._record import Record
from ._spec import Hyper, Spec, StateField
from ._validate import any_nonzero, check, float_array

__all__ = ["ADADELTA", "AdadeltaState", "AdadeltaTrace", "adadelta_init", "adadelta_step"]


class AdadeltaState(NamedTuple):
    """Adadelta after ``t`` steps: the running averages E[g²]_t and E[Δθ²]_t."""

    t: int
    square_avg: np.ndarray
    acc_delta: np.ndarray


@dataclass(frozen=True, repr=False)
class AdadeltaTrace(Record):
    """Every quantity of one Adadelta step (``delta`` is Δθ_t before the lr scale)."""

    t: int
    g: np.ndarray
    square_avg: np.ndarray
    std: np.ndarray
    rms_delta: np.ndarray
    delta: np.ndarray
    acc_delta: np.ndarray
    update: np.ndarray
    theta: np.ndarray


def adadelta_init(theta):
    """Adadelta's state before the first step: t = 0 and E[g²]₀ = E[Δθ²]₀ = 0."""
    theta = float_array(theta, "theta", param=True)
    return AdadeltaState(t=0, square_avg=np.zeros_like(theta), acc_delta=np.zeros_like(theta))


def adadelta_step(theta, grad, state, *, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0,
                  maximize=False):
    r"""One step of Adadelta, with ``torch.optim.Adadelta``'s (2.13) equations in torch's order.

    Zeiler (2012), Algorithm 1, with ρ = ``rho``, λ = ``weight_decay`` and
    torch's scale γ = ``lr`` on the update::

        t         = t + 1
        g_t       = −g_t                                 if maximize
        g_t       = g_t + λ·θ_{t−1}
        E[g²]_t   = ρ·E[g²]_{t−1} + (1 − ρ)·g_t²
        RMS[g]_t  = √(E[g²]_t + ε)
        RMS[Δθ]   = √(E[Δθ²]_{t−1} + ε)
        Δθ_t      = RMS[Δθ] / RMS[g]_t · g_t
        E[Δθ²]_t  = ρ·E[Δθ²]_{t−1} + (1 − ρ)·Δθ_t²
        θ_t       = θ_{t−1} − γ·Δθ_t

    The paper's rule is γ = 1 (the default): the ratio of the two RMS values gives
    the step its units. ε sits *inside* both square roots, as in the paper.
    In code E[g²] is ``square_avg``, E[Δθ²] is ``acc_delta`` (torch's names),
    RMS[g]_t is ``std`` and RMS[Δθ] is ``rms_delta``.

    Returns ``(theta_next, state_next, trace)``; the inputs are not modified.
    """
    theta, g, state, lr, rho, eps, weight_decay = check(ADADELTA, locals())
    t = state.t + 1
    if maximize:
        g = -g
    if any_nonzero(weight_decay):
        g = g + weight_decay * theta
    square_avg = rho * state.square_avg + (1 - rho) * g * g
    std = np.sqrt(square_avg + eps)
    rms_delta = np.sqrt(state.acc_delta + eps)
    delta = rms_delta / std * g
    acc_delta = rho * state.acc_delta + (1 - rho) * delta * delta
    theta_next = theta - lr * delta
    update = theta_next - theta

    trace = AdadeltaTrace(t=t, g=g, square_avg=square_avg, std=std, rms_delta=rms_delta,
                          delta=delta, acc_delta=acc_delta, update=update, theta=theta_next)
    return theta_next, AdadeltaState(t=t, square_avg=square_avg, acc_delta=acc_delta), trace


ADADELTA = Spec(
    name="adadelta", title="Adadelta", step=adadelta_step, init=adadelta_init,
    state=AdadeltaState, trace=AdadeltaTrace,
    hypers=(Hyper("lr", "Invalid learning rate", r"\gamma"),
            Hyper("rho", "Invalid rho value", r"\rho", at_most_one=True),
            Hyper("eps", "Invalid epsilon value", r"\epsilon"),
            Hyper("weight_decay", "Invalid weight_decay value", r"\lambda")),
    flags=("maximize",),
    state_fields=(StateField("square_avg", "square_avg", nonnegative=True),
                  StateField("acc_delta", "acc_delta", nonnegative=True)),
    torch_args=("lr", "rho", "eps", "weight_decay"),
    torch_kwargs=("maximize",),
)
