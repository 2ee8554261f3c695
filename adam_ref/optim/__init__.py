"""PyTorch-style optimizers that call the functional steps of :mod:`adam_ref.functional`."""

from .adam import Adam, AdamW
from .adamax import Adamax
from .optimizer import Optimizer, Param
from .rmsprop import RMSprop
from .sgd import SGD
from . import lr_scheduler  # noqa: E402  (torch.optim.lr_scheduler's path)

__all__ = ["Param", "Optimizer", "Adam", "AdamW", "SGD", "RMSprop", "Adamax", "lr_scheduler"]
