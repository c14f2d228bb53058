"""Chapter 7, learning-rate schedules: reference solutions to the coding exercises.

Check them with ``dlbook grade solutions/ch07_schedules.py``.
"""

import numpy as np


def _result(values):
    """A float for one step, the float64 array otherwise."""
    return float(values) if values.ndim == 0 else values


def power_schedule(t, eta0, s, c):
    """eta0 / (1 + t/s)^c, step by step."""
    t = np.asarray(t, dtype=np.float64)
    return _result(eta0 / (1.0 + t / s) ** c)


def exponential_schedule(t, eta0, s):
    """eta0 * 0.1^(t/s): ten times smaller every s steps."""
    t = np.asarray(t, dtype=np.float64)
    return _result(eta0 * 0.1 ** (t / s))


def one_cycle(t, total_steps, eta0, eta1, eta_end, anneal_fraction):
    """Straight lines through (0, eta0), (h, eta1), (2h, eta0), (T, eta_end); eta_end after T."""
    t = np.asarray(t, dtype=np.float64)
    last = total_steps - 1.0
    half = (1.0 - anneal_fraction) * last / 2.0
    return _result(np.interp(t, [0.0, half, 2.0 * half, last], [eta0, eta1, eta0, eta_end]))


def plateau_schedule(val_losses, eta0, factor, patience):
    """The rate of each epoch: halve (times factor) after `patience` epochs without a new best."""
    rates, best, wait, eta = [], np.inf, 0, float(eta0)
    for loss in val_losses:
        rates.append(eta)
        if loss < best:
            best, wait = loss, 0
        else:
            wait += 1
            if wait >= patience:
                eta, wait = eta * factor, 0
    return np.array(rates, dtype=np.float64)
