"""Tests of chapter 8 (gradient descent): overparam.gd.

- the width-free iteration equals plain gradient descent on (U, V), written out here;
- gradient descent at t = j * eta converges to overparam.flow.gradient_flow with order 1;
- the imbalance moves by exactly eta^2 (V^T G^T G V - U^T G G^T U) per step
  (prop-gd-imbalance-step), and by at most 2 eta (l_0 - l_J) in total (prop-gd-drift);
- the loss along the gradient is the quartic of loss_along_gradient (eq-gd-quartic),
  bounded by the one-step lemma (lem-gd-one-step);
- the upper Gram bound ||U||_2^2 <= (lbar_+ + sqrt(lbar_+^2 + 4 sigma_1(W)^2)) / 2 (lem-gd-gram);
- the linear-rate theorem (thm-gd-linear-rate) on random instances, for the fixed step
  and the adaptive step: per-step factors, a-priori loss bounds, drift budget, and the
  a-priori alpha, beta against the local ones along the run;
- bad inputs raise ValueError naming the argument (TypeError for wrong types).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from overparam import gd
from overparam.bounds import imbalance_terms
from overparam.flow import gradient_flow, imbalance


def plain_gd(Y, U0, V0, eta, n_steps, X=None):
    """Gradient descent on (U, V) exactly as written in the book, one step at a time."""
    U, V = np.array(U0, float), np.array(V0, float)
    Xm = np.eye(U.shape[0]) if X is None else X
    out = [(U, V)]
    for _ in range(n_steps):
        G = Xm.T @ (Y - Xm @ U @ V.T)
        U, V = U + eta * G @ V, V + eta * G.T @ U
        out.append((U, V))
    return out


def safe_step(Y, U0, V0, X, c=0.05):
    """A step well inside the descent regime: c / (beta_0 + s ||Y||_F + 1)."""
    s = 1.0 if X is None else np.linalg.norm(X, 2)
    beta0 = s**2 * (np.linalg.norm(U0, 2) ** 2 + np.linalg.norm(V0, 2) ** 2)
    return c / (beta0 + s * np.linalg.norm(Y) + 1.0)


@st.composite
def problems(draw, regression: bool, wide: bool = False):
    m = draw(st.integers(1, 4))
    n = draw(st.integers(1, 4))
    k = draw(st.integers(m + n + 1, m + n + 6)) if wide else draw(st.integers(max(m, n), 6))
    N = m + draw(st.integers(0, 3)) if regression else None
    scale = draw(st.sampled_from([0.3, 1.0, 2.0]))
    tilt = draw(st.sampled_from([0.3, 1.0, 3.0]))  # U0 / V0 scale ratio: imbalance
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((N, m)) / np.sqrt(m) + (np.eye(N, m) if regression else 0) if regression else None
    Y = rng.standard_normal((N if regression else m, n))
    U0 = scale * tilt * rng.standard_normal((m, k)) / np.sqrt(k)
    V0 = scale / tilt * rng.standard_normal((n, k)) / np.sqrt(k)
    return Y, U0, V0, X


# ----------------------------------------------------------------------------------
# the iteration itself


@pytest.mark.parametrize("wide", [False, True], ids=["k<=m+n", "k>m+n"])
@pytest.mark.parametrize("regression", [False, True], ids=["factorization", "regression"])
@given(data=st.data())
@settings(max_examples=10)
def test_width_free_iteration_is_plain_gradient_descent(regression, wide, data):
    Y, U0, V0, X = data.draw(problems(regression, wide))
    eta = safe_step(Y, U0, V0, X)
    run = gd.gradient_descent(Y, U0, V0, eta, 30, X=X, record_every=10)
    ref = plain_gd(Y, U0, V0, eta, 30, X)
    scale = 1.0 + max(np.abs(U).max() + np.abs(V).max() for U, V in ref)
    for i, j in enumerate(run.steps):
        U, V = ref[j]
        assert np.allclose(run.U[i], U, atol=1e-12 * scale)
        assert np.allclose(run.V[i], V, atol=1e-12 * scale)
        assert np.allclose(run.W[i], U @ V.T, atol=1e-12 * scale**2)
        assert np.allclose(run.P[i], U @ U.T, atol=1e-12 * scale**2)
        assert np.allclose(run.Lambda[i], imbalance(U, V), atol=1e-12 * scale**2)
    assert np.array_equal(run.steps, [0, 10, 20, 30]) and np.allclose(run.t, eta * run.steps)
    assert run.step.shape == (30,) and not run.diverged


def test_gradient_descent_converges_to_the_flow_at_order_one():
    """max_{j eta <= T} ||W_j - W(j eta)||_F ~ C eta: the measured order is within [0.9, 1.1]."""
    rng = np.random.default_rng(8)
    m, n, k = 4, 3, 6
    Y = rng.standard_normal((m, n))
    U0 = 0.5 * rng.standard_normal((m, k))
    V0 = 0.5 * rng.standard_normal((n, k))
    T = 2.0
    etas = np.array([0.02, 0.01, 0.005, 0.0025])
    errors = []
    for eta in etas:
        run = gd.gradient_descent(Y, U0, V0, eta, int(round(T / eta)), store_factors=False)
        flow = gradient_flow(Y, U0, V0, run.t, rtol=1e-12, atol=1e-14)
        errors.append(np.max(np.linalg.norm(run.W - flow.W, axis=(1, 2))))
    order = np.polyfit(np.log(etas), np.log(errors), 1)[0]
    assert 0.9 <= order <= 1.1, order


def test_regression_descent_converges_to_the_flow():
    rng = np.random.default_rng(9)
    N, m, n, k = 5, 3, 2, 4
    X = rng.standard_normal((N, m)) / np.sqrt(N)
    Y = rng.standard_normal((N, n))
    U0, V0 = 0.5 * rng.standard_normal((m, k)), 0.5 * rng.standard_normal((n, k))
    errs = []
    for eta in (0.01, 0.005):
        run = gd.gradient_descent(Y, U0, V0, eta, int(round(1.0 / eta)), X=X, store_factors=False)
        flow = gradient_flow(Y, U0, V0, run.t, X=X, rtol=1e-12, atol=1e-14)
        errs.append(np.max(np.abs(run.W - flow.W)))
    assert 1.8 < errs[0] / errs[1] < 2.2


# ----------------------------------------------------------------------------------
# the imbalance


@pytest.mark.parametrize("regression", [False, True], ids=["factorization", "regression"])
@given(data=st.data())
def test_imbalance_moves_by_the_eta_squared_formula(regression, data):
    Y, U0, V0, X = data.draw(problems(regression))
    eta = data.draw(st.sampled_from([0.01, 0.1, 0.3]))
    (U, V), (U1, V1) = plain_gd(Y, U0, V0, eta, 1, X)
    change = imbalance(U1, V1) - imbalance(U, V)
    predicted = gd.imbalance_increment(Y, U, V, eta, X=X)
    scale = 1.0 + np.linalg.norm(U1) ** 2 + np.linalg.norm(V1) ** 2
    assert np.allclose(change, predicted, atol=1e-13 * scale)
    # halving the step divides the one-step change by four, exactly
    assert np.allclose(gd.imbalance_increment(Y, U, V, eta / 2, X=X), predicted / 4, rtol=1e-12, atol=1e-300)


def test_imbalance_change_along_a_run_is_the_sum_of_the_increments():
    rng = np.random.default_rng(3)
    Y = rng.standard_normal((3, 2))
    U0, V0 = rng.standard_normal((3, 4)), 0.3 * rng.standard_normal((2, 4))
    eta = 0.05
    run = gd.gradient_descent(Y, U0, V0, eta, 40)
    total = sum(gd.imbalance_increment(Y, run.U[j], run.V[j], eta) for j in range(40))
    assert np.allclose(run.Lambda[-1] - run.Lambda[0], total, atol=1e-12)
    assert np.isclose(run.drift[-1], np.linalg.norm(total, 2), rtol=1e-9)


@pytest.mark.parametrize("regression", [False, True], ids=["factorization", "regression"])
@given(data=st.data())
def test_total_drift_is_at_most_two_eta_times_the_loss_decrease(regression, data):
    """If every step has phi >= 1/2, ||Lambda_J - Lambda_0||_2 <= 2 eta (l_0 - l_J) for all J."""
    Y, U0, V0, X = data.draw(problems(regression, wide=data.draw(st.booleans())))
    eta = safe_step(Y, U0, V0, X)
    run = gd.gradient_descent(Y, U0, V0, eta, 300, X=X, store_factors=False)
    # the hypothesis, checked along the run with the local constants
    s_norm = 1.0 if X is None else np.linalg.norm(X, 2)
    for P, Q, loss in zip(run.P, run.Q, run.loss):
        beta = s_norm**2 * (np.linalg.eigvalsh(P)[-1] + np.linalg.eigvalsh(Q)[-1])
        assert gd.descent_factor(eta, beta, loss, s=s_norm) >= 0.5
    bound = 2 * eta * (run.loss[0] - run.loss)
    assert np.all(run.drift <= bound * (1 + 1e-9) + 1e-13)


# ----------------------------------------------------------------------------------
# one step


@pytest.mark.parametrize("regression", [False, True], ids=["factorization", "regression"])
@given(data=st.data())
def test_quartic_and_one_step_bound(regression, data):
    Y, U, V, X = data.draw(problems(regression))
    c = gd.loss_along_gradient(Y, U, V, X=X)
    lc = gd.local_constants(Y, U, V, X=X)
    s = 1.0 if X is None else np.linalg.norm(X, 2)
    assert np.isclose(c[0], lc.loss) and np.isclose(-c[1], lc.grad_sq)
    for eta in (0.01, 0.1, 0.5, 1.0, 2.0):
        (_, _), (U1, V1) = plain_gd(Y, U, V, eta, 1, X)
        R = Y - (U1 @ V1.T if X is None else X @ U1 @ V1.T)
        actual = 0.5 * np.sum(R * R)
        assert np.isclose(np.polynomial.polynomial.polyval(eta, c), actual, rtol=1e-9, atol=1e-12)
        phi = gd.descent_factor(eta, lc.beta, lc.loss, s=s)
        bound = lc.loss - eta * phi * lc.grad_sq
        assert actual <= bound + 1e-9 * (1 + abs(bound) + lc.loss)


@given(data=st.data())
def test_line_search_and_bound_step(data):
    Y, U, V, X = data.draw(problems(data.draw(st.booleans())))
    c = gd.loss_along_gradient(Y, U, V, X=X)
    eta_ls = gd.line_search_step(Y, U, V, X=X)
    grid = np.linspace(0, 4 * max(eta_ls, 1e-3), 401)
    values = np.polynomial.polynomial.polyval(grid, c)
    assert np.polynomial.polynomial.polyval(eta_ls, c) <= values.min() + 1e-10 * (1 + abs(values.min()))
    lc = gd.local_constants(Y, U, V, X=X)
    s = 1.0 if X is None else np.linalg.norm(X, 2)
    eta_b = gd.bound_step(lc.beta, lc.loss, s=s)
    phi_b = gd.descent_factor(eta_b, lc.beta, lc.loss, s=s)
    assert phi_b >= 0.5 - 1e-12 and eta_b * lc.beta <= 1 + 1e-12
    others = np.linspace(0, 2 * eta_b, 201)
    products = [e * gd.descent_factor(e, lc.beta, lc.loss, s=s) for e in others]
    assert eta_b * phi_b >= max(products) - 1e-12 * eta_b
    assert np.isclose(gd.bound_step(lc.beta, 0.0, s=s), 1 / lc.beta)


def test_scalar_lemma_function_matches_bounds_module():
    from overparam.bounds import ImbalanceTerms, gram_lower_bounds

    rng = np.random.default_rng(5)
    for _ in range(200):
        a, b, c, d, s1, s2 = np.exp(rng.normal(0, 2, size=6)) * (rng.random(6) > 0.2)
        bu, bv = gram_lower_bounds(ImbalanceTerms(a, b, c, d), s1, s2)
        assert np.isclose(gd._h(b, c, s1), bu, rtol=1e-12, atol=1e-300)
        assert np.isclose(gd._h(a, d, s2), bv, rtol=1e-12, atol=1e-300)


def test_upper_gram_bound():
    """||U||_2^2 <= p(lbar_+, sigma_1(W)) and ||V||_2^2 <= p(lbar_-, sigma_1(W)) at any point."""
    rng = np.random.default_rng(0)
    p = lambda a, s: 0.5 * (a + np.sqrt(a * a + 4 * s * s))  # noqa: E731
    for _ in range(500):
        m, n, k = rng.integers(1, 5, size=3)
        U = np.exp(rng.normal()) * rng.standard_normal((m, k))
        V = np.exp(rng.normal()) * rng.standard_normal((n, k))
        t = imbalance_terms(U, V)
        s1 = np.linalg.norm(U @ V.T, 2)
        scale = 1 + np.linalg.norm(U) ** 2 + np.linalg.norm(V) ** 2
        assert np.linalg.norm(U, 2) ** 2 <= p(t.lbar_plus, s1) + 1e-12 * scale
        assert np.linalg.norm(V, 2) ** 2 <= p(t.lbar_minus, s1) + 1e-12 * scale


# ----------------------------------------------------------------------------------
# the linear rate


@pytest.mark.parametrize("rule", ["fixed", "adaptive"])
@pytest.mark.parametrize("regression", [False, True], ids=["factorization", "regression"])
@given(data=st.data())
def test_linear_rate_theorem_on_random_instances(regression, rule, data):
    Y, U0, V0, X = data.draw(problems(regression, wide=data.draw(st.booleans())))
    n_steps = 150
    if rule == "fixed":
        eta = gd.rate_constants(Y, U0, V0, X=X).max_step
        const = gd.rate_constants(Y, U0, V0, X=X, step=eta)
        run = gd.gradient_descent(Y, U0, V0, eta, n_steps, X=X)
    else:
        const = gd.rate_constants(Y, U0, V0, X=X)
        run = gd.adaptive_gradient_descent(Y, U0, V0, n_steps, X=X, rule="loss")
        assert np.allclose(run.step, [const.step_at(min(l, const.loss0)) for l in run.loss[:-1]])
    tol = 1e-10 * const.loss0 + 1e-13
    excess = run.loss - const.loss_star
    # each step contracts by the guaranteed factor, and by at most 1 - eta alpha0
    for j in range(n_steps):
        f = const.factor(min(run.loss[j], const.loss0))
        assert excess[j + 1] <= f * excess[j] + tol
        assert f <= 1 - run.step[j] * const.alpha0 + 1e-12
    # the a-priori loss bound and the drift budget
    assert np.all(run.loss <= const.loss_bound(n_steps) + tol)
    assert np.all(run.drift <= const.drift_budget * (1 + 1e-9) + 1e-13)
    # the a-priori constants bound the local ones along the run
    for j in range(0, n_steps + 1, 25):
        local = gd.local_constants(Y, run.U[j], run.V[j], X=X)
        level = min(run.loss[j], const.loss0)
        assert local.alpha >= const.alpha(level) - 1e-9 * (1 + local.alpha)
        assert local.beta <= const.beta(level) * (1 + 1e-9) + 1e-12


def test_adaptive_step_grows_as_the_loss_falls_and_beats_the_fixed_step():
    rng = np.random.default_rng(4)
    Y = rng.standard_normal((5, 4))
    U0 = 2.0 * rng.standard_normal((5, 50)) / np.sqrt(50)
    V0 = 0.5 * rng.standard_normal((4, 50)) / np.sqrt(50)
    const = gd.rate_constants(Y, U0, V0)
    assert const.alpha0 > 0
    levels = const.loss0 * np.logspace(0, -12, 25)
    steps = [const.step_at(level) for level in levels]
    factors = [const.factor(level) for level in levels]
    assert np.all(np.diff(steps) >= 0) and np.all(np.diff(factors) <= 1e-15)
    fixed = gd.gradient_descent(Y, U0, V0, const.max_step, 100, store_factors=False)
    adaptive = gd.adaptive_gradient_descent(Y, U0, V0, 100, rule="loss", store_factors=False)
    line = gd.adaptive_gradient_descent(Y, U0, V0, 100, rule="line_search", store_factors=False)
    local = gd.adaptive_gradient_descent(Y, U0, V0, 100, rule="local", store_factors=False)
    assert adaptive.loss[-1] < fixed.loss[-1]
    assert np.all(np.diff(line.loss) <= 1e-12) and np.all(np.diff(local.loss) <= 1e-12)


def test_large_step_diverges_and_is_flagged():
    run = gd.gradient_descent([[1.0]], [[2.0]], [[0.1]], 1.5, 1000)
    assert run.diverged and run.step.size < 1000 and np.isfinite(run.loss).all()
    small = gd.gradient_descent([[1.0]], [[2.0]], [[0.1]], 0.1, 1000)
    assert not small.diverged and small.loss[-1] < 1e-20


def test_rate_constants_of_matrix_factorization_match_the_definitions():
    rng = np.random.default_rng(1)
    Y = rng.standard_normal((3, 2))
    U0, V0 = rng.standard_normal((3, 5)), 0.2 * rng.standard_normal((2, 5))
    const = gd.rate_constants(Y, U0, V0, step=0.01)
    t = imbalance_terms(U0, V0)
    assert np.allclose(const.terms, t)
    assert const.s == 1.0 and const.sigma_x == 1.0 and const.loss_star == 0.0
    assert np.isclose(const.drift_budget, 2 * 0.01 * const.loss0)
    assert np.allclose(const.theta_sv, np.linalg.svd(Y, compute_uv=False))


# ----------------------------------------------------------------------------------
# input checks


def test_bad_inputs_raise_errors_naming_the_argument():
    Y, U0, V0 = np.ones((3, 2)), np.ones((3, 4)), np.ones((2, 4))
    with pytest.raises(ValueError, match="step"):
        gd.gradient_descent(Y, U0, V0, 0.0, 10)
    with pytest.raises(ValueError, match="step"):
        gd.gradient_descent(Y, U0, V0, -1.0, 10)
    with pytest.raises(ValueError, match="n_steps"):
        gd.gradient_descent(Y, U0, V0, 0.1, -1)
    with pytest.raises(TypeError, match="n_steps"):
        gd.gradient_descent(Y, U0, V0, 0.1, 2.5)
    with pytest.raises(ValueError, match="record_every"):
        gd.gradient_descent(Y, U0, V0, 0.1, 10, record_every=0)
    with pytest.raises(TypeError, match="store_factors"):
        gd.gradient_descent(Y, U0, V0, 0.1, 10, store_factors="yes")
    with pytest.raises(ValueError, match="U0"):
        gd.gradient_descent(Y, np.ones((4, 4)), V0, 0.1, 10)
    with pytest.raises(ValueError, match="V0"):
        gd.gradient_descent(Y, U0, np.ones((2, 5)), 0.1, 10)
    with pytest.raises(ValueError, match="X"):
        gd.gradient_descent(Y, U0, V0, 0.1, 10, X=np.ones((4, 3)))
    with pytest.raises(ValueError, match="Y"):
        gd.gradient_descent(np.array([[np.nan, 1.0]]), np.ones((1, 2)), np.ones((2, 2)), 0.1, 1)
    with pytest.raises(TypeError, match="step"):
        gd.gradient_descent(Y, U0, V0, "0.1", 10)
    with pytest.raises(ValueError, match="rule"):
        gd.adaptive_gradient_descent(Y, U0, V0, 10, rule="armijo")
    with pytest.raises(ValueError, match="U"):
        gd.imbalance_increment(Y, np.ones((2, 4)), V0, 0.1)
    with pytest.raises(ValueError, match="step"):
        gd.imbalance_increment(Y, U0, V0, 0.0)
    with pytest.raises(ValueError, match="beta"):
        gd.bound_step(0.0, 1.0)
    with pytest.raises(ValueError, match="loss"):
        gd.descent_factor(0.1, 1.0, -1.0)
    with pytest.raises(ValueError, match="X"):
        gd.rate_constants(np.ones((3, 2)), np.ones((2, 4)), V0, X=np.ones((3, 2)))  # rank 1 < m = 2
    const = gd.rate_constants(Y, U0, V0)
    with pytest.raises(ValueError, match="step"):
        gd.rate_constants(Y, U0, V0, step=10 * const.max_step)
    with pytest.raises(ValueError, match="loss"):
        const.alpha(2 * const.loss0 + 1)
    with pytest.raises(ValueError, match="n_steps"):
        const.loss_bound(-1)
