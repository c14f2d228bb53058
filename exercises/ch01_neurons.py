"""Chapter 1, neurons and networks: coding exercises.

Replace each ``raise NotImplementedError`` with your code, using NumPy only
(the ``dlbook`` modules that hold the answers cannot be imported while you
are graded). Check one function in a notebook::

    from dlbook.grading import check
    check("ch01.sigmoid", sigmoid)

or the whole file from a shell: ``dlbook grade exercises/ch01_neurons.py``.
Every function must return a new array and leave its arguments unchanged.
Answers are compared with the book's reference to |error| <= 1e-9 + 1e-6 |expected|.
"""

import numpy as np  # noqa: F401 (your code will need it)


def sigmoid(z):
    """ch01.sigmoid: the logistic sigmoid, entry by entry.

    g(z) = 1 / (1 + e^{-z})

    z: float64 array of any shape. Returns a float64 array of the same shape,
    every entry in [0, 1]. Must not overflow for |z| in the hundreds.
    Book: chapter 1, "Activation functions".
    """
    raise NotImplementedError


def sigmoid_prime(z):
    """ch01.sigmoid_prime: the derivative of the sigmoid.

    g'(z) = g(z) (1 - g(z))

    z: float64 array of any shape. Returns a float64 array of the same shape.
    Also checked against finite differences of the sigmoid.
    Book: chapter 1, "Activation functions".
    """
    raise NotImplementedError


def softmax(z):
    """ch01.softmax: the softmax of each row.

    s_{n,k} = e^{z_{n,k}} / sum_j e^{z_{n,j}}

    z: float64 array (N, K) of scores. Returns (N, K) probabilities, each row
    summing to 1. Must work for scores near +-1000 (subtract each row's
    maximum first: softmax(z - c) = softmax(z)).
    Book: chapter 1, "Activation functions".
    """
    raise NotImplementedError


def binary_crossentropy(y, p):
    """ch01.binary_crossentropy: the Bernoulli negative log-likelihood, averaged.

    L = -(1/n) sum_i [y_i log p_i + (1 - y_i) log(1 - p_i)]

    y: 0/1 targets, p: probabilities, float64 arrays of the same shape, (N,)
    or (N, K); the mean runs over all n entries. Clip p to [1e-7, 1 - 1e-7]
    first, as Keras does. Returns a Python float.
    Book: chapter 1, "Losses".
    """
    raise NotImplementedError


def binary_crossentropy_grad(y, p):
    """ch01.binary_crossentropy_grad: the gradient of the mean binary cross-entropy.

    dL/dp_i = (p_i - y_i) / (p_i (1 - p_i)) / n

    Same arguments as ``binary_crossentropy``; returns an array shaped like p.
    Where p lies outside [1e-7, 1 - 1e-7] the clipped loss is flat: the
    gradient there is 0. Also checked against finite differences.
    Book: chapter 1, "Losses".
    """
    raise NotImplementedError


def perceptron_predict(w, X):
    """ch01.perceptron_predict: the perceptron's 0/1 predictions.

    y_hat_n = step(w_0 + sum_j X_{n,j} w_j), step(z) = 1 if z >= 0 else 0

    w: float64 (D + 1,), bias first; X: float64 (N, D). Returns an integer
    array (N,) of 0s and 1s.
    Book: chapter 1, "The perceptron".
    """
    raise NotImplementedError
