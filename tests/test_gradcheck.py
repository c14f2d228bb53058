import numpy as np
import pytest

from dlbook.gradcheck import numerical_gradient, relative_error


def test_numerical_gradient_of_a_cubic_matches_the_derivative():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 4))
    grad = numerical_gradient(lambda v: np.sum(v**3 + 2 * v), x)
    assert relative_error(grad, 3 * x**2 + 2) < 1e-9


def test_numerical_gradient_restores_its_input():
    x = np.linspace(-1, 1, 5)
    before = x.copy()
    numerical_gradient(lambda v: np.sum(np.sin(v)), x)
    np.testing.assert_array_equal(x, before)


def test_numerical_gradient_sees_a_wrong_gradient():
    x = np.array([0.3, -0.7])
    wrong = 2 * x + 1e-3
    assert relative_error(numerical_gradient(lambda v: np.sum(v**2), x), wrong) > 1e-7


@pytest.mark.parametrize("x, error, match", [
    (np.ones(3, dtype=np.float32), TypeError, "float64"),
    ([1.0, 2.0], TypeError, "float64"),
])
def test_numerical_gradient_rejects_non_float64(x, error, match):
    with pytest.raises(error, match=match):
        numerical_gradient(np.sum, x)


def test_numerical_gradient_rejects_bad_eps_and_f():
    with pytest.raises(ValueError, match="eps must be a positive finite number, got 0.0"):
        numerical_gradient(np.sum, np.ones(2), eps=0.0)
    with pytest.raises(TypeError, match="eps must be a number, got str"):
        numerical_gradient(np.sum, np.ones(2), eps="1e-6")
    with pytest.raises(TypeError, match="f must be callable"):
        numerical_gradient("sum", np.ones(2))


def test_relative_error_scale_and_symmetry():
    a = np.array([1.0, 2.0, 3.0])
    assert relative_error(a, a) == 0.0
    assert relative_error(a, -a) == pytest.approx(1.0)
    assert relative_error(a, a * (1 + 1e-8)) == pytest.approx(relative_error(a * (1 + 1e-8), a))
    assert relative_error(np.zeros(3), np.zeros(3)) == 0.0


def test_relative_error_rejects_mismatched_or_non_finite():
    with pytest.raises(ValueError, match="same shape"):
        relative_error(np.ones(2), np.ones(3))
    with pytest.raises(ValueError, match="a must be finite"):
        relative_error(np.array([np.nan]), np.array([1.0]))
    with pytest.raises(ValueError, match="b must be finite"):
        relative_error(np.array([1.0]), np.array([np.inf]))
