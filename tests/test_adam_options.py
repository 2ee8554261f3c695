"""The variants of Adam that the lessons compare, as options of adam_step, each against its
own equation written out here on plain NumPy arrays."""

import math

import numpy as np
import pytest

from adam_ref.functional import adam_init, adam_step

RNG = np.random.default_rng(7)
GRADS = RNG.standard_normal((120, 3)) * np.array([1.0, 1e-3, 30.0])
GRADS[60:] *= 0.01  # large, then small: where AMSGrad's running max and v part
LR, B1, B2, EPS = 0.01, 0.9, 0.99, 1e-3


def run(**options):
    theta, state = np.array([1.0, -2.0, 0.5]), adam_init(np.zeros(3))
    thetas = []
    for g in GRADS:
        theta, state, trace = adam_step(theta, g, state, lr=LR, beta1=B1, beta2=B2, eps=EPS,
                                        **options)
        thetas.append(theta)
    return np.array(thetas), trace


def by_hand(update):
    """θ_t from θ_{t−1}, m_t, v_t, t and the carried value of each equation below."""
    theta, m, v, carry = np.array([1.0, -2.0, 0.5]), np.zeros(3), np.zeros(3), np.zeros(3)
    thetas = []
    for t, g in enumerate(GRADS, start=1):
        m = B1 * m + (1 - B1) * g
        v = B2 * v + (1 - B2) * g * g
        theta, carry = update(theta, m, v, t, carry)
        thetas.append(theta)
    return np.array(thetas)


def test_without_bias_correction():
    # θ_t = θ_{t−1} − α·m_t/(√v_t + ε)
    ours, trace = run(bias_correction=False)
    expected = by_hand(lambda th, m, v, t, c: (th - LR * m / (np.sqrt(v) + EPS), c))
    np.testing.assert_allclose(ours, expected, rtol=1e-13)
    assert trace.bias_correction1 == trace.bias_correction2 == 1.0


def test_the_papers_amsgrad_has_no_bias_correction():
    # Reddi et al. (2018), Algorithm 2: v̂_t = max(v̂_{t−1}, v_t), θ_t = θ_{t−1} − α·m_t/√v̂_t
    ours, trace = run(amsgrad=True, bias_correction=False)

    def update(th, m, v, t, v_hat):
        v_hat = np.maximum(v_hat, v)
        return th - LR * m / (np.sqrt(v_hat) + EPS), v_hat
    np.testing.assert_allclose(ours, by_hand(update), rtol=1e-13)
    np.testing.assert_array_equal(trace.v_hat, trace.v_max)


def test_optax_amsgrad_takes_the_max_of_the_corrected_v():
    # optax.amsgrad: v̂_t = max(v̂_{t−1}, v_t/(1 − β2^t)), θ_t = θ_{t−1} − α·m̂_t/(√v̂_t + ε)
    ours, _ = run(amsgrad=True, corrected_max=True)

    def update(th, m, v, t, v_hat):
        v_hat = np.maximum(v_hat, v / (1 - B2 ** t))
        return th - LR * (m / (1 - B1 ** t)) / (np.sqrt(v_hat) + EPS), v_hat
    np.testing.assert_allclose(ours, by_hand(update), rtol=1e-13)
    torch_form, _ = run(amsgrad=True)
    assert np.max(np.abs(ours - torch_form)) > 1e-4  # the two AMSGrads part on this sequence


def test_eps_hat_is_the_tf_keras_form():
    # α_t = α·√(1 − β2^t)/(1 − β1^t), θ_t = θ_{t−1} − α_t·m_t/(√v_t + ε̂)
    ours, _ = run(eps_hat=True)

    def update(th, m, v, t, c):
        alpha_t = LR * math.sqrt(1 - B2 ** t) / (1 - B1 ** t)
        return th - alpha_t * m / (np.sqrt(v) + EPS), c
    np.testing.assert_allclose(ours, by_hand(update), rtol=1e-12)
    algorithm1, _ = run()
    assert np.max(np.abs(ours - algorithm1)) > 1e-4  # ε matters here: the forms part


def test_all_options_off_is_torchs_adam():
    ours, _ = run(bias_correction=True, corrected_max=False, eps_hat=False)
    np.testing.assert_array_equal(ours, run()[0])


@pytest.mark.parametrize("option", ["bias_correction", "corrected_max", "eps_hat"])
def test_options_are_switches(option):
    theta = np.ones(2)
    with pytest.raises(TypeError, match=option):
        adam_step(theta, theta, adam_init(theta), **{option: "no"})


@pytest.mark.parametrize("option", ["bias_correction", "corrected_max", "eps_hat"])
def test_options_keep_float32_and_refuse_what_the_step_refuses(option):
    theta = np.ones(3, dtype=np.float32)
    flip = {option: not adam_step.__kwdefaults__[option], "amsgrad": True}
    theta_next, state, trace = adam_step(theta, theta, adam_init(theta), **flip)
    assert theta_next.dtype == state.m.dtype == trace.denom.dtype == np.float32
    with pytest.raises(ValueError, match="Invalid learning rate: -1"):
        adam_step(theta, theta, adam_init(theta), lr=-1.0, **flip)
