"""Chapter 15, more architectures: reference solutions to the coding exercises.

Check them with ``dlbook grade solutions/ch15_architectures.py``.
"""

import numpy as np


def principal_angles(a, b):
    """arccos of the singular values of Q_a^T Q_b, descending, so the angles ascend."""
    qa = np.linalg.svd(a, full_matrices=False)[0]
    qb = np.linalg.svd(b, full_matrices=False)[0]
    cosines = np.linalg.svd(qa.T @ qb, compute_uv=False)
    return np.arccos(np.clip(cosines, -1.0, 1.0))


def pca_projection(x, k):
    """V_k V_k^T from the SVD of the centred data."""
    vt = np.linalg.svd(x - x.mean(axis=0), full_matrices=False)[2]
    v = vt[:k].T
    return v @ v.T


def _softplus(z):
    return np.maximum(z, 0.0) + np.log1p(np.exp(-np.abs(z)))


def discriminator_loss(real_logits, fake_logits):
    """mean softplus(-l_real) + mean softplus(l_fake): the cross-entropy, stable for any logit."""
    return float(np.mean(_softplus(-real_logits)) + np.mean(_softplus(fake_logits)))


def generator_loss_gradient(fake_logits, kind):
    """-sigma(l) / M (minimax) or -(1 - sigma(l)) / M (non-saturating)."""
    e = np.exp(-np.abs(fake_logits))
    p = np.where(fake_logits >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    return -(p if kind == "minimax" else 1.0 - p) / fake_logits.shape[0]
