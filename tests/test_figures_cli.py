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
from adam_ref.figures import ANIMATIONS, FIGURES, reddi_scalar_runs
from adam_ref.functional import adam_step
from adam_ref.history import record_step
from adam_ref.objectives import ReddiOnline, ReddiStochastic

ROOT = pathlib.Path(__file__).resolve().parents[1]
COMMITTED = ROOT / "figures"
CHEAP = ["ema_kernels", "bias_correction_runs", "paths_saddle"]  # well under a second each


def sha256(path):
    return hashlib.sha256(pathlib.Path(path).read_bytes()).hexdigest()


# --------------------------------------------------------------------------- the figures' helpers

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


# --------------------------------------------------------------------------- no traceback, ever

def run_cli(*args, cwd=ROOT, env=None, stdout=subprocess.PIPE):
    environment = {**__import__("os").environ, "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run([sys.executable, "-m", "adam_ref", *args], cwd=cwd, env=environment,
                          stdout=stdout, stderr=subprocess.PIPE, text=True, timeout=300)


def test_ctrl_c_exits_130_with_one_line_and_leaves_no_partial_file(tmp_path):
    import os
    import signal
    out = tmp_path / "out"
    child = subprocess.Popen(
        [sys.executable, "-m", "adam_ref", "figures", "--only", "ema_kernels", "reddi",
         "hyperparameter_sweep", "--out", str(out)], cwd=ROOT, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        first = child.stdout.readline()          # the first figure is written ...
        child.send_signal(signal.SIGINT)         # ... and the second is being made
        stdout, stderr = child.communicate(timeout=120)
    finally:
        child.kill()
    assert first.strip() == str(out / "ema_kernels.png")
    assert child.returncode == 130
    assert stderr == "adam-ref: interrupted\n"
    assert sorted(p.name for p in out.iterdir()) == ["ema_kernels.png"]


@pytest.mark.parametrize("args", [["figures", "--list"],
                                  ["figures", "--only", "ema_kernels", "--out", "{tmp}"]],
                         ids=["list", "figures"])
def test_a_full_standard_output_exits_1_with_one_line(args, tmp_path):
    if not pathlib.Path("/dev/full").exists():
        pytest.skip("no /dev/full here")
    with open("/dev/full", "w") as full:
        done = run_cli(*[a.format(tmp=tmp_path) for a in args], stdout=full)
    assert done.returncode == 1
    assert done.stderr == "adam-ref: cannot write to standard output: No space left on device\n"


@pytest.mark.parametrize("content,problem", [
    ("[" * 100_000 + "]" * 100_000, "it nests 100000 levels deep"),
    ('{"files": ' * 9 + "{}" + "}" * 9, "it nests 10 levels deep"),
    ("{not json", "it is not JSON (JSONDecodeError)"),
    (b"\xff\xfe{}", "it is not JSON (UnicodeDecodeError)"),
    ('["a list"]', "it does not list files and their sha256"),
], ids=["deep list", "deep objects", "garbage", "not utf-8", "list"])
def test_a_corrupt_manifest_is_reported_and_replaced(content, problem, tmp_path, capsys):
    manifest = tmp_path / "MANIFEST.json"
    if isinstance(content, bytes):
        manifest.write_bytes(content)
    else:
        manifest.write_text(content)
    assert main(["figures", "--only", "ema_kernels", "--out", str(tmp_path)]) == 0
    err = capsys.readouterr().err
    assert err == f"adam-ref figures: {manifest} is unreadable ({problem}); it is replaced\n"
    assert json.loads(manifest.read_text())["files"] == {
        "ema_kernels.png": sha256(tmp_path / "ema_kernels.png")}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["MANIFEST.json", "ema_kernels.png"]


def test_a_manifest_of_other_versions_is_replaced_silently(tmp_path, capsys):
    manifest = tmp_path / "MANIFEST.json"
    manifest.write_text(json.dumps({"versions": {"matplotlib": "0.1"}, "files": {"a.png": "0"}}))
    assert main(["figures", "--only", "ema_kernels", "--out", str(tmp_path)]) == 0
    assert capsys.readouterr().err == ""
    assert list(json.loads(manifest.read_text())["files"]) == ["ema_kernels.png"]


def test_a_failing_figure_is_one_line_and_leaves_nothing_behind(tmp_path, capsys, monkeypatch):
    import adam_ref.__main__ as cli

    def broken():
        raise RuntimeError("the figure broke")

    def interrupted():
        raise KeyboardInterrupt

    monkeypatch.setitem(cli.FIGURES, "ema_kernels", (broken, "broken"))
    assert main(["figures", "--only", "ema_kernels", "--out", str(tmp_path)]) == 1
    assert capsys.readouterr().err == "adam-ref: failed: RuntimeError: the figure broke\n"
    monkeypatch.setitem(cli.FIGURES, "ema_kernels", (interrupted, "interrupted"))
    assert main(["figures", "--only", "ema_kernels", "--out", str(tmp_path)]) == 130
    assert capsys.readouterr().err == "adam-ref: interrupted\n"
    assert list(tmp_path.iterdir()) == []


def test_the_users_matplotlib_settings_do_not_change_the_bytes(tmp_path):
    manifest = committed_manifest()
    (tmp_path / "matplotlibrc").write_text(
        "lines.linewidth: 5\nfont.family: serif\naxes.facecolor: red\nfigure.dpi: 50\n"
        "savefig.dpi: 40\naxes.grid: False\nbackend: nosuch\n")
    done = run_cli("figures", "--only", *CHEAP[:2], "--out", "out", cwd=tmp_path,
                   env={"MPLBACKEND": "nosuch"})
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    for name in CHEAP[:2]:
        assert sha256(tmp_path / "out" / f"{name}.png") == manifest["files"][f"{name}.png"]


def test_rc_settings_in_force_do_not_change_the_bytes(tmp_path):
    assert main(["figures", "--only", CHEAP[0], "--out", str(tmp_path / "a")]) == 0
    with matplotlib.rc_context({"lines.linewidth": 7, "font.family": "serif",
                                "axes.prop_cycle": matplotlib.cycler(color=["red"]),
                                "savefig.transparent": True}):
        assert main(["figures", "--only", CHEAP[0], "--out", str(tmp_path / "b")]) == 0
        assert matplotlib.rcParams["lines.linewidth"] == 7      # and are left as they were
    name = f"{CHEAP[0]}.png"
    assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
