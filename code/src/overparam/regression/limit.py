r"""Running the gradient flow to its limit (book: chapter 6)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from .. import _flow
from .. import _validate as _v
from ..flow import ATOL, METHODS, RTOL
from . import _decomposition as _dec

__all__ = ["FlowLimit", "flow_limit"]

#: Each run of flow_limit ends this many times later than the one before.
T_GROWTH = 4.0
#: Default relative tolerance on the excess loss.
EXCESS_TOL = 1e-16
#: Default first and largest final times.
T_START = 10.0
T_MAX = 1e4


@dataclass(frozen=True)
class FlowLimit:
    r"""The end of a flow run by :func:`flow_limit`.

    Attributes
    ----------
    W : ndarray, shape (m, n)
        :math:`W(T)`, the approximation of :math:`W(\infty)`.
    T : float
        The final time.
    loss : float
        :math:`\ell(T)`.
    l_star : float
        :math:`\ell^\ast`.
    excess : float
        :math:`\ell(T) - \ell^\ast`, computed as
        :math:`\tfrac12 \lVert W_x^\top (Y - X W(T)) \rVert_F^2` (no cancellation).
    converged : bool
        Whether :math:`\ell(T) - \ell^\ast \le \mathrm{tol}\,(\ell(0) - \ell^\ast)`.
    """

    W: np.ndarray
    T: float
    loss: float
    l_star: float
    excess: float
    converged: bool


def flow_limit(
    Y: ArrayLike,
    U0: ArrayLike,
    V0: ArrayLike,
    *,
    X: ArrayLike | None = None,
    tol: float = EXCESS_TOL,
    t_start: float = T_START,
    t_max: float = T_MAX,
    method: str = "gram",
) -> FlowLimit:
    r"""Run the flow until :math:`\ell(T) - \ell^\ast \le \mathrm{tol}\,(\ell(0) - \ell^\ast)`.

    Integrates :func:`overparam.flow.gradient_flow` on :math:`[0, T]` for
    :math:`T = t_{\text{start}}, 4 t_{\text{start}}, 16 t_{\text{start}}, \dots` (each a
    fresh run with two output times, so the integrator is not slowed down by many stops)
    until the loss is close enough to :math:`\ell^\ast` or :math:`T` would exceed
    ``t_max``. The total cost is at most about 4/3 of the last run's. Convergence is
    checked, never assumed: read ``converged`` (book: chapter 6).

    Parameters
    ----------
    Y : array_like, shape (m, n), or (N, n) with ``X``
    U0 : array_like, shape (m, k)
    V0 : array_like, shape (n, k)
    X : array_like, shape (N, m), optional
        Data; ``None`` means matrix factorization (:math:`\ell^\ast = 0`).
    tol : float
        Relative tolerance on the excess loss, in ``(0, 1)``.
    t_start, t_max : float
        First and largest final time, ``0 < t_start <= t_max``.
    method : {"gram", "params"}
        Passed to :func:`~overparam.flow.gradient_flow`.

    Returns
    -------
    FlowLimit

    Raises
    ------
    ValueError
        If a shape does not fit, an entry is not finite, ``tol`` is not in (0, 1),
        ``t_max < t_start``, the method is unknown, or X is zero.
    """
    Y, U0, V0, X = _v.problem(Y, U0, V0, X)
    tol = _v.tolerance("tol", tol)
    t_start = _v.positive_scalar("t_start", t_start)
    t_max = _v.positive_scalar("t_max", t_max)
    method = _v.choice("method", method, METHODS)
    if t_max < t_start:
        raise ValueError(f"t_max = {t_max} must be >= t_start = {t_start}")
    if X is None:
        l_star = 0.0

        def excess(W):
            R = Y - W
            return 0.5 * float(np.sum(R * R))
    else:
        dec = _dec.decompose(X, Y)
        l_star = dec.l_star

        def excess(W):
            # the part of the residual that W can change, W_x^T (Y - X W): no cancellation
            R = dec.W_x.T @ (Y - X @ W)
            return 0.5 * float(np.sum(R * R))

    excess0 = excess(U0 @ V0.T)
    T = t_start
    while True:
        run = _flow.solve(Y, U0, V0, np.array([0.0, T]), X, method, RTOL, ATOL)
        e = excess(run.W[-1])
        converged = bool(e <= tol * excess0 or e == 0.0)  # e == 0: started at a minimizer
        if converged or T_GROWTH * T > t_max:
            W = run.W[-1]
            loss = float(run.loss[-1])
            return FlowLimit(W=W, T=T, loss=loss, l_star=l_star, excess=e, converged=converged)
        T *= T_GROWTH
