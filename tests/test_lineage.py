"""Adagrad, Adadelta, NAdam and RAdam: against torch (golden and live), their equations
checked against closed forms, and their torch.optim surface.

Golden runs (``tests/golden/lineage_optim.npz``, written by
``tests/golden/make_lineage_golden.py``) replay 300 torch steps of every flag
combination without torch; the live tests run torch itself where it is installed.
float64 runs agree with torch to ~1e-13 relative (we assert 1e-9), float32 runs to
~1e-5 (we assert 1e-4), the dtype kept.
"""

import copy

import numpy as np
import pytest
from _golden import NO_TORCH, generator, load_runs

import adam_ref
from adam_ref import Adagrad, NAdam, Param
from adam_ref.functional import (ALGORITHMS, adadelta_init, adadelta_step, adagrad_init,
                                 adagrad_step, nadam_init, nadam_step, radam_init, radam_step)

RTOL = {"float64": 1e-9, "float32": 1e-4}
NAMES = ("Adagrad", "Adadelta", "NAdam", "RAdam")

gen = generator("make_lineage_golden")
RUNS = gen.LINEAGE_RUNS


def run_id(run):
    flags = ",".join(f"{k}={v}" for k, v in run["hyper"].items() if k != "lr")
    return f"{run['optimizer']}-{run['dtype']}-{flags}"


def hyper_of(run):
    hyper = dict(run["hyper"])
    if "betas" in hyper:
        hyper["betas"] = tuple(hyper["betas"])
    return hyper


def close(actual, expected, rtol):
    """Elementwise relative error, with entries near 0 judged against the array's scale."""
    np.testing.assert_allclose(actual, expected, rtol=rtol,
                               atol=rtol * float(np.max(np.abs(expected), initial=0.0)))


def check_against(run, theta0, grads, thetas, state):
    p = Param(theta0.copy())
    opt = getattr(adam_ref, run["optimizer"])([p], **hyper_of(run))
    got, dtypes = [], set()
    for k in range(len(grads)):
        p.grad = grads[k]
        opt.step()
        dtypes.update(v.dtype for _, v in opt.last_trace[p].items() if isinstance(v, np.ndarray))
        if k + 1 in gen.CHECKPOINTS:
            got.append(p.data.copy())
    dtype, rtol = np.dtype(run["dtype"]), RTOL[run["dtype"]]
    assert p.data.dtype == dtype and dtypes == {dtype}
    close(np.array(got), thetas, rtol)
    saved = opt.state_dict()["state"][0]
    assert sorted(saved) == sorted(state)  # torch's state names, nothing more
    for key, value in state.items():
        if key == "step":
            assert saved[key] == int(value) == len(grads)
        elif key == "mu_product":  # torch: a float32 0-d tensor; here a number, same value
            assert np.ndim(saved[key]) == 0 and float(saved[key]) == float(value)
        else:
            assert saved[key].dtype == value.dtype
            close(saved[key], value, rtol)


# --------------------------------------------------------------------------- golden

@pytest.fixture(scope="module")
def golden():
    return load_runs("lineage_optim.npz", RUNS, gen.CHECKPOINTS)


@pytest.mark.parametrize("i", range(len(RUNS)), ids=[run_id(r) for r in RUNS])
def test_golden_torch_run(golden, i):
    run = RUNS[i]
    state = {k[len(f"{i}_"):]: v for k, v in golden.items()
             if k.startswith(f"{i}_") and k != f"{i}_theta"}
    check_against(run, golden[f"theta0_{run['dtype']}"], golden[f"grads_{run['dtype']}"],
                  golden[f"{i}_theta"], state)


def test_golden_covers_every_flag_combination():
    for name in NAMES:
        spec = next(s for s in ALGORITHMS.values() if s.title == name)
        combos = {tuple(bool(r["hyper"].get(f, False)) for f in spec.flags) + (
                  r["hyper"].get("weight_decay", 0) != 0,)
                  for r in RUNS if r["optimizer"] == name}
        assert len(combos) == 2 ** (len(spec.flags) + 1), name
    assert {r["dtype"] for r in RUNS} == {"float64", "float32"}


# --------------------------------------------------------------------------- live torch

@pytest.mark.parametrize("i", range(0, len(RUNS), 2), ids=[run_id(r) for r in RUNS[::2]])
def test_live_torch_run(i):
    pytest.importorskip("torch", reason=NO_TORCH)
    run = RUNS[i]
    theta0, grads = gen.optimizer_inputs(run["dtype"], seed=7)
    thetas, state = gen.torch_optimizer_run(run, theta0, grads)
    check_against(run, theta0, grads, thetas, state)


def random_hyper(name, rng):
    maximize = bool(rng.random() < 0.5)
    decay = rng.uniform(0, 0.1) if rng.random() < 0.7 else 0.0
    if name == "Adagrad":
        return dict(lr=rng.uniform(1e-3, 0.1), lr_decay=rng.uniform(0, 0.05), weight_decay=decay,
                    eps=10 ** rng.uniform(-10, -4), maximize=maximize)
    if name == "Adadelta":
        return dict(lr=rng.uniform(0.1, 1.0), rho=rng.uniform(0.5, 1.0),
                    eps=10 ** rng.uniform(-8, -3), weight_decay=decay, maximize=maximize)
    hyper = dict(lr=rng.uniform(1e-4, 1e-2), betas=(rng.uniform(0, 0.99), rng.uniform(0.5, 0.9999)),
                 eps=10 ** rng.uniform(-10, -4), weight_decay=decay, maximize=maximize,
                 decoupled_weight_decay=bool(rng.random() < 0.5))
    if name == "NAdam":
        hyper["momentum_decay"] = rng.uniform(0, 0.1)
    return hyper


@pytest.mark.parametrize("seed", range(8))
def test_live_random_hyperparameters_and_groups(seed):
    """Two groups with random settings, a param that skips steps, lr changed mid-run."""
    torch = pytest.importorskip("torch", reason=NO_TORCH)
    rng = np.random.default_rng(200 + seed)
    name = NAMES[seed % 4]
    settings = [random_hyper(name, rng), random_hyper(name, rng)]
    if name == "Adagrad":  # torch reads it from the constructor only, whatever a group says
        settings[1]["initial_accumulator_value"] = 0.5
    inits = [rng.normal(size=(3, 2)), rng.normal(size=4), rng.normal(size=(2, 2))]
    params = [Param(x.copy()) for x in inits]
    tparams = [torch.tensor(x).requires_grad_() for x in inits]
    kwargs = dict(initial_accumulator_value=0.1) if name == "Adagrad" else {}
    opt = getattr(adam_ref, name)([{"params": params[:2], **settings[0]},
                                   {"params": params[2:], **settings[1]}], **kwargs)
    topt = getattr(torch.optim, name)([{"params": tparams[:2], **settings[0]},
                                        {"params": tparams[2:], **settings[1]}],
                                       foreach=False, **kwargs)
    for k in range(120):
        if k == 60:
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
    return {"state": {i: {k: (float(v) if k == "step" else v.numpy().copy())
                          for k, v in s.items()} for i, s in sd["state"].items()},
            "param_groups": copy.deepcopy(sd["param_groups"])}


@pytest.mark.parametrize("name, hyper", [
    ("Adagrad", dict(lr_decay=0.01, initial_accumulator_value=0.2)),
    ("Adadelta", dict(weight_decay=0.01)),
    ("NAdam", dict(decoupled_weight_decay=True, weight_decay=0.01)),
    ("NAdam", dict()),
    ("RAdam", dict(weight_decay=0.01)),
    ("RAdam", dict(betas=(0.5, 0.6)))])
def test_live_state_dict_matches_torch_and_loads_from_it(name, hyper):
    torch = pytest.importorskip("torch", reason=NO_TORCH)
    rng = np.random.default_rng(3)
    x0 = rng.normal(size=5)
    p, tp = Param(x0.copy()), torch.tensor(x0).requires_grad_()
    opt, topt = getattr(adam_ref, name)([p], **hyper), getattr(torch.optim, name)([tp], **hyper)
    for _ in range(8):
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
    assert sd["param_groups"] == tsd["param_groups"]  # every key, torch's values

    fresh = Param(tp.detach().numpy().copy())
    loaded = getattr(adam_ref, name)([fresh], **hyper)
    loaded.load_state_dict(tsd)
    for _ in range(10):
        g = rng.normal(size=5)
        fresh.grad, tp.grad = g, torch.tensor(g)
        loaded.step()
        topt.step()
    close(fresh.data, tp.detach().numpy(), 1e-12)
    assert loaded.state_dict()["state"][0]["step"] == float(topt.state[tp]["step"]) == 18


def test_live_adagrad_makes_its_state_in_the_constructor_as_torch():
    torch = pytest.importorskip("torch", reason=NO_TORCH)
    x0 = np.arange(3.0)
    opt = Adagrad([Param(x0.copy())], initial_accumulator_value=0.25)
    topt = torch.optim.Adagrad([torch.tensor(x0).requires_grad_()], initial_accumulator_value=0.25)
    sd, tsd = opt.state_dict(), torch_state_dict_as_numpy(topt.state_dict())
    assert sd["state"].keys() == tsd["state"].keys() == {0}
    assert sd["state"][0]["step"] == tsd["state"][0]["step"] == 0
    np.testing.assert_array_equal(sd["state"][0]["sum"], tsd["state"][0]["sum"])


BAD_ARGUMENTS = [
    ("Adagrad", dict(lr=-1.0)), ("Adagrad", dict(lr_decay=-0.1)),
    ("Adagrad", dict(weight_decay=-0.1)), ("Adagrad", dict(initial_accumulator_value=-0.5)),
    ("Adagrad", dict(eps=-1e-10)),
    ("Adadelta", dict(lr=-1.0)), ("Adadelta", dict(rho=1.5)), ("Adadelta", dict(rho=-0.1)),
    ("Adadelta", dict(eps=-1.0)), ("Adadelta", dict(weight_decay=-1.0)),
    ("NAdam", dict(lr=-1.0)), ("NAdam", dict(eps=-1.0)), ("NAdam", dict(betas=(1.0, 0.9))),
    ("NAdam", dict(betas=(0.9, -0.1))), ("NAdam", dict(weight_decay=-0.1)),
    ("NAdam", dict(momentum_decay=-0.1)),
    ("RAdam", dict(lr=-1.0)), ("RAdam", dict(eps=-1.0)), ("RAdam", dict(betas=(-0.1, 0.9))),
    ("RAdam", dict(betas=(0.9, 1.0))), ("RAdam", dict(weight_decay=-0.1)),
]


@pytest.mark.parametrize("name, bad", BAD_ARGUMENTS)
def test_live_invalid_arguments_raise_torchs_message(name, bad):
    torch = pytest.importorskip("torch", reason=NO_TORCH)
    with pytest.raises(ValueError) as expected:
        getattr(torch.optim, name)([torch.zeros(2, requires_grad=True)], **bad)
    with pytest.raises(ValueError) as got:
        getattr(adam_ref, name)([Param(np.zeros(2))], **bad)
    assert str(got.value) == str(expected.value)


# --------------------------------------------------------------------------- the equations

def run_steps(step, init, grads, theta0, **kwargs):
    theta, state, traces = theta0, init(theta0), []
    for g in grads:
        theta, state, trace = step(theta, g, state, **kwargs)
        traces.append(trace)
    return theta, state, traces


def test_adagrad_accumulates_squares_and_decays_its_step_size():
    rng = np.random.default_rng(0)
    grads = rng.normal(size=(6, 3))
    lr, lr_decay, initial = 0.1, 0.5, 0.3
    _, state, traces = run_steps(adagrad_step, lambda x: adagrad_init(
        x, initial_accumulator_value=initial), grads, np.zeros(3), lr=lr, lr_decay=lr_decay)
    for t, trace in enumerate(traces, start=1):
        assert trace.clr == pytest.approx(lr / (1 + (t - 1) * lr_decay), rel=1e-15)
        np.testing.assert_allclose(trace.sum, initial + (grads[:t] ** 2).sum(axis=0), rtol=1e-14)
    # the sum of the updates is Σ clr_t·g_t/(√G_t + ε), which a running-sum formula gives
    expected = -sum(tr.clr * grads[t] / (np.sqrt(tr.sum) + 1e-10) for t, tr in enumerate(traces))
    np.testing.assert_allclose(traces[-1].theta, expected, rtol=1e-13)
    assert state.t == 6


def test_adagrad_init_checks_its_value():
    with pytest.raises(ValueError, match="Invalid initial_accumulator_value value: -1.0"):
        adagrad_init(np.zeros(2), initial_accumulator_value=-1.0)
    np.testing.assert_array_equal(adagrad_init(np.zeros(2, np.float32),
                                               initial_accumulator_value=0.5).sum,
                                  np.full(2, 0.5, np.float32))


def test_adadelta_with_rho_one_is_sgd_scaled_by_one_over_sqrt_eps_ratio():
    """ρ = 1 keeps both averages at 0: Δθ = √ε/√ε·g = g, so θ moves by −lr·g exactly."""
    rng = np.random.default_rng(1)
    grads = rng.normal(size=(4, 3))
    theta, state, _ = run_steps(adadelta_step, adadelta_init, grads, np.zeros(3), lr=0.5, rho=1.0)
    np.testing.assert_allclose(theta, -0.5 * grads.sum(axis=0), rtol=1e-14)
    assert not state.square_avg.any() and not state.acc_delta.any()
    with pytest.raises(ValueError, match="Invalid rho value: 1.01"):
        adadelta_step(np.zeros(2), np.ones(2), adadelta_init(np.zeros(2)), rho=1.01)


def test_adadelta_first_step_is_sqrt_eps_over_rms_of_g():
    g = np.array([0.5, -2.0, 1e-3])
    theta, state, trace = adadelta_step(np.zeros(3), g, adadelta_init(np.zeros(3)),
                                        lr=1.0, rho=0.9, eps=1e-6)
    expected = -np.sqrt(1e-6) / np.sqrt(0.1 * g ** 2 + 1e-6) * g
    np.testing.assert_allclose(theta, expected, rtol=1e-14)
    np.testing.assert_allclose(state.acc_delta, 0.1 * expected ** 2, rtol=1e-14)


def test_nadam_momentum_schedule_and_its_product():
    beta1, psi = 0.9, 4e-3
    _, state, traces = run_steps(nadam_step, nadam_init, np.ones((30, 2)), np.zeros(2),
                                 beta1=beta1, momentum_decay=psi)
    product = np.float32(1.0)
    for t, trace in enumerate(traces, start=1):
        mu = beta1 * (1 - 0.5 * 0.96 ** (t * psi))
        assert trace.mu_t == pytest.approx(mu, rel=1e-15)
        assert trace.mu_next == pytest.approx(beta1 * (1 - 0.5 * 0.96 ** ((t + 1) * psi)),
                                              rel=1e-15)
        product = np.float32(product * np.float32(mu))  # torch's float32 scalar tensor
        assert trace.mu_product == float(product)
    assert state.mu_product == float(product) and state.mu_product.dtype == np.float64


def test_nadam_state_must_carry_a_number_for_the_product():
    theta = np.zeros(3)
    state = nadam_init(theta)
    for bad in ("1", None, True):
        with pytest.raises((TypeError, ValueError), match="mu_product"):
            nadam_step(theta, theta, state._replace(mu_product=bad))
    opt = NAdam([Param(np.zeros(3))])
    opt.param_groups[0]["params"][0].grad = np.ones(3)
    opt.step()
    saved = opt.state_dict()
    for bad in (np.ones(3), "0.5", float("nan")):
        broken = copy.deepcopy(saved)
        broken["state"][0]["mu_product"] = bad
        with pytest.raises(ValueError, match="mu_product"):
            opt.load_state_dict(broken)
    broken = copy.deepcopy(saved)
    broken["state"][0]["mu_product"] = np.array(0.5, np.float32)  # torch's 0-d tensor as NumPy
    opt.load_state_dict(broken)
    assert opt.state[opt.param_groups[0]["params"][0]]["mu_product"] == 0.5


def test_radam_rectification_and_torchs_threshold():
    beta2 = 0.999
    rho_inf = 2 / (1 - beta2) - 1
    grads = np.random.default_rng(2).normal(size=(10, 3))
    _, _, traces = run_steps(radam_step, radam_init, grads, np.zeros(3), beta2=beta2)
    for t, trace in enumerate(traces, start=1):
        rho_t = rho_inf - 2 * t * beta2 ** t / (1 - beta2 ** t)
        assert trace.rho_inf == rho_inf and trace.rho_t == pytest.approx(rho_t, rel=1e-12)
        if rho_t > 5:
            r = np.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
            assert trace.r_t == pytest.approx(r, rel=1e-12)
        else:  # SGD with momentum on the bias-corrected m: no adaptive lr, no r_t
            assert trace.r_t is None and trace.adaptive_lr is None
            np.testing.assert_allclose(trace.update, -1e-3 * trace.m_hat, rtol=1e-15)
    assert [trace.r_t is None for trace in traces] == [True] * 5 + [False] * 5  # from t = 6


@pytest.mark.parametrize("step, init, arrays", [
    (radam_step, radam_init, dict(beta2=np.array([[0.999], [0.6], [0.9]]))),
    (nadam_step, nadam_init, dict(beta1=np.array([[0.9], [0.5], [0.0]]),
                                  momentum_decay=np.array([[4e-3], [0.1], [0.0]]))),
    (adagrad_step, adagrad_init, dict(lr_decay=np.array([[0.0], [0.1], [1.0]]))),
    (adadelta_step, adadelta_init, dict(rho=np.array([[0.9], [1.0], [0.0]]))),
])
def test_arrays_of_settings_advance_runs_as_separate_runs(step, init, arrays):
    """K settings at once (row k of θ with row k of each setting) equal K separate runs."""
    rng = np.random.default_rng(4)
    grads = rng.normal(size=(12, 3, 2))
    theta, _, _ = run_steps(step, init, grads, np.zeros((3, 2)), **arrays)
    for k in range(3):
        row, _, _ = run_steps(step, init, grads[:, k], np.zeros(2),
                              **{name: float(value[k, 0]) for name, value in arrays.items()})
        np.testing.assert_allclose(theta[k], row, rtol=1e-12, atol=1e-300)


def test_adagrad_reads_the_initial_sum_from_the_constructor_as_torch():
    a, b = Param(np.zeros(2)), Param(np.zeros(2))
    opt = Adagrad([{"params": [a]}], initial_accumulator_value=0.3)
    opt.add_param_group({"params": [b], "initial_accumulator_value": 5.0})
    b.grad = np.ones(2)
    opt.step()
    np.testing.assert_array_equal(opt.state[b]["sum"], np.full(2, 1.3))
    np.testing.assert_array_equal(opt.state[a]["sum"], np.full(2, 0.3))  # made eagerly


def test_record_step_starts_adagrad_from_its_initial_sum():
    from adam_ref.history import record_step
    from adam_ref.objectives import Quadratic
    h = record_step(adagrad_step, Quadratic((1.0, 0.1)), np.ones(2), 3,
                    initial_accumulator_value=0.5)
    theta, state = np.ones(2), adagrad_init(np.ones(2), initial_accumulator_value=0.5)
    for t in range(1, 4):
        theta, state, _ = adagrad_step(theta, Quadratic((1.0, 0.1)).grad(theta, t), state,
                                       initial_accumulator_value=0.5)
    np.testing.assert_array_equal(h.theta[-1], theta)


@pytest.mark.parametrize("name", NAMES)
def test_a_checkpoint_round_trip_continues_identically(name, tmp_path):
    """Named params, two groups: saved mid-run, loaded into fresh objects, same steps."""
    rng = np.random.default_rng(9)
    inits = [rng.normal(size=(2, 3)), rng.normal(size=3)]
    grads = rng.normal(size=(8, 9))

    def make(values):
        ps = [Param(v.copy()) for v in values]
        opt = getattr(adam_ref, name)([{"params": [("w", ps[0])]},
                                       {"params": [("b", ps[1])], "lr": 0.05}])
        return ps, opt

    def steps(ps, opt, rows):
        for row in rows:
            ps[0].grad, ps[1].grad = row[:6].reshape(2, 3), row[6:]
            opt.step()

    ps, opt = make(inits)
    steps(ps, opt, grads[:4])
    adam_ref.save_checkpoint(tmp_path / "c.npz", opt)
    fresh, fresh_opt = make([np.zeros((2, 3)), np.zeros(3)])
    adam_ref.load_checkpoint(tmp_path / "c.npz", fresh_opt)
    assert fresh_opt.state_dict()["param_groups"] == opt.state_dict()["param_groups"]
    steps(ps, opt, grads[4:])
    steps(fresh, fresh_opt, grads[4:])
    for p, q in zip(ps, fresh):
        np.testing.assert_array_equal(p.data, q.data)
