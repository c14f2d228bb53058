"""Chapter 10, convolutional networks: reference solutions to the coding exercises.

Check them with ``dlbook grade solutions/ch10_convolution.py``.
"""

import numpy as np


def output_size(n, kernel, stride, padding):
    """floor((n + 2p - k) / s) + 1, or ceil(n / s) for Keras' "same" padding."""
    if padding == "same":
        return -(-n // stride)
    p = 0 if padding == "valid" else padding
    return (n + 2 * p - kernel) // stride + 1


def conv2d(x, w, b, stride):
    """One tensordot per output pixel: the receptive field of every image against every filter."""
    n, h, width, _ = x.shape
    kh, kw, _, f = w.shape
    ho, wo = (h - kh) // stride + 1, (width - kw) // stride + 1
    y = np.zeros((n, ho, wo, f))
    for i in range(ho):
        for j in range(wo):
            field = x[:, i * stride:i * stride + kh, j * stride:j * stride + kw, :]
            y[:, i, j, :] = np.tensordot(field, w, axes=3) + b
    return y


def conv2d_padded(x, w, b, stride, padding):
    """Zeros around each image (not the batch or the channels), then the valid convolution."""
    x_pad = np.pad(x, ((0, 0), (padding, padding), (padding, padding), (0, 0)))
    return conv2d(x_pad, w, b, stride)


def maxpool_forward(x, pool_size, stride):
    """The maximum of each window, over its rows and columns, for every image and channel."""
    n, h, w, c = x.shape
    ho, wo = (h - pool_size) // stride + 1, (w - pool_size) // stride + 1
    y = np.zeros((n, ho, wo, c))
    for i in range(ho):
        for j in range(wo):
            window = x[:, i * stride:i * stride + pool_size, j * stride:j * stride + pool_size, :]
            y[:, i, j, :] = window.max(axis=(1, 2))
    return y, (x, pool_size, stride)


def maxpool_backward(dout, cache):
    """Route each window's gradient to its argmax; overlapping windows add up."""
    x, pool_size, stride = cache
    dx = np.zeros_like(x, dtype=np.float64)
    n, ho, wo, c = dout.shape
    for i in range(ho):
        for j in range(wo):
            window = x[:, i * stride:i * stride + pool_size, j * stride:j * stride + pool_size, :]
            flat = window.reshape(n, pool_size * pool_size, c).argmax(axis=1)  # (N, C)
            p, q = np.unravel_index(flat, (pool_size, pool_size))
            for image in range(n):
                for channel in range(c):
                    dx[image, i * stride + p[image, channel], j * stride + q[image, channel],
                       channel] += dout[image, i, j, channel]
    return dx
