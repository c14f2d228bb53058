"""Keras answers that are each wrong in one visible way."""

import keras


def build_iris_mlp():
    """The second hidden layer uses sigmoid instead of relu: only the layer check fails."""
    return keras.Sequential([
        keras.Input(shape=(4,)),
        keras.layers.Dense(32, activation="relu"),
        keras.layers.Dense(16, activation="sigmoid"),
        keras.layers.Dense(3, activation="softmax"),
    ])


def build_image_classifier():
    """The right layers, but Sequential where the functional API was asked for."""
    return keras.Sequential([
        keras.Input(shape=(28, 28)),
        keras.layers.Flatten(),
        keras.layers.Dense(300, activation="relu"),
        keras.layers.Dense(100, activation="relu"),
        keras.layers.Dense(10, activation="softmax"),
    ])


def compile_and_fit(model, x_train, y_train, x_val, y_val):
    """Compiled, never fitted."""
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    return model
