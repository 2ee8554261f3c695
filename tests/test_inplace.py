"""The in-place ``fused=True`` Adam is bit-identical to the traced reference step."""

import itertools

import numpy as np
import pytest

import adam_ref
from adam_ref._fast import adam_step_inplace
from adam_ref.functional import adam_init, adam_step

FLAGS = list(itertools.product([False, True], [False, True], [0.0, 0.1], [False, True]))


def gradients(rng, shape, dtype, steps):
    # magnitudes from 1e-9 (ε dominates) to 10, so every regime of the denominator is hit
    return [(rng.standard_normal(shape) * 10.0 ** rng.uniform(-9, 1)).astype(dtype)
            for _ in range(steps)]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("amsgrad,maximize,weight_decay,decoupled", FLAGS)
def test_inplace_step_equals_reference_bit_for_bit(dtype, amsgrad, maximize, weight_decay,
                                                   decoupled):
    rng = np.random.default_rng(7)
    hyper = dict(lr=0.05, beta1=0.8, beta2=0.99, eps=1e-8, weight_decay=weight_decay,
                 amsgrad=amsgrad, maximize=maximize, decoupled_weight_decay=decoupled)
    theta = rng.standard_normal((4, 3)).astype(dtype)
    state = adam_init(theta)
    fast, m, v, v_max = theta.copy(), state.m.copy(), state.v.copy(), state.v_max.copy()
    for t, g in enumerate(gradients(rng, theta.shape, dtype, 60), start=1):
        theta, state, _ = adam_step(theta, g, state, **hyper)
        adam_step_inplace(fast, g, m, v, v_max, t, **hyper)
        assert fast.dtype == dtype
        np.testing.assert_array_equal(fast, theta)
        np.testing.assert_array_equal(m, state.m)
        np.testing.assert_array_equal(v, state.v)
        if amsgrad:
            np.testing.assert_array_equal(v_max, state.v_max)


def run(fused, dtype, rng_seed=3):
    """Two groups, a grad-less step, an lr change and amsgrad switched on mid-run."""
    rng = np.random.default_rng(rng_seed)
    a = adam_ref.Param(rng.standard_normal(5).astype(dtype), name="a")
    b = adam_ref.Param(rng.standard_normal((2, 3)).astype(dtype), name="b")
    c = adam_ref.Param(np.asarray(rng.standard_normal(), dtype=dtype), name="c")  # 0-d
    opt = adam_ref.Adam([{"params": [a, c]},
                         {"params": [b], "lr": 0.02, "betas": (0.5, 0.9), "maximize": True,
                          "weight_decay": 0.1}], lr=0.01, fused=fused)
    for t in range(80):
        for p in (a, b, c):
            p.grad = None if (p is b and t % 7 == 3) else \
                rng.standard_normal(p.shape).astype(dtype)
        if t == 30:
            opt.param_groups[0]["lr"] = 0.003
        if t == 50:
            opt.param_groups[1]["amsgrad"] = True
        opt.step()
    return [a.data, b.data, c.data], opt


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fused_optimizer_equals_reference_optimizer(dtype):
    ref_data, ref = run(False, dtype)
    fused_data, fused = run(True, dtype)
    for x, y in zip(ref_data, fused_data):
        assert y.dtype == dtype
        np.testing.assert_array_equal(x, y)
    ref_sd, fused_sd = ref.state_dict(), fused.state_dict()
    assert ref_sd["state"].keys() == fused_sd["state"].keys()
    for i, s in ref_sd["state"].items():
        assert s.keys() == fused_sd["state"][i].keys()
        for key in s:
            np.testing.assert_array_equal(s[key], fused_sd["state"][i][key])


def test_fused_step_keeps_no_trace_and_reference_step_does():
    p, q = adam_ref.Param(np.ones(3)), adam_ref.Param(np.ones(3))
    opt = adam_ref.Adam([{"params": [p]}, {"params": [q], "fused": True}])
    p.grad = q.grad = np.ones(3)
    opt.step()
    assert p in opt.last_trace and q not in opt.last_trace
    np.testing.assert_array_equal(p.data, q.data)


def test_failed_fused_step_changes_nothing():
    p, q = adam_ref.Param(np.ones(3)), adam_ref.Param(np.zeros(2))
    opt = adam_ref.Adam([p, q], fused=True)
    p.grad, q.grad = np.ones(3), np.ones(2)
    opt.step()
    before = (p.data.copy(), q.data.copy(), opt.state_dict())
    p.grad, q.grad = np.ones(3), np.array([1.0, np.nan])
    with pytest.raises(FloatingPointError):
        opt.step()
    np.testing.assert_array_equal(p.data, before[0])
    np.testing.assert_array_equal(q.data, before[1])
    after = opt.state_dict()
    for i in (0, 1):
        for key, value in before[2]["state"][i].items():
            np.testing.assert_array_equal(after["state"][i][key], value)


def test_fused_resumes_from_reference_state():
    """A state written by the reference path continues identically under fused=True."""
    rng = np.random.default_rng(0)
    grads = [rng.standard_normal(4) for _ in range(20)]
    p, q = adam_ref.Param(np.ones(4)), adam_ref.Param(np.ones(4))
    ref, mixed = adam_ref.Adam([p], amsgrad=True), adam_ref.Adam([q], amsgrad=True)
    for t, g in enumerate(grads):
        if t == 10:
            mixed.param_groups[0]["fused"] = True
        p.grad = q.grad = g
        ref.step()
        mixed.step()
    np.testing.assert_array_equal(p.data, q.data)
    np.testing.assert_array_equal(ref.state[p]["max_exp_avg_sq"], mixed.state[q]["max_exp_avg_sq"])


def test_fused_takes_over_a_zero_dim_param_from_the_reference_path():
    """A traced step leaves NumPy scalars as the moments of a 0-d param; fused steps must
    still update them (and so stay equal to the reference)."""
    rng = np.random.default_rng(5)
    grads = rng.standard_normal(6)
    p, q = adam_ref.Param(np.array(0.7)), adam_ref.Param(np.array(0.7))
    ref, mixed = adam_ref.Adam([p], lr=0.1), adam_ref.Adam([q], lr=0.1)
    for t, g in enumerate(grads):
        if t == 3:
            mixed.param_groups[0]["fused"] = True
        p.grad, q.grad = np.array(g), np.array(g)
        ref.step()
        mixed.step()
    np.testing.assert_array_equal(q.data, p.data)
    for key in ("exp_avg", "exp_avg_sq"):
        np.testing.assert_array_equal(mixed.state[q][key], ref.state[p][key])


def test_fused_step_leaves_an_earlier_trace_as_it_was():
    p = adam_ref.Param(np.array([1.0, 0.5]))
    opt = adam_ref.Adam([p], lr=0.1)
    p.grad = np.array([0.5, 0.3])
    opt.step()
    trace = opt.last_trace[p]
    m_before = trace.m.copy()
    opt.param_groups[0]["fused"] = True
    opt.step()
    np.testing.assert_array_equal(trace.m, m_before)


def test_fused_step_with_state_of_the_wrong_shape_changes_nothing():
    p = adam_ref.Param(np.ones(2))
    opt = adam_ref.Adam([p], fused=True)
    p.grad = np.ones(2)
    opt.step()
    p.data = np.ones(3)  # the param was rebuilt with another shape; its state was not
    p.grad = np.ones(3)
    before = {k: np.copy(v) for k, v in opt.state[p].items()}
    with pytest.raises(ValueError, match="'exp_avg' has shape"):
        opt.step()
    np.testing.assert_array_equal(p.data, np.ones(3))
    for key, value in before.items():
        np.testing.assert_array_equal(opt.state[p][key], value)


@pytest.mark.parametrize("cls,options", [(adam_ref.AdamW, {}), (adam_ref.Adam, {"maximize": True})])
def test_a_grad_that_is_the_param_itself_is_read_once_on_both_paths(cls, options):
    """w.grad = w.data (∇ of ½‖w‖²): both paths read the gradient as it is when step() is
    called, so they stay bit-identical (torch's in-place AdamW reads it after the decay)."""
    runs = []
    for fused in (False, True):
        w = adam_ref.Param(np.array([0.3, -0.8]))
        opt = cls([w], lr=0.05, eps=1e-3, fused=fused, **options)
        for _ in range(20):
            w.grad = w.data
            opt.step()
        runs.append((w.data.copy(), opt.state[w]["exp_avg"].copy()))
    np.testing.assert_array_equal(runs[0][0], runs[1][0])
    np.testing.assert_array_equal(runs[0][1], runs[1][1])


@pytest.mark.parametrize("amsgrad,maximize,weight_decay,decoupled", FLAGS)
def test_scalar_run_equals_the_reference_step_bit_for_bit(amsgrad, maximize, weight_decay,
                                                          decoupled):
    from adam_ref._fast import adam_scalar_run
    rng = np.random.default_rng(11)
    grads = rng.standard_normal(400) * 10.0 ** rng.uniform(-9, 2, 400)
    lrs = 0.3 / np.sqrt(np.arange(1, 401))
    hyper = dict(beta1=0.8, beta2=0.99, eps=1e-8, weight_decay=weight_decay, amsgrad=amsgrad,
                 maximize=maximize, decoupled_weight_decay=decoupled)
    fast = adam_scalar_run(grads, lrs, 0.2, bounds=(-0.5, 0.5), **hyper)
    theta, state = np.array([0.2]), adam_init(np.zeros(1))
    for t, (g, lr) in enumerate(zip(grads, lrs)):
        theta, state, _ = adam_step(theta, np.array([g]), state, lr=float(lr), **hyper)
        theta = np.clip(theta, -0.5, 0.5)
        assert fast[t] == theta[0], t


def test_scalar_run_checks_as_the_step_checks():
    from adam_ref._fast import adam_scalar_run
    for kwargs, error, match in ((dict(beta1=1.0), ValueError, "Invalid beta parameter at index 0"),
                                 (dict(eps=-1.0), ValueError, "Invalid epsilon value"),
                                 (dict(amsgrad="no"), TypeError, "amsgrad")):
        with pytest.raises(error, match=match):
            adam_scalar_run(np.ones(3), 0.1, **kwargs)
    with pytest.raises(ValueError, match="Invalid learning rate: nan"):
        adam_scalar_run(np.ones(3), [0.1, np.nan, 0.1])
    with pytest.raises(FloatingPointError, match="grads"):
        adam_scalar_run(np.array([1.0, np.inf]), 0.1)
