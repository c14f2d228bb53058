"""Chapter 5, gradients and initialization: fans, initializer scales, the signal through depth.

Stubs in ``exercises/ch05_initialization.py``; references in
:mod:`dlbook.initialization` and :mod:`dlbook.activations`. Every answer is
deterministic (no sampling), so it is compared with the reference exactly.
"""

from __future__ import annotations

import math

import numpy as np

from dlbook.grading.registry import ArrayExercise, Call, register, resolve

PAGE = "05_initialization"
MODULE = "dlbook.initialization"


def _fans_calls() -> list[Call]:
    return [
        Call(((784, 300),), label="a Dense kernel (784, 300)"),
        Call(((3, 3, 16, 32),), label="a Conv2D kernel (3, 3, 16, 32)"),
        Call(((5, 4, 8),), label="a Conv1D kernel (5, 4, 8)"),
        Call(((2, 3, 3, 4, 6),), hidden=True, label="a Conv3D kernel"),
        Call(((7,),), hidden=True, label="a vector (7,)"),
        Call(((1, 1),), hidden=True, label="a 1 x 1 kernel"),
    ]


register(ArrayExercise(
    id="ch05.fans", function="fans", title="fan_in and fan_out of a kernel",
    section=f"{PAGE}#glorot-he-and-lecun-initialization",
    hint="Dense (n_in, n_out): (n_in, n_out). Convolution (k_1, ..., k_d, c_in, c_out): "
         "r = k_1 * ... * k_d, then (r * c_in, r * c_out). A vector (n,): (n, n). "
         "Return a tuple of two ints",
    make_calls=_fans_calls, arg_names=("shape",), reference=f"{MODULE}:fans",
    output_name="(fan_in, fan_out)"))


def init_std_reference(rule, fan_in, fan_out):
    """sigma = sqrt(sigma^2) of the reference variance."""
    return math.sqrt(resolve(f"{MODULE}:variance")(rule, fan_in, fan_out))


def _scale_calls() -> list[Call]:
    return [
        Call(("glorot", 784, 300)),
        Call(("he", 784, 300)),
        Call(("lecun", 300, 100)),
        Call(("glorot", 576, 1152), hidden=True),
        Call(("he", 1, 1), hidden=True),
        Call(("lecun", 4096, 10), hidden=True),
        Call(("glorot", 10, 4096), hidden=True),
    ]


register(ArrayExercise(
    id="ch05.init_std", function="init_std", title="the standard deviation of an initializer",
    section=f"{PAGE}#glorot-he-and-lecun-initialization",
    hint="sigma^2 = 1 / fan_avg with fan_avg = (fan_in + fan_out) / 2 for 'glorot', "
         "2 / fan_in for 'he', 1 / fan_in for 'lecun'; return sqrt(sigma^2) as a float",
    make_calls=_scale_calls, arg_names=("rule", "fan_in", "fan_out"),
    reference=f"{__name__}:init_std_reference", output_name="sigma"))

register(ArrayExercise(
    id="ch05.uniform_limit", function="uniform_limit", title="the limit r of a uniform initializer",
    section=f"{PAGE}#glorot-he-and-lecun-initialization",
    hint="U(-r, r) has variance r^2 / 3; set it equal to the rule's sigma^2: r = sqrt(3 sigma^2) "
         "(for Glorot, sqrt(6 / (fan_in + fan_out)))",
    make_calls=_scale_calls, arg_names=("rule", "fan_in", "fan_out"),
    reference=f"{MODULE}:uniform_limit", output_name="r"))


def _stds_calls() -> list[Call]:
    rng = np.random.default_rng(501)

    def case(sizes, std, activation, n=32, hidden=False, label=""):
        X = rng.normal(0, 1, (n, sizes[0]))
        weights = [rng.normal(0, std(a, b), (a, b)) for a, b in zip(sizes[:-1], sizes[1:],
                                                                      strict=True)]
        return Call((X, weights, activation), hidden, label)

    def glorot(a, b):
        return math.sqrt(2 / (a + b))

    def he(a, b):
        return math.sqrt(2 / a)

    return [
        case([8, 16, 16, 16], glorot, "tanh", label="tanh, Glorot weights, 3 layers"),
        case([8, 16, 16, 16, 16], he, "relu", label="ReLU, He weights, 4 layers"),
        case([5, 10, 10], lambda a, b: 1.0, "sigmoid", label="sigmoid, N(0, 1) weights"),
        case([4, 6], glorot, "tanh", n=1, hidden=True, label="one layer, one example"),
        case([20, 30, 30, 30, 30, 30], lambda a, b: 0.05, "tanh", hidden=True,
             label="tanh, small weights: the signal shrinks"),
        case([6, 12, 12, 12], he, "relu", n=64, hidden=True),
        case([6, 9, 9], glorot, "sigmoid", n=10, hidden=True),
    ]


register(ArrayExercise(
    id="ch05.activation_stds", function="activation_stds",
    title="the spread of the activations layer by layer",
    section=f"{PAGE}#vanishing-and-exploding-gradients",
    hint="a = X; for each W: a = g(a @ W) and record a.std() (over all entries, np.std's "
         "default ddof=0); return np.array of the L values",
    make_calls=_stds_calls, arg_names=("X", "weights", "activation"),
    reference=f"{MODULE}:activation_stds", output_name="stds"))


def _elu_calls() -> list[Call]:
    rng = np.random.default_rng(502)
    return [
        Call((rng.normal(0, 2, 6), 1.0)),
        Call((rng.normal(-1, 2, (3, 4)), 0.5)),
        Call((np.array([-30.0, -1.0, 0.0, 1.0, 30.0]), 1.0),
             label="z with 0 and large |z| (z = 0 takes the z <= 0 branch)"),
        Call((rng.normal(0, 3, (2, 3, 2)), 2.0), hidden=True),
        Call((rng.normal(-5, 1, 5), 1.0), hidden=True),
        Call((rng.uniform(-700, -600, 4), 1.5), hidden=True, label="very negative z"),
    ]


def _elu_gradient_check(args):
    z, alpha = args
    if np.any(z == 0):  # the ELU has a kink at 0 when alpha != 1: no derivative to check there
        return []
    elu = resolve("dlbook.activations:elu")
    return [("g'(z)", lambda x: float(np.sum(elu(x, alpha))), z, lambda value: value)]


register(ArrayExercise(
    id="ch05.elu_prime", function="elu_prime", title="the derivative of the ELU",
    section=f"{PAGE}#dying-relus-leaky-relu-and-elu",
    hint="np.where(z > 0, 1.0, alpha * np.exp(np.minimum(z, 0))): the minimum keeps e^z from "
         "overflowing in the branch that is thrown away",
    make_calls=_elu_calls, arg_names=("z", "alpha"), reference="dlbook.activations:elu_prime",
    output_name="g'(z)", finite_differences=_elu_gradient_check))
