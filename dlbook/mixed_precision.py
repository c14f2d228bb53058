"""Mixed precision for :func:`dlbook.training.fit`: compute in bfloat16, keep float32 where it counts.

A GPU multiplies bfloat16 matrices many times faster than float32 ones, and
bfloat16 keeps float32's 8-bit exponent (so no loss scaling is needed, unlike
float16); only the mantissa shrinks, from 23 bits to 7. Keras'
``mixed_bfloat16`` dtype policy uses that: a layer under it keeps its
weights in float32 (the *master weights* the optimizer updates) and casts
them, and its inputs, to bfloat16 for the forward and backward pass. The loss
is computed in float32 whatever the layers do.

:func:`fit` switches a compiled model's layers to that policy for the duration
of one call and back afterwards, so ``evaluate`` and ``predict`` after it see
the model as it was built. The layers that produce the model's outputs stay in
float32, as Keras' mixed-precision guide advises: a softmax in bfloat16 rounds
probabilities near 1 to exactly 1. So do LSTM layers (bare or in a
``Bidirectional``): on a GPU, Keras under JAX runs them through cuDNN's fused
LSTM, which takes float32 only.
"""

from __future__ import annotations

import os
from contextlib import contextmanager

from dlbook import backend, validation

#: The environment variable that sets ``precision`` when ``fit`` is not given one.
PRECISION_ENV = "DLBOOK_PRECISION"
FLOAT32 = "float32"
MIXED_BFLOAT16 = "mixed_bfloat16"
CHOICES = ("auto", FLOAT32, MIXED_BFLOAT16)


def resolve(precision: str | None, model=None) -> str:
    """The precision one ``fit`` call of ``model`` trains in: ``"float32"`` or ``"mixed_bfloat16"``.

    ``precision`` is ``"auto"``, ``"float32"`` or ``"mixed_bfloat16"``; ``None``
    reads ``DLBOOK_PRECISION`` (unset: ``"auto"``). ``"auto"`` is
    ``"mixed_bfloat16"`` on an accelerator with fast bfloat16 arithmetic (an
    NVIDIA GPU from Ampere on, a TPU) for a model whose weights are float32,
    and ``"float32"`` everywhere else, the CPU included. ``"float32"`` trains
    the model in the dtypes it was built with.
    """
    if precision is None:
        precision = validation.choice(PRECISION_ENV, os.environ.get(PRECISION_ENV, "auto").strip().lower(),
                                      CHOICES)
    validation.choice("precision", precision, CHOICES)
    if precision == "auto":
        float32_model = model is None or {w.dtype for w in model.weights} <= {"float32"}
        return MIXED_BFLOAT16 if float32_model and backend.fast_bfloat16() else FLOAT32
    return precision


@contextmanager
def training_in(model, precision: str):
    """``model``'s inner layers under ``precision``'s dtype policy inside the ``with`` block.

    ``"float32"`` changes nothing. ``"mixed_bfloat16"`` needs float32 weights
    (a float64 model is refused: its point is the precision bfloat16 lacks).
    Keras' compiled train and test functions were traced for the other
    dtypes: the caller drops them on the way in and out.
    """
    if precision == FLOAT32:
        yield
        return
    weights = {w.dtype for w in model.weights}
    if weights - {"float32"}:
        raise ValueError(f"precision='{MIXED_BFLOAT16}' needs a model with float32 weights, got "
                         f"{sorted(weights)}")
    layers = _bfloat16_layers(model)
    policies = [layer.dtype_policy for layer in layers]
    for layer in layers:
        layer.dtype_policy = MIXED_BFLOAT16
    try:
        yield
    finally:
        for layer, policy in zip(layers, policies, strict=True):
            layer.dtype_policy = policy


def _bfloat16_layers(model) -> list:
    """The layers inside ``model`` (nested ones too) that compute in bfloat16: all but those that
    produce its outputs and the LSTMs with their cells."""
    outputs = {id(t._keras_history.operation) for t in getattr(model, "outputs", None) or []}
    kept = outputs | _lstm_layers(model)
    return [layer for layer in model._flatten_layers(include_self=False, recursive=True)
            if id(layer) not in kept]


def _lstm_layers(model) -> set[int]:
    """The ids of ``model``'s LSTM layers, of the ``Bidirectional`` layers around them, and of their cells."""
    from dlbook.keras_import import keras

    kept = set()
    for layer in model._flatten_layers(include_self=False, recursive=True):
        wrapped = layer.forward_layer if isinstance(layer, keras.layers.Bidirectional) else layer
        if isinstance(wrapped, keras.layers.LSTM):
            kept |= {id(inner) for inner in layer._flatten_layers(include_self=True, recursive=True)}
    return kept
