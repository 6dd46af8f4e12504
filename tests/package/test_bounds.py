"""Tests of overparam.bounds: the rate of chapter 4 (imbalance and margin) and of chapter 5 (data).

The main property: on random square and rectangular instances the loss of the flow never
exceeds l(0) exp(-alpha t) (also against the independent LSODA solve of conftest, and at
extreme scales up to t = 1e6). Then the special cases the book states (scalar formula, no
margin, square homogeneous imbalance), the lemma on random pairs and in 60-digit arithmetic,
the slide's version (equal on square targets, violated on a fixed rectangular one), and the
imbalance terms against an independent spectrum.
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import edges
from conftest import reference_flow
from overparam import _numerics as _n
from overparam import bounds, flow, riccati
from overparam.flow import gradient_flow
from package.test_flow import EPS, T_END, log_scale, problems, rate_scale, scaled_atol

BAD: list = []


def _bad(target, kind, what, thunk, argument, error=ValueError):
    """A hand-written bad input: ``thunk()`` must raise ``error`` naming ``argument``."""
    BAD.append(pytest.param(thunk, argument, error, id=f"{target}-{kind}-{what}"))


def slide_terms(U0, V0):
    """The slide's imbalance terms: the indices m and n of the two lower terms exchanged."""
    Lam = U0.T @ U0 - V0.T @ V0
    return bounds.ImbalanceTerms(*_n.imbalance_terms(_n.eigenvalues_desc(Lam), V0.shape[0], U0.shape[0]))


def rate_from_terms(terms, margins):
    """alpha as twice the sum of the lemma's two bounds at the margins (the theorem's identity)."""
    bu, bv = bounds.gram_lower_bounds(terms, margins.mu_m, margins.mu_n)
    return 2.0 * (bu + bv)


SLACK = 1e-6  # relative slack of the bound check; the flow is accurate to ~1e-9


def _instance(seed: int, m: int, n: int, k: int, kind: str):
    """A random (Y, U0, V0): kind in {'far', 'near', 'balanced-near', 'balanced-far'}."""
    rng = np.random.default_rng(seed)
    if kind.startswith("balanced"):
        r = min(m, n)
        C = rng.standard_normal((r, k)) * rng.uniform(0.5, 1.5)
        U0 = np.linalg.qr(rng.standard_normal((m, r)))[0] @ C
        V0 = np.linalg.qr(rng.standard_normal((n, r)))[0] @ C
    else:
        U0 = rng.standard_normal((m, k)) * rng.uniform(0.2, 1.5)
        V0 = rng.standard_normal((n, k)) * rng.uniform(0.2, 1.5)
    W0 = U0 @ V0.T
    if kind.endswith("near"):
        N = rng.standard_normal((m, n))
        Y = W0 + rng.uniform(0.1, 0.6) * bounds.singular_value(W0, min(m, n)) * N / np.linalg.norm(N)
    else:
        Y = rng.standard_normal((m, n)) * rng.uniform(0.5, 2.0)
    return Y, U0, V0


def _check_bound(Y, U0, V0, loss, t):
    alpha = bounds.rate_bound(Y, U0, V0)
    bound = loss[0] * np.exp(-alpha * t)
    assert np.all(loss <= bound * (1 + SLACK)), float(np.max(loss / bound))
    return alpha


@st.composite
def bound_problems(draw):
    m = draw(st.integers(1, 4))
    n = draw(st.integers(1, 4))
    k = draw(st.integers(min(m, n), m + n + 1))
    kind = draw(st.sampled_from(["far", "near", "balanced-near", "balanced-far"]))
    seed = draw(st.integers(0, 2**32 - 1))
    return _instance(seed, m, n, k, kind)


@given(bound_problems())
def test_flow_never_exceeds_the_bound(problem):
    Y, U0, V0 = problem
    alpha = bounds.rate_bound(Y, U0, V0)
    assert alpha >= 0.0
    t = np.linspace(0.0, min(8.0, 12.0 / alpha) if alpha > 0 else 8.0, 41)
    run = gradient_flow(Y, U0, V0, t)
    _check_bound(Y, U0, V0, run.loss, t)
    np.testing.assert_allclose(bounds.loss_bound(Y, U0, V0, t), run.loss[0] * np.exp(-alpha * t), rtol=1e-12)


@pytest.mark.parametrize("m, n, k, kind, seed", [(3, 3, 4, "near", 1), (4, 2, 3, "far", 2), (2, 5, 7, "near", 3)])
def test_bound_against_independent_solver(m, n, k, kind, seed):
    """The same property with the independent LSODA solve of conftest."""
    Y, U0, V0 = _instance(seed, m, n, k, kind)
    alpha = bounds.rate_bound(Y, U0, V0)
    t = np.linspace(0.0, min(6.0, 12.0 / alpha) if alpha > 0 else 6.0, 31)
    _, _, W = reference_flow(Y, U0, V0, t)
    loss = 0.5 * np.sum((Y[None] - W) ** 2, axis=(1, 2))
    _check_bound(Y, U0, V0, loss, t)


@given(st.integers(1, 4), st.integers(1, 4), st.integers(0, 4), st.integers(0, 2**32 - 1))
def test_no_margin_gives_twice_the_lower_imbalance(m, n, extra, seed):
    k = min(m, n) + extra
    rng = np.random.default_rng(seed)
    U0 = rng.standard_normal((m, k)) * rng.uniform(0.2, 2.0)
    V0 = rng.standard_normal((n, k)) * rng.uniform(0.2, 2.0)
    Y = -(U0 @ V0.T)  # ||Y - W0||_F = 2 ||Y||_F >= sigma_1(Y): both margins are zero
    assert bounds.margins(Y, U0, V0) == (0.0, 0.0)
    terms = bounds.imbalance_terms(U0, V0)
    assert bounds.rate_bound(Y, U0, V0) == pytest.approx(
        2.0 * (terms.lund_plus + terms.lund_minus), rel=1e-12, abs=1e-12
    )


@pytest.mark.parametrize("lam", [-1.3, -0.2, 0.0, 0.4, 2.5])
def test_square_homogeneous_imbalance(lam):
    rng = np.random.default_rng(7)
    U0, V0 = riccati.initialization(3, 3, 3, lam, 0.8, rng)
    W0 = U0 @ V0.T
    Y = W0 + 0.3 * bounds.singular_value(W0, 3) * np.eye(3) / np.sqrt(3)
    mu = bounds.margins(Y, U0, V0)
    assert mu.mu_m == mu.mu_n > 0
    assert bounds.rate_bound(Y, U0, V0) == pytest.approx(2.0 * np.hypot(lam, 2.0 * mu.mu_m), rel=1e-9)


def test_imbalance_terms_follow_the_index_convention():
    # m = 2, n = 1, k = 3 with diagonal factors, so the spectrum of Lambda is explicit.
    U0 = np.array([[2.0, 0.0, 0.0], [0.0, 1.0, 0.0]])  # U0^T U0 = diag(4, 1, 0)
    V0 = np.array([[0.0, 0.0, 1.5]])  # V0^T V0 = diag(0, 0, 2.25)
    terms = bounds.imbalance_terms(U0, V0)  # Lambda = diag(4, 1, -2.25), m = 2, n = 1
    assert terms == pytest.approx((4.0, 2.25, 1.0, 2.25))
    slide = slide_terms(U0, V0)  # lambda_1(Lambda), lambda_2(-Lambda)
    assert slide == pytest.approx((4.0, 2.25, 4.0, 0.0))
    # indices beyond k count as zero eigenvalues
    assert bounds.imbalance_terms(np.ones((3, 1)), np.zeros((1, 1))).lund_plus == 0.0
    assert bounds.eigenvalue(np.diag([1.0, 3.0]), 1) == 3.0
    assert bounds.eigenvalue(np.diag([1.0, 3.0]), 3) == 0.0
    assert bounds.singular_value(np.ones((2, 3)), 2) == pytest.approx(0.0, abs=1e-15)
    assert bounds.singular_value(np.ones((2, 3)), 3) == 0.0


@given(st.integers(1, 4), st.integers(1, 4), st.integers(1, 6), st.integers(0, 2**32 - 1))
def test_gram_lemma_on_random_pairs(m, n, k, seed):
    rng = np.random.default_rng(seed)
    U = rng.standard_normal((m, k)) * rng.choice([0.1, 1.0, 3.0], size=k)
    V = rng.standard_normal((n, k)) * rng.choice([0.1, 1.0, 3.0], size=k)
    W = U @ V.T
    low_U, low_V = bounds.gram_lower_bounds(
        bounds.imbalance_terms(U, V), bounds.singular_value(W, m), bounds.singular_value(W, n)
    )
    tol = 1e-9 * (1.0 + np.linalg.norm(U) ** 2 + np.linalg.norm(V) ** 2)
    assert bounds.eigenvalue(U @ U.T, m) >= low_U - tol
    assert bounds.eigenvalue(V @ V.T, n) >= low_V - tol


def test_gram_lemma_is_an_equality_for_two_hidden_units():
    rng = np.random.default_rng(3)
    for _ in range(10):
        u, v = rng.standard_normal(2), rng.standard_normal(2)
        w = abs(float(u @ v))
        low_U, low_V = bounds.gram_lower_bounds(bounds.imbalance_terms(u[None], v[None]), w, w)
        assert low_U == pytest.approx(float(u @ u), rel=1e-12)
        assert low_V == pytest.approx(float(v @ v), rel=1e-12)


def test_slide_literal_equals_the_theorem_on_square_targets():
    for seed in range(5):
        Y, U0, V0 = _instance(seed, 3, 3, 5, "near")
        assert bounds.rate_bound_slide_literal(Y, U0, V0) == bounds.rate_bound(Y, U0, V0)


def test_slide_literal_is_violated_on_a_rectangular_instance():
    """U0^T U0 = diag(4, 4, 4, 0.25) and V0^T V0 = diag(0, 0, 0, 1) for a 4 x 1 target.

    Lambda = diag(4, 4, 4, -0.75): lambda_n(Lambda) = 4 (printed) but lambda_m(Lambda) < 0,
    and the residual left in the weak direction of U decays slowly.
    """
    U0 = np.diag([2.0, 2.0, 2.0, 0.5])
    V0 = np.array([[0.0, 0.0, 0.0, 1.0]])
    Y = np.array([[0.0], [0.0], [0.0], [1.0]])  # W0 = (0, 0, 0, 0.5)^T
    alpha, alpha_slide = bounds.rate_bound(Y, U0, V0), bounds.rate_bound_slide_literal(Y, U0, V0)
    assert alpha_slide > 2 * alpha > 0
    t = np.linspace(0.0, 3.0, 31)
    run = gradient_flow(Y, U0, V0, t)
    _check_bound(Y, U0, V0, run.loss, t)
    assert np.max(run.loss / (run.loss[0] * np.exp(-alpha_slide * t))) > 10.0


# --- regression (data X): chapter 5, thm-regression-rate -----------------------------------


def test_regression_with_identity_data_is_matrix_factorization():
    rng = np.random.default_rng(8)
    Y, U0, V0 = rng.standard_normal((3, 2)), rng.standard_normal((3, 5)), rng.standard_normal((2, 5))
    assert bounds.rate_bound(Y, U0, V0, X=np.eye(3)) == pytest.approx(bounds.rate_bound(Y, U0, V0), rel=1e-10)
    assert bounds.regression_constant(Y, U0, V0, np.eye(3)) == pytest.approx(bounds.rate_bound(Y, U0, V0), rel=1e-10)
    # scaling X by s scales lambda_r(Sigma_x) by s^2 and the margins by 1/s: check against the definition
    t = np.linspace(0.0, 3.0, 7)
    np.testing.assert_allclose(
        bounds.loss_bound(Y, U0, V0, t, X=np.eye(3)), bounds.loss_bound(Y, U0, V0, t), rtol=1e-10
    )


def test_regression_constant_without_margin_is_twice_the_lower_terms():
    rng = np.random.default_rng(9)
    X = rng.standard_normal((6, 4))
    Y = rng.standard_normal((6, 1))
    U0, V0 = 3.0 * rng.standard_normal((4, 7)), 0.1 * rng.standard_normal((1, 7))  # far from a solution
    terms = bounds.imbalance_terms(U0, V0, X=X)
    assert bounds.margins(Y, U0, V0, X=X) == bounds.Margins(0.0, 0.0)
    assert bounds.regression_constant(Y, U0, V0, X) == pytest.approx(
        2 * (terms.lund_plus + terms.lund_minus), rel=1e-12
    )


@st.composite
def regression_instances(draw):
    """Tall, wide and rank-deficient data; random widths, scales and imbalance."""
    kind = draw(st.sampled_from(["tall", "wide", "rank-deficient"]))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    m = draw(st.integers(1, 5))
    n = draw(st.integers(1, 3))
    N = {"tall": m + draw(st.integers(1, 4)), "wide": max(1, m - draw(st.integers(1, 3))), "rank-deficient": m + 2}[
        kind
    ]
    X = rng.standard_normal((N, m))
    if kind == "rank-deficient" and m > 1:
        X = X @ np.diag([1.0] * (m - 1) + [0.0]) @ np.linalg.qr(rng.standard_normal((m, m)))[0]
    k = draw(st.integers(max(1, min(m, n)), m + n + 2))
    su, sv = draw(st.sampled_from([(1.0, 0.1), (0.1, 1.0), (0.5, 0.5), (2.0, 0.3)]))
    return X, rng.standard_normal((N, n)), su * rng.standard_normal((m, k)), sv * rng.standard_normal((n, k))


@given(instance=regression_instances())
def test_regression_bound_holds_along_the_flow(instance):
    """l(t) <= l* + (l(0) - l*) exp(-lambda_r(Sigma_x) c t) on tall, wide and rank-deficient X (slack 1e-6 of l(0))."""
    X, Y, U0, V0 = instance
    t = np.linspace(0.0, 4.0, 41)
    run = gradient_flow(Y, U0, V0, t, X=X)
    bound = bounds.loss_bound(Y, U0, V0, t, X=X)
    assert bound[0] == pytest.approx(run.loss[0], rel=1e-12)
    assert np.all(run.loss <= bound + 1e-6 * run.loss[0]), f"max excess {np.max(run.loss - bound):.3e}"


# ----------------------------------------------------------------------------------
# valid calls, hand-written bad input, extreme ranges
# ----------------------------------------------------------------------------------

_rng = np.random.default_rng(4242)
Y = _rng.standard_normal((3, 2))
U0 = _rng.standard_normal((3, 4))
V0 = _rng.standard_normal((2, 4))
X = _rng.standard_normal((5, 3))
YX = _rng.standard_normal((5, 2))
T = np.array([0.0, 0.5, 1.0])
S = _rng.standard_normal((3, 3))
SYM = S + S.T
TERMS = bounds.imbalance_terms(U0, V0)

CALLS = {
    "bounds.eigenvalue": edges.call(bounds.eigenvalue, SYM, 2),
    "bounds.singular_value": edges.call(bounds.singular_value, Y, 2),
    "bounds.imbalance_terms": edges.call(bounds.imbalance_terms, U0, V0, X=X),
    "bounds.margins": edges.call(bounds.margins, YX, U0, V0, X=X),
    "bounds.gram_lower_bounds": edges.call(bounds.gram_lower_bounds, TERMS, 0.4, 0.7),
    "bounds.rate_bound": edges.call(bounds.rate_bound, Y, U0, V0),
    "bounds.rate_bound_slide_literal": edges.call(bounds.rate_bound_slide_literal, Y, U0, V0),
    "bounds.regression_constant": edges.call(bounds.regression_constant, YX, U0, V0, X),
    "bounds.loss_bound": edges.call(bounds.loss_bound, YX, U0, V0, T, X=X),
}

# ----------------------------------------------------------------------------------
# hand-written bad input
# ----------------------------------------------------------------------------------

B = "bounds."
ZERO_TERMS = bounds.ImbalanceTerms(0.0, 0.0, 0.0, 0.0)
Y3, U32, V32 = np.ones((3, 3)), np.ones((3, 2)), np.ones((3, 2))  # k = 2 < min(m, n) = 3
X_RANK2 = _rng.standard_normal((6, 2)) @ _rng.standard_normal((2, 3))  # rank 2: min(r, n) = 2 with n = 2
YX6 = _rng.standard_normal((6, 2))

_bad(B + "eigenvalue", "shape", "A-not-square", lambda: bounds.eigenvalue(np.ones((2, 3)), 1), "A")
_bad(B + "eigenvalue", "shape", "A-vector", lambda: bounds.eigenvalue(np.ones(3), 1), "A")
_bad(
    B + "eigenvalue",
    "structure",
    "A-not-symmetric",
    lambda: bounds.eigenvalue(np.array([[0.0, 1.0], [0.0, 0.0]]), 1),
    "A",
)
_bad(
    B + "eigenvalue",
    "structure",
    "A-slightly-not-symmetric",
    lambda: bounds.eigenvalue(np.array([[1.0, 1.0], [1.0 + 1e-6, 1.0]]), 1),
    "A",
)
_bad(B + "eigenvalue", "value", "i-zero", lambda: bounds.eigenvalue(SYM, 0), "i")
_bad(B + "eigenvalue", "value", "i-negative", lambda: bounds.eigenvalue(SYM, -1), "i")
_bad(B + "eigenvalue", "type", "i-numpy-float", lambda: bounds.eigenvalue(SYM, np.float64(1.0)), "i", TypeError)
_bad(B + "singular_value", "shape", "A-vector", lambda: bounds.singular_value(np.ones(3), 1), "A")
_bad(B + "singular_value", "value", "i-zero", lambda: bounds.singular_value(Y, 0), "i")
_bad(B + "singular_value", "type", "i-array", lambda: bounds.singular_value(Y, np.array([1])), "i", TypeError)

IT = B + "imbalance_terms"
_bad(IT, "shape", "V0-width-not-U0-width", lambda: bounds.imbalance_terms(U0, np.ones((2, 3))), "V0")
_bad(IT, "shape", "U0-vector", lambda: bounds.imbalance_terms(np.ones(3), V0), "U0")
_bad(IT, "shape", "X-columns-not-rows-of-U0", lambda: bounds.imbalance_terms(U0, V0, X=np.ones((5, 4))), "X")
_bad(IT, "rank", "X-zero", lambda: bounds.imbalance_terms(U0, V0, X=np.zeros((5, 3))), "X")

MA = B + "margins"
_bad(MA, "shape", "U0-rows-not-rows-of-Y", lambda: bounds.margins(Y, np.ones((2, 4)), V0), "U0")
_bad(MA, "shape", "V0-rows-not-columns-of-Y", lambda: bounds.margins(Y, U0, np.ones((3, 4))), "V0")
_bad(MA, "shape", "X-rows-not-rows-of-Y", lambda: bounds.margins(YX, U0, V0, X=np.ones((4, 3))), "X")
_bad(MA, "rank", "X-zero", lambda: bounds.margins(YX, U0, V0, X=np.zeros((5, 3))), "X")
_bad(MA, "nonfinite", "nan-Y-factorization", lambda: bounds.margins(np.full((3, 2), np.nan), U0, V0), "Y")

GL = B + "gram_lower_bounds"
_bad(
    GL,
    "type",
    "terms-plain-tuple",
    lambda: bounds.gram_lower_bounds((0.0, 0.0, 0.0, 0.0), 1.0, 1.0),
    "terms",
    TypeError,
)
_bad(
    GL,
    "type",
    "terms-margins-record",
    lambda: bounds.gram_lower_bounds(bounds.Margins(0.0, 0.0), 1.0, 1.0),
    "terms",
    TypeError,
)
_bad(
    GL,
    "nonfinite",
    "nan-in-terms",
    lambda: bounds.gram_lower_bounds(bounds.ImbalanceTerms(np.nan, 0.0, 0.0, 0.0), 1.0, 1.0),
    "terms.lbar_plus",
)
_bad(
    GL,
    "nonfinite",
    "inf-in-terms",
    lambda: bounds.gram_lower_bounds(bounds.ImbalanceTerms(0.0, 0.0, 0.0, np.inf), 1.0, 1.0),
    "terms.lund_minus",
)
_bad(
    GL,
    "type",
    "string-in-terms",
    lambda: bounds.gram_lower_bounds(bounds.ImbalanceTerms(0.0, "1", 0.0, 0.0), 1.0, 1.0),
    "terms.lbar_minus",
    TypeError,
)
_bad(
    GL,
    "value",
    "negative-term",
    lambda: bounds.gram_lower_bounds(bounds.ImbalanceTerms(0.0, 0.0, -1.0, 0.0), 1.0, 1.0),
    "terms.lund_plus",
)
_bad(GL, "value", "negative-sigma_m", lambda: bounds.gram_lower_bounds(ZERO_TERMS, -1.0, 0.0), "sigma_m")
_bad(
    GL,
    "value",
    "negative-sigma_n-entry",
    lambda: bounds.gram_lower_bounds(ZERO_TERMS, [1.0, 2.0], [1.0, -2.0]),
    "sigma_n",
)
_bad(GL, "shape", "sigma-shapes-differ", lambda: bounds.gram_lower_bounds(ZERO_TERMS, [1.0, 2.0], 0.0), "sigma_m")

for _name in ("rate_bound", "rate_bound_slide_literal"):
    _f = getattr(bounds, _name)
    _bad(B + _name, "width", "k-below-min-m-n", lambda f=_f: f(Y3, U32, V32), "U0")
    _bad(B + _name, "width", "k-one-for-square-2", lambda f=_f: f(np.eye(2), np.ones((2, 1)), np.ones((2, 1))), "U0")
    _bad(B + _name, "shape", "U0-rows-not-rows-of-Y", lambda f=_f: f(Y, np.ones((2, 4)), V0), "U0")
    _bad(B + _name, "shape", "V0-width-not-U0-width", lambda f=_f: f(Y, U0, np.ones((2, 3))), "V0")
    _bad(B + _name, "nonfinite", "inf-in-list-Y", lambda f=_f: f([[1.0, float("inf")]] * 3, U0, V0), "Y")
_bad(B + "rate_bound", "shape", "X-rows-not-rows-of-Y", lambda: bounds.rate_bound(Y, U0, V0, X=np.eye(2)), "X")
_bad(B + "rate_bound", "rank", "X-zero", lambda: bounds.rate_bound(YX, U0, V0, X=np.zeros((5, 3))), "X")
_bad(
    B + "rate_bound",
    "width",
    "k-below-min-rank-n",
    lambda: bounds.rate_bound(YX6, U0[:, :1], V0[:, :1], X=X_RANK2),
    "U0",
)

RC = B + "regression_constant"
_bad(RC, "type", "X-None", lambda: bounds.regression_constant(YX, U0, V0, None), "X", TypeError)
_bad(RC, "rank", "X-zero", lambda: bounds.regression_constant(YX, U0, V0, np.zeros((5, 3))), "X")
_bad(RC, "width", "k-below-min-rank-n", lambda: bounds.regression_constant(YX6, U0[:, :1], V0[:, :1], X_RANK2), "U0")
_bad(RC, "shape", "X-columns-not-rows-of-U0", lambda: bounds.regression_constant(YX, U0, V0, np.ones((5, 4))), "U0")
_bad(RC, "shape", "Y-rows-not-rows-of-X", lambda: bounds.regression_constant(Y, U0, V0, X), "X")

LB = B + "loss_bound"
_bad(LB, "times", "negative", lambda: bounds.loss_bound(Y, U0, V0, [-1.0, 0.0]), "t")
_bad(LB, "times", "unsorted", lambda: bounds.loss_bound(Y, U0, V0, [0.0, 2.0, 1.0]), "t")
_bad(LB, "times", "two-dimensional", lambda: bounds.loss_bound(Y, U0, V0, np.zeros((2, 2))), "t")
_bad(LB, "times", "empty", lambda: bounds.loss_bound(Y, U0, V0, []), "t")
_bad(LB, "times", "unsorted-with-X", lambda: bounds.loss_bound(YX, U0, V0, [1.0, 0.0], X=X), "t")
_bad(LB, "times", "scalar-with-X", lambda: bounds.loss_bound(YX, U0, V0, 1.0, X=X), "t")
_bad(LB, "width", "k-below-min-m-n", lambda: bounds.loss_bound(Y3, U32, V32, T), "U0")
_bad(LB, "width", "k-below-min-rank-n", lambda: bounds.loss_bound(YX6, U0[:, :1], V0[:, :1], T, X=X_RANK2), "U0")
_bad(LB, "rank", "X-zero", lambda: bounds.loss_bound(YX, U0, V0, T, X=np.zeros((5, 3))), "X")
_bad(LB, "shape", "V0-rows-not-columns-of-Y", lambda: bounds.loss_bound(Y, U0, np.ones((3, 4)), T), "V0")


def _flow_times(Y, U0, V0, X, span, t_end):
    """Six times over `span` units of the fastest time scale, then t_end (up to 1e6)."""
    t = np.linspace(0.0, span / rate_scale(Y, U0, V0, X), 6)
    return np.append(t, max(t_end, t[-1]))


def _slack(run, Y, X):
    """How far the computed loss may exceed the exact one.

    The run uses rtol 1e-12 with atol at the state's scale (scaled_atol), so W(t) is
    accurate to ~1e-10 relative to max_t |W(t)| (the flow tests see 1e-8 at rtol 1e-10).
    A change dW moves l by at most |Y - X W| |X| |dW| <= sqrt(2 l(0)) |X| dW: slack
    1e-8 sqrt(2 l(0)) |X| max|W|, i.e. relative to l(0) it is 1e-8 |X| max|W| / sqrt(l(0)).
    Plus the rounding of the computed loss, 1e3 eps (|Y| + |X W|)^2 (see the flow tests)."""
    x = 1.0 if X is None else np.linalg.norm(X, 2)
    XW = run.W if X is None else X[None] @ run.W
    w = float(np.max(np.linalg.norm(run.W, axis=(1, 2))))
    rounding = np.max(0.5 * np.sum((np.abs(Y)[None] + np.abs(XW)) ** 2, axis=(1, 2)))
    return 1e-8 * np.sqrt(2 * run.loss[0]) * x * w + 1e3 * EPS * rounding


@pytest.mark.sweep
@settings(max_examples=edges.examples(12))
@given(problem=problems(k_min_extra=(0, 4), data=("none",)), span=st.floats(0.0, 20.0), t_end=T_END)
def test_factorization_bound_lemma_and_margins_hold_along_the_flow(problem, span, t_end):
    """Chapter 4 along the actual flow: l(t) <= l(0) e^{-alpha t}; sigma_i(W(t)) >= mu_i
    (lem-margin); lambda_m(U U^T) and lambda_n(V V^T) >= the lemma's bounds at sigma(W(t))
    (lem-gram-imbalance). Scales 1e-6 .. 1e4, imbalance 0 .. 1e8, t up to 1e6, k >= min(m, n)."""
    Y, U0, V0, _ = problem
    m, n = Y.shape
    t = _flow_times(Y, U0, V0, None, span, t_end)
    alpha = bounds.rate_bound(Y, U0, V0)
    terms, mu = bounds.imbalance_terms(U0, V0), bounds.margins(Y, U0, V0)
    assert np.isfinite(alpha) and alpha >= 0.0
    assert alpha == rate_from_terms(terms, mu)
    assert alpha >= 2 * (terms.lund_plus + terms.lund_minus) * (1 - 1e-12)
    run = flow.gradient_flow(Y, U0, V0, t, method="params", rtol=1e-12, atol=scaled_atol(Y, U0, V0, 1e-12))
    bound = bounds.loss_bound(Y, U0, V0, t)
    assert edges.all_finite(bound) and np.all(bound >= 0)
    assert bound[0] == run.loss[0] or abs(bound[0] - run.loss[0]) <= 1e-12 * run.loss[0]
    assert np.all(run.loss <= bound + _slack(run, Y, None))
    # margins and the lemma, at every time. The run is accurate to ~1e-10 of the LARGEST size
    # along it (not of the current one): W(t) to 1e-10 max|W|, and the numerical (U, V) carry
    # an imbalance error up to 1e-10 max(|U|^2 + |V|^2) (the conservation check of the flow
    # tests allows 1e-8), while the lemma is applied with the exact initial terms.
    w_max = max(float(np.max(np.linalg.norm(run.W, axis=(1, 2)))), np.linalg.norm(Y))
    z_max = max(np.linalg.norm(U) ** 2 + np.linalg.norm(V) ** 2 for U, V in zip(run.U, run.V, strict=True))
    for U, V, W in zip(run.U, run.V, run.W, strict=True):
        s = np.linalg.svd(W, compute_uv=False)
        sig_m, sig_n = (float(s[i - 1]) if i <= s.size else 0.0 for i in (m, n))
        tol_w = 1e-8 * w_max
        assert sig_m >= mu.mu_m - tol_w and sig_n >= mu.mu_n - tol_w
        low_U, low_V = bounds.gram_lower_bounds(terms, sig_m, sig_n)
        tol_g = 1e-8 * z_max
        assert bounds.eigenvalue(U @ U.T, m) >= low_U - tol_g
        assert bounds.eigenvalue(V @ V.T, n) >= low_V - tol_g


@pytest.mark.sweep
@settings(max_examples=edges.examples(12))
@given(
    problem=problems(k_min_extra=(0, 4), data=("full", "rank-deficient", "wide")),
    span=st.floats(0.0, 20.0),
    t_end=T_END,
)
def test_regression_bound_holds_along_the_flow_at_extreme_scales(problem, span, t_end):
    """Chapter 5 along the flow: l(t) - l* <= (l(0) - l*) e^{-lambda_r(Sigma_x) c t}, for
    tall, rank-deficient and wide (N < m) data; c finite and >= 0; the reduced imbalance
    terms are conserved along the flow."""
    Y, U0, V0, X = problem
    t = _flow_times(Y, U0, V0, X, span, t_end)
    c = bounds.regression_constant(Y, U0, V0, X)
    rate = bounds.rate_bound(Y, U0, V0, X=X)
    assert np.isfinite(c) and c >= 0.0 and np.isfinite(rate) and rate >= 0.0
    sx = np.linalg.svd(X, compute_uv=False)
    lam_r = float(sx[sx > max(X.shape) * EPS * sx[0]][-1] ** 2)
    assert abs(rate - lam_r * c) <= 1e-12 * rate + 1e-300
    mu = bounds.margins(Y, U0, V0, X=X)
    assert min(mu) >= 0.0 and edges.all_finite(mu)
    run = flow.gradient_flow(Y, U0, V0, t, X=X, method="params", rtol=1e-12, atol=scaled_atol(Y, U0, V0, 1e-12))
    bound = bounds.loss_bound(Y, U0, V0, t, X=X)
    assert edges.all_finite(bound)
    assert np.all(run.loss <= bound + _slack(run, Y, X))
    terms0 = np.array(bounds.imbalance_terms(U0, V0, X=X))
    size = np.linalg.norm(U0) ** 2 + np.linalg.norm(V0) ** 2
    for U, V in zip(run.U[1:], run.V[1:], strict=True):
        big = np.linalg.norm(U) ** 2 + np.linalg.norm(V) ** 2
        assert np.max(np.abs(np.array(bounds.imbalance_terms(U, V, X=X)) - terms0)) <= 1e-8 * max(big, size)


@settings(max_examples=edges.examples(100))
@given(
    p=st.integers(1, 6),
    q=st.integers(1, 6),
    scale=log_scale(-6, 4),
    i=st.integers(1, 9),
    seed=st.integers(0, 2**32 - 1),
)
def test_eigenvalue_and_singular_value_of_constructed_spectra(p, q, scale, i, seed):
    """A = R diag(d) R^T and B = Q1 diag(s) Q2^T with known d, s: lambda_i(A) = d sorted
    decreasing, sigma_i(B) = s sorted, 0 beyond the size. Backward-stable eigen/SVD solvers:
    error <= a few (p + q) eps times the norm."""
    rng = np.random.default_rng(seed)
    d = scale * rng.standard_normal(p)
    R = np.linalg.qr(rng.standard_normal((p, p)))[0]
    A = R @ np.diag(d) @ R.T
    A = 0.5 * (A + A.T)
    want = np.sort(d)[::-1]
    got = bounds.eigenvalue(A, i)
    assert abs(got - (want[i - 1] if i <= p else 0.0)) <= 50 * p * EPS * np.max(np.abs(d))
    r = min(p, q)
    s = scale * np.abs(rng.standard_normal(r))
    Q1 = np.linalg.qr(rng.standard_normal((p, p)))[0][:, :r]
    Q2 = np.linalg.qr(rng.standard_normal((q, q)))[0][:, :r]
    B = Q1 @ np.diag(s) @ Q2.T
    sv = bounds.singular_value(B, i)
    assert sv >= 0.0
    assert abs(sv - (np.sort(s)[::-1][i - 1] if i <= r else 0.0)) <= 50 * (p + q) * EPS * np.max(s)
    # symmetries: lambda_i(c A) = c lambda_i(A) for c > 0; sigma_i(B^T) = sigma_i(B)
    assert bounds.singular_value(B.T, i) == pytest_approx(sv, 50 * (p + q) * EPS * np.max(s))


def pytest_approx(x, tol):
    import pytest

    return pytest.approx(x, rel=0, abs=tol)


def _terms_via_small_matrix(U0, V0, p, q):
    """The imbalance terms from a small symmetric matrix: with the thin QR Z^T = Q R of
    Z = [U0; V0] (R of size min(k, m + n) x (m + n)), Lambda = Z^T J Z = Q (R J R^T) Q^T,
    J = diag(I_m, -I_n), so the nonzero eigenvalues of Lambda are those of R J R^T; the
    rest are zeros, which do not change max(lambda_p, 0). An independent route to the
    spectrum, of size at most m + n whatever k is."""
    m, n, k = U0.shape[0], V0.shape[0], U0.shape[1]
    R = np.linalg.qr(np.vstack([U0, V0]).T, mode="r")
    J = np.r_[np.ones(m), -np.ones(n)]
    ev = np.linalg.eigvalsh((R * J) @ R.T)
    ev = np.sort(np.r_[ev, np.zeros(max(k - ev.size, 0))])[::-1]
    neg = np.sort(-ev)[::-1]
    lam = lambda a, i: float(a[i - 1]) if i <= a.size else 0.0  # noqa: E731
    return (max(lam(ev, 1), 0.0), max(lam(neg, 1), 0.0), max(lam(ev, p), 0.0), max(lam(neg, q), 0.0))


@settings(max_examples=edges.examples(60))
@given(problem=problems(k_min_extra=(0, 197), data=("none",)))
def test_imbalance_terms_match_an_independent_spectrum(problem):
    """Against the eigenvalues of J Z Z^T (size m + n, independent of k up to 200), for
    the book's indices (m, n) and the slide's (n, m); nonnegative, finite. Both are backward
    stable to ~(m + n + k) eps |Z|^2 (eigvals of J Z Z^T: similar to a symmetric matrix)."""
    _, U0, V0, _ = problem
    m, n, k = U0.shape[0], V0.shape[0], U0.shape[1]
    tol = 1e3 * (m + n + k) * EPS * (np.linalg.norm(U0) ** 2 + np.linalg.norm(V0) ** 2)
    terms = bounds.imbalance_terms(U0, V0)
    slide = slide_terms(U0, V0)
    assert min(terms) >= 0 and min(slide) >= 0 and edges.all_finite((terms, slide))
    # max(x, 0) of a -0.0 eigenvalue must be +0.0, not -0.0 (which prints as "-0.0")
    assert all(math.copysign(1.0, x) == 1.0 for x in (*terms, *slide))
    assert np.allclose(terms, _terms_via_small_matrix(U0, V0, m, n), rtol=0, atol=tol)
    assert np.allclose(slide, _terms_via_small_matrix(U0, V0, n, m), rtol=0, atol=tol)
    assert terms.lund_plus <= terms.lbar_plus and terms.lund_minus <= terms.lbar_minus
    if m == n:
        assert terms == slide


def _mp_h(a, b, s):
    with mpmath.workdps(60):
        a, b, s = mpmath.mpf(a), mpmath.mpf(b), mpmath.mpf(s)
        return (-a + b + mpmath.sqrt((a + b) ** 2 + 4 * s * s)) / 2


@settings(max_examples=edges.examples(100))
@given(
    vals=st.lists(st.one_of(st.just(0.0), log_scale(-12, 8)), min_size=6, max_size=6),
)
def test_lemma_bounds_and_rate_match_a_high_precision_evaluation(vals):
    """(-a + b + sqrt((a + b)^2 + 4 s^2)) / 2 evaluated in 60 digits: the package's form has
    no cancellation, so it is accurate to a few eps relative (tolerance 1e-12), even when
    a >> s (imbalance 1e8, sigma 1e-6, where the naive form loses everything)."""
    a, b, c, d, s1, s2 = vals
    terms = bounds.ImbalanceTerms(a, b, c, d)
    bu, bv = bounds.gram_lower_bounds(terms, s1, s2)
    eu, ev = float(_mp_h(b, c, s1)), float(_mp_h(a, d, s2))
    assert np.isfinite(bu) and np.isfinite(bv) and bu >= 0 and bv >= 0
    assert abs(bu - eu) <= 1e-12 * eu and abs(bv - ev) <= 1e-12 * ev
    alpha = rate_from_terms(terms, bounds.Margins(s1, s2))
    assert abs(alpha - 2 * (eu + ev)) <= 1e-12 * 2 * (eu + ev)
    assert alpha >= 2 * (c + d) * (1 - 1e-12)  # equality at zero margins
    # vectorized call = scalar calls
    arr_u, arr_v = bounds.gram_lower_bounds(terms, np.array([s1, 0.0]), np.array([s2, 0.0]))
    assert arr_u[0] == bu and arr_v[0] == bv


@settings(max_examples=edges.examples(100))
@given(
    y=log_scale(-6, 4),
    u=log_scale(-6, 4),
    v=log_scale(-6, 4),
    signs=st.tuples(st.booleans(), st.booleans(), st.booleans()),
)
def test_scalar_rate_is_exact(y, u, v, signs):
    """m = n = k = 1: alpha = 2 sqrt(lambda0^2 + 4 M^2), M = max(|y| - |y - u v|, 0), in 60
    digits; the slide's version and regression with X = [[1]] coincide with it."""
    y, u, v = [x if s else -x for x, s in zip((y, u, v), signs, strict=True)]
    with mpmath.workdps(60):
        M = max(abs(mpmath.mpf(y)) - abs(mpmath.mpf(y) - mpmath.mpf(u) * mpmath.mpf(v)), 0)
        lam0 = mpmath.mpf(u) ** 2 - mpmath.mpf(v) ** 2
        want = float(2 * mpmath.sqrt(lam0**2 + 4 * M**2))
    got = bounds.rate_bound([[y]], [[u]], [[v]])
    # the margin |y| - |y - u v| is formed in doubles: absolute error ~ eps (|y| + |u v|),
    # which moves alpha by at most 4 times that; lambda0 and the rest to a few eps relative
    tol = 1e-12 * want + 8 * EPS * (abs(y) + abs(u * v)) + 1e-300
    assert np.isfinite(got) and abs(got - want) <= tol
    assert bounds.rate_bound_slide_literal([[y]], [[u]], [[v]]) == got
    assert abs(bounds.regression_constant([[y]], [[u]], [[v]], [[1.0]]) - got) <= 1e-12 * got + 1e-300


@settings(max_examples=edges.examples(40))
@given(problem=problems(k_min_extra=(0, 60), data=("none",)), seed=st.integers(0, 2**32 - 1))
def test_slide_literal_and_rotated_regression_agree_with_the_theorem_where_they_must(problem, seed):
    """The slide's rate is the theorem's formula with the indices of the lower terms swapped:
    equal to rate_from_terms(imbalance_terms_slide_literal, margins), and to rate_bound when
    m = n. Regression with an orthogonal X = O (lambda_r = 1, Ytil = O^T Y) is matrix
    factorization of O^T Y: regression_constant = rate_bound(O^T Y, U0, V0) to rounding."""
    Y, U0, V0, _ = problem
    m, n = Y.shape
    slide = bounds.rate_bound_slide_literal(Y, U0, V0)
    assert np.isfinite(slide) and slide >= 0
    assert slide == rate_from_terms(slide_terms(U0, V0), bounds.margins(Y, U0, V0))
    if m == n:
        assert slide == bounds.rate_bound(Y, U0, V0)
    O = np.linalg.qr(np.random.default_rng(seed).standard_normal((m, m)))[0]
    c = bounds.regression_constant(O @ Y, U0, V0, O)
    want = bounds.rate_bound(Y, U0, V0)
    size = np.linalg.norm(U0) ** 2 + np.linalg.norm(V0) ** 2 + np.linalg.norm(Y)
    assert abs(c - want) <= 1e-9 * size


@pytest.mark.parametrize("thunk, argument, error", BAD)
def test_hand_written_bad_input_is_rejected_naming_the_argument(thunk, argument, error):
    edges.rejects(thunk, argument, error)
