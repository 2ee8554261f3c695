"""The one validation point: every check a step makes, for every path that takes a step.

A step function's first line is ``check(SPEC, locals())``; the optimizer classes
call :func:`check_hypers` on their groups, and the fused path calls it on the
values of the current step. Nothing else checks a hyperparameter, so every path
refuses the same values with the same messages.
"""

import numbers
import operator

import numpy as np

__all__ = ["check", "check_hypers", "check_flag", "check_count", "float_array", "any_nonzero"]

MAX_STEP = 2 ** 53  # beyond this t + 1 is not exact in floating point; β^t underflowed long before


def float_array(value, what, *, param=False):
    """``value`` as a floating ndarray, or TypeError naming its dtype.

    With ``param`` (θ, a Param's data, state arrays) float16 is refused: NumPy
    would overflow in v̂ = v/(1 − β2^t) where torch computes in float32.
    """
    array = np.asarray(value)
    kind = array.dtype.kind
    if kind != "f" or (param and array.dtype == np.float16):
        supported = "float32 or float64" if param else "float16, float32 or float64"
        extra = ("; float16 is not supported (cast to float32: it would overflow where torch "
                 "computes in float32)" if kind == "f" else "")
        raise TypeError(f"{what} must hold floating-point numbers ({supported}), "
                        f"got dtype {array.dtype}{extra}")
    return array


def check_count(value, what):
    """A step count: a whole number 0 ≤ t ≤ 2**53 (int, NumPy integer or whole float), as int."""
    if (isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Real, np.ndarray))
            or np.ndim(value) != 0 or np.asarray(value).dtype.kind not in "iuf"):
        raise ValueError(f"{what} must be a whole number >= 0, got {value!r}")
    number = float(value) if np.asarray(value).dtype.kind == "f" else int(value)
    if not (0 <= number <= MAX_STEP) or number != int(number):
        raise ValueError(f"{what} must be a whole number from 0 to 2**53, got {value!r}")
    return int(number)


def check_flag(name, value, allow_none=False):
    """A switch must be True or False (or None where torch's default is None)."""
    if not (isinstance(value, (bool, np.bool_)) or (allow_none and value is None)):
        raise TypeError(f"{name} must be True or False, got {value!r}")


def _hyper(value, hyper, like):
    """One hyperparameter as a Python float, or as an array; ``like`` is θ's (shape, dtype)."""
    if type(value) is not float:  # the common case skips the conversions: steps are hot loops
        if (isinstance(value, (bool, np.bool_))
                or not isinstance(value, (numbers.Real, np.ndarray, np.generic))
                or np.asarray(value).dtype.kind not in "iuf"):
            raise TypeError(f"{hyper.name} must be a real number, got {value!r}")
        if np.ndim(value) == 0:
            value = float(value)
        elif like is None:
            raise TypeError(f"{hyper.name} must be a real number, got an array of shape "
                            f"{np.shape(value)} (arrays of settings are for the functional steps)")
        else:  # K settings at once: an array of θ's dtype, θ's shape kept
            value = np.asarray(value).astype(like[1], copy=False)
            try:
                fits = np.broadcast_shapes(value.shape, like[0]) == like[0]
            except ValueError:
                fits = False
            if not fits:
                raise ValueError(f"{hyper.name} has shape {value.shape}, which does not "
                                 f"broadcast to theta's shape {like[0]} without changing it")
    if type(value) is float:
        ok = ((0.0 <= value < 1.0) if hyper.below_one else
              (0.0 <= value <= 1.0) if hyper.at_most_one else (0.0 <= value))
    else:
        mask = ((value >= 0) & (value < 1) if hyper.below_one else
                (value >= 0) & (value <= 1) if hyper.at_most_one else value >= 0)
        ok = bool(mask.all())
        if not ok:
            value = value[~mask].flat[0]
    if not ok:
        raise ValueError(f"{hyper.message}: {value}")
    return value


def check_hypers(spec, values, theta=None):
    """Each of ``spec``'s hyperparameters in ``values`` (the step's keywords), checked,
    then its switches and its cross-rule.

    Returns the hyperparameters in the spec's order, as Python floats — or, when θ is
    given (a functional step), as arrays of θ's dtype that broadcast to θ's shape.
    """
    like = None if theta is None else (theta.shape, theta.dtype)
    checked = tuple(_hyper(values[h.name], h, like) for h in spec.hypers)
    for name in spec.flags:
        check_flag(name, values[name])
    for name in spec.options:  # adam_ref's own switches: only a step has them
        if name in values:
            check_flag(name, values[name])
    if spec.rule is not None:
        spec.rule(dict(zip((h.name for h in spec.hypers), checked))
                  | {name: values[name] for name in spec.flags})
    return checked


_CHECKED = {}  # spec name → (the last call's hyperparameter objects, their checked values)
_SCALARS = (float, int, bool)


def _checked_hypers(spec, args, theta):
    """:func:`check_hypers`, skipped when every value is the very object the last call of this
    step checked and an immutable Python number (one identity comparison each): a value that
    changes is a new object, so it is checked the moment it appears."""
    names = spec.__dict__.get("_check_names")
    if names is None:
        names = tuple(h.name for h in spec.hypers) + spec.flags + spec.options
        object.__setattr__(spec, "_check_names", names)
    given = tuple(args.get(name) for name in names)
    last = _CHECKED.get(spec.name)
    if last is not None and all(map(operator.is_, last[0], given)):
        return last[1]
    values = check_hypers(spec, args, theta)
    if all(type(value) in _SCALARS for value in given):
        _CHECKED[spec.name] = (given, values)
    return values


def check(spec, args):
    """Everything a step checks, in one call: ``theta, g, state, *hyperparameters``.

    ``args`` is the step's ``locals()``. θ must be float32 or float64; the gradient
    is copied (and cast to θ's dtype) so that a trace never aliases an array the
    caller may change; the state must be ``spec.state`` with arrays of θ's shape
    and dtype and a whole step count (returned as a Python int); hyperparameters
    are checked by :func:`check_hypers` against θ.
    """
    theta = float_array(args["theta"], "theta", param=True)
    g = float_array(args["grad"], "grad")
    if g.shape != theta.shape:
        raise ValueError(f"grad has shape {g.shape} but theta has shape {theta.shape}")
    state = args["state"]
    if not isinstance(state, spec.state):
        raise TypeError(f"state must be of type {spec.state.__name__} (start from "
                        f"{spec.init.__name__}(theta)), got {type(state).__name__}")
    values = _checked_hypers(spec, args, theta)
    for f in spec.state_fields:
        array = getattr(state, f.field)
        if f.scalar:
            _check_state_scalar(spec, f, array, theta)
        elif not (type(array) is np.ndarray and array.shape == theta.shape
                and array.dtype == theta.dtype):
            _check_state_array(spec, f, array, theta, values, args)
    if type(state.t) is not int:
        state = state._replace(t=check_count(state.t, f"{spec.state.__name__}.t"))
    elif not 0 <= state.t < MAX_STEP:
        check_count(state.t, f"{spec.state.__name__}.t")
    return (theta, np.array(g, dtype=theta.dtype), state, *values)


def _check_state_array(spec, f, array, theta, values, args):
    if array is None:  # ``args`` holds every hyperparameter and switch by the step's names
        if f.zeros and (f.when is None or f.when(args)):
            raise ValueError(f"state.{f.field} is None, but this step needs it: start from "
                             f"{spec.init.__name__}(theta)")
        return
    array = float_array(array, f"state.{f.field}", param=True)
    if array.shape != theta.shape or array.dtype != theta.dtype:
        raise ValueError(f"state.{f.field} has shape {array.shape} and dtype {array.dtype} "
                         f"but theta has shape {theta.shape} and dtype {theta.dtype}")


def _check_state_scalar(spec, f, value, theta):
    """A number per param (NAdam's μ-product): a real number, or — with arrays of
    settings — a floating array of θ's dtype that broadcasts to θ's shape."""
    if type(value) is float:
        return
    if value is None:
        raise ValueError(f"state.{f.field} is None, but this step needs it: start from "
                         f"{spec.init.__name__}(theta)")
    array = np.asarray(value) if isinstance(value, (numbers.Real, np.ndarray, np.generic)) else None
    if array is None or isinstance(value, (bool, np.bool_)) or array.dtype.kind not in "iuf":
        raise TypeError(f"state.{f.field} must be a real number, got {value!r}")
    if array.ndim == 0:
        return
    try:
        fits = np.broadcast_shapes(array.shape, theta.shape) == theta.shape
    except ValueError:
        fits = False
    if array.dtype.kind != "f" or array.dtype != theta.dtype or not fits:
        raise ValueError(f"state.{f.field} is one number per param (floating, or an array of "
                         f"theta's dtype that broadcasts to theta's shape for arrays of "
                         f"settings), got shape {array.shape} and dtype {array.dtype}; theta "
                         f"has shape {theta.shape} and dtype {theta.dtype}")


def any_nonzero(value):
    """True when a (scalar or array) hyperparameter is anywhere nonzero."""
    if type(value) is float:
        return value != 0.0
    return bool(np.any(value != 0))
