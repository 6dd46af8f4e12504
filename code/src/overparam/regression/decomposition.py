r"""The decomposition of regression data and the quantities it defines (book: chapters 5, 6).

With the compact SVD :math:`X = W_x \Sigma_x^{1/2} \Phi_1^\top` of the data and
:math:`\Phi_2` a basis of its null space: :func:`decompose`, the minimum-norm solution
:func:`min_norm_solution`, the parts :math:`U_1, U_2` of a first layer
(:func:`split_U`), the conserved reduced imbalance :math:`D` (:func:`reduced_imbalance`)
and the distance from an orthogonal initialization (:func:`off_subspace_norm`).
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from .. import _validate as _v
from . import _decomposition as _dec
from ._decomposition import DataDecomposition

__all__ = [
    "DataDecomposition",
    "decompose",
    "min_norm_solution",
    "split_U",
    "reduced_imbalance",
    "off_subspace_norm",
]


# ---------------------------------------------------------------------------
# checks


def _data(X: Any, Y: Any) -> tuple[np.ndarray, np.ndarray]:
    Y = _v.matrix("Y", Y)
    hint = f"Y has {Y.shape[0]} rows: X must be N x m with N = rows of Y"
    X = _v.matrix("X", X, rows=Y.shape[0], rows_hint=hint)
    return X, Y


def _rank_rtol(rtol: Any) -> float | None:
    return None if rtol is None else _v.tolerance("rtol", rtol)


def _decomposition(name: str, value: Any) -> DataDecomposition:
    """Check that ``value`` is a DataDecomposition whose fields are finite and fit each other.

    A hand-built or edited record (``dataclasses.replace``) could otherwise give nan or a
    numpy shape error that does not say which argument is wrong.
    """
    if not isinstance(value, DataDecomposition):
        raise TypeError(
            f"{name} must be a DataDecomposition (from overparam.regression.decompose), "
            f"got {type(value).__name__}"
        )
    keys = ("W_x", "Sigma_x", "Phi_1", "Phi_2", "Ytil")
    f = {key: _v.real_array(f"{name}.{key}", getattr(value, key)) for key in keys}
    W_x, Sigma_x, Phi_1, Ytil = f["W_x"], f["Sigma_x"], f["Phi_1"], f["Ytil"]
    if Phi_1.ndim != 2 or Phi_1.shape[0] == 0 or Phi_1.shape[1] == 0:
        raise ValueError(
            f"{name}.Phi_1 must be an m x r matrix with m, r >= 1, got shape {Phi_1.shape}"
        )
    m, r = Phi_1.shape
    expected = {
        "W_x": (W_x.shape[0] if W_x.ndim == 2 else -1, r),
        "Sigma_x": (r,),
        "Phi_2": (m, m - r),
        "Ytil": (r, Ytil.shape[1] if Ytil.ndim == 2 else -1),
    }
    for key, shape in expected.items():
        if f[key].shape != shape or f[key].size == 0 and key != "Phi_2":
            raise ValueError(
                f"{name}.{key} has shape {f[key].shape} but {name}.Phi_1 is {m} x {r}: "
                f"expected {shape} (use the record returned by decompose)"
            )
    rank = value.rank
    if isinstance(rank, bool) or not isinstance(rank, numbers.Integral | np.integer) or rank != r:
        raise ValueError(
            f"{name}.rank = {rank!r} but {name}.Phi_1 has {r} columns: the rank must be r"
        )
    if np.any(Sigma_x <= 0):
        raise ValueError(
            f"{name}.Sigma_x must be positive (the nonzero eigenvalues of X^T X), "
            f"found {Sigma_x.min()}"
        )
    return value


def _factors(U: Any, V: Any, dec: DataDecomposition) -> tuple[np.ndarray, np.ndarray]:
    """U (m = rows of Phi_1 rows) and V (n = columns of Y rows, the k columns of U), checked."""
    m = dec.Phi_1.shape[0]
    U = _v.matrix("U", U, rows=m, rows_hint=f"X has {m} columns: U must be m x k")
    hint = f"U has {U.shape[1]} columns: V must be n x k with the same k"
    V = _v.matrix("V", V, cols=U.shape[1], cols_hint=hint)
    n = dec.Ytil.shape[1]
    if V.shape[0] != n:
        raise ValueError(f"V has {V.shape[0]} rows but Y has {n} columns: V must be n x k")
    return U, V


# ---------------------------------------------------------------------------
# public functions


def decompose(X: ArrayLike, Y: ArrayLike, *, rtol: float | None = None) -> DataDecomposition:
    r"""Decompose the data: its compact SVD, :math:`\Phi_2`, :math:`\ell^\ast` and :math:`\tilde Y`.

    .. math::

        X = W_x \Sigma_x^{1/2} \Phi_1^\top, \qquad
        \ell^\ast = \tfrac12 \lVert (I - W_x W_x^\top) Y \rVert_F^2, \qquad
        \tilde Y = W_x^\top Y

    (book: chapter 5; chapter 6 for :math:`\Phi_2`).

    Parameters
    ----------
    X : array_like, shape (N, m)
        Data.
    Y : array_like, shape (N, n)
        Targets.
    rtol : float, optional
        Rank tolerance: singular values :math:`s_i` of :math:`X` with
        :math:`s_i \le \mathrm{rtol}\, s_1` count as zero. The default,
        :math:`\max(N, m)\,\varepsilon_{\text{mach}}`, is that of
        :func:`numpy.linalg.matrix_rank`. It must lie in ``(0, 1)``.

    Returns
    -------
    DataDecomposition

    Raises
    ------
    ValueError
        If a shape does not fit, an entry is not finite, ``rtol`` is not in
        ``(0, 1)``, or :math:`X` is zero (rank 0: nothing to fit).
    """
    X, Y = _data(X, Y)
    return _dec.decompose(X, Y, _rank_rtol(rtol))


def min_norm_solution(X: ArrayLike, Y: ArrayLike, *, rtol: float | None = None) -> np.ndarray:
    r"""The minimum-norm least-squares solution :math:`\Theta^\ast = X^+ Y`.

    .. math::

        \Theta^\ast = \operatorname*{arg\,min}\Big\{ \lVert \Theta \rVert_F :
        \Theta \in \operatorname*{arg\,min}_\Theta \lVert Y - X\Theta \rVert_F \Big\}
        = X^+ Y = \Phi_1 \Sigma_x^{-1/2} W_x^\top Y

    (book: chapter 6, the minimum-norm solution).

    Parameters
    ----------
    X : array_like, shape (N, m)
    Y : array_like, shape (N, n)
    rtol : float, optional
        Rank tolerance, as in :func:`decompose`.

    Returns
    -------
    ndarray, shape (m, n)

    Raises
    ------
    ValueError
        As :func:`decompose`.
    """
    X, Y = _data(X, Y)
    dec = _dec.decompose(X, Y, _rank_rtol(rtol))
    return dec.Phi_1 @ (dec.Ytil / np.sqrt(dec.Sigma_x)[:, None])


def split_U(U: ArrayLike, decomposition: DataDecomposition) -> tuple[np.ndarray, np.ndarray]:
    r"""The row-space and null-space parts :math:`U_1 = \Phi_1^\top U`, :math:`U_2 = \Phi_2^\top U`.

    :math:`U = \Phi_1 U_1 + \Phi_2 U_2`; along the gradient flow :math:`\dot U_2 = 0`
    (book: chapter 5).

    Parameters
    ----------
    U : array_like, shape (m, k)
    decomposition : DataDecomposition
        From :func:`decompose`.

    Returns
    -------
    (U1, U2) : tuple of ndarray, shapes (r, k) and (m - r, k)

    Raises
    ------
    TypeError
        If ``decomposition`` is not a :class:`DataDecomposition`.
    ValueError
        If U does not have m rows, or an entry is not finite.
    """
    dec = _decomposition("decomposition", decomposition)
    m = dec.Phi_1.shape[0]
    U = _v.matrix("U", U, rows=m, rows_hint=f"X has {m} columns: U must be m x k")
    return dec.Phi_1.T @ U, dec.Phi_2.T @ U


def reduced_imbalance(U: ArrayLike, V: ArrayLike, decomposition: DataDecomposition) -> np.ndarray:
    r"""The conserved matrix :math:`D = U_1^\top U_1 - V^\top V` (k x k).

    The imbalance :math:`\Lambda = U^\top U - V^\top V = D + U_2^\top U_2` is conserved
    and :math:`U_2` is constant, so :math:`D` is conserved too (book: chapter 5).

    Parameters
    ----------
    U : array_like, shape (m, k)
    V : array_like, shape (n, k)
    decomposition : DataDecomposition

    Returns
    -------
    ndarray, shape (k, k)

    Raises
    ------
    TypeError
        If ``decomposition`` is not a :class:`DataDecomposition`.
    ValueError
        If a shape does not fit, or an entry is not finite.
    """
    dec = _decomposition("decomposition", decomposition)
    U, V = _factors(U, V, dec)
    return _dec.reduced_imbalance(U, V, dec)


def off_subspace_norm(U: ArrayLike, V: ArrayLike, decomposition: DataDecomposition) -> float:
    r"""How far :math:`(U, V)` is from an orthogonal initialization.

    .. math::

        \lVert [V U_2^\top;\, U_1 U_2^\top] \rVert_F
        = \sqrt{\lVert V U_2^\top \rVert_F^2 + \lVert U_1 U_2^\top \rVert_F^2}

    It is zero exactly for the orthogonal initializations of chapter 6, and the
    random-initialization theorem bounds it at :math:`t = 0` (book: chapter 6).

    Parameters
    ----------
    U : array_like, shape (m, k)
    V : array_like, shape (n, k)
    decomposition : DataDecomposition

    Returns
    -------
    float

    Raises
    ------
    TypeError
        If ``decomposition`` is not a :class:`DataDecomposition`.
    ValueError
        If a shape does not fit, or an entry is not finite.
    """
    dec = _decomposition("decomposition", decomposition)
    U, V = _factors(U, V, dec)
    U1, U2 = dec.Phi_1.T @ U, dec.Phi_2.T @ U
    a = V @ U2.T
    b = U1 @ U2.T
    return float(np.sqrt(np.sum(a * a) + np.sum(b * b)))
