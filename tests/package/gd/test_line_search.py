"""Tests of overparam.gd._line_search: the loss along the gradient (eq-gd-quartic) and its minimizer.

Independent references: the loss after one explicit step in extended precision, the parts
E, B1, B2 written from the lemma, a dense grid and ``scipy.optimize.minimize_scalar``.
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import minimize_scalar

import edges
from overparam.gd import _line_search

from .reference import explicit_step_loss, local_beta, log10s, problems, quartic_parts, s_of


@settings(max_examples=edges.examples(60))
@given(problem=problems(), steps=st.lists(log10s(-6, 1), min_size=1, max_size=4))
def test_the_quartic_is_the_loss_after_one_step(problem, steps):
    Y, U, V, X = problem
    c = _line_search.loss_along_gradient(Y, U, V, X)
    assert c.shape == (5,) and np.all(np.isfinite(c))
    Xm = np.eye(U.shape[0]) if X is None else X
    E = Y - Xm @ U @ V.T
    G = Xm.T @ E
    g = float(np.sum((G @ V) ** 2) + np.sum((U.T @ G) ** 2))
    E_, B1, B2 = quartic_parts(Y, U, V, X)
    # c0 and c1 are sums of squares (relative accuracy ~ size * eps); c4 = ||B2||^2 / 2 >= 0
    assert math.isclose(c[0], 0.5 * float(np.sum(E * E)), rel_tol=1e-12, abs_tol=1e-300)
    # c1 = -<G, G Q + P G>: a sum of products of either sign, accurate to ~ dims * eps
    # of ||G||^2 (||P|| + ||Q||) (not of g itself when G V is small)
    gscale = float(np.sum(G * G)) * (np.linalg.norm(U, 2) ** 2 + np.linalg.norm(V, 2) ** 2)
    assert abs(-c[1] - g) <= 1e-13 * gscale + 1e-300 and c[4] >= 0
    base = 1.0 / (local_beta(X, U, V) + s_of(X) ** 2 * np.linalg.norm(Y) + 1e-300)
    for frac in steps:
        eta = frac * base  # 1e-6 .. 10 times the natural step 1 / (beta + s ||Y||)
        direct = explicit_step_loss(Y, U, V, eta, X)
        value = np.polynomial.polynomial.polyval(eta, c)
        # error of the coefficient form: every c_i eta^i carries ~ dims * eps of the
        # products of norms that make it, all bounded by M^2 with
        # M = ||E|| + eta ||B1|| + eta^2 ||B2||; dims * eps <= 1e-13 here
        M = np.linalg.norm(E_) + eta * np.linalg.norm(B1) + eta**2 * np.linalg.norm(B2)
        assert abs(value - direct) <= 1e-12 * M**2 + 1e-300


@given(problem=problems())
def test_line_search_minimizes_the_loss_along_the_gradient(problem):
    Y, U, V, X = problem
    eta = _line_search.line_search_step(Y, U, V, X)
    assert math.isfinite(eta) and eta >= 0
    E, B1, B2 = quartic_parts(Y, U, V, X)
    loss = lambda e: 0.5 * float(np.sum((E - e * B1 - e * e * B2) ** 2))  # noqa: E731
    size = lambda e: float(np.linalg.norm(E) + e * np.linalg.norm(B1) + e * e * np.linalg.norm(B2))  # noqa: E731
    l0 = loss(0.0)
    c = _line_search.loss_along_gradient(Y, U, V, X)
    if c[1] < 0:
        assert eta > 0
    # the reference: a dense grid (log-spaced around eta, and linear on [0, 4 eta]) and
    # a bounded scalar minimization on the directly evaluated loss
    anchor = eta if eta > 0 else 1.0 / (local_beta(X, U, V) + 1e-300)
    grid = np.concatenate([[0.0], anchor * np.logspace(-8, 6, 1401), np.linspace(0, 4 * anchor, 401)])
    with np.errstate(over="ignore", invalid="ignore"):
        R = E[None] - grid[:, None, None] * B1[None] - (grid**2)[:, None, None] * B2[None]
        values = 0.5 * np.sum(R * R, axis=(1, 2))
    values = np.where(np.isfinite(values), values, np.inf)
    best = int(np.argmin(values))
    opt = minimize_scalar(loss, bounds=(0.0, 4 * anchor), method="bounded", options={"xatol": 1e-12 * anchor})
    # the direct evaluation has a rounding error ~ dims * eps * size(e) * ||R(e)||, and
    # the minimum value ~ ||R|| sqrt(2 l) : 1e-12 * size * (sqrt(2 l0) + 1e-12 size) bounds it
    for other, value in ((grid[best], values[best]), (opt.x, opt.fun)):
        M = max(size(eta), size(other))
        tol = 1e-12 * M * (math.sqrt(2 * l0) + 1e-12 * M) + 1e-300
        assert loss(eta) <= value + tol, (eta, other, loss(eta), value)
    assert loss(eta) <= l0


def test_no_step_at_a_stationary_point():
    """At a minimizer (W = Y) the gradient vanishes and the line search returns 0."""
    U = np.array([[1.0, 0.0], [0.0, 2.0]])
    V = np.array([[0.5, 0.0], [0.0, 1.0]])
    assert _line_search.line_search_step(U @ V.T, U, V) == 0.0
