"""Tests for dlbook.callbacks.ValTrainRatioCallback."""

import re

import keras
import numpy as np
import pytest

from dlbook.callbacks import ValTrainRatioCallback

LINE = re.compile(r"^Epoch (\d+): val/train loss = (\d+\.\d{2})$")


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(96, 3)).astype("float32")
    y = (x @ np.array([1.0, -2.0, 0.5], dtype="float32")).reshape(-1, 1)
    return x[:64], y[:64], x[64:], y[64:]


def fit(callback, data, epochs=4, validation=True):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, activation="relu"),
                              keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x, y, x_val, y_val = data
    return model.fit(x, y, validation_data=(x_val, y_val) if validation else None,
                     epochs=epochs, batch_size=16, verbose=0, callbacks=[callback])


def test_recorded_ratios_are_val_loss_over_loss_from_the_history(data, capsys):
    callback = ValTrainRatioCallback(verbose=False)
    history = fit(callback, data).history
    expected = [v / t for v, t in zip(history["val_loss"], history["loss"], strict=True)]
    assert callback.ratios == pytest.approx(expected, rel=1e-12)
    assert len(callback.ratios) == 4
    assert capsys.readouterr().out == ""


def test_prints_one_line_per_epoch_with_the_ratio(data, capsys):
    callback = ValTrainRatioCallback()
    fit(callback, data, epochs=3)
    lines = capsys.readouterr().out.splitlines()
    matches = [LINE.match(line) for line in lines]
    assert len(lines) == 3 and all(matches), lines
    assert [int(m.group(1)) for m in matches] == [1, 2, 3]
    assert [float(m.group(2)) for m in matches] == [round(r, 2) for r in callback.ratios]


def test_digits_sets_the_printed_precision(data, capsys):
    fit(ValTrainRatioCallback(digits=4), data, epochs=1)
    assert re.fullmatch(r"Epoch 1: val/train loss = \d+\.\d{4}\n", capsys.readouterr().out)


def test_a_new_fit_starts_a_new_record(data):
    callback = ValTrainRatioCallback(verbose=False)
    fit(callback, data, epochs=3)
    fit(callback, data, epochs=2)
    assert len(callback.ratios) == 2


def test_config_round_trip_keeps_the_settings():
    callback = ValTrainRatioCallback(verbose=False, digits=3)
    assert callback.get_config() == {"verbose": False, "digits": 3}
    clone = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(callback))
    assert isinstance(clone, ValTrainRatioCallback)
    assert (clone.verbose, clone.digits) == (False, 3)


def test_without_validation_data_it_says_what_is_missing(data):
    with pytest.raises(ValueError, match="needs validation data: the epoch logs have no 'val_l"):
        fit(ValTrainRatioCallback(), data, epochs=1, validation=False)


@pytest.mark.parametrize("kwargs, error, match", [
    ({"verbose": 1}, TypeError, "verbose must be a bool, got int"),
    ({"digits": -1}, ValueError, "digits must be an int >= 0, got -1"),
    ({"digits": 11}, ValueError, r"digits must be an int in \[0, 10\], got 11"),
    ({"digits": 2.0}, TypeError, "digits must be an int, got float"),
])
def test_rejects_bad_settings(kwargs, error, match):
    with pytest.raises(error, match=match):
        ValTrainRatioCallback(**kwargs)
