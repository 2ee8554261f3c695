r"""Record a run: every trace field, the loss and the learning rate, step by step.

:func:`record` drives any :class:`~adam_ref.Optimizer` (with an optional
learning-rate scheduler); :func:`record_step` drives a functional step such as
:func:`~adam_ref.functional.adam_step`. Both return a :class:`History`.

Step t (1-based) of a run on an objective with f_1, f_2, … is::

    ℓ_t   = f_t(θ_{t−1})                     the loss where the gradient is taken
    g_t   = ∇f_t(θ_{t−1})
    θ_t   = Π(step(θ_{t−1}, g_t))            Π = ``project`` (identity if None)

and the history keeps, for t = k, 2k, 3k, … (``every=k``), θ_t, ℓ_t, the
learning rate used at step t and every field of the step's trace, each as one
preallocated array of shape ``(steps // k, *field_shape)``; no per-step Python
lists are kept, so a million-step run with ``every=1000`` holds 1000 rows.

With a ``comparator`` x*, the history also holds the regret
R_t = Σ_{s≤t} f_s(θ_{s−1}) − f_s(x*) of an online run, summed over *every* step.
"""

import numpy as np

from .functional import spec_of
from .functional._validate import float_array
from .lr_scheduler import ReduceLROnPlateau
from .optim.optimizer import Optimizer, Param

__all__ = ["History", "record", "record_step"]


class History:
    """The kept steps of one run.

    ``t`` (shape ``(n,)``), ``theta``, ``loss``, ``lr`` and — with a comparator —
    ``regret`` are arrays whose first axis runs over the kept steps; ``trace``
    maps every trace field to its array (``history.m`` is ``history.trace["m"]``).
    ``theta`` is the iterate after the projection, ``trace["theta"]`` the step's
    output before it. ``theta0`` is the starting point, ``label`` a legend
    text and ``settings`` the hyperparameters of the run.
    """

    def __init__(self, t, theta, loss, lr, trace, theta0, *, regret=None, label="", settings=None):
        self.t, self.theta, self.loss, self.lr, self.trace = t, theta, loss, lr, trace
        self.theta0, self.regret, self.label = theta0, regret, label
        self.settings = dict(settings or {})

    def __getattr__(self, name):
        trace = self.__dict__.get("trace", {})
        if name in trace:
            return trace[name]
        raise AttributeError(f"History has no field {name!r}; trace fields: {sorted(trace)}")

    def __len__(self):
        return len(self.t)

    @property
    def path(self):
        """θ₀ followed by the kept iterates: shape ``(n + 1, *theta.shape)``."""
        return np.concatenate([self.theta0[None], self.theta])

    @property
    def average_regret(self):
        """R_t / t at the kept steps (needs a comparator)."""
        if self.regret is None:
            raise ValueError("this run was recorded without a comparator, so it has no regret")
        return self.regret / self.t.reshape((-1,) + (1,) * (self.regret.ndim - 1))

    def __repr__(self):
        fields = ", ".join(sorted(self.trace))
        return (f"History({self.label!r}, {len(self)} kept steps up to t = "
                f"{self.t[-1] if len(self) else 0}, theta shape {self.theta0.shape}, "
                f"trace fields: {fields})")


def positive_count(value, name):
    """``value`` must be a whole number ≥ 1 (a count of steps), else ValueError naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive whole number, got {value!r}")


class _Tape:
    """The kept steps' arrays (allocated at the first kept step) and the regret's running sums."""

    def __init__(self, steps, every, objective, comparator):
        positive_count(steps, "steps")
        positive_count(every, "every")
        if every > steps:
            raise ValueError(f"every={every} is larger than steps={steps}: no step would be kept")
        if not all(callable(getattr(objective, name, None)) for name in ("value", "grad")):
            raise TypeError("objective must have methods value(theta, t) and grad(theta, t), "
                            f"got {type(objective).__name__}")
        self.steps, self.every, self.rows = int(steps), int(every), int(steps) // int(every)
        self.objective, self.comparator = objective, comparator
        self.loss_sum = self.comparator_sum = 0.0  # Σ_s f_s(θ_{s−1}) and Σ_s f_s(x*)
        self.arrays, self.trace_names = {}, []
        self.value_shape = None  # the shape of ℓ_1; every ℓ_t must have it

    def value(self, theta, t):
        """ℓ_t = ``objective.value(theta, t)`` checked, and f_t(x*) with a comparator
        (both before the step, so that a bad value fails before anything moves)."""
        loss = self.checked_value(self.objective.value(theta, t), t, "theta")
        if self.comparator is None:
            return loss, None
        return loss, self.checked_value(self.objective.value(self.x_star(theta), t), t,
                                        "the comparator")

    def checked_value(self, value, t, at):
        where = f"objective.value({at}, {t})"
        try:
            array = np.asarray(value)
        except Exception:
            array = np.asarray(None)
        if array.dtype.kind not in "iuf":
            raise TypeError(f"{where} must return a real number or an array of them, "
                            f"got {_short(value)}")
        if self.value_shape is None:
            self.value_shape = array.shape
        elif array.shape != self.value_shape:
            raise ValueError(f"{where} returned shape {array.shape}, but shape "
                             f"{self.value_shape} at step 1")
        return value

    def grad(self, theta, t):
        """g_t = ``objective.grad(theta, t)``: numbers, shaped like θ, in θ's dtype."""
        grad = self.objective.grad(theta, t)
        try:
            array = np.asarray(grad)
        except Exception:
            array = np.asarray(None)
        if array.dtype.kind not in "iuf":
            raise TypeError(f"objective.grad(theta, {t}) must return an array of numbers shaped "
                            f"like theta {theta.shape}, got {_short(grad)}")
        if array.shape != theta.shape:
            raise ValueError(f"objective.grad(theta, {t}) returned shape {array.shape}, but theta "
                             f"has shape {theta.shape}")
        return array if array.dtype.kind == "f" else array.astype(theta.dtype)

    def add(self, t, theta, loss, lr, trace, comparator_value=None):
        """Account for step t; keep its values when t is a multiple of ``every``."""
        self.loss_sum = self.loss_sum + loss
        if self.comparator is not None:
            self.comparator_sum = self.comparator_sum + comparator_value
        if t % self.every:
            return
        self.trace_names = [name for name, _ in trace.items()]
        values = {"t": t, "theta": theta, "loss": loss, "lr": lr,
                  "regret": None if self.comparator is None else self.loss_sum - self.comparator_sum,
                  **{"trace." + name: value for name, value in trace.items()}}
        row = t // self.every - 1
        for name, value in values.items():
            if value is None:
                continue
            value = np.asarray(value)
            if name not in self.arrays:
                self.arrays[name] = np.empty((self.rows,) + value.shape, dtype=value.dtype)
            self.arrays[name][row] = value

    def x_star(self, theta):
        """The comparator x* as an array shaped like θ (ValueError if it does not broadcast)."""
        x_star = np.asarray(self.comparator, dtype=theta.dtype)
        try:
            return np.broadcast_to(x_star, theta.shape)
        except ValueError:
            raise ValueError(f"comparator has shape {x_star.shape}, which does not broadcast "
                             f"to theta's shape {theta.shape}") from None

    def history(self, theta0, label, settings):
        a = self.arrays
        trace = {name: a["trace." + name] for name in self.trace_names if "trace." + name in a}
        return History(a["t"], a["theta"], a["loss"], a["lr"], trace, theta0,
                       regret=a.get("regret"), label=label, settings=settings)


def _short(value):
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def checked_projection(result, theta, t):
    """``project``'s result: an array of numbers of θ's shape, finite where θ is."""
    if result is None:
        raise TypeError(f"project returned None at step {t}; it must return the projected "
                        f"theta (an array of shape {theta.shape})")
    try:
        array = np.asarray(result)
    except Exception:
        array = np.asarray(None)
    if array.dtype.kind not in "iuf":
        raise TypeError(f"project must return an array of numbers, got {_short(result)} "
                        f"at step {t}")
    if array.shape != theta.shape:
        raise ValueError(f"project returned shape {array.shape} at step {t}, but theta has "
                         f"shape {theta.shape}")
    finite = np.isfinite(theta)
    if not np.isfinite(array[finite]).all():
        raise ValueError(f"project returned NaN or inf at step {t} for a finite theta")
    return array


def record(optimizer, objective, theta0, steps, *, every=1, scheduler=None, project=None,
           comparator=None, label=None):
    r"""Run ``optimizer`` on ``objective`` for ``steps`` steps and keep every ``every``-th.

    ``optimizer`` is either a factory called with the list of params (for example
    ``functools.partial(Adam, lr=0.1)`` or ``lambda ps: SGD(ps, lr=0.1)``), or an
    optimizer that holds exactly one :class:`Param`; then ``theta0`` must be None
    and the run starts from that param's data. ``scheduler`` is likewise a factory
    called with the optimizer, or a scheduler of it; it steps after each optimizer
    step (``ReduceLROnPlateau`` gets the loss ℓ_t). ``project`` is applied to θ
    after each step, in place, before anything reads it. The lr kept for step t is
    ``param_groups[0]["lr"]`` when step t was taken.

    A fused optimizer is refused: it keeps no trace to record. Every argument is
    checked before a factory is called or a step taken; at each step the loss
    (a real number or array, of one shape throughout) and the gradient (shaped
    like θ) are checked before the optimizer steps, and the projection's result
    (an array of θ's shape, finite where θ is) before it is written. A run that
    fails part way puts the param, the optimizer and a given scheduler back as
    they were, so a refused call changes nothing.
    """
    tape = _Tape(steps, every, objective, comparator)
    if project is not None and not callable(project):
        raise TypeError("project must be a function of theta or None, "
                        f"got {type(project).__name__}")
    if scheduler is not None and not (hasattr(scheduler, "step") or callable(scheduler)):
        raise TypeError("scheduler must be a learning-rate scheduler or a factory of one, "
                        f"got {type(scheduler).__name__}")
    if isinstance(optimizer, Optimizer):
        params = [p for group in optimizer.param_groups for p in group["params"]]
        if len(params) != 1:
            raise ValueError(f"record needs an optimizer with exactly one Param, got {len(params)}")
        if theta0 is not None:
            raise ValueError("pass theta0=None with an optimizer instance: "
                             "the run starts from its Param's data")
        (param,) = params
    elif callable(optimizer):
        param = Param(np.array(float_array(theta0, "theta0")))
        optimizer = optimizer([param])
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"the optimizer factory returned {type(optimizer).__name__}, "
                            "not an adam_ref Optimizer")
    else:
        raise TypeError("optimizer must be an adam_ref Optimizer or a factory of one, "
                        f"got {type(optimizer).__name__}")
    if optimizer._has_inplace and any(group.get("fused") for group in optimizer.param_groups):
        raise ValueError("record needs traces; fused=True keeps none — use fused=False")
    if comparator is not None:
        tape.x_star(param.data)  # a comparator that does not fit θ fails here, not after a step
    theta0 = param.data.copy()
    # a run that fails part way (a bad value, gradient or projection, a scheduler that
    # raises, Ctrl-C) puts the param, the optimizer and a given scheduler back
    undo = _Undo(param, optimizer, scheduler if hasattr(scheduler, "step") else None)
    try:
        if scheduler is not None and not hasattr(scheduler, "step"):
            scheduler = scheduler(optimizer)
            if not hasattr(scheduler, "step"):
                raise TypeError(f"the scheduler factory returned {type(scheduler).__name__}, "
                                "not a learning-rate scheduler")
        for t in range(1, tape.steps + 1):
            lr = optimizer.param_groups[0]["lr"]
            loss, comparator_value = tape.value(param.data, t)
            param.grad = tape.grad(param.data, t)
            optimizer.step()
            if project is not None:
                param.data[...] = checked_projection(project(param.data.copy()), param.data, t)
            if isinstance(scheduler, ReduceLROnPlateau):
                scheduler.step(float(np.mean(loss)))
            elif scheduler is not None:
                scheduler.step()
            tape.add(t, param.data, loss, lr, optimizer.last_trace[param], comparator_value)
    except BaseException:
        undo()
        raise
    settings = {k: v for k, v in optimizer.param_groups[0].items() if k != "params"}
    return tape.history(theta0, label or type(optimizer).__name__, settings)


class _Undo:
    """Puts the param, the optimizer and the scheduler back as they were when made,
    so that a run that fails part way changes nothing."""

    def __init__(self, param, optimizer, scheduler):
        self.param, self.optimizer, self.scheduler = param, optimizer, scheduler
        self.data, self.grad = param.data.copy(), param.grad
        self.state, self.trace = dict(optimizer.state), dict(optimizer.last_trace)
        self.groups = [dict(group) for group in optimizer.param_groups]
        self.scheduler_vars = dict(vars(scheduler)) if hasattr(scheduler, "__dict__") else None

    def __call__(self):
        self.param.data[...] = self.data
        self.param.grad = self.grad
        for keep, now in ((self.state, self.optimizer.state),
                          (self.trace, self.optimizer.last_trace)):
            now.clear()
            now.update(keep)
        for keep, now in zip(self.groups, self.optimizer.param_groups):
            now.clear()
            now.update(keep)
        if self.scheduler_vars is not None:
            vars(self.scheduler).clear()
            vars(self.scheduler).update(self.scheduler_vars)


def record_step(step, objective, theta0, steps, *, every=1, init=None, lr=None, project=None,
                comparator=None, label=None, **hyperparameters):
    r"""Run a functional step (``adam_step``, …) on ``objective`` and keep every ``every``-th step.

    ``lr`` is a number, an array that broadcasts against θ (K settings at once),
    a schedule — a function of the step t returning one of those, e.g.
    ``lambda t: 0.5 / np.sqrt(t)`` — or None for the step's own default. ``init``
    defaults to the step's companion from its description (``adam_step`` →
    ``adam_init``); a step of your own needs ``init=``. Other keywords go to every
    ``step`` call; the history's ``settings`` hold them and the lr used.
    The loss, the gradient and the projection's result are checked as in
    :func:`record`, each naming the function that returned a bad value.
    """
    if not callable(step):
        raise TypeError(f"step must be a function such as adam_step, got {type(step).__name__}")
    spec = spec_of(step)
    if init is None:
        if spec is None:
            raise ValueError(f"no init function known for {getattr(step, '__name__', step)!r}: "
                             "pass init=")
        init = spec.init
    defaults = {} if spec is None else spec.defaults
    if lr is None:
        if "lr" not in defaults:
            raise ValueError(f"{getattr(step, '__name__', step)!r} has no default lr: pass lr=")
        lr = defaults["lr"]
    tape = _Tape(steps, every, objective, comparator)
    theta = theta0 = np.array(float_array(theta0, "theta0"))
    init_kwargs = ({k: hyperparameters[k] for k in spec.init_keywords if k in hyperparameters}
                   if spec is not None and init is spec.init else {})  # Adagrad's initial sum
    state = init(theta, **init_kwargs)
    for t in range(1, tape.steps + 1):
        lr_t = lr(t) if callable(lr) else lr
        loss, comparator_value = tape.value(theta, t)
        theta, state, trace = step(theta, tape.grad(theta, t), state, lr=lr_t,
                                   **hyperparameters)
        if project is not None:
            theta = checked_projection(project(theta), theta, t)
        tape.add(t, theta, loss, lr_t, trace, comparator_value)
    settings = {"lr": lr, **hyperparameters}
    return tape.history(theta0, label or getattr(step, "__name__", "step"), settings)
