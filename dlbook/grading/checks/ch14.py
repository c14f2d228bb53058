"""Chapter 14, LSTM: the gates, one step of the cell, the layer unrolled through time.

Stubs in ``exercises/ch14_lstm.py``; references in :mod:`dlbook.lstm`. Keras'
LSTM layout: x (N, T, D), W_x (D, 4H), W_h (H, 4H), b (4H,), the four blocks
of H columns in the order i, f, g (Keras' c), o.
"""

from __future__ import annotations

import numpy as np

from dlbook.grading.compare import unpack
from dlbook.grading.registry import ArrayExercise, Call, register, resolve

PAGE = "14_lstm"
MODULE = "dlbook.lstm"


def _weights(rng, d, h, scale=0.6, forget_bias=1.0):
    b = rng.normal(0, 0.4, 4 * h)
    b[h:2 * h] += forget_bias  # as Keras' unit_forget_bias
    return rng.normal(0, scale, (d, 4 * h)), rng.normal(0, scale, (h, 4 * h)), b


# -- the gates -------------------------------------------------------------------------


def _gate_calls() -> list[Call]:
    rng = np.random.default_rng(1401)

    def case(n, d, h, scale=0.6):
        return (rng.normal(size=(n, d)), rng.normal(0, 0.5, (n, h)), *_weights(rng, d, h, scale))

    return [Call(case(4, 3, 2), label="x_t (4, 3), H = 2"),
            Call(case(1, 2, 5), label="one example, H = 5"),
            Call(case(6, 1, 3), hidden=True),
            Call(case(3, 4, 4, scale=8.0), hidden=True, label="large weights: the gates saturate")]


def gates_reference(x_t, h_prev, W_x, W_h, b):
    """The four activations as a plain tuple (i, f, g, o)."""
    return tuple(resolve(f"{MODULE}:lstm_gates")(x_t, h_prev, W_x, W_h, b))


register(ArrayExercise(
    id="ch14.lstm_gates", function="lstm_gates", title="the gates and the candidate",
    section=f"{PAGE}#two-states-and-three-gates",
    hint="z = x_t @ W_x + h_prev @ W_h + b, shape (N, 4H); z_i, z_f, z_g, z_o = np.split(z, 4, axis=1); "
         "i = sigmoid(z_i), f = sigmoid(z_f), g = np.tanh(z_g), o = sigmoid(z_o) with "
         "sigmoid(z) = 1 / (1 + np.exp(-z)); return (i, f, g, o)",
    make_calls=_gate_calls, arg_names=("x_t", "h_prev", "W_x", "W_h", "b"),
    reference=f"{__name__}:gates_reference", parts=lambda value: unpack(value, ("i", "f", "g", "o"))))


# -- one step of the cell --------------------------------------------------------------


def _step_calls() -> list[Call]:
    rng = np.random.default_rng(1402)

    def case(n, d, h, forget_bias=1.0):
        return (rng.normal(size=(n, d)), rng.normal(0, 0.5, (n, h)), rng.normal(0, 1.0, (n, h)),
                *_weights(rng, d, h, forget_bias=forget_bias))

    return [Call(case(3, 2, 4), label="x_t (3, 2), H = 4"),
            Call(case(2, 3, 1), label="a single unit, H = 1"),
            Call(case(5, 4, 3), hidden=True),
            Call(case(2, 2, 2, forget_bias=-6.0), hidden=True, label="a closed forget gate: c is replaced")]


register(ArrayExercise(
    id="ch14.lstm_step", function="lstm_step", title="one step of the LSTM cell",
    section=f"{PAGE}#two-states-and-three-gates",
    hint="i, f, g, o = the gates of x_t and h_prev; c_t = f * c_prev + i * g; h_t = o * np.tanh(c_t); "
         "return (h_t, c_t)",
    make_calls=_step_calls, arg_names=("x_t", "h_prev", "c_prev", "W_x", "W_h", "b"),
    reference=f"{MODULE}:lstm_step", parts=lambda value: unpack(value, ("h_t", "c_t"))))


# -- the layer through time ------------------------------------------------------------


def _forward_calls() -> list[Call]:
    rng = np.random.default_rng(1403)

    def case(n, steps, d, h):
        return (rng.normal(size=(n, steps, d)), rng.normal(0, 0.5, (n, h)), rng.normal(0, 0.5, (n, h)),
                *_weights(rng, d, h))

    return [Call(case(3, 5, 2, 3), label="x (3, 5, 2), H = 3"),
            Call(case(2, 1, 3, 2), label="a single step, T = 1"),
            Call(case(4, 10, 1, 4), hidden=True),
            Call(case(1, 40, 2, 2), hidden=True, label="one long sequence, T = 40")]


def forward_reference(x, h0, c0, W_x, W_h, b):
    """The outputs h_1 .. h_T and the cell states c_1 .. c_T, each (N, T, H)."""
    h, cache = resolve(f"{MODULE}:lstm_forward")(x, h0, c0, W_x, W_h, b)
    return h, cache.c[:, 1:].copy()


register(ArrayExercise(
    id="ch14.lstm_forward", function="lstm_forward", title="the LSTM layer unrolled through time",
    section=f"{PAGE}#the-cell-in-numpy",
    hint="h, c = h0, c0; for t in range(T): h, c = lstm_step(x[:, t], h, c, W_x, W_h, b), storing each; "
         "return np.stack(hs, axis=1), np.stack(cs, axis=1), both (N, T, H)",
    make_calls=_forward_calls, arg_names=("x", "h0", "c0", "W_x", "W_h", "b"),
    reference=f"{__name__}:forward_reference", parts=lambda value: unpack(value, ("h", "c"))))
