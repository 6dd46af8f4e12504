r"""Initializations of the two layers for regression (book: chapters 5 and 6).

Gaussian (:func:`gaussian_initialization`), i.i.d. :math:`\mathcal N(0, k^{-2a})` at any
width with an optional width-free form (:func:`random_initialization`), balanced
(:func:`balanced_initialization`) and orthogonal (:func:`orthogonal_initialization`).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from .. import _numerics as _n
from .. import _validate as _v
from . import _decomposition as _dec

__all__ = [
    "gaussian_initialization",
    "random_initialization",
    "balanced_initialization",
    "orthogonal_initialization",
]

#: |log| of the largest / smallest Gram entry random_initialization may produce (e^700 ~ 1e304).
LOG_GRAM_LIMIT = 700.0


def _gaussian(
    m: int, n: int, k: int, rng: np.random.Generator, sigma_U: float, sigma_V: float
) -> tuple[np.ndarray, np.ndarray]:
    """(sigma_U G_1, sigma_V G_2) with G_1 (m x k) drawn first."""
    return sigma_U * rng.standard_normal((m, k)), sigma_V * rng.standard_normal((n, k))


def gaussian_initialization(
    m: int, n: int, k: int, rng: np.random.Generator, *, sigma_U: float, sigma_V: float
) -> tuple[np.ndarray, np.ndarray]:
    r"""The initialization :math:`U_0 = \sigma_U G_1`, :math:`V_0 = \sigma_V G_2` of experiment A.

    :math:`G_1` (m x k) and :math:`G_2` (n x k) have i.i.d. standard normal entries
    (book: chapter 5, experiment A).

    Parameters
    ----------
    m, n, k : int
        Shapes: ``U0`` is m x k, ``V0`` is n x k.
    rng : numpy.random.Generator
        The only source of randomness; :math:`G_1` is drawn first.
    sigma_U, sigma_V : float
        Entry scales, ``>= 0``.

    Returns
    -------
    (U0, V0) : tuple of ndarray, shapes (m, k) and (n, k)

    Raises
    ------
    ValueError
        If a shape count is below 1 or a scale is negative or not finite.
    TypeError
        If a shape count is not an int or ``rng`` is not a numpy Generator.
    """
    m, n, k = _v.count("m", m), _v.count("n", n), _v.count("k", k)
    rng = _v.generator("rng", rng)
    sigma_U = _v.nonnegative_scalar("sigma_U", sigma_U)
    sigma_V = _v.nonnegative_scalar("sigma_V", sigma_V)
    return _gaussian(m, n, k, rng, sigma_U, sigma_V)


def _bartlett_factor(p: int, k: int, rng: np.random.Generator) -> np.ndarray:
    """Lower-triangular L (p x p) with L L^T ~ Wishart_p(k, I) (Bartlett decomposition, k >= p)."""
    L = np.tril(rng.standard_normal((p, p)), -1)
    L[np.diag_indices(p)] = np.sqrt(rng.chisquare(k - np.arange(p)))
    return L


def random_initialization(
    m: int, n: int, k: int, rng: np.random.Generator, *, a: float = 0.5, narrow: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    r"""Random initialization with i.i.d. :math:`\mathcal N(0, k^{-2a})` entries.

    With ``a = 1/2`` the entries have variance :math:`1/k`, as in experiment B.
    (book: chapter 6, random initialization at large width).

    With ``narrow=True`` and :math:`k > m + n` it returns instead a pair
    :math:`(\hat U_0, \hat V_0)` of width :math:`p = m + n` whose Gram matrix
    :math:`\hat Z_0 \hat Z_0^\top`, :math:`\hat Z_0 = [\hat U_0; \hat V_0]`, has exactly
    the distribution of :math:`Z_0 Z_0^\top` for a width-:math:`k` draw: a Wishart
    matrix :math:`k^{-2a} \mathcal W_p(k, I)`, sampled through its Bartlett
    decomposition :math:`\mathcal W_p(k, I) = L L^\top` (:math:`L` lower triangular,
    :math:`L_{ii}^2 \sim \chi^2_{k - i + 1}`, :math:`L_{ij} \sim \mathcal N(0, 1)` below the
    diagonal). The gradient flow of :math:`W = UV^\top`, :math:`UU^\top`, :math:`VV^\top`
    (and so the loss and the limit) depends on the start only through that Gram matrix,
    so the narrow pair gives a width-:math:`k` run at a cost that does not depend on
    :math:`k`. Quantities that need the :math:`k` columns themselves (e.g.
    :math:`U_0^\top U_0`) are not available from it; Gram-based ones such as
    :math:`U_2(0) V(0)^\top = \Phi_2^\top W_0` are.

    Parameters
    ----------
    m, n, k : int
        Shapes: ``U0`` is m x k, ``V0`` is n x k.
    rng : numpy.random.Generator
        The only source of randomness.
    a : float
        Scale exponent: standard deviation :math:`k^{-a}`. The theorem needs
        :math:`1/4 < a \le 1/2`; any real ``a`` is accepted for which the Gram
        matrices of the start, of size about :math:`k^{1 - 2a}`, stay within
        :math:`e^{\pm 700}` (so that neither they nor :math:`k^{-a}` over- or
        underflow); other values raise ``ValueError``.
    narrow : bool
        Return the narrow, width-free form described above (when :math:`k > m + n`;
        otherwise the ordinary draw is returned).

    Returns
    -------
    (U0, V0) : tuple of ndarray
        Shapes (m, k) and (n, k), or (m, m + n) and (n, m + n) when narrow.

    Raises
    ------
    ValueError
        If a shape count is below 1, or ``a`` is not finite or makes the Gram matrices of
        the start over- or underflow.
    TypeError
        If a shape count is not an int, ``rng`` is not a numpy Generator or ``narrow`` not a bool.
    """
    m, n, k = _v.count("m", m), _v.count("n", n), _v.count("k", k)
    rng = _v.generator("rng", rng)
    a = _v.real_scalar("a", a)
    narrow = _v.flag("narrow", narrow)
    # the Gram matrices of the start (about k * k^{-2a} = k^{1 - 2a}; the flow and the
    # narrow form use them) must be normal floats: otherwise k^{-a} over- or underflows
    log_gram = (1.0 - 2.0 * a) * np.log(k)
    if not -LOG_GRAM_LIMIT < log_gram < LOG_GRAM_LIMIT:
        raise ValueError(
            f"a = {a} with k = {k} gives entries of scale k^(-a) = exp({-a * np.log(k):.4g}) "
            f"whose Gram matrices (about k^(1 - 2a) = exp({log_gram:.4g})) over- or underflow; "
            f"the theorem needs 1/4 < a <= 1/2"
        )
    scale = float(k) ** (-a)
    p = m + n
    if narrow and k > p:
        Z = scale * _bartlett_factor(p, k, rng)
        return Z[:m], Z[m:]
    return _gaussian(m, n, k, rng, scale, scale)


def _project(basis: np.ndarray, G: np.ndarray) -> np.ndarray:
    """basis basis^T G: the projection of G onto the span of the orthonormal columns of basis.

    Random starts inside a subspace are drawn in the coordinates of R^m and projected,
    never as ``basis @ (draw)``: the SVD fixes a basis only up to signs, and up to
    rotations inside repeated singular values (data with Sigma_x = I leave it entirely
    free), so the draw would depend on the LAPACK kernels. The projection does not, and
    a projected standard Gaussian is a standard Gaussian in the subspace.
    """
    return basis @ (basis.T @ G)


def balanced_initialization(
    m: int,
    n: int,
    k: int,
    rng: np.random.Generator,
    *,
    sigma: float = 1.0,
    X: ArrayLike | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    r"""A random balanced initialization, :math:`U_0^\top U_0 = V_0^\top V_0`.

    The factor with fewer rows is Gaussian, :math:`\sigma G`; the other is
    :math:`H \sigma G` with :math:`H` a random matrix with orthonormal columns
    (:math:`H^\top H = I`), so that the two Gram matrices in :math:`\mathbb{R}^{k \times k}`
    agree. If ``X`` is given (and :math:`m \ge n`), :math:`H` is taken inside the row space
    of :math:`X`: the orthonormalized projection :math:`P_1 G'` of a standard normal
    :math:`G'` (m x n), :math:`P_1 = \Phi_1\Phi_1^\top`, which is Haar-distributed in the
    row space and does not depend on the basis the SVD chose; then :math:`U_2(0) = 0` and
    also :math:`D = U_1^\top U_1 - V^\top V = 0` (book: chapter 5).

    Parameters
    ----------
    m, n, k : int
        Shapes: ``U0`` is m x k, ``V0`` is n x k.
    rng : numpy.random.Generator
    sigma : float
        Entry scale of the Gaussian factor, ``>= 0``.
    X : array_like, shape (N, m), optional
        Data whose row space should contain the columns of ``U0`` (needs
        :math:`\operatorname{rank} X \ge n`).

    Returns
    -------
    (U0, V0) : tuple of ndarray, shapes (m, k) and (n, k)

    Raises
    ------
    ValueError
        If a shape count is below 1, ``sigma`` is negative, X does not have m columns, X is
        zero or its rank is below n.
    TypeError
        If a shape count is not an int or ``rng`` is not a numpy Generator.
    """
    m, n, k = _v.count("m", m), _v.count("n", n), _v.count("k", k)
    rng = _v.generator("rng", rng)
    sigma = _v.nonnegative_scalar("sigma", sigma)
    if X is None:
        if m >= n:
            V0 = sigma * rng.standard_normal((n, k))
            return _n.orthonormal_columns(m, n, rng) @ V0, V0
        U0 = sigma * rng.standard_normal((m, k))
        return U0, _n.orthonormal_columns(n, m, rng) @ U0
    X = _v.matrix("X", X, cols=m, cols_hint=f"m = {m}: X must be N x m")
    dec = _dec.decompose(X, np.zeros((X.shape[0], n)))
    if dec.rank < n:
        raise ValueError(
            f"X has rank {dec.rank} < n = {n}: no balanced start has U0 inside the row space of X"
        )
    V0 = sigma * rng.standard_normal((n, k))
    H = _n.orthonormalize(_project(dec.Phi_1, rng.standard_normal((m, n))))
    return H @ V0, V0


def orthogonal_initialization(
    X: ArrayLike,
    n: int,
    k: int,
    rng: np.random.Generator,
    *,
    k_active: int | None = None,
    sigma_U: float = 1.0,
    sigma_V: float = 1.0,
    sigma_null: float = 1.0,
    rtol: float | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    r"""A random *orthogonal* start: :math:`V U_2^\top = 0` and :math:`U_1 U_2^\top = 0` at t = 0.

    Construction: draw :math:`k_a + k_0 \le k` orthonormal vectors in
    :math:`\mathbb{R}^k`, :math:`R = [R_a\ R_0]` (Haar-random), with
    :math:`k_a` = ``k_active`` and :math:`k_0 = \min(m - r, k - k_a)`, and set

    .. math::

        U_1(0) = \sigma_U G_1 R_a^\top, \quad V(0) = \sigma_V G_2 R_a^\top, \quad
        U_2(0) = \sigma_0 G_3 R_0^\top, \quad U(0) = \Phi_1 U_1(0) + \Phi_2 U_2(0),

    with standard normal :math:`G_1` (r x k_a), :math:`G_2` (n x k_a), :math:`G_3`
    ((m - r) x k_0). (The parts in the row and null spaces are drawn as projections,
    :math:`\Phi_1 G_1 = P_1 G_1'` and :math:`\Phi_2 G_3 = P_2 G_3'` with standard normal
    :math:`G_1'` (m x k_a), :math:`G_3'` (m x k_0) and the projectors
    :math:`P_i = \Phi_i\Phi_i^\top`: the same distribution, and a draw that does not depend
    on the basis the SVD chose.) The rows of :math:`U_1(0)` and :math:`V(0)` lie in the span of
    :math:`R_a`, those of :math:`U_2(0)` in the span of :math:`R_0`, and
    :math:`R_a^\top R_0 = 0` gives both conditions (book: chapter 6, the
    orthogonal-initialization proposition). The flow keeps the rows of :math:`U_1` and
    :math:`V` in the span of :math:`R_a`, so :math:`\operatorname{rank} U_1 V^\top \le k_a`
    for all time.

    *A start that does not converge.* If :math:`k_a < \operatorname{rank} \tilde Y`
    (e.g. ``k_active=1`` with two outputs and generic data) the product can never reach
    rank :math:`\operatorname{rank}\tilde Y`, and the loss stays above :math:`\ell^\ast`;
    ``sigma_U = sigma_V = 0`` gives a stationary point. Both are orthogonal.

    Parameters
    ----------
    X : array_like, shape (N, m)
        Data.
    n : int
        Number of outputs (columns of :math:`Y`).
    k : int
        Width.
    rng : numpy.random.Generator
    k_active : int, optional
        Width :math:`k_a` of the part that carries :math:`U_1, V`; ``1 <= k_active <= k``.
        Default :math:`\max(\min(r, n), k - (m - r))`, capped at :math:`k`: the null-space
        part gets as many columns as it can use, the active part at least
        :math:`\min(r, n)` (enough to reach every global minimizer).
    sigma_U, sigma_V, sigma_null : float
        Entry scales :math:`\sigma_U, \sigma_V, \sigma_0 \ge 0`.
    rtol : float, optional
        Rank tolerance for :math:`X`, as in :func:`~overparam.regression.decompose`.

    Returns
    -------
    (U0, V0) : tuple of ndarray, shapes (m, k) and (n, k)

    Raises
    ------
    ValueError
        If a count is below 1, ``k_active > k``, a scale is negative, ``rtol`` is not in
        (0, 1), or X is zero.
    TypeError
        If a count is not an int or ``rng`` is not a numpy Generator.
    """
    n, k = _v.count("n", n), _v.count("k", k)
    X = _v.matrix("X", X)
    rng = _v.generator("rng", rng)
    sigma_U = _v.nonnegative_scalar("sigma_U", sigma_U)
    sigma_V = _v.nonnegative_scalar("sigma_V", sigma_V)
    sigma_null = _v.nonnegative_scalar("sigma_null", sigma_null)
    rtol = None if rtol is None else _v.tolerance("rtol", rtol)
    dec = _dec.decompose(X, np.zeros((X.shape[0], n)), rtol)
    m, r = X.shape[1], dec.rank
    if k_active is None:
        k_active = min(k, max(min(r, n), k - (m - r)))
    else:
        k_active = _v.count("k_active", k_active)
        if k_active > k:
            raise ValueError(f"k_active = {k_active} must be <= k = {k}")
    k_null = min(m - r, k - k_active)
    R = _n.orthonormal_columns(k, k_active + k_null, rng)
    R_a, R_0 = R[:, :k_active], R[:, k_active:]
    U1 = sigma_U * _project(dec.Phi_1, rng.standard_normal((m, k_active))) @ R_a.T
    V0 = sigma_V * rng.standard_normal((n, k_active)) @ R_a.T
    U2 = sigma_null * _project(dec.Phi_2, rng.standard_normal((m, k_null))) @ R_0.T
    return U1 + U2, V0
