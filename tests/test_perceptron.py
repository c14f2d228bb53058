import numpy as np
import pytest

from dlbook.perceptron import perceptron_fit, perceptron_predict


def separable(n=100, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, (n, 2))
    y = (X[:, 0] + 2 * X[:, 1] > 0.1).astype(int)
    return X, y


def test_predict_is_a_thresholded_weighted_sum():
    w = np.array([-1.0, 2.0, 0.5])
    X = np.array([[1.0, 0.0], [0.0, 1.0], [0.5, 0.0]])
    np.testing.assert_array_equal(perceptron_predict(w, X), [1, 0, 1])


def test_rule_converges_on_separable_data():
    X, y = separable()
    fit = perceptron_fit(X, y, epochs=100)
    assert fit.errors[-1] == 0
    np.testing.assert_array_equal(perceptron_predict(fit.w, X), y)


def test_rule_never_converges_on_xor():
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
    fit = perceptron_fit(X, np.array([0, 1, 1, 0]), epochs=50)
    assert np.all(fit.errors > 0)


def test_fit_is_deterministic_under_a_seed():
    X, y = separable()
    np.testing.assert_array_equal(perceptron_fit(X, y, seed=3).w, perceptron_fit(X, y, seed=3).w)


@pytest.mark.parametrize("call, match", [
    (lambda: perceptron_fit(np.ones(3), np.ones(3)), r"X must have shape \(N, D\)"),
    (lambda: perceptron_fit(np.ones((3, 2)), np.array([0, 1, 2])), "0/1 labels"),
    (lambda: perceptron_fit(np.ones((3, 2)), np.array([0, 1, 1]), learning_rate=0), "learning_rate"),
    (lambda: perceptron_fit(np.ones((3, 2)), np.array([0, 1, 1]), epochs=0), "epochs"),
    (lambda: perceptron_predict(np.ones(2), np.ones((3, 2))), r"w must have shape \(3,\)"),
    (lambda: perceptron_predict(np.ones(3), np.full((3, 2), np.nan)), "finite"),
])
def test_bad_inputs_are_named(call, match):
    with pytest.raises(ValueError, match=match):
        call()
