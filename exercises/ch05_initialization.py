"""Chapter 5, training deep networks: gradients and initialization: coding exercises.

Replace each ``raise NotImplementedError`` with your code, using NumPy only.
Check one function in a notebook with ``check("ch05.fans", fans)``
(``from dlbook.grading import check``), or the file with
``dlbook grade exercises/ch05_initialization.py``. Return new arrays and
leave the arguments unchanged. Tolerance: |error| <= 1e-9 + 1e-6 |expected|.
"""

import math  # noqa: F401 (your code may need it)

import numpy as np  # noqa: F401 (your code will need it)


def fans(shape):
    """ch05.fans: the fan-in and fan-out of a kernel, as Keras computes them.

    Dense kernel (n_in, n_out):                    fan_in = n_in,      fan_out = n_out
    Convolution kernel (k_1, ..., k_d, c_in, c_out): r = k_1 * ... * k_d,
                                                   fan_in = r * c_in,  fan_out = r * c_out
    Vector (n,):                                   fan_in = fan_out = n

    shape: a tuple of positive ints, e.g. (784, 300) or (3, 3, 16, 32).
    Returns a tuple of two Python ints (fan_in, fan_out).
    Book: chapter 5, "Glorot, He and LeCun initialization".
    """
    raise NotImplementedError


def init_std(rule, fan_in, fan_out):
    """ch05.init_std: the standard deviation sigma of an initialization rule.

    'glorot': sigma^2 = 1 / fan_avg,  fan_avg = (fan_in + fan_out) / 2
    'he':     sigma^2 = 2 / fan_in
    'lecun':  sigma^2 = 1 / fan_in

    rule: one of 'glorot', 'he', 'lecun'; fan_in, fan_out: positive ints.
    Returns sigma = sqrt(sigma^2), a Python float.
    Book: chapter 5, "Glorot, He and LeCun initialization".
    """
    raise NotImplementedError


def uniform_limit(rule, fan_in, fan_out):
    """ch05.uniform_limit: the r for which U(-r, r) has the variance of a rule.

    Var(U(-r, r)) = r^2 / 3 = sigma^2   =>   r = sqrt(3 sigma^2)

    with sigma^2 as in init_std (Glorot: r = sqrt(6 / (fan_in + fan_out))).
    rule: one of 'glorot', 'he', 'lecun'; fan_in, fan_out: positive ints.
    Returns r, a Python float.
    Book: chapter 5, "Glorot, He and LeCun initialization".
    """
    raise NotImplementedError


def activation_stds(X, weights, activation):
    """ch05.activation_stds: how the spread of the signal changes with depth.

    a(0) = X,   a(l) = g(a(l-1) W(l))   for l = 1 .. L (no biases),
    s_l = the standard deviation of all the entries of a(l) (np.std, ddof = 0)

    X: float64 (N, n_0); weights: a list of L kernels W(l) of shape
    (n_{l-1}, n_l); activation: 'sigmoid', 'tanh' or 'relu', the g of every
    layer. Returns a float64 array (L,) of s_1 .. s_L.
    Book: chapter 5, "Vanishing and exploding gradients".
    """
    raise NotImplementedError


def elu_prime(z, alpha):
    """ch05.elu_prime: the derivative of the exponential linear unit.

    ELU(z) = z if z > 0 else alpha (e^z - 1)
    ELU'(z) = 1 if z > 0 else alpha e^z          (z = 0 takes the second branch)

    z: float64 array of any shape; alpha: a float >= 0. Returns an array
    shaped like z. It is also checked against finite differences.
    Book: chapter 5, "Dying ReLUs, leaky ReLU and ELU".
    """
    raise NotImplementedError
