"""save_checkpoint / load_checkpoint: round trips, bit-identical resumes, atomic saves and loads."""

import copy
import io
import json
import os
import pickle
import pathlib
import zipfile

import numpy as np
import pytest

from adam_ref import Adam, AdamW, Param, lr_scheduler
from adam_ref.checkpoint import load_checkpoint, save_checkpoint

ROOT = pathlib.Path(__file__).resolve().parents[1]

def make(seed=0, cls=Adam, dtype=np.float64):
    rng = np.random.default_rng(seed)
    params = [Param(rng.normal(size=3).astype(dtype), name="w"),
              Param(rng.normal(size=(2, 2)).astype(dtype)), Param(rng.normal(size=4).astype(dtype))]
    opt = cls([{"params": params[:2], "amsgrad": True},
               {"params": params[2:], "lr": 0.05, "betas": (0.8, 0.99), "weight_decay": 0.1}],
              lr=0.01)
    return opt, params


def run(opt, params, steps, seed, scheduler=None):
    rng = np.random.default_rng(seed)
    for k in range(steps):
        for i, p in enumerate(params):
            # param 2 has no grad on odd steps, param 1 none before step 3
            skip = (i == 2 and k % 2) or (i == 1 and k < 3 and not opt.state.get(p))
            p.grad = None if skip else rng.normal(size=p.shape).astype(p.dtype)
        opt.step()
        if isinstance(scheduler, getattr(lr_scheduler, "ReduceLROnPlateau", ())):
            scheduler.step(float(rng.choice([1.0, 0.5, 2.0])))   # a loss that stalls
        elif scheduler is not None:
            scheduler.step()


def everything(opt, params, scheduler=None):
    """A plain, comparable snapshot of all that a checkpoint restores."""
    state = {i: {k: (v.tobytes(), v.dtype.str, v.shape) if isinstance(v, np.ndarray) else v
                 for k, v in opt.state[p].items()}
             for i, p in enumerate(params) if p in opt.state}
    groups = [{k: v for k, v in g.items() if k != "params"} for g in opt.param_groups]
    sched = None if scheduler is None else copy.deepcopy(scheduler.state_dict())
    return [p.data.tobytes() for p in params], state, groups, sched


@pytest.mark.parametrize("cls", [Adam, AdamW])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_resume_is_bit_identical(tmp_path, cls, dtype):
    opt, params = make(cls=cls, dtype=dtype)
    run(opt, params, 7, seed=1)
    path = tmp_path / "run.npz"
    save_checkpoint(path, opt)
    run(opt, params, 20, seed=2)

    fresh, fresh_params = make(seed=99, cls=cls, dtype=dtype)   # other values, same layout
    arrays = [p.data for p in fresh_params]
    load_checkpoint(path, fresh)
    assert [p.data for p in fresh_params] == arrays               # identity kept
    assert all(a is p.data for a, p in zip(arrays, fresh_params))
    run(fresh, fresh_params, 20, seed=2)
    assert everything(fresh, fresh_params) == everything(opt, params)


def test_round_trip_keeps_types(tmp_path):
    opt, params = make()
    run(opt, params, 4, seed=1)
    path = tmp_path / "c.npz"
    save_checkpoint(path, opt)
    fresh, fresh_params = make(seed=5)
    load_checkpoint(path, fresh)
    for ours, theirs in zip(fresh.param_groups, opt.param_groups):
        assert type(ours["betas"]) is tuple and ours["betas"] == theirs["betas"]
        assert {k: v for k, v in ours.items() if k != "params"} == \
               {k: v for k, v in theirs.items() if k != "params"}
    for p, q in zip(params, fresh_params):
        assert (p in opt.state) == (q in fresh.state)
        if p in opt.state:
            assert type(fresh.state[q]["step"]) is int
            for key, value in opt.state[p].items():
                assert np.array_equal(fresh.state[q][key], value)
                assert not np.shares_memory(fresh.state[q][key], value) or key == "step"
    # plain arrays only: readable without pickle, and the JSON is in one member
    with np.load(path, allow_pickle=False) as archive:
        assert all(archive[name].dtype != object for name in archive.files)
        meta = json.loads(archive["meta"].item())
    assert meta["optimizer"] == "Adam" and meta["params"][1] == {"shape": [2, 2], "dtype": "<f8"}


@pytest.mark.parametrize("make_scheduler", [
    lambda opt: lr_scheduler.StepLR(opt, step_size=3, gamma=0.5),
    lambda opt: lr_scheduler.MultiStepLR(opt, milestones=[2, 5, 5, 9], gamma=0.3),
    lambda opt: lr_scheduler.CosineAnnealingLR(opt, T_max=12, eta_min=1e-4),
    lambda opt: lr_scheduler.LambdaLR(opt, lambda epoch: 0.9 ** epoch),
    lambda opt: lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, patience=1),
], ids=["StepLR", "MultiStepLR", "CosineAnnealingLR", "LambdaLR", "ReduceLROnPlateau"])
def test_resume_with_a_scheduler_is_bit_identical(tmp_path, make_scheduler):
    opt, params = make()
    sched = make_scheduler(opt)
    run(opt, params, 6, seed=1, scheduler=sched)
    path = tmp_path / "run.npz"
    save_checkpoint(path, opt, sched)
    run(opt, params, 15, seed=2, scheduler=sched)

    fresh, fresh_params = make(seed=3)
    fresh_sched = make_scheduler(fresh)
    load_checkpoint(path, fresh, fresh_sched)
    run(fresh, fresh_params, 15, seed=2, scheduler=fresh_sched)
    assert everything(fresh, fresh_params, fresh_sched) == everything(opt, params, sched)
    assert fresh_sched.get_last_lr() == sched.get_last_lr()


# --------------------------------------------------------------------------- atomic save

def test_a_failed_save_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    opt, params = make()
    run(opt, params, 3, seed=1)
    path = tmp_path / "c.npz"
    save_checkpoint(path, opt)
    old = path.read_bytes()
    run(opt, params, 3, seed=2)

    real_savez = np.savez

    def savez_then_fail(file, **members):
        real_savez(file, **members)      # the whole archive is written ...
        raise OSError("disk full")       # ... and then the save is interrupted

    monkeypatch.setattr(np, "savez", savez_then_fail)
    with pytest.raises(OSError, match="disk full"):
        save_checkpoint(path, opt)
    assert path.read_bytes() == old
    assert sorted(os.listdir(tmp_path)) == ["c.npz"]


def test_an_interrupted_write_leaves_the_old_file(tmp_path, monkeypatch):
    opt, params = make()
    path = tmp_path / "c.npz"
    save_checkpoint(path, opt)
    old = path.read_bytes()
    run(opt, params, 3, seed=2)

    def write_half(file, **members):
        file.write(b"PK\x03\x04 half an archive")
        raise KeyboardInterrupt

    monkeypatch.setattr(np, "savez", write_half)
    with pytest.raises(KeyboardInterrupt):
        save_checkpoint(path, opt)
    assert path.read_bytes() == old
    assert sorted(os.listdir(tmp_path)) == ["c.npz"]
    monkeypatch.undo()
    fresh, _ = make()
    load_checkpoint(path, fresh)   # the old checkpoint still loads


def test_unstorable_values_are_refused_before_writing(tmp_path):
    opt, _ = make()
    opt.param_groups[0]["note"] = object()
    path = tmp_path / "c.npz"
    with pytest.raises(TypeError, match="cannot store a value of type object"):
        save_checkpoint(path, opt)
    assert os.listdir(tmp_path) == []


# --------------------------------------------------------------------------- atomic load

def rewrite(path, change):
    """Rewrite the archive at ``path`` with ``change(members)`` applied (a tampered file)."""
    with np.load(path, allow_pickle=False) as archive:
        members = {name: archive[name] for name in archive.files}
    change(members)
    with open(path, "wb") as file:
        np.savez(file, **members)


def edit_meta(edit):
    def change(members):
        meta = json.loads(members["meta"].item())
        edit(meta)
        members["meta"] = np.array(json.dumps(meta))
    return change


def put_pickled_object(members):
    members["param_0"] = np.array([{"not": "an array"}, None], dtype=object)


def npy_bytes(array):
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def truncate(path):
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def flip_a_byte(path):
    data = bytearray(path.read_bytes())
    data[200] ^= 0xFF
    path.write_bytes(bytes(data))


TAMPERED = [
    ("truncated", truncate, "not a readable checkpoint"),
    ("corrupt byte", flip_a_byte, "not a readable checkpoint: Bad CRC-32"),
    ("not a zip", lambda p: p.write_bytes(b"hello"), "not an .npz"),
    ("a pickle", lambda p: p.write_bytes(pickle.dumps({"state": 1})), "not an .npz"),
    ("a .npy", lambda p: p.write_bytes(npy_bytes(np.zeros(3))), "not an .npz"),
    ("empty", lambda p: p.write_bytes(b""), "not an .npz"),
    ("pickled member", lambda p: rewrite(p, put_pickled_object), r"dtype object\); checkpoints"),
    ("missing param", lambda p: rewrite(p, lambda m: m.pop("param_1")), "'param_1' is missing"),
    ("missing state array", lambda p: rewrite(p, lambda m: m.pop("array_0")),
     "missing array member 'array_0'"),
    ("extra member", lambda p: rewrite(p, lambda m: m.update(extra=np.zeros(1))),
     r"unexpected members \['extra'\]"),
    ("no meta", lambda p: rewrite(p, lambda m: m.pop("meta")), "no 'meta' text member"),
    ("bad json", lambda p: rewrite(p, lambda m: m.update(meta=np.array("{not json"))),
     "not valid JSON"),
    ("wrong param shape", lambda p: rewrite(p, lambda m: m.update(param_0=np.zeros(4))),
     r"param 0 has shape \(4,\)"),
    ("wrong param dtype", lambda p: rewrite(p, lambda m: m.update(
        param_0=m["param_0"].astype(np.float32))), "dtype float32"),
    ("wrong state shape", lambda p: rewrite(p, lambda m: m.update(array_0=np.zeros(7))),
     r"has shape \(7,\) but the param has shape \(3,\)"),
    ("int state", lambda p: rewrite(p, lambda m: m.update(array_0=np.zeros(3, dtype=int))),
     "must be a floating array"),
    ("other optimizer", lambda p: rewrite(p, edit_meta(lambda meta: meta.update(
        optimizer="SGD"))), "holds the state of optimizer 'SGD', but the optimizer given is a 'Adam'"),
    ("other version", lambda p: rewrite(p, edit_meta(lambda meta: meta.update(version=7))),
     "version 7"),
    ("bad step", lambda p: rewrite(p, edit_meta(
        lambda meta: meta["optimizer_state"]["state"]["__dict__"][0][1].update(step=-3))),
     "'step' must be"),
    ("bad lr", lambda p: rewrite(p, edit_meta(
        lambda meta: meta["optimizer_state"]["param_groups"][1].update(lr=-1))),
     "Invalid learning rate"),
]


@pytest.mark.parametrize("name,tamper,match", TAMPERED, ids=[t[0] for t in TAMPERED])
def test_a_tampered_checkpoint_is_refused_and_changes_nothing(tmp_path, name, tamper, match):
    opt, params = make()
    run(opt, params, 4, seed=1)
    path = tmp_path / "c.npz"
    save_checkpoint(path, opt)
    tamper(path)
    target, target_params = make(seed=7)
    run(target, target_params, 2, seed=3)
    before = everything(target, target_params)
    with pytest.raises(ValueError, match=match):
        load_checkpoint(path, target)
    assert everything(target, target_params) == before


def test_another_layout_is_refused(tmp_path):
    opt, params = make()
    run(opt, params, 2, seed=1)
    path = tmp_path / "c.npz"
    save_checkpoint(path, opt)
    for other in ([Param(np.zeros(3)), Param(np.zeros((2, 2)))],                 # fewer params
                  [Param(np.zeros(3)), Param(np.zeros(4)), Param(np.zeros(4))]):   # a shape
        target = Adam(other)
        before = everything(target, other)
        with pytest.raises(ValueError, match="param"):
            load_checkpoint(path, target)
        assert everything(target, other) == before
    # same params, grouped differently
    regrouped = [Param(np.zeros(3)), Param(np.zeros((2, 2))), Param(np.zeros(4))]
    target = Adam([{"params": regrouped[:1]}, {"params": regrouped[1:]}])
    with pytest.raises(ValueError, match="parameter group"):
        load_checkpoint(path, target)
    assert not target.state and not regrouped[0].data.any()
    with pytest.raises(ValueError, match="optimizer 'Adam', but the optimizer given is a 'AdamW'"):
        load_checkpoint(path, AdamW(regrouped))


def test_missing_file_is_an_oserror(tmp_path):
    opt, _ = make()
    with pytest.raises(OSError):
        load_checkpoint(tmp_path / "nope.npz", opt)
    with pytest.raises(OSError):
        save_checkpoint(tmp_path / "no" / "such" / "dir.npz", opt)


def test_wrong_arguments_are_type_errors(tmp_path):
    opt, params = make()
    path = tmp_path / "c.npz"
    with pytest.raises(TypeError, match="adam_ref Optimizer"):
        save_checkpoint(path, params)
    with pytest.raises(TypeError, match="scheduler must have state_dict"):
        save_checkpoint(path, opt, scheduler="StepLR")
    assert not path.exists()
    save_checkpoint(path, opt)
    with pytest.raises(TypeError, match="adam_ref Optimizer"):
        load_checkpoint(path, {"state": {}})


def test_a_bad_scheduler_state_undoes_the_optimizer_load(tmp_path):
    opt, params = make()
    sched = lr_scheduler.StepLR(opt, step_size=2)
    run(opt, params, 3, seed=1, scheduler=sched)
    path = tmp_path / "c.npz"
    save_checkpoint(path, opt, sched)
    rewrite(path, edit_meta(lambda meta: meta["scheduler_state"].update(last_epoch=-5)))
    target, target_params = make(seed=4)
    target_sched = lr_scheduler.StepLR(target, step_size=2)
    run(target, target_params, 1, seed=2, scheduler=target_sched)
    groups, state = target.param_groups, target.state
    before = everything(target, target_params, target_sched)
    with pytest.raises(ValueError, match="last_epoch"):
        load_checkpoint(path, target, target_sched)
    assert everything(target, target_params, target_sched) == before
    assert target.param_groups is groups and target.state is state
    with pytest.raises(ValueError, match="scheduler 'StepLR', but the scheduler given is a 'ExponentialLR'"):
        load_checkpoint(path, target, lr_scheduler.ExponentialLR(target, gamma=0.9))


def test_truncated_files_of_every_length_are_refused(tmp_path):
    """Cutting the file anywhere gives a ValueError, never a crash or a partial load."""
    opt, params = make()
    run(opt, params, 2, seed=1)
    path = tmp_path / "c.npz"
    save_checkpoint(path, opt)
    whole = path.read_bytes()
    target, target_params = make(seed=8)
    before = everything(target, target_params)
    for cut in range(0, len(whole), max(1, len(whole) // 60)):
        path.write_bytes(whole[:cut])
        with pytest.raises(ValueError):
            load_checkpoint(path, target)
    assert everything(target, target_params) == before


@pytest.mark.parametrize("member", ["meta.npy", "param_0.npy", "array_0.npy"])
def test_a_member_that_is_not_an_npy_array_is_refused(tmp_path, member):
    w = Param(np.array([1.0, 2.0]))
    opt = Adam([w], lr=0.1)
    w.grad = np.ones(2)
    opt.step()
    good, bad = tmp_path / "good.npz", tmp_path / "bad.npz"
    save_checkpoint(good, opt)
    with zipfile.ZipFile(good) as zin, zipfile.ZipFile(bad, "w") as zout:
        for name in zin.namelist():  # the member keeps its bytes but loses its .npy form
            zout.writestr(name[:-4] if name == member else name,
                          b"not an npy file" if name == member else zin.read(name))
    before = (w.data.copy(), opt.state_dict())
    with pytest.raises(ValueError, match="are not arrays"):
        load_checkpoint(bad, opt)
    np.testing.assert_array_equal(w.data, before[0])
    np.testing.assert_array_equal(opt.state[w]["exp_avg"], before[1]["state"][0]["exp_avg"])


# --------------------------------------------------------------------------- defensive reading

def saved(tmp_path, steps=3, scheduler=None):
    opt, params = make()
    run(opt, params, steps, seed=1)
    path = tmp_path / "c.npz"
    save_checkpoint(path, opt)
    return path


def members_of(path):
    with zipfile.ZipFile(path) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def write_zip(path, members, compression=zipfile.ZIP_STORED):
    with zipfile.ZipFile(path, "w", compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)


def npy_header(shape, descr="<f8"):
    """A .npy header (no data) declaring ``shape``, as numpy writes it."""
    header = repr({"descr": descr, "fortran_order": False, "shape": shape}).encode("latin1")
    header += b" " * (-(len(header) + 11) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header


def central_entry(data, name):
    """The offset of ``name``'s entry in the zip's central directory."""
    at = data.find(b"PK\x01\x02")
    while at >= 0:
        length = int.from_bytes(data[at + 28:at + 30], "little")
        if data[at + 46:at + 46 + length] == name.encode():
            return at
        at = data.find(b"PK\x01\x02", at + 4)
    raise AssertionError(name)


def patch_entry(path, name, offset, value):
    """Set a 2-byte field of ``name``'s local header and central directory entry
    (``offset`` in the central entry; local headers have it 2 bytes earlier)."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        local = archive.getinfo(name).header_offset
    central = central_entry(bytes(data), name)
    data[central + offset:central + offset + 2] = value.to_bytes(2, "little")
    data[local + offset - 2:local + offset] = value.to_bytes(2, "little")
    path.write_bytes(bytes(data))


class ReadCounter:
    """Records the largest single read from a zip member (the reader must bound them)."""

    def __init__(self, monkeypatch):
        self.largest = 0
        real = zipfile.ZipExtFile.read

        def read(stream, n=-1):
            data = real(stream, n)
            self.largest = max(self.largest, len(data))
            return data
        monkeypatch.setattr(zipfile.ZipExtFile, "read", read)


def refused(path, match, target=None):
    """Load ``path`` into a stepped optimizer: ValueError matching ``match``, nothing changed."""
    target, target_params = target or make(seed=7)
    run(target, target_params, 2, seed=3)
    before = everything(target, target_params)
    with pytest.raises(ValueError, match=match) as error:
        load_checkpoint(path, target)
    assert everything(target, target_params) == before
    assert str(path) in str(error.value)
    return str(error.value)


@pytest.mark.parametrize("member", ["param_0.npy", "array_0.npy"])
def test_a_header_declaring_a_huge_shape_is_refused_before_reading(tmp_path, monkeypatch, member):
    path = saved(tmp_path)
    members = members_of(path)
    members[member] = npy_header((10 ** 12,)) + b"\0" * 24     # 3 numbers, 7.3 TiB declared
    write_zip(path, members)
    counter = ReadCounter(monkeypatch)
    refused(path, r"shape \(1000000000000,\)")
    assert counter.largest <= 4096


def test_a_member_larger_than_the_params_allow_is_refused_before_decompressing(tmp_path,
                                                                             monkeypatch):
    path = saved(tmp_path)
    members = members_of(path)
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("array_9.npy", "w") as stream:   # 32 MiB of zeros, deflated to ~32 KB
            for _ in range(32):
                stream.write(bytes(2 ** 20))
    assert path.stat().st_size < 2 ** 20 and "array_9.npy" not in members
    calls = []
    monkeypatch.setattr(zipfile.zlib, "decompressobj", lambda *a: calls.append(a))
    refused(path, r"member 'array_9' declares 33554432 bytes, more than")
    assert calls == []


def test_a_file_larger_than_the_bound_is_refused_unopened(tmp_path, monkeypatch):
    from adam_ref.checkpoint import size_bound
    path = saved(tmp_path)
    _, params = make()
    with open(path, "ab") as file:       # zip readers tolerate data before the directory? not ours
        file.write(bytes(size_bound(params)))
    monkeypatch.setattr(zipfile, "ZipFile", None)   # never reached
    refused(path, "more than the .* a checkpoint of these params can be")


@pytest.mark.parametrize("field,value,match", [
    (8, 0x1, "member 'meta' is encrypted"),
    (10, 9, "compression method 9"),
    (10, 99, "compression method 99"),
], ids=["encrypted", "deflate64", "unknown method"])
def test_zip_features_beyond_stored_and_deflated_are_refused(tmp_path, field, value, match):
    path = saved(tmp_path)
    patch_entry(path, "meta.npy", field, value)
    refused(path, match)


def test_a_corrupt_deflate_stream_is_a_value_error(tmp_path):
    path = saved(tmp_path)
    write_zip(path, members_of(path), zipfile.ZIP_DEFLATED)
    fresh, _ = make()
    load_checkpoint(path, fresh)          # deflated members are read
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("param_1.npy")
    start = info.header_offset + 30 + len(info.filename)
    data[start:start + 8] = b"\xff" * 8   # not a deflate stream
    path.write_bytes(bytes(data))
    refused(path, "not a readable checkpoint")


@pytest.mark.parametrize("depth", [33, 500, 100_000])
def test_deeply_nested_json_is_refused_without_parsing(tmp_path, monkeypatch, depth):
    path = saved(tmp_path)
    members = members_of(path)
    meta = json.loads(np.load(io.BytesIO(members["meta.npy"])).item())
    meta["optimizer_state"]["param_groups"][0]["note"] = "[" * (depth - 4) + "]" * (depth - 4)
    meta["scheduler_state"] = json.loads("[" * (depth - 1) + "]" * (depth - 1)) \
        if depth < 900 else None
    text = json.dumps(meta)
    if depth >= 900:
        text = text.replace('"scheduler_state": null',
                            '"scheduler_state": ' + "[" * (depth - 1) + "]" * (depth - 1))
    members["meta.npy"] = npy_bytes(np.array(text))
    write_zip(path, members)
    parsed = []
    monkeypatch.setattr(json, "loads", lambda *a, **k: parsed.append(a))
    refused(path, rf"nests {depth} levels deep \(at most 32\)")
    assert parsed == []


@pytest.mark.parametrize("header,match", [
    (b"{'descr': '<f8', 'fortran_order': False, 'shape': (3,), 'x': '''", "malformed .npy header"),
    (b"{'descr': '<f8', 'fortran_order': False, 'shape': " + b"(" * 300, "malformed .npy header"),
    (b"__import__('os').system('false')", "malformed .npy header"),
    (b"{'descr': '|O', 'fortran_order': False, 'shape': (3,)}", "dtype object"),
    (b"{'descr': [('a', '<f8')], 'fortran_order': False, 'shape': (3,)}", "malformed"),
    (b"{'descr': '<f8', 'fortran_order': 0, 'shape': (3,)}", "malformed"),
    (b"{'descr': '<f8', 'fortran_order': False, 'shape': (-3,)}", "malformed"),
    (b"{'descr': 'nosuch', 'fortran_order': False, 'shape': (3,)}", "unknown dtype"),
    (b"{'descr': '<f8', 'fortran_order': False, 'shape': (2,)}", r"shape \(2,\)"),
], ids=["unterminated string", "nested", "code", "object", "structured", "flag", "negative",
        "dtype", "shape"])
def test_a_malformed_npy_header_is_a_value_error(tmp_path, header, match):
    path = saved(tmp_path)
    members = members_of(path)
    header += b" " * (-(len(header) + 11) % 64) + b"\n"
    members["param_0.npy"] = (b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header
                              + b"\0" * 24)
    write_zip(path, members)
    refused(path, match)


def test_sizes_in_the_directory_must_match_the_headers(tmp_path):
    path = saved(tmp_path)
    members = members_of(path)
    members["param_0.npy"] += b"\0" * 8          # one number more than the header describes
    write_zip(path, members)
    refused(path, "member 'param_0' is .* bytes in the archive's directory, but its header "
                  "describes")


@pytest.mark.parametrize("rename,match", [
    ({"array_0.npy": "array_00.npy"}, r"unexpected members \['array_00'\]"),
    ({"array_0.npy": "../array_0.npy"}, r"unexpected members \['../array_0'\]"),
    ({"param_2.npy": "param_3.npy"}, r"unexpected members \['param_3'\]"),
    ({"array_0.npy": "array_99.npy"}, r"unexpected members \['array_99'\]"),
    ({"meta.npy": "META.npy"}, r"unexpected members \['META'\]"),
], ids=["leading zero", "path", "param index", "array index", "case"])
def test_member_names_must_be_exactly_the_expected_ones(tmp_path, rename, match):
    path = saved(tmp_path)
    members = {rename.get(k, k): v for k, v in members_of(path).items()}
    write_zip(path, members)
    refused(path, match)


def test_a_member_listed_twice_is_refused(tmp_path):
    path = saved(tmp_path)
    members = members_of(path)
    with pytest.warns(UserWarning, match="Duplicate name"):
        with zipfile.ZipFile(path, "a") as archive:
            archive.writestr("param_0.npy", members["param_0.npy"])
    refused(path, "lists a member twice")


def test_a_state_array_where_one_number_belongs_is_refused(tmp_path):
    path = saved(tmp_path)
    members = members_of(path)
    meta = json.loads(np.load(io.BytesIO(members["meta.npy"])).item())
    meta["optimizer_state"]["param_groups"][0]["lr"] = {"__array__": "array_9"}
    members["meta.npy"] = npy_bytes(np.array(json.dumps(meta)))
    members["array_9.npy"] = npy_bytes(np.zeros(3))
    write_zip(path, members)
    refused(path, r"member 'array_9' has shape \(3,\); arrays outside the param states hold at "
                  "most one number")


@pytest.mark.parametrize("edit,match", [
    (lambda m: m["optimizer_state"]["param_groups"][1].update(params=[0, 3, 4]),
     r"parameter groups hold \[2, 3\] params"),
    (lambda m: m["optimizer_state"]["state"]["__dict__"].append([9, {}]),
     r"entry \d of the optimizer state is not \[param index, dict\]"),
    (lambda m: m["optimizer_state"]["state"]["__dict__"][0][1].update(
        copy={"__array__": "array_0"}), "referred to twice"),
    (lambda m: m["optimizer_state"]["state"]["__dict__"][0][1].update(
        exp_avg={"__array__": "../x"}), "named '../x'"),
    (lambda m: m["optimizer_state"]["state"]["__dict__"][0].__setitem__(
        0, {"__tuple__": [[1]]}), "entry 0 of the optimizer state"),
    (lambda m: m.update(params=m["params"][:2]), "holds 2 params, the optimizer has 3"),
], ids=["groups", "state index", "twice", "name", "key", "layout"])
def test_the_meta_must_describe_these_params(tmp_path, edit, match):
    path = saved(tmp_path)
    rewrite(path, edit_meta(edit))
    refused(path, match)


def test_a_fifo_or_a_directory_is_refused_without_blocking(tmp_path):
    opt, _ = make()
    fifo = tmp_path / "pipe.npz"
    os.mkfifo(fifo)
    with pytest.raises(ValueError, match="pipe.npz is not a regular file"):
        load_checkpoint(fifo, opt)     # would block until a writer came, were it opened
    with pytest.raises(IsADirectoryError):
        load_checkpoint(tmp_path, opt)
    with pytest.raises(IsADirectoryError):
        save_checkpoint(tmp_path, opt)


@pytest.mark.parametrize("path", [0, 1, True, 3.5, None, io.BytesIO()],
                         ids=["fd 0", "fd 1", "bool", "float", "None", "file object"])
def test_only_paths_are_accepted(path, monkeypatch):
    opt, params = make()
    monkeypatch.setattr(os, "open", None)          # nothing may be opened, stdin included
    with pytest.raises(TypeError, match="path must be a file name"):
        load_checkpoint(path, opt)
    with pytest.raises(TypeError, match="path must be a file name"):
        save_checkpoint(path, opt)


def test_bytes_and_pathlike_paths_work(tmp_path):
    opt, params = make()
    run(opt, params, 2, seed=1)
    save_checkpoint(os.fsencode(tmp_path / "b.npz"), opt)
    fresh, fresh_params = make(seed=4)
    load_checkpoint(tmp_path / "b.npz", fresh)
    assert everything(fresh, fresh_params) == everything(opt, params)
    with pytest.raises(ValueError, match="non-empty"):
        load_checkpoint("", fresh)


# --------------------------------------------------------------------------- saving in place

@pytest.mark.parametrize("mode", [0o644, 0o640, 0o600, 0o664])
def test_saving_over_a_file_keeps_its_mode(tmp_path, mode):
    opt, params = make()
    path = tmp_path / "c.npz"
    save_checkpoint(path, opt)
    os.chmod(path, mode)
    run(opt, params, 2, seed=1)
    save_checkpoint(path, opt)
    assert os.stat(path).st_mode & 0o7777 == mode


def test_a_new_file_gets_the_mode_open_would_give(tmp_path):
    opt, _ = make()
    old = os.umask(0o027)
    try:
        save_checkpoint(tmp_path / "c.npz", opt)
        with open(tmp_path / "plain", "w"):
            pass
    finally:
        os.umask(old)
    assert os.stat(tmp_path / "c.npz").st_mode & 0o777 == 0o640 == \
        os.stat(tmp_path / "plain").st_mode & 0o777


def test_saving_through_a_symlink_replaces_its_target(tmp_path):
    opt, params = make()
    (tmp_path / "store").mkdir()
    target = tmp_path / "store" / "real.npz"
    save_checkpoint(target, opt)
    os.chmod(target, 0o644)
    link = tmp_path / "latest.npz"
    link.symlink_to(target)
    run(opt, params, 3, seed=2)
    save_checkpoint(link, opt)
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert os.stat(target).st_mode & 0o777 == 0o644
    assert sorted(os.listdir(tmp_path / "store")) == ["real.npz"]
    fresh, fresh_params = make(seed=3)
    load_checkpoint(target, fresh)
    assert everything(fresh, fresh_params) == everything(opt, params)


def dead_pid():
    import subprocess
    import sys
    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                           capture_output=True, text=True, check=True)
    return int(child.stdout)


def test_leftovers_of_an_interrupted_save_are_removed(tmp_path):
    opt, _ = make()
    path = tmp_path / "c.npz"
    save_checkpoint(path, opt)
    dead = tmp_path / f".c.npz.{dead_pid()}.0123abcd.tmp"
    mine = tmp_path / f".c.npz.{os.getpid()}.89abcdef.tmp"     # not being written: stale
    alive = tmp_path / f".c.npz.{os.getppid()}.00000000.tmp"   # another process, still running
    other = tmp_path / f".d.npz.{dead_pid()}.0123abcd.tmp"     # another checkpoint's
    old_style = tmp_path / ".c.npz.k3j_x9qz.tmp"
    recent_old_style = tmp_path / ".c.npz.abcdefgh.tmp"
    for leftover in (dead, mine, alive, other, old_style, recent_old_style):
        leftover.write_bytes(b"PK\x03\x04 half")
    os.utime(old_style, (0, 0))
    save_checkpoint(path, opt)
    assert sorted(os.listdir(tmp_path)) == sorted(
        ["c.npz", alive.name, other.name, recent_old_style.name])


def test_a_save_killed_midway_leaves_the_old_file_and_the_next_save_cleans_up(tmp_path):
    import signal
    import subprocess
    import sys
    opt, params = make()
    run(opt, params, 2, seed=1)
    path = tmp_path / "c.npz"
    save_checkpoint(path, opt)
    old = path.read_bytes()
    script = (
        "import sys, time, numpy as np\n"
        "from adam_ref import Adam, Param\n"
        "from adam_ref.checkpoint import save_checkpoint\n"
        "def hang(file, **members):\n"
        "    file.write(b'PK\\x03\\x04 half'); file.flush(); print('writing', flush=True)\n"
        "    time.sleep(60)\n"
        "np.savez = hang\n"
        "save_checkpoint(sys.argv[1], Adam([Param(np.zeros(3))]))\n")
    child = subprocess.Popen([sys.executable, "-c", script, str(path)], stdout=subprocess.PIPE,
                             text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        assert child.stdout.readline() == "writing\n"
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    leftovers = [n for n in os.listdir(tmp_path) if n.endswith(".tmp")]
    assert len(leftovers) == 1 and path.read_bytes() == old
    save_checkpoint(path, opt)
    assert os.listdir(tmp_path) == ["c.npz"]


# --------------------------------------------------------------------------- what saves, loads

@pytest.mark.parametrize("make_scheduler", [
    lambda opt: lr_scheduler.StepLR(opt, step_size=2, gamma=0.5),
    lambda opt: lr_scheduler.CosineAnnealingLR(opt, T_max=10),
    lambda opt: lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, patience=0),
], ids=["StepLR", "CosineAnnealingLR", "ReduceLROnPlateau"])
@pytest.mark.parametrize("steps_after_add", [0, 3])
def test_a_group_added_after_the_scheduler_saves_and_loads(tmp_path, make_scheduler,
                                                         steps_after_add):
    def build(seed):
        rng = np.random.default_rng(seed)
        params = [Param(rng.normal(size=3)), Param(rng.normal(size=2))]
        opt = Adam([params[0]], lr=0.1)
        sched = make_scheduler(opt)
        opt.add_param_group({"params": [params[1]], "lr": 0.02})
        return opt, params, sched

    opt, params, sched = build(0)
    run(opt, params, steps_after_add, seed=1, scheduler=sched)
    path = tmp_path / "c.npz"
    save_checkpoint(path, opt, sched)
    fresh, fresh_params, fresh_sched = build(1)
    load_checkpoint(path, fresh, fresh_sched)
    assert everything(fresh, fresh_params, fresh_sched) == everything(opt, params, sched)
    run(opt, params, 6, seed=2, scheduler=sched)
    run(fresh, fresh_params, 6, seed=2, scheduler=fresh_sched)
    assert everything(fresh, fresh_params, fresh_sched) == everything(opt, params, sched)


def test_a_scheduler_state_of_other_length_is_still_refused(tmp_path):
    opt, params = make()
    sched = lr_scheduler.StepLR(opt, step_size=2)
    path = tmp_path / "c.npz"
    save_checkpoint(path, opt, sched)
    rewrite(path, edit_meta(lambda m: m["scheduler_state"].update(base_lrs=[0.1])))
    target, target_params = make(seed=4)
    target_sched = lr_scheduler.StepLR(target, step_size=2)
    before = everything(target, target_params, target_sched)
    with pytest.raises(ValueError, match=r"base_lrs must be a list of 2 numbers"):
        load_checkpoint(path, target, target_sched)
    assert everything(target, target_params, target_sched) == before


def test_a_zero_dim_array_lr_is_a_number_that_saves_and_loads(tmp_path):
    opt, params = make()
    run(opt, params, 2, seed=1)
    opt.param_groups[1]["lr"] = np.array(0.01)
    path = tmp_path / "c.npz"
    save_checkpoint(path, opt)
    target, _ = make(seed=4)
    load_checkpoint(path, target)
    assert float(target.param_groups[1]["lr"]) == 0.01


@pytest.mark.parametrize("value", [np.array([0.01]), np.array([0.01, 0.02])],
                         ids=["1 entry", "2 entries"])
def test_an_array_lr_is_refused_when_saving_as_it_would_be_when_loading(tmp_path, value):
    opt, params = make()
    run(opt, params, 2, seed=1)
    opt.param_groups[1]["lr"] = value
    path = tmp_path / "c.npz"
    with pytest.raises(ValueError, match="cannot save this checkpoint, it would not load back: "
                                         r".*(parameter group 1.*lr|\['param_groups'\]\[1\]"
                                         r"\['lr'\])"):
        save_checkpoint(path, opt)
    assert os.listdir(tmp_path) == []
    assert opt.param_groups[1]["lr"] is value     # the trial load touched nothing
    opt.param_groups[1]["lr"] = np.float64(0.01)  # a NumPy scalar is a number: saves and loads
    save_checkpoint(path, opt)
    fresh, fresh_params = make(seed=2)
    load_checkpoint(path, fresh)
    assert fresh.param_groups[1]["lr"] == 0.01


def test_a_save_refused_by_the_trial_load_changes_nothing(tmp_path):
    opt, params = make()
    run(opt, params, 2, seed=1)
    groups, state = opt.param_groups, opt.state
    before = everything(opt, params)
    opt.state[params[0]]["exp_avg"] = np.zeros(5)   # not the param's shape
    with pytest.raises(ValueError, match=r"has shape \(5,\) but the param has shape \(3,\)"):
        save_checkpoint(tmp_path / "c.npz", opt)
    opt.state[params[0]]["exp_avg"] = np.frombuffer(before[1][0]["exp_avg"][0])
    assert opt.param_groups is groups and opt.state is state
    assert os.listdir(tmp_path) == []


# --------------------------------------------------------------------------- fuzz

@pytest.mark.parametrize("compression", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED],
                         ids=["stored", "deflated"])
def test_fuzzed_checkpoints_raise_only_value_errors_and_never_load_other_values(tmp_path,
                                                                              compression):
    """Seeded single-bit flips and truncations of a real checkpoint: each load either fails
    with ValueError and changes nothing, or restores exactly what the intact file holds."""
    opt, params = make()
    sched = lr_scheduler.StepLR(opt, step_size=2) if lr_scheduler else None
    run(opt, params, 3, seed=1, scheduler=sched)
    path = tmp_path / "c.npz"
    save_checkpoint(path, opt, sched)
    write_zip(path, members_of(path), compression)   # np.savez stores; a deflated copy loads too
    whole = path.read_bytes()

    def target():
        fresh, fresh_params = make(seed=9)
        return fresh, fresh_params, lr_scheduler.StepLR(fresh, step_size=2) if sched else None

    fresh, fresh_params, fresh_sched = target()
    load_checkpoint(path, fresh, fresh_sched)
    intact = everything(fresh, fresh_params, fresh_sched)
    rng = np.random.default_rng(16)
    victim, victim_params, victim_sched = target()
    run(victim, victim_params, 1, seed=5, scheduler=victim_sched)
    untouched = everything(victim, victim_params, victim_sched)
    cases = [("flip", int(bit)) for bit in rng.integers(0, 8 * len(whole), 400)]
    cases += [("cut", int(n)) for n in rng.integers(0, len(whole), 60)]
    outcomes = {"refused": 0, "loaded": 0}
    for kind, where in cases:
        data = bytearray(whole)
        if kind == "flip":
            data[where // 8] ^= 1 << (where % 8)
        else:
            del data[where:]
        path.write_bytes(bytes(data))
        try:
            load_checkpoint(path, victim, victim_sched)
        except ValueError:
            assert everything(victim, victim_params, victim_sched) == untouched, (kind, where)
            outcomes["refused"] += 1
        else:   # a bit the reader does not use (a timestamp, a local-header copy)
            assert everything(victim, victim_params, victim_sched) == intact, (kind, where)
            outcomes["loaded"] += 1
            victim, victim_params, victim_sched = target()
            run(victim, victim_params, 1, seed=5, scheduler=victim_sched)
    assert outcomes["refused"] > len(cases) // 2 and outcomes["loaded"] > 0


def test_a_state_entry_holding_one_number_as_an_array_round_trips(tmp_path):
    opt, params = make()
    run(opt, params, 2, seed=1)
    opt.state[params[0]]["scale"] = np.array(0.5)          # 0-d, not shaped like the param
    opt.state[params[2]]["seen"] = np.array([3], dtype=np.int64)
    save_checkpoint(tmp_path / "c.npz", opt)
    fresh, fresh_params = make(seed=2)
    load_checkpoint(tmp_path / "c.npz", fresh)
    assert everything(fresh, fresh_params) == everything(opt, params)
