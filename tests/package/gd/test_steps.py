"""Tests of overparam.gd.steps: the imbalance increment, the descent factor, the local constants.

Independent references: one explicit step evaluated in extended precision (``np.longdouble``),
mpmath for the descent factor, ``numpy.linalg.svd`` / ``qr`` for the local constants.
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import edges
from overparam import gd
from overparam.gd import _common

from .reference import (
    EPS,
    LD,
    SHAPE_MISMATCHES,
    U_,
    V_,
    X_,
    Y_,
    YF,
    explicit_step_loss,
    local_beta,
    log10s,
    problems,
    s_of,
)

CALLS = {
    "gd.imbalance_increment": edges.call(gd.imbalance_increment, Y_, U_, V_, 0.1, X=X_),
    "gd.descent_factor": edges.call(gd.descent_factor, 0.1, 2.0, 0.5, s=1.5),
    "gd.local_constants": edges.call(gd.local_constants, Y_, U_, V_, X=X_),
}

# ----------------------------------------------------------------------------------
# bad input the mechanical mutations do not reach

POINT_FUNCTIONS = {
    "imbalance_increment": lambda Y, U, V, X=None: gd.imbalance_increment(Y, U, V, 0.1, X=X),
    "local_constants": lambda Y, U, V, X=None: gd.local_constants(Y, U, V, X=X),
}


@pytest.mark.parametrize("function", sorted(POINT_FUNCTIONS))
@pytest.mark.parametrize("label, Y, U, V, X, named", SHAPE_MISMATCHES, ids=[c[0] for c in SHAPE_MISMATCHES])
def test_shapes_that_do_not_fit_are_refused_naming_the_point(function, label, Y, U, V, X, named):
    """At a point (not a start) the factors are called U and V in the messages."""
    edges.rejects(lambda: POINT_FUNCTIONS[function](Y, U, V, X), ("Y", "U", "V", "X")[named])


BAD_SCALARS = [
    ("increment-step-zero", lambda: gd.imbalance_increment(YF, U_, V_, 0.0), "step"),
    ("increment-step-negative", lambda: gd.imbalance_increment(YF, U_, V_, -0.1), "step"),
    ("factor-step-negative", lambda: gd.descent_factor(-0.1, 1.0, 1.0), "step"),
    ("factor-beta-negative", lambda: gd.descent_factor(0.1, -1.0, 1.0), "beta"),
    ("factor-loss-negative", lambda: gd.descent_factor(0.1, 1.0, -1e-300), "loss"),
    ("factor-s-negative", lambda: gd.descent_factor(0.1, 1.0, 1.0, s=-1.0), "s"),
]


@pytest.mark.parametrize("label, thunk, argument", BAD_SCALARS, ids=[b[0] for b in BAD_SCALARS])
def test_negative_or_zero_scalars_are_refused(label, thunk, argument):
    edges.rejects(thunk, argument)


# ----------------------------------------------------------------------------------
# the imbalance increment (prop-gd-imbalance-step)


@settings(max_examples=edges.examples(60))
@given(problem=problems(), step=log10s(-6, 2), relative=st.booleans())
def test_imbalance_increment_is_the_change_over_one_explicit_step(problem, step, relative):
    Y, U, V, X = problem
    eta = step / (local_beta(X, U, V) + s_of(X) ** 2 * np.linalg.norm(Y)) if relative else step
    inc = gd.imbalance_increment(Y, U, V, eta, X=X)
    # reference: one explicit step and the imbalance difference, in extended precision
    Yl, Ul, Vl = (np.asarray(a, LD) for a in (Y, U, V))
    Xm = np.eye(U.shape[0], dtype=LD) if X is None else np.asarray(X, LD)
    G = Xm.T @ (Yl - Xm @ Ul @ Vl.T)
    U1, V1 = Ul + LD(eta) * (G @ Vl), Vl + LD(eta) * (G.T @ Ul)
    change = (U1.T @ U1 - V1.T @ V1) - (Ul.T @ Ul - Vl.T @ Vl)
    GV, UG = np.asarray(G @ Vl, float), np.asarray(Ul.T @ G, float)
    terms = eta**2 * (np.sum(GV**2) + np.sum(UG**2))
    # the package forms G in double: G is off by ~ dims * eps (||Y|| + s^2 ||U|| ||V||),
    # which moves the eta^2 terms by ~ eta^2 ||G|| (||U||^2 + ||V||^2) times that
    gerr = eta**2 * math.sqrt(float(np.sum(np.asarray(G, float) ** 2))) * (np.sum(U**2) + np.sum(V**2)) * (
        np.linalg.norm(Y) + s_of(X) ** 2 * np.linalg.norm(U) * np.linalg.norm(V)
    )
    big = np.sum(np.asarray(U1, float) ** 2) + np.sum(np.asarray(V1, float) ** 2) + np.sum(U**2) + np.sum(V**2)
    if not (math.isfinite(terms) and math.isfinite(big)):
        return  # the one-step change itself overflows double precision: nothing finite to compare
    assert np.all(np.isfinite(inc)) and inc.shape == (U.shape[1],) * 2
    assert np.allclose(inc, inc.T, rtol=0, atol=1e-13 * terms + 1e-300)
    # error budget: the formula in double (~k eps * terms) + the extended-precision
    # difference of two Gram matrices (~k eps_ld * big); 1e-12 / 1e-16 leave margins
    err = np.max(np.abs(inc - np.asarray(change, float)))
    assert err <= 1e-12 * terms + 1e-13 * gerr + 1e-16 * big + 1e-300
    # exactly quadratic in the step, and the trace identity
    assert np.allclose(gd.imbalance_increment(Y, U, V, eta / 2, X=X), inc / 4, rtol=1e-12, atol=1e-300)
    trace = eta**2 * (np.sum(GV**2) - np.sum(UG**2))
    assert math.isclose(np.trace(inc), trace, rel_tol=0, abs_tol=1e-12 * terms + 1e-13 * gerr + 1e-300)


# ----------------------------------------------------------------------------------
# the descent factor (lem-gd-one-step)


def _phi_mp(eta, beta, loss, s):
    with mpmath.workdps(50):
        eta, beta, loss, s = (mpmath.mpf(x) for x in (eta, beta, loss, s))
        r = s * mpmath.sqrt(2 * loss)
        return 1 - eta / 2 * (beta + r) - eta**2 / 2 * beta * r - eta**3 / 4 * s**2 * beta * loss


STEPS = log10s(-8, 4)
BETAS = log10s(-12, 8)
LOSSES = st.one_of(st.just(0.0), log10s(-12, 16))
SS = st.one_of(st.just(0.0), st.just(1.0), log10s(-3, 3))


@settings(max_examples=edges.examples(100))
@given(step=STEPS, beta=BETAS, loss=LOSSES, s=SS, more=log10s(0, 2))
def test_descent_factor_is_the_formula_and_decreases(step, beta, loss, s, more):
    phi = gd.descent_factor(step, beta, loss, s=s)
    assert math.isfinite(phi)
    # against 50 digits: four terms, each with a few roundings, so the error is at most
    # ~ 8 eps times the sum of their absolute values
    r = s * math.sqrt(2 * loss)
    size = 1 + step / 2 * (beta + r) + step**2 / 2 * beta * r + step**3 / 4 * s * s * beta * loss
    assert abs(phi - float(_phi_mp(step, beta, loss, s))) <= 8 * EPS * size
    # decreasing in eta, beta and loss (lem-gd-one-step); 1 - eta beta / 2 at zero loss
    slack = 16 * EPS * size * more**3
    assert gd.descent_factor(step * more, beta, loss, s=s) <= phi + slack
    assert gd.descent_factor(step, beta * more, loss, s=s) <= phi + slack
    assert gd.descent_factor(step, beta, loss * more, s=s) <= phi + slack
    zero_loss = gd.descent_factor(step, beta, 0.0, s=s)
    assert math.isclose(zero_loss, 1 - step * beta / 2, rel_tol=0, abs_tol=4 * EPS * (1 + step * beta))
    assert gd.descent_factor(0.0, beta, loss, s=s) == 1.0
    # s = 0 (no data) at a loss whose double overflows: still 1 - eta beta / 2, not nan
    assert gd.descent_factor(step, beta, 1.5e308, s=0.0) == gd.descent_factor(step, beta, 0.0, s=0.0)


# ----------------------------------------------------------------------------------
# the local constants (lem-gd-pl, lem-gd-one-step)


@given(problem=problems(), fracs=st.lists(st.floats(1e-6, 1.0), min_size=1, max_size=3))
def test_local_constants_and_the_one_step_bound(problem, fracs):
    Y, U, V, X = problem
    lc = gd.local_constants(Y, U, V, X=X)
    assert edges.all_finite(lc)
    m, k = U.shape
    n = V.shape[0]
    s = s_of(X)
    sx = 1.0 if X is None else float(np.linalg.svd(X, compute_uv=False)[m - 1])
    su = np.linalg.svd(U, compute_uv=False)
    sv = np.linalg.svd(V, compute_uv=False)
    # the definitions, from singular values (eigvalsh of U U^T is exact to ~ m eps ||U||^2)
    lam_m = su[m - 1] ** 2 if k >= m else 0.0
    lam_n = sv[n - 1] ** 2 if k >= n else 0.0
    big = su[0] ** 2 + sv[0] ** 2
    assert abs(lc.alpha - sx**2 * (lam_m + lam_n)) <= 1e-13 * sx**2 * big + 1e-300
    # rank U <= k: the missing eigenvalues are exact zeros, not rounding noise
    if k < m and k < n:
        assert lc.alpha == 0.0
    if X is not None and m >= 2:  # X without full column rank: sigma_m(X) = 0, alpha = 0
        Xd = X.copy()
        Xd[:, -1] = Xd[:, 0]
        assert gd.local_constants(Y, U, V, X=Xd).alpha == 0.0
    assert math.isclose(lc.beta, s**2 * big, rel_tol=1e-12)
    Xm = np.eye(m) if X is None else X
    E = Y - Xm @ U @ V.T
    G = Xm.T @ E
    assert math.isclose(lc.loss, 0.5 * float(np.sum(E * E)), rel_tol=1e-12, abs_tol=1e-300)
    g = float(np.sum((G @ V) ** 2) + np.sum((U.T @ G) ** 2))
    assert math.isclose(lc.grad_sq, g, rel_tol=1e-12, abs_tol=1e-300)
    # lem-gd-pl: ||grad||^2 >= 2 alpha (l - l*); l - l* = ||P_X E||^2 / 2 is computed here
    # from the projection of E on the range of X, without cancellation
    Qx = np.linalg.qr(Xm)[0]
    excess = 0.5 * float(np.sum((Qx.T @ E) ** 2))
    assert lc.grad_sq >= 2 * lc.alpha * excess * (1 - 1e-10) - 1e-13 * sx**2 * big * 2 * excess
    # lem-gd-one-step: l(eta) <= l - eta phi(eta) ||grad||^2 for eta up to the bound step
    if lc.beta > 0:
        eta_b = _common.bound_step(lc.beta, lc.loss, s)
        for frac in fracs:
            eta = frac * eta_b
            actual = explicit_step_loss(Y, U, V, eta, X)
            bound = lc.loss - eta * gd.descent_factor(eta, lc.beta, lc.loss, s=s) * lc.grad_sq
            # both sides are accurate to ~ 1e-13 relative to l + eta ||grad||^2, plus the
            # double-precision residual of the package (~ eps (||Y|| + s ||W||) ||E||)
            rerr = math.sqrt(2 * lc.loss) * (np.linalg.norm(Y) + s * np.linalg.norm(U) * np.linalg.norm(V))
            assert actual <= bound + 1e-12 * (lc.loss + eta * lc.grad_sq) + 1e-13 * rerr + 1e-300
