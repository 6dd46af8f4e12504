r"""Recognising a spectral initialization and finding its modes (private; no input checks).

Used by :mod:`overparam.spectral`. ``(U0, V0)`` is a spectral initialization of ``Y``
when there are orthogonal :math:`\Phi` (m x m), :math:`\Psi` (n x n), pairing their
first :math:`p = \min(m, n)` columns, with

* :math:`\Phi^\top Y \Psi`, :math:`\Phi^\top U_0 V_0^\top \Psi` diagonal (m x n),
* :math:`\Phi^\top U_0 U_0^\top \Phi` and :math:`\Psi^\top V_0 V_0^\top \Psi` diagonal,
* :math:`p_i q_i = w_i^2` for every mode with :math:`(\sigma_i, w_i) \ne 0`, where
  :math:`p_i, q_i, w_i, \sigma_i` are the diagonal entries (mode ``i`` is then rank one:
  :math:`U_0^\top\phi_i \parallel V_0^\top\psi_i`).

These are exactly the initializations :math:`\Phi S_U O^\top, \Psi S_V O^\top` of the
book (chapter 3, ``thm-spectral``), allowing repeated and zero singular values (any SVD
bases) and, for modes with :math:`\sigma_i = w_i = 0`, which stay at zero, any pairing.
Under them the width-free system for :math:`(W, UU^\top, VV^\top)` stays diagonal and
each mode follows the scalar flow.

The bases are found by an SVD of ``Y`` (then of the part of :math:`W_0` on the null
spaces of ``Y``), with clusters of (nearly) equal singular values split by the
eigenvectors of a generic combination of the other matrices, and then checked.

Round-off convention (as in :func:`overparam.riccati.closed_form`): a mode's factors
:math:`U_0^\top\phi_i`, :math:`V_0^\top\psi_i` of norm below
``ROUNDOFF_RTOL * ||[U0; V0]||_2`` (:mod:`overparam._numerics`, 1e-12) are set to zero,
and so is an imbalance :math:`\lambda_{0,i}` below ``ROUNDOFF_RTOL * ||[U0; V0]||_2**2``.
Exact zeros matter here: :math:`u = v = 0` is a saddle that any seed leaves, and a balanced
mode with :math:`x_0 y < 0` never reaches :math:`y` while any imbalance lets it cross over.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from . import _numerics as _nx
from . import _validate as _v
from ._scalar_closed_form import rate, x_of_t

__all__ = ["SpectralModes", "find_modes", "trajectories"]

#: Singular values closer than this (relative to the largest) are treated as one
#: cluster whose basis is then chosen to diagonalize everything else. Well above the
#: round-off of an SVD, so that computed singular vectors of distinct clusters are
#: accurate to about 1e-16 / 1e-5 = 1e-11 (relative), below the default rtol.
CLUSTER_GAP = 1e-5

#: Singular values within this (relative to the largest) are equal up to the round-off of
#: the SVD (a few eps): the block of Y in their cluster carries no information on the basis.
REPEATED = 1e-13

#: Fixed, "generic" weights for the combination whose eigenvectors split a cluster.
WEIGHTS = (0.7548776662466927, 0.5698402909980532, 0.4301597090019468, 0.3247179572447460)

_Blocks = tuple[Callable[[np.ndarray, np.ndarray], np.ndarray], ...]


@dataclass(frozen=True)
class SpectralModes:
    r"""The modes of a spectral initialization.

    Mode ``i`` (``i < p = min(m, n)``) is the pair of columns ``Phi[:, i]``,
    ``Psi[:, i]``; its scalar flow has target ``sigma[i]``, initial product ``x0[i]`` and
    imbalance ``lambda0[i]``. Columns ``p:`` of the larger of ``Phi``, ``Psi`` are
    unpaired and never contribute to :math:`W`.

    Attributes
    ----------
    Phi : ndarray, shape (m, m)
    Psi : ndarray, shape (n, n)
        Orthogonal; singular vectors of ``Y`` that are fixed by the flow.
    sigma : ndarray, shape (p,)
        :math:`\phi_i^\top Y \psi_i \ge 0`, the singular values of ``Y`` (decreasing).
    x0 : ndarray, shape (p,)
        :math:`\phi_i^\top W_0 \psi_i`, which may be negative.
    lambda0 : ndarray, shape (p,)
        :math:`\phi_i^\top U_0 U_0^\top \phi_i - \psi_i^\top V_0 V_0^\top \psi_i
        = s_{U,i}^2 - s_{V,i}^2`.
    rate : ndarray, shape (p,)
        :math:`\sqrt{\lambda_{0,i}^2 + 4\sigma_i^2}`.
    """

    Phi: np.ndarray
    Psi: np.ndarray
    sigma: np.ndarray
    x0: np.ndarray
    lambda0: np.ndarray
    rate: np.ndarray


def _sym(A: np.ndarray) -> np.ndarray:
    return 0.5 * (A + A.T)


def _clusters(values: np.ndarray, gap: float) -> list[np.ndarray]:
    """Split a non-increasing sequence into runs whose consecutive gaps are <= gap."""
    if values.size == 0:
        return []
    breaks = np.flatnonzero(values[:-1] - values[1:] > gap) + 1
    return np.split(np.arange(values.size), breaks)


def _split_cluster(
    L: np.ndarray, Rt: np.ndarray, mats: _Blocks
) -> tuple[np.ndarray, np.ndarray]:
    """Rotate paired bases L (m x d), Rt (n x d) by the eigenvectors of a generic
    combination of the d x d blocks of ``mats`` (functions of (L, Rt))."""
    if L.shape[1] < 2:
        return L, Rt
    M = sum(w * f(L, Rt) for w, f in zip(WEIGHTS, mats, strict=False))
    # Shift by the mean eigenvalue (same eigenvectors): eigh's error in an eigenvector is
    # about eps ||M|| / gap, and within a cluster M is dominated by sigma I (the block of
    # Y), which would make the basis only as accurate as eps sigma / gap instead of eps
    # times the spread of the eigenvalues.
    M = M - (np.trace(M) / M.shape[0]) * np.eye(M.shape[0])
    _, O = np.linalg.eigh(M)
    return L @ O, Rt @ O


def _range_bases(Phi, s, Psi, r: int, normY: float, mats: _Blocks) -> tuple[list, list]:
    """Step 1: the modes with sigma_i > 0, paired by the SVD of Y."""
    left, right = [], []
    for idx in _clusters(s[:r], CLUSTER_GAP * normY):
        # Singular values equal to round-off: the block of Y in the cluster is sigma I plus
        # its rounding (eps ||Y||), which says nothing about the basis but would turn it by
        # eps ||Y|| / delta, delta the differences of the other matrices in the cluster (a
        # saddle mode u = v = 0 next to one with x0 ~ 1e-6 ||Y|| would get factors above
        # the round-off threshold, and converge to sigma instead of staying at 0). Then
        # the basis is chosen by W0, U0 U0^T, V0 V0^T alone.
        repeated = s[idx[0]] - s[idx[-1]] <= REPEATED * normY
        L, R = _split_cluster(Phi[:, idx], Psi[:, idx], mats[:3] if repeated else mats)
        left.append(L)
        right.append(R)
    return left, right


def _null_bases(Phi0, Psi0, W0, zero: float, mats: _Blocks):
    """Step 2: on the null spaces of Y (and Y^T), the modes with w_i != 0, paired by W0.

    Returns the bases found and the rest of the two null spaces.
    """
    left, right = [], []
    if not (Phi0.shape[1] and Psi0.shape[1]):
        return left, right, Phi0, Psi0
    Pb, b, PbT = np.linalg.svd(Phi0.T @ W0 @ Psi0)
    rb = int(np.sum(b > zero))
    Phi0, Psi0 = Phi0 @ Pb, Psi0 @ PbT.T
    for idx in _clusters(b[:rb], CLUSTER_GAP * (b[0] if b.size else 0.0)):
        # on the null spaces the block of Y is only its rounding: leave it out
        L, R = _split_cluster(Phi0[:, idx], Psi0[:, idx], mats[:3])
        left.append(L)
        right.append(R)
    return left, right, Phi0[:, rb:], Psi0[:, rb:]


def _rest_bases(Phi0, Psi0, P0, Q0) -> tuple[list, list]:
    """Step 3: what is left has sigma = w = 0 and never moves: any pairing will do, in
    bases that diagonalize U0 U0^T and V0 V0^T."""
    left, right = [], []
    if Phi0.shape[1]:
        _, O = np.linalg.eigh(Phi0.T @ P0 @ Phi0)
        left.append(Phi0 @ O[:, ::-1])
    if Psi0.shape[1]:
        _, O = np.linalg.eigh(Psi0.T @ Q0 @ Psi0)
        right.append(Psi0 @ O[:, ::-1])
    return left, right


def _check_diagonal(Phi, Psi, Y, W0, P0, Q0, zero: float) -> np.ndarray:
    """Step 4: raise unless the four matrices are diagonal in the bases; return sigma."""
    m, n = Y.shape
    p = min(m, n)
    Yd = Phi.T @ Y @ Psi
    diag = np.arange(p)
    sigma = Yd[diag, diag].copy()
    for name, D, d in (
        ("Phi^T Y Psi", Yd, p),
        ("Phi^T U0 V0^T Psi", Phi.T @ W0 @ Psi, p),
        ("Phi^T U0 U0^T Phi", Phi.T @ P0 @ Phi, m),
        ("Psi^T V0 V0^T Psi", Psi.T @ Q0 @ Psi, n),
    ):
        off = D.copy()
        off[np.arange(d), np.arange(d)] = 0.0
        worst = float(np.max(np.abs(off)))
        if worst > zero:
            raise ValueError(
                f"(U0, V0) is not a spectral initialization of Y: in the singular vector "
                f"bases of Y, {name} has an off-diagonal entry {worst:.3g} > rtol * scale "
                f"= {zero:.3g}"
            )
    return sigma


def _mode_values(U0, V0, Phi, Psi, sigma, zero: float, inv: float, rtol: float):
    """Step 5: ``(w, lambda0)`` of each mode, from the factors; raise unless rank one.

    From the factors (not the Gram matrices, whose round-off is eps * scale rather than
    (eps * ||U0||)^2): a_i = U0^T phi_i, b_i = V0^T psi_i, with the round-off convention
    of the module docstring.
    """
    p = sigma.size
    norm_z = float(np.linalg.norm(np.concatenate([U0, V0]), 2))
    a = U0.T @ Phi[:, :p]
    b = V0.T @ Psi[:, :p]
    a[:, np.linalg.norm(a, axis=0) <= _nx.ROUNDOFF_RTOL * norm_z] = 0.0
    b[:, np.linalg.norm(b, axis=0) <= _nx.ROUNDOFF_RTOL * norm_z] = 0.0
    pu, qv, w = np.sum(a * a, axis=0), np.sum(b * b, axis=0), np.sum(a * b, axis=0)
    lam = pu - qv
    lam[np.abs(lam) <= _nx.ROUNDOFF_RTOL * norm_z**2] = 0.0
    active = (np.abs(sigma) > zero) | (np.abs(w) > zero)
    # relative to scale^2, which may overflow
    defect = np.abs((pu * inv) * (qv * inv) - (w * inv) ** 2)
    if np.any(active & (defect > rtol)):
        i = int(np.argmax(np.where(active, defect, -1.0)))
        raise ValueError(
            f"(U0, V0) is not a spectral initialization of Y: mode {i} is not rank one "
            f"(U0^T phi_i and V0^T psi_i are not parallel: p_i q_i - w_i^2 = "
            f"{pu[i] * qv[i] - w[i] ** 2:.3g})"
        )
    return w, lam


def _sorted_modes(Phi, Psi, sigma, w, lam) -> SpectralModes:
    """Step 6: make sigma >= 0 by flipping psi_i (which flips w_i too), and sort."""
    p = sigma.size
    flip = np.where(sigma < 0.0, -1.0, 1.0)
    Psi[:, :p] *= flip
    sigma, w = sigma * flip, w * flip
    order = np.lexsort((-np.abs(w), -sigma))
    Phi[:, :p] = Phi[:, order]
    Psi[:, :p] = Psi[:, order]
    sigma, w, lam = sigma[order], w[order], lam[order]
    return SpectralModes(
        Phi=Phi, Psi=Psi, sigma=sigma, x0=w, lambda0=lam, rate=rate(sigma, lam)
    )


def find_modes(Y: np.ndarray, U0: np.ndarray, V0: np.ndarray, rtol: float) -> SpectralModes:
    r"""The modes of the spectral initialization ``(U0, V0)`` of ``Y``, or raise.

    ``rtol``: every off-diagonal entry must be at most ``rtol * s`` and every
    :math:`\lvert p_i q_i - w_i^2 \rvert` at most ``rtol * s**2``, with the scale
    :math:`s = \max(\lVert Y\rVert_2, \lVert U_0\rVert_2^2, \lVert V_0\rVert_2^2)`;
    values below ``rtol * s`` count as zero. Raises naming U0, V0 if their squares
    overflow.
    """
    m, n = Y.shape
    p = min(m, n)
    _v.finite_gram_scale(U0, V0)
    W0, P0, Q0 = U0 @ V0.T, U0 @ U0.T, V0 @ V0.T
    normY = float(np.linalg.norm(Y, 2))
    scale = max(normY, float(np.linalg.norm(U0, 2)) ** 2, float(np.linalg.norm(V0, 2)) ** 2)
    if scale == 0.0:
        z = np.zeros(p)
        return SpectralModes(np.eye(m), np.eye(n), z, z.copy(), z.copy(), z.copy())
    zero = rtol * scale
    inv = 1.0 / scale
    mats: _Blocks = (
        lambda L, R: inv * _sym(L.T @ W0 @ R),
        lambda L, R: inv * (L.T @ P0 @ L),
        lambda L, R: inv * (R.T @ Q0 @ R),
        lambda L, R: inv * _sym(L.T @ Y @ R),
    )
    Phi, s, PsiT = np.linalg.svd(Y)
    Psi = PsiT.T
    r = int(np.sum(s > zero))
    left, right = _range_bases(Phi, s, Psi, r, normY, mats)
    more_l, more_r, Phi0, Psi0 = _null_bases(Phi[:, r:], Psi[:, r:], W0, zero, mats)
    rest_l, rest_r = _rest_bases(Phi0, Psi0, P0, Q0)
    Phi = np.concatenate(left + more_l + rest_l, axis=1)
    Psi = np.concatenate(right + more_r + rest_r, axis=1)
    sigma = _check_diagonal(Phi, Psi, Y, W0, P0, Q0, zero)
    w, lam = _mode_values(U0, V0, Phi, Psi, sigma, zero, inv, rtol)
    return _sorted_modes(Phi, Psi, sigma, w, lam)


def trajectories(md: SpectralModes, t: np.ndarray) -> np.ndarray:
    """The mode values x_i(t), shape (T, p): the scalar closed form of each mode."""
    out = np.empty((t.size, md.sigma.size))
    for i, (y, x0, lam) in enumerate(zip(md.sigma, md.x0, md.lambda0, strict=True)):
        out[:, i] = x_of_t(float(y), float(x0), float(lam), t)
    return out
