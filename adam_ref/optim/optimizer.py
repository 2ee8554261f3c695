"""``Param`` and the ``Optimizer`` base class, mirroring ``torch.optim.Optimizer``.

The math lives in :mod:`adam_ref.functional`; a subclass only says how to turn
its torch-named state into a functional state and back (``_update``), how to
start a state (``_init_state``) and which hyperparameter values are valid
(``_check_group``). The base class makes every step and every load atomic:
all gradients and all loaded values are checked, and all new values computed,
before anything is written.
"""

import copy
import functools
import inspect
import itertools
import numbers
import operator
from collections import OrderedDict, defaultdict

import numpy as np

from ..functional._validate import check_count, check_flag, check_hypers, float_array

__all__ = ["Param", "Optimizer", "AlgorithmOptimizer", "RemovableHandle"]


class Param:
    """A parameter: ``data`` (a floating ndarray, updated in place) and ``grad``.

    ``data`` keeps its identity for the life of the Param: optimizers write into
    it, so views and references a user holds see every step. ``grad`` is None
    or an array of the same shape, set by your backward pass.
    """

    def __init__(self, data, name=None):
        self.data = data
        self.grad = None
        self.name = name

    @property
    def data(self):
        return self._data

    @data.setter
    def data(self, value):
        array = float_array(value, "Param data", param=True)
        if not array.flags.writeable:
            raise ValueError("Param data is a read-only array; optimizers update it in "
                             "place, so pass a writeable copy (np.array(data))")
        self._data = array

    def zero_grad(self, set_to_none=True):
        """What ``optimizer.zero_grad()`` and ``module.zero_grad()`` do to each Param: the
        grad becomes None, or zeros (in place where the grad array is writeable)."""
        if self.grad is None:
            return
        if set_to_none:
            self.grad = None
        elif isinstance(self.grad, np.ndarray) and self.grad.flags.writeable:
            self.grad[...] = 0
        else:
            self.grad = np.zeros_like(self._data)

    @property
    def shape(self):
        return self._data.shape

    @property
    def dtype(self):
        return self._data.dtype

    def __repr__(self):
        name = f"{self.name!r}, " if self.name is not None else ""
        return f"Param({name}shape={self.shape}, dtype={self.dtype})"


class RemovableHandle:
    """What every ``register_*_hook`` returns: ``remove()`` takes the hook out again.

    Also a context manager (the hook is removed on leaving the ``with`` block), as
    ``torch.utils.hooks.RemovableHandle``.
    """

    _ids = itertools.count()

    def __init__(self, hooks):
        self._hooks = hooks
        self.id = next(RemovableHandle._ids)

    def remove(self):
        self._hooks.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def _register(hooks, hook, prepend=False):
    if not callable(hook):
        raise TypeError(f"a hook must be callable, got {type(hook).__name__}")
    handle = RemovableHandle(hooks)
    hooks[handle.id] = hook
    if prepend:
        hooks.move_to_end(handle.id, last=False)
    return handle


def _hooked(step):
    """``step`` running the optimizer's step hooks around it, as torch wraps every step.

    Pre-hooks run first and may return ``(new_args, new_kwargs)`` (``args`` starts
    with the optimizer, as in torch); post-hooks run after a step that returned. A
    step that calls ``super().step()`` runs the hooks once.
    """
    @functools.wraps(step)
    def wrapper(*args, **kwargs):
        self = args[0]
        if self.__dict__.get("_in_step"):
            return step(*args, **kwargs)
        for hook in list(self._optimizer_step_pre_hooks.values()):
            result = hook(self, args, kwargs)
            if result is not None:
                if isinstance(result, tuple) and len(result) == 2:
                    args, kwargs = result
                else:
                    raise RuntimeError(f"{step} must return None or a tuple of "
                                       f"(new_args, new_kwargs), but got {result}.")
        self._in_step = True
        try:
            out = step(*args, **kwargs)
        finally:
            self._in_step = False
        if self._optimizer_step_post_hooks:
            for hook in list(self._optimizer_step_post_hooks.values()):
                hook(self, args, kwargs)
        return out
    wrapper.hooked = True
    return wrapper


# values that cannot change behind the cache's back
_IMMUTABLE = (float, int, bool, type(None))

# what the switches that cannot be honoured would need
_REFUSED = {"capturable": "capturable=True cannot be honoured: it captures the step in a CUDA "
                          "graph, and adam_ref runs NumPy on the CPU",
            "differentiable": "differentiable=True cannot be honoured: adam_ref has no autograd, "
                              "so a step cannot be differentiated through"}
#: torch's switches that choose how a step is computed, with torch's defaults
SWITCHES = {"foreach": None, "capturable": False, "differentiable": False, "fused": None}


def check_switches(group):
    """``foreach`` / ``fused`` (None, True or False) only ask for speed and are accepted;
    ``capturable`` / ``differentiable`` must be False: True cannot be honoured."""
    for name in ("foreach", "fused"):
        if name in group:
            check_flag(name, group[name], allow_none=True)
    for name, message in _REFUSED.items():
        if name in group:
            check_flag(name, group[name])
            if group[name]:
                raise ValueError(message)
    if group.get("fused") and group.get("foreach"):
        raise ValueError("`fused` and `foreach` cannot be `True` together.")


# torch's message; torch takes a set at the top level, but its order varies from run to run
_SET_MESSAGE = ("optimizer parameters need to be organized in ordered collections, but the "
                "ordering of tensors in sets will change between runs. Please use a list instead.")


def _owner(array):
    """The array whose memory ``array`` views (itself if it owns it, or if memory is foreign)."""
    while isinstance(array.base, np.ndarray):
        array = array.base
    return array


class Optimizer:
    """Base class: ``param_groups``, ``state``, ``step``, ``zero_grad``, ``state_dict``.

    ``params`` is an iterable of :class:`Param`, of ``(name, Param)`` pairs (as
    ``named_parameters()`` yields; the names are kept in the group's
    ``param_names``), or of dicts holding ``"params"`` and per-group
    hyperparameters. ``state`` is a ``defaultdict(dict)``, as torch's.

    torch's switches are accepted with torch's defaults (keyword-only here, where
    some of torch's are positional): ``foreach`` and ``fused`` only ask for speed
    and have no effect in NumPy (except ``Adam(fused=True)``, an in-place path);
    ``capturable=True`` (CUDA graphs) and ``differentiable=True`` (autograd through
    the step) cannot be honoured and are refused. ``register_step_pre_hook``,
    ``register_step_post_hook``, ``register_state_dict_pre_hook`` / ``_post_hook``
    and ``register_load_state_dict_pre_hook`` / ``_post_hook`` work as torch's and
    return a handle with ``remove()``. ``check_finite=True`` (the default) refuses a
    step when a gradient holds NaN or inf; ``False`` lets NaN propagate as torch does.
    After each step, ``last_trace[p]`` holds the trace of ``p``'s update.
    """

    #: state entries that hold arrays shaped like the param (torch's names)
    _array_state_keys = ()
    #: those of them that can never be negative (averages of squares)
    _nonnegative_state_keys = ()
    #: state entries that are one number per param (NAdam's ``mu_product``)
    _scalar_state_keys = ()

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        step = cls.__dict__.get("step")
        if callable(step) and not getattr(step, "hooked", False):
            cls.step = _hooked(step)  # as torch patches every optimizer's step

    def __init__(self, params, defaults, *, check_finite=True):
        self.defaults = dict(defaults)
        check_flag("check_finite", check_finite)
        self.check_finite = bool(check_finite)
        self._optimizer_step_pre_hooks = OrderedDict()
        self._optimizer_step_post_hooks = OrderedDict()
        self._optimizer_state_dict_pre_hooks = OrderedDict()
        self._optimizer_state_dict_post_hooks = OrderedDict()
        self._optimizer_load_state_dict_pre_hooks = OrderedDict()
        self._optimizer_load_state_dict_post_hooks = OrderedDict()
        self.state = defaultdict(dict)  # as torch: ``state[p]`` is {} before p's first step
        self.param_groups = []
        self.last_trace = {}
        if isinstance(params, (Param, np.ndarray, dict)):
            raise TypeError("params argument given to the optimizer should be an iterable of "
                            f"Params or dicts, but got {type(params).__name__}"
                            + ("; wrap each array in adam_ref.Param(array)"
                               if isinstance(params, np.ndarray) else ""))
        if isinstance(params, (set, frozenset)):
            raise TypeError(_SET_MESSAGE)
        groups = list(params)
        if len(groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    # ------------------------------------------------------------- groups
    def add_param_group(self, param_group):
        """Add a group of params with its own hyperparameters (defaults fill the rest)."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        if "params" not in param_group:
            raise ValueError("param_group must hold the key 'params'")
        params = param_group["params"]
        if isinstance(params, Param):
            params = [params]
        elif isinstance(params, (set, frozenset)):
            raise TypeError(_SET_MESSAGE)
        elif isinstance(params, np.ndarray):
            params = [params]
        else:
            params = list(params)
        names = [p[0] for p in params if isinstance(p, tuple) and len(p) == 2]
        params = [p[1] if isinstance(p, tuple) and len(p) == 2 else p for p in params]
        if names and len(names) != len(params):
            raise ValueError("all optimizer params should be with/without names. "
                             "Some param names are missing")
        for p in params:
            if not isinstance(p, Param):
                raise TypeError("optimizer can only optimize Params, but one of the params is "
                                f"{type(p).__module__}.{type(p).__name__}; wrap each array in "
                                "adam_ref.Param(array)")
        group = {**self.defaults, **param_group, "params": params}
        if names:
            group["param_names"] = names
        for other in self.param_groups:
            if ("param_names" in group) != ("param_names" in other):
                raise ValueError("all optimizer param groups should be with/without names. "
                                 "cannot add param group "
                                 f"{'with' if names else 'without'} names to the optimizer")
        self._check_fused(group)
        check_switches(group)
        self._check_group(group)
        if len({id(p) for p in params}) != len(params):
            raise ValueError("optimizer contains a parameter group with duplicate parameters")
        taken = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in taken for p in params):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(group)

    def _check_group(self, group):
        """Raise ValueError (torch's message) for an invalid hyperparameter value."""

    def _check_fused(self, group):
        if group.get("fused") and "fused" not in self.defaults:
            raise ValueError(f"{type(self).__name__} has no fused implementation")

    @property
    def _has_inplace(self):
        return type(self)._inplace_args is not Optimizer._inplace_args

    # ------------------------------------------------------------- stepping
    @staticmethod
    def _label(p, index):
        return f"param {index}" + (f" ({p.name!r})" if p.name is not None else "")

    def _checked_grad(self, p, index):
        data, grad = p.data, p.grad
        if type(grad) is not np.ndarray:
            try:
                grad = np.asarray(grad)
            except (TypeError, ValueError) as error:
                raise ValueError(f"{self._label(p, index)}: grad is not an array "
                                 f"({error})") from None
        if not data.flags.writeable:
            raise ValueError(f"{self._label(p, index)}: data is a read-only array; "
                             "optimizers update it in place")
        if grad.dtype.kind != "f":
            raise TypeError(f"{self._label(p, index)}: grad must hold floating-point numbers, "
                            f"got dtype {grad.dtype}")
        if grad.shape != data.shape:
            raise ValueError(f"{self._label(p, index)}: grad has shape {grad.shape} but the "
                             f"param has shape {data.shape}")
        cast = ""
        if grad.dtype != data.dtype:
            with np.errstate(over="ignore"):  # an overflow becomes inf, refused just below
                grad = grad.astype(data.dtype)
            cast = f" (after the cast to {data.dtype})"
        bad = grad.size - np.count_nonzero(np.isfinite(grad)) if self.check_finite else 0
        if bad:
            step = self.state.get(p, {}).get("step", 0) + 1
            raise FloatingPointError(
                f"{self._label(p, index)}: grad has {bad} non-finite value"
                f"{'s' if bad != 1 else ''} (NaN or inf){cast} of {grad.size} at step {step}; "
                "nothing was updated (pass check_finite=False to let NaN propagate as torch does)")
        return grad

    def _check_decayed(self, group, p, grad, index):
        """With L2 weight decay, g + λ·θ must be finite too: a finite gradient and a large
        λ·θ can overflow, and the NaN would then reach every state array."""
        weight_decay = group.get("weight_decay", 0)
        if type(weight_decay) in (int, float) and weight_decay == 0:
            return  # the common case, without conversions
        weight_decay = np.asarray(weight_decay)
        if (group.get("decoupled_weight_decay") is True or weight_decay.dtype.kind not in "iuf"
                or not np.all(np.isfinite(weight_decay) & (weight_decay >= 0))
                or not np.any(weight_decay != 0)):
            return  # no decay, or a value the step itself refuses with its own message
        with np.errstate(over="ignore", invalid="ignore"):
            decayed = grad + np.asarray(weight_decay, dtype=p.data.dtype) * p.data
        if not np.all(np.isfinite(decayed)):
            raise FloatingPointError(
                f"{self._label(p, index)}: grad + weight_decay * param overflows "
                f"{p.data.dtype} (non-finite) at step {self.state.get(p, {}).get('step', 0) + 1}; "
                "nothing was updated (pass check_finite=False to let it propagate as torch does)")

    @_hooked
    def step(self, closure=None):
        """Update every param that has a grad; return ``closure()``'s loss if given.

        Atomic: every grad is checked and every new value computed before any
        param or state entry is written, so a step that raises changes nothing.
        Groups that ``_in_place`` selects (``fused=True``) are updated in place, after
        all checks and before any traced write, by the subclass's ``_write_inplace``
        (bit-identical to ``_update``, no trace); in a class without one, ``fused``
        (like ``foreach``) only asks for speed and changes nothing. Step pre-hooks run
        before the step and post-hooks after it, as in torch: a pre-hook's effects stay
        when the step then fails.
        """
        loss = None
        if closure is not None:
            loss = closure()
        work = []
        index = 0
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    grad = self._checked_grad(p, index)
                    if self.check_finite:
                        self._check_decayed(group, p, grad, index)
                    work.append((group, p, grad))
                index += 1
        plan = []
        for group, p, grad in work:
            state = self.state.get(p) or self._init_state(p, group)
            if self._in_place(group):
                # an in-place update cannot be undone: settle its arguments before any write
                args = self._inplace_args(group)
                plan.append((p, grad, self._inplace_state(p, state), args, None))
            else:
                plan.append((p, grad, state, None, self._update(p.data, grad, state, group)))
        if any(args is not None for _, _, _, args, _ in plan):
            plan = self._unaliased(plan)
            # the in-place updates first: each reads its gradient before any param is written
            self._write_inplace([(p, grad, state, args) for p, grad, state, args, result in plan
                                 if args is not None])
        for p, grad, state, args, result in plan:
            if result is None:
                self.state[p] = state
                self.last_trace.pop(p, None)
            else:
                theta_next, self.state[p], self.last_trace[p] = result
                p.data[...] = theta_next
        return loss

    @staticmethod
    def _unaliased(plan):
        """The plan with each in-place update's gradient copied where it shares memory with
        an array that some in-place update writes (a param, a state array): the gradient is
        then read once, now, as the reference step reads it."""
        written = [array for p, _, state, args, _ in plan if args is not None
                   for array in (p.data, *state.values()) if type(array) is np.ndarray]
        if len(written) <= 8:  # a param or two: comparing each pair is the cheapest
            return [(p, grad.copy() if args is not None
                     and any(np.may_share_memory(grad, a) for a in written) else grad,
                     state, args, result) for p, grad, state, args, result in plan]
        # arrays that own their memory never overlap, so a gradient is compared only with
        # the arrays of its owner (and with all of them when memory comes from elsewhere)
        by_owner, foreign = {}, []
        for array in written:
            base = array if array.base is None else _owner(array)
            (foreign if base.base is not None else by_owner.setdefault(id(base), [])).append(array)
        unaliased = []
        for p, grad, state, args, result in plan:
            if args is not None:
                base = grad if grad.base is None else _owner(grad)
                near = written if base.base is not None else by_owner.get(id(base), []) + foreign
                if near and any(np.may_share_memory(grad, a) for a in near):
                    grad = grad.copy()
            unaliased.append((p, grad, state, args, result))
        return unaliased

    def _init_state(self, p, group):
        raise NotImplementedError

    def _update(self, theta, grad, state, group):
        """Return ``(theta_next, state_next, trace)`` without modifying anything."""
        raise NotImplementedError

    def _inplace_state(self, p, state):
        """``state`` ready to be updated in place: every array entry a writeable array of the
        param's shape and dtype, and none shared with a trace (a copy is made when needed)."""
        private = p not in self.last_trace  # after a traced step, the state arrays are the trace's
        data, ready = p.data, state
        for key in self._array_state_keys:
            value = state.get(key)
            if value is None or (private and type(value) is np.ndarray and value.flags.writeable
                                 and value.shape == data.shape and value.dtype == data.dtype):
                continue
            if np.shape(value) != data.shape:
                raise ValueError(f"state {key!r} has shape {np.shape(value)} but the param has "
                                 f"shape {data.shape}")
            ready = dict(ready) if ready is state else ready
            ready[key] = np.array(value, dtype=data.dtype)
        return ready

    def _in_place(self, group):
        """Whether ``group`` is updated in place (``fused=True``, in a class that has an
        in-place path) rather than traced."""
        return bool(group.get("fused")) and self._has_inplace

    def _write_inplace(self, entries):
        """Run the in-place updates ``(p, grad, state, args)``, all checked already."""
        for p, grad, state, args in entries:
            self._update_inplace(p.data, grad, state, args)

    def _inplace_args(self, group):
        """The checked hyperparameters ``_update_inplace`` takes (only with ``fused``)."""
        raise NotImplementedError(f"{type(self).__name__} has no fused implementation")

    def _update_inplace(self, theta, grad, state, args):
        """Update ``theta`` and ``state`` in place; must not fail once args are checked."""
        raise NotImplementedError(f"{type(self).__name__} has no fused implementation")

    def zero_grad(self, set_to_none=True):
        """Reset every grad: to None (the default, as in torch), or to zeros in place."""
        for group in self.param_groups:
            for p in group["params"]:
                p.zero_grad(set_to_none)

    # ------------------------------------------------------------- state dicts
    def state_dict(self):
        """A deep copy of the state and groups, params referred to by index as in torch
        (``param_names`` kept in each group). State-dict pre-hooks run first, post-hooks
        last (one may return a new dict, which is then returned)."""
        for hook in list(self._optimizer_state_dict_pre_hooks.values()):
            hook(self)
        state_dict = self._state_dict()
        for hook in list(self._optimizer_state_dict_post_hooks.values()):
            result = hook(self, state_dict)
            if result is not None:
                state_dict = result
        return state_dict

    def _state_dict(self):
        index = {}
        groups = []
        for group in self.param_groups:
            packed = {k: copy.deepcopy(v) for k, v in group.items() if k != "params"}
            packed["params"] = [index.setdefault(p, len(index)) for p in group["params"]]
            groups.append(packed)
        # an empty entry (a param looked up in ``state`` before its first step) holds nothing
        state = {index[p]: copy.deepcopy(s) for p, s in self.state.items() if p in index and s}
        return {"state": dict(sorted(state.items())), "param_groups": groups}

    def _state_keys(self, group):
        """The state entries a param of ``group`` must have (torch's names)."""
        return ("step",) + self._array_state_keys

    def load_state_dict(self, state_dict):
        """Load a dict from :meth:`state_dict`. Checked in full first; on error nothing changes.

        Load pre-hooks run first, on a shallow copy (one may return a new dict) and
        post-hooks after a load that succeeded, as in torch; what a pre-hook did stays
        when the load then fails. A group saved without a switch (``foreach``, ...)
        takes this optimizer's default, as torch's ``__setstate__`` does.
        """
        if isinstance(state_dict, dict):
            state_dict = state_dict.copy()
        for hook in list(self._optimizer_load_state_dict_pre_hooks.values()):
            result = hook(self, state_dict)
            if result is not None:
                state_dict = result
        self._load_state_dict(state_dict)
        for hook in list(self._optimizer_load_state_dict_post_hooks.values()):
            hook(self)

    def _load_state_dict(self, state_dict):
        if not isinstance(state_dict, dict) or not {"state", "param_groups"} <= set(state_dict):
            raise ValueError("state_dict must be a dict with the keys 'state' and 'param_groups'")
        saved_groups = state_dict["param_groups"]
        if not isinstance(saved_groups, (list, tuple)) or not isinstance(state_dict["state"], dict):
            raise ValueError("state_dict['param_groups'] must be a list and "
                             "state_dict['state'] a dict")
        if len(saved_groups) != len(self.param_groups):
            raise ValueError("loaded state dict has a different number of parameter groups "
                             f"(saved {len(saved_groups)}, optimizer has {len(self.param_groups)})")
        id_map = {}
        new_groups = []
        for i, (saved, group) in enumerate(zip(saved_groups, self.param_groups)):
            if not isinstance(saved, dict) or "params" not in saved:
                raise ValueError(f"loaded parameter group {i} is not a dict with 'params'")
            indices = saved["params"]
            if (not isinstance(indices, (list, tuple))
                    or not all(isinstance(k, numbers.Integral)
                               and not isinstance(k, (bool, np.bool_)) for k in indices)
                    or len(set(indices)) != len(indices) or any(k in id_map for k in indices)):
                raise ValueError(f"loaded parameter group {i}: 'params' must be a list of "
                                 f"distinct param indices, got {indices!r}")
            if len(saved["params"]) != len(group["params"]):
                raise ValueError(
                    "loaded state dict contains a parameter group that doesn't match the size "
                    f"of optimizer's group (group {i}: saved {len(saved['params'])} params, "
                    f"optimizer has {len(group['params'])})")
            missing = set(self.defaults) - set(saved) - set(SWITCHES)
            if missing:
                raise ValueError(f"loaded parameter group {i} lacks {sorted(missing)}")
            new_group = {k: copy.deepcopy(v) for k, v in saved.items() if k != "params"}
            for name in SWITCHES:
                if name in self.defaults:
                    new_group.setdefault(name, self.defaults[name])
            new_group["params"] = group["params"]
            if "param_names" in group and "param_names" not in new_group:
                new_group["param_names"] = group["param_names"]
            if "param_names" in new_group and (
                    not isinstance(new_group["param_names"], (list, tuple))
                    or len(new_group["param_names"]) != len(group["params"])):
                raise ValueError(f"loaded parameter group {i}: 'param_names' must be a list "
                                 "with one name per param")
            try:
                self._check_fused(new_group)
                check_switches(new_group)
                self._check_group(new_group)
            except (TypeError, ValueError) as error:
                raise ValueError(f"loaded parameter group {i}: {error}") from None
            new_groups.append(new_group)
            for index, p in zip(saved["params"], group["params"]):
                id_map[index] = (p, new_group)
        new_state = {}
        for index, saved in state_dict["state"].items():
            if index not in id_map:
                raise ValueError(f"loaded state refers to param {index!r}, which no group holds")
            p, group = id_map[index]
            new_state[p] = self._checked_state(saved, p, group, f"loaded state of param {index}")
        self.param_groups = new_groups
        self.state = defaultdict(dict, new_state)
        self.last_trace = {}

    def _checked_state(self, saved, p, group, label):
        if not isinstance(saved, dict):
            raise ValueError(f"{label} is not a dict")
        missing = [k for k in self._state_keys(group) if k not in saved]
        if missing:
            raise ValueError(f"{label} lacks {missing}")
        state = {}
        for key, value in saved.items():
            if key == "step":
                try:
                    state[key] = check_count(value, f"{label}: 'step'")
                except ValueError as error:
                    raise ValueError(str(error)) from None
            elif key in self._scalar_state_keys:
                state[key] = self._checked_scalar(value, f"{label}: {key!r}")
            elif key in self._array_state_keys:
                array = np.asarray(value)
                if array.dtype.kind != "f":
                    raise ValueError(f"{label}: {key!r} must be a floating array, "
                                     f"got dtype {array.dtype}")
                if array.shape != p.data.shape:
                    raise ValueError(f"{label}: {key!r} has shape {array.shape} but the param "
                                     f"has shape {p.data.shape}")
                if not np.all(np.isfinite(array)):
                    raise ValueError(f"{label}: {key!r} holds NaN or inf")
                if key in self._nonnegative_state_keys and np.any(array < 0):
                    raise ValueError(f"{label}: {key!r} holds negative values; it is a running "
                                     "average of squares, so it is never below 0")
                state[key] = np.array(array, dtype=p.data.dtype)
            else:
                state[key] = copy.deepcopy(value)
        return state

    @staticmethod
    def _checked_scalar(value, label):
        """A number kept per param (NAdam's ``mu_product``), as a float; torch saves it
        as a 0-d tensor, here (or converted from torch) a number or a 0-d array."""
        array = np.asarray(value) if isinstance(value, (numbers.Real, np.ndarray)) else None
        if (array is None or isinstance(value, (bool, np.bool_)) or array.ndim != 0
                or array.dtype.kind not in "iuf"):
            raise ValueError(f"{label} must be a real number (a 0-d array), got {value!r}")
        if not np.isfinite(array):
            raise ValueError(f"{label} holds NaN or inf")
        return float(array)

    # ------------------------------------------------------------- hooks
    def register_step_pre_hook(self, hook):
        """``hook(optimizer, args, kwargs)`` runs before each step; it may return
        ``(new_args, new_kwargs)``. Returns a handle whose ``remove()`` unregisters it."""
        return _register(self._optimizer_step_pre_hooks, hook)

    def register_step_post_hook(self, hook):
        """``hook(optimizer, args, kwargs)`` runs after each step. Returns a handle."""
        return _register(self._optimizer_step_post_hooks, hook)

    def register_state_dict_pre_hook(self, hook, prepend=False):
        """``hook(optimizer)`` runs before :meth:`state_dict` builds its dict."""
        return _register(self._optimizer_state_dict_pre_hooks, hook, prepend)

    def register_state_dict_post_hook(self, hook, prepend=False):
        """``hook(optimizer, state_dict)`` runs on the dict; a dict it returns replaces it."""
        return _register(self._optimizer_state_dict_post_hooks, hook, prepend)

    def register_load_state_dict_pre_hook(self, hook, prepend=False):
        """``hook(optimizer, state_dict)`` runs before a load; a dict it returns is loaded."""
        return _register(self._optimizer_load_state_dict_pre_hooks, hook, prepend)

    def register_load_state_dict_post_hook(self, hook, prepend=False):
        """``hook(optimizer)`` runs after a load that succeeded."""
        return _register(self._optimizer_load_state_dict_post_hooks, hook, prepend)

    def __repr__(self):
        """As torch's: the class name, then each group's settings, sorted by key."""
        text = f"{type(self).__name__} ("
        for i, group in enumerate(self.param_groups):
            text += f"\nParameter Group {i}\n"
            text += "".join(f"    {k}: {group[k]}\n" for k in sorted(group) if k != "params")
        return text + ")"


class AlgorithmOptimizer(Optimizer):
    """An :class:`Optimizer` made from an algorithm's description (``spec``).

    The signature and defaults (torch's names), the group checks, the state keys
    and the mapping between torch's state entries and the functional state all
    come from ``spec``; ``_update`` calls ``spec.step``, which checks the values of
    the current step again, whatever changed them since.
    """

    spec = None
    #: keyword-only arguments of the class beyond the description's (name → default)
    extra_kwargs = {}
    #: torch makes every param's state in the constructor (Adagrad), not at its first step
    eager_state = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        spec = cls.spec
        # the values a step reads from a group, in one C call (a tuple even for one name)
        cls._group_values = staticmethod(operator.itemgetter(
            *spec.torch_args, *spec.torch_kwargs, *SWITCHES))
        cls._array_state_keys = tuple(f.key for f in spec.state_fields if not f.scalar)
        cls._scalar_state_keys = tuple(f.key for f in spec.state_fields if f.scalar)
        cls._nonnegative_state_keys = tuple(f.key for f in spec.state_fields if f.nonnegative)
        if "__init__" in cls.__dict__:  # its own signature (AdamW), which calls the spec's
            cls.__signature__ = None
        else:
            P = inspect.Parameter
            defaults = spec.torch_defaults()
            switches = {n: SWITCHES[n] for n in spec.switches if n not in cls.extra_kwargs}
            cls.__signature__ = cls._signature = inspect.Signature(
                [P("params", P.POSITIONAL_OR_KEYWORD)]
                + [P(n, P.POSITIONAL_OR_KEYWORD, default=defaults[n]) for n in spec.torch_args]
                + [P(n, P.KEYWORD_ONLY, default=defaults[n]) for n in spec.torch_kwargs]
                + [P(n, P.KEYWORD_ONLY, default=d) for n, d in cls.extra_kwargs.items()]
                + [P(n, P.KEYWORD_ONLY, default=d) for n, d in switches.items()]
                + [P("check_finite", P.KEYWORD_ONLY, default=True)])

    def __init__(self, params, *args, **kwargs):
        bound = self._signature.bind(params, *args, **kwargs)
        bound.apply_defaults()
        defaults = dict(bound.arguments)
        params, check_finite = defaults.pop("params"), defaults.pop("check_finite")
        check_switches(defaults)
        self._check_group(defaults)
        super().__init__(params, defaults, check_finite=check_finite)
        if self.eager_state:
            for group in self.param_groups:
                for p in group["params"]:
                    self.state[p] = self._init_state(p, group)

    def _check_group(self, group):
        kwargs = self.spec.step_kwargs(group)
        check_hypers(self.spec, kwargs)
        for name, names in self.spec.pairs.items():
            group[name] = tuple(group[name])
        for name in self.extra_kwargs:
            check_flag(name, group.get(name), allow_none=True)

    def _step_kwargs(self, group):
        """The group's values of this step as the step's keywords, checked by the one
        validation point; re-checked only when a value changed (one identity comparison)."""
        spec = self.spec
        try:
            values = self._group_values(group)
        except KeyError:  # a group without some switch: None, as torch's defaults
            values = tuple(group[name] for name in spec.torch_args + spec.torch_kwargs) + tuple(
                group.get(name) for name in SWITCHES)
        cache = self.__dict__.setdefault("_checked", {})
        seen = cache.get(id(group))
        if seen is not None and all(map(operator.is_, seen[0], values)):
            return seen[1]
        check_switches(group)
        kwargs = spec.step_kwargs(group)
        kwargs.update(zip((h.name for h in spec.hypers), check_hypers(spec, kwargs)))
        flat = [x for v in values for x in (v if type(v) is tuple else (v,))]
        if all(type(x) in _IMMUTABLE for x in flat):  # a 0-d array or a list may change
            cache[id(group)] = (values, kwargs)
        return kwargs

    def _state_keys(self, group):
        return self.spec.state_keys(self.spec.step_kwargs(group))

    def _init_kwargs(self, group):
        """The keywords of ``spec.init`` (Adagrad's ``initial_accumulator_value``)."""
        kwargs = self.spec.step_kwargs(group)
        return {name: kwargs[name] for name in self.spec.init_keywords}

    def _init_state(self, p, group):
        kwargs = self.spec.step_kwargs(group)
        fresh = self.spec.init(p.data, **self._init_kwargs(group))
        return {"step": 0, **{f.key: getattr(fresh, f.field) for f in self.spec.state_fields
                              if f.zeros and (f.when is None or f.when(kwargs))}}

    def _update(self, theta, grad, state, group):
        spec, kwargs = self.spec, self._step_kwargs(group)
        arrays, kept = {}, []
        for f in spec.state_fields:
            if f.when is None or f.when(kwargs):
                kept.append(f)
                # an entry switched on mid-run (amsgrad, momentum, centered) starts from zero
                arrays[f.field] = (state[f.key] if f.key in state
                                   else np.zeros_like(theta) if f.zeros and not f.scalar
                                   else getattr(spec.init(theta), f.field))
            else:
                arrays[f.field] = None
        theta_next, s, trace = spec.step(theta, grad, spec.state(state.get("step", 0), **arrays),
                                         **kwargs)
        state_next = {**state, "step": s.t}
        for f in kept:
            value = getattr(s, f.field)
            if value is not None:
                state_next[f.key] = value
        return theta_next, state_next, trace
