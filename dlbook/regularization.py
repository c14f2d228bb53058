"""Regularization (chapter 9): weight penalties, dropout and Monte Carlo dropout.

The NumPy layer, float64 throughout:

- the penalties added to the loss and their gradients, in Keras' convention
  (``keras.regularizers.L2(l2)`` adds :math:`\\lambda_2 \\sum_i w_i^2`, with
  no factor 1/2, so its gradient is :math:`2 \\lambda_2 w`):
  :func:`l1_penalty`, :func:`l2_penalty`, :func:`l1_l2_penalty` and their
  ``*_gradient`` companions;
- inverted dropout, :func:`dropout_forward` and :func:`dropout_backward`.
  With drop probability ``p`` (Keras' ``rate``) each unit is kept with
  probability :math:`1 - p`, and a kept unit is multiplied by
  :math:`1 / (1 - p)` during training, so :math:`E[\\tilde a] = a`; at
  inference the layer is the identity. The mask is drawn from a NumPy
  ``Generator`` or given, so every call can be reproduced;
- the summaries of Monte Carlo dropout: :func:`mc_average` (mean and
  spread of T stochastic predictions) and :func:`predictive_entropy`.

Nothing here imports Keras: the chapter's Keras side (the always-on dropout
layers ``MCDropout`` and ``MCAlphaDropout``, Monte Carlo prediction and the
regularized MLPs) lives in :mod:`dlbook.regularization_keras`.

Notation: :math:`\\mathbf{w}` a weight array of any shape, :math:`p` the drop
probability, :math:`\\mathbf{m}` the keep mask (1 = kept), :math:`T` the
number of Monte Carlo passes, :math:`K` the number of classes.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from dlbook import validation


class DropoutCache(NamedTuple):
    """What :func:`dropout_backward` needs from :func:`dropout_forward`.

    ``mask`` is the float64 keep mask (1 = kept, 0 = dropped), shaped like
    the input; ``p`` the drop probability; ``training`` whether units were
    dropped (at inference the mask is all ones and the layer is the identity).
    """

    mask: np.ndarray
    p: float
    training: bool


# ---------------------------------------------------------------------------
# Input checks


def _check_mask(mask, shape: tuple) -> np.ndarray:
    """A keep mask of 0s and 1s (or booleans) of exactly ``shape``, as float64."""
    mask = validation.float_array("mask", mask)
    if mask.shape != shape:
        raise ValueError(f"mask must have the shape of x, {shape}, got {mask.shape}")
    if not np.all((mask == 0) | (mask == 1)):
        raise ValueError("mask must hold only 0 (dropped) and 1 (kept)")
    return mask


# ---------------------------------------------------------------------------
# Weight penalties (Keras' convention: no factor 1/2)


def l1_penalty(w, l1: float) -> float:
    """The L1 penalty :math:`\\Omega_1(\\mathbf{w}) = \\lambda_1 \\sum_i |w_i|`.

    What ``keras.regularizers.L1(l1)`` adds to the loss for one weight array.
    ``w`` any shape; ``l1`` :math:`\\lambda_1 \\ge 0`. Returns a float.
    """
    w = validation.float_array("w", w)
    return validation.number("l1", l1, 0) * float(np.sum(np.abs(w)))


def l1_penalty_gradient(w, l1: float) -> np.ndarray:
    """:math:`\\partial \\Omega_1 / \\partial \\mathbf{w} = \\lambda_1 \\operatorname{sign}(\\mathbf{w})`.

    A constant pull of size :math:`\\lambda_1` towards 0, however small the
    weight, which is what drives weights to (near) zero. At :math:`w_i = 0`
    the penalty has no derivative; this returns 0 there, the subgradient
    TensorFlow uses. Shaped like ``w``.
    """
    w = validation.float_array("w", w)
    return validation.number("l1", l1, 0) * np.sign(w)


def l2_penalty(w, l2: float) -> float:
    """The L2 penalty :math:`\\Omega_2(\\mathbf{w}) = \\lambda_2 \\sum_i w_i^2`.

    What ``keras.regularizers.L2(l2)`` adds to the loss for one weight array:
    note there is no factor 1/2 (many textbooks write
    :math:`\\tfrac{\\lambda}{2} \\lVert \\mathbf{w} \\rVert^2`). ``w`` any
    shape; ``l2`` :math:`\\lambda_2 \\ge 0`. Returns a float.
    """
    w = validation.float_array("w", w)
    return validation.number("l2", l2, 0) * float(np.sum(w * w))


def l2_penalty_gradient(w, l2: float) -> np.ndarray:
    """:math:`\\partial \\Omega_2 / \\partial \\mathbf{w} = 2 \\lambda_2 \\mathbf{w}`, shaped like ``w``.

    A pull towards 0 proportional to the weight: with plain gradient descent
    at learning rate :math:`\\eta` the penalty alone multiplies every weight by
    :math:`1 - 2 \\eta \\lambda_2` per step ("weight decay").
    """
    w = validation.float_array("w", w)
    return 2.0 * validation.number("l2", l2, 0) * w


def l1_l2_penalty(w, l1: float, l2: float) -> float:
    """:math:`\\lambda_1 \\sum_i |w_i| + \\lambda_2 \\sum_i w_i^2`, as ``keras.regularizers.L1L2``."""
    return l1_penalty(w, l1) + l2_penalty(w, l2)


def l1_l2_gradient(w, l1: float, l2: float) -> np.ndarray:
    """:math:`\\lambda_1 \\operatorname{sign}(\\mathbf{w}) + 2 \\lambda_2 \\mathbf{w}`, shaped like ``w``."""
    return l1_penalty_gradient(w, l1) + l2_penalty_gradient(w, l2)


# ---------------------------------------------------------------------------
# Inverted dropout


def dropout_mask(shape, p: float, rng: np.random.Generator) -> np.ndarray:
    """A keep mask: each entry 1 with probability :math:`1 - p`, else 0 (float64, ``shape``).

    :math:`m_i = [u_i \\ge p]` with :math:`u_i \\sim U[0, 1)` drawn from ``rng``,
    the rule ``keras.layers.Dropout`` uses.
    """
    shape = validation.shape("shape", shape)
    p = validation.number("p", p, 0, 1, high_open=True)
    return (validation.generator("rng", rng).random(shape) >= p).astype(np.float64)


def dropout_forward(x, p: float, rng: np.random.Generator | None = None, mask=None,
                    training: bool = True) -> tuple[np.ndarray, DropoutCache]:
    """Inverted dropout: :math:`\\tilde{\\mathbf{a}} = \\mathbf{m} \\odot \\mathbf{a} / (1 - p)`.

    During training (``training=True``) each entry of ``x`` is dropped (set
    to 0) with probability ``p`` and every kept entry is multiplied by
    exactly :math:`1 / (1 - p)`, so that
    :math:`E[\\tilde a_i] = (1 - p) \\cdot a_i / (1 - p) = a_i`: the next layer
    sees inputs of the same expected size in training and at inference. At
    inference (``training=False``) the output is ``x`` unchanged (the
    identity; no mask and no scaling).

    The keep mask :math:`\\mathbf{m}` (1 = kept) is drawn from ``rng``, a
    ``numpy.random.Generator``, or given as ``mask``, 0s and 1s shaped like
    ``x`` (pass exactly one of the two during training). ``x`` any shape
    ``(N, D)``, ``(N, H, W, C)``, ...; ``p`` in [0, 1). Returns the output
    (shaped like ``x``) and the :class:`DropoutCache` for
    :func:`dropout_backward`.
    """
    x = validation.float_array("x", x)
    p = validation.number("p", p, 0, 1, high_open=True)
    if not validation.boolean("training", training):
        return x.copy(), DropoutCache(np.ones_like(x), p, False)
    if (rng is None) == (mask is None):
        raise ValueError("dropout_forward needs exactly one of rng (a numpy Generator to draw the "
                         f"mask from) and mask (the keep mask) when training; got "
                         f"{'neither' if rng is None else 'both'}")
    mask = dropout_mask(x.shape, p, rng) if mask is None else _check_mask(mask, x.shape)
    return x * mask / (1.0 - p), DropoutCache(mask, p, True)


def dropout_backward(dout, cache: DropoutCache) -> np.ndarray:
    """The gradient through inverted dropout, shaped like ``dout``.

    .. math:: \\frac{\\partial L}{\\partial \\mathbf{a}} = \\mathbf{m} \\odot \\boldsymbol{\\delta} / (1 - p)

    The forward pass is linear in its input with the mask fixed, so the
    upstream gradient ``dout`` (:math:`\\boldsymbol{\\delta}`, shaped like the
    output) flows back through the kept units only, scaled by the same
    :math:`1 / (1 - p)`; dropped units get no gradient. At inference (a cache
    with ``training=False``) the gradient passes through unchanged.
    """
    if not isinstance(cache, DropoutCache):
        raise TypeError(f"cache must be the DropoutCache returned by dropout_forward, "
                        f"got {type(cache).__name__}")
    dout = validation.float_array("dout", dout)
    if dout.shape != cache.mask.shape:
        raise ValueError(f"dout must have the shape of the forward output, {cache.mask.shape}, "
                         f"got {dout.shape}")
    if not cache.training:
        return dout.copy()
    return dout * cache.mask / (1.0 - cache.p)


# ---------------------------------------------------------------------------
# Monte Carlo summaries


def mc_average(predictions) -> tuple[np.ndarray, np.ndarray]:
    """Mean and spread of T stochastic predictions of the same inputs.

    .. math:: \\bar{\\mathbf{y}} = \\frac1T \\sum_{t=1}^T \\hat{\\mathbf{y}}^{(t)}, \\qquad
              s = \\sqrt{\\frac{1}{T - 1} \\sum_{t=1}^T (\\hat{\\mathbf{y}}^{(t)} - \\bar{\\mathbf{y}})^2}

    ``predictions`` ``(T, N, K)`` (or ``(T, N)``, or any ``(T, ...)``) stacks
    the T passes along the first axis, T >= 2. Returns the mean and the
    sample standard deviation (``ddof=1``) over the passes, each shaped
    ``(N, K)``. For class probabilities the mean is again a probability
    vector per row, the Monte Carlo estimate of the predictive distribution.
    """
    predictions = validation.float_array("predictions", predictions)
    if predictions.ndim < 1 or predictions.shape[0] < 2:
        raise ValueError(f"predictions must stack T >= 2 passes along axis 0, got shape "
                         f"{predictions.shape}")
    return predictions.mean(axis=0), predictions.std(axis=0, ddof=1)


def predictive_entropy(probabilities) -> np.ndarray:
    """The entropy of each predicted distribution, :math:`H = -\\sum_k \\bar y_k \\ln \\bar y_k` (nats).

    ``probabilities`` ``(N, K)``: one probability vector per row (entries in
    [0, 1] summing to 1 within 1e-6), typically the mean of
    :func:`mc_average`. Terms with :math:`\\bar y_k = 0` count 0. Returns
    ``(N,)``, from 0 (certain) to :math:`\\ln K` (uniform).
    """
    probabilities = validation.float_array("probabilities", probabilities, "(N, K)")
    if probabilities.shape[1] < 2:
        raise ValueError(f"probabilities must have shape (N, K) with K >= 2, got "
                         f"{probabilities.shape}")
    if np.any(probabilities < 0) or np.any(probabilities > 1):
        raise ValueError("probabilities must lie in [0, 1]")
    sums = probabilities.sum(axis=1)
    if not np.allclose(sums, 1.0, rtol=0, atol=1e-6):
        worst = float(sums[np.argmax(np.abs(sums - 1))])
        raise ValueError(f"probabilities must sum to 1 along each row; a row sums to {worst:.6g}")
    logs = np.log(np.where(probabilities > 0, probabilities, 1.0))
    return -np.sum(probabilities * logs, axis=1)
