r"""Animated teaching figures: optimizer paths, moments filling in, Reddi's x_t.

Each ``animate_*`` function takes the same histories as its still counterpart in
:mod:`.plots` and returns a :class:`BlitAnimation`, a
:class:`matplotlib.animation.FuncAnimation` whose static parts (contours, axes,
legend) are drawn once and whose moving parts are a few artists updated per
frame. In a notebook, ``IPython.display.HTML(anim.to_jshtml())`` plays it;
:meth:`BlitAnimation.save_gif` writes a GIF by blitting: the background is
rendered once, then each frame restores it and draws only the moving artists.

The output depends only on the histories and the arguments: the same call gives
the same frames, and ``save_gif`` the same bytes (no timestamps, one fixed
palette, no dithering).
"""

import io
import numbers

import matplotlib
import numpy as np
from matplotlib.animation import FuncAnimation
from matplotlib.backends.backend_agg import FigureCanvasAgg

from .plots import (PALETTE, _check_histories, _contour, _figure, _styled, _suptitle, _t, _wrap,
                    describe, settings_text, style)

__all__ = ["BlitAnimation", "animate_paths", "animate_moments", "animate_reddi"]

#: the GIF's frame rate, and how long its last frame stays before the loop starts again
FPS = 15
HOLD_MS = 1500


class BlitAnimation(FuncAnimation):
    """A :class:`~matplotlib.animation.FuncAnimation` that knows its moving artists.

    ``update(k)`` sets the artists for frame ``k`` (0 ≤ k < ``frame_count``) and
    returns them. Saving (``save``, ``to_jshtml``, ``to_html5_video``) renders
    inside the package's style, like the still figures.
    """

    def __init__(self, fig, update, frame_count, artists, *, fps=FPS):
        self.frame_count, self.artists, self.fps, self._update = frame_count, artists, fps, update
        self._style = style()  # the style (and the language's font) it was built in
        # lay the figure out once and keep it: constrained layout moves the axes by a fraction
        # of a pixel on every draw, which would make a second save differ from the first
        with matplotlib.rc_context(self._style):
            fig.draw_without_rendering()
        fig.set_layout_engine("none")
        super().__init__(fig, update, frames=frame_count, init_func=lambda: update(0),
                         interval=1000 / fps, blit=True, repeat=True)

    def show_frame(self, k):
        """Set the moving artists to frame ``k`` (0 ≤ k < ``frame_count``); return them."""
        if isinstance(k, bool) or not isinstance(k, numbers.Integral) \
                or not 0 <= k < self.frame_count:
            raise ValueError(f"frame must be a whole number from 0 to {self.frame_count - 1}, "
                             f"got {k!r}")
        return self._update(int(k))

    def save(self, *args, **kwargs):
        with matplotlib.rc_context(self._style):
            return super().save(*args, **kwargs)

    def frames_rgb(self):
        """Yield each frame as an ``(height, width, 3)`` uint8 array, by blitting."""
        with matplotlib.rc_context(self._style):
            canvas = FigureCanvasAgg(self._fig)
            for artist in self.artists:
                artist.set_animated(True)  # left out of the full draw below
            canvas.draw()  # the static background, once
            background = canvas.copy_from_bbox(self._fig.bbox)
            for k in range(self.frame_count):
                canvas.restore_region(background)
                for artist in self._update(k):
                    self._fig.draw_artist(artist)
                yield np.asarray(canvas.buffer_rgba())[..., :3].copy()

    def save_gif(self, path, colors=128):
        """Write the animation to ``path`` (a file name or a binary file) as a looping GIF.

        Every frame is mapped to one palette of at most ``colors`` − 1 colours,
        taken from the last (fullest) frame, without dithering; after the first
        frame, the pixels that did not change are written as transparent, so the
        static background is stored once. The bytes are the same on every run.
        """
        data = self.gif_bytes(colors)  # checks colors before a file is opened
        if isinstance(path, (str, bytes)) or hasattr(path, "__fspath__"):
            with open(path, "wb") as file:
                file.write(data)
        else:
            path.write(data)

    def gif_bytes(self, colors=128):
        """The GIF that :meth:`save_gif` writes, as bytes."""
        from PIL import Image

        if isinstance(colors, bool) or not isinstance(colors, numbers.Integral) \
                or not 16 <= colors <= 256:
            raise ValueError(f"colors must be a whole number from 16 to 256, got {colors!r}")
        colors = int(colors)

        frames = [Image.fromarray(rgb) for rgb in self.frames_rgb()]
        # the line colours exactly (a small marker would lose its colour in a median cut),
        # then the median cut of the fullest frame for the rest (contours, text, anti-aliasing)
        fixed = [int(c[i:i + 2], 16) for c in PALETTE + ["#FFFFFF"] for i in (1, 3, 5)]
        cut = frames[-1].quantize(colors=colors - 1 - len(fixed) // 3,
                                  method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
        palette = fixed + cut.getpalette()[:3 * (colors - 1 - len(fixed) // 3)]
        clear = len(palette) // 3  # one index past the colours: the transparent one
        reference = Image.new("P", (1, 1))
        reference.putpalette(palette)
        indexed = [np.asarray(frame.quantize(palette=reference, dither=Image.Dither.NONE))
                   for frame in frames]
        images = []
        for k, index in enumerate(indexed):
            if k:
                index = np.where(index == indexed[k - 1], clear, index).astype(np.uint8)
            image = Image.frombytes("P", index.shape[::-1], np.ascontiguousarray(index).tobytes())
            image.putpalette(palette + [255, 255, 255])
            images.append(image)
        step = round(1000 / self.fps)
        buffer = io.BytesIO()
        images[0].save(buffer, format="GIF", save_all=True, append_images=images[1:],
                       duration=[step] * (len(images) - 1) + [HOLD_MS], loop=0,
                       optimize=False, disposal=1, transparency=clear)
        return buffer.getvalue()


def _frame_count(frames, name="frames"):
    if isinstance(frames, bool) or not isinstance(frames, numbers.Integral) or frames < 2:
        raise ValueError(f"{name} must be a whole number of at least 2, got {frames!r}")
    return int(frames)


def _stops(points, frames, spacing):
    """How many of ``points`` kept points each frame shows: from 1 to ``points``,
    non-decreasing, spaced ``"linear"``, ``"quadratic"`` (early steps slower) or
    ``"log"`` (for a log step axis)."""
    s = np.linspace(0.0, 1.0, frames)
    if spacing == "linear":
        stops = 1 + (points - 1) * s
    elif spacing == "quadratic":
        stops = 1 + (points - 1) * s ** 2
    elif spacing == "log":
        stops = points ** s
    else:
        raise ValueError(f"spacing must be 'linear', 'quadratic' or 'log', got {spacing!r}")
    return np.unique(np.clip(np.round(stops).astype(int), 1, points))


def _counter(ax, text_xy=(0.98, 0.97)):
    return ax.text(*text_xy, "", transform=ax.transAxes, ha="right", va="top", fontsize=9,
                   bbox=dict(boxstyle="round,pad=0.25", fc="white", ec="0.6", alpha=0.9),
                   zorder=10)


def _freeze(ax):
    """Keep the limits that the full data gave (so the frames share one background)."""
    ax.set_xlim(ax.get_xlim())
    ax.set_ylim(ax.get_ylim())


# --------------------------------------------------------------------------- paths

@_styled
def animate_paths(objective, histories, *, frames=60, spacing="quadratic", title="",
                  log_contours=True):
    """Each run's path θ₀, θ₁, … growing over the objective's contours, all runs together.

    ``histories`` are runs of the same length from the same start (as for
    :func:`~adam_ref.plots.plot_paths`); frame k shows the first steps up to a
    step that grows with k (``spacing="quadratic"`` lingers on the early steps).
    """
    _check_histories("animate_paths", histories)
    frames = _frame_count(frames)
    lengths = {len(h) for h in histories}
    if len(lengths) != 1:
        raise ValueError(f"animate_paths needs runs of one length, got {sorted(lengths)} steps")
    if any(np.shape(h.theta0) != (2,) for h in histories):
        raise ValueError("animate_paths draws 2-D paths: every history needs theta of shape (2,)")
    paths = [h.path for h in histories]
    steps = np.concatenate([[0], histories[0].t])
    stops = _stops(len(steps), min(frames, len(steps)), spacing)
    fig = _figure(6.4, 5.6)
    ax = fig.subplots()
    _contour(ax, objective, log=log_contours)
    styles = [("-", 3.2), ("--", 1.8), ("-.", 1.8), (":", 2.2)]
    lines, heads = [], []
    for i, (path, history) in enumerate(zip(paths, histories)):
        color = PALETTE[1 + i % (len(PALETTE) - 1)]
        style, width = styles[i % len(styles)]
        lines += ax.plot([], [], color=color, ls=style, lw=width,
                         label=_t("legend.run", label=history.label,
                                  settings=settings_text(history.settings)))
        heads += ax.plot([], [], "o", color=color, mec="black", ms=6, zorder=6)
    ax.plot(*histories[0].theta0, "s", color="black", ms=6, label=_t("legend.start"), ls="none")
    ax.legend(loc="lower left", fontsize=7.5)
    text = title or _t("paths.title", objective=describe(objective), steps=len(histories[0]))
    ax.set_title("\n".join(_wrap(part, 80) for part in text.split("\n")), fontsize=9)
    counter = _counter(ax)
    artists = lines + heads + [counter]

    def update(k):
        n = stops[k]
        for line, head, path in zip(lines, heads, paths):
            line.set_data(path[:n, 0], path[:n, 1])
            head.set_data(path[n - 1:n, 0], path[n - 1:n, 1])
        counter.set_text(f"$t$ = {steps[n - 1]}")
        return artists

    return BlitAnimation(fig, update, len(stops), artists)


# --------------------------------------------------------------------------- moments

@_styled
def animate_moments(history, coordinate=0, *, frames=None, title=""):
    r"""g_t, m_t, m̂_t (top) and g_t², v_t, v̂_t (bottom) of one coordinate, drawn step by step.

    ``frames=None`` gives one frame per kept step; fewer frames skip steps evenly.
    """
    _check_histories("animate_moments", [history], ("g", "m", "v", "m_hat", "v_hat"))
    size = int(np.prod(history.theta0.shape))
    if isinstance(coordinate, bool) or not isinstance(coordinate, numbers.Integral) \
            or not 0 <= coordinate < size:
        raise ValueError(f"coordinate must be a whole number from 0 to {size - 1}, "
                         f"got {coordinate!r}")
    frames = len(history) if frames is None else _frame_count(frames)
    index = (slice(None),) + np.unravel_index(coordinate, history.theta0.shape)
    t = history.t
    g = history.g[index]
    series = [(0, g, dict(color=PALETTE[2], lw=1.0, marker=".", ms=3, label=r"$g_t$")),
              (0, history.m[index], dict(color=PALETTE[1], label=r"$m_t$")),
              (0, history.m_hat[index], dict(color=PALETTE[0], ls="--", label=r"$\hat m_t$")),
              (1, g ** 2, dict(color=PALETTE[2], lw=1.0, marker=".", ms=3, label=r"$g_t^2$")),
              (1, history.v[index], dict(color=PALETTE[5], label=r"$v_t$")),
              (1, history.v_hat[index], dict(color=PALETTE[4], ls="--", label=r"$\hat v_t$"))]
    fig = _figure(7.0, 5.2)
    axes = fig.subplots(2, 1, sharex=True)
    lines = [axes[row].plot(t, values, **style)[0] for row, values, style in series]
    axes[0].set_ylabel(_t("axis.first_moment"))
    axes[1].set_ylabel(_t("axis.second_moment"))
    axes[1].set_xlabel(_t("axis.step"))
    for ax in axes:
        ax.legend(loc="upper right", ncol=3)
        _freeze(ax)
    _suptitle(fig, title or _t("moments.title", label=history.label, coordinate=coordinate,
                               settings=settings_text(history.settings)))
    counter = _counter(axes[0], (0.02, 0.97))
    counter.set_ha("left")
    artists = lines + [counter]
    stops = _stops(len(t), min(frames, len(t)), "linear")

    def update(k):
        n = stops[k]
        for line, (_, values, _) in zip(lines, series):
            line.set_data(t[:n], values[:n])
        counter.set_text(f"$t$ = {t[n - 1]}")
        return artists

    return BlitAnimation(fig, update, len(stops), artists)


# --------------------------------------------------------------------------- Reddi et al.

@_styled
def animate_reddi(histories, *, frames=60, title=""):
    r"""x_t of each run on Reddi et al.'s problem over [−1, 1], drawn step by step on a log t axis.

    ``histories`` are runs with a scalar θ (Adam and AMSGrad, say) of the same length.
    """
    _check_histories("animate_reddi", histories)
    frames = _frame_count(frames)
    lengths = {len(h) for h in histories}
    if len(lengths) != 1:
        raise ValueError(f"animate_reddi needs runs of one length, got {sorted(lengths)} steps")
    if any(h.theta0.size != 1 for h in histories):
        raise ValueError("animate_reddi draws a scalar x_t: every history needs theta of size 1")
    t = histories[0].t
    xs = [h.theta.reshape(len(h)) for h in histories]
    fig = _figure(7.0, 3.6)
    ax = fig.subplots()
    lines, heads = [], []
    for i, (x, history) in enumerate(zip(xs, histories)):
        color = PALETTE[4 + i % 4]
        lines += ax.plot(t, x, color=color, lw=1.6, label=history.label)
        heads += ax.plot([], [], "o", color=color, mec="black", ms=6, zorder=6)
    ax.axhline(-1, color="black", ls=":", lw=1)
    ax.axhline(1, color="0.5", ls=":", lw=1)
    ax.set_xscale("log")
    ax.set_ylim(-1.1, 1.1)
    ax.set_xlabel(_t("axis.step"))
    ax.set_ylabel("$x_t$")
    ax.annotate(r"$x^* = -1$", (t[0], -1), xytext=(4, 4), textcoords="offset points",
                fontsize=8.5)
    ax.legend(loc="center left")
    _freeze(ax)
    ax.set_title("\n".join(_wrap(part, 84) for part in (
        title or _t("reddi.title")).split("\n")), fontsize=9)
    counter = _counter(ax, (0.02, 0.97))
    counter.set_ha("left")
    artists = lines + heads + [counter]
    stops = _stops(len(t), min(frames, len(t)), "log")

    def update(k):
        n = stops[k]
        for line, head, x in zip(lines, heads, xs):
            line.set_data(t[:n], x[:n])
            head.set_data(t[n - 1:n], x[n - 1:n])
        counter.set_text(f"$t$ = {t[n - 1]:,}")
        return artists

    return BlitAnimation(fig, update, len(stops), artists)
