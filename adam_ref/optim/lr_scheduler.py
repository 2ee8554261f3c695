"""``adam_ref.optim.lr_scheduler``: the same module as :mod:`adam_ref.lr_scheduler`,
importable under torch's path (``torch.optim.lr_scheduler``)."""

import sys

from .. import lr_scheduler as _lr_scheduler

sys.modules[__name__] = _lr_scheduler
