"""Classification metrics against scikit-learn, and what the chapter says about them."""

import numpy as np
import pytest
from sklearn import metrics as sk

from dlbook import metrics

RNG = np.random.default_rng(0)


@pytest.mark.parametrize("n_classes", [2, 3, 5])
def test_the_metrics_match_scikit_learn(n_classes):
    y_true = RNG.integers(0, n_classes, 200)
    y_pred = np.where(RNG.random(200) < 0.7, y_true, RNG.integers(0, n_classes, 200))
    C = metrics.confusion_matrix(y_true, y_pred, n_classes)
    labels = list(range(n_classes))
    np.testing.assert_array_equal(C, sk.confusion_matrix(y_true, y_pred, labels=labels))
    assert metrics.accuracy(C) == pytest.approx(sk.accuracy_score(y_true, y_pred), abs=1e-15)
    precision, recall = metrics.precision_recall(C)
    np.testing.assert_allclose(precision, sk.precision_score(y_true, y_pred, average=None,
                                                             labels=labels, zero_division=0))
    np.testing.assert_allclose(recall, sk.recall_score(y_true, y_pred, average=None,
                                                       labels=labels, zero_division=0))


def test_two_classes_give_the_textbook_ratios():
    # TN = 50, FP = 10, FN = 5, TP = 35
    C = metrics.confusion_matrix(np.repeat([0, 0, 1, 1], [50, 10, 5, 35]),
                                 np.repeat([0, 1, 0, 1], [50, 10, 5, 35]), 2)
    np.testing.assert_array_equal(C, [[50, 10], [5, 35]])
    precision, recall = metrics.precision_recall(C)
    assert precision[1] == 35 / 45 and recall[1] == 35 / 40 and metrics.accuracy(C) == 0.85


def test_accuracy_misleads_on_imbalanced_classes():
    y_true = np.array([0] * 95 + [1] * 5)
    C = metrics.confusion_matrix(y_true, np.zeros(100, dtype=int), 2)  # always "negative"
    precision, recall = metrics.precision_recall(C)
    assert metrics.accuracy(C) == 0.95 and recall[1] == 0 and precision[1] == 0  # never predicted


@pytest.mark.parametrize("call, error, message", [
    (lambda: metrics.confusion_matrix([0, 1], [0, 2], 2), ValueError, r"y_pred must lie in 0 \.\. 1"),
    (lambda: metrics.confusion_matrix([0.0, 1.0], [0, 1], 2), TypeError,
     "y_true must be an int array of class labels, got dtype float64"),
    (lambda: metrics.confusion_matrix([[0, 1]], [[0, 1]], 2), ValueError, r"y_true must have shape \(N,\)"),
    (lambda: metrics.confusion_matrix([0, 1], [0, 1, 1], 2), ValueError, "the same shape"),
    (lambda: metrics.confusion_matrix([0, 1], [0, 1], 1), ValueError, "n_classes must be an int >= 2"),
    (lambda: metrics.precision_recall(np.zeros((2, 2), dtype=int)), ValueError, "at least one example"),
    (lambda: metrics.accuracy(np.ones((2, 3), dtype=int)), ValueError, r"got shape \(2, 3\)"),
    (lambda: metrics.accuracy(np.ones((2, 2))), TypeError,
     "C must be a matrix of int counts, got dtype float64"),
])
def test_bad_input_is_named(call, error, message):
    with pytest.raises(error, match=message):
        call()
