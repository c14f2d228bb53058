import numpy as np
import pytest

from dlbook import data

CLASSIFICATION = {
    "iris": (data.load_iris, (4,), 150, 3),
    "digits": (data.load_digits, (8, 8), 1797, 10),
    "moons": (data.load_moons, (2,), 500, 2),
    "circles": (data.load_circles, (2,), 500, 2),
    "mnist_subset": (data.load_mnist_subset, (28, 28), 5000, 10),
}


@pytest.fixture(scope="module")
def splits():
    return {name: loader() for name, (loader, *_) in CLASSIFICATION.items()}


def parts(split):
    return [(getattr(split, f"x_{p}"), getattr(split, f"y_{p}"), getattr(split, f"idx_{p}"))
            for p in ("train", "val", "test")]


@pytest.mark.parametrize("name", CLASSIFICATION)
def test_shapes_dtypes_and_sizes(splits, name):
    _, shape, total, _ = CLASSIFICATION[name]
    sizes = []
    for x, y, idx in parts(splits[name]):
        assert x.dtype == np.float32 and y.dtype == np.int64 and idx.dtype == np.int64
        assert x.shape[1:] == shape and len(x) == len(y) == len(idx)
        sizes.append(len(y))
    assert sum(sizes) == total
    np.testing.assert_allclose(np.array(sizes) / total, [0.6, 0.2, 0.2], atol=0.01)


@pytest.mark.parametrize("name", CLASSIFICATION)
def test_splits_are_disjoint_and_cover_the_source(splits, name):
    indices = [idx for _, _, idx in parts(splits[name])]
    together = np.concatenate(indices)
    assert len(np.unique(together)) == len(together) == CLASSIFICATION[name][2]


@pytest.mark.parametrize("name", CLASSIFICATION)
def test_every_split_keeps_the_class_proportions(splits, name):
    n_classes = CLASSIFICATION[name][3]
    ys = [y for _, y, _ in parts(splits[name])]
    whole = np.bincount(np.concatenate(ys), minlength=n_classes) / sum(len(y) for y in ys)
    for y in ys:
        assert set(np.unique(y)) == set(range(n_classes))
        np.testing.assert_allclose(np.bincount(y, minlength=n_classes) / len(y), whole, atol=0.03)


@pytest.mark.parametrize("name", ["digits", "mnist_subset"])
def test_images_are_scaled_to_the_unit_interval(splits, name):
    x = splits[name].x_train
    assert x.min() == 0.0 and x.max() == 1.0


def test_mnist_subset_is_shuffled_although_the_file_is_sorted(splits):
    y = splits["mnist_subset"].y_train
    assert np.mean(np.diff(y) != 0) > 0.5


def test_iris_is_standardized_with_training_statistics_only(splits):
    iris = splits["iris"]
    np.testing.assert_allclose(iris.x_train.mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(iris.x_train.std(axis=0), 1, atol=1e-5)
    assert not np.allclose(iris.x_test.mean(axis=0), 0, atol=1e-3)
    assert iris.class_names == ("setosa", "versicolor", "virginica")


@pytest.mark.parametrize("name", CLASSIFICATION)
def test_same_seed_same_split_other_seed_other_split(name):
    loader = CLASSIFICATION[name][0]
    a, b, c = loader(seed=1), loader(seed=1), loader(seed=2)
    np.testing.assert_array_equal(a.idx_train, b.idx_train)
    np.testing.assert_array_equal(a.x_val, b.x_val)
    assert not np.array_equal(a.idx_train, c.idx_train)


def test_regression_split():
    s = data.load_regression()
    assert s.x_train.shape[1:] == (10,) and s.y_train.dtype == np.float32
    assert s.y_train.ndim == 1 and 20 < s.y_train.min() and s.y_train.max() < 400
    np.testing.assert_allclose(s.x_train.mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(s.x_train.std(axis=0), 1, atol=1e-4)
    assert len(np.concatenate([s.idx_train, s.idx_val, s.idx_test])) == 442
    assert s.class_names is None


def test_sunspot_windows_are_chronological_and_scaled_by_the_training_maximum():
    years, values = data.sunspots_series()
    assert years[0] == 1700 and len(years) == len(values)
    s = data.load_sunspots(window=10, horizon=2)
    assert s.x_train.shape[1:] == (10, 1) and s.y_train.shape[1:] == (2,)
    assert s.x_train.max() <= 1.0 and s.scale == values[: int(round(len(values) * 0.7))].max()
    # the first training window is the start of the series; the last test target its end
    np.testing.assert_allclose(s.x_train[0, :, 0] * s.scale, values[:10], rtol=1e-6)
    np.testing.assert_allclose(s.y_test[-1] * s.scale, values[-2:], rtol=1e-6)
    assert s.idx_train.max() < s.idx_val.min() and s.idx_val.max() < s.idx_test.min()


def test_make_windows_pairs_each_window_with_the_values_after_it():
    x, y = data.make_windows(np.arange(6.0), window=3, horizon=2)
    assert x.shape == (2, 3, 1) and y.shape == (2, 2)
    np.testing.assert_array_equal(x[1, :, 0], [1, 2, 3])
    np.testing.assert_array_equal(y[1], [4, 5])


def test_co2_series_is_monthly_and_gap_free():
    dates, values = data.co2_series()
    assert np.all(np.diff(dates).astype(int) == 1)
    assert np.all(np.isfinite(values)) and 300 < values.min() < values.max() < 400


def test_synthetic_series_shape_range_and_determinism():
    a = data.synthetic_series(n_series=8, n_steps=30, seed=3)
    assert a.shape == (8, 30, 1) and a.dtype == np.float32
    assert np.abs(a).max() <= 0.5 + 0.2 + 0.05
    np.testing.assert_array_equal(a, data.synthetic_series(8, 30, seed=3))
    assert not np.array_equal(a, data.synthetic_series(8, 30, seed=4))


def fake_download(monkeypatch, name, result=None, error=None):
    import keras

    def load_data():
        if error:
            raise error
        return result

    monkeypatch.setattr(getattr(keras.datasets, name), "load_data", load_data)


@pytest.mark.parametrize("name, loader", [("mnist", data.load_mnist),
                                          ("fashion_mnist", data.load_fashion_mnist)])
def test_full_datasets_convert_and_split_what_keras_returns(monkeypatch, name, loader):
    rng = np.random.default_rng(0)
    train = (rng.integers(0, 256, (120, 28, 28), dtype=np.uint8), np.repeat(np.arange(10), 12))
    test = (rng.integers(0, 256, (20, 28, 28), dtype=np.uint8), np.repeat(np.arange(10), 2))
    fake_download(monkeypatch, name, result=(train, test))
    s = loader(val_size=0.25)
    assert s.x_train.dtype == np.float32 and s.x_train.max() <= 1.0
    assert len(s.y_train) == 90 and len(s.y_val) == 30 and len(s.y_test) == 20
    np.testing.assert_array_equal(s.x_test, test[0] / np.float32(255))
    assert np.all(np.bincount(s.y_val) == 3)


@pytest.mark.parametrize("name, loader", [("mnist", data.load_mnist),
                                          ("fashion_mnist", data.load_fashion_mnist)])
def test_full_datasets_offline_raise_a_clear_error(monkeypatch, name, loader):
    fake_download(monkeypatch, name, error=OSError("URL fetch failure: no network"))
    with pytest.raises(data.DatasetUnavailableError,
                       match=rf"{name} .*needs a one-time download.*load_mnist_subset"):
        loader()


def test_load_dispatches_by_name_and_rejects_unknown_names():
    assert data.load("moons", n_samples=50).x_train.shape == (30, 2)
    with pytest.raises(ValueError, match=r"name must be one of .*'imagenet'"):
        data.load("imagenet")


@pytest.mark.parametrize("kwargs, error, match", [
    ({"val_size": 0.0}, ValueError, "val_size must be a number in"),
    ({"test_size": 1.5}, ValueError, "test_size must be a number in"),
    ({"val_size": 0.5, "test_size": 0.5}, ValueError, "val_size \\+ test_size"),
    ({"seed": -1}, ValueError, "seed must be >= 0"),
    ({"seed": 1.5}, TypeError, "seed must be an int"),
    ({"n_samples": 3}, ValueError, "n_samples must be >= 10"),
    ({"noise": -0.1}, ValueError, "noise must be"),
    ({"noise": float("nan")}, ValueError, "noise must be"),
])
def test_bad_arguments_are_named(kwargs, error, match):
    with pytest.raises(error, match=match):
        data.load_moons(**kwargs)


def test_bad_series_arguments_are_named():
    with pytest.raises(ValueError, match="factor must be"):
        data.load_circles(factor=1.0)
    with pytest.raises(ValueError, match="must not exceed the series length"):
        data.make_windows(np.arange(5.0), window=5)
    with pytest.raises(ValueError, match="series must be 1-D"):
        data.make_windows(np.ones((3, 3)), window=1)
    with pytest.raises(TypeError, match="window must be an int"):
        data.load_sunspots(window=2.5)
    with pytest.raises(ValueError, match="n_steps must be >= 2"):
        data.synthetic_series(n_steps=1)
    with pytest.raises(ValueError, match="val_size must be"):
        data.load_mnist(val_size=2)
