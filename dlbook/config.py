"""Profiles, per-chapter budgets and seeding.

``DLBOOK_PROFILE=quick`` (the default) sizes every training run for two CPU
cores, so the whole book executes in minutes. ``DLBOOK_PROFILE=full`` is what a
reader with a GPU runs: more data, more epochs, the numbers the literature
quotes. Chapters never hard-code a size or an epoch count: they ask
:func:`budget` for theirs.
"""

from __future__ import annotations

import importlib.util
import math
import os
import random
import sys
import time
from types import MappingProxyType, SimpleNamespace

import numpy as np

PROFILES = ("quick", "full")
DEFAULT_SEED = 42

# One entry per chapter: the sizes and epochs it trains with in each profile.
_BUDGETS = {
    "ch01": {  # an upper bound: the perceptron stops at its first epoch without a mistake
        "quick": {"perceptron_epochs": 20},
        "full": {"perceptron_epochs": 100},
    },
    "ch02": {
        "quick": {"n_samples": 400, "epochs": 20, "noise_draws": 500},
        "full": {"n_samples": 4000, "epochs": 50, "noise_draws": 5000},
    },
    "ch03": {
        "quick": {"n_samples": 400, "epochs": 1000},
        "full": {"n_samples": 4000, "epochs": 3000},
    },
    "ch04": {
        "quick": {"mnist_epochs": 15, "max_epochs": 40, "patience": 5,
                  "tuner_trials": 6, "tuner_epochs": 4, "iris_epochs": 50,
                  "regression_epochs": 100, "moons_train": 60, "moons_epochs": 60,
                  "overfit_epochs": 200},
        "full": {"mnist_epochs": 30, "max_epochs": 100, "patience": 10,
                 "tuner_trials": 30, "tuner_epochs": 20, "iris_epochs": 200,
                 "regression_epochs": 500, "moons_train": 60, "moons_epochs": 200,
                 "overfit_epochs": 1000},
    },
    "ch05": {
        "quick": {"probe_samples": 256, "seeds": 3, "train_epochs": 4},
        "full": {"probe_samples": 1024, "seeds": 10, "train_epochs": 20},
    },
    "ch06": {
        "quick": {"epochs": 20, "batch_size": 64, "rosenbrock_steps": 500, "agreement_steps": 100},
        "full": {"epochs": 100, "batch_size": 64, "rosenbrock_steps": 500, "agreement_steps": 100},
    },
    "ch07": {
        "quick": {"dataset": "digits", "epochs": 25, "batch_size": 32, "range_epochs": 3,
                  "default_hidden": 10, "default_epochs": 15},
        "full": {"dataset": "mnist_subset", "epochs": 60, "batch_size": 32, "range_epochs": 3,
                 "default_hidden": 20, "default_epochs": 50},
    },
    "ch08": {
        "quick": {"mnist_epochs": 15, "moons_epochs": 40, "stream_batches": 600},
        "full": {"mnist_epochs": 40, "moons_epochs": 100, "stream_batches": 1000},
    },
    "ch09": {
        "quick": {"penalty_epochs": 15, "max_epochs": 40, "patience": 4, "mc_passes": 50},
        "full": {"penalty_epochs": 40, "max_epochs": 150, "patience": 10, "mc_passes": 200},
    },
    "ch10": {  # quick: the 5,000-image MNIST subset on 2 CPU cores; full: all of MNIST (a download)
        "quick": {"dataset": "mnist_subset", "val_size": 0.1, "shifted_copies": 1, "max_shift": 2,
                  "epochs": 6, "batch_size": 32, "saliency_images": 6,
                  "precision_images": 1000, "precision_epochs": 2, "parallel_steps": 8, "parallel_batch": 64},
        "full": {"dataset": "mnist", "val_size": 0.1, "shifted_copies": 1, "max_shift": 2,
                 "epochs": 15, "batch_size": 128, "saliency_images": 6,
                 "precision_images": 10000, "precision_epochs": 3, "parallel_steps": 100,
                 "parallel_batch": 512},
    },
    "ch11": {  # units per stage: 1 -> 8 weight layers, 5 -> 32, 9 -> 56 (He et al.'s CIFAR nets)
        "quick": {"dataset": "digits", "filters": (8, 16, 32), "shallow_units": 1, "deep_units": 5,
                  "epochs": 8, "batch_size": 32, "learning_rate": 1e-3, "gradient_batch": 256},
        "full": {"dataset": "fashion_mnist", "filters": (16, 32, 64), "shallow_units": 3,
                 "deep_units": 9, "epochs": 30, "batch_size": 32, "learning_rate": 1e-3,
                 "gradient_batch": 256},
    },
    "ch12": {
        "quick": {"n_train": 400, "n_val": 100, "n_test": 100, "size": 48, "filters": (16, 32, 64),
                  "epochs": 15, "batch_size": 16, "learning_rate": 2e-3},
        "full": {"n_train": 4000, "n_val": 500, "n_test": 500, "size": 64,
                 "filters": (32, 64, 128, 256), "epochs": 40, "batch_size": 32, "learning_rate": 2e-3},
    },
    "ch13": {  # synthetic: series of 50 steps; sunspots: windows of 20 years
        "quick": {"synthetic_series": 2000, "synthetic_epochs": 20, "sunspots_epochs": 150, "patience": 25},
        "full": {"synthetic_series": 10000, "synthetic_epochs": 50, "sunspots_epochs": 500, "patience": 50},
    },
    "ch14": {  # the memory task: sequences of memory_steps steps
        "quick": {"memory_train": 3000, "memory_steps": 50, "memory_epochs": 10, "synthetic_series": 2000,
                  "synthetic_epochs": 10, "sunspots_epochs": 100, "patience": 25},
        "full": {"memory_train": 10000, "memory_steps": 100, "memory_epochs": 30, "synthetic_series": 10000,
                 "synthetic_epochs": 30, "sunspots_epochs": 300, "patience": 50},
    },
    "ch15": {  # digits (8x8) for PCA and the GAN; the MNIST subset for denoising and transfer
        "quick": {"ae_epochs": 60, "linear_epochs": 120, "dae_epochs": 5, "gan_epochs": 60,
                  "collapse_epochs": 20, "classifier_epochs": 30, "base_epochs": 5,
                  "few_per_class": 10, "head_epochs": 15, "finetune_epochs": 15},
        "full": {"ae_epochs": 200, "linear_epochs": 500, "dae_epochs": 20, "gan_epochs": 300,
                 "collapse_epochs": 50, "classifier_epochs": 60, "base_epochs": 20,
                 "few_per_class": 10, "head_epochs": 30, "finetune_epochs": 30},
    },
}


def profile() -> str:
    """The active profile, read from ``DLBOOK_PROFILE`` (``"quick"`` if unset)."""
    name = os.environ.get("DLBOOK_PROFILE", "quick").strip().lower() or "quick"
    if name not in PROFILES:
        raise ValueError(
            f"DLBOOK_PROFILE must be one of {PROFILES}, got {os.environ['DLBOOK_PROFILE']!r}"
        )
    return name


def chapters() -> tuple[str, ...]:
    """The chapter keys that have a budget, e.g. ``("ch01", "ch02", ...)``."""
    return tuple(sorted(_BUDGETS))


def budget(chapter: str, profile_name: str | None = None) -> SimpleNamespace:
    """The dataset sizes and epochs of ``chapter`` under the active profile.

    >>> budget("ch04").mnist_epochs   # doctest: +SKIP
    15

    ``profile_name`` overrides ``DLBOOK_PROFILE`` (useful in tests).
    """
    if chapter not in _BUDGETS:
        raise ValueError(f"chapter must be one of {chapters()}, got {chapter!r}")
    name = profile() if profile_name is None else profile_name
    if name not in PROFILES:
        raise ValueError(f"profile_name must be one of {PROFILES}, got {name!r}")
    return SimpleNamespace(profile=name, **MappingProxyType(_BUDGETS[chapter][name]))


def seed_everything(seed: int = DEFAULT_SEED) -> None:
    """Seed Python, NumPy and the Keras backend, and ask for deterministic ops.

    Wraps :func:`keras.utils.set_random_seed`; two runs with the same seed on
    the same machine print the same numbers. Without Keras (``pip install
    dlbook``, no extra) Python and NumPy are the only generators to seed.
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    if not 0 <= seed < 2**32:
        raise ValueError(f"seed must be in [0, 2**32), got {seed}")
    random.seed(int(seed))
    np.random.seed(int(seed))
    if not has_keras():
        return
    from dlbook import backend
    from dlbook.keras_import import keras

    keras.utils.set_random_seed(int(seed))
    backend.enable_determinism()


def has_keras() -> bool:
    """Whether Keras is installed (the ``keras`` extra); the NumPy chapters run without it."""
    return importlib.util.find_spec("keras") is not None


def quiet_tensorflow() -> None:
    """Silence TensorFlow's C++ start-up logging (must run before it is imported).

    oneDNN is switched off too: its start-up notice goes to stderr, and its
    reordered floating-point sums would make two runs differ in the last digits.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")


_chapter_started: float | None = None


def setup_notebook(seed: int = DEFAULT_SEED) -> None:
    """The hidden cell that starts every chapter: quiet logs, figure style, seeds, a clock."""
    global _chapter_started
    _chapter_started = time.perf_counter()
    quiet_tensorflow()
    from dlbook import plotting

    plotting.use_book_style()
    seed_everything(seed)
    if has_keras():
        from dlbook import backend

        backend.quiet_known_warnings()


def glue(name: str, value, display: bool = True) -> None:
    """Keep ``value`` under ``name`` for the prose to quote (``{glue:text}`name```).

    In the book's build this is myst-nb's ``glue``. A reader's notebook
    (Colab, Binder, Jupyter without myst-nb) has no prose to fill in: the
    value is shown when ``display`` is true, and otherwise nothing happens.
    A matplotlib figure must stay legible on a phone
    (:func:`dlbook.plotting.check_legible`), or the build stops here.
    """
    figure = sys.modules.get("matplotlib.figure")  # a figure means matplotlib is loaded
    if figure is not None and isinstance(value, figure.Figure):
        from dlbook import plotting

        plotting.check_legible(value, name)
    if importlib.util.find_spec("myst_nb") is not None:
        from myst_nb import glue as myst_glue

        myst_glue(name, value, display=display)
    elif display:
        from IPython.display import display as show

        show(value)


def running_time(seconds: float) -> str:
    """``"under a minute"``, ``"1 minute"``, ``"4 minutes"``: ``seconds`` rounded up to minutes."""
    if not seconds >= 0:
        raise ValueError(f"seconds must be a non-negative number, got {seconds!r}")
    minutes = math.ceil(seconds / 60)
    return "under a minute" if seconds < 60 else f"{minutes} minute{'s' * (minutes > 1)}"


def glue_running_time() -> None:
    """The hidden cell that ends every chapter: glue ``chapter_runtime``, the time since
    :func:`setup_notebook`, for the sentence under the chapter's title."""
    if _chapter_started is None:
        raise RuntimeError("glue_running_time() needs setup_notebook() to have run first")
    glue("chapter_runtime", running_time(time.perf_counter() - _chapter_started), display=False)
