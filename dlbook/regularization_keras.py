"""The Keras side of chapter 9: Monte Carlo dropout and the regularized MLPs.

- :class:`MCDropout` and :class:`MCAlphaDropout`, subclasses of
  ``keras.layers.Dropout`` and ``keras.layers.AlphaDropout`` that stay active
  at prediction time. Both are registered with Keras as ``dlbook>MCDropout``
  and ``dlbook>MCAlphaDropout`` when this module is imported: import it
  before ``keras.saving.load_model`` reads a model that contains them;
- :func:`mc_samples` and :func:`predict_mc`: T stochastic forward passes of
  a model, and their mean and standard deviation
  (:func:`dlbook.regularization.mc_average`);
- :func:`build_regularized_mlp`: the chapter's MLPs, with a penalty on every
  kernel and a dropout layer of a chosen kind after every hidden layer.

The NumPy side (penalties, inverted dropout, the Monte Carlo summaries) is
:mod:`dlbook.regularization`.
"""

from __future__ import annotations

import numpy as np

from dlbook import validation
from dlbook.keras_import import keras
from dlbook.regularization import mc_average


@keras.saving.register_keras_serializable(package="dlbook")
class MCDropout(keras.layers.Dropout):
    """``keras.layers.Dropout`` that also drops units at prediction time.

    ``call`` always runs the layer in training mode, so ``model.predict``
    and ``model(x)`` are stochastic: each call draws a new mask, drops
    each unit with probability ``rate`` and scales the kept ones by
    ``1 / (1 - rate)``. Averaging many such predictions is Monte Carlo
    dropout (Gal and Ghahramani, 2016); see :func:`predict_mc`. Takes
    the arguments of ``keras.layers.Dropout`` (``rate``, ``noise_shape``,
    ``seed``) and serializes through its ``get_config``.
    """

    def call(self, inputs, training=None):
        return super().call(inputs, training=True)


@keras.saving.register_keras_serializable(package="dlbook")
class MCAlphaDropout(keras.layers.AlphaDropout):
    """``keras.layers.AlphaDropout`` that also drops units at prediction time.

    The dropout of self-normalizing (SELU) networks: dropped units are set
    to the SELU's negative saturation value and the result is moved back
    to zero mean and unit variance, so the SELU's self-normalization
    survives (Klambauer et al., 2017). Always active, like
    :class:`MCDropout`.
    """

    def call(self, inputs, training=None):
        return super().call(inputs, training=True)


# the dropout layers of build_regularized_mlp, by the name its ``dropout`` argument takes
DROPOUT_LAYERS = {"dropout": keras.layers.Dropout, "mc_dropout": MCDropout,
                  "alpha_dropout": keras.layers.AlphaDropout, "mc_alpha_dropout": MCAlphaDropout}


def build_regularized_mlp(input_shape, hidden, n_outputs: int, rate: float = 0.0,
                          dropout: str = "dropout", kernel_regularizer=None,
                          hidden_activation: str = "relu", output_activation: str = "softmax",
                          name: str | None = None) -> keras.Sequential:
    """An MLP with dropout after every hidden layer and a penalty on every kernel (uncompiled).

    [Flatten] -> Dense(hidden[0]) -> Drop -> ... -> Dense(hidden[-1]) -> Drop -> Dense(n_outputs)

    ``dropout`` names the dropout layer: ``"dropout"`` (``keras.layers.Dropout``,
    off at inference), ``"mc_dropout"`` (:class:`MCDropout`, always on),
    ``"alpha_dropout"`` or ``"mc_alpha_dropout"`` (for SELU networks); no
    dropout layers when ``rate`` is 0. ``kernel_regularizer`` (a
    ``keras.regularizers.Regularizer``, a name such as ``"l2"``, or None) is
    given to every Dense layer. SELU hidden layers get the LeCun-normal
    initialisation they need. Layers are named ``hidden_i``, ``dropout_i``
    and ``output`` whatever the dropout kind, so weights move between
    variants with ``set_weights``. Dropout has no parameters: the count is
    that of the Dense layers alone.
    """
    shape = validation.shape("input_shape", input_shape)
    hidden = validation.positive_ints("hidden", hidden)
    n_outputs = validation.integer("n_outputs", n_outputs, 1)
    rate = validation.number("rate", rate, 0, 1, high_open=True)
    drop = DROPOUT_LAYERS[validation.choice("dropout", dropout, tuple(DROPOUT_LAYERS))]
    if not (kernel_regularizer is None
            or isinstance(kernel_regularizer, (str, keras.regularizers.Regularizer))):
        raise TypeError(f"kernel_regularizer must be a keras.regularizers.Regularizer, a name or "
                        f"None, got {type(kernel_regularizer).__name__}")
    initializer = "lecun_normal" if hidden_activation == "selu" else "glorot_uniform"
    layers = [keras.Input(shape=shape)]
    if len(shape) > 1:
        layers.append(keras.layers.Flatten(name="flatten"))
    for i, units in enumerate(hidden, start=1):
        layers.append(keras.layers.Dense(units, activation=hidden_activation,
                                         kernel_initializer=initializer,
                                         kernel_regularizer=kernel_regularizer, name=f"hidden_{i}"))
        if rate > 0:
            layers.append(drop(rate, name=f"dropout_{i}"))
    layers.append(keras.layers.Dense(n_outputs, activation=output_activation,
                                     kernel_regularizer=kernel_regularizer, name="output"))
    return keras.Sequential(layers, name=name)


def mc_samples(model: keras.Model, x, n: int, batch_size: int = 256) -> np.ndarray:
    """``n`` stochastic forward passes of ``model`` on ``x``, stacked: ``(n, N, K)`` float64.

    Each pass runs ``model.predict_on_batch`` over ``x`` in chunks of
    ``batch_size`` rows (what ``predict`` does, with less overhead per call).
    With :class:`MCDropout` or :class:`MCAlphaDropout` layers inside, every
    pass draws new masks; a model without stochastic layers returns ``n``
    identical predictions.
    ``x`` ``(N, ...)`` is what the model takes; ``n`` >= 2; ``batch_size``
    only sets how many rows go through at once.
    """
    validation.keras_model("model", model)
    n = validation.integer("n", n, 2)
    batch_size = validation.integer("batch_size", batch_size, 1)
    x = validation.float_array("x", x).astype(keras.backend.floatx())  # the cast the model makes
    if x.ndim < 1 or x.shape[0] == 0:
        raise ValueError(f"x must be a non-empty batch (N, ...) with N >= 1, got shape {x.shape}")
    chunks = [x[i:i + batch_size] for i in range(0, x.shape[0], batch_size)]
    passes = [np.concatenate([np.asarray(model.predict_on_batch(chunk), dtype=np.float64)
                              for chunk in chunks]) for _ in range(n)]
    return np.stack(passes)


def predict_mc(model: keras.Model, x, n: int, batch_size: int = 256) -> tuple[np.ndarray, np.ndarray]:
    """Monte Carlo prediction: the mean and standard deviation of ``n`` stochastic passes.

    .. math:: \\bar{\\mathbf{y}}(\\mathbf{x}) = \\frac1n \\sum_{t=1}^n f(\\mathbf{x}; \\mathbf{m}^{(t)})

    with a fresh set of dropout masks :math:`\\mathbf{m}^{(t)}` per pass
    (:func:`mc_samples`), summarised by :func:`dlbook.regularization.mc_average`.
    ``x`` ``(N, ...)``; ``n`` >= 2 (the spread needs two passes). Returns
    ``(mean, std)``, each shaped like one prediction ``(N, K)``, float64;
    ``std`` is the sample standard deviation (``ddof=1``).
    """
    return mc_average(mc_samples(model, x, n, batch_size))
