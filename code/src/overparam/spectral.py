r"""Spectral initialization of matrix factorization and its closed-form flow.

Let :math:`Y = \Phi \Sigma \Psi^\top` be a full SVD (:math:`\Phi` m x m,
:math:`\Psi` n x n orthogonal). A *spectral initialization* is

.. math::

    U_0 = \Phi S_U O^\top, \qquad V_0 = \Psi S_V O^\top,

with :math:`O` orthogonal (k x k) and :math:`S_U` (m x k), :math:`S_V` (n x k)
diagonal. Under the gradient flow :math:`\dot U = (Y - UV^\top)V`,
:math:`\dot V = (Y - UV^\top)^\top U` the singular vectors stay fixed,
:math:`W(t) = \Phi\, \mathrm{diag}(x_i(t))\, \Psi^\top`, and each mode
:math:`x_i = s_{U,i} s_{V,i}` follows the scalar flow with target
:math:`y = \sigma_i(Y)` (0 beyond the rank) and imbalance
:math:`\lambda_{0,i} = s_{U,i}^2 - s_{V,i}^2`; it converges at rate
:math:`\sqrt{\lambda_{0,i}^2 + 4\sigma_i^2}` (book: chapter 3, ``thm-spectral``).

.. rubric:: Functions

initialization
    Build :math:`(U_0, V_0)` from :math:`Y`, the diagonals and :math:`O`.
random_orthogonal
    A Haar-distributed orthogonal matrix, e.g. for :math:`O`.
mode_trajectories
    The mode values :math:`x_i(t)` in closed form.
closed_form
    :math:`W(t)` in closed form.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from . import _numerics as _nx
from . import _validate as _v
from ._spectral_modes import SpectralModes, find_modes, trajectories

__all__ = ["initialization", "random_orthogonal", "mode_trajectories", "closed_form"]


#: Largest entry of |O^T O - I| accepted for the orthogonal O of :func:`initialization`.
ORTHOGONALITY_ATOL = 1e-10


def random_orthogonal(k: int, rng: np.random.Generator) -> np.ndarray:
    r"""A k x k orthogonal matrix drawn from the Haar (uniform) distribution.

    QR of a Gaussian matrix with the signs of :math:`\mathrm{diag}(R)` moved into
    :math:`Q` (Mezzadri 2007).

    Parameters
    ----------
    k : int
        Size, ``>= 1``.
    rng : numpy.random.Generator
        The source of randomness.

    Returns
    -------
    ndarray, shape (k, k)
    """
    k = _v.count("k", k)
    rng = _v.generator("rng", rng)
    return _nx.haar_orthogonal(k, rng)


def initialization(
    Y: ArrayLike, k: int, s_u: ArrayLike, s_v: ArrayLike, *, O: ArrayLike | None = None
) -> tuple[np.ndarray, np.ndarray]:
    r"""A spectral initialization :math:`U_0 = \Phi S_U O^\top`, :math:`V_0 = \Psi S_V O^\top`.

    :math:`Y = \Phi\Sigma\Psi^\top` is the full SVD computed by
    :func:`numpy.linalg.svd` (singular values in decreasing order); :math:`S_U`
    (m x k) and :math:`S_V` (n x k) are diagonal with the given diagonals (book:
    chapter 3, ``thm-spectral``). Mode ``i`` then starts at :math:`x_i = s_{U,i} s_{V,i}`
    with imbalance :math:`s_{U,i}^2 - s_{V,i}^2` and target :math:`\sigma_i(Y)`.

    Parameters
    ----------
    Y : array_like, shape (m, n)
    k : int
        Width, ``>= 1``.
    s_u : array_like, shape (min(m, k),)
        Diagonal of :math:`S_U`; any real numbers.
    s_v : array_like, shape (min(n, k),)
        Diagonal of :math:`S_V`.
    O : array_like, shape (k, k), optional
        Orthogonal (checked to ``ORTHOGONALITY_ATOL``); the identity when omitted.

    Returns
    -------
    U0 : ndarray, shape (m, k)
    V0 : ndarray, shape (n, k)

    Raises
    ------
    ValueError
        If a diagonal has the wrong length, ``O`` is not k x k orthogonal, or an argument
        is malformed.
    """
    Y = _v.matrix("Y", Y)
    m, n = Y.shape
    k = _v.count("k", k)
    s_u = _v.real_array("s_u", s_u)
    s_v = _v.real_array("s_v", s_v)
    where = f"(Y is {m} x {n}, k = {k})"
    if s_u.shape != (min(m, k),):
        raise ValueError(
            f"s_u has shape {s_u.shape} but must have min(m, k) = {min(m, k)} entries {where}"
        )
    if s_v.shape != (min(n, k),):
        raise ValueError(
            f"s_v has shape {s_v.shape} but must have min(n, k) = {min(n, k)} entries {where}"
        )
    if O is None:
        O = np.eye(k)
    else:
        hint = f"k = {k}: O must be k x k"
        O = _v.matrix("O", O, rows=k, cols=k, rows_hint=hint, cols_hint=hint)
        if np.max(np.abs(O.T @ O - np.eye(k))) > ORTHOGONALITY_ATOL:
            raise ValueError(
                "O must be orthogonal: O^T O differs from the identity by more than "
                f"{ORTHOGONALITY_ATOL:g}"
            )
    Phi, _, PsiT = np.linalg.svd(Y)
    S_U = np.zeros((m, k))
    S_U[np.arange(s_u.size), np.arange(s_u.size)] = s_u
    S_V = np.zeros((n, k))
    S_V[np.arange(s_v.size), np.arange(s_v.size)] = s_v
    return Phi @ S_U @ O.T, PsiT.T @ S_V @ O.T


def _checked_modes(Y, U0, V0, t, rtol) -> tuple[SpectralModes, np.ndarray]:
    Y, U0, V0, _ = _v.problem(Y, U0, V0)
    t = _v.times("t", t)
    rtol = _v.tolerance("rtol", rtol)
    return find_modes(Y, U0, V0, rtol), t


def mode_trajectories(
    Y: ArrayLike, U0: ArrayLike, V0: ArrayLike, t: ArrayLike, *, rtol: float = _nx.STRUCTURE_RTOL
) -> np.ndarray:
    r"""The mode values :math:`x_i(t) = \phi_i^\top W(t) \psi_i` of a spectral initialization.

    Each is the scalar closed form (:func:`overparam.scalar.closed_form`) with target
    :math:`\sigma_i(Y)`, initial product :math:`x_{0,i} = \phi_i^\top W_0 \psi_i` and
    imbalance :math:`\lambda_{0,i} = s_{U,i}^2 - s_{V,i}^2`. Their absolute values are
    the singular values of :math:`W(t)` (book: chapter 3, ``thm-spectral``). See
    :func:`closed_form` for which starts are accepted.

    Parameters
    ----------
    Y, U0, V0 : array_like
        As in :func:`closed_form`.
    t : array_like, shape (T,)
        Non-decreasing times ``>= 0``.
    rtol : float
        Tolerance of the spectral check, see :func:`closed_form`.

    Returns
    -------
    ndarray, shape (T, min(m, n))
        Column ``i`` is mode ``i``, in decreasing order of :math:`\sigma_i(Y)` (ties: by
        decreasing :math:`\lvert x_{0,i}\rvert`).

    Raises
    ------
    ValueError
        If ``(U0, V0)`` is not spectral for ``Y``, or an argument is malformed.
    """
    md, t = _checked_modes(Y, U0, V0, t, rtol)
    return trajectories(md, t)


def closed_form(
    Y: ArrayLike, U0: ArrayLike, V0: ArrayLike, t: ArrayLike, *, rtol: float = _nx.STRUCTURE_RTOL
) -> np.ndarray:
    r""":math:`W(t)` of the gradient flow from a spectral initialization, in closed form.

    .. math::

        W(t) = \sum_{i=1}^{\min(m, n)} x_i(t)\, \phi_i \psi_i^\top,

    where :math:`\phi_i, \psi_i` are singular vectors of ``Y`` that diagonalize the start
    and :math:`x_i(t)` is the scalar closed form with :math:`y = \sigma_i(Y)` (0 beyond
    the rank), :math:`x_0 = s_{U,i} s_{V,i}`, :math:`\lambda_0 = s_{U,i}^2 - s_{V,i}^2`
    (book: chapter 3, ``thm-spectral``). Finite for every ``t``; the error is that of
    :func:`overparam.scalar.closed_form` per mode plus the round-off of the SVD, at the
    level of :math:`10^{-14}` times the scale
    :math:`\max(\lVert Y\rVert_2, \lVert U_0\rVert_2^2, \lVert V_0\rVert_2^2)`.

    The start is accepted when there are orthogonal :math:`\Phi` (m x m), :math:`\Psi`
    (n x n), pairing their first :math:`p = \min(m, n)` columns, with
    :math:`\Phi^\top Y \Psi`, :math:`\Phi^\top U_0 V_0^\top \Psi`,
    :math:`\Phi^\top U_0 U_0^\top \Phi` and :math:`\Psi^\top V_0 V_0^\top \Psi` diagonal
    and each mode rank one (:math:`U_0^\top\phi_i \parallel V_0^\top\psi_i`): exactly the
    starts :math:`\Phi S_U O^\top, \Psi S_V O^\top`, with repeated and zero singular values
    allowed. Clusters of (nearly) equal singular values get the basis that diagonalizes
    the rest. Round-off convention (as in :func:`overparam.riccati.closed_form`): a mode's
    factors :math:`U_0^\top\phi_i`, :math:`V_0^\top\psi_i` below ``1e-12 * ||[U0; V0]||_2``
    are exact zeros, and so is an imbalance below ``1e-12 * ||[U0; V0]||_2**2``: a saddle
    :math:`u = v = 0` stays there, and a balanced mode with :math:`x_0 y < 0` never
    crosses over.

    Parameters
    ----------
    Y : array_like, shape (m, n)
    U0 : array_like, shape (m, k)
    V0 : array_like, shape (n, k)
        A spectral initialization of ``Y``, e.g. from :func:`initialization`.
    t : array_like, shape (T,)
        Non-decreasing times ``>= 0``.
    rtol : float
        Tolerance of the spectral check, in (0, 1): every off-diagonal entry above must be
        at most ``rtol * s`` and every rank-one defect at most ``rtol * s**2``, with the
        scale :math:`s = \max(\lVert Y\rVert_2, \lVert U_0\rVert_2^2, \lVert V_0\rVert_2^2)`.

    Returns
    -------
    ndarray, shape (T, m, n)

    Raises
    ------
    ValueError
        If ``(U0, V0)`` is not spectral for ``Y`` (within ``rtol``), or an argument is
        malformed.
    """
    md, t = _checked_modes(Y, U0, V0, t, rtol)
    p = md.sigma.size
    x = trajectories(md, t)
    # W(t) = Phi_p diag(x(t)) Psi_p^T for every t, as one matrix product
    Phi_p, Psi_p = md.Phi[:, :p], md.Psi[:, :p]
    T = x.shape[0]
    m, n = Phi_p.shape[0], Psi_p.shape[0]
    # rows: (t, i), entries x_p(t) Phi_ip
    scaled = (x[:, None, :] * Phi_p[None, :, :]).reshape(T * m, p)
    return (scaled @ Psi_p.T).reshape(T, m, n)
