"""Keras convolutional networks of chapter 10, and tools to look inside them.

The builders return *uncompiled* ``keras.Model`` s, so that a chapter (or a
benchmark) can show the compile step: :func:`build_mnist_cnn`, the
high-accuracy MNIST network, and :func:`build_small_cnn`, the notes' network
for 128x128 colour images. :func:`keras_conv2d` and :func:`keras_pool` run
Keras' own layers in float64 on given weights, the references of the NumPy
functions in :mod:`dlbook.convolution`. :func:`feature_maps`,
:func:`class_scores` and :func:`saliency_map` look inside a trained network.
Only ``keras`` and ``keras.ops`` are used (the gradient goes through
:func:`dlbook.backend.autodiff_gradient`), so everything runs on TensorFlow,
JAX and PyTorch.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from dlbook import backend, validation
from dlbook.convolution import POOLS
from dlbook.keras_import import keras

MNIST_SHAPE = (28, 28, 1)
SMALL_CNN_SHAPE = (128, 128, 3)  # the colour images of the notes' five-class example
SMALL_CNN_FILTERS = (4, 4)  # the notes' two convolutions


def build_mnist_cnn(input_shape: Sequence[int] = MNIST_SHAPE, n_classes: int = 10) -> keras.Model:
    """The high-accuracy MNIST CNN of chapter 10 (uncompiled).

    Conv2D(32, 3x3, same, ReLU) -> Conv2D(64, 3x3, same, ReLU) -> MaxPool(2x2)
    -> Flatten -> Dropout(0.25) -> Dense(128, ReLU) -> Dropout(0.5) -> Dense(n_classes, softmax),
    He-normal initialisation. Input ``(N, 28, 28, 1)``, output ``(N, n_classes)`` probabilities.
    """
    shape = validation.shape("input_shape", input_shape, 3)
    n_classes = validation.integer("n_classes", n_classes, 2)
    return keras.Sequential(
        [
            keras.Input(shape=shape),
            keras.layers.Conv2D(32, 3, padding="same", activation="relu",
                                kernel_initializer="he_normal", name="conv1"),
            keras.layers.Conv2D(64, 3, padding="same", activation="relu",
                                kernel_initializer="he_normal", name="conv2"),
            keras.layers.MaxPool2D(name="pool"),
            keras.layers.Flatten(name="flatten"),
            keras.layers.Dropout(0.25, name="dropout1"),
            keras.layers.Dense(128, activation="relu", kernel_initializer="he_normal", name="dense"),
            keras.layers.Dropout(0.5, name="dropout2"),
            keras.layers.Dense(n_classes, activation="softmax", name="output"),
        ],
        name="mnist_cnn",
    )


def build_small_cnn(input_shape: Sequence[int] = SMALL_CNN_SHAPE, n_classes: int = 5,
                    filters: Sequence[int] = SMALL_CNN_FILTERS) -> keras.Model:
    """The small CNN of the lecture notes for 128x128 colour images in five classes (uncompiled).

    Two conv-pool blocks, the first with "valid" padding and the second with "same":
    Conv2D(4, 3x3, valid, ReLU) -> MaxPool(2x2) -> Conv2D(4, 3x3, same, ReLU) -> MaxPool(2x2)
    -> Flatten -> Dense(64, ReLU) -> Dense(n_classes, softmax), exactly as the notes write it.
    Input ``(N, 128, 128, 3)``: 126x126x4 after the first convolution, 63x63x4
    after pooling, 63x63x4, then 31x31x4; output ``(N, n_classes)`` probabilities.
    ``filters`` sets the two convolutions' filter counts; ``(32, 64)`` is the
    wider variant chapter 10 compares it with.
    """
    shape = validation.shape("input_shape", input_shape, 3)
    n_classes = validation.integer("n_classes", n_classes, 2)
    first, second = validation.shape("filters", filters, 2)
    return keras.Sequential(
        [
            keras.Input(shape=shape),
            keras.layers.Conv2D(first, 3, padding="valid", activation="relu", name="conv1"),
            keras.layers.MaxPool2D(name="pool1"),
            keras.layers.Conv2D(second, 3, padding="same", activation="relu", name="conv2"),
            keras.layers.MaxPool2D(name="pool2"),
            keras.layers.Flatten(name="flatten"),
            keras.layers.Dense(64, activation="relu", name="dense"),
            keras.layers.Dense(n_classes, activation="softmax", name="output"),
        ],
        name="small_cnn",
    )


# ---------------------------------------------------------------------------
# The Keras layers the NumPy functions of dlbook.convolution are checked against


def keras_conv2d(x, w, b, stride=1, padding: str = "valid") -> np.ndarray:
    """Keras' ``Conv2D`` in float64 with kernel ``w`` (kh, kw, C, F) and bias ``b`` (F,), applied to x.

    ``x`` is (N, H, W, C); returns (N, Ho, Wo, F) as a NumPy array: the
    counterpart of :func:`dlbook.convolution.conv2d_forward`.
    """
    x = validation.float_array("x", x, "(N, H, W, C)")
    w = validation.float_array("w", w, "(kh, kw, C, F)")
    b = validation.float_array("b", b, "(F,)")
    backend.enable_float64()
    layer = keras.layers.Conv2D(w.shape[3], w.shape[:2], strides=stride, padding=padding,
                                dtype="float64")
    layer.build(x.shape)
    layer.set_weights([w, b])
    return keras.ops.convert_to_numpy(layer(x))


def keras_pool(kind: str, x, pool_size=2, stride=None, padding: str = "valid") -> np.ndarray:
    """Keras' ``MaxPooling2D`` (``kind="max"``) or ``AveragePooling2D`` (``"average"``) in float64.

    ``x`` is (N, H, W, C); ``stride`` None means ``pool_size``, as in Keras.
    Returns (N, Ho, Wo, C) as a NumPy array.
    """
    pooling = {"max": keras.layers.MaxPooling2D,
               "average": keras.layers.AveragePooling2D}[validation.choice("kind", kind, POOLS)]
    x = validation.float_array("x", x, "(N, H, W, C)")
    backend.enable_float64()
    layer = pooling(pool_size=pool_size, strides=stride, padding=padding, dtype="float64")
    return keras.ops.convert_to_numpy(layer(x))


# ---------------------------------------------------------------------------
# Looking inside a trained network


def feature_maps(model: keras.Model, images, layer: str) -> np.ndarray:
    """The output of the layer named ``layer`` for ``images`` (N, H, W, C), in inference mode.

    For a convolutional layer, (N, Ho, Wo, F): one feature map per filter.
    """
    validation.keras_model("model", model)
    names = [item.name for item in model.layers]
    if layer not in names:
        raise ValueError(f"layer must be the name of a layer of the model, one of {names}, got {layer!r}")
    images = _check_images(model, images)
    probe = keras.Model(inputs=model.inputs[0], outputs=model.get_layer(layer).output)
    return np.asarray(keras.ops.convert_to_numpy(probe(images, training=False)), dtype=np.float64)


def class_scores(model: keras.Model, images) -> np.ndarray:
    """The class scores (logits) z, before the final softmax: (N, K) for images (N, H, W, C).

    The model must end in a Dense layer; its softmax(z) is the model's output.
    """
    validation.keras_model("model", model)
    return np.asarray(keras.ops.convert_to_numpy(_logits(model, _check_images(model, images))),
                      dtype=np.float64)


def saliency_map(model: keras.Model, images, class_index=None) -> np.ndarray:
    """The gradient saliency map of Simonyan et al. (2014): how much each pixel moves the class score.

    S[n, h, w] = max_c | d z_k(x_n) / d x_n[h, w, c] |

    with z_k the score (logit, before the softmax) of class k for image n: the
    model's predicted class, or ``class_index`` (an int, or one per image).
    The gradient is taken by the active Keras backend
    (:func:`dlbook.backend.autodiff_gradient`). ``images`` (N, H, W, C);
    returns S (N, H, W), float64.
    """
    validation.keras_model("model", model)
    images = _check_images(model, images)
    n_classes = int(model.output_shape[-1])
    target = (class_scores(model, images).argmax(axis=1) if class_index is None
              else _check_class_index(class_index, len(images), n_classes))
    onehot = keras.ops.convert_to_tensor(np.eye(n_classes, dtype="float32")[target])

    def score(params):  # the sum over images of each one's class score: its gradient is per image
        return keras.ops.sum(_logits(model, params[0]) * onehot)

    (gradient,) = backend.autodiff_gradient(score, [images.astype(np.float64)])
    return np.abs(gradient).max(axis=-1)


def _logits(model: keras.Model, images):
    """z = W^T a + b of the final Dense layer, a the output of the layer before it."""
    if len(model.layers) < 2:
        raise ValueError(f"model must have at least two layers to give class scores, got {len(model.layers)}")
    last = model.layers[-1]
    if not isinstance(last, keras.layers.Dense):
        raise ValueError(f"model must end in a Dense layer to give class scores, got "
                         f"{type(last).__name__} {last.name!r}")
    body = keras.Model(inputs=model.inputs[0], outputs=model.layers[-2].output)
    features = keras.ops.cast(body(images, training=False), last.kernel.dtype)
    return keras.ops.matmul(features, last.kernel) + last.bias


def _check_images(model: keras.Model, images) -> np.ndarray:
    """``images`` as float32, which must have the shape the model takes."""
    images = validation.float_array("images", images).astype(np.float32)
    expected = tuple(model.input_shape[1:])
    if images.shape[1:] != expected:
        raise ValueError(f"images must have shape (N, {', '.join(map(str, expected))}) for this model, "
                         f"got {images.shape}")
    return images


def _check_class_index(class_index, n_images: int, n_classes: int) -> np.ndarray:
    """``class_index`` (an int, or one per image) as an int array of ``n_images`` classes."""
    target = np.asarray(class_index)
    if not np.issubdtype(target.dtype, np.integer):
        raise TypeError(f"class_index must be an int (or one per image), got {class_index!r}")
    if target.ndim > 1 or target.size not in (1, n_images) or np.any((target < 0) | (target >= n_classes)):
        raise ValueError(f"class_index must be an int (or one per image) in [0, {n_classes}), "
                         f"got {class_index!r}")
    return np.broadcast_to(target, (n_images,))
