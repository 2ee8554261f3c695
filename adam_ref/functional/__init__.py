r"""The reference math: one pure function per optimizer, one module per algorithm.

Every ``*_step(theta, grad, state, **hyperparameters)`` returns
``(theta_next, state_next, trace)`` and never changes its inputs, so a list of
states *is* the trajectory. A step's first line checks every input (one call,
:func:`._validate.check`); each line after it is one equation, written with the
paper's symbols and applied in the order PyTorch 2.13 applies them; the
``trace`` keeps every intermediate as a named field.

Beside each step sits its description (``ADAM``, ``SGD_SPEC``, ...; see
:mod:`._spec`): ranges and torch's messages, switches, torch's state keys. The
classes, the checks, the recorder, the plots and the tests read it; ``ALGORITHMS``
maps each name to its description.

Hyperparameters are usually Python floats. They may also be NumPy arrays that
broadcast against ``theta`` (for example ``lr`` of shape ``(K, 1)`` with
``theta`` of shape ``(K, d)``), so that K runs with K settings advance together.
"""

from .adadelta import ADADELTA, AdadeltaState, AdadeltaTrace, adadelta_init, adadelta_step
from .adagrad import ADAGRAD, AdagradState, AdagradTrace, adagrad_init, adagrad_step
from .adam import ADAM, AdamState, AdamTrace, adam_init, adam_step
from .adamax import ADAMAX, AdamaxState, AdamaxTrace, adamax_init, adamax_step
from .rmsprop import RMSPROP, RMSpropState, RMSpropTrace, rmsprop_init, rmsprop_step
from .nadam import NADAM, NAdamState, NAdamTrace, nadam_init, nadam_step
from .radam import RADAM, RAdamState, RAdamTrace, radam_init, radam_step
from .sgd import SGD_SPEC, SGDState, SGDTrace, sgd_init, sgd_step

#: every algorithm's description, by name
ALGORITHMS = {spec.name: spec for spec in (ADAM, SGD_SPEC, RMSPROP, ADAMAX, ADAGRAD, ADADELTA,
                                            NADAM, RADAM)}


def spec_of(step):
    """The description of a step function (``adam_step`` → ``ADAM``), or None."""
    return next((spec for spec in ALGORITHMS.values() if spec.step is step), None)


__all__ = ["ALGORITHMS", "spec_of",
           "AdamState", "AdamTrace", "adam_init", "adam_step",
           "SGDState", "SGDTrace", "sgd_init", "sgd_step",
           "RMSpropState", "RMSpropTrace", "rmsprop_init", "rmsprop_step",
           "AdamaxState", "AdamaxTrace", "adamax_init", "adamax_step",
           "AdagradState", "AdagradTrace", "adagrad_init", "adagrad_step",
           "AdadeltaState", "AdadeltaTrace", "adadelta_init", "adadelta_step",
           "NAdamState", "NAdamTrace", "nadam_init", "nadam_step",
           "RAdamState", "RAdamTrace", "radam_init", "radam_step"]
