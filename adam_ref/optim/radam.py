"""``RAdam`` with ``torch.optim.RAdam`` (2.13) names, defaults and messages.

Made from :data:`adam_ref.functional.radam.RADAM`; torch's state names are
``step``, ``exp_avg`` and ``exp_avg_sq``.
"""

from ..functional.radam import RADAM
from .optimizer import AlgorithmOptimizer

__all__ = ["RAdam"]


class RAdam(AlgorithmOptimizer):
    """RAdam (Liu et al., 2020) as ``torch.optim.RAdam``: Adam with the variance of
    the adaptive lr rectified by r_t, and plain momentum SGD while ρ_t ≤ 5 (torch's
    threshold); ``decoupled_weight_decay=True`` decays θ as AdamW does."""

    spec = RADAM
