"""``RMSprop`` with ``torch.optim.RMSprop`` (2.13) names, defaults and messages.

Made from :data:`adam_ref.functional.rmsprop.RMSPROP`; torch's state names are
``step``, ``square_avg``, ``momentum_buffer`` and ``grad_avg``.
"""

from ..functional.rmsprop import RMSPROP
from .optimizer import AlgorithmOptimizer

__all__ = ["RMSprop"]


class RMSprop(AlgorithmOptimizer):
    """RMSprop (Hinton, lecture 6e) as ``torch.optim.RMSprop``: ``centered=True``
    divides by the estimated standard deviation instead of the root mean square."""

    spec = RMSPROP
