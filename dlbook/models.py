"""Keras model builders for the networks of chapters 1 and 4.

Every builder returns an *uncompiled* ``keras.Model`` unless it says
otherwise, so that a chapter can show the compile step. The named networks of
chapter 4 are :func:`build_mlp` with the chapter's layer sizes.
"""

from __future__ import annotations

from collections.abc import Sequence

from dlbook import validation
from dlbook.keras_import import keras

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
    shape = validation.shape("input_shape", input_shape)
    hidden = validation.positive_ints("hidden", hidden, allow_empty=True)
    n_outputs = validation.integer("n_outputs", n_outputs, 1)
    api = validation.choice("api", api, APIS)

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
    n_hidden = validation.integer("n_hidden", n_hidden, minimum=0)
    n_neurons = validation.integer("n_neurons", n_neurons, minimum=1)
    learning_rate = validation.positive("learning_rate", learning_rate)
    n_classes = validation.integer("n_classes", n_classes, minimum=2)
    optimizer = validation.choice("optimizer", optimizer, OPTIMIZERS)
    optimizers = {"sgd": keras.optimizers.SGD, "adam": keras.optimizers.Adam}

    model = build_mlp(input_shape, [n_neurons] * n_hidden, n_classes,
                      output_activation="softmax", name="classifier")
    model.compile(optimizer=optimizers[optimizer](learning_rate=learning_rate),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


