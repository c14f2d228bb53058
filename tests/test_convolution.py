"""Tests for dlbook.convolution: convolution and pooling against Keras, loops and finite differences."""

import keras
import numpy as np
import pytest

from dlbook import backend, cnn
from dlbook import convolution as cv
from dlbook.gradcheck import numerical_gradient, relative_error
from tests.tolerances import AUTODIFF_RTOL, KERAS64_RTOL

if keras.backend.backend() == "jax":  # without x64, JAX computes Keras' float64 layers in float32
    import jax

    jax.config.update("jax_enable_x64", True)

GRAD_TOL = 1e-7  # float64 analytic vs central-difference gradients
KERAS64_TOL = KERAS64_RTOL  # Keras layers with dtype="float64" (tests/tolerances.py)
KERAS32_TOL = 1e-5  # Keras' default float32 layers on O(1) numbers
AUTODIFF_TOL = AUTODIFF_RTOL  # relative error against automatic differentiation (tests/tolerances.py)

# the worked example of Dumoulin and Visin (2016), figure 1.1: padding 0, stride 1
EXAMPLE_INPUT = np.array([[3, 3, 2, 1, 0], [0, 0, 1, 3, 1], [3, 1, 2, 2, 3], [2, 0, 0, 2, 2],
                          [2, 0, 0, 0, 1]], dtype=float)
EXAMPLE_KERNEL = np.array([[0, 1, 2], [2, 2, 0], [0, 1, 2]], dtype=float)
EXAMPLE_OUTPUT = np.array([[12, 12, 17], [10, 17, 19], [9, 6, 14]], dtype=float)

# (input H, W), kernel, stride, padding: odd and even kernels, strides that do and do not
# divide the input, and 'same' paddings that are asymmetric (an odd total)
CASES = [((7, 8), 3, 1, "valid"), ((7, 8), 3, 1, "same"), ((7, 8), 3, 2, "valid"),
         ((7, 8), 3, 2, "same"), ((8, 8), 2, 2, "same"), ((6, 7), 2, 1, "same"),
         ((9, 6), 4, 3, "same"), ((9, 6), 4, 3, "valid"), ((5, 5), 1, 2, "same"),
         ((6, 9), (2, 3), (1, 2), "same"), ((6, 9), (3, 2), (2, 1), "valid"), ((5, 5), 5, 1, "same")]


def conv_problem(hw=(7, 8), kernel=3, n=2, c=3, f=4, seed=0):
    rng = np.random.default_rng(seed)
    kh, kw = (kernel, kernel) if isinstance(kernel, int) else kernel
    return (rng.normal(size=(n, *hw, c)), rng.normal(size=(kh, kw, c, f)), rng.normal(size=f))


def keras_pool_layer(kind, **kwargs):
    cls = keras.layers.MaxPooling2D if kind == "max" else keras.layers.AveragePooling2D
    return cls(dtype="float64", **kwargs)


# ---------------------------------------------------------------------------
# The worked example and the output size


def test_worked_example_by_loops_im2col_and_keras_conv2d():
    x, w, b = EXAMPLE_INPUT[None, :, :, None], EXAMPLE_KERNEL[:, :, None, None], np.zeros(1)
    layer = keras.layers.Conv2D(1, 3, padding="valid", use_bias=False)  # float32, as a reader would
    layer.build(x.shape)
    layer.set_weights([w])
    for y in (cv.conv2d_naive(x, w, b), cv.conv2d_forward(x, w, b)[0], cv.conv2d(x, w, b),
              keras.ops.convert_to_numpy(layer(x))):
        np.testing.assert_array_equal(y[0, :, :, 0], EXAMPLE_OUTPUT)


def test_worked_example_is_a_cross_correlation_not_a_flipped_convolution():
    flipped = cv.conv2d(EXAMPLE_INPUT[None, :, :, None], EXAMPLE_KERNEL[::-1, ::-1, None, None], [0.0])
    assert not np.array_equal(flipped[0, :, :, 0], EXAMPLE_OUTPUT)


@pytest.mark.parametrize("n", [1, 5, 7, 8, 28, 128])
@pytest.mark.parametrize("kernel", [1, 2, 3, 5])
@pytest.mark.parametrize("stride", [1, 2, 3])
@pytest.mark.parametrize("padding", ["valid", "same"])
def test_output_size_matches_keras_conv2d_and_pooling_shapes(n, kernel, stride, padding):
    if padding == "valid" and kernel > n:
        with pytest.raises(ValueError, match="kernel must fit"):
            cv.output_size(n, kernel, stride, padding)
        return
    size = cv.output_size(n, kernel, stride, padding)
    conv = keras.layers.Conv2D(1, (kernel, 1), strides=(stride, 1), padding=padding)
    pool = keras.layers.MaxPooling2D((kernel, 1), strides=(stride, 1), padding=padding)
    assert conv.compute_output_shape((None, n, 1, 1))[1] == size
    assert pool.compute_output_shape((None, n, 1, 1))[1] == size


def test_output_size_answers_the_notes_question_and_the_formula_with_explicit_padding():
    assert cv.output_size(128, 3, 2, "same") == 64
    for n, k, s, p in [(5, 3, 1, 1), (128, 3, 2, 1), (7, 4, 3, 2), (6, 6, 1, 0)]:
        x = np.zeros((1, n, n, 1))
        expected = cv.conv2d(cv.pad(x, ((p, p), (p, p))), np.zeros((k, k, 1, 1)), [0.0], s).shape[1]
        assert cv.output_size(n, k, s, p) == expected == (n + 2 * p - k) // s + 1


@pytest.mark.parametrize("n, kernel, stride, expected", [(5, 3, 1, (1, 1)), (6, 2, 1, (0, 1)),
                                                         (7, 4, 1, (1, 2)), (8, 3, 2, (0, 1)),
                                                         (7, 3, 2, (1, 1)), (5, 1, 2, (0, 0)),
                                                         (4, 6, 1, (2, 3))])
def test_same_padding_puts_the_odd_zero_after_as_tensorflow_does(n, kernel, stride, expected):
    before, after = cv.same_padding(n, kernel, stride)
    assert (before, after) == expected
    assert cv.output_size(n + before + after, kernel, stride) == cv.output_size(n, kernel, stride, "same")


def test_same_padding_matches_keras_on_an_impulse():
    # an impulse at the top-left corner: where Keras' output sees it tells the padding before
    x = np.zeros((1, 6, 6, 1))
    x[0, 0, 0, 0] = 1.0
    w = np.arange(1.0, 5.0).reshape(2, 2, 1, 1)  # 2x2, so 'same' pads 0 before and 1 after
    np.testing.assert_array_equal(cv.conv2d(x, w, [0.0], 1, "same"), cnn.keras_conv2d(x, w, [0.0], 1, "same"))
    assert cv.conv2d(x, w, [0.0], 1, "same")[0, 0, 0, 0] == 1.0  # w[0, 0]: no zero row before


# ---------------------------------------------------------------------------
# Convolution forward: against Keras and the loops


@pytest.mark.parametrize("hw, kernel, stride, padding", CASES)
def test_conv2d_forward_matches_keras_conv2d_in_float64(hw, kernel, stride, padding):
    x, w, b = conv_problem(hw, kernel, seed=sum(hw))
    y, cache = cv.conv2d_forward(x, w, b, stride, padding)
    expected = cnn.keras_conv2d(x, w, b, stride, padding)
    assert y.shape == expected.shape and y.dtype == np.float64
    np.testing.assert_allclose(y, expected, atol=KERAS64_TOL, rtol=KERAS64_TOL)
    assert cache.x_shape == x.shape and cache.cols.shape[0] == y.shape[0] * y.shape[1] * y.shape[2]


def test_conv2d_forward_matches_keras_default_float32_layer():
    x, w, b = conv_problem((10, 9), 3, n=3, c=2, f=5, seed=4)
    layer = keras.layers.Conv2D(5, 3, strides=2, padding="same")
    layer.build(x.shape)
    layer.set_weights([w, b])
    np.testing.assert_allclose(cv.conv2d(x, w, b, 2, "same"), keras.ops.convert_to_numpy(layer(x)),
                               atol=KERAS32_TOL, rtol=KERAS32_TOL)


@pytest.mark.parametrize("hw, kernel, stride, padding", CASES[:6])
def test_im2col_forward_equals_the_naive_loops(hw, kernel, stride, padding):
    x, w, b = conv_problem(hw, kernel, seed=7)
    np.testing.assert_allclose(cv.conv2d(x, w, b, stride, padding),
                               cv.conv2d_naive(x, w, b, stride, padding), atol=1e-12, rtol=1e-12)


def test_one_by_one_convolution_is_a_dense_layer_on_every_pixel():
    x, w, b = conv_problem((4, 5), 1, c=3, f=2, seed=8)
    np.testing.assert_allclose(cv.conv2d(x, w, b), x @ w[0, 0] + b, atol=1e-12)


def test_im2col_rows_are_the_receptive_fields_and_col2im_is_its_adjoint():
    rng = np.random.default_rng(9)
    x = rng.normal(size=(2, 7, 6, 3))
    cols = cv.im2col(x, (3, 2), (2, 1))
    assert cols.shape == (2 * 3 * 5, 3 * 2 * 3)
    np.testing.assert_array_equal(cols[5 + 1], x[0, 2:5, 1:3, :].ravel())  # row (n=0, i=1, j=1)
    c = rng.normal(size=cols.shape)
    # <im2col(x), c> = <x, col2im(c)>: col2im is the transpose of the linear map im2col
    assert np.isclose(np.sum(cols * c), np.sum(x * cv.col2im(c, x.shape, (3, 2), (2, 1))), rtol=1e-12)


def test_col2im_counts_how_many_windows_cover_each_pixel():
    counts = cv.col2im(np.ones((9, 9)), (1, 5, 5, 1), 3, 1)[0, :, :, 0]
    np.testing.assert_array_equal(counts[0], [1, 2, 3, 2, 1])
    np.testing.assert_array_equal(counts[2], [3, 6, 9, 6, 3])


# ---------------------------------------------------------------------------
# Convolution backward


@pytest.mark.parametrize("hw, kernel, stride, padding", CASES[:10])
def test_conv2d_backward_matches_finite_differences(hw, kernel, stride, padding):
    x, w, b = conv_problem(hw, kernel, n=2, c=2, f=3, seed=hw[0] * hw[1])
    y, cache = cv.conv2d_forward(x, w, b, stride, padding)
    dout = np.random.default_rng(1).normal(size=y.shape)
    dx, dw, db = cv.conv2d_backward(dout, cache)

    def loss(x_, w_, b_):  # L = sum(dout * y), so dL/dy = dout
        return float(np.sum(dout * cv.conv2d(x_, w_, b_, stride, padding)))

    assert relative_error(dx, numerical_gradient(lambda v: loss(v, w, b), x.copy())) < GRAD_TOL
    assert relative_error(dw, numerical_gradient(lambda v: loss(x, v, b), w.copy())) < GRAD_TOL
    assert relative_error(db, numerical_gradient(lambda v: loss(x, w, v), b.copy())) < GRAD_TOL
    assert dx.shape == x.shape and dw.shape == w.shape and db.shape == b.shape


@pytest.mark.parametrize("stride, padding", [(1, "valid"), (2, "same"), (3, "same")])
def test_conv2d_backward_matches_automatic_differentiation_through_keras_ops(stride, padding):
    x, w, b = conv_problem((7, 8), 3, seed=11)
    y, cache = cv.conv2d_forward(x, w, b, stride, padding)
    dout = np.random.default_rng(2).normal(size=y.shape)

    def loss(params):
        out = keras.ops.conv(params[0], params[1], strides=stride, padding=padding) + params[2]
        return keras.ops.sum(out * keras.ops.convert_to_tensor(dout))

    for ours, theirs in zip(cv.conv2d_backward(dout, cache), backend.autodiff_gradient(loss, [x, w, b]),
                            strict=True):
        assert relative_error(ours, theirs) < AUTODIFF_TOL


def test_gradient_check_helper_is_small_for_every_layer_and_catches_a_wrong_backward(monkeypatch):
    for layer in cv.LAYERS:
        errors = cv.gradient_check(layer, stride=2, padding="same")
        assert set(errors) == ({"dx", "dw", "db"} if layer == "conv" else {"dx"})
        assert max(errors.values()) < GRAD_TOL
    correct = cv.conv2d_backward

    def flipped(dout, cache):  # the gradient of a true (flipped) convolution: wrong for Keras' layer
        dx, dw, db = correct(dout, cache)
        return dx, dw[::-1, ::-1], db

    monkeypatch.setattr(cv, "conv2d_backward", flipped)
    errors = cv.gradient_check("conv")
    assert errors["dw"] > 1e-2 and errors["dx"] < GRAD_TOL


# ---------------------------------------------------------------------------
# Pooling


POOL_CASES = [((6, 6), 2, None, "valid"), ((7, 7), 2, None, "valid"), ((7, 7), 2, None, "same"),
              ((7, 8), 3, 2, "valid"), ((7, 8), 3, 2, "same"), ((5, 6), 3, 1, "same"),
              ((8, 5), (2, 3), (2, 1), "same"), ((9, 9), 3, None, "same")]


def torch_replicates_the_edges(kind, hw, pool_size, stride, padding) -> bool:
    """Whether Keras' torch backend averages this pool over replicated edge pixels.

    Torch pads only symmetrically, so where "same" asks for more padding on one side
    Keras' torch backend pads by hand, replicating the edge pixels, and averages over
    the whole window: an edge pixel counts twice where TensorFlow, JAX and dlbook
    average over the real pixels only (the same number when a window holds one real
    pixel, as with 2x2 windows; a different one with 3x3, stride 2, on 7x8 pixels).
    Max pooling is unaffected by a repeated pixel.
    """
    if backend.name() != "torch" or kind not in ("average", "avg") or padding != "same":
        return False
    return any(before != after for before, after in same_pads(hw, pool_size, stride))


def same_pads(hw, pool_size, stride) -> list[tuple[int, int]]:
    """The (before, after) padding of "same" along H and W."""
    sizes, strides = np.broadcast_to(pool_size, 2), np.broadcast_to(stride or pool_size, 2)
    return [cv.same_padding(n, int(k), int(s)) for n, k, s in zip(hw, sizes, strides, strict=True)]


def edge_replicated_average_pool(x, pool_size, stride):
    """The torch backend's "same" average pool: edge-padded x, then a "valid" average pool."""
    padded = np.pad(x, [(0, 0), *same_pads(x.shape[1:3], pool_size, stride), (0, 0)], mode="edge")
    return cv.pool_forward("average", padded, pool_size, stride, "valid")[0]


@pytest.mark.parametrize("kind", cv.POOLS)
@pytest.mark.parametrize("hw, pool_size, stride, padding", POOL_CASES)
def test_pooling_forward_matches_keras(kind, hw, pool_size, stride, padding):
    x = np.random.default_rng(sum(hw)).normal(size=(2, *hw, 3))
    y, cache = cv.pool_forward(kind, x, pool_size, stride, padding)
    layer = keras_pool_layer(kind, pool_size=pool_size, strides=stride, padding=padding)
    expected = keras.ops.convert_to_numpy(layer(x))
    if torch_replicates_the_edges(kind, hw, pool_size, stride, padding):  # a known difference, tested
        np.testing.assert_allclose(expected, edge_replicated_average_pool(x, pool_size, stride),
                                   atol=KERAS64_TOL)
        return
    assert y.shape == expected.shape
    np.testing.assert_allclose(y, expected, atol=KERAS64_TOL, rtol=KERAS64_TOL)
    np.testing.assert_allclose(y, cnn.keras_pool(kind, x, pool_size, stride, padding), atol=KERAS64_TOL)
    assert isinstance(cache, cv.PoolCache) and cache.padding == padding


@pytest.mark.parametrize("kind", ["maxpool", "avgpool"])
@pytest.mark.parametrize("hw, pool_size, stride, padding", POOL_CASES)
def test_pooling_backward_matches_finite_differences(kind, hw, pool_size, stride, padding):
    forward, backward = ((cv.maxpool_forward, cv.maxpool_backward) if kind == "maxpool"
                         else (cv.avgpool_forward, cv.avgpool_backward))
    rng = np.random.default_rng(hw[0] + 10 * hw[1])
    x = rng.normal(size=(2, *hw, 2))
    y, cache = forward(x, pool_size, stride, padding)
    dout = rng.normal(size=y.shape)
    dx = backward(dout, cache)
    numeric = numerical_gradient(lambda v: float(np.sum(dout * forward(v, pool_size, stride, padding)[0])),
                                 x.copy())
    assert dx.shape == x.shape
    assert relative_error(dx, numeric) < GRAD_TOL


@pytest.mark.parametrize("kind", cv.POOLS)
@pytest.mark.parametrize("pool_size, stride, padding", [(2, 2, "valid"), (3, 2, "same"), (3, 1, "same")])
def test_pooling_backward_matches_automatic_differentiation_through_keras_ops(kind, pool_size, stride,
                                                                            padding):
    rng = np.random.default_rng(pool_size + stride)
    x = rng.normal(size=(2, 7, 8, 3))
    y, cache = cv.pool_forward(kind, x, pool_size, stride, padding)
    dout = rng.normal(size=y.shape)
    pool = keras.ops.max_pool if kind == "max" else keras.ops.average_pool
    (expected,) = backend.autodiff_gradient(
        lambda p: keras.ops.sum(pool(p[0], pool_size, stride, padding) * keras.ops.convert_to_tensor(dout)),
        [x])
    backward = cv.maxpool_backward if kind == "max" else cv.avgpool_backward
    if torch_replicates_the_edges(kind, (7, 8), pool_size, stride, padding):  # a known difference, tested
        reference = numerical_gradient(  # the pool is linear: central differences are exact
            lambda v: float(np.sum(edge_replicated_average_pool(v, pool_size, stride) * dout)), x.copy())
        assert relative_error(reference, expected) < AUTODIFF_TOL
        return
    assert relative_error(backward(dout, cache), expected) < AUTODIFF_TOL


def test_maxpool_backward_sends_each_gradient_to_the_window_maximum_only():
    x = np.array([[1.0, 5.0, 2.0, 0.0], [3.0, 4.0, 8.0, 1.0], [0.0, 0.0, 1.0, 1.0],
                  [9.0, 0.0, 1.0, 7.0]])[None, :, :, None]
    y, cache = cv.maxpool_forward(x)
    np.testing.assert_array_equal(y[0, :, :, 0], [[5.0, 8.0], [9.0, 7.0]])
    dx = cv.maxpool_backward(np.array([[1.0, 2.0], [3.0, 4.0]])[None, :, :, None], cache)[0, :, :, 0]
    np.testing.assert_array_equal(dx, [[0, 1, 0, 0], [0, 0, 2, 0], [0, 0, 0, 0], [3, 0, 0, 4]])


def test_avgpool_same_padding_averages_only_the_real_pixels():
    x = np.ones((1, 3, 3, 1))
    y, cache = cv.avgpool_forward(x, 2, 2, "same")  # windows at the right and bottom edge are cut off
    np.testing.assert_array_equal(y, np.ones((1, 2, 2, 1)))
    dx = cv.avgpool_backward(np.ones_like(y), cache)[0, :, :, 0]
    np.testing.assert_allclose(dx, [[0.25, 0.25, 0.5], [0.25, 0.25, 0.5], [0.5, 0.5, 1.0]])


def test_pool_backward_accepts_a_plain_tuple_cache():
    x = np.random.default_rng(3).normal(size=(2, 6, 6, 2))
    y, cache = cv.maxpool_forward(x, 3, 3)
    dout = np.ones_like(y)
    np.testing.assert_array_equal(cv.maxpool_backward(dout, (x, 3, 3)), cv.maxpool_backward(dout, cache))


# ---------------------------------------------------------------------------
# Translations


def test_translate_moves_pixels_and_fills_with_zeros():
    x = np.arange(1.0, 13.0).reshape(1, 3, 4, 1)
    moved = cv.translate(x, (1, -2))[0, :, :, 0]
    np.testing.assert_array_equal(moved, [[0, 0, 0, 0], [3, 4, 0, 0], [7, 8, 0, 0]])
    np.testing.assert_array_equal(cv.translate(x, (0, 0)), x)
    np.testing.assert_array_equal(cv.translate(x, (3, 0)), np.zeros_like(x))
    np.testing.assert_array_equal(cv.translate(cv.translate(x, (1, 1)), (-1, -1))[:, :2, :3], x[:, :2, :3])


@pytest.mark.parametrize("shift", [(2, 3), (-1, 2), (0, -3)])
def test_convolution_commutes_with_translation_away_from_the_edges(shift):
    x, w, b = conv_problem((12, 12), 3, n=1, c=2, f=3, seed=12)
    x = cv.pad(x[:, 3:9, 3:9], ((3, 3), (3, 3)))  # zeros around: nothing is lost by moving it
    moved_first = cv.conv2d(cv.translate(x, shift), w, b, 1, "same")
    moved_after = cv.translate(cv.conv2d(x, w, b, 1, "same") - b, shift) + b
    np.testing.assert_allclose(moved_first, moved_after, atol=1e-12)


def test_random_translations_shift_each_image_within_the_range_and_repeat_with_the_seed():
    rng = np.random.default_rng(13)
    x = rng.random((20, 9, 9, 1))
    out = cv.random_translations(x, max_shift=2, seed=5)
    np.testing.assert_array_equal(out, cv.random_translations(x, max_shift=2, seed=5))
    assert not np.array_equal(out, cv.random_translations(x, max_shift=2, seed=6))
    shifts = [(dy, dx) for dy in range(-2, 3) for dx in range(-2, 3)]
    found = [next(s for s in shifts if np.array_equal(out[n], cv.translate(x[n:n + 1], s)[0]))
             for n in range(len(x))]
    assert len(set(found)) > 5  # several different shifts, all within +-2
    np.testing.assert_array_equal(cv.random_translations(x, max_shift=0), x)


# ---------------------------------------------------------------------------
# Argument checks


def test_conv_rejects_bad_arguments_with_messages_that_name_them():
    x, w, b = conv_problem()
    with pytest.raises(ValueError,
                       match=r"x must be a 4-D array of shape \(N, H, W, C\).*got shape \(7, 8, 3\)"):
        cv.conv2d_forward(x[0], w, b)
    with pytest.raises(ValueError, match="w must have as many input channels as x"):
        cv.conv2d_forward(x[..., :2], w, b)
    with pytest.raises(ValueError, match=r"b must have shape \(F,\) = \(4,\).*got \(3,\)"):
        cv.conv2d_forward(x, w, b[:3])
    with pytest.raises(ValueError, match="padding must be 'valid', 'same' or an int >= 0, got 'full'"):
        cv.conv2d_forward(x, w, b, padding="full")
    with pytest.raises(ValueError, match="padding must be an int >= 0, got -1"):
        cv.conv2d_forward(x, w, b, padding=-1)
    with pytest.raises(TypeError, match="stride must be an int, got float"):
        cv.conv2d_forward(x, w, b, stride=1.5)
    with pytest.raises(ValueError, match="stride must be an int >= 1, got 0"):
        cv.conv2d_forward(x, w, b, stride=0)
    with pytest.raises(ValueError, match=r"kernel \(3, 3\) must fit in the image, got an image of 2x8"):
        cv.conv2d_forward(x[:, :2], w, b)
    with pytest.raises(TypeError, match="x must be a float array"):
        cv.conv2d_naive("image", w, b)
    with pytest.raises(ValueError, match="w must be finite; found NaN or inf"):
        cv.conv2d_forward(x, np.full_like(w, np.inf), b)
    with pytest.raises(ValueError, match="b must be finite"):
        cv.conv2d_naive(x, w, np.full_like(b, np.nan))
    y, cache = cv.conv2d_forward(x, w, b)
    with pytest.raises(ValueError, match=r"dout must have the shape of the forward output \(2, 5, 6, 4\)"):
        cv.conv2d_backward(y[:, :4], cache)
    with pytest.raises(TypeError, match="cache must be the ConvCache"):
        cv.conv2d_backward(y, [1, 2])


def test_sizes_and_pooling_reject_bad_arguments():
    with pytest.raises(ValueError, match="padding must be 'valid', 'same' or an int"):
        cv.output_size(28, 3, 1, "full")
    with pytest.raises(ValueError, match="padding must be an int >= 0, got -1"):
        cv.output_size(28, 3, 1, -1)
    with pytest.raises(ValueError, match="n must be an int >= 1, got 0"):
        cv.output_size(0, 3)
    with pytest.raises(TypeError, match="kernel must be an int, got float"):
        cv.same_padding(8, 3.0)
    x = np.zeros((1, 4, 4, 1))
    with pytest.raises(ValueError, match=r"pool_size must be a tuple of 2 positive ints, got \(2, 2, 2\)"):
        cv.maxpool_forward(x, (2, 2, 2))
    with pytest.raises(ValueError, match=r"pool_size \(5, 5\) must fit"):
        cv.avgpool_forward(x, 5)
    with pytest.raises(ValueError, match="kind must be one of"):
        cv.pool_forward("min", x)
    with pytest.raises(TypeError, match="cache must be the PoolCache"):
        cv.maxpool_backward(np.zeros((1, 2, 2, 1)), x)
    with pytest.raises(ValueError, match="dout must have the shape"):
        cv.avgpool_backward(np.zeros((1, 3, 3, 1)), cv.avgpool_forward(x)[1])
    with pytest.raises(ValueError, match="cols must have shape"):
        cv.col2im(np.zeros((4, 4)), (1, 4, 4, 1), 3)
    with pytest.raises(ValueError, match="layer must be one of"):
        cv.gradient_check("dense")
    with pytest.raises(TypeError, match=r"shift must be a pair \(dy, dx\) of ints, got int"):
        cv.translate(x, 2)
    with pytest.raises(ValueError, match=r"shift must be a pair \(dy, dx\) of ints, got \(1, 2, 3\)"):
        cv.translate(x, (1, 2, 3))
    with pytest.raises(TypeError, match="shift must be an int, got float"):
        cv.translate(x, (0.5, 1))
    with pytest.raises(ValueError, match="max_shift must be an int >= 0"):
        cv.random_translations(x, max_shift=-1)


# The lecture notes' second example: padding 1, stride 2 (chapter 10 works it) ----------------

NOTES_INPUT = np.array([[2, 2, 3, 3, 3], [0, 1, 3, 0, 3], [2, 3, 0, 1, 3], [3, 3, 2, 1, 2],
                        [3, 3, 0, 2, 3]], dtype=float)
NOTES_KERNEL = np.array([[2, 0, 1], [1, 0, 0], [0, 1, 1]], dtype=float)


def test_the_notes_second_example_by_hand_loops_im2col_and_keras():
    x, w, b = NOTES_INPUT[None, :, :, None], NOTES_KERNEL[:, :, None, None], np.zeros(1)
    padded = np.pad(NOTES_INPUT, 1)
    by_hand = [[np.sum(padded[2 * i:2 * i + 3, 2 * j:2 * j + 3] * NOTES_KERNEL) for j in range(3)]
               for i in range(3)]
    assert by_hand == [[1, 5, 6], [7, 8, 3], [3, 10, 4]]  # not the notes' printed [[1, 6, 5], ...]
    np.testing.assert_array_equal(cv.conv2d_naive(x, w, b, stride=2, padding=1)[0, :, :, 0], by_hand)
    np.testing.assert_array_equal(cv.conv2d(x, w, b, stride=2, padding=1)[0, :, :, 0], by_hand)
    # Keras has no integer padding; here "same" adds the same one zero on every side
    assert cv.padding_amounts(5, 5, 3, 2, "same") == ((1, 1), (1, 1))
    np.testing.assert_allclose(cnn.keras_conv2d(x, w, b, stride=2, padding="same")[0, :, :, 0], by_hand)


@pytest.mark.parametrize("p", [0, 1, 2])
def test_integer_padding_is_p_zeros_on_every_side_and_its_gradient_checks(p):
    x, w, b = conv_problem()
    y, cache = cv.conv2d_forward(x, w, b, stride=2, padding=p)
    expected = cv.conv2d_forward(np.pad(x, ((0, 0), (p, p), (p, p), (0, 0))), w, b, stride=2)[0]
    np.testing.assert_allclose(y, expected)
    assert y.shape[1] == cv.output_size(x.shape[1], w.shape[0], 2, p)
    dout = np.random.default_rng(1).normal(size=y.shape)
    dx = cv.conv2d_backward(dout, cache)[0]
    numeric = numerical_gradient(lambda v: float(np.sum(cv.conv2d(v, w, b, 2, p) * dout)), x.copy())
    assert relative_error(dx, numeric) < 1e-7
