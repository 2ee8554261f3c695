"""plot_digits and plot_seed_runs (lesson 11): the right panels, lines and labels, every text
from the arguments, clear errors on bad input, and no change to global matplotlib state."""

import io

import matplotlib
import numpy as np
import pytest
from _zh import CJK, needs_font
from matplotlib.figure import Figure

from adam_ref import plots
from adam_ref.datasets import load_digits


def runs(seeds=3, epochs=5, names=("Adam", "SGD"), rng=0):
    rng = np.random.default_rng(rng)
    return {name: (np.exp(-rng.random((seeds, epochs)).cumsum(axis=1)), 0.9 + 0.05 * rng.random(seeds))
            for name in names}


def render(fig):
    fig.savefig(io.BytesIO(), format="png")


def test_plot_digits_draws_one_titled_image_per_digit():
    X, y = load_digits()
    before = dict(matplotlib.rcParams)
    fig = plots.plot_digits(X[:12], y[:12], columns=5, title="T", label_format="digit {}")
    assert isinstance(fig, Figure)
    shown = [ax for ax in fig.axes if ax.images]
    assert len(shown) == 12 and len(fig.axes) == 15  # 3 rows of 5; the last 3 left empty
    assert [ax.get_title() for ax in shown] == [f"digit {d}" for d in y[:12]]
    assert np.array_equal(shown[3].images[0].get_array(), X[3].reshape(8, 8))
    assert fig._suptitle.get_text() == "T"
    render(fig)
    assert dict(matplotlib.rcParams) == before


@pytest.mark.parametrize("images, labels, kwargs, error, match", [
    (np.zeros((3, 63)), [0, 1, 2], {}, ValueError, "square"),
    (np.zeros((0, 64)), [], {}, ValueError, "n >= 1"),
    (np.zeros((3, 64)), [0, 1], {}, ValueError, "one per"),
    (np.full((1, 64), np.nan), [0], {}, ValueError, "NaN"),
    (np.zeros((2, 64)), [0, 1], {"columns": 0}, ValueError, "at least 1"),
    (np.zeros((2, 64)), [0, 1], {"title": 3}, TypeError, "title"),
])
def test_plot_digits_bad_input(images, labels, kwargs, error, match):
    with pytest.raises(error, match=match):
        plots.plot_digits(images, labels, **kwargs)


def test_plot_seed_runs_one_row_per_model_with_mean_curves_and_seed_dots():
    results = {"model A": runs(names=("Adam", "SGD", "RMSprop")), "model B": runs(names=("SGD", "Adam"))}
    fig = plots.plot_seed_runs(results, title="T", xlabel="X", loss_label="L", accuracy_label="A",
                               band_label="B", mean_label="M")
    axes = fig.axes
    assert len(axes) == 4
    left, right = axes[0], axes[1]
    assert left.get_xlabel() == "X" and left.get_ylabel() == "L" and right.get_ylabel() == "A"
    assert left.get_yscale() == "log"
    assert "model A" in left.get_title() and "B" in left.get_title() and right.get_title() == "M"
    assert [line.get_label() for line in left.lines] == ["Adam", "SGD", "RMSprop"]
    losses = results["model A"]["SGD"][0]
    assert np.allclose(left.lines[1].get_ydata(), losses.mean(axis=0))
    assert np.array_equal(left.lines[1].get_xdata(), np.arange(1, 6))
    # every seed is a dot: 3 optimizers x 3 seeds, plus one mean marker each
    dots = [line for line in right.lines if line.get_marker() == "o"]
    assert sum(len(line.get_xdata()) for line in dots) == 9
    means = [line for line in right.lines if line.get_marker() == "s"]
    assert np.allclose([m.get_ydata()[0] for m in means],
                       [results["model A"][k][1].mean() for k in ("Adam", "SGD", "RMSprop")])
    assert [t.get_text() for t in right.get_xticklabels()] == ["Adam", "SGD", "RMSprop"]
    # an optimizer keeps its colour from row to row
    colour = {line.get_label(): line.get_color() for line in left.lines}
    assert {line.get_label(): line.get_color() for line in axes[2].lines} == \
        {k: colour[k] for k in ("SGD", "Adam")}
    assert fig._suptitle.get_text() == "T"
    render(fig)


def test_plot_seed_runs_one_seed_has_no_spread():
    fig = plots.plot_seed_runs({"m": runs(seeds=1)})
    render(fig)
    assert len(fig.axes) == 2


@pytest.mark.parametrize("results, error, match", [
    ({}, TypeError, "non-empty dict"),
    ([1], TypeError, "non-empty dict"),
    ({"m": {}}, ValueError, "1 to 7 optimizers"),
    ({"m": {"Adam": np.zeros((3, 4))}}, TypeError, "pair"),
    ({"m": {"Adam": (np.zeros(4), np.zeros(4))}}, ValueError, "shape \\(seeds, epochs\\)"),
    ({"m": {"Adam": (np.ones((3, 4)), np.zeros(2))}}, ValueError, "accuracies of shape"),
    ({f"m{i}": runs(names=[f"o{i}a", f"o{i}b"]) for i in range(4)}, ValueError, "at most 7 optimizers"),
])
def test_plot_seed_runs_bad_input(results, error, match):
    with pytest.raises(error, match=match):
        plots.plot_seed_runs(results)


def test_plot_seed_runs_text_must_be_str():
    with pytest.raises(TypeError, match="loss_label"):
        plots.plot_seed_runs({"m": runs()}, loss_label=b"L")


# --------------------------------------------------------------------------- the language's texts

def seed_runs_texts(fig):
    left, right = fig.axes[:2]
    return dict(title=fig._suptitle.get_text(), xlabel=left.get_xlabel(),
                loss_label=left.get_ylabel(), accuracy_label=right.get_ylabel(),
                band_label=left.get_title().split("\n")[-1], mean_label=right.get_title())


def test_the_default_texts_in_english():
    fig = plots.plot_digits(np.eye(4, 64), [0, 1, 2, 3])
    assert fig._suptitle.get_text() == "the 8×8 digits"
    assert seed_runs_texts(plots.plot_seed_runs({"m": runs()})) == dict(
        title="optimizers compared over seeds", xlabel="epoch", loss_label="training loss",
        accuracy_label="held-out accuracy", band_label="band: lowest to highest seed",
        mean_label="mean ± standard deviation over seeds")


@needs_font
def test_the_default_texts_follow_the_language(chinese):
    fig = plots.plot_digits(np.eye(4, 64), [0, 1, 2, 3])
    assert fig._suptitle.get_text() == chinese["digits.title"]
    assert CJK.search(fig._suptitle.get_text())
    render(fig)
    fig = plots.plot_seed_runs({"m": runs()})
    shown = seed_runs_texts(fig)
    assert shown == {name: chinese[f"seed_runs.{name}"] for name in shown}
    assert all(CJK.search(text) for text in shown.values()), shown
    render(fig)
    # texts passed in are drawn as given
    fig = plots.plot_seed_runs({"m": runs()}, title="T", loss_label="L", mean_label="M")
    assert seed_runs_texts(fig)["title"] == "T" and seed_runs_texts(fig)["loss_label"] == "L"
    assert seed_runs_texts(fig)["mean_label"] == "M"
    assert seed_runs_texts(fig)["xlabel"] == chinese["seed_runs.xlabel"]


# --------------------------------------------------------------------------- the layout

def lesson_results():
    """Two models and four optimizers named as lesson 11 names them."""
    names = ("Adam", "SGD Nesterov", "Adagrad", "RMSprop")
    return {"logistic regression, tuned lr: Adam 0.01, SGD Nesterov 0.1, Adagrad 0.1, "
            "RMSprop 0.003": runs(epochs=10, names=names, rng=1),
            "MLP 64-32-10, tuned lr: Adam 0.003, SGD Nesterov 0.1, Adagrad 0.03, "
            "RMSprop 0.003": runs(epochs=10, names=names, rng=2)}


def overlap(a, b):
    return a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1


@pytest.mark.parametrize("lang", ["en", pytest.param("zh", marks=needs_font)])
@pytest.mark.parametrize("texts", [{}, dict(
    title="the digits, each optimizer at its tuned lr, seeds 1 to 3: training loss (log scale) "
          "and test accuracy", loss_label="training loss (cross-entropy)",
    accuracy_label="test accuracy (450 images)")], ids=["defaults", "lesson"])
def test_plot_seed_runs_panels_do_not_overlap(lang, texts):
    """No panel's labels, tick labels or title run into another panel or the figure's title,
    and everything stays inside the figure."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    plots.use_language(lang)
    try:
        fig = plots.plot_seed_runs(lesson_results(), **texts)
        FigureCanvasAgg(fig).draw()
    finally:
        plots.use_language("en")
    renderer = fig.canvas.get_renderer()
    boxes = [ax.get_tightbbox(renderer) for ax in fig.axes]  # ticks, labels, title, legend
    assert len(boxes) == 4
    for i, a in enumerate(boxes):
        for j, b in enumerate(boxes[:i]):
            assert not overlap(a, b), (lang, i, j, a, b)
    suptitle = fig._suptitle.get_window_extent(renderer)
    whole = fig.bbox
    for box in boxes + [suptitle]:
        assert whole.x0 <= box.x0 and box.x1 <= whole.x1 and whole.y0 <= box.y0 \
            and box.y1 <= whole.y1, (lang, box, whole)
    assert not any(overlap(suptitle, box) for box in boxes)
    # the right panels' y-labels clear the left panels; the lower titles clear the upper ticks
    (top_left, top_right), (low_left, low_right) = np.reshape(fig.axes, (2, 2))
    for left, right in ((top_left, top_right), (low_left, low_right)):
        assert right.yaxis.label.get_window_extent(renderer).x0 > \
            left.get_tightbbox(renderer).x1
    for upper, lower in ((top_left, low_left), (top_right, low_right)):
        lowest_tick = min(t.get_window_extent(renderer).y0 for t in upper.get_xticklabels()
                          if t.get_text())
        assert lower.title.get_window_extent(renderer).y1 < lowest_tick
