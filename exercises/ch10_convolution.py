"""Chapter 10, convolutional networks: coding exercises.

Replace each ``raise NotImplementedError`` with your code, using NumPy only.
Check one function in a notebook with ``check("ch10.conv2d", conv2d)``
(``from dlbook.grading import check``), or the file with
``dlbook grade exercises/ch10_convolution.py``. Return new arrays and leave
the arguments unchanged. Tolerance: |error| <= 1e-9 + 1e-6 |expected|.

Shapes: images are float64 (N, H, W, C), channels last as in Keras; a kernel
w is (kh, kw, C, F), the layout of Keras' ``Conv2D.kernel``, and b is (F,).
"""

import numpy as np  # noqa: F401 (your code will need it)


def output_size(n, kernel, stride, padding):
    """ch10.output_size: the number of output pixels along one axis.

    With p zeros on each side:   n_out = floor((n + 2 p - kernel) / stride) + 1

    n, kernel, stride: positive ints; padding: an int p >= 0, "valid" (p = 0)
    or "same" (Keras' rule: n_out = ceil(n / stride), whatever the kernel).
    Returns an int. Example: output_size(128, 3, 2, "same") == 64.
    Book: chapter 10, "Stride, padding and the output size".
    """
    raise NotImplementedError


def conv2d(x, w, b, stride):
    """ch10.conv2d: a convolutional layer with "valid" padding (no zeros added).

    y[n, i, j, f] = sum_{p, q, c} x[n, s i + p, s j + q, c] w[p, q, c, f] + b[f]

    a cross-correlation (the kernel is not flipped), as in Keras' Conv2D.
    x: (N, H, W, C); w: (kh, kw, C, F); b: (F,); stride s: a positive int.
    Returns y (N, Ho, Wo, F) with Ho = (H - kh) // s + 1 and Wo = (W - kw) // s + 1.
    Book: chapter 10, "Convolution".
    """
    raise NotImplementedError


def conv2d_padded(x, w, b, stride, padding):
    """ch10.conv2d_padded: a convolutional layer with p zeros of padding and stride s.

    y[n, i, j, f] = sum_{p, q, c} x_pad[n, s i + p, s j + q, c] w[p, q, c, f] + b[f]

    where x_pad is x with ``padding`` rows of zeros above and below each image
    and as many columns left and right. x: (N, H, W, C); w: (kh, kw, C, F);
    b: (F,); stride: a positive int; padding: an int >= 0. Returns y
    (N, Ho, Wo, F), Ho = (H + 2 padding - kh) // stride + 1 (Wo likewise).
    Example (the notes'): a 5x5 input, a 3x3 kernel, padding 1, stride 2 -> 3x3.
    Book: chapter 10, "The notes' second example: padding 1 and stride 2".
    """
    raise NotImplementedError


def maxpool_forward(x, pool_size, stride):
    """ch10.maxpool_forward: max pooling with "valid" padding.

    y[n, i, j, c] = max_{0 <= p, q < pool_size} x[n, s i + p, s j + q, c]

    x: (N, H, W, C); pool_size and stride s: positive ints. Returns (y, cache):
    y (N, Ho, Wo, C) with Ho = (H - pool_size) // s + 1, and cache = (x, pool_size, stride).
    Book: chapter 10, "Pooling".
    """
    raise NotImplementedError


def maxpool_backward(dout, cache):
    """ch10.maxpool_backward: the gradient of max pooling.

    Each window passes its upstream gradient to the pixel that was its maximum;
    the other pixels of the window get nothing. Where windows overlap
    (stride < pool_size), a pixel collects the gradients of every window it won:
    dx[n, s i + p*, s j + q*, c] += dout[n, i, j, c], (p*, q*) the argmax of window (i, j).

    dout: (N, Ho, Wo, C); cache: (x, pool_size, stride) from maxpool_forward.
    Returns dx (N, H, W, C). dx is also checked against finite differences.
    Book: chapter 10, "Pooling".
    """
    raise NotImplementedError
