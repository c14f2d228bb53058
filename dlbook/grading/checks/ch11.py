"""Chapter 11, residual networks: the dense residual block forward and backward, and the shape
and parameter count of a convolutional residual unit.

Stubs in ``exercises/ch11_resnet.py``; references in :mod:`dlbook.resnet`. A cache is the plain
6-tuple (x, W1, W2, z1, a1, z); x is (N, D), W1 (D, H), W2 (H, D).
"""

from __future__ import annotations

import numpy as np

from dlbook.grading.compare import Tolerance, unpack
from dlbook.grading.registry import ArrayExercise, Call, register, resolve

PAGE = "11_resnet"
MODULE = "dlbook.resnet"
CACHE_FIELDS = ("x", "W1", "W2", "z1", "a1", "z")
EXACT = Tolerance(rtol=0.0, atol=0.0)


def _block(rng, n, d, h, zero_w2=False):
    """x, W1, W2 of a block; W2 scaled so that F(x) and x are of similar size."""
    x = rng.normal(0, 1, (n, d))
    W1 = rng.normal(0, np.sqrt(2 / d), (d, h))
    W2 = np.zeros((h, d)) if zero_w2 else rng.normal(0, np.sqrt(1 / h), (h, d))
    return x, W1, W2


# -- the block, forward --------------------------------------------------------

def _forward_calls() -> list[Call]:
    rng = np.random.default_rng(1101)
    return [Call(_block(rng, 4, 3, 5), label="x (4, 3), W1 (3, 5), W2 (5, 3)"),
            Call(_block(rng, 10, 6, 2), label="x (10, 6), a narrow hidden layer H = 2"),
            Call(_block(rng, 1, 5, 8), hidden=True, label="one example, x (1, 5)"),
            Call(_block(rng, 7, 4, 4, zero_w2=True), hidden=True,
                 label="W2 = 0: F(x) = 0 and y = ReLU(x)"),
            Call(_block(rng, 16, 8, 12), hidden=True)]


def forward_parts(value) -> dict:
    """The output y and the six parts of the cache, compared one by one."""
    top = unpack(value, ("y", "cache"))
    cache = unpack(top["cache"], CACHE_FIELDS)
    return {"y": top["y"], **{f"cache.{name}": cache[name] for name in CACHE_FIELDS}}


register(ArrayExercise(
    id="ch11.residual_forward", function="residual_forward",
    title="a residual block of two dense layers",
    section=f"{PAGE}#skip-connections-and-the-residual-unit",
    hint="z1 = x @ W1; a1 = np.maximum(z1, 0); z = x + a1 @ W2 (the skip adds x); "
         "y = np.maximum(z, 0); return y, (x, W1, W2, z1, a1, z)",
    make_calls=_forward_calls, arg_names=("x", "W1", "W2"),
    reference=f"{MODULE}:residual_forward", parts=forward_parts))


# -- the block, backward -------------------------------------------------------

def _backward_calls() -> list[Call]:
    forward = resolve(f"{MODULE}:residual_forward")
    rng = np.random.default_rng(1102)
    calls = []
    for n, d, h, hidden in ((5, 3, 4, False), (3, 6, 2, False), (1, 4, 6, True),
                            (12, 5, 5, True), (8, 2, 9, True)):
        x, W1, W2 = _block(rng, n, d, h)
        cache = tuple(forward(x, W1, W2)[1])  # a plain tuple, as the student's forward returns
        calls.append(Call((rng.normal(0, 1, (n, d)), cache), hidden,
                          f"dout ({n}, {d}), the cache of a block with W1 ({d}, {h})"))
    x, W1, W2 = _block(rng, 6, 4, 3, zero_w2=True)
    calls.append(Call((rng.normal(0, 1, (6, 4)), tuple(forward(x, W1, W2)[1])), True,
                      "W2 = 0: only the skip carries the gradient to x"))
    return calls


def _backward_check(args):
    """Finite differences of L = sum(dout * y) in x, W1 and W2, all read from the cache."""
    dout, (x, W1, W2, *_) = args
    forward = resolve(f"{MODULE}:residual_forward")

    def loss(xv, W1v, W2v):
        return float(np.sum(dout * forward(xv, W1v, W2v)[0]))

    return [("dx", lambda v: loss(v, W1, W2), x, lambda value: value[0]),
            ("dW1", lambda v: loss(x, v, W2), W1, lambda value: value[1]),
            ("dW2", lambda v: loss(x, W1, v), W2, lambda value: value[2])]


register(ArrayExercise(
    id="ch11.residual_backward", function="residual_backward",
    title="the gradients of the residual block",
    section=f"{PAGE}#the-gradient-through-a-skip",
    hint="delta = dout * (z > 0); dW2 = a1.T @ delta; delta1 = (delta @ W2.T) * (z1 > 0); "
         "dW1 = x.T @ delta1; dx = delta + delta1 @ W1.T (the skip's share is delta itself)",
    make_calls=_backward_calls, arg_names=("dout", "cache"),
    reference=f"{MODULE}:residual_backward",
    parts=lambda value: unpack(value, ("dx", "dW1", "dW2")),
    finite_differences=_backward_check))


# -- the convolutional unit: shape and parameter count -------------------------

def _shape_calls() -> list[Call]:
    return [Call(((32, 32, 16), 16, 1), label="(32, 32, 16), 16 filters, stride 1"),
            Call(((32, 32, 16), 32, 2), label="(32, 32, 16), 32 filters, stride 2"),
            Call(((7, 7, 64), 128, 2), hidden=True, label="an odd size: (7, 7, 64), stride 2"),
            Call(((10, 6, 3), 8, 3), hidden=True, label="(10, 6, 3), stride 3"),
            Call(((1, 1, 4), 4, 2), hidden=True, label="a 1x1 map, stride 2")]


register(ArrayExercise(
    id="ch11.unit_output_shape", function="unit_output_shape",
    title="the output shape of a residual unit",
    section=f"{PAGE}#the-projection-skip",
    hint='"same" padding with stride s gives ceil(H / s) rows: -(-H // s) in integers; '
         "the depth becomes the number of filters; return (H', W', filters)",
    make_calls=_shape_calls, arg_names=("input_shape", "filters", "strides"),
    reference=f"{MODULE}:unit_output_shape", tolerance=EXACT, output_name="shape"))


def _count_calls() -> list[Call]:
    return [Call((16, 16, 1, 3), label="identity skip: C = F = 16, stride 1, 3x3"),
            Call((16, 32, 2, 3), label="projection: 16 -> 32 channels, stride 2, 3x3"),
            Call((32, 64, 1, 3), hidden=True, label="more filters at stride 1: still a projection"),
            Call((64, 64, 2, 3), hidden=True, label="same depth at stride 2: still a projection"),
            Call((8, 8, 1, 5), hidden=True, label="a 5x5 kernel, identity skip"),
            Call((3, 12, 1, 1), hidden=True, label="1x1 kernels, 3 -> 12 channels")]


register(ArrayExercise(
    id="ch11.unit_parameter_count", function="unit_parameter_count",
    title="the parameters of a residual unit",
    section=f"{PAGE}#the-projection-skip",
    hint="k*k*C*F + 4F (first conv, BN) + k*k*F*F + 4F (second conv, BN); add C*F + 4F for the "
         "projection and its BN when strides != 1 or in_channels != filters",
    make_calls=_count_calls, arg_names=("in_channels", "filters", "strides", "kernel_size"),
    reference=f"{MODULE}:unit_parameter_count", tolerance=EXACT, output_name="count"))
