"""Fast paths of :func:`adam_ref.functional.adam_step`, proven equal to it.

Each performs the very same floating-point operations as the reference step, in
the same order and on the same operands, so results are bit-identical to it (the
test suite checks this on every flag); what they give up is the trace. Read
:func:`adam_ref.functional.adam_step` for the math.

- :func:`adam_step_inplace` writes into θ, m, v, v_max and two scratch arrays
  instead of allocating a new array per equation (``Adam(fused=True)`` for arrays
  of any layout).
- :class:`Workspace`, :func:`fused_kernel` and :func:`scalar_step`: the step of
  ``Adam(fused=True)`` and ``foreach=True`` for contiguous arrays — moments in one
  buffer, persistent scratch and scalars, blocks of ``BLOCK`` bytes, and Python
  floats for float64 params of at most ``SCALAR_SIZE`` elements.
- :func:`adam_scalar_run` runs one coordinate for many steps on Python floats (the
  long runs of Reddi et al.'s problem: millions of steps in seconds).
- :func:`adam_scalar_runs` runs K independent coordinates at once: where the
  gradients do not depend on x (no L2 decay), m, v and the step α·m̂/(√v̂ + ε) of
  every step are computed first — the moments by their recurrences, everything
  else elementwise over all steps — and only x_t = Π(x_{t−1} − step_t) is left
  to run step by step.
"""

import itertools
import math
from functools import lru_cache

import numpy as np

from .functional.adam import ADAM
from .functional._validate import check_flag, check_hypers, float_array

__all__ = ["adam_step_inplace", "adam_scalar_run", "adam_scalar_runs", "Workspace", "fused_kernel",
           "scalar_step"]


@lru_cache(maxsize=64)
def _scalars(dtype, *values):
    # A 0-d array of θ's dtype holds the same number NumPy would make of the Python
    # float, so results do not change; ufuncs just take it with less overhead.
    return tuple(np.array(value, dtype=dtype) for value in values)


def adam_step_inplace(theta, grad, m, v, v_max, t, *, lr, beta1, beta2, eps,
                      weight_decay, amsgrad, maximize, decoupled_weight_decay):
    """Advance θ, m, v (and v_max when ``amsgrad``) in place from step t − 1 to t.

    ``grad`` is only read, and must not share memory with θ, m, v or v_max.
    Hyperparameters are Python floats, checked by the caller; t is the new step.
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


def adam_scalar_run(grads, lr, x0=0.0, *, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0,
                    amsgrad=False, maximize=False, decoupled_weight_decay=False, bounds=None):
    """Adam on one coordinate for ``len(grads)`` steps: returns x_1, …, x_T as an array.

    ``grads`` are the raw gradients g_1, …, g_T (which must not depend on x; weight
    decay adds λ·x_{t−1} as the step does), ``lr`` one learning rate per step (or
    one for all). Each step is ``adam_step`` from t = 0, m = v = v_max = 0,
    followed by clipping to ``bounds = (low, high)`` when given (a projection).
    Checked as ``adam_step`` checks: by the same function, with the same messages.
    """
    grads = float_array(grads, "grads").astype(float, copy=False).ravel()
    lrs = np.broadcast_to(float_array(np.asarray(lr, dtype=float), "lr"), grads.shape)
    check_hypers(ADAM, dict(lr=lrs, beta1=beta1, beta2=beta2, eps=eps, weight_decay=weight_decay,
                            amsgrad=amsgrad, maximize=maximize,
                            decoupled_weight_decay=decoupled_weight_decay), theta=grads)
    if not np.all(np.isfinite(grads)):
        raise FloatingPointError("grads hold NaN or inf")
    beta1, beta2, eps, weight_decay = float(beta1), float(beta2), float(eps), float(weight_decay)
    low, high = (-math.inf, math.inf) if bounds is None else map(float, bounds)
    xs = np.empty(len(grads))
    x, m, v, v_max = float(x0), 0.0, 0.0, 0.0
    for t, (g, lr) in enumerate(zip(grads.tolist(), lrs.tolist()), start=1):
        if maximize:
            g = -g
        if weight_decay != 0 and not decoupled_weight_decay:
            g = g + weight_decay * x
        x_decayed = x
        if weight_decay != 0 and decoupled_weight_decay:
            x_decayed = x * (1 - lr * weight_decay)
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        bias_correction1 = 1 - beta1 ** t
        bias_correction2 = 1 - beta2 ** t
        m_hat = m / bias_correction1
        if amsgrad:  # np.maximum(v_max, v), as the step takes it (NaN included)
            v_max = v_max if v_max >= v or v_max != v_max else v
        v_hat = (v_max if amsgrad else v) / bias_correction2
        x = min(max(x_decayed - lr * m_hat / (math.sqrt(v_hat) + eps), low), high)
        xs[t - 1] = x
    return xs


def _recurrence(beta, increments, y0=0.0):
    """y_t = β·y_{t−1} + c_t from y_0, in Python floats, one step after the other."""
    return np.fromiter(itertools.accumulate(_floats(increments), lambda y, c: beta * y + c,
                                            initial=y0), float, len(increments) + 1)[1:]


def _floats(array):
    """The elements of a float64 array as Python floats, one at a time (a memoryview yields
    them without building a list of millions of objects first)."""
    return memoryview(np.ascontiguousarray(array, dtype=float))


@lru_cache(maxsize=4)
def _bias_corrections(beta, steps):
    """1 − β^t for t = 1, …, steps, each β^t by Python's ``**`` as the step computes it."""
    powers = np.fromiter(map(pow, itertools.repeat(beta), range(1, steps + 1)), float, steps)
    table = 1 - powers
    table.flags.writeable = False
    return table


def adam_scalar_runs(grads, lr, x0=0.0, *, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0,
                     amsgrad=False, maximize=False, decoupled_weight_decay=False, bounds=None):
    """K independent runs of :func:`adam_scalar_run` at once: ``grads`` has shape (K, T).

    Row k is the run of ``adam_scalar_run(grads[k], lr[k], x0[k], ...)`` — bit for
    bit, as the tests check — with ``lr`` of shape (T,) or (K, T), ``x0`` a number or
    K of them and ``amsgrad`` one switch or K of them (Adam and AMSGrad on the same
    gradients share their m and v). Returns x_t of every run, shape (K, T).
    Checked as ``adam_step`` checks: by the same function, with the same messages.
    """
    grads = float_array(grads, "grads").astype(float, copy=False)
    if grads.ndim != 2:
        raise ValueError(f"grads must have shape (runs, steps), got shape {grads.shape}")
    runs, steps = grads.shape
    try:
        lrs = np.broadcast_to(float_array(np.asarray(lr, dtype=float), "lr"), grads.shape)
        x0s = np.broadcast_to(float_array(np.asarray(x0, dtype=float), "x0"), (runs,))
    except ValueError:
        raise ValueError(f"lr (shape {np.shape(lr)}) and x0 (shape {np.shape(x0)}) must "
                         f"broadcast to grads' shape {grads.shape} and to ({runs},)") from None
    switches = [amsgrad] * runs if isinstance(amsgrad, (bool, np.bool_)) else list(amsgrad)
    if len(switches) != runs:
        raise ValueError(f"amsgrad must be one switch or {runs} of them, got {len(switches)}")
    check_hypers(ADAM, dict(lr=np.asarray(lr, dtype=float), beta1=beta1, beta2=beta2, eps=eps,
                            weight_decay=weight_decay, amsgrad=switches[0], maximize=maximize,
                            decoupled_weight_decay=decoupled_weight_decay), theta=grads)
    for switch in switches[1:]:
        check_flag("amsgrad", switch)
    if not np.all(np.isfinite(grads)):
        raise FloatingPointError("grads hold NaN or inf")
    if not np.all(np.isfinite(x0s)):
        raise ValueError("x0 must be finite")
    beta1, beta2, eps, weight_decay = float(beta1), float(beta2), float(eps), float(weight_decay)
    low, high = (-math.inf, math.inf) if bounds is None else map(float, bounds)
    xs = np.empty(grads.shape)
    if weight_decay != 0 and not decoupled_weight_decay:  # g depends on x: step by step
        for k in range(runs):
            xs[k] = adam_scalar_run(grads[k], lrs[k], x0s[k], beta1=beta1, beta2=beta2, eps=eps,
                                    weight_decay=weight_decay, amsgrad=bool(switches[k]),
                                    maximize=maximize, bounds=(low, high))
        return xs
    bias_correction1 = _bias_corrections(beta1, steps)
    bias_correction2 = _bias_corrections(beta2, steps)
    shared = []  # (g, rows): rows with the same gradients share their m and v
    for k in range(runs):
        for g, rows in shared:
            if np.array_equal(g, grads[k]):
                rows.append(k)
                break
        else:
            shared.append((grads[k], [k]))
    # CHUNK steps at a time, each recurrence carried over from one chunk to the next: the
    # arrays stay small (in cache, and no fresh memory per step of a million-step run)
    buffers = np.empty((2, min(steps, CHUNK)))
    for g_all, rows in shared:
        m_t = v_t = 0.0
        x_t = {k: float(x0s[k]) for k in rows}
        v_max_t = dict.fromkeys(rows, 0.0)
        for start in range(0, steps, CHUNK):
            stop = min(start + CHUNK, steps)
            g = -g_all[start:stop] if maximize else g_all[start:stop]
            m = _recurrence(beta1, (1 - beta1) * g, m_t)            # m = β1·m + (1 − β1)·g
            v = _recurrence(beta2, (1 - beta2) * g * g, v_t)        # v = β2·v + (1 − β2)·g·g
            m_t, v_t = float(m[-1]), float(v[-1])
            for k in rows:
                lr_k = lrs[k, start:stop]
                step, denom = buffers[:, :stop - start]             # step = α·m̂ / (√v̂ + ε)
                m_hat = np.divide(m, bias_correction1[start:stop], out=step)
                v_k = v
                if switches[k]:  # v_max: the running max, then the max with the last chunk's
                    v_k = np.maximum(np.maximum.accumulate(v, out=denom), v_max_t[k], out=denom)
                    v_max_t[k] = float(v_k[-1])
                v_hat = np.divide(v_k, bias_correction2[start:stop], out=denom)
                denom = np.add(np.sqrt(v_hat, out=denom), eps, out=denom)
                step = np.divide(np.multiply(lr_k, m_hat, out=step), denom, out=step)
                xs[k, start:stop] = _path(step, lr_k, x_t[k], weight_decay, low, high)
                x_t[k] = float(xs[k, stop - 1])
    return xs


CHUNK = 1 << 16  #: steps per chunk of adam_scalar_runs


def _path(step, lr, x, weight_decay, low, high):
    """x_t = Π(x'_{t−1} − step_t) from x, with x' = x·(1 − α·λ) under decoupled decay."""
    if weight_decay != 0:
        pairs = zip(_floats(1 - lr * weight_decay), _floats(step))
        path = itertools.accumulate(pairs, lambda x, ds: _clip(x * ds[0] - ds[1], low, high),
                                    initial=x)
    else:  # _clip inlined: this is the one loop left, and it runs millions of times
        path = itertools.accumulate(
            _floats(step), lambda x, s: low if (y := x - s) < low else high if y > high else y,
            initial=x)
    return np.fromiter(path, float, len(step) + 1)[1:]


def _clip(x, low, high):
    """min(max(x, low), high), as ``adam_scalar_run`` projects (NaN stays NaN)."""
    return low if x < low else high if x > high else x


# --------------------------------------------------------------------------- the fused step
#
# ``Adam(fused=True)`` keeps, per param (or, with ``foreach=True``, per group), a
# :class:`Workspace`: m and v as the two rows of one (2, N) buffer (``state["exp_avg"]``
# and ``state["exp_avg_sq"]`` are views of it, of the param's shape), AMSGrad's v_max,
# scratch, and the step's scalars as 0-d arrays of θ's dtype, written when a value
# changes. A step is then fourteen ufunc calls that allocate nothing, run block by block
# (BLOCK bytes of each array at a time) so that large arrays stay in cache; tiny float64
# params take the same equations on Python floats instead.

BLOCK = 256 * 1024   #: bytes of one array per block of a fused step
SCALAR_SIZE = 8      #: float64 params of at most this many elements are stepped on Python floats


class Workspace:
    """The buffers and scalars of one fused step over ``size`` elements of ``dtype``."""

    def __init__(self, size, dtype, amsgrad):
        self.size, self.dtype = size, np.dtype(dtype)
        self.moments = np.zeros((2, size), dtype)          # rows: m, v
        self.v_max = np.zeros(size, dtype) if amsgrad else None
        self.block = max(1, min(size, BLOCK // self.dtype.itemsize))
        self.scratch = np.empty((3, self.block), dtype)    # m̂ → step; v̂ → denom; g
        # the step's numbers as 0-d arrays of θ's dtype: NumPy converts a Python float to
        # θ's dtype the same way, so results do not change; ufuncs take them faster
        self.scalars = np.empty(10, dtype)
        (self.beta1, self.beta2, self.one_minus_beta1, self.one_minus_beta2,
         self.bias_correction1, self.bias_correction2, self.lr, self.eps, self.weight_decay,
         self.decay) = (self.scalars[i, ...] for i in range(10))
        self.key = self.t = self.kwargs = None
        self.views = []  # (param data, {state key: view}) of each param laid in the buffers

    def holds(self, theta, state, amsgrad, k=0):
        """Whether the k-th param's data is ``theta`` and its state's arrays are these views."""
        data, views = self.views[k]
        v_max = views.get("max_exp_avg_sq")
        return (data is theta and state.get("exp_avg") is views["exp_avg"]
                and state.get("exp_avg_sq") is views["exp_avg_sq"]
                and (state.get("max_exp_avg_sq") is v_max if v_max is not None else not amsgrad))

    def refresh(self, t, kwargs):
        """Write step t's scalars for the step's keywords ``kwargs`` (each number converted
        once, as NumPy converts a Python float); re-read only when ``kwargs`` changed."""
        if kwargs is not self.kwargs:
            key = tuple(kwargs.values())
            if key != self.key:
                k = kwargs
                lr, beta1, beta2, weight_decay = k["lr"], k["beta1"], k["beta2"], k["weight_decay"]
                self.scalars[[0, 1, 2, 3, 6, 7, 8, 9]] = (
                    beta1, beta2, 1 - beta1, 1 - beta2, lr, k["eps"], weight_decay,
                    1 - lr * weight_decay)
                self.flags = (k["maximize"], weight_decay != 0 and not k["decoupled_weight_decay"],
                              weight_decay != 0 and k["decoupled_weight_decay"], k["amsgrad"])
                self.powers = (beta1, beta2)
                self.key, self.t = key, None
            self.kwargs = kwargs
        if t != self.t:
            beta1, beta2 = self.powers
            self.bias_correction1[...] = 1 - beta1 ** t
            self.bias_correction2[...] = 1 - beta2 ** t
            self.t = t


def fused_kernel(theta, grad, work):
    """One Adam step over 1-D ``theta`` and ``grad`` with ``work``'s moments, in place.

    ``work.refresh`` has written the step's scalars and switches. The same operations
    as :func:`adam_ref.functional.adam_step`, in its order, on the same operands, one
    block of ``work.block`` elements at a time.
    """
    w = work
    m, v, v_max, s = w.moments[0], w.moments[1], w.v_max, w.scratch
    if w.block == w.size:
        return _kernel(theta, grad, m, v, v_max, s[0], s[1], s[2], w, *w.flags)
    for start in range(0, w.size, w.block):
        stop = min(start + w.block, w.size)
        n = stop - start
        _kernel(theta[start:stop], grad[start:stop], m[start:stop], v[start:stop],
                None if v_max is None else v_max[start:stop], s[0, :n], s[1, :n], s[2, :n], w,
                *w.flags)


def _kernel(th, g, m, v, v_max, s0, s1, s2, w, maximize, l2, decoupled, amsgrad):
    if maximize:
        g = np.negative(g, out=s2)                          # g = −g
    if l2:
        np.multiply(w.weight_decay, th, out=s0)             # λ·θ
        g = np.add(g, s0, out=s2)                           # g + λ·θ
    if decoupled:
        np.multiply(th, w.decay, out=th)                    # θ·(1 − α·λ)
    np.multiply(m, w.beta1, out=m)                          # m = β1·m + (1 − β1)·g
    np.add(m, np.multiply(w.one_minus_beta1, g, out=s0), out=m)
    np.multiply(v, w.beta2, out=v)                          # v = β2·v + (1 − β2)·g·g
    np.multiply(w.one_minus_beta2, g, out=s1)
    np.add(v, np.multiply(s1, g, out=s1), out=v)
    if amsgrad:
        np.maximum(v_max, v, out=v_max)
    np.divide(v_max if amsgrad else v, w.bias_correction2, out=s1)  # v̂
    np.sqrt(s1, out=s1)
    np.add(s1, w.eps, out=s1)                               # √v̂ + ε
    np.divide(m, w.bias_correction1, out=s0)                # m̂
    np.multiply(w.lr, s0, out=s0)                           # α·m̂
    np.divide(s0, s1, out=s0)                               # α·m̂ / (√v̂ + ε)
    np.subtract(th, s0, out=th)


def scalar_step(theta, grad, m, v, v_max, t, *, lr, beta1, beta2, eps, weight_decay, amsgrad,
                maximize, decoupled_weight_decay):
    """One Adam step of a few float64 elements on Python floats (1-D views, written in place).

    Python floats are IEEE doubles, so each operation rounds as NumPy's float64 ufunc
    does; the step is :func:`adam_ref.functional.adam_step`'s lines, element by element.
    """
    bias_correction1 = 1 - beta1 ** t
    bias_correction2 = 1 - beta2 ** t
    l2 = weight_decay != 0 and not decoupled_weight_decay
    decay = 1 - lr * weight_decay if weight_decay != 0 and decoupled_weight_decay else None
    one_minus_beta1, one_minus_beta2 = 1 - beta1, 1 - beta2
    xs, ms, vs = theta.tolist(), m.tolist(), v.tolist()
    vms = v_max.tolist() if amsgrad else None
    for i, g in enumerate(grad.tolist()):
        x = xs[i]
        if maximize:
            g = -g
        if l2:
            g = g + weight_decay * x
        if decay is not None:
            x = x * decay
        m_i = ms[i] = beta1 * ms[i] + one_minus_beta1 * g
        v_i = vs[i] = beta2 * vs[i] + one_minus_beta2 * g * g
        if amsgrad:  # np.maximum(v_max, v): v_max unless v is larger or NaN
            vm = vms[i]
            v_i = vms[i] = vm if vm >= v_i or vm != vm else v_i
        xs[i] = x - lr * (m_i / bias_correction1) / (math.sqrt(v_i / bias_correction2) + eps)
    theta[...], m[...], v[...] = xs, ms, vs
    if amsgrad:
        v_max[...] = vms
