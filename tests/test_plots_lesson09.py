"""The plot functions lesson 9 adds: momentum_rate against the eigenvalues of the iteration
matrix and against runs of sgd_step, plot_momentum_region and plot_fields on small inputs,
and their argument checks."""

import io

import matplotlib
import numpy as np
import pytest
from _zh import CJK, needs_font
from hypothesis import given, settings, strategies as st
from matplotlib.figure import Figure

from adam_ref import plots
from adam_ref.functional import adagrad_step, nadam_step, rmsprop_step, sgd_step
from adam_ref.history import record_step
from adam_ref.objectives import Quadratic, Rosenbrock


@settings(max_examples=200, deadline=None)
@given(st.floats(0, 5), st.floats(0, 0.999))
def test_momentum_rate_is_the_spectral_radius(s, beta):
    R = np.array([[beta, 1.0], [-s * beta, 1 - s]])  # λ = 1, α = s
    assert plots.momentum_rate(s, beta) == pytest.approx(np.abs(np.linalg.eigvals(R)).max(),
                                                         rel=1e-6, abs=1e-6)


def test_momentum_rate_closed_forms():
    assert plots.momentum_rate(0.5, 0.0) == pytest.approx(0.5)          # gradient descent: |1 − αλ|
    assert plots.momentum_rate(1.0, 0.5) == pytest.approx(np.sqrt(0.5))  # complex roots: √β
    s = 0.1
    assert plots.momentum_rate(s, (1 - np.sqrt(s)) ** 2) == pytest.approx(1 - np.sqrt(s))
    edge = 2 * (1 + 0.6)
    assert plots.momentum_rate(edge * 0.999, 0.6) < 1 < plots.momentum_rate(edge * 1.001, 0.6)
    grid = plots.momentum_rate(np.array([[0.1], [1.0]]), np.array([0.0, 0.5, 0.9]))
    assert grid.shape == (2, 3)


@pytest.mark.parametrize("alpha,beta", [(0.5, 0.9), (1.5, 0.3), (0.2, 0.0)])
def test_momentum_rate_predicts_sgd_step(alpha, beta):
    run = record_step(sgd_step, Quadratic(curvatures=(1.0,)), np.ones(1), 400, lr=alpha,
                      momentum=beta)
    # the error after t steps is bounded by C·t·ρ^t; over 200 steps its decay rate is ρ
    x = np.abs(run.theta[:, 0])
    window = np.array([x[k:k + 20].max() for k in (180, 380)])
    measured = (window[1] / window[0]) ** (1 / 200)
    assert measured == pytest.approx(plots.momentum_rate(alpha, beta), rel=0.02)


def test_momentum_rate_bad_input():
    with pytest.raises(ValueError, match="momentum_rate: alpha_lambda must be >= 0 and beta"):
        plots.momentum_rate(-0.1, 0.5)
    with pytest.raises(ValueError, match="momentum_rate"):
        plots.momentum_rate(1.0, 1.0)
    with pytest.raises(ValueError, match="momentum_rate"):
        plots.momentum_rate(np.nan, 0.5)
    with pytest.raises(TypeError, match="momentum_rate: alpha_lambda and beta must be numbers"):
        plots.momentum_rate("a", 0.5)


@pytest.mark.parametrize("log_x", [False, True])
def test_plot_momentum_region(log_x):
    before = dict(matplotlib.rcParams)
    fig = plots.plot_momentum_region(marks=[(1.0, 0.0, "GD"), (0.01, 0.9, "heavy")], log_x=log_x,
                                     resolution=41, title="T", xlabel="X", ylabel="Y")
    assert dict(matplotlib.rcParams) == before
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    assert ax.get_xlabel() == "X" and ax.get_ylabel() == "Y" and ax.get_title() == "T"
    assert ax.get_xscale() == ("log" if log_x else "linear")
    texts = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "GD: rate 0.000" in texts and "heavy: rate 0.949" in texts
    # the boundary line is αλ = 2(1 + β)
    boundary = ax.lines[0]
    np.testing.assert_allclose(boundary.get_xdata(), 2 * (1 + boundary.get_ydata()))
    fig.savefig(io.BytesIO(), format="png")


@pytest.mark.parametrize("call,error,match", [
    (lambda: plots.plot_momentum_region(marks=[(1.0, 0.5)]), TypeError, "marks must be up to 7"),
    (lambda: plots.plot_momentum_region(x_max=0), ValueError, "x_max must be a positive number"),
    (lambda: plots.plot_momentum_region(resolution=0), ValueError, "resolution must be at least 1"),
    (lambda: plots.plot_momentum_region(log_x=True, x_min=5.0), ValueError, "x_min must be"),
    (lambda: plots.plot_momentum_region(title=3), TypeError, "title must be a str, got int"),
    (lambda: plots.plot_momentum_region(mark_label=1), TypeError, "mark_label must be a str, got int"),
])
def test_plot_momentum_region_bad_arguments(call, error, match):
    before = dict(matplotlib.rcParams)
    with pytest.raises(error, match=match):
        call()
    assert dict(matplotlib.rcParams) == before


def _runs():
    rosen, start = Rosenbrock(), np.array([-1.0, 1.5])
    return [record_step(adagrad_step, rosen, start, 8, lr=0.1, label="Adagrad"),
            record_step(rmsprop_step, rosen, start, 8, lr=0.01, label="RMSprop"),
            record_step(nadam_step, rosen, start, 8, label="NAdam")]


def test_plot_fields_draws_each_history_that_holds_the_field():
    runs = _runs()
    fig = plots.plot_fields(runs, ["std", "denom", "update", "mu_t"], coordinate=1,
                            log=["update"], labels={"std": "S", "denom": "D"}, title="T")
    axes = [ax for ax in fig.axes if ax.lines]
    assert [len(ax.lines) for ax in axes] == [1, 2, 3, 1]    # std: Adagrad; denom: RMSprop, NAdam
    assert [ax.get_ylabel() for ax in axes] == ["S", "D", "update", "mu_t"]
    np.testing.assert_array_equal(axes[0].lines[0].get_ydata(), runs[0].std[:, 1])
    np.testing.assert_array_equal(axes[2].lines[1].get_ydata(), np.abs(runs[1].update[:, 1]))
    np.testing.assert_array_equal(axes[3].lines[0].get_ydata(), runs[2].mu_t)
    assert axes[2].get_yscale() == "log" and axes[0].get_yscale() == "linear"
    assert axes[-1].get_xlabel() == "step $t$"
    fig.savefig(io.BytesIO(), format="png")


@pytest.mark.parametrize("kwargs,error,match", [
    (dict(fields="std"), TypeError, "fields must be a list of 1 to 4 field names"),
    (dict(fields=[]), TypeError, "fields must be a list of 1 to 4"),
    (dict(fields=["nope"]), ValueError, "no history holds the trace field 'nope'"),
    (dict(fields=["std"], coordinate=2), ValueError, r"coordinate must be in \[0, 2\)"),
    (dict(fields=["std"], labels=["S"]), TypeError, "labels must map field names to texts"),
    (dict(fields=["std"], log="std"), TypeError, "log must be a list of field names"),
])
def test_plot_fields_bad_arguments(kwargs, error, match):
    runs = _runs()
    before = dict(matplotlib.rcParams)
    with pytest.raises(error, match=match):
        plots.plot_fields(runs, **kwargs)
    assert dict(matplotlib.rcParams) == before
    with pytest.raises(TypeError, match="plot_fields needs"):
        plots.plot_fields(runs[0], ["std"])


def test_plot_momentum_region_texts_come_from_its_arguments():
    fig = plots.plot_momentum_region(marks=[(1.0, 0.0, "DG")], resolution=11,
                                     mark_label="{label} — taux {rate:.2f}",
                                     boundary_label="bord", critical_label="critique",
                                     colorbar_label="taux", complex_label="racines complexes")
    texts = [t.get_text() for t in fig.legends[0].get_texts()]
    assert texts == ["bord", "critique", "DG — taux 0.00"]
    assert "racines complexes" in [t.get_text() for t in fig.axes[0].texts]
    assert fig.axes[1].get_ylabel() == "taux"


# --------------------------------------------------------------------------- the language's texts

def region_texts(fig):
    ax, bar = fig.axes
    return dict(title=ax.get_title(), xlabel=ax.get_xlabel(), ylabel=ax.get_ylabel(),
                colorbar_label=bar.get_ylabel(), complex_label=ax.texts[0].get_text(),
                legend=[t.get_text() for t in fig.legends[0].get_texts()])


def test_plot_momentum_region_default_texts_in_english():
    shown = region_texts(plots.plot_momentum_region(marks=[(1.0, 0.0, "GD")], resolution=11))
    assert shown == dict(
        title="heavy-ball momentum on one eigen-direction: rate max |σ(R)|",
        xlabel=r"$\alpha\lambda$", ylabel=r"momentum $\beta$",
        colorbar_label=r"rate $\max|\sigma(R)|$ (1 = no convergence)",
        complex_label=r"complex roots: rate $\sqrt{\beta}$",
        legend=[r"edge of convergence $\alpha\lambda = 2(1+\beta)$",
                r"critical damping $\alpha\lambda = (1\pm\sqrt{\beta})^2$", "GD: rate 0.000"])


@needs_font
def test_plot_momentum_region_default_texts_follow_the_language(chinese):
    fig = plots.plot_momentum_region(marks=[(1.0, 0.0, "GD"), (0.01, 0.9, "重球")],
                                     resolution=11)
    shown = region_texts(fig)
    assert shown["title"] == chinese["momentum_region.title"]
    assert shown["ylabel"] == chinese["momentum_region.ylabel"]
    assert shown["colorbar_label"] == chinese["momentum_region.colorbar_label"]
    assert shown["complex_label"] == chinese["momentum_region.complex_label"]
    assert shown["legend"][:2] == [chinese["momentum_region.boundary_label"],
                                   chinese["momentum_region.critical_label"]]
    # the mark's label is the Chinese template filled with the mark's own label and rate
    assert shown["legend"][2:] == ["GD：速率 0.000", f"重球：速率 {np.sqrt(0.9):.3f}"]
    for text in (shown["title"], shown["ylabel"], shown["colorbar_label"], *shown["legend"]):
        assert CJK.search(text), text
    # a text passed in is drawn as given, in either language
    fig = plots.plot_momentum_region(resolution=11, title="T", ylabel="Y", mark_label="{label}",
                                     marks=[(1.0, 0.0, "GD")])
    assert region_texts(fig)["title"] == "T" and region_texts(fig)["ylabel"] == "Y"
    assert region_texts(fig)["legend"][2] == "GD"
    fig.canvas.draw()


def test_plot_fields_default_texts_in_english():
    fig = plots.plot_fields(_runs(), ["std", "denom"], labels={"std": "S", "denom": "D"})
    assert fig._suptitle.get_text() == "S, D"
    assert fig.axes[-1].get_xlabel() == "step $t$"


@needs_font
def test_plot_fields_default_texts_follow_the_language(chinese):
    fig = plots.plot_fields(_runs(), ["std", "denom"], labels={"std": "S", "denom": "D"})
    assert fig._suptitle.get_text() == "S，D"
    assert fig.axes[-1].get_xlabel() == chinese["fields.xlabel"] == "迭代步数 $t$"
    fig = plots.plot_fields(_runs(), ["std"], title="T", xlabel="X")
    assert fig._suptitle.get_text() == "T" and fig.axes[-1].get_xlabel() == "X"
    fig.canvas.draw()
