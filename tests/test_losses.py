import keras
import numpy as np
import pytest

from dlbook import losses
from dlbook.activations import sigmoid, softmax
from dlbook.gradcheck import numerical_gradient, relative_error

RNG = np.random.default_rng(0)
N, K = 6, 4
LABELS = RNG.integers(0, K, N)
ONE_HOT = np.eye(K)[LABELS]
LOGITS = RNG.normal(scale=2, size=(N, K))
PROBS = softmax(LOGITS)
Y_BIN = RNG.integers(0, 2, (N, 3)).astype(float)
Z_BIN = RNG.normal(size=(N, 3))
Y_REG, Y_HAT = RNG.normal(size=(N, 3)), RNG.normal(size=(N, 3))

# (ours, its gradient, the Keras loss, y, prediction): predictions stay away from 0 and 1
CASES = {
    "mse": (losses.mse, losses.mse_grad, keras.losses.MeanSquaredError(), Y_REG, Y_HAT),
    "mae": (losses.mae, losses.mae_grad, keras.losses.MeanAbsoluteError(), Y_REG, Y_HAT),
    "bce": (losses.binary_crossentropy, losses.binary_crossentropy_grad,
            keras.losses.BinaryCrossentropy(), Y_BIN, sigmoid(Z_BIN)),
    "bce_logits": (losses.binary_crossentropy_from_logits,
                   losses.binary_crossentropy_from_logits_grad,
                   keras.losses.BinaryCrossentropy(from_logits=True), Y_BIN, Z_BIN),
    "cce": (losses.categorical_crossentropy, losses.categorical_crossentropy_grad,
            keras.losses.CategoricalCrossentropy(), ONE_HOT, PROBS),
    "cce_logits": (losses.categorical_crossentropy_from_logits,
                   losses.categorical_crossentropy_from_logits_grad,
                   keras.losses.CategoricalCrossentropy(from_logits=True), ONE_HOT, LOGITS),
    "sparse": (losses.sparse_categorical_crossentropy,
               losses.sparse_categorical_crossentropy_grad,
               keras.losses.SparseCategoricalCrossentropy(), LABELS, PROBS),
    "sparse_logits": (losses.sparse_categorical_crossentropy_from_logits,
                      losses.sparse_categorical_crossentropy_from_logits_grad,
                      keras.losses.SparseCategoricalCrossentropy(from_logits=True), LABELS, LOGITS),
}


@pytest.mark.parametrize("name", CASES)
def test_loss_matches_keras(name):
    ours, _, theirs, y, pred = CASES[name]
    expected = float(keras.ops.convert_to_numpy(theirs(y, pred)))
    assert ours(y, pred) == pytest.approx(expected, rel=1e-5)  # Keras computes in float32


@pytest.mark.parametrize("name", CASES)
def test_loss_gradient_matches_finite_differences(name):
    ours, grad, _, y, pred = CASES[name]
    pred = np.array(pred, dtype=np.float64)
    numeric = numerical_gradient(lambda p: ours(y, p), pred.copy(), eps=1e-7)
    assert relative_error(grad(y, pred), numeric) < 1e-7


def test_sparse_equals_categorical_on_one_hot_labels():
    assert losses.sparse_categorical_crossentropy(LABELS, PROBS) == pytest.approx(
        losses.categorical_crossentropy(ONE_HOT, PROBS))


def test_logit_forms_equal_the_probability_forms_where_both_are_exact():
    assert losses.binary_crossentropy_from_logits(Y_BIN, Z_BIN) == pytest.approx(
        losses.binary_crossentropy(Y_BIN, sigmoid(Z_BIN)), rel=1e-6)
    assert losses.categorical_crossentropy_from_logits(ONE_HOT, LOGITS) == pytest.approx(
        losses.categorical_crossentropy(ONE_HOT, PROBS), rel=1e-6)


def test_from_logits_is_stable_where_sigmoid_then_log_is_not():
    y, z = np.array([0.0, 1.0]), np.array([40.0, -40.0])  # confidently wrong
    with np.errstate(divide="ignore"):
        naive = -np.mean(y * np.log(sigmoid(z)) + (1 - y) * np.log(1 - sigmoid(z)))
    assert np.isinf(naive)
    assert losses.binary_crossentropy_from_logits(y, z) == pytest.approx(40.0, rel=1e-12)
    # the clipped probability form stays finite but saturates at -log(eps)
    assert losses.binary_crossentropy(y, sigmoid(z)) == pytest.approx(-np.log(1e-7), rel=1e-3)


def test_mae_is_less_sensitive_to_an_outlier_than_mse():
    y, y_hat = np.zeros(10), np.zeros(10)
    y_hat[0] = 100.0
    assert losses.mse(y, y_hat) / losses.mae(y, y_hat) == pytest.approx(100.0)


@pytest.mark.parametrize("call, match", [
    (lambda: losses.mse(np.ones(3), np.ones(4)), "same non-scalar shape"),
    (lambda: losses.mae(np.ones(2), np.array([1.0, np.inf])), "y_hat must be finite"),
    (lambda: losses.binary_crossentropy(np.ones(2), np.array([0.5, 1.5])), "p must hold probab"),
    (lambda: losses.categorical_crossentropy(np.ones(3), np.ones(3) / 3), r"shape \(N, K\)"),
    (lambda: losses.sparse_categorical_crossentropy(np.array([0, 5]), PROBS[:2]), "labels must lie"),
    (lambda: losses.sparse_categorical_crossentropy(np.array([0.0, 1.0]), PROBS[:2]), "integers"),
    (lambda: losses.sparse_categorical_crossentropy_from_logits(LABELS, LOGITS[0]), "z must have"),
])
def test_bad_inputs_are_named(call, match):
    with pytest.raises(ValueError, match=match):
        call()
