"""dlbook.multi_device: data-parallel training.fit with keras.distribution, on 4 virtual CPU devices."""

import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest

from dlbook import backend, multi_device, training
from tests.jax_run import ROOT

#: The stated tolerance: 1 and 4 devices take the same SGD steps; only the order in which the
#: all-reduce adds the shards' gradients differs, so the weights agree to float32 rounding.
WEIGHT_ATOL = 1e-5


@pytest.mark.slow
@pytest.mark.on_jax
def test_four_virtual_devices_train_the_chapter_cnn_to_the_weights_of_one():
    result = multi_device.on_virtual_cpu_devices(4, steps=4, batch_size=32)
    assert result["devices"] == [1, 4]
    assert result["max_weight_difference"] < WEIGHT_ATOL
    one, many = result["loss"]
    assert abs(one - many) < 1e-5 * abs(one)


SCRIPT = r"""
import json
import jax
import keras
import numpy as np
from dlbook import training

class Placement(keras.callbacks.Callback):
    def on_epoch_end(self, epoch, logs=None):
        self.devices = len(self.model.trainable_variables[0].value.sharding.device_set)

def model():
    keras.utils.set_random_seed(0)
    m = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"),
                          keras.layers.Dense(1)])
    m.compile(keras.optimizers.SGD(0.1), "mse", metrics=["mae"])
    return m

rng = np.random.default_rng(0)
x = rng.normal(size=(96, 4)).astype("float32")
y = x.sum(axis=1, keepdims=True)
out = {"jax_devices": len(jax.devices())}
m, placement = model(), Placement()
history = training.fit(m, x, y, epochs=2, batch_size=16, data_parallel=True, callbacks=[placement],
                       validation_data=(x[:32], y[:32]))
out["parallel"] = {"devices": history.devices, "during": placement.devices, "path": history.training_path,
                   "after": len(m.trainable_variables[0].value.sharding.device_set),
                   "keys": sorted(history.history), "distribution": keras.distribution.distribution() is None}
out["predict"] = m.predict(x[:3], verbose=0).shape[0]
history = training.fit(m, x, y, epochs=1, batch_size=16)  # one device again, the same model
out["auto"] = {"devices": history.devices, "reason": history.fallback_reason}
errors = {}
for name, (rows, kwargs) in {"batch": (96, {"batch_size": 18}), "last": (94, {"batch_size": 16}),
                             "val": (96, {"batch_size": 16, "validation_data": (x[:30], y[:30])}),
                             "fast": (96, {"batch_size": 16, "fast": True})}.items():
    try:
        training.fit(model(), x[:rows], y[:rows], epochs=1, data_parallel=True, **kwargs)
    except ValueError as error:
        errors[name] = str(error)
out["errors"] = errors
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def four_devices():
    env = {**os.environ, **multi_device.virtual_devices_env(4)}
    env.pop(training.FAST_FIT_ENV, None)
    out = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.slow
@pytest.mark.on_jax
def test_fit_spreads_the_model_over_the_devices_and_gathers_it_back(four_devices):
    assert four_devices["jax_devices"] == 4
    parallel = four_devices["parallel"]
    assert parallel["devices"] == 4 and parallel["during"] == 4 and parallel["after"] == 1
    assert parallel["path"] == "model.fit"
    assert parallel["keys"] == ["loss", "mae", "val_loss", "val_mae"]
    assert parallel["distribution"]  # no distribution left set after the call
    assert four_devices["predict"] == 3
    # on the CPU, automatic means one device (only several accelerators turn it on)
    assert four_devices["auto"]["devices"] == 1


@pytest.mark.slow
@pytest.mark.on_jax
def test_batches_that_do_not_split_over_the_devices_are_named(four_devices):
    errors = four_devices["errors"]
    assert errors["batch"] == "batch_size=18 does not split over 4 devices: use a multiple of 4"
    assert errors["last"].startswith("the last batch of x (94 rows, batch_size=16) holds 14 rows, which "
                                     "do not split over 4 devices: make the number of rows a multiple of 4")
    assert "x_val (30 rows, batch_size=16) holds 14 rows, which do not split over 4 devices" in errors["val"]
    assert "data-parallel training on 4 devices goes through model.fit" in errors["fast"]


def test_data_parallel_needs_the_jax_backend(monkeypatch):
    if backend.name() == "jax":
        pytest.skip("the other backends' refusal")
    with pytest.raises(ValueError, match="data_parallel=True needs KERAS_BACKEND=jax"):
        multi_device.devices(True)
    assert multi_device.devices(None) == [] and multi_device.devices(False) == []


def test_data_parallel_needs_several_devices(monkeypatch):
    monkeypatch.setattr(backend, "name", lambda: "jax")
    monkeypatch.setattr(keras.distribution, "list_devices", lambda: ["cpu:0"])
    with pytest.raises(ValueError, match=r"needs more than one device, JAX sees \['cpu:0'\].*"
                                         "xla_force_host_platform_device_count"):
        multi_device.devices(True)


def test_a_bad_data_parallel_is_named():
    x = np.zeros((8, 2), "float32")
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    with pytest.raises(TypeError, match="data_parallel must be a bool, got str"):
        training.fit(model, x, x[:, :1], epochs=1, data_parallel="yes")


@pytest.mark.parametrize(("rows", "batch", "match"), [
    ({"x": 64}, 6, "batch_size=6 does not split over 4 devices"),
    ({"x": 70}, 8, r"the last batch of x \(70 rows, batch_size=8\) holds 6 rows"),
    ({"x": 64, "x_val": 10}, 8, r"the last batch of x_val \(10 rows, batch_size=8\) holds 2 rows"),
])
def test_check_batches_names_the_batch_that_does_not_split(rows, batch, match):
    with pytest.raises(ValueError, match=match):
        multi_device.check_batches(4, batch, rows)
    multi_device.check_batches(2, 8, {"x": 64, "x_val": 12})  # these split


def test_the_virtual_device_environment_keeps_other_xla_flags(monkeypatch):
    monkeypatch.setenv("XLA_FLAGS", "--xla_dump_to=/tmp/x")
    env = multi_device.virtual_devices_env(4)
    assert env["XLA_FLAGS"] == "--xla_dump_to=/tmp/x --xla_force_host_platform_device_count=4"
    assert env["KERAS_BACKEND"] == "jax"
    with pytest.raises(ValueError, match="count must be"):
        multi_device.virtual_devices_env(0)
