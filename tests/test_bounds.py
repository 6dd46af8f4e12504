"""Tests of overparam.bounds: the rate of chapter 4 (imbalance and margin).

The main property: on random square and rectangular instances, the loss of the flow
never exceeds l(0) exp(-alpha t). Then the special cases the book states (scalar
formula, no margin, square homogeneous imbalance), the lemma on random pairs, the
literal slide version (equal on square targets, violated on a fixed rectangular one),
and bad inputs.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from conftest import reference_flow
from overparam import bounds, riccati
from overparam.flow import gradient_flow

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
def problems(draw):
    m = draw(st.integers(1, 4))
    n = draw(st.integers(1, 4))
    k = draw(st.integers(min(m, n), m + n + 1))
    kind = draw(st.sampled_from(["far", "near", "balanced-near", "balanced-far"]))
    seed = draw(st.integers(0, 2**32 - 1))
    return _instance(seed, m, n, k, kind)


@given(problems())
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


@given(
    st.floats(-3, 3, allow_nan=False),
    st.floats(-2, 2, allow_nan=False),
    st.floats(-2, 2, allow_nan=False),
)
def test_scalar_case_is_exact(y, u0, v0):
    M = max(abs(y) - abs(y - u0 * v0), 0.0)
    expected = 2.0 * np.sqrt((u0**2 - v0**2) ** 2 + 4.0 * M**2)
    assert bounds.rate_bound([[y]], [[u0]], [[v0]]) == pytest.approx(expected, rel=1e-12, abs=1e-14)


@given(st.integers(1, 4), st.integers(1, 4), st.integers(0, 4), st.integers(0, 2**32 - 1))
def test_no_margin_gives_twice_the_lower_imbalance(m, n, extra, seed):
    k = min(m, n) + extra
    rng = np.random.default_rng(seed)
    U0 = rng.standard_normal((m, k)) * rng.uniform(0.2, 2.0)
    V0 = rng.standard_normal((n, k)) * rng.uniform(0.2, 2.0)
    Y = -(U0 @ V0.T)  # ||Y - W0||_F = 2 ||Y||_F >= sigma_1(Y): both margins are zero
    assert bounds.margins(Y, U0, V0) == (0.0, 0.0)
    terms = bounds.imbalance_terms(U0, V0)
    assert bounds.rate_bound(Y, U0, V0) == pytest.approx(2.0 * (terms.lund_plus + terms.lund_minus), rel=1e-12, abs=1e-12)


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
    slide = bounds.imbalance_terms_slide_literal(U0, V0)  # lambda_1(Lambda), lambda_2(-Lambda)
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


def test_gram_lower_bounds_vectorized_and_stable():
    terms = bounds.ImbalanceTerms(1e8, 0.0, 0.0, 0.0)
    low_U, low_V = bounds.gram_lower_bounds(terms, np.array([0.0, 1.0]), np.array([0.0, 1.0]))
    assert low_V.shape == (2,)
    # (-a + sqrt(a^2 + 4 sigma^2)) / 2 = sigma^2 / a for large a, with no cancellation
    assert low_V[1] == pytest.approx(1e-8, rel=1e-12)
    assert low_U[1] == pytest.approx(1.0, rel=1e-12)
    assert bounds.gram_lower_bounds(bounds.ImbalanceTerms(0.0, 0.0, 0.0, 0.0), 0.0, 0.0) == (0.0, 0.0)


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


def test_bad_inputs():
    Y, U0, V0 = np.ones((3, 2)), np.ones((3, 2)), np.ones((2, 2))
    with pytest.raises(ValueError, match="U0 has 2 rows"):
        bounds.rate_bound(Y, U0[:2], V0)
    with pytest.raises(ValueError, match="V0 has 3 rows"):
        bounds.rate_bound(Y, U0, np.ones((3, 2)))
    with pytest.raises(ValueError, match="V0 has 3 columns"):
        bounds.rate_bound(Y, U0, np.ones((2, 3)))
    with pytest.raises(ValueError, match="U0 has 1 columns"):
        bounds.rate_bound(Y, U0[:, :1], V0[:, :1])  # k = 1 < min(m, n) = 2
    with pytest.raises(ValueError, match="U0 has 1 columns"):
        bounds.rate_bound_slide_literal(Y, U0[:, :1], V0[:, :1])
    with pytest.raises(ValueError, match="Y must have finite"):
        bounds.rate_bound(np.full((3, 2), np.nan), U0, V0)
    with pytest.raises(ValueError, match="Y must be a 2-D"):
        bounds.rate_bound(np.ones(3), U0, V0)
    with pytest.raises(TypeError):
        bounds.rate_bound("Y", U0, V0)
    with pytest.raises(ValueError, match="X has 2 rows"):
        bounds.rate_bound(Y, U0, V0, X=np.eye(2))  # shape errors come first
    with pytest.raises(ValueError, match="t must be >= 0"):
        bounds.loss_bound(Y, U0, V0, [-1.0, 0.0])
    with pytest.raises(ValueError, match="V0 has 3 columns"):
        bounds.imbalance_terms(U0, np.ones((2, 3)))
    with pytest.raises(ValueError, match="symmetric"):
        bounds.eigenvalue(np.array([[0.0, 1.0], [0.0, 0.0]]), 1)
    with pytest.raises(ValueError, match="square"):
        bounds.eigenvalue(np.ones((2, 3)), 1)
    with pytest.raises(ValueError, match="i must be >= 1"):
        bounds.singular_value(np.ones((2, 2)), 0)
    with pytest.raises(TypeError, match="i must be an int"):
        bounds.eigenvalue(np.eye(2), 1.0)
    with pytest.raises(ValueError, match="sigma_m must be >= 0"):
        bounds.gram_lower_bounds(bounds.ImbalanceTerms(0.0, 0.0, 0.0, 0.0), -1.0, 0.0)
    with pytest.raises(ValueError, match="same shape"):
        bounds.gram_lower_bounds(bounds.ImbalanceTerms(0.0, 0.0, 0.0, 0.0), [1.0, 2.0], 0.0)
    with pytest.raises(ValueError, match="terms.lund_plus must be >= 0"):
        bounds.gram_lower_bounds(bounds.ImbalanceTerms(0.0, 0.0, -1.0, 0.0), 1.0, 1.0)
    with pytest.raises(TypeError, match="ImbalanceTerms"):
        bounds.gram_lower_bounds((0.0, 0.0, 0.0, 0.0), 1.0, 1.0)
    with pytest.raises(TypeError, match="Margins"):
        bounds.rate_from_terms(bounds.ImbalanceTerms(0.0, 0.0, 0.0, 0.0), (0.0, 0.0))


# --- regression (data X): chapter 5, thm-regression-rate -----------------------------------


def test_regression_with_identity_data_is_matrix_factorization():
    rng = np.random.default_rng(8)
    Y, U0, V0 = rng.standard_normal((3, 2)), rng.standard_normal((3, 5)), rng.standard_normal((2, 5))
    assert bounds.rate_bound(Y, U0, V0, X=np.eye(3)) == pytest.approx(bounds.rate_bound(Y, U0, V0), rel=1e-10)
    assert bounds.regression_constant(Y, U0, V0, np.eye(3)) == pytest.approx(bounds.rate_bound(Y, U0, V0), rel=1e-10)
    # scaling X by s scales lambda_r(Sigma_x) by s^2 and the margins by 1/s: check against the definition
    t = np.linspace(0.0, 3.0, 7)
    np.testing.assert_allclose(bounds.loss_bound(Y, U0, V0, t, X=np.eye(3)), bounds.loss_bound(Y, U0, V0, t), rtol=1e-10)


def test_regression_constant_without_margin_is_twice_the_lower_terms():
    rng = np.random.default_rng(9)
    X = rng.standard_normal((6, 4))
    Y = rng.standard_normal((6, 1))
    U0, V0 = 3.0 * rng.standard_normal((4, 7)), 0.1 * rng.standard_normal((1, 7))  # far from a solution
    terms = bounds.imbalance_terms(U0, V0, X=X)
    assert bounds.margins(Y, U0, V0, X=X) == bounds.Margins(0.0, 0.0)
    assert bounds.regression_constant(Y, U0, V0, X) == pytest.approx(2 * (terms.lund_plus + terms.lund_minus), rel=1e-12)


@st.composite
def regression_instances(draw):
    """Tall, wide and rank-deficient data; random widths, scales and imbalance."""
    kind = draw(st.sampled_from(["tall", "wide", "rank-deficient"]))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    m = draw(st.integers(1, 5))
    n = draw(st.integers(1, 3))
    N = {"tall": m + draw(st.integers(1, 4)), "wide": max(1, m - draw(st.integers(1, 3))), "rank-deficient": m + 2}[kind]
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
