"""Keras exercises: the trusted verifier, its fixtures, and ``check`` on a Keras builder."""

import sys
from pathlib import Path

import numpy as np
import pytest

from dlbook.grading import check
from dlbook.grading.keras_exercises import (
    layer_problems,
    model_problems,
    moons,
    reference_description,
    training_data,
)
from dlbook.grading.runtime import codec, fixtures, keras_checks
from dlbook.grading.runtime.protocol import Training, VerifyJob
from dlbook.keras_import import keras

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "solutions"))
import ch04_keras  # noqa: E402 (the reference solutions, as a student's notebook has them)


def _as_data(model) -> codec.KerasModelData:
    return codec.decode(codec.encode(model))


@pytest.mark.slow
def test_check_runs_a_keras_builder_in_the_kernel_and_verifies_it_as_data():
    result = check("ch04.build_iris_mlp", ch04_keras.build_iris_mlp, show=False)
    assert result.score == result.max_score == 4

    def build_iris_mlp():
        return keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(3)])

    wrong = check("ch04.build_iris_mlp", build_iris_mlp, show=False)
    problems = {item.name: item.problems for item in wrong.items}
    assert "expected 3 layers after the input" in problems["layers"][0]
    assert problems["parameter count"] == ("expected 739 parameters, received 15",)


def test_the_verifier_describes_a_model_from_its_data():
    data = _as_data(ch04_keras.build_image_classifier())
    student = keras_checks.verify(VerifyJob(data)).result["student"]
    reference = reference_description("dlbook.models:build_image_classifier")
    assert student["class"] == "Functional" and reference["class"] == "Sequential"
    assert student["params"] == reference["params"] == 266_610
    assert student["layers"] == reference["layers"] and student["output_shape"] == [None, 10]
    assert not student["compiled"]


def test_a_configuration_that_does_not_load_fails_its_checks():
    data = codec.KerasModelData('{"module": "keras", "class_name": "Sequential", "config": '
                                '{"layers": 3}}')
    assert "could not be rebuilt" in keras_checks.verify(VerifyJob(data)).failure


def test_a_model_that_cannot_train_reports_why():
    model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(2)])
    x, y = training_data({"data": "images", "n": 8, "seed": 0})  # 28x28 images, 4 inputs
    result = keras_checks.verify(VerifyJob(_as_data(model), train=Training(
        x, y, "sparse_categorical_crossentropy", epochs=1)))
    assert "error" in result.result["training"]
    assert "training" not in keras_checks.verify(VerifyJob(_as_data(model))).result


def test_accuracy_reads_sigmoid_and_softmax_outputs():
    x = np.array([[2.0], [-2.0]], dtype=np.float32)
    sigmoid = keras.Sequential([keras.Input(shape=(1,)), keras.layers.Dense(1, "sigmoid")])
    sigmoid.set_weights([np.ones((1, 1)), np.zeros(1)])
    assert keras_checks.accuracy(sigmoid, x, np.array([1, 0])) == 1.0
    softmax = keras.Sequential([keras.Input(shape=(1,)), keras.layers.Dense(2, "softmax")])
    softmax.set_weights([np.array([[-1.0, 1.0]]), np.zeros(2)])
    assert keras_checks.accuracy(softmax, x, np.array([1, 1])) == 0.5  # predicts 1, then 0


def test_the_data_is_seeded_and_the_fixture_an_uncompiled_model():
    assert np.array_equal(moons(7).x_train, moons(7).x_train)
    assert moons(7).x_train.shape == (300, 2)
    x, y = training_data({"data": "images", "n": 50, "seed": 0})
    assert x.shape == (50, 28, 28) and set(y) <= set(range(10))
    assert training_data({"data": "iris", "seed": 0})[0].shape[1] == 4
    model = fixtures.moons_model(7)
    assert model.count_params() == 2 * 16 + 16 + 16 * 16 + 16 + 16 + 1 and not model.compiled


def test_layer_and_model_problems_are_worded_for_students():
    dense = {"type": "Dense", "units": 3, "activation": "softmax"}
    assert layer_problems([dense], [dense]) == []
    assert layer_problems([dense], [{**dense, "units": 4}]) == [
        "layer 1: expected Dense(3, softmax), received Dense(4, softmax)"]
    assert model_problems(None) == ["expected a keras.Model, received None (is a `return` "
                                    "missing?)"]
    assert model_problems(np.ones(2)) == ["expected a keras.Model, received ndarray"]
