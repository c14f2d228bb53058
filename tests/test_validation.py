"""The shared argument checks: what they accept, and errors that name the argument."""

import numpy as np
import pytest

from dlbook import validation


def test_integer_accepts_ints_and_numpy_ints():
    assert validation.integer("n", 3) == 3 and validation.integer("n", np.int64(4), 0) == 4
    assert type(validation.integer("n", np.int32(5))) is int


@pytest.mark.parametrize(("value", "error", "match"), [
    (True, TypeError, "n must be an int, got bool"),
    (2.0, TypeError, "n must be an int, got float"),
    ("3", TypeError, "n must be an int, got str"),
    (0, ValueError, "n must be an int >= 1, got 0"),
])
def test_integer_rejects(value, error, match):
    with pytest.raises(error, match=match):
        validation.integer("n", value, 1)


def test_number_writes_the_interval_it_wanted():
    assert validation.number("x", 1, 0, 1) == 1.0
    with pytest.raises(ValueError, match=r"x must be a finite number in \(0, 1\], got 0.0"):
        validation.number("x", 0, 0, 1, low_open=True)
    with pytest.raises(ValueError, match=r"x must be a finite number in \[0, inf\), got -1.0"):
        validation.number("x", -1, 0)
    with pytest.raises(ValueError, match=r"x must be a finite number in \(-inf, inf\), got nan"):
        validation.number("x", float("nan"))
    with pytest.raises(TypeError, match="x must be a number, got NoneType"):
        validation.number("x", None)


@pytest.mark.parametrize("value", [0, -1e-9, float("inf"), float("nan")])
def test_positive_rejects(value):
    with pytest.raises(ValueError, match="eta must be a positive finite number"):
        validation.positive("eta", value)


def test_fraction_is_open_at_both_ends():
    assert validation.fraction("p", 0.5) == 0.5
    for value in (0, 1):
        with pytest.raises(ValueError, match=r"p must be a finite number in \(0, 1\)"):
            validation.fraction("p", value)


def test_generator_and_choice():
    rng = np.random.default_rng(0)
    assert validation.generator("rng", rng) is rng
    with pytest.raises(TypeError, match=r"rng must be a numpy.random.Generator .* got int"):
        validation.generator("rng", 0)
    assert validation.choice("mode", "a", ("a", "b")) == "a"
    with pytest.raises(ValueError, match=r"mode must be one of \('a', 'b'\), got 'c'"):
        validation.choice("mode", "c", ("a", "b"))


def test_boolean_refuses_truthy_stand_ins():
    assert validation.boolean("flag", False) is False
    for value in (0, 1, None, "True", np.bool_(True)):
        with pytest.raises(TypeError, match="flag must be a bool"):
            validation.boolean("flag", value)


def test_shape_accepts_positive_ints_and_a_bare_int_for_any_rank():
    assert validation.shape("s", [3, np.int64(4)]) == (3, 4)
    assert validation.shape("s", 5) == (5,)
    assert validation.shape("s", (2, 2, 1), rank=3) == (2, 2, 1)


@pytest.mark.parametrize("value, rank, error, match", [
    ((), None, ValueError, r"a positive int or a tuple of them, got \(\)"),
    ((3, 0), None, ValueError, r"got \(3, 0\)"),
    ((3, True), None, ValueError, "got"),
    ((3, 2.0), None, ValueError, "got"),
    ((28, 28), 3, ValueError, r"a tuple of 3 positive ints, got \(28, 28\)"),
    (28, 3, TypeError, "a tuple of 3 positive ints, got int"),
    ("28", None, TypeError, "got str"),
    (None, None, TypeError, "got NoneType"),
])
def test_shape_rejects(value, rank, error, match):
    with pytest.raises(error, match=match):
        validation.shape("s", value, rank)


def test_float_array_checks_layout_emptiness_and_finiteness():
    np.testing.assert_array_equal(validation.float_array("x", [[1, 2]], "(N, D)"), [[1.0, 2.0]])
    assert validation.float_array("x", [np.inf, 1.0], "(D,)", allow_inf=True)[0] == np.inf
    assert validation.float_array("x", 3.0).shape == ()  # no layout: any shape


@pytest.mark.parametrize("value, layout, allow_inf, error, match", [
    ("abc", "(N, D)", False, TypeError, r"x must be a float array of shape \(N, D\), got str"),
    (None, None, False, TypeError, "x must be a float array, got NoneType"),
    (np.ones(3), "(N, D)", False, ValueError, r"x must be a 2-D array of shape \(N, D\) .*got shape \(3,\)"),
    (np.ones((0, 3)), "(N, D)", False, ValueError, r"with no empty axis, got shape \(0, 3\)"),
    ([1.0, np.inf], "(D,)", False, ValueError, "x must be finite; found NaN or inf"),
    ([1.0, np.nan], "(D,)", True, ValueError, "x must not contain NaN"),
])
def test_float_array_rejects(value, layout, allow_inf, error, match):
    with pytest.raises(error, match=match):
        validation.float_array("x", value, layout, allow_inf=allow_inf)


def test_choice_refuses_a_value_of_another_kind_with_a_type_error():
    with pytest.raises(TypeError, match=r"mode must be one of \('a', 'b'\), got int"):
        validation.choice("mode", 1, ("a", "b"))


def test_positive_ints_returns_a_tuple():
    assert validation.positive_ints("hidden", [3, np.int64(2)]) == (3, 2)
    assert validation.positive_ints("hidden", (), allow_empty=True) == ()


@pytest.mark.parametrize(("value", "error", "match"), [
    ("32", TypeError, "hidden must be a sequence of positive ints, got str"),
    (32, TypeError, "hidden must be a sequence of positive ints, got int"),
    ([3, 2.0], TypeError, r"hidden must be a sequence of positive ints, got \[3, 2.0\]"),
    ([3, True], TypeError, r"got \[3, True\]"),
    ([], ValueError, r"hidden must be a non-empty sequence of positive ints, got \[\]"),
    ([4, 0], ValueError, r"got \[4, 0\]"),
])
def test_positive_ints_rejects(value, error, match):
    with pytest.raises(error, match=match):
        validation.positive_ints("hidden", value)


def test_keras_model_accepts_a_model_and_names_anything_else():
    keras = pytest.importorskip("keras")
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    assert validation.keras_model("model", model) is model
    with pytest.raises(TypeError, match="model must be a keras.Model, got Dense"):
        validation.keras_model("model", keras.layers.Dense(1))


def test_float_array_names_an_array_that_holds_no_numbers():
    for value in (np.array(["a", "b"]), [1.0, "2"], np.array([1 + 2j])):
        with pytest.raises(TypeError, match="w must be a float array, got an array of dtype"):
            validation.float_array("w", value)


def test_float_array_keeps_a_float64_array_without_copying():
    w = np.ones(3)
    assert validation.float_array("w", w) is w


def test_class_labels_checks_kind_shape_and_range():
    np.testing.assert_array_equal(validation.class_labels("y", [0, 2, 1], 3), [0, 2, 1])
    with pytest.raises(TypeError, match="y must be an int array of class labels, got dtype float64"):
        validation.class_labels("y", [0.0, 1.0], 3)
    with pytest.raises(ValueError, match=r"y must have shape \(N,\) with N >= 1, got shape \(2, 1\)"):
        validation.class_labels("y", [[0], [1]], 3)
    with pytest.raises(ValueError, match="y must lie in 0 .. 2, got values from 0 to 3"):
        validation.class_labels("y", [0, 3], 3)


def test_function_accepts_callables_only():
    assert validation.function("f", len) is len
    with pytest.raises(TypeError, match="f must be callable, got int"):
        validation.function("f", 3)


def test_int_array_counts_bools_as_ints_and_names_the_rest():
    np.testing.assert_array_equal(validation.int_array("m", [[True, False]], "(H, W)"), [[1, 0]])
    with pytest.raises(ValueError, match=r"m must hold at least one value, got shape \(0,\)"):
        validation.int_array("m", [])
    with pytest.raises(TypeError, match="m must be an array of ints, got dtype float64"):
        validation.int_array("m", [0.5])
    with pytest.raises(ValueError, match=r"m must be a 2-D array of shape \(H, W\)"):
        validation.int_array("m", [1, 2], "(H, W)")


def test_within_names_the_values_outside_the_interval():
    p = np.array([0.2, 1.5])
    with pytest.raises(ValueError,
                       match=r"p must hold probabilities in \[0, 1\], got values in \[0.2, 1.5\]"):
        validation.within("p", p, 0, 1, "probabilities")
    assert validation.within("p", p, 0, 2) is p


def test_float_arrays_checks_every_array_of_a_list():
    assert [a.shape for a in validation.float_arrays("w", [np.ones((2, 3)), [[1.0]]], "(m, n)")] == [
        (2, 3), (1, 1)]
    with pytest.raises(TypeError, match=r"w must be a list of arrays of shape \(m, n\), got ndarray"):
        validation.float_arrays("w", np.ones((2, 2)), "(m, n)")
    with pytest.raises(ValueError, match="w must be a non-empty list"):
        validation.float_arrays("w", [], "(m, n)")
    with pytest.raises(ValueError, match=r"w\[1\] must be finite"):
        validation.float_arrays("w", [np.ones((1, 1)), [[np.nan]]], "(m, n)")


def test_image_shape_takes_two_or_three_axes():
    assert validation.image_shape("s", [28, 28]) == (28, 28)
    assert validation.image_shape("s", (8, 8, 3)) == (8, 8, 3)
    with pytest.raises(ValueError, match=r"s must be \(H, W\) or \(H, W, C\), got \(784,\)"):
        validation.image_shape("s", (784,))
    with pytest.raises(TypeError, match="s must be a positive int or a tuple of them, got str"):
        validation.image_shape("s", "28x28")
