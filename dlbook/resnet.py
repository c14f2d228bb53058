"""Residual networks (chapter 11), the maths: a residual block, the shapes and sizes of a unit.

Float64 throughout, NumPy only. One residual block of dense layers and its
gradients, and the formulas for the convolutional unit:

- :func:`residual_forward` and :func:`residual_backward`: the block
  :math:`\\mathbf{y} = \\mathrm{ReLU}(\\mathbf{x} + F(\\mathbf{x}))` with
  :math:`F(\\mathbf{x}) = \\mathrm{ReLU}(\\mathbf{x} W_1) W_2`, rows of
  ``x`` being examples;
- :func:`needs_projection`, :func:`unit_output_shape` and
  :func:`unit_parameter_count`: whether a convolutional ``ResidualUnit``
  needs a projection skip, what it does to a shape and how many parameters
  it holds, by formula;
- :func:`network_depth`: the weight layers of the ResNet of
  :func:`dlbook.resnet_keras.build_resnet` on its longest path.

The Keras side (the ``ResidualUnit`` layer, the ResNet and its plain twin, the
gradient norms per layer) is :mod:`dlbook.resnet_keras`.

Notation: :math:`N` examples, :math:`D` features, :math:`H` hidden units of
the block; :math:`C` input channels, :math:`F` filters, :math:`k` the kernel
size, :math:`s` the stride (He et al., 2016).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from dlbook import validation

BN_PARAMETERS_PER_CHANNEL = 4  # gamma, beta, moving mean, moving variance (count_params counts all)


class ResidualCache(NamedTuple):
    """What :func:`residual_backward` needs from :func:`residual_forward`.

    ``x`` the input (N, D); ``W1`` (D, H) and ``W2`` (H, D); ``z1 = x W1`` and
    ``a1 = ReLU(z1)`` (N, H); ``z = x + a1 W2`` (N, D), the sum before the
    output ReLU.
    """

    x: np.ndarray
    W1: np.ndarray
    W2: np.ndarray
    z1: np.ndarray
    a1: np.ndarray
    z: np.ndarray


# ---------------------------------------------------------------------------
# Argument checks


def _check_block(x, W1, W2) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """x (N, D), W1 (D, H) and W2 (H, D): shapes that chain, so that F(x) can be added to x."""
    x = validation.float_array("x", x, "(N, D)")
    W1 = validation.float_array("W1", W1, "(D, H)")
    W2 = validation.float_array("W2", W2, "(H, D)")
    d = x.shape[1]
    if W1.shape[0] != d:
        raise ValueError(f"W1 must have shape (D, H) = ({d}, H) for x of shape {x.shape}, "
                         f"got {W1.shape}")
    if W2.shape != (W1.shape[1], d):
        raise ValueError(f"W2 must have shape (H, D) = ({W1.shape[1]}, {d}) to add F(x) to x, "
                         f"got {W2.shape}")
    return x, W1, W2


def _check_cache(cache) -> ResidualCache:
    """The :class:`ResidualCache` of one forward pass, its six arrays shaped as there."""
    if not isinstance(cache, tuple) or len(cache) != len(ResidualCache._fields):
        raise TypeError(f"cache must be the ResidualCache that residual_forward returned "
                        f"(a tuple of {len(ResidualCache._fields)} arrays), got "
                        f"{type(cache).__name__}")
    layouts = ("(N, D)", "(D, H)", "(H, D)", "(N, H)", "(N, H)", "(N, D)")
    return ResidualCache(*(validation.float_array(f"cache.{name}", part, layout) for name, part, layout
                           in zip(ResidualCache._fields, cache, layouts, strict=True)))


def _check_stages(stages) -> tuple[tuple[int, int], ...]:
    """A non-empty sequence of (filters, units) pairs of positive ints."""
    if isinstance(stages, (str, bytes)) or not isinstance(stages, Sequence):
        raise TypeError(f"stages must be a sequence of (filters, units) pairs, "
                        f"got {type(stages).__name__}")
    if not stages:
        raise ValueError("stages must hold at least one (filters, units) pair, got an empty sequence")
    return tuple(validation.shape(f"stages[{i}]", stage, 2) for i, stage in enumerate(stages))


# ---------------------------------------------------------------------------
# NumPy: one residual block of dense layers


def residual_forward(x, W1, W2) -> tuple[np.ndarray, ResidualCache]:
    """A residual block of two dense layers: the skip adds the input to their output.

    .. math:: \\mathbf{y} = \\mathrm{ReLU}(\\mathbf{x} + F(\\mathbf{x})), \\qquad
              F(\\mathbf{x}) = \\mathrm{ReLU}(\\mathbf{x} W_1)\\, W_2

    x (N, D), W1 (D, H), W2 (H, D); no biases. Returns ``y`` (N, D) and the
    :class:`ResidualCache` for :func:`residual_backward`. With ``W2 = 0`` the
    block is ReLU(x): the identity on non-negative inputs.
    """
    x, W1, W2 = _check_block(x, W1, W2)
    z1 = x @ W1
    a1 = np.maximum(z1, 0.0)
    z = x + a1 @ W2
    return np.maximum(z, 0.0), ResidualCache(x, W1, W2, z1, a1, z)


def residual_backward(dout, cache: ResidualCache) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of the residual block: the skip passes ``dz`` to ``x`` unchanged.

    .. math:: \\boldsymbol{\\delta} = \\frac{\\partial L}{\\partial \\mathbf{y}} \\odot
              \\mathbb{1}[\\mathbf{z} > 0], \\quad
              \\frac{\\partial L}{\\partial W_2} = \\mathbf{a}_1^\\top \\boldsymbol{\\delta}, \\quad
              \\boldsymbol{\\delta}_1 = \\boldsymbol{\\delta} W_2^\\top \\odot
              \\mathbb{1}[\\mathbf{z}_1 > 0],

    .. math:: \\frac{\\partial L}{\\partial W_1} = \\mathbf{x}^\\top \\boldsymbol{\\delta}_1,
              \\qquad \\frac{\\partial L}{\\partial \\mathbf{x}} = \\boldsymbol{\\delta} +
              \\boldsymbol{\\delta}_1 W_1^\\top

    dout (N, D) is dL/dy; ``cache`` is what :func:`residual_forward`
    returned. Returns ``(dx, dW1, dW2)`` shaped like x (N, D), W1 (D, H) and
    W2 (H, D). The first term of dx is the skip: the gradient reaches x even
    when the weights make the second term vanish.
    """
    x, W1, W2, z1, a1, z = _check_cache(cache)
    dout = validation.float_array("dout", dout, "(N, D)")
    if dout.shape != z.shape:
        raise ValueError(f"dout must have the shape of the block's output {z.shape}, "
                         f"got {dout.shape}")
    delta = dout * (z > 0)
    dW2 = a1.T @ delta
    delta1 = (delta @ W2.T) * (z1 > 0)
    dW1 = x.T @ delta1
    dx = delta + delta1 @ W1.T
    return dx, dW1, dW2


# ---------------------------------------------------------------------------
# NumPy: shapes and parameter counts of the convolutional unit


def needs_projection(in_channels: int, filters: int, strides: int) -> bool:
    """Whether the skip of a unit must be a projection: the stride or the depth changes.

    The identity skip x can only be added to F(x) when both have the same
    shape, i.e. when s = 1 and C = F.
    """
    in_channels = validation.integer("in_channels", in_channels, 1)
    filters = validation.integer("filters", filters, 1)
    strides = validation.integer("strides", strides, 1)
    return strides != 1 or in_channels != filters


def unit_output_shape(input_shape: Sequence[int], filters: int, strides: int = 1) -> tuple:
    """The shape ``(H', W', F)`` of one example after a residual unit.

    .. math:: H' = \\lceil H / s \\rceil, \\qquad W' = \\lceil W / s \\rceil

    (``"same"`` padding: only the first convolution and the projection have
    the stride s). ``input_shape`` is ``(H, W, C)``, one example without the
    batch axis.
    """
    shape = validation.shape("input_shape", input_shape, 3)
    filters = validation.integer("filters", filters, 1)
    strides = validation.integer("strides", strides, 1)
    return (-(-shape[0] // strides), -(-shape[1] // strides), filters)


def unit_parameter_count(in_channels: int, filters: int, strides: int = 1,
                         kernel_size: int = 3, skip: bool = True) -> int:
    """The parameters of a :class:`dlbook.resnet_keras.ResidualUnit`, as Keras' ``count_params`` counts them.

    .. math:: P = k^2 C F + 4F + k^2 F F + 4F \\;[+\\; C F + 4F \\text{ with a projection}]

    The convolutions have no bias (the batch normalization after each has a
    shift); each batch normalization holds 4 numbers per channel (gamma and
    beta, trained, and the moving mean and variance, not trained). The
    projection is there when ``skip`` is True and :func:`needs_projection`.
    """
    in_channels = validation.integer("in_channels", in_channels, 1)
    filters = validation.integer("filters", filters, 1)
    strides = validation.integer("strides", strides, 1)
    kernel_size = validation.integer("kernel_size", kernel_size, 1)
    validation.boolean("skip", skip)
    bn = BN_PARAMETERS_PER_CHANNEL * filters
    count = kernel_size**2 * in_channels * filters + bn + kernel_size**2 * filters * filters + bn
    if skip and needs_projection(in_channels, filters, strides):
        count += in_channels * filters + bn
    return count


# ---------------------------------------------------------------------------
# NumPy: the depth of the network


def network_depth(stages: Sequence[Sequence[int]]) -> int:
    """Weight layers on the longest path of :func:`dlbook.resnet_keras.build_resnet`: 1 + 2 sum(units) + 1."""
    return 2 + 2 * sum(units for _, units in _check_stages(stages))
