"""adam_step against its own equations: every trace field, purity, broadcasting, repr."""

import re

import numpy as np
import pytest

from adam_ref.functional import AdamState, adam_init, adam_step


def random_state(rng, shape, t, dtype):
    m = (rng.normal(size=shape) * 0.1).astype(dtype)
    v = rng.uniform(0, 0.1, size=shape).astype(dtype)
    v_max = (v + rng.uniform(0, 0.05, size=shape)).astype(dtype)
    return AdamState(t, m, v, v_max)


SETTINGS = [
    dict(),
    dict(amsgrad=True),
    dict(weight_decay=0.1),
    dict(weight_decay=0.1, decoupled_weight_decay=True, amsgrad=True),
    dict(maximize=True, weight_decay=0.05),
    dict(maximize=True, decoupled_weight_decay=True, weight_decay=0.3, amsgrad=True),
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("flags", SETTINGS)
def test_every_trace_field_is_its_equation(flags, dtype):
    rng = np.random.default_rng(0)
    theta = rng.normal(size=(3, 4)).astype(dtype)
    grad = rng.normal(size=(3, 4)).astype(dtype)
    state = random_state(rng, (3, 4), t=6, dtype=dtype)
    lr, beta1, beta2, eps = 0.01, 0.8, 0.99, 1e-6
    wd = flags.get("weight_decay", 0.0)
    theta_next, new, tr = adam_step(theta, grad, state, lr=lr, beta1=beta1, beta2=beta2,
                                    eps=eps, **flags)
    g = -grad if flags.get("maximize") else grad
    if wd and not flags.get("decoupled_weight_decay"):
        g = g + wd * theta                                     # L2: g + λ·θ
    theta_decayed = theta * (1 - lr * wd) if flags.get("decoupled_weight_decay") else theta
    assert tr.t == new.t == 7
    np.testing.assert_array_equal(tr.g, g)
    np.testing.assert_array_equal(tr.m, beta1 * state.m + (1 - beta1) * g)
    # (1 − β2)·g·g grouped left to right, as torch's addcmul_ rounds it
    np.testing.assert_array_equal(tr.v, beta2 * state.v + (1 - beta2) * g * g)
    assert tr.bias_correction1 == 1 - beta1 ** 7
    assert tr.bias_correction2 == 1 - beta2 ** 7
    np.testing.assert_array_equal(tr.m_hat, tr.m / (1 - beta1 ** 7))
    if flags.get("amsgrad"):
        np.testing.assert_array_equal(tr.v_max, np.maximum(state.v_max, tr.v))
        np.testing.assert_array_equal(tr.v_hat, tr.v_max / (1 - beta2 ** 7))
        np.testing.assert_array_equal(new.v_max, tr.v_max)
    else:
        assert tr.v_max is None
        np.testing.assert_array_equal(tr.v_hat, tr.v / (1 - beta2 ** 7))
    np.testing.assert_array_equal(tr.denom, np.sqrt(tr.v_hat) + eps)
    np.testing.assert_array_equal(tr.theta, theta_decayed - lr * tr.m_hat / tr.denom)
    np.testing.assert_array_equal(tr.update, tr.theta - theta)
    np.testing.assert_array_equal(theta_next, tr.theta)
    np.testing.assert_array_equal(new.m, tr.m)
    np.testing.assert_array_equal(new.v, tr.v)
    for name, value in tr.items():
        if isinstance(value, np.ndarray):
            assert value.dtype == dtype, name
    # the algebra, in another order of operations: θ_t − θ' = −α·m̂/(√v̂ + ε), up to the
    # rounding of θ_t itself (half an ulp of θ)
    np.testing.assert_allclose(tr.theta - theta_decayed,
                               -lr * (tr.m / tr.bias_correction1) / (np.sqrt(tr.v_hat) + eps),
                               rtol=1e-5, atol=np.spacing(np.abs(theta_decayed).max()))


def test_first_state_and_init():
    theta = np.array([1.0, -2.0], dtype=np.float32)
    s = adam_init(theta)
    assert s.t == 0
    for array in (s.m, s.v, s.v_max):
        assert array.dtype == np.float32 and not array.any()
        assert not np.shares_memory(array, theta)
    with pytest.raises(TypeError, match="int64"):
        adam_init(np.arange(3))


@pytest.mark.parametrize("flags", SETTINGS)
def test_adam_step_never_mutates_its_inputs(flags):
    rng = np.random.default_rng(1)
    theta = rng.normal(size=5)
    grad = rng.normal(size=5)
    state = random_state(rng, 5, t=3, dtype=np.float64)
    arrays = [theta, grad, state.m, state.v, state.v_max]
    before = [a.tobytes() for a in arrays]
    theta_next, new, trace = adam_step(theta, grad, state, lr=0.1, **flags)
    assert [a.tobytes() for a in arrays] == before
    # nothing returned aliases an input: changing the outputs cannot reach the inputs
    for out in [theta_next, new.m, new.v, trace.g, trace.m_hat, trace.theta]:
        for a in arrays:
            assert not np.shares_memory(out, a)
    # read-only inputs work, and give the same numbers
    for a in arrays:
        a.flags.writeable = False
    theta_ro, new_ro, _ = adam_step(theta, grad, state, lr=0.1, **flags)
    np.testing.assert_array_equal(theta_ro, theta_next)
    np.testing.assert_array_equal(new_ro.v, new.v)
    assert [a.tobytes() for a in arrays] == before


def test_array_likes_and_python_floats():
    theta_next, _, trace = adam_step([1.0, 2.0], [0.5, -0.5], adam_init(np.array([1.0, 2.0])),
                                     lr=0.1)
    assert theta_next.dtype == np.float64
    np.testing.assert_allclose(trace.update, [-0.1, 0.1], rtol=1e-6)


# --------------------------------------------------------------------------- broadcasting

K, D, T = 5, 4, 200


def broadcast_and_separate(dtype, steps, flags, seed=0):
    rng = np.random.default_rng(seed)
    hyper = dict(lr=rng.uniform(1e-3, 1e-1, (K, 1)), beta1=rng.uniform(0.5, 0.99, (K, 1)),
                 beta2=rng.uniform(0.9, 0.9999, (K, 1)), eps=10 ** rng.uniform(-10, -6, (K, 1)),
                 weight_decay=rng.uniform(0, 0.1, (K, 1)) if flags.get("decay") else 0.0)
    flags = {k: v for k, v in flags.items() if k != "decay"}
    theta0 = rng.normal(size=(K, D)).astype(dtype)
    grads = rng.normal(size=(steps, K, D)).astype(dtype)
    together, state = theta0, adam_init(theta0)
    traces = []
    for g in grads:
        together, state, tr = adam_step(together, g, state, **hyper, **flags)
        traces.append(tr)
    alone, alone_traces = [], []
    for k in range(K):
        x, s, rows = theta0[k], adam_init(theta0[k]), []
        mine = {n: (float(h[k, 0]) if np.ndim(h) else h) for n, h in hyper.items()}
        for g in grads:
            x, s, tr = adam_step(x, g[k], s, **mine, **flags)
            rows.append(tr)
        alone.append(x)
        alone_traces.append(rows)
    return together, state, traces, np.stack(alone), alone_traces


@pytest.mark.parametrize("flags", [dict(), dict(amsgrad=True, maximize=True),
                                   dict(decay=True), dict(decay=True, amsgrad=True,
                                                          decoupled_weight_decay=True)])
def test_broadcast_first_step_is_exact_in_float64(flags):
    """At t = 1 (β^1 = β) a (K, d) run takes the very same operations as K runs: identical bits."""
    together, _, traces, alone, alone_traces = broadcast_and_separate(np.float64, 1, flags)
    assert together.tobytes() == alone.tobytes()
    for name, value in traces[0].items():
        if isinstance(value, np.ndarray) and value.shape == (K, D):
            for k in range(K):
                assert value[k].tobytes() == getattr(alone_traces[k][0], name).tobytes(), name


def test_broadcast_moments_are_exact_in_float64_without_decay():
    """m and v involve no power of β, so they stay bit-identical over 200 steps."""
    _, state, _, _, alone_traces = broadcast_and_separate(np.float64, T, dict(amsgrad=True))
    for k in range(K):
        assert state.m[k].tobytes() == alone_traces[k][-1].m.tobytes()
        assert state.v[k].tobytes() == alone_traces[k][-1].v.tobytes()


@pytest.mark.parametrize("dtype,rtol", [(np.float64, 1e-14), (np.float32, 1e-5)])
@pytest.mark.parametrize("flags", [dict(), dict(decay=True, amsgrad=True),
                                   dict(decay=True, decoupled_weight_decay=True)])
def test_broadcast_run_equals_separate_runs(dtype, rtol, flags):
    """The strongest statement that holds over 200 steps: agreement to a few ulps, not bits.

    Two sources of difference, both measured: NumPy's vectorised ``β ** t`` on an
    array is not always the same double as Python's ``β ** t`` (about 5 % of
    values differ by 1 ulp, and 1 − β2^t then cancels, so the bias correction may
    differ by ~100 ulps at small t); and array hyperparameters are cast to
    float32 for a float32 θ, so 1 − β is formed in float32, while a Python float
    forms it in float64 (as torch does) and rounds once. Measured after 200 steps:
    at most 1.5e-16 (float64) and 5e-7 (float32) of each run's largest |θ|.
    """
    together, _, _, alone, _ = broadcast_and_separate(dtype, T, flags)
    assert together.dtype == dtype
    scale = np.abs(alone).max(axis=1, keepdims=True)
    assert np.all(np.abs(together - alone) <= rtol * scale)


# --------------------------------------------------------------------------- repr, ε̂ form

def test_trace_repr_is_readable():
    theta = np.array([1.0, 2.0, 3.0])
    _, _, trace = adam_step(theta, np.array([0.5, -0.25, 1.0]), adam_init(theta), lr=0.1)
    text = repr(trace)
    assert text.startswith("AdamTrace(")
    assert "\n    t=1," in text
    assert "bias_correction1=0.1," in text
    assert "v_max=None," in text
    m_line = next(line for line in text.splitlines() if line.startswith("    m="))
    shown = [float(x) for x in re.findall(r"-?\d+\.?\d*(?:e[-+]?\d+)?", m_line)]
    np.testing.assert_allclose(shown, trace.m, rtol=1e-5)
    assert "array(" not in text and "dtype" not in text
    big = np.linspace(-1.0, 1.0, 1000)
    _, _, trace = adam_step(big, big, adam_init(big), amsgrad=True)
    text = repr(trace)
    assert "g=<array shape=(1000,) dtype=float64 min=-1 max=1>," in text
    assert len(text.splitlines()) == len(trace.items()) + 2
    assert len(text) < 1200


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_first_step_with_eps_zero_moves_by_lr_sign_g(dtype):
    """Keras' check: at t = 1 with ε = 0, m̂ = g and √v̂ = |g|, so Δθ = −α·sign(g).

    Rounding makes m̂/√v̂ = ±1 to within 2 machine epsilons (measured: at most
    2·eps over 25 000 random coordinates spanning 30 decades), not exactly ±1.
    """
    rng = np.random.default_rng(2)
    for _ in range(50):
        theta = rng.normal(size=40).astype(dtype)
        grad = (rng.normal(size=40) * 10.0 ** rng.uniform(-15, 15, 40)).astype(dtype)
        lr, beta1, beta2 = 10 ** rng.uniform(-4, 0), rng.uniform(0, 0.999), rng.uniform(0, 0.9999)
        _, _, tr = adam_step(theta, grad, adam_init(theta), lr=lr, beta1=beta1, beta2=beta2,
                             eps=0.0)
        ratio = tr.m_hat / tr.denom
        assert np.all(np.abs(ratio - np.sign(grad)) <= 2 * np.finfo(dtype).eps)
        step = theta - (theta - lr * np.sign(grad)).astype(dtype)
        assert np.all(np.abs(tr.update + step) <= 4 * np.spacing(np.abs(theta) + lr))


def test_keras_eps_hat_form_agrees():
    """Keras/TF: α_t = α·√(1 − β2^t)/(1 − β1^t), θ − α_t·m/(√v + ε̂), with ε̂ = ε·√(1 − β2^t)."""
    rng = np.random.default_rng(3)
    theta, lr, beta1, beta2, eps = rng.normal(size=6), 0.01, 0.9, 0.999, 1e-8
    state, keras, m, v = adam_init(theta), theta.copy(), np.zeros(6), np.zeros(6)
    for t in range(1, 101):
        g = rng.normal(size=6)
        theta, state, _ = adam_step(theta, g, state, lr=lr, beta1=beta1, beta2=beta2, eps=eps)
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        lr_t = lr * np.sqrt(1 - beta2 ** t) / (1 - beta1 ** t)
        keras = keras - lr_t * m / (np.sqrt(v) + eps * np.sqrt(1 - beta2 ** t))
    np.testing.assert_allclose(theta, keras, rtol=1e-12)


@pytest.mark.parametrize("bad,error,match", [
    (dict(grad=np.ones(4)), ValueError, r"grad has shape \(4,\) but theta has shape \(3,\)"),
    (dict(grad=np.ones(3, dtype=int)), TypeError, "int64"),
    (dict(theta=np.ones(3, dtype=complex)), TypeError, "complex128"),
    (dict(state=AdamState(0, np.zeros(2), np.zeros(3), np.zeros(3))), ValueError,
     r"state\.m has shape"),
    (dict(lr=True), TypeError, "real number"),
    (dict(lr="0.1"), TypeError, "real number"),
])
def test_bad_inputs_raise_and_name_the_problem(bad, error, match):
    args = dict(theta=np.zeros(3), grad=np.ones(3), state=adam_init(np.zeros(3)))
    hyper = {k: v for k, v in bad.items() if k not in args}
    args.update({k: v for k, v in bad.items() if k in args})
    with pytest.raises(error, match=match):
        adam_step(args["theta"], args["grad"], args["state"], **hyper)


@pytest.mark.parametrize("hyper,message", [
    ({"beta1": 1.0}, "Invalid beta parameter at index 0: 1.0"),
    ({"beta2": 1.5}, "Invalid beta parameter at index 1: 1.5"),
    ({"lr": -0.1}, "Invalid learning rate: -0.1"),
    ({"lr": float("nan")}, "Invalid learning rate: nan"),
    ({"eps": -1.0}, "Invalid epsilon value: -1.0"),
    ({"weight_decay": -1e-2}, "Invalid weight_decay value: -0.01"),
    ({"lr": np.array([[0.1], [-0.2]])}, "Invalid learning rate: -0.2"),
])
def test_out_of_range_hyperparameters_are_refused_with_torchs_messages(hyper, message):
    theta = np.ones((2, 3))
    with pytest.raises(ValueError, match=re.escape(message)):
        adam_step(theta, np.ones((2, 3)), adam_init(theta), **hyper)


def test_flags_must_be_bools():
    theta = np.ones(2)
    with pytest.raises(TypeError, match="maximize must be True or False"):
        adam_step(theta, np.ones(2), adam_init(theta), maximize="no")


def test_an_array_hyperparameter_may_not_change_thetas_shape():
    theta = np.ones(2)
    with pytest.raises(ValueError, match=r"lr has shape \(3, 1\)"):
        adam_step(theta, np.ones(2), adam_init(theta), lr=np.full((3, 1), 0.1))
