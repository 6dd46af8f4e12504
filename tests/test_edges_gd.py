"""Edge tests of overparam.gd (see tests/edges.py).

Every public function of ``overparam.gd`` gets one valid call (run, and mutated
argument by argument, by ``test_edges_generic.py``), hand-written bad inputs, and
hypothesis property tests over scales 1e-6 .. 1e4 (factors and data), imbalance from
exactly 0 to large (a tilt U0 -> c U0, V0 -> V0 / c with c up to 1e3), widths from
min(m, n) to 200, and steps from tiny to the largest the theorems of chapter 8 allow.

Independent references used here: the literal gradient-descent loop on (U, V) (not the
package's width-free iteration), one explicit step evaluated in extended precision
(``np.longdouble``), mpmath for the scalar formulas, a dense grid and
``scipy.optimize.minimize_scalar`` for the line search, ``numpy.linalg.svd`` /
``lstsq`` for the local constants.
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
from hypothesis import event, example, given, settings
from hypothesis import strategies as st
from scipy.optimize import minimize_scalar

import edges
from overparam import gd

EPS = np.finfo(float).eps
LD = np.longdouble

# ----------------------------------------------------------------------------------
# valid calls (small, fast, finite)

_rng = np.random.default_rng(20240611)
Y_ = _rng.standard_normal((4, 2))
X_ = _rng.standard_normal((4, 3)) + np.eye(4, 3)
U_ = _rng.standard_normal((3, 5)) / np.sqrt(5)
V_ = _rng.standard_normal((2, 5)) / np.sqrt(5)
YF = _rng.standard_normal((3, 2))  # factorization
MAX_ = gd.rate_constants(Y_, U_, V_, X=X_).max_step

edges.valid("gd.gradient_descent", gd.gradient_descent, Y_, U_, V_, 0.5 * MAX_, 4, X=X_, record_every=2, store_factors=True)
edges.valid(
    "gd.adaptive_gradient_descent", gd.adaptive_gradient_descent, Y_, U_, V_, 3, X=X_, rule="loss", record_every=2,
    store_factors=True,
)
edges.valid("gd.imbalance_increment", gd.imbalance_increment, Y_, U_, V_, 0.1, X=X_)
edges.valid("gd.loss_along_gradient", gd.loss_along_gradient, Y_, U_, V_, X=X_)
edges.valid("gd.line_search_step", gd.line_search_step, Y_, U_, V_, X=X_)
edges.valid("gd.descent_factor", gd.descent_factor, 0.1, 2.0, 0.5, s=1.5)
edges.valid("gd.bound_step", gd.bound_step, 2.0, 0.5, s=1.5)
edges.valid("gd.local_constants", gd.local_constants, Y_, U_, V_, X=X_)
edges.valid("gd.rate_constants", gd.rate_constants, Y_, U_, V_, X=X_, step=0.5 * MAX_)

# ----------------------------------------------------------------------------------
# hand-written bad input

# the (Y, U, V, X) functions, with the names their messages use for the factors
_PROBLEM_FNS = {
    "gradient_descent": (lambda Y, U, V, X=None: gd.gradient_descent(Y, U, V, 0.01, 2, X=X), "U0", "V0"),
    "adaptive_gradient_descent": (lambda Y, U, V, X=None: gd.adaptive_gradient_descent(Y, U, V, 2, X=X), "U0", "V0"),
    "imbalance_increment": (lambda Y, U, V, X=None: gd.imbalance_increment(Y, U, V, 0.1, X=X), "U", "V"),
    "loss_along_gradient": (lambda Y, U, V, X=None: gd.loss_along_gradient(Y, U, V, X=X), "U", "V"),
    "line_search_step": (lambda Y, U, V, X=None: gd.line_search_step(Y, U, V, X=X), "U", "V"),
    "local_constants": (lambda Y, U, V, X=None: gd.local_constants(Y, U, V, X=X), "U", "V"),
    "rate_constants": (lambda Y, U, V, X=None: gd.rate_constants(Y, U, V, X=X), "U0", "V0"),
}

for _name, (_f, _u, _v) in _PROBLEM_FNS.items():
    _t = f"gd.{_name}"
    # shapes that do not fit each other, or the wrong number of axes
    edges.bad(_t, "shape", "U-rows-differ-from-Y-rows", lambda f=_f: f(YF, np.ones((2, 5)), np.ones((2, 5))), _u)
    edges.bad(_t, "shape", "V-rows-differ-from-Y-cols", lambda f=_f: f(YF, np.ones((3, 5)), np.ones((3, 5))), _v)
    edges.bad(_t, "shape", "V-cols-differ-from-U-cols", lambda f=_f: f(YF, np.ones((3, 5)), np.ones((2, 4))), _v)
    edges.bad(_t, "shape", "X-rows-differ-from-Y-rows", lambda f=_f: f(Y_, U_, V_, X=np.ones((5, 3))), "X")
    edges.bad(_t, "shape", "U-rows-differ-from-X-cols", lambda f=_f: f(Y_, np.ones((4, 5)), V_, X=X_), _u)
    edges.bad(_t, "shape", "Y-a-vector", lambda f=_f: f(np.ones(3), np.ones((3, 5)), np.ones((1, 5))), "Y")
    edges.bad(_t, "shape", "U-a-vector", lambda f=_f: f(YF, np.ones(3), np.ones((2, 1))), _u)
    edges.bad(_t, "shape", "Y-empty", lambda f=_f: f(np.ones((0, 2)), np.ones((0, 5)), np.ones((2, 5))), "Y")
    edges.bad(_t, "shape", "U-and-V-no-columns", lambda f=_f: f(YF, np.ones((3, 0)), np.ones((2, 0))), _u)
    # non-finite entries at places the mechanical mutation (middle entry) does not reach, in nested lists
    edges.bad(_t, "nonfinite", "nan-first-entry-of-Y-list", lambda f=_f: f([[np.nan, 1.0], [1.0, 1.0], [0.0, 1.0]], U_, V_[:, :5]), "Y")
    edges.bad(_t, "nonfinite", "inf-last-entry-of-V-list", lambda f=_f: f(YF, U_, [[1.0] * 5, [1.0] * 4 + [np.inf]]), _v)
    edges.bad(_t, "nonfinite", "neg-inf-first-entry-of-U", lambda f=_f: f(YF, np.where(np.eye(3, 5) > 0, -np.inf, 1.0), V_), _u)
    edges.bad(_t, "nonfinite", "nan-last-entry-of-X", lambda f=_f: f(Y_, U_, V_, X=np.where(np.arange(12).reshape(4, 3) == 11, np.nan, X_)), "X")
    # wrong types inside the arrays, or of the whole argument
    edges.bad(_t, "type", "str-inside-Y", lambda f=_f: f([[1.0, "a"], [1.0, 1.0], [0.0, 1.0]], U_, V_), "Y", TypeError)
    edges.bad(_t, "type", "None-inside-U", lambda f=_f: f(YF, [[1.0, None, 0, 0, 0]] * 3, V_), _u, TypeError)
    edges.bad(_t, "type", "dict-for-X", lambda f=_f: f(Y_, U_, V_, X={"X": X_}), "X", TypeError)

_X_RANK1 = np.outer(np.arange(1.0, 5.0), [1.0, 2.0, -1.0])  # 4 x 3 of rank 1 < m = 3
_X_WIDE = _rng.standard_normal((2, 3))  # N = 2 < m = 3 rows
_Y_WIDE = _rng.standard_normal((2, 2))
edges.bad("gd.rate_constants", "rank", "X-rank-1-of-3-columns", lambda: gd.rate_constants(Y_, U_, V_, X=_X_RANK1), "X")
edges.bad("gd.rate_constants", "rank", "X-fewer-rows-than-columns", lambda: gd.rate_constants(_Y_WIDE, U_, V_, X=_X_WIDE), "X")
edges.bad(
    "gd.rate_constants", "rank", "X-numerically-rank-deficient",
    lambda: gd.rate_constants(Y_, U_, V_, X=np.column_stack([X_[:, :2], X_[:, 0] * (1 + 1e-17)])), "X",
)
edges.bad(
    "gd.adaptive_gradient_descent", "rank", "rule-loss-X-rank-1",
    lambda: gd.adaptive_gradient_descent(Y_, U_, V_, 2, X=_X_RANK1, rule="loss"), "X",
)
edges.bad(
    "gd.adaptive_gradient_descent", "rank", "rule-loss-X-fewer-rows",
    lambda: gd.adaptive_gradient_descent(_Y_WIDE, U_, V_, 2, X=_X_WIDE, rule="loss"), "X",
)

# steps, counts, options
for _name, _call in {
    "gradient_descent": lambda **kw: gd.gradient_descent(YF, U_, V_, kw.get("step", 0.01), kw.get("n", 2), record_every=kw.get("r", 1)),
    "adaptive_gradient_descent": lambda **kw: gd.adaptive_gradient_descent(YF, U_, V_, kw.get("n", 2), record_every=kw.get("r", 1)),
}.items():
    _t = f"gd.{_name}"
    edges.bad(_t, "times", "negative-number-of-steps", lambda c=_call: c(n=-1), "n_steps")
    edges.bad(_t, "times", "numpy-negative-number-of-steps", lambda c=_call: c(n=np.int64(-3)), "n_steps")
    edges.bad(_t, "type", "integral-float-number-of-steps", lambda c=_call: c(n=3.0), "n_steps", TypeError)
    edges.bad(_t, "type", "numpy-float-number-of-steps", lambda c=_call: c(n=np.float64(3.0)), "n_steps", TypeError)
    edges.bad(_t, "value", "record-every-zero", lambda c=_call: c(r=0), "record_every")
    edges.bad(_t, "value", "record-every-negative", lambda c=_call: c(r=-2), "record_every")
    edges.bad(_t, "type", "record-every-array", lambda c=_call: c(r=np.array([1, 2])), "record_every", TypeError)
edges.bad("gd.gradient_descent", "value", "step-zero", lambda: gd.gradient_descent(YF, U_, V_, 0.0, 2), "step")
edges.bad("gd.gradient_descent", "value", "step-negative", lambda: gd.gradient_descent(YF, U_, V_, -0.01, 2), "step")
edges.bad("gd.gradient_descent", "type", "bool-for-step", lambda: gd.gradient_descent(YF, U_, V_, True, 2), "step", TypeError)
edges.bad("gd.gradient_descent", "type", "numpy-int-for-flag", lambda: gd.gradient_descent(YF, U_, V_, 0.01, 2, store_factors=np.int64(1)), "store_factors", TypeError)
edges.bad("gd.adaptive_gradient_descent", "value", "unknown-rule", lambda: gd.adaptive_gradient_descent(YF, U_, V_, 2, rule="armijo"), "rule")
edges.bad("gd.adaptive_gradient_descent", "value", "rule-wrong-case", lambda: gd.adaptive_gradient_descent(YF, U_, V_, 2, rule="Loss"), "rule")
edges.bad("gd.imbalance_increment", "value", "step-zero", lambda: gd.imbalance_increment(YF, U_, V_, 0.0), "step")
edges.bad("gd.imbalance_increment", "value", "step-negative", lambda: gd.imbalance_increment(YF, U_, V_, -0.1), "step")
edges.bad("gd.imbalance_increment", "type", "bool-for-step", lambda: gd.imbalance_increment(YF, U_, V_, True), "step", TypeError)
edges.bad("gd.descent_factor", "value", "step-negative", lambda: gd.descent_factor(-0.1, 1.0, 1.0), "step")
edges.bad("gd.descent_factor", "value", "beta-negative", lambda: gd.descent_factor(0.1, -1.0, 1.0), "beta")
edges.bad("gd.descent_factor", "value", "loss-negative", lambda: gd.descent_factor(0.1, 1.0, -1e-300), "loss")
edges.bad("gd.descent_factor", "value", "s-negative", lambda: gd.descent_factor(0.1, 1.0, 1.0, s=-1.0), "s")
edges.bad("gd.descent_factor", "type", "bool-for-beta", lambda: gd.descent_factor(0.1, True, 1.0), "beta", TypeError)
edges.bad("gd.descent_factor", "type", "list-for-loss", lambda: gd.descent_factor(0.1, 1.0, [1.0]), "loss", TypeError)
edges.bad("gd.bound_step", "value", "beta-zero", lambda: gd.bound_step(0.0, 1.0), "beta")
edges.bad("gd.bound_step", "value", "beta-negative", lambda: gd.bound_step(-2.0, 1.0), "beta")
edges.bad("gd.bound_step", "value", "loss-negative", lambda: gd.bound_step(1.0, -1.0), "loss")
edges.bad("gd.bound_step", "value", "s-negative", lambda: gd.bound_step(1.0, 1.0, s=-0.5), "s")
edges.bad("gd.bound_step", "type", "bool-for-loss", lambda: gd.bound_step(1.0, False), "loss", TypeError)
edges.bad("gd.rate_constants", "value", "step-above-the-step-size-condition", lambda: gd.rate_constants(Y_, U_, V_, X=X_, step=MAX_ * (1 + 1e-9)), "step")
edges.bad("gd.rate_constants", "value", "step-zero", lambda: gd.rate_constants(Y_, U_, V_, X=X_, step=0.0), "step")
edges.bad("gd.rate_constants", "value", "step-negative", lambda: gd.rate_constants(Y_, U_, V_, X=X_, step=-MAX_), "step")
edges.bad("gd.rate_constants", "type", "bool-for-step", lambda: gd.rate_constants(Y_, U_, V_, X=X_, step=True), "step", TypeError)


# ----------------------------------------------------------------------------------
# strategies and independent references


def log10s(lo, hi):
    """10 ** x with x uniform-ish in [lo, hi] (hypothesis also tries the ends)."""
    return st.floats(lo, hi).map(lambda e: 10.0**e)


@st.composite
def problems(draw, regression=None, wide=True):
    """(Y, U0, V0, X): shapes 1 x 1 .. 4 x 4, k from min(m, n) to 200, scales 1e-6 .. 1e4, imbalance 0 .. large."""
    m = draw(st.integers(1, 4))
    n = draw(st.integers(1, 4))
    lo = min(m, n)
    k = draw(st.one_of(st.integers(lo, max(m, n) + 2), st.integers(50, 200))) if wide else draw(st.integers(lo, max(m, n) + 2))
    if regression is None:
        regression = draw(st.booleans())
    scale = 10.0 ** draw(st.floats(-6, 4))  # ||U0||_2, ||V0||_2 ~ scale
    yscale = 10.0 ** draw(st.floats(-6, 4))
    balanced = draw(st.booleans())
    tilt = 1.0 if balanced else 10.0 ** draw(st.floats(-3, 3))
    seed = draw(st.integers(0, 2**32 - 1))
    event(f"k {'>= 50' if k >= 50 else '< 50'}, {'regression' if regression else 'factorization'}, {'balanced' if balanced else 'tilted'}")
    rng = np.random.default_rng(seed)
    if regression:
        N = m + draw(st.integers(0, 3))
        X = rng.standard_normal((N, m)) / np.sqrt(N) + np.eye(N, m)
    else:
        N, X = m, None
    Y = yscale * rng.standard_normal((N, n))
    if balanced:
        # U0^T U0 = V0^T V0 exactly up to rounding: Lambda_0 = 0 (zero imbalance)
        r = min(m, n)
        D = np.diag(np.exp(rng.standard_normal(r)))
        Q = np.linalg.qr(rng.standard_normal((k, r)))[0].T  # r x k, orthonormal rows (k >= r)
        Pm = np.linalg.qr(rng.standard_normal((m, m)))[0][:, :r]
        Pn = np.linalg.qr(rng.standard_normal((n, n)))[0][:, :r]
        U0 = scale * Pm @ D @ Q
        V0 = scale * Pn @ D @ Q
    else:
        U0 = scale * tilt * rng.standard_normal((m, k)) / np.sqrt(k)
        V0 = scale / tilt * rng.standard_normal((n, k)) / np.sqrt(k)
    return Y, U0, V0, X


def plain_gd(Y, U0, V0, steps, X=None):
    """The literal loop U <- U + eta G V, V <- V + eta G^T U (not the width-free form)."""
    U, V = np.array(U0, float), np.array(V0, float)
    Xm = np.eye(U.shape[0]) if X is None else X
    out = [(U, V)]
    for eta in steps:
        G = Xm.T @ (Y - Xm @ U @ V.T)
        U, V = U + eta * G @ V, V + eta * G.T @ U
        out.append((U, V))
    return out


def explicit_step_loss(Y, U, V, eta, X=None):
    """The loss after one explicit step, in extended precision (np.longdouble, eps ~ 1e-19)."""
    Y, U, V = (np.asarray(a, LD) for a in (Y, U, V))
    Xm = np.eye(U.shape[0], dtype=LD) if X is None else np.asarray(X, LD)
    G = Xm.T @ (Y - Xm @ U @ V.T)
    U1, V1 = U + LD(eta) * (G @ V), V + LD(eta) * (G.T @ U)
    R = Y - Xm @ U1 @ V1.T
    return float(0.5 * np.sum(R * R))


def quartic_parts(Y, U, V, X=None):
    """E, B1, B2 of l(eta) = ||E - eta B1 - eta^2 B2||^2 / 2, written from the lemma (X = I if None)."""
    Xm = np.eye(U.shape[0]) if X is None else X
    W = U @ V.T
    E = Y - Xm @ W
    G = Xm.T @ E
    return E, Xm @ (G @ V @ V.T + U @ U.T @ G), Xm @ (G @ W.T @ G)


def s_of(X):
    return 1.0 if X is None else float(np.linalg.norm(X, 2))


def step_amplification(Y, U, V, eta, X=None):
    """A bound on how much one explicit step (U, V) -> (U, V) - eta grad l can grow a small
    perturbation of (U, V): the spectral norm of I - eta H over the Hessian's range.

    The Hessian of l = ||Y - X U V^T||^2 / 2 at (U, V), applied to d = (dU, dV), is
    ||X (dU V^T + U dV^T)||^2 - 2 <G, dU dV^T> with G = X^T (Y - X U V^T), so its eigenvalues
    lie in [-||G||_2, beta], beta = s_X^2 (||U||_2^2 + ||V||_2^2) + ||G||_2 (the first term is
    at most s_X^2 (||V||_2 |dU| + ||U||_2 |dV|)^2, the second at most ||G||_2 |d|^2 by
    Cauchy-Schwarz). Hence ||I - eta H||_2 <= max(1 + eta ||G||_2, eta beta - 1).
    """
    Xm = np.eye(U.shape[0]) if X is None else X
    g = float(np.linalg.norm(Xm.T @ (Y - Xm @ U @ V.T), 2))
    beta = s_of(X) ** 2 * (np.linalg.norm(U, 2) ** 2 + np.linalg.norm(V, 2) ** 2) + g
    return max(1.0 + eta * g, eta * beta - 1.0)


def loss_star_of(Y, X):
    if X is None:
        return 0.0
    R = Y - X @ np.linalg.lstsq(X, Y, rcond=None)[0]
    return 0.5 * float(np.sum(R * R))


def local_beta(X, U, V):
    return s_of(X) ** 2 * (np.linalg.norm(U, 2) ** 2 + np.linalg.norm(V, 2) ** 2)


# ----------------------------------------------------------------------------------
# the runs


@edges.covers("gd.gradient_descent", "gd.rate_constants")
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


@edges.covers("gd.gradient_descent", "gd.rate_constants")
@settings(max_examples=edges.examples(15))
@given(problem=problems(), t_end=st.one_of(st.just(0.0), st.just(1e6), st.floats(0.0, 1e6)), n_steps=st.integers(1, 200))
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


@edges.covers("gd.rate_constants", "gd.local_constants", "gd.descent_factor")
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
    assert np.isclose(const.loss_star, min(loss_star_of(Y, X), const.loss0), rtol=1e-9, atol=1e-12 * float(np.sum(Y * Y)))
    assert local.alpha >= const.alpha0 - 1e-9 * (local.beta + 1e-300)
    assert local.beta <= const.beta0 * (1 + 1e-9)
    # above the condition: refused, naming the step
    with pytest.raises(ValueError, match="step"):
        gd.rate_constants(Y, U0, V0, X=X, step=eta * (1 + max(over, 1e-9)))


@edges.covers("gd.gradient_descent")
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
    times the tolerance below; with the QR factor (overparam.flow._narrow_factor_blocks) the gap
    is 2e-7 of that tolerance."""
    rng = np.random.default_rng(70)
    C = 3.08 * rng.standard_normal((1, 50)) / np.sqrt(50)
    U0 = np.sign(rng.standard_normal()) * C
    B = rng.standard_normal((2, 1))
    V0 = (B / np.linalg.norm(B)) @ C
    X = rng.uniform(0.5, 1.5) * np.ones((1, 1))
    return 10 ** rng.uniform(-4, 0) * rng.standard_normal((1, 2)), U0, V0, X


@edges.covers("gd.adaptive_gradient_descent", "gd.rate_constants", "gd.local_constants")
@settings(max_examples=edges.examples(60))
@given(problem=problems(), rule=st.sampled_from(gd.RULES), n_steps=st.integers(0, 25), record_every=st.integers(1, 30))
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
    amp = np.cumprod([1.0] + [step_amplification(Y, U, V, eta, X) for (U, V), eta in zip(ref, run.step)])
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
        for i, j in enumerate(run.steps):
            local = gd.local_constants(Y, run.U[i], run.V[i], X=X)
            level = min(run.loss[i], const.loss0)
            assert local.alpha >= const.alpha(level) - 1e-9 * (local.beta + 1e-300)
            assert local.beta <= const.beta(level) * (1 + 1e-9)


@edges.covers("gd.gradient_descent", "gd.adaptive_gradient_descent")
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


@edges.covers("gd.adaptive_gradient_descent")
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


# ----------------------------------------------------------------------------------
# one step


@edges.covers("gd.imbalance_increment")
@settings(max_examples=edges.examples(60))
@given(problem=problems(), step=log10s(-6, 2), relative=st.booleans())
def test_imbalance_increment_is_the_change_over_one_explicit_step(problem, step, relative):
    Y, U, V, X = problem
    eta = step / (local_beta(X, U, V) + s_of(X) ** 2 * np.linalg.norm(Y)) if relative else step
    inc = gd.imbalance_increment(Y, U, V, eta, X=X)
    # reference: one explicit step and the imbalance difference, in extended precision
    Yl, Ul, Vl = (np.asarray(a, LD) for a in (Y, U, V))
    Xm = np.eye(U.shape[0], dtype=LD) if X is None else np.asarray(X, LD)
    G = Xm.T @ (Yl - Xm @ Ul @ Vl.T)
    U1, V1 = Ul + LD(eta) * (G @ Vl), Vl + LD(eta) * (G.T @ Ul)
    change = (U1.T @ U1 - V1.T @ V1) - (Ul.T @ Ul - Vl.T @ Vl)
    GV, UG = np.asarray(G @ Vl, float), np.asarray(Ul.T @ G, float)
    terms = eta**2 * (np.sum(GV**2) + np.sum(UG**2))
    # the package forms G in double: G is off by ~ dims * eps (||Y|| + s^2 ||U|| ||V||),
    # which moves the eta^2 terms by ~ eta^2 ||G|| (||U||^2 + ||V||^2) times that
    gerr = eta**2 * math.sqrt(float(np.sum(np.asarray(G, float) ** 2))) * (np.sum(U**2) + np.sum(V**2)) * (
        np.linalg.norm(Y) + s_of(X) ** 2 * np.linalg.norm(U) * np.linalg.norm(V)
    )
    big = np.sum(np.asarray(U1, float) ** 2) + np.sum(np.asarray(V1, float) ** 2) + np.sum(U**2) + np.sum(V**2)
    if not (math.isfinite(terms) and math.isfinite(big)):
        return  # the one-step change itself overflows double precision: nothing finite to compare
    assert np.all(np.isfinite(inc)) and inc.shape == (U.shape[1],) * 2
    assert np.allclose(inc, inc.T, rtol=0, atol=1e-13 * terms + 1e-300)
    # error budget: the formula in double (~k eps * terms) + the extended-precision
    # difference of two Gram matrices (~k eps_ld * big); 1e-12 / 1e-16 leave margins
    err = np.max(np.abs(inc - np.asarray(change, float)))
    assert err <= 1e-12 * terms + 1e-13 * gerr + 1e-16 * big + 1e-300
    # exactly quadratic in the step, and the trace identity
    assert np.allclose(gd.imbalance_increment(Y, U, V, eta / 2, X=X), inc / 4, rtol=1e-12, atol=1e-300)
    assert math.isclose(np.trace(inc), eta**2 * (np.sum(GV**2) - np.sum(UG**2)), rel_tol=0, abs_tol=1e-12 * terms + 1e-13 * gerr + 1e-300)


@edges.covers("gd.loss_along_gradient")
@settings(max_examples=edges.examples(60))
@given(problem=problems(), steps=st.lists(log10s(-6, 1), min_size=1, max_size=4))
def test_the_quartic_is_the_loss_after_one_step(problem, steps):
    Y, U, V, X = problem
    c = gd.loss_along_gradient(Y, U, V, X=X)
    assert c.shape == (5,) and np.all(np.isfinite(c))
    Xm = np.eye(U.shape[0]) if X is None else X
    E = Y - Xm @ U @ V.T
    G = Xm.T @ E
    g = float(np.sum((G @ V) ** 2) + np.sum((U.T @ G) ** 2))
    E_, B1, B2 = quartic_parts(Y, U, V, X)
    # c0 and c1 are sums of squares (relative accuracy ~ size * eps); c4 = ||B2||^2 / 2 >= 0
    assert math.isclose(c[0], 0.5 * float(np.sum(E * E)), rel_tol=1e-12, abs_tol=1e-300)
    # c1 = -<G, G Q + P G>: a sum of products of either sign, accurate to ~ dims * eps
    # of ||G||^2 (||P|| + ||Q||) (not of g itself when G V is small)
    gscale = float(np.sum(G * G)) * (np.linalg.norm(U, 2) ** 2 + np.linalg.norm(V, 2) ** 2)
    assert abs(-c[1] - g) <= 1e-13 * gscale + 1e-300 and c[4] >= 0
    base = 1.0 / (local_beta(X, U, V) + s_of(X) ** 2 * np.linalg.norm(Y) + 1e-300)
    for frac in steps:
        eta = frac * base  # 1e-6 .. 10 times the natural step 1 / (beta + s ||Y||)
        direct = explicit_step_loss(Y, U, V, eta, X)
        value = np.polynomial.polynomial.polyval(eta, c)
        # error of the coefficient form: every c_i eta^i carries ~ dims * eps of the
        # products of norms that make it, all bounded by M^2 with
        # M = ||E|| + eta ||B1|| + eta^2 ||B2||; dims * eps <= 1e-13 here
        M = np.linalg.norm(E_) + eta * np.linalg.norm(B1) + eta**2 * np.linalg.norm(B2)
        assert abs(value - direct) <= 1e-12 * M**2 + 1e-300


@edges.covers("gd.line_search_step", "gd.loss_along_gradient")
@given(problem=problems())
def test_line_search_minimizes_the_loss_along_the_gradient(problem):
    Y, U, V, X = problem
    eta = gd.line_search_step(Y, U, V, X=X)
    assert math.isfinite(eta) and eta >= 0
    E, B1, B2 = quartic_parts(Y, U, V, X)
    loss = lambda e: 0.5 * float(np.sum((E - e * B1 - e * e * B2) ** 2))  # noqa: E731
    size = lambda e: float(np.linalg.norm(E) + e * np.linalg.norm(B1) + e * e * np.linalg.norm(B2))  # noqa: E731
    l0 = loss(0.0)
    c = gd.loss_along_gradient(Y, U, V, X=X)
    if c[1] < 0:
        assert eta > 0
    # the reference: a dense grid (log-spaced around eta, and linear on [0, 4 eta]) and
    # a bounded scalar minimization on the directly evaluated loss
    anchor = eta if eta > 0 else 1.0 / (local_beta(X, U, V) + 1e-300)
    grid = np.concatenate([[0.0], anchor * np.logspace(-8, 6, 1401), np.linspace(0, 4 * anchor, 401)])
    with np.errstate(over="ignore", invalid="ignore"):
        R = E[None] - grid[:, None, None] * B1[None] - (grid**2)[:, None, None] * B2[None]
        values = 0.5 * np.sum(R * R, axis=(1, 2))
    values = np.where(np.isfinite(values), values, np.inf)
    best = int(np.argmin(values))
    opt = minimize_scalar(loss, bounds=(0.0, 4 * anchor), method="bounded", options={"xatol": 1e-12 * anchor})
    # the direct evaluation has a rounding error ~ dims * eps * size(e) * ||R(e)||, and
    # the minimum value ~ ||R|| sqrt(2 l) : 1e-12 * size * (sqrt(2 l0) + 1e-12 size) bounds it
    for other, value in ((grid[best], values[best]), (opt.x, opt.fun)):
        M = max(size(eta), size(other))
        tol = 1e-12 * M * (math.sqrt(2 * l0) + 1e-12 * M) + 1e-300
        assert loss(eta) <= value + tol, (eta, other, loss(eta), value)
    assert loss(eta) <= l0


# ----------------------------------------------------------------------------------
# the scalar pieces of the rate


def _phi_mp(eta, beta, loss, s):
    with mpmath.workdps(50):
        eta, beta, loss, s = (mpmath.mpf(x) for x in (eta, beta, loss, s))
        r = s * mpmath.sqrt(2 * loss)
        return 1 - eta / 2 * (beta + r) - eta**2 / 2 * beta * r - eta**3 / 4 * s**2 * beta * loss


_STEP = log10s(-8, 4)
_BETA = log10s(-12, 8)
_LOSS = st.one_of(st.just(0.0), log10s(-12, 16))
_S = st.one_of(st.just(0.0), st.just(1.0), log10s(-3, 3))


@edges.covers("gd.descent_factor")
@settings(max_examples=edges.examples(100))
@given(step=_STEP, beta=_BETA, loss=_LOSS, s=_S, more=log10s(0, 2))
def test_descent_factor_is_the_formula_and_decreases(step, beta, loss, s, more):
    phi = gd.descent_factor(step, beta, loss, s=s)
    assert math.isfinite(phi)
    # against 50 digits: four terms, each with a few roundings, so the error is at most
    # ~ 8 eps times the sum of their absolute values
    r = s * math.sqrt(2 * loss)
    size = 1 + step / 2 * (beta + r) + step**2 / 2 * beta * r + step**3 / 4 * s * s * beta * loss
    assert abs(phi - float(_phi_mp(step, beta, loss, s))) <= 8 * EPS * size
    # decreasing in eta, beta and loss (lem-gd-one-step); 1 - eta beta / 2 at zero loss
    slack = 16 * EPS * size * more**3
    assert gd.descent_factor(step * more, beta, loss, s=s) <= phi + slack
    assert gd.descent_factor(step, beta * more, loss, s=s) <= phi + slack
    assert gd.descent_factor(step, beta, loss * more, s=s) <= phi + slack
    assert math.isclose(gd.descent_factor(step, beta, 0.0, s=s), 1 - step * beta / 2, rel_tol=0, abs_tol=4 * EPS * (1 + step * beta))
    assert gd.descent_factor(0.0, beta, loss, s=s) == 1.0
    # s = 0 (no data) at a loss whose double overflows: still 1 - eta beta / 2, not nan
    assert gd.descent_factor(step, beta, 1.5e308, s=0.0) == gd.descent_factor(step, beta, 0.0, s=0.0)


@edges.covers("gd.bound_step", "gd.descent_factor")
@settings(max_examples=edges.examples(100))
@given(beta=_BETA, loss=_LOSS, s=_S)
def test_bound_step_is_the_root_and_maximizes_eta_phi(beta, loss, s):
    eta = gd.bound_step(beta, loss, s=s)
    assert math.isfinite(eta) and eta > 0
    # against the 50-digit root of 1 - 2a eta - 3b eta^2 - 4c eta^3 (prop-gd-adaptive)
    with mpmath.workdps(50):
        B, L, S = mpmath.mpf(beta), mpmath.mpf(loss), mpmath.mpf(s)
        r = S * mpmath.sqrt(2 * L)
        a, b, c = (B + r) / 2, B * r / 2, S**2 * B * L / 4
        f = lambda x: 1 - 2 * a * x - 3 * b * x**2 - 4 * c * x**3  # noqa: E731
        lo, hi = mpmath.mpf(0), 1 / (2 * a)  # f(0) = 1 > 0 >= f(1 / (2a)), f decreasing
        for _ in range(200):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if f(mid) > 0 else (lo, mid)
        root = (lo + hi) / 2
    # the root is well conditioned (f' * eta <= -1 relative to f's terms, which sum to 2):
    # Newton to floating-point convergence gives it to a few eps; 1e-13 leaves a margin
    assert math.isclose(eta, float(root), rel_tol=1e-13)
    phi = gd.descent_factor(eta, beta, loss, s=s)
    assert phi >= 0.5 - 4 * EPS and eta * beta <= 1 + 4 * EPS
    others = eta * np.concatenate([np.linspace(0, 3, 61), 10.0 ** np.linspace(-6, 3, 19)])
    for other in others:
        # phi is computed to ~ 8 eps (1 + its terms) <= 12 eps near the maximizer
        assert other * gd.descent_factor(other, beta, loss, s=s) <= eta * phi * (1 + 64 * EPS)
    assert math.isclose(gd.bound_step(beta, 0.0, s=s), 1 / beta, rel_tol=4 * EPS)
    assert gd.bound_step(beta, 1.5e308, s=0.0) == gd.bound_step(beta, 0.0, s=0.0)


@edges.covers("gd.local_constants", "gd.descent_factor", "gd.bound_step")
@given(problem=problems(), fracs=st.lists(st.floats(1e-6, 1.0), min_size=1, max_size=3))
def test_local_constants_and_the_one_step_bound(problem, fracs):
    Y, U, V, X = problem
    lc = gd.local_constants(Y, U, V, X=X)
    assert edges.all_finite(lc)
    m, k = U.shape
    n = V.shape[0]
    s = s_of(X)
    sx = 1.0 if X is None else float(np.linalg.svd(X, compute_uv=False)[m - 1])
    su = np.linalg.svd(U, compute_uv=False)
    sv = np.linalg.svd(V, compute_uv=False)
    # the definitions, from singular values (eigvalsh of U U^T is exact to ~ m eps ||U||^2)
    lam_m = su[m - 1] ** 2 if k >= m else 0.0
    lam_n = sv[n - 1] ** 2 if k >= n else 0.0
    big = su[0] ** 2 + sv[0] ** 2
    assert abs(lc.alpha - sx**2 * (lam_m + lam_n)) <= 1e-13 * sx**2 * big + 1e-300
    # rank U <= k: the missing eigenvalues are exact zeros, not rounding noise
    if k < m and k < n:
        assert lc.alpha == 0.0
    if X is not None and m >= 2:  # X without full column rank: sigma_m(X) = 0, alpha = 0
        Xd = X.copy()
        Xd[:, -1] = Xd[:, 0]
        assert gd.local_constants(Y, U, V, X=Xd).alpha == 0.0
    assert math.isclose(lc.beta, s**2 * big, rel_tol=1e-12)
    Xm = np.eye(m) if X is None else X
    E = Y - Xm @ U @ V.T
    G = Xm.T @ E
    assert math.isclose(lc.loss, 0.5 * float(np.sum(E * E)), rel_tol=1e-12, abs_tol=1e-300)
    g = float(np.sum((G @ V) ** 2) + np.sum((U.T @ G) ** 2))
    assert math.isclose(lc.grad_sq, g, rel_tol=1e-12, abs_tol=1e-300)
    # lem-gd-pl: ||grad||^2 >= 2 alpha (l - l*); l - l* = ||P_X E||^2 / 2 is computed here
    # from the projection of E on the range of X, without cancellation
    Qx = np.linalg.qr(Xm)[0]
    excess = 0.5 * float(np.sum((Qx.T @ E) ** 2))
    assert lc.grad_sq >= 2 * lc.alpha * excess * (1 - 1e-10) - 1e-13 * sx**2 * big * 2 * excess
    # lem-gd-one-step: l(eta) <= l - eta phi(eta) ||grad||^2 for eta up to the bound step
    if lc.beta > 0:
        eta_b = gd.bound_step(lc.beta, lc.loss, s=s)
        for frac in fracs:
            eta = frac * eta_b
            actual = explicit_step_loss(Y, U, V, eta, X)
            bound = lc.loss - eta * gd.descent_factor(eta, lc.beta, lc.loss, s=s) * lc.grad_sq
            # both sides are accurate to ~ 1e-13 relative to l + eta ||grad||^2, plus the
            # double-precision residual of the package (~ eps (||Y|| + s ||W||) ||E||)
            rerr = math.sqrt(2 * lc.loss) * (np.linalg.norm(Y) + s * np.linalg.norm(U) * np.linalg.norm(V))
            assert actual <= bound + 1e-12 * (lc.loss + eta * lc.grad_sq) + 1e-13 * rerr + 1e-300
