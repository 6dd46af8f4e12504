"""Tests of overparam.deep.bounds: homogeneous imbalance, the margin, the local rate, the rate bounds.

Independent references: the actual loss, singular values and loss derivative along
trajectories for every bound; the chapter-4 rate for two layers; Weyl's inequality for
the margin; the exact structure of ``homogeneous_init`` (lem-deep-aligned).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import edges
from overparam import deep
from overparam.deep import _common

from .test_network import check_loss_below, layer_error

EPS = np.finfo(float).eps
T3 = np.array([0.0, 0.5, 1.0])
D2 = np.array([0.3, -0.2])

_r = np.random.default_rng(0)
WS23 = [_r.standard_normal((4, 3)), _r.standard_normal((2, 4))]
HOM_WS = deep.homogeneous_init(np.array([0.8, 1.1]), D2, np.random.default_rng(1))  # 3 square 2 x 2 layers
Y22 = deep.product(HOM_WS) + 0.05 * _r.standard_normal((2, 2))

CALLS = {
    "deep.homogeneous_init": edges.call(deep.homogeneous_init, np.array([0.8, 1.1]), D2, np.random.default_rng(2)),
    "deep.margin": edges.call(deep.margin, Y22, deep.product(HOM_WS)),
    "deep.local_rate": edges.call(deep.local_rate, WS23),
    "deep.homogeneous_rate_bound": edges.call(deep.homogeneous_rate_bound, Y22, HOM_WS, rtol=1e-10),
    "deep.imbalance_lower_bounds": edges.call(deep.imbalance_lower_bounds, HOM_WS),
    "deep.imbalance_rate_bound": edges.call(deep.imbalance_rate_bound, HOM_WS),
    "deep.loss_bound": edges.call(deep.loss_bound, Y22, HOM_WS, T3, bound="imbalance"),
}


# ----------------------------------------------------------------------------------
# bad input the mechanical mutations do not reach
# ----------------------------------------------------------------------------------

ONES = np.ones
NOT_HOM = [np.eye(2), np.diag([1.0, 2.0]), np.eye(2)]  # D_1 = diag(0, 3): not a multiple of I
THIN = [ONES((1, 2)), ONES((2, 1))]  # square Y (2 x 2) through a hidden width 1 < n = 2
WIDE = [ONES((3, 2)), ONES((2, 3))]  # a hidden width 3 > n = 2
RECT = [ONES((2, 2)), ONES((3, 2))]  # a 3 x 2 last layer: not square
INF_LAST = [np.eye(2), np.eye(2)]
INF_LAST[1] = INF_LAST[1].copy()
INF_LAST[1][0, 0] = np.inf

SQUARE_FUNCTIONS = {  # name -> (call(Y, Ws), the name of the layers argument)
    "homogeneous_rate_bound": (lambda Y, Ws: deep.homogeneous_rate_bound(Y, Ws), "Ws0"),
    "loss_bound": (lambda Y, Ws: deep.loss_bound(Y, Ws, T3), "Ws0"),
    "imbalance_rate_bound": (lambda Y, Ws: deep.imbalance_rate_bound(Ws), "Ws0"),
    "imbalance_lower_bounds": (lambda Y, Ws: deep.imbalance_lower_bounds(Ws), "Ws"),
}


@pytest.mark.parametrize("function", sorted(SQUARE_FUNCTIONS))
@pytest.mark.parametrize(
    "Y, Ws, error",
    [
        (np.eye(2), THIN, ValueError),
        (np.eye(2), WIDE, ValueError),
        (ONES((3, 2)), RECT, ValueError),
        (np.eye(2), INF_LAST, ValueError),
        (np.eye(2), [np.eye(2), ONES((2, 3))], ValueError),
        (np.eye(2), "W1W2", TypeError),
    ],
    ids=["hidden-width-below-n", "hidden-width-above-n", "rectangular-last-layer", "inf-in-last-layer",
         "layers-do-not-chain", "str-for-layers"],
)
def test_layers_that_are_not_square_are_rejected_by_name(function, Y, Ws, error):
    fn, argument = SQUARE_FUNCTIONS[function]
    edges.rejects(lambda: fn(Y, Ws), argument, error)


@pytest.mark.parametrize(
    "label, thunk, argument, error",
    [
        ("local-rate-layers-do-not-chain", lambda: deep.local_rate([ONES((4, 3)), ONES((2, 5))]), "Ws", ValueError),
        ("local-rate-float-for-layers", lambda: deep.local_rate(3.0), "Ws", TypeError),
        ("d-infeasible", lambda: deep.homogeneous_init([0.1, 0.2], [-0.5], np.random.default_rng(0)), "d", ValueError),
        ("d-infeasible-later", lambda: deep.homogeneous_init([1.0], [0.5, -2.0], np.random.default_rng(0)), "d",
         ValueError),
        ("negative-s1", lambda: deep.homogeneous_init([-0.1, 0.5], [0.5], np.random.default_rng(0)), "s1", ValueError),
        ("empty-s1", lambda: deep.homogeneous_init([], [0.5], np.random.default_rng(0)), "s1", ValueError),
        ("2-D-d", lambda: deep.homogeneous_init([0.8, 1.1], [[0.1, 0.2]], np.random.default_rng(0)), "d", ValueError),
        ("margin-W0-rows", lambda: deep.margin(np.ones((2, 3)), ONES((3, 3))), "W0", ValueError),
        ("margin-W0-columns", lambda: deep.margin(np.ones((2, 3)), ONES((2, 2))), "W0", ValueError),
        ("margin-Y-vector", lambda: deep.margin(np.ones(3), ONES((2, 3))), "Y", ValueError),
        ("margin-layer-list-for-W0", lambda: deep.margin(Y22, [np.eye(2), "W"]), "W0", TypeError),
        ("not-homogeneous", lambda: deep.homogeneous_rate_bound(np.eye(2), NOT_HOM), "Ws0", ValueError),
        ("loss-bound-not-homogeneous", lambda: deep.loss_bound(np.eye(2), NOT_HOM, T3), "Ws0", ValueError),
        ("Y-does-not-fit", lambda: deep.homogeneous_rate_bound(np.ones((2, 3)), HOM_WS), "Ws0", ValueError),
        ("loss-bound-Y-does-not-fit", lambda: deep.loss_bound(np.ones((2, 3)), HOM_WS, T3), "Ws0", ValueError),
        ("negative-rtol", lambda: deep.homogeneous_rate_bound(Y22, HOM_WS, rtol=-1.0), "rtol", ValueError),
        ("rtol-of-1", lambda: deep.homogeneous_rate_bound(Y22, HOM_WS, rtol=1.0), "rtol", ValueError),
        ("loss-bound-negative-time", lambda: deep.loss_bound(Y22, HOM_WS, [-1.0, 0.0]), "t", ValueError),
        ("loss-bound-unsorted", lambda: deep.loss_bound(Y22, HOM_WS, [0.0, 2.0, 1.0]), "t", ValueError),
        ("loss-bound-wrong-case", lambda: deep.loss_bound(Y22, HOM_WS, T3, bound="Homogeneous"), "bound", ValueError),
    ],
)
def test_bad_input_is_rejected_by_name(label, thunk, argument, error):
    edges.rejects(thunk, argument, error)


def test_the_messages_say_what_to_fix():
    with pytest.raises(ValueError, match=r"Ws0\[0\] \(W_1\) has shape \(4, 3\): this bound is proved for square"):
        deep.homogeneous_rate_bound(np.ones((2, 3)), WS23)
    with pytest.raises(ValueError, match=r"Ws\[1\] \(W_2\) has shape"):
        deep.imbalance_lower_bounds(RECT)
    with pytest.raises(ValueError, match="d is infeasible"):
        deep.homogeneous_init([0.1, 0.2], [-0.5], np.random.default_rng(0))
    with pytest.raises(ValueError, match="s1 must be >= 0"):
        deep.homogeneous_init([-0.1], [0.5], np.random.default_rng(0))
    with pytest.raises(ValueError, match="D_1 .* is not a multiple of the identity"):
        _common.homogeneous_offsets("Ws", [np.eye(2), np.diag([1.0, 2.0])], 1e-10)
    with pytest.raises(ValueError, match="bound must be one of"):
        deep.loss_bound(np.eye(2), [np.eye(2)] * 2, T3, bound="other")
    with pytest.raises(ValueError, match="W0 has 3 rows"):
        deep.margin(np.ones((2, 3)), np.ones((3, 3)))


# ----------------------------------------------------------------------------------
# homogeneous imbalance: the structure of homogeneous_init
# ----------------------------------------------------------------------------------

SEED = st.integers(0, 2**32 - 1)
LOG_SCALE = st.floats(-6.0, 4.0)  # scale = 10 ** LOG_SCALE: 1e-6 .. 1e4
T_END = st.one_of(
    st.just(0.0), st.floats(-3.0, 2.0).map(lambda v: 10.0**v), st.floats(2.0, 6.0).map(lambda v: 10.0**v), st.just(1e6)
)


@st.composite
def homogeneous_layers(draw, max_n=40, max_depth=5):
    """(s1, d, rng): n = 1 .. max_n, L = 2 .. max_depth, s1 of scale 1e-6 .. 1e4, d from 0 to large, any signs."""
    n = draw(st.integers(1, max_n))
    L = draw(st.integers(2, max_depth))
    rng = np.random.default_rng(draw(SEED))
    scale = 10.0 ** draw(LOG_SCALE)
    s1 = scale * rng.uniform(0.0, 1.0, n) ** draw(st.sampled_from([1.0, 0.0]))  # spread out, or all equal
    size = draw(st.sampled_from([0.0, 1e-12, 1.0, 1e4])) * scale**2  # imbalance 0 .. large against s1^2
    d = size * rng.uniform(-1.0, 3.0, L - 1)
    c = np.concatenate([[0.0], np.cumsum(d)])
    s1 = np.sqrt(s1**2 + max(0.0, -c.min()))  # feasible: every s1^2 + c_l >= 0
    return s1, d, rng


@settings(max_examples=edges.examples(40))
@given(layers=homogeneous_layers())
def test_homogeneous_init_has_the_stated_structure(layers):
    """D_l = d_l I (lem-deep-aligned), recovered by the homogeneity test; the bounds from D alone.

    Rounding: each layer is O_(l+1) S_l O_l^T and D_l a difference of two Gram matrices,
    so D_l - d_l I is rounding of size <= 10 n eps (||W_(l+1)||_2^2 + ||W_l||_2^2).
    """
    s1, d, rng = layers
    n, L = s1.size, d.size + 1
    Ws = deep.homogeneous_init(s1, d, rng)
    assert len(Ws) == L and all(W.shape == (n, n) for W in Ws) and edges.all_finite(Ws)
    c = np.concatenate([[0.0], np.cumsum(d)])
    scales = np.array([np.linalg.norm(Ws[l + 1], 2) ** 2 + np.linalg.norm(Ws[l], 2) ** 2 for l in range(L - 1)])
    for l, D in enumerate(deep.conserved_quantities(Ws)):
        assert np.linalg.norm(D - d[l] * np.eye(n), 2) <= 10 * n * EPS * scales[l]
    d_hat = _common.homogeneous_offsets("Ws", Ws, 1e-10)
    assert np.all(np.abs(d_hat - d) <= 10 * n * EPS * scales)
    # the singular values: S_l^2 = S_1^2 + c_l
    top = float(np.max(s1**2 + c.max()))
    for l, W in enumerate(Ws):
        sv2 = np.sort(np.linalg.svd(W, compute_uv=False) ** 2)
        np.testing.assert_allclose(sv2, np.sort(s1**2 + c[l]), rtol=0, atol=10 * n * EPS * top)
    # imbalance_lower_bounds: beta_l <= sigma_min(W_l)^2; under D_l = d_l I, with the thinnest
    # layer at 0 it is exact: beta_l = c_l - min c (Weyl's inequality is an equality here)
    beta = deep.imbalance_lower_bounds(Ws)
    smin2 = np.array([np.linalg.svd(W, compute_uv=False)[-1] ** 2 for W in Ws])
    assert np.all(beta <= smin2 + 10 * n * EPS * top)
    np.testing.assert_allclose(beta, c - c.min(), rtol=0, atol=10 * n * EPS * top + 1e-300)
    # imbalance_rate_bound = 2 rho_d(0) under homogeneous imbalance: each beta_j is off by at
    # most delta = 10 n eps top, so kappa by at most
    # 2 sum_i [prod_(j != i) (beta_j + delta) - prod_(j != i) beta_j]
    kappa = deep.imbalance_rate_bound(Ws)
    delta = 10 * n * EPS * top
    b0 = c - c.min()
    slack = 2 * sum(
        math.prod(b0[j] + delta for j in range(L) if j != i) - math.prod(b0[j] for j in range(L) if j != i)
        for i in range(L)
    )
    assert abs(kappa - 2 * deep.rate_factor(0.0, d)) <= 2 * slack + 1e-12 * kappa
    # a relative perturbation far above rtol breaks the structure, and is refused by name
    if n >= 2 and np.linalg.norm(Ws[0]) > 0:
        bent = [Ws[0] @ np.diag(np.linspace(1.0, 1.5, n)), *Ws[1:]]
        # thm-deep-homogeneous needs D_l = d_l I: refused by name; thm-deep-imbalance does not
        Yb = deep.product(bent)
        with pytest.raises(ValueError, match=r"Ws0: D_1"):
            deep.homogeneous_rate_bound(Yb, bent)
        with pytest.raises(ValueError, match=r"Ws0: D_1"):
            deep.loss_bound(Yb, bent, [0.0, 1e6], bound="homogeneous")
        assert math.isfinite(deep.imbalance_rate_bound(bent))
        assert np.all(np.isfinite(deep.loss_bound(Yb, bent, [0.0, 1e6], bound="imbalance")))


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


@given(problem=homogeneous_problems())
def test_the_thinnest_direction_is_a_scalar_network(problem):
    """lem-deep-aligned: sigma_min(W)^2 = prod_l (s_1 + c_l), the layer squares of sigma_min(W)."""
    Y, Ws0, d = problem
    c = np.concatenate([[0.0], np.cumsum(d)])
    s1 = np.linalg.svd(Ws0[0], compute_uv=False)[::-1] ** 2
    sigma = np.linalg.svd(deep.product(Ws0), compute_uv=False)[-1]
    np.testing.assert_allclose(deep.layer_squares(sigma, d), s1[0] + c, atol=1e-8)


def _check_below(loss, bound):
    """loss <= bound up to the solver's error; compared only where the bound is above round-off."""
    keep = bound > 1e-12 * bound[0]
    assert np.all(loss[keep] <= bound[keep] * (1 + 1e-6) + 1e-15)


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
        alpha = deep.homogeneous_rate_bound(Y, Ws0)
        assert math.isclose(alpha, 2 * math.hypot(lam, 2 * mu), rel_tol=1e-9, abs_tol=1e-9)
        assert math.isclose(deep.imbalance_rate_bound(Ws0), 2 * abs(lam), rel_tol=1e-9, abs_tol=1e-9)


@st.composite
def patterned_problems(draw):
    """Square layers with a prescribed band of singular values per layer: definite imbalances of any pattern."""
    n = draw(st.integers(1, 3))
    L = draw(st.integers(2, 4))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    Ws0 = []
    for a in rng.choice([0.3, 0.8, 1.4], size=L):
        Q1, _ = np.linalg.qr(rng.standard_normal((n, n)))
        Q2, _ = np.linalg.qr(rng.standard_normal((n, n)))
        Ws0.append(Q1 @ np.diag(a * rng.uniform(1.0, 1.2, n)) @ Q2.T)
    return rng.standard_normal((n, n)), Ws0


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
    D1, D2_ = deep.conserved_quantities(Ws0)
    valley = np.linalg.eigvalsh(-D1)[0] * np.linalg.eigvalsh(D2_)[0]
    assert valley > 0 and deep.imbalance_rate_bound(Ws0) >= 2 * valley * (1 - 1e-12)


@settings(max_examples=edges.examples(60))
@given(
    L=st.integers(1, 4), m=st.integers(1, 4), n=st.integers(1, 4), extra=st.integers(0, 30), log_scale=LOG_SCALE,
    seed=SEED,
)
def test_local_rate_and_margin_at_any_point(L, m, n, extra, log_scale, seed):
    """prop-deep-local-rate at arbitrary points: -d loss/dt = sum ||grad_l||^2 >= local_rate * loss.

    The margin against Weyl's inequality for a W with ||Y - W|| <= ||Y - W0||.
    """
    rng = np.random.default_rng(seed)
    scale = 10.0**log_scale
    dims = [n] + [min(m, n) + int(rng.integers(0, extra + 1)) for _ in range(L - 1)] + [m]
    Ws = [scale * rng.standard_normal((dims[i + 1], dims[i])) for i in range(L)]
    Y = rng.standard_normal((m, n))
    grads = deep.vector_field(Y, Ws)
    W = deep.product(Ws)
    lo = deep.loss(Y, Ws)
    rate = deep.local_rate(Ws)
    assert math.isfinite(rate) and rate >= 0
    speed = sum(float(np.sum(g * g)) for g in grads)
    # rounding in the eigenvalues: relative 10 (sum dims) eps of the largest Gram entry
    assert speed >= rate * lo * (1 - 1e-9) - 10 * sum(dims) * EPS * speed - 1e-300
    mu = deep.margin(Y, W)
    assert math.isfinite(mu) and mu >= 0
    sv = np.linalg.svd(Y, compute_uv=False)
    assert mu == pytest.approx(max(sv[-1] - np.linalg.norm(Y - W), 0.0), rel=1e-12, abs=0.0)
    # Weyl: any W' at least as close to Y has sigma_min(W') >= mu
    Wp = Y + rng.uniform(0, 1) * (W - Y)
    assert np.linalg.svd(Wp, compute_uv=False)[-1] >= mu - 1e-12 * (sv[0] + np.linalg.norm(W))


# ----------------------------------------------------------------------------------
# the bounds along actual trajectories at the extremes (sweeps)
# ----------------------------------------------------------------------------------


def _check_bounds_along_a_homogeneous_flow(s1, d, rng, noise, t_end):
    c = np.concatenate([[0.0], np.cumsum(d)])
    top = math.sqrt(float(np.max(s1**2)) + max(0.0, float(c.max()))) + 1e-300  # the largest layer (2-norm)
    if d.size >= 2 and (top > 10**0.5 or top < 1e-3):
        # L >= 3: scales 1e-3 .. 10 ** 0.5 here, d rescaled with s1^2. Deep flows at layer
        # scale s relax at rates up to s^(2(L - 1)) while a target far from W(0) keeps them
        # moving: stiff AND not at rest, so the implicit solver needs tens of thousands of
        # steps. test_network's extremes test covers L >= 3 up to 1e4; L = 2 keeps the full
        # range 1e-6 .. 1e4 here.
        s1, d = s1 * (1.0 / top), d * (1.0 / top) ** 2
    Ws0 = deep.homogeneous_init(s1, d, rng)
    n = s1.size
    W0 = deep.product(Ws0)
    Y = W0 + noise * (np.linalg.norm(W0) + 1e-3) * rng.standard_normal((n, n))
    t = np.unique([0.0, min(1.0, t_end), t_end])
    run = deep.gradient_flow(Y, Ws0, t)
    tol = 2.0 * layer_error(run.Ws)
    alpha = deep.homogeneous_rate_bound(Y, Ws0)
    kappa = deep.imbalance_rate_bound(Ws0)
    mu = deep.margin(Y, W0)
    L = len(Ws0)
    assert all(math.isfinite(v) and v >= 0 for v in (alpha, kappa, mu))
    assert alpha >= 2 * L * mu ** (2 - 2 / L) * (1 - 1e-9) and alpha >= kappa * (1 - 1e-9)
    for bound in ("homogeneous", "imbalance"):
        b = deep.loss_bound(Y, Ws0, t, bound=bound)
        assert np.all(np.isfinite(b)) and b[0] == pytest.approx(run.loss[0], rel=1e-12)
        check_loss_below(run.loss, b, run.W, Y, tol)
    beta = deep.imbalance_lower_bounds(Ws0)
    size2 = max(float(np.max(np.linalg.norm(W, axis=(1, 2)))) for W in run.Ws) ** 2
    for k in range(t.size):
        layers_k = [W[k] for W in run.Ws]
        smin = np.linalg.svd(run.W[k], compute_uv=False)[-1]
        assert smin >= mu - tol * (np.linalg.norm(run.W[k]) + np.linalg.norm(Y))
        s2 = np.array([np.linalg.svd(W, compute_uv=False)[-1] ** 2 for W in layers_k])
        assert np.all(s2 >= beta - 2 * tol * size2)
        # the local rate is at least 2 rho_d(mu) along the flow (the proof of
        # thm-deep-homogeneous); the layers carry the relative error tol, their products L tol,
        # plus the rounding of the smallest eigenvalues of the Gram matrices A A^T, B^T B
        # (absolute, 10 n eps times their largest eigenvalue), which matters when alpha is ~ 0
        big = max(float(np.linalg.norm(W, 2)) for W in layers_k) ** 2
        rounding = 2 * L * 10 * n * EPS * big ** (L - 1)
        assert deep.local_rate(layers_k) >= alpha * (1 - 4 * L * tol) - rounding


@pytest.mark.sweep
@settings(max_examples=edges.examples(10))
@given(layers=homogeneous_layers(max_n=3, max_depth=4), noise=st.floats(-3.0, 1.0).map(lambda v: 10.0**v), t_end=T_END)
def test_bounds_hold_along_homogeneous_flows(layers, noise, t_end):
    """thm-deep-homogeneous and thm-deep-imbalance on the flow they bound, at the extremes.

    loss(t) <= loss(0) exp(-alpha t) for both rates, sigma_min(W(t)) >= margin,
    sigma_min(W_l(t))^2 >= beta_l, local_rate >= 2 rho_d(mu) at every point, up to the
    flow's error.
    """
    _check_bounds_along_a_homogeneous_flow(*layers, noise, t_end)


@pytest.mark.sweep
def test_a_balanced_flow_that_leaves_a_saddle_late_is_integrated_to_the_end():
    """Three balanced 2 x 2 layers, det W(0) < 0 < det Y, noise 10, t_end = 1e6.

    The exact flow keeps the sign of det W and tends to a rank-one saddle; along the vanishing
    direction each layer's singular value s obeys s' ~ -s^2 (|y_2| + s^3), so s ~ 1 / (|y_2| t).
    Near t = 4e4 that field is below the rounding of the converged directions, the computed
    flow crosses s = 0 and runs to Y on a time scale of 1e-4: the integrator must follow that
    fast transient long after a stiff stretch. The bounds are upper bounds on the loss, so
    they hold for either end point.
    """
    rng = np.random.default_rng(2)
    s1 = 10.0 * rng.uniform(0.0, 1.0, 2)  # the draws of homogeneous_layers for this case
    d = 0.0 * rng.uniform(-1.0, 3.0, 2)
    _check_bounds_along_a_homogeneous_flow(s1, d, rng, 10.0, 1e6)
