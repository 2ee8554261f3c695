"""``Adam`` and ``AdamW``, with ``torch.optim`` (2.13) names, defaults and messages.

Both are made from :data:`adam_ref.functional.adam.ADAM`, the description that
sits beside :func:`adam_ref.functional.adam_step`: signature, checks and torch's
state names (``step``, ``exp_avg``, ``exp_avg_sq``, ``max_exp_avg_sq``).
"""

import numpy as np

from .._fast import adam_step_inplace
from ..functional.adam import ADAM
from .optimizer import AlgorithmOptimizer

__all__ = ["Adam", "AdamW"]


class Adam(AlgorithmOptimizer):
    """Adam (Kingma & Ba, 2015) as ``torch.optim.Adam``: L2 ``weight_decay`` is added
    to the gradient; ``decoupled_weight_decay=True`` makes it AdamW.

    Each step calls :func:`adam_ref.functional.adam_step` and keeps its trace in
    ``last_trace[param]``. ``fused=True`` (per group, as in torch) runs the
    in-place twin instead: bit-identical results, far less memory and Python
    overhead, no trace — for long runs and large arrays. Both check the
    hyperparameters of every step, with the same messages.
    """

    spec = ADAM
    extra_kwargs = {"fused": None}

    def _inplace_args(self, group):
        """The hyperparameters of this step for the fused path, checked as every step is."""
        return self._step_kwargs(group)

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
                 amsgrad=False, *, maximize=False, foreach=None, capturable=False,
                 differentiable=False, fused=None, check_finite=True):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize,
                         decoupled_weight_decay=True, foreach=foreach, capturable=capturable,
                         differentiable=differentiable, fused=fused, check_finite=check_finite)

    def load_state_dict(self, state_dict):
        super().load_state_dict(state_dict)
        for group in self.param_groups:  # as torch: an AdamW always decays decoupled
            group["decoupled_weight_decay"] = True
