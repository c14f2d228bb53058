"""Chapter 3, backpropagation: coding exercises.

The network of the chapter: sigmoid units in every layer; the weights of
layer l form a matrix W(l) of shape (n_{l+1}, n_l + 1) whose first column
multiplies the bias unit a_0 = 1. Examples are rows: X is (N, n_1).
The cost J is the binary cross-entropy averaged over all N n_L outputs.
The last two exercises measure a classifier's answers: the confusion
matrix, then precision and recall from it.

Replace each ``raise NotImplementedError`` with your code, using NumPy only.
Check in a notebook with ``check("ch03.backward", backward)`` (``from
dlbook.grading import check``) or the file with ``dlbook grade
exercises/ch03_backprop.py``. Leave the arguments unchanged. Tolerance:
|error| <= 1e-9 + 1e-6 |expected|; gradients are also checked against
finite differences (relative error <= 1e-6).
"""

from typing import NamedTuple

import numpy as np


class Cache(NamedTuple):
    """What the backward pass needs from the forward pass (given, not an exercise)."""

    a_bias: list  # [1, a(l)]: each layer's input with its bias column, shapes (N, n_l + 1)
    z: list  # z(l+1) = [1, a(l)] W(l)^T, shapes (N, n_{l+1})
    output: np.ndarray  # a(L), shape (N, n_L)
    activation: str  # "sigmoid"


def forward(weights, X):
    """ch03.forward: the forward pass.

    a(1) = X;  z(l+1) = [1, a(l)] W(l)^T;  a(l+1) = sigmoid(z(l+1))

    weights: a list of W(l); X: float64 (N, n_1). Returns (y_hat, cache):
    y_hat = a(L), (N, n_L), and Cache(a_bias, z, y_hat, "sigmoid") with one
    entry per layer in each list.
    Book: chapter 3, "The forward pass".
    """
    raise NotImplementedError


def output_delta(y_hat, y):
    """ch03.output_delta: the error of the output layer.

    delta(L) = dJ/dz(L) = (a(L) - y) / (N n_L)

    y_hat, y: float64 (N, n_L). Returns (N, n_L). The sigmoid's h'(z) cancels
    against the cross-entropy; the 1/(N n_L) is because J is a mean.
    Book: chapter 3, "Deriving the gradients".
    """
    raise NotImplementedError


def hidden_delta(delta_next, W, z):
    """ch03.hidden_delta: the error one layer back.

    delta(l) = (delta(l+1) W(l))[:, 1:] * h'(z(l)),  h'(z) = sigmoid(z) (1 - sigmoid(z))

    delta_next: (N, m); W: (m, n + 1); z: (N, n). Returns (N, n); the bias
    column is dropped because no error flows into the constant bias unit.
    Book: chapter 3, "Deriving the gradients".
    """
    raise NotImplementedError


def backward(weights, cache, y):
    """ch03.backward: the backward pass, every gradient.

    dJ/dW(l) = delta(l+1)^T [1, a(l)], from delta(L) down through hidden_delta

    weights: the list of W(l); cache: the Cache of the forward pass on these
    weights; y: float64 (N, n_L). Returns a list with one gradient per W(l),
    each of the same shape as W(l).
    Book: chapter 3, "The algorithm".
    """
    raise NotImplementedError


def confusion_matrix(y_true, y_pred, n_classes):
    """ch03.confusion_matrix: count the classifier's answers.

    C[i, j] = the number of examples of class i predicted as class j

    y_true, y_pred: int arrays (N,) with labels in 0 .. n_classes - 1.
    Returns an int array (n_classes, n_classes): rows are true classes,
    columns predicted ones, the diagonal the right answers.
    Book: chapter 3, "Measuring a classifier".
    """
    raise NotImplementedError


def precision_recall(C):
    """ch03.precision_recall: precision and recall of every class.

    precision_k = C[k, k] / sum_i C[i, k]     recall_k = C[k, k] / sum_j C[k, j]

    C: an int confusion matrix (K, K). Returns (precision, recall), two
    float arrays (K,); a ratio whose denominator is 0 is 0.
    Book: chapter 3, "Measuring a classifier".
    """
    raise NotImplementedError
