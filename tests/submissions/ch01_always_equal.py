"""Objects that claim to equal anything: a plain object, an ndarray subclass, a fake class."""

import numpy as np

from solutions.ch01_neurons import *  # noqa: F403


class AlwaysEqual:
    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    def __array__(self, dtype=None, copy=None):
        return np.zeros(3)


class EqualArray(np.ndarray):
    def __eq__(self, other):
        return np.ones(self.shape, dtype=bool)

    def all(self, *args, **kwargs):
        return True


class PretendArray:
    """isinstance(x, np.ndarray) is True for this, but type(x) is not fooled."""

    @property
    def __class__(self):
        return np.ndarray


def sigmoid(z):
    return AlwaysEqual()


def softmax(z):
    return np.zeros(z.shape).view(EqualArray)


def perceptron_predict(w, X):
    return PretendArray()
