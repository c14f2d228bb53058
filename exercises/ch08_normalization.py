"""Chapter 8, normalization: coding exercises.

Replace each ``raise NotImplementedError`` with your code, using NumPy only.
Check one function in a notebook with ``check("ch08.batchnorm_forward",
batchnorm_forward)`` (``from dlbook.grading import check``), or the file with
``dlbook grade exercises/ch08_normalization.py``. Return new arrays and leave
the arguments unchanged. Tolerance: |error| <= 1e-9 + 1e-6 |expected|.

Shapes: x and dout are float64 (N, D), one example per row; gamma and beta
are (D,). A cache is the tuple (x_hat, gamma, mean, var, eps) that a forward
function returns and its backward function takes.
"""

import numpy as np  # noqa: F401 (your code will need it)


def batchnorm_forward(x, gamma, beta, eps):
    """ch08.batchnorm_forward: batch normalization in training mode.

    mu_j = (1/N) sum_n x_nj,   sigma_j^2 = (1/N) sum_n (x_nj - mu_j)^2   (biased)
    x_hat_nj = (x_nj - mu_j) / sqrt(sigma_j^2 + eps),   y_nj = gamma_j x_hat_nj + beta_j

    x: (N, D); gamma, beta: (D,); eps: a small positive float. Returns
    (y, cache): y (N, D) and cache = (x_hat (N, D), gamma, mu (D,), sigma^2 (D,), eps).
    Book: chapter 8, "The batch-normalization transform".
    """
    raise NotImplementedError


def batchnorm_backward(dout, cache):
    """ch08.batchnorm_backward: the gradients of batch normalization.

    With s_j = sqrt(sigma_j^2 + eps) and dx_hat = dout * gamma:
    dbeta_j = sum_n dout_nj,   dgamma_j = sum_n dout_nj x_hat_nj,
    dx_nj = (N dx_hat_nj - sum_k dx_hat_kj - x_hat_nj sum_k dx_hat_kj x_hat_kj) / (N s_j)

    dout: dL/dy (N, D); cache: (x_hat, gamma, mean, var, eps) from
    batchnorm_forward. Returns (dx (N, D), dgamma (D,), dbeta (D,)).
    dx and dgamma are also checked against finite differences.
    Book: chapter 8, "The backward pass".
    """
    raise NotImplementedError


def update_running_statistics(running_mean, running_var, batch_mean, batch_var, momentum):
    """ch08.running_statistics: one update of the running mean and variance (Keras' convention).

    m <- momentum * m + (1 - momentum) * mu_B,   v <- momentum * v + (1 - momentum) * sigma_B^2

    All four arrays are float64 (D,); momentum in [0, 1] is the weight of the
    old value. Returns the new (m, v).
    Book: chapter 8, "Training and inference statistics".
    """
    raise NotImplementedError


def layernorm_forward(x, gamma, beta, eps):
    """ch08.layernorm_forward: layer normalization, each example over its features.

    mu_n = (1/D) sum_j x_nj,   sigma_n^2 = (1/D) sum_j (x_nj - mu_n)^2   (biased)
    x_hat_nj = (x_nj - mu_n) / sqrt(sigma_n^2 + eps),   y_nj = gamma_j x_hat_nj + beta_j

    x: (N, D); gamma, beta: (D,); eps: a small positive float. Returns
    (y, cache): y (N, D) and cache = (x_hat (N, D), gamma, mu (N,), sigma^2 (N,), eps).
    Book: chapter 8, "Layer normalization".
    """
    raise NotImplementedError


def layernorm_backward(dout, cache):
    """ch08.layernorm_backward: the gradients of layer normalization.

    With s_n = sqrt(sigma_n^2 + eps) and dx_hat = dout * gamma:
    dbeta_j = sum_n dout_nj,   dgamma_j = sum_n dout_nj x_hat_nj,
    dx_nj = (D dx_hat_nj - sum_k dx_hat_nk - x_hat_nj sum_k dx_hat_nk x_hat_nk) / (D s_n)

    dout: dL/dy (N, D); cache: (x_hat, gamma, mean, var, eps) from
    layernorm_forward, mean and var of shape (N,). Returns (dx (N, D),
    dgamma (D,), dbeta (D,)). dx and dgamma are also checked against finite differences.
    Book: chapter 8, "Layer normalization".
    """
    raise NotImplementedError
