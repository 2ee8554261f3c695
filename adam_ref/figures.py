r"""The teaching figures: one function per figure, each runs the library and calls :mod:`.plots`.

``FIGURES`` maps each name to ``(function, what it teaches)``; ``python -m
adam_ref figures`` writes them all. Every run is deterministic (fixed seeds,
fixed starting points), and every caption states the settings it ran with.
Every title and label is looked up in the current language's table
(:func:`adam_ref.plots.use_language`); the descriptions in ``FIGURES`` are the
English ones (``figures --list --lang zh`` shows the Chinese).
"""

import functools
import math
import numbers

import numpy as np

from . import _text, plots
from .plots import _t, describe
from ._fast import adam_scalar_runs
from .functional import adam_step
from .functional._validate import float_array
from .history import History, positive_count, record, record_step
from .lr_scheduler import CosineAnnealingLR, LinearLR, ReduceLROnPlateau, StepLR
from .objectives import (Beale, Linear, NoisyQuadratic, Quadratic, ReddiOnline, ReddiStochastic,
                         Rosenbrock, Saddle, SparseQuadratic)
from .optim import Adam, AdamW, RMSprop, SGD

__all__ = ["ANIMATIONS", "FIGURES", "reddi_scalar_runs"]


def reddi_scalar_runs(slopes, alpha, *, beta1=0.9, beta2=0.99, eps=1e-8, every=1,
                      mean_slope=None):
    r"""Adam and AMSGrad on f_t(x) = c_t·x over [−1, 1] with α_t = α/√t, from x₀ = 0.

    Both runs are :func:`adam_ref._fast.adam_scalar_runs`, the scalar fast path of
    :func:`adam_step` (bit-identical to it, and to ``record_step(adam_step, ...)``
    with the projection x ← Π(x)), which computes Adam's and AMSGrad's shared m and v
    once and every step's α_t·m̂_t/(√v̂_t + ε) over all steps at once, so that a
    million steps take a fraction of a second.
    Returns ``(adam, amsgrad)``, two
    :class:`History` objects with θ = x_t and the regret against x* = −1,
    every ``every``-th step.

    The regret is summed over every step. By default it is the realised one,
    R_t = Σ_{s≤t} c_s·(x_{s−1} − x*). With ``mean_slope`` = E[c_s] (the
    ``mean_slope`` of a stochastic objective) it is the expected regret of the
    same iterates instead, E[R_t] = Σ_{s≤t} E[c_s]·(x_{s−1} − x*), free of the
    noise of the draws.

    ``slopes`` is any 1-D array-like of finite floats c_1, c_2, …; ``every`` must
    not exceed their number, so that at least one step is kept.
    """
    slopes = float_array(slopes, "slopes")
    if slopes.ndim != 1:
        raise ValueError(f"slopes must be 1-D (one c_t per step), got shape {slopes.shape}")
    if not np.all(np.isfinite(slopes)):
        raise ValueError("slopes must be finite, got NaN or inf")
    positive_count(every, "every")
    if every > len(slopes):
        raise ValueError(f"every={every} is larger than the {len(slopes)} slopes: "
                         "no step would be kept")
    if mean_slope is not None:
        if isinstance(mean_slope, (bool, np.bool_)) or not isinstance(mean_slope, numbers.Real):
            raise TypeError(f"mean_slope must be a real number or None, got {mean_slope!r}")
        if not math.isfinite(mean_slope):
            raise ValueError(f"mean_slope must be finite, got {mean_slope!r}")
        mean_slope = float(mean_slope)  # a Python float keeps the loop fast
    steps = len(slopes) // every * every
    slopes = slopes[:steps]
    t = np.arange(1, steps + 1)
    lrs = alpha / np.sqrt(t)  # α_t = α/√t: the same numbers as alpha / math.sqrt(t)
    # the slope each step's regret is taken under: c_t itself, or E[c]
    b = slopes if mean_slope is None else np.full(steps, mean_slope)
    comparator = np.cumsum(-b)  # Σ_s b_s·x*, with x* = −1
    kept = slice(every - 1, None, every)
    runs = []
    paths = adam_scalar_runs(np.broadcast_to(slopes, (2, steps)), lrs, beta1=beta1, beta2=beta2,
                             eps=eps, amsgrad=(False, True), bounds=(-1.0, 1.0))
    for xs, label in zip(paths, ("Adam", "AMSGrad")):
        x_before = np.concatenate([[0.0], xs[:-1]])  # x_{t−1}, where f_t is evaluated
        regret = np.cumsum(b * x_before) - comparator
        runs.append(History(t[kept], xs[kept, None], (slopes * x_before)[kept, None],
                            lrs[kept], {}, np.zeros(1), regret=regret[kept, None], label=label,
                            settings={"beta1": beta1, "beta2": beta2, "eps": eps}))
    return tuple(runs)


# --------------------------------------------------------------------------- figures

def moments():
    objective = NoisyQuadratic(curvatures=(1.0, 0.1), sigma=0.5, seed=1)
    h = record(functools.partial(Adam, lr=0.05), objective, np.array([1.5, 1.5]), 80,
               label="Adam")
    return plots.plot_moments(h, coordinate=0, title=_t("fig.moments",
                                                       settings=plots.settings_text(h.settings)))


def constant_gradient():
    h = record(functools.partial(Adam, lr=0.01), Linear((1.0,)), np.array([0.0]), 3000,
               label="Adam")
    return plots.plot_constant_gradient(h, title=_t("fig.constant_gradient",
                                                    settings=plots.settings_text(h.settings)))


def ema_kernels():
    return plots.plot_ema_kernels(betas=(0.5, 0.9, 0.99, 0.999), k_max=5000)


def bias_correction():
    return plots.plot_bias_correction()


def bias_correction_runs():
    objective = Quadratic((1.0, 0.1), angle=np.radians(30))
    theta0 = np.array([1.0, -1.0])
    settings = dict(lr=0.05, beta1=0.9, beta2=0.999, eps=1e-8)
    runs = [record_step(adam_step, objective, theta0, 40, bias_correction=corrected,
                        label=label, **settings)
            for corrected, label in ((True, _t("run.with_correction")),
                                     (False, _t("run.without_correction")))]
    return plots.plot_bias_correction_runs(*runs, title=_t(
        "fig.bias_correction_runs", objective=_t(f"objective.{objective.name}"),
        settings=plots.settings_text(settings)))


def _path_runs(objective, theta0, steps, lr_adam, lr_sgd, lr_rms):
    makers = [("Adam", functools.partial(Adam, lr=lr_adam)),
              ("AMSGrad", functools.partial(Adam, lr=lr_adam, amsgrad=True)),
              (_t("run.sgd_momentum"), functools.partial(SGD, lr=lr_sgd, momentum=0.9)),
              ("RMSprop", functools.partial(RMSprop, lr=lr_rms))]
    return [record(make, objective, theta0, steps, label=label) for label, make in makers]


def paths_rosenbrock():
    objective = Rosenbrock()
    runs = _path_runs(objective, np.array([0.0, 2.5]), 1000, 0.05, 5e-4, 0.01)
    return plots.plot_paths(objective, runs, title=_t("fig.paths_rosenbrock",
                                                      objective=describe(objective)))


def paths_beale():
    objective = Beale()
    runs = _path_runs(objective, np.array([-1.0, -1.5]), 600, 0.05, 2e-3, 0.01)
    return plots.plot_paths(objective, runs, title=_t("fig.paths_beale",
                                                      objective=describe(objective)))


def paths_saddle():
    objective = Saddle()
    runs = _path_runs(objective, np.array([0.9, 1e-3]), 60, 0.05, 0.02, 0.02)
    return plots.plot_paths(objective, runs, log_contours=False, title=_t(
        "fig.paths_saddle", objective=describe(objective)))


def reddi():
    # The paper picks α by grid search; α = 0.5 (of 0.01, 0.1, 0.5, 1, 2 tried) shows both
    # effects within 10⁵ online steps. The stochastic problem drifts to −1 far more slowly
    # (its mean slope is 0.2 against spikes of 1010), so it runs 3·10⁶ steps. Both run on
    # the scalar fast path of adam_step (reddi_scalar_runs), which the tests hold equal to
    # record_step(adam_step, ..., project=online.project, comparator=online.minimum).
    alpha, online_steps, stochastic_steps = 0.5, 100_000, 3_000_000
    online = ReddiOnline()
    # kept once per period of 101 steps: sampling every 100th step would alias with the period
    runs = list(reddi_scalar_runs(online.slopes(online_steps), alpha, every=101))
    # The realised regret of one seed jumps by up to 2020 at each rare 1010·x; the expected
    # regret E[R_t] = Σ_s E[c]·(x_{s−1} + 1) of the same iterates shows the trend without
    # the noise of the draws.
    seeds = (0, 1, 2)
    problems = [ReddiStochastic(seed) for seed in seeds]
    per_seed = [reddi_scalar_runs(p.slopes(stochastic_steps), alpha, every=1000,
                                  mean_slope=p.mean_slope)
                for p in problems]
    stochastic = [History(per_seed[0][run].t, np.hstack([p[run].theta for p in per_seed]),
                          np.hstack([p[run].loss for p in per_seed]), per_seed[0][run].lr, {},
                          np.zeros(len(seeds)), regret=np.hstack([p[run].regret for p in per_seed]),
                          label=per_seed[0][run].label)
                  for run in (0, 1)]
    mean_slope = problems[0].mean_slope
    at_plus_one = mean_slope * (1 - ReddiStochastic.minimum)  # E[c]·(x − x*) per step at x = +1
    limits = [(20 / 101, _t("run.reddi_limit")),
              (at_plus_one, _t("run.reddi_expected_limit", value=at_plus_one))]
    return plots.plot_reddi(runs, stochastic, limits, expected_regret=True, title=_t(
        "fig.reddi", alpha=alpha, mean_slope=mean_slope))


def weight_decay():
    objective = Quadratic((1.0, 0.01), center=(1.0, 1.0))
    lam, lr, steps = 0.1, 0.01, 3000
    runs = [record(functools.partial(Adam, lr=lr), objective, np.zeros(2), steps, every=10,
                   label=_t("run.no_decay")),
            record(functools.partial(Adam, lr=lr, weight_decay=lam), objective, np.zeros(2), steps,
                   every=10, label=_t("run.l2")),
            record(functools.partial(AdamW, lr=lr, weight_decay=lam), objective, np.zeros(2),
                   steps, every=10, label=_t("run.adamw"))]
    l2_minimum = objective.curvatures * objective.minimum / (objective.curvatures + lam)
    return plots.plot_weight_decay(runs, targets=[
        (_t("run.argmin"), objective.minimum),
        (_t("run.argmin_l2"), l2_minimum)], title=_t("fig.weight_decay", lr=lr, lam=lam))


def hyperparameter_sweep():
    quadratic = Quadratic((1.0, 0.01), angle=np.radians(30))
    theta0 = np.array([1.0, 1.0])
    steps = 400
    sweeps = [("beta1", r"$\beta_1$", (0.0, 0.5, 0.9, 0.99), quadratic,
               dict(lr=0.02, beta2=0.999, eps=1e-8)),
              ("beta2", r"$\beta_2$", (0.9, 0.99, 0.999, 0.9999), quadratic,
               dict(lr=0.02, beta1=0.9, eps=1e-8)),
              ("eps", r"$\epsilon$", (1e-8, 1e-2, 1e-1, 1.0), quadratic,
               dict(lr=0.02, beta1=0.9, beta2=0.999))]
    panels = []
    for key, symbol, values, objective, fixed in sweeps:
        column = np.array(values)[:, None]  # K settings broadcast against θ of shape (K, 2)
        h = record_step(adam_step, objective, np.tile(theta0, (len(values), 1)), steps,
                        **{key: column}, **fixed)
        panels.append((h, symbol, values,
                       _t("sweeps.fixed", objective=_t(f"objective.{objective.name}"),
                          settings=plots.settings_text(fixed)),
                       objective))
    return plots.plot_sweeps(panels, title=_t("fig.hyperparameter_sweep", steps=steps,
                                              objective=describe(quadratic)))


def lr_schedules():
    # lesson 7's comparison (which averages 8 seeds), seed 0 of it, with a warm-up beside it
    objective = NoisyQuadratic(curvatures=(1.0, 0.3), sigma=1.0, seed=0)
    steps, lr = 600, 0.1
    schedules = [(_t("run.constant"), None),
                 ("StepLR(step_size=150, gamma=0.3)", lambda o: StepLR(o, step_size=150, gamma=0.3)),
                 ("CosineAnnealingLR(T_max=600)", lambda o: CosineAnnealingLR(o, T_max=steps)),
                 (_t("run.warmup"),
                  lambda o: LinearLR(o, start_factor=0.01, total_iters=50)),
                 ("ReduceLROnPlateau(factor=0.3, patience=100)",
                  lambda o: ReduceLROnPlateau(o, factor=0.3, patience=100)),
                 ("ReduceLROnPlateau(factor=0.3, patience=30)",
                  lambda o: ReduceLROnPlateau(o, factor=0.3, patience=30))]
    runs = [record(functools.partial(Adam, lr=lr), objective, np.array([3.0, 3.0]), steps,
                   scheduler=make, label=label) for label, make in schedules]
    return plots.plot_schedules(runs, objective=objective, title=_t("fig.lr_schedules", lr=lr))


def sparse_gradients():
    objective = SparseQuadratic(probabilities=(0.5, 0.05, 0.005), curvatures=(20.0, 1.0, 1.0),
                                target=1.0, seed=4)
    steps = 3000
    runs = [record(functools.partial(Adam, lr=0.03), objective, np.zeros(3), steps, every=5,
                   label=r"Adam, $\alpha$=0.03, $\beta$=(0.9, 0.999)"),
            record(functools.partial(SGD, lr=0.09), objective, np.zeros(3), steps, every=5,
                   label=r"SGD, $\alpha$=0.09")]
    return plots.plot_sparse(runs, objective, title=_t("fig.sparse_gradients",
                                                       objective=describe(objective)))


def eps_hat():
    objective = Quadratic((1.0,), name="1-D quadratic")
    settings = dict(lr=0.01, beta1=0.9, beta2=0.999, eps=1e-3)
    runs = [record_step(adam_step, objective, np.array([1.0]), 600, eps_hat=eps_hat,
                        label=label, **settings)
            for eps_hat, label in (
                (False, _t("run.algorithm1")), (True, _t("run.eps_hat")))]
    return plots.plot_eps_forms(*runs, title=_t("fig.eps_hat", objective=describe(objective),
                                                lr=settings["lr"], eps=settings["eps"]))


FIGURES = {name: (function, _text.TEXT["en"][f"list.{name}"]) for name, function in (
    ("moments", moments),
    ("constant_gradient", constant_gradient),
    ("ema_kernels", ema_kernels),
    ("bias_correction", bias_correction),
    ("bias_correction_runs", bias_correction_runs),
    ("paths_rosenbrock", paths_rosenbrock),
    ("paths_beale", paths_beale),
    ("paths_saddle", paths_saddle),
    ("reddi", reddi),
    ("weight_decay", weight_decay),
    ("hyperparameter_sweep", hyperparameter_sweep),
    ("lr_schedules", lr_schedules),
    ("sparse_gradients", sparse_gradients),
    ("eps_hat", eps_hat),
)}


# --------------------------------------------------------------------------- animations
# Each returns a plots.BlitAnimation; the figures command writes it as NAME.gif.

def paths_rosenbrock_anim():
    objective = Rosenbrock()
    runs = _path_runs(objective, np.array([0.0, 2.5]), 1000, 0.05, 5e-4, 0.01)
    return plots.animate_paths(objective, runs, frames=60, title=_t(
        "fig.paths_rosenbrock_anim", objective=describe(objective)))


def paths_saddle_anim():
    objective = Saddle()
    runs = _path_runs(objective, np.array([0.9, 1e-3]), 60, 0.05, 0.02, 0.02)
    return plots.animate_paths(objective, runs, frames=61, spacing="linear", log_contours=False,
                               title=_t("fig.paths_saddle_anim", objective=describe(objective)))


def moments_anim():
    objective = NoisyQuadratic(curvatures=(1.0, 0.1), sigma=0.5, seed=1)
    h = record(functools.partial(Adam, lr=0.05), objective, np.array([1.5, 1.5]), 80,
               label="Adam")
    return plots.animate_moments(h, coordinate=0, title=_t(
        "fig.moments", settings=plots.settings_text(h.settings)))


def reddi_anim():
    online, steps, alpha = ReddiOnline(), 20_000, 0.5
    runs = [record_step(adam_step, online, np.zeros(1), steps, every=20,
                        lr=lambda t: alpha / math.sqrt(t), beta1=0.9, beta2=0.99, amsgrad=amsgrad,
                        project=online.project, label=label)
            for amsgrad, label in ((False, "Adam"), (True, "AMSGrad"))]
    return plots.animate_reddi(runs, frames=60, title=_t("fig.reddi_anim", alpha=alpha))


#: the animated figures, written as GIF (whatever ``--format`` says); also in FIGURES
ANIMATIONS = {name: (function, _text.TEXT["en"][f"list.{name}"]) for name, function in (
    ("paths_rosenbrock_anim", paths_rosenbrock_anim),
    ("paths_saddle_anim", paths_saddle_anim),
    ("moments_anim", moments_anim),
    ("reddi_anim", reddi_anim),
)}
FIGURES.update(ANIMATIONS)
