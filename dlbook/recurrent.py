"""Recurrent networks (chapter 13): the recurrent neuron, backpropagation through time, forecasting.

A sequence batch ``x`` has shape (N, T, D): N sequences of T time steps, D
features per step. A layer of H recurrent neurons keeps a hidden state
h_t (N, H) and updates it at every step with the same weights,

    a_t = x_t W_x + h_{t-1} W_h + b,        h_t = tanh(a_t),        t = 1 .. T,

in the layout of ``keras.layers.SimpleRNN``: ``W_x`` is its ``kernel`` (D, H),
``W_h`` its ``recurrent_kernel`` (H, H) and ``b`` its ``bias`` (H,), so
``layer.set_weights([W_x, W_h, b])`` gives Keras the same cell.

The NumPy layer, float64, never imports Keras:

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

The Keras layer imports Keras when called (``import dlbook.recurrent`` does not
start TensorFlow): :func:`keras_simple_rnn` (Keras' own SimpleRNN on given
weights, in float64), :func:`build_linear_forecaster`,
:func:`build_rnn_forecaster` (one SimpleRNN layer, or a deep RNN: stacked
layers with ``return_sequences=True``), :func:`build_sequence_model` (the four
input/output shapes) and ``LayerNormSimpleRNNCell``, a
SimpleRNN cell with layer normalization, created and registered as
``dlbook>LayerNormSimpleRNNCell`` the first time it is looked up.
"""

from __future__ import annotations

from numbers import Integral
from typing import NamedTuple

import numpy as np

from dlbook import backend, lazy, validation
from dlbook.gradcheck import numerical_gradient, relative_error

KERAS_LAYERS = ("LayerNormSimpleRNNCell",)
SHAPES = ("sequence-to-sequence", "sequence-to-vector", "vector-to-sequence", "encoder-decoder")


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
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    q, r = np.linalg.qr(rng.normal(size=(h, h)))
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
# The Keras side (imports Keras when called)


def tanh_float64(z):
    """tanh(z) = 2 sigmoid(2z) - 1 with ``keras.ops``: the same function, in the dtype of ``z``.

    Keras 3's ``ops.tanh`` computes float64 inputs in float32 under the JAX
    backend; its ``ops.sigmoid`` keeps float64 on every backend. The float64
    Keras layers of the chapters use this as their tanh.
    """
    keras = lazy.keras()
    return 2 * keras.ops.sigmoid(2 * z) - 1


def keras_simple_rnn(x, W_x, W_h, b, h0=None, return_sequences: bool = True) -> np.ndarray:
    """``keras.layers.SimpleRNN`` in float64 with the weights [W_x, W_h, b], applied to ``x``.

    ``x`` (N, T, D); ``h0`` (N, H) the initial state (None for zeros).
    Returns (N, T, H) with ``return_sequences`` else (N, H), float64: what
    :func:`rnn_forward` must reproduce. The layer's tanh is
    :func:`tanh_float64`, so that it stays float64 on every backend.
    """
    x = validation.float_array("x", x, "(N, T, D)")
    W_x, W_h, b = _check_weights(W_x, W_h, b, x.shape[2])
    validation.boolean("return_sequences", return_sequences)
    states = None if h0 is None else [_check_state("h0", h0, x.shape[0], W_h.shape[0])]
    return _run_keras_float64("SimpleRNN", x, [W_x, W_h, b], states, return_sequences)


def _run_keras_float64(layer_name: str, x, weights, initial_state, return_sequences: bool) -> np.ndarray:
    """Keras' recurrent layer ``layer_name`` built in float64 with ``weights``, run on ``x``."""
    keras = lazy.keras()
    backend.enable_float64()
    layer = getattr(keras.layers, layer_name)(weights[1].shape[0], activation=tanh_float64,
                                              return_sequences=return_sequences, dtype="float64")
    layer.build(x.shape)
    layer.set_weights(weights)
    state = {} if initial_state is None else {"initial_state": initial_state}
    return np.asarray(keras.ops.convert_to_numpy(layer(x, **state)), dtype=np.float64)


def _define_keras_classes() -> dict:
    """Define and register the Keras classes of the chapter (lazy.KerasClasses calls this once)."""
    keras = lazy.keras()

    @keras.saving.register_keras_serializable(package="dlbook")
    class LayerNormSimpleRNNCell(keras.layers.Layer):
        """A SimpleRNN cell with layer normalization: h_t = tanh(LN(x_t W_x + h_{t-1} W_h)).

        The weighted sum is normalized over its H units at every step (each
        example on its own, chapter 8), then scaled and shifted by LN's
        gamma and beta (beta replaces the bias), then squashed. Its
        pre-activations cannot drift into tanh's flat tails however the
        weights grow. Use it inside ``keras.layers.RNN(cell, ...)``.
        ``units`` H; ``activation`` the squashing function.
        """

        def __init__(self, units: int, activation: str = "tanh", **kwargs):
            super().__init__(**kwargs)
            self.units = validation.integer("units", units, 1)
            self.activation_name = activation
            self.activation = keras.activations.get(activation)
            self.state_size = self.units
            self.output_size = self.units
            self.dense = keras.layers.Dense(self.units, use_bias=False, name="dense")
            self.recurrent = keras.layers.Dense(self.units, use_bias=False,
                                                kernel_initializer="orthogonal", name="recurrent")
            self.layer_norm = keras.layers.LayerNormalization(name="layer_norm")

        def build(self, input_shape):
            self.dense.build(input_shape)
            self.recurrent.build((input_shape[0], self.units))
            self.layer_norm.build((input_shape[0], self.units))
            self.built = True

        def call(self, inputs, states, training=None):
            h_prev = states[0] if isinstance(states, (list, tuple)) else states
            h = self.activation(self.layer_norm(self.dense(inputs) + self.recurrent(h_prev)))
            return h, [h]

        def get_config(self) -> dict:
            return {**super().get_config(), "units": self.units, "activation": self.activation_name}

    layers = {"LayerNormSimpleRNNCell": LayerNormSimpleRNNCell}
    return layers


_keras_classes = lazy.KerasClasses(__name__, KERAS_LAYERS, _define_keras_classes)
__getattr__, __dir__ = _keras_classes.module_getattr, _keras_classes.module_dir


def build_linear_forecaster(window: int, horizon: int = 1, n_features: int = 1, name: str | None = None):
    """The linear baseline: Flatten -> Dense(horizon), y_hat = sum_t x_t w_t + b.

    Input (N, window, n_features), output (N, horizon); window * n_features + 1
    parameters per output. Uncompiled.
    """
    window, horizon = validation.integer("window", window, 1), validation.integer("horizon", horizon, 1)
    n_features = validation.integer("n_features", n_features, 1)
    keras = lazy.keras()
    return keras.Sequential([keras.Input(shape=(window, n_features)), keras.layers.Flatten(name="flatten"),
                             keras.layers.Dense(horizon, name="output")], name=name or "linear")


def build_rnn_forecaster(units=(20,), horizon: int = 1, n_features: int = 1, window: int | None = None,
                         layer_norm: bool = False, dropout: float = 0.0, recurrent_dropout: float = 0.0,
                         name: str | None = None):
    """A SimpleRNN forecaster; several ``units`` make a deep RNN.

    Input (N, T, n_features) (``window`` fixes T; None accepts any length),
    then one recurrent layer per entry of ``units``: every layer but the last
    returns its whole sequence (``return_sequences=True``) so that the next
    has a sequence to read; the last returns its final state only. Then
    Dense(horizon), a linear output for any range of values: output
    (N, horizon). A layer of H units on D inputs has D H + H H + H parameters.
    ``layer_norm=True`` uses ``LayerNormSimpleRNNCell`` (D H + H H + 2 H
    parameters per layer); ``dropout`` and ``recurrent_dropout`` are the
    rates Keras drops the inputs and the states with, at training time only.
    Uncompiled.
    """
    units = _check_units(units)
    horizon = validation.integer("horizon", horizon, 1)
    n_features = validation.integer("n_features", n_features, 1)
    window = None if window is None else validation.integer("window", window, 1)
    validation.boolean("layer_norm", layer_norm)
    dropout = validation.number("dropout", dropout, 0, 1, high_open=True)
    recurrent_dropout = validation.number("recurrent_dropout", recurrent_dropout, 0, 1, high_open=True)
    if layer_norm and (dropout or recurrent_dropout):
        raise ValueError("dropout and recurrent_dropout apply to SimpleRNN layers only; "
                         "with layer_norm=True they must be 0")
    keras = lazy.keras()
    layers = [keras.Input(shape=(window, n_features))]
    for i, h in enumerate(units, start=1):
        sequences = i < len(units)
        if layer_norm:
            cell = _keras_classes["LayerNormSimpleRNNCell"](h)
            layers.append(keras.layers.RNN(cell, return_sequences=sequences, name=f"ln_rnn_{i}"))
        else:
            layers.append(keras.layers.SimpleRNN(h, return_sequences=sequences, dropout=dropout,
                                                 recurrent_dropout=recurrent_dropout, name=f"rnn_{i}"))
    layers.append(keras.layers.Dense(horizon, name="output"))
    default = "deep_rnn" if len(units) > 1 else "simple_rnn"
    return keras.Sequential(layers, name=name or default)


def build_sequence_model(shape: str, steps: int = 10, n_features: int = 3, units: int = 8,
                         out_steps: int | None = None):
    """A small model of each input/output shape of a recurrent network (uncompiled).

    - ``"sequence-to-sequence"``: (N, T, D) -> SimpleRNN(return_sequences=True) -> (N, T, H);
    - ``"sequence-to-vector"``: (N, T, D) -> SimpleRNN -> (N, H), the last state only;
    - ``"vector-to-sequence"``: (N, D) -> RepeatVector(T') -> SimpleRNN(return_sequences=True)
      -> (N, T', H), the same vector fed at every step;
    - ``"encoder-decoder"``: (N, T, D) -> SimpleRNN (encoder: a vector)
      -> RepeatVector(T') -> SimpleRNN(return_sequences=True) (decoder) -> (N, T', H).

    ``out_steps`` T' defaults to ``steps``.
    """
    if shape not in SHAPES:
        raise ValueError(f"shape must be one of {SHAPES}, got {shape!r}")
    steps, n_features = validation.integer("steps", steps, 1), validation.integer("n_features", n_features, 1)
    units = validation.integer("units", units, 1)
    out_steps = steps if out_steps is None else validation.integer("out_steps", out_steps, 1)
    keras = lazy.keras()
    rnn = keras.layers.SimpleRNN
    if shape == "vector-to-sequence":
        inputs = keras.Input(shape=(n_features,))
        outputs = rnn(units, return_sequences=True, name="decoder")(
            keras.layers.RepeatVector(out_steps, name="repeat")(inputs))
    else:
        inputs = keras.Input(shape=(steps, n_features))
        if shape == "encoder-decoder":
            state = rnn(units, name="encoder")(inputs)
            outputs = rnn(units, return_sequences=True, name="decoder")(
                keras.layers.RepeatVector(out_steps, name="repeat")(state))
        else:
            outputs = rnn(units, return_sequences=shape == "sequence-to-sequence", name="rnn")(inputs)
    return keras.Model(inputs, outputs, name=shape.replace("-", "_"))


def train_forecaster(model, split, epochs: int, batch_size: int = 32, learning_rate: float = 1e-3,
                     patience: int | None = None):
    """Compile ``model`` (Adam, mean squared error, MAE metric) and train it on a series split.

    Trains on ``split.x_train``/``y_train`` through :func:`dlbook.training.fit`,
    validating on ``split.x_val``/``y_val``. With ``patience``, training stops
    after that many epochs without a lower validation loss and the best
    epoch's weights are restored (``keras.callbacks.EarlyStopping``). Returns
    the ``History``.
    """
    from dlbook.training import fit

    keras = lazy.keras()
    if not isinstance(model, keras.Model):
        raise TypeError(f"model must be a keras.Model, got {type(model).__name__}")
    for part in ("x_train", "y_train", "x_val", "y_val"):
        if not isinstance(getattr(split, part, None), np.ndarray):
            raise TypeError(f"split must be a dlbook.data.Split with NumPy arrays, got "
                            f"{type(split).__name__} without {part}")
    learning_rate = validation.positive("learning_rate", learning_rate)
    callbacks = []
    if patience is not None:
        callbacks.append(keras.callbacks.EarlyStopping(patience=validation.integer("patience", patience, 1),
                                                       restore_best_weights=True))
    model.compile(keras.optimizers.Adam(learning_rate), "mse", metrics=["mae"])
    return fit(model, split.x_train, split.y_train, epochs=epochs, batch_size=batch_size,
               validation_data=(split.x_val, split.y_val), callbacks=callbacks)


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
        raise ValueError("cache must be the 4-tuple (x, h, W_x, W_h) that rnn_forward returned, "
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


def _check_units(units) -> tuple[int, ...]:
    if isinstance(units, Integral) and not isinstance(units, bool):
        units = (units,)
    try:
        units = tuple(units)
    except TypeError:
        raise TypeError(f"units must be an int or a sequence of ints, got {type(units).__name__}") from None
    if not units or any(isinstance(u, bool) or not isinstance(u, Integral) or u < 1 for u in units):
        raise ValueError(f"units must be a non-empty sequence of positive ints, got {units!r}")
    return tuple(int(u) for u in units)
