"""Activation functions g(z) and their derivatives g'(z), in NumPy (chapter 1).

The elementwise activations take an array ``z`` of any shape and return an
array of the same shape; each differentiable one has a ``*_prime`` companion
returning g'(z), also elementwise. Softmax and maxout act on a whole layer,
one example per row of ``z`` ``(N, K)``, so they come with a Jacobian and a
backward function instead. ``get(name)`` returns the pair ``(g, g_prime)`` of
an elementwise activation; the from-scratch network of chapter 3 looks its
hidden activation up that way.

At the kink z = 0 of the ReLU family the derivative does not exist; each
``*_prime`` returns there the value TensorFlow's gradient takes: the
left-hand slope for ReLU (0), leaky ReLU (alpha) and ELU (alpha), and the
right-hand slope lambda for SELU (TensorFlow reads SELU's branch off the sign
of its output, which is 0 there). Each docstring says which.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from dlbook import validation

# Klambauer et al. (2017): the constants that make SELU self-normalizing.
SELU_ALPHA = 1.6732632423543772
SELU_SCALE = 1.0507009873554805


def _as_float_array(z) -> np.ndarray:
    """``z`` as a NaN-free float array: a float ``z`` keeps its dtype (float32 stays float32, as
    in Keras), any other numeric ``z`` becomes float64."""
    checked = validation.float_array("z", z, allow_inf=True)
    array = np.asarray(z)
    return array if np.issubdtype(array.dtype, np.floating) else checked


def _as_layer(z) -> np.ndarray:
    """``z`` as a finite float array of shape ``(N, K)``: one example per row."""
    z = _as_float_array(z)
    validation.float_array("z", z, "(N, K)")
    return z


# Threshold units: not trainable by gradients ----------------------------------

def step(z):
    """Heaviside step: g(z) = 1 if z >= 0 else 0.

    Its derivative is 0 for every z != 0 and does not exist at 0, so it
    passes no gradient back: the perceptron's unit, not a network's.
    """
    return (_as_float_array(z) >= 0).astype(np.float64)


def sign(z):
    """Sign function: g(z) = -1 if z < 0, 0 if z = 0, +1 if z > 0; flat like the step."""
    return np.sign(_as_float_array(z))


# Smooth, saturating activations --------------------------------------------

def sigmoid(z):
    """Logistic sigmoid g(z) = 1 / (1 + e^{-z}), in (0, 1).

    Written with e^{-|z|} so that no exponential overflows for large |z|.
    """
    z = _as_float_array(z)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def sigmoid_prime(z):
    """g'(z) = g(z) (1 - g(z)), at most 1/4 (at z = 0)."""
    g = sigmoid(z)
    return g * (1 - g)


def tanh(z):
    """Hyperbolic tangent g(z) = (e^z - e^{-z}) / (e^z + e^{-z}) = 2 sigmoid(2z) - 1, in (-1, 1)."""
    return np.tanh(_as_float_array(z))


def tanh_prime(z):
    """g'(z) = 1 - g(z)^2, at most 1 (at z = 0)."""
    return 1 - tanh(z) ** 2


# The ReLU family -------------------------------------------------------------

def relu(z):
    """Rectified linear unit g(z) = max(0, z)."""
    return np.maximum(0.0, _as_float_array(z))


def relu_prime(z):
    """g'(z) = 1 if z > 0 else 0 (0 at z = 0, the left-hand slope)."""
    return (_as_float_array(z) > 0).astype(np.float64)


def leaky_relu(z, alpha: float = 0.1):
    """Leaky ReLU g(z) = max(alpha z, z) with 0 <= alpha < 1; the notes use alpha = 0.1."""
    alpha = validation.number("alpha", alpha, 0, 1, high_open=True)
    z = _as_float_array(z)
    return np.where(z > 0, z, alpha * z)


def leaky_relu_prime(z, alpha: float = 0.1):
    """g'(z) = 1 if z > 0 else alpha (alpha at z = 0, the left-hand slope)."""
    alpha = validation.number("alpha", alpha, 0, 1, high_open=True)
    return np.where(_as_float_array(z) > 0, 1.0, alpha)


def elu(z, alpha: float = 1.0):
    """Exponential linear unit: g(z) = z if z > 0 else alpha (e^z - 1), alpha >= 0."""
    alpha = validation.number("alpha", alpha, 0)
    z = _as_float_array(z)
    return np.where(z > 0, z, alpha * np.expm1(np.minimum(z, 0)))


def elu_prime(z, alpha: float = 1.0):
    """g'(z) = 1 if z > 0 else alpha e^z (alpha at z = 0, the left-hand slope)."""
    alpha = validation.number("alpha", alpha, 0)
    z = _as_float_array(z)
    return np.where(z > 0, 1.0, alpha * np.exp(np.minimum(z, 0)))


def selu(z):
    """Scaled ELU: g(z) = lambda z if z > 0 else lambda alpha (e^z - 1).

    lambda = SELU_SCALE ~ 1.0507 and alpha = SELU_ALPHA ~ 1.6733 are chosen so
    that a standard-normal input keeps mean 0 and variance 1 (Klambauer et al.).
    """
    return SELU_SCALE * elu(z, SELU_ALPHA)


def selu_prime(z):
    """g'(z) = lambda if z >= 0 else lambda alpha e^z (lambda at z = 0, the right-hand slope)."""
    z = _as_float_array(z)
    return SELU_SCALE * np.where(z >= 0, 1.0, SELU_ALPHA * np.exp(np.minimum(z, 0)))


# Layer-wise activations -----------------------------------------------------

def softmax(z):
    """Softmax of each row of ``z`` ``(N, K)``: g(z)_k = e^{z_k} / sum_j e^{z_j}.

    Returns ``(N, K)`` probabilities, each row summing to 1. Subtracting the
    row maximum first changes nothing mathematically (softmax(z + c) =
    softmax(z)) and keeps e^z from overflowing.
    """
    z = _as_layer(z)
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def softmax_jacobian(z):
    """The Jacobian of softmax for each row of ``z`` ``(N, K)``, shape ``(N, K, K)``.

    J_{n,k,j} = d s_{n,k} / d z_{n,j} = s_{n,k} (delta_{kj} - s_{n,j}), with s = softmax(z).
    """
    s = softmax(z)
    return s[:, :, None] * (np.eye(s.shape[1])[None] - s[:, None, :])


def maxout(z, pieces: int):
    """Maxout: the largest of each group of ``pieces`` consecutive linear units.

    h_{n,i} = max_{p < pieces} z_{n, i * pieces + p}: ``z`` ``(N, K * pieces)``
    holds the pieces' weighted inputs and ``out`` ``(N, K)`` the K unit outputs.
    Returns ``(out, cache)``; pass ``cache`` to :func:`maxout_backward`. Each
    maxout unit learns its own convex, piecewise-linear activation.
    """
    pieces = validation.integer("pieces", pieces, minimum=1)
    z = _as_layer(z)
    if z.shape[1] % pieces:
        raise ValueError(f"z must have shape (N, K * {pieces}), got {z.shape}")
    groups = z.reshape(z.shape[0], -1, pieces)
    winner = groups.argmax(axis=2)
    out = np.take_along_axis(groups, winner[..., None], axis=2)[..., 0]
    return out, (z.shape, winner)


def maxout_backward(dout, cache):
    """dL/dz ``(N, K * pieces)`` from the upstream dL/dh ``dout`` ``(N, K)``.

    The maximum passes its gradient to the winning piece of each group and
    0 to the others (a tie goes to the first winner, as in ``argmax``).
    """
    shape, winner = cache
    dout = validation.float_array("dout", dout)
    if dout.shape != winner.shape:
        raise ValueError(f"dout must have shape {winner.shape}, got {dout.shape}")
    dz = np.zeros((*winner.shape, shape[1] // winner.shape[1]))
    np.put_along_axis(dz, winner[..., None], dout[..., None], axis=2)
    return dz.reshape(shape)


# Look-up by name ---------------------------------------------------------------

ACTIVATIONS: dict[str, tuple[Callable, Callable]] = {
    "sigmoid": (sigmoid, sigmoid_prime),
    "tanh": (tanh, tanh_prime),
    "relu": (relu, relu_prime),
    "leaky_relu": (leaky_relu, leaky_relu_prime),
    "elu": (elu, elu_prime),
    "selu": (selu, selu_prime),
}


def get(name: str) -> tuple[Callable, Callable]:
    """The pair ``(g, g_prime)`` of a differentiable elementwise activation, by name.

    >>> g, g_prime = get("sigmoid")
    >>> float(g_prime(0.0))
    0.25
    """
    return ACTIVATIONS[validation.choice("name", name, tuple(ACTIVATIONS))]
