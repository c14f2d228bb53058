"""Generative adversarial networks (chapter 15), the maths: the losses and two measures of diversity.

A generator G maps a noise vector z ~ N(0, I) to a fake example G(z); a
discriminator D maps an example to a logit l, and sigma(l) is its estimate of
the probability that the example is real. Goodfellow et al. (2014) train them
against each other on the value function

    V(D, G) = E_x[log sigma(D(x))] + E_z[log(1 - sigma(D(G(z))))],

D ascending it and G descending it. Here, in NumPy and float64 throughout
(logits of shape (M,) or (M, 1)):

- :func:`binary_cross_entropy_with_logits`, the numerically stable
  -t log sigma(l) - (1 - t) log(1 - sigma(l));
- :func:`discriminator_loss`, -V averaged over a batch of real and one of
  fake logits: the cross-entropy of "real = 1, fake = 0";
- :func:`generator_loss` and :func:`generator_loss_gradient`, in two kinds:
  ``"minimax"`` (mean log(1 - sigma(l)), the game as written, whose gradient
  vanishes when D confidently rejects the fakes) and ``"non_saturating"``
  (-mean log sigma(l), the one everybody uses);
- :func:`mean_pairwise_distance` and :func:`label_entropy`, two measures of
  how diverse a batch of samples is (mode collapse drives both down).

The Keras side (the builders, the ``GAN`` model that trains with ``fit``,
sampling) is :mod:`dlbook.gan_keras`.
"""

from __future__ import annotations

import numpy as np

from dlbook import validation

KINDS = ("non_saturating", "minimax")


# ---------------------------------------------------------------------------
# Input checks


def _as_logits(name: str, value) -> np.ndarray:
    """One logit per example, shaped (M,) or (M, 1) as a discriminator returns them."""
    logits = validation.float_array(name, value)
    if not (logits.ndim == 1 or (logits.ndim == 2 and logits.shape[1] == 1)) or logits.size == 0:
        raise ValueError(f"{name} must have shape (M,) or (M, 1) with M >= 1, got shape {logits.shape}")
    return logits


# ---------------------------------------------------------------------------
# Losses


def _softplus(z: np.ndarray) -> np.ndarray:
    """log(1 + e^z), without overflow for large z."""
    return np.maximum(z, 0.0) + np.log1p(np.exp(-np.abs(z)))


def _sigmoid(z: np.ndarray) -> np.ndarray:
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def binary_cross_entropy_with_logits(logits, targets) -> np.ndarray:
    """Element-wise cross-entropy of targets t in [0, 1] and probabilities sigma(l), from the logits.

        -t log sigma(l) - (1 - t) log(1 - sigma(l)) = max(l, 0) - t l + log(1 + e^{-|l|})

    The right-hand form never takes the log of 0 or exponentiates a large
    number. ``logits`` and ``targets`` have the same shape; so has the result.
    """
    logits = validation.float_array("logits", logits)
    targets = validation.float_array("targets", targets)
    if targets.shape != logits.shape:
        raise ValueError(f"targets must have the shape of logits {logits.shape}, got {targets.shape}")
    if np.any((targets < 0) | (targets > 1)):
        raise ValueError("targets must lie in [0, 1]")
    return np.maximum(logits, 0.0) - targets * logits + np.log1p(np.exp(-np.abs(logits)))


def discriminator_loss(real_logits, fake_logits) -> float:
    """The discriminator's loss: -(1/m) sum log sigma(l_real) - (1/m') sum log(1 - sigma(l_fake)).

        L_D = -1/m sum_i log sigma(D(x_i)) - 1/m' sum_j log(1 - sigma(D(G(z_j))))

    the binary cross-entropy with label 1 for the m real examples and 0 for
    the m' fakes, each term averaged over its own batch: minus the value
    function V(D, G) estimated on the two batches. ``real_logits`` (m,) or
    (m, 1), ``fake_logits`` (m',) or (m', 1). Its minimum over D, for a fixed
    G, is 2 log 2 ~ 1.386 when D cannot tell the two apart (sigma = 1/2 everywhere).
    """
    real, fake = _as_logits("real_logits", real_logits), _as_logits("fake_logits", fake_logits)
    return float(np.mean(_softplus(-real)) + np.mean(_softplus(fake)))


def generator_loss(fake_logits, kind: str = "non_saturating") -> float:
    """The generator's loss on a batch of the discriminator's logits for fakes, (M,) or (M, 1).

        "minimax":        L_G = 1/M sum_j log(1 - sigma(l_j))    (G descends V itself)
        "non_saturating": L_G = -1/M sum_j log sigma(l_j)        (label the fakes "real")

    Both are minimized by fakes the discriminator takes for real (l large).
    """
    logits = _as_logits("fake_logits", fake_logits)
    if validation.choice("kind", kind, KINDS) == "minimax":
        return float(-np.mean(_softplus(logits)))  # log(1 - sigma(l)) = -softplus(l)
    return float(np.mean(_softplus(-logits)))  # -log sigma(l) = softplus(-l)


def generator_loss_gradient(fake_logits, kind: str = "non_saturating") -> np.ndarray:
    """dL_G / dl for each logit of :func:`generator_loss`, shaped like ``fake_logits``.

        "minimax":        dL_G/dl_j = -sigma(l_j) / M
        "non_saturating": dL_G/dl_j = -(1 - sigma(l_j)) / M

    Early in training the discriminator rejects the fakes easily, sigma(l) is
    near 0, and the minimax gradient vanishes (saturates) exactly where the
    generator needs it; the non-saturating one is then near its largest, -1/M.
    """
    logits = _as_logits("fake_logits", fake_logits)
    p = _sigmoid(logits)
    return -(p if validation.choice("kind", kind, KINDS) == "minimax" else 1.0 - p) / logits.shape[0]


# ---------------------------------------------------------------------------
# Diversity


def mean_pairwise_distance(x) -> float:
    """The mean Euclidean distance between the N (N - 1) / 2 pairs of distinct examples of ``x``.

        d_bar = 2 / (N (N - 1)) sum_{i < j} ||x_i - x_j||

    ``x`` is (N, ...) with N >= 2, every axis after the first a feature. A
    generator that has collapsed onto a few outputs has a small d_bar; compare
    it with the d_bar of as many real examples.
    """
    x = validation.float_array("x", x)
    if x.ndim < 2 or x.shape[0] < 2:
        raise ValueError(f"x must have shape (N, ...) with N >= 2 and at least 2 dimensions, "
                         f"got shape {x.shape}")
    flat = x.reshape(len(x), -1)
    squared = np.sum(flat**2, axis=1)
    gram = squared[:, None] + squared[None, :] - 2.0 * flat @ flat.T
    upper = np.triu_indices(len(flat), k=1)
    return float(np.mean(np.sqrt(np.maximum(gram[upper], 0.0))))


def label_entropy(labels, n_classes: int) -> float:
    """The entropy, in bits, of the histogram of integer ``labels`` (N,) over ``n_classes`` classes.

        H = -sum_c p_c log2 p_c,    p_c = (number of labels equal to c) / N,  0 log 0 = 0

    0 when every label is the same class, log2(n_classes) when the classes are
    equally frequent. Applied to the classes a classifier assigns to generated
    samples, it measures how many modes (digits) a generator covers.
    """
    n_classes = validation.integer("n_classes", n_classes, 1)
    labels = validation.class_labels("labels", labels, n_classes)
    p = np.bincount(labels, minlength=n_classes) / labels.size
    p = p[p > 0]
    return float(-np.sum(p * np.log2(p)) + 0.0)  # + 0.0 turns -0.0 into 0.0
