"""Checkpoints: params, optimizer state and scheduler state in one ``.npz`` file.

Arrays are stored as members of the archive; everything else (hyperparameters,
step counts, the scheduler's state) as one JSON string in the member ``meta``,
where each array is replaced by a reference ``{"__array__": member}``. Nothing
is ever pickled, and the archive is read by this module itself, not by
``np.load``.

JSON knows only lists and string-keyed objects, so tuples (``betas``) are
recorded as ``{"__tuple__": [...]}`` and dicts with other keys (the optimizer
state is keyed by param index) as ``{"__dict__": [[key, value], ...]}``; loading
turns them back into tuples and dicts.

Reading is defensive: a file's own header never decides how much is read.
Before any member is read, the archive's directory must hold exactly the
members a checkpoint of these params can hold, stored or deflated, not
encrypted, each no larger than the params it restores allow, and the whole file
within a bound computed from the params (:func:`size_bound`). Each array's
``.npy`` header is then checked against the param or state entry it restores
(shape and dtype) before its data is read, and the JSON is parsed only when it
is nested at most :data:`MAX_JSON_DEPTH` deep. An optimizer's state may hold
up to :data:`MAX_STATE_ARRAYS` arrays per param, each shaped like its param or
holding one number; arrays anywhere else (a hyperparameter, the scheduler) hold
at most one number.

Saving checks the same rules and loads the result into copies of the optimizer
and scheduler before it writes, so a checkpoint that saves loads into an
identically built pair; what would not load is refused when saving. The
archive is written to a temporary file in the same directory, flushed to disk
and moved over ``path`` with :func:`os.replace`, so an interrupted save leaves
any previous checkpoint intact. Loading is atomic too: everything is read and
checked before anything is restored.
"""

import ast
import copy
import errno
import json
import os
import re
import secrets
import stat
import time
import zipfile

import numpy as np

from .optim.optimizer import Optimizer

__all__ = ["save_checkpoint", "load_checkpoint", "size_bound", "MAX_JSON_DEPTH",
           "MAX_STATE_ARRAYS"]

FORMAT = "adam_ref.checkpoint"
VERSION = 1

#: deepest nesting of lists and objects accepted in the ``meta`` JSON
MAX_JSON_DEPTH = 32
#: most arrays the optimizer state of one param may hold
MAX_STATE_ARRAYS = 8
#: arrays outside the per-param state (at most one number each) a checkpoint may hold
MAX_OTHER_ARRAYS = 64
#: longest ``.npy`` header read (numpy writes about 128 bytes)
MAX_HEADER = 4096
#: characters of JSON allowed: a fixed part plus a part per param
META_CHARS, META_CHARS_PER_PARAM = 2 ** 20, 2 ** 10
_ZIP_OVERHEAD_PER_MEMBER, _ZIP_OVERHEAD = 512, 4096

_MEMBER = re.compile(r"(param|array)_(0|[1-9][0-9]{0,8})\.npy\Z")


class _Bad(ValueError):
    """A malformed checkpoint; the message says what is wrong (the caller adds the file)."""


# --------------------------------------------------------------------------- arguments

def _path(path):
    """``path`` as a str; only file-system paths are accepted (not file descriptors)."""
    if isinstance(path, (bool, int)) or not isinstance(path, (str, bytes, os.PathLike)):
        raise TypeError(f"path must be a file name (str or os.PathLike), "
                        f"got {type(path).__name__}")
    path = os.fspath(path)
    if isinstance(path, bytes):
        path = os.fsdecode(path)
    if not isinstance(path, str) or not path or "\x00" in path:
        raise ValueError(f"path must be a non-empty file name, got {path!r}")
    return path


def _params(optimizer, scheduler):
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"optimizer must be an adam_ref Optimizer, got {type(optimizer).__name__}")
    if scheduler is not None and not (hasattr(scheduler, "state_dict")
                                      and hasattr(scheduler, "load_state_dict")):
        raise TypeError(f"scheduler must have state_dict() and load_state_dict(), "
                        f"got {type(scheduler).__name__}")
    return [p for group in optimizer.param_groups for p in group["params"]]


def _meta_chars(params):
    return META_CHARS + META_CHARS_PER_PARAM * len(params)


def _state_array_bytes(p):
    return MAX_HEADER + 8 * p.data.size  # any float dtype up to float64


def size_bound(params):
    """The largest file :func:`load_checkpoint` reads for these params, in bytes."""
    members = 1 + len(params) * (1 + MAX_STATE_ARRAYS) + MAX_OTHER_ARRAYS
    return (_member_bound(params) + members * _ZIP_OVERHEAD_PER_MEMBER + _ZIP_OVERHEAD)


def _member_bound(params):
    """The largest total of the members' uncompressed sizes."""
    return (MAX_HEADER + 4 * _meta_chars(params)
            + sum(MAX_HEADER + p.data.nbytes + MAX_STATE_ARRAYS * _state_array_bytes(p)
                  for p in params)
            + MAX_OTHER_ARRAYS * (MAX_HEADER + 8))


# --------------------------------------------------------------------------- encoding

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


def _is_ref(value):
    return isinstance(value, dict) and set(value) == {"__array__"}


def _decode(value, arrays, used):
    """The inverse of :func:`_encode`; ``used`` collects the array members referred to."""
    if isinstance(value, list):
        return [_decode(v, arrays, used) for v in value]
    if not isinstance(value, dict):
        return value
    if _is_ref(value):
        name = value["__array__"]
        if not isinstance(name, str) or name not in arrays:
            raise _Bad(f"the checkpoint refers to a missing array member {name!r}")
        used.add(name)
        return arrays[name].copy()
    if set(value) == {"__tuple__"} and isinstance(value["__tuple__"], list):
        return tuple(_decode(v, arrays, used) for v in value["__tuple__"])
    if set(value) == {"__dict__"} and isinstance(value["__dict__"], list):
        pairs = value["__dict__"]
        if not all(isinstance(pair, list) and len(pair) == 2 for pair in pairs):
            raise _Bad("the checkpoint holds a malformed {'__dict__': ...} entry")
        return {_hashable(_decode(k, arrays, used)): _decode(v, arrays, used) for k, v in pairs}
    return {k: _decode(v, arrays, used) for k, v in value.items()}


def _hashable(key):
    if isinstance(key, (list, dict, np.ndarray)):
        raise _Bad(f"the checkpoint holds a dict key that is not a plain value: {key!r}")
    return key


_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_JSON_BRACKET = re.compile(r"[\[\]{}]")


def _json_depth(text):
    """How deep lists and objects nest in the JSON ``text`` (strings skipped)."""
    depth = deepest = 0
    for match in _JSON_BRACKET.finditer(_JSON_STRING.sub("", text)):
        depth += 1 if match.group() in "[{" else -1
        deepest = max(deepest, depth)
    return deepest


def _parse_meta(text, params):
    if len(text) > _meta_chars(params):
        raise _Bad(f"the 'meta' member holds {len(text)} characters, more than the "
                   f"{_meta_chars(params)} a checkpoint of {len(params)} params may hold")
    depth = _json_depth(text)
    if depth > MAX_JSON_DEPTH:
        raise _Bad(f"the 'meta' JSON nests {depth} levels deep (at most {MAX_JSON_DEPTH})")
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as error:
        raise _Bad(f"the 'meta' member is not valid JSON ({error})") from None


# --------------------------------------------------------------------------- the layout

def _check_meta(meta, optimizer, scheduler, params):
    """The parsed ``meta`` must describe this optimizer, scheduler and params."""
    keys = {"format", "version", "optimizer", "params", "optimizer_state", "scheduler",
            "scheduler_state"}
    if not isinstance(meta, dict) or set(meta) != keys or meta["format"] != FORMAT:
        raise _Bad("is not an adam_ref checkpoint (unexpected 'meta' contents)")
    if meta["version"] != VERSION:
        raise _Bad(f"checkpoint version {meta['version']!r} is not supported "
                   f"(this adam_ref reads version {VERSION})")
    if meta["optimizer"] != type(optimizer).__name__:
        raise _Bad(f"holds the state of optimizer {meta['optimizer']!r}, "
                   f"but the optimizer given is a {type(optimizer).__name__!r}")
    if scheduler is not None and meta["scheduler"] != type(scheduler).__name__:
        raise _Bad(f"holds the state of scheduler {meta['scheduler']!r}, "
                   f"but the scheduler given is a {type(scheduler).__name__!r}")
    layout = meta["params"]
    if not isinstance(layout, list) or len(layout) != len(params):
        raise _Bad(f"holds {len(layout) if isinstance(layout, list) else '?'} "
                   f"params, the optimizer has {len(params)}")
    for i, p in enumerate(params):
        if layout[i] != {"shape": list(p.shape), "dtype": p.dtype.str}:
            raise _Bad(f"param {i} is recorded as {layout[i]!r}, but the optimizer's param {i} "
                       f"has shape {p.shape} and dtype {p.dtype}")
    state = meta["optimizer_state"]
    groups = state.get("param_groups") if isinstance(state, dict) else None
    ours = [len(group["params"]) for group in optimizer.param_groups]
    if not isinstance(groups, list) or not all(isinstance(g, dict) for g in groups):
        raise _Bad("the optimizer state has no list of parameter groups")
    offsets = np.cumsum([0] + ours)
    saved = [g.get("params") for g in groups]
    expected = [list(range(offsets[i], offsets[i + 1])) for i in range(len(ours))]
    if saved != expected:
        sizes = [len(s) if isinstance(s, list) else "?" for s in saved]
        raise _Bad(f"the checkpoint's parameter groups hold {sizes} params "
                   f"(indices {saved!r}), the optimizer's hold {ours}")


def _plan(meta, params):
    """Where each array member goes: ``{name: (where, param or None)}``; a param-state
    array must be shaped like its param, any other array holds at most one number."""
    plan, per_param = {}, {}

    def visit(value, where, owner):
        if isinstance(value, list):
            for i, v in enumerate(value):
                visit(v, f"{where}[{i}]", None)
        elif _is_ref(value):
            name = value["__array__"]
            if not isinstance(name, str) or not re.fullmatch(r"array_(0|[1-9][0-9]{0,8})", name):
                raise _Bad(f"{where} refers to an array member named {name!r}")
            if name in plan:
                raise _Bad(f"the array member {name!r} is referred to twice")
            if owner is not None:
                per_param[owner] = per_param.get(owner, 0) + 1
                if per_param[owner] > MAX_STATE_ARRAYS:
                    raise _Bad(f"the state of param {owner} holds more than "
                               f"{MAX_STATE_ARRAYS} arrays")
            elif sum(1 for _, q in plan.values() if q is None) >= MAX_OTHER_ARRAYS:
                raise _Bad(f"more than {MAX_OTHER_ARRAYS} arrays outside the param states")
            plan[name] = (where, owner)
        elif isinstance(value, dict):
            for k, v in value.items():
                visit(v, f"{where}[{k!r}]", None)

    state = meta["optimizer_state"].get("state")
    for key, value in meta.items():
        if key != "optimizer_state":
            visit(value, key, None)
    for key, value in meta["optimizer_state"].items():
        if key != "state":
            visit(value, f"optimizer_state[{key!r}]", None)
    pairs = state.get("__dict__") if isinstance(state, dict) and set(state) == {"__dict__"} \
        else None
    if state == {}:
        pairs = []
    if not isinstance(pairs, list):
        raise _Bad("the optimizer state is not a dict keyed by param index")
    for j, pair in enumerate(pairs):
        if not (isinstance(pair, list) and len(pair) == 2 and type(pair[0]) is int
                and 0 <= pair[0] < len(params) and isinstance(pair[1], dict)):
            raise _Bad(f"entry {j} of the optimizer state is not [param index, dict]")
        for key, value in pair[1].items():
            owner = pair[0] if _is_ref(value) else None
            visit(value, f"the state of param {pair[0]}[{key!r}]", owner)
    return plan


def _check_array(name, dtype, shape, where, owner, params):
    """The array member ``name`` may hold ``dtype`` and ``shape`` where it goes."""
    if dtype.kind not in "fiub" or dtype.itemsize > 8 or dtype.fields is not None:
        raise _Bad(f"member {name!r} ({where}) holds dtype {dtype}; a checkpoint holds only "
                   "arrays of numbers")
    size = int(np.prod(shape, dtype=object))
    if owner is not None:
        p = params[owner]
        if tuple(shape) != p.shape and size > 1:
            raise _Bad(f"{where}: member {name!r} has shape {tuple(shape)} but the param has "
                       f"shape {p.shape}")
    elif size > 1:
        raise _Bad(f"{where}: member {name!r} has shape {tuple(shape)}; arrays outside the "
                   "param states hold at most one number")


# --------------------------------------------------------------------------- reading

def _exact(stream, n, what):
    data = stream.read(n)
    if len(data) != n:
        raise _Bad(f"{what} ends early ({len(data)} of {n} bytes)")
    return data


def _npy_header(stream, name):
    """``(dtype, shape, fortran_order, header bytes)`` of a ``.npy`` member, read and
    checked without numpy's parser (whose errors are not all ValueErrors)."""
    magic = _exact(stream, 8, f"member {name!r}")
    if magic[:6] != b"\x93NUMPY" or magic[6] not in (1, 2, 3):
        raise _Bad(f"member {name!r} is not an array (.npy)")
    size_bytes = 2 if magic[6] == 1 else 4
    length = int.from_bytes(_exact(stream, size_bytes, f"member {name!r}"), "little")
    if length > MAX_HEADER:
        raise _Bad(f"member {name!r} declares a {length}-byte header (at most {MAX_HEADER})")
    raw = _exact(stream, length, f"the header of member {name!r}")
    try:
        header = ast.literal_eval(raw.decode("latin1" if magic[6] < 3 else "utf8"))
    except Exception as error:  # SyntaxError, ValueError, MemoryError, RecursionError, ...
        raise _Bad(f"member {name!r} has a malformed .npy header ({type(error).__name__})") \
            from None
    if not (isinstance(header, dict) and set(header) == {"descr", "fortran_order", "shape"}
            and isinstance(header["descr"], str) and len(header["descr"]) <= 16
            and type(header["fortran_order"]) is bool and isinstance(header["shape"], tuple)
            and len(header["shape"]) <= 32
            and all(type(n) is int and 0 <= n < 2 ** 62 for n in header["shape"])):
        raise _Bad(f"member {name!r} has a malformed .npy header: {header!r:.200}")
    try:
        dtype = np.dtype(header["descr"])
    except Exception:
        raise _Bad(f"member {name!r} declares an unknown dtype {header['descr']!r}") from None
    if dtype.hasobject:
        raise _Bad(f"member {name!r} holds Python objects (dtype object); checkpoints hold "
                   "only numbers and are never unpickled")
    return dtype, header["shape"], header["fortran_order"], size_bytes + 8 + length


def _read_member(archive, info, name, check):
    """One member's array; ``check(dtype, shape)`` refuses a header before the data is read."""
    with archive.open(info) as stream:
        dtype, shape, fortran, header_bytes = _npy_header(stream, name)
        check(dtype, shape)
        nbytes = int(np.prod(shape, dtype=object)) * dtype.itemsize
        if info.file_size != header_bytes + nbytes:
            raise _Bad(f"member {name!r} is {info.file_size} bytes in the archive's directory, "
                       f"but its header describes {header_bytes + nbytes}")
        data = stream.read(nbytes + 1)
        if len(data) != nbytes:
            raise _Bad(f"member {name!r} holds {len(data)} data bytes, its header says {nbytes}")
    return np.frombuffer(data, dtype=dtype).reshape(shape, order="F" if fortran else "C")


def _directory(archive, params, disk_size):
    """The members by name (without ``.npy``), checked before any of them is read."""
    infos = archive.infolist()
    names = [info.filename for info in infos]
    if len(set(names)) != len(names):
        raise _Bad("the archive lists a member twice")
    raw = sorted(n for n in names if not n.endswith(".npy"))
    if raw:
        raise _Bad(f"members {raw} are not arrays (.npy)")
    limit_state = max((_state_array_bytes(p) for p in params), default=MAX_HEADER)
    members, unexpected, total = {}, [], 0
    for info in infos:
        name = info.filename[:-4]
        match = _MEMBER.match(info.filename)
        if name == "meta":
            limit = MAX_HEADER + 4 * _meta_chars(params)
        elif match and match[1] == "param" and int(match[2]) < len(params):
            limit = MAX_HEADER + params[int(match[2])].data.nbytes
        elif match and match[1] == "array" and int(match[2]) < (
                MAX_STATE_ARRAYS * len(params) + MAX_OTHER_ARRAYS):
            limit = limit_state
        else:
            unexpected.append(name)
            continue
        if info.flag_bits & 0x1:
            raise _Bad(f"member {name!r} is encrypted")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise _Bad(f"member {name!r} uses compression method {info.compress_type} "
                       "(only stored and deflated members are read)")
        if info.file_size > limit:
            raise _Bad(f"member {name!r} declares {info.file_size} bytes, more than the "
                       f"{limit} it can need for these params")
        if (info.compress_type == zipfile.ZIP_STORED and info.compress_size != info.file_size) \
                or info.header_offset + info.compress_size > disk_size:
            raise _Bad(f"member {name!r} declares sizes that do not fit the file")
        total += info.file_size
        members[name] = info
    if unexpected:
        raise _Bad(f"unexpected members {sorted(unexpected)}")
    if total > _member_bound(params):
        raise _Bad(f"the members declare {total} bytes in all, more than the "
                   f"{_member_bound(params)} a checkpoint of these params can need")
    return members


def _open(path):
    """An open regular file; OSError when it cannot be opened."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
                 | getattr(os, "O_BINARY", 0))
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise IsADirectoryError(errno.EISDIR, "Is a directory", path)
        if not stat.S_ISREG(info.st_mode):
            raise _Bad("is not a regular file")
        return os.fdopen(fd, "rb"), info.st_size
    except BaseException:
        os.close(fd)
        raise


def _read(path, optimizer, scheduler, params):
    """The parsed ``meta`` and every array member, all checked against the params."""
    file, disk_size = _open(path)
    with file:
        if file.read(4) != b"PK\x03\x04":
            raise _Bad("is not a readable checkpoint: not an .npz (zip) archive")
        if disk_size > size_bound(params):
            raise _Bad(f"is not a readable checkpoint: the file is {disk_size} bytes, more than "
                       f"the {size_bound(params)} a checkpoint of these params can be")
        file.seek(0)
        try:
            with zipfile.ZipFile(file) as archive:
                members = _directory(archive, params, disk_size)
                if "meta" not in members:
                    raise _Bad("is not an adam_ref checkpoint (no 'meta' text member)")
                text = _read_member(archive, members.pop("meta"), "meta", _meta_check(params))
                meta = _parse_meta(str(text.item()), params)
                _check_meta(meta, optimizer, scheduler, params)
                plan = _plan(meta, params)
                data = []
                for i, p in enumerate(params):
                    info = members.pop(f"param_{i}", None)
                    if info is None:
                        raise _Bad(f"the member 'param_{i}' is missing")
                    data.append(_read_member(archive, info, f"param_{i}", _param_check(i, p)))
                unknown = sorted(set(members) - set(plan))
                if unknown:
                    raise _Bad(f"unexpected members {unknown}")
                arrays = {}
                for name, info in members.items():
                    where, owner = plan[name]
                    arrays[name] = _read_member(
                        archive, info, name,
                        lambda d, s: _check_array(name, d, s, where, owner, params))
        except _Bad:
            raise
        except OSError as error:
            if error.errno not in (None, errno.EINVAL):  # the file system, not the contents
                raise
            raise _Bad(f"is not a readable checkpoint: {error}") from None
        except Exception as error:  # zipfile, zlib and struct errors, and their kin
            raise _Bad(f"is not a readable checkpoint: {error or type(error).__name__}") from None
    return meta, data, arrays


def _meta_check(params):
    def check(dtype, shape):
        if dtype.kind != "U" or shape != () or dtype.itemsize > 4 * _meta_chars(params):
            raise _Bad("is not an adam_ref checkpoint (no 'meta' text member)")
    return check


def _param_check(i, p):
    def check(dtype, shape):
        if tuple(shape) != p.shape or dtype != p.dtype:
            raise _Bad(f"param {i} has shape {tuple(shape)} and dtype {dtype} in the "
                       f"checkpoint, but shape {p.shape} and dtype {p.dtype} in the optimizer")
    return check


def _states(meta, arrays):
    used = set()
    try:
        optimizer_state = _decode(meta["optimizer_state"], arrays, used)
        scheduler_state = _decode(meta["scheduler_state"], arrays, used)
    except TypeError as error:  # e.g. a dict key that cannot be hashed
        raise _Bad(f"the checkpoint holds a malformed value ({error})") from None
    unused = sorted(set(arrays) - used)
    if unused:
        raise _Bad(f"unexpected members {unused}")
    return optimizer_state, scheduler_state


# --------------------------------------------------------------------------- saving

_ACTIVE = set()  # this process's temporary files being written


def _umask():
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def _remove_leftovers(directory, base):
    """Remove temporary files that an interrupted earlier save of ``base`` left behind:
    those of processes that no longer run, and (from older versions) any over a day old."""
    ours = re.compile(r"\." + re.escape(base) + r"\.([0-9]+)\.[0-9a-f]{8}\.tmp\Z")
    older = re.compile(r"\." + re.escape(base) + r"\.[a-z0-9_]{8}\.tmp\Z")
    try:
        names = os.listdir(directory)
    except OSError:
        return
    for name in names:
        full = os.path.join(directory, name)
        match = ours.match(name)
        try:
            if match:
                pid = int(match[1])
                stale = full not in _ACTIVE and (pid == os.getpid() or not _alive(pid))
            elif older.match(name):
                stale = time.time() - os.lstat(full).st_mtime > 86400
            else:
                continue
            if stale and stat.S_ISREG(os.lstat(full).st_mode):
                os.unlink(full)
        except OSError:
            pass


def _verify(path, meta, arrays, optimizer, scheduler, params):
    """Refuse, before writing, what :func:`load_checkpoint` would refuse."""
    text = json.dumps(meta)
    try:
        parsed = _parse_meta(text, params)
        _check_meta(parsed, optimizer, scheduler, params)
        plan = _plan(parsed, params)
        for name, array in arrays.items():
            where, owner = plan[name]
            _check_array(name, array.dtype, array.shape, where, owner, params)
        optimizer_state, scheduler_state = _states(parsed, arrays)
        copy.copy(optimizer).load_state_dict(optimizer_state)
        if scheduler is not None:
            copy.copy(scheduler).load_state_dict(scheduler_state)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{path}: cannot save this checkpoint, it would not load back: "
                         f"{error}") from None
    return text


def save_checkpoint(path, optimizer, scheduler=None):
    """Write the params' data, ``optimizer.state_dict()`` and ``scheduler.state_dict()``
    to ``path`` (one ``.npz`` file), atomically: the old file at ``path`` is replaced
    only once the new one is complete on disk.

    What the file would not load back is refused first (ValueError): a checkpoint
    that saves loads into an identically built optimizer and scheduler. An existing
    file keeps its permission bits; a symlink is written through (its target is
    replaced); temporary files left by an interrupted earlier save are removed.
    """
    path = _path(path)
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
    text = _verify(path, meta, extra, optimizer, scheduler, params)
    members = {"meta": np.array(text), **arrays, **extra}

    target = os.path.realpath(path)  # through symlinks: the link stays, its target is replaced
    if os.path.isdir(target):
        raise IsADirectoryError(errno.EISDIR, "Is a directory", path)
    directory, base = os.path.split(target)
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        mode = 0o666 & ~_umask()
    tmp = os.path.join(directory, f".{base}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
                 | getattr(os, "O_BINARY", 0), 0o600)
    _ACTIVE.add(tmp)
    try:
        with os.fdopen(fd, "wb") as file:
            np.savez(file, **members)
            file.flush()
            if hasattr(os, "fchmod"):
                os.fchmod(file.fileno(), mode)
            os.fsync(file.fileno())
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    finally:
        _ACTIVE.discard(tmp)
    _fsync_directory(directory)
    _remove_leftovers(directory, base)


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


# --------------------------------------------------------------------------- loading

def load_checkpoint(path, optimizer, scheduler=None):
    """Restore params, optimizer state and scheduler state from :func:`save_checkpoint`'s file.

    The param arrays are written into the existing ``param.data`` (identity kept).
    The checkpoint must come from the same optimizer class over params of the same
    shapes and dtypes, grouped the same way. On any error nothing is changed: a
    ValueError naming the file and what is wrong for a file that is not such a
    checkpoint (truncated, corrupt, tampered with, or for other params), an OSError
    when the file system cannot open or read it. ``path`` must be a file name.
    """
    path = _path(path)
    params = _params(optimizer, scheduler)
    try:
        meta, data, arrays = _read(path, optimizer, scheduler, params)
        optimizer_state, scheduler_state = _states(meta, arrays)
    except _Bad as error:
        message = str(error)
        raise ValueError(f"{path} {message}" if message.startswith(("is ", "holds "))
                         else f"{path}: {message}") from None
    for i, p in enumerate(params):
        if not p.data.flags.writeable:
            raise ValueError(f"param {i}: data is a read-only array; it cannot be restored")

    # optimizer and scheduler loads each check everything first; keep the old
    # optimizer objects so that a refused scheduler state can undo the first load
    old = optimizer.param_groups, optimizer.state, optimizer.last_trace
    try:
        optimizer.load_state_dict(optimizer_state)
        if scheduler is not None:
            scheduler.load_state_dict(scheduler_state)
    except BaseException as error:
        optimizer.param_groups, optimizer.state, optimizer.last_trace = old
        if isinstance(error, (TypeError, ValueError)):
            raise ValueError(f"{path}: {error}") from None
        raise
    for p, array in zip(params, data):
        p.data[...] = array
