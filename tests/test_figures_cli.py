"""The figures command and the helpers behind its figures: options, errors, byte-identical
output, and the committed figures against their manifest."""

import hashlib
import json
import math
import pathlib
import subprocess
import sys

import matplotlib
import numpy as np
import pytest
from matplotlib import ft2font

from adam_ref.__main__ import main
from adam_ref.figures import ANIMATIONS, FIGURES, adam_variant_step, reddi_scalar_runs
from adam_ref.functional import adam_init, adam_step
from adam_ref.history import record_step
from adam_ref.objectives import Quadratic, ReddiOnline, ReddiStochastic

ROOT = pathlib.Path(__file__).resolve().parents[1]
COMMITTED = ROOT / "figures"
CHEAP = ["ema_kernels", "bias_correction_runs", "paths_saddle"]  # well under a second each


def sha256(path):
    return hashlib.sha256(pathlib.Path(path).read_bytes()).hexdigest()


# --------------------------------------------------------------------------- the figures' helpers

def test_variant_algorithm1_is_adam_step():
    objective = Quadratic((1.0, 0.1), angle=0.3)
    settings = dict(lr=0.05, beta1=0.9, beta2=0.999, eps=1e-8)
    ours = record_step(adam_variant_step, objective, np.array([1.0, -1.0]), 50, init=adam_init,
                       form="algorithm1", **settings)
    reference = record_step(adam_step, objective, np.array([1.0, -1.0]), 50, **settings)
    for name in reference.trace:
        np.testing.assert_array_equal(ours.trace[name], reference.trace[name])


def test_variant_uncorrected_drops_the_bias_correction():
    g = np.array([0.5, -2.0])
    _, _, trace = adam_variant_step(np.zeros(2), g, adam_init(np.zeros(2)), lr=0.1,
                                    form="uncorrected")
    # m₁ = (1 − β1)g, v₁ = (1 − β2)g²: the first step is α(1 − β1)/√(1 − β2) ≈ 3.16α against −g
    np.testing.assert_allclose(trace.update, -0.1 * 0.1 / math.sqrt(0.001) * np.sign(g), rtol=1e-6)
    assert trace.bias_correction1 == trace.bias_correction2 == 1.0


def test_variant_eps_hat_is_algorithm1_with_a_step_dependent_eps():
    # θ − α·√(1 − β2^t)/(1 − β1^t)·m/(√v + ε̂) = θ − α·m̂/(√v̂ + ε̂/√(1 − β2^t))
    objective = Quadratic((1.0,))
    theta_a = theta_b = np.array([1.0])
    state_a = state_b = adam_init(theta_a)
    for t in range(1, 200):
        theta_a, state_a, _ = adam_variant_step(theta_a, objective.grad(theta_a), state_a, lr=0.01,
                                                eps=1e-3, form="eps_hat")
        theta_b, state_b, _ = adam_step(theta_b, objective.grad(theta_b), state_b, lr=0.01,
                                        eps=1e-3 / math.sqrt(1 - 0.999 ** t))
        np.testing.assert_allclose(theta_a, theta_b, rtol=1e-12, atol=1e-300)
    with pytest.raises(ValueError, match="form"):
        adam_variant_step(theta_a, theta_a, state_a, form="keras")


@pytest.mark.parametrize("objective", [ReddiOnline(), ReddiStochastic(seed=3)], ids=repr)
def test_reddi_scalar_runs_are_adam_step_exactly(objective):
    steps, alpha = 3000, 0.5
    lr = lambda t: alpha / math.sqrt(t)  # noqa: E731
    adam, amsgrad = reddi_scalar_runs(objective.slopes(steps), alpha, every=7)
    for fast, flag in ((adam, False), (amsgrad, True)):
        slow = record_step(adam_step, objective, np.zeros(1), steps, every=7, lr=lr, beta1=0.9,
                           beta2=0.99, amsgrad=flag, project=objective.project, comparator=-1.0)
        np.testing.assert_array_equal(fast.t, slow.t)
        np.testing.assert_array_equal(fast.theta, slow.theta)
        np.testing.assert_array_equal(fast.loss, slow.loss)
        np.testing.assert_array_equal(fast.lr, slow.lr)
        np.testing.assert_allclose(fast.regret, slow.regret, rtol=1e-12)


def test_reddi_expected_regret_is_the_mean_slope_times_the_distance_to_x_star():
    # E[f_t(x)] = 0.01·1010x − 0.99·10x = 0.2x, so E[R_t] = Σ_{s≤t} 0.2·(x_{s−1} − (−1)),
    # summed over the iterates of the reference adam_step run, kept at every step
    objective, steps, alpha = ReddiStochastic(seed=4), 2000, 0.5
    assert objective.mean_slope == pytest.approx(0.2, rel=1e-12)
    slopes = objective.slopes(steps)
    lr = lambda t: alpha / math.sqrt(t)  # noqa: E731
    every_step = reddi_scalar_runs(slopes, alpha, every=1, mean_slope=objective.mean_slope)
    every_7th = reddi_scalar_runs(slopes, alpha, every=7, mean_slope=objective.mean_slope)
    for fast, sparse, flag in zip(every_step, every_7th, (False, True)):
        slow = record_step(adam_step, objective, np.zeros(1), steps, every=1, lr=lr, beta1=0.9,
                           beta2=0.99, amsgrad=flag, project=objective.project, comparator=-1.0)
        x_before = np.concatenate([[0.0], slow.theta[:-1, 0]])  # x_{s−1}, from x₀ = 0
        expected = np.cumsum(0.2 * (x_before + 1.0))
        np.testing.assert_allclose(fast.regret[:, 0], expected, rtol=1e-12)
        # kept every 7th step, the sum still runs over every step
        np.testing.assert_allclose(sparse.regret[:, 0], expected[6::7], rtol=1e-12)
        np.testing.assert_array_equal(sparse.theta, fast.theta[6::7])
        # the realised regret of the same iterates is another number: the draws' noise
        assert np.max(np.abs(slow.regret[:, 0] - expected)) > 10
    assert np.all(np.diff(every_step[0].regret[:, 0]) >= 0)  # each term 0.2·(x + 1) ≥ 0


@pytest.mark.parametrize("bad, error", [("0.2", TypeError), (True, TypeError),
                                        (np.array([0.2]), TypeError), (math.nan, ValueError)])
def test_reddi_scalar_runs_rejects_a_bad_mean_slope(bad, error):
    with pytest.raises(error, match="mean_slope"):
        reddi_scalar_runs(ReddiStochastic().slopes(10), 0.5, mean_slope=bad)


def test_reddi_effect_adam_to_plus_one_amsgrad_to_minus_one():
    online = ReddiOnline()
    adam, amsgrad = reddi_scalar_runs(online.slopes(100_000), 0.5, every=1000)
    assert adam.theta[-1, 0] > 0.95 and amsgrad.theta[-1, 0] < -0.95
    # x = +1 costs 2·(1010 − 100·10) = 20 per period of 101 steps; x* = −1 costs nothing
    assert adam.average_regret[-1, 0] > 20 / 101 > amsgrad.average_regret[-1, 0]


# --------------------------------------------------------------------------- the command line

def test_list(capsys):
    assert main(["figures", "--list"]) == 0
    out = capsys.readouterr().out
    assert len(FIGURES) >= 10
    for name in FIGURES:
        assert name in out


def test_unknown_name_exits_2_and_lists_the_names(capsys, tmp_path):
    assert main(["figures", "--only", "ema_kernels", "no_such_figure", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "no_such_figure" in err and "Traceback" not in err
    for name in FIGURES:
        assert name in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("argv", [["figures", "--format", "jpg"], ["figures", "--bogus"], [],
                                  ["pictures"]])
def test_bad_arguments_give_usage_and_exit_2(argv, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    assert "usage:" in capsys.readouterr().err


def test_only_writes_the_named_figures_and_a_manifest(capsys, tmp_path):
    assert main(["figures", "--only", *CHEAP[:2], "--out", str(tmp_path / "new")]) == 0
    lines = capsys.readouterr().out.split()
    paths = [tmp_path / "new" / f"{name}.png" for name in CHEAP[:2]]
    assert lines == [str(p) for p in paths] + [str(tmp_path / "new" / "MANIFEST.json")]
    manifest = json.loads((tmp_path / "new" / "MANIFEST.json").read_text())
    assert manifest["files"] == {p.name: sha256(p) for p in paths}
    assert manifest["versions"]["matplotlib"] == matplotlib.__version__
    assert manifest["versions"]["numpy"] == np.__version__
    assert paths[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert b"Software" not in paths[0].read_bytes()


@pytest.mark.parametrize("fmt", ["png", "svg"])
def test_second_run_is_byte_identical(fmt, tmp_path):
    for out in ("a", "b"):
        assert main(["figures", "--only", *CHEAP, "--format", fmt, "--out", str(tmp_path / out)]) == 0
    for name in CHEAP:
        first = (tmp_path / "a" / f"{name}.{fmt}").read_bytes()
        assert first == (tmp_path / "b" / f"{name}.{fmt}").read_bytes()
    if fmt == "svg":
        assert first.lstrip().startswith(b"<?xml") and b"<dc:date>" not in first


def test_unwritable_out_exits_1_without_a_traceback(capsys, tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a directory")
    assert main(["figures", "--only", "ema_kernels", "--out", str(blocker / "sub")]) == 1
    err = capsys.readouterr().err
    assert "cannot write" in err and str(blocker / "sub") in err and "Traceback" not in err


def test_module_entry_point_runs():
    done = subprocess.run([sys.executable, "-m", "adam_ref", "figures", "--list"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "reddi" in done.stdout


# --------------------------------------------------------------------------- committed figures

def committed_manifest():
    path = COMMITTED / "MANIFEST.json"
    if not path.exists():
        pytest.fail("figures/MANIFEST.json is missing: run `python -m adam_ref figures`")
    manifest = json.loads(path.read_text())
    ours = {"matplotlib": matplotlib.__version__, "numpy": np.__version__,
            "freetype": ft2font.__freetype_version__}
    recorded = {key: manifest["versions"].get(key) for key in ours}
    if recorded != ours:
        pytest.skip(f"figures/MANIFEST.json was written with {recorded}, this environment has "
                    f"{ours}: rendering may differ by a pixel, so bytes are not compared")
    return manifest


def test_every_figure_is_committed_with_its_hash():
    manifest = committed_manifest()
    assert sorted(manifest["files"]) == sorted(
        f"{name}.{'gif' if name in ANIMATIONS else 'png'}" for name in FIGURES)
    for name, digest in manifest["files"].items():
        assert sha256(COMMITTED / name) == digest, f"figures/{name} differs from MANIFEST.json"


def test_committed_figures_match_what_the_command_writes(tmp_path):
    manifest = committed_manifest()
    assert main(["figures", "--only", *CHEAP, "--out", str(tmp_path)]) == 0
    for name in CHEAP:
        assert sha256(tmp_path / f"{name}.png") == manifest["files"][f"{name}.png"], (
            f"figures/{name}.png is stale: run `python -m adam_ref figures`")


def test_reddi_scalar_runs_takes_any_array_like():
    slopes = ReddiOnline().slopes(300)
    reference = reddi_scalar_runs(slopes, 0.5, every=7)
    for same in (slopes.tolist(), tuple(slopes.tolist()), slopes.astype(np.float32)[None][0]):
        for ours, theirs in zip(reddi_scalar_runs(same, 0.5, every=7), reference):
            np.testing.assert_array_equal(ours.theta, theirs.theta)
            np.testing.assert_array_equal(ours.regret, theirs.regret)


@pytest.mark.parametrize("slopes, every, error, match", [
    (np.ones(5), 0, ValueError, "every"), (np.ones(5), -1, ValueError, "every"),
    (np.ones(5), 2.5, ValueError, "every"), (np.ones(5), True, ValueError, "every"),
    (np.ones(5), 6, ValueError, "every=6 is larger than the 5 slopes"),
    ([], 1, ValueError, "larger than the 0 slopes"),
    (np.ones((5, 1)), 1, ValueError, "1-D"), ([1, -1], 1, TypeError, "floating"),
    ("1010", 1, TypeError, "floating"), ([1.0, np.nan], 1, ValueError, "finite"),
    ([1.0, np.inf], 1, ValueError, "finite")])
def test_reddi_scalar_runs_rejects_bad_slopes_and_every(slopes, every, error, match):
    with pytest.raises(error, match=match):
        reddi_scalar_runs(slopes, 0.5, every=every)


def test_variant_checks_its_state():
    theta = np.ones(2)
    state = adam_init(theta)
    for bad in (None, tuple(state), {"t": 0}):
        with pytest.raises(TypeError, match="AdamState"):
            adam_variant_step(theta, theta, bad)
    with pytest.raises(ValueError, match="AdamState.t"):
        adam_variant_step(theta, theta, state._replace(t=-1))


@pytest.mark.parametrize("files", [[1, 2], {"old.png": 1}, {"old.png": None}, "old.png", 3, None])
def test_a_malformed_manifest_is_ignored(files, tmp_path, capsys):
    from adam_ref.__main__ import versions
    manifest = tmp_path / "MANIFEST.json"
    manifest.write_text(json.dumps({"versions": versions(), "files": files}))
    assert main(["figures", "--only", "ema_kernels", "--out", str(tmp_path)]) == 0
    assert "Traceback" not in capsys.readouterr().err
    written = json.loads(manifest.read_text())["files"]
    assert written == {"ema_kernels.png": sha256(tmp_path / "ema_kernels.png")}
    # a well-formed manifest of the same versions keeps the other files' entries
    manifest.write_text(json.dumps({"versions": versions(), "files": {"old.png": "ab12"}}))
    assert main(["figures", "--only", "ema_kernels", "--out", str(tmp_path)]) == 0
    assert json.loads(manifest.read_text())["files"] == {**written, "old.png": "ab12"}
