"""Chapter 9, regularization: reference solutions to the coding exercises.

Check them with ``dlbook grade solutions/ch09_regularization.py``.
"""

import numpy as np


def l2_penalty_and_gradient(w, l2):
    """l2 sum w^2 (Keras' convention, no 1/2) and its gradient 2 l2 w."""
    return float(l2 * np.sum(w * w)), 2.0 * l2 * w


def l1_penalty_and_gradient(w, l1):
    """l1 sum |w| and its gradient l1 sign(w)."""
    return float(l1 * np.sum(np.abs(w))), l1 * np.sign(w)


def dropout_forward(x, p, mask):
    """Kept units scaled by 1 / (1 - p), dropped units 0."""
    return x * mask / (1.0 - p)


def dropout_backward(dout, cache):
    """The gradient flows through the kept units, with the same 1 / (1 - p)."""
    mask, p = cache
    return dout * mask / (1.0 - p)


def mc_average(predictions):
    """Mean and sample standard deviation over the T passes of axis 0."""
    return predictions.mean(axis=0), predictions.std(axis=0, ddof=1)


def predictive_entropy(probabilities):
    """-sum_k p_k ln p_k per row, with 0 ln 0 = 0."""
    safe = np.where(probabilities > 0, probabilities, 1.0)
    return -np.sum(probabilities * np.log(safe), axis=1)
