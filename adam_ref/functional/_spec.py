"""How an algorithm is described once: its hyperparameters, switches, state and torch names.

A :class:`Spec` sits beside each step function (``ADAM`` beside ``adam_step``) and is
read by everything else: the one validation point (:mod:`._validate`), the
``torch.optim``-style classes (signature, defaults, ``state_dict`` keys), the
recorder's defaults, the plots' symbols and the tests. The step's keyword names
and defaults are read from the step's own signature, so they are written once.
"""

import inspect
from dataclasses import dataclass, field
from typing import Callable, Optional

__all__ = ["Hyper", "StateField", "Spec"]


@dataclass(frozen=True)
class Hyper:
    """A hyperparameter: its range (0 ≤ x, 0 ≤ x < 1 or 0 ≤ x ≤ 1), torch's message, its symbol."""

    name: str                 #: the step's keyword, e.g. ``"beta1"``
    message: str              #: torch's words for a value out of range, e.g. "Invalid learning rate"
    symbol: str               #: mathtext for plot labels, e.g. ``r"\beta_1"``
    below_one: bool = False   #: the range is 0 ≤ x < 1 (otherwise 0 ≤ x)
    at_most_one: bool = False  #: the range is 0 ≤ x ≤ 1 (Adadelta's ρ)


@dataclass(frozen=True)
class StateField:
    """One field of the functional state and torch's key for it.

    ``when`` says for which hyperparameters torch keeps the entry (None: always);
    ``zeros`` whether the init makes it before the first step (as zeros, or as
    the init's value: Adagrad's sum; SGD's momentum buffer is instead made by the
    first step); ``nonnegative`` whether a loaded value must be ≥ 0 (second
    moments); ``scalar`` whether it is one number per param rather than an
    array shaped like it (NAdam's ``mu_product``).
    """

    field: str
    key: str
    when: Optional[Callable[[dict], bool]] = None
    zeros: bool = True
    nonnegative: bool = False
    scalar: bool = False


@dataclass(frozen=True)
class Spec:
    """Everything about one algorithm that is not its equations."""

    name: str                           #: ``"adam"``: the key in ``ALGORITHMS``
    title: str                          #: ``"Adam"``: the torch class name
    step: Callable                      #: ``adam_step``: the math
    init: Callable                      #: ``adam_init``
    state: type                         #: ``AdamState``
    trace: type                         #: ``AdamTrace``
    hypers: tuple                       #: the :class:`Hyper` of each real hyperparameter
    flags: tuple                        #: torch's switches (True or False)
    state_fields: tuple                 #: :class:`StateField` per state array (``t`` is torch's ``step``)
    torch_args: tuple                   #: the class's arguments after ``params`` (torch's names)
    torch_kwargs: tuple = ()            #: its keyword-only arguments
    options: tuple = ()                 #: adam_ref's own switches (variants), not in torch
    pairs: dict = field(default_factory=dict)  #: torch name → step names, e.g. betas → (beta1, beta2)
    rule: Optional[Callable[[dict], None]] = None  #: a check across hyperparameters (raises ValueError)
    step_key: Optional[str] = "step"    #: torch's state key for t (None: torch keeps no count)
    #: torch's switches that choose an implementation, not the math (``foreach``, ...)
    switches: tuple = ("foreach", "capturable", "differentiable")

    @property
    def defaults(self):
        """The step's keyword defaults, read from its signature."""
        return {name: p.default for name, p in inspect.signature(self.step).parameters.items()
                if p.kind is p.KEYWORD_ONLY}

    @property
    def init_keywords(self):
        """The step's keywords the init takes too (Adagrad's ``initial_accumulator_value``)."""
        return tuple(name for name, p in inspect.signature(self.init).parameters.items()
                     if p.kind is p.KEYWORD_ONLY)

    def torch_defaults(self):
        """The class's defaults under torch's names (``betas`` as a tuple); a zero is
        written ``0``, as torch's signatures write it (so ``repr`` shows what torch shows)."""
        defaults = {k: (0 if type(v) is float and v == 0.0 else v)
                    for k, v in self.defaults.items()}
        names = self.torch_args + self.torch_kwargs
        return {name: (tuple(defaults[s] for s in self.pairs[name]) if name in self.pairs
                       else defaults[name]) for name in names}

    def __post_init__(self):
        names = self.torch_args + self.torch_kwargs
        object.__setattr__(self, "_plain", tuple(n for n in names if n not in self.pairs))

    def step_kwargs(self, group):
        """A param group (torch's names) as the step's keywords (``betas`` unpacked)."""
        kwargs = {name: group[name] for name in self._plain}
        for name, names in self.pairs.items():
            value = group[name]
            if not isinstance(value, (tuple, list)) or len(value) != len(names):
                raise TypeError(f"{name} must be a pair {tuple(names)}, got {value!r}")
            kwargs.update(zip(names, value))
        return kwargs

    def state_keys(self, kwargs):
        """torch's state keys for a param stepped with ``kwargs`` (the step's keywords)."""
        return ((self.step_key,) if self.step_key else ()) + tuple(f.key for f in self.state_fields
                                 if f.when is None or f.when(kwargs))
