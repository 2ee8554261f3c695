"""adam_ref: a pure-NumPy reference implementation of Adam that does what torch.optim.Adam does.

- :mod:`adam_ref.functional` — the math: pure ``*_init`` / ``*_step`` functions with traces.
- :class:`Param`, :class:`Optimizer`, :class:`Adam`, :class:`AdamW`, :class:`SGD`,
  :class:`RMSprop`, :class:`Adamax`, :class:`Adagrad`, :class:`Adadelta`, :class:`NAdam`,
  :class:`RAdam` — the ``torch.optim`` API.
- :mod:`adam_ref.lr_scheduler` — ``torch.optim.lr_scheduler``'s schedules.
- :mod:`adam_ref.nn` — ``Module``, ``Sequential``, layers and losses with hand-derived gradients.
- :func:`check_step` — grades a student's own step against the reference, naming the first mistake.
"""

from . import functional, lr_scheduler, nn
from .optim import (Adadelta, Adagrad, Adam, Adamax, AdamW, NAdam, Optimizer, Param, RAdam,
                    RMSprop, SGD)
from .checkpoint import load_checkpoint, save_checkpoint
from .grade import check_step

__version__ = "0.1.0"
__all__ = ["functional", "lr_scheduler", "nn", "Param", "Optimizer", "Adam", "AdamW",
           "SGD", "RMSprop", "Adamax", "Adagrad", "Adadelta", "NAdam", "RAdam",
           "save_checkpoint", "load_checkpoint", "check_step"]
