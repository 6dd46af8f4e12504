"""Tests of overparam.flow: the two integration methods, conservation, monotone loss, bad input."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import reference_flow, relative_gap
from overparam.flow import Trajectory, gradient_flow, gram_rhs, imbalance, loss

TIMES = np.linspace(0.0, 4.0, 9)


@st.composite
def problems(draw, regression: bool):
    """Random factorization (X = None) or regression problems with random shapes and scales."""
    m = draw(st.integers(1, 5))
    n = draw(st.integers(1, 4))
    k = draw(st.integers(1, 6))
    scale = draw(st.sampled_from([0.05, 0.3, 1.0, 1.5]))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    U0 = scale * rng.standard_normal((m, k))
    V0 = scale * rng.standard_normal((n, k))
    if regression:
        N = draw(st.integers(1, 6))
        X = rng.standard_normal((N, m)) / np.sqrt(m)
        Y = rng.standard_normal((N, n))
    else:
        X = None
        Y = rng.standard_normal((m, n))
    return Y, U0, V0, X


@pytest.mark.parametrize("regression", [False, True], ids=["factorization", "regression"])
@given(data=st.data())
def test_methods_agree_with_each_other_and_an_independent_solve(regression, data):
    Y, U0, V0, X = data.draw(problems(regression))
    gram = gradient_flow(Y, U0, V0, TIMES, X=X, method="gram")
    params = gradient_flow(Y, U0, V0, TIMES, X=X, method="params")
    _, _, W_ref = reference_flow(Y, U0, V0, TIMES, X=X)
    assert relative_gap(gram.W, params.W) < 1e-7
    assert relative_gap(gram.W, W_ref) < 1e-7
    assert relative_gap(params.W, W_ref) < 1e-7


@pytest.mark.parametrize("regression", [False, True], ids=["factorization", "regression"])
@given(data=st.data())
def test_imbalance_is_conserved_along_params_trajectories(regression, data):
    Y, U0, V0, X = data.draw(problems(regression))
    run = gradient_flow(Y, U0, V0, TIMES, X=X, method="params")
    L0 = U0.T @ U0 - V0.T @ V0
    scale = max(np.linalg.norm(U0) ** 2 + np.linalg.norm(V0) ** 2, 1e-12)
    drift = max(np.linalg.norm(imbalance(U, V) - L0) for U, V in zip(run.U, run.V))
    assert drift / scale < 1e-8


@pytest.mark.parametrize("method", ["gram", "params"])
@pytest.mark.parametrize("regression", [False, True], ids=["factorization", "regression"])
@given(data=st.data())
def test_loss_is_non_increasing(method, regression, data):
    Y, U0, V0, X = data.draw(problems(regression))
    t = np.linspace(0.0, 6.0, 61)
    run = gradient_flow(Y, U0, V0, t, X=X, method=method)
    # the exact loss never increases; allow only the solver's own error (rtol 1e-10)
    assert np.all(np.diff(run.loss) <= 1e-9 * run.loss[0] + 1e-15)
    expected = [loss(Y, W, X=X) for W in run.W]
    assert np.allclose(run.loss, expected, rtol=1e-12, atol=1e-15)


def test_shapes_and_fields():
    rng = np.random.default_rng(0)
    Y, U0, V0 = rng.standard_normal((3, 2)), rng.standard_normal((3, 5)), rng.standard_normal((2, 5))
    run = gradient_flow(Y, U0, V0, [0.0, 0.5, 0.5, 2.0], method="params")
    assert isinstance(run, Trajectory)
    assert run.W.shape == (4, 3, 2) and run.loss.shape == (4,)
    assert run.U.shape == (4, 3, 5) and run.V.shape == (4, 2, 5)
    np.testing.assert_array_equal(run.W[1], run.W[2])  # repeated times give the same state
    np.testing.assert_allclose(run.W[0], U0 @ V0.T, rtol=0, atol=0)
    gram = gradient_flow(Y, U0, V0, [0.5, 2.0])  # first time need not be 0
    assert gram.U is None and gram.V is None and gram.W.shape == (2, 3, 2)
    np.testing.assert_allclose(gram.W, run.W[2:], rtol=1e-8, atol=1e-10)
    still = gradient_flow(Y, U0, V0, [0.0, 0.0])
    np.testing.assert_array_equal(still.W[1], U0 @ V0.T)


def test_regression_converges_to_least_squares_fit():
    """Full-column-rank X: the flow's limit solves the normal equations X^T (Y - X W) = 0."""
    rng = np.random.default_rng(1)
    X = rng.standard_normal((8, 3))
    Y = rng.standard_normal((8, 2))
    U0, V0 = rng.standard_normal((3, 4)), rng.standard_normal((2, 4))
    run = gradient_flow(Y, U0, V0, [0.0, 200.0], X=X)
    W_ls = np.linalg.lstsq(X, Y, rcond=None)[0]
    np.testing.assert_allclose(run.W[-1], W_ls, atol=1e-7)


def test_gram_method_is_width_free_in_state_size():
    """Wide networks: the gram method handles k = 20000 and matches a direct check at t = 0 and a narrow reference."""
    rng = np.random.default_rng(2)
    m, n, k = 3, 2, 20000
    Y = rng.standard_normal((m, n))
    U0 = rng.standard_normal((m, k)) / np.sqrt(k)
    V0 = rng.standard_normal((n, k)) / np.sqrt(k)
    run = gradient_flow(Y, U0, V0, [0.0, 1.0, 3.0])
    # An exact narrow surrogate: same Gram matrices and product, width m + n.
    Z = np.vstack([U0, V0])
    Uz, s, Vt = np.linalg.svd(Z, full_matrices=False)
    Zs = Uz * s  # (m + n) x (m + n), Zs Zs^T = Z Z^T
    _, _, W_ref = reference_flow(Y, Zs[:m], Zs[m:], [0.0, 1.0, 3.0])
    assert relative_gap(run.W, W_ref) < 1e-7


# --- bad input ----------------------------------------------------------------

GOOD = dict(Y=np.ones((3, 2)), U0=np.ones((3, 4)), V0=np.ones((2, 4)), t=np.linspace(0, 1, 3))

BAD_CASES = [
    ("Y", dict(Y=np.ones(3)), "Y must be a 2-D"),
    ("Y", dict(Y=np.array([[1.0, np.nan], [0, 0], [0, 0]])), "Y must have finite"),
    ("Y", dict(Y=np.ones((0, 2))), "Y must have at least one row"),
    ("U0", dict(U0=np.ones((4, 4))), "U0 has 4 rows but Y has 3 rows"),
    ("U0", dict(U0=np.array([[np.inf] * 4] * 3)), "U0 must have finite"),
    ("V0", dict(V0=np.ones((3, 4))), "V0 has 3 rows but Y has 2 columns"),
    ("V0", dict(V0=np.ones((2, 5))), "V0 has 5 columns but U0 has 4 columns"),
    ("t", dict(t=[0.0, -1.0]), "t must be >= 0"),
    ("t", dict(t=[0.0, 2.0, 1.0]), "t must be non-decreasing"),
    ("t", dict(t=[]), "t must contain at least one time"),
    ("t", dict(t=np.ones((2, 2))), "t must be a 1-D"),
    ("t", dict(t=[0.0, np.nan]), "t must have finite"),
]


@pytest.mark.parametrize("arg, change, message", BAD_CASES, ids=[f"{a}-{i}" for i, (a, _, _) in enumerate(BAD_CASES)])
def test_bad_input_raises_value_error_naming_the_argument(arg, change, message):
    kwargs = {**GOOD, **change}
    with pytest.raises(ValueError, match=message):
        gradient_flow(kwargs["Y"], kwargs["U0"], kwargs["V0"], kwargs["t"])


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(method="euler"), "method must be one of 'gram', 'params'"),
        (dict(rtol=0.0), "rtol must be positive"),
        (dict(atol=-1.0), "atol must be positive"),
        (dict(X=np.ones((4, 3))), "X has 4 rows but Y has 3 rows"),
        (dict(X=np.ones((3, 5))), "U0 has 3 rows but X has 5 columns"),
    ],
)
def test_bad_options_raise_value_error(kwargs, message):
    with pytest.raises(ValueError, match=message):
        gradient_flow(GOOD["Y"], GOOD["U0"], GOOD["V0"], GOOD["t"], **kwargs)


def test_wrong_types_raise_type_error():
    with pytest.raises(TypeError, match="Y"):
        gradient_flow("not a matrix", GOOD["U0"], GOOD["V0"], GOOD["t"])
    with pytest.raises(TypeError, match="t"):
        gradient_flow(GOOD["Y"], GOOD["U0"], GOOD["V0"], None)


def test_helpers_check_their_inputs():
    with pytest.raises(ValueError, match="V has 3 columns but U has 2 columns"):
        imbalance(np.ones((2, 2)), np.ones((2, 3)))
    with pytest.raises(ValueError, match="W has 2 rows"):
        loss(np.ones((3, 2)), np.ones((2, 2)))


def test_gram_trajectory_solves_the_width_free_system():
    """(W, P, Q) from method="gram" satisfy W' = GQ + PG, P' = GW^T + WG^T, Q' = G^TW + W^TG (central differences)."""
    rng = np.random.default_rng(3)
    X = rng.standard_normal((5, 3))
    Y = rng.standard_normal((5, 2))
    U0, V0 = rng.standard_normal((3, 9)), rng.standard_normal((2, 9))
    h = 1e-4
    t = np.array([0.7 - h, 0.7, 0.7 + h])
    run = gradient_flow(Y, U0, V0, t, X=X, method="gram")
    params = gradient_flow(Y, U0, V0, t, X=X, method="params")
    np.testing.assert_allclose(run.P, params.U @ np.swapaxes(params.U, 1, 2), rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(run.Q, params.V @ np.swapaxes(params.V, 1, 2), rtol=1e-8, atol=1e-10)
    dW, dP, dQ = gram_rhs(run.W[1], run.P[1], run.Q[1], Y, X=X)
    for deriv, series in ((dW, run.W), (dP, run.P), (dQ, run.Q)):
        fd = (series[2] - series[0]) / (2 * h)
        assert np.max(np.abs(fd - deriv)) < 1e-6 * max(1.0, np.max(np.abs(deriv)))


def test_gram_method_is_accurate_through_a_saddle_escape():
    """Regression test: integrating (W, P, Q) entrywise lost 4 digits on this instance (k = 1 < m + n)."""
    Y = np.array([[-0.70373524, -1.26542147, -0.62327446, 0.04132598],
                  [-2.32503077, -0.21879166, -1.24591095, -0.73226735],
                  [-0.54425898, -0.31630016, 0.41163054, 1.04251337]])
    X = np.array([[0.36159505], [1.30400005], [0.94708096]])
    U0 = np.array([[0.18859533]])
    V0 = np.array([[-0.19815729], [0.96063398], [0.15735018], [-0.80350406]])
    run = gradient_flow(Y, U0, V0, TIMES, X=X)
    _, _, W_ref = reference_flow(Y, U0, V0, TIMES, X=X)
    assert run.loss[-1] < 0.5 * run.loss[0]  # the flow did leave the plateau
    assert relative_gap(run.W, W_ref) < 1e-7


def test_fast_convergence_is_accurate_at_every_requested_time():
    """Regression test: reading W off DOP853's dense output was 1.5e-8 off here (long steps near the minimum)."""
    rng = np.random.default_rng(34)
    Y, U0, V0 = rng.standard_normal((1, 1)), rng.standard_normal((1, 6)), rng.standard_normal((1, 6))
    for method in ("gram", "params"):
        run = gradient_flow(Y, U0, V0, TIMES, method=method)
        _, _, W_ref = reference_flow(Y, U0, V0, TIMES, rtol=1e-13, atol=1e-15)
        assert relative_gap(run.W, W_ref) < 1e-9


@pytest.mark.parametrize("m, n, N, rank, k", [(5, 2, 8, 3, 20), (4, 1, 3, 3, 12), (6, 3, 10, 2, 30)])
def test_gram_method_with_rank_deficient_data_and_wide_start(m, n, N, rank, k):
    """The row-space reduction of the width-free method: W and P = U U^T match the params method."""
    rng = np.random.default_rng(m * 100 + k)
    X = rng.standard_normal((N, rank)) @ rng.standard_normal((rank, m))  # rank-deficient
    Y = rng.standard_normal((N, n))
    U0, V0 = rng.standard_normal((m, k)) / np.sqrt(k), rng.standard_normal((n, k)) / np.sqrt(k)
    t = np.linspace(0.0, 3.0, 7)
    gram = gradient_flow(Y, U0, V0, t, X=X)
    params = gradient_flow(Y, U0, V0, t, X=X, method="params")
    assert relative_gap(gram.W, params.W) < 1e-8
    assert relative_gap(gram.P, params.U @ np.swapaxes(params.U, 1, 2)) < 1e-8
    assert relative_gap(gram.Q, params.V @ np.swapaxes(params.V, 1, 2)) < 1e-8
