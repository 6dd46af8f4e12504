"""Machinery of the edge tests: every public function of ``overparam`` at the edges.

Not a test module itself. The ``tests/test_edges_<module>.py`` files fill three
registries when they are imported, one module of the package each:

``VALID``
    ``"module.name" -> Call``: one valid call of every public function. The generic
    test (``test_edges_generic.py``) runs it once (it must succeed and give finite
    numbers) and then derives bad calls from it mechanically, argument by argument:
    nan and inf entries, an extra axis, complex entries, a string, ``None``, a float
    for an int, a bool for an int, a foreign random generator, an unknown option, an
    empty list of layers, ... (see :func:`mutants`). Each must raise ``ValueError``
    (``TypeError`` for a value of the wrong type) whose message names the argument.

``BAD``
    Hand-written bad calls that a mechanical mutation cannot know about: shapes that
    do not fit each other, ranks a theorem needs, ``k`` below what a statement needs,
    initializations without the required structure, unsorted or negative times.
    Each names its ``kind`` (one of :data:`KINDS`).

``PROPERTY``
    ``"module.name" -> [test names]``, filled by the :func:`covers` decorator on the
    hypothesis property tests: scales 1e-6 .. 1e4, imbalance 0 .. large, t 0 .. 1e6,
    shapes 1 x 1 .. rectangular.

``test_edges_coverage.py`` checks that every function in every module's
``__all__`` has all three.
"""

from __future__ import annotations

import dataclasses
import inspect
import os
import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

#: the kinds of hand-written bad input (the issue's list)
KINDS = (
    "shape",  # wrong shape, or shapes that do not fit each other
    "rank",  # a rank (or a singular value) that the statement needs is missing
    "nonfinite",  # nan or inf somewhere a mutation cannot reach (inside a structure)
    "times",  # negative, unsorted or badly shaped times
    "width",  # k below what a theorem needs
    "structure",  # an initialization without the required structure
    "type",  # a wrong type a mutation cannot produce
    "value",  # a value out of its range (negative step, zero scale, unknown option, ...)
)


@dataclasses.dataclass(frozen=True)
class Call:
    """A call ``fn(*args, **kwargs)``; ``shape_free`` lists arguments of any shape (no extra-axis mutant)."""

    fn: Callable[..., Any]
    args: tuple = ()
    kwargs: dict = dataclasses.field(default_factory=dict)
    shape_free: frozenset = frozenset()
    skip: dict = dataclasses.field(default_factory=dict)  # (argument, mutant label) -> reason it is valid

    def bound(self) -> inspect.BoundArguments:
        return inspect.signature(self.fn).bind(*self.args, **self.kwargs)


@dataclasses.dataclass(frozen=True)
class Bad:
    """A hand-written bad call: ``call()`` must raise ``error`` with ``argument`` in its message."""

    target: str
    kind: str
    what: str
    call: Callable[[], Any]
    argument: str
    error: type = ValueError


def examples(n: int) -> int:
    """``max_examples`` for a property test that sets its own: ``n``, or 12 n under the thorough profile."""
    return n * (12 if os.environ.get("HYPOTHESIS_PROFILE") == "thorough" else 1)


VALID: dict[str, Call] = {}
BAD: list[Bad] = []
PROPERTY: dict[str, list[str]] = {}


def valid(target: str, fn: Callable[..., Any], *args: Any, shape_free=(), skip=None, **kwargs: Any) -> None:
    """Register the valid call ``fn(*args, **kwargs)`` of the public function ``target``."""
    VALID[target] = Call(fn, tuple(args), dict(kwargs), frozenset(shape_free), dict(skip or {}))


def bad(target: str, kind: str, what: str, call: Callable[[], Any], argument: str, error: type = ValueError) -> None:
    """Register a hand-written bad call of ``target``."""
    if kind not in KINDS:
        raise AssertionError(f"unknown kind {kind!r}")
    if not any(b.target == target and b.what == what for b in BAD):
        BAD.append(Bad(target, kind, what, call, argument, error))


def covers(*targets: str):
    """Mark a property test as covering the public functions ``targets``."""

    def mark(test):
        for target in targets:
            names = PROPERTY.setdefault(target, [])
            if test.__name__ not in names:
                names.append(test.__name__)
        return test

    return mark


# ----------------------------------------------------------------------------------
# mechanical mutations of one argument of a valid call
# ----------------------------------------------------------------------------------


def _annotation(fn: Callable[..., Any], name: str) -> str:
    ann = inspect.signature(fn).parameters[name].annotation
    return "" if ann is inspect.Parameter.empty else str(ann)


def _default(fn: Callable[..., Any], name: str) -> Any:
    return inspect.signature(fn).parameters[name].default


def _with_entry(arr: np.ndarray, value: float) -> np.ndarray:
    out = np.array(arr, dtype=float, copy=True)
    out.flat[out.size // 2] = value
    return out


def _is_int_param(fn, name, value) -> bool:
    ann = _annotation(fn, name)
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool) and "int" in ann and "float" not in ann


def mutants(fn: Callable[..., Any], name: str, value: Any, shape_free: bool) -> list[tuple[str, Any, type]]:
    """The bad versions of argument ``name`` (currently ``value``): ``(label, bad value, error)``."""
    out: list[tuple[str, Any, type]] = []
    none_ok = _default(fn, name) is None
    if not none_ok:
        out.append(("None", None, TypeError))
    if isinstance(value, np.random.Generator):
        out += [("int-for-generator", 0, TypeError), ("RandomState", np.random.RandomState(0), TypeError)]
    elif isinstance(value, (bool, np.bool_)):
        out += [("str-for-bool", "yes", TypeError), ("int-for-bool", 1, TypeError)]
    elif isinstance(value, str):
        out += [("unknown-option", value + "-no-such-option", ValueError), ("int-for-str", 1, TypeError)]
    elif _is_int_param(fn, name, value):
        out += [
            ("float-for-int", float(value) + 0.5, TypeError),
            ("bool-for-int", True, TypeError),
            ("str-for-int", str(value), TypeError),
        ]
    elif isinstance(value, (float, int, np.floating, np.integer)) and not isinstance(value, bool):
        out += [
            ("nan", float("nan"), ValueError),
            ("inf", float("inf"), ValueError),
            ("complex", complex(value, 1.0), ValueError),
            ("str", "1.0", TypeError),
            ("bool-for-float", True, TypeError),
        ]
        if not shape_free:
            out.append(("array-for-scalar", np.array([float(value), float(value)]), ValueError))
    elif isinstance(value, np.ndarray):
        out += [
            ("bool-entries", np.asarray(value) != 0, TypeError),
            ("nan-entry", _with_entry(value, np.nan), ValueError),
            ("inf-entry", _with_entry(value, -np.inf), ValueError),
            ("complex-entries", np.asarray(value, dtype=float) + 1j, ValueError),
            ("str", "matrix", TypeError),
            ("object-entries", np.array([object()] * max(value.size, 1), dtype=object), TypeError),
        ]
        if not shape_free:
            out.append(("extra-axis", np.asarray(value)[None, ...], ValueError))
    elif isinstance(value, (list, tuple)) and value and all(isinstance(v, np.ndarray) for v in value):
        seq = list(value)
        out += [
            ("empty-list", [], ValueError),
            ("nan-in-one", [_with_entry(seq[0], np.nan)] + seq[1:], ValueError),
            ("str-in-one", seq[:-1] + ["matrix"], TypeError),
            ("vector-in-one", [np.ravel(seq[0])] + seq[1:], ValueError),
        ]
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        out += [("dict-for-record", dataclasses.asdict(value), TypeError), ("str-for-record", "record", TypeError)]
    else:
        out.append(("str-for-object", "object", TypeError))
    return out


def generated_cases() -> list[tuple[str, str, str, Callable[[], Any], type]]:
    """Every mechanical bad call: ``(target, argument, label, thunk, error)``."""
    cases = []
    for target, call in sorted(VALID.items()):
        bound = call.bound()
        for name, value in bound.arguments.items():
            kind = inspect.signature(call.fn).parameters[name].kind
            if kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD):
                continue
            for label, bad_value, error in mutants(call.fn, name, value, name in call.shape_free):
                if (name, label) in call.skip:
                    continue
                arguments = dict(bound.arguments)
                arguments[name] = bad_value
                new = inspect.BoundArguments(bound.signature, arguments)

                def thunk(fn=call.fn, new=new):
                    return fn(*new.args, **new.kwargs)

                cases.append((target, name, label, thunk, error))
    return cases


def assert_rejected(thunk: Callable[[], Any], error: type, argument: str) -> None:
    """``thunk()`` raises ``error`` (that class or a subclass) and the message names ``argument`` as a word."""
    with pytest.raises((ValueError, TypeError)) as info:
        thunk()
    assert isinstance(info.value, error), f"raised {type(info.value).__name__}, expected {error.__name__}: {info.value}"
    named = re.search(rf"(?<![A-Za-z0-9_]){re.escape(argument)}(?![A-Za-z0-9_])", str(info.value))
    assert named, f"the message does not name {argument!r} (as a word): {info.value}"


def all_finite(value: Any) -> bool:
    """True if every number inside ``value`` (arrays, floats, tuples, lists, dataclasses) is finite."""
    if value is None or isinstance(value, (str, bool, np.bool_)):
        return True
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return all(all_finite(getattr(value, f.name)) for f in dataclasses.fields(value))
    if isinstance(value, dict):
        return all(all_finite(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return all(all_finite(v) for v in value)
    if isinstance(value, (int, float, np.number, np.ndarray)):
        arr = np.asarray(value)
        return bool(arr.dtype == object or np.all(np.isfinite(arr)))
    return True
