"""Tests of overparam.deep: the deep flow, its conservation laws, the scalar induced flow, the bounds, bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.integrate import odeint

from conftest import reference_flow, relative_gap
from overparam import deep
from overparam.flow import gradient_flow as two_layer_flow

TIMES = np.linspace(0.0, 3.0, 7)


def reference_deep_flow(Y, Ws0, t, X=None):
    """W(t) from an independent LSODA solve, the gradient written as explicit matrix products."""
    shapes = [np.shape(W) for W in Ws0]
    sizes = np.cumsum([0] + [a * b for a, b in shapes])
    Xm = np.eye(shapes[-1][0]) if X is None else np.asarray(X, float)

    def prod(mats, size):
        out = np.eye(size)
        for M in mats:
            out = M @ out
        return out

    def rhs(z, _t):
        Ws = [z[sizes[i]:sizes[i + 1]].reshape(shapes[i]) for i in range(len(shapes))]
        W = prod(Ws, shapes[0][1])
        G = Xm.T @ (Y - Xm @ W)
        grads = []
        for i in range(len(Ws)):
            after = prod(Ws[i + 1:], shapes[i][0])  # W_L ... W_{l+1}
            before = prod(Ws[:i], shapes[0][1])  # W_{l-1} ... W_1
            grads.append((after.T @ G @ before.T).ravel())
        return np.concatenate(grads)

    z = odeint(rhs, np.concatenate([np.ravel(W) for W in Ws0]), t, rtol=1e-12, atol=1e-13, mxstep=100000)
    Ws = [z[:, sizes[i]:sizes[i + 1]].reshape((-1,) + shapes[i]) for i in range(len(shapes))]
    W = Ws[0]
    for Wl in Ws[1:]:
        W = Wl @ W
    return W


@st.composite
def deep_problems(draw, regression: bool = False, max_depth: int = 4):
    """Random deep problems: depth, widths, scale and data."""
    L = draw(st.integers(1, max_depth))
    dims = [draw(st.integers(1, 4)) for _ in range(L + 1)]  # h_0 = n, ..., h_L = m
    scale = draw(st.sampled_from([0.3, 0.7, 1.0]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    Ws0 = [scale * rng.standard_normal((dims[i + 1], dims[i])) for i in range(L)]
    if regression:
        N = draw(st.integers(1, 5))
        X = rng.standard_normal((N, dims[-1])) / np.sqrt(dims[-1])
        Y = rng.standard_normal((N, dims[0]))
    else:
        X = None
        Y = rng.standard_normal((dims[-1], dims[0]))
    return Y, Ws0, X


# ----------------------------------------------------------------------------------
# the flow
# ----------------------------------------------------------------------------------


@pytest.mark.parametrize("regression", [False, True], ids=["factorization", "regression"])
@given(data=st.data())
def test_conservation_and_monotone_loss_along_deep_flows(regression, data):
    Y, Ws0, X = data.draw(deep_problems(regression))
    run = deep.gradient_flow(Y, Ws0, TIMES, X=X)
    assert np.all(deep.conservation_drift(run) < 1e-8)
    assert np.all(np.diff(run.loss) <= 1e-9 * run.loss[0] + 1e-15)
    assert np.allclose(run.loss, [deep.loss(Y, [W[k] for W in run.Ws], X=X) for k in range(TIMES.size)], rtol=1e-12, atol=1e-15)


@given(data=st.data())
def test_deep_flow_agrees_with_an_independent_solve(data):
    Y, Ws0, X = data.draw(deep_problems(regression=data.draw(st.booleans()), max_depth=3))
    run = deep.gradient_flow(Y, Ws0, TIMES, X=X)
    assert relative_gap(run.W, reference_deep_flow(Y, Ws0, TIMES, X=X)) < 1e-7


def test_two_layers_are_the_flow_of_the_rest_of_the_book():
    rng = np.random.default_rng(3)
    for m, n, k in [(3, 2, 4), (2, 5, 1), (4, 4, 4)]:
        Y, U0, V0 = rng.standard_normal((m, n)), rng.standard_normal((m, k)), rng.standard_normal((n, k))
        deep_run = deep.gradient_flow(Y, [V0.T, U0], TIMES)
        two = two_layer_flow(Y, U0, V0, TIMES, method="params")
        _, _, W_ref = reference_flow(Y, U0, V0, TIMES)
        assert relative_gap(deep_run.W, two.W) < 1e-9
        assert relative_gap(deep_run.W, W_ref) < 1e-7
        np.testing.assert_allclose(deep_run.Ws[1], two.U, atol=1e-8)
        np.testing.assert_allclose(np.swapaxes(deep_run.Ws[0], 1, 2), two.V, atol=1e-8)
        # D_1 is the book's imbalance U^T U - V^T V
        np.testing.assert_allclose(deep.conserved_quantities([V0.T, U0])[0], U0.T @ U0 - V0.T @ V0, atol=1e-12)


def test_vector_field_is_the_negative_gradient():
    rng = np.random.default_rng(4)
    Y, Ws, X = rng.standard_normal((5, 2)), [rng.standard_normal((3, 2)), rng.standard_normal((2, 3)), rng.standard_normal((4, 2))], rng.standard_normal((5, 4))
    field = deep.vector_field(Y, Ws, X=X)
    h = 1e-6
    for i, Wl in enumerate(Ws):
        for idx in np.ndindex(Wl.shape):
            bump = np.zeros_like(Wl)
            bump[idx] = h
            plus = [W + bump if j == i else W for j, W in enumerate(Ws)]
            minus = [W - bump if j == i else W for j, W in enumerate(Ws)]
            fd = -(deep.loss(Y, plus, X=X) - deep.loss(Y, minus, X=X)) / (2 * h)
            assert abs(fd - field[i][idx]) < 1e-6 * (1 + abs(fd))


def test_trajectory_fields_and_repeated_times():
    rng = np.random.default_rng(0)
    Ws0 = [rng.standard_normal((3, 2)), rng.standard_normal((4, 3)), rng.standard_normal((5, 4))]
    run = deep.gradient_flow(rng.standard_normal((5, 2)), Ws0, [0.0, 0.5, 0.5, 1.0])
    assert run.W.shape == (4, 5, 2) and run.loss.shape == (4,)
    assert [W.shape for W in run.Ws] == [(4, 3, 2), (4, 4, 3), (4, 5, 4)]
    np.testing.assert_array_equal(run.W[1], run.W[2])
    np.testing.assert_allclose(run.W[0], deep.product(Ws0), atol=1e-14)
    assert len(deep.conserved_quantities(Ws0)) == 2
    assert deep.conserved_quantities([Ws0[0]]) == []


# ----------------------------------------------------------------------------------
# scalar networks
# ----------------------------------------------------------------------------------


@st.composite
def scalar_networks(draw):
    L = draw(st.integers(1, 5))
    w0 = np.array([draw(st.floats(-1.5, 1.5).filter(lambda v: abs(v) > 0.05)) for _ in range(L)])
    y = draw(st.sampled_from([-1.0, 0.5, 1.0, 2.0]))
    return y, w0


@given(net=scalar_networks())
def test_scalar_flow_is_the_1x1_matrix_flow(net):
    y, w0 = net
    run = deep.scalar_flow(y, w0, TIMES)
    matrix = deep.gradient_flow([[y]], [[[w]] for w in w0], TIMES)
    np.testing.assert_allclose(run.x, matrix.W[:, 0, 0], atol=1e-8)
    np.testing.assert_allclose(run.w, np.stack([W[:, 0, 0] for W in matrix.Ws], axis=1), atol=1e-8)


@given(net=scalar_networks())
def test_induced_flow_matches_the_layer_flow(net):
    y, w0 = net
    d = np.diff(w0**2)
    run = deep.scalar_flow(y, w0, TIMES)
    x = deep.induced_flow(y, float(np.prod(w0)), d, TIMES)
    assert np.max(np.abs(x - run.x)) < 1e-7 * max(1.0, abs(y))
    # the layer squares are recovered from the product and the imbalances
    for k in (0, TIMES.size - 1):
        np.testing.assert_allclose(deep.layer_squares(run.x[k], d), run.w[k] ** 2, rtol=1e-7, atol=1e-10)


@given(x=st.floats(-3.0, 3.0), d=st.lists(st.floats(-2.0, 2.0), min_size=0, max_size=4))
def test_rate_factor_special_cases_and_am_gm(x, d):
    L = len(d) + 1
    rho = deep.rate_factor(x, d)
    s = deep.layer_squares(x, d)
    assert np.all(s >= 0) and np.allclose(np.diff(s), d, atol=1e-9 * (1 + np.max(np.abs(s))))
    assert math.isclose(np.prod(s), x * x, rel_tol=1e-9, abs_tol=1e-300)
    assert rho >= L * abs(x) ** (2 - 2 / L) * (1 - 1e-9)
    if L == 1:
        assert rho == 1.0
    if L == 2:
        assert math.isclose(rho, math.hypot(d[0], 2 * x), rel_tol=1e-9, abs_tol=1e-12)
    assert math.isclose(deep.rate_factor(x, np.zeros(L - 1)), L * abs(x) ** (2 - 2 / L), rel_tol=1e-12, abs_tol=1e-300)
    # rho increases with |x|
    assert deep.rate_factor(1.1 * x + 0.01, d) >= rho * (1 - 1e-12) or x < 0


def test_induced_rhs_for_two_layers_is_the_scalar_chapters():
    from overparam import scalar

    x = np.linspace(-2.0, 2.0, 9)
    for lam in (-1.0, 0.0, 0.7):
        np.testing.assert_allclose(deep.induced_rhs(x, 1.5, [lam]), scalar.induced_rhs(x, 1.5, lam), rtol=1e-12, atol=1e-14)
    assert math.isclose(deep.induced_rhs(0.5, 1.0, [0.0, 0.0]), 0.5 * 3 * 0.5 ** (4 / 3), rel_tol=1e-12)


def test_rate_factor_near_zero_counts_the_thinnest_layers():
    # offsets e = (0, ..., 0, a, ..., a) with k zeros: rho ~ k a^((L-k)/k) |x|^(2 - 2/k)
    a, L = 0.5, 4
    for k in range(1, L + 1):
        e = np.array([0.0] * k + [a] * (L - k))
        d = np.diff(e)
        x = 1e-9
        expected = k * (a ** (L - k)) ** (1 / k) * x ** (2 - 2 / k)
        assert math.isclose(deep.rate_factor(x, d), expected, rel_tol=1e-5)


def test_hitting_time_matches_the_induced_flow():
    for y, x0, x1, d in [(1.0, 1e-3, 0.5, [0.0, 0.0]), (1.0, 0.01, 0.9, [0.5]), (2.0, -0.1, 1.0, [0.3, 0.2]), (-1.0, -0.01, -0.5, [0.0, 0.0, 0.0])]:
        T = deep.hitting_time(y, x0, x1, d)
        x = deep.induced_flow(y, x0, d, [T])
        assert abs(x[0] - x1) < 1e-7
    # L = 2 balanced: the logistic time log((y - x0) x1 / (x0 (y - x1))) / (2y)
    assert math.isclose(deep.hitting_time(1.0, 0.01, 0.5, [0.0]), math.log(99.0) / 2.0, rel_tol=1e-9)
    # L >= 3 balanced: x0^(-(1 - 2/L)) / ((L - 2) y) is the leading term for small x0
    for L in (3, 4):
        x0 = 1e-8
        T = deep.hitting_time(1.0, x0, 0.5, np.zeros(L - 1))
        assert abs(T * x0 ** (1 - 2 / L) * (L - 2) - 1.0) < 0.02


# ----------------------------------------------------------------------------------
# homogeneous imbalance and the bounds
# ----------------------------------------------------------------------------------


@st.composite
def homogeneous_problems(draw):
    n = draw(st.integers(1, 3))
    L = draw(st.integers(2, 4))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    d = rng.uniform(-0.6, 1.0, L - 1)
    c = np.concatenate([[0.0], np.cumsum(d)])
    s1 = np.sqrt(rng.uniform(0.0, 1.0, n) + max(0.0, -c.min()))
    Ws0 = deep.homogeneous_init(s1, d, rng)
    noise = draw(st.sampled_from([0.1, 0.5, 2.0]))
    Y = deep.product(Ws0) + noise * rng.standard_normal((n, n))
    return Y, Ws0, d


def _check_below(loss, bound):
    """loss <= bound up to the solver's error; compared only where the bound is above round-off."""
    keep = bound > 1e-12 * bound[0]
    assert np.all(loss[keep] <= bound[keep] * (1 + 1e-6) + 1e-15)


@given(problem=homogeneous_problems())
def test_homogeneous_init_and_the_aligned_singular_values(problem):
    Y, Ws0, d = problem
    np.testing.assert_allclose(deep.homogeneous_imbalance(Ws0), d, atol=1e-10)
    # lem-deep-aligned: the ordered squared singular values of W_l are those of W_1 shifted by c_l
    c = np.concatenate([[0.0], np.cumsum(d)])
    s1 = np.linalg.svd(Ws0[0], compute_uv=False)[::-1] ** 2
    for Wl, cl in zip(Ws0, c):
        np.testing.assert_allclose(np.linalg.svd(Wl, compute_uv=False)[::-1] ** 2, s1 + cl, atol=1e-10)
    # and sigma_min(W)^2 = prod_l (s_1 + c_l), so rho_d(sigma_min(W)) = sum_l prod_{j != l}
    sigma = np.linalg.svd(deep.product(Ws0), compute_uv=False)[-1]
    np.testing.assert_allclose(deep.layer_squares(sigma, d), s1[0] + c, atol=1e-8)


@given(problem=homogeneous_problems())
def test_homogeneous_bound_holds_along_the_flow(problem):
    Y, Ws0, d = problem
    t = np.linspace(0.0, 2.0, 9)
    run = deep.gradient_flow(Y, Ws0, t)
    _check_below(run.loss, deep.loss_bound(Y, Ws0, t, bound="homogeneous"))
    _check_below(run.loss, deep.loss_bound(Y, Ws0, t, bound="imbalance"))
    mu = deep.margin(Y, deep.product(Ws0))
    L = len(Ws0)
    alpha = deep.homogeneous_rate_bound(Y, Ws0)
    assert alpha >= 2 * L * mu ** (2 - 2 / L) * (1 - 1e-9)
    assert alpha >= deep.imbalance_rate_bound(Ws0) * (1 - 1e-9)
    # the local rate along the trajectory is at least 2 rho_d(mu)
    for k in range(t.size):
        assert deep.local_rate([W[k] for W in run.Ws]) >= alpha * (1 - 1e-7)


def test_homogeneous_bound_for_two_layers_is_the_chapter_4_rate():
    rng = np.random.default_rng(8)
    for lam in (-0.7, 0.0, 0.4, 1.5):
        s1 = np.sqrt(rng.uniform(0.6, 1.0, 3) + max(0.0, -lam))
        Ws0 = deep.homogeneous_init(s1, [lam], rng)
        Y = deep.product(Ws0) + 0.03 * rng.standard_normal((3, 3))
        mu = deep.margin(Y, deep.product(Ws0))
        assert mu > 0.1
        # Lambda = lam I: alpha = l1 + sqrt(l2^2 + 4 mu^2) + l3 + sqrt(l4^2 + 4 mu^2) = 2 sqrt(lam^2 + 4 mu^2)
        assert math.isclose(deep.homogeneous_rate_bound(Y, Ws0), 2 * math.hypot(lam, 2 * mu), rel_tol=1e-9, abs_tol=1e-9)
        assert math.isclose(deep.imbalance_rate_bound(Ws0), 2 * abs(lam), rel_tol=1e-9, abs_tol=1e-9)


@given(problem=homogeneous_problems())
def test_imbalance_bound_under_homogeneous_imbalance_is_2_rho_at_0(problem):
    _, Ws0, d = problem
    assert math.isclose(deep.imbalance_rate_bound(Ws0), 2 * deep.rate_factor(0.0, d), rel_tol=1e-8, abs_tol=1e-9)


@st.composite
def patterned_problems(draw):
    """Square layers with a prescribed band of singular values per layer: definite imbalances of any pattern."""
    n = draw(st.integers(1, 3))
    L = draw(st.integers(2, 4))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    levels = rng.choice([0.3, 0.8, 1.4], size=L)
    Ws0 = []
    for a in levels:
        Q1, _ = np.linalg.qr(rng.standard_normal((n, n)))
        Q2, _ = np.linalg.qr(rng.standard_normal((n, n)))
        Ws0.append(Q1 @ np.diag(a * rng.uniform(1.0, 1.2, n)) @ Q2.T)
    Y = rng.standard_normal((n, n))
    return Y, Ws0


@given(problem=patterned_problems())
def test_imbalance_bound_and_local_rate_hold_along_the_flow(problem):
    Y, Ws0 = problem
    t = np.linspace(0.0, 2.0, 9)
    run = deep.gradient_flow(Y, Ws0, t)
    _check_below(run.loss, deep.loss_bound(Y, Ws0, t, bound="imbalance"))
    beta = deep.imbalance_lower_bounds(Ws0)
    for k in range(t.size):
        Ws = [W[k] for W in run.Ws]
        s = np.array([np.linalg.svd(W, compute_uv=False)[-1] ** 2 for W in Ws])
        assert np.all(s >= beta - 1e-8)
        ldot = -sum(float(np.sum(g * g)) for g in deep.vector_field(Y, Ws))
        assert ldot <= -deep.local_rate(Ws) * run.loss[k] * (1 - 1e-9) + 1e-14


def test_three_layer_valley_gives_the_product_of_the_two_imbalances():
    rng = np.random.default_rng(2)
    n = 3
    Ws0 = [np.diag(rng.uniform(1.4, 1.6, n)), np.diag(rng.uniform(0.2, 0.3, n)), np.diag(rng.uniform(1.1, 1.2, n))]
    D1, D2 = deep.conserved_quantities(Ws0)
    valley = np.linalg.eigvalsh(-D1)[0] * np.linalg.eigvalsh(D2)[0]
    assert valley > 0 and deep.imbalance_rate_bound(Ws0) >= 2 * valley * (1 - 1e-12)


# ----------------------------------------------------------------------------------
# bad input
# ----------------------------------------------------------------------------------

GOOD_Y = np.ones((2, 3))
GOOD_WS = [np.ones((4, 3)), np.ones((2, 4))]


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: deep.gradient_flow(GOOD_Y, [np.ones((4, 2)), np.ones((2, 4))], [0, 1]), ValueError, r"Ws0\[0\] \(W_1\) has 2 columns but Y has 3"),
        (lambda: deep.gradient_flow(GOOD_Y, [np.ones((4, 3)), np.ones((2, 5))], [0, 1]), ValueError, r"Ws0\[1\] \(W_2\) has 5 columns but Ws0\[0\] \(W_1\) has 4 rows"),
        (lambda: deep.gradient_flow(GOOD_Y, [np.ones((4, 3)), np.ones((3, 4))], [0, 1]), ValueError, r"Ws0\[1\] \(W_2\) has 3 rows but Y has 2 rows"),
        (lambda: deep.gradient_flow(GOOD_Y, [], [0, 1]), ValueError, "Ws0 must contain at least one layer"),
        (lambda: deep.gradient_flow(GOOD_Y, [np.ones(3)], [0, 1]), ValueError, r"Ws0\[0\] \(W_1\) must be a 2-D array"),
        (lambda: deep.gradient_flow(GOOD_Y, [np.full((4, 3), np.nan), np.ones((2, 4))], [0, 1]), ValueError, "finite"),
        (lambda: deep.gradient_flow(GOOD_Y, GOOD_WS, [1, 0]), ValueError, "t must be non-decreasing"),
        (lambda: deep.gradient_flow(GOOD_Y, GOOD_WS, [-1, 0]), ValueError, "t must be >= 0"),
        (lambda: deep.gradient_flow(GOOD_Y, GOOD_WS, [0, 1], rtol=0), ValueError, "rtol must be positive"),
        (lambda: deep.gradient_flow(GOOD_Y, GOOD_WS, [0, 1], X=np.ones((3, 2))), ValueError, "X has 3 rows"),
        (lambda: deep.gradient_flow(GOOD_Y, 3.0, [0, 1]), TypeError, "Ws0 must be a sequence"),
        (lambda: deep.gradient_flow(GOOD_Y, "ab", [0, 1]), TypeError, "Ws0 must be a sequence"),
        (lambda: deep.gradient_flow(GOOD_Y, [np.array([["a"]])], [0, 1]), TypeError, r"Ws0\[0\]"),
        (lambda: deep.gradient_flow(GOOD_Y, np.ones((2, 3)), [0, 1]), ValueError, "Ws0 must be a sequence"),
        (lambda: deep.gradient_flow("Y", GOOD_WS, [0, 1]), TypeError, "Y"),
        (lambda: deep.conserved_quantities([np.ones((2, 2)), np.ones((2, 3))]), ValueError, r"Ws\[1\] \(W_2\) has 3 columns"),
        (lambda: deep.scalar_flow(1.0, [], [0, 1]), ValueError, "w0 must be a non-empty 1-D array"),
        (lambda: deep.scalar_flow(1.0, [[1.0]], [0, 1]), ValueError, "w0 must be a non-empty 1-D array"),
        (lambda: deep.scalar_flow(np.inf, [1.0], [0, 1]), ValueError, "y must be finite"),
        (lambda: deep.rate_factor(0.5, [[0.1]]), ValueError, "d must be a 1-D array"),
        (lambda: deep.induced_flow(1.0, 0.1, [0.0], [0, -1]), ValueError, "t must be >= 0"),
        (lambda: deep.hitting_time(1.0, 0.1, 1.5, [0.0]), ValueError, "x1 = 1.5 must lie between"),
        (lambda: deep.hitting_time(1.0, -0.1, 0.5, [0.0]), ValueError, "rho_d\\(0\\) = 0"),
        (lambda: deep.homogeneous_init([0.1, 0.2], [-0.5], np.random.default_rng(0)), ValueError, "d is infeasible"),
        (lambda: deep.homogeneous_init([0.1], [0.5], 0), TypeError, "rng"),
        (lambda: deep.homogeneous_init([-0.1], [0.5], np.random.default_rng(0)), ValueError, "s1 must be >= 0"),
        (lambda: deep.homogeneous_imbalance([np.eye(2), np.diag([1.0, 2.0])]), ValueError, "D_1 .* is not a multiple of the identity"),
        (lambda: deep.homogeneous_rate_bound(GOOD_Y, GOOD_WS), ValueError, r"Ws0\[0\] \(W_1\) has shape \(4, 3\): this bound is proved for square layers"),
        (lambda: deep.imbalance_rate_bound([np.ones((2, 2)), np.ones((3, 2))]), ValueError, r"Ws0\[1\] \(W_2\) has shape \(3, 2\): this bound is proved for square layers"),
        (lambda: deep.imbalance_lower_bounds([np.ones((2, 2)), np.ones((3, 2))]), ValueError, r"Ws\[1\] \(W_2\) has shape"),
        (lambda: deep.loss_bound(np.eye(2), [np.eye(2)] * 2, [0, 1], bound="other"), ValueError, "bound must be one of"),
        (lambda: deep.margin(GOOD_Y, np.ones((3, 3))), ValueError, "W0 has 3 rows"),
        (lambda: deep.conservation_drift("run"), TypeError, "run must be a DeepTrajectory"),
    ],
)
def test_bad_input_raises_naming_the_argument(call, error, message):
    with pytest.raises(error, match=message):
        call()
