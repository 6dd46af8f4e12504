"""The closed forms of chapter 3 (scalar, spectral, Riccati) against independent solves.

References used here, none of them the code under test:

* ``ode_scalar`` / ``ode_matrix``: scipy ``solve_ivp`` on the (u, v) or (U, V) gradient
  flow written from the notation page (Radau with the exact Jacobian for the scalar,
  LSODA for matrices), rtol 1e-12;
* ``talk_formula``: the talk's closed form with its constant c, evaluated in 80-digit
  arithmetic (mpmath), so that e^{2gt} is harmless even at t = 1e6;
* ``overparam.flow.gradient_flow`` (DOP853 on the width-free system), a second solver.

Tolerance conventions (fixed from the accuracy of the references, not tuned):

* scalar, against the ODE: ``|x - x_ref| <= 1e-9 * S`` with ``S = max(|y|, u0^2 + v0^2)``
  (the solver controls the error in (u, v) relative to their size, so the error of
  x = uv scales with u^2 + v^2);
* scalar, against the 80-digit talk formula: ``|x - x_ref| <= 1e-13 * max(|y|, |x0|)``,
  round-off level;
* matrices, against an ODE: max entry of ``|W - W_ref| <= 1e-9 * S`` with
  ``S = max(||Y||_2, ||U0||_2^2, ||V0||_2^2)``;
* two closed forms against each other: ``<= 1e-12 * S``;
* at large t (1e3 to 1e6) against a limit known exactly (y, 0, Y, or the best rank
  n - 1 approximation of Y for a start that cannot reach Y): ``<= 1e-12`` to ``1e-13``
  relative where the rates are known to be large enough, ``1e-9 * S`` for random
  instances, whose slowest rate is not controlled.

The largest error seen for each comparison is kept in ``WORST`` and printed at the end
of the module (``pytest -s``).
"""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.integrate import solve_ivp

from overparam import riccati, scalar, spectral
from overparam.flow import gradient_flow

SETTINGS = settings(deadline=None)  # max_examples and derandomize come from the profile in conftest.py
# Times in units of 1 / scale. Against an ODE solver, matrix runs stop at 8 / scale: past
# a saddle (a mode with u = v = 0, or a balanced start that cannot reach Y) the solver's
# round-off, about 1e-16, grows like e^{sigma t} <= e^{scale t} through the cross terms
# U V^T, so the reference itself is no better than 1e-16 e^8 ~ 3e-13 there.
TAU = np.array([0.0, 0.05, 0.2, 0.5, 1.0, 2.0, 4.0, 8.0])
TAU_SCALAR = np.append(TAU, 20.0)  # the scalar has no cross terms: its noise grows like (1e-16 e^{gt})^2

WORST: dict[str, list[float]] = {}


def record(name: str, err: float, t_max: float) -> None:
    """Keep the largest (normalised) error and the largest time of each comparison."""
    old = WORST.setdefault(name, [0.0, 0.0])
    old[0] = max(old[0], float(err))
    old[1] = max(old[1], float(t_max))


@pytest.fixture(scope="module", autouse=True)
def report_worst_errors():
    yield
    print("\nlargest normalised errors (comparison: error, largest t):")
    for name, (err, t_max) in sorted(WORST.items()):
        print(f"  {name:45s} {err:9.2e}   t <= {t_max:.3g}")


# ---------------------------------------------------------------------------------------
# Independent references


def ode_scalar(y, u0, v0, t):
    """x = uv from Radau on u' = (y - uv) v, v' = (y - uv) u, with the exact Jacobian."""

    def rhs(_s, z):
        r = y - z[0] * z[1]
        return [r * z[1], r * z[0]]

    def jac(_s, z):
        c = y - 2.0 * z[0] * z[1]
        return [[-z[1] ** 2, c], [c, -z[0] ** 2]]

    size = max(np.hypot(u0, v0), 1e-300)
    sol = solve_ivp(rhs, (0.0, t[-1]), [u0, v0], method="Radau", t_eval=t, jac=jac, rtol=1e-12, atol=1e-15 * size)
    assert sol.success
    return sol.y[0] * sol.y[1]


def ode_factors(Y, U0, V0, t):
    """(U, V) from LSODA on U' = (Y - UV^T) V, V' = (Y - UV^T)^T U."""
    m, k = U0.shape
    n = V0.shape[0]

    def rhs(_s, z):
        U = z[: m * k].reshape(m, k)
        V = z[m * k :].reshape(n, k)
        E = Y - U @ V.T
        return np.concatenate([(E @ V).ravel(), (E.T @ U).ravel()])

    size = max(np.linalg.norm(U0, 2), np.linalg.norm(V0, 2), 1e-300)
    sol = solve_ivp(
        rhs, (0.0, t[-1]), np.concatenate([U0.ravel(), V0.ravel()]), method="LSODA", t_eval=t, rtol=1e-12, atol=1e-15 * size
    )
    assert sol.success
    return sol.y[: m * k].T.reshape(-1, m, k), sol.y[m * k :].T.reshape(-1, n, k)


def ode_matrix(Y, U0, V0, t):
    """W = U V^T from :func:`ode_factors`."""
    U, V = ode_factors(Y, U0, V0, t)
    return U @ np.swapaxes(V, 1, 2)


def talk_formula(y, u0, v0, t):
    """The talk's x(t) with its constant c, in 80-digit arithmetic (exact inputs u0, v0, y)."""
    with mpmath.workdps(80):
        y, u0, v0 = mpmath.mpf(y), mpmath.mpf(u0), mpmath.mpf(v0)
        x0, lam = u0 * v0, u0**2 - v0**2
        g = mpmath.sqrt(lam**2 + 4 * y**2)
        den = lam**2 + 4 * x0 * y + mpmath.sqrt((lam**2 + 4 * x0**2) * (lam**2 + 4 * y**2))
        assert den != 0
        c = (y - x0) / den
        out = []
        for ti in t:
            e = mpmath.exp(g * mpmath.mpf(ti))
            num = y * e**2 - 2 * c * lam**2 * e - 4 * y * lam**2 * c**2
            out.append(float(num / (e**2 + 8 * y * c * e - 4 * lam**2 * c**2)))
    return np.array(out)


def matrix_scale(Y, U0, V0):
    """S = max(||Y||_2, ||U0||_2^2, ||V0||_2^2): the size of W, and of the rates."""
    return max(np.linalg.norm(Y, 2), np.linalg.norm(U0, 2) ** 2, np.linalg.norm(V0, 2) ** 2, 1e-300)


def times(S):
    return TAU / S if S > 1e-300 else TAU  # S = 1e-300: everything is zero


# ---------------------------------------------------------------------------------------
# 1. The scalar closed form

magnitudes = st.floats(-3.0, 2.0).map(lambda e: 10.0**e)
signs = st.sampled_from([-1.0, 1.0])


@st.composite
def scalar_problems(draw):
    """(y, u0, v0) over scales 1e-3..1e2, balanced or not, with exact zeros sometimes."""
    y = draw(st.one_of(st.just(0.0), st.builds(lambda s, a: s * a, signs, magnitudes)))
    kind = draw(st.sampled_from(["general", "general", "balanced", "one zero", "near balanced"]))
    u0 = draw(signs) * np.sqrt(draw(magnitudes))
    if kind == "general":
        v0 = draw(signs) * np.sqrt(draw(magnitudes))
    elif kind == "balanced":
        v0 = draw(signs) * u0
    elif kind == "near balanced":
        v0 = draw(signs) * u0 * (1.0 + draw(st.sampled_from([1e-12, -1e-9, 1e-6, -1e-3])))
    else:
        v0 = draw(signs) * np.sqrt(draw(magnitudes))
        u0, v0 = draw(st.sampled_from([(0.0, v0), (u0, 0.0)]))
    return y, float(u0), float(v0)


@SETTINGS
@given(scalar_problems())
def test_scalar_closed_form_matches_an_independent_ode_solve(problem):
    y, u0, v0 = problem
    S = max(abs(y), u0**2 + v0**2)
    lam = u0**2 - v0**2
    if u0 * v0 * y < 0 and abs(lam) < 1e-6 * (u0**2 + v0**2):
        # Nearly balanced on the wrong side: x must cross 0, and when it does is set by
        # lambda0 = u^2 - v^2, which a solver in (u, v) holds only to about
        # 1e-16 (u^2 + v^2) / |lambda0| relatively. No reference at 1e-9 here; the
        # 80-digit test below covers these cases.
        return
    t = TAU_SCALAR / S
    x = scalar.closed_form(t, y, u0, v0)
    ref = ode_scalar(y, u0, v0, t)
    err = np.max(np.abs(x - ref)) / S
    record("scalar vs Radau (/ S)", err, t[-1])
    assert err <= 1e-9, (problem, err)


@SETTINGS
@given(scalar_problems(), st.lists(st.floats(-3.0, 6.0), min_size=1, max_size=6))
def test_scalar_closed_form_matches_the_talk_formula_in_high_precision(problem, log_t):
    y, u0, v0 = problem
    x0, lam = u0 * v0, u0**2 - v0**2
    if lam == 0.0 and x0 * y <= 0.0 and x0 != y:
        return  # the talk's c has a zero denominator here; covered by the tests below
    t = np.concatenate([[0.0], np.sort(10.0 ** np.array(log_t))])
    x = scalar.closed_form(t, y, u0, v0)
    ref = talk_formula(y, u0, v0, t)
    assert np.all(np.isfinite(x))
    err = np.max(np.abs(x - ref)) / max(abs(y), abs(x0), 1e-300)
    record("scalar vs 80-digit talk formula (/ max|y|,|x0|)", err, t[-1])
    assert err <= 1e-13, (problem, err)


@pytest.mark.parametrize(
    "y, u0, v0, limit",
    [
        (1.0, 0.0, 0.0, 0.0),  # u0 = v0 = 0: a stationary (saddle) point
        (1.0, 0.8, 0.8, 1.0),  # balanced, x0 y > 0: the Saxe sigmoid, to y
        (-2.0, 0.8, 0.8, 0.0),  # balanced, x0 y < 0: to 0, never to y
        (2.0, 0.8, -0.8, 0.0),  # the same with the signs of v0 and y flipped
        (0.0, 0.8, 0.8, None),  # y = 0, balanced: x0 / (1 + 2|x0| t), algebraic
        (0.0, 0.3, -1.1, 0.0),  # y = 0, imbalanced: exponential at rate |lambda0|
        (1.5, 1.0, 1.5, 1.5),  # x0 = y: stationary
        (-1.0, 0.0, 2.0, -1.0),  # x0 = 0 but imbalanced: leaves the origin
        (1e-3, 10.0, 10.0, 1e-3),  # slow: balanced, tiny target, large start
        (1e2, 1e-2, 1e-2, 1e2),  # fast and stiff, starting near the saddle
        (-1.0, 1.0, 1.0 + 1e-12, -1.0),  # nearly balanced with x0 y < 0: crosses 0 late
    ],
)
def test_scalar_degenerate_cases_against_the_ode_and_their_limits(y, u0, v0, limit):
    S = max(abs(y), u0**2 + v0**2, 1e-300)
    t = np.unique(np.concatenate([TAU_SCALAR / max(S, 1.0), [10.0, 50.0]]))
    x = scalar.closed_form(t, y, u0, v0)
    err = np.max(np.abs(x - ode_scalar(y, u0, v0, t))) / max(S, 1.0)
    record("scalar degenerate vs Radau (/ max(S, 1))", err, t[-1])
    assert err <= 1e-9
    assert np.all(np.isfinite(scalar.closed_form([1e3, 1e4], y, u0, v0)))
    big = np.array([1e5, 1e6])
    xb = scalar.closed_form(big, y, u0, v0)
    x0 = u0 * v0
    expected = x0 / (1.0 + 2.0 * abs(x0) * big) if limit is None else np.full(2, limit)
    record("scalar at t = 1e6 vs exact limit (abs)", np.max(np.abs(xb - expected)), big[-1])
    np.testing.assert_allclose(xb, expected, rtol=1e-14, atol=1e-300)


def test_balanced_cases_match_the_logistic_solutions_in_high_precision():
    # For lambda0 = 0 the induced flow is x' = 2 (y - x)|x|; these are its exact
    # solutions (separation of variables), checked here at 80 digits with mpmath's ODE
    # solver at moderate t and by their asymptotics at large t.
    for y, u0, v0 in [(1.0, 0.5, 0.5), (-1.5, 0.7, 0.7), (1.5, 0.7, -0.7), (0.0, 0.7, 0.7), (0.25, 1.2, 1.2)]:
        t = np.array([0.0, 0.3, 1.0, 2.5])
        x = scalar.closed_form(t, y, u0, v0)
        with mpmath.workdps(40):
            sol = mpmath.odefun(lambda _s, z: 2 * (y - z) * abs(z), 0, mpmath.mpf(u0) * v0)
            ref = np.array([float(sol(ti)) for ti in t])
        err = np.max(np.abs(x - ref)) / max(abs(y), u0 * u0)
        record("scalar balanced vs 40-digit ODE (/ max|y|,|x0|)", err, t[-1])
        assert err <= 1e-13


@SETTINGS
@given(scalar_problems())
def test_convergence_rate_is_the_decay_rate_of_the_gap(problem):
    y, u0, v0 = problem
    x0, lam = u0 * v0, u0**2 - v0**2
    g = scalar.convergence_rate(y, u0, v0)
    assert g == pytest.approx(np.hypot(lam, 2 * y), rel=1e-15)
    if lam == 0.0 or x0 == y:
        return  # balanced (may not converge to y) or stationary
    # In exact arithmetic (the 80-digit talk formula), x - y = -2 c g^2 e^{-gt} / (1 + O(e^{-gt}))
    # with an O(.) constant of at most 4 g |c|: past t0 = (40 + log(1 + 4 g |c|)) / g the
    # slope of log|x - y| is -g, and |x - y| e^{gt} is 2 |c| g^2, to about e^{-40}.
    with mpmath.workdps(80):
        yy, uu, vv = mpmath.mpf(y), mpmath.mpf(u0), mpmath.mpf(v0)
        x0m, lm = uu * vv, uu**2 - vv**2
        c = (yy - x0m) / (lm**2 + 4 * x0m * yy + mpmath.sqrt((lm**2 + 4 * x0m**2) * (lm**2 + 4 * yy**2)))
        gm = mpmath.sqrt(lm**2 + 4 * yy**2)

        def gap(tt):
            e = mpmath.exp(gm * tt)
            x = (yy * e**2 - 2 * c * lm**2 * e - 4 * yy * lm**2 * c**2) / (e**2 + 8 * yy * c * e - 4 * lm**2 * c**2)
            return abs(x - yy)

        t0 = (40 + mpmath.log(1 + 4 * gm * abs(c))) / gm
        slope = mpmath.log(gap(t0) / gap(t0 + 1 / gm)) * gm
        constant = gap(t0) * mpmath.exp(gm * t0)
    assert float(slope) == pytest.approx(g, rel=1e-12)
    assert float(constant) == pytest.approx(float(2 * abs(c) * gm**2), rel=1e-12)


def test_scalar_closed_form_is_the_one_by_one_matrix_flow():
    t = np.linspace(0.0, 6.0, 13)
    for y, u0, v0 in [(0.7, -0.4, 1.3), (-2.0, 1.0, 1.0), (0.0, 0.5, 2.0)]:
        W = gradient_flow([[y]], [[u0]], [[v0]], t, rtol=1e-12, atol=1e-14).W[:, 0, 0]
        err = np.max(np.abs(W - scalar.closed_form(t, y, u0, v0))) / max(abs(y), u0**2 + v0**2)
        record("scalar vs gradient_flow (/ S)", err, t[-1])
        assert err <= 1e-9


# ---------------------------------------------------------------------------------------
# 2. Spectral initialization


@st.composite
def spectral_problems(draw):
    """Y with repeated and zero singular values, and a spectral (U0, V0) built either with
    spectral.initialization or directly from other SVD bases of Y than numpy's."""
    m, n = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    p = min(m, n)
    k = draw(st.integers(1, 5))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    scale = draw(magnitudes)
    sig = []
    for _ in range(p):
        kind = draw(st.sampled_from(["new", "new", "repeat", "zero"]))
        if kind == "repeat" and sig:
            sig.append(sig[-1])
        elif kind == "zero":
            sig.append(0.0)
        else:
            sig.append(scale * draw(st.floats(0.1, 3.0)))
    sig = np.sort(np.array(sig))[::-1]
    Phi = spectral.random_orthogonal(m, rng)
    Psi = spectral.random_orthogonal(n, rng)
    Sigma = np.zeros((m, n))
    Sigma[np.arange(p), np.arange(p)] = sig
    Y = Phi @ Sigma @ Psi.T

    def entries(size):
        out = []
        for _ in range(size):
            kind = draw(st.sampled_from(["random", "random", "zero"]))
            if kind == "zero":
                out.append(0.0)
            else:
                out.append(np.sqrt(scale) * draw(st.floats(0.1, 2.0)) * draw(signs))
        return np.array(out)

    s_u = entries(min(m, k))
    s_v = entries(min(n, k))
    # make some modes exactly balanced (|s_u| = |s_v|), with either sign
    for i in range(min(s_u.size, s_v.size)):
        if draw(st.booleans()):
            s_v[i] = draw(signs) * abs(s_u[i])
    R = spectral.random_orthogonal(k, rng)
    if draw(st.booleans()):
        U0, V0 = spectral.initialization(Y, k, s_u, s_v, R=R)
    else:
        S_U = np.zeros((m, k))
        S_U[np.arange(s_u.size), np.arange(s_u.size)] = s_u
        S_V = np.zeros((n, k))
        S_V[np.arange(s_v.size), np.arange(s_v.size)] = s_v
        U0, V0 = Phi @ S_U @ R.T, Psi @ S_V @ R.T
    return Y, U0, V0


@SETTINGS
@given(spectral_problems())
def test_spectral_closed_form_matches_independent_solves(problem):
    Y, U0, V0 = problem
    S = matrix_scale(Y, U0, V0)
    t = times(S)
    W = spectral.closed_form(Y, U0, V0, t)
    assert W.shape == (t.size,) + Y.shape
    err = np.max(np.abs(W - ode_matrix(Y, U0, V0, t))) / S
    record("spectral vs LSODA (/ S)", err, t[-1])
    assert err <= 1e-9
    W2 = gradient_flow(Y, U0, V0, t, rtol=1e-12, atol=1e-14 * S).W
    err = np.max(np.abs(W - W2)) / S
    record("spectral vs gradient_flow (/ S)", err, t[-1])
    assert err <= 1e-9


@SETTINGS
@given(spectral_problems())
def test_spectral_modes_are_the_scalar_flows(problem):
    Y, U0, V0 = problem
    md = spectral.modes(Y, U0, V0)
    p = min(Y.shape)
    np.testing.assert_allclose(md.sigma, np.linalg.svd(Y, compute_uv=False), atol=1e-12 * matrix_scale(Y, U0, V0))
    np.testing.assert_allclose(md.rate, np.sqrt(md.lambda0**2 + 4 * md.sigma**2))
    # the bases are orthogonal, and W(t) is diagonal in them with the scalar flows on the diagonal
    np.testing.assert_allclose(md.Phi.T @ md.Phi, np.eye(Y.shape[0]), atol=1e-12)
    np.testing.assert_allclose(md.Psi.T @ md.Psi, np.eye(Y.shape[1]), atol=1e-12)
    S = matrix_scale(Y, U0, V0)
    t = times(S)
    W = spectral.closed_form(Y, U0, V0, t)
    D = md.Phi.T @ W @ md.Psi
    x = spectral.mode_trajectories(Y, U0, V0, t)
    np.testing.assert_allclose(D[:, np.arange(p), np.arange(p)], x, atol=1e-12 * S)
    D[:, np.arange(p), np.arange(p)] = 0.0
    assert np.max(np.abs(D)) <= 1e-12 * S
    for i in range(p):
        # each mode is the scalar flow with y = sigma_i, x0 and lambda0 of that mode
        u0 = np.sqrt(0.5 * (np.hypot(md.lambda0[i], 2 * md.x0[i]) + md.lambda0[i]))
        v0 = (1.0 if md.x0[i] >= 0 else -1.0) * np.sqrt(max(0.5 * (np.hypot(md.lambda0[i], 2 * md.x0[i]) - md.lambda0[i]), 0.0))
        xi = scalar.closed_form(t, md.sigma[i], u0, v0)
        assert np.max(np.abs(xi - x[:, i])) <= 1e-12 * S


def test_initialization_builds_the_stated_matrices():
    rng = np.random.default_rng(5)
    Y = rng.standard_normal((3, 5))
    R = spectral.random_orthogonal(4, rng)
    U0, V0 = spectral.initialization(Y, 4, [1.0, -2.0, 0.5], [0.3, 0.0, 1.0, 2.0], R=R)
    Phi, s, PsiT = np.linalg.svd(Y)
    S_U = np.zeros((3, 4))
    S_U[[0, 1, 2], [0, 1, 2]] = [1.0, -2.0, 0.5]
    S_V = np.zeros((5, 4))
    S_V[[0, 1, 2, 3], [0, 1, 2, 3]] = [0.3, 0.0, 1.0, 2.0]
    np.testing.assert_allclose(U0, Phi @ S_U @ R.T, atol=1e-14)
    np.testing.assert_allclose(V0, PsiT.T @ S_V @ R.T, atol=1e-14)
    # the imbalance is R diag(s_u^2 - s_v^2) R^T
    np.testing.assert_allclose(U0.T @ U0 - V0.T @ V0, R @ np.diag([1 - 0.09, 4.0, 0.25 - 1.0, -4.0]) @ R.T, atol=1e-13)
    U0, V0 = spectral.initialization(Y, 3, [1.0, 1.0, 1.0], [1.0, 1.0, 1.0])
    np.testing.assert_allclose(U0.T @ U0, np.eye(3), atol=1e-14)


def test_spectral_degenerate_cases():
    rng = np.random.default_rng(11)
    Phi, Psi = spectral.random_orthogonal(4, rng), spectral.random_orthogonal(3, rng)
    Sigma = np.zeros((4, 3))
    Sigma[[0, 1, 2], [0, 1, 2]] = [2.0, 2.0, 0.0]  # repeated and zero singular values
    Y = Phi @ Sigma @ Psi.T
    R = spectral.random_orthogonal(5, rng)
    S_U = np.zeros((4, 5))
    # mode 0 imbalanced, mode 1 a saddle (u = v = 0) sharing sigma = 2, mode 2 on the null
    # space of Y (y = 0, balanced: algebraic decay), and an unpaired direction phi_4
    S_U[[0, 1, 2, 3], [0, 1, 2, 3]] = [1.5, 0.0, 0.7, 0.9]
    S_V = np.zeros((3, 5))
    S_V[[0, 1, 2], [0, 1, 2]] = [0.2, 0.0, 0.7]
    U0, V0 = Phi @ S_U @ R.T, Psi @ S_V @ R.T
    t = np.array([0.0, 0.5, 1.0, 2.0, 4.0])  # sigma t <= 8: the ODE leaves the saddle later (see TAU)
    W = spectral.closed_form(Y, U0, V0, t)
    err = np.max(np.abs(W - ode_matrix(Y, U0, V0, t))) / matrix_scale(Y, U0, V0)
    record("spectral degenerate vs LSODA (/ S)", err, t[-1])
    assert err <= 1e-9
    x = spectral.mode_trajectories(Y, U0, V0, [0.0, 1e6])
    # at t = 1e6: the imbalanced mode reached 2, the saddle stayed at 0, the null mode
    # decays like 0.49 / (1 + 0.98 t). (Its computed sigma_3 is round-off, ~1e-16, not 0,
    # which changes that law by a relative sigma_3 t ~ 1e-10: hence rtol 1e-9 there.)
    # A zero singular value of Y leaves the signs of its singular vectors free: the SVD
    # may return (phi_3, psi_3) or (-phi_3, psi_3), and the mode value phi_3^T W psi_3
    # changes sign with that choice (it does across BLAS kernels). Its absolute value, a
    # singular value of W, and the product x_3 phi_3 psi_3^T in W are determined.
    expected = np.array([2.0, 0.0, 0.49 / (1 + 0.98e6)])
    np.testing.assert_allclose(x[1, :2], expected[:2], rtol=1e-9, atol=1e-300)
    np.testing.assert_allclose(np.abs(x[1, 2]), expected[2], rtol=1e-9)
    record("spectral at t = 1e6 vs exact limit (rel)", np.max(np.abs(np.abs(x[1]) - expected) / np.maximum(expected, 1e-300)), 1e6)
    # W(1e6) itself, against the singular vectors the test built: Phi diag(x) Psi^T
    W_late = spectral.closed_form(Y, U0, V0, [1e6])[0]
    # (to 1e-3 of the smallest mode, so that a wrong sign of x_3 phi_3 psi_3^T would show)
    assert np.abs(W_late - Phi[:, :3] @ np.diag(expected) @ Psi.T).max() < 1e-3 * expected[2]
    # Y = 0 and W0 = 0: nothing moves, whatever the (non-aligned) factors are
    W = spectral.closed_form(np.zeros((1, 1)), [[1.0, 0.0]], [[0.0, 1.0]], [0.0, 1.0])
    assert np.all(W == 0.0)
    # k < min(m, n): the modes without parameters stay at 0
    U0, V0 = spectral.initialization(Y[:3], 2, [1.0, 1.0], [1.0, 1.0])
    t = np.array([0.0, 1.0, 5.0])
    W = spectral.closed_form(Y[:3], U0, V0, t)
    assert np.max(np.abs(W - ode_matrix(Y[:3], U0, V0, t))) <= 1e-9 * matrix_scale(Y[:3], U0, V0)


@pytest.mark.parametrize("case", ["random", "swapped modes", "not rank one", "off by 1e-6"])
def test_spectral_rejects_non_spectral_initializations(case):
    rng = np.random.default_rng(2)
    Y = np.diag([3.0, 1.0])
    if case == "random":
        U0, V0 = rng.standard_normal((2, 2)), rng.standard_normal((2, 2))
    elif case == "swapped modes":  # U0 = Phi S_U, V0 = Psi S_V P with a permutation P != I
        U0, V0 = np.diag([1.0, 2.0]), np.array([[0.0, 1.0], [3.0, 0.0]])
    elif case == "not rank one":  # W0 = 0, U0^T phi_1 orthogonal to V0^T psi_1
        Y, U0, V0 = np.array([[1.0]]), np.array([[1.0, 0.0]]), np.array([[0.0, 1.0]])
    else:
        U0, V0 = spectral.initialization(Y, 2, [1.0, 0.5], [0.5, 1.0])
        U0 = U0 + 1e-6 * rng.standard_normal(U0.shape)
    with pytest.raises(ValueError, match=r"\(U0, V0\) is not a spectral initialization"):
        spectral.closed_form(Y, U0, V0, [0.0, 1.0])


# ---------------------------------------------------------------------------------------
# 3. The Riccati closed form


def homogeneous_init(rng, m, n, k, lam, scale):
    """(U0, V0) with U0^T U0 - V0^T V0 = lam I_k (k <= m if lam > 0, k <= n if lam < 0)."""

    def orth(rows, cols):
        return np.linalg.qr(rng.standard_normal((rows, cols)))[0][:, :cols]

    def sqrtm(C):
        w, E = np.linalg.eigh(C)
        return E @ np.diag(np.sqrt(np.maximum(w, 0.0))) @ E.T

    if lam > 0:
        V0 = np.sqrt(scale) * rng.standard_normal((n, k))
        U0 = orth(m, k) @ sqrtm(lam * np.eye(k) + V0.T @ V0)
    elif lam < 0:
        U0 = np.sqrt(scale) * rng.standard_normal((m, k))
        V0 = orth(n, k) @ sqrtm(-lam * np.eye(k) + U0.T @ U0)
    else:  # balanced: U0 = O_m B, V0 = O_n B with B of rank r <= min(m, n, k)
        r = min(m, n, k)
        B = np.sqrt(scale) * rng.standard_normal((r, k))
        U0, V0 = orth(m, r) @ B, orth(n, r) @ B
    return U0, V0


@st.composite
def riccati_problems(draw):
    m, n = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    sign = draw(st.sampled_from([0.0, 1.0, -1.0]))
    kmax = m if sign > 0 else n if sign < 0 else 5
    k = draw(st.integers(min(m, n), max(kmax, min(m, n))))
    scale = draw(magnitudes)
    lam = sign * scale * draw(st.sampled_from([1e-3, 0.3, 1.0, 5.0, 30.0]))  # imbalance from tiny to large
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    Y = scale * rng.standard_normal((m, n))
    if draw(st.booleans()) and min(m, n) > 1:  # rank-deficient target
        Y[:, 0] = 0.0
    U0, V0 = homogeneous_init(rng, m, n, k, lam, scale)
    return Y, U0, V0


@SETTINGS
@given(riccati_problems())
def test_riccati_closed_form_matches_independent_solves(problem):
    Y, U0, V0 = problem
    S = matrix_scale(Y, U0, V0)
    t = times(S)
    W = riccati.closed_form(Y, U0, V0, t)
    err = np.max(np.abs(W - ode_matrix(Y, U0, V0, t))) / S
    record("riccati vs LSODA (/ S)", err, t[-1])
    assert err <= 1e-9
    W2 = gradient_flow(Y, U0, V0, t, rtol=1e-12, atol=1e-14 * S).W
    err = np.max(np.abs(W - W2)) / S
    record("riccati vs gradient_flow (/ S)", err, t[-1])
    assert err <= 1e-9


def balanced_square_with_the_wrong_sign(Y, U0, V0):
    """Balanced, m = n and det(W0) det(Y) < 0: then U = O V with det O fixed, so det W(t)
    keeps the sign of det W0 and W can never reach Y (the matrix version of x0 y < 0)."""
    S = matrix_scale(Y, U0, V0)
    balanced = np.max(np.abs(U0.T @ U0 - V0.T @ V0)) <= 1e-12 * S
    return balanced and Y.shape[0] == Y.shape[1] and np.linalg.det(U0 @ V0.T) * np.linalg.det(Y) < 0


@SETTINGS
@given(riccati_problems())
def test_riccati_stays_finite_and_accurate_at_large_times(problem):
    Y, U0, V0 = problem
    S = matrix_scale(Y, U0, V0)
    t = np.array([0.0, 1e3, 1e4, 1e6])
    W = riccati.closed_form(Y, U0, V0, t)
    assert np.all(np.isfinite(W))
    if balanced_square_with_the_wrong_sign(Y, U0, V0):
        # The exact flow converges to a saddle, the best approximation of Y of rank n - 1
        # (Eckart-Young); an ODE solver gets there too but later leaves it, pushed by
        # round-off, so it is no reference here.
        Phi, s, PsiT = np.linalg.svd(Y)
        best = Y - s[-1] * np.outer(Phi[:, -1], PsiT[-1])
        err = np.max(np.abs(W[-1] - best)) / S
        record("riccati at t = 1e6, stuck case, vs rank n-1 limit (/ S)", err, t[-1])
        assert err <= 1e-9
        return
    err = np.max(np.abs(W - ode_matrix(Y, U0, V0, t))) / S
    record("riccati at t <= 1e6 vs LSODA (/ S)", err, t[-1])
    assert err <= 1e-9


@pytest.mark.parametrize("m, n, k, lam", [(3, 3, 3, 1.0), (3, 2, 3, 0.5), (4, 2, 2, 2.0), (2, 4, 4, -1.0), (2, 4, 2, -3.0)])
def test_riccati_reaches_the_limit_y(m, n, k, lam):
    # sigma_min(Y) >= 0.5 and lambda != 0: every rate is at least 0.05, so at t = 1e3 the
    # flow has reached its limit W = Y to round-off (k >= min(m, n), generic start).
    rng = np.random.default_rng(m + 10 * n + 100 * k)
    Phi, Psi = spectral.random_orthogonal(m, rng), spectral.random_orthogonal(n, rng)
    Sigma = np.zeros((m, n))
    Sigma[np.arange(min(m, n)), np.arange(min(m, n))] = np.linspace(2.0, 0.5, min(m, n))
    Y = Phi @ Sigma @ Psi.T
    U0, V0 = homogeneous_init(rng, m, n, k, lam, 1.0)
    W = riccati.closed_form(Y, U0, V0, [1e3, 1e6])
    err = np.max(np.abs(W - Y)) / matrix_scale(Y, U0, V0)
    record("riccati at t = 1e3, 1e6 vs limit Y (/ S)", err, 1e6)
    assert err <= 1e-13


def test_riccati_agrees_with_the_spectral_closed_form_where_both_apply():
    # A spectral initialization with the same imbalance lambda in every column is
    # homogeneous; it includes a saddle mode (u = v = 0 for lambda = 0) and modes that
    # start on the wrong side (x0 y < 0), so the Riccati form must not let round-off grow.
    rng = np.random.default_rng(7)
    cases = []
    Y = rng.standard_normal((4, 3))
    cases.append((Y, 4, [1.0, 0.0, -0.6, 0.0], [1.0, 0.0, 0.6]))  # lambda = 0, k = 4 > n
    cases.append((Y, 3, [np.sqrt(2.0), np.sqrt(1.25), 1.0], [1.0, -0.5, 0.0]))  # lambda = 1
    cases.append((Y.T, 3, [0.5, 0.0, 1.0], [np.sqrt(4.25), -2.0, np.sqrt(5.0)]))  # lambda = -4, k = m
    cases.append((np.diag([2.0, 2.0, 0.0]), 3, [0.3, -0.3, 0.8], [0.3, 0.3, 0.8]))  # repeated and zero sigma
    t = np.array([0.0, 0.1, 1.0, 5.0, 30.0, 1e3, 1e6])
    for Y, k, s_u, s_v in cases:
        U0, V0 = spectral.initialization(Y, k, s_u, s_v, R=spectral.random_orthogonal(k, rng))
        W1 = spectral.closed_form(Y, U0, V0, t)
        W2 = riccati.closed_form(Y, U0, V0, t)
        S = matrix_scale(Y, U0, V0)
        err = np.max(np.abs(W1 - W2)) / S
        record("riccati vs spectral closed form (/ S)", err, t[-1])
        assert err <= 1e-12


def test_riccati_degenerate_cases():
    rng = np.random.default_rng(3)
    # Z0 = 0 stays at 0; Y = 0 with imbalance: W decays
    assert np.all(riccati.closed_form(np.ones((2, 3)), np.zeros((2, 2)), np.zeros((3, 2)), [0.0, 1e3]) == 0.0)
    for Y, (U0, V0) in [
        (np.zeros((3, 2)), homogeneous_init(rng, 3, 2, 2, 1.0, 1.0)),
        (np.array([[1.0, 0.0], [0.0, 0.0]]), homogeneous_init(rng, 2, 2, 2, 0.0, 1.0)),  # 1/t decay
        (rng.standard_normal((3, 2)), homogeneous_init(rng, 3, 2, 3, 1e-9, 1.0)),  # lambda ~ 0, k = m > n
    ]:
        t = np.array([0.0, 0.5, 2.0, 10.0, 100.0, 1e3])
        W = riccati.closed_form(Y, U0, V0, t)
        S = matrix_scale(Y, U0, V0)
        err = np.max(np.abs(W - ode_matrix(Y, U0, V0, t))) / S
        record("riccati degenerate vs LSODA (/ S)", err, t[-1])
        assert err <= 1e-9


def test_balanced_square_start_with_the_wrong_determinant_sign_gets_stuck():
    # U0 = B, V0 = diag(1, -1) B is balanced with det W0 = -det(B)^2 < 0 < det Y: W can
    # never reach Y, and the exact flow converges to the saddle diag(2, 0), the best
    # rank-one approximation of Y. (An ODE solver follows it until round-off, grown like
    # e^{(sigma_1 + sigma_2) t}, pushes it off, so it is compared only up to t = 8 / S.)
    rng = np.random.default_rng(8)
    Y = np.diag([2.0, 1.0])
    B = rng.standard_normal((2, 2))
    U0, V0 = B, np.diag([1.0, -1.0]) @ B
    S = matrix_scale(Y, U0, V0)
    t = times(S)
    W = riccati.closed_form(Y, U0, V0, t)
    err = np.max(np.abs(W - ode_matrix(Y, U0, V0, t))) / S
    record("riccati stuck case vs LSODA (/ S)", err, t[-1])
    assert err <= 1e-9
    W = riccati.closed_form(Y, U0, V0, [1e3, 1e6])
    err = np.max(np.abs(W - np.diag([2.0, 0.0]))) / S
    record("riccati at t = 1e6, stuck case, vs rank n-1 limit (/ S)", err, 1e6)
    assert err <= 1e-12


def test_stacked_matrix_and_riccati_rhs():
    rng = np.random.default_rng(4)
    Y = rng.standard_normal((4, 2))
    lam = 0.7
    A = riccati.stacked_matrix(Y, lam)
    s = np.linalg.svd(Y, compute_uv=False)
    mu = np.sqrt(lam**2 / 4 + s**2)
    # eigenvalues: +-mu_i, and lambda/2 repeated m - n = 2 times
    np.testing.assert_allclose(np.sort(np.linalg.eigvalsh(A)), np.sort(np.concatenate([mu, -mu, [lam / 2] * 2])))
    # Q = Z Z^T from an ODE solve of (U, V) satisfies Q' = AQ + QA - Q^2 (central difference)
    U0, V0 = homogeneous_init(rng, 4, 2, 3, lam, 1.0)
    h = 1e-4
    U, V = ode_factors(Y, U0, V0, np.array([0.0, 0.3 - h, 0.3, 0.3 + h]))
    Q = [np.concatenate([U[i], V[i]]) @ np.concatenate([U[i], V[i]]).T for i in (1, 2, 3)]
    np.testing.assert_allclose((Q[2] - Q[0]) / (2 * h), riccati.riccati_rhs(Q[1], A), atol=1e-6)
    # and the closed form solves it too: its W block moves like the ODE's
    W = riccati.closed_form(Y, U0, V0, [0.3])
    np.testing.assert_allclose(W[0], Q[1][:4, 4:], atol=1e-10)


# ---------------------------------------------------------------------------------------
# Bad input


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: scalar.closed_form([0.0], np.ones(2), 1.0, 1.0), ValueError, "y must be a scalar"),
        (lambda: scalar.closed_form([0.0], 1.0, np.nan, 1.0), ValueError, "u0 must be finite"),
        (lambda: scalar.closed_form([0.0], 1.0, 1.0, 1j), ValueError, "v0 must be a real number"),
        (lambda: scalar.closed_form([0.0, np.inf], 1.0, 1.0, 1.0), ValueError, "t must have finite"),
        (lambda: scalar.closed_form([-1.0], 1.0, 1.0, 1.0), ValueError, "t must be >= 0"),
        (lambda: scalar.closed_form(-0.5, 1.0, 1.0, 1.0), ValueError, "t must be >= 0"),
        (lambda: scalar.closed_form(["a"], 1.0, 1.0, 1.0), TypeError, "t must hold real numbers"),
        (lambda: scalar.closed_form([0.0], "1", 1.0, 1.0), TypeError, "y must be a real number"),
        (lambda: scalar.convergence_rate(1.0, None, 1.0), TypeError, "u0"),
        (lambda: spectral.initialization(np.eye(2), 3, [1.0], [1.0, 1.0]), ValueError, "s_u has shape"),
        (lambda: spectral.initialization(np.eye(2), 2, [1.0, 1.0], [1.0]), ValueError, "s_v has shape"),
        (lambda: spectral.initialization(np.eye(2), 0, [], []), ValueError, "k must be a positive integer"),
        (lambda: spectral.initialization(np.eye(2), 2, [1, 1], [1, 1], R=np.ones((2, 2))), ValueError, "R must be orthogonal"),
        (lambda: spectral.initialization(np.eye(2), 2, [1, 1], [1, 1], R=np.eye(3)), ValueError, "R has 3 rows"),
        (lambda: spectral.random_orthogonal(3, 0), TypeError, "rng must be a numpy.random.Generator"),
        (lambda: spectral.closed_form(np.eye(2), np.eye(3), np.eye(2), [0.0]), ValueError, "U0 has 3 rows"),
        (lambda: spectral.closed_form(np.eye(2), np.eye(2), np.ones((2, 3)), [0.0]), ValueError, "V0 has 3 columns"),
        (lambda: spectral.closed_form(np.eye(2), np.eye(2), np.eye(2), [-1.0]), ValueError, "t must be >= 0"),
        (lambda: spectral.closed_form(np.eye(2), np.eye(2), np.eye(2), [0.0], rtol=0.0), ValueError, "rtol must be positive"),
        (lambda: spectral.closed_form(np.eye(2), [[1.0, 2.0], [0.0, 1.0]], np.eye(2), [0.0]), ValueError, "U0, V0"),
        (lambda: riccati.closed_form(np.eye(2), [[1.0, 0.0], [0.0, 2.0]], np.eye(2), [0.0]), ValueError, "U0, V0 need a homogeneous imbalance"),
        (lambda: riccati.closed_form(np.ones((1, 2)), [[2.0, 0.0]], [[1.0, 0.0], [0.0, 0.0]], [0.0]), ValueError, "k = 2 > m = 1"),
        (lambda: riccati.closed_form(np.eye(2), np.eye(2), np.eye(3), [0.0]), ValueError, "V0 has 3 rows"),
        (lambda: riccati.closed_form(np.eye(2), np.eye(2), np.eye(2), [np.inf]), ValueError, "t must have finite"),
        (lambda: riccati.closed_form(np.eye(2), np.eye(2), np.eye(2), [0.0], rtol=-1.0), ValueError, "rtol must be positive"),
        (lambda: riccati.closed_form("Y", np.eye(2), np.eye(2), [0.0]), TypeError, "Y"),
        (lambda: riccati.homogeneous_imbalance(np.eye(2), np.ones((2, 3))), ValueError, "V0 has 3 columns"),
        (lambda: riccati.stacked_matrix(np.eye(2), np.nan), ValueError, "lam must be finite"),
        (lambda: riccati.riccati_rhs(np.eye(2), np.eye(3)), ValueError, "Q has 2 rows"),
    ],
)
def test_bad_input_raises_with_the_argument_named(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_scalar_closed_form_keeps_the_shape_of_t():
    """A closed form needs no ordering: scalars and arrays of any shape are accepted and kept."""
    t = np.array([[0.0, 2.0], [1.0, 0.5]])
    x = scalar.closed_form(t, 1.0, 0.3, 0.2)
    assert x.shape == (2, 2)
    flat = scalar.closed_form(np.sort(t.ravel()), 1.0, 0.3, 0.2)
    np.testing.assert_array_equal(np.sort(x.ravel()), np.sort(flat))
    assert scalar.closed_form(0.0, 1.0, 0.3, 0.2).shape == ()
    assert float(scalar.closed_form(0.0, 1.0, 0.3, 0.2)) == pytest.approx(0.06, abs=1e-15)


@pytest.mark.parametrize("m, n, k, lam", [(5, 3, 4, 1.5), (3, 5, 4, -0.7), (4, 4, 4, 0.0), (2, 6, 2, 0.0), (6, 2, 3, 2.0)])
def test_riccati_initialization_has_the_requested_imbalance(m, n, k, lam):
    rng = np.random.default_rng(11)
    U0, V0 = riccati.initialization(m, n, k, lam, 0.5, rng)
    assert U0.shape == (m, k) and V0.shape == (n, k)
    np.testing.assert_allclose(U0.T @ U0 - V0.T @ V0, lam * np.eye(k), atol=1e-12 * (1 + abs(lam)))
    assert riccati.homogeneous_imbalance(U0, V0) == pytest.approx(lam, abs=1e-12)


@pytest.mark.parametrize(
    "args, error, message",
    [
        ((3, 5, 4, 1.0, 0.5), ValueError, "k = 4 > m = 3"),
        ((5, 3, 4, -1.0, 0.5), ValueError, "k = 4 > n = 3"),
        ((3, 3, 0, 1.0, 0.5), ValueError, "k must be >= 1"),
        ((3, 3, 2, 1.0, -0.5), ValueError, "scale must be positive"),
        ((3, 3, 2, np.nan, 0.5), ValueError, "lam must be finite"),
        ((3.0, 3, 2, 1.0, 0.5), TypeError, "m must be an int"),
    ],
)
def test_riccati_initialization_bad_input(args, error, message):
    with pytest.raises(error, match=message):
        riccati.initialization(*args, np.random.default_rng(0))
    with pytest.raises(TypeError, match="rng"):
        riccati.initialization(3, 3, 2, 1.0, 0.5, 0)
