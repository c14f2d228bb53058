"""Chapter 3, backpropagation: the forward pass, the output and hidden deltas, the backward pass;
then the confusion matrix and precision and recall of the trained classifier.

Stubs in ``exercises/ch03_backprop.py``; references in :mod:`dlbook.backprop` and
:mod:`dlbook.metrics`.
Sigmoid units throughout; W(l) has shape (n_{l+1}, n_l + 1), bias column first.
"""

from __future__ import annotations

import numpy as np

from dlbook.grading.compare import unpack
from dlbook.grading.registry import ArrayExercise, Call, register, resolve
from dlbook.grading.runtime.codec import Fixture

PAGE = "03_backpropagation"
MODULE = "dlbook.backprop"
CACHE_FIELDS = ("a_bias", "z", "output", "activation")


def _network(rng, sizes, n):
    """Weights of a network with ``sizes`` units per layer, ``n`` inputs and 0/1 labels."""
    weights = [rng.normal(0, 1, (m, k + 1)) for k, m in zip(sizes[:-1], sizes[1:], strict=True)]
    X = rng.normal(0, 1, (n, sizes[0]))
    y = rng.integers(0, 2, (n, sizes[-1])).astype(np.float64)
    return weights, X, y


def _networks(seed: int) -> list[tuple[tuple, bool, str]]:
    """(weights, X, y), hidden?, label: the worked 2-3-1 network first."""
    rng = np.random.default_rng(seed)
    return [(_network(rng, [2, 3, 1], 4), False, "the worked 2-3-1 network, N = 4"),
            (_network(rng, [3, 4, 2], 5), False, "a 3-4-2 network, N = 5"),
            (_network(rng, [2, 3, 3, 1], 1), True, "a 2-3-3-1 network, N = 1"),
            (_network(rng, [4, 5, 3], 7), True, "a 4-5-3 network, N = 7")]


def _cost_of_weights(weights, X, y, layer: int):
    """J as a function of W(layer) alone, the other matrices fixed."""
    forward, cost = resolve(f"{MODULE}:forward"), resolve(f"{MODULE}:cost")

    def J(W):
        return cost(forward(weights[:layer] + [W] + weights[layer + 1:], X)[0], y)

    return J


# -- the forward pass ---------------------------------------------------------

def _forward_calls() -> list[Call]:
    return [Call((weights, X), hidden, label)
            for (weights, X, _), hidden, label in _networks(301)]


def forward_parts(value) -> dict:
    """The parts of ``(y_hat, cache)`` that are compared (not the activation's name)."""
    top = unpack(value, ("y_hat", "cache"))
    cache = unpack(top["cache"], CACHE_FIELDS)
    return {"y_hat": top["y_hat"], **{f"cache.{name}": cache[name] for name in CACHE_FIELDS[:3]}}


register(ArrayExercise(
    id="ch03.forward", function="forward", title="the forward pass",
    section=f"{PAGE}#the-forward-pass",
    hint="for each W: a_bias = [1, a] (np.hstack with a column of ones), z = a_bias @ W.T, "
         "a = sigmoid(z); keep every a_bias and z in lists for the cache",
    make_calls=_forward_calls, arg_names=("weights", "X"), reference=f"{MODULE}:forward",
    parts=forward_parts))


# -- the output delta ---------------------------------------------------------

def _delta_calls() -> list[Call]:
    rng = np.random.default_rng(302)
    shapes = [((4, 1), False), ((5, 2), False), ((1, 1), True), ((8, 3), True)]
    return [Call((rng.uniform(0.05, 0.95, shape),
                  rng.integers(0, 2, shape).astype(np.float64)), hidden)
            for shape, hidden in shapes]


def _output_delta_check(args):
    y_hat, y = args
    sigmoid, cost = resolve("dlbook.activations:sigmoid"), resolve(f"{MODULE}:cost")
    z = np.log(y_hat / (1 - y_hat))
    return [("dJ/dz(L)", lambda v: cost(sigmoid(v), y), z, lambda value: value)]


register(ArrayExercise(
    id="ch03.output_delta", function="output_delta", title="the output error delta(L)",
    section=f"{PAGE}#deriving-the-gradients",
    hint="for sigmoid outputs and the mean cross-entropy, dJ/dz(L) = (a(L) - y) / (N n_L): "
         "the h'(z) factor cancels; mind the sign and the mean",
    make_calls=_delta_calls, arg_names=("y_hat", "y"), reference=f"{MODULE}:output_delta",
    output_name="delta", finite_differences=_output_delta_check))


# -- one layer back ------------------------------------------------------------

def _hidden_calls() -> list[Call]:
    rng = np.random.default_rng(303)
    shapes = [(4, 1, 3, False), (5, 2, 4, False), (1, 3, 2, True), (6, 2, 5, True)]
    return [Call((rng.normal(0, 0.3, (n, m)), rng.normal(0, 1, (m, k + 1)),
                  rng.normal(0, 2, (n, k))), hidden) for n, m, k, hidden in shapes]


def _hidden_delta_check(args):
    delta_next, W, z = args
    sigmoid, add_bias = resolve("dlbook.activations:sigmoid"), resolve(f"{MODULE}:add_bias")
    # delta(l) is dJ/dz(l) when J changes by delta(l+1) per unit of z(l+1) = [1, h(z)] W^T
    return [("delta(l)", lambda v: float(np.sum(delta_next * (add_bias(sigmoid(v)) @ W.T))),
             z, lambda value: value)]


register(ArrayExercise(
    id="ch03.hidden_delta", function="hidden_delta", title="the error one layer back",
    section=f"{PAGE}#deriving-the-gradients",
    hint="delta(l) = (delta(l+1) @ W)[:, 1:] * h'(z(l)): drop the bias column, since no error "
         "flows into the constant bias unit; h'(z) = sigmoid(z) (1 - sigmoid(z))",
    make_calls=_hidden_calls, arg_names=("delta_next", "W", "z"),
    reference=f"{MODULE}:hidden_delta", output_name="delta",
    finite_differences=_hidden_delta_check))


# -- the backward pass ---------------------------------------------------------

def _backward_calls() -> list[Call]:
    forward = resolve(f"{MODULE}:forward")
    calls = []
    for (weights, X, y), hidden, label in _networks(304):
        cache = forward(weights, X)[1]
        fixture = Fixture("backprop_cache", {name: getattr(cache, name) for name in CACHE_FIELDS})
        calls.append(Call((weights, fixture, y), hidden, label))
    return calls


def backward_reference(weights, cache: Fixture, y):
    """The reference backward pass on the cache the fixture describes."""
    Cache = resolve(f"{MODULE}:Cache")
    return resolve(f"{MODULE}:backward")(weights, Cache(**cache.kwargs), y)


def _backward_check(args):
    weights, cache, y = args
    X = cache.kwargs["a_bias"][0][:, 1:]
    return [(f"dJ/dW({l + 1})", _cost_of_weights(weights, X, y, l), weights[l],
             lambda value, l=l: value[l]) for l in range(len(weights))]


register(ArrayExercise(
    id="ch03.backward", function="backward", title="the backward pass",
    section=f"{PAGE}#the-algorithm",
    hint="delta = output_delta(cache.output, y); for l from the last layer down: "
         "grads[l] = delta.T @ cache.a_bias[l], then (if l > 0) "
         "delta = hidden_delta(delta, weights[l], cache.z[l - 1])",
    make_calls=_backward_calls, arg_names=("weights", "cache", "y"),
    reference=f"{__name__}:backward_reference", output_name="grads",
    finite_differences=_backward_check))


# -- measuring the classifier ----------------------------------------------------

def _predictions(rng, n: int, n_classes: int, right: float = 0.6):
    """(y_true, y_pred): labels, and predictions that are right about a fraction ``right`` of the time."""
    y_true = rng.integers(0, n_classes, n)
    return y_true, np.where(rng.random(n) < right, y_true, rng.integers(0, n_classes, n))


def _confusion_calls() -> list[Call]:
    rng = np.random.default_rng(305)
    return [Call((*_predictions(rng, 20, 2), 2), label="two classes, N = 20"),
            Call((*_predictions(rng, 30, 3), 3), label="three classes, N = 30"),
            Call((np.zeros(3, dtype=np.int64), np.array([0, 2, 0]), 3), hidden=True,
                 label="class 1 neither present nor predicted"),
            Call((*_predictions(rng, 100, 5), 5), hidden=True)]


register(ArrayExercise(
    id="ch03.confusion_matrix", function="confusion_matrix", title="the confusion matrix",
    section=f"{PAGE}#measuring-a-classifier",
    hint="C = np.zeros((n_classes, n_classes), dtype=int), then add 1 at C[y_true[n], y_pred[n]] "
         "for every example n (np.add.at(C, (y_true, y_pred), 1) does them all): rows are the "
         "true classes, columns the predicted ones",
    make_calls=_confusion_calls, arg_names=("y_true", "y_pred", "n_classes"),
    reference="dlbook.metrics:confusion_matrix", output_name="C"))


def _precision_recall_calls() -> list[Call]:
    confusion = resolve("dlbook.metrics:confusion_matrix")
    rng = np.random.default_rng(306)
    return [Call((np.array([[50, 10], [5, 35]]),), label="TN 50, FP 10, FN 5, TP 35"),
            Call((confusion(*_predictions(rng, 40, 3), 3),), label="three classes, N = 40"),
            Call((np.array([[3, 0, 1], [2, 0, 0], [0, 0, 4]]),), hidden=True,
                 label="class 1 never predicted (precision 0)"),
            Call((confusion(*_predictions(rng, 200, 4, right=0.8), 4),), hidden=True)]


register(ArrayExercise(
    id="ch03.precision_recall", function="precision_recall", title="precision and recall per class",
    section=f"{PAGE}#measuring-a-classifier",
    hint="the diagonal np.diag(C) over the column sums C.sum(axis=0) is the precision, over the "
         "row sums C.sum(axis=1) the recall; where a sum is 0 the ratio is 0 (np.divide with "
         "where= and out=np.zeros(K))",
    make_calls=_precision_recall_calls, arg_names=("C",),
    reference="dlbook.metrics:precision_recall",
    parts=lambda value: unpack(value, ("precision", "recall"))))
