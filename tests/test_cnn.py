"""Tests for dlbook.cnn: the chapter 10 builders, and looking inside a trained network."""

import keras
import numpy as np
import pytest

from dlbook import cnn, training
from dlbook import convolution as cv


def conv_params(kernel, c_in, filters):
    """A kh x kw x C_in kernel per filter, plus one bias each."""
    return kernel * kernel * c_in * filters + filters


def dense_params(n_in, n_out):
    return n_in * n_out + n_out


def mnist_cnn_params(h, w, c, n_classes):
    flat = (h // 2) * (w // 2) * 64  # 'same' convolutions keep h x w; the pool halves it
    return (conv_params(3, c, 32) + conv_params(3, 32, 64) + dense_params(flat, 128)
            + dense_params(128, n_classes))


def small_cnn_params(h, w, c, n_classes, filters=(4, 4)):
    h1, w1 = (h - 2) // 2, (w - 2) // 2  # a valid 3x3 convolution, then a 2x2 pool
    flat = (h1 // 2) * (w1 // 2) * filters[1]  # a same convolution, then a pool
    return (conv_params(3, c, filters[0]) + conv_params(3, filters[0], filters[1])
            + dense_params(flat, 64) + dense_params(64, n_classes))


BUILDERS = {"mnist": (cnn.build_mnist_cnn, mnist_cnn_params, (28, 28, 1), 10),
            "small": (cnn.build_small_cnn, small_cnn_params, (128, 128, 3), 5)}


def compiled(model, learning_rate=1e-3):
    model.compile(optimizer=keras.optimizers.Adam(learning_rate),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_builders_default_shapes_and_parameter_counts(name):
    build, count, shape, n_classes = BUILDERS[name]
    model = build()
    assert model.input_shape == (None, *shape)
    assert model.output_shape == (None, n_classes)
    assert model.count_params() == count(*shape, n_classes)
    assert not model.compiled  # uncompiled: the chapter shows the compile step


def test_mnist_cnn_has_the_architecture_of_the_chapter():
    model = cnn.build_mnist_cnn()
    kinds = [type(layer).__name__ for layer in model.layers]
    assert kinds == ["Conv2D", "Conv2D", "MaxPooling2D", "Flatten", "Dropout", "Dense", "Dropout", "Dense"]
    conv1, conv2 = model.layers[:2]
    assert (conv1.filters, conv1.kernel_size, conv1.padding) == (32, (3, 3), "same")
    assert (conv2.filters, conv2.kernel_size, conv2.padding) == (64, (3, 3), "same")
    assert type(conv1.kernel_initializer).__name__ == "HeNormal"
    assert [model.layers[i].rate for i in (4, 6)] == [0.25, 0.5]
    assert model.layers[-1].activation.__name__ == "softmax"


def test_small_cnn_shapes_through_its_layers_follow_the_output_size_formula():
    model = cnn.build_small_cnn()
    shapes = [layer.output.shape[1:] for layer in model.layers[:4]]
    n1 = cv.output_size(128, 3, 1, "valid")
    n2 = cv.output_size(n1, 2, 2)
    n3 = cv.output_size(n2, 3, 1, "same")
    assert shapes == [(n1, n1, 4), (n2, n2, 4), (n3, n3, 4), (n3 // 2, n3 // 2, 4)]
    assert [model.layers[i].padding for i in (0, 2)] == ["valid", "same"]


def test_small_cnn_is_the_notes_network_and_its_wider_variant_only_widens_the_convolutions():
    assert cnn.build_small_cnn().count_params() == 246_665  # counted by hand in chapter 10
    wide = cnn.build_small_cnn(filters=(32, 64))
    assert [wide.get_layer(name).filters for name in ("conv1", "conv2")] == [32, 64]
    assert wide.count_params() == small_cnn_params(128, 128, 3, 5, (32, 64))


@pytest.mark.parametrize("name, shape, n_classes", [("mnist", (16, 12, 2), 3), ("small", (20, 24, 1), 4)])
def test_builders_take_other_shapes_and_class_counts(name, shape, n_classes):
    build, count, _, _ = BUILDERS[name]
    model = build(shape, n_classes)
    assert model.output_shape == (None, n_classes)
    assert model.count_params() == count(*shape, n_classes)


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_builders_survive_a_save_and_load_round_trip(name, tmp_path):
    build, _, _, _ = BUILDERS[name]
    model = build((16, 16, 3), 4)
    x = np.random.default_rng(0).random((3, 16, 16, 3)).astype("float32")
    path = tmp_path / f"{name}.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)
    assert [type(a).__name__ for a in loaded.layers] == [type(a).__name__ for a in model.layers]
    assert keras.models.model_from_json(model.to_json()).count_params() == model.count_params()


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_a_short_training_run_lowers_the_loss(name):
    build, _, _, _ = BUILDERS[name]
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 96)
    x = rng.normal(0, 0.3, (96, 16, 16, 1)).astype("float32")
    x[np.arange(96), 2 + 4 * y, 2 + 4 * y, 0] += 3.0  # the class is where a bright pixel sits
    model = compiled(build((16, 16, 1), 3))
    before = model.evaluate(x, y, verbose=0)[0]
    history = training.fit(model, x, y, epochs=10, batch_size=32)
    after = model.evaluate(x, y, verbose=0)[0]
    assert after < 0.8 * before
    assert history.history["loss"][-1] < history.history["loss"][0]


@pytest.mark.parametrize("build, argument, value, error, message", [
    (cnn.build_mnist_cnn, "input_shape", (28, 28), ValueError, r"input_shape must be a tuple of 3 positive"),
    (cnn.build_mnist_cnn, "input_shape", 28, TypeError, r"input_shape must be a tuple of 3.*got int"),
    (cnn.build_small_cnn, "input_shape", (128, 0, 3), ValueError, r"got \(128, 0, 3\)"),
    (cnn.build_small_cnn, "n_classes", 1, ValueError, "n_classes must be an int >= 2, got 1"),
    (cnn.build_small_cnn, "filters", (4, 0), ValueError, r"filters .*got \(4, 0\)"),
    (cnn.build_small_cnn, "filters", (4,), ValueError,
     r"filters must be a tuple of 2 positive ints, got \(4,\)"),
    (cnn.build_mnist_cnn, "n_classes", 2.0, TypeError, "n_classes must be an int, got float")])
def test_builders_reject_bad_arguments(build, argument, value, error, message):
    with pytest.raises(error, match=message):
        build(**{argument: value})


# ---------------------------------------------------------------------------
# The Keras references and looking inside


def test_keras_references_agree_with_the_numpy_layers():
    rng = np.random.default_rng(1)
    x, w, b = rng.normal(size=(2, 7, 7, 3)), rng.normal(size=(3, 3, 3, 2)), rng.normal(size=2)
    np.testing.assert_allclose(cnn.keras_conv2d(x, w, b, 2, "same"), cv.conv2d(x, w, b, 2, "same"),
                               atol=1e-5)
    np.testing.assert_allclose(cnn.keras_pool("max", x, 3, 2, "same"),
                               cv.maxpool_forward(x, 3, 2, "same")[0], atol=1e-5)
    with pytest.raises(ValueError, match="kind must be one of"):
        cnn.keras_pool("min", x)
    with pytest.raises(ValueError, match=r"x must be a 4-D array of shape \(N, H, W, C\)"):
        cnn.keras_conv2d(x[0], w, b)
    with pytest.raises(ValueError, match=r"b must be a 1-D array of shape \(F,\)"):
        cnn.keras_conv2d(x, w, b[:, None])
    with pytest.raises(ValueError, match=r"x must be a 4-D array of shape \(N, H, W, C\)"):
        cnn.keras_pool("average", x[0])
    with pytest.raises(TypeError, match="kind must be one of .* got NoneType"):
        cnn.keras_pool(None, x)


def test_feature_maps_are_relu_of_the_numpy_convolution_with_the_layer_weights():
    model = cnn.build_mnist_cnn((10, 10, 1), 3)
    x = np.random.default_rng(2).random((2, 10, 10, 1)).astype("float32")
    maps = cnn.feature_maps(model, x, "conv1")
    w, b = model.get_layer("conv1").get_weights()
    expected = np.maximum(cv.conv2d(x, w, b, 1, "same"), 0)
    assert maps.shape == (2, 10, 10, 32)
    np.testing.assert_allclose(maps, expected, atol=1e-5)
    with pytest.raises(ValueError, match="layer must be the name of a layer of the model"):
        cnn.feature_maps(model, x, "conv9")
    with pytest.raises(ValueError, match=r"images must have shape \(N, 10, 10, 1\)"):
        cnn.feature_maps(model, x[:, :8], "conv1")


def test_class_scores_are_the_logits_of_the_softmax_output():
    model = cnn.build_small_cnn((12, 12, 2), 4)
    x = np.random.default_rng(3).random((5, 12, 12, 2)).astype("float32")
    z = cnn.class_scores(model, x)
    softmax = np.exp(z - z.max(axis=1, keepdims=True))
    np.testing.assert_allclose(softmax / softmax.sum(axis=1, keepdims=True),
                               model.predict(x, verbose=0), atol=1e-5)


def test_saliency_of_a_linear_model_is_the_absolute_weight_of_the_class():
    # for z = W^T flatten(x) + b the gradient of z_k is column k of W, whatever x
    model = keras.Sequential([keras.Input((4, 5, 2)), keras.layers.Flatten(),
                              keras.layers.Dense(3, activation="softmax")])
    kernel = model.layers[-1].get_weights()[0]  # (40, 3)
    x = np.random.default_rng(4).random((2, 4, 5, 2)).astype("float32")
    saliency = cnn.saliency_map(model, x, class_index=[1, 2])
    for n, k in enumerate([1, 2]):
        np.testing.assert_allclose(saliency[n], np.abs(kernel[:, k].reshape(4, 5, 2)).max(axis=-1),
                                   rtol=1e-5, atol=1e-7)
    default = cnn.saliency_map(model, x)  # the predicted class
    predicted = model.predict(x, verbose=0).argmax(axis=1)
    np.testing.assert_allclose(default, cnn.saliency_map(model, x, class_index=predicted))


def test_saliency_map_of_a_cnn_has_one_nonnegative_value_per_pixel():
    model = cnn.build_mnist_cnn((12, 12, 1), 3)
    x = np.random.default_rng(5).random((3, 12, 12, 1)).astype("float32")
    saliency = cnn.saliency_map(model, x, class_index=0)
    assert saliency.shape == (3, 12, 12) and saliency.dtype == np.float64
    assert np.all(saliency >= 0) and np.any(saliency > 0)
    with pytest.raises(ValueError, match=r"class_index must be an int .* in \[0, 3\)"):
        cnn.saliency_map(model, x, class_index=3)
    with pytest.raises(ValueError, match=r"class_index must be an int .* in \[0, 3\)"):
        cnn.saliency_map(model, x, class_index=[0, 1])  # two indices for three images
    with pytest.raises(TypeError, match="class_index must be an int"):
        cnn.saliency_map(model, x, class_index=0.5)
    with pytest.raises(ValueError, match="images must be finite"):
        cnn.saliency_map(model, np.full_like(x, np.nan))
    with pytest.raises(TypeError, match="model must be a keras.Model"):
        cnn.saliency_map("model", x)
    pooled = keras.Sequential([keras.Input((4, 4, 1)), keras.layers.Flatten(), keras.layers.Dropout(0.1)])
    with pytest.raises(ValueError, match="model must end in a Dense layer"):
        cnn.class_scores(pooled, np.zeros((1, 4, 4, 1)))
    single = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    with pytest.raises(ValueError, match="model must have at least two layers"):
        cnn.class_scores(single, np.zeros((1, 4)))
