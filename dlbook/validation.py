"""Argument checks shared by the package: each names the argument, what was expected and what came.

Shape checks that belong to one idea (a batch ``(N, D)`` for batch norm, the
weights of the chapter 3 network) stay in their module; these are the
generic ones.
"""

from __future__ import annotations

import math
import numbers

import numpy as np


def integer(name: str, value, minimum: int | None = None) -> int:
    """``value`` as an ``int`` (``bool`` is refused), at least ``minimum`` if given."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {value}")
    return int(value)


def number(name: str, value, low: float = -math.inf, high: float = math.inf,
           low_open: bool = False, high_open: bool = False) -> float:
    """``value`` as a finite ``float`` in the interval from ``low`` to ``high``.

    The ends are closed unless ``low_open``/``high_open``; the error message
    writes the interval in the usual notation, e.g. ``(0, 1]``.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}")
    value = float(value)
    low_open, high_open = low_open or math.isinf(low), high_open or math.isinf(high)
    above = value > low if low_open else value >= low
    below = value < high if high_open else value <= high
    if not (math.isfinite(value) and above and below):
        interval = (f"{'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}")
        raise ValueError(f"{name} must be a finite number in {interval}, got {value!r}")
    return value


def positive(name: str, value) -> float:
    """``value`` as a finite ``float`` > 0."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}")
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a positive finite number, got {value!r}")
    return float(value)


def generator(name: str, value) -> np.random.Generator:
    """``value`` if it is a NumPy ``Generator`` (what ``np.random.default_rng(seed)`` returns)."""
    if not isinstance(value, np.random.Generator):
        raise TypeError(f"{name} must be a numpy.random.Generator (np.random.default_rng(seed)), "
                        f"got {type(value).__name__}")
    return value


def choice(name: str, value, choices) -> str:
    """``value`` if it is one of ``choices`` (strings)."""
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{name} must be one of {tuple(choices)}, got {value!r}")
    return value


def fraction(name: str, value) -> float:
    """``value`` as a ``float`` strictly between 0 and 1."""
    return number(name, value, 0, 1, low_open=True, high_open=True)


def boolean(name: str, value) -> bool:
    """``value`` if it is ``True`` or ``False`` (``0``, ``1`` and ``None`` are refused)."""
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be a bool, got {type(value).__name__}")
    return value


def shape(name: str, value, rank: int | None = None) -> tuple[int, ...]:
    """``value`` as a tuple of positive ints, exactly ``rank`` of them if given.

    A bare int is the 1-D shape ``(value,)`` when any rank will do.
    """
    if rank is None and isinstance(value, numbers.Integral) and not isinstance(value, bool):
        value = (value,)
    expected = f"a tuple of {rank} positive ints" if rank else "a positive int or a tuple of them"
    if isinstance(value, (str, bytes)) or not isinstance(value, (tuple, list)):
        raise TypeError(f"{name} must be {expected}, got {type(value).__name__}")
    if (len(value) != rank if rank else not value) or any(
            isinstance(d, bool) or not isinstance(d, numbers.Integral) or d < 1 for d in value):
        raise ValueError(f"{name} must be {expected}, got {tuple(value)!r}")
    return tuple(int(d) for d in value)


def float_array(name: str, value, layout: str | None = None, *, allow_inf: bool = False) -> np.ndarray:
    """``value`` as a float64 array, shaped as ``layout`` says if given (``"(N, H, W, C)"``).

    With a layout the array must have that many axes, none of them empty.
    NaN is always refused; infinities too unless ``allow_inf`` (max pooling
    pads with -inf).
    """
    expected = f"a float array of shape {layout}" if layout else "a float array"
    if value is None or isinstance(value, (str, bytes)):
        raise TypeError(f"{name} must be {expected}, got {type(value).__name__}")
    array = np.asarray(value, dtype=np.float64)
    ndim = None if layout is None else len([axis for axis in layout.strip("()").split(",") if axis.strip()])
    if ndim is not None and (array.ndim != ndim or 0 in array.shape):
        raise ValueError(f"{name} must be a {ndim}-D array of shape {layout} with no empty axis, "
                         f"got shape {array.shape}")
    if np.any(np.isnan(array)) or not (allow_inf or np.all(np.isfinite(array))):
        raise ValueError(f"{name} must be finite; found NaN or inf" if not allow_inf
                         else f"{name} must not contain NaN")
    return array
