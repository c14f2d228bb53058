"""Loss functions and their gradients, in NumPy (chapter 1).

Each loss returns the mean over the batch, like Keras' default reduction
(``"sum_over_batch_size"``), as a Python float; each ``*_grad`` returns the
gradient of that mean with respect to the prediction (or the logits), the 1/N
factor included, shaped like the prediction. Shapes:

- regression and binary losses: targets ``y`` and predictions ``y_hat``,
  probabilities ``p`` or logits ``z`` of the same shape, ``(N,)`` or
  ``(N, K)``; the mean runs over every element (for ``(N, K)`` that is Keras'
  mean over the last axis, then over the batch);
- categorical losses: one-hot (or soft) targets ``y`` and probabilities ``p``
  or logits ``z``, all ``(N, K)``;
- sparse categorical losses: integer ``labels`` ``(N,)`` in [0, K) and
  ``(N, K)`` probabilities or logits.

Clipping. The probability forms clip p to [eps, 1 - eps] with
eps = ``EPSILON`` = 1e-7 (Keras' ``backend.epsilon()``) before taking a log,
so log(0) never happens, and each loss is capped at -log(eps) ~ 16.1 per
element. The gradients are those of the clipped function: 0 wherever p was
clipped, as automatic differentiation through Keras' ``clip`` gives. Keras
also rescales each row of a categorical ``p`` to sum to 1 first; here ``p``
is taken as given, so pass rows that already sum to 1 (a softmax output).

The from-logits forms never form p at all: they rewrite the loss with
softplus and log-sum-exp, which are exact for every finite logit.
"""

from __future__ import annotations

import numpy as np

from dlbook import validation
from dlbook.activations import sigmoid, softmax

EPSILON = 1e-7  # Keras' backend epsilon


# Input checks ------------------------------------------------------------------

def _pair(y, y_hat, name: str = "y_hat", layout: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Float64 copies of the targets and predictions: finite, of the same non-scalar shape
    (and of ``layout``, such as ``"(N, K)"``, if given)."""
    y, y_hat = validation.float_array("y", y, layout), validation.float_array(name, y_hat, layout)
    if y.shape != y_hat.shape or y.ndim == 0:
        raise ValueError(f"y and {name} must have the same non-scalar shape, "
                         f"got {y.shape} and {y_hat.shape}")
    return y, y_hat


def _one_hot(labels, scores, name: str) -> np.ndarray:
    """One-hot targets ``(N, K)`` from integer ``labels`` ``(N,)``, one per row of ``scores``."""
    scores = validation.float_array(name, scores, "(N, K)")
    labels = validation.class_labels("labels", labels, scores.shape[1])
    if labels.shape != (scores.shape[0],):
        raise ValueError(f"labels must have shape ({scores.shape[0]},), one per row of {name}, "
                         f"got {labels.shape}")
    return np.eye(scores.shape[1])[labels]


def _clip(p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """p clipped to [eps, 1 - eps], and the mask of where it was not (d clip / d p)."""
    validation.within("p", p, 0, 1, "probabilities")
    inside = (p >= EPSILON) & (p <= 1 - EPSILON)
    return np.clip(p, EPSILON, 1 - EPSILON), inside


# Regression ----------------------------------------------------------------------

def mse(y, y_hat) -> float:
    """Mean squared error: L = (1/n) sum_i (y_hat_i - y_i)^2 over the n elements."""
    y, y_hat = _pair(y, y_hat)
    return float(np.mean((y_hat - y) ** 2))


def mse_grad(y, y_hat) -> np.ndarray:
    """dL/dy_hat_i = 2 (y_hat_i - y_i) / n."""
    y, y_hat = _pair(y, y_hat)
    return 2 * (y_hat - y) / y.size


def mae(y, y_hat) -> float:
    """Mean absolute error: L = (1/n) sum_i |y_hat_i - y_i|; grows only linearly with an outlier."""
    y, y_hat = _pair(y, y_hat)
    return float(np.mean(np.abs(y_hat - y)))


def mae_grad(y, y_hat) -> np.ndarray:
    """dL/dy_hat_i = sign(y_hat_i - y_i) / n (0 where they are equal, as in Keras)."""
    y, y_hat = _pair(y, y_hat)
    return np.sign(y_hat - y) / y.size


# Binary cross-entropy ------------------------------------------------------------

def binary_crossentropy(y, p) -> float:
    """The Bernoulli negative log-likelihood, averaged over the n elements:

    L = -(1/n) sum_i [y_i log p_i + (1 - y_i) log(1 - p_i)], with p clipped to [eps, 1 - eps].
    """
    y, p = _pair(y, p, "p")
    p, _ = _clip(p)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def binary_crossentropy_grad(y, p) -> np.ndarray:
    """dL/dp_i = (p_i - y_i) / (p_i (1 - p_i)) / n where p_i is inside [eps, 1 - eps], else 0."""
    y, p = _pair(y, p, "p")
    p, inside = _clip(p)
    return inside * (p - y) / (p * (1 - p)) / y.size


def binary_crossentropy_from_logits(y, z) -> float:
    """BCE of p = sigmoid(z), computed from the logits z without forming p:

    L = (1/n) sum_i [max(z_i, 0) - z_i y_i + log(1 + e^{-|z_i|})],
    which is softplus(z) - z y rearranged so that no exponential overflows.
    """
    y, z = _pair(y, z, "z")
    return float(np.mean(np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))))


def binary_crossentropy_from_logits_grad(y, z) -> np.ndarray:
    """dL/dz_i = (sigmoid(z_i) - y_i) / n: prediction minus target."""
    y, z = _pair(y, z, "z")
    return (sigmoid(z) - y) / y.size


# Categorical cross-entropy ---------------------------------------------------

def categorical_crossentropy(y, p) -> float:
    """L = -(1/N) sum_n sum_k y_nk log p_nk for targets ``y`` and probabilities ``p`` ``(N, K)``.

    p is clipped to [eps, 1 - eps]; with one-hot y this is -log of the
    probability given to the true class, averaged over the batch.
    """
    y, p = _pair(y, p, "p", "(N, K)")
    p, _ = _clip(p)
    return float(-np.mean(np.sum(y * np.log(p), axis=1)))


def categorical_crossentropy_grad(y, p) -> np.ndarray:
    """dL/dp_nk = -y_nk / (N p_nk) where p_nk is inside [eps, 1 - eps], else 0."""
    y, p = _pair(y, p, "p", "(N, K)")
    p, inside = _clip(p)
    return inside * -y / p / y.shape[0]


def categorical_crossentropy_from_logits(y, z) -> float:
    """CCE of p = softmax(z) from the logits ``z`` ``(N, K)``:

    L = (1/N) sum_n [logsumexp(z_n) - sum_k y_nk z_nk], with
    logsumexp(z_n) = m_n + log sum_k e^{z_nk - m_n} and m_n = max_k z_nk.
    Exact for every finite logit (the targets' rows are assumed to sum to 1).
    """
    y, z = _pair(y, z, "z", "(N, K)")
    return float(np.mean(_logsumexp(z) - np.sum(y * z, axis=1)))


def categorical_crossentropy_from_logits_grad(y, z) -> np.ndarray:
    """dL/dz_nk = (softmax(z)_nk - y_nk) / N (for targets whose rows sum to 1)."""
    y, z = _pair(y, z, "z", "(N, K)")
    return (softmax(z) - y) / y.shape[0]


def sparse_categorical_crossentropy(labels, p) -> float:
    """L = -(1/N) sum_n log p[n, labels_n]: the categorical form with one-hot targets."""
    return categorical_crossentropy(_one_hot(labels, p, "p"), p)


def sparse_categorical_crossentropy_grad(labels, p) -> np.ndarray:
    """dL/dp_nk = -[k = labels_n] / (N p_nk), 0 where p_nk was clipped."""
    return categorical_crossentropy_grad(_one_hot(labels, p, "p"), p)


def sparse_categorical_crossentropy_from_logits(labels, z) -> float:
    """L = (1/N) sum_n [logsumexp(z_n) - z[n, labels_n]], from integer labels and logits."""
    return categorical_crossentropy_from_logits(_one_hot(labels, z, "z"), z)


def sparse_categorical_crossentropy_from_logits_grad(labels, z) -> np.ndarray:
    """dL/dz_nk = (softmax(z)_nk - [k = labels_n]) / N."""
    return categorical_crossentropy_from_logits_grad(_one_hot(labels, z, "z"), z)


def _logsumexp(z: np.ndarray) -> np.ndarray:
    """log sum_k e^{z_nk} for each row of ``z`` ``(N, K)``, shifted by the row max."""
    m = z.max(axis=1)
    return m + np.log(np.sum(np.exp(z - m[:, None]), axis=1))
