"""Tests for dlbook.autoencoders: PCA, principal angles, reconstruction error, the builders."""

import keras
import numpy as np
import pytest
import scipy.linalg
from sklearn.decomposition import PCA

from dlbook import autoencoders as ae
from dlbook import training
from tests.tolerances import KERAS64_RTOL as KERAS_RTOL

# model.save under TensorFlow converts tensors with a NumPy 1 call that NumPy 2 warns about
KERAS_SAVE_WARNING = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")


def low_rank_data(n=200, d=10, scales=(5.0, 3.0, 2.0, 0.5, 0.3), noise=0.05, seed=0):
    """Data with a clear spectrum: a few strong directions, rotated, plus a little noise."""
    rng = np.random.default_rng(seed)
    q, _ = np.linalg.qr(rng.normal(size=(d, d)))
    z = rng.normal(size=(n, len(scales))) * np.array(scales)
    return z @ q[:, :len(scales)].T + noise * rng.normal(size=(n, d)) + rng.normal(size=d)


# ---------------------------------------------------------------------------
# PCA


@pytest.mark.parametrize("k", [1, 2, 4])
def test_pca_components_span_the_subspace_of_scikit_learn(k):
    x = low_rank_data(seed=k)
    v = ae.pca_components(x, k)
    reference = PCA(n_components=k).fit(x).components_.T  # (D, k), signs arbitrary
    assert v.shape == (10, k) and v.dtype == np.float64
    np.testing.assert_allclose(v.T @ v, np.eye(k), atol=1e-12)
    # the same projection, whatever the signs: float64 SVDs of the same matrix, 1e-10
    np.testing.assert_allclose(v @ v.T, reference @ reference.T, atol=1e-10)
    np.testing.assert_allclose(np.abs(v), np.abs(reference), atol=1e-10)


def test_pca_components_are_ordered_by_variance_with_a_fixed_sign():
    x = low_rank_data()
    v = ae.pca_components(x, 4)
    variances = np.var((x - x.mean(axis=0)) @ v, axis=0)
    assert np.all(np.diff(variances) < 0)
    assert np.all(v[np.argmax(np.abs(v), axis=0), np.arange(4)] > 0)


def test_pca_reconstruct_equals_scikit_learn_and_beats_any_other_subspace():
    x = low_rank_data(seed=3)
    pca = PCA(n_components=2).fit(x)
    ours = ae.pca_reconstruct(x, 2)
    np.testing.assert_allclose(ours, pca.inverse_transform(pca.transform(x)), atol=1e-10)
    rng = np.random.default_rng(0)
    q, _ = np.linalg.qr(rng.normal(size=(10, 2)))
    mean = x.mean(axis=0)
    other = mean + (x - mean) @ q @ q.T
    assert ae.reconstruction_error(x, ours).mean() < ae.reconstruction_error(x, other).mean()


@pytest.mark.parametrize("call, error, match", [
    (lambda: ae.pca_components(np.ones((1, 3)), 1), ValueError, "x must have at least 2 examples"),
    (lambda: ae.pca_components(np.ones((5, 3)), 4), ValueError, "k must be at most min"),
    (lambda: ae.pca_components(np.ones((5, 3)), 0), ValueError, "k must be an int >= 1"),
    (lambda: ae.pca_components(np.ones((5, 3)), 1.5), TypeError, "k must be an int"),
    (lambda: ae.pca_components(np.ones(5), 1), ValueError, r"x must be a 2-D array of shape \(N, D\)"),
    (lambda: ae.pca_components(np.array([[1.0, np.nan], [0, 1]]), 1), ValueError, "x must be finite"),
    (lambda: ae.pca_components("x", 1), TypeError, "x must be a float array"),
    (lambda: ae.pca_reconstruct(np.ones((4, 2)), 3), ValueError, "k must be at most"),
])
def test_pca_rejects_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()


# ---------------------------------------------------------------------------
# Principal angles


@pytest.mark.parametrize("d, ka, kb", [(6, 2, 2), (10, 3, 4), (10, 5, 2), (4, 4, 4), (8, 1, 3)])
def test_principal_angles_match_scipy_in_ascending_order(d, ka, kb):
    rng = np.random.default_rng(d * 10 + ka + kb)
    a, b = rng.normal(size=(d, ka)), rng.normal(size=(d, kb))
    ours = ae.principal_angles(a, b)
    # both from float64 SVDs with the same sine/cosine switch: agreement to 1e-10 radians
    np.testing.assert_allclose(ours, scipy.linalg.subspace_angles(a, b)[::-1], atol=1e-10)
    assert ours.shape == (min(ka, kb),) and np.all(np.diff(ours) >= 0)
    assert np.all((ours >= 0) & (ours <= np.pi / 2))


def test_principal_angles_depend_on_the_subspaces_only():
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(7, 3)), rng.normal(size=(7, 3))
    mixed = a @ rng.normal(size=(3, 3))  # another basis of span(a)
    np.testing.assert_allclose(ae.principal_angles(mixed, b), ae.principal_angles(a, b), atol=1e-10)
    np.testing.assert_allclose(ae.principal_angles(a, mixed), 0, atol=1e-7)
    np.testing.assert_allclose(ae.principal_angles(b, a), ae.principal_angles(a, b), atol=1e-12)


@pytest.mark.parametrize("theta", [1e-9, 1e-4, 0.3, 1.2, np.pi / 2])
def test_principal_angles_recover_a_known_angle_accurately(theta):
    e = np.eye(5)
    a = e[:, :2]
    b = np.column_stack([e[:, 0], np.cos(theta) * e[:, 1] + np.sin(theta) * e[:, 2]])
    angles = ae.principal_angles(a, b)
    np.testing.assert_allclose(angles, [0.0, theta], rtol=1e-8, atol=1e-15)


@pytest.mark.parametrize("call, error, match", [
    (lambda: ae.principal_angles(np.ones((4, 2)), np.ones((5, 2))), ValueError,
     "same number of rows D"),
    (lambda: ae.principal_angles(np.ones((2, 3)), np.ones((2, 1))), ValueError,
     r"at most as many columns as rows"),
    (lambda: ae.principal_angles(np.ones((4, 2)), np.eye(4)[:, :2]), ValueError,
     "linearly independent columns"),
    (lambda: ae.principal_angles(np.ones(4), np.ones((4, 1))), ValueError,
     r"a must be a 2-D array of shape \(D, k_a\)"),
    (lambda: ae.principal_angles(np.ones((4, 1)), np.ones((4, 0))), ValueError, "b must be a 2-D array"),
    (lambda: ae.orthonormal_basis(np.array([["a"]])), TypeError, "a must be a float array"),
])
def test_principal_angles_reject_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()


# ---------------------------------------------------------------------------
# Reconstruction error and noise


@pytest.mark.parametrize("shape", [(6, 5), (4, 3, 3), (3, 4, 4, 2)])
def test_reconstruction_error_equals_keras_mean_squared_error_per_example(shape):
    rng = np.random.default_rng(len(shape))
    x, x_hat = rng.random(shape), rng.random(shape)
    flat = (len(x), -1)
    expected = keras.ops.convert_to_numpy(keras.losses.mean_squared_error(
        x.reshape(flat), x_hat.reshape(flat)))
    # float64 in both: agreement to 1e-12 relative (JAX: 1e-6)
    np.testing.assert_allclose(ae.reconstruction_error(x, x_hat), expected, rtol=KERAS_RTOL)
    assert ae.reconstruction_error(x, x).tolist() == [0.0] * len(x)


def test_add_gaussian_noise_has_the_requested_spread_and_is_reproducible():
    x = np.full((200, 50), 0.5, dtype=np.float32)
    noisy = ae.add_gaussian_noise(x, 0.3, np.random.default_rng(7))
    assert noisy.dtype == np.float64 and noisy.shape == x.shape
    assert abs(noisy.mean() - 0.5) < 0.01 and abs(noisy.std() - 0.3) < 0.01
    np.testing.assert_array_equal(noisy, ae.add_gaussian_noise(x, 0.3, np.random.default_rng(7)))
    np.testing.assert_array_equal(ae.add_gaussian_noise(x, 0.0, np.random.default_rng(0)), x)
    assert np.all(x == 0.5)  # the input is left alone


@pytest.mark.parametrize("call, error, match", [
    (lambda: ae.reconstruction_error(np.ones((3, 2)), np.ones((3, 3))), ValueError,
     r"x_hat must have the shape of x \(3, 2\)"),
    (lambda: ae.reconstruction_error(np.ones(3), np.ones(3)), ValueError, "at least 2 dimensions"),
    (lambda: ae.reconstruction_error(np.array([["a"]]), np.ones((1, 1))), TypeError,
     "x must be a float array"),
    (lambda: ae.reconstruction_error(np.ones((1, 1)), None), TypeError, "x_hat must be a float array"),
    (lambda: ae.add_gaussian_noise(np.ones(3), -0.1, np.random.default_rng(0)), ValueError,
     r"std must be a finite number in \[0, inf\), got -"),
    (lambda: ae.add_gaussian_noise(np.ones(3), 0.1, 0), TypeError, "rng must be a numpy.random.Generator"),
    (lambda: ae.add_gaussian_noise("x", 0.1, np.random.default_rng(0)), TypeError, "x must be a float array"),
])
def test_error_and_noise_reject_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()


# ---------------------------------------------------------------------------
# The Keras builders


def dense_count(sizes, bias=True):
    return sum((a + int(bias)) * b for a, b in zip(sizes[:-1], sizes[1:], strict=True))


@pytest.mark.parametrize("input_shape, hidden, code", [(64, [32], 5), ((8, 8), [32, 16], 3), (10, [], 2)])
def test_dense_autoencoder_shapes_and_parameter_count(input_shape, hidden, code):
    model = ae.build_dense_autoencoder(input_shape, hidden, code)
    shape = (input_shape,) if isinstance(input_shape, int) else input_shape
    d = int(np.prod(shape))
    assert model.output_shape == (None, *shape)
    encoder, decoder = model.get_layer("encoder"), model.get_layer("decoder")
    assert encoder.output_shape == (None, code) and decoder.input_shape == (None, code)
    sizes = [d, *hidden, code, *reversed(hidden), d]
    assert model.count_params() == dense_count(sizes)
    assert encoder.count_params() == dense_count([d, *hidden, code])


def test_linear_autoencoder_has_no_biases_and_no_activations():
    model = ae.build_linear_autoencoder(64, 3)
    assert model.count_params() == 2 * 64 * 3
    dense = [layer for half in model.layers for layer in half.layers]
    assert all(layer.activation is keras.activations.linear for layer in dense)
    we, wd = ae.linear_autoencoder_bases(model)
    assert we.shape == wd.shape == (64, 3) and we.dtype == np.float64
    x = np.random.default_rng(0).normal(size=(5, 64)).astype("float32")
    np.testing.assert_allclose(model.predict(x, verbose=0), x @ we @ wd.T, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("input_shape, filters, code", [((28, 28), (16, 32), None),
                                                        ((8, 8), (4, 8), 6), ((16, 16, 3), (8,), None)])
def test_conv_autoencoder_shapes_and_parameter_count(input_shape, filters, code):
    model = ae.build_conv_autoencoder(input_shape, filters, code_size=code)
    channels = input_shape[2] if len(input_shape) == 3 else 1
    h, w = (s // 2 ** len(filters) for s in input_shape[:2])
    assert model.output_shape == (None, *input_shape)
    expected_code = (None, code) if code else (None, h, w, filters[-1])
    assert model.get_layer("encoder").output_shape == expected_code
    chain = [channels, *filters]
    encoder = sum((9 * a + 1) * b for a, b in zip(chain[:-1], chain[1:], strict=True))  # 3x3 kernels
    back = [filters[-1], *reversed(filters)]  # transposed convolutions, from the code's channels
    decoder = sum((9 * a + 1) * b for a, b in zip(back[:-1], back[1:], strict=True))
    decoder += (9 * filters[0] + 1) * channels
    if code:
        encoder += (h * w * filters[-1] + 1) * code
        decoder += (code + 1) * h * w * filters[-1]
    assert model.count_params() == encoder + decoder


@KERAS_SAVE_WARNING
@pytest.mark.parametrize("build", [
    lambda: ae.build_dense_autoencoder((8, 8), [16], 4, noise_std=0.2),
    lambda: ae.build_conv_autoencoder((8, 8), (4, 8), code_size=3),
    lambda: ae.build_linear_autoencoder(12, 2),
])
def test_autoencoders_survive_a_save_and_load(build, tmp_path):
    model = build()
    path = tmp_path / "autoencoder.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    x = np.random.default_rng(0).random((3, *model.input_shape[1:])).astype("float32")
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert [layer.name for layer in loaded.layers] == ["encoder", "decoder"]


def test_the_denoising_layer_corrupts_in_training_only():
    model = ae.build_dense_autoencoder(6, [4], 2, noise_std=0.5)
    assert isinstance(model.get_layer("encoder").layers[0], keras.layers.GaussianNoise)
    x = np.random.default_rng(0).random((4, 6)).astype("float32")
    infer = [keras.ops.convert_to_numpy(model(x, training=False)) for _ in range(2)]
    train = [keras.ops.convert_to_numpy(model(x, training=True)) for _ in range(2)]
    np.testing.assert_array_equal(infer[0], infer[1])
    assert not np.allclose(train[0], train[1])


@pytest.mark.parametrize("build, x", [
    (lambda: ae.build_dense_autoencoder(10, [8], 3), "low_rank"),
    (lambda: ae.build_conv_autoencoder((8, 8), (4, 8), noise_std=0.1), "images"),
])
def test_a_short_training_run_lowers_the_reconstruction_loss(build, x):
    rng = np.random.default_rng(0)
    if x == "low_rank":
        data = low_rank_data(n=128).astype("float32")
        data = (data - data.min()) / (data.max() - data.min())  # into [0, 1] for the sigmoid output
    else:
        data = np.clip(rng.random((128, 8, 8)) * np.linspace(0, 1, 8), 0, 1).astype("float32")
    keras.utils.set_random_seed(0)
    model = build()
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
    history = training.fit(model, data, data, epochs=15, batch_size=32).history
    assert history["loss"][-1] < 0.7 * history["loss"][0]


@pytest.mark.slow
def test_a_linear_autoencoder_learns_the_principal_subspace():
    x = low_rank_data(n=256, seed=5)
    x = (x - x.mean(axis=0)).astype("float32")
    pcs = ae.pca_components(x, 2)
    keras.utils.set_random_seed(0)
    model = ae.build_linear_autoencoder(10, 2)
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss="mse")
    before = ae.principal_angles(ae.linear_autoencoder_bases(model)[1], pcs).max()
    training.fit(model, x, x, epochs=150, batch_size=len(x))
    after = ae.principal_angles(ae.linear_autoencoder_bases(model)[1], pcs).max()
    assert np.degrees(before) > 10  # a random start is far from the answer
    assert np.degrees(after) < 0.5
    # PCA's error is the least any rank-2 linear map can reach (up to float32 rounding); the
    # autoencoder comes within 1 % of it (its encoder converges slowly along weak directions)
    mse = ae.reconstruction_error(x, model.predict(x, verbose=0)).mean()
    best = ae.reconstruction_error(x, ae.pca_reconstruct(x, 2)).mean()
    assert best * (1 - 1e-4) <= mse < 1.01 * best


@pytest.mark.parametrize("call, error, match", [
    (lambda: ae.build_dense_autoencoder(0, [4], 2), ValueError, "input_shape must be a positive int"),
    (lambda: ae.build_dense_autoencoder(5, [4, 0], 2), ValueError, "hidden must be a sequence"),
    (lambda: ae.build_dense_autoencoder(5, [4, 2.0], 2), TypeError, "hidden must be a sequence"),
    (lambda: ae.build_dense_autoencoder(5, 4, 2), TypeError, "hidden must be a sequence"),
    (lambda: ae.build_dense_autoencoder(5, [4], 0), ValueError, "code_size must be an int >= 1"),
    (lambda: ae.build_dense_autoencoder(5, [4], 2, noise_std=-1), ValueError, "noise_std must be"),
    (lambda: ae.build_dense_autoencoder(5, [4], 2, use_bias=1), TypeError, "use_bias must be a bool"),
    (lambda: ae.build_linear_autoencoder(3, 4), ValueError, "code_size must be at most n_features = 3"),
    (lambda: ae.build_conv_autoencoder((10, 10), (4, 8)), ValueError, "divisible by 2"),
    (lambda: ae.build_conv_autoencoder(10, (4,)), ValueError, r"input_shape must be \(H, W\)"),
    (lambda: ae.build_conv_autoencoder((8, 8), ()), ValueError, "filters must be a non-empty"),
    (lambda: ae.linear_autoencoder_bases("model"), TypeError, "model must be a keras.Model"),
])
def test_builders_reject_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_linear_autoencoder_bases_needs_a_linear_autoencoder():
    with pytest.raises(ValueError, match="model must map D features to k and back"):
        ae.linear_autoencoder_bases(ae.build_dense_autoencoder(6, [4], 2))
    with pytest.raises(ValueError, match="model must be an autoencoder"):
        ae.linear_autoencoder_bases(keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)]))


def test_plot_image_rows_draws_one_row_per_array():
    import matplotlib.pyplot as plt

    images = np.random.default_rng(0).random((5, 4, 4))
    fig = ae.plot_image_rows([images, 1 - images], labels=["a", "b"])
    assert len(fig.axes) == 10 and fig.axes[0].get_ylabel() == "a"
    plt.close(fig)
    with pytest.raises(ValueError, match="rows must be a non-empty sequence"):
        ae.plot_image_rows([images, images[:3]])
    with pytest.raises(ValueError, match=r"rows\[1\] must be a 3-D array of shape \(n, H, W\)"):
        ae.plot_image_rows([images, images[0]])
    with pytest.raises(ValueError, match="labels must name each of the 2 rows"):
        ae.plot_image_rows([images, images], labels=["a"])
