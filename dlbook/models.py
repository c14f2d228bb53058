"""Keras model builders for the networks of chapters 1 and 4.

Every builder returns an *uncompiled* ``keras.Model`` unless it says
otherwise, so that a chapter can show the compile step. The named networks of
chapter 4 are :func:`build_mlp` with the chapter's layer sizes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from dlbook import validation
from dlbook.config import quiet_tensorflow

quiet_tensorflow()
import keras  # noqa: E402

APIS = ("sequential", "functional")
OPTIMIZERS = ("sgd", "adam")
IMAGE_SHAPE = (28, 28)  # one MNIST image
N_IMAGE_CLASSES = 10


def build_mlp(
    input_shape: int | Sequence[int],
    hidden: Sequence[int],
    n_outputs: int,
    hidden_activation: str = "relu",
    output_activation: str | None = "sigmoid",
    api: str = "sequential",
    name: str | None = None,
) -> keras.Model:
    """A multilayer perceptron: [Flatten] -> Dense(hidden[0]) -> ... -> Dense(n_outputs).

    Each Dense layer computes z_k = W_k^T a_{k-1} + b_k, a_k = g(z_k).
    ``input_shape`` is the shape of one example; a multi-dimensional one (an
    image) is flattened first. ``api`` chooses the Sequential or the
    functional form: both give the same layers and parameter count.

    >>> build_mlp(3, [4, 4], 1).count_params()   # the 3-4-4-1 network of chapter 1
    41
    """
    shape = (input_shape,) if isinstance(input_shape, int) else tuple(input_shape)
    if not shape or any(not isinstance(d, int) or isinstance(d, bool) or d < 1 for d in shape):
        raise ValueError(
            f"input_shape must be a positive int or a tuple of them, got {input_shape!r}"
        )
    hidden = list(hidden)
    if any(not isinstance(n, int) or isinstance(n, bool) or n < 1 for n in hidden):
        raise ValueError(f"hidden must be a sequence of positive ints, got {hidden!r}")
    if not isinstance(n_outputs, int) or isinstance(n_outputs, bool) or n_outputs < 1:
        raise ValueError(f"n_outputs must be a positive int, got {n_outputs!r}")
    if api not in APIS:
        raise ValueError(f"api must be one of {APIS}, got {api!r}")

    layers = [keras.layers.Flatten(name="flatten")] if len(shape) > 1 else []
    layers += [
        keras.layers.Dense(units, activation=hidden_activation, name=f"hidden_{i + 1}")
        for i, units in enumerate(hidden)
    ]
    layers.append(keras.layers.Dense(n_outputs, activation=output_activation, name="output"))

    if api == "sequential":
        return keras.Sequential([keras.Input(shape=shape), *layers], name=name)
    inputs = keras.Input(shape=shape, name="input")
    x = inputs
    for layer in layers:
        x = layer(x)
    return keras.Model(inputs=inputs, outputs=x, name=name)


def build_image_classifier(api: str = "sequential", name: str = "image_classifier") -> keras.Model:
    """The image classifier of chapter 4, 784 -> 300 -> 100 -> 10.

    Flatten(28x28) -> Dense(300, relu) -> Dense(100, relu) -> Dense(10, softmax):
    (784 + 1) 300 + (300 + 1) 100 + (100 + 1) 10 = 266,610 parameters.
    Input ``(N, 28, 28)``, output ``(N, 10)`` class probabilities.
    """
    return build_mlp(IMAGE_SHAPE, [300, 100], N_IMAGE_CLASSES, output_activation="softmax",
                     api=api, name=name)


def build_iris_mlp(api: str = "sequential", name: str = "iris_mlp") -> keras.Model:
    """The iris classifier 4 -> 32 -> 16 -> 3: input ``(N, 4)``, output ``(N, 3)`` probabilities."""
    return build_mlp(4, [32, 16], 3, output_activation="softmax", api=api, name=name)


def build_regression_mlp(
    n_features: int,
    hidden: Sequence[int] = (32, 16),
    api: str = "sequential",
    name: str = "regression_mlp",
) -> keras.Model:
    """A regression MLP: ReLU hidden layers, then one linear unit y_hat = w^T a + b.

    Input ``(N, n_features)``, output ``(N, 1)``; train it with the mean squared error.
    """
    return build_mlp(n_features, hidden, 1, output_activation=None, api=api, name=name)


def build_classifier(
    n_hidden: int,
    n_neurons: int,
    learning_rate: float,
    input_shape: int | Sequence[int] = IMAGE_SHAPE,
    n_classes: int = N_IMAGE_CLASSES,
    optimizer: str = "sgd",
) -> keras.Model:
    """A *compiled* classifier with ``n_hidden`` ReLU layers of ``n_neurons`` units each.

    The model-building function of a hyperparameter search: the three tuned
    arguments come first. ``n_hidden=0`` gives softmax regression. The model is
    compiled with ``optimizer`` (``"sgd"`` or ``"adam"``) at ``learning_rate``,
    the sparse categorical cross-entropy and the accuracy metric; it maps
    ``(N, *input_shape)`` to ``(N, n_classes)`` class probabilities.
    """
    validation.integer("n_hidden", n_hidden, minimum=0)
    validation.integer("n_neurons", n_neurons, minimum=1)
    if isinstance(learning_rate, bool) or not isinstance(learning_rate, (int, float)):
        raise TypeError(f"learning_rate must be a float, got {type(learning_rate).__name__}")
    if not (math.isfinite(learning_rate) and learning_rate > 0):
        raise ValueError(f"learning_rate must be a finite positive number, got {learning_rate!r}")
    validation.integer("n_classes", n_classes, minimum=2)
    optimizers = {"sgd": keras.optimizers.SGD, "adam": keras.optimizers.Adam}
    if optimizer not in optimizers:
        raise ValueError(f"optimizer must be one of {OPTIMIZERS}, got {optimizer!r}")

    model = build_mlp(input_shape, [n_neurons] * n_hidden, n_classes,
                      output_activation="softmax", name="classifier")
    model.compile(optimizer=optimizers[optimizer](learning_rate=float(learning_rate)),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


