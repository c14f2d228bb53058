"""softmax never returns: ch01.softmax hits the wall-clock limit, nothing else is touched."""

from solutions.ch01_neurons import *  # noqa: F403 (every other function is right)


def softmax(z):
    while True:
        pass
