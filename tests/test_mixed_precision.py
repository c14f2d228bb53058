"""dlbook.mixed_precision: training.fit in bfloat16 mixed precision, and back to float32 afterwards."""

import keras
import numpy as np
import pytest

from dlbook import data, mixed_precision, training
from tests.jax_run import run_on_jax

#: The stated tolerance: the same short run in float32 and in mixed bfloat16 (7-bit mantissa,
#: a relative rounding of 2**-8 per operation) gives per-epoch losses within 5 % of each other.
LOSS_RTOL = 0.05


def digits_classifier(dtype=None):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((64,)), keras.layers.Dense(64, activation="relu", dtype=dtype),
                              keras.layers.Dense(32, activation="relu", dtype=dtype),
                              keras.layers.Dense(10, activation="softmax", dtype=dtype)])
    model.compile(keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


class ComputeDtypes(keras.callbacks.Callback):
    """Records each layer's compute dtype while the model trains."""

    def on_epoch_end(self, epoch, logs=None):
        self.seen = [layer.compute_dtype for layer in self.model.layers]


@pytest.fixture(scope="module")
def digits():
    split = data.load_digits()
    return split.x_train.reshape(-1, 64).astype("float32"), split.y_train


@pytest.fixture(scope="module")
def both(digits):
    x, y = digits
    runs = {}
    for precision in ("float32", "mixed_bfloat16"):
        model, dtypes = digits_classifier(), ComputeDtypes()
        history = training.fit(model, x, y, epochs=5, batch_size=32, shuffle=False, callbacks=[dtypes],
                               precision=precision)
        runs[precision] = {"model": model, "history": history, "during": dtypes.seen}
    return runs


def test_the_same_run_in_bfloat16_and_float32_agrees_within_the_stated_tolerance(both):
    full, mixed = (both[p]["history"].history["loss"] for p in ("float32", "mixed_bfloat16"))
    np.testing.assert_allclose(mixed, full, rtol=LOSS_RTOL)
    assert mixed[-1] < 0.5 * mixed[0]  # it learns
    assert mixed != full  # and it really computed in bfloat16


def test_inner_layers_compute_in_bfloat16_during_fit_and_the_output_layer_in_float32(both):
    assert both["mixed_bfloat16"]["during"] == ["bfloat16", "bfloat16", "float32"]
    assert both["float32"]["during"] == ["float32"] * 3
    assert both["mixed_bfloat16"]["history"].precision == "mixed_bfloat16"
    assert both["float32"]["history"].precision == "float32"


def test_after_fit_the_model_is_float32_again(both, digits):
    model = both["mixed_bfloat16"]["model"]
    assert [layer.compute_dtype for layer in model.layers] == ["float32"] * 3
    assert {w.dtype for w in model.weights} == {"float32"}  # the master weights never left float32
    assert model.predict(digits[0][:4], verbose=0).dtype == np.float32


@pytest.mark.parametrize("layer", [keras.layers.LSTM(4), keras.layers.Bidirectional(keras.layers.LSTM(4))])
def test_an_lstm_stays_float32_for_cudnn_and_the_layers_around_it_compute_in_bfloat16(layer, digits):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((8, 8)), keras.layers.Dense(8), layer, keras.layers.Dense(16),
                              keras.layers.Dense(10, activation="softmax")])
    model.compile(keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy")
    x, y = digits
    history = training.fit(model, x.reshape(-1, 8, 8), y, epochs=1, callbacks=[dtypes := ComputeDtypes()],
                           precision="mixed_bfloat16")
    assert dtypes.seen == ["bfloat16", "float32", "bfloat16", "float32"]
    assert {sub.compute_dtype for sub in layer._flatten_layers()} == {"float32"}  # the cells too
    assert np.isfinite(history.history["loss"][0])


def test_auto_is_float32_without_fast_bfloat16_and_the_variable_is_read(monkeypatch):
    monkeypatch.setattr(mixed_precision.backend, "fast_bfloat16", lambda: False)  # the CPU, or a GPU
    monkeypatch.delenv(mixed_precision.PRECISION_ENV, raising=False)           # before Ampere
    assert mixed_precision.resolve(None) == "float32"
    assert mixed_precision.resolve("auto") == "float32"
    monkeypatch.setenv(mixed_precision.PRECISION_ENV, " Mixed_BFloat16 ")
    assert mixed_precision.resolve(None) == "mixed_bfloat16"
    assert mixed_precision.resolve("float32") == "float32"  # the argument wins


@pytest.mark.parametrize(("precision", "error", "match"), [
    ("float16", ValueError,
     r"precision must be one of \('auto', 'float32', 'mixed_bfloat16'\), got 'float16'"),
    (16, TypeError, "precision must be one of .* got int"),
])
def test_a_bad_precision_is_named(precision, error, match, digits):
    with pytest.raises(error, match=match):
        training.fit(digits_classifier(), *digits, epochs=1, precision=precision)


def test_a_bad_variable_is_named(monkeypatch, digits):
    monkeypatch.setenv(mixed_precision.PRECISION_ENV, "half")
    with pytest.raises(ValueError, match="DLBOOK_PRECISION must be one of .* got 'half'"):
        training.fit(digits_classifier(), *digits, epochs=1)


def test_a_float64_model_is_refused_in_bfloat16(digits):
    model = digits_classifier(dtype="float64")
    with pytest.raises(ValueError, match=r"needs a model with float32 weights, got \['float64'\]"):
        training.fit(model, *digits, epochs=1, precision="mixed_bfloat16")


JAX_SCRIPT = r"""
import json
import keras
import numpy as np
from dlbook import data, training

split = data.load_digits()
x, y = split.x_train.reshape(-1, 64).astype("float32"), split.y_train
out = {}
for precision in ("float32", "mixed_bfloat16"):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((64,)), keras.layers.Dense(64, activation="relu"),
                              keras.layers.Dense(10, activation="softmax")])
    model.compile(keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy")
    history = training.fit(model, x, y, epochs=4, batch_size=32, shuffle=False, fast=True,
                           precision=precision)
    out[precision] = {"loss": history.history["loss"], "path": history.training_path,
                      "after": [layer.compute_dtype for layer in model.layers]}
print(json.dumps(out))
"""


@pytest.mark.slow
@pytest.mark.on_jax
def test_the_compiled_jax_loop_trains_in_bfloat16_within_the_stated_tolerance():
    runs = run_on_jax(JAX_SCRIPT, unset=(training.FAST_FIT_ENV, mixed_precision.PRECISION_ENV))
    full, mixed = runs["float32"], runs["mixed_bfloat16"]
    assert full["path"] == mixed["path"] == "compiled_jax"
    np.testing.assert_allclose(mixed["loss"], full["loss"], rtol=LOSS_RTOL)
    assert mixed["loss"] != full["loss"] and mixed["loss"][-1] < 0.5 * mixed["loss"][0]
    assert mixed["after"] == ["float32", "float32"]


def test_auto_is_bfloat16_on_a_fast_accelerator_for_a_float32_model_only(monkeypatch):
    monkeypatch.delenv(mixed_precision.PRECISION_ENV, raising=False)
    monkeypatch.setattr(mixed_precision.backend, "fast_bfloat16", lambda: True)
    assert mixed_precision.resolve("auto", digits_classifier()) == "mixed_bfloat16"
    assert mixed_precision.resolve(None) == "mixed_bfloat16"
    assert mixed_precision.resolve("auto", digits_classifier(dtype="float64")) == "float32"
