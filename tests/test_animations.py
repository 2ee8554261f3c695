"""The animated figures: what the frames show, GIF bytes identical on a rerun, the size bound,
the figures command's handling of animations, and the animate_* functions' input checks."""

import copy
import functools
import hashlib
import io
import json
import pathlib
import re

import matplotlib
import numpy as np
import pytest
from matplotlib import ft2font
from matplotlib.animation import Animation

from adam_ref.__main__ import main
from adam_ref.figures import ANIMATIONS, FIGURES
from adam_ref.functional import adam_step
from adam_ref.history import record, record_step
from adam_ref.objectives import NoisyQuadratic, Quadratic, ReddiOnline, Saddle
from adam_ref.optim import SGD, Adam
from adam_ref.plots import animate_moments, animate_paths, animate_reddi

Image = pytest.importorskip("PIL.Image", reason="writing GIFs needs Pillow (a matplotlib dependency)")
from PIL import ImageSequence  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[1]
COMMITTED = ROOT / "figures"
MAX_BYTES = 1_000_000
# an animation only inspected frame by frame is never "rendered" in matplotlib's sense
pytestmark = pytest.mark.filterwarnings("ignore:Animation was deleted without rendering")


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def saddle_runs(steps=12):
    objective = Saddle()
    theta0 = np.array([0.9, 1e-3])
    return objective, [record(functools.partial(Adam, lr=0.05), objective, theta0, steps,
                              label="Adam"),
                       record(functools.partial(SGD, lr=0.02, momentum=0.9), objective, theta0,
                              steps, label="SGD")]


def decoded_frames(data):
    with Image.open(io.BytesIO(data)) as image:
        return [np.asarray(frame.convert("RGB")) for frame in ImageSequence.Iterator(image)]


# --------------------------------------------------------------------------- what the frames show

def test_the_last_frame_shows_every_step_and_the_first_only_the_start():
    objective, runs = saddle_runs()
    anim = animate_paths(objective, runs, frames=5, spacing="linear")
    assert isinstance(anim, Animation) and anim.frame_count == 5
    lines = anim.artists[:2]
    anim.show_frame(0)
    for line, run in zip(lines, runs):
        np.testing.assert_array_equal(np.column_stack(line.get_data()), run.path[:1])
    anim.show_frame(anim.frame_count - 1)
    for line, run in zip(lines, runs):
        np.testing.assert_array_equal(np.column_stack(line.get_data()), run.path)
    assert anim.artists[-1].get_text() == "$t$ = 12"
    for bad in (5, -1, 1.0, True):
        with pytest.raises(ValueError, match="frame must be a whole number from 0 to 4"):
            anim.show_frame(bad)


def test_frames_change_and_the_gif_decodes_to_the_drawn_frames():
    objective, runs = saddle_runs()
    anim = animate_paths(objective, runs, frames=4, spacing="linear")
    drawn = list(anim.frames_rgb())
    assert len(drawn) == 4 and drawn[0].shape == (560, 640, 3)
    for before, after in zip(drawn, drawn[1:]):
        assert np.any(before != after)  # the paths grow every frame
    decoded = decoded_frames(anim.gif_bytes())
    assert len(decoded) == 4
    # unchanged pixels are stored as transparent after frame 0: the decoder composites them
    # back, so every decoded frame is the drawn one up to the palette (a mean error of a
    # few levels out of 255; a lost background would be off by ~100)
    for gif, rgb in zip(decoded, drawn):
        assert np.abs(gif.astype(int) - rgb.astype(int)).mean() < 4


def test_moments_fill_in_one_step_per_frame():
    objective = NoisyQuadratic(curvatures=(1.0, 0.1), sigma=0.5, seed=1)
    h = record(functools.partial(Adam, lr=0.05), objective, np.array([1.5, 1.5]), 9)
    anim = animate_moments(h, coordinate=1)
    assert anim.frame_count == 9
    anim.show_frame(3)
    g, m, m_hat, g2, v, v_hat = (line.get_ydata() for line in anim.artists[:6])
    np.testing.assert_array_equal(m, h.m[:4, 1])
    np.testing.assert_array_equal(v_hat, h.v_hat[:4, 1])
    np.testing.assert_array_equal(g2, h.g[:4, 1] ** 2)
    assert animate_moments(h, frames=3).frame_count == 3


def test_reddi_frames_run_on_a_log_step_axis_to_the_last_step():
    online = ReddiOnline()
    runs = [record_step(adam_step, online, np.zeros(1), 400, every=4, lr=0.1, beta2=0.99,
                        amsgrad=flag, project=online.project, label=str(flag))
            for flag in (False, True)]
    anim = animate_reddi(runs, frames=10)
    shown = []
    for k in range(anim.frame_count):
        anim.show_frame(k)
        shown.append(len(anim.artists[0].get_xdata()))
    assert shown[0] == 1 and shown[-1] == 100 and shown == sorted(set(shown))
    assert shown[1] / shown[0] == pytest.approx(shown[-1] / shown[-2], rel=0.5)  # log spacing


# --------------------------------------------------------------------------- determinism, size

def test_gif_bytes_are_identical_on_a_rebuild():
    objective, runs = saddle_runs()
    anim = animate_paths(objective, runs, frames=4)
    first = anim.gif_bytes()
    objective, runs = saddle_runs()
    assert animate_paths(objective, runs, frames=4).gif_bytes() == first
    assert first[:6] == b"GIF89a"
    # the same object again, also after it was played in a notebook: the layout is fixed
    assert anim.gif_bytes() == first
    anim.to_jshtml()
    assert anim.gif_bytes() == first


def test_to_jshtml_is_deterministic_but_for_its_element_id():
    objective, runs = saddle_runs(4)
    html = [animate_paths(objective, runs, frames=3).to_jshtml() for _ in range(2)]
    ids = [set(re.findall(r"[0-9a-f]{32}", page)) for page in html]
    assert all(len(found) == 1 for found in ids) and ids[0] != ids[1]  # a fresh uuid4 each time
    assert html[0].count("data:image/png;base64") == 3
    assert re.sub(r"[0-9a-f]{32}", "ID", html[0]) == re.sub(r"[0-9a-f]{32}", "ID", html[1])


def test_the_command_writes_the_same_gif_twice(tmp_path):
    for out in ("a", "b"):
        assert main(["figures", "--only", "paths_saddle_anim", "--out", str(tmp_path / out)]) == 0
    a, b = ((tmp_path / out / "paths_saddle_anim.gif").read_bytes() for out in "ab")
    assert a == b and len(a) <= MAX_BYTES


def committed_manifest():
    manifest = json.loads((COMMITTED / "MANIFEST.json").read_text())
    ours = {"matplotlib": matplotlib.__version__, "numpy": np.__version__,
            "freetype": ft2font.__freetype_version__}
    if {key: manifest["versions"].get(key) for key in ours} != ours:
        pytest.skip("figures/MANIFEST.json was written with other versions: bytes not compared")
    return manifest


@pytest.mark.parametrize("name", list(ANIMATIONS))
def test_each_committed_animation_is_small_and_has_its_frames(name):
    data = (COMMITTED / f"{name}.gif").read_bytes()
    assert len(data) <= MAX_BYTES, f"figures/{name}.gif is {len(data)} bytes"
    anim = ANIMATIONS[name][0]()
    with Image.open(io.BytesIO(data)) as image:
        assert image.n_frames == anim.frame_count >= 40
        assert image.info.get("loop") == 0  # loops for ever, as a slide wants
    assert committed_manifest()["files"][f"{name}.gif"] == sha256(data)


def test_the_committed_saddle_animation_is_what_the_command_writes(tmp_path):
    manifest = committed_manifest()
    assert main(["figures", "--only", "paths_saddle_anim", "--out", str(tmp_path)]) == 0
    assert sha256((tmp_path / "paths_saddle_anim.gif").read_bytes()) == \
        manifest["files"]["paths_saddle_anim.gif"], "run `python -m adam_ref figures`"


# --------------------------------------------------------------------------- the command line

def test_list_marks_the_animations(capsys):
    assert len(ANIMATIONS) >= 4 and set(ANIMATIONS) <= set(FIGURES)
    assert main(["figures", "--list"]) == 0
    rows = {line.split()[0]: line.split()[1] for line in capsys.readouterr().out.splitlines()}
    assert {name for name, kind in rows.items() if kind == "gif"} == set(ANIMATIONS)
    assert {name for name, kind in rows.items() if kind == "png"} == set(FIGURES) - set(ANIMATIONS)


def test_only_selects_an_animation_and_the_manifest_records_it(tmp_path, capsys):
    # --format applies to the still figures; an animation is a GIF whatever it says
    assert main(["figures", "--only", "paths_saddle_anim", "ema_kernels", "--format", "svg",
                 "--out", str(tmp_path)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["MANIFEST.json", "ema_kernels.svg",
                                                          "paths_saddle_anim.gif"]
    assert capsys.readouterr().out.split()[0] == str(tmp_path / "paths_saddle_anim.gif")
    gif = (tmp_path / "paths_saddle_anim.gif").read_bytes()
    assert gif[:6] == b"GIF89a"
    files = json.loads((tmp_path / "MANIFEST.json").read_text())["files"]
    assert files["paths_saddle_anim.gif"] == sha256(gif)


# --------------------------------------------------------------------------- bad input

def snapshot(histories):
    return [copy.deepcopy(h.__dict__) for h in histories]


def assert_unchanged(histories, before):
    for history, old in zip(histories, before):
        assert history.__dict__.keys() == old.keys()
        for key, value in old.items():
            if isinstance(value, np.ndarray):
                np.testing.assert_array_equal(history.__dict__[key], value)
            elif key == "trace":
                for field in value:
                    np.testing.assert_array_equal(history.trace[field], value[field])
            else:
                assert history.__dict__[key] == value


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(frames=1), ValueError, "frames must be a whole number of at least 2"),
    (dict(frames=2.5), ValueError, "frames"), (dict(frames=True), ValueError, "frames"),
    (dict(frames="60"), ValueError, "frames"), (dict(spacing="cubic"), ValueError, "spacing")])
def test_animate_paths_rejects_bad_options(kwargs, error, match):
    objective, runs = saddle_runs(4)
    before = snapshot(runs)
    with pytest.raises(error, match=match):
        animate_paths(objective, runs, **kwargs)
    assert_unchanged(runs, before)


def test_animate_paths_rejects_bad_histories():
    objective, runs = saddle_runs(4)
    _, longer = saddle_runs(5)
    with pytest.raises(TypeError, match="list of History"):
        animate_paths(objective, runs[0])
    with pytest.raises(ValueError, match="at least one History"):
        animate_paths(objective, [])
    with pytest.raises(TypeError, match="History objects"):
        animate_paths(objective, [runs[0], "SGD"])
    with pytest.raises(ValueError, match=r"one length, got \[4, 5\]"):
        animate_paths(objective, [runs[0], longer[0]])
    three_d = record(functools.partial(Adam, lr=0.1), Quadratic((1.0, 1.0, 1.0)), np.ones(3), 4)
    with pytest.raises(ValueError, match="shape \\(2,\\)"):
        animate_paths(objective, [three_d])


def test_animate_moments_rejects_bad_input():
    objective = Quadratic((1.0, 0.1))
    h = record(functools.partial(Adam, lr=0.1), objective, np.ones(2), 5)
    before = snapshot([h])
    for bad in (2, -1, 0.5, True, "0"):
        with pytest.raises(ValueError, match="coordinate must be a whole number from 0 to 1"):
            animate_moments(h, coordinate=bad)
    with pytest.raises(ValueError, match="frames"):
        animate_moments(h, frames=0)
    with pytest.raises(TypeError, match="History"):
        animate_moments(h.theta)
    sgd = record(functools.partial(SGD, lr=0.1), objective, np.ones(2), 5)
    with pytest.raises(ValueError, match="trace fields g, m, v, m_hat, v_hat"):
        animate_moments(sgd)
    assert_unchanged([h], before)


def test_animate_reddi_rejects_bad_input():
    objective = Quadratic((1.0, 0.1))
    two_d = record(functools.partial(Adam, lr=0.1), objective, np.ones(2), 5)
    with pytest.raises(ValueError, match="scalar x_t"):
        animate_reddi([two_d])
    online = ReddiOnline()
    runs = [record_step(adam_step, online, np.zeros(1), n, project=online.project)
            for n in (5, 6)]
    with pytest.raises(ValueError, match="one length"):
        animate_reddi(runs)
    with pytest.raises(ValueError, match="frames"):
        animate_reddi(runs[:1], frames=-3)


@pytest.mark.parametrize("colors", [8, 257, 64.0, True])
def test_save_gif_rejects_a_bad_palette_size_and_writes_nothing(colors, tmp_path):
    objective, runs = saddle_runs(4)
    path = tmp_path / "a.gif"
    with pytest.raises(ValueError, match="colors"):
        animate_paths(objective, runs, frames=2).save_gif(path, colors=colors)
    assert not path.exists()
