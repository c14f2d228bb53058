"""sigmoid sleeps on a hidden case only: the public cases pass, the hidden ones time out."""

import time

from solutions.ch01_neurons import *  # noqa: F403
from solutions.ch01_neurons import sigmoid as correct_sigmoid


def sigmoid(z):
    if z.ndim == 3:  # only the hidden case z (2, 3, 4) has three axes
        time.sleep(3600)
    return correct_sigmoid(z)
