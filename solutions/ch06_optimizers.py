"""Chapter 6, optimizers: reference solutions to the coding exercises.

Check them with ``dlbook grade solutions/ch06_optimizers.py``.
"""

import numpy as np


def momentum_step(theta, gradient, m, learning_rate, beta):
    """m = beta m - eta g; theta = theta + m (new arrays)."""
    m_new = beta * m - learning_rate * gradient
    return theta + m_new, m_new


def rmsprop_step(theta, gradient, s, learning_rate, rho, epsilon):
    """s = rho s + (1 - rho) g^2; theta = theta - eta g / sqrt(s + eps)."""
    s_new = rho * s + (1.0 - rho) * gradient**2
    return theta - learning_rate * gradient / np.sqrt(s_new + epsilon), s_new


def _moments(gradient, m, v, beta_1, beta_2):
    return beta_1 * m + (1.0 - beta_1) * gradient, beta_2 * v + (1.0 - beta_2) * gradient**2


def adam_step(theta, gradient, m, v, t, learning_rate, beta_1, beta_2, epsilon):
    """Adam's step t (from 1): bias-corrected moments, eta m_hat / (sqrt(v_hat) + eps)."""
    m_new, v_new = _moments(gradient, m, v, beta_1, beta_2)
    m_hat = m_new / (1.0 - beta_1**t)
    v_hat = v_new / (1.0 - beta_2**t)
    return theta - learning_rate * m_hat / (np.sqrt(v_hat) + epsilon), m_new, v_new


def nadam_step(theta, gradient, m, v, t, learning_rate, beta_1, beta_2, epsilon):
    """Nadam's step t (from 1): Adam with the first moment looking one step ahead."""
    m_new, v_new = _moments(gradient, m, v, beta_1, beta_2)
    m_hat = (beta_1 * m_new / (1.0 - beta_1 ** (t + 1))
             + (1.0 - beta_1) * gradient / (1.0 - beta_1**t))
    v_hat = v_new / (1.0 - beta_2**t)
    return theta - learning_rate * m_hat / (np.sqrt(v_hat) + epsilon), m_new, v_new
