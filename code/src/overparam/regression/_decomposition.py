r"""The decomposition of regression data, unchecked (private to :mod:`overparam`).

The cores of :func:`overparam.regression.decompose` and
:func:`overparam.regression.reduced_imbalance`, and the record they share; the public
functions (and :mod:`overparam.bounds`) check their inputs, then call these.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import _numerics as _n

__all__ = ["DataDecomposition", "decompose", "reduced_imbalance"]


@dataclass(frozen=True)
class DataDecomposition:
    r"""The data's compact SVD and what it says about the regression problem.

    Attributes
    ----------
    W_x : ndarray, shape (N, r)
        Left singular vectors of :math:`X` (orthonormal columns).
    Sigma_x : ndarray, shape (r,)
        The :math:`r` nonzero eigenvalues of :math:`X^\top X`, decreasing
        (the squared nonzero singular values of :math:`X`).
    Phi_1 : ndarray, shape (m, r)
        Right singular vectors: an orthonormal basis of the row space of :math:`X`.
    Phi_2 : ndarray, shape (m, m - r)
        An orthonormal basis of the null space of :math:`X` (zero columns if
        :math:`r = m`).
    rank : int
        :math:`r`, counted with the tolerance ``rtol`` (see
        :func:`overparam.regression.decompose`).
    l_star : float
        The smallest loss :math:`\ell^\ast = \tfrac12 \lVert (I - W_x W_x^\top) Y \rVert_F^2`.
    Ytil : ndarray, shape (r, n)
        :math:`\tilde Y = W_x^\top Y`.
    rtol : float
        The relative rank tolerance that was used.
    """

    W_x: np.ndarray
    Sigma_x: np.ndarray
    Phi_1: np.ndarray
    Phi_2: np.ndarray
    rank: int
    l_star: float
    Ytil: np.ndarray
    rtol: float


def decompose(X: np.ndarray, Y: np.ndarray, rtol: float | None = None) -> DataDecomposition:
    """The decomposition of checked data; rtol None is numpy's ``matrix_rank`` rule.

    Raises ``ValueError`` naming X when X is zero (rank 0: nothing to fit).
    """
    L, s, Rt = np.linalg.svd(X, full_matrices=True)
    if s[0] == 0:
        raise ValueError("X is zero (rank 0): there is nothing to fit")
    r = _n.numerical_rank(s, X.shape, rtol)
    W_x = L[:, :r]
    Ytil = W_x.T @ Y
    R = Y - W_x @ Ytil
    return DataDecomposition(
        W_x=W_x,
        Sigma_x=s[:r] ** 2,
        Phi_1=Rt[:r].T,
        Phi_2=Rt[r:].T,
        rank=r,
        l_star=0.5 * float(np.sum(R * R)),
        Ytil=Ytil,
        rtol=_n.rank_tolerance(1.0, X.shape) if rtol is None else float(rtol),
    )


def reduced_imbalance(U: np.ndarray, V: np.ndarray, dec: DataDecomposition) -> np.ndarray:
    r""":math:`D = U_1^\top U_1 - V^\top V` with :math:`U_1 = \Phi_1^\top U`."""
    U1 = dec.Phi_1.T @ U
    return U1.T @ U1 - V.T @ V

