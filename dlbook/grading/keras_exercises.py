"""Exercises whose answer is a Keras model: a builder, and a compile-and-fit function.

The student's function runs in a Keras worker and its model comes back as
data; a trusted verifier (:mod:`dlbook.grading.runtime.keras_checks`), in a
sandbox of its own, measures it on data the grader sends; the checks here
compare those measurements in the grading process. The reference
architecture is described here, in the grader, from :mod:`dlbook.models`.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np

from dlbook.grading.registry import Call, Check, Exercise, Outcome, Services, resolve
from dlbook.grading.runtime import keras_checks
from dlbook.grading.runtime.codec import KerasModelData
from dlbook.grading.runtime.limits import KERAS_LIMITS, Limits
from dlbook.grading.runtime.protocol import Training, VerifyJob

MIN_LOSS_DROP = 0.10  # a short training run must lower the loss by at least 10 %


def moons(seed: int):
    """The two-moons split the compile-and-fit exercise trains and is tested on."""
    from dlbook import data

    return data.load_moons(n_samples=500, noise=0.2, seed=seed)


def training_data(spec: dict) -> tuple[np.ndarray, np.ndarray]:
    """``(x, y)`` for a builder's short training run: iris, or random 28x28 images."""
    if spec["data"] == "iris":
        from dlbook import data

        split = data.load_iris(seed=spec["seed"])
        return split.x_train, split.y_train
    rng = np.random.default_rng(spec["seed"])
    n = spec.get("n", 64)
    return rng.random((n, 28, 28), dtype=np.float32), rng.integers(0, 10, n)


@functools.cache
def reference_description(reference: str) -> dict:
    """:func:`keras_checks.describe` of the model the reference builder makes (in the grader;
    the builder's module brings Keras in through :mod:`dlbook.keras_import`)."""
    return keras_checks.describe(resolve(reference)())


def model_problems(value) -> list[str]:
    """Why ``value`` is not a model that can be verified (empty if it is)."""
    if not isinstance(value, KerasModelData):
        kind = "None (is a `return` missing?)" if value is None else type(value).__name__
        return [f"expected a keras.Model, received {kind}"]
    return keras_checks.validate_config(value.config)


def layer_summary(layer: dict) -> str:
    """``"Dense(16, relu)"``, ``"Flatten"``."""
    details = [str(layer[key]) for key in ("units", "activation") if layer.get(key) is not None]
    return f"{layer['type']}({', '.join(details)})" if details else layer["type"]


def layer_problems(expected: list[dict], received: list[dict]) -> list[str]:
    """The first difference between two layer lists, in words."""
    want = [layer_summary(layer) for layer in expected]
    got = [layer_summary(layer) for layer in received]
    if len(want) != len(got):
        return [f"expected {len(want)} layers after the input ({' -> '.join(want)}), received "
                f"{len(got)} ({' -> '.join(got) or 'none'})"]
    for number, (w, g) in enumerate(zip(want, got, strict=True), start=1):
        if w != g:
            return [f"layer {number}: expected {w}, received {g}"]
    return []


@dataclass
class KerasExercise(Exercise):
    """Shared plumbing: one call, several checks, one verification."""

    limits: Limits = KERAS_LIMITS
    needs_keras: bool = True

    def verify_job(self, model: KerasModelData) -> VerifyJob:
        raise NotImplementedError

    def measured(self, call: Call, outcome: Outcome, services: Services) -> dict | list[str]:
        """The verifier's measurements of the returned model, or the problems that prevent them."""
        problems = model_problems(outcome.value)
        if problems:
            return problems
        result = services.verify(self.verify_job(outcome.value), self.limits)
        return [result] if isinstance(result, str) else self.with_reference(result)

    def with_reference(self, measured: dict) -> dict:
        return measured

    def judge(self, call: Call, outcome: Outcome, services: Services) -> list[Check]:
        measured = self.measured(call, outcome, services)
        if isinstance(measured, list):
            return [Check(check.name, tuple(measured), check.hidden)
                    for check in self.planned_checks(call)]
        return [Check(check.name, tuple(self.problems(check.name, measured)), check.hidden)
                for check in self.planned_checks(call)]

    def problems(self, check: str, measured: dict) -> list[str]:
        raise NotImplementedError


@dataclass
class KerasBuilderExercise(KerasExercise):
    """A model builder: layer types, output shape, parameter count, and a training run.

    The expected architecture is the one the ``reference`` builder in
    :mod:`dlbook.models` produces. ``train`` says what the short training
    run is: its data (``"data"``: ``"iris"`` or ``"images"``, ``"n"`` of them)
    and the other fields of :class:`~dlbook.grading.runtime.protocol.Training`
    (``{"data": "iris", "loss": ..., "epochs": ..., "seed": ...}``).
    """

    reference: str = ""
    train: dict = field(default_factory=dict)
    functional: bool = False

    def planned_checks(self, call: Call) -> list[Check]:
        names = ["functional API"] if self.functional else []
        return [Check(name) for name in
                names + ["layers", "output shape", "parameter count", "training run"]]

    def verify_job(self, model: KerasModelData) -> VerifyJob:
        x, y = training_data(self.train)
        settings = {key: value for key, value in self.train.items() if key not in ("data", "n")}
        return VerifyJob(model, train=Training(x, y, **settings))

    def with_reference(self, measured: dict) -> dict:
        return {**measured, "reference": reference_description(self.reference)}

    def problems(self, check: str, measured: dict) -> list[str]:
        student, reference = measured["student"], measured["reference"]
        if check == "functional API":
            return [] if student["class"] == "Functional" else [
                f"expected a functional model (keras.Model(inputs, outputs)), received a "
                f"{student['class']}"]
        if check == "layers":
            return layer_problems(reference["layers"], student["layers"])
        if check == "output shape":
            return [] if student["output_shape"] == reference["output_shape"] else [
                f"expected output shape {tuple(reference['output_shape'])}, received "
                f"{tuple(student['output_shape'])}"]
        if check == "parameter count":
            return [] if student["params"] == reference["params"] else [
                f"expected {reference['params']:,} parameters, received {student['params']:,}"]
        return self.training_problems(measured.get("training", {}))

    def training_problems(self, training: dict) -> list[str]:
        what = (f"{self.train['epochs']} epochs of Adam on the {self.train['data']} training data "
                f"must lower the loss by at least {MIN_LOSS_DROP:.0%}")
        if "error" in training:
            return [f"{what}, but training failed: {training['error']}"]
        before, after = training["before"], training["after"]
        if not (after == after and after <= (1 - MIN_LOSS_DROP) * before):
            return [f"{what}: it went from {before:.4g} to {after:.4g}"]
        return []


@dataclass
class KerasFitExercise(KerasExercise):
    """A compile-and-fit function: the model it returns must reach ``threshold`` accuracy.

    Accuracy is measured by the verifier on the training split the student
    was given and on a held-out test split the student never saw (hidden).
    """

    threshold: float = 0.9
    seed: int = 0

    def planned_checks(self, call: Call) -> list[Check]:
        return [Check("compiled with a loss"),
                Check(f"training accuracy >= {self.threshold:.0%}"),
                Check(f"held-out accuracy >= {self.threshold:.0%}", hidden=True)]

    def verify_job(self, model: KerasModelData) -> VerifyJob:
        split = moons(self.seed)
        return VerifyJob(model, accuracy={part: (getattr(split, f"x_{part}"),
                                                 getattr(split, f"y_{part}"))
                                          for part in ("train", "test")})

    def problems(self, check: str, measured: dict) -> list[str]:
        if check.startswith("compiled"):
            return [] if measured["student"]["compiled"] else [
                "the returned model is not compiled: call model.compile(optimizer=..., "
                "loss=..., metrics=[...]) before fitting it"]
        part = "train" if check.startswith("training") else "test"
        value = measured["accuracy"][part]
        return [] if value >= self.threshold else [
            f"accuracy {value:.1%} on the {part} split, below the required {self.threshold:.0%}"]
