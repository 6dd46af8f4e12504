"""overparam.riccati: the Riccati closed form under homogeneous imbalance.

Ranges: Y from 1 x 1 to 6 x 6 (rectangular both ways; to 200 rows or columns where no ODE
is solved), entries at a scale 1e-6 .. 1e4, sometimes rank deficient; imbalance lambda = 0
exactly, or of either sign from 1e-3 to 1e3 times the scale; widths from min(m, n) to the
largest the sign of lambda allows (k <= m for lambda > 0, k <= n for lambda < 0), and to 200
for balanced starts; times from 0 to 1e6.

References, none of them the code under test: ``conftest.reference_flow`` (LSODA on the
(U, V) flow), scipy's ``solve_ivp`` (LSODA) written here, ``overparam.flow.gradient_flow``
and ``overparam.spectral.closed_form`` (an independent closed form), exact limits (Y, or the
best rank n - 1 approximation of Y for a start that cannot reach it), and the invariance of
the flow under Z -> Z O for orthogonal O.

Tolerances: against an ODE solve at rtol 1e-12, max entry of ``|W - W_ref| <= 1e-9 * S``
with ``S = max(||Y||_2, ||U0||_2^2, ||V0||_2^2)``; two closed forms, ``1e-12 * S``.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import edges
from conftest import reference_flow
from overparam import riccati, spectral
from overparam.flow import gradient_flow

EPS = np.finfo(float).eps
T = np.array([0.0, 0.5, 2.0])
Y0 = np.array([[2.0, 0.5, 0.0], [0.3, 1.0, 0.2]])
U0, V0 = riccati.initialization(2, 3, 2, 0.5, 0.7, np.random.default_rng(3))

CALLS = {
    "riccati.initialization": edges.call(riccati.initialization, 2, 3, 2, 0.5, 0.7, np.random.default_rng(3)),
    "riccati.closed_form": edges.call(riccati.closed_form, Y0, U0, V0, T, rtol=1e-10),
}


def rng0():
    return np.random.default_rng(0)


# ---------------------------------------------------------------------------------------
# bad input that the mechanical mutants of tests/package/test_api.py do not derive

cf, ini = riccati.closed_form, riccati.initialization


@pytest.mark.parametrize(
    "thunk, argument, error",
    [
        (lambda: ini(3, 5, 4, 1.0, 0.5, rng0()), "k", ValueError),  # lambda > 0 needs k <= m
        (lambda: ini(3, 5, 4, 0.0, 0.5, rng0()), "k", ValueError),  # so does lambda = 0 here
        (lambda: ini(5, 3, 4, -1.0, 0.5, rng0()), "k", ValueError),  # lambda < 0 needs k <= n
        (lambda: ini(3, 3, 2, 1.0, 0.0, rng0()), "scale", ValueError),
        (lambda: ini(3, 3, 2, 1.0, -0.5, rng0()), "scale", ValueError),
        (lambda: ini(0, 3, 1, 1.0, 0.5, rng0()), "m", ValueError),
        (lambda: ini(3, 0, 1, 1.0, 0.5, rng0()), "n", ValueError),
        (lambda: ini(3, 3, 0, 1.0, 0.5, rng0()), "k", ValueError),
        (lambda: ini(np.float64(3.0), 3, 2, 1.0, 0.5, rng0()), "m", TypeError),
        (lambda: ini(3, 3, 2, 1.0, 0.5, np.random.PCG64(0)), "rng", TypeError),
        (lambda: ini(3, 3, 2, [1.0], 0.5, rng0()), "lam", TypeError),
        (lambda: ini(2, 2, 2, 1e300, 1e200, rng0()), "scale", ValueError),  # the Gram matrix overflows
        (lambda: cf(Y0, np.ones((3, 2)), V0, T), "U0", ValueError),
        (lambda: cf(Y0, U0, np.ones((2, 2)), T), "V0", ValueError),
        (lambda: cf(Y0, U0, V0[:, :1], T), "V0", ValueError),
        (lambda: cf(np.eye(2), np.diag([1.0, 2.0]), np.eye(2), T), "U0", ValueError),  # not homogeneous
        (lambda: cf(Y0, np.eye(2), np.array([[1.0, 2.0], [0.0, 1.0], [0.0, 0.0]]), T), "U0", ValueError),
        (lambda: cf(Y0, U0 + 1e-6 * np.eye(2), V0, T), "V0", ValueError),  # off by 1e-6
        # k = 2 > m = 1 with lambda > 0: impossible, and the message says why
        (lambda: cf(np.ones((1, 2)), np.array([[2.0, 0.0]]), np.array([[1.0, 0.0], [0.0, 0.0]]), T), "U0", ValueError),
        (lambda: cf(np.ones((2, 1)), np.array([[1.0, 0.0], [0.0, 0.0]]), np.array([[2.0, 0.0]]), T), "V0", ValueError),
        (lambda: cf(Y0, U0, V0, [-1.0, 0.0]), "t", ValueError),
        (lambda: cf(Y0, U0, V0, [0.0, 2.0, 1.0]), "t", ValueError),
        (lambda: cf(Y0, U0, V0, 1.0), "t", ValueError),
        (lambda: cf(Y0, U0, V0, []), "t", ValueError),
        (lambda: cf(np.eye(2), 1e200 * np.eye(2), 1e200 * np.eye(2), T), "U0", ValueError),  # squares overflow
        (lambda: cf(Y0, U0, V0, T, rtol=0.0), "rtol", ValueError),
        (lambda: cf(np.eye(2), np.diag([1.0, 2.0]), np.eye(2), T, rtol=1.0), "rtol", ValueError),
    ],
)
def test_bad_input_is_rejected_by_name(thunk, argument, error):
    edges.rejects(thunk, argument, error)


def test_the_width_message_says_why():
    with pytest.raises(ValueError, match="k = 2 > m = 1"):
        cf(np.ones((1, 2)), [[2.0, 0.0]], [[1.0, 0.0], [0.0, 0.0]], [0.0])


# ---------------------------------------------------------------------------------------
# strategies and references

signs = st.sampled_from([-1.0, 1.0])


def balanced_start(rng, m, n, k, scale):
    """U0 = O_m B, V0 = O_n B (orthonormal columns O, B of rank r = min(m, n, k)): lambda = 0."""
    r = min(m, n, k)
    B = np.sqrt(scale) * rng.standard_normal((r, k))
    Om = np.linalg.qr(rng.standard_normal((m, r)))[0]
    On = np.linalg.qr(rng.standard_normal((n, r)))[0]
    return Om @ B, On @ B


def homogeneous_init(rng, m, n, k, lam, scale):
    """(U0, V0) with U0^T U0 - V0^T V0 = lam I_k, built here (not by riccati.initialization)."""

    def orth(rows, cols):
        return np.linalg.qr(rng.standard_normal((rows, cols)))[0][:, :cols]

    def sqrtm(C):
        w, E = np.linalg.eigh(C)
        return E @ np.diag(np.sqrt(np.maximum(w, 0.0))) @ E.T

    if lam > 0:
        V = np.sqrt(scale) * rng.standard_normal((n, k))
        return orth(m, k) @ sqrtm(lam * np.eye(k) + V.T @ V), V
    if lam < 0:
        U = np.sqrt(scale) * rng.standard_normal((m, k))
        return U, orth(n, k) @ sqrtm(-lam * np.eye(k) + U.T @ U)
    return balanced_start(rng, m, n, k, scale)


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
        if draw(st.booleans()):
            U, V = riccati.initialization(m, n, k, lam, np.sqrt(scale), rng)
        else:
            U, V = homogeneous_init(rng, m, n, k, lam, scale)
    Y = scale * rng.standard_normal((m, n))
    if draw(st.booleans()) and p > 1:
        Y[:, 0] = 0.0  # rank deficient
    return Y, U, V, lam


def matrix_scale(Y, U, V):
    return max(np.linalg.norm(Y, 2), np.linalg.norm(U, 2) ** 2, np.linalg.norm(V, 2) ** 2, 1e-300)


def stuck(Y, U, V, lam):
    """Balanced, square, det W0 det Y < 0: W can never reach Y, and the exact flow converges
    to a saddle (the best rank n-1 approximation of Y) that an ODE solve leaves later,
    pushed by its round-off: the ODE is a reference up to 8 / S only."""
    return lam == 0.0 and Y.shape[0] == Y.shape[1] and np.linalg.det(U @ V.T) * np.linalg.det(Y) <= 0


def ode_matrix(Y, U, V, t):
    """W = U V^T from conftest's independent LSODA solve, absolute tolerance 1e-15 times the scale."""
    return reference_flow(Y, U, V, t, atol=1e-15 * max(np.linalg.norm(U, 2), np.linalg.norm(V, 2), 1e-300))[2]


def gram_imbalance(U, V):
    Lam = U.T @ U - V.T @ V
    lam = np.trace(Lam) / Lam.shape[0]
    return lam, np.linalg.norm(Lam - lam * np.eye(Lam.shape[0]), 2)


# ---------------------------------------------------------------------------------------
# properties


def check_against_lsoda(problem):
    Y, U, V, lam = problem
    S = matrix_scale(Y, U, V)
    short = np.minimum(np.array([0.0, 0.05, 0.5, 2.0, 8.0]) / S, 1e6)
    t = np.unique(np.concatenate([short, [1e3 / S if 1e3 / S < 1e6 else 1e6, 1e6]]))
    W = riccati.closed_form(Y, U, V, t)
    assert W.shape == (t.size,) + Y.shape and np.all(np.isfinite(W))
    t_ode = np.unique(short) if stuck(Y, U, V, lam) else t
    _, _, W_ref = reference_flow(Y, U, V, t_ode, atol=1e-15 * np.sqrt(S))
    # LSODA at rtol 1e-12: 1e-9 S
    assert np.max(np.abs(W[np.searchsorted(t, t_ode)] - W_ref)) <= 1e-9 * S


@given(problem=riccati_problems())
def test_closed_form_matches_lsoda_up_to_t_1e6(problem):
    check_against_lsoda(problem)


@pytest.mark.sweep
@settings(max_examples=edges.examples(200))
@given(problem=riccati_problems())
def test_closed_form_matches_lsoda_up_to_t_1e6_sweep(problem):
    check_against_lsoda(problem)


def check_rotation_invariance(m, n, extra, seed, exp):
    rng = np.random.default_rng(seed)
    scale = 10.0**exp
    k = min(m, n) + extra
    U, V = balanced_start(rng, m, n, k, scale)
    Y = scale * rng.standard_normal((m, n))
    S = matrix_scale(Y, U, V)
    # W = U V^T and the flow are invariant under Z -> Z O, O orthogonal (k x k)
    O = spectral.random_orthogonal(k, rng)
    t = np.unique(np.minimum(np.array([0.0, 0.5 / S, 4.0 / S, 1e6]), 1e6))
    W = riccati.closed_form(Y, U, V, t)
    W_rot = riccati.closed_form(Y, U @ O, V @ O, t)
    assert np.all(np.isfinite(W)) and np.all(np.isfinite(W_rot))
    # the docstring's few 1e-15 relative agreement between closed forms, with room for the
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
        with pytest.raises(ValueError, match="U0, V0"):
            riccati.closed_form(Y, bumped, V, t)


@given(
    m=st.integers(1, 6),
    n=st.integers(1, 6),
    extra=st.integers(0, 12),
    seed=st.integers(0, 2**32 - 1),
    exp=st.floats(-6.0, 4.0),
)
def test_balanced_wide_starts_are_rotation_invariant(m, n, extra, seed, exp):
    check_rotation_invariance(m, n, extra, seed, exp)


@pytest.mark.sweep
@settings(max_examples=edges.examples(100))
@given(
    m=st.integers(1, 6),
    n=st.integers(1, 6),
    extra=st.one_of(st.integers(0, 3), st.integers(4, 200)),
    seed=st.integers(0, 2**32 - 1),
    exp=st.floats(-6.0, 4.0),
)
def test_balanced_wide_starts_are_rotation_invariant_sweep(m, n, extra, seed, exp):
    check_rotation_invariance(m, n, extra, seed, exp)


def check_initialization(m, n, seed, exp, sign, rel, data):
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
    # the factor that is not Gaussian is O C^{1/2}, C = G^T G + |lam| I, with orthonormal
    # columns O (checked where C is well conditioned)
    G = V if lam >= 0 else U
    F = U if lam >= 0 else V
    w, E = np.linalg.eigh(G.T @ G + abs(lam) * np.eye(k))
    if w[0] > 1e-6 * w[-1]:
        O = F @ (E / np.sqrt(w)) @ E.T
        assert np.max(np.abs(O.T @ O - np.eye(k))) <= 1e-8


@given(
    m=st.integers(1, 6),
    n=st.integers(1, 6),
    seed=st.integers(0, 2**32 - 1),
    exp=st.floats(-6.0, 4.0),
    sign=st.sampled_from([0.0, 1.0, -1.0]),
    rel=st.floats(-3.0, 3.0),
    data=st.data(),
)
def test_initialization_has_the_requested_imbalance(m, n, seed, exp, sign, rel, data):
    check_initialization(m, n, seed, exp, sign, rel, data)


@pytest.mark.sweep
@settings(max_examples=edges.examples(100))
@given(
    m=st.one_of(st.integers(1, 6), st.integers(50, 200)),
    n=st.one_of(st.integers(1, 6), st.integers(50, 200)),
    seed=st.integers(0, 2**32 - 1),
    exp=st.floats(-6.0, 4.0),
    sign=st.sampled_from([0.0, 1.0, -1.0]),
    rel=st.floats(-3.0, 3.0),
    data=st.data(),
)
def test_initialization_has_the_requested_imbalance_sweep(m, n, seed, exp, sign, rel, data):
    check_initialization(m, n, seed, exp, sign, rel, data)


def test_blocks_of_times_agree_with_single_times():
    # closed_form evaluates all times together, by blocks: each time alone gives the same W
    rng = np.random.default_rng(21)
    Y = rng.standard_normal((5, 4))
    U, V = riccati.initialization(5, 4, 3, 0.8, 0.5, rng)
    t = np.concatenate([np.linspace(0.0, 5.0, riccati.TIME_BLOCK + 37), [1e3, 1e6]])
    W = riccati.closed_form(Y, U, V, t)
    S = matrix_scale(Y, U, V)
    for i in (0, 1, riccati.TIME_BLOCK - 1, riccati.TIME_BLOCK, t.size - 3, t.size - 1):
        assert np.max(np.abs(W[i] - riccati.closed_form(Y, U, V, t[i : i + 1])[0])) <= 1e-14 * S


def test_matches_gradient_flow():
    rng = np.random.default_rng(12)
    for m, n, k, lam in [(3, 3, 3, 0.0), (4, 2, 3, 1.0), (2, 4, 2, -0.5)]:
        Y = rng.standard_normal((m, n))
        U, V = homogeneous_init(rng, m, n, k, lam, 1.0)
        S = matrix_scale(Y, U, V)
        t = np.array([0.0, 0.1, 0.5, 1.0, 2.0, 4.0, 8.0]) / S
        W2 = gradient_flow(Y, U, V, t, rtol=1e-12, atol=1e-14 * S).W
        assert np.max(np.abs(riccati.closed_form(Y, U, V, t) - W2)) <= 1e-9 * S


@pytest.mark.parametrize(
    "m, n, k, lam", [(3, 3, 3, 1.0), (3, 2, 3, 0.5), (4, 2, 2, 2.0), (2, 4, 4, -1.0), (2, 4, 2, -3.0)]
)
def test_reaches_the_limit_y(m, n, k, lam):
    # sigma_min(Y) >= 0.5 and lambda != 0: every rate is at least 0.05, so at t = 1e3 the
    # flow has reached its limit W = Y to round-off (k >= min(m, n), generic start).
    rng = np.random.default_rng(m + 10 * n + 100 * k)
    Phi, Psi = spectral.random_orthogonal(m, rng), spectral.random_orthogonal(n, rng)
    Sigma = np.zeros((m, n))
    Sigma[np.arange(min(m, n)), np.arange(min(m, n))] = np.linspace(2.0, 0.5, min(m, n))
    Y = Phi @ Sigma @ Psi.T
    U, V = homogeneous_init(rng, m, n, k, lam, 1.0)
    W = riccati.closed_form(Y, U, V, [1e3, 1e6])
    assert np.max(np.abs(W - Y)) / matrix_scale(Y, U, V) <= 1e-13


def test_agrees_with_the_spectral_closed_form_where_both_apply():
    # A spectral initialization with the same imbalance lambda in every column is
    # homogeneous; it includes a saddle mode (u = v = 0 for lambda = 0) and modes that
    # start on the wrong side (x0 y < 0), so the Riccati form must not let round-off grow.
    rng = np.random.default_rng(7)
    cases = []
    Y = rng.standard_normal((4, 3))
    cases.append((Y, 4, [1.0, 0.0, -0.6, 0.0], [1.0, 0.0, 0.6]))  # lambda = 0, k = 4 > n
    cases.append((Y, 3, [np.sqrt(2.0), np.sqrt(1.25), 1.0], [1.0, -0.5, 0.0]))  # lambda = 1
    cases.append((Y.T, 3, [0.5, 0.0, 1.0], [np.sqrt(4.25), -2.0, np.sqrt(5.0)]))  # lambda = -4, k = m
    cases.append((np.diag([2.0, 2.0, 0.0]), 3, [0.3, -0.3, 0.8], [0.3, 0.3, 0.8]))  # repeated and zero sigma
    t = np.array([0.0, 0.1, 1.0, 5.0, 30.0, 1e3, 1e6])
    for Y, k, s_u, s_v in cases:
        U, V = spectral.initialization(Y, k, s_u, s_v, O=spectral.random_orthogonal(k, rng))
        W1 = spectral.closed_form(Y, U, V, t)
        W2 = riccati.closed_form(Y, U, V, t)
        assert np.max(np.abs(W1 - W2)) / matrix_scale(Y, U, V) <= 1e-12


def test_degenerate_cases():
    rng = np.random.default_rng(3)
    # Z0 = 0 stays at 0; Y = 0 with imbalance: W decays
    assert np.all(riccati.closed_form(np.ones((2, 3)), np.zeros((2, 2)), np.zeros((3, 2)), [0.0, 1e3]) == 0.0)
    for Y, (U, V) in [
        (np.zeros((3, 2)), homogeneous_init(rng, 3, 2, 2, 1.0, 1.0)),
        (np.array([[1.0, 0.0], [0.0, 0.0]]), homogeneous_init(rng, 2, 2, 2, 0.0, 1.0)),  # 1/t decay
        (rng.standard_normal((3, 2)), homogeneous_init(rng, 3, 2, 3, 1e-9, 1.0)),  # lambda ~ 0, k = m > n
    ]:
        t = np.array([0.0, 0.5, 2.0, 10.0, 100.0, 1e3])
        W = riccati.closed_form(Y, U, V, t)
        assert np.max(np.abs(W - ode_matrix(Y, U, V, t))) / matrix_scale(Y, U, V) <= 1e-9


def test_balanced_square_start_with_the_wrong_determinant_sign_gets_stuck():
    # U0 = B, V0 = diag(1, -1) B is balanced with det W0 = -det(B)^2 < 0 < det Y: W can
    # never reach Y, and the exact flow converges to the saddle diag(2, 0), the best
    # rank-one approximation of Y. (An ODE solver follows it until round-off, grown like
    # e^{(sigma_1 + sigma_2) t}, pushes it off, so it is compared only up to t = 8 / S.)
    rng = np.random.default_rng(8)
    Y = np.diag([2.0, 1.0])
    B = rng.standard_normal((2, 2))
    U, V = B, np.diag([1.0, -1.0]) @ B
    S = matrix_scale(Y, U, V)
    t = np.array([0.0, 0.05, 0.2, 0.5, 1.0, 2.0, 4.0, 8.0]) / S
    W = riccati.closed_form(Y, U, V, t)
    assert np.max(np.abs(W - ode_matrix(Y, U, V, t))) / S <= 1e-9
    W = riccati.closed_form(Y, U, V, [1e3, 1e6])
    assert np.max(np.abs(W - np.diag([2.0, 0.0]))) / S <= 1e-12
