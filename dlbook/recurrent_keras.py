"""Recurrent networks in Keras (chapter 13): SimpleRNN on given weights, forecasters, a layer-normalized cell.

- :func:`keras_simple_rnn`: Keras' own SimpleRNN on the weights of
  :func:`dlbook.recurrent.rnn_forward`, in float64, with :func:`tanh_float64`
  as its tanh (chapter 14's LSTM runs the same way);
- :class:`LayerNormSimpleRNNCell`: a SimpleRNN cell with layer normalization,
  registered with Keras as ``dlbook>LayerNormSimpleRNNCell`` when this module
  is imported: import it before ``keras.saving.load_model`` reads a model that
  contains it;
- :func:`build_linear_forecaster`, :func:`build_rnn_forecaster` (one
  SimpleRNN layer, or a deep RNN: stacked layers with
  ``return_sequences=True``), :func:`build_sequence_model` (the four
  input/output shapes of :data:`SHAPES`) and :func:`train_forecaster`.

The maths (the recurrent layer forward and backward through time, the naive
forecasts and the errors) is :mod:`dlbook.recurrent`.
"""

from __future__ import annotations

import numpy as np

from dlbook import backend, validation
from dlbook.data import Split
from dlbook.keras_import import keras
from dlbook.recurrent import _check_state, _check_weights
from dlbook.training import fit

SHAPES = ("sequence-to-sequence", "sequence-to-vector", "vector-to-sequence", "encoder-decoder")


# ---------------------------------------------------------------------------
# Keras' SimpleRNN on given weights, in float64


def tanh_float64(z):
    """tanh(z) = 2 sigmoid(2z) - 1 with ``keras.ops``: the same function, in the dtype of ``z``.

    Keras 3's ``ops.tanh`` computes float64 inputs in float32 under the JAX
    backend; its ``ops.sigmoid`` keeps float64 on every backend. The float64
    Keras layers of the chapters use this as their tanh.
    """
    return 2 * keras.ops.sigmoid(2 * z) - 1


def keras_simple_rnn(x, W_x, W_h, b, h0=None, return_sequences: bool = True) -> np.ndarray:
    """``keras.layers.SimpleRNN`` in float64 with the weights [W_x, W_h, b], applied to ``x``.

    ``x`` (N, T, D); ``h0`` (N, H) the initial state (None for zeros).
    Returns (N, T, H) with ``return_sequences`` else (N, H), float64: what
    :func:`dlbook.recurrent.rnn_forward` must reproduce. The layer's tanh is
    :func:`tanh_float64`, so that it stays float64 on every backend.
    """
    x = validation.float_array("x", x, "(N, T, D)")
    W_x, W_h, b = _check_weights(W_x, W_h, b, x.shape[2])
    validation.boolean("return_sequences", return_sequences)
    states = None if h0 is None else [_check_state("h0", h0, x.shape[0], W_h.shape[0])]
    return run_float64("SimpleRNN", x, [W_x, W_h, b], states, return_sequences)


def run_float64(layer_name: str, x, weights, initial_state, return_sequences: bool) -> np.ndarray:
    """Keras' recurrent layer ``layer_name`` built in float64 with ``weights``, run on ``x``."""
    backend.enable_float64()
    layer = getattr(keras.layers, layer_name)(weights[1].shape[0], activation=tanh_float64,
                                              return_sequences=return_sequences, dtype="float64")
    layer.build(x.shape)
    layer.set_weights(weights)
    state = {} if initial_state is None else {"initial_state": initial_state}
    return np.asarray(keras.ops.convert_to_numpy(layer(x, **state)), dtype=np.float64)


# ---------------------------------------------------------------------------
# A SimpleRNN cell with layer normalization


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


# ---------------------------------------------------------------------------
# Forecasters and the shapes of sequence models


def build_linear_forecaster(window: int, horizon: int = 1, n_features: int = 1, name: str | None = None):
    """The linear baseline: Flatten -> Dense(horizon), y_hat = sum_t x_t w_t + b.

    Input (N, window, n_features), output (N, horizon); window * n_features + 1
    parameters per output. Uncompiled.
    """
    window, horizon = validation.integer("window", window, 1), validation.integer("horizon", horizon, 1)
    n_features = validation.integer("n_features", n_features, 1)
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
    ``layer_norm=True`` uses :class:`LayerNormSimpleRNNCell` (D H + H H + 2 H
    parameters per layer); ``dropout`` and ``recurrent_dropout`` are the
    rates Keras drops the inputs and the states with, at training time only.
    Uncompiled.
    """
    units = validation.positive_ints("units", units)
    horizon = validation.integer("horizon", horizon, 1)
    n_features = validation.integer("n_features", n_features, 1)
    window = None if window is None else validation.integer("window", window, 1)
    validation.boolean("layer_norm", layer_norm)
    dropout = validation.number("dropout", dropout, 0, 1, high_open=True)
    recurrent_dropout = validation.number("recurrent_dropout", recurrent_dropout, 0, 1, high_open=True)
    if layer_norm and (dropout or recurrent_dropout):
        raise ValueError("dropout and recurrent_dropout apply to SimpleRNN layers only; "
                         "with layer_norm=True they must be 0")
    layers = [keras.Input(shape=(window, n_features))]
    for i, h in enumerate(units, start=1):
        sequences = i < len(units)
        if layer_norm:
            layers.append(keras.layers.RNN(LayerNormSimpleRNNCell(h), return_sequences=sequences,
                                           name=f"ln_rnn_{i}"))
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
    shape = validation.choice("shape", shape, SHAPES)
    steps, n_features = validation.integer("steps", steps, 1), validation.integer("n_features", n_features, 1)
    units = validation.integer("units", units, 1)
    out_steps = steps if out_steps is None else validation.integer("out_steps", out_steps, 1)
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
    validation.keras_model("model", model)
    if not isinstance(split, Split):
        raise TypeError(f"split must be a dlbook.data.Split, got {type(split).__name__}")
    learning_rate = validation.positive("learning_rate", learning_rate)
    callbacks = []
    if patience is not None:
        callbacks.append(keras.callbacks.EarlyStopping(patience=validation.integer("patience", patience, 1),
                                                       restore_best_weights=True))
    model.compile(keras.optimizers.Adam(learning_rate), "mse", metrics=["mae"])
    return fit(model, split.x_train, split.y_train, epochs=epochs, batch_size=batch_size,
               validation_data=(split.x_val, split.y_val), callbacks=callbacks)
