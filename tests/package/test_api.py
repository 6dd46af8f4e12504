"""The public API of overparam: every public function, one valid call, and bad inputs derived from it.

A public function is a function in the ``__all__`` of a public module (``overparam.<module>``
for each name in ``overparam.__all__``). Its valid call is its entry in the ``CALLS``
dictionary of the test module that mirrors its module (see ``tests/edges.py``).
"""

from __future__ import annotations

import importlib
import inspect

import pytest

import edges
import overparam

PUBLIC = sorted(
    f"{module}.{name}"
    for module in overparam.__all__
    for name in importlib.import_module(f"overparam.{module}").__all__
)


def _obj(target: str):
    module, name = target.rsplit(".", 1)
    return getattr(importlib.import_module(f"overparam.{module}"), name)


FUNCTIONS = [name for name in PUBLIC if inspect.isfunction(_obj(name))]
CALLS = edges.registry()
ARGUMENTS = [(target, name) for target in sorted(CALLS) for name in CALLS[target].names()]


def test_every_public_function_has_exactly_one_valid_call():
    assert sorted(CALLS) == FUNCTIONS


@pytest.mark.parametrize("target", sorted(CALLS))
def test_the_valid_call_runs_the_public_function(target):
    assert CALLS[target].fn is _obj(target), f"{target}: the valid call runs another function"


@pytest.mark.parametrize("target", sorted(CALLS))
def test_the_valid_call_succeeds_with_finite_numbers(target):
    assert edges.all_finite(CALLS[target].run()), f"{target} returned nan or inf on its valid call"


@pytest.mark.parametrize("target, argument", ARGUMENTS, ids=[f"{t}-{a}" for t, a in ARGUMENTS])
def test_every_mutation_of_an_argument_is_rejected_by_name(target, argument):
    failures = []
    for label, thunk, error in edges.mutated_calls(CALLS[target], argument):
        try:
            edges.rejects(thunk, argument, error)
        except (AssertionError, pytest.fail.Exception) as exc:
            failures.append(f"{label}: {exc}")
    assert not failures, "\n".join(failures)
