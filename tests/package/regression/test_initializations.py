"""Tests of overparam.regression.initializations: the four initializations.

Independent references: numpy's SVD, pinv and lstsq, projectors built from them, mpmath,
and the LSODA solve of ``conftest.reference_flow`` (not the package's integrator).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import edges
from overparam import regression as rg

from ._cases import EPS, X_OK, X_WIDE, R, _rng, problems

BAD: list = []


def _bad(target, kind, what, thunk, argument, error=ValueError):
    """A hand-written bad input: ``thunk()`` must raise ``error`` naming ``argument``."""
    BAD.append(pytest.param(thunk, argument, error, id=f"regression.{target}-{kind}-{what}"))


CALLS = {
    "regression.gaussian_initialization": edges.call(
        rg.gaussian_initialization, 4, 2, 3, _rng(), sigma_U=0.5, sigma_V=0.3
    ),
    "regression.random_initialization": edges.call(rg.random_initialization, 3, 2, 8, _rng(), a=0.4, narrow=True),
    "regression.balanced_initialization": edges.call(rg.balanced_initialization, 4, 2, 3, _rng(), sigma=0.7, X=X_OK),
    "regression.orthogonal_initialization": edges.call(
        rg.orthogonal_initialization,
        X_WIDE,
        2,
        5,
        _rng(),
        k_active=3,
        sigma_U=0.5,
        sigma_V=0.4,
        sigma_null=0.3,
        rtol=1e-10,
    ),
}


# ---------------------------------------------------------------------------
# initializations and data


def test_narrow_random_initialization_has_the_wishart_law():
    """Bartlett draws: E[M] = k s^2 I, Var M_ij = k s^4 (i != j), Var M_ii = 2 k s^4, with s^2 = k^{-2a}."""
    rng = np.random.default_rng(1)
    m, n, k, a, reps = 3, 2, 50, 0.4, 4000
    p = m + n
    s2 = k ** (-2 * a)
    grams = np.empty((reps, p, p))
    for i in range(reps):
        U0, V0 = rg.random_initialization(m, n, k, rng, a=a, narrow=True)
        assert U0.shape == (m, p) and V0.shape == (n, p)
        Z = np.vstack([U0, V0])
        grams[i] = Z @ Z.T
    mean = grams.mean(axis=0) / (k * s2)
    var = grams.var(axis=0) / (k * s2**2)
    off = ~np.eye(p, dtype=bool)
    # sampling error of the mean of 4000 draws: about 3 * sqrt(2 / (k * reps)) ~ 0.01
    assert np.allclose(mean, np.eye(p), atol=0.015)
    assert np.allclose(var[off], 1.0, atol=0.1) and np.allclose(np.diag(var), 2.0, atol=0.2)


# initializations: m, n, k, rng, scales
for _f in ("gaussian_initialization", "random_initialization", "balanced_initialization"):
    _fn = getattr(rg, _f)
    _kw = {"sigma_U": 1.0, "sigma_V": 1.0} if _f == "gaussian_initialization" else {}
    for _arg, _pos in (("m", 0), ("n", 1), ("k", 2)):
        for _v, _what, _kind, _err in (
            (0, "zero", "value", ValueError),
            (-2, "negative", "value", ValueError),
            (np.float64(3.0), "numpy-float", "type", TypeError),
        ):
            _args = [3, 2, 4]
            _args[_pos] = _v
            _bad(_f, _kind, f"{_arg}-{_what}", lambda fn=_fn, a=tuple(_args), kw=_kw: fn(*a, R, **kw), _arg, _err)
    _bad(_f, "type", "rng-is-numpy.random", lambda fn=_fn, kw=_kw: fn(3, 2, 4, np.random, **kw), "rng", TypeError)
    _bad(
        _f,
        "type",
        "rng-is-seed-sequence",
        lambda fn=_fn, kw=_kw: fn(3, 2, 4, np.random.SeedSequence(0), **kw),
        "rng",
        TypeError,
    )
_bad(
    "gaussian_initialization",
    "value",
    "sigma_U-negative",
    lambda: rg.gaussian_initialization(3, 2, 4, R, sigma_U=-1.0, sigma_V=1.0),
    "sigma_U",
)
_bad(
    "gaussian_initialization",
    "value",
    "sigma_V-negative",
    lambda: rg.gaussian_initialization(3, 2, 4, R, sigma_U=1.0, sigma_V=-1e-3),
    "sigma_V",
)
_bad(
    "gaussian_initialization",
    "type",
    "sigma_U-bool",
    lambda: rg.gaussian_initialization(3, 2, 4, R, sigma_U=True, sigma_V=1.0),
    "sigma_U",
    TypeError,
)
_bad(
    "random_initialization",
    "value",
    "a-overflows-the-scale",
    lambda: rg.random_initialization(3, 2, 10**6, R, a=-60.0),
    "a",
)
_bad(
    "random_initialization",
    "value",
    "a-underflows-the-scale",
    lambda: rg.random_initialization(3, 2, 10**6, R, a=60.0),
    "a",
)
_bad(
    "random_initialization",
    "value",
    "a-overflows-narrow",
    lambda: rg.random_initialization(3, 2, 10**6, R, a=-60.0, narrow=True),
    "a",
)
_bad(
    "random_initialization",
    "type",
    "narrow-string",
    lambda: rg.random_initialization(3, 2, 4, R, narrow="True"),
    "narrow",
    TypeError,
)
_bad(
    "random_initialization",
    "type",
    "narrow-array",
    lambda: rg.random_initialization(3, 2, 4, R, narrow=np.array([True])),
    "narrow",
    TypeError,
)
_bad("random_initialization", "type", "a-bool", lambda: rg.random_initialization(3, 2, 4, R, a=True), "a", TypeError)
_bad(
    "balanced_initialization",
    "value",
    "sigma-negative",
    lambda: rg.balanced_initialization(3, 2, 4, R, sigma=-0.1),
    "sigma",
)
_bad(
    "balanced_initialization",
    "rank",
    "X-rank-below-n",
    lambda: rg.balanced_initialization(4, 3, 5, R, X=np.ones((3, 4))),
    "X",
)
_bad(
    "balanced_initialization", "rank", "X-zero", lambda: rg.balanced_initialization(4, 2, 5, R, X=np.zeros((3, 4))), "X"
)
_bad(
    "balanced_initialization",
    "rank",
    "m-below-n-with-X",
    lambda: rg.balanced_initialization(2, 3, 5, R, X=np.eye(2)),
    "X",
)
_bad(
    "balanced_initialization",
    "shape",
    "X-columns-not-m",
    lambda: rg.balanced_initialization(4, 1, 5, R, X=np.ones((3, 5))),
    "X",
)
_bad("balanced_initialization", "shape", "X-vector", lambda: rg.balanced_initialization(4, 1, 5, R, X=np.ones(4)), "X")
_bad(
    "balanced_initialization",
    "nonfinite",
    "X-list-with-nan",
    lambda: rg.balanced_initialization(2, 1, 3, R, X=[[1.0, np.nan]]),
    "X",
)

_O = "orthogonal_initialization"
_bad(_O, "width", "k_active-above-k", lambda: rg.orthogonal_initialization(X_WIDE, 2, 5, R, k_active=6), "k_active")
_bad(_O, "width", "k-below-k_active", lambda: rg.orthogonal_initialization(X_WIDE, 2, 1, R, k_active=2), "k_active")
_bad(_O, "value", "k_active-zero", lambda: rg.orthogonal_initialization(X_WIDE, 2, 5, R, k_active=0), "k_active")
_bad(
    _O,
    "type",
    "k_active-float",
    lambda: rg.orthogonal_initialization(X_WIDE, 2, 5, R, k_active=2.0),
    "k_active",
    TypeError,
)
_bad(
    _O,
    "type",
    "k_active-bool",
    lambda: rg.orthogonal_initialization(X_WIDE, 2, 5, R, k_active=True),
    "k_active",
    TypeError,
)
_bad(_O, "value", "n-zero", lambda: rg.orthogonal_initialization(X_WIDE, 0, 5, R), "n")
_bad(_O, "value", "k-zero", lambda: rg.orthogonal_initialization(X_WIDE, 2, 0, R), "k")
_bad(_O, "type", "k-float", lambda: rg.orthogonal_initialization(X_WIDE, 2, 5.0, R), "k", TypeError)
_bad(_O, "rank", "X-zero", lambda: rg.orthogonal_initialization(np.zeros((3, 6)), 2, 5, R), "X")
_bad(_O, "shape", "X-vector", lambda: rg.orthogonal_initialization(np.ones(6), 2, 5, R), "X")
_bad(_O, "shape", "X-no-rows", lambda: rg.orthogonal_initialization(np.ones((0, 6)), 2, 5, R), "X")
_bad(_O, "value", "rtol-one", lambda: rg.orthogonal_initialization(X_WIDE, 2, 5, R, rtol=1.0), "rtol")
_bad(_O, "value", "rtol-zero", lambda: rg.orthogonal_initialization(X_WIDE, 2, 5, R, rtol=0.0), "rtol")
for _s in ("sigma_U", "sigma_V", "sigma_null"):
    _bad(_O, "value", f"{_s}-negative", lambda s=_s: rg.orthogonal_initialization(X_WIDE, 2, 5, R, **{s: -1.0}), _s)
_bad(_O, "type", "rng-is-seed", lambda: rg.orthogonal_initialization(X_WIDE, 2, 5, 0), "rng", TypeError)


@settings(max_examples=edges.examples(100))
@given(
    st.integers(1, 6),
    st.integers(1, 6),
    st.integers(1, 200),
    st.one_of(st.just(0.0), st.floats(-6.0, 4.0).map(lambda e: 10.0**e)),
    st.one_of(st.just(0.0), st.floats(-6.0, 4.0).map(lambda e: 10.0**e)),
    st.integers(0, 2**32 - 1),
)
def test_gaussian_initialization_is_the_scaled_draws(m, n, k, sigma_U, sigma_V, seed):
    U0, V0 = rg.gaussian_initialization(m, n, k, np.random.default_rng(seed), sigma_U=sigma_U, sigma_V=sigma_V)
    assert U0.shape == (m, k) and V0.shape == (n, k) and edges.all_finite((U0, V0))
    # exactly sigma_U G1, sigma_V G2 with G1 drawn first from the same generator
    replay = np.random.default_rng(seed)
    assert np.array_equal(U0, sigma_U * replay.standard_normal((m, k)))
    assert np.array_equal(V0, sigma_V * replay.standard_normal((n, k)))


@settings(max_examples=edges.examples(100))
@given(
    st.integers(1, 5),
    st.integers(1, 5),
    st.one_of(st.integers(1, 200), st.integers(201, 10**6)),
    st.one_of(st.floats(0.25, 0.5, exclude_min=True), st.floats(-2.0, 2.0)),
    st.booleans(),
    st.integers(0, 2**32 - 1),
)
def test_random_initialization_has_the_stated_scale_and_law(m, n, k, a, narrow, seed):
    p = m + n
    if not narrow and k > 200:
        k = 1 + k % 200  # keep the full-width draw small
    U0, V0 = rg.random_initialization(m, n, k, np.random.default_rng(seed), a=a, narrow=narrow)
    assert edges.all_finite((U0, V0))
    scale = float(k) ** (-a)
    if not (narrow and k > p):
        # the ordinary draw: i.i.d. N(0, k^{-2a}) entries, i.e. gaussian_initialization at sigma = k^{-a}
        assert U0.shape == (m, k) and V0.shape == (n, k)
        replay = np.random.default_rng(seed)
        assert np.array_equal(U0, scale * replay.standard_normal((m, k)))
        assert np.array_equal(V0, scale * replay.standard_normal((n, k)))
        return
    # narrow: Z = [U0; V0] = k^{-a} L, L lower triangular with a positive diagonal (Bartlett)
    assert U0.shape == (m, p) and V0.shape == (n, p)
    L = np.vstack([U0, V0]) / scale
    assert np.all(np.triu(L, 1) == 0) and np.all(np.diag(L) > 0)
    # L L^T ~ Wishart_p(k, I): its entries / k have mean delta_ij and standard deviation
    # sqrt(2/k) (diagonal) or sqrt(1/k) (off): 8 standard deviations (chance ~1e-15)
    M = L @ L.T / k
    assert np.all(np.abs(M - np.eye(p)) <= 8 * np.sqrt(2.0 / k))


@settings(max_examples=edges.examples(100))
@given(
    st.integers(1, 6),
    st.integers(1, 6),
    st.integers(1, 100),
    st.one_of(st.just(0.0), st.floats(-6.0, 4.0).map(lambda e: 10.0**e)),
    st.booleans(),
    st.integers(0, 2**32 - 1),
)
def test_balanced_initialization_is_balanced_for_every_shape_and_scale(m, n, k, sigma, with_X, seed):
    rng = np.random.default_rng(seed)
    X = None
    if with_X and m >= n:  # X (N x m) of rank between n and m: U0 must lie in its row space
        r = int(rng.integers(n, m + 1))
        N = int(rng.integers(r, r + 4))
        X = 10.0 ** rng.uniform(-6, 4) * rng.standard_normal((N, r)) @ rng.standard_normal((r, m))
    seed2 = int(rng.integers(2**32))
    U0, V0 = rg.balanced_initialization(m, n, k, np.random.default_rng(seed2), sigma=sigma, X=X)
    assert U0.shape == (m, k) and V0.shape == (n, k) and edges.all_finite((U0, V0))
    c = 16 * max(m, n, k) * EPS
    big = max(np.linalg.norm(U0), np.linalg.norm(V0)) ** 2
    # U0^T U0 = V0^T V0 (H^T H = I to c)
    assert np.linalg.norm(U0.T @ U0 - V0.T @ V0) <= c * big
    # the Gaussian factor is sigma G, drawn first
    first = sigma * np.random.default_rng(seed2).standard_normal((min(m, n) if X is None else n, k))
    assert np.array_equal(V0 if (X is not None or m >= n) else U0, first)
    if X is not None:
        # inside the row space of X (pinv's projector): U2 = 0, and D = 0
        P_null = np.eye(m) - np.linalg.pinv(X) @ X
        sx = np.linalg.svd(X, compute_uv=False)
        cond = sx[0] / sx[np.linalg.matrix_rank(X) - 1]  # pinv's projector is accurate to c cond(X)
        assert np.linalg.norm(P_null @ U0) <= 4 * c * cond * np.sqrt(big)
        dec = rg.decompose(X, np.zeros((X.shape[0], n)))
        assert np.linalg.norm(rg.split_U(U0, dec)[1]) <= c * np.sqrt(big)
        assert np.linalg.norm(rg.reduced_imbalance(U0, V0, dec)) <= c * big


@settings(max_examples=edges.examples(60))
@given(
    problems(max_decades=2.0),
    st.data(),
    st.lists(st.one_of(st.just(0.0), st.floats(-6.0, 4.0).map(lambda e: 10.0**e)), min_size=3, max_size=3),
    st.integers(0, 2**32 - 1),
)
def test_orthogonal_initialization_has_the_orthogonal_structure(case, data, sigmas, seed):
    X, Y, r, s, _, _ = case
    N, m = X.shape
    n = Y.shape[1]
    k = data.draw(st.one_of(st.integers(1, 8), st.integers(min(m, n), 120)), label="k")
    k_active = data.draw(st.one_of(st.none(), st.integers(1, k)), label="k_active")
    sU, sV, s0 = sigmas
    U0, V0 = rg.orthogonal_initialization(
        X, n, k, np.random.default_rng(seed), k_active=k_active, sigma_U=sU, sigma_V=sV, sigma_null=s0
    )
    assert U0.shape == (m, k) and V0.shape == (n, k) and edges.all_finite((U0, V0))
    ka = min(k, max(min(r, n), k - (m - r))) if k_active is None else k_active  # the documented default
    k0 = min(m - r, k - ka)
    # V U2^T = 0 and U1 U2^T = 0, through pinv's projectors (accurate to c cond(X), cond <= 100)
    c = 16 * max(N, m, k) * EPS
    cond = s[0] / s[-1]
    P1 = np.linalg.pinv(X) @ X
    P2 = np.eye(m) - P1
    nu, nv = np.linalg.norm(U0), np.linalg.norm(V0)
    assert np.linalg.norm(V0 @ U0.T @ P2) <= 4 * c * cond * nu * nv
    assert np.linalg.norm(P1 @ U0 @ U0.T @ P2) <= 4 * c * cond * nu**2
    assert rg.off_subspace_norm(U0, V0, rg.decompose(X, Y)) <= 4 * c * cond * (nu * nv + nu**2)

    # the rows of U1 and V span at most k_a dimensions, those of U2 at most k_0; the scales
    # are sigma_U, sigma_V, sigma_0 (zero scale, zero part)
    def rank_at_most(M, q):  # the (q+1)-th singular value is rounding (of the projector: c cond |Z0|)
        sv = np.linalg.svd(M, compute_uv=False)
        return sv.size <= q or sv[q] <= 4 * c * cond * max(nu, nv)

    assert rank_at_most(np.vstack([P1 @ U0, V0]), ka)
    assert rank_at_most(P2 @ U0, k0)
    assert (sV == 0) == (nv == 0)
    assert np.linalg.norm(P1 @ U0) <= 4 * c * cond * nu or sU > 0
    assert np.linalg.norm(P2 @ U0) <= 4 * c * cond * nu or (s0 > 0 and k0 > 0)


@pytest.mark.parametrize("thunk, argument, error", BAD)
def test_hand_written_bad_input_is_rejected_naming_the_argument(thunk, argument, error):
    edges.rejects(thunk, argument, error)
