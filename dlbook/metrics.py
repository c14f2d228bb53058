"""Measuring a classifier from its counts (chapter 3): the confusion matrix and what it gives.

Accuracy alone hides which mistakes a classifier makes. The confusion matrix
counts them, one row per true class and one column per predicted class;
accuracy, precision and recall are ratios of its entries.
"""

from __future__ import annotations

import numpy as np

from dlbook import validation


def confusion_matrix(y_true, y_pred, n_classes: int) -> np.ndarray:
    """C[i, j] = the number of examples of class i predicted as class j, shape (K, K).

    ``y_true`` and ``y_pred`` are (N,) integer labels in 0 .. K-1. The diagonal
    counts the right answers; row i sums to the number of examples of class i
    and column j to the number predicted as class j.
    """
    n_classes = validation.integer("n_classes", n_classes, minimum=2)
    y_true, y_pred = (validation.class_labels(name, value, n_classes)
                      for name, value in (("y_true", y_true), ("y_pred", y_pred)))
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true and y_pred must have the same shape (N,), got "
                         f"{y_true.shape} and {y_pred.shape}")
    # one pass: the pair (i, j) gets its own number K i + j, and bincount counts each number
    flat = n_classes * y_true + y_pred
    return np.bincount(flat, minlength=n_classes**2).reshape(n_classes, n_classes)


def accuracy(C) -> float:
    """The fraction of right answers: trace(C) / sum(C)."""
    C = _counts(C)
    return float(np.trace(C) / C.sum())


def precision_recall(C) -> tuple[np.ndarray, np.ndarray]:
    """Per class k: precision_k = C[k, k] / sum_i C[i, k] and recall_k = C[k, k] / sum_j C[k, j].

    Precision is the fraction of the examples predicted as k that are k (of
    the alarms, how many are real); recall is the fraction of the examples of
    class k that are found. For two classes with 1 the positive class they are
    TP / (TP + FP) and TP / (TP + FN). A class never predicted (or never
    present) has an empty denominator; its precision (or recall) is 0 then.
    """
    C = _counts(C).astype(np.float64)
    hits = np.diag(C)
    return _ratio(hits, C.sum(axis=0)), _ratio(hits, C.sum(axis=1))


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    return np.divide(numerator, denominator, out=np.zeros_like(numerator), where=denominator > 0)


def _counts(C) -> np.ndarray:
    """``C`` checked to be a confusion matrix: square, K >= 2, counts >= 0, not all zero."""
    C = np.asarray(C)
    if not np.issubdtype(C.dtype, np.integer):
        raise TypeError(f"C must be a matrix of int counts, got dtype {C.dtype}")
    if C.ndim != 2 or C.shape[0] != C.shape[1] or C.shape[0] < 2 or C.min() < 0 or C.sum() == 0:
        raise ValueError(f"C must be a square (K, K) matrix of non-negative counts with K >= 2 "
                         f"and at least one example, got shape {C.shape}")
    return C
