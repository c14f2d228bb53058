"""Tests for dlbook.optimizers: the rules, their purity, their inputs, and Keras step by step."""

import numpy as np
import pytest

from dlbook import optimizers as opt
from dlbook.gradcheck import numerical_gradient, relative_error

KERAS_TOL = 1e-6  # float64 on both sides over 100 steps: agreement is far tighter than this
GRAD_TOL = 1e-7
STEPS = 100

# Non-default values, so that a hyperparameter that is dropped or swapped shows.
HYPER = {
    "sgd": {"learning_rate": 0.05},
    "momentum": {"learning_rate": 0.03, "beta": 0.85},
    "nesterov": {"learning_rate": 0.03, "beta": 0.85},
    "rmsprop": {"learning_rate": 0.01, "rho": 0.8, "epsilon": 1e-6},
    "adam": {"learning_rate": 0.02, "beta_1": 0.8, "beta_2": 0.99, "epsilon": 1e-6},
    "nadam": {"learning_rate": 0.02, "beta_1": 0.8, "beta_2": 0.99, "epsilon": 1e-6},
}


def gradient_sequence(seed=0, steps=STEPS, dim=5):
    rng = np.random.default_rng(seed)
    return rng.normal(size=dim), rng.normal(size=(steps, dim)) * rng.uniform(0.1, 3.0, size=dim)


def bowl_gradient(x):
    """A non-quadratic, ill-conditioned bowl: the gradient depends on where each side is."""
    return np.array([1.0, 8.0, 0.3]) * x + 0.5 * np.sin(x)


# ---------------------------------------------------------------------------
# The rules, one step at a time


def test_sgd_takes_a_step_against_the_gradient():
    theta, g = np.array([1.0, -2.0]), np.array([0.5, 4.0])
    new, state = opt.sgd_step(theta, g, opt.SGDState(), learning_rate=0.1)
    np.testing.assert_allclose(new, theta - 0.1 * g, rtol=1e-15)
    assert state == opt.SGDState()


def test_momentum_reaches_its_terminal_velocity_under_a_constant_gradient():
    g, eta, beta = np.array([2.0, -1.0]), 0.01, 0.9
    trajectory = opt.optimize("momentum", lambda _: g, np.zeros(2), 400, learning_rate=eta,
                              beta=beta)
    last_step = trajectory.points[-1] - trajectory.points[-2]
    np.testing.assert_allclose(last_step, -eta * g / (1 - beta), rtol=1e-12)


def test_the_survey_form_of_momentum_is_the_same_rule_with_v_equal_to_minus_m():
    theta, gradients = gradient_sequence(1, steps=30)
    a, m = theta, opt.MomentumState(np.zeros_like(theta))
    b, v = theta, opt.SurveyMomentumState(np.zeros_like(theta))
    for g in gradients:
        a, m = opt.momentum_step(a, g, m, learning_rate=0.05, beta=0.7)
        b, v = opt.momentum_survey_step(b, g, v, learning_rate=0.05, gamma=0.7)
        np.testing.assert_allclose(b, a, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(v.v, -m.m, rtol=1e-12, atol=1e-14)


def test_nesterov_measures_the_gradient_at_the_lookahead_point():
    theta, m = np.array([1.0, 2.0]), opt.MomentumState(np.array([0.5, -1.0]))
    np.testing.assert_allclose(opt.nesterov_lookahead(theta, m, beta=0.9), [1.45, 1.1])
    seen = []
    opt.optimize("nesterov", lambda x: seen.append(x.copy()) or x, theta, 2, beta=0.9)
    first, second = seen
    np.testing.assert_array_equal(first, theta)  # m = 0 at the start
    m1 = -0.01 * first
    np.testing.assert_allclose(second, theta + m1 + 0.9 * m1, rtol=1e-15)


def test_nesterov_keras_form_is_the_textbook_form_at_theta_plus_beta_m():
    """The change of variables phi = theta + beta m, on gradients each side computes itself."""
    beta, eta = 0.85, 0.03
    theta = phi = np.array([1.5, -0.5, 2.0])
    m_text = m_keras = opt.MomentumState(np.zeros(3))
    for _ in range(60):
        g = bowl_gradient(opt.nesterov_lookahead(theta, m_text, beta))
        theta, m_text = opt.nesterov_step(theta, g, m_text, eta, beta, form="textbook")
        phi, m_keras = opt.nesterov_step(phi, bowl_gradient(phi), m_keras, eta, beta, form="keras")
        np.testing.assert_allclose(phi, theta + beta * m_text.m, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(m_keras.m, m_text.m, rtol=1e-12, atol=1e-14)


def test_rmsprop_keeps_a_nonnegative_mean_square_and_equalises_the_step():
    theta, gradients = gradient_sequence(2, steps=50)
    state = opt.initial_state("rmsprop", theta)
    for g in gradients:
        theta, state = opt.rmsprop_step(theta, g, state, learning_rate=0.01, rho=0.9)
        assert np.all(state.s >= 0)
    # A constant gradient of any size gives steps of about eta once s has converged.
    g = np.array([1e-3, 1.0, 1e3])
    trajectory = opt.optimize("rmsprop", lambda _: g, np.zeros(3), 300, learning_rate=0.01,
                              rho=0.9, epsilon=0.0)
    np.testing.assert_allclose(np.diff(trajectory.points, axis=0)[-1], -0.01 * np.sign(g),
                               rtol=1e-10)


def test_adam_first_step_has_size_eta_in_every_coordinate():
    """Bias correction with t = 1: m_hat = g and v_hat = g^2, so the step is eta sign(g)."""
    theta, g = np.array([0.3, -2.0, 5.0]), np.array([1e-4, -3.0, 250.0])
    for beta_1, beta_2 in [(0.9, 0.999), (0.5, 0.9)]:
        new, state = opt.adam_step(theta, g, opt.initial_state("adam", theta), learning_rate=0.1,
                                   beta_1=beta_1, beta_2=beta_2, epsilon=0.0)
        np.testing.assert_allclose(new - theta, -0.1 * np.sign(g), rtol=1e-12)
        assert state.t == 1


@pytest.mark.parametrize("optimizer", ["adam", "nadam"])
def test_the_counter_t_counts_steps_from_one(optimizer):
    theta, gradients = gradient_sequence(3, steps=4)
    state = opt.initial_state(optimizer, theta)
    assert state.t == 0
    for t, g in enumerate(gradients, start=1):
        theta, state = opt.step_function(optimizer)(theta, g, state)
        assert state.t == t


def test_adam_keras_form_is_the_textbook_form_with_a_rescaled_epsilon():
    theta0, gradients = gradient_sequence(4)
    hyper = {**HYPER["adam"], "epsilon": 0.0}
    textbook = opt.replay("adam", theta0, gradients, form="textbook", **hyper)
    keras_form = opt.replay("adam", theta0, gradients, form="keras", **hyper)
    assert opt.max_relative_difference(keras_form, textbook) < 1e-13
    # With epsilon > 0 they differ: Keras' epsilon-hat is epsilon sqrt(1 - beta_2^t).
    hyper["epsilon"] = 0.1
    textbook = opt.replay("adam", theta0, gradients, form="textbook", **hyper)
    keras_form = opt.replay("adam", theta0, gradients, form="keras", **hyper)
    assert opt.max_relative_difference(keras_form, textbook) > 1e-4


def test_nadam_textbook_form_is_dozats_rule_with_constant_momentum():
    """An independent loop with beta_1 powers instead of the running product."""
    theta0, gradients = gradient_sequence(5, steps=40)
    eta, b1, b2, eps = 0.02, 0.8, 0.99, 1e-6
    theta, m, v, expected = theta0, 0.0, 0.0, [theta0]
    for t, g in enumerate(gradients, start=1):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g**2
        m_hat = b1 * m / (1 - b1 ** (t + 1)) + (1 - b1) * g / (1 - b1**t)
        theta = theta - eta * m_hat / (np.sqrt(v / (1 - b2**t)) + eps)
        expected.append(theta)
    got = opt.replay("nadam", theta0, gradients, form="textbook", **HYPER["nadam"])
    assert opt.max_relative_difference(got, np.array(expected)) < 1e-12


def test_nadam_momentum_schedule():
    assert opt.nadam_momentum(7, 0.9) == 0.9
    assert opt.nadam_momentum(1, 0.9, form="keras") == pytest.approx(0.9 * (1 - 0.5 * 0.96))
    late = [opt.nadam_momentum(t, 0.9, form="keras") for t in (1, 10, 100, 1000)]
    assert np.all(np.diff(late) > 0) and late[-1] == pytest.approx(0.9, rel=1e-12)


# ---------------------------------------------------------------------------
# Purity: nothing is modified in place


@pytest.mark.parametrize("optimizer", opt.OPTIMIZERS)
@pytest.mark.parametrize("form", opt.FORMS)
def test_step_functions_do_not_modify_their_arguments(optimizer, form):
    rng = np.random.default_rng(6)
    theta, g = rng.normal(size=(3, 2)), rng.normal(size=(3, 2))
    state = opt.initial_state(optimizer, theta)
    kwargs = {"form": form} if optimizer in ("nesterov", "adam", "nadam") else {}
    for _ in range(2):  # the second step starts from a non-zero state
        before = (theta.copy(), g.copy(), [np.copy(x) for x in state])
        new_theta, new_state = opt.step_function(optimizer)(theta, g, state, **kwargs)
        np.testing.assert_array_equal(theta, before[0])
        np.testing.assert_array_equal(g, before[1])
        for old, now in zip(before[2], state, strict=True):
            np.testing.assert_array_equal(now, old)
        assert new_theta is not theta and new_theta.shape == theta.shape
        assert all(a is not b for a, b in zip(new_state, state, strict=True)
                   if isinstance(a, np.ndarray))
        theta, state = new_theta, new_state


# ---------------------------------------------------------------------------
# The test function


def test_rosenbrock_gradient_matches_finite_differences():
    rng = np.random.default_rng(7)
    for a, b in [(1.0, 100.0), (2.0, 5.0)]:
        x = rng.normal(size=2)
        numerical = numerical_gradient(lambda p, a=a, b=b: opt.rosenbrock(p, a, b), x)
        assert relative_error(opt.rosenbrock_gradient(x, a, b), numerical) < GRAD_TOL
    assert opt.rosenbrock(np.array([1.0, 1.0])) == 0.0
    grid = rng.normal(size=(6, 2))
    np.testing.assert_allclose(opt.rosenbrock(grid), [opt.rosenbrock(p) for p in grid])
    assert opt.rosenbrock_gradient(grid).shape == (6, 2)


def test_rosenbrock_hessian_is_the_jacobian_of_the_gradient():
    rng = np.random.default_rng(8)
    for a, b in [(1.0, 100.0), (0.5, 3.0)]:
        x = rng.normal(size=2)
        numerical = np.array([
            numerical_gradient(lambda p, i=i, a=a, b=b: opt.rosenbrock_gradient(p, a, b)[i],
                               x.copy())
            for i in range(2)])
        assert relative_error(opt.rosenbrock_hessian(x, a, b), numerical) < GRAD_TOL
    with pytest.raises(ValueError, match=r"one point of shape \(2,\)"):
        opt.rosenbrock_hessian(np.zeros((3, 2)))


def test_momentum_goes_further_down_the_rosenbrock_valley_than_sgd():
    x0 = np.array([-1.2, 1.0])
    sgd = opt.optimize("sgd", opt.rosenbrock_gradient, x0, 300, learning_rate=1e-3)
    momentum = opt.optimize("momentum", opt.rosenbrock_gradient, x0, 300, learning_rate=1e-3)
    assert opt.rosenbrock(momentum.points[-1]) < 0.1 * opt.rosenbrock(sgd.points[-1])


def test_optimize_stops_when_the_iterates_overflow():
    trajectory = opt.optimize("sgd", opt.rosenbrock_gradient, np.array([-1.5, 2.0]), 50,
                              learning_rate=0.1)
    assert trajectory.overflowed and len(trajectory.points) < 51
    assert np.all(np.isfinite(trajectory.points))


# ---------------------------------------------------------------------------
# Input checks


def test_bad_inputs_are_named():
    theta, state = np.zeros(3), opt.initial_state("momentum", np.zeros(3))
    with pytest.raises(ValueError, match="gradient must have the shape of theta"):
        opt.momentum_step(theta, np.zeros(2), state)
    with pytest.raises(TypeError, match="state must be a MomentumState"):
        opt.momentum_step(theta, np.zeros(3), opt.initial_state("adam", theta))
    with pytest.raises(ValueError, match="state.m must have the shape of theta"):
        opt.momentum_step(theta, np.zeros(3), opt.MomentumState(np.zeros(4)))
    with pytest.raises(ValueError, match=r"beta must be a finite number in \[0, 1\)"):
        opt.momentum_step(theta, np.zeros(3), state, beta=1.0)
    with pytest.raises(ValueError, match="learning_rate must be a positive finite number"):
        opt.sgd_step(theta, np.zeros(3), opt.SGDState(), learning_rate=0.0)
    with pytest.raises(TypeError, match="learning_rate must be a number"):
        opt.sgd_step(theta, np.zeros(3), opt.SGDState(), learning_rate="0.1")
    with pytest.raises(ValueError, match="theta must be finite"):
        opt.sgd_step(np.array([np.nan]), np.zeros(1), opt.SGDState())
    with pytest.raises(ValueError, match="epsilon must be a finite number in"):
        opt.rmsprop_step(theta, np.zeros(3), opt.initial_state("rmsprop", theta), epsilon=-1.0)
    with pytest.raises(ValueError, match="state.t must be an int >= 0"):
        opt.adam_step(theta, np.zeros(3), opt.AdamState(theta, theta, -1))
    with pytest.raises(ValueError, match="form must be one of"):
        opt.adam_step(theta, np.zeros(3), opt.initial_state("adam", theta), form="pytorch")
    with pytest.raises(ValueError, match="form must be one of"):
        opt.optimize("sgd", bowl_gradient, theta, 3, form="pytorch")
    with pytest.raises(ValueError, match="optimizer must be one of"):
        opt.initial_state("adagrad", theta)
    with pytest.raises(ValueError, match=r"adam takes the hyperparameters .* unknown \['beta'\]"):
        opt.optimize("adam", bowl_gradient, theta, 3, beta=0.9)
    with pytest.raises(ValueError, match=r"gradients must have shape \(T, 3\)"):
        opt.replay("sgd", theta, np.zeros((4, 2)))
    with pytest.raises(TypeError, match="gradient must be callable"):
        opt.optimize("sgd", np.zeros(3), theta, 3)
    with pytest.raises(ValueError, match="t must be an int >= 1"):
        opt.nadam_momentum(0)
    with pytest.raises(ValueError, match=r"x must have shape \(2,\) or \(M, 2\)"):
        opt.rosenbrock(np.zeros(3))
    with pytest.raises(ValueError, match="same shape"):
        opt.max_relative_difference(np.zeros((3, 2)), np.zeros((4, 2)))


# ---------------------------------------------------------------------------
# Step by step against keras.optimizers (float64 variables)


@pytest.mark.parametrize("optimizer", opt.OPTIMIZERS)
def test_matches_keras_on_a_fixed_gradient_sequence(optimizer):
    theta0, gradients = gradient_sequence(10)
    ours = opt.replay(optimizer, theta0, gradients, form="keras", **HYPER[optimizer])
    theirs = opt.keras_replay(optimizer, theta0, gradients, **HYPER[optimizer])
    assert ours.shape == theirs.shape == (STEPS + 1, 5)
    assert opt.max_relative_difference(ours, theirs) < KERAS_TOL
    # ... and the run moved: agreement is not two copies of theta0.
    assert np.linalg.norm(theirs[-1] - theta0) > 0.1


@pytest.mark.parametrize("optimizer", opt.OPTIMIZERS)
def test_matches_keras_when_each_side_computes_its_own_gradients(optimizer):
    theta0 = np.array([1.5, -0.7, 2.0])
    ours = opt.optimize(optimizer, bowl_gradient, theta0, STEPS, form="keras",
                        **HYPER[optimizer]).points
    theirs = opt.keras_optimize(optimizer, bowl_gradient, theta0, STEPS, **HYPER[optimizer])
    assert opt.max_relative_difference(ours, theirs) < KERAS_TOL


def test_keras_nesterov_variable_is_the_textbook_lookahead_point():
    theta0, beta = np.array([1.5, -0.7, 2.0]), HYPER["nesterov"]["beta"]
    theirs = opt.keras_optimize("nesterov", bowl_gradient, theta0, STEPS, **HYPER["nesterov"])
    theta, state = theta0, opt.initial_state("nesterov", theta0)
    lookahead = [theta0]
    for _ in range(STEPS):
        g = bowl_gradient(opt.nesterov_lookahead(theta, state, beta))
        theta, state = opt.nesterov_step(theta, g, state, **HYPER["nesterov"])
        lookahead.append(theta + beta * state.m)
    assert opt.max_relative_difference(np.array(lookahead), theirs) < KERAS_TOL


def test_the_textbook_forms_of_adam_and_nadam_differ_from_keras():
    """The documented differences are real: epsilon-hat (Adam) and the momentum schedule (Nadam)."""
    theta0, gradients = gradient_sequence(11, steps=20)
    hyper = {**HYPER["adam"], "epsilon": 0.5}
    theirs = opt.keras_replay("adam", theta0, gradients, **hyper)
    assert opt.max_relative_difference(opt.replay("adam", theta0, gradients, **hyper),
                                       theirs) > 1e-4
    assert opt.max_relative_difference(
        opt.replay("adam", theta0, gradients, form="keras", **hyper), theirs) < KERAS_TOL
    theirs = opt.keras_replay("nadam", theta0, gradients, **HYPER["nadam"])
    assert opt.max_relative_difference(
        opt.replay("nadam", theta0, gradients, **HYPER["nadam"]), theirs) > 1e-3


def test_keras_optimizer_maps_the_hyperparameters():
    sgd = opt.keras_optimizer("nesterov", learning_rate=0.03, beta=0.85).get_config()
    assert sgd["momentum"] == pytest.approx(0.85) and sgd["nesterov"] is True
    assert sgd["learning_rate"] == pytest.approx(0.03)
    adam = opt.keras_optimizer("adam", float64=True, beta_2=0.99).get_config()
    assert adam["beta_2"] == pytest.approx(0.99) and adam["learning_rate"] == pytest.approx(0.001)
    with pytest.raises(ValueError, match="rmsprop takes the hyperparameters"):
        opt.keras_optimizer("rmsprop", momentum=0.9)
