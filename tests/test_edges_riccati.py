"""Edge tests of overparam.riccati (see tests/edges.py).

Ranges: Y from 1 x 1 to 6 x 6 (rectangular both ways; to 200 rows or columns where no ODE
is solved), entries at a scale 1e-6 .. 1e4, sometimes rank deficient; imbalance lambda = 0
exactly, or of either sign from 1e-3 to 1e3 times the scale (1e-9 .. 1e7 absolute);
widths from min(m, n) to the largest the sign of lambda allows (k <= m for lambda > 0,
k <= n for lambda < 0), and to 200 for balanced starts; times from 0 to 1e6.

References, none of them the code under test: ``conftest.reference_flow`` (LSODA on the
(U, V) flow), numpy's SVD / eigvalsh, the gradient-flow vector field written from the
notation page, and the invariances of the flow (Z -> Z O for orthogonal O).
"""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

import edges
from conftest import reference_flow
from overparam import riccati, spectral

EPS = np.finfo(float).eps
T = np.array([0.0, 0.5, 2.0])
Y0 = np.array([[2.0, 0.5, 0.0], [0.3, 1.0, 0.2]])
A0 = riccati.stacked_matrix(Y0, 0.5)
U0, V0 = riccati.initialization(2, 3, 2, 0.5, 0.7, np.random.default_rng(3))
Z0 = np.concatenate([U0, V0])
Q0 = Z0 @ Z0.T
Q0 = 0.5 * (Q0 + Q0.T)

# ---------------------------------------------------------------------------------------
# valid calls

edges.valid("riccati.stacked_matrix", riccati.stacked_matrix, Y0, 0.5)
edges.valid("riccati.riccati_rhs", riccati.riccati_rhs, Q0, A0)
edges.valid("riccati.homogeneous_imbalance", riccati.homogeneous_imbalance, U0, V0, rtol=1e-10)
edges.valid("riccati.initialization", riccati.initialization, 2, 3, 2, 0.5, 0.7, np.random.default_rng(3))
edges.valid("riccati.closed_form", riccati.closed_form, Y0, U0, V0, T, rtol=1e-10)

# ---------------------------------------------------------------------------------------
# hand-written bad input


def bad(target, kind, what, call, argument, error=None):
    """``edges.bad``; a wrong type raises TypeError, everything else ValueError."""
    edges.bad(target, kind, what, call, argument, error or (TypeError if kind == "type" else ValueError))


bad("riccati.stacked_matrix", "shape", "Y-1-D", lambda: riccati.stacked_matrix(np.ones(3), 0.5), "Y")
bad("riccati.stacked_matrix", "shape", "Y-empty", lambda: riccati.stacked_matrix(np.ones((0, 2)), 0.5), "Y")
bad("riccati.stacked_matrix", "type", "list-for-lam", lambda: riccati.stacked_matrix(Y0, [0.5]), "lam")
bad("riccati.stacked_matrix", "type", "ragged-Y", lambda: riccati.stacked_matrix([[1.0, 2.0], [3.0]], 0.5), "Y")
bad("riccati.stacked_matrix", "nonfinite", "inf-in-list-Y", lambda: riccati.stacked_matrix([[1.0, float("inf")]], 0.5), "Y")

rhs = riccati.riccati_rhs
bad("riccati.riccati_rhs", "shape", "A-not-square", lambda: rhs(np.eye(2), np.ones((2, 3))), "A")
bad("riccati.riccati_rhs", "shape", "Q-size-not-A", lambda: rhs(np.eye(3), A0), "Q")
bad("riccati.riccati_rhs", "shape", "Q-1-D", lambda: rhs(np.ones(5), A0), "Q")
bad("riccati.riccati_rhs", "structure", "A-not-symmetric", lambda: rhs(Q0, A0 + np.triu(np.ones_like(A0), 1)), "A")
bad("riccati.riccati_rhs", "structure", "Q-not-symmetric", lambda: rhs(Q0 + np.triu(np.ones_like(Q0), 1), A0), "Q")
bad("riccati.riccati_rhs", "type", "str-in-list-A", lambda: rhs(np.eye(1), [["a"]]), "A")
bad("riccati.riccati_rhs", "nonfinite", "nan-in-list-Q", lambda: rhs([[float("nan")]], np.eye(1)), "Q")

hom = riccati.homogeneous_imbalance
bad("riccati.homogeneous_imbalance", "shape", "V0-columns-not-k", lambda: hom(U0, V0[:, :1]), "V0")
bad("riccati.homogeneous_imbalance", "shape", "U0-1-D", lambda: hom(np.ones(2), V0), "U0")
bad("riccati.homogeneous_imbalance", "structure", "not-homogeneous", lambda: hom(np.diag([1.0, 2.0]), np.eye(2)), "U0")
bad("riccati.homogeneous_imbalance", "structure", "off-by-1e-6", lambda: hom(U0 + 1e-6 * np.eye(2), V0), "V0")
bad("riccati.homogeneous_imbalance", "width", "k-above-m-positive-lambda",
    lambda: hom(np.array([[2.0, 0.0]]), np.array([[1.0, 0.0], [0.0, 0.0]])), "U0")
bad("riccati.homogeneous_imbalance", "width", "k-above-n-negative-lambda",
    lambda: hom(np.array([[1.0, 0.0], [0.0, 0.0]]), np.array([[2.0, 0.0]])), "V0")
bad("riccati.homogeneous_imbalance", "value", "zero-rtol", lambda: hom(U0, V0, rtol=0.0), "rtol")
bad("riccati.homogeneous_imbalance", "value", "rtol-one-accepts-anything", lambda: hom(np.diag([1.0, 2.0]), np.eye(2), rtol=1.0), "rtol")
bad("riccati.homogeneous_imbalance", "nonfinite", "squares-overflow", lambda: hom(1e200 * U0, V0), "U0")
bad("riccati.homogeneous_imbalance", "type", "str-in-list-U0", lambda: hom([["a"]], [[1.0]]), "U0")

ini = riccati.initialization


def rng0():
    return np.random.default_rng(0)


bad("riccati.initialization", "width", "k-above-m-positive-lambda", lambda: ini(3, 5, 4, 1.0, 0.5, rng0()), "k")
bad("riccati.initialization", "width", "k-above-m-zero-lambda", lambda: ini(3, 5, 4, 0.0, 0.5, rng0()), "k")
bad("riccati.initialization", "width", "k-above-n-negative-lambda", lambda: ini(5, 3, 4, -1.0, 0.5, rng0()), "k")
bad("riccati.initialization", "value", "zero-scale", lambda: ini(3, 3, 2, 1.0, 0.0, rng0()), "scale")
bad("riccati.initialization", "value", "negative-scale", lambda: ini(3, 3, 2, 1.0, -0.5, rng0()), "scale")
bad("riccati.initialization", "value", "zero-m", lambda: ini(0, 3, 1, 1.0, 0.5, rng0()), "m")
bad("riccati.initialization", "value", "zero-n", lambda: ini(3, 0, 1, 1.0, 0.5, rng0()), "n")
bad("riccati.initialization", "value", "zero-k", lambda: ini(3, 3, 0, 1.0, 0.5, rng0()), "k")
bad("riccati.initialization", "type", "numpy-float-m", lambda: ini(np.float64(3.0), 3, 2, 1.0, 0.5, rng0()), "m")
bad("riccati.initialization", "type", "bit-generator-for-rng", lambda: ini(3, 3, 2, 1.0, 0.5, np.random.PCG64(0)), "rng")
bad("riccati.initialization", "type", "list-for-lam", lambda: ini(3, 3, 2, [1.0], 0.5, rng0()), "lam")
bad("riccati.initialization", "nonfinite", "gram-overflows", lambda: ini(2, 2, 2, 1e300, 1e200, rng0()), "scale")

cf = riccati.closed_form
bad("riccati.closed_form", "shape", "U0-rows-not-m", lambda: cf(Y0, np.ones((3, 2)), V0, T), "U0")
bad("riccati.closed_form", "shape", "V0-rows-not-n", lambda: cf(Y0, U0, np.ones((2, 2)), T), "V0")
bad("riccati.closed_form", "shape", "V0-columns-not-k", lambda: cf(Y0, U0, V0[:, :1], T), "V0")
bad("riccati.closed_form", "shape", "Y-1-D", lambda: cf(np.ones(2), U0, V0, T), "Y")
bad("riccati.closed_form", "structure", "not-homogeneous", lambda: cf(np.eye(2), np.diag([1.0, 2.0]), np.eye(2), T), "U0")
bad("riccati.closed_form", "structure", "imbalance-not-diagonal",
    lambda: cf(Y0, np.eye(2), np.array([[1.0, 2.0], [0.0, 1.0], [0.0, 0.0]]), T), "U0")
bad("riccati.closed_form", "width", "k-above-m-positive-lambda",
    lambda: cf(np.ones((1, 2)), np.array([[2.0, 0.0]]), np.array([[1.0, 0.0], [0.0, 0.0]]), T), "U0")
bad("riccati.closed_form", "times", "negative", lambda: cf(Y0, U0, V0, [-1.0, 0.0]), "t")
bad("riccati.closed_form", "times", "unsorted", lambda: cf(Y0, U0, V0, [0.0, 2.0, 1.0]), "t")
bad("riccati.closed_form", "times", "2-D", lambda: cf(Y0, U0, V0, np.ones((2, 2))), "t")
bad("riccati.closed_form", "times", "0-D", lambda: cf(Y0, U0, V0, 1.0), "t")
bad("riccati.closed_form", "times", "empty", lambda: cf(Y0, U0, V0, []), "t")
bad("riccati.closed_form", "nonfinite", "inf-in-list-t", lambda: cf(Y0, U0, V0, [0.0, float("inf")]), "t")
bad("riccati.closed_form", "nonfinite", "squares-overflow", lambda: cf(np.eye(2), 1e200 * np.eye(2), 1e200 * np.eye(2), T), "U0")
bad("riccati.closed_form", "value", "zero-rtol", lambda: cf(Y0, U0, V0, T, rtol=0.0), "rtol")
bad("riccati.closed_form", "value", "rtol-one-accepts-anything", lambda: cf(np.eye(2), np.diag([1.0, 2.0]), np.eye(2), T, rtol=1.0), "rtol")
bad("riccati.closed_form", "type", "str-in-list-t", lambda: cf(Y0, U0, V0, [0.0, "1"]), "t")

# ---------------------------------------------------------------------------------------
# strategies

signs = st.sampled_from([-1.0, 1.0])


def balanced_start(rng, m, n, k, scale):
    """U0 = O_m B, V0 = O_n B (orthonormal columns O, B of rank r = min(m, n, k)): lambda = 0."""
    r = min(m, n, k)
    B = np.sqrt(scale) * rng.standard_normal((r, k))
    Om = np.linalg.qr(rng.standard_normal((m, r)))[0]
    On = np.linalg.qr(rng.standard_normal((n, r)))[0]
    return Om @ B, On @ B


@st.composite
def riccati_problems(draw, kmax=12, nmax=4):
    m, n = draw(st.integers(1, nmax)), draw(st.integers(1, nmax))
    scale = 10.0 ** draw(st.floats(-6.0, 4.0))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    sign = draw(st.sampled_from([0.0, 1.0, -1.0]))
    lam = sign * scale * 10.0 ** draw(st.floats(-3.0, 3.0))
    p = min(m, n)
    if sign == 0.0:
        k = draw(st.integers(p, max(p, kmax)))
        U, V = balanced_start(rng, m, n, k, scale)
    else:
        k = draw(st.integers(p, m if sign > 0 else n))
        U, V = riccati.initialization(m, n, k, lam, np.sqrt(scale), rng)
    Y = scale * rng.standard_normal((m, n))
    if draw(st.booleans()) and p > 1:
        Y[:, 0] = 0.0  # rank deficient
    return Y, U, V, lam


def matrix_scale(Y, U, V):
    return max(np.linalg.norm(Y, 2), np.linalg.norm(U, 2) ** 2, np.linalg.norm(V, 2) ** 2)


def stuck(Y, U, V, lam):
    """Balanced, square, det W0 det Y < 0: W can never reach Y, and the exact flow converges
    to a saddle (the best rank n-1 approximation of Y) that an ODE solve leaves later,
    pushed by its round-off (test_closed_forms.py): the ODE is a reference up to 8 / S only."""
    return lam == 0.0 and Y.shape[0] == Y.shape[1] and np.linalg.det(U @ V.T) * np.linalg.det(Y) <= 0


# ---------------------------------------------------------------------------------------
# properties


@edges.covers("riccati.closed_form", "riccati.initialization")
@given(problem=riccati_problems())
def test_closed_form_matches_lsoda_up_to_t_1e6(problem):
    Y, U, V, lam = problem
    S = matrix_scale(Y, U, V)
    short = np.minimum(np.array([0.0, 0.05, 0.5, 2.0, 8.0]) / S, 1e6)
    t = np.unique(np.concatenate([short, [1e3 / S if 1e3 / S < 1e6 else 1e6, 1e6]]))
    W = riccati.closed_form(Y, U, V, t)
    assert W.shape == (t.size,) + Y.shape and np.all(np.isfinite(W))
    t_ode = np.unique(short) if stuck(Y, U, V, lam) else t
    _, _, W_ref = reference_flow(Y, U, V, t_ode, atol=1e-15 * np.sqrt(S))
    # LSODA at rtol 1e-12: 1e-9 S (the convention of test_closed_forms.py)
    assert np.max(np.abs(W[np.searchsorted(t, t_ode)] - W_ref)) <= 1e-9 * S


@edges.covers("riccati.closed_form", "riccati.homogeneous_imbalance")

@given(
    m=st.integers(1, 6),
    n=st.integers(1, 6),
    extra=st.one_of(st.integers(0, 3), st.integers(4, 200)),
    seed=st.integers(0, 2**32 - 1),
    exp=st.floats(-6.0, 4.0),
)
def test_balanced_wide_starts_are_rotation_invariant(m, n, extra, seed, exp):
    rng = np.random.default_rng(seed)
    scale = 10.0**exp
    k = min(m, n) + extra
    U, V = balanced_start(rng, m, n, k, scale)
    Y = scale * rng.standard_normal((m, n))
    S = matrix_scale(Y, U, V)
    # lambda = 0 to the round-off of the Gram matrices, ~k eps (||U||^2 + ||V||^2)
    lam = riccati.homogeneous_imbalance(U, V)
    assert abs(lam) <= 4 * k * EPS * S
    # W = U V^T and the flow are invariant under Z -> Z O, O orthogonal (k x k)
    O = spectral.random_orthogonal(k, rng)
    assert abs(riccati.homogeneous_imbalance(U @ O, V @ O) - lam) <= 8 * k * EPS * S
    t = np.array([0.0, 0.5 / S, 4.0 / S, 1e6])
    t = np.unique(np.minimum(t, 1e6))
    W = riccati.closed_form(Y, U, V, t)
    W_rot = riccati.closed_form(Y, U @ O, V @ O, t)
    assert np.all(np.isfinite(W)) and np.all(np.isfinite(W_rot))
    # the docstring's 4e-15 relative agreement between closed forms, with room for the
    # round-off of the rotation (k eps): 1e-12 S
    assert np.max(np.abs(W - W_rot)) <= 1e-12 * S
    # at t = 0 it is U0 V0^T
    assert np.max(np.abs(W[0] - U @ V.T)) <= 1e-12 * S
    # a start that is not homogeneous (U0[0, 0] moved by 1e-3 sqrt(S): its imbalance moves
    # by at least 1e-6 S in one diagonal entry only, far above rtol = 1e-10) is refused,
    # naming U0, V0 (with k = 1 every start is homogeneous)
    if k > 1:
        bumped = U.copy()
        bumped[0, 0] += 1e-3 * np.sqrt(S) * (1.0 if bumped[0, 0] >= 0 else -1.0)
        try:
            riccati.closed_form(Y, bumped, V, t)
        except ValueError as err:
            assert "U0, V0" in str(err)
        else:
            raise AssertionError("a start that is not homogeneous was accepted")


@edges.covers("riccati.initialization", "riccati.homogeneous_imbalance", "riccati.riccati_rhs", "riccati.stacked_matrix")

@given(
    m=st.one_of(st.integers(1, 6), st.integers(50, 200)),
    n=st.one_of(st.integers(1, 6), st.integers(50, 200)),
    seed=st.integers(0, 2**32 - 1),
    exp=st.floats(-6.0, 4.0),
    sign=st.sampled_from([0.0, 1.0, -1.0]),
    rel=st.floats(-3.0, 3.0),
    data=st.data(),
)
def test_initialization_riccati_form_and_vector_field(m, n, seed, exp, sign, rel, data):
    rng = np.random.default_rng(seed)
    scale = 10.0**exp
    lam = sign * scale * 10.0**rel
    kmax = m if lam >= 0 else n
    k = data.draw(st.integers(min(m, n, kmax), kmax), label="k")
    U, V = riccati.initialization(m, n, k, lam, np.sqrt(scale), rng)
    assert U.shape == (m, k) and V.shape == (n, k) and np.all(np.isfinite(U)) and np.all(np.isfinite(V))
    gram = np.linalg.norm(U, 2) ** 2 + np.linalg.norm(V, 2) ** 2
    # U^T U - V^T V = lam I: round-off of the Gram matrices and of the square root, a few
    # (m + n) eps of their scale
    tol = 8 * (m + n) * EPS * gram
    assert np.max(np.abs(U.T @ U - V.T @ V - lam * np.eye(k))) <= tol
    assert abs(riccati.homogeneous_imbalance(U, V) - lam) <= tol
    if max(m, n) > 20:
        return  # the Riccati form below is (m + n) x (m + n)
    # stacked_matrix: the stated blocks, and eigenvalues +-sqrt(lam^2/4 + sigma_i^2) and
    # +-lam/2 for the surplus dimensions (independent SVD of Y); eigvalsh is backward stable,
    # errors <= c (m + n) eps ||A||_2
    Y = scale * rng.standard_normal((m, n))
    A = riccati.stacked_matrix(Y, lam)
    assert A.shape == (m + n, m + n)
    np.testing.assert_array_equal(A, A.T)
    np.testing.assert_array_equal(A[:m, m:], Y)
    np.testing.assert_array_equal(A[:m, :m], 0.5 * lam * np.eye(m))
    np.testing.assert_array_equal(A[m:, m:], -0.5 * lam * np.eye(n))
    s = np.linalg.svd(Y, compute_uv=False)
    mu = np.sqrt(lam**2 / 4 + s**2)
    surplus = [lam / 2] * (m - n) if m > n else [-lam / 2] * (n - m)
    expected = np.sort(np.concatenate([mu, -mu, surplus]))
    normA = abs(lam) / 2 + s[0]
    assert np.max(np.abs(np.linalg.eigvalsh(A) - expected)) <= 8 * (m + n) * EPS * normA
    # riccati_rhs(Q, A) is d/dt (Z Z^T) along the gradient flow, Z' = [E V; E^T U] with
    # E = Y - U V^T (the notation page; this needs U^T U - V^T V = lam I): round-off of
    # products of size (||A|| + ||Q||) ||Q||, plus the imbalance's own round-off times ||Q||
    Z = np.concatenate([U, V])
    Q = Z @ Z.T
    Q = 0.5 * (Q + Q.T)
    E = Y - U @ V.T
    Zdot = np.concatenate([E @ V, E.T @ U])
    flow = Zdot @ Z.T + Z @ Zdot.T
    normQ = np.linalg.norm(Q, 2)
    err = np.max(np.abs(riccati.riccati_rhs(Q, A) - flow))
    assert err <= 16 * (m + n + k) * EPS * (normA + normQ) * normQ + tol * normQ
