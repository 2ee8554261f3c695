"""PyTorch-style optimizers that call the functional steps of :mod:`adam_ref.functional`."""

from .adam import Adam, AdamW
from .optimizer import Optimizer, Param

__all__ = ["Param", "Optimizer", "Adam", "AdamW"]
