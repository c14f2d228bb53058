"""Tests for dlbook.transfer: the ImageNet table, class subsets, the base and head, freezing."""

import keras
import numpy as np
import pytest

from dlbook import training
from dlbook import transfer as tl

KERAS_SAVE_WARNING = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")


# ---------------------------------------------------------------------------
# The reference table


def test_the_imagenet_table_is_well_formed():
    names = [m.name for m in tl.IMAGENET_MODELS]
    assert len(names) == len(set(names)) == 33
    for m in tl.IMAGENET_MODELS:
        assert 0.5 < m.top1 < m.top5 < 1, m
        assert 1 < m.size_mb < 1000 and 1 < m.parameters < 200, m
        assert m.depth is None or 10 <= m.depth <= 600, m
        # a float32 weights file holds about 4 bytes per parameter (within a factor of 1.5)
        assert 2.6 < m.size_mb / m.parameters < 6.5, m


def test_imagenet_table_is_a_dataframe_indexed_by_name():
    table = tl.imagenet_table()
    assert list(table.columns) == list(tl.TABLE_COLUMNS)
    assert table.index[0] == "Xception" and len(table) == len(tl.IMAGENET_MODELS)
    assert table.loc["MobileNetV2", "Parameters (M)"] == 3.5
    assert table["Depth"].isna().sum() == sum(m.depth is None for m in tl.IMAGENET_MODELS)
    by_top1 = tl.imagenet_table(sort_by="Top-1 accuracy")
    assert by_top1["Top-1 accuracy"].is_monotonic_decreasing
    with pytest.raises(ValueError, match="sort_by must be one of"):
        tl.imagenet_table(sort_by="speed")


@pytest.mark.slow
def test_the_table_agrees_with_the_keras_architectures_built_without_weights():
    for name, constructor in (("MobileNetV2", keras.applications.MobileNetV2),
                              ("MobileNet", keras.applications.MobileNet)):
        model = constructor(weights=None)  # with the 1000-class top: what the table counts
        row = next(m for m in tl.IMAGENET_MODELS if m.name == name)
        assert round(model.count_params() / 1e6, 1) == row.parameters


# ---------------------------------------------------------------------------
# Tasks


def test_select_classes_keeps_the_rows_and_relabels_them_in_the_order_given():
    x = np.arange(10)[:, None] * np.ones((10, 3))
    y = np.array([0, 5, 7, 5, 1, 9, 7, 0, 9, 5])
    xs, ys = tl.select_classes(x, y, [9, 5])
    np.testing.assert_array_equal(xs[:, 0], [1, 3, 5, 8, 9])
    np.testing.assert_array_equal(ys, [1, 1, 0, 0, 1])
    assert ys.dtype == np.int64


def test_few_per_class_draws_n_of_each_class_reproducibly():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 4, 200)
    x = np.arange(200)
    xf, yf = tl.few_per_class(x, y, 5, seed=3)
    assert np.bincount(yf).tolist() == [5, 5, 5, 5]
    np.testing.assert_array_equal(y[xf], yf)  # the rows keep their labels
    assert len(set(xf.tolist())) == 20
    np.testing.assert_array_equal(tl.few_per_class(x, y, 5, seed=3)[0], xf)
    assert not np.array_equal(tl.few_per_class(x, y, 5, seed=4)[0], xf)


@pytest.mark.parametrize("call, error, match", [
    (lambda: tl.select_classes(np.ones((3, 2)), np.array([0.0, 1, 2]), [0]), TypeError,
     "y must be an array of ints"),
    (lambda: tl.select_classes(np.ones((3, 2)), np.array([0, 1]), [0]), ValueError,
     "x must have one row per label"),
    (lambda: tl.select_classes(np.ones((3, 2)), np.array([0, 1, 2]), [0, 0]), ValueError,
     "classes must be distinct"),
    (lambda: tl.select_classes(np.ones((3, 2)), np.array([0, 1, 2]), [4]), ValueError,
     r"classes \[4\] do not occur in y"),
    (lambda: tl.select_classes(np.ones((3, 2)), np.array([0, 1, 2]), []), ValueError,
     "classes must hold at least one value"),
    (lambda: tl.select_classes(np.ones((3, 2)), np.array([0, 1, 2]), [0.5]), TypeError,
     "classes must be an array of ints"),
    (lambda: tl.select_classes(np.ones((3, 2)), np.array([[0, 1, 2]]), [0]), ValueError,
     r"y must be a 1-D array of shape \(N,\)"),
    (lambda: tl.few_per_class(np.ones((4, 2)), np.array([0, 0, 1, 1]), 3), ValueError,
     "class 0 has only 2 examples"),
    (lambda: tl.few_per_class(np.ones((4, 2)), np.array([0, 0, 1, 1]), 0), ValueError,
     "n_per_class must be an int >= 1"),
    (lambda: tl.few_per_class(np.ones((4, 2)), np.array([0, 0, 1, 1]), 1, seed=-1), ValueError,
     "seed must be an int >= 0"),
])
def test_task_functions_reject_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()


# ---------------------------------------------------------------------------
# Base, head and freezing


def cnn_base_count(filters, channels=1, dense_in=None, dense_units=None):
    chain = [channels, *filters]
    count = sum((9 * a + 1) * b for a, b in zip(chain[:-1], chain[1:], strict=True))
    return count + ((dense_in + 1) * dense_units if dense_units else 0)


@pytest.mark.parametrize("filters, dense_units", [((16, 32), 64), ((8,), None)])
def test_cnn_base_and_head_shapes_and_parameter_counts(filters, dense_units):
    base = tl.build_cnn_base((28, 28), filters, dense_units)
    side = 28 // 2 ** len(filters)
    flat = side * side * filters[-1]
    features = dense_units or flat
    assert base.output_shape == (None, features)
    assert base.count_params() == cnn_base_count(filters, dense_in=flat, dense_units=dense_units)
    model = tl.add_head(base, 5)
    assert model.output_shape == (None, 5)
    assert model.count_params() == base.count_params() + (features + 1) * 5
    assert model.get_layer("base") is base  # the head sits on the very same layers


def test_freezing_the_base_leaves_only_the_head_trainable_and_untouched_by_training():
    keras.utils.set_random_seed(0)
    base = tl.build_cnn_base((8, 8), (4,), 8)
    model = tl.add_head(base, 3)
    assert tl.set_trainable(base, False) == 0
    assert tl.count_parameters(model) == ((8 + 1) * 3, base.count_params())
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy")
    x = np.random.default_rng(0).random((32, 8, 8)).astype("float32")
    y = np.arange(32) % 3
    frozen = [w.copy() for w in base.get_weights()]
    head = model.get_layer("head").get_weights()[0].copy()
    training.fit(model, x, y, epochs=2, batch_size=8)
    assert all(np.array_equal(a, b) for a, b in zip(frozen, base.get_weights(), strict=True))
    assert not np.allclose(head, model.get_layer("head").get_weights()[0])
    # unfrozen and compiled again, the base trains too
    assert tl.set_trainable(base, True) == base.count_params()
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy")
    training.fit(model, x, y, epochs=1, batch_size=8)
    assert all(not np.allclose(a, b) for a, b in zip(frozen, base.get_weights(), strict=True))


def test_a_classifier_on_a_cnn_base_trains():
    rng = np.random.default_rng(1)
    y = np.arange(96) % 2
    x = 0.1 * rng.random((96, 8, 8))
    x[y == 0, :, :4] += 0.8  # class 0 bright on the left, class 1 on the right
    x[y == 1, :, 4:] += 0.8
    keras.utils.set_random_seed(0)
    model = tl.add_head(tl.build_cnn_base((8, 8), (4,), 8), 2)
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy")
    history = training.fit(model, x.astype("float32"), y, epochs=8, batch_size=16).history
    assert history["loss"][-1] < 0.5 * history["loss"][0]


@KERAS_SAVE_WARNING
def test_a_transferred_classifier_survives_a_save_and_load(tmp_path):
    base = tl.build_cnn_base((8, 8), (4,), 8)
    model = tl.add_head(base, 3, dropout=0.2)
    tl.set_trainable(base, False)
    path = tmp_path / "transferred.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    x = np.random.default_rng(0).random((4, 8, 8)).astype("float32")
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert tl.count_parameters(loaded) == tl.count_parameters(model)


def test_the_mobilenet_recipe_builds_without_weights_and_freezes_its_base():
    model, base = tl.build_mobilenet_transfer(5, input_shape=(96, 96, 3))
    assert model.output_shape == (None, 5)
    assert base.output_shape == (None, 3, 3, 1280)
    head = (1280 + 1) * 5
    assert model.count_params() == base.count_params() + head
    assert tl.count_parameters(model) == (head, base.count_params())
    trainable = tl.set_trainable(base, True)
    # everything but BatchNormalization's moving statistics (2 per channel) becomes trainable
    moving = sum(2 * layer.moving_mean.shape[0] for layer in base.layers
                 if isinstance(layer, keras.layers.BatchNormalization))
    assert trainable == base.count_params() - moving
    assert tl.count_parameters(model) == (trainable + head, moving)


@pytest.mark.parametrize("call, error, match", [
    (lambda: tl.build_cnn_base((28,), (8,)), ValueError, r"input_shape must be \(H, W\)"),
    (lambda: tl.build_cnn_base((4, 4), (8, 8, 8)), ValueError, "too small for 3 poolings"),
    (lambda: tl.build_cnn_base((8, 8), ()), ValueError, "filters must be a non-empty"),
    (lambda: tl.build_cnn_base((8, 8), (4,), 0), ValueError, "dense_units must be an int >= 1"),
    (lambda: tl.build_cnn_base("8x8", (4,)), TypeError, "input_shape must be a positive int or a tuple"),
    (lambda: tl.add_head("base", 3), TypeError, "base must be a keras.Model"),
    (lambda: tl.add_head(tl.build_cnn_base((8, 8), (4,)), 1), ValueError, "n_classes must be an int >= 2"),
    (lambda: tl.add_head(tl.build_cnn_base((8, 8), (4,)), 3, dropout=1.0), ValueError,
     r"dropout must be a finite number in \[0, 1\)"),
    (lambda: tl.set_trainable(tl.build_cnn_base((8, 8), (4,)), 1), TypeError, "trainable must be a bool"),
    (lambda: tl.count_parameters(None), TypeError, "model must be a keras.Model"),
    (lambda: tl.build_mobilenet_transfer(5, input_shape=(96, 96, 1)), ValueError,
     r"input_shape must be \(H, W, 3\)"),
    (lambda: tl.build_mobilenet_transfer(5, weights="cifar"), ValueError,
     r"weights must be one of \('imagenet',\)"),
])
def test_keras_functions_reject_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_add_head_needs_a_feature_vector():
    conv_only = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Conv2D(2, 3)])
    with pytest.raises(ValueError, match=r"base must output one feature vector per example \(N, F\)"):
        tl.add_head(conv_only, 3)
