"""Chapter 11, residual networks: coding exercises.

Replace each ``raise NotImplementedError`` with your code, using NumPy only.
Check one function in a notebook with ``check("ch11.residual_forward",
residual_forward)`` (``from dlbook.grading import check``), or the file with
``dlbook grade exercises/ch11_resnet.py``. Return new arrays and leave the
arguments unchanged. Tolerance for arrays: |error| <= 1e-9 + 1e-6 |expected|;
shapes and parameter counts must be exact.

Shapes: x and dout are float64 (N, D), one example per row; W1 is (D, H) and
W2 (H, D), so that F(x) = ReLU(x W1) W2 has the shape of x and can be added
to it. A cache is the tuple (x, W1, W2, z1, a1, z) that residual_forward
returns and residual_backward takes.
"""

import numpy as np  # noqa: F401 (your code will need it)


def residual_forward(x, W1, W2):
    """ch11.residual_forward: a residual block of two dense layers.

    z1 = x W1,   a1 = ReLU(z1),   z = x + a1 W2,   y = ReLU(z)

    i.e. y = ReLU(x + F(x)) with F(x) = ReLU(x W1) W2 (no biases).
    x: (N, D); W1: (D, H); W2: (H, D). Returns (y, cache): y (N, D) and
    cache = (x, W1, W2, z1 (N, H), a1 (N, H), z (N, D)).
    Book: chapter 11, "Skip connections and the residual unit".
    """
    raise NotImplementedError


def residual_backward(dout, cache):
    """ch11.residual_backward: the gradients of the residual block.

    delta = dout * [z > 0],   dW2 = a1^T delta,   delta1 = (delta W2^T) * [z1 > 0],
    dW1 = x^T delta1,   dx = delta + delta1 W1^T   (the first term is the skip)

    dout: dL/dy (N, D); cache: (x, W1, W2, z1, a1, z) from residual_forward.
    Returns (dx (N, D), dW1 (D, H), dW2 (H, D)); all three are also checked
    against finite differences.
    Book: chapter 11, "The gradient through a skip".
    """
    raise NotImplementedError


def unit_output_shape(input_shape, filters, strides):
    """ch11.unit_output_shape: the shape of one example after a residual unit.

    H' = ceil(H / s),   W' = ceil(W / s),   channels = F

    input_shape: (H, W, C) of one example (no batch axis); filters: F;
    strides: s, the stride of the unit's first convolution (and of its
    projection); every convolution has "same" padding. Returns the tuple
    (H', W', F) of Python ints.
    Book: chapter 11, "The projection skip".
    """
    raise NotImplementedError


def unit_parameter_count(in_channels, filters, strides, kernel_size):
    """ch11.unit_parameter_count: the parameters of a residual unit, as count_params counts them.

    main path: Conv(k x k, C -> F, no bias) -> BN(F) -> ReLU -> Conv(k x k, F -> F, no bias) -> BN(F)
    skip: the identity when s = 1 and C = F, else Conv(1 x 1, C -> F, stride s, no bias) -> BN(F)

    A k x k convolution from C to F channels without bias has k^2 C F weights;
    a batch normalization of F channels holds 4 F numbers (gamma, beta, the
    moving mean and the moving variance). in_channels: C; filters: F;
    strides: s; kernel_size: k. Returns the count as a Python int.
    Book: chapter 11, "The projection skip".
    """
    raise NotImplementedError
