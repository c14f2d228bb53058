"""Chapter 4, neural networks with Keras: two model builders and a compile-and-fit function.

Stubs in ``exercises/ch04_keras.py``; reference architectures from
:mod:`dlbook.models`. These exercises run in Keras workers (Keras limits).
"""

from __future__ import annotations

from dlbook.grading.keras_exercises import KerasBuilderExercise, KerasFitExercise, moons
from dlbook.grading.registry import Call, register
from dlbook.grading.runtime.codec import Fixture

PAGE = "04_keras"
FIT_SEED = 7
FIT_THRESHOLD = 0.9


def _no_arguments() -> list[Call]:
    return [Call((), label="the model")]


register(KerasBuilderExercise(
    id="ch04.build_iris_mlp", function="build_iris_mlp", title="the iris classifier 4-32-16-3",
    section=f"{PAGE}#a-classifier-and-a-regressor-for-tabular-data",
    hint="keras.Sequential([keras.Input(shape=(4,)), Dense(32, relu), Dense(16, relu), "
         "Dense(3, softmax)]): (4+1)32 + (32+1)16 + (16+1)3 = 739 parameters; do not compile it",
    make_calls=_no_arguments, reference="dlbook.models:build_iris_mlp",
    train={"data": "iris", "loss": "sparse_categorical_crossentropy", "epochs": 20,
           "learning_rate": 0.01, "seed": 0}))

register(KerasBuilderExercise(
    id="ch04.build_image_classifier", function="build_image_classifier",
    title="the 784-300-100-10 image classifier, functional API",
    section=f"{PAGE}#the-same-model-in-the-functional-api",
    hint="inputs = keras.Input(shape=(28, 28)); x = Flatten()(inputs); then Dense(300, relu), "
         "Dense(100, relu), Dense(10, softmax); keras.Model(inputs, outputs): 266,610 parameters",
    make_calls=_no_arguments, reference="dlbook.models:build_image_classifier", functional=True,
    train={"data": "images", "n": 64, "loss": "sparse_categorical_crossentropy", "epochs": 10,
           "learning_rate": 0.001, "seed": 0}))


def _fit_calls() -> list[Call]:
    split = moons(FIT_SEED)
    data = [getattr(split, part) for part in ("x_train", "y_train", "x_val", "y_val")]
    return [Call((Fixture("moons_model", {"seed": FIT_SEED}), *data),
                 label="a 2-16-16-1 network on 300 noisy moons")]


register(KerasFitExercise(
    id="ch04.compile_and_fit", function="compile_and_fit",
    title=f"compile and fit to {FIT_THRESHOLD:.0%} accuracy",
    section=f"{PAGE}#compile-fit-evaluate-predict",
    hint="model.compile(optimizer=keras.optimizers.Adam(0.01), loss='binary_crossentropy', "
         "metrics=['accuracy']); model.fit(x_train, y_train, epochs=30, "
         "validation_data=(x_val, y_val), verbose=0); return model",
    make_calls=_fit_calls, arg_names=("model", "x_train", "y_train", "x_val", "y_val"),
    threshold=FIT_THRESHOLD, seed=FIT_SEED))
