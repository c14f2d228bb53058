"""Tests for dlbook.segmentation: shapes and trimaps, IoU, transposed convolution, the U-Net."""

import math

import keras
import numpy as np
import pytest
from scipy import ndimage
from sklearn.metrics import accuracy_score, jaccard_score
from sklearn.metrics import confusion_matrix as sk_confusion_matrix

from dlbook import segmentation as seg
from dlbook import training

# model.save under TensorFlow converts tensors with a NumPy 1 call that NumPy 2 warns about
KERAS_SAVE_WARNING = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")


def random_blobs(shape, seed):
    """Binary masks of smoothed noise: blobs with ragged outlines, touching the image edge too."""
    rng = np.random.default_rng(seed)
    return (ndimage.uniform_filter(rng.normal(size=shape), size=3) > 0.1).astype(np.int64)


def labels(shape, n_classes, seed, p=None):
    rng = np.random.default_rng(seed)
    return rng.choice(n_classes, size=shape, p=p)


def keras_tolerance(array) -> float:
    """1e-10 where the backend computed in float64 (TensorFlow); 1e-5 where in float32 (JAX)."""
    return 1e-10 if array.dtype == np.float64 else 1e-5


# ---------------------------------------------------------------------------
# Trimaps


@pytest.mark.parametrize("w", [0, 1, 2, 3])
def test_trimap_matches_scipy_grey_dilation_and_erosion(w):
    mask = random_blobs((3, 20, 25), seed=w)
    size = (1, 2 * w + 1, 2 * w + 1)  # the window over H and W only, cut at the edge
    dilated = ndimage.grey_dilation(mask, size=size, mode="nearest")
    eroded = ndimage.grey_erosion(mask, size=size, mode="nearest")
    expected = np.where(dilated != eroded, seg.BORDER, np.where(mask == 1, seg.OBJECT, seg.BACKGROUND))
    result = seg.trimap(mask, w)
    np.testing.assert_array_equal(result, expected)
    assert result.dtype == np.int64
    np.testing.assert_array_equal(seg.trimap(mask[1], w), expected[1])  # (H, W) works too


def test_trimap_of_a_square_is_a_ring_w_pixels_either_side_of_the_outline():
    mask = np.zeros((12, 12), dtype=bool)
    mask[3:9, 4:10] = True  # rows 3..8, columns 4..9
    t = seg.trimap(mask, 1)
    ring = np.zeros((12, 12), dtype=bool)
    ring[2:10, 3:11] = True  # one pixel outside
    ring[4:8, 5:9] = False   # one pixel inside
    np.testing.assert_array_equal(t == seg.BORDER, ring)
    np.testing.assert_array_equal(t == seg.OBJECT, np.pad(np.ones((4, 4), bool), ((4, 4), (5, 3))))
    assert (t[~ring & ~mask] == seg.BACKGROUND).all()


def test_trimap_of_a_uniform_mask_has_no_border_and_width_zero_keeps_the_mask():
    assert (seg.trimap(np.ones((5, 7), int), 2) == seg.OBJECT).all()
    assert (seg.trimap(np.zeros((5, 7), int), 2) == seg.BACKGROUND).all()
    mask = random_blobs((9, 9), seed=4)
    np.testing.assert_array_equal(seg.trimap(mask, 0), mask)


# ---------------------------------------------------------------------------
# Generated shapes


def test_make_shapes_shapes_dtypes_and_ranges():
    images, masks = seg.make_shapes(12, size=24, seed=3)
    assert images.shape == (12, 24, 24, 3) and images.dtype == np.float32
    assert masks.shape == (12, 24, 24) and masks.dtype == np.int64
    assert images.min() >= 0 and images.max() <= 1
    assert set(np.unique(masks)) == {seg.BACKGROUND, seg.OBJECT, seg.BORDER}
    assert all((m != seg.BACKGROUND).any() for m in masks)  # every image has a shape


def test_make_shapes_is_deterministic_under_a_seed():
    a, b, c = (seg.make_shapes(5, size=16, seed=s) for s in (7, 7, 8))
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[1], c[1])


@pytest.mark.parametrize("w", [1, 2])
def test_generated_masks_are_the_trimaps_of_the_painted_shapes(w):
    # Without noise the shapes are the pixels whose colour is not the background's: the mask
    # must be their trimap, so the border band lies on the painted outline.
    images, masks = seg.make_shapes(6, size=32, border_width=w, noise=0.0, seed=5)
    for image, mask in zip(images, masks, strict=True):
        background = image[mask == seg.BACKGROUND][0]
        painted = np.any(image != background, axis=-1)
        np.testing.assert_array_equal(mask, seg.trimap(painted, w))


@pytest.mark.parametrize("w", [1, 2])
def test_generated_border_separates_object_from_background(w):
    # An object and a background pixel are never nearer than 2w + 1 (Chebyshev): a pixel
    # within w of both would put both classes in the window of one of them.
    _, masks = seg.make_shapes(6, size=32, border_width=w, seed=5)
    window = (1, 4 * w + 1, 4 * w + 1)
    near_object = ndimage.grey_dilation((masks == seg.OBJECT).astype(int), size=window) == 1
    assert not (near_object & (masks == seg.BACKGROUND)).any()


def test_noise_is_the_only_variation_inside_a_shape_or_the_background():
    images, masks = seg.make_shapes(1, size=32, max_shapes=1, noise=0.0, seed=9)
    image, mask = images[0], masks[0]
    for cls in (seg.BACKGROUND, seg.OBJECT):
        assert len(np.unique(image[mask == cls], axis=0)) == 1
    background = image[mask == seg.BACKGROUND][0]
    shape = image[mask == seg.OBJECT][0]
    assert np.linalg.norm(background - shape) >= 0.4 - 1e-6
    noisy, _ = seg.make_shapes(1, size=32, max_shapes=1, noise=0.05, seed=9)
    assert 0.02 < np.std(noisy[0][mask == seg.BACKGROUND] - background) < 0.08


@pytest.mark.parametrize("kind, area", [("circle", math.pi), ("square", 2.0),
                                        ("triangle", 3 * math.sqrt(3) / 4)])
def test_shape_areas_match_geometry(kind, area):
    radius = 40.0
    inside = seg.shape_mask(kind, (100.0, 100.0), radius, 0.3, 200)
    assert inside.sum() == pytest.approx(area * radius**2, rel=0.01)
    # the shape is within its circumscribed circle
    y, x = np.mgrid[0:200, 0:200] + 0.5
    assert (np.hypot(x - 100, y - 100)[inside] <= radius + 1e-9).all()


def test_load_shapes_splits_the_generated_images_in_order():
    split = seg.load_shapes(4, 2, 3, size=16, seed=1)
    images, masks = seg.make_shapes(9, size=16, seed=1)
    np.testing.assert_array_equal(split.x_val, images[4:6])
    np.testing.assert_array_equal(split.y_test, masks[6:])
    np.testing.assert_array_equal(split.idx_train, np.arange(4))
    assert split.class_names == seg.CLASS_NAMES


# ---------------------------------------------------------------------------
# Scores


@pytest.mark.parametrize("seed", [0, 1])
def test_scores_match_scikit_learn(seed):
    y_true = labels((4, 10, 10), 3, seed)
    y_pred = np.where(labels((4, 10, 10), 2, seed + 10) == 1, y_true, labels((4, 10, 10), 3, seed + 20))
    np.testing.assert_array_equal(seg.confusion_matrix(y_true, y_pred, 3),
                                  sk_confusion_matrix(y_true.ravel(), y_pred.ravel(), labels=[0, 1, 2]))
    np.testing.assert_allclose(seg.iou_per_class(y_true, y_pred, 3),
                               jaccard_score(y_true.ravel(), y_pred.ravel(), average=None), rtol=1e-12)
    assert seg.mean_iou(y_true, y_pred, 3) == pytest.approx(
        jaccard_score(y_true.ravel(), y_pred.ravel(), average="macro"), rel=1e-12)
    assert seg.pixel_accuracy(y_true, y_pred) == pytest.approx(
        accuracy_score(y_true.ravel(), y_pred.ravel()), rel=1e-12)


@pytest.mark.parametrize("absent", [False, True])
def test_numpy_iou_matches_keras_metrics(absent):
    # float32 accumulation in Keras: agreement to 1e-6
    y_true = labels((3, 12, 12), 4, 5, p=[0.5, 0.3, 0.2, 0.0] if absent else None)
    y_pred = np.where(labels(y_true.shape, 3, 6) > 0, y_true, labels(y_true.shape, 3, 7))
    scores = seg.keras_segmentation_scores(y_true, y_pred, 4)
    iou = seg.iou_per_class(y_true, y_pred, 4)
    assert np.isnan(iou[3]) == absent
    assert scores["mean_iou"] == pytest.approx(seg.mean_iou(y_true, y_pred, 4), abs=1e-6)
    assert scores["pixel_accuracy"] == pytest.approx(seg.pixel_accuracy(y_true, y_pred), abs=1e-6)
    np.testing.assert_allclose(scores["iou"][:3], iou[:3], atol=1e-6)


def test_iou_of_a_perfect_and_of_a_disjoint_prediction():
    y = labels((2, 6, 6), 3, 8)
    assert seg.mean_iou(y, y, 3) == 1.0 and seg.pixel_accuracy(y, y) == 1.0
    np.testing.assert_array_equal(seg.iou_per_class(y, (y + 1) % 3, 3), [0, 0, 0])
    # one true pixel of class 1 predicted over a 2x2 region: IoU 1/4
    t, p = np.zeros((4, 4), int), np.zeros((4, 4), int)
    t[0, 0], p[:2, :2] = 1, 1
    assert seg.iou_per_class(t, p, 2)[1] == 0.25


# ---------------------------------------------------------------------------
# Transposed convolution


def keras_transposed(x, kernel, stride, padding):
    layer = keras.layers.Conv2DTranspose(kernel.shape[2], kernel.shape[:2], strides=stride,
                                         padding=padding, use_bias=False, dtype="float64")
    layer.build(x.shape)
    layer.set_weights([kernel])
    return keras.ops.convert_to_numpy(layer(x)), layer.compute_output_shape(x.shape)


@pytest.mark.parametrize("padding", seg.PADDINGS)
@pytest.mark.parametrize("k, s", [(2, 2), (3, 2), (3, 1), (4, 2), (1, 3), (5, 3)])
def test_transposed_conv2d_matches_keras_conv2d_transpose(k, s, padding):
    rng = np.random.default_rng(10 * k + s)
    x, kernel = rng.normal(size=(2, 4, 5, 3)), rng.normal(size=(k, k + 1, 2, 3))
    expected, shape = keras_transposed(x, kernel, s, padding)
    result = seg.transposed_conv2d(x, kernel, s, padding)
    assert result.shape == tuple(shape) == expected.shape
    np.testing.assert_allclose(result, expected, rtol=keras_tolerance(expected),
                               atol=keras_tolerance(expected))


def scatter_transposed_conv(x, kernel, s):
    """y_full[s i + a, s j + b] += x[i, j] K[a, b]: a copy of the kernel per input pixel."""
    n, h, w, _ = x.shape
    kh, kw, c_out, _ = kernel.shape
    y = np.zeros((n, (h - 1) * s + kh, (w - 1) * s + kw, c_out))
    for i in range(h):
        for j in range(w):
            y[:, s * i:s * i + kh, s * j:s * j + kw, :] += np.einsum("nc,abic->nabi", x[:, i, j],
                                                                      kernel)
    return y


@pytest.mark.parametrize("k, s", [(3, 2), (2, 2), (4, 3), (3, 1)])
def test_inserting_zeros_then_convolving_is_scattering_copies_of_the_kernel(k, s):
    rng = np.random.default_rng(k + s)
    x, kernel = rng.normal(size=(2, 3, 4, 2)), rng.normal(size=(k, k, 3, 2))
    np.testing.assert_allclose(seg.transposed_conv2d(x, kernel, s, "valid"),
                               scatter_transposed_conv(x, kernel, s), rtol=1e-12, atol=1e-12)


def test_transposed_conv_is_the_adjoint_of_the_strided_convolution():
    # <conv_s(u), x> = <u, conv_s^T(x)>: the matrix of the transposed convolution is the transpose
    rng = np.random.default_rng(3)
    x, kernel = rng.normal(size=(1, 4, 4, 2)), rng.normal(size=(3, 3, 5, 2))
    y = seg.transposed_conv2d(x, kernel, 2, "same")
    u = rng.normal(size=y.shape)
    conv = keras.ops.convert_to_numpy(keras.ops.conv(u, kernel, strides=2, padding="same"))
    assert conv.shape == x.shape
    assert np.sum(conv * x) == pytest.approx(np.sum(u * y), rel=keras_tolerance(conv) * 10)


def test_insert_zeros_on_a_small_example():
    x = np.array([[1.0, 2.0], [3.0, 4.0]])[None, :, :, None]
    expected = np.array([[1, 0, 0, 2], [0, 0, 0, 0], [0, 0, 0, 0], [3, 0, 0, 4]], dtype=float)
    np.testing.assert_array_equal(seg.insert_zeros(x, 3)[0, :, :, 0], expected)
    np.testing.assert_array_equal(seg.insert_zeros(x, 1), x)


@pytest.mark.parametrize("padding", seg.PADDINGS)
def test_transposed_conv_output_size_is_keras_output_shape(padding):
    for n in (1, 3, 6):
        for k in (1, 2, 3, 5):
            for s in (1, 2, 3):
                layer = keras.layers.Conv2DTranspose(1, k, strides=s, padding=padding)
                expected = layer.compute_output_shape((1, n, n, 1))[1]
                assert seg.transposed_conv_output_size(n, k, s, padding) == expected


# ---------------------------------------------------------------------------
# The U-Net


def conv(c, f, k=3):
    return k * k * c * f + f


def test_unet_parameter_count_by_formula_for_a_tiny_config():
    # filters (4, 8), RGB input, 3 classes: encoder 3->4->4, bottleneck 4->8->8,
    # up 8->4 (2x2), decoder (4 + 4)->4->4, 1x1 output 4->3
    with_skips = (conv(3, 4) + conv(4, 4) + conv(4, 8) + conv(8, 8) + conv(8, 4, 2)
                  + conv(8, 4) + conv(4, 4) + conv(4, 3, 1))
    assert with_skips == 1727  # the sum written out: 112+148+296+584+132+292+148+15
    for skips, expected in ((True, with_skips), (False, with_skips - conv(8, 4) + conv(4, 4))):
        model = seg.build_unet((8, 8, 3), (4, 8), skips=skips)
        assert model.count_params() == expected == seg.unet_parameter_count(3, (4, 8), skips=skips)


def test_unet_parameter_count_of_the_chapter_network_agrees_with_keras():
    model = seg.build_unet((48, 48, 3), (16, 32, 64))
    assert model.count_params() == seg.unet_parameter_count(3, (16, 32, 64))


@pytest.mark.parametrize("filters", [(4, 8), (4, 6, 8)])
def test_unet_output_is_a_class_distribution_per_pixel(filters):
    model = seg.build_unet((16, 12, 2), filters)
    x = np.random.default_rng(0).uniform(size=(3, 16, 12, 2)).astype("float32")
    p = keras.ops.convert_to_numpy(model(x))
    assert p.shape == (3, 16, 12, seg.N_CLASSES)
    np.testing.assert_allclose(p.sum(axis=-1), 1.0, rtol=1e-5)
    assert (seg.predict_masks(model, x) == p.argmax(-1)).all()


def test_skips_concatenate_encoder_features_with_the_upsampled_ones():
    model = seg.build_unet((16, 16, 3), (4, 6, 8))
    for level, f in ((2, 6), (1, 4)):
        skip = model.get_layer(f"up{level}_skip")
        assert isinstance(skip, keras.layers.Concatenate)
        sources = [t._keras_history[0].name for t in skip.input]
        assert sources == [f"up{level}_upsample", f"down{level}_conv2"]
        size = 16 // 2 ** (level - 1)
        assert tuple(skip.output.shape) == (None, size, size, 2 * f)
    plain = seg.build_unet((16, 16, 3), (4, 6, 8), skips=False)
    assert not any(isinstance(layer, keras.layers.Concatenate) for layer in plain.layers)


@KERAS_SAVE_WARNING
def test_unet_serialization_round_trip(tmp_path):
    model = seg.build_unet((8, 8, 3), (4, 8))
    x = np.random.default_rng(1).uniform(size=(2, 8, 8, 3)).astype("float32")
    path = tmp_path / "unet.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)
    assert loaded.count_params() == model.count_params()


def test_the_pixel_crossentropy_is_keras_own_loss_and_the_equation():
    rng = np.random.default_rng(3)
    labels = rng.integers(0, 3, size=(2, 4, 5))
    p = rng.dirichlet(np.ones(3), size=(2, 4, 5)).astype("float32")
    ours = keras.ops.convert_to_numpy(seg.pixel_crossentropy(labels, p))
    assert ours.shape == (40,)  # one loss per pixel: Keras averages them
    picked = np.take_along_axis(p, labels[..., None], axis=-1)
    np.testing.assert_allclose(ours.mean(), -np.log(picked).mean(), rtol=1e-5)  # eq-ch12-pixel-loss
    theirs = keras.losses.SparseCategoricalCrossentropy()(labels, p)  # the mean over the pixels
    np.testing.assert_allclose(ours.mean(), keras.ops.convert_to_numpy(theirs), rtol=1e-6)


def test_unet_short_training_lowers_the_loss():
    keras.utils.set_random_seed(0)
    split = seg.load_shapes(48, 8, 8, size=16, seed=2)
    model = seg.build_unet((16, 16, 3), (8, 16))
    model.compile(keras.optimizers.Adam(3e-3), seg.pixel_crossentropy)
    before = model.evaluate(split.x_train, split.y_train, verbose=0)
    training.fit(model, split.x_train, split.y_train, epochs=8, batch_size=8)
    # against the loss at initialization, not the first epoch's mean (a fast first epoch hides in it)
    assert model.evaluate(split.x_train, split.y_train, verbose=0) < 0.8 * before


# ---------------------------------------------------------------------------
# Bad inputs


@pytest.mark.parametrize("call, error, match", [
    (lambda: seg.trimap(np.ones(5, int), 1), ValueError, r"mask must have shape \(H, W\) or \(N, H, W\)"),
    (lambda: seg.trimap(np.ones((0, 3), int), 1), ValueError, r"mask must hold at least one value"),
    (lambda: seg.trimap(np.ones((1, 2, 3, 4), int), 1), ValueError, r"mask must have shape \(H, W\)"),
    (lambda: seg.trimap(np.full((3, 3), 2), 1), ValueError, "mask must hold only 0 and 1"),
    (lambda: seg.trimap(np.ones((3, 3)), 1), TypeError, "mask must be an array of ints"),
    (lambda: seg.trimap(np.ones((3, 3), int), -1), ValueError, "border_width must be an int >= 0"),
    (lambda: seg.trimap(np.ones((3, 3), int), 1.5), TypeError, "border_width must be an int"),
    (lambda: seg.make_shapes(0), ValueError, "n_images must be an int >= 1"),
    (lambda: seg.make_shapes(2, size=4), ValueError, "size must be an int >= 8"),
    (lambda: seg.make_shapes(2, noise=-0.1), ValueError, r"noise must be a finite number in \[0, 1\]"),
    (lambda: seg.make_shapes(2, seed="a"), TypeError, "seed must be an int"),
    (lambda: seg.make_shapes(2, max_shapes=0), ValueError, "max_shapes must be an int >= 1"),
    (lambda: seg.shape_mask("star", (1, 1), 1, 0, 8), ValueError, "kind must be one of"),
    (lambda: seg.shape_mask("circle", (1, 1, 1), 1, 0, 8), ValueError, r"centre must be an \(x, y\) pair"),
    (lambda: seg.shape_mask("circle", (1, np.inf), 1, 0, 8), ValueError, "centre must be finite"),
    (lambda: seg.shape_mask("circle", (1, 1), 0, 0, 8), ValueError, "radius must be a positive"),
    (lambda: seg.load_shapes(0, 1, 1), ValueError, "n_train must be an int >= 1"),
    (lambda: seg.confusion_matrix(np.zeros(3, int), np.zeros(4, int), 2), ValueError,
     r"y_pred must have the shape of y_true \(3,\)"),
    (lambda: seg.iou_per_class(np.array([0, 3]), np.array([0, 1]), 3), ValueError,
     r"y_true must hold class labels in \[0, 2\]"),
    (lambda: seg.mean_iou(np.array([0, 1]), np.array([0, -1]), 3), ValueError, "y_pred must hold"),
    (lambda: seg.mean_iou(np.array([0, 1]), np.array([0.0, 1.0]), 3), TypeError,
     "y_pred must be an array of ints"),
    (lambda: seg.mean_iou(np.array([0, 1]), np.array([0, 1]), 1), ValueError,
     "n_classes must be an int >= 2"),
    (lambda: seg.pixel_accuracy(np.zeros((2, 2), int), np.zeros((2, 3), int)), ValueError,
     "y_pred must have the shape of y_true"),
    (lambda: seg.transposed_conv_output_size(0, 3, 2), ValueError, "n must be an int >= 1"),
    (lambda: seg.transposed_conv_output_size(4, 3, 2, "full"), ValueError, "padding must be one of"),
    (lambda: seg.transposed_conv_output_size(4, 3.0, 2), TypeError, "kernel must be an int"),
    (lambda: seg.insert_zeros(np.ones((2, 2)), 2), ValueError, r"x must be a 4-D array of shape \(N, H, W"),
    (lambda: seg.insert_zeros(np.ones((1, 2, 2, 1)), 0), ValueError, "stride must be an int >= 1"),
    (lambda: seg.insert_zeros("x", 2), TypeError, "x must be a float array"),
    (lambda: seg.transposed_conv2d(np.ones((1, 2, 2, 3)), np.ones((3, 3, 1, 2))), ValueError,
     r"kernel must have shape \(kh, kw, C_out, C_in=3\)"),
    (lambda: seg.transposed_conv2d(np.full((1, 2, 2, 1), np.nan), np.ones((3, 3, 1, 1))), ValueError,
     "x must be finite"),
    (lambda: seg.build_unet((30, 30, 3), (4, 8, 16)), ValueError, "divisible by 2"),
    (lambda: seg.build_unet((32, 32), (4, 8)), ValueError, "input_shape must be a tuple of 3 positive ints"),
    (lambda: seg.build_unet("32", (4, 8)), TypeError, "input_shape must be a tuple of 3 .* got str"),
    (lambda: seg.build_unet((32, 32, 3), (4,)), ValueError, "filters must hold at least two"),
    (lambda: seg.build_unet((32, 32, 3), 16), TypeError, "filters must be a sequence"),
    (lambda: seg.build_unet((32, 32, 3), (4, 0)), ValueError, "filters must be a non-empty sequence"),
    (lambda: seg.build_unet((32, 32, 3), (4, 8), skips="yes"), TypeError, "skips must be a bool"),
    (lambda: seg.unet_parameter_count(3, (4, 8), n_classes=1), ValueError,
     "n_classes must be an int >= 2"),
    (lambda: seg.predict_masks(None, np.ones((2, 2))), ValueError,
     r"images must be a 4-D array of shape \(N, H, W, C\)"),
    (lambda: seg.keras_segmentation_scores(np.zeros(3, int), np.zeros(3, int), 0), ValueError,
     "n_classes must be an int >= 2"),
])
def test_bad_inputs_are_named(call, error, match):
    with pytest.raises(error, match=match):
        call()

