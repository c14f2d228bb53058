"""Chapter 8, normalization: reference solutions to the coding exercises.

Check them with ``dlbook grade solutions/ch08_normalization.py``.
"""

import numpy as np


def batchnorm_forward(x, gamma, beta, eps):
    """Standardize each column with the batch's mean and biased variance, then scale and shift."""
    mean = x.mean(axis=0)
    var = np.mean((x - mean) ** 2, axis=0)
    x_hat = (x - mean) / np.sqrt(var + eps)
    return gamma * x_hat + beta, (x_hat, gamma, mean, var, eps)


def batchnorm_backward(dout, cache):
    """dx, dgamma, dbeta; the two column sums carry the paths through the batch mean and variance."""
    x_hat, gamma, _, var, eps = cache
    n = dout.shape[0]
    dx_hat = dout * gamma
    dx = (n * dx_hat - dx_hat.sum(axis=0) - x_hat * np.sum(dx_hat * x_hat, axis=0)) / (
        n * np.sqrt(var + eps))
    return dx, np.sum(dout * x_hat, axis=0), dout.sum(axis=0)


def update_running_statistics(running_mean, running_var, batch_mean, batch_var, momentum):
    """The exponential moving averages, momentum weighing the old value."""
    return (momentum * running_mean + (1 - momentum) * batch_mean,
            momentum * running_var + (1 - momentum) * batch_var)


def layernorm_forward(x, gamma, beta, eps):
    """Standardize each row with its own mean and biased variance, then scale and shift."""
    mean = x.mean(axis=1)
    var = np.mean((x - mean[:, None]) ** 2, axis=1)
    x_hat = (x - mean[:, None]) / np.sqrt(var + eps)[:, None]
    return gamma * x_hat + beta, (x_hat, gamma, mean, var, eps)


def layernorm_backward(dout, cache):
    """The batch-norm gradient with the sums along each row, D in place of N."""
    x_hat, gamma, _, var, eps = cache
    d = dout.shape[1]
    dx_hat = dout * gamma
    dx = (d * dx_hat - dx_hat.sum(axis=1, keepdims=True)
          - x_hat * np.sum(dx_hat * x_hat, axis=1, keepdims=True)) / (d * np.sqrt(var + eps)[:, None])
    return dx, np.sum(dout * x_hat, axis=0), dout.sum(axis=0)
