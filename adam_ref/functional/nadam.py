r"""NAdam (Dozat, 2016) as ``torch.optim.NAdam``."""

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from .._record import Record
from ._spec import Hyper, Spec, StateField
from ._validate import any_nonzero, check, float_array

__all__ = ["NADAM", "NAdamState", "NAdamTrace", "nadam_init", "nadam_step"]


class NAdamState(NamedTuple):
    """NAdam after ``t`` steps: the product μ_1·…·μ_t and the moments m_t, v_t."""

    t: int
    mu_product: object
    m: np.ndarray
    v: np.ndarray


@dataclass(frozen=True, repr=False)
class NAdamTrace(Record):
    """Every quantity of one NAdam step."""

    t: int
    g: np.ndarray
    bias_correction2: object
    mu_t: object
    mu_next: object
    mu_product: object
    c_g: object
    c_m: object
    m: np.ndarray
    v: np.ndarray
    denom: np.ndarray
    update: np.ndarray
    theta: np.ndarray


def nadam_init(theta):
    """NAdam's state before the first step: t = 0, an empty product (1) and m₀ = v₀ = 0."""
    theta = float_array(theta, "theta", param=True)
    return NAdamState(t=0, mu_product=1.0, m=np.zeros_like(theta), v=np.zeros_like(theta))


def _float32(x):
    """``x`` rounded to float32, where torch keeps the μ-product (a float32 scalar tensor);
    a number comes back as a Python float, as torch reads it (``_get_value``)."""
    return float(np.float32(x)) if np.ndim(x) == 0 else np.float32(x).astype(x.dtype)


def _like(theta, x):
    """A number as a NumPy scalar of θ's dtype (the state keeps θ's dtype)."""
    return theta.dtype.type(x) if np.ndim(x) == 0 else x


def nadam_step(theta, grad, state, *, lr=2e-3, beta1=0.9, beta2=0.999, eps=1e-8,
               weight_decay=0.0, momentum_decay=4e-3, decoupled_weight_decay=False,
               maximize=False):
    r"""One step of NAdam, with ``torch.optim.NAdam``'s (2.13) equations in torch's order.

    Dozat (2016), Adam with Nesterov momentum and a momentum schedule, with
    γ = ``lr``, ψ = ``momentum_decay``, λ = ``weight_decay``::

        t       = t + 1
        g_t     = −g_t                                   if maximize
        θ'      = θ_{t−1}·(1 − γ·λ)                      decoupled decay (NAdamW)
        g_t     = g_t + λ·θ_{t−1}                        L2 decay otherwise
        μ_t     = β1·(1 − ½·0.96^{t·ψ})
        μ_{t+1} = β1·(1 − ½·0.96^{(t+1)·ψ})
        Π_t     = Π_{t−1}·μ_t                            (``mu_product``)
        m_t     = β1·m_{t−1} + (1 − β1)·g_t
        v_t     = β2·v_{t−1} + (1 − β2)·g_t²
        d_t     = √(v_t / (1 − β2^t)) + ε
        c_g     = γ·(1 − μ_t) / (1 − Π_t)
        c_m     = γ·μ_{t+1} / (1 − Π_t·μ_{t+1})
        θ_t     = θ' − c_g·g_t/d_t − c_m·m_t/d_t

    The first-moment decay is β1 in m_t, while the Nesterov look-ahead uses the
    scheduled μ; Π_t·μ_{t+1} is the product one step ahead. torch keeps Π in a
    float32 scalar tensor (whatever the params' dtype), so Π_t is rounded to
    float32 here too (and kept as a number of θ's dtype); c_g and c_m are computed
    in double precision, as torch computes them; the arrays are in θ's dtype.

    Returns ``(theta_next, state_next, trace)``; the inputs are not modified.
    """
    theta, g, state, lr, beta1, beta2, eps, weight_decay, momentum_decay = check(NADAM, locals())
    t = state.t + 1
    if maximize:
        g = -g
    bias_correction2 = 1 - beta2 ** t
    theta_decayed = theta
    if any_nonzero(weight_decay) and decoupled_weight_decay:
        theta_decayed = theta * (1 - lr * weight_decay)
    if any_nonzero(weight_decay) and not decoupled_weight_decay:
        g = g + weight_decay * theta
    mu_t = beta1 * (1.0 - 0.5 * 0.96 ** (t * momentum_decay))
    mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * momentum_decay))
    mu_product = _float32(state.mu_product * _float32(mu_t))
    m = beta1 * state.m + (1 - beta1) * g
    v = beta2 * state.v + (1 - beta2) * g * g
    denom = np.sqrt(v / bias_correction2) + eps
    c_g = lr * (1.0 - mu_t) / (1.0 - mu_product)
    c_m = lr * mu_next / (1.0 - mu_product * mu_next)
    theta_next = theta_decayed - c_g * (g / denom) - c_m * (m / denom)
    update = theta_next - theta

    trace = NAdamTrace(t=t, g=g, bias_correction2=bias_correction2, mu_t=mu_t, mu_next=mu_next,
                       mu_product=mu_product, c_g=c_g, c_m=c_m, m=m, v=v, denom=denom, update=update,
                       theta=theta_next)
    return theta_next, NAdamState(t=t, mu_product=_like(theta, mu_product), m=m, v=v), trace


NADAM = Spec(
    name="nadam", title="NAdam", step=nadam_step, init=nadam_init, state=NAdamState,
    trace=NAdamTrace,
    hypers=(Hyper("lr", "Invalid learning rate", r"\gamma"),
            Hyper("beta1", "Invalid beta parameter at index 0", r"\beta_1", below_one=True),
            Hyper("beta2", "Invalid beta parameter at index 1", r"\beta_2", below_one=True),
            Hyper("eps", "Invalid epsilon value", r"\epsilon"),
            Hyper("weight_decay", "Invalid weight_decay value", r"\lambda"),
            Hyper("momentum_decay", "Invalid momentum_decay value", r"\psi")),
    flags=("decoupled_weight_decay", "maximize"),
    state_fields=(StateField("mu_product", "mu_product", scalar=True),
                  StateField("m", "exp_avg"),
                  StateField("v", "exp_avg_sq", nonnegative=True)),
    torch_args=("lr", "betas", "eps", "weight_decay", "momentum_decay", "decoupled_weight_decay"),
    torch_kwargs=("maximize",),
    pairs={"betas": ("beta1", "beta2")},
)
