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
    than rounding size outside the row space of :math:`Z_0` (see ``_narrow_factor_blocks``).
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
from . import _validate as _v
from ._ode import integrate

__all__ = ["Trajectory", "gradient_flow", "gram_rhs", "loss", "imbalance", "check_problem"]

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


def check_problem(Y, U0, V0, X=None):
    """Validate a (Y, U0, V0, X) problem and return float arrays.

    Shapes: ``Y`` is (m, n) and ``X`` is None, or ``Y`` is (N, n) and ``X`` is
    (N, m); ``U0`` is (m, k) and ``V0`` is (n, k). Raises ``ValueError`` naming
    the argument whose shape or entries do not fit.
    """
    Y = _v.matrix("Y", Y)
    if X is None:
        m, n = Y.shape
    else:
        X = _v.matrix("X", X, rows=Y.shape[0], rows_hint=f"Y has {Y.shape[0]} rows: X must be N x m with N = rows of Y")
        m, n = X.shape[1], Y.shape[1]
    what_m = f"X has {m} columns" if X is not None else f"Y has {m} rows"
    U0 = _v.matrix("U0", U0, rows=m, rows_hint=f"{what_m}: U0 must be m x k")
    V0 = _v.matrix(
        "V0",
        V0,
        rows=n,
        cols=U0.shape[1],
        rows_hint=f"Y has {n} columns: V0 must be n x k",
        cols_hint=f"U0 has {U0.shape[1]} columns: V0 must be n x k with the same k",
    )
    return Y, U0, V0, X


def _problem_as_given(Y, U0, V0, X):
    """:func:`check_problem`, without its copies when the arguments need no conversion.

    ``check_problem`` returns new float arrays; for a wide start that doubles the
    memory of ``U0`` and ``V0`` and costs a pass over them. :func:`gradient_flow` never
    writes into its arguments, so 2-D float64 arrays of fitting, non-empty shapes with
    finite entries are used as given. Everything else, every invalid input included,
    goes through ``check_problem`` and gets its messages.
    """
    arrays = (Y, U0, V0) if X is None else (Y, U0, V0, X)
    if all(type(a) is np.ndarray and a.dtype == np.float64 and a.ndim == 2 and a.size > 0 for a in arrays):
        m, k = U0.shape
        n = V0.shape[0]
        fits = V0.shape[1] == k and (Y.shape == (m, n) if X is None else X.shape == (Y.shape[0], m) and Y.shape[1] == n)
        # a sum is finite only if every entry is (an overflowing sum just takes the slow path)
        if fits and all(np.isfinite(np.sum(a)) for a in arrays):
            return Y, U0, V0, X
    return check_problem(Y, U0, V0, X)


def loss(Y, W, *, X=None) -> float:
    r"""The loss :math:`\ell = \tfrac12 \lVert Y - X W \rVert_F^2` (``X = I`` when None).

    Parameters
    ----------
    Y : array_like, shape (m, n), or (N, n) with X
    W : array_like, shape (m, n)
    X : array_like, shape (N, m), optional
    """
    Y = _v.matrix("Y", Y)
    if X is None:
        W = _v.matrix("W", W, rows=Y.shape[0], cols=Y.shape[1], rows_hint=f"Y has {Y.shape[0]} rows", cols_hint=f"Y has {Y.shape[1]} columns")
        R = Y - W
    else:
        X = _v.matrix("X", X, rows=Y.shape[0], rows_hint=f"Y has {Y.shape[0]} rows")
        W = _v.matrix("W", W, rows=X.shape[1], cols=Y.shape[1], rows_hint=f"X has {X.shape[1]} columns", cols_hint=f"Y has {Y.shape[1]} columns")
        R = Y - X @ W
    return 0.5 * float(np.sum(R * R))


def imbalance(U, V) -> np.ndarray:
    r"""The imbalance :math:`\Lambda = U^\top U - V^\top V` (k x k), conserved by the flow.

    Parameters
    ----------
    U : array_like, shape (m, k)
    V : array_like, shape (n, k)
    """
    U = _v.matrix("U", U)
    V = _v.matrix("V", V, cols=U.shape[1], cols_hint=f"U has {U.shape[1]} columns")
    return U.T @ U - V.T @ V


def _narrow_factor(Z0: np.ndarray) -> np.ndarray:
    """A factor Zs with Zs Zs^T = Z0 Z0^T and min(k, m + n) columns (see ``_narrow_factor_blocks``)."""
    size, k = Z0.shape
    if k <= size:
        return Z0
    return _narrow_factor_blocks(Z0[:1], Z0[1:])  # any split of the rows: the blocks are stacked again


#: Smallest eigenvalue of the Gram matrix scaled to unit diagonal for which its eigen-factor is used.
GRAM_FACTOR_MIN_EIG = 1e-4
#: Columns of [U0; V0] per block of the blocked QR factorization in ``_narrow_factor_blocks``.
QR_BLOCK = 4096


def _narrow_factor_blocks(U0: np.ndarray, V0: np.ndarray) -> np.ndarray:
    """A factor Zs of the Gram matrix of Z0 = [U0; V0] with min(k, m + n) columns, accurate
    row by row, without a stacked copy of the wide factors (k may be 1e5).

    When k <= m + n, Z0 itself is already narrow. Otherwise, with D the row norms of Z0:

    * if the Gram matrix scaled to unit diagonal, C = D^-1 Z0 Z0^T D^-1, has all its
      eigenvalues above GRAM_FACTOR_MIN_EIG (the rows of Z0 are far from dependent, as for
      random starts at large k), Zs = D F with F F^T its eigendecomposition. Zs is then
      the exact factor of a start that differs from Z0 by about eps / sqrt(lambda_min(C))
      <= 100 eps relative, row by row; entry (i, j) of Zs Zs^T errs by c eps |row i| |row j|,
      so U Vs^T keeps the accuracy eps |U0| |V0| of U0 V0^T however different |U0| and |V0| are;
    * otherwise Zs = R^T from a Householder QR factorization Z0^T = Q R, taken by blocks
      of QR_BLOCK columns (R <- the R factor of [R; block^T]). It is backward stable row
      by row: Zs = (Z0 + Delta) Q with each row of Delta below c eps times that row.

    The eigen-factor alone is not enough when Z0 has (nearly) dependent rows, e.g. any
    balanced start U0^T U0 = V0^T V0 with k > m + n: the zero eigenvalues of C come out
    as +-eps, and their square roots put components of size sqrt(eps) |Z0| ~ 1e-8 |Z0|
    into the rows, in directions Z0 does not have. W0 is still right to eps, but the
    steps move those components like any perturbation of the start: gradient descent
    with a line-search step of 4.7e7 (tests/test_edges_gd.py) ended 3e-3 (relative) away
    from the same steps on (U0, V0). The QR factor costs about three times the
    eigen-factor (m + n = 401, k = 1e5: 1.3 s against 0.36 s), hence the two cases.
    """
    m, k = U0.shape
    n = V0.shape[0]
    size = m + n
    if k <= size:
        return np.vstack([U0, V0])
    M = np.empty((size, size))
    M[:m, :m] = U0 @ U0.T
    M[:m, m:] = U0 @ V0.T
    M[m:, :m] = M[:m, m:].T
    M[m:, m:] = V0 @ V0.T
    d = np.sqrt(np.diag(M))
    if np.all(d > 0):
        evals, evecs = np.linalg.eigh(M / np.outer(d, d))
        if evals[0] > GRAM_FACTOR_MIN_EIG:
            return d[:, None] * (evecs * np.sqrt(evals))
    R = np.zeros((0, size))
    for a in range(0, k, QR_BLOCK):
        b = min(k, a + QR_BLOCK)
        A = np.empty((R.shape[0] + b - a, size))
        A[: R.shape[0]] = R
        A[R.shape[0] :, :m] = U0[:, a:b].T
        A[R.shape[0] :, m:] = V0[:, a:b].T
        R = np.linalg.qr(A, mode="r")
    return R.T


def _row_space_reduction(U0: np.ndarray, V0: np.ndarray, X: np.ndarray):
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

    Returns (Phi_1, s, U1, V, C, Pc): the basis (m x r), the r nonzero singular values
    of X, the moving rows of the start (r x q and n x q, q <= r + n), the constant
    C (m x q) and the constant part Pc (m x m) of P, None when zero.
    """
    m, k = U0.shape
    n = V0.shape[0]
    _, s, Rt = np.linalg.svd(X, full_matrices=False)
    r = int(np.sum(s > max(X.shape) * np.finfo(float).eps * s[0])) if s.size and s[0] > 0 else 0
    if r == m:
        return None
    Phi_1 = Rt[:r].T
    F = _narrow_factor_blocks(U0, V0)
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
    return Phi_1, s[:r], F1[:r], F1[r:], C, Pc


def gram_rhs(W, P, Q, Y, *, X=None):
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
    (W', P', Q') : tuple of ndarray
    """
    Y = _v.matrix("Y", Y)
    if X is None:
        m, n = Y.shape
    else:
        X = _v.matrix("X", X, rows=Y.shape[0], rows_hint=f"Y has {Y.shape[0]} rows")
        m, n = X.shape[1], Y.shape[1]
    W = _v.matrix("W", W, rows=m, cols=n, rows_hint=f"W must be {m} x {n}", cols_hint=f"W must be {m} x {n}")
    P = _v.matrix("P", P, rows=m, cols=m, rows_hint=f"P must be {m} x {m}", cols_hint=f"P must be {m} x {m}")
    Q = _v.matrix("Q", Q, rows=n, cols=n, rows_hint=f"Q must be {n} x {n}", cols_hint=f"Q must be {n} x {n}")
    G = Y - W if X is None else X.T @ (Y - X @ W)
    return G @ Q + P @ G, G @ W.T + W @ G.T, G.T @ W + W.T @ G


def gradient_flow(
    Y,
    U0,
    V0,
    t,
    *,
    X=None,
    method: str = "gram",
    rtol: float = 1e-10,
    atol: float = 1e-12,
) -> Trajectory:
    r"""Solve the gradient flow of :math:`\tfrac12\lVert Y - X U V^\top\rVert_F^2` from ``(U0, V0)``.

    .. math::

        \dot U = X^\top (Y - X U V^\top) V, \qquad
        \dot V = (Y - X U V^\top)^\top X U .

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
        Tolerances of the adaptive Runge-Kutta solver (DOP853).

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
    Y, U0, V0, X = _problem_as_given(Y, U0, V0, X)
    t = _v.times("t", t)
    method = _v.choice("method", method, METHODS)
    rtol = _v.positive_scalar("rtol", rtol)
    atol = _v.positive_scalar("atol", atol)

    m, k = U0.shape
    n = V0.shape[0]
    if X is None:
        def residual_grad(W):
            return Y - W
    else:
        XtX = X.T @ X
        XtY = X.T @ Y

        def residual_grad(W):
            return XtY - XtX @ W

    reduced = _row_space_reduction(U0, V0, X) if method == "gram" and X is not None else None
    if reduced is not None:
        # Width-free and reduced to the row space of X (module documentation): integrate
        # [Phi_1^T U; V] with the data X Phi_1 = L_1 diag(s), whose normal matrix is diag(s^2).
        Phi_1, s, U_start, V_start, C, Pc = reduced
        X1tY = (X @ Phi_1).T @ Y
        s2 = (s * s)[:, None]

        def residual_grad(W):
            return X1tY - s2 * W

        m_eff = s.size
    elif method == "gram":
        # Width-free: the flow of W, P, Q depends on U0, V0 only through the Gram
        # matrix M0 = Z0 Z0^T of Z0 = [U0; V0]. Integrate section 7's system in
        # square-root form K = Zs Zs^T with a factor Zs of width <= m + n.
        Zs = _narrow_factor_blocks(U0, V0)
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
        U = Phi_1 @ U + C[None]  # U(t), up to a constant part that only adds Pc to P
    W = U @ np.swapaxes(V, 1, 2)
    if method == "gram":
        P = U @ np.swapaxes(U, 1, 2)
        if reduced is not None and Pc is not None:
            P += Pc[None]
        Q = V @ np.swapaxes(V, 1, 2)
        U = V = None
    else:
        P = Q = None

    R = Y[None] - (W if X is None else X[None] @ W)
    losses = 0.5 * np.sum(R * R, axis=(1, 2))
    return Trajectory(t=t, W=W, loss=losses, U=U, V=V, P=P, Q=Q)
