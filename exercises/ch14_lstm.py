"""Chapter 14, LSTM: coding exercises.

An LSTM layer of H units in Keras' layout: inputs x are float64 (N, T, D);
W_x (D, 4H) (Keras' kernel), W_h (H, 4H) (its recurrent_kernel), b (4H,)
(its bias), each holding four blocks of H columns side by side, in the order
i (input gate), f (forget gate), g (candidate; Keras calls it c), o (output gate).
The states h_t (short-term, the output) and c_t (long-term, the cell) are (N, H).

Replace each ``raise NotImplementedError`` with your code, using NumPy only.
Check one function in a notebook with ``check("ch14.lstm_gates", lstm_gates)``
(``from dlbook.grading import check``), or the file with ``dlbook grade
exercises/ch14_lstm.py``. Return new arrays and leave the arguments unchanged.
Tolerance: |error| <= 1e-9 + 1e-6 |expected|.
"""

import numpy as np  # noqa: F401 (your code will need it)


def lstm_gates(x_t, h_prev, W_x, W_h, b):
    """ch14.lstm_gates: the three gates and the candidate of one step.

    z = x_t W_x + h_{t-1} W_h + b, cut into four blocks z_i, z_f, z_g, z_o of H columns;
    i = sigma(z_i),  f = sigma(z_f),  g = tanh(z_g),  o = sigma(z_o),  sigma(z) = 1 / (1 + e^-z)

    x_t: (N, D); h_prev: (N, H); W_x (D, 4H), W_h (H, 4H), b (4H,).
    Returns (i, f, g, o), each (N, H).
    Book: chapter 14, "Two states and three gates".
    """
    raise NotImplementedError


def lstm_step(x_t, h_prev, c_prev, W_x, W_h, b):
    """ch14.lstm_step: one step of the LSTM cell.

    c_t = f * c_{t-1} + i * g,   h_t = o * tanh(c_t),   with (i, f, g, o) as in lstm_gates

    x_t: (N, D); h_prev, c_prev: (N, H); weights as in lstm_gates.
    Returns (h_t, c_t), each (N, H).
    Book: chapter 14, "Two states and three gates".
    """
    raise NotImplementedError


def lstm_forward(x, h0, c0, W_x, W_h, b):
    """ch14.lstm_forward: the LSTM layer unrolled through time.

    (h_t, c_t) = lstm_step(x_t, h_{t-1}, c_{t-1}, W_x, W_h, b) for t = 1 .. T, from (h0, c0).

    x: (N, T, D); h0, c0: (N, H). Returns (h, c): the outputs h_1 .. h_T and
    the cell states c_1 .. c_T, each (N, T, H) (h is what Keras' LSTM returns
    with return_sequences=True).
    Book: chapter 14, "The cell in NumPy".
    """
    raise NotImplementedError
