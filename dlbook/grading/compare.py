"""Comparisons that say what is wrong, not just that something is.

Every function returns a list of problems, one readable sentence each; an
empty list means the check passed. They run in the grading process on plain
data decoded from the worker, so nothing a submission does can change them.

Tolerance. An entry passes when ``|received - expected| <= atol + rtol |expected|``
(NumPy's ``isclose`` rule, without its symmetric NaN leniency); the defaults
are ``rtol = 1e-6``, ``atol = 1e-9``. Floating-point dtypes must match
exactly (a float32 answer to a float64 question fails, with a message);
integer answers may use any integer width.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from dlbook.gradcheck import numerical_gradient, relative_error
from dlbook.grading.runtime.codec import Fixture


@dataclass(frozen=True)
class Tolerance:
    """``|received - expected| <= atol + rtol |expected|`` entry by entry."""

    rtol: float = 1e-6
    atol: float = 1e-9

    def describe(self) -> str:
        return f"|received - expected| <= {self.atol:g} + {self.rtol:g} |expected|"


class StructureError(ValueError):
    """An answer that does not have the structure asked for (a tuple of two, say)."""


def unpack(value, names: Sequence[str]) -> dict:
    """``{name: item}`` for a tuple or list of ``len(names)`` items; StructureError otherwise."""
    if isinstance(value, (tuple, list)) and len(value) == len(names):
        return dict(zip(names, value, strict=True))
    got = (f"a {type(value).__name__} of {len(value)}" if isinstance(value, (tuple, list))
           else _kind(value))
    raise StructureError(f"expected a tuple of {len(names)} ({', '.join(names)}), received {got}")


def compare(expected, received, tolerance: Tolerance = Tolerance(),
            name: str = "output") -> list[str]:
    """Problems with ``received`` as an answer whose correct value is ``expected``.

    Tuples and lists are compared item by item, arrays entry by entry,
    numbers as 0-d arrays.
    """
    if isinstance(expected, (tuple, list)):
        return _compare_sequence(expected, received, tolerance, name)
    if isinstance(expected, np.ndarray):
        return _compare_array(expected, received, tolerance, name)
    if isinstance(expected, (bool, np.bool_)):
        return _compare_bool(bool(expected), received, name)
    if isinstance(expected, (int, float, np.integer, np.floating)):
        return _compare_number(expected, received, tolerance, name)
    return [] if received == expected else [f"{name}: expected {expected!r}, received "
                                             f"{_short(received)}"]


def _compare_sequence(expected, received, tolerance, name) -> list[str]:
    what = f"a {type(expected).__name__} of {len(expected)}"
    if not isinstance(received, (tuple, list)):
        return [f"{name}: expected {what}, received {_kind(received)}"]
    if len(received) != len(expected):
        return [f"{name}: expected {what}, received a {type(received).__name__} of "
                f"{len(received)}"]
    problems = []
    for i, (want, got) in enumerate(zip(expected, received, strict=True)):
        problems += compare(want, got, tolerance, f"{name}[{i}]")
    return problems


def _compare_bool(expected: bool, received, name: str) -> list[str]:
    if type(received) not in (bool, np.bool_):
        return [f"{name}: expected True or False, received {_kind(received)}"]
    return [] if bool(received) == expected else [f"{name}: expected {expected}, "
                                                  f"received {bool(received)}"]


def _compare_number(expected, received, tolerance, name) -> list[str]:
    if isinstance(received, np.ndarray) and received.ndim == 0:
        received = received[()]
    if isinstance(received, (bool, np.bool_)) or not isinstance(
            received, (int, float, np.integer, np.floating)):
        return [f"{name}: expected a number, received {_kind(received)}"]
    dtype = np.float64 if isinstance(expected, (float, np.floating)) else np.int64
    return _compare_array(np.asarray(expected, dtype=dtype), np.asarray(received), tolerance,
                          name, scalar=True)


def _compare_array(expected: np.ndarray, received, tolerance: Tolerance, name: str,
                   scalar: bool = False) -> list[str]:
    if not isinstance(received, np.ndarray):
        if isinstance(received, (list, tuple)) and not scalar:
            return [f"{name}: expected a NumPy array of shape {expected.shape}, received a "
                    f"{type(received).__name__}; wrap it in np.array(...)"]
        return [f"{name}: expected a NumPy array of shape {expected.shape}, "
                f"received {_kind(received)}"]
    problems = _shape_problems(expected, received, name) + _dtype_problems(expected, received,
                                                                          name)
    if problems:
        return problems
    return _value_problems(expected, received, tolerance, name)


def _shape_problems(expected: np.ndarray, received: np.ndarray, name: str) -> list[str]:
    if received.shape == expected.shape:
        return []
    why = ""
    if received.shape == expected.shape[::-1] and received.ndim > 1:
        why = " (transposed?)"
    elif tuple(d for d in received.shape if d != 1) == tuple(d for d in expected.shape if d != 1):
        why = " (an axis of length 1 too many or too few: check keepdims or reshape)"
    elif received.size == expected.size:
        why = " (same number of entries, arranged differently)"
    return [f"{name}: expected shape {expected.shape}, received shape {received.shape}{why}"]


def _dtype_problems(expected: np.ndarray, received: np.ndarray, name: str) -> list[str]:
    if np.issubdtype(expected.dtype, np.integer):
        ok = np.issubdtype(received.dtype, np.integer)
        advice = "use .astype(int)"
    else:
        ok = received.dtype == expected.dtype
        advice = f"compute in {expected.dtype} (np.asarray(x, dtype=np.{expected.dtype}))"
    if ok:
        return []
    return [f"{name}: expected dtype {expected.dtype}, received {received.dtype}; {advice}"]


def _value_problems(expected, received, tolerance: Tolerance, name: str) -> list[str]:
    if expected.size == 0:
        return []
    want = expected.astype(np.float64)
    got = received.astype(np.float64)
    bad_numbers = ~np.isfinite(got) & np.isfinite(want)
    if bad_numbers.any():
        return [_non_finite_message(got, bad_numbers, name)]
    with np.errstate(invalid="ignore", over="ignore"):
        error = np.abs(got - want)
        wrong = ~(error <= tolerance.atol + tolerance.rtol * np.abs(want))
        wrong &= ~(np.isnan(want) & np.isnan(got)) & ~(np.isinf(want) & (got == want))
    if not wrong.any():
        return []
    first = _index(np.argwhere(wrong)[0])
    relative = np.where(wrong, error / np.maximum(np.abs(want), 1e-300), 0.0)
    worst_abs = np.unravel_index(np.argmax(np.where(wrong, error, -1.0)), want.shape)
    worst_rel = np.unravel_index(np.argmax(relative), want.shape)
    where = "" if expected.ndim == 0 else f" at {_index(worst_abs)}"
    lines = [f"{name}: {int(wrong.sum())} of {wrong.size} entries differ "
             f"(tolerance {tolerance.describe()})"]
    if expected.ndim:
        lines.append(f"  first at index {first}: expected {_number(want[tuple(first)])}, "
                     f"received {_number(got[tuple(first)])}")
    else:
        lines.append(f"  expected {_number(want[()])}, received {_number(got[()])}")
    lines.append(f"  max absolute error {error[worst_abs]:.3g}{where}; max relative error "
                 f"{relative[worst_rel]:.3g}" + ("" if not expected.ndim
                                                 else f" at {_index(worst_rel)}"))
    return ["\n".join(lines)]


def _non_finite_message(got: np.ndarray, bad: np.ndarray, name: str) -> str:
    n_nan = int(np.isnan(got[bad]).sum())
    n_inf = int(bad.sum()) - n_nan
    where = f" (first at index {_index(np.argwhere(bad)[0])})" if got.ndim else ""
    return (f"{name}: received {n_nan} NaN and {n_inf} inf values where the expected values are "
            f"finite{where}; look for log(0), 0/0 or an exp that overflows")


def changed_inputs(before: Sequence, after, names: Sequence[str]) -> list[str]:
    """Problems if the function modified any of its array arguments in place.

    Policy: an exercise function must not modify its inputs (the caller may
    still need them: a cache, a batch, a weight matrix). A change fails the
    case even when the returned value is right. Arrays inside list
    arguments (a list of weight matrices) are checked too.
    """
    if not isinstance(after, list) or len(after) != len(before):
        return []
    problems = []
    for name, old, new in zip(names, before, after, strict=False):
        problems += _changes(name, old, new)
    return problems


def _changes(name: str, old, new) -> list[str]:
    if isinstance(old, Fixture) and isinstance(new, list) and len(new) == len(old.kwargs):
        # a fixture built as a tuple of its arguments (a cache): check each field
        return [problem for key, o, n in zip(old.kwargs, old.kwargs.values(), new, strict=True)
                for problem in _changes(f"{name}.{key}", o, n)]
    if isinstance(old, (list, tuple)) and isinstance(new, list) and len(old) == len(new):
        return [problem for i, (o, n) in enumerate(zip(old, new, strict=True))
                for problem in _changes(f"{name}[{i}]", o, n)]
    if not isinstance(old, np.ndarray) or not isinstance(new, np.ndarray):
        return []
    advice = ("; return a new array instead (e.g. x = x.copy(), or np.maximum(x, 0) rather "
              "than x[x < 0] = 0)")
    if new.shape != old.shape or new.dtype != old.dtype:
        return [f"your function changed its argument `{name}` in place (now shape {new.shape}, "
                f"dtype {new.dtype}){advice}"]
    same = new == old
    if old.dtype.kind in "fc":
        same |= np.isnan(new) & np.isnan(old)
    if same.all():
        return []
    where = ""
    if old.ndim:
        index = _index(np.argwhere(~same)[0])
        where = f" at index {index}: {_number(old[index])} -> {_number(new[index])}"
    return [f"your function changed its argument `{name}` in place{where}{advice}"]


def gradient_problems(function, x: np.ndarray, gradient, label: str,
                      tolerance: float = 1e-6) -> list[str]:
    """Problems if ``gradient`` is not the finite-difference gradient of ``function`` at ``x``.

    The central difference (f(x + eps e_i) - f(x - eps e_i)) / 2 eps with
    eps = 1e-6 is exact to about 1e-9 relative in float64, so a relative
    error above ``tolerance`` means the gradient is wrong, not imprecise.
    Skipped (no problem reported) when ``gradient`` is not a finite float
    array of the right shape: :func:`compare` already says so.
    """
    if not (isinstance(gradient, np.ndarray) and gradient.shape == x.shape
            and gradient.dtype.kind == "f" and np.all(np.isfinite(gradient))):
        return []
    numerical = numerical_gradient(function, np.array(x, dtype=np.float64))
    error = relative_error(gradient, numerical)
    if error <= tolerance:
        return []
    return [f"finite-difference check of {label}: relative error {error:.2g} between your "
            f"gradient and (f(x + eps e_i) - f(x - eps e_i)) / 2 eps (must be <= {tolerance:g})"]


def _index(index) -> tuple:
    return tuple(int(i) for i in index)


def _number(value) -> str:
    return f"{float(value):.10g}"


def _kind(value) -> str:
    if value is None:
        return "None (is a `return` missing?)"
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    return f"{_short(value)} of type {type(value).__name__}"


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
