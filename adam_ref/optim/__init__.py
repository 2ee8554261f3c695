"""PyTorch-style optimizers that call the functional steps of :mod:`adam_ref.functional`."""

from .adadelta import Adadelta
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .adamax import Adamax
from .nadam import NAdam
from .optimizer import Optimizer, Param
from .radam import RAdam
from .rmsprop import RMSprop
from .sgd import SGD
from . import lr_scheduler  # noqa: E402  (torch.optim.lr_scheduler's path)

__all__ = ["Param", "Optimizer", "Adam", "AdamW", "SGD", "RMSprop", "Adamax", "Adagrad",
           "Adadelta", "NAdam", "RAdam", "lr_scheduler"]
