r"""The gradient flow of a two-layer linear network, unchecked (private).

:func:`solve` is the core of :func:`overparam.flow.gradient_flow`; public functions that
run the flow after checking their own inputs (e.g. :func:`overparam.regression.flow_limit`)
call it directly. The two methods and the row-space reduction are described in the
documentation of :mod:`overparam.flow`.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from . import _numerics as _n
from ._ode import integrate

__all__ = ["Solution", "solve"]


class Solution(NamedTuple):
    """The arrays of a :class:`overparam.flow.Trajectory`, without the times."""

    W: np.ndarray
    loss: np.ndarray
    U: np.ndarray | None
    V: np.ndarray | None
    P: np.ndarray | None
    Q: np.ndarray | None


class _Reduction(NamedTuple):
    Phi_1: np.ndarray  # m x r, orthonormal basis of the row space of X
    s: np.ndarray  # the r nonzero singular values of X
    U1: np.ndarray  # r x q, the moving rows of the start in the basis Phi_1
    V: np.ndarray  # n x q
    C: np.ndarray  # m x q, the constant part of U
    Pc: np.ndarray | None  # m x m, the constant part of P (None when zero)


def _row_space_reduction(U0: np.ndarray, V0: np.ndarray, X: np.ndarray) -> _Reduction | None:
    r"""The reduced start of the gram method for data of rank r < m, or None when rank X = m.

    With :math:`\Phi_1` an orthonormal basis of the row space of :math:`X` (from its
    SVD), the part :math:`(I - \Phi_1 \Phi_1^\top) U` of :math:`U` in the null space of
    :math:`X` never moves. Take a factor :math:`F = [F_U; F_V]` of the Gram matrix of
    :math:`[U_0; V_0]` (the start itself when :math:`k \le m + n`); its moving rows
    :math:`F_1 = [\Phi_1^\top F_U; F_V]` are compressed to at most :math:`r + n`
    columns by a QR factorization :math:`F_1^\top = Q_p R_p` (:math:`F_1 \to R_p^\top`).
    The null-space part :math:`N = (I - \Phi_1\Phi_1^\top) F_U` then enters
    :math:`U(t) = \Phi_1 U_1(t) + C` through the constant :math:`C = N Q_p`, and what is
    left, :math:`N - C Q_p^\top`, only adds the constant
    :math:`(N - C Q_p^\top)(N - C Q_p^\top)^\top` to :math:`P = U U^\top`.
    """
    m = U0.shape[0]
    n = V0.shape[0]
    _, s, Rt = np.linalg.svd(X, full_matrices=False)
    r = _n.numerical_rank(s, X.shape)
    if r == m:
        return None
    Phi_1 = Rt[:r].T
    F = _n.narrow_factor(U0, V0)
    F_U, F_V = F[:m], F[m:]
    A = Phi_1.T @ F_U
    F1 = np.vstack([A, F_V])
    N = F_U - Phi_1 @ A
    Pc = None
    if F1.shape[1] > r + n:
        Qp, Rp = np.linalg.qr(F1.T)
        F1 = Rp.T
        C = N @ Qp
        rest = N - C @ Qp.T
        Pc = rest @ rest.T
    else:
        C = N
    return _Reduction(Phi_1, s[:r], F1[:r], F1[r:], C, Pc)


def solve(
    Y: np.ndarray,
    U0: np.ndarray,
    V0: np.ndarray,
    t: np.ndarray,
    X: np.ndarray | None,
    method: str,
    rtol: float,
    atol: float,
) -> Solution:
    """The flow from (U0, V0) at the times t (inputs already checked; see ``gradient_flow``)."""
    m = U0.shape[0]
    n = V0.shape[0]
    if X is None:
        def residual_grad(W):
            return _n.residual_gradient(Y, W)
    else:
        # G = X^T Y - X^T X W with the two products formed once (N may be large)
        XtX = X.T @ X
        XtY = X.T @ Y

        def residual_grad(W):
            return XtY - XtX @ W

    reduced = _row_space_reduction(U0, V0, X) if method == "gram" and X is not None else None
    if reduced is not None:
        # width-free and reduced to the row space of X: integrate [Phi_1^T U; V] with the
        # data X Phi_1 = L_1 diag(s), whose normal matrix is diag(s^2)
        X1tY = (X @ reduced.Phi_1).T @ Y
        s2 = (reduced.s * reduced.s)[:, None]

        def residual_grad(W):
            return X1tY - s2 * W

        U_start, V_start = reduced.U1, reduced.V
        m_eff = reduced.s.size
    elif method == "gram":
        # width-free: integrate the square-root form K = Zs Zs^T with a factor of width <= m + n
        Zs = _n.narrow_factor(U0, V0)
        U_start, V_start = Zs[:m], Zs[m:]
        m_eff = m
    else:
        U_start, V_start = U0, V0
        m_eff = m
    r = U_start.shape[1]
    mr = m_eff * r

    def fun(y):
        U = y[:mr].reshape(m_eff, r)
        V = y[mr:].reshape(n, r)
        G = residual_grad(U @ V.T)
        return np.concatenate([(G @ V).ravel(), (G.T @ U).ravel()])

    states = integrate(fun, np.concatenate([U_start.ravel(), V_start.ravel()]), t, rtol, atol)
    U = states[:, :mr].reshape(len(states), m_eff, r)
    V = states[:, mr:].reshape(len(states), n, r)
    if reduced is not None:
        # U(t), up to a constant part that only adds Pc to P
        U = reduced.Phi_1 @ U + reduced.C[None]
    W = U @ np.swapaxes(V, 1, 2)
    if method == "gram":
        P = U @ np.swapaxes(U, 1, 2)
        if reduced is not None and reduced.Pc is not None:
            P += reduced.Pc[None]
        Q = V @ np.swapaxes(V, 1, 2)
        U = V = None
    else:
        P = Q = None

    R = _n.residual(Y[None], W, None if X is None else X[None])
    losses = 0.5 * np.sum(R * R, axis=(1, 2))
    return Solution(W=W, loss=losses, U=U, V=V, P=P, Q=Q)
