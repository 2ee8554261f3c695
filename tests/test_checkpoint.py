"""save_checkpoint / load_checkpoint: round trips, bit-identical resumes, atomic saves and loads."""

import copy
import io
import json
import os
import pickle
import zipfile

import numpy as np
import pytest

from adam_ref import Adam, AdamW, Param
from adam_ref.checkpoint import load_checkpoint, save_checkpoint

try:
    from adam_ref import lr_scheduler
except ImportError:  # the schedulers ship separately; their tests skip without them
    lr_scheduler = None

needs_scheduler = pytest.mark.skipif(lr_scheduler is None, reason="adam_ref.lr_scheduler is "
                                     "not available")


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


@needs_scheduler
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


@needs_scheduler
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
