r"""The Riccati closed form of matrix factorization under homogeneous imbalance.

When the imbalance is a multiple of the identity,
:math:`U_0^\top U_0 - V_0^\top V_0 = \lambda I_k` (any real :math:`\lambda`), stack
:math:`Z = [U; V]` ((m+n) x k) and let

.. math::

    A = \begin{bmatrix} \tfrac{\lambda}{2} I_m & Y \\ Y^\top & -\tfrac{\lambda}{2} I_n \end{bmatrix}.

The gradient flow becomes :math:`\dot Z = A Z - \tfrac12 Z (Z^\top Z)`, and
:math:`Q = Z Z^\top` solves the Riccati equation :math:`\dot Q = AQ + QA - Q^2`, whose
solution is (Tarmoun et al. 2021; book: chapter 3, the Riccati form)

.. math::

    Q(t) = e^{At} Z_0 \Big[ I_k + Z_0^\top \Big(\int_0^t e^{2As}\,ds\Big) Z_0 \Big]^{-1}
           Z_0^\top e^{At},

and :math:`W(t) = U(t) V(t)^\top` is its upper-right m x n block. Feasibility:
:math:`\lambda > 0` needs :math:`k \le m` and :math:`\lambda < 0` needs :math:`k \le n`.
"""

from __future__ import annotations

import numpy as np

from . import _validate as _v
from .flow import check_problem

__all__ = ["stacked_matrix", "riccati_rhs", "homogeneous_imbalance", "initialization", "closed_form"]

# Components of Z0 (in the eigenbasis of A) below this fraction of ||Z0||_2 are set to
# zero before the growing exponentials are factored out: they are round-off of
# directions that are exactly absent (e.g. a spectral initialization), and keeping them
# would let rounding noise grow like e^{a t} into the answer.
_RANK_RTOL = 1e-12


def _check_tolerance(name: str, value) -> float:
    """A relative tolerance of a structure check: a float in (0, 1). At 1 or above the
    check would accept any input (every deviation it measures is at most about the scale)."""
    value = _v.positive_scalar(name, value)
    if value >= 1.0:
        raise ValueError(f"{name} must be < 1 (a relative tolerance; {name} >= 1 accepts any input), got {value}")
    return value


def _gram_scale(U0: np.ndarray, V0: np.ndarray) -> float:
    """``||U0||_2^2 + ||V0||_2^2``, or raise naming U0, V0 if it overflows."""
    with np.errstate(over="ignore"):
        scale = float(np.square(np.linalg.norm(U0, 2)) + np.square(np.linalg.norm(V0, 2)))
    if not np.isfinite(scale):
        raise ValueError("U0, V0 are too large: ||U0||_2^2 + ||V0||_2^2 overflows")
    return scale


def stacked_matrix(Y, lam) -> np.ndarray:
    r"""The symmetric matrix :math:`A = \begin{bmatrix} \tfrac{\lambda}{2} I_m & Y \\ Y^\top & -\tfrac{\lambda}{2} I_n \end{bmatrix}`.

    Its eigenvalues are :math:`\pm\sqrt{\lambda^2/4 + \sigma_i(Y)^2}` for
    :math:`i \le \min(m, n)`, plus :math:`\lambda/2` repeated :math:`m - n` times if
    :math:`m > n`, or :math:`-\lambda/2` repeated :math:`n - m` times if :math:`n > m`
    (book: chapter 3).

    Parameters
    ----------
    Y : array_like, shape (m, n)
    lam : float
        The imbalance :math:`\lambda` in :math:`U^\top U - V^\top V = \lambda I`.

    Returns
    -------
    ndarray, shape (m + n, m + n)
    """
    Y = _v.matrix("Y", Y)
    lam = _v.real_scalar("lam", lam)
    m, n = Y.shape
    return np.block([[0.5 * lam * np.eye(m), Y], [Y.T, -0.5 * lam * np.eye(n)]])


def riccati_rhs(Q, A) -> np.ndarray:
    r"""The right-hand side :math:`AQ + QA - Q^2` of the Riccati equation for :math:`Q = ZZ^\top`.

    Parameters
    ----------
    Q, A : array_like, shape (N, N)
        Symmetric (``A`` from :func:`stacked_matrix`, ``Q = Z Z^T``), checked to
        ``1e-10`` relative to their largest entry: the equation holds only for those.
    """
    A = _v.matrix("A", A)
    N = A.shape[0]
    if A.shape[1] != N:
        raise ValueError(f"A must be square, got shape {A.shape}")
    Q = _v.matrix("Q", Q, rows=N, cols=N, rows_hint=f"A is {N} x {N}", cols_hint=f"A is {N} x {N}")
    for name, M in (("A", A), ("Q", Q)):
        asym = float(np.max(np.abs(M - M.T)))
        if asym > 1e-10 * float(np.max(np.abs(M))):
            raise ValueError(
                f"{name} must be symmetric (the Riccati equation is for the symmetric A of stacked_matrix "
                f"and Q = Z Z^T): max |{name} - {name}^T| = {asym:.3g}"
            )
    return A @ Q + Q @ A - Q @ Q


def _imbalance_scalar(U0: np.ndarray, V0: np.ndarray, rtol: float) -> float:
    m, k = U0.shape
    n = V0.shape[0]
    scale = _gram_scale(U0, V0)
    Lam = U0.T @ U0 - V0.T @ V0
    lam = float(np.trace(Lam)) / k
    dev = float(np.linalg.norm(Lam - lam * np.eye(k), 2))
    if dev > rtol * scale:
        why = ""
        if k > m and lam > 0:
            why = f" (k = {k} > m = {m}: U0^T U0 has rank <= m, so lambda > 0 is impossible)"
        elif k > n and lam < 0:
            why = f" (k = {k} > n = {n}: V0^T V0 has rank <= n, so lambda < 0 is impossible)"
        raise ValueError(
            f"U0^T U0 - V0^T V0 is not a multiple of the identity: it differs from "
            f"{lam:.6g} I by {dev:.3g} in the 2-norm, more than rtol * (||U0||_2^2 + ||V0||_2^2) = "
            f"{rtol * scale:.3g}{why}; U0, V0 need a homogeneous imbalance"
        )
    return lam


def homogeneous_imbalance(U0, V0, *, rtol: float = 1e-10) -> float:
    r"""The :math:`\lambda` with :math:`U_0^\top U_0 - V_0^\top V_0 = \lambda I_k`, or raise.

    :math:`\lambda = \operatorname{tr}(\Lambda)/k`, accepted when
    :math:`\lVert \Lambda - \lambda I \rVert_2 \le \mathrm{rtol}\,(\lVert U_0\rVert_2^2 + \lVert V_0\rVert_2^2)`
    (the scale of the two Gram matrices, so round-off in forming them passes).

    Parameters
    ----------
    U0 : array_like, shape (m, k)
    V0 : array_like, shape (n, k)
    rtol : float
        In (0, 1): at 1 or above the check would accept any input.

    Raises
    ------
    ValueError
        If the imbalance is not a multiple of the identity, or its scale overflows
        (naming U0, V0).
    """
    U0 = _v.matrix("U0", U0)
    V0 = _v.matrix("V0", V0, cols=U0.shape[1], cols_hint=f"U0 has {U0.shape[1]} columns: V0 must be n x k with the same k")
    rtol = _check_tolerance("rtol", rtol)
    return _imbalance_scalar(U0, V0, rtol)


def _sqrt_psd(S: np.ndarray) -> np.ndarray:
    evals, evecs = np.linalg.eigh(S)
    return (evecs * np.sqrt(np.clip(evals, 0.0, None))) @ evecs.T


def initialization(m: int, n: int, k: int, lam, scale, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    r"""A random :math:`(U_0, V_0)` with homogeneous imbalance :math:`U_0^\top U_0 - V_0^\top V_0 = \lambda I_k`.

    For :math:`\lambda \ge 0` (needs :math:`k \le m`): :math:`V_0 = s\,G` with
    :math:`G` an n x k standard Gaussian matrix, and
    :math:`U_0 = O\,(V_0^\top V_0 + \lambda I_k)^{1/2}` with :math:`O` an m x k matrix
    with random orthonormal columns. For :math:`\lambda < 0` (needs :math:`k \le n`)
    the roles of the two factors are exchanged (book: chapter 3, the Riccati form).

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
        raise ValueError(f"k = {k} > m = {m}: lam >= 0 needs k <= m (U0^T U0 = V0^T V0 + lam I has rank <= m)")
    if lam < 0 and k > n:
        raise ValueError(f"k = {k} > n = {n}: lam < 0 needs k <= n (V0^T V0 = U0^T U0 - lam I has rank <= n)")
    with np.errstate(over="ignore", invalid="ignore"):
        if lam >= 0:
            small = scale * rng.standard_normal((n, k))
            O, _ = np.linalg.qr(rng.standard_normal((m, k)))
            U0, V0 = O @ _sqrt_psd(small.T @ small + lam * np.eye(k)), small
        else:
            small = scale * rng.standard_normal((m, k))
            O, _ = np.linalg.qr(rng.standard_normal((n, k)))
            U0, V0 = small, O @ _sqrt_psd(small.T @ small - lam * np.eye(k))
    if not (np.all(np.isfinite(U0)) and np.all(np.isfinite(V0))):
        raise ValueError(
            f"scale = {scale:.3g}, lam = {lam:.3g} are too large: the Gram matrix scale^2 G^T G + |lam| I overflows"
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


def closed_form(Y, U0, V0, t, *, rtol: float = 1e-10) -> np.ndarray:
    r""":math:`W(t)` of the gradient flow under homogeneous imbalance, from the Riccati closed form.

    Requires :math:`U_0^\top U_0 - V_0^\top V_0 = \lambda I_k` (checked by
    :func:`homogeneous_imbalance`); any real :math:`\lambda`, including 0. Returns the
    upper-right block of

    .. math::

        Q(t) = e^{At} Z_0 \big[ I_k + Z_0^\top H(t) Z_0 \big]^{-1} Z_0^\top e^{At},
        \qquad H(t) = \int_0^t e^{2As}\,ds,

    with :math:`A` from :func:`stacked_matrix` (book: chapter 3).

    Numerics. With :math:`A = S\,\mathrm{diag}(a)\,S^\top` and :math:`L = S^\top Z_0 O`,
    where the orthogonal :math:`O` puts :math:`L` in column echelon form with the rows
    sorted by decreasing :math:`a_j`, the formula is evaluated as

    .. math::

        Q = S\, \tilde L\, \big[ \mathrm{diag}(e^{-2\tau_c}) + \hat L^\top \mathrm{diag}(h)\, \hat L \big]^{-1}
            \tilde L^\top S^\top,

    where :math:`\hat L_{jc} = L_{jc}\, e^{\max(a_j, 0) t - \tau_c}`,
    :math:`\tilde L_{jc} = \hat L_{jc}\, e^{\min(a_j, 0) t}`,
    :math:`h_j = (1 - e^{-2\lvert a_j\rvert t}) / (2\lvert a_j\rvert)` (``t`` when
    :math:`a_j = 0`) and :math:`\tau_c = \max(0, \max_j (\max(a_j,0) t + \log\lvert L_{jc}\rvert))`.
    Every exponent is :math:`\le 0`, so nothing overflows at any ``t``; the exponentials
    that grow are divided out of each column before the solve, exactly. In the tests
    the result agrees with independent ODE solves to the solvers' accuracy (a few
    :math:`10^{-12}` relative) and with :func:`overparam.spectral.closed_form` to
    :math:`4 \cdot 10^{-15}`, up to :math:`t = 10^6`.

    Round-off convention: components of :math:`S^\top Z_0` (in the echelon sweep) below
    ``1e-12 * ||Z0||_2`` are taken as round-off of exact zeros. Otherwise a start that lies
    exactly on the stable manifold of a saddle would leave it after a time of order
    :math:`\log(10^{16}) / a`, pushed by the rounding of its input. Example: a balanced
    start (:math:`\lambda = 0`) with :math:`m = n` and
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
        Tolerance of the homogeneity check, in (0, 1), see :func:`homogeneous_imbalance`.

    Returns
    -------
    ndarray, shape (T, m, n)

    Raises
    ------
    ValueError
        If :math:`U_0^\top U_0 - V_0^\top V_0` is not a multiple of the identity (the
        message names U0, V0), or an argument is malformed.
    """
    Y, U0, V0, _ = check_problem(Y, U0, V0)
    t = _v.times("t", t)
    rtol = _check_tolerance("rtol", rtol)
    lam = _imbalance_scalar(U0, V0, rtol)
    m, n = Y.shape
    k = U0.shape[1]
    A = np.block([[0.5 * lam * np.eye(m), Y], [Y.T, -0.5 * lam * np.eye(n)]])
    a, S = np.linalg.eigh(A)
    a, S = a[::-1], S[:, ::-1]  # decreasing growth rates
    Z0 = np.concatenate([U0, V0])
    norm_z = float(np.linalg.norm(Z0, 2))
    W = np.zeros((t.size, m, n))
    if norm_z == 0.0:
        return W
    L = _echelon(S.T @ Z0, _RANK_RTOL * norm_z)
    nz = L != 0.0
    logL = np.log(np.abs(np.where(nz, L, 1.0)))
    sign = np.sign(L)
    pos = np.maximum(a, 0.0)
    neg = np.minimum(a, 0.0)
    abs_a = np.abs(a)
    for i, ti in enumerate(t):
        growth = pos[:, None] * ti + logL  # log |L_jc e^{max(a_j,0) t}|
        tau = np.maximum(0.0, np.max(np.where(nz, growth, -np.inf), axis=0))
        Lhat = sign * np.exp(np.where(nz, growth - tau, -np.inf))
        Ltil = Lhat * np.exp(neg * ti)[:, None]
        with np.errstate(divide="ignore", invalid="ignore"):
            h = np.where(abs_a > 0.0, -np.expm1(-2.0 * abs_a * ti) / (2.0 * np.where(abs_a > 0.0, abs_a, 1.0)), ti)
        K = np.diag(np.exp(-2.0 * tau)) + Lhat.T @ (h[:, None] * Lhat)
        F = S @ Ltil
        W[i] = F[:m] @ np.linalg.solve(K, F[m:].T)
    return W
