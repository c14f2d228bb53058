import keras
import numpy as np
import pytest
from scipy import stats

from dlbook import backend, losses
from dlbook.activations import sigmoid, softmax
from dlbook.gradcheck import numerical_gradient, relative_error
from tests.tolerances import KERAS64_RTOL

RNG = np.random.default_rng(0)
N, K = 6, 4
LABELS = RNG.integers(0, K, N)
ONE_HOT = np.eye(K)[LABELS]
LOGITS = RNG.normal(scale=2, size=(N, K))
PROBS = softmax(LOGITS)  # in about [1e-3, 1]: far from the clip region
Y_BIN = RNG.integers(0, 2, (N, 3)).astype(float)
Z_BIN = RNG.normal(size=(N, 3))
Y_REG, Y_HAT = RNG.normal(size=(N, 3)), RNG.normal(size=(N, 3))

# name: (our loss, its gradient, the Keras loss class and arguments, targets, prediction)
CASES = {
    "mse": (losses.mse, losses.mse_grad, keras.losses.MeanSquaredError, {}, Y_REG, Y_HAT),
    "mae": (losses.mae, losses.mae_grad, keras.losses.MeanAbsoluteError, {}, Y_REG, Y_HAT),
    "bce": (losses.binary_crossentropy, losses.binary_crossentropy_grad,
            keras.losses.BinaryCrossentropy, {}, Y_BIN, sigmoid(Z_BIN)),
    "bce_logits": (losses.binary_crossentropy_from_logits,
                   losses.binary_crossentropy_from_logits_grad,
                   keras.losses.BinaryCrossentropy, {"from_logits": True}, Y_BIN, Z_BIN),
    "cce": (losses.categorical_crossentropy, losses.categorical_crossentropy_grad,
            keras.losses.CategoricalCrossentropy, {}, ONE_HOT, PROBS),
    "cce_logits": (losses.categorical_crossentropy_from_logits,
                   losses.categorical_crossentropy_from_logits_grad,
                   keras.losses.CategoricalCrossentropy, {"from_logits": True}, ONE_HOT, LOGITS),
    "sparse": (losses.sparse_categorical_crossentropy,
               losses.sparse_categorical_crossentropy_grad,
               keras.losses.SparseCategoricalCrossentropy, {}, LABELS, PROBS),
    "sparse_logits": (losses.sparse_categorical_crossentropy_from_logits,
                      losses.sparse_categorical_crossentropy_from_logits_grad,
                      keras.losses.SparseCategoricalCrossentropy, {"from_logits": True},
                      LABELS, LOGITS),
}


def keras_loss(name):
    """The Keras counterpart of a case, computing in float64 so that we can compare tightly."""
    _, _, cls, kwargs, _, _ = CASES[name]
    return cls(dtype="float64", **kwargs)


@pytest.mark.parametrize("name", CASES)
def test_loss_matches_keras(name):
    ours, _, _, _, y, prediction = CASES[name]
    expected = float(keras.ops.convert_to_numpy(keras_loss(name)(y, prediction)))
    assert ours(y, prediction) == pytest.approx(expected, rel=KERAS64_RTOL)


@pytest.mark.parametrize("name", CASES)
def test_loss_gradient_matches_finite_differences(name):
    ours, grad, _, _, y, prediction = CASES[name]
    numeric = numerical_gradient(lambda p: ours(y, p), prediction.copy())
    assert relative_error(grad(y, prediction), numeric) < 1e-7


def without_row_means(g):
    return g - g.mean(axis=1, keepdims=True)


@pytest.mark.parametrize("name", CASES)
def test_loss_gradient_matches_keras_autodiff(name):
    _, grad, _, _, y, prediction = CASES[name]
    loss = keras_loss(name)
    (expected,) = backend.autodiff_gradient(lambda params: loss(y, params[0]), [prediction])
    ours = grad(y, prediction)
    if name in ("cce", "sparse"):
        # Keras first rescales each row of p to sum to 1, which adds the same number to every
        # entry of a row's gradient. Along the directions a softmax can move p (those keeping
        # the row sum at 1) both gradients must agree: compare them with the row means removed.
        ours, expected = without_row_means(ours), without_row_means(expected)
    assert relative_error(ours, expected) < KERAS64_RTOL


def test_binary_crossentropy_is_the_bernoulli_negative_log_likelihood():
    p = sigmoid(Z_BIN)
    nll = -np.mean(stats.bernoulli.logpmf(Y_BIN, p))
    assert losses.binary_crossentropy(Y_BIN, p) == pytest.approx(nll, rel=1e-12)


def test_sparse_equals_categorical_on_one_hot_labels():
    assert losses.sparse_categorical_crossentropy(LABELS, PROBS) == pytest.approx(
        losses.categorical_crossentropy(ONE_HOT, PROBS), rel=1e-15)


def test_logit_forms_equal_the_probability_forms_away_from_the_clip():
    assert losses.binary_crossentropy_from_logits(Y_BIN, Z_BIN) == pytest.approx(
        losses.binary_crossentropy(Y_BIN, sigmoid(Z_BIN)), rel=1e-12)
    assert losses.categorical_crossentropy_from_logits(ONE_HOT, LOGITS) == pytest.approx(
        losses.categorical_crossentropy(ONE_HOT, PROBS), rel=1e-12)


def test_naive_sigmoid_then_log_returns_inf_where_from_logits_stays_exact():
    y, z = np.array([0.0, 1.0]), np.array([40.0, -40.0])  # confidently wrong
    with np.errstate(divide="ignore"):
        naive = -np.mean(y * np.log(sigmoid(z)) + (1 - y) * np.log(1 - sigmoid(z)))
    assert np.isinf(naive)
    # exact value: softplus(40) = 40 + log(1 + e^-40), and e^-40 is below float64's resolution
    assert losses.binary_crossentropy_from_logits(y, z) == 40.0
    # the clipped probability form stays finite but saturates at -log(eps)
    assert losses.binary_crossentropy(y, sigmoid(z)) == pytest.approx(-np.log(losses.EPSILON),
                                                                     rel=1e-6)


def test_naive_softmax_then_log_returns_nan_where_from_logits_stays_exact():
    z, y = np.array([[1000.0, 0.0]]), np.array([[0.0, 1.0]])
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        e = np.exp(z)
        naive = -np.sum(y * np.log(e / e.sum(axis=1, keepdims=True)))
    assert np.isnan(naive)
    assert losses.categorical_crossentropy_from_logits(y, z) == 1000.0
    assert losses.sparse_categorical_crossentropy_from_logits(np.array([1]), z) == 1000.0


def test_gradient_is_zero_where_the_probability_was_clipped():
    y, p = np.array([1.0, 0.0, 1.0]), np.array([5e-8, 1 - 5e-8, 0.5])
    grad = losses.binary_crossentropy_grad(y, p)
    numeric = numerical_gradient(lambda q: losses.binary_crossentropy(y, q), p.copy(), eps=1e-9)
    assert grad[0] == 0 and grad[1] == 0 and grad[2] != 0
    np.testing.assert_allclose(grad, numeric, rtol=1e-6)
    probs = np.array([[5e-8, 1 - 5e-8]])
    assert np.all(losses.sparse_categorical_crossentropy_grad(np.array([0]), probs) == 0)


def test_mae_is_less_sensitive_to_an_outlier_than_mse():
    y, y_hat = np.zeros(10), np.zeros(10)
    y_hat[0] = 100.0
    assert losses.mse(y, y_hat) == 1000.0 and losses.mae(y, y_hat) == 10.0


@pytest.mark.parametrize("call, error, match", [
    (lambda: losses.mse(np.ones(3), np.ones(4)), ValueError,
     r"y and y_hat must have the same non-scalar shape, got \(3,\) and \(4,\)"),
    (lambda: losses.mse(1.0, 2.0), ValueError, "same non-scalar shape"),
    (lambda: losses.mse("1", np.ones(2)), TypeError, "y must be a float array, got str"),
    (lambda: losses.mae(np.ones(2), np.array([1.0, np.inf])), ValueError, "y_hat must be finite"),
    (lambda: losses.mae(np.array([np.nan, 1.0]), np.ones(2)), ValueError, "y must be finite"),
    (lambda: losses.binary_crossentropy(np.ones(2), np.array([0.5, 1.5])), ValueError,
     r"p must hold probabilities in \[0, 1\], got values in \[0.5, 1.5\]"),
    (lambda: losses.binary_crossentropy_from_logits(np.ones(2), np.ones(3)), ValueError,
     "y and z must have the same"),
    (lambda: losses.categorical_crossentropy(ONE_HOT, PROBS[:, 0]), ValueError,
     r"p must be a 2-D array of shape \(N, K\).*got shape \(6,\)"),
    (lambda: losses.categorical_crossentropy_grad(ONE_HOT, -PROBS), ValueError,
     "p must hold probabilities"),
    (lambda: losses.sparse_categorical_crossentropy(np.array([0, 5]), PROBS[:2]), ValueError,
     r"labels must lie in 0 \.\. 3, got values from 0 to 5"),
    (lambda: losses.sparse_categorical_crossentropy(np.array([0.0, 1.0]), PROBS[:2]), TypeError,
     "labels must be an int array of class labels, got dtype float64"),
    (lambda: losses.sparse_categorical_crossentropy(LABELS[:3], PROBS), ValueError,
     r"labels must have shape \(6,\), one per row of p"),
    (lambda: losses.sparse_categorical_crossentropy(LABELS[:, None], PROBS), ValueError,
     r"labels must have shape \(N,\)"),
    (lambda: losses.sparse_categorical_crossentropy_from_logits(LABELS, LOGITS[0]), ValueError,
     r"z must be a 2-D array of shape \(N, K\)"),
])
def test_bad_inputs_are_named(call, error, match):
    with pytest.raises(error, match=match):
        call()
