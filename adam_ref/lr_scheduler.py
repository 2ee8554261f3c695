r"""Learning-rate schedulers that do what ``torch.optim.lr_scheduler`` (2.13) does.

Each scheduler writes ``optimizer.param_groups[i]["lr"]``. With η₀ = the group's
``initial_lr`` and e = ``last_epoch`` (the number of ``step()`` calls so far):

- :class:`StepLR`            η_e = η₀·γ^⌊e / step_size⌋
- :class:`MultiStepLR`       η_e = η₀·γ^(number of milestones ≤ e)
- :class:`ExponentialLR`     η_e = η₀·γ^e
- :class:`CosineAnnealingLR` η_e = η_min + ½(η₀ − η_min)(1 + cos(π·e / T_max))
- :class:`LinearLR`          η_e = η₀·(f₀ + (f₁ − f₀)·min(e, T) / T)
- :class:`LambdaLR`          η_e = η₀·λ(e)
- :class:`ReduceLROnPlateau` η ← max(η·factor, η_min) after more than ``patience``
  steps without a metric better than the best by ``threshold``

Like torch, all but LambdaLR compute η_e from the current ``group["lr"]`` (the
"chainable" form: η_e = η_{e−1}·γ, ...), not from the closed form above, so a
sequence agrees with torch's to the last bit, and a scheduler composes with
other changes made to ``lr``. The constructor takes the first step (e = 0) and
stores ``initial_lr`` in every group.
"""

import math
import numbers
from collections import Counter

from .optim.optimizer import Optimizer

__all__ = ["LRScheduler", "StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR",
           "LinearLR", "LambdaLR", "ReduceLROnPlateau"]


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


def _reals(name, value, length, most=None):
    # groups added after the scheduler was built have no entry yet: between length and most
    most = length if most is None else most
    if not isinstance(value, (list, tuple)) or not length <= len(value) <= most:
        count = length if length == most else f"{length} to {most}"
        raise ValueError(f"{name} must be a list of {count} numbers (one per param group), "
                         f"got {value!r}")
    return [_real(f"{name}[{i}]", v, 0) for i, v in enumerate(value)]


def _optimizer(optimizer):
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
    return optimizer


# torch's state dicts also hold these transient flags; they are False between calls
_TORCH_FLAGS = ("_is_initial", "_get_lr_called_within_step")


# --------------------------------------------------------------------------- base class

class LRScheduler:
    """Base class: ``step()``, ``get_last_lr()``, ``state_dict()``, ``load_state_dict()``.

    A subclass sets its arguments, then calls ``__init__`` here, and defines
    ``get_lr()`` (the new lr of every group) and ``_spec()`` (its own
    state-dict entries and how to check them).
    """

    def __init__(self, optimizer, last_epoch=-1):
        _optimizer(optimizer)
        _integer("last_epoch", last_epoch, -1)
        if last_epoch >= 0:
            for i, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise KeyError(f"param 'initial_lr' is not specified in param_groups[{i}] "
                                   "when resuming scheduler with last_epoch >= 0.")
        self.optimizer = optimizer
        self.base_lrs = [group.get("initial_lr", group["lr"]) for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._step_count = 0
        self._is_initial = True  # torch's first step may differ from the later ones
        self.step()
        self._is_initial = False
        # set once the first step has succeeded, so that a failed constructor changes nothing
        for group, eta_0 in zip(optimizer.param_groups, self.base_lrs):
            group.setdefault("initial_lr", eta_0)

    def get_lr(self):
        """The lr of every param group at epoch ``last_epoch``."""
        raise NotImplementedError

    def get_last_lr(self):
        """The lrs the last ``step()`` wrote, one per param group (a new list)."""
        return list(self._last_lr)

    def step(self):
        """Advance one epoch and write the new lr into every param group."""
        self._step_count += 1
        self.last_epoch += 1
        lrs = self.get_lr()
        for group, lr in zip(self.optimizer.param_groups, lrs):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    # ------------------------------------------------------------- state dicts
    def _groups(self):
        return len(self.optimizer.param_groups)

    def _spec(self):
        """Each state-dict key, with the function that checks (and copies) its value."""
        n, m = self._groups(), len(self.base_lrs)  # m: the groups when it was built
        return {"base_lrs": lambda k, v: _reals(k, v, m),
                "last_epoch": lambda k, v: _integer(k, v, 0),
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
        self.__dict__.update(checked)

    def _ignored(self, state_dict):
        """Keys of torch's state dicts that carry nothing adam_ref keeps."""
        return [k for k in _TORCH_FLAGS if state_dict.get(k) is False]


# --------------------------------------------------------------------------- schedules

class StepLR(LRScheduler):
    """η ← η·γ every ``step_size`` epochs (chainable: η_e = η_{e−1}·γ when e % step_size == 0)."""

    def __init__(self, optimizer, step_size, gamma=0.1, last_epoch=-1):
        _optimizer(optimizer)
        self.step_size = _integer("step_size", step_size, 1)
        self.gamma = _real("gamma", gamma, 0)
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return [group["lr"] for group in self.optimizer.param_groups]
        return [group["lr"] * self.gamma for group in self.optimizer.param_groups]

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

    def get_lr(self):
        if self.last_epoch not in self.milestones:
            return [group["lr"] for group in self.optimizer.param_groups]
        return [group["lr"] * self.gamma ** self.milestones[self.last_epoch]
                for group in self.optimizer.param_groups]

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


class ExponentialLR(LRScheduler):
    """η ← η·γ every epoch."""

    def __init__(self, optimizer, gamma, last_epoch=-1):
        _optimizer(optimizer)
        self.gamma = _real("gamma", gamma, 0)
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        # resuming (last_epoch >= 0) must not move the lr one step ahead of itself
        if self._is_initial:
            return [group["lr"] for group in self.optimizer.param_groups]
        return [group["lr"] * self.gamma for group in self.optimizer.param_groups]

    def _spec(self):
        return {"gamma": lambda k, v: _real(k, v, 0), **super()._spec()}


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

    def get_lr(self):
        e, T, eta_min = self.last_epoch, self.T_max, self.eta_min
        groups = self.optimizer.param_groups
        if self._is_initial:
            return [group["lr"] for group in groups]
        if (e - 1 - T) % (2 * T) == 0:
            return [group["lr"] + (eta_0 - eta_min) * (1 - math.cos(math.pi / T)) / 2
                    for eta_0, group in zip(self.base_lrs, groups)]
        return [(1 + math.cos(math.pi * e / T)) / (1 + math.cos(math.pi * (e - 1) / T))
                * (group["lr"] - eta_min) + eta_min for group in groups]

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

    def get_lr(self):
        e, T, f0, f1 = self.last_epoch, self.total_iters, self.start_factor, self.end_factor
        groups = self.optimizer.param_groups
        if e == 0:
            return [group["lr"] * f0 for group in groups]
        if self._is_initial or e > T:
            return [group["lr"] for group in groups]
        return [group["lr"] * (1.0 + (f1 - f0) / (T * f0 + (e - 1) * (f1 - f0)))
                for group in groups]

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
        if isinstance(lr_lambda, (list, tuple)):
            if len(lr_lambda) != len(optimizer.param_groups):
                raise ValueError(f"Expected {len(optimizer.param_groups)} lr_lambdas, "
                                 f"but got {len(lr_lambda)}")
            lr_lambdas = list(lr_lambda)
        else:
            lr_lambdas = [lr_lambda] * len(optimizer.param_groups)
        for fn in lr_lambdas:
            if not callable(fn):
                raise TypeError(f"lr_lambda must be a function of the epoch, got {fn!r}")
        self.lr_lambdas = lr_lambdas
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        lrs = []
        for lmbda, eta_0 in zip(self.lr_lambdas, self.base_lrs):
            factor = lmbda(self.last_epoch)
            if isinstance(factor, bool) or not isinstance(factor, numbers.Real):
                raise TypeError(f"lr_lambda({self.last_epoch}) must return a real number, "
                                f"got {factor!r}")
            lrs.append(eta_0 * factor)
        return lrs

    def step(self):
        # a lambda that raises must leave last_epoch and the lrs as they were
        saved = self.last_epoch, self._step_count
        try:
            super().step()
        except Exception:
            self.last_epoch, self._step_count = saved
            raise

    def _ignored(self, state_dict):
        ignored = super()._ignored(state_dict)
        saved = state_dict.get("lr_lambdas")
        if isinstance(saved, list) and all(fn is None for fn in saved):
            ignored.append("lr_lambdas")  # torch's placeholder for plain functions
        return ignored


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

    def step(self, metrics):
        """Record this epoch's metric (a number) and reduce the lr if it has plateaued."""
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
        lrs = [group["lr"] for group in self.optimizer.param_groups]
        min_lrs = self.min_lrs
        if bad_epochs > self.patience:
            min_lrs = self._min_lrs()
            lrs = [self._reduced(lr, min_lr) for lr, min_lr in zip(lrs, min_lrs)]
            cooldown_counter, bad_epochs = self.cooldown, 0
        # everything is computed (and may have raised); now commit
        for group, lr in zip(self.optimizer.param_groups, lrs):
            group["lr"] = lr
        self.last_epoch += 1
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
