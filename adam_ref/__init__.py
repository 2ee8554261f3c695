"""adam_ref: a pure-NumPy reference implementation of Adam that does what torch.optim.Adam does.

- :mod:`adam_ref.functional` — the math: pure ``*_init`` / ``*_step`` functions with traces.
- :class:`Param`, :class:`Optimizer`, :class:`Adam`, :class:`AdamW` — the ``torch.optim`` API.
"""

from . import functional
from .optim import Adam, AdamW, Optimizer, Param

__version__ = "0.1.0"
__all__ = ["functional", "Param", "Optimizer", "Adam", "AdamW"]
