"""Chapter 9, regularization: coding exercises.

Penalties follow Keras: keras.regularizers.L2(l2) adds l2 * sum(w^2) to the
loss, with no factor 1/2. In dropout, p is the probability of DROPPING a
unit (Keras' ``rate``); the mask is given (1 = kept, 0 = dropped), so every
call is deterministic.

Replace each ``raise NotImplementedError`` with your code, using NumPy only.
Check one function in a notebook with ``check("ch09.dropout_forward",
dropout_forward)`` (``from dlbook.grading import check``), or the file with
``dlbook grade exercises/ch09_regularization.py``. Return new arrays and
leave the arguments unchanged. Tolerance: |error| <= 1e-9 + 1e-6 |expected|;
gradients are also checked against finite differences (relative error <= 1e-6).
"""

import numpy as np  # noqa: F401 (your code will need it)


def l2_penalty_and_gradient(w, l2):
    """ch09.l2_penalty: the L2 penalty and its gradient.

    Omega(w) = l2 * sum_i w_i^2,   dOmega/dw = 2 * l2 * w

    w: float64 array of any shape; l2: a float >= 0. Returns (penalty,
    gradient): a Python float and an array shaped like w.
    Book: chapter 9, "L1 and L2 penalties".
    """
    raise NotImplementedError


def l1_penalty_and_gradient(w, l1):
    """ch09.l1_penalty: the L1 penalty and its gradient.

    Omega(w) = l1 * sum_i |w_i|,   dOmega/dw = l1 * sign(w)

    w: float64 array of any shape (no entry is 0 in the checks); l1: a float
    >= 0. Returns (penalty, gradient): a Python float and an array shaped like w.
    Book: chapter 9, "L1 and L2 penalties".
    """
    raise NotImplementedError


def dropout_forward(x, p, mask):
    """ch09.dropout_forward: inverted dropout during training, with the mask given.

    out = mask * x / (1 - p)

    x: float64 (N, D) (or any shape); p: the drop probability in [0, 1);
    mask: float64 0/1 array shaped like x, 1 = kept. Returns out, shaped like
    x: dropped units are 0, kept units are scaled by 1 / (1 - p), so that the
    expected value of every unit is unchanged.
    Book: chapter 9, "Dropout".
    """
    raise NotImplementedError


def dropout_backward(dout, cache):
    """ch09.dropout_backward: the gradient through inverted dropout.

    dx = mask * dout / (1 - p)

    dout: the upstream gradient dL/d(out), float64 shaped like x; cache: the
    tuple (mask, p) the forward pass keeps. Returns dx shaped like dout.
    Book: chapter 9, "Dropout".
    """
    raise NotImplementedError


def mc_average(predictions):
    """ch09.mc_average: the Monte Carlo average of T stochastic predictions and their spread.

    mean = (1/T) sum_t y_t,   std = sqrt( sum_t (y_t - mean)^2 / (T - 1) )

    predictions: float64 (T, N, K), the T passes stacked along axis 0 (T >= 2).
    Returns (mean, std), each (N, K); std is the sample standard deviation.
    Book: chapter 9, "Monte Carlo dropout".
    """
    raise NotImplementedError


def predictive_entropy(probabilities):
    """ch09.predictive_entropy: the entropy of each predicted distribution, in nats.

    H_n = -sum_k p_nk ln p_nk,   with 0 ln 0 = 0

    probabilities: float64 (N, K), each row sums to 1. Returns (N,): 0 for a
    certain prediction, ln K for a uniform one.
    Book: chapter 9, "Monte Carlo dropout".
    """
    raise NotImplementedError
