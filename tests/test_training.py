"""dlbook.training.fit: the chapters' training path."""

import keras
import numpy as np
import pytest

from dlbook import training


def small_model():
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(8, activation="relu"),
                              keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
    return model


def test_fit_trains_and_returns_the_history():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(128, 3)).astype("float32")
    y = (x @ np.array([1.0, -2.0, 0.5]))[:, None].astype("float32")
    history = training.fit(small_model(), x, y, epochs=20, batch_size=16,
                           validation_data=(x[:32], y[:32]))
    losses = history.history["loss"]
    assert len(losses) == 20 and losses[-1] < 0.5 * losses[0]
    assert "val_loss" in history.history


def test_an_uncompiled_model_is_a_clear_error():
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    with pytest.raises(ValueError, match="model must be compiled"):
        training.fit(model, np.zeros((4, 3)), np.zeros((4, 1)), epochs=1)


@pytest.mark.parametrize(("x", "y", "match"), [
    ([[0.0, 0.0, 0.0]], np.zeros((1, 1)), "x must be a NumPy array"),
    (np.zeros((4, 3)), np.zeros((3, 1)), "same number of examples"),
    (np.zeros((0, 3)), np.zeros((0, 1)), "at least one example"),
])
def test_bad_arrays_are_named(x, y, match):
    with pytest.raises((TypeError, ValueError), match=match):
        training.fit(small_model(), x, y, epochs=1)


@pytest.mark.parametrize("epochs", [0, -1, 2.5, True])
def test_epochs_must_be_a_positive_int(epochs):
    with pytest.raises(ValueError, match="epochs must be a positive int"):
        training.fit(small_model(), np.zeros((4, 3)), np.zeros((4, 1)), epochs=epochs)
