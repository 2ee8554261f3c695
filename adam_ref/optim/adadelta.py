"""``Adadelta`` with ``torch.optim.Adadelta`` (2.13) names, defaults and messages.

Made from :data:`adam_ref.functional.adadelta.ADADELTA`; torch's state names are
``step``, ``square_avg`` and ``acc_delta``.
"""

from ..functional.adadelta import ADADELTA
from .optimizer import AlgorithmOptimizer

__all__ = ["Adadelta"]


class Adadelta(AlgorithmOptimizer):
    """Adadelta (Zeiler, 2012) as ``torch.optim.Adadelta``: the step is the ratio of
    two running RMS values times the gradient, scaled by torch's ``lr`` (1 is the
    paper's rule); ``rho`` may be 1, as in torch."""

    spec = ADADELTA
