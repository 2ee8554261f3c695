"""Toy objectives: every gradient against central finite differences, the per-step
functions of the stochastic/online ones, vectorisation, and the stated minima."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adam_ref.objectives import (Beale, Linear, NoisyQuadratic, Quadratic, Rastrigin, ReddiOnline,
                                 ReddiStochastic, Rosenbrock, Saddle, SparseQuadratic, Stack,
                                 project_interval)


def numerical_grad(f, theta, h=1e-6):
    """Central differences of a scalar function, one coordinate at a time."""
    grad = np.zeros_like(theta)
    for i in np.ndindex(theta.shape):
        step = np.zeros_like(theta)
        step[i] = h
        grad[i] = (f(theta + step) - f(theta - step)) / (2 * h)
    return grad


DETERMINISTIC = [(Quadratic((1.0, 0.01)), 2), (Quadratic((3.0, 0.2), angle=0.7, center=(0.5, -1.0)), 2),
                 (Quadratic((1.0, 2.0, 5.0)), 3), (Rosenbrock(), 2), (Rosenbrock(a=2.0, b=10.0), 2),
                 (Beale(), 2), (Saddle(), 2), (Rastrigin(), 2), (Rastrigin(dim=3), 3),
                 (Linear((2.0, -3.0)), 2)]
IDS = [repr(o) for o, _ in DETERMINISTIC]


def points(d, n=5, scale=1.5, seed=0):
    return np.random.default_rng(seed).uniform(-scale, scale, size=(n, d))


@pytest.mark.parametrize("objective, d", DETERMINISTIC, ids=IDS)
def test_gradient_matches_finite_differences(objective, d):
    for theta in points(d):
        np.testing.assert_allclose(objective.grad(theta), numerical_grad(objective.value, theta),
                                   rtol=1e-6, atol=1e-5)


@pytest.mark.parametrize("objective, d", DETERMINISTIC, ids=IDS)
def test_vectorised_over_leading_axes(objective, d):
    grid = points(d, n=12).reshape(3, 4, d)
    values, grads = objective.value(grid), objective.grad(grid)
    assert values.shape == (3, 4) and grads.shape == (3, 4, d)
    for i in np.ndindex(3, 4):
        assert values[i] == pytest.approx(objective.value(grid[i]), rel=1e-12, abs=1e-12)
        np.testing.assert_allclose(grads[i], objective.grad(grid[i]), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("objective", [o for o, _ in DETERMINISTIC if o.minimum is not None], ids=repr)
def test_gradient_vanishes_at_the_stated_minimum(objective):
    np.testing.assert_allclose(objective.grad(objective.minimum), 0.0, atol=1e-12)
    nearby = objective.minimum + points(objective.minimum.size, n=20, scale=1e-3, seed=1)
    assert np.all(objective.value(nearby) > objective.value(objective.minimum))


def test_known_minimum_values():
    assert Rosenbrock().value(np.array([1.0, 1.0])) == 0.0
    assert Beale().value(np.array([3.0, 0.5])) == 0.0
    assert Rastrigin().value(np.zeros(2)) == 0.0


def test_rotated_quadratic_has_the_curvatures_along_the_rotated_axes():
    angle = 0.6
    q = Quadratic((4.0, 0.25), angle=angle)
    np.testing.assert_allclose(np.linalg.eigvalsh(q.A), [0.25, 4.0])
    u = np.array([np.cos(angle), np.sin(angle)])
    np.testing.assert_allclose(q.A @ u, 4.0 * u)
    assert q.value(u) == pytest.approx(0.5 * 4.0)


def test_saddle_is_a_saddle():
    s = Saddle()
    assert s.minimum is None
    assert s.value(np.array([0.5, 0.0])) > 0 > s.value(np.array([0.0, 0.5]))


def test_boxes_contain_the_minimum():
    for objective in (Rosenbrock(), Beale(), Rastrigin(), Quadratic((1.0, 0.1), center=(2.0, -1.0))):
        (x0, x1), (y0, y1) = objective.box
        x, y = objective.minimum
        assert x0 < x < x1 and y0 < y < y1


def test_repr_states_the_formula():
    assert "(1 − x)² + 100·(y − x²)²" in repr(Rosenbrock())
    assert "x² − y²" in repr(Saddle())
    assert "rotated by 30°" in repr(Quadratic((1.0, 0.1), angle=np.radians(30)))
    assert "1010·x" in repr(ReddiOnline()) and "seed 7" in repr(ReddiStochastic(7))


# --------------------------------------------------------------------------- stochastic

def test_noisy_quadratic_gradient_is_the_gradient_of_f_t():
    q = NoisyQuadratic(curvatures=(1.0, 0.1), sigma=0.7, seed=3)
    for t in (1, 2, 50):
        for theta in points(2, n=3):
            np.testing.assert_allclose(q.grad(theta, t), numerical_grad(lambda x: q.value(x, t), theta),
                                       rtol=1e-6, atol=1e-6)


def test_noisy_quadratic_is_reproducible_and_unbiased():
    q = NoisyQuadratic(curvatures=(1.0, 0.1), sigma=0.7, seed=3)
    theta = np.array([1.0, -2.0])
    np.testing.assert_array_equal(q.grad(theta, 5), NoisyQuadratic((1.0, 0.1), 0.7, seed=3).grad(theta, 5))
    assert not np.array_equal(q.grad(theta, 5), q.grad(theta, 6))
    assert not np.array_equal(q.grad(theta, 5), NoisyQuadratic((1.0, 0.1), 0.7, seed=4).grad(theta, 5))
    mean = np.mean([q.grad(theta, t) for t in range(1, 4001)], axis=0)
    # the noise mean over 4000 draws has standard deviation 0.7/√4000 ≈ 0.011
    np.testing.assert_allclose(mean, q.curvatures * theta, atol=0.06)
    assert q.value(theta) == pytest.approx(0.5 * (1.0 + 0.1 * 4.0))


def test_sparse_quadratic_gradient_and_frequencies():
    s = SparseQuadratic(probabilities=(0.5, 0.05), curvatures=(3.0, 1.0), target=1.0, seed=2)
    theta = np.array([0.2, -0.4])
    for t in range(1, 30):
        g = s.grad(theta, t)
        np.testing.assert_allclose(g, numerical_grad(lambda x: s.value(x, t), theta), atol=1e-6)
        np.testing.assert_array_equal(g == 0, ~s.active(t))
    hits = np.mean([s.active(t) for t in range(1, 20001)], axis=0)
    # binomial standard deviations: 0.0035 and 0.0015
    np.testing.assert_allclose(hits, [0.5, 0.05], atol=0.02)


def test_stochastic_objectives_need_the_step():
    with pytest.raises(ValueError, match="pass t"):
        NoisyQuadratic().grad(np.zeros(2))
    with pytest.raises(ValueError, match="pass t"):
        ReddiOnline().value(np.zeros(1))
    for bad in (0, -1, 1.5, True):
        with pytest.raises(ValueError, match="step number"):
            SparseQuadratic().grad(np.zeros(3), bad)


def test_reddi_online_is_the_papers_sequence():
    r = ReddiOnline()
    slopes = r.slopes(303)
    assert [t for t in range(1, 304) if slopes[t - 1] == 1010.0] == [1, 102, 203]
    assert set(slopes) == {1010.0, -10.0}
    assert all(r.slope(t) == slopes[t - 1] for t in range(1, 304))
    x = np.array([0.3, -0.8])
    for t in (1, 2, 102):
        np.testing.assert_allclose(r.grad(x, t), numerical_grad(lambda y: r.value(y, t).sum(), x),
                                   rtol=1e-7)
    # over one period Σ f_t(x) = 1010x − 100·10x = 10x, minimised on [−1, 1] at x* = −1
    period = sum(r.value(x, t) for t in range(1, 102))
    np.testing.assert_allclose(period, 10 * x)
    assert r.minimum == -1.0


def test_reddi_stochastic_draws():
    r = ReddiStochastic(seed=5)
    slopes = r.slopes(100_000)
    assert set(slopes) == {1010.0, -10.0}
    # 1010 with probability 0.01: expected count 1000, standard deviation ≈ 31.5
    assert abs(np.sum(slopes == 1010.0) - 1000) < 160
    np.testing.assert_array_equal(slopes, ReddiStochastic(seed=5).slopes(100_000))
    assert not np.array_equal(slopes, ReddiStochastic(seed=6).slopes(100_000))
    for t in (70_000, 3, 4096, 4095, 99_999, 1):  # out of order, across blocks
        assert r.slope(t) == slopes[t - 1]
        np.testing.assert_allclose(r.grad(np.array([0.1]), t),
                                   numerical_grad(lambda y: r.value(y, t).sum(), np.array([0.1])))


def test_reddi_stochastic_mean_slope():
    # the paper's problem: E[f_t(x)] = 0.01·1010x − 0.99·10x = 0.2x
    assert ReddiStochastic(seed=1).mean_slope == pytest.approx(0.2, rel=1e-12)
    # another p: E[c] = 0.3·1010 − 0.7·10 = 296, against the draws' average (its sd ≈ 1.05)
    r = ReddiStochastic(seed=2, p=0.3)
    assert r.mean_slope == pytest.approx(296.0, rel=1e-12)
    assert abs(r.slopes(200_000).mean() - r.mean_slope) < 6


def test_projection_onto_the_interval():
    np.testing.assert_array_equal(project_interval(np.array([-3.0, -0.5, 0.0, 1.0, 7.0])),
                                  [-1.0, -0.5, 0.0, 1.0, 1.0])
    assert ReddiOnline.project is not None and ReddiOnline().project(np.array([2.0]))[0] == 1.0


def test_stack_is_the_objectives_side_by_side():
    parts = (ReddiOnline(), ReddiStochastic(0), ReddiStochastic(1))
    stack = Stack(*parts)
    theta = np.array([0.5, -0.25, 0.75])
    for t in (1, 2, 9000):
        np.testing.assert_array_equal(stack.value(theta, t),
                                      [p.value(x, t) for p, x in zip(parts, theta)])
        np.testing.assert_array_equal(stack.grad(theta, t), [p.slope(t) for p in parts])
    np.testing.assert_array_equal(stack.minimum, [-1.0, -1.0, -1.0])
    with pytest.raises(TypeError, match="slope"):
        Stack(Rosenbrock())


def test_bad_inputs():
    with pytest.raises(TypeError, match="floating"):
        Rosenbrock().value(np.array([1, 2]))
    with pytest.raises(ValueError, match="2 coordinates"):
        Beale().grad(np.zeros(3))
    with pytest.raises(ValueError, match="positive"):
        Quadratic((1.0, -1.0))
    with pytest.raises(ValueError, match="2-D"):
        Quadratic((1.0, 1.0, 1.0), angle=0.3)
    with pytest.raises(ValueError, match="probabilities"):
        SparseQuadratic(probabilities=(0.0, 0.5))


@settings(max_examples=40, deadline=None)
@given(h1=st.floats(0.01, 100.0), h2=st.floats(0.01, 100.0), angle=st.floats(-3.2, 3.2),
       cx=st.floats(-3.0, 3.0), cy=st.floats(-3.0, 3.0),
       x=st.floats(-3.0, 3.0), y=st.floats(-3.0, 3.0))
def test_any_rotated_quadratic_gradient_matches_finite_differences(h1, h2, angle, cx, cy, x, y):
    q = Quadratic((h1, h2), angle=angle, center=(cx, cy))
    theta = np.array([x, y])
    np.testing.assert_allclose(q.grad(theta), numerical_grad(q.value, theta, h=1e-5),
                               rtol=1e-5, atol=1e-5 * (h1 + h2))
    np.testing.assert_allclose(np.sort(np.linalg.eigvalsh(q.A)), np.sort([h1, h2]), rtol=1e-9)
