import keras
import numpy as np
import pytest
import tensorflow as tf

from dlbook import activations as act
from dlbook.gradcheck import numerical_gradient, relative_error
from tests.tolerances import KERAS64_RTOL

RNG = np.random.default_rng(0)
# Both signs, but away from the kink at 0 where the ReLU family has no derivative.
Z = np.concatenate([RNG.uniform(-4, -0.1, 20), RNG.uniform(0.1, 4, 20)])


def keras_apply(function, z, **kwargs):
    """A Keras activation applied to a float64 array; Keras keeps float64, so we compare tightly."""
    return keras.ops.convert_to_numpy(function(keras.ops.convert_to_tensor(z), **kwargs))


# Derivatives against finite differences -----------------------------------------

@pytest.mark.parametrize("name", sorted(act.ACTIVATIONS))
def test_every_registered_derivative_matches_finite_differences(name):
    g, g_prime = act.get(name)
    numeric = numerical_gradient(lambda v: np.sum(g(v)), Z.copy())
    assert relative_error(g_prime(Z), numeric) < 1e-7


@pytest.mark.parametrize("g, g_prime, alpha", [
    (act.leaky_relu, act.leaky_relu_prime, 0.3),
    (act.elu, act.elu_prime, 0.5),
])
def test_derivatives_with_a_non_default_alpha_match_finite_differences(g, g_prime, alpha):
    numeric = numerical_gradient(lambda v: np.sum(g(v, alpha)), Z.copy())
    assert relative_error(g_prime(Z, alpha), numeric) < 1e-7


def test_softmax_jacobian_matches_finite_differences():
    z = RNG.normal(size=(3, 4))
    jacobian = act.softmax_jacobian(z)
    assert jacobian.shape == (3, 4, 4)
    for k in range(4):  # row k of each example's Jacobian is the gradient of s_k
        numeric = numerical_gradient(lambda v, k=k: np.sum(act.softmax(v)[:, k]), z.copy())
        assert relative_error(jacobian[:, k, :], numeric) < 1e-7


def test_maxout_backward_matches_finite_differences():
    z = RNG.normal(size=(5, 6))
    out, cache = act.maxout(z, pieces=3)
    dout = RNG.normal(size=out.shape)
    numeric = numerical_gradient(lambda v: np.sum(act.maxout(v, 3)[0] * dout), z.copy())
    assert relative_error(act.maxout_backward(dout, cache), numeric) < 1e-7


def test_step_and_sign_have_zero_gradient_away_from_zero():
    for g in (act.step, act.sign):
        assert np.all(numerical_gradient(lambda v, g=g: np.sum(g(v)), Z.copy()) == 0)


# Values against Keras -------------------------------------------------------

# TensorFlow keeps leaky ReLU's slope in float32 (0.1 -> 0.100000001...): on negative inputs
# that is a relative difference of up to float32's rounding, 2^-24. Everything else agrees to
# float64 rounding.
FLOAT32_SLOPE_RTOL = 2.0**-24


@pytest.mark.parametrize("ours, theirs, kwargs, rtol", [
    (act.sigmoid, keras.activations.sigmoid, {}, 1e-12),
    (act.tanh, keras.activations.tanh, {}, KERAS64_RTOL),  # XLA's CPU tanh: float32-accurate (JAX)
    (act.relu, keras.activations.relu, {}, 1e-12),
    (act.leaky_relu, keras.activations.leaky_relu, {"negative_slope": 0.1}, FLOAT32_SLOPE_RTOL),
    (act.elu, keras.activations.elu, {}, 1e-12),
    (act.selu, keras.activations.selu, {}, 1e-12),
    (act.softmax, keras.activations.softmax, {}, 1e-12),
])
def test_activations_match_keras(ours, theirs, kwargs, rtol):
    z = RNG.normal(scale=3, size=(8, 5))
    np.testing.assert_allclose(ours(z), keras_apply(theirs, z, **kwargs), rtol=rtol, atol=1e-15)


# The derivative at exactly 0, where the ReLU family has a kink: the value TensorFlow's
# gradient takes (the module docstring says which side each takes).
AT_ZERO = {"sigmoid": 0.25, "tanh": 1.0, "relu": 0.0, "leaky_relu": 0.1, "elu": 1.0,
           "selu": act.SELU_SCALE}
TF_ACTIVATIONS = {"leaky_relu": lambda t: tf.nn.leaky_relu(t, alpha=0.1)}


@pytest.mark.parametrize("name", sorted(act.ACTIVATIONS))
def test_the_derivative_at_exactly_zero_is_tensorflows(name):
    z = tf.constant([0.0], dtype=tf.float64)
    with tf.GradientTape() as tape:
        tape.watch(z)
        out = TF_ACTIVATIONS.get(name, getattr(tf.nn, name, None) or getattr(tf, name))(z)
    expected = tape.gradient(out, z).numpy()[0]
    assert act.get(name)[1](0.0) == pytest.approx(expected, rel=FLOAT32_SLOPE_RTOL)
    assert act.get(name)[1](0.0) == pytest.approx(AT_ZERO[name], rel=1e-12)


def test_elu_with_another_alpha_takes_the_left_hand_slope_at_zero():
    z = tf.constant([0.0], dtype=tf.float64)
    with tf.GradientTape() as tape:
        tape.watch(z)
        out = tf.where(z > 0, tf.nn.elu(z), 0.5 * tf.nn.elu(z))  # Keras' TensorFlow ELU
    assert act.elu_prime(0.0, 0.5) == tape.gradient(out, z).numpy()[0] == 0.5


def test_alpha_means_what_it_means_in_keras():
    z = RNG.normal(scale=3, size=(8, 5))
    np.testing.assert_allclose(act.leaky_relu(z, 0.3),
                               keras_apply(keras.activations.leaky_relu, z, negative_slope=0.3),
                               rtol=FLOAT32_SLOPE_RTOL)
    np.testing.assert_allclose(act.elu(z, 0.5), keras_apply(keras.activations.elu, z, alpha=0.5),
                               rtol=1e-12, atol=1e-15)


def test_maxout_is_the_group_maximum_as_keras_ops_computes_it():
    z = RNG.normal(size=(5, 6))
    out, _ = act.maxout(z, pieces=3)
    expected = keras_apply(lambda t: keras.ops.max(keras.ops.reshape(t, (5, 2, 3)), axis=2), z)
    np.testing.assert_array_equal(out, expected)


# Properties the chapter states ------------------------------------------------------

def test_step_and_sign_values():
    z = np.array([-2.0, -1e-12, 0.0, 3.0])
    np.testing.assert_array_equal(act.step(z), [0, 0, 1, 1])
    np.testing.assert_array_equal(act.sign(z), [-1, -1, 0, 1])


def test_leaky_relu_is_max_of_alpha_z_and_z():
    np.testing.assert_array_equal(act.leaky_relu(Z), np.maximum(0.1 * Z, Z))


def test_integer_inputs_become_float64():
    out = act.relu(np.array([-2, 0, 3]))
    assert out.dtype == np.float64
    np.testing.assert_array_equal(out, [0.0, 0.0, 3.0])


def test_float32_inputs_stay_float32_as_in_keras():
    z = Z.astype(np.float32)
    assert act.sigmoid(z).dtype == act.relu(z).dtype == np.float32
    assert act.softmax(z.reshape(4, 10)).dtype == np.float32


def test_tanh_is_a_rescaled_sigmoid():
    np.testing.assert_allclose(act.tanh(Z), 2 * act.sigmoid(2 * Z) - 1, atol=1e-15)


def test_sigmoid_and_tanh_slopes_peak_at_zero():
    assert act.sigmoid_prime(0.0) == 0.25 and act.tanh_prime(0.0) == 1.0
    assert np.all(act.sigmoid_prime(Z) < 0.25) and np.all(act.tanh_prime(Z) < 1.0)


def test_sigmoid_is_stable_for_large_inputs():
    with np.errstate(over="raise"):
        values = act.sigmoid(np.array([-800.0, 0.0, 800.0]))
    np.testing.assert_array_equal(values, [0.0, 0.5, 1.0])


def test_softmax_rows_are_probabilities_unchanged_by_a_shift():
    z = RNG.normal(size=(4, 6))
    s = act.softmax(z)
    np.testing.assert_allclose(s.sum(axis=1), 1.0, rtol=1e-15)
    np.testing.assert_allclose(act.softmax(z + 123.0), s, rtol=1e-12)


def test_softmax_survives_huge_logits():
    with np.errstate(over="raise"):
        s = act.softmax(np.array([[1000.0, 0.0, -1000.0]]))
    np.testing.assert_allclose(s, [[1.0, 0.0, 0.0]], atol=1e-300)


def test_selu_constants_keep_a_standard_normal_standardized():
    a = act.selu(np.random.default_rng(1).normal(size=1_000_000))
    assert abs(a.mean()) < 0.01 and abs(a.var() - 1) < 0.01


def test_get_returns_the_pair_of_the_name():
    assert act.get("tanh") == (act.tanh, act.tanh_prime)


# Bad inputs ----------------------------------------------------------------------

@pytest.mark.parametrize("call, error, match", [
    (lambda: act.get("swish"), ValueError, r"name must be one of \(.*'relu'.*\), got 'swish'"),
    (lambda: act.get(None), TypeError, "name must be one of"),
    (lambda: act.leaky_relu(Z, alpha=1.5), ValueError, r"alpha must be a finite number in \[0, 1\), got 1.5"),
    (lambda: act.leaky_relu_prime(Z, alpha=-0.1), ValueError, r"alpha must be a finite number in \[0, 1\)"),
    (lambda: act.elu(Z, alpha=-1.0), ValueError, r"alpha must be a finite number in \[0, inf\)"),
    (lambda: act.elu_prime(Z, alpha="1"), TypeError, "alpha must be a number, got str"),
    (lambda: act.relu(np.array([1.0, np.nan])), ValueError, "z must not contain NaN"),
    (lambda: act.tanh(np.array(["a"])), TypeError, "z must be a float array, got an array of dtype <U"),
    (lambda: act.softmax(np.ones(3)), ValueError,
     r"z must be a 2-D array of shape \(N, K\).*got shape \(3,\)"),
    (lambda: act.softmax(np.array([[np.inf, 0.0]])), ValueError, "z must be finite"),
    (lambda: act.softmax(np.array([[-np.inf, 0.0]])), ValueError, "z must be finite"),
    (lambda: act.softmax_jacobian(1.0), ValueError, r"z must be a 2-D array of shape \(N, K\)"),
    (lambda: act.maxout(np.ones((2, 4)), pieces=3), ValueError, r"z must have shape \(N, K \* 3\)"),
    (lambda: act.maxout(np.ones((2, 4)), pieces=0), ValueError, "pieces must be an int >= 1, got 0"),
    (lambda: act.maxout(np.ones((2, 4)), pieces=2.0), TypeError, "pieces must be an int, got float"),
    (lambda: act.maxout_backward(np.ones((2, 3)), act.maxout(np.ones((2, 4)), 2)[1]),
     ValueError, r"dout must have shape \(2, 2\), got \(2, 3\)"),
    (lambda: act.maxout_backward(np.full((2, 2), np.nan), act.maxout(np.ones((2, 4)), 2)[1]),
     ValueError, "dout must be finite"),
])
def test_bad_inputs_are_named(call, error, match):
    with pytest.raises(error, match=match):
        call()
