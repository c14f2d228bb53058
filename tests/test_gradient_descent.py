"""Tests for dlbook.gradient_descent: gradients, convergence theory, mini-batches, inputs."""

import warnings

import numpy as np
import pytest

from dlbook import gradient_descent as gd
from dlbook.activations import sigmoid
from dlbook.gradcheck import numerical_gradient, relative_error

GRAD_TOL = 1e-7  # float64 analytic vs central-difference gradients
KERAS_TOL = 1e-5  # Keras computes in float32: about 7 significant digits


def random_spd(rng, eigenvalues):
    """A symmetric positive definite matrix with the given eigenvalues (and its eigenvectors)."""
    Q, _ = np.linalg.qr(rng.normal(size=(len(eigenvalues), len(eigenvalues))))
    return Q @ np.diag(eigenvalues) @ Q.T, Q


def classification_data(rng, n=40, d=3, separable=False):
    """Features with a column of ones (the bias unit) and 0/1 labels."""
    X = np.c_[np.ones(n), rng.normal(size=(n, d - 1))]
    w_true = rng.normal(size=d)
    if separable:
        y = (X @ w_true > 0).astype(np.float64)
    else:
        y = (rng.random(n) < sigmoid(X @ w_true)).astype(np.float64)
    return X, y


def network_data(rng, n=30):
    X = rng.uniform(-3, 3, size=(n, 1))
    w, v = np.array([2.0, 2.0]), np.array([1.0, 0.5])
    return X, gd.tanh_network_predict(np.array([2.0, -3.0]), X, w, v), w, v


def least_squares(w, X, y):
    """A quadratic loss in the (loss, gradient) form the mini-batch optimizer takes."""
    residual = X @ w - y
    return float(np.mean(residual**2)), 2 * X.T @ residual / len(y)


# ---------------------------------------------------------------------------
# Gradients against finite differences


def test_quadratic_gradient_matches_finite_differences():
    rng = np.random.default_rng(0)
    A, _ = random_spd(rng, [0.5, 2.0, 7.0])
    x_star, x = rng.normal(size=3), rng.normal(size=3)
    numerical = numerical_gradient(lambda p: gd.quadratic_loss(p, A, x_star), x)
    assert relative_error(gd.quadratic_gradient(x, A, x_star), numerical) < GRAD_TOL


@pytest.mark.parametrize("separable", [False, True])
def test_logistic_regression_gradient_matches_finite_differences(separable):
    rng = np.random.default_rng(1)
    X, y = classification_data(rng, separable=separable)
    w = rng.normal(size=X.shape[1])
    numerical = numerical_gradient(lambda p: gd.logistic_regression_loss_and_gradient(p, X, y)[0],
                                   w)
    _, analytic = gd.logistic_regression_loss_and_gradient(w, X, y)
    assert relative_error(analytic, numerical) < GRAD_TOL


def test_logistic_regression_hessian_is_the_jacobian_of_the_gradient():
    rng = np.random.default_rng(2)
    X, y = classification_data(rng)
    w = rng.normal(size=X.shape[1])
    numerical = np.array([
        numerical_gradient(lambda p, i=i: gd.logistic_regression_loss_and_gradient(p, X, y)[1][i],
                           w.copy())
        for i in range(X.shape[1])
    ])
    hessian = gd.logistic_regression_hessian(w, X)
    assert relative_error(hessian, numerical) < GRAD_TOL
    # Convexity: positive semidefinite at an arbitrary point.
    assert np.linalg.eigvalsh(hessian)[0] >= -1e-12


def test_tanh_network_gradient_matches_finite_differences():
    rng = np.random.default_rng(3)
    X, y, w, v = network_data(rng)
    b = rng.normal(size=2)
    numerical = numerical_gradient(lambda p: gd.tanh_network_loss_and_gradient(p, X, y, w, v)[0], b)
    _, analytic = gd.tanh_network_loss_and_gradient(b, X, y, w, v)
    assert relative_error(analytic, numerical) < GRAD_TOL


def test_tanh_network_hessian_is_the_jacobian_of_the_gradient():
    rng = np.random.default_rng(16)
    X, y, w, v = network_data(rng)
    b = rng.normal(size=2)
    numerical = np.array([
        numerical_gradient(
            lambda p, i=i: gd.tanh_network_loss_and_gradient(p, X, y, w, v)[1][i], b.copy())
        for i in range(2)
    ])
    assert relative_error(gd.tanh_network_hessian(b, X, y, w, v), numerical) < GRAD_TOL


def test_newton_finds_a_saddle_of_the_tanh_network_where_gradient_descent_finds_the_minimum():
    # A convex loss has no stationary point but its minima. The network has one where both
    # hidden units do the same job (b_1 = b_2), with an indefinite Hessian; Newton's method is
    # drawn to it from the origin, while gradient descent from there reaches the teacher's b.
    X = np.linspace(-4, 4, 81)[:, None]
    w, v, b_teacher = np.array([2.0, 2.0]), np.array([1.0, 0.5]), np.array([2.0, -3.0])
    y = gd.tanh_network_predict(b_teacher, X, w, v)
    gradient = lambda b: gd.tanh_network_loss_and_gradient(b, X, y, w, v)[1]  # noqa: E731
    hessian = lambda b: gd.tanh_network_hessian(b, X, y, w, v)  # noqa: E731
    saddle = gd.newton_method(gradient, hessian, np.zeros(2), steps=20).points[-1]
    assert np.linalg.norm(gradient(saddle)) < 1e-12
    assert saddle[0] == pytest.approx(saddle[1], abs=1e-9)
    eigenvalues = np.linalg.eigvalsh(hessian(saddle))
    assert eigenvalues[0] < 0 < eigenvalues[1]
    minimum = gd.gradient_descent(gradient, np.zeros(2), 0.5, 2000).points[-1]
    np.testing.assert_allclose(minimum, b_teacher, atol=1e-4)


# ---------------------------------------------------------------------------
# Losses against Keras and direct formulas


def test_logistic_regression_loss_matches_keras_binary_crossentropy():
    import keras

    rng = np.random.default_rng(5)
    X, y = classification_data(rng, n=64, d=4)
    w = rng.normal(size=4)
    loss, _ = gd.logistic_regression_loss_and_gradient(w, X, y)
    logits = (X @ w).astype("float32")
    expected = keras.ops.convert_to_numpy(keras.ops.mean(
        keras.losses.binary_crossentropy(y[:, None].astype("float32"), logits[:, None],
                                         from_logits=True)))
    assert loss == pytest.approx(float(expected), rel=KERAS_TOL)


def test_logistic_regression_loss_is_the_bernoulli_negative_log_likelihood():
    rng = np.random.default_rng(6)
    X, y = classification_data(rng)
    w = rng.normal(size=X.shape[1])
    p = 1 / (1 + np.exp(-X @ w))
    direct = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
    assert gd.logistic_regression_loss_and_gradient(w, X, y)[0] == pytest.approx(direct, rel=1e-12)


def test_tanh_network_loss_matches_keras_mean_squared_error():
    import keras

    rng = np.random.default_rng(7)
    X, y, w, v = network_data(rng)
    b = rng.normal(size=2)
    loss, _ = gd.tanh_network_loss_and_gradient(b, X, y, w, v)
    y_hat = np.tanh(X * w + b) @ v
    expected = keras.losses.mean_squared_error(y.astype("float32"), y_hat.astype("float32"))
    assert loss == pytest.approx(float(keras.ops.convert_to_numpy(expected)), rel=KERAS_TOL)


def test_quadratic_loss_is_half_the_eigen_weighted_squared_error_and_vectorizes():
    rng = np.random.default_rng(8)
    eigenvalues = np.array([1.0, 4.0])
    A, Q = random_spd(rng, eigenvalues)
    x_star = rng.normal(size=2)
    points = rng.normal(size=(5, 2))
    # In the eigenbasis the bowl is a weighted sum of squares: f = 1/2 sum_i lambda_i c_i^2.
    coordinates = (points - x_star) @ Q
    expected = 0.5 * (coordinates**2) @ eigenvalues
    np.testing.assert_allclose(gd.quadratic_loss(points, A, x_star), expected, rtol=1e-12)
    assert gd.quadratic_loss(points[0], A, x_star) == pytest.approx(expected[0], rel=1e-12)
    assert gd.quadratic_loss(x_star, A, x_star) == 0.0


# ---------------------------------------------------------------------------
# Gradient descent on a quadratic: the learning-rate thresholds from the maths


@pytest.fixture
def bowl():
    rng = np.random.default_rng(9)
    eigenvalues = np.array([0.5, 2.0, 10.0])
    A, Q = random_spd(rng, eigenvalues)
    return A, Q, eigenvalues, rng.normal(size=3), rng.normal(size=3)


def test_critical_learning_rate_is_two_over_the_largest_curvature(bowl):
    A, _, eigenvalues, _, _ = bowl
    assert gd.critical_learning_rate(A) == pytest.approx(2 / eigenvalues.max(), rel=1e-12)


def test_gradient_descent_iterates_are_powers_of_the_iteration_matrix(bowl):
    # e_k = x_k - x* obeys e_{k+1} = (I - eta A) e_k, so e_k = (I - eta A)^k e_0.
    A, _, _, x_star, x0 = bowl
    eta, steps = 0.05, 7
    trajectory = gd.gradient_descent(lambda x: gd.quadratic_gradient(x, A, x_star), x0, eta, steps)
    assert trajectory.points.shape == (steps + 1, 3) and not trajectory.overflowed
    M = np.eye(3) - eta * A
    expected = [x_star + np.linalg.matrix_power(M, k) @ (x0 - x_star) for k in range(steps + 1)]
    np.testing.assert_allclose(trajectory.points, expected, rtol=1e-10, atol=1e-12)


def test_gradient_descent_converges_below_and_diverges_above_two_over_l(bowl):
    A, Q, eigenvalues, x_star, x0 = bowl
    L = eigenvalues.max()
    gradient = lambda x: gd.quadratic_gradient(x, A, x_star)  # noqa: E731
    e0 = np.linalg.norm(x0 - x_star)

    # Below 2/L the error shrinks at least as fast as rho^k, rho = max_i |1 - eta lambda_i| < 1.
    eta = 0.95 * 2 / L
    rho = np.max(np.abs(1 - eta * eigenvalues))
    steps = int(np.ceil(np.log(1e-8) / np.log(rho)))
    final = gd.gradient_descent(gradient, x0, eta, steps).points[-1]
    assert np.linalg.norm(final - x_star) <= 1e-8 * e0 * (1 + 1e-9)

    # Above 2/L the component along the top eigenvector is multiplied by 1 - eta L, |.| > 1.
    eta = 1.05 * 2 / L
    points = gd.gradient_descent(gradient, x0, eta, 60).points
    top = (points - x_star) @ Q[:, np.argmax(eigenvalues)]
    np.testing.assert_allclose(top[1:] / top[:-1], 1 - eta * L, rtol=1e-6)
    assert np.linalg.norm(points[-1] - x_star) > 10 * e0


def test_divergence_to_overflow_stops_with_a_flag_and_no_warning(bowl):
    A, _, eigenvalues, x_star, x0 = bowl
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        trajectory = gd.gradient_descent(lambda x: gd.quadratic_gradient(x, A, x_star), x0,
                                         learning_rate=20 / eigenvalues.max(), steps=2000)
    assert trajectory.overflowed
    assert 1 < len(trajectory.points) < 2001
    assert np.all(np.isfinite(trajectory.points))


def test_newton_solves_a_quadratic_in_one_step(bowl):
    A, _, _, x_star, x0 = bowl
    trajectory = gd.newton_method(lambda x: gd.quadratic_gradient(x, A, x_star), lambda x: A, x0,
                                  steps=1)
    np.testing.assert_allclose(trajectory.points[-1], x_star, rtol=1e-10)


def test_newton_on_logistic_regression_reaches_the_stationary_point_quickly():
    rng = np.random.default_rng(10)
    X, y = classification_data(rng, n=200)
    gradient = lambda w: gd.logistic_regression_loss_and_gradient(w, X, y)[1]  # noqa: E731
    trajectory = gd.newton_method(gradient, lambda w: gd.logistic_regression_hessian(w, X),
                                  np.zeros(3), steps=10)
    assert np.linalg.norm(gradient(trajectory.points[-1])) < 1e-12


# ---------------------------------------------------------------------------
# Batch, stochastic and mini-batch gradient descent


def test_minibatch_indices_partition_each_epoch():
    batches = gd.minibatch_indices(10, 4, np.random.default_rng(0))
    assert [len(b) for b in batches] == [4, 4, 2]
    np.testing.assert_array_equal(np.sort(np.concatenate(batches)), np.arange(10))


def test_minibatch_step_moves_against_the_mean_of_the_per_example_gradients():
    rng = np.random.default_rng(16)
    X, y = classification_data(rng, n=8)
    w, eta = rng.normal(size=3), 0.3
    before = w.copy()
    loss, stepped = gd.minibatch_step(gd.logistic_regression_loss_and_gradient, w, X, y, eta)
    per_example = [gd.logistic_regression_loss_and_gradient(w, X[n:n + 1], y[n:n + 1])
                   for n in range(len(y))]
    g_B = np.mean([g for _, g in per_example], axis=0)
    np.testing.assert_allclose(stepped, w - eta * g_B, rtol=1e-12, atol=1e-15)
    assert loss == pytest.approx(np.mean([loss_n for loss_n, _ in per_example]), rel=1e-12)
    np.testing.assert_array_equal(w, before)  # the weights passed in are not modified


def test_minibatch_step_matches_a_keras_sgd_step():
    import keras

    rng = np.random.default_rng(17)
    X, y = classification_data(rng, n=16, d=4)
    w, eta = rng.normal(size=4), 0.7
    _, stepped = gd.minibatch_step(gd.logistic_regression_loss_and_gradient, w, X, y, eta)
    _, g_B = gd.logistic_regression_loss_and_gradient(w, X, y)
    variable = keras.Variable(w.astype("float32"))
    gradient = keras.ops.convert_to_tensor(g_B.astype("float32"))
    keras.optimizers.SGD(learning_rate=eta).apply_gradients([(gradient, variable)])
    # read through an op: converting a TensorFlow variable itself warns under NumPy 2
    keras_step = keras.ops.convert_to_numpy(keras.ops.multiply(variable, 1.0))
    np.testing.assert_allclose(stepped, keras_step, rtol=KERAS_TOL, atol=KERAS_TOL)


@pytest.mark.parametrize("kwargs, error, match", [
    ({"loss_and_gradient": None}, TypeError, "loss_and_gradient must be callable"),
    ({"w": np.zeros(3)}, ValueError, r"return a gradient of shape \(3,\), got \(2,\)"),
    ({"w": [np.nan, 0.0]}, ValueError, "w must be finite"),
    ({"y_batch": np.zeros(3)}, ValueError, r"y must have shape \(4,\)"),
    ({"learning_rate": 0.0}, ValueError, "learning_rate must be a positive finite"),
])
def test_minibatch_step_rejects_bad_inputs(kwargs, error, match):
    X = np.c_[np.ones(4), np.arange(4.0)]
    arguments = {"loss_and_gradient": lambda w, X, y: least_squares(w[:2], X, y),
                 "w": np.zeros(2), "X_batch": X, "y_batch": X[:, 1], "learning_rate": 0.1,
                 **kwargs}
    with pytest.raises(error, match=match):
        gd.minibatch_step(**arguments)


def test_full_batch_equals_gradient_descent_step_for_step():
    rng = np.random.default_rng(11)
    X, y = classification_data(rng, n=50)
    eta, epochs = 0.5, 12
    history = gd.minibatch_gradient_descent(gd.logistic_regression_loss_and_gradient, np.zeros(3),
                                            X, y, batch_size=len(y), learning_rate=eta,
                                            epochs=epochs, rng=np.random.default_rng(0))
    trajectory = gd.gradient_descent(
        lambda w: gd.logistic_regression_loss_and_gradient(w, X, y)[1], np.zeros(3), eta, epochs)
    assert history.steps_per_epoch == 1 and history.params.shape == (epochs + 1, 3)
    np.testing.assert_allclose(history.params, trajectory.points, rtol=1e-12, atol=1e-15)
    # With B = N the batch loss is the full loss before each step.
    np.testing.assert_allclose(history.batch_loss, history.epoch_loss[:-1], rtol=1e-12)


def test_stochastic_gradient_descent_separates_a_separable_dataset():
    rng = np.random.default_rng(12)
    X, y = classification_data(rng, n=60, separable=True)
    history = gd.minibatch_gradient_descent(gd.logistic_regression_loss_and_gradient, np.zeros(3),
                                            X, y, batch_size=1, learning_rate=0.5, epochs=20,
                                            rng=rng)
    assert history.steps_per_epoch == 60 and history.batch_loss.shape == (20 * 60,)
    assert history.params.shape == (20 * 60 + 1, 3) and history.epoch_loss.shape == (21,)
    assert history.epoch_loss[-1] < 0.25 * history.epoch_loss[0]
    accuracy = np.mean((X @ history.params[-1] > 0) == y)
    assert accuracy == 1.0


def test_minibatch_gradient_descent_is_deterministic_under_a_seed():
    rng = np.random.default_rng(13)
    X, y = classification_data(rng, n=30)

    def run(seed):
        return gd.minibatch_gradient_descent(gd.logistic_regression_loss_and_gradient,
                                             np.zeros(3), X, y, batch_size=4, learning_rate=0.3,
                                             epochs=3, rng=np.random.default_rng(seed))

    first, again, other = run(0), run(0), run(1)
    np.testing.assert_array_equal(first.params, again.params)
    np.testing.assert_array_equal(first.batch_loss, again.batch_loss)
    assert not np.array_equal(first.batch_loss, other.batch_loss)


def test_minibatch_gradient_descent_raises_when_it_diverges():
    rng = np.random.default_rng(14)
    X = rng.normal(size=(20, 2))
    y = X @ np.array([1.0, -2.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(FloatingPointError, match="lower learning_rate"):
            gd.minibatch_gradient_descent(least_squares, np.zeros(2), X, y, batch_size=20,
                                          learning_rate=100.0, epochs=500, rng=rng)


def test_minibatch_gradient_variance_follows_the_sampling_formula():
    # E||g_B - g||^2 = sigma^2 / B * (N - B) / (N - 1) for B examples drawn without replacement.
    rng = np.random.default_rng(15)
    X, y = classification_data(rng, n=40)
    w = rng.normal(size=3)
    _, g = gd.logistic_regression_loss_and_gradient(w, X, y)
    per_example = np.array([gd.logistic_regression_loss_and_gradient(w, X[i:i + 1], y[i:i + 1])[1]
                            for i in range(40)])
    sigma2 = np.mean(np.sum((per_example - g) ** 2, axis=1))
    for B in (1, 5, 20):
        measured = gd.minibatch_gradient_variance(gd.logistic_regression_loss_and_gradient, w, X,
                                                  y, B, n_draws=4000, rng=rng)
        # 4000 draws: the Monte Carlo error is a few per cent.
        assert measured == pytest.approx(sigma2 / B * (40 - B) / 39, rel=0.1)
    full = gd.minibatch_gradient_variance(gd.logistic_regression_loss_and_gradient, w, X, y, 40,
                                          n_draws=3, rng=rng)
    assert full == pytest.approx(0.0, abs=1e-28)


# ---------------------------------------------------------------------------
# Bad inputs


def quadratic_gradient_2d(x):
    return 2 * x


@pytest.mark.parametrize("kwargs, error, match", [
    ({"gradient": None}, TypeError, "gradient must be callable"),
    ({"x0": np.zeros((2, 2))}, ValueError, r"x0 must be a 1-D array of shape \(D,\)"),
    ({"x0": [np.nan, 0.0]}, ValueError, "x0 must be finite"),
    ({"learning_rate": np.inf}, ValueError, "learning_rate must be a positive finite"),
    ({"learning_rate": -0.1}, ValueError, "learning_rate must be a positive finite"),
    ({"learning_rate": "0.1"}, TypeError, "learning_rate must be a number"),
    ({"steps": -1}, ValueError, "steps must be an int >= 0"),
    ({"steps": 2.5}, TypeError, "steps must be an int"),
    ({"gradient": lambda x: np.zeros(3)}, ValueError, r"gradient must return shape \(2,\)"),
])
def test_gradient_descent_rejects_bad_inputs(kwargs, error, match):
    arguments = {"gradient": quadratic_gradient_2d, "x0": [1.0, 1.0], "learning_rate": 0.1,
                 "steps": 3, **kwargs}
    with pytest.raises(error, match=match):
        gd.gradient_descent(**arguments)


def test_newton_method_rejects_a_hessian_of_the_wrong_shape():
    with pytest.raises(ValueError, match=r"hessian must return shape \(2, 2\)"):
        gd.newton_method(quadratic_gradient_2d, lambda x: np.eye(3), [1.0, 1.0], steps=1)
    with pytest.raises(TypeError, match="hessian must be callable"):
        gd.newton_method(quadratic_gradient_2d, "H", [1.0, 1.0], steps=1)


@pytest.mark.parametrize("A, match", [
    (np.ones(3), r"square \(D, D\)"),
    (np.array([[1.0, 2.0], [0.0, 1.0]]), "symmetric"),
    (np.diag([1.0, -1.0]), "positive definite"),
    (np.diag([1.0, np.inf]), "finite"),
])
def test_critical_learning_rate_rejects_matrices_that_are_not_spd(A, match):
    with pytest.raises(ValueError, match=match):
        gd.critical_learning_rate(A)


def test_quadratic_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match=r"x must have shape \(2,\) or \(M, 2\)"):
        gd.quadratic_loss(np.zeros(3), np.eye(2), np.zeros(2))
    with pytest.raises(ValueError, match=r"x_star must have shape \(2,\)"):
        gd.quadratic_gradient(np.zeros(2), np.eye(2), np.zeros(3))


def test_models_reject_bad_data_and_parameters():
    X, y = np.ones((4, 2)), np.zeros(4)
    with pytest.raises(ValueError, match=r"X must be a 2-D array of shape \(N, D\)"):
        gd.logistic_regression_loss_and_gradient(np.zeros(2), np.ones(4), y)
    with pytest.raises(ValueError, match=r"y must have shape \(4,\)"):
        gd.logistic_regression_loss_and_gradient(np.zeros(2), X, np.zeros(3))
    with pytest.raises(ValueError, match="y must be finite"):
        gd.logistic_regression_loss_and_gradient(np.zeros(2), X, np.full(4, np.nan))
    with pytest.raises(ValueError, match=r"w must have shape \(2,\)"):
        gd.logistic_regression_loss_and_gradient(np.zeros(3), X, y)
    with pytest.raises(ValueError, match=r"X must be a 2-D array of shape \(N, D\)"):
        gd.logistic_regression_hessian(np.zeros(2), np.ones(4))
    with pytest.raises(ValueError, match=r"X must have shape \(N, 1\)"):
        gd.tanh_network_loss_and_gradient(np.zeros(2), X, y, np.ones(2), np.ones(2))
    with pytest.raises(ValueError, match=r"b must have shape \(2,\)"):
        gd.tanh_network_predict(np.zeros(3), X[:, :1], np.ones(2), np.ones(2))


@pytest.mark.parametrize("kwargs, error, match", [
    ({"loss_and_gradient": 3}, TypeError, "loss_and_gradient must be callable"),
    ({"batch_size": 0}, ValueError, "batch_size must be an int >= 1"),
    ({"batch_size": 9}, ValueError, r"batch_size must be in \[1, N=8\]"),
    ({"batch_size": 2.0}, TypeError, "batch_size must be an int"),
    ({"learning_rate": np.nan}, ValueError, "learning_rate must be a positive finite"),
    ({"epochs": -1}, ValueError, "epochs must be an int >= 0"),
    ({"rng": 0}, TypeError, "rng must be a numpy.random.Generator"),
    ({"w0": np.zeros(3)}, ValueError, r"return a gradient of shape \(3,\), got \(2,\)"),
])
def test_minibatch_gradient_descent_rejects_bad_inputs(kwargs, error, match):
    X = np.c_[np.ones(8), np.arange(8.0)]
    arguments = {"loss_and_gradient": least_squares, "w0": np.zeros(2), "X": X, "y": X[:, 1],
                 "batch_size": 2, "learning_rate": 0.01, "epochs": 1,
                 "rng": np.random.default_rng(0), **kwargs}
    if "w0" in kwargs:  # a loss whose gradient ignores the size of w
        arguments["loss_and_gradient"] = lambda w, X, y: least_squares(w[:2], X, y)
    with pytest.raises(error, match=match):
        gd.minibatch_gradient_descent(**arguments)


def test_minibatch_gradient_variance_rejects_bad_inputs():
    X, y = np.ones((5, 2)), np.zeros(5)
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match=r"batch_size must be in \[1, N=5\]"):
        gd.minibatch_gradient_variance(least_squares, np.zeros(2), X, y, 6, 10, rng)
    with pytest.raises(ValueError, match="n_draws must be an int >= 1"):
        gd.minibatch_gradient_variance(least_squares, np.zeros(2), X, y, 2, 0, rng)
    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator"):
        gd.minibatch_gradient_variance(least_squares, np.zeros(2), X, y, 2, 10, None)
