r"""Adam and AdamW (Kingma & Ba, 2015; Loshchilov & Hutter, 2019) as ``torch.optim.Adam``."""

from dataclasses import dataclass
from typing import NamedTuple, Optional

import numpy as np

from .._record import Record
from ._spec import Hyper, Spec, StateField
from ._validate import any_nonzero, check, float_array

__all__ = ["ADAM", "AdamState", "AdamTrace", "adam_init", "adam_step"]


class AdamState(NamedTuple):
    """Adam after ``t`` steps: the moments m_t, v_t and AMSGrad's running max of v."""

    t: int
    m: np.ndarray
    v: np.ndarray
    v_max: Optional[np.ndarray]


@dataclass(frozen=True, repr=False)
class AdamTrace(Record):
    """Every quantity of one Adam step (``v_max`` is None unless ``amsgrad``)."""

    t: int
    g: np.ndarray
    m: np.ndarray
    v: np.ndarray
    v_max: Optional[np.ndarray]
    bias_correction1: object
    bias_correction2: object
    m_hat: np.ndarray
    v_hat: np.ndarray
    denom: np.ndarray
    update: np.ndarray
    theta: np.ndarray


def adam_init(theta):
    """Adam's state before the first step: t = 0 and m₀ = v₀ = v_max = 0."""
    theta = float_array(theta, "theta", param=True)
    return AdamState(t=0, m=np.zeros_like(theta), v=np.zeros_like(theta),
                     v_max=np.zeros_like(theta))


def adam_step(theta, grad, state, *, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8,
              weight_decay=0.0, amsgrad=False, maximize=False, decoupled_weight_decay=False,
              bias_correction=True, corrected_max=False, eps_hat=False):
    r"""One step of Adam, with ``torch.optim.Adam``'s (2.13) equations in torch's order.

    Kingma & Ba (2015), Algorithm 1, with α = ``lr``, λ = ``weight_decay``;
    lines marked (*) are PyTorch's additions::

        t   = t + 1
        g_t = −g_t                               if maximize              (*)
        g_t = g_t + λ·θ_{t−1}                    L2 weight decay          (*)
        θ'  = θ_{t−1}·(1 − α·λ)                  decoupled decay (AdamW)  (*)
        m_t = β1·m_{t−1} + (1 − β1)·g_t
        v_t = β2·v_{t−1} + (1 − β2)·g_t²
        m̂_t = m_t / (1 − β1^t)
        v̂_t = v_t / (1 − β2^t)
        θ_t = θ' − α·m̂_t / (√v̂_t + ε)

    In the code θ' is ``theta_decayed`` (θ_{t−1} itself without decoupled decay),
    m̂, v̂ are ``m_hat``, ``v_hat``, √v̂_t + ε is ``denom`` and 1 − β^t are the
    ``bias_correction`` terms.

    AMSGrad (Reddi et al., 2018), torch's form: v_max,t = max(v_max,t−1, v_t) over
    the *raw* v, then v̂_t = v_max,t / (1 − β2^t) — so v̂_t can still shrink while
    v_max is constant, because 1 − β2^t grows.

    Parity: the same equations in torch's order, equal to rounding — float64 within
    1e-9 and float32 within 1e-4 relative over a run. The rounding differs from
    torch's in three places: torch forms m_t with ``lerp_``, divides √v_t by
    √(1 − β2^t) instead of taking √v̂_t, and scales by lr/(1 − β1^t) instead of
    dividing m_t.

    Variants the lessons compare, as options (all off: torch's Adam):

    - ``bias_correction=False``: m̂_t = m_t, v̂_t = v_t (Adam without the
      1/(1 − β^t) factors); with ``amsgrad`` this is the paper's AMSGrad,
      v̂_t = max(v̂_{t−1}, v_t), which has no bias correction.
    - ``corrected_max=True`` (with ``amsgrad``): optax's AMSGrad, the running max
      taken over the bias-corrected v̂_t instead of v_t.
    - ``eps_hat=True``: the ε̂ form of Kingma & Ba §2 (TF/Keras), where
      α_t = α·√(1 − β2^t)/(1 − β1^t) and θ_t = θ' − α_t·m_t/(√v_t + ε̂) with
      ``eps`` playing ε̂; that is Algorithm 1 with ε = ε̂/√(1 − β2^t), which is how
      it is computed here.

    Returns ``(theta_next, state_next, trace)``; the inputs are not modified.
    """
    theta, g, state, lr, beta1, beta2, eps, weight_decay = check(ADAM, locals())
    t = state.t + 1
    if maximize:
        g = -g
    if any_nonzero(weight_decay) and not decoupled_weight_decay:
        g = g + weight_decay * theta
    theta_decayed = theta
    if any_nonzero(weight_decay) and decoupled_weight_decay:
        theta_decayed = theta * (1 - lr * weight_decay)
    m = beta1 * state.m + (1 - beta1) * g
    v = beta2 * state.v + (1 - beta2) * g * g
    bias_correction1 = 1 - beta1 ** t if bias_correction else 1.0
    bias_correction2 = 1 - beta2 ** t if bias_correction else 1.0
    m_hat = m / bias_correction1
    v_max = np.maximum(state.v_max, v) if amsgrad and not corrected_max else state.v_max
    v_hat = (v_max if amsgrad and not corrected_max else v) / bias_correction2
    if amsgrad and corrected_max:
        v_max = v_hat = np.maximum(state.v_max, v_hat)
    denom = np.sqrt(v_hat) + (eps / bias_correction2 ** 0.5 if eps_hat else eps)
    theta_next = theta_decayed - lr * m_hat / denom
    update = theta_next - theta

    trace = AdamTrace(t=t, g=g, m=m, v=v, v_max=v_max if amsgrad else None,
                      bias_correction1=bias_correction1, bias_correction2=bias_correction2,
                      m_hat=m_hat, v_hat=v_hat, denom=denom, update=update, theta=theta_next)
    return theta_next, AdamState(t=t, m=m, v=v, v_max=v_max), trace


ADAM = Spec(
    name="adam", title="Adam", step=adam_step, init=adam_init, state=AdamState, trace=AdamTrace,
    hypers=(Hyper("lr", "Invalid learning rate", r"\alpha"),
            Hyper("beta1", "Invalid beta parameter at index 0", r"\beta_1", below_one=True),
            Hyper("beta2", "Invalid beta parameter at index 1", r"\beta_2", below_one=True),
            Hyper("eps", "Invalid epsilon value", r"\epsilon"),
            Hyper("weight_decay", "Invalid weight_decay value", r"\lambda")),
    flags=("amsgrad", "maximize", "decoupled_weight_decay"),
    options=("bias_correction", "corrected_max", "eps_hat"),
    state_fields=(StateField("m", "exp_avg"),
                  StateField("v", "exp_avg_sq", nonnegative=True),
                  StateField("v_max", "max_exp_avg_sq", when=lambda h: h["amsgrad"],
                             nonnegative=True)),
    torch_args=("lr", "betas", "eps", "weight_decay", "amsgrad"),
    torch_kwargs=("maximize", "decoupled_weight_decay"),
    pairs={"betas": ("beta1", "beta2")},
    switches=("foreach", "capturable", "differentiable", "fused"),
)
