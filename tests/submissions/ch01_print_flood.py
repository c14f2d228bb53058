"""sigmoid_prime prints without end: it hits the output limit; the rest is graded as usual."""

from solutions.ch01_neurons import *  # noqa: F403


def sigmoid_prime(z):
    while True:
        print("spam " * 1000)
