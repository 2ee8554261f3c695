"""Adam and AdamW against torch.optim.Adam / AdamW (2.13, CPU, foreach=False).

Two ways: the golden trajectories in ``tests/golden/adam_*.npz`` (written by
``tests/golden/make_adam_golden.py`` with torch) are replayed without torch,
and the live tests run torch itself where it is installed.

Tolerances: adam_ref evaluates the paper's equations literally
(m̂ = m/(1 − β1^t), v̂ = v/(1 − β2^t), θ − α·m̂/(√v̂ + ε)) while torch uses
``lerp_`` and folds the bias corrections into a step size, so the two round
differently in the last bit. Over 300 steps the float64 trajectories agree to
better than 1e-12 relative (we assert 1e-9); float32 ones to better than 1e-4.
"""

import json

import numpy as np
import pytest
from _golden import GOLDEN, NO_TORCH, generator

import adam_ref

FILES = sorted(GOLDEN.glob("adam_*.npz"))
RTOL = {"float64": 1e-9, "float32": 1e-4}
# state entries may pass through zero (m changes sign), so they are compared
# relative to the largest magnitude of the entry instead of elementwise
STATE_KEYS = ("exp_avg", "exp_avg_sq", "max_exp_avg_sq")


def load(path):
    with np.load(path, allow_pickle=False) as z:
        data = {k: z[k] for k in z.files}
    data["config"] = json.loads(data["config"].item())
    return data


def n_params(config):
    return sum(len(g["shapes"]) for g in config["groups"])


gen = generator("make_adam_golden")


def make_optimizer(config, params):
    """The adam_ref optimizer a golden config describes (the same groups as torch's)."""
    return getattr(adam_ref, config["optimizer"])(gen.param_groups(config, params))


def feed(opt, params, data, k):
    """Set step k's lr in every group and each param's grad (or None)."""
    for group, lr in zip(opt.param_groups, data["lr"][k]):
        group["lr"] = float(lr)
    for i, p in enumerate(params):
        p.grad = np.array(data[f"p{i}_grad"][k]) if data[f"p{i}_has_grad"][k] else None


def replay(data, stop=None, opt=None, params=None, start=0):
    """Run adam_ref on the golden inputs from step ``start`` to ``stop``, yielding after each."""
    config = data["config"]
    if params is None:
        params = [adam_ref.Param(np.array(data[f"p{i}_init"])) for i in range(n_params(config))]
        opt = make_optimizer(config, params)
    for k in range(start, config["steps"] if stop is None else stop):
        feed(opt, params, data, k)
        opt.step()
        yield k, opt, params


def assert_state_matches(opt, params, data, row, rtol):
    for i, p in enumerate(params):
        step = int(data[f"p{i}_step"][row])
        if step < 0:
            assert p not in opt.state, f"param {i} has state although torch created none"
            continue
        state = opt.state[p]
        assert state["step"] == step
        for key in STATE_KEYS:
            expected = data[f"p{i}_{key}"][row]
            if np.isnan(expected).all():
                assert key not in state
                continue
            assert state[key].dtype == p.dtype
            np.testing.assert_allclose(state[key], expected, rtol=rtol,
                                       atol=rtol * np.abs(expected).max(), err_msg=key)


@pytest.fixture(params=FILES, ids=[f.stem for f in FILES])
def golden(request):
    return load(request.param)


def test_golden_files_are_small_and_plain():
    assert len(FILES) >= 10
    assert sum(f.stat().st_size for f in FILES) < 1_000_000
    for f in FILES:
        with np.load(f, allow_pickle=False) as z:
            assert all(z[k].dtype != object for k in z.files)


def test_golden_coverage():
    """The scenarios cover what the parity claim is about."""
    configs = [load(f)["config"] for f in FILES]
    groups = [g for c in configs for g in c["groups"]]
    assert {c["dtype"] for c in configs} == {"float32", "float64"}
    assert any(g["amsgrad"] for g in groups) and any(g["maximize"] for g in groups)
    assert any(g["weight_decay"] > 0 and not g["decoupled_weight_decay"] for g in groups)
    assert any(c["optimizer"] == "Adam" and g["decoupled_weight_decay"]
               for c in configs for g in c["groups"])
    assert any(c["optimizer"] == "AdamW" for c in configs)
    assert any(len(c["groups"]) >= 3 for c in configs)
    assert all(c["steps"] >= 300 for c in configs)
    data = [load(f) for f in FILES]
    assert any(len(np.unique(d["lr"][:, 0])) > 1 for d in data)
    assert any(not d[f"p{i}_has_grad"].all() for d in data for i in range(n_params(d["config"])))
    # tiny gradients: √v̂ below ε on some steps
    assert any(np.abs(d["p0_grad"]).max() < 1e-6 for d in data)


def test_golden_replay(golden):
    """Every param after every step, and the state every 25 steps, equal torch's."""
    config = golden["config"]
    rtol = RTOL[config["dtype"]]
    rows = {int(s): r for r, s in enumerate(golden["state_at"])}
    for k, opt, params in replay(golden):
        for i, p in enumerate(params):
            assert p.dtype == np.dtype(config["dtype"])
            np.testing.assert_allclose(p.data, golden[f"p{i}_theta"][k], rtol=rtol,
                                       err_msg=f"param {i} after step {k + 1}")
        if k + 1 in rows:
            assert_state_matches(opt, params, golden, rows[k + 1], rtol)


def test_golden_skipped_params_get_no_state():
    data = load(GOLDEN / "adam_groups_f64.npz")
    for k, opt, params in replay(data, stop=10):
        assert params[1] not in opt.state and params[0] in opt.state
    before = params[1].data.copy()
    np.testing.assert_array_equal(before, data["p1_init"])


@pytest.mark.parametrize("name", ["groups_f64", "amsgrad_l2_f64", "groups_f32"])
def test_state_dict_round_trip_is_bit_identical(name):
    """Save mid-run, load into a fresh optimizer over copies, continue: same bits."""
    data = load(GOLDEN / f"adam_{name}.npz")
    config = data["config"]
    for _, opt, params in replay(data, stop=150):
        pass
    saved = opt.state_dict()
    copies = [adam_ref.Param(p.data.copy()) for p in params]
    fresh = make_optimizer(config, copies)
    fresh.load_state_dict(saved)
    # the saved dict does not alias live state: stepping on changes neither it nor the copy
    snapshot = {i: {k: np.copy(v) for k, v in s.items()} for i, s in saved["state"].items()}
    for _ in replay(data, opt=opt, params=params, start=150):
        pass
    for i, s in saved["state"].items():
        for key, value in s.items():
            np.testing.assert_array_equal(value, snapshot[i][key])
            if isinstance(value, np.ndarray):
                assert not np.shares_memory(value, opt.state[params[i]][key])
                assert not np.shares_memory(value, fresh.state[copies[i]][key])
    for _ in replay(data, opt=fresh, params=copies, start=150):
        pass
    for p, q in zip(params, copies):
        assert np.array_equal(p.data, q.data)
        assert p.data.tobytes() == q.data.tobytes()
        assert (p in opt.state) == (q in fresh.state)
        if p in opt.state:
            for key, value in opt.state[p].items():
                assert np.array_equal(value, fresh.state[q][key]), key


# --------------------------------------------------------------------------- live torch

@pytest.fixture(scope="module")
def maker():
    pytest.importorskip("torch", reason=NO_TORCH)
    return gen


@pytest.mark.parametrize("path", FILES, ids=[f.stem for f in FILES])
def test_golden_files_are_what_torch_computes(maker, path):
    """Regenerating a file with the installed torch gives the same arrays, to within a few
    ulp: torch's own results differ by an ulp between CPUs (vector widths), while a drift of
    one ulp per step would be hundreds of ulp by the end of the run, and is caught."""
    data = load(path)
    name = data["config"]["name"]
    fresh = maker.golden(name, list(maker.SCENARIOS).index(name))
    assert json.loads(fresh.pop("config").item())["torch"].split("+")[0] == "2.13.0"
    for key, value in fresh.items():
        if np.asarray(value).dtype.kind != "f":
            np.testing.assert_array_equal(value, data[key], err_msg=key)
            continue
        tol = 4 * np.finfo(np.asarray(value).dtype).eps
        scale = np.max(np.abs(data[key])) if np.size(data[key]) else 0.0
        np.testing.assert_allclose(value, data[key], rtol=tol, atol=tol * scale, err_msg=key)


@pytest.mark.parametrize("path", FILES, ids=[f.stem for f in FILES])
def test_live_fresh_data_every_scenario(maker, path):
    """Each golden scenario again, on new random data, adam_ref against torch at every step."""
    name = load(path)["config"]["name"]
    scenario = maker.SCENARIOS[name]
    config = maker.config_of(name, scenario)
    data = {**maker.make_inputs(scenario, seed=1000 + len(name)), "config": config}
    expected = maker.run_torch(config, data)
    data.update(expected)
    rtol = RTOL[config["dtype"]]
    rows = {int(s): r for r, s in enumerate(data["state_at"])}
    for k, opt, params in replay(data):
        for i, p in enumerate(params):
            np.testing.assert_allclose(p.data, expected[f"p{i}_theta"][k], rtol=rtol,
                                       err_msg=f"param {i} after step {k + 1}")
        if k + 1 in rows:
            assert_state_matches(opt, params, data, rows[k + 1], rtol)


def torch_adam_pair(torch, cls, hyper, dtype, n=5, seed=0):
    rng = np.random.default_rng(seed)
    init = rng.normal(size=n).astype(dtype)
    tp = torch.tensor(init.copy()).requires_grad_()
    topt = getattr(torch.optim, cls)([tp], foreach=False, **hyper)
    ap = adam_ref.Param(init.copy())
    aopt = getattr(adam_ref, cls)([ap], **hyper)
    return tp, topt, ap, aopt


@pytest.mark.parametrize("cls,hyper", [
    ("Adam", dict(lr=0.05)),
    ("Adam", dict(lr=0.05, amsgrad=True, weight_decay=0.1, maximize=True)),
    ("Adam", dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True)),
    ("AdamW", dict(lr=0.05, amsgrad=True)),
])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_live_closed_loop_rosenbrock(cls, hyper, dtype):
    """A closed loop: the gradient depends on the params (Rosenbrock), 400 steps, state too."""
    torch = pytest.importorskip("torch", reason=NO_TORCH)
    tp, topt, ap, aopt = torch_adam_pair(torch, cls, hyper, dtype)

    def grad(x):  # ∂/∂x of Σ 100(x_{i+1} − x_i²)² + (1 − x_i)², in NumPy for both sides
        g = np.zeros_like(x)
        g[:-1] += -400 * x[:-1] * (x[1:] - x[:-1] ** 2) - 2 * (1 - x[:-1])
        g[1:] += 200 * (x[1:] - x[:-1] ** 2)
        return g

    rtol = RTOL[dtype]
    for _ in range(400):
        g = grad(tp.detach().numpy().copy())
        tp.grad = torch.tensor(g)
        ap.grad = g.copy()
        topt.step()
        aopt.step()
        assert ap.dtype == np.dtype(dtype)
        np.testing.assert_allclose(ap.data, tp.detach().numpy(), rtol=rtol, atol=rtol)
    ts, st = topt.state[tp], aopt.state[ap]
    assert st["step"] == int(ts["step"].item()) == 400
    assert set(st) == set(ts)
    for key in STATE_KEYS:
        if key in ts:
            expected = ts[key].numpy()
            np.testing.assert_allclose(st[key], expected, rtol=rtol,
                                       atol=rtol * np.abs(expected).max(), err_msg=key)


def test_live_state_dict_matches_torch_layout():
    torch = pytest.importorskip("torch", reason=NO_TORCH)
    tp, topt, ap, aopt = torch_adam_pair(torch, "Adam", dict(lr=0.1, amsgrad=True), "float64")
    g = np.arange(5.0)
    tp.grad, ap.grad = torch.tensor(g), g.copy()
    topt.step()
    aopt.step()
    ts, st = topt.state_dict(), aopt.state_dict()
    assert list(st["state"]) == list(ts["state"]) == [0]
    assert set(st["state"][0]) == set(ts["state"][0])
    for ours, theirs in zip(st["param_groups"], ts["param_groups"]):
        for key in ("lr", "betas", "eps", "weight_decay", "amsgrad", "maximize",
                    "decoupled_weight_decay", "params"):
            assert ours[key] == theirs[key], key


def test_live_nan_propagates_like_torch_with_check_finite_off():
    """With check_finite=False a NaN or inf gradient poisons the same coordinates as in torch.

    The params agree (NaN where torch has NaN). In the state, a coordinate whose
    m is ±inf becomes NaN in torch on the next step (``lerp_`` computes
    m + w·(g − m) = inf − inf) but stays ±inf in β1·m + (1 − β1)·g; both are
    non-finite, so only the non-finite positions are compared there.
    """
    torch = pytest.importorskip("torch", reason=NO_TORCH)
    tp, topt, ap, aopt = torch_adam_pair(torch, "Adam", dict(lr=0.1), "float64")
    aopt.check_finite = False
    for g in ([1.0, np.nan, 2.0, np.inf, -np.inf], [1.0, 1.0, 1.0, 1.0, 1.0]):
        g = np.array(g)
        tp.grad, ap.grad = torch.tensor(g), g.copy()
        topt.step()
        with np.errstate(invalid="ignore"):
            aopt.step()
        np.testing.assert_array_equal(np.isnan(ap.data), np.isnan(tp.detach().numpy()))
        np.testing.assert_allclose(ap.data, tp.detach().numpy(), rtol=1e-12)
        for key in ("exp_avg", "exp_avg_sq"):
            ours, theirs = aopt.state[ap][key], topt.state[tp][key].numpy()
            np.testing.assert_array_equal(np.isfinite(ours), np.isfinite(theirs), err_msg=key)
            finite = np.isfinite(theirs)
            np.testing.assert_allclose(ours[finite], theirs[finite], rtol=1e-12, err_msg=key)
    np.testing.assert_array_equal(np.isnan(ap.data), [False, True, False, True, True])


def test_live_torch_state_dict_loads_and_continues():
    """torch's own state_dict (tensors turned into arrays) resumes in adam_ref as in torch."""
    torch = pytest.importorskip("torch", reason=NO_TORCH)
    rng = np.random.default_rng(4)
    tparams = [torch.tensor(rng.normal(size=s)).requires_grad_() for s in [(3,), (2, 2)]]
    topt = torch.optim.Adam([{"params": tparams[:1], "amsgrad": True},
                             {"params": tparams[1:], "lr": 0.05, "weight_decay": 0.1}],
                            lr=0.01, foreach=False)
    grads = [[rng.normal(size=tuple(p.shape)) for p in tparams] for _ in range(60)]
    for step in grads[:30]:
        for p, g in zip(tparams, step):
            p.grad = torch.tensor(g)
        topt.step()
    saved = topt.state_dict()
    as_numpy = {"param_groups": saved["param_groups"],
                "state": {i: {k: v.numpy().copy() for k, v in s.items()}
                          for i, s in saved["state"].items()}}
    aparams = [adam_ref.Param(p.detach().numpy().copy()) for p in tparams]
    aopt = adam_ref.Adam([{"params": aparams[:1]}, {"params": aparams[1:]}])
    aopt.load_state_dict(as_numpy)
    assert aopt.param_groups[1]["lr"] == 0.05 and aopt.param_groups[0]["amsgrad"] is True
    assert aopt.state[aparams[0]]["step"] == 30
    for step in grads[30:]:
        for p, q, g in zip(tparams, aparams, step):
            p.grad, q.grad = torch.tensor(g), g.copy()
        topt.step()
        aopt.step()
    for p, q in zip(tparams, aparams):
        np.testing.assert_allclose(q.data, p.detach().numpy(), rtol=1e-12)
