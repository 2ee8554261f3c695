"""plot_digits and plot_seed_runs (lesson 11): the right panels, lines and labels, every text
from the arguments, clear errors on bad input, and no change to global matplotlib state."""

import io

import matplotlib
import numpy as np
import pytest
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
