"""Chapter 5, training deep networks: gradients and initialization: reference solutions.

Check them with ``dlbook grade solutions/ch05_initialization.py``.
"""

import math

import numpy as np


def fans(shape):
    """(fan_in, fan_out): the receptive field r = prod(shape[:-2]) times c_in and c_out."""
    if len(shape) == 1:
        return int(shape[0]), int(shape[0])
    receptive_field = math.prod(shape[:-2])
    return int(shape[-2] * receptive_field), int(shape[-1] * receptive_field)


def _variance(rule, fan_in, fan_out):
    return {"glorot": 2.0 / (fan_in + fan_out), "he": 2.0 / fan_in, "lecun": 1.0 / fan_in}[rule]


def init_std(rule, fan_in, fan_out):
    """sqrt of 1 / fan_avg (Glorot), 2 / fan_in (He) or 1 / fan_in (LeCun)."""
    return math.sqrt(_variance(rule, fan_in, fan_out))


def uniform_limit(rule, fan_in, fan_out):
    """r = sqrt(3 sigma^2), so that U(-r, r) has variance sigma^2."""
    return math.sqrt(3.0 * _variance(rule, fan_in, fan_out))


def activation_stds(X, weights, activation):
    """std of a(l) = g(a(l-1) W(l)) for each layer, a(0) = X."""
    g = {"sigmoid": lambda z: 0.5 * (1.0 + np.tanh(z / 2.0)),  # = 1 / (1 + e^-z), no overflow
         "tanh": np.tanh,
         "relu": lambda z: np.maximum(z, 0.0)}[activation]
    a, stds = X, []
    for W in weights:
        a = g(a @ W)
        stds.append(a.std())
    return np.array(stds)


def elu_prime(z, alpha):
    """1 for z > 0, alpha e^z otherwise (e^z of min(z, 0), so nothing overflows)."""
    return np.where(z > 0, 1.0, alpha * np.exp(np.minimum(z, 0.0)))
