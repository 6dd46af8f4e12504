r"""Closed forms against the ODE solve they replace, at 10^4 time points in [0, 10].

Cases (chapter 3 of the book):

scalar
    overparam.scalar.closed_form(y, u0, v0, t) against overparam.scalar.flow (the ODE for
    (u, v), DOP853 at its defaults rtol 1e-10, atol 1e-12): y = 1.5, u0 = 0.1, v0 = 0.05.
spectral
    overparam.spectral.closed_form against overparam.flow.gradient_flow (defaults): Y is the
    20 x 20 matrix of the flow benchmark, k = 20, a spectral start Phi S_U O^T, Psi S_V O^T
    with diagonals of size 0.05-0.2 and a random orthogonal O.
riccati
    overparam.riccati.closed_form against gradient_flow: the same Y, k = 10, a start with
    homogeneous imbalance lambda = 0.5 (overparam.riccati.initialization, scale 0.1).

Accuracy is measured against an independent reference (scipy solve_ivp, DOP853, rtol 1e-13,
stopping exactly at each of 200 check times spread over the grid) as
max_t |error(t)| / max_t |reference(t)| (Frobenius norms for matrices).
"""

from __future__ import annotations

import math
import time

import numpy as np
from scipy.integrate import solve_ivp

N_TIMES = 10_000
T_END = 10.0
N_CHECK = 200


def _grid():
    t = np.linspace(0.0, T_END, N_TIMES)
    check = np.linspace(0, N_TIMES - 1, N_CHECK).round().astype(int)
    return t, check


def _reference(Y, U0, V0, times, rtol=1e-13):
    """W(t) from solve_ivp (DOP853) on (U, V), stopping exactly at each time."""
    m, k = U0.shape
    n = V0.shape[0]

    def rhs(_t, z):
        U, V = z[: m * k].reshape(m, k), z[m * k :].reshape(n, k)
        G = Y - U @ V.T
        return np.concatenate([(G @ V).ravel(), (G.T @ U).ravel()])

    z = np.concatenate([U0.ravel(), V0.ravel()])
    atol = 1e-3 * rtol * math.sqrt(np.mean(z * z))
    out, t_now = [], 0.0
    for t in times:
        if t > t_now:
            z = solve_ivp(rhs, (t_now, t), z, method="DOP853", rtol=rtol, atol=atol).y[:, -1]
            t_now = t
        out.append(z[: m * k].reshape(m, k) @ z[m * k :].reshape(n, k).T)
    return np.array(out)


def _gap(W, W_ref) -> float:
    W, W_ref = np.asarray(W, float), np.asarray(W_ref, float)
    axes = tuple(range(1, W.ndim))
    diff = np.sqrt(np.sum((W - W_ref) ** 2, axis=axes)) if axes else np.abs(W - W_ref)
    size = np.sqrt(np.sum(W_ref**2, axis=axes)) if axes else np.abs(W_ref)
    return float(np.max(diff) / np.max(size))


def _best_time(fn, min_total=0.5, max_runs=20):
    start = time.perf_counter()
    out = fn()
    best = total = time.perf_counter() - start
    runs = 1
    while runs < max_runs and total < min_total:
        start = time.perf_counter()
        fn()
        elapsed = time.perf_counter() - start
        best, total, runs = min(best, elapsed), total + elapsed, runs + 1
    return out, best


def _matrix_problem():
    rng = np.random.default_rng(20260)  # the Y of the flow benchmark's factorization problem
    return rng.standard_normal((20, 20)) / np.sqrt(20.0)


def task(case: str) -> dict:
    from overparam import riccati, scalar, spectral
    from overparam.flow import gradient_flow

    t, check = _grid()
    if case == "scalar":
        y, u0, v0 = 1.5, 0.1, 0.05
        closed, t_closed = _best_time(lambda: scalar.closed_form(y, u0, v0, t))
        ode, t_ode = _best_time(lambda: scalar.flow(y, u0, v0, t).x, min_total=0.0)
        ref = _reference(np.array([[y]]), np.array([[u0]]), np.array([[v0]]), t[check])[:, 0, 0]
        size = "m = n = k = 1"
    else:
        Y = _matrix_problem()
        rng = np.random.default_rng(7)
        if case == "spectral":
            k = 20
            s_u, s_v = rng.uniform(0.05, 0.2, 20), rng.uniform(0.05, 0.2, 20)
            U0, V0 = spectral.initialization(Y, k, s_u, s_v, O=spectral.random_orthogonal(k, rng))
            closed_fn = spectral.closed_form
        else:
            k = 10
            U0, V0 = riccati.initialization(20, 20, k, 0.5, 0.1, rng)
            closed_fn = riccati.closed_form
        closed, t_closed = _best_time(lambda: closed_fn(Y, U0, V0, t))
        ode, t_ode = _best_time(lambda: gradient_flow(Y, U0, V0, t).W, min_total=0.0)
        ref = _reference(Y, U0, V0, t[check])
        size = f"m = n = 20, k = {k}"
    return {
        "case": case,
        "size": size,
        "points": int(t.size),
        "closed_time": t_closed,
        "ode_time": t_ode,
        "closed_error": _gap(closed[check], ref),
        "ode_error": _gap(ode[check], ref),
    }
