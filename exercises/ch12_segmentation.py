"""Chapter 12, U-Net segmentation: coding exercises.

Replace each ``raise NotImplementedError`` with your code, using NumPy only.
Check one function in a notebook with ``check("ch12.trimap", trimap)``
(``from dlbook.grading import check``), or the file with
``dlbook grade exercises/ch12_segmentation.py``. Return new arrays and leave
the arguments unchanged. Tolerance: |error| <= 1e-9 + 1e-6 |expected|; int
answers (the trimap, the output size) must be exact.
"""

import numpy as np  # noqa: F401 (your code will need it)


def trimap(mask, border_width):
    """ch12.trimap: the trimap of a binary mask: background 0, object 1, border 2.

    t_ij = 2      if the window |k - i| <= w, |l - j| <= w holds both a 0 and a 1 of the mask,
         = m_ij   otherwise

    The window is cut at the image edge (the edge is not an outline): pad the
    mask with np.pad(mask, w, mode="edge"), which repeats the edge pixels.
    mask: int (H, W) of 0 and 1; border_width: w, an int >= 0 (0: no border).
    Returns an int array (H, W).
    Book: chapter 12, "The trimap".
    """
    raise NotImplementedError


def iou_per_class(y_true, y_pred, n_classes):
    """ch12.iou_per_class: the intersection over union of each class.

    IoU_c = |T_c and P_c| / |T_c or P_c| = TP_c / (TP_c + FP_c + FN_c)

    T_c, P_c: the pixels of class c in y_true and in y_pred.
    y_true, y_pred: int labels in [0, n_classes), the same shape (any, e.g.
    (H, W) or (N, H, W)); n_classes: K. Returns float64 (K,), with np.nan
    for a class in neither y_true nor y_pred (its union is empty).
    Book: chapter 12, "Scoring a segmentation: pixel accuracy and IoU".
    """
    raise NotImplementedError


def transposed_conv_output_size(n, kernel, stride, padding):
    """ch12.transposed_conv_output_size: the output length of Keras' Conv2DTranspose.

    "valid": (n - 1) s + max(k, s);   "same": n s

    n: the input length; kernel: k; stride: s (ints >= 1); padding: "valid"
    or "same". Returns a Python int.
    Book: chapter 12, "Up-sampling: the transposed convolution".
    """
    raise NotImplementedError


def transposed_conv2d(x, kernel, stride, padding):
    """ch12.transposed_conv2d: a single-channel transposed convolution, by inserting zeros.

    1. z: s - 1 rows and columns of zeros between the pixels of x, shape ((H-1)s+1, (W-1)s+1);
    2. pad z with k - 1 zeros on every side (kh - 1 rows, kw - 1 columns);
    3. y_full[p, q] = sum_{a, b} z_pad[p + a, q + b] K[kh-1-a, kw-1-b]   (convolve with K),
       shape ((H-1)s + kh, (W-1)s + kw);
    4. keep transposed_conv_output_size(H, kh, s, padding) rows (and likewise
       columns) starting at 0 for "valid", at max(kh - s, 0) // 2 for "same";
       when that runs past the end of y_full (k < s), the missing rows are zeros.

    x: float64 (H, W); kernel: float64 (kh, kw); stride: s >= 1; padding:
    "valid" or "same". Returns float64 (H_out, W_out), what Keras'
    Conv2DTranspose(1, (kh, kw), strides=s, padding=padding, use_bias=False) computes.
    Book: chapter 12, "Up-sampling: the transposed convolution".
    """
    raise NotImplementedError
