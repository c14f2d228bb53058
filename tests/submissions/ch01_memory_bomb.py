"""sigmoid asks for 800 GB at once; softmax grows a list without bound."""

import numpy as np

from solutions.ch01_neurons import *  # noqa: F403


def sigmoid(z):
    return np.ones((10**6, 10**5)) * z.sum()


def softmax(z):
    hoard = []
    while True:
        hoard.append(bytearray(10**7))
