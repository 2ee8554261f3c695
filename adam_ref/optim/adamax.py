"""``Adamax`` with ``torch.optim.Adamax`` (2.13) names, defaults and messages.

Made from :data:`adam_ref.functional.adamax.ADAMAX`; torch's state names are
``step``, ``exp_avg`` and ``exp_inf``.
"""

from ..functional.adamax import ADAMAX
from .optimizer import AlgorithmOptimizer

__all__ = ["Adamax"]


class Adamax(AlgorithmOptimizer):
    """Adamax (Kingma & Ba, 2015, section 7.1) as ``torch.optim.Adamax``: Adam with
    the second moment replaced by an exponentially weighted infinity norm."""

    spec = ADAMAX
