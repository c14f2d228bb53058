"""Chapter 1, neurons and networks: activations, a loss and its gradient, the perceptron.

Stubs in ``exercises/ch01_neurons.py``; references in :mod:`dlbook.activations`,
:mod:`dlbook.losses` and :mod:`dlbook.perceptron`.
"""

from __future__ import annotations

import numpy as np

from dlbook.grading.registry import ArrayExercise, Call, register, resolve

PAGE = "01_neurons_and_networks"


def _sum_of(function_name: str, z: np.ndarray):
    """``(label, f, z, pick)`` with f(z) = sum g(z): its gradient is g'(z) entry by entry."""
    g = resolve(f"dlbook.activations:{function_name}")
    return [("g'(z)", lambda x: float(np.sum(g(x))), z, lambda value: value)]


def _activation_calls() -> list[Call]:
    rng = np.random.default_rng(101)
    return [
        Call((rng.normal(0, 3, 5),)),
        Call((rng.normal(0, 3, (3, 4)),)),
        Call((np.array([-800.0, -40.0, 0.0, 40.0, 800.0]),), label="z with large |z| (overflow?)"),
        Call((rng.normal(0, 10, (2, 3, 4)),), hidden=True),
        Call((np.zeros(1),), hidden=True),
        Call((rng.uniform(-700, 700, 6),), hidden=True),
    ]


register(ArrayExercise(
    id="ch01.sigmoid", function="sigmoid", title="the logistic sigmoid",
    section=f"{PAGE}#activation-functions",
    hint="g(z) = 1 / (1 + e^(-z)), entry by entry; for large |z| write it with e^(-|z|) so that "
         "nothing overflows",
    make_calls=_activation_calls, arg_names=("z",), reference="dlbook.activations:sigmoid"))

register(ArrayExercise(
    id="ch01.sigmoid_prime", function="sigmoid_prime", title="the derivative of the sigmoid",
    section=f"{PAGE}#activation-functions",
    hint="g'(z) = g(z) (1 - g(z)): compute g once and reuse it",
    make_calls=_activation_calls, arg_names=("z",), reference="dlbook.activations:sigmoid_prime",
    finite_differences=lambda args: _sum_of("sigmoid", args[0])))


def _softmax_calls() -> list[Call]:
    rng = np.random.default_rng(102)
    return [
        Call((rng.normal(0, 2, (4, 3)),)),
        Call((rng.normal(1000, 5, (2, 4)),), label="z (2, 4) of scores near 1000 (overflow?)"),
        Call((rng.normal(0, 2, (1, 6)),), hidden=True),
        Call((rng.normal(-500, 50, (5, 2)),), hidden=True),
        Call((np.zeros((3, 5)),), hidden=True),
    ]


register(ArrayExercise(
    id="ch01.softmax", function="softmax", title="the softmax of each row",
    section=f"{PAGE}#activation-functions",
    hint="s_k = e^(z_k) / sum_j e^(z_j) along each row (axis=1, keepdims=True); subtract each "
         "row's maximum first: softmax(z - c) = softmax(z), and e^z no longer overflows",
    make_calls=_softmax_calls, arg_names=("z",), reference="dlbook.activations:softmax"))


def _bce_calls() -> list[Call]:
    rng = np.random.default_rng(103)

    def labels_and_probabilities(shape):
        return (rng.integers(0, 2, shape).astype(np.float64), rng.uniform(0.05, 0.95, shape))

    return [
        Call(labels_and_probabilities(6)),
        Call(labels_and_probabilities((4, 3))),
        Call(labels_and_probabilities(1), hidden=True),
        Call(labels_and_probabilities((10, 2)), hidden=True),
        Call((np.array([1.0, 0.0, 1.0, 0.0]), np.array([1.0, 0.0, 0.0, 1.0])), hidden=True,
             label="p of exactly 0 and 1 (clipping)"),
    ]


register(ArrayExercise(
    id="ch01.binary_crossentropy", function="binary_crossentropy",
    title="binary cross-entropy, the Bernoulli negative log-likelihood",
    section=f"{PAGE}#losses",
    hint="L = -mean(y log p + (1 - y) log(1 - p)) over every entry, with p clipped to "
         "[1e-7, 1 - 1e-7] first (np.clip) as Keras does; return a Python float",
    make_calls=_bce_calls, arg_names=("y", "p"), reference="dlbook.losses:binary_crossentropy",
    output_name="loss"))


def _bce_gradient_check(args):
    y, p = args
    if np.any((p < 1e-3) | (p > 1 - 1e-3)):
        return []  # finite differences straddle the clipping there
    loss = resolve("dlbook.losses:binary_crossentropy")
    return [("dL/dp", lambda q: loss(y, q), p, lambda value: value)]


register(ArrayExercise(
    id="ch01.binary_crossentropy_grad", function="binary_crossentropy_grad",
    title="the gradient of binary cross-entropy", section=f"{PAGE}#losses",
    hint="dL/dp_i = (p_i - y_i) / (p_i (1 - p_i)) / n with n the number of entries (the loss is "
         "a mean); where p was clipped the clipped loss is flat, so the gradient there is 0",
    make_calls=_bce_calls, arg_names=("y", "p"),
    reference="dlbook.losses:binary_crossentropy_grad", output_name="gradient",
    finite_differences=_bce_gradient_check))


def _perceptron_calls() -> list[Call]:
    rng = np.random.default_rng(104)
    return [
        Call((rng.normal(0, 1, 3), rng.normal(0, 1, (5, 2)))),
        Call((np.array([-1.5, 1.0, 1.0]), np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0],
                                                    [1.0, 1.0]])),
             label="the AND gate, w (3,), X (4, 2)"),
        Call((rng.normal(0, 1, 4), rng.normal(0, 1, (8, 3))), hidden=True),
        Call((np.array([0.0, 1.0, -1.0]), np.array([[2.0, 2.0], [1.0, 3.0], [3.0, 1.0]])),
             hidden=True, label="w.x exactly 0 on a point (step(0) = 1)"),
    ]


register(ArrayExercise(
    id="ch01.perceptron_predict", function="perceptron_predict",
    title="the perceptron's prediction", section=f"{PAGE}#the-perceptron",
    hint="y_hat = step(w_0 + X @ w[1:]) with step(z) = 1 for z >= 0, else 0, as integers "
         "(.astype(int)); w holds the bias first",
    make_calls=_perceptron_calls, arg_names=("w", "X"),
    reference="dlbook.perceptron:perceptron_predict", output_name="y_hat"))
