"""overparam.scalar: the scalar flow, its induced flow, its closed form and its rate.

Ranges: target and products |y|, |x0| from 1e-6 to 1e4 (factors |u0|, |v0| from 1e-3 to
1e2, so that u0^2 + v0^2 spans 1e-6 .. 1e4), exact zeros, imbalance from 0 (balanced,
exactly) over nearly balanced (relative 1e-12 .. 1e-1) to independent factors, times from
0 to 1e6 (both included).

References, none of them the code under test:

* mpmath at 60-100 digits, from the exact binary values of the inputs: the multiplied-out
  closed form of chapter 3 (its constant c), the logistic solutions of the balanced cases,
  the loss and its gradient, mpmath's own ODE solver;
* scipy's Radau (with the exact Jacobian) on the (u, v) flow, written here;
* the package's ODE integrator (``scalar.flow``, ``scalar.induced_flow``) against the closed
  form, which is itself checked against mpmath.

Tolerances: against mpmath a few units of round-off; against an ODE solve at rtol 1e-12,
``1e-9 * S`` with ``S = max(|y|, u0^2 + v0^2)`` (the solver controls the error in (u, v)
relative to their size, so the error of x = uv scales with u^2 + v^2).
"""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from scipy.integrate import solve_ivp

import edges
from overparam import scalar
from overparam.flow import gradient_flow

EPS = np.finfo(float).eps
T = np.array([0.0, 0.5, 2.0])
U = np.array([0.5, 1.0])
V = np.array([1.0, -2.0])

CALLS = {
    "scalar.loss": edges.call(scalar.loss, U, V, 1.5, shape_free={"u", "v"}),
    "scalar.vector_field": edges.call(scalar.vector_field, U, V, 1.5, shape_free={"u", "v"}),
    "scalar.imbalance": edges.call(scalar.imbalance, U, V, shape_free={"u", "v"}),
    "scalar.flow": edges.call(scalar.flow, 1.0, 0.3, 0.2, T, rtol=1e-9, atol=1e-11),
    "scalar.induced_flow": edges.call(scalar.induced_flow, 1.0, 0.06, 0.05, T, rtol=1e-9, atol=1e-11),
    "scalar.plain_flow": edges.call(scalar.plain_flow, 1.0, 0.06, T),
    "scalar.closed_form": edges.call(scalar.closed_form, 1.0, 0.3, 0.2, T, shape_free={"t"}),
    "scalar.convergence_rate": edges.call(scalar.convergence_rate, 1.0, 0.3, 0.2),
}

# ---------------------------------------------------------------------------------------
# bad input that the mechanical mutants of tests/package/test_api.py do not derive

ELEMENTWISE = {
    "loss": lambda u, v: scalar.loss(u, v, 1.0),
    "vector_field": lambda u, v: scalar.vector_field(u, v, 1.0),
    "imbalance": scalar.imbalance,
}
FLOWS = {
    "flow": lambda t, **kw: scalar.flow(1.0, 0.3, 0.2, t, **kw),
    "induced_flow": lambda t, **kw: scalar.induced_flow(1.0, 0.06, 0.05, t, **kw),
    "plain_flow": lambda t, **kw: scalar.plain_flow(1.0, 0.06, t, **kw),
}
BAD_TIMES = {
    "negative": [-1.0, 0.0, 1.0],
    "unsorted": [0.0, 2.0, 1.0],
    "0-D": 1.0,
    "empty": [],
    "str-in-list": [0.0, "1"],
}


@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
@pytest.mark.parametrize(
    "u, v, argument, error",
    [
        (np.ones(2), np.ones(3), "u", ValueError),
        (1.0, np.ones(3), "u", ValueError),
        ([[1.0, 2.0], [3.0]], [[1.0, 2.0], [3.0]], "u", TypeError),
        ([1.0, 2.0], [1.0, "a"], "v", TypeError),
        ([1.0, 2.0], [1.0, float("inf")], "v", ValueError),
    ],
    ids=["shapes-differ", "scalar-u-array-v", "ragged", "str-in-list", "inf-in-list"],
)
def test_elementwise_functions_reject_bad_pairs(name, u, v, argument, error):
    edges.rejects(lambda: ELEMENTWISE[name](u, v), argument, error)


@pytest.mark.parametrize("name", sorted(FLOWS))
@pytest.mark.parametrize("what", sorted(BAD_TIMES))
def test_flows_reject_bad_times(name, what):
    edges.rejects(lambda: FLOWS[name](BAD_TIMES[what]), "t", TypeError if what == "str-in-list" else ValueError)


@pytest.mark.parametrize("name", ["flow", "induced_flow"])
@pytest.mark.parametrize("kw, argument", [({"rtol": 0.0}, "rtol"), ({"rtol": -1e-9}, "rtol"), ({"atol": 0.0}, "atol")])
def test_flows_reject_non_positive_tolerances(name, kw, argument):
    edges.rejects(lambda: FLOWS[name]([0.0, 1.0], **kw), argument)


@pytest.mark.parametrize(
    "thunk, argument, error",
    [
        (lambda: scalar.loss(1.0, 1.0, [1.0]), "y", TypeError),
        (lambda: scalar.flow(1.0, 1e200, 1.0, [0.0, 1.0]), "u0", ValueError),  # the vector field overflows
        (lambda: scalar.flow(1.0, [0.3], 0.2, [0.0, 1.0]), "u0", TypeError),
        (lambda: scalar.induced_flow(1.0, 1e200, 1e200, [0.0, 1.0]), "x0", ValueError),  # its rhs overflows
        (lambda: scalar.induced_flow(1.0, 0.1, [0.5], [0.0, 1.0]), "lambda0", TypeError),
        (lambda: scalar.plain_flow(1.0, [0.1], [0.0, 1.0]), "x0", TypeError),
        (lambda: scalar.closed_form(1.0, 0.3, 0.2, np.array([-1.0, 0.0])), "t", ValueError),
        (lambda: scalar.closed_form(1.0, 0.3, 0.2, np.array([[0.0, 1.0], [2.0, -3.0]])), "t", ValueError),
        (lambda: scalar.closed_form(1.0, 0.3, 0.2, -0.5), "t", ValueError),
        (lambda: scalar.closed_form(1.0, 0.3, 0.2, [0.0, "1"]), "t", TypeError),
        (lambda: scalar.closed_form(1.0, 1e200, 1e200, T), "u0", ValueError),  # x0 = u0 v0 overflows
        (lambda: scalar.closed_form(1.0, 1e200, 1e-200, T), "v0", ValueError),  # lambda0 overflows
        (lambda: scalar.convergence_rate([1.0], 0.3, 0.2), "y", TypeError),
        (lambda: scalar.convergence_rate(1.0, 1e200, 0.2), "u0", ValueError),  # lambda0 overflows
        (lambda: scalar.convergence_rate(1.5e308, 0.3, 0.2), "y", ValueError),  # g overflows
    ],
)
def test_bad_input_is_rejected_by_name(thunk, argument, error):
    edges.rejects(thunk, argument, error)


# ---------------------------------------------------------------------------------------
# strategies and references

signs = st.sampled_from([-1.0, 1.0])
exponents = st.floats(-6.0, 4.0)  # scales 1e-6 .. 1e4
TIMES = st.lists(st.floats(0.0, 1e6), max_size=4).map(lambda ts: np.unique(np.array([0.0, 1e6] + ts)))


@st.composite
def targets(draw):
    return draw(st.one_of(st.just(0.0), st.builds(lambda s, e: s * 10.0**e, signs, exponents)))


@st.composite
def starts(draw):
    """(u0, v0): u0^2 and v0^2 in 1e-6 .. 1e4, imbalance from exactly 0 to large, exact zeros."""
    u0 = draw(signs) * np.sqrt(10.0 ** draw(exponents))
    kind = draw(st.sampled_from(["balanced", "nearly balanced", "independent", "independent", "one zero", "both zero"]))
    if kind == "balanced":
        v0 = draw(signs) * u0
    elif kind == "nearly balanced":
        v0 = draw(signs) * u0 * (1.0 + draw(signs) * 10.0 ** draw(st.floats(-12.0, -1.0)))
    elif kind == "independent":
        v0 = draw(signs) * np.sqrt(10.0 ** draw(exponents))
    elif kind == "one zero":
        u0, v0 = draw(st.sampled_from([(u0, 0.0), (0.0, u0)]))
    else:
        u0 = v0 = 0.0
    return float(u0), float(v0)


def mp_constant(y, x0, lam):
    """The constant c of the multiplied-out closed form (chapter 3), in mpmath."""
    return (y - x0) / (lam**2 + 4 * x0 * y + mpmath.sqrt((lam**2 + 4 * x0**2) * (lam**2 + 4 * y**2)))


def mp_closed_form(y, u0, v0, t):
    """x(t) at 100 digits from the exact inputs: the multiplied-out formula, or the logistic
    solutions of x' = 2 (y - x)|x| in the balanced cases where its c is undefined."""
    out = []
    with mpmath.workdps(100):
        y, u0, v0 = mpmath.mpf(y), mpmath.mpf(u0), mpmath.mpf(v0)
        x0, lam = u0 * v0, u0**2 - v0**2
        g = mpmath.sqrt(lam**2 + 4 * y**2)
        for ti in t:
            ti = mpmath.mpf(float(ti))
            if x0 == y:
                x = y
            elif lam == 0 and x0 == 0:
                x = mpmath.mpf(0)
            elif lam == 0 and y == 0:
                x = x0 / (1 + 2 * abs(x0) * ti)
            elif lam == 0 and x0 * y < 0:
                e = mpmath.exp(-2 * abs(y) * ti)
                x = x0 * abs(y) * e / (abs(y) + abs(x0) * (1 - e))
            else:
                c = mp_constant(y, x0, lam)
                e = mpmath.exp(-g * ti)  # the multiplied-out formula divided by e^{2gt}
                x = (y - 2 * c * lam**2 * e - 4 * y * lam**2 * c**2 * e**2) / (
                    1 + 8 * y * c * e - 4 * lam**2 * c**2 * e**2
                )
            out.append(float(x))
    return np.array(out)


def mp_gaps(y, u0, v0, t):
    """|x(t) - y| at 100 digits (mpf), from the multiplied-out formula (lambda0 != 0)."""
    out = []
    with mpmath.workdps(100):
        y, u0, v0 = mpmath.mpf(y), mpmath.mpf(u0), mpmath.mpf(v0)
        x0, lam = u0 * v0, u0**2 - v0**2
        g = mpmath.sqrt(lam**2 + 4 * y**2)
        c = mp_constant(y, x0, lam)
        for ti in t:
            e = mpmath.exp(-g * mpmath.mpf(ti))
            x = (y - 2 * c * lam**2 * e - 4 * y * lam**2 * c**2 * e**2) / (1 + 8 * y * c * e - 4 * lam**2 * c**2 * e**2)
            out.append(abs(x - y))
    return out


def ode_scalar(y, u0, v0, t):
    """x = uv from Radau on u' = (y - uv) v, v' = (y - uv) u, with the exact Jacobian."""

    def rhs(_s, z):
        r = y - z[0] * z[1]
        return [r * z[1], r * z[0]]

    def jac(_s, z):
        c = y - 2.0 * z[0] * z[1]
        return [[-z[1] ** 2, c], [c, -z[0] ** 2]]

    size = max(np.hypot(u0, v0), 1e-300)
    sol = solve_ivp(rhs, (0.0, t[-1]), [u0, v0], method="Radau", t_eval=t, jac=jac, rtol=1e-12, atol=1e-15 * size)
    assert sol.success
    return sol.y[0] * sol.y[1]


def ill_conditioned(y, u0, v0):
    """Nearly balanced with x0 y < 0: x crosses 0 at a time set by lambda0 = u^2 - v^2,
    which an ODE solver in (u, v) (or in x) holds only to ~1e-16 (u0^2 + v0^2) / |lambda0|
    relatively; the exactly balanced one sits on the stable manifold of the saddle u = v = 0,
    which a numerical solve leaves after |y| t ~ 37. No ODE reference at 1e-9 there (the
    mpmath test covers both)."""
    lam = (u0 - v0) * (u0 + v0)
    return u0 * v0 * y < 0 and abs(lam) < 1e-6 * (u0 * u0 + v0 * v0)


# ---------------------------------------------------------------------------------------
# the closed form


@settings(max_examples=edges.examples(100))  # cheap: ~1 ms per example
@given(y=targets(), start=starts(), t=TIMES, shape=st.sampled_from([(-1,), (1, -1), (-1, 1)]))
def test_closed_form_matches_mpmath_at_all_scales_and_times(y, start, t, shape):
    u0, v0 = start
    tt = t.reshape(shape)  # any shape, elementwise
    x = scalar.closed_form(y, u0, v0, tt)
    assert x.shape == tt.shape
    x = x.ravel()
    assert np.all(np.isfinite(x))
    ref = mp_closed_form(y, u0, v0, t)
    # Docstring: absolute error a few units of round-off times max(|y|, |x0|), plus the
    # rounding of x0 = u0 v0 and lambda0 (relative 2 eps each), whose effect on x(t) is at
    # most of the same size (the flow is homogeneous of degree one in (y, x0, lambda0)).
    # 32 eps ~ 7e-15 allows a few rounding errors in each of the ~10 operations.
    scale = max(abs(y), abs(u0 * v0))
    err = np.max(np.abs(x - ref))
    assert err <= 32 * EPS * scale, (err / max(scale, 1e-300), y, u0, v0)


@st.composite
def moderate_problems(draw):
    """(y, u0, v0) over scales 1e-3..1e2, balanced or not, with exact zeros sometimes."""
    magnitudes = st.floats(-3.0, 2.0).map(lambda e: 10.0**e)
    y = draw(st.one_of(st.just(0.0), st.builds(lambda s, a: s * a, signs, magnitudes)))
    kind = draw(st.sampled_from(["general", "general", "balanced", "one zero", "near balanced"]))
    u0 = draw(signs) * np.sqrt(draw(magnitudes))
    if kind == "general":
        v0 = draw(signs) * np.sqrt(draw(magnitudes))
    elif kind == "balanced":
        v0 = draw(signs) * u0
    elif kind == "near balanced":
        v0 = draw(signs) * u0 * (1.0 + draw(st.sampled_from([1e-12, -1e-9, 1e-6, -1e-3])))
    else:
        v0 = draw(signs) * np.sqrt(draw(magnitudes))
        u0, v0 = draw(st.sampled_from([(0.0, v0), (u0, 0.0)]))
    return y, float(u0), float(v0)


# Times in units of 1 / S: the scalar has no cross terms, its noise grows like (1e-16 e^{gt})^2.
TAU_SCALAR = np.array([0.0, 0.05, 0.2, 0.5, 1.0, 2.0, 4.0, 8.0, 20.0])


def check_closed_form_against_radau(problem):
    y, u0, v0 = problem
    S = max(abs(y), u0**2 + v0**2)
    if ill_conditioned(y, u0, v0):
        return
    t = TAU_SCALAR / S
    x = scalar.closed_form(y, u0, v0, t)
    err = np.max(np.abs(x - ode_scalar(y, u0, v0, t))) / S
    assert err <= 1e-9, (problem, err)


@settings(max_examples=6)
@given(moderate_problems())
def test_closed_form_matches_an_independent_ode_solve(problem):
    check_closed_form_against_radau(problem)


@pytest.mark.sweep
@given(moderate_problems())
def test_closed_form_matches_an_independent_ode_solve_sweep(problem):
    check_closed_form_against_radau(problem)


DEGENERATE = [
    (1.0, 0.0, 0.0, 0.0),  # u0 = v0 = 0: a stationary (saddle) point
    (1.0, 0.8, 0.8, 1.0),  # balanced, x0 y > 0: the Saxe sigmoid, to y
    (-2.0, 0.8, 0.8, 0.0),  # balanced, x0 y < 0: to 0, never to y
    (2.0, 0.8, -0.8, 0.0),  # the same with the signs of v0 and y flipped
    (0.0, 0.8, 0.8, None),  # y = 0, balanced: x0 / (1 + 2|x0| t), algebraic
    (0.0, 0.3, -1.1, 0.0),  # y = 0, imbalanced: exponential at rate |lambda0|
    (1.5, 1.0, 1.5, 1.5),  # x0 = y: stationary
    (-1.0, 0.0, 2.0, -1.0),  # x0 = 0 but imbalanced: leaves the origin
    (1e-3, 10.0, 10.0, 1e-3),  # slow: balanced, tiny target, large start
    (1e2, 1e-2, 1e-2, 1e2),  # fast and stiff, starting near the saddle
    # nearly balanced with x0 y < 0: crosses 0 late (a long stiff solve: a sweep)
    pytest.param(-1.0, 1.0, 1.0 + 1e-12, -1.0, marks=pytest.mark.sweep),
]


@pytest.mark.parametrize("y, u0, v0, limit", DEGENERATE)
def test_degenerate_cases_against_the_ode_and_their_limits(y, u0, v0, limit):
    S = max(abs(y), u0**2 + v0**2, 1e-300)
    t = np.unique(np.concatenate([TAU_SCALAR / max(S, 1.0), [10.0, 50.0]]))
    x = scalar.closed_form(y, u0, v0, t)
    assert np.max(np.abs(x - ode_scalar(y, u0, v0, t))) / max(S, 1.0) <= 1e-9
    assert np.all(np.isfinite(scalar.closed_form(y, u0, v0, [1e3, 1e4])))
    big = np.array([1e5, 1e6])
    xb = scalar.closed_form(y, u0, v0, big)
    x0 = u0 * v0
    expected = x0 / (1.0 + 2.0 * abs(x0) * big) if limit is None else np.full(2, limit)
    np.testing.assert_allclose(xb, expected, rtol=1e-14, atol=1e-300)


@pytest.mark.sweep
def test_balanced_cases_match_the_logistic_solutions_in_high_precision():
    # For lambda0 = 0 the induced flow is x' = 2 (y - x)|x|; the closed form uses its exact
    # solutions (separation of variables), checked here against mpmath's ODE solver at 40
    # digits (the unmarked mpmath test above checks the same formulas, written out).
    for y, u0, v0 in [(1.0, 0.5, 0.5), (-1.5, 0.7, 0.7), (1.5, 0.7, -0.7), (0.0, 0.7, 0.7), (0.25, 1.2, 1.2)]:
        t = np.array([0.0, 0.3, 1.0, 2.5])
        x = scalar.closed_form(y, u0, v0, t)
        with mpmath.workdps(40):
            sol = mpmath.odefun(lambda _s, z, y=y: 2 * (y - z) * abs(z), 0, mpmath.mpf(u0) * v0)
            ref = np.array([float(sol(ti)) for ti in t])
        assert np.max(np.abs(x - ref)) / max(abs(y), u0 * u0) <= 1e-13


def test_closed_form_keeps_the_shape_of_t():
    """A closed form needs no ordering: scalars and arrays of any shape are accepted and kept."""
    t = np.array([[0.0, 2.0], [1.0, 0.5]])
    x = scalar.closed_form(1.0, 0.3, 0.2, t)
    assert x.shape == (2, 2)
    flat = scalar.closed_form(1.0, 0.3, 0.2, np.sort(t.ravel()))
    np.testing.assert_array_equal(np.sort(x.ravel()), np.sort(flat))
    assert scalar.closed_form(1.0, 0.3, 0.2, 0.0).shape == ()
    assert float(scalar.closed_form(1.0, 0.3, 0.2, 0.0)) == pytest.approx(0.06, abs=1e-15)


def test_scalar_flows_are_the_one_by_one_matrix_flow():
    t = np.linspace(0.0, 6.0, 13)
    for y, u0, v0 in [(0.7, -0.4, 1.3), (-2.0, 1.0, 1.0), (0.0, 0.5, 2.0)]:
        S = max(abs(y), u0**2 + v0**2)
        for method in ("gram", "params"):
            W = gradient_flow([[y]], [[u0]], [[v0]], t, method=method, rtol=1e-12, atol=1e-14).W[:, 0, 0]
            assert np.max(np.abs(W - scalar.closed_form(y, u0, v0, t))) <= 1e-9 * S
            assert np.max(np.abs(W - scalar.flow(y, u0, v0, t).x)) <= 1e-7 * S


# ---------------------------------------------------------------------------------------
# the numerical flows against the closed form


def check_flow(y, start, t):
    u0, v0 = start
    S = max(abs(y), u0 * u0 + v0 * v0)
    run = scalar.flow(y, u0, v0, t, rtol=1e-12, atol=1e-15 * np.sqrt(max(S, 1e-300)))
    for field in (run.u, run.v, run.x, run.loss):
        assert field.shape == t.shape and np.all(np.isfinite(field))
    np.testing.assert_array_equal(run.x, run.u * run.v)
    np.testing.assert_array_equal(run.loss, scalar.loss(run.u, run.v, y))
    # lambda = u^2 - v^2 is conserved; the solver keeps (u, v) to ~rtol relative per unit of
    # its error control, so lambda to ~1e-12 (u^2 + v^2) per step: 1e-9 S
    lam = scalar.imbalance(run.u, run.v)
    assert np.max(np.abs(lam - scalar.imbalance(u0, v0))) <= 1e-9 * S
    if ill_conditioned(y, u0, v0):
        return
    # against the closed form (checked against mpmath above), same 1e-9 S
    x = scalar.closed_form(y, u0, v0, t)
    assert np.max(np.abs(run.x - x)) <= 1e-9 * S, (y, u0, v0)


@settings(max_examples=6)
@given(y=targets(), start=starts(), t=TIMES)
def test_flow_matches_the_closed_form_and_conserves_the_imbalance(y, start, t):
    check_flow(y, start, t)


@pytest.mark.sweep
@given(y=targets(), start=starts(), t=TIMES)
# drawn by the thorough profile: converged by t = 30 with u v > 0, where the rest test's
# +-1 perturbation does not change u v; it integrated rounding noise for minutes (overparam._ode)
@example(y=211.06416934180936, start=(1, 0.9999998830384821), t=np.array([0.0, 1e6]))
def test_flow_matches_the_closed_form_and_conserves_the_imbalance_sweep(y, start, t):
    check_flow(y, start, t)


def check_induced_flow(y, start, t):
    u0, v0 = start
    x0, lam = u0 * v0, (u0 - v0) * (u0 + v0)
    S = max(abs(y), u0 * u0 + v0 * v0)
    x = scalar.induced_flow(y, x0, lam, t, rtol=1e-12, atol=1e-15 * max(S, 1e-300))
    assert x.shape == t.shape and np.all(np.isfinite(x))
    if ill_conditioned(y, u0, v0):
        return
    # x' = (y - x) sqrt(lambda0^2 + 4 x^2) at rtol 1e-12: 1e-9 S as for the (u, v) flow
    assert np.max(np.abs(x - scalar.closed_form(y, u0, v0, t))) <= 1e-9 * S, (y, u0, v0)
    # the induced right-hand side is the slope of the closed form (central difference at
    # t1 = 1 / S, where the flow moves most, with the step h = 1e-6 / S): d(uv)/dt =
    # (y - uv)(u^2 + v^2) with u^2 + v^2 = sqrt(lambda0^2 + 4 x^2)
    t1 = min(1e6, 1.0 / S) if S > 0 else 1.0
    h = 1e-6 * t1
    xs = scalar.closed_form(y, u0, v0, np.array([t1 - h, t1, t1 + h]))
    slope = (xs[2] - xs[0]) / (2 * h)
    rhs = (y - xs[1]) * np.sqrt(lam * lam + 4.0 * xs[1] ** 2)
    # the central difference: truncation (h S)^2 S^2 ~ 1e-12 S^2, round-off eps S / h ~ 1e-10 S^2
    assert abs(rhs - slope) <= 1e-8 * S * S


@settings(max_examples=4)
@given(y=targets(), start=starts(), t=TIMES)
def test_induced_flow_matches_the_closed_form(y, start, t):
    check_induced_flow(y, start, t)


@pytest.mark.sweep
@given(y=targets(), start=starts(), t=TIMES)
def test_induced_flow_matches_the_closed_form_sweep(y, start, t):
    check_induced_flow(y, start, t)


# ---------------------------------------------------------------------------------------
# loss, gradient, imbalance, plain flow, rate


@settings(max_examples=edges.examples(100))  # cheap
@given(y=targets(), seed=st.integers(0, 2**32 - 1), shape=st.sampled_from([(), (1,), (3,), (2, 3), (4, 1)]))
def test_loss_gradient_and_imbalance_match_mpmath(y, seed, shape):
    rng = np.random.default_rng(seed)

    def factors():
        return rng.choice([-1.0, 1.0], size=shape) * 10.0 ** rng.uniform(-3.0, 2.0, size=shape)

    u, v = factors(), factors()
    if u.size > 1:
        v.flat[0] = u.flat[0]  # an exactly balanced entry
    loss = np.asarray(scalar.loss(u, v, y))
    du, dv = (np.asarray(a) for a in scalar.vector_field(u, v, y))
    lam = np.asarray(scalar.imbalance(u, v))
    for out in (loss, du, dv, lam):
        assert out.shape == shape and np.all(np.isfinite(out))
    if shape == ():
        assert isinstance(scalar.loss(u, v, y), float) and isinstance(scalar.imbalance(u, v), float)
    with mpmath.workdps(60):
        for i in np.ndindex(shape):
            uu, vv, yy = mpmath.mpf(u[i]), mpmath.mpf(v[i]), mpmath.mpf(y)
            r = yy - uu * vv
            # a rounded residual y - uv carries ~2 eps (|y| + |uv|); every product one eps more
            res = 2 * EPS * (abs(y) + abs(u[i] * v[i]))
            assert abs(loss[i] - float(r * r / 2)) <= res * abs(float(r)) + 4 * EPS * float(r * r / 2) + res * res
            # the negative gradient of the loss, differentiated by mpmath
            gu = -mpmath.diff(lambda a, vv=vv, yy=yy: (yy - a * vv) ** 2 / 2, uu)
            gv = -mpmath.diff(lambda b, uu=uu, yy=yy: (yy - uu * b) ** 2 / 2, vv)
            assert abs(du[i] - float(gu)) <= (res + 2 * EPS * abs(float(r))) * abs(v[i])
            assert abs(dv[i] - float(gv)) <= (res + 2 * EPS * abs(float(r))) * abs(u[i])
            assert abs(lam[i] - float(uu**2 - vv**2)) <= 2 * EPS * (u[i] ** 2 + v[i] ** 2)
    # the rescaling symmetry (u, v) -> (a u, v / a) with a a power of two: exact
    np.testing.assert_array_equal(scalar.loss(4.0 * u, v / 4.0, y), loss)
    # and the imbalance is conserved by the vector field: u u' - v v' = 0 up to round-off
    assert np.all(np.abs(u * du - v * dv) <= 4 * EPS * np.abs(u * du))


@settings(max_examples=edges.examples(100))  # cheap
@given(y=targets(), x0=targets(), t=TIMES)
def test_plain_flow_matches_mpmath(y, x0, t):
    x = scalar.plain_flow(y, x0, t)
    assert x.shape == t.shape and np.all(np.isfinite(x))
    with mpmath.workdps(60):
        ref = np.array([float(y + (mpmath.mpf(x0) - y) * mpmath.exp(-mpmath.mpf(float(ti)))) for ti in t])
    # y + (x0 - y) e^{-t}: three roundings and exp's ~1 ulp, on terms of size |y| + |x0 - y|
    assert np.max(np.abs(x - ref)) <= 4 * EPS * (abs(y) + abs(x0 - y))
    assert x[-1] == y  # e^{-1e6} = 0 exactly in floating point


@settings(max_examples=edges.examples(100))  # cheap
@given(y=targets(), start=starts())
def test_convergence_rate_matches_mpmath_and_is_the_decay_rate(y, start):
    u0, v0 = start
    g = scalar.convergence_rate(y, u0, v0)
    assert isinstance(g, float) and np.isfinite(g)
    with mpmath.workdps(60):
        ref = float(mpmath.sqrt((mpmath.mpf(u0) ** 2 - mpmath.mpf(v0) ** 2) ** 2 + 4 * mpmath.mpf(y) ** 2))
    # lambda0 = (u0 - v0)(u0 + v0) has 3 roundings (relative), hypot one more
    assert abs(g - ref) <= 4 * EPS * ref
    # symmetries of the flow: v -> -v with y -> -y, and u <-> v; both exact
    assert scalar.convergence_rate(-y, u0, -v0) == g
    assert scalar.convergence_rate(y, v0, u0) == g
    # the rate of the closed form: where the flow converges to y at the rate g (lambda0 != 0)
    # x - y = -2 c g^2 e^{-gt} / (1 + O(4 g |c| e^{-gt})): past t0 the correction is e^{-40},
    # and the gap shrinks by e^{-2} over 2 / g (compared in mpmath, above underflow)
    if (u0 - v0) * (u0 + v0) != 0.0 and u0 * v0 != y:
        with mpmath.workdps(100):
            uu, vv, yy = mpmath.mpf(u0), mpmath.mpf(v0), mpmath.mpf(y)
            c = mp_constant(yy, uu * vv, uu**2 - vv**2)
            gm = mpmath.sqrt((uu**2 - vv**2) ** 2 + 4 * yy**2)
            t0 = float((40 + mpmath.log(1 + 4 * gm * abs(c))) / g)
            gap0, gap1 = mp_gaps(y, u0, v0, [t0, t0 + 2.0 / g])
            constant = gap0 * mpmath.exp(gm * mpmath.mpf(t0))
            # the constant of |x - y| ~ C e^{-gt} is C = 2 |c| g^2 (convergence_rate's docstring)
            assert abs(float(constant / (2 * abs(c) * gm**2)) - 1.0) <= 1e-12
        # log(gap(t0) / gap(t0 + 2 / g)) = 2 up to O(e^{-40}) and the rounding of g (4 eps)
        assert abs(float(mpmath.log(gap0 / gap1)) - 2.0) <= 1e-12
