"""Numerics shared by the modules of :mod:`overparam` (private; no input checks).

One home for each formula that more than one module needs. Everything here trusts
its caller: the public functions check their inputs (:mod:`overparam._validate`)
before they call into this module.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = [
    "ROUNDOFF_RTOL",
    "STRUCTURE_RTOL",
    "GRAM_FACTOR_MIN_EIG",
    "QR_BLOCK",
    "rank_tolerance",
    "numerical_rank",
    "haar_orthogonal",
    "orthonormal_columns",
    "narrow_factor",
    "eigenvalues_desc",
    "book_index",
    "pos",
    "imbalance_terms",
    "h",
    "homogeneous_part",
    "gram_scale",
    "margin",
    "residual",
    "loss",
    "residual_gradient",
]

#: Components (of a start in an eigenbasis, of a singular spectrum) below this fraction of
#: the scale are taken as round-off of exact zeros. Keeping them would let rounding noise
#: grow like :math:`e^{a t}` into a closed form that should stay on a stable manifold.
ROUNDOFF_RTOL = 1e-12

#: Default relative tolerance of the structure checks of a start (a homogeneous imbalance,
#: a spectral initialization, a symmetric matrix): round-off in forming the matrices passes.
STRUCTURE_RTOL = 1e-10

#: Smallest eigenvalue of the Gram matrix of [U0; V0] scaled to unit diagonal for which
#: its eigen-factor is used by :func:`narrow_factor` (below it, a blocked QR).
GRAM_FACTOR_MIN_EIG = 1e-4

#: Columns of [U0; V0] per block of the blocked QR factorization in :func:`narrow_factor`.
QR_BLOCK = 4096


def rank_tolerance(s_max: float, shape: tuple[int, ...]) -> float:
    """numpy's default rank threshold ``max(shape) * eps * s_max`` (as ``matrix_rank``)."""
    return max(shape) * float(np.finfo(float).eps) * float(s_max)


def numerical_rank(s: np.ndarray, shape: tuple[int, ...], rtol: float | None = None) -> int:
    """The number of singular values ``s`` (decreasing) above the threshold.

    ``rtol`` None: :func:`rank_tolerance`; otherwise ``rtol * s[0]``.
    """
    if s.size == 0 or s[0] == 0.0:
        return 0
    tol = rank_tolerance(s[0], shape) if rtol is None else rtol * float(s[0])
    return int(np.sum(s > tol))


def _positive_diagonal(Q: np.ndarray, R: np.ndarray) -> np.ndarray:
    signs = np.sign(np.diag(R))
    signs[signs == 0] = 1.0
    return Q * signs


def haar_orthogonal(k: int, rng: np.random.Generator) -> np.ndarray:
    r"""A k x k orthogonal matrix from the Haar (uniform) distribution.

    QR of a Gaussian matrix with the signs of :math:`\mathrm{diag}(R)` moved into
    :math:`Q` (Mezzadri 2007); without the sign fix the distribution is not uniform.
    """
    return orthonormal_columns(k, k, rng)


def orthonormal_columns(
    rows: int, cols: int, rng: np.random.Generator, *, haar: bool = True
) -> np.ndarray:
    """A random rows x cols matrix with orthonormal columns (cols <= rows).

    The Q factor of a Gaussian matrix. ``haar=True``: with the signs of diag(R) moved into
    Q, so that the matrix is Haar-distributed. ``haar=False``: Q as LAPACK returns it; its
    column space is still uniformly distributed, but the columns within it are not (this
    draw makes the seeded starts of :func:`overparam.riccati.initialization`).
    """
    Q, R = np.linalg.qr(rng.standard_normal((rows, cols)))
    return _positive_diagonal(Q, R) if haar else Q


def orthonormalize(A: np.ndarray) -> np.ndarray:
    """The Q factor of A = QR with diag(R) >= 0: unique when A has full column rank."""
    Q, R = np.linalg.qr(A)
    return _positive_diagonal(Q, R)


def narrow_factor(U0: np.ndarray, V0: np.ndarray) -> np.ndarray:
    """A factor Zs of the Gram matrix of Z0 = [U0; V0] with min(k, m + n) columns.

    Accurate row by row, and without a stacked copy of wide factors (k may be 1e5).
    When k <= m + n, Z0 itself is returned. Otherwise, with D the row norms of Z0:

    * if the Gram matrix scaled to unit diagonal, C = D^-1 Z0 Z0^T D^-1, has all its
      eigenvalues above :data:`GRAM_FACTOR_MIN_EIG`, Zs = D F with F F^T its
      eigendecomposition: the exact factor of a start within about
      eps / sqrt(lambda_min(C)) <= 100 eps of Z0, row by row;
    * otherwise Zs = R^T from a Householder QR factorization Z0^T = Q R, by blocks of
      :data:`QR_BLOCK` columns: backward stable row by row.

    The eigen-factor alone fails for (nearly) dependent rows, e.g. a balanced start
    with k > m + n: the zero eigenvalues of C come out as +-eps, and their square
    roots put components of size sqrt(eps) |Z0| into the rows, in directions Z0 does
    not have. The QR factor costs about three times as much, hence the two cases.
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


def eigenvalues_desc(A: np.ndarray) -> np.ndarray:
    """The eigenvalues of the symmetric part of A, in decreasing order."""
    return np.linalg.eigvalsh(0.5 * (A + A.T))[::-1]


def book_index(values_desc: np.ndarray, i: int) -> float:
    r"""The book's :math:`\lambda_i` (or :math:`\sigma_i`): ``values_desc[i - 1]``, 0 beyond."""
    return float(values_desc[i - 1]) if i <= values_desc.size else 0.0


def pos(x: float) -> float:
    """max(x, 0) as a float, +0.0 for x = -0.0 (an eigenvalue may be -0.0); nan stays nan."""
    return 0.0 if x <= 0 else float(x)


def imbalance_terms(ev_desc: np.ndarray, p: int, q: int) -> tuple[float, float, float, float]:
    r"""``(lbar_plus, lbar_minus, lund_plus, lund_minus)`` of :math:`\Lambda`.

    From the eigenvalues ``ev_desc`` of :math:`\Lambda`, in decreasing order.

    :math:`\bar\lambda_\pm` are the positive parts of :math:`\lambda_1(\pm\Lambda)`,
    :math:`\underline\lambda_+ = \max(\lambda_p(\Lambda), 0)` and
    :math:`\underline\lambda_- = \max(\lambda_q(-\Lambda), 0)` (book: chapter 4; p = m, q = n
    for matrix factorization, p = r = rank X with data).
    """
    neg = -ev_desc[::-1]  # the eigenvalues of -Lambda, decreasing
    return (
        pos(book_index(ev_desc, 1)),
        pos(book_index(neg, 1)),
        pos(book_index(ev_desc, p)),
        pos(book_index(neg, q)),
    )


def h(a, b, sigma):
    r"""The bound :math:`\tfrac12\big(-a + b + \sqrt{(a + b)^2 + 4\sigma^2}\big)`, a, b, sigma >= 0.

    Of Min et al.'s lemma on the Gram matrices (book: chapter 4, ``lem-gram-imbalance``).
    Evaluated without cancellation, and without squares that could underflow or overflow:
    with :math:`d = a + \sqrt{(a + b)^2 + 4\sigma^2} \ge 2a + b`,
    :math:`-a + \sqrt{\cdot} = b\,\tfrac{b + 2a}{d} + 2\sigma\,\tfrac{2\sigma}{d}`, both
    ratios in [0, 1]. Floats in, float out; arrays in, array out.
    """
    if all(isinstance(x, float | int) for x in (a, b, sigma)):
        den = a + math.hypot(a + b, 2.0 * sigma)
        if den <= 0:
            return 0.0
        return 0.5 * (b + b * ((b + 2.0 * a) / den) + (2.0 * sigma) * ((2.0 * sigma) / den))
    den = np.asarray(a + np.hypot(a + b, 2.0 * sigma), dtype=float)
    positive = den > 0
    r1 = np.divide(b + 2.0 * a, den, out=np.zeros_like(den), where=positive)
    r2 = np.divide(2.0 * sigma, den, out=np.zeros_like(den), where=positive)
    return 0.5 * (b + b * r1 + (2.0 * sigma) * r2)


def homogeneous_part(S: np.ndarray) -> tuple[float, float]:
    r"""``(c, dev)``: :math:`c = \operatorname{tr}(S)/k`, :math:`dev = \lVert S - cI \rVert_2`.

    The test for a homogeneous imbalance (:math:`S = cI`): callers accept ``dev <= rtol * scale``.
    """
    k = S.shape[0]
    c = float(np.trace(S)) / k
    return c, float(np.linalg.norm(S - c * np.eye(k), 2))


def gram_scale(A: np.ndarray, B: np.ndarray) -> float:
    r""":math:`\lVert A \rVert_2^2 + \lVert B \rVert_2^2` (may be inf).

    The scale of the imbalance :math:`A^\top A - B^\top B`.
    """
    with np.errstate(over="ignore"):
        return float(np.square(np.linalg.norm(A, 2)) + np.square(np.linalg.norm(B, 2)))


def margin(sigma: float, distance: float) -> float:
    r"""The margin :math:`\mu = \max(\sigma - \lVert Y - W_0 \rVert_F, 0)`.

    Book: chapter 4, ``lem-margin``; ``distance`` is :math:`\lVert Y - W_0 \rVert_F`.
    """
    return max(float(sigma) - float(distance), 0.0)


def residual(Y: np.ndarray, W: np.ndarray, X: np.ndarray | None = None) -> np.ndarray:
    """The residual E = Y - X W (X = I when None)."""
    return Y - W if X is None else Y - X @ W


def loss(Y: np.ndarray, W: np.ndarray, X: np.ndarray | None = None) -> float:
    r"""The loss :math:`\tfrac12 \lVert Y - X W \rVert_F^2` of the product W (X = I when None)."""
    E = residual(Y, W, X)
    return 0.5 * float(np.sum(E * E))


def residual_gradient(Y: np.ndarray, W: np.ndarray, X: np.ndarray | None = None) -> np.ndarray:
    r"""G = X^T (Y - X W), the negative gradient of :math:`\tfrac12\lVert Y - XW\rVert_F^2` in W."""
    return Y - W if X is None else X.T @ (Y - X @ W)
