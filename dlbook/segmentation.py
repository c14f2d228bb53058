"""U-Net segmentation (chapter 12): generated shapes with trimaps, IoU, transposed convolution.

Segmentation classifies every pixel. The pieces of the chapter:

- the data: :func:`make_shapes` draws images of circles, squares and
  triangles of random size, position, angle and colour on a noisy background,
  with their *trimaps* (:func:`trimap`): each pixel is background, object, or
  object border, a band ``border_width`` pixels either side of the outline, as
  in the Oxford-IIIT Pets trimaps; :func:`load_shapes` splits them three ways;
- the scores: :func:`confusion_matrix`, :func:`pixel_accuracy`,
  :func:`iou_per_class` (the Jaccard index of each class) and :func:`mean_iou`;
- the up-sampling: :func:`insert_zeros` and :func:`transposed_conv2d`, the
  transposed convolution as "insert ``s - 1`` rows and columns of zeros, pad,
  convolve", with its output size :func:`transposed_conv_output_size`;
- the network: :func:`build_unet`, with :func:`unet_parameter_count` (the
  formula), its loss :func:`pixel_crossentropy`, and the Keras scores
  :func:`keras_segmentation_scores`.

The NumPy functions (everything but :func:`build_unet`,
:func:`pixel_crossentropy`, :func:`predict_masks` and
:func:`keras_segmentation_scores`) never import
Keras. Images are channels-last ``(N, H, W, C)``; masks are int64 ``(N, H, W)``.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from dlbook import metrics, validation

BACKGROUND, OBJECT, BORDER = 0, 1, 2
CLASS_NAMES = ("background", "object", "border")
N_CLASSES = len(CLASS_NAMES)
SHAPE_KINDS = ("circle", "square", "triangle")
PADDINGS = ("valid", "same")


# ---------------------------------------------------------------------------
# Input checks


def _check_labels(y_true, y_pred, n_classes) -> tuple[np.ndarray, np.ndarray, int]:
    """Two label arrays of the same shape, every label a class in [0, n_classes)."""
    n_classes = validation.integer("n_classes", n_classes, minimum=2)
    y_true, y_pred = _same_shape(y_true, y_pred)
    for name, labels in (("y_true", y_true), ("y_pred", y_pred)):
        if labels.min() < 0 or labels.max() >= n_classes:
            raise ValueError(f"{name} must hold class labels in [0, {n_classes - 1}], "
                             f"got values from {labels.min()} to {labels.max()}")
    return y_true, y_pred, n_classes


def _same_shape(y_true, y_pred) -> tuple[np.ndarray, np.ndarray]:
    y_true, y_pred = validation.int_array("y_true", y_true), validation.int_array("y_pred", y_pred)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_pred must have the shape of y_true {y_true.shape}, got {y_pred.shape}")
    return y_true, y_pred


# ---------------------------------------------------------------------------
# The data: shapes and their trimaps


def trimap(mask, border_width: int = 1) -> np.ndarray:
    """The trimap of a binary mask: background 0, object 1, border 2.

    A pixel is *border* when the square window of radius ``w`` around it
    (Chebyshev distance at most ``w``, the window cut at the image edge) holds
    both object and background pixels::

        t_ij = 2                if min_{|k-i|<=w, |l-j|<=w} m_kl = 0 and max_{...} m_kl = 1
             = m_ij             otherwise

    so the band is ``w`` pixels on each side of the outline, ``2 w`` wide,
    and the image edge is not an outline. ``w = 0`` gives no border.

    mask: 0/1 or bool, ``(H, W)`` or ``(N, H, W)``. Returns int64 of the same shape.
    """
    mask = validation.int_array("mask", mask)
    if mask.ndim not in (2, 3):
        raise ValueError(f"mask must have shape (H, W) or (N, H, W), got {mask.shape}")
    if not np.isin(mask, (0, 1)).all():
        raise ValueError(f"mask must hold only 0 and 1, got values {np.unique(mask)[:5].tolist()}")
    w = validation.integer("border_width", border_width, minimum=0)
    pad = [(0, 0)] * (mask.ndim - 2) + [(w, w), (w, w)]
    windows = sliding_window_view(np.pad(mask, pad, mode="edge"), (2 * w + 1, 2 * w + 1),
                                  axis=(-2, -1))
    mixed = (windows.max(axis=(-2, -1)) == 1) & (windows.min(axis=(-2, -1)) == 0)
    return np.where(mixed, BORDER, np.where(mask == 1, OBJECT, BACKGROUND)).astype(np.int64)


def shape_mask(kind: str, centre, radius: float, angle: float, size: int) -> np.ndarray:
    """The pixels of a ``size x size`` image inside one shape, bool ``(size, size)``.

    Pixel (i, j) has its centre at (x, y) = (j + 0.5, i + 0.5). ``centre`` is
    (x, y); ``radius`` is the circle's radius and the circumradius of the
    square and of the equilateral triangle, both turned by ``angle`` radians.
    """
    kind = validation.choice("kind", kind, SHAPE_KINDS)
    size = validation.integer("size", size, minimum=1)
    radius = validation.positive("radius", radius)
    angle = validation.number("angle", angle)
    centre = validation.float_array("centre", centre, "(2,)")
    if centre.shape != (2,):
        raise ValueError(f"centre must be an (x, y) pair, got {centre!r}")
    y, x = np.mgrid[0:size, 0:size] + 0.5
    dx, dy = x - centre[0], y - centre[1]
    if kind == "circle":
        return dx**2 + dy**2 <= radius**2
    # coordinates in the frame of the shape, turned by -angle
    u = math.cos(angle) * dx + math.sin(angle) * dy
    v = -math.sin(angle) * dx + math.cos(angle) * dy
    if kind == "square":
        return np.maximum(np.abs(u), np.abs(v)) <= radius / math.sqrt(2)
    # an equilateral triangle: inside all three edges, each at distance radius / 2 from the centre
    inside = np.ones((size, size), dtype=bool)
    for k in range(3):
        theta = 2 * math.pi * k / 3
        inside &= math.cos(theta) * u + math.sin(theta) * v <= radius / 2
    return inside


def make_shapes(n_images: int, size: int = 48, max_shapes: int = 2, border_width: int = 1,
                noise: float = 0.05, seed: int = 42) -> tuple[np.ndarray, np.ndarray]:
    """Images of 1 to ``max_shapes`` shapes on a noisy background, and their trimaps.

    Each image has a uniform random background colour; each shape (a circle,
    square or triangle, kind, radius in [0.12, 0.3] * ``size``, centre, angle and colour drawn
    at random) is painted over it in a colour at least 0.4 away (Euclidean,
    RGB) from the background; shapes may overlap. Gaussian noise of standard
    deviation ``noise`` is added and the pixels clipped to [0, 1]. The trimap
    of the union of the shapes is the mask (:func:`trimap`).

    Returns ``(images, masks)``: images float32 ``(N, size, size, 3)`` in
    [0, 1] and masks int64 ``(N, size, size)`` with values 0 (background),
    1 (object), 2 (border). The same ``seed`` gives identical arrays.
    """
    n_images = validation.integer("n_images", n_images, minimum=1)
    size = validation.integer("size", size, minimum=8)
    max_shapes = validation.integer("max_shapes", max_shapes, minimum=1)
    border_width = validation.integer("border_width", border_width, minimum=0)
    noise = validation.number("noise", noise, 0, 1)
    rng = np.random.default_rng(validation.integer("seed", seed, minimum=0))
    images = np.empty((n_images, size, size, 3), dtype=np.float64)
    objects = np.zeros((n_images, size, size), dtype=bool)
    for i in range(n_images):
        background = rng.uniform(0, 1, 3)
        images[i] = background
        for _ in range(rng.integers(1, max_shapes + 1)):
            radius = rng.uniform(0.12, 0.3) * size
            centre = rng.uniform(radius, size - radius, 2)
            inside = shape_mask(SHAPE_KINDS[rng.integers(len(SHAPE_KINDS))], centre, radius,
                                rng.uniform(0, 2 * math.pi), size)
            colour = rng.uniform(0, 1, 3)
            while np.linalg.norm(colour - background) < 0.4:
                colour = rng.uniform(0, 1, 3)
            images[i][inside] = colour
            objects[i] |= inside
    images += rng.normal(0, noise, images.shape)
    return np.clip(images, 0, 1).astype(np.float32), trimap(objects, border_width)


def load_shapes(n_train: int = 400, n_val: int = 100, n_test: int = 100, size: int = 48,
                max_shapes: int = 2, border_width: int = 1, noise: float = 0.05, seed: int = 42):
    """:func:`make_shapes` split into training, validation and test images.

    Returns a :class:`dlbook.data.Split`: ``x_*`` float32 ``(N, size, size, 3)``
    in [0, 1], ``y_*`` int64 trimaps ``(N, size, size)``; the first
    ``n_train`` generated images train, the next ``n_val`` validate, the last
    ``n_test`` test (the images are independent draws, so no shuffle is needed).
    """
    counts = [validation.integer(name, value, minimum=1)
              for name, value in (("n_train", n_train), ("n_val", n_val), ("n_test", n_test))]
    images, masks = make_shapes(sum(counts), size, max_shapes, border_width, noise, seed)
    ends = np.cumsum(counts)
    idx = [np.arange(end - count, end, dtype=np.int64) for count, end in zip(counts, ends,
                                                                             strict=True)]

    from dlbook.data import Split

    return Split(images[idx[0]], masks[idx[0]], images[idx[1]], masks[idx[1]], images[idx[2]],
                 masks[idx[2]], *idx,
                 description=f"shapes: {sum(counts)} generated {size}x{size} RGB images with "
                             f"trimaps (border width {border_width})",
                 class_names=CLASS_NAMES)


# ---------------------------------------------------------------------------
# Scores


def confusion_matrix(y_true, y_pred, n_classes: int) -> np.ndarray:
    """Pixel counts ``M[a, b]`` = #pixels of true class a predicted as class b.

    y_true, y_pred: int labels in [0, n_classes), any equal shapes (``(N, H, W)``).
    Returns int64 ``(n_classes, n_classes)``; rows are the truth.
    """
    y_true, y_pred, n_classes = _check_labels(y_true, y_pred, n_classes)
    return metrics.confusion_matrix(y_true.ravel(), y_pred.ravel(), n_classes)


def pixel_accuracy(y_true, y_pred) -> float:
    """The fraction of pixels labelled right: (1/P) sum_p [y_p = yhat_p]."""
    y_true, y_pred = _same_shape(y_true, y_pred)
    return float(np.mean(y_true == y_pred))


def iou_per_class(y_true, y_pred, n_classes: int) -> np.ndarray:
    """The intersection over union (Jaccard index) of each class, float64 ``(n_classes,)``.

    IoU_c = |T_c and P_c| / |T_c or P_c| = TP_c / (TP_c + FP_c + FN_c),

    T_c and P_c the pixels of class c in the truth and the prediction. A class
    in neither has no IoU: NaN (as ``keras.metrics.MeanIoU``, which leaves it out).
    """
    m = confusion_matrix(y_true, y_pred, n_classes).astype(np.float64)
    tp = np.diag(m)
    union = m.sum(axis=0) + m.sum(axis=1) - tp
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(union > 0, tp / union, np.nan)


def mean_iou(y_true, y_pred, n_classes: int) -> float:
    """The mean of :func:`iou_per_class` over the classes present in truth or prediction.

    mIoU = (1/|C'|) sum_{c in C'} IoU_c, C' = {c : T_c or P_c not empty}.
    """
    return float(np.nanmean(iou_per_class(y_true, y_pred, n_classes)))


# ---------------------------------------------------------------------------
# Transposed convolution


def transposed_conv_output_size(n: int, kernel: int, stride: int, padding: str = "same") -> int:
    """The output length of a transposed convolution, as Keras' ``Conv2DTranspose`` computes it.

    "valid": (n - 1) s + max(k, s);   "same": n s.

    (The valid size is (n - 1) s + k, the zero-inserted input convolved in
    full, lengthened to (n - 1) s + s when k < s.)
    """
    n = validation.integer("n", n, minimum=1)
    kernel = validation.integer("kernel", kernel, minimum=1)
    stride = validation.integer("stride", stride, minimum=1)
    padding = validation.choice("padding", padding, PADDINGS)
    return (n - 1) * stride + max(kernel, stride) if padding == "valid" else n * stride


def insert_zeros(x, stride: int) -> np.ndarray:
    """Put ``stride - 1`` rows and columns of zeros between the pixels of ``x``.

    z[:, s i, s j, :] = x[:, i, j, :], every other entry 0.

    x: ``(N, H, W, C)``. Returns float64 ``(N, (H - 1) s + 1, (W - 1) s + 1, C)``.
    """
    x = validation.float_array("x", x, "(N, H, W, C)")
    s = validation.integer("stride", stride, minimum=1)
    n, h, w, c = x.shape
    z = np.zeros((n, (h - 1) * s + 1, (w - 1) * s + 1, c))
    z[:, ::s, ::s, :] = x
    return z


def _check_kernel(kernel, c_in: int) -> np.ndarray:
    """A kernel in the layout of Keras' Conv2DTranspose whose input channels are those of x."""
    kernel = validation.float_array("kernel", kernel, "(kh, kw, C_out, C_in)")
    if kernel.shape[3] != c_in:
        raise ValueError(f"kernel must have shape (kh, kw, C_out, C_in={c_in}) (the layout of "
                         f"Keras' Conv2DTranspose), got {kernel.shape}")
    return kernel


def _crop(full: np.ndarray, axis: int, n: int, k: int, s: int, padding: str) -> np.ndarray:
    """The part of the full output that the transposed convolution keeps along ``axis``."""
    length = transposed_conv_output_size(n, k, s, padding)
    start = max(k - s, 0) // 2 if padding == "same" else 0
    kept = np.take(full, np.arange(start, min(start + length, full.shape[axis])), axis=axis)
    missing = length - kept.shape[axis]  # k < s: the output is longer than the full result
    if missing:
        widths = [(0, 0)] * full.ndim
        widths[axis] = (0, missing)
        kept = np.pad(kept, widths)
    return kept


def transposed_conv2d(x, kernel, stride: int = 2, padding: str = "same") -> np.ndarray:
    """The transposed convolution of ``Conv2DTranspose`` (no bias), by inserting zeros.

    1. z = insert_zeros(x, s): s - 1 zeros between neighbouring pixels;
    2. pad z with k - 1 zeros on every side;
    3. convolve with the kernel (cross-correlate with the kernel turned by 180 degrees):
       y_full[n, p, q, o] = sum_{a, b, c} z_pad[n, p + a, q + b, c] K[kh-1-a, kw-1-b, o, c];
    4. keep :func:`transposed_conv_output_size` rows and columns ("valid" from
       the start; "same" from max(k - s, 0) // 2).

    The same y_full is the sum of copies of the kernel, each scaled by one
    input pixel and placed s pixels apart: y_full[s i + a, s j + b] += x[i, j] K[a, b].

    x: ``(N, H, W, C_in)``; kernel: ``(kh, kw, C_out, C_in)``, Keras' layout.
    Returns float64 ``(N, H_out, W_out, C_out)``.
    """
    x = validation.float_array("x", x, "(N, H, W, C_in)")
    kernel = _check_kernel(kernel, x.shape[3])
    s = validation.integer("stride", stride, minimum=1)
    padding = validation.choice("padding", padding, PADDINGS)
    kh, kw = kernel.shape[:2]
    z = np.pad(insert_zeros(x, s), [(0, 0), (kh - 1, kh - 1), (kw - 1, kw - 1), (0, 0)])
    windows = sliding_window_view(z, (kh, kw), axis=(1, 2))  # (N, Hf, Wf, C_in, kh, kw)
    full = np.einsum("nhwcab,abic->nhwi", windows, kernel[::-1, ::-1])
    full = _crop(full, 1, x.shape[1], kh, s, padding)
    return _crop(full, 2, x.shape[2], kw, s, padding)


# ---------------------------------------------------------------------------
# The U-Net


def _check_filters(filters) -> tuple[int, ...]:
    """The filters of the levels: at least one encoder level and the bottleneck."""
    filters = validation.positive_ints("filters", filters)
    if len(filters) < 2:
        raise ValueError(f"filters must hold at least two positive ints (one encoder level and "
                         f"the bottleneck), got {filters!r}")
    return filters


def unet_parameter_count(in_channels: int, filters=(16, 32, 64), n_classes: int = N_CLASSES,
                         skips: bool = True) -> int:
    """The number of parameters of :func:`build_unet`, by formula.

    A 3x3 convolution from c to f channels has 9 c f + f parameters, a 2x2
    transposed one 4 c f + f, the 1x1 output layer f_1 K + K. With filters
    f_1 .. f_L (f_L the bottleneck) and c_0 input channels:

    - encoder level l and bottleneck: conv(f_{l-1} -> f_l), conv(f_l -> f_l);
    - decoder level l < L: up(f_{l+1} -> f_l), conv(2 f_l -> f_l) (f_l without
      skips), conv(f_l -> f_l).
    """
    in_channels = validation.integer("in_channels", in_channels, minimum=1)
    filters = _check_filters(filters)
    n_classes = validation.integer("n_classes", n_classes, minimum=2)
    validation.boolean("skips", skips)

    def conv(c, f, k=3):
        return k * k * c * f + f

    count, channels = 0, in_channels
    for f in filters:  # the encoder levels and the bottleneck
        count += conv(channels, f) + conv(f, f)
        channels = f
    for f in reversed(filters[:-1]):  # the decoder levels
        count += conv(channels, f, k=2) + conv(2 * f if skips else f, f) + conv(f, f)
        channels = f
    return count + conv(channels, n_classes, k=1)


def build_unet(input_shape=(48, 48, 3), filters=(16, 32, 64), n_classes: int = N_CLASSES,
               skips: bool = True, name: str | None = None):
    """A U-Net (uncompiled functional ``keras.Model``), after Ronneberger et al. (2015).

    With ``filters`` = (f_1, ..., f_L):

    - encoder, level l < L: ConvBlock(f_l) -> (kept for the skip) -> MaxPool(2);
    - bottleneck: ConvBlock(f_L) at 1 / 2^(L-1) of the input size;
    - decoder, level l = L-1 .. 1: Conv2DTranspose(f_l, 2x2, stride 2) doubles
      the size -> Concatenate with the encoder features of level l (when
      ``skips``) -> ConvBlock(f_l);
    - output: Conv2D(n_classes, 1x1, softmax), a class distribution per pixel.

    ConvBlock(f) = two Conv2D(f, 3x3, "same", ReLU, He initialization).
    Input ``(N, H, W, C)``, H and W divisible by 2^(L-1); output
    ``(N, H, W, n_classes)``. :func:`unet_parameter_count` gives the size.
    """
    from dlbook.keras_import import keras

    shape = validation.shape("input_shape", input_shape, 3)
    filters = _check_filters(filters)
    factor = 2 ** (len(filters) - 1)
    if shape[0] % factor or shape[1] % factor:
        raise ValueError(f"input_shape: H and W must be divisible by 2^{len(filters) - 1} = "
                         f"{factor} for {len(filters)} levels of filters, got {shape[:2]}")
    n_classes = validation.integer("n_classes", n_classes, minimum=2)
    validation.boolean("skips", skips)

    def conv_block(x, f, label):
        for i in (1, 2):
            x = keras.layers.Conv2D(f, 3, padding="same", activation="relu",
                                    kernel_initializer="he_normal", name=f"{label}_conv{i}")(x)
        return x

    inputs = keras.Input(shape=shape, name="image")
    x, skip_features = inputs, []
    for level, f in enumerate(filters[:-1], start=1):
        x = conv_block(x, f, f"down{level}")
        skip_features.append(x)
        x = keras.layers.MaxPool2D(2, name=f"down{level}_pool")(x)
    x = conv_block(x, filters[-1], "bottleneck")
    for level in range(len(filters) - 1, 0, -1):
        f = filters[level - 1]
        x = keras.layers.Conv2DTranspose(f, 2, strides=2, padding="same",
                                         kernel_initializer="he_normal", name=f"up{level}_upsample")(x)
        if skips:
            x = keras.layers.Concatenate(name=f"up{level}_skip")([x, skip_features[level - 1]])
        x = conv_block(x, f, f"up{level}")
    outputs = keras.layers.Conv2D(n_classes, 1, activation="softmax", name="pixel_classes")(x)
    return keras.Model(inputs, outputs, name=name or ("unet" if skips else "unet_no_skips"))


def pixel_crossentropy(y_true, y_pred):
    """The per-pixel cross-entropy, a Keras loss: -(1 / NHW) sum over every pixel of log p_hat of its class.

    ``y_true``: int labels ``(N, H, W)``; ``y_pred``: probabilities ``(N, H,
    W, K)``. The same number as Keras' ``"sparse_categorical_crossentropy"``
    on these shapes, computed as what it is: a classification loss over
    ``N H W`` rows of ``K`` classes. (Flattening first also keeps PyTorch's
    backend on its 2-D kernel: on a CPU, the 4-D one fails in the backward
    pass on Keras' channels-last outputs.)
    """
    from dlbook.keras_import import keras

    rows = keras.ops.reshape(y_pred, (-1, keras.ops.shape(y_pred)[-1]))
    return keras.losses.sparse_categorical_crossentropy(keras.ops.reshape(y_true, (-1,)), rows)


def predict_masks(model, images, batch_size: int = 64) -> np.ndarray:
    """The most probable class of every pixel: argmax over the model's last axis, int64 ``(N, H, W)``."""
    images = validation.float_array("images", images, "(N, H, W, C)").astype(np.float32)
    batch_size = validation.integer("batch_size", batch_size, minimum=1)
    probabilities = model.predict(images, batch_size=batch_size, verbose=0)
    return np.argmax(probabilities, axis=-1).astype(np.int64)


def keras_segmentation_scores(y_true, y_pred, n_classes: int = N_CLASSES) -> dict:
    """Pixel accuracy, mean IoU and per-class IoU from Keras' own metrics.

    ``keras.metrics.Accuracy`` on the labels, ``keras.metrics.MeanIoU`` and one
    ``keras.metrics.IoU`` per class; y_true, y_pred: int labels ``(N, H, W)``.
    Returns ``{"pixel_accuracy": float, "mean_iou": float, "iou": [float] * n_classes}``.
    """
    from dlbook.keras_import import keras

    y_true, y_pred, n_classes = _check_labels(y_true, y_pred, n_classes)
    truth, guess = y_true.ravel().astype(np.int32), y_pred.ravel().astype(np.int32)

    def score(metric):
        with warnings.catch_warnings():  # JAX without x64: Keras' int64 cast warns (labels fit int32)
            warnings.filterwarnings("ignore", message="Explicitly requested dtype int64",
                                    category=UserWarning)
            metric.update_state(truth, guess)
        return float(keras.ops.convert_to_numpy(metric.result()))

    return {
        "pixel_accuracy": score(keras.metrics.Accuracy()),
        "mean_iou": score(keras.metrics.MeanIoU(num_classes=n_classes)),
        "iou": [score(keras.metrics.IoU(num_classes=n_classes, target_class_ids=[c]))
                for c in range(n_classes)],
    }
