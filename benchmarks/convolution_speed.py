"""Time one convolutional layer three ways: naive loops, im2col, and Keras' Conv2D.

    .venv/bin/python benchmarks/convolution_speed.py [--batch 32] [--size 28] [--channels 8]
        [--filters 16] [--kernel 3] [--repeats 5]

The same float64 input (batch x size x size x channels), kernel (kernel x
kernel x channels x filters) and bias go through
:func:`dlbook.convolution.conv2d_naive`, :func:`dlbook.convolution.conv2d_forward`
and a float64 ``keras.layers.Conv2D`` given the same weights ("same" padding,
stride 1); a float32 Conv2D, the layer as a network uses it, is timed too.
Each time is the best of ``--repeats`` runs (the naive loop runs once: it is
slow), after one warm-up call. The outputs are checked to agree before
anything is printed. Also prints the forward-and-backward time of the im2col
layer, and the worst gradient-check error of the convolution and pooling
backward passes.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from dlbook import convolution as cv


def best_time(function, repeats: int) -> float:
    """The shortest of ``repeats`` wall-clock times of ``function()``, in seconds, after a warm-up."""
    function()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--size", type=int, default=28)
    parser.add_argument("--channels", type=int, default=8)
    parser.add_argument("--filters", type=int, default=16)
    parser.add_argument("--kernel", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    import keras

    from dlbook import cnn

    rng = np.random.default_rng(0)
    x = rng.normal(size=(args.batch, args.size, args.size, args.channels))
    w = rng.normal(size=(args.kernel, args.kernel, args.channels, args.filters))
    b = rng.normal(size=args.filters)

    layer64 = keras.layers.Conv2D(args.filters, args.kernel, padding="same", dtype="float64")
    layer64.build(x.shape)
    layer64.set_weights([w, b])
    layer32 = keras.layers.Conv2D(args.filters, args.kernel, padding="same")
    layer32.build(x.shape)
    layer32.set_weights([w, b])
    x32 = x.astype("float32")

    y, cache = cv.conv2d_forward(x, w, b, 1, "same")
    dout = rng.normal(size=y.shape)
    start = time.perf_counter()
    y_naive = cv.conv2d_naive(x, w, b, 1, "same")
    naive = time.perf_counter() - start
    np.testing.assert_allclose(y_naive, y, atol=1e-10)
    np.testing.assert_allclose(cnn.keras_conv2d(x, w, b, 1, "same"), y, atol=1e-10)

    times = {
        "naive loops (NumPy, float64)": naive,
        "im2col (NumPy, float64)": best_time(lambda: cv.conv2d_forward(x, w, b, 1, "same"), args.repeats),
        "im2col forward + backward": best_time(
            lambda: cv.conv2d_backward(dout, cv.conv2d_forward(x, w, b, 1, "same")[1]), args.repeats),
        f"Keras Conv2D ({keras.backend.backend()}, float64)": best_time(
            lambda: keras.ops.convert_to_numpy(layer64(x)), args.repeats),
        f"Keras Conv2D ({keras.backend.backend()}, float32)": best_time(
            lambda: keras.ops.convert_to_numpy(layer32(x32)), args.repeats),
    }
    print(f"Conv2D forward: input {x.shape}, kernel {w.shape}, 'same' padding, stride 1; "
          f"best of {args.repeats} (naive: one run)")
    reference = times["im2col (NumPy, float64)"]
    for name, seconds in times.items():
        print(f"  {name:<40s} {seconds * 1e3:10.2f} ms   {seconds / reference:8.2f} x im2col")

    errors = {}
    for layer in cv.LAYERS:
        for padding in cv.PADDINGS:
            for stride in (1, 2):
                errors[(layer, padding, stride)] = max(cv.gradient_check(layer, seed=stride, stride=stride,
                                                                         padding=padding).values())
    worst = max(errors, key=errors.get)
    print(f"gradient checks (conv, max and average pooling; valid and same; strides 1 and 2): "
          f"worst relative error {errors[worst]:.1e} ({worst[0]}, {worst[1]}, stride {worst[2]})")


if __name__ == "__main__":
    main()
