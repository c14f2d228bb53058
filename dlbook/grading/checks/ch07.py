"""Chapter 7, learning-rate schedules: power, exponential, 1cycle and performance scheduling.

Stubs in ``exercises/ch07_schedules.py``; references in :mod:`dlbook.schedules`
(NumPy only: grading these imports no Keras). Steps come as Python ints and
floats and as int and float arrays of several shapes.
"""

from __future__ import annotations

import numpy as np

from dlbook.grading.registry import ArrayExercise, Call, register, resolve

PAGE = "07_schedules"
MODULE = "dlbook.schedules"


def _power_calls() -> list[Call]:
    rng = np.random.default_rng(701)
    return [
        Call((5, 0.1, 10.0, 1.0), label="one step, t = 5 (a float back)"),
        Call((np.arange(0, 100, 10), 0.05, 20.0, 1.0), label="t = 0, 10, ..., 90 (int array)"),
        Call((rng.uniform(0, 500, (3, 4)), 0.3, 50.0, 2.0), label="a (3, 4) array of steps, c = 2"),
        Call((np.arange(0, 2001, 250), 0.01, 100.0, 0.5), hidden=True, label="c = 0.5"),
        Call((0.0, 0.2, 3.0, 3.0), hidden=True, label="t = 0.0: eta0 itself"),
    ]


register(ArrayExercise(
    id="ch07.power_schedule", function="power_schedule", title="power scheduling",
    section=f"{PAGE}#power-and-exponential-scheduling",
    hint="t = np.asarray(t, dtype=np.float64); rate = eta0 / (1 + t / s) ** c; return "
         "float(rate) when rate.ndim == 0, else the array",
    make_calls=_power_calls, arg_names=("t", "eta0", "s", "c"),
    reference=f"{MODULE}:power_lr", output_name="eta_t"))


def _exponential_calls() -> list[Call]:
    rng = np.random.default_rng(702)
    return [
        Call((20, 0.01, 20.0), label="t = s: a tenth of eta0"),
        Call((np.arange(0, 61, 5), 0.1, 30.0), label="t = 0, 5, ..., 60 (int array)"),
        Call((rng.uniform(0, 1000, (2, 3, 2)), 0.5, 250.0), label="a (2, 3, 2) array of steps"),
        Call((np.array([0.0, 1e4]), 1.0, 1000.0), hidden=True, label="ten decades down"),
        Call((7.5, 0.05, 2.5), hidden=True, label="a fractional step"),
    ]


register(ArrayExercise(
    id="ch07.exponential_schedule", function="exponential_schedule",
    title="exponential scheduling", section=f"{PAGE}#power-and-exponential-scheduling",
    hint="t = np.asarray(t, dtype=np.float64); rate = eta0 * 0.1 ** (t / s); a float for one "
         "step, the array otherwise",
    make_calls=_exponential_calls, arg_names=("t", "eta0", "s"),
    reference=f"{MODULE}:exponential_lr", output_name="eta_t"))


def _one_cycle_calls() -> list[Call]:
    rng = np.random.default_rng(703)
    return [
        Call((np.arange(101), 101, 0.01, 0.1, 1e-5, 0.1), label="every step of 101: h = 45"),
        Call((45, 101, 0.01, 0.1, 1e-5, 0.1), label="one step, the peak"),
        Call((np.array([0, 30, 60, 90, 99, 120]), 100, 0.002, 0.05, 1e-6, 0.2),
             label="the corners of 100 steps, and after the end"),
        Call((rng.uniform(0, 400, (4, 5)), 377, 0.03, 0.3, 3e-5, 0.15), hidden=True,
             label="fractional steps, 377 steps"),
        Call((np.arange(2), 2, 0.1, 0.1, 0.1, 0.5), hidden=True, label="2 steps, flat rates"),
    ]


register(ArrayExercise(
    id="ch07.one_cycle", function="one_cycle", title="the 1cycle learning rate",
    section=f"{PAGE}#the-1cycle-schedule",
    hint="last = total_steps - 1; h = (1 - anneal_fraction) * last / 2; "
         "np.interp(t, [0, h, 2 h, last], [eta0, eta1, eta0, eta_end]) (np.interp holds the last "
         "value after the end); a float for one step",
    make_calls=_one_cycle_calls,
    arg_names=("t", "total_steps", "eta0", "eta1", "eta_end", "anneal_fraction"),
    reference=f"{MODULE}:one_cycle_lr", output_name="eta_t"))


def plateau_reference(val_losses, eta0, factor, patience):
    """ReduceLROnPlateau's rule with an improvement meaning strictly below the best."""
    return resolve(f"{MODULE}:plateau_lr")(val_losses, eta0, factor=factor, patience=patience,
                                           min_delta=0.0)


def _plateau_calls() -> list[Call]:
    rng = np.random.default_rng(704)
    walk = 2.0 + np.cumsum(rng.normal(-0.02, 0.08, 40))
    return [
        Call((np.array([1.0, 0.8, 0.5] + [0.6] * 12), 0.1, 0.5, 5),
             label="a plateau after epoch 2: halved before epochs 8 and 13"),
        Call((walk, 0.05, 0.5, 3), label="a noisy validation loss, 40 epochs"),
        Call((np.linspace(2.0, 1.0, 10), 0.01, 0.5, 2), hidden=True,
             label="always improving: never reduced"),
        Call((np.full(9, 0.7), 1.0, 0.1, 1), hidden=True,
             label="a flat loss: a tie is no improvement"),
        Call((2.0 + np.cumsum(rng.normal(0, 0.1, 25)), 0.2, 0.3, 4), hidden=True),
    ]


register(ArrayExercise(
    id="ch07.plateau_schedule", function="plateau_schedule",
    title="performance scheduling (ReduceLROnPlateau)", section=f"{PAGE}#performance-scheduling",
    hint="loop over the losses keeping best (start at inf), wait and eta: append eta first; "
         "then if loss < best: best, wait = loss, 0; else wait += 1 and, when wait == patience, "
         "eta *= factor and wait = 0",
    make_calls=_plateau_calls, arg_names=("val_losses", "eta0", "factor", "patience"),
    reference=f"{__name__}:plateau_reference", output_name="rates"))
