"""Tests for dlbook.normalization: batch and layer normalization against finite differences and Keras."""

import keras
import numpy as np
import pytest

from dlbook import backend
from dlbook import normalization as nz
from dlbook.gradcheck import numerical_gradient, relative_error
from tests.tolerances import AUTODIFF_RTOL, KERAS64_RTOL

GRAD_TOL = 1e-7  # float64 analytic vs central-difference gradients
KERAS64_TOL = KERAS64_RTOL  # Keras layers built with dtype="float64" (tests/tolerances.py)
KERAS32_TOL = 1e-5  # Keras' default float32 layers: about 7 significant digits of O(1) numbers
AUTODIFF_TOL = AUTODIFF_RTOL  # relative error against automatic differentiation through the layer

PASSES = {"batchnorm": (nz.batchnorm_forward, nz.batchnorm_backward),
          "layernorm": (nz.layernorm_forward, nz.layernorm_backward)}


def batch(n=12, d=5, seed=0):
    """Features with means and scales far from 0 and 1, gamma, beta and an upstream gradient.

    n is not a power of two, so that a 1/n computed in float32 would show.
    """
    rng = np.random.default_rng(seed)
    x = rng.normal(rng.uniform(-4, 4, d), rng.uniform(0.3, 4, d), (n, d))
    return x, rng.normal(1, 0.5, d), rng.normal(0, 0.5, d), rng.normal(size=(n, d))


def keras_layer(kind, d, gamma, beta, dtype="float64", **kwargs):
    backend.enable_float64()
    cls = keras.layers.BatchNormalization if kind == "batchnorm" else keras.layers.LayerNormalization
    layer = cls(dtype=dtype, **kwargs)
    layer.build((None, d))
    layer.gamma.assign(gamma)
    layer.beta.assign(beta)
    return layer


# ---------------------------------------------------------------------------
# Backward passes against finite differences


@pytest.mark.parametrize("kind", sorted(PASSES))
@pytest.mark.parametrize("n, d", [(12, 5), (4, 3), (1, 4), (9, 1), (5, 5)])
def test_backward_matches_finite_differences(kind, n, d):
    forward, backward = PASSES[kind]
    x, gamma, beta, dout = batch(n, d, seed=n + 10 * d)
    dx, dgamma, dbeta = backward(dout, forward(x, gamma, beta)[1])

    def loss(x_, gamma_, beta_):  # L = sum(dout * y), so dL/dy = dout
        return float(np.sum(dout * forward(x_, gamma_, beta_)[0]))

    assert relative_error(dx, numerical_gradient(lambda v: loss(v, gamma, beta), x.copy())) < GRAD_TOL
    assert relative_error(dgamma, numerical_gradient(lambda v: loss(x, v, beta), gamma.copy())) < GRAD_TOL
    assert relative_error(dbeta, numerical_gradient(lambda v: loss(x, gamma, v), beta.copy())) < GRAD_TOL
    assert dx.shape == x.shape and dgamma.shape == dbeta.shape == (d,)


@pytest.mark.parametrize("kind", sorted(PASSES))
def test_gradient_check_reports_small_errors_for_every_gradient(kind):
    errors = nz.gradient_check(kind, n=6, d=4, seed=3)
    assert set(errors) == {"dx", "dgamma", "dbeta"}
    assert max(errors.values()) < GRAD_TOL


def test_gradient_check_catches_a_backward_pass_that_forgets_the_batch_statistics(monkeypatch):
    correct = nz.batchnorm_backward

    def naive(dout, cache):  # treats mu and sigma as constants: dx = dout * gamma / sigma
        dx, dgamma, dbeta = correct(dout, cache)
        return dout * cache.gamma / np.sqrt(cache.var + cache.eps), dgamma, dbeta

    monkeypatch.setattr(nz, "batchnorm_backward", naive)
    errors = nz.gradient_check("batchnorm", n=6, d=4)
    assert errors["dx"] > 1e-2 and errors["dgamma"] < GRAD_TOL


# ---------------------------------------------------------------------------
# Against Keras: forward, inference, moving statistics, backward


@pytest.mark.parametrize("dtype, tol", [("float64", KERAS64_TOL), ("float32", KERAS32_TOL)])
def test_batchnorm_forward_matches_keras_in_training_mode(dtype, tol):
    x, gamma, beta, _ = batch(seed=1)
    layer = keras_layer("batchnorm", 5, gamma, beta, dtype=dtype, epsilon=1e-3)
    expected = keras.ops.convert_to_numpy(layer(x.astype(dtype), training=True))
    y, cache = nz.batchnorm_forward(x, gamma, beta, eps=1e-3)
    np.testing.assert_allclose(y, expected, atol=tol, rtol=tol)
    assert y.dtype == np.float64 and cache.x_hat.shape == x.shape and cache.eps == 1e-3


@pytest.mark.parametrize("dtype, tol", [("float64", KERAS64_TOL), ("float32", KERAS32_TOL)])
def test_batchnorm_inference_matches_keras_with_training_false(dtype, tol):
    x, gamma, beta, _ = batch(seed=2)
    rng = np.random.default_rng(2)
    mean, var = rng.normal(size=5), rng.uniform(0.2, 5, 5)
    layer = keras_layer("batchnorm", 5, gamma, beta, dtype=dtype, epsilon=0.01)
    layer.moving_mean.assign(mean)
    layer.moving_variance.assign(var)
    expected = keras.ops.convert_to_numpy(layer(x.astype(dtype), training=False))
    np.testing.assert_allclose(nz.batchnorm_inference(x, gamma, beta, mean, var, eps=0.01),
                               expected, atol=tol, rtol=tol)


@pytest.mark.parametrize("momentum", [0.99, 0.9, 0.5])
@pytest.mark.parametrize("dtype, tol", [("float64", KERAS64_TOL), ("float32", KERAS32_TOL)])
def test_running_statistics_match_keras_moving_mean_and_variance(momentum, dtype, tol):
    rng = np.random.default_rng(4)
    batches = [rng.normal([3.0, -1.0, 0.5], [2.0, 0.5, 4.0], (n, 3)) for n in (16, 16, 7, 16, 3, 11)]
    layer = keras.layers.BatchNormalization(momentum=momentum, epsilon=1e-3, dtype=dtype)
    layer.build((None, 3))
    for b in batches:
        layer(b.astype(dtype), training=True)
    means, variances = nz.running_statistics(batches, momentum=momentum)
    assert means.shape == variances.shape == (len(batches) + 1, 3)
    np.testing.assert_allclose(means[-1], layer.moving_mean.numpy(),
                               atol=tol, rtol=tol)
    # Keras' moving variance averages the biased batch variance (divided by N, not N - 1)
    np.testing.assert_allclose(variances[-1], layer.moving_variance.numpy(),
                               atol=tol, rtol=tol)


@pytest.mark.parametrize("dtype, tol", [("float64", KERAS64_TOL), ("float32", KERAS32_TOL)])
@pytest.mark.parametrize("eps", [1e-3, 1e-5])
def test_layernorm_forward_matches_keras(dtype, tol, eps):
    x, gamma, beta, _ = batch(n=7, d=6, seed=5)
    layer = keras_layer("layernorm", 6, gamma, beta, dtype=dtype, epsilon=eps)
    expected = keras.ops.convert_to_numpy(layer(x.astype(dtype)))
    y, cache = nz.layernorm_forward(x, gamma, beta, eps=eps)
    np.testing.assert_allclose(y, expected, atol=tol, rtol=tol)
    assert cache.mean.shape == cache.var.shape == (7,)


@pytest.mark.parametrize("kind, training", [("batchnorm", True), ("batchnorm", False),
                                            ("layernorm", True)])
def test_keras_normalization_helper_is_the_keras_layer(kind, training):
    x, gamma, beta, dout = batch(n=6, d=3, seed=6)
    mean, var = np.array([1.0, -2.0, 0.5]), np.array([4.0, 0.5, 2.0])
    y, _ = nz.keras_normalization(kind, x, gamma, beta, dout, training=training,
                                  moving_mean=mean, moving_var=var)
    layer = keras_layer(kind, 3, gamma, beta)
    if kind == "batchnorm":
        layer.moving_mean.assign(mean)
        layer.moving_variance.assign(var)
        expected = layer(x, training=training)
    else:
        expected = layer(x)
    np.testing.assert_allclose(y, keras.ops.convert_to_numpy(expected), atol=KERAS64_TOL)


@pytest.mark.parametrize("kind", sorted(PASSES))
def test_backward_matches_automatic_differentiation_through_the_keras_layer(kind):
    forward, backward = PASSES[kind]
    x, gamma, beta, dout = batch(n=10, d=4, seed=7)
    y, cache = forward(x, gamma, beta)
    y_keras, grads_keras = nz.keras_normalization(kind, x, gamma, beta, dout, training=True)
    np.testing.assert_allclose(y, y_keras, atol=KERAS64_TOL)
    for ours, theirs in zip(backward(dout, cache), grads_keras, strict=True):
        assert relative_error(ours, theirs) < AUTODIFF_TOL


# ---------------------------------------------------------------------------
# Properties


def test_batch_statistics_are_the_biased_moments_of_each_column_and_example_statistics_of_each_row():
    x, *_ = batch(seed=8)
    mean, var = nz.batch_statistics(x)
    np.testing.assert_allclose(mean, x.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(var, x.var(axis=0, ddof=0), rtol=1e-12)
    mean, var = nz.example_statistics(x)
    np.testing.assert_allclose(mean, x.mean(axis=1), rtol=1e-12)
    np.testing.assert_allclose(var, x.var(axis=1, ddof=0), rtol=1e-12)
    k_mean, k_var = keras.ops.moments(keras.ops.convert_to_tensor(x), axes=[1])
    np.testing.assert_allclose(var, keras.ops.convert_to_numpy(k_var), rtol=1e-10)
    np.testing.assert_allclose(mean, keras.ops.convert_to_numpy(k_mean), rtol=1e-10)


def test_batchnorm_standardizes_columns_and_layernorm_standardizes_rows():
    x, *_ = batch(n=50, d=4, seed=9)
    ones, zeros = np.ones(4), np.zeros(4)
    bn = nz.batchnorm_forward(x, ones, zeros, eps=1e-12)[0]
    ln = nz.layernorm_forward(x, ones, zeros, eps=1e-12)[0]
    np.testing.assert_allclose(bn.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(bn.std(axis=0), 1, rtol=1e-9)
    np.testing.assert_allclose(ln.mean(axis=1), 0, atol=1e-12)
    np.testing.assert_allclose(ln.std(axis=1), 1, rtol=1e-9)
    assert np.abs(bn.std(axis=1) - 1).max() > 0.1  # and not the other way round
    gamma, beta = np.array([2.0, 0.5, 1.0, 3.0]), np.array([1.0, -1.0, 0.0, 2.0])
    np.testing.assert_allclose(nz.batchnorm_forward(x, gamma, beta, eps=1e-12)[0].mean(axis=0),
                               beta, atol=1e-12)


def test_layernorm_of_an_example_does_not_depend_on_the_rest_of_the_batch_but_batchnorm_does():
    x, gamma, beta, _ = batch(n=8, d=5, seed=10)
    other = batch(n=8, d=5, seed=11)[0]
    other[0] = x[0]
    np.testing.assert_allclose(nz.layernorm_forward(x, gamma, beta)[0][0],
                               nz.layernorm_forward(other, gamma, beta)[0][0], rtol=1e-12)
    assert not np.allclose(nz.batchnorm_forward(x, gamma, beta)[0][0],
                           nz.batchnorm_forward(other, gamma, beta)[0][0])


def test_inference_with_the_batch_statistics_reproduces_training_mode():
    x, gamma, beta, _ = batch(seed=12)
    y, cache = nz.batchnorm_forward(x, gamma, beta)
    np.testing.assert_allclose(nz.batchnorm_inference(x, gamma, beta, cache.mean, cache.var), y,
                               rtol=1e-12, atol=1e-12)


def test_update_running_statistics_is_the_keras_moving_average():
    rng = np.random.default_rng(13)
    m, v, mu, var = rng.normal(size=3), rng.uniform(1, 2, 3), rng.normal(size=3), rng.uniform(1, 2, 3)
    before = [a.copy() for a in (m, v, mu, var)]
    new_m, new_v = nz.update_running_statistics(m, v, mu, var, momentum=0.9)
    np.testing.assert_allclose(new_m, 0.9 * m + 0.1 * mu, rtol=1e-15)
    np.testing.assert_allclose(new_v, 0.9 * v + 0.1 * var, rtol=1e-15)
    np.testing.assert_array_equal(nz.update_running_statistics(m, v, mu, var, momentum=1.0)[0], m)
    np.testing.assert_array_equal(nz.update_running_statistics(m, v, mu, var, momentum=0.0)[1], var)
    for a, b in zip((m, v, mu, var), before, strict=True):
        np.testing.assert_array_equal(a, b)


def test_running_mean_converges_to_the_data_mean_with_weight_momentum_to_the_t_on_the_start():
    rng = np.random.default_rng(14)
    data = rng.normal([5.0, -3.0], [1.0, 2.0], (20_000, 2))
    batches = np.split(data, 400)  # 400 batches of 50
    means, variances = nz.running_statistics(batches, momentum=0.98)
    np.testing.assert_array_equal(means[0], [0, 0])
    np.testing.assert_array_equal(variances[0], [1, 1])
    np.testing.assert_allclose(means[-1], data.mean(axis=0), atol=0.1)
    np.testing.assert_allclose(variances[-1], data.var(axis=0) * 49 / 50, rtol=0.1)
    # with identical batches the start's weight is exactly momentum^t
    same = [data[:50]] * 30
    means = nz.running_statistics(same, momentum=0.9)[0]
    mu = data[:50].mean(axis=0)
    np.testing.assert_allclose(means[30], (1 - 0.9**30) * mu, rtol=1e-12)


# ---------------------------------------------------------------------------
# The Keras builder


@pytest.mark.parametrize("placement, normalization, per_layer", [
    ("none", "batch", lambda i, u: i * u + u),
    ("after", "batch", lambda i, u: i * u + u + 4 * u),   # Dense bias + gamma, beta, mean, var
    ("before", "batch", lambda i, u: i * u + 4 * u),      # no Dense bias: BN's beta replaces it
    ("after", "layer", lambda i, u: i * u + u + 2 * u),   # LayerNormalization: gamma and beta only
    ("before", "layer", lambda i, u: i * u + 2 * u),
])
def test_builder_output_shape_and_parameter_count(placement, normalization, per_layer):
    model = nz.build_normalized_mlp(6, [8, 5], 3, placement=placement, normalization=normalization)
    expected = per_layer(6, 8) + per_layer(8, 5) + 5 * 3 + 3
    assert model.count_params() == expected
    assert model(np.zeros((4, 6), dtype="float32")).shape == (4, 3)
    kinds = [type(layer).__name__ for layer in model.layers]
    if placement == "before":
        assert kinds[:3] == ["Dense", f"{normalization.capitalize()}Normalization", "Activation"]
        assert not model.get_layer("dense_1").use_bias
    n_norm = sum(k.endswith("Normalization") for k in kinds)
    assert n_norm == (0 if placement == "none" else 2)


def test_builder_input_normalization_flattens_images_and_counts_four_parameters_per_feature():
    model = nz.build_normalized_mlp((4, 4), [3], 2, placement="none", input_normalization=True,
                                    momentum=0.9)
    assert [type(layer).__name__ for layer in model.layers][:2] == ["Flatten",
                                                                   "BatchNormalization"]
    assert model.get_layer("input_batch_norm").momentum == 0.9
    assert model.count_params() == 4 * 16 + (16 * 3 + 3) + (3 * 2 + 2)
    assert model(np.zeros((2, 4, 4), dtype="float32")).shape == (2, 2)


@pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")  # inside Keras' save
def test_builder_serialization_round_trip(tmp_path):
    model = nz.build_normalized_mlp(4, [6, 6], 2, placement="before", input_normalization=True)
    x = np.random.default_rng(15).normal(size=(9, 4)).astype("float32")
    model(x, training=True)  # move the moving statistics off their start
    path = tmp_path / "bn_mlp.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)
    assert loaded.count_params() == model.count_params()


@pytest.mark.parametrize("placement", ["after", "before"])
def test_builder_short_training_lowers_the_loss(placement):
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(16)
    x = rng.normal(size=(128, 5)).astype("float32")
    y = (x[:, 0] + x[:, 1] ** 2 > 1).astype("int64")
    model = nz.build_normalized_mlp(5, [16, 16], 2, placement=placement)
    model.compile(keras.optimizers.Adam(0.01), "sparse_categorical_crossentropy")
    history = model.fit(x, y, epochs=8, batch_size=32, verbose=0).history
    assert history["loss"][-1] < 0.7 * history["loss"][0]


# ---------------------------------------------------------------------------
# Bad inputs


def _cache():
    x, gamma, beta, _ = batch(n=4, d=3)
    return nz.batchnorm_forward(x, gamma, beta)[1]


@pytest.mark.parametrize("call, error, match", [
    (lambda: nz.batch_statistics(np.ones(3)), ValueError, r"x must be a 2-D array of shape \(N, D\)"),
    (lambda: nz.batch_statistics(np.ones((0, 3))), ValueError,
     r"x must be a 2-D array of shape \(N, D\) with no empty axis, got shape \(0, 3\)"),
    (lambda: nz.example_statistics("x"), TypeError, "x must be a float array"),
    (lambda: nz.batchnorm_forward(np.full((2, 3), np.nan), np.ones(3), np.zeros(3)), ValueError,
     "x must be finite"),
    (lambda: nz.batchnorm_forward(np.ones((2, 3)), np.ones(4), np.zeros(3)), ValueError,
     r"gamma must have shape \(3,\), got \(4,\)"),
    (lambda: nz.batchnorm_forward(np.ones((2, 3)), np.ones(3), np.zeros((3, 1))), ValueError,
     r"beta must be a 1-D array of shape \(D,\) with no empty axis"),
    (lambda: nz.batchnorm_forward(np.ones((2, 3)), np.ones(3), np.zeros(3), eps=0), ValueError,
     "eps must be a positive finite number"),
    (lambda: nz.layernorm_forward(np.ones((2, 3)), np.ones(3), np.zeros(3), eps="1e-3"), TypeError,
     "eps must be a number, got str"),
    (lambda: nz.batchnorm_inference(np.ones((2, 3)), np.ones(3), np.zeros(3), np.zeros(2),
                                    np.ones(3)), ValueError, r"running_mean must have shape \(3,\)"),
    (lambda: nz.batchnorm_inference(np.ones((2, 3)), np.ones(3), np.zeros(3), np.zeros(3),
                                    -np.ones(3)), ValueError, "running_var must be >= 0"),
    (lambda: nz.update_running_statistics(np.zeros(3), np.ones(3), np.zeros(3), np.ones(3),
                                          momentum=1.5), ValueError,
     r"momentum must be a finite number in \[0, 1\]"),
    (lambda: nz.update_running_statistics(np.zeros(3), np.ones(3), np.zeros(3), np.ones(3),
                                          momentum=True), TypeError, "momentum must be a number"),
    (lambda: nz.update_running_statistics(np.zeros(3), np.ones(2), np.zeros(3), np.ones(3)),
     ValueError, r"running_var must have shape \(3,\)"),
    (lambda: nz.running_statistics([]), ValueError, "batches must hold at least one"),
    (lambda: nz.running_statistics([np.ones((2, 3)), np.ones((2, 4))]), ValueError,
     r"batches\[1\] must have 3 features"),
    (lambda: nz.batchnorm_backward(np.ones((4, 3)), None), TypeError,
     r"cache must be the 5-tuple \(x_hat, gamma, mean, var, eps\) that batchnorm_forward"),
    (lambda: nz.batchnorm_backward(np.ones((5, 3)), _cache()), ValueError,
     r"dout must have the shape of the forward pass's output \(4, 3\), got \(5, 3\)"),
    (lambda: nz.layernorm_backward(np.ones((4, 3)), _cache()), ValueError,
     r"cache.mean must have shape \(4,\), got \(3,\)"),
    (lambda: nz.layernorm_backward(np.ones((4, 3)), (1, 2)), ValueError,
     "that layernorm_forward returned, got a tuple of 2"),
    (lambda: nz.gradient_check("dropout"), ValueError, "layer must be one of"),
    (lambda: nz.gradient_check(n=0), ValueError, "n must be an int >= 1"),
    (lambda: nz.keras_normalization("batchnorm", np.ones((2, 3)), np.ones(3), np.zeros(3),
                                    np.ones((3, 3))), ValueError, "dout must have the shape of x"),
    (lambda: nz.keras_normalization("groupnorm", np.ones((2, 3)), np.ones(3), np.zeros(3),
                                    np.ones((2, 3))), ValueError,
     r"layer must be one of \('batchnorm', 'layernorm'\), got 'groupnorm'"),
    (lambda: nz.build_normalized_mlp(4, [8], 2, placement="middle"), ValueError,
     "placement must be one of"),
    (lambda: nz.build_normalized_mlp(4, [8], 2, normalization="group"), ValueError,
     "normalization must be one of"),
    (lambda: nz.build_normalized_mlp(4, [8, 0], 2), ValueError, "hidden must be a sequence"),
    (lambda: nz.build_normalized_mlp((4, -1), [8], 2), ValueError, "input_shape must be"),
    (lambda: nz.build_normalized_mlp("4", [8], 2), TypeError, "input_shape must be .* got str"),
    (lambda: nz.build_normalized_mlp(4, "8", 2), TypeError, "hidden must be a sequence .* got str"),
    (lambda: nz.build_normalized_mlp(4, [8], 2, input_normalization=1), TypeError,
     "input_normalization must be a bool"),
    (lambda: nz.build_normalized_mlp(4, [8], 2, momentum=2), ValueError,
     "momentum must be a finite number in"),
    (lambda: nz.build_normalized_mlp(4, [8], 2.0), TypeError, "n_outputs must be an int"),
])
def test_bad_inputs_are_named(call, error, match):
    with pytest.raises(error, match=match):
        call()

