r"""Learning-rate schedulers that do what ``torch.optim.lr_scheduler`` (2.13) does.

Each scheduler writes ``optimizer.param_groups[i]["lr"]``. With η₀ = the group's
``initial_lr`` and e = ``last_epoch`` (the number of ``step()`` calls so far):

- :class:`StepLR`            η_e = η₀·γ^⌊e / step_size⌋
- :class:`MultiStepLR`       η_e = η₀·γ^(number of milestones ≤ e)
- :class:`ConstantLR`        η_e = η₀·f for e < T, then η₀
- :class:`ExponentialLR`     η_e = η₀·γ^e
- :class:`PolynomialLR`      η_e = η₀·(1 − min(e, T)/T)^p
- :class:`CosineAnnealingLR` η_e = η_min + ½(η₀ − η_min)(1 + cos(π·e / T_max))
- :class:`CosineAnnealingWarmRestarts` the same with T_cur (epochs since the last
  restart) for e and T_i = T_0·T_mult^(restarts) for T_max (SGDR)
- :class:`LinearLR`          η_e = η₀·(f₀ + (f₁ − f₀)·min(e, T) / T)
- :class:`LambdaLR`          η_e = η₀·λ(e)
- :class:`MultiplicativeLR`  η_e = η_{e−1}·λ(e)
- :class:`CyclicLR`          triangular cycles between ``base_lr`` and ``max_lr``
  (Smith 2017), with momentum (or β₁) cycled the other way
- :class:`OneCycleLR`        warm-up to ``max_lr`` and annealing far below the
  start (Smith & Topin 2017), in two or three phases, cosine or linear
- :class:`ReduceLROnPlateau` η ← max(η·factor, η_min) after more than ``patience``
  steps without a metric better than the best by ``threshold``
- :class:`SequentialLR`, :class:`ChainedScheduler` run several schedulers one
  after the other (at milestones) or all at every step

Like torch, the "chainable" ones compute η_e from the current ``group["lr"]``
(η_e = η_{e−1}·γ, ...), not from the closed form above, so a sequence agrees
with torch's to the last bit, and a scheduler composes with other changes made
to ``lr``. The constructor takes the first step (e = 0) and stores
``initial_lr`` in every group.

Every step is atomic: the new lrs (and cycled momenta) are computed and checked
(real, finite, ≥ 0) before anything is written, then written together with
``last_epoch`` and the step count, so a step that raises changes nothing. A
group ``lr`` that is not a finite number ≥ 0 is refused with an error naming
the group. :class:`ChainedScheduler` undoes the steps of the schedulers before
the one that refused. As in torch, stepping a scheduler before its optimizer
has ever stepped warns (the optimizer's ``step`` is wrapped on its instance
to notice the first call).
"""

import functools
import math
import numbers
import warnings
import weakref
from bisect import bisect_right
from collections import Counter

import numpy as np

from .optim.optimizer import Optimizer

__all__ = ["LRScheduler", "LambdaLR", "MultiplicativeLR", "StepLR", "MultiStepLR",
           "ConstantLR", "LinearLR", "ExponentialLR", "SequentialLR", "CosineAnnealingLR",
           "ChainedScheduler", "ReduceLROnPlateau", "CyclicLR", "CosineAnnealingWarmRestarts",
           "OneCycleLR", "PolynomialLR"]

EPOCH_DEPRECATION_WARNING = (
    "The epoch parameter in `scheduler.step()` was not necessary and is being "
    "deprecated where possible. Please use `scheduler.step()` to step the "
    "scheduler. During the deprecation, if epoch is different from None, the "
    "closed form is used instead of the new chainable form, where available. "
    "Please open an issue if you are unable to replicate your use case: "
    "https://github.com/pytorch/pytorch/issues/new/choose."
)

_BEFORE_OPTIMIZER_WARNING = (
    "Detected call of `lr_scheduler.step()` before `optimizer.step()`. "
    "In PyTorch 1.1.0 and later, you should call them in the opposite order: "
    "`optimizer.step()` before `lr_scheduler.step()`.  Failure to do this "
    "will result in PyTorch skipping the first value of the learning rate schedule. "
    "See more details at "
    "https://pytorch.org/docs/stable/optim.html#how-to-adjust-learning-rate")

_OVERRIDDEN_WARNING = (
    "Seems like `optimizer.step()` has been overridden after learning rate scheduler "
    "initialization. Please, make sure to call `optimizer.step()` before "
    "`lr_scheduler.step()`. See more details at "
    "https://pytorch.org/docs/stable/optim.html#how-to-adjust-learning-rate")


# --------------------------------------------------------------------------- argument checks

def _integer(name, value, minimum):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def _real(name, value, minimum=None, *, finite=True):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r}")
    if math.isnan(value) or (finite and math.isinf(value)):
        raise ValueError(f"{name} must be a finite number, got {value}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return value


def _positive(name, value):
    if not _real(name, value) > 0:
        raise ValueError(f"{name} must be > 0, got {value}")
    return value


def _reals(name, value, length, most=None):
    # groups added after the scheduler was built have no entry yet: between length and most
    most = length if most is None else most
    if not isinstance(value, (list, tuple)) or not length <= len(value) <= most:
        count = length if length == most else f"{length} to {most}"
        raise ValueError(f"{name} must be a list of {count} numbers (one per param group), "
                         f"got {value!r}")
    return [_real(f"{name}[{i}]", v, 0) for i, v in enumerate(value)]


def _flag(name, value):
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def _optimizer(optimizer):
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
    return optimizer


def _per_group(name, optimizer, value):
    """One value per param group (torch's ``_format_param``), each a finite number ≥ 0."""
    n = len(optimizer.param_groups)
    if isinstance(value, (list, tuple)):
        if len(value) != n:
            raise ValueError(f"{name} must have the same length as optimizer.param_groups. "
                             f"{name} has {len(value)} values, param_groups has {n}.")
        return [_real(f"{name}[{i}]", v, 0) for i, v in enumerate(value)]
    return [_real(name, value, 0)] * n


def _lr_value(value):
    """A learning rate as a float-like number, or None when it is not a real number."""
    if isinstance(value, np.ndarray) and value.shape == () and value.dtype.kind in "fiu":
        return float(value)
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        return None
    return value


def _check_group_lr(i, value, key="lr"):
    """A group's current lr, which a step reads: a finite number ≥ 0."""
    number = _lr_value(value)
    if number is None:
        raise TypeError(f"param_groups[{i}]['{key}'] must be a real number, got {value!r}; "
                        "the scheduler step changed nothing")
    if not (math.isfinite(number) and number >= 0):
        raise ValueError(f"param_groups[{i}]['{key}'] must be a finite number >= 0, "
                         f"got {value!r}; the scheduler step changed nothing")
    return value


def _check_new_lrs(owner, values, groups):
    """The lrs a step would write: one per group, each a finite number ≥ 0."""
    values = list(values)
    if len(values) != len(groups):
        raise ValueError(f"{owner} computed {len(values)} lrs but the optimizer has "
                         f"{len(groups)} param groups (was a group added after the scheduler "
                         "was made?); the scheduler step changed nothing")
    for i, value in enumerate(values):
        number = _lr_value(value)
        if number is None or not (math.isfinite(number) and number >= 0):
            raise ValueError(f"{owner} computed lr = {value!r} for param_groups[{i}]; an lr "
                             "must be a finite number >= 0, so the scheduler step changed "
                             "nothing")
    return values


def _factor_value(owner, value, epoch):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{owner}({epoch}) must return a real number, got {value!r}")
    return value


# torch's state dicts also hold these transient flags; they are False between calls
_TORCH_FLAGS = ("_is_initial", "_get_lr_called_within_step")


class _TrackedStep:
    """An optimizer's own ``step``, which also records that it was called (torch's
    ``_opt_called``). A deep copy of the optimizer gets a wrapper of the copy."""

    _wrapped_by_lr_sched = True

    def __init__(self, optimizer, func):
        self._optimizer = weakref.ref(optimizer)
        self.__wrapped__ = func
        functools.update_wrapper(self, func)

    def __call__(self, *args, **kwargs):
        opt = self._optimizer()
        opt._opt_called = True
        return self.__wrapped__.__get__(opt, type(opt))(*args, **kwargs)

    def __deepcopy__(self, memo):
        original = self._optimizer()
        return _TrackedStep(memo.get(id(original), original), self.__wrapped__)

    def __repr__(self):
        return f"<optimizer step of {self._optimizer()!r}, watched by its lr schedulers>"


def _track_optimizer_step(optimizer):
    """Wrap the optimizer instance's ``step`` so that its first call is noticed (as torch)."""
    step = optimizer.step
    if hasattr(step, "_wrapped_by_lr_sched"):
        return
    func = getattr(step, "__func__", None)
    if func is None or getattr(step, "__self__", None) is not optimizer:
        return  # replaced already: step() warns that it has been overridden, as torch
    optimizer.step = _TrackedStep(optimizer, func)


def _leaves(schedulers):
    """Every scheduler in ``schedulers``, those inside SequentialLR / ChainedScheduler too."""
    out = []
    for s in schedulers:
        out.append(s)
        if hasattr(s, "_schedulers"):
            out += _leaves(s._schedulers)
    return out


class _Transaction:
    """Undo everything a block did to the groups and the schedulers if it raises."""

    def __init__(self, optimizer, schedulers):
        self.groups = [(g, dict(g)) for g in optimizer.param_groups]
        self.states = [(s, dict(s.__dict__)) for s in _leaves(schedulers)]

    def __enter__(self):
        return self

    def __exit__(self, kind, value, traceback):
        if kind is not None:
            for group, saved in self.groups:
                group.clear()
                group.update(saved)
            for s, saved in self.states:
                s.__dict__.clear()
                s.__dict__.update(saved)
        return False


# --------------------------------------------------------------------------- base class

class LRScheduler:
    """Base class: ``step()``, ``get_last_lr()``, ``state_dict()``, ``load_state_dict()``.

    A subclass sets its arguments, then calls ``__init__`` here, and defines
    ``_compute(e)`` (the new lr of every group at epoch e, from the current
    ones — read them with ``_current()`` — without writing anything),
    optionally ``_closed_form(e)`` and ``_extras(e)`` (other group entries the
    step writes, such as a cycled momentum), and ``_spec()`` (its own
    state-dict entries and how to check them).
    """

    _is_initial = False

    def __init__(self, optimizer, last_epoch=-1):
        _optimizer(optimizer)
        _integer("last_epoch", last_epoch, -1)
        if last_epoch >= 0:
            for i, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise KeyError(f"param 'initial_lr' is not specified in param_groups[{i}] "
                                   "when resuming scheduler with last_epoch >= 0.")
        self.optimizer = optimizer
        # entries the constructor writes into the groups once it has succeeded
        entries = self._group_entries(last_epoch)
        self._pending = entries
        before = self._lrs_before_start(last_epoch)
        self.base_lrs = []
        for i in range(len(optimizer.param_groups)):
            group = self._group(i)
            key = "initial_lr" if "initial_lr" in group else "lr"
            self.base_lrs.append(_check_group_lr(i, group.get("initial_lr", before[i]), key))
        self.last_epoch = last_epoch
        try:
            self._initial_step()
        finally:
            del self._pending
        for group, eta_0 in zip(optimizer.param_groups, self.base_lrs):
            group.setdefault("initial_lr", eta_0)
        _track_optimizer_step(optimizer)

    # ------------------------------------------------------------- hooks for subclasses
    def _group_entries(self, last_epoch):
        """Per group, the entries the constructor adds (besides ``initial_lr``)."""
        return [{} for _ in self.optimizer.param_groups]

    def _lrs_before_start(self, last_epoch):
        """Per group, the lr that becomes ``initial_lr`` when the group has none."""
        return [group["lr"] for group in self.optimizer.param_groups]

    def _group(self, i):
        """Group i as the constructor will leave it (its pending entries included)."""
        group = self.optimizer.param_groups[i]
        pending = getattr(self, "_pending", None)
        return {**group, **pending[i]} if pending else group

    def _current(self):
        """The groups' current lrs, each checked to be a finite number ≥ 0."""
        return [_check_group_lr(i, group["lr"])
                for i, group in enumerate(self.optimizer.param_groups)]

    def _compute(self, epoch):
        # a scheduler written the torch way defines get_lr(), reading self.last_epoch
        if type(self).get_lr is LRScheduler.get_lr:
            raise NotImplementedError(f"{type(self).__name__} must define get_lr()")
        saved = self.last_epoch
        self.last_epoch = epoch
        try:
            return list(self.get_lr())
        finally:
            self.last_epoch = saved

    def _extras(self, epoch):
        return None

    # ------------------------------------------------------------- stepping
    def get_lr(self):
        """The lr of every param group at epoch ``last_epoch`` (from the current lrs).

        To read the lrs the last step wrote, use :meth:`get_last_lr`."""
        warnings.warn("To get the last learning rate computed by the scheduler, "
                      "please use `get_last_lr()`.", UserWarning, stacklevel=2)
        return self._compute(self.last_epoch)

    def get_last_lr(self):
        """The lrs the last ``step()`` wrote, one per param group (a new list)."""
        return list(self._last_lr)

    def _plan(self, epoch, closed_form=False):
        """What a step to ``epoch`` writes: (attributes, lrs, extras). Writes nothing."""
        if closed_form and hasattr(self, "_closed_form"):
            lrs = self._closed_form(epoch)
        else:
            lrs = self._compute(epoch)
        lrs = _check_new_lrs(type(self).__name__, lrs, self.optimizer.param_groups)
        return {"last_epoch": epoch, "_last_lr": list(lrs)}, lrs, self._extras(epoch)

    def _commit(self, attributes, lrs, extras):
        pending = getattr(self, "_pending", None)  # the constructor's entries come first
        for i, (group, lr) in enumerate(zip(self.optimizer.param_groups, lrs)):
            if pending:
                group.update(pending[i])
            group["lr"] = lr
            if extras is not None:
                group.update(extras[i])
        self.__dict__.update(attributes)

    def _warn_if_before_optimizer(self):
        if self._step_count == 1:
            if not hasattr(self.optimizer.step, "_wrapped_by_lr_sched"):
                warnings.warn(_OVERRIDDEN_WARNING, UserWarning, stacklevel=3)
            elif not getattr(self.optimizer, "_opt_called", False):
                warnings.warn(_BEFORE_OPTIMIZER_WARNING, UserWarning, stacklevel=3)

    def _initial_step(self):
        """The constructor's step (e = last_epoch + 1, usually 0), as torch's."""
        saved = getattr(self, "_step_count", None)
        self._step_count = 0
        self._is_initial = True
        try:
            self.step()
        except BaseException:
            if saved is None:
                del self._step_count
            else:
                self._step_count = saved
            raise
        finally:
            self._is_initial = False

    def step(self, epoch=None):
        """Advance one epoch and write the new lr into every param group.

        ``epoch`` (deprecated in torch, accepted with its warning) jumps to that
        epoch, with the closed form where there is one. Atomic: a step that
        raises changes nothing.
        """
        if not self._is_initial:
            self._warn_if_before_optimizer()
        if epoch is None:
            epoch = self.last_epoch + 1
            closed_form = False
        else:
            warnings.warn(EPOCH_DEPRECATION_WARNING, UserWarning, stacklevel=2)
            epoch = _integer("epoch", epoch, 0)
            closed_form = True
        attributes, lrs, extras = self._plan(epoch, closed_form)
        attributes["_step_count"] = self._step_count + 1
        self._commit(attributes, lrs, extras)

    def _update_lr(self, epoch):
        """Jump to ``epoch`` with the closed form (no step counted), as SequentialLR does."""
        self._commit(*self._plan(epoch, closed_form=True))

    # ------------------------------------------------------------- state dicts
    def _groups(self):
        return len(self.optimizer.param_groups)

    def _spec(self):
        """Each state-dict key, with the function that checks (and copies) its value."""
        n, m = self._groups(), len(self.base_lrs)  # m: the groups when it was built
        # last_epoch is -1 in a SequentialLR's scheduler whose turn has not come
        return {"base_lrs": lambda k, v: _reals(k, v, m),
                "last_epoch": lambda k, v: _integer(k, v, -1),
                "_step_count": lambda k, v: _integer(k, v, 1),
                "_last_lr": lambda k, v: _reals(k, v, m, n)}

    def state_dict(self):
        """The scheduler's state as plain Python values (no optimizer, no functions)."""
        return {key: (list(getattr(self, key)) if isinstance(getattr(self, key), list)
                      else getattr(self, key))
                for key in self._spec()}

    def load_state_dict(self, state_dict):
        """Load a dict from :meth:`state_dict` (or torch's). Checked in full first;
        on error (ValueError naming the key) nothing changes."""
        self.__dict__.update(self._checked_state(state_dict))

    def _checked_state(self, state_dict):
        if not isinstance(state_dict, dict):
            raise ValueError(f"state_dict must be a dict, got {type(state_dict).__name__}")
        spec = self._spec()
        missing = [k for k in spec if k not in state_dict]
        extra = [k for k in state_dict if k not in spec and k not in self._ignored(state_dict)]
        if missing or extra:
            raise ValueError(f"{type(self).__name__} state_dict: missing keys {missing}, "
                             f"unexpected keys {extra}")
        checked = {}
        for key, check in spec.items():
            try:
                checked[key] = check(key, state_dict[key])
            except (TypeError, ValueError) as error:
                raise ValueError(f"{type(self).__name__} state_dict: {error}") from None
        return checked

    def _ignored(self, state_dict):
        """Keys of torch's state dicts that carry nothing adam_ref keeps."""
        return [k for k in _TORCH_FLAGS if state_dict.get(k) is False]


def _lambda_placeholders(state_dict, key="lr_lambdas"):
    """torch's placeholder for plain functions: a list of None."""
    saved = state_dict.get(key)
    return isinstance(saved, list) and all(fn is None for fn in saved)


def _lambdas(optimizer, lr_lambda, name):
    if isinstance(lr_lambda, (list, tuple)):
        if len(lr_lambda) != len(optimizer.param_groups):
            raise ValueError(f"Expected {len(optimizer.param_groups)} lr_lambdas, "
                             f"but got {len(lr_lambda)}")
        lr_lambdas = list(lr_lambda)
    else:
        lr_lambdas = [lr_lambda] * len(optimizer.param_groups)
    for fn in lr_lambdas:
        if not callable(fn):
            raise TypeError(name(fn))
    return lr_lambdas


# --------------------------------------------------------------------------- schedules

class StepLR(LRScheduler):
    """η ← η·γ every ``step_size`` epochs (chainable: η_e = η_{e−1}·γ when e % step_size == 0)."""

    def __init__(self, optimizer, step_size, gamma=0.1, last_epoch=-1):
        _optimizer(optimizer)
        self.step_size = _integer("step_size", step_size, 1)
        self.gamma = _real("gamma", gamma, 0)
        super().__init__(optimizer, last_epoch)

    def _compute(self, e):
        lrs = self._current()
        if e == 0 or e % self.step_size != 0:
            return lrs
        return [lr * self.gamma for lr in lrs]

    def _closed_form(self, e):
        return [eta_0 * self.gamma ** (e // self.step_size) for eta_0 in self.base_lrs]

    def _spec(self):
        return {"step_size": lambda k, v: _integer(k, v, 1),
                "gamma": lambda k, v: _real(k, v, 0), **super()._spec()}


class MultiStepLR(LRScheduler):
    """η ← η·γ^c at each milestone e, where c is how often e is listed."""

    def __init__(self, optimizer, milestones, gamma=0.1, last_epoch=-1):
        _optimizer(optimizer)
        if isinstance(milestones, (str, bytes)) or not hasattr(milestones, "__iter__"):
            raise TypeError(f"milestones must be a list of epoch indices, got {milestones!r}")
        self.milestones = Counter(_integer("milestone", m, 0) for m in milestones)
        self.gamma = _real("gamma", gamma, 0)
        super().__init__(optimizer, last_epoch)

    def _compute(self, e):
        lrs = self._current()
        if e not in self.milestones:
            return lrs
        return [lr * self.gamma ** self.milestones[e] for lr in lrs]

    def _closed_form(self, e):
        milestones = sorted(self.milestones.elements())
        return [eta_0 * self.gamma ** bisect_right(milestones, e) for eta_0 in self.base_lrs]

    def state_dict(self):
        state = super().state_dict()
        state["milestones"] = dict(self.milestones)
        return state

    def _spec(self):
        return {"milestones": _milestones, "gamma": lambda k, v: _real(k, v, 0),
                **super()._spec()}


def _milestones(name, value):
    if not isinstance(value, dict):
        raise ValueError(f"{name} must be a dict {{epoch: count}}, got {value!r}")
    return Counter({_integer(f"{name} epoch", e, 0): _integer(f"{name}[{e}]", c, 1)
                    for e, c in value.items()})


class ConstantLR(LRScheduler):
    """η ← η·f at e = 0 and η ← η/f at e = ``total_iters`` (η₀·f in between)."""

    def __init__(self, optimizer, factor=1.0 / 3, total_iters=5, last_epoch=-1):
        _optimizer(optimizer)
        _real("factor", factor)
        if factor > 1.0 or factor < 0:
            raise ValueError("Constant multiplicative factor expected to be between 0 and 1.")
        self.factor = factor
        self.total_iters = _integer("total_iters", total_iters, 0)
        super().__init__(optimizer, last_epoch)

    def _compute(self, e):
        lrs = self._current()
        if e == 0:
            return [lr * self.factor for lr in lrs]
        if e != self.total_iters:
            return lrs
        if self.factor == 0:
            raise ValueError("ConstantLR with factor=0 cannot restore the lr at total_iters "
                             "(it would divide by 0); the scheduler step changed nothing")
        return [lr * (1.0 / self.factor) for lr in lrs]

    def _closed_form(self, e):
        return [eta_0 * (self.factor + (e >= self.total_iters) * (1 - self.factor))
                for eta_0 in self.base_lrs]

    def _spec(self):
        return {"factor": _end_factor, "total_iters": lambda k, v: _integer(k, v, 0),
                **super()._spec()}


class ExponentialLR(LRScheduler):
    """η ← η·γ every epoch."""

    def __init__(self, optimizer, gamma, last_epoch=-1):
        _optimizer(optimizer)
        self.gamma = _real("gamma", gamma, 0)
        super().__init__(optimizer, last_epoch)

    def _compute(self, e):
        lrs = self._current()
        # resuming (last_epoch >= 0) must not move the lr one step ahead of itself
        if self._is_initial:
            return lrs
        return [lr * self.gamma for lr in lrs]

    def _closed_form(self, e):
        return [eta_0 * self.gamma ** e for eta_0 in self.base_lrs]

    def _spec(self):
        return {"gamma": lambda k, v: _real(k, v, 0), **super()._spec()}


class PolynomialLR(LRScheduler):
    r"""η_e = η₀·(1 − min(e, T)/T)^p with T = ``total_iters``, p = ``power``.

    Chainable form (torch's): η_e = η_{e−1}·((1 − e/T) / (1 − (e − 1)/T))^p for
    1 ≤ e ≤ T, then η stays (at 0 when p > 0).
    """

    def __init__(self, optimizer, total_iters=5, power=1.0, last_epoch=-1):
        _optimizer(optimizer)
        self.total_iters = _integer("total_iters", total_iters, 1)
        self.power = _real("power", power, 0)
        super().__init__(optimizer, last_epoch)

    def _compute(self, e):
        lrs = self._current()
        T = self.total_iters
        if self._is_initial or e > T:
            return lrs
        decay_factor = ((1.0 - e / T) / (1.0 - (e - 1) / T)) ** self.power
        return [lr * decay_factor for lr in lrs]

    def _closed_form(self, e):
        T = self.total_iters
        return [eta_0 * (1.0 - min(T, e) / T) ** self.power for eta_0 in self.base_lrs]

    def _spec(self):
        return {"total_iters": lambda k, v: _integer(k, v, 1),
                "power": lambda k, v: _real(k, v, 0), **super()._spec()}


class CosineAnnealingLR(LRScheduler):
    r"""Cosine annealing from η₀ down to ``eta_min`` over ``T_max`` epochs (SGDR without restarts).

    torch's recursive form, used here too, is

        η_e = η_min + (η_{e−1} − η_min)·(1 + cos(π·e/T_max)) / (1 + cos(π·(e−1)/T_max)),

    with η_e = η_{e−1} + (η₀ − η_min)(1 − cos(π/T_max))/2 where the denominator
    would be 0 (e − 1 − T_max a multiple of 2·T_max); past T_max the lr rises again.
    """

    def __init__(self, optimizer, T_max, eta_min=0.0, last_epoch=-1):
        _optimizer(optimizer)
        self.T_max = _integer("T_max", T_max, 1)
        self.eta_min = _real("eta_min", eta_min, 0)
        super().__init__(optimizer, last_epoch)

    def _compute(self, e):
        T, eta_min = self.T_max, self.eta_min
        lrs = self._current()
        if self._is_initial:
            return lrs
        if (e - 1 - T) % (2 * T) == 0:
            return [lr + (eta_0 - eta_min) * (1 - math.cos(math.pi / T)) / 2
                    for eta_0, lr in zip(self.base_lrs, lrs)]
        return [(1 + math.cos(math.pi * e / T)) / (1 + math.cos(math.pi * (e - 1) / T))
                * (lr - eta_min) + eta_min for lr in lrs]

    def _closed_form(self, e):
        return [self.eta_min + (eta_0 - self.eta_min) * (1 + math.cos(math.pi * e / self.T_max))
                / 2 for eta_0 in self.base_lrs]

    def _spec(self):
        return {"T_max": lambda k, v: _integer(k, v, 1),
                "eta_min": lambda k, v: _real(k, v, 0), **super()._spec()}


class LinearLR(LRScheduler):
    r"""The lr factor goes linearly from f₀ = ``start_factor`` to f₁ = ``end_factor``
    over T = ``total_iters`` epochs, then stays.

    Chainable form (torch's): η_0 = η₀·f₀, then for 1 ≤ e ≤ T

        η_e = η_{e−1}·(1 + (f₁ − f₀) / (T·f₀ + (e − 1)·(f₁ − f₀))).
    """

    def __init__(self, optimizer, start_factor=1.0 / 3, end_factor=1.0, total_iters=5,
                 last_epoch=-1):
        _optimizer(optimizer)
        _real("start_factor", start_factor)
        _real("end_factor", end_factor)
        if start_factor > 1.0 or start_factor <= 0:
            raise ValueError("Starting multiplicative factor expected to be greater than 0 "
                             "and less or equal to 1.")
        if end_factor > 1.0 or end_factor < 0:
            raise ValueError("Ending multiplicative factor expected to be between 0 and 1.")
        self.start_factor = start_factor
        self.end_factor = end_factor
        self.total_iters = _integer("total_iters", total_iters, 0)
        super().__init__(optimizer, last_epoch)

    def _compute(self, e):
        T, f0, f1 = self.total_iters, self.start_factor, self.end_factor
        lrs = self._current()
        if e == 0:
            return [lr * f0 for lr in lrs]
        if self._is_initial or e > T:
            return lrs
        return [lr * (1.0 + (f1 - f0) / (T * f0 + (e - 1) * (f1 - f0))) for lr in lrs]

    def _closed_form(self, e):
        T, f0, f1 = self.total_iters, self.start_factor, self.end_factor
        return [eta_0 * (f0 + (f1 - f0) * min(T, e) / T) for eta_0 in self.base_lrs]

    def _spec(self):
        return {"start_factor": _start_factor, "end_factor": _end_factor,
                "total_iters": lambda k, v: _integer(k, v, 0), **super()._spec()}


def _start_factor(name, value):
    if not 0 < _real(name, value) <= 1:
        raise ValueError(f"{name} must be in (0, 1], got {value}")
    return value


def _end_factor(name, value):
    if not 0 <= _real(name, value) <= 1:
        raise ValueError(f"{name} must be in [0, 1], got {value}")
    return value


class LambdaLR(LRScheduler):
    """η_e = η₀·λ(e), with one function λ for all groups or a list of one per group.

    The functions are not part of ``state_dict()`` (torch saves them only for
    callable objects); construct the scheduler with the same functions before
    loading.
    """

    def __init__(self, optimizer, lr_lambda, last_epoch=-1):
        _optimizer(optimizer)
        self.lr_lambdas = _lambdas(
            optimizer, lr_lambda, lambda fn: f"lr_lambda must be a function of the epoch, "
                                             f"got {fn!r}")
        super().__init__(optimizer, last_epoch)

    def _compute(self, e):
        return [eta_0 * _factor_value("lr_lambda", lmbda(e), e)
                for lmbda, eta_0 in zip(self.lr_lambdas, self.base_lrs)]

    def _ignored(self, state_dict):
        ignored = super()._ignored(state_dict)
        if _lambda_placeholders(state_dict):
            ignored.append("lr_lambdas")
        return ignored


class MultiplicativeLR(LRScheduler):
    """η_e = η_{e−1}·λ(e) (for e ≥ 1), with one function λ or a list of one per group.

    As for :class:`LambdaLR`, the functions are not part of ``state_dict()``.
    """

    def __init__(self, optimizer, lr_lambda, last_epoch=-1):
        _optimizer(optimizer)
        self.lr_lambdas = _lambdas(
            optimizer, lr_lambda,
            lambda fn: f"lr_lambda should be a function, but got {type(fn).__name__}")
        super().__init__(optimizer, last_epoch)

    def _compute(self, e):
        lrs = self._current()
        if self._is_initial:
            return lrs
        return [lr * _factor_value("lr_lambda", lmbda(e), e)
                for lmbda, lr in zip(self.lr_lambdas, lrs)]

    def _ignored(self, state_dict):
        ignored = super()._ignored(state_dict)
        if _lambda_placeholders(state_dict):
            ignored.append("lr_lambdas")
        return ignored


class CosineAnnealingWarmRestarts(LRScheduler):
    r"""SGDR (Loshchilov & Hutter 2017): η = η_min + ½(η₀ − η_min)(1 + cos(π·T_cur/T_i)).

    T_cur counts the epochs since the last restart; a restart happens when it
    reaches T_i, which starts at ``T_0`` and is multiplied by ``T_mult`` at each
    restart. ``step(epoch)`` with a real ``epoch`` (such as ``e + k / batches``)
    sets T_cur and T_i from it, as torch does.
    """

    def __init__(self, optimizer, T_0, T_mult=1, eta_min=0.0, last_epoch=-1):
        _optimizer(optimizer)
        if isinstance(T_0, bool) or not isinstance(T_0, int) or T_0 <= 0:
            raise ValueError(f"Expected positive integer T_0, but got {T_0}")
        if isinstance(T_mult, bool) or not isinstance(T_mult, int) or T_mult < 1:
            raise ValueError(f"Expected integer T_mult >= 1, but got {T_mult}")
        if isinstance(eta_min, bool) or not isinstance(eta_min, (float, int)):
            raise ValueError(f"Expected float or int eta_min, but got {eta_min} of type "
                             f"{type(eta_min)}")
        _real("eta_min", eta_min, 0)
        self.T_0 = T_0
        self.T_i = T_0
        self.T_mult = T_mult
        self.eta_min = eta_min
        self.T_cur = last_epoch
        super().__init__(optimizer, last_epoch)

    def _lrs(self, T_cur, T_i):
        return [self.eta_min + (eta_0 - self.eta_min) * (1 + math.cos(math.pi * T_cur / T_i)) / 2
                for eta_0 in self.base_lrs]

    def _compute(self, e):
        return self._lrs(self.T_cur, self.T_i)

    def step(self, epoch=None):
        """Advance one epoch, or go to ``epoch`` (a real number ≥ 0; fractions allowed)."""
        T_cur, T_i, T_0, T_mult = self.T_cur, self.T_i, self.T_0, self.T_mult
        if epoch is None and self.last_epoch < 0:
            epoch = 0
        if epoch is None:
            epoch = self.last_epoch + 1
            T_cur = T_cur + 1
            if T_cur >= T_i:
                T_cur = T_cur % T_i
                T_i = T_i * T_mult
        else:
            if isinstance(epoch, bool) or not isinstance(epoch, numbers.Real) \
                    or not math.isfinite(epoch):
                raise TypeError(f"epoch must be a finite real number, got {epoch!r}")
            if epoch < 0:
                raise ValueError(f"Expected non-negative epoch, but got {epoch}")
            if epoch >= T_0:
                if T_mult == 1:
                    T_cur = epoch % T_0
                else:
                    n = int(math.log((epoch / T_0 * (T_mult - 1) + 1), T_mult))
                    T_cur = epoch - T_0 * (T_mult ** n - 1) / (T_mult - 1)
                    T_i = T_0 * T_mult ** n
            else:
                T_i = T_0
                T_cur = epoch
        lrs = _check_new_lrs(type(self).__name__, self._lrs(T_cur, T_i),
                             self.optimizer.param_groups)
        self._commit({"T_cur": T_cur, "T_i": T_i, "last_epoch": math.floor(epoch),
                      "_last_lr": list(lrs)}, lrs, None)

    def _initial_step(self):
        self._step_count = 0  # torch's step here counts nothing
        self.step()

    def _spec(self):
        spec = {"T_0": lambda k, v: _integer(k, v, 1), "T_i": lambda k, v: _integer(k, v, 1),
                "T_mult": lambda k, v: _integer(k, v, 1),
                "eta_min": lambda k, v: _real(k, v, 0),
                "T_cur": lambda k, v: _real(k, v, 0), **super()._spec()}
        spec["_step_count"] = lambda k, v: _integer(k, v, 0)
        return spec


# --------------------------------------------------------------------------- cyclic schedules

def _momentum_key(optimizer, cycle_momentum):
    """Which group entry a cycled momentum goes to: "betas" (β₁) or "momentum"."""
    if not cycle_momentum:
        return None
    if "momentum" not in optimizer.defaults and "betas" not in optimizer.defaults:
        raise ValueError("optimizer must support momentum or beta1 with `cycle_momentum` "
                         "option enabled")
    return "betas" in optimizer.defaults


def _momentum_entry(group, momentum, use_beta1):
    if use_beta1:
        return {"betas": (momentum, *group["betas"][1:])}
    return {"momentum": momentum}


class CyclicLR(LRScheduler):
    r"""Cyclical learning rates (Smith 2017): the lr goes from ``base_lr`` up to
    ``max_lr`` in ``step_size_up`` steps and back in ``step_size_down``.

    With c = ⌊1 + e/S⌋ (the cycle, S = up + down) and x = 1 + e/S − c (the
    position in it), the height is x/r while rising (r = up/S) and (x − 1)/(r − 1)
    while falling; η = base + (max − base)·height·scale, with scale = 1
    (``"triangular"``), 1/2^(c−1) (``"triangular2"``), γ^e (``"exp_range"``) or
    ``scale_fn`` of c or e (``scale_mode``). With ``cycle_momentum``, the
    momentum (SGD's, RMSprop's) or β₁ (of an optimizer with ``betas``) goes the
    other way, from ``max_momentum`` down to ``base_momentum``. Call ``step()``
    after every batch.
    """

    def __init__(self, optimizer, base_lr, max_lr, step_size_up=2000, step_size_down=None,
                 mode="triangular", gamma=1.0, scale_fn=None, scale_mode="cycle",
                 cycle_momentum=True, base_momentum=0.8, max_momentum=0.9, last_epoch=-1):
        _optimizer(optimizer)
        _integer("last_epoch", last_epoch, -1)
        self.optimizer = optimizer
        self._start_lrs = _per_group("base_lr", optimizer, base_lr)
        self.max_lrs = _per_group("max_lr", optimizer, max_lr)
        step_size_up = float(_positive("step_size_up", step_size_up))
        step_size_down = (float(_positive("step_size_down", step_size_down))
                          if step_size_down is not None else step_size_up)
        self.total_size = step_size_up + step_size_down
        self.step_ratio = step_size_up / self.total_size
        if mode not in ["triangular", "triangular2", "exp_range"] and scale_fn is None:
            raise ValueError("mode is invalid and scale_fn is None")
        if scale_fn is not None and not callable(scale_fn):
            raise TypeError(f"scale_fn must be a function or None, got {scale_fn!r}")
        if scale_fn is not None and scale_mode not in ("cycle", "iterations"):
            raise ValueError(f"scale_mode must be 'cycle' or 'iterations', got {scale_mode!r}")
        self.mode = mode
        self.gamma = _real("gamma", gamma)
        self._scale_fn_custom = scale_fn
        self.scale_mode = scale_mode
        self._init_scale_fn()
        self.cycle_momentum = _flag("cycle_momentum", cycle_momentum)
        if self.cycle_momentum:
            self.use_beta1 = _momentum_key(optimizer, True)
            self.base_momentums = _per_group("base_momentum", optimizer, base_momentum)
            self.max_momentums = _per_group("max_momentum", optimizer, max_momentum)
        super().__init__(optimizer, last_epoch)
        self.base_lrs = self._start_lrs
        del self._start_lrs

    def _lrs_before_start(self, last_epoch):
        if last_epoch == -1:  # torch writes base_lr into the groups first
            return list(self._start_lrs)
        return super()._lrs_before_start(last_epoch)

    def _group_entries(self, last_epoch):
        entries = super()._group_entries(last_epoch)
        if self.cycle_momentum and last_epoch == -1:
            for entry, group, m_max, m_base in zip(entries, self.optimizer.param_groups,
                                                   self.max_momentums, self.base_momentums):
                entry.update(_momentum_entry(group, m_max, self.use_beta1),
                             max_momentum=m_max, base_momentum=m_base)
        return entries

    def _init_scale_fn(self):
        if self._scale_fn_custom is not None:
            return
        if self.mode == "triangular":
            self._scale_fn_ref = self._triangular_scale_fn
            self.scale_mode = "cycle"
        elif self.mode == "triangular2":
            self._scale_fn_ref = self._triangular2_scale_fn
            self.scale_mode = "cycle"
        elif self.mode == "exp_range":
            self._scale_fn_ref = functools.partial(self._exp_range_scale_fn, self.gamma)
            self.scale_mode = "iterations"

    def scale_fn(self, x):
        """The amplitude's scale at cycle (or iteration) x."""
        if self._scale_fn_custom is not None:
            return self._scale_fn_custom(x)
        return self._scale_fn_ref(x)

    @staticmethod
    def _triangular_scale_fn(x):
        return 1.0

    @staticmethod
    def _triangular2_scale_fn(x):
        return 1 / (2.0 ** (x - 1))

    @staticmethod
    def _exp_range_scale_fn(gamma, x):
        return gamma ** x

    def _position(self, e):
        cycle = math.floor(1 + e / self.total_size)
        x = 1.0 + e / self.total_size - cycle
        if x <= self.step_ratio:
            scale_factor = x / self.step_ratio
        else:
            scale_factor = (x - 1) / (self.step_ratio - 1)
        scale = _factor_value("scale_fn", self.scale_fn(cycle if self.scale_mode == "cycle"
                                                        else e), e)
        return scale_factor, scale

    def _compute(self, e):
        scale_factor, scale = self._position(e)
        # (in the constructor's step, base_lrs are the groups' initial_lr, as in torch)
        return [base_lr + (max_lr - base_lr) * scale_factor * scale
                for base_lr, max_lr in zip(self.base_lrs, self.max_lrs)]

    def _extras(self, e):
        if not self.cycle_momentum:
            return None
        scale_factor, scale = self._position(e)
        return [_momentum_entry(self._group(i), m_max - (m_max - m_base) * scale_factor * scale,
                                self.use_beta1)
                for i, (m_base, m_max) in enumerate(zip(self.base_momentums,
                                                        self.max_momentums))]

    def state_dict(self):
        state = super().state_dict()
        state["_scale_fn_custom"] = None  # torch's placeholder: functions are not saved
        return state

    def _ignored(self, state_dict):
        ignored = super()._ignored(state_dict)
        if state_dict.get("_scale_fn_custom", ...) is None:
            ignored.append("_scale_fn_custom")
        return ignored

    def _spec(self):
        n = self._groups()
        spec = {"max_lrs": lambda k, v: _reals(k, v, n), "total_size": _positive,
                "step_ratio": _step_ratio,
                # any mode goes with a scale_fn, which overrides it (as in torch)
                "mode": (_choice("triangular", "triangular2", "exp_range")
                         if self._scale_fn_custom is None else _string),
                "gamma": _real, "scale_mode": _choice("cycle", "iterations"),
                "cycle_momentum": _flag}
        if self.cycle_momentum:
            spec.update(use_beta1=_flag, base_momentums=lambda k, v: _reals(k, v, n),
                        max_momentums=lambda k, v: _reals(k, v, n))
        return {**spec, **super()._spec()}

    def load_state_dict(self, state_dict):
        self.__dict__.update(self._checked_state(state_dict))
        self._init_scale_fn()


def _string(name, value):
    if not isinstance(value, str):
        raise ValueError(f"{name} must be a string, got {value!r}")
    return value


def _step_ratio(name, value):
    if not 0 < _real(name, value) < 1 + 1e-12:
        raise ValueError(f"{name} must be in (0, 1], got {value}")
    return value


class OneCycleLR(LRScheduler):
    r"""The 1cycle policy (Smith & Topin 2017): from ``max_lr/div_factor`` up to
    ``max_lr`` over the first ``pct_start`` of ``total_steps``, then down to
    ``initial_lr/final_div_factor``; with ``three_phase=True`` back to the start
    first and down in a third phase. Each phase anneals by a half cosine
    (``"cos"``) or linearly; with ``cycle_momentum`` the momentum or β₁ goes
    the other way between ``max_momentum`` and ``base_momentum``. Call
    ``step()`` after every batch; stepping past ``total_steps`` is an error.
    """

    def __init__(self, optimizer, max_lr, total_steps=None, epochs=None, steps_per_epoch=None,
                 pct_start=0.3, anneal_strategy="cos", cycle_momentum=True, base_momentum=0.85,
                 max_momentum=0.95, div_factor=25.0, final_div_factor=1e4, three_phase=False,
                 last_epoch=-1):
        _optimizer(optimizer)
        _integer("last_epoch", last_epoch, -1)
        self.optimizer = optimizer
        if total_steps is not None:
            if isinstance(total_steps, bool) or not isinstance(total_steps, int) \
                    or total_steps <= 0:
                raise ValueError(f"Expected positive integer total_steps, but got {total_steps}")
            self.total_steps = total_steps
        elif epochs is not None and steps_per_epoch is not None:
            if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs <= 0:
                raise ValueError(f"Expected positive integer epochs, but got {epochs}")
            if isinstance(steps_per_epoch, bool) or not isinstance(steps_per_epoch, int) \
                    or steps_per_epoch <= 0:
                raise ValueError("Expected positive integer steps_per_epoch, but got "
                                 f"{steps_per_epoch}")
            self.total_steps = epochs * steps_per_epoch
        else:
            raise ValueError("You must define either total_steps OR (epochs AND steps_per_epoch)")
        if not isinstance(pct_start, float) or not 0 <= pct_start <= 1:
            raise ValueError(f"Expected float between 0 and 1 pct_start, but got {pct_start}")
        _flag("three_phase", three_phase)
        self._schedule_phases = _phases(pct_start, self.total_steps, three_phase)
        if anneal_strategy not in ["cos", "linear"]:
            raise ValueError("anneal_strategy must be one of 'cos' or 'linear', instead got "
                             f"{anneal_strategy}")
        self._anneal_func_type = anneal_strategy
        self._max_lrs = _per_group("max_lr", optimizer, max_lr)
        self._div_factor = _positive("div_factor", div_factor)
        self._final_div_factor = _positive("final_div_factor", final_div_factor)
        self.cycle_momentum = _flag("cycle_momentum", cycle_momentum)
        if self.cycle_momentum:
            self.use_beta1 = _momentum_key(optimizer, True)
            self._momentums = (_per_group("max_momentum", optimizer, max_momentum),
                               _per_group("base_momentum", optimizer, base_momentum))
        if last_epoch >= 0:
            keys = ["initial_lr", "max_lr", "min_lr"] + (
                ["max_momentum", "base_momentum"] if self.cycle_momentum else [])
            for i, group in enumerate(optimizer.param_groups):
                missing = [k for k in keys if k not in group]
                if missing:
                    raise KeyError(f"param_groups[{i}] lacks {missing}, which OneCycleLR needs "
                                   "when resuming with last_epoch >= 0")
        super().__init__(optimizer, last_epoch)
        for name in ("_max_lrs", "_div_factor", "_final_div_factor", "_momentums"):
            self.__dict__.pop(name, None)

    def _group_entries(self, last_epoch):
        entries = super()._group_entries(last_epoch)
        if last_epoch != -1:
            return entries
        for entry, group, max_lr in zip(entries, self.optimizer.param_groups, self._max_lrs):
            entry["initial_lr"] = max_lr / self._div_factor
            entry["max_lr"] = max_lr
            entry["min_lr"] = entry["initial_lr"] / self._final_div_factor
        if self.cycle_momentum:
            for entry, group, m_max, m_base in zip(entries, self.optimizer.param_groups,
                                                   *self._momentums):
                entry.update(_momentum_entry(group, m_max, self.use_beta1),
                             max_momentum=m_max, base_momentum=m_base)
        return entries

    @staticmethod
    def _annealing_cos(start, end, pct):
        """Cosine anneal from ``start`` to ``end`` as pct goes from 0.0 to 1.0."""
        cos_out = math.cos(math.pi * pct) + 1
        return end + (start - end) / 2.0 * cos_out

    @staticmethod
    def _annealing_linear(start, end, pct):
        """Linearly anneal from ``start`` to ``end`` as pct goes from 0.0 to 1.0."""
        return (end - start) * pct + start

    def _anneal_func(self, start, end, pct):
        if self._anneal_func_type == "cos":
            return self._annealing_cos(start, end, pct)
        return self._annealing_linear(start, end, pct)

    def _schedule(self, e):
        """Per group: (lr, momentum or None) at step e."""
        if e > self.total_steps:
            raise ValueError(f"Tried to step {e} times. The specified number of total steps is "
                             f"{self.total_steps}")
        out = []
        for i in range(self._groups()):
            group = self._group(i)
            start_step = 0.0
            phases = self._schedule_phases
            for j, phase in enumerate(phases):
                end_step = phase["end_step"]
                if e <= end_step or j == len(phases) - 1:
                    if end_step == start_step:
                        raise ValueError(
                            f"OneCycleLR phase {j} has no steps (pct_start·total_steps = "
                            f"{phases[0]['end_step'] + 1}); use a larger pct_start or "
                            "total_steps")
                    pct = (e - start_step) / (end_step - start_step)
                    lr = self._anneal_func(group[phase["start_lr"]], group[phase["end_lr"]], pct)
                    momentum = None
                    if self.cycle_momentum:
                        momentum = self._anneal_func(group[phase["start_momentum"]],
                                                     group[phase["end_momentum"]], pct)
                    break
                start_step = phase["end_step"]
            out.append((lr, momentum))
        return out

    def _compute(self, e):
        return [lr for lr, _ in self._schedule(e)]

    def _extras(self, e):
        if not self.cycle_momentum:
            return None
        return [_momentum_entry(self._group(i), m, self.use_beta1)
                for i, (_, m) in enumerate(self._schedule(e))]

    def _spec(self):
        spec = {"total_steps": lambda k, v: _integer(k, v, 1), "_schedule_phases": _phase_list,
                "_anneal_func_type": _choice("cos", "linear"), "cycle_momentum": _flag}
        if self.cycle_momentum:
            spec["use_beta1"] = _flag
        return {**spec, **super()._spec()}


def _phases(pct_start, total_steps, three_phase):
    if three_phase:
        return [{"end_step": float(pct_start * total_steps) - 1, "start_lr": "initial_lr",
                 "end_lr": "max_lr", "start_momentum": "max_momentum",
                 "end_momentum": "base_momentum"},
                {"end_step": float(2 * pct_start * total_steps) - 2, "start_lr": "max_lr",
                 "end_lr": "initial_lr", "start_momentum": "base_momentum",
                 "end_momentum": "max_momentum"},
                {"end_step": total_steps - 1, "start_lr": "initial_lr", "end_lr": "min_lr",
                 "start_momentum": "max_momentum", "end_momentum": "max_momentum"}]
    return [{"end_step": float(pct_start * total_steps) - 1, "start_lr": "initial_lr",
             "end_lr": "max_lr", "start_momentum": "max_momentum",
             "end_momentum": "base_momentum"},
            {"end_step": total_steps - 1, "start_lr": "max_lr", "end_lr": "min_lr",
             "start_momentum": "base_momentum", "end_momentum": "max_momentum"}]


_PHASE_NAMES = ("initial_lr", "max_lr", "min_lr", "max_momentum", "base_momentum")


def _phase_list(name, value):
    if not isinstance(value, list) or not 2 <= len(value) <= 3:
        raise ValueError(f"{name} must be a list of 2 or 3 phases, got {value!r}")
    phases = []
    for j, phase in enumerate(value):
        keys = {"end_step", "start_lr", "end_lr", "start_momentum", "end_momentum"}
        if not isinstance(phase, dict) or set(phase) != keys:
            raise ValueError(f"{name}[{j}] must be a dict with the keys {sorted(keys)}")
        _real(f"{name}[{j}]['end_step']", phase["end_step"])
        for key in keys - {"end_step"}:
            if phase[key] not in _PHASE_NAMES:
                raise ValueError(f"{name}[{j}][{key!r}] must be one of {list(_PHASE_NAMES)}, "
                                 f"got {phase[key]!r}")
        phases.append(dict(phase))
    return phases


# --------------------------------------------------------------------------- composites

def _check_members(owner, schedulers, optimizer):
    if isinstance(schedulers, (str, bytes)) or not hasattr(schedulers, "__len__"):
        raise TypeError(f"{owner} expects a list of schedulers, got {schedulers!r}")
    for i, scheduler in enumerate(schedulers):
        if not hasattr(scheduler, "optimizer"):
            raise TypeError(f"{owner} at index {i} should have `optimizer` as its attribute.")
        if isinstance(scheduler, ReduceLROnPlateau):
            raise ValueError(
                f"{owner} does not support `ReduceLROnPlateau` scheduler as it requires "
                "additional kwargs to be specified when calling `step`, but got one at index "
                f"{i} in the given schedulers sequence.")
        if optimizer is not scheduler.optimizer:
            raise ValueError(
                f"{owner} expects all schedulers to belong to the same optimizer, but got "
                f"scheduler {type(scheduler).__name__} at index {i} has "
                f"{scheduler.optimizer}, which is different from {type(optimizer).__name__}.")


class SequentialLR(LRScheduler):
    """Run ``schedulers[0]`` until ``milestones[0]``, then ``schedulers[1]`` (from its
    epoch 0, by its closed form where it has one), and so on — the usual
    warm-up-then-decay recipe. As in torch, the constructor resets every lr to
    ``initial_lr`` and undoes the first step of every scheduler but the first.
    """

    def __init__(self, optimizer, schedulers, milestones, last_epoch=-1):
        _optimizer(optimizer)
        _check_members(type(self).__name__, schedulers, optimizer)
        if len(schedulers) < 1:
            raise ValueError(f"{type(self).__name__} expects at least one scheduler, but got "
                             "no scheduler.")
        if isinstance(milestones, (str, bytes)) or not hasattr(milestones, "__len__"):
            raise TypeError(f"milestones must be a list of epoch indices, got {milestones!r}")
        milestones = [_integer("milestone", m, 0) for m in milestones]
        if len(milestones) != len(schedulers) - 1:
            raise ValueError(
                "Sequential Schedulers expects number of schedulers provided to be one more "
                f"than the number of milestone points, but got number of schedulers "
                f"{len(schedulers)} and the number of milestones to be equal to "
                f"{len(milestones)}")
        _integer("last_epoch", last_epoch, -1)
        for i, group in enumerate(optimizer.param_groups):
            if "initial_lr" not in group:
                raise KeyError(f"param 'initial_lr' is not specified in param_groups[{i}]")
        with _Transaction(optimizer, schedulers):
            self._schedulers = list(schedulers)
            self._milestones = milestones
            self.last_epoch = last_epoch + 1
            self.optimizer = optimizer
            for group in optimizer.param_groups:
                group["lr"] = group["initial_lr"]
            self.recursive_undo()
            idx = bisect_right(self._milestones, 0)
            self._schedulers[idx]._initial_step()
            self._last_lr = self._schedulers[idx].get_last_lr()

    def recursive_undo(self, sched=None):
        """Undo the step taken by the construction of each scheduler (last_epoch − 1)."""
        scheds = self if sched is None else sched
        if hasattr(scheds, "_schedulers"):
            for s in scheds._schedulers:
                self.recursive_undo(s)
        elif hasattr(scheds, "last_epoch"):
            scheds.last_epoch -= 1

    def step(self):
        """One step of the scheduler whose turn it is (atomic, as each scheduler's)."""
        epoch = self.last_epoch + 1
        idx = bisect_right(self._milestones, epoch)
        scheduler = self._schedulers[idx]
        with _Transaction(self.optimizer, [scheduler]):
            if idx > 0 and self._milestones[idx - 1] == epoch:
                scheduler._update_lr(0)
            else:
                scheduler.step()
        self.last_epoch = epoch
        self._last_lr = scheduler.get_last_lr()

    def state_dict(self):
        return {"_milestones": list(self._milestones), "last_epoch": self.last_epoch,
                "_last_lr": list(self._last_lr),
                "_schedulers": [s.state_dict() for s in self._schedulers]}

    def load_state_dict(self, state_dict):
        """Load a dict from :meth:`state_dict` (or torch's), the inner schedulers' too;
        checked in full first, nothing changes on error."""
        _load_composite(self, state_dict, {
            "_milestones": lambda k, v: [_integer(f"{k}[{i}]", m, 0) for i, m in enumerate(
                v if isinstance(v, list) and len(v) == len(self._milestones) else _bad(k, v))],
            "last_epoch": lambda k, v: _integer(k, v, 0),
            "_last_lr": lambda k, v: _reals(k, v, self._groups())})


class ChainedScheduler(LRScheduler):
    """Step every scheduler of ``schedulers`` at each ``step()``, in order, so that
    their chainable changes compound. If one refuses its step, the steps of the
    ones before it are undone: the chain steps atomically.
    """

    def __init__(self, schedulers, optimizer=None):
        if isinstance(schedulers, (str, bytes)) or not hasattr(schedulers, "__len__"):
            raise TypeError(f"ChainedScheduler expects a list of schedulers, got {schedulers!r}")
        if len(schedulers) < 1:
            raise ValueError(f"{type(self).__name__} expects at least one scheduler to be "
                             "chained, but got no scheduler.")
        if optimizer is None:
            if not hasattr(schedulers[0], "optimizer"):
                raise TypeError(f"{type(self).__name__} at index 0 should have `optimizer` as "
                                "its attribute.")
            optimizer = schedulers[0].optimizer
        _optimizer(optimizer)
        _check_members(type(self).__name__, schedulers, optimizer)
        self._schedulers = list(schedulers)
        self.optimizer = optimizer
        self._last_lr = [group["lr"] for group in optimizer.param_groups]

    def step(self):
        """Step each scheduler in turn; atomic over the whole chain."""
        with _Transaction(self.optimizer, self._schedulers):
            for scheduler in self._schedulers:
                scheduler.step()
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def state_dict(self):
        return {"_last_lr": list(self._last_lr),
                "_schedulers": [s.state_dict() for s in self._schedulers]}

    def load_state_dict(self, state_dict):
        """Load a dict from :meth:`state_dict` (or torch's), the inner schedulers' too;
        checked in full first, nothing changes on error."""
        _load_composite(self, state_dict,
                        {"_last_lr": lambda k, v: _reals(k, v, self._groups())})


def _bad(name, value):
    raise ValueError(f"{name} does not match this scheduler: {value!r}")


def _load_composite(owner, state_dict, spec):
    name = type(owner).__name__
    if not isinstance(state_dict, dict):
        raise ValueError(f"state_dict must be a dict, got {type(state_dict).__name__}")
    keys = set(spec) | {"_schedulers"}
    if set(state_dict) != keys:
        raise ValueError(f"{name} state_dict: missing keys {sorted(keys - set(state_dict))}, "
                         f"unexpected keys {sorted(set(state_dict) - keys)}")
    inner = state_dict["_schedulers"]
    if not isinstance(inner, list) or len(inner) != len(owner._schedulers):
        raise ValueError(f"{name} state_dict: '_schedulers' must be a list of "
                         f"{len(owner._schedulers)} scheduler states")
    checked = {}
    for key, check in spec.items():
        try:
            checked[key] = check(key, state_dict[key])
        except (TypeError, ValueError) as error:
            raise ValueError(f"{name} state_dict: {error}") from None
    with _Transaction(owner.optimizer, owner._schedulers):
        for i, (scheduler, saved) in enumerate(zip(owner._schedulers, inner)):
            try:
                scheduler.load_state_dict(saved)
            except (TypeError, ValueError, KeyError) as error:
                raise ValueError(f"{name} state_dict: _schedulers[{i}]: {error}") from None
    owner.__dict__.update(checked)


# --------------------------------------------------------------------------- ReduceLROnPlateau

class ReduceLROnPlateau(LRScheduler):
    """Multiply the lr by ``factor`` once the metric has not improved for more than
    ``patience`` steps.

    A metric a improves on the best b when, in ``mode="min"``, a < b·(1 − threshold)
    (``threshold_mode="rel"``) or a < b − threshold (``"abs"``); ``"max"`` mirrors
    it. After a reduction, ``cooldown`` steps pass with bad steps ignored. The new
    lr is max(η·factor, min_lr), and it is written only when it is lower by more
    than ``eps``. As in torch, the constructor takes no step and sets no ``initial_lr``.
    """

    def __init__(self, optimizer, mode="min", factor=0.1, patience=10, threshold=1e-4,
                 threshold_mode="rel", cooldown=0, min_lr=0, eps=1e-8):
        _real("factor", factor)
        if factor >= 1.0:
            raise ValueError("Factor should be < 1.0.")
        _real("factor", factor, 0)
        self.optimizer = _optimizer(optimizer)
        n = len(optimizer.param_groups)
        if isinstance(min_lr, (list, tuple)):
            if len(min_lr) != n:
                raise ValueError(f"expected {n} min_lrs, got {len(min_lr)}")
            self.default_min_lr = None
            self.min_lrs = _reals("min_lr", min_lr, n)
        else:
            self.default_min_lr = _real("min_lr", min_lr, 0)
            self.min_lrs = [min_lr] * n
        self.factor = factor
        self.patience = _integer("patience", patience, 0)
        self.cooldown = _integer("cooldown", cooldown, 0)
        self.eps = _real("eps", eps, 0)
        self.last_epoch = 0
        self._last_lr = [group["lr"] for group in optimizer.param_groups]
        self._init_is_better(mode, _real("threshold", threshold, 0), threshold_mode)
        self.best = self.mode_worse
        self.cooldown_counter = 0
        self.num_bad_epochs = 0

    def _init_is_better(self, mode, threshold, threshold_mode):
        if mode not in {"min", "max"}:
            raise ValueError("mode " + str(mode) + " is unknown!")
        if threshold_mode not in {"rel", "abs"}:
            raise ValueError("threshold mode " + str(threshold_mode) + " is unknown!")
        self.mode_worse = math.inf if mode == "min" else -math.inf
        self.mode = mode
        self.threshold = threshold
        self.threshold_mode = threshold_mode

    @property
    def in_cooldown(self):
        return self.cooldown_counter > 0

    def is_better(self, a, best):
        """Whether metric ``a`` counts as an improvement on ``best``."""
        if self.mode == "min" and self.threshold_mode == "rel":
            return a < best * (1.0 - self.threshold)
        if self.mode == "min":
            return a < best - self.threshold
        if self.threshold_mode == "rel":
            return a > best * (self.threshold + 1.0)
        return a > best + self.threshold

    def step(self, metrics, epoch=None):
        """Record this epoch's metric (a number) and reduce the lr if it has plateaued.

        Atomic: the metric, the groups' lrs and the new lrs are checked before
        anything is written. ``epoch`` (deprecated in torch) sets ``last_epoch``."""
        if isinstance(metrics, (bool, str, bytes)):
            raise TypeError(f"metrics must be a real number, got {metrics!r}")
        try:
            current = float(metrics)
        except (TypeError, ValueError):
            raise TypeError(f"metrics must be a real number, got {metrics!r}") from None
        best, bad_epochs, cooldown_counter = self.best, self.num_bad_epochs, self.cooldown_counter
        if self.is_better(current, best):
            best, bad_epochs = current, 0
        else:
            bad_epochs += 1
        if cooldown_counter > 0:
            cooldown_counter -= 1
            bad_epochs = 0  # bad epochs in cooldown do not count
        lrs = [_check_group_lr(i, group["lr"])
               for i, group in enumerate(self.optimizer.param_groups)]
        min_lrs = self.min_lrs
        if bad_epochs > self.patience:
            min_lrs = self._min_lrs()
            lrs = [self._reduced(lr, min_lr) for lr, min_lr in zip(lrs, min_lrs)]
            cooldown_counter, bad_epochs = self.cooldown, 0
        lrs = _check_new_lrs(type(self).__name__, lrs, self.optimizer.param_groups)
        if epoch is None:
            last_epoch = self.last_epoch + 1
        else:
            warnings.warn(EPOCH_DEPRECATION_WARNING, UserWarning, stacklevel=2)
            last_epoch = _integer("epoch", epoch, 0)
        # everything is computed (and may have raised); now commit
        for group, lr in zip(self.optimizer.param_groups, lrs):
            group["lr"] = lr
        self.last_epoch = last_epoch
        self.best, self.num_bad_epochs, self.cooldown_counter = best, bad_epochs, cooldown_counter
        self.min_lrs = min_lrs
        self._last_lr = lrs

    def _reduced(self, lr, min_lr):
        """max(η·factor, min_lr), or η itself when that is lower by ``eps`` or less."""
        new_lr = max(float(lr) * self.factor, min_lr)
        return new_lr if float(lr) - new_lr > self.eps else lr

    def _min_lrs(self):
        n = len(self.optimizer.param_groups)
        if n == len(self.min_lrs):
            return self.min_lrs
        if self.default_min_lr is None:
            raise RuntimeError(
                f"The number of param groups in the `optimizer` ({n}) differs from when "
                f"`ReduceLROnPlateau` was initialized ({len(self.min_lrs)}), usually due to a "
                "new param group being added to the optimizer. Please modify the `min_lrs` "
                "field to match the length of the `optimizer` param groups.")
        return [self.default_min_lr] * n

    def _spec(self):
        n = self._groups()
        return {"factor": _factor,
                "default_min_lr": lambda k, v: None if v is None else _real(k, v, 0),
                "min_lrs": lambda k, v: _reals(k, v, min(len(self.min_lrs), n), n),
                "patience": lambda k, v: _integer(k, v, 0),
                "cooldown": lambda k, v: _integer(k, v, 0),
                "eps": lambda k, v: _real(k, v, 0),
                "last_epoch": lambda k, v: _integer(k, v, 0),
                "_last_lr": lambda k, v: _reals(k, v, 1, n),
                "mode_worse": lambda k, v: _real(k, v, finite=False),
                "mode": _choice("min", "max"),
                "threshold": lambda k, v: _real(k, v, 0),
                "threshold_mode": _choice("rel", "abs"),
                "best": lambda k, v: _real(k, v, finite=False),
                "cooldown_counter": lambda k, v: _integer(k, v, 0),
                "num_bad_epochs": lambda k, v: _integer(k, v, 0)}

    def load_state_dict(self, state_dict):
        super().load_state_dict(state_dict)
        # as torch: mode_worse follows from mode
        self._init_is_better(self.mode, self.threshold, self.threshold_mode)


def _factor(name, value):
    if not 0 <= _real(name, value) < 1:
        raise ValueError(f"{name} must be in [0, 1), got {value}")
    return value


def _choice(*allowed):
    def check(name, value):
        if value not in allowed:
            raise ValueError(f"{name} must be one of {list(allowed)}, got {value!r}")
        return value
    return check
