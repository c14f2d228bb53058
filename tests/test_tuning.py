"""Tests for dlbook.tuning.tune_classifier (tiny searches: 2 trials of 1 epoch)."""

import numpy as np
import pytest

from dlbook import tuning
from dlbook.tuning import HYPERPARAMETERS, OBJECTIVE, tune_classifier

SPACE = {"n_hidden": (1, 2), "n_neurons": (4, 32), "learning_rate": (1e-3, 1e-1)}


def blobs(n, seed):
    """Three Gaussian clusters in 4-D, labels 0, 1, 2."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, size=n)
    centres = np.array([[2.0, 0, 0, 0], [0, 2.0, 0, 0], [0, 0, 2.0, 0]])
    return (centres[y] + rng.normal(size=(n, 4))).astype("float32"), y


@pytest.fixture(scope="module")
def data():
    return (*blobs(120, seed=0), *blobs(60, seed=1))


def search(data, **kwargs):
    return tune_classifier(*data, **{**SPACE, "max_trials": 2, "epochs": 1, "batch_size": 32,
                                     "seed": 7, **kwargs})


@pytest.fixture(scope="module")
def result(data):
    return search(data)


def test_best_configuration_lies_in_the_search_space(result):
    best = result.best_hyperparameters
    assert set(best) == set(HYPERPARAMETERS)
    assert isinstance(best["n_hidden"], int) and isinstance(best["n_neurons"], int)
    for name, (low, high) in SPACE.items():
        assert low <= best[name] <= high, (name, best[name])
    assert 0.0 <= result.best_score <= 1.0


def test_table_has_one_row_per_trial_and_holds_the_best(result):
    table = result.trials
    assert list(table.columns) == ["trial", *HYPERPARAMETERS, OBJECTIVE]
    assert list(table["trial"]) == [0, 1]
    assert result.best_score == table[OBJECTIVE].max()
    best_row = table.loc[table[OBJECTIVE] == result.best_score].iloc[0]
    assert {name: best_row[name] for name in HYPERPARAMETERS} == pytest.approx(
        result.best_hyperparameters)
    assert table["trial"].nunique() == 2


@pytest.mark.slow
def test_same_seed_gives_the_same_search_quietly(data, result, capfd):
    again = search(data)
    out, err = capfd.readouterr()
    assert (out, err) == ("", "")
    assert again.best_hyperparameters == result.best_hyperparameters
    assert again.best_score == result.best_score
    assert again.trials.equals(result.trials)


@pytest.mark.slow
def test_another_seed_samples_other_configurations(data, result):
    other = search(data, seed=8)
    columns = list(HYPERPARAMETERS)
    assert not other.trials[columns].equals(result.trials[columns])


def test_a_failed_trial_is_an_error_not_a_silent_best(data, monkeypatch):
    build_classifier = tuning.build_classifier

    def expects_three_features(*args, **kwargs):  # its fit on 4-feature data fails
        return build_classifier(*args, **{**kwargs, "input_shape": (3,)})

    monkeypatch.setattr(tuning, "build_classifier", expects_three_features)
    with pytest.raises(RuntimeError, match=r"trials \['0'\] of the search did not complete"):
        search(data, max_trials=1)


def bad(data, index, value):
    arrays = list(data)
    arrays[index] = value
    return arrays


@pytest.mark.parametrize("mutate, error, match", [
    (lambda d: bad(d, 0, d[0][:, 0]), ValueError, r"x_train must have shape \(N, \.\.\.\)"),
    (lambda d: bad(d, 0, np.where(d[0] > 3, np.nan, d[0])), ValueError,
     "x_train must be finite"),
    (lambda d: bad(d, 1, d[1][:-1]), ValueError, r"y_train must have shape \(120,\), got \(119,\)"),
    (lambda d: bad(d, 3, d[3].astype(float)), ValueError, "y_val must hold integer class labels"),
    (lambda d: bad(d, 1, d[1] - 1), ValueError, "y_train must hold integer class labels >= 0"),
    (lambda d: bad(d, 2, d[2][:, :3]), ValueError, r"x_val must have examples shaped like x_tr"),
    (lambda d: bad(bad(d, 1, np.zeros(120, int)), 3, np.zeros(60, int)), ValueError,
     "at least two classes"),
])
def test_rejects_bad_data(data, mutate, error, match):
    with pytest.raises(error, match=match):
        tune_classifier(*mutate(data))


@pytest.mark.parametrize("kwargs, error, match", [
    ({"n_hidden": (2, 1)}, ValueError, r"n_hidden must satisfy low <= high, got \(2, 1\)"),
    ({"n_hidden": 2}, TypeError, r"n_hidden must be a \(low, high\) pair, got 2"),
    ({"n_hidden": (-1, 2)}, ValueError, r"n_hidden\[0\] must be an int >= 0, got -1"),
    ({"n_neurons": (0, 8)}, ValueError, r"n_neurons\[0\] must be an int >= 1, got 0"),
    ({"n_neurons": (4.0, 8)}, TypeError, r"n_neurons\[0\] must be an int, got float"),
    ({"learning_rate": (0.1, 0.01)}, ValueError, "learning_rate must satisfy low <= high"),
    ({"learning_rate": (0.0, 0.1)}, ValueError, r"learning_rate\[0\] must be a positive finite"),
    ({"learning_rate": (0.1, float("inf"))}, ValueError, r"learning_rate\[1\] must be a positive finite"),
    ({"learning_rate": ("a", 0.1)}, TypeError, r"learning_rate\[0\] must be a number, got str"),
    ({"max_trials": 0}, ValueError, "max_trials must be an int >= 1, got 0"),
    ({"epochs": 1.0}, TypeError, "epochs must be an int, got float"),
    ({"seed": -1}, ValueError, "seed must be an int >= 0, got -1"),
    ({"optimizer": "rmsprop"}, ValueError, "optimizer must be one of"),
])
def test_rejects_bad_settings(data, kwargs, error, match):
    with pytest.raises(error, match=match):
        tune_classifier(*data, **kwargs)
