"""Backpropagation from scratch (chapter 3), in the notation of the lecture notes.

A network with layers l = 1 .. L has one weight matrix per connection,
W(l) of shape m x (n + 1) from a layer of n units to a layer of m units. Its
first column multiplies the bias unit a_0 = 1, so

    z(l+1) = W(l) [1; a(l)],        a(l+1) = h(z(l+1)).

Examples are processed as a batch, one example per row: activations have
shape (N, n) and the forward step is Z = [1, A] W^T. Hidden units use the
activation ``h`` (sigmoid unless told otherwise); the output units are
sigmoids and the cost is the binary cross-entropy, the negative
log-likelihood of the labels, averaged over the batch.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from dlbook import activations, losses


class Cache(NamedTuple):
    """What the backward pass needs: each layer's input with its bias column, and each z."""

    inputs: list[np.ndarray]  # [1, a(l)] for l = 1 .. L-1, shapes (N, n_l + 1)
    zs: list[np.ndarray]  # z(l+1) for the same layers, shapes (N, n_{l+1})
    activation: str


def init_weights(layer_sizes, seed: int = 0) -> list[np.ndarray]:
    """Weight matrices W(l) of shape (n_{l+1}, n_l + 1) for ``layer_sizes`` [n_1, ..., n_L].

    Weights are drawn from U(-r, r) with r = sqrt(6 / (n_l + n_{l+1})) (Glorot
    uniform, what Keras' Dense layers use); the bias column starts at zero.
    """
    sizes = list(layer_sizes)
    if len(sizes) < 2 or any(isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1
                             for n in sizes):
        raise ValueError(f"layer_sizes must be at least two positive ints, got {layer_sizes!r}")
    rng = np.random.default_rng(seed)
    weights = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True):
        r = np.sqrt(6 / (n_in + n_out))
        weights.append(np.hstack([np.zeros((n_out, 1)), rng.uniform(-r, r, (n_out, n_in))]))
    return weights


def forward(weights, X, activation: str = "sigmoid") -> tuple[np.ndarray, Cache]:
    """The forward pass: z(l+1) = W(l) [1; a(l)], a(l+1) = h(z(l+1)); sigmoid at the output.

    ``X`` is (N, n_1); returns the output a(L) of shape (N, n_L) and the cache.
    """
    weights = _check_weights(weights)
    X = _check_inputs(X, weights)
    h, _ = activations.get(activation)
    a, inputs, zs = X, [], []
    for l, W in enumerate(weights):
        a_bias = np.hstack([np.ones((a.shape[0], 1)), a])
        z = a_bias @ W.T
        last = l == len(weights) - 1
        a = activations.sigmoid(z) if last else h(z)
        inputs.append(a_bias)
        zs.append(z)
    return a, Cache(inputs, zs, activation)


def cost(y_hat, y) -> float:
    """J = -mean[y log y_hat + (1 - y) log(1 - y_hat)], the binary cross-entropy."""
    return losses.binary_crossentropy(_check_labels(y, np.shape(y_hat)), y_hat)


def backward(weights, cache: Cache, y) -> list[np.ndarray]:
    """Gradients dJ/dW(l) by the delta recursion, for any number of layers.

    1. Output error: delta(L) = a(L) - y (divided by the number of entries, as
       J is a mean). Sign convention: this is the gradient of the negative
       log-likelihood we minimise; the notes write y - a(L) for the
       log-likelihood they maximise.
    2. Backwards: delta(l) = (W(l)^T delta(l+1)) * h'(z(l)), with the bias row dropped.
    3. Gradients: dJ/dW(l) = delta(l+1) [1; a(l)]^T, summed over the batch.
    """
    weights = _check_weights(weights)
    if not isinstance(cache, Cache) or len(cache.zs) != len(weights):
        raise ValueError("cache must be the Cache that forward() returned for these weights")
    y = _check_labels(y, cache.zs[-1].shape)
    _, h_prime = activations.get(cache.activation)
    delta = (activations.sigmoid(cache.zs[-1]) - y) / y.size
    grads = [np.empty(0)] * len(weights)
    for l in reversed(range(len(weights))):
        grads[l] = delta.T @ cache.inputs[l]
        if l > 0:
            delta = (delta @ weights[l])[:, 1:] * h_prime(cache.zs[l - 1])
    return grads


def train(weights, X, y, learning_rate: float, epochs: int,
          activation: str = "sigmoid") -> tuple[list[np.ndarray], np.ndarray]:
    """Full-batch gradient descent W(l) <- W(l) - eta dJ/dW(l); returns new weights and J per epoch.

    The cost history has ``epochs + 1`` entries: before training and after each epoch.
    The weights passed in are not modified.
    """
    if not (np.isfinite(learning_rate) and learning_rate > 0):
        raise ValueError(f"learning_rate must be a positive finite number, got {learning_rate}")
    if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 0:
        raise ValueError(f"epochs must be an int >= 0, got {epochs!r}")
    weights = [W.copy() for W in _check_weights(weights)]
    history = []
    for _ in range(epochs):
        y_hat, cache = forward(weights, X, activation)
        history.append(cost(y_hat, y))
        for W, grad in zip(weights, backward(weights, cache, y), strict=True):
            W -= learning_rate * grad
    history.append(cost(forward(weights, X, activation)[0], y))
    return weights, np.array(history)


def predict(weights, X, activation: str = "sigmoid") -> np.ndarray:
    """Output probabilities a(L), shape (N, n_L)."""
    return forward(weights, X, activation)[0]


def to_keras_weights(weights) -> list[np.ndarray]:
    """The same network as Keras Dense weights: [kernel W[:, 1:]^T, bias W[:, 0]] per layer."""
    out = []
    for W in _check_weights(weights):
        out += [W[:, 1:].T.copy(), W[:, 0].copy()]
    return out


def _check_weights(weights) -> list[np.ndarray]:
    if isinstance(weights, np.ndarray) or not weights:
        raise ValueError("weights must be a non-empty list of matrices W(l) of shape (m, n + 1)")
    weights = [np.asarray(W, dtype=np.float64) for W in weights]
    for l, W in enumerate(weights):
        if W.ndim != 2 or W.shape[1] < 2:
            raise ValueError(f"weights[{l}] must have shape (m, n + 1) with n >= 1, got {W.shape}")
        if not np.all(np.isfinite(W)):
            raise ValueError(f"weights[{l}] must be finite; found NaN or inf")
        if l and W.shape[1] != weights[l - 1].shape[0] + 1:
            raise ValueError(f"weights[{l}] must have {weights[l - 1].shape[0] + 1} columns "
                             f"(the previous layer's units plus the bias), got {W.shape}")
    return weights


def _check_inputs(X, weights) -> np.ndarray:
    X = np.asarray(X, dtype=np.float64)
    n_in = weights[0].shape[1] - 1
    if X.ndim != 2 or X.shape[1] != n_in:
        raise ValueError(f"X must have shape (N, {n_in}) to match weights[0], got {X.shape}")
    if not np.all(np.isfinite(X)):
        raise ValueError("X must be finite; found NaN or inf")
    return X


def _check_labels(y, shape) -> np.ndarray:
    """Labels in [0, 1] shaped like the output; (N,) is accepted for one output unit."""
    y = np.asarray(y, dtype=np.float64)
    if y.ndim == 1 and len(shape) == 2 and shape[1] == 1:
        y = y[:, None]
    if y.shape != tuple(shape):
        raise ValueError(f"y must have shape {tuple(shape)} like the network's output, got {y.shape}")
    if not np.all((y >= 0) & (y <= 1)):
        raise ValueError("y must hold labels in [0, 1] (NaN is not allowed)")
    return y
