"""Chapter 11, residual networks: reference solutions to the coding exercises.

Check them with ``dlbook grade solutions/ch11_resnet.py``.
"""

import numpy as np


def residual_forward(x, W1, W2):
    """ReLU(x + ReLU(x W1) W2), and what the backward pass needs."""
    z1 = x @ W1
    a1 = np.maximum(z1, 0.0)
    z = x + a1 @ W2
    return np.maximum(z, 0.0), (x, W1, W2, z1, a1, z)


def residual_backward(dout, cache):
    """Backpropagate through the output ReLU, then along both paths; the skip adds delta to dx."""
    x, W1, W2, z1, a1, z = cache
    delta = dout * (z > 0)
    delta1 = (delta @ W2.T) * (z1 > 0)
    return delta + delta1 @ W1.T, x.T @ delta1, a1.T @ delta


def unit_output_shape(input_shape, filters, strides):
    """"same" padding: ceil(H / s) by ceil(W / s), with F channels."""
    height, width, _ = input_shape
    return (-(-height // strides), -(-width // strides), filters)


def unit_parameter_count(in_channels, filters, strides, kernel_size):
    """Two bias-free k x k convolutions and two BNs; a 1x1 projection and a BN if the shape changes."""
    count = kernel_size**2 * (in_channels * filters + filters * filters) + 2 * 4 * filters
    if strides != 1 or in_channels != filters:
        count += in_channels * filters + 4 * filters
    return count
