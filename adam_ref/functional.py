r"""The reference math: one pure function per optimizer.

Every ``*_step(theta, grad, state, **hyperparameters)`` returns
``(theta_next, state_next, trace)`` and never changes its inputs, so a list of
states *is* the trajectory. Each line of a step body is one equation, written
with the paper's symbols and applied in the order PyTorch 2.13 applies them;
the ``trace`` keeps every intermediate as a named field.

Hyperparameters are usually Python floats. They may also be NumPy arrays that
broadcast against ``theta`` (for example ``lr`` of shape ``(K, 1)`` with
``theta`` of shape ``(K, d)``), so that K runs with K settings advance together.
"""

from dataclasses import dataclass
from typing import NamedTuple, Optional

import numpy as np

from ._checks import any_nonzero, float_array, hyper, step_inputs
from ._record import Record

__all__ = ["AdamState", "AdamTrace", "adam_init", "adam_step"]


# --------------------------------------------------------------------------- Adam

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
    theta = float_array(theta, "theta")
    return AdamState(t=0, m=np.zeros_like(theta), v=np.zeros_like(theta),
                     v_max=np.zeros_like(theta))


def adam_step(theta, grad, state, *, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8,
              weight_decay=0.0, amsgrad=False, maximize=False,
              decoupled_weight_decay=False):
    r"""One step of Adam, exactly as ``torch.optim.Adam`` (2.13) takes it.

    Kingma & Ba (2015), Algorithm 1, with α = ``lr``, λ = ``weight_decay``;
    lines marked (*) are PyTorch's additions, in PyTorch's order::

        t   = t + 1
        g_t = −g_t                               if maximize              (*)
        g_t = g_t + λ·θ_{t−1}                    L2 weight decay          (*)
        θ'  = θ_{t−1}·(1 − α·λ)                  decoupled decay (AdamW)  (*)
        m_t = β1·m_{t−1} + (1 − β1)·g_t
        v_t = β2·v_{t−1} + (1 − β2)·g_t²
        m̂_t = m_t / (1 − β1^t)
        v̂_t = v_t / (1 − β2^t)
        θ_t = θ' − α·m̂_t / (√v̂_t + ε)

    AMSGrad (Reddi et al., 2018) keeps v_max = max(v_max, v_t) and uses
    v̂_t = v_max / (1 − β2^t). That is PyTorch's form: the max is taken over the
    *raw* v and then bias-corrected. The paper's AMSGrad has no bias correction
    at all; with the bias correction applied, v̂_t can still shrink while v_max
    is constant, because (1 − β2^t) grows.

    Returns ``(theta_next, state_next, trace)``; the inputs are not modified.
    """
    theta, g = step_inputs(theta, grad, [("m", state.m), ("v", state.v), ("v_max", state.v_max)])
    lr, beta1, beta2, eps, weight_decay = (hyper(h, theta.dtype) for h in (lr, beta1, beta2, eps, weight_decay))
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
    bias_correction1 = 1 - beta1 ** t
    bias_correction2 = 1 - beta2 ** t
    m_hat = m / bias_correction1
    v_max = np.maximum(state.v_max, v) if amsgrad else state.v_max
    v_hat = (v_max if amsgrad else v) / bias_correction2
    denom = np.sqrt(v_hat) + eps
    theta_next = theta_decayed - lr * m_hat / denom
    update = theta_next - theta

    trace = AdamTrace(t=t, g=g, m=m, v=v, v_max=v_max if amsgrad else None,
                      bias_correction1=bias_correction1, bias_correction2=bias_correction2,
                      m_hat=m_hat, v_hat=v_hat, denom=denom, update=update, theta=theta_next)
    return theta_next, AdamState(t=t, m=m, v=v, v_max=v_max), trace
