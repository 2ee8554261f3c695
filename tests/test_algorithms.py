"""Every property an algorithm owes, checked for each entry of ``ALGORITHMS``.

A new algorithm (its step, its description, its golden file) is covered here without
an edit: the cases are built from its description.
"""

import copy
import inspect
import itertools
import sys

import numpy as np
import pytest
from _trees import assert_same

import adam_ref
from adam_ref.functional import ALGORITHMS
from adam_ref.functional._validate import check_hypers
from adam_ref.history import record_step
from adam_ref.lr_scheduler import LambdaLR
from adam_ref.objectives import Quadratic
from adam_ref.optim.optimizer import AlgorithmOptimizer

SPECS = list(ALGORITHMS.values())
CLASSES = {cls.spec.name: cls for cls in AlgorithmOptimizer.__subclasses__()}
FUSED = [spec for spec in SPECS if "fused" in CLASSES[spec.name].extra_kwargs]
ids = lambda spec: spec.name  # noqa: E731


def active(spec):
    """Hyperparameters that exercise every term: nonzero decay and momentum, β < 1."""
    values = {}
    for h in spec.hypers:
        default = spec.defaults[h.name]
        values[h.name] = 0.6 if h.below_one else (default if default else 0.1)
    return values


def configs(spec):
    """Every combination of the torch switches, with default and with active values."""
    out = []
    for flags in itertools.product([False, True], repeat=len(spec.flags)):
        for hypers in ({h.name: spec.defaults[h.name] for h in spec.hypers}, active(spec)):
            kwargs = {**hypers, **dict(zip(spec.flags, flags))}
            try:
                check_hypers(spec, kwargs)
            except ValueError:  # a combination the algorithm refuses (SGD: nesterov, no momentum)
                continue
            out.append(kwargs)
    return out


def run_functional(spec, kwargs, dtype=np.float64, steps=4, seed=0):
    rng = np.random.default_rng(seed)
    theta = rng.standard_normal((3, 2)).astype(dtype)
    state = spec.init(theta)
    for _ in range(steps):
        theta, state, trace = spec.step(theta, rng.standard_normal(theta.shape).astype(dtype),
                                        state, **kwargs)
    return theta, state, trace


def snapshot(opt, params):
    """Every param's data and state, and every group's settings, as copies."""
    return ([(p.data.copy(), copy.deepcopy(opt.state.get(p))) for p in params],
            [copy.deepcopy({k: v for k, v in g.items() if k != "params"})
             for g in opt.param_groups])



def stepped(spec, fused=False, dtype=np.float64, **group):
    """Two params, three steps taken: an optimizer in mid-run."""
    rng = np.random.default_rng(1)
    params = [adam_ref.Param(rng.standard_normal(4).astype(dtype)) for _ in range(2)]
    extra = {"fused": True} if fused else {}
    for torch_name, names in spec.pairs.items():  # the step's names as the class's
        if any(name in group for name in names):
            group[torch_name] = tuple(group.pop(name, spec.defaults[name]) for name in names)
    opt = CLASSES[spec.name](params, **group, **extra)
    for _ in range(3):
        for p in params:
            p.grad = rng.standard_normal(4).astype(dtype)
        opt.step()
    return opt, params


# --------------------------------------------------------------------------- the description

@pytest.mark.parametrize("spec", SPECS, ids=ids)
def test_the_description_names_every_keyword_of_the_step(spec):
    keywords = {name for name, p in inspect.signature(spec.step).parameters.items()
                if p.kind is p.KEYWORD_ONLY}
    described = {h.name for h in spec.hypers} | set(spec.flags) | set(spec.options)
    assert keywords == described
    assert list(inspect.signature(spec.step).parameters)[:3] == ["theta", "grad", "state"]
    assert {f.field for f in spec.state_fields} | {"t"} == set(spec.state._fields)


@pytest.mark.parametrize("spec", SPECS, ids=ids)
def test_the_class_signature_and_defaults_come_from_the_description(spec):
    cls = CLASSES[spec.name]
    signature = inspect.signature(cls)
    torch_names = spec.torch_args + spec.torch_kwargs
    assert list(signature.parameters)[1:1 + len(torch_names)] == list(torch_names)
    opt = cls([adam_ref.Param(np.zeros(2))])
    kwargs = spec.step_kwargs(opt.defaults)
    assert kwargs == {k: v for k, v in spec.defaults.items() if k in kwargs}
    assert set(kwargs) == {h.name for h in spec.hypers} | set(spec.flags)


@pytest.mark.parametrize("spec", SPECS, ids=ids)
def test_record_step_uses_the_steps_own_default_lr(spec):
    h = record_step(spec.step, Quadratic((1.0, 0.1)), np.ones(2), 3)
    np.testing.assert_array_equal(h.lr, np.full(3, spec.defaults["lr"]))
    reference = record_step(spec.step, Quadratic((1.0, 0.1)), np.ones(2), 3,
                            lr=spec.defaults["lr"])
    np.testing.assert_array_equal(h.theta, reference.theta)


# --------------------------------------------------------------------------- the step

@pytest.mark.parametrize("spec", SPECS, ids=ids)
def test_no_input_is_mutated_and_the_dtype_is_kept(spec):
    for kwargs, dtype in itertools.product(configs(spec), (np.float32, np.float64)):
        theta, state, _ = run_functional(spec, kwargs, dtype)
        grad = np.linspace(-1, 1, theta.size).reshape(theta.shape).astype(dtype)
        before = copy.deepcopy((theta, grad, state))
        theta_next, state_next, trace = spec.step(theta, grad, state, **kwargs)
        assert_same((theta, grad, state), before)
        arrays = [theta_next, *(v for v in state_next[1:] if v is not None),
                  *(v for _, v in trace.items() if isinstance(v, np.ndarray))]
        assert all(a.dtype == dtype for a in arrays), kwargs
        assert all(not np.may_share_memory(a, grad) for a in arrays)


@pytest.mark.parametrize("spec", SPECS, ids=ids)
def test_float16_is_refused_naming_it(spec):
    theta = np.ones(2, dtype=np.float16)
    with pytest.raises(TypeError, match="float16 is not supported"):
        spec.init(theta)
    state = spec.init(theta.astype(np.float32))
    with pytest.raises(TypeError, match="float16 is not supported"):
        spec.step(theta, theta, state)
    with pytest.raises(TypeError, match="float16 is not supported"):
        adam_ref.Param(theta)


@pytest.mark.parametrize("spec", SPECS, ids=ids)
def test_a_small_integer_step_count_does_not_wrap(spec):
    kwargs = configs(spec)[-1]
    _, state, _ = run_functional(spec, kwargs)
    theta, grad = np.ones((3, 2)), np.full((3, 2), 0.5)
    wide = spec.step(theta, grad, state._replace(t=127), **kwargs)
    narrow = spec.step(theta, grad, state._replace(t=np.int8(127)), **kwargs)
    assert narrow[1].t == 128 and type(narrow[1].t) is int
    assert_same(narrow[0], wide[0])


@pytest.mark.parametrize("spec", SPECS, ids=ids)
@pytest.mark.parametrize("t", [-1, 2.5, 1e300, 2 ** 70, True, "3", None])
def test_a_bad_step_count_is_refused_one_way(spec, t):
    theta = np.ones(2)
    state = spec.init(theta)._replace(t=t)
    with pytest.raises(ValueError, match=r"\.t must be a whole number"):
        spec.step(theta, theta, state)


@pytest.mark.parametrize("spec", SPECS, ids=ids)
def test_state_arrays_must_match_theta(spec):
    theta = np.ones(3)
    kwargs = configs(spec)[-1]  # every switch on: every state array in use
    for f in spec.state_fields:
        state = spec.init(theta)
        if getattr(state, f.field) is None:
            continue
        for bad, match in ((np.ones(2), "shape"), (np.ones(3, np.float32), "dtype"),
                           (np.ones(3, int), "floating")):
            with pytest.raises((ValueError, TypeError), match=match):
                spec.step(theta, theta, state._replace(**{f.field: bad}), **kwargs)
        if f.zeros and (f.when is None or f.when(kwargs)):
            with pytest.raises(ValueError, match=f"state.{f.field} is None"):
                spec.step(theta, theta, state._replace(**{f.field: None}), **kwargs)


@pytest.mark.parametrize("spec", SPECS, ids=ids)
def test_an_array_hyperparameter_that_does_not_broadcast_is_named(spec):
    theta = np.ones((4, 3))
    for h in spec.hypers:
        value = np.full((2, 1), 0.5 if h.below_one else spec.defaults[h.name] or 0.1)
        with pytest.raises(ValueError, match=f"{h.name} has shape \\(2, 1\\)"):
            spec.step(theta, theta, spec.init(theta), **{h.name: value})


def bad_values(h):
    """Values outside the range of ``h``, and values that are no real number."""
    out = [(-0.1, ValueError, h.message), (float("nan"), ValueError, h.message)]
    if h.below_one:
        out.append((1.0, ValueError, h.message))
    out += [("0.1", TypeError, h.name), (np.array("0.1"), TypeError, h.name),
            (np.array(True), TypeError, h.name), (True, TypeError, h.name),
            (None, TypeError, h.name)]
    return out


@pytest.mark.parametrize("spec", SPECS, ids=ids)
def test_the_functional_step_refuses_every_bad_value(spec):
    theta = np.ones(2)
    state = spec.init(theta)
    for h in spec.hypers:
        for value, error, match in bad_values(h):
            with pytest.raises(error, match=match):
                spec.step(theta, theta, state, **{h.name: value})
    for name in spec.flags + spec.options:
        with pytest.raises(TypeError, match=name):
            spec.step(theta, theta, state, **{name: "no"})


def set_group_value(spec, group, name, value):
    """Write the step's hyperparameter ``name`` into a group under torch's name."""
    for torch_name, names in spec.pairs.items():
        if name in names:
            pair = list(group[torch_name])
            pair[names.index(name)] = value
            group[torch_name] = tuple(pair)
            return
    group[name] = value


PATHS = [(spec, False) for spec in SPECS] + [(spec, True) for spec in FUSED]


@pytest.mark.parametrize("spec, fused", PATHS,
                         ids=[f"{s.name}-{'fused' if f else 'traced'}" for s, f in PATHS])
def test_a_bad_value_set_mid_run_is_refused_and_changes_nothing(spec, fused):
    for h in spec.hypers:
        for value, error, match in bad_values(h):
            opt, params = stepped(spec, fused)
            set_group_value(spec, opt.param_groups[0], h.name, value)
            before = snapshot(opt, params)
            with pytest.raises(error, match=match):
                opt.step()
            assert_same(snapshot(opt, params), before)
    for name in spec.flags:
        opt, params = stepped(spec, fused)
        opt.param_groups[0][name] = "no"
        before = snapshot(opt, params)
        with pytest.raises(TypeError, match=name):
            opt.step()
        assert_same(snapshot(opt, params), before)


@pytest.mark.parametrize("spec", FUSED, ids=ids)
def test_a_scheduler_that_yields_nan_cannot_feed_the_fused_path(spec):
    opt, params = stepped(spec, fused=True)
    scheduler = LambdaLR(opt, lambda epoch: float("nan") if epoch >= 1 else 1.0)
    opt.step()  # the order torch asks for: the optimizer, then the scheduler
    before = snapshot(opt, params)
    with pytest.raises(ValueError, match="lr"):  # the scheduler refuses to write it
        scheduler.step()
    assert_same(snapshot(opt, params), before)
    opt.param_groups[0]["lr"] = float("nan")  # and were it written, the step refuses it
    with pytest.raises(ValueError, match="Invalid learning rate: nan"):
        opt.step()
    assert_same(snapshot(opt, params)[0], before[0])


@pytest.mark.parametrize("spec", SPECS, ids=ids)
def test_loaded_state_is_checked(spec):
    opt, params = stepped(spec, **active(spec))
    saved = opt.state_dict()
    for f in spec.state_fields:
        for bad in (np.nan, np.inf) + ((-1.0,) if f.nonnegative else ()):
            broken = copy.deepcopy(saved)
            if f.key not in broken["state"].get(0, {}):
                continue
            if f.scalar:  # one number per param (NAdam's mu_product)
                broken["state"][0][f.key] = bad
            else:
                broken["state"][0][f.key][1] = bad
            before = snapshot(opt, params)
            with pytest.raises(ValueError, match=f.key):
                opt.load_state_dict(broken)
            assert_same(snapshot(opt, params), before)
    if spec.step_key:
        for step in (1e300, 2 ** 70, -1, 2.5):
            broken = copy.deepcopy(saved)
            broken["state"][0][spec.step_key] = step
            with pytest.raises(ValueError, match="'step' must be a whole number"):
                opt.load_state_dict(broken)


# --------------------------------------------------------------------------- the fast path

def aliasing_runs(spec, fused, dtype, flags, how):
    """Three params; each step's gradients alias params or state arrays as ``how`` says."""
    rng = np.random.default_rng(5)
    buffer = rng.standard_normal(12).astype(dtype)
    params = [adam_ref.Param(rng.standard_normal(4).astype(dtype)) for _ in range(2)]
    params.append(adam_ref.Param(buffer[:4]))  # a param that is a view of a larger buffer
    opt = CLASSES[spec.name](params, lr=0.05, fused=fused, **flags)
    first_key = spec.state_fields[0].key
    for t in range(12):
        for i, p in enumerate(params):
            p.grad = (rng.standard_normal(4) * 0.5).astype(dtype)
        if t >= 1:
            if how == "own param":
                params[0].grad = params[0].data
            elif how == "other param":
                params[1].grad = params[0].data  # written before params[1] is read
                params[0].grad = params[2].data
            elif how == "state":
                params[0].grad = opt.state[params[1]][first_key]
                params[1].grad = opt.state[params[1]][first_key]
            elif how == "view":
                params[2].grad = buffer[2:6]  # overlaps params[2].data = buffer[:4]
        opt.step()
    return [p.data.copy() for p in params], opt.state


@pytest.mark.parametrize("how", ["none", "own param", "other param", "state", "view"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("spec", FUSED, ids=ids)
def test_the_fused_path_equals_the_reference_even_for_aliased_gradients(spec, dtype, how):
    for kwargs in configs(spec):
        flags = {name: kwargs[name] for name in spec.flags}
        flags["weight_decay"] = 0.1
        reference, ref_state = aliasing_runs(spec, False, dtype, flags, how)
        fused, fused_state = aliasing_runs(spec, True, dtype, flags, how)
        assert_same(fused, reference)
        assert_same(list(fused_state.values()), list(ref_state.values()))


# --------------------------------------------------------------------------- the debugger

def executed_lines(spec):
    """The lines of the step's own frame, in the order they run."""
    lines, code = [], spec.step.__code__

    def tracer(frame, event, arg):
        if frame.f_code is code:
            if event == "line":
                lines.append(frame.f_lineno)
            return tracer
        return None
    theta = np.ones(2)
    sys.settrace(tracer)
    try:
        spec.step(theta, theta, spec.init(theta))
    finally:
        sys.settrace(None)
    return lines


@pytest.mark.parametrize("spec", SPECS, ids=ids)
def test_one_line_before_the_first_equation(spec):
    lines = executed_lines(spec)
    source, first = inspect.getsourcelines(spec.step)
    text = {first + i: line.strip() for i, line in enumerate(source)}
    assert text[lines[0]].endswith(f"= check({spec_name(spec)}, locals())"), text[lines[0]]
    assert text[lines[1]] == "t = state.t + 1"  # one `next` from the first line


def spec_name(spec):
    module = sys.modules[spec.step.__module__]
    return next(name for name, value in vars(module).items() if value is spec)


@pytest.mark.parametrize("spec, fused", PATHS,
                         ids=[f"{s.name}-{'fused' if f else 'traced'}" for s, f in PATHS])
def test_weight_decay_that_overflows_is_refused_like_a_non_finite_gradient(spec, fused):
    if "weight_decay" not in {h.name for h in spec.hypers}:
        return
    opt, params = stepped(spec, fused, dtype=np.float32)
    opt.param_groups[0]["weight_decay"] = 1e30
    params[1].data[0] = 1e10  # λ·θ = 1e40: beyond float32, though grad and θ are finite
    for p in params:
        p.grad = np.ones(4, np.float32)
    before = snapshot(opt, params)
    with pytest.raises(FloatingPointError, match="grad \\+ weight_decay \\* param overflows"):
        opt.step()
    assert_same(snapshot(opt, params), before)
    opt.check_finite = False  # torch's behaviour: the overflow propagates
    with np.errstate(all="ignore"):
        opt.step()
    assert not np.all(np.isfinite(params[1].data))


@pytest.mark.parametrize("spec, fused", PATHS,
                         ids=[f"{s.name}-{'fused' if f else 'traced'}" for s, f in PATHS])
def test_a_param_group_takes_real_numbers_not_arrays(spec, fused):
    h = spec.hypers[0]
    with pytest.raises(TypeError, match=f"{h.name} must be a real number, got an array"):
        CLASSES[spec.name]([adam_ref.Param(np.zeros(2))], **{h.name: np.array([0.1])})
    opt, params = stepped(spec, fused)
    set_group_value(spec, opt.param_groups[0], h.name, np.full(4, 0.01))
    before = snapshot(opt, params)
    with pytest.raises(TypeError, match="arrays of settings are for the functional steps"):
        opt.step()
    assert_same(snapshot(opt, params), before)


@pytest.mark.parametrize("spec, fused", PATHS,
                         ids=[f"{s.name}-{'fused' if f else 'traced'}" for s, f in PATHS])
def test_a_groups_values_are_checked_again_only_when_one_changed(spec, fused, monkeypatch):
    import adam_ref.optim.optimizer as layer
    calls = []
    real = layer.check_hypers
    monkeypatch.setattr(layer, "check_hypers", lambda *a, **k: calls.append(1) or real(*a, **k))
    opt, params = stepped(spec, fused)
    calls.clear()
    for _ in range(3):
        opt.step()
    assert calls == []  # nothing changed: one comparison per group, no check
    opt.param_groups[0]["lr"] = 0.5 * opt.param_groups[0]["lr"]
    opt.step()
    assert calls == [1]  # one value changed: checked once, at this step
