"""Numerical gradients: the test every backward pass in the book must pass."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from dlbook import validation


def numerical_gradient(
    f: Callable[[np.ndarray], float], x: np.ndarray, eps: float = 1e-6
) -> np.ndarray:
    """Central-difference gradient of a scalar function ``f`` at ``x``.

    .. math:: \\frac{\\partial f}{\\partial x_i} \\approx
              \\frac{f(x + \\epsilon e_i) - f(x - \\epsilon e_i)}{2\\epsilon}

    The error is O(eps^2). ``x`` is perturbed in place and restored, so ``f``
    may close over it; ``x`` must be a float64 array (float32 has too few
    digits for a difference of 1e-6 to mean anything).
    """
    validation.function("f", f)
    if not isinstance(x, np.ndarray) or x.dtype != np.float64:  # perturbed in place: no copy
        got = x.dtype if isinstance(x, np.ndarray) else type(x).__name__
        raise TypeError(f"x must be a float64 NumPy array, got {got}")
    eps = validation.positive("eps", eps)
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        original = x[i]
        x[i] = original + eps
        f_plus = float(f(x))
        x[i] = original - eps
        f_minus = float(f(x))
        x[i] = original
        grad[i] = (f_plus - f_minus) / (2 * eps)
    return grad


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    """Size of the difference relative to the size of the arrays.

    .. math:: \\frac{\\lVert a - b \\rVert}{\\max(\\lVert a \\rVert + \\lVert b \\rVert, 10^{-300})}

    0 when equal, 1 when opposite; below 1e-7 means two float64 gradients agree.
    """
    a, b = validation.float_array("a", a), validation.float_array("b", b)
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same shape, got {a.shape} and {b.shape}")
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(a) + np.linalg.norm(b), 1e-300))
