"""Chapter 2, gradient descent: one step, the descent loop, a convex loss, the largest stable step.

Stubs in ``exercises/ch02_gradient_descent.py``; references in
:mod:`dlbook.gradient_descent`.
"""

from __future__ import annotations

import numpy as np

from dlbook.grading.compare import unpack
from dlbook.grading.registry import ArrayExercise, Call, register, resolve
from dlbook.grading.runtime.codec import Fixture

PAGE = "02_gradient_descent"
MODULE = "dlbook.gradient_descent"


def step_reference(x, gradient, learning_rate):
    """One step of the reference optimizer, with the gradient held at ``gradient``."""
    descend = resolve(f"{MODULE}:gradient_descent")
    return descend(lambda _: gradient, x, learning_rate, 1).points[-1]


def _step_calls() -> list[Call]:
    rng = np.random.default_rng(201)
    return [
        Call((rng.normal(0, 1, 3), rng.normal(0, 1, 3), 0.1)),
        Call((rng.normal(0, 1, 5), rng.normal(0, 1, 5), 1.5)),
        Call((rng.normal(0, 1, 1), rng.normal(0, 1, 1), 0.01), hidden=True),
        Call((rng.normal(0, 1, 8), np.zeros(8), 0.3), hidden=True, label="a zero gradient"),
    ]


register(ArrayExercise(
    id="ch02.gradient_step", function="gradient_step", title="one gradient-descent step",
    section=f"{PAGE}#the-update-rule",
    hint="x_new = x - learning_rate * gradient; build a new array, leave x as it is",
    make_calls=_step_calls, arg_names=("x", "gradient", "learning_rate"),
    reference=f"{__name__}:step_reference", output_name="x_new"))


def descent_reference(gradient: Fixture, x0, learning_rate, steps):
    """The reference trajectory's points on the bowl the fixture describes."""
    bowl = resolve(f"{MODULE}:quadratic_gradient")
    A, x_star = gradient.kwargs["A"], gradient.kwargs["x_star"]
    descend = resolve(f"{MODULE}:gradient_descent")
    return descend(lambda x: bowl(x, A, x_star), x0, learning_rate, steps).points


def _bowl(A, x_star) -> Fixture:
    return Fixture("quadratic_gradient", {"A": np.asarray(A, dtype=np.float64),
                                          "x_star": np.asarray(x_star, dtype=np.float64)})


def _descent_calls() -> list[Call]:
    rng = np.random.default_rng(202)
    elongated = _bowl([[1.0, 0.0], [0.0, 10.0]], [1.0, -2.0])
    M = rng.normal(0, 1, (3, 3))
    round_3d = _bowl(M @ M.T + 3 * np.eye(3), rng.normal(0, 1, 3))
    return [
        Call((elongated, np.array([-3.0, 2.0]), 0.05, 20), label="an elongated bowl, eta 0.05"),
        Call((elongated, np.array([4.0, 1.0]), 0.19, 10), label="eta 0.19 near 2/L: it zig-zags"),
        Call((round_3d, rng.normal(0, 2, 3), 0.02, 15), hidden=True),
        Call((elongated, np.array([0.5, 0.5]), 0.1, 0), hidden=True, label="steps = 0"),
    ]


register(ArrayExercise(
    id="ch02.gradient_descent", function="gradient_descent", title="the descent loop",
    section=f"{PAGE}#the-update-rule",
    hint="start from points = [x0]; repeat `steps` times x = x - learning_rate * gradient(x) "
         "and append; return np.array(points), shape (steps + 1, D)",
    make_calls=_descent_calls, arg_names=("gradient", "x0", "learning_rate", "steps"),
    reference=f"{__name__}:descent_reference", output_name="points"))


def _logistic_calls() -> list[Call]:
    rng = np.random.default_rng(203)

    def problem(n, d, scale=1.0):
        X = np.hstack([np.ones((n, 1)), rng.normal(0, 1, (n, d - 1))])
        return (rng.normal(0, scale, d), X, rng.integers(0, 2, n).astype(np.float64))

    return [Call(problem(6, 3)), Call(problem(20, 2)), Call(problem(1, 4), hidden=True),
            Call(problem(30, 5, scale=8.0), hidden=True, label="large weights (|z| up to ~60)")]


def _logistic_gradient_check(args):
    w, X, y = args
    loss = resolve(f"{MODULE}:logistic_regression_loss_and_gradient")
    return [("dL/dw", lambda v: loss(v, X, y)[0], w, lambda value: unpack(
        value, ("loss", "gradient"))["gradient"])]


def _loss_and_gradient(value) -> dict:
    return unpack(value, ("loss", "gradient"))


register(ArrayExercise(
    id="ch02.logistic_regression", function="logistic_regression_loss_and_gradient",
    title="the logistic-regression loss and its gradient",
    section=f"{PAGE}#convex-and-non-convex-losses",
    hint="z = X @ w; L = mean(log(1 + e^z) - y z) (np.logaddexp(0, z) never overflows); "
         "grad = X.T @ (sigmoid(z) - y) / N; return (loss, grad)",
    make_calls=_logistic_calls, arg_names=("w", "X", "y"),
    reference=f"{MODULE}:logistic_regression_loss_and_gradient", parts=_loss_and_gradient,
    finite_differences=_logistic_gradient_check))


def _hessian_calls() -> list[Call]:
    rng = np.random.default_rng(204)

    def spd(d):
        M = rng.normal(0, 1, (d, d))
        return M @ M.T + 0.5 * np.eye(d)

    return [Call((np.array([[1.0, 0.0], [0.0, 10.0]]),), label="diag(1, 10)"),
            Call((spd(3),)), Call((spd(5),), hidden=True),
            Call((np.array([[4.0]]),), hidden=True, label="a 1x1 Hessian")]


register(ArrayExercise(
    id="ch02.critical_learning_rate", function="critical_learning_rate",
    title="the largest stable learning rate 2 / L",
    section=f"{PAGE}#the-learning-rate-too-small-right-too-large",
    hint="L is the largest eigenvalue of the symmetric Hessian: np.linalg.eigvalsh(H)[-1]; "
         "return 2 / L as a float",
    make_calls=_hessian_calls, arg_names=("hessian",),
    reference=f"{MODULE}:critical_learning_rate", output_name="eta"))
