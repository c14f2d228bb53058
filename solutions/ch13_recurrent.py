"""Chapter 13, recurrent networks: reference solutions to the coding exercises.

Keras' SimpleRNN layout: W_x (D, H), W_h (H, H), b (H,). Check with
``dlbook grade solutions/ch13_recurrent.py``.
"""

import numpy as np


def rnn_step(x_t, h_prev, W_x, W_h, b):
    """The input and the previous state through their own weights, plus the bias, squashed."""
    return np.tanh(x_t @ W_x + h_prev @ W_h + b)


def rnn_forward(x, h0, W_x, W_h, b):
    """The same step at every time step, each state feeding the next."""
    n, steps, _ = x.shape
    states = np.zeros((n, steps + 1, W_h.shape[0]))
    states[:, 0] = h0
    for t in range(steps):
        states[:, t + 1] = rnn_step(x[:, t], states[:, t], W_x, W_h, b)
    return states[:, 1:].copy(), (x, states, W_x, W_h)


def rnn_backward(dh, cache):
    """Walk back through the steps, adding each step's share of the shared weights' gradients."""
    x, states, W_x, W_h = cache
    n, steps, _ = x.shape
    if dh.ndim == 2:  # the last state only
        last, dh = dh, np.zeros((n, steps, W_h.shape[0]))
        dh[:, -1] = last
    dx = np.zeros_like(x)
    dW_x, dW_h, db = np.zeros_like(W_x), np.zeros_like(W_h), np.zeros(W_h.shape[0])
    carry = np.zeros((n, W_h.shape[0]))
    for t in reversed(range(steps)):
        da = (dh[:, t] + carry) * (1 - states[:, t + 1] ** 2)
        dx[:, t] = da @ W_x.T
        dW_x += x[:, t].T @ da
        dW_h += states[:, t].T @ da
        db += da.sum(axis=0)
        carry = da @ W_h.T
    return dx, carry, dW_x, dW_h, db


def make_windows(series, window, horizon):
    """Index the series with a grid of start positions plus offsets."""
    n = len(series) - window - horizon + 1
    starts = np.arange(n)[:, None]
    x = series[starts + np.arange(window)][..., None]
    y = series[starts + window + np.arange(horizon)]
    return x, y
