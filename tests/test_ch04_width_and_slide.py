"""Chapter 4 (04_general_init): the inertia exercise ex-general-width and the reading of the talk's slide.

- ex-general-width: Lambda = Z0^T J Z0 has at most m positive and n negative eigenvalues;
  exactly m and n when Z0 = [U0; V0] has rank m + n; for k = m + n - 1 a nonsingular
  Lambda gives sufficient imbalance, but rank k of Z0 alone does not (u0 = v0 = 1).
- The slide's rate is the theorem's formula with m and n exchanged in the eigenvalue
  indices of the imbalance terms only: the margins stay in their brackets.
"""

from __future__ import annotations

import numpy as np
import pytest

from overparam import bounds


def _phi(a: float, b: float, mu: float) -> float:
    return -a + b + np.sqrt((a + b) ** 2 + 4 * mu**2)


def _inertia(Lam: np.ndarray, tol: float = 1e-10) -> tuple[int, int]:
    ev = np.linalg.eigvalsh(Lam)
    scale = tol * max(1.0, float(np.max(np.abs(ev))))
    return int(np.sum(ev > scale)), int(np.sum(ev < -scale))


@pytest.mark.parametrize("m, n", [(1, 1), (2, 1), (1, 3), (3, 3), (4, 2)])
def test_inertia_of_the_imbalance(m, n):
    rng = np.random.default_rng(100 * m + n)
    for k in range(1, m + n + 3):
        for _ in range(20):
            U0, V0 = rng.standard_normal((m, k)), rng.standard_normal((n, k))
            p, q = _inertia(U0.T @ U0 - V0.T @ V0)
            assert p <= m and q <= n
            terms = bounds.imbalance_terms(U0, V0)
            if k >= m + n:  # Z0 has rank m + n almost surely
                assert (p, q) == (m, n) and terms.lund_plus > 0 and terms.lund_minus > 0
            elif k == m + n - 1:  # Lambda nonsingular almost surely
                assert p + q == k and terms.lund_plus + terms.lund_minus > 0


def test_rank_k_is_not_enough_for_k_equal_m_plus_n_minus_1():
    U0, V0 = np.array([[1.0]]), np.array([[1.0]])  # m = n = k = 1, Z0 = (1, 1)^T has rank 1 = m + n - 1
    assert np.linalg.matrix_rank(np.vstack([U0, V0])) == 1
    terms = bounds.imbalance_terms(U0, V0)
    assert terms.lund_plus == 0 and terms.lund_minus == 0
    assert bounds.rate_bound([[-1.0]], U0, V0) == 0  # no margin either (y = -1 is far from u0 v0 = 1)


@pytest.mark.parametrize("m, n, k", [(4, 2, 3), (4, 2, 7), (2, 4, 2), (2, 5, 6), (3, 3, 4)])
def test_slide_rate_exchanges_m_and_n_in_the_imbalance_indices_only(m, n, k):
    rng = np.random.default_rng(7 * m + 11 * n + k)
    for _ in range(20):
        U0 = rng.standard_normal((m, k)) * rng.uniform(0.3, 2.0)
        V0 = rng.standard_normal((n, k)) * rng.uniform(0.3, 2.0)
        N = rng.standard_normal((m, n))
        Y = U0 @ V0.T + 0.3 * bounds.singular_value(U0 @ V0.T, min(m, n)) * N / np.linalg.norm(N)
        Lam = U0.T @ U0 - V0.T @ V0
        terms, mg = bounds.imbalance_terms(U0, V0), bounds.margins(Y, U0, V0)
        slide = _phi(terms.lbar_plus, max(bounds.eigenvalue(-Lam, m), 0.0), mg.mu_n) + _phi(
            terms.lbar_minus, max(bounds.eigenvalue(Lam, n), 0.0), mg.mu_m
        )
        assert bounds.rate_bound_slide_literal(Y, U0, V0) == pytest.approx(slide, rel=1e-12, abs=1e-12)
        theorem = _phi(terms.lbar_plus, terms.lund_minus, mg.mu_n) + _phi(terms.lbar_minus, terms.lund_plus, mg.mu_m)
        assert bounds.rate_bound(Y, U0, V0) == pytest.approx(theorem, rel=1e-12, abs=1e-12)
        # transposing the problem leaves the theorem's rate unchanged
        assert bounds.rate_bound(Y.T, V0, U0) == pytest.approx(bounds.rate_bound(Y, U0, V0), rel=1e-10, abs=1e-12)
        if m == n:
            assert bounds.rate_bound_slide_literal(Y, U0, V0) == pytest.approx(bounds.rate_bound(Y, U0, V0), rel=1e-12)
