"""Generative adversarial networks (chapter 15): the losses, and a GAN that trains with ``fit``.

A generator G maps a noise vector z ~ N(0, I) to a fake example G(z); a
discriminator D maps an example to a logit l, and sigma(l) is its estimate of
the probability that the example is real. Goodfellow et al. (2014) train them
against each other on the value function

    V(D, G) = E_x[log sigma(D(x))] + E_z[log(1 - sigma(D(G(z))))],

D ascending it and G descending it. The NumPy layer, float64 throughout
(logits of shape (M,) or (M, 1)):

- :func:`binary_cross_entropy_with_logits`, the numerically stable
  -t log sigma(l) - (1 - t) log(1 - sigma(l));
- :func:`discriminator_loss`, -V averaged over a batch of real and one of
  fake logits: the cross-entropy of "real = 1, fake = 0";
- :func:`generator_loss` and :func:`generator_loss_gradient`, in two kinds:
  ``"minimax"`` (mean log(1 - sigma(l)), the game as written, whose gradient
  vanishes when D confidently rejects the fakes) and ``"non_saturating"``
  (-mean log sigma(l), the one everybody uses);
- :func:`mean_pairwise_distance` and :func:`label_entropy`, two measures of
  how diverse a batch of samples is (mode collapse drives both down).

The Keras layer (Keras is imported only when it is used):

- :func:`build_generator` and :func:`build_discriminator`, dense networks;
- ``GAN``, a ``keras.Model`` holding both. Its ``compute_loss`` draws the
  noise, computes the discriminator's loss on real and (gradient-stopped)
  fake examples and the generator's non-saturating loss through a
  discriminator whose weights are held fixed (``stateless_call`` with
  gradient-stopped weights), and returns their sum. The gradient of that sum
  is the discriminator's gradient for D's weights and the generator's for
  G's, so one optimizer step of ``fit`` is one simultaneous step of both
  players, on every Keras backend. It is created and registered with Keras as
  ``dlbook>GAN`` the first time it is looked up (``from dlbook.gan import GAN``);
  do that before ``keras.saving.load_model`` reads a saved GAN;
- :func:`train_gan`: ``dlbook.training.fit`` on the real examples, the label
  of every real example being 1;
- :func:`generate`: samples of a generator as a NumPy array (and
  :func:`dlbook.training.predict`: any model's output).
"""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np

from dlbook import lazy, training, validation

KINDS = ("non_saturating", "minimax")
KERAS_CLASSES = ("GAN",)


# ---------------------------------------------------------------------------
# Input checks


def _as_logits(name: str, value) -> np.ndarray:
    """A finite float64 copy of logits shaped (M,) or (M, 1), M >= 1."""
    if isinstance(value, (str, bytes)) or value is None:
        raise TypeError(f"{name} must be a float array of shape (M,) or (M, 1), "
                        f"got {type(value).__name__}")
    array = np.asarray(value)
    if not np.issubdtype(array.dtype, np.number):
        raise TypeError(f"{name} must be a numeric array, got dtype {array.dtype}")
    if not (array.ndim == 1 or (array.ndim == 2 and array.shape[1] == 1)) or array.shape[0] < 1:
        raise ValueError(f"{name} must have shape (M,) or (M, 1) with M >= 1, got shape {array.shape}")
    array = array.astype(np.float64)
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must be finite; found NaN or inf")
    return array


def _check_kind(kind) -> str:
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    return kind


def _check_units(name: str, value) -> list[int]:
    try:
        units = list(value)
    except TypeError:
        raise TypeError(f"{name} must be a sequence of positive ints, "
                        f"got {type(value).__name__}") from None
    if any(isinstance(u, bool) or not isinstance(u, Integral) or u < 1 for u in units):
        raise ValueError(f"{name} must be a sequence of positive ints, got {value!r}")
    return [int(u) for u in units]


# ---------------------------------------------------------------------------
# Losses


def _softplus(z: np.ndarray) -> np.ndarray:
    """log(1 + e^z), without overflow for large z."""
    return np.maximum(z, 0.0) + np.log1p(np.exp(-np.abs(z)))


def _sigmoid(z: np.ndarray) -> np.ndarray:
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def binary_cross_entropy_with_logits(logits, targets) -> np.ndarray:
    """Element-wise cross-entropy of targets t in [0, 1] and probabilities sigma(l), from the logits.

        -t log sigma(l) - (1 - t) log(1 - sigma(l)) = max(l, 0) - t l + log(1 + e^{-|l|})

    The right-hand form never takes the log of 0 or exponentiates a large
    number. ``logits`` and ``targets`` have the same shape; so has the result.
    """
    logits = np.asarray(logits)
    targets = np.asarray(targets)
    for name, value in (("logits", logits), ("targets", targets)):
        if not np.issubdtype(value.dtype, np.number):
            raise TypeError(f"{name} must be a numeric array, got dtype {value.dtype}")
    if targets.shape != logits.shape:
        raise ValueError(f"targets must have the shape of logits {logits.shape}, got {targets.shape}")
    logits, targets = logits.astype(np.float64), targets.astype(np.float64)
    if not (np.all(np.isfinite(logits)) and np.all(np.isfinite(targets))):
        raise ValueError("logits and targets must be finite; found NaN or inf")
    if np.any((targets < 0) | (targets > 1)):
        raise ValueError("targets must lie in [0, 1]")
    return np.maximum(logits, 0.0) - targets * logits + np.log1p(np.exp(-np.abs(logits)))


def discriminator_loss(real_logits, fake_logits) -> float:
    """The discriminator's loss: -(1/m) sum log sigma(l_real) - (1/m') sum log(1 - sigma(l_fake)).

        L_D = -1/m sum_i log sigma(D(x_i)) - 1/m' sum_j log(1 - sigma(D(G(z_j))))

    the binary cross-entropy with label 1 for the m real examples and 0 for
    the m' fakes, each term averaged over its own batch: minus the value
    function V(D, G) estimated on the two batches. ``real_logits`` (m,) or
    (m, 1), ``fake_logits`` (m',) or (m', 1). Its minimum over D, for a fixed
    G, is 2 log 2 ~ 1.386 when D cannot tell the two apart (sigma = 1/2 everywhere).
    """
    real, fake = _as_logits("real_logits", real_logits), _as_logits("fake_logits", fake_logits)
    return float(np.mean(_softplus(-real)) + np.mean(_softplus(fake)))


def generator_loss(fake_logits, kind: str = "non_saturating") -> float:
    """The generator's loss on a batch of the discriminator's logits for fakes, (M,) or (M, 1).

        "minimax":        L_G = 1/M sum_j log(1 - sigma(l_j))    (G descends V itself)
        "non_saturating": L_G = -1/M sum_j log sigma(l_j)        (label the fakes "real")

    Both are minimized by fakes the discriminator takes for real (l large).
    """
    logits = _as_logits("fake_logits", fake_logits)
    if _check_kind(kind) == "minimax":
        return float(-np.mean(_softplus(logits)))  # log(1 - sigma(l)) = -softplus(l)
    return float(np.mean(_softplus(-logits)))  # -log sigma(l) = softplus(-l)


def generator_loss_gradient(fake_logits, kind: str = "non_saturating") -> np.ndarray:
    """dL_G / dl for each logit of :func:`generator_loss`, shaped like ``fake_logits``.

        "minimax":        dL_G/dl_j = -sigma(l_j) / M
        "non_saturating": dL_G/dl_j = -(1 - sigma(l_j)) / M

    Early in training the discriminator rejects the fakes easily, sigma(l) is
    near 0, and the minimax gradient vanishes (saturates) exactly where the
    generator needs it; the non-saturating one is then near its largest, -1/M.
    """
    logits = _as_logits("fake_logits", fake_logits)
    p = _sigmoid(logits)
    return -(p if _check_kind(kind) == "minimax" else 1.0 - p) / logits.shape[0]


# ---------------------------------------------------------------------------
# Diversity


def mean_pairwise_distance(x) -> float:
    """The mean Euclidean distance between the N (N - 1) / 2 pairs of distinct examples of ``x``.

        d_bar = 2 / (N (N - 1)) sum_{i < j} ||x_i - x_j||

    ``x`` is (N, ...) with N >= 2, every axis after the first a feature. A
    generator that has collapsed onto a few outputs has a small d_bar; compare
    it with the d_bar of as many real examples.
    """
    x = np.asarray(x)
    if not np.issubdtype(x.dtype, np.number):
        raise TypeError(f"x must be a numeric array, got dtype {x.dtype}")
    if x.ndim < 2 or x.shape[0] < 2:
        raise ValueError(f"x must have shape (N, ...) with N >= 2 and at least 2 dimensions, "
                         f"got shape {x.shape}")
    flat = x.reshape(len(x), -1).astype(np.float64)
    if not np.all(np.isfinite(flat)):
        raise ValueError("x must be finite; found NaN or inf")
    squared = np.sum(flat**2, axis=1)
    gram = squared[:, None] + squared[None, :] - 2.0 * flat @ flat.T
    upper = np.triu_indices(len(flat), k=1)
    return float(np.mean(np.sqrt(np.maximum(gram[upper], 0.0))))


def label_entropy(labels, n_classes: int) -> float:
    """The entropy, in bits, of the histogram of integer ``labels`` (N,) over ``n_classes`` classes.

        H = -sum_c p_c log2 p_c,    p_c = (number of labels equal to c) / N,  0 log 0 = 0

    0 when every label is the same class, log2(n_classes) when the classes are
    equally frequent. Applied to the classes a classifier assigns to generated
    samples, it measures how many modes (digits) a generator covers.
    """
    n_classes = validation.integer("n_classes", n_classes, 1)
    labels = np.asarray(labels)
    if not np.issubdtype(labels.dtype, np.integer):
        raise TypeError(f"labels must be an integer array, got dtype {labels.dtype}")
    if labels.ndim != 1 or labels.size == 0:
        raise ValueError(f"labels must have shape (N,) with N >= 1, got shape {labels.shape}")
    if labels.min() < 0 or labels.max() >= n_classes:
        raise ValueError(f"labels must lie in 0 .. {n_classes - 1}, got values from {labels.min()} "
                         f"to {labels.max()}")
    p = np.bincount(labels, minlength=n_classes) / labels.size
    p = p[p > 0]
    return float(-np.sum(p * np.log2(p)) + 0.0)  # + 0.0 turns -0.0 into 0.0


# ---------------------------------------------------------------------------
# Keras: builders, the GAN model, training and sampling


def build_generator(latent_dim: int, hidden, output_shape, activation: str = "relu",
                    output_activation: str | None = "sigmoid", name: str = "generator"):
    """A dense generator z (latent_dim,) -> G(z) ``output_shape`` (uncompiled).

    Input(latent_dim) -> Dense(hidden[0], activation) -> ... ->
    Dense(prod(output_shape), output_activation) -> [Reshape(output_shape)].
    ``output_activation="sigmoid"`` makes pixels in [0, 1], like the data.
    """
    keras = lazy.keras()
    latent_dim = validation.integer("latent_dim", latent_dim, 1)
    hidden = _check_units("hidden", hidden)
    shape = validation.shape("output_shape", output_shape)
    layers = [keras.Input(shape=(latent_dim,))]
    layers += [keras.layers.Dense(u, activation=activation, name=f"hidden_{i}")
               for i, u in enumerate(hidden, 1)]
    layers.append(keras.layers.Dense(int(np.prod(shape)), activation=output_activation, name="output"))
    if len(shape) > 1:
        layers.append(keras.layers.Reshape(shape, name="unflatten"))
    return keras.Sequential(layers, name=name)


def build_discriminator(input_shape, hidden, activation: str = "leaky_relu", dropout: float = 0.0,
                        name: str = "discriminator"):
    """A dense discriminator x ``input_shape`` -> one logit l (N, 1) (uncompiled).

    Input -> [Flatten] -> Dense(hidden[0], activation) [-> Dropout] -> ... ->
    Dense(1) with no activation: sigma(l) is the probability that x is real,
    and the losses take the logit (``from_logits=True``), which is stabler
    than a sigmoid output followed by a log. ``"leaky_relu"`` (slope 0.2)
    keeps a gradient for the generator where a ReLU would be flat.
    """
    keras = lazy.keras()
    shape = validation.shape("input_shape", input_shape)
    hidden = _check_units("hidden", hidden)
    if isinstance(dropout, bool) or not isinstance(dropout, Real) or not 0 <= dropout < 1:
        raise ValueError(f"dropout must be a rate in [0, 1), got {dropout!r}")
    layers = [keras.Input(shape=shape)]
    if len(shape) > 1:
        layers.append(keras.layers.Flatten(name="flatten"))
    for i, units in enumerate(hidden, 1):
        layers.append(keras.layers.Dense(units, activation=activation, name=f"hidden_{i}"))
        if dropout > 0:
            layers.append(keras.layers.Dropout(float(dropout), name=f"dropout_{i}"))
    layers.append(keras.layers.Dense(1, name="logit"))
    return keras.Sequential(layers, name=name)


def _define_keras_classes() -> dict:
    """Define and register the GAN model class (lazy.KerasClasses calls this once)."""
    keras = lazy.keras()
    ops = keras.ops

    def bce(targets, logits):
        return ops.mean(ops.binary_crossentropy(targets, logits, from_logits=True))

    @keras.saving.register_keras_serializable(package="dlbook")
    class GAN(keras.Model):
        """A generator and a discriminator trained against each other by ``fit``.

        ``GAN(generator, discriminator, seed=None)``: ``generator`` maps
        (N, latent_dim) noise to examples, ``discriminator`` maps examples to
        one logit each (N, 1). Train it with ``fit(x_real, y_real)``:
        ``y_real`` is the label the discriminator should give each real
        example, 1 (or 0.9, one-sided label smoothing). Calling the model on
        real examples returns the discriminator's logits for them.

        Each step draws z ~ N(0, I) (one per real example, from a seed
        generator the model owns), and ``compute_loss`` returns
        L_D + L_G with

            L_D = BCE(y_real, D(x)) + BCE(0, D(stop_gradient(G(z))))
            L_G = BCE(1, D_fixed(G(z)))       (the non-saturating loss)

        where D_fixed is the discriminator run by ``stateless_call`` with its
        weights passed through ``stop_gradient``. So the gradient of the sum
        with respect to D's weights is that of L_D alone and with respect to
        G's weights that of L_G alone: one optimizer step updates both
        players simultaneously, from the same state, with nothing specific to
        a backend. The two losses are reported as the metrics ``d_loss`` and
        ``g_loss`` (``loss`` is their sum). Freezing the discriminator
        (``discriminator.trainable = False``, then ``compile`` again) trains
        the generator alone against a fixed opponent.
        """

        def __init__(self, generator, discriminator, seed=None, **kwargs):
            super().__init__(**kwargs)
            for arg, value in (("generator", generator), ("discriminator", discriminator)):
                if not isinstance(value, keras.Model):
                    raise TypeError(f"{arg} must be a keras.Model, got {type(value).__name__}")
            if len(generator.inputs) != 1 or len(generator.input_shape) != 2:
                raise ValueError(f"generator must take one input of shape (N, latent_dim), got "
                                 f"{generator.input_shape}")
            if tuple(generator.output_shape[1:]) != tuple(discriminator.input_shape[1:]):
                raise ValueError(f"the generator's output shape {generator.output_shape[1:]} must "
                                 f"be the discriminator's input shape "
                                 f"{discriminator.input_shape[1:]}")
            if tuple(discriminator.output_shape[1:]) != (1,):
                raise ValueError(f"discriminator must output one logit per example (N, 1), got "
                                 f"{discriminator.output_shape}")
            if seed is not None:
                seed = validation.integer("seed", seed, 0)
            self.generator = generator
            self.discriminator = discriminator
            self.latent_dim = int(generator.input_shape[-1])
            self.seed = seed
            self.noise_seed = keras.random.SeedGenerator(seed)
            self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
            self.g_loss_tracker = keras.metrics.Mean(name="g_loss")

        def call(self, x, training=False):
            return self.discriminator(x, training=training)

        def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
            d = self.discriminator
            real_logits = self.discriminator(x, training=training) if y_pred is None else y_pred
            targets = ops.ones_like(real_logits) if y is None else ops.reshape(
                ops.cast(y, real_logits.dtype), ops.shape(real_logits))
            z = keras.random.normal((ops.shape(x)[0], self.latent_dim), seed=self.noise_seed)
            fake = self.generator(z, training=training)
            fake_logits = d(ops.stop_gradient(fake), training=training)
            d_loss = bce(targets, real_logits) + bce(ops.zeros_like(fake_logits), fake_logits)
            fixed = [ops.stop_gradient(v.value) for v in d.trainable_variables]
            others = [v.value for v in d.non_trainable_variables]
            fooled_logits, _ = d.stateless_call(fixed, others, fake, training=training)
            g_loss = bce(ops.ones_like(fooled_logits), fooled_logits)
            self.d_loss_tracker.update_state(d_loss)
            self.g_loss_tracker.update_state(g_loss)
            return d_loss + g_loss

        def get_config(self):
            return {**super().get_config(),
                    "generator": keras.saving.serialize_keras_object(self.generator),
                    "discriminator": keras.saving.serialize_keras_object(self.discriminator),
                    "seed": self.seed}

        @classmethod
        def from_config(cls, config):
            config = dict(config)
            for key in ("generator", "discriminator"):
                config[key] = keras.saving.deserialize_keras_object(config[key])
            return cls(**config)

    classes = {"GAN": GAN}
    return classes


_keras_classes = lazy.KerasClasses(__name__, KERAS_CLASSES, _define_keras_classes)
__getattr__, __dir__ = _keras_classes.module_getattr, _keras_classes.module_dir


def build_gan(generator, discriminator, learning_rate: float = 1e-3, beta_1: float = 0.5,
              seed: int | None = None):
    """A *compiled* :class:`GAN` of ``generator`` and ``discriminator``, trained by Adam.

    One Adam optimizer (``learning_rate``, ``beta_1``; 0.5 as in DCGAN)
    serves both players: Adam scales every weight's step separately, so one
    optimizer over both networks is the same as one per network with the
    same settings. ``seed`` seeds the noise the model draws (None: from
    ``keras.utils.set_random_seed``).
    """
    keras = lazy.keras()
    if isinstance(learning_rate, bool) or not isinstance(learning_rate, Real) or not (
            np.isfinite(learning_rate) and learning_rate > 0):
        raise ValueError(f"learning_rate must be a positive finite number, got {learning_rate!r}")
    if isinstance(beta_1, bool) or not isinstance(beta_1, Real) or not 0 <= beta_1 < 1:
        raise ValueError(f"beta_1 must be in [0, 1), got {beta_1!r}")
    gan = _keras_classes["GAN"](generator, discriminator, seed=seed)
    gan.compile(optimizer=keras.optimizers.Adam(float(learning_rate), beta_1=float(beta_1)))
    return gan


def train_gan(gan, x, epochs: int, batch_size: int = 32, real_label: float = 1.0, callbacks=None):
    """Train a compiled :class:`GAN` on real examples ``x`` (N, ...) with ``dlbook.training.fit``.

    Every real example gets the target ``real_label`` (1, or e.g. 0.9 for
    one-sided label smoothing). Returns the ``History``: per epoch ``d_loss``,
    ``g_loss`` and their sum ``loss``.
    """
    gan_class = _keras_classes["GAN"]
    if not isinstance(gan, gan_class):
        raise TypeError(f"gan must be a dlbook.gan.GAN, got {type(gan).__name__}")
    if isinstance(real_label, bool) or not isinstance(real_label, Real) or not 0 < real_label <= 1:
        raise ValueError(f"real_label must be in (0, 1], got {real_label!r}")
    if not isinstance(x, np.ndarray):
        raise TypeError(f"x must be a NumPy array, got {type(x).__name__}")
    y = np.full(len(x), real_label, dtype=np.float32)
    return training.fit(gan, x.astype(np.float32), y, epochs=epochs, batch_size=batch_size,
                        callbacks=callbacks)


def generate(generator, n: int, seed: int = 0, batch_size: int = 256) -> np.ndarray:
    """``n`` samples G(z) of ``generator``, z ~ N(0, I) drawn from ``seed``: float64 (n, ...).

    The same ``seed`` gives the same noise, so samples of one generator at
    different points of its training can be compared. The generator is
    called directly (``training=False``) in chunks of ``batch_size``.
    """
    keras = lazy.keras()
    if not isinstance(generator, keras.Model):
        raise TypeError(f"generator must be a keras.Model, got {type(generator).__name__}")
    n = validation.integer("n", n, 1)
    batch_size = validation.integer("batch_size", batch_size, 1)
    z = np.random.default_rng(validation.integer("seed", seed, 0)).standard_normal(
        (n, int(generator.input_shape[-1]))).astype(np.float32)
    return training.predict(generator, z, batch_size)
