import os

import keras
import numpy as np
import pytest

from dlbook import backend
from tests.jax_run import run_on_jax


def test_name_is_the_backend_chosen_by_the_environment():
    assert backend.name() == os.environ.get("KERAS_BACKEND", "tensorflow")


@pytest.mark.skipif(backend.accelerator() is not None, reason="the CPU's answer")
def test_the_cpu_has_no_fast_bfloat16_on_any_backend():
    # each backend's own function runs here: dev.py test runs this file on all three
    assert backend.fast_bfloat16() is False
    assert backend.accelerator() is None


def test_autodiff_gradient_of_known_functions():
    x, w = np.array([1.0, -2.0, 3.0]), np.array([[0.5, 2.0]])
    grads = backend.autodiff_gradient(
        lambda ps: keras.ops.sum(ps[0] ** 2) + keras.ops.sum(keras.ops.exp(ps[1])), [x, w])
    np.testing.assert_allclose(grads[0], 2 * x, rtol=1e-15)
    np.testing.assert_allclose(grads[1], np.exp(w), rtol=1e-15)
    assert all(g.dtype == np.float64 for g in grads)


def test_autodiff_gradient_gives_zeros_for_an_unused_parameter():
    params = [np.ones(2), np.ones((2, 3))]
    grads = backend.autodiff_gradient(lambda ps: keras.ops.sum(ps[0]), params)
    np.testing.assert_array_equal(grads[1], np.zeros((2, 3)))


def test_autodiff_gradient_rejects_bad_arguments():
    with pytest.raises(TypeError, match="loss must be callable"):
        backend.autodiff_gradient(42, [np.ones(2)])
    with pytest.raises(ValueError, match="params must hold at least one array"):
        backend.autodiff_gradient(lambda ps: ps, [])
    with pytest.raises(ValueError, match=r"loss must return a scalar tensor, got shape \(2,\)"):
        backend.autodiff_gradient(lambda ps: ps[0] ** 2, [np.ones(2)])
    with pytest.raises(ValueError, match="loss must return a scalar tensor, got float"):
        backend.autodiff_gradient(lambda ps: 1.0, [np.ones(2)])


def test_autodiff_gradient_names_a_backend_that_cannot_differentiate(monkeypatch):
    monkeypatch.setattr(backend, "name", lambda: "numpy")
    with pytest.raises(ValueError, match="KERAS_BACKEND to be one of .*got 'numpy'"):
        backend.autodiff_gradient(lambda ps: keras.ops.sum(ps[0]), [np.ones(2)])


def test_determinism_makes_two_trainings_identical():
    from dlbook.config import seed_everything  # calls backend.enable_determinism()

    def train():
        seed_everything(3)
        model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"),
                                  keras.layers.Dense(1)])
        model.compile("adam", "mse")
        x = np.random.default_rng(0).normal(size=(64, 4))
        model.fit(x, x.sum(axis=1), epochs=2, batch_size=8, verbose=0)
        return model.get_weights()

    for a, b in zip(train(), train(), strict=True):
        np.testing.assert_array_equal(a, b)


JAX_SCRIPT = """
import json, warnings, numpy as np, keras
from dlbook import backend
backend.enable_determinism()
with warnings.catch_warnings(record=True) as caught:  # JAX: 'float64 ... truncated to float32'
    warnings.simplefilter("always")
    backend.quiet_known_warnings()
    before = str(keras.ops.convert_to_numpy(keras.ops.ones(2, dtype="float64")).dtype)
    keras.ops.cast(keras.ops.ones(2), "int64")  # what MeanIoU does: silenced
backend.enable_float64()
after = str(keras.ops.convert_to_numpy(keras.ops.ones(2, dtype="float64")).dtype)
cube, unused = backend.autodiff_gradient(lambda ps: keras.ops.sum(ps[0] ** 3),
                                         [np.array([2.0, -1.0]), np.ones(3)])
try:
    backend.autodiff_gradient(lambda ps: ps[0] ** 2, [np.ones(2)])
except ValueError as error:
    message = str(error)
print(json.dumps({"name": backend.name(), "dtype": str(cube.dtype), "cube": cube.tolist(),
                  "unused": unused.tolist(), "message": message, "float64": [before, after],
                  "warned": [str(w.message).split()[3] for w in caught]}))
"""


@pytest.mark.slow
@pytest.mark.on_jax
def test_the_jax_functions_of_the_seam():
    result = run_on_jax(JAX_SCRIPT)
    assert result["name"] == "jax"
    # float64 is float32 until enable_float64 switches JAX's x64 on
    assert result["float64"] == ["float32", "float64"]
    # JAX warned of the float64 request; the int64 one is silenced by quiet_known_warnings
    assert result["warned"] == ["float64"]
    # d/dx sum x^3 = 3 x^2, in float64 (x64 switched on)
    assert result["dtype"] == "float64" and result["cube"] == [12.0, 3.0]
    assert result["unused"] == [0.0, 0.0, 0.0]
    assert result["message"] == "loss must return a scalar tensor, got shape (2,)"


def test_enable_float64_leaves_float64_layers_in_float64_on_the_default_backend():
    backend.enable_float64()
    layer = keras.layers.Dense(2, dtype="float64")
    assert keras.ops.convert_to_numpy(layer(np.ones((1, 3)))).dtype == np.float64
