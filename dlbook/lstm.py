"""Long short-term memory (chapter 14): the LSTM cell from scratch, a memory task, stacked LSTMs.

An LSTM layer of H units carries two states from step to step: the short-term
state h_t (N, H), which is also its output, and the long-term state, the cell
c_t (N, H). Three gates and a candidate are computed from x_t and h_{t-1},

    i_t = sigma(x_t W_xi + h_{t-1} W_hi + b_i)      input gate
    f_t = sigma(x_t W_xf + h_{t-1} W_hf + b_f)      forget gate
    g_t = tanh(x_t W_xg + h_{t-1} W_hg + b_g)       candidate
    o_t = sigma(x_t W_xo + h_{t-1} W_ho + b_o)      output gate

    c_t = f_t * c_{t-1} + i_t * g_t,                h_t = o_t * tanh(c_t),

with sigma the logistic sigmoid. The weights are stored as in
``keras.layers.LSTM``: ``W_x`` is its ``kernel`` (D, 4H), ``W_h`` its
``recurrent_kernel`` (H, 4H), ``b`` its ``bias`` (4H,), each the four blocks
side by side in Keras' order i, f, g (Keras calls it c), o; so
``layer.set_weights([W_x, W_h, b])`` gives Keras the same cell. Keras starts
the forget gate's bias at 1 (``unit_forget_bias=True``): an untrained cell
keeps about sigma(1) = 73 % of its memory per step, not half.

The NumPy layer, float64, never imports Keras: :func:`lstm_gates`,
:func:`lstm_step`, :func:`lstm_forward` (with an :class:`LSTMCache` holding
every state and gate), :func:`lstm_step_backward` and :func:`lstm_backward`
(through time) and :func:`gradient_check`, :func:`init_lstm_weights`; the
memory task :func:`marked_value_task` and :func:`accuracy_by_delay`.

The Keras layer imports Keras when called: :func:`keras_lstm` (Keras' own LSTM
on given weights, in float64), :func:`build_memory_classifier` (SimpleRNN or
LSTM on the memory task) and :func:`build_stacked_lstm`
(LSTM(50, return_sequences=True) -> LSTM(50) -> Dense(1)).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from dlbook import validation
from dlbook.activations import sigmoid
from dlbook.gradcheck import numerical_gradient, relative_error
from dlbook.recurrent import _check_state, _check_upstream, random_orthogonal

GATES = ("i", "f", "g", "o")  # Keras' order of the four blocks of the kernel and the bias
CELLS = ("simple_rnn", "lstm")


class LSTMGates(NamedTuple):
    """The gate activations of one step, each (N, H)."""

    i: np.ndarray  # input gate, in (0, 1): how much of the candidate is written
    f: np.ndarray  # forget gate, in (0, 1): how much of c_{t-1} is kept
    g: np.ndarray  # candidate, in (-1, 1): what may be written
    o: np.ndarray  # output gate, in (0, 1): how much of tanh(c_t) is shown as h_t


class LSTMCache(NamedTuple):
    """What :func:`lstm_backward` needs from :func:`lstm_forward`, and every gate for plotting."""

    x: np.ndarray  # the inputs, (N, T, D)
    h: np.ndarray  # h_0 .. h_T, (N, T + 1, H)
    c: np.ndarray  # c_0 .. c_T, (N, T + 1, H)
    gates: np.ndarray  # i, f, g, o of steps 1 .. T side by side, (N, T, 4H)
    W_x: np.ndarray  # (D, 4H)
    W_h: np.ndarray  # (H, 4H)


class LSTMGradients(NamedTuple):
    """The gradients of a loss L with respect to everything :func:`lstm_forward` takes."""

    dx: np.ndarray  # (N, T, D)
    dh0: np.ndarray  # (N, H)
    dc0: np.ndarray  # (N, H)
    dW_x: np.ndarray  # (D, 4H)  # noqa: N815 (the book's notation)
    dW_h: np.ndarray  # (H, 4H)  # noqa: N815
    db: np.ndarray  # (4H,)


class MemoryTask(NamedTuple):
    """Sequences of the memory task, their labels and how far back the answer lies."""

    x: np.ndarray  # (N, T, 2) float32: a random sign and a marker at every step
    y: np.ndarray  # (N,) float32: 1 if the marked sign is +1, else 0
    delay: np.ndarray  # (N,) int64: steps from the marked step to the last, 0 .. T - 1


# ---------------------------------------------------------------------------
# Weights


def init_lstm_weights(d: int, h: int, seed: int = 0,
                      unit_forget_bias: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Keras' LSTM initialization: (W_x (D, 4H), W_h (H, 4H), b (4H,)).

    W_x Glorot uniform over the whole (D, 4H) kernel, U(-r, r) with
    r = sqrt(6 / (D + 4H)); W_h four random orthogonal (H, H) blocks; b zero
    except the forget gate's block, which is 1 with ``unit_forget_bias``.
    """
    d, h = validation.integer("d", d, 1), validation.integer("h", h, 1)
    validation.boolean("unit_forget_bias", unit_forget_bias)
    rng = np.random.default_rng(validation.integer("seed", seed, 0))
    r = np.sqrt(6 / (d + 4 * h))
    W_x = rng.uniform(-r, r, (d, 4 * h))
    W_h = np.hstack([random_orthogonal(h, rng) for _ in GATES])
    b = np.zeros(4 * h)
    if unit_forget_bias:
        b[h:2 * h] = 1.0
    return W_x, W_h, b


# ---------------------------------------------------------------------------
# Forward


def lstm_gates(x_t, h_prev, W_x, W_h, b) -> LSTMGates:
    """The three gates and the candidate of one step, from x_t and h_{t-1}.

    z = x_t W_x + h_{t-1} W_h + b (N, 4H) is cut into four blocks of H
    columns, in Keras' order: i = sigma(z_i), f = sigma(z_f), g = tanh(z_g),
    o = sigma(z_o). ``x_t`` (N, D), ``h_prev`` (N, H), ``W_x`` (D, 4H),
    ``W_h`` (H, 4H), ``b`` (4H,). Returns :class:`LSTMGates` (i, f, g, o), each (N, H).
    """
    x_t = validation.float_array("x_t", x_t, "(N, D)")
    W_x, W_h, b = _check_weights(W_x, W_h, b, x_t.shape[1])
    h_prev = _check_state("h_prev", h_prev, x_t.shape[0], W_h.shape[0])
    return _gates(x_t @ W_x + h_prev @ W_h + b)


def lstm_step(x_t, h_prev, c_prev, W_x, W_h, b) -> tuple[np.ndarray, np.ndarray]:
    """One step of the cell: c_t = f * c_{t-1} + i * g, h_t = o * tanh(c_t).

    Shapes as in :func:`lstm_gates`, ``c_prev`` (N, H). Returns (h_t, c_t), each (N, H).
    """
    i, f, g, o = lstm_gates(x_t, h_prev, W_x, W_h, b)
    c_prev = _check_state("c_prev", c_prev, *i.shape)
    c_t = f * c_prev + i * g
    return o * np.tanh(c_t), c_t


def lstm_forward(x, h0, c0, W_x, W_h, b) -> tuple[np.ndarray, LSTMCache]:
    """The LSTM layer unrolled through time, :func:`lstm_step` for t = 1 .. T.

    ``x`` (N, T, D); ``h0``, ``c0`` the initial states (N, H) (None for zeros,
    as in Keras). Returns h_1 .. h_T as (N, T, H) (``return_sequences=True``;
    ``[:, -1]`` is what ``return_sequences=False`` returns) and the
    :class:`LSTMCache`, whose ``c[:, 1:]`` are the cell states and ``gates``
    the gate activations of every step.
    """
    x = validation.float_array("x", x, "(N, T, D)")
    n, steps, d = x.shape
    W_x, W_h, b = _check_weights(W_x, W_h, b, d)
    hidden = W_h.shape[0]
    h = np.empty((n, steps + 1, hidden))
    c = np.empty((n, steps + 1, hidden))
    h[:, 0] = np.zeros((n, hidden)) if h0 is None else _check_state("h0", h0, n, hidden)
    c[:, 0] = np.zeros((n, hidden)) if c0 is None else _check_state("c0", c0, n, hidden)
    gates = np.empty((n, steps, 4 * hidden))
    for t in range(steps):
        i, f, g, o = _gates(x[:, t] @ W_x + h[:, t] @ W_h + b)
        c[:, t + 1] = f * c[:, t] + i * g
        h[:, t + 1] = o * np.tanh(c[:, t + 1])
        gates[:, t] = np.hstack([i, f, g, o])
    return h[:, 1:].copy(), LSTMCache(x, h, c, gates, W_x, W_h)


def split_gates(gates) -> LSTMGates:
    """The (N, ..., 4H) gate activations of :class:`LSTMCache` as :class:`LSTMGates` of (N, ..., H)."""
    gates = validation.float_array("gates", gates)
    if gates.ndim < 1 or gates.shape[-1] % 4 or gates.shape[-1] == 0:
        raise ValueError(f"gates must have a last axis of 4H entries, got shape {gates.shape}")
    return LSTMGates(*np.split(gates, 4, axis=-1))


# ---------------------------------------------------------------------------
# Backward through time


def lstm_step_backward(dh_t, dc_carry, x_t, h_prev, c_prev, c_t, gates_t, W_x, W_h) -> tuple[np.ndarray, ...]:
    """One step back through the cell, from the gradients of its two new states.

    ``dh_t`` is the total dL/dh_t (from the loss and from step t + 1) and
    ``dc_carry`` the part of dL/dc_t that comes back along the cell from step
    t + 1 (c_{t+1} = f c_t + ...); the path through h_t = o tanh(c_t) is added
    here, giving the total dc:

        dc = dc_carry + dh_t o (1 - tanh^2 c_t),   dc_{t-1} = dc f    (no weights, no squashing)
        do = dh_t tanh(c_t),   di = dc g,   df = dc c_{t-1},   dg = dc i
        dz = [di i (1 - i), df f (1 - f), dg (1 - g^2), do o (1 - o)]    (N, 4H), Keras' order
        dx_t = dz W_x^T,  dh_{t-1} = dz W_h^T,  dW_x = x_t^T dz,  dW_h = h_{t-1}^T dz,  db = sum_n dz

    ``dh_t``, ``dc_carry``, ``h_prev``, ``c_prev``, ``c_t`` (N, H); ``x_t`` (N, D);
    ``gates_t`` the step's i, f, g, o side by side (N, 4H), as
    :class:`LSTMCache` keeps them; weights as in :func:`lstm_gates`. Returns
    (dx_t (N, D), dh_prev (N, H), dc_prev (N, H), dW_x (D, 4H), dW_h (H, 4H), db (4H,)).
    """
    dh_t, dc_carry, x_t, h_prev, c_prev, c_t, gates_t, W_x, W_h = _check_step_backward(
        dh_t, dc_carry, x_t, h_prev, c_prev, c_t, gates_t, W_x, W_h)
    i, f, g, o = np.split(gates_t, 4, axis=1)
    tanh_c = np.tanh(c_t)
    dc = dc_carry + dh_t * o * (1 - tanh_c**2)
    do, di, df, dg = dh_t * tanh_c, dc * g, dc * c_prev, dc * i
    dz = np.hstack([di * i * (1 - i), df * f * (1 - f), dg * (1 - g**2), do * o * (1 - o)])
    return dz @ W_x.T, dz @ W_h.T, dc * f, x_t.T @ dz, h_prev.T @ dz, dz.sum(axis=0)


def lstm_backward(dh, cache) -> LSTMGradients:
    """Backpropagation through time for the LSTM layer: :func:`lstm_step_backward` for t = T .. 1.

    ``dh`` is dL/dh_t for every output (N, T, H), or for the last one (N, H).
    Going back from t = T, the total gradient of h_t is its own part of ``dh``
    plus what flows back from step t + 1 through the gates, the gradient of
    c_t is what flows back along the cell, and each step's weight gradients
    are added up (the weights are shared by all steps). ``cache`` is what
    :func:`lstm_forward` returned. Returns :class:`LSTMGradients`
    (dx (N, T, D), dh0 (N, H), dc0 (N, H), dW_x (D, 4H), dW_h (H, 4H), db (4H,)).
    """
    x, h, c, gates, W_x, W_h = _check_cache(cache)
    n, steps, _ = x.shape
    hidden = W_h.shape[0]
    dh = _check_upstream(dh, n, steps, hidden)
    dx = np.zeros_like(x)
    grads = [np.zeros_like(W_x), np.zeros_like(W_h), np.zeros(4 * hidden)]
    dh_carry, dc_carry = np.zeros((n, hidden)), np.zeros((n, hidden))  # dL/dh_t, dL/dc_t via step t + 1
    for t in reversed(range(steps)):
        dx[:, t], dh_carry, dc_carry, *step_grads = lstm_step_backward(
            dh[:, t] + dh_carry, dc_carry, x[:, t], h[:, t], c[:, t], c[:, t + 1], gates[:, t], W_x, W_h)
        for total, grad in zip(grads, step_grads, strict=True):
            total += grad
    return LSTMGradients(dx, dh_carry, dc_carry, *grads)


def gradient_check(n: int = 3, steps: int = 4, d: int = 2, h: int = 3, last_only: bool = False,
                   seed: int = 0) -> dict[str, float]:
    """Relative errors of :func:`lstm_backward` against central differences, per gradient.

    L = sum(dout * outputs) on random inputs, states, weights and dout, as in
    :func:`dlbook.recurrent.gradient_check`. Returns
    ``{"dx", "dh0", "dc0", "dW_x", "dW_h", "db"}`` relative errors, below 1e-7 when correct.
    """
    n, steps = validation.integer("n", n, 1), validation.integer("steps", steps, 1)
    d, h = validation.integer("d", d, 1), validation.integer("h", h, 1)
    validation.boolean("last_only", last_only)
    rng = np.random.default_rng(validation.integer("seed", seed, 0))
    params = {"dx": rng.normal(size=(n, steps, d)), "dh0": rng.normal(0, 0.5, (n, h)),
              "dc0": rng.normal(0, 0.5, (n, h)), "dW_x": rng.normal(0, 0.6, (d, 4 * h)),
              "dW_h": rng.normal(0, 0.6, (h, 4 * h)), "db": rng.normal(0, 0.5, 4 * h)}
    dout = rng.normal(size=(n, h) if last_only else (n, steps, h))

    def loss(**changed) -> float:
        out = lstm_forward(*{**params, **changed}.values())[0]
        return float(np.sum(dout * (out[:, -1] if last_only else out)))

    analytic = lstm_backward(dout, lstm_forward(*params.values())[1])._asdict()
    return {name: relative_error(analytic[name],
                                 numerical_gradient(lambda v, name=name: loss(**{name: v}), value.copy()))
            for name, value in params.items()}


# ---------------------------------------------------------------------------
# The memory task


def marked_value_task(n: int, steps: int, seed: int = 0) -> MemoryTask:
    """Remember the sign at the marked step: a task that needs memory over up to ``steps`` steps.

    Each of the ``n`` sequences has ``steps`` steps of two features: a random
    sign v_t = +1 or -1, and a marker m_t that is 1 at one step, drawn
    uniformly, and 0 elsewhere. The label is 1 if the marked sign is +1.
    Nothing after the marked step matters, but the network must keep the
    sign through ``delay`` = T - 1 - (marked step) more steps of distracting
    signs. Chance is 50 %. Returns :class:`MemoryTask` (x (N, T, 2) float32,
    y (N,) float32, delay (N,) int64).
    """
    n, steps = validation.integer("n", n, 1), validation.integer("steps", steps, 1)
    rng = np.random.default_rng(validation.integer("seed", seed, 0))
    signs = rng.choice([-1.0, 1.0], size=(n, steps))
    marked = rng.integers(0, steps, n)
    marker = np.zeros((n, steps))
    marker[np.arange(n), marked] = 1.0
    x = np.stack([signs, marker], axis=-1).astype(np.float32)
    y = (signs[np.arange(n), marked] > 0).astype(np.float32)
    return MemoryTask(x, y, (steps - 1 - marked).astype(np.int64))


def accuracy_by_delay(correct, delay, width: int = 5) -> tuple[np.ndarray, np.ndarray]:
    """The fraction of correct answers per bin of ``width`` delays.

    ``correct`` (N,) bools, ``delay`` (N,) ints >= 0. Returns (the first
    delay of each bin, the accuracy in it), for the bins that hold examples.
    """
    correct = np.asarray(correct)
    if correct.dtype != bool:
        raise TypeError(f"correct must be an array of bools, got dtype {correct.dtype}")
    delay = validation.int_array("delay", delay, "(N,)")
    if correct.shape != delay.shape or np.any(delay < 0):
        raise ValueError(f"delay must be ints >= 0, one per answer {correct.shape}, got shape "
                         f"{delay.shape} with values from {delay.min()} to {delay.max()}")
    width = validation.integer("width", width, 1)
    bins = delay // width
    kept = np.unique(bins)
    return kept * width, np.array([correct[bins == k].mean() for k in kept])


# ---------------------------------------------------------------------------
# The Keras side (imports Keras when called)


def keras_lstm(x, W_x, W_h, b, h0=None, c0=None, return_sequences: bool = True) -> np.ndarray:
    """``keras.layers.LSTM`` in float64 with the weights [W_x, W_h, b], applied to ``x``.

    ``x`` (N, T, D); ``h0``, ``c0`` (N, H) initial states (None for zeros; give
    both or neither). Returns (N, T, H) with ``return_sequences`` else (N, H).
    The layer's tanh is :func:`dlbook.recurrent_keras.tanh_float64`, so that it
    stays float64 on every backend.
    """
    from dlbook.recurrent_keras import run_float64

    x = validation.float_array("x", x, "(N, T, D)")
    W_x, W_h, b = _check_weights(W_x, W_h, b, x.shape[2])
    validation.boolean("return_sequences", return_sequences)
    if (h0 is None) != (c0 is None):
        raise ValueError("h0 and c0 must be given together, or both left None")
    hidden = W_h.shape[0]
    states = None if h0 is None else [_check_state("h0", h0, x.shape[0], hidden),
                                      _check_state("c0", c0, x.shape[0], hidden)]
    return run_float64("LSTM", x, [W_x, W_h, b], states, return_sequences)


def build_memory_classifier(cell: str = "lstm", units: int = 16, steps: int | None = None,
                            n_features: int = 2, name: str | None = None):
    """One recurrent layer and a sigmoid unit: the memory task's classifier (uncompiled).

    Input (N, T, n_features) (``steps`` fixes T) -> SimpleRNN(units) or
    LSTM(units), its last state only -> Dense(1, sigmoid), the probability
    of label 1. A SimpleRNN of H units on D features has H (D + H + 1)
    parameters, an LSTM four times as many.
    """
    from dlbook.keras_import import keras

    cell = validation.choice("cell", cell, CELLS)
    units, n_features = validation.integer("units", units, 1), validation.integer("n_features", n_features, 1)
    steps = None if steps is None else validation.integer("steps", steps, 1)
    layer = keras.layers.SimpleRNN if cell == "simple_rnn" else keras.layers.LSTM
    return keras.Sequential([keras.Input(shape=(steps, n_features)), layer(units, name=cell),
                             keras.layers.Dense(1, activation="sigmoid", name="output")],
                            name=name or f"{cell}_memory")


def build_stacked_lstm(units=(50, 50), horizon: int = 1, n_features: int = 1, window: int | None = None,
                       name: str | None = None):
    """Stacked LSTMs for forecasting: LSTM(50, return_sequences=True) -> LSTM(50) -> Dense(1).

    One LSTM layer per entry of ``units``; all but the last return their
    whole sequence, so the next layer reads one state per step. Input
    (N, T, n_features) (``window`` fixes T), output (N, horizon), linear. A
    layer of H units on D inputs has 4 (D H + H H + H) parameters. Uncompiled.
    """
    from dlbook.keras_import import keras

    units = validation.positive_ints("units", units)
    horizon = validation.integer("horizon", horizon, 1)
    n_features = validation.integer("n_features", n_features, 1)
    window = None if window is None else validation.integer("window", window, 1)
    layers = [keras.Input(shape=(window, n_features))]
    layers += [keras.layers.LSTM(h, return_sequences=i < len(units), name=f"lstm_{i}")
               for i, h in enumerate(units, start=1)]
    layers.append(keras.layers.Dense(horizon, name="output"))
    return keras.Sequential(layers, name=name or "stacked_lstm")


# ---------------------------------------------------------------------------
# Helpers and input checks


def _gates(z: np.ndarray) -> LSTMGates:
    z_i, z_f, z_g, z_o = np.split(z, 4, axis=1)
    return LSTMGates(sigmoid(z_i), sigmoid(z_f), np.tanh(z_g), sigmoid(z_o))


def _check_weights(W_x, W_h, b, d: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    W_x = validation.float_array("W_x", W_x, "(D, 4H)")
    W_h = validation.float_array("W_h", W_h, "(H, 4H)")
    b = validation.float_array("b", b, "(4H,)")
    hidden = W_h.shape[0]
    if W_h.shape != (hidden, 4 * hidden):
        raise ValueError(f"W_h must have shape (H, 4H), the four gates side by side, got {W_h.shape}")
    if W_x.shape != (d, 4 * hidden):
        raise ValueError(f"W_x must have shape (D, 4H) = ({d}, {4 * hidden}), got {W_x.shape}")
    if b.shape != (4 * hidden,):
        raise ValueError(f"b must have shape (4H,) = ({4 * hidden},), got {b.shape}")
    return W_x, W_h, b


def _check_cache(cache) -> tuple[np.ndarray, ...]:
    if not isinstance(cache, tuple) or len(cache) != 6:
        raise TypeError("cache must be the 6-tuple (x, h, c, gates, W_x, W_h) that lstm_forward "
                        f"returned, got {type(cache).__name__}")
    layouts = ("(N, T, D)", "(N, T + 1, H)", "(N, T + 1, H)", "(N, T, 4H)", "(D, 4H)", "(H, 4H)")
    x, h, c, gates, W_x, W_h = (
        validation.float_array(f"cache.{name}", value, layout)
        for name, value, layout in zip(LSTMCache._fields, cache, layouts, strict=True))
    n, steps, d = x.shape
    hidden = W_h.shape[0]
    if (h.shape != (n, steps + 1, hidden) or c.shape != h.shape or gates.shape != (n, steps, 4 * hidden)
            or W_x.shape != (d, 4 * hidden) or W_h.shape != (hidden, 4 * hidden)):
        raise ValueError(f"cache shapes do not fit together: x {x.shape}, h {h.shape}, c {c.shape}, "
                         f"gates {gates.shape}, W_x {W_x.shape}, W_h {W_h.shape}")
    return x, h, c, gates, W_x, W_h


def _check_step_backward(dh_t, dc_carry, x_t, h_prev, c_prev, c_t, gates_t, W_x,
                         W_h) -> tuple[np.ndarray, ...]:
    dh_t, x_t = validation.float_array("dh_t", dh_t, "(N, H)"), validation.float_array("x_t", x_t, "(N, D)")
    n, hidden = dh_t.shape
    if x_t.shape[0] != n:
        raise ValueError(f"x_t must have {n} rows like dh_t, got shape {x_t.shape}")
    dc_carry, h_prev, c_prev, c_t = (_check_state(name, value, n, hidden) for name, value in
                                     (("dc_carry", dc_carry), ("h_prev", h_prev), ("c_prev", c_prev),
                                      ("c_t", c_t)))
    gates_t = validation.float_array("gates_t", gates_t, "(N, 4H)")
    if gates_t.shape != (n, 4 * hidden):
        raise ValueError(f"gates_t must have shape (N, 4H) = ({n}, {4 * hidden}), got {gates_t.shape}")
    W_h = validation.float_array("W_h", W_h, "(H, 4H)")
    if W_h.shape != (hidden, 4 * hidden):
        raise ValueError(f"W_h must have shape (H, 4H) = ({hidden}, {4 * hidden}), got {W_h.shape}")
    W_x, W_h, _ = _check_weights(W_x, W_h, np.zeros(4 * hidden), x_t.shape[1])
    return dh_t, dc_carry, x_t, h_prev, c_prev, c_t, gates_t, W_x, W_h
