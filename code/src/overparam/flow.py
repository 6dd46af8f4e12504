r"""Gradient flow of a two-layer linear network.

The model is :math:`W = U V^\top` with :math:`U \in \mathbb{R}^{m \times k}`,
:math:`V \in \mathbb{R}^{n \times k}`, trained on

.. math::

    \ell(U, V) = \tfrac12 \lVert Y - X U V^\top \rVert_F^2,

with :math:`X = I` (matrix factorization) when no data matrix is given. The
gradient flow is :math:`\dot U = G V`, :math:`\dot V = G^\top U` with
:math:`G = X^\top (Y - X W)` (book: notation page and chapter 1).

Two ways to integrate it are offered:

``method="params"``
    integrates :math:`(U, V)` themselves, :math:`(m + n) k` unknowns.

``method="gram"``
    integrates the closed, width-free system for :math:`P = U U^\top`,
    :math:`Q = V V^\top`, :math:`W = U V^\top` (book: appendix "Computing the
    flow fast", section "The flow depends on the start only through a Gram matrix"):

    .. math::

        \dot W = G Q + P G, \qquad
        \dot P = G W^\top + W G^\top, \qquad
        \dot Q = G^\top W + W^\top G .

    Its size does not depend on the width :math:`k`. It is integrated in
    square-root form: with :math:`K = \begin{pmatrix} P & W \\ W^\top & Q
    \end{pmatrix}` the system reads :math:`\dot K = S K + K S` with
    :math:`S = \begin{pmatrix} 0 & G \\ G^\top & 0 \end{pmatrix}`, and
    :math:`K = Z_s Z_s^\top` holds for all time when :math:`\dot Z_s = S Z_s`.
    The factor :math:`Z_s` has at most :math:`m + n` columns and
    :math:`Z_s Z_s^\top = K_0 = Z_0 Z_0^\top`, :math:`Z_0 = [U_0; V_0]`: it is
    from the eigendecomposition of :math:`K_0` scaled to unit diagonal when the rows of
    :math:`Z_0` are far from dependent, else :math:`R^\top` from a QR factorization
    :math:`Z_0^\top = Q R`. Either keeps the accuracy
    :math:`\varepsilon \lVert U_0\rVert \lVert V_0\rVert` of :math:`W_0` even when
    :math:`U_0` and :math:`V_0` differ much in size, and neither adds components of more
    than rounding size outside the row space of :math:`Z_0`.
    Integrating :math:`(W, P, Q)` entry by entry would be unstable: a
    rounding error that leaves the set of rank-:math:`k` Gram matrices acts
    like an extra, tiny hidden unit, and tiny units grow exponentially while
    the flow escapes a saddle. The factored form cannot leave that set.

    With data whose rank :math:`r` is below :math:`m` (e.g. :math:`N < m`), the
    part of :math:`U` in the null space of :math:`X` never moves, so only the
    :math:`(r + n)` rows of :math:`[\Phi_1^\top U; V]` are integrated
    (:math:`\Phi_1`, :math:`\Phi_2`: orthonormal bases of the row space and the
    null space of :math:`X`), with a factor of width at most :math:`r + n`; the
    part of :math:`U` in the null space enters :math:`W` through a constant
    matrix and :math:`P` through a constant remainder. This is exact; it shrinks
    the state from :math:`(m + n)^2` to :math:`(r + n)^2` numbers at large width.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from . import _flow
from . import _numerics as _nx
from . import _validate as _v
from ._ode import ATOL, RTOL

__all__ = ["METHODS", "Trajectory", "gradient_flow", "gram_rhs", "loss", "imbalance"]

#: The integration methods of :func:`gradient_flow`.
METHODS = ("gram", "params")


@dataclass(frozen=True)
class Trajectory:
    r"""A solution of the gradient flow sampled at the requested times.

    Attributes
    ----------
    t : ndarray, shape (T,)
        The times, as requested.
    W : ndarray, shape (T, m, n)
        The product :math:`W(t) = U(t) V(t)^\top`.
    loss : ndarray, shape (T,)
        :math:`\ell(t) = \tfrac12 \lVert Y - X W(t) \rVert_F^2`.
    U, V : ndarray, shapes (T, m, k) and (T, n, k), or None
        The factors, filled only by ``method="params"``.
    P, Q : ndarray, shapes (T, m, m) and (T, n, n), or None
        The Gram matrices :math:`U U^\top` and :math:`V V^\top`, filled only by
        ``method="gram"``.
    """

    t: np.ndarray
    W: np.ndarray
    loss: np.ndarray
    U: np.ndarray | None = None
    V: np.ndarray | None = None
    P: np.ndarray | None = None
    Q: np.ndarray | None = None


def loss(Y: ArrayLike, W: ArrayLike, *, X: ArrayLike | None = None) -> float:
    r"""The loss :math:`\ell = \tfrac12 \lVert Y - X W \rVert_F^2` (``X = I`` when None).

    Book: notation page, chapters 1 and 5.

    Parameters
    ----------
    Y : array_like, shape (m, n), or (N, n) with X
    W : array_like, shape (m, n)
    X : array_like, shape (N, m), optional

    Returns
    -------
    float

    Raises
    ------
    ValueError
        If a shape does not fit or an entry is not finite.
    """
    Y = _v.matrix("Y", Y)
    if X is None:
        rows, what = Y.shape[0], f"Y has {Y.shape[0]} rows"
    else:
        X = _v.matrix("X", X, rows=Y.shape[0], rows_hint=f"Y has {Y.shape[0]} rows")
        rows, what = X.shape[1], f"X has {X.shape[1]} columns"
    W = _v.matrix(
        "W", W, rows=rows, cols=Y.shape[1], rows_hint=what, cols_hint=f"Y has {Y.shape[1]} columns"
    )
    return _nx.loss(Y, W, X)


def imbalance(U: ArrayLike, V: ArrayLike) -> np.ndarray:
    r"""The imbalance :math:`\Lambda = U^\top U - V^\top V` (k x k), conserved by the flow.

    Book: chapter 2.

    Parameters
    ----------
    U : array_like, shape (m, k)
    V : array_like, shape (n, k)

    Returns
    -------
    ndarray, shape (k, k)

    Raises
    ------
    ValueError
        If V does not have the k columns of U, or an entry is not finite.
    """
    U = _v.matrix("U", U)
    V = _v.matrix("V", V, cols=U.shape[1], cols_hint=f"U has {U.shape[1]} columns")
    return U.T @ U - V.T @ V


def gram_rhs(
    W: ArrayLike, P: ArrayLike, Q: ArrayLike, Y: ArrayLike, *, X: ArrayLike | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Right-hand side of the width-free system (book: appendix "Computing the flow fast").

    .. math::

        \dot W = G Q + P G, \quad \dot P = G W^\top + W G^\top, \quad
        \dot Q = G^\top W + W^\top G, \qquad G = X^\top (Y - X W).

    Parameters
    ----------
    W : array_like, shape (m, n)
    P : array_like, shape (m, m)
    Q : array_like, shape (n, n)
    Y : array_like, shape (m, n), or (N, n) with ``X``
    X : array_like, shape (N, m), optional

    Returns
    -------
    (W', P', Q') : tuple of ndarray, shapes (m, n), (m, m), (n, n)

    Raises
    ------
    ValueError
        If a shape does not fit or an entry is not finite.
    """
    Y = _v.matrix("Y", Y)
    if X is None:
        m, n = Y.shape
    else:
        X = _v.matrix("X", X, rows=Y.shape[0], rows_hint=f"Y has {Y.shape[0]} rows")
        m, n = X.shape[1], Y.shape[1]

    def square(name: str, value: ArrayLike, rows: int, cols: int) -> np.ndarray:
        hint = f"{name} must be {rows} x {cols}"
        return _v.matrix(name, value, rows=rows, cols=cols, rows_hint=hint, cols_hint=hint)

    W = square("W", W, m, n)
    P = square("P", P, m, m)
    Q = square("Q", Q, n, n)
    G = _nx.residual_gradient(Y, W, X)
    return G @ Q + P @ G, G @ W.T + W @ G.T, G.T @ W + W.T @ G


def gradient_flow(
    Y: ArrayLike,
    U0: ArrayLike,
    V0: ArrayLike,
    t: ArrayLike,
    *,
    X: ArrayLike | None = None,
    method: str = "gram",
    rtol: float = RTOL,
    atol: float = ATOL,
) -> Trajectory:
    r"""Solve the gradient flow of :math:`\tfrac12\lVert Y - X U V^\top\rVert_F^2` from (U0, V0).

    .. math::

        \dot U = X^\top (Y - X U V^\top) V, \qquad
        \dot V = (Y - X U V^\top)^\top X U

    (book: notation page, chapters 1 and 5).

    Parameters
    ----------
    Y : array_like, shape (m, n), or (N, n) when ``X`` is given
        Targets.
    U0 : array_like, shape (m, k)
    V0 : array_like, shape (n, k)
        Initial factors; any width ``k >= 1``.
    t : array_like, shape (T,)
        Non-decreasing times ``>= 0`` at which to report the solution.
    X : array_like, shape (N, m), optional
        Data matrix; ``None`` means ``X = I`` (matrix factorization).
    method : {"gram", "params"}
        ``"gram"`` integrates the width-free system for
        :math:`(W, UU^\top, VV^\top)` (in square-root form, see the module
        documentation) and also returns ``P`` and ``Q``; ``"params"``
        integrates :math:`(U, V)` and also returns them.
    rtol, atol : float
        Relative and absolute tolerances of the adaptive ODE solve.

    Returns
    -------
    Trajectory
        ``t``, ``W`` (T, m, n), ``loss`` (T,); ``U``, ``V`` for ``"params"``;
        ``P``, ``Q`` for ``"gram"``.

    Raises
    ------
    ValueError
        If a shape does not fit, an entry is not finite, the times are negative
        or decreasing, the method is unknown, or a tolerance is not positive.
    """
    Y, U0, V0, X = _v.problem(Y, U0, V0, X)
    t = _v.times("t", t)
    method = _v.choice("method", method, METHODS)
    rtol = _v.positive_scalar("rtol", rtol)
    atol = _v.positive_scalar("atol", atol)
    solution = _flow.solve(Y, U0, V0, t, X, method, rtol, atol)
    return Trajectory(t=t, **solution._asdict())
