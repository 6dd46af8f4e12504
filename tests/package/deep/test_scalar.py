"""Tests of overparam.deep.scalar: scalar networks, the induced flow, the hitting time.

Independent references: the layer flow against the 1 x 1 matrix flow and against the
induced flow; the induced flow against ``hitting_time`` (a quadrature); mpmath at 60
digits for the layer squares and the rate factor; closed forms of the balanced flow.
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import edges
from overparam import deep

EPS = np.finfo(float).eps
TIMES = np.linspace(0.0, 3.0, 7)
T3 = np.array([0.0, 0.5, 1.0])
D2 = np.array([0.3, -0.2])

CALLS = {
    "deep.scalar_flow": edges.call(deep.scalar_flow, 1.0, np.array([0.5, 0.8, 1.1]), T3, rtol=1e-8, atol=1e-10),
    "deep.layer_squares": edges.call(deep.layer_squares, 0.3, D2),
    "deep.rate_factor": edges.call(deep.rate_factor, np.array([-0.2, 0.5]), D2, shape_free={"x"}),
    "deep.induced_flow": edges.call(deep.induced_flow, 1.0, 0.2, D2, T3, rtol=1e-8, atol=1e-10),
    "deep.hitting_time": edges.call(deep.hitting_time, 1.0, 0.2, 0.7, D2),
}


# ----------------------------------------------------------------------------------
# bad input the mechanical mutations do not reach
# ----------------------------------------------------------------------------------

OFFSET_FUNCTIONS = {
    "layer_squares": lambda d: deep.layer_squares(0.3, d),
    "rate_factor": lambda d: deep.rate_factor(0.3, d),
    "induced_flow": lambda d: deep.induced_flow(1.0, 0.3, d, T3),
    "hitting_time": lambda d: deep.hitting_time(1.0, 0.3, 0.6, d),
}


@pytest.mark.parametrize("function", sorted(OFFSET_FUNCTIONS))
@pytest.mark.parametrize(
    "d, error", [([[0.1, 0.2]], ValueError), ([0.1, np.inf], ValueError), (["0.1"], TypeError)],
    ids=["2-D-d", "inf-in-list-d", "str-entries-d"],
)
def test_bad_offsets_are_rejected_by_name(function, d, error):
    edges.rejects(lambda: OFFSET_FUNCTIONS[function](d), "d", error)


@pytest.mark.parametrize(
    "label, thunk, argument, error",
    [
        ("empty-w0", lambda: deep.scalar_flow(1.0, [], T3), "w0", ValueError),
        ("scalar-w0", lambda: deep.scalar_flow(1.0, 0.5, T3), "w0", ValueError),
        ("list-of-str-w0", lambda: deep.scalar_flow(1.0, ["a", "b"], T3), "w0", TypeError),
        ("negative-time", lambda: deep.scalar_flow(1.0, [0.5, 0.5], [-1.0, 0.0]), "t", ValueError),
        ("unsorted-times", lambda: deep.scalar_flow(1.0, [0.5, 0.5], [0.0, 2.0, 1.0]), "t", ValueError),
        ("negative-rtol", lambda: deep.scalar_flow(1.0, [0.5, 0.5], T3, rtol=-1.0), "rtol", ValueError),
        ("str-entries-x", lambda: deep.rate_factor(["0.3"], D2), "x", TypeError),
        ("induced-negative-time", lambda: deep.induced_flow(1.0, 0.3, D2, [0.0, -1.0]), "t", ValueError),
        ("induced-unsorted", lambda: deep.induced_flow(1.0, 0.3, D2, [0.0, 2.0, 1.0]), "t", ValueError),
        ("induced-zero-atol", lambda: deep.induced_flow(1.0, 0.3, D2, T3, atol=0.0), "atol", ValueError),
        ("x1-beyond-y", lambda: deep.hitting_time(1.0, 0.3, 1.5, D2), "x1", ValueError),
        ("x1-equal-y", lambda: deep.hitting_time(1.0, 0.3, 1.0, D2), "x1", ValueError),
        ("x1-behind-x0", lambda: deep.hitting_time(1.0, 0.3, 0.1, D2), "x1", ValueError),
        ("x1-beyond-negative-y", lambda: deep.hitting_time(-1.0, -0.3, -2.0, D2), "x1", ValueError),
        # two layers vanish together at x = 0 (rho_d(0) = 0): the balanced flow never crosses 0
        ("through-0-with-two-zero-layers", lambda: deep.hitting_time(1.0, -0.1, 0.5, [0.0]), "x1", ValueError),
        ("from-0-with-two-zero-layers", lambda: deep.hitting_time(1.0, 0.0, 0.5, [0.0, 0.0]), "x1", ValueError),
    ],
)
def test_bad_input_is_rejected_by_name(label, thunk, argument, error):
    edges.rejects(thunk, argument, error)


def test_the_messages_say_what_to_fix():
    with pytest.raises(ValueError, match="w0 must be a non-empty 1-D array"):
        deep.scalar_flow(1.0, [[1.0]], T3)
    with pytest.raises(ValueError, match="d must be a 1-D array"):
        deep.rate_factor(0.5, [[0.1]])
    with pytest.raises(ValueError, match="x1 = 1.5 must lie between"):
        deep.hitting_time(1.0, 0.1, 1.5, [0.0])
    with pytest.raises(ValueError, match=r"rho_d\(0\) = 0"):
        deep.hitting_time(1.0, -0.1, 0.5, [0.0])


# ----------------------------------------------------------------------------------
# the layer flow, the induced flow and the hitting time
# ----------------------------------------------------------------------------------


@st.composite
def scalar_networks(draw):
    L = draw(st.integers(1, 5))
    w0 = np.array([draw(st.floats(-1.5, 1.5).filter(lambda v: abs(v) > 0.05)) for _ in range(L)])
    y = draw(st.sampled_from([-1.0, 0.5, 1.0, 2.0]))
    return y, w0


@given(net=scalar_networks())
def test_scalar_flow_is_the_1x1_matrix_flow(net):
    y, w0 = net
    run = deep.scalar_flow(y, w0, TIMES)
    matrix = deep.gradient_flow([[y]], [[[w]] for w in w0], TIMES)
    np.testing.assert_allclose(run.x, matrix.W[:, 0, 0], atol=1e-8)
    np.testing.assert_allclose(run.w, np.stack([W[:, 0, 0] for W in matrix.Ws], axis=1), atol=1e-8)


@given(net=scalar_networks())
def test_induced_flow_matches_the_layer_flow(net):
    y, w0 = net
    d = np.diff(w0**2)
    run = deep.scalar_flow(y, w0, TIMES)
    x = deep.induced_flow(y, float(np.prod(w0)), d, TIMES)
    assert np.max(np.abs(x - run.x)) < 1e-7 * max(1.0, abs(y))
    # the layer squares are recovered from the product and the imbalances
    for k in (0, TIMES.size - 1):
        np.testing.assert_allclose(deep.layer_squares(run.x[k], d), run.w[k] ** 2, rtol=1e-7, atol=1e-10)


@given(x=st.floats(-3.0, 3.0), d=st.lists(st.floats(-2.0, 2.0), min_size=0, max_size=4))
def test_rate_factor_special_cases_and_am_gm(x, d):
    L = len(d) + 1
    rho = deep.rate_factor(x, d)
    s = deep.layer_squares(x, d)
    assert np.all(s >= 0) and np.allclose(np.diff(s), d, atol=1e-9 * (1 + np.max(np.abs(s))))
    assert math.isclose(np.prod(s), x * x, rel_tol=1e-9, abs_tol=1e-300)
    assert rho >= L * abs(x) ** (2 - 2 / L) * (1 - 1e-9)
    if L == 1:
        assert rho == 1.0
    if L == 2:
        assert math.isclose(rho, math.hypot(d[0], 2 * x), rel_tol=1e-9, abs_tol=1e-12)
    balanced = deep.rate_factor(x, np.zeros(L - 1))
    assert math.isclose(balanced, L * abs(x) ** (2 - 2 / L), rel_tol=1e-12, abs_tol=1e-300)
    # rho increases with |x|
    assert deep.rate_factor(1.1 * x + 0.01, d) >= rho * (1 - 1e-12) or x < 0


def test_rate_factor_on_arrays_is_elementwise():
    x = np.array([[-0.2, 0.5], [0.0, 3.0]])
    rho = deep.rate_factor(x, D2)
    assert rho.shape == x.shape
    assert all(rho[idx] == deep.rate_factor(float(x[idx]), D2) for idx in np.ndindex(x.shape))


def test_rate_factor_near_zero_counts_the_thinnest_layers():
    """prop-deep-thinnest: offsets e = (0, ..., 0, a, ..., a), r zeros: rho ~ r a^((L - r)/r) |x|^(2 - 2/r)."""
    a, L = 0.5, 4
    for r in range(1, L + 1):
        d = np.diff(np.array([0.0] * r + [a] * (L - r)))
        x = 1e-9
        expected = r * (a ** (L - r)) ** (1 / r) * x ** (2 - 2 / r)
        assert math.isclose(deep.rate_factor(x, d), expected, rel_tol=1e-5)


def test_hitting_time_matches_the_induced_flow():
    cases = [
        (1.0, 1e-3, 0.5, [0.0, 0.0]),
        (1.0, 0.01, 0.9, [0.5]),
        (2.0, -0.1, 1.0, [0.3, 0.2]),
        (-1.0, -0.01, -0.5, [0.0, 0.0, 0.0]),
    ]
    for y, x0, x1, d in cases:
        T = deep.hitting_time(y, x0, x1, d)
        x = deep.induced_flow(y, x0, d, [T])
        assert abs(x[0] - x1) < 1e-7
    # L = 2 balanced: the logistic time log((y - x0) x1 / (x0 (y - x1))) / (2y)
    assert math.isclose(deep.hitting_time(1.0, 0.01, 0.5, [0.0]), math.log(99.0) / 2.0, rel_tol=1e-9)
    # L >= 3 balanced: x0^(-(1 - 2/L)) / ((L - 2) y) is the leading term for small x0
    for L in (3, 4):
        x0 = 1e-8
        T = deep.hitting_time(1.0, x0, 0.5, np.zeros(L - 1))
        assert abs(T * x0 ** (1 - 2 / L) * (L - 2) - 1.0) < 0.02


@pytest.mark.parametrize("delta", [1e-16, 1e-14, pytest.param(1e-12, marks=pytest.mark.sweep)])
def test_induced_flow_crosses_zero_when_the_flow_does(delta):
    """Layers (1, -1, -1 + delta): rho_d(0) = 5e-32 .. 4e-24 > 0, so x crosses 0 towards y = -8.2,
    but only at the time hitting_time gives (2.5e7 for delta = 1e-16, 1.4e5 for 1e-12). The
    induced flow must agree with the layer flow on the side of 0 at t = 1e6."""
    y = -8.208089952838256
    w0 = np.array([1.0, -1.0, -1.0 + delta])
    x0, d = float(np.prod(w0)), np.diff(w0**2)
    assert deep.rate_factor(0.0, d) > 0.0
    crossed = deep.hitting_time(y, x0, -1e-20, d) < 1e6  # the exact flow is below 0 at t = 1e6
    x = deep.induced_flow(y, x0, d, [0.0, 1e6], rtol=1e-10, atol=1e-12)
    run = deep.scalar_flow(y, w0, [0.0, 1e6], rtol=1e-10, atol=1e-12)
    assert (x[-1] < 0.0) == crossed == (run.x[-1] < 0.0)
    if crossed:
        assert abs(x[-1] - y) <= 1e-8 * abs(y) and abs(run.x[-1] - y) <= 1e-8 * abs(y)
    else:
        # still on its way to 0: both tiny and positive, within the layer flow's atol-level error
        assert 0.0 < x[-1] < 1e-20 and 0.0 < run.x[-1] < 1e-20


# ----------------------------------------------------------------------------------
# the extremes: layers 1e-6 .. 1e4, t up to 1e6, mpmath
# ----------------------------------------------------------------------------------

SEED = st.integers(0, 2**32 - 1)
LOG_SCALE = st.floats(-6.0, 4.0)  # scale = 10 ** LOG_SCALE: 1e-6 .. 1e4


def _signed_log(rng, size, lo, hi):
    """Entries of random sign and magnitude 10 ** uniform(lo, hi)."""
    return rng.choice([-1.0, 1.0], size) * 10.0 ** rng.uniform(lo, hi, size)


@st.composite
def scalar_starts(draw):
    """(y, w0): depths 1 .. 5, |w_l(0)| in 1e-6 .. 1e4 (log-uniform, random signs), |y| in 1e-2 .. 1e2."""
    L = draw(st.integers(1, 5))
    rng = np.random.default_rng(draw(SEED))
    lo = draw(LOG_SCALE)
    hi = min(4.0, lo + draw(st.floats(0.0, 3.0)))  # imbalance 0 (all equal) .. large (spread 1e3)
    w0 = _signed_log(rng, L, lo, hi)
    if draw(st.booleans()):
        w0 = np.abs(w0[0]) * np.sign(w0)  # balanced: every d_l = 0
    y = float(_signed_log(rng, 1, -2.0, 2.0)[0])
    return y, w0


@pytest.mark.sweep
@settings(max_examples=edges.examples(10))
@given(
    start=scalar_starts(),
    frac=st.one_of(st.just(0.0), st.floats(0.0, 0.999)),
    long=st.sampled_from([False, False, True]),
)
def test_scalar_flow_induced_flow_and_hitting_time_agree(start, frac, long):
    """x1 between x0 and y, T = hitting_time(x0 -> x1): the layer flow and the induced flow reach x1 at T.

    Tolerances: both flows run at rtol = 1e-10 with atol below the smallest layer, so the
    product x = w_1 ... w_L is accurate to L * K * 1e-10 relative (K = 1e3 local errors);
    hitting_time integrates with quad at epsrel = 1e-11, and a time error dT moves x by
    |x'| dT <= |x'| T 1e-9.
    """
    y, w0 = start
    L = w0.size
    x0 = float(np.prod(w0))
    d = np.diff(w0**2)
    x1 = x0 + frac * (y - x0)
    if x1 != x0 and x0 * x1 <= 0.0 and deep.rate_factor(0.0, d) == 0.0:
        # two thinnest layers vanish together at x = 0: an equilibrium the flow never crosses
        with pytest.raises(ValueError, match="x1"):
            deep.hitting_time(y, x0, x1, d)
        x1, T = x0, math.inf
    else:
        T = deep.hitting_time(y, x0, x1, d)
        assert math.isfinite(T) and T >= 0.0 and (T == 0.0) == (x1 == x0)
    t = np.unique([0.0, min(T, 1e6 if long else 1.0)] + ([1e6] if long else []))
    rtol, atol = 1e-10, 1e-12 * min(1.0, float(np.min(np.abs(w0))))
    run = deep.scalar_flow(y, w0, t, rtol=rtol, atol=atol)
    x = deep.induced_flow(y, x0, d, t, rtol=rtol, atol=1e-12 * min(1.0, abs(x0)) + 1e-300)
    assert edges.all_finite(run) and np.all(np.isfinite(x))
    tol = L * 1e3 * rtol
    # once the layers fall far below atol (x -> 0 at an equilibrium) each layer is only good
    # to K atol absolutely, which moves x by at most L K atol max_l |w_l(t)|^(L - 1)
    near_zero = L * 1e3 * atol * np.max(np.abs(run.w), axis=1) ** (L - 1)
    assert np.all(np.abs(run.x - x) <= tol * (np.abs(x) + np.abs(run.x)) + near_zero + 1e-300), (run.x, x)
    # the conserved d_l, relative to the squares that cancel (plus K atol for tiny layers)
    dd = np.diff(run.w**2, axis=1) - d
    aw = np.abs(run.w)
    slack = 4 * tol * (aw[:, 1:] ** 2 + aw[:, :-1] ** 2) + 2e3 * atol * (aw[:, 1:] + aw[:, :-1]) + 1e-300
    assert np.all(np.abs(dd) <= slack)
    # the loss does not increase and x stays between x0 and y
    assert np.all(np.diff(run.loss) <= 2 * tol * run.loss[:-1])
    assert np.all((min(x0, y) - tol * abs(y) <= run.x) & (run.x <= max(x0, y) + tol * abs(y)))
    if math.isinf(T):  # stuck on its side of x = 0
        assert np.all(run.x * x0 >= 0) and np.all(x * x0 >= 0)
    elif T <= t[-1]:
        k = int(np.searchsorted(t, T))
        speed = abs((y - x1) * deep.rate_factor(x1, d))
        assert abs(run.x[k] - x1) <= tol * (abs(x1) + abs(x0)) + speed * T * 1e-9, (run.x[k], x1)


def _mp_squares(x, d):
    """The layer squares from 60-digit arithmetic: bisection for delta in prod_l (delta + e_l) = x^2."""
    with mpmath.workdps(60):
        c = [mpmath.mpf(0)]
        for v in d:
            c.append(c[-1] + mpmath.mpf(float(v)))
        lo_c = min(c)
        e = [ci - lo_c for ci in c]
        x2 = mpmath.mpf(float(x)) ** 2
        if x2 == 0:
            return e

        def f(s):
            return mpmath.fsum(mpmath.log(s + a) for a in e) - mpmath.log(x2)

        lo, hi = mpmath.mpf(0), max(abs(mpmath.mpf(float(x))) ** (mpmath.mpf(2) / len(e)), mpmath.mpf(1))
        while f(hi) < 0:
            hi *= 2
        for _ in range(400):  # 400 halvings of an interval starting at 1e8: far below 60 digits
            mid = (lo + hi) / 2
            if mid == lo or mid == hi:
                break
            if mid == 0 or f(mid) < 0:
                lo = mid
            else:
                hi = mid
        s = (lo + hi) / 2
        return [s + a for a in e]


@settings(max_examples=edges.examples(40))
@given(
    L=st.integers(1, 6), log_scale=LOG_SCALE, spread=st.floats(0.0, 4.0), balanced=st.booleans(), seed=SEED,
)
def test_layer_squares_and_rate_factor_against_mpmath(L, log_scale, spread, balanced, seed):
    """The float results against 60-digit arithmetic from the same (x, d).

    Accuracy: the offsets c_l = d_1 + ... + d_(l-1) are summed in floats, an absolute
    error of at most L eps sum|d_l| in every square (and the Newton iteration stops at
    4e-16 relative); so |s_l - s_l^mp| <= 8 L eps (s_l + sum|d|). rho is a sum of positive
    products of L - 1 squares, each accurate to that, so |rho - rho^mp| <= 8 L^2 eps
    (rho + the same products with every s_l replaced by s_l + sum|d|).
    """
    rng = np.random.default_rng(seed)
    w = _signed_log(rng, L, log_scale, min(4.0, log_scale + (0.0 if balanced else spread)))
    x = float(np.prod(w))
    d = np.zeros(L - 1) if balanced else np.diff(w**2)
    s = deep.layer_squares(x, d)
    rho = deep.rate_factor(x, d)
    assert np.all(np.isfinite(s)) and math.isfinite(rho)
    smp = _mp_squares(x, d)
    pad = float(np.sum(np.abs(d)))
    tol_s = 8 * L * EPS
    for a, b in zip(s, smp, strict=True):
        assert abs(a - float(b)) <= tol_s * (float(b) + pad), (s, smp)
    with mpmath.workdps(60):
        rho_mp = mpmath.fsum(mpmath.fprod(smp[j] for j in range(L) if j != i) for i in range(L))
        rho_pad = mpmath.fsum(mpmath.fprod(smp[j] + pad for j in range(L) if j != i) for i in range(L))
    assert abs(rho - float(rho_mp)) <= 8 * L * L * EPS * float(rho_mp + rho_pad), (rho, rho_mp)
    # AM-GM: rho_d(x) >= L |x|^(2 - 2/L); balanced: equality
    amgm = L * abs(x) ** (2.0 - 2.0 / L)
    assert rho >= amgm * (1 - 8 * L * L * EPS)
    if balanced:
        assert rho == pytest.approx(amgm, rel=8 * L * L * EPS, abs=1e-300)
    if L == 2:  # rho = sqrt(d_1^2 + 4 x^2), in the overflow-free form
        rel = 16 * EPS + 16 * EPS * pad / max(math.hypot(d[0], 2 * x), 1e-300)
        assert rho == pytest.approx(math.hypot(d[0], 2.0 * x), rel=rel)
