"""Right answers computed in place: every sigmoid case changes z; the gradient clips p in place,
which changes p only in the hidden case where p holds exact 0s and 1s."""

import numpy as np

from solutions.ch01_neurons import *  # noqa: F403

EPSILON = 1e-7


def sigmoid(z):
    positive = z >= 0
    np.negative(np.abs(z), out=z)  # z <- -|z|, in the caller's array
    np.exp(z, out=z)  # z <- e^{-|z|}
    return np.where(positive, 1 / (1 + z), z / (1 + z))


def binary_crossentropy_grad(y, p):
    inside = (p >= EPSILON) & (p <= 1 - EPSILON)
    np.clip(p, EPSILON, 1 - EPSILON, out=p)
    return inside * (p - y) / (p * (1 - p)) / p.size
