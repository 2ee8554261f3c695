r"""RAdam (Liu et al., 2020) as ``torch.optim.RAdam``."""

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from .._record import Record
from ._spec import Hyper, Spec, StateField
from ._validate import any_nonzero, check, float_array

__all__ = ["RADAM", "RAdamState", "RAdamTrace", "radam_init", "radam_step"]


class RAdamState(NamedTuple):
    """RAdam after ``t`` steps: the moments m_t and v_t."""

    t: int
    m: np.ndarray
    v: np.ndarray


@dataclass(frozen=True, repr=False)
class RAdamTrace(Record):
    """Every quantity of one RAdam step (``r_t`` and ``adaptive_lr`` are None while
    ρ_t ≤ 5, when the step is SGD with momentum; ``delta`` is θ' − θ_t)."""

    t: int
    g: np.ndarray
    m: np.ndarray
    v: np.ndarray
    bias_correction1: object
    bias_correction2: object
    m_hat: np.ndarray
    rho_inf: object
    rho_t: object
    r_t: object
    adaptive_lr: object
    delta: np.ndarray
    update: np.ndarray
    theta: np.ndarray


def radam_init(theta):
    """RAdam's state before the first step: t = 0 and m₀ = v₀ = 0."""
    theta = float_array(theta, "theta", param=True)
    return RAdamState(t=0, m=np.zeros_like(theta), v=np.zeros_like(theta))


def _rectification(rho_t, rho_inf, adaptive):
    """r_t = √((ρ_t − 4)(ρ_t − 2)ρ_∞ / ((ρ_∞ − 4)(ρ_∞ − 2)ρ_t)), NaN where ρ_t ≤ 5 (arrays
    of settings), where it is not used."""
    with np.errstate(invalid="ignore", divide="ignore"):  # entries with ρ_t ≤ 5 are not used
        r2 = (rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)
    if np.ndim(adaptive) == 0:
        return r2 ** 0.5
    return np.where(adaptive, np.sqrt(np.where(adaptive, r2, 1)), np.nan).astype(r2.dtype)


def radam_step(theta, grad, state, *, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8,
               weight_decay=0.0, decoupled_weight_decay=False, maximize=False):
    r"""One step of RAdam, with ``torch.optim.RAdam``'s (2.13) equations in torch's order.

    Liu et al. (2020), Algorithm 2, with γ = ``lr``, λ = ``weight_decay``::

        t    = t + 1
        g_t  = −g_t                                      if maximize
        θ'   = θ_{t−1}·(1 − γ·λ)                         decoupled decay
        g_t  = g_t + λ·θ_{t−1}                           L2 decay otherwise
        m_t  = β1·m_{t−1} + (1 − β1)·g_t
        v_t  = β2·v_{t−1} + (1 − β2)·g_t²
        m̂_t  = m_t / (1 − β1^t)
        ρ_∞  = 2/(1 − β2) − 1
        ρ_t  = ρ_∞ − 2·t·β2^t / (1 − β2^t)
        r_t  = √((ρ_t − 4)(ρ_t − 2)ρ_∞ / ((ρ_∞ − 4)(ρ_∞ − 2)ρ_t))      if ρ_t > 5
        l_t  = √(1 − β2^t) / (√v_t + ε)                                if ρ_t > 5
        θ_t  = θ' − γ·m̂_t·l_t·r_t                        if ρ_t > 5 (the adaptive step)
        θ_t  = θ' − γ·m̂_t                                otherwise (SGD with momentum)

    ρ_t is the length of the approximated simple moving average; while it is
    ≤ 5 the variance of the adaptive lr is intractable and the step is not
    adaptive. The paper's threshold is 4; torch's (used here) is 5. With
    β2 = 0.999, ρ_t > 5 from t = 6 on. ``adaptive_lr`` is l_t.

    Returns ``(theta_next, state_next, trace)``; the inputs are not modified.
    """
    theta, g, state, lr, beta1, beta2, eps, weight_decay = check(RADAM, locals())
    t = state.t + 1
    if maximize:
        g = -g
    theta_decayed = theta
    if any_nonzero(weight_decay) and decoupled_weight_decay:
        theta_decayed = theta * (1 - lr * weight_decay)
    if any_nonzero(weight_decay) and not decoupled_weight_decay:
        g = g + weight_decay * theta
    m = beta1 * state.m + (1 - beta1) * g
    v = beta2 * state.v + (1 - beta2) * g * g
    bias_correction1 = 1 - beta1 ** t
    bias_correction2 = 1 - beta2 ** t
    m_hat = m / bias_correction1
    rho_inf = 2 / (1 - beta2) - 1
    rho_t = rho_inf - 2 * t * beta2 ** t / bias_correction2
    adaptive = rho_t > 5.0
    r_t = _rectification(rho_t, rho_inf, adaptive) if np.any(adaptive) else None
    adaptive_lr = bias_correction2 ** 0.5 / (np.sqrt(v) + eps) if np.any(adaptive) else None
    delta = m_hat * lr * adaptive_lr * r_t if np.any(adaptive) else m_hat * lr
    delta = np.where(adaptive, delta, m_hat * lr) if np.ndim(adaptive) else delta  # K settings
    theta_next = theta_decayed - delta
    update = theta_next - theta

    trace = RAdamTrace(t=t, g=g, m=m, v=v, bias_correction1=bias_correction1,
                       bias_correction2=bias_correction2, m_hat=m_hat, rho_inf=rho_inf,
                       rho_t=rho_t, r_t=r_t, adaptive_lr=adaptive_lr, delta=delta, update=update,
                       theta=theta_next)
    return theta_next, RAdamState(t=t, m=m, v=v), trace


RADAM = Spec(
    name="radam", title="RAdam", step=radam_step, init=radam_init, state=RAdamState,
    trace=RAdamTrace,
    hypers=(Hyper("lr", "Invalid learning rate", r"\gamma"),
            Hyper("beta1", "Invalid beta parameter at index 0", r"\beta_1", below_one=True),
            Hyper("beta2", "Invalid beta parameter at index 1", r"\beta_2", below_one=True),
            Hyper("eps", "Invalid epsilon value", r"\epsilon"),
            Hyper("weight_decay", "Invalid weight_decay value", r"\lambda")),
    flags=("decoupled_weight_decay", "maximize"),
    state_fields=(StateField("m", "exp_avg"), StateField("v", "exp_avg_sq", nonnegative=True)),
    torch_args=("lr", "betas", "eps", "weight_decay", "decoupled_weight_decay"),
    torch_kwargs=("maximize",),
    pairs={"betas": ("beta1", "beta2")},
)
