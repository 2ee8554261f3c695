"""``NAdam`` with ``torch.optim.NAdam`` (2.13) names, defaults and messages.

Made from :data:`adam_ref.functional.nadam.NADAM`; torch's state names are
``step``, ``mu_product``, ``exp_avg`` and ``exp_avg_sq``.
"""

from ..functional.nadam import NADAM
from .optimizer import AlgorithmOptimizer

__all__ = ["NAdam"]


class NAdam(AlgorithmOptimizer):
    """NAdam (Dozat, 2016) as ``torch.optim.NAdam``."""

    spec = NADAM
