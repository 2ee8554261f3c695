"""Every fast path of Adam is the reference step, bit for bit, and refuses what it refuses.

The paths: ``fused=True`` on Python floats (float64 params of a few elements), on one
block and on many blocks of the (2, N) moments buffer; ``foreach=True``, one flat pass
over a group (and its fall-back to per-param steps); and ``adam_scalar_runs``, the
vectorised long runs. Each is run against ``adam_step`` (through the traced class, which
calls it) on every flag, in float32 and float64, with aliased gradients.
"""

import copy
import itertools

import numpy as np
import pytest

import adam_ref
import adam_ref._fast as fast
from adam_ref._fast import adam_scalar_run, adam_scalar_runs
from adam_ref.functional import adam_init, adam_step

FLAGS = [dict(amsgrad=a, maximize=m, weight_decay=w, decoupled_weight_decay=d)
         for a, m, w, d in itertools.product([False, True], [False, True], [0.0, 0.1],
                                             [False, True])]
flag_ids = ["-".join(k[:4] for k, v in f.items() if v) or "plain" for f in FLAGS]

# shapes that take each path of fused=True: Python floats (float64, ≤ 8 elements), one
# block, and — with BLOCK made small — many blocks, the last one shorter
SHAPES = {"scalar": [(), (3,), (2, 4)], "block": [(5, 7), (40,)], "blocks": [(5, 7), (97,)]}


@pytest.fixture
def small_blocks(monkeypatch):
    monkeypatch.setattr(fast, "BLOCK", 64)  # 16 float32 or 8 float64 elements per block


def grads(rng, shape, dtype):
    # magnitudes from 1e-9 (ε dominates) to 10, so every regime of the denominator is hit
    return (rng.standard_normal(shape) * 10.0 ** rng.uniform(-9, 1)).astype(dtype)


def run(shapes, dtype, flags, steps=25, seed=0, **options):
    """Two groups of params stepped ``steps`` times; the second group has its own lr, β
    and a param that has no grad every third step."""
    rng = np.random.default_rng(seed)
    params = [adam_ref.Param(rng.standard_normal(s).astype(dtype)) for s in shapes]
    half = max(1, len(params) // 2)
    groups = [{"params": params[:half]},
              {"params": params[half:], "lr": 0.02, "betas": (0.5, 0.9)}]
    opt = adam_ref.Adam([g for g in groups if g["params"]], lr=0.05, **flags, **options)
    for t in range(steps):
        for i, p in enumerate(params):
            p.grad = None if (i == len(params) - 1 and t % 3 == 1 and i >= half) \
                else grads(rng, p.shape, dtype)
        opt.step()
    return params, opt


def assert_same_run(a, b):
    (params_a, opt_a), (params_b, opt_b) = a, b
    for p, q in zip(params_a, params_b):
        assert p.data.dtype == q.data.dtype
        np.testing.assert_array_equal(p.data, q.data)
    sd_a, sd_b = opt_a.state_dict(), opt_b.state_dict()
    assert sd_a["state"].keys() == sd_b["state"].keys()
    for i, s in sd_a["state"].items():
        assert s.keys() == sd_b["state"][i].keys()
        for key, value in s.items():
            other = sd_b["state"][i][key]
            assert np.shape(other) == np.shape(value)  # arrays of the param's shape
            np.testing.assert_array_equal(other, value)


@pytest.mark.parametrize("flags", FLAGS, ids=flag_ids)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("path", list(SHAPES))
def test_fused_equals_the_reference_on_every_path(path, dtype, flags, request):
    if path == "blocks":
        request.getfixturevalue("small_blocks")
    shapes = SHAPES[path]
    assert_same_run(run(shapes, dtype, flags), run(shapes, dtype, flags, fused=True))


@pytest.mark.parametrize("flags", FLAGS, ids=flag_ids)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("blocks", [False, True], ids=["flat", "flat-blocks"])
def test_foreach_equals_the_reference(blocks, dtype, flags, request):
    if blocks:
        request.getfixturevalue("small_blocks")
    shapes = [(3, 4), (), (7,), (2, 2, 2), (5,), (6,)]  # the last one skips steps: fall-back
    reference = run(shapes, dtype, flags)
    assert_same_run(reference, run(shapes, dtype, flags, foreach=True))


def test_a_large_array_takes_several_real_blocks():
    n = 3 * fast.BLOCK // 4 + 5  # float32: three blocks of 64 Ki elements and a short one
    reference = run([(n,)], np.float32, FLAGS[-1], steps=3)
    assert_same_run(reference, run([(n,)], np.float32, FLAGS[-1], steps=3, fused=True))


def test_the_state_arrays_are_views_of_one_buffer_and_stay_so():
    p = adam_ref.Param(np.ones((2, 3)))
    opt = adam_ref.Adam([p], fused=True)
    p.grad = np.ones((2, 3))
    opt.step()
    m, v = opt.state[p]["exp_avg"], opt.state[p]["exp_avg_sq"]
    assert m.shape == v.shape == (2, 3)
    assert m.base is not None and m.base is v.base  # the two rows of one (2, N) buffer
    opt.step()
    assert opt.state[p]["exp_avg"] is m  # updated in place, its identity kept


@pytest.mark.parametrize("options", [dict(fused=True), dict(foreach=True)], ids=["fused", "foreach"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("how", ["own param", "other param", "state", "view"])
def test_aliased_gradients_are_read_as_the_reference_reads_them(how, dtype, options):
    def runs(**opts):
        rng = np.random.default_rng(5)
        buffer = rng.standard_normal(12).astype(dtype)
        params = [adam_ref.Param(rng.standard_normal(4).astype(dtype)) for _ in range(2)]
        params.append(adam_ref.Param(buffer[:4]))  # a view of a larger buffer
        opt = adam_ref.Adam(params, lr=0.05, weight_decay=0.1, **opts)
        for t in range(10):
            for p in params:
                p.grad = rng.standard_normal(4).astype(dtype)
            if t >= 1:
                if how == "own param":
                    params[0].grad = params[0].data
                elif how == "other param":
                    params[1].grad, params[0].grad = params[0].data, params[2].data
                elif how == "state":  # with foreach, views of the group's one buffer
                    params[0].grad = opt.state[params[1]]["exp_avg"]
                    params[2].grad = opt.state[params[0]]["exp_avg_sq"]
                elif how == "view":
                    params[2].grad = buffer[2:6]  # overlaps params[2].data = buffer[:4]
            opt.step()
        return params, opt
    assert_same_run(runs(), runs(**options))


def test_a_mixed_optimizer_reads_every_gradient_before_writing():
    """A traced group's param as a fused group's gradient: read before the traced write."""
    def runs(fused):
        p, q = adam_ref.Param(np.array([0.3, -0.2])), adam_ref.Param(np.array([1.0, 2.0]))
        opt = adam_ref.Adam([{"params": [p]}, {"params": [q], "fused": fused}], lr=0.1)
        for _ in range(5):
            p.grad, q.grad = np.array([1.0, -1.0]), p.data
            opt.step()
        return [p, q], opt
    assert_same_run(runs(False), runs(True))


def test_resuming_from_a_checkpoint_continues_bit_for_bit():
    shapes = [(3,), (4, 2), (20,)]
    for options in (dict(fused=True), dict(foreach=True)):
        params, opt = run(shapes, np.float32, FLAGS[5], steps=5, seed=2, **options)
        saved = copy.deepcopy(opt.state_dict())
        fresh = adam_ref.Adam([{"params": g["params"]} for g in opt.param_groups], **options)
        fresh.load_state_dict(saved)
        assert all(type(v) is np.ndarray for s in fresh.state.values() for k, v in s.items()
                   if k != "step")
        rng = np.random.default_rng(9)
        twin = [adam_ref.Param(p.data.copy()) for p in params]
        ref = adam_ref.Adam([{"params": twin[:1]}, {"params": twin[1:], "lr": 0.02,
                                                     "betas": (0.5, 0.9)}], lr=0.05, **FLAGS[5])
        traced = copy.deepcopy(saved)
        for group in traced["param_groups"]:
            group.update(fused=False, foreach=None)
        ref.load_state_dict(traced)
        for _ in range(4):
            for p, q in zip(params, twin):
                p.grad = q.grad = grads(rng, p.shape, np.float32)
            fresh.step()
            ref.step()
        for p, q in zip(params, twin):
            np.testing.assert_array_equal(p.data, q.data)


# --------------------------------------------------------------------------- refusals

def snapshot(opt, params):
    return [(p.data.copy(), copy.deepcopy(opt.state.get(p))) for p in params]


def assert_unchanged(before, after):
    for (data_a, state_a), (data_b, state_b) in zip(before, after):
        np.testing.assert_array_equal(data_a, data_b)
        assert (state_a is None) == (state_b is None)
        if state_a is not None:
            assert state_a.keys() == state_b.keys()
            for key in state_a:
                np.testing.assert_array_equal(state_a[key], state_b[key])


BAD = [("lr", float("nan"), ValueError, "Invalid learning rate: nan"),
       ("lr", -1.0, ValueError, "Invalid learning rate: -1.0"),
       ("betas", (1.0, 0.999), ValueError, "Invalid beta parameter at index 0: 1.0"),
       ("betas", (0.9, -0.1), ValueError, "Invalid beta parameter at index 1: -0.1"),
       ("eps", -1e-8, ValueError, "Invalid epsilon value"),
       ("weight_decay", -0.1, ValueError, "Invalid weight_decay value: -0.1"),
       ("amsgrad", "yes", TypeError, "amsgrad must be True or False"),
       ("maximize", None, TypeError, "maximize must be True or False")]


@pytest.mark.parametrize("options,shape,dtype", [
    (dict(fused=True), (3,), np.float64),        # Python floats
    (dict(fused=True), (6, 5), np.float32),      # one block
    (dict(foreach=True), (6, 5), np.float64)],   # one flat pass
    ids=["scalar", "block", "foreach"])
def test_every_fast_path_refuses_a_bad_value_the_moment_it_appears(options, shape, dtype):
    for key, value, error, match in BAD:
        params = [adam_ref.Param(np.ones(shape, dtype)) for _ in range(3)]
        opt = adam_ref.Adam(params, lr=0.1, **options)
        for _ in range(2):
            for p in params:
                p.grad = np.full(shape, 0.5, dtype)
            opt.step()
        opt.param_groups[0][key] = value
        before = snapshot(opt, params)
        with pytest.raises(error, match=match):
            opt.step()
        assert_unchanged(before, snapshot(opt, params))
    params = [adam_ref.Param(np.ones(shape, dtype)) for _ in range(3)]
    opt = adam_ref.Adam(params, **options)
    for p in params:
        p.grad = np.ones(shape, dtype)
    opt.step()
    params[2].grad = np.full(shape, np.nan, dtype)
    before = snapshot(opt, params)
    with pytest.raises(FloatingPointError, match="param 2: grad has"):
        opt.step()
    assert_unchanged(before, snapshot(opt, params))


def test_foreach_is_a_switch():
    with pytest.raises(TypeError, match="foreach must be True or False"):
        adam_ref.Adam([adam_ref.Param(np.ones(2))], foreach="yes")
    assert adam_ref.AdamW([adam_ref.Param(np.ones(2))], foreach=True).defaults["foreach"] is True


# --------------------------------------------------------------------------- long runs

@pytest.mark.parametrize("chunk", [None, 64], ids=["one-chunk", "chunks"])
@pytest.mark.parametrize("flags", FLAGS, ids=flag_ids)
def test_scalar_runs_are_the_scalar_run_and_the_step(flags, chunk, monkeypatch):
    if chunk:  # the recurrences carried over chunk boundaries (the last chunk shorter)
        monkeypatch.setattr(fast, "CHUNK", chunk)
    rng = np.random.default_rng(11)
    steps = 300
    g = rng.standard_normal((3, steps)) * 10.0 ** rng.uniform(-9, 2, (3, steps))
    g[1] = g[0]  # rows with the same gradients share their moments
    lrs = 0.3 / np.sqrt(np.arange(1, steps + 1))
    x0 = np.array([0.2, 0.2, -0.1])
    switches = (flags["amsgrad"], not flags["amsgrad"], flags["amsgrad"])
    hyper = dict(beta1=0.8, beta2=0.99, eps=1e-8, **{k: v for k, v in flags.items()
                                                     if k != "amsgrad"})
    xs = adam_scalar_runs(g, lrs, x0, amsgrad=switches, bounds=(-0.5, 0.5), **hyper)
    for k in range(3):
        one = adam_scalar_run(g[k], lrs, x0[k], amsgrad=switches[k], bounds=(-0.5, 0.5), **hyper)
        np.testing.assert_array_equal(xs[k], one)
    theta, state = np.array([x0[2]]), adam_init(np.zeros(1))  # and the step itself
    for t in range(steps):
        theta, state, _ = adam_step(theta, g[2, t:t + 1], state, lr=float(lrs[t]),
                                    amsgrad=switches[2], **hyper)
        theta = np.clip(theta, -0.5, 0.5)
        assert xs[2, t] == theta[0], t
    unbounded = adam_scalar_runs(g[:1], lrs, amsgrad=switches[0], **hyper)
    np.testing.assert_array_equal(unbounded[0], adam_scalar_run(g[0], lrs, amsgrad=switches[0],
                                                                **hyper))


def test_scalar_runs_check_as_the_step_checks():
    g = np.ones((2, 3))
    for kwargs, error, match in ((dict(beta1=1.0), ValueError, "Invalid beta parameter at index 0"),
                                 (dict(eps=-1.0), ValueError, "Invalid epsilon value"),
                                 (dict(amsgrad=(False, "no")), TypeError, "amsgrad"),
                                 (dict(amsgrad=(False,)), ValueError, "one switch or 2"),
                                 (dict(lr=[0.1, np.nan, 0.1]), ValueError,
                                  "Invalid learning rate: nan"),
                                 (dict(x0=[0.0, np.inf]), ValueError, "x0 must be finite"),
                                 (dict(lr=[0.1, 0.2]), ValueError, "must broadcast")):
        with pytest.raises(error, match=match):
            adam_scalar_runs(g, **{"lr": 0.1, **kwargs})
    with pytest.raises(FloatingPointError, match="grads"):
        adam_scalar_runs(np.array([[1.0, np.inf]]), 0.1)
    with pytest.raises(ValueError, match="shape \\(runs, steps\\)"):
        adam_scalar_runs(np.ones(3), 0.1)


def test_the_functional_step_checks_a_changed_value_at_once():
    """The step skips re-checking values that are the very objects it checked last time;
    any new value is checked, wherever it comes from."""
    theta, state = np.ones(2), adam_init(np.ones(2))
    lr = 0.1
    for _ in range(3):
        theta, state, _ = adam_step(theta, np.ones(2), state, lr=lr)
    for bad, match in ((float("nan"), "Invalid learning rate: nan"), (-0.5, "Invalid learning rate")):
        with pytest.raises(ValueError, match=match):
            adam_step(theta, np.ones(2), state, lr=bad)
    with pytest.raises(TypeError, match="amsgrad must be True or False"):
        adam_step(theta, np.ones(2), state, lr=lr, amsgrad=1)
    betas = np.array([[0.9], [1.0]])  # arrays are checked every call, whatever their identity
    with pytest.raises(ValueError, match="Invalid beta parameter at index 0: 1.0"):
        adam_step(np.ones((2, 2)), np.ones((2, 2)), adam_init(np.ones((2, 2))), beta1=betas)
    betas[1] = 0.5
    adam_step(np.ones((2, 2)), np.ones((2, 2)), adam_init(np.ones((2, 2))), beta1=betas)
    betas[1] = 1.0
    with pytest.raises(ValueError, match="Invalid beta parameter at index 0: 1.0"):
        adam_step(np.ones((2, 2)), np.ones((2, 2)), adam_init(np.ones((2, 2))), beta1=betas)
