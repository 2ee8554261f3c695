"""SGD, RMSprop and Adamax: against torch (golden and live), their equations, and the API.

Golden runs (``tests/golden/family_optim.npz``, written by
``tests/golden/make_family_golden.py``) replay 300 torch steps of every flag
combination without torch; the live tests run torch itself where it is
installed. adam_ref writes β·m + (1 − β)·g where torch calls ``lerp_``, so the
last bit may differ: float64 runs agree to ~1e-12 relative (we assert 1e-9),
float32 runs to ~1e-6 (we assert 1e-4).
"""

import copy

import numpy as np
import pytest
from _golden import NO_TORCH, generator, load_runs
from hypothesis import given, settings
from hypothesis import strategies as st

import adam_ref
from adam_ref import SGD, Adamax, Param, RMSprop
from adam_ref.functional import (AdamaxState, RMSpropState, SGDState, adamax_init, adamax_step,
                                 rmsprop_init, rmsprop_step, sgd_init, sgd_step)

RTOL = {"float64": 1e-9, "float32": 1e-4}

gen = generator("make_family_golden")
RUNS = gen.OPTIMIZER_RUNS


def run_id(run):
    flags = ",".join(f"{k}={v}" for k, v in run["hyper"].items() if k != "lr")
    return f"{run['optimizer']}-{run['dtype']}-{flags}"


def make(run, params):
    hyper = dict(run["hyper"])
    if "betas" in hyper:
        hyper["betas"] = tuple(hyper["betas"])
    return getattr(adam_ref, run["optimizer"])(params, **hyper)


def ours(run, theta0, grads):
    """θ at the golden checkpoints, the final state and every trace's dtype."""
    p = Param(theta0.copy())
    opt = make(run, [p])
    thetas, dtypes = [], set()
    for k in range(len(grads)):
        p.grad = grads[k]
        opt.step()
        dtypes.update(v.dtype for _, v in opt.last_trace[p].items() if isinstance(v, np.ndarray))
        if k + 1 in gen.CHECKPOINTS:
            thetas.append(p.data.copy())
    return np.array(thetas), opt.state_dict()["state"].get(0, {}), p, dtypes


def close(actual, expected, rtol):
    """Elementwise relative error, with entries near 0 judged against the array's scale."""
    np.testing.assert_allclose(actual, expected, rtol=rtol,
                               atol=rtol * float(np.max(np.abs(expected), initial=0.0)))


def check_against(run, theta0, grads, thetas, state):
    got, got_state, p, dtypes = ours(run, theta0, grads)
    rtol = RTOL[run["dtype"]]
    assert p.data.dtype == np.dtype(run["dtype"]) and dtypes == {np.dtype(run["dtype"])}
    close(got, thetas, rtol)
    assert sorted(got_state) == sorted(state)  # torch's state names, nothing more
    for key, value in state.items():
        if key == "step":
            assert got_state[key] == int(value) == len(grads)
        else:
            assert got_state[key].dtype == value.dtype
            close(got_state[key], value, rtol)


# --------------------------------------------------------------------------- golden

@pytest.fixture(scope="module")
def golden():
    return load_runs("family_optim.npz", RUNS, gen.CHECKPOINTS)


@pytest.mark.parametrize("i", range(len(RUNS)), ids=[run_id(r) for r in RUNS])
def test_golden_torch_run(golden, i):
    run = RUNS[i]
    state = {k[len(f"{i}_"):]: v for k, v in golden.items()
             if k.startswith(f"{i}_") and k != f"{i}_theta"}
    check_against(run, golden[f"theta0_{run['dtype']}"], golden[f"grads_{run['dtype']}"],
                  golden[f"{i}_theta"], state)


def test_golden_covers_every_flag_combination():
    sgd = {tuple(sorted(r["hyper"].items())) for r in RUNS if r["optimizer"] == "SGD"}
    assert len(sgd) == 20  # 2⁵ minus the 12 nesterov settings torch refuses
    rms = {tuple(sorted(r["hyper"].items())) for r in RUNS if r["optimizer"] == "RMSprop"}
    assert len(rms) == 16
    assert {r["dtype"] for r in RUNS} == {"float64", "float32"}


# --------------------------------------------------------------------------- live torch

@pytest.mark.parametrize("i", range(0, len(RUNS), 3), ids=[run_id(r) for r in RUNS[::3]])
def test_live_torch_run(i):
    pytest.importorskip("torch", reason=NO_TORCH)
    run = RUNS[i]
    theta0, grads = gen.optimizer_inputs(run["dtype"], seed=7)
    thetas, state = gen.torch_optimizer_run(run, theta0, grads)
    check_against(run, theta0, grads, thetas, state)


@pytest.mark.parametrize("seed", range(6))
def test_live_random_hyperparameters_and_groups(seed):
    """Two groups with random settings, a param that skips steps, lr changed mid-run."""
    torch = pytest.importorskip("torch", reason=NO_TORCH)
    rng = np.random.default_rng(100 + seed)
    name = ["SGD", "RMSprop", "Adamax"][seed % 3]

    def hyper():
        if name == "SGD":
            nesterov = bool(rng.random() < 0.5)
            return dict(lr=rng.uniform(1e-3, 0.1), momentum=rng.uniform(0.1, 0.99),
                        dampening=0.0 if nesterov else rng.uniform(0, 0.9),
                        weight_decay=rng.uniform(0, 0.1), nesterov=nesterov,
                        maximize=bool(rng.random() < 0.5))
        if name == "RMSprop":
            return dict(lr=rng.uniform(1e-4, 1e-2), alpha=rng.uniform(0.5, 0.999),
                        eps=10 ** rng.uniform(-10, -4), weight_decay=rng.uniform(0, 0.1),
                        momentum=rng.uniform(0, 0.95), centered=bool(rng.random() < 0.5),
                        maximize=bool(rng.random() < 0.5))
        return dict(lr=rng.uniform(1e-4, 1e-2),
                    betas=(rng.uniform(0, 0.99), rng.uniform(0.5, 0.9999)),
                    eps=10 ** rng.uniform(-10, -4), weight_decay=rng.uniform(0, 0.1),
                    maximize=bool(rng.random() < 0.5))

    settings = [hyper(), hyper()]
    inits = [rng.normal(size=(3, 2)), rng.normal(size=4), rng.normal(size=(2, 2))]
    params = [Param(x.copy()) for x in inits]
    tparams = [torch.tensor(x).requires_grad_() for x in inits]
    cls = getattr(adam_ref, name)
    opt = cls([{"params": params[:2], **settings[0]}, {"params": params[2:], **settings[1]}])
    topt = getattr(torch.optim, name)([{"params": tparams[:2], **settings[0]},
                                        {"params": tparams[2:], **settings[1]}], foreach=False)
    for k in range(150):
        if k == 75:
            for group, tgroup in zip(opt.param_groups, topt.param_groups):
                group["lr"] = tgroup["lr"] = group["lr"] * 0.3
        for p, tp in zip(params, tparams):
            skip = p is params[1] and (k < 5 or rng.random() < 0.2)
            g = None if skip else rng.normal(size=p.shape) * 10 ** rng.uniform(-3, 1)
            p.grad, tp.grad = g, None if g is None else torch.tensor(g)
        opt.step()
        topt.step()
    for p, tp in zip(params, tparams):
        close(p.data, tp.detach().numpy(), 1e-9)


def torch_state_dict_as_numpy(sd):
    return {"state": {i: {k: (v.numpy().copy() if k != "step" else float(v))
                          for k, v in s.items()} for i, s in sd["state"].items()},
            "param_groups": sd["param_groups"]}


@pytest.mark.parametrize("name, hyper", [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.2)),
    ("RMSprop", dict(momentum=0.5, centered=True)),
    ("RMSprop", dict()),
    ("Adamax", dict(weight_decay=0.01))])
def test_live_state_dict_matches_torch_and_loads_from_it(name, hyper):
    torch = pytest.importorskip("torch", reason=NO_TORCH)
    rng = np.random.default_rng(3)
    x0 = rng.normal(size=5)
    p, tp = Param(x0.copy()), torch.tensor(x0).requires_grad_()
    opt, topt = getattr(adam_ref, name)([p], **hyper), getattr(torch.optim, name)([tp], **hyper)
    for _ in range(4):
        g = rng.normal(size=5)
        p.grad, tp.grad = g, torch.tensor(g)
        opt.step()
        topt.step()
    sd, tsd = opt.state_dict(), torch_state_dict_as_numpy(topt.state_dict())
    assert sd["state"].keys() == tsd["state"].keys()
    for i in sd["state"]:
        assert sd["state"][i].keys() == tsd["state"][i].keys()
        for key, value in sd["state"][i].items():
            np.testing.assert_allclose(value, tsd["state"][i][key], rtol=1e-12)
    shared = {k: v for k, v in tsd["param_groups"][0].items() if k in sd["param_groups"][0]}
    assert shared == {k: sd["param_groups"][0][k] for k in shared}
    assert set(sd["param_groups"][0]) <= set(tsd["param_groups"][0])

    # torch's state dict (tensors as arrays) loads into a fresh adam_ref optimizer,
    # and both continue identically
    fresh = Param(tp.detach().numpy().copy())
    loaded = getattr(adam_ref, name)([fresh], **hyper)
    loaded.load_state_dict(tsd)
    for _ in range(5):
        g = rng.normal(size=5)
        fresh.grad, tp.grad = g, torch.tensor(g)
        loaded.step()
        topt.step()
    close(fresh.data, tp.detach().numpy(), 1e-12)


BAD_ARGUMENTS = [
    ("SGD", dict(lr=-1.0)), ("SGD", dict(momentum=-0.1)), ("SGD", dict(weight_decay=-1e-3)),
    ("SGD", dict(nesterov=True)), ("SGD", dict(nesterov=True, momentum=0.9, dampening=0.1)),
    ("RMSprop", dict(lr=-1.0)), ("RMSprop", dict(eps=-1e-8)), ("RMSprop", dict(momentum=-0.9)),
    ("RMSprop", dict(weight_decay=-1.0)), ("RMSprop", dict(alpha=-0.5)),
    ("Adamax", dict(lr=-1.0)), ("Adamax", dict(eps=-1.0)), ("Adamax", dict(betas=(1.0, 0.9))),
    ("Adamax", dict(betas=(0.9, -0.1))), ("Adamax", dict(weight_decay=-0.1)),
]


@pytest.mark.parametrize("name, bad", BAD_ARGUMENTS)
def test_live_invalid_arguments_raise_torchs_message(name, bad):
    torch = pytest.importorskip("torch", reason=NO_TORCH)
    with pytest.raises(ValueError) as expected:
        getattr(torch.optim, name)([torch.zeros(2, requires_grad=True)], **bad)
    with pytest.raises(ValueError) as got:
        getattr(adam_ref, name)([Param(np.zeros(2))], **bad)
    assert str(got.value) == str(expected.value)


# --------------------------------------------------------------------------- the API

@pytest.mark.parametrize("name, bad, error, match", [
    ("SGD", dict(lr=float("nan")), ValueError, "learning rate: nan"),  # torch lets it through
    ("SGD", dict(dampening=float("nan")), ValueError, "dampening value: nan"),
    ("SGD", dict(dampening=-0.5), ValueError, "dampening value: -0.5"),
    ("SGD", dict(momentum="0.9"), TypeError, "momentum must be a real number"),
    ("SGD", dict(lr=True), TypeError, "lr must be a real number"),
    ("RMSprop", dict(alpha=float("nan")), ValueError, "alpha value: nan"),
    ("RMSprop", dict(eps=None), TypeError, "eps must be a real number"),
    ("Adamax", dict(betas=(0.9,)), TypeError, "betas must be a pair"),
    ("Adamax", dict(betas=(0.9, float("nan"))), ValueError, "beta parameter at index 1: nan"),
    ("Adamax", dict(lr=[0.1]), TypeError, "lr must be a real number"),
])
def test_bad_hyperparameters_are_refused(name, bad, error, match):
    with pytest.raises(error, match=match):
        getattr(adam_ref, name)([Param(np.zeros(2))], **bad)


def test_sgd_keeps_no_state_without_momentum_as_torch():
    p = Param(np.ones(3))
    opt = SGD([p], lr=0.5)
    p.grad = np.array([1.0, 2.0, 3.0])
    opt.step()
    np.testing.assert_array_equal(p.data, 1 - 0.5 * np.array([1.0, 2.0, 3.0]))
    assert opt.state_dict()["state"] == {}
    assert opt.last_trace[p].b is None and opt.last_trace[p].t == 1


def test_sgd_first_momentum_buffer_is_the_raw_gradient():
    p = Param(np.zeros(2))
    opt = SGD([p], lr=1.0, momentum=0.9, dampening=0.5)
    p.grad = np.array([2.0, -4.0])
    opt.step()
    np.testing.assert_array_equal(opt.state[p]["momentum_buffer"], [2.0, -4.0])  # not (1−τ)·g
    p.grad = np.array([1.0, 1.0])
    opt.step()
    np.testing.assert_array_equal(opt.state[p]["momentum_buffer"],
                                  0.9 * np.array([2.0, -4.0]) + 0.5 * np.array([1.0, 1.0]))


@pytest.mark.parametrize("name, hyper", [("SGD", dict(lr=0.1, momentum=0.9, nesterov=True)),
                                         ("RMSprop", dict(momentum=0.3, centered=True)),
                                         ("Adamax", dict())])
def test_state_dict_round_trip_continues_identically(name, hyper):
    rng = np.random.default_rng(5)
    grads = rng.normal(size=(20, 2, 3))
    a = Param(rng.normal(size=(2, 3)))
    opt = getattr(adam_ref, name)([a], **hyper)
    for g in grads[:10]:
        a.grad = g
        opt.step()
    saved = opt.state_dict()
    b = Param(a.data.copy())
    other = getattr(adam_ref, name)([b], **hyper)
    other.load_state_dict(copy.deepcopy(saved))
    for g in grads[10:]:
        a.grad = b.grad = g
        opt.step()
        other.step()
    np.testing.assert_array_equal(a.data, b.data)


@pytest.mark.parametrize("name, hyper, key", [("SGD", dict(momentum=0.9), "momentum_buffer"),
                                              ("RMSprop", dict(centered=True), "grad_avg"),
                                              ("RMSprop", dict(momentum=0.9), "momentum_buffer"),
                                              ("Adamax", dict(), "exp_inf")])
def test_load_state_dict_refuses_missing_or_misshapen_state(name, hyper, key):
    p = Param(np.ones(3))
    opt = getattr(adam_ref, name)([p], **hyper)
    p.grad = np.ones(3)
    opt.step()
    good = opt.state_dict()
    before = {key: np.copy(value) for key, value in opt.state[p].items()}
    missing = copy.deepcopy(good)
    del missing["state"][0][key]
    with pytest.raises(ValueError, match=key):
        opt.load_state_dict(missing)
    misshapen = copy.deepcopy(good)
    misshapen["state"][0][key] = np.zeros(4)
    with pytest.raises(ValueError, match="shape"):
        opt.load_state_dict(misshapen)
    assert opt.state[p].keys() == before.keys()
    for key, value in before.items():
        np.testing.assert_array_equal(opt.state[p][key], value)


def test_failed_step_changes_nothing():
    a, b = Param(np.ones(2)), Param(np.ones(2))
    opt = RMSprop([a, b], momentum=0.9)
    a.grad, b.grad = np.ones(2), np.array([1.0, np.nan])
    with pytest.raises(FloatingPointError):
        opt.step()
    np.testing.assert_array_equal(a.data, np.ones(2))
    assert opt.state == {}


def test_rmsprop_divides_by_sqrt_plus_eps_so_the_first_step_is_lr_over_sqrt_one_minus_alpha():
    p = Param(np.zeros(3))
    opt = RMSprop([p], lr=0.01, alpha=0.99, eps=0.0)
    p.grad = np.array([1e-3, 1.0, 1e3])
    opt.step()
    # v₁ = (1 − α)g², so g/√v₁ = sign(g)/√(1 − α) whatever |g| is
    np.testing.assert_allclose(p.data, -0.01 / np.sqrt(0.01) * np.ones(3), rtol=1e-12)


def test_adamax_first_step_moves_every_coordinate_by_lr():
    p = Param(np.zeros(4))
    opt = Adamax([p], lr=0.002, eps=0.0)
    p.grad = np.array([1e-4, -3.0, 2e2, -0.5])
    opt.step()
    # m₁ = (1 − β1)g, u₁ = |g|, α₁ = α/(1 − β1): θ₁ = −α·sign(g)
    np.testing.assert_allclose(p.data, -0.002 * np.sign(p.grad), rtol=1e-12)


# --------------------------------------------------------------------------- the equations

def random_inputs(dtype, seed=0):
    rng = np.random.default_rng(seed)
    theta = rng.normal(size=(3, 4)).astype(dtype)
    grad = rng.normal(size=(3, 4)).astype(dtype)
    positive = rng.uniform(0.5, 1.0, size=(3, 4)).astype(dtype)
    small = (0.1 * rng.normal(size=(3, 4))).astype(dtype)
    return theta, grad, positive, small


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("momentum, dampening, weight_decay, nesterov, maximize", [
    (0.0, 0.0, 0.0, False, False), (0.0, 0.3, 0.1, False, True), (0.9, 0.3, 0.1, False, True),
    (0.9, 0.0, 0.1, True, False), (0.8, 0.0, 0.0, True, True)])
@pytest.mark.parametrize("first", [True, False])
def test_sgd_trace_fields_are_their_equations(dtype, momentum, dampening, weight_decay, nesterov,
                                              maximize, first):
    theta, grad, _, small = random_inputs(dtype)
    lr = 0.05
    state = SGDState(0, None) if first else SGDState(4, small)
    theta_next, new, tr = sgd_step(theta, grad, state, lr=lr, momentum=momentum,
                                   dampening=dampening, weight_decay=weight_decay,
                                   nesterov=nesterov, maximize=maximize)
    g = (-grad if maximize else grad) + weight_decay * theta
    assert tr.t == new.t == state.t + 1
    np.testing.assert_allclose(tr.g, g, rtol=1e-6)
    if momentum == 0:
        assert tr.b is None and new.b is state.b  # as torch: an unused buffer is kept
        d = tr.g
    else:
        b = tr.g if first else momentum * small + (1 - dampening) * tr.g
        np.testing.assert_array_equal(tr.b, b)
        np.testing.assert_array_equal(new.b, b)
        d = tr.g + momentum * b if nesterov else b
    np.testing.assert_array_equal(tr.d, d)
    np.testing.assert_array_equal(tr.theta, theta - lr * d)
    np.testing.assert_array_equal(theta_next, tr.theta)
    np.testing.assert_array_equal(tr.update, tr.theta - theta)
    assert all(v.dtype == dtype for _, v in tr.items() if isinstance(v, np.ndarray))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("momentum, centered, weight_decay, maximize", [
    (0.0, False, 0.0, False), (0.0, True, 0.1, True), (0.9, False, 0.1, False),
    (0.9, True, 0.0, True)])
def test_rmsprop_trace_fields_are_their_equations(dtype, momentum, centered, weight_decay,
                                                  maximize):
    theta, grad, positive, small = random_inputs(dtype)
    lr, alpha, eps = 0.01, 0.9, 1e-6
    state = RMSpropState(3, positive, small, small[::-1])
    theta_next, new, tr = rmsprop_step(theta, grad, state, lr=lr, alpha=alpha, eps=eps,
                                       weight_decay=weight_decay, momentum=momentum,
                                       centered=centered, maximize=maximize)
    g = (-grad if maximize else grad) + weight_decay * theta
    assert tr.t == new.t == 4
    np.testing.assert_allclose(tr.g, g, rtol=1e-6)
    np.testing.assert_array_equal(tr.v, alpha * positive + (1 - alpha) * tr.g * tr.g)
    if centered:
        np.testing.assert_array_equal(tr.g_avg, alpha * small + (1 - alpha) * tr.g)
        np.testing.assert_array_equal(tr.v_tilde, tr.v - tr.g_avg * tr.g_avg)
    else:
        assert tr.g_avg is None
        np.testing.assert_array_equal(tr.v_tilde, tr.v)
    np.testing.assert_array_equal(tr.denom, np.sqrt(tr.v_tilde) + eps)
    if momentum:
        np.testing.assert_array_equal(tr.b, momentum * small[::-1] + tr.g / tr.denom)
        np.testing.assert_array_equal(tr.theta, theta - lr * tr.b)
    else:
        assert tr.b is None
        np.testing.assert_array_equal(tr.theta, theta - lr * (tr.g / tr.denom))
    np.testing.assert_array_equal(theta_next, tr.theta)
    np.testing.assert_array_equal(tr.update, tr.theta - theta)
    assert all(v.dtype == dtype for _, v in tr.items() if isinstance(v, np.ndarray))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("weight_decay, maximize", [(0.0, False), (0.1, True)])
def test_adamax_trace_fields_are_their_equations(dtype, weight_decay, maximize):
    theta, grad, positive, small = random_inputs(dtype)
    grad[0, 0] = 0.0
    lr, beta1, beta2, eps = 0.002, 0.8, 0.99, 1e-3
    state = AdamaxState(6, small, positive)
    theta_next, new, tr = adamax_step(theta, grad, state, lr=lr, beta1=beta1, beta2=beta2,
                                      eps=eps, weight_decay=weight_decay, maximize=maximize)
    g = (-grad if maximize else grad) + weight_decay * theta
    assert tr.t == new.t == 7
    np.testing.assert_allclose(tr.g, g, rtol=1e-6)
    np.testing.assert_array_equal(tr.m, beta1 * small + (1 - beta1) * tr.g)
    np.testing.assert_array_equal(tr.u, np.maximum(beta2 * positive, np.abs(tr.g) + eps))
    assert tr.bias_correction == 1 - beta1 ** 7 and tr.clr == lr / (1 - beta1 ** 7)
    np.testing.assert_array_equal(tr.theta, theta - tr.clr * (tr.m / tr.u))
    np.testing.assert_array_equal(theta_next, tr.theta)
    np.testing.assert_array_equal(tr.update, tr.theta - theta)
    assert all(v.dtype == dtype for _, v in tr.items() if isinstance(v, np.ndarray))


@pytest.mark.parametrize("step, init, hyper", [
    (sgd_step, sgd_init, dict(momentum=0.9, weight_decay=0.1, maximize=True)),
    (rmsprop_step, rmsprop_init, dict(momentum=0.9, centered=True, weight_decay=0.1)),
    (adamax_step, adamax_init, dict(weight_decay=0.1, maximize=True))])
def test_steps_are_pure(step, init, hyper):
    theta, grad, _, _ = random_inputs(np.float64)
    state = init(theta)
    for _ in range(2):  # the second call starts from a state with buffers
        saved = (theta.copy(), grad.copy(), copy.deepcopy(state))
        theta_next, new_state, trace = step(theta, grad, state, **hyper)
        np.testing.assert_array_equal(theta, saved[0])
        np.testing.assert_array_equal(grad, saved[1])
        for before, after in zip(saved[2], state):
            np.testing.assert_array_equal(before, after)
        grad[...] = 7.0  # the trace must not alias the caller's gradient
        assert not np.any(trace.g == 7.0)
        grad[...] = saved[1]
        theta, state = theta_next, new_state


@pytest.mark.parametrize("step, init, hyper, arrays", [
    (sgd_step, sgd_init, dict(lr=0.1, dampening=0.4, weight_decay=0.01),
     dict(momentum=[0.0, 0.5, 0.9])),                  # μ = 0 next to μ > 0, with τ ≠ 0
    (rmsprop_step, rmsprop_init, dict(centered=True),
     dict(alpha=[0.5, 0.9, 0.99], momentum=[0.0, 0.3, 0.9])),
    (adamax_step, adamax_init, dict(weight_decay=0.01),
     dict(lr=[1e-3, 1e-2, 0.1], beta1=[0.0, 0.5, 0.9]))])
def test_array_hyperparameters_equal_separate_runs(step, init, hyper, arrays):
    rng = np.random.default_rng(1)
    theta0 = rng.normal(size=(3, 4))
    grads = rng.normal(size=(6, 3, 4))
    column = {k: np.array(v)[:, None] for k, v in arrays.items()}
    theta, state = theta0, init(theta0)
    for g in grads:
        theta, state, _ = step(theta, g, state, **hyper, **column)
    for k in range(3):
        row, row_state = theta0[k], init(theta0[k])
        for g in grads:
            row, row_state, _ = step(row, g[k], row_state, **hyper,
                                     **{name: v[k] for name, v in arrays.items()})
        np.testing.assert_allclose(theta[k], row, rtol=1e-14)


def test_step_inputs_are_checked():
    theta = np.zeros(3)
    with pytest.raises(ValueError, match="shape"):
        sgd_step(theta, np.zeros(4), sgd_init(theta))
    with pytest.raises(TypeError, match="dtype"):
        rmsprop_step(theta, np.zeros(3, dtype=int), rmsprop_init(theta))
    with pytest.raises(ValueError, match="state.u"):
        adamax_step(theta, np.zeros(3), AdamaxState(0, np.zeros(3), np.zeros(2)))
    with pytest.raises(TypeError, match="real number"):
        adamax_step(theta, np.zeros(3), adamax_init(theta), lr="0.1")
    with pytest.raises(TypeError, match="SGDState"):
        sgd_step(theta, np.zeros(3), adamax_init(theta))


def test_traces_print_readably():
    theta = np.zeros(3)
    _, _, tr = rmsprop_step(theta, np.ones(3), rmsprop_init(theta), centered=True)
    text = repr(tr)
    assert text.startswith("RMSpropTrace(") and "v_tilde=" in text and "b=None" in text


# --------------------------------------------------------------------------- properties

gradients = st.lists(st.lists(st.floats(-1e3, 1e3), min_size=3, max_size=3),
                     min_size=1, max_size=30)


@settings(max_examples=60, deadline=None)
@given(grads=gradients, beta1=st.floats(0.0, 0.99), gap=st.floats(0.0, 0.999),
       lr=st.floats(1e-4, 1.0))
def test_adamax_step_bound(grads, beta1, gap, lr):
    """u_t ≥ β2^k·|g_{t−k}|, so |m_t| ≤ (1 − β1)·Σ_{k<t} (β1/β2)^k·u_t and
    |Δθ_t| ≤ α·(1 − β1)/(1 − β1^t)·Σ_{k<t} (β1/β2)^k.

    That is α at t = 1 but can exceed α later: the paper's "|Δ_t| ≤ α" (section
    7.1) is not exact (β1 = β2 = 0.5, g = 2 then 1 gives a step of 4α/3).
    """
    beta2 = beta1 + gap * (1 - beta1)
    ratio = beta1 / beta2 if beta2 > 0 else 0.0
    theta = np.zeros(3)
    state = adamax_init(theta)
    for g in grads:
        u_before = state.u
        theta, state, tr = adamax_step(theta, np.array(g), state, lr=lr, beta1=beta1,
                                       beta2=beta2)
        assert np.all(tr.u >= beta2 * u_before) and np.all(tr.u >= np.abs(tr.g) + 1e-8)
        bound = lr * (1 - beta1) / (1 - beta1 ** tr.t) * sum(ratio ** k for k in range(tr.t))
        assert np.all(np.abs(tr.update) <= bound * (1 + 1e-9))


@settings(max_examples=60, deadline=None)
@given(grads=gradients, alpha=st.floats(0.0, 0.999), lr=st.floats(1e-4, 1.0))
def test_rmsprop_step_is_at_most_lr_over_sqrt_one_minus_alpha(grads, alpha, lr):
    """v_t ≥ (1 − α)·g_t², so |g_t|/(√v_t + ε) ≤ 1/√(1 − α)."""
    theta = np.zeros(3)
    state = rmsprop_init(theta)
    for g in grads:
        theta, state, tr = rmsprop_step(theta, np.array(g), state, lr=lr, alpha=alpha)
        assert np.all(np.abs(tr.update) <= lr / np.sqrt(1 - alpha) * (1 + 1e-12))
