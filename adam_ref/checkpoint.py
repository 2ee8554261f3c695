"""Checkpoints: params, optimizer state and scheduler state in one ``.npz`` file.

Arrays are stored as members of the archive; everything else (hyperparameters,
step counts, the scheduler's state) as one JSON string in the member ``meta``,
where each array is replaced by a reference ``{"__array__": member}``. Nothing
is ever pickled, so :func:`load_checkpoint` reads with ``allow_pickle=False``.

JSON knows only lists and string-keyed objects, so tuples (``betas``) are
recorded as ``{"__tuple__": [...]}`` and dicts with other keys (the optimizer
state is keyed by param index) as ``{"__dict__": [[key, value], ...]}``; loading
turns them back into tuples and dicts.

Saving is atomic: the archive is written to a temporary file in the same
directory, flushed to disk and moved over ``path`` with :func:`os.replace`, so an
interrupted save leaves any previous checkpoint intact. Loading is atomic too:
everything is read and checked before anything is restored.
"""

import json
import os
import tempfile
import zipfile

import numpy as np

from .optim.optimizer import Optimizer

__all__ = ["save_checkpoint", "load_checkpoint"]

FORMAT = "adam_ref.checkpoint"
VERSION = 1


def _params(optimizer, scheduler):
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"optimizer must be an adam_ref Optimizer, got {type(optimizer).__name__}")
    if scheduler is not None and not (hasattr(scheduler, "state_dict")
                                      and hasattr(scheduler, "load_state_dict")):
        raise TypeError(f"scheduler must have state_dict() and load_state_dict(), "
                        f"got {type(scheduler).__name__}")
    return [p for group in optimizer.param_groups for p in group["params"]]


def _encode(value, arrays, where):
    """``value`` as JSON-able data; arrays move into ``arrays`` and leave a reference."""
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "fiub":
            raise TypeError(f"{where}: cannot store an array of dtype {value.dtype}")
        name = f"array_{len(arrays)}"
        arrays[name] = value
        return {"__array__": name}
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, tuple):
        return {"__tuple__": [_encode(v, arrays, where) for v in value]}
    if isinstance(value, list):
        return [_encode(v, arrays, where) for v in value]
    if isinstance(value, dict):
        if all(isinstance(k, str) and not k.startswith("__") for k in value):
            return {k: _encode(v, arrays, f"{where}[{k!r}]") for k, v in value.items()}
        return {"__dict__": [[_encode(k, arrays, where), _encode(v, arrays, f"{where}[{k!r}]")]
                             for k, v in value.items()]}
    raise TypeError(f"{where}: cannot store a value of type {type(value).__name__} "
                    "in a checkpoint")


def _decode(value, arrays, used):
    """The inverse of :func:`_encode`; ``used`` collects the array members referred to."""
    if isinstance(value, list):
        return [_decode(v, arrays, used) for v in value]
    if not isinstance(value, dict):
        return value
    if set(value) == {"__array__"}:
        name = value["__array__"]
        if not isinstance(name, str) or name not in arrays:
            raise ValueError(f"the checkpoint refers to a missing array member {name!r}")
        used.add(name)
        return arrays[name].copy()
    if set(value) == {"__tuple__"} and isinstance(value["__tuple__"], list):
        return tuple(_decode(v, arrays, used) for v in value["__tuple__"])
    if set(value) == {"__dict__"} and isinstance(value["__dict__"], list):
        pairs = value["__dict__"]
        if not all(isinstance(pair, list) and len(pair) == 2 for pair in pairs):
            raise ValueError("the checkpoint holds a malformed {'__dict__': ...} entry")
        return {_hashable(_decode(k, arrays, used)): _decode(v, arrays, used) for k, v in pairs}
    return {k: _decode(v, arrays, used) for k, v in value.items()}


def _hashable(key):
    if isinstance(key, (list, dict, np.ndarray)):
        raise ValueError(f"the checkpoint holds a dict key that is not a plain value: {key!r}")
    return key


def save_checkpoint(path, optimizer, scheduler=None):
    """Write the params' data, ``optimizer.state_dict()`` and ``scheduler.state_dict()``
    to ``path`` (one ``.npz`` file), atomically: the old file at ``path`` is replaced
    only once the new one is complete on disk."""
    params = _params(optimizer, scheduler)
    arrays = {f"param_{i}": p.data for i, p in enumerate(params)}
    extra = {}
    meta = {
        "format": FORMAT,
        "version": VERSION,
        "optimizer": type(optimizer).__name__,
        "params": [{"shape": list(p.shape), "dtype": p.dtype.str} for p in params],
        "optimizer_state": _encode(optimizer.state_dict(), extra, "optimizer state"),
        "scheduler": None if scheduler is None else type(scheduler).__name__,
        "scheduler_state": (None if scheduler is None
                            else _encode(scheduler.state_dict(), extra, "scheduler state")),
    }
    members = {"meta": np.array(json.dumps(meta)), **arrays, **extra}
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as file:
            np.savez(file, **members)
            file.flush()
            os.fsync(file.fileno())
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
    _fsync_directory(directory)


def _fsync_directory(directory):
    # makes the rename itself durable; not every platform can open a directory
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _read(path):
    """Every member of the archive, read in full (so no error can come later)."""
    with open(path, "rb") as file:
        # np.load would take any other file for a pickle and advise unpickling it
        if file.read(4) != b"PK\x03\x04":
            raise ValueError(f"{path} is not a readable checkpoint: not an .npz (zip) archive")
        file.seek(0)
        try:
            with np.load(file, allow_pickle=False) as archive:
                members = {name: archive[name] for name in archive.files}
        except (ValueError, OSError, EOFError, KeyError, zipfile.BadZipFile) as error:
            raise ValueError(f"{path} is not a readable checkpoint: {error}") from None
    raw = sorted(name for name, member in members.items() if not isinstance(member, np.ndarray))
    if raw:  # np.load hands back the bytes of a member that is not a .npy file
        raise ValueError(f"{path} is not a readable checkpoint: members {raw} are not arrays")
    return members


def load_checkpoint(path, optimizer, scheduler=None):
    """Restore params, optimizer state and scheduler state from :func:`save_checkpoint`'s file.

    The param arrays are written into the existing ``param.data`` (identity kept).
    The checkpoint must come from the same optimizer class over params of the same
    shapes and dtypes, grouped the same way. On any error (ValueError, or OSError
    when the file cannot be opened) nothing is changed.
    """
    params = _params(optimizer, scheduler)
    members = _read(path)
    meta = members.pop("meta", None)
    if meta is None or meta.dtype.kind != "U" or meta.shape != ():
        raise ValueError(f"{path} is not an adam_ref checkpoint (no 'meta' text member)")
    try:
        meta = json.loads(meta.item())
    except (json.JSONDecodeError, RecursionError) as error:
        raise ValueError(f"{path}: the 'meta' member is not valid JSON ({error})") from None
    keys = {"format", "version", "optimizer", "params", "optimizer_state", "scheduler",
            "scheduler_state"}
    if not isinstance(meta, dict) or set(meta) != keys or meta["format"] != FORMAT:
        raise ValueError(f"{path} is not an adam_ref checkpoint (unexpected 'meta' contents)")
    if meta["version"] != VERSION:
        raise ValueError(f"{path}: checkpoint version {meta['version']!r} is not supported "
                         f"(this adam_ref reads version {VERSION})")
    if meta["optimizer"] != type(optimizer).__name__:
        raise ValueError(f"{path} holds the state of optimizer {meta['optimizer']!r}, "
                         f"but the optimizer given is a {type(optimizer).__name__!r}")
    if scheduler is not None and meta["scheduler"] != type(scheduler).__name__:
        raise ValueError(f"{path} holds the state of scheduler {meta['scheduler']!r}, "
                         f"but the scheduler given is a {type(scheduler).__name__!r}")

    layout = meta["params"]
    if not isinstance(layout, list) or len(layout) != len(params):
        raise ValueError(f"{path} holds {len(layout) if isinstance(layout, list) else '?'} "
                         f"params, the optimizer has {len(params)}")
    data = []
    for i, p in enumerate(params):
        array = members.pop(f"param_{i}", None)
        if array is None:
            raise ValueError(f"{path}: the member 'param_{i}' is missing")
        if array.shape != p.shape or array.dtype != p.dtype:
            raise ValueError(f"{path}: param {i} has shape {array.shape} and dtype {array.dtype} "
                             f"in the checkpoint, but shape {p.shape} and dtype {p.dtype} "
                             "in the optimizer")
        if layout[i] != {"shape": list(p.shape), "dtype": p.dtype.str}:
            raise ValueError(f"{path}: the recorded layout of param {i} ({layout[i]!r}) does "
                             "not match its array")
        if not p.data.flags.writeable:
            raise ValueError(f"param {i}: data is a read-only array; it cannot be restored")
        data.append(array)
    used = set()
    try:
        optimizer_state = _decode(meta["optimizer_state"], members, used)
        scheduler_state = _decode(meta["scheduler_state"], members, used)
    except ValueError as error:
        raise ValueError(f"{path}: {error}") from None
    unknown = sorted(set(members) - used)
    if unknown:
        raise ValueError(f"{path}: unexpected members {unknown}")

    # optimizer and scheduler loads each check everything first; keep the old
    # optimizer objects so that a refused scheduler state can undo the first load
    old = optimizer.param_groups, optimizer.state, optimizer.last_trace
    try:
        optimizer.load_state_dict(optimizer_state)
        if scheduler is not None:
            scheduler.load_state_dict(scheduler_state)
    except BaseException as error:
        optimizer.param_groups, optimizer.state, optimizer.last_trace = old
        if isinstance(error, ValueError):
            raise ValueError(f"{path}: {error}") from None
        raise
    for p, array in zip(params, data):
        p.data[...] = array
