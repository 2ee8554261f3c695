r"""Check a hand-written optimizer step against the reference, and name its first mistake.

:func:`check_step` runs a student's ``step(theta, grad, state, **hyperparameters)`` beside
the reference step of an algorithm in :data:`adam_ref.functional.ALGORITHMS`, on a
gradient sequence built to expose every term of the update:

- a coordinate with ordinary gradients that change sign,
- one whose gradients are always about 1e-8, where ε decides the step,
- one with a large-then-small stretch, where AMSGrad's running max and v part,
- one with large gradients (about 1e3), one with a constant gradient,
- one with rare large gradients between small ones of the other sign (Reddi et al.),
- one whose gradient is exactly zero at half the steps,

for enough steps (5000 by default) that the bias corrections 1 − β^t have faded.
The gradients do not depend on θ, so the two runs see the same sequence and differ
only by their arithmetic.

At every step the fields the student returns are compared in the order of the
reference trace (g, m, v, v_max, m_hat, v_hat, denom, ..., theta; ``theta`` always),
each within a relative tolerance of 1e-9 of the larger of its value and its largest
value so far. Any correct algebraic form agrees far closer than that in float64 (for
example torch's √v_t/√(1 − β2^t) + ε and lr/(1 − β1^t)); a one-term mistake
differs by far more. Exceptions and NaN from the student's code are findings, not
crashes. The hint comes from running known mistakes (ε inside the square root,
β1 and β2 swapped, a bias correction missing or with the wrong t, ...) on the same
sequence and naming the one that reproduces the student's numbers.
"""

import html
import inspect
import math
import traceback
from dataclasses import dataclass, field, fields
from typing import Any, Optional

import numpy as np

from .functional import ALGORITHMS

__all__ = ["check_step", "Report", "Mismatch"]

RTOL = 1e-9           #: relative tolerance, against max(|value|, largest |value| so far)
DEFAULT_STEPS = 5000  #: enough for 1 − 0.999^t to reach 0.993
_SKIP = {"t"}         #: trace fields that are not arrays of the update


@dataclass(frozen=True)
class Mismatch:
    """The first disagreement: step ``t`` (from 1), the ``field``, what was expected and got.

    ``field`` is a trace field (``"m"``, ``"denom"``, ``"theta"``), or ``"exception"``
    (``got`` is the error), ``"return"`` (the step returned something else than
    ``(theta_next, state_next[, intermediates])``), ``"signature"`` or ``"init"``.
    ``index`` is the coordinate that differs most, when there is one.
    """

    t: int
    field: str
    expected: Any
    got: Any
    index: Optional[int] = None


@dataclass(frozen=True)
class Report:
    """What :func:`check_step` found. ``ok`` is True when every compared field agreed."""

    algorithm: str
    ok: bool
    steps: int                              #: steps the run went through
    compared: tuple                         #: fields compared (``theta`` always)
    first_mismatch: Optional[Mismatch] = None
    hint: str = ""
    ignored: tuple = ()                     #: returned intermediates that are not trace fields
    hyperparameters: dict = field(default_factory=dict)

    def __bool__(self):
        return self.ok

    def _lines(self):
        head = (f"check_step({self.algorithm}): "
                + ("OK" if self.ok else "MISMATCH")
                + f" after {self.steps} step{'s' if self.steps != 1 else ''}; "
                f"compared {', '.join(self.compared)}")
        lines = [head]
        mm = self.first_mismatch
        if mm is not None:
            where = (f" at coordinate {mm.index} ({_COORDINATES[mm.index]})"
                     if mm.index is not None and mm.index < len(_COORDINATES) else "")
            lines.append(f"first mismatch: step t = {mm.t}, field {mm.field!r}{where}")
            if mm.field in ("exception", "return", "signature", "init"):
                lines.append(f"  got:      {mm.got}")
                if mm.expected is not None:
                    lines.append(f"  expected: {mm.expected}")
            else:
                lines.append(f"  expected: {_show(mm.expected)}")
                lines.append(f"  got:      {_show(mm.got)}")
        if self.hint:
            lines.append(f"hint: {self.hint}")
        if self.ignored:
            lines.append(f"not compared (not fields of the {self.algorithm} trace): "
                         + ", ".join(self.ignored))
        return lines

    def __str__(self):
        return "\n".join(self._lines())

    def __repr__(self):
        mm = self.first_mismatch
        where = "" if mm is None else f", first_mismatch=(t={mm.t}, field={mm.field!r})"
        return f"Report(algorithm={self.algorithm!r}, ok={self.ok}, steps={self.steps}{where})"

    def _repr_html_(self):
        colour = "#1a7f37" if self.ok else "#b42318"
        title = "OK" if self.ok else "mismatch"
        rows = [f"<tr><th style='text-align:left'>compared</th><td>"
                f"{html.escape(', '.join(self.compared))}</td></tr>",
                f"<tr><th style='text-align:left'>steps</th><td>{self.steps}</td></tr>"]
        mm = self.first_mismatch
        if mm is not None:
            where = (f" at coordinate {mm.index} ({_COORDINATES[mm.index]})"
                     if mm.index is not None and mm.index < len(_COORDINATES) else "")
            rows.append(f"<tr><th style='text-align:left'>first mismatch</th><td>step "
                        f"<b>t = {mm.t}</b>, field <code>{html.escape(mm.field)}</code>"
                        f"{where}</td></tr>")
            shown = ((str(mm.expected), str(mm.got)) if mm.field in
                     ("exception", "return", "signature", "init")
                     else (_show(mm.expected), _show(mm.got)))
            rows.append(f"<tr><th style='text-align:left'>expected</th><td><code>"
                        f"{html.escape(shown[0])}</code></td></tr>")
            rows.append(f"<tr><th style='text-align:left'>got</th><td><code>"
                        f"{html.escape(shown[1])}</code></td></tr>")
        if self.hint:
            rows.append(f"<tr><th style='text-align:left'>hint</th><td>"
                        f"{html.escape(self.hint)}</td></tr>")
        return (f"<div><b style='color:{colour}'>check_step({html.escape(self.algorithm)}): "
                f"{title}</b><table>{''.join(rows)}</table></div>")


def _show(value):
    if value is None:
        return "None"
    array = np.asarray(value)
    if array.ndim == 0:
        return f"{array.item():.17g}" if array.dtype.kind == "f" else str(array.item())
    return np.array2string(array, separator=", ", max_line_width=200,
                           formatter={"float_kind": lambda x: f"{x:.10g}"})


# ---------------------------------------------------------------------------------------
# the gradient sequence


def exposing_gradients(steps, seed=0):
    """The gradient sequence of :func:`check_step`: an array of shape (steps, 7).

    Column by column: ordinary gradients N(0, 1); gradients of size 1e-8 (where ε
    matters); 10 steps of size 1, 10 of size 100, then 0.01 (where AMSGrad's max and v
    part); gradients near ±1e3; a constant 0.5; −1 with a +30 every 37 steps; and N(0, 1)
    set to exactly 0 at every other step. Every column changes sign at some step except
    the constant one.
    """
    rng = np.random.default_rng(seed)
    t = np.arange(1, steps + 1)
    normal = rng.standard_normal((steps, 5))
    large_then_small = np.where(t <= 10, 1.0, np.where(t <= 20, 100.0, 0.01)) * (
        1 + 0.2 * normal[:, 2]) * np.where(t % 7 == 0, -1.0, 1.0)
    columns = [normal[:, 0],
               1e-8 * normal[:, 1],
               large_then_small,
               1e3 * (0.5 + normal[:, 3]),
               np.full(steps, 0.5),
               np.where(t % 37 == 1, 30.0, -1.0),
               np.where(t % 2 == 0, 0.0, normal[:, 4])]
    return np.stack(columns, axis=1)


def _theta0(seed):
    rng = np.random.default_rng(seed + 1)
    return np.round(rng.uniform(-2, 2, 7), 3) + np.array([0, 0, 0, 0, 0, 0, 0.5])


# ---------------------------------------------------------------------------------------
# known mistakes, as step functions of the reference's state


def _adam_formula(theta, g, state, kw, bug=None):
    """Adam as adam_step computes it (all flags and options), with one mistake ``bug``."""
    lr, b1, b2, eps, wd = (kw["lr"], kw["beta1"], kw["beta2"], kw["eps"], kw["weight_decay"])
    amsgrad, corrected = kw["amsgrad"], kw.get("corrected_max", False)
    bias = kw.get("bias_correction", True)
    t = state.t + 1
    tc = {"t_before_increment": t - 1, "t_plus_one": t + 1}.get(bug, t)
    if kw["maximize"]:
        g = -g
    if wd != 0 and not kw["decoupled_weight_decay"]:
        g = g + wd * theta
    theta_d = theta * (1 - lr * wd) if wd != 0 and kw["decoupled_weight_decay"] else theta
    if bug == "betas_swapped":
        b1, b2 = b2, b1
    m = b1 * state.m + (1 - b1) * g
    v = b2 * state.v + (1 - b2) * (g if bug == "v_not_squared" else g * g)
    with np.errstate(divide="ignore", invalid="ignore"):
        bc1 = 1 - b1 ** tc if bias and bug not in ("no_bias_correction", "no_m_correction") else 1.0
        bc2 = 1 - b2 ** tc if bias and bug not in ("no_bias_correction", "no_v_correction") else 1.0
        m_hat = m / bc1
        if amsgrad and bug == "amsgrad_max_over_v_hat":
            corrected = not corrected
        if amsgrad and not corrected:
            v_max = np.maximum(state.v_max, v)
            v_hat = (v if bug == "amsgrad_max_unused" else v_max) / bc2
        elif amsgrad:
            v_max = np.maximum(state.v_max, v / bc2)
            v_hat = v / bc2 if bug == "amsgrad_max_unused" else v_max
        else:
            v_max, v_hat = state.v_max, v / bc2
        e = eps / math.sqrt(bc2) if kw.get("eps_hat", False) else eps
        if bug == "eps_hat_form":
            e = eps / np.sqrt(bc2)
        if bug == "eps_inside_sqrt":
            denom = np.sqrt(v_hat + e)
        elif bug == "no_sqrt":
            denom = v_hat + e
        elif bug == "eps_added_to_theta":
            denom = np.sqrt(v_hat)
        else:
            denom = np.sqrt(v_hat) + e
        theta_next = theta_d - lr * m_hat / denom
        if bug == "eps_added_to_theta":
            theta_next = theta_next + e
    if bug == "eps_added_to_theta":
        denom = None  # the slip has no denominator with ε: only θ shows it
    fields_ = dict(g=g, m=m, v=v, v_max=v_max if amsgrad else None, bias_correction1=bc1,
                   bias_correction2=bc2, m_hat=m_hat, v_hat=v_hat, denom=denom,
                   update=theta_next - theta, theta=theta_next)
    return theta_next, state._replace(t=t, m=m, v=v, v_max=v_max), fields_


def _l2_grad(theta, g, kw):
    """g after torch's maximize and L2 weight decay, as the reference steps form it."""
    g = -g if kw["maximize"] else g
    return g + kw["weight_decay"] * theta if kw["weight_decay"] != 0 else g


def _rmsprop_eps_inside(theta, g, state, kw):
    t = state.t + 1
    g = _l2_grad(theta, g, kw)
    a = kw["alpha"]
    v = a * state.v + (1 - a) * g * g
    g_avg = a * state.g_avg + (1 - a) * g if kw["centered"] else state.g_avg
    v_tilde = v - g_avg * g_avg if kw["centered"] else v
    denom = np.sqrt(v_tilde + kw["eps"])
    b = kw["momentum"] * state.b + g / denom if kw["momentum"] != 0 else state.b
    theta_next = theta - kw["lr"] * (b if kw["momentum"] != 0 else g / denom)
    fields_ = dict(g=g, v=v, g_avg=g_avg if kw["centered"] else None, v_tilde=v_tilde,
                   denom=denom, b=b if kw["momentum"] != 0 else None,
                   update=theta_next - theta, theta=theta_next)
    return theta_next, state._replace(t=t, v=v, g_avg=g_avg, b=b), fields_


def _adamax_variant(bug):
    def step(theta, g, state, kw):
        t = state.t + 1
        g = _l2_grad(theta, g, kw)
        b1, b2, eps = kw["beta1"], kw["beta2"], kw["eps"]
        m = b1 * state.m + (1 - b1) * g
        if bug == "eps_outside_max":
            u = np.maximum(b2 * state.u, np.abs(g))
            bc = 1 - b1 ** t
            clr = kw["lr"] / bc
            with np.errstate(divide="ignore", invalid="ignore"):
                theta_next = theta - clr * (m / (u + eps))
        else:  # no bias correction
            u = np.maximum(b2 * state.u, np.abs(g) + eps)
            bc, clr = 1.0, kw["lr"]
            theta_next = theta - clr * (m / u)
        fields_ = dict(g=g, m=m, u=u, bias_correction=bc, clr=clr,
                       update=theta_next - theta, theta=theta_next)
        return theta_next, state._replace(t=t, m=m, u=u), fields_
    return step


def _sgd_ema_momentum(theta, g, state, kw):
    t = state.t + 1
    g = _l2_grad(theta, g, kw)
    mu = kw["momentum"]
    b = (1 - mu) * g if state.b is None else mu * state.b + (1 - mu) * g
    d = g + mu * b if kw["nesterov"] else b
    theta_next = theta - kw["lr"] * d
    fields_ = dict(g=g, b=b, d=d, update=theta_next - theta, theta=theta_next)
    return theta_next, state._replace(t=t, b=b), fields_


def _through_reference(spec, change_kw=None, change_state=None):
    """A mistake expressed through the reference step: other keywords or another state."""
    def step(theta, g, state, kw):
        kw2 = change_kw(dict(kw)) if change_kw else kw
        state_in = change_state(state) if change_state else state
        theta_next, state_next, trace = spec.step(theta, g, state_in, **kw2)
        return theta_next, state_next._replace(t=state.t + 1), dict(trace.items())
    return step


_ADAM_HINTS = {
    "eps_inside_sqrt": "ε is inside the square root: the denominator must be √v̂_t + ε, "
                       "not √(v̂_t + ε)",
    "eps_added_to_theta": "operator precedence: ε is added to θ instead of to the denominator "
                          "(write α·m̂_t / (√v̂_t + ε), with the parentheses)",
    "no_bias_correction": "the bias correction is missing: m̂_t = m_t/(1 − β1^t) and "
                          "v̂_t = v_t/(1 − β2^t)",
    "no_m_correction": "the first moment's bias correction is missing: m̂_t = m_t/(1 − β1^t)",
    "no_v_correction": "the second moment's bias correction is missing: v̂_t = v_t/(1 − β2^t)",
    "t_before_increment": "the bias correction uses the old step count: increment t before "
                          "computing 1 − β^t (with t = 0 the correction divides by zero)",
    "t_plus_one": "the bias correction uses t + 1: t is incremented twice, or counted "
                  "from 1 in the initial state",
    "betas_swapped": "β1 and β2 are swapped: m uses β1 (0.9), v uses β2 (0.999)",
    "v_not_squared": "v averages g instead of g²: v_t = β2·v_{t−1} + (1 − β2)·g_t²",
    "no_sqrt": "the square root is missing: the denominator is √v̂_t + ε",
    "eps_hat_form": "ε is scaled by 1/√(1 − β2^t): that is the ε̂ form of TF/Keras "
                    "(ε added to √v_t before the correction), not Algorithm 1",
    "amsgrad_max_over_v_hat": "AMSGrad's running max is taken over the wrong quantity: "
                              "torch keeps max(v_max, v_t) of the raw v_t and then divides by "
                              "1 − β2^t (corrected_max=True is optax's max over v̂_t)",
    "amsgrad_max_unused": "AMSGrad's running max is kept but not used: v̂_t must be "
                          "v_max,t/(1 − β2^t)",
}

_FLAG_HINTS = {
    "amsgrad": "amsgrad={value} was asked for but the step behaves as amsgrad={other}",
    "maximize": "maximize={value} was asked for but the step behaves as maximize={other} "
                "(maximize negates g first)",
    "decoupled_weight_decay": "weight decay is applied the other way: decoupled_weight_decay="
                              "{value} was asked for (True: θ·(1 − α·λ) before the step, "
                              "False: λ·θ added to g)",
    "nesterov": "nesterov={value} was asked for but the step behaves as nesterov={other}",
    "centered": "centered={value} was asked for but the step behaves as centered={other}",
}


def _mistakes(spec, kw):
    """(name, hint, step) for each known mistake that applies to ``spec`` with ``kw``."""
    out = []
    if spec.name == "adam":
        for bug, text in _ADAM_HINTS.items():
            if bug.startswith("amsgrad") and not kw.get("amsgrad"):
                continue
            out.append((bug, text, lambda th, g, s, k, bug=bug: _adam_formula(th, g, s, k, bug)))
    if spec.name == "rmsprop":
        out.append(("eps_inside_sqrt", "ε is inside the square root: the denominator must be "
                    "√v_t + ε, not √(v_t + ε)", _rmsprop_eps_inside))
    if spec.name == "adamax":
        out.append(("eps_outside_max", "ε is outside the max: torch's u_t = max(β2·u_{t−1}, "
                    "|g_t| + ε)", _adamax_variant("eps_outside_max")))
        out.append(("no_bias_correction", "the bias correction of the step size is missing: "
                    "α_t = α/(1 − β1^t)", _adamax_variant("no_bias_correction")))
    if spec.name == "sgd" and kw.get("momentum", 0) != 0 and kw.get("dampening", 0) == 0:
        out.append(("ema_momentum", "the momentum buffer is an average, b_t = μ·b_{t−1} + "
                    "(1 − μ)·g_t; torch's is a sum, b_t = μ·b_{t−1} + g_t (and b_1 = g_1)",
                    _sgd_ema_momentum))
    # mistakes any algorithm can make, through its own reference step
    if "beta1" in kw and "beta2" in kw and spec.name != "adam":
        out.append(("betas_swapped", "β1 and β2 are swapped",
                    _through_reference(spec, lambda k: k | {"beta1": k["beta2"],
                                                            "beta2": k["beta1"]})))
    if spec.name != "adam" and spec.step_key is not None:
        out.append(("t_plus_one", "the step count is one ahead: t is incremented twice, or "
                    "counted from 1 in the initial state",
                    _through_reference(spec, change_state=lambda s: s._replace(t=s.t + 1))))
    for flag in spec.flags + (() if spec.name == "adam" else spec.options):
        value = kw.get(flag)
        if not isinstance(value, bool):
            continue
        text = _FLAG_HINTS.get(flag, "{flag}={value} was asked for but the step behaves as "
                                     "{flag}={other}")
        out.append((f"flag:{flag}", text.format(flag=flag, value=value, other=not value),
                    _through_reference(spec, lambda k, flag=flag: k | {flag: not k[flag]})))
    return out


# ---------------------------------------------------------------------------------------
# running and comparing


def _close(expected, got, scale):
    """Element-wise agreement within RTOL of max(|expected|, scale); NaN only matches NaN."""
    expected = np.asarray(expected, dtype=float)
    with np.errstate(invalid="ignore", over="ignore"):
        tol = RTOL * np.maximum(np.abs(expected), scale)
        diff = np.abs(got - expected)
        ok = ((diff <= tol) & np.isfinite(expected)) | (expected == got)
    ok |= np.isnan(expected) & np.isnan(got)
    return ok


def _as_float_array(value, shape):
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        return None, f"cannot be read as an array of numbers: {type(value).__name__}"
    if array.shape != shape and array.shape != ():
        try:
            array = np.broadcast_to(array, shape)
        except ValueError:
            return None, f"has shape {array.shape}, expected {shape}"
    return array, None


def _call_kwargs(step, spec, kw, explicit):
    """The reference's keywords that the student's step takes, and those it lacks.

    adam_ref's own variant switches (``spec.options``) are passed only when given.
    """
    kw = {n: v for n, v in kw.items() if n not in spec.options or n in explicit}
    try:
        params = inspect.signature(step).parameters
    except (TypeError, ValueError):
        return dict(kw), None
    if any(p.kind is p.VAR_KEYWORD for p in params.values()):
        return dict(kw), None
    accepted = {n for n, p in params.items() if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)}
    call = {n: v for n, v in kw.items() if n in accepted}
    return call, [n for n in kw if n not in accepted and n in explicit]


def check_step(step, init=None, algorithm="adam", steps=DEFAULT_STEPS, seed=0, **hyperparameters):
    r"""Run ``step`` beside the reference step of ``algorithm`` and report its first mistake.

    ``step(theta, grad, state, **hyperparameters)`` is called with the reference step's
    keyword names (``lr``, ``beta1``, ``beta2``, ``eps``, ... and the switches such as
    ``amsgrad``), those of them its signature takes, with the reference's defaults
    unless given here. It returns ``(theta_next, state_next)`` or ``(theta_next,
    state_next, intermediates)``, where ``intermediates`` maps names of the reference
    trace's fields (``"m"``, ``"v"``, ``"m_hat"``, ``"v_hat"``, ``"denom"``, ...) to
    arrays. ``state`` starts as ``init(theta)`` — with those of the init's keywords its
    signature takes, such as Adagrad's ``initial_accumulator_value`` — or None without
    ``init``; the state is the student's own and is never inspected.

    The two run ``steps`` steps from the same θ₀ (7 coordinates, float64) on
    :func:`exposing_gradients` ``(steps, seed)``. Fields are compared in the order of
    the trace, those the student returned, and θ always. The run stops at the first
    mismatch, exception or wrong return value. NumPy's warnings for division by zero,
    invalid values and overflow are silenced inside the student's step: the inf or
    NaN they produce is reported as the mismatch instead.

    Returns a :class:`Report`: ``ok``, ``first_mismatch`` (None or a :class:`Mismatch`
    with ``t`` from 1), ``hint`` and a readable ``str()``. Bad arguments of this
    function itself (unknown algorithm or keyword, a hyperparameter out of range)
    raise ``ValueError`` or ``TypeError`` before the student's code runs.
    """
    if algorithm not in ALGORITHMS:
        raise ValueError(f"unknown algorithm {algorithm!r}; known: {', '.join(ALGORITHMS)}")
    spec = ALGORITHMS[algorithm]
    defaults = spec.defaults
    unknown = sorted(set(hyperparameters) - set(defaults))
    if unknown:
        raise TypeError(f"{spec.step.__name__} has no keyword {', '.join(map(repr, unknown))}; "
                        f"its keywords are {', '.join(defaults)}")
    if not callable(step):
        raise TypeError(f"step must be a function step(theta, grad, state, ...), got {step!r}")
    if init is not None and not callable(init):
        raise TypeError(f"init must be a function init(theta) or None, got {init!r}")
    if (isinstance(steps, bool) or not isinstance(steps, (int, np.integer))
            or not 1 <= steps <= 10 ** 6):
        raise ValueError(f"steps must be a whole number from 1 to 1000000, got {steps!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a whole number >= 0, got {seed!r}")
    kw = defaults | hyperparameters
    grads = exposing_gradients(int(steps), int(seed))
    theta0 = _theta0(int(seed))
    init_kw = {name: kw[name] for name in spec.init_keywords}  # Adagrad's initial sum
    ref_state = spec.init(theta0, **init_kw)
    spec.step(theta0, grads[0], ref_state, **kw)  # the caller's hyperparameters are checked here

    order = [f.name for f in fields(spec.trace) if f.name not in _SKIP]
    call_kw, missing = _call_kwargs(step, spec, kw, set(hyperparameters))
    report = dict(algorithm=spec.name, hyperparameters=dict(kw))

    def finish(t, mismatch, hint, compared=("theta",), ignored=()):
        return Report(ok=mismatch is None, steps=t, compared=tuple(compared),
                      first_mismatch=mismatch, hint=hint, ignored=tuple(ignored), **report)

    if missing:
        return finish(0, Mismatch(1, "signature", None,
                                  f"{getattr(step, '__name__', 'step')} takes no keyword "
                                  f"{', '.join(map(repr, missing))}"),
                      f"give the step the keywords {', '.join(missing)}: it is called with the "
                      f"reference's names ({', '.join(defaults)}), those its signature takes")
    try:
        state = (init(theta0.copy(), **_call_kwargs(init, spec, init_kw, ())[0])
                 if init is not None else None)
    except Exception as error:  # the student's code: a finding
        return finish(0, Mismatch(1, "init", None, _error_text(error)),
                      f"init(theta) raised {type(error).__name__}: {error}")

    theta, ref_theta = theta0.copy(), theta0
    scales = {}
    history = []  # the student's values per step, for the hint
    compared, ignored = ["theta"], []
    for t in range(1, int(steps) + 1):
        g = grads[t - 1]
        ref_theta, ref_state, trace = spec.step(ref_theta, g, ref_state, **kw)
        expected = dict(trace.items())
        try:
            with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                out = step(theta.copy(), g.copy(), state, **call_kw)  # inf and NaN are findings
        except Exception as error:
            return finish(t - 1, Mismatch(t, "exception", None, _error_text(error)),
                          f"your step raised {type(error).__name__} at step t = {t}: {error}",
                          compared, ignored)
        if not isinstance(out, tuple) or len(out) not in (2, 3):
            what = (f"a tuple of {len(out)}" if isinstance(out, tuple)
                    else f"a {type(out).__name__}")
            return finish(t - 1, Mismatch(t, "return", "(theta_next, state_next) or "
                                          "(theta_next, state_next, intermediates)", what),
                          "return (theta_next, state_next) or (theta_next, state_next, "
                          "intermediates), where intermediates is a dict of the trace's fields",
                          compared, ignored)
        theta_next, state = out[0], out[1]
        inter = out[2] if len(out) == 3 else {}
        if inter is None:
            inter = {}
        if not hasattr(inter, "items"):
            return finish(t - 1, Mismatch(t, "return", "a dict of intermediates",
                                          f"a {type(inter).__name__}"),
                          "the third value returned must map trace field names to arrays",
                          compared, ignored)
        inter = dict(inter.items())
        if t == 1:
            ignored = sorted(str(k) for k in inter if k not in order or k == "theta")
            compared = [name for name in order if name in inter and name != "theta"] + ["theta"]
        got = {name: inter[name] for name in compared if name != "theta"}
        got["theta"] = theta_next
        values, exps = {}, {}
        for name in compared:
            exp = expected.get(name)
            if exp is None:  # e.g. v_max without amsgrad: nothing to compare
                continue
            exps[name] = exp = np.asarray(exp, dtype=float)
            array, problem = _as_float_array(got[name], exp.shape)
            if problem:
                return finish(t - 1, Mismatch(t, name, exp, f"{name} {problem}"),
                              f"{name} {problem}", compared, ignored)
            values[name] = array
        history.append(values)
        for name, exp in exps.items():
            scale = np.maximum(scales.get(name, 0.0), np.abs(exp))
            scales[name] = scale
            ok = _close(exp, values[name], scale)
            if not np.all(ok):
                index = _worst(exp, values[name], ok)
                hint = _hint(spec, kw, grads, theta0, history, compared, name, t, exp,
                             values[name], index)
                return finish(t, Mismatch(t, name, exp, values[name], index), hint,
                              compared, ignored)
        theta = np.array(values["theta"], dtype=float)
    return finish(int(steps), None, "", compared, ignored)


def _error_text(error):
    frames = traceback.extract_tb(error.__traceback__)
    where = f" (line {frames[-1].lineno}: {frames[-1].line})" if frames else ""
    return f"{type(error).__name__}: {error}{where}"


def _worst(expected, got, ok):
    if expected.ndim == 0:
        return None
    with np.errstate(invalid="ignore", over="ignore"):
        diff = np.where(ok, 0.0, np.abs(got - expected) / np.maximum(np.abs(expected), 1e-300))
    diff = np.where(np.isnan(diff), np.inf, diff)
    return int(np.argmax(diff))


_COORDINATES = ["ordinary gradients", "gradients of size 1e-8, where ε matters",
                "a large-then-small stretch", "gradients near 1e3", "a constant gradient",
                "rare large gradients", "gradients that are exactly 0 at every other step"]

_EQUATIONS = {
    "g": "g_t: the gradient after maximize (−g) and L2 weight decay (+λ·θ)",
    "m": "m_t = β1·m_{t−1} + (1 − β1)·g_t",
    "v": "v_t = β2·v_{t−1} + (1 − β2)·g_t²",
    "v_max": "v_max,t = max(v_max,t−1, v_t)",
    "bias_correction1": "1 − β1^t",
    "bias_correction2": "1 − β2^t",
    "m_hat": "m̂_t = m_t / (1 − β1^t)",
    "v_hat": "v̂_t = v_t / (1 − β2^t) (AMSGrad: v_max,t / (1 − β2^t))",
    "denom": "the denominator, √v̂_t + ε",
    "theta": "the update θ_t = θ_{t−1} − α·m̂_t/(√v̂_t + ε)",
}


def _hint(spec, kw, grads, theta0, history, compared, name, t, expected, got, index):
    """Name the known mistake whose run reproduces the student's values up to step t."""
    matches = []
    for bug, text, mistake in _mistakes(spec, kw):
        theta, state = theta0.copy(), spec.init(theta0, **{n: kw[n] for n in spec.init_keywords})
        agree = True
        try:
            with np.errstate(all="ignore"):
                for s in range(t):
                    theta, state, values = mistake(theta, grads[s], state, kw)
                    for field_name, student in history[s].items():
                        value = values.get(field_name)
                        if value is None:
                            continue
                        value = np.asarray(value, dtype=float)
                        if not np.all(_close(value, student, np.abs(value))):
                            agree = False
                            break
                    if not agree:
                        break
        except Exception:  # a mistake that cannot run on these values does not match
            agree = False
        if agree:
            matches.append(text)
    if matches:
        extra = f" (or: {'; '.join(matches[1:3])})" if len(matches) > 1 else ""
        return f"likely mistake: {matches[0]}{extra}"
    where = (f"coordinate {index} ({_COORDINATES[index]})"
             if index is not None and index < len(_COORDINATES) else "")
    if not np.all(np.isfinite(got)):
        return (f"{name} is NaN or infinite at step t = {t}{' at ' + where if where else ''}: "
                f"a division by zero (1 − β^t with t = 0?) or a square root of a negative "
                f"number")
    before = [f for f in compared[:compared.index(name)]]
    agreed = f"{', '.join(before)} agree; " if before else ""
    eq = _EQUATIONS.get(name, f"the equation of {name} in {spec.step.__name__}")
    if spec.name != "adam" and name not in ("theta", "g"):
        eq = f"the equation of {name} in {spec.step.__name__}"
    return (f"{agreed}{name} differs first, at step t = {t}"
            f"{', ' + where if where else ''}: check {eq}")
