"""overparam.spectral: spectral initializations and their closed-form flow.

Ranges: Y from 1 x 1 to 5 x 5 (rectangular both ways) with singular values at a scale
1e-6 .. 1e4, repeated and zero ones; factor entries s_u, s_v at an independent scale (their
squares 1e-6 .. 1e4, so the imbalance ranges from 0 to 1e10 times ||Y||), exactly balanced
modes, zero modes; widths k from min(m, n) to 30 for the ODE comparisons and to 200 where
no ODE is solved; times from 0 to 1e6.

References, none of them the code under test: ``conftest.reference_flow`` (LSODA on the
(U, V) flow), scipy's ``solve_ivp`` (LSODA) written here, numpy's SVD / eigh of the results,
the exact limits of the modes, ``overparam.scalar.closed_form`` per mode, and the stated
formulas (U0 = Phi S_U O^T, ...) rebuilt here. The recogniser of spectral starts is the
private ``overparam._spectral_modes.find_modes``.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import edges
from conftest import reference_flow
from overparam import scalar, spectral
from overparam._spectral_modes import find_modes

EPS = np.finfo(float).eps
T = np.array([0.0, 0.5, 2.0])
Y0 = np.array([[2.0, 0.5, 0.0], [0.3, 1.0, 0.2]])
O0 = spectral.random_orthogonal(3, np.random.default_rng(1))
SU, SV = np.array([1.0, 0.5]), np.array([0.7, 0.2, 0.0])
U0, V0 = spectral.initialization(Y0, 3, SU, SV, O=O0)

CALLS = {
    "spectral.initialization": edges.call(spectral.initialization, Y0, 3, SU, SV, O=O0),
    "spectral.random_orthogonal": edges.call(spectral.random_orthogonal, 3, np.random.default_rng(2)),
    "spectral.mode_trajectories": edges.call(spectral.mode_trajectories, Y0, U0, V0, T, rtol=1e-10),
    "spectral.closed_form": edges.call(spectral.closed_form, Y0, U0, V0, T, rtol=1e-10),
}

# ---------------------------------------------------------------------------------------
# bad input that the mechanical mutants of tests/package/test_api.py do not derive

init = spectral.initialization


@pytest.mark.parametrize(
    "thunk, argument, error",
    [
        (lambda: init(Y0, 3, [1.0, 0.5, 0.2], SV), "s_u", ValueError),
        (lambda: init(Y0, 3, SU, [0.7, 0.2]), "s_v", ValueError),
        (lambda: init(Y0, 3, SU[None, :], SV), "s_u", ValueError),
        (lambda: init(Y0, 2, SU, SV), "s_v", ValueError),  # s_v needs min(n, k) entries
        (lambda: init(np.ones((0, 3)), 3, SU, SV), "Y", ValueError),
        (lambda: init(Y0, 3, SU, SV, O=np.eye(2)), "O", ValueError),
        (lambda: init(Y0, 3, SU, SV, O=np.eye(3)[:, :2]), "O", ValueError),
        (lambda: init(Y0, 3, SU, SV, O=2.0 * np.eye(3)), "O", ValueError),  # not orthogonal
        (lambda: init(Y0, 3, SU, SV, O=O0 + 1e-8), "O", ValueError),  # nearly orthogonal
        (lambda: init(Y0, 0, [], []), "k", ValueError),
        (lambda: init(Y0, -2, SU, SV), "k", ValueError),
        (lambda: init(Y0, 3, [1.0, "a"], SV), "s_u", TypeError),
        (lambda: spectral.random_orthogonal(0, np.random.default_rng(0)), "k", ValueError),
        (lambda: spectral.random_orthogonal(3, np.random.PCG64(0)), "rng", TypeError),
        (lambda: spectral.random_orthogonal(np.float64(3.0), np.random.default_rng(0)), "k", TypeError),
    ],
)
def test_initialization_bad_input_is_rejected_by_name(thunk, argument, error):
    edges.rejects(thunk, argument, error)


RNG = np.random.default_rng(3)
NOT_SPECTRAL = {
    "random": (np.diag([3.0, 1.0]), RNG.standard_normal((2, 2)), RNG.standard_normal((2, 2))),
    # U0 = Phi S_U, V0 = Psi S_V P with a permutation P != I
    "swapped-modes": (np.diag([3.0, 1.0]), np.diag([1.0, 2.0]), np.array([[0.0, 1.0], [3.0, 0.0]])),
    "off-by-1e-6": (Y0, U0 + 1e-6 * RNG.standard_normal(U0.shape), V0),
    "wrong-basis-of-Y": (Y0.T, V0, U0[:, ::-1]),
}
# W0 = 0, U0^T phi_1 orthogonal to V0^T psi_1: mode 1 is not rank one
NOT_RANK_ONE = (np.array([[1.0]]), np.array([[1.0, 0.0]]), np.array([[0.0, 1.0]]))
CLOSED = {"closed_form": spectral.closed_form, "mode_trajectories": spectral.mode_trajectories}


@pytest.mark.parametrize("name", sorted(CLOSED))
@pytest.mark.parametrize(
    "args, kw, argument",
    [
        ((Y0, np.ones((3, 3)), V0), {}, "U0"),
        ((Y0, U0, np.ones((2, 3))), {}, "V0"),
        ((Y0, U0, V0[:, :2]), {}, "V0"),
        *[(args, {}, "U0") for args in NOT_SPECTRAL.values()],
        (NOT_RANK_ONE, {}, "V0"),
        ((Y0, U0, V0), {"rtol": 0.0}, "rtol"),
        (NOT_SPECTRAL["random"], {"rtol": 1.0}, "rtol"),  # rtol = 1 would accept anything
        ((np.eye(2), 1e200 * np.eye(2), 1e200 * np.eye(2)), {}, "U0"),  # squares overflow
    ],
)
def test_closed_forms_reject_bad_starts_by_name(name, args, kw, argument):
    edges.rejects(lambda: CLOSED[name](*args, T, **kw), argument)


@pytest.mark.parametrize("name", sorted(CLOSED))
@pytest.mark.parametrize("t", [[-1.0, 0.0], [0.0, 2.0, 1.0], [], 1.0], ids=["negative", "unsorted", "empty", "0-D"])
def test_closed_forms_reject_bad_times(name, t):
    edges.rejects(lambda: CLOSED[name](Y0, U0, V0, t), "t")


def test_the_message_says_what_is_not_spectral():
    with pytest.raises(ValueError, match=r"\(U0, V0\) is not a spectral initialization"):
        spectral.closed_form(*NOT_SPECTRAL["swapped-modes"], [0.0, 1.0])


# ---------------------------------------------------------------------------------------
# strategies and references

signs = st.sampled_from([-1.0, 1.0])


@st.composite
def spectral_problems(draw, kmax=30):
    """(Y, U0, V0, info): a spectral initialization, with the modes it was built from.

    info: Phi, Psi (the bases used), sigma (p,), x0 (p,), lambda0 (p,)."""
    m, n = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    p = min(m, n)
    k = draw(st.integers(p, max(p, kmax)))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    y_scale = 10.0 ** draw(st.floats(-6.0, 4.0))
    f_scale = np.sqrt(10.0 ** draw(st.floats(-6.0, 4.0)))
    sig = []
    for _ in range(p):
        kind = draw(st.sampled_from(["new", "new", "repeat", "zero"]))
        if kind == "repeat" and sig:
            sig.append(sig[-1])
        else:
            sig.append(0.0 if kind == "zero" else y_scale * draw(st.floats(0.1, 3.0)))
    sig = np.sort(np.array(sig))[::-1]
    Sigma = np.zeros((m, n))
    Sigma[np.arange(p), np.arange(p)] = sig

    def entries(size):
        kinds = [draw(st.sampled_from(["random", "random", "zero"])) for _ in range(size)]
        return np.array([0.0 if c == "zero" else f_scale * draw(st.floats(0.1, 2.0)) * draw(signs) for c in kinds])

    s_u, s_v = entries(min(m, k)), entries(min(n, k))
    for i in range(p):  # exactly balanced modes, either sign
        if draw(st.booleans()):
            s_v[i] = draw(signs) * abs(s_u[i])
    O = spectral.random_orthogonal(k, rng)
    if draw(st.booleans()):  # numpy's SVD bases, through initialization
        Y = spectral.random_orthogonal(m, rng) @ Sigma @ spectral.random_orthogonal(n, rng).T
        U, V = spectral.initialization(Y, k, s_u, s_v, O=O)
        Phi, _, PsiT = np.linalg.svd(Y)
        Psi = PsiT.T
    else:  # other SVD bases of Y than numpy's (repeated and zero singular values)
        Phi, Psi = spectral.random_orthogonal(m, rng), spectral.random_orthogonal(n, rng)
        Y = Phi @ Sigma @ Psi.T
        S_U = np.zeros((m, k))
        S_U[np.arange(s_u.size), np.arange(s_u.size)] = s_u
        S_V = np.zeros((n, k))
        S_V[np.arange(s_v.size), np.arange(s_v.size)] = s_v
        U, V = Phi @ S_U @ O.T, Psi @ S_V @ O.T
    info = dict(Phi=Phi, Psi=Psi, sigma=sig, x0=s_u[:p] * s_v[:p], lambda0=s_u[:p] ** 2 - s_v[:p] ** 2)
    return Y, U, V, info


def matrix_scale(Y, U, V):
    """S = max(||Y||_2, ||U0||_2^2, ||V0||_2^2): the size of W and of the rates."""
    return max(np.linalg.norm(Y, 2), np.linalg.norm(U, 2) ** 2, np.linalg.norm(V, 2) ** 2)


def has_saddle(info):
    """A mode that the exact flow holds on the stable manifold of a saddle (balanced with
    x0 sigma <= 0 and sigma > 0): an ODE solve leaves it after sigma t ~ 37, pushed by its
    round-off, so the ODE is a reference only up to t = 8 / S there."""
    return bool(np.any((info["lambda0"] == 0.0) & (info["x0"] * info["sigma"] <= 0.0) & (info["sigma"] > 0.0)))


def mode_limit(sigma, x0, lam, t):
    """x_i(t) at a time t where every exponential has died out (g t >= 50), or None."""
    if lam == 0.0 and sigma == 0.0:
        return x0 / (1.0 + 2.0 * abs(x0) * t)  # algebraic decay (exact formula)
    g = np.hypot(lam, 2.0 * sigma)
    if g * t < 50.0:
        return None
    if lam == 0.0 and x0 * sigma <= 0.0:
        return 0.0  # balanced on the wrong side (or at the saddle): to 0
    return sigma


def ode_matrix(Y, U, V, t):
    """W = U V^T from conftest's independent LSODA solve, absolute tolerance 1e-15 times the scale."""
    return reference_flow(Y, U, V, t, atol=1e-15 * max(np.linalg.norm(U, 2), np.linalg.norm(V, 2), 1e-300))[2]


# ---------------------------------------------------------------------------------------
# properties


def check_against_lsoda_and_limits(problem):
    Y, U, V, info = problem
    S = matrix_scale(Y, U, V)
    saddle = has_saddle(info)
    # times: 0 .. 8 / S (where the flow moves), and 1e6
    short = np.minimum(np.array([0.0, 0.05, 0.5, 2.0, 8.0]) / (S if S > 0 else 1.0), 1e6)  # S = 0: all zero
    t = np.unique(np.concatenate([short, [1e6]]))
    W = spectral.closed_form(Y, U, V, t)
    assert W.shape == (t.size,) + Y.shape and np.all(np.isfinite(W))
    x = spectral.mode_trajectories(Y, U, V, t)
    assert x.shape == (t.size, min(Y.shape)) and np.all(np.isfinite(x))
    # against LSODA (rtol 1e-12): 1e-9 S; past a saddle only up to 8 / S (see has_saddle)
    t_ode = np.unique(short) if saddle else t
    _, _, W_ref = reference_flow(Y, U, V, t_ode, atol=1e-15 * np.sqrt(S) if S > 0 else 1e-30)
    assert np.max(np.abs(W[np.searchsorted(t, t_ode)] - W_ref)) <= 1e-9 * S
    # the modes are the singular values of W(t) (up to sign): 1-Lipschitz in W, same 1e-9 S
    sv = np.linalg.svd(W_ref, compute_uv=False)
    xs = np.sort(np.abs(x[np.searchsorted(t, t_ode)]), axis=1)[:, ::-1]
    assert np.max(np.abs(xs - sv)) <= 1e-9 * S
    # at t = 1e6 the exact limits of the modes built in, where they are reached (g t >= 50):
    # W = Phi diag(limit) Psi^T, to the closed form's 1e-14 S plus the SVD's round-off
    modes_built = zip(info["sigma"], info["x0"], info["lambda0"], strict=True)
    limits = [mode_limit(s, x0, lam, 1e6) for s, x0, lam in modes_built]
    p = min(Y.shape)
    if all(v is not None for v in limits):
        expected = info["Phi"][:, :p] @ np.diag(limits) @ info["Psi"][:, :p].T
        assert np.max(np.abs(W[-1] - expected)) <= 1e-12 * S
    # the modes: the sigma of Y, and bases that make Y, W0, U0 U0^T, V0 V0^T diagonal with
    # the modes' values on the diagonal (round-off of products of orthogonal matrices: 1e-12 S)
    md = find_modes(Y, U, V, 1e-10)
    assert np.max(np.abs(md.sigma - np.linalg.svd(Y, compute_uv=False))) <= 1e-12 * S
    np.testing.assert_allclose(md.rate, np.hypot(md.lambda0, 2.0 * md.sigma), rtol=4 * EPS, atol=0)
    assert np.max(np.abs(md.Phi.T @ md.Phi - np.eye(Y.shape[0]))) <= 1e-12
    assert np.max(np.abs(md.Psi.T @ md.Psi - np.eye(Y.shape[1]))) <= 1e-12
    Yd = md.Phi.T @ Y @ md.Psi
    Wd = md.Phi.T @ U @ V.T @ md.Psi
    lam_d = np.diag(md.Phi.T @ U @ U.T @ md.Phi)[:p] - np.diag(md.Psi.T @ V @ V.T @ md.Psi)[:p]
    for D, d in ((Yd, md.sigma), (Wd, md.x0)):
        assert np.max(np.abs(D[np.arange(p), np.arange(p)] - d)) <= 1e-12 * S
        D = D.copy()
        D[np.arange(p), np.arange(p)] = 0.0
        assert np.max(np.abs(D)) <= 1e-12 * S
    assert np.max(np.abs(lam_d - md.lambda0)) <= 1e-12 * S
    # the multiset of (sigma, lambda0) of the modes that move is the one built in (sorted:
    # ties in sigma are exact in the construction, and lambda0 breaks them). Modes with
    # sigma = x0 = 0 never move and may be paired with any unpaired direction.
    moving = (info["sigma"] > 0) | (info["x0"] != 0)
    built = sorted(zip(np.round(info["sigma"][moving] / S, 9), np.round(info["lambda0"][moving] / S, 9), strict=True))
    moving = (md.sigma > 1e-12 * S) | (np.abs(md.x0) > 1e-12 * S)
    found = sorted(zip(np.round(md.sigma[moving] / S, 9), np.round(md.lambda0[moving] / S, 9), strict=True))
    np.testing.assert_allclose(np.array(found), np.array(built), atol=2e-9)
    # mode_trajectories is W(t) in those bases, and each mode the scalar closed form with
    # y = sigma_i and the x0, lambda0 of the mode (u0, v0 rebuilt from them)
    D = np.einsum("mi,tmn,nj->tij", md.Phi, W, md.Psi)
    assert np.max(np.abs(D[:, np.arange(p), np.arange(p)] - x)) <= 1e-12 * S
    for i in range(p):
        s0 = np.hypot(md.lambda0[i], 2 * md.x0[i])
        u0 = np.sqrt(0.5 * (s0 + md.lambda0[i]))
        v0 = (1.0 if md.x0[i] >= 0 else -1.0) * np.sqrt(max(0.5 * (s0 - md.lambda0[i]), 0.0))
        assert np.max(np.abs(scalar.closed_form(md.sigma[i], u0, v0, t) - x[:, i])) <= 1e-12 * S


@given(problem=spectral_problems())
def test_closed_form_matches_lsoda_and_the_exact_limits(problem):
    check_against_lsoda_and_limits(problem)


@pytest.mark.sweep
@settings(max_examples=edges.examples(200))
@given(problem=spectral_problems())
def test_closed_form_matches_lsoda_and_the_exact_limits_sweep(problem):
    check_against_lsoda_and_limits(problem)


def check_random_orthogonal(k, seed):
    Q = spectral.random_orthogonal(k, np.random.default_rng(seed))
    assert Q.shape == (k, k) and np.all(np.isfinite(Q))
    # Householder QR: ||Q^T Q - I|| <= c k eps with a small c (Higham, Thm 19.4)
    assert np.max(np.abs(Q.T @ Q - np.eye(k))) <= 10 * k * EPS
    # Mezzadri's convention: Q^T G is the R of G = Q R with a POSITIVE diagonal, for the
    # Gaussian G drawn from the same seed (the only randomness used)
    G = np.random.default_rng(seed).standard_normal((k, k))
    Rm = Q.T @ G
    assert np.max(np.abs(np.tril(Rm, -1))) <= 10 * k * EPS * np.linalg.norm(G, 2)
    assert np.all(np.diag(Rm) > 0)
    assert abs(abs(np.linalg.det(Q)) - 1.0) <= 10 * k * EPS


@given(k=st.integers(1, 30), seed=st.integers(0, 2**32 - 1))
def test_random_orthogonal_is_orthogonal_with_the_haar_sign_convention(k, seed):
    check_random_orthogonal(k, seed)


@pytest.mark.sweep
@settings(max_examples=edges.examples(100))
@given(k=st.one_of(st.integers(1, 5), st.integers(6, 200)), seed=st.integers(0, 2**32 - 1))
def test_random_orthogonal_is_orthogonal_with_the_haar_sign_convention_sweep(k, seed):
    check_random_orthogonal(k, seed)


def check_initialization(m, n, extra, seed, y_exp, f_exp, with_O):
    rng = np.random.default_rng(seed)
    k = min(m, n) + extra
    Y = 10.0**y_exp * rng.standard_normal((m, n))
    f = np.sqrt(10.0**f_exp)
    s_u = f * rng.standard_normal(min(m, k))
    s_v = f * rng.standard_normal(min(n, k))
    O = spectral.random_orthogonal(k, rng) if with_O else None
    U, V = spectral.initialization(Y, k, s_u, s_v, O=O)
    assert U.shape == (m, k) and V.shape == (n, k)
    assert np.all(np.isfinite(U)) and np.all(np.isfinite(V))
    O = np.eye(k) if O is None else O
    # U0 O = Phi S_U, V0 O = Psi S_V with the SVD of Y (products of orthogonal matrices:
    # entries exact to ~k eps |s|)
    Phi, _, PsiT = np.linalg.svd(Y)
    S_U = np.zeros((m, k))
    S_U[np.arange(s_u.size), np.arange(s_u.size)] = s_u
    S_V = np.zeros((n, k))
    S_V[np.arange(s_v.size), np.arange(s_v.size)] = s_v
    tol = 1e-12 * f * f
    assert np.max(np.abs(U @ O - Phi @ S_U)) <= 1e-12 * f
    assert np.max(np.abs(V @ O - PsiT.T @ S_V)) <= 1e-12 * f
    # the imbalance is O diag(s_u^2 - s_v^2) O^T (s padded with zeros to k)
    d = np.zeros(k)
    d[: s_u.size] += s_u**2
    d[: s_v.size] -= s_v**2
    assert np.max(np.abs(U.T @ U - V.T @ V - (O * d) @ O.T)) <= tol
    # the singular values of W0 are |s_u,i s_v,i| (independent SVD)
    p = min(m, n)
    expected = np.sort(np.abs(s_u[:p] * s_v[:p]))[::-1]
    assert np.max(np.abs(np.linalg.svd(U @ V.T, compute_uv=False)[:p] - expected)) <= tol
    # and it is recognised as spectral, with those products and imbalances (as multisets)
    md = find_modes(Y, U, V, 1e-10)
    S = matrix_scale(Y, U, V)
    np.testing.assert_allclose(np.sort(np.abs(md.x0)), np.sort(np.abs(s_u[:p] * s_v[:p])), rtol=0, atol=1e-12 * S)
    np.testing.assert_allclose(np.sort(md.lambda0), np.sort(s_u[:p] ** 2 - s_v[:p] ** 2), rtol=0, atol=1e-12 * S)


@given(
    m=st.integers(1, 6),
    n=st.integers(1, 6),
    extra=st.integers(0, 12),
    seed=st.integers(0, 2**32 - 1),
    y_exp=st.floats(-6.0, 4.0),
    f_exp=st.floats(-6.0, 4.0),
    with_O=st.booleans(),
)
def test_initialization_is_the_stated_product(m, n, extra, seed, y_exp, f_exp, with_O):
    check_initialization(m, n, extra, seed, y_exp, f_exp, with_O)


@pytest.mark.sweep
@settings(max_examples=edges.examples(100))
@given(
    m=st.integers(1, 6),
    n=st.integers(1, 6),
    extra=st.one_of(st.integers(0, 3), st.integers(4, 200)),
    seed=st.integers(0, 2**32 - 1),
    y_exp=st.floats(-6.0, 4.0),
    f_exp=st.floats(-6.0, 4.0),
    with_O=st.booleans(),
)
def test_initialization_is_the_stated_product_sweep(m, n, extra, seed, y_exp, f_exp, with_O):
    check_initialization(m, n, extra, seed, y_exp, f_exp, with_O)


def test_degenerate_cases():
    rng = np.random.default_rng(11)
    Phi, Psi = spectral.random_orthogonal(4, rng), spectral.random_orthogonal(3, rng)
    Sigma = np.zeros((4, 3))
    Sigma[[0, 1, 2], [0, 1, 2]] = [2.0, 2.0, 0.0]  # repeated and zero singular values
    Y = Phi @ Sigma @ Psi.T
    O = spectral.random_orthogonal(5, rng)
    S_U = np.zeros((4, 5))
    # mode 0 imbalanced, mode 1 a saddle (u = v = 0) sharing sigma = 2, mode 2 on the null
    # space of Y (y = 0, balanced: algebraic decay), and an unpaired direction phi_4
    S_U[[0, 1, 2, 3], [0, 1, 2, 3]] = [1.5, 0.0, 0.7, 0.9]
    S_V = np.zeros((3, 5))
    S_V[[0, 1, 2], [0, 1, 2]] = [0.2, 0.0, 0.7]
    U, V = Phi @ S_U @ O.T, Psi @ S_V @ O.T
    t = np.array([0.0, 0.5, 1.0, 2.0, 4.0])  # sigma t <= 8: the ODE leaves the saddle later
    W = spectral.closed_form(Y, U, V, t)
    assert np.max(np.abs(W - ode_matrix(Y, U, V, t))) / matrix_scale(Y, U, V) <= 1e-9
    x = spectral.mode_trajectories(Y, U, V, [0.0, 1e6])
    # at t = 1e6: the imbalanced mode reached 2, the saddle stayed at 0, the null mode
    # decays like 0.49 / (1 + 0.98 t). (Its computed sigma_3 is round-off, ~1e-16, not 0,
    # which changes that law by a relative sigma_3 t ~ 1e-10: hence rtol 1e-9 there.)
    # A zero singular value of Y leaves the signs of its singular vectors free: the SVD
    # may return (phi_3, psi_3) or (-phi_3, psi_3), and the mode value phi_3^T W psi_3
    # changes sign with that choice (it does across BLAS kernels). Its absolute value, a
    # singular value of W, and the product x_3 phi_3 psi_3^T in W are determined.
    expected = np.array([2.0, 0.0, 0.49 / (1 + 0.98e6)])
    np.testing.assert_allclose(x[1, :2], expected[:2], rtol=1e-9, atol=1e-300)
    np.testing.assert_allclose(np.abs(x[1, 2]), expected[2], rtol=1e-9)
    # W(1e6) itself, against the singular vectors the test built: Phi diag(x) Psi^T
    # (to 1e-3 of the smallest mode, so that a wrong sign of x_3 phi_3 psi_3^T would show)
    W_late = spectral.closed_form(Y, U, V, [1e6])[0]
    assert np.abs(W_late - Phi[:, :3] @ np.diag(expected) @ Psi.T).max() < 1e-3 * expected[2]
    # Y = 0 and W0 = 0: nothing moves, whatever the (non-aligned) factors are
    assert np.all(spectral.closed_form(np.zeros((1, 1)), [[1.0, 0.0]], [[0.0, 1.0]], [0.0, 1.0]) == 0.0)
    # k < min(m, n): the modes without parameters stay at 0
    U, V = spectral.initialization(Y[:3], 2, [1.0, 1.0], [1.0, 1.0])
    t = np.array([0.0, 1.0, 5.0])
    W = spectral.closed_form(Y[:3], U, V, t)
    assert np.max(np.abs(W - ode_matrix(Y[:3], U, V, t))) <= 1e-9 * matrix_scale(Y[:3], U, V)
