"""The torch.optim surface beyond the math: named params, torch's switches, hooks, the
defaultdict state, ``repr`` and ``defaults`` — checked directly and against torch."""

import copy
import inspect

import numpy as np
import pytest
from _golden import NO_TORCH
from _trees import assert_same, leaves, replaced

import adam_ref
from adam_ref import Adam, AdamW, NAdam, Optimizer, Param, SGD
from adam_ref.optim.optimizer import AlgorithmOptimizer

NAMES = ["SGD", "RMSprop", "Adamax", "Adam", "AdamW", "Adagrad", "Adadelta", "NAdam", "RAdam"]
SPEED = ("foreach", "fused")


def params(n=3, seed=0, size=4):
    rng = np.random.default_rng(seed)
    return [Param(rng.normal(size=size)) for _ in range(n)]


def snapshot(opt, ps):
    return ([(p.data.copy(), copy.deepcopy(opt.state.get(p))) for p in ps], len(opt.state),
            copy.deepcopy([{k: v for k, v in g.items() if k != "params"} for g in opt.param_groups]))



# --------------------------------------------------------------------------- named params

def test_named_params_keep_their_names_in_the_group_and_the_state_dict():
    a, b, c = params()
    opt = Adam([("w", a), ("b", b)], lr=0.1)
    opt.add_param_group({"params": [("extra", c)], "lr": 0.01})
    assert opt.param_groups[0]["params"] == [a, b]
    assert opt.param_groups[0]["param_names"] == ["w", "b"]
    sd = opt.state_dict()
    assert [g["param_names"] for g in sd["param_groups"]] == [["w", "b"], ["extra"]]
    assert [g["params"] for g in sd["param_groups"]] == [[0, 1], [2]]


def test_params_with_and_without_names_are_refused_as_torch():
    a, b, c = params()
    with pytest.raises(ValueError, match="Some param names are missing"):
        Adam([("w", a), b])
    opt = Adam([("w", a)])
    with pytest.raises(ValueError, match="cannot add param group without names"):
        opt.add_param_group({"params": [b]})
    opt = Adam([a])
    with pytest.raises(ValueError, match="cannot add param group with names"):
        opt.add_param_group({"params": [("b", b)]})
    assert len(opt.param_groups) == 1
    with pytest.raises(TypeError, match="can only optimize Params"):
        Adam([("w", a, "extra")])


def test_loaded_names_replace_the_current_ones_and_absent_names_keep_them():
    a, b = params(2)
    opt = Adam([("w", a), ("b", b)])
    saved = opt.state_dict()
    saved["param_groups"][0]["param_names"] = ["W", "B"]
    opt.load_state_dict(saved)
    assert opt.param_groups[0]["param_names"] == ["W", "B"]
    del saved["param_groups"][0]["param_names"]
    opt.load_state_dict(saved)
    assert opt.param_groups[0]["param_names"] == ["W", "B"]
    saved["param_groups"][0]["param_names"] = ["only one"]
    before = snapshot(opt, [a, b])
    with pytest.raises(ValueError, match="param_names"):
        opt.load_state_dict(saved)
    assert_same(snapshot(opt, [a, b]), before)


def test_live_named_state_dict_layout_equals_torchs():
    torch = pytest.importorskip("torch", reason=NO_TORCH)
    rng = np.random.default_rng(1)
    xs = [rng.normal(size=(2, 3)), rng.normal(size=3), rng.normal(size=2)]
    ps, ts = [Param(x.copy()) for x in xs], [torch.tensor(x).requires_grad_() for x in xs]
    names = ["fc.weight", "fc.bias", "head"]
    for name in NAMES:
        opt = getattr(adam_ref, name)([{"params": list(zip(names[:2], ps[:2]))},
                                       {"params": [(names[2], ps[2])], "lr": 0.05}])
        topt = getattr(torch.optim, name)([{"params": list(zip(names[:2], ts[:2]))},
                                           {"params": [(names[2], ts[2])], "lr": 0.05}])
        for p, t in zip(ps, ts):
            g = rng.normal(size=p.shape)
            p.grad, t.grad = g, torch.tensor(g)
        opt.step()
        topt.step()
        sd, tsd = opt.state_dict(), topt.state_dict()
        assert sd["param_groups"] == tsd["param_groups"], name
        assert sd["state"].keys() == tsd["state"].keys(), name
        for i in sd["state"]:
            assert sd["state"][i].keys() == tsd["state"][i].keys(), name
        assert repr(opt) == repr(topt)


# --------------------------------------------------------------------------- torch's switches

@pytest.mark.parametrize("name", NAMES)
def test_live_signature_and_defaults_are_torchs(name):
    torch = pytest.importorskip("torch", reason=NO_TORCH)
    ours = inspect.signature(getattr(adam_ref, name)).parameters
    theirs = inspect.signature(getattr(torch.optim, name)).parameters
    assert set(theirs) <= set(ours)
    for key, p in theirs.items():
        if key != "params":
            assert ours[key].default == p.default and type(ours[key].default) is type(p.default)
    opt = getattr(adam_ref, name)([Param(np.zeros(2))])
    topt = getattr(torch.optim, name)([torch.zeros(2, requires_grad=True)])
    assert opt.defaults == topt.defaults
    assert repr(opt) == repr(topt)


@pytest.mark.parametrize("name", NAMES)
def test_speed_switches_are_accepted_and_change_nothing(name):
    cls = getattr(adam_ref, name)
    accepted = [n for n in SPEED if n in inspect.signature(cls).parameters]
    assert "foreach" in accepted
    runs = []
    for kwargs in [{}] + [{n: v} for n in accepted for v in (None, False, True)
                          if not (name in ("Adam", "AdamW") and n == "fused" and v)]:
        ps = params(2, seed=3)
        opt = cls(ps, **kwargs)
        assert all(opt.param_groups[0][n] == kwargs.get(n, opt.defaults[n]) for n in accepted)
        rng = np.random.default_rng(4)
        for _ in range(4):
            for p in ps:
                p.grad = rng.normal(size=4)
            opt.step()
        runs.append([p.data.copy() for p in ps])
    for run in runs[1:]:
        assert_same(run, runs[0])  # bit for bit: a request for speed has no effect here


@pytest.mark.parametrize("name", NAMES)
def test_switches_that_cannot_be_honoured_are_refused(name):
    cls = getattr(adam_ref, name)
    signature = inspect.signature(cls).parameters
    for switch in ("capturable", "differentiable"):
        if switch in signature:
            with pytest.raises(ValueError, match=f"{switch}=True cannot be honoured"):
                cls([Param(np.zeros(2))], **{switch: True})
    if "fused" in signature:
        with pytest.raises(ValueError, match="`fused` and `foreach` cannot be `True` together"):
            cls([Param(np.zeros(2))], fused=True, foreach=True)
    with pytest.raises(TypeError, match="foreach must be True or False"):
        cls([Param(np.zeros(2))], foreach="yes")


@pytest.mark.parametrize("switch", ["capturable", "differentiable"])
def test_a_switch_set_mid_run_is_refused_and_changes_nothing(switch):
    ps = params(2)
    opt = NAdam(ps)
    for p in ps:
        p.grad = np.ones(4)
    opt.step()
    opt.param_groups[0][switch] = True
    before = snapshot(opt, ps)
    with pytest.raises(ValueError, match=f"{switch}=True cannot be honoured"):
        opt.step()
    assert_same(snapshot(opt, ps), before)
    saved = opt.state_dict()
    opt.param_groups[0][switch] = False
    before = snapshot(opt, ps)
    with pytest.raises(ValueError, match=f"{switch}=True cannot be honoured"):
        opt.load_state_dict(saved)
    assert_same(snapshot(opt, ps), before)


def test_a_state_dict_saved_without_switches_takes_the_defaults():
    ps = params(2)
    opt = SGD(ps, lr=0.1, momentum=0.9)
    for p in ps:
        p.grad = np.ones(4)
    opt.step()
    saved = opt.state_dict()
    for key in ("foreach", "differentiable", "fused"):
        del saved["param_groups"][0][key]
    fresh = SGD(params(2), lr=0.1, momentum=0.9, foreach=False)
    fresh.load_state_dict(saved)
    assert fresh.param_groups[0]["foreach"] is False and fresh.param_groups[0]["fused"] is None


# --------------------------------------------------------------------------- hooks

def test_step_hooks_run_in_order_and_a_pre_hook_may_replace_the_arguments():
    ps = params(1)
    opt = Adam(ps, lr=0.1)
    events = []

    def closure():
        events.append("closure")
        return 1.5

    h1 = opt.register_step_pre_hook(lambda o, args, kwargs: events.append(("pre1", args[1:])))
    h2 = opt.register_step_pre_hook(lambda o, args, kwargs: ((o, closure), kwargs))
    h3 = opt.register_step_post_hook(lambda o, args, kwargs: events.append(("post", args[1:])))
    ps[0].grad = np.ones(4)
    assert opt.step() == 1.5  # the second pre-hook supplied a closure
    assert events == [("pre1", ()), "closure", ("post", (closure,))]
    for h in (h1, h2, h3):
        h.remove()
        h.remove()  # removing twice is harmless
    events.clear()
    assert opt.step() is None and events == []


def test_a_pre_hook_must_return_none_or_new_arguments():
    ps = params(1)
    opt = Adam(ps)
    opt.register_step_pre_hook(lambda o, args, kwargs: "no")
    ps[0].grad = np.ones(4)
    before = snapshot(opt, ps)
    with pytest.raises(RuntimeError, match="must return None or a tuple of"):
        opt.step()
    assert_same(snapshot(opt, ps), before)


def test_post_hooks_do_not_run_after_a_failed_step():
    ps = params(2)
    opt = Adam(ps)
    ran = []
    opt.register_step_post_hook(lambda o, a, k: ran.append(1))
    ps[0].grad, ps[1].grad = np.ones(4), np.array([1.0, np.nan, 0.0, 0.0])
    before = snapshot(opt, ps)
    with pytest.raises(FloatingPointError):
        opt.step()
    assert_same(snapshot(opt, ps), before) and ran == []


def test_state_dict_hooks():
    ps = params(2)
    opt = Adam([("a", ps[0]), ("b", ps[1])])
    events = []
    opt.register_state_dict_pre_hook(lambda o: events.append("pre"))
    opt.register_state_dict_pre_hook(lambda o: events.append("first"), prepend=True)

    def drop_names(o, sd):
        events.append("post")
        for group in sd["param_groups"]:
            group.pop("param_names")
        return sd
    handle = opt.register_state_dict_post_hook(drop_names)
    opt.register_state_dict_post_hook(lambda o, sd: {**sd, "tag": 1})
    sd = opt.state_dict()
    assert events == ["first", "pre", "post"] and sd["tag"] == 1
    assert "param_names" not in sd["param_groups"][0]
    assert opt.param_groups[0]["param_names"] == ["a", "b"]  # the dict was a copy
    handle.remove()
    assert "param_names" in opt.state_dict()["param_groups"][0]


def test_load_state_dict_hooks_and_atomicity():
    ps = params(2)
    opt = Adam(ps, lr=0.1)
    for p in ps:
        p.grad = np.ones(4)
    opt.step()
    saved = opt.state_dict()
    events = []

    def pre(o, sd):
        events.append(("pre", sd is saved))
        sd["param_groups"] = copy.deepcopy(sd["param_groups"])
        sd["param_groups"][0]["lr"] = 0.5  # a shallow copy: the caller's dict is untouched
    opt.register_load_state_dict_pre_hook(pre)
    post = opt.register_load_state_dict_post_hook(lambda o: events.append("post"))
    opt.load_state_dict(saved)
    assert events == [("pre", False), "post"] and opt.param_groups[0]["lr"] == 0.5
    assert saved["param_groups"][0]["lr"] == 0.1
    post.remove()
    events.clear()
    broken = copy.deepcopy(saved)
    broken["state"][0]["exp_avg"] = np.zeros(3)
    before = snapshot(opt, ps)
    opt.register_load_state_dict_post_hook(lambda o: events.append("post2"))
    with pytest.raises(ValueError, match="shape"):
        opt.load_state_dict(broken)
    assert_same(snapshot(opt, ps), before)
    assert events == [("pre", False)]  # the pre-hook ran (torch's order); no post-hook


def test_hooks_must_be_callable_and_handles_work_as_context_managers():
    opt = Adam(params(1))
    with pytest.raises(TypeError, match="a hook must be callable"):
        opt.register_step_pre_hook(None)
    calls = []
    with opt.register_step_post_hook(lambda o, a, k: calls.append(1)):
        opt.step()
    opt.step()
    assert calls == [1]


def test_live_step_hooks_see_what_torchs_see():
    torch = pytest.importorskip("torch", reason=NO_TORCH)
    seen = {}
    for lib, make in (("ours", lambda: [Param(np.ones(2))]),
                      ("torch", lambda: [torch.ones(2, requires_grad=True)])):
        module = adam_ref if lib == "ours" else torch.optim
        opt = module.Adam(make(), lr=0.1)
        events = []
        opt.register_step_pre_hook(lambda o, a, k: events.append(("pre", len(a), a[0] is o, sorted(k))))
        opt.register_step_post_hook(lambda o, a, k: events.append(("post", len(a), sorted(k))))
        opt.step()
        opt.step(closure=lambda: 1.0)
        seen[lib] = events
    assert seen["ours"] == seen["torch"]
    assert seen["ours"][2] == ("pre", 1, True, ["closure"])


# --------------------------------------------------------------------------- step wrapping

def test_step_can_be_wrapped_on_an_instance_and_hooks_run_once():
    ps = params(1)
    opt = Adam(ps, lr=0.1)
    calls = []
    opt.register_step_pre_hook(lambda o, a, k: calls.append("hook"))
    inner = opt.step

    def wrapper(*args, **kwargs):
        calls.append("wrapper")
        return inner(*args, **kwargs)
    opt.step = wrapper
    ps[0].grad = np.ones(4)
    opt.step()
    assert calls == ["wrapper", "hook"]


class TutorialSGD(Optimizer):
    """A custom optimizer written the tutorial way: state looked up as a defaultdict."""

    def __init__(self, params, lr=0.1):
        super().__init__(params, dict(lr=lr))

    def step(self, closure=None):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = 0
                state["step"] += 1
                p.data -= group["lr"] * p.grad
        return None


class CountingAdam(Adam):
    def step(self, closure=None):
        self.calls = getattr(self, "calls", 0) + 1
        return super().step(closure)


def test_a_custom_optimizer_written_the_tutorial_way_works_with_hooks():
    ps = params(2)
    opt = TutorialSGD(ps, lr=0.5)
    assert opt.state[ps[0]] == {}  # torch's defaultdict
    ran = []
    opt.register_step_post_hook(lambda o, a, k: ran.append(o.state[ps[0]]["step"]))
    before = ps[0].data.copy()
    ps[0].grad = np.ones(4)
    opt.step()
    np.testing.assert_array_equal(ps[0].data, before - 0.5)
    assert ran == [1] and opt.state[ps[1]] == {}
    sub = CountingAdam(params(1))
    hooks = []
    sub.register_step_pre_hook(lambda o, a, k: hooks.append(1))
    sub.step()
    assert sub.calls == 1 and hooks == [1]  # super().step() does not run the hooks again


# --------------------------------------------------------------------------- the state

@pytest.mark.parametrize("name", NAMES)
def test_state_is_a_defaultdict_and_a_lookup_changes_no_step(name):
    ps = params(2)
    opt = getattr(adam_ref, name)(ps)
    looked_up = opt.state[ps[0]]
    assert isinstance(looked_up, dict) and (looked_up == {} or name == "Adagrad")
    reference = getattr(adam_ref, name)(params(2))
    rng = np.random.default_rng(8)
    for _ in range(3):
        for p, q in zip(ps, reference.param_groups[0]["params"]):
            p.grad = q.grad = rng.normal(size=4)
        opt.step()
        reference.step()
    for p, q in zip(ps, reference.param_groups[0]["params"]):
        np.testing.assert_array_equal(p.data, q.data)
    assert opt.state_dict()["state"].keys() == reference.state_dict()["state"].keys()


def test_a_looked_up_state_is_not_saved_and_a_failed_step_keeps_it():
    ps = params(2)
    opt = Adam(ps)
    assert opt.state[ps[1]] == {}
    assert opt.state_dict()["state"] == {}
    ps[0].grad, ps[1].grad = np.ones(4), np.full(4, np.inf)
    with pytest.raises(FloatingPointError):
        opt.step()
    assert dict(opt.state) == {ps[1]: {}}
    loaded = Adam(params(2))
    loaded.load_state_dict(opt.state_dict())
    assert loaded.state == {} and isinstance(loaded.state[loaded.param_groups[0]["params"][0]],
                                             dict)


def test_live_defaultdict_matches_torch_before_the_first_step():
    torch = pytest.importorskip("torch", reason=NO_TORCH)
    p, t = Param(np.zeros(2)), torch.zeros(2, requires_grad=True)
    opt, topt = Adam([p]), torch.optim.Adam([t])
    assert opt.state[p] == topt.state[t] == {}
    assert type(opt.state).__name__ == type(topt.state).__name__ == "defaultdict"


def test_adamw_takes_the_switches_too():
    opt = AdamW(params(1), foreach=True)
    assert opt.param_groups[0]["foreach"] is True
    with pytest.raises(ValueError, match="capturable=True cannot be honoured"):
        AdamW(params(1), capturable=True)


def test_every_class_is_made_from_its_description():
    classes = {cls.__name__ for cls in AlgorithmOptimizer.__subclasses__()}
    assert classes == set(NAMES) - {"AdamW"}


def test_record_takes_a_fused_flag_that_only_asks_for_speed():
    from adam_ref.history import record
    from adam_ref.objectives import Rosenbrock
    runs = []
    for kwargs in ({}, {"fused": True}):
        p = Param(np.array([-1.0, 1.0]))
        runs.append(record(SGD([p], lr=1e-3, momentum=0.9, **kwargs), Rosenbrock(), None, 5))
    np.testing.assert_array_equal(runs[0].theta, runs[1].theta)
    with pytest.raises(ValueError, match="fused=True keeps none"):
        record(Adam([Param(np.zeros(2))], fused=True), Rosenbrock(), None, 5)


# --------------------------------------------------------------------------- fuzzing

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
DOCUMENTED = (TypeError, ValueError, FloatingPointError)
junk = st.one_of(st.none(), st.booleans(), st.integers(-3, 3),
                 st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=3),
                 st.tuples(st.floats(-2, 2), st.floats(-2, 2)), st.just(object()),
                 st.just(np.array([0.1, 0.2])), st.lists(st.integers(0, 3), max_size=3))
NEW = ["Adagrad", "Adadelta", "NAdam", "RAdam"]


@FUZZ
@given(st.sampled_from(NEW), st.data())
def test_fuzz_constructors_of_the_new_classes(name, data):
    cls = getattr(adam_ref, name)
    argument = data.draw(st.sampled_from([n for n in inspect.signature(cls).parameters
                                          if n != "params"]))
    value = data.draw(junk)
    try:
        opt = cls([("p", Param(np.zeros(2)))], **{argument: value})
    except DOCUMENTED:
        return
    p = opt.param_groups[0]["params"][0]
    p.grad = np.ones(2)
    with np.errstate(all="ignore"):
        opt.step()  # accepted values give a usable optimizer
    assert opt.state[p]["step"] == 1




def trained(name):
    ps = params(2, seed=5)
    opt = getattr(adam_ref, name)([{"params": [("a", ps[0])]}, {"params": [("b", ps[1])]}])
    for p in ps:
        p.grad = np.linspace(-1, 1, 4)
    opt.step()
    return opt, ps


@FUZZ
@given(st.sampled_from(NEW), st.data())
def test_fuzz_load_state_dict_of_the_new_classes(name, data):
    opt, _ = trained(name)
    good = opt.state_dict()
    path = data.draw(st.sampled_from([p for p, _ in leaves(good)]))
    bad = replaced(copy.deepcopy(good), path, data.draw(junk))
    target, ps = trained(name)
    before = snapshot(target, ps)
    try:
        target.load_state_dict(bad)
    except DOCUMENTED:
        assert_same(snapshot(target, ps), before)
        return
    for p in ps:
        p.grad = np.full(4, 0.25)
    with np.errstate(all="ignore"):
        target.step()
