"""``SGD`` with ``torch.optim.SGD`` (2.13) names, defaults and messages.

The update itself is :func:`adam_ref.functional.sgd_step`; this module only maps
torch's one state entry, ``momentum_buffer``, onto the functional state and back.
"""

from ..functional import SGDState, sgd_step
from .optimizer import Optimizer, check_flag, check_number

__all__ = ["SGD"]


class SGD(Optimizer):
    """Stochastic gradient descent with (Nesterov) momentum, as ``torch.optim.SGD``.

    torch keeps no state for a param until momentum first runs, and then only
    ``momentum_buffer``; ``state_dict()`` is the same. ``state[p]["step"]`` also
    counts this optimizer's steps (for ``last_trace`` and error messages); it is
    not saved, so a loaded SGD counts from 0 again.
    """

    _array_state_keys = ("momentum_buffer",)

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0,
                 nesterov=False, *, maximize=False, check_finite=True):
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening,
                        weight_decay=weight_decay, nesterov=nesterov, maximize=maximize)
        self._check_group(defaults)
        super().__init__(params, defaults, check_finite=check_finite)

    @staticmethod
    def _check_group(group):
        lr, momentum, dampening, weight_decay = (group["lr"], group["momentum"],
                                                 group["dampening"], group["weight_decay"])
        for name, value in (("lr", lr), ("momentum", momentum), ("dampening", dampening),
                            ("weight_decay", weight_decay)):
            check_number(name, value)
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= momentum:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        # torch does not check dampening; a NaN or negative one is never meant
        if not 0.0 <= dampening:
            raise ValueError(f"Invalid dampening value: {dampening}")
        for name in ("nesterov", "maximize"):
            check_flag(name, group[name])
        if group["nesterov"] and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")

    def _state_keys(self, group):
        return ("momentum_buffer",) if group["momentum"] != 0 else ()

    def _init_state(self, p, group):
        return {}

    def _update(self, theta, grad, state, group):
        theta_next, s, trace = sgd_step(
            theta, grad, SGDState(state.get("step", 0), state.get("momentum_buffer")),
            lr=group["lr"], momentum=group["momentum"], dampening=group["dampening"],
            weight_decay=group["weight_decay"], nesterov=group["nesterov"],
            maximize=group["maximize"])
        state_next = {**state, "step": s.t}
        if s.b is not None:
            state_next["momentum_buffer"] = s.b
        return theta_next, state_next, trace

    def state_dict(self):
        state_dict = super().state_dict()
        saved = {}
        for index, state in state_dict["state"].items():
            state = {k: v for k, v in state.items() if k != "step"}
            if state:  # as torch: a param without a momentum buffer has no entry
                saved[index] = state
        state_dict["state"] = saved
        return state_dict
