"""dlbook.training.fit: the chapters' training path (model.fit, and the compiled JAX loop)."""


import keras
import numpy as np
import pytest

from dlbook import autoencoders, backend, training
from tests.jax_run import run_on_jax


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


@pytest.mark.skipif(backend.name() == "jax", reason="the default backend's path")
def test_other_backends_use_model_fit_and_say_why(monkeypatch):
    monkeypatch.setenv(training.FAST_FIT_ENV, "1")  # only JAX has the compiled loop
    history = training.fit(small_model(), np.zeros((8, 3)), np.zeros((8, 1)), epochs=1)
    assert history.training_path == training.KERAS_PATH == "model.fit"
    assert f"backend is {backend.name()!r}" in history.fallback_reason
    with pytest.raises(ValueError, match="fast=True cannot train .* not 'jax'"):
        training.fit(small_model(), np.zeros((8, 3)), np.zeros((8, 1)), epochs=1, fast=True)
    assert backend.accelerator() is None  # the test machines have none


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


@pytest.mark.parametrize(("name", "value", "error", "match"), [
    ("epochs", 0, ValueError, "epochs must be an int >= 1, got 0"),
    ("epochs", -1, ValueError, "epochs must be an int >= 1, got -1"),
    ("epochs", 2.5, TypeError, "epochs must be an int, got float"),
    ("epochs", True, TypeError, "epochs must be an int, got bool"),
    ("batch_size", 0, ValueError, "batch_size must be an int >= 1, got 0"),
    ("batch_size", "32", TypeError, "batch_size must be an int, got str"),
])
def test_epochs_and_batch_size_must_be_positive_ints(name, value, error, match):
    kwargs = {"epochs": 1, name: value}
    with pytest.raises(error, match=match):
        training.fit(small_model(), np.zeros((4, 3)), np.zeros((4, 1)), **kwargs)


@pytest.mark.parametrize(("kwargs", "error", "match"), [
    ({"fast": "yes"}, TypeError, "fast must be a bool, got str"),
    ({"callbacks": keras.callbacks.History()}, TypeError, "callbacks must be a list .* got History"),
    ({"callbacks": [print]}, TypeError, "callbacks must hold keras.callbacks.Callback .* got builtin"),
])
def test_bad_options_are_named(kwargs, error, match):
    with pytest.raises(error, match=match):
        training.fit(small_model(), np.zeros((4, 3)), np.zeros((4, 1)), epochs=1, **kwargs)


@pytest.mark.parametrize("value", ["yes", "2", "true"])
def test_a_bad_fast_fit_variable_is_named(monkeypatch, value):
    monkeypatch.setenv(training.FAST_FIT_ENV, value)
    with pytest.raises(ValueError, match=f"DLBOOK_FAST_FIT must be one of '0', '1' or 'auto', got '{value}'"):
        training.fit(small_model(), np.zeros((4, 3)), np.zeros((4, 1)), epochs=1)


@pytest.mark.parametrize(("value", "expected"), [("1", True), ("0", False), ("auto", None), (" AUTO ", None)])
def test_the_fast_fit_variable_is_read(monkeypatch, value, expected):
    monkeypatch.setenv(training.FAST_FIT_ENV, value)
    assert training.fast_fit_setting() is expected


# ---------------------------------------------------------------------------
# The compiled JAX loop, run under KERAS_BACKEND=jax on the CPU (forced on) in a subprocess

JAX_SCRIPT = r"""
import json, os, tempfile
import numpy as np
import keras
from dlbook import backend, training

def classifier(optimizer):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(16, activation="relu"),
                              keras.layers.BatchNormalization(), keras.layers.Dropout(0.3),
                              keras.layers.Dense(3, activation="softmax")])
    model.compile(optimizer, "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model

rng = np.random.default_rng(0)
x = rng.normal(size=(203, 5))  # float64 on purpose; 203 = 12 batches of 16 + one of 11
y = (x[:, 0] > 0).astype(int) + (x[:, 1] > 0)
val = (x[:50], y[:50])

def pair(fit_kwargs, optimizer=lambda: keras.optimizers.SGD(0.1)):
    # the same model and seed trained by the compiled loop (forced) and by model.fit
    out = {}
    for name, fast in (("compiled", True), ("keras", False)):
        model = classifier(optimizer())
        history = training.fit(model, x, y, fast=fast, **fit_kwargs)
        out[name] = {"history": history.history, "path": history.training_path,
                     "weights": [w.tolist() for w in model.get_weights()],
                     "names": [v.name for v in model.weights],
                     "iterations": int(model.optimizer.iterations)}
    return out

result = {"backend": backend.name(), "accelerator": backend.accelerator()}
common = {"epochs": 3, "batch_size": 16, "shuffle": False, "validation_data": val}
result["agree"] = pair(common)
plan = training._block_plan
training._block_plan = lambda: (None, 1)  # an accelerator's plan: one rolled scan an epoch
result["agree_rolled"] = pair(common)
training._block_plan = plan
result["plateau"] = pair({"epochs": 4, "batch_size": 32, "shuffle": False, "callbacks": [
    keras.callbacks.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=0, min_delta=10.0)]})

def regression(seed):
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(16, activation="tanh"),
                              keras.layers.Dense(1)])
    model.compile(keras.optimizers.Adam(0.02), "mse")
    return model

xr = rng.normal(size=(256, 3)).astype("float32")
yr = (np.sin(xr[:, 0]) + 0.5 * xr[:, 1] * xr[:, 2])[:, None]
os.environ["DLBOOK_FAST_FIT"] = "1"  # forced on through the environment this time
runs = []
for seed in (1, 1, 2):
    model = regression(seed)
    before = [w.copy() for w in model.get_weights()]
    history = training.fit(model, xr, yr, epochs=30, batch_size=32)
    runs.append({"loss": history.history["loss"], "path": history.training_path,
                 "reason": history.fallback_reason,
                 "change": max(float(np.abs(a - b).max()) for a, b in zip(before, model.get_weights())),
                 "evaluate": float(model.evaluate(xr, yr, verbose=0)),
                 "iterations": int(model.optimizer.iterations),
                 "weights": [w.tolist() for w in model.get_weights()]})
    if len(runs) == 1:
        path = os.path.join(tempfile.mkdtemp(), "m.keras")
        model.save(path)
        again = keras.models.load_model(path)
        runs[0]["reload_difference"] = float(np.abs(again.predict(xr, verbose=0)
                                                    - model.predict(xr, verbose=0)).max())
result["runs"] = runs

stopper = keras.callbacks.EarlyStopping(monitor="loss", patience=1, min_delta=10.0)
history = training.fit(regression(3), xr, yr, epochs=10, batch_size=32, callbacks=[stopper])
result["early"] = {"epochs": len(history.history["loss"]), "path": history.training_path}

class PerBatch(keras.callbacks.Callback):
    def on_train_batch_end(self, batch, logs=None):
        pass

history = training.fit(regression(3), xr, yr, epochs=1, callbacks=[PerBatch()])
result["per_batch"] = {"path": history.training_path, "reason": history.fallback_reason}
errors = {}
for name, kwargs in {"per_batch": {"callbacks": [PerBatch()]},
                     "val_lengths": {"validation_data": (xr[:5], yr[:4])},
                     "val_form": {"validation_data": [xr[:5], yr[:5]]}}.items():
    try:
        training.fit(regression(3), xr, yr, epochs=1, fast=True, **kwargs)
    except (TypeError, ValueError) as error:
        errors[name] = str(error)
eager = regression(3)
eager.compile("sgd", "mse", run_eagerly=True)
try:
    training.fit(eager, xr, yr, epochs=1, fast=True)
except ValueError as error:
    errors["eager"] = str(error)
result["errors"] = errors
del os.environ["DLBOOK_FAST_FIT"]
history = training.fit(regression(3), xr, yr, epochs=1)
result["auto"] = {"path": history.training_path, "reason": history.fallback_reason}
print(json.dumps(result))
"""


@pytest.fixture(scope="module")
def jax_run():
    return run_on_jax(JAX_SCRIPT, unset=(training.FAST_FIT_ENV,))


def assert_same_training(pair, rtol=1e-5, atol=1e-6):
    compiled, keras_fit = pair["compiled"], pair["keras"]
    assert compiled["path"] == "compiled_jax" and keras_fit["path"] == "model.fit"
    assert sorted(compiled["history"]) == sorted(keras_fit["history"])
    for name, values in keras_fit["history"].items():
        np.testing.assert_allclose(compiled["history"][name], values, rtol=rtol, atol=atol, err_msg=name)
    assert compiled["names"] == keras_fit["names"]  # the model's weights list is left as it was
    for mine, theirs in zip(compiled["weights"], keras_fit["weights"], strict=True):
        np.testing.assert_allclose(mine, theirs, rtol=rtol, atol=atol)
    assert compiled["iterations"] == keras_fit["iterations"]


@pytest.mark.slow
@pytest.mark.on_jax
def test_the_compiled_loop_trains_exactly_as_model_fit(jax_run):
    # SGD, no shuffle, dropout, BatchNormalization, a metric, validation, a partial last batch:
    # the same steps in the same order, so the same numbers up to float32 rounding
    assert jax_run["backend"] == "jax" and jax_run["accelerator"] is None
    for case in ("agree", "agree_rolled"):
        assert_same_training(jax_run[case])
        history = jax_run[case]["compiled"]["history"]
        assert sorted(history) == ["accuracy", "loss", "val_accuracy", "val_loss"]
        assert jax_run[case]["compiled"]["iterations"] == 3 * 13
        assert history["loss"][-1] < history["loss"][0]


@pytest.mark.slow
@pytest.mark.on_jax
def test_a_learning_rate_changed_by_a_callback_reaches_the_compiled_loop(jax_run):
    assert_same_training(jax_run["plateau"])
    # min_delta=10: only epoch 0 improves (on infinity); the halving after each later epoch shows in
    # the next epoch's logged rate, and the losses above agree only if the loop trained with it
    rates = jax_run["plateau"]["compiled"]["history"]["learning_rate"]
    np.testing.assert_allclose(rates, [0.1 * 0.5 ** max(0, epoch - 1) for epoch in range(4)], rtol=1e-6)


@pytest.mark.slow
@pytest.mark.on_jax
def test_the_compiled_loop_lowers_the_loss_and_leaves_the_trained_weights_in_the_model(jax_run):
    run = jax_run["runs"][0]
    assert run["path"] == "compiled_jax" and run["reason"] is None  # DLBOOK_FAST_FIT=1
    assert run["loss"][-1] < 0.3 * run["loss"][0]
    assert run["change"] > 0.01
    assert run["iterations"] == 30 * 8
    # evaluate sees the trained weights: near the last epoch's running mean, far below the first
    assert abs(run["evaluate"] - run["loss"][-1]) < 0.2 * run["loss"][-1]
    assert run["reload_difference"] < 1e-6  # and the model still saves and loads


@pytest.mark.slow
@pytest.mark.on_jax
def test_the_compiled_loop_is_deterministic_under_a_seed(jax_run):
    first, again, other = jax_run["runs"]
    assert first["loss"] == again["loss"] and first["weights"] == again["weights"]
    assert first["loss"] != other["loss"]


@pytest.mark.slow
@pytest.mark.on_jax
def test_early_stopping_stops_the_compiled_loop(jax_run):
    assert jax_run["early"] == {"epochs": 2, "path": "compiled_jax"}


@pytest.mark.slow
@pytest.mark.on_jax
def test_unsupported_calls_fall_back_or_are_errors(jax_run):
    assert jax_run["per_batch"]["path"] == "model.fit"
    assert "callback PerBatch has a on_train_batch_end hook" in jax_run["per_batch"]["reason"]
    errors = jax_run["errors"]
    assert errors["per_batch"].startswith("fast=True cannot train this call with the compiled JAX loop")
    assert "in x_val and y_val, got 5 and 4" in errors["val_lengths"]
    assert "validation_data is not a pair (x_val, y_val) of NumPy arrays" in errors["val_form"]
    assert "model.run_eagerly is True" in errors["eager"]
    # unforced on a CPU, the chapters keep model.fit
    assert jax_run["auto"]["path"] == "model.fit" and "JAX computes on the CPU" in jax_run["auto"]["reason"]


# ---------------------------------------------------------------------------
# On a GPU (benchmarks/gpu_check.sh runs this file there under KERAS_BACKEND=jax)


def dropout_classifier():
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(32, activation="relu"),
                              keras.layers.BatchNormalization(), keras.layers.Dropout(0.3),
                              keras.layers.Dense(3, activation="softmax")])
    model.compile(keras.optimizers.SGD(0.1), "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


@pytest.mark.skipif(backend.name() != "jax" or backend.accelerator() is None,
                    reason="needs KERAS_BACKEND=jax on an accelerator")
def test_on_an_accelerator_the_compiled_loop_is_the_default_and_matches_model_fit(monkeypatch):
    monkeypatch.delenv(training.FAST_FIT_ENV, raising=False)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(1000, 5)).astype("float32")
    y = (x[:, 0] > 0).astype(int) + (x[:, 1] > 0)
    kwargs = {"epochs": 3, "batch_size": 64, "shuffle": False, "validation_data": (x[:200], y[:200])}
    compiled = training.fit(dropout_classifier(), x, y, **kwargs)
    plain = training.fit(dropout_classifier(), x, y, fast=False, **kwargs)
    assert compiled.training_path == "compiled_jax" and compiled.fallback_reason is None
    assert sorted(compiled.history) == sorted(plain.history)
    for name, values in plain.history.items():
        # the same steps; a GPU's compiled programs may order float32 sums differently (TF32 too)
        np.testing.assert_allclose(compiled.history[name], values, rtol=2e-3, atol=2e-3, err_msg=name)
    assert compiled.history["loss"][-1] < compiled.history["loss"][0]


def test_predict_calls_the_model_in_chunks_without_training_behaviour():
    model = autoencoders.build_dense_autoencoder(6, [4], 2, noise_std=1.0)  # noise only in training
    x = np.random.default_rng(0).random((7, 6))
    out = training.predict(model, x, batch_size=3)
    assert out.shape == (7, 6) and out.dtype == np.float64
    np.testing.assert_allclose(out, model.predict(x.astype("float32"), verbose=0), rtol=1e-5)
    with pytest.raises(TypeError, match="model must be a keras.Model"):
        training.predict("model", x)
    with pytest.raises(ValueError, match=r"x must be a non-empty batch"):
        training.predict(model, np.ones((0, 6)))
