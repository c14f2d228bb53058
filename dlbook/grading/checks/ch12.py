"""Chapter 12, U-Net segmentation: the trimap, the IoU of each class, the transposed convolution.

Stubs in ``exercises/ch12_segmentation.py``; references in :mod:`dlbook.segmentation`.
Masks and labels are int arrays; the transposed convolution is single-channel, x (H, W) and
kernel (kh, kw), where the reference works on (N, H, W, C) batches.
"""

from __future__ import annotations

import numpy as np

from dlbook.grading.registry import ArrayExercise, Call, register, resolve

PAGE = "12_unet"
MODULE = "dlbook.segmentation"


def _blobs(rng, shape, threshold=0.1):
    """A 0/1 int mask of ragged blobs (smoothed noise), touching the image edge."""
    noise = rng.normal(size=(shape[0] + 2, shape[1] + 2))
    smooth = sum(noise[i:i + shape[0], j:j + shape[1]] for i in range(3) for j in range(3)) / 9
    return (smooth > threshold).astype(np.int64)


def _trimap_calls() -> list[Call]:
    rng = np.random.default_rng(1201)
    square = np.zeros((9, 9), dtype=np.int64)
    square[2:7, 2:7] = 1
    corner = np.zeros((8, 10), dtype=np.int64)
    corner[:4, 6:] = 1
    return [
        Call((square, 1), label="a 5x5 square in a 9x9 mask, border_width 1"),
        Call((_blobs(rng, (12, 15)), 1)),
        Call((_blobs(rng, (20, 16)), 2), label="blobs (20, 16), border_width 2"),
        Call((corner, 1), hidden=True, label="a block in the corner: the image edge is no outline"),
        Call((_blobs(rng, (10, 10)), 0), hidden=True, label="border_width 0: no border"),
        Call((np.zeros((5, 6), dtype=np.int64), 2), hidden=True, label="an empty mask"),
        Call((_blobs(rng, (25, 30), threshold=-0.2), 3), hidden=True),
    ]


register(ArrayExercise(
    id="ch12.trimap", function="trimap", title="the trimap of a binary mask",
    section=f"{PAGE}#the-trimap",
    hint="pad the mask with np.pad(mask, w, mode='edge'); a pixel is border (2) when the "
         "(2w+1)x(2w+1) window around it holds both a 0 and a 1 (its max is 1 and its min 0); "
         "other pixels keep their mask value; return an int array",
    make_calls=_trimap_calls, arg_names=("mask", "border_width"),
    reference=f"{MODULE}:trimap", output_name="trimap"))


def _iou_calls() -> list[Call]:
    rng = np.random.default_rng(1202)

    def noisy(shape, k, keep=0.7, p=None):
        truth = rng.choice(k, size=shape, p=p)
        guess = np.where(rng.uniform(size=shape) < keep, truth, rng.integers(0, k, size=shape))
        return truth, guess, k

    perfect = rng.integers(0, 3, size=(4, 5))
    return [
        Call(noisy((6, 6), 3)),
        Call(noisy((2, 8, 8), 3, keep=0.5), label="a batch of masks (2, 8, 8), 3 classes"),
        Call((np.array([0, 0, 1, 1]), np.array([0, 1, 1, 1]), 2), label="4 pixels, 2 classes"),
        Call((perfect, perfect.copy(), 3), hidden=True, label="a perfect prediction"),
        Call(noisy((3, 7, 9), 5), hidden=True),
        Call(noisy((10, 10), 4, p=[0.6, 0.3, 0.1, 0.0]), hidden=True,
             label="class 3 in neither truth nor prediction: NaN"),
    ]


register(ArrayExercise(
    id="ch12.iou_per_class", function="iou_per_class",
    title="the intersection over union of each class",
    section=f"{PAGE}#scoring-a-segmentation-pixel-accuracy-and-iou",
    hint="for each class c: t = (y_true == c), p = (y_pred == c); IoU = (t & p).sum() / "
         "(t | p).sum(), and np.nan when the union is empty; return a float64 array (n_classes,)",
    make_calls=_iou_calls, arg_names=("y_true", "y_pred", "n_classes"),
    reference=f"{MODULE}:iou_per_class", output_name="iou"))


def _size_calls() -> list[Call]:
    return [
        Call((12, 3, 2, "valid"), label="n 12, kernel 3, stride 2, valid"),
        Call((12, 3, 2, "same"), label="n 12, kernel 3, stride 2, same"),
        Call((2, 2, 2, "valid"), label="n 2, kernel 2, stride 2, valid"),
        Call((5, 1, 3, "valid"), hidden=True, label="kernel 1 < stride 3, valid"),
        Call((7, 4, 1, "valid"), hidden=True, label="stride 1, valid"),
        Call((7, 5, 3, "same"), hidden=True, label="n 7, kernel 5, stride 3, same"),
        Call((1, 3, 2, "valid"), hidden=True, label="a single input pixel"),
    ]


register(ArrayExercise(
    id="ch12.transposed_conv_output_size", function="transposed_conv_output_size",
    title="the output size of a transposed convolution",
    section=f"{PAGE}#up-sampling-the-transposed-convolution",
    hint="'same': n * stride; 'valid': (n - 1) * stride + max(kernel, stride) (the full result "
         "(n - 1) s + k, never shorter than (n - 1) s + s); return a Python int",
    make_calls=_size_calls, arg_names=("n", "kernel", "stride", "padding"),
    reference=f"{MODULE}:transposed_conv_output_size", output_name="size"))


def transposed_conv2d_reference(x, kernel, stride, padding):
    """The reference on one single-channel image: (H, W) and (kh, kw) in, (H_out, W_out) out."""
    batch = resolve(f"{MODULE}:transposed_conv2d")
    return batch(x[None, :, :, None], kernel[:, :, None, None], stride, padding)[0, :, :, 0]


def _transposed_calls() -> list[Call]:
    rng = np.random.default_rng(1204)
    x = np.array([[1.0, 2.0], [3.0, 4.0]])
    kernel = np.array([[1.0, 2.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 3.0]])
    return [
        Call((x, kernel, 2, "valid"), label="the chapter's 2x2 example, valid"),
        Call((rng.normal(size=(3, 4)), rng.normal(size=(2, 2)), 2, "same"),
             label="x (3, 4), kernel 2x2, stride 2, same (the U-Net's up-sampling)"),
        Call((rng.normal(size=(4, 4)), rng.normal(size=(3, 3)), 2, "same"),
             label="x (4, 4), kernel 3x3, stride 2, same"),
        Call((rng.normal(size=(3, 5)), rng.normal(size=(3, 2)), 3, "valid"), hidden=True),
        Call((rng.normal(size=(5, 5)), rng.normal(size=(4, 4)), 2, "same"), hidden=True,
             label="kernel 4x4, stride 2, same: the crop starts at row 1"),
        Call((rng.normal(size=(3, 3)), rng.normal(size=(3, 3)), 1, "valid"), hidden=True,
             label="stride 1: no zeros to insert"),
        Call((rng.normal(size=(2, 3)), rng.normal(size=(1, 1)), 2, "valid"), hidden=True,
             label="kernel 1 < stride 2: the output is longer than the full result"),
    ]


register(ArrayExercise(
    id="ch12.transposed_conv2d", function="transposed_conv2d",
    title="the transposed convolution by inserting zeros",
    section=f"{PAGE}#up-sampling-the-transposed-convolution",
    hint="z = zeros(((H-1)s+1, (W-1)s+1)); z[::s, ::s] = x; pad z with k-1 zeros on every side; "
         "y_full[p, q] = sum(z_pad[p:p+kh, q:q+kw] * kernel[::-1, ::-1]); keep "
         "transposed_conv_output_size rows and columns, from 0 ('valid') or from "
         "max(k - s, 0) // 2 ('same'), padding with zeros at the end if y_full is too short",
    make_calls=_transposed_calls, arg_names=("x", "kernel", "stride", "padding"),
    reference=f"{__name__}:transposed_conv2d_reference", output_name="y"))
