"""Arguments a worker builds itself, before the student's code is loaded.

A function or a Keras model cannot travel as data, so an exercise names a
factory here (:class:`.codec.Fixture`) and the worker calls it. Only the
names in ``__all__`` can be requested. Nothing here is an answer to an
exercise. Data (arrays) travels as data: the grader sends it in the job.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

__all__ = ["quadratic_gradient", "backprop_cache", "moons_model"]


def quadratic_gradient(A, x_star):
    """The gradient x -> A (x - x*) of the bowl f(x) = 1/2 (x - x*)^T A (x - x*)."""
    A = np.asarray(A, dtype=np.float64)
    x_star = np.asarray(x_star, dtype=np.float64)

    def gradient(x):
        return A @ (np.asarray(x, dtype=np.float64) - x_star)

    return gradient


class Cache(NamedTuple):
    """The forward pass's cache, with the fields of :class:`dlbook.backprop.Cache`."""

    a_bias: list
    z: list
    output: np.ndarray
    activation: str


def backprop_cache(a_bias, z, output, activation):
    return Cache(list(a_bias), list(z), output, activation)


def moons_model(seed: int):
    """An uncompiled 2 -> 16 -> 16 -> 1 ReLU network with a sigmoid output."""
    import keras

    keras.utils.set_random_seed(seed)
    return keras.Sequential([
        keras.Input(shape=(2,)),
        keras.layers.Dense(16, activation="relu"),
        keras.layers.Dense(16, activation="relu"),
        keras.layers.Dense(1, activation="sigmoid"),
    ], name="moons_mlp")
