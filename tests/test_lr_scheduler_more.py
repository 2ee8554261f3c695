"""MultiplicativeLR, ConstantLR, PolynomialLR, SequentialLR, ChainedScheduler, CyclicLR,
OneCycleLR and CosineAnnealingWarmRestarts against torch.optim.lr_scheduler (2.13),
golden and live; atomic steps of every scheduler; the step-order warning.

The schedulers compute in Python floats in torch's order of operations, so lr
and momentum / β₁ sequences are compared exactly.
"""

import copy
import json
import math
import warnings

import numpy as np
import pytest
from _golden import GOLDEN, NO_TORCH, generator, plain

import adam_ref
from adam_ref import SGD, Adam, Optimizer, Param
from adam_ref import lr_scheduler as S

gen = generator("make_sched_golden")
RUNS = gen.RUNS
TORCH_ONLY = ("_is_initial", "_get_lr_called_within_step", "lr_lambdas", "_scale_fn_custom")
BEFORE = "Detected call of `lr_scheduler.step()` before `optimizer.step()`"


def optimizer_for(run, lrs=gen.GROUP_LRS):
    groups = [{"params": [Param(np.zeros(1))], "lr": lr} for lr in lrs]
    return Adam(groups) if run.get("optimizer") == "Adam" else SGD(groups, momentum=0.9)


def our_sequence(run):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # step(epoch)'s deprecation warning, as torch's
        return gen.lr_sequence(S, run, optimizer_for(run))


def strip(sd):
    out = {k: v for k, v in sd.items() if k not in TORCH_ONLY}
    if "_schedulers" in out:
        out["_schedulers"] = [strip(s) for s in out["_schedulers"]]
    return out


@pytest.fixture(scope="module")
def golden():
    with np.load(GOLDEN / "sched_more.npz", allow_pickle=False) as z:
        data = {k: z[k] for k in z.files}
    assert json.loads(data["configs"].item()) == json.loads(json.dumps(RUNS)), \
        "regenerate the golden file"
    return data


@pytest.mark.parametrize("i", range(len(RUNS)), ids=[gen.run_id(r) for r in RUNS])
def test_golden_lr_and_momentum_sequences(golden, i):
    lrs, momenta = our_sequence(RUNS[i])
    np.testing.assert_array_equal(lrs, golden[f"{i}_lr"])
    np.testing.assert_array_equal(momenta, golden[f"{i}_momentum"])


def test_golden_runs_are_not_vacuous(golden):
    """Every run moves its lr (but ConstantLR(factor=1), the identity); every
    cycle_momentum run moves its momentum or β₁."""
    for i, run in enumerate(RUNS):
        lr, momentum = golden[f"{i}_lr"], golden[f"{i}_momentum"]
        identity = run.get("kwargs", {}).get("factor") == 1.0
        assert (len(np.unique(lr[:, 0])) == 1) == identity, gen.run_id(run)
        if run["scheduler"] not in ("ConstantLR", "SequentialLR"):
            assert len(np.unique(lr[:, 0])) > 5, gen.run_id(run)
        cycles = run["scheduler"] in ("CyclicLR", "OneCycleLR")
        if cycles and run["kwargs"].get("cycle_momentum", True):
            assert len(np.unique(momentum[:, 0])) > 5, gen.run_id(run)
        else:
            assert len(np.unique(momentum[:, 0])) == 1, gen.run_id(run)


@pytest.mark.parametrize("i", range(len(RUNS)), ids=[gen.run_id(r) for r in RUNS])
def test_live_lr_and_momentum_sequences(i):
    pytest.importorskip("torch", reason=NO_TORCH)
    lrs, momenta = our_sequence(RUNS[i])
    tlrs, tmomenta = gen.torch_lr_sequence(RUNS[i])
    np.testing.assert_array_equal(lrs, tlrs)
    np.testing.assert_array_equal(momenta, tmomenta)


def advance(scheduler, optimizer, run, start, stop):
    out = []
    for t in range(start + 1, stop + 1):
        optimizer.step()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if "epochs" in run:
                scheduler.step(t / run["epochs"])
            else:
                scheduler.step()
        out.append([(g["lr"], gen.momentum_of(g)) for g in optimizer.param_groups])
    return out


@pytest.mark.parametrize("i", range(len(RUNS)), ids=[gen.run_id(r) for r in RUNS])
def test_live_state_dict_equals_torchs_and_loads_from_it(i):
    pytest.importorskip("torch", reason=NO_TORCH)
    from torch.optim import lr_scheduler as T
    run = RUNS[i]
    opt, topt = optimizer_for(run), gen.torch_optimizer(run)
    ours, theirs = gen.build(S, run, opt), gen.build(T, run, topt)
    advance(ours, opt, run, 0, 40)
    advance(theirs, topt, run, 0, 40)
    tsd = theirs.state_dict()
    assert strip(ours.state_dict()) == strip(tsd)
    # torch's dict loads into a fresh scheduler (on an optimizer with the same groups)
    fresh_opt = optimizer_for(run)
    fresh = gen.build(S, run, fresh_opt)
    for g, tg in zip(fresh_opt.param_groups, topt.param_groups):
        g.update({k: v for k, v in tg.items() if k != "params"})
    fresh.load_state_dict(copy.deepcopy(tsd))
    assert strip(fresh.state_dict()) == strip(tsd)
    assert advance(fresh, fresh_opt, run, 40, 120) == advance(theirs, topt, run, 40, 120)


@pytest.mark.parametrize("i", range(len(RUNS)), ids=[gen.run_id(r) for r in RUNS])
def test_state_dict_round_trip_continues_identically(i):
    run = RUNS[i]
    opt = optimizer_for(run)
    scheduler = gen.build(S, run, opt)
    advance(scheduler, opt, run, 0, 33)
    saved = scheduler.state_dict()
    assert plain(saved)
    other_opt = optimizer_for(run)
    other = gen.build(S, run, other_opt)
    for g, h in zip(other_opt.param_groups, opt.param_groups):
        g.update({k: v for k, v in h.items() if k != "params"})
    other.load_state_dict(copy.deepcopy(saved))
    assert other.state_dict() == saved
    assert advance(other, other_opt, run, 33, 100) == advance(scheduler, opt, run, 33, 100)


@pytest.mark.parametrize("name, change, match", [
    ("CyclicLR", lambda sd: sd.update(max_lrs=[0.1]), "max_lrs"),
    ("CyclicLR", lambda sd: sd.update(mode="sawtooth"), "mode"),
    ("CyclicLR", lambda sd: sd.update(step_ratio=0.0), "step_ratio"),
    ("OneCycleLR", lambda sd: sd.update(_anneal_func_type="cubic"), "_anneal_func_type"),
    ("OneCycleLR", lambda sd: sd["_schedule_phases"][0].update(end_lr="lr"), "end_lr"),
    ("CosineAnnealingWarmRestarts", lambda sd: sd.update(T_i=0), "T_i"),
    ("SequentialLR", lambda sd: sd["_schedulers"][1].update(gamma="0.9"), "gamma"),
    ("SequentialLR", lambda sd: sd.update(_milestones=[3, 4]), "_milestones"),
    ("ChainedScheduler", lambda sd: sd["_schedulers"].pop(), "_schedulers"),
    ("ChainedScheduler", lambda sd: sd["_schedulers"][1].update(last_epoch=1.5), "last_epoch"),
])
def test_load_state_dict_is_checked_in_full_before_anything_changes(name, change, match):
    run = next(r for r in RUNS if r["scheduler"] == name)
    opt = optimizer_for(run)
    scheduler = gen.build(S, run, opt)
    advance(scheduler, opt, run, 0, 5)
    before = snapshot(scheduler, opt)
    bad = copy.deepcopy(scheduler.state_dict())
    if "_schedulers" in bad:
        bad["_schedulers"][0]["last_epoch"] = 99  # a valid change, which must not be applied
    else:
        bad["last_epoch"] = 99
    change(bad)
    with pytest.raises(ValueError, match=match):
        scheduler.load_state_dict(bad)
    assert snapshot(scheduler, opt) == before


# --------------------------------------------------------------------------- import path, warning

def test_optim_lr_scheduler_is_a_second_import_path():
    import adam_ref.optim.lr_scheduler as via_optim
    from adam_ref.optim.lr_scheduler import OneCycleLR
    assert via_optim is adam_ref.lr_scheduler
    assert adam_ref.optim.lr_scheduler is S and OneCycleLR is S.OneCycleLR
    for name in S.__all__:
        assert getattr(via_optim, name) is getattr(S, name)
    assert len(S.__all__) == 16  # LRScheduler and torch's 15 schedulers


def collect(make, optimizer_first):
    """The warnings of: build, (optimizer.step), scheduler.step, optimizer.step, step."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        optimizer, scheduler = make()
        if optimizer_first:
            optimizer.step()
        scheduler.step()
        optimizer.step()
        scheduler.step()
    return [str(w.message) for w in caught if issubclass(w.category, UserWarning)]


def our_pair(kind):
    opt = SGD([{"params": [Param(np.zeros(1))], "lr": 0.1}], momentum=0.9)
    return opt, kind(S, opt)


KINDS = {
    "StepLR": lambda M, o: M.StepLR(o, 3),
    "CyclicLR": lambda M, o: M.CyclicLR(o, 0.01, 0.1, 5),
    "OneCycleLR": lambda M, o: M.OneCycleLR(o, 0.1, total_steps=10),
    "CosineAnnealingWarmRestarts": lambda M, o: M.CosineAnnealingWarmRestarts(o, 4),
    "SequentialLR": lambda M, o: M.SequentialLR(o, [M.ConstantLR(o), M.ExponentialLR(o, 0.9)],
                                                milestones=[2]),
    "ChainedScheduler": lambda M, o: M.ChainedScheduler([M.ConstantLR(o),
                                                         M.ExponentialLR(o, 0.9)]),
    "ReduceLROnPlateau": None,
}


@pytest.mark.parametrize("kind", [k for k in KINDS if KINDS[k] is not None])
def test_scheduler_stepped_before_its_optimizer_warns_as_torch(kind):
    make = KINDS[kind]
    early = collect(lambda: our_pair(make), optimizer_first=False)
    late = collect(lambda: our_pair(make), optimizer_first=True)
    assert not any(BEFORE in m for m in late)
    if kind == "CosineAnnealingWarmRestarts":  # its step counts nothing, so never warns
        assert not any(BEFORE in m for m in early)
    else:
        assert sum(BEFORE in m for m in early) >= 1
    torch = pytest.importorskip("torch", reason=NO_TORCH)
    from torch.optim import lr_scheduler as T

    def torch_pair():
        topt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1, momentum=0.9)
        return topt, make(T, topt)
    assert early == collect(torch_pair, optimizer_first=False)
    assert late == collect(torch_pair, optimizer_first=True)


def test_the_warning_comes_once_and_the_wrapper_keeps_step_working():
    p = Param(np.ones(2))
    opt = SGD([p], lr=0.5)
    first = S.StepLR(opt, 2)
    S.ExponentialLR(opt, 0.9)  # a second scheduler wraps nothing twice
    assert opt.step._wrapped_by_lr_sched and opt.step.__wrapped__ is type(opt).step
    with pytest.warns(UserWarning, match="before `optimizer.step\\(\\)`"):
        first.step()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        first.step()  # later steps do not warn
        p.grad = np.ones(2)
        lr = opt.param_groups[0]["lr"]
        opt.step()
    assert lr == 0.5 * 0.1
    np.testing.assert_array_equal(p.data, np.ones(2) - lr)
    assert opt._opt_called is True


def test_an_optimizer_step_replaced_after_construction_warns_as_torch():
    opt = SGD([Param(np.zeros(1))], lr=0.1)
    scheduler = S.StepLR(opt, 2)
    opt.step = lambda closure=None: None
    with pytest.warns(UserWarning, match="Seems like `optimizer.step\\(\\)` has been overridden"):
        scheduler.step()


# --------------------------------------------------------------------------- torch's messages

class Plain(Optimizer):
    """An optimizer with neither momentum nor betas."""

    def __init__(self, params, lr=0.1):
        super().__init__(params, dict(lr=lr))


MESSAGES = {
    "ConstantLR factor": lambda M, o: M.ConstantLR(o, factor=1.5),
    "CAWR T_0": lambda M, o: M.CosineAnnealingWarmRestarts(o, 0),
    "CAWR T_0 float": lambda M, o: M.CosineAnnealingWarmRestarts(o, 2.0),
    "CAWR T_mult": lambda M, o: M.CosineAnnealingWarmRestarts(o, 2, T_mult=0),
    "CAWR eta_min": lambda M, o: M.CosineAnnealingWarmRestarts(o, 2, eta_min="0"),
    "OneCycle total_steps": lambda M, o: M.OneCycleLR(o, 0.1, total_steps=0),
    "OneCycle epochs": lambda M, o: M.OneCycleLR(o, 0.1, epochs=0, steps_per_epoch=3),
    "OneCycle steps_per_epoch": lambda M, o: M.OneCycleLR(o, 0.1, epochs=2, steps_per_epoch=1.5),
    "OneCycle neither": lambda M, o: M.OneCycleLR(o, 0.1, epochs=2),
    "OneCycle pct_start": lambda M, o: M.OneCycleLR(o, 0.1, 10, pct_start=1.5),
    "OneCycle pct_start int": lambda M, o: M.OneCycleLR(o, 0.1, 10, pct_start=0),
    "OneCycle anneal": lambda M, o: M.OneCycleLR(o, 0.1, 10, anneal_strategy="cosine"),
    "OneCycle max_lr list": lambda M, o: M.OneCycleLR(o, [0.1, 0.2, 0.3], 10),
    "Cyclic mode": lambda M, o: M.CyclicLR(o, 0.01, 0.1, mode="triangle"),
    "Cyclic base_lr list": lambda M, o: M.CyclicLR(o, [0.01], 0.1),
    "Multiplicative count": lambda M, o: M.MultiplicativeLR(o, [lambda e: 1.0] * 3),
    "Sequential empty": lambda M, o: M.SequentialLR(o, [], []),
    "Sequential milestones": lambda M, o: M.SequentialLR(o, [M.ConstantLR(o)], [3]),
    "Sequential plateau": lambda M, o: M.SequentialLR(o, [M.ReduceLROnPlateau(o)], []),
    "Chained empty": lambda M, o: M.ChainedScheduler([], optimizer=o),
    "Chained plateau": lambda M, o: M.ChainedScheduler([M.StepLR(o, 2),
                                                        M.ReduceLROnPlateau(o)]),
}


def torch_two_groups(momentum=0.9):
    torch = pytest.importorskip("torch", reason=NO_TORCH)
    return torch.optim.SGD([{"params": [torch.zeros(1, requires_grad=True)], "lr": 0.1},
                            {"params": [torch.zeros(1, requires_grad=True)], "lr": 0.03}],
                           momentum=momentum)


@pytest.mark.parametrize("case", MESSAGES)
def test_live_invalid_arguments_raise_torchs_message(case):
    topt = torch_two_groups()
    from torch.optim import lr_scheduler as T
    with pytest.raises((ValueError, TypeError)) as expected:
        MESSAGES[case](T, topt)
    opt = optimizer_for({})
    before = snapshot(None, opt)
    with pytest.raises(expected.type) as got:
        MESSAGES[case](S, opt)
    assert str(got.value) == str(expected.value)
    if "Sequential" not in case and "Chained" not in case:
        assert snapshot(None, opt) == before  # a refused constructor writes nothing


def test_live_cycle_momentum_needs_momentum_or_betas_and_the_messages_agree():
    torch = pytest.importorskip("torch", reason=NO_TORCH)
    from torch.optim import lr_scheduler as T
    topt = torch.optim.Rprop([torch.zeros(1, requires_grad=True)])
    for make in (lambda M, o: M.CyclicLR(o, 0.01, 0.1), lambda M, o: M.OneCycleLR(o, 0.1, 10)):
        with pytest.raises(ValueError) as expected:
            make(T, topt)
        opt = Plain([Param(np.zeros(1))])
        with pytest.raises(ValueError) as got:
            make(S, opt)
        assert str(got.value) == str(expected.value)
        assert opt.param_groups[0]["lr"] == 0.1 and "initial_lr" not in opt.param_groups[0]
    S.CyclicLR(Plain([Param(np.zeros(1))]), 0.01, 0.1, cycle_momentum=False)  # fine without


def test_live_one_cycle_past_total_steps_raises_torchs_message_and_changes_nothing():
    topt = torch_two_groups()
    from torch.optim import lr_scheduler as T
    opt = optimizer_for({})
    ours, theirs = S.OneCycleLR(opt, 0.1, total_steps=5), T.OneCycleLR(topt, 0.1, total_steps=5)
    for _ in range(5):
        opt.step()
        topt.step()
        ours.step()
        theirs.step()
    before = snapshot(ours, opt)
    with pytest.raises(ValueError) as expected:
        theirs.step()
    with pytest.raises(ValueError) as got:
        ours.step()
    assert str(got.value) == str(expected.value) == \
        "Tried to step 6 times. The specified number of total steps is 5"
    assert snapshot(ours, opt) == before


def test_live_linear_one_cycle_at_its_last_step_is_refused_where_torch_goes_negative():
    """At step total_steps a linear anneal overshoots min_lr; torch writes the negative
    lr, adam_ref refuses the step (an lr must be >= 0) and changes nothing."""
    topt = torch_two_groups()
    from torch.optim import lr_scheduler as T
    kwargs = dict(max_lr=0.1, total_steps=12, pct_start=0.25, anneal_strategy="linear")
    opt = optimizer_for({})
    ours, theirs = S.OneCycleLR(opt, **kwargs), T.OneCycleLR(topt, **kwargs)
    for _ in range(11):
        topt.step()
        opt.step()
        theirs.step()
        ours.step()
        assert ours.get_last_lr() == theirs.get_last_lr()
    theirs.step()
    assert theirs.get_last_lr()[0] < 0
    before = snapshot(ours, opt)
    with pytest.raises(ValueError, match=r"computed lr = -.* for param_groups\[0\]"):
        ours.step()
    assert snapshot(ours, opt) == before


def test_live_deprecated_epoch_argument_uses_the_closed_form_as_torch():
    topt = torch_two_groups()
    from torch.optim import lr_scheduler as T
    opt = optimizer_for({})
    for make in (lambda M, o: M.StepLR(o, 3, 0.5), lambda M, o: M.PolynomialLR(o, 10, 2.0),
                 lambda M, o: M.ConstantLR(o, 0.25, 4), lambda M, o: M.LinearLR(o, 0.2),
                 lambda M, o: M.CosineAnnealingLR(o, 9, 0.001)):
        ours, theirs = make(S, opt), make(T, topt)
        opt.step()
        topt.step()
        for epoch in (5, 2, 11, 7):
            with pytest.warns(UserWarning, match="epoch parameter"):
                ours.step(epoch)
            with pytest.warns(UserWarning, match="epoch parameter"):
                theirs.step(epoch)
            assert ours.get_last_lr() == theirs.get_last_lr()
            assert ours.last_epoch == theirs.last_epoch == epoch


# --------------------------------------------------------------------------- closed forms

def lrs_of(make, steps, lr=0.1, run=None):
    opt = optimizer_for(run or {}, [lr])
    scheduler = make(opt)
    out = [opt.param_groups[0]["lr"]]
    momenta = [gen.momentum_of(opt.param_groups[0])]
    for _ in range(steps):
        opt.step()
        scheduler.step()
        out.append(opt.param_groups[0]["lr"])
        momenta.append(gen.momentum_of(opt.param_groups[0]))
    return np.array(out), np.array(momenta)


def test_new_chainable_forms_follow_their_closed_forms():
    e = np.arange(101)
    cases = [
        (lambda o: S.ConstantLR(o, 0.25, 30), 0.1 * np.where(e < 30, 0.25, 1.0)),
        (lambda o: S.PolynomialLR(o, 80, 1.7), 0.1 * (1 - np.minimum(e, 80) / 80) ** 1.7),
        (lambda o: S.MultiplicativeLR(o, lambda k: 0.97), 0.1 * 0.97 ** e),
        (lambda o: S.CosineAnnealingWarmRestarts(o, 10, 2, 0.01),
         0.01 + 0.045 * (1 + np.cos(np.pi * np.array(
             [k if k < 10 else k - 10 if k < 30 else k - 30 if k < 70 else k - 70
              for k in e]) / np.array([10 if k < 10 else 20 if k < 30 else 40 if k < 70
                                       else 80 for k in e])))),
        (lambda o: S.CyclicLR(o, 0.02, 0.1, 10, cycle_momentum=False),
         0.02 + 0.08 * (1 - np.abs(e % 20 - 10) / 10)),
        (lambda o: S.CyclicLR(o, 0.02, 0.1, 10, mode="triangular2", cycle_momentum=False),
         0.02 + 0.08 * (1 - np.abs(e % 20 - 10) / 10) / 2.0 ** (e // 20)),
        (lambda o: S.CyclicLR(o, 0.02, 0.1, 10, mode="exp_range", gamma=0.98,
                              cycle_momentum=False),
         0.02 + 0.08 * (1 - np.abs(e % 20 - 10) / 10) * 0.98 ** e),
        (lambda o: S.OneCycleLR(o, 0.1, 101, pct_start=0.2, anneal_strategy="linear",
                                div_factor=4.0, final_div_factor=5.0, cycle_momentum=False),
         np.where(e <= 19.2, 0.025 + 0.075 * e / 19.2,
                  0.1 + (0.005 - 0.1) * (e - 19.2) / (100 - 19.2))),
    ]
    for make, expected in cases:
        got, _ = lrs_of(make, 100)
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-15)


def test_sequential_warm_up_then_cosine_is_the_two_closed_forms_joined():
    got, _ = lrs_of(lambda o: S.SequentialLR(
        o, [S.LinearLR(o, 0.1, 1.0, 10), S.CosineAnnealingLR(o, 90, 0.001)], [10]), 100)
    e = np.arange(101)
    warm = 0.1 * (0.1 + 0.9 * e / 10)
    cosine = 0.001 + 0.5 * (0.1 - 0.001) * (1 + np.cos(np.pi * (e - 10) / 90))
    np.testing.assert_allclose(got, np.where(e < 10, warm, cosine), rtol=1e-12)


def test_cycled_momentum_mirrors_the_lr_and_keeps_beta2():
    for run in ({"optimizer": "SGD"}, {"optimizer": "Adam"}):
        opt = optimizer_for(run, [0.1])
        scheduler = S.CyclicLR(opt, 0.01, 0.1, 8, base_momentum=0.8, max_momentum=0.9)
        group = opt.param_groups[0]
        assert (group["max_momentum"], group["base_momentum"]) == (0.9, 0.8)
        for _ in range(40):
            opt.step()
            scheduler.step()
            lr_height = (group["lr"] - 0.01) / 0.09
            assert (0.9 - gen.momentum_of(group)) / 0.1 == pytest.approx(lr_height, abs=1e-12)
            if "betas" in group:
                assert group["betas"][1] == 0.999 and isinstance(group["betas"], tuple)
        opt = optimizer_for(run, [0.1])
        S.OneCycleLR(opt, 0.1, 20)
        assert gen.momentum_of(opt.param_groups[0]) == pytest.approx(0.95, abs=1e-15)
        assert opt.param_groups[0]["min_lr"] == 0.1 / 25 / 1e4


# --------------------------------------------------------------------------- atomic steps

def snapshot(scheduler, optimizer):
    """Everything a step may change, as exact text (repr of floats round-trips)."""
    groups = [repr(sorted((k, v) for k, v in g.items() if k != "params"))
              for g in optimizer.param_groups]
    if scheduler is None:
        return groups
    inner = [scheduler] + list(S._leaves(getattr(scheduler, "_schedulers", [])))
    state = [(repr(sorted(s.state_dict().items(), key=lambda kv: kv[0])),
              getattr(s, "last_epoch", None), getattr(s, "_step_count", None),
              repr(s.get_last_lr())) for s in inner]
    return groups, state


def plateau_step(s):
    s.step(1.0)


BAD_LR = [("string", "0.1", TypeError, r"param_groups\[1\]\['lr'\] must be a real number, "
                                       r"got '0.1'"),
          ("None", None, TypeError, r"param_groups\[1\]\['lr'\] must be a real number, "
                                    r"got None"),
          ("NaN", float("nan"), ValueError, r"param_groups\[1\]\['lr'\] must be a finite "
                                            r"number >= 0, got nan"),
          ("negative", -0.1, ValueError, r"param_groups\[1\]\['lr'\] must be a finite")]

# schedulers that read the groups' lrs (the chainable ones, and ReduceLROnPlateau)
READERS = {
    "StepLR": lambda o: S.StepLR(o, 1),
    "MultiStepLR": lambda o: S.MultiStepLR(o, [1, 2]),
    "ConstantLR": lambda o: S.ConstantLR(o),
    "LinearLR": lambda o: S.LinearLR(o),
    "ExponentialLR": lambda o: S.ExponentialLR(o, 0.9),
    "PolynomialLR": lambda o: S.PolynomialLR(o),
    "CosineAnnealingLR": lambda o: S.CosineAnnealingLR(o, 10),
    "MultiplicativeLR": lambda o: S.MultiplicativeLR(o, lambda e: 0.9),
    "ReduceLROnPlateau": lambda o: S.ReduceLROnPlateau(o),
    "SequentialLR": lambda o: S.SequentialLR(o, [S.ConstantLR(o), S.StepLR(o, 2)], [5]),
    "ChainedScheduler": lambda o: S.ChainedScheduler([S.StepLR(o, 2), S.ExponentialLR(o, 0.9)]),
}


@pytest.mark.parametrize("bad, value, error, match", BAD_LR, ids=[b[0] for b in BAD_LR])
@pytest.mark.parametrize("name", READERS)
def test_a_bad_group_lr_is_named_and_the_step_changes_nothing(name, bad, value, error, match):
    opt = optimizer_for({"optimizer": "SGD"})
    scheduler = READERS[name](opt)
    step = plateau_step if name == "ReduceLROnPlateau" else type(scheduler).step
    for _ in range(2):
        opt.step()
        step(scheduler)
    opt.param_groups[1]["lr"] = value
    before = snapshot(scheduler, opt)
    for _ in range(2):  # refused again: nothing moved the first time
        with pytest.raises(error, match=match):
            step(scheduler)
        assert snapshot(scheduler, opt) == before


# schedulers that compute the lr without reading it: other ways to make a step fail

def nan_after(calls):
    """A factor function that returns 1.0 for its first ``calls`` calls, then NaN."""
    seen = []

    def factor(e):
        seen.append(e)
        return 1.0 if len(seen) <= calls else math.nan
    return factor


NON_READERS = {
    "LambdaLR": (lambda o: S.LambdaLR(o, [lambda e: 1.0, lambda e: 1.0 if e < 3 else math.nan]),
                 lambda s: s.step(), ValueError, r"computed lr = nan for param_groups\[1\]", 2),
    "LambdaLR raising": (lambda o: S.LambdaLR(o, lambda e: 1 / (3 - e)), lambda s: s.step(),
                         ZeroDivisionError, "division", 2),
    "LambdaLR type": (lambda o: S.LambdaLR(o, lambda e: "x" if e == 3 else 1.0),
                      lambda s: s.step(), TypeError, "lr_lambda", 2),
    "CyclicLR": (lambda o: S.CyclicLR(o, 0.01, 0.1, 5, scale_fn=lambda x: math.inf if x > 1
                                      else 1.0),
                 lambda s: s.step(), ValueError, "computed lr = (nan|inf)", 9),
    "CyclicLR scale_fn": (lambda o: S.CyclicLR(o, 0.01, 0.1, 5, scale_fn=lambda x: None if x > 1
                                               else 1.0),
                          lambda s: s.step(), TypeError, "scale_fn", 9),
    "OneCycleLR": (lambda o: S.OneCycleLR(o, 0.1, total_steps=3), lambda s: s.step(),
                   ValueError, "Tried to step 4 times", 3),
    "OneCycleLR group": (lambda o: S.OneCycleLR(o, 0.1, total_steps=30),
                         lambda s: (s.optimizer.param_groups[1].update(max_lr=math.nan),
                                    s.step()),
                         ValueError, r"computed lr = nan for param_groups\[1\]", 2),
    "CosineAnnealingWarmRestarts": (lambda o: S.CosineAnnealingWarmRestarts(o, 3),
                                    lambda s: s.step(-1), ValueError, "non-negative epoch", 2),
    "CosineAnnealingWarmRestarts type": (lambda o: S.CosineAnnealingWarmRestarts(o, 3),
                                         lambda s: s.step("2"), TypeError, "epoch", 2),
    "ChainedScheduler rollback": (
        lambda o: S.ChainedScheduler([S.StepLR(o, 1, 0.5),
                                      S.MultiplicativeLR(o, lambda e: -1.0 if e == 3 else 1.0)]),
        lambda s: s.step(), ValueError, "MultiplicativeLR computed lr = -", 2),
    "SequentialLR milestone": (
        lambda o: S.SequentialLR(o, [S.ConstantLR(o), S.LambdaLR(o, nan_after(2))], [3]),
        lambda s: s.step(), ValueError, "LambdaLR computed lr = nan", 2),
}


@pytest.mark.parametrize("name", NON_READERS)
def test_a_step_that_raises_changes_nothing(name):
    make, step, error, match, warm = NON_READERS[name]
    opt = optimizer_for({"optimizer": "Adam" if "Cyclic" in name else "SGD"})
    scheduler = make(opt)
    for _ in range(warm):
        opt.step()
        scheduler.step()
    before = snapshot(scheduler, opt)
    with pytest.raises(error, match=match):
        step(scheduler)
    if name == "OneCycleLR group":  # the test's own change to the group is not the step's
        opt.param_groups[1]["max_lr"] = 0.1
    assert snapshot(scheduler, opt) == before


def test_sequential_constructor_that_fails_leaves_its_schedulers_as_they_were():
    opt = optimizer_for({})
    first, second = S.ConstantLR(opt), S.ExponentialLR(opt, 0.9)
    opt.param_groups[0]["initial_lr"] = "0.1"  # the first step reads it, and refuses
    before = snapshot(None, opt), snapshot(first, opt), snapshot(second, opt)
    with pytest.raises(TypeError, match=r"param_groups\[0\]\['lr'\]"):
        S.SequentialLR(opt, [first, second], [2])
    assert (snapshot(None, opt), snapshot(first, opt), snapshot(second, opt)) == before


def test_a_group_added_after_the_scheduler_is_refused_clearly():
    opt = optimizer_for({})
    scheduler = S.LambdaLR(opt, lambda e: 0.9 ** e)  # one lr per group it was made for
    opt.add_param_group({"params": [Param(np.zeros(1))], "lr": 0.5})
    opt.step()
    before = snapshot(scheduler, opt)
    with pytest.raises(ValueError, match="2 lrs but the optimizer has 3 param groups"):
        scheduler.step()
    assert snapshot(scheduler, opt) == before


def test_refused_constructors_write_nothing_into_the_groups():
    for make in (lambda o: S.OneCycleLR(o, [0.1, math.nan], 10),
                 lambda o: S.OneCycleLR(o, 0.1, 10, div_factor=0.0),
                 lambda o: S.CyclicLR(o, 0.01, 0.1, step_size_up=0),
                 lambda o: S.CyclicLR(o, 0.01, 0.1, base_momentum="0.8"),
                 lambda o: S.OneCycleLR(o, 0.1, 10, pct_start=0.1),
                 lambda o: S.PolynomialLR(o, total_iters=0),
                 lambda o: S.ConstantLR(o, factor=0.5, total_iters=-1)):
        opt = optimizer_for({"optimizer": "Adam"})
        before = snapshot(None, opt)
        with pytest.raises((TypeError, ValueError)):
            make(opt)
        assert snapshot(None, opt) == before
        assert not hasattr(opt.step, "_wrapped_by_lr_sched")


def test_a_deep_copy_of_a_watched_optimizer_steps_its_own_params():
    p = Param(np.ones(2))
    opt = SGD([p], lr=0.5)
    S.StepLR(opt, 2)
    twin = copy.deepcopy(opt)
    q = twin.param_groups[0]["params"][0]
    q.grad = np.ones(2)
    twin.step()
    np.testing.assert_array_equal(q.data, [0.5, 0.5])
    np.testing.assert_array_equal(p.data, [1.0, 1.0])  # the original is untouched
    assert twin._opt_called and not getattr(opt, "_opt_called", False)


def test_live_signatures_are_torchs():
    pytest.importorskip("torch", reason=NO_TORCH)
    import inspect

    from torch.optim import lr_scheduler as T
    assert sorted(T.__all__) == sorted(S.__all__)
    for name in T.__all__:
        for method in ("__init__", "step", "state_dict", "load_state_dict", "get_last_lr",
                       "get_lr"):
            ours, theirs = (inspect.signature(getattr(getattr(M, name), method)) for M in (S, T))
            assert [(p.name, p.default, p.kind) for p in ours.parameters.values()] == \
                [(p.name, p.default, p.kind) for p in theirs.parameters.values()], (name, method)


def test_live_a_scheduler_written_the_torch_way_runs_as_in_torch():
    """A subclass that defines get_lr() from last_epoch and base_lrs, as torch's docs do."""
    pytest.importorskip("torch", reason=NO_TORCH)
    from torch.optim import lr_scheduler as T

    def make(M):
        class Halving(M.LRScheduler):
            def get_lr(self):
                return [base * 0.5 ** (self.last_epoch // 4) for base in self.base_lrs]
        return Halving

    opt, topt = optimizer_for({}), torch_two_groups()
    ours, theirs = make(S)(opt), make(T)(topt)
    for _ in range(20):
        opt.step()
        topt.step()
        ours.step()
        theirs.step()
        assert ours.get_last_lr() == theirs.get_last_lr()
        assert ours.last_epoch == theirs.last_epoch
    with pytest.raises(NotImplementedError, match="get_lr"):
        S.LRScheduler(optimizer_for({}))


@pytest.mark.parametrize("name", ["LambdaLR", "CosineAnnealingWarmRestarts", "StepLR"])
@pytest.mark.parametrize("key", ["lr", "initial_lr"])
def test_a_bad_lr_in_a_group_is_named_by_the_constructor(name, key):
    opt = optimizer_for({})
    opt.param_groups[1][key] = "0.03"
    before = snapshot(None, opt)
    make = {"LambdaLR": lambda o: S.LambdaLR(o, lambda e: 1.0),
            "CosineAnnealingWarmRestarts": lambda o: S.CosineAnnealingWarmRestarts(o, 3),
            "StepLR": lambda o: S.StepLR(o, 3)}[name]
    with pytest.raises(TypeError, match=rf"param_groups\[1\]\['{key}'\] must be a real number"):
        make(opt)
    assert snapshot(None, opt) == before


def test_live_one_cycle_first_momentum_is_the_annealed_value_as_torch():
    """The constructor writes max_momentum, then its first step the annealed momentum,
    which here is one ulp away from max_momentum: the order of the writes shows."""
    torch = pytest.importorskip("torch", reason=NO_TORCH)
    from torch.optim import lr_scheduler as T
    lo, hi = 0.16107163747182346, 0.678903982439966
    topt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1, momentum=0.9)
    T.OneCycleLR(topt, 0.1, 10, base_momentum=lo, max_momentum=hi)
    opt = SGD([Param(np.zeros(1))], lr=0.1, momentum=0.9)
    S.OneCycleLR(opt, 0.1, 10, base_momentum=lo, max_momentum=hi)
    group, tgroup = opt.param_groups[0], topt.param_groups[0]
    assert group["momentum"] == tgroup["momentum"] != hi
    assert group["max_momentum"] == tgroup["max_momentum"] == hi
    assert {k: v for k, v in group.items() if k != "params"}.items() <= \
        {k: v for k, v in tgroup.items() if k != "params"}.items()
