"""Tests of overparam.gd.rate: the a-priori constants of thm-gd-linear-rate.

Independent references: ``numpy.linalg.lstsq`` for the least loss, the local constants at the
start (lem-gd-pl, lem-gd-gram), the definitions of the imbalance terms (``bounds``).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given

import edges
from overparam import gd
from overparam.bounds import imbalance_terms

from .reference import SHAPE_MISMATCHES, U_, V_, X_, Y_, log10s, loss_star_of, problems

MAX_STEP = edges.lazy(lambda: gd.rate_constants(Y_, U_, V_, X=X_).max_step)

CALLS = {
    "gd.rate_constants": edges.call(
        gd.rate_constants, Y_, U_, V_, X=X_, step=edges.lazy(lambda: 0.5 * MAX_STEP.value())
    ),
}

# ----------------------------------------------------------------------------------
# bad input the mechanical mutations do not reach


@pytest.mark.parametrize("label, Y, U, V, X, named", SHAPE_MISMATCHES, ids=[c[0] for c in SHAPE_MISMATCHES])
def test_shapes_that_do_not_fit_are_refused_naming_the_start(label, Y, U, V, X, named):
    edges.rejects(lambda: gd.rate_constants(Y, U, V, X=X), ("Y", "U0", "V0", "X")[named])


X_RANK1 = np.outer(np.arange(1.0, 5.0), [1.0, 2.0, -1.0])  # 4 x 3 of rank 1 < m = 3
X_WIDE = np.random.default_rng(1).standard_normal((2, 3))  # N = 2 < m = 3 rows
X_NEARLY = np.column_stack([X_[:, :2], X_[:, 0] * (1 + 1e-17)])  # numerically rank 2
RANK_DEFICIENT = [
    ("X-rank-1-of-3-columns", Y_, X_RANK1),
    ("X-fewer-rows-than-columns", Y_[:2], X_WIDE),
    ("X-numerically-rank-deficient", Y_, X_NEARLY),
]


@pytest.mark.parametrize("label, Y, X", RANK_DEFICIENT, ids=[c[0] for c in RANK_DEFICIENT])
def test_data_without_full_column_rank_are_refused(label, Y, X):
    edges.rejects(lambda: gd.rate_constants(Y, U_, V_, X=X), "X")
    edges.rejects(lambda: gd.adaptive_gradient_descent(Y, U_, V_, 2, X=X, rule="loss"), "X")


def test_steps_above_the_condition_and_losses_above_the_start_are_refused():
    max_step = MAX_STEP.value()
    for step in (max_step * (1 + 1e-9), 0.0, -max_step):
        edges.rejects(lambda step=step: gd.rate_constants(Y_, U_, V_, X=X_, step=step), "step")
    const = gd.rate_constants(Y_, U_, V_, X=X_)
    for method in (const.alpha, const.beta, const.step_at, const.factor):
        edges.rejects(lambda method=method: method(2 * const.loss0 + 1), "loss")
        edges.rejects(lambda method=method: method(-1.0), "loss")
    edges.rejects(lambda: const.loss_bound(-1), "n_steps")
    edges.rejects(lambda: const.loss_bound(2.0), "n_steps", TypeError)


# ----------------------------------------------------------------------------------
# the constants


def test_rate_constants_of_matrix_factorization_match_the_definitions():
    rng = np.random.default_rng(1)
    Y = rng.standard_normal((3, 2))
    U0, V0 = rng.standard_normal((3, 5)), 0.2 * rng.standard_normal((2, 5))
    const = gd.rate_constants(Y, U0, V0, step=0.01)
    assert np.allclose(const.terms, imbalance_terms(U0, V0))
    assert const.s == 1.0 and const.sigma_x == 1.0 and const.loss_star == 0.0
    assert np.isclose(const.drift_budget, 2 * 0.01 * const.loss0)
    assert np.allclose(const.theta_sv, np.linalg.svd(Y, compute_uv=False))


@given(problem=problems(), over=log10s(-9, 1))
def test_the_step_size_condition_holds_at_max_step_and_is_refused_above(problem, over):
    Y, U0, V0, X = problem
    adaptive = gd.rate_constants(Y, U0, V0, X=X)
    eta = adaptive.max_step
    const = gd.rate_constants(Y, U0, V0, X=X, step=eta)
    assert edges.all_finite(const) and edges.all_finite(adaptive)
    # Phi(max_step; l0) >= 1/2 with the budget delta = 2 eta (l0 - l*), and eta beta0 <= 1
    phi = gd.descent_factor(eta, const.beta0, const.loss0, s=const.s)
    assert phi >= 0.5 - 1e-12 and eta * const.beta0 <= 1 + 1e-12
    # a-priori constants against the local ones at the start (lem-gd-pl, lem-gd-gram)
    local = gd.local_constants(Y, U0, V0, X=X)
    assert np.isclose(const.loss0, local.loss, rtol=1e-12, atol=0)
    # least squares residuals agree to ~ cond(X) eps ||Y||; cond(X) <= ~10 here
    star = min(loss_star_of(Y, X), const.loss0)
    assert np.isclose(const.loss_star, star, rtol=1e-9, atol=1e-12 * float(np.sum(Y * Y)))
    assert local.alpha >= const.alpha0 - 1e-9 * (local.beta + 1e-300)
    assert local.beta <= const.beta0 * (1 + 1e-9)
    # above the condition: refused, naming the step
    edges.rejects(lambda: gd.rate_constants(Y, U0, V0, X=X, step=eta * (1 + max(over, 1e-9))), "step")
