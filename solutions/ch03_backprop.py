"""Chapter 3, backpropagation: reference solutions to the coding exercises.

Sigmoid units throughout; W(l) has shape (n_{l+1}, n_l + 1), its first column
multiplying the bias unit. Check with ``dlbook grade solutions/ch03_backprop.py``.
"""

from typing import NamedTuple

import numpy as np


class Cache(NamedTuple):
    """What the backward pass needs from the forward pass."""

    a_bias: list  # [1, a(l)] for each layer's input, shapes (N, n_l + 1)
    z: list  # z(l+1) = [1, a(l)] W(l)^T, shapes (N, n_{l+1})
    output: np.ndarray  # a(L), shape (N, n_L)
    activation: str


def sigmoid(z):
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def forward(weights, X):
    """z(l+1) = [1, a(l)] W(l)^T and a(l+1) = sigmoid(z(l+1)); returns (a(L), cache)."""
    a, a_bias, zs = X, [], []
    for W in weights:
        a_bias.append(np.hstack([np.ones((a.shape[0], 1)), a]))
        zs.append(a_bias[-1] @ W.T)
        a = sigmoid(zs[-1])
    return a, Cache(a_bias, zs, a, "sigmoid")


def output_delta(y_hat, y):
    """delta(L) = dJ/dz(L) = (a(L) - y) / (N n_L) for sigmoid outputs and the mean cross-entropy."""
    return (y_hat - y) / y.size


def hidden_delta(delta_next, W, z):
    """delta(l) = (delta(l+1) W(l))[:, 1:] * sigmoid'(z(l)): the bias column carries no error."""
    g = sigmoid(z)
    return (delta_next @ W)[:, 1:] * g * (1 - g)


def backward(weights, cache, y):
    """dJ/dW(l) = delta(l+1)^T [1, a(l)] for every layer, by the delta recursion."""
    delta = output_delta(cache.output, y)
    grads = [None] * len(weights)
    for l in reversed(range(len(weights))):
        grads[l] = delta.T @ cache.a_bias[l]
        if l > 0:
            delta = hidden_delta(delta, weights[l], cache.z[l - 1])
    return grads


def confusion_matrix(y_true, y_pred, n_classes):
    """C[i, j] = the number of examples of class i predicted as class j."""
    C = np.zeros((n_classes, n_classes), dtype=int)
    np.add.at(C, (y_true, y_pred), 1)
    return C


def precision_recall(C):
    """The diagonal over the column sums (precision) and over the row sums (recall), 0 where empty."""
    hits = np.diag(C).astype(float)
    predicted, present = C.sum(axis=0), C.sum(axis=1)
    precision = np.divide(hits, predicted, out=np.zeros_like(hits), where=predicted > 0)
    recall = np.divide(hits, present, out=np.zeros_like(hits), where=present > 0)
    return precision, recall
