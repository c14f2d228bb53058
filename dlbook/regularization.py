"""Regularization (chapter 9): weight penalties, dropout and Monte Carlo dropout.

The NumPy layer, float64 throughout:

- the penalties added to the loss and their gradients, in Keras' convention
  (``keras.regularizers.L2(l2)`` adds :math:`\\lambda_2 \\sum_i w_i^2`, with
  no factor 1/2, so its gradient is :math:`2 \\lambda_2 w`):
  :func:`l1_penalty`, :func:`l2_penalty`, :func:`l1_l2_penalty` and their
  ``*_gradient`` companions;
- inverted dropout, :func:`dropout_forward` and :func:`dropout_backward`.
  With drop probability ``p`` (Keras' ``rate``) each unit is kept with
  probability :math:`1 - p`, and a kept unit is multiplied by
  :math:`1 / (1 - p)` during training, so :math:`E[\\tilde a] = a`; at
  inference the layer is the identity. The mask is drawn from a NumPy
  ``Generator`` or given, so every call can be reproduced;
- the summaries of Monte Carlo dropout: :func:`mc_average` (mean and
  spread of T stochastic predictions) and :func:`predictive_entropy`.

The Keras layer (imported only when used, so ``import dlbook.regularization``
does not start TensorFlow):

- ``MCDropout`` and ``MCAlphaDropout``, subclasses of ``keras.layers.Dropout``
  and ``keras.layers.AlphaDropout`` that stay active at prediction time. The
  two classes are created, and registered with Keras as ``dlbook>MCDropout``
  and ``dlbook>MCAlphaDropout``, the first time either is looked up
  (``from dlbook.regularization import MCDropout``); do that before
  ``keras.saving.load_model`` reads a model that contains them;
- :func:`mc_samples` and :func:`predict_mc`: T stochastic forward passes of
  a model and their mean and standard deviation.
- :func:`build_regularized_mlp`: the chapter's MLPs, with a penalty on every
  kernel and a dropout layer of a chosen kind after every hidden layer.

Notation: :math:`\\mathbf{w}` a weight array of any shape, :math:`p` the drop
probability, :math:`\\mathbf{m}` the keep mask (1 = kept), :math:`T` the
number of Monte Carlo passes, :math:`K` the number of classes.
"""

from __future__ import annotations

from numbers import Integral, Real
from typing import NamedTuple

import numpy as np

from dlbook import lazy, validation

KERAS_LAYERS = ("MCDropout", "MCAlphaDropout")


class DropoutCache(NamedTuple):
    """What :func:`dropout_backward` needs from :func:`dropout_forward`.

    ``mask`` is the float64 keep mask (1 = kept, 0 = dropped), shaped like
    the input; ``p`` the drop probability; ``training`` whether units were
    dropped (at inference the mask is all ones and the layer is the identity).
    """

    mask: np.ndarray
    p: float
    training: bool


# ---------------------------------------------------------------------------
# Input checks


def _as_array(name: str, value, min_ndim: int = 0) -> np.ndarray:
    """A finite float64 copy of ``value`` with at least ``min_ndim`` dimensions."""
    array = np.asarray(value)
    if not (np.issubdtype(array.dtype, np.number) or array.dtype == bool):
        raise TypeError(f"{name} must be a numeric array, got dtype {array.dtype}")
    array = array.astype(np.float64)  # a copy: the caller's array is never changed
    if array.ndim < min_ndim:
        raise ValueError(f"{name} must have at least {min_ndim} dimension(s), got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must be finite; found NaN or inf")
    return array


def _check_rate(p, name: str = "p") -> float:
    """A drop probability in [0, 1)."""
    if isinstance(p, bool) or not isinstance(p, Real):
        raise TypeError(f"{name} must be a real number, got {type(p).__name__}")
    if not 0 <= p < 1:
        raise ValueError(f"{name} must be a drop probability in [0, 1), got {p!r}")
    return float(p)


def _check_mask(mask, shape: tuple) -> np.ndarray:
    """A keep mask of 0s and 1s (or booleans) of exactly ``shape``, as float64."""
    mask = _as_array("mask", mask)
    if mask.shape != shape:
        raise ValueError(f"mask must have the shape of x, {shape}, got {mask.shape}")
    if not np.all((mask == 0) | (mask == 1)):
        raise ValueError("mask must hold only 0 (dropped) and 1 (kept)")
    return mask


# ---------------------------------------------------------------------------
# Weight penalties (Keras' convention: no factor 1/2)


def l1_penalty(w, l1: float) -> float:
    """The L1 penalty :math:`\\Omega_1(\\mathbf{w}) = \\lambda_1 \\sum_i |w_i|`.

    What ``keras.regularizers.L1(l1)`` adds to the loss for one weight array.
    ``w`` any shape; ``l1`` :math:`\\lambda_1 \\ge 0`. Returns a float.
    """
    w = _as_array("w", w)
    return validation.number("l1", l1, 0) * float(np.sum(np.abs(w)))


def l1_penalty_gradient(w, l1: float) -> np.ndarray:
    """:math:`\\partial \\Omega_1 / \\partial \\mathbf{w} = \\lambda_1 \\operatorname{sign}(\\mathbf{w})`.

    A constant pull of size :math:`\\lambda_1` towards 0, however small the
    weight, which is what drives weights to (near) zero. At :math:`w_i = 0`
    the penalty has no derivative; this returns 0 there, the subgradient
    TensorFlow uses. Shaped like ``w``.
    """
    w = _as_array("w", w)
    return validation.number("l1", l1, 0) * np.sign(w)


def l2_penalty(w, l2: float) -> float:
    """The L2 penalty :math:`\\Omega_2(\\mathbf{w}) = \\lambda_2 \\sum_i w_i^2`.

    What ``keras.regularizers.L2(l2)`` adds to the loss for one weight array:
    note there is no factor 1/2 (many textbooks write
    :math:`\\tfrac{\\lambda}{2} \\lVert \\mathbf{w} \\rVert^2`). ``w`` any
    shape; ``l2`` :math:`\\lambda_2 \\ge 0`. Returns a float.
    """
    w = _as_array("w", w)
    return validation.number("l2", l2, 0) * float(np.sum(w * w))


def l2_penalty_gradient(w, l2: float) -> np.ndarray:
    """:math:`\\partial \\Omega_2 / \\partial \\mathbf{w} = 2 \\lambda_2 \\mathbf{w}`, shaped like ``w``.

    A pull towards 0 proportional to the weight: with plain gradient descent
    at learning rate :math:`\\eta` the penalty alone multiplies every weight by
    :math:`1 - 2 \\eta \\lambda_2` per step ("weight decay").
    """
    w = _as_array("w", w)
    return 2.0 * validation.number("l2", l2, 0) * w


def l1_l2_penalty(w, l1: float, l2: float) -> float:
    """:math:`\\lambda_1 \\sum_i |w_i| + \\lambda_2 \\sum_i w_i^2`, as ``keras.regularizers.L1L2``."""
    return l1_penalty(w, l1) + l2_penalty(w, l2)


def l1_l2_gradient(w, l1: float, l2: float) -> np.ndarray:
    """:math:`\\lambda_1 \\operatorname{sign}(\\mathbf{w}) + 2 \\lambda_2 \\mathbf{w}`, shaped like ``w``."""
    return l1_penalty_gradient(w, l1) + l2_penalty_gradient(w, l2)


# ---------------------------------------------------------------------------
# Inverted dropout


def dropout_mask(shape, p: float, rng: np.random.Generator) -> np.ndarray:
    """A keep mask: each entry 1 with probability :math:`1 - p`, else 0 (float64, ``shape``).

    :math:`m_i = [u_i \\ge p]` with :math:`u_i \\sim U[0, 1)` drawn from ``rng``,
    the rule ``keras.layers.Dropout`` uses.
    """
    p = _check_rate(p)
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    if isinstance(shape, Integral) and not isinstance(shape, bool):
        shape = (shape,)
    if not isinstance(shape, tuple) or any(isinstance(d, bool) or not isinstance(d, Integral)
                                           for d in shape):
        raise TypeError(f"shape must be a tuple of ints, got {shape!r}")
    if any(d < 0 for d in shape):
        raise ValueError(f"shape must hold sizes >= 0, got {shape!r}")
    return (rng.random(shape) >= p).astype(np.float64)


def dropout_forward(x, p: float, rng: np.random.Generator | None = None, mask=None,
                    training: bool = True) -> tuple[np.ndarray, DropoutCache]:
    """Inverted dropout: :math:`\\tilde{\\mathbf{a}} = \\mathbf{m} \\odot \\mathbf{a} / (1 - p)`.

    During training (``training=True``) each entry of ``x`` is dropped (set
    to 0) with probability ``p`` and every kept entry is multiplied by
    exactly :math:`1 / (1 - p)`, so that
    :math:`E[\\tilde a_i] = (1 - p) \\cdot a_i / (1 - p) = a_i`: the next layer
    sees inputs of the same expected size in training and at inference. At
    inference (``training=False``) the output is ``x`` unchanged (the
    identity; no mask and no scaling).

    The keep mask :math:`\\mathbf{m}` (1 = kept) is drawn from ``rng``, a
    ``numpy.random.Generator``, or given as ``mask``, 0s and 1s shaped like
    ``x`` (pass exactly one of the two during training). ``x`` any shape
    ``(N, D)``, ``(N, H, W, C)``, ...; ``p`` in [0, 1). Returns the output
    (shaped like ``x``) and the :class:`DropoutCache` for
    :func:`dropout_backward`.
    """
    x = _as_array("x", x)
    p = _check_rate(p)
    if not isinstance(training, (bool, np.bool_)):
        raise TypeError(f"training must be a bool, got {type(training).__name__}")
    if not training:
        return x, DropoutCache(np.ones_like(x), p, False)
    if (rng is None) == (mask is None):
        raise ValueError("dropout_forward needs exactly one of rng (a numpy Generator to draw the "
                         f"mask from) and mask (the keep mask) when training; got "
                         f"{'neither' if rng is None else 'both'}")
    mask = dropout_mask(x.shape, p, rng) if mask is None else _check_mask(mask, x.shape)
    return x * mask / (1.0 - p), DropoutCache(mask, p, True)


def dropout_backward(dout, cache: DropoutCache) -> np.ndarray:
    """The gradient through inverted dropout, shaped like ``dout``.

    .. math:: \\frac{\\partial L}{\\partial \\mathbf{a}} = \\mathbf{m} \\odot \\boldsymbol{\\delta} / (1 - p)

    The forward pass is linear in its input with the mask fixed, so the
    upstream gradient ``dout`` (:math:`\\boldsymbol{\\delta}`, shaped like the
    output) flows back through the kept units only, scaled by the same
    :math:`1 / (1 - p)`; dropped units get no gradient. At inference (a cache
    with ``training=False``) the gradient passes through unchanged.
    """
    if not isinstance(cache, DropoutCache):
        raise TypeError(f"cache must be the DropoutCache returned by dropout_forward, "
                        f"got {type(cache).__name__}")
    dout = _as_array("dout", dout)
    if dout.shape != cache.mask.shape:
        raise ValueError(f"dout must have the shape of the forward output, {cache.mask.shape}, "
                         f"got {dout.shape}")
    if not cache.training:
        return dout
    return dout * cache.mask / (1.0 - cache.p)


# ---------------------------------------------------------------------------
# Monte Carlo summaries


def mc_average(predictions) -> tuple[np.ndarray, np.ndarray]:
    """Mean and spread of T stochastic predictions of the same inputs.

    .. math:: \\bar{\\mathbf{y}} = \\frac1T \\sum_{t=1}^T \\hat{\\mathbf{y}}^{(t)}, \\qquad
              s = \\sqrt{\\frac{1}{T - 1} \\sum_{t=1}^T (\\hat{\\mathbf{y}}^{(t)} - \\bar{\\mathbf{y}})^2}

    ``predictions`` ``(T, N, K)`` (or ``(T, N)``, or any ``(T, ...)``) stacks
    the T passes along the first axis, T >= 2. Returns the mean and the
    sample standard deviation (``ddof=1``) over the passes, each shaped
    ``(N, K)``. For class probabilities the mean is again a probability
    vector per row, the Monte Carlo estimate of the predictive distribution.
    """
    predictions = _as_array("predictions", predictions, min_ndim=1)
    if predictions.shape[0] < 2:
        raise ValueError(f"predictions must stack T >= 2 passes along axis 0, got shape "
                         f"{predictions.shape}")
    return predictions.mean(axis=0), predictions.std(axis=0, ddof=1)


def predictive_entropy(probabilities) -> np.ndarray:
    """The entropy of each predicted distribution, :math:`H = -\\sum_k \\bar y_k \\ln \\bar y_k` (nats).

    ``probabilities`` ``(N, K)``: one probability vector per row (entries in
    [0, 1] summing to 1 within 1e-6), typically the mean of
    :func:`mc_average`. Terms with :math:`\\bar y_k = 0` count 0. Returns
    ``(N,)``, from 0 (certain) to :math:`\\ln K` (uniform).
    """
    probabilities = _as_array("probabilities", probabilities)
    if probabilities.ndim != 2 or probabilities.shape[1] < 2:
        raise ValueError(f"probabilities must have shape (N, K) with K >= 2, got "
                         f"{probabilities.shape}")
    if np.any(probabilities < 0) or np.any(probabilities > 1):
        raise ValueError("probabilities must lie in [0, 1]")
    sums = probabilities.sum(axis=1)
    if not np.allclose(sums, 1.0, rtol=0, atol=1e-6):
        worst = float(sums[np.argmax(np.abs(sums - 1))])
        raise ValueError(f"probabilities must sum to 1 along each row; a row sums to {worst:.6g}")
    logs = np.log(np.where(probabilities > 0, probabilities, 1.0))
    return -np.sum(probabilities * logs, axis=1)


# ---------------------------------------------------------------------------
# Keras: Monte Carlo dropout layers and predictions


def _define_keras_classes() -> dict:
    """Define and register the MC layers (lazy.KerasClasses calls this once)."""
    keras = lazy.keras()

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

    layers = {"MCDropout": MCDropout, "MCAlphaDropout": MCAlphaDropout}
    return layers


_keras_classes = lazy.KerasClasses(__name__, KERAS_LAYERS, _define_keras_classes)
__getattr__, __dir__ = _keras_classes.module_getattr, _keras_classes.module_dir


DROPOUT_KINDS = ("dropout", "mc_dropout", "alpha_dropout", "mc_alpha_dropout")


def build_regularized_mlp(input_shape, hidden, n_outputs: int, rate: float = 0.0,
                          dropout: str = "dropout", kernel_regularizer=None,
                          hidden_activation: str = "relu", output_activation: str = "softmax",
                          name: str | None = None):
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
    keras = lazy.keras()
    shape = (input_shape,) if isinstance(input_shape, Integral) else tuple(input_shape)
    if not shape or any(isinstance(d, bool) or not isinstance(d, Integral) or d < 1 for d in shape):
        raise ValueError(f"input_shape must be a positive int or a tuple of them, got {input_shape!r}")
    hidden = list(hidden)
    if not hidden or any(isinstance(u, bool) or not isinstance(u, Integral) or u < 1 for u in hidden):
        raise ValueError(f"hidden must be a non-empty sequence of positive ints, got {hidden!r}")
    n_outputs = validation.integer("n_outputs", n_outputs, 1)
    rate = _check_rate(rate, "rate")
    if dropout not in DROPOUT_KINDS:
        raise ValueError(f"dropout must be one of {DROPOUT_KINDS}, got {dropout!r}")
    if not (kernel_regularizer is None or isinstance(kernel_regularizer, str)
            or isinstance(kernel_regularizer, keras.regularizers.Regularizer)):
        raise TypeError(f"kernel_regularizer must be a keras.regularizers.Regularizer, a name or "
                        f"None, got {type(kernel_regularizer).__name__}")
    mc_layers = _keras_classes.all()
    drop = {"dropout": keras.layers.Dropout, "alpha_dropout": keras.layers.AlphaDropout,
            "mc_dropout": mc_layers["MCDropout"],
            "mc_alpha_dropout": mc_layers["MCAlphaDropout"]}[dropout]
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


def mc_samples(model, x, n: int, batch_size: int = 256) -> np.ndarray:
    """``n`` stochastic forward passes of ``model`` on ``x``, stacked: ``(n, N, K)`` float64.

    Each pass runs ``model.predict_on_batch`` over ``x`` in chunks of
    ``batch_size`` rows (what ``predict`` does, with less overhead per call).
    With :class:`MCDropout` or :class:`MCAlphaDropout` layers inside, every
    pass draws new masks; a model without stochastic layers returns ``n``
    identical predictions.
    ``x`` ``(N, ...)`` is what the model takes; ``n`` >= 2; ``batch_size``
    only sets how many rows go through at once.
    """
    keras = lazy.keras()
    if not isinstance(model, keras.Model):
        raise TypeError(f"model must be a keras.Model, got {type(model).__name__}")
    n = validation.integer("n", n, 2)
    batch_size = validation.integer("batch_size", batch_size, 1)
    x = np.asarray(x)
    if not (np.issubdtype(x.dtype, np.number) or x.dtype == bool):
        raise TypeError(f"x must be a numeric array, got dtype {x.dtype}")
    if x.ndim < 1 or x.shape[0] == 0:
        raise ValueError(f"x must be a non-empty batch (N, ...) with N >= 1, got shape {x.shape}")
    chunks = [x[i:i + batch_size] for i in range(0, x.shape[0], batch_size)]
    passes = [np.concatenate([np.asarray(model.predict_on_batch(chunk), dtype=np.float64)
                              for chunk in chunks]) for _ in range(n)]
    return np.stack(passes)


def predict_mc(model, x, n: int, batch_size: int = 256) -> tuple[np.ndarray, np.ndarray]:
    """Monte Carlo prediction: the mean and standard deviation of ``n`` stochastic passes.

    .. math:: \\bar{\\mathbf{y}}(\\mathbf{x}) = \\frac1n \\sum_{t=1}^n f(\\mathbf{x}; \\mathbf{m}^{(t)})

    with a fresh set of dropout masks :math:`\\mathbf{m}^{(t)}` per pass
    (:func:`mc_samples`), summarised by :func:`mc_average`. ``x`` ``(N, ...)``;
    ``n`` >= 2 (the spread needs two passes). Returns ``(mean, std)``, each
    shaped like one prediction ``(N, K)``, float64; ``std`` is the sample
    standard deviation (``ddof=1``).
    """
    return mc_average(mc_samples(model, x, n, batch_size))
