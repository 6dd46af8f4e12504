"""Every public function of overparam has a valid call, hand-written bad inputs and a property test.

New functions added to a module's ``__all__`` fail this test until they are covered in
``tests/test_edges_<module>.py`` (see ``tests/edges.py``).
"""

from __future__ import annotations

import importlib
import inspect
import pathlib

import pytest

import edges
import overparam

for _p in sorted(pathlib.Path(__file__).parent.glob("test_edges_*.py")):
    if _p.stem not in {"test_edges_generic", "test_edges_coverage"}:
        importlib.import_module(_p.stem)

#: public names that are not functions: result records (built by the functions, tested
#: through them) and constants. Anything listed here must really not be a function.
NOT_FUNCTIONS = {
    "flow.Trajectory", "scalar.ScalarTrajectory", "spectral.SpectralModes", "bounds.ImbalanceTerms",
    "bounds.Margins", "regression.DataDecomposition", "regression.RegressionData", "regression.FlowLimit",
    "deep.DeepTrajectory", "deep.ScalarDeepTrajectory", "gd.GDTrajectory", "gd.LocalConstants",
    "gd.RateConstants", "style.PALETTE", "style.ROLES", "style.RC",
}
#: functions without arguments: no bad input exists
NO_ARGUMENTS = {"style.use", "style.context"}

PUBLIC = sorted(
    f"{module}.{name}"
    for module in overparam.__all__
    for name in importlib.import_module(f"overparam.{module}").__all__
)
FUNCTIONS = [name for name in PUBLIC if name not in NOT_FUNCTIONS]


def _obj(target):
    module, name = target.split(".")
    return getattr(importlib.import_module(f"overparam.{module}"), name)


@pytest.mark.parametrize("target", sorted(NOT_FUNCTIONS))
def test_exempt_names_are_public_and_not_functions(target):
    assert target in PUBLIC
    assert not inspect.isfunction(_obj(target))


@pytest.mark.parametrize("target", FUNCTIONS)
def test_every_public_function_is_covered(target):
    assert inspect.isfunction(_obj(target)), f"{target} is not a function; list it in NOT_FUNCTIONS"
    assert target in edges.VALID, f"{target}: no valid call registered"
    assert edges.VALID[target].fn is _obj(target), f"{target}: the valid call runs another function"
    assert edges.PROPERTY.get(target), f"{target}: no property test (@edges.covers)"
    if target in NO_ARGUMENTS:
        assert not inspect.signature(_obj(target)).parameters
    else:
        assert any(b.target == target for b in edges.BAD), f"{target}: no hand-written bad input"


def test_the_hand_written_cases_cover_every_kind_of_bad_input():
    assert {b.kind for b in edges.BAD} == set(edges.KINDS)


def test_registrations_name_public_functions():
    unknown = (set(edges.VALID) | set(edges.PROPERTY) | {b.target for b in edges.BAD}) - set(FUNCTIONS)
    assert not unknown, f"registered names that are not public functions: {sorted(unknown)}"
