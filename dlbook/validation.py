"""Argument checks shared by the package: each names the argument, what was expected and what came.

One rule, the one scikit-learn's ``check_scalar`` follows: a **TypeError** when
the argument is not of a kind the function takes (a string where an array
goes, a float where a count goes, a list where a Generator goes); a
**ValueError** when it is of the right kind but its value is not allowed (out
of range, the wrong shape, NaN, a name that is not one of the choices).

Every module checks its arguments with these functions. What stays in a
module is only what relates its own arguments to each other (a cache that
must come from the same forward pass, weights whose shapes must chain).
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
    if not isinstance(value, str):
        raise TypeError(f"{name} must be one of {tuple(choices)}, got {type(value).__name__}")
    if value not in choices:
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
    raw = np.asarray(value)
    if raw.dtype.kind not in "biuf":  # strings, objects, complex: not numbers on a real line
        raise TypeError(f"{name} must be {expected}, got an array of dtype {raw.dtype}")
    array = raw.astype(np.float64, copy=False)
    ndim = None if layout is None else len([axis for axis in layout.strip("()").split(",") if axis.strip()])
    if ndim is not None and (array.ndim != ndim or 0 in array.shape):
        raise ValueError(f"{name} must be a {ndim}-D array of shape {layout} with no empty axis, "
                         f"got shape {array.shape}")
    if np.any(np.isnan(array)) or not (allow_inf or np.all(np.isfinite(array))):
        raise ValueError(f"{name} must be finite; found NaN or inf" if not allow_inf
                         else f"{name} must not contain NaN")
    return array


def image_shape(name: str, value) -> tuple[int, ...]:
    """``value`` as the shape of one image: ``(H, W)`` or ``(H, W, C)``, positive ints."""
    dims = shape(name, value)
    if len(dims) not in (2, 3):
        raise ValueError(f"{name} must be (H, W) or (H, W, C), got {value!r}")
    return dims


def positive_ints(name: str, value, *, allow_empty: bool = False) -> tuple[int, ...]:
    """``value`` (a sequence of positive ints, such as the widths of hidden layers) as a tuple."""
    if isinstance(value, (str, bytes)) or not isinstance(value, (tuple, list, np.ndarray, range)):
        raise TypeError(f"{name} must be a sequence of positive ints, got {type(value).__name__}")
    if any(isinstance(v, bool) or not isinstance(v, numbers.Integral) for v in value):
        raise TypeError(f"{name} must be a sequence of positive ints, got {list(value)!r}")
    if (not allow_empty and len(value) == 0) or any(v < 1 for v in value):
        empty = "" if allow_empty else "non-empty "
        raise ValueError(f"{name} must be a {empty}sequence of positive ints, got {list(value)!r}")
    return tuple(int(v) for v in value)


def keras_model(name: str, value):
    """``value`` if it is a ``keras.Model`` (imports Keras: call it from the Keras layer only)."""
    from dlbook.keras_import import keras

    if not isinstance(value, keras.Model):
        raise TypeError(f"{name} must be a keras.Model, got {type(value).__name__}")
    return value


def within(name: str, array: np.ndarray, low: float, high: float, what: str = "values") -> np.ndarray:
    """``array`` (already checked numbers) if every value lies in ``[low, high]``."""
    if array.size and (array.min() < low or array.max() > high):
        raise ValueError(f"{name} must hold {what} in [{low:g}, {high:g}], got values in "
                         f"[{array.min()}, {array.max()}]")
    return array


def float_arrays(name: str, value, layout: str) -> list[np.ndarray]:
    """``value``, a non-empty list of arrays (the weights of each layer), as :func:`float_array` s."""
    if isinstance(value, np.ndarray) or not isinstance(value, (list, tuple)):
        raise TypeError(f"{name} must be a list of arrays of shape {layout}, got {type(value).__name__}")
    if not value:
        raise ValueError(f"{name} must be a non-empty list of arrays of shape {layout}")
    return [float_array(f"{name}[{i}]", a, layout) for i, a in enumerate(value)]


def int_array(name: str, value, layout: str | None = None) -> np.ndarray:
    """``value`` as a non-empty int64 array (bools count as 0 and 1), shaped as ``layout`` says if given."""
    array = None if value is None or isinstance(value, (str, bytes)) else np.asarray(value)
    if array is not None and array.size == 0:  # [] is float64 to NumPy: say "empty", not "float"
        raise ValueError(f"{name} must hold at least one value, got shape {array.shape}")
    if array is None or array.dtype.kind not in "biu":
        got = type(value).__name__ if array is None else f"dtype {array.dtype}"
        raise TypeError(f"{name} must be an array of ints, got {got}")
    if layout is not None:
        float_array(name, array, layout)  # as many axes as the layout names
    return array.astype(np.int64)


def class_labels(name: str, value, n_classes: int) -> np.ndarray:
    """``value`` as a non-empty 1-D int array of class labels in 0 .. ``n_classes`` - 1."""
    labels = np.asarray(value)
    if not np.issubdtype(labels.dtype, np.integer):
        raise TypeError(f"{name} must be an int array of class labels, got dtype {labels.dtype}")
    if labels.ndim != 1 or labels.size == 0:
        raise ValueError(f"{name} must have shape (N,) with N >= 1, got shape {labels.shape}")
    if labels.min() < 0 or labels.max() >= n_classes:
        raise ValueError(f"{name} must lie in 0 .. {n_classes - 1}, got values from "
                         f"{labels.min()} to {labels.max()}")
    return labels


def function(name: str, value):
    """``value`` if it can be called."""
    if not callable(value):
        raise TypeError(f"{name} must be callable, got {type(value).__name__}")
    return value
