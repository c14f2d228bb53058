"""Tests for dlbook.schedules, dlbook.schedules_keras and dlbook.default_networks: the formulas, the
rates Keras optimizers actually use, the range test, and the default network configurations."""

import json

import keras
import matplotlib
import numpy as np
import pytest

from dlbook import default_networks as dn
from dlbook import schedules as sch
from dlbook import schedules_keras as schk
from tests.jax_run import run_on_jax

FLOAT32_RTOL = 1e-6  # a Keras schedule computes in float32: about 7 significant digits
# A rate recovered from an update: with float64 weights only the float32 learning rate rounds
# (TensorFlow, PyTorch); JAX without x64 keeps float32 weights, so a step of 1e-5 on a weight of
# about 1 keeps only two or three digits.
USED_RTOL = {"float64": 1e-5, "float32": 1e-2}


# ---------------------------------------------------------------------------
# The formulas, against their definitions


def test_power_lr_divides_by_k_plus_one_to_the_c_after_k_times_s_steps():
    eta0, s = 0.2, 7.0
    for c in (0.5, 1.0, 2.0):
        k = np.arange(5)
        np.testing.assert_allclose(sch.power_lr(k * s, eta0, s, c), eta0 / (k + 1.0) ** c, rtol=1e-15)
    t = np.array([[0, 3], [10, 25]])
    assert sch.power_lr(t, eta0, s, 1.5).shape == (2, 2)
    assert sch.power_lr(t, eta0, s, 1.5)[1, 0] == pytest.approx(eta0 * (1 + 10 / 7) ** -1.5, rel=1e-15)
    assert isinstance(sch.power_lr(3, eta0, s), float)


def test_exponential_lr_falls_tenfold_every_s_steps():
    eta0, s = 0.05, 13
    np.testing.assert_allclose(sch.exponential_lr(np.arange(4) * s, eta0, s),
                               eta0 * np.array([1, 0.1, 0.01, 0.001]), rtol=1e-14)
    t = np.array([2.5, 9.0])
    np.testing.assert_allclose(sch.exponential_lr(t, eta0, s), eta0 * 10 ** (-t / s), rtol=1e-14)


def test_one_cycle_lr_passes_through_its_corners_and_is_linear_between_them():
    total, eta0, eta1, a = 101, 0.01, 0.1, 0.2  # last step T = 100, h = 40, 2h = 80
    corners = sch.one_cycle_lr(np.array([0, 40, 80, 100, 150]), total, eta0, eta1, anneal_fraction=a)
    np.testing.assert_allclose(corners, [eta0, eta1, eta0, eta0 / 1000, eta0 / 1000], rtol=1e-14)
    np.testing.assert_allclose(sch.one_cycle_lr(np.array([10, 60, 90]), total, eta0, eta1, 1e-6, a),
                               [eta0 + (eta1 - eta0) / 4, (eta0 + eta1) / 2, (eta0 + 1e-6) / 2],
                               rtol=1e-14)
    rates = sch.one_cycle_lr(np.arange(total), total, eta0, eta1, anneal_fraction=a)
    assert np.all(np.diff(rates[:41]) > 0) and np.all(np.diff(rates[40:]) < 0)
    assert rates[-1] == pytest.approx(eta0 / 1000)  # three orders of magnitude below eta0


def test_one_cycle_momentum_is_the_learning_rate_cycle_upside_down():
    total, a = 61, 0.1
    t = np.arange(total + 5)
    rates = sch.one_cycle_lr(t, total, 0.02, 0.2, anneal_fraction=a)
    momenta = sch.one_cycle_momentum(t, total, m_max=0.95, m_min=0.85, anneal_fraction=a)
    cycle = t <= 0.9 * (total - 1)
    np.testing.assert_allclose((0.95 - momenta[cycle]) / 0.10, (rates[cycle] - 0.02) / 0.18,
                               atol=1e-12)
    np.testing.assert_array_equal(momenta[~cycle], 0.95)
    assert momenta.min() == pytest.approx(0.85) and momenta[0] == 0.95


def test_plateau_lr_halves_the_rate_after_patience_epochs_without_improvement():
    # best at epoch 2; epochs 3-7 do not improve: the 5th (epoch 7) triggers a halving, so epoch 8
    # runs at eta0 / 2; epochs 8-12 do not improve either: epoch 13 runs at eta0 / 4.
    losses = [1.0, 0.8, 0.5] + [0.6] * 12
    expected = np.array([0.1] * 8 + [0.05] * 5 + [0.025] * 2)
    np.testing.assert_allclose(sch.plateau_lr(losses, 0.1, factor=0.5, patience=5), expected)
    # an improvement smaller than min_delta does not count, one larger than it does
    tiny = [1.0, 1.0 - 1e-5, 1.0 - 2e-5, 1.0 - 3e-5]
    np.testing.assert_allclose(sch.plateau_lr(tiny, 1.0, patience=2, min_delta=1e-4), [1, 1, 1, 0.5])
    np.testing.assert_allclose(sch.plateau_lr(tiny, 1.0, patience=2, min_delta=1e-6), [1, 1, 1, 1])


def test_plateau_lr_cooldown_and_floor():
    flat = [1.0] * 8
    np.testing.assert_allclose(sch.plateau_lr(flat, 1.0, patience=1), [1, 1, 0.5, 0.25, 0.125,
                                                                      0.0625, 0.03125, 0.015625])
    # Keras counts the cooldown down at the start of each epoch's check, so cooldown=2 skips
    # one epoch: reduce after epoch 1, skip epoch 2, reduce after epoch 3, ...
    np.testing.assert_allclose(sch.plateau_lr(flat, 1.0, patience=1, cooldown=2),
                               [1, 1, 0.5, 0.5, 0.25, 0.25, 0.125, 0.125])
    np.testing.assert_allclose(sch.plateau_lr(flat, 1.0, patience=1, min_lr=0.3),
                               [1, 1, 0.5, 0.3, 0.3, 0.3, 0.3, 0.3])


def test_plateau_lr_matches_keras_reduce_lr_on_plateau_on_random_sequences():
    rng = np.random.default_rng(5)
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    for trial in range(6):
        settings = dict(factor=float(rng.choice([0.1, 0.5])), patience=int(rng.integers(0, 4)),
                        min_delta=float(rng.choice([0.0, 1e-4, 0.05])),
                        cooldown=int(rng.integers(0, 3)), min_lr=float(rng.choice([0.0, 0.01])))
        losses = np.cumsum(rng.normal(-0.02, 0.1, 30)) + 5
        model.compile(keras.optimizers.SGD(0.2), "mse")
        callback = keras.callbacks.ReduceLROnPlateau(**settings)
        callback.set_model(model)
        callback.on_train_begin()
        keras_rates = []
        for epoch, loss in enumerate(losses):
            keras_rates.append(float(keras.ops.convert_to_numpy(model.optimizer.learning_rate)))
            callback.on_epoch_end(epoch, {"val_loss": float(loss)})
        np.testing.assert_allclose(sch.plateau_lr(losses, 0.2, **settings), keras_rates,
                                   rtol=FLOAT32_RTOL, err_msg=f"trial {trial}: {settings}")


def test_smooth_losses_is_a_bias_corrected_moving_average():
    np.testing.assert_allclose(sch.smooth_losses(np.full(6, 2.5), beta=0.9), 2.5, rtol=1e-14)
    losses = np.random.default_rng(0).uniform(1, 3, 10)
    np.testing.assert_array_equal(sch.smooth_losses(losses, beta=0.0), losses)
    beta, average, expected = 0.8, 0.0, []
    for i, loss in enumerate(losses):
        average = beta * average + (1 - beta) * loss
        expected.append(average / (1 - beta ** (i + 1)))
    np.testing.assert_allclose(sch.smooth_losses(losses, beta), expected, rtol=1e-14)


def test_suggest_learning_rate_is_a_tenth_of_the_rate_at_the_lowest_smoothed_loss():
    lrs = np.geomspace(1e-4, 1.0, 41)
    losses = 1.0 + (np.log10(lrs) + 1.5) ** 2  # lowest at 10^-1.5
    assert sch.suggest_learning_rate(lrs, losses, beta=0.0) == pytest.approx(10**-1.5 / 10)
    assert sch.suggest_learning_rate(lrs, losses, beta=0.0, divisor=1) == pytest.approx(10**-1.5)
    assert sch.suggest_learning_rate(lrs, losses, beta=0.9) > 10**-2.5  # smoothing lags: later


@pytest.mark.parametrize("call, error, match", [
    (lambda: sch.power_lr(-1, 0.1, 10), ValueError,
     r"t must hold steps in \[0, inf\], got values in \[-1.0, -1.0\]"),
    (lambda: sch.power_lr([0, np.nan], 0.1, 10), ValueError, r"t must be finite"),
    (lambda: sch.power_lr("3", 0.1, 10), TypeError, r"t must be a float array, got str"),
    (lambda: sch.power_lr([1, None], 0.1, 10), TypeError, r"t must be a float array, got an array of dtype"),
    (lambda: sch.power_lr(1, 0.0, 10), ValueError, r"eta0 must be a positive finite number, got 0.0"),
    (lambda: sch.power_lr(1, 0.1, 10, c=-1), ValueError, r"c must be a positive finite number"),
    (lambda: sch.exponential_lr(1, 0.1, "10"), TypeError, r"s must be a number, got str"),
    (lambda: sch.one_cycle_lr(1, 1, 0.1, 1.0), ValueError, r"total_steps must be an int >= 2"),
    (lambda: sch.one_cycle_lr(1, 10.0, 0.1, 1.0), TypeError, r"total_steps must be an int, got float"),
    (lambda: sch.one_cycle_lr(1, 10, 0.1, 0.05), ValueError, r"eta1 \(the peak\) must be >= eta0"),
    (lambda: sch.one_cycle_lr(1, 10, 0.1, 1, eta_end=0.2), ValueError, r"eta_end must be <= eta0"),
    (lambda: sch.one_cycle_lr(1, 10, 0.1, 1, anneal_fraction=1), ValueError,
     r"anneal_fraction must be a finite number in \(0, 1\), got 1"),
    (lambda: sch.one_cycle_momentum(1, 10, m_max=0.8, m_min=0.9), ValueError, r"m_min must be <= m_max"),
    (lambda: sch.one_cycle_momentum(1, 10, m_max=1.0), ValueError,
     r"m_max must be a finite number in \[0, 1\)"),
    (lambda: sch.plateau_lr([], 0.1), ValueError, r"metric must be a 1-D array of shape \(E,\)"),
    (lambda: sch.plateau_lr([1.0, np.inf], 0.1), ValueError, r"metric must be finite"),
    (lambda: sch.plateau_lr([1.0], 0.1, factor=1.5), ValueError,
     r"factor must be a finite number in \(0, 1\)"),
    (lambda: sch.plateau_lr([1.0], 0.1, patience=2.0), TypeError, r"patience must be an int"),
    (lambda: sch.plateau_lr([1.0], 0.1, min_lr=-0.1), ValueError,
     r"min_lr must be a finite number in \[0, inf\)"),
    (lambda: sch.smooth_losses([[1.0]]), ValueError, r"losses must be a 1-D array of shape \(S,\)"),
    (lambda: sch.suggest_learning_rate([1e-3, 1e-2], [1.0]), ValueError, r"same shape"),
    (lambda: sch.suggest_learning_rate([0.0, 1e-2], [1.0, 2.0]), ValueError, r"lrs must be positive"),
    (lambda: sch.suggest_learning_rate([1e-3, 1e-2], [1.0, 2.0], divisor=0.5), ValueError,
     r"divisor must be a finite number in \[1, inf\)"),
])
def test_the_formulas_reject_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()


# ---------------------------------------------------------------------------
# The Keras schedules, against the formulas


def schedule_values(schedule, steps):
    return np.array([float(keras.ops.convert_to_numpy(schedule(t))) for t in steps])


def test_power_decay_matches_power_lr_and_keras_inverse_time_decay():
    steps = np.array([0, 1, 5, 17, 100, 1000])
    for c in (0.5, 1.0, 3.0):
        np.testing.assert_allclose(schedule_values(schk.PowerDecay(0.3, 20.0, c), steps),
                                   sch.power_lr(steps, 0.3, 20.0, c), rtol=FLOAT32_RTOL)
    inverse_time = keras.optimizers.schedules.InverseTimeDecay(0.3, decay_steps=20, decay_rate=1.0)
    np.testing.assert_allclose(schedule_values(schk.PowerDecay(0.3, 20.0), steps),
                               schedule_values(inverse_time, steps), rtol=FLOAT32_RTOL)


def test_keras_exponential_decay_is_exponential_lr():
    steps = np.array([0, 3, 50, 200])
    decay = keras.optimizers.schedules.ExponentialDecay(0.1, decay_steps=50, decay_rate=0.1)
    np.testing.assert_allclose(schedule_values(decay, steps), sch.exponential_lr(steps, 0.1, 50),
                               rtol=FLOAT32_RTOL)


def test_one_cycle_schedule_matches_one_cycle_lr_at_every_step():
    schedule = schk.OneCycle(total_steps=53, max_learning_rate=0.5, anneal_fraction=0.15)
    steps = np.arange(60)
    np.testing.assert_allclose(schedule_values(schedule, steps),
                               sch.one_cycle_lr(steps, 53, 0.05, 0.5, 0.05 / 1000, 0.15),
                               rtol=FLOAT32_RTOL, atol=1e-9)


def test_schedules_serialize_and_come_back_equal():
    for schedule in (schk.PowerDecay(0.1, 30.0, 2.0),
                     schk.OneCycle(40, 0.3, initial_learning_rate=0.01, final_learning_rate=1e-5)):
        config = keras.saving.serialize_keras_object(schedule)
        assert config["registered_name"] == f"dlbook>{type(schedule).__name__}"
        restored = keras.saving.deserialize_keras_object(json.loads(json.dumps(config)))
        assert type(restored) is type(schedule) and restored.get_config() == schedule.get_config()
        np.testing.assert_array_equal(schedule_values(restored, range(45)),
                                      schedule_values(schedule, range(45)))
    optimizer = keras.optimizers.SGD(schk.PowerDecay(0.1, 30.0))
    back = keras.optimizers.deserialize(keras.optimizers.serialize(optimizer))
    assert isinstance(back.get_config()["learning_rate"], dict)


def test_keras_objects_reject_bad_arguments():
    with pytest.raises(ValueError, match="decay_steps must be a positive finite number"):
        schk.PowerDecay(0.1, 0)
    with pytest.raises(ValueError, match="total_steps must be an int >= 2"):
        schk.OneCycle(1, 0.1)
    with pytest.raises(ValueError, match=r"eta1 \(the peak\) must be >= eta0"):
        schk.OneCycleScheduler(0.1, initial_learning_rate=0.2)
    with pytest.raises(TypeError, match="cycle_momentum must be a bool"):
        schk.OneCycleScheduler(0.1, cycle_momentum="yes")


# ---------------------------------------------------------------------------
# The rate a Keras optimizer actually used, read back from its updates

N, D, BATCH = 16, 3, 4
STEPS_PER_EPOCH = N // BATCH


class Snapshots(keras.callbacks.Callback):
    """The weights before and after every batch (put it last: after the schedule's callback)."""

    def on_train_begin(self, logs=None):
        self.before, self.after = [], []

    def on_train_batch_begin(self, batch, logs=None):
        self.before.append(np.concatenate([w.ravel() for w in self.model.get_weights()]))

    def on_train_batch_end(self, batch, logs=None):
        self.after.append(np.concatenate([w.ravel() for w in self.model.get_weights()]))


def linear_problem(seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(N, D)), rng.normal(size=(N, 1))


def train_linear(optimizer, callbacks=(), epochs=3, validation_data=None):
    """Fit y = x w + b with the MSE in float64, in fixed batches; return the fit's traces."""
    keras.utils.set_random_seed(0)
    x, y = linear_problem()
    model = keras.Sequential([keras.Input((D,), dtype="float64"),
                              keras.layers.Dense(1, dtype="float64")])
    model.compile(optimizer, "mse")
    snapshots, recorder = Snapshots(), schk.LearningRateRecorder()
    history = model.fit(x, y, batch_size=BATCH, epochs=epochs, shuffle=False, verbose=0,
                        validation_data=validation_data,
                        callbacks=[*callbacks, recorder, snapshots])
    before, after = np.array(snapshots.before), np.array(snapshots.after)
    gradients = []
    for step, theta in enumerate(before):
        rows = slice(step % STEPS_PER_EPOCH * BATCH, (step % STEPS_PER_EPOCH + 1) * BATCH)
        residual = x[rows] @ theta[:D] + theta[D] - y[rows, 0]
        gradients.append(np.append(2 / BATCH * x[rows].T @ residual, 2 / BATCH * residual.sum()))
    return before, after - before, np.array(gradients), recorder, history, model


def rates_used(optimizer, callbacks=(), epochs=3, validation_data=None):
    """Plain SGD moves theta by -eta g: eta = -<delta, g> / <g, g> at every step; and its rtol."""
    _, deltas, grads, recorder, history, model = train_linear(optimizer, callbacks, epochs,
                                                              validation_data)
    rtol = USED_RTOL[str(deltas.dtype)]  # the weights' dtype as stored, not as declared
    rates = -np.sum(deltas * grads, axis=1) / np.sum(grads**2, axis=1)
    assert np.allclose(deltas, -rates[:, None] * grads, rtol=rtol, atol=1e-8 / rtol**0.5), (
        "the updates are not along the gradient")
    return rates, recorder, history, rtol


STEPS = np.arange(3 * STEPS_PER_EPOCH)


@pytest.mark.parametrize("name, make, expected", [
    ("power", lambda: (schk.PowerDecay(0.05, 2.0, 1.5), []), sch.power_lr(STEPS, 0.05, 2.0, 1.5)),
    ("exponential", lambda: (keras.optimizers.schedules.ExponentialDecay(0.05, 4, 0.1), []),
     sch.exponential_lr(STEPS, 0.05, 4)),
    ("1cycle schedule", lambda: (schk.OneCycle(12, 0.08), []),
     sch.one_cycle_lr(STEPS, 12, 0.008, 0.08)),
    ("1cycle callback", lambda: (0.5, [schk.OneCycleScheduler(0.08, cycle_momentum=False)]),
     sch.one_cycle_lr(STEPS, 12, 0.008, 0.08)),
    ("per-epoch callback", lambda: (0.5, [keras.callbacks.LearningRateScheduler(
        lambda epoch: sch.exponential_lr(epoch, 0.05, 2.0))]),
     sch.exponential_lr(STEPS // STEPS_PER_EPOCH, 0.05, 2.0)),
])
def test_sgd_steps_with_the_rate_of_the_schedule(name, make, expected):
    learning_rate, callbacks = make()
    used, recorder, _, rtol = rates_used(keras.optimizers.SGD(learning_rate), callbacks)
    np.testing.assert_allclose(used, expected, rtol=rtol, err_msg=name)
    np.testing.assert_allclose(recorder.learning_rates, expected, rtol=FLOAT32_RTOL, err_msg=name)
    assert recorder.momenta == [0.0] * len(STEPS) and recorder.steps_per_epoch == STEPS_PER_EPOCH


@pytest.mark.parametrize("patience", [1, 2])
def test_reduce_lr_on_plateau_uses_the_rates_of_plateau_lr(patience):
    # min_delta 10 makes every epoch after the first a non-improvement, so halvings must happen
    callback = keras.callbacks.ReduceLROnPlateau(factor=0.5, patience=patience, min_delta=10.0)
    x, y = linear_problem(seed=1)
    used, _, history, rtol = rates_used(keras.optimizers.SGD(0.05), [callback], epochs=5,
                                        validation_data=(x, y))
    per_epoch = sch.plateau_lr(history.history["val_loss"], 0.05, factor=0.5, patience=patience,
                             min_delta=10.0)
    assert per_epoch[-1] < 0.05
    np.testing.assert_allclose(used, np.repeat(per_epoch, STEPS_PER_EPOCH), rtol=rtol)


def test_one_cycle_scheduler_cycles_the_momentum_sgd_uses():
    callback = schk.OneCycleScheduler(0.06, anneal_fraction=0.2, max_momentum=0.95, min_momentum=0.5)
    before, deltas, grads, recorder, _, model = train_linear(
        keras.optimizers.SGD(0.01, momentum=0.9), [callback], epochs=4)
    steps = np.arange(len(before))
    rates = sch.one_cycle_lr(steps, len(steps), 0.006, 0.06, anneal_fraction=0.2)
    momenta = sch.one_cycle_momentum(steps, len(steps), 0.95, 0.5, anneal_fraction=0.2)
    np.testing.assert_allclose(recorder.momenta, momenta, rtol=FLOAT32_RTOL)
    # Keras' SGD: v <- m v - eta g, theta <- theta + v, so each step is m_t (last step) - eta_t g_t
    velocity = np.zeros(D + 1)
    for t in steps:
        velocity = momenta[t] * velocity - rates[t] * grads[t]
        np.testing.assert_allclose(deltas[t], velocity, rtol=1e-5, atol=1e-8, err_msg=f"step {t}")
    # after fit the momentum is a float again and the optimizer serializes
    assert model.optimizer.momentum == 0.9 and isinstance(model.optimizer.momentum, float)
    assert keras.optimizers.serialize(model.optimizer)["config"]["momentum"] == 0.9


def test_one_cycle_scheduler_works_on_an_already_trained_model_and_restores_the_momentum():
    # a first fit compiles the train step with momentum 0.9 baked in; the scheduler must not be
    # fooled by it, and a fit after it must use 0.9 again
    x, y = linear_problem()
    model = keras.Sequential([keras.Input((D,), dtype="float64"),
                              keras.layers.Dense(1, dtype="float64")])
    model.compile(keras.optimizers.SGD(0.01, momentum=0.9), "mse")
    model.fit(x, y, batch_size=BATCH, epochs=1, shuffle=False, verbose=0)

    def fit_and_check(callbacks, rates, momenta):
        snapshots = Snapshots()
        model.fit(x, y, batch_size=BATCH, epochs=2, shuffle=False, verbose=0,
                  callbacks=[*callbacks, snapshots])
        before, after = np.array(snapshots.before), np.array(snapshots.after)
        for t in range(1, len(before)):
            rows = slice(t % STEPS_PER_EPOCH * BATCH, (t % STEPS_PER_EPOCH + 1) * BATCH)
            residual = x[rows] @ before[t, :D] + before[t, D] - y[rows, 0]
            grad = np.append(2 / BATCH * x[rows].T @ residual, 2 / BATCH * residual.sum())
            step = momenta[t] * (after[t - 1] - before[t - 1]) - rates[t] * grad
            np.testing.assert_allclose(after[t] - before[t], step, rtol=1e-5, atol=1e-8,
                                       err_msg=f"step {t}")

    steps = np.arange(2 * STEPS_PER_EPOCH)
    fit_and_check([schk.OneCycleScheduler(0.05, min_momentum=0.5)],
                  sch.one_cycle_lr(steps, len(steps), 0.005, 0.05),
                  sch.one_cycle_momentum(steps, len(steps), 0.95, 0.5))
    # after it: the momentum it was created with, and the last rate the scheduler set
    last_rate = float(sch.one_cycle_lr(len(steps) - 1, len(steps), 0.005, 0.05))
    fit_and_check([], np.full(len(steps), last_rate), np.full(len(steps), 0.9))


def test_one_cycle_scheduler_cycles_beta_1_of_adam_and_the_model_still_saves(tmp_path):
    before, _, _, recorder, _, model = train_linear(keras.optimizers.Adam(0.01),
                                                    [schk.OneCycleScheduler(0.05)])
    steps = np.arange(len(before))
    np.testing.assert_allclose(recorder.momenta, sch.one_cycle_momentum(steps, len(steps)),
                               rtol=FLOAT32_RTOL)
    assert model.optimizer.beta_1 == 0.9
    model.save(tmp_path / "model.keras")
    restored = keras.models.load_model(tmp_path / "model.keras")
    np.testing.assert_array_equal(restored.predict(np.ones((2, D)), verbose=0),
                                  model.predict(np.ones((2, D)), verbose=0))


def test_one_cycle_scheduler_refuses_what_it_cannot_drive():
    x, y = linear_problem()

    def fit(optimizer, callback):
        model = keras.Sequential([keras.Input((D,)), keras.layers.Dense(1)])
        model.compile(optimizer, "mse")
        model.fit(x, y, epochs=1, verbose=0, callbacks=[callback])

    with pytest.raises(ValueError, match="compile with a float learning_rate"):
        fit(keras.optimizers.SGD(schk.PowerDecay(0.1, 10.0)), schk.OneCycleScheduler(0.1))
    with pytest.raises(ValueError, match="created with momentum=0"):
        fit(keras.optimizers.SGD(0.1), schk.OneCycleScheduler(0.1))
    with pytest.raises(ValueError, match="needs an optimizer with a momentum or beta_1.*Adagrad"):
        fit(keras.optimizers.Adagrad(0.1), schk.OneCycleScheduler(0.1))
    fit(keras.optimizers.Adagrad(0.1), schk.OneCycleScheduler(0.1, cycle_momentum=False))


def test_callbacks_serialize():
    callback = schk.OneCycleScheduler(0.2, total_steps=100, min_momentum=0.8)
    config = keras.saving.serialize_keras_object(callback)
    assert config["registered_name"] == "dlbook>OneCycleScheduler"
    restored = keras.saving.deserialize_keras_object(config)
    assert restored.get_config() == callback.get_config()
    recorder = keras.saving.deserialize_keras_object(
        keras.saving.serialize_keras_object(schk.LearningRateRecorder()))
    assert isinstance(recorder, schk.LearningRateRecorder)


JAX_SCRIPT = """
import json, sys, numpy as np, keras
from dlbook import schedules_keras as schk
rng = np.random.default_rng(0)
x, y = rng.normal(size=(16, 3)), rng.normal(size=(16, 1))
model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
model.compile(keras.optimizers.SGD(0.01, momentum=0.9), "mse")
recorder = schk.LearningRateRecorder()
weights = []
class Weights(keras.callbacks.Callback):
    def on_train_batch_end(self, batch, logs=None):
        weights.append(np.concatenate([w.ravel() for w in self.model.get_weights()]))
model.fit(x, y, batch_size=4, epochs=3, shuffle=False, verbose=0,
          callbacks=[schk.OneCycleScheduler(0.05, min_momentum=0.5), recorder, Weights()])
print(json.dumps({"backend": keras.backend.backend(), "rates": recorder.learning_rates,
                  "momenta": recorder.momenta, "weights": np.array(weights).tolist()}))
"""


@pytest.mark.slow
@pytest.mark.on_jax
def test_one_cycle_scheduler_drives_sgd_on_jax_too():
    result = run_on_jax(JAX_SCRIPT)
    assert result["backend"] == "jax"
    steps = np.arange(12)
    rates = sch.one_cycle_lr(steps, 12, 0.005, 0.05)
    momenta = sch.one_cycle_momentum(steps, 12, 0.95, 0.5)
    np.testing.assert_allclose(result["rates"], rates, rtol=FLOAT32_RTOL)
    np.testing.assert_allclose(result["momenta"], momenta, rtol=FLOAT32_RTOL)
    # Keras' SGD: each step is m_t (the step before) - eta_t g_t, g_t at the weights before it
    x, y = linear_problem()
    weights = np.array(result["weights"])  # after each step; float32 on the JAX side
    for t in range(2, 12):
        rows = slice(t % 4 * 4, (t % 4 + 1) * 4)
        theta = weights[t - 1]
        residual = x[rows] @ theta[:3] + theta[3] - y[rows, 0]
        grad = np.append(2 / 4 * x[rows].T @ residual, 2 / 4 * residual.sum())
        step = momenta[t] * (weights[t - 1] - weights[t - 2]) - rates[t] * grad
        np.testing.assert_allclose(weights[t] - weights[t - 1], step, rtol=1e-3, atol=1e-6,
                                   err_msg=f"step {t}")


# ---------------------------------------------------------------------------
# The learning-rate range test


def small_classifier():
    keras.utils.set_random_seed(1)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"),
                              keras.layers.Dense(3, activation="softmax")])
    model.compile(keras.optimizers.SGD(0.01, momentum=0.9), "sparse_categorical_crossentropy")
    rng = np.random.default_rng(2)
    x = rng.normal(size=(120, 4)).astype("float32")
    return model, x, (x[:, 0] > 0).astype(int) + (x[:, 1] > 0).astype(int)


def test_range_test_grows_the_rate_geometrically_and_restores_the_model():
    model, x, y = small_classifier()
    model.fit(x, y, epochs=1, verbose=0)  # the optimizer now has velocities and a step count
    weights = model.get_weights()
    state = [keras.ops.convert_to_numpy(v).copy() for v in model.optimizer.variables]
    lrs, losses = schk.lr_range_test(model, x, y, min_lr=1e-4, max_lr=1e-1, batch_size=10,
                                  stop_factor=100.0)
    assert lrs.shape == losses.shape == (12,)  # one pass of 120 / 10 batches: nothing diverged
    assert lrs[0] == pytest.approx(1e-4) and lrs[-1] == pytest.approx(1e-1)
    np.testing.assert_allclose(lrs[1:] / lrs[:-1], 10 ** (3 / 11), rtol=1e-12)
    assert np.all(np.isfinite(losses))
    for before, after in zip(weights, model.get_weights(), strict=True):
        np.testing.assert_array_equal(before, after)
    for before, after in zip(state, model.optimizer.variables, strict=True):
        np.testing.assert_array_equal(before, keras.ops.convert_to_numpy(after))


def test_range_test_stops_when_the_loss_explodes_and_can_plot():
    model, x, y = small_classifier()
    fig, ax = matplotlib.pyplot.subplots()
    lrs, losses = schk.lr_range_test(model, x, y, min_lr=1e-3, max_lr=1e4, batch_size=4, epochs=2,
                                  ax=ax)
    assert len(lrs) < 60 and np.all(np.diff(lrs) > 0)  # 2 x 30 batches planned
    assert losses[-1] > 4 * losses.min() or len(lrs) < 60
    assert ax.get_xscale() == "log" and "learning rate" in ax.get_xlabel()
    assert ax.get_ylabel() == "training loss"
    matplotlib.pyplot.close(fig)


def test_range_test_rejects_bad_arguments():
    model, x, y = small_classifier()
    uncompiled = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
    scheduled = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
    scheduled.compile(keras.optimizers.SGD(schk.PowerDecay(0.1, 10.0)), "mse")
    cases = [
        (dict(model="model"), TypeError, "model must be a keras.Model, got str"),
        (dict(model=uncompiled), ValueError, "model must be compiled"),
        (dict(model=scheduled), ValueError, "float learning_rate, not a schedule"),
        (dict(y=y[:-1]), ValueError, "x and y must hold the same number"),
        (dict(min_lr=1.0, max_lr=0.1), ValueError, "max_lr must be > min_lr"),
        (dict(batch_size=0), ValueError, "batch_size must be an int >= 1"),
        (dict(batch_size=120), ValueError, "needs at least 2 batches"),
        (dict(stop_factor=1.0), ValueError, r"stop_factor must be a finite number in \(1, inf\)"),
    ]
    for change, error, match in cases:
        kwargs = dict(model=model, x=x, y=y) | change
        with pytest.raises(error, match=match):
            schk.lr_range_test(**kwargs)


# ---------------------------------------------------------------------------
# The default configurations


def test_the_two_tables_say_what_the_chapter_says():
    default, selu = dn.DEFAULT_NETWORK, dn.SELF_NORMALIZING_NETWORK
    assert (default.kernel_initializer, default.activation) == ("he_normal", "elu")
    assert default.batch_norm_from is not None and default.l2 > 0
    assert default.early_stopping_patience is not None and default.schedule == "1cycle"
    assert {default.optimizer, *default.alternatives} == {"momentum", "rmsprop", "nadam"}
    assert (selu.kernel_initializer, selu.activation) == ("lecun_normal", "selu")
    assert selu.batch_norm_from is None and selu.dropout == "alpha_dropout"
    assert selu.standardize_inputs and not default.standardize_inputs
    rows = dn.config_rows(default)
    assert list(rows) == list(dn.config_rows(selu))
    assert "He normal" in rows["kernel initializer"] and "batch normalization" in rows["normalization"]
    assert "early stopping" in rows["regularization"] and "L2" in rows["regularization"]
    assert dn.config_rows(selu)["regularization"] == "alpha dropout (if needed)"
    with pytest.raises(ValueError, match="dropout_rate is 0.2 but dropout is None"):
        dn.NetworkConfig(**{**vars(default), "dropout_rate": 0.2})
    with pytest.raises(ValueError, match="optimizer must be one of"):
        dn.NetworkConfig(**{**vars(default), "optimizer": "adagrad"})


def dense_parameters(sizes):
    return sum((a + 1) * b for a, b in zip(sizes[:-1], sizes[1:], strict=True))


def test_build_from_config_default_network_deep_and_shallow():
    deep = dn.build_from_config(dn.DEFAULT_NETWORK, (8, 8), 10, n_hidden=6, n_neurons=20)
    kinds = [type(layer).__name__ for layer in deep.layers]
    assert kinds == ["Flatten"] + ["Dense", "BatchNormalization", "Activation"] * 6 + ["Dense"]
    hidden = [layer for layer in deep.layers if layer.name.startswith("hidden_")]
    assert all(not layer.use_bias for layer in hidden)
    assert all(isinstance(layer.kernel_initializer, keras.initializers.HeNormal) for layer in hidden)
    assert all(layer.get_config()["activation"] == "elu"
               for layer in deep.layers if type(layer).__name__ == "Activation")
    assert all(layer.kernel_regularizer.l2 == pytest.approx(1e-4) for layer in hidden)
    # Dense kernels without biases, 4 parameters per unit of batch normalization, the output layer
    expected = 64 * 20 + 5 * 20 * 20 + 6 * 4 * 20 + (20 + 1) * 10
    assert deep.count_params() == expected
    assert deep.output_shape == (None, 10)

    shallow = dn.build_from_config(dn.DEFAULT_NETWORK, 5, 1, n_hidden=2, n_neurons=7,
                                  output_activation=None)
    assert [type(layer).__name__ for layer in shallow.layers] == ["Dense"] * 3
    assert shallow.layers[0].get_config()["activation"] == "elu"
    assert shallow.count_params() == dense_parameters([5, 7, 7, 1])


def test_build_from_config_self_normalizing_network():
    model = dn.build_from_config(dn.SELF_NORMALIZING_NETWORK, 12, 3, n_hidden=8, n_neurons=16)
    assert [type(layer).__name__ for layer in model.layers] == ["Dense"] * 9
    hidden = model.layers[:-1]
    assert all(isinstance(layer.kernel_initializer, keras.initializers.LecunNormal)
               for layer in hidden)
    assert all(layer.get_config()["activation"] == "selu" and layer.kernel_regularizer is None
               for layer in hidden)
    assert model.count_params() == dense_parameters([12] + [16] * 8 + [3])
    dropped = dn.build_from_config(dn.SELF_NORMALIZING_NETWORK, 12, 3, n_hidden=2, n_neurons=16,
                                  dropout_rate=0.1)
    assert [type(layer).__name__ for layer in dropped.layers] == [
        "Dense", "AlphaDropout", "Dense", "AlphaDropout", "Dense"]
    assert dropped.layers[1].rate == 0.1 and dropped.count_params() == dense_parameters([12, 16, 16, 3])


def test_build_from_config_rejects_bad_arguments():
    with pytest.raises(TypeError, match="table must be a NetworkConfig"):
        dn.build_from_config({"activation": "elu"}, 4, 2, 1, 8)
    with pytest.raises(ValueError, match="input_shape must be a positive int or a tuple"):
        dn.build_from_config(dn.DEFAULT_NETWORK, (4, 0), 2, 1, 8)
    with pytest.raises(ValueError, match="n_neurons must be an int >= 1"):
        dn.build_from_config(dn.DEFAULT_NETWORK, 4, 2, 1, 0)
    with pytest.raises(ValueError, match="has no dropout layer"):
        dn.build_from_config(dn.DEFAULT_NETWORK, 4, 2, 1, 8, dropout_rate=0.2)
    with pytest.raises(ValueError, match="choice must be one of"):
        dn.optimizer_from_config(dn.DEFAULT_NETWORK, 0.01, choice="adagrad")


@pytest.mark.parametrize("table", [dn.DEFAULT_NETWORK, dn.SELF_NORMALIZING_NETWORK],
                         ids=["default", "self-normalizing"])
def test_configured_networks_round_trip_and_learn(table, tmp_path):
    keras.utils.set_random_seed(3)
    rng = np.random.default_rng(3)
    x = rng.normal(2.0, 3.0, size=(160, 6))
    y = (x[:, 0] + x[:, 1] > 4).astype(int)
    (x_std,) = dn.standardize(x) if table.standardize_inputs else (x.astype("float32"),)
    model = dn.build_from_config(table, 6, 2, n_hidden=5, n_neurons=16,
                                dropout_rate=0.1 if table.dropout else None)
    model.compile(dn.optimizer_from_config(table, 0.01), "sparse_categorical_crossentropy")

    def loss():  # with the batch's statistics: after 32 steps the running ones (momentum 0.99) have
        # not settled, and an inference-mode loss would measure them, not the weights (chapter 8)
        losses = keras.losses.sparse_categorical_crossentropy(y, model(x_std, training=True))
        return float(keras.ops.convert_to_numpy(keras.ops.mean(losses)))

    loss_before = loss()
    callbacks = dn.callbacks_from_config(table, max_learning_rate=0.05)
    assert [type(c).__name__ for c in callbacks] == (
        ["EarlyStopping"] * (table.early_stopping_patience is not None) + ["OneCycleScheduler"])
    model.fit(x_std, y, epochs=8, batch_size=32, validation_split=0.25, verbose=0,
              callbacks=callbacks)
    assert loss() < 0.7 * loss_before
    model.save(tmp_path / "net.keras")
    restored = keras.models.load_model(tmp_path / "net.keras")
    assert restored.count_params() == model.count_params()
    np.testing.assert_allclose(restored.predict(x_std[:5], verbose=0),
                               model.predict(x_std[:5], verbose=0), rtol=1e-6)


def test_optimizer_from_config_keeps_a_momentum_to_cycle():
    sgd = dn.optimizer_from_config(dn.DEFAULT_NETWORK, 0.02)
    assert isinstance(sgd, keras.optimizers.SGD) and sgd.momentum == 0.9
    assert dn.optimizer_from_config(dn.DEFAULT_NETWORK, choice="rmsprop").momentum == 0.9
    assert dn.optimizer_from_config(dn.SELF_NORMALIZING_NETWORK, choice="nadam").beta_1 == 0.9


def test_standardize_uses_the_training_statistics_only():
    rng = np.random.default_rng(4)
    train = rng.normal(5.0, 2.0, size=(200, 3, 2))
    train[:, 0, 0] = 7.0  # a constant feature (an always-black pixel)
    test = rng.normal(5.0, 2.0, size=(50, 3, 2))
    train_std, test_std = dn.standardize(train, test)
    assert train_std.dtype == np.float32 and test_std.shape == (50, 3, 2)
    np.testing.assert_allclose(train_std.mean(axis=0), 0.0, atol=1e-5)
    np.testing.assert_allclose(train_std.std(axis=0)[1:], 1.0, rtol=1e-5)
    np.testing.assert_allclose(train_std[:, 0, 0], 0.0)
    mean, std = train.mean(axis=0), train.std(axis=0)
    np.testing.assert_allclose(test_std[:, 1:], (test - mean)[:, 1:] / std[1:], rtol=1e-5)
    with pytest.raises(ValueError, match=r"others\[0\] must have shape"):
        dn.standardize(train, test[:, :2])
    with pytest.raises(ValueError, match=r"x_train must have shape \(N, \.\.\.\) with N >= 2"):
        dn.standardize(np.ones(5))
