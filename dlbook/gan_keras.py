"""Generative adversarial networks in Keras (chapter 15): a GAN that trains with ``fit``.

- :func:`build_generator` and :func:`build_discriminator`, dense networks;
- :class:`GAN`, a ``keras.Model`` holding both. Its ``compute_loss`` draws the
  noise, computes the discriminator's loss on real and (gradient-stopped)
  fake examples and the generator's non-saturating loss through a
  discriminator whose weights are held fixed (``stateless_call`` with
  gradient-stopped weights), and returns their sum. The gradient of that sum
  is the discriminator's gradient for D's weights and the generator's for
  G's, so one optimizer step of ``fit`` is one simultaneous step of both
  players, on every Keras backend. It is registered with Keras as
  ``dlbook>GAN`` when this module is imported: import it before
  ``keras.saving.load_model`` reads a saved GAN;
- :func:`build_gan`: a compiled :class:`GAN`;
- :func:`train_gan`: ``dlbook.training.fit`` on the real examples, the label
  of every real example being 1;
- :func:`generate`: samples of a generator as a NumPy array (and
  :func:`dlbook.training.predict`: any model's output).

The losses in NumPy, and the measures of diversity, are :mod:`dlbook.gan`.
"""

from __future__ import annotations

import numpy as np

from dlbook import training, validation
from dlbook.keras_import import keras


def build_generator(latent_dim: int, hidden, output_shape, activation: str = "relu",
                    output_activation: str | None = "sigmoid", name: str = "generator"):
    """A dense generator z (latent_dim,) -> G(z) ``output_shape`` (uncompiled).

    Input(latent_dim) -> Dense(hidden[0], activation) -> ... ->
    Dense(prod(output_shape), output_activation) -> [Reshape(output_shape)].
    ``output_activation="sigmoid"`` makes pixels in [0, 1], like the data.
    """
    latent_dim = validation.integer("latent_dim", latent_dim, 1)
    hidden = validation.positive_ints("hidden", hidden, allow_empty=True)
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
    shape = validation.shape("input_shape", input_shape)
    hidden = validation.positive_ints("hidden", hidden, allow_empty=True)
    dropout = validation.number("dropout", dropout, 0, 1, high_open=True)
    layers = [keras.Input(shape=shape)]
    if len(shape) > 1:
        layers.append(keras.layers.Flatten(name="flatten"))
    for i, units in enumerate(hidden, 1):
        layers.append(keras.layers.Dense(units, activation=activation, name=f"hidden_{i}"))
        if dropout > 0:
            layers.append(keras.layers.Dropout(dropout, name=f"dropout_{i}"))
    layers.append(keras.layers.Dense(1, name="logit"))
    return keras.Sequential(layers, name=name)


def _bce(targets, logits):
    """The mean binary cross-entropy of targets and sigma(logits)."""
    return keras.ops.mean(keras.ops.binary_crossentropy(targets, logits, from_logits=True))


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
        validation.keras_model("generator", generator)
        validation.keras_model("discriminator", discriminator)
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
        self.generator = generator
        self.discriminator = discriminator
        self.latent_dim = int(generator.input_shape[-1])
        self.seed = None if seed is None else validation.integer("seed", seed, 0)
        self.noise_seed = keras.random.SeedGenerator(self.seed)
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")

    def call(self, x, training=False):
        return self.discriminator(x, training=training)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        ops, d = keras.ops, self.discriminator
        real_logits = d(x, training=training) if y_pred is None else y_pred
        targets = ops.ones_like(real_logits) if y is None else ops.reshape(
            ops.cast(y, real_logits.dtype), ops.shape(real_logits))
        z = keras.random.normal((ops.shape(x)[0], self.latent_dim), seed=self.noise_seed)
        fake = self.generator(z, training=training)
        fake_logits = d(ops.stop_gradient(fake), training=training)
        d_loss = _bce(targets, real_logits) + _bce(ops.zeros_like(fake_logits), fake_logits)
        fixed = [ops.stop_gradient(v.value) for v in d.trainable_variables]
        others = [v.value for v in d.non_trainable_variables]
        fooled_logits, _ = d.stateless_call(fixed, others, fake, training=training)
        g_loss = _bce(ops.ones_like(fooled_logits), fooled_logits)
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


def build_gan(generator, discriminator, learning_rate: float = 1e-3, beta_1: float = 0.5,
              seed: int | None = None):
    """A *compiled* :class:`GAN` of ``generator`` and ``discriminator``, trained by Adam.

    One Adam optimizer (``learning_rate``, ``beta_1``; 0.5 as in DCGAN)
    serves both players: Adam scales every weight's step separately, so one
    optimizer over both networks is the same as one per network with the
    same settings. ``seed`` seeds the noise the model draws (None: from
    ``keras.utils.set_random_seed``).
    """
    learning_rate = validation.positive("learning_rate", learning_rate)
    beta_1 = validation.number("beta_1", beta_1, 0, 1, high_open=True)
    gan = GAN(generator, discriminator, seed=seed)
    gan.compile(optimizer=keras.optimizers.Adam(learning_rate, beta_1=beta_1))
    return gan


def train_gan(gan, x, epochs: int, batch_size: int = 32, real_label: float = 1.0, callbacks=None):
    """Train a compiled :class:`GAN` on real examples ``x`` (N, ...) with ``dlbook.training.fit``.

    Every real example gets the target ``real_label`` (1, or e.g. 0.9 for
    one-sided label smoothing). Returns the ``History``: per epoch ``d_loss``,
    ``g_loss`` and their sum ``loss``.
    """
    if not isinstance(gan, GAN):
        raise TypeError(f"gan must be a dlbook.gan_keras.GAN, got {type(gan).__name__}")
    real_label = validation.number("real_label", real_label, 0, 1, low_open=True)
    x = validation.float_array("x", x).astype(np.float32)
    y = np.full(len(x), real_label, dtype=np.float32)
    return training.fit(gan, x, y, epochs=epochs, batch_size=batch_size, callbacks=callbacks)


def generate(generator, n: int, seed: int = 0, batch_size: int = 256) -> np.ndarray:
    """``n`` samples G(z) of ``generator``, z ~ N(0, I) drawn from ``seed``: float64 (n, ...).

    The same ``seed`` gives the same noise, so samples of one generator at
    different points of its training can be compared. The generator is
    called directly (``training=False``) in chunks of ``batch_size``.
    """
    validation.keras_model("generator", generator)
    n = validation.integer("n", n, 1)
    batch_size = validation.integer("batch_size", batch_size, 1)
    z = np.random.default_rng(validation.integer("seed", seed, 0)).standard_normal(
        (n, int(generator.input_shape[-1]))).astype(np.float32)
    return training.predict(generator, z, batch_size)
