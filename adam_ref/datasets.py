"""Small real data sets shipped with the package, read with NumPy and gzip only.

:func:`load_digits` returns the UCI optical handwritten digits: 1,797 images of 8×8
pixels, each pixel a count 0–16, and their classes 0–9.

Source: E. Alpaydin and C. Kaynak (1998), *Optical Recognition of Handwritten Digits*,
UCI Machine Learning Repository, https://doi.org/10.24432/C50P49. Licence: Creative
Commons Attribution 4.0 International (CC BY 4.0). The file is the test partition of
that data set, as scikit-learn distributes it (``digits.csv.gz``); see
``adam_ref/data/README.md``.
"""

import gzip
import importlib.resources
import io
import os
import zlib

import numpy as np

__all__ = ["load_digits", "DIGITS_SHAPE", "DIGITS_CITATION", "DIGITS_LICENSE"]

#: (images, pixels): what :func:`load_digits` returns as X
DIGITS_SHAPE = (1797, 64)
DIGITS_CITATION = ("E. Alpaydin and C. Kaynak (1998), Optical Recognition of Handwritten "
                   "Digits, UCI Machine Learning Repository, https://doi.org/10.24432/C50P49")
DIGITS_LICENSE = "CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/)"

# the text is about 0.3 MB; reading stops past this bound, whatever the file claims
_MAX_TEXT_BYTES = 4 * 2**20


def _digits_bytes():
    return importlib.resources.files("adam_ref").joinpath("data", "digits.csv.gz").read_bytes()


def load_digits(path=None):
    """The 8×8 digits as ``(X, y)``: X float64 of shape (1797, 64), y int64 of shape (1797,).

    Row i of X is image i read row by row (``X[i].reshape(8, 8)`` is the picture),
    each value an integer count 0–16; ``y[i]`` is its digit 0–9. ``path`` reads another
    copy of the same file (gzip-compressed CSV, 65 integers a line: 64 pixels, then
    the class); without it, the copy shipped in ``adam_ref/data``. A file that is not
    that data set raises ``ValueError`` naming what is wrong.
    """
    if path is None:
        raw, name = _digits_bytes(), "adam_ref/data/digits.csv.gz"
    else:
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"load_digits: path must be a str or os.PathLike, "
                            f"got {type(path).__name__}")
        name = os.fspath(path)
        with open(path, "rb") as f:
            raw = f.read(_MAX_TEXT_BYTES + 1)
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(raw)) as f:
            text = f.read(_MAX_TEXT_BYTES + 1)
    except (OSError, EOFError, zlib.error) as error:
        raise ValueError(f"load_digits: {name} is not a readable gzip file ({error})") from None
    if len(text) > _MAX_TEXT_BYTES:
        raise ValueError(f"load_digits: {name} holds more than {_MAX_TEXT_BYTES} bytes of text; "
                         "the digits file holds about 0.3 MB")
    try:
        lines = text.decode("ascii").split()
    except UnicodeDecodeError:
        raise ValueError(f"load_digits: {name} holds bytes that are not ASCII text") from None
    n, width = DIGITS_SHAPE[0], DIGITS_SHAPE[1] + 1
    if len(lines) != n:
        raise ValueError(f"load_digits: {name} has {len(lines)} lines, expected {n}")
    fields = ",".join(lines).split(",")
    if len(fields) != n * width:
        counts = [line.count(",") + 1 for line in lines]
        bad = next(i for i, c in enumerate(counts) if c != width)
        raise ValueError(f"load_digits: line {bad + 1} of {name} has {counts[bad]} values, "
                         f"expected {width} (64 pixels and the class)")
    try:
        table = np.array(fields, dtype=np.int64).reshape(n, width)
    except ValueError:
        bad = next(f for f in fields if not f.strip().isdigit())
        raise ValueError(f"load_digits: {name} holds {bad[:20]!r}, which is not a "
                         "non-negative integer") from None
    X, y = table[:, :-1], table[:, -1]
    if X.min() < 0 or X.max() > 16:
        row = int(np.flatnonzero(((X < 0) | (X > 16)).any(axis=1))[0])
        raise ValueError(f"load_digits: line {row + 1} of {name} has a pixel outside 0..16")
    if y.min() < 0 or y.max() > 9:
        row = int(np.flatnonzero((y < 0) | (y > 9))[0])
        raise ValueError(f"load_digits: line {row + 1} of {name} has class {y[row]}, "
                         "expected 0..9")
    return X.astype(np.float64), y.copy()
