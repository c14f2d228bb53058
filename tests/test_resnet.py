"""Tests for dlbook.resnet and dlbook.resnet_keras: the dense residual block, the unit, the ResNet."""

import keras
import numpy as np
import pytest

from dlbook import backend, resnet
from dlbook import resnet_keras as rk
from dlbook.gradcheck import numerical_gradient, relative_error
from dlbook.resnet_keras import ResidualUnit
from tests.tolerances import KERAS64_RTOL

BLOCK_SHAPES = [(1, 3, 2), (5, 4, 6), (8, 6, 3)]  # (N, D, H)
# model.save under TensorFlow converts tensors with a NumPy 1 call that NumPy 2 warns about
KERAS_SAVE_WARNING = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")
SMALL_STAGES = ((4, 1), (8, 1))


def block(n, d, h, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, d)), rng.normal(size=(d, h)), rng.normal(size=(h, d))


def keras_block(d, h):
    """The same block in Keras, float64: Dense(relu) -> Dense -> Add(input) -> ReLU, no biases."""
    inputs = keras.Input((d,), dtype="float64")
    hidden = keras.layers.Dense(h, activation="relu", use_bias=False, dtype="float64")(inputs)
    residual = keras.layers.Dense(d, use_bias=False, dtype="float64")(hidden)
    outputs = keras.layers.ReLU(dtype="float64")(keras.layers.Add(dtype="float64")([inputs, residual]))
    return keras.Model(inputs, outputs)


def images(n=6, shape=(8, 8, 3), seed=0):
    return np.random.default_rng(seed).normal(size=(n, *shape)).astype("float32")


# ---------------------------------------------------------------------------
# NumPy: the dense residual block


@pytest.mark.parametrize("shape", BLOCK_SHAPES)
def test_residual_forward_matches_a_keras_block(shape):
    x, W1, W2 = block(*shape)
    y, cache = resnet.residual_forward(x, W1, W2)
    model = keras_block(shape[1], shape[2])
    model.set_weights([W1, W2])
    expected = keras.ops.convert_to_numpy(model(x))
    # float64 (tests/tolerances.py); a backend that computes in float32 whatever the layer's
    # dtype (JAX without x64) agrees to float32 rounding
    tolerance = KERAS64_RTOL if expected.dtype == np.float64 else 1e-5
    np.testing.assert_allclose(y, expected, rtol=tolerance, atol=tolerance)
    assert y.dtype == np.float64 and y.shape == x.shape
    np.testing.assert_array_equal(cache.z, x + np.maximum(x @ W1, 0) @ W2)


def test_a_block_whose_second_layer_is_zero_is_the_identity_on_non_negative_inputs():
    x, W1, W2 = block(6, 4, 5)
    x = np.abs(x)
    y, cache = resnet.residual_forward(x, W1, np.zeros_like(W2))
    np.testing.assert_array_equal(y, x)
    dout = np.random.default_rng(1).normal(size=x.shape)
    dx, dW1, _ = resnet.residual_backward(dout, cache)
    np.testing.assert_array_equal(dx, dout)  # the skip carries the whole gradient
    np.testing.assert_array_equal(dW1, 0.0)  # nothing reaches W1 through W2 = 0


@pytest.mark.parametrize("shape", BLOCK_SHAPES)
def test_residual_backward_passes_the_finite_difference_check(shape):
    x, W1, W2 = block(*shape, seed=sum(shape))
    dout = np.random.default_rng(7).normal(size=x.shape)
    _, cache = resnet.residual_forward(x, W1, W2)
    dx, dW1, dW2 = resnet.residual_backward(dout, cache)

    def loss(xv, W1v, W2v):
        return float(np.sum(dout * resnet.residual_forward(xv, W1v, W2v)[0]))

    assert relative_error(dx, numerical_gradient(lambda v: loss(v, W1, W2), x.copy())) < 1e-7
    assert relative_error(dW1, numerical_gradient(lambda v: loss(x, v, W2), W1.copy())) < 1e-7
    assert relative_error(dW2, numerical_gradient(lambda v: loss(x, W1, v), W2.copy())) < 1e-7


def test_residual_backward_matches_autodiff():
    x, W1, W2 = block(7, 5, 4, seed=3)
    dout = np.random.default_rng(4).normal(size=x.shape)
    _, cache = resnet.residual_forward(x, W1, W2)

    def loss(params):
        xv, W1v, W2v = params
        z = xv + keras.ops.matmul(keras.ops.relu(keras.ops.matmul(xv, W1v)), W2v)
        return keras.ops.sum(keras.ops.relu(z) * keras.ops.convert_to_tensor(dout))

    expected = backend.autodiff_gradient(loss, [x, W1, W2])
    for ours, theirs in zip(resnet.residual_backward(dout, cache), expected, strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=KERAS64_RTOL, atol=KERAS64_RTOL)


@pytest.mark.parametrize("args, error, match", [
    (("x", np.ones((3, 2)), np.ones((2, 3))), TypeError,
     r"x must be a float array of shape \(N, D\), got str"),
    ((np.ones(3), np.ones((3, 2)), np.ones((2, 3))), ValueError,
     r"x must be a 2-D array of shape \(N, D\) .*got shape \(3,\)"),
    ((np.ones((4, 3)), np.ones((3, 2)), np.full((2, 3), np.nan)), ValueError, "W2 must be finite"),
    ((np.ones((4, 3)), np.ones((2, 2)), np.ones((2, 3))), ValueError,
     r"W1 must have shape \(D, H\) = \(3, H\) .* got \(2, 2\)"),
    ((np.ones((4, 3)), np.ones((3, 2)), np.ones((2, 4))), ValueError,
     r"W2 must have shape \(H, D\) = \(2, 3\) to add F\(x\) to x, got \(2, 4\)"),
    ((np.array([["a"]]), np.ones((1, 1)), np.ones((1, 1))), TypeError, "x must be a float array"),
])
def test_residual_forward_rejects_bad_input(args, error, match):
    with pytest.raises(error, match=match):
        resnet.residual_forward(*args)


def test_residual_backward_rejects_bad_input():
    x, W1, W2 = block(4, 3, 2)
    _, cache = resnet.residual_forward(x, W1, W2)
    with pytest.raises(ValueError, match=r"dout must have the shape of the block's output \(4, 3\)"):
        resnet.residual_backward(np.ones((4, 2)), cache)
    with pytest.raises(TypeError, match="cache must be the ResidualCache .* got list"):
        resnet.residual_backward(np.ones((4, 3)), [x, W1, W2])
    with pytest.raises(ValueError, match=r"cache.z1 must be a 2-D array of shape \(N, H\)"):
        resnet.residual_backward(np.ones((4, 3)), cache._replace(z1=cache.z1[0]))


# ---------------------------------------------------------------------------
# NumPy: shapes and parameter counts, against the Keras unit


@pytest.mark.parametrize("input_shape, filters, strides", [
    ((8, 8, 4), 4, 1), ((8, 8, 4), 8, 1), ((8, 8, 4), 8, 2), ((7, 5, 3), 3, 2), ((9, 9, 2), 6, 3),
])
def test_unit_output_shape_and_parameter_count_match_the_keras_unit(input_shape, filters, strides):
    unit = ResidualUnit(filters, strides=strides)
    y = unit(images(2, input_shape))
    assert tuple(y.shape[1:]) == resnet.unit_output_shape(input_shape, filters, strides)
    c, f, k = input_shape[-1], filters, 3
    projection = strides != 1 or c != f
    assert unit.has_projection == projection == resnet.needs_projection(c, f, strides)
    # two bias-free 3x3 convolutions, each followed by a BN with 4 numbers per channel,
    # and, for a projection, a bias-free 1x1 convolution and its BN
    formula = k * k * c * f + 4 * f + k * k * f * f + 4 * f + (c * f + 4 * f) * projection
    assert unit.count_params() == formula == resnet.unit_parameter_count(c, f, strides)


def test_a_plain_unit_has_no_projection_and_only_the_main_path_parameters():
    unit = ResidualUnit(8, strides=2, skip=False)
    y = unit(images(2, (8, 8, 4)))
    assert y.shape == (2, 4, 4, 8) and not unit.has_projection
    assert unit.count_params() == resnet.unit_parameter_count(4, 8, 2, skip=False) == (
        9 * 4 * 8 + 4 * 8 + 9 * 8 * 8 + 4 * 8)


@pytest.mark.parametrize("call, error, match", [
    (lambda: resnet.unit_output_shape((8, 8), 4), ValueError,
     r"input_shape must be a tuple of 3 positive ints, got \(8, 8\)"),
    (lambda: resnet.unit_output_shape("88", 4), TypeError, "input_shape must be a tuple"),
    (lambda: resnet.unit_output_shape((8, 8, 1), 0), ValueError, "filters must be an int >= 1, got 0"),
    (lambda: resnet.unit_output_shape((8, 8, 1), 4, 1.5), TypeError, "strides must be an int"),
    (lambda: resnet.unit_parameter_count(3, 4, kernel_size=0), ValueError, "kernel_size must be"),
    (lambda: resnet.unit_parameter_count(3, 4, skip=1), TypeError, "skip must be a bool, got int"),
    (lambda: resnet.needs_projection(True, 4, 1), TypeError, "in_channels must be an int, got bool"),
])
def test_shape_and_count_functions_reject_bad_arguments(call, error, match):
    with pytest.raises(error, match=match):
        call()


# ---------------------------------------------------------------------------
# Keras: the residual unit


@pytest.mark.parametrize("training", [True, False])
def test_an_identity_unit_with_zero_gamma_starts_as_the_identity(training):
    x = np.abs(images(4, (6, 6, 5)))  # non-negative, as the ReLU output of a previous unit
    unit = ResidualUnit(5, zero_gamma=True)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(unit(x, training=training)), x,
                               rtol=0, atol=1e-6)
    assert not unit.has_projection
    # and it is not the identity once the last BN has a scale (the test can fail)
    unit.bn2.gamma.assign(np.ones(5, dtype="float32"))
    assert not np.allclose(keras.ops.convert_to_numpy(unit(x, training=training)), x, atol=1e-3)


def test_the_projection_skip_is_a_strided_1x1_convolution():
    """zero_gamma silences the main path; at initialization, in inference mode, the BN of
    the projection divides by sqrt(1 + eps); what is left is ReLU(x[::s, ::s] K) / sqrt(1 + eps)."""
    x = images(3, (7, 7, 2), seed=5)
    unit = ResidualUnit(6, strides=2, zero_gamma=True)
    y = keras.ops.convert_to_numpy(unit(x, training=False))
    kernel = unit.projection.kernel.numpy()  # (1, 1, C, F)
    assert kernel.shape == (1, 1, 2, 6)
    expected = np.maximum(x[:, ::2, ::2, :] @ kernel[0, 0], 0) / np.sqrt(1 + unit.projection_bn.epsilon)
    np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-5)


def test_a_plain_unit_is_the_main_path_alone_and_the_skip_adds_the_input():
    x = np.abs(images(2, (5, 5, 3), seed=2))
    plain, residual = ResidualUnit(3, skip=False), ResidualUnit(3)
    plain.build(x.shape)
    residual.build(x.shape)
    residual.set_weights(plain.get_weights())  # same main path
    main = keras.ops.convert_to_numpy(plain.bn2(plain.conv2(keras.ops.relu(
        plain.bn1(plain.conv1(x), training=False))), training=False))
    np.testing.assert_allclose(keras.ops.convert_to_numpy(plain(x, training=False)),
                               np.maximum(main, 0), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(residual(x, training=False)),
                               np.maximum(main + x, 0), rtol=1e-5, atol=1e-5)


def test_the_unit_is_registered_and_its_config_round_trips():
    assert keras.saving.get_registered_name(ResidualUnit) == "dlbook>ResidualUnit"
    unit = ResidualUnit(12, strides=2, kernel_size=5, skip=False, zero_gamma=True, name="u")
    config = unit.get_config()
    assert {k: config[k] for k in ("filters", "strides", "kernel_size", "skip", "zero_gamma")} == {
        "filters": 12, "strides": 2, "kernel_size": 5, "skip": False, "zero_gamma": True}
    clone = ResidualUnit.from_config(config)
    assert clone.get_config() == config


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(filters=0), ValueError, "filters must be an int >= 1, got 0"),
    (dict(filters=4.0), TypeError, "filters must be an int, got float"),
    (dict(filters=4, strides=0), ValueError, "strides must be an int >= 1, got 0"),
    (dict(filters=4, skip="yes"), TypeError, "skip must be a bool, got str"),
    (dict(filters=4, zero_gamma=None), TypeError, "zero_gamma must be a bool, got NoneType"),
])
def test_the_unit_rejects_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        ResidualUnit(**kwargs)


def test_the_unit_needs_image_batches():
    with pytest.raises(ValueError, match=r"ResidualUnit needs inputs of shape \(N, H, W, C\)"):
        ResidualUnit(4)(np.zeros((2, 8, 3), dtype="float32"))


# ---------------------------------------------------------------------------
# Keras: the ResNet and its plain twin


@pytest.mark.parametrize("skip", [True, False])
def test_build_resnet_output_shape_depth_and_parameter_count(skip):
    stages = ((4, 2), (8, 1), (16, 2))
    model = rk.build_resnet((12, 12, 3), 5, stages=stages, skip=skip)
    assert model.output_shape == (None, 5)
    assert model.name == f"{'resnet' if skip else 'plain'}_{2 + 2 * 5}" == (
        f"{'resnet' if skip else 'plain'}_{resnet.network_depth(stages)}")
    units = [layer for layer in model.layers if isinstance(layer, ResidualUnit)]
    # (in channels, filters, stride) of the five units: stride 2 opens stages 2 and 3
    plan = [(4, 4, 1), (4, 4, 1), (4, 8, 2), (8, 16, 2), (16, 16, 1)]
    assert [(u.filters, u.strides) for u in units] == [(f, s) for _, f, s in plan]
    assert [u.has_projection for u in units] == [skip and (s != 1 or c != f) for c, f, s in plan]
    stem = 9 * 3 * 4 + 4 * 4  # 3x3 kernel on 3 channels, 4 filters, no bias; BN
    body = sum(resnet.unit_parameter_count(c, f, s, skip=skip) for c, f, s in plan)
    head = (16 + 1) * 5
    assert model.count_params() == stem + body + head


def test_plain_and_residual_networks_differ_only_by_the_projections():
    plain = rk.build_resnet((8, 8), 10, stages=SMALL_STAGES, skip=False)
    residual = rk.build_resnet((8, 8), 10, stages=SMALL_STAGES)
    assert residual.count_params() - plain.count_params() == 4 * 8 + 4 * 8  # one projection + BN
    x = images(5, (8, 8, 1))[..., 0]
    probabilities = keras.ops.convert_to_numpy(residual(x))
    assert probabilities.shape == (5, 10)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)


@KERAS_SAVE_WARNING
@pytest.mark.parametrize("skip", [True, False])
def test_a_saved_and_loaded_resnet_predicts_the_same(skip, tmp_path):
    model = rk.build_resnet((8, 8, 1), 3, stages=SMALL_STAGES, skip=skip, zero_gamma=skip)
    rng = np.random.default_rng(0)
    model.set_weights([rng.normal(0, 0.3, w.shape).astype("float32") + (w.ndim == 1) * 0.5
                       for w in model.get_weights()])  # moving variances stay positive
    path = tmp_path / "resnet.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    x = images(4, (8, 8, 1))
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-6, atol=1e-7)
    units = [layer for layer in loaded.layers if type(layer).__name__ == "ResidualUnit"]
    assert [u.has_projection for u in units] == [False, skip]
    assert all(u.skip is skip and u.zero_gamma is skip for u in units)


def test_a_short_training_run_lowers_the_loss():
    from dlbook import data, training

    keras.utils.set_random_seed(0)
    digits = data.load_digits()
    x, y = digits.x_train[:256], digits.y_train[:256]
    model = rk.build_resnet((8, 8), 10, stages=SMALL_STAGES)
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="sparse_categorical_crossentropy")
    losses = training.fit(model, x, y, epochs=5, batch_size=32).history["loss"]
    assert np.isfinite(losses).all() and losses[-1] < 0.7 * losses[0]


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(input_shape=(8,)), ValueError, r"input_shape must be \(H, W\) or \(H, W, C\), got \(8,\)"),
    (dict(input_shape=(8, 0, 1)), ValueError, r"input_shape must be a positive int .* got \(8, 0, 1\)"),
    (dict(input_shape="8x8"), TypeError, "input_shape must be a positive int or a tuple of them, got str"),
    (dict(n_classes=1), ValueError, "n_classes must be an int >= 2, got 1"),
    (dict(stages=()), ValueError, r"stages must hold at least one \(filters, units\) pair"),
    (dict(stages=8), TypeError, r"stages must be a sequence of \(filters, units\) pairs, got int"),
    (dict(stages=((8, 0),)), ValueError, r"stages\[0\] must be a tuple of 2 positive ints, got \(8, 0\)"),
    (dict(stages=((8, 1), (8, 1, 2))), ValueError, r"stages\[1\] must be a tuple of 2 positive ints"),
    (dict(stem_filters=0), ValueError, "stem_filters must be an int >= 1, got 0"),
    (dict(skip=0), TypeError, "skip must be a bool, got int"),
])
def test_build_resnet_rejects_bad_arguments(kwargs, error, match):
    arguments = dict(input_shape=(8, 8, 1), n_classes=3, stages=SMALL_STAGES) | kwargs
    with pytest.raises(error, match=match):
        rk.build_resnet(**arguments)


# ---------------------------------------------------------------------------
# Keras: gradient norms


def test_layer_gradient_norms_cover_the_main_path_in_order_and_follow_bn_scale_invariance():
    keras.utils.set_random_seed(1)
    model = rk.build_resnet((8, 8), 4, stages=SMALL_STAGES)
    x, y = images(16, (8, 8, 1))[..., 0], np.arange(16) % 4
    norms = rk.layer_gradient_norms(model, x, y)
    assert list(norms) == ["stem_conv/kernel", "stage1_unit1/conv1/kernel",
                           "stage1_unit1/conv2/kernel", "stage2_unit1/conv1/kernel",
                           "stage2_unit1/conv2/kernel"]
    assert len(norms) == resnet.network_depth(SMALL_STAGES) - 1  # every conv but not the Dense
    assert all(np.isfinite(v) and v > 0 for v in norms.values())
    # a BN after a convolution makes the loss blind to the kernel's scale, so doubling the
    # kernel halves its gradient and leaves the others as they were (up to BN's epsilon)
    kernel = model.get_layer("stage1_unit1").conv1.kernel
    kernel.assign(2 * kernel.value)
    doubled = rk.layer_gradient_norms(model, x, y)
    np.testing.assert_allclose(doubled["stage1_unit1/conv1/kernel"],
                               norms["stage1_unit1/conv1/kernel"] / 2, rtol=1e-2)
    np.testing.assert_allclose(doubled["stage2_unit1/conv2/kernel"],
                               norms["stage2_unit1/conv2/kernel"], rtol=1e-2)


def test_layer_gradient_norms_reject_bad_input():
    model = rk.build_resnet((8, 8), 4, stages=((4, 1),))
    with pytest.raises(TypeError, match="model must be a keras.Model, got function"):
        rk.layer_gradient_norms(lambda v: v, np.zeros((2, 8, 8)), np.zeros(2, int))
    with pytest.raises(ValueError, match="x and y must hold the same number of examples, got 2 and 3"):
        rk.layer_gradient_norms(model, np.zeros((2, 8, 8)), np.zeros(3, int))
    with pytest.raises(TypeError, match="y must be an int array of class labels"):
        rk.layer_gradient_norms(model, np.zeros((2, 8, 8)), np.zeros(2))
    with pytest.raises(ValueError, match=r"y must lie in 0 \.\. 3, got values from 0 to 4"):
        rk.layer_gradient_norms(model, np.zeros((2, 8, 8)), np.array([0, 4]))
