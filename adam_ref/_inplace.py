"""In-place twin of :func:`adam_ref.functional.adam_step`, for speed and memory.

It performs the very same floating-point operations as the reference step, in the
same order and on the same operands, writing into θ, m, v, v_max and two scratch
arrays instead of allocating a new array per equation. Results are therefore
bit-identical to the reference (the test suite checks this on every flag); what it
gives up is the trace. Read :func:`adam_ref.functional.adam_step` for the math.
"""

from functools import lru_cache

import numpy as np


@lru_cache(maxsize=64)
def _scalars(dtype, *values):
    # A 0-d array of θ's dtype holds the same number NumPy would make of the Python
    # float, so results do not change; ufuncs just take it with less overhead.
    return tuple(np.array(value, dtype=dtype) for value in values)


def adam_step_inplace(theta, grad, m, v, v_max, t, *, lr, beta1, beta2, eps,
                      weight_decay, amsgrad, maximize, decoupled_weight_decay):
    """Advance θ, m, v (and v_max when ``amsgrad``) in place from step t − 1 to t.

    ``grad`` is only read. Hyperparameters are Python floats; t is the new step.
    """
    dtype = theta.dtype
    beta1_, one_minus_beta1, beta2_, one_minus_beta2, eps_, lr_ = _scalars(
        dtype, beta1, 1 - beta1, beta2, 1 - beta2, eps, lr)
    bias_correction1, bias_correction2 = (np.array(1 - beta1 ** t, dtype=dtype),
                                          np.array(1 - beta2 ** t, dtype=dtype))
    g_work = np.empty_like(theta)   # g after maximize / L2, later lr·m̂/denom
    scratch = np.empty_like(theta)  # products, later the denominator
    g = grad
    if maximize:
        g = np.negative(grad, out=g_work)
    if weight_decay != 0 and not decoupled_weight_decay:
        np.multiply(weight_decay, theta, out=scratch)   # λ·θ
        g = np.add(g, scratch, out=g_work)              # g + λ·θ
    if weight_decay != 0 and decoupled_weight_decay:
        theta *= 1 - lr * weight_decay
    m *= beta1_                                         # m = β1·m + (1 − β1)·g
    m += np.multiply(one_minus_beta1, g, out=scratch)
    v *= beta2_                                         # v = β2·v + (1 − β2)·g·g
    np.multiply(one_minus_beta2, g, out=scratch)
    v += np.multiply(scratch, g, out=scratch)
    if amsgrad:
        np.maximum(v_max, v, out=v_max)
    denom = np.divide(v_max if amsgrad else v, bias_correction2, out=scratch)  # v̂
    np.sqrt(denom, out=denom)
    denom += eps_                                       # √v̂ + ε
    step = np.divide(m, bias_correction1, out=g_work)   # m̂
    np.multiply(lr_, step, out=step)
    step /= denom                                       # α·m̂ / (√v̂ + ε)
    theta -= step
