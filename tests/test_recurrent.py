"""Tests for dlbook.recurrent and dlbook.recurrent_keras: the NumPy RNN, forecasting, the builders."""

import keras
import numpy as np
import pytest

from dlbook import backend, data, training
from dlbook import recurrent as rc
from dlbook import recurrent_keras as rck
from dlbook.gradcheck import numerical_gradient, relative_error
from tests.tolerances import AUTODIFF_RTOL, KERAS64_RTOL

GRAD_TOL = 1e-7  # float64 analytic vs central-difference gradients
KERAS64_TOL = KERAS64_RTOL  # Keras' SimpleRNN built with dtype="float64" (tests/tolerances.py)
KERAS32_TOL = 1e-5  # the default float32 layer: about 7 significant digits of numbers in (-1, 1)
AUTODIFF_TOL = AUTODIFF_RTOL  # relative error against automatic differentiation (tests/tolerances.py)


def problem(n=3, steps=5, d=2, h=4, seed=0):
    """Random inputs, initial state, weights (large enough for tanh to bend) and bias."""
    rng = np.random.default_rng(seed)
    return (rng.normal(size=(n, steps, d)), rng.normal(0, 0.5, (n, h)), rng.normal(0, 0.7, (d, h)),
            rng.normal(0, 0.7, (h, h)), rng.normal(0, 0.3, h))


# ---------------------------------------------------------------------------
# Backpropagation through time against finite differences


@pytest.mark.parametrize("last_only", [False, True])
@pytest.mark.parametrize("n, steps, d, h", [(3, 5, 2, 4), (1, 1, 1, 1), (2, 8, 3, 2), (4, 3, 1, 5)])
def test_rnn_backward_matches_finite_differences(n, steps, d, h, last_only):
    params = list(problem(n, steps, d, h, seed=n + 10 * steps + 100 * h))
    dout = np.random.default_rng(1).normal(size=(n, h) if last_only else (n, steps, h))

    def loss(i, value):  # L = sum(dout * outputs), so dL/d(outputs) = dout
        args = params.copy()
        args[i] = value
        out = rc.rnn_forward(*args)[0]
        return float(np.sum(dout * (out[:, -1] if last_only else out)))

    grads = rc.rnn_backward(dout, rc.rnn_forward(*params)[1])
    order = ("dx", "dh0", "dW_x", "dW_h", "db")
    for i, name in enumerate(order):
        numeric = numerical_gradient(lambda v, i=i: loss(i, v), params[i].copy())
        assert getattr(grads, name).shape == params[i].shape
        assert relative_error(getattr(grads, name), numeric) < GRAD_TOL, name


def test_gradient_check_reports_small_errors_for_every_gradient():
    for last_only in (False, True):
        errors = rc.gradient_check(n=2, steps=4, d=3, h=3, last_only=last_only, seed=2)
        assert set(errors) == {"dx", "dh0", "dW_x", "dW_h", "db"}
        assert max(errors.values()) < GRAD_TOL


def test_gradient_check_catches_a_backward_pass_that_forgets_the_recurrent_path(monkeypatch):
    def truncated(dh, cache):  # one step of backpropagation only: no gradient through h_{t-1}
        x, h, W_x, W_h = cache
        dh = dh if dh.ndim == 3 else np.concatenate([np.zeros((len(x), x.shape[1] - 1, W_h.shape[0])),
                                                     dh[:, None]], axis=1)
        da = dh * (1 - h[:, 1:] ** 2)
        return rc.RNNGradients(da @ W_x.T, np.zeros_like(h[:, 0]), np.einsum("ntd,nth->dh", x, da),
                               np.einsum("ntg,nth->gh", h[:, :-1], da), da.sum(axis=(0, 1)))

    monkeypatch.setattr(rc, "rnn_backward", truncated)
    errors = rc.gradient_check(n=2, steps=4, seed=3)
    assert errors["dW_h"] > 1e-3 and errors["dh0"] > 0.5


def test_step_backward_is_one_step_of_rnn_backward():
    x, h0, W_x, W_h, b = problem(n=3, steps=1, d=2, h=4, seed=5)
    dh = np.random.default_rng(5).normal(size=(3, 4))
    out, cache = rc.rnn_forward(x, h0, W_x, W_h, b)
    step = rc.rnn_step_backward(dh, x[:, 0], h0, out[:, 0], W_x, W_h)
    full = rc.rnn_backward(dh, cache)
    for a, b_ in zip(step, (full.dx[:, 0], full.dh0, full.dW_x, full.dW_h, full.db), strict=True):
        np.testing.assert_allclose(a, b_, rtol=0, atol=1e-15)


# ---------------------------------------------------------------------------
# Forward against Keras


@pytest.mark.parametrize("return_sequences", [True, False])
@pytest.mark.parametrize("with_h0", [True, False])
def test_rnn_forward_matches_keras_simple_rnn_in_float64(return_sequences, with_h0):
    x, h0, W_x, W_h, b = problem(n=4, steps=7, d=3, h=5, seed=11)
    h0 = h0 if with_h0 else None
    out, _ = rc.rnn_forward(x, h0, W_x, W_h, b)
    expected = rck.keras_simple_rnn(x, W_x, W_h, b, h0=h0, return_sequences=return_sequences)
    np.testing.assert_allclose(out if return_sequences else out[:, -1], expected, rtol=0, atol=KERAS64_TOL)


@pytest.mark.parametrize("return_sequences", [True, False])
def test_rnn_forward_matches_the_default_float32_keras_layer(return_sequences):
    x, _, W_x, W_h, b = problem(n=6, steps=12, d=2, h=8, seed=12)
    layer = keras.layers.SimpleRNN(8, return_sequences=return_sequences)
    layer.build(x.shape)
    layer.set_weights([W_x, W_h, b])  # Keras' layout: kernel (D, H), recurrent_kernel (H, H), bias (H,)
    expected = keras.ops.convert_to_numpy(layer(x.astype("float32")))
    out = rc.rnn_forward(x, None, W_x, W_h, b)[0]
    np.testing.assert_allclose(out if return_sequences else out[:, -1], expected, rtol=0, atol=KERAS32_TOL)


def test_rnn_backward_matches_automatic_differentiation_through_keras():
    x, h0, W_x, W_h, b = problem(n=3, steps=6, d=2, h=4, seed=13)
    dout = np.random.default_rng(13).normal(size=(3, 6, 4))
    layer = keras.layers.SimpleRNN(4, activation=rck.tanh_float64, return_sequences=True, dtype="float64")
    layer.build(x.shape)
    frozen = [v.value for v in layer.non_trainable_variables]  # the dropout seed's state

    def loss(params):
        inputs, state, *weights = params
        out = layer.stateless_call(weights, frozen, inputs, initial_state=[state])[0]
        return keras.ops.sum(keras.ops.multiply(out, dout))

    theirs = backend.autodiff_gradient(loss, [x, h0, W_x, W_h, b])
    ours = rc.rnn_backward(dout, rc.rnn_forward(x, h0, W_x, W_h, b)[1])
    for a, b_ in zip(ours, theirs, strict=True):
        assert relative_error(a, b_) < AUTODIFF_TOL


def test_rnn_step_is_one_step_of_rnn_forward_and_the_cache_holds_every_state():
    x, h0, W_x, W_h, b = problem(n=2, steps=4, d=3, h=3, seed=14)
    out, cache = rc.rnn_forward(x, h0, W_x, W_h, b)
    h = h0
    for t in range(4):
        h = rc.rnn_step(x[:, t], h, W_x, W_h, b)
        np.testing.assert_array_equal(h, out[:, t])
    np.testing.assert_array_equal(cache.h[:, 0], h0)
    np.testing.assert_array_equal(cache.h[:, 1:], out)
    assert rc.rnn_forward(x, None, W_x, W_h, b)[1].h[:, 0].tolist() == np.zeros((2, 3)).tolist()


# ---------------------------------------------------------------------------
# Weights and the flow of gradients through time


@pytest.mark.parametrize("radius", [0.5, 1.0, 2.0])
def test_init_rnn_weights_scales_an_orthogonal_recurrent_matrix(radius):
    W_x, W_h, b = rc.init_rnn_weights(3, 6, seed=1, spectral_radius=radius)
    np.testing.assert_allclose(np.linalg.svd(W_h, compute_uv=False), radius, atol=1e-12)
    np.testing.assert_allclose(np.abs(np.linalg.eigvals(W_h)), radius, atol=1e-12)
    assert W_x.shape == (3, 6) and np.abs(W_x).max() <= np.sqrt(6 / 9) and not b.any()


def test_state_gradient_norms_agree_with_bptt_and_vanish_for_a_contracting_matrix():
    rng = np.random.default_rng(6)
    x = rng.normal(size=(5, 30, 2))
    W_x, W_h, b = rc.init_rnn_weights(2, 8, seed=6, spectral_radius=0.5)
    _, cache = rc.rnn_forward(x, None, W_x, W_h, b)
    dh_last = rng.normal(size=(5, 8))
    norms = rc.state_gradient_norms(cache, dh_last)
    assert norms.shape == (31,)
    np.testing.assert_allclose(norms[0], np.linalg.norm(rc.rnn_backward(dh_last, cache).dh0, axis=1).mean())
    np.testing.assert_allclose(norms[-1], np.linalg.norm(dh_last, axis=1).mean())
    # each Jacobian diag(1 - h^2) W_h^T has norm <= 0.5, so each step back at least halves the gradient
    assert np.all(norms[:-1] <= 0.5 * norms[1:] + 1e-15)


# ---------------------------------------------------------------------------
# Forecasting helpers


def test_naive_forecast_repeats_the_last_value_or_the_last_season():
    x = np.arange(24, dtype=float).reshape(2, 12, 1)
    np.testing.assert_array_equal(rc.naive_forecast(x), x[:, -1])
    np.testing.assert_array_equal(rc.naive_forecast(x, horizon=3), np.repeat(x[:, -1], 3, axis=1))
    seasonal = rc.naive_forecast(x[..., 0], horizon=5, period=4)
    np.testing.assert_array_equal(seasonal, x[:, [8, 9, 10, 11, 8], 0])


def test_forecast_errors_are_mean_absolute_and_squared_errors_in_the_series_units():
    y, y_hat = np.array([[1.0], [2.0], [4.0]]), np.array([2.0, 0.0, 4.0])
    assert rc.forecast_errors(y, y_hat) == pytest.approx({"MAE": 1.0, "MSE": 5 / 3})
    assert rc.forecast_errors(y, y_hat, scale=10.0) == pytest.approx({"MAE": 10.0, "MSE": 500 / 3})


def test_synthetic_split_targets_are_the_next_values_of_the_generated_series():
    split = rc.synthetic_split(40, n_steps=12, horizon=2, seed=3)
    series = data.synthetic_series(40, 14, seed=3)
    assert split.x_train.shape == (28, 12, 1) and split.y_val.shape == (6, 2) and len(split.x_test) == 6
    np.testing.assert_array_equal(split.x_test, series[split.idx_test, :12])
    np.testing.assert_array_equal(split.y_train, series[split.idx_train, 12:, 0])
    all_rows = np.concatenate([split.idx_train, split.idx_val, split.idx_test])
    assert sorted(all_rows.tolist()) == list(range(40))
    assert split.x_train.dtype == np.float32


def test_naive_forecast_on_the_synthetic_series_is_what_the_recurrent_models_must_beat():
    split = rc.synthetic_split(300, n_steps=20, seed=4)
    naive = rc.forecast_errors(split.y_test, rc.naive_forecast(split.x_test))
    mean = rc.forecast_errors(split.y_test, np.zeros_like(split.y_test))
    assert 0 < naive["MSE"] < mean["MSE"]  # the last value beats no information at all


# ---------------------------------------------------------------------------
# The Keras builders


@pytest.mark.parametrize("units, layer_norm, expected", [
    ((20,), False, (20 + 400 + 20) + 21),
    ((20, 10), False, (20 + 400 + 20) + (200 + 100 + 10) + 11),
    ((6, 6), True, (6 + 36 + 12) + (36 + 36 + 12) + 7),  # LN: gamma and beta instead of a bias
])
def test_rnn_forecaster_output_shape_and_parameter_count(units, layer_norm, expected):
    model = rck.build_rnn_forecaster(units, layer_norm=layer_norm)
    assert model.count_params() == expected
    assert model(np.zeros((3, 9, 1), dtype="float32")).shape == (3, 1)
    assert model(np.zeros((2, 4, 1), dtype="float32")).shape == (2, 1)  # any length without window
    recurrent = [layer for layer in model.layers if "rnn" in layer.name]
    assert [layer.return_sequences for layer in recurrent] == [True] * (len(units) - 1) + [False]


def test_linear_forecaster_is_one_weight_per_input_value():
    model = rck.build_linear_forecaster(15, horizon=3, n_features=2)
    assert model.count_params() == (15 * 2 + 1) * 3
    assert model(np.zeros((4, 15, 2), dtype="float32")).shape == (4, 3)


@pytest.mark.parametrize("shape, out_shape", [
    ("sequence-to-sequence", (None, 10, 8)), ("sequence-to-vector", (None, 8)),
    ("vector-to-sequence", (None, 7, 8)), ("encoder-decoder", (None, 7, 8)),
])
def test_sequence_models_have_the_four_shapes(shape, out_shape):
    model = rck.build_sequence_model(shape, steps=10, n_features=3, units=8, out_steps=7 if "vector-" in shape
                                    or shape == "encoder-decoder" else None)
    assert tuple(model.output_shape) == out_shape
    assert model.count_params() == (3 * 8 + 64 + 8) + (shape == "encoder-decoder") * (8 * 8 + 64 + 8)


@pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")  # inside Keras' save
@pytest.mark.parametrize("layer_norm", [False, True])
def test_rnn_forecaster_serialization_round_trip(tmp_path, layer_norm):
    model = rck.build_rnn_forecaster((5, 4), layer_norm=layer_norm, window=6)
    x = np.random.default_rng(15).normal(size=(3, 6, 1)).astype("float32")
    path = tmp_path / "rnn.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    np.testing.assert_allclose(training.predict(loaded, x), training.predict(model, x), atol=1e-6)
    assert loaded.count_params() == model.count_params()


def test_layer_norm_cell_normalizes_its_weighted_sum():
    cell = rck.LayerNormSimpleRNNCell(6, activation="linear")
    layer = keras.layers.RNN(cell, return_sequences=True)
    out = keras.ops.convert_to_numpy(layer(np.random.default_rng(16).normal(size=(2, 3, 4)) * 50))
    np.testing.assert_allclose(out.mean(axis=-1), 0, atol=1e-5)  # gamma = 1, beta = 0 at the start
    np.testing.assert_allclose(out.std(axis=-1), 1, atol=1e-2)
    assert rck.LayerNormSimpleRNNCell.from_config(cell.get_config()).units == 6


@pytest.mark.parametrize("build", [lambda: rck.build_linear_forecaster(10),
                                   lambda: rck.build_rnn_forecaster((8,), window=10),
                                   lambda: rck.build_rnn_forecaster((8, 8), layer_norm=True)])
def test_short_training_lowers_the_loss(build):
    keras.utils.set_random_seed(0)
    split = rc.synthetic_split(200, n_steps=10, seed=5)
    model = build()
    history = rck.train_forecaster(model, split, epochs=6, learning_rate=0.01).history
    assert history["loss"][-1] < 0.7 * history["loss"][0]
    assert set(history) >= {"loss", "mae", "val_loss", "val_mae"}


def test_train_forecaster_with_patience_restores_the_best_weights():
    keras.utils.set_random_seed(1)
    split = rc.synthetic_split(120, n_steps=8, seed=6)
    model = rck.build_rnn_forecaster((4,))
    history = rck.train_forecaster(model, split, epochs=40, learning_rate=0.05, patience=2).history
    val = rc.forecast_errors(split.y_val, training.predict(model, split.x_val))["MSE"]
    assert val == pytest.approx(min(history["val_loss"]), rel=1e-4)


# ---------------------------------------------------------------------------
# Bad inputs


def _cache():
    return rc.rnn_forward(*problem(n=2, steps=3, d=2, h=4))[1]


@pytest.mark.parametrize("call, error, match", [
    (lambda: rc.rnn_step(np.ones(3), np.ones((1, 2)), np.ones((3, 2)), np.eye(2), np.zeros(2)), ValueError,
     r"x_t must be a 2-D array of shape \(N, D\)"),
    (lambda: rc.rnn_step(np.ones((1, 3)), np.ones((1, 2)), np.ones((2, 2)), np.eye(2), np.zeros(2)),
     ValueError, r"W_x must have shape \(D, H\) = \(3, 2\), got \(2, 2\)"),
    (lambda: rc.rnn_step(np.ones((1, 3)), np.ones((1, 2)), np.ones((3, 2)), np.ones((2, 3)), np.zeros(2)),
     ValueError, r"W_h must be square \(H, H\)"),
    (lambda: rc.rnn_step(np.ones((1, 3)), np.ones((1, 2)), np.ones((3, 2)), np.eye(2), np.zeros(3)),
     ValueError, r"b must have shape \(H,\) = \(2,\)"),
    (lambda: rc.rnn_step(np.ones((1, 3)), np.ones((2, 2)), np.ones((3, 2)), np.eye(2), np.zeros(2)),
     ValueError, r"h_prev must have shape \(N, H\) = \(1, 2\)"),
    (lambda: rc.rnn_forward(np.ones((2, 3)), None, np.ones((3, 2)), np.eye(2), np.zeros(2)), ValueError,
     r"x must be a 3-D array of shape \(N, T, D\)"),
    (lambda: rc.rnn_forward(np.full((1, 2, 1), np.nan), None, np.ones((1, 2)), np.eye(2), np.zeros(2)),
     ValueError, "x must be finite"),
    (lambda: rc.rnn_forward("x", None, np.ones((1, 2)), np.eye(2), np.zeros(2)), TypeError,
     "x must be a float array of shape \\(N, T, D\\), got str"),
    (lambda: rc.rnn_backward(np.ones((2, 3, 4)), None), TypeError,
     r"cache must be the 4-tuple \(x, h, W_x, W_h\) that rnn_forward returned"),
    (lambda: rc.rnn_backward(np.ones((2, 2, 4)), _cache()), ValueError,
     r"dh must have shape \(N, T, H\) = \(2, 3, 4\) or, for the last state only, \(N, H\) = \(2, 4\)"),
    (lambda: rc.rnn_backward(np.ones((2, 4)), _cache()._replace(h=np.ones((2, 3, 4)))), ValueError,
     "cache shapes do not fit together"),
    (lambda: rc.rnn_step_backward(np.ones((2, 4)), np.ones((3, 2)), np.ones((2, 4)), np.ones((2, 4)),
                                  np.ones((2, 4)), np.eye(4)), ValueError, "x_t must have 2 rows like dh_t"),
    (lambda: rc.state_gradient_norms(_cache(), np.ones((2, 5))), ValueError,
     r"dh_last must have shape \(N, H\) = \(2, 4\)"),
    (lambda: rc.gradient_check(last_only=1), TypeError, "last_only must be a bool"),
    (lambda: rc.gradient_check(steps=0), ValueError, "steps must be an int >= 1"),
    (lambda: rc.init_rnn_weights(2, 3, spectral_radius=0), ValueError, "spectral_radius must be a positive"),
    (lambda: rc.init_rnn_weights(2.0, 3), TypeError, "d must be an int, got float"),
    (lambda: rc.random_orthogonal(3, 0), TypeError, "rng must be a numpy.random.Generator"),
    (lambda: rc.naive_forecast(np.ones((2, 5, 2))), ValueError,
     r"x must have one feature, shape \(N, T, 1\)"),
    (lambda: rc.naive_forecast(np.ones((2, 5)), period=6), ValueError, "period must be at most the window"),
    (lambda: rc.naive_forecast(np.ones(5)), ValueError, r"x must have shape \(N, T, 1\) or \(N, T\)"),
    (lambda: rc.forecast_errors(np.ones(3), np.ones(4)), ValueError, "y and y_hat must hold the same number"),
    (lambda: rc.forecast_errors(np.ones(3), np.ones(3), scale=-1), ValueError, "scale must be a positive"),
    (lambda: rc.synthetic_split(2), ValueError, "n_series must be an int >= 3"),
    (lambda: rc.synthetic_split(10, val_size=0.6, test_size=0.5), ValueError, "val_size \\+ test_size"),
    (lambda: rc.synthetic_split(5, val_size=0.05), ValueError, "a split would be empty"),
    (lambda: rck.keras_simple_rnn(np.ones((1, 2, 1)), np.ones((1, 2)), np.eye(2), np.zeros(2),
                                 return_sequences=1), TypeError, "return_sequences must be a bool"),
    (lambda: rck.build_rnn_forecaster([]), ValueError, "units must be a non-empty sequence"),
    (lambda: rck.build_rnn_forecaster(None), TypeError, "units must be a sequence of positive ints"),
    (lambda: rck.build_rnn_forecaster([4, 2.0]), TypeError, "units must be a sequence of positive ints"),
    (lambda: rck.build_rnn_forecaster([4], dropout=1.0), ValueError,
     r"dropout must be a finite number in \[0, 1\), got 1.0"),
    (lambda: rck.build_rnn_forecaster([4], layer_norm=True, dropout=0.2), ValueError,
     "with layer_norm=True they must be 0"),
    (lambda: rck.build_rnn_forecaster([4], layer_norm="yes"), TypeError, "layer_norm must be a bool"),
    (lambda: rck.build_linear_forecaster(0), ValueError, "window must be an int >= 1"),
    (lambda: rck.build_sequence_model("seq2seq"), ValueError, "shape must be one of"),
    (lambda: rck.build_sequence_model(2), TypeError, "shape must be one of"),
    (lambda: rck.train_forecaster("model", None, 1), TypeError, "model must be a keras.Model"),
    (lambda: rck.train_forecaster(rck.build_linear_forecaster(3), (1, 2), 1), TypeError,
     "split must be a dlbook.data.Split"),
    (lambda: training.predict(rck.build_linear_forecaster(3), np.ones((0, 3, 1))), ValueError,
     r"x must be a non-empty batch \(N, ...\), got shape \(0, 3, 1\)"),
])
def test_bad_inputs_are_named(call, error, match):
    with pytest.raises(error, match=match):
        call()

