"""Learning-rate schedules, the learning-rate range test and the default network configurations.

A schedule gives the learning rate :math:`\\eta_t` at each training step
:math:`t = 0, 1, 2, \\dots` (one step = one mini-batch). The module has three parts.

**The formulas** (NumPy only, float64, vectorised over an array of steps):

- :func:`power_lr`, power scheduling :math:`\\eta_t = \\eta_0 / (1 + t/s)^c`
  (Keras: :class:`PowerDecay`);
- :func:`exponential_lr`, exponential scheduling :math:`\\eta_t = \\eta_0 \\, 0.1^{t/s}`
  (Keras: ``ExponentialDecay``);
- :func:`plateau_lr`, performance scheduling: multiply :math:`\\eta` by 0.5 after
  5 epochs without progress (Keras: ``ReduceLROnPlateau``);
- :func:`one_cycle_lr`, 1cycle: :math:`\\eta_0` up to :math:`\\eta_1`, back to
  :math:`\\eta_0`, then down to :math:`\\eta_{\\rm end}`, piecewise linear
  (Keras: :class:`OneCycle`, :class:`OneCycleScheduler`).

:func:`one_cycle_momentum` is the inverse cycle of the momentum that goes with
1cycle; :func:`smooth_losses` and :func:`suggest_learning_rate` read a
learning-rate range test.

**The Keras objects**, for everything Keras lacks: the :class:`PowerDecay` and
:class:`OneCycle` learning-rate schedules, the :class:`OneCycleScheduler`
callback (learning rate *and* momentum, every batch), the
:class:`LearningRateRecorder` callback (what the optimizer actually used) and
:func:`lr_range_test`. Keras' own classes cover the rest:
``keras.optimizers.schedules.ExponentialDecay(eta0, s, 0.1)`` is the
exponential schedule, ``keras.callbacks.ReduceLROnPlateau(factor=0.5,
patience=5)`` performance scheduling and ``keras.callbacks.LearningRateScheduler``
turns any per-epoch function (``exponential_lr`` say) into a callback.

**The default configurations**: :data:`DEFAULT_NETWORK` (He initialization,
ELU, batch normalization if deep, early stopping plus L2, momentum
optimization, 1cycle) and :data:`SELF_NORMALIZING_NETWORK` (LeCun
initialization, SELU, no normalization, alpha dropout if needed, standardized
inputs) as :class:`NetworkConfig` tables, and the functions that turn a table
into a network (:func:`build_from_config`), an optimizer, callbacks and inputs.

Importing this module does not import Keras: the Keras classes are created,
and registered as serializable under ``dlbook>Name``, the first time one of
them is used (``schedules.PowerDecay``, ``from dlbook.schedules import
OneCycle``, or :func:`keras_objects`). Call :func:`keras_objects` before
``keras.saving.load_model`` in a fresh process.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from dlbook import lazy, validation

_KERAS_CLASSES = ("PowerDecay", "OneCycle", "OneCycleScheduler", "LearningRateRecorder")
MOMENTUM_ATTRIBUTES = ("momentum", "beta_1")  # SGD and RMSprop; the Adam family


# ---------------------------------------------------------------------------
# Input checks


def _as_steps(t) -> tuple[np.ndarray, bool]:
    """``t`` as a float64 array of non-negative finite steps, and whether it was a scalar."""
    raw = np.asarray(t)
    if raw.dtype.kind not in "iuf":
        what = type(t).__name__ if raw.ndim == 0 else f"an array of dtype {raw.dtype}"
        raise TypeError(f"t must be a step number (int or float) or an array of them, got {what}")
    steps = raw.astype(np.float64)
    if not np.all(np.isfinite(steps)) or np.any(steps < 0):
        raise ValueError(f"t must be finite and >= 0, got min {np.min(steps)!r}")
    return steps, steps.ndim == 0


def _result(values: np.ndarray, scalar: bool):
    """A Python float for a scalar step, a float64 array for an array of steps."""
    return float(values) if scalar else values


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
    steps, scalar = _as_steps(t)
    eta0, s, c = (validation.positive(n, v) for n, v in (("eta0", eta0), ("s", s), ("c", c)))
    return _result(eta0 / (1.0 + steps / s) ** c, scalar)


def exponential_lr(t, eta0: float, s: float):
    """Exponential scheduling: :math:`\\eta_t = \\eta_0 \\, 0.1^{t/s}`.

    The rate falls by a factor of 10 every ``s`` steps. ``t``, ``eta0`` and
    the return value as in :func:`power_lr`. Keras' version is
    ``ExponentialDecay(initial_learning_rate=eta0, decay_steps=s, decay_rate=0.1)``.
    """
    steps, scalar = _as_steps(t)
    eta0, s = validation.positive("eta0", eta0), validation.positive("s", s)
    return _result(eta0 * 0.1 ** (steps / s), scalar)


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
    steps, scalar = _as_steps(t)
    half, cycle, last = _one_cycle_breakpoints(total_steps, anneal_fraction)
    eta0, eta1, eta_end = _check_one_cycle_rates(eta0, eta1, eta_end)
    values = np.interp(steps, [0.0, half, cycle, last], [eta0, eta1, eta0, eta_end])
    return _result(values, scalar)


def _check_one_cycle_rates(eta0, eta1, eta_end) -> tuple[float, float, float]:
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
    steps, scalar = _as_steps(t)
    half, cycle, last = _one_cycle_breakpoints(total_steps, anneal_fraction)
    m_max = validation.number("m_max", m_max, 0, 1, low_open=False, high_open=True)
    m_min = validation.number("m_min", m_min, 0, 1, low_open=False, high_open=True)
    if m_min > m_max:
        raise ValueError(f"m_min must be <= m_max, got m_min={m_min!r}, m_max={m_max!r}")
    values = np.interp(steps, [0.0, half, cycle, last], [m_max, m_min, m_max, m_max])
    return _result(values, scalar)


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
    values, eta, factor, patience, min_delta, cooldown, min_lr = _check_plateau(
        metric, eta0, factor, patience, min_delta, cooldown, min_lr)
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


def _check_plateau(metric, eta0, factor, patience, min_delta, cooldown, min_lr):
    """:func:`plateau_lr`'s arguments, checked, in its order: ``(metric (E,), eta0, ..., min_lr)``."""
    values = np.array(metric, dtype=np.float64)
    if values.ndim != 1 or values.size == 0:
        raise ValueError(f"metric must be a non-empty 1-D array of shape (E,), got {values.shape}")
    if not np.all(np.isfinite(values)):
        raise ValueError("metric must be finite; found NaN or inf")
    eta0 = validation.positive("eta0", eta0)
    factor = validation.fraction("factor", factor)
    patience = validation.integer("patience", patience, 0)
    min_delta = abs(validation.number("min_delta", min_delta))
    cooldown = validation.integer("cooldown", cooldown, 0)
    min_lr = validation.number("min_lr", min_lr)
    if min_lr < 0:
        raise ValueError(f"min_lr must be >= 0, got {min_lr!r}")
    return values, eta0, factor, patience, min_delta, cooldown, min_lr


def smooth_losses(losses, beta: float = 0.9) -> np.ndarray:
    """Exponentially smoothed losses with bias correction, as a range test reads them.

    :math:`a_i = \\beta a_{i-1} + (1 - \\beta) L_i` with :math:`a_{-1} = 0`,
    and :math:`\\bar L_i = a_i / (1 - \\beta^{i+1})`, which removes the pull
    towards the zero start (the bias correction of Adam). ``losses`` ``(S,)``
    finite; returns ``(S,)`` float64. ``beta`` in [0, 1): 0 means no smoothing.
    """
    losses = _check_losses("losses", losses)
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
    ``losses`` are the ``(S,)`` arrays :func:`lr_range_test` returns;
    ``divisor`` >= 1.
    """
    lrs = _check_losses("lrs", lrs)
    losses = _check_losses("losses", losses)
    if lrs.shape != losses.shape:
        raise ValueError(f"lrs and losses must have the same shape, got {lrs.shape} and "
                         f"{losses.shape}")
    if np.any(lrs <= 0):
        raise ValueError("lrs must be positive")
    divisor = validation.number("divisor", divisor)
    if divisor < 1:
        raise ValueError(f"divisor must be >= 1, got {divisor!r}")
    return float(lrs[np.argmin(smooth_losses(losses, beta))] / divisor)


def _check_losses(name: str, values) -> np.ndarray:
    array = np.array(values, dtype=np.float64)
    if array.ndim != 1 or array.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D array of shape (S,), got {array.shape}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must be finite; found NaN or inf")
    return array


# ---------------------------------------------------------------------------
# Keras objects, created on first use so that importing this module stays cheap


def keras_objects() -> dict[str, type]:
    """The Keras classes of this module by name, created on the first call.

    Creating them registers them with Keras as ``dlbook>PowerDecay`` and so
    on, which ``keras.saving.load_model`` needs to rebuild a saved model that
    uses one.
    """
    return _keras_classes.all()


def _define_keras_classes() -> dict[str, type]:
    """Define and register the Keras classes (lazy.KerasClasses calls this once)."""
    keras = lazy.keras()
    register = keras.saving.register_keras_serializable(package="dlbook")
    ops = keras.ops

    @register
    class PowerDecay(keras.optimizers.schedules.LearningRateSchedule):
        """Power scheduling as a Keras schedule: ``eta0 / (1 + step / decay_steps) ** power``.

        The formula is :func:`power_lr` with ``eta0 = initial_learning_rate``,
        ``s = decay_steps`` and ``c = power``; ``step`` is the optimizer's
        iteration count. Pass it as an optimizer's ``learning_rate``.
        """

        def __init__(self, initial_learning_rate: float, decay_steps: float, power: float = 1.0):
            super().__init__()
            self.initial_learning_rate = validation.positive("initial_learning_rate",
                                                         initial_learning_rate)
            self.decay_steps = validation.positive("decay_steps", decay_steps)
            self.power = validation.positive("power", power)

        def __call__(self, step):
            t = ops.cast(step, "float32")
            return self.initial_learning_rate / ops.power(1.0 + t / self.decay_steps, self.power)

        def get_config(self) -> dict:
            return {"initial_learning_rate": self.initial_learning_rate,
                    "decay_steps": self.decay_steps, "power": self.power}

    @register
    class OneCycle(keras.optimizers.schedules.LearningRateSchedule):
        """The 1cycle learning rate as a Keras schedule (:func:`one_cycle_lr`).

        ``max_learning_rate`` is the peak :math:`\\eta_1`;
        ``initial_learning_rate`` :math:`\\eta_0` defaults to a tenth of it
        and ``final_learning_rate`` :math:`\\eta_{\\rm end}` to
        :math:`\\eta_0 / 1000`. It changes the learning rate only: for the
        momentum cycle too, use the :class:`OneCycleScheduler` callback.
        """

        def __init__(self, total_steps: int, max_learning_rate: float,
                     initial_learning_rate: float | None = None,
                     final_learning_rate: float | None = None, anneal_fraction: float = 0.1):
            super().__init__()
            self.max_learning_rate = validation.positive("max_learning_rate", max_learning_rate)
            eta0 = (self.max_learning_rate / 10.0 if initial_learning_rate is None
                    else initial_learning_rate)
            self.initial_learning_rate, _, self.final_learning_rate = _check_one_cycle_rates(
                eta0, self.max_learning_rate, final_learning_rate)
            self.total_steps = validation.integer("total_steps", total_steps, 2)
            self.anneal_fraction = validation.fraction("anneal_fraction", anneal_fraction)
            self._breakpoints = _one_cycle_breakpoints(self.total_steps, self.anneal_fraction)

        def __call__(self, step):
            t = ops.cast(step, "float32")
            half, cycle, last = self._breakpoints
            eta0, eta1, eta_end = (self.initial_learning_rate, self.max_learning_rate,
                                   self.final_learning_rate)
            up = eta0 + (eta1 - eta0) * t / half
            down = eta1 - (eta1 - eta0) * (t - half) / half
            anneal = eta0 + (eta_end - eta0) * (t - cycle) / (last - cycle)
            return ops.where(t < half, up, ops.where(
                t < cycle, down, ops.where(t < last, anneal, eta_end)))

        def get_config(self) -> dict:
            return {"total_steps": self.total_steps, "max_learning_rate": self.max_learning_rate,
                    "initial_learning_rate": self.initial_learning_rate,
                    "final_learning_rate": self.final_learning_rate,
                    "anneal_fraction": self.anneal_fraction}

    class CycledHyperparameter(keras.Variable):
        """A momentum the compiled training step reads as a variable, so a callback can change it.

        Keras 3 optimizers keep ``momentum``/``beta_1`` as a Python float,
        which the compiled train step freezes at its first call. As a
        variable, assigned before each batch, the step reads its current
        value on every backend. SGD and RMSprop also ask ``momentum != 0`` or
        ``momentum > 0`` to decide whether they keep velocities at all; those
        two comparisons answer from the momentum the optimizer was built with.
        """

        def __init__(self, value: float, name: str):
            super().__init__(float(value), dtype="float32", trainable=False, name=name)
            self._built_with = float(value)

        def __ne__(self, other):
            return self._built_with != other

        def __gt__(self, other):
            return self._built_with > other

    def _momentum_attribute(optimizer) -> str | None:
        return next((a for a in MOMENTUM_ATTRIBUTES if hasattr(optimizer, a)), None)

    def _learning_rate_is_settable(optimizer) -> bool:
        return not isinstance(optimizer.get_config().get("learning_rate"), dict)

    @register
    class OneCycleScheduler(keras.callbacks.Callback):
        """1cycle as a callback: sets the learning rate and the momentum before every batch.

        The rate follows :func:`one_cycle_lr` (peak ``max_learning_rate``,
        start ``initial_learning_rate`` = peak / 10 by default, end
        ``final_learning_rate`` = start / 1000 by default) and, with
        ``cycle_momentum=True``, the optimizer's ``momentum`` (SGD, RMSprop)
        or ``beta_1`` (Adam, Nadam, ...) follows :func:`one_cycle_momentum`
        from ``max_momentum`` down to ``min_momentum`` and back. The step
        counts the batches of one ``fit`` call; ``total_steps`` defaults to
        epochs x steps per epoch of that call. The optimizer must have been
        given a float learning rate (not a schedule) and, for SGD and RMSprop,
        a non-zero momentum so that it keeps velocities. After training the
        momentum is the float it was before, so the optimizer can be saved.
        """

        def __init__(self, max_learning_rate: float, total_steps: int | None = None,
                     initial_learning_rate: float | None = None,
                     final_learning_rate: float | None = None, anneal_fraction: float = 0.1,
                     max_momentum: float = 0.95, min_momentum: float = 0.85,
                     cycle_momentum: bool = True):
            super().__init__()
            self.max_learning_rate = validation.positive("max_learning_rate", max_learning_rate)
            eta0 = (self.max_learning_rate / 10.0 if initial_learning_rate is None
                    else initial_learning_rate)
            self.initial_learning_rate, _, self.final_learning_rate = _check_one_cycle_rates(
                eta0, self.max_learning_rate, final_learning_rate)
            self.total_steps = None if total_steps is None else validation.integer("total_steps",
                                                                            total_steps, 2)
            self.anneal_fraction = validation.fraction("anneal_fraction", anneal_fraction)
            one_cycle_momentum(0, 2, max_momentum, min_momentum)  # validates the two momenta
            self.max_momentum, self.min_momentum = float(max_momentum), float(min_momentum)
            if not isinstance(cycle_momentum, bool):
                raise TypeError(f"cycle_momentum must be a bool, got "
                                f"{type(cycle_momentum).__name__}")
            self.cycle_momentum = cycle_momentum
            self.step = 0
            self._steps = None
            self._momentum = None  # (attribute name, float it had, the variable)

        def on_train_begin(self, logs=None):
            optimizer = self.model.optimizer
            if not _learning_rate_is_settable(optimizer):
                raise ValueError("OneCycleScheduler sets the learning rate itself: compile with a "
                                 "float learning_rate, not a LearningRateSchedule")
            self._steps = self.total_steps or self._steps_of_fit()
            self.step = 0
            if self.cycle_momentum:
                self._install_momentum(optimizer)
                # a train step compiled before (an earlier fit, train_on_batch) has the float
                # momentum baked in: compile it again so that it reads the variable
                self.model.make_train_function(force=True)

        def _steps_of_fit(self) -> int:
            epochs, steps = self.params.get("epochs"), self.params.get("steps")
            if not epochs or not steps:
                raise ValueError("OneCycleScheduler needs total_steps when fit does not know its "
                                 f"number of steps (params: epochs={epochs}, steps={steps})")
            return max(2, int(epochs) * int(steps))

        def _install_momentum(self, optimizer):
            attribute = _momentum_attribute(optimizer)
            if attribute is None:
                raise ValueError(f"cycle_momentum needs an optimizer with a momentum or beta_1, "
                                 f"got {type(optimizer).__name__}; pass cycle_momentum=False")
            current = getattr(optimizer, attribute)
            if isinstance(current, CycledHyperparameter):  # left over from an interrupted fit
                current = current._built_with
            if attribute == "momentum" and float(current) == 0:
                raise ValueError(f"{type(optimizer).__name__} was created with momentum=0, so it "
                                 "keeps no velocities to cycle; create it with momentum > 0")
            variable = CycledHyperparameter(current, name=f"cycled_{attribute}")
            setattr(optimizer, attribute, variable)  # tracked: a JAX train step receives it
            self._momentum = (attribute, float(current), variable)

        def on_train_batch_begin(self, batch, logs=None):
            optimizer = self.model.optimizer  # on JAX, reading self.model syncs the state
            optimizer.learning_rate = one_cycle_lr(
                self.step, self._steps, self.initial_learning_rate, self.max_learning_rate,
                self.final_learning_rate, self.anneal_fraction)
            if self._momentum is not None:
                self._momentum[2].assign(one_cycle_momentum(
                    self.step, self._steps, self.max_momentum, self.min_momentum,
                    self.anneal_fraction))

        def on_train_batch_end(self, batch, logs=None):
            self.step += 1

        def on_train_end(self, logs=None):
            if self._momentum is None:
                return
            attribute, value, variable = self._momentum
            optimizer = self.model.optimizer
            variable.assign(value)  # what a train step compiled with the variable reads from now on
            setattr(optimizer, attribute, value)
            optimizer._untrack_variable(variable)  # Keras' own clean-up of a replaced variable
            self._momentum = None

        def get_config(self) -> dict:
            return {"max_learning_rate": self.max_learning_rate, "total_steps": self.total_steps,
                    "initial_learning_rate": self.initial_learning_rate,
                    "final_learning_rate": self.final_learning_rate,
                    "anneal_fraction": self.anneal_fraction, "max_momentum": self.max_momentum,
                    "min_momentum": self.min_momentum, "cycle_momentum": self.cycle_momentum}

        @classmethod
        def from_config(cls, config: dict):
            return cls(**config)

    @register
    class LearningRateRecorder(keras.callbacks.Callback):
        """Record the learning rate (and momentum) the optimizer uses for each batch.

        Reads ``optimizer.learning_rate`` just before each batch, which for a
        schedule is its value at the current step. Put it *last* in the
        callback list, after any callback that changes the rate. After
        ``fit``: ``learning_rates`` and ``momenta`` (``momentum`` or
        ``beta_1``, None if the optimizer has neither) are lists of floats,
        one per batch, and ``steps_per_epoch`` is the number of batches of
        the first epoch, for plotting against epochs.
        """

        def __init__(self):
            super().__init__()
            self.learning_rates: list[float] = []
            self.momenta: list[float] | None = None
            self.steps_per_epoch: int | None = None

        def on_train_begin(self, logs=None):
            self.learning_rates = []
            self.momenta = [] if _momentum_attribute(self.model.optimizer) else None
            self.steps_per_epoch = self.params.get("steps")

        def on_train_batch_begin(self, batch, logs=None):
            optimizer = self.model.optimizer
            rate = keras.ops.convert_to_numpy(optimizer.learning_rate)
            self.learning_rates.append(float(rate))
            if self.momenta is not None:
                value = getattr(optimizer, _momentum_attribute(optimizer))
                self.momenta.append(float(keras.ops.convert_to_numpy(value)))

        def get_config(self) -> dict:
            return {}

        @classmethod
        def from_config(cls, config: dict):
            return cls(**config)

    classes = {"PowerDecay": PowerDecay, "OneCycle": OneCycle,
               "OneCycleScheduler": OneCycleScheduler, "LearningRateRecorder": LearningRateRecorder}
    CycledHyperparameter.__module__ = __name__
    return classes


_keras_classes = lazy.KerasClasses(__name__, _KERAS_CLASSES, _define_keras_classes)
__getattr__, __dir__ = _keras_classes.module_getattr, _keras_classes.module_dir


# ---------------------------------------------------------------------------
# The learning-rate range test


class RangeTest(NamedTuple):
    """What :func:`lr_range_test` measured: ``lrs`` ``(S,)`` and the batch ``losses`` ``(S,)``."""

    lrs: np.ndarray
    losses: np.ndarray


def lr_range_test(model, x, y, min_lr: float = 1e-5, max_lr: float = 10.0, batch_size: int = 32,
                  epochs: int = 1, stop_factor: float = 4.0, seed: int = 0, ax=None) -> RangeTest:
    """The learning-rate range test (Smith 2017): train while the rate grows exponentially.

    ``model`` is a compiled Keras model whose optimizer has a float learning
    rate. Over ``epochs`` passes (by default one) of shuffled mini-batches of
    ``x`` ``(N, ...)`` and ``y`` ``(N, ...)``, S steps in all, step i trains
    one batch at

    .. math:: \\eta_i = \\eta_{\\min} (\\eta_{\\max} / \\eta_{\\min})^{i / (S - 1)}

    and records that batch's loss. The test stops early once the loss
    exceeds ``stop_factor`` times the lowest loss so far, or is not finite
    (that batch is not recorded). Afterwards the model's weights and its
    optimizer's state (velocities, step count, learning rate) are restored:
    the model is left exactly as it was. Returns :class:`RangeTest` ``(lrs,
    losses)``, both ``(S',)`` float64 with S' <= S and ``lrs`` increasing.

    Read it with the rule of :func:`suggest_learning_rate`: take the rate
    where the smoothed loss is lowest and divide it by 10. If ``ax`` (a
    matplotlib Axes) is given, the curve is drawn on it with
    :func:`plot_lr_range_test`.
    """
    from dlbook.config import quiet_tensorflow

    quiet_tensorflow()
    import keras

    if not isinstance(model, keras.Model):
        raise TypeError(f"model must be a keras.Model, got {type(model).__name__}")
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None:
        raise ValueError("model must be compiled (with an optimizer and a loss) before the test")
    if isinstance(optimizer.get_config().get("learning_rate"), dict):
        raise ValueError("the model's optimizer must have a float learning_rate, not a schedule: "
                         "the range test sets the rate itself")
    if not model.built:
        raise ValueError("model must be built (give it a keras.Input) before the test")
    x, y = np.asarray(x), np.asarray(y)
    if x.ndim == 0 or y.ndim == 0 or len(x) != len(y) or len(x) == 0:
        raise ValueError(f"x and y must hold the same number N >= 1 of examples, got shapes "
                         f"{x.shape} and {y.shape}")
    min_lr, max_lr = validation.positive("min_lr", min_lr), validation.positive("max_lr", max_lr)
    if max_lr <= min_lr:
        raise ValueError(f"max_lr must be > min_lr, got min_lr={min_lr!r}, max_lr={max_lr!r}")
    batch_size = validation.integer("batch_size", batch_size, 1)
    epochs = validation.integer("epochs", epochs, 1)
    stop_factor = validation.number("stop_factor", stop_factor)
    if stop_factor <= 1:
        raise ValueError(f"stop_factor must be > 1, got {stop_factor!r}")
    seed = validation.integer("seed", seed, 0)

    rng = np.random.default_rng(seed)
    batches = [order[i:i + batch_size] for order in (rng.permutation(len(x)) for _ in range(epochs))
               for i in range(0, len(x), batch_size)]
    if len(batches) < 2:
        raise ValueError(f"the test needs at least 2 batches, got {len(batches)}: lower batch_size "
                         f"(now {batch_size}) or raise epochs")
    rates = min_lr * (max_lr / min_lr) ** (np.arange(len(batches)) / (len(batches) - 1))

    if not optimizer.built:
        optimizer.build(model.trainable_variables)
    weights = model.get_weights()
    state = [keras.ops.convert_to_numpy(v) for v in optimizer.variables]
    lrs, losses = [], []
    try:
        for rate, batch in zip(rates, batches, strict=True):
            optimizer.learning_rate = float(rate)
            loss = float(model.train_on_batch(x[batch], y[batch], return_dict=True)["loss"])
            if not math.isfinite(loss):
                break
            lrs.append(float(rate))
            losses.append(loss)
            if loss > stop_factor * min(losses):
                break
    finally:
        model.set_weights(weights)
        for variable, value in zip(optimizer.variables, state, strict=True):
            variable.assign(value)
    result = RangeTest(np.array(lrs), np.array(losses))
    if ax is not None:
        plot_lr_range_test(result.lrs, result.losses, ax=ax)
    return result


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


# ---------------------------------------------------------------------------
# The default configurations

OPTIMIZERS = ("momentum", "rmsprop", "nadam")
DROPOUT_LAYERS = ("dropout", "alpha_dropout")


@dataclass(frozen=True)
class NetworkConfig:
    """A default network configuration: the settings of one column of the chapter's table.

    ``kernel_initializer`` and ``activation`` are Keras names.
    ``batch_norm_from``: batch normalization after every hidden Dense layer
    (before its activation) when the network has at least that many hidden
    layers; None: never. ``l2``: the L2 penalty on every kernel (0: none).
    ``dropout``: the dropout layer used when a rate is given (``"dropout"``,
    ``"alpha_dropout"`` or None) and ``dropout_rate`` its default rate (0:
    only if needed). ``early_stopping_patience``: None for no early stopping.
    ``optimizer`` is one of ``"momentum"``, ``"rmsprop"``, ``"nadam"`` and
    ``alternatives`` the others the table allows; ``momentum`` is its momentum
    (:math:`\\beta`, or :math:`\\beta_1` for Nadam). ``schedule`` is
    ``"1cycle"`` or ``"constant"``. ``standardize_inputs``: scale every
    feature to mean 0 and standard deviation 1 (:func:`standardize`).
    """

    name: str
    kernel_initializer: str
    activation: str
    batch_norm_from: int | None
    l2: float
    dropout: str | None
    dropout_rate: float
    early_stopping_patience: int | None
    optimizer: str
    alternatives: tuple[str, ...]
    momentum: float
    schedule: str
    standardize_inputs: bool

    def __post_init__(self):
        if self.batch_norm_from is not None:
            validation.integer("batch_norm_from", self.batch_norm_from, 1)
        if validation.number("l2", self.l2) < 0:
            raise ValueError(f"l2 must be >= 0, got {self.l2!r}")
        if self.dropout not in (None, *DROPOUT_LAYERS):
            raise ValueError(f"dropout must be None or one of {DROPOUT_LAYERS}, got {self.dropout!r}")
        validation.number("dropout_rate", self.dropout_rate, 0, 1, low_open=False, high_open=True)
        if self.dropout is None and self.dropout_rate > 0:
            raise ValueError(f"dropout_rate is {self.dropout_rate!r} but dropout is None")
        if self.early_stopping_patience is not None:
            validation.integer("early_stopping_patience", self.early_stopping_patience, 1)
        for option in (self.optimizer, *self.alternatives):
            if option not in OPTIMIZERS:
                raise ValueError(f"optimizer must be one of {OPTIMIZERS}, got {option!r}")
        validation.fraction("momentum", self.momentum)
        if self.schedule not in ("1cycle", "constant"):
            raise ValueError(f"schedule must be '1cycle' or 'constant', got {self.schedule!r}")


DEFAULT_NETWORK = NetworkConfig(
    name="default deep network", kernel_initializer="he_normal", activation="elu",
    batch_norm_from=5, l2=1e-4, dropout=None, dropout_rate=0.0, early_stopping_patience=10,
    optimizer="momentum", alternatives=("rmsprop", "nadam"), momentum=0.9, schedule="1cycle",
    standardize_inputs=False)

SELF_NORMALIZING_NETWORK = NetworkConfig(
    name="self-normalizing network", kernel_initializer="lecun_normal", activation="selu",
    batch_norm_from=None, l2=0.0, dropout="alpha_dropout", dropout_rate=0.0,
    early_stopping_patience=None, optimizer="momentum", alternatives=("rmsprop", "nadam"),
    momentum=0.9, schedule="1cycle", standardize_inputs=True)

_NAMES = {"he_normal": "He normal", "he_uniform": "He uniform", "lecun_normal": "LeCun normal",
          "lecun_uniform": "LeCun uniform", "glorot_uniform": "Glorot uniform",
          "glorot_normal": "Glorot normal", "elu": "ELU", "selu": "SELU", "relu": "ReLU",
          "momentum": "SGD with momentum", "rmsprop": "RMSProp", "nadam": "Nadam",
          "dropout": "dropout", "alpha_dropout": "alpha dropout"}


def config_rows(config: NetworkConfig) -> dict[str, str]:
    """The table column of ``config``: setting -> choice, in words, generated from its fields."""
    if not isinstance(config, NetworkConfig):
        raise TypeError(f"config must be a NetworkConfig, got {type(config).__name__}")

    def name(key: str) -> str:
        return _NAMES.get(key, key)

    normalization = ("none (self-normalization)" if config.batch_norm_from is None else
                     f"batch normalization if deep ({config.batch_norm_from}+ hidden layers)")
    regularization = []
    if config.early_stopping_patience is not None:
        regularization.append(f"early stopping (patience {config.early_stopping_patience})")
    if config.l2 > 0:
        regularization.append(f"L2 ({config.l2:g})")
    if config.dropout is not None:
        rate = f"rate {config.dropout_rate:g}" if config.dropout_rate else "if needed"
        regularization.append(f"{name(config.dropout)} ({rate})")
    optimizer = name(config.optimizer)
    if config.optimizer in ("momentum", "nadam"):
        optimizer += f" ({'beta' if config.optimizer == 'momentum' else 'beta_1'} "
        optimizer += f"{config.momentum:g})"
    if config.alternatives:
        optimizer += " or " + " or ".join(name(o) for o in config.alternatives)
    return {
        "kernel initializer": f"{name(config.kernel_initializer)} ({config.kernel_initializer})",
        "activation": name(config.activation),
        "normalization": normalization,
        "regularization": " + ".join(regularization) or "none",
        "optimizer": optimizer,
        "learning-rate schedule": config.schedule,
        "inputs": "standardized (mean 0, std 1)" if config.standardize_inputs else "as given",
    }


def _check_config(config) -> NetworkConfig:
    if not isinstance(config, NetworkConfig):
        raise TypeError(f"table must be a NetworkConfig (e.g. schedules.DEFAULT_NETWORK), "
                        f"got {type(config).__name__}")
    return config


def build_from_config(table: NetworkConfig, input_shape, n_outputs: int, n_hidden: int,
                      n_neurons: int, output_activation: str | None = "softmax",
                      dropout_rate: float | None = None, name: str | None = None):
    """The network a configuration table describes, as an uncompiled ``keras.Sequential``.

    Input ``(N, *input_shape)`` (flattened first if it has several axes),
    ``n_hidden`` hidden layers of ``n_neurons`` units, then
    ``Dense(n_outputs, output_activation)``. Each hidden layer is

    - ``Dense(n_neurons, activation, kernel_initializer)``, or, when the table
      asks for batch normalization at this depth,
      ``Dense(use_bias=False) -> BatchNormalization -> Activation``;
    - followed by the table's dropout layer when the rate (``dropout_rate``,
      else the table's) is above 0.

    Every kernel, the output's too, carries the table's L2 penalty. Output
    ``(N, n_outputs)``.
    """
    from dlbook.config import quiet_tensorflow

    quiet_tensorflow()
    import keras

    table = _check_config(table)
    shape = (input_shape,) if isinstance(input_shape, numbers.Integral) else tuple(input_shape)
    if not shape or any(isinstance(d, bool) or not isinstance(d, numbers.Integral) or d < 1
                        for d in shape):
        raise ValueError(f"input_shape must be a positive int or a tuple of them, got "
                         f"{input_shape!r}")
    n_outputs = validation.integer("n_outputs", n_outputs, 1)
    n_hidden = validation.integer("n_hidden", n_hidden, 0)
    n_neurons = validation.integer("n_neurons", n_neurons, 1)
    rate = table.dropout_rate if dropout_rate is None else validation.number(
        "dropout_rate", dropout_rate, 0, 1, low_open=False, high_open=True)
    if rate > 0 and table.dropout is None:
        raise ValueError(f"dropout_rate is {rate!r} but the table {table.name!r} has no dropout "
                         "layer")
    batch_norm = table.batch_norm_from is not None and n_hidden >= table.batch_norm_from
    regularizer = keras.regularizers.L2(table.l2) if table.l2 > 0 else None
    dropout = {"dropout": keras.layers.Dropout, "alpha_dropout": keras.layers.AlphaDropout}

    layers = [keras.Input(shape=shape)]
    if len(shape) > 1:
        layers.append(keras.layers.Flatten())
    for i in range(1, n_hidden + 1):
        if batch_norm:
            layers += [keras.layers.Dense(n_neurons, use_bias=False, name=f"hidden_{i}",
                                          kernel_initializer=table.kernel_initializer,
                                          kernel_regularizer=regularizer),
                       keras.layers.BatchNormalization(name=f"batch_norm_{i}"),
                       keras.layers.Activation(table.activation, name=f"activation_{i}")]
        else:
            layers.append(keras.layers.Dense(n_neurons, activation=table.activation,
                                             kernel_initializer=table.kernel_initializer,
                                             kernel_regularizer=regularizer, name=f"hidden_{i}"))
        if rate > 0:
            layers.append(dropout[table.dropout](rate, name=f"{table.dropout}_{i}"))
    layers.append(keras.layers.Dense(n_outputs, activation=output_activation,
                                     kernel_regularizer=regularizer, name="output"))
    return keras.Sequential(layers, name=name or table.name.replace(" ", "_").replace("-", "_"))


def optimizer_from_config(table: NetworkConfig, learning_rate: float = 0.01,
                          choice: str | None = None):
    """The table's optimizer (or ``choice``, one of its alternatives) at ``learning_rate``.

    ``"momentum"``: ``SGD(momentum=table.momentum)``; ``"rmsprop"``:
    ``RMSprop(rho=0.9, momentum=table.momentum)``; ``"nadam"``:
    ``Nadam(beta_1=table.momentum)``. All keep a momentum, so 1cycle can
    cycle it.
    """
    from dlbook.config import quiet_tensorflow

    quiet_tensorflow()
    import keras

    table = _check_config(table)
    eta = validation.positive("learning_rate", learning_rate)
    choice = table.optimizer if choice is None else choice
    allowed = (table.optimizer, *table.alternatives)
    if choice not in allowed:
        raise ValueError(f"choice must be one of {allowed} for {table.name!r}, got {choice!r}")
    if choice == "momentum":
        return keras.optimizers.SGD(eta, momentum=table.momentum)
    if choice == "rmsprop":
        return keras.optimizers.RMSprop(eta, rho=0.9, momentum=table.momentum)
    return keras.optimizers.Nadam(eta, beta_1=table.momentum)


def callbacks_from_config(table: NetworkConfig, max_learning_rate: float,
                          total_steps: int | None = None, monitor: str = "val_loss") -> list:
    """The table's training callbacks: early stopping, then the learning-rate schedule.

    ``EarlyStopping(monitor, patience, restore_best_weights=True)`` when the
    table has a patience; a :class:`OneCycleScheduler` peaking at
    ``max_learning_rate`` (over ``total_steps``, by default the whole ``fit``)
    when its schedule is 1cycle.
    """
    from dlbook.config import quiet_tensorflow

    quiet_tensorflow()
    import keras

    table = _check_config(table)
    max_learning_rate = validation.positive("max_learning_rate", max_learning_rate)
    if not isinstance(monitor, str):
        raise TypeError(f"monitor must be a str, got {type(monitor).__name__}")
    callbacks = []
    if table.early_stopping_patience is not None:
        callbacks.append(keras.callbacks.EarlyStopping(
            monitor=monitor, patience=table.early_stopping_patience, restore_best_weights=True))
    if table.schedule == "1cycle":
        callbacks.append(_keras_classes["OneCycleScheduler"](max_learning_rate, total_steps))
    return callbacks


def standardize(x_train, *others, eps: float = 1e-8) -> tuple[np.ndarray, ...]:
    """Standardize every feature with the training set's statistics: (x - mu) / sigma.

    ``x_train`` ``(N, ...)``: :math:`\\mu` and :math:`\\sigma` are computed
    per feature (per entry of one example) over its N examples, and applied
    to it and to each array of ``others`` ``(M, ...)`` (validation, test), so
    no statistic of those leaks into training. A feature that is constant in
    the training set (sigma < ``eps``, e.g. an always-black pixel) is only
    centred. Returns float32 arrays, ``x_train``'s first.
    """
    arrays = [np.asarray(a, dtype=np.float64) for a in (x_train, *others)]
    if arrays[0].ndim < 2 or len(arrays[0]) < 2:
        raise ValueError(f"x_train must have shape (N, ...) with N >= 2, got {arrays[0].shape}")
    for i, array in enumerate(arrays[1:], start=1):
        if array.shape[1:] != arrays[0].shape[1:]:
            raise ValueError(f"others[{i - 1}] must have shape (M, *{arrays[0].shape[1:]}) like "
                             f"x_train, got {array.shape}")
    if not all(np.all(np.isfinite(a)) for a in arrays):
        raise ValueError("the arrays must be finite; found NaN or inf")
    eps = validation.positive("eps", eps)
    mean, std = arrays[0].mean(axis=0), arrays[0].std(axis=0)
    std = np.where(std < eps, 1.0, std)
    return tuple(((a - mean) / std).astype(np.float32) for a in arrays)

