"""Machinery of the API tests: every public function of ``overparam`` at its edges.

Not a test module. Each test module under ``tests/package/`` (one per module of the
package) has a module-level dictionary ``CALLS``, public name -> :func:`call`, with one
valid call of each public function of its module: the only registration a new public
function needs. ``tests/package/test_api.py`` then

* checks that every public function has exactly one valid call, and nothing else does;
* runs each valid call (it must succeed and give finite numbers);
* derives bad calls from it mechanically, argument by argument (:func:`mutants`): nan and
  inf entries, an extra axis, complex entries, a string, ``None``, a float or a bool for
  an int, a foreign random generator, an unknown option, an empty list of layers, ...
  Each must raise ``ValueError`` (``TypeError`` for a value of the wrong type) whose
  message names the argument.

Arguments that are expensive to build (a trajectory, say) are wrapped in :func:`lazy`:
they are built when a test first needs them, not when the module is imported. Whether an
argument is an int is read from its value in the valid call (pass ``1.0``, not ``1``, for
a float), never from type hints. Hand-written bad inputs (shapes that do not fit each
other, ranks, widths, structure) are ordinary tests in the module's own test file, with
:func:`rejects`.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import os
import pathlib
import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest


def examples(n: int) -> int:
    """``max_examples`` for a property test that sets its own: ``n``, or 12 n under the thorough profile."""
    return n * (12 if os.environ.get("HYPOTHESIS_PROFILE") == "thorough" else 1)


class Lazy:
    """An argument built on first use by ``factory()`` (then kept)."""

    def __init__(self, factory: Callable[[], Any]) -> None:
        self.factory = factory
        self._value: Any = None
        self._built = False

    def value(self) -> Any:
        if not self._built:
            self._value, self._built = self.factory(), True
        return self._value


def lazy(factory: Callable[[], Any]) -> Lazy:
    """Wrap an expensive argument of a valid call: ``lazy(lambda: deep.gradient_flow(...))``."""
    return Lazy(factory)


def _resolve(value: Any) -> Any:
    return value.value() if isinstance(value, Lazy) else value


@dataclasses.dataclass(frozen=True)
class Call:
    """A valid call ``fn(*args, **kwargs)``.

    ``shape_free`` lists arguments of any shape (no extra-axis or array-for-scalar mutant);
    ``skip`` maps (argument, mutant label) to the reason that mutant is valid.
    """

    fn: Callable[..., Any]
    args: tuple = ()
    kwargs: dict = dataclasses.field(default_factory=dict)
    shape_free: frozenset = frozenset()
    skip: dict = dataclasses.field(default_factory=dict)

    def bound(self) -> inspect.BoundArguments:
        """The arguments by name, lazy ones built."""
        args = tuple(_resolve(a) for a in self.args)
        kwargs = {k: _resolve(v) for k, v in self.kwargs.items()}
        return inspect.signature(self.fn).bind(*args, **kwargs)

    def names(self) -> list[str]:
        """The names of the arguments passed (without building lazy ones)."""
        params = inspect.signature(self.fn).parameters
        bound = inspect.signature(self.fn).bind(*self.args, **self.kwargs)
        return [
            n
            for n in bound.arguments
            if params[n].kind not in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
        ]

    def run(self) -> Any:
        bound = self.bound()
        return self.fn(*bound.args, **bound.kwargs)


def call(fn: Callable[..., Any], *args: Any, shape_free=(), skip=None, **kwargs: Any) -> Call:
    """The valid call ``fn(*args, **kwargs)``, for a ``CALLS`` dictionary."""
    return Call(fn, tuple(args), dict(kwargs), frozenset(shape_free), dict(skip or {}))


def registry() -> dict[str, Call]:
    """Every ``CALLS`` entry of the test modules under ``tests/package``; a name registered twice raises."""
    root = pathlib.Path(__file__).parent / "package"
    out: dict[str, Call] = {}
    for path in sorted(root.rglob("test_*.py")):
        module = ".".join(path.relative_to(root.parent).with_suffix("").parts)
        calls = getattr(importlib.import_module(module), "CALLS", {})
        for target, c in calls.items():
            if target in out:
                raise AssertionError(f"{target} has a valid call in two test modules (one is {module})")
            out[target] = c
    return out


# ----------------------------------------------------------------------------------
# mechanical mutations of one argument of a valid call
# ----------------------------------------------------------------------------------


def _with_entry(arr: np.ndarray, value: float) -> np.ndarray:
    out = np.array(arr, dtype=float, copy=True)
    out.flat[out.size // 2] = value
    return out


def mutants(value: Any, *, none_ok: bool, shape_free: bool) -> list[tuple[str, Any, type]]:
    """The bad versions of an argument whose valid value is ``value``: ``(label, bad value, error)``."""
    out: list[tuple[str, Any, type]] = []
    if not none_ok:
        out.append(("None", None, TypeError))
    if isinstance(value, np.random.Generator):
        out += [("int-for-generator", 0, TypeError), ("RandomState", np.random.RandomState(0), TypeError)]
    elif isinstance(value, bool | np.bool_):
        out += [("str-for-bool", "yes", TypeError), ("int-for-bool", 1, TypeError)]
    elif isinstance(value, str):
        out += [("unknown-option", value + "-no-such-option", ValueError), ("int-for-str", 1, TypeError)]
    elif isinstance(value, int | np.integer):
        out += [
            ("float-for-int", float(value) + 0.5, TypeError),
            ("bool-for-int", True, TypeError),
            ("str-for-int", str(value), TypeError),
        ]
    elif isinstance(value, float | np.floating):
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
    elif isinstance(value, list | tuple) and value and all(isinstance(v, np.ndarray) for v in value):
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


def mutated_calls(c: Call, argument: str) -> list[tuple[str, Callable[[], Any], type]]:
    """The bad calls with ``argument`` replaced by each of its mutants: ``(label, thunk, error)``."""
    bound = c.bound()
    default = inspect.signature(c.fn).parameters[argument].default
    out = []
    for label, bad_value, error in mutants(
        bound.arguments[argument], none_ok=default is None, shape_free=argument in c.shape_free
    ):
        if (argument, label) in c.skip:
            continue
        arguments = dict(bound.arguments)
        arguments[argument] = bad_value
        new = inspect.BoundArguments(bound.signature, arguments)
        out.append((label, lambda new=new: c.fn(*new.args, **new.kwargs), error))
    return out


def rejects(thunk: Callable[[], Any], argument: str, error: type = ValueError) -> None:
    """``thunk()`` raises ``error`` (or a subclass) whose message names ``argument`` as a word."""
    with pytest.raises((ValueError, TypeError)) as info:
        thunk()
    assert isinstance(info.value, error), f"raised {type(info.value).__name__}, expected {error.__name__}: {info.value}"
    named = re.search(rf"(?<![A-Za-z0-9_]){re.escape(argument)}(?![A-Za-z0-9_])", str(info.value))
    assert named, f"the message does not name {argument!r} (as a word): {info.value}"


def all_finite(value: Any) -> bool:
    """True if every number inside ``value`` (arrays, floats, tuples, lists, dataclasses) is finite."""
    if value is None or isinstance(value, str | bool | np.bool_):
        return True
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return all(all_finite(getattr(value, f.name)) for f in dataclasses.fields(value))
    if isinstance(value, dict):
        return all(all_finite(v) for v in value.values())
    if isinstance(value, list | tuple):
        return all(all_finite(v) for v in value)
    if isinstance(value, int | float | np.number | np.ndarray):
        arr = np.asarray(value)
        return bool(arr.dtype == object or np.all(np.isfinite(arr)))
    return True
