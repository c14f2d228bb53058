"""Chapter 2, gradient descent: reference solutions to the coding exercises.

Check one with ``dlbook grade solutions/ch02_gradient_descent.py``.
"""

import numpy as np


def gradient_step(x, gradient, learning_rate):
    """One step downhill: x - eta grad f(x), a new array."""
    return x - learning_rate * gradient


def gradient_descent(gradient, x0, learning_rate, steps):
    """The points x_0 .. x_steps of x_{i+1} = x_i - eta grad f(x_i), shape (steps + 1, D)."""
    points = [np.asarray(x0, dtype=np.float64)]
    for _ in range(steps):
        points.append(gradient_step(points[-1], gradient(points[-1]), learning_rate))
    return np.array(points)


def logistic_regression_loss_and_gradient(w, X, y):
    """Mean cross-entropy of sigmoid(X w) and its gradient X^T (sigmoid(X w) - y) / N."""
    z = X @ w
    loss = float(np.mean(np.logaddexp(0.0, z) - y * z))
    p = np.exp(-np.logaddexp(0.0, -z))  # sigmoid(z) without overflow
    return loss, X.T @ (p - y) / X.shape[0]


def critical_learning_rate(hessian):
    """2 / L with L the largest eigenvalue of the symmetric positive definite Hessian."""
    return 2.0 / float(np.linalg.eigvalsh(hessian)[-1])
