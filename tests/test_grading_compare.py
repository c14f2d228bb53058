"""Comparators: each failure names what differs, where, and by how much."""

import numpy as np
import pytest

from dlbook.grading import compare as cmp
from dlbook.grading.runtime.codec import Fixture

TOL = cmp.Tolerance(rtol=1e-6, atol=1e-9)


def test_equal_within_tolerance_passes():
    x = np.linspace(-1, 1, 12).reshape(3, 4)
    assert cmp.compare(x, x * (1 + 5e-7), TOL) == []


def test_a_wrong_entry_is_located_and_measured():
    expected = np.arange(6.0).reshape(2, 3)
    received = expected.copy()
    received[1, 2] += 0.5
    (problem,) = cmp.compare(expected, received, TOL, "grad")
    assert "grad: 1 of 6 entries differ" in problem
    assert "first at index (1, 2): expected 5, received 5.5" in problem
    assert "max absolute error 0.5 at (1, 2); max relative error 0.1 at (1, 2)" in problem
    assert "1e-09 + 1e-06 |expected|" in problem


@pytest.mark.parametrize("received, message", [
    (np.zeros((3, 2)), "expected shape (2, 3), received shape (3, 2) (transposed?)"),
    (np.zeros((2, 3, 1)), "an axis of length 1 too many"),
    (np.zeros(6), "same number of entries"),
    (np.zeros((2, 3), dtype=np.float32), "expected dtype float64, received float32"),
    ([[0.0] * 3] * 2, "received a list; wrap it in np.array"),
    (None, "received None (is a `return` missing?)"),
    ("text", "received 'text' of type str"),
])
def test_structure_problems_are_named(received, message):
    (problem,) = cmp.compare(np.zeros((2, 3)), received, TOL)
    assert message in problem


def test_nan_and_inf_are_counted_where_the_answer_is_finite():
    received = np.array([0.5, np.nan, np.inf, np.nan])
    (problem,) = cmp.compare(np.full(4, 0.5), received, TOL)
    assert "received 2 NaN and 1 inf values" in problem and "first at index (1,)" in problem


def test_expected_nan_and_inf_match_themselves():
    expected = np.array([np.nan, np.inf, -np.inf, 1.0])
    assert cmp.compare(expected, expected.copy(), TOL) == []


def test_integer_answers_accept_any_integer_width_but_not_booleans():
    expected = np.array([0, 1, 1])
    assert cmp.compare(expected, expected.astype(np.int8), TOL) == []
    (problem,) = cmp.compare(expected, expected.astype(bool), TOL)
    assert "use .astype(int)" in problem


def test_numbers_compare_as_scalars():
    assert cmp.compare(0.25, np.float64(0.25), TOL) == []
    assert cmp.compare(0.25, np.array(0.25), TOL) == []
    (problem,) = cmp.compare(0.25, 0.5, TOL, "loss")
    assert "loss: 1 of 1 entries differ" in problem and "expected 0.25, received 0.5" in problem
    assert "expected a number" in cmp.compare(0.25, np.ones(1), TOL)[0]
    assert "expected a number" in cmp.compare(0.25, True, TOL)[0]


def test_sequences_compare_item_by_item():
    expected = [np.zeros(2), np.ones(3)]
    assert cmp.compare(expected, (np.zeros(2), np.ones(3)), TOL) == []
    assert "expected a list of 2, received a list of 1" in cmp.compare(expected, [1], TOL)[0]
    assert "grads[1]: expected shape (3,)" in cmp.compare(expected, [np.zeros(2), np.ones(2)],
                                                          TOL, "grads")[0]
    assert "expected a list of 2, received an array" in cmp.compare(expected, np.ones(2), TOL)[0]


def test_booleans_and_other_values():
    assert cmp.compare(True, np.bool_(True), TOL) == []
    assert "expected True" in cmp.compare(True, False, TOL)[0]
    assert "expected True or False" in cmp.compare(True, 1, TOL)[0]
    assert cmp.compare("relu", "relu", TOL) == []
    assert "expected 'relu'" in cmp.compare("relu", "tanh", TOL)[0]


def test_unpack_names_the_structure_it_wanted():
    assert cmp.unpack((1, 2), ("loss", "gradient")) == {"loss": 1, "gradient": 2}
    with pytest.raises(cmp.StructureError, match=r"a tuple of 2 \(loss, gradient\), received a "
                                                 r"list of 3"):
        cmp.unpack([1, 2, 3], ("loss", "gradient"))
    with pytest.raises(cmp.StructureError, match="received an array of shape"):
        cmp.unpack(np.ones(2), ("loss", "gradient"))


def test_in_place_changes_are_caught_with_their_index():
    before = (np.array([1.0, -2.0, np.nan]), 0.5)
    after = [np.array([1.0, 0.0, np.nan]), None]
    (problem,) = cmp.changed_inputs(before, after, ("z", "alpha"))
    assert "changed its argument `z` in place at index (1,): -2 -> 0" in problem
    assert cmp.changed_inputs(before, [before[0].copy(), None], ("z", "alpha")) == []


def test_changes_inside_lists_and_fixtures_and_of_shape_are_caught():
    weights = [np.ones((2, 3)), np.ones((1, 4))]
    changed = [np.ones((2, 3)), np.zeros((1, 4))]
    assert "`weights[1]` in place at index (0, 0)" in cmp.changed_inputs(
        (weights,), [changed], ("weights",))[0]
    cache = Fixture("backprop_cache", {"a_bias": [np.ones(2)], "output": np.ones(1)})
    assert "`cache.output`" in cmp.changed_inputs((cache,), [[[np.ones(2)], np.zeros(1)]],
                                                  ("cache",))[0]
    assert "now shape (3,)" in cmp.changed_inputs((np.ones(2),), [np.ones(3)], ("x",))[0]
    assert cmp.changed_inputs((np.ones(2),), "not a list", ("x",)) == []


def test_gradient_check_against_finite_differences():
    x = np.array([0.3, -1.2, 2.0])

    def f(v):
        return float(np.sum(v ** 3))

    assert cmp.gradient_problems(f, x, 3 * x ** 2, "df/dx") == []
    (problem,) = cmp.gradient_problems(f, x, 3 * x ** 2 + 0.01, "df/dx")
    assert "finite-difference check of df/dx: relative error" in problem
    assert cmp.gradient_problems(f, x, np.ones(2), "df/dx") == []  # compare() reports shapes
