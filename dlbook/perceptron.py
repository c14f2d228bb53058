"""Rosenblatt's perceptron (chapter 1): a threshold unit and its learning rule.

The weights are one vector ``w`` ``(D + 1,)`` with the bias first,
w = [w_0, w_1, ..., w_D], so that the unit computes
y_hat = step(w_0 + sum_j x_j w_j) = step(w . [1, x]).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from dlbook import validation
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
    X = validation.float_array("X", X, "(N, D)")
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
    X = validation.float_array("X", X, "(N, D)")
    y = _check_labels(y, len(X))
    learning_rate = validation.positive("learning_rate", learning_rate)
    epochs = validation.integer("epochs", epochs, minimum=1)
    rng = np.random.default_rng(validation.integer("seed", seed, minimum=0))
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


def _check_labels(y, n: int) -> np.ndarray:
    """``y`` as 0/1 labels ``(n,)``, one per row of ``X``."""
    y = validation.float_array("y", y)
    if y.shape != (n,) or not np.isin(y, (0, 1)).all():
        raise ValueError(f"y must hold 0/1 labels of shape ({n},), "
                         f"got values {np.unique(y)[:5]} of shape {y.shape}")
    return y


def _check_weights(w, n_features: int) -> np.ndarray:
    """``w`` ``(D + 1,)``: the bias and one weight per column of ``X``."""
    w = validation.float_array("w", w, "(D + 1,)")
    if w.shape != (n_features + 1,):
        raise ValueError(f"w must have shape ({n_features + 1},) (bias first), got {w.shape}")
    return w
