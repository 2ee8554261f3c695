"""``RAdam`` with ``torch.optim.RAdam`` (2.13) names, defaults and messages.

Made from :data:`adam_ref.functional.radam.RADAM`; torch's state names are
``step``, ``exp_avg`` and ``exp_avg_sq``.
"""

from ..functional.radam import RADAM
from .optimizer import AlgorithmOptimizer

__all__ = ["RAdam"]


class RAdam(AlgorithmOptimizer):
    """RAdam (Liu et al., 2020) as ``torch.optim.RAdam``."""

    spec = RADAM
