"""Tests for dlbook.models: shapes, parameter counts, serialization, training."""

import keras
import numpy as np
import pytest

from dlbook import models


def dense_parameter_count(sizes):
    """sum over layers of (n_in + 1) * n_out: a weight per input plus a bias per unit."""
    return sum((n_in + 1) * n_out for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True))


def random_weights_like(model, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.normal(scale=0.1, size=w.shape).astype("float32") for w in model.get_weights()]


def loss_falls_with_training(model, x, y, loss, epochs=5, learning_rate=1e-2):
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss=loss)
    before = model.evaluate(x, y, verbose=0)
    model.fit(x, y, epochs=epochs, batch_size=16, verbose=0)
    return model.evaluate(x, y, verbose=0) < before


@pytest.fixture
def images():
    rng = np.random.default_rng(0)
    return rng.uniform(size=(64, 28, 28)).astype("float32"), rng.integers(0, 10, size=64)


# --- the image classifier -------------------------------------------------------


@pytest.mark.parametrize("api", models.APIS)
def test_image_classifier_has_266610_parameters_from_the_dense_formula(api):
    model = models.build_image_classifier(api=api)
    sizes = [28 * 28, 300, 100, 10]
    assert model.count_params() == dense_parameter_count(sizes)
    dense = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]
    assert [layer.count_params() for layer in dense] == [
        (n_in + 1) * n_out for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True)
    ]
    assert [layer.activation.__name__ for layer in dense] == ["relu", "relu", "softmax"]


@pytest.mark.parametrize("api", models.APIS)
def test_image_classifier_maps_images_to_class_probabilities(api, images):
    probabilities = keras.ops.convert_to_numpy(models.build_image_classifier(api=api)(images[0][:5]))
    assert probabilities.shape == (5, 10)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)


def test_sequential_and_functional_classifiers_agree_given_the_same_weights(images):
    sequential = models.build_image_classifier(api="sequential")
    functional = models.build_image_classifier(api="functional")
    assert isinstance(sequential, keras.Sequential)
    assert not isinstance(functional, keras.Sequential)
    assert sequential.count_params() == functional.count_params()
    weights = random_weights_like(sequential)
    sequential.set_weights(weights)
    functional.set_weights(weights)
    np.testing.assert_allclose(sequential.predict(images[0], verbose=0),
                               functional.predict(images[0], verbose=0), rtol=1e-6, atol=1e-7)


# --- serialization round trips ----------------------------------------------------


@pytest.mark.parametrize("build, x", [
    (lambda api: models.build_image_classifier(api=api), np.full((2, 28, 28), 0.5, "float32")),
    (lambda api: models.build_iris_mlp(api=api), np.ones((2, 4), "float32")),
    (lambda api: models.build_regression_mlp(10, api=api), np.ones((2, 10), "float32")),
])
@pytest.mark.parametrize("api", models.APIS)
def test_builders_survive_a_json_round_trip(build, x, api):
    model = build(api)
    model.set_weights(random_weights_like(model))
    clone = keras.models.model_from_json(model.to_json())
    clone.set_weights(model.get_weights())
    assert clone.to_json() == model.to_json()
    np.testing.assert_allclose(*(keras.ops.convert_to_numpy(m(x)) for m in (clone, model)), rtol=1e-6)


# --- iris and regression MLPs ------------------------------------------------------


def test_iris_mlp_is_4_32_16_3_with_softmax_output():
    model = models.build_iris_mlp()
    assert model.count_params() == dense_parameter_count([4, 32, 16, 3])
    probabilities = keras.ops.convert_to_numpy(model(np.zeros((7, 4), "float32")))
    assert probabilities.shape == (7, 3)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)


def test_regression_mlp_has_one_linear_output():
    model = models.build_regression_mlp(5, hidden=(8,))
    assert model.count_params() == dense_parameter_count([5, 8, 1])
    assert model.layers[-1].activation.__name__ == "linear"
    model.set_weights(random_weights_like(model, seed=3))
    x = np.random.default_rng(1).normal(size=(200, 5)).astype("float32")
    outputs = keras.ops.convert_to_numpy(model(x))
    assert outputs.shape == (200, 1)
    assert outputs.min() < 0 < outputs.max()  # unbounded, unlike a sigmoid or ReLU output


@pytest.mark.slow
def test_short_training_lowers_the_loss_of_every_builder(images):
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(1)
    x4 = rng.normal(size=(96, 4)).astype("float32")
    x10 = rng.normal(size=(96, 10)).astype("float32")
    # 266,610 weights and 64 random labels: at Adam's 1e-2 the first steps overshoot on some
    # backends' initial weights (the loss rose on JAX and PyTorch); 1e-3 memorizes on all three
    assert loss_falls_with_training(models.build_image_classifier(), *images,
                                    "sparse_categorical_crossentropy", learning_rate=1e-3)
    assert loss_falls_with_training(models.build_iris_mlp(), x4, (x4[:, 0] > 0).astype(int),
                                    "sparse_categorical_crossentropy")
    assert loss_falls_with_training(models.build_regression_mlp(10), x10,
                                    x10 @ np.arange(10.0, dtype="float32"), "mse")


# --- the model-building function of the search ------------------------------------


@pytest.mark.parametrize("optimizer, cls", [("sgd", keras.optimizers.SGD),
                                            ("adam", keras.optimizers.Adam)])
def test_build_classifier_returns_a_compiled_model(optimizer, cls):
    model = models.build_classifier(2, 20, 0.05, input_shape=(6,), n_classes=4,
                                    optimizer=optimizer)
    assert model.count_params() == dense_parameter_count([6, 20, 20, 4])
    assert isinstance(model.optimizer, cls)
    assert float(model.optimizer.learning_rate) == pytest.approx(0.05)
    assert model.loss == "sparse_categorical_crossentropy"
    assert model(np.zeros((3, 6), "float32")).shape == (3, 4)


def test_build_classifier_without_hidden_layers_is_softmax_regression():
    model = models.build_classifier(0, 50, 0.1, input_shape=(28, 28), n_classes=10)
    assert model.count_params() == dense_parameter_count([28 * 28, 10])


def test_build_classifier_trains_without_a_further_compile():
    keras.utils.set_random_seed(0)
    x = np.random.default_rng(2).normal(size=(128, 2)).astype("float32")
    y = (x[:, 0] * x[:, 1] > 0).astype("int64")
    model = models.build_classifier(1, 16, 0.1, input_shape=(2,), n_classes=2)
    history = model.fit(x, y, epochs=10, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert "accuracy" in history.history


@pytest.mark.parametrize("kwargs, error, match", [
    ({"n_hidden": -1}, ValueError, "n_hidden must be an int >= 0, got -1"),
    ({"n_hidden": 1.5}, TypeError, "n_hidden must be an int, got float"),
    ({"n_neurons": 0}, ValueError, "n_neurons must be an int >= 1, got 0"),
    ({"n_neurons": True}, TypeError, "n_neurons must be an int, got bool"),
    ({"learning_rate": "fast"}, TypeError, "learning_rate must be a number, got str"),
    ({"learning_rate": 0.0}, ValueError, "learning_rate must be a positive finite number"),
    ({"learning_rate": float("nan")}, ValueError, "learning_rate must be a positive finite"),
    ({"n_classes": 1}, ValueError, "n_classes must be an int >= 2, got 1"),
    ({"optimizer": "rmsprop"}, ValueError, r"optimizer must be one of \('sgd', 'adam'\)"),
    ({"input_shape": (0, 3)}, ValueError, "input_shape must be a positive int"),
])
def test_build_classifier_rejects_bad_arguments(kwargs, error, match):
    arguments = {"n_hidden": 1, "n_neurons": 10, "learning_rate": 0.01, **kwargs}
    with pytest.raises(error, match=match):
        models.build_classifier(**arguments)


@pytest.mark.parametrize("kwargs, match", [
    ({"input_shape": ()}, "input_shape must be a positive int or a tuple of them, got"),
    ({"hidden": [4, 0]}, r"hidden must be a sequence of positive ints, got \[4, 0\]"),
    ({"n_outputs": 0}, "n_outputs must be an int >= 1, got 0"),
    ({"api": "subclass"}, "api must be one of"),
])
def test_build_mlp_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        models.build_mlp(**{"input_shape": 3, "hidden": [4], "n_outputs": 1, **kwargs})


def test_regression_mlp_rejects_a_bad_feature_count():
    with pytest.raises(ValueError, match="input_shape must be a positive int"):
        models.build_regression_mlp(0)
