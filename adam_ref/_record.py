"""Frozen records for traces, with a repr a student can read."""

from dataclasses import dataclass, fields

import numpy as np


def _fmt(value):
    if value is None:
        return "None"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    array = np.asarray(value)
    if array.ndim == 0:
        return f"{array.item():.6g}"
    if array.size <= 8:
        return np.array2string(array, separator=", ",
                               formatter={"float_kind": lambda x: f"{x:.6g}"})
    return (f"<array shape={array.shape} dtype={array.dtype} "
            f"min={array.min():.4g} max={array.max():.4g}>")


@dataclass(frozen=True, repr=False)
class Record:
    """Base of every trace: frozen, iterable as ``(name, value)`` pairs."""

    def items(self):
        """The fields as ``(name, value)`` pairs, in equation order."""
        return [(f.name, getattr(self, f.name)) for f in fields(self)]

    def __repr__(self):
        body = "".join(f"\n    {name}={_fmt(value)}," for name, value in self.items())
        return f"{type(self).__name__}({body}\n)"
