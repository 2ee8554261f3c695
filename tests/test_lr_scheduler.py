"""The learning-rate schedulers against torch.optim.lr_scheduler (2.13), golden and live.

The schedulers compute in Python floats with torch's own (chainable) formulas,
so the lr sequences are expected to be bit-identical to torch's, and are
compared exactly.
"""

import copy
import json
import math

import numpy as np
import pytest
from _golden import GOLDEN, NO_TORCH, generator, plain

from adam_ref import SGD, Adam, Param
from adam_ref import lr_scheduler as S

gen = generator("make_family_golden")
RUNS = gen.SCHEDULER_RUNS
# these tests step schedulers alone; the step-order warning is tested in test_lr_scheduler_more
pytestmark = pytest.mark.filterwarnings("ignore:Detected call of `lr_scheduler.step\\(\\)`")


def run_id(run):
    return f"{run['scheduler']}-{json.dumps(run.get('kwargs', run.get('lambdas')))}"


def optimizer(lrs=gen.GROUP_LRS):
    return SGD([{"params": [Param(np.zeros(1))], "lr": lr} for lr in lrs])


def our_lr_sequence(run, metrics=None):
    opt = optimizer()
    scheduler = getattr(S, run["scheduler"])(opt, **gen.scheduler_args(run))
    lrs = [[g["lr"] for g in opt.param_groups]]
    for k in range(gen.SCHED_STEPS):
        if metrics is None:
            scheduler.step()
        else:
            scheduler.step(float(metrics[k]))
        lrs.append([g["lr"] for g in opt.param_groups])
        assert scheduler.get_last_lr() == lrs[-1]
    return np.array(lrs)


@pytest.fixture(scope="module")
def golden():
    with np.load(GOLDEN / "family_sched.npz", allow_pickle=False) as z:
        data = {k: z[k] for k in z.files}
    assert json.loads(data["configs"].item()) == json.loads(json.dumps(RUNS)), \
        "regenerate the golden file"
    return data


@pytest.mark.parametrize("i", range(len(RUNS)), ids=[run_id(r) for r in RUNS])
def test_golden_lr_sequence(golden, i):
    run = RUNS[i]
    metrics = golden.get(f"{i}_metrics")
    if metrics is not None:
        np.testing.assert_array_equal(metrics, gen.plateau_metrics(run))
    np.testing.assert_array_equal(our_lr_sequence(run, metrics), golden[f"{i}_lr"])


def test_golden_plateau_runs_reduce_and_hit_their_floors(golden):
    """The ReduceLROnPlateau runs are not vacuous: each reduces, some reach min_lr,
    and some stop where a further reduction would be smaller than eps."""
    floors = stalls = 0
    for i, run in enumerate(RUNS):
        if run["scheduler"] == "ReduceLROnPlateau":
            lr = golden[f"{i}_lr"]
            assert len(np.unique(lr[:, 0])) >= 2
            kwargs = run["kwargs"]
            # 0.1·0.1·0.1 is 0.0010000000000000002: within eps of min_lr = 0.001, so kept
            floors += bool(np.allclose(lr[-1], kwargs.get("min_lr", 0), rtol=1e-12, atol=0))
            reduced = np.maximum(lr[-1] * kwargs.get("factor", 0.1), kwargs.get("min_lr", 0))
            stalls += bool(np.any((lr[-1] - reduced <= kwargs.get("eps", 1e-8)) & (reduced > 0)))
    assert floors >= 2 and stalls >= 2


@pytest.mark.parametrize("i", range(len(RUNS)), ids=[run_id(r) for r in RUNS])
def test_live_lr_sequence(i):
    pytest.importorskip("torch", reason=NO_TORCH)
    run = RUNS[i]
    metrics = gen.plateau_metrics(run) if run["scheduler"] == "ReduceLROnPlateau" else None
    np.testing.assert_array_equal(our_lr_sequence(run, metrics), gen.torch_lr_sequence(run))


def torch_schedulers():
    pytest.importorskip("torch", reason=NO_TORCH)
    from torch.optim import lr_scheduler
    return lr_scheduler


def torch_pair(lrs=(0.1, 0.03)):
    torch = pytest.importorskip("torch", reason=NO_TORCH)
    opt = optimizer(lrs)
    topt = torch.optim.SGD([{"params": [torch.zeros(1, requires_grad=True)], "lr": lr}
                            for lr in lrs])
    return opt, topt


def test_live_chained_schedulers_compose_as_in_torch():
    T = torch_schedulers()
    opt, topt = torch_pair()
    ours = [S.StepLR(opt, 10, 0.5), S.ExponentialLR(opt, 0.98), S.LinearLR(opt, 0.5, 1.0, 20)]
    theirs = [T.StepLR(topt, 10, 0.5), T.ExponentialLR(topt, 0.98), T.LinearLR(topt, 0.5, 1.0, 20)]
    for _ in range(100):
        topt.step()
        for a, b in zip(ours, theirs):
            a.step()
            b.step()
        assert [g["lr"] for g in opt.param_groups] == [g["lr"] for g in topt.param_groups]
        assert [g["initial_lr"] for g in opt.param_groups] == [0.1, 0.03]


@pytest.mark.parametrize("name, kwargs", [("ExponentialLR", dict(gamma=0.9)),
                                          ("CosineAnnealingLR", dict(T_max=20, eta_min=0.01)),
                                          ("StepLR", dict(step_size=4)),
                                          ("LinearLR", dict(total_iters=10))])
def test_live_resuming_with_last_epoch_matches_torch(name, kwargs):
    T = torch_schedulers()
    opt, topt = torch_pair()
    for o in (opt, topt):
        for g in o.param_groups:
            g["initial_lr"] = g["lr"]
    ours = getattr(S, name)(opt, last_epoch=7, **kwargs)
    theirs = getattr(T, name)(topt, last_epoch=7, **kwargs)
    for _ in range(30):
        assert ours.get_last_lr() == theirs.get_last_lr()
        topt.step()
        ours.step()
        theirs.step()
    opt = optimizer()
    with pytest.raises(KeyError, match=r"initial_lr.*param_groups\[0\]"):
        getattr(S, name)(opt, last_epoch=3, **kwargs)


@pytest.mark.parametrize("i", [0, 2, 5, 8, 11, 14, 16], ids=lambda i: run_id(RUNS[i]))
def test_live_state_dict_equals_torchs_and_loads_from_it(i):
    run = RUNS[i]
    metrics = gen.plateau_metrics(run) if run["scheduler"] == "ReduceLROnPlateau" else None
    opt, topt = torch_pair()
    ours = getattr(S, run["scheduler"])(opt, **gen.scheduler_args(run))
    theirs = gen.torch_scheduler(run, topt)

    def step(k, *schedulers):
        for scheduler in schedulers:
            if metrics is None:
                scheduler.step()
            else:
                scheduler.step(float(metrics[k]))

    for k in range(60):
        topt.step()
        step(k, ours, theirs)
    tsd = theirs.state_dict()
    sd = ours.state_dict()
    torch_only = ("_is_initial", "_get_lr_called_within_step", "lr_lambdas")
    assert sd == {k: v for k, v in tsd.items() if k not in torch_only}
    assert plain(sd)
    # torch's dict loads into a fresh scheduler (on a fresh optimizer at the same lrs)
    fresh_opt = optimizer([g["lr"] for g in topt.param_groups])
    for g, tg in zip(fresh_opt.param_groups, topt.param_groups):
        g["initial_lr"] = tg.get("initial_lr", tg["lr"])
    fresh = getattr(S, run["scheduler"])(fresh_opt, **gen.scheduler_args(run))
    for g, tg in zip(fresh_opt.param_groups, topt.param_groups):
        g["lr"] = tg["lr"]
    fresh.load_state_dict(copy.deepcopy(tsd))
    for k in range(60, gen.SCHED_STEPS):
        topt.step()
        step(k, fresh, theirs)
        assert [g["lr"] for g in fresh_opt.param_groups] == [g["lr"] for g in topt.param_groups]


@pytest.mark.parametrize("make", [
    lambda o, T: T.ReduceLROnPlateau(o, factor=1.0),
    lambda o, T: T.ReduceLROnPlateau(o, mode="avg"),
    lambda o, T: T.ReduceLROnPlateau(o, threshold_mode="relative"),
    lambda o, T: T.ReduceLROnPlateau(o, min_lr=[0.1]),
    lambda o, T: T.LinearLR(o, start_factor=0.0),
    lambda o, T: T.LinearLR(o, start_factor=1.5),
    lambda o, T: T.LinearLR(o, end_factor=-0.1),
    lambda o, T: T.LinearLR(o, end_factor=1.1),
    lambda o, T: T.LambdaLR(o, [lambda e: 1.0] * 3),
], ids=["factor", "mode", "threshold_mode", "min_lr", "start0", "start>1", "end<0", "end>1",
        "lambdas"])
def test_live_invalid_arguments_raise_torchs_message(make):
    T = torch_schedulers()
    opt, topt = torch_pair()
    with pytest.raises(ValueError) as expected:
        make(topt, T)
    with pytest.raises(ValueError) as got:
        make(opt, S)
    assert str(got.value) == str(expected.value)


def test_live_not_an_optimizer_raises_torchs_type_error():
    T = torch_schedulers()
    for name in ("StepLR", "ReduceLROnPlateau"):
        with pytest.raises(TypeError) as expected:
            getattr(T, name)([1, 2], 3) if name == "StepLR" else T.ReduceLROnPlateau([1, 2])
        with pytest.raises(TypeError) as got:
            getattr(S, name)([1, 2], 3) if name == "StepLR" else S.ReduceLROnPlateau([1, 2])
        assert str(got.value) == str(expected.value)


# --------------------------------------------------------------------------- without torch

@pytest.mark.parametrize("make, error, match", [
    (lambda o: S.StepLR(o, 0), ValueError, "step_size"),
    (lambda o: S.StepLR(o, 2.5), TypeError, "step_size"),
    (lambda o: S.StepLR(o, 3, gamma=float("nan")), ValueError, "gamma"),
    (lambda o: S.MultiStepLR(o, 30), TypeError, "milestones"),
    (lambda o: S.MultiStepLR(o, [10, -1]), ValueError, "milestone"),
    (lambda o: S.ExponentialLR(o, "0.9"), TypeError, "gamma"),
    (lambda o: S.CosineAnnealingLR(o, 0), ValueError, "T_max"),
    (lambda o: S.LinearLR(o, total_iters=-1), ValueError, "total_iters"),
    (lambda o: S.LambdaLR(o, 0.5), TypeError, "lr_lambda"),
    (lambda o: S.ReduceLROnPlateau(o, patience=-1), ValueError, "patience"),
    (lambda o: S.ReduceLROnPlateau(o, factor=-0.5), ValueError, "factor"),
    (lambda o: S.ReduceLROnPlateau(o, cooldown=1.5), TypeError, "cooldown"),
    (lambda o: S.ReduceLROnPlateau(o, min_lr=[0.1, float("nan")]), ValueError, "min_lr"),
    (lambda o: S.StepLR(o, 3, last_epoch=-2), ValueError, "last_epoch"),
])
def test_bad_arguments_are_refused_and_change_nothing(make, error, match):
    opt = optimizer()
    with pytest.raises(error, match=match):
        make(opt)
    assert all("initial_lr" not in g for g in opt.param_groups)
    assert [g["lr"] for g in opt.param_groups] == list(gen.GROUP_LRS)


def test_constructor_sets_initial_lr_and_takes_the_first_step():
    opt = optimizer()
    scheduler = S.LinearLR(opt, start_factor=0.5, total_iters=4)
    assert [g["initial_lr"] for g in opt.param_groups] == list(gen.GROUP_LRS)
    assert scheduler.last_epoch == 0
    assert scheduler.get_last_lr() == [lr * 0.5 for lr in gen.GROUP_LRS]
    scheduler.get_last_lr().append(1.0)  # a copy: the scheduler is unaffected
    assert len(scheduler.get_last_lr()) == 2


def test_chainable_forms_follow_the_closed_forms():
    """Each schedule's sequence is its closed form (module docstring), to rounding."""
    e = np.arange(101)
    cases = [
        (lambda o: S.StepLR(o, 30, 0.1), 0.1 * 0.1 ** (e // 30)),
        (lambda o: S.MultiStepLR(o, [20, 50, 50], 0.5),
         0.1 * 0.5 ** ((e >= 20).astype(int) + 2 * (e >= 50))),
        (lambda o: S.ExponentialLR(o, 0.95), 0.1 * 0.95 ** e),
        (lambda o: S.CosineAnnealingLR(o, 40, 0.01),
         0.01 + 0.5 * (0.1 - 0.01) * (1 + np.cos(np.pi * e / 40))),
        (lambda o: S.LinearLR(o, 0.25, 0.75, 60), 0.1 * (0.25 + 0.5 * np.minimum(e, 60) / 60)),
        (lambda o: S.LambdaLR(o, lambda k: 1 / (1 + k)), 0.1 / (1 + e)),
    ]
    for make, expected in cases:
        opt = optimizer([0.1])
        scheduler = make(opt)
        got = [opt.param_groups[0]["lr"]]
        for _ in range(100):
            scheduler.step()
            got.append(opt.param_groups[0]["lr"])
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-15)


def plateau_lrs(metrics, **kwargs):
    opt = optimizer([1.0])
    scheduler = S.ReduceLROnPlateau(opt, **kwargs)
    lrs = []
    for m in metrics:
        scheduler.step(m)
        lrs.append(opt.param_groups[0]["lr"])
    return lrs


def test_plateau_patience_cooldown_threshold_and_floor():
    # patience 2: the 3rd step without improvement reduces
    assert plateau_lrs([5, 5, 5, 5], patience=2, factor=0.5) == [1, 1, 1, 0.5]
    # improvement below the relative threshold is no improvement
    assert plateau_lrs([1.0, 0.99995, 0.9999, 0.9998], patience=1, factor=0.5,
                       threshold=1e-4) == [1, 1, 0.5, 0.5]
    # cooldown 2: two steps after a reduction count no bad epochs
    assert plateau_lrs([3] * 7, patience=0, cooldown=2, factor=0.5) == \
        [1, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25]
    # max mode with abs threshold, and the min_lr floor
    assert plateau_lrs([0.5, 0.505, 0.52, 0.52, 0.52, 0.52], mode="max", threshold_mode="abs",
                       threshold=0.01, patience=0, factor=0.1, min_lr=0.05) == \
        [1, 0.1, 0.1, 0.05, 0.05, 0.05]
    # a reduction smaller than eps is skipped
    assert plateau_lrs([2, 2, 2], patience=0, factor=0.9, eps=0.2) == [1, 1, 1]
    # NaN never improves (as torch: comparisons with NaN are False)
    assert plateau_lrs([1, float("nan"), float("nan")], patience=1, factor=0.5) == [1, 1, 0.5]


def test_plateau_bad_metric_changes_nothing():
    opt = optimizer()
    scheduler = S.ReduceLROnPlateau(opt)
    before = scheduler.state_dict()
    for bad in ("0.5", None, [1.0]):
        with pytest.raises(TypeError, match="metrics"):
            scheduler.step(bad)
    assert scheduler.state_dict() == before


def test_plateau_min_lrs_must_match_groups_added_later():
    opt = Adam([Param(np.zeros(1))], lr=1.0)
    scheduler = S.ReduceLROnPlateau(opt, min_lr=[0.1], patience=0)
    opt.add_param_group({"params": [Param(np.zeros(1))]})
    scheduler.step(1.0)
    before = scheduler.state_dict()
    with pytest.raises(RuntimeError, match="number of param groups"):
        scheduler.step(2.0)
    assert scheduler.state_dict() == before
    assert [g["lr"] for g in opt.param_groups] == [1.0, 1.0]


@pytest.mark.parametrize("make", [
    lambda o: S.StepLR(o, 5), lambda o: S.MultiStepLR(o, [3, 8, 8]),
    lambda o: S.CosineAnnealingLR(o, 7), lambda o: S.LinearLR(o),
    lambda o: S.LambdaLR(o, lambda e: 0.9 ** e), lambda o: S.ReduceLROnPlateau(o, patience=1)])
def test_state_dict_round_trip_continues_identically(make):
    def advance(scheduler, opt, steps):
        out = []
        for k in range(steps):
            if isinstance(scheduler, S.ReduceLROnPlateau):
                scheduler.step(math.sin(k) + 2)
            else:
                scheduler.step()
            out.append([g["lr"] for g in opt.param_groups])
        return out

    opt = optimizer()
    scheduler = make(opt)
    advance(scheduler, opt, 12)
    saved = scheduler.state_dict()
    other_opt = optimizer()
    other = make(other_opt)
    for g, h in zip(other_opt.param_groups, opt.param_groups):
        g["lr"] = h["lr"]
    other.load_state_dict(copy.deepcopy(saved))
    assert other.state_dict() == saved
    assert advance(other, other_opt, 30) == advance(scheduler, opt, 30)


@pytest.mark.parametrize("change, match", [
    (lambda sd: sd.pop("last_epoch"), "missing keys \\['last_epoch'\\]"),
    (lambda sd: sd.update(junk=1), "unexpected keys \\['junk'\\]"),
    (lambda sd: sd.update(last_epoch="3"), "last_epoch must be an integer"),
    (lambda sd: sd.update(gamma=float("nan")), "gamma"),
    (lambda sd: sd.update(base_lrs=[0.1]), "base_lrs"),
    (lambda sd: sd.update(_is_initial=True), "_is_initial"),
])
def test_load_state_dict_is_checked_in_full_before_anything_changes(change, match):
    opt = optimizer()
    scheduler = S.StepLR(opt, 3)
    for _ in range(4):
        scheduler.step()
    before = scheduler.state_dict()
    bad = scheduler.state_dict()
    bad["last_epoch"] = 99  # a valid change, which must not be applied either
    change(bad)
    with pytest.raises(ValueError, match=match):
        scheduler.load_state_dict(bad)
    assert scheduler.state_dict() == before
    with pytest.raises(ValueError, match="must be a dict"):
        scheduler.load_state_dict([("last_epoch", 1)])


def test_plateau_load_state_dict_checks_mode_and_counters():
    scheduler = S.ReduceLROnPlateau(optimizer())
    for key, value in [("mode", "avg"), ("threshold_mode", "x"), ("num_bad_epochs", -1),
                       ("factor", 1.0), ("best", "inf"), ("min_lrs", [0.0])]:
        bad = scheduler.state_dict()
        bad[key] = value
        with pytest.raises(ValueError, match=key):
            scheduler.load_state_dict(bad)
    good = scheduler.state_dict()
    good["mode"], good["mode_worse"] = "max", math.inf  # mode_worse follows mode
    scheduler.load_state_dict(good)
    assert scheduler.mode_worse == -math.inf


def test_lambda_state_dict_excludes_the_functions_and_a_raising_lambda_changes_nothing():
    calls = []

    def factor(e):
        calls.append(e)
        if e == 3:
            raise ArithmeticError("no lr at epoch 3")
        return 1.0 / (e + 1)

    opt = optimizer()
    scheduler = S.LambdaLR(opt, factor)
    assert "lr_lambdas" not in scheduler.state_dict()
    scheduler.step()
    scheduler.step()
    before, lrs = scheduler.state_dict(), [g["lr"] for g in opt.param_groups]
    with pytest.raises(ArithmeticError):
        scheduler.step()
    assert scheduler.state_dict() == before and [g["lr"] for g in opt.param_groups] == lrs
    opt = optimizer()
    with pytest.raises(TypeError, match="real number"):
        S.LambdaLR(opt, lambda e: "fast")
    assert all("initial_lr" not in g for g in opt.param_groups)
    assert [g["lr"] for g in opt.param_groups] == list(gen.GROUP_LRS)
