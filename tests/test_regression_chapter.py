"""Tests of the statements of chapter 5 (regression) that tests/package/ (regression, bounds) do not cover.

- prop-regression-reduced-flow: (U1, V) = (Phi_1^T U, V) follows the gradient flow with
  the r x r diagonal data Sigma_x^(1/2) and target Ytil = W_x^T Y; for whitened data
  (Sigma_x = I) this is matrix factorization of Ytil;
- lem-regression-loss-derivative: -(l - l*)' = ||X^T E V||^2 + ||U^T X^T E||^2
  >= 2 lambda_r(Sigma_x) (lambda_r(U1 U1^T) + lambda_n(V V^T)) (l - l*) >= lambda_r(Sigma_x) c (l - l*);
- exercise ex-regression-scaling: the flow for data aX is the time-rescaled flow for X
  from the start scaled by sqrt(a), and the guaranteed rate transforms accordingly.

The trajectories with data come from the independent LSODA solve of conftest, the
reduced ones from the package's integrator, so that the two sides of each identity are
computed by different code.
"""

from __future__ import annotations

import numpy as np
import pytest

from conftest import reference_flow
from overparam import bounds
from overparam import regression as rg
from overparam.flow import gradient_flow

SHAPES = {  # name: (N, m, n, rank, k)
    "tall": (7, 4, 2, 4, 6),
    "wide": (3, 6, 2, 3, 5),
    "rank-deficient": (6, 5, 2, 3, 7),
    "one output": (5, 4, 1, 3, 5),
}


def instance(shape, seed):
    N, m, n, rank, k = SHAPES[shape]
    rng = np.random.default_rng(seed)
    s = np.sort(rng.uniform(0.3, 2.0, size=rank))[::-1]
    data = rg.regression_data(N, m, n, rng, singular_values=np.concatenate([s, np.zeros(min(N, m) - rank)]), noise=0.1)
    U0, V0 = rg.gaussian_initialization(m, n, k, rng, sigma_U=0.8, sigma_V=0.4)
    return data.X, data.Y, U0, V0


@pytest.mark.parametrize("shape", list(SHAPES))
@pytest.mark.parametrize("seed", [0, 1])
def test_reduced_flow_is_the_flow_with_diagonal_data(shape, seed):
    X, Y, U0, V0 = instance(shape, seed)
    dec = rg.decompose(X, Y)
    t = np.linspace(0.0, 4.0, 9)
    U_ref, V_ref, _ = reference_flow(Y, U0, V0, t, X=X)
    U1_0 = rg.split_U(U0, dec)[0]
    reduced = gradient_flow(dec.Ytil, U1_0, V0, t, X=np.diag(np.sqrt(dec.Sigma_x)), method="params")
    scale = max(np.max(np.abs(U_ref)), np.max(np.abs(V_ref)), 1.0)
    U1_ref = np.array([rg.split_U(U, dec)[0] for U in U_ref])
    assert np.max(np.abs(U1_ref - reduced.U)) < 1e-7 * scale
    assert np.max(np.abs(V_ref - reduced.V)) < 1e-7 * scale
    # the losses differ by l* exactly (lem-regression-split)
    losses = 0.5 * np.sum((Y[None] - X[None] @ U_ref @ np.swapaxes(V_ref, 1, 2)) ** 2, axis=(1, 2))
    assert np.allclose(losses, dec.l_star + reduced.loss, rtol=1e-8, atol=1e-12)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_whitened_regression_is_matrix_factorization_of_Ytil(seed):
    rng = np.random.default_rng(seed)
    N, m, n, k = 8, 4, 3, 5
    data = rg.regression_data(N, m, n, rng, singular_values=np.ones(m))  # orthonormal columns
    dec = rg.decompose(data.X, data.Y)
    assert np.allclose(dec.Sigma_x, 1.0)
    U0, V0 = rg.gaussian_initialization(m, n, k, rng, sigma_U=0.7, sigma_V=0.7)
    t = np.linspace(0.0, 3.0, 7)
    U_ref, V_ref, _ = reference_flow(data.Y, U0, V0, t, X=data.X)
    mf = gradient_flow(dec.Ytil, dec.Phi_1.T @ U0, V0, t, method="params")  # no data: factorization
    assert np.max(np.abs(dec.Phi_1.T @ U_ref - mf.U)) < 1e-7
    assert np.max(np.abs(V_ref - mf.V)) < 1e-7


@pytest.mark.parametrize("shape", list(SHAPES))
@pytest.mark.parametrize("seed", [0, 1])
def test_loss_derivative_with_data_and_the_chain_of_the_proof(shape, seed):
    X, Y, U0, V0 = instance(shape, seed)
    dec = rg.decompose(X, Y)
    n = Y.shape[1]
    lam_r = dec.Sigma_x[-1]
    c = bounds.regression_constant(Y, U0, V0, X)
    t = np.linspace(0.0, 3.0, 31)
    U_ref, V_ref, _ = reference_flow(Y, U0, V0, t, X=X)
    for U, V in zip(U_ref, V_ref, strict=True):
        E = Y - X @ U @ V.T
        G = X.T @ E
        excess = 0.5 * np.sum((dec.W_x.T @ E) ** 2)
        if excess < 1e-14:
            continue
        decay = np.sum((G @ V) ** 2) + np.sum((U.T @ G) ** 2)
        U1 = rg.split_U(U, dec)[0]
        gram = bounds.eigenvalue(U1 @ U1.T, dec.rank) + bounds.eigenvalue(V @ V.T, n)
        assert decay >= 2 * lam_r * gram * excess * (1 - 1e-9)
        assert gram >= c / 2 * (1 - 1e-9) - 1e-12


def test_decay_identity_matches_a_finite_difference_of_the_loss():
    X, Y, U0, V0 = instance("rank-deficient", 3)
    h = 1e-5
    t = np.array([1.0 - h, 1.0, 1.0 + h])
    U_ref, V_ref, W_ref = reference_flow(Y, U0, V0, t, X=X)
    losses = 0.5 * np.sum((Y[None] - X[None] @ W_ref) ** 2, axis=(1, 2))
    E = Y - X @ W_ref[1]
    G = X.T @ E
    decay = np.sum((G @ V_ref[1]) ** 2) + np.sum((U_ref[1].T @ G) ** 2)
    assert (losses[0] - losses[2]) / (2 * h) == pytest.approx(decay, rel=1e-6)


@pytest.mark.parametrize("a", [0.1, 0.5, 3.0])
def test_rescaling_the_data_rescales_time_and_the_start(a):
    X, Y, U0, V0 = instance("rank-deficient", 4)
    t = np.linspace(0.0, 2.0, 5)
    U_a, V_a, _ = reference_flow(Y, U0, V0, t, X=a * X)
    scaled = gradient_flow(Y, np.sqrt(a) * U0, np.sqrt(a) * V0, a * t, X=X, method="params")
    assert np.max(np.abs(U_a - scaled.U / np.sqrt(a))) < 1e-7
    assert np.max(np.abs(V_a - scaled.V / np.sqrt(a))) < 1e-7
    rate_aX = bounds.rate_bound(Y, U0, V0, X=a * X)
    rate_X = bounds.rate_bound(Y, np.sqrt(a) * U0, np.sqrt(a) * V0, X=X)
    assert rate_aX == pytest.approx(a * rate_X, rel=1e-10)


def test_the_talks_literal_formula_fails_for_small_data():
    """Slide 'Matrix Factorization vs Linear Regression' read with chapter 4's imbalance:
    2 (lambda_min / lambda_max) |lambda0| = 2."""
    a, y, u0, v0 = 0.1, 1.0, np.sqrt(2.0), -1.0  # lambda0 = 1, u0 v0 < 0: no margin
    t = np.linspace(0.0, 10.0, 11)
    run = gradient_flow([[y]], [[u0]], [[v0]], t, X=[[a]])
    slide_rate = 2.0 * abs(u0**2 - v0**2)
    assert np.any(run.loss > run.loss[0] * np.exp(-slide_rate * t) * 1.01)
    theorem_rate = bounds.rate_bound([[y]], [[u0]], [[v0]], X=[[a]])
    assert theorem_rate == pytest.approx(a**2 * 2.0, rel=1e-12)
    assert np.all(run.loss <= run.loss[0] * np.exp(-theorem_rate * t) * (1 + 1e-9))
