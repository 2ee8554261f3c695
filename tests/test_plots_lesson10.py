"""plot_adaptive_lr_variance and plot_seed_bands (lesson 10): what they draw, the text they
take from their arguments, and their errors for bad input."""


import matplotlib
import numpy as np
import pytest
from _zh import CJK, needs_font
from matplotlib.figure import Figure

from adam_ref import plots

T = np.arange(1, 21)


def texts(fig):
    """Every piece of text a figure shows: titles, axis labels, legend entries."""
    out = [fig._suptitle.get_text() if fig._suptitle else ""]
    for ax in fig.axes:
        out += [ax.get_xlabel(), ax.get_ylabel(), ax.get_title()]
        legend = ax.get_legend()
        if legend is not None:
            out += [t.get_text() for t in legend.get_texts()]
    return out


def test_variance_plot_draws_the_measurement_and_each_model():
    measured = 1 / T
    models = {"model A": 1.1 / T, "model B": np.where(T > 4, 2 / T, np.nan)}
    fig = plots.plot_adaptive_lr_variance(T, measured, models, threshold=6)
    assert isinstance(fig, Figure)
    (ax,) = fig.axes
    assert ax.get_xscale() == ax.get_yscale() == "log"
    markers, a, b = ax.lines[:3]
    assert np.array_equal(markers.get_ydata(), measured) and markers.get_linestyle() == "None"
    assert np.array_equal(a.get_ydata(), models["model A"])
    assert np.array_equal(np.isnan(b.get_ydata()), T <= 4)
    assert ax.lines[3].get_xdata()[0] == 6                      # the threshold line
    assert [t.get_text() for t in ax.get_legend().get_texts()][:3] == [
        "measured over seeds", "model A", "model B"]


def test_variance_plot_takes_every_text_from_its_arguments():
    fig = plots.plot_adaptive_lr_variance(
        T, 1 / T, {"M": 1 / T}, threshold=3, title="TITLE", xlabel="XL", ylabel="YL",
        measured_label="MEAS", threshold_label="THR")
    shown = texts(fig)
    for text in ("TITLE", "XL", "YL", "MEAS", "THR", "M"):
        assert text in shown
    assert "variance" not in " ".join(shown)  # no default text left over


def test_seed_bands_draw_the_mean_and_the_chosen_quantiles():
    rng = np.random.default_rng(0)
    rows = rng.normal(size=(7, T.size))
    fig = plots.plot_seed_bands(T, {"runs": rows, "one line": np.ones(T.size)},
                                spread=(0.25, 0.75), ylabel="y")
    (ax,) = fig.axes
    mean_line, single = ax.lines
    assert np.allclose(mean_line.get_ydata(), rows.mean(axis=0))
    assert np.array_equal(single.get_ydata(), np.ones(T.size))
    (band,) = ax.collections                                    # one band: the single line has none
    ys = band.get_paths()[0].vertices[:, 1]
    assert np.isclose(ys.min(), np.quantile(rows, 0.25, axis=0).min())
    assert np.isclose(ys.max(), np.quantile(rows, 0.75, axis=0).max())
    assert ys.max() < rows.max()                                # not the min-max band
    assert "band" in fig._suptitle.get_text()


def test_seed_bands_axes_and_texts_follow_the_arguments():
    fig = plots.plot_seed_bands(T, {"L": np.vstack([T, 2 * T])}, title="TITLE", xlabel="XL",
                                ylabel="YL", log=True, xlog=True, band_note="NOTE")
    (ax,) = fig.axes
    assert ax.get_xscale() == ax.get_yscale() == "log"
    assert fig._suptitle.get_text() == "TITLE\nNOTE"
    assert {"XL", "YL", "L"} <= set(texts(fig))
    one = plots.plot_seed_bands(T, {"L": T}, title="TITLE", band_note="NOTE")
    assert one._suptitle.get_text() == "TITLE"                  # one seed: no band, no note
    assert one.axes[0].get_yscale() == "linear" and not one.axes[0].collections


def test_the_new_plots_leave_global_rcparams_alone():
    before = dict(matplotlib.rcParams)
    plots.plot_seed_bands(T, {"L": T})
    plots.plot_adaptive_lr_variance(T, 1 / T, {"M": 1 / T})
    assert dict(matplotlib.rcParams) == before


@pytest.mark.parametrize("call, error, match", [
    (lambda: plots.plot_seed_bands(T, [T]), TypeError, "dict of label"),
    (lambda: plots.plot_seed_bands(T, {}), ValueError, "1 to 8 curves"),
    (lambda: plots.plot_seed_bands(T, {1: T}), TypeError, "labels of curves must be str"),
    (lambda: plots.plot_seed_bands(T, {"L": T[:-1]}), ValueError, r"20 values per row"),
    (lambda: plots.plot_seed_bands(T, {"L": np.ones((2, 2, 20))}), ValueError, "per row"),
    (lambda: plots.plot_seed_bands(T, {"L": ["a"] * 20}), TypeError, "array of numbers"),
    (lambda: plots.plot_seed_bands([], {"L": T}), ValueError, "non-empty 1-D"),
    (lambda: plots.plot_seed_bands([1, np.nan], {"L": [1, 2]}), ValueError, "finite steps"),
    (lambda: plots.plot_seed_bands("abc", {"L": T}), TypeError, "array of steps"),
    (lambda: plots.plot_seed_bands(T, {"L": T}, log="yes"), TypeError, "log must be True"),
    (lambda: plots.plot_seed_bands(T, {"L": T}, xlog=1), TypeError, "xlog must be True"),
    (lambda: plots.plot_seed_bands(T, {"L": T}, spread=(0.8, 0.2)), ValueError, "low < high"),
    (lambda: plots.plot_seed_bands(T, {"L": T}, spread=(0, np.nan)), ValueError, "quantiles"),
    (lambda: plots.plot_seed_bands(T, {"L": T}, spread=0.5), TypeError, "pair of quantiles"),
    (lambda: plots.plot_seed_bands(T, {"L": T}, title=3), TypeError, "title must be a str"),
    (lambda: plots.plot_adaptive_lr_variance(T, T[:3], {"M": T}), ValueError, "measured"),
    (lambda: plots.plot_adaptive_lr_variance(T, T, {"M": T[:3]}), ValueError, "models"),
    (lambda: plots.plot_adaptive_lr_variance(T, T, {str(i): T for i in range(8)}), ValueError,
     "1 to 7 curves"),
    (lambda: plots.plot_adaptive_lr_variance(T, T, {"M": T}, threshold="6"), TypeError,
     "threshold must be a step"),
    (lambda: plots.plot_adaptive_lr_variance(T, T, {"M": T}, threshold=True), TypeError,
     "threshold"),
    (lambda: plots.plot_adaptive_lr_variance(T, T, {"M": T}, ylabel=1.0), TypeError,
     "ylabel must be a str"),
])
def test_bad_arguments_are_named(call, error, match):
    with pytest.raises(error, match=match):
        call()


# --------------------------------------------------------------------------- the language's texts

def test_the_default_texts_in_english():
    fig = plots.plot_adaptive_lr_variance(T, 1 / T, {"M": 1 / T}, threshold=6)
    (ax,) = fig.axes
    assert fig._suptitle.get_text() == "the variance of the adaptive step in the first steps"
    assert ax.get_xlabel() == "step $t$"
    assert ax.get_ylabel() == r"variance of $\psi_t = 1/\sqrt{\hat v_t}$ ($\sigma = 1$)"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "measured over seeds", "M", r"$\rho_t > 5$ from here"]
    fig = plots.plot_seed_bands(T, {"L": np.vstack([T, 2 * T])})
    assert fig._suptitle.get_text() == \
        "mean and spread over seeds\nline: mean over seeds; band: lowest to highest seed"
    assert fig.axes[0].get_xlabel() == "step $t$"


@needs_font
def test_the_default_texts_follow_the_language(chinese):
    fig = plots.plot_adaptive_lr_variance(T, 1 / T, {"M": 1 / T}, threshold=6)
    (ax,) = fig.axes
    assert fig._suptitle.get_text() == chinese["adaptive_lr_variance.title"]
    assert ax.get_xlabel() == chinese["adaptive_lr_variance.xlabel"] == "迭代步数 $t$"
    assert ax.get_ylabel() == chinese["adaptive_lr_variance.ylabel"]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        chinese["adaptive_lr_variance.measured_label"], "M",
        chinese["adaptive_lr_variance.threshold_label"]]
    fig.canvas.draw()
    fig = plots.plot_seed_bands(T, {"L": np.vstack([T, 2 * T])})
    assert fig._suptitle.get_text() == \
        chinese["seed_bands.title"] + "\n" + chinese["seed_bands.band_note"]
    assert fig.axes[0].get_xlabel() == chinese["seed_bands.xlabel"]
    fig.canvas.draw()
    for fig in (plots.plot_adaptive_lr_variance(T, 1 / T, {"M": 1 / T}, threshold=6),
                plots.plot_seed_bands(T, {"L": np.vstack([T, 2 * T])})):
        for text in texts(fig):
            assert text in ("", "M", "L") or CJK.search(text), text
    # texts passed in are drawn as given
    assert "TITLE" in texts(plots.plot_adaptive_lr_variance(T, 1 / T, {"M": 1 / T}, title="TITLE"))
    assert texts(plots.plot_seed_bands(T, {"L": T}, title="TITLE", xlabel="XL"))[:2] == \
        ["TITLE", "XL"]
