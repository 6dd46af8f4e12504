"""overparam._numerics: the shared numerics, each against an independent computation."""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from overparam import _numerics as N

nonneg = st.floats(0.0, 1e4, allow_nan=False, allow_infinity=False)


def _h_mp(a: float, b: float, s: float) -> float:
    """The lemma's bound straight from the formula, in 700-digit arithmetic: enough that the
    cancellation of -a against the root loses nothing for any float inputs in [0, 1e4]."""
    with mpmath.workdps(700):
        a, b, s = mpmath.mpf(a), mpmath.mpf(b), mpmath.mpf(s)
        return float((-a + b + mpmath.sqrt((a + b) ** 2 + 4 * s**2)) / 2)


@settings(max_examples=200)
@given(a=nonneg, b=nonneg, s=nonneg)
def test_h_matches_the_formula_to_a_few_ulps_even_under_cancellation(a, b, s):
    exact = _h_mp(a, b, s)
    got = N.h(a, b, s)
    assert abs(got - exact) <= 4 * np.finfo(float).eps * max(abs(exact), 1e-300)


def test_h_keeps_the_small_bound_that_the_naive_formula_loses():
    a, b, s = 1e8, 0.0, 1e-3  # the bound is s^2 / a = 1e-14; the naive formula returns 0
    naive = 0.5 * (-a + b + math.sqrt((a + b) ** 2 + 4 * s * s))
    assert naive == 0.0
    assert N.h(a, b, s) == pytest.approx(_h_mp(a, b, s), rel=1e-14)


def test_h_on_arrays_equals_h_on_floats():
    rng = np.random.default_rng(1)
    a, b, s = rng.exponential(size=(3, 50))
    out = N.h(a, b, s)
    assert out.shape == (50,)
    assert np.array_equal(out, [N.h(float(x), float(y), float(z)) for x, y, z in zip(a, b, s, strict=True)])


def test_haar_orthogonal_is_orthogonal_and_unbiased():
    rng = np.random.default_rng(7)
    draws = np.array([N.haar_orthogonal(3, rng) for _ in range(4000)])
    assert np.allclose(draws @ np.swapaxes(draws, 1, 2), np.eye(3), atol=1e-13)
    # Haar: every entry has mean 0 and variance 1/3. A QR without the sign fix gives a
    # first entry of one sign only (mean about -0.5 here), far outside these limits.
    assert np.all(np.abs(draws.mean(axis=0)) < 4 * math.sqrt(1 / 3 / 4000))
    assert np.allclose((draws**2).mean(axis=0), 1 / 3, atol=0.03)


def test_orthonormal_columns_and_orthonormalize():
    rng = np.random.default_rng(3)
    Q = N.orthonormal_columns(6, 2, rng)
    assert Q.shape == (6, 2) and np.allclose(Q.T @ Q, np.eye(2), atol=1e-14)
    A = rng.standard_normal((5, 3))
    Qa = N.orthonormalize(A)
    R = Qa.T @ A
    assert np.allclose(Qa @ R, A) and np.all(np.diag(R) > 0) and np.allclose(np.tril(R, -1), 0, atol=1e-13)


@pytest.mark.parametrize("kind", ["random", "balanced"])
def test_narrow_factor_has_the_gram_matrix_of_the_start(kind):
    rng = np.random.default_rng(5)
    m, n, k = 3, 2, 40
    if kind == "random":  # rows far from dependent: the eigen-factor
        U0, V0 = rng.standard_normal((m, k)), rng.standard_normal((n, k))
    else:  # U0 = [A 0], V0 = [0 A'] shares rows' span structure: Gram scaled matrix is singular -> QR
        U0 = rng.standard_normal((m, k))
        V0 = U0[:n] * 2.0  # rows of V0 are multiples of rows of U0: dependent rows
    Zs = N.narrow_factor(U0, V0)
    Z0 = np.vstack([U0, V0])
    assert Zs.shape == (m + n, m + n)
    assert np.allclose(Zs @ Zs.T, Z0 @ Z0.T, rtol=0, atol=1e-12 * np.linalg.norm(Z0) ** 2)


def test_narrow_factor_returns_a_narrow_start_itself():
    U0, V0 = np.ones((3, 2)), np.arange(4.0).reshape(2, 2)
    assert np.array_equal(N.narrow_factor(U0, V0), np.vstack([U0, V0]))


def test_numerical_rank_counts_the_nonzero_singular_values():
    rng = np.random.default_rng(2)
    A = rng.standard_normal((6, 2)) @ rng.standard_normal((2, 5))
    s = np.linalg.svd(A, compute_uv=False)
    assert N.numerical_rank(s, A.shape) == 2 == np.linalg.matrix_rank(A)
    assert N.numerical_rank(np.zeros(3), (3, 3)) == 0
    assert N.numerical_rank(np.array([1.0, 1e-9]), (2, 2), rtol=1e-8) == 1


def test_book_indexing_pos_and_the_imbalance_terms():
    ev = N.eigenvalues_desc(np.diag([-1.0, 3.0, 0.5]))
    assert list(ev) == [3.0, 0.5, -1.0]
    assert N.book_index(ev, 1) == 3.0 and N.book_index(ev, 3) == -1.0 and N.book_index(ev, 4) == 0.0
    assert math.copysign(1.0, N.pos(-0.0)) == 1.0 and N.pos(-2.0) == 0.0 and N.pos(2.5) == 2.5
    # Lambda = diag(3, 0.5, -1): lbar+ = 3, lbar- = 1, lund+ = lambda_2 = 0.5, lund- = lambda_3(-Lambda) = 0
    assert N.imbalance_terms(ev, 2, 3) == (3.0, 1.0, 0.5, 0.0)
    assert N.imbalance_terms(ev, 4, 1) == (3.0, 1.0, 0.0, 1.0)


def test_homogeneous_part_margin_and_gram_scale():
    c, dev = N.homogeneous_part(np.diag([2.0, 2.0, 2.0]))
    assert (c, dev) == (2.0, 0.0)
    c, dev = N.homogeneous_part(np.diag([1.0, 3.0]))
    assert (c, dev) == (2.0, 1.0)
    assert N.margin(3.0, 1.0) == 2.0 and N.margin(1.0, 3.0) == 0.0
    A, B = np.diag([3.0, 1.0]), np.diag([2.0, 0.0])
    assert N.gram_scale(A, B) == pytest.approx(13.0)
    assert N.gram_scale(np.array([[1e200]]), B) == np.inf


def test_residual_gradient_is_minus_the_gradient_of_the_loss():
    rng = np.random.default_rng(4)
    X, W, Y = rng.standard_normal((7, 3)), rng.standard_normal((3, 2)), rng.standard_normal((7, 2))

    def loss(W):
        return 0.5 * np.sum((Y - X @ W) ** 2)

    h = 1e-6
    fd = np.zeros_like(W)
    for idx in np.ndindex(W.shape):
        E = np.zeros_like(W)
        E[idx] = h
        fd[idx] = -(loss(W + E) - loss(W - E)) / (2 * h)
    assert np.allclose(N.residual_gradient(Y, W, X), fd, atol=1e-7)
    assert np.array_equal(N.residual(Y, W, X), Y - X @ W)
    assert np.array_equal(N.residual_gradient(W, Y[:3], None), W - Y[:3])
