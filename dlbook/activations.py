"""Activation functions g(z) and their derivatives g'(z), in NumPy (chapter 1).

Every function works elementwise on an array of any shape, except softmax and
maxout, which act on the last axis. ``get(name)`` returns the pair
``(g, g_prime)`` for the differentiable ones; the from-scratch network of
chapter 3 looks its hidden activation up that way.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

# Klambauer et al. (2017): the constants that make SELU self-normalizing.
SELU_ALPHA = 1.6732632423543772
SELU_SCALE = 1.0507009873554805


def _as_float_array(z) -> np.ndarray:
    """``z`` as a float array (float64 unless it already is a float type), NaN-free."""
    z = np.asarray(z)
    if not (np.issubdtype(z.dtype, np.number) or z.dtype == bool):
        raise TypeError(f"z must be a numeric array, got dtype {z.dtype}")
    if not np.issubdtype(z.dtype, np.floating):
        z = z.astype(np.float64)
    if np.isnan(z).any():
        raise ValueError("z must not contain NaN")
    return z


def step(z):
    """Heaviside step: 1 if z >= 0 else 0. Its derivative is 0 almost everywhere."""
    return (_as_float_array(z) >= 0).astype(np.float64)


def sign(z):
    """Sign function: -1, 0 or +1. Like the step, flat almost everywhere."""
    return np.sign(_as_float_array(z))


def sigmoid(z):
    """Logistic sigmoid g(z) = 1 / (1 + e^{-z}), computed without overflow."""
    z = _as_float_array(z)
    e = np.exp(-np.abs(z))  # never overflows
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def sigmoid_prime(z):
    """g'(z) = g(z) (1 - g(z))."""
    g = sigmoid(z)
    return g * (1 - g)


def tanh(z):
    """Hyperbolic tangent g(z) = (e^z - e^{-z}) / (e^z + e^{-z})."""
    return np.tanh(_as_float_array(z))


def tanh_prime(z):
    """g'(z) = 1 - g(z)^2."""
    return 1 - np.tanh(_as_float_array(z)) ** 2


def relu(z):
    """Rectified linear unit g(z) = max(0, z)."""
    return np.maximum(0, _as_float_array(z))


def relu_prime(z):
    """g'(z) = 1 if z > 0 else 0 (the value 0 is chosen at the kink z = 0)."""
    return (_as_float_array(z) > 0).astype(np.float64)


def leaky_relu(z, alpha: float = 0.1):
    """Leaky ReLU g(z) = max(alpha z, z), with 0 <= alpha < 1 (the notes use 0.1)."""
    _check_alpha(alpha, upper=1)
    z = _as_float_array(z)
    return np.where(z > 0, z, alpha * z)


def leaky_relu_prime(z, alpha: float = 0.1):
    """g'(z) = 1 if z > 0 else alpha."""
    _check_alpha(alpha, upper=1)
    return np.where(_as_float_array(z) > 0, 1.0, alpha)


def elu(z, alpha: float = 1.0):
    """Exponential linear unit: z if z > 0 else alpha (e^z - 1)."""
    _check_alpha(alpha)
    z = _as_float_array(z)
    return np.where(z > 0, z, alpha * np.expm1(np.minimum(z, 0)))


def elu_prime(z, alpha: float = 1.0):
    """g'(z) = 1 if z > 0 else alpha e^z."""
    _check_alpha(alpha)
    z = _as_float_array(z)
    return np.where(z > 0, 1.0, alpha * np.exp(np.minimum(z, 0)))


def selu(z):
    """Scaled ELU: lambda * elu(z, alpha) with Klambauer et al.'s lambda and alpha."""
    return SELU_SCALE * elu(z, SELU_ALPHA)


def selu_prime(z):
    """g'(z) = lambda if z > 0 else lambda alpha e^z."""
    return SELU_SCALE * elu_prime(z, SELU_ALPHA)


def softmax(z):
    """Softmax over the last axis: g(z)_k = e^{z_k} / sum_j e^{z_j}.

    Subtracting the row maximum first changes nothing mathematically and
    keeps e^z from overflowing.
    """
    z = _as_float_array(z)
    if z.ndim == 0:
        raise ValueError("z must have at least one axis (the classes), got a scalar")
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def softmax_jacobian(z):
    """The Jacobian of softmax for each row: J_{kj} = s_k (delta_kj - s_j).

    ``z`` has shape ``(N, K)``; the result has shape ``(N, K, K)``.
    """
    z = _as_float_array(z)
    if z.ndim != 2:
        raise ValueError(f"z must have shape (N, K), got {z.shape}")
    s = softmax(z)
    return s[:, :, None] * (np.eye(z.shape[1])[None] - s[:, None, :])


def maxout(z, pieces: int):
    """Maxout: the maximum of each group of ``pieces`` consecutive units.

    ``z`` has shape ``(N, K * pieces)``; returns ``(out, cache)`` with ``out`` of
    shape ``(N, K)``. A maxout unit learns its own piecewise-linear activation.
    """
    z = _as_float_array(z)
    if isinstance(pieces, bool) or not isinstance(pieces, (int, np.integer)) or pieces < 1:
        raise ValueError(f"pieces must be a positive int, got {pieces!r}")
    if z.ndim != 2 or z.shape[1] % pieces:
        raise ValueError(f"z must have shape (N, K * {pieces}), got {z.shape}")
    groups = z.reshape(z.shape[0], -1, pieces)
    winner = groups.argmax(axis=-1)
    return groups.max(axis=-1), (z.shape, pieces, winner)


def maxout_backward(dout, cache):
    """Route the upstream gradient ``dout`` ``(N, K)`` to each group's winning unit."""
    shape, pieces, winner = cache
    dout = np.asarray(dout, dtype=np.float64)
    if dout.shape != winner.shape:
        raise ValueError(f"dout must have shape {winner.shape}, got {dout.shape}")
    dz = np.zeros((shape[0], shape[1] // pieces, pieces))
    np.put_along_axis(dz, winner[..., None], dout[..., None], axis=-1)
    return dz.reshape(shape)


def _check_alpha(alpha, upper=np.inf):
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not 0 <= alpha < upper:
        raise ValueError(f"alpha must be a number in [0, {upper}), got {alpha!r}")


ACTIVATIONS: dict[str, tuple[Callable, Callable]] = {
    "sigmoid": (sigmoid, sigmoid_prime),
    "tanh": (tanh, tanh_prime),
    "relu": (relu, relu_prime),
    "leaky_relu": (leaky_relu, leaky_relu_prime),
    "elu": (elu, elu_prime),
    "selu": (selu, selu_prime),
}


def get(name: str) -> tuple[Callable, Callable]:
    """The pair ``(g, g_prime)`` of a differentiable elementwise activation."""
    if name not in ACTIVATIONS:
        raise ValueError(f"name must be one of {sorted(ACTIVATIONS)}, got {name!r}")
    return ACTIVATIONS[name]
