"""Tests of overparam.gd._apriori: the upper Gram bound p(a, sigma) of lem-gd-gram.

The a-priori alpha(l), beta(l), the drift budget and the step-size condition are tested
through their public record in test_rate.py and along runs in test_runs.py.
"""

from __future__ import annotations

import numpy as np

from overparam.bounds import imbalance_terms
from overparam.gd import _apriori


def test_upper_gram_bound():
    """||U||_2^2 <= p(lbar_+, sigma_1(W)) and ||V||_2^2 <= p(lbar_-, sigma_1(W)) at any point."""
    rng = np.random.default_rng(0)
    for _ in range(500):
        m, n, k = rng.integers(1, 5, size=3)
        U = np.exp(rng.normal()) * rng.standard_normal((m, k))
        V = np.exp(rng.normal()) * rng.standard_normal((n, k))
        t = imbalance_terms(U, V)
        s1 = float(np.linalg.norm(U @ V.T, 2))
        scale = 1 + np.linalg.norm(U) ** 2 + np.linalg.norm(V) ** 2
        assert np.linalg.norm(U, 2) ** 2 <= _apriori.upper_gram(t.lbar_plus, s1) + 1e-12 * scale
        assert np.linalg.norm(V, 2) ** 2 <= _apriori.upper_gram(t.lbar_minus, s1) + 1e-12 * scale


def test_upper_gram_is_the_formula():
    for a, sigma in ((0.0, 0.0), (0.0, 1.0), (3.0, 0.0), (2.0, 1.5)):
        assert np.isclose(_apriori.upper_gram(a, sigma), 0.5 * (a + np.sqrt(a * a + 4 * sigma * sigma)), rtol=1e-15)
