"""Chapter 7, learning-rate schedules: coding exercises.

Replace each ``raise NotImplementedError`` with your code, using NumPy only.
Check one function in a notebook with ``check("ch07.power_schedule",
power_schedule)`` (``from dlbook.grading import check``), or the file with
``dlbook grade exercises/ch07_schedules.py``. ``t`` is one step (an int or a
float >= 0) or an array of steps of any shape: return a float for one step
and a float64 array shaped like ``t`` for an array (``np.asarray(t,
dtype=np.float64)`` first makes both cases one). Leave the arguments unchanged.
Tolerance: |error| <= 1e-9 + 1e-6 |expected|.
"""

import numpy as np  # noqa: F401 (your code will need it)


def power_schedule(t, eta0, s, c):
    """ch07.power_schedule: power scheduling.

    eta_t = eta0 / (1 + t / s) ** c

    t: a step or an array of steps; eta0 > 0 the initial learning rate; s > 0
    the number of steps after which the rate is eta0 / 2**c; c > 0 the power.
    Returns eta_t: a float, or a float64 array shaped like t.
    Book: chapter 7, "Power and exponential scheduling".
    """
    raise NotImplementedError


def exponential_schedule(t, eta0, s):
    """ch07.exponential_schedule: exponential scheduling.

    eta_t = eta0 * 0.1 ** (t / s)

    The rate falls tenfold every s steps. t, eta0, s and the result as in
    power_schedule.
    Book: chapter 7, "Power and exponential scheduling".
    """
    raise NotImplementedError


def one_cycle(t, total_steps, eta0, eta1, eta_end, anneal_fraction):
    """ch07.one_cycle: the 1cycle learning rate, piecewise linear.

    With T = total_steps - 1 (the last step) and h = (1 - anneal_fraction) T / 2:

      eta0 -> eta1     linearly for 0 <= t <= h       (warm up)
      eta1 -> eta0     linearly for h <= t <= 2h      (cool down)
      eta0 -> eta_end  linearly for 2h <= t <= T      (anneal)
      eta_end          for t >= T

    total_steps: an int >= 2; 0 < eta_end <= eta0 <= eta1;
    0 < anneal_fraction < 1. t and the result as in power_schedule.
    (np.interp draws a line through given corners.)
    Book: chapter 7, "The 1cycle schedule".
    """
    raise NotImplementedError


def plateau_schedule(val_losses, eta0, factor, patience):
    """ch07.plateau_schedule: performance scheduling, the rule of ReduceLROnPlateau.

    val_losses: float64 (E,), the validation loss at the end of each epoch.
    Keep the best loss so far and a count of epochs without improvement. An
    epoch improves when its loss is strictly below the best so far (the first
    epoch always does): the best becomes its loss and the count 0. Otherwise
    the count grows by one, and when it reaches `patience` the rate is
    multiplied by `factor` and the count starts again from 0.

    Returns rates: float64 (E,), rates[e] the learning rate used DURING epoch
    e, so rates[0] = eta0, and val_losses[e] can only change rates[e + 1:].
    0 < factor < 1; patience: an int >= 1.
    Book: chapter 7, "Performance scheduling".
    """
    raise NotImplementedError
