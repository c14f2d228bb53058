"""Chapter 1, neurons and networks: reference solutions to the coding exercises.

Check one with ``dlbook grade solutions/ch01_neurons.py`` (or ``check`` in a notebook).
"""

import numpy as np

EPSILON = 1e-7  # Keras' clipping constant for probabilities


def sigmoid(z):
    """g(z) = 1 / (1 + e^{-z}) entry by entry, written with e^{-|z|} so nothing overflows."""
    z = np.asarray(z, dtype=np.float64)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def sigmoid_prime(z):
    """g'(z) = g(z) (1 - g(z))."""
    g = sigmoid(z)
    return g * (1 - g)


def softmax(z):
    """Each row of z (N, K) mapped to probabilities: e^{z_k - max_j z_j} / sum_j e^{z_j - max}."""
    z = np.asarray(z, dtype=np.float64)
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def binary_crossentropy(y, p):
    """L = -mean(y log p + (1 - y) log(1 - p)), p clipped to [eps, 1 - eps]; a float."""
    p = np.clip(np.asarray(p, dtype=np.float64), EPSILON, 1 - EPSILON)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def binary_crossentropy_grad(y, p):
    """dL/dp = (p - y) / (p (1 - p)) / n inside the clipping range, 0 where p was clipped."""
    p = np.asarray(p, dtype=np.float64)
    inside = (p >= EPSILON) & (p <= 1 - EPSILON)
    q = np.clip(p, EPSILON, 1 - EPSILON)
    return inside * (q - y) / (q * (1 - q)) / p.size


def perceptron_predict(w, X):
    """y_hat_n = step(w_0 + X_n . w_1:) with step(z) = 1 for z >= 0: 0/1 integers (N,)."""
    return (w[0] + X @ w[1:] >= 0).astype(int)
