"""Hyperparameter search for the classifiers of chapter 4, with KerasTuner.

:func:`tune_classifier` runs a seeded random search over the depth
``n_hidden``, the width ``n_neurons`` and the ``learning_rate`` of
:func:`dlbook.models.build_classifier`, scoring each trial by its best
validation accuracy on a held-out validation set.
"""

from __future__ import annotations

import tempfile
import warnings
from dataclasses import dataclass

import keras_tuner
import numpy as np
import pandas as pd

from dlbook import validation
from dlbook.keras_import import keras
from dlbook.models import OPTIMIZERS, build_classifier

OBJECTIVE = "val_accuracy"
HYPERPARAMETERS = ("n_hidden", "n_neurons", "learning_rate")


@dataclass(frozen=True)
class TuningResult:
    """What a search found.

    ``best_hyperparameters`` maps each name of :data:`HYPERPARAMETERS` to its
    best value; ``best_score`` is that trial's best validation accuracy;
    ``trials`` has one row per trial (columns ``trial``, the hyperparameters,
    ``val_accuracy``) in the order they ran.
    """

    best_hyperparameters: dict
    best_score: float
    trials: pd.DataFrame


class _RandomSearch(keras_tuner.RandomSearch):
    """RandomSearch without KerasTuner's TensorBoard set-up.

    KerasTuner 1.4 imports the ``tensorboard`` package on every TensorFlow-backend
    trial, to configure TensorBoard callbacks, and fails the trial when the
    package is absent (it is not a dependency of dlbook). This search never
    passes a TensorBoard callback, so there is nothing to configure.
    """

    def _configure_tensorboard_dir(self, callbacks, trial, execution=0):
        return None


def tune_classifier(
    x_train,
    y_train,
    x_val,
    y_val,
    *,
    n_hidden: tuple[int, int] = (1, 3),
    n_neurons: tuple[int, int] = (16, 256),
    learning_rate: tuple[float, float] = (1e-3, 1e-1),
    max_trials: int = 10,
    epochs: int = 10,
    batch_size: int = 32,
    optimizer: str = "sgd",
    seed: int = 42,
) -> TuningResult:
    """Random search over (n_hidden, n_neurons, learning_rate) of a softmax classifier.

    ``x_train`` is ``(N, ...)`` with finite values, ``y_train`` the ``(N,)``
    integer labels 0..K-1 (likewise the validation pair). Each range is an
    inclusive ``(low, high)`` pair; ``n_neurons`` and ``learning_rate`` are
    sampled on a log scale. Each of the (at most) ``max_trials`` trials trains
    a fresh :func:`~dlbook.models.build_classifier` for ``epochs`` epochs and
    scores it by its best epoch's validation accuracy. The search reseeds Keras's
    global generators with ``seed``, so the same ``seed`` gives the same trials
    and scores. Nothing is printed and nothing is kept on disk.
    """
    x_train, y_train = _check_split("train", x_train, y_train)
    x_val, y_val = _check_split("val", x_val, y_val)
    if x_val.shape[1:] != x_train.shape[1:]:
        raise ValueError(
            f"x_val must have examples shaped like x_train's {x_train.shape[1:]}, "
            f"got {x_val.shape[1:]}"
        )
    n_hidden = _check_range("n_hidden", n_hidden, lambda name, v: validation.integer(name, v, 0))
    n_neurons = _check_range("n_neurons", n_neurons, lambda name, v: validation.integer(name, v, 1))
    learning_rate = _check_range("learning_rate", learning_rate, validation.positive)
    for name, value in (("max_trials", max_trials), ("epochs", epochs),
                        ("batch_size", batch_size), ("seed", seed)):
        validation.integer(name, value, minimum=0 if name == "seed" else 1)
    validation.choice("optimizer", optimizer, OPTIMIZERS)
    input_shape = tuple(int(d) for d in x_train.shape[1:])
    n_classes = max(int(y_train.max()), int(y_val.max())) + 1
    if n_classes < 2:
        raise ValueError("y_train and y_val must hold at least two classes (labels 0 and 1), "
                         f"got only label {n_classes - 1}")

    def build(hp):
        return build_classifier(
            hp.Int("n_hidden", *n_hidden),
            hp.Int("n_neurons", *n_neurons, sampling="log"),
            hp.Float("learning_rate", *learning_rate, sampling="log"),
            input_shape=input_shape,
            n_classes=n_classes,
            optimizer=optimizer,
        )

    keras.utils.set_random_seed(seed)  # the weights and shuffles of every trial
    with tempfile.TemporaryDirectory(prefix="dlbook-tuner-") as directory, \
            warnings.catch_warnings():
        # KerasTuner checkpoints each trial's best epoch with save_weights, which
        # trips a NumPy 2 DeprecationWarning inside Keras; the files are discarded anyway.
        warnings.filterwarnings("ignore", message="__array__ implementation doesn't accept",
                                category=DeprecationWarning)
        tuner = _RandomSearch(build, objective=OBJECTIVE, max_trials=max_trials, seed=seed,
                              directory=directory, project_name="search", overwrite=True)
        tuner.search(x_train, y_train, validation_data=(x_val, y_val), epochs=epochs,
                     batch_size=batch_size, verbose=0)
        trials = sorted(tuner.oracle.trials.values(), key=lambda t: int(t.trial_id))
    failed = [t.trial_id for t in trials if t.status != "COMPLETED"]
    if failed:
        raise RuntimeError(f"trials {failed} of the search did not complete")
    table = pd.DataFrame(
        [{"trial": int(t.trial_id), **{k: t.hyperparameters.get(k) for k in HYPERPARAMETERS},
          OBJECTIVE: float(t.score)} for t in trials]
    )
    best = table[OBJECTIVE].idxmax()  # the first of equal scores
    return TuningResult(
        best_hyperparameters={k: table.at[best, k].item() for k in HYPERPARAMETERS},
        best_score=float(table.at[best, OBJECTIVE]),
        trials=table,
    )


def _check_split(name: str, x, y) -> tuple[np.ndarray, np.ndarray]:
    """``x_<name>`` ``(N, ...)`` as float32 and its ``N`` integer labels ``y_<name>``."""
    x, y = validation.float_array(f"x_{name}", x), np.asarray(y)
    if x.ndim < 2 or x.shape[0] == 0:
        raise ValueError(f"x_{name} must have shape (N, ...) with N >= 1, got {x.shape}")
    if y.shape != (x.shape[0],):
        raise ValueError(f"y_{name} must have shape ({x.shape[0]},), got {y.shape}")
    if not np.issubdtype(y.dtype, np.integer) or y.min() < 0:
        raise ValueError(f"y_{name} must hold integer class labels >= 0, got dtype {y.dtype} "
                         f"with minimum {y.min()}")
    return x.astype("float32"), y


def _check_range(name: str, bounds, check) -> tuple:
    """``bounds``, an inclusive ``(low, high)`` pair of values ``check`` accepts, with low <= high."""
    if not isinstance(bounds, (tuple, list)) or len(bounds) != 2:
        raise TypeError(f"{name} must be a (low, high) pair, got {bounds!r}")
    low, high = check(f"{name}[0]", bounds[0]), check(f"{name}[1]", bounds[1])
    if low > high:
        raise ValueError(f"{name} must satisfy low <= high, got {bounds!r}")
    return low, high
