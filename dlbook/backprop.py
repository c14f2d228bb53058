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

The five steps of the algorithm, one function each: :func:`forward`,
:func:`output_delta`, :func:`hidden_delta`, :func:`weight_gradient` (the
three composed by :func:`backward`) and the update in :func:`train`.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from dlbook import activations, losses, validation


class Cache(NamedTuple):
    """What the backward pass needs from the forward pass, for layers l = 1 .. L-1."""

    a_bias: list[np.ndarray]  # [1, a(l)], shapes (N, n_l + 1): each layer's input with its bias
    z: list[np.ndarray]  # z(l+1) = [1, a(l)] W(l)^T, shapes (N, n_{l+1})
    output: np.ndarray  # a(L), shape (N, n_L)
    activation: str  # the name of the hidden activation h


class History(NamedTuple):
    """Cost J and accuracy before training and after each epoch (``epochs + 1`` entries each)."""

    cost: np.ndarray
    accuracy: np.ndarray


def init_weights(layer_sizes, seed: int = 0) -> list[np.ndarray]:
    """Weight matrices W(l) of shape (n_{l+1}, n_l + 1) for ``layer_sizes`` [n_1, ..., n_L].

    Weights are drawn from U(-r, r) with r = sqrt(6 / (n_l + n_{l+1})) (Glorot
    uniform, what Keras' Dense layers use); the bias column starts at zero.

    >>> [W.shape for W in init_weights([2, 3, 1])]   # the worked network
    [(3, 3), (1, 4)]
    """
    sizes = validation.positive_ints("layer_sizes", layer_sizes)
    if len(sizes) < 2:
        raise ValueError(f"layer_sizes must name at least two layers, got {list(sizes)!r}")
    rng = np.random.default_rng(validation.integer("seed", seed, minimum=0))
    weights = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True):
        r = np.sqrt(6 / (n_in + n_out))
        weights.append(np.hstack([np.zeros((n_out, 1)), rng.uniform(-r, r, (n_out, n_in))]))
    return weights


def add_bias(a: np.ndarray) -> np.ndarray:
    """[1, a]: the activations (N, n) with the bias unit a_0 = 1 as a first column, (N, n + 1)."""
    a = validation.float_array("a", a, "(N, n)")
    return np.hstack([np.ones((a.shape[0], 1)), a])


def forward(weights, X, activation: str = "sigmoid") -> tuple[np.ndarray, Cache]:
    """The forward pass z(l+1) = W(l) [1; a(l)], a(l+1) = h(z(l+1)), with a(1) = x.

    Batched, one example per row: Z(l+1) = [1, A(l)] W(l)^T. Hidden layers use
    the activation named ``activation``; the output layer is always a sigmoid.
    ``X`` is (N, n_1); returns the output a(L), shape (N, n_L), and the cache.
    """
    weights = _check_weights(weights)
    X = _check_inputs(X, weights)
    h, _ = _activation(activation)
    a, a_biases, zs = X, [], []
    for l, W in enumerate(weights):
        a_biases.append(add_bias(a))
        zs.append(a_biases[-1] @ W.T)
        a = activations.sigmoid(zs[-1]) if l == len(weights) - 1 else h(zs[-1])
    return a, Cache(a_biases, zs, a, activation)


def cost(y_hat, y) -> float:
    """J = -mean[y log y_hat + (1 - y) log(1 - y_hat)], the binary cross-entropy.

    The mean runs over all N n_L entries, as in Keras. ``y`` may be (N,) for one output unit.
    """
    return losses.binary_crossentropy(_check_labels(y, np.shape(y_hat)), y_hat)


def accuracy(y_hat, y) -> float:
    """Fraction of outputs on the right side of 0.5: mean[(y_hat > 0.5) == (y > 0.5)]."""
    y_hat = validation.float_array("y_hat", y_hat, "(N, n_L)")
    return float(np.mean((y_hat > 0.5) == (_check_labels(y, y_hat.shape) > 0.5)))


def output_delta(y_hat, y) -> np.ndarray:
    """Step 2, the output error: delta(L) = a(L) - y, divided by N n_L because J is a mean.

    Sign convention: this is dJ/dz(L) for the negative log-likelihood J we
    minimise; the notes write y - a(L) for the log-likelihood they maximise.
    ``y_hat`` and the result are (N, n_L); ``y`` may be (N,) for one output unit.
    """
    y_hat = validation.float_array("y_hat", y_hat, "(N, n_L)")
    y = _check_labels(y, y_hat.shape)
    return (y_hat - y) / y.size


def hidden_delta(delta_next, W, z, activation: str = "sigmoid") -> np.ndarray:
    """Step 3, one layer back: delta(l) = (W(l)^T delta(l+1)) * h'(z(l)), the bias row dropped.

    Batched: D(l) = (D(l+1) W(l))[:, 1:] * h'(Z(l)), with ``delta_next`` (N, m),
    ``W`` (m, n + 1) and ``z`` (N, n); returns (N, n). The bias unit is a
    constant, so no error flows into it: that is the dropped first column.
    """
    delta_next = validation.float_array("delta_next", delta_next, "(N, m)")
    W = validation.float_array("W", W, "(m, n + 1)")
    z = validation.float_array("z", z, "(N, n)")
    if W.shape[0] != delta_next.shape[1] or z.shape != (delta_next.shape[0], W.shape[1] - 1):
        raise ValueError(f"expected delta_next (N, m), W (m, n + 1) and z (N, n), got "
                         f"{delta_next.shape}, {W.shape} and {z.shape}")
    _, h_prime = _activation(activation)
    return (delta_next @ W)[:, 1:] * h_prime(z)


def weight_gradient(delta_next, a_bias) -> np.ndarray:
    """Step 4: dJ/dW(l) = delta(l+1) [1; a(l)]^T, summed over the batch.

    Batched: D(l+1)^T [1, A(l)], with ``delta_next`` (N, m) and ``a_bias``
    (N, n + 1); returns (m, n + 1), the shape of W(l). The 1/N of the mean
    is already in the deltas.
    """
    delta_next = validation.float_array("delta_next", delta_next, "(N, m)")
    a_bias = validation.float_array("a_bias", a_bias, "(N, n + 1)")
    if delta_next.shape[0] != a_bias.shape[0]:
        raise ValueError(f"delta_next and a_bias must have the same number of rows N, got "
                         f"{delta_next.shape} and {a_bias.shape}")
    return delta_next.T @ a_bias


def backward(weights, cache: Cache, y) -> list[np.ndarray]:
    """Gradients dJ/dW(l) of every layer by the delta recursion, for any number of layers.

    Steps 2 to 4 of the algorithm: :func:`output_delta`, then for
    l = L-1 .. 1 :func:`weight_gradient` and :func:`hidden_delta`. ``cache``
    is what :func:`forward` returned for these ``weights``; returns one
    gradient per W(l), with the same shapes.
    """
    weights = _check_weights(weights)
    _check_cache(cache, weights)
    delta = output_delta(cache.output, y)
    grads = [np.empty(0)] * len(weights)
    for l in reversed(range(len(weights))):
        grads[l] = weight_gradient(delta, cache.a_bias[l])
        if l > 0:
            delta = hidden_delta(delta, weights[l], cache.z[l - 1], cache.activation)
    return grads


def train(weights, X, y, learning_rate: float, epochs: int,
          activation: str = "sigmoid") -> tuple[list[np.ndarray], History]:
    """Full-batch gradient descent W(l) <- W(l) - eta dJ/dW(l) for ``epochs`` steps.

    Returns the trained weights and the :class:`History` of cost and accuracy
    on (X, y), measured before training and after each step. The weights passed
    in are not modified.
    """
    learning_rate = validation.positive("learning_rate", learning_rate)
    epochs = validation.integer("epochs", epochs, minimum=0)
    weights = [W.copy() for W in _check_weights(weights)]
    costs, accuracies = [], []
    for epoch in range(epochs + 1):
        y_hat, cache = forward(weights, X, activation)
        costs.append(cost(y_hat, y))
        accuracies.append(accuracy(y_hat, y))
        if epoch < epochs:
            for W, grad in zip(weights, backward(weights, cache, y), strict=True):
                W -= learning_rate * grad
    return weights, History(np.array(costs), np.array(accuracies))


def predict(weights, X, activation: str = "sigmoid") -> np.ndarray:
    """Output probabilities a(L), shape (N, n_L)."""
    return forward(weights, X, activation)[0]


def to_keras_weights(weights) -> list[np.ndarray]:
    """The same network as Keras Dense weights: [kernel W[:, 1:]^T, bias W[:, 0]] per layer."""
    out = []
    for W in _check_weights(weights):
        out += [W[:, 1:].T.copy(), W[:, 0].copy()]
    return out


def _activation(name):
    return activations.get(validation.choice("activation", name, tuple(activations.ACTIVATIONS)))


def _check_cache(cache, weights) -> None:
    """``cache`` must be what :func:`forward` returned for ``weights``."""
    if not isinstance(cache, Cache):
        raise TypeError(f"cache must be the Cache that forward() returned, got {type(cache).__name__}")
    fits = len(cache.z) == len(weights) and all(
        A.shape[1] == W.shape[1] and Z.shape[1] == W.shape[0]
        for A, Z, W in zip(cache.a_bias, cache.z, weights, strict=True))
    if not fits:
        raise ValueError("cache must be the Cache that forward() returned for these weights")


def _check_weights(weights) -> list[np.ndarray]:
    """``weights`` as float64 matrices W(l) (m, n + 1) whose shapes chain: W(l) has a column
    for each unit of layer l, plus the bias."""
    weights = validation.float_arrays("weights", weights, "(m, n + 1)")
    for l, W in enumerate(weights):
        if W.shape[1] < 2:
            raise ValueError(f"weights[{l}] must have shape (m, n + 1) with n >= 1, got {W.shape}")
        if l and W.shape[1] != weights[l - 1].shape[0] + 1:
            raise ValueError(f"weights[{l}] must have {weights[l - 1].shape[0] + 1} columns "
                             f"(the previous layer's units plus the bias), got {W.shape}")
    return weights


def _check_inputs(X, weights) -> np.ndarray:
    """``X`` (N, n_1), one column per input unit of ``weights``."""
    X = validation.float_array("X", X, "(N, n_1)")
    n_in = weights[0].shape[1] - 1
    if X.shape[1] != n_in:
        raise ValueError(f"X must have shape (N, {n_in}) to match weights[0], got {X.shape}")
    return X


def _check_labels(y, shape) -> np.ndarray:
    """Labels in [0, 1] shaped like the output; (N,) is accepted for one output unit."""
    y = validation.float_array("y", y)
    if y.ndim == 1 and len(shape) == 2 and shape[1] == 1:
        y = y[:, None]
    if y.shape != tuple(shape):
        raise ValueError(f"y must have shape {tuple(shape)} like the network's output, "
                         f"got {y.shape}")
    return validation.within("y", y, 0, 1, "labels")
