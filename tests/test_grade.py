"""check_step: a student's step graded against the reference of each algorithm.

The famous Adam bugs are written the way students write them; correct students in
torch's and the paper's algebraic forms must pass. Every algorithm in ALGORITHMS is
graded against a copy of its own reference step (which must pass) and one-term
mutations of it (which must fail), so an algorithm added later is covered too.
"""

import numpy as np
import pytest

import adam_ref
from adam_ref.functional import ALGORITHMS, adam_step
from adam_ref.grade import check_step, exposing_gradients

SPECS = list(ALGORITHMS.values())
ids = lambda spec: spec.name  # noqa: E731

SHORT = 300  # steps for the many parametrized runs; the default is 5000


# ---- students --------------------------------------------------------------------------

def student_init(theta):
    return {"t": 0, "m": np.zeros_like(theta), "v": np.zeros_like(theta),
            "v_max": np.zeros_like(theta)}


def paper_adam(bug=None, intermediates=True):
    """Algorithm 1 of Kingma & Ba as a student writes it, with at most one bug."""
    def step(theta, grad, state, *, lr, beta1, beta2, eps, amsgrad=False):
        t = state["t"] + 1
        t_corr = state["t"] if bug == "t_before_increment" else t
        b1, b2 = (beta2, beta1) if bug == "betas_swapped" else (beta1, beta2)
        m = b1 * state["m"] + (1 - b1) * grad
        v = b2 * state["v"] + (1 - b2) * grad ** 2
        if bug == "no_bias_correction":
            m_hat, v_hat = m, v
        else:
            m_hat = m / (1 - b1 ** t_corr)
            v_hat = v / (1 - b2 ** t_corr)
        v_max = state["v_max"]
        if amsgrad:
            if bug == "amsgrad_max_over_v_hat":
                v_max = np.maximum(v_max, v_hat)
                v_hat = v_max
            else:
                v_max = np.maximum(v_max, v)
                v_hat = v_max / (1 - b2 ** t_corr)
        if bug == "eps_inside_sqrt":
            denom = np.sqrt(v_hat + eps)
        else:
            denom = np.sqrt(v_hat) + eps
        if bug == "eps_added_to_theta":
            theta_next = theta - lr * m_hat / np.sqrt(v_hat) + eps
        else:
            theta_next = theta - lr * m_hat / denom
        new = {"t": t, "m": m, "v": v, "v_max": v_max}
        if not intermediates:
            return theta_next, new
        return theta_next, new, {"m": m, "v": v, "m_hat": m_hat, "v_hat": v_hat, "denom": denom}
    return step


def torch_adam(theta, grad, state, *, lr, beta1, beta2, eps, weight_decay=0.0, amsgrad=False,
               maximize=False, decoupled_weight_decay=False):
    """torch's algebra: lerp for m, √v/√(1 − β2^t) + ε, step size lr/(1 − β1^t)."""
    t = state["t"] + 1
    g = -grad if maximize else grad
    if weight_decay and decoupled_weight_decay:
        theta = theta * (1 - lr * weight_decay)
    elif weight_decay:
        g = g + weight_decay * theta
    m = state["m"] + (g - state["m"]) * (1 - beta1)
    v = state["v"] * beta2 + (1 - beta2) * g * g
    bc1, bc2 = 1 - beta1 ** t, 1 - beta2 ** t
    v_max = np.maximum(state["v_max"], v) if amsgrad else state["v_max"]
    denom = np.sqrt(v_max if amsgrad else v) / np.sqrt(bc2) + eps
    theta_next = theta - (lr / bc1) * (m / denom)
    return theta_next, {"t": t, "m": m, "v": v, "v_max": v_max}, {"m": m, "v": v, "denom": denom}


# ---- correct implementations pass ------------------------------------------------------

@pytest.mark.parametrize("intermediates", [True, False])
def test_paper_form_passes(intermediates):
    report = check_step(paper_adam(intermediates=intermediates), student_init)
    assert report.ok, str(report)
    assert report.first_mismatch is None and report.steps == 5000
    assert report.compared == (("m", "v", "m_hat", "v_hat", "denom", "theta") if intermediates
                               else ("theta",))


@pytest.mark.parametrize("kwargs", [{}, {"amsgrad": True}, {"lr": 0.05, "weight_decay": 0.1},
                                    {"weight_decay": 0.3, "decoupled_weight_decay": True},
                                    {"maximize": True, "eps": 1e-6}],
                         ids=lambda k: ",".join(k) or "defaults")
def test_torch_form_passes(kwargs):
    report = check_step(torch_adam, student_init, **kwargs)
    assert report.ok, str(report)
    assert report.hyperparameters["lr"] == kwargs.get("lr", 1e-3)


def test_paper_form_amsgrad_passes():
    assert check_step(paper_adam(), student_init, amsgrad=True, steps=SHORT).ok


# ---- the famous bugs are caught at the right field and step ------------------------------

BUGS = [  # bug, first field with intermediates, step, first step seen on theta alone, hint words
    ("eps_inside_sqrt", "denom", 1, 1, "inside the square root"),
    ("no_bias_correction", "m_hat", 1, 1, "bias correction is missing"),
    ("t_before_increment", "m_hat", 1, 1, "old step count"),
    ("betas_swapped", "m", 1, 2, "swapped"),
    ("eps_added_to_theta", "theta", 1, 1, "precedence"),
]


@pytest.mark.parametrize("bug, field, t, t_theta, words", BUGS, ids=[b[0] for b in BUGS])
def test_famous_bug_caught_at_field_and_step(bug, field, t, t_theta, words):
    with np.errstate(all="ignore"):
        report = check_step(paper_adam(bug), student_init)
        alone = check_step(paper_adam(bug, intermediates=False), student_init)
    assert not report.ok and not alone.ok
    assert (report.first_mismatch.t, report.first_mismatch.field) == (t, field)
    assert words in report.hint, report.hint
    # with θ only, the same mistake is found from θ, and named all the same
    assert (alone.first_mismatch.t, alone.first_mismatch.field) == (t_theta, "theta")
    assert words in alone.hint, alone.hint
    assert report.steps == t and f"t = {t}" in str(report) and repr(field) in str(report)


def test_eps_inside_sqrt_shows_on_the_tiny_gradients():
    report = check_step(paper_adam("eps_inside_sqrt"), student_init)
    assert report.first_mismatch.index == 1  # the coordinate whose gradients are about 1e-8
    assert "1e-8" in str(report)


def test_amsgrad_max_over_the_wrong_quantity():
    report = check_step(paper_adam("amsgrad_max_over_v_hat"), student_init, amsgrad=True)
    assert not report.ok
    assert report.first_mismatch.field == "v_hat" and report.first_mismatch.t == 2
    assert "wrong quantity" in report.hint


def test_amsgrad_asked_for_but_ignored():
    report = check_step(paper_adam(), student_init, amsgrad=True, steps=SHORT)
    # paper_adam takes amsgrad; a student without the keyword is told so
    def no_amsgrad(theta, grad, state, *, lr, beta1, beta2, eps):
        return paper_adam()(theta, grad, state, lr=lr, beta1=beta1, beta2=beta2, eps=eps)
    assert report.ok
    missing = check_step(no_amsgrad, student_init, amsgrad=True)
    assert missing.first_mismatch.field == "signature" and "amsgrad" in missing.hint


def test_l2_where_decoupled_decay_was_asked_for():
    def l2_only(theta, grad, state, **kw):
        return torch_adam(theta, grad, state, **(kw | {"decoupled_weight_decay": False}))
    report = check_step(l2_only, student_init, weight_decay=0.1, decoupled_weight_decay=True)
    assert not report.ok and report.first_mismatch.t == 1
    assert "decoupled_weight_decay" in report.hint


@pytest.mark.parametrize("option, field", [("eps_hat", "denom"),
                                           ("bias_correction", "bias_correction1")])
def test_library_variants_are_not_torch_adam(option, field):
    """adam_step's own variants, as students: each is a one-term change of torch's Adam."""
    value = option != "bias_correction"

    def student(theta, grad, state, **kw):
        theta_next, state_next, trace = adam_step(theta, grad, state, **kw, **{option: value})
        return theta_next, state_next, dict(trace.items())
    report = check_step(student, adam_ref.functional.adam_init)
    assert (report.first_mismatch.t, report.first_mismatch.field) == (1, field)
    assert ("ε̂ form" if option == "eps_hat" else "bias correction is missing") in report.hint


# ---- the student's code misbehaves ----------------------------------------------------

def test_student_that_raises():
    def broken(theta, grad, state, *, lr, beta1, beta2, eps):
        if state["t"] == 2:
            raise ZeroDivisionError("oops")
        return paper_adam()(theta, grad, state, lr=lr, beta1=beta1, beta2=beta2, eps=eps)
    report = check_step(broken, student_init)
    assert not report.ok
    assert (report.first_mismatch.t, report.first_mismatch.field) == (3, "exception")
    assert "ZeroDivisionError: oops" in report.first_mismatch.got and "raised" in report.hint
    assert report.steps == 2


def test_init_that_raises():
    def bad_init(theta):
        raise KeyError("m")
    report = check_step(paper_adam(), bad_init)
    assert report.first_mismatch.field == "init" and not report.ok


def test_student_that_returns_nan():
    def nan_later(theta, grad, state, **kw):
        theta_next, new, inter = torch_adam(theta, grad, state, **kw)
        if new["t"] == 7:
            theta_next = theta_next.copy()
            theta_next[3] = np.nan
        return theta_next, new, inter
    report = check_step(nan_later, student_init)
    assert not report.ok
    mm = report.first_mismatch
    assert (mm.t, mm.field, mm.index) == (7, "theta", 3) and np.isnan(mm.got[3])
    assert "NaN" in report.hint


@pytest.mark.parametrize("returned, words", [
    (lambda th, st: th, "ndarray"),
    (lambda th, st: (th,), "tuple of 1"),
    (lambda th, st: (th, st, {}, None), "tuple of 4"),
    (lambda th, st: (th, st, [1, 2]), "list"),
    (lambda th, st: (th[:3], st), "shape"),
    (lambda th, st: (th, st, {"m": np.zeros(2)}), "shape"),
], ids=["array", "1-tuple", "4-tuple", "list", "short theta", "short m"])
def test_wrong_return_shape(returned, words):
    def student(theta, grad, state, **kw):
        theta_next, new, _ = torch_adam(theta, grad, state, **kw)
        return returned(theta_next, new)
    report = check_step(student, student_init)
    assert not report.ok and report.first_mismatch.t == 1
    assert words in str(report.first_mismatch.got) + report.hint


def test_returned_names_that_are_not_trace_fields_are_listed():
    def student(theta, grad, state, **kw):
        theta_next, new, inter = torch_adam(theta, grad, state, **kw)
        return theta_next, new, inter | {"velocity": inter["v"]}
    report = check_step(student, student_init, steps=SHORT)
    assert report.ok and report.ignored == ("velocity",) and "velocity" in str(report)


# ---- the report ------------------------------------------------------------------------

def test_report_reads_well():
    good = check_step(torch_adam, student_init, steps=SHORT)
    bad = check_step(paper_adam("betas_swapped"), student_init)
    assert str(good).startswith("check_step(adam): OK") and bool(good)
    text = str(bad)
    assert "MISMATCH" in text and "expected" in text and "got" in text and "hint" in text
    page = bad._repr_html_()
    assert "t = 1" in page and "<code>m</code>" in page and "swapped" in page
    assert "ok=False" in repr(bad)


def test_arguments_of_check_step_itself():
    student = paper_adam()
    with pytest.raises(ValueError, match="unknown algorithm 'adom'"):
        check_step(student, student_init, algorithm="adom")
    with pytest.raises(TypeError, match="no keyword 'betas'"):
        check_step(student, student_init, betas=(0.9, 0.99))
    with pytest.raises(ValueError, match="Invalid beta parameter at index 1"):
        check_step(student, student_init, beta2=1.5)
    for steps in (0, 2.5, True):
        with pytest.raises(ValueError, match="steps"):
            check_step(student, student_init, steps=steps)
    with pytest.raises(TypeError, match="step must be a function"):
        check_step("adam", student_init)


def test_the_gradients_expose_every_term():
    g = exposing_gradients(5000)
    assert g.shape == (5000, 7)
    assert np.abs(g[:, 1]).max() < 1e-7                          # where ε decides the step
    assert np.abs(g[10:20, 2]).min() > 50 and np.abs(g[20:, 2]).max() < 0.02  # large, then small
    assert np.abs(g[:, 3]).max() > 1e3
    for j in (0, 1, 2, 3, 5, 6):                                  # signs change
        assert (g[:, j] > 0).any() and (g[:, j] < 0).any()
    assert (g[:, 6] == 0).sum() == 2500
    assert 0.999 ** 5000 < 0.01                                   # the corrections have faded
    np.testing.assert_array_equal(g, exposing_gradients(5000, seed=0))
    assert not np.array_equal(g, exposing_gradients(5000, seed=1))


# ---- every algorithm, against its own reference ----------------------------------------

def active(spec):
    """Hyperparameters with every term switched on: nonzero decay and momentum."""
    values = {}
    for h in spec.hypers:
        default = spec.defaults[h.name]
        values[h.name] = (0.8 if h.below_one else 0.1) if not default else default
    return values


def copy_of(spec, intermediates=True):
    def student(theta, grad, state, **kw):
        theta_next, state_next, trace = spec.step(theta, grad, state, **kw)
        return (theta_next, state_next, dict(trace.items())) if intermediates else (
            theta_next, state_next)
    return student


@pytest.mark.parametrize("spec", SPECS, ids=ids)
@pytest.mark.parametrize("intermediates", [True, False])
def test_a_copy_of_the_reference_passes(spec, intermediates):
    for kwargs in ({}, active(spec)):
        report = check_step(copy_of(spec, intermediates), spec.init, algorithm=spec.name,
                            steps=SHORT, **kwargs)
        assert report.ok, str(report)
        names = [n for n, v in spec.trace.__dataclass_fields__.items() if n != "t"]
        if intermediates:
            assert set(report.compared) <= set(names) and report.compared[-1] == "theta"


@pytest.mark.parametrize("spec", SPECS, ids=ids)
def test_every_switch_is_passed_through(spec):
    for flag in spec.flags:
        kwargs = active(spec) | {flag: True}
        if spec.rule is not None:
            try:
                spec.rule(spec.defaults | kwargs)
            except ValueError:
                continue
        seen = []

        def student(theta, grad, state, **kw):
            seen.append(kw[flag])
            return copy_of(spec)(theta, grad, state, **kw)
        assert check_step(student, spec.init, algorithm=spec.name, steps=50, **kwargs).ok
        assert all(seen) and len(seen) == 50
        # and ignoring the switch is a mistake the grader sees
        def ignores(theta, grad, state, **kw):
            return copy_of(spec)(theta, grad, state, **(kw | {flag: False}))
        report = check_step(ignores, spec.init, algorithm=spec.name, steps=SHORT, **kwargs)
        assert not report.ok, f"{spec.name}: ignoring {flag} went unnoticed"
        assert flag in report.hint, report.hint


@pytest.mark.parametrize("spec", SPECS, ids=ids)
def test_a_one_term_change_of_a_hyperparameter_fails(spec):
    # every term switched on, and the defaults (where, say, Adagrad's ε is not swamped by
    # weight decay): a 3% change of any hyperparameter shows in at least one of them
    settings = [active(spec) | {name: spec.defaults[name] for name in spec.init_keywords},
                {h.name: spec.defaults[h.name] for h in spec.hypers}]
    for h in spec.hypers:
        if h.name in spec.init_keywords:  # read by the init, not the step: see the next test
            continue

        def student(theta, grad, state, h=h, **kw):
            changed = kw[h.name] * 0.97
            return copy_of(spec)(theta, grad, state, **(kw | {h.name: changed}))
        reports = [check_step(student, spec.init, algorithm=spec.name, steps=SHORT, **base)
                   for base in settings]
        assert not all(r.ok for r in reports), f"{spec.name}: {h.name} changed by 3% went unnoticed"


@pytest.mark.parametrize("spec", SPECS, ids=ids)
def test_a_one_term_change_of_a_field_is_found_at_that_field(spec):
    kwargs = active(spec)
    theta0 = np.ones(3)
    _, _, trace = spec.step(theta0, np.ones(3), spec.init(theta0), **kwargs)
    fields = [n for n, v in trace.items() if n not in ("t", "theta") and v is not None]
    assert fields
    for name in fields:
        def student(theta, grad, state, name=name, **kw):
            theta_next, state_next, inter = copy_of(spec)(theta, grad, state, **kw)
            inter[name] = np.asarray(inter[name]) * (1 + 1e-6)
            return theta_next, state_next, inter
        report = check_step(student, spec.init, algorithm=spec.name, steps=SHORT, **kwargs)
        assert not report.ok
        assert (report.first_mismatch.t, report.first_mismatch.field) == (1, name)


@pytest.mark.parametrize("spec", SPECS, ids=ids)
def test_a_step_count_one_ahead_fails(spec):
    if spec.step_key is None:
        pytest.skip(f"{spec.name} has no step count in its update")

    def ahead(theta, grad, state, **kw):
        theta_next, state_next, trace = spec.step(theta, grad, state._replace(t=state.t + 1), **kw)
        return theta_next, state_next._replace(t=state.t + 1), dict(trace.items())
    report = check_step(ahead, spec.init, algorithm=spec.name, steps=SHORT, **active(spec))
    if not report.ok:
        assert report.first_mismatch.t == 1
        assert "t + 1" in report.hint or "one ahead" in report.hint, report.hint
    else:  # an algorithm whose update does not read t: the step count cannot be wrong
        theta0 = np.ones(2)
        state = spec.init(theta0)
        a = spec.step(theta0, np.ones(2), state, **active(spec))[0]
        b = spec.step(theta0, np.ones(2), state._replace(t=5), **active(spec))[0]
        np.testing.assert_array_equal(a, b)


def test_check_step_is_exported():
    assert adam_ref.check_step is check_step


def test_rmsprop_eps_inside_sqrt():
    def student(theta, grad, state, *, lr, alpha, eps, **kw):
        v = alpha * (0.0 if state is None else state) + (1 - alpha) * grad ** 2
        return theta - lr * grad / np.sqrt(v + eps), v
    report = check_step(student, algorithm="rmsprop")
    assert (report.first_mismatch.t, report.first_mismatch.field) == (1, "theta")
    assert report.first_mismatch.index == 1 and "inside the square root" in report.hint


def test_sgd_momentum_as_an_average():
    def student(theta, grad, state, *, lr, momentum, **kw):
        b = (1 - momentum) * grad if state is None else momentum * state + (1 - momentum) * grad
        return theta - lr * b, b
    report = check_step(student, algorithm="sgd", lr=0.01, momentum=0.9)
    assert (report.first_mismatch.t, report.first_mismatch.field) == (1, "theta")
    assert "average" in report.hint
    def correct(theta, grad, state, *, lr, momentum, **kw):
        b = grad if state is None else momentum * state + grad
        return theta - lr * b, b
    assert check_step(correct, algorithm="sgd", lr=0.01, momentum=0.9).ok


def test_step_count_started_at_one():
    def init(theta):
        return student_init(theta) | {"t": 1}
    report = check_step(paper_adam(), init)
    assert (report.first_mismatch.t, report.first_mismatch.field) == (1, "m_hat")
    assert "t + 1" in report.hint


def test_division_by_zero_is_a_finding_not_a_warning(recwarn):
    report = check_step(paper_adam("t_before_increment"), student_init)
    assert not report.ok and report.first_mismatch.t == 1
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


@pytest.mark.parametrize("spec", [s for s in SPECS if s.init_keywords], ids=ids)
def test_the_inits_keywords_reach_both_inits(spec):
    base = active(spec)
    assert check_step(copy_of(spec), spec.init, algorithm=spec.name, steps=SHORT, **base).ok
    for name in spec.init_keywords:
        def init(theta, name=name, **kw):  # ignores the value asked for
            return spec.init(theta, **(kw | {name: 0.97 * kw[name] if kw[name] else 0.5}))
        report = check_step(copy_of(spec), init, algorithm=spec.name, steps=SHORT, **base)
        assert not report.ok, f"{spec.name}: init's {name} changed went unnoticed"
