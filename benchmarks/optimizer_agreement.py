"""NumPy optimizers against keras.optimizers, step by step (prints numbers; never a pass/fail test).

    .venv/bin/python benchmarks/optimizer_agreement.py

For each optimizer of :mod:`dlbook.optimizers`, the largest relative
difference max_t ||theta_numpy_t - theta_keras_t|| / ||theta_keras_t|| over
100 steps, the Keras variables in float64:

1. ``random``: the same pre-drawn gradient sequence fed to both (5 seeds,
   10 parameters, gradient scales from 0.1 to 3), the NumPy step in its
   Keras form, non-default hyperparameters;
2. ``rosenbrock``: each side computes the Rosenbrock gradient at its own
   parameters (Keras form), from (-1.2, 1), Keras' default hyperparameters
   except a learning rate of 1e-3 for the SGD family;
3. ``textbook``: the random sequence again with the textbook form, to size
   the documented differences (Nesterov: the textbook look-ahead point
   theta + beta m against Keras' variable; Adam: epsilon inside the bias
   correction; Nadam: constant momentum instead of Keras' schedule).
"""

from __future__ import annotations

import numpy as np

from dlbook import optimizers as opt

STEPS = 100
SEEDS = range(5)
HYPER = {
    "sgd": {"learning_rate": 0.05},
    "momentum": {"learning_rate": 0.03, "beta": 0.85},
    "nesterov": {"learning_rate": 0.03, "beta": 0.85},
    "rmsprop": {"learning_rate": 0.01, "rho": 0.8, "epsilon": 1e-6},
    "adam": {"learning_rate": 0.02, "beta_1": 0.8, "beta_2": 0.99, "epsilon": 1e-6},
    "nadam": {"learning_rate": 0.02, "beta_1": 0.8, "beta_2": 0.99, "epsilon": 1e-6},
}
ROSENBROCK_RATE = {"sgd": 1e-3, "momentum": 1e-3, "nesterov": 1e-3}


def gradient_sequence(seed: int, dim: int = 10) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.normal(size=dim), rng.normal(size=(STEPS, dim)) * rng.uniform(0.1, 3.0, size=dim)


def nesterov_lookahead_points(theta0, gradients, learning_rate, beta) -> np.ndarray:
    """The textbook method's look-ahead points theta + beta m after each step."""
    theta, state = theta0, opt.initial_state("nesterov", theta0)
    points = [theta0]
    for g in gradients:
        theta, state = opt.nesterov_step(theta, g, state, learning_rate, beta)
        points.append(theta + beta * state.m)
    return np.array(points)


def textbook_difference(name: str) -> float | None:
    if name not in ("nesterov", "adam", "nadam"):
        return None  # the same rule in both forms
    worst = 0.0
    for seed in SEEDS:
        theta0, gradients = gradient_sequence(seed)
        if name == "nesterov":
            ours = nesterov_lookahead_points(theta0, gradients, **HYPER[name])
            theirs = opt.keras_replay(name, theta0, gradients, **HYPER[name])
            worst = max(worst, opt.max_relative_difference(ours, theirs))
        else:
            worst = max(worst, opt.keras_agreement(name, theta0, gradients, form="textbook",
                                                   **HYPER[name]))
    return worst


def main() -> None:
    print(f"largest relative difference NumPy vs keras.optimizers over {STEPS} steps (float64)")
    print(f"{'optimizer':<10} {'random':>10} {'rosenbrock':>11} {'textbook':>10}")
    x0 = np.array([-1.2, 1.0])
    for name in opt.OPTIMIZERS:
        random = max(opt.keras_agreement(name, *gradient_sequence(seed), **HYPER[name])
                     for seed in SEEDS)
        hyper = {"learning_rate": ROSENBROCK_RATE[name]} if name in ROSENBROCK_RATE else {}
        ours = opt.optimize(name, opt.rosenbrock_gradient, x0, STEPS, form="keras", **hyper)
        theirs = opt.keras_optimize(name, opt.rosenbrock_gradient, x0, STEPS, **hyper)
        rosenbrock = opt.max_relative_difference(ours.points, theirs)
        textbook = textbook_difference(name)
        shown = "same rule" if textbook is None else f"{textbook:.2e}"
        print(f"{name:<10} {random:>10.2e} {rosenbrock:>11.2e} {shown:>10}")


if __name__ == "__main__":
    main()
