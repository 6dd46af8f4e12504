"""Tests of overparam.gd.runs: gradient descent with a fixed or an adaptive step.

- the width-free iteration equals the literal loop on (U, V) (reference.plain_gd), for steps
  up to the largest the step-size condition allows, and for the steps an adaptive run chose;
- gradient descent at t = j * eta converges to the flow with order 1 (conftest's independent
  LSODA solve);
- the imbalance moves by the sum of the increments, by at most 2 eta (l_0 - l_j) in total
  (prop-gd-drift) and within the drift budget;
- the linear-rate theorem (thm-gd-linear-rate) on random instances, for the fixed step and the
  adaptive step: per-step factors, a-priori loss bounds, and the a-priori alpha, beta against
  the local ones along the run;
- a too large step is flagged and stays finite; a huge line-search step is taken accurately
  (50-digit mpmath).
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
from hypothesis import event, example, given, settings
from hypothesis import strategies as st

import edges
from conftest import reference_flow
from overparam import gd
from overparam.gd.runs import RULES

from .reference import (
    EPS,
    LD,
    SHAPE_MISMATCHES,
    U_,
    V_,
    X_,
    Y_,
    YF,
    local_beta,
    log10s,
    moderate_problems,
    plain_gd,
    problems,
    s_of,
    step_amplification,
)

CALLS = {
    "gd.gradient_descent": edges.call(
        gd.gradient_descent, Y_, U_, V_, 0.01, 4, X=X_, record_every=2, store_factors=True
    ),
    "gd.adaptive_gradient_descent": edges.call(
        gd.adaptive_gradient_descent, Y_, U_, V_, 3, X=X_, rule="loss", record_every=2, store_factors=True
    ),
}

# ----------------------------------------------------------------------------------
# bad input the mechanical mutations do not reach

START_FUNCTIONS = {
    "gradient_descent": lambda Y, U, V, X=None: gd.gradient_descent(Y, U, V, 0.01, 2, X=X),
    "adaptive_gradient_descent": lambda Y, U, V, X=None: gd.adaptive_gradient_descent(Y, U, V, 2, X=X),
}


@pytest.mark.parametrize("function", sorted(START_FUNCTIONS))
@pytest.mark.parametrize("label, Y, U, V, X, named", SHAPE_MISMATCHES, ids=[c[0] for c in SHAPE_MISMATCHES])
def test_shapes_that_do_not_fit_are_refused_naming_the_start(function, label, Y, U, V, X, named):
    edges.rejects(lambda: START_FUNCTIONS[function](Y, U, V, X), ("Y", "U0", "V0", "X")[named])


BAD_COUNTS = [
    ("negative-number-of-steps", dict(n=-1), "n_steps", ValueError),
    ("numpy-negative-number-of-steps", dict(n=np.int64(-3)), "n_steps", ValueError),
    ("numpy-float-number-of-steps", dict(n=np.float64(3.0)), "n_steps", TypeError),
    ("record-every-zero", dict(r=0), "record_every", ValueError),
    ("record-every-negative", dict(r=-2), "record_every", ValueError),
    ("record-every-array", dict(r=np.array([1, 2])), "record_every", TypeError),
]


@pytest.mark.parametrize("fixed", [True, False], ids=["fixed", "adaptive"])
@pytest.mark.parametrize("label, kw, argument, error", BAD_COUNTS, ids=[b[0] for b in BAD_COUNTS])
def test_bad_counts_are_refused(fixed, label, kw, argument, error):
    n, r = kw.get("n", 2), kw.get("r", 1)
    if fixed:
        edges.rejects(lambda: gd.gradient_descent(YF, U_, V_, 0.01, n, record_every=r), argument, error)
    else:
        edges.rejects(lambda: gd.adaptive_gradient_descent(YF, U_, V_, n, record_every=r), argument, error)


def test_bad_steps_flags_and_rules_are_refused():
    edges.rejects(lambda: gd.gradient_descent(YF, U_, V_, 0.0, 2), "step")
    edges.rejects(lambda: gd.gradient_descent(YF, U_, V_, -0.01, 2), "step")
    bad_flag = np.int64(1)
    edges.rejects(lambda: gd.gradient_descent(YF, U_, V_, 0.01, 2, store_factors=bad_flag), "store_factors", TypeError)
    edges.rejects(lambda: gd.adaptive_gradient_descent(YF, U_, V_, 2, rule="Loss"), "rule")


# ----------------------------------------------------------------------------------
# the iteration against the flow


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
        W_ref = reference_flow(Y, U0, V0, run.t)[2]
        errors.append(np.max(np.linalg.norm(run.W - W_ref, axis=(1, 2))))
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
        W_ref = reference_flow(Y, U0, V0, run.t, X=X)[2]
        errs.append(np.max(np.abs(run.W - W_ref)))
    assert 1.8 < errs[0] / errs[1] < 2.2


# ----------------------------------------------------------------------------------
# the imbalance and the linear rate


def test_imbalance_change_along_a_run_is_the_sum_of_the_increments():
    rng = np.random.default_rng(3)
    Y = rng.standard_normal((3, 2))
    U0, V0 = rng.standard_normal((3, 4)), 0.3 * rng.standard_normal((2, 4))
    eta = 0.05
    run = gd.gradient_descent(Y, U0, V0, eta, 40)
    total = sum(gd.imbalance_increment(Y, run.U[j], run.V[j], eta) for j in range(40))
    assert np.allclose(run.Lambda[-1] - run.Lambda[0], total, atol=1e-12)
    assert np.isclose(run.drift[-1], np.linalg.norm(total, 2), rtol=1e-9)


@pytest.mark.parametrize("rule", ["fixed", "adaptive"])
@pytest.mark.parametrize("regression", [False, True], ids=["factorization", "regression"])
@given(data=st.data())
def test_linear_rate_theorem_on_random_instances(regression, rule, data):
    Y, U0, V0, X = data.draw(moderate_problems(regression, wide=data.draw(st.booleans())))
    n_steps = 150
    if rule == "fixed":
        eta = gd.rate_constants(Y, U0, V0, X=X).max_step
        const = gd.rate_constants(Y, U0, V0, X=X, step=eta)
        run = gd.gradient_descent(Y, U0, V0, eta, n_steps, X=X)
    else:
        const = gd.rate_constants(Y, U0, V0, X=X)
        run = gd.adaptive_gradient_descent(Y, U0, V0, n_steps, X=X, rule="loss")
        assert np.allclose(run.step, [const.step_at(min(loss, const.loss0)) for loss in run.loss[:-1]])
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


# ----------------------------------------------------------------------------------
# the runs at the extremes: scales 1e-6 .. 1e4, widths up to 200, steps up to max_step


@given(problem=problems(), frac=st.one_of(st.just(1.0), log10s(-6, 0)), n_steps=st.integers(0, 40),
       record_every=st.integers(1, 50))
def test_gradient_descent_is_the_plain_loop_and_descends_under_the_step_condition(problem, frac, n_steps, record_every):
    """Steps from 1e-6 max_step up to max_step itself (the largest the theorem allows)."""
    Y, U0, V0, X = problem
    const = gd.rate_constants(Y, U0, V0, X=X)
    eta = frac * const.max_step
    assert eta > 0 and math.isfinite(eta), f"max_step = {const.max_step} is not a positive finite step"
    run = gd.gradient_descent(Y, U0, V0, eta, n_steps, X=X, record_every=record_every)
    assert edges.all_finite(run) and not run.diverged
    expected_steps = sorted(set(range(0, n_steps + 1, record_every)) | {n_steps})
    assert run.steps.tolist() == expected_steps
    assert np.array_equal(run.t, run.steps * eta) and run.step.shape == (n_steps,)
    ref = plain_gd(Y, U0, V0, [eta] * n_steps, X)
    # the two iterations are the same arithmetic up to the order of the sums: after at
    # most 40 contracting steps they agree to ~ n_steps * k * eps relative to the scale
    # of the iterates; 1e-9 leaves a margin of > 10 over 40 * 200 * 2.2e-16.
    scale_u = max(np.linalg.norm(U) + np.linalg.norm(V) for U, V in ref)
    for i, j in enumerate(run.steps):
        U, V = ref[j]
        assert np.allclose(run.U[i], U, rtol=0, atol=1e-9 * scale_u)
        assert np.allclose(run.V[i], V, rtol=0, atol=1e-9 * scale_u)
        assert np.allclose(run.W[i], U @ V.T, rtol=0, atol=1e-9 * scale_u**2)
        assert np.allclose(run.P[i], U @ U.T, rtol=0, atol=1e-9 * scale_u**2)
        assert np.allclose(run.Lambda[i], U.T @ U - V.T @ V, rtol=0, atol=1e-9 * scale_u**2)
    # the step-size condition gives phi >= 1/2 at every step: the loss never increases
    # (up to the rounding of the residual, ~1e-14 of ||Y|| + ||X W|| times ||E||)
    # each loss carries the rounding of its residual, ~ dims * eps * (||Y|| + s^2 scale^2)
    # (the width-free factor is exact to ~ eps (||U||^2 + ||V||^2), not eps ||U|| ||V||),
    # times ||E_j|| <= sqrt(2 l_0); 1e-12 is > 10 x dims * eps for dims <= 200
    tol = 1e-12 * (run.loss[0] + math.sqrt(2 * run.loss[0]) * (np.linalg.norm(Y) + scale_u**2 * s_of(X) ** 2))
    assert np.all(np.diff(run.loss) <= tol)
    # prop-gd-drift: ||Lambda_j - Lambda_0||_2 <= 2 eta (l_0 - l_j), and the budget
    assert np.all(run.drift <= 2 * eta * (run.loss[0] - run.loss) + 2 * eta * tol + 1e-12 * scale_u**2)
    fixed = gd.rate_constants(Y, U0, V0, X=X, step=eta)
    assert np.all(run.drift <= fixed.drift_budget * (1 + 1e-9) + 1e-12 * scale_u**2)
    assert np.all(run.loss <= fixed.loss_bound(n_steps)[run.steps] + tol)


@pytest.mark.sweep
@settings(max_examples=edges.examples(15))
@given(
    problem=problems(),
    t_end=st.one_of(st.just(0.0), st.just(1e6), st.floats(0.0, 1e6)),
    n_steps=st.integers(1, 200),
)
def test_long_times_up_to_one_million(problem, t_end, n_steps):
    """t = j eta from 0 to 1e6 exactly: with eta = t_end / n_steps when the step-size condition allows it."""
    Y, U0, V0, X = problem
    # small problems (scales 1e-6 .. 1e-2) allow steps of order 1e4 and more; shrink the start if needed
    shrink = min(1.0, 1e-2 / max(np.linalg.norm(U0, 2), np.linalg.norm(V0, 2), math.sqrt(np.linalg.norm(Y)), 1e-300))
    Y, U0, V0 = Y * shrink**2, U0 * shrink, V0 * shrink
    const = gd.rate_constants(Y, U0, V0, X=X)
    reaches = 1e-300 <= t_end / n_steps <= const.max_step  # (t_end = 0, or subnormal steps: run at max_step)
    eta = t_end / n_steps if reaches else const.max_step
    run = gd.gradient_descent(Y, U0, V0, eta, n_steps, X=X, record_every=max(1, n_steps // 4), store_factors=False)
    assert edges.all_finite(run) and not run.diverged
    assert run.t[-1] == n_steps * eta and run.t[0] == 0.0
    if reaches:
        assert math.isclose(run.t[-1], t_end, rel_tol=4 * EPS)
    fixed = gd.rate_constants(Y, U0, V0, X=X, step=eta)
    scale_u = np.linalg.norm(U0) + np.linalg.norm(V0)
    # rounding of each loss, as in the test above
    tol = 1e-12 * (run.loss[0] + math.sqrt(2 * run.loss[0]) * (np.linalg.norm(Y) + scale_u**2 * s_of(X) ** 2))
    assert np.all(np.diff(run.loss) <= tol)
    assert np.all(run.loss <= fixed.loss_bound(n_steps)[run.steps] + tol)


@settings(max_examples=edges.examples(100))
@given(problem=problems(wide=False), factor=log10s(0.5, 8), n_steps=st.integers(1, 300))
def test_a_too_large_step_is_flagged_and_stays_finite(problem, factor, n_steps):
    """Steps from 3x to 1e8x the local 2 / beta: a divergent run stops, flagged, with finite records."""
    Y, U0, V0, X = problem
    beta = local_beta(X, U0, V0) + s_of(X) ** 2 * np.linalg.norm(Y)
    eta = factor * 2.0 / beta
    run = gd.gradient_descent(Y, U0, V0, eta, n_steps, X=X, record_every=7, store_factors=False)
    assert edges.all_finite(run)
    event(f"diverged: {run.diverged}")
    if run.diverged:
        # stopped at the first iterate with loss > 1e100 (recorded if finite): every
        # earlier record is below the threshold, and no step was taken after it
        assert run.step.size <= n_steps and run.steps[-1] <= run.step.size
        assert np.all(run.loss[:-1] <= 1e100)
        assert run.loss[-1] > 1e100 or run.steps[-1] < run.step.size
    else:
        assert np.all(run.loss <= 1e100)
        assert run.steps[-1] == n_steps and run.step.size == n_steps


def _amplifying_problem():
    """Like the thorough profile's find: V0 nearly a multiple of U0, W0 ~ -3e4, Y ~ 0.1. The first
    line-search step brings W to ~1e-8 (a cancellation of |U| |V| ~ 1e3), the second is ~1e4
    long and grows rounding by step_amplification ~ 4e8: run and loop differ by 3e-8 |U| |V|."""
    rng = np.random.default_rng(289)
    U0 = 27 * rng.standard_normal((1, 50))
    V0 = np.outer(rng.standard_normal(2), U0[0])
    V0 += 10 ** rng.uniform(-3, 0) * rng.standard_normal((2, 50))
    return 0.13 * rng.standard_normal((1, 2)), U0, V0, None


def _balanced_rank_one_problem():
    """Like the thorough profile's second find: m = 1, n = 2, k = 50, a balanced start (so
    [U0; V0] has rank one), X of shape 1 x 1. The second line-search step grows perturbations
    ~1e5-fold. The width-free run started from a factor of the Gram matrix, whose rows had
    components of sqrt(eps) |Z0| outside the row space of [U0; V0], and missed the loop by 12
    times the tolerance below; with the QR factor (overparam._numerics.narrow_factor) the gap
    is 2e-7 of that tolerance."""
    rng = np.random.default_rng(70)
    C = 3.08 * rng.standard_normal((1, 50)) / np.sqrt(50)
    U0 = np.sign(rng.standard_normal()) * C
    B = rng.standard_normal((2, 1))
    V0 = (B / np.linalg.norm(B)) @ C
    X = rng.uniform(0.5, 1.5) * np.ones((1, 1))
    return 10 ** rng.uniform(-4, 0) * rng.standard_normal((1, 2)), U0, V0, X


@settings(max_examples=edges.examples(60))
@given(problem=problems(), rule=st.sampled_from(RULES), n_steps=st.integers(0, 25), record_every=st.integers(1, 30))
@example(problem=_amplifying_problem(), rule="line_search", n_steps=2, record_every=1)
@example(problem=_balanced_rank_one_problem(), rule="line_search", n_steps=2, record_every=1)
def test_adaptive_runs_descend_and_are_the_plain_loop_with_their_steps(problem, rule, n_steps, record_every):
    Y, U0, V0, X = problem
    run = gd.adaptive_gradient_descent(Y, U0, V0, n_steps, X=X, rule=rule, record_every=record_every)
    event(f"rule: {rule}")
    assert edges.all_finite(run) and not run.diverged
    assert run.steps.tolist() == sorted(set(range(0, n_steps + 1, record_every)) | {n_steps})
    assert run.step.shape == (n_steps,) and np.all(run.step >= 0)
    assert np.allclose(run.t, np.concatenate([[0.0], np.cumsum(run.step)])[run.steps], rtol=1e-12, atol=0)
    ref = plain_gd(Y, U0, V0, run.step, X)
    scale_u = max(np.linalg.norm(U) + np.linalg.norm(V) for U, V in ref)
    # the two computations differ by rounding (the order of sums differs): 1e-9 of |U| |V| as for
    # the fixed step, plus what the steps make of it. Each step rounds W to ~ (k + m + n) eps
    # relative and each later step grows that by at most step_amplification, which a huge
    # line-search step makes 1e8-fold (drawn by the thorough profile: a step of 2e4 at
    # |U| |V| ~ 4e4 just after W fell to 3e-8; the run and the loop then differed by 3e-8 of
    # |U| |V|): 25 steps x 2 x (200 + 8) eps < 1e4 eps, times the product of the amplifications
    amp = np.cumprod([1.0] + [step_amplification(Y, U, V, eta, X) for (U, V), eta in zip(ref, run.step, strict=False)])
    for i, j in enumerate(run.steps):
        U, V = ref[j]
        assert np.allclose(run.W[i], U @ V.T, rtol=0, atol=scale_u**2 * (1e-9 + 1e4 * EPS * amp[j]))
    # every rule decreases the loss: "loss" and "local" have phi >= 1/2 (prop-gd-adaptive),
    # "line_search" minimizes the loss along the gradient; rounding as in the fixed-step test
    # each loss carries the rounding of its residual, ~ dims * eps * (||Y|| + s^2 scale^2)
    # (the width-free factor is exact to ~ eps (||U||^2 + ||V||^2), not eps ||U|| ||V||),
    # times ||E_j|| <= sqrt(2 l_0); 1e-12 is > 10 x dims * eps for dims <= 200
    tol = 1e-12 * (run.loss[0] + math.sqrt(2 * run.loss[0]) * (np.linalg.norm(Y) + scale_u**2 * s_of(X) ** 2))
    assert np.all(np.diff(run.loss) <= tol)
    if rule == "loss":
        const = gd.rate_constants(Y, U0, V0, X=X)
        Xm = np.eye(U0.shape[0]) if X is None else X
        losses = [0.5 * float(np.sum((Y - Xm @ U @ V.T) ** 2)) for U, V in ref[:-1]]
        # eta(l) is smooth in l (d log eta / d log l <= 1): losses that agree to ~1e-10
        # give steps that agree to ~1e-10; rtol 1e-8 leaves a margin
        assert np.allclose(run.step, [const.step_at(min(l, const.loss0)) for l in losses], rtol=1e-8, atol=0)
        assert np.all(run.loss <= const.loss_bound(n_steps)[run.steps] + tol)
        assert np.all(run.drift <= const.drift_budget * (1 + 1e-9) + 1e-12 * scale_u**2)
        # the a-priori alpha(l), beta(l) bound the local constants along the run
        for i in range(run.steps.size):
            local = gd.local_constants(Y, run.U[i], run.V[i], X=X)
            level = min(run.loss[i], const.loss0)
            assert local.alpha >= const.alpha(level) - 1e-9 * (local.beta + 1e-300)
            assert local.beta <= const.beta(level) * (1 + 1e-9)


@settings(max_examples=edges.examples(40))
@given(
    m=st.integers(1, 4),
    n=st.integers(1, 4),
    k=st.integers(9, 200),
    log_tilt=st.floats(-4.0, 4.0),
    regression=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
def test_a_wide_start_keeps_W0_to_the_accuracy_of_the_product(m, n, k, log_tilt, regression, seed):
    """The runs iterate a narrow factor Zs of [U0; V0] (k > m + n); its W0 must be U0 V0^T to
    c eps |U0| |V0| even when |U0| / |V0| = 1e-8 .. 1e8. (The narrow factor, an eigen-factor of
    the Gram matrix scaled to unit diagonal or a QR factor, errs by c eps |row i| |row j| in
    entry (i, j); a factor of the unscaled Gram matrix is off by
    eps (|U0|^2 + |V0|^2), 1e8 times more here, and one large step amplifies that: below.)"""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((m + 1, m)) if regression else None
    Y = rng.standard_normal((m + 1 if regression else m, n))
    tilt = 10.0**log_tilt
    U0 = tilt * rng.standard_normal((m, k)) / np.sqrt(k)
    V0 = rng.standard_normal((n, k)) / (tilt * np.sqrt(k))
    exact = np.asarray(np.asarray(U0, LD) @ np.asarray(V0, LD).T, float)  # eps_LD k |U0||V0| << eps
    c = 16 * (m + n) * k * EPS
    for run in (
        gd.gradient_descent(Y, U0, V0, 1.0, 0, X=X, store_factors=False),
        gd.adaptive_gradient_descent(Y, U0, V0, 0, X=X, rule="local", store_factors=False),
    ):
        assert np.linalg.norm(run.W[0] - exact) <= c * np.linalg.norm(U0) * np.linalg.norm(V0)


@pytest.mark.parametrize("seed", [0, 12, 43, 45, 49, 60])  # of seeds 0..299, those whose first step is huge
def test_a_huge_line_search_step_from_an_imbalanced_start_is_taken_accurately(seed):
    """|U0| ~ 0.02, |V0| ~ 100: the first line-search step makes |U1| |V1| 1e9 to 1e11 times |W1|
    (the step lands where V1 is nearly orthogonal to V0). After it, the run's W1 must be the exact step's
    (50-digit mpmath, the run's own step) to c eps |U1| |V1|: the rounding of the step itself.
    A narrow factor of the unscaled Gram matrix missed this by 4e2 to 9e3 times (seen on
    seeds 0..5). Beyond such a step gradient descent itself is ill-conditioned: the next step
    amplifies errors of eps |U1| |V1| by ~1e8, so no double-precision run follows exact
    arithmetic past it (in the case the thorough profile found, the second line-search step,
    taken exactly from the exact U1, V1, raises the loss from 2.9e3 to 1.2e5; the run, from its
    own U1, V1, lowers it). That is why this test stops after the first step, and why the adaptive
    test above scales its comparison with the plain loop by step_amplification."""
    rng = np.random.default_rng(seed)
    X = 10 * rng.standard_normal((4, 3))
    Y = 40 * rng.standard_normal((4, 1))
    U0 = 1e-3 * rng.standard_normal((3, 50))
    V0 = 14 * rng.standard_normal((1, 50))
    run = gd.adaptive_gradient_descent(Y, U0, V0, 1, X=X, rule="line_search")
    mpmath.mp.dps = 50
    Um, Vm, Xm = (mpmath.matrix(a.tolist()) for a in (U0, V0, X))
    eta = mpmath.mpf(float(run.step[0]))
    G = Xm.T * (mpmath.matrix(Y.tolist()) - Xm * Um * Vm.T)
    U1, V1 = Um + eta * G * Vm, Vm + eta * G.T * Um
    W1 = np.array((U1 * V1.T).tolist(), dtype=float)
    size = float(mpmath.norm(U1) * mpmath.norm(V1))
    assert size > 1e3 * np.linalg.norm(W1)  # the step is huge and W1 a cancellation
    c = 16 * (3 + 1) * EPS
    assert np.linalg.norm(run.W[1] - W1) <= c * size
    assert run.loss[1] < run.loss[0]
