import numpy as np
import pytest

from dlbook.perceptron import perceptron_fit, perceptron_predict

W_TRUE = np.array([-0.1, 1.0, 2.0])  # the separating unit: bias first


def separable(n=200, margin=0.2, seed=0):
    """Points in [-1, 1]^2 labelled by W_TRUE, with the ones closer than ``margin`` removed."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, (n, 2))
    score = (W_TRUE[0] + X @ W_TRUE[1:]) / np.linalg.norm(W_TRUE)
    keep = np.abs(score) >= margin
    return X[keep], (score[keep] > 0).astype(int)


def test_predict_is_a_thresholded_weighted_sum():
    w = np.array([-1.0, 2.0, 0.5])
    X = np.array([[1.0, 0.0], [0.0, 1.0], [0.5, 0.0]])  # sums 1, -0.5 and exactly 0
    np.testing.assert_array_equal(perceptron_predict(w, X), [1, 0, 1])


def test_rule_converges_on_separable_data_and_stops():
    X, y = separable()
    fit = perceptron_fit(X, y, epochs=100)
    assert fit.converged and fit.errors[-1] == 0 and np.all(fit.errors[:-1] > 0)
    assert len(fit.errors) < 100
    np.testing.assert_array_equal(perceptron_predict(fit.w, X), y)


@pytest.mark.parametrize("seed", range(5))
def test_number_of_updates_respects_novikoffs_bound(seed):
    X, y = separable(seed=seed)
    augmented = np.c_[np.ones(len(X)), X]
    unit = W_TRUE / np.linalg.norm(W_TRUE)
    gamma = np.min(np.abs(augmented @ unit))
    radius = np.max(np.linalg.norm(augmented, axis=1))
    fit = perceptron_fit(X, y, epochs=1000, seed=seed)
    assert fit.converged and fit.errors.sum() <= (radius / gamma) ** 2


def test_learning_rate_only_rescales_the_weights_when_starting_from_zero():
    X, y = separable()
    a, b = perceptron_fit(X, y, learning_rate=1.0), perceptron_fit(X, y, learning_rate=0.25)
    np.testing.assert_allclose(b.w, 0.25 * a.w, rtol=1e-12)
    np.testing.assert_array_equal(a.errors, b.errors)


def test_rule_never_converges_on_xor():
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
    fit = perceptron_fit(X, np.array([0, 1, 1, 0]), epochs=50)
    assert not fit.converged and len(fit.errors) == 50 and np.all(fit.errors > 0)


def test_fit_is_deterministic_under_a_seed():
    X, y = separable()
    np.testing.assert_array_equal(perceptron_fit(X, y, seed=3).w, perceptron_fit(X, y, seed=3).w)


@pytest.mark.parametrize("call, error, match", [
    (lambda: perceptron_fit(np.ones(3), np.ones(3)), ValueError, r"X must be a 2-D array of shape \(N, D\)"),
    (lambda: perceptron_fit(np.full((3, 2), np.inf), np.ones(3)), ValueError, "X must be finite"),
    (lambda: perceptron_fit(np.ones((3, 2)), np.array([0, 1, 2])), ValueError,
     r"y must hold 0/1 labels of shape \(3,\)"),
    (lambda: perceptron_fit(np.ones((3, 2)), np.array([0, 1])), ValueError, "y must hold 0/1"),
    (lambda: perceptron_fit(np.ones((3, 2)), np.array([0, 1, 1]), learning_rate=0), ValueError,
     "learning_rate must be a positive finite number, got 0"),
    (lambda: perceptron_fit(np.ones((3, 2)), np.array([0, 1, 1]), learning_rate="1"), TypeError,
     "learning_rate must be a number, got str"),
    (lambda: perceptron_fit(np.ones((3, 2)), np.array([0, 1, 1]), epochs=0), ValueError,
     "epochs must be an int >= 1, got 0"),
    (lambda: perceptron_fit(np.ones((3, 2)), np.array([0, 1, 1]), epochs=2.0), TypeError,
     "epochs must be an int, got float"),
    (lambda: perceptron_fit(np.ones((3, 2)), np.array([0, 1, 1]), seed=-1), ValueError,
     "seed must be an int >= 0, got -1"),
    (lambda: perceptron_predict(np.ones(2), np.ones((3, 2))), ValueError,
     r"w must have shape \(3,\) \(bias first\), got \(2,\)"),
    (lambda: perceptron_predict(np.ones((3, 1)), np.ones((3, 2))), ValueError,
     r"w must be a 1-D array of shape \(D \+ 1,\)"),
    (lambda: perceptron_predict(np.array([0, np.nan, 1]), np.ones((3, 2))), ValueError,
     "w must be finite"),
    (lambda: perceptron_predict(np.ones(3), np.full((3, 2), np.nan)), ValueError,
     "X must be finite"),
])
def test_bad_inputs_are_named(call, error, match):
    with pytest.raises(error, match=match):
        call()
