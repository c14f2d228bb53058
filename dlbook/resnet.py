"""Residual networks (chapter 11): the residual unit, a small ResNet and its plain twin.

The NumPy layer, float64 throughout, writes out one residual block of dense
layers and its gradients:

- :func:`residual_forward` and :func:`residual_backward`: the block
  :math:`\\mathbf{y} = \\mathrm{ReLU}(\\mathbf{x} + F(\\mathbf{x}))` with
  :math:`F(\\mathbf{x}) = \\mathrm{ReLU}(\\mathbf{x} W_1) W_2`, rows of
  ``x`` being examples;
- :func:`needs_projection`, :func:`unit_output_shape` and
  :func:`unit_parameter_count`: whether a convolutional ``ResidualUnit``
  needs a projection skip, what it does to a shape and how many parameters
  it holds, by formula;
- :func:`network_depth`: the weight layers of :func:`build_resnet`'s
  network on its longest path.

The Keras layer (imported only when used, so ``import dlbook.resnet`` does
not start TensorFlow):

- ``ResidualUnit``, a ``keras.layers.Layer``: main path Conv-BN-ReLU-Conv-BN,
  an identity skip when the shapes match and a projection skip (1x1
  convolution with the unit's stride, then BN) when they do not; output
  ReLU(main + skip). ``skip=False`` drops the skip and leaves the plain
  two-layer block. The class is created, and registered with Keras as
  ``dlbook>ResidualUnit``, the first time it is looked up (``from
  dlbook.resnet import ResidualUnit``) or a builder runs; do that before
  ``keras.saving.load_model`` reads a model that contains it;
- :func:`build_resnet`: stem convolution, stages of residual units,
  global average pooling and a softmax layer; ``skip=False`` gives the plain
  network of the same depth and width;
- :func:`layer_gradient_norms`: the norm of the loss gradient for every
  convolution kernel of a model, in order of depth.

Notation: :math:`N` examples, :math:`D` features, :math:`H` hidden units of
the block; :math:`C` input channels, :math:`F` filters, :math:`k` the kernel
size, :math:`s` the stride (He et al., 2016).
"""

from __future__ import annotations

from collections.abc import Sequence
from numbers import Integral
from typing import NamedTuple

import numpy as np

from dlbook import lazy, validation

KERAS_NAMES = ("ResidualUnit",)
BN_PARAMETERS_PER_CHANNEL = 4  # gamma, beta, moving mean, moving variance (count_params counts all)


class ResidualCache(NamedTuple):
    """What :func:`residual_backward` needs from :func:`residual_forward`.

    ``x`` the input (N, D); ``W1`` (D, H) and ``W2`` (H, D); ``z1 = x W1`` and
    ``a1 = ReLU(z1)`` (N, H); ``z = x + a1 W2`` (N, D), the sum before the
    output ReLU.
    """

    x: np.ndarray
    W1: np.ndarray
    W2: np.ndarray
    z1: np.ndarray
    a1: np.ndarray
    z: np.ndarray


# ---------------------------------------------------------------------------
# Argument checks


def _check_matrix(name: str, value) -> np.ndarray:
    if not isinstance(value, np.ndarray):
        raise TypeError(f"{name} must be a NumPy array, got {type(value).__name__}")
    if value.ndim != 2:
        raise ValueError(f"{name} must be 2-D, got shape {value.shape}")
    if not np.issubdtype(value.dtype, np.number) or np.issubdtype(value.dtype, np.complexfloating):
        raise TypeError(f"{name} must hold real numbers, got dtype {value.dtype}")
    return value.astype(np.float64)


def _check_block(x, W1, W2) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    x, W1, W2 = _check_matrix("x", x), _check_matrix("W1", W1), _check_matrix("W2", W2)
    d = x.shape[1]
    if W1.shape[0] != d:
        raise ValueError(f"W1 must have shape (D, H) = ({d}, H) for x of shape {x.shape}, "
                         f"got {W1.shape}")
    if W2.shape != (W1.shape[1], d):
        raise ValueError(f"W2 must have shape (H, D) = ({W1.shape[1]}, {d}) to add F(x) to x, "
                         f"got {W2.shape}")
    return x, W1, W2


# ---------------------------------------------------------------------------
# NumPy: one residual block of dense layers


def residual_forward(x, W1, W2) -> tuple[np.ndarray, ResidualCache]:
    """A residual block of two dense layers: the skip adds the input to their output.

    .. math:: \\mathbf{y} = \\mathrm{ReLU}(\\mathbf{x} + F(\\mathbf{x})), \\qquad
              F(\\mathbf{x}) = \\mathrm{ReLU}(\\mathbf{x} W_1)\\, W_2

    x (N, D), W1 (D, H), W2 (H, D); no biases. Returns ``y`` (N, D) and the
    :class:`ResidualCache` for :func:`residual_backward`. With ``W2 = 0`` the
    block is ReLU(x): the identity on non-negative inputs.
    """
    x, W1, W2 = _check_block(x, W1, W2)
    z1 = x @ W1
    a1 = np.maximum(z1, 0.0)
    z = x + a1 @ W2
    return np.maximum(z, 0.0), ResidualCache(x, W1, W2, z1, a1, z)


def residual_backward(dout, cache: ResidualCache) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of the residual block: the skip passes ``dz`` to ``x`` unchanged.

    .. math:: \\boldsymbol{\\delta} = \\frac{\\partial L}{\\partial \\mathbf{y}} \\odot
              \\mathbb{1}[\\mathbf{z} > 0], \\quad
              \\frac{\\partial L}{\\partial W_2} = \\mathbf{a}_1^\\top \\boldsymbol{\\delta}, \\quad
              \\boldsymbol{\\delta}_1 = \\boldsymbol{\\delta} W_2^\\top \\odot
              \\mathbb{1}[\\mathbf{z}_1 > 0],

    .. math:: \\frac{\\partial L}{\\partial W_1} = \\mathbf{x}^\\top \\boldsymbol{\\delta}_1,
              \\qquad \\frac{\\partial L}{\\partial \\mathbf{x}} = \\boldsymbol{\\delta} +
              \\boldsymbol{\\delta}_1 W_1^\\top

    dout (N, D) is dL/dy; ``cache`` is what :func:`residual_forward`
    returned. Returns ``(dx, dW1, dW2)`` shaped like x (N, D), W1 (D, H) and
    W2 (H, D). The first term of dx is the skip: the gradient reaches x even
    when the weights make the second term vanish.
    """
    if not isinstance(cache, tuple) or len(cache) != len(ResidualCache._fields):
        raise TypeError(f"cache must be the ResidualCache that residual_forward returned "
                        f"(a tuple of {len(ResidualCache._fields)} arrays), got "
                        f"{type(cache).__name__}")
    x, W1, W2, z1, a1, z = (np.asarray(part, dtype=np.float64) for part in cache)
    dout = _check_matrix("dout", dout)
    if dout.shape != z.shape:
        raise ValueError(f"dout must have the shape of the block's output {z.shape}, "
                         f"got {dout.shape}")
    delta = dout * (z > 0)
    dW2 = a1.T @ delta
    delta1 = (delta @ W2.T) * (z1 > 0)
    dW1 = x.T @ delta1
    dx = delta + delta1 @ W1.T
    return dx, dW1, dW2


# ---------------------------------------------------------------------------
# NumPy: shapes and parameter counts of the convolutional unit


def needs_projection(in_channels: int, filters: int, strides: int) -> bool:
    """Whether the skip of a unit must be a projection: the stride or the depth changes.

    The identity skip x can only be added to F(x) when both have the same
    shape, i.e. when s = 1 and C = F.
    """
    in_channels = validation.integer("in_channels", in_channels, 1)
    filters = validation.integer("filters", filters, 1)
    strides = validation.integer("strides", strides, 1)
    return strides != 1 or in_channels != filters


def unit_output_shape(input_shape: Sequence[int], filters: int, strides: int = 1) -> tuple:
    """The shape ``(H', W', F)`` of one example after a residual unit.

    .. math:: H' = \\lceil H / s \\rceil, \\qquad W' = \\lceil W / s \\rceil

    (``"same"`` padding: only the first convolution and the projection have
    the stride s). ``input_shape`` is ``(H, W, C)``, one example without the
    batch axis.
    """
    shape = validation.shape("input_shape", input_shape, 3)
    filters = validation.integer("filters", filters, 1)
    strides = validation.integer("strides", strides, 1)
    return (-(-shape[0] // strides), -(-shape[1] // strides), filters)


def unit_parameter_count(in_channels: int, filters: int, strides: int = 1,
                         kernel_size: int = 3, skip: bool = True) -> int:
    """The parameters of a :class:`ResidualUnit`, as Keras' ``count_params`` counts them.

    .. math:: P = k^2 C F + 4F + k^2 F F + 4F \\;[+\\; C F + 4F \\text{ with a projection}]

    The convolutions have no bias (the batch normalization after each has a
    shift); each batch normalization holds 4 numbers per channel (gamma and
    beta, trained, and the moving mean and variance, not trained). The
    projection is there when ``skip`` is True and :func:`needs_projection`.
    """
    in_channels = validation.integer("in_channels", in_channels, 1)
    filters = validation.integer("filters", filters, 1)
    strides = validation.integer("strides", strides, 1)
    kernel_size = validation.integer("kernel_size", kernel_size, 1)
    validation.boolean("skip", skip)
    bn = BN_PARAMETERS_PER_CHANNEL * filters
    count = kernel_size**2 * in_channels * filters + bn + kernel_size**2 * filters * filters + bn
    if skip and needs_projection(in_channels, filters, strides):
        count += in_channels * filters + bn
    return count


# ---------------------------------------------------------------------------
# Keras: the residual unit


def _define_keras_classes() -> dict:
    """Define and register ``ResidualUnit`` (lazy.KerasClasses calls this once)."""
    keras = lazy.keras()

    @keras.saving.register_keras_serializable(package="dlbook")
    class ResidualUnit(keras.layers.Layer):
        """A residual unit: ReLU(main(x) + skip(x)) (He et al., 2016).

        main: Conv(F, k, stride s) -> BN -> ReLU -> Conv(F, k) -> BN;
        skip: the identity when the input already has the output's shape
        (s = 1 and C = F), else a projection Conv(F, 1x1, stride s) -> BN.
        ``skip=False`` leaves ReLU(main(x)): two plain layers, the building
        block of the plain network of the same depth. ``zero_gamma=True``
        starts the last BN's scale at 0, so a unit with an identity skip
        starts as ReLU(x), the identity on the non-negative output of a
        previous unit (Goyal et al., 2017). Convolutions have ``"same"``
        padding, no bias and He-normal initial weights. Input
        ``(N, H, W, C)``, output ``(N, ceil(H/s), ceil(W/s), F)``.
        """

        def __init__(self, filters, strides=1, kernel_size=3, skip=True, zero_gamma=False,
                     **kwargs):
            super().__init__(**kwargs)
            self.filters = validation.integer("filters", filters, 1)
            self.strides = validation.integer("strides", strides, 1)
            self.kernel_size = validation.integer("kernel_size", kernel_size, 1)
            self.skip = validation.boolean("skip", skip)
            self.zero_gamma = validation.boolean("zero_gamma", zero_gamma)
            self.conv1 = self._conv(self.kernel_size, self.strides, "conv1")
            self.bn1 = keras.layers.BatchNormalization(name="bn1")
            self.conv2 = self._conv(self.kernel_size, 1, "conv2")
            self.bn2 = keras.layers.BatchNormalization(
                gamma_initializer="zeros" if self.zero_gamma else "ones", name="bn2")
            self.projection = None
            self.projection_bn = None

        def _conv(self, kernel_size, strides, name):
            return keras.layers.Conv2D(self.filters, kernel_size, strides=strides, padding="same",
                                       use_bias=False, kernel_initializer="he_normal", name=name)

        def build(self, input_shape):
            if len(input_shape) != 4:
                raise ValueError(f"ResidualUnit needs inputs of shape (N, H, W, C), got "
                                 f"{tuple(input_shape)}")
            in_channels = input_shape[-1]
            self.conv1.build(input_shape)
            middle = self.conv1.compute_output_shape(input_shape)
            self.bn1.build(middle)
            self.conv2.build(middle)
            self.bn2.build(middle)
            if self.skip and needs_projection(int(in_channels), self.filters, self.strides):
                self.projection = self._conv(1, self.strides, "projection")
                self.projection_bn = keras.layers.BatchNormalization(name="projection_bn")
                self.projection.build(input_shape)
                self.projection_bn.build(middle)

        @property
        def has_projection(self) -> bool:
            """Whether the skip is a 1x1 convolution (known once the unit is built)."""
            return self.projection is not None

        def call(self, inputs, training=None):
            z = self.conv1(inputs)
            z = keras.ops.relu(self.bn1(z, training=training))
            z = self.bn2(self.conv2(z), training=training)
            if not self.skip:
                return keras.ops.relu(z)
            shortcut = inputs
            if self.projection is not None:
                shortcut = self.projection_bn(self.projection(inputs), training=training)
            return keras.ops.relu(z + shortcut)

        def compute_output_shape(self, input_shape):
            return self.conv1.compute_output_shape(input_shape)

        def get_config(self):
            config = super().get_config()
            config.update({"filters": self.filters, "strides": self.strides,
                           "kernel_size": self.kernel_size, "skip": self.skip,
                           "zero_gamma": self.zero_gamma})
            return config

    layers = {"ResidualUnit": ResidualUnit}
    return layers


_keras_classes = lazy.KerasClasses(__name__, KERAS_NAMES, _define_keras_classes)
__getattr__, __dir__ = _keras_classes.module_getattr, _keras_classes.module_dir


# ---------------------------------------------------------------------------
# Keras: a small ResNet and its plain twin


def _check_stages(stages) -> tuple[tuple[int, int], ...]:
    message = ("stages must be a non-empty sequence of (filters, units) pairs of positive ints, "
               f"got {stages!r}")
    if isinstance(stages, (str, bytes)) or not isinstance(stages, Sequence) or not stages:
        raise ValueError(message)
    checked = []
    for stage in stages:
        if (isinstance(stage, (str, bytes)) or not isinstance(stage, Sequence) or len(stage) != 2
                or any(isinstance(v, bool) or not isinstance(v, Integral) or v < 1 for v in stage)):
            raise ValueError(message)
        checked.append((int(stage[0]), int(stage[1])))
    return tuple(checked)


def build_resnet(input_shape: Sequence[int], n_classes: int,
                 stages: Sequence[Sequence[int]] = ((16, 3), (32, 3), (64, 3)),
                 stem_filters: int | None = None, skip: bool = True, zero_gamma: bool = False,
                 name: str | None = None):
    """A small ResNet (``skip=True``) or the plain network of the same depth and width.

    stem: Conv(F_1, 3x3) -> BN -> ReLU; then for each stage ``(F, units)``
    ``units`` :class:`ResidualUnit` s of F filters, the first of every stage
    after the first with stride 2 (halving the height and width while the
    filters grow); then GlobalAveragePooling -> Dense(n_classes, softmax).
    ``stem_filters`` defaults to the first stage's filters. Depth in weight
    layers: 1 + 2 sum(units) + 1 (the default is ResNet-20 of He et al.'s
    CIFAR-10 experiments). ``skip=False`` builds the same layers without the
    skips (and so without projections): the plain network. ``input_shape``
    is ``(H, W, C)`` (a grey image ``(H, W)`` gets a channel axis). Returns an
    uncompiled ``keras.Model``; output ``(N, n_classes)`` probabilities.
    """
    keras = lazy.keras()
    rank = len(input_shape) if isinstance(input_shape, Sequence) and len(input_shape) == 2 else 3
    shape = validation.shape("input_shape", input_shape, rank)
    n_classes = validation.integer("n_classes", n_classes, 2)
    stages = _check_stages(stages)
    stem_filters = stages[0][0] if stem_filters is None else validation.integer("stem_filters",
                                                                         stem_filters, 1)
    validation.boolean("skip", skip)
    validation.boolean("zero_gamma", zero_gamma)
    unit_class = _keras_classes["ResidualUnit"]

    inputs = keras.Input(shape=shape, name="image")
    x = keras.layers.Reshape((*shape, 1), name="add_channel")(inputs) if len(shape) == 2 else inputs
    x = keras.layers.Conv2D(stem_filters, 3, padding="same", use_bias=False,
                            kernel_initializer="he_normal", name="stem_conv")(x)
    x = keras.layers.BatchNormalization(name="stem_bn")(x)
    x = keras.layers.Activation("relu", name="stem_relu")(x)
    for s, (filters, units) in enumerate(stages, start=1):
        for u in range(1, units + 1):
            strides = 2 if s > 1 and u == 1 else 1
            x = unit_class(filters, strides=strides, skip=skip, zero_gamma=zero_gamma,
                           name=f"stage{s}_unit{u}")(x)
    x = keras.layers.GlobalAveragePooling2D(name="pool")(x)
    outputs = keras.layers.Dense(n_classes, activation="softmax", name="output")(x)
    default = f"{'resnet' if skip else 'plain'}_{network_depth(stages)}"
    return keras.Model(inputs, outputs, name=name or default)


def network_depth(stages: Sequence[Sequence[int]]) -> int:
    """Weight layers on the longest path of :func:`build_resnet`: 1 + 2 sum(units) + 1."""
    return 2 + 2 * sum(units for _, units in _check_stages(stages))


# ---------------------------------------------------------------------------
# Keras: gradient norms per layer


def layer_gradient_norms(model, x, y) -> dict[str, float]:
    """||dL/dW|| for every convolution kernel of ``model``, in order of depth.

    L is the mean sparse categorical cross-entropy of the model's
    probabilities on the batch ``(x, y)``, computed in training mode (batch
    statistics in the BN layers), as in the first step of training. Keys are
    the kernels' paths (``"stage2_unit1/conv1/kernel"``); the stem comes first
    and the projections are left out (they are not on the plain path).
    Computed with :func:`dlbook.backend.autodiff_gradient`, so any backend.
    """
    keras = lazy.keras()
    from dlbook import backend

    if not isinstance(model, keras.Model):
        raise TypeError(f"model must be a keras.Model, got {type(model).__name__}")
    if not isinstance(x, np.ndarray) or not isinstance(y, np.ndarray):
        raise TypeError(f"x and y must be NumPy arrays, got {type(x).__name__} and "
                        f"{type(y).__name__}")
    if len(x) != len(y) or len(x) == 0:
        raise ValueError(f"x and y must hold the same positive number of examples, got "
                         f"{len(x)} and {len(y)}")
    trainable = list(model.trainable_variables)
    non_trainable = [v.value for v in model.non_trainable_variables]
    kernels = [i for i, v in enumerate(trainable)
               if v.path.endswith("kernel") and len(v.shape) == 4 and "projection" not in v.path]
    dtypes = [v.dtype for v in trainable]
    inputs = keras.ops.convert_to_tensor(x)
    targets = keras.ops.convert_to_tensor(y)

    def loss(params):
        weights = [keras.ops.cast(p, dtype) for p, dtype in zip(params, dtypes, strict=True)]
        probabilities, _ = model.stateless_call(weights, non_trainable, inputs, training=True)
        return keras.ops.cast(keras.ops.mean(keras.losses.sparse_categorical_crossentropy(
            targets, probabilities)), "float64")

    gradients = backend.autodiff_gradient(loss, [v.numpy() for v in trainable])
    return {trainable[i].path: float(np.linalg.norm(gradients[i])) for i in kernels}
