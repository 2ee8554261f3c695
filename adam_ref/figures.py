r"""The teaching figures: one function per figure, each runs the library and calls :mod:`.plots`.

``FIGURES`` maps each name to ``(function, what it teaches)``; ``python -m
adam_ref figures`` writes them all. Every run is deterministic (fixed seeds,
fixed starting points), and every caption states the settings it ran with.
"""

import functools
import math
import numbers

import numpy as np

from . import plots
from ._fast import adam_scalar_runs
from .functional import adam_step
from .functional._validate import float_array
from .history import History, positive_count, record, record_step
from .lr_scheduler import CosineAnnealingLR, LinearLR, ReduceLROnPlateau, StepLR
from .objectives import (Beale, Linear, NoisyQuadratic, Quadratic, ReddiOnline, ReddiStochastic,
                         Rosenbrock, Saddle, SparseQuadratic)
from .optim import Adam, AdamW, RMSprop, SGD

__all__ = ["FIGURES", "reddi_scalar_runs"]


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
    return plots.plot_moments(h, coordinate=0, title=(
        f"Adam's moments of $\\theta_1$ on a noisy quadratic ($\\sigma$=0.5, seed 1), "
        f"{plots.settings_text(h.settings)}"))


def constant_gradient():
    h = record(functools.partial(Adam, lr=0.01), Linear((1.0,)), np.array([0.0]), 3000,
               label="Adam")
    return plots.plot_constant_gradient(h, title=(
        f"constant gradient $g$ = 1: raw $m_t$, $v_t$ ramp up, $\\hat m_t = g$ and "
        f"$\\hat v_t = g^2$ from $t$ = 1 ({plots.settings_text(h.settings)})"))


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
            for corrected, label in ((True, r"with correction ($\hat m_t$, $\hat v_t$)"),
                                     (False, r"without ($m_t$, $v_t$)"))]
    return plots.plot_bias_correction_runs(*runs, title=(
        f"Adam's first 40 steps on {objective.name} (eig 1, 0.1), "
        f"{plots.settings_text(settings)}: uncorrected step 1 is "
        r"$(1-\beta_1)/\sqrt{1-\beta_2}$ = 3.16 times larger"))


def _path_runs(objective, theta0, steps, lr_adam, lr_sgd, lr_rms):
    makers = [("Adam", functools.partial(Adam, lr=lr_adam)),
              ("AMSGrad", functools.partial(Adam, lr=lr_adam, amsgrad=True)),
              ("SGD + momentum", functools.partial(SGD, lr=lr_sgd, momentum=0.9)),
              ("RMSprop", functools.partial(RMSprop, lr=lr_rms))]
    return [record(make, objective, theta0, steps, label=label) for label, make in makers]


def paths_rosenbrock():
    objective = Rosenbrock()
    runs = _path_runs(objective, np.array([0.0, 2.5]), 1000, 0.05, 5e-4, 0.01)
    return plots.plot_paths(objective, runs, title=(
        f"{objective!r}, 1000 steps from (0, 2.5): Adam's first steps are close to "
        r"$\alpha\,$sign$(g)$, diagonal; SGD follows $-g$ down, then the valley"))


def paths_beale():
    objective = Beale()
    runs = _path_runs(objective, np.array([-1.0, -1.5]), 600, 0.05, 2e-3, 0.01)
    return plots.plot_paths(objective, runs, title=f"{objective!r}\n600 steps from (−1, −1.5)")


def paths_saddle():
    objective = Saddle()
    runs = _path_runs(objective, np.array([0.9, 1e-3]), 60, 0.05, 0.02, 0.02)
    return plots.plot_paths(objective, runs, log_contours=False, title=(
        f"{objective!r}, 60 steps from (0.9, 0.001): who escapes along $\\theta_2$"))


def reddi():
    # The paper picks α by grid search; α = 0.5 (of 0.01, 0.1, 0.5, 1, 2 tried) shows both
    # effects within 10⁵ online steps. The stochastic problem drifts to −1 far more slowly
    # (its mean slope is 0.2 against spikes of 1010), so it runs 3·10⁶ steps. Both run on
    # the scalar fast path of adam_step (reddi_scalar_runs), which the tests hold equal to
    # record_step(adam_step, ..., project=online.project, comparator=online.minimum).
    alpha, online_steps, stochastic_steps = 0.5, 100_000, 3_000_000
    online = ReddiOnline()
    runs = list(reddi_scalar_runs(online.slopes(online_steps), alpha, every=100))
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
    limits = [(20 / 101, r"$x_t = +1$: $R_t/t \to$ 20/101"),
              (at_plus_one, rf"$x_t = +1$: $\mathrm{{E}}[R_t]/t \to$ {at_plus_one:g}")]
    return plots.plot_reddi(runs, stochastic, limits, expected_regret=True, title=(
        rf"Reddi et al. (2018) on $x \in [-1, 1]$, $x_0$ = 0, $\alpha_t = {alpha:g}/\sqrt{{t}}$, "
        r"$\beta_1$ = 0.9, $\beta_2$ = 0.99, $\epsilon$ = 1e-8" "\n"
        r"top: $f_t(x)$ = 1010$x$ if $t$ mod 101 = 1, else $-10x$; "
        r"bottom: 1010$x$ w.p. 0.01, else $-10x$ (seeds 0, 1, 2)" "\n"
        rf"bottom right: expected regret $\mathrm{{E}}[R_t] = \Sigma_{{s \leq t}}\, "
        rf"{mean_slope:g}\,(x_{{s-1}} + 1)$, as $\mathrm{{E}}[f_t(x)] = {mean_slope:g}x$"))


def weight_decay():
    objective = Quadratic((1.0, 0.01), center=(1.0, 1.0))
    lam, lr, steps = 0.1, 0.01, 3000
    runs = [record(functools.partial(Adam, lr=lr), objective, np.zeros(2), steps, every=10,
                   label="Adam, no decay"),
            record(functools.partial(Adam, lr=lr, weight_decay=lam), objective, np.zeros(2), steps,
                   every=10, label=r"Adam(weight_decay=$\lambda$): L2, $g + \lambda\theta$"),
            record(functools.partial(AdamW, lr=lr, weight_decay=lam), objective, np.zeros(2),
                   steps, every=10, label=r"AdamW: $\theta(1-\alpha\lambda)$, decoupled")]
    l2_minimum = objective.curvatures * objective.minimum / (objective.curvatures + lam)
    return plots.plot_weight_decay(runs, targets=[
        ("argmin $f$", objective.minimum),
        (r"argmin $f + \frac{\lambda}{2}\|\theta\|^2$", l2_minimum)], title=(
        f"quadratic, eig(A) = (1, 0.01), θ* = (1, 1), θ₀ = 0, "
        f"$\\alpha$={lr:g}, $\\lambda$={lam:g}, "
        "$\\beta_1$=0.9, $\\beta_2$=0.999\nL2 is part of the gradient, so Adam converges to the "
        "regularised minimum (the flat $\\theta_2$ shrinks 10×); AdamW's decay is not a "
        "gradient and ends near argmin $f$"))


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
        panels.append((h, symbol, values, f"{objective.name}, {plots.settings_text(fixed)}",
                       objective))
    return plots.plot_sweeps(panels, title=(
        f"Adam, {steps} steps from (1, 1) on {quadratic!r}; each panel advances K = 4 settings "
        "together: θ has shape (4, 2) and the swept hyperparameter is a (4, 1) array"))


def lr_schedules():
    objective = NoisyQuadratic(curvatures=(1.0, 0.1), sigma=0.5, seed=3)
    steps, lr = 400, 0.1
    schedules = [("constant", None),
                 ("StepLR(step_size=100, gamma=0.5)", lambda o: StepLR(o, step_size=100, gamma=0.5)),
                 ("CosineAnnealingLR(T_max=400)", lambda o: CosineAnnealingLR(o, T_max=steps)),
                 ("LinearLR(start_factor=0.01, total_iters=50): warm-up",
                  lambda o: LinearLR(o, start_factor=0.01, total_iters=50)),
                 ("ReduceLROnPlateau(factor=0.5, patience=20)",
                  lambda o: ReduceLROnPlateau(o, factor=0.5, patience=20))]
    runs = [record(functools.partial(Adam, lr=lr), objective, np.array([2.0, 2.0]), steps,
                   scheduler=make, label=label) for label, make in schedules]
    return plots.plot_schedules(runs, objective=objective, title=(
        f"Adam($\\alpha$={lr:g}) on a noisy quadratic ($\\sigma$=0.5, seed 3): the noise floor "
        r"of $f(\theta_t)$ follows $\alpha_t$"))


def sparse_gradients():
    objective = SparseQuadratic(probabilities=(0.5, 0.05, 0.005), curvatures=(20.0, 1.0, 1.0),
                                target=1.0, seed=4)
    steps = 3000
    runs = [record(functools.partial(Adam, lr=0.03), objective, np.zeros(3), steps, every=5,
                   label=r"Adam, $\alpha$=0.03, $\beta$=(0.9, 0.999)"),
            record(functools.partial(SGD, lr=0.09), objective, np.zeros(3), steps, every=5,
                   label=r"SGD, $\alpha$=0.09")]
    return plots.plot_sparse(runs, objective, title=(
        f"{objective!r}\nSGD's one $\\alpha$ must stay below $2/h_1$ = 0.1 for the frequent, "
        "steep coordinate; Adam divides each coordinate's step by its own "
        "$\\sqrt{\\hat v_t}$, so the rare one still moves"))


def eps_hat():
    objective = Quadratic((1.0,), name="1-D quadratic")
    settings = dict(lr=0.01, beta1=0.9, beta2=0.999, eps=1e-3)
    runs = [record_step(adam_step, objective, np.array([1.0]), 600, eps_hat=eps_hat,
                        label=label, **settings)
            for eps_hat, label in (
                (False, r"Algorithm 1: $\alpha\,\hat m_t/(\sqrt{\hat v_t}+\epsilon)$"),
                (True, r"$\hat\epsilon$ form: $\alpha_t\,m_t/(\sqrt{v_t}+\hat\epsilon)$"))]
    return plots.plot_eps_forms(*runs, title=(
        f"{objective!r}, $\\theta_0$ = 1, $\\alpha$={settings['lr']:g}, "
        f"$\\beta$=(0.9, 0.999), $\\epsilon = \\hat\\epsilon$ = {settings['eps']:g}: "
        r"the $\hat\epsilon$ form is Algorithm 1 with $\epsilon_t = \hat\epsilon/\sqrt{1-\beta_2^t}$ "
        r"(31.6$\hat\epsilon$ at $t$ = 1, then $\to \hat\epsilon$); each step differs by about "
        r"$(\epsilon_t - \epsilon)/\sqrt{\hat v_t}$: negligible while gradients are large, "
        r"decisive once $\sqrt{\hat v_t}$ is small"))


FIGURES = {
    "moments": (moments, "g, m, v, m̂, v̂ per step of Adam on a noisy quadratic"),
    "constant_gradient": (constant_gradient,
                          "under a constant gradient raw m, v ramp up; m̂ = g and v̂ = g² exactly"),
    "ema_kernels": (ema_kernels, "the EMA weights (1−β)β^k and their ~1/(1−β)-step window"),
    "bias_correction": (bias_correction, "1/(1−β^t) on log axes; the effective step factor "
                                         "√(1−β2^t)/(1−β1^t) dips to 0.1522 at t = 12"),
    "bias_correction_runs": (bias_correction_runs,
                             "Adam's first steps with and without bias correction"),
    "paths_rosenbrock": (paths_rosenbrock,
                         "Adam, AMSGrad, SGD with momentum and RMSprop in Rosenbrock's valley"),
    "paths_beale": (paths_beale, "the same four optimizers on Beale's function"),
    "paths_saddle": (paths_saddle, "escaping the saddle x² − y²: normalised steps escape fast"),
    "reddi": (reddi, "Reddi et al.'s counterexample: Adam goes to x = +1, AMSGrad to x* = −1"),
    "weight_decay": (weight_decay, "L2 weight decay inside Adam vs AdamW's decoupled decay"),
    "hyperparameter_sweep": (hyperparameter_sweep,
                             "the effect of β1, β2 and ε; K settings advance in one array"),
    "lr_schedules": (lr_schedules,
                     "StepLR, cosine, linear warm-up and ReduceLROnPlateau over one run"),
    "sparse_gradients": (sparse_gradients,
                         "rare gradients: Adam moves rare coordinates, SGD's capped α barely does"),
    "eps_hat": (eps_hat, "Algorithm 1's ε vs the TF/Keras ε̂ form: where the trajectories part"),
}
