"""Rosenblatt's perceptron (chapter 1): a threshold unit and its learning rule."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from dlbook.activations import step


class PerceptronFit(NamedTuple):
    """Weights ``w`` ``(D + 1,)`` (bias w0 first) and the mistakes made in each epoch."""

    w: np.ndarray
    errors: np.ndarray


def perceptron_predict(w, X) -> np.ndarray:
    """y = step(w0 + sum_j x_j w_j) for each row of ``X`` ``(N, D)``; returns 0/1 ``(N,)``."""
    w, X = _check_weights_and_inputs(w, X)
    return step(w[0] + X @ w[1:]).astype(np.int64)


def perceptron_fit(X, y, learning_rate: float = 1.0, epochs: int = 20,
                   seed: int = 0) -> PerceptronFit:
    """Rosenblatt's rule: for each example, w <- w + eta (y - y_hat) [1, x].

    Only mistakes change the weights. On linearly separable data the rule
    converges in a finite number of updates; ``errors`` then ends in zeros.
    Examples are visited in a seeded random order each epoch.
    """
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y)
    if X.ndim != 2:
        raise ValueError(f"X must have shape (N, D), got {X.shape}")
    if y.shape != (X.shape[0],) or not np.isin(y, (0, 1)).all():
        raise ValueError(f"y must hold 0/1 labels of shape ({X.shape[0]},), got {y.shape}")
    if not (np.isfinite(learning_rate) and learning_rate > 0):
        raise ValueError(f"learning_rate must be a positive finite number, got {learning_rate}")
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"epochs must be a positive int, got {epochs!r}")
    rng = np.random.default_rng(seed)
    w = np.zeros(X.shape[1] + 1)
    errors = []
    for _ in range(epochs):
        mistakes = 0
        for i in rng.permutation(len(y)):
            update = learning_rate * (y[i] - perceptron_predict(w, X[i:i + 1])[0])
            w[0] += update
            w[1:] += update * X[i]
            mistakes += int(update != 0)
        errors.append(mistakes)
    return PerceptronFit(w, np.array(errors))


def _check_weights_and_inputs(w, X):
    w, X = np.asarray(w, dtype=np.float64), np.asarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError(f"X must have shape (N, D), got {X.shape}")
    if w.shape != (X.shape[1] + 1,):
        raise ValueError(f"w must have shape ({X.shape[1] + 1},) (bias first), got {w.shape}")
    if not (np.all(np.isfinite(w)) and np.all(np.isfinite(X))):
        raise ValueError("w and X must be finite; found NaN or inf")
    return w, X
