"""Chapter 4, neural networks with Keras: coding exercises.

Use ``keras`` (not ``dlbook.models``, which holds the answers). Check in a
notebook with ``check("ch04.build_iris_mlp", build_iris_mlp)`` (``from
dlbook.grading import check``) or the file with ``dlbook grade
exercises/ch04_keras.py``. The grader rebuilds your model from its
configuration, so use built-in layers and activation names.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import keras  # noqa: E402, F401


def build_iris_mlp():
    """ch04.build_iris_mlp: the iris classifier, Sequential API, not compiled.

    Input (N, 4) -> Dense(32, relu) -> Dense(16, relu) -> Dense(3, softmax)
    Parameters: (4 + 1) 32 + (32 + 1) 16 + (16 + 1) 3 = 739.

    Checked: layer types, units and activations; output shape (None, 3);
    parameter count; 20 epochs of Adam on iris must lower the loss by 10 %.
    Book: chapter 4, "A classifier and a regressor for tabular data".
    """
    raise NotImplementedError


def build_image_classifier():
    """ch04.build_image_classifier: the image classifier, functional API, not compiled.

    Input (N, 28, 28) -> Flatten -> Dense(300, relu) -> Dense(100, relu) -> Dense(10, softmax)
    Parameters: 235,500 + 30,100 + 1,010 = 266,610. Build it as
    keras.Model(inputs, outputs).

    Checked: built with the functional API; layers; output shape (None, 10);
    parameter count; a short training run lowers the loss.
    Book: chapter 4, "The same model in the functional API".
    """
    raise NotImplementedError


def compile_and_fit(model, x_train, y_train, x_val, y_val):
    """ch04.compile_and_fit: compile a model and fit it to 90 % accuracy.

    model: an uncompiled 2 -> 16 -> 16 -> 1 network with a sigmoid output;
    x_train (300, 2), y_train (300,) 0/1 labels of the two-moons data;
    x_val, y_val: 100 more for validation. Compile it (an optimizer, the
    binary cross-entropy, the accuracy metric), fit it, return the model.

    Checked: the model is compiled; accuracy >= 90 % on the training data and
    on held-out data you never see; all within the 90 s time limit.
    Book: chapter 4, "Compile, fit, evaluate, predict".
    """
    raise NotImplementedError
