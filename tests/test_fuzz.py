"""The public API fuzzed with hypothesis: any value, of any type, in any argument meets a
documented exception (TypeError, ValueError, FloatingPointError) or a valid result, and a
refused call changes nothing."""

import copy

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from _trees import leaves, replaced

import adam_ref
from adam_ref import Adam, AdamW, Param
from adam_ref.functional import AdamState, adam_step

SETTINGS = settings(max_examples=200, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
DOCUMENTED = (TypeError, ValueError, FloatingPointError)


junk = st.one_of(st.none(), st.booleans(), st.integers(-5, 5),
                 st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=3),
                 st.lists(st.floats(-1, 1), max_size=3), st.tuples(st.floats(-2, 2)),
                 st.tuples(st.floats(allow_nan=True), st.floats(allow_nan=True)),
                 st.just(1 + 2j), st.just(object()), st.dictionaries(st.text(max_size=2),
                                                                    st.integers(), max_size=2))
arrays_of_any_kind = st.one_of(
    hnp.arrays(st.sampled_from([np.float32, np.float64, np.int64, np.bool_, np.complex128]),
               hnp.array_shapes(min_dims=0, max_dims=2, max_side=4)),
    st.lists(st.floats(), max_size=4), st.lists(st.lists(st.floats(), max_size=3), max_size=3),
    st.text(max_size=3), st.none(), st.just(object()))


@SETTINGS
@given(st.sampled_from(["lr", "betas", "eps", "weight_decay", "amsgrad", "maximize"]), junk,
       st.sampled_from([Adam, AdamW]))
def test_fuzz_constructors(name, value, cls):
    try:
        opt = cls([Param(np.zeros(2))], **{name: value})
    except DOCUMENTED:
        return
    group = opt.param_groups[0]
    lr, (b1, b2), eps, wd = group["lr"], group["betas"], group["eps"], group["weight_decay"]
    assert lr >= 0 and eps >= 0 and 0 <= b1 < 1 and 0 <= b2 < 1 and wd >= 0


@SETTINGS
@given(arrays_of_any_kind)
def test_fuzz_param(value):
    try:
        p = Param(value)
    except DOCUMENTED:
        return
    assert p.data.dtype.kind == "f" and p.data.flags.writeable


def trained():
    params = [Param(np.linspace(-1, 1, 3), name="w"), Param(np.ones((2, 2))), Param(np.zeros(4))]
    opt = Adam([{"params": params[:2]}, {"params": params[2:], "amsgrad": True}], lr=0.1)
    for _ in range(2):
        for p in params:
            p.grad = np.full(p.shape, 0.5)
        opt.step()
    return opt, params


def snapshot(opt, params):
    state = {i: {k: np.array(v, copy=True) for k, v in opt.state[p].items()}
             for i, p in enumerate(params) if p in opt.state}
    groups = [{k: v for k, v in g.items() if k != "params"} for g in opt.param_groups]
    return [p.data.copy() for p in params], state, copy.deepcopy(groups)


def assert_same(a, b):
    data_a, state_a, groups_a = a
    data_b, state_b, groups_b = b
    assert all(x.tobytes() == y.tobytes() for x, y in zip(data_a, data_b))
    assert groups_a == groups_b and state_a.keys() == state_b.keys()
    for i in state_a:
        assert state_a[i].keys() == state_b[i].keys()
        for key in state_a[i]:
            assert state_a[i][key].tobytes() == state_b[i][key].tobytes()


@SETTINGS
@given(st.lists(arrays_of_any_kind, min_size=3, max_size=3), st.booleans())
def test_fuzz_step_with_malformed_grads(grads, check_finite):
    opt, params = trained()
    opt.check_finite = check_finite
    for p, g in zip(params, grads):
        p.grad = g
    before = snapshot(opt, params)
    try:
        with np.errstate(all="ignore"):
            opt.step()
    except DOCUMENTED:
        assert_same(snapshot(opt, params), before)
        return
    for p in params:   # a step that went through had only good grads (or None)
        assert p.grad is None or np.shape(p.grad) == p.shape




@SETTINGS
@given(st.data())
def test_fuzz_load_state_dict_with_malformed_dicts(data):
    opt, params = trained()
    good = opt.state_dict()
    paths = [p for p, _ in leaves(good)]
    path = data.draw(st.sampled_from(paths))
    value = data.draw(st.one_of(junk, arrays_of_any_kind))
    bad = replaced(copy.deepcopy(good), path, value)
    if data.draw(st.booleans()) and path:
        parent = bad
        for key in path[:-1]:
            parent = parent[key]
        if isinstance(parent, dict):
            del parent[path[-1]]
    target, target_params = trained()
    for p in target_params:
        p.grad = np.full(p.shape, -1.0)
    target.step()
    before = snapshot(target, target_params)
    try:
        target.load_state_dict(bad)
    except DOCUMENTED:
        assert_same(snapshot(target, target_params), before)
        return
    # accepted: then it must be usable
    for p in target_params:
        p.grad = np.full(p.shape, 0.25)
    with np.errstate(all="ignore"):
        target.step()


@SETTINGS
@given(arrays_of_any_kind, arrays_of_any_kind,
       st.sampled_from(["ok", "tuple", "negative t", "float t", "short m", "int v", "None"]),
       st.sampled_from(["lr", "beta1", "eps", "weight_decay"]), junk)
def test_fuzz_adam_step_with_malformed_inputs(theta, grad, state_kind, name, value):
    shape = np.shape(theta) if isinstance(theta, np.ndarray) else (3,)
    z = np.zeros(shape)
    other = np.zeros(2 if shape != (2,) else 3)
    state = {"ok": AdamState(0, z, z, z), "tuple": (0, z, z, z),
             "negative t": AdamState(-1, z, z, z), "float t": AdamState(1.5, z, z, z),
             "short m": AdamState(0, other, z, z),
             "int v": AdamState(0, z, z.astype(int), z), "None": None}[state_kind]
    inputs = [a for a in (theta, grad) if isinstance(a, np.ndarray)]
    before = [a.tobytes() for a in inputs]
    try:
        with np.errstate(all="ignore"):
            theta_next, _, _ = adam_step(theta, grad, state, **{name: value})
    except DOCUMENTED:
        pass
    else:
        assert theta_next.dtype.kind == "f"
    assert [a.tobytes() for a in inputs] == before


def test_public_names():
    assert {"Param", "Adam", "AdamW", "save_checkpoint", "load_checkpoint"} <= set(adam_ref.__all__)
