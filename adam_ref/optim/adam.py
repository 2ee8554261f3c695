"""``Adam`` and ``AdamW``, with ``torch.optim`` (2.13) names, defaults and messages.

Both are made from :data:`adam_ref.functional.adam.ADAM`, the description that
sits beside :func:`adam_ref.functional.adam_step`: signature, checks and torch's
state names (``step``, ``exp_avg``, ``exp_avg_sq``, ``max_exp_avg_sq``).
"""

import numpy as np

from .._fast import SCALAR_SIZE, Workspace, adam_step_inplace, fused_kernel, scalar_step
from ..functional.adam import ADAM
from .optimizer import AlgorithmOptimizer

__all__ = ["Adam", "AdamW"]


class Adam(AlgorithmOptimizer):
    """Adam (Kingma & Ba, 2015) as ``torch.optim.Adam``: L2 ``weight_decay`` is added
    to the gradient; ``decoupled_weight_decay=True`` makes it AdamW.

    Each step calls :func:`adam_ref.functional.adam_step` and keeps its trace in
    ``last_trace[param]``. ``fused=True`` (per group, as in torch) runs the
    in-place twin instead: bit-identical results, far less memory and Python
    overhead, no trace — for long runs and large arrays. ``foreach=True`` runs
    it too, in one flat pass over all the params of the group (for groups of many
    tensors). Both check the hyperparameters of every step, with the same messages.
    """

    spec = ADAM
    extra_kwargs = {"fused": None}

    def _in_place(self, group):
        """``fused=True`` runs the in-place twin per param; ``foreach=True`` one flat in-place
        pass over the group's params (both without a trace)."""
        return bool(group.get("fused") or group.get("foreach"))

    def _inplace_args(self, group):
        """The hyperparameters of this step for the fused path, checked as every step is."""
        return self._step_kwargs(group), group

    def _init_state(self, p, group):
        state = super()._init_state(p, group)
        if self._in_place(group) and not group.get("foreach"):
            self._workspace(p, state, self._step_kwargs(group)["amsgrad"])
        return state

    # ------------------------------------------------------------- the fused paths
    def _workspace(self, p, state, amsgrad):
        """p's :class:`Workspace`, its moments the state's arrays (made so when they are not)."""
        workspaces = self.__dict__.setdefault("_workspaces", {})
        work = workspaces.get(p)
        if work is None or not work.holds(p.data, state, amsgrad):
            work = workspaces[p] = _build([p], [state], amsgrad)
        return work

    def _update_inplace(self, theta, grad, state, args):
        """The plain in-place step (any layout): :func:`adam_step_inplace`."""
        kwargs, _ = args
        if kwargs["amsgrad"] and "max_exp_avg_sq" not in state:
            state["max_exp_avg_sq"] = np.zeros_like(theta)
        state["step"] += 1
        adam_step_inplace(theta, grad, state["exp_avg"], state["exp_avg_sq"],
                          state.get("max_exp_avg_sq"), state["step"], **kwargs)

    def _write_inplace(self, entries):
        i = 0
        while i < len(entries):
            group = entries[i][3][1]
            j = i + 1
            while j < len(entries) and entries[j][3][1] is group:
                j += 1
            if group.get("foreach") and self._flat_step(entries[i:j]):
                i = j
                continue
            for p, grad, state, args in entries[i:j]:
                self._param_step(p, grad, state, args)
            i = j

    def _param_step(self, p, grad, state, args):
        kwargs, _ = args
        theta, amsgrad = p.data, kwargs["amsgrad"]
        work = self.__dict__.get("_workspaces", {}).get(p)
        if work is None or not work.holds(theta, state, amsgrad):
            if not _contiguous(theta, state):
                return self._update_inplace(theta, grad, state, args)
            work = self._workspace(p, state, amsgrad)
        state["step"] += 1
        if theta.ndim != 1:
            theta, grad = theta.reshape(-1), grad.reshape(-1)
        if theta.dtype == np.float64 and theta.size <= SCALAR_SIZE:
            m, v = work.moments
            scalar_step(theta, grad, m, v, work.v_max, state["step"], **kwargs)
        else:
            work.refresh(state["step"], kwargs)
            fused_kernel(theta, grad, work)

    def _flat_step(self, entries):
        """One pass over the params of a ``foreach`` group; False when they cannot share one
        (one param, different dtypes or step counts, or an array that is not contiguous)."""
        params = [p for p, _, _, _ in entries]
        if len(params) == 1:
            return False
        states = [state for _, _, state, _ in entries]
        kwargs = entries[0][3][0]
        amsgrad, dtype, t = kwargs["amsgrad"], params[0].data.dtype, states[0]["step"]
        if not all(p.data.dtype == dtype and state["step"] == t and _contiguous(p.data, state)
                   for p, state in zip(params, states)):
            return False
        key = id(entries[0][3][1])
        flats = self.__dict__.setdefault("_flat_workspaces", {})
        work = flats.get(key)
        if work is None or work.params != params or not all(
                work.holds(p.data, state, amsgrad, k) for k, (p, state) in
                enumerate(zip(params, states))):
            work = flats[key] = _build(params, states, amsgrad)
        np.concatenate([p.data.reshape(-1) for p in params], out=work.theta)
        np.concatenate([grad.reshape(-1) for _, grad, _, _ in entries], out=work.grad)
        for state in states:
            state["step"] = t + 1
        work.refresh(t + 1, kwargs)
        fused_kernel(work.theta, work.grad, work)
        for p, part in zip(params, work.parts):
            p.data.reshape(-1)[...] = part
        return True


def _contiguous(theta, state):
    return theta.flags.c_contiguous and all(
        type(a) is not np.ndarray or a.flags.c_contiguous for a in state.values())


def _build(params, states, amsgrad):
    """A :class:`Workspace` over ``params``, laid end to end, with their state's moments copied
    in; each state's arrays become views of it, of the param's shape."""
    sizes = [p.data.size for p in params]
    offsets = np.cumsum([0] + sizes).tolist()
    work = Workspace(offsets[-1], params[0].data.dtype, amsgrad)
    work.params = params
    if len(params) > 1:  # θ and g of the whole group, gathered before each pass
        work.theta, work.grad = np.empty(offsets[-1], work.dtype), np.empty(offsets[-1], work.dtype)
        work.parts = [work.theta[a:b] for a, b in zip(offsets, offsets[1:])]
    for p, state, a, b in zip(params, states, offsets, offsets[1:]):
        shape = p.data.shape
        views = {"exp_avg": work.moments[0, a:b].reshape(shape),
                 "exp_avg_sq": work.moments[1, a:b].reshape(shape)}
        if amsgrad:
            views["max_exp_avg_sq"] = work.v_max[a:b].reshape(shape)
        for key, view in views.items():
            if key in state:
                view[...] = state[key]
            state[key] = view
        work.views.append((p.data, views))
    return work


class AdamW(Adam):
    """AdamW (Loshchilov & Hutter, 2019) as ``torch.optim.AdamW``: θ ← θ·(1 − lr·λ)
    before the Adam update, with λ = ``weight_decay`` (default 1e-2)."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False, *, maximize=False, foreach=None, capturable=False,
                 differentiable=False, fused=None, check_finite=True):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize,
                         decoupled_weight_decay=True, foreach=foreach, capturable=capturable,
                         differentiable=differentiable, fused=fused, check_finite=check_finite)

    def load_state_dict(self, state_dict):
        super().load_state_dict(state_dict)
        for group in self.param_groups:  # as torch: an AdamW always decays decoupled
            group["decoupled_weight_decay"] = True
