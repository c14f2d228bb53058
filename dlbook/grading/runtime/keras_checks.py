"""Trusted checks of a Keras model a submission returned as data.

The student's worker sends back ``model.to_json()`` and the weights
(:class:`.codec.KerasModelData`), never the live object. The grader first
checks the JSON here without Keras (:func:`validate_config`: built-in Keras
classes only, no ``Lambda`` layers or serialized Python code); then a
*verifier*, a sandboxed worker that runs only this module on a
:class:`.protocol.VerifyJob`, rebuilds the model (Keras safe mode), describes
it (layers, output shape, parameter count), trains it briefly or measures its
accuracy on data the student never saw (sent by the grader), and returns plain
numbers. It runs under the Keras limits, so a model configured to be enormous
fails its own exercise and nothing else.
"""

from __future__ import annotations

import json

from .codec import KerasModelData
from .protocol import Training, Verified, VerifyJob

MAX_CONFIG_CHARS = 2_000_000
FORBIDDEN_CLASSES = ("__lambda__", "Lambda", "TFSMLayer", "function")


def validate_config(config: str) -> list[str]:
    """Problems that keep a model configuration from being rebuilt safely (none = fine)."""
    if len(config) > MAX_CONFIG_CHARS:
        return [f"the model's configuration is {len(config):,} characters; at most "
                f"{MAX_CONFIG_CHARS:,} are accepted"]
    try:
        tree = json.loads(config)
    except (ValueError, RecursionError) as error:
        return [f"the model's configuration is not valid JSON: {error}"]
    problems: list[str] = []
    _walk(tree, problems, 0)
    return sorted(set(problems))[:5]


def _walk(node, problems: list[str], depth: int) -> None:
    if depth > 200:
        problems.append("the model's configuration is nested too deeply")
        return
    if isinstance(node, dict):
        module, name = node.get("module"), node.get("class_name")
        if isinstance(module, str) and not (module == "keras" or module.startswith("keras.")):
            problems.append(f"the model uses {module}.{name}; build it from keras.layers only")
        if name in FORBIDDEN_CLASSES:
            problems.append(f"the model contains a {name} (custom Python code cannot be graded); "
                            "use built-in layers and activation names")
        children = node.values()
    elif isinstance(node, list):
        children = node
    else:
        return
    for child in children:
        _walk(child, problems, depth + 1)


def rebuild(data: KerasModelData):
    """The model described by ``data``, with its weights."""
    import keras

    model = keras.models.model_from_json(data.config)
    if data.weights:
        model.set_weights(list(data.weights))
    return model


def describe(model) -> dict:
    """Layer types, units and activations, output shape, parameter count, compile state."""
    layers = [layer for layer in model.layers if type(layer).__name__ != "InputLayer"]
    return {
        "class": type(model).__name__,
        "layers": [{"type": type(layer).__name__,
                    "units": layer.get_config().get("units"),
                    "activation": _activation_name(layer.get_config().get("activation"))}
                   for layer in layers],
        "output_shape": list(model.output_shape),
        "params": int(model.count_params()),
        "compiled": bool(getattr(model, "compiled", False) and model.loss is not None),
        "loss": str(model.loss) if getattr(model, "loss", None) is not None else None,
    }


def _activation_name(activation) -> str | None:
    if activation is None or isinstance(activation, str):
        return activation
    return str(activation.get("config", activation)) if isinstance(activation, dict) else str(
        activation)


def training_run(model, spec: Training) -> dict:
    """Loss on ``(spec.x, spec.y)`` before and after ``spec.epochs`` epochs of Adam."""
    import keras

    keras.utils.set_random_seed(spec.seed)
    model.compile(optimizer=keras.optimizers.Adam(spec.learning_rate), loss=spec.loss)
    before = float(model.evaluate(spec.x, spec.y, verbose=0))
    model.fit(spec.x, spec.y, epochs=spec.epochs, batch_size=32, verbose=0)
    return {"before": before, "after": float(model.evaluate(spec.x, spec.y, verbose=0))}


def accuracy(model, x, y) -> float:
    """Fraction of correct predictions (sigmoid output: > 0.5; softmax output: argmax)."""
    import numpy as np

    p = np.asarray(model.predict(x, verbose=0))
    predicted = (p[:, 0] > 0.5).astype(int) if p.shape[-1] == 1 else p.argmax(axis=-1)
    return float(np.mean(predicted == np.asarray(y).reshape(-1)))


def verify(job: VerifyJob) -> Verified:
    """Run the checks ``job`` asks for: the measurements, or why the model could not be rebuilt."""
    try:
        model = rebuild(job.model)
    except Exception as error:  # noqa: BLE001 (any way a configuration can fail to load)
        return Verified(failure=f"your model could not be rebuilt from its configuration: "
                                f"{type(error).__name__}: {str(error)[:500]}")
    result = {"student": describe(model)}
    if job.accuracy:
        result["accuracy"] = {part: accuracy(model, x, y) for part, (x, y) in job.accuracy.items()}
    if job.train:
        try:
            result["training"] = training_run(model, job.train)
        except Exception as error:  # noqa: BLE001 (a model that cannot train fails that check)
            result["training"] = {"error": f"{type(error).__name__}: {str(error)[:300]}"}
    return Verified(result=result)
