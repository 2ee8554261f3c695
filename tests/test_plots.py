"""Every plot function on tiny histories: a Figure with labelled axes and the right
number of panels and lines, built without touching global matplotlib state."""

import functools
import io
import math

import matplotlib
import numpy as np
import pytest
from matplotlib.figure import Figure

from adam_ref import SGD, Adam, AdamW
from adam_ref.functional import adam_step, sgd_step
from adam_ref.history import History, record, record_step
from adam_ref.objectives import (Linear, NoisyQuadratic, Quadratic, ReddiOnline, Rosenbrock,
                                 SparseQuadratic)
from adam_ref import plots

THETA0 = np.array([-1.0, 1.5])


def adam_history(objective=None, steps=12, **kwargs):
    return record(functools.partial(Adam, lr=0.05, **kwargs), objective or Rosenbrock(), THETA0,
                  steps, label="Adam")


def data_axes(fig):
    """The axes that hold data (not colorbars or legends)."""
    return [ax for ax in fig.axes if ax.lines or ax.collections]


def check(fig, panels):
    assert isinstance(fig, Figure)
    axes = data_axes(fig)
    assert len(axes) == panels
    for ax in axes:
        assert ax.get_ylabel()
        # a panel stacked over another that shares its x axis leaves the label to that one
        assert any(other.get_xlabel() for other in ax.get_shared_x_axes().get_siblings(ax))
    fig.savefig(io.BytesIO(), format="png")  # renders with Agg, no display
    return axes


def test_effective_step_factor_values():
    t = np.arange(1, 5001)
    factor = plots.effective_step_factor(t)
    assert factor[0] == pytest.approx(math.sqrt(1 - 0.999) / (1 - 0.9))
    assert round(float(factor[0]), 4) == 0.3162
    assert int(t[np.argmin(factor)]) == 12
    assert round(float(factor.min()), 4) == 0.1522
    assert round(float(factor[-1]), 4) == 0.9966
    # it is the ratio of the two bias corrections adam_step applies
    h = record_step(adam_step, Linear((1.0,)), np.zeros(1), 30, lr=1.0)
    np.testing.assert_allclose(plots.effective_step_factor(h.t),
                               np.sqrt(h.bias_correction2) / h.bias_correction1, rtol=1e-14)
    with pytest.raises(ValueError, match="starts at 1"):
        plots.effective_step_factor(0)


def test_settings_text_uses_the_papers_symbols():
    text = plots.settings_text({"lr": 0.1, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0,
                                "amsgrad": True, "maximize": False})
    assert text == r"$\alpha$=0.1, $\beta_1$=0.9, $\beta_2$=0.999, $\epsilon$=1e-08, amsgrad"


def test_plots_leave_global_rcparams_alone():
    before = dict(matplotlib.rcParams)
    plots.plot_moments(adam_history())
    assert dict(matplotlib.rcParams) == before


def test_plot_moments():
    axes = check(plots.plot_moments(adam_history(NoisyQuadratic(seed=1))), 2)
    assert [len(ax.lines) for ax in axes] == [3, 3]
    assert {t.get_text() for t in axes[0].get_legend().get_texts()} == {r"$g_t$", r"$m_t$", r"$\hat m_t$"}
    assert r"$\beta_1$=0.9" in axes[0].figure._suptitle.get_text()


def test_plot_constant_gradient():
    h = record(functools.partial(Adam, lr=0.01), Linear((2.0,)), np.zeros(1), 10)
    axes = check(plots.plot_constant_gradient(h), 2)
    np.testing.assert_allclose(axes[0].lines[2].get_ydata(), 2.0)  # m̂_t = g exactly


def test_plot_ema_kernels():
    (ax,) = check(plots.plot_ema_kernels(betas=(0.5, 0.9), k_max=50), 1)
    assert len([line for line in ax.lines if len(line.get_xdata()) == 51]) == 2
    assert any("= 10" in text.get_text() for text in ax.texts)


def test_plot_bias_correction_marks_the_dip():
    axes = check(plots.plot_bias_correction(steps=200), 2)
    assert len(axes[0].lines) == 6
    assert any("minimum 0.1522 at $t$ = 12" in text.get_text() for text in axes[1].texts)


def test_plot_bias_correction_runs():
    run = functools.partial(record_step, adam_step, Quadratic((1.0, 0.1)), THETA0, 5, lr=0.1)
    axes = check(plots.plot_bias_correction_runs(run(label="a"), run(label="b")), 2)
    assert len(axes[0].lines) == 4 and len(axes[1].lines) == 2


def test_plot_paths():
    objective = Rosenbrock()
    runs = [adam_history(), record(functools.partial(SGD, lr=1e-4), objective, THETA0, 12, label="SGD")]
    (ax,) = check(plots.plot_paths(objective, runs), 1)
    paths = [line for line in ax.lines if len(line.get_xdata()) == 13]
    assert len(paths) == 2
    np.testing.assert_array_equal(paths[0].get_xdata(), runs[0].path[:, 0])
    assert r"$\alpha$=0.05" in ax.get_legend().get_texts()[1].get_text()


def test_plot_reddi():
    online = ReddiOnline()
    runs = [record_step(adam_step, online, np.zeros(1), 20, lr=0.1, amsgrad=a, beta2=0.99,
                        project=online.project, comparator=-1.0, label=name)
            for a, name in ((False, "Adam"), (True, "AMSGrad"))]
    stochastic = [History(r.t, np.hstack([r.theta, r.theta]), np.hstack([r.loss, r.loss]), r.lr, {},
                          np.zeros(2), regret=np.hstack([r.regret, r.regret]), label=r.label)
                  for r in runs]
    axes = check(plots.plot_reddi(runs, stochastic, limits=[(0.2, "a"), (0.4, "b")]), 4)
    assert [len(ax.lines) for ax in axes] == [3, 3, 5, 5]  # runs (× seeds) + a reference line
    assert axes[3].get_ylabel() == "$R_t/t$ (stochastic)"
    # the expected regret is drawn as it is held, under its own label, from 0 up
    axes = check(plots.plot_reddi(runs, stochastic, limits=[(0.2, "a"), (0.4, "b")],
                                  expected_regret=True), 4)
    assert [len(ax.lines) for ax in axes] == [3, 3, 5, 5]
    assert axes[3].get_ylabel() == r"$\mathrm{E}[R_t]/t$ (stochastic)"
    assert axes[1].get_ylabel() == "$R_t/t$ (online)"
    np.testing.assert_array_equal(axes[3].lines[1].get_ydata(), stochastic[0].average_regret[:, 1])
    bottom, top = axes[3].get_ylim()
    assert bottom == 0 and top > max(0.4, np.max(stochastic[1].average_regret))


def test_plot_weight_decay():
    objective = Quadratic((1.0, 0.01), center=(1.0, 1.0))
    runs = [record(functools.partial(c, lr=0.01, weight_decay=0.1), objective, np.zeros(2), 8)
            for c in (Adam, AdamW)]
    axes = check(plots.plot_weight_decay(runs, targets=[("argmin", objective.minimum)]), 2)
    assert [len(ax.lines) for ax in axes] == [3, 3]


def test_plot_sweeps():
    objective = Quadratic((1.0, 0.1))
    h = record_step(adam_step, objective, np.ones((3, 2)), 6, lr=0.1,
                    beta1=np.array([[0.0], [0.5], [0.9]]))
    axes = check(plots.plot_sweeps([(h, r"$\beta_1$", (0.0, 0.5, 0.9), "fixed", objective)] * 2), 2)
    assert [len(ax.lines) for ax in axes] == [3, 3]


def test_plot_schedules():
    objective = NoisyQuadratic(seed=2)
    runs = [adam_history(objective, 5), adam_history(objective, 7)]
    axes = check(plots.plot_schedules(runs, objective=objective), 2)
    assert [len(ax.lines) for ax in axes] == [2, 2]
    np.testing.assert_array_equal(axes[0].lines[0].get_ydata(), runs[0].lr)


def test_plot_sparse():
    objective = SparseQuadratic(seed=1)
    runs = [record(functools.partial(c, lr=0.05), objective, np.zeros(3), 9) for c in (Adam, SGD)]
    axes = check(plots.plot_sparse(runs, objective), 3)
    assert [len(ax.lines) for ax in axes] == [2, 2, 2]


def test_plot_eps_forms():
    run = functools.partial(record_step, adam_step, Quadratic((1.0,)), np.ones(1), 30, lr=0.1)
    axes = check(plots.plot_eps_forms(run(eps=1e-8), run(eps=0.5)), 2)
    assert len(axes[1].lines) == 2  # the gap and the line where it first exceeds 1 %
    assert "gap > 1 %" in axes[1].texts[0].get_text()


def test_bad_histories_are_named():
    objective, sparse = Rosenbrock(), SparseQuadratic(seed=1)
    adam = adam_history(steps=3)
    sgd = record_step(sgd_step, objective, THETA0, 3)
    bare = History(adam.t, adam.theta, adam.loss, adam.lr, {}, THETA0)  # no trace fields
    panel = (adam, "a", (1.0,), "fixed", objective)
    type_errors = [lambda: plots.plot_moments(None), lambda: plots.plot_moments([adam]),
                   lambda: plots.plot_constant_gradient("adam"),
                   lambda: plots.plot_bias_correction_runs(None, None),
                   lambda: plots.plot_paths(objective, adam),
                   lambda: plots.plot_paths(objective, [adam, None]),
                   lambda: plots.plot_reddi(None, [adam]),
                   lambda: plots.plot_weight_decay((h for h in [adam])),
                   lambda: plots.plot_sweeps(panel),
                   lambda: plots.plot_sweeps([(None,) + panel[1:]]),
                   lambda: plots.plot_sweeps([panel[:3]]),
                   lambda: plots.plot_schedules([adam, 1]), lambda: plots.plot_sparse(None, sparse),
                   lambda: plots.plot_eps_forms(adam, {"theta": adam.theta})]
    for call in type_errors:
        with pytest.raises(TypeError, match=r"plot_\w+ needs"):
            call()
    with pytest.raises(ValueError, match=r"^plot_moments needs the trace fields g, m, v, m_hat, "
                                         r"v_hat; this history has t, g, d, update, theta$"):
        plots.plot_moments(sgd)
    with pytest.raises(ValueError, match="plot_constant_gradient needs the trace fields .*m_hat"):
        plots.plot_constant_gradient(sgd)
    with pytest.raises(ValueError, match="plot_bias_correction_runs needs the trace fields update; "
                                         "this history has none"):
        plots.plot_bias_correction_runs(adam, bare)
    empty = [lambda: plots.plot_paths(objective, []), lambda: plots.plot_reddi([adam], []),
             lambda: plots.plot_weight_decay([]), lambda: plots.plot_sweeps([]),
             lambda: plots.plot_schedules(()), lambda: plots.plot_sparse([], sparse)]
    for call in empty:
        with pytest.raises(ValueError, match=r"plot_\w+ needs at least one"):
            call()


# --------------------------------------------------------------------------- bad arguments

def empty_history():
    h = adam_history(steps=3)
    trace = {name: value[:0] for name, value in h.trace.items()}
    return History(h.t[:0], h.theta[:0], h.loss[:0], h.lr[:0], trace, h.theta0, label="empty")


def reddi_pair():
    online = ReddiOnline()
    return [record_step(adam_step, online, np.zeros(1), 20, lr=0.1, project=online.project,
                        comparator=-1.0, label="Adam")]


def sweep_panel(values=(0.1, 0.01), k=2):
    objective = Quadratic((1.0, 0.1))
    h = record_step(adam_step, objective, np.ones((k, 2)), 5,
                    lr=np.array([[0.1], [0.01], [0.001]])[:k])
    return (h, r"$\alpha$", values, "fixed", objective)


BAD_CALLS = [
    # empty histories: NumPy's "zero-size array" and "argmin of an empty sequence" before
    ("moments, empty", lambda: plots.plot_moments(empty_history()), ValueError,
     "plot_moments: the history 'empty' holds no steps"),
    ("constant gradient, empty", lambda: plots.plot_constant_gradient(empty_history()), ValueError,
     "holds no steps"),
    ("runs, empty", lambda: plots.plot_bias_correction_runs(empty_history(), adam_history()),
     ValueError, "plot_bias_correction_runs: the history 'empty' holds no steps"),
    ("paths, empty", lambda: plots.plot_paths(Rosenbrock(), [empty_history()]), ValueError,
     "holds no steps"),
    ("weight decay, empty", lambda: plots.plot_weight_decay([empty_history()]), ValueError,
     "holds no steps"),
    ("schedules, empty", lambda: plots.plot_schedules([empty_history()]), ValueError,
     "holds no steps"),
    ("eps forms, empty", lambda: plots.plot_eps_forms(empty_history(), empty_history()),
     ValueError, "holds no steps"),
    # path plots need a 2-D objective and 2-D runs
    ("paths, 3-D objective", lambda: plots.plot_paths(
        Quadratic((1.0, 2.0, 3.0)), [record(functools.partial(Adam, lr=0.1), Quadratic(
            (1.0, 2.0, 3.0)), np.ones(3), 3)]), ValueError, "plot_paths needs a 2-D objective"),
    ("paths, 3-D run", lambda: plots.plot_paths(Rosenbrock(), [record(
        functools.partial(Adam, lr=0.1), Quadratic((1.0, 2.0, 3.0)), np.ones(3), 3)]),
     ValueError, r"plot_paths needs runs in 2-D; the history 'Adam' has theta of shape \(3,\)"),
    ("paths, no box", lambda: plots.plot_paths(object(), [adam_history()]), TypeError,
     "plot_paths: objective must have value, box, minimum"),
    ("paths, 5 runs", lambda: plots.plot_paths(Rosenbrock(), [adam_history()] * 5), ValueError,
     r"plot_paths draws at most 4 histories"),
    ("paths, title", lambda: plots.plot_paths(Rosenbrock(), [adam_history()], title=3),
     TypeError, "title must be a str"),
    # betas outside [0, 1): a ZeroDivisionError for β = 1 before
    ("kernels, beta 1", lambda: plots.plot_ema_kernels(betas=[1.0]), ValueError,
     r"plot_ema_kernels: betas\[0\] must be in \[0, 1\), got 1.0"),
    ("kernels, beta -0.1", lambda: plots.plot_ema_kernels(betas=[0.5, -0.1]), ValueError,
     r"betas\[1\] must be in \[0, 1\)"),
    ("kernels, beta nan", lambda: plots.plot_ema_kernels(betas=[math.nan]), ValueError,
     r"betas\[0\] must be in \[0, 1\), got nan"),
    ("kernels, beta str", lambda: plots.plot_ema_kernels(betas=["0.9"]), TypeError,
     r"betas\[0\] must be a number"),
    ("kernels, betas scalar", lambda: plots.plot_ema_kernels(betas=0.9), TypeError,
     "betas must be a list"),
    ("kernels, no betas", lambda: plots.plot_ema_kernels(betas=[]), ValueError,
     "betas must hold 1 to 7 values, got 0"),
    ("kernels, 8 betas", lambda: plots.plot_ema_kernels(betas=[0.5] * 8), ValueError,
     "betas must hold 1 to 7 values, got 8"),
    ("kernels, k_max 0", lambda: plots.plot_ema_kernels(k_max=0), ValueError,
     "k_max must be at least 1, got 0"),
    ("kernels, k_max float", lambda: plots.plot_ema_kernels(k_max=10.5), TypeError,
     "k_max must be a whole number"),
    ("bias correction, beta1s", lambda: plots.plot_bias_correction(beta1s=(0.9, 1.0)), ValueError,
     r"beta1s\[1\] must be in \[0, 1\)"),
    ("bias correction, beta2s", lambda: plots.plot_bias_correction(beta2s=(0.9,) * 5),
     ValueError, "beta2s must hold 1 to 4 values"),
    ("bias correction, beta2", lambda: plots.plot_bias_correction(beta2=1.5), ValueError,
     r"beta2 must be in \[0, 1\)"),
    ("bias correction, steps 0", lambda: plots.plot_bias_correction(steps=0), ValueError,
     "plot_bias_correction: steps must be at least 1, got 0"),
    ("bias correction, steps -5", lambda: plots.plot_bias_correction(steps=-5), ValueError,
     "steps must be at least 1"),
    ("bias correction, steps True", lambda: plots.plot_bias_correction(steps=True), TypeError,
     "steps must be a whole number"),
    ("step factor, beta1 1", lambda: plots.effective_step_factor(3, beta1=1.0), ValueError,
     r"effective_step_factor: beta1 must be in \[0, 1\)"),
    ("step factor, nan t", lambda: plots.effective_step_factor(math.nan), ValueError,
     "starts at 1"),
    ("step factor, no t", lambda: plots.effective_step_factor([]), ValueError, "holds no steps"),
    # coordinates, regret, shapes
    ("moments, coordinate 2", lambda: plots.plot_moments(adam_history(), coordinate=2),
     ValueError, r"coordinate must be in \[0, 2\)"),
    ("moments, coordinate -1", lambda: plots.plot_moments(adam_history(), coordinate=-1),
     ValueError, r"coordinate must be in \[0, 2\)"),
    ("constant gradient, coordinate str", lambda: plots.plot_constant_gradient(
        adam_history(), coordinate="0"), TypeError, "coordinate must be an integer"),
    ("reddi, no comparator", lambda: plots.plot_reddi([adam_history()], [adam_history()]),
     ValueError, "plot_reddi: the online history 'Adam' was recorded without a comparator"),
    ("reddi, limits", lambda: plots.plot_reddi(reddi_pair(), reddi_pair(), limits=(1.0,)),
     TypeError, r"limits must be up to 2 \(value, label\) pairs"),
    ("weight decay, sizes", lambda: plots.plot_weight_decay(
        [adam_history(), record_step(adam_step, Quadratic((1.0,)), np.ones(1), 3)]), ValueError,
     r"thetas of different sizes \[2, 1\]"),
    ("weight decay, target", lambda: plots.plot_weight_decay(
        [adam_history()], targets=[("x*", [1.0, 2.0, 3.0])]), ValueError,
     "each point with 2 coordinates"),
    ("sweeps, values", lambda: plots.plot_sweeps([sweep_panel(values=(0.1, 0.01, 0.001))]),
     ValueError, r"panel 0 needs 1 to 8 values .* got 3 values and theta of shape \(5, 2, 2\)"),
    ("sweeps, objective", lambda: plots.plot_sweeps([sweep_panel()[:4] + (None,)]), TypeError,
     "plot_sweeps: objective must have value"),
    ("schedules, objective", lambda: plots.plot_schedules([adam_history()], objective="f"),
     TypeError, "plot_schedules: objective must have value"),
    ("sparse, shape", lambda: plots.plot_sparse([adam_history()], SparseQuadratic()), ValueError,
     r"plot_sparse: the history 'Adam' has theta of shape \(2,\), the objective has 3"),
    ("sparse, objective", lambda: plots.plot_sparse([adam_history()], Rosenbrock()), TypeError,
     "plot_sparse: objective must have probabilities"),
    ("settings, not a dict", lambda: plots.settings_text([("lr", 0.1)]), TypeError,
     "settings_text: settings must be a dict"),
    ("settings, one beta", lambda: plots.settings_text({"betas": 0.9}), ValueError,
     r"settings_text: betas must be a pair"),
    ("eps forms, steps", lambda: plots.plot_eps_forms(adam_history(steps=5), adam_history()),
     ValueError, "must keep the same steps, got 5 and 12 kept steps"),
]


@pytest.mark.parametrize("call,error,match", [c[1:] for c in BAD_CALLS],
                         ids=[c[0] for c in BAD_CALLS])
def test_bad_arguments_are_named(call, error, match):
    before = dict(matplotlib.rcParams)
    with pytest.raises(error, match=match):
        call()
    assert dict(matplotlib.rcParams) == before


def test_edge_values_that_are_allowed_still_plot():
    check(plots.plot_ema_kernels(betas=[0.0, 0.999], k_max=1), 1)
    check(plots.plot_bias_correction(beta1s=(0.0,), beta2s=(0.0,), beta1=0.0, beta2=0.0,
                                     steps=1), 2)
    one = adam_history(steps=1)
    check(plots.plot_moments(one, coordinate=np.int64(1)), 2)
    check(plots.plot_paths(Rosenbrock(), [one] * 4), 1)


def test_a_swept_run_that_diverged_says_so_in_the_legend():
    from adam_ref.functional import adam_step
    from adam_ref.history import record_step
    from adam_ref.objectives import Quadratic
    from adam_ref.plots import plot_sweeps
    objective = Quadratic((1.0, 0.1))
    lrs = np.array([[0.1], [1e308]])  # the second overflows to inf
    with np.errstate(all="ignore"):
        h = record_step(adam_step, objective, np.ones((2, 2)), 20, lr=lrs)
        fig = plot_sweeps([(h, r"$\alpha$", [0.1, 1e308], "", objective)])
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels == [r"$\alpha$ = 0.1", r"$\alpha$ = 1e+308 (diverged)"]


def test_every_plot_function_returns_what_it_drew():
    """A plot function that builds a figure and forgets to return it shows nothing in a lesson."""
    import ast
    import inspect

    import adam_ref.plots
    tree = ast.parse(inspect.getsource(adam_ref.plots))
    silent = [node.name for node in tree.body
              if isinstance(node, ast.FunctionDef) and node.name.startswith("plot_")
              and not any(isinstance(n, ast.Return) and n.value is not None for n in ast.walk(node))]
    assert silent == []
