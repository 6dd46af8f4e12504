"""overparam._validate: the input checks behind every public function."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import edges
from overparam import _validate as _v
from package.test_flow import problems


@settings(max_examples=edges.examples(60))
@given(
    problem=problems(k_min_extra=(0, 197)),
    which=st.sampled_from(["none", "Y", "U0", "V0", "X"]),
    extra=st.integers(1, 3),
)
def test_problem_check_accepts_fitting_shapes_and_names_the_one_that_does_not(problem, which, extra):
    """Valid problems come back as equal float arrays; growing one dimension of one argument is
    refused by a ValueError naming the argument whose shape no longer fits."""
    Y, U0, V0, X = problem
    if which == "none":
        out = _v.problem(Y, U0, V0, X)
        for a, b in zip(out, (Y, U0, V0, X), strict=True):
            assert (a is None and b is None) or (a.dtype == float and np.array_equal(a, b))
        return
    if which == "X" and X is None:
        X = np.ones((Y.shape[0], U0.shape[0] + extra))  # columns do not match the rows of U0
        expected = "U0"
    elif which == "X":
        X = np.ones((X.shape[0] + extra, X.shape[1]))
        expected = "X"
    elif which == "Y":
        Y = np.ones((Y.shape[0], Y.shape[1] + extra))  # n no longer matches V0
        expected = "V0"
    elif which == "U0":
        U0 = np.ones((U0.shape[0] + extra, U0.shape[1]))
        expected = "U0"
    else:
        V0 = np.ones((V0.shape[0], V0.shape[1] + extra))
        expected = "V0"
    edges.rejects(lambda: _v.problem(Y, U0, V0, X), expected, ValueError)


def test_problem_uses_float64_input_as_given_and_converts_the_rest():
    Y, U0, V0 = np.ones((2, 3)), np.ones((2, 4)), np.ones((3, 4))
    out = _v.problem(Y, U0, V0)
    assert all(a is b for a, b in zip(out[:3], (Y, U0, V0), strict=True)) and out[3] is None
    Yi = np.ones((2, 3), dtype=int)
    assert _v.problem(Yi, U0, V0)[0].dtype == np.float64


def test_problem_names_a_point_by_the_names_it_is_given():
    Y, U, V = np.ones((2, 3)), np.ones((2, 4)), np.ones((3, 5))
    edges.rejects(lambda: _v.problem(Y, U, V, names=("U", "V")), "V")
    with pytest.raises(ValueError) as info:
        _v.problem(Y, U, V, names=("U", "V"))
    assert "V0" not in str(info.value) and "U has 4 columns" in str(info.value)


@pytest.mark.parametrize("value", [0.0, -1e-3, 1.0, 2.0])
def test_a_tolerance_lies_strictly_between_0_and_1(value):
    edges.rejects(lambda: _v.tolerance("rtol", value), "rtol")


def test_tolerance_accepts_values_inside_and_finite_gram_scale_names_the_factors():
    assert _v.tolerance("rtol", 1e-10) == 1e-10
    assert _v.finite_gram_scale(np.eye(2) * 3.0, np.eye(2)) == pytest.approx(10.0)
    edges.rejects(lambda: _v.finite_gram_scale(np.full((1, 1), 1e200), np.eye(1)), "U0")


@pytest.mark.parametrize(
    "value, error",
    [
        ([0.0, 2.0, 1.0], ValueError),
        ([[0.0, 1.0]], ValueError),
        ([], ValueError),
        ([-1.0, 0.0], ValueError),
        ([0.0, np.nan], ValueError),
        ([True, False], TypeError),
        ("0 1", TypeError),
    ],
)
def test_times_must_be_a_non_decreasing_finite_non_negative_vector(value, error):
    edges.rejects(lambda: _v.times("t", value), "t", error)


@settings(max_examples=25)
@given(st.lists(st.floats(0.0, 1e6), min_size=1, max_size=20))
def test_times_accepts_any_sorted_list_of_non_negative_floats(values):
    t = sorted(values)
    assert np.array_equal(_v.times("t", t), np.array(t))


@pytest.mark.parametrize("value, error", [(True, TypeError), (2.0, TypeError), (0, ValueError), (np.int64(3), None)])
def test_count_refuses_bools_and_floats(value, error):
    if error is None:
        assert _v.count("k", value) == 3 and type(_v.count("k", value)) is int
    else:
        edges.rejects(lambda: _v.count("k", value), "k", error)
