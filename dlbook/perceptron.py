"""Rosenblatt's perceptron (chapter 1): a threshold unit and its learning rule.

The weights are one vector ``w`` ``(D + 1,)`` with the bias first,
w = [w_0, w_1, ..., w_D], so that the unit computes
y_hat = step(w_0 + sum_j x_j w_j) = step(w . [1, x]).
"""

from __future__ import annotations

from numbers import Real
from typing import NamedTuple

import numpy as np

from dlbook.activations import step


class PerceptronFit(NamedTuple):
    """The result of :func:`perceptron_fit`.

    ``w`` ``(D + 1,)``: the learned weights, bias first. ``errors`` ``(E,)``:
    the mistakes (= weight updates) made in each of the E epochs run.
    ``converged``: whether the last epoch made no mistake, i.e. every
    training example is classified correctly.
    """

    w: np.ndarray
    errors: np.ndarray
    converged: bool


def perceptron_predict(w, X) -> np.ndarray:
    """y_hat_n = step(w_0 + sum_j X_nj w_j) for each row of ``X`` ``(N, D)``; 0/1 ints ``(N,)``."""
    X = _check_inputs(X)
    return _predict(_check_weights(w, X.shape[1]), X)


def perceptron_fit(X, y, learning_rate: float = 1.0, epochs: int = 20,
                   seed: int = 0) -> PerceptronFit:
    """Train a perceptron on ``X`` ``(N, D)`` and 0/1 labels ``y`` ``(N,)`` with Rosenblatt's rule.

    Starting from w = 0, visit the examples in a seeded random order and, for
    each one, update

        w <- w + eta (y_n - y_hat_n) [1, x_n],

    which changes the weights only on a mistake. An epoch without a mistake
    changes nothing, so training stops there (``converged=True``) or after
    ``epochs`` epochs. On linearly separable data the rule converges after
    at most (R / gamma)^2 updates (Novikoff), where R bounds |[1, x_n]| and
    gamma is the margin of the best separating unit vector; on other data it
    never stops making mistakes.
    """
    X, y = _check_fit_arguments(X, y, learning_rate, epochs, seed)
    rng = np.random.default_rng(seed)
    w = np.zeros(X.shape[1] + 1)
    errors = []
    while len(errors) < epochs and (not errors or errors[-1] > 0):
        mistakes = 0
        for n in rng.permutation(len(y)):
            update = learning_rate * (y[n] - _predict(w, X[n:n + 1])[0])
            w[0] += update
            w[1:] += update * X[n]
            mistakes += int(update != 0)
        errors.append(mistakes)
    return PerceptronFit(w, np.array(errors), errors[-1] == 0)


def _predict(w: np.ndarray, X: np.ndarray) -> np.ndarray:
    """y_hat_n = step(w_0 + sum_j X_nj w_j) as 0/1 ints ``(N,)``, for inputs already checked."""
    return step(w[0] + X @ w[1:]).astype(np.int64)


def _check_fit_arguments(X, y, learning_rate, epochs, seed) -> tuple[np.ndarray, np.ndarray]:
    """The arguments of :func:`perceptron_fit`, checked: ``X`` as float64 ``(N, D)``, ``y`` ``(N,)``."""
    X = _check_inputs(X)
    y = np.asarray(y)
    if y.shape != (X.shape[0],) or not np.isin(y, (0, 1)).all():
        raise ValueError(f"y must hold 0/1 labels of shape ({X.shape[0]},), "
                         f"got values {np.unique(y)[:5]} of shape {y.shape}")
    if isinstance(learning_rate, bool) or not isinstance(learning_rate, Real):
        raise TypeError(f"learning_rate must be a real number, got {type(learning_rate).__name__}")
    if not (np.isfinite(learning_rate) and learning_rate > 0):
        raise ValueError(f"learning_rate must be a positive finite number, got {learning_rate}")
    if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 1:
        raise ValueError(f"epochs must be a positive int, got {epochs!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    return X, y


def _check_inputs(X) -> np.ndarray:
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError(f"X must have shape (N, D), got {X.shape}")
    if not np.all(np.isfinite(X)):
        raise ValueError("X must be finite, found NaN or inf")
    return X


def _check_weights(w, n_features: int) -> np.ndarray:
    w = np.asarray(w, dtype=np.float64)
    if w.shape != (n_features + 1,):
        raise ValueError(f"w must have shape ({n_features + 1},) (bias first), got {w.shape}")
    if not np.all(np.isfinite(w)):
        raise ValueError("w must be finite, found NaN or inf")
    return w
