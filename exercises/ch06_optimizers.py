"""Chapter 6, optimizers: coding exercises.

Replace each ``raise NotImplementedError`` with your code, using NumPy only.
Check one function in a notebook with ``check("ch06.momentum_step",
momentum_step)`` (``from dlbook.grading import check``), or the file with
``dlbook grade exercises/ch06_optimizers.py``. Each function takes one step:
it receives the parameters, the gradient and the optimizer's state, and
returns the new parameters and the new state as new arrays. Leave the
arguments unchanged (the grader checks). Tolerance: |error| <= 1e-9 + 1e-6 |expected|.
"""

import numpy as np  # noqa: F401 (your code will need it)


def momentum_step(theta, gradient, m, learning_rate, beta):
    """ch06.momentum_step: one step of momentum.

    m_new = beta * m - eta * gradient
    theta_new = theta + m_new

    theta, gradient, m: float64 arrays of one shape (D,) (or a weight matrix);
    learning_rate: eta > 0; beta in [0, 1). Returns (theta_new, m_new).
    Book: chapter 6, "Momentum".
    """
    raise NotImplementedError


def rmsprop_step(theta, gradient, s, learning_rate, rho, epsilon):
    """ch06.rmsprop_step: one step of RMSProp.

    s_new = rho * s + (1 - rho) * gradient**2          (a plus sign: s is a mean of squares)
    theta_new = theta - eta * gradient / sqrt(s_new + epsilon)

    theta, gradient, s: float64 arrays of one shape (D,); learning_rate: eta;
    rho in [0, 1); epsilon >= 0, inside the square root as in Keras.
    Returns (theta_new, s_new).
    Book: chapter 6, "RMSProp".
    """
    raise NotImplementedError


def adam_step(theta, gradient, m, v, t, learning_rate, beta_1, beta_2, epsilon):
    """ch06.adam_step: one step of Adam, with bias correction.

    m_new = beta_1 * m + (1 - beta_1) * gradient
    v_new = beta_2 * v + (1 - beta_2) * gradient**2
    m_hat = m_new / (1 - beta_1**t),  v_hat = v_new / (1 - beta_2**t)
    theta_new = theta - eta * m_hat / (sqrt(v_hat) + epsilon)

    t is the number of this step, counted from 1 (m = v = 0 when t = 1).
    theta, gradient, m, v: float64 arrays of one shape (D,).
    Returns (theta_new, m_new, v_new).
    Book: chapter 6, "Adam".
    """
    raise NotImplementedError


def nadam_step(theta, gradient, m, v, t, learning_rate, beta_1, beta_2, epsilon):
    """ch06.nadam_step: one step of Nadam (constant momentum beta_1, the textbook form).

    m_new, v_new as in Adam
    m_hat = beta_1 * m_new / (1 - beta_1**(t + 1)) + (1 - beta_1) * gradient / (1 - beta_1**t)
    v_hat = v_new / (1 - beta_2**t)
    theta_new = theta - eta * m_hat / (sqrt(v_hat) + epsilon)

    t is the number of this step, counted from 1. Returns (theta_new, m_new, v_new).
    Book: chapter 6, "Nadam".
    """
    raise NotImplementedError
