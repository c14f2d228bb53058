"""Tests for dlbook.regularization and dlbook.regularization_keras: penalties, dropout, MC dropout."""


import keras
import numpy as np
import pytest

from dlbook import backend
from dlbook import regularization as reg
from dlbook import regularization_keras as regk
from dlbook.gradcheck import numerical_gradient, relative_error
from dlbook.regularization_keras import MCAlphaDropout, MCDropout
from tests.jax_run import run_on_jax

SHAPES = [(7,), (5, 3), (4, 3, 2)]
# model.save under TensorFlow converts tensors with a NumPy 1 call that NumPy 2 warns about
KERAS_SAVE_WARNING = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")


def weights(shape, seed=0):
    """Random weights kept away from 0, where |w| has no derivative."""
    rng = np.random.default_rng(seed)
    w = rng.normal(size=shape)
    return np.where(np.abs(w) < 0.05, 0.05 * np.sign(w) + 0.05 * (w == 0), w)


# ---------------------------------------------------------------------------
# Penalties


@pytest.mark.parametrize("shape", SHAPES)
def test_penalties_equal_keras_regularizers(shape):
    w = weights(shape, seed=len(shape))
    tensor = keras.ops.convert_to_tensor(w)  # float64: Keras sums in the input's dtype
    # Keras rounds the strength to float32 before casting it, so the strengths here are powers
    # of 2 (exact in float32); the rest is the same float64 formula: agreement to 1e-12 relative
    l1, l2 = 2.0**-6, 2.0**-8
    assert reg.l1_penalty(w, l1) == pytest.approx(float(keras.regularizers.L1(l1)(tensor)),
                                                  rel=1e-12)
    assert reg.l2_penalty(w, l2) == pytest.approx(float(keras.regularizers.L2(l2)(tensor)),
                                                  rel=1e-12)
    expected = float(keras.regularizers.L1L2(l1=l1, l2=0.5)(tensor))
    assert reg.l1_l2_penalty(w, l1, 0.5) == pytest.approx(expected, rel=1e-12)

def test_l2_has_no_factor_one_half():
    w = np.array([3.0, -4.0])
    assert reg.l2_penalty(w, 0.1) == pytest.approx(0.1 * 25)
    np.testing.assert_allclose(reg.l2_penalty_gradient(w, 0.1), [0.6, -0.8])


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("penalty, gradient, strengths", [
    (reg.l1_penalty, reg.l1_penalty_gradient, (0.3,)),
    (reg.l2_penalty, reg.l2_penalty_gradient, (0.7,)),
    (reg.l1_l2_penalty, reg.l1_l2_gradient, (0.2, 0.05)),
])
def test_penalty_gradients_match_finite_differences(shape, penalty, gradient, strengths):
    w = weights(shape, seed=3)
    numeric = numerical_gradient(lambda v: penalty(v, *strengths), w.copy())
    assert relative_error(gradient(w, *strengths), numeric) < 1e-7


def test_penalty_gradients_match_automatic_differentiation_of_keras_regularizers():
    w = weights((6, 4), seed=5)
    regularizer = keras.regularizers.L1L2(l1=0.25, l2=0.0625)  # exact in float32, as above
    auto = backend.autodiff_gradient(lambda ws: regularizer(ws[0]), [w])[0]
    assert relative_error(reg.l1_l2_gradient(w, 0.25, 0.0625), auto) < 1e-12


def test_l1_gradient_is_zero_at_zero_and_l1_pulls_with_constant_size():
    w = np.array([-2.0, -1e-9, 0.0, 1e-9, 5.0])
    np.testing.assert_array_equal(reg.l1_penalty_gradient(w, 0.5), [-0.5, -0.5, 0, 0.5, 0.5])


def test_penalties_leave_their_input_unchanged_and_accept_zero_strength():
    w = weights((3, 3))
    before = w.copy()
    assert reg.l2_penalty(w, 0) == 0.0
    reg.l1_l2_gradient(w, 0.1, 0.1)
    np.testing.assert_array_equal(w, before)


@pytest.mark.parametrize("call, error, match", [
    (lambda: reg.l2_penalty(np.ones(3), -0.1), ValueError,
     r"l2 must be a finite number in \[0, inf\)"),
    (lambda: reg.l1_penalty(np.ones(3), "0.1"), TypeError, "l1 must be a number, got str"),
    (lambda: reg.l1_penalty_gradient(np.ones(3), np.inf), ValueError, "l1 must be a finite"),
    (lambda: reg.l2_penalty_gradient(np.array([1.0, np.nan]), 0.1), ValueError, "w must be finite"),
    (lambda: reg.l2_penalty("w", 0.1), TypeError, "w must be a float array, got str"),
    (lambda: reg.l1_l2_penalty(np.ones(2), 0.1, True), TypeError, "l2 must be a number"),
])
def test_penalties_reject_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()


# ---------------------------------------------------------------------------
# Inverted dropout


def test_kept_units_are_scaled_by_one_over_one_minus_p_and_dropped_units_are_zero():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(20, 30))
    out, cache = reg.dropout_forward(x, 0.25, rng=rng)
    kept = cache.mask == 1
    np.testing.assert_allclose(out[kept], x[kept] / 0.75, rtol=1e-15)
    assert np.all(out[~kept] == 0)
    assert cache.p == 0.25 and cache.training


def test_dropout_preserves_the_expected_value():
    rng = np.random.default_rng(1)
    x, p, draws = rng.normal(size=40), 0.4, 20_000
    outputs = np.array([reg.dropout_forward(x, p, rng=rng)[0] for _ in range(draws)])
    # each output entry has variance x^2 p / (1 - p); allow 5 standard errors per entry
    standard_error = np.abs(x) * np.sqrt(p / (1 - p) / draws)
    assert np.all(np.abs(outputs.mean(axis=0) - x) < 5 * standard_error)


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_the_fraction_of_dropped_units_is_p(p):
    mask = reg.dropout_mask((400, 500), p, np.random.default_rng(2))
    n = mask.size
    # binomial count of dropped units: within 5 standard deviations of n p
    assert abs((mask == 0).sum() - n * p) < 5 * np.sqrt(n * p * (1 - p))


def test_dropout_is_the_identity_at_inference_forward_and_backward():
    x = np.random.default_rng(3).normal(size=(6, 4))
    out, cache = reg.dropout_forward(x, 0.5, training=False)
    np.testing.assert_array_equal(out, x)
    assert out is not x and not cache.training
    dout = np.arange(24.0).reshape(6, 4)
    np.testing.assert_array_equal(reg.dropout_backward(dout, cache), dout)


def test_p_zero_keeps_everything_unscaled():
    x = np.random.default_rng(4).normal(size=(3, 5))
    out, cache = reg.dropout_forward(x, 0.0, rng=np.random.default_rng(0))
    np.testing.assert_array_equal(out, x)
    np.testing.assert_array_equal(cache.mask, 1)


def test_the_same_generator_seed_gives_the_same_mask_and_a_given_mask_is_used():
    x = np.ones((8, 8))
    a = reg.dropout_forward(x, 0.5, rng=np.random.default_rng(7))[1].mask
    b = reg.dropout_forward(x, 0.5, rng=np.random.default_rng(7))[1].mask
    np.testing.assert_array_equal(a, b)
    mask = np.eye(8, dtype=bool)
    out, cache = reg.dropout_forward(x, 0.5, mask=mask)
    np.testing.assert_array_equal(out, 2 * np.eye(8))
    assert cache.mask.dtype == np.float64


@pytest.mark.parametrize("shape, p", [((5, 4), 0.3), ((2, 3, 4), 0.5), ((10,), 0.9)])
def test_dropout_backward_matches_finite_differences_with_the_mask_fixed(shape, p):
    rng = np.random.default_rng(5)
    x, dout = rng.normal(size=shape), rng.normal(size=shape)
    _, cache = reg.dropout_forward(x, p, rng=rng)

    def loss(v):  # L = sum(dout * dropout(v)), so dL/d(output) = dout
        return float(np.sum(dout * reg.dropout_forward(v, p, mask=cache.mask)[0]))

    numeric = numerical_gradient(loss, x.copy())
    assert relative_error(reg.dropout_backward(dout, cache), numeric) < 1e-7


def test_dropout_agrees_with_keras_dropout():
    p, x = 0.3, np.random.default_rng(6).uniform(1, 2, (200, 500)).astype("float32")
    keras.utils.set_random_seed(0)
    layer = keras.layers.Dropout(p)
    theirs = keras.ops.convert_to_numpy(layer(x, training=True))
    kept = theirs != 0
    # Keras scales kept units by the same 1 / (1 - p) (float32: 1e-6 relative)
    np.testing.assert_allclose(theirs[kept], x[kept] / (1 - p), rtol=1e-6)
    # and drops the fraction p (5 binomial standard deviations)
    n = x.size
    assert abs((~kept).sum() - n * p) < 5 * np.sqrt(n * p * (1 - p))
    # with Keras' mask, ours gives Keras' output; both are the identity at inference
    ours, _ = reg.dropout_forward(x, p, mask=kept)
    np.testing.assert_allclose(ours, theirs, rtol=1e-6)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(layer(x, training=False)),
                                  reg.dropout_forward(x, p, training=False)[0])


@pytest.mark.parametrize("call, error, match", [
    (lambda: reg.dropout_forward(np.ones(3), 1.0, rng=np.random.default_rng()), ValueError,
     r"p must be a finite number in \[0, 1\), got 1.0"),
    (lambda: reg.dropout_forward(np.ones(3), -0.1, rng=np.random.default_rng()), ValueError,
     r"p must be a finite number in \[0, 1\)"),
    (lambda: reg.dropout_forward(np.ones(3), "half", rng=np.random.default_rng()), TypeError,
     "p must be a number, got str"),
    (lambda: reg.dropout_forward(np.ones(3), 0.5), ValueError, "exactly one of rng .* got neither"),
    (lambda: reg.dropout_forward(np.ones(3), 0.5, rng=np.random.default_rng(), mask=np.ones(3)),
     ValueError, "got both"),
    (lambda: reg.dropout_forward(np.ones(3), 0.5, rng=0), TypeError,
     r"rng must be a numpy.random.Generator \(np.random.default_rng\(seed\)\), got int"),
    (lambda: reg.dropout_forward(np.ones(3), 0.5, mask=np.ones(4)), ValueError,
     r"mask must have the shape of x, \(3,\), got \(4,\)"),
    (lambda: reg.dropout_forward(np.ones(3), 0.5, mask=np.array([1, 0.5, 0])), ValueError,
     "mask must hold only 0"),
    (lambda: reg.dropout_forward(np.ones(3), 0.5, mask=np.ones(3), training=1), TypeError,
     "training must be a bool, got int"),
    (lambda: reg.dropout_backward(np.ones(3), (np.ones(3), 0.5)), TypeError,
     "cache must be the DropoutCache returned by dropout_forward, got tuple"),
    (lambda: reg.dropout_backward(np.ones(4), reg.dropout_forward(np.ones(3), 0.5,
                                                                  mask=np.ones(3))[1]),
     ValueError, r"dout must have the shape of the forward output, \(3,\), got \(4,\)"),
    (lambda: reg.dropout_mask((2, -1), 0.5, np.random.default_rng()), ValueError,
     r"shape must be a positive int or a tuple of them, got \(2, -1\)"),
    (lambda: reg.dropout_mask((2, 1.5), 0.5, np.random.default_rng()), ValueError,
     "shape must be a positive int or a tuple of them"),
    (lambda: reg.dropout_mask("2", 0.5, np.random.default_rng()), TypeError,
     "shape must be a positive int or a tuple of them, got str"),
])
def test_dropout_rejects_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()


# ---------------------------------------------------------------------------
# Monte Carlo summaries (NumPy)


def test_mc_average_is_the_mean_and_sample_std_over_the_first_axis():
    predictions = np.random.default_rng(8).uniform(size=(9, 5, 3))
    mean, std = reg.mc_average(predictions)
    assert mean.shape == std.shape == (5, 3)
    np.testing.assert_allclose(mean, sum(predictions) / 9, rtol=1e-12)
    deviations = sum((p - mean) ** 2 for p in predictions)
    np.testing.assert_allclose(std, np.sqrt(deviations / 8), rtol=1e-12)


def test_predictive_entropy_equals_keras_cross_entropy_of_a_distribution_with_itself():
    logits = np.random.default_rng(9).normal(size=(12, 4))
    probabilities = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    expected = keras.ops.convert_to_numpy(
        keras.losses.categorical_crossentropy(probabilities, probabilities))
    # Keras clips probabilities at 1e-7: no entry here is that small, agreement to 1e-6
    np.testing.assert_allclose(reg.predictive_entropy(probabilities), expected, rtol=1e-6)


def test_predictive_entropy_is_zero_when_certain_and_log_k_when_uniform():
    probabilities = np.array([[1.0, 0.0, 0.0, 0.0], [0.25, 0.25, 0.25, 0.25]])
    np.testing.assert_allclose(reg.predictive_entropy(probabilities), [0.0, np.log(4)],
                               atol=1e-15)


@pytest.mark.parametrize("call, error, match", [
    (lambda: reg.mc_average(np.ones((1, 4, 2))), ValueError, "T >= 2 passes along axis 0"),
    (lambda: reg.mc_average(np.array(3.0)), ValueError, r"T >= 2 passes along axis 0, got shape \(\)"),
    (lambda: reg.predictive_entropy(np.ones(4) / 4), ValueError, r"shape \(N, K\)"),
    (lambda: reg.predictive_entropy(np.array([[0.5, 0.6]])), ValueError, "sum to 1"),
    (lambda: reg.predictive_entropy(np.array([[1.5, -0.5]])), ValueError, r"lie in \[0, 1\]"),
])
def test_mc_summaries_reject_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()


# ---------------------------------------------------------------------------
# Keras: the MC layers and predict_mc


def classifier(dropout_layer, d=6, k=3, seed=0):
    keras.utils.set_random_seed(seed)
    return keras.Sequential([keras.Input((d,)), keras.layers.Dense(16, activation="relu"),
                             dropout_layer, keras.layers.Dense(k, activation="softmax")])


@pytest.fixture
def x():
    return np.random.default_rng(10).normal(size=(32, 6)).astype("float32")


@pytest.mark.parametrize("layer", [MCDropout, MCAlphaDropout])
def test_mc_layers_are_the_keras_layers_they_extend(layer):
    base = {MCDropout: keras.layers.Dropout, MCAlphaDropout: keras.layers.AlphaDropout}[layer]
    assert issubclass(layer, base)
    instance = layer(0.2, seed=3)
    assert instance.count_params() == 0
    assert keras.saving.get_registered_name(layer) == f"dlbook>{layer.__name__}"
    config = instance.get_config()
    assert config["rate"] == 0.2 and config["seed"] == 3
    clone = layer.from_config(config)
    assert type(clone) is layer and clone.rate == 0.2


@pytest.mark.parametrize("layer", [MCDropout, MCAlphaDropout])
def test_mc_models_vary_between_predictions_and_plain_dropout_does_not(layer, x):
    mc = classifier(layer(0.5))
    assert mc.output_shape == (None, 3)
    assert not np.allclose(mc.predict(x, verbose=0), mc.predict(x, verbose=0))
    def call(**kwargs):
        return keras.ops.convert_to_numpy(mc(x, **kwargs))

    assert not np.allclose(call(), call())  # also when called directly, training=False or not
    assert not np.allclose(call(training=False), call(training=False))
    plain_layer = {MCDropout: keras.layers.Dropout, MCAlphaDropout: keras.layers.AlphaDropout}
    plain = classifier(plain_layer[layer](0.5))
    np.testing.assert_array_equal(plain.predict(x, verbose=0), plain.predict(x, verbose=0))


@KERAS_SAVE_WARNING
def test_a_saved_and_loaded_model_keeps_its_mc_layers_and_their_behaviour(x, tmp_path):
    model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(16, activation="selu"),
                              MCAlphaDropout(0.1), keras.layers.Dense(8, activation="relu"),
                              MCDropout(0.4), keras.layers.Dense(3, activation="softmax")])
    path = tmp_path / "mc.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert [type(layer).__name__ for layer in loaded.layers] == [
        "Dense", "MCAlphaDropout", "Dense", "MCDropout", "Dense"]
    assert loaded.layers[1].rate == 0.1 and loaded.layers[3].rate == 0.4
    for ours, theirs in zip(model.get_weights(), loaded.get_weights(), strict=True):
        np.testing.assert_array_equal(ours, theirs)
    assert not np.allclose(loaded.predict(x, verbose=0), loaded.predict(x, verbose=0))


def test_predict_mc_returns_mean_and_spread_shaped_like_a_prediction(x):
    mc = classifier(MCDropout(0.5))
    mean, std = regk.predict_mc(mc, x, n=20, batch_size=10)  # 4 chunks, the last one short
    assert mean.shape == std.shape == (32, 3)
    assert mean.dtype == std.dtype == np.float64
    np.testing.assert_allclose(mean.sum(axis=1), 1, atol=1e-5)  # a mean of softmax outputs
    assert np.all(std > 0)
    samples = regk.mc_samples(mc, x, n=3)
    assert samples.shape == (3, 32, 3)


def test_predict_mc_of_a_deterministic_model_has_no_spread(x):
    plain = classifier(keras.layers.Dropout(0.5))
    mean, std = regk.predict_mc(plain, x, n=3)
    np.testing.assert_allclose(mean, plain.predict(x, verbose=0), rtol=1e-6)
    np.testing.assert_array_equal(std, 0)


def test_the_mc_mean_of_a_linear_model_approaches_the_deterministic_output():
    # E[W^T (m * x / (1 - p)) + b] = W^T x + b exactly: inverted dropout keeps the expectation.
    # (Through a nonlinearity the MC mean and the deterministic output differ.)
    keras.utils.set_random_seed(1)
    dense = keras.layers.Dense(4)
    model = keras.Sequential([keras.Input((10,)), MCDropout(0.3), dense])
    x = np.random.default_rng(11).normal(size=(8, 10)).astype("float32")
    n = 500
    mean, std = regk.predict_mc(model, x, n=n)
    deterministic = keras.ops.convert_to_numpy(dense(x))
    # 5 standard errors of the mean per entry, plus float32 rounding
    assert np.all(np.abs(mean - deterministic) < 5 * std / np.sqrt(n) + 1e-5)
    assert np.all(std > 0)


def test_a_model_with_mc_dropout_trains(x):
    y = (x[:, 0] > 0).astype("int64") + (x[:, 1] > 0)
    model = classifier(MCDropout(0.2))
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy")
    history = model.fit(x, y, epochs=10, batch_size=8, verbose=0).history
    assert history["loss"][-1] < 0.7 * history["loss"][0]


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(n=1), ValueError, "n must be an int >= 2, got 1"),
    (dict(n=2.0), TypeError, "n must be an int, got float"),
    (dict(n=True), TypeError, "n must be an int, got bool"),
    (dict(n=5, batch_size=0), ValueError, "batch_size must be an int >= 1, got 0"),
    (dict(n=5, model=lambda x: x), TypeError, "model must be a keras.Model, got function"),
    (dict(n=5, x=np.zeros((0, 6))), ValueError, r"x must be a non-empty batch .* got shape \(0, 6\)"),
    (dict(n=5, x="abc"), TypeError, "x must be a float array, got str"),
    (dict(n=5, x=np.full((2, 6), np.nan)), ValueError, "x must be finite"),
])
def test_predict_mc_rejects_bad_input(kwargs, error, match, x):
    arguments = dict(model=classifier(MCDropout(0.5)), x=x) | kwargs
    with pytest.raises(error, match=match):
        regk.predict_mc(**arguments)


JAX_SCRIPT = """
import json, os, sys, tempfile
import numpy as np
import keras
from dlbook import regularization_keras as regk
from dlbook.regularization_keras import MCDropout
keras.utils.set_random_seed(0)
model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"),
                          MCDropout(0.5), keras.layers.Dense(2, activation="softmax")])
x = np.random.default_rng(0).normal(size=(5, 4)).astype("float32")
path = os.path.join(tempfile.mkdtemp(), "m.keras")
model.save(path)
loaded = keras.saving.load_model(path)
mean, std = regk.predict_mc(loaded, x, n=10)
print(json.dumps({"backend": keras.backend.backend(),
                  "varies": bool(not np.allclose(model.predict(x, verbose=0),
                                                 model.predict(x, verbose=0))),
                  "min_std": float(std.min()), "shape": list(mean.shape)}))
"""


@pytest.mark.slow
@pytest.mark.on_jax
def test_mc_dropout_works_under_jax_in_a_fresh_process():
    result = run_on_jax(JAX_SCRIPT)
    assert result["backend"] == "jax"
    assert result["varies"] and result["min_std"] > 0
    assert result["shape"] == [5, 2]


# ---------------------------------------------------------------------------
# The builder


@pytest.mark.parametrize("dropout, layer", [("dropout", keras.layers.Dropout),
                                            ("mc_dropout", MCDropout),
                                            ("alpha_dropout", keras.layers.AlphaDropout),
                                            ("mc_alpha_dropout", MCAlphaDropout)])
def test_build_regularized_mlp_shape_parameters_and_layers(dropout, layer):
    model = regk.build_regularized_mlp((28, 28), [32, 16], 10, rate=0.2, dropout=dropout,
                                       kernel_regularizer=keras.regularizers.L2(1e-3))
    assert model.output_shape == (None, 10)
    assert model.count_params() == (784 + 1) * 32 + (32 + 1) * 16 + (16 + 1) * 10
    assert [type(lr) for lr in model.layers if "dropout" in lr.name] == [layer, layer]
    dense = [lr for lr in model.layers if isinstance(lr, keras.layers.Dense)]
    assert all(isinstance(d.kernel_regularizer, keras.regularizers.L2) for d in dense)
    assert len(model.losses) == 3  # one penalty per kernel


def test_build_regularized_mlp_without_dropout_and_with_selu():
    model = regk.build_regularized_mlp(5, [8], 1, hidden_activation="selu",
                                       output_activation=None)
    assert [lr.name for lr in model.layers] == ["hidden_1", "output"]
    assert model.output_shape == (None, 1) and model.count_params() == 6 * 8 + 9
    assert isinstance(model.get_layer("hidden_1").kernel_initializer,
                      keras.initializers.LecunNormal)


@KERAS_SAVE_WARNING
def test_weights_move_between_dropout_variants_and_the_model_round_trips(tmp_path, x):
    plain = regk.build_regularized_mlp(6, [16], 3, rate=0.5)
    mc = regk.build_regularized_mlp(6, [16], 3, rate=0.5, dropout="mc_dropout")
    mc.set_weights(plain.get_weights())
    mean, _ = regk.predict_mc(mc, x, n=400)
    # the same weights: the MC mean is near the deterministic prediction (not equal: ReLU, softmax)
    assert np.abs(mean - plain.predict(x, verbose=0)).mean() < 0.1
    path = tmp_path / "built.keras"
    mc.save(path)
    loaded = keras.saving.load_model(path)
    assert type(loaded.get_layer("dropout_1")) is MCDropout
    np.testing.assert_array_equal(loaded.get_weights()[0], mc.get_weights()[0])


def test_a_regularized_mlp_trains(x):
    y = (x[:, 0] > 0).astype("int64") + (x[:, 1] > 0)
    keras.utils.set_random_seed(0)
    model = regk.build_regularized_mlp(6, [16], 3, rate=0.1,
                                       kernel_regularizer=keras.regularizers.L1(1e-4))
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy")
    history = model.fit(x, y, epochs=10, batch_size=8, verbose=0).history
    assert history["loss"][-1] < 0.7 * history["loss"][0]


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(input_shape=0), ValueError, "input_shape must be a positive int"),
    (dict(hidden=[]), ValueError, "hidden must be a non-empty sequence of positive ints"),
    (dict(hidden=[4, 0]), ValueError, "hidden must be"),
    (dict(n_outputs=0), ValueError, "n_outputs must be an int >= 1, got 0"),
    (dict(rate=1.0), ValueError, r"rate must be a finite number in \[0, 1\)"),
    (dict(dropout="gaussian"), ValueError, "dropout must be one of"),
    (dict(kernel_regularizer=0.01), TypeError, "kernel_regularizer must be a keras"),
])
def test_build_regularized_mlp_rejects_bad_input(kwargs, error, match):
    arguments = dict(input_shape=4, hidden=[8], n_outputs=2) | kwargs
    with pytest.raises(error, match=match):
        regk.build_regularized_mlp(**arguments)
