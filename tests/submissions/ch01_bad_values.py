"""NaN, the wrong dtype, the wrong shape, a list, None: each a case of its own message."""

import numpy as np

from solutions.ch01_neurons import *  # noqa: F403
from solutions.ch01_neurons import sigmoid_prime as correct_sigmoid_prime
from solutions.ch01_neurons import softmax as correct_softmax


def sigmoid(z):
    return np.full_like(z, np.nan)


def sigmoid_prime(z):
    return correct_sigmoid_prime(z).astype(np.float32)


def softmax(z):
    return correct_softmax(z).T


def binary_crossentropy(y, p):
    return None


def perceptron_predict(w, X):
    return [int(v) for v in (w[0] + X @ w[1:] >= 0)]
