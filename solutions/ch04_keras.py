"""Chapter 4, neural networks with Keras: reference solutions to the coding exercises.

Check with ``dlbook grade solutions/ch04_keras.py`` (about a minute on two cores).
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import keras  # noqa: E402


def build_iris_mlp():
    """4 -> Dense(32, relu) -> Dense(16, relu) -> Dense(3, softmax), uncompiled: 739 parameters."""
    return keras.Sequential([
        keras.Input(shape=(4,)),
        keras.layers.Dense(32, activation="relu"),
        keras.layers.Dense(16, activation="relu"),
        keras.layers.Dense(3, activation="softmax"),
    ])


def build_image_classifier():
    """Flatten(28x28) -> Dense(300, relu) -> Dense(100, relu) -> Dense(10, softmax), functional."""
    inputs = keras.Input(shape=(28, 28))
    x = keras.layers.Flatten()(inputs)
    x = keras.layers.Dense(300, activation="relu")(x)
    x = keras.layers.Dense(100, activation="relu")(x)
    outputs = keras.layers.Dense(10, activation="softmax")(x)
    return keras.Model(inputs, outputs)


def compile_and_fit(model, x_train, y_train, x_val, y_val):
    """Compile with Adam and binary cross-entropy, fit for 30 epochs, return the fitted model."""
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="binary_crossentropy",
                  metrics=["accuracy"])
    model.fit(x_train, y_train, epochs=30, batch_size=32, validation_data=(x_val, y_val),
              verbose=0)
    return model
