"""Tests of overparam.regression: the data's decomposition, the min-norm solution, initializations, implicit bias.

Independent references: numpy's ``pinv`` and ``lstsq`` for the min-norm solution and
the smallest loss; the LSODA solve in ``conftest.reference_flow`` (not the package's
integrator) for the conservation laws along the flow.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import reference_flow
from overparam import regression as rg
from overparam.flow import gradient_flow, loss


@st.composite
def data_sets(draw):
    """Random X (N x m) that may be tall, wide or rank-deficient, and Y (N x n)."""
    N = draw(st.integers(1, 7))
    m = draw(st.integers(1, 7))
    n = draw(st.integers(1, 3))
    rank = draw(st.integers(1, min(N, m)))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((N, rank)) @ rng.standard_normal((rank, m))
    Y = rng.standard_normal((N, n))
    return X, Y, rank


SHAPES = {  # name: (N, m, n, rank)
    "tall": (7, 4, 2, 4),
    "wide": (3, 6, 2, 3),
    "rank-deficient": (6, 5, 2, 3),
}


def instance(shape, seed, k=5, scale=0.7):
    N, m, n, rank = SHAPES[shape]
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((N, rank)) @ rng.standard_normal((rank, m)) / np.sqrt(m)
    Y = rng.standard_normal((N, n))
    U0 = scale * rng.standard_normal((m, k))
    V0 = scale * rng.standard_normal((n, k))
    return X, Y, U0, V0


# ---------------------------------------------------------------------------
# min-norm solution and decomposition


@given(data_sets())
def test_min_norm_solution_is_pinv_and_solves_the_normal_equations(case):
    X, Y, _ = case
    theta = rg.min_norm_solution(X, Y)
    scale = max(np.linalg.norm(np.linalg.pinv(X) @ Y), 1.0)
    assert theta.shape == (X.shape[1], Y.shape[1])
    assert np.linalg.norm(theta - np.linalg.pinv(X) @ Y) < 1e-9 * scale
    normal = X.T @ X @ theta - X.T @ Y
    assert np.linalg.norm(normal) < 1e-9 * scale * max(np.linalg.norm(X) ** 2, 1.0)
    # minimum norm: no component in the null space of X
    dec = rg.decompose(X, Y)
    assert np.linalg.norm(dec.Phi_2.T @ theta) < 1e-9 * scale


@given(data_sets())
def test_decomposition_identities(case):
    X, Y, rank = case
    dec = rg.decompose(X, Y)
    N, m = X.shape
    assert dec.rank == rank == np.linalg.matrix_rank(X)
    assert dec.W_x.shape == (N, rank) and dec.Phi_1.shape == (m, rank) and dec.Phi_2.shape == (m, m - rank)
    assert dec.Sigma_x.shape == (rank,) and dec.Ytil.shape == (rank, Y.shape[1])
    sx = np.linalg.norm(X, 2)
    assert np.allclose(dec.W_x @ np.diag(np.sqrt(dec.Sigma_x)) @ dec.Phi_1.T, X, atol=1e-12 * sx)
    Phi = np.hstack([dec.Phi_1, dec.Phi_2])
    assert np.allclose(Phi.T @ Phi, np.eye(m), atol=1e-12)
    assert np.allclose(dec.W_x.T @ dec.W_x, np.eye(rank), atol=1e-12)
    assert np.all(np.diff(dec.Sigma_x) <= 0) and np.all(dec.Sigma_x > 0)
    # Sigma_x: the nonzero eigenvalues of X^T X
    evals = np.sort(np.linalg.eigvalsh(X.T @ X))[::-1][:rank]
    assert np.allclose(dec.Sigma_x, evals, rtol=1e-9, atol=1e-12 * sx**2)
    assert np.linalg.norm(X @ dec.Phi_2) < 1e-12 * sx * max(m, N)
    assert np.allclose(dec.Ytil, dec.W_x.T @ Y)
    # l* is the smallest loss: that of lstsq's solution, and no random Theta does better
    theta_ls = np.linalg.lstsq(X, Y, rcond=None)[0]
    assert abs(dec.l_star - loss(Y, theta_ls, X=X)) < 1e-10 * max(1.0, dec.l_star)
    rng = np.random.default_rng(0)
    for _ in range(5):
        assert loss(Y, theta_ls + rng.standard_normal(theta_ls.shape), X=X) >= dec.l_star - 1e-12


def test_rank_tolerance_is_relative_to_the_largest_singular_value():
    X = np.diag([1.0, 1e-6, 1e-17])
    Y = np.ones((3, 1))
    assert rg.decompose(X, Y).rank == 2  # default tol 3 * eps
    assert rg.decompose(X, Y, rtol=1e-5).rank == 1
    assert rg.decompose(X, Y, rtol=1e-18).rank == 3


def test_split_U_and_reduced_imbalance():
    X, Y, U0, V0 = instance("rank-deficient", 0)
    dec = rg.decompose(X, Y)
    U1, U2 = rg.split_U(U0, dec)
    assert np.allclose(dec.Phi_1 @ U1 + dec.Phi_2 @ U2, U0)
    D = rg.reduced_imbalance(U0, V0, dec)
    assert np.allclose(D + U2.T @ U2, U0.T @ U0 - V0.T @ V0)


# ---------------------------------------------------------------------------
# along the flow


@pytest.mark.parametrize("shape", list(SHAPES))
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_U2_is_constant_and_D_is_conserved_along_the_flow(shape, seed):
    X, Y, U0, V0 = instance(shape, seed)
    dec = rg.decompose(X, Y)
    t = np.linspace(0.0, 5.0, 6)
    run = gradient_flow(Y, U0, V0, t, X=X, method="params")
    U_ref, V_ref, W_ref = reference_flow(Y, U0, V0, t, X=X)
    assert np.max(np.abs(run.W - W_ref)) < 1e-7 * max(1.0, np.max(np.abs(W_ref)))
    U2_0 = rg.split_U(U0, dec)[1]
    D0 = rg.reduced_imbalance(U0, V0, dec)
    scale = np.linalg.norm(U0) ** 2 + np.linalg.norm(V0) ** 2
    for U, V in [*zip(run.U, run.V), *zip(U_ref, V_ref)]:
        assert np.linalg.norm(rg.split_U(U, dec)[1] - U2_0) < 1e-8 * np.sqrt(scale)
        assert np.linalg.norm(rg.reduced_imbalance(U, V, dec) - D0) < 1e-8 * scale
    # the loss decreases to l* or above, never below
    assert np.all(run.loss >= dec.l_star - 1e-12)


@pytest.mark.parametrize("shape", list(SHAPES))
@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_orthogonal_initialization_converges_to_the_min_norm_solution(shape, seed):
    N, m, n, _ = SHAPES[shape]
    X, Y, _, _ = instance(shape, seed)
    dec = rg.decompose(X, Y)
    rng = np.random.default_rng(100 + seed)
    U0, V0 = rg.orthogonal_initialization(X, n, 6, rng, sigma_U=0.6, sigma_V=0.6, sigma_null=0.8)
    U1, U2 = rg.split_U(U0, dec)
    assert np.linalg.norm(V0 @ U2.T) < 1e-12 and np.linalg.norm(U1 @ U2.T) < 1e-12
    assert rg.off_subspace_norm(U0, V0, dec) < 1e-12
    if dec.rank < m:
        assert np.linalg.norm(U2) > 0.1  # the null-space part is really there
    lim = rg.flow_limit(Y, U0, V0, X=X, tol=1e-14)
    assert lim.converged  # generic random starts converge
    theta = rg.min_norm_solution(X, Y)
    assert abs(lim.loss - dec.l_star) < 1e-10 * max(1.0, dec.l_star)
    assert np.linalg.norm(lim.W - theta) < 1e-6 * max(1.0, np.linalg.norm(theta))


def test_generic_initialization_misses_the_min_norm_solution_by_U2_V_inf():
    """W(inf) - Theta* = Phi_2 U_2(0) V(inf)^T, which is not zero for a generic start."""
    X, Y, U0, V0 = instance("rank-deficient", 4)
    dec = rg.decompose(X, Y)
    run = gradient_flow(Y, U0, V0, [0.0, 400.0], X=X, method="params")
    assert run.loss[-1] - dec.l_star < 1e-14
    gap = run.W[-1] - rg.min_norm_solution(X, Y)
    predicted = dec.Phi_2 @ rg.split_U(U0, dec)[1] @ run.V[-1].T
    assert np.linalg.norm(gap) > 0.05
    assert np.linalg.norm(gap - predicted) < 1e-8


def test_orthogonal_start_with_too_few_active_columns_stalls_at_rank_one():
    """k_active = 1 < rank(Ytil) = 2: the loss stays at l* + sigma_2(Ytil)^2 / 2 (exact-arithmetic plateau)."""
    rng = np.random.default_rng(6)
    data = rg.regression_data(6, 10, 2, rng, singular_values=[3.0, 2.0, 1.5, 1.0, 0.6, 0.0], noise=0.1)
    dec = rg.decompose(data.X, data.Y)
    U0, V0 = rg.orthogonal_initialization(data.X, 2, 8, rng, k_active=1, sigma_U=0.5, sigma_V=0.5, sigma_null=0.5)
    # The exact flow reaches the plateau (the excess decays like e^{-0.32 t}: 5e-9 at t = 50)
    # and stays there. The plateau is a saddle: rounding and integration errors, which also
    # take W out of the row space of X, grow from it at rate ~0.26 and the computed flow
    # escapes near t = 110. How far W has left the row space at a given time is decided by
    # those errors (at t = 40 it is 7e-9 on one time grid, 2e-8 on another), so it is not
    # asserted; the growth-factor test in test_edges_regression.py bounds such errors.
    run = gradient_flow(data.Y, U0, V0, [0.0, 50.0], X=data.X)
    s2 = np.linalg.svd(dec.Ytil, compute_uv=False)[1]
    assert abs(run.loss[-1] - dec.l_star - s2**2 / 2) < 1e-6
    assert np.linalg.norm(dec.Phi_2.T @ (U0 @ V0.T)) < 1e-14  # the start is in the row space


def test_flow_limit_reports_a_start_that_does_not_converge():
    Y = np.array([[1.0, 0.0], [0.0, 2.0]])
    lim = rg.flow_limit(Y, np.zeros((2, 3)), np.zeros((2, 3)), t_start=1.0, t_max=20.0)
    assert not lim.converged and lim.T == 16.0 and lim.excess == pytest.approx(2.5)


# ---------------------------------------------------------------------------
# initializations and data


def test_gaussian_and_random_initialization_scales():
    rng = np.random.default_rng(0)
    U0, V0 = rg.gaussian_initialization(300, 2, 400, rng, sigma_U=0.5, sigma_V=0.02)
    assert U0.shape == (300, 400) and V0.shape == (2, 400)
    assert abs(U0.std() - 0.5) < 0.01 and abs(V0.std() - 0.02) < 0.002
    U0, V0 = rg.random_initialization(50, 3, 2500, rng, a=0.5)
    assert U0.shape == (50, 2500) and abs(U0.std() - 2500**-0.5) < 0.02 * 2500**-0.5
    U0, V0 = rg.random_initialization(50, 3, 2500, rng, a=0.3)
    assert abs(U0.std() - 2500**-0.3) < 0.02 * 2500**-0.3
    U0, V0 = rg.random_initialization(5, 3, 6, rng, narrow=True)  # k <= m + n: an ordinary draw
    assert U0.shape == (5, 6) and V0.shape == (3, 6)


def test_narrow_random_initialization_has_the_wishart_law():
    """Bartlett draws: E[M] = k s^2 I, Var M_ij = k s^4 (i != j), Var M_ii = 2 k s^4, with s^2 = k^{-2a}."""
    rng = np.random.default_rng(1)
    m, n, k, a, reps = 3, 2, 50, 0.4, 4000
    p = m + n
    s2 = k ** (-2 * a)
    grams = np.empty((reps, p, p))
    for i in range(reps):
        U0, V0 = rg.random_initialization(m, n, k, rng, a=a, narrow=True)
        assert U0.shape == (m, p) and V0.shape == (n, p)
        Z = np.vstack([U0, V0])
        grams[i] = Z @ Z.T
    mean = grams.mean(axis=0) / (k * s2)
    var = grams.var(axis=0) / (k * s2**2)
    off = ~np.eye(p, dtype=bool)
    # sampling error of the mean of 4000 draws: about 3 * sqrt(2 / (k * reps)) ~ 0.01
    assert np.allclose(mean, np.eye(p), atol=0.015)
    assert np.allclose(var[off], 1.0, atol=0.1) and np.allclose(np.diag(var), 2.0, atol=0.2)


def test_balanced_initialization_is_balanced():
    rng = np.random.default_rng(2)
    for m, n in [(5, 2), (2, 5), (3, 3)]:
        U0, V0 = rg.balanced_initialization(m, n, 4, rng, sigma=0.7)
        assert np.allclose(U0.T @ U0, V0.T @ V0, atol=1e-12)
    data = rg.regression_data(4, 7, 2, rng)
    dec = rg.decompose(data.X, data.Y)
    U0, V0 = rg.balanced_initialization(7, 2, 6, rng, X=data.X)
    assert np.linalg.norm(rg.split_U(U0, dec)[1]) < 1e-12
    assert np.allclose(rg.reduced_imbalance(U0, V0, dec), 0.0, atol=1e-12)


def test_data_generators():
    rng = np.random.default_rng(3)
    a = rg.experiment_a_data(rng, D=40, N=10)
    assert a.X.shape == (10, 40) and a.Y.shape == (10, 1) and a.Theta.shape == (40, 1)
    assert np.allclose(np.linalg.svd(a.X, compute_uv=False), 1.0)
    b = rg.experiment_b_data(rng, D=40, N=10)
    assert b.X.shape == (10, 40) and np.linalg.matrix_rank(b.X) == 10
    c = rg.regression_data(8, 5, 3, rng, singular_values=[4.0, 0.0, 1.0], noise=0.0)
    assert np.allclose(np.linalg.svd(c.X, compute_uv=False)[:3], [4.0, 1.0, 0.0], atol=1e-12)
    assert rg.decompose(c.X, c.Y).rank == 2
    assert np.allclose(c.Y, c.X @ c.Theta)
    # same seed, same data
    assert np.array_equal(rg.experiment_b_data(np.random.default_rng(9)).X, rg.experiment_b_data(np.random.default_rng(9)).X)


# ---------------------------------------------------------------------------
# the width experiment, small


def test_width_experiment_slope_is_minus_one_half():
    """Experiment B on a small instance: the distance to X^+ Y decays like k^{-1/2} (within 0.15)."""
    rng = np.random.default_rng(0)
    D, N = 40, 10
    data = rg.experiment_b_data(rng, D=D, N=N)
    theta = rg.min_norm_solution(data.X, data.Y)
    widths = [200, 1000, 5000, 10**5, 10**6]
    ks, dist = [], []
    for k in widths:
        for _ in range(3):
            U0, V0 = rg.random_initialization(D, 1, k, rng, narrow=True)
            lim = rg.flow_limit(data.Y, U0, V0, X=data.X, t_start=40.0)
            assert lim.converged
            ks.append(k)
            dist.append(np.linalg.norm(lim.W - theta))
    slope = np.polyfit(np.log(ks), np.log(dist), 1)[0]
    assert abs(slope + 0.5) < 0.15


# ---------------------------------------------------------------------------
# bad input

X_OK = np.ones((3, 4))
Y_OK = np.ones((3, 2))
RNG = np.random.default_rng(0)

BAD = [
    (lambda: rg.min_norm_solution(np.ones((4, 4)), Y_OK), ValueError, "X has 4 rows but Y has 3 rows"),
    (lambda: rg.min_norm_solution(np.ones(3), Y_OK), ValueError, "X must be a 2-D"),
    (lambda: rg.min_norm_solution(X_OK, np.ones(3)), ValueError, "Y must be a 2-D"),
    (lambda: rg.min_norm_solution(np.zeros((3, 4)), Y_OK), ValueError, "X is zero"),
    (lambda: rg.min_norm_solution("X", Y_OK), TypeError, "X"),
    (lambda: rg.decompose(X_OK, Y_OK, rtol=1.5), ValueError, "rtol must be < 1"),
    (lambda: rg.decompose(X_OK, Y_OK, rtol=0.0), ValueError, "rtol must be positive"),
    (lambda: rg.decompose([[np.nan, 1.0]], [[1.0]]), ValueError, "X must have finite"),
    (lambda: rg.split_U(np.ones((3, 2)), rg.decompose(X_OK, Y_OK)), ValueError, "U has 3 rows but X has 4 columns"),
    (lambda: rg.split_U(np.ones((4, 2)), "dec"), TypeError, "decomposition must be a DataDecomposition"),
    (lambda: rg.reduced_imbalance(np.ones((4, 2)), np.ones((2, 3)), rg.decompose(X_OK, Y_OK)), ValueError, "V has 3 columns but U has 2"),
    (lambda: rg.reduced_imbalance(np.ones((4, 2)), np.ones((3, 2)), rg.decompose(X_OK, Y_OK)), ValueError, "V has 3 rows but Y has 2 columns"),
    (lambda: rg.random_initialization(0, 1, 5, RNG), ValueError, "m must be >= 1"),
    (lambda: rg.random_initialization(2, 1, 5.0, RNG), TypeError, "k must be an int"),
    (lambda: rg.random_initialization(2, 1, 5, 0), TypeError, "rng must be a numpy.random.Generator"),
    (lambda: rg.random_initialization(2, 1, 5, np.random.RandomState(0)), TypeError, "rng must be a numpy.random.Generator"),
    (lambda: rg.random_initialization(2, 1, 5, RNG, a=np.inf), ValueError, "a must be finite"),
    (lambda: rg.random_initialization(2, 1, 5, RNG, narrow=1), TypeError, "narrow must be a bool"),
    (lambda: rg.gaussian_initialization(2, 1, 5, RNG, sigma_U=-1.0, sigma_V=1.0), ValueError, "sigma_U must be >= 0"),
    (lambda: rg.balanced_initialization(2, 1, 5, RNG, sigma=-0.1), ValueError, "sigma must be >= 0"),
    (lambda: rg.balanced_initialization(4, 3, 5, RNG, X=np.ones((3, 4))), ValueError, "X has rank 1 < n = 3"),
    (lambda: rg.balanced_initialization(4, 1, 5, RNG, X=np.ones((3, 5))), ValueError, "X has 5 columns"),
    (lambda: rg.orthogonal_initialization(X_OK, 2, 5, RNG, k_active=6), ValueError, "k_active = 6 must be <= k = 5"),
    (lambda: rg.orthogonal_initialization(X_OK, 2, 5, RNG, k_active=0), ValueError, "k_active must be >= 1"),
    (lambda: rg.orthogonal_initialization(X_OK, 2, 5, RNG, sigma_null=-1), ValueError, "sigma_null must be >= 0"),
    (lambda: rg.orthogonal_initialization(X_OK, 0, 5, RNG), ValueError, "n must be >= 1"),
    (lambda: rg.regression_data(3, 4, 1, RNG, singular_values=[1, 1, 1, 1]), ValueError, "singular_values has 4 entries"),
    (lambda: rg.regression_data(3, 4, 1, RNG, singular_values=[1, -1]), ValueError, "singular_values must be >= 0"),
    (lambda: rg.regression_data(3, 4, 1, RNG, singular_values=[0, 0]), ValueError, "must not all be zero"),
    (lambda: rg.regression_data(3, 4, 1, RNG, singular_values=np.ones((2, 1))), ValueError, "singular_values must be a non-empty 1-D"),
    (lambda: rg.regression_data(3, 4, 1, RNG, noise=-0.1), ValueError, "noise must be >= 0"),
    (lambda: rg.experiment_a_data(RNG, D=0), ValueError, "D must be >= 1"),
    (lambda: rg.experiment_b_data(None), TypeError, "rng must be a numpy.random.Generator"),
    (lambda: rg.flow_limit(Y_OK, np.ones((4, 2)), np.ones((2, 2)), X=X_OK, tol=2.0), ValueError, "tol must be < 1"),
    (lambda: rg.flow_limit(Y_OK, np.ones((4, 2)), np.ones((2, 2)), X=X_OK, t_start=5.0, t_max=1.0), ValueError, "t_max = 1.0 must be >= t_start"),
    (lambda: rg.flow_limit(Y_OK, np.ones((3, 2)), np.ones((2, 2)), X=X_OK), ValueError, "U0 has 3 rows but X has 4 columns"),
]


@pytest.mark.parametrize("call, error, message", BAD, ids=[f"bad-{i}" for i in range(len(BAD))])
def test_bad_input_raises_naming_the_argument(call, error, message):
    with pytest.raises(error, match=message):
        call()
