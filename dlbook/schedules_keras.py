"""The Keras side of chapter 7: the schedules Keras lacks, a recorder of the rate used, the range test.

- :class:`PowerDecay` and :class:`OneCycle`, learning-rate schedules (pass one
  as an optimizer's ``learning_rate``): :func:`dlbook.schedules.power_lr` and
  :func:`dlbook.schedules.one_cycle_lr` computed inside the training step;
- :class:`OneCycleScheduler`, 1cycle as a callback that sets the learning rate
  *and* the momentum before every batch;
- :class:`LearningRateRecorder`, a callback that records the rate (and
  momentum) the optimizer actually used;
- :func:`lr_range_test`, the learning-rate range test, read with
  :func:`dlbook.schedules.suggest_learning_rate`.

Keras' own classes cover the rest:
``keras.optimizers.schedules.ExponentialDecay(eta0, s, 0.1)`` is the
exponential schedule, ``keras.callbacks.ReduceLROnPlateau(factor=0.5,
patience=5)`` performance scheduling and ``keras.callbacks.LearningRateScheduler``
turns any per-epoch function (``exponential_lr`` say) into a callback.

The classes are registered as serializable under ``dlbook>Name``: import this
module before ``keras.saving.load_model`` of a model that uses one.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from dlbook import validation
from dlbook.keras_import import keras
from dlbook.schedules import (
    _check_one_cycle_rates,
    _one_cycle_breakpoints,
    one_cycle_lr,
    one_cycle_momentum,
    plot_lr_range_test,
)

MOMENTUM_ATTRIBUTES = ("momentum", "beta_1")  # SGD and RMSprop; the Adam family


# ---------------------------------------------------------------------------
# Learning-rate schedules


@keras.saving.register_keras_serializable(package="dlbook")
class PowerDecay(keras.optimizers.schedules.LearningRateSchedule):
    """Power scheduling as a Keras schedule: ``eta0 / (1 + step / decay_steps) ** power``.

    The formula is :func:`dlbook.schedules.power_lr` with ``eta0 =
    initial_learning_rate``, ``s = decay_steps`` and ``c = power``; ``step``
    is the optimizer's iteration count. Pass it as an optimizer's
    ``learning_rate``.
    """

    def __init__(self, initial_learning_rate: float, decay_steps: float, power: float = 1.0):
        super().__init__()
        self.initial_learning_rate = validation.positive("initial_learning_rate", initial_learning_rate)
        self.decay_steps = validation.positive("decay_steps", decay_steps)
        self.power = validation.positive("power", power)

    def __call__(self, step):
        t = keras.ops.cast(step, "float32")
        return self.initial_learning_rate / keras.ops.power(1.0 + t / self.decay_steps, self.power)

    def get_config(self) -> dict:
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "power": self.power}


def _one_cycle_rates(max_learning_rate, initial_learning_rate, final_learning_rate):
    """1cycle's (start, peak, end) rates; the start defaults to peak / 10, the end to start / 1000."""
    peak = validation.positive("max_learning_rate", max_learning_rate)
    start = peak / 10.0 if initial_learning_rate is None else initial_learning_rate
    return _check_one_cycle_rates(start, peak, final_learning_rate)


@keras.saving.register_keras_serializable(package="dlbook")
class OneCycle(keras.optimizers.schedules.LearningRateSchedule):
    """The 1cycle learning rate as a Keras schedule (:func:`dlbook.schedules.one_cycle_lr`).

    ``max_learning_rate`` is the peak :math:`\\eta_1`;
    ``initial_learning_rate`` :math:`\\eta_0` defaults to a tenth of it and
    ``final_learning_rate`` :math:`\\eta_{\\rm end}` to :math:`\\eta_0 / 1000`.
    It changes the learning rate only: for the momentum cycle too, use the
    :class:`OneCycleScheduler` callback.
    """

    def __init__(self, total_steps: int, max_learning_rate: float,
                 initial_learning_rate: float | None = None,
                 final_learning_rate: float | None = None, anneal_fraction: float = 0.1):
        super().__init__()
        self.initial_learning_rate, self.max_learning_rate, self.final_learning_rate = (
            _one_cycle_rates(max_learning_rate, initial_learning_rate, final_learning_rate))
        self.total_steps = validation.integer("total_steps", total_steps, 2)
        self.anneal_fraction = validation.fraction("anneal_fraction", anneal_fraction)
        self._breakpoints = _one_cycle_breakpoints(self.total_steps, self.anneal_fraction)

    def __call__(self, step):
        t = keras.ops.cast(step, "float32")
        half, cycle, last = self._breakpoints
        eta0, eta1, eta_end = (self.initial_learning_rate, self.max_learning_rate,
                               self.final_learning_rate)
        up = eta0 + (eta1 - eta0) * t / half
        down = eta1 - (eta1 - eta0) * (t - half) / half
        anneal = eta0 + (eta_end - eta0) * (t - cycle) / (last - cycle)
        return keras.ops.where(t < half, up, keras.ops.where(
            t < cycle, down, keras.ops.where(t < last, anneal, eta_end)))

    def get_config(self) -> dict:
        return {"total_steps": self.total_steps, "max_learning_rate": self.max_learning_rate,
                "initial_learning_rate": self.initial_learning_rate,
                "final_learning_rate": self.final_learning_rate,
                "anneal_fraction": self.anneal_fraction}


# ---------------------------------------------------------------------------
# Callbacks


class CycledHyperparameter(keras.Variable):
    """A momentum the compiled training step reads as a variable, so a callback can change it.

    Keras 3 optimizers keep ``momentum``/``beta_1`` as a Python float, which
    the compiled train step freezes at its first call. As a variable,
    assigned before each batch, the step reads its current value on every
    backend. SGD and RMSprop also ask ``momentum != 0`` or ``momentum > 0`` to
    decide whether they keep velocities at all; those two comparisons answer
    from the momentum the optimizer was built with.
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


@keras.saving.register_keras_serializable(package="dlbook")
class OneCycleScheduler(keras.callbacks.Callback):
    """1cycle as a callback: sets the learning rate and the momentum before every batch.

    The rate follows :func:`dlbook.schedules.one_cycle_lr` (peak
    ``max_learning_rate``, start ``initial_learning_rate`` = peak / 10 by
    default, end ``final_learning_rate`` = start / 1000 by default) and, with
    ``cycle_momentum=True``, the optimizer's ``momentum`` (SGD, RMSprop) or
    ``beta_1`` (Adam, Nadam, ...) follows
    :func:`dlbook.schedules.one_cycle_momentum` from ``max_momentum`` down to
    ``min_momentum`` and back. The step counts the batches of one ``fit``
    call; ``total_steps`` defaults to epochs x steps per epoch of that call.
    The optimizer must have been given a float learning rate (not a schedule)
    and, for SGD and RMSprop, a non-zero momentum so that it keeps
    velocities. After training the momentum is the float it was before, so
    the optimizer can be saved.
    """

    def __init__(self, max_learning_rate: float, total_steps: int | None = None,
                 initial_learning_rate: float | None = None,
                 final_learning_rate: float | None = None, anneal_fraction: float = 0.1,
                 max_momentum: float = 0.95, min_momentum: float = 0.85,
                 cycle_momentum: bool = True):
        super().__init__()
        self.initial_learning_rate, self.max_learning_rate, self.final_learning_rate = (
            _one_cycle_rates(max_learning_rate, initial_learning_rate, final_learning_rate))
        self.total_steps = (None if total_steps is None
                            else validation.integer("total_steps", total_steps, 2))
        self.anneal_fraction = validation.fraction("anneal_fraction", anneal_fraction)
        one_cycle_momentum(0, 2, max_momentum, min_momentum)  # checks the two momenta
        self.max_momentum, self.min_momentum = float(max_momentum), float(min_momentum)
        self.cycle_momentum = validation.boolean("cycle_momentum", cycle_momentum)
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


@keras.saving.register_keras_serializable(package="dlbook")
class LearningRateRecorder(keras.callbacks.Callback):
    """Record the learning rate (and momentum) the optimizer uses for each batch.

    Reads ``optimizer.learning_rate`` just before each batch, which for a
    schedule is its value at the current step. Put it *last* in the callback
    list, after any callback that changes the rate. After ``fit``:
    ``learning_rates`` and ``momenta`` (``momentum`` or ``beta_1``, None if
    the optimizer has neither) are lists of floats, one per batch, and
    ``steps_per_epoch`` is the number of batches of the first epoch, for
    plotting against epochs.
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

    Read it with the rule of :func:`dlbook.schedules.suggest_learning_rate`:
    take the rate where the smoothed loss is lowest and divide it by 10. If
    ``ax`` (a matplotlib Axes) is given, the curve is drawn on it with
    :func:`dlbook.schedules.plot_lr_range_test`.
    """
    validation.keras_model("model", model)
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None:
        raise ValueError("model must be compiled (with an optimizer and a loss) before the test")
    if not _learning_rate_is_settable(optimizer):
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
    stop_factor = validation.number("stop_factor", stop_factor, 1, low_open=True)
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
