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

from ._checks import any_nonzero, check_flags, check_state, float_array, hypers, step_inputs
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

    In the code θ' is ``theta_decayed`` (θ_{t−1} itself without decoupled decay),
    m̂, v̂ are ``m_hat``, ``v_hat``, √v̂_t + ε is ``denom`` and 1 − β^t are the
    ``bias_correction`` terms.

    AMSGrad (Reddi et al., 2018) keeps v_max = max(v_max, v_t) and uses
    v̂_t = v_max / (1 − β2^t). That is PyTorch's form: the max is taken over the
    *raw* v and then bias-corrected. The paper's AMSGrad has no bias correction
    at all; with the bias correction applied, v̂_t can still shrink while v_max
    is constant, because (1 − β2^t) grows.

    Returns ``(theta_next, state_next, trace)``; the inputs are not modified.
    """
    check_state(state, AdamState)  # checks and conversions first; the equations follow
    check_flags(amsgrad=amsgrad, maximize=maximize, decoupled_weight_decay=decoupled_weight_decay)
    theta, g = step_inputs(theta, grad, [("m", state.m), ("v", state.v), ("v_max", state.v_max)])
    lr, beta1, beta2, eps, weight_decay = hypers(theta, lr=lr, beta1=beta1, beta2=beta2,
                                                 eps=eps, weight_decay=weight_decay)
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


# --------------------------------------------------------------------------- SGD

__all__ += ["SGDState", "SGDTrace", "sgd_init", "sgd_step"]


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
    float_array(theta, "theta")
    return SGDState(t=0, b=None)


def sgd_step(theta, grad, state, *, lr=1e-3, momentum=0.0, dampening=0.0, weight_decay=0.0,
             nesterov=False, maximize=False):
    r"""One step of SGD with momentum, exactly as ``torch.optim.SGD`` (2.13) takes it.

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
    check_state(state, SGDState)
    check_flags(nesterov=nesterov, maximize=maximize)
    theta, g = step_inputs(theta, grad, [("b", state.b)])
    lr, momentum, dampening, weight_decay = hypers(theta, lr=lr, momentum=momentum,
                                                   dampening=dampening, weight_decay=weight_decay)
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


# --------------------------------------------------------------------------- RMSprop

__all__ += ["RMSpropState", "RMSpropTrace", "rmsprop_init", "rmsprop_step"]


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
    theta = float_array(theta, "theta")
    return RMSpropState(t=0, v=np.zeros_like(theta), g_avg=np.zeros_like(theta),
                        b=np.zeros_like(theta))


def rmsprop_step(theta, grad, state, *, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0,
                 momentum=0.0, centered=False, maximize=False):
    r"""One step of RMSprop, exactly as ``torch.optim.RMSprop`` (2.13) takes it.

    Hinton's lecture 6e rule, with γ = ``lr``, α = ``alpha`` (the decay of the
    squared-gradient average), λ = ``weight_decay``, μ = ``momentum``, in torch's order::

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
    check_state(state, RMSpropState)
    check_flags(centered=centered, maximize=maximize)
    theta, g = step_inputs(theta, grad, [("v", state.v), ("g_avg", state.g_avg), ("b", state.b)])
    lr, alpha, eps, weight_decay, momentum = hypers(theta, lr=lr, alpha=alpha, eps=eps,
                                                    weight_decay=weight_decay, momentum=momentum)
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


# --------------------------------------------------------------------------- Adamax

__all__ += ["AdamaxState", "AdamaxTrace", "adamax_init", "adamax_step"]


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
    theta = float_array(theta, "theta")
    return AdamaxState(t=0, m=np.zeros_like(theta), u=np.zeros_like(theta))


def adamax_step(theta, grad, state, *, lr=2e-3, beta1=0.9, beta2=0.999, eps=1e-8,
                weight_decay=0.0, maximize=False):
    r"""One step of Adamax, exactly as ``torch.optim.Adamax`` (2.13) takes it.

    With α = ``lr``, λ = ``weight_decay``, in torch's order::

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
    check_state(state, AdamaxState)
    check_flags(maximize=maximize)
    theta, g = step_inputs(theta, grad, [("m", state.m), ("u", state.u)])
    lr, beta1, beta2, eps, weight_decay = hypers(theta, lr=lr, beta1=beta1, beta2=beta2,
                                                 eps=eps, weight_decay=weight_decay)
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
