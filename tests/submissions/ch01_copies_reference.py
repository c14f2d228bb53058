"""Tries to hand in the book's own reference implementation."""

from solutions.ch01_neurons import *  # noqa: F403


def sigmoid(z):
    from dlbook.activations import sigmoid as reference

    return reference(z)
