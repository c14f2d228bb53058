import os
import subprocess
import sys

import keras
import numpy as np
import pytest

from dlbook import backend


def test_name_is_the_keras_backend():
    assert backend.name() == keras.backend.backend()


def test_autodiff_gradient_of_known_functions():
    x, w = np.array([1.0, -2.0, 3.0]), np.array([[0.5, 2.0]])
    grads = backend.autodiff_gradient(
        lambda ps: keras.ops.sum(ps[0] ** 2) + keras.ops.sum(keras.ops.exp(ps[1])), [x, w])
    np.testing.assert_allclose(grads[0], 2 * x)
    np.testing.assert_allclose(grads[1], np.exp(w))
    assert all(g.dtype == np.float64 for g in grads)


def test_autodiff_gradient_rejects_bad_arguments():
    with pytest.raises(TypeError, match="loss must be callable"):
        backend.autodiff_gradient(42, [np.ones(2)])
    with pytest.raises(ValueError, match="params must hold at least one array"):
        backend.autodiff_gradient(lambda ps: ps, [])


def test_determinism_makes_two_trainings_identical():
    from dlbook.config import seed_everything

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


@pytest.mark.slow
def test_the_jax_functions_of_the_seam():
    code = ("import numpy as np, keras; from dlbook import backend; backend.enable_determinism(); "
            "g = backend.autodiff_gradient(lambda ps: keras.ops.sum(ps[0] ** 3), [np.array([2.0, -1.0])]); "
            "print(backend.name(), g[0].tolist())")
    env = dict(os.environ, KERAS_BACKEND="jax", JAX_PLATFORMS="cpu")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split(maxsplit=1)[0] == "jax"
    assert out.stdout.strip().endswith("[12.0, 3.0]")
