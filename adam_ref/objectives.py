r"""Toy problems with analytic gradients, for experiments and figures.

Every objective has ``value(theta, t=None)``, ``grad(theta, t=None)``, ``name``,
``minimum`` (the argmin, or None) and, for 2-D ones, ``box`` — a plotting box
``((x_min, x_max), (y_min, y_max))``. ``theta`` is a float array whose last axis
holds the coordinates; leading axes are batch axes, so a whole contour grid is
one call. ``repr(objective)`` shows its formula.

Stochastic and online objectives are a *sequence* of functions f_1, f_2, …: the
step ``t`` (1-based) picks f_t, and ``grad(theta, t)`` is exactly ∇f_t(θ). The
randomness of f_t comes from a generator seeded by the objective's seed and t
(for :class:`ReddiStochastic`, t's block of 4096 steps), so a run is reproducible
and f_t does not depend on which other steps were evaluated.
Deterministic objectives accept and ignore ``t``, so one loop serves both.
"""

import numpy as np

from .functional._validate import float_array

__all__ = ["Quadratic", "Rosenbrock", "Beale", "Saddle", "Rastrigin", "Linear", "NoisyQuadratic",
           "SparseQuadratic", "ReddiOnline", "ReddiStochastic", "Stack", "project_interval"]


def _theta(theta, dim=None):
    theta = float_array(theta, "theta")
    if dim is not None and (theta.ndim == 0 or theta.shape[-1] != dim):
        raise ValueError(f"theta must have {dim} coordinates on its last axis, "
                         f"got shape {theta.shape}")
    return theta


def _step(t):
    if t is None:
        raise ValueError("this objective changes with the step: pass t (1, 2, ...)")
    if isinstance(t, (bool, np.bool_)) or not isinstance(t, (int, np.integer)) or t < 1:
        raise ValueError(f"t must be a step number 1, 2, ..., got {t!r}")
    return int(t)


def project_interval(theta, low=-1.0, high=1.0):
    """Π(θ): the Euclidean projection onto the box [low, high] (coordinate-wise clip)."""
    return np.clip(float_array(theta, "theta"), low, high)


# --------------------------------------------------------------------------- deterministic

class Quadratic:
    r"""f(θ) = ½ (θ − θ*)ᵀ A (θ − θ*), A = R diag(h) Rᵀ, R the rotation by ``angle``.

    ``curvatures`` are the eigenvalues h; their ratio is the condition number.
    A nonzero ``angle`` (radians, 2-D only) tilts the valley off the axes, so
    per-coordinate scaling (Adam's √v̂) no longer lines up with it.
    """

    def __init__(self, curvatures=(1.0, 0.01), angle=0.0, center=None, name=None):
        self.curvatures = np.array(curvatures, dtype=float)
        if self.curvatures.ndim != 1 or np.any(self.curvatures <= 0):
            raise ValueError(f"curvatures must be a 1-D list of positive numbers, got {curvatures!r}")
        d = self.curvatures.size
        if angle and d != 2:
            raise ValueError("angle is only defined for 2-D quadratics")
        c, s = np.cos(angle), np.sin(angle)
        rotation = np.array([[c, -s], [s, c]]) if d == 2 else np.eye(d)
        self.angle = float(angle)
        self.A = rotation @ np.diag(self.curvatures) @ rotation.T
        self.minimum = np.zeros(d) if center is None else np.array(center, dtype=float)
        self.name = name or ("rotated quadratic" if angle else "quadratic")
        span = 1.2 * np.max(np.abs(self.minimum)) + 1.5
        self.box = ((self.minimum[0] - span, self.minimum[0] + span),
                    (self.minimum[1] - span, self.minimum[1] + span)) if d == 2 else None

    def value(self, theta, t=None):
        delta = _theta(theta, self.A.shape[0]) - self.minimum
        return 0.5 * np.einsum("...i,ij,...j->...", delta, self.A, delta)

    def grad(self, theta, t=None):
        return (_theta(theta, self.A.shape[0]) - self.minimum) @ self.A  # A is symmetric

    def __repr__(self):
        h = ", ".join(f"{v:g}" for v in self.curvatures)
        tilt = f", rotated by {np.degrees(self.angle):g}°" if self.angle else ""
        return f"{self.name}: f(θ) = ½ (θ − θ*)ᵀ A (θ − θ*), eig(A) = ({h}){tilt}"


class Rosenbrock:
    r"""f(x, y) = (a − x)² + b (y − x²)²; a curved valley with its minimum at (a, a²)."""

    name = "Rosenbrock"
    box = ((-2.0, 2.0), (-1.0, 3.0))

    def __init__(self, a=1.0, b=100.0):
        self.a, self.b = float(a), float(b)
        self.minimum = np.array([self.a, self.a ** 2])

    def value(self, theta, t=None):
        x, y = np.moveaxis(_theta(theta, 2), -1, 0)
        return (self.a - x) ** 2 + self.b * (y - x ** 2) ** 2

    def grad(self, theta, t=None):
        x, y = np.moveaxis(_theta(theta, 2), -1, 0)
        dx = -2 * (self.a - x) - 4 * self.b * x * (y - x ** 2)
        dy = 2 * self.b * (y - x ** 2)
        return np.stack([dx, dy], axis=-1)

    def __repr__(self):
        return f"Rosenbrock: f(x, y) = ({self.a:g} − x)² + {self.b:g}·(y − x²)²"


class Beale:
    r"""f(x, y) = (1.5 − x + xy)² + (2.25 − x + xy²)² + (2.625 − x + xy³)²; minimum (3, 0.5)."""

    name = "Beale"
    box = ((-4.5, 4.5), (-4.5, 4.5))
    minimum = np.array([3.0, 0.5])
    _c = (1.5, 2.25, 2.625)

    def value(self, theta, t=None):
        x, y = np.moveaxis(_theta(theta, 2), -1, 0)
        return sum((c - x + x * y ** k) ** 2 for k, c in enumerate(self._c, start=1))

    def grad(self, theta, t=None):
        x, y = np.moveaxis(_theta(theta, 2), -1, 0)
        dx = dy = 0.0
        for k, c in enumerate(self._c, start=1):
            r = c - x + x * y ** k
            dx = dx + 2 * r * (y ** k - 1)
            dy = dy + 2 * r * k * x * y ** (k - 1)
        return np.stack([dx, dy], axis=-1)

    def __repr__(self):
        return "Beale: f(x, y) = (1.5 − x + xy)² + (2.25 − x + xy²)² + (2.625 − x + xy³)²"


class Saddle:
    r"""f(x, y) = x² − y²: a saddle at the origin, unbounded below along y."""

    name = "saddle"
    box = ((-1.0, 1.0), (-1.0, 1.0))
    minimum = None

    def value(self, theta, t=None):
        x, y = np.moveaxis(_theta(theta, 2), -1, 0)
        return x ** 2 - y ** 2

    def grad(self, theta, t=None):
        x, y = np.moveaxis(_theta(theta, 2), -1, 0)
        return np.stack([2 * x, -2 * y], axis=-1)

    def __repr__(self):
        return "saddle: f(x, y) = x² − y²"


class Rastrigin:
    r"""f(θ) = A·d + Σᵢ (θᵢ² − A cos 2πθᵢ): a bowl covered in local minima; minimum 0."""

    name = "Rastrigin"

    def __init__(self, dim=2, A=10.0):
        self.dim, self.A = int(dim), float(A)
        self.minimum = np.zeros(self.dim)
        self.box = ((-5.12, 5.12), (-5.12, 5.12)) if self.dim == 2 else None

    def value(self, theta, t=None):
        theta = _theta(theta, self.dim)
        return self.A * self.dim + np.sum(theta ** 2 - self.A * np.cos(2 * np.pi * theta), axis=-1)

    def grad(self, theta, t=None):
        theta = _theta(theta, self.dim)
        return 2 * theta + 2 * np.pi * self.A * np.sin(2 * np.pi * theta)

    def __repr__(self):
        return f"Rastrigin: f(θ) = {self.A:g}·{self.dim} + Σᵢ (θᵢ² − {self.A:g}·cos 2πθᵢ)"


class Linear:
    r"""f(θ) = cᵀθ: the gradient is the constant c everywhere (no minimum)."""

    name = "linear"
    minimum = None

    def __init__(self, slope=(1.0,)):
        self.slope = np.array(slope, dtype=float)
        self.box = ((-1.0, 1.0), (-1.0, 1.0)) if self.slope.size == 2 else None

    def value(self, theta, t=None):
        return _theta(theta, self.slope.size) @ self.slope

    def grad(self, theta, t=None):
        return np.broadcast_to(self.slope, _theta(theta, self.slope.size).shape).copy()

    def __repr__(self):
        return "linear: f(θ) = cᵀθ, c = (" + ", ".join(f"{v:g}" for v in self.slope) + ")"


# --------------------------------------------------------------------------- stochastic

class NoisyQuadratic:
    r"""f_t(θ) = ½ Σᵢ hᵢ θᵢ² + σ ξ_tᵀθ, ξ_t ~ N(0, I) drawn from the seed ``(seed, t)``.

    ∇f_t(θ) = h ⊙ θ + σ ξ_t: the exact gradient plus seeded Gaussian noise.
    Without ``t``, ``value`` is the expected loss E[f_t(θ)] = ½ Σᵢ hᵢ θᵢ².
    """

    name = "noisy quadratic"

    def __init__(self, curvatures=(1.0, 0.1), sigma=1.0, seed=0):
        self.curvatures = np.array(curvatures, dtype=float)
        self.sigma, self.seed = float(sigma), int(seed)
        self.minimum = np.zeros(self.curvatures.size)
        self.box = ((-2.0, 2.0), (-2.0, 2.0)) if self.curvatures.size == 2 else None

    def noise(self, t):
        """ξ_t, the same array every time it is asked for."""
        return np.random.default_rng([self.seed, _step(t)]).standard_normal(self.curvatures.size)

    def value(self, theta, t=None):
        theta = _theta(theta, self.curvatures.size)
        expected = 0.5 * np.sum(self.curvatures * theta ** 2, axis=-1)
        return expected if t is None else expected + self.sigma * theta @ self.noise(t)

    def grad(self, theta, t=None):
        return self.curvatures * _theta(theta, self.curvatures.size) + self.sigma * self.noise(t)

    def __repr__(self):
        h = ", ".join(f"{v:g}" for v in self.curvatures)
        return (f"noisy quadratic: f_t(θ) = ½ Σ hᵢθᵢ² + {self.sigma:g}·ξ_tᵀθ, h = ({h}), "
                f"ξ_t ~ N(0, I), seed {self.seed}")


class SparseQuadratic:
    r"""f_t(θ) = Σᵢ s_{t,i} · ½ hᵢ (θᵢ − θ*ᵢ)², s_{t,i} ~ Bernoulli(pᵢ) drawn from ``(seed, t)``.

    Coordinate i sees a gradient only on the steps where s_{t,i} = 1 — about once
    every 1/pᵢ steps — like the embedding of a rare word. Elsewhere ∂f_t/∂θᵢ = 0.
    Without ``t``, ``value`` is the expected loss Σᵢ pᵢ·½ hᵢ (θᵢ − θ*ᵢ)².
    """

    name = "sparse quadratic"

    def __init__(self, probabilities=(0.5, 0.05, 0.005), curvatures=None, target=1.0, seed=0):
        self.probabilities = np.array(probabilities, dtype=float)
        p = self.probabilities
        if p.ndim != 1 or np.any((p <= 0) | (p > 1)):
            raise ValueError(f"probabilities must be a 1-D list in (0, 1], got {probabilities!r}")
        d = self.probabilities.size
        self.curvatures = np.ones(d) if curvatures is None else np.array(curvatures, dtype=float)
        if self.curvatures.shape != (d,) or np.any(self.curvatures <= 0):
            raise ValueError(f"curvatures must be {d} positive numbers, got {curvatures!r}")
        self.seed = int(seed)
        self.minimum = np.full(d, float(target))

    def active(self, t):
        """s_t: which coordinates receive a gradient at step t (a bool array)."""
        u = np.random.default_rng([self.seed, _step(t)]).random(self.probabilities.size)
        return u < self.probabilities

    def value(self, theta, t=None):
        delta = _theta(theta, self.minimum.size) - self.minimum
        weight = self.probabilities if t is None else self.active(t)
        return 0.5 * np.sum(weight * self.curvatures * delta ** 2, axis=-1)

    def grad(self, theta, t=None):
        delta = _theta(theta, self.minimum.size) - self.minimum
        return self.active(t) * self.curvatures * delta

    def __repr__(self):
        p = ", ".join(f"{v:g}" for v in self.probabilities)
        h = ", ".join(f"{v:g}" for v in self.curvatures)
        return (f"sparse quadratic: f_t(θ) = Σ s_t,i·½hᵢ(θᵢ − {self.minimum[0]:g})², "
                f"s_t,i ~ Bernoulli(pᵢ), p = ({p}), h = ({h}), seed {self.seed}")


class ReddiOnline:
    r"""The synthetic online problem of Reddi, Kale & Kumar (ICLR 2018) on x ∈ [−1, 1],
    a scaled-up form of the counterexample in their Theorem 1:

        f_t(x) = 1010·x   if t mod 101 = 1
        f_t(x) = −10·x    otherwise

    Over each period of 101 steps the sum is 1010x − 1000x = 10x, so the best
    fixed point in hindsight is x* = −1 (``minimum``). Adam with β1 = 0.9,
    β2 = 0.99 drifts to +1 instead. ``theta`` may have any shape: each entry is
    one copy of the 1-D problem. ``project`` is Π onto [−1, 1], the feasible set.
    """

    name = "Reddi online"
    minimum = -1.0
    project = staticmethod(project_interval)

    def slope(self, t):
        """c_t, so that f_t(x) = c_t·x."""
        return 1010.0 if _step(t) % 101 == 1 else -10.0

    def slopes(self, steps):
        """(c_1, …, c_steps) as one array."""
        t = np.arange(1, int(steps) + 1)
        return np.where(t % 101 == 1, 1010.0, -10.0)

    def value(self, theta, t=None):
        return self.slope(t) * _theta(theta)

    def grad(self, theta, t=None):
        return np.full_like(_theta(theta), self.slope(t))

    def __repr__(self):
        return "Reddi online: f_t(x) = 1010·x if t mod 101 = 1 else −10·x, x ∈ [−1, 1]"


class ReddiStochastic(ReddiOnline):
    r"""The stochastic variant of Reddi et al.'s (2018) synthetic problem, on x ∈ [−1, 1]:

        f_t(x) = 1010·x with probability 0.01, −10·x otherwise

    E[f_t(x)] = 0.2·x (``mean_slope``·x), minimised at x* = −1. The draw for
    step t comes from a generator seeded by ``(seed, t // 4096)``, reused for
    4096 consecutive steps so that a million-step run stays fast.
    """

    name = "Reddi stochastic"
    _block = 4096

    def __init__(self, seed=0, p=0.01):
        self.seed, self.p = int(seed), float(p)
        self._cached = (None, None)

    @property
    def mean_slope(self):
        """E[c_t] = p·1010 − (1 − p)·10, so that E[f_t(x)] = E[c_t]·x (0.2·x for p = 0.01)."""
        return self.p * 1010.0 - (1 - self.p) * 10.0

    def _block_slopes(self, block):
        draws = np.random.default_rng([self.seed, block]).random(self._block) < self.p
        return np.where(draws, 1010.0, -10.0)

    def slope(self, t):
        block, offset = divmod(_step(t), self._block)
        if self._cached[0] != block:
            self._cached = (block, self._block_slopes(block))
        return float(self._cached[1][offset])

    def slopes(self, steps):
        """(c_1, …, c_steps) as one array, the same values ``slope`` gives."""
        blocks = [self._block_slopes(b) for b in range(int(steps) // self._block + 1)]
        return np.concatenate(blocks)[1:int(steps) + 1]

    def __repr__(self):
        return (f"Reddi stochastic: f_t(x) = 1010·x with probability {self.p:g}, else −10·x, "
                f"x ∈ [−1, 1], seed {self.seed}")


class Stack:
    """Several 1-D linear problems side by side: ``theta[..., k]`` is a point of ``objectives[k]``.

    One optimizer run then advances all of them at once (for example the online
    problem and a few seeds of the stochastic one). Each objective gives its
    slope c_t (f_t(x) = c_t·x); ``value`` and ``grad`` have the shape of ``theta``.
    """

    project = staticmethod(project_interval)

    def __init__(self, *objectives):
        if not objectives:
            raise ValueError("Stack needs at least one objective")
        if not all(hasattr(o, "slope") for o in objectives):
            raise TypeError("Stack holds linear objectives with a slope(t), such as ReddiOnline")
        self.objectives = objectives
        self.name = " | ".join(o.name for o in objectives)
        self.minimum = np.array([o.minimum for o in objectives], dtype=float)
        self._cached = (None, None)

    def slope(self, t):
        """(c_t of each objective), computed once per step."""
        if self._cached[0] != t:
            self._cached = (t, np.array([o.slope(t) for o in self.objectives]))
        return self._cached[1]

    def value(self, theta, t=None):
        return self.slope(t) * _theta(theta, len(self.objectives))

    def grad(self, theta, t=None):
        return np.broadcast_to(self.slope(t), _theta(theta, len(self.objectives)).shape).copy()

    def __repr__(self):
        return "Stack(" + "; ".join(repr(o) for o in self.objectives) + ")"
