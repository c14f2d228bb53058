"""Loss functions and their gradients, in NumPy (chapter 1).

Each loss returns the mean over the batch, like Keras' default reduction, and
each ``*_grad`` returns the gradient of that mean with respect to the
prediction (or the logits), so the 1/N factor is included. Shapes:

- regression and binary losses: ``y`` and ``y_hat`` (or ``z``) of the same
  shape, ``(N,)`` or ``(N, K)``; the mean runs over every element;
- categorical losses: one-hot ``y`` and probabilities ``p`` (or logits ``z``)
  of shape ``(N, K)``;
- sparse categorical losses: integer labels ``(N,)`` and ``(N, K)`` scores.

The probability forms clip p to [eps, 1 - eps] with eps = 1e-7, as Keras does,
so that log(0) never happens; the from-logits forms need no clipping because
they are computed with log-sum-exp.
"""

from __future__ import annotations

import numpy as np

from dlbook.activations import sigmoid, softmax

EPSILON = 1e-7  # Keras' backend epsilon


def _pair(y, y_hat, name="y_hat"):
    """Float64 copies of two same-shaped, finite arrays."""
    y, y_hat = np.asarray(y, dtype=np.float64), np.asarray(y_hat, dtype=np.float64)
    if y.shape != y_hat.shape or y.ndim == 0:
        raise ValueError(f"y and {name} must have the same non-scalar shape, "
                         f"got {y.shape} and {y_hat.shape}")
    for label, array in (("y", y), (name, y_hat)):
        if not np.all(np.isfinite(array)):
            raise ValueError(f"{label} must be finite; found NaN or inf")
    return y, y_hat


def _probabilities(y, p):
    y, p = _pair(y, p, "p")
    if p.min() < 0 or p.max() > 1:
        raise ValueError(f"p must hold probabilities in [0, 1], got values in [{p.min()}, {p.max()}]")
    return y, np.clip(p, EPSILON, 1 - EPSILON)


def _one_hot(labels, scores, name):
    """One-hot (N, K) targets from integer labels (N,) checked against scores (N, K)."""
    labels, scores = np.asarray(labels), np.asarray(scores, dtype=np.float64)
    if scores.ndim != 2:
        raise ValueError(f"{name} must have shape (N, K), got {scores.shape}")
    if labels.shape != (scores.shape[0],) or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"labels must be integers of shape ({scores.shape[0]},), "
                         f"got {labels.dtype} {labels.shape}")
    if labels.size and (labels.min() < 0 or labels.max() >= scores.shape[1]):
        raise ValueError(f"labels must lie in [0, {scores.shape[1] - 1}], "
                         f"got [{labels.min()}, {labels.max()}]")
    return np.eye(scores.shape[1])[labels]


# Regression losses -----------------------------------------------------------

def mse(y, y_hat) -> float:
    """Mean squared error: mean (y_hat - y)^2."""
    y, y_hat = _pair(y, y_hat)
    return float(np.mean((y_hat - y) ** 2))


def mse_grad(y, y_hat) -> np.ndarray:
    """d MSE / d y_hat = 2 (y_hat - y) / n, with n the number of elements."""
    y, y_hat = _pair(y, y_hat)
    return 2 * (y_hat - y) / y.size


def mae(y, y_hat) -> float:
    """Mean absolute error: mean |y_hat - y|; robust to outliers."""
    y, y_hat = _pair(y, y_hat)
    return float(np.mean(np.abs(y_hat - y)))


def mae_grad(y, y_hat) -> np.ndarray:
    """d MAE / d y_hat = sign(y_hat - y) / n (0 where they are equal)."""
    y, y_hat = _pair(y, y_hat)
    return np.sign(y_hat - y) / y.size


# Binary cross-entropy -------------------------------------------------------

def binary_crossentropy(y, p) -> float:
    """The Bernoulli negative log-likelihood: -mean [y log p + (1 - y) log(1 - p)]."""
    y, p = _probabilities(y, p)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def binary_crossentropy_grad(y, p) -> np.ndarray:
    """d BCE / d p = (p - y) / (p (1 - p)) / n, at the clipped p."""
    y, p = _probabilities(y, p)
    return (p - y) / (p * (1 - p)) / y.size


def binary_crossentropy_from_logits(y, z) -> float:
    """BCE of p = sigmoid(z), computed stably: mean [max(z, 0) - z y + log(1 + e^{-|z|})]."""
    y, z = _pair(y, z, "z")
    return float(np.mean(np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))))


def binary_crossentropy_from_logits_grad(y, z) -> np.ndarray:
    """d BCE / d z = (sigmoid(z) - y) / n: the prediction minus the label."""
    y, z = _pair(y, z, "z")
    return (sigmoid(z) - y) / y.size


# Categorical cross-entropy --------------------------------------------------

def categorical_crossentropy(y, p) -> float:
    """-mean_n sum_k y_nk log p_nk, for one-hot ``y`` and probabilities ``p`` (N, K)."""
    y, p = _categorical(y, p, "p")
    y, p = _probabilities(y, p)
    return float(-np.mean(np.sum(y * np.log(p), axis=1)))


def categorical_crossentropy_grad(y, p) -> np.ndarray:
    """d CCE / d p_nk = -y_nk / p_nk / N."""
    y, p = _categorical(y, p, "p")
    y, p = _probabilities(y, p)
    return -y / p / y.shape[0]


def categorical_crossentropy_from_logits(y, z) -> float:
    """CCE of p = softmax(z), stably: mean_n [logsumexp(z_n) - sum_k y_nk z_nk]."""
    y, z = _categorical(y, z, "z")
    return float(np.mean(_logsumexp(z) - np.sum(y * z, axis=1)))


def categorical_crossentropy_from_logits_grad(y, z) -> np.ndarray:
    """d CCE / d z = (softmax(z) - y) / N."""
    y, z = _categorical(y, z, "z")
    return (softmax(z) - y) / y.shape[0]


def sparse_categorical_crossentropy(labels, p) -> float:
    """-mean_n log p[n, label_n], for integer ``labels`` (N,) and ``p`` (N, K)."""
    return categorical_crossentropy(_one_hot(labels, p, "p"), p)


def sparse_categorical_crossentropy_grad(labels, p) -> np.ndarray:
    """The categorical gradient with the one-hot targets built from ``labels``."""
    return categorical_crossentropy_grad(_one_hot(labels, p, "p"), p)


def sparse_categorical_crossentropy_from_logits(labels, z) -> float:
    """Sparse CCE of p = softmax(z), computed with log-sum-exp."""
    return categorical_crossentropy_from_logits(_one_hot(labels, z, "z"), z)


def sparse_categorical_crossentropy_from_logits_grad(labels, z) -> np.ndarray:
    """d / d z = (softmax(z) - onehot(labels)) / N."""
    return categorical_crossentropy_from_logits_grad(_one_hot(labels, z, "z"), z)


def _categorical(y, scores, name):
    y, scores = _pair(y, scores, name)
    if scores.ndim != 2:
        raise ValueError(f"{name} must have shape (N, K), got {scores.shape}")
    return y, scores


def _logsumexp(z):
    m = z.max(axis=1)
    return m + np.log(np.sum(np.exp(z - m[:, None]), axis=1))
