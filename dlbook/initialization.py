"""Weight initialization and the flow of signals through deep networks (chapter 5).

Two halves. The initializers draw a layer's starting weights with a variance
chosen from its fans, as Keras does:

- :func:`fans` gives (fan_in, fan_out) of a kernel shape, Dense ``(in, out)``
  or convolutional ``(kh, kw, c_in, c_out)``;
- :func:`variance` gives the target variance sigma^2 of each rule: Glorot
  1/fan_avg, He 2/fan_in, LeCun 1/fan_in; :func:`uniform_limit` the r of
  U(-r, r) with that variance, r = sqrt(3 sigma^2);
- :func:`initialize` samples a kernel with any of the six Keras initializers
  (:data:`INITIALIZERS`: ``"glorot_normal"`` ... ``"lecun_uniform"``) from a
  seeded ``numpy.random.Generator``; the "normal" ones are *truncated* normals,
  exactly the distribution Keras draws (:func:`truncated_normal`).

The deep network is a stack of L fully connected layers, all with the same
activation g, in Keras' orientation (a kernel W(l) has shape
``(n_{l-1}, n_l)``):

    z(l) = a(l-1) W(l) + b(l),    a(l) = g(z(l)),    a(0) = X,

trained on the mean squared error J = mean((a(L) - Y)^2). :func:`forward`
returns a(L) and a :class:`Cache`; :func:`backward` takes the upstream
gradient dJ/da(L) and that cache and returns every dJ/dW(l), dJ/db(l) and
dJ/dX; :func:`loss_and_gradients` composes them (use it to gradient-check the
network). :func:`layer_statistics` and :func:`probe` record, layer by layer,
the mean and standard deviation of the activations, the fractions of zero,
dead and saturated units and the norm of the weight gradient: the
measurements behind the chapter's figures.

This module is NumPy only: it never imports Keras.
"""

from __future__ import annotations

import math
from numbers import Real
from typing import NamedTuple

import numpy as np

from dlbook import activations, validation

RULES = ("glorot", "he", "lecun")
DISTRIBUTIONS = ("truncated_normal", "untruncated_normal", "uniform")

# The standard deviation of a standard normal truncated to [-2, 2]: Keras divides the
# target standard deviation by it, so that the truncated samples keep the target variance.
TRUNCATED_STD = 0.87962566103423978

# The six Keras initializers: name -> (rule, distribution).
INITIALIZERS = {
    "glorot_normal": ("glorot", "truncated_normal"),
    "glorot_uniform": ("glorot", "uniform"),
    "he_normal": ("he", "truncated_normal"),
    "he_uniform": ("he", "uniform"),
    "lecun_normal": ("lecun", "truncated_normal"),
    "lecun_uniform": ("lecun", "uniform"),
}


class InitRow(NamedTuple):
    """One row of the initializer table: a rule, its variance, the activations it suits."""

    rule: str
    variance: str  # sigma^2 as a formula in fan_in, fan_out, fan_avg
    activations: str
    paper: str  # the bibliography key of the paper that derived it


# Which initialization goes with which activation (Glorot and Bengio 2010; He et al. 2015;
# Klambauer et al. 2017), as the chapter prints it.
INIT_FOR_ACTIVATION = (
    InitRow("Glorot", "1 / fan_avg", "none (linear), tanh, sigmoid, softmax",
            "glorot2010understanding"),
    InitRow("He", "2 / fan_in", "ReLU and its variants (leaky ReLU, ELU, ...)", "he2015delving"),
    InitRow("LeCun", "1 / fan_in", "SELU", "klambauer2017self"),
)


# ---------------------------------------------------------------------------
# Fans and variances


def fans(shape) -> tuple[int, int]:
    """(fan_in, fan_out) of a kernel of shape ``shape``, as Keras computes them.

    A Dense kernel ``(n_in, n_out)`` has fan_in = n_in and fan_out = n_out. A
    convolution kernel ``(k_1, ..., k_d, c_in, c_out)`` connects each output to
    a receptive field of r = k_1 ... k_d positions in each of c_in channels,
    so fan_in = r c_in and fan_out = r c_out. A vector ``(n,)`` has both fans n.

    >>> fans((784, 300))
    (784, 300)
    >>> fans((3, 3, 16, 32))
    (144, 288)
    """
    shape = validation.shape("shape", shape)
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive_field = math.prod(shape[:-2])
    return shape[-2] * receptive_field, shape[-1] * receptive_field


def variance(rule: str, fan_in, fan_out) -> float:
    """The target variance sigma^2 of the weights under ``rule``.

    Glorot: sigma^2 = 1 / fan_avg with fan_avg = (fan_in + fan_out) / 2;
    He: sigma^2 = 2 / fan_in; LeCun: sigma^2 = 1 / fan_in.
    """
    rule = validation.choice("rule", rule, RULES)
    fan_in, fan_out = validation.number("fan_in", fan_in, 1), validation.number("fan_out", fan_out, 1)
    return {"glorot": 2.0 / (fan_in + fan_out), "he": 2.0 / fan_in, "lecun": 1.0 / fan_in}[rule]


def uniform_limit(rule: str, fan_in, fan_out) -> float:
    """r such that U(-r, r) has the variance of ``rule``: r = sqrt(3 sigma^2).

    U(-r, r) has variance r^2 / 3; for Glorot, r = sqrt(3 / fan_avg) = sqrt(6 / (fan_in + fan_out)).
    """
    return math.sqrt(3.0 * variance(rule, fan_in, fan_out))


# ---------------------------------------------------------------------------
# Sampling


def truncated_normal(rng: np.random.Generator, shape, std: float) -> np.ndarray:
    """Samples ``shape`` of a zero-mean normal truncated at two of its standard deviations.

    As Keras' ``truncated_normal``: draw from N(0, s^2) with s = std / 0.8796...
    (:data:`TRUNCATED_STD`), redraw any sample with |x| > 2 s. Cutting the
    tails off N(0, s^2) at 2 s leaves a variance of (0.8796 s)^2, so the
    samples have standard deviation ``std``, and none exceeds 2 s = 2.27 std.
    Returns float64.
    """
    validation.generator("rng", rng)
    shape = validation.shape("shape", shape)
    s = validation.positive("std", std) / TRUNCATED_STD
    x = rng.normal(0.0, s, shape)
    outside = np.abs(x) > 2 * s
    while outside.any():  # each pass keeps 95.4 % of what it redraws
        x[outside] = rng.normal(0.0, s, int(outside.sum()))
        outside = np.abs(x) > 2 * s
    return x


def variance_scaling(rng: np.random.Generator, shape, rule: str = "glorot",
                     distribution: str = "truncated_normal") -> np.ndarray:
    """A kernel of ``shape`` with the variance sigma^2 of ``rule`` (see :func:`variance`).

    ``distribution`` is ``"truncated_normal"`` (standard deviation sigma, cut
    at 2.27 sigma: :func:`truncated_normal`), ``"untruncated_normal"``
    (N(0, sigma^2)) or ``"uniform"`` (U(-r, r), r = sqrt(3 sigma^2)), Keras'
    ``VarianceScaling`` names. Returns a float64 array of ``shape``.
    """
    validation.generator("rng", rng)
    shape = validation.shape("shape", shape)
    distribution = validation.choice("distribution", distribution, DISTRIBUTIONS)
    sigma2 = variance(rule, *fans(shape))
    if distribution == "truncated_normal":
        return truncated_normal(rng, shape, math.sqrt(sigma2))
    if distribution == "untruncated_normal":
        return rng.normal(0.0, math.sqrt(sigma2), shape)
    r = math.sqrt(3.0 * sigma2)
    return rng.uniform(-r, r, shape)


def initialize(name: str, rng: np.random.Generator, shape) -> np.ndarray:
    """A kernel drawn by the Keras initializer called ``name`` (see :data:`INITIALIZERS`).

    >>> initialize("he_normal", np.random.default_rng(0), (3, 2)).shape
    (3, 2)
    """
    rule, distribution = INITIALIZERS[validation.choice("name", name, INITIALIZERS)]
    return variance_scaling(rng, shape, rule, distribution)


# ---------------------------------------------------------------------------
# A deep fully connected network


class Cache(NamedTuple):
    """What :func:`backward` needs from :func:`forward`, one entry per layer l = 1 .. L."""

    inputs: tuple[np.ndarray, ...]  # a(l-1), shapes (N, n_{l-1}); inputs[0] is X
    weights: tuple[np.ndarray, ...]  # W(l), shapes (n_{l-1}, n_l)
    z: tuple[np.ndarray, ...]  # z(l) = a(l-1) W(l) + b(l), shapes (N, n_l)
    activation: str  # the name of g, the hidden layers' activation


class Gradients(NamedTuple):
    """dJ/dW(l) ``(n_{l-1}, n_l)`` and dJ/db(l) ``(n_l,)`` per layer, and dJ/dX ``(N, n_0)``."""

    weights: list[np.ndarray]
    biases: list[np.ndarray]
    inputs: np.ndarray


class LayerStats(NamedTuple):
    """Measurements of the hidden layers l = 1 .. L-1, each an array of shape ``(L - 1,)``.

    ``mean``, ``std``: of the activations a(l) over the batch and the units.
    ``zero_fraction``: of the activations that are exactly 0.
    ``dead_fraction``: of the units whose output is 0 for every example of the
    batch (a dead ReLU passes no gradient back for any of them).
    ``saturated_fraction``: of the activations where the slope g'(z) is below
    :data:`SATURATED_SLOPE` times the activation's largest slope.
    ``grad_norm``: the Frobenius norm of dJ/dW(l) (NaN without gradients).
    """

    mean: np.ndarray
    std: np.ndarray
    zero_fraction: np.ndarray
    dead_fraction: np.ndarray
    saturated_fraction: np.ndarray
    grad_norm: np.ndarray


class History(NamedTuple):
    """:func:`train`'s record: the loss and the fraction of dead hidden units, ``(steps + 1,)``.

    Entry t is measured before step t (entry ``steps`` after the last one).
    If the loss overflowed, training stopped there and the arrays are shorter.
    """

    loss: np.ndarray
    dead_fraction: np.ndarray


# A unit is saturated where g'(z) < SATURATED_SLOPE * (the largest slope of g): it passes back
# less than a tenth of the gradient it could. The largest slopes: sigmoid 1/4 at 0, tanh 1 at 0,
# the ReLU family its slope for z > 0 (lambda for SELU).
SATURATED_SLOPE = 0.1
_PEAK_SLOPE = {"sigmoid": 0.25, "tanh": 1.0, "relu": 1.0, "leaky_relu": 1.0, "elu": 1.0,
               "selu": activations.SELU_SCALE}


def _check_kernels(weights) -> list[np.ndarray]:
    """The kernels W(l) ``(n_{l-1}, n_l)``, each with as many rows as the one below has columns."""
    weights = validation.float_arrays("weights", weights, "(n_{l-1}, n_l)")
    for l in range(1, len(weights)):
        if weights[l].shape[0] != weights[l - 1].shape[1]:
            raise ValueError(f"weights[{l}] must have {weights[l - 1].shape[1]} rows (the units "
                             f"of the layer below), got {weights[l].shape}")
    return weights


def _check_layers(weights, biases) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """The kernels (:func:`_check_kernels`) and one bias b(l) ``(n_l,)`` for each."""
    weights = _check_kernels(weights)
    biases = validation.float_arrays("biases", biases, "(n_l,)")
    if len(biases) != len(weights):
        raise ValueError(f"biases must have one vector per kernel ({len(weights)}), "
                         f"got {len(biases)}")
    for l, (W, b) in enumerate(zip(weights, biases, strict=True)):
        if b.shape != (W.shape[1],):
            raise ValueError(f"biases[{l}] must have shape ({W.shape[1]},), got {b.shape}")
    return weights, biases


def _check_inputs(X, weights) -> np.ndarray:
    """The inputs X ``(N, n_0)``, with as many columns as the first kernel has rows."""
    X = validation.float_array("X", X, "(N, n_0)")
    if X.shape[1] != weights[0].shape[0]:
        raise ValueError(f"X must have shape (N, {weights[0].shape[0]}) to match weights[0], "
                         f"got {X.shape}")
    return X


def init_network(layer_sizes, initializer, rng: np.random.Generator,
                 distribution: str = "truncated_normal"):
    """Kernels W(l) ``(n_{l-1}, n_l)`` and zero biases b(l) ``(n_l,)`` for ``layer_sizes``.

    ``layer_sizes`` is [n_0, n_1, ..., n_L] (n_0 inputs, n_L outputs).
    ``initializer`` is a rule of :data:`RULES`, drawn with ``distribution``
    (see :func:`variance_scaling`), or a positive number s for the "naive"
    N(0, s^2) whatever the fans. Returns ``(weights, biases)``, two lists of
    L arrays.
    """
    sizes = validation.positive_ints("layer_sizes", layer_sizes)
    if len(sizes) < 2:
        raise ValueError(f"layer_sizes must hold at least two sizes (inputs and outputs), "
                         f"got {list(sizes)!r}")
    validation.generator("rng", rng)
    if isinstance(initializer, str):
        validation.choice("initializer", initializer, RULES)
        validation.choice("distribution", distribution, DISTRIBUTIONS)

        def draw(shape):
            return variance_scaling(rng, shape, initializer, distribution)
    elif isinstance(initializer, Real) and not isinstance(initializer, bool):
        std = validation.positive("std", initializer)

        def draw(shape):
            return rng.normal(0.0, std, shape)
    else:
        raise TypeError(f"initializer must be one of {RULES} or a positive std, "
                        f"got {type(initializer).__name__}")
    weights = [draw((a, b)) for a, b in zip(sizes[:-1], sizes[1:], strict=True)]
    return weights, [np.zeros(W.shape[1]) for W in weights]


def forward(weights, biases, X, activation: str = "tanh") -> tuple[np.ndarray, Cache]:
    """The forward pass z(l) = a(l-1) W(l) + b(l), a(0) = X, through L layers.

    The hidden layers l = 1 .. L-1 apply the activation g named
    ``activation``, a(l) = g(z(l)); the output layer is linear, a(L) = z(L),
    as in a regression network. ``X`` is ``(N, n_0)``; returns a(L)
    ``(N, n_L)`` and the cache.
    """
    weights, biases = _check_layers(weights, biases)
    g, _ = activations.get(validation.choice("activation", activation, tuple(activations.ACTIVATIONS)))
    a = _check_inputs(X, weights)
    inputs, zs = [], []
    for l, (W, b) in enumerate(zip(weights, biases, strict=True)):
        inputs.append(a)
        zs.append(a @ W + b)
        a = zs[-1] if l == len(weights) - 1 else g(zs[-1])
    return a, Cache(tuple(inputs), tuple(weights), tuple(zs), activation)


def backward(dout, cache: Cache) -> Gradients:
    """Every gradient, from the upstream dJ/da(L) ``dout`` ``(N, n_L)`` and the cache.

    From the top down: delta(L) = dout (the output is linear), and for the
    hidden layers delta(l) = dJ/dz(l) = (delta(l+1) W(l+1)^T) * g'(z(l)).
    Then dJ/dW(l) = a(l-1)^T delta(l), dJ/db(l) = the sum of delta(l) over the
    batch, and dJ/dX = delta(1) W(1)^T.
    """
    if not isinstance(cache, Cache):
        raise TypeError(f"cache must be the Cache that forward() returned, got "
                        f"{type(cache).__name__}")
    dout = validation.float_array("dout", dout, "(N, n_L)")
    if dout.shape != cache.z[-1].shape:
        raise ValueError(f"dout must have the shape of the network's output {cache.z[-1].shape}, "
                         f"got {dout.shape}")
    _, g_prime = activations.get(cache.activation)
    n_layers = len(cache.weights)
    dW, db = [np.empty(0)] * n_layers, [np.empty(0)] * n_layers
    delta = dout
    for l in reversed(range(n_layers)):
        dW[l] = cache.inputs[l].T @ delta
        db[l] = delta.sum(axis=0)
        upstream = delta @ cache.weights[l].T
        if l > 0:
            delta = upstream * g_prime(cache.z[l - 1])
    return Gradients(dW, db, upstream)


def mse(output, Y) -> tuple[float, np.ndarray]:
    """J = mean((a(L) - Y)^2) over all N n_L entries, as Keras' MSE; returns (J, dJ/da(L))."""
    output = validation.float_array("output", output, "(N, n_L)")
    Y = validation.float_array("Y", Y, "(N, n_L)")
    if Y.shape != output.shape:
        raise ValueError(f"Y must have the shape of the network's output {output.shape}, "
                         f"got {Y.shape}")
    residual = output - Y
    return float(np.mean(residual**2)), 2.0 * residual / residual.size


def loss_and_gradients(weights, biases, X, Y, activation: str = "tanh"
                       ) -> tuple[float, Gradients, Cache]:
    """J = mean((a(L) - Y)^2) for the network on (X, Y), its :class:`Gradients`, and the cache.

    :func:`forward`, :func:`mse`, then :func:`backward`: the function to
    gradient-check against finite differences or automatic differentiation.
    """
    output, cache = forward(weights, biases, X, activation)
    loss, dout = mse(output, Y)
    return loss, backward(dout, cache), cache


def layer_statistics(cache: Cache, gradients: Gradients | None = None) -> LayerStats:
    """The :class:`LayerStats` of the hidden layers, from a forward cache (and its gradients)."""
    if not isinstance(cache, Cache):
        raise TypeError(f"cache must be the Cache that forward() returned, got "
                        f"{type(cache).__name__}")
    if gradients is not None and (not isinstance(gradients, Gradients)
                                  or len(gradients.weights) != len(cache.weights)):
        raise ValueError("gradients must be the Gradients that backward() returned for this "
                         "cache")
    g, g_prime = activations.get(cache.activation)
    z = cache.z[:-1]
    a = cache.inputs[1:]  # a(l) = g(z(l)) for l = 1 .. L-1
    threshold = SATURATED_SLOPE * _PEAK_SLOPE[cache.activation]
    norms = ([float(np.linalg.norm(dW)) for dW in gradients.weights[:-1]] if gradients
             else [np.nan] * len(z))
    return LayerStats(
        mean=np.array([float(x.mean()) for x in a]),
        std=np.array([float(x.std()) for x in a]),
        zero_fraction=np.array([float(np.mean(x == 0)) for x in a]),
        dead_fraction=np.array([float(np.mean(np.all(x == 0, axis=0))) for x in a]),
        saturated_fraction=np.array([float(np.mean(np.abs(g_prime(x)) < threshold)) for x in z]),
        grad_norm=np.array(norms, dtype=np.float64),
    )


def probe(depth: int, width: int, activation: str, initializer, rng: np.random.Generator,
          n_samples: int = 256, distribution: str = "truncated_normal",
          input_mean: float = 0.0, input_std: float = 1.0) -> LayerStats:
    """Layer statistics of a freshly initialized deep network, on one batch.

    The network has ``depth`` hidden layers of ``width`` units with the
    activation ``activation`` and a linear output layer of ``width`` units,
    initialized by :func:`init_network` (``initializer``: a rule or a fixed
    std). It gets ``n_samples`` inputs X ~ N(input_mean, input_std^2)
    ``(n_samples, width)`` and standard-normal targets Y; returns the
    :class:`LayerStats` of its forward and backward pass on the MSE.
    """
    depth, width = validation.integer("depth", depth, 1), validation.integer("width", width, 1)
    n_samples = validation.integer("n_samples", n_samples, 2)
    validation.generator("rng", rng)
    input_mean = validation.number("input_mean", input_mean)
    input_std = validation.positive("input_std", input_std)
    weights, biases = init_network([width] * (depth + 2), initializer, rng, distribution)
    X = rng.normal(input_mean, input_std, (n_samples, width))
    Y = rng.normal(0.0, 1.0, (n_samples, width))
    _, gradients, cache = loss_and_gradients(weights, biases, X, Y, activation)
    return layer_statistics(cache, gradients)


def train(weights, biases, X, Y, activation: str, learning_rate: float, steps: int):
    """Full-batch gradient descent W(l) <- W(l) - eta dJ/dW(l), b(l) <- b(l) - eta dJ/db(l).

    Returns the trained ``(weights, biases)`` (new arrays; the ones passed in
    are not changed) and the :class:`History` of the loss and of the fraction
    of dead hidden units. A run whose loss overflows stops there.
    """
    weights, biases = _check_layers(weights, biases)
    learning_rate = validation.positive("learning_rate", learning_rate)
    steps = validation.integer("steps", steps, 0)
    weights, biases = [W.copy() for W in weights], [b.copy() for b in biases]
    losses, dead = [], []
    with np.errstate(over="ignore", invalid="ignore"):  # divergence is reported, not warned
        for step in range(steps + 1):
            try:
                output, cache = forward(weights, biases, X, activation)
            except ValueError:  # the weights are finite, but z overflowed to NaN: diverged
                break
            if not np.all(np.isfinite(output)):
                break
            loss, dout = mse(output, Y)
            if not math.isfinite(loss):
                break
            losses.append(loss)
            stats = layer_statistics(cache)
            dead.append(float(np.average(stats.dead_fraction,
                                         weights=[W.shape[1] for W in weights[:-1]]))
                        if len(weights) > 1 else 0.0)
            if step == steps:
                break
            gradients = backward(dout, cache)
            for W, b, dW, db in zip(weights, biases, gradients.weights, gradients.biases,
                                    strict=True):
                W -= learning_rate * dW
                b -= learning_rate * db
            if not all(np.all(np.isfinite(W)) for W in weights):
                break
    return (weights, biases), History(np.array(losses), np.array(dead))


def activation_stds(X, weights, activation: str) -> np.ndarray:
    """The standard deviation of a(l) = g(a(l-1) W(l)), a(0) = X, for l = 1 .. L (no biases).

    ``X`` is ``(N, n_0)``, ``weights`` the kernels W(l) ``(n_{l-1}, n_l)``;
    every layer applies g. Returns ``(L,)``: how the forward signal's scale
    grows or shrinks with depth.
    """
    weights = _check_kernels(weights)
    g, _ = activations.get(validation.choice("activation", activation, tuple(activations.ACTIVATIONS)))
    a = _check_inputs(X, weights)
    stds = []
    for W in weights:
        a = g(a @ W)
        stds.append(float(a.std()))
    return np.array(stds)


# ---------------------------------------------------------------------------
# The same deep network in Keras (Keras is imported only when it is built)


def build_deep_mlp(depth: int, width: int, activation: str, kernel_initializer="glorot_uniform",
                   n_inputs: int = 784, n_outputs: int = 10, name: str | None = None):
    """Input(n_inputs) -> ``depth`` x Dense(width, activation) -> Dense(n_outputs): a deep MLP.

    Every Dense layer, the linear output layer included, draws its kernel
    with ``kernel_initializer``: a Keras initializer name (``"he_normal"``,
    ...) or a positive number s for the naive ``RandomNormal(stddev=s)``;
    biases start at zero. The output is the logits (train it with
    ``from_logits=True``). Returns an uncompiled ``keras.Sequential`` with
    (n_inputs + 1) width + (depth - 1)(width + 1) width + (width + 1) n_outputs
    parameters.
    """
    depth, width = validation.integer("depth", depth, 1), validation.integer("width", width, 1)
    n_inputs = validation.integer("n_inputs", n_inputs, 1)
    n_outputs = validation.integer("n_outputs", n_outputs, 1)
    if not isinstance(activation, str):
        raise TypeError(f"activation must be the name of a Keras activation, got "
                        f"{type(activation).__name__}")
    if not activation:
        raise ValueError("activation must be the name of a Keras activation, got ''")
    if isinstance(kernel_initializer, str):
        initializer_config = kernel_initializer
    elif isinstance(kernel_initializer, Real) and not isinstance(kernel_initializer, bool):
        std = validation.positive("std", kernel_initializer)
        initializer_config = {"class_name": "RandomNormal", "config": {"mean": 0.0, "stddev": std}}
    else:
        raise TypeError(f"kernel_initializer must be a Keras initializer name or a positive std, "
                        f"got {type(kernel_initializer).__name__}")
    from dlbook.keras_import import keras

    def initializer():  # a fresh instance per layer, so that layers do not share draws
        return keras.initializers.get(initializer_config)

    layers = [keras.Input(shape=(n_inputs,))]
    layers += [keras.layers.Dense(width, activation=activation, kernel_initializer=initializer(),
                                  name=f"hidden_{l + 1}") for l in range(depth)]
    layers.append(keras.layers.Dense(n_outputs, kernel_initializer=initializer(), name="output"))
    return keras.Sequential(layers, name=name or f"deep_{activation}_{depth}x{width}")
