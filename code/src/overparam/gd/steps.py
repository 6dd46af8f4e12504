r"""One gradient-descent step: the change of the imbalance, the descent factor, the local constants.

Book: chapter 8, ``prop-gd-imbalance-step``, ``lem-gd-pl`` and ``lem-gd-one-step``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from .. import _numerics as _n
from .. import _validate as _v
from . import _common

__all__ = ["LocalConstants", "imbalance_increment", "descent_factor", "local_constants"]


@dataclass(frozen=True)
class LocalConstants:
    r"""The local constants of chapter 8 at one point :math:`(U, V)`.

    Attributes
    ----------
    alpha : float
        :math:`\sigma_m(X)^2 (\lambda_m(UU^\top) + \lambda_n(VV^\top))`, so that
        :math:`\lVert\nabla\ell\rVert_F^2 \ge 2\alpha(\ell - \ell^\ast)`.
    beta : float
        :math:`\sigma_1(X)^2 (\lVert U\rVert_2^2 + \lVert V\rVert_2^2)`, the curvature
        scale of the one-step bound (and, for :math:`X = I` at a minimizer, the largest
        Hessian eigenvalue).
    loss : float
        :math:`\ell(U, V)`.
    grad_sq : float
        :math:`\lVert\nabla\ell\rVert_F^2 = \lVert GV\rVert_F^2 + \lVert U^\top G\rVert_F^2`.
    """

    alpha: float
    beta: float
    loss: float
    grad_sq: float


def imbalance_increment(
    Y: ArrayLike, U: ArrayLike, V: ArrayLike, step: float, *, X: ArrayLike | None = None
) -> np.ndarray:
    r"""The exact change of the imbalance in one gradient-descent step.

    .. math::

        \Lambda_{j+1} - \Lambda_j = \eta^2 \left( V^\top G^\top G V - U^\top G G^\top U \right),
        \qquad G = X^\top (Y - X U V^\top)

    (:math:`G = Y - UV^\top` when ``X`` is None; book: chapter 8,
    ``prop-gd-imbalance-step``). The first-order terms cancel, as they do for the
    flow; what is left is of order :math:`\eta^2`.

    Parameters
    ----------
    Y : array_like, shape (m, n), or (N, n) with ``X``
    U : array_like, shape (m, k)
    V : array_like, shape (n, k)
    step : float
        The step :math:`\eta > 0`.
    X : array_like, shape (N, m), optional

    Returns
    -------
    ndarray, shape (k, k)

    Raises
    ------
    ValueError
        If a shape does not fit, an entry is not finite, or ``step <= 0``.
    """
    Y, U, V, X = _v.problem(Y, U, V, X, names=("U", "V"))
    eta = _v.positive_scalar("step", step)
    G = _n.residual_gradient(Y, U @ V.T, X)
    GV = G @ V
    GtU = G.T @ U
    return eta**2 * (GV.T @ GV - GtU.T @ GtU)


def descent_factor(step: float, beta: float, loss: float, *, s: float = 1.0) -> float:
    r"""The factor :math:`\varphi` of the one-step bound.

    One step of size :math:`\eta` gives
    :math:`\ell(\text{next}) \le \ell - \eta\varphi(\eta)\lVert\nabla\ell\rVert_F^2` with

    .. math::

        \varphi(\eta) = 1 - \tfrac{\eta}{2}\big(\beta + s\sqrt{2\ell}\big)
            - \tfrac{\eta^2}{2}\, s\beta\sqrt{2\ell} - \tfrac{\eta^3}{4}\, s^2\beta\ell

    with :math:`\beta \ge s^2(\lVert U\rVert_2^2 + \lVert V\rVert_2^2)`,
    :math:`s \ge \sigma_1(X)` and :math:`\ell` the current loss (book: chapter 8,
    ``lem-gd-one-step``, ``eq-gd-descent-factor``). It decreases in :math:`\eta`,
    :math:`\beta` and :math:`\ell`; for :math:`\ell \to 0` it is the classical
    :math:`1 - \eta\beta/2`. The step that maximizes :math:`\eta\varphi(\eta)` is the one
    of the rule ``"local"`` of :func:`~overparam.gd.adaptive_gradient_descent`
    (``prop-gd-adaptive``).

    Parameters
    ----------
    step : float
        :math:`\eta \ge 0`.
    beta : float
        :math:`\beta \ge 0`.
    loss : float
        :math:`\ell \ge 0`.
    s : float
        :math:`s \ge 0`, an upper bound on :math:`\sigma_1(X)` (1 for matrix factorization).

    Returns
    -------
    float

    Raises
    ------
    ValueError
        If an argument is negative or not finite.
    """
    eta = _v.nonnegative_scalar("step", step)
    beta = _v.nonnegative_scalar("beta", beta)
    loss = _v.nonnegative_scalar("loss", loss)
    s = _v.nonnegative_scalar("s", s)
    return _common.descent_factor(eta, beta, loss, s)


def local_constants(
    Y: ArrayLike, U: ArrayLike, V: ArrayLike, *, X: ArrayLike | None = None
) -> LocalConstants:
    r"""The local constants :math:`\alpha(U, V)`, :math:`\beta(U, V)` at one point.

    .. math::

        \alpha = \sigma_m(X)^2\big(\lambda_m(UU^\top) + \lambda_n(VV^\top)\big), \qquad
        \beta = \sigma_1(X)^2\big(\lVert U\rVert_2^2 + \lVert V\rVert_2^2\big),

    with :math:`X = I` when ``X`` is None (book: chapter 8, ``lem-gd-pl`` and
    ``lem-gd-one-step``). :math:`\lambda_m(UU^\top) = 0` when :math:`k < m` and
    :math:`\lambda_n(VV^\top) = 0` when :math:`k < n` (returned as exact zeros, not as
    rounding noise), so :math:`\alpha = 0` when :math:`k < \min(m, n)`, and when :math:`X`
    has rank below m (:math:`\sigma_m(X) \le \max(N, m)\,\epsilon\,\sigma_1(X)`, the rank
    test of :func:`~overparam.gd.rate_constants`).

    Parameters
    ----------
    Y : array_like, shape (m, n), or (N, n) with ``X``
    U : array_like, shape (m, k)
    V : array_like, shape (n, k)
    X : array_like, shape (N, m), optional

    Returns
    -------
    LocalConstants

    Raises
    ------
    ValueError
        If a shape does not fit or an entry is not finite.
    """
    Y, U, V, X = _v.problem(Y, U, V, X, names=("U", "V"))
    norms = _common.x_norms(X)
    sx = norms.sigma_x if _common.has_full_column_rank(X, norms) else 0.0
    (m, k), n = U.shape, V.shape[0]
    W = U @ V.T
    eP, eQ = np.linalg.eigvalsh(U @ U.T), np.linalg.eigvalsh(V @ V.T)
    # rank U <= k: for k < m the smallest eigenvalue of U U^T is exactly 0 (eigvalsh
    # would return rounding noise of either sign, up to ~ m eps ||U||^2)
    lam_m = _n.pos(eP[0]) if k >= m else 0.0
    lam_n = _n.pos(eQ[0]) if k >= n else 0.0
    E = _n.residual(Y, W, X)
    G = _n.residual_gradient(Y, W, X)
    grad_sq = float(np.sum((G @ V) ** 2) + np.sum((U.T @ G) ** 2))
    return LocalConstants(
        alpha=sx**2 * (lam_m + lam_n),
        beta=norms.s**2 * (float(eP[-1]) + float(eQ[-1])),
        loss=0.5 * float(np.sum(E * E)),
        grad_sq=grad_sq,
    )
