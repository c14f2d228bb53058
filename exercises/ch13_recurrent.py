"""Chapter 13, recurrent networks: coding exercises.

A layer of H recurrent neurons in Keras' SimpleRNN layout: inputs x are float64
(N, T, D), N sequences of T steps of D features; W_x (D, H) (Keras' kernel),
W_h (H, H) (its recurrent_kernel), b (H,) (its bias). The state is h_t (N, H).

Replace each ``raise NotImplementedError`` with your code, using NumPy only.
Check one function in a notebook with ``check("ch13.rnn_step", rnn_step)``
(``from dlbook.grading import check``), or the file with ``dlbook grade
exercises/ch13_recurrent.py``. Return new arrays and leave the arguments
unchanged. Tolerance: |error| <= 1e-9 + 1e-6 |expected|; the gradients of
rnn_backward are also checked against finite differences (relative error <= 1e-6).
"""

import numpy as np  # noqa: F401 (your code will need it)


def rnn_step(x_t, h_prev, W_x, W_h, b):
    """ch13.rnn_step: one step of a layer of recurrent neurons.

    h_t = tanh(x_t W_x + h_{t-1} W_h + b)

    x_t: (N, D); h_prev = h_{t-1}: (N, H); W_x (D, H), W_h (H, H), b (H,).
    Returns h_t, (N, H).
    Book: chapter 13, "The recurrent neuron".
    """
    raise NotImplementedError


def rnn_forward(x, h0, W_x, W_h, b):
    """ch13.rnn_forward: the layer unrolled through time.

    h_t = tanh(x_t W_x + h_{t-1} W_h + b) for t = 1 .. T, starting from h0.

    x: (N, T, D); h0: (N, H); weights as in rnn_step. Returns (out, cache):
    out = h_1 .. h_T as (N, T, H) (what Keras returns with return_sequences=True),
    and cache = (x, states, W_x, W_h) with states (N, T + 1, H) holding
    h_0 .. h_T (states[:, 0] is h0, states[:, 1:] is out).
    Book: chapter 13, "Unrolling through time".
    """
    raise NotImplementedError


def rnn_backward(dh, cache):
    """ch13.rnn_backward: backpropagation through time.

    dh is dL/dh_t from the layer's outputs: (N, T, H) for every state, or
    (N, H) for the last state h_T only (a sequence-to-vector model).
    Going back from t = T to 1, with g_t = dh_t + (what flows back from step t + 1):

        da_t = g_t * (1 - h_t^2),   dx_t = da_t W_x^T,   (flows back to h_{t-1}) da_t W_h^T,
        dW_x += x_t^T da_t,   dW_h += h_{t-1}^T da_t,   db += sum_n da_t

    cache: (x, states, W_x, W_h) from rnn_forward. Returns
    (dx (N, T, D), dh0 (N, H), dW_x (D, H), dW_h (H, H), db (H,)).
    dx, dW_h and db are also checked against finite differences.
    Book: chapter 13, "Backpropagation through time".
    """
    raise NotImplementedError


def make_windows(series, window, horizon):
    """ch13.make_windows: cut a series into (input window, next values) pairs.

    Window i holds s_i .. s_{i+window-1}; its target the next ``horizon``
    values s_{i+window} .. s_{i+window+horizon-1}; N = T - window - horizon + 1.

    series: a 1-D float32 array (T,); window, horizon: ints >= 1 with
    window + horizon <= T. Returns (x, y): x (N, window, 1) (one feature per
    step, the shape a recurrent layer reads) and y (N, horizon), both with
    the dtype of ``series``.
    Book: chapter 13, "Forecasting a time series".
    """
    raise NotImplementedError
