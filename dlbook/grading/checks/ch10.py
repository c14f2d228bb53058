"""Chapter 10, convolutional networks: output size, convolution (valid, then padded and
strided), max pooling forward and backward.

Stubs in ``exercises/ch10_convolution.py``; references in :mod:`dlbook.convolution`.
Images are float64 (N, H, W, C), channels last; a kernel is (kh, kw, C, F) as in Keras.
A max-pooling cache is the plain tuple (x, pool_size, stride).
"""

from __future__ import annotations

import numpy as np

from dlbook.grading.compare import StructureError, unpack
from dlbook.grading.registry import ArrayExercise, Call, register, resolve

PAGE = "10_convolutional_networks"
MODULE = "dlbook.convolution"

EXAMPLE_INPUT = np.array([[3, 3, 2, 1, 0], [0, 0, 1, 3, 1], [3, 1, 2, 2, 3], [2, 0, 0, 2, 2],
                          [2, 0, 0, 0, 1]], dtype=np.float64)
EXAMPLE_KERNEL = np.array([[0, 1, 2], [2, 2, 0], [0, 1, 2]], dtype=np.float64)


# -- the output size ---------------------------------------------------------------

def _size_calls() -> list[Call]:
    rng = np.random.default_rng(1001)
    hidden = [Call((int(n), int(k), int(s), padding), hidden=True)
              for n, k, s, padding in zip(rng.integers(9, 200, 4), rng.integers(1, 8, 4),
                                          rng.integers(1, 5, 4), ("valid", "same", "valid", "same"),
                                          strict=True)]
    return [Call((5, 3, 1, "valid"), label="the 5x5 worked example, 3x3 kernel"),
            Call((128, 3, 2, "same"), label="the notes' question: 128, kernel 3, stride 2, same"),
            Call((28, 5, 1, 2), label="28 pixels, kernel 5, 2 zeros on each side"),
            Call((7, 2, 2, "valid"), hidden=True, label="a stride that does not divide: 7, 2, 2, valid"),
            Call((7, 3, 3, "same"), hidden=True, label="same with stride 3: 7, 3, 3"),
            Call((1, 1, 1, "valid"), hidden=True, label="one pixel, 1x1 kernel"),
            Call((30, 3, 2, 1), hidden=True, label="30, kernel 3, stride 2, padding 1"),
            *hidden]


register(ArrayExercise(
    id="ch10.output_size", function="output_size", title="the output size of a convolution",
    section=f"{PAGE}#stride-padding-and-the-output-size",
    hint="an int p of padding: (n + 2 p - kernel) // stride + 1; 'valid' is p = 0; "
         "'same' is ceil(n / stride) = -(-n // stride), whatever the kernel; return an int",
    make_calls=_size_calls, arg_names=("n", "kernel", "stride", "padding"),
    reference=f"{MODULE}:output_size", output_name="size"))


# -- the convolution ------------------------------------------------------------------

def _conv_calls() -> list[Call]:
    rng = np.random.default_rng(1002)

    def case(n, h, w, c, kh, kw, f):
        return rng.normal(size=(n, h, w, c)), rng.normal(size=(kh, kw, c, f)), rng.normal(size=f)

    example = (EXAMPLE_INPUT[None, :, :, None], EXAMPLE_KERNEL[:, :, None, None], np.zeros(1), 1)
    return [Call(example, label="the 5x5 worked example: [[12, 12, 17], [10, 17, 19], [9, 6, 14]]"),
            Call((*case(2, 6, 6, 3, 3, 3, 4), 1), label="x (2, 6, 6, 3), w (3, 3, 3, 4), stride 1"),
            Call((*case(1, 7, 8, 2, 3, 3, 2), 2), hidden=True, label="stride 2, x (1, 7, 8, 2)"),
            Call((*case(3, 5, 6, 2, 2, 3, 3), 1), hidden=True, label="a 2x3 kernel, x (3, 5, 6, 2)"),
            Call((*case(2, 4, 4, 5, 1, 1, 3), 1), hidden=True, label="a 1x1 kernel, x (2, 4, 4, 5)"),
            Call((*case(1, 9, 9, 1, 4, 4, 2), 3), hidden=True, label="kernel 4, stride 3, x (1, 9, 9, 1)"),
            Call((*case(2, 3, 3, 2, 3, 3, 1), 1), hidden=True, label="kernel as large as the image")]


register(ArrayExercise(
    id="ch10.conv2d", function="conv2d", title="a convolutional layer (valid padding)",
    section=f"{PAGE}#convolution",
    hint="Ho = (H - kh) // stride + 1; for each output pixel (i, j) take the field "
         "x[:, i*stride:i*stride+kh, j*stride:j*stride+kw, :] (N, kh, kw, C) and contract it with "
         "w over (kh, kw, C): np.tensordot(field, w, axes=3) gives (N, F); add b. No kernel flip",
    make_calls=_conv_calls, arg_names=("x", "w", "b", "stride"),
    reference=f"{MODULE}:conv2d", output_name="y"))


NOTES_INPUT = np.array([[2, 2, 3, 3, 3], [0, 1, 3, 0, 3], [2, 3, 0, 1, 3], [3, 3, 2, 1, 2],
                        [3, 3, 0, 2, 3]], dtype=np.float64)
NOTES_KERNEL = np.array([[2, 0, 1], [1, 0, 0], [0, 1, 1]], dtype=np.float64)


def _padded_conv_calls() -> list[Call]:
    rng = np.random.default_rng(1007)

    def case(n, h, w, c, k, f, stride, padding):
        return (rng.normal(size=(n, h, w, c)), rng.normal(size=(k, k, c, f)), rng.normal(size=f),
                stride, padding)

    notes = (NOTES_INPUT[None, :, :, None], NOTES_KERNEL[:, :, None, None], np.zeros(1), 2, 1)
    return [Call(notes, label="the notes' second example: padding 1, stride 2"),
            Call(case(2, 6, 6, 3, 3, 4, 1, 1), label="x (2, 6, 6, 3), kernel 3, stride 1, padding 1"),
            Call(case(1, 7, 8, 2, 3, 2, 2, 2), hidden=True, label="stride 2, padding 2"),
            Call(case(2, 5, 5, 1, 5, 2, 3, 2), hidden=True, label="kernel 5, stride 3, padding 2"),
            Call(case(1, 4, 6, 2, 2, 3, 2, 0), hidden=True, label="padding 0 (valid)"),
            Call(case(1, 2, 2, 1, 3, 1, 1, 1), hidden=True, label="a kernel larger than the unpadded image")]


register(ArrayExercise(
    id="ch10.conv2d_padded", function="conv2d_padded",
    title="a convolutional layer with padding and stride",
    section=f"{PAGE}#the-notes-second-example-padding-1-and-stride-2",
    hint="pad first: np.pad(x, ((0, 0), (p, p), (p, p), (0, 0))) adds p zeros around each image "
         "(not around the batch or the channels), then the valid convolution with stride s on the "
         "padded input; Ho = (H + 2 p - kh) // s + 1",
    make_calls=_padded_conv_calls, arg_names=("x", "w", "b", "stride", "padding"),
    reference=f"{MODULE}:conv2d", output_name="y"))


# -- max pooling, forward and backward -------------------------------------------

def _pool_problems(seed: int):
    """(x, pool_size, stride, label, hidden) for the pooling exercises."""
    rng = np.random.default_rng(seed)
    shapes = [((2, 4, 4, 3), 2, 2, False), ((1, 6, 6, 2), 3, 3, False), ((2, 7, 7, 1), 2, 2, True),
              ((1, 6, 7, 2), 3, 1, True), ((3, 8, 6, 4), 2, 2, True), ((1, 5, 5, 1), 3, 2, True)]
    notes = {(2, 7, 7, 1): ", odd size: the last row and column are dropped",
             (1, 6, 7, 2): ", overlapping windows (stride 1)"}
    return [(rng.normal(size=shape), p, s, f"x {shape}, pool {p}, stride {s}{notes.get(shape, '')}", hidden)
            for shape, p, s, hidden in shapes]


def _maxpool_forward_calls() -> list[Call]:
    return [Call((x, p, s), hidden, label) for x, p, s, label, hidden in _pool_problems(1003)]


def maxpool_forward_parts(value) -> dict:
    """The output y and the cached input x; the pool size and stride may be ints or pairs."""
    top = unpack(value, ("y", "cache"))
    cache = top["cache"]
    if not isinstance(cache, (tuple, list)) or len(cache) < 3:
        raise StructureError("expected the cache to be the tuple (x, pool_size, stride)")
    return {"y": top["y"], "cache[0] (x)": cache[0]}


register(ArrayExercise(
    id="ch10.maxpool_forward", function="maxpool_forward", title="max pooling",
    section=f"{PAGE}#pooling",
    hint="Ho = (H - pool_size) // stride + 1; y[:, i, j, :] = the max over axes (1, 2) of "
         "x[:, i*stride:i*stride+pool_size, j*stride:j*stride+pool_size, :]; "
         "return y, (x, pool_size, stride)",
    make_calls=_maxpool_forward_calls, arg_names=("x", "pool_size", "stride"),
    reference=f"{MODULE}:maxpool_forward", parts=maxpool_forward_parts))


def _maxpool_backward_calls() -> list[Call]:
    forward = resolve(f"{MODULE}:maxpool_forward")
    rng = np.random.default_rng(1004)
    calls = []
    for x, p, s, label, hidden in _pool_problems(1005):
        y, _ = forward(x, p, s)
        calls.append(Call((rng.normal(size=y.shape), (x, p, s)), hidden,
                          f"dout {y.shape}, the cache of {label}"))
    return calls


def _maxpool_gradient(args):
    """Finite differences of L = sum(dout * maxpool(x)) in x."""
    dout, (x, p, s) = args
    forward = resolve(f"{MODULE}:maxpool_forward")

    def loss(v):
        return float(np.sum(dout * forward(v, p, s)[0]))

    return [("dx", loss, x, lambda value: value)]


register(ArrayExercise(
    id="ch10.maxpool_backward", function="maxpool_backward", title="the gradient of max pooling",
    section=f"{PAGE}#pooling",
    hint="dx = np.zeros_like(x); for each window (i, j) and each image and channel, find the "
         "argmax (np.unravel_index) and add dout[n, i, j, c] there: += matters when windows overlap",
    make_calls=_maxpool_backward_calls, arg_names=("dout", "cache"),
    reference=f"{MODULE}:maxpool_backward", output_name="dx",
    finite_differences=_maxpool_gradient))
