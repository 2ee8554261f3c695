"""``Adamax`` with ``torch.optim.Adamax`` (2.13) names, defaults and messages.

The update itself is :func:`adam_ref.functional.adamax_step`; this module only maps
torch's state names (``step``, ``exp_avg``, ``exp_inf``) onto the functional state
and back.
"""

import numpy as np

from ..functional import AdamaxState, adamax_step
from .adam import check_adam_hyperparameters
from .optimizer import Optimizer, check_flag

__all__ = ["Adamax"]


class Adamax(Optimizer):
    """Adamax (Kingma & Ba, 2015, section 7.1) as ``torch.optim.Adamax``: Adam with
    the second moment replaced by an exponentially weighted infinity norm."""

    _array_state_keys = ("exp_avg", "exp_inf")

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, *,
                 maximize=False, check_finite=True):
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        maximize=maximize)
        self._check_group(defaults)
        super().__init__(params, defaults, check_finite=check_finite)

    @staticmethod
    def _check_group(group):
        check_adam_hyperparameters(group)
        check_flag("maximize", group["maximize"])

    def _init_state(self, p, group):
        return {"step": 0, "exp_avg": np.zeros_like(p.data), "exp_inf": np.zeros_like(p.data)}

    def _update(self, theta, grad, state, group):
        beta1, beta2 = group["betas"]
        theta_next, s, trace = adamax_step(
            theta, grad, AdamaxState(state["step"], state["exp_avg"], state["exp_inf"]),
            lr=group["lr"], beta1=beta1, beta2=beta2, eps=group["eps"],
            weight_decay=group["weight_decay"], maximize=group["maximize"])
        return theta_next, {**state, "step": s.t, "exp_avg": s.m, "exp_inf": s.u}, trace
