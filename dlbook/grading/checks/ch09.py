"""Chapter 9, regularization: weight penalties, inverted dropout, Monte Carlo summaries.

Stubs in ``exercises/ch09_regularization.py``; references in
:mod:`dlbook.regularization`. Penalties follow Keras: lambda_2 sum w^2, no 1/2.
The dropout exercises take the keep mask as an argument, so they are
deterministic; the dropout cache is the plain tuple ``(mask, p)``.
"""

from __future__ import annotations

import numpy as np

from dlbook.grading.compare import unpack
from dlbook.grading.registry import ArrayExercise, Call, register, resolve

PAGE = "09_regularization"
MODULE = "dlbook.regularization"


def _away_from_zero(rng, shape, scale=1.0):
    """Normal weights with |w| >= 0.05 scale: |w| has no derivative at 0."""
    w = rng.normal(0, scale, shape)
    return np.where(np.abs(w) < 0.05 * scale, np.copysign(0.05 * scale, w), w)


def _penalty_parts(value) -> dict:
    return unpack(value, ("penalty", "gradient"))


# -- L2 penalty ----------------------------------------------------------------

def l2_reference(w, l2):
    """(penalty, gradient) of the L2 penalty from the reference module."""
    return (resolve(f"{MODULE}:l2_penalty")(w, l2), resolve(f"{MODULE}:l2_penalty_gradient")(w, l2))


def _l2_calls() -> list[Call]:
    rng = np.random.default_rng(901)
    return [Call((np.array([3.0, -4.0]), 0.1), label="w = [3, -4], l2 0.1 (penalty 2.5)"),
            Call((rng.normal(0, 1, (4, 3)), 0.01)),
            Call((rng.normal(0, 1, (2, 3, 2)), 0.5), hidden=True),
            Call((rng.normal(0, 1, 5), 0.0), hidden=True, label="l2 = 0")]


def _l2_check(args):
    w, l2 = args
    penalty = resolve(f"{MODULE}:l2_penalty")
    return [("d penalty / dw", lambda v: penalty(v, l2), w,
             lambda value: _penalty_parts(value)["gradient"])]


register(ArrayExercise(
    id="ch09.l2_penalty", function="l2_penalty_and_gradient",
    title="the L2 penalty and its gradient (Keras' convention)",
    section=f"{PAGE}#l1-and-l2-penalties",
    hint="penalty = l2 * np.sum(w ** 2) as a Python float (no 1/2, as keras.regularizers.L2); "
         "gradient = 2 * l2 * w, shaped like w",
    make_calls=_l2_calls, arg_names=("w", "l2"), reference=f"{__name__}:l2_reference",
    parts=_penalty_parts, finite_differences=_l2_check))


# -- L1 penalty ----------------------------------------------------------------

def l1_reference(w, l1):
    """(penalty, gradient) of the L1 penalty from the reference module."""
    return (resolve(f"{MODULE}:l1_penalty")(w, l1), resolve(f"{MODULE}:l1_penalty_gradient")(w, l1))


def _l1_calls() -> list[Call]:
    rng = np.random.default_rng(902)
    return [Call((np.array([3.0, -4.0, 0.5]), 0.1), label="w = [3, -4, 0.5], l1 0.1"),
            Call((_away_from_zero(rng, (4, 3)), 0.01)),
            Call((_away_from_zero(rng, (3, 2, 2), 0.1), 0.3), hidden=True),
            Call((_away_from_zero(rng, (6,)), 2.0), hidden=True)]


def _l1_check(args):
    w, l1 = args
    penalty = resolve(f"{MODULE}:l1_penalty")
    return [("d penalty / dw", lambda v: penalty(v, l1), w,
             lambda value: _penalty_parts(value)["gradient"])]


register(ArrayExercise(
    id="ch09.l1_penalty", function="l1_penalty_and_gradient",
    title="the L1 penalty and its gradient",
    section=f"{PAGE}#l1-and-l2-penalties",
    hint="penalty = l1 * np.sum(np.abs(w)) as a Python float; gradient = l1 * np.sign(w): "
         "the same pull for every weight, however small",
    make_calls=_l1_calls, arg_names=("w", "l1"), reference=f"{__name__}:l1_reference",
    parts=_penalty_parts, finite_differences=_l1_check))


# -- dropout forward -------------------------------------------------------------

def _mask(rng, shape, p):
    return (rng.random(shape) >= p).astype(np.float64)


def dropout_forward_reference(x, p, mask):
    """The reference inverted-dropout output for a given keep mask."""
    return resolve(f"{MODULE}:dropout_forward")(x, p, mask=mask)[0]


def _forward_calls() -> list[Call]:
    rng = np.random.default_rng(903)
    x = rng.normal(0, 1, (4, 5))
    return [Call((x, 0.5, _mask(rng, x.shape, 0.5)), label="x (4, 5), p 0.5"),
            Call((rng.normal(0, 1, (3, 6)), 0.2, _mask(rng, (3, 6), 0.2)), label="x (3, 6), p 0.2"),
            Call((rng.normal(0, 1, (2, 3, 4)), 0.75, _mask(rng, (2, 3, 4), 0.75)), hidden=True,
                 label="x (2, 3, 4), p 0.75"),
            Call((rng.normal(0, 1, (5, 2)), 0.0, np.ones((5, 2))), hidden=True,
                 label="p 0: nothing dropped, nothing scaled")]


register(ArrayExercise(
    id="ch09.dropout_forward", function="dropout_forward",
    title="inverted dropout, forward (mask given)",
    section=f"{PAGE}#dropout",
    hint="out = x * mask / (1 - p): dropped units are 0 and kept units are divided by the keep "
         "probability 1 - p (not multiplied by p or by 1 - p)",
    make_calls=_forward_calls, arg_names=("x", "p", "mask"),
    reference=f"{__name__}:dropout_forward_reference", output_name="out"))


# -- dropout backward ------------------------------------------------------------

def dropout_backward_reference(dout, cache):
    """The reference gradient through inverted dropout with the cache (mask, p)."""
    mask, p = cache
    DropoutCache = resolve(f"{MODULE}:DropoutCache")
    return resolve(f"{MODULE}:dropout_backward")(dout, DropoutCache(mask, p, True))


def _backward_calls() -> list[Call]:
    rng = np.random.default_rng(904)
    cases = [((4, 5), 0.5, False), ((6, 3), 0.1, False), ((2, 2, 3), 0.6, True), ((7,), 0.3, True)]
    return [Call((rng.normal(0, 1, shape), (_mask(rng, shape, p), p)), hidden,
                 label=f"dout {shape}, p {p}") for shape, p, hidden in cases]


def _backward_check(args):
    dout, (mask, p) = args
    forward = resolve(f"{MODULE}:dropout_forward")
    x = np.random.default_rng(905).normal(0, 1, dout.shape)
    # L(x) = sum(dout * dropout(x)) has dL/dx = the gradient asked for (linear in x)
    return [("dL/dx", lambda v: float(np.sum(dout * forward(v, p, mask=mask)[0])), x,
             lambda value: value)]


register(ArrayExercise(
    id="ch09.dropout_backward", function="dropout_backward",
    title="inverted dropout, backward",
    section=f"{PAGE}#dropout",
    hint="with the mask fixed the forward pass is linear: dx = dout * mask / (1 - p); dropped "
         "units get no gradient",
    make_calls=_backward_calls, arg_names=("dout", "cache"),
    reference=f"{__name__}:dropout_backward_reference", output_name="dx",
    finite_differences=_backward_check))


# -- Monte Carlo average ---------------------------------------------------------

def _softmax_passes(rng, t, n, k):
    logits = rng.normal(0, 2, (t, n, k))
    e = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _mc_calls() -> list[Call]:
    rng = np.random.default_rng(906)
    return [Call((_softmax_passes(rng, 5, 4, 3),), label="T = 5 passes, N = 4, K = 3"),
            Call((_softmax_passes(rng, 2, 3, 10),), label="T = 2 passes, N = 3, K = 10"),
            Call((_softmax_passes(rng, 50, 6, 2),), hidden=True, label="T = 50, N = 6, K = 2"),
            Call((np.repeat(_softmax_passes(rng, 1, 3, 4), 4, axis=0),), hidden=True,
                 label="four identical passes (std 0)")]


def _mc_parts(value) -> dict:
    return unpack(value, ("mean", "std"))


register(ArrayExercise(
    id="ch09.mc_average", function="mc_average",
    title="the Monte Carlo average and spread of T passes",
    section=f"{PAGE}#monte-carlo-dropout",
    hint="mean = predictions.mean(axis=0); std = predictions.std(axis=0, ddof=1): the sample "
         "standard deviation over the T passes (axis 0), each (N, K)",
    make_calls=_mc_calls, arg_names=("predictions",), reference=f"{MODULE}:mc_average",
    parts=_mc_parts))


# -- predictive entropy ----------------------------------------------------------

def _entropy_calls() -> list[Call]:
    rng = np.random.default_rng(907)
    return [Call((np.array([[1.0, 0.0, 0.0], [1 / 3, 1 / 3, 1 / 3], [0.5, 0.5, 0.0]]),),
                 label="certain, uniform, and a zero probability"),
            Call((_softmax_passes(rng, 1, 5, 4)[0],)),
            Call((_softmax_passes(rng, 1, 8, 10)[0],), hidden=True),
            Call((np.array([[0.0, 1.0], [0.999, 0.001]]),), hidden=True, label="K = 2, near-certain")]


register(ArrayExercise(
    id="ch09.predictive_entropy", function="predictive_entropy",
    title="the entropy of a predicted distribution",
    section=f"{PAGE}#monte-carlo-dropout",
    hint="H = -sum_k p_k ln p_k per row, with 0 ln 0 = 0: e.g. np.log(np.where(p > 0, p, 1)) "
         "avoids log(0); returns (N,)",
    make_calls=_entropy_calls, arg_names=("probabilities",),
    reference=f"{MODULE}:predictive_entropy", output_name="entropy"))
