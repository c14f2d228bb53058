"""Tests for dlbook.lstm: the NumPy LSTM against Keras and finite differences, the memory task, builders."""

import keras
import numpy as np
import pytest

from dlbook import activations, backend
from dlbook import lstm as ls
from dlbook import recurrent as rc
from dlbook import recurrent_keras as rck
from dlbook.gradcheck import numerical_gradient, relative_error

GRAD_TOL = 1e-7  # float64 analytic vs central-difference gradients
KERAS64_TOL = 1e-12  # Keras' LSTM built with dtype="float64": the same sums in another order
KERAS32_TOL = 1e-5  # the default float32 layer: about 7 significant digits of numbers in (-1, 1)
AUTODIFF_TOL = 1e-10  # relative error against automatic differentiation through Keras' layer


def problem(n=3, steps=5, d=2, h=3, seed=0):
    """Random inputs, initial states and weights large enough for every gate to bend."""
    rng = np.random.default_rng(seed)
    return (rng.normal(size=(n, steps, d)), rng.normal(0, 0.5, (n, h)), rng.normal(0, 0.5, (n, h)),
            rng.normal(0, 0.6, (d, 4 * h)), rng.normal(0, 0.6, (h, 4 * h)), rng.normal(0, 0.5, 4 * h))


# ---------------------------------------------------------------------------
# The cell against its equations and against Keras


def test_gates_are_the_four_blocks_in_keras_order_through_their_activations():
    x, h0, _, W_x, W_h, b = problem(n=4, d=3, h=2, seed=1)
    z = x[:, 0] @ W_x + h0 @ W_h + b
    gates = ls.lstm_gates(x[:, 0], h0, W_x, W_h, b)
    np.testing.assert_allclose(gates.i, activations.sigmoid(z[:, 0:2]), rtol=1e-15)
    np.testing.assert_allclose(gates.f, activations.sigmoid(z[:, 2:4]), rtol=1e-15)
    np.testing.assert_allclose(gates.g, np.tanh(z[:, 4:6]), rtol=1e-15)
    np.testing.assert_allclose(gates.o, activations.sigmoid(z[:, 6:8]), rtol=1e-15)


def test_lstm_step_forgets_writes_and_shows():
    x, h0, c0, W_x, W_h, b = problem(n=2, d=2, h=3, seed=2)
    i, f, g, o = ls.lstm_gates(x[:, 0], h0, W_x, W_h, b)
    h1, c1 = ls.lstm_step(x[:, 0], h0, c0, W_x, W_h, b)
    np.testing.assert_allclose(c1, f * c0 + i * g, rtol=1e-15)
    np.testing.assert_allclose(h1, o * np.tanh(c1), rtol=1e-15)


def test_a_closed_forget_gate_and_an_open_input_gate_replace_the_cell():
    x, h0, c0, W_x, W_h, b = problem(n=2, d=2, h=3, seed=3)
    b = b.copy()
    b[3:6], b[0:3] = -40.0, 40.0  # f = sigma(-40) ~ 0, i = sigma(40) ~ 1
    _, c1 = ls.lstm_step(x[:, 0], h0, c0 * 100, W_x, W_h, b)
    np.testing.assert_allclose(c1, ls.lstm_gates(x[:, 0], h0, W_x, W_h, b).g, atol=1e-12)


@pytest.mark.parametrize("return_sequences", [True, False])
@pytest.mark.parametrize("with_state", [True, False])
def test_lstm_forward_matches_keras_lstm_in_float64(return_sequences, with_state):
    x, h0, c0, W_x, W_h, b = problem(n=4, steps=9, d=3, h=5, seed=4)
    states = dict(h0=h0, c0=c0) if with_state else dict(h0=None, c0=None)
    out, _ = ls.lstm_forward(x, states["h0"], states["c0"], W_x, W_h, b)
    expected = ls.keras_lstm(x, W_x, W_h, b, return_sequences=return_sequences, **states)
    np.testing.assert_allclose(out if return_sequences else out[:, -1], expected, rtol=0, atol=KERAS64_TOL)


def test_lstm_forward_matches_the_default_float32_keras_layer_and_its_initial_weights():
    x = np.random.default_rng(5).normal(size=(6, 15, 2))
    layer = keras.layers.LSTM(7, return_sequences=True)  # float32, unit_forget_bias=True
    expected = keras.ops.convert_to_numpy(layer(x.astype("float32")))
    W_x, W_h, b = (np.asarray(w, dtype=np.float64) for w in layer.get_weights())
    assert W_x.shape == (2, 28) and W_h.shape == (7, 28) and b.shape == (28,)
    np.testing.assert_array_equal(b, np.r_[np.zeros(7), np.ones(7), np.zeros(14)])
    np.testing.assert_allclose(ls.lstm_forward(x, None, None, W_x, W_h, b)[0], expected, rtol=0,
                               atol=KERAS32_TOL)


def test_init_lstm_weights_follow_keras_defaults():
    W_x, W_h, b = ls.init_lstm_weights(3, 4, seed=1)
    for k in range(4):  # each gate's recurrent block is orthogonal
        block = W_h[:, 4 * k:4 * (k + 1)]
        np.testing.assert_allclose(block.T @ block, np.eye(4), atol=1e-12)
    assert np.abs(W_x).max() <= np.sqrt(6 / (3 + 16))
    np.testing.assert_array_equal(b, np.r_[np.zeros(4), np.ones(4), np.zeros(8)])
    assert not ls.init_lstm_weights(3, 4, unit_forget_bias=False)[2].any()


def test_lstm_forward_cache_holds_every_state_and_gate():
    x, h0, c0, W_x, W_h, b = problem(n=2, steps=4, d=2, h=3, seed=6)
    out, cache = ls.lstm_forward(x, h0, c0, W_x, W_h, b)
    h, c = h0, c0
    for t in range(4):
        gates = ls.lstm_gates(x[:, t], h, W_x, W_h, b)
        h, c = ls.lstm_step(x[:, t], h, c, W_x, W_h, b)
        np.testing.assert_array_equal(out[:, t], h)
        np.testing.assert_array_equal(cache.c[:, t + 1], c)
        for ours, theirs in zip(ls.split_gates(cache.gates[:, t]), gates, strict=True):
            np.testing.assert_array_equal(ours, theirs)
    np.testing.assert_array_equal(cache.h[:, 0], h0)
    np.testing.assert_array_equal(cache.c[:, 0], c0)


# ---------------------------------------------------------------------------
# Backward through time


@pytest.mark.parametrize("last_only", [False, True])
@pytest.mark.parametrize("n, steps, d, h", [(3, 4, 2, 3), (1, 1, 1, 1), (2, 6, 3, 2)])
def test_lstm_backward_matches_finite_differences(n, steps, d, h, last_only):
    params = list(problem(n, steps, d, h, seed=n + 10 * steps + 100 * h))
    dout = np.random.default_rng(7).normal(size=(n, h) if last_only else (n, steps, h))

    def loss(i, value):
        args = params.copy()
        args[i] = value
        out = ls.lstm_forward(*args)[0]
        return float(np.sum(dout * (out[:, -1] if last_only else out)))

    grads = ls.lstm_backward(dout, ls.lstm_forward(*params)[1])
    for i, name in enumerate(ls.LSTMGradients._fields):
        numeric = numerical_gradient(lambda v, i=i: loss(i, v), params[i].copy())
        assert relative_error(getattr(grads, name), numeric) < GRAD_TOL, name


@pytest.mark.parametrize("n, d, h", [(3, 2, 3), (1, 1, 1)])
def test_lstm_step_backward_matches_finite_differences_from_both_states(n, d, h):
    """L = sum(dh * h_t) + sum(dc * c_t): dc reaches c_t directly, dh through h_t = o tanh(c_t) too."""
    x, h0, c0, W_x, W_h, b = problem(n, 1, d, h, seed=20 + h)
    params = [x[:, 0], h0, c0, W_x, W_h, b]
    rng = np.random.default_rng(21)
    dh, dc = rng.normal(size=(n, h)), rng.normal(size=(n, h))

    def loss(i, value):
        args = params.copy()
        args[i] = value
        h_t, c_t = ls.lstm_step(*args)
        return float(np.sum(dh * h_t) + np.sum(dc * c_t))

    _, cache = ls.lstm_forward(x, h0, c0, W_x, W_h, b)
    grads = ls.lstm_step_backward(dh, dc, x[:, 0], h0, c0, cache.c[:, 1], cache.gates[:, 0], W_x, W_h)
    for i, (grad, name) in enumerate(zip(grads, ls.LSTMGradients._fields, strict=True)):
        numeric = numerical_gradient(lambda v, i=i: loss(i, v), params[i].copy())
        assert relative_error(grad, numeric) < GRAD_TOL, name


def test_lstm_backward_is_lstm_step_backward_from_the_last_step_down():
    x, h0, c0, W_x, W_h, b = problem(n=2, steps=2, d=2, h=3, seed=22)
    dh = np.random.default_rng(22).normal(size=(2, 2, 3))
    _, cache = ls.lstm_forward(x, h0, c0, W_x, W_h, b)
    last = ls.lstm_step_backward(dh[:, 1], np.zeros((2, 3)), x[:, 1], cache.h[:, 1], cache.c[:, 1],
                                 cache.c[:, 2], cache.gates[:, 1], W_x, W_h)
    first = ls.lstm_step_backward(dh[:, 0] + last[1], last[2], x[:, 0], h0, c0, cache.c[:, 1],
                                  cache.gates[:, 0], W_x, W_h)
    full = ls.lstm_backward(dh, cache)
    np.testing.assert_array_equal(full.dx, np.stack([first[0], last[0]], axis=1))
    for ours, step in zip(full[1:3], first[1:3], strict=True):
        np.testing.assert_array_equal(ours, step)
    for ours, a, b_ in zip(full[3:], last[3:], first[3:], strict=True):
        np.testing.assert_allclose(ours, a + b_, rtol=0, atol=1e-15)


def test_gradient_check_reports_small_errors_for_every_gradient():
    errors = ls.gradient_check(n=2, steps=3, d=2, h=2, last_only=True, seed=8)
    assert set(errors) == set(ls.LSTMGradients._fields) and max(errors.values()) < GRAD_TOL


def test_lstm_backward_matches_automatic_differentiation_through_keras():
    x, h0, c0, W_x, W_h, b = problem(n=3, steps=5, d=2, h=3, seed=9)
    dout = np.random.default_rng(9).normal(size=(3, 5, 3))
    layer = keras.layers.LSTM(3, activation=rck.tanh_float64, return_sequences=True, dtype="float64")
    layer.build(x.shape)
    frozen = [v.value for v in layer.non_trainable_variables]

    def loss(params):
        inputs, h, c, *weights = params
        out = layer.stateless_call(weights, frozen, inputs, initial_state=[h, c])[0]
        return keras.ops.sum(keras.ops.multiply(out, dout))

    theirs = backend.autodiff_gradient(loss, [x, h0, c0, W_x, W_h, b])
    ours = ls.lstm_backward(dout, ls.lstm_forward(x, h0, c0, W_x, W_h, b)[1])
    for a, b_ in zip(ours, theirs, strict=True):
        assert relative_error(a, b_) < AUTODIFF_TOL


def test_the_cell_path_carries_gradients_far_when_the_forget_gate_is_open():
    x, _, _, W_x, W_h, b = problem(n=4, steps=40, d=2, h=3, seed=10)
    b = b.copy()
    b[0:3], b[3:6] = -30.0, 30.0  # i ~ 0, f ~ 1: the cell keeps c_0 and lets nothing in
    c0 = np.full((4, 3), 0.5)
    _, cache = ls.lstm_forward(x, None, c0, W_x, np.zeros_like(W_h), b)  # no path through h
    np.testing.assert_allclose(cache.c[:, -1], c0, rtol=1e-10)
    dc0 = ls.lstm_backward(np.ones((4, 3)), cache).dc0
    o_last = ls.split_gates(cache.gates[:, -1]).o
    dc_last = o_last * (1 - np.tanh(0.5) ** 2)  # dL/dc_T for dL/dh_T = 1
    np.testing.assert_allclose(dc0, dc_last, rtol=1e-10)  # 40 steps back, undiminished


# ---------------------------------------------------------------------------
# The memory task


def test_memory_task_labels_are_the_marked_signs_and_the_delays_where_they_lie():
    task = ls.marked_value_task(200, 12, seed=3)
    assert task.x.shape == (200, 12, 2) and task.x.dtype == np.float32 and task.y.dtype == np.float32
    np.testing.assert_array_equal(task.x[..., 1].sum(axis=1), 1)  # one marker per sequence
    marked = np.argmax(task.x[..., 1], axis=1)
    np.testing.assert_array_equal(task.delay, 11 - marked)
    np.testing.assert_array_equal(task.y, task.x[np.arange(200), marked, 0] > 0)
    assert set(np.unique(task.x[..., 0])) == {-1.0, 1.0}
    assert 0.35 < task.y.mean() < 0.65 and len(np.unique(task.delay)) == 12
    np.testing.assert_array_equal(ls.marked_value_task(200, 12, seed=3).x, task.x)


def test_accuracy_by_delay_bins_the_correct_answers():
    correct = np.array([True, False, True, True, False, False])
    delay = np.array([0, 1, 2, 5, 6, 7])
    starts, accuracy = ls.accuracy_by_delay(correct, delay, width=3)
    np.testing.assert_array_equal(starts, [0, 3, 6])
    np.testing.assert_allclose(accuracy, [2 / 3, 1.0, 0.0])


# ---------------------------------------------------------------------------
# The Keras builders


@pytest.mark.parametrize("cell, per_layer", [("simple_rnn", 1), ("lstm", 4)])
def test_memory_classifier_output_shape_and_parameter_count(cell, per_layer):
    model = ls.build_memory_classifier(cell, units=6)
    assert model.count_params() == per_layer * (2 * 6 + 36 + 6) + 7
    out = keras.ops.convert_to_numpy(model(np.zeros((3, 11, 2), dtype="float32")))
    assert out.shape == (3, 1) and np.all((out > 0) & (out < 1))


def test_stacked_lstm_is_lstm50_lstm50_dense1_by_default():
    model = ls.build_stacked_lstm(window=20)
    assert [type(layer).__name__ for layer in model.layers] == ["LSTM", "LSTM", "Dense"]
    assert [layer.units for layer in model.layers[:2]] == [50, 50]
    assert [layer.return_sequences for layer in model.layers[:2]] == [True, False]
    assert model.count_params() == 4 * (50 + 2500 + 50) + 4 * (2500 + 2500 + 50) + 51
    assert model(np.zeros((2, 20, 1), dtype="float32")).shape == (2, 1)


@pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")  # inside Keras' save
def test_builders_serialization_round_trip(tmp_path):
    x = np.random.default_rng(11).normal(size=(3, 7, 2)).astype("float32")
    for model in (ls.build_stacked_lstm((4, 3), horizon=2, n_features=2),
                  ls.build_memory_classifier("lstm", units=5, steps=7)):
        path = tmp_path / f"{model.name}.keras"
        model.save(path)
        loaded = keras.saving.load_model(path)
        np.testing.assert_allclose(keras.ops.convert_to_numpy(loaded(x)),
                                   keras.ops.convert_to_numpy(model(x)), atol=1e-6)
        assert loaded.count_params() == model.count_params()


def test_trained_keras_weights_run_in_the_numpy_cell():
    keras.utils.set_random_seed(2)
    model = ls.build_memory_classifier("lstm", units=4)
    x = np.random.default_rng(12).normal(size=(5, 6, 2))
    W_x, W_h, b = (np.asarray(w, dtype=np.float64) for w in model.get_layer("lstm").get_weights())
    w_out, b_out = model.get_layer("output").get_weights()
    ours = activations.sigmoid(ls.lstm_forward(x, None, None, W_x, W_h, b)[0][:, -1] @ w_out + b_out)
    np.testing.assert_allclose(ours, keras.ops.convert_to_numpy(model(x.astype("float32"))), atol=1e-5)


@pytest.mark.slow
def test_short_training_lowers_the_loss_on_the_memory_task_and_a_series():
    keras.utils.set_random_seed(0)
    task = ls.marked_value_task(256, 6, seed=1)
    model = ls.build_memory_classifier("lstm", units=8)
    model.compile(keras.optimizers.Adam(0.02), "binary_crossentropy")
    from dlbook.training import fit

    history = fit(model, task.x, task.y, epochs=8, batch_size=32).history
    assert history["loss"][-1] < 0.7 * history["loss"][0]

    split = rc.synthetic_split(200, n_steps=10, seed=5)
    stacked = ls.build_stacked_lstm((8, 8), window=10)
    history = rck.train_forecaster(stacked, split, epochs=6, learning_rate=0.01).history
    assert history["loss"][-1] < 0.7 * history["loss"][0]


# ---------------------------------------------------------------------------
# Bad inputs


def _cache():
    return ls.lstm_forward(*problem(n=2, steps=3, d=2, h=2))[1]


def _step_backward(**changed):
    """lstm_step_backward on well-shaped ones (N = 2, D = 1, H = 2), with some arguments replaced."""
    args = dict(dh_t=np.ones((2, 2)), dc_carry=np.ones((2, 2)), x_t=np.ones((2, 1)), h_prev=np.ones((2, 2)),
                c_prev=np.ones((2, 2)), c_t=np.ones((2, 2)), gates_t=np.ones((2, 8)), W_x=np.ones((1, 8)),
                W_h=np.ones((2, 8)))
    return ls.lstm_step_backward(**{**args, **changed})


@pytest.mark.parametrize("call, error, match", [
    (lambda: ls.lstm_gates(np.ones((2, 3)), np.ones((2, 2)), np.ones((3, 8)), np.ones((2, 4)), np.zeros(8)),
     ValueError, r"W_h must have shape \(H, 4H\)"),
    (lambda: ls.lstm_gates(np.ones((2, 3)), np.ones((2, 2)), np.ones((2, 8)), np.ones((2, 8)), np.zeros(8)),
     ValueError, r"W_x must have shape \(D, 4H\) = \(3, 8\), got \(2, 8\)"),
    (lambda: ls.lstm_gates(np.ones((2, 3)), np.ones((2, 2)), np.ones((3, 8)), np.ones((2, 8)), np.zeros(4)),
     ValueError, r"b must have shape \(4H,\) = \(8,\)"),
    (lambda: ls.lstm_step(np.ones((2, 3)), np.ones((2, 2)), np.ones((1, 2)), np.ones((3, 8)),
                          np.ones((2, 8)), np.zeros(8)), ValueError,
     r"c_prev must have shape \(N, H\) = \(2, 2\)"),
    (lambda: ls.lstm_forward(np.ones((2, 3)), None, None, np.ones((3, 8)), np.ones((2, 8)), np.zeros(8)),
     ValueError, r"x must be a 3-D array of shape \(N, T, D\)"),
    (lambda: ls.lstm_forward(np.ones((1, 2, 3)), np.ones((2, 2)), None, np.ones((3, 8)), np.ones((2, 8)),
                             np.zeros(8)), ValueError, r"h0 must have shape \(N, H\) = \(1, 2\)"),
    (lambda: ls.lstm_backward(np.ones((2, 3, 2)), (1, 2, 3)), TypeError,
     r"cache must be the 6-tuple \(x, h, c, gates, W_x, W_h\)"),
    (lambda: ls.lstm_backward(np.ones((2, 3, 3)), _cache()), ValueError, r"dh must have shape \(N, T, H\)"),
    (lambda: ls.lstm_backward(np.ones((2, 2)), _cache()._replace(c=np.ones((2, 3, 2)))), ValueError,
     "cache shapes do not fit together"),
    (lambda: _step_backward(x_t=np.ones((3, 1))), ValueError, "x_t must have 2 rows like dh_t"),
    (lambda: _step_backward(dc_carry=np.ones((2, 3))), ValueError,
     r"dc_carry must have shape \(N, H\) = \(2, 2\)"),
    (lambda: _step_backward(gates_t=np.ones((2, 6))), ValueError,
     r"gates_t must have shape \(N, 4H\) = \(2, 8\)"),
    (lambda: _step_backward(W_h=np.ones((3, 12))), ValueError, r"W_h must have shape \(H, 4H\) = \(2, 8\)"),
    (lambda: ls.split_gates(np.ones((2, 6))), ValueError, "gates must have a last axis of 4H"),
    (lambda: ls.init_lstm_weights(2, 3, unit_forget_bias=1), TypeError, "unit_forget_bias must be a bool"),
    (lambda: ls.gradient_check(h=0), ValueError, "h must be an int >= 1"),
    (lambda: ls.marked_value_task(10, 0), ValueError, "steps must be an int >= 1"),
    (lambda: ls.accuracy_by_delay(np.ones(3), np.zeros(3, int)), TypeError,
     "correct must be an array of bools"),
    (lambda: ls.accuracy_by_delay(np.ones(3, bool), -np.ones(3, int)), ValueError, "delay must be ints >= 0"),
    (lambda: ls.accuracy_by_delay(np.ones(3, bool), np.zeros(2, int)), ValueError,
     r"delay must be ints >= 0, one per answer \(3,\)"),
    (lambda: ls.accuracy_by_delay(np.ones(3, bool), np.zeros(3)), TypeError, "delay must be an array of int"),
    (lambda: ls.accuracy_by_delay(np.ones(3, bool), np.zeros(3, int), width=0), ValueError,
     "width must be an int >= 1"),
    (lambda: ls.keras_lstm(np.ones((1, 2, 1)), np.ones((1, 4)), np.ones((1, 4)), np.zeros(4),
                           h0=np.ones((1, 1))),
     ValueError, "h0 and c0 must be given together"),
    (lambda: ls.build_memory_classifier("gru"), ValueError, "cell must be one of"),
    (lambda: ls.build_memory_classifier(None), TypeError, "cell must be one of"),
    (lambda: ls.build_memory_classifier("lstm", units=0), ValueError, "units must be an int >= 1"),
    (lambda: ls.build_stacked_lstm([50, -1]), ValueError, "units must be a non-empty sequence"),
    (lambda: ls.build_stacked_lstm(horizon=1.5), TypeError, "horizon must be an int"),
])
def test_bad_inputs_are_named(call, error, match):
    with pytest.raises(error, match=match):
        call()

