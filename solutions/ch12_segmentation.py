"""Chapter 12, U-Net segmentation: reference solutions to the coding exercises.

Check them with ``dlbook grade solutions/ch12_segmentation.py``.
"""

import numpy as np


def trimap(mask, border_width):
    """Border (2) where the (2w+1)^2 window holds both classes, else the mask value."""
    w = border_width
    padded = np.pad(np.asarray(mask, dtype=np.int64), w, mode="edge")
    h, width = np.shape(mask)
    low = np.ones((h, width), dtype=np.int64)
    high = np.zeros((h, width), dtype=np.int64)
    for a in range(2 * w + 1):
        for b in range(2 * w + 1):
            window = padded[a:a + h, b:b + width]
            low, high = np.minimum(low, window), np.maximum(high, window)
    return np.where((low == 0) & (high == 1), 2, mask).astype(np.int64)


def iou_per_class(y_true, y_pred, n_classes):
    """TP / (TP + FP + FN) per class, NaN where a class is in neither array."""
    iou = np.full(n_classes, np.nan)
    for c in range(n_classes):
        t, p = y_true == c, y_pred == c
        union = np.sum(t | p)
        if union:
            iou[c] = np.sum(t & p) / union
    return iou


def transposed_conv_output_size(n, kernel, stride, padding):
    """n s with "same"; (n - 1) s + max(k, s) with "valid"."""
    if padding == "same":
        return n * stride
    return (n - 1) * stride + max(kernel, stride)


def transposed_conv2d(x, kernel, stride, padding):
    """Insert zeros, pad by k - 1, convolve with the kernel, keep the Keras output size."""
    h, w = x.shape
    kh, kw = kernel.shape
    z = np.zeros(((h - 1) * stride + 1, (w - 1) * stride + 1))
    z[::stride, ::stride] = x
    z = np.pad(z, ((kh - 1, kh - 1), (kw - 1, kw - 1)))
    flipped = kernel[::-1, ::-1]
    full = np.zeros(((h - 1) * stride + kh, (w - 1) * stride + kw))
    for p in range(full.shape[0]):
        for q in range(full.shape[1]):
            full[p, q] = np.sum(z[p:p + kh, q:q + kw] * flipped)
    rows = transposed_conv_output_size(h, kh, stride, padding)
    cols = transposed_conv_output_size(w, kw, stride, padding)
    top = max(kh - stride, 0) // 2 if padding == "same" else 0
    left = max(kw - stride, 0) // 2 if padding == "same" else 0
    y = np.zeros((rows, cols))
    kept = full[top:top + rows, left:left + cols]
    y[:kept.shape[0], :kept.shape[1]] = kept
    return y
