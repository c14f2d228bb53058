"""Chapter 15, more architectures: coding exercises.

Principal angles measure how far apart two subspaces are; the projection
onto the top-k principal subspace is what a linear autoencoder learns; the
two GAN functions work on the discriminator's logits l (sigma(l) is its
probability that an example is real).

Replace each ``raise NotImplementedError`` with your code, using NumPy only.
Check one function in a notebook with ``check("ch15.principal_angles",
principal_angles)`` (``from dlbook.grading import check``), or the file with
``dlbook grade exercises/ch15_architectures.py``. Return new arrays and leave
the arguments unchanged. Tolerance: |error| <= 1e-9 + 1e-6 |expected| (1e-8 +
1e-6 |expected| for the angles); the gradient is also checked against finite
differences (relative error <= 1e-6).
"""

import numpy as np  # noqa: F401 (your code will need it)


def principal_angles(a, b):
    """ch15.principal_angles: the principal angles between span(a) and span(b), in radians.

    Q_a, Q_b = orthonormal bases of the column spaces,
    cos theta_i = sigma_i(Q_a^T Q_b),  i = 1 .. min(k_a, k_b)

    a: float64 (D, k_a), b: float64 (D, k_b), each with linearly independent
    columns. Returns the min(k_a, k_b) angles as a float64 array in ascending
    order (the singular values in descending order), each in [0, pi/2].
    Book: chapter 15, "A linear autoencoder finds the principal subspace".
    """
    raise NotImplementedError


def pca_projection(x, k):
    """ch15.pca_projection: the projection matrix onto the top-k principal subspace of x.

    X_c = X - 1 mu^T = U S V^T,   P = V_k V_k^T

    x: float64 (N, D), one example per row; k: an int, 1 <= k <= min(N, D).
    Returns P, float64 (D, D): symmetric, P @ P = P, and the same whatever
    signs the SVD gives its singular vectors.
    Book: chapter 15, "A linear autoencoder finds the principal subspace".
    """
    raise NotImplementedError


def discriminator_loss(real_logits, fake_logits):
    """ch15.discriminator_loss: the discriminator's binary cross-entropy, from its logits.

    L_D = -(1/m) sum_i log sigma(l_i^real) - (1/m') sum_j log(1 - sigma(l_j^fake))

    real_logits: float64 (m,) or (m, 1); fake_logits: float64 (m',) or (m', 1).
    Returns L_D as a Python float. Logits can be large (+-60): compute the
    logs without forming sigma(l) first.
    Book: chapter 15, "Generative adversarial networks".
    """
    raise NotImplementedError


def generator_loss_gradient(fake_logits, kind):
    """ch15.generator_loss_gradient: dL_G/dl for the generator's loss on M fake logits.

    "minimax":        L_G = (1/M) sum_j log(1 - sigma(l_j)),  dL_G/dl_j = -sigma(l_j) / M
    "non_saturating": L_G = -(1/M) sum_j log sigma(l_j),      dL_G/dl_j = -(1 - sigma(l_j)) / M

    fake_logits: float64 (M,) or (M, 1); kind: "minimax" or "non_saturating".
    Returns the gradient, float64, shaped like fake_logits.
    Book: chapter 15, "Generative adversarial networks".
    """
    raise NotImplementedError
