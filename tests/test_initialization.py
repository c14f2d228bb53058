"""Tests for dlbook.initialization: fans, variances, samplers against Keras, the deep network."""

import json
import math

import keras
import numpy as np
import pytest
from scipy import stats

from dlbook import activations, backend
from dlbook import initialization as ini
from dlbook.gradcheck import numerical_gradient, relative_error
from tests.tolerances import AUTODIFF_RTOL

GRAD_TOL = 1e-7  # float64 analytic vs central-difference gradients
AUTODIFF_TOL = AUTODIFF_RTOL  # relative error against automatic differentiation (tests/tolerances.py)
KERAS_TOL = 1e-5  # Keras computes in float32: about 7 significant digits

# A kernel of 250,000 weights with different fans, so that Glorot, He and LeCun all differ.
BIG = (400, 625)
# The sample variance of n draws has a relative standard deviation of sqrt((kurtosis - 1) / n),
# below 0.3 % here for every distribution: 2 % is more than six standard deviations.
VARIANCE_RTOL = 0.02
# Two-sample Kolmogorov-Smirnov distance between NumPy and Keras samples of BIG: with n = m =
# 250,000 the 0.1 % critical value is 1.95 sqrt(2 / n) = 0.0055. A truncated normal and an
# untruncated normal with the same variance are 0.018 apart.
KS_MAX = 0.0055
KERAS_CLASSES = {
    "glorot_normal": "GlorotNormal", "glorot_uniform": "GlorotUniform",
    "he_normal": "HeNormal", "he_uniform": "HeUniform",
    "lecun_normal": "LecunNormal", "lecun_uniform": "LecunUniform",
}
ACTIVATIONS = ["sigmoid", "tanh", "relu", "leaky_relu", "elu", "selu"]


def keras_sample(name, shape, seed=1):
    initializer = getattr(keras.initializers, KERAS_CLASSES[name])(seed=seed)
    return keras.ops.convert_to_numpy(initializer(shape)).astype(np.float64)


# ---------------------------------------------------------------------------
# Fans and variances


@pytest.mark.parametrize("shape, expected", [
    ((784, 300), (784, 300)),  # Dense (in, out)
    ((3, 3, 16, 32), (144, 288)),  # Conv2D (kh, kw, c_in, c_out): receptive field 9
    ((5, 4, 8), (20, 40)),  # Conv1D (k, c_in, c_out)
    ((2, 3, 3, 4, 6), (72, 108)),  # Conv3D
    ((7,), (7, 7)),  # a vector
])
def test_fans_of_dense_and_convolution_kernels(shape, expected):
    assert ini.fans(shape) == expected


@pytest.mark.parametrize("shape", [(30, 50), (3, 3, 16, 32), (5, 4, 8)])
@pytest.mark.parametrize("mode", ["fan_in", "fan_out"])
def test_fans_agree_with_the_fans_keras_scales_by(shape, mode):
    """Keras' VarianceScaling(scale=3, uniform) draws from U(-r, r) with r = sqrt(9 / fan)."""
    fan = dict(zip(("fan_in", "fan_out"), ini.fans(shape), strict=True))[mode]
    initializer = keras.initializers.VarianceScaling(3.0, mode, "uniform", seed=0)
    sample = keras.ops.convert_to_numpy(initializer(shape))
    r = math.sqrt(9.0 / fan)
    assert np.abs(sample).max() <= r * (1 + 1e-6)
    # the largest of >= 1,500 uniform draws lies within 1 % of the limit (failure odds ~1e-6)
    assert np.abs(sample).max() > 0.99 * r


def test_variances_are_the_formulas_of_the_chapter():
    fan_in, fan_out = 300, 100
    assert ini.variance("glorot", fan_in, fan_out) == pytest.approx(1 / ((fan_in + fan_out) / 2))
    assert ini.variance("he", fan_in, fan_out) == pytest.approx(2 / fan_in)
    assert ini.variance("lecun", fan_in, fan_out) == pytest.approx(1 / fan_in)
    assert ini.uniform_limit("glorot", fan_in, fan_out) == pytest.approx(
        math.sqrt(6 / (fan_in + fan_out)))
    for rule in ini.RULES:  # U(-r, r) has variance r^2 / 3
        assert ini.uniform_limit(rule, fan_in, fan_out) ** 2 / 3 == pytest.approx(
            ini.variance(rule, fan_in, fan_out))


def test_the_table_pairs_each_rule_with_its_activations():
    rows = {row.rule: row for row in ini.INIT_FOR_ACTIVATION}
    assert set(rows) == {"Glorot", "He", "LeCun"}
    assert "tanh" in rows["Glorot"].activations and "sigmoid" in rows["Glorot"].activations
    assert "ReLU" in rows["He"].activations
    assert "SELU" in rows["LeCun"].activations
    assert {row.paper for row in rows.values()} == {
        "glorot2010understanding", "he2015delving", "klambauer2017self"}


def test_truncated_std_is_the_std_of_a_standard_normal_cut_at_two():
    assert ini.TRUNCATED_STD == pytest.approx(stats.truncnorm(-2, 2).std(), rel=1e-12)


# ---------------------------------------------------------------------------
# Samplers against Keras


@pytest.mark.parametrize("name", sorted(ini.INITIALIZERS))
def test_numpy_and_keras_initializers_draw_the_same_distribution(name):
    rule, distribution = ini.INITIALIZERS[name]
    sigma2 = ini.variance(rule, *ini.fans(BIG))
    ours = ini.initialize(name, np.random.default_rng(0), BIG)
    theirs = keras_sample(name, BIG)
    assert ours.shape == theirs.shape == BIG and ours.dtype == np.float64
    for sample in (ours, theirs):
        assert sample.var() == pytest.approx(sigma2, rel=VARIANCE_RTOL)
        assert abs(sample.mean()) < 5 * math.sqrt(sigma2 / sample.size)
    bound = (math.sqrt(3 * sigma2) if distribution == "uniform"
             else 2 * math.sqrt(sigma2) / ini.TRUNCATED_STD)
    for sample in (ours, theirs):
        assert np.abs(sample).max() <= bound * (1 + 1e-6)  # float32 rounding in Keras
        assert np.abs(sample).max() > 0.99 * bound
    assert stats.ks_2samp(ours.ravel(), theirs.ravel()).statistic < KS_MAX


def test_the_ks_check_tells_a_truncated_normal_from_an_untruncated_one():
    """The distribution test above can fail: Keras' normal is truncated, N(0, sigma^2) is not."""
    sigma2 = ini.variance("he", *ini.fans(BIG))
    untruncated = ini.variance_scaling(np.random.default_rng(0), BIG, "he", "untruncated_normal")
    assert untruncated.var() == pytest.approx(sigma2, rel=VARIANCE_RTOL)
    assert stats.ks_2samp(untruncated.ravel(), keras_sample("he_normal", BIG).ravel()
                          ).statistic > 2 * KS_MAX


def test_untruncated_normal_matches_keras_variance_scaling():
    initializer = keras.initializers.VarianceScaling(1.0, "fan_avg", "untruncated_normal", seed=3)
    theirs = keras.ops.convert_to_numpy(initializer(BIG)).astype(np.float64)
    ours = ini.variance_scaling(np.random.default_rng(3), BIG, "glorot", "untruncated_normal")
    assert stats.ks_2samp(ours.ravel(), theirs.ravel()).statistic < KS_MAX


def test_truncated_normal_has_the_requested_std_and_no_sample_beyond_two_of_its_scale():
    x = ini.truncated_normal(np.random.default_rng(5), (200_000,), 0.3)
    s = 0.3 / ini.TRUNCATED_STD
    assert np.abs(x).max() <= 2 * s
    assert x.std() == pytest.approx(0.3, rel=VARIANCE_RTOL / 2)
    expected = stats.truncnorm(-2, 2, scale=s)
    assert stats.kstest(x, expected.cdf).statistic < 1.95 / math.sqrt(x.size)


@pytest.mark.parametrize("name", sorted(ini.INITIALIZERS))
def test_named_initializers_are_variance_scaling_with_their_rule(name):
    rule, distribution = ini.INITIALIZERS[name]
    shape = (3, 3, 4, 5)
    a = ini.initialize(name, np.random.default_rng(9), shape)
    b = ini.variance_scaling(np.random.default_rng(9), shape, rule, distribution)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, ini.initialize(name, np.random.default_rng(10), shape))


# ---------------------------------------------------------------------------
# The deep network: gradients


def network(sizes, activation, seed=0, n=7):
    """Weights moved off the zero biases, random inputs and targets."""
    rng = np.random.default_rng(seed)
    weights, biases = ini.init_network(sizes, "glorot", rng)
    biases = [rng.normal(0, 0.2, b.shape) for b in biases]
    X = rng.normal(size=(n, sizes[0]))
    Y = rng.normal(size=(n, sizes[-1]))
    return weights, biases, X, Y


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_loss_gradients_match_finite_differences(activation):
    weights, biases, X, Y = network([3, 5, 4, 2], activation)
    _, grads, _ = ini.loss_and_gradients(weights, biases, X, Y, activation)

    def loss(ws, bs, x):
        return ini.loss_and_gradients(ws, bs, x, Y, activation)[0]

    for l in range(len(weights)):
        def of_w(W, l=l):
            return loss(weights[:l] + [W] + weights[l + 1:], biases, X)

        def of_b(b, l=l):
            return loss(weights, biases[:l] + [b] + biases[l + 1:], X)

        assert relative_error(grads.weights[l], numerical_gradient(of_w, weights[l].copy())) < GRAD_TOL
        assert relative_error(grads.biases[l], numerical_gradient(of_b, biases[l].copy())) < GRAD_TOL
    numeric_x = numerical_gradient(lambda x: loss(weights, biases, x), X.copy())
    assert relative_error(grads.inputs, numeric_x) < GRAD_TOL


def keras_network_loss(X, Y, activation, n_layers):
    """The same network and MSE, written independently with keras.ops (params: W1, b1, W2, ...)."""
    g = {"sigmoid": keras.ops.sigmoid, "tanh": keras.ops.tanh, "relu": keras.ops.relu,
         "elu": keras.ops.elu, "selu": keras.ops.selu,
         # keras.ops.leaky_relu would round its slope 0.1 to float32
         "leaky_relu": lambda z: keras.ops.where(z > 0, z, 0.1 * z)}[activation]

    def loss(params):
        a = keras.ops.convert_to_tensor(X)
        for l in range(n_layers):
            z = keras.ops.matmul(a, params[2 * l]) + params[2 * l + 1]
            a = z if l == n_layers - 1 else g(z)
        return keras.ops.sum((a - keras.ops.convert_to_tensor(Y)) ** 2) / Y.size
    return loss


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_gradients_match_automatic_differentiation(activation):
    weights, biases, X, Y = network([4, 6, 5, 3, 2], activation, seed=1, n=9)
    _, grads, _ = ini.loss_and_gradients(weights, biases, X, Y, activation)
    params = [p for pair in zip(weights, biases, strict=True) for p in pair]
    auto = backend.autodiff_gradient(keras_network_loss(X, Y, activation, len(weights)), params)
    ours = [p for pair in zip(grads.weights, grads.biases, strict=True) for p in pair]
    for mine, theirs in zip(ours, auto, strict=True):
        assert relative_error(mine, theirs) < AUTODIFF_TOL


def test_backward_of_any_upstream_gradient_is_the_vector_jacobian_product():
    weights, biases, X, _ = network([3, 4, 4, 2], "elu", seed=2)
    dout = np.random.default_rng(3).normal(size=(X.shape[0], 2))
    _, cache = ini.forward(weights, biases, X, "elu")
    grads = ini.backward(dout, cache)
    numeric = numerical_gradient(lambda W: float(np.sum(
        dout * ini.forward([W] + weights[1:], biases, X, "elu")[0])), weights[0].copy())
    assert relative_error(grads.weights[0], numeric) < GRAD_TOL


def test_forward_and_loss_equal_keras_with_the_same_weights():
    weights, biases, X, Y = network([5, 8, 8, 3], "tanh", seed=4, n=16)
    model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(8, activation="tanh"),
                              keras.layers.Dense(8, activation="tanh"), keras.layers.Dense(3)])
    model.set_weights([p for pair in zip(weights, biases, strict=True) for p in pair])
    output, cache = ini.forward(weights, biases, X, "tanh")
    np.testing.assert_allclose(output, model.predict(X, verbose=0), atol=KERAS_TOL)
    expected = float(keras.losses.MeanSquaredError()(Y, output))
    assert ini.mse(output, Y)[0] == pytest.approx(expected, rel=KERAS_TOL)
    assert [a.shape for a in cache.inputs] == [(16, 5), (16, 8), (16, 8)]
    assert [z.shape for z in cache.z] == [(16, 8), (16, 8), (16, 3)]


# ---------------------------------------------------------------------------
# Layer statistics


def test_layer_statistics_count_dead_zero_and_saturated_units():
    X = np.random.default_rng(6).normal(size=(50, 3))
    W1 = np.ones((3, 4))
    b1 = np.array([0.0, 0.0, -100.0, 100.0])  # unit 3 is dead, unit 4 always active
    W2 = np.ones((4, 1))
    weights, biases = [W1, W2], [b1, np.zeros(1)]
    _, cache = ini.forward(weights, biases, X, "relu")
    s = ini.layer_statistics(cache)
    a1 = np.maximum(X @ W1 + b1, 0)
    assert s.dead_fraction.tolist() == [0.25]
    assert s.zero_fraction[0] == pytest.approx(np.mean(a1 == 0))
    assert s.mean[0] == pytest.approx(a1.mean()) and s.std[0] == pytest.approx(a1.std())
    assert s.saturated_fraction[0] == pytest.approx(np.mean(X @ W1 + b1 <= 0))  # relu' = 0 there
    assert np.isnan(s.grad_norm).all()

    _, cache = ini.forward(weights, biases, X, "sigmoid")  # |z| = 100: saturated
    s = ini.layer_statistics(cache)
    z1 = X @ W1 + b1
    expected = np.mean(activations.sigmoid_prime(z1) < ini.SATURATED_SLOPE * 0.25)
    assert s.saturated_fraction[0] == pytest.approx(expected) and expected >= 0.5
    assert s.dead_fraction[0] == 0  # a sigmoid is never exactly 0 here


def test_layer_statistics_report_the_hidden_layers_and_their_gradient_norms():
    weights, biases, X, Y = network([3, 6, 5, 2], "tanh", seed=7)
    _, grads, cache = ini.loss_and_gradients(weights, biases, X, Y, "tanh")
    s = ini.layer_statistics(cache, grads)
    assert all(len(field) == 2 for field in s)  # two hidden layers
    np.testing.assert_allclose(s.grad_norm, [np.linalg.norm(g) for g in grads.weights[:2]])


def test_probe_shows_sigmoid_gradients_vanishing_and_tanh_gradients_kept_by_glorot():
    """With Glorot and near-zero z each layer scales the gradient by about g'(0) sqrt(n sigma^2)."""
    depth = 12
    sig = ini.probe(depth, 60, "sigmoid", "glorot", np.random.default_rng(0), n_samples=128)
    tanh = ini.probe(depth, 60, "tanh", "glorot", np.random.default_rng(0), n_samples=128)
    sig_gain = (sig.grad_norm[0] / sig.grad_norm[-1]) ** (1 / (depth - 1))
    tanh_gain = (tanh.grad_norm[0] / tanh.grad_norm[-1]) ** (1 / (depth - 1))
    assert sig_gain < 0.35  # theory: about 1/4
    assert 0.7 < tanh_gain < 1.4  # theory: about 1
    assert sig.saturated_fraction.max() < 0.01


def test_probe_shows_relu_signal_halving_with_glorot_and_kept_with_he():
    depth = 10
    glorot = ini.probe(depth, 200, "relu", "glorot", np.random.default_rng(1))
    he = ini.probe(depth, 200, "relu", "he", np.random.default_rng(1))
    # ReLU keeps half of the second moment: Glorot's sigma^2 = 1/n halves it per layer
    glorot_ratio = (glorot.std[-1] / glorot.std[0]) ** (1 / (depth - 1))
    assert glorot_ratio == pytest.approx(1 / math.sqrt(2), rel=0.1)
    assert 0.5 < he.std[-1] / he.std[0] < 2


def test_probe_shows_selu_self_normalizing_only_with_lecun_init():
    lecun = ini.probe(40, 200, "selu", "lecun", np.random.default_rng(2))
    he = ini.probe(40, 200, "selu", "he", np.random.default_rng(2))
    assert np.all(np.abs(lecun.mean) < 0.15) and np.all(np.abs(lecun.std - 1) < 0.15)
    assert he.std[-1] > 2 and he.mean[-1] > 0.5


def test_activation_stds_is_the_std_of_each_layer_without_biases():
    rng = np.random.default_rng(8)
    X = rng.normal(size=(20, 4))
    weights = [rng.normal(size=(4, 6)), rng.normal(size=(6, 3))]
    a1 = np.tanh(X @ weights[0])
    np.testing.assert_allclose(ini.activation_stds(X, weights, "tanh"),
                               [a1.std(), np.tanh(a1 @ weights[1]).std()])


# ---------------------------------------------------------------------------
# Initialization and training of the network


def test_init_network_shapes_variances_and_the_naive_fixed_std():
    weights, biases = ini.init_network([300, 200, 100], "he", np.random.default_rng(0))
    assert [W.shape for W in weights] == [(300, 200), (200, 100)]
    assert all(np.all(b == 0) for b in biases) and [b.shape for b in biases] == [(200,), (100,)]
    assert weights[0].var() == pytest.approx(2 / 300, rel=0.03)
    naive, _ = ini.init_network([300, 200], 1.0, np.random.default_rng(0))
    assert naive[0].std() == pytest.approx(1.0, rel=0.03)


def test_training_lowers_the_loss_and_leaves_its_arguments_alone():
    weights, biases, X, _ = network([3, 8, 8, 1], "relu", seed=5, n=32)
    Y = X[:, :1] - 0.5 * X[:, 1:2]
    before = [W.copy() for W in weights]
    (trained, trained_biases), history = ini.train(weights, biases, X, Y, "relu", 0.05, 100)
    assert history.loss.shape == history.dead_fraction.shape == (101,)
    assert history.loss[-1] < 0.5 * history.loss[0]
    assert np.all((history.dead_fraction >= 0) & (history.dead_fraction <= 1))
    for W, W0 in zip(weights, before, strict=True):
        np.testing.assert_array_equal(W, W0)
    final = ini.mse(ini.forward(trained, trained_biases, X, "relu")[0], Y)[0]
    assert final == pytest.approx(history.loss[-1])


def test_training_stops_where_the_loss_overflows():
    weights, biases, X, Y = network([3, 8, 8, 1], "relu", seed=5, n=32)
    _, history = ini.train(weights, biases, X, Y * 1e3, "relu", 50.0, 200)
    assert len(history.loss) < 201 and np.all(np.isfinite(history.loss))


# ---------------------------------------------------------------------------
# The Keras builder


def test_deep_mlp_shape_parameters_initializers_and_round_trip():
    model = ini.build_deep_mlp(4, 16, "selu", "lecun_normal", n_inputs=6, n_outputs=3)
    assert model.output_shape == (None, 3)
    assert model.count_params() == 7 * 16 + 3 * 17 * 16 + 17 * 3
    assert all(type(layer.kernel_initializer).__name__ == "LecunNormal" for layer in model.layers)
    x = np.random.default_rng(0).normal(size=(5, 6)).astype("float32")
    restored = keras.models.model_from_json(model.to_json())
    restored.set_weights(model.get_weights())
    np.testing.assert_allclose(restored.predict(x, verbose=0), model.predict(x, verbose=0),
                               atol=1e-6)
    assert json.loads(model.to_json())["config"]["name"] == "deep_selu_4x16"


def test_deep_mlp_with_a_fixed_std_uses_random_normal():
    keras.utils.set_random_seed(0)
    model = ini.build_deep_mlp(2, 400, "tanh", 1.0, n_inputs=300, n_outputs=2)
    kernel = model.layers[1].get_weights()[0]
    assert type(model.layers[1].kernel_initializer).__name__ == "RandomNormal"
    assert kernel.std() == pytest.approx(1.0, rel=0.03)


def test_deep_mlp_training_lowers_the_loss():
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(128, 8)).astype("float32")
    y = (x[:, 0] + x[:, 1] > 0).astype("int32")
    model = ini.build_deep_mlp(6, 16, "relu", "he_normal", n_inputs=8, n_outputs=2)
    model.compile(keras.optimizers.Adam(0.01),
                  keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    history = model.fit(x, y, epochs=10, batch_size=32, verbose=0)
    assert history.history["loss"][-1] < 0.7 * history.history["loss"][0]


# ---------------------------------------------------------------------------
# Bad inputs


def _cache():
    weights, biases, X, _ = network([3, 4, 2], "tanh")
    return ini.forward(weights, biases, X, "tanh")[1]


RNG = np.random.default_rng(0)
W2, B2 = [np.ones((3, 4)), np.ones((4, 2))], [np.zeros(4), np.zeros(2)]
X3 = np.ones((5, 3))


@pytest.mark.parametrize("call, error, match", [
    (lambda: ini.fans(()), ValueError, r"shape must be a positive int or a tuple of them, got \(\)"),
    (lambda: ini.fans((3, 0)), ValueError, r"shape must be a positive int or a tuple of them, got \(3, 0\)"),
    (lambda: ini.fans("3x3"), TypeError, "shape must be a positive int or a tuple of them, got str"),
    (lambda: ini.variance("xavier", 3, 4), ValueError, "rule must be one of"),
    (lambda: ini.variance("he", 0, 4), ValueError,
     r"fan_in must be a finite number in \[1, inf\), got 0"),
    (lambda: ini.variance("he", 3, "4"), TypeError, "fan_out must be a number, got str"),
    (lambda: ini.truncated_normal(0, (3,), 1.0), TypeError, "rng must be a numpy.random.Generator"),
    (lambda: ini.truncated_normal(RNG, (3,), -1.0), ValueError, "std must be a positive"),
    (lambda: ini.variance_scaling(RNG, (3, 4), "he", "normal"), ValueError,
     "distribution must be one of"),
    (lambda: ini.initialize("glorot", RNG, (3, 4)), ValueError, "name must be one of"),
    (lambda: ini.init_network([3], "he", RNG), ValueError, "layer_sizes must hold at least two sizes"),
    (lambda: ini.init_network([3, 0], "he", RNG), ValueError, "layer_sizes must be a non-empty sequence"),
    (lambda: ini.init_network([3, 4], "kaiming", RNG), ValueError, "initializer must be one of"),
    (lambda: ini.init_network([3, 4], None, RNG), TypeError, "initializer must be one of"),
    (lambda: ini.init_network([3, 4], 0.0, RNG), ValueError, "std must be a positive"),
    (lambda: ini.forward(W2, B2, X3, "swish"), ValueError, "activation must be one of"),
    (lambda: ini.forward(W2, B2, X3[:, :2], "tanh"), ValueError, r"X must have shape \(N, 3\)"),
    (lambda: ini.forward(W2, B2, X3 * np.nan, "tanh"), ValueError, "X must be finite"),
    (lambda: ini.forward([W2[0], np.ones((5, 2))], B2, X3, "tanh"), ValueError,
     r"weights\[1\] must have 4 rows"),
    (lambda: ini.forward(W2, B2[:1], X3, "tanh"), ValueError, "one vector per kernel"),
    (lambda: ini.forward(W2, [np.zeros(4), np.zeros(3)], X3, "tanh"), ValueError,
     r"biases\[1\] must have shape \(2,\)"),
    (lambda: ini.forward([], [], X3, "tanh"), ValueError, "weights must be a non-empty list"),
    (lambda: ini.backward(np.ones((5, 3)), _cache()), ValueError,
     r"dout must have the shape of the network's output \(7, 2\)"),
    (lambda: ini.backward(np.ones((7, 2)), None), TypeError, "cache must be the Cache"),
    (lambda: ini.mse(np.ones((5, 2)), np.ones((5, 3))), ValueError, r"Y must have the shape"),
    (lambda: ini.layer_statistics(_cache(), "grads"), ValueError, "gradients must be"),
    (lambda: ini.probe(0, 4, "tanh", "glorot", RNG), ValueError, "depth must be an int >= 1"),
    (lambda: ini.probe(2, 4, "tanh", "glorot", RNG, input_std=0.0), ValueError,
     "input_std must be a positive finite number"),
    (lambda: ini.train(W2, B2, X3, np.ones((5, 2)), "tanh", -0.1, 3), ValueError,
     "learning_rate must be a positive"),
    (lambda: ini.train(W2, B2, X3, np.ones((5, 2)), "tanh", 0.1, 2.5), TypeError,
     "steps must be an int, got float"),
    (lambda: ini.train(W2, B2, X3, np.ones((5, 2)), "tanh", 0.1, -1), ValueError,
     "steps must be an int >= 0"),
    (lambda: ini.activation_stds(X3, W2, "step"), ValueError, "activation must be one of"),
    (lambda: ini.build_deep_mlp(0, 4, "relu"), ValueError, "depth must be an int >= 1"),
    (lambda: ini.build_deep_mlp(2, 4, "relu", None), TypeError, "kernel_initializer must be"),
])
def test_bad_inputs_are_named(call, error, match):
    with pytest.raises(error, match=match):
        call()
