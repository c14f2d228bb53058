"""Chapter 2, gradient descent: coding exercises.

Replace each ``raise NotImplementedError`` with your code, using NumPy only.
Check one function in a notebook with ``check("ch02.gradient_step",
gradient_step)`` (``from dlbook.grading import check``), or the file with
``dlbook grade exercises/ch02_gradient_descent.py``. Return new arrays and
leave the arguments unchanged. Tolerance: |error| <= 1e-9 + 1e-6 |expected|.
"""

import numpy as np  # noqa: F401 (your code will need it)


def gradient_step(x, gradient, learning_rate):
    """ch02.gradient_step: one step of gradient descent.

    x_new = x - eta * gradient

    x, gradient: float64 (D,); learning_rate: eta > 0. Returns x_new (D,).
    Book: chapter 2, "The update rule".
    """
    raise NotImplementedError


def gradient_descent(gradient, x0, learning_rate, steps):
    """ch02.gradient_descent: the descent loop.

    x_{i+1} = x_i - eta * gradient(x_i),  i = 0 .. steps - 1

    gradient: a function from a point (D,) to the gradient there (D,);
    x0: float64 (D,); learning_rate: eta; steps: an int >= 0. Returns every
    point, x0 first: a float64 array (steps + 1, D).
    Book: chapter 2, "The update rule".
    """
    raise NotImplementedError


def logistic_regression_loss_and_gradient(w, X, y):
    """ch02.logistic_regression: the mean cross-entropy of logistic regression and its gradient.

    z = X w,  L(w) = (1/N) sum_n [log(1 + e^{z_n}) - y_n z_n],
    grad L(w) = (1/N) X^T (sigmoid(z) - y)

    w: float64 (D,); X: float64 (N, D) (a column of ones carries the bias);
    y: 0/1 labels (N,). Returns (loss, gradient): a Python float and a (D,)
    array. Use np.logaddexp(0, z) for log(1 + e^z): it never overflows.
    The gradient is also checked against finite differences.
    Book: chapter 2, "Convex and non-convex losses".
    """
    raise NotImplementedError


def critical_learning_rate(hessian):
    """ch02.critical_learning_rate: the largest learning rate that converges on a quadratic.

    eta_max = 2 / L,  L = the largest eigenvalue of the Hessian

    hessian: a symmetric positive definite float64 (D, D) matrix. Returns a
    Python float.
    Book: chapter 2, "The learning rate: too small, right, too large".
    """
    raise NotImplementedError
