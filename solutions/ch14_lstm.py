"""Chapter 14, LSTM: reference solutions to the coding exercises.

Keras' layout: W_x (D, 4H), W_h (H, 4H), b (4H,), gate order i, f, g, o.
Check with ``dlbook grade solutions/ch14_lstm.py``.
"""

import numpy as np


def _sigmoid(z):
    """1 / (1 + e^-z) without overflow: e^-|z| only."""
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def lstm_gates(x_t, h_prev, W_x, W_h, b):
    """One matrix product for all four, then split into the blocks of H columns."""
    z_i, z_f, z_g, z_o = np.split(x_t @ W_x + h_prev @ W_h + b, 4, axis=1)
    return _sigmoid(z_i), _sigmoid(z_f), np.tanh(z_g), _sigmoid(z_o)


def lstm_step(x_t, h_prev, c_prev, W_x, W_h, b):
    """Forget part of the old cell, write part of the candidate, show part of the result."""
    i, f, g, o = lstm_gates(x_t, h_prev, W_x, W_h, b)
    c_t = f * c_prev + i * g
    return o * np.tanh(c_t), c_t


def lstm_forward(x, h0, c0, W_x, W_h, b):
    """The same step at every time step, both states carried forward."""
    h, c, hs, cs = h0, c0, [], []
    for t in range(x.shape[1]):
        h, c = lstm_step(x[:, t], h, c, W_x, W_h, b)
        hs.append(h)
        cs.append(c)
    return np.stack(hs, axis=1), np.stack(cs, axis=1)
