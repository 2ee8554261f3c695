r"""Teaching plots: each function takes histories (or plain numbers) and returns a Figure.

Nothing here shows a window or touches matplotlib's global state: every figure is a
:class:`matplotlib.figure.Figure` built inside ``matplotlib.rc_context(style())``,
so it renders with the Agg backend on a machine without a display.

Every word a figure shows comes from the tables of :mod:`adam_ref._text`, in the
language set by :func:`use_language` (``"en"`` by default; ``"zh"`` with the ``zh``
extra, whose CJK font :func:`style` puts first in ``font.family``). A lesson
switches language with one line, ``plots.use_language("zh")``; titles and labels
passed in are drawn as given.

Colours are the Okabe–Ito palette (safe for the common colour-vision
deficiencies); symbols are the paper's: g_t, m_t, v_t, m̂_t, v̂_t, β1, β2, ε, α.
"""

import functools
import importlib
import re

import matplotlib
import numpy as np
from matplotlib.figure import Figure

from . import _text
from .functional import ALGORITHMS
from .history import History

__all__ = ["PALETTE", "STYLE", "FONTS", "LanguageUnavailable", "language", "use_language", "style",
           "describe", "effective_step_factor", "settings_text", "plot_moments",
           "plot_constant_gradient", "plot_ema_kernels", "plot_bias_correction",
           "plot_bias_correction_runs", "plot_paths", "plot_reddi", "plot_weight_decay",
           "plot_sweeps", "plot_schedules", "plot_sparse", "plot_eps_forms"]

#: Okabe & Ito (2008), "Color Universal Design"; black first, yellow last (weak on white)
PALETTE = ["#000000", "#E69F00", "#56B4E9", "#009E73", "#0072B2", "#D55E00", "#CC79A7", "#F0E442"]

STYLE = {
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "font.size": 10,
    "axes.titlesize": 10,
    "figure.titlesize": 10.5,
    "axes.labelsize": 10,
    "legend.fontsize": 8.5,
    "legend.framealpha": 0.9,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.prop_cycle": matplotlib.cycler(color=PALETTE),
    "lines.linewidth": 1.6,
    "figure.constrained_layout.use": True,
    "svg.hashsalt": "adam_ref",
    "path.simplify": False,
}

# each hyperparameter's symbol, from the algorithms' descriptions (Adam's first: lr is α)
_SYMBOLS = {h.name: f"${h.symbol}$" for spec in reversed(ALGORITHMS.values()) for h in spec.hypers}

#: the font each language needs beyond matplotlib's DejaVu Sans: (module, family, extra);
#: the module is a pip package exposing FONT_PATH, installed by ``pip install "adam_ref[extra]"``
FONTS = {"zh": ("noto_cjk_sans_otc", "Noto Sans CJK SC", "zh")}

_language = "en"
_family_before = None  # matplotlib's font.family before a language with its own font
_fonts = {}  # language -> the rcParams its font needs, once registered


class LanguageUnavailable(RuntimeError):
    """A language whose font is not installed."""


def _font_style(lang):
    """The rcParams that language ``lang`` adds to :data:`STYLE` (its font first in
    ``font.family``, so that text beside mathtext uses it too); registers the font file
    with matplotlib's font manager the first time."""
    if lang not in FONTS:
        return {}
    if lang not in _fonts:
        module, family, extra = FONTS[lang]
        try:
            path = importlib.import_module(module).FONT_PATH
        except (ImportError, AttributeError):
            raise LanguageUnavailable(
                f"the {lang!r} figures need the font package {module.replace('_', '-')}: "
                f'pip install "adam_ref[{extra}]"') from None
        from matplotlib import font_manager
        font_manager.fontManager.addfont(str(path))
        _fonts[lang] = {"font.family": [family, "DejaVu Sans"]}
    return _fonts[lang]


def use_language(lang):
    """Make ``lang`` (``"en"`` or ``"zh"``) the language of every figure's text from now on,
    and configure its font; return the language that was in use.

    ``use_language("zh")`` needs the ``zh`` extra (``pip install "adam_ref[zh]"``) and
    raises :class:`LanguageUnavailable` naming it otherwise, leaving the language as it was.
    Texts passed in (titles, labels) are drawn as given. The language's font is also put
    first in matplotlib's own ``font.family``, so that the text of figures drawn outside
    this module (a lesson's own legend, say) renders too; switching back to English
    restores the ``font.family`` that was there before."""
    global _language, _family_before
    if not isinstance(lang, str) or lang not in _text.TEXT:
        raise ValueError(f"use_language: lang must be one of {', '.join(_text.LANGUAGES)}, "
                         f"got {lang!r}")
    font = _font_style(lang)
    if _family_before is None:
        _family_before = list(matplotlib.rcParams["font.family"])
    matplotlib.rcParams["font.family"] = font.get("font.family", _family_before)
    if not font:
        _family_before = None
    previous, _language = _language, lang
    return previous


def language():
    """The language figures are drawn in (see :func:`use_language`)."""
    return _language


def style():
    """:data:`STYLE` with the current language's font: the rcParams every figure is built in."""
    return {**STYLE, **_font_style(_language)}


def _t(key, **values):
    """The text ``key`` in the current language, with ``values`` filled in."""
    return _text.text(_language, key, **values)


#: characters of the objectives' descriptions that a language's font may lack, as mathtext
#: (inside a line with mathtext, plain text is drawn in the first font, without a fallback)
_AS_MATH = {"ᵀ": r"$^{\mathsf{T}}$", "ᵢ": "$_i$", "₀": "$_0$"}


def describe(objective):
    """An objective's description in the current language."""
    description = _text.describe(_language, objective)
    if _language in FONTS:
        for char, math in _AS_MATH.items():
            description = description.replace(char, math)
    return description


def _styled(plot):
    """Build the figure inside the style's rc context, so nothing global changes."""
    @functools.wraps(plot)
    def wrapper(*args, **kwargs):
        with matplotlib.rc_context(style()):
            return plot(*args, **kwargs)
    return wrapper


def _check_histories(plot, histories, fields=(), most=None, name="histories"):
    """``histories`` must be a non-empty list or tuple of at most ``most`` History objects,
    each holding at least one step and the trace ``fields``: TypeError for a wrong type,
    ValueError naming what is missing."""
    if not isinstance(histories, (list, tuple)):
        raise TypeError(f"{plot} needs a list of History objects, got {type(histories).__name__}")
    if not histories:
        raise ValueError(f"{plot} needs at least one History, got an empty list")
    if most is not None and len(histories) > most:
        raise ValueError(f"{plot} draws at most {most} histories ({name}), got {len(histories)}")
    for history in histories:
        if not isinstance(history, History):
            raise TypeError(f"{plot} needs History objects (from record or record_step), "
                            f"got {type(history).__name__}")
        if any(field not in history.trace for field in fields):
            raise ValueError(f"{plot} needs the trace fields {', '.join(fields)}; this history "
                             f"has {', '.join(history.trace) or 'none'}")
        rows = len(np.atleast_1d(history.t))
        if rows == 0 or any(len(np.atleast_1d(a)) != rows for a in (history.theta, history.loss)):
            raise ValueError(f"{plot}: the history {history.label!r} holds no steps" if rows == 0
                             else f"{plot}: the history {history.label!r} has arrays of "
                             "different lengths")


def _check_title(plot, title):
    if not isinstance(title, str):
        raise TypeError(f"{plot}: title must be a str, got {type(title).__name__}")


def _check_coordinate(plot, history, coordinate):
    size = np.asarray(history.theta0).size
    if isinstance(coordinate, (bool, np.bool_)) or not isinstance(coordinate, (int, np.integer)):
        raise TypeError(f"{plot}: coordinate must be an integer index, got {coordinate!r}")
    if not 0 <= coordinate < size:
        raise ValueError(f"{plot}: coordinate must be in [0, {size}) (theta has {size} "
                         f"coordinates), got {coordinate}")


def _check_count(plot, name, value):
    """A number of steps: a whole number >= 1."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{plot}: {name} must be a whole number of steps, got {value!r}")
    if value < 1:
        raise ValueError(f"{plot}: {name} must be at least 1, got {value}")


def _check_beta(plot, name, value):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer,
                                                                     np.floating)):
        raise TypeError(f"{plot}: {name} must be a number in [0, 1), got {value!r}")
    if not 0 <= value < 1:  # NaN fails too
        raise ValueError(f"{plot}: {name} must be in [0, 1), got {value}")


def _check_betas(plot, name, values, most):
    if isinstance(values, (str, bytes)) or not isinstance(values, (list, tuple, np.ndarray)):
        raise TypeError(f"{plot}: {name} must be a list of numbers in [0, 1), got {values!r}")
    if not 1 <= len(values) <= most:
        raise ValueError(f"{plot}: {name} must hold 1 to {most} values, got {len(values)}")
    for i, value in enumerate(values):
        _check_beta(plot, f"{name}[{i}]", value)


def _check_objective(plot, objective, *attributes):
    missing = [a for a in attributes if not hasattr(objective, a)]
    if missing:
        raise TypeError(f"{plot}: objective must have {', '.join(attributes)} (an objective "
                        f"from adam_ref.objectives), got {type(objective).__name__} without "
                        f"{', '.join(missing)}")


def _check_plane(plot, objective, histories):
    """Path plots need a 2-D objective (with a plotting ``box``) and 2-D runs."""
    _check_objective(plot, objective, "value", "box", "minimum")
    box = objective.box
    try:
        (x0, x1), (y0, y1) = box
        ok = all(np.isfinite([x0, x1, y0, y1])) and x0 < x1 and y0 < y1
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise ValueError(f"{plot} needs a 2-D objective with a plotting box ((x0, x1), (y0, y1));"
                         f" {objective!r} has box {box!r}")
    for history in histories:
        if np.shape(history.theta0) != (2,):
            raise ValueError(f"{plot} needs runs in 2-D; the history {history.label!r} has theta "
                             f"of shape {np.shape(history.theta0)}")


_MOMENTS = ("g", "m", "v", "m_hat", "v_hat")


def _figure(width=7.0, height=4.2):
    return Figure(figsize=(width, height))


_WIDE = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef]")
_NO_LINE_START = set("，。、：；！？）》」』%")


def _pieces(word):
    """A word split where a line may break inside it: around each CJK character outside
    $…$ (but never before closing punctuation); a word without CJK stays whole."""
    if not _WIDE.search(word):
        return [word]
    pieces, math = [""], False
    for char in word:
        wide = not math and _WIDE.match(char)
        if wide and char in _NO_LINE_START:  # stays with what comes before it
            if not pieces[-1] and len(pieces) > 1:
                pieces.pop()
        elif wide and pieces[-1]:
            pieces.append("")
        pieces[-1] += char
        if char == "$":
            math = not math
        if wide:
            pieces.append("")
    return [piece for piece in pieces if piece]


def _wrap(text, width):
    """Break ``text`` into lines of about ``width`` visible characters, never inside $…$
    (a CJK character counts as two, and a line may break between two of them)."""
    words, lines, line, shown = [], [], [], 0
    for word in text.split(" "):
        if words and words[-1].count("$") % 2:  # still inside a formula
            words[-1] += " " + word
        else:
            words.append(word)
    for word in words:
        pieces = _pieces(word)
        for k, piece in enumerate(pieces):
            visible = len(re.sub(r"\\[A-Za-z]+|[{}_^$]", lambda c: "x" * (len(c[0]) > 1),
                                 piece)) + len(_WIDE.findall(piece))
            if line and shown + visible > width:
                lines.append("".join(line))
                line, shown = [], 0
            elif line and k == 0:
                line.append(" ")
            line.append(piece)
            shown += visible + (k == len(pieces) - 1)  # and the space after the word
    return "\n".join(lines + ["".join(line)])


def _suptitle(fig, text):
    """A title wrapped to the figure's width (about 12 characters per inch at 10.5 pt)."""
    fig.suptitle("\n".join(_wrap(part, int(fig.get_figwidth() * 12)) for part in text.split("\n")))


def _number(value):
    array = np.asarray(value)
    if array.ndim == 0:
        return f"{array.item():g}"
    return "[" + ", ".join(f"{v:g}" for v in array.ravel()) + "]"


def settings_text(settings):
    r"""The hyperparameters of a run as mathtext, e.g. ``"$\alpha$=0.1, $\beta_1$=0.9"``.

    ``betas`` is split into β1, β2; flags are named only when True; schedules
    (callables) are left out, the figure says what they are.
    """
    if not isinstance(settings, dict):
        raise TypeError(f"settings_text: settings must be a dict of hyperparameters, "
                        f"got {type(settings).__name__}")
    betas = settings.get("betas", (0, 0))
    if not isinstance(betas, (tuple, list, np.ndarray)) or len(betas) != 2:
        raise ValueError(f"settings_text: betas must be a pair (beta1, beta2), "
                         f"got {settings['betas']!r}")
    parts = []
    for key, value in settings.items():
        if key == "betas":
            parts += [f"{_SYMBOLS['beta1']}={_number(value[0])}",
                      f"{_SYMBOLS['beta2']}={_number(value[1])}"]
        elif isinstance(value, (bool, np.bool_)):
            parts += [key] if value else []
        elif key in ("weight_decay", "momentum", "dampening") and np.all(np.asarray(value) == 0):
            continue  # off: naming it would only clutter the caption
        elif key in _SYMBOLS and not callable(value):
            parts.append(f"{_SYMBOLS[key]}={_number(value)}")
    return ", ".join(parts)


def effective_step_factor(t, beta1=0.9, beta2=0.999):
    r"""√(1 − β2^t) / (1 − β1^t): how bias correction scales α at step t.

    Adam's step is α·m̂_t/(√v̂_t + ε) = α·[√(1 − β2^t)/(1 − β1^t)]·m_t/(√v_t + ε̂)
    with ε̂ = ε√(1 − β2^t). With the default betas it starts at √0.001/0.1 ≈ 0.316,
    dips to its minimum ≈ 0.152 at t = 12 and climbs back towards 1.
    """
    _check_beta("effective_step_factor", "beta1", beta1)
    _check_beta("effective_step_factor", "beta2", beta2)
    try:
        t = np.asarray(t, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"effective_step_factor: t must be a step or an array of steps, "
                        f"got {t!r}") from None
    if t.size == 0:
        raise ValueError("effective_step_factor: t holds no steps")
    if not np.all(t >= 1):  # NaN fails too
        raise ValueError("the step t starts at 1")
    return np.sqrt(1 - beta2 ** t) / (1 - beta1 ** t)


# --------------------------------------------------------------------------- moments

@_styled
def plot_moments(history, coordinate=0, title=""):
    r"""g_t, m_t, m̂_t (top) and v_t, v̂_t (bottom) of one coordinate, per step."""
    _check_histories("plot_moments", [history], _MOMENTS)
    _check_coordinate("plot_moments", history, coordinate)
    _check_title("plot_moments", title)
    index = (slice(None),) + np.unravel_index(coordinate, history.theta0.shape)
    t = history.t
    fig = _figure(7.0, 5.2)
    top, bottom = fig.subplots(2, 1, sharex=True)
    top.plot(t, history.g[index], color=PALETTE[2], lw=1.0, marker=".", ms=3, label=r"$g_t$")
    top.plot(t, history.m[index], color=PALETTE[1], label=r"$m_t$")
    top.plot(t, history.m_hat[index], color=PALETTE[0], ls="--", label=r"$\hat m_t$")
    top.set_ylabel(_t("axis.first_moment"))
    bottom.plot(t, history.g[index] ** 2, color=PALETTE[2], lw=1.0, marker=".", ms=3,
                label=r"$g_t^2$")
    bottom.plot(t, history.v[index], color=PALETTE[5], label=r"$v_t$")
    bottom.plot(t, history.v_hat[index], color=PALETTE[4], ls="--", label=r"$\hat v_t$")
    bottom.set_ylabel(_t("axis.second_moment"))
    bottom.set_xlabel(_t("axis.step"))
    for ax in (top, bottom):  # beside the axes, where no point of a noisy run can fall
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0)
    _suptitle(fig, title or _t("moments.title", label=history.label, coordinate=coordinate,
                               settings=settings_text(history.settings)))
    return fig


@_styled
def plot_constant_gradient(history, coordinate=0, title=""):
    r"""Under a constant gradient g: m_t = (1 − β1^t)·g ramps up while m̂_t = g from step 1."""
    _check_histories("plot_constant_gradient", [history], _MOMENTS)
    _check_coordinate("plot_constant_gradient", history, coordinate)
    _check_title("plot_constant_gradient", title)
    index = (slice(None),) + np.unravel_index(coordinate, history.theta0.shape)
    t, g = history.t, history.g[index]
    fig = _figure(7.0, 3.8)
    left, right = fig.subplots(1, 2)
    left.plot(t, g, color=PALETTE[2], lw=3, alpha=0.6, label=r"$g_t = g$")
    left.plot(t, history.m[index], color=PALETTE[1], label=r"$m_t$")
    left.plot(t, history.m_hat[index], color=PALETTE[0], ls="--",
              label=r"$\hat m_t = m_t/(1-\beta_1^t)$")
    left.set_ylabel(_t("axis.first_moment"))
    right.plot(t, g ** 2, color=PALETTE[2], lw=3, alpha=0.6, label=r"$g^2$")
    right.plot(t, history.v[index], color=PALETTE[5], label=r"$v_t$")
    right.plot(t, history.v_hat[index], color=PALETTE[4], ls="--",
               label=r"$\hat v_t = v_t/(1-\beta_2^t)$")
    right.set_ylabel(_t("axis.second_moment"))
    for ax in (left, right):
        ax.set_xscale("log")
        ax.set_xlabel(_t("axis.step"))
        ax.set_ylim(0, 1.25 * np.max(np.abs(g)) ** (1 if ax is left else 2))
        ax.legend(loc="upper right", ncol=3, fontsize=8)
    _suptitle(fig, title or _t("constant_gradient.title", settings=settings_text(history.settings)))
    return fig


@_styled
def plot_ema_kernels(betas=(0.5, 0.9, 0.99), k_max=400):
    r"""The weight (1 − β)β^k an EMA gives to the gradient k steps back, with 1/(1 − β) marked.

    ``betas``: 1 to 7 values in [0, 1); ``k_max`` ≥ 1 steps back."""
    _check_betas("plot_ema_kernels", "betas", betas, len(PALETTE) - 1)
    _check_count("plot_ema_kernels", "k_max", k_max)
    k = np.arange(k_max + 1)
    fig = _figure(7.0, 3.8)
    ax = fig.subplots()
    for color, beta in zip(PALETTE[1:], betas):
        ax.plot(k, (1 - beta) * beta ** k, color=color, label=rf"$\beta$ = {beta:g}")
        window = 1 / (1 - beta)
        if window <= k_max:
            ax.axvline(window, color=color, ls=":", lw=1.2)
            ax.annotate(rf"$1/(1-\beta)$ = {window:g}", (window, (1 - beta) * beta ** window),
                        xytext=(4, 8), textcoords="offset points", color=color, fontsize=8.5)
    ax.set_xscale("symlog", linthresh=1)
    ax.set_xlim(0, k_max)
    ax.set_yscale("log")
    ax.set_ylim(1e-6, 1)
    ax.set_xlabel(_t("ema.xlabel"))
    ax.set_ylabel(_t("ema.ylabel"))
    ax.legend(loc="lower left")
    ax.set_title(_t("ema.title"))
    return fig


# --------------------------------------------------------------------------- bias correction

@_styled
def plot_bias_correction(beta1s=(0.5, 0.8, 0.9), beta2s=(0.99, 0.999, 0.9999), beta1=0.9,
                         beta2=0.999, steps=5000):
    r"""1/(1 − β^t) for several β (log axes), and the effective step factor with its minimum marked.

    ``beta1s``: 1 to 7 values, ``beta2s``: 1 to 4, all in [0, 1); ``steps`` ≥ 1."""
    _check_betas("plot_bias_correction", "beta1s", beta1s, len(PALETTE) - 1)
    _check_betas("plot_bias_correction", "beta2s", beta2s, len(PALETTE) - 4)
    _check_beta("plot_bias_correction", "beta1", beta1)
    _check_beta("plot_bias_correction", "beta2", beta2)
    _check_count("plot_bias_correction", "steps", steps)
    t = np.arange(1, steps + 1, dtype=float)
    fig = _figure(8.0, 3.9)
    left, right = fig.subplots(1, 2)
    for color, b in zip(PALETTE[1:], beta1s):
        left.plot(t, 1 / (1 - b ** t), color=color, label=rf"$1/(1-\beta_1^t)$, $\beta_1$={b:g}")
    for color, b in zip(PALETTE[4:], beta2s):
        left.plot(t, 1 / (1 - b ** t), color=color, ls="--",
                  label=rf"$1/(1-\beta_2^t)$, $\beta_2$={b:g}")
    left.set_xscale("log")
    left.set_yscale("log")
    left.set_xlabel(_t("axis.step"))
    left.set_ylabel(_t("bias.ylabel"))
    left.set_title(_t("bias.left_title"))
    left.legend(loc="upper right", fontsize=7.5)
    factor = effective_step_factor(t, beta1, beta2)
    right.plot(t, factor, color=PALETTE[0])
    i = int(np.argmin(factor))
    right.plot(t[i], factor[i], "o", color=PALETTE[5])
    right.axvline(t[i], color=PALETTE[5], ls=":", lw=1.2)
    right.annotate(_t("bias.minimum", value=factor[i], step=int(t[i])), (t[i], factor[i]),
                   xytext=(12, -4), textcoords="offset points", color=PALETTE[5])
    right.annotate(_t("bias.at", value=factor[0], step=1), (1, factor[0]), xytext=(6, 6),
                   textcoords="offset points")
    right.annotate(_t("bias.at", value=factor[-1], step=steps), (t[-1], factor[-1]),
                   xytext=(-20, -16),
                   textcoords="offset points", ha="right")
    right.set_xscale("log")
    right.set_ylim(0, 1.08)
    right.set_xlabel(_t("axis.step"))
    right.set_ylabel(r"$\sqrt{1-\beta_2^t}\,/\,(1-\beta_1^t)$")
    right.set_title(_t("bias.right_title", beta1=beta1, beta2=beta2))
    return fig


@_styled
def plot_bias_correction_runs(corrected, uncorrected, title=""):
    r"""The first steps of Adam with and without the 1/(1 − β^t) factors: θ_t and |Δθ_t|/α."""
    _check_histories("plot_bias_correction_runs", [corrected, uncorrected], ("update",))
    _check_title("plot_bias_correction_runs", title)
    fig = _figure(7.5, 3.9)
    left, right = fig.subplots(1, 2)
    for history, color, style in ((corrected, PALETTE[4], "-"), (uncorrected, PALETTE[5], "--")):
        t = np.concatenate([[0], history.t])
        for j in range(history.theta0.size):
            theta = history.path.reshape(len(t), -1)[:, j]
            left.plot(t, theta, color=color, ls=style, marker="o", ms=2.5,
                      label=f"{history.label}" if j == 0 else None)
        lr = np.asarray(history.lr).reshape(len(history), -1)[:, 0]
        step = np.abs(history.update.reshape(len(history), -1)).max(axis=1) / lr
        right.plot(history.t, step, color=color, ls=style, marker="o", ms=2.5, label=history.label)
    left.set_xlabel(_t("axis.step"))
    left.set_ylabel(_t("bias_runs.theta"))
    left.legend(loc="best")
    right.set_ylim(bottom=0)
    right.set_xlabel(_t("axis.step"))
    right.set_ylabel(_t("bias_runs.step"))
    right.legend(loc="best")
    _suptitle(fig, title or _t("bias_runs.title", settings=settings_text(corrected.settings)))
    return fig


# --------------------------------------------------------------------------- paths

def _contour(ax, objective, resolution=240, log=True):
    (x0, x1), (y0, y1) = objective.box
    x, y = np.meshgrid(np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution))
    z = objective.value(np.stack([x, y], axis=-1))
    if log:
        z = np.log10(z - z.min() + 1e-3)
    ax.contourf(x, y, z, levels=24, cmap="Greys", alpha=0.35)
    ax.contour(x, y, z, levels=24, colors="0.45", linewidths=0.4)
    if objective.minimum is not None:
        ax.plot(*objective.minimum, marker="*", ms=13, color=PALETTE[7], mec="black", zorder=5,
                label=_t("legend.minimum"), ls="none")
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_xlabel(r"$\theta_1$")
    ax.set_ylabel(r"$\theta_2$")


@_styled
def plot_paths(objective, histories, title="", log_contours=True):
    """Each run's path θ₀, θ₁, … over the objective's contours (one line per history)."""
    _check_histories("plot_paths", histories, most=4)
    _check_plane("plot_paths", objective, histories)
    _check_title("plot_paths", title)
    fig = _figure(6.4, 5.6)
    ax = fig.subplots()
    _contour(ax, objective, log=log_contours)
    styles = [("-", 3.2), ("--", 1.8), ("-.", 1.8), (":", 2.2)]
    for color, (style, width), history in zip(PALETTE[1:], styles, histories):
        path = history.path
        ax.plot(path[:, 0], path[:, 1], color=color, ls=style, lw=width,
                label=_t("legend.run", label=history.label,
                         settings=settings_text(history.settings)))
        ax.plot(*path[-1], "o", color=color, mec="black", ms=5)
    ax.plot(*histories[0].theta0, "s", color="black", ms=6, label=_t("legend.start"), ls="none")
    ax.legend(loc="lower left", fontsize=7.5)
    text = title or _t("paths.title", objective=describe(objective), steps=len(histories[0]))
    ax.set_title("\n".join(_wrap(part, 80) for part in text.split("\n")), fontsize=9)
    return fig


# --------------------------------------------------------------------------- Reddi et al.

@_styled
def plot_reddi(online, stochastic, limits=(), title="", expected_regret=False):
    r"""Adam vs AMSGrad on Reddi et al.'s problem: x_t and R_t/t, online (top) and stochastic (bottom).

    ``online`` and ``stochastic`` are lists of histories of runs on [−1, 1] with
    a comparator (so they hold the regret); θ may hold several copies (seeds) of
    the problem side by side, drawn as thin lines. ``limits`` gives, per row, a
    ``(value, label)`` drawn as a dotted line on the regret axis.
    ``expected_regret=True`` says that the stochastic histories hold the expected
    regret E[R_t] (as ``reddi_scalar_runs(..., mean_slope=...)`` records it)
    rather than the realised R_t; the panel is labelled E[R_t]/t.
    """
    for name, histories in (("online", online), ("stochastic", stochastic)):
        _check_histories("plot_reddi", histories, most=4, name=name)
    for name, histories in (("online", online), ("stochastic", stochastic)):
        for history in histories:
            if history.regret is None:
                raise ValueError(f"plot_reddi: the {name} history {history.label!r} was recorded "
                                 "without a comparator, so it has no regret")
    if not isinstance(limits, (list, tuple)) or len(limits) > 2 or not all(
            isinstance(limit, (list, tuple)) and len(limit) == 2 for limit in limits):
        raise TypeError("plot_reddi: limits must be up to 2 (value, label) pairs, one per row, "
                        f"got {limits!r}")
    _check_title("plot_reddi", title)
    fig = _figure(8.5, 6.0)
    axes = fig.subplots(2, 2, sharex="row")
    for row, (histories, name) in enumerate(((online, "online"), (stochastic, "stochastic"))):
        left, right = axes[row]
        for color, history in zip(PALETTE[4:], histories):
            x = history.theta.reshape(len(history), -1)
            regret = history.average_regret.reshape(len(history), -1)
            width = 1.6 if x.shape[1] == 1 else 0.9
            for j in range(x.shape[1]):
                label = history.label if j == 0 else None
                left.plot(history.t, x[:, j], color=color, lw=width, label=label)
                right.plot(history.t, regret[:, j], color=color, lw=width, label=label)
        left.axhline(-1, color="black", ls=":", lw=1)
        left.set_ylim(-1.1, 1.1)
        left.set_ylabel(_t("reddi.row", quantity="$x_t$", row=_t(f"reddi.{name}")))
        if row < len(limits):
            value, label = limits[row]
            right.axhline(value, color="black", ls=":", lw=1, label=label)
        average = r"$R_t/t$"
        if row == 0:
            right.set_yscale("log")
        elif expected_regret:  # 0 ≤ E[R_t]/t ≤ 2·E[c]: each term E[c]·(x − x*) is at most 2·E[c]
            average = r"$\mathrm{E}[R_t]/t$"
            right.set_ylim(0, 1.1 * right.get_ylim()[1])
        else:  # a realised regret can be negative: the draws may favour another x
            right.set_ylim(-0.3, 1.5)
        right.set_ylabel(_t("reddi.row", quantity=average, row=_t(f"reddi.{name}")))
        for ax in (left, right):
            ax.set_xscale("log")
            ax.set_xlabel(_t("axis.step"))
            ax.legend(loc="best")
    axes[0, 0].annotate(r"$x^* = -1$", (axes[0, 0].get_xlim()[0], -1), xytext=(4, 4),
                        textcoords="offset points", fontsize=8.5)
    _suptitle(fig, title or _t("reddi.title"))
    return fig


# --------------------------------------------------------------------------- weight decay

@_styled
def plot_weight_decay(histories, targets=(), title=""):
    r"""θ_t per coordinate for each run (one panel per coordinate); ``targets`` are
    ``(label, point)`` pairs drawn as dotted lines."""
    _check_histories("plot_weight_decay", histories, most=len(PALETTE) - 1)
    d = histories[0].theta0.size
    if any(history.theta0.size != d for history in histories):
        raise ValueError("plot_weight_decay: the histories have thetas of different sizes "
                         f"{[history.theta0.size for history in histories]}")
    if not isinstance(targets, (list, tuple)) or len(targets) > 2 or not all(
            isinstance(target, (list, tuple)) and len(target) == 2
            and np.size(target[1]) == d for target in targets):
        raise ValueError(f"plot_weight_decay: targets must be up to 2 (label, point) pairs, each "
                         f"point with {d} coordinates, got {targets!r}")
    _check_title("plot_weight_decay", title)
    fig = _figure(8.0, 3.9)
    axes = np.atleast_1d(fig.subplots(1, d, sharex=True))
    for j, ax in enumerate(axes):
        for color, history in zip(PALETTE[1:], histories):
            ax.plot(history.t, history.theta.reshape(len(history), -1)[:, j], color=color,
                    label=f"{history.label}")
        for style, (label, point) in zip((":", "-."), targets):
            ax.axhline(np.ravel(point)[j], color="black", ls=style, lw=1, label=label)
        ax.set_xlabel(_t("axis.step"))
        ax.set_ylabel(rf"$\theta_{{{j + 1}}}$")
        ax.legend(loc="best")
    _suptitle(fig, title or _t("weight_decay.title"))
    return fig


# --------------------------------------------------------------------------- sweeps

@_styled
def plot_sweeps(panels, title=""):
    r"""One panel per hyperparameter: the loss of K runs advanced together.

    ``panels`` is a list of ``(history, symbol, values, fixed, objective)``: the
    history of a run whose θ has shape (K, d) (one row per setting), the swept
    symbol in mathtext, its K values, a text naming the settings held fixed, and
    the objective; the curves are f(θ_t) without noise (``objective.value(θ_t)``).
    """
    if not isinstance(panels, (list, tuple)) or not all(
            isinstance(panel, tuple) and len(panel) == 5 for panel in panels):
        raise TypeError("plot_sweeps needs a list of (history, symbol, values, fixed, objective)")
    _check_histories("plot_sweeps", [panel[0] for panel in panels], name="panels")
    for i, (history, _, values, _, objective) in enumerate(panels):
        _check_objective("plot_sweeps", objective, "value")
        k = len(values) if isinstance(values, (list, tuple, np.ndarray)) else -1
        if not 1 <= k <= len(PALETTE) or np.ndim(history.theta) != 3 or \
                np.shape(history.theta)[1] != k:
            raise ValueError(f"plot_sweeps: panel {i} needs 1 to {len(PALETTE)} values and a "
                             f"history whose theta has shape (steps, K, d) with K = the number "
                             f"of values; got {k if k >= 0 else values!r} values and theta of "
                             f"shape {np.shape(history.theta)}")
    _check_title("plot_sweeps", title)
    fig = _figure(3.4 * len(panels), 3.9)
    axes = np.atleast_1d(fig.subplots(1, len(panels)))
    for ax, (history, symbol, values, fixed, objective) in zip(axes, panels):
        loss = objective.value(history.theta).reshape(len(history), len(values))
        for color, value, column in zip(PALETTE, values, loss.T):
            label = f"{symbol} = {value:g}"
            if not np.all(np.isfinite(column)):  # its line stops where the run overflowed
                label += f" ({_t('legend.diverged')})"
            ax.plot(history.t, column, color=color, label=label)
        ax.set_yscale("log")
        ax.set_xlabel(_t("axis.step"))
        ax.set_title(f"{_t('sweeps.panel', symbol=symbol)}\n{_wrap(fixed, 46)}", fontsize=8.5)
        ax.set_ylabel(_t("axis.loss_f"))
        ax.legend(loc="lower left")
    _suptitle(fig, title or _t("sweeps.title"))
    return fig


# --------------------------------------------------------------------------- schedules

@_styled
def plot_schedules(histories, objective=None, title=""):
    r"""The learning rate (top) and the loss (bottom) of runs that differ only in their schedule.

    With ``objective``, the loss drawn is f(θ_t) without noise; otherwise the recorded ℓ_t.
    """
    _check_histories("plot_schedules", histories, most=len(PALETTE))
    if objective is not None:
        _check_objective("plot_schedules", objective, "value")
    _check_title("plot_schedules", title)
    fig = _figure(8.0, 6.0)
    top, bottom = fig.subplots(2, 1, sharex=True)
    for color, history in zip(PALETTE, histories):
        top.plot(history.t, history.lr, color=color, label=history.label)
        loss = history.loss if objective is None else objective.value(history.theta)
        bottom.plot(history.t, loss, color=color, label=history.label)
    top.set_ylabel(_t("schedules.lr"))
    fig.legend(*top.get_legend_handles_labels(), loc="outside lower center", ncol=2)
    bottom.set_yscale("log")
    bottom.set_xlabel(_t("axis.step"))
    bottom.set_ylabel(_t("axis.loss_f" if objective is not None else "axis.loss_l"))
    _suptitle(fig, title or _t("schedules.title"))
    return fig


# --------------------------------------------------------------------------- sparse gradients

@_styled
def plot_sparse(histories, objective, title=""):
    r"""|θ_{t,i} − θ*_i| for each coordinate i (one panel each), rare coordinates to the right."""
    _check_histories("plot_sparse", histories, most=len(PALETTE) - 1)
    _check_objective("plot_sparse", objective, "probabilities", "minimum", "curvatures")
    p = objective.probabilities
    for history in histories:
        if np.shape(history.theta0) != (p.size,):
            raise ValueError(f"plot_sparse: the history {history.label!r} has theta of shape "
                             f"{np.shape(history.theta0)}, the objective has {p.size} coordinates")
    _check_title("plot_sparse", title)
    fig = _figure(3.0 * p.size, 3.7)
    axes = np.atleast_1d(fig.subplots(1, p.size, sharey=True))
    for i, ax in enumerate(axes):
        for color, history in zip(PALETTE[4:] + PALETTE[1:4], histories):
            error = np.abs(history.theta[:, i] - objective.minimum[i])
            ax.plot(history.t, error, color=color, label=f"{history.label}")
        ax.set_yscale("log")
        ax.set_xlabel(_t("axis.step"))
        ax.set_title(_t("sparse.panel", i=i + 1, p=p[i], h=objective.curvatures[i]), fontsize=9)
    axes[-1].legend(loc="lower left")
    for i, ax in enumerate(axes):
        ax.set_ylabel(rf"$|\theta_{{t,{i + 1}}} - \theta^*_{i + 1}|$")
    _suptitle(fig, title or _t("sparse.title", objective=describe(objective)))
    return fig


# --------------------------------------------------------------------------- ε vs ε̂

@_styled
def plot_eps_forms(algorithm1, eps_hat, title=""):
    r"""Algorithm 1's ε vs the ε̂ form: both trajectories, and their gap on a log axis.

    The step where the relative gap first exceeds 1 % is marked.
    """
    _check_histories("plot_eps_forms", [algorithm1, eps_hat])
    if not np.array_equal(algorithm1.t, eps_hat.t):
        raise ValueError("plot_eps_forms: algorithm1 and eps_hat must keep the same steps, got "
                         f"{len(algorithm1)} and {len(eps_hat)} kept steps")
    _check_title("plot_eps_forms", title)
    fig = _figure(8.0, 3.9)
    left, right = fig.subplots(1, 2)
    for history, color, style in ((algorithm1, PALETTE[4], "-"), (eps_hat, PALETTE[5], "--")):
        left.plot(history.t, np.abs(history.theta.reshape(len(history), -1)[:, 0]), color=color,
                  ls=style, label=history.label)
    a = algorithm1.theta.reshape(len(algorithm1), -1)[:, 0]
    b = eps_hat.theta.reshape(len(eps_hat), -1)[:, 0]
    gap = np.abs(a - b) / np.maximum(np.abs(a), np.abs(b))
    right.plot(algorithm1.t, gap, color=PALETTE[0])
    parted = np.flatnonzero(gap > 0.01)
    if parted.size:
        t_part = algorithm1.t[parted[0]]
        for ax in (left, right):
            ax.axvline(t_part, color=PALETTE[1], ls=":", lw=1.2)
        right.annotate(_t("eps.gap_from", step=t_part), (t_part, gap[parted[0]]), xytext=(10, -16),
                       textcoords="offset points", color=PALETTE[1])
    left.set_yscale("log")
    left.set_xlabel(_t("axis.step"))
    left.set_ylabel(r"$|\theta_t|$")
    left.legend(loc="lower left")
    right.set_yscale("log")
    right.set_xlabel(_t("axis.step"))
    right.set_ylabel(_t("eps.gap"))
    _suptitle(fig, title or _t("eps.title"))
    return fig


# --------------------------------------------------------------------------- animations
from ._animate import animate_moments, animate_paths, animate_reddi  # noqa: E402 (needs the above)

__all__ += ["animate_paths", "animate_moments", "animate_reddi"]


# --------------------------------------------------------------------------- lesson 9: momentum, fields

def _defaults(plot, **texts):
    """``texts`` with each ``None`` replaced by the current language's ``{plot}.{name}``."""
    return {name: _t(f"{plot}.{name}") if text is None else text for name, text in texts.items()}


def _check_text(plot, **texts):
    for name, text in texts.items():
        if not isinstance(text, str):
            raise TypeError(f"{plot}: {name} must be a str, got {type(text).__name__}")


def momentum_rate(alpha_lambda, beta):
    r"""The convergence rate of heavy-ball momentum on one eigen-direction of a quadratic.

    SGD with momentum β and step α (``sgd_step``: b_t = β·b_{t−1} + g_t,
    θ_t = θ_{t−1} − α·b_t) on f = ½·λ·x² maps (b_{t−1}, x_{t−1}) to (b_t, x_t) by
    R = [[β, λ], [−α·β, 1 − α·λ]]; the rate is the spectral radius max |σ(R)|,
    the larger root of σ² − (1 + β − α·λ)·σ + β = 0. Arrays broadcast.
    """
    try:
        s = np.asarray(alpha_lambda, dtype=float)
        b = np.asarray(beta, dtype=float)
    except (TypeError, ValueError):
        raise TypeError("momentum_rate: alpha_lambda and beta must be numbers or arrays of "
                        f"numbers, got {alpha_lambda!r} and {beta!r}") from None
    if not (np.all(s >= 0) and np.all((b >= 0) & (b < 1))):  # NaN fails too
        raise ValueError("momentum_rate: alpha_lambda must be >= 0 and beta in [0, 1)")
    trace = 1 + b - s
    root = np.sqrt((trace ** 2 - 4 * b).astype(complex))
    return np.maximum(np.abs((trace + root) / 2), np.abs((trace - root) / 2))


@_styled
def plot_momentum_region(marks=(), x_max=4.2, resolution=301, log_x=False, x_min=1e-3,
                         title=None, xlabel=None, ylabel=None, colorbar_label=None,
                         boundary_label=None, critical_label=None, complex_label=None,
                         mark_label=None):
    r"""The rate of momentum over the (αλ, β) plane, with the convergence boundary and
    the critical-damping curves; ``marks`` are ``(alpha_lambda, beta, label)`` points, each
    named in the legend by ``mark_label`` (a format string with ``label`` and ``rate``).
    Every text left as ``None`` is the current language's (see :func:`use_language`).
    ``log_x=True`` draws αλ on a log axis from ``x_min``, so that small αλ (the flat
    directions of an ill-conditioned problem) can be told apart."""
    _check_count("plot_momentum_region", "resolution", resolution)
    if isinstance(x_max, (bool, np.bool_)) or not isinstance(x_max, (int, float, np.integer,
                                                                     np.floating)) \
            or not 0 < x_max < np.inf:
        raise ValueError(f"plot_momentum_region: x_max must be a positive number, got {x_max!r}")
    if not isinstance(marks, (list, tuple)) or not all(
            isinstance(mark, (list, tuple)) and len(mark) == 3 for mark in marks) \
            or len(marks) > len(PALETTE) - 1:
        raise TypeError("plot_momentum_region: marks must be up to 7 (alpha_lambda, beta, label) "
                        f"triples, got {marks!r}")
    texts = _defaults("momentum_region", title=title, xlabel=xlabel, ylabel=ylabel,
                      colorbar_label=colorbar_label, boundary_label=boundary_label,
                      critical_label=critical_label, complex_label=complex_label,
                      mark_label=mark_label)
    _check_text("plot_momentum_region", **texts)
    title, xlabel, ylabel, colorbar_label, boundary_label, critical_label, complex_label, \
        mark_label = texts.values()
    if log_x and not (isinstance(x_min, (int, float, np.integer, np.floating))
                      and not isinstance(x_min, (bool, np.bool_)) and 0 < x_min < x_max):
        raise ValueError(f"plot_momentum_region: x_min must be a number in (0, x_max), got {x_min!r}")
    s = np.geomspace(x_min, x_max, resolution) if log_x else np.linspace(0, x_max, resolution)
    b = np.linspace(0, 0.999, resolution)
    S, B = np.meshgrid(s, b)
    rate = momentum_rate(S, B)
    fig = _figure(6.8, 5.4 + 0.15 * len(marks))
    ax = fig.subplots()
    image = ax.pcolormesh(S, B, np.minimum(rate, 1.0), cmap="viridis", vmin=0, vmax=1,
                          shading="auto", rasterized=True)
    fig.colorbar(image, ax=ax, label=colorbar_label)
    ax.plot(2 * (1 + b), b, color=PALETTE[5], lw=2.2, label=boundary_label)
    for sign in (-1, 1):
        ax.plot((1 + sign * np.sqrt(b)) ** 2, b, color=PALETTE[6], ls="--", lw=1.8,
                label=critical_label if sign < 0 else None)
    ax.text(0.5 if log_x else 1.0, 0.62, complex_label, color="white", ha="center", fontsize=8.5)
    for color, (x, y, label) in zip(PALETTE[1:], marks):
        ax.plot(x, y, "o", color=color, mec="black", ms=7, ls="none",
                label=mark_label.format(label=label, rate=float(momentum_rate(x, y))))
    ax.set_xlim(x_min if log_x else 0, x_max)
    if log_x:
        ax.set_xscale("log")
    ax.set_ylim(0, 1)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    fig.legend(*ax.get_legend_handles_labels(), loc="outside lower center", ncol=2, fontsize=7.5)
    ax.set_title("\n".join(_wrap(part, 80) for part in title.split("\n")), fontsize=9)
    return fig


# --------------------------------------------------------------------------- warm-up and RAdam

def _check_steps_axis(plot, t):
    """``t``: a 1-D array of finite step numbers, at least one."""
    try:
        t = np.asarray(t, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"{plot}: t must be an array of steps, got {t!r}") from None
    if t.ndim != 1 or t.size == 0 or not np.all(np.isfinite(t)):
        raise ValueError(f"{plot}: t must be a non-empty 1-D array of finite steps, "
                         f"got shape {t.shape}")
    return t


def _check_curves(plot, name, curves, size, most=len(PALETTE)):
    """``curves``: a dict of label → array of ``size`` values, or (rows, ``size``) values."""
    if not isinstance(curves, dict):
        raise TypeError(f"{plot}: {name} must be a dict of label -> array, "
                        f"got {type(curves).__name__}")
    if not 1 <= len(curves) <= most:
        raise ValueError(f"{plot}: {name} must hold 1 to {most} curves, got {len(curves)}")
    checked = {}
    for label, values in curves.items():
        if not isinstance(label, str):
            raise TypeError(f"{plot}: the labels of {name} must be str, got {label!r}")
        try:
            values = np.asarray(values, dtype=float)
        except (TypeError, ValueError):
            raise TypeError(f"{plot}: {name}[{label!r}] must be an array of numbers") from None
        if values.ndim not in (1, 2) or values.shape[-1] != size or values.size == 0:
            raise ValueError(f"{plot}: {name}[{label!r}] must have {size} values per row "
                             f"(one per step), got shape {values.shape}")
        checked[label] = np.atleast_2d(values)
    return checked


@_styled
def plot_adaptive_lr_variance(t, measured, models, threshold=None, title=None, xlabel=None,
                              ylabel=None, measured_label=None, threshold_label=None):
    r"""The measured variance of the adaptive step ψ_t (markers) against models of it (lines).

    ``measured`` holds one value per step of ``t``; ``models`` maps a label to one value per
    step (NaN where the model says nothing, e.g. where it is infinite). With ``threshold``
    (a step) a dotted line marks it. Both axes are logarithmic. Every text left as ``None``
    (or an empty title) is the current language's.
    """
    title, xlabel, ylabel, measured_label, threshold_label = _defaults(
        "adaptive_lr_variance", title=None if title == "" else title, xlabel=xlabel, ylabel=ylabel,
        measured_label=measured_label, threshold_label=threshold_label).values()
    t = _check_steps_axis("plot_adaptive_lr_variance", t)
    (measured,) = _check_curves("plot_adaptive_lr_variance", "measured",
                                {measured_label: measured}, t.size, most=1).values()
    models = _check_curves("plot_adaptive_lr_variance", "models", models, t.size,
                           most=len(PALETTE) - 1)
    if threshold is not None and not (isinstance(threshold, (int, float, np.integer, np.floating))
                                      and not isinstance(threshold, (bool, np.bool_))
                                      and np.isfinite(threshold)):
        raise TypeError(f"plot_adaptive_lr_variance: threshold must be a step or None, "
                        f"got {threshold!r}")
    _check_text("plot_adaptive_lr_variance", title=title, xlabel=xlabel, ylabel=ylabel,
                measured_label=measured_label, threshold_label=threshold_label)
    fig = _figure(7.0, 4.2)
    ax = fig.subplots()
    ax.plot(t, measured[0], "o", color=PALETTE[0], ms=3.5, label=measured_label)
    for color, style, (label, values) in zip(PALETTE[4:] + PALETTE[1:4], ("-", "--", "-.", ":"),
                                             models.items()):
        ax.plot(t, values[0], color=color, ls=style, label=label)
    if threshold is not None:
        ax.axvline(threshold, color=PALETTE[1], ls=":", lw=1.2, label=threshold_label)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend(loc="upper right")
    _suptitle(fig, title)
    return fig


# --------------------------------------------------------------------------- real data

@_styled
def plot_digits(images, labels, columns=10, title=None, label_format="{}"):
    r"""Small images in a grid, each titled by ``label_format.format(label)``; ``title``
    (``None``: the current language's) above them.

    ``images`` is (n, 64) or (n, 8, 8) (any square size); pixels are drawn dark on
    light, 0 white, the largest value black.
    """
    images = np.asarray(images, dtype=float)
    labels = np.asarray(labels)
    if images.ndim == 2:
        side = int(round(np.sqrt(images.shape[1])))
        if side * side != images.shape[1]:
            raise ValueError(f"plot_digits: images of shape (n, p) need a square p, got "
                             f"{images.shape}")
        images = images.reshape(len(images), side, side)
    if images.ndim != 3 or len(images) == 0 or images.shape[1] != images.shape[2]:
        raise ValueError(f"plot_digits: images must have shape (n, p) or (n, s, s) with n >= 1, "
                         f"got {images.shape}")
    if labels.shape != (len(images),):
        raise ValueError(f"plot_digits: labels must have shape ({len(images)},), one per "
                         f"image, got {labels.shape}")
    if not np.all(np.isfinite(images)):
        raise ValueError("plot_digits: images hold NaN or inf")
    _check_count("plot_digits", "columns", columns)
    (title,) = _defaults("digits", title=title).values()
    _check_text("plot_digits", title=title, label_format=label_format)
    rows = -(-len(images) // columns)
    columns = min(columns, len(images))
    fig = _figure(0.75 * columns + 0.2, 0.85 * rows + 0.5)
    axes = np.atleast_1d(fig.subplots(rows, columns, squeeze=False)).ravel()
    top = max(float(images.max()), 1e-12)
    for ax in axes:
        ax.set_axis_off()
    for ax, image, label in zip(axes, images, labels):
        ax.imshow(image, cmap="gray_r", vmin=0, vmax=top, interpolation="nearest")
        ax.set_title(label_format.format(label), fontsize=9)
    _suptitle(fig, title)
    return fig


@_styled
def plot_fields(histories, fields, coordinate=0, labels=None, log=(), title=None,
                xlabel=None):
    r"""Trace fields per step, one panel per field, one line per history.

    ``fields`` names 1 to 4 trace fields (``"denom"``, ``"b"``, ``"mu_t"``, ...);
    a history without a field is left out of that panel. ``labels`` maps a field to
    its axis label (the field's name otherwise); fields in ``log`` get a log axis
    (of the absolute value). Scalar fields (``mu_t``, ``clr``) are drawn as they are;
    array fields at ``coordinate``. Without a ``title`` (``None`` or empty) the labels make
    one; ``xlabel=None`` is the current language's.
    """
    (xlabel,) = _defaults("fields", xlabel=xlabel).values()
    _check_histories("plot_fields", histories, most=len(PALETTE))
    if isinstance(fields, str) or not isinstance(fields, (list, tuple)) \
            or not 1 <= len(fields) <= 4 or not all(isinstance(f, str) for f in fields):
        raise TypeError(f"plot_fields: fields must be a list of 1 to 4 field names, got {fields!r}")
    labels = {} if labels is None else labels
    if not isinstance(labels, dict) or not all(isinstance(v, str) for v in labels.values()):
        raise TypeError(f"plot_fields: labels must map field names to texts, got {labels!r}")
    if isinstance(log, str) or not isinstance(log, (list, tuple)):
        raise TypeError(f"plot_fields: log must be a list of field names, got {log!r}")
    _check_text("plot_fields", title="" if title is None else title, xlabel=xlabel)
    for field in fields:
        if not any(field in h.trace for h in histories):
            raise ValueError(f"plot_fields: no history holds the trace field {field!r}; they hold "
                             f"{', '.join(sorted({f for h in histories for f in h.trace}))}")
    for history in histories:
        _check_coordinate("plot_fields", history, coordinate)
    fig = _figure(7.0, 1.2 + 1.9 * len(fields))
    axes = np.atleast_1d(fig.subplots(len(fields), 1, sharex=True))
    styles = ["-", "--", "-.", ":"]
    for ax, field in zip(axes, fields):
        for i, (color, history) in enumerate(zip(PALETTE, histories)):
            if field not in history.trace or history.trace[field] is None:
                continue
            values = np.asarray(history.trace[field], dtype=float)
            if values.ndim > 1:
                values = values.reshape(len(history), -1)[:, coordinate]
            if field in log:
                values = np.abs(values)
            ax.plot(history.t, values, color=color, ls=styles[i % 4], label=history.label)
        if field in log:
            ax.set_yscale("log")
        ax.set_ylabel(labels.get(field, field))
        ax.legend(loc="best", fontsize=7.5)
    axes[-1].set_xlabel(xlabel)
    _suptitle(fig, title or _t("fields.separator").join(labels.get(f, f) for f in fields))
    return fig


__all__ += ["momentum_rate", "plot_momentum_region", "plot_fields"]


@_styled
def plot_seed_bands(t, curves, title=None, xlabel=None, ylabel="", log=False, xlog=False,
                    spread=(0.0, 1.0), band_note=None):
    r"""For each label, the mean over seeds of a per-step quantity and its spread.

    ``curves`` maps a label to an array of shape (steps,) — one line — or (seeds, steps).
    The band runs from the ``spread[0]`` to the ``spread[1]`` quantile over seeds at each
    step (default: lowest to highest seed; say so in ``band_note`` when changing it).
    ``log`` and ``xlog`` put the y and x axes on a log scale. ``band_note`` is written
    under the title when some curve has more than one seed. Every text left as ``None``
    (or an empty title) is the current language's.
    """
    title, xlabel, band_note = _defaults("seed_bands", title=None if title == "" else title,
                                         xlabel=xlabel, band_note=band_note).values()
    t = _check_steps_axis("plot_seed_bands", t)
    curves = _check_curves("plot_seed_bands", "curves", curves, t.size)
    for name, flag in (("log", log), ("xlog", xlog)):
        if not isinstance(flag, (bool, np.bool_)):
            raise TypeError(f"plot_seed_bands: {name} must be True or False, got {flag!r}")
    try:
        low, high = (float(q) for q in spread)
    except (TypeError, ValueError):
        raise TypeError(f"plot_seed_bands: spread must be a pair of quantiles, "
                        f"got {spread!r}") from None
    if not 0 <= low < high <= 1:  # NaN fails too
        raise ValueError(f"plot_seed_bands: spread must be quantiles 0 <= low < high <= 1, "
                         f"got {spread!r}")
    _check_text("plot_seed_bands", title=title, xlabel=xlabel, ylabel=ylabel, band_note=band_note)
    fig = _figure(7.5, 4.2)
    ax = fig.subplots()
    for color, (label, rows) in zip(PALETTE, curves.items()):
        ax.plot(t, rows.mean(axis=0), color=color, label=label)
        if rows.shape[0] > 1:
            ax.fill_between(t, np.quantile(rows, low, axis=0), np.quantile(rows, high, axis=0),
                            color=color, alpha=0.18, lw=0)
    if log:
        ax.set_yscale("log")
    if xlog:
        ax.set_xscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend(loc="best")
    several = any(rows.shape[0] > 1 for rows in curves.values())
    _suptitle(fig, title + ("\n" + band_note if several else ""))
    return fig


__all__ += ["plot_adaptive_lr_variance", "plot_seed_bands"]


@_styled
def plot_seed_runs(results, title=None, xlabel=None, loss_label=None, accuracy_label=None,
                   band_label=None, mean_label=None):
    r"""One row per model: the training loss per epoch (left), the held-out accuracy (right).

    ``results`` maps a model's name to ``{optimizer label: (losses, accuracies)}``, with
    ``losses`` of shape (seeds, epochs) and ``accuracies`` of shape (seeds,). The loss
    panel draws the mean over seeds with a band from the lowest to the highest seed;
    the accuracy panel draws every seed as a dot and the mean ± standard deviation as
    a bar. An optimizer keeps its colour in every row. Every text left as ``None`` is the
    current language's.
    """
    if not isinstance(results, dict) or not results:
        raise TypeError("plot_seed_runs needs a non-empty dict {model: {optimizer: (losses, "
                        "accuracies)}}")
    names = []
    for model, runs in results.items():
        if not isinstance(runs, dict) or not 1 <= len(runs) <= len(PALETTE) - 1:
            raise ValueError(f"plot_seed_runs: results[{model!r}] must be a dict of 1 to "
                             f"{len(PALETTE) - 1} optimizers, got {runs!r:.60}")
        for label, pair in runs.items():
            if not isinstance(pair, tuple) or len(pair) != 2:
                raise TypeError(f"plot_seed_runs: results[{model!r}][{label!r}] must be a pair "
                                "(losses, accuracies)")
            losses, accuracies = np.asarray(pair[0], dtype=float), np.asarray(pair[1], dtype=float)
            if losses.ndim != 2 or losses.size == 0 or accuracies.shape != (len(losses),):
                raise ValueError(f"plot_seed_runs: results[{model!r}][{label!r}] needs losses of "
                                 f"shape (seeds, epochs) and accuracies of shape (seeds,), got "
                                 f"{losses.shape} and {accuracies.shape}")
            if label not in names:
                names.append(label)
    if len(names) > len(PALETTE) - 1:
        raise ValueError(f"plot_seed_runs draws at most {len(PALETTE) - 1} optimizers, "
                         f"got {len(names)}")
    texts = _defaults("seed_runs", title=title, xlabel=xlabel, loss_label=loss_label,
                      accuracy_label=accuracy_label, band_label=band_label, mean_label=mean_label)
    _check_text("plot_seed_runs", **texts)
    title, xlabel, loss_label, accuracy_label, band_label, mean_label = texts.values()
    colors = dict(zip(names, PALETTE[:7]))
    fig = _figure(9.0, 3.4 * len(results) + 0.6)
    fig.get_layout_engine().set(h_pad=0.09, w_pad=0.08)  # room between the rows and the panels
    axes = np.atleast_2d(fig.subplots(len(results), 2, squeeze=False,
                                      gridspec_kw={"width_ratios": [1.6, 1]}))
    for (left, right), (model, runs) in zip(axes, results.items()):
        for i, (label, (losses, accuracies)) in enumerate(runs.items()):
            losses, accuracies = np.asarray(losses, dtype=float), np.asarray(accuracies, float)
            epochs = np.arange(1, losses.shape[1] + 1)
            color = colors[label]
            left.plot(epochs, losses.mean(axis=0), color=color, label=label)
            left.fill_between(epochs, losses.min(axis=0), losses.max(axis=0), color=color,
                              alpha=0.18, lw=0)
            x = i - 0.14 + np.linspace(-0.1, 0.1, len(accuracies)) if len(accuracies) > 1 \
                else np.array([i - 0.14])
            right.plot(x, accuracies, "o", color=color, ms=4, alpha=0.7)
            spread = accuracies.std(ddof=1) if len(accuracies) > 1 else 0.0
            right.errorbar([i + 0.14], [accuracies.mean()], yerr=[spread], fmt="s", color=color,
                           ms=6, capsize=4)
        left.set_yscale("log")
        left.set_xlabel(xlabel)
        left.set_ylabel(loss_label)
        left.set_title(f"{_wrap(model, 60)}\n{band_label}", fontsize=9)
        left.legend(loc="upper right")
        right.set_xticks(range(len(runs)), list(runs), rotation=20)
        right.set_xlim(-0.5, len(runs) - 0.5)
        right.set_ylabel(accuracy_label)
        right.set_title(_wrap(mean_label, 36), fontsize=9)
    _suptitle(fig, title)
    return fig


__all__ += ["plot_digits", "plot_seed_runs"]
