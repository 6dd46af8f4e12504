"""Edge tests of overparam.spectral (see tests/edges.py).

Ranges: Y from 1 x 1 to 5 x 5 (rectangular both ways) with singular values at a scale
1e-6 .. 1e4, repeated and zero ones; factor entries s_u, s_v at an independent scale (their
squares 1e-6 .. 1e4, so the imbalance ranges from 0 to 1e10 times ||Y||), exactly balanced
modes, zero modes; widths k from min(m, n) to 30 for the ODE comparisons and to 200 where
no ODE is solved; times from 0 to 1e6.

References, none of them the code under test: ``conftest.reference_flow`` (LSODA on the
(U, V) flow), numpy's SVD / eigh of the results, the exact limits of the modes, and the
stated formulas (U0 = Phi S_U R^T, ...) rebuilt here.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

import edges
from conftest import reference_flow
from overparam import spectral

EPS = np.finfo(float).eps
T = np.array([0.0, 0.5, 2.0])
Y0 = np.array([[2.0, 0.5, 0.0], [0.3, 1.0, 0.2]])
R0 = spectral.random_orthogonal(3, np.random.default_rng(1))
SU, SV = np.array([1.0, 0.5]), np.array([0.7, 0.2, 0.0])
U0, V0 = spectral.initialization(Y0, 3, SU, SV, R=R0)

# ---------------------------------------------------------------------------------------
# valid calls

edges.valid("spectral.initialization", spectral.initialization, Y0, 3, SU, SV, R=R0)
edges.valid("spectral.random_orthogonal", spectral.random_orthogonal, 3, np.random.default_rng(2))
edges.valid("spectral.modes", spectral.modes, Y0, U0, V0, rtol=1e-10)
edges.valid("spectral.mode_trajectories", spectral.mode_trajectories, Y0, U0, V0, T, rtol=1e-10)
edges.valid("spectral.closed_form", spectral.closed_form, Y0, U0, V0, T, rtol=1e-10)

# ---------------------------------------------------------------------------------------
# hand-written bad input


def bad(target, kind, what, call, argument, error=None):
    """``edges.bad``; a wrong type raises TypeError, everything else ValueError."""
    edges.bad(target, kind, what, call, argument, error or (TypeError if kind == "type" else ValueError))


init = spectral.initialization
bad("spectral.initialization", "shape", "s_u-too-long", lambda: init(Y0, 3, [1.0, 0.5, 0.2], SV), "s_u")
bad("spectral.initialization", "shape", "s_v-too-short", lambda: init(Y0, 3, SU, [0.7, 0.2]), "s_v")
bad("spectral.initialization", "shape", "s_u-2-D", lambda: init(Y0, 3, SU[None, :], SV), "s_u")
bad("spectral.initialization", "shape", "s_v-for-k-not-n", lambda: init(Y0, 2, SU, SV), "s_v")
bad("spectral.initialization", "shape", "Y-1-D", lambda: init(np.ones(3), 3, SU, SV), "Y")
bad("spectral.initialization", "shape", "Y-empty", lambda: init(np.ones((0, 3)), 3, SU, SV), "Y")
bad("spectral.initialization", "shape", "R-not-k-by-k", lambda: init(Y0, 3, SU, SV, R=np.eye(2)), "R")
bad("spectral.initialization", "shape", "R-rectangular", lambda: init(Y0, 3, SU, SV, R=np.eye(3)[:, :2]), "R")
bad("spectral.initialization", "structure", "R-not-orthogonal", lambda: init(Y0, 3, SU, SV, R=2.0 * np.eye(3)), "R")
bad("spectral.initialization", "structure", "R-nearly-orthogonal", lambda: init(Y0, 3, SU, SV, R=R0 + 1e-8), "R")
bad("spectral.initialization", "value", "k-zero", lambda: init(Y0, 0, [], []), "k")
bad("spectral.initialization", "value", "k-negative", lambda: init(Y0, -2, SU, SV), "k")
bad("spectral.initialization", "type", "float-k-integral", lambda: init(Y0, 3.0, SU, SV), "k")
bad("spectral.initialization", "type", "str-in-s_u", lambda: init(Y0, 3, [1.0, "a"], SV), "s_u")
bad("spectral.initialization", "nonfinite", "nan-in-list-s_v", lambda: init(Y0, 3, SU, [0.7, float("nan"), 0.0]), "s_v")
bad("spectral.initialization", "nonfinite", "inf-in-list-R", lambda: init(Y0, 1, [1.0], [1.0], R=[[float("inf")]]), "R")

rorth = spectral.random_orthogonal
bad("spectral.random_orthogonal", "value", "k-zero", lambda: rorth(0, np.random.default_rng(0)), "k")
bad("spectral.random_orthogonal", "value", "k-negative", lambda: rorth(-3, np.random.default_rng(0)), "k")
bad("spectral.random_orthogonal", "type", "bit-generator-for-rng", lambda: rorth(3, np.random.PCG64(0)), "rng")
bad("spectral.random_orthogonal", "type", "numpy-float-k", lambda: rorth(np.float64(3.0), np.random.default_rng(0)), "k")

RNG = np.random.default_rng(3)
NOT_SPECTRAL = {
    "random": (np.diag([3.0, 1.0]), RNG.standard_normal((2, 2)), RNG.standard_normal((2, 2))),
    "swapped-modes": (np.diag([3.0, 1.0]), np.diag([1.0, 2.0]), np.array([[0.0, 1.0], [3.0, 0.0]])),
    "off-by-1e-6": (Y0, U0 + 1e-6 * RNG.standard_normal(U0.shape), V0),
    "wrong-basis-of-Y": (Y0.T, V0, U0[:, ::-1]),
}
NOT_RANK_ONE = (np.array([[1.0]]), np.array([[1.0, 0.0]]), np.array([[0.0, 1.0]]))  # W0 = 0, u and v orthogonal

for _name in ("modes", "mode_trajectories", "closed_form"):
    _fn = getattr(spectral, _name)
    if _name == "modes":
        def call(Y, U, V, t=T, _fn=_fn, **kw):
            return _fn(Y, U, V, **kw)
    else:
        def call(Y, U, V, t=T, _fn=_fn, **kw):
            return _fn(Y, U, V, t, **kw)
    target = f"spectral.{_name}"
    bad(target, "shape", "U0-rows-not-m", lambda c=call: c(Y0, np.ones((3, 3)), V0), "U0")
    bad(target, "shape", "V0-rows-not-n", lambda c=call: c(Y0, U0, np.ones((2, 3))), "V0")
    bad(target, "shape", "V0-columns-not-k", lambda c=call: c(Y0, U0, V0[:, :2]), "V0")
    bad(target, "shape", "U0-1-D", lambda c=call: c(np.ones((1, 1)), np.ones(1), np.ones((1, 1))), "U0")
    bad(target, "shape", "Y-1-D", lambda c=call: c(np.ones(2), U0, V0), "Y")
    for _what, (_Y, _U, _V) in NOT_SPECTRAL.items():
        bad(target, "structure", f"not-spectral-{_what}", lambda c=call, a=(_Y, _U, _V): c(*a), "U0")
    bad(target, "rank", "mode-not-rank-one", lambda c=call: c(*NOT_RANK_ONE), "V0")
    bad(target, "value", "zero-rtol", lambda c=call: c(Y0, U0, V0, rtol=0.0), "rtol")
    bad(target, "value", "rtol-one-accepts-anything", lambda c=call: c(*NOT_SPECTRAL["random"], rtol=1.0), "rtol")
    bad(target, "nonfinite", "squares-overflow", lambda c=call: c(np.eye(2), 1e200 * np.eye(2), 1e200 * np.eye(2)), "U0")
    bad(target, "type", "str-in-list-Y", lambda c=call: c([[1.0, "a"]], [[1.0]], [[1.0], [0.0]]), "Y")
    if _name != "modes":
        bad(target, "times", "negative", lambda c=call: c(Y0, U0, V0, t=[-1.0, 0.0]), "t")
        bad(target, "times", "unsorted", lambda c=call: c(Y0, U0, V0, t=[0.0, 2.0, 1.0]), "t")
        bad(target, "times", "2-D", lambda c=call: c(Y0, U0, V0, t=np.ones((2, 2))), "t")
        bad(target, "times", "empty", lambda c=call: c(Y0, U0, V0, t=[]), "t")
        bad(target, "nonfinite", "inf-in-list-t", lambda c=call: c(Y0, U0, V0, t=[0.0, float("inf")]), "t")

# ---------------------------------------------------------------------------------------
# strategies

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
    R = spectral.random_orthogonal(k, rng)
    if draw(st.booleans()):  # numpy's SVD bases, through initialization
        Y = spectral.random_orthogonal(m, rng) @ Sigma @ spectral.random_orthogonal(n, rng).T
        U0, V0 = spectral.initialization(Y, k, s_u, s_v, R=R)
        Phi, _, PsiT = np.linalg.svd(Y)
        Psi = PsiT.T
    else:  # other SVD bases of Y than numpy's (repeated and zero singular values)
        Phi, Psi = spectral.random_orthogonal(m, rng), spectral.random_orthogonal(n, rng)
        Y = Phi @ Sigma @ Psi.T
        S_U = np.zeros((m, k))
        S_U[np.arange(s_u.size), np.arange(s_u.size)] = s_u
        S_V = np.zeros((n, k))
        S_V[np.arange(s_v.size), np.arange(s_v.size)] = s_v
        U0, V0 = Phi @ S_U @ R.T, Psi @ S_V @ R.T
    info = dict(Phi=Phi, Psi=Psi, sigma=sig, x0=s_u[:p] * s_v[:p], lambda0=s_u[:p] ** 2 - s_v[:p] ** 2)
    return Y, U0, V0, info


def matrix_scale(Y, U0, V0):
    """S = max(||Y||_2, ||U0||_2^2, ||V0||_2^2): the size of W and of the rates."""
    return max(np.linalg.norm(Y, 2), np.linalg.norm(U0, 2) ** 2, np.linalg.norm(V0, 2) ** 2)


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


# ---------------------------------------------------------------------------------------
# properties


@edges.covers("spectral.closed_form", "spectral.mode_trajectories", "spectral.modes", "spectral.initialization")
@given(problem=spectral_problems())
def test_closed_form_matches_lsoda_and_the_exact_limits(problem):
    Y, U0, V0, info = problem
    S = matrix_scale(Y, U0, V0)
    saddle = has_saddle(info)
    # times: 0 .. 8 / S (where the flow moves), and 1e6
    short = np.minimum(np.array([0.0, 0.05, 0.5, 2.0, 8.0]) / (S if S > 0 else 1.0), 1e6)  # S = 0: all zero
    t = np.unique(np.concatenate([short, [1e6]]))
    W = spectral.closed_form(Y, U0, V0, t)
    assert W.shape == (t.size,) + Y.shape and np.all(np.isfinite(W))
    x = spectral.mode_trajectories(Y, U0, V0, t)
    assert x.shape == (t.size, min(Y.shape)) and np.all(np.isfinite(x))
    # against LSODA (rtol 1e-12): 1e-9 S, the convention of test_closed_forms.py; past a
    # saddle only up to 8 / S (see has_saddle)
    t_ode = np.unique(short) if saddle else t
    _, _, W_ref = reference_flow(Y, U0, V0, t_ode, atol=1e-15 * np.sqrt(S) if S > 0 else 1e-30)
    W_cf = W[np.searchsorted(t, t_ode)]
    assert np.max(np.abs(W_cf - W_ref)) <= 1e-9 * S
    # the modes are the singular values of W(t) (up to sign): 1-Lipschitz in W, same 1e-9 S
    sv = np.linalg.svd(W_ref, compute_uv=False)
    xs = np.sort(np.abs(x[np.searchsorted(t, t_ode)]), axis=1)[:, ::-1]
    assert np.max(np.abs(xs - sv)) <= 1e-9 * S
    # at t = 1e6 the exact limits of the modes built in, where they are reached (g t >= 50):
    # W = Phi diag(limit) Psi^T, to the closed form's 1e-14 S plus the SVD's round-off
    limits = [mode_limit(s, x0, lam, 1e6) for s, x0, lam in zip(info["sigma"], info["x0"], info["lambda0"])]
    if all(v is not None for v in limits):
        p = min(Y.shape)
        expected = info["Phi"][:, :p] @ np.diag(limits) @ info["Psi"][:, :p].T
        assert np.max(np.abs(W[-1] - expected)) <= 1e-12 * S
    # modes: the sigma of Y, and the bases make Y, W0, U0 U0^T, V0 V0^T diagonal with
    # the modes' values on the diagonal (round-off of products of orthogonal matrices: 1e-12 S)
    md = spectral.modes(Y, U0, V0)
    p = min(Y.shape)
    assert np.max(np.abs(md.sigma - np.linalg.svd(Y, compute_uv=False))) <= 1e-12 * S
    np.testing.assert_allclose(md.rate, np.hypot(md.lambda0, 2.0 * md.sigma), rtol=4 * EPS, atol=0)
    assert np.max(np.abs(md.Phi.T @ md.Phi - np.eye(Y.shape[0]))) <= 1e-12
    assert np.max(np.abs(md.Psi.T @ md.Psi - np.eye(Y.shape[1]))) <= 1e-12
    Yd = md.Phi.T @ Y @ md.Psi
    Wd = md.Phi.T @ U0 @ V0.T @ md.Psi
    lam_d = np.diag(md.Phi.T @ U0 @ U0.T @ md.Phi)[:p] - np.diag(md.Psi.T @ V0 @ V0.T @ md.Psi)[:p]
    for D, d in ((Yd, md.sigma), (Wd, md.x0)):
        assert np.max(np.abs(D[np.arange(p), np.arange(p)] - d)) <= 1e-12 * S
        D = D.copy()
        D[np.arange(p), np.arange(p)] = 0.0
        assert np.max(np.abs(D)) <= 1e-12 * S
    assert np.max(np.abs(lam_d - md.lambda0)) <= 1e-12 * S
    # the multiset of (sigma, lambda0) of the modes that move is the one built in (sorted:
    # ties in sigma are exact in the construction, and lambda0 breaks them). Modes with
    # sigma = x0 = 0 never move and may be paired with any unpaired direction (modes()).
    moving = (info["sigma"] > 0) | (info["x0"] != 0)
    built = sorted(zip(np.round(info["sigma"][moving] / S, 9), np.round(info["lambda0"][moving] / S, 9)))
    moving = (md.sigma > 1e-12 * S) | (np.abs(md.x0) > 1e-12 * S)
    found = sorted(zip(np.round(md.sigma[moving] / S, 9), np.round(md.lambda0[moving] / S, 9)))
    np.testing.assert_allclose(np.array(found), np.array(built), atol=2e-9)
    # and mode_trajectories is W(t) in those bases
    D = np.einsum("mi,tmn,nj->tij", md.Phi, W, md.Psi)
    assert np.max(np.abs(D[:, np.arange(p), np.arange(p)] - x)) <= 1e-12 * S


@edges.covers("spectral.random_orthogonal")

@given(k=st.one_of(st.integers(1, 5), st.integers(6, 200)), seed=st.integers(0, 2**32 - 1))
def test_random_orthogonal_is_orthogonal_with_the_haar_sign_convention(k, seed):
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


@edges.covers("spectral.initialization", "spectral.modes")

@given(
    m=st.integers(1, 6),
    n=st.integers(1, 6),
    extra=st.one_of(st.integers(0, 3), st.integers(4, 200)),
    seed=st.integers(0, 2**32 - 1),
    y_exp=st.floats(-6.0, 4.0),
    f_exp=st.floats(-6.0, 4.0),
    with_R=st.booleans(),
)
def test_initialization_is_the_stated_product(m, n, extra, seed, y_exp, f_exp, with_R):
    rng = np.random.default_rng(seed)
    k = min(m, n) + extra
    Y = 10.0**y_exp * rng.standard_normal((m, n))
    f = np.sqrt(10.0**f_exp)
    s_u = f * rng.standard_normal(min(m, k))
    s_v = f * rng.standard_normal(min(n, k))
    R = spectral.random_orthogonal(k, rng) if with_R else None
    U0, V0 = spectral.initialization(Y, k, s_u, s_v, R=R)
    assert U0.shape == (m, k) and V0.shape == (n, k)
    assert np.all(np.isfinite(U0)) and np.all(np.isfinite(V0))
    R = np.eye(k) if R is None else R
    # U0 R = Phi S_U, V0 R = Psi S_V with the SVD of Y (products of orthogonal matrices:
    # entries exact to ~k eps |s|)
    Phi, _, PsiT = np.linalg.svd(Y)
    S_U = np.zeros((m, k))
    S_U[np.arange(s_u.size), np.arange(s_u.size)] = s_u
    S_V = np.zeros((n, k))
    S_V[np.arange(s_v.size), np.arange(s_v.size)] = s_v
    tol = 1e-12 * f * f
    assert np.max(np.abs(U0 @ R - Phi @ S_U)) <= 1e-12 * f
    assert np.max(np.abs(V0 @ R - PsiT.T @ S_V)) <= 1e-12 * f
    # the imbalance is R diag(s_u^2 - s_v^2) R^T (s padded with zeros to k)
    d = np.zeros(k)
    d[: s_u.size] += s_u**2
    d[: s_v.size] -= s_v**2
    assert np.max(np.abs(U0.T @ U0 - V0.T @ V0 - (R * d) @ R.T)) <= tol
    # the singular values of W0 are |s_u,i s_v,i| (independent SVD)
    p = min(m, n)
    expected = np.sort(np.abs(s_u[:p] * s_v[:p]))[::-1]
    assert np.max(np.abs(np.linalg.svd(U0 @ V0.T, compute_uv=False)[:p] - expected)) <= tol
    # and modes recognises it, with those products and imbalances (as multisets)
    md = spectral.modes(Y, U0, V0)
    S = matrix_scale(Y, U0, V0)
    np.testing.assert_allclose(np.sort(np.abs(md.x0)), np.sort(np.abs(s_u[:p] * s_v[:p])), rtol=0, atol=1e-12 * S)
    np.testing.assert_allclose(np.sort(md.lambda0), np.sort(s_u[:p] ** 2 - s_v[:p] ** 2), rtol=0, atol=1e-12 * S)
