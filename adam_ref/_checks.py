"""Input checks shared by the functional steps and the optimizer layer.

They live here so that the step functions stay one equation per line.
"""

import numbers

import numpy as np


def float_array(value, what):
    """``value`` as a floating ndarray, or TypeError naming its dtype."""
    array = np.asarray(value)
    if array.dtype.kind != "f":
        raise TypeError(
            f"{what} must hold floating-point numbers (float16, float32 or float64), "
            f"got dtype {array.dtype}")
    return array


def step_inputs(theta, grad, arrays=(), *, state_name="state"):
    """Check θ, the gradient and the state arrays of a step; return θ and a copy of g.

    The gradient is copied (and cast to θ's dtype) so that a trace never aliases an
    array the caller may later change in place.
    """
    theta = float_array(theta, "theta")
    g = float_array(grad, "grad")
    if g.shape != theta.shape:
        raise ValueError(f"grad has shape {g.shape} but theta has shape {theta.shape}")
    for name, array in arrays:
        if array is None:
            continue
        array = float_array(array, f"{state_name}.{name}")
        if array.shape != theta.shape:
            raise ValueError(f"{state_name}.{name} has shape {array.shape} "
                             f"but theta has shape {theta.shape}")
    return theta, np.array(g, dtype=theta.dtype)


def check_state(state, kind):
    """``state`` must be a ``kind`` (as the matching ``*_init`` makes it) with t ≥ 0 whole."""
    if not isinstance(state, kind):
        raise TypeError(f"state must be of type {kind.__name__} (start from the matching *_init), "
                        f"got {type(state).__name__}")
    t = state.t
    if isinstance(t, (bool, np.bool_)) or not isinstance(t, numbers.Integral) or t < 0:
        raise ValueError(f"{kind.__name__}.t must be a whole number >= 0, got {state.t!r}")


# torch's messages for out-of-range values; NaN is out of every range
_RANGE_MESSAGES = {
    "lr": "Invalid learning rate", "eps": "Invalid epsilon value",
    "weight_decay": "Invalid weight_decay value", "momentum": "Invalid momentum value",
    "dampening": "Invalid dampening value", "alpha": "Invalid alpha value",
    "beta1": "Invalid beta parameter at index 0", "beta2": "Invalid beta parameter at index 1",
}


def _check_range(name, value):
    below_one = name in ("beta1", "beta2")  # 0 ≤ β < 1; every other one only ≥ 0
    if type(value) is float:
        ok = 0.0 <= value < 1.0 if below_one else 0.0 <= value
    else:
        mask = (value >= 0) & (value < 1) if below_one else value >= 0
        ok = bool(np.all(mask))
        if not ok:
            value = value[~mask].flat[0]
    if not ok:
        raise ValueError(f"{_RANGE_MESSAGES[name]}: {value}")


def hyper(value, theta, name="hyperparameter"):
    """A hyperparameter as a Python float, or as an array of θ's dtype when it is one.

    Python floats keep float32 arithmetic in float32 (NumPy's weak scalars); arrays let
    K settings broadcast against θ of shape (K, ...), and must not change θ's shape.
    Known names are held to torch's ranges (lr ≥ 0, 0 ≤ β < 1, ...).
    """
    if type(value) is not float:  # the common case skips the conversions: steps are hot loops
        if isinstance(value, (bool, np.bool_)):
            raise TypeError(f"{name} must be a real number, got {value!r}")
        if np.ndim(value) == 0:
            if not isinstance(value, (numbers.Real, np.ndarray, np.generic)):
                raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
            value = float(value)
        else:
            value = float_array(value, name).astype(theta.dtype, copy=False)
            if np.broadcast_shapes(value.shape, theta.shape) != theta.shape:
                raise ValueError(f"{name} has shape {value.shape}, which would change theta's "
                                 f"shape {theta.shape} when broadcast against it")
    if name in _RANGE_MESSAGES:
        _check_range(name, value)
    return value


def hypers(theta, **named):
    """Each named hyperparameter through :func:`hyper`, in the order given."""
    return tuple(hyper(value, theta, name) for name, value in named.items())


def check_flags(**named):
    """Switches must be True or False: a string such as "no" would count as true."""
    for name, value in named.items():
        if not isinstance(value, (bool, np.bool_)):
            raise TypeError(f"{name} must be True or False, got {value!r}")


def any_nonzero(value):
    """True when a (scalar or array) hyperparameter is anywhere nonzero."""
    if type(value) is float:
        return value != 0.0
    return bool(np.any(np.asarray(value) != 0))
