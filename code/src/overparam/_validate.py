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

from ._numerics import gram_scale

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
    "tolerance",
    "problem",
    "finite_gram_scale",
]


def _as_float_array(name: str, value: Any) -> np.ndarray:
    if isinstance(value, (str, bytes)) or value is None:
        raise TypeError(
            f"{name} must be a real number or array of real numbers, got {type(value).__name__}"
        )
    try:
        arr = np.asarray(value)
    except Exception as exc:  # pragma: no cover - numpy raises many kinds here
        raise TypeError(f"{name} could not be read as a numeric array: {exc}") from exc
    if arr.dtype == object or not np.issubdtype(arr.dtype, np.number):
        # bool is refused too: True for a time or a matrix entry is a bug, not a 1.0
        raise TypeError(f"{name} must hold real numbers, got an array of dtype {arr.dtype}")
    if np.iscomplexobj(arr):
        raise ValueError(f"{name} must be real, got complex entries")
    return arr.astype(float, copy=False)  # float64 input is used as given, not copied


def real_scalar(name: str, value: Any) -> float:
    """Return ``value`` as a finite Python float, or raise naming ``name``."""
    numeric = isinstance(value, numbers.Real | np.ndarray | np.generic)
    if isinstance(value, bool | np.bool_) or not numeric:
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
        raise ValueError(
            f"{name} must be a 2-D array (a matrix), "
            f"got {arr.ndim} dimension(s) with shape {arr.shape}"
        )
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
            f"{name} must be non-decreasing, but "
            f"{name}[{i + 1}] = {arr[i + 1]} < {name}[{i}] = {arr[i]}"
        )
    return arr


def nonnegative_array(name: str, value: Any) -> np.ndarray:
    """Return ``value`` as a finite float array (any shape, no order) with entries ``>= 0``."""
    arr = real_array(name, value)
    if np.any(arr < 0):
        raise ValueError(f"{name} must be >= 0, found {arr.min()}")
    return arr


def choice(name: str, value: Any, allowed: tuple[str, ...]) -> str:
    """Return ``value`` if it is one of ``allowed``, else raise naming ``name``.

    ``TypeError`` if ``value`` is not a str.
    """
    options = ", ".join(repr(a) for a in allowed)
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, one of {options}; got {type(value).__name__}")
    if value not in allowed:
        raise ValueError(f"{name} must be one of {options}; got {value!r}")
    return value


def count(name: str, value: Any, minimum: int = 1) -> int:
    """Return ``value`` as a Python int ``>= minimum``; ``TypeError`` if it is not an integer.

    ``bool`` is refused although it subclasses ``int``: ``True`` for a width is a bug.
    """
    if isinstance(value, bool) or not isinstance(value, (numbers.Integral, np.integer)):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def generator(name: str, value: Any) -> np.random.Generator:
    """Return ``value`` if it is a ``numpy.random.Generator``, else raise ``TypeError``."""
    if not isinstance(value, np.random.Generator):
        raise TypeError(
            f"{name} must be a numpy.random.Generator (e.g. numpy.random.default_rng(0)), "
            f"got {type(value).__name__}"
        )
    return value


def flag(name: str, value: Any) -> bool:
    """Return ``value`` as a bool; only ``True``/``False`` (Python or numpy) are accepted."""
    if not isinstance(value, bool | np.bool_):
        raise TypeError(f"{name} must be a bool, got {type(value).__name__}")
    return bool(value)


def tolerance(name: str, value: Any) -> float:
    """Return a relative tolerance of a structure check: a float in (0, 1).

    At 1 or above the check would accept any input (every deviation it measures is at
    most about the scale), so such a value is refused.
    """
    x = positive_scalar(name, value)
    if x >= 1.0:
        raise ValueError(
            f"{name} must be < 1 (a relative tolerance; {name} >= 1 accepts any input), got {x}"
        )
    return x


def problem(
    Y: Any, U: Any, V: Any, X: Any = None, *, names: tuple[str, str] = ("U0", "V0")
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
    """Check a problem (Y, U, V, X) and return float arrays (float64 input is not copied).

    Shapes: ``Y`` is (m, n) and ``X`` is None, or ``Y`` is (N, n) and ``X`` is (N, m);
    ``U`` is (m, k) and ``V`` is (n, k). ``names`` are the names of U and V in the
    caller's signature (``("U0", "V0")`` for a start, ``("U", "V")`` for a point): the
    messages use them.
    """
    u, v = names
    Y = matrix("Y", Y)
    if X is None:
        m, n = Y.shape
    else:
        hint = f"Y has {Y.shape[0]} rows: X must be N x m with N = rows of Y"
        X = matrix("X", X, rows=Y.shape[0], rows_hint=hint)
        m, n = X.shape[1], Y.shape[1]
    what_m = f"X has {m} columns" if X is not None else f"Y has {m} rows"
    U = matrix(u, U, rows=m, rows_hint=f"{what_m}: {u} must be m x k")
    V = matrix(
        v,
        V,
        rows=n,
        cols=U.shape[1],
        rows_hint=f"Y has {n} columns: {v} must be n x k",
        cols_hint=f"{u} has {U.shape[1]} columns: {v} must be n x k with the same k",
    )
    return Y, U, V, X


def finite_gram_scale(U0: np.ndarray, V0: np.ndarray) -> float:
    """``||U0||_2^2 + ||V0||_2^2`` (:func:`overparam._numerics.gram_scale`), or raise naming U0, V0.

    For checked, finite factors whose squares overflow.
    """
    scale = gram_scale(U0, V0)
    if not np.isfinite(scale):
        raise ValueError("U0, V0 are too large: ||U0||_2^2 + ||V0||_2^2 overflows")
    return scale
