"""Chapter 8, normalization: batch normalization forward and backward, running statistics, layer norm.

Stubs in ``exercises/ch08_normalization.py``; references in :mod:`dlbook.normalization`.
A cache is the plain 5-tuple (x_hat, gamma, mean, var, eps); x is (N, D), gamma and beta (D,).
"""

from __future__ import annotations

import numpy as np

from dlbook.grading.compare import unpack
from dlbook.grading.registry import ArrayExercise, Call, register, resolve

PAGE = "08_normalization"
MODULE = "dlbook.normalization"
CACHE_FIELDS = ("x_hat", "gamma", "mean", "var", "eps")


def _problem(rng, n, d, eps=1e-3):
    """A batch with means and scales far from 0 and 1, gamma, beta and eps."""
    x = rng.normal(rng.uniform(-5, 5, d), rng.uniform(0.5, 4, d), (n, d))
    return x, rng.normal(1, 0.5, d), rng.normal(0, 0.5, d), eps


def _forward_calls(seed: int) -> list[Call]:
    rng = np.random.default_rng(seed)
    return [Call(_problem(rng, 8, 3), label="x (8, 3), eps 1e-3"),
            Call(_problem(rng, 5, 6, eps=1e-5), label="x (5, 6), eps 1e-5"),
            Call(_problem(rng, 1, 4), hidden=True, label="a batch of one example, x (1, 4)"),
            Call(_problem(rng, 32, 10, eps=0.1), hidden=True),
            Call(_problem(rng, 6, 1), hidden=True, label="one feature, x (6, 1)")]


def forward_parts(value) -> dict:
    """The output y and the five parts of the cache, compared one by one."""
    top = unpack(value, ("y", "cache"))
    cache = unpack(top["cache"], CACHE_FIELDS)
    return {"y": top["y"], **{f"cache.{name}": cache[name] for name in CACHE_FIELDS}}


def _backward_calls(forward_name: str, seed: int) -> list[Call]:
    forward = resolve(f"{MODULE}:{forward_name}")
    rng = np.random.default_rng(seed)
    calls = []
    for n, d, hidden in ((6, 3, False), (4, 5, False), (16, 4, True), (7, 7, True), (9, 2, True)):
        x, gamma, beta, eps = _problem(rng, n, d)
        cache = tuple(forward(x, gamma, beta, eps)[1])  # a plain tuple, as the student's forward returns
        calls.append(Call((rng.normal(0, 1, (n, d)), cache), hidden,
                          f"dout ({n}, {d}), the cache of {forward_name}"))
    return calls


def _backward_check(forward_name: str):
    """Finite differences of L = sum(dout * y) in x and gamma, x rebuilt from the cache."""

    def check(args):
        dout, (x_hat, gamma, mean, var, eps) = args
        forward = resolve(f"{MODULE}:{forward_name}")
        std = np.sqrt(var + eps)
        if forward_name == "layernorm_forward":  # statistics per example: one per row
            mean, std = mean[:, None], std[:, None]
        x = x_hat * std + mean
        beta = np.zeros_like(gamma)

        def loss_x(v):
            return float(np.sum(dout * forward(v, gamma, beta, eps)[0]))

        def loss_gamma(v):
            return float(np.sum(dout * forward(x, v, beta, eps)[0]))

        return [("dx", loss_x, x, lambda value: value[0]),
                ("dgamma", loss_gamma, gamma, lambda value: value[1])]

    return check


def _gradients(value) -> dict:
    return unpack(value, ("dx", "dgamma", "dbeta"))


# -- batch normalization, forward ---------------------------------------------

register(ArrayExercise(
    id="ch08.batchnorm_forward", function="batchnorm_forward",
    title="batch normalization in training mode",
    section=f"{PAGE}#the-batch-normalization-transform",
    hint="mean = x.mean(axis=0), var = x.var(axis=0) (biased, divided by N); "
         "x_hat = (x - mean) / np.sqrt(var + eps); y = gamma * x_hat + beta; "
         "return y, (x_hat, gamma, mean, var, eps)",
    make_calls=lambda: _forward_calls(801), arg_names=("x", "gamma", "beta", "eps"),
    reference=f"{MODULE}:batchnorm_forward", parts=forward_parts))


# -- batch normalization, backward --------------------------------------------

register(ArrayExercise(
    id="ch08.batchnorm_backward", function="batchnorm_backward",
    title="the gradients of batch normalization",
    section=f"{PAGE}#the-backward-pass",
    hint="dbeta = dout.sum(axis=0); dgamma = (dout * x_hat).sum(axis=0); dx_hat = dout * gamma; "
         "dx = (N dx_hat - dx_hat.sum(axis=0) - x_hat (dx_hat * x_hat).sum(axis=0)) / (N sqrt(var + eps))",
    make_calls=lambda: _backward_calls("batchnorm_forward", 802), arg_names=("dout", "cache"),
    reference=f"{MODULE}:batchnorm_backward", parts=_gradients,
    finite_differences=_backward_check("batchnorm_forward")))


# -- running statistics ------------------------------------------------------------

def _running_calls() -> list[Call]:
    rng = np.random.default_rng(803)

    def case(d, momentum):
        return (rng.normal(0, 2, d), rng.uniform(0.5, 3, d), rng.normal(0, 2, d),
                rng.uniform(0.5, 3, d), momentum)

    return [Call(case(3, 0.99), label="D = 3, Keras' default momentum 0.99"),
            Call(case(5, 0.9), label="D = 5, momentum 0.9"),
            Call((np.zeros(4), np.ones(4), *case(4, 0.5)[2:]), hidden=True,
                 label="from Keras' start (0, 1), momentum 0.5"),
            Call(case(2, 0.0), hidden=True, label="momentum 0: the batch statistics"),
            Call(case(6, 1.0), hidden=True, label="momentum 1: nothing changes")]


register(ArrayExercise(
    id="ch08.running_statistics", function="update_running_statistics",
    title="one update of the running mean and variance",
    section=f"{PAGE}#training-and-inference-statistics",
    hint="Keras' convention: momentum is the weight of the old value; "
         "m = momentum * m + (1 - momentum) * batch_mean, and the same for the variance; "
         "return (m, v) as new arrays",
    make_calls=_running_calls,
    arg_names=("running_mean", "running_var", "batch_mean", "batch_var", "momentum"),
    reference=f"{MODULE}:update_running_statistics",
    parts=lambda value: unpack(value, ("running_mean", "running_var"))))


# -- layer normalization, forward and backward --------------------------------

register(ArrayExercise(
    id="ch08.layernorm_forward", function="layernorm_forward",
    title="layer normalization",
    section=f"{PAGE}#layer-normalization",
    hint="the statistics of each row: mean = x.mean(axis=1), var = x.var(axis=1), shapes (N,); "
         "x_hat = (x - mean[:, None]) / np.sqrt(var + eps)[:, None]; y = gamma * x_hat + beta; "
         "return y, (x_hat, gamma, mean, var, eps)",
    make_calls=lambda: _forward_calls(804), arg_names=("x", "gamma", "beta", "eps"),
    reference=f"{MODULE}:layernorm_forward", parts=forward_parts))


register(ArrayExercise(
    id="ch08.layernorm_backward", function="layernorm_backward",
    title="the gradients of layer normalization",
    section=f"{PAGE}#layer-normalization",
    hint="the batch-norm formula with the sums along each row (axis=1, keepdims=True) and N "
         "replaced by D; dgamma and dbeta still sum over the examples (axis=0)",
    make_calls=lambda: _backward_calls("layernorm_forward", 805), arg_names=("dout", "cache"),
    reference=f"{MODULE}:layernorm_backward", parts=_gradients,
    finite_differences=_backward_check("layernorm_forward")))
