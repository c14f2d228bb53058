"""Autoencoders (chapter 15): PCA, principal angles, and the Keras autoencoders.

An autoencoder is an encoder f that maps an input x (D values) to a code
h = f(x) of k < D values, the bottleneck, and a decoder g that maps the code
back, x_hat = g(h); it is trained to reproduce its input,

    L = 1/N sum_n ||x_n - g(f(x_n))||^2 / D      (the mean squared error).

The NumPy layer, float64 throughout (``x`` is (N, D), one example per row):

- :func:`pca_components`: the top-k principal directions V_k (D, k) of the
  centred data, from its singular value decomposition;
- :func:`pca_reconstruct`: mu + (x - mu) V_k V_k^T, the best rank-k linear
  reconstruction, against which an autoencoder is measured;
- :func:`orthonormal_basis` and :func:`principal_angles`: how far apart two
  k-dimensional subspaces of R^D are. A linear autoencoder trained with the
  mean squared error learns the top-k principal subspace (Baldi and Hornik,
  1989), so the angles between its decoder's columns and V_k go to 0;
- :func:`reconstruction_error` (per example) and :func:`add_gaussian_noise`
  (the corruption of a denoising autoencoder).

The Keras layer (Keras is imported only when one of these is called):

- :func:`build_dense_autoencoder`, :func:`build_linear_autoencoder` and
  :func:`build_conv_autoencoder` return an uncompiled
  ``keras.Sequential([encoder, decoder])``; the two halves are models
  themselves, ``model.get_layer("encoder")`` and ``model.get_layer("decoder")``.
  ``noise_std > 0`` puts a ``GaussianNoise`` layer in front of the encoder:
  during training the network sees corrupted inputs and must reproduce the
  clean ones (a denoising autoencoder, Vincent et al., 2008); at inference
  the layer does nothing;
- :func:`linear_autoencoder_bases`: the encoder's and decoder's weight
  columns of a linear autoencoder, as (D, k) float64 arrays;
- :func:`plot_image_rows` (rows of small images, for reconstructions and
  samples); a model's outputs come from :func:`dlbook.training.predict`.
"""

from __future__ import annotations

import numpy as np

from dlbook import validation

CODE_LAYER = "code"  # the name of the bottleneck layer in every builder


# ---------------------------------------------------------------------------
# PCA and principal angles


def pca_components(x, k: int) -> np.ndarray:
    """The top-``k`` principal directions of ``x`` (N, D): V_k, (D, k), orthonormal columns.

    With the centred data X_c = X - 1 mu^T and its thin SVD X_c = U S V^T,
    the principal directions are the right singular vectors, ordered by
    singular value; V_k keeps the first k columns of V. The variance of the
    data along column j is s_j^2 / N. The sign of each column is fixed so that
    its entry of largest magnitude is positive (an SVD may return either sign).
    Needs 1 <= k <= min(N, D).
    """
    x = validation.float_array("x", x, "(N, D)")
    k = validation.integer("k", k, 1)
    if x.shape[0] < 2:
        raise ValueError(f"x must have at least 2 examples to have a direction of variance, "
                         f"got shape {x.shape}")
    if k > min(x.shape):
        raise ValueError(f"k must be at most min(N, D) = {min(x.shape)} for x of shape {x.shape}, "
                         f"got {k}")
    _, _, vt = np.linalg.svd(x - x.mean(axis=0), full_matrices=False)
    v = vt[:k].T
    signs = np.sign(v[np.argmax(np.abs(v), axis=0), np.arange(k)])
    return v * np.where(signs == 0, 1.0, signs)


def pca_reconstruct(x, k: int) -> np.ndarray:
    """The rank-``k`` PCA reconstruction of ``x`` (N, D): mu + (x - mu) V_k V_k^T, (N, D).

    The orthogonal projection of each centred example onto the top-k
    principal subspace, moved back by the mean: of all reconstructions
    through a k-dimensional affine subspace, the one with the smallest mean
    squared error (Eckart-Young).
    """
    x = validation.float_array("x", x, "(N, D)")
    v = pca_components(x, k)
    mean = x.mean(axis=0)
    return mean + (x - mean) @ v @ v.T


def orthonormal_basis(a) -> np.ndarray:
    """An orthonormal basis Q (D, k) of the column space of ``a`` (D, k), k <= D.

    From the SVD a = U S W^T, Q = U (the left singular vectors): Q^T Q = I and
    span(Q) = span(a). Raises ``ValueError`` if the columns of ``a`` are not
    linearly independent (the smallest singular value below 1e-12 times the
    largest), since then they span fewer than k dimensions.
    """
    a = validation.float_array("a", a, "(D, k)")
    if a.shape[1] > a.shape[0]:
        raise ValueError(f"a must have at most as many columns as rows (D, k) with k <= D, "
                         f"got shape {a.shape}")
    u, s, _ = np.linalg.svd(a, full_matrices=False)
    if s[-1] <= 1e-12 * s[0]:
        raise ValueError(f"a must have linearly independent columns; its singular values "
                         f"{s[-1]:.3g} / {s[0]:.3g} say it has rank < {a.shape[1]}")
    return u


def principal_angles(a, b) -> np.ndarray:
    """The principal angles (radians, ascending) between span(``a``) and span(``b``).

    ``a`` is (D, k_a) and ``b`` is (D, k_b); the result has min(k_a, k_b)
    entries in [0, pi/2]. With orthonormal bases Q_a, Q_b,

        cos theta_i = sigma_i(Q_a^T Q_b),    i = 1 .. min(k_a, k_b),

    the singular values taken in descending order so that theta_1 <= theta_2
    <= ... (Bjorck and Golub, 1973). Two subspaces are equal when every angle
    is 0; the largest angle is the distance that matters. The arccos loses
    accuracy for small angles, so (as ``scipy.linalg.subspace_angles`` does)
    angles whose cosine is above 1/sqrt(2) are computed from the sines instead,
    the singular values of the part of the smaller basis orthogonal to the
    larger one. (SciPy returns the same angles in descending order.)
    """
    a, b = validation.float_array("a", a, "(D, k_a)"), validation.float_array("b", b, "(D, k_b)")
    if a.shape[0] != b.shape[0]:
        raise ValueError(f"a and b must have the same number of rows D, got shapes {a.shape} "
                         f"and {b.shape}")
    qa, qb = orthonormal_basis(a), orthonormal_basis(b)
    if qa.shape[1] < qb.shape[1]:
        qa, qb = qb, qa  # qb is the smaller basis
    cosines = np.clip(np.linalg.svd(qa.T @ qb, compute_uv=False), -1.0, 1.0)  # descending
    residual = qb - qa @ (qa.T @ qb)  # the part of span(qb) outside span(qa)
    sines = np.clip(np.linalg.svd(residual, compute_uv=False)[::-1], -1.0, 1.0)  # ascending
    return np.where(cosines**2 >= 0.5, np.arcsin(sines), np.arccos(cosines))


# ---------------------------------------------------------------------------
# Reconstruction error and corruption


def reconstruction_error(x, x_hat) -> np.ndarray:
    """The squared reconstruction error of each example, averaged over its features: (N,).

        e_n = 1/D sum_d (x_nd - x_hat_nd)^2

    ``x`` and ``x_hat`` have the same shape (N, ...) (images are fine: every
    axis after the first counts as a feature). The mean of e over the batch is
    the mean squared error Keras' ``"mse"`` loss reports.
    """
    x, x_hat = validation.float_array("x", x), validation.float_array("x_hat", x_hat)
    if x.ndim < 2 or x.shape[0] < 1:
        raise ValueError(f"x must have shape (N, ...) with N >= 1 and at least 2 dimensions, "
                         f"got shape {x.shape}")
    if x_hat.shape != x.shape:
        raise ValueError(f"x_hat must have the shape of x {x.shape}, got {x_hat.shape}")
    diff = x - x_hat
    return np.mean(diff.reshape(len(diff), -1) ** 2, axis=1)


def add_gaussian_noise(x, std: float, rng: np.random.Generator) -> np.ndarray:
    """``x`` corrupted with Gaussian noise: x_tilde = x + std * epsilon, epsilon ~ N(0, I).

    What ``keras.layers.GaussianNoise(std)`` does during training, drawn from
    the NumPy ``rng`` so that a figure can be reproduced. Returns a new
    float64 array shaped like ``x``; ``std = 0`` returns a copy.
    """
    x = validation.float_array("x", x)
    std = validation.number("std", std, 0)
    return x + std * validation.generator("rng", rng).standard_normal(x.shape)


# ---------------------------------------------------------------------------
# Keras: the builders


def build_dense_autoencoder(input_shape, hidden, code_size: int, activation: str | None = "relu",
                            output_activation: str | None = "sigmoid", use_bias: bool = True,
                            noise_std: float = 0.0, name: str = "dense_autoencoder"):
    """A stacked (dense) autoencoder: encoder and decoder mirror each other (uncompiled).

    encoder: [GaussianNoise] -> [Flatten] -> Dense(hidden[0], activation) -> ...
             -> Dense(code_size) (the code h, linear, layer ``"code"``)
    decoder: Dense(hidden[-1], activation) -> ... -> Dense(prod(input_shape),
             output_activation) -> [Reshape(input_shape)]

    ``hidden`` may be empty: one Dense layer each way. Input ``(N,
    *input_shape)``; output the reconstruction, same shape. The parameter
    count is that of the Dense layers, e.g. for 64 -> 32 -> 5 -> 32 -> 64
    with biases (64 + 1) 32 + (32 + 1) 5 + (5 + 1) 32 + (32 + 1) 64.
    ``output_activation="sigmoid"`` suits inputs in [0, 1]; ``None`` gives a
    linear output for centred or standardized data.
    """
    from dlbook.keras_import import keras

    shape = validation.shape("input_shape", input_shape)
    hidden = validation.positive_ints("hidden", hidden, allow_empty=True)
    code_size = validation.integer("code_size", code_size, 1)
    validation.boolean("use_bias", use_bias)
    noise_std = validation.number("noise_std", noise_std, 0)
    n_features = int(np.prod(shape))

    encoder_layers = [keras.Input(shape=shape)]
    if noise_std > 0:
        encoder_layers.append(keras.layers.GaussianNoise(noise_std, name="noise"))
    if len(shape) > 1:
        encoder_layers.append(keras.layers.Flatten(name="flatten"))
    encoder_layers += [keras.layers.Dense(u, activation=activation, use_bias=use_bias,
                                          name=f"encoder_{i}") for i, u in enumerate(hidden, 1)]
    encoder_layers.append(keras.layers.Dense(code_size, use_bias=use_bias, name=CODE_LAYER))

    decoder_layers = [keras.Input(shape=(code_size,))]
    decoder_layers += [keras.layers.Dense(u, activation=activation, use_bias=use_bias,
                                          name=f"decoder_{i}")
                       for i, u in enumerate(reversed(hidden), 1)]
    decoder_layers.append(keras.layers.Dense(n_features, activation=output_activation,
                                             use_bias=use_bias, name="reconstruction"))
    if len(shape) > 1:
        decoder_layers.append(keras.layers.Reshape(shape, name="unflatten"))
    encoder = keras.Sequential(encoder_layers, name="encoder")
    decoder = keras.Sequential(decoder_layers, name="decoder")
    return keras.Sequential([keras.Input(shape=shape), encoder, decoder], name=name)


def build_linear_autoencoder(n_features: int, code_size: int, name: str = "linear_autoencoder"):
    """The linear autoencoder x_hat = x W_e W_d: no activations, no biases (uncompiled).

    W_e is (D, k) (the encoder's ``"code"`` kernel) and W_d is (k, D) (the
    decoder's ``"reconstruction"`` kernel): 2 D k parameters. Trained with the
    mean squared error on centred data, span(W_d^T) becomes the top-k
    principal subspace of the data.
    """
    n_features = validation.integer("n_features", n_features, 1)
    code_size = validation.integer("code_size", code_size, 1)
    if code_size > n_features:
        raise ValueError(f"code_size must be at most n_features = {n_features} (a bottleneck), "
                         f"got {code_size}")
    return build_dense_autoencoder(n_features, [], code_size, activation=None,
                                   output_activation=None, use_bias=False, name=name)


def build_conv_autoencoder(input_shape, filters=(16, 32), code_size: int | None = None,
                           kernel_size: int = 3, noise_std: float = 0.0,
                           output_activation: str | None = "sigmoid",
                           name: str = "conv_autoencoder"):
    """A convolutional autoencoder for images (H, W) or (H, W, C) (uncompiled).

    encoder: [GaussianNoise] -> [Reshape(H, W, 1)] -> Conv2D(filters[0], stride 2,
             ReLU) -> Conv2D(filters[1], stride 2, ReLU) -> ...
             [-> Flatten -> Dense(code_size) (layer ``"code"``)]
    decoder: [Dense(h w filters[-1], ReLU) -> Reshape(h, w, filters[-1])]
             -> Conv2DTranspose(filters[-1], stride 2, ReLU) -> ...
             -> Conv2DTranspose(filters[0], stride 2, ReLU)
             -> Conv2D(C, output_activation) [-> Reshape(H, W)]

    Each stride-2 convolution halves the height and width (``"same"``
    padding), each transposed convolution doubles them back, so H and W must
    be divisible by 2^len(filters). Without ``code_size`` the code is the last
    feature map (h, w, filters[-1]) with h = H / 2^len(filters); with it, a
    dense bottleneck of ``code_size`` values.
    """
    from dlbook.keras_import import keras

    shape = validation.image_shape("input_shape", input_shape)
    filters = validation.positive_ints("filters", filters)
    if code_size is not None:
        code_size = validation.integer("code_size", code_size, 1)
    kernel_size = validation.integer("kernel_size", kernel_size, 1)
    noise_std = validation.number("noise_std", noise_std, 0)
    factor = 2 ** len(filters)
    if shape[0] % factor or shape[1] % factor:
        raise ValueError(f"input_shape height and width must be divisible by 2^len(filters) = "
                         f"{factor}, got {shape[:2]}")
    channels = shape[2] if len(shape) == 3 else 1
    h, w = shape[0] // factor, shape[1] // factor

    def conv(f, i, transpose=False):
        kind = keras.layers.Conv2DTranspose if transpose else keras.layers.Conv2D
        return kind(f, kernel_size, strides=2, padding="same", activation="relu",
                    name=f"{'decoder' if transpose else 'encoder'}_{i}")

    encoder_layers = [keras.Input(shape=shape)]
    if noise_std > 0:
        encoder_layers.append(keras.layers.GaussianNoise(noise_std, name="noise"))
    if len(shape) == 2:
        encoder_layers.append(keras.layers.Reshape((*shape, 1), name="add_channel"))
    encoder_layers += [conv(f, i) for i, f in enumerate(filters, 1)]
    if code_size is not None:
        encoder_layers += [keras.layers.Flatten(name="flatten"),
                           keras.layers.Dense(code_size, name=CODE_LAYER)]
        decoder_layers = [keras.Input(shape=(code_size,)),
                          keras.layers.Dense(h * w * filters[-1], activation="relu", name="expand"),
                          keras.layers.Reshape((h, w, filters[-1]), name="unflatten")]
    else:
        decoder_layers = [keras.Input(shape=(h, w, filters[-1]))]
    decoder_layers += [conv(f, i, transpose=True) for i, f in enumerate(reversed(filters), 1)]
    decoder_layers.append(keras.layers.Conv2D(channels, kernel_size, padding="same",
                                              activation=output_activation, name="reconstruction"))
    if len(shape) == 2:
        decoder_layers.append(keras.layers.Reshape(shape, name="drop_channel"))
    encoder = keras.Sequential(encoder_layers, name="encoder")
    decoder = keras.Sequential(decoder_layers, name="decoder")
    return keras.Sequential([keras.Input(shape=shape), encoder, decoder], name=name)


def plot_image_rows(rows, labels=None, width: float = 0.8, vmax: float = 1.0):
    """A figure with one row of grey-level images per entry of ``rows``; returns the figure.

    ``rows`` is a sequence of arrays (n, H, W) with the same n (a pixel
    range 0..``vmax``, dark strokes on white); ``labels`` names each row on
    its left. Each image is ``width`` inches wide, or narrower where the
    labels and n images would be wider than the style's figure width
    (``figure.figsize``): the images shrink, the labels keep their size, so
    the figure stays legible where it is shown at a fixed width (a phone).
    """
    import matplotlib.pyplot as plt

    rows = [validation.float_array(f"rows[{i}]", r, "(n, H, W)") for i, r in enumerate(rows)]
    if not rows or any(r.shape[0] != rows[0].shape[0] for r in rows):
        raise ValueError("rows must be a non-empty sequence of image arrays (n, H, W) with the same n")
    if labels is not None and len(labels) != len(rows):
        raise ValueError(f"labels must name each of the {len(rows)} rows, got {len(labels)}")
    n = rows[0].shape[0]
    gap = 0.05  # between images, as a fraction of an image
    aspects = [r.shape[1] / r.shape[2] for r in rows]
    fig, axes = plt.subplots(len(rows), n, squeeze=False, gridspec_kw={"height_ratios": aspects})
    for i, row in enumerate(rows):
        for j, image in enumerate(row):
            ax = axes[i, j]
            ax.imshow(image, cmap="gray_r", vmin=0.0, vmax=vmax)
            ax.set_xticks([])
            ax.set_yticks([])
            ax.grid(False)
            for spine in ax.spines.values():
                spine.set_visible(False)
        if labels is not None:
            axes[i, 0].set_ylabel(labels[i], rotation=0, ha="right", va="center")
    renderer = fig.canvas.get_renderer()
    label_width = max((axes[i, 0].yaxis.label.get_window_extent(renderer).width / fig.dpi
                       for i in range(len(rows)) if labels is not None), default=0.0)
    label_width += 0.1 if labels is not None else 0.0  # the label's pad
    width = min(width, (plt.rcParams["figure.figsize"][0] - label_width) / (n + gap * (n - 1)))
    size = (label_width + width * (n + gap * (n - 1)), width * (sum(aspects) + gap * (len(rows) - 1)))
    fig.set_size_inches(size)
    fig.subplots_adjust(left=label_width / size[0], right=1.0, bottom=0.0, top=1.0, wspace=gap, hspace=gap)
    return fig


def linear_autoencoder_bases(model) -> tuple[np.ndarray, np.ndarray]:
    """The encoder's and the decoder's columns of a linear autoencoder: (W_e, W_d^T), each (D, k).

    W_e is the kernel of the encoder's ``"code"`` layer (D, k); W_d the kernel
    of the decoder's ``"reconstruction"`` layer (k, D), returned transposed so
    that both are compared with the principal directions V_k (D, k) by
    :func:`principal_angles`. ``model`` is what :func:`build_linear_autoencoder`
    returns (or any dense autoencoder without hidden layers).
    """
    validation.keras_model("model", model)
    try:
        code = model.get_layer("encoder").get_layer(CODE_LAYER)
        out = model.get_layer("decoder").get_layer("reconstruction")
    except ValueError as error:
        raise ValueError("model must be an autoencoder from build_linear_autoencoder, with an "
                         f"'encoder' holding a '{CODE_LAYER}' layer and a 'decoder' holding a "
                         f"'reconstruction' layer: {error}") from error
    w_enc = np.asarray(code.get_weights()[0], dtype=np.float64)
    w_dec = np.asarray(out.get_weights()[0], dtype=np.float64)
    if w_enc.shape[0] != w_dec.shape[1]:
        raise ValueError(f"model must map D features to k and back to D; the encoder kernel is "
                         f"{w_enc.shape} and the decoder kernel {w_dec.shape} (it has hidden "
                         "layers or reshapes)")
    return w_enc, w_dec.T
