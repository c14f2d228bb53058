"""Residual networks in Keras (chapter 11): the residual unit, a small ResNet and its plain twin.

- :class:`ResidualUnit`, a ``keras.layers.Layer``: main path
  Conv-BN-ReLU-Conv-BN, an identity skip when the shapes match and a
  projection skip (1x1 convolution with the unit's stride, then BN) when they
  do not; output ReLU(main + skip). ``skip=False`` drops the skip and leaves
  the plain two-layer block. It is registered with Keras as
  ``dlbook>ResidualUnit`` when this module is imported: import it before
  ``keras.saving.load_model`` reads a model that contains it;
- :func:`build_resnet`: stem convolution, stages of residual units, global
  average pooling and a softmax layer; ``skip=False`` gives the plain network
  of the same depth and width;
- :func:`layer_gradient_norms`: the norm of the loss gradient for every
  convolution kernel of a model, in order of depth.

The maths (the dense residual block, a unit's output shape and parameter
count, the depth of the network) is :mod:`dlbook.resnet`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from dlbook import backend, validation
from dlbook.keras_import import keras
from dlbook.resnet import needs_projection, network_depth


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

    def __init__(self, filters, strides=1, kernel_size=3, skip=True, zero_gamma=False, **kwargs):
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
        self.conv1.build(input_shape)
        middle = self.conv1.compute_output_shape(input_shape)
        self.bn1.build(middle)
        self.conv2.build(middle)
        self.bn2.build(middle)
        if self.skip and needs_projection(int(input_shape[-1]), self.filters, self.strides):
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
    layers: 1 + 2 sum(units) + 1 (:func:`dlbook.resnet.network_depth`; the
    default is ResNet-20 of He et al.'s CIFAR-10 experiments). ``skip=False``
    builds the same layers without the skips (and so without projections):
    the plain network. ``input_shape`` is ``(H, W, C)`` (a grey image
    ``(H, W)`` gets a channel axis). Returns an uncompiled ``keras.Model``;
    output ``(N, n_classes)`` probabilities.
    """
    shape = validation.image_shape("input_shape", input_shape)
    n_classes = validation.integer("n_classes", n_classes, 2)
    depth = network_depth(stages)
    stem_filters = stages[0][0] if stem_filters is None else validation.integer("stem_filters",
                                                                         stem_filters, 1)
    validation.boolean("skip", skip)
    validation.boolean("zero_gamma", zero_gamma)

    inputs = keras.Input(shape=shape, name="image")
    x = keras.layers.Reshape((*shape, 1), name="add_channel")(inputs) if len(shape) == 2 else inputs
    x = keras.layers.Conv2D(stem_filters, 3, padding="same", use_bias=False,
                            kernel_initializer="he_normal", name="stem_conv")(x)
    x = keras.layers.BatchNormalization(name="stem_bn")(x)
    x = keras.layers.Activation("relu", name="stem_relu")(x)
    for s, (filters, units) in enumerate(stages, start=1):
        for u in range(1, units + 1):
            strides = 2 if s > 1 and u == 1 else 1
            x = ResidualUnit(filters, strides=strides, skip=skip, zero_gamma=zero_gamma,
                             name=f"stage{s}_unit{u}")(x)
    x = keras.layers.GlobalAveragePooling2D(name="pool")(x)
    outputs = keras.layers.Dense(n_classes, activation="softmax", name="output")(x)
    return keras.Model(inputs, outputs, name=name or f"{'resnet' if skip else 'plain'}_{depth}")


def layer_gradient_norms(model, x, y) -> dict[str, float]:
    """||dL/dW|| for every convolution kernel of ``model``, in order of depth.

    L is the mean sparse categorical cross-entropy of the model's
    probabilities on the batch ``(x, y)``, computed in training mode (batch
    statistics in the BN layers), as in the first step of training. Keys are
    the kernels' paths (``"stage2_unit1/conv1/kernel"``); the stem comes first
    and the projections are left out (they are not on the plain path).
    Computed with :func:`dlbook.backend.autodiff_gradient`, so any backend.
    """
    validation.keras_model("model", model)
    x = validation.float_array("x", x)
    y = validation.class_labels("y", y, model.output_shape[-1])
    if len(x) != len(y):
        raise ValueError(f"x and y must hold the same number of examples, got {len(x)} and {len(y)}")
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
