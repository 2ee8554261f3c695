"""``RMSprop`` with ``torch.optim.RMSprop`` (2.13) names, defaults and messages.

The update itself is :func:`adam_ref.functional.rmsprop_step`; this module only maps
torch's state names (``step``, ``square_avg``, ``momentum_buffer``, ``grad_avg``)
onto the functional state and back.
"""

import numpy as np

from ..functional import RMSpropState, rmsprop_step
from .optimizer import Optimizer, check_flag, check_number

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """RMSprop (Hinton, lecture 6e) as ``torch.optim.RMSprop``: ``centered=True``
    divides by the estimated standard deviation instead of the root mean square."""

    _array_state_keys = ("square_avg", "momentum_buffer", "grad_avg")

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                 centered=False, maximize=False, check_finite=True):
        defaults = dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered,
                        weight_decay=weight_decay, maximize=maximize)
        self._check_group(defaults)
        super().__init__(params, defaults, check_finite=check_finite)

    @staticmethod
    def _check_group(group):
        lr, alpha, eps, weight_decay, momentum = (group["lr"], group["alpha"], group["eps"],
                                                  group["weight_decay"], group["momentum"])
        for name, value in (("lr", lr), ("alpha", alpha), ("eps", eps),
                            ("weight_decay", weight_decay), ("momentum", momentum)):
            check_number(name, value)
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= momentum:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= alpha:
            raise ValueError(f"Invalid alpha value: {alpha}")
        for name in ("centered", "maximize"):
            check_flag(name, group[name])

    def _state_keys(self, group):
        return (("step", "square_avg") + (("momentum_buffer",) if group["momentum"] > 0 else ())
                + (("grad_avg",) if group["centered"] else ()))

    def _init_state(self, p, group):
        state = {"step": 0, "square_avg": np.zeros_like(p.data)}
        if group["momentum"] > 0:
            state["momentum_buffer"] = np.zeros_like(p.data)
        if group["centered"]:
            state["grad_avg"] = np.zeros_like(p.data)
        return state

    def _update(self, theta, grad, state, group):
        momentum, centered = group["momentum"], group["centered"]
        # a group that turns momentum or centering on mid-run starts that buffer from zero
        zeros = np.zeros_like(theta)
        theta_next, s, trace = rmsprop_step(
            theta, grad, RMSpropState(state["step"], state["square_avg"],
                                      state.get("grad_avg", zeros),
                                      state.get("momentum_buffer", zeros)),
            lr=group["lr"], alpha=group["alpha"], eps=group["eps"],
            weight_decay=group["weight_decay"], momentum=momentum, centered=centered,
            maximize=group["maximize"])
        state_next = {**state, "step": s.t, "square_avg": s.v}
        if momentum > 0:
            state_next["momentum_buffer"] = s.b
        if centered:
            state_next["grad_avg"] = s.g_avg
        return theta_next, state_next, trace
