"""Recurrent networks (chapter 13): the recurrent neuron, backpropagation through time, forecasting.

A sequence batch ``x`` has shape (N, T, D): N sequences of T time steps, D
features per step. A layer of H recurrent neurons keeps a hidden state
h_t (N, H) and updates it at every step with the same weights,

    a_t = x_t W_x + h_{t-1} W_h + b,        h_t = tanh(a_t),        t = 1 .. T,

in the layout of ``keras.layers.SimpleRNN``: ``W_x`` is its ``kernel`` (D, H),
``W_h`` its ``recurrent_kernel`` (H, H) and ``b`` its ``bias`` (H,), so
``layer.set_weights([W_x, W_h, b])`` gives Keras the same cell.

Here, in NumPy and float64:

- :func:`rnn_step` (one step), :func:`rnn_forward` (the unrolled loop, with an
  :class:`RNNCache`), :func:`rnn_step_backward` and :func:`rnn_backward`
  (backpropagation through time, BPTT) and :func:`gradient_check`;
- :func:`init_rnn_weights` (Keras' initializers, with the recurrent matrix
  scaled to a chosen spectral radius) and :func:`state_gradient_norms`, the
  size of dL/dh_t as the error flows back in time (vanishing and exploding
  gradients);
- forecasting: :func:`synthetic_split` (the two-sine series as a seeded
  train/validation/test :class:`dlbook.data.Split`), :func:`naive_forecast`
  (last value, or the value one season ago) and :func:`forecast_errors`.

The Keras side (Keras' SimpleRNN on these weights, the forecasters, the
layer-normalized cell, training) is :mod:`dlbook.recurrent_keras`.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from dlbook import validation
from dlbook.gradcheck import numerical_gradient, relative_error


class RNNCache(NamedTuple):
    """What :func:`rnn_backward` needs from :func:`rnn_forward` (a plain 4-tuple works as well)."""

    x: np.ndarray  # the inputs, (N, T, D)
    h: np.ndarray  # the states h_0 .. h_T, (N, T + 1, H); h[:, 0] is the initial state
    W_x: np.ndarray  # the input weights, (D, H)
    W_h: np.ndarray  # the recurrent weights, (H, H)


class RNNGradients(NamedTuple):
    """The gradients of a loss L with respect to everything :func:`rnn_forward` takes."""

    dx: np.ndarray  # (N, T, D)
    dh0: np.ndarray  # (N, H)
    dW_x: np.ndarray  # (D, H)  # noqa: N815 (the book's notation)
    dW_h: np.ndarray  # (H, H)  # noqa: N815
    db: np.ndarray  # (H,)


# ---------------------------------------------------------------------------
# Weights


def init_rnn_weights(d: int, h: int, seed: int = 0,
                     spectral_radius: float | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Keras' SimpleRNN initialization: (W_x (D, H), W_h (H, H), b (H,)).

    W_x is Glorot uniform, U(-r, r) with r = sqrt(6 / (D + H)); W_h is a
    random orthogonal matrix (all its singular values are 1), multiplied by
    ``spectral_radius`` if one is given, so every eigenvalue of W_h has that
    modulus; b is zero.
    """
    d, h = validation.integer("d", d, 1), validation.integer("h", h, 1)
    rng = np.random.default_rng(validation.integer("seed", seed, 0))
    r = np.sqrt(6 / (d + h))
    W_x = rng.uniform(-r, r, (d, h))
    W_h = random_orthogonal(h, rng)
    if spectral_radius is not None:
        W_h = W_h * validation.positive("spectral_radius", spectral_radius)
    return W_x, W_h, np.zeros(h)


def random_orthogonal(h: int, rng: np.random.Generator) -> np.ndarray:
    """A random orthogonal (H, H) matrix Q (Q^T Q = I): the Q of a Gaussian matrix's QR."""
    h = validation.integer("h", h, 1)
    q, r = np.linalg.qr(validation.generator("rng", rng).normal(size=(h, h)))
    return q * np.where(np.diag(r) < 0, -1.0, 1.0)  # signs fixed: uniform over the orthogonal group


# ---------------------------------------------------------------------------
# Forward


def rnn_step(x_t, h_prev, W_x, W_h, b) -> np.ndarray:
    """One step of a layer of recurrent neurons: h_t = tanh(x_t W_x + h_{t-1} W_h + b).

    ``x_t`` (N, D), ``h_prev`` = h_{t-1} (N, H), ``W_x`` (D, H), ``W_h`` (H, H),
    ``b`` (H,). Returns h_t (N, H).
    """
    x_t = validation.float_array("x_t", x_t, "(N, D)")
    W_x, W_h, b = _check_weights(W_x, W_h, b, x_t.shape[1])
    h_prev = _check_state("h_prev", h_prev, x_t.shape[0], W_h.shape[0])
    return np.tanh(x_t @ W_x + h_prev @ W_h + b)


def rnn_forward(x, h0, W_x, W_h, b) -> tuple[np.ndarray, RNNCache]:
    """The recurrent layer unrolled through time: h_t = tanh(x_t W_x + h_{t-1} W_h + b), t = 1 .. T.

    ``x`` (N, T, D); ``h0`` the initial state (N, H) (None for zeros, as in
    Keras); weights as in :func:`rnn_step`. Returns the states h_1 .. h_T as
    (N, T, H) (Keras' ``return_sequences=True``; the last one, ``[:, -1]``, is
    what ``return_sequences=False`` returns) and the :class:`RNNCache`.
    """
    x = validation.float_array("x", x, "(N, T, D)")
    n, steps, d = x.shape
    W_x, W_h, b = _check_weights(W_x, W_h, b, d)
    hidden = W_h.shape[0]
    h0 = np.zeros((n, hidden)) if h0 is None else _check_state("h0", h0, n, hidden)
    h = np.empty((n, steps + 1, hidden))
    h[:, 0] = h0
    for t in range(steps):
        h[:, t + 1] = np.tanh(x[:, t] @ W_x + h[:, t] @ W_h + b)
    return h[:, 1:].copy(), RNNCache(x, h, W_x, W_h)


# ---------------------------------------------------------------------------
# Backward through time


def rnn_step_backward(dh_t, x_t, h_prev, h_t, W_x, W_h) -> tuple[np.ndarray, ...]:
    """The gradients of one step, from dL/dh_t (its total gradient, from the loss and from step t + 1).

    With da_t = dh_t * (1 - h_t^2) (tanh' written with its output):
    dx_t = da_t W_x^T, dh_{t-1} = da_t W_h^T, dW_x = x_t^T da_t,
    dW_h = h_{t-1}^T da_t, db = sum over the batch of da_t.
    ``dh_t``, ``h_prev``, ``h_t`` (N, H); ``x_t`` (N, D). Returns
    (dx_t (N, D), dh_prev (N, H), dW_x (D, H), dW_h (H, H), db (H,)).
    """
    dh_t, x_t = validation.float_array("dh_t", dh_t, "(N, H)"), validation.float_array("x_t", x_t, "(N, D)")
    n, hidden = dh_t.shape
    h_prev, h_t = _check_state("h_prev", h_prev, n, hidden), _check_state("h_t", h_t, n, hidden)
    if x_t.shape[0] != n:
        raise ValueError(f"x_t must have {n} rows like dh_t, got shape {x_t.shape}")
    W_x, W_h, _ = _check_weights(W_x, W_h, np.zeros(hidden), x_t.shape[1])
    da = dh_t * (1 - h_t**2)
    return da @ W_x.T, da @ W_h.T, x_t.T @ da, h_prev.T @ da, da.sum(axis=0)


def rnn_backward(dh, cache) -> RNNGradients:
    """Backpropagation through time: the gradients of L given dL/dh_t from the layer's outputs.

    ``dh`` is either (N, T, H), the gradient with respect to every output
    h_1 .. h_T (sequence-to-sequence, ``return_sequences=True``), or (N, H),
    with respect to the last one only (sequence-to-vector). Going back from
    t = T, the total gradient of h_t is its own part of ``dh`` plus what flows
    back from step t + 1, and each step's weight gradients are added up
    (the weights are shared by all steps). ``cache`` is what
    :func:`rnn_forward` returned. Returns :class:`RNNGradients`
    (dx (N, T, D), dh0 (N, H), dW_x (D, H), dW_h (H, H), db (H,)).
    """
    x, h, W_x, W_h = _check_cache(cache)
    n, steps, d = x.shape
    hidden = W_h.shape[0]
    dh = _check_upstream(dh, n, steps, hidden)
    dx = np.zeros_like(x)
    grads = [np.zeros_like(W_x), np.zeros_like(W_h), np.zeros(hidden)]
    carry = np.zeros((n, hidden))  # dL/dh_t through step t + 1
    for t in reversed(range(steps)):
        dx[:, t], carry, *step_grads = rnn_step_backward(dh[:, t] + carry, x[:, t], h[:, t], h[:, t + 1],
                                                         W_x, W_h)
        for total, g in zip(grads, step_grads, strict=True):
            total += g
    return RNNGradients(dx, carry, *grads)


def state_gradient_norms(cache, dh_last=None) -> np.ndarray:
    """How big dL/dh_t is at each step when the loss sees only the last state.

    Backpropagates ``dh_last`` = dL/dh_T (N, H) (default: all ones / sqrt(H),
    so each example's upstream gradient has norm 1) through time and returns
    the batch mean of ||dL/dh_t||, t = 0 .. T, shape (T + 1,); entry T is the
    norm of ``dh_last`` itself. A product of T - t Jacobians
    diag(1 - h^2) W_h^T separates step t from the loss: entries falling
    geometrically with T - t are vanishing gradients.
    """
    x, h, W_x, W_h = _check_cache(cache)
    n, steps, _ = x.shape
    hidden = W_h.shape[0]
    carry = (np.full((n, hidden), 1 / np.sqrt(hidden)) if dh_last is None
             else _check_state("dh_last", dh_last, n, hidden))
    norms = np.empty(steps + 1)
    norms[steps] = np.linalg.norm(carry, axis=1).mean()
    for t in reversed(range(steps)):
        carry = (carry * (1 - h[:, t + 1] ** 2)) @ W_h.T
        norms[t] = np.linalg.norm(carry, axis=1).mean()
    return norms


def gradient_check(n: int = 3, steps: int = 5, d: int = 2, h: int = 4, last_only: bool = False,
                   seed: int = 0) -> dict[str, float]:
    """Relative errors of :func:`rnn_backward` against central differences, per gradient.

    On random x (N, T, D), h0, weights and upstream gradient dout (N, T, H),
    or (N, H) when ``last_only``, the scalar L = sum(dout * outputs) (the
    outputs are all states, or the last one) has dL/d(outputs) = dout, so
    BPTT must return its gradients. Returns
    ``{"dx", "dh0", "dW_x", "dW_h", "db"}`` relative errors, below 1e-7 when correct.
    """
    n, steps = validation.integer("n", n, 1), validation.integer("steps", steps, 1)
    d, h = validation.integer("d", d, 1), validation.integer("h", h, 1)
    validation.boolean("last_only", last_only)
    rng = np.random.default_rng(validation.integer("seed", seed, 0))
    x, h0 = rng.normal(size=(n, steps, d)), rng.normal(0, 0.5, (n, h))
    W_x, W_h, b = rng.normal(0, 0.6, (d, h)), rng.normal(0, 0.6, (h, h)), rng.normal(0, 0.3, h)
    dout = rng.normal(size=(n, h) if last_only else (n, steps, h))
    params = {"dx": x, "dh0": h0, "dW_x": W_x, "dW_h": W_h, "db": b}

    def loss(**changed) -> float:
        args = {**params, **changed}
        out = rnn_forward(args["dx"], args["dh0"], args["dW_x"], args["dW_h"], args["db"])[0]
        return float(np.sum(dout * (out[:, -1] if last_only else out)))

    analytic = rnn_backward(dout, rnn_forward(x, h0, W_x, W_h, b)[1])._asdict()
    return {name: relative_error(analytic[name],
                                 numerical_gradient(lambda v, name=name: loss(**{name: v}), value.copy()))
            for name, value in params.items()}


# ---------------------------------------------------------------------------
# Forecasting


def synthetic_split(n_series: int = 2000, n_steps: int = 50, horizon: int = 1, val_size: float = 0.15,
                    test_size: float = 0.15, seed: int = 42):
    """The two-sine series of :func:`dlbook.data.synthetic_series` as a forecasting task.

    ``n_series`` series of ``n_steps + horizon`` values are drawn with ``seed``;
    each one's first ``n_steps`` values are the input x (N, n_steps, 1) and
    the next ``horizon`` its target y (N, horizon). Every series is
    independent, so the split is by series (the first ones for training, the
    last for testing); ``idx_*`` are row indices into the generated array.
    float32; the values lie in [-0.75, 0.75] and need no scaling.
    """
    from dlbook.data import Split, synthetic_series

    n_series = validation.integer("n_series", n_series, 3)
    n_steps = validation.integer("n_steps", n_steps, 1)
    horizon = validation.integer("horizon", horizon, 1)
    val_size = validation.fraction("val_size", val_size)
    test_size = validation.fraction("test_size", test_size)
    if val_size + test_size >= 1:
        raise ValueError(f"val_size + test_size must be below 1, got {val_size} + {test_size}")
    series = synthetic_series(n_series, n_steps + horizon, seed)
    x, y = series[:, :n_steps], series[:, n_steps:, 0]
    cuts = [0, round(n_series * (1 - val_size - test_size)), round(n_series * (1 - test_size)), n_series]
    if min(np.diff(cuts)) < 1:
        raise ValueError(f"n_series = {n_series} is too few for val_size={val_size:g}, "
                         f"test_size={test_size:g}: a split would be empty")
    idx = [np.arange(a, b, dtype=np.int64) for a, b in zip(cuts[:-1], cuts[1:], strict=True)]
    parts = [array[i] for i in idx for array in (x, y)]
    return Split(*parts, *idx, f"synthetic: {n_series} two-sine series of {n_steps} steps -> "
                               f"next {horizon}")


def naive_forecast(x, horizon: int = 1, period: int = 1) -> np.ndarray:
    """The forecast that needs no training: repeat what happened ``period`` steps ago.

    y_hat_{T+k} = x_{T+k-period} for k = 1 .. horizon (with the same phase
    repeated when horizon > period): ``period=1`` is the last value,
    ``period=11`` for yearly sunspots the value one solar cycle ago (a
    seasonal naive forecast). ``x`` (N, T, 1) or (N, T); returns (N, horizon).
    """
    x = validation.float_array("x", x)
    if x.ndim == 3:
        if x.shape[2] != 1:
            raise ValueError(f"x must have one feature, shape (N, T, 1), got {x.shape}")
        x = x[..., 0]
    if x.ndim != 2:
        raise ValueError(f"x must have shape (N, T, 1) or (N, T), got {x.shape}")
    horizon, period = validation.integer("horizon", horizon, 1), validation.integer("period", period, 1)
    if period > x.shape[1]:
        raise ValueError(f"period must be at most the window length {x.shape[1]}, got {period}")
    lags = x.shape[1] - period + np.arange(horizon) % period
    return x[:, lags]


def forecast_errors(y, y_hat, scale: float = 1.0) -> dict[str, float]:
    """Mean absolute and mean squared error of a forecast, in the series' units.

    MAE = mean |y - y_hat| * scale, MSE = mean (y - y_hat)^2 * scale^2, where
    ``scale`` undoes a division of the series (``split.scale`` of the sunspots).
    ``y`` and ``y_hat`` have the same number of values, e.g. (N, horizon) and
    (N, horizon) or (N,). Returns ``{"MAE": ..., "MSE": ...}``.
    """
    y, y_hat = validation.float_array("y", y), validation.float_array("y_hat", y_hat)
    if y.size != y_hat.size or y.size == 0 or len(y) != len(y_hat):
        raise ValueError(f"y and y_hat must hold the same number of values, got shapes {y.shape} "
                         f"and {y_hat.shape}")
    scale = validation.positive("scale", scale)
    error = (y.reshape(len(y), -1) - y_hat.reshape(len(y), -1)) * scale
    return {"MAE": float(np.mean(np.abs(error))), "MSE": float(np.mean(error**2))}


# ---------------------------------------------------------------------------
# Input checks


def _check_weights(W_x, W_h, b, d: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    W_x = validation.float_array("W_x", W_x, "(D, H)")
    W_h = validation.float_array("W_h", W_h, "(H, H)")
    b = validation.float_array("b", b, "(H,)")
    hidden = W_h.shape[0]
    if W_h.shape != (hidden, hidden):
        raise ValueError(f"W_h must be square (H, H), got {W_h.shape}")
    if W_x.shape != (d, hidden):
        raise ValueError(f"W_x must have shape (D, H) = ({d}, {hidden}), got {W_x.shape}")
    if b.shape != (hidden,):
        raise ValueError(f"b must have shape (H,) = ({hidden},), got {b.shape}")
    return W_x, W_h, b


def _check_state(name: str, value, n: int, hidden: int) -> np.ndarray:
    state = validation.float_array(name, value, "(N, H)")
    if state.shape != (n, hidden):
        raise ValueError(f"{name} must have shape (N, H) = ({n}, {hidden}), got {state.shape}")
    return state


def _check_cache(cache) -> tuple[np.ndarray, ...]:
    if not isinstance(cache, tuple) or len(cache) != 4:
        raise TypeError("cache must be the 4-tuple (x, h, W_x, W_h) that rnn_forward returned, "
                        f"got {type(cache).__name__}")
    layouts = ("(N, T, D)", "(N, T + 1, H)", "(D, H)", "(H, H)")
    x, h, W_x, W_h = (validation.float_array(f"cache.{name}", value, layout)
                      for name, value, layout in zip(RNNCache._fields, cache, layouts, strict=True))
    n, steps, d = x.shape
    hidden = W_h.shape[0]
    if h.shape != (n, steps + 1, hidden) or W_x.shape != (d, hidden) or W_h.shape != (hidden, hidden):
        raise ValueError(f"cache shapes do not fit together: x {x.shape}, h {h.shape} (expected "
                         f"(N, T + 1, H)), W_x {W_x.shape}, W_h {W_h.shape}")
    return x, h, W_x, W_h


def _check_upstream(dh, n: int, steps: int, hidden: int) -> np.ndarray:
    dh = validation.float_array("dh", dh)
    if dh.shape == (n, hidden):
        full = np.zeros((n, steps, hidden))
        full[:, -1] = dh
        return full
    if dh.shape != (n, steps, hidden):
        raise ValueError(f"dh must have shape (N, T, H) = ({n}, {steps}, {hidden}) or, for the last "
                         f"state only, (N, H) = ({n}, {hidden}); got {dh.shape}")
    return dh
