"""``NAdam`` with ``torch.optim.NAdam`` (2.13) names, defaults and messages.

Made from :data:`adam_ref.functional.nadam.NADAM`; torch's state names are
``step``, ``mu_product``, ``exp_avg`` and ``exp_avg_sq``.
"""

from ..functional.nadam import NADAM
from .optimizer import AlgorithmOptimizer

__all__ = ["NAdam"]


class NAdam(AlgorithmOptimizer):
    """NAdam (Dozat, 2016) as ``torch.optim.NAdam``: Adam with Nesterov momentum and
    the momentum schedule μ_t = β1·(1 − ½·0.96^{t·ψ}), ψ = ``momentum_decay``;
    ``decoupled_weight_decay=True`` decays θ as AdamW does.

    ``state[p]["mu_product"]`` is one number per param, the product μ_1·…·μ_t: torch
    keeps it in a float32 0-d tensor, here a number with the same (float32-rounded)
    value; a loaded 0-d array or number is accepted.
    """

    spec = NADAM
