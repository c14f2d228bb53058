"""Keras model builders for the networks of chapters 1 and 4.

Every builder returns an *uncompiled* ``keras.Model`` unless it says
otherwise, so that a chapter can show the compile step.
"""

from __future__ import annotations

from collections.abc import Sequence

from dlbook.config import quiet_tensorflow

quiet_tensorflow()
import keras  # noqa: E402

APIS = ("sequential", "functional")


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
