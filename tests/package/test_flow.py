"""Tests of overparam.flow: the gradient flow, its two methods, the conservation laws, the loss.

Independent references: the LSODA solve of ``conftest.reference_flow`` (not the package's
integrator), mpmath for the loss, the chain rule for the width-free system, and the
flow's invariants (conservation of the imbalance, monotone loss) at extreme scales.
"""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import edges
from conftest import reference_flow, relative_gap
from overparam import flow, scalar
from overparam.flow import Trajectory, gradient_flow, gram_rhs, imbalance, loss

BAD: list = []


def _bad(target, kind, what, thunk, argument, error=ValueError):
    """A hand-written bad input: ``thunk()`` must raise ``error`` naming ``argument``."""
    BAD.append(pytest.param(thunk, argument, error, id=f"{target}-{kind}-{what}"))


TIMES = np.linspace(0.0, 4.0, 9)


@st.composite
def small_problems(draw, regression: bool):
    """Random factorization (X = None) or regression problems with random shapes and scales."""
    m = draw(st.integers(1, 5))
    n = draw(st.integers(1, 4))
    k = draw(st.integers(1, 6))
    scale = draw(st.sampled_from([0.05, 0.3, 1.0, 1.5]))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    U0 = scale * rng.standard_normal((m, k))
    V0 = scale * rng.standard_normal((n, k))
    if regression:
        N = draw(st.integers(1, 6))
        X = rng.standard_normal((N, m)) / np.sqrt(m)
        Y = rng.standard_normal((N, n))
    else:
        X = None
        Y = rng.standard_normal((m, n))
    return Y, U0, V0, X


@pytest.mark.parametrize("regression", [False, True], ids=["factorization", "regression"])
@given(data=st.data())
def test_methods_agree_with_each_other_and_an_independent_solve(regression, data):
    Y, U0, V0, X = data.draw(small_problems(regression))
    gram = gradient_flow(Y, U0, V0, TIMES, X=X, method="gram")
    params = gradient_flow(Y, U0, V0, TIMES, X=X, method="params")
    _, _, W_ref = reference_flow(Y, U0, V0, TIMES, X=X)
    assert relative_gap(gram.W, params.W) < 1e-7
    assert relative_gap(gram.W, W_ref) < 1e-7
    assert relative_gap(params.W, W_ref) < 1e-7


@pytest.mark.parametrize("method", ["gram", "params"])
@pytest.mark.parametrize("regression", [False, True], ids=["factorization", "regression"])
@given(data=st.data())
def test_loss_is_non_increasing(method, regression, data):
    Y, U0, V0, X = data.draw(small_problems(regression))
    t = np.linspace(0.0, 6.0, 61)
    run = gradient_flow(Y, U0, V0, t, X=X, method=method)
    # the exact loss never increases; allow only the solver's own error (rtol 1e-10)
    assert np.all(np.diff(run.loss) <= 1e-9 * run.loss[0] + 1e-15)
    expected = [loss(Y, W, X=X) for W in run.W]
    assert np.allclose(run.loss, expected, rtol=1e-12, atol=1e-15)


def test_shapes_and_fields():
    rng = np.random.default_rng(0)
    Y, U0, V0 = rng.standard_normal((3, 2)), rng.standard_normal((3, 5)), rng.standard_normal((2, 5))
    run = gradient_flow(Y, U0, V0, [0.0, 0.5, 0.5, 2.0], method="params")
    assert isinstance(run, Trajectory)
    assert run.W.shape == (4, 3, 2) and run.loss.shape == (4,)
    assert run.U.shape == (4, 3, 5) and run.V.shape == (4, 2, 5)
    np.testing.assert_array_equal(run.W[1], run.W[2])  # repeated times give the same state
    np.testing.assert_allclose(run.W[0], U0 @ V0.T, rtol=0, atol=0)
    gram = gradient_flow(Y, U0, V0, [0.5, 2.0])  # first time need not be 0
    assert gram.U is None and gram.V is None and gram.W.shape == (2, 3, 2)
    np.testing.assert_allclose(gram.W, run.W[2:], rtol=1e-8, atol=1e-10)
    still = gradient_flow(Y, U0, V0, [0.0, 0.0])
    np.testing.assert_array_equal(still.W[1], U0 @ V0.T)


def test_regression_converges_to_least_squares_fit():
    """Full-column-rank X: the flow's limit solves the normal equations X^T (Y - X W) = 0."""
    rng = np.random.default_rng(1)
    X = rng.standard_normal((8, 3))
    Y = rng.standard_normal((8, 2))
    U0, V0 = rng.standard_normal((3, 4)), rng.standard_normal((2, 4))
    run = gradient_flow(Y, U0, V0, [0.0, 200.0], X=X)
    W_ls = np.linalg.lstsq(X, Y, rcond=None)[0]
    np.testing.assert_allclose(run.W[-1], W_ls, atol=1e-7)


def test_gram_method_is_width_free_in_state_size():
    """Wide networks: the gram method handles k = 20000 and matches a direct check at t = 0 and a narrow reference."""
    rng = np.random.default_rng(2)
    m, n, k = 3, 2, 20000
    Y = rng.standard_normal((m, n))
    U0 = rng.standard_normal((m, k)) / np.sqrt(k)
    V0 = rng.standard_normal((n, k)) / np.sqrt(k)
    run = gradient_flow(Y, U0, V0, [0.0, 1.0, 3.0])
    # An exact narrow surrogate: same Gram matrices and product, width m + n.
    Z = np.vstack([U0, V0])
    Uz, s, Vt = np.linalg.svd(Z, full_matrices=False)
    Zs = Uz * s  # (m + n) x (m + n), Zs Zs^T = Z Z^T
    _, _, W_ref = reference_flow(Y, Zs[:m], Zs[m:], [0.0, 1.0, 3.0])
    assert relative_gap(run.W, W_ref) < 1e-7


def test_gram_trajectory_solves_the_width_free_system():
    """(W, P, Q) from method="gram" satisfy W' = GQ + PG, P' = GW^T + WG^T, Q' = G^TW + W^TG (central differences)."""
    rng = np.random.default_rng(3)
    X = rng.standard_normal((5, 3))
    Y = rng.standard_normal((5, 2))
    U0, V0 = rng.standard_normal((3, 9)), rng.standard_normal((2, 9))
    h = 1e-4
    t = np.array([0.7 - h, 0.7, 0.7 + h])
    run = gradient_flow(Y, U0, V0, t, X=X, method="gram")
    params = gradient_flow(Y, U0, V0, t, X=X, method="params")
    np.testing.assert_allclose(run.P, params.U @ np.swapaxes(params.U, 1, 2), rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(run.Q, params.V @ np.swapaxes(params.V, 1, 2), rtol=1e-8, atol=1e-10)
    dW, dP, dQ = gram_rhs(run.W[1], run.P[1], run.Q[1], Y, X=X)
    for deriv, series in ((dW, run.W), (dP, run.P), (dQ, run.Q)):
        fd = (series[2] - series[0]) / (2 * h)
        assert np.max(np.abs(fd - deriv)) < 1e-6 * max(1.0, np.max(np.abs(deriv)))


def test_gram_method_is_accurate_through_a_saddle_escape():
    """Regression test: integrating (W, P, Q) entrywise lost 4 digits on this instance (k = 1 < m + n)."""
    Y = np.array(
        [
            [-0.70373524, -1.26542147, -0.62327446, 0.04132598],
            [-2.32503077, -0.21879166, -1.24591095, -0.73226735],
            [-0.54425898, -0.31630016, 0.41163054, 1.04251337],
        ]
    )
    X = np.array([[0.36159505], [1.30400005], [0.94708096]])
    U0 = np.array([[0.18859533]])
    V0 = np.array([[-0.19815729], [0.96063398], [0.15735018], [-0.80350406]])
    run = gradient_flow(Y, U0, V0, TIMES, X=X)
    _, _, W_ref = reference_flow(Y, U0, V0, TIMES, X=X)
    assert run.loss[-1] < 0.5 * run.loss[0]  # the flow did leave the plateau
    assert relative_gap(run.W, W_ref) < 1e-7


def test_fast_convergence_is_accurate_at_every_requested_time():
    """Regression test: reading W off DOP853's dense output was 1.5e-8 off here (long steps near the minimum)."""
    rng = np.random.default_rng(34)
    Y, U0, V0 = rng.standard_normal((1, 1)), rng.standard_normal((1, 6)), rng.standard_normal((1, 6))
    for method in ("gram", "params"):
        run = gradient_flow(Y, U0, V0, TIMES, method=method)
        _, _, W_ref = reference_flow(Y, U0, V0, TIMES, rtol=1e-13, atol=1e-15)
        assert relative_gap(run.W, W_ref) < 1e-9


@pytest.mark.parametrize("m, n, N, rank, k", [(5, 2, 8, 3, 20), (4, 1, 3, 3, 12), (6, 3, 10, 2, 30)])
def test_gram_method_with_rank_deficient_data_and_wide_start(m, n, N, rank, k):
    """The row-space reduction of the width-free method: W and P = U U^T match the params method."""
    rng = np.random.default_rng(m * 100 + k)
    X = rng.standard_normal((N, rank)) @ rng.standard_normal((rank, m))  # rank-deficient
    Y = rng.standard_normal((N, n))
    U0, V0 = rng.standard_normal((m, k)) / np.sqrt(k), rng.standard_normal((n, k)) / np.sqrt(k)
    t = np.linspace(0.0, 3.0, 7)
    gram = gradient_flow(Y, U0, V0, t, X=X)
    params = gradient_flow(Y, U0, V0, t, X=X, method="params")
    assert relative_gap(gram.W, params.W) < 1e-8
    assert relative_gap(gram.P, params.U @ np.swapaxes(params.U, 1, 2)) < 1e-8
    assert relative_gap(gram.Q, params.V @ np.swapaxes(params.V, 1, 2)) < 1e-8


# ----------------------------------------------------------------------------------
# conservation laws (chapter 2)
# ----------------------------------------------------------------------------------

TIMES = np.linspace(0.0, 3.0, 7)


@st.composite
def shapes_and_seed(draw, regression: bool):
    """Rectangular shapes (m != n drawn independently), a width k, a scale and a seed."""
    m = draw(st.integers(1, 6))
    n = draw(st.integers(1, 6))
    k = draw(st.integers(1, 7))
    N = draw(st.integers(1, 7)) if regression else None
    scale = draw(st.sampled_from([0.1, 0.5, 1.0, 2.0]))
    seed = draw(st.integers(0, 2**32 - 1))
    return m, n, k, N, scale, seed


def random_problem(m, n, k, N, scale, seed):
    rng = np.random.default_rng(seed)
    U0 = scale * rng.standard_normal((m, k))
    V0 = scale * rng.standard_normal((n, k))
    if N is None:
        return rng.standard_normal((m, n)), U0, V0, None
    X = rng.standard_normal((N, m)) / np.sqrt(m)
    return rng.standard_normal((N, n)), U0, V0, X


def max_relative_drift(run):
    """max_t ||Lambda(t) - Lambda(0)||_F / (||U(t)||_F^2 + ||V(t)||_F^2)."""
    L0 = imbalance(run.U[0], run.V[0])
    return max(
        np.linalg.norm(imbalance(U, V) - L0) / max(np.linalg.norm(U) ** 2 + np.linalg.norm(V) ** 2, 1e-300)
        for U, V in zip(run.U, run.V, strict=True)
    )


@pytest.mark.parametrize("regression", [False, True], ids=["factorization", "regression"])
@given(data=st.data())
def test_imbalance_is_conserved_on_rectangular_shapes(regression, data):
    Y, U0, V0, X = random_problem(*data.draw(shapes_and_seed(regression)))
    run = gradient_flow(Y, U0, V0, TIMES, X=X, method="params")
    assert np.allclose(run.U[0], U0) and np.allclose(run.V[0], V0)
    assert max_relative_drift(run) < 1e-8


@given(data=st.data())
def test_balanced_start_stays_balanced(data):
    """Lambda_0 = 0 (V0 = Q U0 with Q^T Q = I, n >= m) gives U^T U = V^T V for all t."""
    m = data.draw(st.integers(1, 4))
    n = data.draw(st.integers(m, 6))
    k = data.draw(st.integers(1, 6))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    U0 = rng.standard_normal((m, k))
    Q, _ = np.linalg.qr(rng.standard_normal((n, m)))
    V0 = Q @ U0
    run = gradient_flow(rng.standard_normal((m, n)), U0, V0, TIMES, method="params")
    for U, V in zip(run.U, run.V, strict=True):
        assert np.linalg.norm(imbalance(U, V)) <= 1e-8 * np.linalg.norm(U) ** 2


@pytest.mark.parametrize("regression", [False, True], ids=["factorization", "regression"])
@given(data=st.data())
def test_loss_is_invariant_under_invertible_reparametrization(regression, data):
    m, n, k, N, scale, seed = data.draw(shapes_and_seed(regression))
    Y, U, V, X = random_problem(m, n, k, N, scale, seed)
    rng = np.random.default_rng(seed + 1)
    # a random invertible G with a controlled condition number: Q1 diag(s) Q2
    Q1, _ = np.linalg.qr(rng.standard_normal((k, k)))
    Q2, _ = np.linalg.qr(rng.standard_normal((k, k)))
    G = Q1 @ np.diag(rng.uniform(0.2, 5.0, size=k) * rng.choice([-1.0, 1.0], size=k)) @ Q2
    G_inv_T = np.linalg.inv(G).T
    before = loss(Y, U @ V.T, X=X)
    after = loss(Y, (U @ G) @ (V @ G_inv_T).T, X=X)
    assert after == pytest.approx(before, rel=1e-9, abs=1e-12)
    # the imbalance is NOT invariant in general, unless G is orthogonal
    R = Q1
    assert np.allclose(imbalance(U @ R, V @ R), R.T @ imbalance(U, V) @ R, atol=1e-10)


@given(
    u=st.floats(-10, 10),
    v=st.floats(-10, 10),
    y=st.floats(-10, 10),
    a=st.floats(0.05, 20).flatmap(lambda x: st.sampled_from([x, -x])),
)
def test_scalar_loss_is_invariant_under_rescaling(u, v, y, a):
    before = scalar.loss(u, v, y)
    assert scalar.loss(a * u, v / a, y) == pytest.approx(before, rel=1e-9, abs=1e-9)
    # the infinitesimal version: the gradient is orthogonal to the generator (u, -v)
    du, dv = scalar.vector_field(u, v, y)
    assert du * u - dv * v == pytest.approx(0.0, abs=1e-9 * (1 + abs(y)) * (1 + u * u + v * v) ** 2)


@given(u0=st.floats(-2, 2), v0=st.floats(-2, 2), y=st.floats(-2, 2))
def test_scalar_imbalance_is_conserved(u0, v0, y):
    run = scalar.flow(y, u0, v0, TIMES)
    lam = scalar.imbalance(run.u, run.v)
    assert np.max(np.abs(lam - (u0 * u0 - v0 * v0))) <= 1e-8 * (1 + np.max(run.u**2 + run.v**2))


# ----------------------------------------------------------------------------------
# valid calls, hand-written bad input, extreme ranges
# ----------------------------------------------------------------------------------

_rng = np.random.default_rng(20261127)
Y = _rng.standard_normal((3, 2))
U0 = _rng.standard_normal((3, 4))
V0 = _rng.standard_normal((2, 4))
X = _rng.standard_normal((5, 3))
YX = _rng.standard_normal((5, 2))
T = np.array([0.0, 0.5, 1.0])

CALLS = {
    "flow.gradient_flow": edges.call(flow.gradient_flow, YX, U0, V0, T, X=X, method="params", rtol=1e-8, atol=1e-10),
    "flow.gram_rhs": edges.call(flow.gram_rhs, U0 @ V0.T, U0 @ U0.T, V0 @ V0.T, YX, X=X),
    "flow.loss": edges.call(flow.loss, YX, U0 @ V0.T, X=X),
    "flow.imbalance": edges.call(flow.imbalance, U0, V0),
}

# ----------------------------------------------------------------------------------
# hand-written bad input
# ----------------------------------------------------------------------------------

_GOOD = dict(Y=Y, U0=U0, V0=V0, t=T)


def _gf(**change):
    kw = {**_GOOD, **change}
    return lambda: flow.gradient_flow(kw.pop("Y"), kw.pop("U0"), kw.pop("V0"), kw.pop("t"), **kw)


GF = "flow.gradient_flow"
_bad(GF, "shape", "U0-rows-not-rows-of-Y", _gf(U0=np.ones((4, 4))), "U0")
_bad(GF, "shape", "V0-rows-not-columns-of-Y", _gf(V0=np.ones((3, 4))), "V0")
_bad(GF, "shape", "V0-width-not-U0-width", _gf(V0=np.ones((2, 5))), "V0")
_bad(GF, "shape", "U0-vector", _gf(U0=np.ones(3)), "U0")
_bad(GF, "shape", "Y-vector", _gf(Y=np.ones(3)), "Y")
_bad(GF, "shape", "Y-scalar", _gf(Y=1.0), "Y")
_bad(GF, "shape", "Y-empty", _gf(Y=np.ones((0, 2))), "Y")
_bad(GF, "shape", "U0-zero-width", _gf(U0=np.ones((3, 0)), V0=np.ones((2, 0))), "U0")
_bad(GF, "shape", "X-rows-not-rows-of-Y", _gf(Y=YX, X=np.ones((4, 3))), "X")
_bad(GF, "shape", "X-columns-not-rows-of-U0", _gf(Y=YX, X=np.ones((5, 4))), "U0")
_bad(GF, "shape", "Y-rows-not-rows-of-X", _gf(Y=np.ones((4, 2)), X=X), "X")
_bad(GF, "shape", "X-vector", _gf(Y=YX, X=np.ones(5)), "X")
_bad(GF, "times", "negative", _gf(t=np.array([-1.0, 0.0])), "t")
_bad(GF, "times", "unsorted", _gf(t=np.array([0.0, 2.0, 1.0])), "t")
_bad(GF, "times", "two-dimensional", _gf(t=np.array([[0.0, 1.0]])), "t")
_bad(GF, "times", "scalar", _gf(t=1.0), "t")
_bad(GF, "times", "empty", _gf(t=np.array([])), "t")
_bad(GF, "times", "negative-zero-then-tiny-negative", _gf(t=[0.0, -1e-300]), "t")
_bad(GF, "times", "nan-in-list", _gf(t=[0.0, float("nan")]), "t")
_bad(GF, "value", "rtol-zero", _gf(rtol=0.0), "rtol")
_bad(GF, "value", "rtol-negative", _gf(rtol=-1e-8), "rtol")
_bad(GF, "value", "atol-zero", _gf(atol=0.0), "atol")
_bad(GF, "value", "method-wrong-case", _gf(method="GRAM"), "method")
_bad(GF, "value", "method-empty", _gf(method=""), "method")
_bad(GF, "type", "method-list", _gf(method=["gram"]), "method", TypeError)
_bad(GF, "type", "U0-list-of-strings", _gf(U0=[["a"] * 4] * 3), "U0", TypeError)
_bad(GF, "type", "t-list-of-strings", _gf(t=["0", "1"]), "t", TypeError)
_bad(GF, "type", "Y-dict", _gf(Y={"a": 1.0}), "Y", TypeError)
_bad(GF, "nonfinite", "inf-in-nested-list-U0", _gf(U0=[[1.0, 2.0, 3.0, float("inf")]] * 3), "U0")
_bad(GF, "nonfinite", "nan-in-nested-list-V0", _gf(V0=[[1.0, 2.0, float("nan"), 1.0]] * 2), "V0")

_W, _P, _Q = U0 @ V0.T, U0 @ U0.T, V0 @ V0.T
GR = "flow.gram_rhs"
_bad(GR, "shape", "W-transposed", lambda: flow.gram_rhs(_W.T, _P, _Q, Y), "W")
_bad(GR, "shape", "P-not-m-by-m", lambda: flow.gram_rhs(_W, _Q, _Q, Y), "P")
_bad(GR, "shape", "Q-not-n-by-n", lambda: flow.gram_rhs(_W, _P, _P, Y), "Q")
_bad(GR, "shape", "P-rectangular", lambda: flow.gram_rhs(_W, _W, _Q, Y), "P")
_bad(GR, "shape", "X-rows-not-rows-of-Y", lambda: flow.gram_rhs(_W, _P, _Q, YX, X=np.ones((4, 3))), "X")
_bad(GR, "shape", "W-rows-not-columns-of-X", lambda: flow.gram_rhs(_W, _P, _Q, YX, X=np.ones((5, 4))), "W")
_bad(GR, "shape", "Y-vector", lambda: flow.gram_rhs(_W, _P, _Q, np.ones(3)), "Y")
_bad(GR, "type", "W-string-list", lambda: flow.gram_rhs([["a", "b"]] * 3, _P, _Q, Y), "W", TypeError)

LO = "flow.loss"
_bad(LO, "shape", "W-transposed", lambda: flow.loss(Y, _W.T), "W")
_bad(LO, "shape", "W-with-X-wrong-rows", lambda: flow.loss(YX, np.ones((4, 2)), X=X), "W")
_bad(LO, "shape", "W-with-X-wrong-columns", lambda: flow.loss(YX, np.ones((3, 3)), X=X), "W")
_bad(LO, "shape", "X-rows-not-rows-of-Y", lambda: flow.loss(YX, _W, X=np.ones((4, 3))), "X")
_bad(LO, "shape", "W-vector", lambda: flow.loss(np.ones((1, 3)), np.ones(3)), "W")
_bad(LO, "type", "Y-bytes", lambda: flow.loss(b"abc", _W), "Y", TypeError)

IM = "flow.imbalance"
_bad(IM, "shape", "V-width-not-U-width", lambda: flow.imbalance(U0, np.ones((2, 3))), "V")
_bad(IM, "shape", "U-vector", lambda: flow.imbalance(np.ones(4), V0), "U")
_bad(IM, "shape", "V-empty", lambda: flow.imbalance(U0, np.ones((0, 4))), "V")
_bad(IM, "type", "U-list-of-None", lambda: flow.imbalance([[None] * 4] * 3, V0), "U", TypeError)

EPS = np.finfo(float).eps
LD = np.longdouble


def log_scale(lo: float, hi: float):
    """10 ** u with u uniform in [lo, hi] (both ends reachable)."""
    return st.floats(lo, hi).map(lambda u: 10.0**u)


#: end times: the two ends 0 and 1e6 exactly, and log-uniform in between
T_END = st.one_of(st.just(1e6), st.just(0.0), log_scale(-3, 6))


@st.composite
def problems(draw, k_min_extra=(0, 4), data=("none", "full", "rank-deficient", "wide")):
    """(Y, U0, V0, X): shapes 1 x 1 .. 3 x 3 (N up to 5), k from min(m, n) up; scales 1e-6 .. 1e4;
    imbalance from exactly 0 (balanced start) to large (U0 and V0 of very different sizes)."""
    m = draw(st.integers(1, 3))
    n = draw(st.integers(1, 3))
    k = min(m, n) + draw(st.integers(*k_min_extra))
    kind = draw(st.sampled_from(data))
    sy = draw(log_scale(-6, 4))
    su = draw(log_scale(-6, 4))
    sv = draw(log_scale(-6, 4))  # a different size for V0: imbalance up to ~1e8
    balanced = draw(st.booleans())
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    if balanced:  # U0 = A C, V0 = B C with orthonormal A, B: U0^T U0 = V0^T V0, imbalance 0
        r = min(m, n)
        C = su * rng.standard_normal((r, k))
        U0 = np.linalg.qr(rng.standard_normal((m, r)))[0] @ C
        V0 = np.linalg.qr(rng.standard_normal((n, r)))[0] @ C
    else:
        U0 = su * rng.standard_normal((m, k))
        V0 = sv * rng.standard_normal((n, k))
    X = None
    if kind == "none":
        Y = sy * rng.standard_normal((m, n))
    else:
        sx = draw(log_scale(-2, 1))
        N = {"full": m + 2, "rank-deficient": m + 1, "wide": max(1, m - 1)}[kind]
        X = sx * rng.standard_normal((N, m))
        if kind == "rank-deficient":
            r = max(m - 1, 1) if m > 1 else 1
            X = sx * rng.standard_normal((N, r)) @ rng.standard_normal((r, m)) / np.sqrt(r)
        Y = sy * rng.standard_normal((N, n))
    return Y, U0, V0, X


def scaled_atol(Y, U0, V0, rtol=1e-10):
    """An absolute tolerance at the scale of the smallest part of the state.

    The package's atol is absolute (default 1e-12); at a start of size 1e-6 it would
    allow relative errors of 1e-6 per step. To compare the solution to a reference at the
    solver's RELATIVE accuracy, atol is set to rtol times the smallest scale in the
    problem (the factors, and sqrt(|Y|), the size the factors approach)."""
    z = min(np.max(np.abs(U0)), np.max(np.abs(V0)), np.sqrt(max(np.max(np.abs(Y)), 1e-300)))
    return max(rtol * z, 1e-300)


def rate_scale(Y, U0, V0, X):
    """The fastest rate of the flow, about |X|^2 (|Y| + |U0|^2 + |V0|^2): 1 / it is the time scale."""
    x2 = 1.0 if X is None else np.linalg.norm(X, 2) ** 2
    return x2 * (np.linalg.norm(Y) + np.linalg.norm(U0) ** 2 + np.linalg.norm(V0) ** 2)


def check_invariants(run, Y, U0, V0, X, method):
    """Finite; W(0) = U0 V0^T; loss non-increasing; imbalance conserved (params)."""
    assert edges.all_finite((run.W, run.loss, run.U, run.V, run.P, run.Q))
    # W(0) = U0 V0^T. For params, up to the rounding of the two products: each entry is an
    # inner product of length k, computed with an error of at most gamma_k sum_i |u_i||v_i|,
    # gamma_k = k eps / (1 - k eps), and the flow's batched product and this one may sum in
    # different orders (they do under other BLAS kernels). For gram, up to the rounding of
    # the narrow factor (scaled Gram matrix).
    W0 = U0 @ V0.T
    k = U0.shape[1]
    if method == "params":
        tol0 = 2 * k * EPS / (1 - k * EPS) * (np.abs(U0) @ np.abs(V0).T)
    else:
        tol0 = 1e3 * EPS * np.linalg.norm(U0) * np.linalg.norm(V0)
    assert np.all(np.abs(run.W[0] - W0) <= tol0)
    # the exact loss never increases; allow the solver's relative error (rtol 1e-10, so 1e-9
    # of loss(0)) plus the rounding of the computed loss, ~eps (|Y| + |X W|)^2
    XW = run.W if X is None else X[None] @ run.W
    loss_scale = np.max(0.5 * np.sum((np.abs(Y)[None] + np.abs(XW)) ** 2, axis=(1, 2)))
    assert np.all(np.diff(run.loss) <= 1e-9 * run.loss[0] + 1e3 * EPS * loss_scale)
    if method == "params":
        # U^T U - V^T V is conserved, to the solver's relative accuracy (1e-10 per step,
        # 1e-8 with the accumulation) of the largest factor norm along the run
        L0 = U0.T @ U0 - V0.T @ V0
        big = max(np.linalg.norm(U) ** 2 + np.linalg.norm(V) ** 2 for U, V in zip(run.U, run.V, strict=True))
        drift = max(np.linalg.norm(flow.imbalance(U, V) - L0) for U, V in zip(run.U, run.V, strict=True))
        assert drift <= 1e-8 * big


@pytest.mark.sweep
@settings(max_examples=edges.examples(10))
@given(problem=problems(), method=st.sampled_from(["gram", "params"]), t_end=T_END, frac=st.floats(0.0, 1.0))
def test_gradient_flow_stays_finite_and_keeps_its_invariants_up_to_t_1e6(problem, method, t_end, frac):
    """Default tolerances, t up to 1e6 (stiff: DOP853 hands over to BDF)."""
    Y, U0, V0, X = problem
    t = np.array([0.0, frac * t_end, t_end])
    run = flow.gradient_flow(Y, U0, V0, t, X=X, method=method)
    check_invariants(run, Y, U0, V0, X, method)


@pytest.mark.parametrize("method", ["gram", "params"])
@pytest.mark.parametrize("data", ["none", "rank-deficient"])
def test_gradient_flow_keeps_its_invariants_at_t_1e6(method, data):
    """The fast version of the sweep above: one stiff run each (scales 1e-3 .. 1e2, t = 1e6)."""
    rng = np.random.default_rng(11)
    U0, V0 = 1e-3 * rng.standard_normal((3, 4)), 1e2 * rng.standard_normal((2, 4))
    X = None if data == "none" else rng.standard_normal((4, 2)) @ rng.standard_normal((2, 3))
    Y = rng.standard_normal((3, 2) if X is None else (4, 2))
    run = flow.gradient_flow(Y, U0, V0, [0.0, 1e3, 1e6], X=X, method=method)
    check_invariants(run, Y, U0, V0, X, method)


@settings(max_examples=edges.examples(25))
@given(problem=problems(), method=st.sampled_from(["gram", "params"]), span=st.floats(0.0, 20.0))
def test_gradient_flow_at_the_extremes_matches_an_independent_solve(problem, method, span):
    """Against LSODA (conftest.reference_flow) over `span` units of the fastest time scale."""
    Y, U0, V0, X = problem
    t = np.linspace(0.0, span / rate_scale(Y, U0, V0, X), 4)
    run = flow.gradient_flow(Y, U0, V0, t, X=X, method=method, atol=scaled_atol(Y, U0, V0))
    check_invariants(run, Y, U0, V0, X, method)
    # LSODA at rtol 1e-12 against DOP853 at rtol 1e-10 (atol at the state's own scale, see
    # scaled_atol): both accurate to ~1e-9 relative; escaping the saddle at the origin
    # amplifies early errors by up to ~1e2 (the existing tests see <= 1e-8 at moderate scales)
    if span < 1e-12:
        # over 1e-12 of the fastest time scale W moves by < 1e-12 of its scale: W(t) = W0 is the
        # reference (LSODA returns nan for output times as small as 1e-299, which hypothesis draws)
        W_ref = np.broadcast_to(U0 @ V0.T, run.W.shape)
    else:
        _, _, W_ref = reference_flow(Y, U0, V0, t, X=X, atol=scaled_atol(Y, U0, V0, 1e-12))
    assert relative_gap(run.W, W_ref) < 1e-6


@settings(max_examples=edges.examples(10))
@given(
    problem=problems(k_min_extra=(47, 197), data=("none", "rank-deficient", "wide")),
    span=st.floats(0.0, 20.0),
)
def test_wide_gram_method_matches_the_params_method(problem, span):
    """k = min(m, n) + 47 .. 197 > m + n: the gram method integrates a narrow factor of the
    Gram matrix (and, with rank-deficient or wide X, only its row-space part). W, P = U U^T
    and Q = V V^T must match the params method, which integrates all (m + n) k unknowns."""
    Y, U0, V0, X = problem
    t = np.linspace(0.0, span / rate_scale(Y, U0, V0, X), 3)
    atol = scaled_atol(Y, U0, V0)
    gram = flow.gradient_flow(Y, U0, V0, t, X=X, method="gram", atol=atol)
    params = flow.gradient_flow(Y, U0, V0, t, X=X, method="params", atol=atol)
    check_invariants(gram, Y, U0, V0, X, "gram")
    check_invariants(params, Y, U0, V0, X, "params")
    # two solves of the same flow, each to ~1e-9 relative (see the LSODA test above)
    assert relative_gap(gram.W, params.W) < 1e-6
    assert relative_gap(gram.P, params.U @ np.swapaxes(params.U, 1, 2)) < 1e-6
    assert relative_gap(gram.Q, params.V @ np.swapaxes(params.V, 1, 2)) < 1e-6


@settings(max_examples=edges.examples(50))
@given(problem=problems(k_min_extra=(5, 197)))
def test_wide_gram_start_is_the_product_to_its_own_accuracy(problem):
    """At t = 0 the gram method's narrow factor (k > m + n, also in its row-space reduction)
    must reproduce W0 = U0 V0^T to c eps |U0| |V0|, P0 to c eps |U0|^2 and Q0 to c eps |V0|^2,
    however different |U0| and |V0| are (up to 1e10 apart here): the narrow factor (an
    eigen-factor of the Gram matrix scaled to unit diagonal, or a QR factor) errs by
    c eps |row i| |row j| in entry (i, j). (A factor of the unscaled Gram matrix is off by
    eps (|U0|^2 + |V0|^2) in every block.)"""
    Y, U0, V0, X = problem
    m, k = U0.shape
    n = V0.shape[0]
    run = flow.gradient_flow(Y, U0, V0, [0.0], X=X, method="gram")
    Ul, Vl = np.asarray(U0, LD), np.asarray(V0, LD)
    c = 16 * (m + n) * k * EPS
    nu, nv = np.linalg.norm(U0), np.linalg.norm(V0)
    assert np.linalg.norm(run.W[0] - np.asarray(Ul @ Vl.T, float)) <= c * nu * nv
    assert np.linalg.norm(run.P[0] - np.asarray(Ul @ Ul.T, float)) <= c * nu**2
    assert np.linalg.norm(run.Q[0] - np.asarray(Vl @ Vl.T, float)) <= c * nv**2


@settings(max_examples=edges.examples(50))
@given(problem=problems(k_min_extra=(0, 60)))
def test_gram_rhs_is_the_chain_rule_of_the_params_flow(problem):
    """With W = U V^T, P = U U^T, Q = V V^T and U' = G V, V' = G^T U (G = X^T (Y - X W)):
    W' = U' V^T + U V'^T, P' = U' U^T + U U'^T, Q' = V' V^T + V V'^T, computed independently.
    Both sides are sums of products of the same numbers: they agree to rounding, a few
    hundred eps times the size of the products (|G| (|U| + |V|)^2)."""
    Y, U, V, X = problem
    W, P, Q = U @ V.T, U @ U.T, V @ V.T
    dW, dP, dQ = flow.gram_rhs(W, P, Q, Y, X=X)
    G = Y - W if X is None else X.T @ (Y - X @ W)
    dU, dV = G @ V, G.T @ U
    size = np.linalg.norm(G) * (np.linalg.norm(U) + np.linalg.norm(V)) ** 2
    nY, nW = np.linalg.norm(Y), np.linalg.norm(W)
    size_G = (nY + nW) if X is None else np.linalg.norm(X) * (nY + np.linalg.norm(X) * nW)
    tol = 1e3 * EPS * max(size, size_G * (np.linalg.norm(U) + np.linalg.norm(V)) ** 2)
    for got, want in ((dW, dU @ V.T + U @ dV.T), (dP, dU @ U.T + U @ dU.T), (dQ, dV @ V.T + V @ dV.T)):
        assert edges.all_finite(got)
        assert np.linalg.norm(got - want) <= tol
    assert np.allclose(dP, dP.T, rtol=0, atol=tol) and np.allclose(dQ, dQ.T, rtol=0, atol=tol)


def _mp_loss(Y, W, X):
    """1/2 ||Y - X W||_F^2 in 40-digit arithmetic (exact products of the given doubles)."""
    with mpmath.workdps(40):
        Ym, Wm = mpmath.matrix(Y.tolist()), mpmath.matrix(W.tolist())
        R = Ym - (Wm if X is None else mpmath.matrix(X.tolist()) * Wm)
        return float(sum(R[i, j] ** 2 for i in range(R.rows) for j in range(R.cols)) / 2)


@settings(max_examples=edges.examples(60))
@given(problem=problems(k_min_extra=(0, 3)), near=st.booleans(), seed=st.integers(0, 2**32 - 1))
def test_loss_matches_a_high_precision_evaluation(problem, near, seed):
    """flow.loss against mpmath. Forming R = Y - X W in doubles has an absolute error of about
    (N + m) eps (|Y| + |X| |W|) per entry, so |sqrt(2 l) - sqrt(2 l_exact)| is at most a few
    times that; near a fit (near=True: Y = X W + tiny) the relative error of l may be large,
    which the bound on sqrt(2 l) allows and a relative tolerance would not."""
    Y, U0, V0, X = problem
    W = U0 @ V0.T
    if near:
        rng = np.random.default_rng(seed)
        XW = W if X is None else X @ W
        Y = XW + 1e-9 * (np.abs(XW).max() + 1e-300) * rng.standard_normal(XW.shape)
    got = flow.loss(Y, W, X=X)
    exact = _mp_loss(Y, W, X)
    assert np.isfinite(got) and got >= 0.0
    N, m = (Y.shape[0], Y.shape[0]) if X is None else X.shape
    XW_size = np.linalg.norm(W) if X is None else np.linalg.norm(X) * np.linalg.norm(W)
    err = 10 * (N + m) * EPS * (np.linalg.norm(Y) + XW_size)
    assert abs(np.sqrt(2 * got) - np.sqrt(2 * exact)) <= err


@settings(max_examples=edges.examples(30))
@given(problem=problems(k_min_extra=(0, 197), data=("none",)), seed=st.integers(0, 2**32 - 1))
def test_imbalance_symmetries_and_conservation_law_structure(problem, seed):
    """Lambda(U, V) = U^T U - V^T V: symmetric, Lambda(V, U) = -Lambda(U, V),
    Lambda(U R, V R) = R^T Lambda R for orthogonal R (the flow's rotation symmetry), and its
    trace is ||U||_F^2 - ||V||_F^2. Rounding: ~k eps (|U|^2 + |V|^2)."""
    _, U, V, _ = problem
    k = U.shape[1]
    L = flow.imbalance(U, V)
    size = np.linalg.norm(U) ** 2 + np.linalg.norm(V) ** 2
    tol = 10 * (k + max(U.shape[0], V.shape[0])) * EPS * size
    assert L.shape == (k, k) and edges.all_finite(L)
    assert np.array_equal(L, L.T)  # U^T U and V^T V are computed symmetric by BLAS (syrk-like products)
    assert np.array_equal(flow.imbalance(V, U), -L)
    R = np.linalg.qr(np.random.default_rng(seed).standard_normal((k, k)))[0]
    assert np.linalg.norm(flow.imbalance(U @ R, V @ R) - R.T @ L @ R) <= tol
    assert abs(np.trace(L) - (np.sum(U * U) - np.sum(V * V))) <= tol


@pytest.mark.parametrize("thunk, argument, error", BAD)
def test_hand_written_bad_input_is_rejected_naming_the_argument(thunk, argument, error):
    edges.rejects(thunk, argument, error)
