"""The run recorder: its arrays are the traces they came from, ``every=k`` keeps
exactly every k-th step, projections and regret are recorded as the paper defines them."""

import functools
import math

import numpy as np
import pytest

from adam_ref import SGD, Adam, Adamax, AdamW, Param, RMSprop
from adam_ref.functional import adam_step, sgd_step
from adam_ref.history import History, record, record_step
from adam_ref.lr_scheduler import ReduceLROnPlateau, StepLR
from adam_ref.objectives import (Linear, NoisyQuadratic, Quadratic, ReddiOnline, ReddiStochastic,
                                 Rosenbrock, Stack)

THETA0 = np.array([-1.2, 1.5])


def manual_run(optimizer_class, objective, theta0, steps, **kwargs):
    """The loop ``record`` replaces, keeping every trace object."""
    p = Param(np.array(theta0))
    opt = optimizer_class([p], **kwargs)
    traces, thetas, losses, lrs = [], [], [], []
    for t in range(1, steps + 1):
        lrs.append(opt.param_groups[0]["lr"])
        losses.append(objective.value(p.data, t))
        p.grad = objective.grad(p.data, t)
        opt.step()
        traces.append(opt.last_trace[p])
        thetas.append(p.data.copy())
    return traces, np.array(thetas), np.array(losses), np.array(lrs)


@pytest.mark.parametrize("optimizer_class, kwargs", [
    (Adam, dict(lr=0.01)), (Adam, dict(lr=0.01, amsgrad=True)), (AdamW, dict(lr=0.01)),
    (SGD, dict(lr=1e-3, momentum=0.9)), (RMSprop, dict(lr=0.01, centered=True)),
    (Adamax, dict(lr=0.01))], ids=lambda x: getattr(x, "__name__", str(x)))
def test_arrays_equal_the_traces(optimizer_class, kwargs):
    objective = NoisyQuadratic(curvatures=(1.0, 0.1), sigma=0.3, seed=1)
    traces, thetas, losses, lrs = manual_run(optimizer_class, objective, THETA0, 25, **kwargs)
    h = record(functools.partial(optimizer_class, **kwargs), objective, THETA0, 25)
    assert isinstance(h, History) and len(h) == 25
    np.testing.assert_array_equal(h.t, np.arange(1, 26))
    np.testing.assert_array_equal(h.theta, thetas)
    np.testing.assert_array_equal(h.loss, losses)
    np.testing.assert_array_equal(h.lr, lrs)
    np.testing.assert_array_equal(h.theta0, THETA0)
    names = [name for name, value in traces[0].items() if value is not None]
    assert sorted(h.trace) == sorted(names)
    for name in names:
        np.testing.assert_array_equal(h.trace[name], np.array([getattr(tr, name) for tr in traces]))
        if name not in ("t", "theta"):  # History.t and .theta are its own (θ after projection)
            assert getattr(h, name) is h.trace[name]
    assert h.settings["lr"] == kwargs["lr"]


def test_every_k_keeps_exactly_every_kth_step():
    objective = Rosenbrock()
    make = functools.partial(Adam, lr=0.02)
    full = record(make, objective, THETA0, 100)
    for k in (1, 3, 7, 10, 100):
        sub = record(make, objective, THETA0, 100, every=k)
        assert len(sub) == 100 // k
        rows = slice(k - 1, 100 // k * k, k)
        np.testing.assert_array_equal(sub.t, full.t[rows])
        np.testing.assert_array_equal(sub.theta, full.theta[rows])
        np.testing.assert_array_equal(sub.loss, full.loss[rows])
        for name in full.trace:
            np.testing.assert_array_equal(sub.trace[name], full.trace[name][rows])
            assert sub.trace[name].shape[0] == 100 // k


def test_record_step_is_the_class_run_and_keeps_the_trace_shapes():
    objective = Quadratic((1.0, 0.01), angle=0.4)
    by_class = record(functools.partial(Adam, lr=0.05, betas=(0.8, 0.99)), objective, THETA0, 40)
    by_step = record_step(adam_step, objective, THETA0, 40, lr=0.05, beta1=0.8, beta2=0.99)
    np.testing.assert_array_equal(by_step.theta, by_class.theta)
    for name in by_class.trace:
        np.testing.assert_array_equal(by_step.trace[name], by_class.trace[name])
    assert by_step.m.shape == (40, 2) and by_step.bias_correction1.shape == (40,)
    np.testing.assert_allclose(by_step.bias_correction1, 1 - 0.8 ** np.arange(1, 41), rtol=1e-15)


def test_record_step_with_k_settings_and_a_schedule():
    objective = Quadratic((1.0, 0.1))
    lr = lambda t: 0.1 / math.sqrt(t)  # noqa: E731
    beta1 = np.array([[0.0], [0.9]])
    h = record_step(adam_step, objective, np.ones((2, 2)), 30, lr=lr, beta1=beta1, every=5)
    np.testing.assert_array_equal(h.lr, [lr(t) for t in range(5, 31, 5)])
    assert h.theta.shape == (6, 2, 2) and h.loss.shape == (6, 2)
    for row, b1 in enumerate((0.0, 0.9)):
        single = record_step(adam_step, objective, np.ones(2), 30, lr=lr, beta1=b1, every=5)
        np.testing.assert_allclose(h.theta[:, row], single.theta, rtol=1e-15, atol=1e-300)


def test_record_step_finds_the_init_function():
    h = record_step(sgd_step, Linear((1.0, -2.0)), np.zeros(2), 3, lr=0.5)
    np.testing.assert_array_equal(h.theta[-1], [-1.5, 3.0])
    with pytest.raises(ValueError, match="init"):
        record_step(lambda th, g, s, lr: (th, s, None), Linear((1.0,)), np.zeros(1), 3)


def test_schedulers_step_after_each_optimizer_step():
    h = record(functools.partial(Adam, lr=0.1), Quadratic((1.0, 0.1)), THETA0, 12,
               scheduler=lambda o: StepLR(o, step_size=5, gamma=0.5))
    np.testing.assert_allclose(h.lr, [0.1] * 5 + [0.05] * 5 + [0.025] * 2)


def test_reduce_on_plateau_gets_the_loss():
    # at the minimum the loss stays 0, so the plateau scheduler cuts the lr after patience + 1 steps
    h = record(functools.partial(SGD, lr=0.1), Quadratic((1.0, 0.1)), np.zeros(2), 6,
               scheduler=lambda o: ReduceLROnPlateau(o, factor=0.5, patience=2))
    np.testing.assert_allclose(h.lr, [0.1, 0.1, 0.1, 0.1, 0.05, 0.05])


def test_an_optimizer_instance_is_run_in_place():
    p = Param(THETA0.copy())
    opt = Adam([p], lr=0.01)
    h = record(opt, Rosenbrock(), None, 10)
    np.testing.assert_array_equal(p.data, h.theta[-1])
    np.testing.assert_array_equal(h.theta0, THETA0)
    assert opt.state[p]["step"] == 10


def test_projection_is_recorded_after_each_step():
    online = ReddiOnline()
    h = record(functools.partial(Adam, lr=0.5, betas=(0.9, 0.99)), online, np.array([0.9]), 300,
               project=online.project)
    assert np.all(np.abs(h.theta) <= 1.0)
    assert np.any(np.abs(h.trace["theta"]) > 1.0)  # the raw step leaves the interval
    np.testing.assert_array_equal(h.theta, np.clip(h.trace["theta"], -1.0, 1.0))
    # the next step starts from the projected point: x_t = Π(x_{t-1} + Δ_t)
    np.testing.assert_array_equal(h.trace["theta"][1:], h.theta[:-1] + h.update[1:])


def test_regret_is_summed_over_every_step():
    objective = Stack(ReddiOnline(), ReddiStochastic(2))
    kwargs = dict(lr=lambda t: 0.5 / math.sqrt(t), beta1=0.9, beta2=0.99,
                  project=objective.project, comparator=objective.minimum)
    full = record_step(adam_step, objective, np.zeros(2), 600, **kwargs)
    comparator_losses = np.array([objective.value(np.full(2, -1.0), t) for t in range(1, 601)])
    regret = np.cumsum(full.loss - comparator_losses, axis=0)
    np.testing.assert_allclose(full.regret, regret, rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(full.average_regret, regret / np.arange(1, 601)[:, None], rtol=1e-12)
    sub = record_step(adam_step, objective, np.zeros(2), 600, every=50, **kwargs)
    np.testing.assert_array_equal(sub.regret, full.regret[49::50])
    with pytest.raises(ValueError, match="comparator"):
        _ = record_step(adam_step, Linear((1.0,)), np.zeros(1), 2).average_regret


def test_path_starts_at_theta0():
    h = record(functools.partial(Adam, lr=0.1), Rosenbrock(), THETA0, 4)
    np.testing.assert_array_equal(h.path, np.vstack([THETA0, h.theta]))
    assert "4 kept steps" in repr(h)
    with pytest.raises(AttributeError, match="trace fields"):
        _ = h.not_a_field


def test_bad_arguments():
    make = functools.partial(Adam, lr=0.1)
    for steps in (0, -3, 2.5, True):
        with pytest.raises(ValueError, match="steps"):
            record(make, Rosenbrock(), THETA0, steps)
    with pytest.raises(ValueError, match="every"):
        record(make, Rosenbrock(), THETA0, 10, every=0)
    with pytest.raises(ValueError, match="larger than steps"):
        record(make, Rosenbrock(), THETA0, 10, every=11)
    with pytest.raises(TypeError, match="Optimizer"):
        record("adam", Rosenbrock(), THETA0, 10)
    with pytest.raises(TypeError, match="not an adam_ref Optimizer"):
        record(lambda params: None, Rosenbrock(), THETA0, 10)
    p, q = Param(THETA0.copy()), Param(THETA0.copy())
    with pytest.raises(ValueError, match="exactly one Param"):
        record(Adam([p, q]), Rosenbrock(), None, 10)
    with pytest.raises(ValueError, match="theta0=None"):
        record(Adam([p]), Rosenbrock(), THETA0, 10)
    with pytest.raises(TypeError, match="floating"):
        record(make, Rosenbrock(), np.array([1, 2]), 10)
    with pytest.raises(TypeError, match="adam_step"):
        record_step("adam", Rosenbrock(), THETA0, 10)


@pytest.mark.parametrize("steps, every", [(0, 1), (-3, 1), (2.5, 1), (True, 1), (10, 0), (10, 11)])
def test_bad_arguments_change_nothing(steps, every):
    # checked before the optimizer or the scheduler is built or stepped
    p = Param(THETA0.copy())
    opt = Adam([p], lr=0.1)
    group_before = dict(opt.param_groups[0])
    built = []

    def scheduler(o):
        built.append(o)
        return StepLR(o, step_size=1, gamma=0.5)

    with pytest.raises(ValueError, match="steps|every"):
        record(opt, Rosenbrock(), None, steps, every=every, scheduler=scheduler)
    assert built == [] and opt.param_groups[0] == group_before and opt.state == {}
    np.testing.assert_array_equal(p.data, THETA0)
    with pytest.raises(ValueError, match="steps|every"):
        record(lambda ps: built.append(ps) or Adam(ps), Rosenbrock(), THETA0, steps, every=every)
    assert built == []


def test_a_fused_optimizer_is_refused_before_it_steps():
    p = Param(THETA0.copy())
    opt = Adam([p], lr=0.1, fused=True)
    with pytest.raises(ValueError, match="fused=True keeps none"):
        record(opt, Rosenbrock(), None, 5, scheduler=lambda o: StepLR(o, step_size=1))
    assert opt.state == {} and "initial_lr" not in opt.param_groups[0]
    np.testing.assert_array_equal(p.data, THETA0)
    for make in (functools.partial(Adam, lr=0.1, fused=True),
                 functools.partial(AdamW, lr=0.1, fused=True)):
        with pytest.raises(ValueError, match="use fused=False"):
            record(make, Rosenbrock(), THETA0, 5)


def test_bad_callables_and_comparator_are_refused_before_a_step():
    p = Param(THETA0.copy())
    opt = Adam([p], lr=0.1)
    calls = [(TypeError, "objective", dict(objective="rosenbrock")),
             (TypeError, "project", dict(project=1.0)),
             (TypeError, "scheduler", dict(scheduler=0.5)),
             (TypeError, "scheduler factory returned int", dict(scheduler=lambda o: 1)),
             (ValueError, r"comparator has shape \(3,\)", dict(comparator=np.zeros(3)))]
    for error, match, kwargs in calls:
        arguments = {"objective": Rosenbrock(), **kwargs}
        with pytest.raises(error, match=match):
            record(opt, arguments.pop("objective"), None, 5, **arguments)
        assert opt.state == {}
        np.testing.assert_array_equal(p.data, THETA0)


# --------------------------------------------------------------------------- bad values mid-run

def snapshot(opt, p, sched=None):
    state = {k: (v.tobytes() if isinstance(v, np.ndarray) else v)
             for k, v in opt.state.get(p, {}).items()}
    groups = [{k: v for k, v in g.items() if k != "params"} for g in opt.param_groups]
    return (p.data.tobytes(), None if p.grad is None else p.grad.tobytes(), state, groups,
            None if sched is None else sched.state_dict())


def stepped(steps=3):
    p = Param(THETA0.copy())
    opt = Adam([p], lr=0.1)
    sched = StepLR(opt, step_size=2, gamma=0.5)
    for t in range(steps):
        p.grad = Rosenbrock().grad(p.data, t)
        opt.step()
        sched.step()
    return p, opt, sched


class Faulty:
    """Rosenbrock whose value or grad returns ``bad`` from step ``at`` on."""

    def __init__(self, what, bad, at=1):
        self.what, self.bad, self.at, self.inner = what, bad, at, Rosenbrock()

    def value(self, theta, t):
        return self.bad if self.what == "value" and t >= self.at else self.inner.value(theta, t)

    def grad(self, theta, t):
        return self.bad if self.what == "grad" and t >= self.at else self.inner.grad(theta, t)


BAD_VALUES = [
    ("value", None, TypeError, r"objective.value\(theta, \d\) must return a real number.*None"),
    ("value", "0.5", TypeError, r"objective.value\(theta, \d\) must return a real number"),
    ("value", 1 + 2j, TypeError, r"objective.value.*\(1\+2j\)"),
    ("value", np.zeros(2), ValueError, r"objective.value\(theta, 4\) returned shape \(2,\), "
                                      r"but shape \(\) at step 1"),
    ("grad", None, TypeError, r"objective.grad\(theta, \d\) must return an array of numbers"),
    ("grad", np.zeros(3), ValueError, r"objective.grad\(theta, \d\) returned shape \(3,\), but "
                                     r"theta has shape \(2,\)"),
    ("grad", [["a", "b"]], TypeError, "objective.grad"),
]


CASES = [(at, *case) for at in (1, 4) for case in BAD_VALUES
         if not (at == 1 and "at step 1" in case[3])]   # the first value sets the shape


@pytest.mark.parametrize("at,what,bad,error,match", CASES,
                         ids=[f"{w}-{type(b).__name__}-{np.shape(b)}-at{at}"
                              for at, w, b, *_ in CASES])
def test_a_bad_value_or_grad_is_refused_before_the_step_and_the_run_is_undone(at, what, bad,
                                                                            error, match):
    p, opt, sched = stepped()
    before = snapshot(opt, p, sched)
    with pytest.raises(error, match=match):
        record(opt, Faulty(what, bad, at), None, 6, scheduler=sched)
    assert snapshot(opt, p, sched) == before
    with pytest.raises(error, match=match):
        record_step(adam_step, Faulty(what, bad, at), THETA0, 6)


@pytest.mark.parametrize("result,error,match", [
    (None, TypeError, r"project returned None at step 3; it must return the projected theta"),
    ("x", TypeError, "project must return an array of numbers, got 'x'"),
    (np.zeros(3), ValueError, r"project returned shape \(3,\) at step 3, but theta has shape"),
    (np.array([np.nan, 0.0]), ValueError, "project returned NaN or inf at step 3"),
], ids=["None", "str", "shape", "nan"])
def test_a_bad_projection_is_refused_before_it_is_written(result, error, match):
    p, opt, sched = stepped()
    before = snapshot(opt, p, sched)

    def project(theta, seen=[]):
        seen.append(theta)
        return result if len(seen) >= 3 else np.clip(theta, -1, 1)

    with pytest.raises(error, match=match):
        record(opt, Rosenbrock(), None, 5, scheduler=sched, project=project)
    assert snapshot(opt, p, sched) == before
    assert not np.isnan(p.data).any()

    def project_step(theta, seen=[]):
        seen.append(theta)
        return result if len(seen) >= 3 else np.clip(theta, -1, 1)

    with pytest.raises(error, match=match):
        record_step(adam_step, Rosenbrock(), THETA0, 5, project=project_step)


def test_a_projection_that_works_in_place_and_returns_none_changes_nothing():
    p = Param(THETA0.copy())
    opt = Adam([p], lr=0.1)
    def clip_in_place(theta):
        np.clip(theta, 0, 1, out=theta)

    with pytest.raises(TypeError, match="project returned None at step 1"):
        record(opt, Rosenbrock(), None, 5, project=clip_in_place)
    np.testing.assert_array_equal(p.data, THETA0)
    assert opt.state == {} and opt.last_trace == {}


def test_a_scheduler_or_an_interrupt_mid_run_puts_everything_back():
    from adam_ref.lr_scheduler import LambdaLR
    p = Param(THETA0.copy())
    opt = Adam([p], lr=0.1)

    def factor(epoch):
        if epoch == 3:
            raise ZeroDivisionError("epoch 3")
        return 0.5 ** epoch

    sched = LambdaLR(opt, factor)
    before = snapshot(opt, p, sched)
    with pytest.raises(ZeroDivisionError, match="epoch 3"):
        record(opt, Rosenbrock(), None, 6, scheduler=sched)
    assert snapshot(opt, p, sched) == before

    class Interrupted(Rosenbrock):
        def grad(self, theta, t):
            if t == 4:
                raise KeyboardInterrupt
            return super().grad(theta, t)

    p, opt, sched = stepped()
    before = snapshot(opt, p, sched)
    with pytest.raises(KeyboardInterrupt):
        record(opt, Interrupted(), None, 6, scheduler=lambda o: StepLR(o, step_size=1))
    assert snapshot(opt, p, sched) == before


def test_a_bad_comparator_value_fails_before_the_step():
    class BadAtComparator(Rosenbrock):
        def value(self, theta, t):
            return None if np.array_equal(theta, [1.0, 1.0]) else super().value(theta, t)

    p = Param(THETA0.copy())
    opt = Adam([p], lr=0.1)
    with pytest.raises(TypeError, match=r"objective.value\(the comparator, 1\)"):
        record(opt, BadAtComparator(), None, 3, comparator=np.ones(2))
    assert opt.state == {}
    np.testing.assert_array_equal(p.data, THETA0)
