"""Arguments a worker builds itself, before the student's code is loaded.

A function or a Keras model cannot travel as data, so an exercise names a
factory here (:class:`dlbook.grading.codec.Fixture`) and the worker calls it.
Only the names in ``__all__`` can be requested. Nothing here is an answer to
an exercise, and nothing here imports a reference module.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

__all__ = ["quadratic_gradient", "backprop_cache", "moons", "moons_model", "random_images",
           "iris"]


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


def moons(part: str, seed: int):
    """One array of the two-moons split (``x_train``, ``y_train``, ``x_val``, ... ``y_test``)."""
    from dlbook import data

    split = data.load_moons(n_samples=500, noise=0.2, seed=seed)
    return getattr(split, part)


def iris(part: str, seed: int):
    """One array of the iris split (standardized features, labels 0..2)."""
    from dlbook import data

    return getattr(data.load_iris(seed=seed), part)


def moons_model(seed: int):
    """An uncompiled 2 -> 16 -> 16 -> 1 ReLU network with a sigmoid output."""
    from dlbook.config import quiet_tensorflow

    quiet_tensorflow()
    import keras

    keras.utils.set_random_seed(seed)
    return keras.Sequential([
        keras.Input(shape=(2,)),
        keras.layers.Dense(16, activation="relu"),
        keras.layers.Dense(16, activation="relu"),
        keras.layers.Dense(1, activation="sigmoid"),
    ], name="moons_mlp")


def random_images(n: int, seed: int, part: str):
    """``n`` random 28x28 images in [0, 1) (``part="x"``) or labels 0..9 (``part="y"``)."""
    rng = np.random.default_rng(seed)
    x = rng.random((n, 28, 28), dtype=np.float32)
    y = rng.integers(0, 10, n)
    return x if part == "x" else y
