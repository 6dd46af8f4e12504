"""Tests of overparam.gd._common: the step that maximizes eta * phi(eta), the rank test.

Independent reference: the root of 1 - 2a eta - 3b eta^2 - 4c eta^3 by bisection in 50-digit
mpmath (book: chapter 8, prop-gd-adaptive).
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
from hypothesis import given, settings

import edges
from overparam import gd
from overparam.gd import _common

from .reference import EPS
from .test_steps import BETAS, LOSSES, SS


def _root_mp(beta, loss, s):
    with mpmath.workdps(50):
        B, L, S = mpmath.mpf(beta), mpmath.mpf(loss), mpmath.mpf(s)
        r = S * mpmath.sqrt(2 * L)
        a, b, c = (B + r) / 2, B * r / 2, S**2 * B * L / 4
        f = lambda x: 1 - 2 * a * x - 3 * b * x**2 - 4 * c * x**3  # noqa: E731
        lo, hi = mpmath.mpf(0), 1 / (2 * a)  # f(0) = 1 > 0 >= f(1 / (2a)), f decreasing
        for _ in range(200):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if f(mid) > 0 else (lo, mid)
        return float((lo + hi) / 2)


@settings(max_examples=edges.examples(100))
@given(beta=BETAS, loss=LOSSES, s=SS)
def test_bound_step_is_the_root_and_maximizes_eta_phi(beta, loss, s):
    eta = _common.bound_step(beta, loss, s)
    assert math.isfinite(eta) and eta > 0
    # the root is well conditioned (f' * eta <= -1 relative to f's terms, which sum to 2):
    # Newton to floating-point convergence gives it to a few eps; 1e-13 leaves a margin
    assert math.isclose(eta, _root_mp(beta, loss, s), rel_tol=1e-13)
    phi = gd.descent_factor(eta, beta, loss, s=s)
    assert phi >= 0.5 - 4 * EPS and eta * beta <= 1 + 4 * EPS
    others = eta * np.concatenate([np.linspace(0, 3, 61), 10.0 ** np.linspace(-6, 3, 19)])
    for other in others:
        # phi is computed to ~ 8 eps (1 + its terms) <= 12 eps near the maximizer
        assert other * gd.descent_factor(other, beta, loss, s=s) <= eta * phi * (1 + 64 * EPS)
    assert math.isclose(_common.bound_step(beta, 0.0, s), 1 / beta, rel_tol=4 * EPS)
    assert _common.bound_step(beta, 1.5e308, 0.0) == _common.bound_step(beta, 0.0, 0.0)


def test_bound_step_is_infinite_without_curvature():
    assert _common.bound_step(0.0, 0.0, 1.0) == math.inf


def test_the_rank_test_is_numpys():
    rng = np.random.default_rng(3)
    X = rng.standard_normal((5, 3))
    assert _common.has_full_column_rank(X, _common.x_norms(X))
    Xd = np.column_stack([X[:, :2], X[:, 0] * (1 + 1e-17)])
    norms = _common.x_norms(Xd)
    assert not _common.has_full_column_rank(Xd, norms) and np.linalg.matrix_rank(Xd) == 2
    wide = rng.standard_normal((2, 3))  # N = 2 < m = 3: sigma_m(X) = 0
    assert _common.x_norms(wide).sigma_x == 0.0
    assert _common.x_norms(None) == (1.0, 1.0, None)
