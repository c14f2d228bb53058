"""Learning-rate schedules and the reading of a learning-rate range test (chapter 7), in NumPy.

A schedule gives the learning rate :math:`\\eta_t` at each training step
:math:`t = 0, 1, 2, \\dots` (one step = one mini-batch). The formulas (float64,
vectorised over an array of steps):

- :func:`power_lr`, power scheduling :math:`\\eta_t = \\eta_0 / (1 + t/s)^c`;
- :func:`exponential_lr`, exponential scheduling :math:`\\eta_t = \\eta_0 \\, 0.1^{t/s}`
  (Keras: ``ExponentialDecay``);
- :func:`plateau_lr`, performance scheduling: multiply :math:`\\eta` by 0.5 after
  5 epochs without progress (Keras: ``ReduceLROnPlateau``);
- :func:`one_cycle_lr`, 1cycle: :math:`\\eta_0` up to :math:`\\eta_1`, back to
  :math:`\\eta_0`, then down to :math:`\\eta_{\\rm end}`, piecewise linear.

:func:`one_cycle_momentum` is the inverse cycle of the momentum that goes with
1cycle; :func:`smooth_losses`, :func:`suggest_learning_rate` and
:func:`plot_lr_range_test` read a learning-rate range test.

The Keras objects that apply these formulas during training (``PowerDecay``,
``OneCycle``, ``OneCycleScheduler``, ``LearningRateRecorder``) and the range
test itself (``lr_range_test``) are in :mod:`dlbook.schedules_keras`; the
default network configurations of the chapter's last section in
:mod:`dlbook.default_networks`. This module never imports Keras.
"""

from __future__ import annotations

import numpy as np

from dlbook import validation


def _as_steps(t) -> np.ndarray:
    """``t``, one step or an array of steps, as float64 (0-d for one step); every step >= 0."""
    return validation.within("t", validation.float_array("t", t), 0, np.inf, "steps")


def _result(values: np.ndarray):
    """A Python float for one step, the float64 array for an array of steps."""
    return float(values) if np.ndim(values) == 0 else values


# ---------------------------------------------------------------------------
# The formulas


def power_lr(t, eta0: float, s: float, c: float = 1.0):
    """Power scheduling: :math:`\\eta_t = \\eta_0 / (1 + t/s)^c`.

    ``t`` is a step (int or float >= 0) or an array of steps of any shape;
    ``eta0`` :math:`\\eta_0 > 0` the initial rate, ``s`` > 0 the steps it
    takes to divide it by :math:`2^c` and ``c`` > 0 the power (Keras'
    ``InverseTimeDecay`` is the case c = 1). The rate first drops quickly,
    then more and more slowly: it is :math:`\\eta_0/(k+1)^c` after ``k * s``
    steps. Returns a float for a scalar ``t``, else a float64 array shaped
    like ``t``.
    """
    steps = _as_steps(t)
    eta0, s, c = (validation.positive(n, v) for n, v in (("eta0", eta0), ("s", s), ("c", c)))
    return _result(eta0 / (1.0 + steps / s) ** c)


def exponential_lr(t, eta0: float, s: float):
    """Exponential scheduling: :math:`\\eta_t = \\eta_0 \\, 0.1^{t/s}`.

    The rate falls by a factor of 10 every ``s`` steps. ``t``, ``eta0`` and
    the return value as in :func:`power_lr`. Keras' version is
    ``ExponentialDecay(initial_learning_rate=eta0, decay_steps=s, decay_rate=0.1)``.
    """
    steps = _as_steps(t)
    eta0, s = validation.positive("eta0", eta0), validation.positive("s", s)
    return _result(eta0 * 0.1 ** (steps / s))


def _one_cycle_breakpoints(total_steps, anneal_fraction) -> tuple[float, float, float]:
    """The steps where 1cycle peaks, ends its cycle and ends: (h, 2h, T) with T = total_steps - 1."""
    total_steps = validation.integer("total_steps", total_steps, 2)
    anneal_fraction = validation.fraction("anneal_fraction", anneal_fraction)
    last = float(total_steps - 1)
    half = (1.0 - anneal_fraction) * last / 2.0
    return half, 2.0 * half, last


def one_cycle_lr(t, total_steps: int, eta0: float, eta1: float, eta_end: float | None = None,
                 anneal_fraction: float = 0.1):
    """1cycle scheduling (Smith 2018), piecewise linear in the step t.

    With :math:`T` = ``total_steps - 1`` the last step, :math:`a` =
    ``anneal_fraction`` and :math:`h = (1 - a) T / 2`:

    .. math::

        \\eta_t = \\begin{cases}
        \\eta_0 + (\\eta_1 - \\eta_0)\\, t / h & 0 \\le t \\le h \\quad\\text{(warm up)}\\\\
        \\eta_1 - (\\eta_1 - \\eta_0)\\, (t - h) / h & h \\le t \\le 2h \\quad\\text{(cool down)}\\\\
        \\eta_0 + (\\eta_{\\rm end} - \\eta_0)\\, (t - 2h) / (T - 2h) & 2h \\le t \\le T
        \\quad\\text{(anneal)}
        \\end{cases}

    and :math:`\\eta_{\\rm end}` after :math:`T`. The rate climbs from
    ``eta0`` to the peak ``eta1`` during the first half of the cycle, returns
    to ``eta0`` during the second half, and in the last fraction ``a`` of the
    steps falls to ``eta_end``, by default ``eta0 / 1000``, three orders of
    magnitude lower. Needs ``total_steps >= 2``, ``0 < eta0 <= eta1``,
    ``0 < eta_end <= eta0`` and ``0 < anneal_fraction < 1``. ``t`` and the
    return value as in :func:`power_lr`.
    """
    steps = _as_steps(t)
    half, cycle, last = _one_cycle_breakpoints(total_steps, anneal_fraction)
    eta0, eta1, eta_end = _check_one_cycle_rates(eta0, eta1, eta_end)
    values = np.interp(steps, [0.0, half, cycle, last], [eta0, eta1, eta0, eta_end])
    return _result(values)


def _check_one_cycle_rates(eta0, eta1, eta_end) -> tuple[float, float, float]:
    """1cycle's rates ``(eta0, eta1, eta_end)``, checked against each other (``eta_end``: eta0 / 1000)."""
    eta0, eta1 = validation.positive("eta0", eta0), validation.positive("eta1", eta1)
    if eta1 < eta0:
        raise ValueError(f"eta1 (the peak) must be >= eta0, got eta0={eta0!r}, eta1={eta1!r}")
    eta_end = eta0 / 1000.0 if eta_end is None else validation.positive("eta_end", eta_end)
    if eta_end > eta0:
        raise ValueError(f"eta_end must be <= eta0, got eta0={eta0!r}, eta_end={eta_end!r}")
    return eta0, eta1, eta_end


def one_cycle_momentum(t, total_steps: int, m_max: float = 0.95, m_min: float = 0.85,
                       anneal_fraction: float = 0.1):
    """The momentum of 1cycle: the learning-rate cycle upside down.

    .. math::

        m_t = \\begin{cases}
        m_{\\max} - (m_{\\max} - m_{\\min})\\, t / h & 0 \\le t \\le h\\\\
        m_{\\min} + (m_{\\max} - m_{\\min})\\, (t - h) / h & h \\le t \\le 2h\\\\
        m_{\\max} & t \\ge 2h
        \\end{cases}

    with :math:`h` as in :func:`one_cycle_lr`: momentum is lowest when the
    learning rate peaks, so the two do not add up to too large a step. For
    SGD :math:`m` is the momentum :math:`\\beta`, for Adam and Nadam it is
    :math:`\\beta_1`. Needs ``0 <= m_min <= m_max < 1``.
    """
    steps = _as_steps(t)
    half, cycle, last = _one_cycle_breakpoints(total_steps, anneal_fraction)
    m_max = validation.number("m_max", m_max, 0, 1, low_open=False, high_open=True)
    m_min = validation.number("m_min", m_min, 0, 1, low_open=False, high_open=True)
    if m_min > m_max:
        raise ValueError(f"m_min must be <= m_max, got m_min={m_min!r}, m_max={m_max!r}")
    values = np.interp(steps, [0.0, half, cycle, last], [m_max, m_min, m_max, m_max])
    return _result(values)


def plateau_lr(metric, eta0: float, factor: float = 0.5, patience: int = 5,
               min_delta: float = 1e-4, cooldown: int = 0, min_lr: float = 0.0) -> np.ndarray:
    """Performance scheduling: the rate ``keras.callbacks.ReduceLROnPlateau`` sets, epoch by epoch.

    ``metric`` ``(E,)`` holds the monitored value (the validation loss) at the
    end of each epoch. An epoch *improves* when its value is below the best so
    far by more than ``min_delta``. After ``patience`` epochs in a row without
    improvement the rate is multiplied by ``factor``:
    :math:`\\eta \\leftarrow \\max(\\text{factor}\\cdot\\eta, \\eta_{\\min})`, and
    the count starts again (after ``cooldown`` epochs in which nothing is
    counted). Returns ``(E,)`` float64: entry e is the rate used *during*
    epoch e, so entry 0 is ``eta0`` and ``metric[e]`` can only change entries
    after e. The rule is Keras' own (mode "min"), step for step.
    """
    values = validation.float_array("metric", metric, "(E,)")
    eta = validation.positive("eta0", eta0)
    factor = validation.fraction("factor", factor)
    patience = validation.integer("patience", patience, 0)
    min_delta = abs(validation.number("min_delta", min_delta))
    cooldown = validation.integer("cooldown", cooldown, 0)
    min_lr = validation.number("min_lr", min_lr, 0)
    rates, best, wait, cooling = [], None, 0, 0
    for value in values:
        rates.append(eta)
        if cooling > 0:
            cooling, wait = cooling - 1, 0
        if best is None or value + min_delta < best:
            best, wait = value, 0
        elif cooling == 0:
            wait += 1
            if wait >= patience and eta > min_lr:
                eta, cooling, wait = max(eta * factor, min_lr), cooldown, 0
    return np.array(rates)


# ---------------------------------------------------------------------------
# Reading the range test


def smooth_losses(losses, beta: float = 0.9) -> np.ndarray:
    """Exponentially smoothed losses with bias correction, as a range test reads them.

    :math:`a_i = \\beta a_{i-1} + (1 - \\beta) L_i` with :math:`a_{-1} = 0`,
    and :math:`\\bar L_i = a_i / (1 - \\beta^{i+1})`, which removes the pull
    towards the zero start (the bias correction of Adam). ``losses`` ``(S,)``
    finite; returns ``(S,)`` float64. ``beta`` in [0, 1): 0 means no smoothing.
    """
    losses = validation.float_array("losses", losses, "(S,)")
    beta = validation.number("beta", beta, 0, 1, low_open=False, high_open=True)
    smoothed, average = np.empty_like(losses), 0.0
    for i, loss in enumerate(losses):
        average = beta * average + (1.0 - beta) * loss
        smoothed[i] = average / (1.0 - beta ** (i + 1))
    return smoothed


def suggest_learning_rate(lrs, losses, beta: float = 0.9, divisor: float = 10.0) -> float:
    """The learning rate a range test suggests: where the smoothed loss is lowest, divided by 10.

    :math:`\\eta^\\star = \\eta_{i^\\star} / 10` with :math:`i^\\star = \\arg\\min_i
    \\bar L_i` (:func:`smooth_losses`). At the minimum the loss is about to
    blow up, so the rate there is already too large to train with; one tenth
    of it is still on the steep, fast-falling part of the curve. ``lrs`` and
    ``losses`` are the ``(S,)`` arrays :func:`~dlbook.schedules_keras.lr_range_test` returns;
    ``divisor`` >= 1.
    """
    lrs = validation.float_array("lrs", lrs, "(S,)")
    losses = validation.float_array("losses", losses, "(S,)")
    if lrs.shape != losses.shape:
        raise ValueError(f"lrs and losses must have the same shape, got {lrs.shape} and "
                         f"{losses.shape}")
    if np.any(lrs <= 0):
        raise ValueError("lrs must be positive")
    divisor = validation.number("divisor", divisor, 1)
    return float(lrs[np.argmin(smooth_losses(losses, beta))] / divisor)


def plot_lr_range_test(lrs, losses, ax=None, beta: float = 0.9, divisor: float = 10.0):
    """Loss against learning rate on a log axis, smoothed, with the suggested rate marked.

    Draws the batch losses (thin), the smoothed losses (:func:`smooth_losses`)
    and a dashed line at :func:`suggest_learning_rate`. Returns the axes.
    """
    import matplotlib.pyplot as plt

    from dlbook.plotting import PALETTE

    suggestion = suggest_learning_rate(lrs, losses, beta, divisor)
    lrs, losses = np.asarray(lrs, dtype=np.float64), np.asarray(losses, dtype=np.float64)
    ax = ax or plt.subplots()[1]
    ax.plot(lrs, losses, color=PALETTE[5], linewidth=0.8, label="batch loss")
    ax.plot(lrs, smooth_losses(losses, beta), color=PALETTE[0], label="smoothed loss")
    ax.axvline(suggestion, color=PALETTE[3], linestyle="--",
               label=f"suggested $\\eta$ = {suggestion:.2g}")
    ax.set_xscale("log")
    ax.set_xlabel(r"learning rate $\eta$ (log scale)")
    ax.set_ylabel("training loss")
    ax.legend()
    return ax
