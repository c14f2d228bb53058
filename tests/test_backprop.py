import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest

from dlbook import backend, backprop
from dlbook.gradcheck import numerical_gradient, relative_error


def problem(sizes, n=16, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, sizes[0]))
    y = rng.integers(0, 2, (n, sizes[-1])).astype(float)
    return backprop.init_weights(sizes, seed=seed), X, y


def numeric_grads(weights, X, y, activation):
    def cost_at(l):
        return lambda W: backprop.cost(
            backprop.forward(weights[:l] + [W] + weights[l + 1:], X, activation)[0], y)
    return [numerical_gradient(cost_at(l), W.copy()) for l, W in enumerate(weights)]


@pytest.mark.parametrize("sizes, activation", [
    ([2, 3, 1], "sigmoid"),        # the worked network of the chapter
    ([4, 5, 3, 1], "sigmoid"),     # deeper
    ([3, 4, 4, 2], "tanh"),        # other activation, two outputs
    ([3, 6, 5, 4, 1], "elu"),
])
def test_backward_matches_finite_differences(sizes, activation):
    weights, X, y = problem(sizes)
    weights = [W + np.random.default_rng(1).normal(scale=0.1, size=W.shape) for W in weights]
    _, cache = backprop.forward(weights, X, activation)
    grads = backprop.backward(weights, cache, y)
    for analytic, numeric in zip(grads, numeric_grads(weights, X, y, activation), strict=True):
        assert relative_error(analytic, numeric) < 1e-7


def ops_cost(X, y):
    """The same network and cost as backprop, written with keras.ops."""
    def cost(ws):
        a = keras.ops.convert_to_tensor(X)
        for W in ws:
            ones = keras.ops.ones((X.shape[0], 1), dtype="float64")
            a = keras.ops.sigmoid(keras.ops.matmul(keras.ops.concatenate([ones, a], axis=1),
                                                   keras.ops.transpose(W)))
        return -keras.ops.mean(y * keras.ops.log(a) + (1 - y) * keras.ops.log(1 - a))
    return cost


def test_backward_matches_automatic_differentiation():
    weights, X, y = problem([3, 5, 4, 2])
    _, cache = backprop.forward(weights, X)
    auto = backend.autodiff_gradient(ops_cost(X, y), weights)
    for ours, theirs in zip(backprop.backward(weights, cache, y), auto, strict=True):
        assert relative_error(ours, theirs) < 1e-10


JAX_SCRIPT = """
import json, numpy as np
from dlbook import backend, backprop
from tests.test_backprop import ops_cost, problem
weights, X, y = problem([3, 5, 4, 2])
_, cache = backprop.forward(weights, X)
auto = backend.autodiff_gradient(ops_cost(X, y), weights)
ours = backprop.backward(weights, cache, y)
print(json.dumps({"backend": backend.name(),
                  "errors": [float(np.linalg.norm(a - b) / (np.linalg.norm(a) + np.linalg.norm(b)))
                             for a, b in zip(ours, auto)]}))
"""


@pytest.mark.slow
def test_backward_matches_automatic_differentiation_under_jax():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ, KERAS_BACKEND="jax", JAX_PLATFORMS="cpu")
    out = subprocess.run([sys.executable, "-c", JAX_SCRIPT], cwd=root, env=env,
                         capture_output=True, text=True, check=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["backend"] == "jax"
    assert max(result["errors"]) < 1e-10


def test_forward_equals_a_keras_model_with_the_same_weights():
    from dlbook.models import build_mlp

    weights, X, _ = problem([2, 3, 1])
    model = build_mlp(2, [3], 1, hidden_activation="sigmoid", output_activation="sigmoid")
    model.set_weights(backprop.to_keras_weights(weights))
    np.testing.assert_allclose(backprop.predict(weights, X), model.predict(X, verbose=0), atol=1e-6)


def test_training_learns_xor():
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
    y = np.array([0, 1, 1, 0], dtype=float)
    weights, history = backprop.train(backprop.init_weights([2, 4, 1], seed=1), X, y,
                                      learning_rate=2.0, epochs=3000)
    assert history[-1] < 0.1 * history[0]
    np.testing.assert_array_equal(backprop.predict(weights, X).ravel() > 0.5, y > 0.5)


def test_training_does_not_modify_the_weights_passed_in():
    weights, X, y = problem([2, 3, 1])
    before = [W.copy() for W in weights]
    backprop.train(weights, X, y, learning_rate=0.5, epochs=3)
    for W, W0 in zip(weights, before, strict=True):
        np.testing.assert_array_equal(W, W0)


def test_init_weights_shapes_bias_column_and_determinism():
    weights = backprop.init_weights([2, 3, 1], seed=5)
    assert [W.shape for W in weights] == [(3, 3), (1, 4)]
    assert all(np.all(W[:, 0] == 0) for W in weights)
    np.testing.assert_array_equal(weights[0], backprop.init_weights([2, 3, 1], seed=5)[0])


@pytest.mark.parametrize("call, match", [
    (lambda w, X, y: backprop.init_weights([3]), "at least two positive ints"),
    (lambda w, X, y: backprop.forward([], X), "non-empty list"),
    (lambda w, X, y: backprop.forward(w, X[:, :1]), r"X must have shape \(N, 2\)"),
    (lambda w, X, y: backprop.forward([w[0], np.ones((1, 3))], X), "must have 4 columns"),
    (lambda w, X, y: backprop.forward([w[0] * np.nan, w[1]], X), "finite"),
    (lambda w, X, y: backprop.forward(w, X, activation="swish"), "name must be one of"),
    (lambda w, X, y: backprop.backward(w, backprop.forward(w, X)[1], y[:3]), "y must have shape"),
    (lambda w, X, y: backprop.backward(w, None, y), "cache must be"),
    (lambda w, X, y: backprop.cost(np.full((16, 1), 0.5), y * 2), r"labels in \[0, 1\]"),
    (lambda w, X, y: backprop.train(w, X, y, learning_rate=-1, epochs=2), "learning_rate"),
    (lambda w, X, y: backprop.train(w, X, y, learning_rate=0.1, epochs=-1), "epochs"),
])
def test_bad_inputs_are_named(call, match):
    weights, X, y = problem([2, 3, 1])
    with pytest.raises(ValueError, match=match):
        call(weights, X, y)
