"""Chapter 15, more architectures: principal angles, the PCA projection, the GAN losses.

Stubs in ``exercises/ch15_architectures.py``; references in
:mod:`dlbook.autoencoders` and :mod:`dlbook.gan`. The subspaces of the
principal-angle cases are random, so no angle is close to 0 (where an
arccos-only answer would lose digits).
"""

from __future__ import annotations

import numpy as np

from dlbook.grading.compare import Tolerance
from dlbook.grading.registry import ArrayExercise, Call, register, resolve

PAGE = "15_more_architectures"
AUTOENCODERS = "dlbook.autoencoders"
GAN = "dlbook.gan"


# -- principal angles ------------------------------------------------------------

def _angle_calls() -> list[Call]:
    rng = np.random.default_rng(1501)
    e = np.eye(4)
    return [Call((e[:, :2], np.column_stack([e[:, 0] + e[:, 2], e[:, 1] + 2 * e[:, 3]])),
                 label="planes in R^4 at 45 degrees and arctan(2)"),
            Call((rng.normal(0, 1, (6, 2)), rng.normal(0, 1, (6, 2))), label="two planes in R^6"),
            Call((rng.normal(0, 1, (10, 3)), rng.normal(0, 1, (10, 5))), hidden=True,
                 label="k_a = 3, k_b = 5 in R^10"),
            Call((rng.normal(0, 1, (8, 4)), rng.normal(0, 1, (8, 1))), hidden=True,
                 label="a line and a 4-D subspace of R^8"),
            Call((rng.normal(0, 1, (5, 2)) * [1e3, 1e-2], rng.normal(0, 1, (5, 2))), hidden=True,
                 label="columns of very different lengths")]


register(ArrayExercise(
    id="ch15.principal_angles", function="principal_angles",
    title="the principal angles between two subspaces",
    section=f"{PAGE}#a-linear-autoencoder-finds-the-principal-subspace",
    hint="orthonormalize both: Q = np.linalg.svd(a, full_matrices=False)[0] (or np.linalg.qr); "
         "then cos theta = the singular values of Q_a.T @ Q_b, descending; return np.arccos of "
         "them, clipped to [-1, 1], so that the angles ascend",
    make_calls=_angle_calls, arg_names=("a", "b"), reference=f"{AUTOENCODERS}:principal_angles",
    tolerance=Tolerance(rtol=1e-6, atol=1e-8), output_name="angles"))


# -- PCA projection --------------------------------------------------------------

def pca_projection_reference(x, k):
    """V_k V_k^T from the reference principal directions: (D, D), the same for either sign."""
    v = resolve(f"{AUTOENCODERS}:pca_components")(x, k)
    return v @ v.T


def _projection_calls() -> list[Call]:
    rng = np.random.default_rng(1502)

    def data(n, d, shift):
        scales = np.linspace(3.0, 0.5, d)  # distinct variances: a unique subspace
        return rng.normal(0, 1, (n, d)) * scales @ np.linalg.qr(rng.normal(0, 1, (d, d)))[0] + shift

    return [Call((data(50, 4, 0.0), 2), label="x (50, 4), k 2"),
            Call((data(30, 6, 5.0), 3), label="x (30, 6) with a mean far from 0, k 3"),
            Call((data(80, 5, -2.0), 1), hidden=True, label="k 1"),
            Call((data(40, 3, 1.0), 3), hidden=True, label="k = D: the identity"),
            Call((data(6, 10, 0.0), 4), hidden=True, label="fewer examples than features")]


register(ArrayExercise(
    id="ch15.pca_projection", function="pca_projection",
    title="the projection onto the top-k principal subspace",
    section=f"{PAGE}#a-linear-autoencoder-finds-the-principal-subspace",
    hint="centre x first (x - x.mean(axis=0)); Vt = np.linalg.svd(centred, full_matrices=False)[2]; "
         "V_k = Vt[:k].T; return V_k @ V_k.T, a (D, D) matrix that does not depend on the signs",
    make_calls=_projection_calls, arg_names=("x", "k"),
    reference=f"{__name__}:pca_projection_reference", output_name="projection"))


# -- discriminator loss ------------------------------------------------------------

def _discriminator_calls() -> list[Call]:
    rng = np.random.default_rng(1503)
    return [Call((np.zeros(4), np.zeros(4)), label="D cannot tell: 2 log 2"),
            Call((rng.normal(1, 2, 8), rng.normal(-1, 2, 6)), label="8 real and 6 fake logits"),
            Call((rng.normal(0, 3, (5, 1)), rng.normal(0, 3, (7, 1))), hidden=True,
                 label="logits of shape (M, 1)"),
            Call((np.array([60.0, -60.0, 3.0]), np.array([-60.0, 60.0])), hidden=True,
                 label="logits of +-60: the stable form is needed")]


register(ArrayExercise(
    id="ch15.discriminator_loss", function="discriminator_loss",
    title="the discriminator's loss from its logits",
    section=f"{PAGE}#generative-adversarial-networks",
    hint="-log sigma(l) = softplus(-l) and -log(1 - sigma(l)) = softplus(l), with softplus(z) = "
         "np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z))); return mean(softplus(-real)) + "
         "mean(softplus(fake)) as a Python float",
    make_calls=_discriminator_calls, arg_names=("real_logits", "fake_logits"),
    reference=f"{GAN}:discriminator_loss", output_name="loss"))


# -- generator loss gradient ------------------------------------------------------

def _gradient_calls() -> list[Call]:
    rng = np.random.default_rng(1504)
    return [Call((rng.normal(0, 2, 5), "non_saturating"), label="5 logits, non-saturating"),
            Call((rng.normal(0, 2, 5), "minimax"), label="5 logits, minimax"),
            Call((rng.normal(-4, 2, (6, 1)), "non_saturating"), hidden=True,
                 label="(6, 1) logits of rejected fakes, non-saturating"),
            Call((rng.normal(-4, 2, (6, 1)), "minimax"), hidden=True,
                 label="(6, 1) logits of rejected fakes, minimax"),
            Call((np.array([40.0, -40.0]), "non_saturating"), hidden=True, label="logits of +-40")]


def _gradient_check(args):
    logits, kind = args
    loss = resolve(f"{GAN}:generator_loss")
    return [("dL_G/dl", lambda v: loss(v, kind), logits, lambda value: value)]


register(ArrayExercise(
    id="ch15.generator_loss_gradient", function="generator_loss_gradient",
    title="the gradient of the generator's loss, both kinds",
    section=f"{PAGE}#generative-adversarial-networks",
    hint="p = sigmoid(l) (stable: np.exp(-np.abs(l)) on each side); minimax: -p / M; "
         "non_saturating: -(1 - p) / M, with M = number of logits; keep the shape of the logits",
    make_calls=_gradient_calls, arg_names=("fake_logits", "kind"),
    reference=f"{GAN}:generator_loss_gradient", output_name="gradient",
    finite_differences=_gradient_check))
