
import keras
import numpy as np
import pytest

from dlbook import activations, backend, backprop
from dlbook.gradcheck import numerical_gradient, relative_error
from tests.jax_run import run_on_jax


def problem(sizes, n=20, seed=0):
    """Random inputs, 0/1 labels and weights moved off Glorot's zero biases.

    n is not a power of two, so that a 1/n computed in float32 would show.
    """
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, sizes[0]))
    y = rng.integers(0, 2, (n, sizes[-1])).astype(float)
    weights = [W + rng.normal(scale=0.1, size=W.shape)
               for W in backprop.init_weights(sizes, seed=seed)]
    return weights, X, y


def numeric_grads(weights, X, y, activation):
    def cost_at(l):
        return lambda W: backprop.cost(
            backprop.predict(weights[:l] + [W] + weights[l + 1:], X, activation), y)
    return [numerical_gradient(cost_at(l), W.copy()) for l, W in enumerate(weights)]


@pytest.mark.parametrize("sizes, activation", [
    ([2, 3, 1], "sigmoid"),        # the worked network of the chapter
    ([4, 5, 3, 1], "sigmoid"),     # deeper
    ([3, 4, 4, 2], "tanh"),        # another activation, two outputs
    ([3, 6, 5, 4, 1], "elu"),
    ([2, 5, 1], "leaky_relu"),
])
def test_backward_matches_finite_differences(sizes, activation):
    weights, X, y = problem(sizes)
    _, cache = backprop.forward(weights, X, activation)
    grads = backprop.backward(weights, cache, y)
    for analytic, numeric in zip(grads, numeric_grads(weights, X, y, activation), strict=True):
        assert analytic.shape == numeric.shape
        assert relative_error(analytic, numeric) < 1e-7


def test_output_delta_is_the_derivative_of_the_cost_by_z_of_the_output():
    rng = np.random.default_rng(2)
    z, y = rng.normal(size=(8, 2)), rng.integers(0, 2, (8, 2)).astype(float)
    numeric = numerical_gradient(lambda z: backprop.cost(activations.sigmoid(z), y), z.copy())
    assert relative_error(backprop.output_delta(activations.sigmoid(z), y), numeric) < 1e-7


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "selu"])
def test_hidden_delta_is_the_derivative_of_the_cost_by_z_of_the_hidden_layer(activation):
    weights, X, y = problem([2, 3, 1])
    h, _ = activations.get(activation)
    z2 = backprop.forward(weights, X, activation)[1].z[0]

    def cost_from(z):  # the rest of the network, from z(2) on
        return backprop.cost(activations.sigmoid(backprop.add_bias(h(z)) @ weights[1].T), y)

    y_hat = activations.sigmoid(backprop.add_bias(h(z2)) @ weights[1].T)
    delta2 = backprop.hidden_delta(backprop.output_delta(y_hat, y), weights[1], z2, activation)
    assert relative_error(delta2, numerical_gradient(cost_from, z2.copy())) < 1e-7


def test_weight_gradient_is_the_outer_product_summed_over_the_batch():
    rng = np.random.default_rng(4)
    delta, a_bias = rng.normal(size=(5, 2)), backprop.add_bias(rng.normal(size=(5, 3)))
    expected = sum(np.outer(delta[n], a_bias[n]) for n in range(5))
    np.testing.assert_allclose(backprop.weight_gradient(delta, a_bias), expected, rtol=1e-12)


def ops_cost(X, y):
    """The same sigmoid network and cost as backprop, written independently with keras.ops."""
    def cost(ws):
        a = keras.ops.convert_to_tensor(X)
        for W in ws:
            ones = keras.ops.ones((X.shape[0], 1), dtype="float64")
            a = keras.ops.sigmoid(keras.ops.matmul(keras.ops.concatenate([ones, a], axis=1),
                                                   keras.ops.transpose(W)))
        # sum / size, not keras.ops.mean: under JAX, Keras 3.15 takes the mean of
        # float64 in float32 precision
        return -keras.ops.sum(y * keras.ops.log(a) + (1 - y) * keras.ops.log(1 - a)) / y.size
    return cost


def test_backward_matches_automatic_differentiation():
    weights, X, y = problem([3, 5, 4, 2])
    _, cache = backprop.forward(weights, X)
    auto = backend.autodiff_gradient(ops_cost(X, y), weights)
    for ours, theirs in zip(backprop.backward(weights, cache, y), auto, strict=True):
        assert relative_error(ours, theirs) < 1e-10


JAX_SCRIPT = """
import json
from dlbook import activations, backend, backprop
from dlbook.gradcheck import relative_error
from tests.test_backprop import ops_cost, problem
weights, X, y = problem([3, 5, 4, 2])
_, cache = backprop.forward(weights, X)
auto = backend.autodiff_gradient(ops_cost(X, y), weights)
ours = backprop.backward(weights, cache, y)
print(json.dumps({"backend": backend.name(),
                  "errors": [relative_error(a, b) for a, b in zip(ours, auto)]}))
"""


@pytest.mark.slow
def test_backward_matches_automatic_differentiation_under_jax():
    result = run_on_jax(JAX_SCRIPT)
    assert result["backend"] == "jax"
    assert len(result["errors"]) == 3
    assert max(result["errors"]) < 1e-10


def test_cost_and_accuracy_match_keras():
    rng = np.random.default_rng(3)
    y_hat, y = rng.uniform(0.01, 0.99, (50, 2)), rng.integers(0, 2, (50, 2)).astype(float)
    # Keras clips at 1e-7 and works in float32 by default: agreement to 1e-6 relative
    expected = float(keras.ops.mean(keras.losses.binary_crossentropy(y, y_hat)))
    assert backprop.cost(y_hat, y) == pytest.approx(expected, rel=1e-6)
    expected = float(keras.ops.mean(keras.metrics.binary_accuracy(y, y_hat)))
    assert backprop.accuracy(y_hat, y) == pytest.approx(expected, abs=1e-7)


def test_labels_of_shape_n_are_accepted_for_one_output_unit():
    weights, X, y = problem([2, 3, 1])
    y_hat, cache = backprop.forward(weights, X)
    assert backprop.cost(y_hat, y.ravel()) == backprop.cost(y_hat, y)
    for a, b in zip(backprop.backward(weights, cache, y.ravel()),
                    backprop.backward(weights, cache, y), strict=True):
        np.testing.assert_array_equal(a, b)


def test_forward_equals_a_keras_model_with_the_same_weights():
    from dlbook.models import build_mlp

    weights, X, _ = problem([2, 3, 1])
    model = build_mlp(2, [3], 1, hidden_activation="sigmoid", output_activation="sigmoid")
    model.set_weights(backprop.to_keras_weights(weights))
    y_hat, cache = backprop.forward(weights, X)
    np.testing.assert_allclose(y_hat, model.predict(X, verbose=0), atol=1e-6)  # Keras: float32
    assert [A.shape for A in cache.a_bias] == [(20, 3), (20, 4)]
    assert [Z.shape for Z in cache.z] == [(20, 3), (20, 1)]
    np.testing.assert_array_equal(cache.a_bias[0][:, 0], 1)


def test_training_follows_keras_sgd_step_by_step():
    from dlbook.models import build_mlp

    weights, X, y = problem([2, 3, 1], n=32)
    trained, history = backprop.train(weights, X, y, learning_rate=0.5, epochs=10)
    keras.utils.set_random_seed(0)
    model = build_mlp(2, [3], 1, hidden_activation="sigmoid", output_activation="sigmoid")
    model.set_weights(backprop.to_keras_weights(weights))
    model.compile(keras.optimizers.SGD(0.5), "binary_crossentropy", metrics=["accuracy"])
    logs = model.fit(X, y, batch_size=len(X), epochs=10, shuffle=False, verbose=0).history
    # Keras logs each epoch's loss before that epoch's update
    np.testing.assert_allclose(history.cost[:-1], logs["loss"], atol=1e-6)
    np.testing.assert_allclose(history.accuracy[:-1], logs["accuracy"], atol=1e-6)
    for ours, theirs in zip(backprop.to_keras_weights(trained), model.get_weights(), strict=True):
        np.testing.assert_allclose(ours, theirs, atol=1e-5)


def test_training_learns_xor():
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
    y = np.array([0, 1, 1, 0], dtype=float)
    weights, history = backprop.train(backprop.init_weights([2, 4, 1], seed=1), X, y,
                                      learning_rate=2.0, epochs=3000)
    assert len(history.cost) == len(history.accuracy) == 3001
    assert history.cost[-1] < 0.1 * history.cost[0]
    assert history.accuracy[-1] == 1.0
    np.testing.assert_array_equal(backprop.predict(weights, X).ravel() > 0.5, y > 0.5)


def test_training_with_relu_hidden_units_lowers_the_cost():
    weights, X, y = problem([4, 8, 1], n=64)
    _, history = backprop.train(weights, X, y, learning_rate=0.5, epochs=50, activation="relu")
    assert history.cost[-1] < history.cost[0]


def test_training_does_not_modify_the_weights_passed_in():
    weights, X, y = problem([2, 3, 1])
    before = [W.copy() for W in weights]
    backprop.train(weights, X, y, learning_rate=0.5, epochs=3)
    for W, W0 in zip(weights, before, strict=True):
        np.testing.assert_array_equal(W, W0)


def test_zero_epochs_returns_the_weights_and_the_initial_cost():
    weights, X, y = problem([2, 3, 1])
    trained, history = backprop.train(weights, X, y, learning_rate=0.5, epochs=0)
    np.testing.assert_array_equal(trained[0], weights[0])
    assert history.cost.tolist() == [backprop.cost(backprop.predict(weights, X), y)]


def test_init_weights_shapes_bias_column_range_and_determinism():
    weights = backprop.init_weights([2, 3, 1], seed=5)
    assert [W.shape for W in weights] == [(3, 3), (1, 4)]
    assert all(np.all(W[:, 0] == 0) for W in weights)
    assert np.all(np.abs(weights[0][:, 1:]) <= np.sqrt(6 / 5))  # Glorot: r = sqrt(6 / (2 + 3))
    np.testing.assert_array_equal(weights[0], backprop.init_weights([2, 3, 1], seed=5)[0])
    assert not np.array_equal(weights[0], backprop.init_weights([2, 3, 1], seed=6)[0])


def test_training_is_deterministic():
    weights, X, y = problem([2, 3, 1])
    first = backprop.train(weights, X, y, learning_rate=0.5, epochs=20)
    second = backprop.train(weights, X, y, learning_rate=0.5, epochs=20)
    np.testing.assert_array_equal(first[1].cost, second[1].cost)
    np.testing.assert_array_equal(first[0][1], second[0][1])


def other_cache(w, X):
    return backprop.forward(backprop.init_weights([2, 4, 1]), X)[1]


@pytest.mark.parametrize("call, error, match", [
    (lambda w, X, y: backprop.init_weights([3]), ValueError, "at least two layers"),
    (lambda w, X, y: backprop.init_weights([2, 0, 1]), ValueError,
     "layer_sizes must be a non-empty sequence of positive ints"),
    (lambda w, X, y: backprop.init_weights([2, 1], seed=-1), ValueError, "seed must be an int >= 0"),
    (lambda w, X, y: backprop.forward([], X), ValueError, "non-empty list"),
    (lambda w, X, y: backprop.forward(np.ones((1, 3, 3)), X), TypeError,
     r"weights must be a list of arrays of shape \(m, n \+ 1\), got ndarray"),
    (lambda w, X, y: backprop.forward([np.ones(3)], X), ValueError,
     r"weights\[0\] must be a 2-D array of shape \(m, n \+ 1\)"),
    (lambda w, X, y: backprop.forward([np.ones((3, 1))], X), ValueError,
     r"weights\[0\] must have shape \(m, n \+ 1\) with n >= 1"),
    (lambda w, X, y: backprop.forward(w, X[:, :1]), ValueError, r"X must have shape \(N, 2\)"),
    (lambda w, X, y: backprop.forward(w, X[0]), ValueError, r"X must be a 2-D array"),
    (lambda w, X, y: backprop.forward(w, X * np.nan), ValueError, "X must be finite"),
    (lambda w, X, y: backprop.forward([w[0], np.ones((1, 3))], X), ValueError,
     r"weights\[1\] must have 4 columns"),
    (lambda w, X, y: backprop.forward([w[0] * np.inf, w[1]], X), ValueError,
     r"weights\[0\] must be finite"),
    (lambda w, X, y: backprop.forward(w, X, activation="swish"), ValueError,
     "activation must be one of"),
    (lambda w, X, y: backprop.forward(w, X, activation=None), TypeError,
     "activation must be one of"),
    (lambda w, X, y: backprop.backward(w, backprop.forward(w, X)[1], y[:3]), ValueError,
     r"y must have shape \(20, 1\)"),
    (lambda w, X, y: backprop.backward(w, None, y), TypeError, "cache must be the Cache"),
    (lambda w, X, y: backprop.backward(w, other_cache(w, X), y), ValueError, "cache must be"),
    (lambda w, X, y: backprop.cost(np.full((20, 1), 0.5), y * 2), ValueError,
     r"y must hold labels in \[0, 1\], got values in \[0.0, 2.0\]"),
    (lambda w, X, y: backprop.cost(np.full((20, 1), 0.5), y * np.nan), ValueError,
     "y must be finite"),
    (lambda w, X, y: backprop.cost(np.full((20, 2), 0.5), y.ravel()), ValueError,
     r"y must have shape \(20, 2\)"),
    (lambda w, X, y: backprop.train(w, X, y, learning_rate=-1, epochs=2), ValueError,
     "learning_rate must be a positive"),
    (lambda w, X, y: backprop.train(w, X, y, learning_rate="0.1", epochs=2), TypeError,
     "learning_rate must be a number, got str"),
    (lambda w, X, y: backprop.train(w, X, y, learning_rate=0.1, epochs=-1), ValueError,
     "epochs must be an int >= 0"),
    (lambda w, X, y: backprop.train(w, X, y, learning_rate=0.1, epochs=1.0), TypeError,
     "epochs must be an int, got float"),
    (lambda w, X, y: backprop.train(w, X, y[:4], learning_rate=0.1, epochs=1), ValueError,
     "y must have shape"),
    (lambda w, X, y: backprop.add_bias(X[0]), ValueError, r"a must be a 2-D array"),
    (lambda w, X, y: backprop.accuracy(y * np.nan, y), ValueError, "y_hat must be finite"),
    (lambda w, X, y: backprop.output_delta(y.ravel(), y), ValueError, "y_hat must be a 2-D"),
    (lambda w, X, y: backprop.hidden_delta(y, w[1], X), ValueError,
     r"expected delta_next \(N, m\), W \(m, n \+ 1\) and z \(N, n\), got \(20, 1\), "
     r"\(1, 4\) and \(20, 2\)"),
    (lambda w, X, y: backprop.hidden_delta(y, w[1], X @ w[0][:, 1:].T, "step"), ValueError,
     "activation must be one of"),
    (lambda w, X, y: backprop.weight_gradient(y[:4], X), ValueError,
     "delta_next and a_bias must have the same number of rows"),
    (lambda w, X, y: backprop.weight_gradient(y, X[:, 0]), ValueError,
     r"a_bias must be a 2-D array of shape \(N, n \+ 1\)"),
])
def test_bad_inputs_are_named(call, error, match):
    weights, X, y = problem([2, 3, 1])
    with pytest.raises(error, match=match):
        call(weights, X, y)
