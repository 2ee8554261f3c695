"""Param and the Optimizer base through Adam/AdamW: bad input, atomic steps and loads, the API."""

import copy

import numpy as np
import pytest

import adam_ref
from adam_ref import Adam, AdamW, Param

torch_reason = "torch is not installed: comparing messages with torch needs torch==2.13.0 (CPU)"


def snapshot(opt, params):
    """Everything a failed call must leave alone, as comparable plain values."""
    state = {id(p): {k: (v.tobytes(), v.dtype, v.shape) if isinstance(v, np.ndarray) else v
                     for k, v in s.items()} for p, s in opt.state.items()}
    groups = [{k: (tuple(id(p) for p in v) if k == "params" else copy.deepcopy(v))
               for k, v in g.items()} for g in opt.param_groups]
    data = [(id(p.data), p.data.tobytes()) for p in params]
    return data, state, groups


def trained(cls=Adam, steps=3, **hyper):
    """An optimizer with state: three params in two groups, ``steps`` steps taken."""
    rng = np.random.default_rng(0)
    params = [Param(rng.normal(size=3), name="w"), Param(rng.normal(size=(2, 2))),
              Param(rng.normal(size=4), name="b")]
    opt = cls([{"params": params[:2]}, {"params": params[2:], "lr": 0.5, "amsgrad": True}],
              lr=0.1, **hyper)
    for _ in range(steps):
        for p in params:
            p.grad = rng.normal(size=p.shape)
        opt.step()
    return opt, params


# --------------------------------------------------------------------------- Param

def test_param_converts_array_likes():
    p = Param([1.0, 2.0])
    assert isinstance(p.data, np.ndarray) and p.data.dtype == np.float64
    assert Param(np.float32(3)).dtype == np.float32
    assert Param(((1.0,), (2.0,))).shape == (2, 1)
    data = np.zeros(3)
    assert Param(data).data is data   # no copy: the caller's array is the one updated


@pytest.mark.parametrize("value,dtype", [([1, 2], "int64"), ([True], "bool"),
                                         ([1 + 2j], "complex128"),
                                         (np.array([1.0], dtype=object), "object"),
                                         (np.array(["a"]), "<U1")])
def test_param_refuses_non_float_data_naming_the_dtype(value, dtype):
    with pytest.raises(TypeError, match=f"dtype {dtype}"):
        Param(value)


def test_param_refuses_read_only_arrays():
    data = np.zeros(3)
    data.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        Param(data)
    p = Param(np.zeros(3))
    with pytest.raises(ValueError, match="read-only"):
        p.data = data
    assert p.data.flags.writeable


def test_param_repr():
    assert repr(Param(np.zeros((2, 3)), name="w")) == "Param('w', shape=(2, 3), dtype=float64)"


# --------------------------------------------------------------------------- construction

def test_raw_arrays_are_refused_with_advice():
    with pytest.raises(TypeError, match=r"adam_ref\.Param"):
        Adam(np.zeros(3))
    with pytest.raises(TypeError, match=r"wrap each array in adam_ref\.Param"):
        Adam([np.zeros(3)])
    with pytest.raises(TypeError, match=r"adam_ref\.Param"):
        Adam([{"params": [Param(np.zeros(1)), [1.0]]}])


def test_empty_list_and_duplicates():
    with pytest.raises(ValueError, match="^optimizer got an empty parameter list$"):
        Adam([])
    p, q = Param(np.zeros(2)), Param(np.zeros(2))
    with pytest.raises(ValueError,
                       match="^some parameters appear in more than one parameter group$"):
        Adam([{"params": [p]}, {"params": [q, p]}])
    with pytest.raises(TypeError, match="ordered collections"):
        Adam({p, q})


BAD_HYPER = [
    (dict(lr=-1e-3), "Invalid learning rate: -0.001"),
    (dict(lr=float("nan")), "Invalid learning rate: nan"),
    (dict(eps=-1.0), "Invalid epsilon value: -1.0"),
    (dict(eps=float("nan")), "Invalid epsilon value: nan"),
    (dict(betas=(1.0, 0.999)), "Invalid beta parameter at index 0: 1.0"),
    (dict(betas=(-0.1, 0.999)), "Invalid beta parameter at index 0: -0.1"),
    (dict(betas=(float("nan"), 0.999)), "Invalid beta parameter at index 0: nan"),
    (dict(betas=(0.9, 1.5)), "Invalid beta parameter at index 1: 1.5"),
    (dict(betas=(0.9, float("nan"))), "Invalid beta parameter at index 1: nan"),
    (dict(weight_decay=-0.1), "Invalid weight_decay value: -0.1"),
    (dict(weight_decay=float("nan")), "Invalid weight_decay value: nan"),
]


@pytest.mark.parametrize("cls", [Adam, AdamW])
@pytest.mark.parametrize("hyper,message", BAD_HYPER)
def test_bad_hyperparameters_use_torchs_messages(cls, hyper, message):
    with pytest.raises(ValueError) as error:
        cls([Param(np.zeros(2))], **hyper)
    assert str(error.value) == message
    opt = cls([Param(np.zeros(2))])
    groups = copy.deepcopy([{k: v for k, v in g.items() if k != "params"}
                            for g in opt.param_groups])
    with pytest.raises(ValueError, match="^" + message.replace("(", r"\(") + "$"):
        opt.add_param_group({"params": [Param(np.zeros(1))], **hyper})
    assert len(opt.param_groups) == 1
    assert [{k: v for k, v in g.items() if k != "params"} for g in opt.param_groups] == groups


@pytest.mark.parametrize("hyper,message", BAD_HYPER)
def test_messages_equal_torchs_live(hyper, message):
    torch = pytest.importorskip("torch", reason=torch_reason)
    with pytest.raises(ValueError) as theirs:
        torch.optim.Adam([torch.zeros(2, requires_grad=True)], **hyper)
    with pytest.raises(ValueError) as ours:
        Adam([Param(np.zeros(2))], **hyper)
    assert str(ours.value) == str(theirs.value) == message


def test_structural_messages_equal_torchs_live():
    torch = pytest.importorskip("torch", reason=torch_reason)
    t = torch.zeros(2, requires_grad=True)
    p = Param(np.zeros(2))
    for make_theirs, make_ours in [
        (lambda: torch.optim.Adam([]), lambda: Adam([])),
        (lambda: torch.optim.Adam([{"params": [t]}, {"params": [t]}]),
         lambda: Adam([{"params": [p]}, {"params": [p]}])),
    ]:
        with pytest.raises(ValueError) as theirs:
            make_theirs()
        with pytest.raises(ValueError) as ours:
            make_ours()
        assert str(ours.value) == str(theirs.value)


@pytest.mark.parametrize("hyper", [dict(lr="0.1"), dict(lr=True), dict(betas=0.9),
                                   dict(betas=(0.9,)), dict(eps=None)])
def test_hyperparameters_of_the_wrong_type(hyper):
    with pytest.raises(TypeError):
        Adam([Param(np.zeros(2))], **hyper)


# --------------------------------------------------------------------------- atomic steps

@pytest.mark.parametrize("fused", [False, True])
@pytest.mark.parametrize("bad_grad,error,match", [
    (np.ones(5), ValueError,
     r"param 2 \('b'\): grad has shape \(5,\) but the param has shape \(4,\)"),
    (np.ones((4, 1)), ValueError, r"\(4, 1\) but the param has shape \(4,\)"),
    (np.array([1.0, np.nan, np.inf, 2.0]), FloatingPointError,
     r"param 2 \('b'\): grad has 2 non-finite values .* at step 4"),
    (np.array([1.0, 2.0, -np.inf, 2.0]), FloatingPointError, "1 non-finite value .* at step 4"),
    (np.arange(4), TypeError, "param 2 .*int64"),
    ([[1.0], [2.0, 3.0]], ValueError, r"param 2 \('b'\): grad is not an array"),
    ("grad", TypeError, "param 2"),
])
def test_a_bad_gradient_changes_nothing(bad_grad, error, match, fused):
    """The bad grad belongs to the last param: earlier params must not have moved."""
    opt, params = trained()
    for group in opt.param_groups:
        group["fused"] = fused
    for p in params:
        p.grad = np.ones(p.shape)
    params[2].grad = bad_grad
    before = snapshot(opt, params)
    traces = dict(opt.last_trace)
    with pytest.raises(error, match=match):
        opt.step()
    assert snapshot(opt, params) == before
    assert opt.last_trace == traces


@pytest.mark.parametrize("fused", [False, True])
@pytest.mark.parametrize("key,value,error", [("lr", "0.1x", TypeError),
                                             ("betas", (0.9, None), TypeError),
                                             ("eps", [1e-8, 1e-8], (TypeError, ValueError))])
def test_a_bad_hyperparameter_set_mid_run_changes_nothing(key, value, error, fused):
    """param_groups may be edited between steps; a broken value in the last group must not
    leave the first group's params updated."""
    opt, params = trained()
    for group in opt.param_groups:
        group["fused"] = fused
    for p in params:
        p.grad = np.ones(p.shape)
    opt.param_groups[1][key] = value
    before = snapshot(opt, params)
    with pytest.raises(error):
        opt.step()
    assert snapshot(opt, params) == before


def test_unnamed_params_are_named_by_index():
    opt, params = trained()
    params[1].grad = np.ones(3)
    with pytest.raises(ValueError, match=r"^param 1: grad has shape \(3,\) but the param "
                                         r"has shape \(2, 2\)$"):
        opt.step()


def test_read_only_data_is_refused_at_the_step_before_anything_moves():
    opt, params = trained()
    for p in params:
        p.grad = np.ones(p.shape)
    params[2].data.flags.writeable = False
    before = snapshot(opt, params)
    with pytest.raises(ValueError, match=r"param 2 \('b'\): data is a read-only array"):
        opt.step()
    assert snapshot(opt, params) == before


def test_check_finite_false_lets_nan_through():
    p = Param(np.zeros(3))
    opt = Adam([p], lr=0.1, check_finite=False)
    p.grad = np.array([1.0, np.nan, 1.0])
    with np.errstate(invalid="ignore"):
        opt.step()
    np.testing.assert_array_equal(np.isnan(p.data), [False, True, False])
    assert opt.state[p]["step"] == 1


def test_grad_dtype_is_cast_to_the_params():
    p = Param(np.zeros(3, dtype=np.float32))
    opt = Adam([p], lr=0.1)
    p.grad = np.ones(3)   # float64
    opt.step()
    assert p.dtype == np.float32 and opt.state[p]["exp_avg"].dtype == np.float32
    np.testing.assert_allclose(p.data, -0.1, rtol=1e-6)


# --------------------------------------------------------------------------- the API

def test_step_moves_against_the_gradient_and_keeps_identity():
    data = np.array([1.0, -1.0])
    view = data[:1]
    p = Param(data)
    opt = Adam([p], lr=0.1)
    p.grad = np.array([2.0, -3.0])
    opt.step()
    assert p.data is data
    np.testing.assert_allclose(data, [0.9, -0.9])
    assert view[0] == data[0]
    assert p in opt.last_trace and opt.last_trace[p].t == 1


def test_params_without_grad_get_no_state_and_do_not_move():
    a, b = Param(np.ones(2)), Param(np.ones(2))
    opt = Adam([a, b], lr=0.1, weight_decay=0.5)
    a.grad = np.ones(2)
    for _ in range(3):
        opt.step()
    assert b not in opt.state and b not in opt.last_trace
    np.testing.assert_array_equal(b.data, 1.0)
    assert opt.state[a]["step"] == 3
    assert set(opt.state[a]) == {"step", "exp_avg", "exp_avg_sq"}


def test_closure_returns_the_loss_and_runs_before_the_update():
    p = Param(np.array([3.0]))
    opt = Adam([p], lr=0.5)
    seen = []

    def closure():
        seen.append(p.data.copy())
        p.grad = 2 * p.data
        return float(p.data[0] ** 2)

    assert opt.step(closure) == 9.0
    assert seen[0][0] == 3.0 and p.data[0] == pytest.approx(2.5)
    assert opt.step() is None


def test_zero_grad():
    a, b = Param(np.ones(2)), Param(np.ones(2))
    opt = Adam([a, b])
    grad = np.ones(2)
    a.grad = grad
    opt.zero_grad(set_to_none=False)
    assert a.grad is grad and not grad.any() and b.grad is None
    frozen = np.ones(2)
    frozen.flags.writeable = False
    a.grad = frozen
    opt.zero_grad(set_to_none=False)
    assert a.grad is not frozen and not a.grad.any() and frozen.all()
    opt.zero_grad()
    assert a.grad is None and b.grad is None


def test_add_param_group_fills_defaults_and_steps_with_its_own():
    a, b = Param(np.zeros(1)), Param(np.zeros(1))
    opt = Adam([a], lr=0.1, betas=[0.8, 0.9])
    opt.add_param_group({"params": b, "lr": 0.01})
    assert opt.param_groups[0]["betas"] == (0.8, 0.9)
    assert opt.param_groups[1]["betas"] == (0.8, 0.9) and opt.param_groups[1]["lr"] == 0.01
    a.grad = b.grad = np.ones(1)
    opt.step()
    np.testing.assert_allclose([a.data[0], b.data[0]], [-0.1, -0.01])
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [b]})
    with pytest.raises(ValueError, match="'params'"):
        opt.add_param_group({"lr": 0.1})
    with pytest.raises(TypeError, match="must be a dict"):
        opt.add_param_group([b])
    assert len(opt.param_groups) == 2


def test_adamw_defaults_and_repr():
    opt = AdamW([Param(np.zeros(1))])
    group = opt.param_groups[0]
    assert group["weight_decay"] == 1e-2 and group["decoupled_weight_decay"] is True
    assert "Parameter Group 0" in repr(opt) and "lr: 0.001" in repr(opt)


# --------------------------------------------------------------------------- atomic loads

def corrupt(sd, how):
    """A copy of a state dict broken in one way."""
    sd = copy.deepcopy(sd)
    how(sd)
    return sd


BAD_LOADS = [
    ("not a dict", lambda sd: sd.clear(), "keys 'state' and 'param_groups'"),
    ("one group", lambda sd: sd["param_groups"].pop(), "different number of parameter groups"),
    ("params per group", lambda sd: sd["param_groups"][0]["params"].pop(),
     "doesn't match the size of optimizer's group"),
    ("duplicate index", lambda sd: sd["param_groups"][0].update(params=[0, 0]),
     "distinct param indices"),
    ("index in two groups", lambda sd: sd["param_groups"][1].update(params=[1]),
     "distinct param indices"),
    ("non-int index", lambda sd: sd["param_groups"][1].update(params=["2"]),
     "distinct param indices"),
    ("missing hyper", lambda sd: sd["param_groups"][1].pop("betas"), r"lacks \['betas'\]"),
    ("bad lr", lambda sd: sd["param_groups"][0].update(lr=-1.0),
     "group 0: Invalid learning rate: -1.0"),
    ("nan beta", lambda sd: sd["param_groups"][1].update(betas=(0.9, float("nan"))),
     "group 1: Invalid beta parameter at index 1: nan"),
    ("betas type", lambda sd: sd["param_groups"][1].update(betas=0.9), "group 1: betas"),
    ("unknown param", lambda sd: sd["state"].update({7: sd["state"][0]}), "param 7"),
    ("state shape", lambda sd: sd["state"][1].update(exp_avg=np.zeros(4)),
     r"'exp_avg' has shape \(4,\) but the param has shape \(2, 2\)"),
    ("state dtype", lambda sd: sd["state"][0].update(exp_avg_sq=np.zeros(3, dtype=int)),
     "'exp_avg_sq' must be a floating array, got dtype int64"),
    ("object state", lambda sd: sd["state"][0].update(exp_avg=np.array([None] * 3)),
     "dtype object"),
    ("missing key", lambda sd: sd["state"][2].pop("max_exp_avg_sq"),
     r"param 2 lacks \['max_exp_avg_sq'\]"),
    ("negative step", lambda sd: sd["state"][0].update(step=-1), "'step' must be"),
    ("fractional step", lambda sd: sd["state"][0].update(step=1.5), "'step' must be"),
    ("nan step", lambda sd: sd["state"][0].update(step=float("nan")), "'step' must be"),
    ("state not a dict", lambda sd: sd["state"].update({0: [1, 2]}), "is not a dict"),
]


@pytest.mark.parametrize("name,how,match", BAD_LOADS, ids=[b[0] for b in BAD_LOADS])
def test_a_bad_state_dict_is_refused_and_changes_nothing(name, how, match):
    opt, params = trained()
    good = opt.state_dict()
    bad = corrupt(good, how) if name != "not a dict" else {"state": {}}
    other, other_params = trained(steps=5)
    before = snapshot(other, other_params)
    with pytest.raises(ValueError, match=match):
        other.load_state_dict(bad)
    assert snapshot(other, other_params) == before
    other.load_state_dict(good)   # the good one still loads afterwards


def test_load_casts_state_to_the_params_dtype_as_torch_does():
    opt, params = trained()
    sd = opt.state_dict()
    sd["state"][0]["exp_avg"] = sd["state"][0]["exp_avg"].astype(np.float32)
    opt.load_state_dict(sd)
    assert opt.state[params[0]]["exp_avg"].dtype == np.float64


def test_state_dict_is_a_copy_and_loads_into_a_fresh_optimizer():
    opt, params = trained(steps=4)
    sd = opt.state_dict()
    assert sd["param_groups"][1]["params"] == [2]
    assert sd["state"][2]["step"] == 4 and "max_exp_avg_sq" in sd["state"][2]
    assert not np.shares_memory(sd["state"][0]["exp_avg"], opt.state[params[0]]["exp_avg"])
    sd["param_groups"][0]["lr"] = 123.0
    assert opt.param_groups[0]["lr"] == 0.1
    copies = [Param(p.data.copy()) for p in params]
    fresh = Adam([{"params": copies[:2]}, {"params": copies[2:]}])
    fresh.load_state_dict(opt.state_dict())
    assert fresh.param_groups[1]["lr"] == 0.5 and fresh.param_groups[1]["amsgrad"] is True
    assert fresh.param_groups[0]["params"] == copies[:2]
    rng = np.random.default_rng(9)
    for _ in range(5):
        for p, q in zip(params, copies):
            p.grad = q.grad = rng.normal(size=p.shape)
        opt.step()
        fresh.step()
    for p, q in zip(params, copies):
        assert p.data.tobytes() == q.data.tobytes()


def test_adamw_stays_decoupled_after_load():
    opt, _ = trained(cls=Adam)
    target, _ = trained(cls=AdamW)
    target.load_state_dict(opt.state_dict())
    assert all(g["decoupled_weight_decay"] for g in target.param_groups)


def test_a_gradient_that_overflows_the_params_dtype_is_refused():
    """A finite float64 gradient can become inf in a float32 param: checked after the cast."""
    p = adam_ref.Param(np.array([1.0, 2.0], dtype=np.float32))
    opt = adam_ref.Adam([p])
    p.grad = np.array([1e300, 1e-3])
    with pytest.raises(FloatingPointError, match="after the cast to float32"):
        opt.step()
    np.testing.assert_array_equal(p.data, np.array([1.0, 2.0], dtype=np.float32))
    assert opt.state == {}


def test_check_finite_must_be_a_bool():
    with pytest.raises(TypeError, match="check_finite"):
        adam_ref.Adam([adam_ref.Param(np.ones(2))], check_finite="no")


def test_fused_on_a_class_without_a_fused_path_only_asks_for_speed():
    """torch's SGD has a ``fused`` flag; here it is accepted (constructed or loaded) and
    changes nothing: the step is the traced reference step."""
    rng = np.random.default_rng(0)
    x0 = rng.normal(size=3)
    plain, fused, loaded = (Param(x0.copy()) for _ in range(3))
    opts = [adam_ref.SGD([plain], lr=0.1, momentum=0.9),
            adam_ref.SGD([fused], lr=0.1, momentum=0.9, fused=True),
            adam_ref.SGD([loaded], lr=0.1, momentum=0.9)]
    saved = opts[2].state_dict()
    saved["param_groups"][0]["fused"] = True
    opts[2].load_state_dict(saved)
    assert opts[2].param_groups[0]["fused"] is True
    for _ in range(5):
        g = rng.normal(size=3)
        for p, opt in zip((plain, fused, loaded), opts):
            p.grad = g.copy()
            opt.step()
    np.testing.assert_array_equal(fused.data, plain.data)
    np.testing.assert_array_equal(loaded.data, plain.data)
    assert fused in opts[1].last_trace
    with pytest.raises(ValueError, match="RMSprop has no fused implementation"):
        opt = adam_ref.RMSprop([Param(np.ones(2))])
        saved = opt.state_dict()
        saved["param_groups"][0]["fused"] = True  # torch's RMSprop has no fused flag
        opt.load_state_dict(saved)
