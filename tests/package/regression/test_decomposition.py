"""Tests of overparam.regression.decomposition: the decomposition of the data, the min-norm solution, U_1, U_2, D.

Independent references: numpy's SVD, pinv and lstsq, projectors built from them, mpmath,
and the LSODA solve of ``conftest.reference_flow`` (not the package's integrator).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import edges
from overparam import regression as rg

from ._cases import DEC, EPS, U_OK, V_OK, X_OK, X_WIDE, Y_OK, Y_WIDE, _factor, instance, problems

BAD: list = []


def _bad(target, kind, what, thunk, argument, error=ValueError):
    """A hand-written bad input: ``thunk()`` must raise ``error`` naming ``argument``."""
    BAD.append(pytest.param(thunk, argument, error, id=f"regression.{target}-{kind}-{what}"))


CALLS = {
    "regression.decompose": edges.call(rg.decompose, X_OK, Y_OK, rtol=1e-10),
    "regression.min_norm_solution": edges.call(rg.min_norm_solution, X_WIDE, Y_WIDE, rtol=1e-10),
    "regression.split_U": edges.call(rg.split_U, U_OK, DEC),
    "regression.reduced_imbalance": edges.call(rg.reduced_imbalance, U_OK, V_OK, DEC),
    "regression.off_subspace_norm": edges.call(rg.off_subspace_norm, U_OK, V_OK, DEC),
}


# ---------------------------------------------------------------------------
# min-norm solution and decomposition


def test_rank_tolerance_is_relative_to_the_largest_singular_value():
    X = np.diag([1.0, 1e-6, 1e-17])
    Y = np.ones((3, 1))
    assert rg.decompose(X, Y).rank == 2  # default tol 3 * eps
    assert rg.decompose(X, Y, rtol=1e-5).rank == 1
    assert rg.decompose(X, Y, rtol=1e-18).rank == 3


def test_split_U_and_reduced_imbalance():
    X, Y, U0, V0 = instance("rank-deficient", 0)
    dec = rg.decompose(X, Y)
    U1, U2 = rg.split_U(U0, dec)
    assert np.allclose(dec.Phi_1 @ U1 + dec.Phi_2 @ U2, U0)
    D = rg.reduced_imbalance(U0, V0, dec)
    assert np.allclose(D + U2.T @ U2, U0.T @ U0 - V0.T @ V0)


# decompose / min_norm_solution: X, Y, rtol
for _f in ("decompose", "min_norm_solution"):
    _fn = getattr(rg, _f)
    _bad(_f, "shape", "X-rows-differ-from-Y", lambda fn=_fn: fn(np.ones((4, 4)), Y_OK), "X")
    _bad(_f, "shape", "X-vector", lambda fn=_fn: fn(np.ones(5), Y_OK), "X")
    _bad(_f, "shape", "Y-vector", lambda fn=_fn: fn(X_OK, np.ones(5)), "Y")
    _bad(_f, "shape", "Y-no-columns", lambda fn=_fn: fn(X_OK, np.ones((5, 0))), "Y")
    _bad(_f, "shape", "X-no-columns", lambda fn=_fn: fn(np.ones((5, 0)), Y_OK), "X")
    _bad(_f, "rank", "X-zero", lambda fn=_fn: fn(np.zeros((5, 4)), Y_OK), "X")
    _bad(_f, "nonfinite", "X-nested-list-with-inf", lambda fn=_fn: fn([[1.0, np.inf]], [[1.0]]), "X")
    _bad(_f, "nonfinite", "Y-nested-list-with-nan", lambda fn=_fn: fn([[1.0, 2.0]], [[np.nan]]), "Y")
    _bad(_f, "type", "X-strings", lambda fn=_fn: fn([["a", "b"]], [[1.0]]), "X", TypeError)
    _bad(_f, "type", "Y-dict", lambda fn=_fn: fn(X_OK, {"Y": 1}), "Y", TypeError)
    _bad(_f, "type", "rtol-bool", lambda fn=_fn: fn(X_OK, Y_OK, rtol=True), "rtol", TypeError)
    _bad(_f, "value", "rtol-one", lambda fn=_fn: fn(X_OK, Y_OK, rtol=1.0), "rtol")
    _bad(_f, "value", "rtol-zero", lambda fn=_fn: fn(X_OK, Y_OK, rtol=0.0), "rtol")
    _bad(_f, "value", "rtol-negative", lambda fn=_fn: fn(X_OK, Y_OK, rtol=-1e-8), "rtol")

# split_U / reduced_imbalance / off_subspace_norm: U, V, decomposition
_bad_decs = {
    "nan-in-Phi_1": ("nonfinite", dataclasses.replace(DEC, Phi_1=np.where(np.eye(4) > 0, np.nan, DEC.Phi_1))),
    "inf-in-Ytil": ("nonfinite", dataclasses.replace(DEC, Ytil=np.full_like(DEC.Ytil, np.inf))),
    "Phi_2-wrong-rows": ("shape", dataclasses.replace(DEC, Phi_2=np.zeros((3, 0)))),
    "Phi_1-vector": ("shape", dataclasses.replace(DEC, Phi_1=DEC.Phi_1[:, 0])),
    "Sigma_x-wrong-length": ("shape", dataclasses.replace(DEC, Sigma_x=DEC.Sigma_x[:2])),
    "Ytil-wrong-rows": ("shape", dataclasses.replace(DEC, Ytil=DEC.Ytil[:2])),
    "rank-field-wrong": ("structure", dataclasses.replace(DEC, rank=2)),
    "Sigma_x-not-positive": ("structure", dataclasses.replace(DEC, Sigma_x=-DEC.Sigma_x)),
    "Phi-not-m-columns-in-total": ("structure", dataclasses.replace(DEC, Phi_2=np.zeros((4, 2)))),
    "Phi_1-strings": ("type", dataclasses.replace(DEC, Phi_1=np.full((4, 4), "a"))),
}
_uses = {
    "split_U": lambda dec, U=U_OK: rg.split_U(U, dec),
    "reduced_imbalance": lambda dec, U=U_OK: rg.reduced_imbalance(U, V_OK, dec),
    "off_subspace_norm": lambda dec, U=U_OK: rg.off_subspace_norm(U, V_OK, dec),
}
for _f, _use in _uses.items():
    for _what, (_kind, _dec) in _bad_decs.items():
        _err = TypeError if _kind == "type" else ValueError
        _bad(_f, _kind, f"decomposition-{_what}", lambda use=_use, dec=_dec: use(dec), "decomposition", _err)
    _bad(
        _f,
        "type",
        "decomposition-is-regression-data",
        lambda use=_use: use(rg.RegressionData(X_OK, Y_OK, U_OK)),
        "decomposition",
        TypeError,
    )
    _bad(
        _f,
        "type",
        "decomposition-is-a-tuple",
        lambda use=_use: use(tuple(dataclasses.astuple(DEC))),
        "decomposition",
        TypeError,
    )
    _bad(_f, "shape", "U-rows-not-m", lambda use=_use: use(DEC, np.ones((3, 3))), "U")
    _bad(_f, "shape", "U-vector", lambda use=_use: use(DEC, np.ones(4)), "U")
    _bad(_f, "shape", "U-no-columns", lambda use=_use: use(DEC, np.ones((4, 0))), "U")
    _bad(_f, "type", "U-strings", lambda use=_use: use(DEC, np.full((4, 3), "u")), "U", TypeError)
for _f in ("reduced_imbalance", "off_subspace_norm"):
    _fn = getattr(rg, _f)
    _bad(_f, "shape", "V-columns-not-k", lambda fn=_fn: fn(U_OK, np.ones((2, 4)), DEC), "V")
    _bad(_f, "shape", "V-rows-not-n", lambda fn=_fn: fn(U_OK, np.ones((3, 3)), DEC), "V")
    _bad(_f, "shape", "V-vector", lambda fn=_fn: fn(U_OK, np.ones(3), DEC), "V")
    _bad(
        _f,
        "nonfinite",
        "V-nested-list-with-nan",
        lambda fn=_fn: fn(U_OK, [[1.0, 2.0, np.nan], [0.0, 0.0, 0.0]], DEC),
        "V",
    )


@settings(max_examples=edges.examples(100))
@given(problems())
def test_decompose_is_the_svd_of_the_data(case):
    X, Y, r, s, l_star, _ = case
    N, m = X.shape
    c = 16 * max(N, m) * EPS
    dec = rg.decompose(X, Y)
    assert edges.all_finite(dec)
    assert dec.rank == r == np.linalg.matrix_rank(X)
    assert dec.W_x.shape == (N, r) and dec.Phi_1.shape == (m, r) and dec.Phi_2.shape == (m, m - r)
    assert dec.Sigma_x.shape == (r,) and dec.Ytil.shape == (r, Y.shape[1])
    # backward stability: the factors reproduce X, are orthonormal, Phi_2 spans the null space
    assert np.linalg.norm(dec.W_x * np.sqrt(dec.Sigma_x) @ dec.Phi_1.T - X) <= c * s[0]
    Phi = np.hstack([dec.Phi_1, dec.Phi_2])
    assert np.linalg.norm(Phi.T @ Phi - np.eye(m)) <= c
    assert np.linalg.norm(dec.W_x.T @ dec.W_x - np.eye(r)) <= c
    assert np.linalg.norm(X @ dec.Phi_2) <= c * s[0]
    # Sigma_x: the squares of the singular values, decreasing (Weyl: |sigma_i - s_i| <= c s_1)
    assert np.all(np.diff(dec.Sigma_x) <= 0) and np.all(dec.Sigma_x > 0)
    assert np.all(np.abs(dec.Sigma_x - s**2) <= c * s[0] * (2 * s + c * s[0]))
    # l*: known by construction; the column space is known to c * cond(X) (a rotation of
    # W_x by c s_1 / s_r), so the error is at most c cond |Y| (|R| + c cond |Y|)
    ny, cond = np.linalg.norm(Y), s[0] / s[-1]
    assert abs(dec.l_star - l_star) <= c * cond * ny * (np.sqrt(2 * l_star) + c * cond * ny)
    # Pythagoras, independent of the conditioning: ||Ytil||^2 + 2 l* = ||Y||^2
    assert abs(np.sum(dec.Ytil**2) + 2 * dec.l_star - ny**2) <= c * ny**2
    assert np.allclose(dec.Ytil, dec.W_x.T @ Y, rtol=0, atol=c * ny)


@settings(max_examples=edges.examples(100))
@given(problems(max_decades=2.0))
def test_min_norm_solution_is_lstsq_and_pinv(case):
    X, Y, r, s, _, theta = case
    N, m = X.shape
    c = 16 * max(N, m) * EPS
    sol = rg.min_norm_solution(X, Y)
    assert sol.shape == (m, Y.shape[1]) and np.all(np.isfinite(sol))
    ref = np.linalg.lstsq(X, Y, rcond=None)[0]
    # least-squares perturbation bound: |d theta| <= c (cond |theta| + cond^2 |R| / s_1), the
    # residual R = Y - X theta; both sides err by that much (cond <= 100 here)
    cond = s[0] / s[-1]
    res = np.linalg.norm(Y - X @ theta)
    tol = c * (cond * np.linalg.norm(theta) + cond**2 * res / s[0])
    assert np.linalg.norm(sol - ref) <= 2 * tol
    assert np.linalg.norm(sol - np.linalg.pinv(X) @ Y) <= 2 * tol
    assert np.linalg.norm(sol - theta) <= 2 * tol  # the min-norm solution known by construction
    # no component in the null space of X (pinv's projector, not the package's Phi_2)
    P_null = np.eye(m) - np.linalg.pinv(X) @ X
    assert np.linalg.norm(P_null @ sol) <= 2 * tol + c * cond * np.linalg.norm(sol)


@settings(max_examples=edges.examples(60))
@given(
    problems(max_decades=2.0),
    st.integers(1, 60),
    st.floats(-6.0, 4.0),
    st.floats(-6.0, 4.0),
    st.integers(0, 2**32 - 1),
)
def test_split_imbalance_and_off_subspace_norm_against_projectors(case, k, log_u, log_v, seed):
    X, Y, r, s, _, _ = case
    N, m = X.shape
    n = Y.shape[1]
    rng = np.random.default_rng(seed)
    U, V = _factor(m, k, 10.0**log_u, rng), _factor(n, k, 10.0**log_v, rng)  # imbalance 0 .. 1e20
    dec = rg.decompose(X, Y)
    U1, U2 = rg.split_U(U, dec)
    D = rg.reduced_imbalance(U, V, dec)
    off = rg.off_subspace_norm(U, V, dec)
    assert U1.shape == (r, k) and U2.shape == (m - r, k) and D.shape == (k, k)
    assert edges.all_finite((U1, U2, D, off))
    nu, nv = np.linalg.norm(U), np.linalg.norm(V)
    c = 16 * max(N, m, k) * EPS
    # U = Phi_1 U1 + Phi_2 U2 and |U1|^2 + |U2|^2 = |U|^2 (Phi orthogonal to c)
    assert np.linalg.norm(dec.Phi_1 @ U1 + dec.Phi_2 @ U2 - U) <= c * nu
    assert abs(np.sum(U1**2) + np.sum(U2**2) - nu**2) <= c * nu**2
    # D + U2^T U2 = U^T U - V^T V (the conserved imbalance Lambda), D symmetric
    assert np.linalg.norm(D + U2.T @ U2 - (U.T @ U - V.T @ V)) <= c * (nu**2 + nv**2)
    assert np.array_equal(D, D.T) or np.linalg.norm(D - D.T) <= c * (nu**2 + nv**2)
    # off-subspace norm through pinv's projectors: |V U2^T| = |V U^T P2|, |U1 U2^T| = |P1 U U^T P2|;
    # the projectors are accurate to c cond(X) (cond <= 100 here)
    P1 = np.linalg.pinv(X) @ X
    P2 = np.eye(m) - P1
    ref = np.sqrt(np.linalg.norm(V @ U.T @ P2) ** 2 + np.linalg.norm(P1 @ U @ U.T @ P2) ** 2)
    cond = s[0] / s[-1]
    assert abs(off - ref) <= 4 * c * cond * (nu * nv + nu**2)
    # and U1 through P1: |U1| = |P1 U|
    assert abs(np.linalg.norm(U1) - np.linalg.norm(P1 @ U)) <= 4 * c * cond * nu


@pytest.mark.parametrize("thunk, argument, error", BAD)
def test_hand_written_bad_input_is_rejected_naming_the_argument(thunk, argument, error):
    edges.rejects(thunk, argument, error)
