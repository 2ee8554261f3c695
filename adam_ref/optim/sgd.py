"""``SGD`` with ``torch.optim.SGD`` (2.13) names, defaults and messages.

Made from :data:`adam_ref.functional.sgd.SGD_SPEC`; torch's one state entry is
``momentum_buffer``.
"""

from ..functional.sgd import SGD_SPEC
from .optimizer import AlgorithmOptimizer

__all__ = ["SGD"]


class SGD(AlgorithmOptimizer):
    """Stochastic gradient descent with (Nesterov) momentum, as ``torch.optim.SGD``.

    torch keeps no state for a param until momentum first runs, and then only
    ``momentum_buffer``; ``state_dict()`` is the same. ``state[p]["step"]`` also
    counts this optimizer's steps (for ``last_trace`` and error messages); it is
    not saved, so a loaded SGD counts from 0 again.
    """

    spec = SGD_SPEC

    def _state_dict(self):
        state_dict = super()._state_dict()
        saved = {}
        for index, state in state_dict["state"].items():
            state = {k: v for k, v in state.items() if k != "step"}
            if state:  # as torch: a param without a momentum buffer has no entry
                saved[index] = state
        state_dict["state"] = saved
        return state_dict
