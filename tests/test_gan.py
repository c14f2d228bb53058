"""Tests for dlbook.gan and dlbook.gan_keras: the losses and their gradients, diversity, the Keras GAN."""


import keras
import numpy as np
import pytest
import scipy.spatial.distance
import scipy.stats

from dlbook import backend, training
from dlbook import gan as g
from dlbook import gan_keras as gk
from dlbook.gan_keras import GAN
from dlbook.gradcheck import numerical_gradient, relative_error
from tests.jax_run import run_on_jax
from tests.tolerances import KERAS64_RTOL as KERAS_RTOL

KERAS_SAVE_WARNING = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")
LOGIT_SHAPES = [(7,), (5, 1)]


def logits(shape, seed=0, scale=3.0):
    return np.random.default_rng(seed).normal(0, scale, shape)


def keras_bce(targets, values):
    """Keras' element-wise binary cross-entropy from logits, in float64."""
    return keras.ops.convert_to_numpy(keras.ops.binary_crossentropy(
        keras.ops.convert_to_tensor(targets), keras.ops.convert_to_tensor(values), from_logits=True))


# ---------------------------------------------------------------------------
# Losses


@pytest.mark.parametrize("shape", [(6,), (4, 3), (5, 1)])
def test_binary_cross_entropy_with_logits_equals_keras(shape):
    z = logits(shape, seed=len(shape))
    t = np.random.default_rng(1).random(shape)
    # both float64, the same stable formula: agreement to 1e-12 relative (float32 on JAX: 1e-6)
    np.testing.assert_allclose(g.binary_cross_entropy_with_logits(z, t), keras_bce(t, z),
                               rtol=KERAS_RTOL)


def test_binary_cross_entropy_is_finite_for_extreme_logits():
    z = np.array([-800.0, -40.0, 0.0, 40.0, 800.0])
    loss = g.binary_cross_entropy_with_logits(z, np.ones(5))
    assert np.all(np.isfinite(loss))
    np.testing.assert_allclose(loss, [800.0, 40.0, np.log(2), 0.0, 0.0], atol=1e-15)


@pytest.mark.parametrize("shape", LOGIT_SHAPES)
def test_discriminator_loss_equals_keras_binary_cross_entropy(shape):
    real, fake = logits(shape, 1), logits((9,) + shape[1:], 2)
    expected = keras_bce(np.ones_like(real), real).mean() + keras_bce(np.zeros_like(fake), fake).mean()
    # keras.ops computes in float64 for float64 inputs: agreement to 1e-12 relative (JAX: 1e-6)
    assert g.discriminator_loss(real, fake) == pytest.approx(expected, rel=KERAS_RTOL)


def test_discriminator_loss_is_two_log_two_when_it_cannot_tell():
    assert g.discriminator_loss(np.zeros(4), np.zeros(6)) == pytest.approx(2 * np.log(2), rel=1e-15)
    assert g.discriminator_loss(np.full(3, 30.0), np.full(3, -30.0)) < 1e-12


@pytest.mark.parametrize("shape", LOGIT_SHAPES)
def test_generator_losses_equal_keras_cross_entropies(shape):
    z = logits(shape, 3)
    # float64 throughout: agreement to 1e-12 relative (JAX: 1e-6)
    assert g.generator_loss(z) == pytest.approx(keras_bce(np.ones_like(z), z).mean(), rel=KERAS_RTOL)
    # the minimax loss is minus the discriminator's loss on the fakes
    assert g.generator_loss(z, "minimax") == pytest.approx(-keras_bce(np.zeros_like(z), z).mean(),
                                                          rel=KERAS_RTOL)


@pytest.mark.parametrize("shape", LOGIT_SHAPES)
@pytest.mark.parametrize("kind", g.KINDS)
def test_generator_loss_gradient_matches_finite_differences(shape, kind):
    z = logits(shape, 4, scale=2.0)
    numeric = numerical_gradient(lambda v: g.generator_loss(v, kind), z.copy())
    analytic = g.generator_loss_gradient(z, kind)
    assert analytic.shape == z.shape
    assert relative_error(analytic, numeric) < 1e-7


@pytest.mark.parametrize("kind", g.KINDS)
def test_generator_loss_gradient_matches_automatic_differentiation(kind):
    z = logits((6,), 5)

    def loss(params):
        (v,) = params
        if kind == "minimax":
            return -keras.ops.mean(keras.ops.softplus(v))
        return keras.ops.mean(keras.ops.softplus(-v))

    (auto,) = backend.autodiff_gradient(loss, [z])
    # float64 automatic differentiation: 1e-10 relative (JAX: float32 arithmetic, 1e-6)
    np.testing.assert_allclose(g.generator_loss_gradient(z, kind), auto,
                               rtol=max(1e-10, KERAS_RTOL), atol=1e-15)


def test_the_minimax_gradient_saturates_where_the_non_saturating_one_does_not():
    rejected = np.full(4, -10.0)  # D is sure the fakes are fake: sigma(l) ~ 4.5e-5
    minimax = g.generator_loss_gradient(rejected, "minimax")
    non_saturating = g.generator_loss_gradient(rejected)
    assert np.all(np.abs(minimax) < 1e-4 / 4)
    np.testing.assert_allclose(non_saturating, -1 / 4, rtol=1e-4)


@pytest.mark.parametrize("call, error, match", [
    (lambda: g.discriminator_loss(np.ones((3, 2)), np.ones(3)), ValueError,
     r"real_logits must have shape \(M,\) or \(M, 1\)"),
    (lambda: g.discriminator_loss(np.ones(3), np.array([])), ValueError, "fake_logits must have shape"),
    (lambda: g.discriminator_loss(np.ones(3), np.array([np.inf])), ValueError, "fake_logits must be finite"),
    (lambda: g.generator_loss(np.ones(3), "wasserstein"), ValueError, "kind must be one of"),
    (lambda: g.generator_loss_gradient(np.ones(3), None), TypeError, "kind must be one of"),
    (lambda: g.generator_loss_gradient("x"), TypeError, "fake_logits must be a float array"),
    (lambda: g.binary_cross_entropy_with_logits(np.ones(3), np.ones(2)), ValueError,
     "targets must have the shape of logits"),
    (lambda: g.binary_cross_entropy_with_logits(np.ones(2), np.array([0.5, 2.0])), ValueError,
     r"targets must lie in \[0, 1\]"),
    (lambda: g.binary_cross_entropy_with_logits(np.ones(2), np.array([0.5, np.nan])), ValueError,
     "targets must be finite"),
])
def test_losses_reject_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()


# ---------------------------------------------------------------------------
# Diversity


def test_mean_pairwise_distance_equals_scipy_pdist():
    x = np.random.default_rng(0).random((20, 4, 4))
    expected = scipy.spatial.distance.pdist(x.reshape(20, -1)).mean()
    assert g.mean_pairwise_distance(x) == pytest.approx(expected, rel=1e-12)
    assert g.mean_pairwise_distance(np.ones((5, 3))) == 0.0


def test_label_entropy_equals_scipy_entropy_in_bits():
    labels = np.array([0, 1, 1, 2, 2, 2, 2, 9])
    expected = scipy.stats.entropy(np.bincount(labels, minlength=10), base=2)
    assert g.label_entropy(labels, 10) == pytest.approx(expected, rel=1e-12)
    assert g.label_entropy(np.arange(10).repeat(3), 10) == pytest.approx(np.log2(10), rel=1e-12)
    assert g.label_entropy(np.full(7, 3), 10) == 0.0


@pytest.mark.parametrize("call, error, match", [
    (lambda: g.mean_pairwise_distance(np.ones((1, 3))), ValueError, r"N >= 2"),
    (lambda: g.mean_pairwise_distance(np.array([["a", "b"]])), TypeError, "x must be a float array"),
    (lambda: g.mean_pairwise_distance(np.full((2, 3), np.inf)), ValueError, "x must be finite"),
    (lambda: g.label_entropy(np.array([0.0, 1.0]), 2), TypeError, "labels must be an int array"),
    (lambda: g.label_entropy(np.array([0, 3]), 3), ValueError, r"labels must lie in 0 \.\. 2"),
    (lambda: g.label_entropy(np.array([], dtype=int), 3), ValueError, r"labels must have shape \(N,\)"),
    (lambda: g.label_entropy(np.zeros((2, 2), int), 3), ValueError, r"labels must have shape \(N,\)"),
    (lambda: g.label_entropy(np.array([0]), 0), ValueError, "n_classes must be an int >= 1"),
])
def test_diversity_measures_reject_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()


# ---------------------------------------------------------------------------
# Keras: builders and the GAN


LATENT, SHAPE = 4, (4, 4)


def small_gan(seed=0, learning_rate=0.01):
    keras.utils.set_random_seed(seed)
    generator = gk.build_generator(LATENT, [16], SHAPE)
    discriminator = gk.build_discriminator(SHAPE, [16])
    return gk.build_gan(generator, discriminator, learning_rate=learning_rate, seed=seed)


@pytest.fixture(scope="module")
def real_images():
    """Bright squares on a dark background, with a little noise: easy to tell from early fakes."""
    rng = np.random.default_rng(0)
    x = np.zeros((64, *SHAPE)) + 0.05 * rng.random((64, *SHAPE))
    x[:, 1:3, 1:3] += 0.9
    return x.astype("float32")


def test_builders_have_the_documented_shapes_and_parameter_counts():
    generator = gk.build_generator(8, [32, 64], (8, 8))
    discriminator = gk.build_discriminator((8, 8), [64, 32], dropout=0.3)
    assert generator.output_shape == (None, 8, 8)
    assert generator.count_params() == (8 + 1) * 32 + (32 + 1) * 64 + (64 + 1) * 64
    assert discriminator.output_shape == (None, 1)
    assert discriminator.count_params() == (64 + 1) * 64 + (64 + 1) * 32 + (32 + 1) * 1
    assert sum(isinstance(layer, keras.layers.Dropout) for layer in discriminator.layers) == 2
    flat = gk.build_generator(3, [], 5)
    assert flat.output_shape == (None, 5) and flat.count_params() == 4 * 5


def test_the_gan_tracks_both_networks_and_calls_the_discriminator(real_images):
    gan = small_gan()
    assert isinstance(gan, GAN) and gan.latent_dim == LATENT
    weights = {id(w) for w in gan.trainable_weights}
    assert weights == {id(w) for w in gan.generator.trainable_weights + gan.discriminator.trainable_weights}
    out = keras.ops.convert_to_numpy(gan(real_images[:3]))
    np.testing.assert_allclose(out, keras.ops.convert_to_numpy(gan.discriminator(real_images[:3])))


def test_one_training_step_changes_both_networks_and_reports_both_losses(real_images):
    gan = small_gan()
    before_g = [w.copy() for w in gan.generator.get_weights()]
    before_d = [w.copy() for w in gan.discriminator.get_weights()]
    history = gk.train_gan(gan, real_images[:16], epochs=1, batch_size=16)  # one step
    assert set(history.history) == {"loss", "d_loss", "g_loss"}
    assert all(not np.allclose(a, b) for a, b in zip(before_g, gan.generator.get_weights(), strict=True))
    assert all(not np.allclose(a, b) for a, b in zip(before_d, gan.discriminator.get_weights(), strict=True))
    logs = history.history
    assert logs["loss"][0] == pytest.approx(logs["d_loss"][0] + logs["g_loss"][0], rel=1e-5)


def test_against_a_frozen_discriminator_the_generator_loss_goes_down(real_images):
    gan = small_gan(seed=1)
    gk.train_gan(gan, real_images, epochs=3)
    gan.discriminator.trainable = False
    gan.compile(optimizer=keras.optimizers.Adam(0.01))
    frozen = [w.copy() for w in gan.discriminator.get_weights()]

    def loss_of_fakes():
        fakes = gk.generate(gan.generator, 256, seed=5)
        return g.generator_loss(training.predict(gan.discriminator, fakes))

    before = loss_of_fakes()
    history = gk.train_gan(gan, real_images, epochs=5, batch_size=8)  # 40 steps
    after = loss_of_fakes()
    assert after < 0.5 * before
    assert history.history["g_loss"][-1] < history.history["g_loss"][0]
    assert all(np.array_equal(a, b) for a, b in zip(frozen, gan.discriminator.get_weights(), strict=True))


def test_against_a_frozen_generator_the_discriminator_learns_to_reject_the_fakes(real_images):
    # if the generator's loss leaked into the discriminator's gradient, the two terms would pull
    # the fakes' logits towards 0 (sigma = 1/2) instead of towards "fake"
    gan = small_gan(seed=2)
    gan.generator.trainable = False
    gan.compile(optimizer=keras.optimizers.Adam(0.01))
    frozen = [w.copy() for w in gan.generator.get_weights()]
    gk.train_gan(gan, real_images, epochs=20)  # at 10, one seed in two stops short of 0.9 on some backend
    fakes = gk.generate(gan.generator, 128, seed=6)
    p_fake = 1 / (1 + np.exp(-training.predict(gan.discriminator, fakes)))
    p_real = 1 / (1 + np.exp(-training.predict(gan.discriminator, real_images)))
    assert p_fake.mean() < 0.1 and p_real.mean() > 0.9
    assert all(np.array_equal(a, b) for a, b in zip(frozen, gan.generator.get_weights(), strict=True))


@KERAS_SAVE_WARNING
def test_generator_discriminator_and_gan_survive_a_save_and_load(real_images, tmp_path):
    gan = small_gan(seed=3)
    gk.train_gan(gan, real_images, epochs=1)
    z = np.random.default_rng(0).normal(size=(5, LATENT)).astype("float32")
    for name, model, x in (("generator", gan.generator, z), ("discriminator", gan.discriminator,
                                                               real_images[:5])):
        path = tmp_path / f"{name}.keras"
        model.save(path)
        loaded = keras.saving.load_model(path)
        np.testing.assert_array_equal(training.predict(loaded, x), training.predict(model, x))
    path = tmp_path / "gan.keras"
    gan.save(path)
    loaded = keras.saving.load_model(path)
    assert type(loaded) is GAN and loaded.latent_dim == LATENT
    np.testing.assert_array_equal(gk.generate(loaded.generator, 5), gk.generate(gan.generator, 5))
    np.testing.assert_array_equal(training.predict(loaded, real_images[:5]),
                                  training.predict(gan, real_images[:5]))
    gk.train_gan(loaded, real_images, epochs=1)  # the loaded model trains on


def test_generate_is_reproducible_and_shaped_like_the_data():
    generator = gk.build_generator(LATENT, [8], SHAPE)
    samples = gk.generate(generator, 10, seed=3)
    assert samples.shape == (10, *SHAPE) and samples.dtype == np.float64
    # chunks of 3 rows: the same numbers up to float32 rounding in the matrix products
    np.testing.assert_allclose(samples, gk.generate(generator, 10, seed=3, batch_size=3), rtol=1e-5)
    assert not np.array_equal(samples, gk.generate(generator, 10, seed=4))


@pytest.mark.parametrize("call, error, match", [
    (lambda: GAN("g", gk.build_discriminator(SHAPE, [4])), TypeError, "generator must be a keras.Model"),
    (lambda: GAN(gk.build_generator(2, [4], (3, 3)), gk.build_discriminator(SHAPE, [4])), ValueError,
     r"output shape \(3, 3\) must be the discriminator's input shape"),
    (lambda: GAN(gk.build_generator(2, [4], 6), keras.Sequential([keras.Input((6,)),
                                                                 keras.layers.Dense(2)])),
     ValueError, "discriminator must output one logit"),
    (lambda: gk.build_gan(gk.build_generator(2, [4], 6), gk.build_discriminator(6, [4]),
                         learning_rate=0), ValueError, "learning_rate must be a positive"),
    (lambda: gk.build_discriminator(6, [4], dropout=1.0), ValueError,
     r"dropout must be a finite number in \[0, 1\)"),
    (lambda: gk.build_discriminator(6, "4"), TypeError, "hidden must be a sequence of positive ints"),
    (lambda: gk.build_gan(gk.build_generator(2, [4], 6), gk.build_discriminator(6, [4]), beta_1=1),
     ValueError, r"beta_1 must be a finite number in \[0, 1\)"),
    (lambda: gk.build_generator(0, [4], 6), ValueError, "latent_dim must be an int >= 1"),
    (lambda: gk.build_generator(2, [4], (0, 3)), ValueError, "output_shape must be a positive int"),
    (lambda: gk.train_gan(keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)]), np.ones((2, 2)),
                         epochs=1), TypeError, "gan must be a dlbook.gan_keras.GAN"),
    (lambda: gk.generate("generator", 3), TypeError, "generator must be a keras.Model"),
    (lambda: gk.generate(gk.build_generator(2, [4], 6), 0), ValueError, "n must be an int >= 1"),
])
def test_keras_functions_reject_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_train_gan_checks_its_arguments(real_images):
    gan = small_gan()
    with pytest.raises(ValueError, match=r"real_label must be a finite number in \(0, 1\]"):
        gk.train_gan(gan, real_images, epochs=1, real_label=0.0)
    with pytest.raises(TypeError, match="x must be a float array, got str"):
        gk.train_gan(gan, "images", epochs=1)
    with pytest.raises(ValueError, match="epochs must be an int >= 1"):
        gk.train_gan(gan, real_images, epochs=0)


JAX_SCRIPT = """
import json, os, tempfile
import numpy as np
import keras
from dlbook import gan_keras as gk
keras.utils.set_random_seed(0)
gan = gk.build_gan(gk.build_generator(4, [16], (4, 4)), gk.build_discriminator((4, 4), [16]),
                  learning_rate=0.01, seed=0)
x = np.random.default_rng(0).random((32, 4, 4)).astype("float32")
before = [w.copy() for w in gan.generator.get_weights() + gan.discriminator.get_weights()]
history = gk.train_gan(gan, x, epochs=2, batch_size=16)
after = gan.generator.get_weights() + gan.discriminator.get_weights()
path = os.path.join(tempfile.mkdtemp(), "gan.keras")
gan.save(path)
loaded = keras.saving.load_model(path)
print(json.dumps({"backend": keras.backend.backend(),
                  "changed": all(not np.allclose(a, b) for a, b in zip(before, after)),
                  "metrics": sorted(history.history),
                  "same_samples": bool(np.array_equal(gk.generate(loaded.generator, 3),
                                                      gk.generate(gan.generator, 3)))}))
"""


@pytest.mark.slow
@pytest.mark.on_jax
def test_the_gan_trains_under_jax_in_a_fresh_process():
    result = run_on_jax(JAX_SCRIPT)
    assert result == {"backend": "jax", "changed": True, "metrics": ["d_loss", "g_loss", "loss"],
                      "same_samples": True}


def test_train_gan_uses_the_book_training_path(real_images, monkeypatch):
    calls = []
    original = training.fit

    def spy(model, x, y, **kwargs):
        calls.append((model, x.shape, np.unique(y).tolist(), kwargs["epochs"]))
        return original(model, x, y, **kwargs)

    monkeypatch.setattr(training, "fit", spy)
    gan = small_gan()
    gk.train_gan(gan, real_images, epochs=1, real_label=0.9)
    assert calls == [(gan, real_images.shape, [pytest.approx(0.9)], 1)]
