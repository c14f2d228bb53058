import keras
import numpy as np
import pytest

from dlbook import activations as act
from dlbook.gradcheck import numerical_gradient, relative_error

RNG = np.random.default_rng(0)
# away from the kink at 0, where ReLU-like derivatives are undefined
Z = np.concatenate([RNG.uniform(-4, -0.1, 20), RNG.uniform(0.1, 4, 20)])


@pytest.mark.parametrize("name", sorted(act.ACTIVATIONS))
def test_every_derivative_matches_finite_differences(name):
    g, g_prime = act.get(name)
    z = Z.copy()
    numeric = numerical_gradient(lambda v: np.sum(g(v)), z)
    assert relative_error(g_prime(Z), numeric) < 1e-7


@pytest.mark.parametrize("ours, theirs", [
    (act.sigmoid, keras.activations.sigmoid),
    (act.tanh, keras.activations.tanh),
    (act.relu, keras.activations.relu),
    (lambda z: act.leaky_relu(z, 0.1), lambda z: keras.activations.leaky_relu(z, negative_slope=0.1)),
    (act.elu, keras.activations.elu),
    (act.selu, keras.activations.selu),
])
def test_activations_match_keras(ours, theirs):
    z = RNG.normal(scale=3, size=(8, 5))
    expected = keras.ops.convert_to_numpy(theirs(keras.ops.convert_to_tensor(z)))
    np.testing.assert_allclose(ours(z), expected, rtol=1e-6, atol=1e-7)


def test_softmax_matches_keras_and_survives_huge_logits():
    z = RNG.normal(size=(4, 6))
    expected = keras.ops.convert_to_numpy(keras.activations.softmax(keras.ops.convert_to_tensor(z)))
    np.testing.assert_allclose(act.softmax(z), expected, rtol=1e-6)
    big = act.softmax(np.array([[1000.0, 0.0, -1000.0]]))
    assert np.all(np.isfinite(big)) and big[0, 0] == pytest.approx(1.0)


def test_sigmoid_is_stable_for_large_inputs():
    with np.errstate(over="raise"):
        values = act.sigmoid(np.array([-800.0, 0.0, 800.0]))
    np.testing.assert_allclose(values, [0.0, 0.5, 1.0])


def test_softmax_jacobian_matches_finite_differences():
    z = RNG.normal(size=(3, 4))
    jac = act.softmax_jacobian(z)
    for k in range(4):
        numeric = numerical_gradient(lambda v, k=k: np.sum(act.softmax(v)[:, k]), z.copy())
        np.testing.assert_allclose(jac[:, k, :], numeric, atol=1e-8)


def test_maxout_picks_the_group_maximum_and_routes_the_gradient():
    z = RNG.normal(size=(5, 6))
    out, cache = act.maxout(z, pieces=3)
    np.testing.assert_array_equal(out, z.reshape(5, 2, 3).max(axis=2))
    dout = RNG.normal(size=out.shape)
    numeric = numerical_gradient(lambda v: np.sum(act.maxout(v, 3)[0] * dout), z.copy())
    assert relative_error(act.maxout_backward(dout, cache), numeric) < 1e-7


def test_step_and_sign_are_flat_almost_everywhere():
    z = Z.copy()
    np.testing.assert_array_equal(act.step(z), (z >= 0).astype(float))
    np.testing.assert_array_equal(act.sign(z), np.sign(z))
    assert np.all(numerical_gradient(lambda v: np.sum(act.step(v)), z) == 0)


def test_selu_constants_keep_a_standard_normal_standardized():
    z = np.random.default_rng(1).normal(size=1_000_000)
    a = act.selu(z)
    assert abs(a.mean()) < 0.01 and abs(a.var() - 1) < 0.01


def test_bad_inputs_are_named():
    with pytest.raises(ValueError, match="name must be one of"):
        act.get("swish")
    with pytest.raises(ValueError, match="alpha must be"):
        act.leaky_relu(Z, alpha=1.5)
    with pytest.raises(ValueError, match="NaN"):
        act.relu(np.array([1.0, np.nan]))
    with pytest.raises(TypeError, match="numeric"):
        act.tanh(np.array(["a"]))
    with pytest.raises(ValueError, match=r"z must have shape \(N, K \* 3\)"):
        act.maxout(np.ones((2, 4)), pieces=3)
    with pytest.raises(ValueError, match="pieces must be"):
        act.maxout(np.ones((2, 4)), pieces=0)
    with pytest.raises(ValueError, match="dout must have shape"):
        act.maxout_backward(np.ones((2, 3)), act.maxout(np.ones((2, 4)), 2)[1])
    with pytest.raises(ValueError, match="scalar"):
        act.softmax(1.0)
    with pytest.raises(ValueError, match=r"shape \(N, K\)"):
        act.softmax_jacobian(np.ones(3))
