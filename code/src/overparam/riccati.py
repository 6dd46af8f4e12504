r"""The Riccati closed form of matrix factorization under homogeneous imbalance.

When the imbalance is a multiple of the identity,
:math:`U_0^\top U_0 - V_0^\top V_0 = \lambda I_k` (any real :math:`\lambda`), stack
:math:`Z = [U; V]` ((m+n) x k) and let

.. math::

    A = \begin{bmatrix} \tfrac{\lambda}{2} I_m & Y \\
                        Y^\top & -\tfrac{\lambda}{2} I_n \end{bmatrix}.

The gradient flow becomes :math:`\dot Z = A Z - \tfrac12 Z (Z^\top Z)`, and
:math:`K = Z Z^\top` solves the Riccati equation :math:`\dot K = AK + KA - K^2`, whose
solution is (Tarmoun et al. 2021; book: chapter 3, ``thm-riccati``)

.. math::

    K(t) = e^{At} Z_0 \Big[ I_k + Z_0^\top \Big(\int_0^t e^{2As}\,ds\Big) Z_0 \Big]^{-1}
           Z_0^\top e^{At},

and :math:`W(t) = U(t) V(t)^\top` is its upper-right m x n block. Feasibility:
:math:`\lambda > 0` needs :math:`k \le m` and :math:`\lambda < 0` needs :math:`k \le n`.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from . import _numerics as _nx
from . import _validate as _v

__all__ = ["initialization", "closed_form"]


#: Time points per block of the vectorized evaluation of :func:`closed_form` (bounds the
#: memory of the stacked (block, m + n, k) arrays to a few MB).
TIME_BLOCK = 256
#: Largest exponent that the product form of the closed form exponentiates directly
#: (e^600 ~ 1e260 leaves room below the largest float for the products that follow).
LOG_SAFE = 600.0


def _block_matrix(Y: np.ndarray, lam: float) -> np.ndarray:
    r"""The symmetric block matrix :math:`A` of the Riccati equation (module docstring).

    Its eigenvalues are :math:`\pm\sqrt{\lambda^2/4 + \sigma_i(Y)^2}` for
    :math:`i \le \min(m, n)`, plus :math:`\lambda/2` repeated :math:`m - n` times if
    :math:`m > n`, or :math:`-\lambda/2` repeated :math:`n - m` times if :math:`n > m`.
    """
    m, n = Y.shape
    return np.block([[0.5 * lam * np.eye(m), Y], [Y.T, -0.5 * lam * np.eye(n)]])


def _homogeneous_imbalance(U0: np.ndarray, V0: np.ndarray, rtol: float) -> float:
    r"""The :math:`\lambda` with :math:`U_0^\top U_0 - V_0^\top V_0 = \lambda I_k`, or raise.

    :math:`\lambda = \operatorname{tr}(\Lambda)/k`, accepted when
    :math:`\lVert \Lambda - \lambda I \rVert_2 \le \mathrm{rtol}\,(\lVert U_0\rVert_2^2 +
    \lVert V_0\rVert_2^2)` (the scale of the two Gram matrices, so round-off in forming
    them passes). Raises naming U0, V0 if the imbalance is not homogeneous or the scale
    overflows.
    """
    m, k = U0.shape
    n = V0.shape[0]
    scale = _v.finite_gram_scale(U0, V0)
    lam, dev = _nx.homogeneous_part(U0.T @ U0 - V0.T @ V0)
    if dev > rtol * scale:
        why = ""
        if k > m and lam > 0:
            why = f" (k = {k} > m = {m}: U0^T U0 has rank <= m, so lambda > 0 is impossible)"
        elif k > n and lam < 0:
            why = f" (k = {k} > n = {n}: V0^T V0 has rank <= n, so lambda < 0 is impossible)"
        raise ValueError(
            f"U0^T U0 - V0^T V0 is not a multiple of the identity: it differs from "
            f"{lam:.6g} I by {dev:.3g} in the 2-norm, more than rtol * (||U0||_2^2 + "
            f"||V0||_2^2) = {rtol * scale:.3g}{why}; U0, V0 need a homogeneous imbalance"
        )
    return lam


def _sqrt_psd(S: np.ndarray) -> np.ndarray:
    evals, evecs = np.linalg.eigh(S)
    return (evecs * np.sqrt(np.clip(evals, 0.0, None))) @ evecs.T


def initialization(
    m: int, n: int, k: int, lam: float, scale: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    r"""A random :math:`(U_0, V_0)` with homogeneous imbalance.

    That is, :math:`U_0^\top U_0 - V_0^\top V_0 = \lambda I_k`.

    For :math:`\lambda \ge 0` (needs :math:`k \le m`): :math:`V_0 = s\,G` with
    :math:`G` an n x k standard Gaussian matrix, and
    :math:`U_0 = O\,(V_0^\top V_0 + \lambda I_k)^{1/2}` with :math:`O` the m x k factor
    Q of the QR factorization of a Gaussian matrix (random orthonormal columns). For
    :math:`\lambda < 0` (needs :math:`k \le n`) the roles of the two factors are exchanged
    (book: chapter 3, ``sec-closed-riccati``).

    Parameters
    ----------
    m, n, k : int
        Shapes: ``U0`` is m x k, ``V0`` is n x k.
    lam : float
        The imbalance :math:`\lambda`.
    scale : float
        Entry scale :math:`s > 0` of the Gaussian factor.
    rng : numpy.random.Generator
        The only source of randomness.

    Returns
    -------
    (U0, V0) : tuple of ndarray, shapes (m, k) and (n, k)

    Raises
    ------
    ValueError
        If k exceeds m (for lam >= 0) or n (for lam < 0), or the factors overflow
        (naming scale, lam).
    """
    m, n, k = _v.count("m", m), _v.count("n", n), _v.count("k", k)
    lam = _v.real_scalar("lam", lam)
    scale = _v.positive_scalar("scale", scale)
    rng = _v.generator("rng", rng)
    if lam >= 0 and k > m:
        raise ValueError(
            f"k = {k} > m = {m}: lam >= 0 needs k <= m (U0^T U0 = V0^T V0 + lam I has rank <= m)"
        )
    if lam < 0 and k > n:
        raise ValueError(
            f"k = {k} > n = {n}: lam < 0 needs k <= n (V0^T V0 = U0^T U0 - lam I has rank <= n)"
        )
    with np.errstate(over="ignore", invalid="ignore"):
        if lam >= 0:
            small = scale * rng.standard_normal((n, k))
            O = _nx.orthonormal_columns(m, k, rng, haar=False)
            U0, V0 = O @ _sqrt_psd(small.T @ small + lam * np.eye(k)), small
        else:
            small = scale * rng.standard_normal((m, k))
            O = _nx.orthonormal_columns(n, k, rng, haar=False)
            U0, V0 = small, O @ _sqrt_psd(small.T @ small - lam * np.eye(k))
    if not (np.all(np.isfinite(U0)) and np.all(np.isfinite(V0))):
        raise ValueError(
            f"scale = {scale:.3g}, lam = {lam:.3g} are too large: "
            "the Gram matrix scale^2 G^T G + |lam| I overflows"
        )
    return U0, V0


def _echelon(X: np.ndarray, thr: float) -> np.ndarray:
    """Return L = X O (O orthogonal) in column echelon form, rows taken in order.

    Row j gets a new pivot column when its part in the columns not yet pivoted is
    larger than ``thr``; otherwise that part is set to zero. Then column c of L is zero
    above its pivot row, so its growth e^{a t} is that of its pivot row (rows are sorted
    by decreasing a).
    """
    L = X.copy()
    N, k = L.shape
    c = 0
    for j in range(N):
        if c == k:
            break
        v = L[j, c:]
        nu = float(np.linalg.norm(v))
        if nu <= thr:
            L[j, c:] = 0.0
            continue
        # Householder reflection on columns c: mapping v to -sign(v0) nu e_1.
        h = v.copy()
        h[0] += np.copysign(nu, v[0])
        h /= np.linalg.norm(h)
        L[:, c:] -= 2.0 * np.outer(L[:, c:] @ h, h)
        L[j, c + 1 :] = 0.0
        c += 1
    return L


def _w_block(
    t: np.ndarray, a: np.ndarray, S: np.ndarray, L: np.ndarray, logLT: np.ndarray, m: int
) -> np.ndarray:
    r"""W at the times ``t`` (a block), stacked: shape (len(t), m, n).

    ``a`` (decreasing) and ``S`` are the eigenpairs of A; ``L`` is the echelon form of
    :math:`S^\top Z_0` (N x k) and ``logLT`` is :math:`\log\lvert L\rvert^\top` (``-inf``
    at the zeros). In the eigenbasis of A the closed form reads

    .. math::

        W = F_U M^{-1} F_V^\top, \qquad F = S\,\mathrm{diag}(e^{a t})\,L, \qquad
        M = I + L^\top \mathrm{diag}(w)\,L, \qquad w_j = \int_0^t e^{2 a_j s}\,ds,

    and :math:`F` and :math:`M` come, for all times of the block, from one matrix product
    each (their entries are linear in :math:`e^{a_j t}` and in :math:`w_j`). :math:`M` is
    symmetric positive definite: :math:`M^{-1}` is applied through its Cholesky factor,
    whose accuracy does not depend on a diagonal scaling of :math:`M`. When these
    exponentials could overflow, the scaled form of :func:`closed_form` is used instead,
    in which every exponent is :math:`\le 0`.
    """
    k, N = logLT.shape
    T = t.size
    finite = logLT[np.isfinite(logLT)]
    growth = max(float(a[0]), 0.0) * float(t[-1]) + float(finite.max())
    if 2.0 * growth < LOG_SAFE and 2.0 * float(finite.min()) > -LOG_SAFE:
        at = np.multiply.outer(t, a)  # (T, N)
        with np.errstate(divide="ignore", invalid="ignore"):
            two_a = 2.0 * np.where(a != 0.0, a, 1.0)
            w = np.where(a != 0.0, np.expm1(2.0 * at) / two_a, t[:, None])
        pairs = (L[:, :, None] * L[:, None, :]).reshape(N, k * k)  # row j: L_j L_j^T
        M = (w @ pairs).reshape(T, k, k)
        M[:, np.arange(k), np.arange(k)] += 1.0
        # F^T[c, i] = sum_j L_jc e^{a_j t} S_ij: row j of `outer` holds L_j S_{:,j}^T
        outer = (L[:, :, None] * S.T[:, None, :]).reshape(N, k * N)
        FT = (np.exp(at) @ outer).reshape(T, k, N)
    else:
        pos, abs_a = np.maximum(a, 0.0), np.abs(a)
        g = np.multiply.outer(t, pos)
        tau = np.maximum((g[:, None, :] + logLT).max(axis=2), 0.0)  # (T, k)
        with np.errstate(divide="ignore", invalid="ignore"):
            two_a = 2.0 * np.where(abs_a > 0.0, abs_a, 1.0)
            decay = -np.expm1(-2.0 * np.multiply.outer(t, abs_a))
            h = np.where(abs_a > 0.0, decay / two_a, t[:, None])
        Lh = g[:, None, :] + logLT
        Lh -= tau[:, :, None]
        np.exp(Lh, out=Lh)
        Lh *= np.sign(L).T
        M = np.matmul(Lh * h[:, None, :], np.swapaxes(Lh, 1, 2))
        M[:, np.arange(k), np.arange(k)] += np.exp(-2.0 * tau)
        Lh *= np.exp(np.multiply.outer(t, np.minimum(a, 0.0)))[:, None, :]
        FT = (Lh.reshape(T * k, N) @ S.T).reshape(T, k, N)
    # M = C C^T; X = C^{-1} F^T by forward substitution, for all times at once; W = X_U^T X_V
    C = np.linalg.cholesky(M)
    X = np.empty_like(FT)
    for i in range(k):
        r = FT[:, i, :]
        if i:
            r = r - np.matmul(C[:, i : i + 1, :i], X[:, :i, :])[:, 0, :]
        X[:, i, :] = r / C[:, i, i][:, None]
    return np.matmul(np.swapaxes(X[:, :, :m], 1, 2), X[:, :, m:])


def closed_form(
    Y: ArrayLike, U0: ArrayLike, V0: ArrayLike, t: ArrayLike, *, rtol: float = _nx.STRUCTURE_RTOL
) -> np.ndarray:
    r""":math:`W(t)` of the gradient flow under homogeneous imbalance, from the Riccati closed form.

    Requires :math:`U_0^\top U_0 - V_0^\top V_0 = \lambda I_k` (checked, see ``rtol``);
    any real :math:`\lambda`, including 0. Returns the upper-right block of
    (book: chapter 3, ``thm-riccati``, ``eq-riccati-solution``)

    .. math::

        K(t) = F(t)\, M(t)^{-1} F(t)^\top, \qquad F(t) = e^{At} Z_0, \qquad
        M(t) = I_k + Z_0^\top H(t) Z_0, \qquad H(t) = \int_0^t e^{2As}\,ds,

    with :math:`Z_0 = [U_0; V_0]` and
    :math:`A = \begin{bmatrix} \tfrac{\lambda}{2} I_m & Y \\ Y^\top & -\tfrac{\lambda}{2} I_n
    \end{bmatrix}`.

    Numerics. With :math:`A = S\,\mathrm{diag}(a)\,S^\top` and :math:`L = S^\top Z_0 O`,
    where the orthogonal :math:`O` puts :math:`L` in column echelon form with the rows
    sorted by decreasing :math:`a_j`, the formula is evaluated as

    .. math::

        K = S\, \tilde L\, \big[ \mathrm{diag}(e^{-2\tau_c}) + \hat L^\top \mathrm{diag}(h)\,
            \hat L \big]^{-1} \tilde L^\top S^\top,

    where :math:`\hat L_{jc} = L_{jc}\, e^{\max(a_j, 0) t - \tau_c}`,
    :math:`\tilde L_{jc} = \hat L_{jc}\, e^{\min(a_j, 0) t}`,
    :math:`h_j = (1 - e^{-2\lvert a_j\rvert t}) / (2\lvert a_j\rvert)` (``t`` when
    :math:`a_j = 0`) and
    :math:`\tau_c = \max(0, \max_j (\max(a_j,0) t + \log\lvert L_{jc}\rvert))`.
    Every exponent is :math:`\le 0`, so nothing overflows at any ``t``; the exponentials
    that grow are divided out of each column before the solve, exactly. While no
    exponential can overflow, the unscaled form (:math:`\tau_c = 0`) gives the same
    result, since the Cholesky factorization through which :math:`M^{-1}` is applied is
    as accurate for :math:`M` as for any diagonal scaling of it; it costs two matrix
    products per block of times instead of elementwise work on (T, k, N) arrays. All time
    points are evaluated together, by blocks of ``TIME_BLOCK``. The result agrees with
    independent ODE solves to their accuracy (a few :math:`10^{-12}` relative) and with
    :func:`overparam.spectral.closed_form` to a few :math:`10^{-15}`, up to
    :math:`t = 10^6`.

    Round-off convention: components of :math:`S^\top Z_0` (in the echelon sweep) below
    ``1e-12 * ||Z0||_2`` are taken as round-off of exact zeros.
    Otherwise a start that lies exactly on the stable manifold of a saddle would leave it
    after a time of order :math:`\log(10^{16}) / a`, pushed by the rounding of its input.
    Example: a balanced start (:math:`\lambda = 0`) with :math:`m = n` and
    :math:`\det W_0 \det Y < 0` can never reach :math:`Y` (:math:`\det W(t)` keeps its
    sign); its exact flow converges to the best rank-:math:`(n-1)` approximation of
    :math:`Y`, which is what this function returns, whereas a numerical ODE solve stays
    near that saddle only for a while.

    Parameters
    ----------
    Y : array_like, shape (m, n)
    U0 : array_like, shape (m, k)
    V0 : array_like, shape (n, k)
    t : array_like, shape (T,)
        Non-decreasing times ``>= 0``.
    rtol : float
        Tolerance of the homogeneity check, in (0, 1): :math:`\lambda = \operatorname{tr}
        (\Lambda)/k` is accepted when :math:`\lVert \Lambda - \lambda I \rVert_2 \le
        \mathrm{rtol}\,(\lVert U_0\rVert_2^2 + \lVert V_0\rVert_2^2)`.

    Returns
    -------
    ndarray, shape (T, m, n)

    Raises
    ------
    ValueError
        If :math:`U_0^\top U_0 - V_0^\top V_0` is not a multiple of the identity (the
        message names U0, V0), or an argument is malformed.
    """
    Y, U0, V0, _ = _v.problem(Y, U0, V0)
    t = _v.times("t", t)
    rtol = _v.tolerance("rtol", rtol)
    lam = _homogeneous_imbalance(U0, V0, rtol)
    m, n = Y.shape
    a, S = np.linalg.eigh(_block_matrix(Y, lam))
    a, S = a[::-1], S[:, ::-1]  # decreasing growth rates
    Z0 = np.concatenate([U0, V0])
    norm_z = float(np.linalg.norm(Z0, 2))
    W = np.zeros((t.size, m, n))
    if norm_z == 0.0:
        return W
    L = _echelon(S.T @ Z0, _nx.ROUNDOFF_RTOL * norm_z)
    nz = L != 0.0
    logLT = np.where(nz, np.log(np.abs(np.where(nz, L, 1.0))), -np.inf).T.copy()
    for start in range(0, t.size, TIME_BLOCK):
        stop = min(t.size, start + TIME_BLOCK)
        W[start:stop] = _w_block(t[start:stop], a, S, L, logLT, m)
    return W
