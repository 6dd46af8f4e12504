"""Bad input for every public function, derived mechanically from one valid call each.

See ``tests/edges.py``: every argument of every registered valid call is replaced in
turn by nan/inf entries, an extra axis, complex entries, a string, None, a float or a
bool for an int, a foreign generator, an unknown option, ...; each bad call must raise
ValueError (TypeError for a wrong type) naming the argument. The hand-written cases
(shapes that do not fit, ranks, widths, structure, times) run here too.
"""

from __future__ import annotations

import importlib
import pathlib

import pytest

import edges

MODULES = sorted(
    p.stem for p in pathlib.Path(__file__).parent.glob("test_edges_*.py") if p.stem not in {"test_edges_generic", "test_edges_coverage"}
)
for _name in MODULES:
    importlib.import_module(_name)

GENERATED = edges.generated_cases()


@pytest.mark.parametrize("target", sorted(edges.VALID))
def test_the_valid_call_succeeds_with_finite_numbers(target):
    call = edges.VALID[target]
    result = call.fn(*call.args, **call.kwargs)
    assert edges.all_finite(result), f"{target} returned nan or inf on its valid call"


@pytest.mark.parametrize(
    "target, argument, label, thunk, error",
    GENERATED,
    ids=[f"{t}-{a}-{lab}" for t, a, lab, _, _ in GENERATED],
)
def test_a_mutated_argument_is_rejected_by_name(target, argument, label, thunk, error):
    edges.assert_rejected(thunk, error, argument)


@pytest.mark.parametrize("case", edges.BAD, ids=[f"{b.target}-{b.kind}-{b.what}" for b in edges.BAD])
def test_a_hand_written_bad_input_is_rejected_by_name(case):
    edges.assert_rejected(case.call, case.error, case.argument)
