"""``Adagrad`` with ``torch.optim.Adagrad`` (2.13) names, defaults and messages.

Made from :data:`adam_ref.functional.adagrad.ADAGRAD`; torch's state names are
``step`` and ``sum``.
"""

from ..functional.adagrad import ADAGRAD
from .optimizer import AlgorithmOptimizer

__all__ = ["Adagrad"]


class Adagrad(AlgorithmOptimizer):
    """Adagrad (Duchi, Hazan & Singer, 2011) as ``torch.optim.Adagrad``.

    As torch, every param's state (``step`` 0 and ``sum`` filled with
    ``initial_accumulator_value``) is made by the constructor, and the initial
    sum always comes from the constructor's value (``defaults``), whatever a
    param group says.
    """

    spec = ADAGRAD
    eager_state = True

    def _init_kwargs(self, group):
        return {"initial_accumulator_value": self.defaults["initial_accumulator_value"]}
