"""Tests of overparam.deep.network: the product, the loss, the field, the flow, conservation.

Independent references: an LSODA solve of the layer flow written with explicit matrix
products (``reference_deep_flow``), ``overparam.flow.gradient_flow`` and conftest's
``reference_flow`` for L = 2, finite differences of the loss for the field.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from scipy.integrate import odeint

import edges
from conftest import reference_flow, relative_gap
from overparam import deep
from overparam.flow import gradient_flow as two_layer_flow

EPS = np.finfo(float).eps
TIMES = np.linspace(0.0, 3.0, 7)
T3 = np.array([0.0, 0.5, 1.0])

_r = np.random.default_rng(0)
Y23 = _r.standard_normal((2, 3))
WS23 = [_r.standard_normal((4, 3)), _r.standard_normal((2, 4))]  # W_1: 4 x 3, W_2: 2 x 4
XR = _r.standard_normal((6, 2))  # regression: Y (6, 3), X (6, 2), W (2, 3)
YR = _r.standard_normal((6, 3))
RUN = edges.lazy(lambda: deep.gradient_flow(Y23, WS23, T3))

CALLS = {
    "deep.product": edges.call(deep.product, WS23),
    "deep.loss": edges.call(deep.loss, YR, WS23, X=XR),
    "deep.vector_field": edges.call(deep.vector_field, YR, WS23, X=XR),
    "deep.gradient_flow": edges.call(deep.gradient_flow, YR, WS23, T3, X=XR, rtol=1e-8, atol=1e-10),
    "deep.conserved_quantities": edges.call(deep.conserved_quantities, WS23),
    "deep.conservation_drift": edges.call(deep.conservation_drift, RUN),
}


# ----------------------------------------------------------------------------------
# bad input the mechanical mutations do not reach
# ----------------------------------------------------------------------------------

ONES = np.ones
INF_LAST = [WS23[0], WS23[1].copy()]
INF_LAST[1][0, 0] = np.inf  # a non-finite entry in the LAST layer (the mutations reach the first)
STR_MATRIX = np.array([["a"] * 4] * 2)

# (label, Y, Ws, X, argument named, error): for every function of (Y, Ws, X)
PROBLEMS = [
    ("W1-columns-not-n", Y23, [ONES((4, 2)), ONES((2, 4))], None, "Ws", ValueError),
    ("WL-rows-not-m", Y23, [ONES((4, 3)), ONES((3, 4))], None, "Ws", ValueError),
    ("layers-do-not-chain", Y23, [ONES((4, 3)), ONES((2, 5))], None, "Ws", ValueError),
    ("WL-rows-not-columns-of-X", YR, [ONES((4, 3)), ONES((3, 4))], XR, "Ws", ValueError),
    ("X-rows-not-rows-of-Y", Y23, WS23, ONES((3, 2)), "X", ValueError),
    ("Y-empty", np.ones((0, 3)), WS23, None, "Y", ValueError),
    ("4-D-array-for-layers", Y23, ONES((2, 2, 2, 2)), None, "Ws", ValueError),
    ("empty-layer", Y23, [ONES((0, 3)), ONES((2, 0))], None, "Ws", ValueError),
    ("inf-in-last-layer", Y23, INF_LAST, None, "Ws", ValueError),
    ("str-for-layers", Y23, "W1W2", None, "Ws", TypeError),
    ("float-for-layers", Y23, 3.0, None, "Ws", TypeError),
    ("dict-for-layers", Y23, {"W1": WS23[0]}, None, "Ws", TypeError),
    ("generator-of-nothing", Y23, iter(()), None, "Ws", ValueError),
    ("str-matrix-inside", Y23, [WS23[0], STR_MATRIX], None, "Ws", TypeError),
    ("list-of-str-for-X", YR, WS23, [["a", "b"]] * 6, "X", TypeError),
]
PROBLEM_FUNCTIONS = {
    "loss": (lambda Y, Ws, X: deep.loss(Y, Ws, X=X), "Ws"),
    "vector_field": (lambda Y, Ws, X: deep.vector_field(Y, Ws, X=X), "Ws"),
    "gradient_flow": (lambda Y, Ws, X: deep.gradient_flow(Y, Ws, T3, X=X), "Ws0"),
}


@pytest.mark.parametrize("function", sorted(PROBLEM_FUNCTIONS))
@pytest.mark.parametrize("label, Y, Ws, X, argument, error", PROBLEMS, ids=[p[0] for p in PROBLEMS])
def test_a_problem_that_does_not_fit_is_rejected_by_name(function, label, Y, Ws, X, argument, error):
    fn, layers = PROBLEM_FUNCTIONS[function]
    if label == "generator-of-nothing":
        Ws = iter(())  # a fresh one: a parametrized iterator is consumed by the first test
    edges.rejects(lambda: fn(Y, Ws, X), layers if argument == "Ws" else argument, error)


@pytest.mark.parametrize("fn", [deep.product, deep.conserved_quantities], ids=["product", "conserved_quantities"])
@pytest.mark.parametrize(
    "label, Ws, error",
    [
        ("layers-do-not-chain", [ONES((4, 3)), ONES((2, 5))], ValueError),
        ("inf-in-last-layer", INF_LAST, ValueError),
        ("str-for-layers", "W1W2", TypeError),
        ("float-for-layers", 3.0, TypeError),
        ("4-D-array-for-layers", ONES((2, 2, 2, 2)), ValueError),
        ("str-matrix-inside", [ONES((4, 3)), STR_MATRIX], TypeError),
    ],
)
def test_a_bad_list_of_layers_is_rejected_by_name(fn, label, Ws, error):
    edges.rejects(lambda: fn(Ws), "Ws", error)


@pytest.mark.parametrize(
    "label, kwargs, argument",
    [
        ("negative-time", {"t": [-1.0, 0.0]}, "t"),
        ("unsorted-times", {"t": [0.0, 2.0, 1.0]}, "t"),
        ("no-times", {"t": []}, "t"),
        ("zero-rtol", {"rtol": 0.0}, "rtol"),
        ("negative-atol", {"atol": -1e-12}, "atol"),
    ],
)
def test_bad_times_and_tolerances_are_rejected_by_name(label, kwargs, argument):
    args = {"t": T3} | kwargs
    t = args.pop("t")
    edges.rejects(lambda: deep.gradient_flow(Y23, WS23, t, **args), argument)


def test_the_messages_say_what_to_fix():
    with pytest.raises(ValueError, match=r"Ws0\[0\] \(W_1\) has 2 columns but Y has 3"):
        deep.gradient_flow(Y23, [ONES((4, 2)), ONES((2, 4))], T3)
    with pytest.raises(ValueError, match=r"Ws0\[1\] \(W_2\) has 5 columns but Ws0\[0\] \(W_1\) has 4 rows"):
        deep.gradient_flow(Y23, [ONES((4, 3)), ONES((2, 5))], T3)
    with pytest.raises(ValueError, match=r"Ws0\[1\] \(W_2\) has 3 rows but Y has 2 rows"):
        deep.gradient_flow(Y23, [ONES((4, 3)), ONES((3, 4))], T3)
    with pytest.raises(ValueError, match="Ws0 must contain at least one layer"):
        deep.gradient_flow(Y23, [], T3)
    with pytest.raises(ValueError, match="Ws0 must be a sequence"):
        deep.gradient_flow(Y23, np.ones((2, 3)), T3)
    with pytest.raises(ValueError, match=r"Ws\[1\] \(W_2\) has 3 columns"):
        deep.conserved_quantities([np.ones((2, 2)), np.ones((2, 3))])
    with pytest.raises(TypeError, match="run must be a DeepTrajectory"):
        deep.conservation_drift("run")


def _nan_inside(run):
    layers = tuple(W.copy() for W in run.Ws)
    layers[1][1, 0, 0] = np.nan
    return dataclasses.replace(run, Ws=layers)


@pytest.mark.parametrize(
    "label, change, error",
    [
        ("nan-inside-run-Ws", _nan_inside, ValueError),
        ("str-for-run-Ws", lambda r: dataclasses.replace(r, Ws="layers"), TypeError),
        ("str-entries-in-run-Ws", lambda r: dataclasses.replace(r, Ws=(r.Ws[0], np.array([["a"]]))), TypeError),
        ("layers-at-fewer-times", lambda r: dataclasses.replace(r, Ws=(r.Ws[0][:2], r.Ws[1][:2])), ValueError),
        ("layers-do-not-chain", lambda r: dataclasses.replace(r, Ws=(r.Ws[0], r.Ws[1][:, :, :3])), ValueError),
        ("2-D-layer", lambda r: dataclasses.replace(r, Ws=(r.Ws[0][0], r.Ws[1])), ValueError),
        ("unsorted-run-t", lambda r: dataclasses.replace(r, t=r.t[::-1]), ValueError),
        ("empty-run-Ws", lambda r: dataclasses.replace(r, Ws=()), TypeError),
    ],
)
def test_a_broken_trajectory_is_rejected_by_name(label, change, error):
    bad = change(RUN.value())
    edges.rejects(lambda: deep.conservation_drift(bad), "run", error)


# ----------------------------------------------------------------------------------
# the flow against independent solves
# ----------------------------------------------------------------------------------


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
        Ws = [z[sizes[i] : sizes[i + 1]].reshape(shapes[i]) for i in range(len(shapes))]
        W = prod(Ws, shapes[0][1])
        G = Xm.T @ (Y - Xm @ W)
        grads = []
        for i in range(len(Ws)):
            after = prod(Ws[i + 1 :], shapes[i][0])  # W_L ... W_{l+1}
            before = prod(Ws[:i], shapes[0][1])  # W_{l-1} ... W_1
            grads.append((after.T @ G @ before.T).ravel())
        return np.concatenate(grads)

    z = odeint(rhs, np.concatenate([np.ravel(W) for W in Ws0]), t, rtol=1e-12, atol=1e-13, mxstep=100000)
    Ws = [z[:, sizes[i] : sizes[i + 1]].reshape((-1, *shapes[i])) for i in range(len(shapes))]
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


@pytest.mark.parametrize("regression", [False, True], ids=["factorization", "regression"])
@given(data=st.data())
def test_conservation_and_monotone_loss_along_deep_flows(regression, data):
    Y, Ws0, X = data.draw(deep_problems(regression))
    run = deep.gradient_flow(Y, Ws0, TIMES, X=X)
    assert np.all(deep.conservation_drift(run) < 1e-8)
    assert np.all(np.diff(run.loss) <= 1e-9 * run.loss[0] + 1e-15)
    losses = [deep.loss(Y, [W[k] for W in run.Ws], X=X) for k in range(TIMES.size)]
    assert np.allclose(run.loss, losses, rtol=1e-12, atol=1e-15)


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
    Y, X = rng.standard_normal((5, 2)), rng.standard_normal((5, 4))
    Ws = [rng.standard_normal((3, 2)), rng.standard_normal((2, 3)), rng.standard_normal((4, 2))]
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


@settings(max_examples=edges.examples(60))
@given(
    L=st.integers(1, 4), m=st.integers(1, 4), n=st.integers(1, 4), extra=st.integers(0, 30),
    log_scale=st.floats(-6.0, 4.0), regression=st.booleans(), seed=st.integers(0, 2**32 - 1),
)
def test_vector_field_is_the_explicit_products_at_any_point(L, m, n, extra, log_scale, regression, seed):
    """A_l^T G B_l^T with identities for the empty products, at scales 1e-6 .. 1e4.

    Rounding: a few L eps relative to ||A_l|| ||G|| ||B_l|| (and the rounding of G itself).
    """
    rng = np.random.default_rng(seed)
    scale = 10.0**log_scale
    dims = [n] + [min(m, n) + int(rng.integers(0, extra + 1)) for _ in range(L - 1)] + [m]
    Ws = [scale * rng.standard_normal((dims[i + 1], dims[i])) for i in range(L)]
    N = m + int(rng.integers(0, 3))
    X = rng.standard_normal((N, m)) if regression else None
    Y = rng.standard_normal((N, n) if regression else (m, n))
    grads = deep.vector_field(Y, Ws, X=X)
    W = deep.product(Ws)
    Xm = np.eye(m) if X is None else X
    G = Xm.T @ (Y - Xm @ W)
    for l in range(L):
        A = np.eye(m)
        for M in Ws[l + 1 :][::-1]:
            A = A @ M
        B = np.eye(n)
        for M in Ws[:l]:
            B = M @ B
        ref = A.T @ G @ B.T
        nA, nB = np.linalg.norm(A), np.linalg.norm(B)
        size = nA * np.linalg.norm(G) * nB + np.linalg.norm(Xm) ** 2 * nA**2 * nB**2 * np.linalg.norm(Ws[l])
        assert np.linalg.norm(grads[l] - ref) <= 8 * (L + sum(dims) + N) * EPS * size
    lo = deep.loss(Y, Ws, X=X)
    assert math.isfinite(lo) and lo == pytest.approx(0.5 * np.linalg.norm(Y - Xm @ W) ** 2, rel=1e-12)


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
# the flow at the scale and time extremes (sweeps)
# ----------------------------------------------------------------------------------

SEED = st.integers(0, 2**32 - 1)
LOG_SCALE = st.floats(-6.0, 4.0)  # scale = 10 ** LOG_SCALE: 1e-6 .. 1e4
# t = 0 and t = 1e6 exactly, and 1e-3 .. 1e6 log-uniformly (short runs drawn more often)
T_END = st.one_of(
    st.just(0.0), st.floats(-3.0, 2.0).map(lambda v: 10.0**v), st.floats(2.0, 6.0).map(lambda v: 10.0**v), st.just(1e6)
)


def layer_error(Ws_t, rtol=1e-10, atol=1e-12, K=1e3):
    """A bound on the global error of the layers, relative to their size.

    Per step the solver keeps the local error below rtol |z| + atol per entry; the global
    error of these contracting flows stays below K = 1e3 local errors (the agreement tests
    above see 1e-8 at rtol = 1e-10). Relative to ||W_l||_F this is
    K (rtol + atol sqrt(size) / ||W_l||_F), largest for the smallest layer.
    """
    worst = 0.0
    for W in Ws_t:
        size = np.sqrt(W[0].size)
        norms = np.maximum(np.linalg.norm(W, axis=(1, 2)), 1e-300)
        worst = max(worst, float(np.max(K * (rtol + atol * size / norms))))
    return worst


def check_loss_below(loss, bound, W, Y, tol):
    """loss(t) <= bound(t) up to the flow's error.

    An error dW in W moves the loss by at most ||Y - W|| ||dW|| + ||dW||^2 / 2, with
    ||dW|| <= tol (||W|| + ||Y||) (``tol`` from :func:`layer_error`).
    """
    size = np.linalg.norm(W, axis=(1, 2)) + np.linalg.norm(Y)
    dW = tol * size
    slack = np.sqrt(2.0 * np.maximum(loss, 0.0)) * dW + 0.5 * dW**2
    assert np.all(loss <= bound * (1.0 + tol) + slack), (loss, bound, slack)


@st.composite
def deep_starts(draw, depths=(2, 3, 4), max_width=6):
    """(Y, Ws0, t): 1 x 1 .. 3 x 3 targets, hidden widths min(m, n) .. max_width, layer scales 1e-6 .. 1e4."""
    L = draw(st.sampled_from(depths))
    m, n = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    dims = [n] + [draw(st.integers(min(m, n), max_width)) for _ in range(L - 1)] + [m]
    scale = 10.0 ** draw(LOG_SCALE)
    t_end = draw(T_END)
    rng = np.random.default_rng(draw(SEED))
    Ws0 = [scale * rng.standard_normal((dims[i + 1], dims[i])) / math.sqrt(dims[i]) for i in range(L)]
    Y = rng.standard_normal((m, n))
    return Y, Ws0, np.unique([0.0, min(1.0, t_end), t_end])


@pytest.mark.sweep
@settings(max_examples=edges.examples(10))
@given(start=deep_starts())
def test_deep_flow_conserves_and_descends_at_the_extremes(start):
    Y, Ws0, t = start
    run = deep.gradient_flow(Y, Ws0, t)
    assert edges.all_finite(run), "nan or inf along a flow with a finite solution"
    # W, loss and the layers are consistent with product / loss at every recorded time
    for k in range(t.size):
        layers = [W[k] for W in run.Ws]
        np.testing.assert_allclose(run.W[k], deep.product(layers), rtol=0, atol=1e-13 * (1 + np.abs(run.W[k]).max()))
        assert run.loss[k] == pytest.approx(deep.loss(Y, layers), rel=1e-12, abs=1e-300)
    # conservation of D_l, relative to the two terms that cancel: an error e (relative) in
    # the layers moves D_l by at most 2 e (||W_(l+1)||^2 + ||W_l||^2)
    tol = 2.0 * layer_error(run.Ws)
    drift = deep.conservation_drift(run)
    assert drift[0] == 0.0 and np.all(drift <= tol), (drift, tol)
    D0 = deep.conserved_quantities(Ws0)
    Dt = deep.conserved_quantities([W[-1] for W in run.Ws])
    for l, (a, b) in enumerate(zip(D0, Dt, strict=True)):
        size = np.linalg.norm(run.Ws[l + 1][-1]) ** 2 + np.linalg.norm(run.Ws[l][-1]) ** 2
        assert np.linalg.norm(b - a) <= tol * size
    check_loss_below(run.loss[1:], run.loss[:-1], run.W[1:], Y, tol)


@pytest.mark.sweep
@settings(max_examples=edges.examples(10))
@given(
    m=st.integers(1, 3), n=st.integers(1, 3), extra=st.integers(0, 60), log_scale=LOG_SCALE, t_end=T_END, seed=SEED,
)
# drawn by the thorough profile: a start of size 1e4 run to t = 1e6 (a converged flow on a
# field of rounding noise, where the integrator must hand back to its explicit method)
@example(m=1, n=2, extra=47, log_scale=3.994283821975065, t_end=1e6, seed=397)
def test_two_layers_agree_with_the_two_layer_flow(m, n, extra, log_scale, t_end, seed):
    """L = 2 with [V0^T, U0] is overparam.flow.gradient_flow from (U0, V0), widths k = min(m, n) .. min(m, n) + 60."""
    k = min(m, n) + extra
    rng = np.random.default_rng(seed)
    scale = 10.0**log_scale
    Y = rng.standard_normal((m, n))
    U0, V0 = scale * rng.standard_normal((m, k)), scale * rng.standard_normal((n, k))
    t = np.unique([0.0, min(1.0, t_end), t_end])
    run = deep.gradient_flow(Y, [V0.T, U0], t)
    ref = two_layer_flow(Y, U0, V0, t)  # the width-free Gram system: an independent integration
    assert edges.all_finite(run)
    # both solves carry the error of layer_error; W = U V^T carries twice the relative error of
    # a layer each, relative to |U| |V| (not to |W|, which may cancel)
    tol = 4.0 * layer_error(run.Ws)
    gap = np.linalg.norm(run.W - ref.W, axis=(1, 2))
    size = np.linalg.norm(run.Ws[0], axis=(1, 2)) * np.linalg.norm(run.Ws[1], axis=(1, 2)) + 1e-300
    assert np.all(gap <= tol * size), (gap / size, tol)
    np.testing.assert_allclose(
        run.loss, ref.loss, rtol=2 * tol, atol=1e-300 + 2 * tol * np.sqrt(ref.loss[0]) * float(size.max())
    )
