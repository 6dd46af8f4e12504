r"""Gradient flow to a fixed time at widths k = 10 ... 10^5: the problems, the reference, plain GD.

Two problems (both with the initialization U0, V0 of i.i.d. N(0, sigma^2 / k) entries,
sigma = 0.1, so that the Gram matrix Z0 Z0^T has the same scale at every width):

factorization
    m = n = 20, Y with i.i.d. N(0, 1/20) entries, X = I.
regression
    experiment A's data (overparam.regression.experiment_a_data: X is 100 x 400 with all
    singular values 1, Y = X Theta + noise is 100 x 1), so m = 400, n = 1.

The flow runs to T = 10; accuracy is the largest relative error
||W(t) - W_ref(t)||_F / ||W_ref(t)||_F over t in {2.5, 5, 7.5, 10}.

The reference does not use overparam's flow code. It rests on an exact reduction: the flow
(and plain gradient descent too) maps Z = [U; V] to Pi(t) Z with an (m+n) x (m+n) matrix
Pi(t) that depends on Z only through Z Z^T, so a thin QR factorization Z1^T = Q R of the
moving rows Z1 = [Phi_1^T U; V] (Phi_1: row space of X; the rows Phi_2^T U in the null
space of X never move) gives a system of width at most r + n with the same W(t). That
system is integrated with scipy's solve_ivp (DOP853, rtol 1e-13, stopping at each check
time); a second solve at rtol 1e-12 estimates the reference's own error.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.integrate import solve_ivp

PROBLEMS = ("factorization", "regression")
WIDTHS = (10, 100, 1_000, 10_000, 100_000)
T_END = 10.0
CHECK_TIMES = (2.5, 5.0, 7.5, 10.0)
SIGMA = 0.1
FLOW_TARGET = 1e-8
GD_TARGET = 1e-4
SEEDS = {"factorization": 20260, "regression": 20261}


def problem(name: str):
    """(Y, X, m, n) of a benchmark problem; X is None for factorization."""
    rng = np.random.default_rng(SEEDS[name])
    if name == "factorization":
        return rng.standard_normal((20, 20)) / np.sqrt(20.0), None, 20, 20
    from overparam.regression import experiment_a_data

    data = experiment_a_data(rng)
    return data.Y, data.X, data.X.shape[1], data.Y.shape[1]


def initialization(name: str, k: int):
    """(U0, V0) with i.i.d. N(0, SIGMA^2 / k) entries, the same draw on every call."""
    from overparam.regression import gaussian_initialization

    _, _, m, n = problem(name)
    rng = np.random.default_rng([SEEDS[name], k])
    s = SIGMA / math.sqrt(k)
    return gaussian_initialization(m, n, k, rng, sigma_U=s, sigma_V=s)


def relative_error(W, W_ref) -> float:
    """max_t ||W(t) - W_ref(t)||_F / ||W_ref(t)||_F over the check times."""
    W, W_ref = np.asarray(W), np.asarray(W_ref)
    return float(max(np.linalg.norm(a - b) / np.linalg.norm(b) for a, b in zip(W, W_ref, strict=True)))


def atol_for(U0: np.ndarray, V0: np.ndarray, rtol: float) -> float:
    """Absolute tolerance used with ``rtol``: 1e-3 rtol times the RMS entry of Z0 (nearly relative control)."""
    rms = math.sqrt((np.sum(U0 * U0) + np.sum(V0 * V0)) / (U0.size + V0.size))
    return 1e-3 * rtol * rms


# ---------------------------------------------------------------------------------------
# the exact small equivalent (independent of overparam.flow)


@dataclass
class SmallSystem:
    """Moving rows Z1 = [U1; V] (width q <= r + n) of an equivalent start, and how to read W off them.

    W = (B U1 + Cfix) V^T with B = Phi_1 (m x r) and Cfix = Phi_2 C (m x q), constant.
    The dynamics: G1 = X1^T Y - X1^T X1 U1 V^T, U1' = G1 V, V' = G1^T U1, with X1 = X Phi_1.
    """

    U1: np.ndarray
    V: np.ndarray
    B: np.ndarray
    Cfix: np.ndarray
    X1tY: np.ndarray
    X1tX1: np.ndarray

    def W(self, U1, V):
        return (self.B @ U1 + self.Cfix) @ V.T


def small_system(Y, X, U0, V0) -> SmallSystem:
    m, k = U0.shape
    n = V0.shape[0]
    if X is None:
        B, B2, X1 = np.eye(m), np.zeros((m, 0)), np.eye(m)
    else:
        _, s, Rt = np.linalg.svd(X, full_matrices=True)
        r = int(np.sum(s > max(X.shape) * np.finfo(float).eps * s[0]))
        B, B2 = Rt[:r].T, Rt[r:].T
        X1 = X @ B
    r = B.shape[1]
    Z1 = np.vstack([B.T @ U0, V0])
    C = B2.T @ U0
    if k > r + n:
        Q, R = np.linalg.qr(Z1.T)  # Z1 = R^T Q^T: keep R^T, and C Q for the fixed rows
        Z1, C = R.T, C @ Q
    return SmallSystem(U1=Z1[:r], V=Z1[r:], B=B, Cfix=B2 @ C, X1tY=X1.T @ Y, X1tX1=X1.T @ X1)


def reference(sys_: SmallSystem, rtol: float) -> np.ndarray:
    """W at the check times from solve_ivp (DOP853), stopping exactly at each check time."""
    r, q = sys_.U1.shape
    n = sys_.V.shape[0]

    def rhs(_t, z):
        U1, V = z[: r * q].reshape(r, q), z[r * q :].reshape(n, q)
        G = sys_.X1tY - sys_.X1tX1 @ (U1 @ V.T)
        return np.concatenate([(G @ V).ravel(), (G.T @ U1).ravel()])

    z = np.concatenate([sys_.U1.ravel(), sys_.V.ravel()])
    atol = 1e-3 * rtol * math.sqrt(np.mean(z * z))
    out, t_now = [], 0.0
    for t in CHECK_TIMES:
        sol = solve_ivp(rhs, (t_now, t), z, method="DOP853", rtol=rtol, atol=atol)
        if not sol.success:  # pragma: no cover
            raise RuntimeError(sol.message)
        z, t_now = sol.y[:, -1], t
        out.append(sys_.W(z[: r * q].reshape(r, q), z[r * q :].reshape(n, q)))
    return np.array(out)


def small_gd(sys_: SmallSystem, n_steps: int) -> np.ndarray:
    """Gradient descent with step T / n_steps on the small system; W at the check times (n_steps % 4 == 0)."""
    eta = T_END / n_steps
    record = {n_steps * (i + 1) // len(CHECK_TIMES) for i in range(len(CHECK_TIMES))}
    U1, V = sys_.U1.copy(), sys_.V.copy()
    A, b = sys_.X1tX1, sys_.X1tY
    out = []
    for j in range(1, n_steps + 1):
        G = b - A @ (U1 @ V.T)
        U1, V = U1 + eta * (G @ V), V + eta * (G.T @ U1)
        if j in record:
            out.append(sys_.W(U1, V))
    return np.array(out)


def _up4(x: float) -> int:
    return 4 * max(1, math.ceil(x / 4))


def gd_step_search(sys_: SmallSystem, W_ref: np.ndarray, target: float = GD_TARGET):
    """The smallest number of steps N (a multiple of 4, to 1 %) whose GD run reaches ``target``.

    Gradient descent is first-order: err(N) ~ a / N + b / N^2. Two runs fix a and b, the
    model predicts N, and runs at N, N * 1.01, ... (or N / 1.01, ...) settle it.
    Returns (N, error at N, error one notch coarser, number of GD runs).
    """
    err = {}

    def e(N):
        if N not in err:
            err[N] = relative_error(small_gd(sys_, N), W_ref)
        return err[N]

    n0, n1 = 2000, 4000
    e0, e1 = e(n0), e(n1)
    b = (e0 * n0 - e1 * n1) / (1 / n0 - 1 / n1)
    a = e0 * n0 - b / n0
    if a <= 0:  # pragma: no cover - not first order after all; fall back to a / N
        a, b = e1 * n1, 0.0
    N = _up4((a + math.sqrt(max(a * a + 4 * target * b, 0.0))) / (2 * target))
    if e(N) <= target:
        while (lower := _up4(N / 1.01)) < N and e(lower) <= target:
            N = lower
    else:
        while e(N) > target:
            N = _up4(N * 1.01)
    coarser = _up4(N / 1.01)
    return N, e(N), e(coarser), len(err)


# ---------------------------------------------------------------------------------------
# what a user would otherwise write: plain gradient descent on (U, V), full width


def plain_gd(Y, X, U, V, step: float, n_steps: int, record: set[int] = frozenset()):
    """U <- U + step X^T (Y - X U V^T) V, V <- V + step (Y - X U V^T)^T X U; W at the recorded steps."""
    out = []
    for j in range(1, n_steps + 1):
        if X is None:
            G = Y - U @ V.T
        else:
            G = X.T @ (Y - X @ (U @ V.T))
        U, V = U + step * (G @ V), V + step * (G.T @ U)
        if j in record:
            out.append(U @ V.T)
    return np.array(out)
