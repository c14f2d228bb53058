"""Transfer learning and fine-tuning (chapter 15), offline.

The idea: the lower layers of a network trained on one task compute features
(edges, strokes, parts) that serve other tasks too. Keep them (the *base*),
put a new output layer (the *head*) on top, train the head with the base
frozen, then unfreeze the base and train everything with a small learning
rate. Here the whole recipe runs without a download: the base is a small CNN
pretrained in the book on the digits 0-4 and transferred to the digits 5-9.

- :data:`IMAGENET_MODELS` and :func:`imagenet_table`: the reference table of
  the Keras applications (size, ImageNet top-1 and top-5 accuracy,
  parameters, depth), copied from the Keras documentation;
- :func:`select_classes` and :func:`few_per_class`: a task of some of the
  classes, relabelled 0..K-1, and a small labelled subset of it;
- :func:`build_cnn_base`, :func:`add_head`, :func:`set_trainable`,
  :func:`count_parameters`: the Keras pieces of the recipe (Keras is
  imported only when they are called);
- :func:`build_mobilenet_transfer`: the same recipe on
  ``keras.applications.MobileNetV2(include_top=False)``, built with
  ``weights=None`` (no download) unless asked otherwise.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from dlbook import validation


class ImageNetModel(NamedTuple):
    """One row of the Keras applications table: an ImageNet classifier.

    ``size_mb`` is the size of the weights file in MB; ``top1`` and ``top5``
    the fraction of the ImageNet validation images whose label is the
    model's first guess or among its first five; ``parameters`` in millions
    (with the classification top); ``depth`` the number of layers with
    parameters (None where the table gives none).
    """

    name: str
    size_mb: int
    top1: float
    top5: float
    parameters: float  # millions
    depth: int | None


#: The table "Available models" of https://keras.io/api/applications/
#: (keras-io, templates/api/applications/index.md), without its timing columns.
IMAGENET_MODELS = (
    ImageNetModel("Xception", 88, 0.790, 0.945, 22.9, 81),
    ImageNetModel("VGG16", 528, 0.713, 0.901, 138.4, 16),
    ImageNetModel("VGG19", 549, 0.713, 0.900, 143.7, 19),
    ImageNetModel("ResNet50", 98, 0.749, 0.921, 25.6, 107),
    ImageNetModel("ResNet50V2", 98, 0.760, 0.930, 25.6, 103),
    ImageNetModel("ResNet101", 171, 0.764, 0.928, 44.7, 209),
    ImageNetModel("ResNet101V2", 171, 0.772, 0.938, 44.7, 205),
    ImageNetModel("ResNet152", 232, 0.766, 0.931, 60.4, 311),
    ImageNetModel("ResNet152V2", 232, 0.780, 0.942, 60.4, 307),
    ImageNetModel("InceptionV3", 92, 0.779, 0.937, 23.9, 189),
    ImageNetModel("InceptionResNetV2", 215, 0.803, 0.953, 55.9, 449),
    ImageNetModel("MobileNet", 16, 0.704, 0.895, 4.3, 55),
    ImageNetModel("MobileNetV2", 14, 0.713, 0.901, 3.5, 105),
    ImageNetModel("DenseNet121", 33, 0.750, 0.923, 8.1, 242),
    ImageNetModel("DenseNet169", 57, 0.762, 0.932, 14.3, 338),
    ImageNetModel("DenseNet201", 80, 0.773, 0.936, 20.2, 402),
    ImageNetModel("NASNetMobile", 23, 0.744, 0.919, 5.3, 389),
    ImageNetModel("NASNetLarge", 343, 0.825, 0.960, 88.9, 533),
    ImageNetModel("EfficientNetB0", 29, 0.771, 0.933, 5.3, 132),
    ImageNetModel("EfficientNetB1", 31, 0.791, 0.944, 7.9, 186),
    ImageNetModel("EfficientNetB2", 36, 0.801, 0.949, 9.2, 186),
    ImageNetModel("EfficientNetB3", 48, 0.816, 0.957, 12.3, 210),
    ImageNetModel("EfficientNetB4", 75, 0.829, 0.964, 19.5, 258),
    ImageNetModel("EfficientNetB5", 118, 0.836, 0.967, 30.6, 312),
    ImageNetModel("EfficientNetB6", 166, 0.840, 0.968, 43.3, 360),
    ImageNetModel("EfficientNetB7", 256, 0.843, 0.970, 66.7, 438),
    ImageNetModel("EfficientNetV2B0", 29, 0.787, 0.943, 7.2, None),
    ImageNetModel("EfficientNetV2B1", 34, 0.798, 0.950, 8.2, None),
    ImageNetModel("EfficientNetV2B2", 42, 0.805, 0.951, 10.2, None),
    ImageNetModel("EfficientNetV2B3", 59, 0.820, 0.958, 14.5, None),
    ImageNetModel("EfficientNetV2S", 88, 0.839, 0.967, 21.6, None),
    ImageNetModel("EfficientNetV2M", 220, 0.853, 0.974, 54.4, None),
    ImageNetModel("EfficientNetV2L", 479, 0.857, 0.975, 119.0, None),
)

TABLE_COLUMNS = ("Size (MB)", "Top-1 accuracy", "Top-5 accuracy", "Parameters (M)", "Depth")


def imagenet_table(sort_by: str | None = None):
    """:data:`IMAGENET_MODELS` as a ``pandas.DataFrame`` indexed by model name.

    Columns: ``TABLE_COLUMNS``; a missing depth is ``<NA>``. ``sort_by`` names
    a column to sort by, descending (``None`` keeps the documentation's order).
    """
    import pandas as pd

    if sort_by is not None:
        validation.choice("sort_by", sort_by, TABLE_COLUMNS)
    table = pd.DataFrame([m[1:] for m in IMAGENET_MODELS], columns=TABLE_COLUMNS,
                         index=pd.Index([m.name for m in IMAGENET_MODELS], name="Model"))
    table["Depth"] = table["Depth"].astype("Int64")
    return table if sort_by is None else table.sort_values(sort_by, ascending=False, kind="stable")


# ---------------------------------------------------------------------------
# Tasks of a labelled dataset


def _check_labels(x, y) -> tuple[np.ndarray, np.ndarray]:
    """Examples ``x`` (N, ...) and their labels ``y`` (N,): one row per label."""
    y = validation.int_array("y", y, "(N,)")
    x = np.asarray(x)
    if x.ndim < 1 or len(x) != len(y):
        raise ValueError(f"x must have one row per label, got x of shape {x.shape} and "
                         f"{len(y)} labels")
    return x, y


def select_classes(x, y, classes) -> tuple[np.ndarray, np.ndarray]:
    """The examples of ``classes`` only, relabelled 0 .. K-1 in the order given.

    ``x`` (N, ...), ``y`` (N,) integer labels; ``classes`` a sequence of K
    distinct labels, e.g. (5, 6, 7, 8, 9) -> new labels (0, 1, 2, 3, 4).
    Returns ``(x_sub, y_sub)``, the rows kept in their original order, y as int64.
    """
    x, y = _check_labels(x, y)
    classes = validation.int_array("classes", classes, "(K,)").tolist()
    if len(set(classes)) != len(classes):
        raise ValueError(f"classes must be distinct, got {classes!r}")
    missing = [c for c in classes if not np.any(y == c)]
    if missing:
        raise ValueError(f"classes {missing} do not occur in y (its labels are {np.unique(y).tolist()})")
    keep = np.isin(y, classes)
    lookup = {int(c): i for i, c in enumerate(classes)}
    return x[keep], np.array([lookup[int(c)] for c in y[keep]], dtype=np.int64)


def few_per_class(x, y, n_per_class: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``n_per_class`` examples of every class of ``y``, drawn without replacement, seeded.

    The few labelled examples of a new task. Returns ``(x_few, y_few)`` with
    K * n_per_class rows, shuffled. Every class must have at least
    ``n_per_class`` examples.
    """
    x, y = _check_labels(x, y)
    n_per_class = validation.integer("n_per_class", n_per_class, 1)
    rng = np.random.default_rng(validation.integer("seed", seed, 0))
    rows = []
    for c in np.unique(y):
        members = np.flatnonzero(y == c)
        if len(members) < n_per_class:
            raise ValueError(f"class {c} has only {len(members)} examples, fewer than "
                             f"n_per_class = {n_per_class}")
        rows.append(rng.choice(members, size=n_per_class, replace=False))
    rows = rng.permutation(np.concatenate(rows))
    return x[rows], y[rows]


# ---------------------------------------------------------------------------
# Keras: base, head, freezing


def build_cnn_base(input_shape=(28, 28), filters=(16, 32), dense_units: int = 64,
                   name: str = "base"):
    """A small CNN feature extractor: image (H, W) or (H, W, C) -> ``dense_units`` features.

    [Reshape(H, W, 1)] -> (Conv2D(f, 3, ReLU, "same") -> MaxPooling2D(2)) for
    each f of ``filters`` -> Flatten -> Dense(dense_units, ReLU). The part of
    a classifier that is kept when it is transferred; :func:`add_head` puts an
    output layer on top. Uncompiled.
    """
    from dlbook.keras_import import keras

    shape = validation.image_shape("input_shape", input_shape)
    filters = validation.positive_ints("filters", filters)
    if min(shape[:2]) < 2 ** len(filters):
        raise ValueError(f"input_shape {shape[:2]} is too small for {len(filters)} poolings by 2")
    if dense_units is not None:
        dense_units = validation.integer("dense_units", dense_units, 1)
    layers = [keras.Input(shape=shape)]
    if len(shape) == 2:
        layers.append(keras.layers.Reshape((*shape, 1), name="add_channel"))
    for i, f in enumerate(filters, 1):
        layers += [keras.layers.Conv2D(f, 3, padding="same", activation="relu", name=f"conv_{i}"),
                   keras.layers.MaxPooling2D(2, name=f"pool_{i}")]
    layers.append(keras.layers.Flatten(name="flatten"))
    if dense_units is not None:
        layers.append(keras.layers.Dense(dense_units, activation="relu", name="features"))
    return keras.Sequential(layers, name=name)


def add_head(base, n_classes: int, dropout: float = 0.0, name: str = "classifier"):
    """A classifier: ``base`` (called with ``training=False``) -> [Dropout] -> Dense(n_classes, softmax).

    Functional model inputs -> base -> head (uncompiled), sharing the base's
    layers and weights: training the classifier trains the base too, unless
    it is frozen (:func:`set_trainable`). ``training=False`` keeps layers such
    as BatchNormalization of the base in inference mode even while the base
    is fine-tuned, the Keras recipe for transfer learning. The head adds
    (features + 1) * n_classes parameters.
    """
    from dlbook.keras_import import keras

    validation.keras_model("base", base)
    n_classes = validation.integer("n_classes", n_classes, 2)
    dropout = validation.number("dropout", dropout, 0, 1, high_open=True)
    if len(base.outputs) != 1 or len(base.output_shape) != 2:
        raise ValueError(f"base must output one feature vector per example (N, F), got "
                         f"{base.output_shape}")
    inputs = keras.Input(shape=base.input_shape[1:], name="image")
    features = base(inputs, training=False)
    if dropout > 0:
        features = keras.layers.Dropout(dropout, name="head_dropout")(features)
    outputs = keras.layers.Dense(n_classes, activation="softmax", name="head")(features)
    return keras.Model(inputs, outputs, name=name)


def set_trainable(base, trainable: bool) -> int:
    """Freeze (``False``) or unfreeze (``True``) every layer of ``base``; returns its trainable count.

    ``base.trainable = trainable`` sets the flag on all its layers. The change
    takes effect at the next ``compile``: compile the model that contains
    ``base`` again before training it.
    """
    validation.keras_model("base", base)
    validation.boolean("trainable", trainable)
    base.trainable = trainable
    return count_parameters(base)[0]


def count_parameters(model) -> tuple[int, int]:
    """``(trainable, non_trainable)``: the numbers of scalar weights of ``model`` in each group.

    A frozen layer's weights are all non-trainable; BatchNormalization's moving
    mean and variance are non-trainable always.
    """
    validation.keras_model("model", model)

    def total(weights):
        return int(sum(int(np.prod(w.shape)) for w in weights))

    return total(model.trainable_weights), total(model.non_trainable_weights)


def build_mobilenet_transfer(n_classes: int, input_shape=(96, 96, 3), weights: str | None = None,
                             dropout: float = 0.2, name: str = "mobilenet_transfer"):
    """The MobileNetV2 transfer recipe: ``(model, base)``, the base frozen (uncompiled).

    inputs (H, W, 3), pixels 0..255 -> Rescaling(1/127.5, offset -1) (MobileNetV2's
    preprocessing, to [-1, 1]) -> base = ``keras.applications.MobileNetV2(
    include_top=False, weights=weights)`` called with ``training=False`` ->
    GlobalAveragePooling2D -> Dropout(dropout) -> Dense(n_classes, softmax).

    ``weights=None`` (the default) builds the architecture with random
    weights and downloads nothing; ``"imagenet"`` downloads the pretrained
    weights (14 MB, needs the internet). The base starts frozen
    (``base.trainable = False``): train the head, then
    ``set_trainable(base, True)``, compile again with a learning rate about
    ten times smaller and train on.
    """
    from dlbook.keras_import import keras

    n_classes = validation.integer("n_classes", n_classes, 2)
    shape = validation.shape("input_shape", input_shape, 3)
    if shape[2] != 3 or min(shape[:2]) < 32:
        raise ValueError(f"input_shape must be (H, W, 3) with H, W >= 32, got {input_shape!r}")
    if weights is not None:
        validation.choice("weights", weights, ("imagenet",))
    dropout = validation.number("dropout", dropout, 0, 1, high_open=True)
    base = keras.applications.MobileNetV2(input_shape=shape, include_top=False, weights=weights)
    base.trainable = False
    inputs = keras.Input(shape=shape, name="image")
    x = keras.layers.Rescaling(1 / 127.5, offset=-1, name="preprocess")(inputs)
    x = base(x, training=False)
    x = keras.layers.GlobalAveragePooling2D(name="pool")(x)
    if dropout > 0:
        x = keras.layers.Dropout(dropout, name="head_dropout")(x)
    outputs = keras.layers.Dense(n_classes, activation="softmax", name="head")(x)
    return keras.Model(inputs, outputs, name=name), base
