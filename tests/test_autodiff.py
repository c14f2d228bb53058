"""Automatic differentiation from first principles: each operation, and the MLP of chapter 3."""

import numpy as np
import pytest

from dlbook import autodiff, backprop
from dlbook.autodiff import Tensor
from dlbook.gradcheck import numerical_gradient, relative_error

RNG = np.random.default_rng(0)
COLUMN = RNG.normal(size=(4, 1))


@pytest.mark.parametrize("layers", [[2, 3, 1], [4, 5, 3, 2]])
@pytest.mark.parametrize("activation", autodiff.HIDDEN)
def test_autodiff_reproduces_the_hand_derived_backpropagation(layers, activation):
    weights = [W + RNG.normal(scale=0.1, size=W.shape) for W in backprop.init_weights(layers, seed=1)]
    X = RNG.normal(size=(7, layers[0]))
    y = (RNG.random((7, layers[-1])) > 0.5).astype(float)
    cost, grads = autodiff.mlp_gradients(weights, X, y, activation)
    y_hat, cache = backprop.forward(weights, X, activation)
    assert cost == pytest.approx(backprop.cost(y_hat, y), rel=1e-12)
    for ours, theirs in zip(grads, backprop.backward(weights, cache, y), strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-15)


def scalar_of(build, x):
    """f(x) = sum of a fixed random projection of build(Tensor(x)), so every output entry counts."""
    probe = np.random.default_rng(1).normal(size=build(Tensor(x)).data.shape)
    return lambda value: float((build(Tensor(value)).data * probe).sum()), probe


@pytest.mark.parametrize("name, build, x", [
    ("add a broadcast row", lambda t: t + Tensor(np.arange(3.0)), RNG.normal(size=(4, 3))),
    ("multiply by a column", lambda t: t * Tensor(COLUMN), RNG.normal(size=(4, 3))),
    ("matmul", lambda t: t @ Tensor(np.arange(6.0).reshape(3, 2)), RNG.normal(size=(4, 3))),
    ("transpose", lambda t: t.T * Tensor(np.arange(12.0).reshape(3, 4)), RNG.normal(size=(4, 3))),
    ("sigmoid", Tensor.sigmoid, RNG.normal(size=(4, 3))),
    ("tanh", Tensor.tanh, RNG.normal(size=(4, 3))),
    ("relu", Tensor.relu, RNG.uniform(0.1, 1, (4, 3)) * RNG.choice([-1, 1], (4, 3))),
    ("log", Tensor.log, RNG.uniform(0.5, 2, (4, 3))),
    ("subtract from a constant", lambda t: 1 - t, RNG.normal(size=(4, 3))),
    ("bias column", Tensor.with_bias, RNG.normal(size=(4, 3))),
])
def test_each_operation_agrees_with_finite_differences(name, build, x):
    f, probe = scalar_of(build, x)
    t = Tensor(x)
    (build(t) * Tensor(probe)).mean().backward()
    grad = t.grad * probe.size  # the mean divided by the number of entries
    assert relative_error(grad, numerical_gradient(f, x.copy())) < 1e-7, name


def test_a_tensor_used_twice_gets_both_contributions():
    x = Tensor([3.0])
    (x * x + x).mean().backward()
    assert x.grad[0] == 2 * 3.0 + 1  # d(x^2 + x)/dx


def test_every_node_comes_after_its_parents():
    x = Tensor([[1.0, 2.0]])
    out = (x.with_bias() @ Tensor(np.ones((3, 1)))).sigmoid().mean()
    order = autodiff.topological_order(out)
    assert order[-1] is out and order.index(x) < order.index(out.parents[0])
    assert all(order.index(p) < order.index(node) for node in order for p in node.parents)


@pytest.mark.parametrize("call, error, message", [
    (lambda: Tensor(np.ones((2, 2))).backward(), ValueError, r"scalar, got shape \(2, 2\)"),
    (lambda: Tensor([np.nan]), ValueError, "data must be finite"),
    (lambda: autodiff.mlp_gradients(backprop.init_weights([2, 1]), np.ones((3, 2)), np.ones(3),
                                    "elu"), ValueError, "activation must be one of"),
    (lambda: autodiff.mlp_gradients([np.ones(3)], np.ones((3, 2)), np.ones(3)),
     ValueError, r"weights\[0\] must be a 2-D array"),
    (lambda: autodiff.mlp_gradients(backprop.init_weights([2, 1]), np.ones((3, 4)), np.ones(3)),
     ValueError, r"weights\[0\] must have shape \(m, 5\)"),
    (lambda: autodiff.mlp_gradients(backprop.init_weights([2, 1]), np.ones((3, 2)), np.ones(4)),
     ValueError, r"y must have shape \(3, 1\)"),
])
def test_bad_input_is_named(call, error, message):
    with pytest.raises(error, match=message):
        call()
