"""Batch and layer normalization (chapter 8), forward and backward, from scratch.

A batch of activations ``x`` has shape (N, D): N examples, one per row, and D
features, one per column. Both normalizations standardize ``x`` and then let
the network rescale it with learned per-feature parameters gamma and beta (D,):

    x_hat = (x - mu) / sqrt(sigma^2 + eps),        y = gamma * x_hat + beta.

They differ only in the axis the statistics mu and sigma^2 are taken along:

- **batch normalization** (Ioffe and Szegedy, 2015) takes them down each column,
  per feature over the N examples of the batch (:func:`batch_statistics`);
  at inference it uses running averages of them instead
  (:func:`update_running_statistics`, :func:`batchnorm_inference`);
- **layer normalization** (Ba, Kiros and Hinton, 2016) takes them along each
  row, per example over its D features (:func:`example_statistics`), and so
  computes the same thing in training and at inference.

The variances are the biased ones, a mean of squared deviations divided by N
(or D), as in the papers and in Keras, whose defaults eps = 1e-3 and momentum
0.99 are the defaults here. Each forward function returns its output and a
:class:`NormCache`; each backward function takes the upstream gradient dout =
dL/dy and that cache and returns (dx, dgamma, dbeta) (the CS231n convention).

The Keras side of the chapter lives in the two functions at the end, which
import Keras when called: :func:`build_normalized_mlp` and
:func:`keras_normalization`. Nothing in the NumPy functions touches Keras.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from dlbook import validation
from dlbook.gradcheck import numerical_gradient, relative_error

EPSILON = 1e-3  # Keras' default for BatchNormalization and LayerNormalization
MOMENTUM = 0.99  # Keras' default for BatchNormalization
PLACEMENTS = ("none", "after", "before")
NORMALIZATIONS = ("batch", "layer")


class NormCache(NamedTuple):
    """What a backward pass needs from its forward pass (a plain 5-tuple works as well).

    For batch normalization ``mean`` and ``var`` are per feature, shape (D,);
    for layer normalization they are per example, shape (N,).
    """

    x_hat: np.ndarray  # the standardized input, (N, D)
    gamma: np.ndarray  # the scale, (D,)
    mean: np.ndarray  # mu, (D,) or (N,)
    var: np.ndarray  # sigma^2, biased, (D,) or (N,)
    eps: float  # added to sigma^2 before the square root


# ---------------------------------------------------------------------------
# Statistics


def batch_statistics(x) -> tuple[np.ndarray, np.ndarray]:
    """Per-feature mean and biased variance over the batch, each of shape (D,).

    mu_j = (1/N) sum_n x_nj,        sigma_j^2 = (1/N) sum_n (x_nj - mu_j)^2

    ``x`` is (N, D). These are the statistics batch normalization uses.
    """
    x = validation.float_array("x", x, "(N, D)")
    mean = x.mean(axis=0)
    return mean, np.mean((x - mean) ** 2, axis=0)


def example_statistics(x) -> tuple[np.ndarray, np.ndarray]:
    """Per-example mean and biased variance over the features, each of shape (N,).

    mu_n = (1/D) sum_j x_nj,        sigma_n^2 = (1/D) sum_j (x_nj - mu_n)^2

    ``x`` is (N, D). These are the statistics layer normalization uses.
    """
    x = validation.float_array("x", x, "(N, D)")
    mean = x.mean(axis=1)
    return mean, np.mean((x - mean[:, None]) ** 2, axis=1)


# ---------------------------------------------------------------------------
# Batch normalization


def batchnorm_forward(x, gamma, beta, eps: float = EPSILON) -> tuple[np.ndarray, NormCache]:
    """Batch normalization in training mode: normalize each feature with the batch's statistics.

    mu_j, sigma_j^2 = :func:`batch_statistics` (x),
    x_hat_nj = (x_nj - mu_j) / sqrt(sigma_j^2 + eps),
    y_nj = gamma_j x_hat_nj + beta_j.

    ``x`` is (N, D), ``gamma`` and ``beta`` are (D,). Returns y (N, D) and the
    :class:`NormCache` (x_hat, gamma, mu, sigma^2, eps), whose mu and sigma^2
    are the batch statistics that :func:`update_running_statistics` needs.
    """
    x = validation.float_array("x", x, "(N, D)")
    gamma, beta = _check_scale_and_shift(gamma, beta, x.shape[1])
    eps = validation.positive("eps", eps)
    mean, var = batch_statistics(x)
    x_hat = (x - mean) / np.sqrt(var + eps)
    return gamma * x_hat + beta, NormCache(x_hat, gamma, mean, var, eps)


def batchnorm_inference(x, gamma, beta, running_mean, running_var,
                        eps: float = EPSILON) -> np.ndarray:
    """Batch normalization in inference mode: the running statistics replace the batch's.

    y_nj = gamma_j (x_nj - m_j) / sqrt(v_j + eps) + beta_j

    with m and v the running mean and variance (D,). Each example is then
    normalized on its own, the same whatever else is in the batch. ``x`` is
    (N, D); returns y (N, D).
    """
    x = validation.float_array("x", x, "(N, D)")
    d = x.shape[1]
    gamma, beta = _check_scale_and_shift(gamma, beta, d)
    running_mean = _check_vector("running_mean", running_mean, d)
    running_var = _check_vector("running_var", running_var, d)
    if np.any(running_var < 0):
        raise ValueError("running_var must be >= 0 (it is a variance), got a negative entry")
    return gamma * (x - running_mean) / np.sqrt(running_var + validation.positive("eps", eps)) + beta


def update_running_statistics(running_mean, running_var, batch_mean, batch_var,
                              momentum: float = MOMENTUM) -> tuple[np.ndarray, np.ndarray]:
    """One step of the exponential moving averages batch normalization keeps for inference.

    m <- momentum * m + (1 - momentum) * mu_B,
    v <- momentum * v + (1 - momentum) * sigma_B^2

    Keras' convention (PyTorch's ``momentum`` is 1 minus this one): momentum
    is the weight of the old value. sigma_B^2 is the biased batch variance, as
    in Keras' ``moving_variance`` (PyTorch averages the unbiased one). All four
    arrays are (D,); returns the new (m, v) and leaves the arguments unchanged.
    """
    running_mean = _check_vector("running_mean", running_mean)
    d = running_mean.shape[0]
    running_var = _check_vector("running_var", running_var, d)
    batch_mean = _check_vector("batch_mean", batch_mean, d)
    batch_var = _check_vector("batch_var", batch_var, d)
    momentum = validation.number("momentum", momentum, 0, 1)
    return (momentum * running_mean + (1 - momentum) * batch_mean,
            momentum * running_var + (1 - momentum) * batch_var)


def running_statistics(batches, momentum: float = MOMENTUM) -> tuple[np.ndarray, np.ndarray]:
    """The running mean and variance after each batch of a sequence, from Keras' start (0, 1).

    ``batches`` is a sequence of T arrays (N_t, D). Returns ``means`` and
    ``variances`` of shape (T + 1, D): row 0 the initial values m = 0 and
    v = 1, row t those after :func:`update_running_statistics` on batch t.
    After t batches the initial value still weighs momentum^t.
    """
    batches = list(batches)
    if not batches:
        raise ValueError("batches must hold at least one (N, D) array, got an empty sequence")
    first = validation.float_array("batches[0]", batches[0], "(N, D)")
    mean, var = np.zeros(first.shape[1]), np.ones(first.shape[1])
    means, variances = [mean], [var]
    for t, batch in enumerate(batches):
        batch = validation.float_array(f"batches[{t}]", batch, "(N, D)")
        if batch.shape[1] != first.shape[1]:
            raise ValueError(f"batches[{t}] must have {first.shape[1]} features like batches[0], "
                             f"got shape {batch.shape}")
        mean, var = update_running_statistics(mean, var, *batch_statistics(batch), momentum)
        means.append(mean)
        variances.append(var)
    return np.array(means), np.array(variances)


def batchnorm_backward(dout, cache) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The gradients of batch normalization (training mode) from dL/dy and the cache.

    With sigma_j = sqrt(sigma_j^2 + eps) and dx_hat = dout * gamma:

    dbeta_j = sum_n dout_nj,        dgamma_j = sum_n dout_nj x_hat_nj,
    dx_nj = (1 / (N sigma_j)) [N dx_hat_nj - sum_k dx_hat_kj - x_hat_nj sum_k dx_hat_kj x_hat_kj]

    The two sums are there because every x_nj moves the batch's mu_j and
    sigma_j^2, and so every other example's output. ``dout`` is (N, D),
    ``cache`` what :func:`batchnorm_forward` returned; returns (dx (N, D),
    dgamma (D,), dbeta (D,)).
    """
    dout, x_hat, gamma, std = _check_backward(dout, cache, axis=0)
    dx_hat = dout * gamma
    n = dout.shape[0]
    dx = (n * dx_hat - dx_hat.sum(axis=0) - x_hat * np.sum(dx_hat * x_hat, axis=0)) / (n * std)
    return dx, np.sum(dout * x_hat, axis=0), dout.sum(axis=0)


# ---------------------------------------------------------------------------
# Layer normalization


def layernorm_forward(x, gamma, beta, eps: float = EPSILON) -> tuple[np.ndarray, NormCache]:
    """Layer normalization: normalize each example across its features.

    mu_n, sigma_n^2 = :func:`example_statistics` (x),
    x_hat_nj = (x_nj - mu_n) / sqrt(sigma_n^2 + eps),
    y_nj = gamma_j x_hat_nj + beta_j.

    No statistic crosses examples, so there is nothing to keep for inference:
    training and inference compute the same function. ``x`` is (N, D),
    ``gamma`` and ``beta`` (D,); returns y (N, D) and the :class:`NormCache`
    (x_hat, gamma, mu (N,), sigma^2 (N,), eps).
    """
    x = validation.float_array("x", x, "(N, D)")
    gamma, beta = _check_scale_and_shift(gamma, beta, x.shape[1])
    eps = validation.positive("eps", eps)
    mean, var = example_statistics(x)
    x_hat = (x - mean[:, None]) / np.sqrt(var + eps)[:, None]
    return gamma * x_hat + beta, NormCache(x_hat, gamma, mean, var, eps)


def layernorm_backward(dout, cache) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The gradients of layer normalization from dL/dy and the cache.

    With sigma_n = sqrt(sigma_n^2 + eps) and dx_hat = dout * gamma:

    dbeta_j = sum_n dout_nj,        dgamma_j = sum_n dout_nj x_hat_nj,
    dx_nj = (1 / (D sigma_n)) [D dx_hat_nj - sum_k dx_hat_nk - x_hat_nj sum_k dx_hat_nk x_hat_nk]

    the batch-normalization formula with the sums taken along the row of each
    example instead of down each column. ``dout`` is (N, D), ``cache`` what
    :func:`layernorm_forward` returned; returns (dx (N, D), dgamma (D,), dbeta (D,)).
    """
    dout, x_hat, gamma, std = _check_backward(dout, cache, axis=1)
    dx_hat = dout * gamma
    d = dout.shape[1]
    dx = (d * dx_hat - dx_hat.sum(axis=1, keepdims=True)
          - x_hat * np.sum(dx_hat * x_hat, axis=1, keepdims=True)) / (d * std[:, None])
    return dx, np.sum(dout * x_hat, axis=0), dout.sum(axis=0)


# ---------------------------------------------------------------------------
# Gradient check


def gradient_check(layer: str = "batchnorm", n: int = 8, d: int = 5, eps: float = EPSILON,
                   seed: int = 0) -> dict[str, float]:
    """Relative errors of a backward pass against central differences, per gradient.

    On a random batch x (N, D) (features with means and scales far from 0
    and 1), gamma, beta and upstream gradient dout, the scalar
    L = sum(dout * y) has dL/dy = dout, so the backward pass must return its
    gradients. ``layer`` is ``"batchnorm"`` or ``"layernorm"``. Returns
    ``{"dx": ..., "dgamma": ..., "dbeta": ...}``, each
    :func:`dlbook.gradcheck.relative_error` (below 1e-7 when correct).
    """
    passes = {"batchnorm": (batchnorm_forward, batchnorm_backward),
              "layernorm": (layernorm_forward, layernorm_backward)}
    validation.choice("layer", layer, tuple(passes))
    n, d = validation.integer("n", n, 1), validation.integer("d", d, 1)
    forward, backward = passes[layer]
    rng = np.random.default_rng(seed)
    x = rng.normal(rng.uniform(-3, 3, d), rng.uniform(0.5, 3, d), (n, d))
    gamma, beta = rng.normal(1, 0.5, d), rng.normal(0, 0.5, d)
    dout = rng.normal(size=(n, d))
    analytic = backward(dout, forward(x, gamma, beta, eps)[1])

    def loss(x_, gamma_, beta_):
        return float(np.sum(dout * forward(x_, gamma_, beta_, eps)[0]))

    numeric = (numerical_gradient(lambda v: loss(v, gamma, beta), x.copy()),
               numerical_gradient(lambda v: loss(x, v, beta), gamma.copy()),
               numerical_gradient(lambda v: loss(x, gamma, v), beta.copy()))
    return {name: relative_error(a, b)
            for name, a, b in zip(("dx", "dgamma", "dbeta"), analytic, numeric, strict=True)}


# ---------------------------------------------------------------------------
# The Keras side (imports Keras when called)


def keras_normalization(layer: str, x, gamma, beta, dout, training: bool = True,
                        moving_mean=None, moving_var=None, eps: float = EPSILON):
    """Keras' own layer on the same numbers, in float64: y and (dx, dgamma, dbeta).

    ``layer`` is ``"batchnorm"`` (``keras.layers.BatchNormalization``) or
    ``"layernorm"`` (``keras.layers.LayerNormalization``), built with
    ``dtype="float64"`` and the weights ``gamma``, ``beta`` (D,) (and for
    batch normalization the moving statistics, by default Keras' initial
    0 and 1). The gradients of L = sum(dout * y) come from the active
    backend's automatic differentiation (:func:`dlbook.backend.autodiff_gradient`)
    through the layer's ``stateless_call``. ``training`` selects batch or
    moving statistics (layer normalization ignores it). Returns
    ``(y, (dx, dgamma, dbeta))`` as float64 NumPy arrays.
    """
    validation.choice("layer", layer, ("batchnorm", "layernorm"))
    x = validation.float_array("x", x, "(N, D)")
    d = x.shape[1]
    gamma, beta = _check_scale_and_shift(gamma, beta, d)
    dout = validation.float_array("dout", dout, "(N, D)")
    if dout.shape != x.shape:
        raise ValueError(f"dout must have the shape of x {x.shape}, got {dout.shape}")
    validation.boolean("training", training)
    moving_mean = np.zeros(d) if moving_mean is None else _check_vector("moving_mean",
                                                                         moving_mean, d)
    moving_var = np.ones(d) if moving_var is None else _check_vector("moving_var", moving_var, d)
    eps = validation.positive("eps", eps)

    from dlbook import backend
    from dlbook.keras_import import keras

    backend.enable_float64()
    if layer == "batchnorm":
        keras_layer = keras.layers.BatchNormalization(epsilon=eps, dtype="float64")
        keras_layer.build(x.shape)
        keras_layer.set_weights([gamma, beta, moving_mean, moving_var])
    else:
        keras_layer = keras.layers.LayerNormalization(epsilon=eps, dtype="float64")
        keras_layer.build(x.shape)
        keras_layer.set_weights([gamma, beta])
    non_trainable = [v.value for v in keras_layer.non_trainable_variables]
    mode = {"training": training} if layer == "batchnorm" else {}  # LayerNormalization has none

    def output(params):
        inputs, *weights = params
        return keras_layer.stateless_call(weights, non_trainable, inputs, **mode)[0]

    y = keras.ops.convert_to_numpy(output([x, gamma, beta]))

    def loss(params):
        return keras.ops.sum(keras.ops.multiply(output(params), dout))

    dx, dgamma, dbeta = backend.autodiff_gradient(loss, [x, gamma, beta])
    return np.asarray(y, dtype=np.float64), (dx, dgamma, dbeta)


def build_normalized_mlp(input_shape, hidden, n_outputs: int, placement: str = "before",
                         normalization: str = "batch", activation: str = "relu",
                         output_activation: str | None = "softmax",
                         input_normalization: bool = False, momentum: float = MOMENTUM,
                         name: str | None = None):
    """An MLP with a normalization layer in every hidden layer, placed as ``placement`` says.

    For each hidden layer of ``units`` units (``normalization`` is ``"batch"``
    for BatchNormalization or ``"layer"`` for LayerNormalization, written Norm):

    - ``"none"``:   Dense(units, activation)                      (the baseline);
    - ``"after"``:  Dense(units, activation) -> Norm                (normalize the activations);
    - ``"before"``: Dense(units, use_bias=False) -> Norm -> Activation
      (normalize z, as in the paper: Norm's beta replaces the Dense bias,
      which it would cancel anyway).

    ``input_normalization=True`` puts a BatchNormalization first, after the
    Flatten of a multi-dimensional input: it standardizes the raw features
    with running statistics, so the inputs need no standardizing by hand.
    Then a Dense(``n_outputs``, ``output_activation``). Each Norm adds
    2 * units trainable parameters (gamma, beta); a batch norm adds
    2 * units non-trainable ones as well (the moving mean and variance),
    averaged with ``momentum`` (every BatchNormalization of the model).
    Returns an uncompiled ``keras.Sequential``; input ``(N, *input_shape)``,
    output ``(N, n_outputs)``.
    """
    shape = validation.shape("input_shape", input_shape)
    hidden = validation.positive_ints("hidden", hidden, allow_empty=True)
    n_outputs = validation.integer("n_outputs", n_outputs, 1)
    validation.choice("placement", placement, PLACEMENTS)
    validation.choice("normalization", normalization, NORMALIZATIONS)
    validation.boolean("input_normalization", input_normalization)
    momentum = validation.number("momentum", momentum, 0, 1)

    from dlbook.keras_import import keras

    def norm(i):
        if normalization == "batch":
            return keras.layers.BatchNormalization(momentum=momentum, name=f"batch_norm_{i}")
        return keras.layers.LayerNormalization(name=f"layer_norm_{i}")

    layers = [keras.Input(shape=shape)]
    if len(shape) > 1:
        layers.append(keras.layers.Flatten(name="flatten"))
    if input_normalization:
        layers.append(keras.layers.BatchNormalization(momentum=momentum, name="input_batch_norm"))
    for i, units in enumerate(hidden, start=1):
        if placement == "before":
            layers += [keras.layers.Dense(units, use_bias=False, name=f"dense_{i}"), norm(i),
                       keras.layers.Activation(activation, name=f"activation_{i}")]
        else:
            layers.append(keras.layers.Dense(units, activation=activation, name=f"dense_{i}"))
            if placement == "after":
                layers.append(norm(i))
    layers.append(keras.layers.Dense(n_outputs, activation=output_activation, name="output"))
    return keras.Sequential(layers, name=name)


# ---------------------------------------------------------------------------
# Input checks


def _check_vector(name: str, value, size: int | None = None) -> np.ndarray:
    array = validation.float_array(name, value, "(D,)")
    if size is not None and array.shape != (size,):
        raise ValueError(f"{name} must have shape ({size},), got {array.shape}")
    return array


def _check_scale_and_shift(gamma, beta, d: int) -> tuple[np.ndarray, np.ndarray]:
    return _check_vector("gamma", gamma, d), _check_vector("beta", beta, d)


def _check_backward(dout, cache, axis: int):
    """dout, x_hat, gamma and sigma = sqrt(var + eps), checked against each other.

    ``axis`` is the axis the statistics were taken along: 0 for batch
    normalization (mean, var of shape (D,)), 1 for layer normalization ((N,)).
    """
    forward = "batchnorm_forward" if axis == 0 else "layernorm_forward"
    if not isinstance(cache, tuple):
        raise TypeError(f"cache must be the 5-tuple (x_hat, gamma, mean, var, eps) that "
                        f"{forward} returned, got {type(cache).__name__}")
    if len(cache) != 5:
        raise ValueError(f"cache must be the 5-tuple (x_hat, gamma, mean, var, eps) that "
                         f"{forward} returned, got a tuple of {len(cache)}")
    x_hat, gamma, mean, var, eps = cache
    dout = validation.float_array("dout", dout, "(N, D)")
    x_hat = validation.float_array("cache.x_hat", x_hat, "(N, D)")
    if x_hat.shape != dout.shape:
        raise ValueError(f"dout must have the shape of the forward pass's output {x_hat.shape}, "
                         f"got {dout.shape}")
    gamma = _check_vector("cache.gamma", gamma, dout.shape[1])
    length = dout.shape[1 - axis]  # D for batch norm, N for layer norm
    _check_vector("cache.mean", mean, length)
    var = _check_vector("cache.var", var, length)
    std = np.sqrt(var + validation.positive("eps", eps))
    return dout, x_hat, gamma, std
