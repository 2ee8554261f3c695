"""``Adam`` and ``AdamW``, with ``torch.optim`` (2.13) names, defaults and messages.

The update itself is :func:`adam_ref.functional.adam_step`; this module only
maps torch's state names (``step``, ``exp_avg``, ``exp_avg_sq``,
``max_exp_avg_sq``) onto the functional state and back.
"""

import numpy as np

from .._inplace import adam_step_inplace
from ..functional import AdamState, adam_step
from .optimizer import Optimizer, check_flag, check_number

__all__ = ["Adam", "AdamW"]


def check_adam_hyperparameters(group):
    """lr, betas, eps and weight_decay of an Adam-like group, with torch's messages;
    ``betas`` becomes a tuple."""
    lr, betas, eps, weight_decay = group["lr"], group["betas"], group["eps"], group["weight_decay"]
    if not isinstance(betas, (tuple, list)) or len(betas) != 2:
        raise TypeError(f"betas must be a pair (beta1, beta2), got {betas!r}")
    for name, value in (("lr", lr), ("betas[0]", betas[0]), ("betas[1]", betas[1]),
                        ("eps", eps), ("weight_decay", weight_decay)):
        check_number(name, value)
    if not 0.0 <= lr:
        raise ValueError(f"Invalid learning rate: {lr}")
    if not 0.0 <= eps:
        raise ValueError(f"Invalid epsilon value: {eps}")
    if not 0.0 <= betas[0] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
    if not 0.0 <= betas[1] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
    if not 0.0 <= weight_decay:
        raise ValueError(f"Invalid weight_decay value: {weight_decay}")
    group["betas"] = tuple(betas)


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015) as ``torch.optim.Adam``: L2 ``weight_decay`` is added
    to the gradient; ``decoupled_weight_decay=True`` makes it AdamW.

    Each step calls :func:`adam_ref.functional.adam_step` and keeps its trace in
    ``last_trace[param]``. ``fused=True`` (per group, as in torch) runs the
    in-place twin instead: bit-identical results, far less memory and Python
    overhead, no trace — for long runs and large arrays.
    """

    _array_state_keys = ("exp_avg", "exp_avg_sq", "max_exp_avg_sq")

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 amsgrad=False, *, maximize=False, decoupled_weight_decay=False,
                 fused=False, check_finite=True):
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        amsgrad=amsgrad, maximize=maximize, fused=fused,
                        decoupled_weight_decay=decoupled_weight_decay)
        self._check_group(defaults)
        super().__init__(params, defaults, check_finite=check_finite)

    @staticmethod
    def _check_group(group):
        check_adam_hyperparameters(group)
        for name in ("amsgrad", "maximize", "decoupled_weight_decay"):
            check_flag(name, group[name])
        check_flag("fused", group.get("fused"), allow_none=True)

    def _state_keys(self, group):
        return ("step", "exp_avg", "exp_avg_sq") + (("max_exp_avg_sq",) if group["amsgrad"] else ())

    def _init_state(self, p, group):
        state = {"step": 0, "exp_avg": np.zeros_like(p.data), "exp_avg_sq": np.zeros_like(p.data)}
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = np.zeros_like(p.data)
        return state

    def _update(self, theta, grad, state, group):
        amsgrad = group["amsgrad"]
        # a group switched to amsgrad mid-run starts its running max from zero
        v_max = None
        if amsgrad:
            v_max = state["max_exp_avg_sq"] if "max_exp_avg_sq" in state else np.zeros_like(theta)
        beta1, beta2 = group["betas"]
        theta_next, s, trace = adam_step(
            theta, grad, AdamState(state["step"], state["exp_avg"], state["exp_avg_sq"], v_max),
            lr=group["lr"], beta1=beta1, beta2=beta2, eps=group["eps"],
            weight_decay=group["weight_decay"], amsgrad=amsgrad, maximize=group["maximize"],
            decoupled_weight_decay=group["decoupled_weight_decay"])
        state_next = {**state, "step": s.t, "exp_avg": s.m, "exp_avg_sq": s.v}
        if amsgrad:
            state_next["max_exp_avg_sq"] = s.v_max
        return theta_next, state_next, trace

    def _inplace_args(self, group):
        beta1, beta2 = group["betas"]
        lr, eps, weight_decay = group["lr"], group["eps"], group["weight_decay"]
        for name, value in (("lr", lr), ("betas[0]", beta1), ("betas[1]", beta2), ("eps", eps),
                            ("weight_decay", weight_decay)):
            check_number(name, value)
        return dict(lr=float(lr), beta1=float(beta1), beta2=float(beta2), eps=float(eps),
                    weight_decay=float(weight_decay), amsgrad=bool(group["amsgrad"]),
                    maximize=bool(group["maximize"]),
                    decoupled_weight_decay=bool(group["decoupled_weight_decay"]))

    def _update_inplace(self, theta, grad, state, args):
        if args["amsgrad"] and "max_exp_avg_sq" not in state:
            state["max_exp_avg_sq"] = np.zeros_like(theta)
        state["step"] += 1
        adam_step_inplace(theta, grad, state["exp_avg"], state["exp_avg_sq"],
                          state.get("max_exp_avg_sq"), state["step"], **args)


class AdamW(Adam):
    """AdamW (Loshchilov & Hutter, 2019) as ``torch.optim.AdamW``: θ ← θ·(1 − lr·λ)
    before the Adam update, with λ = ``weight_decay`` (default 1e-2)."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False, *, maximize=False, fused=False, check_finite=True):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize,
                         decoupled_weight_decay=True, fused=fused, check_finite=check_finite)

    def load_state_dict(self, state_dict):
        super().load_state_dict(state_dict)
        for group in self.param_groups:  # as torch: an AdamW always decays decoupled
            group["decoupled_weight_decay"] = True
