r"""Spectral initialization of matrix factorization and its closed-form flow.

Let :math:`Y = \Phi \Sigma \Psi^\top` be a full SVD (:math:`\Phi` m x m,
:math:`\Psi` n x n orthogonal). A *spectral initialization* is

.. math::

    U_0 = \Phi S_U R^\top, \qquad V_0 = \Psi S_V R^\top,

with :math:`R` orthogonal (k x k) and :math:`S_U` (m x k), :math:`S_V` (n x k)
diagonal. Under the gradient flow :math:`\dot U = (Y - UV^\top)V`,
:math:`\dot V = (Y - UV^\top)^\top U` the singular vectors stay fixed,
:math:`W(t) = \Phi\, \mathrm{diag}(x_i(t))\, \Psi^\top`, and each mode
:math:`x_i = s_{U,i} s_{V,i}` follows the scalar flow with target
:math:`y = \sigma_i(Y)` (0 beyond the rank) and imbalance
:math:`\lambda_{0,i} = s_{U,i}^2 - s_{V,i}^2`; it converges at rate
:math:`\sqrt{\lambda_{0,i}^2 + 4\sigma_i^2}` (book: chapter 3, spectral
initialization).

Functions
---------
initialization
    Build :math:`(U_0, V_0)` from :math:`Y`, the diagonals and :math:`R`.
random_orthogonal
    A Haar-distributed orthogonal matrix, e.g. for :math:`R`.
modes
    Recognise a spectral initialization and return its modes (or raise).
mode_trajectories
    The mode values :math:`x_i(t)` in closed form.
closed_form
    :math:`W(t)` in closed form.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import _validate as _v
from .flow import check_problem
from .riccati import _RANK_RTOL as _ROUNDOFF
from .riccati import _check_tolerance, _gram_scale
from .scalar import _closed_form_x

__all__ = [
    "SpectralModes",
    "initialization",
    "random_orthogonal",
    "modes",
    "mode_trajectories",
    "closed_form",
]

# Singular values closer than this (relative to the largest) are treated as one
# cluster whose basis is then chosen to diagonalize everything else. Well above the
# round-off of an SVD, so that computed singular vectors of distinct clusters are
# accurate to about 1e-16 / 1e-5 = 1e-11 (relative), below the default rtol.
_CLUSTER_GAP = 1e-5

# Singular values within this (relative to the largest) are equal up to the round-off of
# the SVD (a few eps): the block of Y in their cluster carries no information on the basis.
_REPEATED = 1e-13

# Fixed, "generic" weights for the combination whose eigenvectors split a cluster.
_WEIGHTS = (0.7548776662466927, 0.5698402909980532, 0.4301597090019468, 0.3247179572447460)


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
        :math:`\phi_i^\top Y \psi_i \ge 0`, the singular values of ``Y`` (in
        decreasing order).
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
    """
    k = _v.count("k", k)
    rng = _v.generator("rng", rng)
    Q, R = np.linalg.qr(rng.standard_normal((int(k), int(k))))
    signs = np.sign(np.diag(R))
    signs[signs == 0] = 1.0
    return Q * signs


def initialization(Y, k: int, s_u, s_v, *, R=None) -> tuple[np.ndarray, np.ndarray]:
    r"""A spectral initialization :math:`U_0 = \Phi S_U R^\top`, :math:`V_0 = \Psi S_V R^\top`.

    :math:`Y = \Phi\Sigma\Psi^\top` is the full SVD computed by
    :func:`numpy.linalg.svd` (singular values in decreasing order); :math:`S_U`
    (m x k) and :math:`S_V` (n x k) are diagonal with the given diagonals (book:
    chapter 3). Mode ``i`` then starts at :math:`x_i = s_{U,i} s_{V,i}` with imbalance
    :math:`s_{U,i}^2 - s_{V,i}^2` and target :math:`\sigma_i(Y)`.

    Parameters
    ----------
    Y : array_like, shape (m, n)
    k : int
        Width, ``>= 1``.
    s_u : array_like, shape (min(m, k),)
        Diagonal of :math:`S_U`; any real numbers.
    s_v : array_like, shape (min(n, k),)
        Diagonal of :math:`S_V`.
    R : array_like, shape (k, k), optional
        Orthogonal (checked to 1e-10); the identity when omitted.

    Returns
    -------
    U0 : ndarray, shape (m, k)
    V0 : ndarray, shape (n, k)
    """
    Y = _v.matrix("Y", Y)
    m, n = Y.shape
    if isinstance(k, (int, np.integer)) and not isinstance(k, bool) and k < 1:
        raise ValueError(f"k must be a positive integer, got {k!r}")
    k = _v.count("k", k)  # TypeError for a k that is not an int
    s_u = _v.real_array("s_u", s_u)
    s_v = _v.real_array("s_v", s_v)
    if s_u.shape != (min(m, k),):
        raise ValueError(f"s_u has shape {s_u.shape} but must have min(m, k) = {min(m, k)} entries (Y is {m} x {n}, k = {k})")
    if s_v.shape != (min(n, k),):
        raise ValueError(f"s_v has shape {s_v.shape} but must have min(n, k) = {min(n, k)} entries (Y is {m} x {n}, k = {k})")
    if R is None:
        R = np.eye(k)
    else:
        R = _v.matrix("R", R, rows=k, cols=k, rows_hint=f"k = {k}: R must be k x k", cols_hint=f"k = {k}: R must be k x k")
        if np.max(np.abs(R.T @ R - np.eye(k))) > 1e-10:
            raise ValueError("R must be orthogonal: R^T R differs from the identity by more than 1e-10")
    Phi, _, PsiT = np.linalg.svd(Y)
    S_U = np.zeros((m, k))
    S_U[np.arange(s_u.size), np.arange(s_u.size)] = s_u
    S_V = np.zeros((n, k))
    S_V[np.arange(s_v.size), np.arange(s_v.size)] = s_v
    return Phi @ S_U @ R.T, PsiT.T @ S_V @ R.T


def _sym(A: np.ndarray) -> np.ndarray:
    return 0.5 * (A + A.T)


def _clusters(values: np.ndarray, gap: float) -> list[np.ndarray]:
    """Split a non-increasing sequence into runs whose consecutive gaps are <= gap."""
    if values.size == 0:
        return []
    breaks = np.flatnonzero(values[:-1] - values[1:] > gap) + 1
    return np.split(np.arange(values.size), breaks)


def _split_cluster(L: np.ndarray, Rt: np.ndarray, mats) -> tuple[np.ndarray, np.ndarray]:
    """Rotate paired bases L (m x d), Rt (n x d) by the eigenvectors of a generic
    combination of the d x d blocks of ``mats`` (functions of (L, Rt))."""
    if L.shape[1] < 2:
        return L, Rt
    M = sum(w * f(L, Rt) for w, f in zip(_WEIGHTS, mats))
    # Shift by the mean eigenvalue (same eigenvectors): eigh's error in an eigenvector is
    # about eps ||M|| / gap, and within a cluster M is dominated by sigma I (the block of
    # Y), which would make the basis only as accurate as eps sigma / gap (5e-12 for the
    # gaps of 1e-5 seen in the tests) instead of eps times the spread of the eigenvalues.
    M = M - (np.trace(M) / M.shape[0]) * np.eye(M.shape[0])
    _, O = np.linalg.eigh(M)
    return L @ O, Rt @ O


def modes(Y, U0, V0, *, rtol: float = 1e-10) -> SpectralModes:
    r"""Recognise a spectral initialization of ``Y`` and return its modes.

    ``(U0, V0)`` is accepted when there are orthogonal :math:`\Phi` (m x m),
    :math:`\Psi` (n x n), pairing their first :math:`p = \min(m, n)` columns, with

    * :math:`\Phi^\top Y \Psi`, :math:`\Phi^\top U_0 V_0^\top \Psi` diagonal (m x n),
    * :math:`\Phi^\top U_0 U_0^\top \Phi` and :math:`\Psi^\top V_0 V_0^\top \Psi` diagonal,
    * :math:`p_i q_i = w_i^2` for every mode with :math:`(\sigma_i, w_i) \ne 0`, where
      :math:`p_i, q_i, w_i, \sigma_i` are the diagonal entries (mode ``i`` is then
      rank one: :math:`U_0^\top\phi_i \parallel V_0^\top\psi_i`).

    These are exactly the initializations :math:`\Phi S_U R^\top, \Psi S_V R^\top`
    of the book (chapter 3), allowing repeated and zero singular values (any SVD
    bases) and, for modes with :math:`\sigma_i = w_i = 0`, which stay at zero, any
    pairing. Under them the width-free system for :math:`(W, UU^\top, VV^\top)` stays
    diagonal and each mode follows the scalar flow, which is what
    :func:`closed_form` uses.

    The bases are found by an SVD of ``Y`` (then of the part of :math:`W_0` on the null
    spaces of ``Y``), with clusters of (nearly) equal singular values split by the
    eigenvectors of a generic combination of the other matrices, and then checked.

    Round-off convention (as in :mod:`overparam.riccati`): a mode's factors
    :math:`U_0^\top\phi_i`, :math:`V_0^\top\psi_i` of norm below
    ``1e-12 * ||[U0; V0]||_2`` are set to zero, and so is an imbalance
    :math:`\lambda_{0,i}` below ``1e-12 * ||[U0; V0]||_2**2``. Exact zeros matter here:
    :math:`u = v = 0` is a saddle that any seed leaves, and a balanced mode with
    :math:`x_0 y < 0` never reaches :math:`y` while any imbalance lets it cross over.

    Parameters
    ----------
    Y : array_like, shape (m, n)
    U0 : array_like, shape (m, k)
    V0 : array_like, shape (n, k)
    rtol : float
        Tolerance of the check: every off-diagonal entry above must be at most
        ``rtol * s`` and every :math:`\lvert p_i q_i - w_i^2 \rvert` at most
        ``rtol * s**2``, with the scale
        :math:`s = \max(\lVert Y\rVert_2, \lVert U_0\rVert_2^2, \lVert V_0\rVert_2^2)`.
        Values below ``rtol * s`` count as zero. In (0, 1): at 1 or above the check
        would accept any input.

    Returns
    -------
    SpectralModes

    Raises
    ------
    ValueError
        If ``(U0, V0)`` is not a spectral initialization of ``Y`` (within ``rtol``), or
        the shapes do not fit.
    """
    Y, U0, V0, _ = check_problem(Y, U0, V0)
    rtol = _check_tolerance("rtol", rtol)
    m, n = Y.shape
    p = min(m, n)
    _gram_scale(U0, V0)  # raises naming U0, V0 if their squares overflow
    W0 = U0 @ V0.T
    P0 = U0 @ U0.T
    Q0 = V0 @ V0.T
    normY = float(np.linalg.norm(Y, 2))
    scale = max(normY, float(np.linalg.norm(U0, 2)) ** 2, float(np.linalg.norm(V0, 2)) ** 2)
    if scale == 0.0:
        z = np.zeros(p)
        return SpectralModes(np.eye(m), np.eye(n), z, z.copy(), z.copy(), z.copy())
    zero = rtol * scale
    inv = 1.0 / scale

    mats = (
        lambda L, R: inv * _sym(L.T @ W0 @ R),
        lambda L, R: inv * (L.T @ P0 @ L),
        lambda L, R: inv * (R.T @ Q0 @ R),
        lambda L, R: inv * _sym(L.T @ Y @ R),
    )

    # 1. The modes with sigma_i > 0, paired by the SVD of Y.
    Phi, s, PsiT = np.linalg.svd(Y)
    Psi = PsiT.T
    r = int(np.sum(s > zero))
    left, right = [], []
    for idx in _clusters(s[:r], _CLUSTER_GAP * normY):
        # Singular values equal to round-off: the block of Y in the cluster is sigma I plus
        # its rounding (eps ||Y||), which says nothing about the basis but would turn it by
        # eps ||Y|| / delta, delta the differences of the other matrices in the cluster
        # (seen: a saddle mode u = v = 0 next to one with x0 ~ 1e-6 ||Y|| got factors of
        # 1e-11, above the round-off threshold below, and converged to sigma instead of
        # staying at 0). Then the basis is chosen by W0, U0 U0^T, V0 V0^T alone.
        repeated = s[idx[0]] - s[idx[-1]] <= _REPEATED * normY
        L, R = _split_cluster(Phi[:, idx], Psi[:, idx], mats[:3] if repeated else mats)
        left.append(L)
        right.append(R)

    # 2. On the null spaces of Y (and Y^T), the modes with w_i != 0, paired by W0.
    Phi0, Psi0 = Phi[:, r:], Psi[:, r:]
    if Phi0.shape[1] and Psi0.shape[1]:
        Pb, b, PbT = np.linalg.svd(Phi0.T @ W0 @ Psi0)
        rb = int(np.sum(b > zero))
        Phi0, Psi0 = Phi0 @ Pb, Psi0 @ PbT.T
        for idx in _clusters(b[:rb], _CLUSTER_GAP * (b[0] if b.size else 0.0)):
            # on the null spaces the block of Y is only its rounding: leave it out
            L, R = _split_cluster(Phi0[:, idx], Psi0[:, idx], mats[:3])
            left.append(L)
            right.append(R)
        Phi0, Psi0 = Phi0[:, rb:], Psi0[:, rb:]

    # 3. What is left has sigma = w = 0 and never moves: any pairing will do, in bases
    #    that diagonalize U0 U0^T and V0 V0^T.
    if Phi0.shape[1]:
        _, O = np.linalg.eigh(Phi0.T @ P0 @ Phi0)
        left.append(Phi0 @ O[:, ::-1])
    if Psi0.shape[1]:
        _, O = np.linalg.eigh(Psi0.T @ Q0 @ Psi0)
        right.append(Psi0 @ O[:, ::-1])
    Phi = np.concatenate(left, axis=1)
    Psi = np.concatenate(right, axis=1)

    # 4. Check.
    Yd = Phi.T @ Y @ Psi
    Wd = Phi.T @ W0 @ Psi
    Pd = Phi.T @ P0 @ Phi
    Qd = Psi.T @ Q0 @ Psi
    diag = np.arange(p)
    sigma = Yd[diag, diag].copy()
    for name, D, d in (
        ("Phi^T Y Psi", Yd, p),
        ("Phi^T U0 V0^T Psi", Wd, p),
        ("Phi^T U0 U0^T Phi", Pd, m),
        ("Psi^T V0 V0^T Psi", Qd, n),
    ):
        off = D.copy()
        off[np.arange(d), np.arange(d)] = 0.0
        worst = float(np.max(np.abs(off)))
        if worst > zero:
            raise ValueError(
                f"(U0, V0) is not a spectral initialization of Y: in the singular vector bases of Y, "
                f"{name} has an off-diagonal entry {worst:.3g} > rtol * scale = {zero:.3g}"
            )
    # The modes themselves, from the factors (not the Gram matrices, whose round-off is
    # eps * scale rather than (eps * ||U0||)^2): a_i = U0^T phi_i, b_i = V0^T psi_i.
    # Components at round-off level are exact zeros (u = v = 0 is a saddle, where any
    # noise would grow), and so is an imbalance at round-off level (a balanced mode with
    # x0 y < 0 never reaches y, while any imbalance lets it cross over eventually); the
    # same convention as the Riccati closed form, see overparam.riccati.
    norm_z = float(np.linalg.norm(np.concatenate([U0, V0]), 2))
    a = U0.T @ Phi[:, :p]
    b = V0.T @ Psi[:, :p]
    a[:, np.linalg.norm(a, axis=0) <= _ROUNDOFF * norm_z] = 0.0
    b[:, np.linalg.norm(b, axis=0) <= _ROUNDOFF * norm_z] = 0.0
    pu, qv, w = np.sum(a * a, axis=0), np.sum(b * b, axis=0), np.sum(a * b, axis=0)
    lam = pu - qv
    lam[np.abs(lam) <= _ROUNDOFF * norm_z**2] = 0.0
    active = (np.abs(sigma) > zero) | (np.abs(w) > zero)
    defect = np.abs((pu * inv) * (qv * inv) - (w * inv) ** 2)  # relative to scale^2, which may overflow
    if np.any(active & (defect > rtol)):
        i = int(np.argmax(np.where(active, defect, -1.0)))
        raise ValueError(
            f"(U0, V0) is not a spectral initialization of Y: mode {i} is not rank one "
            f"(U0^T phi_i and V0^T psi_i are not parallel: p_i q_i - w_i^2 = {pu[i] * qv[i] - w[i] ** 2:.3g})"
        )

    # Make sigma >= 0 by flipping psi_i (which flips w_i too), and sort the modes.
    flip = np.where(sigma < 0.0, -1.0, 1.0)
    Psi[:, :p] *= flip
    sigma, w = sigma * flip, w * flip
    order = np.lexsort((-np.abs(w), -sigma))
    Phi[:, :p] = Phi[:, order]
    Psi[:, :p] = Psi[:, order]
    sigma, w, lam = sigma[order], w[order], lam[order]
    return SpectralModes(Phi=Phi, Psi=Psi, sigma=sigma, x0=w, lambda0=lam, rate=np.hypot(lam, 2.0 * sigma))


def mode_trajectories(Y, U0, V0, t, *, rtol: float = 1e-10) -> np.ndarray:
    r"""The mode values :math:`x_i(t) = \phi_i^\top W(t) \psi_i` of a spectral initialization.

    Each is the scalar closed form (:func:`overparam.scalar.closed_form`) with target
    :math:`\sigma_i(Y)`, initial product ``x0[i]`` and imbalance ``lambda0[i]`` of
    :func:`modes`. Their absolute values are the singular values of :math:`W(t)`
    (book: chapter 3).

    Parameters
    ----------
    Y, U0, V0 : array_like
        As in :func:`modes`.
    t : array_like, shape (T,)
        Non-decreasing times ``>= 0``.
    rtol : float
        Tolerance of the spectral check, see :func:`modes`.

    Returns
    -------
    ndarray, shape (T, min(m, n))
        Column ``i`` is mode ``i`` of :func:`modes`, in decreasing order of
        :math:`\sigma_i(Y)`.
    """
    md = modes(Y, U0, V0, rtol=rtol)
    t = _v.times("t", t)
    return _trajectories(md, t)


def _trajectories(md: SpectralModes, t: np.ndarray) -> np.ndarray:
    out = np.empty((t.size, md.sigma.size))
    for i, (y, x0, lam) in enumerate(zip(md.sigma, md.x0, md.lambda0)):
        out[:, i] = _closed_form_x(t, float(y), float(x0), float(lam))
    return out


def closed_form(Y, U0, V0, t, *, rtol: float = 1e-10) -> np.ndarray:
    r""":math:`W(t)` of the gradient flow from a spectral initialization, in closed form.

    .. math::

        W(t) = \sum_{i=1}^{\min(m, n)} x_i(t)\, \phi_i \psi_i^\top,

    where :math:`\phi_i, \psi_i` are the singular vectors of ``Y`` found by
    :func:`modes` and :math:`x_i(t)` is the scalar closed form with
    :math:`y = \sigma_i(Y)` (0 beyond the rank), :math:`x_0 = s_{U,i} s_{V,i}`,
    :math:`\lambda_0 = s_{U,i}^2 - s_{V,i}^2` (book: chapter 3). Finite for every
    ``t``; the error is that of :func:`overparam.scalar.closed_form` per mode plus the
    round-off of the SVD, at the level of :math:`10^{-14}` times the scale
    :math:`\max(\lVert Y\rVert_2, \lVert U_0\rVert_2^2, \lVert V_0\rVert_2^2)` (see
    :func:`modes` for how round-off zeros are treated).

    Parameters
    ----------
    Y : array_like, shape (m, n)
    U0 : array_like, shape (m, k)
    V0 : array_like, shape (n, k)
        A spectral initialization of ``Y`` (see :func:`modes`), e.g. from
        :func:`initialization`.
    t : array_like, shape (T,)
        Non-decreasing times ``>= 0``.
    rtol : float
        Tolerance of the spectral check, see :func:`modes`.

    Returns
    -------
    ndarray, shape (T, m, n)

    Raises
    ------
    ValueError
        If ``(U0, V0)`` is not spectral for ``Y``, or an argument is malformed.
    """
    md = modes(Y, U0, V0, rtol=rtol)
    t = _v.times("t", t)
    p = md.sigma.size
    x = _trajectories(md, t)
    # W(t) = Phi_p diag(x(t)) Psi_p^T for every t, as one matrix product (an einsum over
    # the three factors was 90% of the cost at 10^4 times)
    Phi_p, Psi_p = md.Phi[:, :p], md.Psi[:, :p]
    T = x.shape[0]
    m, n = Phi_p.shape[0], Psi_p.shape[0]
    scaled = (x[:, None, :] * Phi_p[None, :, :]).reshape(T * m, p)  # rows: (t, i), entries x_p(t) Phi_ip
    return (scaled @ Psi_p.T).reshape(T, m, n)
