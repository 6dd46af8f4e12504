r"""Regression with a two-layer linear network: data, decompositions, initializations.

The model is :math:`\ell(U, V) = \tfrac12 \lVert Y - X U V^\top \rVert_F^2` with data
:math:`X \in \mathbb{R}^{N \times m}`, targets :math:`Y \in \mathbb{R}^{N \times n}`
and factors :math:`U \in \mathbb{R}^{m \times k}`, :math:`V \in \mathbb{R}^{n \times k}`
(book: chapters 5 and 6). Write the compact SVD of the data as

.. math::

    X = W_x \Sigma_x^{1/2} \Phi_1^\top, \qquad
    \Sigma_x = \operatorname{diag}(\lambda_1(X^\top X), \dots, \lambda_r(X^\top X)),

with :math:`r = \operatorname{rank} X`, :math:`W_x` (N x r) and :math:`\Phi_1` (m x r)
with orthonormal columns, and let :math:`\Phi_2` (m x (m - r)) span the null space of
:math:`X`. Then :math:`U_1 = \Phi_1^\top U`, :math:`U_2 = \Phi_2^\top U`, and

* :math:`\dot U_2 = 0` along the gradient flow, since :math:`X \Phi_2 = 0`;
* :math:`D = U_1^\top U_1 - V^\top V` is conserved;
* the smallest loss is :math:`\ell^\ast = \tfrac12 \lVert (I - W_x W_x^\top) Y \rVert_F^2`
  and the loss splits as
  :math:`\ell = \ell^\ast + \tfrac12 \lVert \tilde Y - \Sigma_x^{1/2} U_1 V^\top \rVert_F^2`
  with :math:`\tilde Y = W_x^\top Y`;
* the minimum-norm least-squares solution is
  :math:`\Theta^\ast = X^+ Y = \Phi_1 \Sigma_x^{-1/2} \tilde Y`.

Functions
---------
decompose
    The decomposition above, as a :class:`DataDecomposition`.
min_norm_solution
    :math:`\Theta^\ast = X^+ Y`.
split_U, reduced_imbalance, off_subspace_norm
    :math:`(U_1, U_2)`, :math:`D`, and :math:`\lVert [V U_2^\top; U_1 U_2^\top] \rVert_F`.
gaussian_initialization, random_initialization, balanced_initialization, orthogonal_initialization
    Initializations: :math:`(\sigma_U G_1, \sigma_V G_2)`; i.i.d.
    :math:`\mathcal N(0, k^{-2a})` entries (optionally in a narrow, width-free form);
    balanced; and orthogonal (:math:`V U_2^\top = 0`, :math:`U_1 U_2^\top = 0`).
regression_data, experiment_a_data, experiment_b_data
    Data :math:`Y = X\Theta + \varepsilon` with prescribed or Gaussian :math:`X`.
flow_limit
    Run the flow until the loss is within a relative tolerance of :math:`\ell^\ast`.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np

from . import _validate as _v
from .flow import METHODS, check_problem, gradient_flow

__all__ = [
    "DataDecomposition",
    "RegressionData",
    "FlowLimit",
    "decompose",
    "min_norm_solution",
    "split_U",
    "reduced_imbalance",
    "off_subspace_norm",
    "gaussian_initialization",
    "random_initialization",
    "balanced_initialization",
    "orthogonal_initialization",
    "regression_data",
    "experiment_a_data",
    "experiment_b_data",
    "flow_limit",
]


# ---------------------------------------------------------------------------
# checks used only here


def _rank_rtol(rtol) -> float | None:
    if rtol is None:
        return None
    x = _v.positive_scalar("rtol", rtol)
    if x >= 1:
        raise ValueError(f"rtol must be < 1 (a tolerance relative to the largest singular value of X), got {x}")
    return x


def _data(X, Y) -> tuple[np.ndarray, np.ndarray]:
    Y = _v.matrix("Y", Y)
    X = _v.matrix("X", X, rows=Y.shape[0], rows_hint=f"Y has {Y.shape[0]} rows: X must be N x m with N = rows of Y")
    return X, Y


def _decomposition(name: str, value) -> "DataDecomposition":
    """Check that ``value`` is a DataDecomposition whose fields are finite and fit each other.

    A hand-built or edited record (``dataclasses.replace``) could otherwise give nan or a
    numpy shape error that does not say which argument is wrong.
    """
    if not isinstance(value, DataDecomposition):
        raise TypeError(f"{name} must be a DataDecomposition (from overparam.regression.decompose), got {type(value).__name__}")
    f = {key: _v.real_array(f"{name}.{key}", getattr(value, key)) for key in ("W_x", "Sigma_x", "Phi_1", "Phi_2", "Ytil")}
    W_x, Sigma_x, Phi_1, Phi_2, Ytil = f["W_x"], f["Sigma_x"], f["Phi_1"], f["Phi_2"], f["Ytil"]
    if Phi_1.ndim != 2 or Phi_1.shape[0] == 0 or Phi_1.shape[1] == 0:
        raise ValueError(f"{name}.Phi_1 must be an m x r matrix with m, r >= 1, got shape {Phi_1.shape}")
    m, r = Phi_1.shape
    expected = {"W_x": (W_x.shape[0] if W_x.ndim == 2 else -1, r), "Sigma_x": (r,), "Phi_2": (m, m - r),
                "Ytil": (r, Ytil.shape[1] if Ytil.ndim == 2 else -1)}
    for key, shape in expected.items():
        if f[key].shape != shape or f[key].size == 0 and key != "Phi_2":
            raise ValueError(
                f"{name}.{key} has shape {f[key].shape} but {name}.Phi_1 is {m} x {r}: expected {shape} "
                "(use the record returned by decompose)"
            )
    rank = value.rank
    if isinstance(rank, bool) or not isinstance(rank, (numbers.Integral, np.integer)) or rank != r:
        raise ValueError(f"{name}.rank = {rank!r} but {name}.Phi_1 has {r} columns: the rank must be r")
    if np.any(Sigma_x <= 0):
        raise ValueError(f"{name}.Sigma_x must be positive (the nonzero eigenvalues of X^T X), found {Sigma_x.min()}")
    return value


# ---------------------------------------------------------------------------
# the decomposition of the data


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
        :math:`r`, counted with the tolerance ``rtol`` (see :func:`decompose`).
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


def decompose(X, Y, *, rtol: float | None = None) -> DataDecomposition:
    r"""Decompose the data: :math:`X = W_x \Sigma_x^{1/2} \Phi_1^\top`, :math:`\Phi_2`, :math:`\ell^\ast`, :math:`\tilde Y`.

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
    rtol = _rank_rtol(rtol)
    N, m = X.shape
    if rtol is None:
        rtol = max(N, m) * np.finfo(float).eps
    L, s, Rt = np.linalg.svd(X, full_matrices=True)
    if s[0] == 0:
        raise ValueError("X is zero (rank 0): there is nothing to fit")
    r = int(np.sum(s > rtol * s[0]))
    W_x = L[:, :r]
    Phi_1 = Rt[:r].T
    Phi_2 = Rt[r:].T
    Ytil = W_x.T @ Y
    R = Y - W_x @ Ytil
    return DataDecomposition(
        W_x=W_x,
        Sigma_x=s[:r] ** 2,
        Phi_1=Phi_1,
        Phi_2=Phi_2,
        rank=r,
        l_star=0.5 * float(np.sum(R * R)),
        Ytil=Ytil,
        rtol=float(rtol),
    )


def min_norm_solution(X, Y, *, rtol: float | None = None) -> np.ndarray:
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
    """
    dec = decompose(X, Y, rtol=rtol)
    return dec.Phi_1 @ (dec.Ytil / np.sqrt(dec.Sigma_x)[:, None])


def split_U(U, decomposition: DataDecomposition) -> tuple[np.ndarray, np.ndarray]:
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
    """
    dec = _decomposition("decomposition", decomposition)
    m = dec.Phi_1.shape[0]
    U = _v.matrix("U", U, rows=m, rows_hint=f"X has {m} columns: U must be m x k")
    return dec.Phi_1.T @ U, dec.Phi_2.T @ U


def _factor_V(V, U1: np.ndarray, decomposition: "DataDecomposition") -> np.ndarray:
    """V checked against U (its k columns) and the data (its n = columns of Y rows)."""
    V = _v.matrix("V", V, cols=U1.shape[1], cols_hint=f"U has {U1.shape[1]} columns: V must be n x k with the same k")
    if V.shape[0] != decomposition.Ytil.shape[1]:
        raise ValueError(f"V has {V.shape[0]} rows but Y has {decomposition.Ytil.shape[1]} columns: V must be n x k")
    return V


def reduced_imbalance(U, V, decomposition: DataDecomposition) -> np.ndarray:
    r"""The conserved matrix :math:`D = U_1^\top U_1 - V^\top V` (k x k).

    The imbalance :math:`\Lambda = U^\top U - V^\top V = D + U_2^\top U_2` is conserved
    and :math:`U_2` is constant, so :math:`D` is conserved too (book: chapter 5).

    Parameters
    ----------
    U : array_like, shape (m, k)
    V : array_like, shape (n, k)
    decomposition : DataDecomposition
    """
    U1, _ = split_U(U, decomposition)
    V = _factor_V(V, U1, decomposition)
    return U1.T @ U1 - V.T @ V


def off_subspace_norm(U, V, decomposition: DataDecomposition) -> float:
    r"""How far :math:`(U, V)` is from an orthogonal initialization: :math:`\lVert [V U_2^\top;\, U_1 U_2^\top] \rVert_F`.

    .. math::

        \sqrt{\lVert V U_2^\top \rVert_F^2 + \lVert U_1 U_2^\top \rVert_F^2}

    It is zero exactly for the orthogonal initializations of chapter 6, and the
    random-initialization theorem bounds it at :math:`t = 0` (book: chapter 6).

    Parameters
    ----------
    U : array_like, shape (m, k)
    V : array_like, shape (n, k)
    decomposition : DataDecomposition
    """
    U1, U2 = split_U(U, decomposition)
    V = _factor_V(V, U1, decomposition)
    a = V @ U2.T
    b = U1 @ U2.T
    return float(np.sqrt(np.sum(a * a) + np.sum(b * b)))


# ---------------------------------------------------------------------------
# initializations


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
    """
    m, n, k = _v.count("m", m), _v.count("n", n), _v.count("k", k)
    rng = _v.generator("rng", rng)
    sigma_U = _v.nonnegative_scalar("sigma_U", sigma_U)
    sigma_V = _v.nonnegative_scalar("sigma_V", sigma_V)
    return sigma_U * rng.standard_normal((m, k)), sigma_V * rng.standard_normal((n, k))


#: |log| of the largest / smallest Gram entry random_initialization may produce (e^700 ~ 1e304)
_LOG_GRAM_LIMIT = 700.0


def _bartlett_factor(p: int, k: int, rng: np.random.Generator) -> np.ndarray:
    """Lower-triangular L (p x p) with L L^T ~ Wishart_p(k, I) (Bartlett decomposition, k >= p)."""
    L = np.tril(rng.standard_normal((p, p)), -1)
    L[np.diag_indices(p)] = np.sqrt(rng.chisquare(k - np.arange(p)))
    return L


def random_initialization(
    m: int, n: int, k: int, rng: np.random.Generator, *, a: float = 0.5, narrow: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    r"""Random initialization with i.i.d. :math:`\mathcal N(0, k^{-2a})` entries (the random-initialization theorem).

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
    (U0, V0) : tuple of ndarray, shapes (m, k) and (n, k), or (m, m + n) and (n, m + n) when narrow
    """
    m, n, k = _v.count("m", m), _v.count("n", n), _v.count("k", k)
    rng = _v.generator("rng", rng)
    a = _v.real_scalar("a", a)
    if not isinstance(narrow, (bool, np.bool_)):
        raise TypeError(f"narrow must be a bool, got {type(narrow).__name__}")
    # the Gram matrices of the start (about k * k^{-2a} = k^{1 - 2a}; the flow and the
    # narrow form use them) must be normal floats: otherwise k^{-a} over- or underflows
    log_gram = (1.0 - 2.0 * a) * np.log(k)
    if not -_LOG_GRAM_LIMIT < log_gram < _LOG_GRAM_LIMIT:
        raise ValueError(
            f"a = {a} with k = {k} gives entries of scale k^(-a) = exp({-a * np.log(k):.4g}) whose Gram matrices "
            f"(about k^(1 - 2a) = exp({log_gram:.4g})) over- or underflow; the theorem needs 1/4 < a <= 1/2"
        )
    scale = float(k) ** (-a)
    p = m + n
    if narrow and k > p:
        Z = scale * _bartlett_factor(p, k, rng)
        return Z[:m], Z[m:]
    return gaussian_initialization(m, n, k, rng, sigma_U=scale, sigma_V=scale)


def _orthonormalize(A: np.ndarray) -> np.ndarray:
    """The Q factor of A = QR with diag(R) >= 0: unique when A has full column rank."""
    Q, R = np.linalg.qr(A)
    signs = np.sign(np.diag(R))
    signs[signs == 0] = 1.0
    return Q * signs


def _orthonormal_columns(rows: int, cols: int, rng: np.random.Generator) -> np.ndarray:
    """A Haar-random rows x cols matrix with orthonormal columns (cols <= rows)."""
    return _orthonormalize(rng.standard_normal((rows, cols)))


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
    m: int, n: int, k: int, rng: np.random.Generator, *, sigma: float = 1.0, X=None
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
    """
    m, n, k = _v.count("m", m), _v.count("n", n), _v.count("k", k)
    rng = _v.generator("rng", rng)
    sigma = _v.nonnegative_scalar("sigma", sigma)
    if X is None:
        if m >= n:
            V0 = sigma * rng.standard_normal((n, k))
            return _orthonormal_columns(m, n, rng) @ V0, V0
        U0 = sigma * rng.standard_normal((m, k))
        return U0, _orthonormal_columns(n, m, rng) @ U0
    X = _v.matrix("X", X, cols=m, cols_hint=f"m = {m}: X must be N x m")
    dec = decompose(X, np.zeros((X.shape[0], n)))
    if dec.rank < n:
        raise ValueError(f"X has rank {dec.rank} < n = {n}: no balanced start has U0 inside the row space of X")
    V0 = sigma * rng.standard_normal((n, k))
    H = _orthonormalize(_project(dec.Phi_1, rng.standard_normal((m, n))))
    return H @ V0, V0


def orthogonal_initialization(
    X,
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
    r"""A random *orthogonal* initialization: :math:`V(0) U_2(0)^\top = 0` and :math:`U_1(0) U_2(0)^\top = 0`.

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
        Rank tolerance for :math:`X`, as in :func:`decompose`.

    Returns
    -------
    (U0, V0) : tuple of ndarray, shapes (m, k) and (n, k)
    """
    n, k = _v.count("n", n), _v.count("k", k)
    X = _v.matrix("X", X)
    rng = _v.generator("rng", rng)
    sigma_U = _v.nonnegative_scalar("sigma_U", sigma_U)
    sigma_V = _v.nonnegative_scalar("sigma_V", sigma_V)
    sigma_null = _v.nonnegative_scalar("sigma_null", sigma_null)
    dec = decompose(X, np.zeros((X.shape[0], n)), rtol=rtol)
    m, r = X.shape[1], dec.rank
    if k_active is None:
        k_active = min(k, max(min(r, n), k - (m - r)))
    else:
        k_active = _v.count("k_active", k_active)
        if k_active > k:
            raise ValueError(f"k_active = {k_active} must be <= k = {k}")
    k_null = min(m - r, k - k_active)
    R = _orthonormal_columns(k, k_active + k_null, rng)
    R_a, R_0 = R[:, :k_active], R[:, k_active:]
    U1 = sigma_U * _project(dec.Phi_1, rng.standard_normal((m, k_active))) @ R_a.T
    V0 = sigma_V * rng.standard_normal((n, k_active)) @ R_a.T
    U2 = sigma_null * _project(dec.Phi_2, rng.standard_normal((m, k_null))) @ R_0.T
    return U1 + U2, V0


# ---------------------------------------------------------------------------
# data


@dataclass(frozen=True)
class RegressionData:
    r"""A regression data set :math:`Y = X\Theta + \varepsilon`.

    Attributes
    ----------
    X : ndarray, shape (N, m)
    Y : ndarray, shape (N, n)
    Theta : ndarray, shape (m, n)
        The parameter that generated :math:`Y` (not the least-squares solution).
    """

    X: np.ndarray
    Y: np.ndarray
    Theta: np.ndarray


def regression_data(
    N: int,
    m: int,
    n: int,
    rng: np.random.Generator,
    *,
    singular_values=None,
    noise: float = 0.01,
) -> RegressionData:
    r"""Random data :math:`Y = X\Theta + \varepsilon`, :math:`\Theta_{ij} \sim \mathcal N(0, 1/m)`, :math:`\varepsilon_{ij} \sim \mathcal N(0, \text{noise}^2)`.

    Without ``singular_values``, :math:`X` has i.i.d. :math:`\mathcal N(0, 1/m)` entries.
    With them, :math:`X = O_N\, \operatorname{diag}(s)\, O_m^\top` with Haar-random
    :math:`O_N` (N x p) and :math:`O_m` (m x p) with orthonormal columns,
    :math:`p` = ``len(singular_values)`` :math:`\le \min(N, m)`; zeros in ``s`` make
    :math:`X` rank-deficient. Condition number :math:`\kappa(X) = s_1 / s_r` and
    :math:`\lambda_r(\Sigma_x) = s_r^2` are then exact (book: chapter 5, conditioning).

    Parameters
    ----------
    N, m, n : int
        Samples, features, outputs.
    rng : numpy.random.Generator
        The only source of randomness (drawn in the order X, Theta, noise).
    singular_values : array_like, shape (p,), optional
        Non-negative singular values of :math:`X`, any order, :math:`p \le \min(N, m)`.
    noise : float
        Standard deviation of the noise, ``>= 0``.

    Returns
    -------
    RegressionData
    """
    N, m, n = _v.count("N", N), _v.count("m", m), _v.count("n", n)
    rng = _v.generator("rng", rng)
    noise = _v.nonnegative_scalar("noise", noise)
    if singular_values is None:
        X = rng.standard_normal((N, m)) / np.sqrt(m)
    else:
        s = _v.nonnegative_array("singular_values", singular_values)
        if s.ndim != 1 or s.size == 0:
            raise ValueError(f"singular_values must be a non-empty 1-D array, got shape {s.shape}")
        if s.size > min(N, m):
            raise ValueError(f"singular_values has {s.size} entries but X is {N} x {m}: at most min(N, m) = {min(N, m)}")
        if not np.any(s > 0):
            raise ValueError("singular_values must not all be zero")
        p = s.size
        X = (_orthonormal_columns(N, p, rng) * s) @ _orthonormal_columns(m, p, rng).T
    Theta = rng.standard_normal((m, n)) / np.sqrt(m)
    Y = X @ Theta + noise * rng.standard_normal((N, n))
    return RegressionData(X=X, Y=Y, Theta=Theta)


def experiment_a_data(rng: np.random.Generator, *, D: int = 400, N: int = 100, noise: float = 0.01) -> RegressionData:
    r"""Experiment A's data: :math:`X` (N x D) with all singular values 1, one output.

    :math:`Y = X\Theta + \varepsilon`, :math:`\Theta \sim \mathcal N(0, I/D)`,
    :math:`\varepsilon \sim \mathcal N(0, \text{noise}^2 I)` (Min et al., ICML 2021,
    appendix A; book: chapter 5, experiment A). :math:`\operatorname{rank} X = \min(N, D)`
    and :math:`\Sigma_x = I`.

    Parameters
    ----------
    rng : numpy.random.Generator
    D, N : int
        Features and samples (defaults: the paper's 400 and 100).
    noise : float
        Noise standard deviation (default 0.01).
    """
    D, N = _v.count("D", D), _v.count("N", N)
    return regression_data(N, D, 1, rng, singular_values=np.ones(min(N, D)), noise=noise)


def experiment_b_data(rng: np.random.Generator, *, D: int = 400, N: int = 100, noise: float = 0.01) -> RegressionData:
    r"""Experiment B's data: :math:`X` (N x D) with i.i.d. :math:`\mathcal N(0, 1/D)` entries, one output.

    :math:`Y = X\Theta + \varepsilon` as in experiment A (Min et al., ICML 2021, figures 1
    and 4; book: chapter 6, experiment B).

    Parameters
    ----------
    rng : numpy.random.Generator
    D, N : int
        Features and samples (defaults: the paper's 400 and 100).
    noise : float
        Noise standard deviation (default 0.01).
    """
    D, N = _v.count("D", D), _v.count("N", N)
    return regression_data(N, D, 1, rng, noise=noise)


# ---------------------------------------------------------------------------
# running to the limit


@dataclass(frozen=True)
class FlowLimit:
    r"""The end of a flow run by :func:`flow_limit`.

    Attributes
    ----------
    W : ndarray, shape (m, n)
        :math:`W(T)`, the approximation of :math:`W(\infty)`.
    T : float
        The final time.
    loss : float
        :math:`\ell(T)`.
    l_star : float
        :math:`\ell^\ast`.
    excess : float
        :math:`\ell(T) - \ell^\ast`, computed as
        :math:`\tfrac12 \lVert W_x^\top (Y - X W(T)) \rVert_F^2` (no cancellation).
    converged : bool
        Whether :math:`\ell(T) - \ell^\ast \le \mathrm{tol}\,(\ell(0) - \ell^\ast)`.
    """

    W: np.ndarray
    T: float
    loss: float
    l_star: float
    excess: float
    converged: bool


def flow_limit(
    Y,
    U0,
    V0,
    *,
    X=None,
    tol: float = 1e-16,
    t_start: float = 10.0,
    t_max: float = 1e4,
    method: str = "gram",
) -> FlowLimit:
    r"""Run the gradient flow until :math:`\ell(T) - \ell^\ast \le \mathrm{tol}\,(\ell(0) - \ell^\ast)`.

    Integrates :func:`overparam.flow.gradient_flow` on :math:`[0, T]` for
    :math:`T = t_{\text{start}}, 4 t_{\text{start}}, 16 t_{\text{start}}, \dots` (each a
    fresh run with two output times, so the integrator is not slowed down by many stops)
    until the loss is close enough to :math:`\ell^\ast` or :math:`T` would exceed
    ``t_max``. The total cost is at most about 4/3 of the last run's. Convergence is
    checked, never assumed: read ``converged`` (book: chapter 6).

    Parameters
    ----------
    Y : array_like, shape (m, n), or (N, n) with ``X``
    U0 : array_like, shape (m, k)
    V0 : array_like, shape (n, k)
    X : array_like, shape (N, m), optional
        Data; ``None`` means matrix factorization (:math:`\ell^\ast = 0`).
    tol : float
        Relative tolerance on the excess loss, in ``(0, 1)``.
    t_start, t_max : float
        First and largest final time, ``0 < t_start <= t_max``.
    method : {"gram", "params"}
        Passed to :func:`~overparam.flow.gradient_flow`.

    Returns
    -------
    FlowLimit
    """
    Y, U0, V0, X = check_problem(Y, U0, V0, X)
    tol = _v.positive_scalar("tol", tol)
    if tol >= 1:
        raise ValueError(f"tol must be < 1, got {tol}")
    t_start = _v.positive_scalar("t_start", t_start)
    t_max = _v.positive_scalar("t_max", t_max)
    method = _v.choice("method", method, METHODS)
    if t_max < t_start:
        raise ValueError(f"t_max = {t_max} must be >= t_start = {t_start}")
    if X is None:
        l_star = 0.0

        def excess(W):
            R = Y - W
            return 0.5 * float(np.sum(R * R))
    else:
        dec = decompose(X, Y)
        l_star = dec.l_star

        def excess(W):
            # the part of the residual that W can change, W_x^T (Y - X W): no cancellation
            R = dec.W_x.T @ (Y - X @ W)
            return 0.5 * float(np.sum(R * R))

    excess0 = excess(U0 @ V0.T)
    T = t_start
    while True:
        run = gradient_flow(Y, U0, V0, [0.0, T], X=X, method=method)
        e = excess(run.W[-1])
        converged = bool(e <= tol * excess0 or e == 0.0)  # e == 0: started at a minimizer
        if converged or 4 * T > t_max:
            return FlowLimit(W=run.W[-1], T=T, loss=float(run.loss[-1]), l_star=l_star, excess=e, converged=converged)
        T *= 4
