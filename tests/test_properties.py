r"""Properties of Adam that hold for every input, checked with hypothesis.

Tolerances come from one error estimate. Writing u for the unit roundoff of the
dtype, an exponential moving average x_t = β·x_{t−1} + (1 − β)·y_t computed in
floating point carries an absolute error of at most about c·u·Σ_k w_k|y_k|/(1 − β)
(each step adds a few roundings of size u·|y|, and the recursion shrinks old
errors by β, so they add up to a geometric series). For m this is relative to
Σ w_k|g_k|, for v (all terms ≥ 0) relative to v itself. By Cauchy–Schwarz,
Σ w_k|g_k| / √v̂ ≤ B_t (the bound below), so the error of m̂/√v̂ is at most about
c·u·B_t·(1/(1 − β1) + 1/(1 − β2)). We use c = 8 (the estimate needs c ≈ 4).
"""

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from adam_ref.functional import AdamState, adam_init, adam_step

SETTINGS = settings(max_examples=200, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

dtypes = st.sampled_from([np.float32, np.float64])
shapes = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4)
# β1 = 0 or ≥ 0.01: a β1 like 1e-300 makes β1·m subnormal, where no precision claim holds
beta1s = st.one_of(st.just(0.0), st.floats(0.01, 0.99))
beta2s = st.floats(0.5, 0.999)
lrs = st.floats(1e-4, 1.0)


def bound(t, beta1, beta2):
    """B_t = √[(1 − β1)²(1 − β2^t) / ((1 − β1^t)²(1 − β2)) · Σ_{k=0}^{t−1} (β1²/β2)^k]."""
    geometric = sum(beta1 ** (2 * k) / beta2 ** k for k in range(t))
    return math.sqrt((1 - beta1) ** 2 * (1 - beta2 ** t)
                     / ((1 - beta1 ** t) ** 2 * (1 - beta2)) * geometric)


def tolerance(dtype, beta1, beta2):
    return 8 * np.finfo(dtype).eps * (1 / (1 - beta1) + 1 / (1 - beta2))


@st.composite
def gradient_runs(draw, max_steps=30):
    """(dtype, shape, gradients (T, *shape)) with magnitudes over many decades and zeros."""
    dtype = draw(dtypes)
    shape = draw(shapes)
    steps = draw(st.integers(1, max_steps))
    seed = draw(st.integers(0, 2 ** 32 - 1))
    rng = np.random.default_rng(seed)
    exponent = rng.uniform(-3, 3, size=(steps, *shape)) if draw(st.booleans()) else 0.0
    grads = rng.normal(size=(steps, *shape)) * 10.0 ** exponent
    grads[rng.random(size=grads.shape) < 0.1] = 0.0
    return dtype, shape, grads.astype(dtype)


def updates(grads, *, scale_theta=0.0, **hyper):
    """Run adam_step over ``grads`` from θ = 0 each step (so Δθ carries no rounding of θ)."""
    theta = np.zeros(grads.shape[1:], dtype=grads.dtype) + scale_theta
    state = adam_init(theta)
    traces = []
    for g in grads:
        _, state, trace = adam_step(theta, g, state, **hyper)
        traces.append(trace)
    return traces


# --------------------------------------------------------------------------- moments

@SETTINGS
@given(gradient_runs(), lrs, beta1s, st.floats(0.0, 0.9999))
def test_v_is_nonnegative_and_v_max_never_decreases(run, lr, beta1, beta2):
    dtype, shape, grads = run
    previous = np.zeros(shape, dtype=dtype)
    for trace in updates(grads, lr=lr, beta1=beta1, beta2=beta2, amsgrad=True):
        assert trace.v.dtype == dtype
        assert np.all(trace.v >= 0)
        assert np.all(trace.v_max >= previous) and np.all(trace.v_max >= trace.v)
        previous = trace.v_max


@SETTINGS
@given(dtypes, shapes, st.integers(1, 60), beta1s, st.floats(0.0, 0.999),
       st.integers(0, 2 ** 32 - 1))
def test_for_a_constant_gradient_m_hat_equals_it_at_every_step(dtype, shape, steps, beta1,
                                                                beta2, seed):
    """m_t = (1 − β1^t)·g exactly in real numbers, so m̂_t = g; in floating point the EMA
    error bound above gives |m̂_t − g| ≤ 8u/(1 − β1)·|g|."""
    g = (np.random.default_rng(seed).normal(size=shape) * 10.0).astype(dtype)
    rtol = 8 * np.finfo(dtype).eps / (1 - beta1)
    for trace in updates(np.broadcast_to(g, (steps, *shape)), beta1=beta1, beta2=beta2):
        np.testing.assert_allclose(trace.m_hat, g, rtol=rtol, atol=0)


# --------------------------------------------------------------------------- ε = 0

@SETTINGS
@given(gradient_runs(), lrs, beta1s, beta2s, st.integers(-20, 20), st.floats(1e-3, 1e3))
def test_with_eps_zero_scaling_the_gradients_changes_no_update(run, lr, beta1, beta2, power,
                                                             c):
    """Adam is invariant to g → c·g (c > 0) when ε = 0: m scales by c, √v̂ by c.

    For c a power of two every product is exact, so the updates are identical bits;
    for any other c, to the tolerance of the module docstring.
    """
    dtype, shape, grads = run
    hyper = dict(lr=lr, beta1=beta1, beta2=beta2, eps=0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        base = updates(grads, **hyper)
        doubled = updates(grads * dtype(2.0 ** power), **hyper)
        scaled = updates((grads * c).astype(dtype), **hyper)
    tol = tolerance(dtype, beta1, beta2)
    tiny = np.finfo(dtype).tiny
    normal = np.ones(shape, dtype=bool)   # below tiny (subnormal) numbers lose precision
    for t, (a, b, s) in enumerate(zip(base, doubled, scaled), start=1):
        for trace in (a, b, s):
            for x in (trace.m, trace.v, trace.update):
                normal &= (x == 0) | (np.abs(x) >= tiny)
        np.testing.assert_array_equal(a.update[normal], b.update[normal])  # NaN where g ≡ 0
        limit = lr * bound(t, beta1, beta2) * 2 * tol
        finite = np.isfinite(a.update) & normal
        assert np.all(np.abs(a.update[finite] - s.update[finite]) <= limit)
        np.testing.assert_array_equal(finite, np.isfinite(s.update) & normal)


@SETTINGS
@given(gradient_runs(max_steps=40), lrs, beta1s, beta2s)
def test_with_eps_zero_no_coordinate_moves_more_than_lr_times_b_t(run, lr, beta1, beta2):
    """|Δθ| ≤ α·B_t for every coordinate, by Cauchy–Schwarz on m̂ = Σ w_k g_k, v̂ = Σ u_k g_k²."""
    dtype, _, grads = run
    with np.errstate(invalid="ignore", divide="ignore"):
        traces = updates(grads, lr=lr, beta1=beta1, beta2=beta2, eps=0.0)
    tol = tolerance(dtype, beta1, beta2)
    for t, trace in enumerate(traces, start=1):
        moved = np.abs(trace.update[np.isfinite(trace.update)])
        assert np.all(moved <= lr * bound(t, beta1, beta2) * (1 + tol))


@SETTINGS
@given(gradient_runs(max_steps=1), lrs, st.floats(0.0, 0.999), st.floats(0.0, 0.9999))
def test_first_step_moves_every_coordinate_by_lr(run, lr, beta1, beta2):
    """B_1 = 1: at t = 1, m̂ = g and √v̂ = |g|, so Δθ = −α·sign(g) (to 2 machine epsilons)."""
    dtype, _, grads = run
    assert bound(1, beta1, beta2) == pytest.approx(1.0, rel=1e-12)
    with np.errstate(invalid="ignore", divide="ignore"):
        (trace,) = updates(grads, lr=lr, beta1=beta1, beta2=beta2, eps=0.0)
    g = grads[0]
    moving = g != 0
    expected = -lr * np.sign(g[moving])
    assert np.all(np.abs(trace.update[moving] - expected) <= 2 * np.finfo(dtype).eps * lr * 2)


def test_kingma_ba_bound_does_not_hold_in_general():
    """Kingma & Ba §2.1: '|Δ| ≤ α when (1 − β1) ≤ √(1 − β2)'. With β = (0.9, 0.99) the
    condition holds (0.1 ≤ 0.1), yet g_k ∝ w_k/u_k, the Cauchy–Schwarz equality case,
    gives |Δ_t| = α·B_t ≈ 2.35·α at t = 1000."""
    beta1, beta2, lr, t = 0.9, 0.99, 1e-3, 1000
    assert 1 - beta1 <= math.sqrt(1 - beta2)
    k = np.arange(1, t + 1)
    w = (1 - beta1) * beta1 ** (t - k) / (1 - beta1 ** t)   # m̂_t = Σ w_k g_k
    u = (1 - beta2) * beta2 ** (t - k) / (1 - beta2 ** t)   # v̂_t = Σ u_k g_k²
    grads = (w / u)[:, None]
    theta, state = np.zeros(1), adam_init(np.zeros(1))
    for g in grads:
        theta_next, state, trace = adam_step(theta, g, state, lr=lr, beta1=beta1, beta2=beta2,
                                             eps=0.0)
    moved = abs(trace.update[0])
    assert moved > 2.3 * lr
    assert moved == pytest.approx(lr * bound(t, beta1, beta2), rel=1e-12)
    # as t → ∞, B_t → (1 − β1)/√(1 − β2) · 1/√(1 − β1²/β2) = √5.5 here (β2^1000 ≈ 4e-5 off)
    limit = (1 - beta1) / math.sqrt(1 - beta2) / math.sqrt(1 - beta1 ** 2 / beta2)
    assert bound(t, beta1, beta2) == pytest.approx(limit, rel=1e-4)


# --------------------------------------------------------------------------- purity, broadcasting

flags = st.fixed_dictionaries({"amsgrad": st.booleans(), "maximize": st.booleans(),
                               "decoupled_weight_decay": st.booleans(),
                               "weight_decay": st.sampled_from([0.0, 0.1])})


@SETTINGS
@given(gradient_runs(max_steps=3), flags, st.integers(0, 50))
def test_the_functional_step_never_mutates_its_inputs(run, flag, t):
    dtype, shape, grads = run
    rng = np.random.default_rng(t)
    theta = rng.normal(size=shape).astype(dtype)
    state = AdamState(t, rng.normal(size=shape).astype(dtype),
                      rng.uniform(size=shape).astype(dtype), rng.uniform(size=shape).astype(dtype))
    for g in grads:
        inputs = [theta, g, state.m, state.v, state.v_max]
        before = [a.tobytes() for a in inputs]
        theta_next, new_state, _ = adam_step(theta, g, state, lr=0.01, **flag)
        assert [a.tobytes() for a in inputs] == before
        assert theta_next.dtype == dtype
        theta, state = theta_next, new_state


@SETTINGS
@given(dtypes, st.integers(1, 4), st.integers(1, 4), st.integers(1, 20), flags,
       st.integers(0, 2 ** 32 - 1))
def test_a_broadcast_run_equals_separate_runs(dtype, K, d, steps, flag, seed):
    """K settings as (K, 1) arrays against θ of shape (K, d) give each row's own run, to the
    tolerance of the module docstring per step (the per-step updates are compared from θ = 0,
    with state carried; see test_functional_adam for why bits can differ)."""
    rng = np.random.default_rng(seed)
    hyper = dict(lr=rng.uniform(1e-3, 1e-1, (K, 1)), beta1=rng.uniform(0.0, 0.99, (K, 1)),
                 beta2=rng.uniform(0.5, 0.999, (K, 1)), eps=10 ** rng.uniform(-10, -6, (K, 1)))
    flag = {**flag, "weight_decay": 0.0}     # so that θ = 0 gives the whole update
    grads = rng.normal(size=(steps, K, d)).astype(dtype)
    together = updates(grads, **hyper, **flag)
    for k in range(K):
        mine = {n: float(h[k, 0]) for n, h in hyper.items()}
        alone = updates(grads[:, k], **mine, **flag)
        tol = tolerance(dtype, mine["beta1"], mine["beta2"])
        for t, (a, b) in enumerate(zip(together, alone), start=1):
            assert a.update.dtype == dtype
            limit = mine["lr"] * bound(t, mine["beta1"], mine["beta2"]) * 2 * tol
            assert np.all(np.abs(a.update[k] - b.update) <= limit)
