"""Convolution and pooling (chapter 10), forward and backward, from scratch in NumPy.

Images are batches in Keras' channels-last layout, ``(N, H, W, C)``: N images
of H rows and W columns with C channels each. A convolutional layer with F
filters of size kh x kw has a kernel ``w`` of shape ``(kh, kw, C, F)`` (the
layout of Keras' ``Conv2D.kernel``) and a bias ``b`` of shape ``(F,)``. With
stride s and the input zero-padded to x_pad, output pixel (i, j) of filter f is

    y[n, i, j, f] = sum_{p, q, c} x_pad[n, s i + p, s j + q, c] w[p, q, c, f] + b[f],

a *cross-correlation*, which is what every deep-learning library calls a
convolution (the kernel is not flipped). Padding is ``"valid"`` (none: the
output shrinks by kernel - 1) or ``"same"`` (zeros around the input so that the
output has ceil(n / s) pixels along each axis). "same" pads exactly as Keras
and TensorFlow do: a total of max((out - 1) s + k - n, 0) zeros, half before
and the rest, one more when the total is odd, after (:func:`same_padding`).

The fast forward pass is :func:`im2col`: every receptive field is unrolled
into one row of a matrix, and the convolution becomes one matrix product with
the kernel reshaped to ``(kh kw C, F)``. Its backward pass multiplies by the
transposed matrices and scatters the rows back with :func:`col2im`.
:func:`conv2d_naive` is the same computation as four nested loops, the
readable reference the chapter shows and the tests compare against.

Each forward function returns its output and a cache; each backward function
takes the upstream gradient ``dout`` = dL/dy and that cache (the CS231n
convention). Nothing here imports Keras: the Keras counterparts live in
:mod:`dlbook.cnn`.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from dlbook import validation
from dlbook.gradcheck import numerical_gradient, relative_error

PADDINGS = ("valid", "same")
POOLS = ("max", "average")
LAYERS = ("conv", "maxpool", "avgpool")


class ConvCache(NamedTuple):
    """What :func:`conv2d_backward` needs from :func:`conv2d_forward`."""

    cols: np.ndarray  # the im2col matrix of the padded input, (N Ho Wo, kh kw C)
    x_shape: tuple  # (N, H, W, C), the input before padding
    w: np.ndarray  # the kernel, (kh, kw, C, F)
    stride: tuple  # (s_h, s_w)
    pads: tuple  # ((top, bottom), (left, right)) zeros added around the input


class PoolCache(NamedTuple):
    """What a pooling backward pass needs from its forward pass (a plain 3- or 4-tuple works too)."""

    x: np.ndarray  # the input, (N, H, W, C)
    pool_size: tuple  # (p_h, p_w)
    stride: tuple  # (s_h, s_w)
    padding: str = "valid"


# ---------------------------------------------------------------------------
# Sizes and padding


def output_size(n: int, kernel: int, stride: int = 1, padding: str | int = "valid") -> int:
    """The number of output pixels along one axis of n input pixels.

    With p zeros on each side:  n_out = floor((n + 2p - k) / s) + 1.

    ``padding`` is a number of zeros p on each side, ``"valid"`` (p = 0, so
    floor((n - k) / s) + 1) or ``"same"`` (Keras' and TensorFlow's rule,
    n_out = ceil(n / s), whatever the kernel). These are the output shapes of
    Keras' ``Conv2D`` and pooling layers.

    >>> output_size(5, 3)                  # the 5x5 worked example: a 3x3 output
    3
    >>> output_size(128, 3, 2, "same")     # 128x128, stride 2, same padding
    64
    """
    n = validation.integer("n", n, 1)
    kernel = validation.integer("kernel", kernel, 1)
    stride = validation.integer("stride", stride, 1)
    if padding == "same":
        return -(-n // stride)
    if padding == "valid":
        p = 0
    elif isinstance(padding, str):
        raise ValueError(f"padding must be 'valid', 'same' or an int >= 0, got {padding!r}")
    else:
        p = validation.integer("padding", padding, 0)
    if n + 2 * p < kernel:
        raise ValueError(f"kernel must fit in the padded input: kernel {kernel} > n + 2 padding = "
                         f"{n + 2 * p} (n={n}, padding={padding!r})")
    return (n + 2 * p - kernel) // stride + 1


def same_padding(n: int, kernel: int, stride: int = 1) -> tuple[int, int]:
    """The zeros (before, after) that ``"same"`` padding adds along an axis of n pixels.

    total = max((ceil(n / s) - 1) s + k - n, 0),  before = floor(total / 2),  after = total - before.

    When the total is odd, the extra zero goes *after* (bottom or right), as
    in TensorFlow and Keras; with stride 1 and an odd kernel it is (k-1)/2 on
    each side.
    """
    n = validation.integer("n", n, 1)
    kernel = validation.integer("kernel", kernel, 1)
    stride = validation.integer("stride", stride, 1)
    total = max((-(-n // stride) - 1) * stride + kernel - n, 0)
    return total // 2, total - total // 2


def padding_amounts(height: int, width: int, kernel, stride=1, padding: str | int = "valid") -> tuple:
    """((top, bottom), (left, right)): the zeros around an H x W image for ``padding``.

    ``padding`` is ``"valid"`` (none), ``"same"`` (Keras' rule) or an int p,
    p zeros on every side as in the lecture notes (and PyTorch).
    """
    kh, kw = _pair("kernel", kernel)
    sh, sw = _pair("stride", stride)
    if padding == "same":
        return same_padding(height, kh, sh), same_padding(width, kw, sw)
    if isinstance(padding, str) and padding != "valid":
        raise ValueError(f"padding must be 'valid', 'same' or an int >= 0, got {padding!r}")
    p = 0 if padding == "valid" else validation.integer("padding", padding, 0)
    return (p, p), (p, p)


def pad(x, pads, value: float = 0.0) -> np.ndarray:
    """The batch x (N, H, W, C) with ``pads`` = ((top, bottom), (left, right)) rows and columns of ``value``.

    Returns (N, H + top + bottom, W + left + right, C).
    """
    x = validation.float_array("x", x, "(N, H, W, C)", allow_inf=True)
    (top, bottom), (left, right) = pads
    return np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)), constant_values=value)


# ---------------------------------------------------------------------------
# im2col and col2im


def _windows(x: np.ndarray, kh: int, kw: int, sh: int, sw: int) -> np.ndarray:
    """A read-only view (N, Ho, Wo, kh, kw, C) of every receptive field of x (N, H, W, C)."""
    view = np.lib.stride_tricks.sliding_window_view(x, (kh, kw), axis=(1, 2))  # (N, ., ., C, kh, kw)
    return view[:, ::sh, ::sw].transpose(0, 1, 2, 4, 5, 3)


def im2col(x, kernel, stride=1) -> np.ndarray:
    """Unroll every kh x kw receptive field of x into one row of a matrix.

    Row (n, i, j) holds x[n, s i : s i + kh, s j : s j + kw, :], flattened in
    the order (p, q, c): the order of ``w.reshape(kh * kw * C, F)`` for a
    Keras kernel w (kh, kw, C, F), so that the convolution is cols @ W.
    ``x`` (N, H, W, C) is already padded; returns (N Ho Wo, kh kw C) with
    Ho = floor((H - kh) / s_h) + 1, and Wo likewise.
    """
    x = validation.float_array("x", x, "(N, H, W, C)", allow_inf=True)
    kh, kw = _pair("kernel", kernel)
    sh, sw = _pair("stride", stride)
    n, h, w, c = x.shape
    if kh > h or kw > w:
        raise ValueError(f"kernel {(kh, kw)} must fit in the image, got an image of {h}x{w}")
    windows = _windows(x, kh, kw, sh, sw)
    return windows.reshape(-1, kh * kw * c)


def col2im(cols, x_shape, kernel, stride=1) -> np.ndarray:
    """The adjoint of :func:`im2col`: add each row back onto the pixels it came from.

    dx[n, s i + p, s j + q, c] += cols[(n, i, j), (p, q, c)] for every row and
    column. A pixel in several receptive fields (stride < kernel) receives
    the sum of their gradients. ``cols`` is (N Ho Wo, kh kw C), ``x_shape``
    the shape (N, H, W, C) of the (padded) input; returns an array of that shape.
    """
    kh, kw = _pair("kernel", kernel)
    sh, sw = _pair("stride", stride)
    n, h, w, c = validation.shape("x_shape", x_shape, 4)
    ho, wo = output_size(h, kh, sh), output_size(w, kw, sw)
    cols = validation.float_array("cols", cols, "(N Ho Wo, kh kw C)")
    if cols.shape != (n * ho * wo, kh * kw * c):
        raise ValueError(f"cols must have shape (N Ho Wo, kh kw C) = {(n * ho * wo, kh * kw * c)} "
                         f"for x_shape {(n, h, w, c)}, kernel {(kh, kw)} and stride {(sh, sw)}, "
                         f"got {cols.shape}")
    return _scatter(cols.reshape(n, ho, wo, kh, kw, c), (n, h, w, c), sh, sw)


def _scatter(patches: np.ndarray, x_shape, sh: int, sw: int) -> np.ndarray:
    """Sum patches (N, Ho, Wo, kh, kw, C) into an array of x_shape: one slice per kernel offset."""
    _, ho, wo, kh, kw, _ = patches.shape
    dx = np.zeros(x_shape)
    for p in range(kh):
        for q in range(kw):
            dx[:, p:p + sh * (ho - 1) + 1:sh, q:q + sw * (wo - 1) + 1:sw, :] += patches[:, :, :, p, q, :]
    return dx


# ---------------------------------------------------------------------------
# Convolution


def conv2d_naive(x, w, b, stride=1, padding: str | int = "valid") -> np.ndarray:
    """The convolutional layer as nested loops: the definition, slowly.

    y[n, i, j, f] = sum_{p, q, c} x_pad[n, s i + p, s j + q, c] w[p, q, c, f] + b[f]

    ``x`` (N, H, W, C), ``w`` (kh, kw, C, F), ``b`` (F,); returns (N, Ho, Wo, F).
    Same arguments and result as :func:`conv2d_forward`, without the cache.
    """
    x, w, b = _check_conv_args(x, w, b)
    (sh, sw), (kh, kw) = _pair("stride", stride), w.shape[:2]
    x_pad = pad(x, padding_amounts(x.shape[1], x.shape[2], (kh, kw), (sh, sw), padding))
    n_images, ho, wo, n_filters = (x.shape[0], output_size(x_pad.shape[1], kh, sh),
                                   output_size(x_pad.shape[2], kw, sw), w.shape[3])
    y = np.zeros((n_images, ho, wo, n_filters))
    for n in range(n_images):
        for i in range(ho):
            for j in range(wo):
                field = x_pad[n, i * sh:i * sh + kh, j * sw:j * sw + kw, :]  # (kh, kw, C)
                for f in range(n_filters):
                    y[n, i, j, f] = np.sum(field * w[:, :, :, f]) + b[f]
    return y


def conv2d_forward(x, w, b, stride=1, padding: str | int = "valid") -> tuple[np.ndarray, ConvCache]:
    """The convolutional layer by im2col: one matrix product for the whole batch.

    y[n, i, j, f] = sum_{p, q, c} x_pad[n, s i + p, s j + q, c] w[p, q, c, f] + b[f],
    computed as Y = im2col(x_pad) W + b with W = w reshaped to (kh kw C, F).

    ``x`` (N, H, W, C); ``w`` (kh, kw, C, F) as Keras' ``Conv2D.kernel``;
    ``b`` (F,); ``stride`` an int or (s_h, s_w); ``padding`` "valid", "same"
    (Keras' rule) or an int p of zeros on every side. Returns y (N, Ho, Wo, F),
    Ho = :func:`output_size` (H, kh, s_h, padding), and the :class:`ConvCache`.
    """
    x, w, b = _check_conv_args(x, w, b)
    stride = _pair("stride", stride)
    kh, kw, c, f = w.shape
    pads = padding_amounts(x.shape[1], x.shape[2], (kh, kw), stride, padding)
    x_pad = pad(x, pads)
    cols = im2col(x_pad, (kh, kw), stride)
    ho, wo = output_size(x_pad.shape[1], kh, stride[0]), output_size(x_pad.shape[2], kw, stride[1])
    y = (cols @ w.reshape(kh * kw * c, f) + b).reshape(x.shape[0], ho, wo, f)
    return y, ConvCache(cols, x.shape, w, stride, pads)


def conv2d(x, w, b, stride=1, padding: str | int = "valid") -> np.ndarray:
    """The output of :func:`conv2d_forward` alone, (N, Ho, Wo, F)."""
    return conv2d_forward(x, w, b, stride, padding)[0]


def conv2d_backward(dout, cache) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The gradients of the convolutional layer from dL/dy and the cache.

    With D = dout reshaped to (N Ho Wo, F) and X = the im2col matrix:

    db[f] = sum_{n, i, j} dout[n, i, j, f],    dW = X^T D,    dx = col2im(D W^T), padding removed.

    Each kernel weight is shared by every output pixel, so its gradient sums
    over all of them; each input pixel feeds every output whose receptive
    field covers it, so its gradient sums over those. ``dout`` is
    (N, Ho, Wo, F), ``cache`` what :func:`conv2d_forward` returned; returns
    (dx (N, H, W, C), dw (kh, kw, C, F), db (F,)).
    """
    if not isinstance(cache, tuple) or len(cache) != 5:
        raise TypeError("cache must be the ConvCache (cols, x_shape, w, stride, pads) that "
                        f"conv2d_forward returned, got {type(cache).__name__}")
    cols, x_shape, w, stride, pads = cache
    kh, kw, c, f = w.shape
    (top, bottom), (left, right) = pads
    n, h, width, _ = x_shape
    padded = (n, h + top + bottom, width + left + right, c)
    expected = (n, output_size(padded[1], kh, stride[0]), output_size(padded[2], kw, stride[1]), f)
    dout = _check_dout(dout, expected)
    d = dout.reshape(-1, f)
    dw = (cols.T @ d).reshape(w.shape)
    dx_pad = col2im(d @ w.reshape(-1, f).T, padded, (kh, kw), stride)
    return dx_pad[:, top:top + h, left:left + width, :], dw, d.sum(axis=0)


# ---------------------------------------------------------------------------
# Pooling


def _pool_setup(x, pool_size, stride, padding):
    x = validation.float_array("x", x, "(N, H, W, C)", allow_inf=True)
    pool_size = _pair("pool_size", pool_size)
    stride = pool_size if stride is None else _pair("stride", stride)
    validation.choice("padding", padding, PADDINGS)
    pads = padding_amounts(x.shape[1], x.shape[2], pool_size, stride, padding)
    if padding == "valid" and (pool_size[0] > x.shape[1] or pool_size[1] > x.shape[2]):
        raise ValueError(f"pool_size {pool_size} must fit in the image with valid padding, "
                         f"got an image of {x.shape[1]}x{x.shape[2]}")
    return x, pool_size, stride, pads


def maxpool_forward(x, pool_size=2, stride=None, padding: str = "valid") -> tuple[np.ndarray, PoolCache]:
    """Max pooling: the largest value of each p_h x p_w window, channel by channel.

    y[n, i, j, c] = max_{p, q} x_pad[n, s i + p, s j + q, c]

    ``stride`` defaults to ``pool_size`` (non-overlapping windows), as in
    Keras' ``MaxPooling2D``; "same" padding pads with -inf, so padding never
    wins. ``x`` (N, H, W, C); returns y (N, Ho, Wo, C) and the :class:`PoolCache`.
    """
    x, pool_size, stride, pads = _pool_setup(x, pool_size, stride, padding)
    windows = _windows(pad(x, pads, -np.inf), *pool_size, *stride)
    return windows.max(axis=(3, 4)), PoolCache(x, pool_size, stride, padding)


def maxpool_backward(dout, cache) -> np.ndarray:
    """The gradient of max pooling: each window's gradient goes to its maximum, the rest get 0.

    dx[n, s i + p*, s j + q*, c] += dout[n, i, j, c] with (p*, q*) the argmax
    of window (i, j) (the first one, reading row by row, if there is a tie).
    Overlapping windows add up. ``dout`` (N, Ho, Wo, C); ``cache`` the
    :class:`PoolCache` (x, pool_size, stride[, padding]) of :func:`maxpool_forward`;
    returns dx (N, H, W, C).
    """
    x, (ph, pw), stride, pads, windows = _pool_cache(cache, -np.inf)
    n, ho, wo, _, _, c = windows.shape
    dout = _check_dout(dout, (n, ho, wo, c))
    flat = windows.transpose(0, 1, 2, 5, 3, 4).reshape(n, ho, wo, c, ph * pw)
    mask = np.zeros(flat.shape)
    np.put_along_axis(mask, flat.argmax(axis=-1)[..., None], 1.0, axis=-1)
    patches = (mask * dout[..., None]).reshape(n, ho, wo, c, ph, pw).transpose(0, 1, 2, 4, 5, 3)
    return _unpad(_scatter(patches, _padded_shape(x.shape, pads), *stride), pads)


def avgpool_forward(x, pool_size=2, stride=None, padding: str = "valid") -> tuple[np.ndarray, PoolCache]:
    """Average pooling: the mean of each p_h x p_w window, channel by channel.

    y[n, i, j, c] = (1 / |window|) sum_{p, q} x[n, s i + p, s j + q, c]

    With "same" padding, |window| counts only the real pixels, not the
    padding (TensorFlow's and Keras' rule), so an edge window is the mean of
    what it covers. ``x`` (N, H, W, C); returns y (N, Ho, Wo, C) and the :class:`PoolCache`.
    """
    x, pool_size, stride, pads = _pool_setup(x, pool_size, stride, padding)
    sums = _windows(pad(x, pads), *pool_size, *stride).sum(axis=(3, 4))
    return sums / _window_counts(x.shape, pool_size, stride, pads), PoolCache(x, pool_size, stride, padding)


def avgpool_backward(dout, cache) -> np.ndarray:
    """The gradient of average pooling: each window spreads dout / |window| evenly over its pixels.

    dx[n, s i + p, s j + q, c] += dout[n, i, j, c] / |window(i, j)|. ``dout``
    (N, Ho, Wo, C); ``cache`` the :class:`PoolCache` of :func:`avgpool_forward`;
    returns dx (N, H, W, C).
    """
    x, (ph, pw), stride, pads, windows = _pool_cache(cache, 0.0)
    n, ho, wo, _, _, c = windows.shape
    dout = _check_dout(dout, (n, ho, wo, c))
    share = dout / _window_counts(x.shape, (ph, pw), stride, pads)
    patches = np.broadcast_to(share[:, :, :, None, None, :], (n, ho, wo, ph, pw, c))
    return _unpad(_scatter(patches, _padded_shape(x.shape, pads), *stride), pads)


def pool_forward(kind: str, x, pool_size=2, stride=None, padding: str = "valid"):
    """:func:`maxpool_forward` (``kind="max"``) or :func:`avgpool_forward` (``"average"``)."""
    validation.choice("kind", kind, POOLS)
    forward = maxpool_forward if kind == "max" else avgpool_forward
    return forward(x, pool_size, stride, padding)


def _window_counts(x_shape, pool_size, stride, pads) -> np.ndarray:
    """How many real (unpadded) pixels each window covers, shape (1, Ho, Wo, 1)."""
    ones = pad(np.ones((1, x_shape[1], x_shape[2], 1)), pads)
    return _windows(ones, *pool_size, *stride).sum(axis=(3, 4))


def _pool_cache(cache, fill: float):
    if not isinstance(cache, tuple) or len(cache) not in (3, 4):
        raise TypeError("cache must be the PoolCache (x, pool_size, stride[, padding]) that the "
                        f"forward pass returned, got {type(cache).__name__}")
    x, pool_size, stride, pads = _pool_setup(*cache[:3], cache[3] if len(cache) == 4 else "valid")
    return x, pool_size, stride, pads, _windows(pad(x, pads, fill), *pool_size, *stride)


def _padded_shape(shape, pads) -> tuple:
    (top, bottom), (left, right) = pads
    return shape[0], shape[1] + top + bottom, shape[2] + left + right, shape[3]


def _unpad(x: np.ndarray, pads) -> np.ndarray:
    (top, bottom), (left, right) = pads
    return x[:, top:x.shape[1] - bottom, left:x.shape[2] - right, :]


# ---------------------------------------------------------------------------
# Translations: what a convolution is equivariant to, and a way to enlarge a training set


def translate(images, shift) -> np.ndarray:
    """The images moved by ``shift`` = (dy, dx) pixels, zeros coming in at the edges.

    y[n, i + dy, j + dx, c] = x[n, i, j, c] where both are inside the image;
    positive dy moves down, positive dx right; what leaves the image is lost.
    ``images`` (N, H, W, C); returns (N, H, W, C). A convolution with stride 1
    commutes with it, away from the edges: conv(translate(x)) = translate(conv(x)).
    """
    x = validation.float_array("images", images, "(N, H, W, C)", allow_inf=True)
    if not isinstance(shift, (tuple, list)):
        raise TypeError(f"shift must be a pair (dy, dx) of ints, got {type(shift).__name__}")
    if len(shift) != 2:
        raise ValueError(f"shift must be a pair (dy, dx) of ints, got {shift!r}")
    dy, dx = (validation.integer("shift", d) for d in shift)
    out = np.zeros_like(x)
    h, w = x.shape[1:3]
    if abs(dy) < h and abs(dx) < w:
        out[:, max(dy, 0):h + min(dy, 0), max(dx, 0):w + min(dx, 0)] = \
            x[:, max(-dy, 0):h + min(-dy, 0), max(-dx, 0):w + min(-dx, 0)]
    return out


def random_translations(images, max_shift: int = 2, seed: int = 0) -> np.ndarray:
    """Each image moved by its own random shift (dy, dx), each drawn uniformly from -max_shift .. max_shift.

    A copy of a training set shifted this way is the simplest *data
    augmentation* for digits: the label of a digit moved by two pixels is
    the same, and the network sees more variety. ``images`` (N, H, W, C);
    returns (N, H, W, C), the same for the same ``seed``.
    """
    x = validation.float_array("images", images, "(N, H, W, C)", allow_inf=True)
    max_shift = validation.integer("max_shift", max_shift, 0)
    shifts = np.random.default_rng(validation.integer("seed", seed, 0)).integers(
        -max_shift, max_shift + 1, (len(x), 2))
    out = np.empty_like(x)
    for n, (dy, dx) in enumerate(shifts):
        out[n] = translate(x[n:n + 1], (int(dy), int(dx)))[0]
    return out


# ---------------------------------------------------------------------------
# Gradient checks


def gradient_check(layer: str = "conv", seed: int = 0, stride=1, padding: str = "valid",
                   x_shape=(2, 6, 5, 3), kernel=3, n_filters: int = 4) -> dict[str, float]:
    """Relative errors of a backward pass against central differences, per gradient.

    On a random input x (``x_shape``), and for the convolution a random kernel
    (kernel x kernel x C x ``n_filters``) and bias, the scalar
    L = sum(dout * y) has dL/dy = dout, so the backward pass must return its
    gradients. ``layer`` is ``"conv"``, ``"maxpool"`` or ``"avgpool"`` (whose
    window is ``kernel``). Returns ``{"dx": ...}`` and for the convolution
    also ``"dw"`` and ``"db"``, each :func:`dlbook.gradcheck.relative_error`
    (below 1e-7 when correct).
    """
    validation.choice("layer", layer, LAYERS)
    rng = np.random.default_rng(validation.integer("seed", seed, 0))
    x = rng.normal(size=validation.shape("x_shape", x_shape, 4))
    if layer == "conv":
        kh, kw = _pair("kernel", kernel)
        w = rng.normal(size=(kh, kw, x.shape[3], validation.integer("n_filters", n_filters, 1)))
        b = rng.normal(size=w.shape[3])
        y, cache = conv2d_forward(x, w, b, stride, padding)
        dout = rng.normal(size=y.shape)
        analytic = conv2d_backward(dout, cache)

        def loss(x_, w_, b_):
            return float(np.sum(dout * conv2d_forward(x_, w_, b_, stride, padding)[0]))

        numeric = (numerical_gradient(lambda v: loss(v, w, b), x.copy()),
                   numerical_gradient(lambda v: loss(x, v, b), w.copy()),
                   numerical_gradient(lambda v: loss(x, w, v), b.copy()))
        return {name: relative_error(a, n)
                for name, a, n in zip(("dx", "dw", "db"), analytic, numeric, strict=True)}
    forward, backward = ((maxpool_forward, maxpool_backward) if layer == "maxpool"
                         else (avgpool_forward, avgpool_backward))
    y, cache = forward(x, kernel, stride, padding)
    dout = rng.normal(size=y.shape)
    numeric = numerical_gradient(lambda v: float(np.sum(dout * forward(v, kernel, stride, padding)[0])),
                                 x.copy())
    return {"dx": relative_error(backward(dout, cache), numeric)}


# ---------------------------------------------------------------------------
# Argument checks


def _pair(name: str, value) -> tuple[int, int]:
    """An int k as (k, k), or a pair of ints, each >= 1 (Keras' convention for kernels and strides)."""
    if isinstance(value, (tuple, list)):
        return validation.shape(name, value, 2)
    k = validation.integer(name, value, 1)
    return k, k


def _check_conv_args(x, w, b):
    """x, the kernel w and the bias b, whose channels and filters must match."""
    x = validation.float_array("x", x, "(N, H, W, C)")
    w = validation.float_array("w", w, "(kh, kw, C, F)")
    if w.shape[2] != x.shape[3]:
        raise ValueError(f"w must have as many input channels as x: w is {w.shape} (C = "
                         f"{w.shape[2]}), x is {x.shape} (C = {x.shape[3]})")
    b = validation.float_array("b", b)
    if b.shape != (w.shape[3],):
        raise ValueError(f"b must have shape (F,) = ({w.shape[3]},), one bias per filter, got {b.shape}")
    return x, w, b


def _check_dout(dout, shape) -> np.ndarray:
    """``dout``, which must have the shape of the forward pass's output."""
    dout = validation.float_array("dout", dout)
    if dout.shape != tuple(shape):
        raise ValueError(f"dout must have the shape of the forward output {tuple(shape)}, got {dout.shape}")
    return dout
