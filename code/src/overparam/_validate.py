"""Input checks shared by the public functions of :mod:`overparam`.

Every public function checks its arguments here, at the boundary, and raises
``ValueError`` (or ``TypeError`` for a value that is not numeric at all) with a
message that names the argument and says what was expected. Internals trust
their callers.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

__all__ = [
    "real_scalar",
    "real_array",
    "matrix",
    "times",
    "positive_scalar",
    "nonnegative_scalar",
    "nonnegative_array",
    "choice",
    "count",
    "generator",
    "flag",
]


def _as_float_array(name: str, value: Any) -> np.ndarray:
    if isinstance(value, (str, bytes)) or value is None:
        raise TypeError(f"{name} must be a real number or array of real numbers, got {type(value).__name__}")
    try:
        arr = np.asarray(value)
    except Exception as exc:  # pragma: no cover - numpy raises many kinds here
        raise TypeError(f"{name} could not be read as a numeric array: {exc}") from exc
    if arr.dtype == object or not np.issubdtype(arr.dtype, np.number):
        # bool is refused too: True for a time or a matrix entry is a bug, not a 1.0
        raise TypeError(f"{name} must hold real numbers, got an array of dtype {arr.dtype}")
    if np.iscomplexobj(arr):
        raise ValueError(f"{name} must be real, got complex entries")
    return arr.astype(float)


def real_scalar(name: str, value: Any) -> float:
    """Return ``value`` as a finite Python float, or raise naming ``name``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Real, np.ndarray, np.generic)):
        if isinstance(value, numbers.Complex) and not isinstance(value, numbers.Real):
            raise ValueError(f"{name} must be a real number, got complex {value!r}")
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    arr = _as_float_array(name, value)
    if arr.ndim != 0:
        raise ValueError(f"{name} must be a scalar, got an array of shape {arr.shape}")
    x = float(arr)
    if not np.isfinite(x):
        raise ValueError(f"{name} must be finite, got {x}")
    return x


def positive_scalar(name: str, value: Any) -> float:
    """Return ``value`` as a finite float > 0, or raise naming ``name``."""
    x = real_scalar(name, value)
    if x <= 0:
        raise ValueError(f"{name} must be positive, got {x}")
    return x


def nonnegative_scalar(name: str, value: Any) -> float:
    """Return ``value`` as a finite float >= 0, or raise naming ``name``."""
    x = real_scalar(name, value)
    if x < 0:
        raise ValueError(f"{name} must be >= 0, got {x}")
    return x


def real_array(name: str, value: Any) -> np.ndarray:
    """Return ``value`` as a finite float array of any shape (0-d allowed)."""
    arr = _as_float_array(name, value)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must have finite entries, found nan or inf")
    return arr


def matrix(
    name: str,
    value: Any,
    *,
    rows: int | None = None,
    cols: int | None = None,
    rows_hint: str = "",
    cols_hint: str = "",
) -> np.ndarray:
    """Return ``value`` as a finite 2-D float array with the given row/column counts.

    ``rows_hint`` / ``cols_hint`` say where the expected count comes from, e.g.
    ``"Y has 4 rows"``, so that the message tells the user what to fix.
    """
    arr = _as_float_array(name, value)
    if arr.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array (a matrix), got {arr.ndim} dimension(s) with shape {arr.shape}")
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(f"{name} must have at least one row and one column, got shape {arr.shape}")
    if rows is not None and arr.shape[0] != rows:
        why = f" but {rows_hint}" if rows_hint else f", expected {rows}"
        raise ValueError(f"{name} has {arr.shape[0]} rows{why}")
    if cols is not None and arr.shape[1] != cols:
        why = f" but {cols_hint}" if cols_hint else f", expected {cols}"
        raise ValueError(f"{name} has {arr.shape[1]} columns{why}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must have finite entries, found nan or inf")
    return arr


def times(name: str, value: Any) -> np.ndarray:
    """Return ``value`` as a non-empty 1-D array of finite, non-negative, non-decreasing times."""
    arr = _as_float_array(name, value)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array of times, got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} must contain at least one time")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must have finite entries, found nan or inf")
    if np.any(arr < 0):
        raise ValueError(f"{name} must be >= 0, found {arr.min()}")
    if np.any(np.diff(arr) < 0):
        i = int(np.argmax(np.diff(arr) < 0))
        raise ValueError(
            f"{name} must be non-decreasing, but {name}[{i + 1}] = {arr[i + 1]} < {name}[{i}] = {arr[i]}"
        )
    return arr


def nonnegative_array(name: str, value: Any) -> np.ndarray:
    """Return ``value`` as a finite float array (any shape, no order) with entries ``>= 0``."""
    arr = real_array(name, value)
    if np.any(arr < 0):
        raise ValueError(f"{name} must be >= 0, found {arr.min()}")
    return arr


def choice(name: str, value: Any, allowed: tuple[str, ...]) -> str:
    """Return ``value`` if it is one of ``allowed``, else raise naming ``name`` (``TypeError`` if not a str)."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, one of {', '.join(repr(a) for a in allowed)}; got {type(value).__name__}")
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(repr(a) for a in allowed)}; got {value!r}")
    return value


def count(name: str, value: Any, minimum: int = 1) -> int:
    """Return ``value`` as a Python int ``>= minimum``; ``TypeError`` if it is not an integer at all.

    ``bool`` is refused although it subclasses ``int``: ``True`` for a width is a bug.
    """
    if isinstance(value, bool) or not isinstance(value, (numbers.Integral, np.integer)):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def generator(name: str, value: Any) -> np.random.Generator:
    """Return ``value`` if it is a ``numpy.random.Generator``, else raise ``TypeError`` naming ``name``."""
    if not isinstance(value, np.random.Generator):
        raise TypeError(
            f"{name} must be a numpy.random.Generator (e.g. numpy.random.default_rng(0)), got {type(value).__name__}"
        )
    return value


def flag(name: str, value: Any) -> bool:
    """Return ``value`` as a bool; only ``True``/``False`` (Python or numpy) are accepted."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be a bool, got {type(value).__name__}")
    return bool(value)
