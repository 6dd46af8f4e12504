r"""Convergence-rate bounds for general initializations: imbalance and margin.

For matrix factorization, :math:`\ell = \tfrac12 \lVert Y - U V^\top \rVert_F^2` with
:math:`Y \in \mathbb{R}^{m \times n}`, :math:`U \in \mathbb{R}^{m \times k}`,
:math:`V \in \mathbb{R}^{n \times k}` and :math:`k \ge \min(m, n)`, gradient flow
satisfies (Min, Tarmoun, Vidal and Mallada, ICML 2021; book: chapter 4,
``thm-general-init-rate``)

.. math::

    \ell(t) \le \ell(0)\, e^{-\alpha t}, \qquad
    \alpha = l_1 + \sqrt{l_2^2 + 4\mu_n^2} + l_3 + \sqrt{l_4^2 + 4\mu_m^2},

with :math:`l_1 = -\bar\lambda_+ + \underline\lambda_-`,
:math:`l_2 = \bar\lambda_+ + \underline\lambda_-`,
:math:`l_3 = -\bar\lambda_- + \underline\lambda_+`,
:math:`l_4 = \bar\lambda_- + \underline\lambda_+`, built from the eigenvalues of the
conserved imbalance :math:`\Lambda = U_0^\top U_0 - V_0^\top V_0` (k x k):

.. math::

    \bar\lambda_+ = \max(\lambda_1(\Lambda), 0), \quad
    \bar\lambda_- = \max(\lambda_1(-\Lambda), 0), \quad
    \underline\lambda_+ = \max(\lambda_m(\Lambda), 0), \quad
    \underline\lambda_- = \max(\lambda_n(-\Lambda), 0),

and the margins :math:`\mu_i = \max(\sigma_i(Y) - \lVert Y - U_0 V_0^\top \rVert_F, 0)`.
Here :math:`\lambda_i` is the i-th LARGEST eigenvalue and :math:`\sigma_i` the i-th
largest singular value, both 0 when i exceeds the size (the book's notation page).

Each piece is public: :func:`eigenvalue` and :func:`singular_value` (the book's indexing),
:func:`imbalance_terms`, :func:`margins`, :func:`gram_lower_bounds` (the lemma), and
:func:`rate_bound`, :func:`loss_bound` straight from :math:`(Y, U_0, V_0)`.

:func:`rate_bound_slide_literal` evaluates the slide of Min et al.'s presentation as
printed, with the indices of :math:`\underline\lambda_\pm` swapped
(:math:`\lambda_n(\Lambda)` and :math:`\lambda_m(-\Lambda)`). That version is NOT a
valid bound when :math:`m \ne n`; it exists only to show the erratum (book: chapter 4).

Regression, :math:`\ell = \tfrac12 \lVert Y - X U V^\top \rVert_F^2` with data
:math:`X = W_x \Sigma_x^{1/2} \Phi_1^\top` of rank r (book: chapter 5,
``thm-regression-rate``; Min et al., arXiv:2105.06351, Thm. 3), has the same structure:

.. math::

    \ell(t) - \ell^\ast \le (\ell(0) - \ell^\ast)\, e^{-\lambda_r(\Sigma_x)\, c\, t},

where :math:`c` is the formula for :math:`\alpha` with the imbalance terms of the
conserved reduced imbalance :math:`D = U_1^\top U_1 - V^\top V`, :math:`U_1 = \Phi_1^\top U`
(index r in place of m), and the margins
:math:`\mu_i = \max(\sigma_i(\tilde Y) - \lVert \tilde Y - \Sigma_x^{1/2} U_1 V^\top \rVert_F, 0)
/ \sqrt{\lambda_1(\Sigma_x)}`,
:math:`\tilde Y = W_x^\top Y`. Pass ``X=`` to :func:`imbalance_terms`, :func:`margins`,
:func:`rate_bound` and :func:`loss_bound`; :func:`regression_constant` gives :math:`c`.
With :math:`X = I` everything reduces to matrix factorization.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from . import _numerics as _nx
from . import _validate as _v
from .regression import _decomposition as _dec

__all__ = [
    "ImbalanceTerms",
    "Margins",
    "eigenvalue",
    "singular_value",
    "imbalance_terms",
    "margins",
    "gram_lower_bounds",
    "rate_bound",
    "rate_bound_slide_literal",
    "regression_constant",
    "loss_bound",
]


class ImbalanceTerms(NamedTuple):
    r"""The four imbalance numbers of :math:`\Lambda = U_0^\top U_0 - V_0^\top V_0` (each >= 0).

    Attributes
    ----------
    lbar_plus : float
        :math:`\bar\lambda_+ = \max(\lambda_1(\Lambda), 0)`, the largest positive part.
    lbar_minus : float
        :math:`\bar\lambda_- = \max(\lambda_1(-\Lambda), 0)`, the largest negative part.
    lund_plus : float
        :math:`\underline\lambda_+ = \max(\lambda_m(\Lambda), 0)`.
    lund_minus : float
        :math:`\underline\lambda_- = \max(\lambda_n(-\Lambda), 0)`.
    """

    lbar_plus: float
    lbar_minus: float
    lund_plus: float
    lund_minus: float


class Margins(NamedTuple):
    r"""The margins :math:`\mu_i = \max(\sigma_i(Y) - \lVert Y - W_0 \rVert_F, 0)` of the bound.

    Attributes
    ----------
    mu_m : float
        :math:`\mu_m` (pairs with :math:`UU^\top`, m x m).
    mu_n : float
        :math:`\mu_n` (pairs with :math:`VV^\top`, n x n).
    """

    mu_m: float
    mu_n: float


# ----------------------------------------------------------------------------------
# input checks (the public functions call these once, then the cores below)
# ----------------------------------------------------------------------------------


def _factors(U0: Any, V0: Any) -> tuple[np.ndarray, np.ndarray]:
    U0 = _v.matrix("U0", U0)
    hint = f"U0 has {U0.shape[1]} columns: V0 must be n x k with the same k"
    V0 = _v.matrix("V0", V0, cols=U0.shape[1], cols_hint=hint)
    return U0, V0


def _factorization_problem(Y: Any, U0: Any, V0: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(Y, U0, V0) of matrix factorization for a bound: k >= min(m, n)."""
    Y, U0, V0, _ = _v.problem(Y, U0, V0)
    m, n = Y.shape
    k = U0.shape[1]
    if k < min(m, n):
        raise ValueError(
            f"U0 has {k} columns but min(m, n) = {min(m, n)} (Y is {m} x {n}): the bound assumes "
            f"a width k >= min(m, n) (with k < min(m, n) it would give alpha = 0)"
        )
    return Y, U0, V0


def _check_record(name: str, value: Any, kind: type, origin: str) -> Any:
    """``value`` must be a ``kind`` (a NamedTuple of non-negative finite floats), named ``name``."""
    if not isinstance(value, kind):
        got = type(value).__name__
        raise TypeError(f"{name} must be a {kind.__name__} (from {origin}), got {got}")
    for field, entry in value._asdict().items():
        _v.nonnegative_scalar(f"{name}.{field}", entry)
    return value


class _RegressionParts(NamedTuple):
    terms: ImbalanceTerms
    margins: Margins
    lambda_r: float
    l_star: float
    loss0: float


def _regression_parts(Y: Any, U0: Any, V0: Any, X: Any) -> _RegressionParts:
    """The checked pieces of the regression bound (book: chapter 5, ``thm-regression-rate``)."""
    Y, U0, V0, X = _v.problem(Y, U0, V0, X)
    dec = _dec.decompose(X, Y)
    r, n, k = dec.rank, Y.shape[1], U0.shape[1]
    if k < min(r, n):
        raise ValueError(
            f"U0 has {k} columns but min(rank X, n) = {min(r, n)}: the bound assumes a width "
            f"k >= min(r, n) (with fewer it would give c = 0)"
        )
    U1 = dec.Phi_1.T @ U0
    sqrt_sigma = np.sqrt(dec.Sigma_x)
    dist = float(np.linalg.norm(dec.Ytil - (sqrt_sigma[:, None] * U1) @ V0.T))
    s = np.linalg.svd(dec.Ytil, compute_uv=False)
    scale = float(sqrt_sigma[0])  # sqrt(lambda_1(Sigma_x))
    mu = Margins(
        mu_m=_nx.margin(_nx.book_index(s, r), dist) / scale,
        mu_n=_nx.margin(_nx.book_index(s, n), dist) / scale,
    )
    R0 = Y - X @ U0 @ V0.T
    return _RegressionParts(
        terms=_terms(_dec.reduced_imbalance(U0, V0, dec), r, n),
        margins=mu,
        lambda_r=float(dec.Sigma_x[-1]),
        l_star=dec.l_star,
        loss0=0.5 * float(np.sum(R0 * R0)),
    )


# ----------------------------------------------------------------------------------
# cores (unchecked)
# ----------------------------------------------------------------------------------


def _terms(Lam: np.ndarray, p: int, q: int) -> ImbalanceTerms:
    r"""Imbalance terms of a symmetric ``Lam``: lund_+ from lambda_p, lund_- from lambda_q(-Lam).

    Matrix factorization: p = m, q = n; the slide's version: p = n, q = m; regression:
    ``Lam`` is the reduced imbalance D and p = r = rank X.
    """
    return ImbalanceTerms(*_nx.imbalance_terms(_nx.eigenvalues_desc(Lam), p, q))


def _margins(Y: np.ndarray, U0: np.ndarray, V0: np.ndarray) -> Margins:
    m, n = Y.shape
    dist = float(np.linalg.norm(Y - U0 @ V0.T))
    s = np.linalg.svd(Y, compute_uv=False)
    return Margins(
        mu_m=_nx.margin(_nx.book_index(s, m), dist), mu_n=_nx.margin(_nx.book_index(s, n), dist)
    )


def _lower_bounds(
    terms: ImbalanceTerms, sm: np.ndarray, sn: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The two bounds of :func:`gram_lower_bounds`, for arrays ``sm``, ``sn`` (0-d allowed)."""
    bound_u = _nx.h(terms.lbar_minus, terms.lund_plus, sm)
    return bound_u, _nx.h(terms.lbar_plus, terms.lund_minus, sn)


def _rate(terms: ImbalanceTerms, margins: Margins) -> float:
    r""":math:`\alpha` = twice the sum of the two lemma bounds at the margins."""
    bu, bv = _lower_bounds(terms, np.asarray(margins.mu_m), np.asarray(margins.mu_n))
    return 2.0 * (float(bu) + float(bv))


# ----------------------------------------------------------------------------------
# spectra with the book's indexing
# ----------------------------------------------------------------------------------


def eigenvalue(A: ArrayLike, i: int) -> float:
    r"""The i-th largest eigenvalue :math:`\lambda_i(A)` of a symmetric matrix, 0 beyond its size.

    The book's convention (notation page): :math:`\lambda_1 \ge \lambda_2 \ge \dots`, and
    :math:`\lambda_i(A) = 0` when i exceeds the size of A; e.g. for the k x k imbalance,
    :math:`\lambda_m(\Lambda) = 0` when m > k (book: chapter 4).

    Parameters
    ----------
    A : array_like, shape (p, p)
        Symmetric up to round-off:
        :math:`\lVert A - A^\top \rVert_F \le 10^{-10} \lVert A \rVert_F`.
    i : int
        Index, 1 for the largest.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        If A is not square or not symmetric, or i < 1.
    TypeError
        If i is not an int.
    """
    A = _v.matrix("A", A)
    if A.shape[0] != A.shape[1]:
        raise ValueError(f"A must be square (symmetric), got shape {A.shape}")
    scale = float(np.linalg.norm(A))
    if float(np.linalg.norm(A - A.T)) > _nx.STRUCTURE_RTOL * scale:
        raise ValueError(
            f"A must be symmetric: ||A - A^T||_F exceeds {_nx.STRUCTURE_RTOL:g} ||A||_F"
        )
    i = _v.count("i", i)
    return _nx.book_index(_nx.eigenvalues_desc(A), i)


def singular_value(A: ArrayLike, i: int) -> float:
    r"""The i-th largest singular value :math:`\sigma_i(A)`, 0 beyond :math:`\min(p, q)`.

    Book: notation page.

    Parameters
    ----------
    A : array_like, shape (p, q)
    i : int
        Index, 1 for the largest.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        If A is not a finite matrix, or i < 1.
    TypeError
        If i is not an int.
    """
    A = _v.matrix("A", A)
    i = _v.count("i", i)
    return _nx.book_index(np.linalg.svd(A, compute_uv=False), i)


# ----------------------------------------------------------------------------------
# the pieces of the rate
# ----------------------------------------------------------------------------------


def imbalance_terms(U0: ArrayLike, V0: ArrayLike, *, X: ArrayLike | None = None) -> ImbalanceTerms:
    r"""The imbalance terms :math:`\bar\lambda_\pm, \underline\lambda_\pm` of :math:`(U_0, V_0)`.

    With :math:`\Lambda = U_0^\top U_0 - V_0^\top V_0` (k x k, conserved by the flow),
    :math:`m` the rows of :math:`U_0` and :math:`n` the rows of :math:`V_0`:

    .. math::

        \bar\lambda_+ = \max(\lambda_1(\Lambda), 0), \quad
        \bar\lambda_- = \max(\lambda_1(-\Lambda), 0), \quad
        \underline\lambda_+ = \max(\lambda_m(\Lambda), 0), \quad
        \underline\lambda_- = \max(\lambda_n(-\Lambda), 0)

    (book: chapter 4, ``lem-gram-imbalance``). :math:`\underline\lambda_+ > 0` needs
    :math:`\Lambda` to have at least m positive eigenvalues, :math:`\underline\lambda_- > 0`
    at least n negative ones; an index beyond k gives 0.

    With data ``X`` (regression, book: chapter 5) the terms are those of the reduced
    imbalance :math:`D = U_1^\top U_1 - V_0^\top V_0`, :math:`U_1 = \Phi_1^\top U_0`, with
    :math:`r = \operatorname{rank} X` in place of m.

    Parameters
    ----------
    U0 : array_like, shape (m, k)
    V0 : array_like, shape (n, k)
    X : array_like, shape (N, m), optional

    Returns
    -------
    ImbalanceTerms

    Raises
    ------
    ValueError
        If a shape does not fit, an entry is not finite, or X is zero.
    """
    U0, V0 = _factors(U0, V0)
    if X is None:
        return _terms(U0.T @ U0 - V0.T @ V0, U0.shape[0], V0.shape[0])
    hint = f"U0 has {U0.shape[0]} rows: X must be N x m"
    X = _v.matrix("X", X, cols=U0.shape[0], cols_hint=hint)
    dec = _dec.decompose(X, np.zeros((X.shape[0], V0.shape[0])))
    return _terms(_dec.reduced_imbalance(U0, V0, dec), dec.rank, V0.shape[0])


def margins(Y: ArrayLike, U0: ArrayLike, V0: ArrayLike, *, X: ArrayLike | None = None) -> Margins:
    r"""The margins :math:`\mu_m, \mu_n` of a start (book: chapter 4, ``lem-margin``).

    .. math::

        \mu_i = \max(\sigma_i(Y) - \lVert Y - U_0 V_0^\top \rVert_F, 0).

    Since the loss never increases along the flow, :math:`\sigma_i(W(t)) \ge \mu_i` for
    all :math:`t \ge 0` (book: chapter 4, ``lem-margin``). When m != n one of the two is
    0, because :math:`\sigma_{\max(m, n)}(Y) = 0`.

    With data ``X`` (book: chapter 5) the margins are those of the whitened problem,
    :math:`\mu_i = \max(\sigma_i(\tilde Y) - \lVert \tilde Y - \Sigma_x^{1/2} U_1 V_0^\top
    \rVert_F, 0) / \sqrt{\lambda_1(\Sigma_x)}` for :math:`i = r` (returned as ``mu_m``)
    and :math:`i = n`.

    Parameters
    ----------
    Y : array_like, shape (m, n), or (N, n) with X
    U0 : array_like, shape (m, k)
    V0 : array_like, shape (n, k)
    X : array_like, shape (N, m), optional

    Returns
    -------
    Margins

    Raises
    ------
    ValueError
        If a shape does not fit or an entry is not finite; with X, also if X is zero or
        k < min(rank X, n).
    """
    if X is not None:
        return _regression_parts(Y, U0, V0, X).margins
    Y, U0, V0, _ = _v.problem(Y, U0, V0)
    return _margins(Y, U0, V0)


def gram_lower_bounds(
    terms: ImbalanceTerms, sigma_m: ArrayLike, sigma_n: ArrayLike
) -> tuple[float, float] | tuple[np.ndarray, np.ndarray]:
    r"""The lemma's lower bounds on :math:`\lambda_m(UU^\top)` and :math:`\lambda_n(VV^\top)`.

    For any :math:`U` (m x k), :math:`V` (n x k) with imbalance terms ``terms`` and
    :math:`W = UV^\top` (book: chapter 4, ``lem-gram-imbalance``):

    .. math::

        \lambda_m(UU^\top) &\ge \tfrac12\Big(-\bar\lambda_- + \underline\lambda_+
            + \sqrt{(\bar\lambda_- + \underline\lambda_+)^2 + 4\sigma_m(W)^2}\Big), \\
        \lambda_n(VV^\top) &\ge \tfrac12\Big(-\bar\lambda_+ + \underline\lambda_-
            + \sqrt{(\bar\lambda_+ + \underline\lambda_-)^2 + 4\sigma_n(W)^2}\Big).

    Both right-hand sides increase with :math:`\sigma`, so any lower bound on
    :math:`\sigma_m(W)`, :math:`\sigma_n(W)` (e.g. the margins) may be passed instead.
    They are evaluated without cancellation.

    Parameters
    ----------
    terms : ImbalanceTerms
    sigma_m, sigma_n : float or array_like of the same shape
        :math:`\sigma_m(W)`, :math:`\sigma_n(W)` (or lower bounds on them), :math:`\ge 0`.

    Returns
    -------
    (bound_UUt, bound_VVt) : floats, or arrays of the shape of ``sigma_m``

    Raises
    ------
    TypeError
        If ``terms`` is not an :class:`ImbalanceTerms`.
    ValueError
        If a field of ``terms`` or an entry of ``sigma_m``, ``sigma_n`` is negative or not
        finite, or the two shapes differ.
    """
    terms = _check_record("terms", terms, ImbalanceTerms, "imbalance_terms")
    sm = _v.nonnegative_array("sigma_m", sigma_m)
    sn = _v.nonnegative_array("sigma_n", sigma_n)
    if sm.shape != sn.shape:
        raise ValueError(
            f"sigma_m and sigma_n must have the same shape, got {sm.shape} and {sn.shape}"
        )
    bu, bv = _lower_bounds(terms, sm, sn)
    if sm.ndim == 0:
        return float(bu), float(bv)
    return bu, bv


# ----------------------------------------------------------------------------------
# the rate and the bound
# ----------------------------------------------------------------------------------


def rate_bound(Y: ArrayLike, U0: ArrayLike, V0: ArrayLike, *, X: ArrayLike | None = None) -> float:
    r"""The guaranteed rate :math:`\alpha` of :math:`\ell(t) \le \ell(0) e^{-\alpha t}`.

    .. math::

        \alpha = -\bar\lambda_+ + \underline\lambda_-
                 + \sqrt{(\bar\lambda_+ + \underline\lambda_-)^2 + 4\mu_n^2}
                 -\bar\lambda_- + \underline\lambda_+
                 + \sqrt{(\bar\lambda_- + \underline\lambda_+)^2 + 4\mu_m^2},

    with the imbalance terms of :func:`imbalance_terms` and the margins of
    :func:`margins` (Min et al., ICML 2021, in the book's indexing; book: chapter 4,
    ``thm-general-init-rate``). Equivalently, :math:`\alpha` is twice the sum of the two
    bounds of :func:`gram_lower_bounds` at the margins; it is
    :math:`\ge 2(\underline\lambda_+ + \underline\lambda_-)`, with equality when both
    margins are 0. For :math:`m = n = k = 1` it is the scalar rate
    :math:`2\sqrt{\lambda_0^2 + 4M^2}`, :math:`M = \max(|y| - |y - x_0|, 0)`.

    Parameters
    ----------
    Y : array_like, shape (m, n)
    U0 : array_like, shape (m, k), with k >= min(m, n)
    V0 : array_like, shape (n, k)
    X : array_like, shape (N, m), optional
        Data of regression; then ``Y`` is (N, n) and the result is the rate
        :math:`\lambda_r(\Sigma_x)\, c` of :math:`\ell(t) - \ell^\ast`, with
        :math:`c` from :func:`regression_constant` (book: chapter 5). Rank-deficient
        X is allowed (r = rank X, counted as in :func:`overparam.regression.decompose`).

    Returns
    -------
    float
        :math:`\alpha \ge 0`.

    Raises
    ------
    ValueError
        If a shape does not fit, an entry is not finite, or k < min(m, n)
        (with X: X is zero or k < min(r, n)).
    """
    if X is not None:
        parts = _regression_parts(Y, U0, V0, X)
        return parts.lambda_r * _rate(parts.terms, parts.margins)
    Y, U0, V0 = _factorization_problem(Y, U0, V0)
    m, n = Y.shape
    return _rate(_terms(U0.T @ U0 - V0.T @ V0, m, n), _margins(Y, U0, V0))


def regression_constant(Y: ArrayLike, U0: ArrayLike, V0: ArrayLike, X: ArrayLike) -> float:
    r"""The constant :math:`c` of the regression bound (book: chapter 5, ``thm-regression-rate``).

    .. math::

        c = -\bar\lambda_+ + \underline\lambda_-
            + \sqrt{(\bar\lambda_+ + \underline\lambda_-)^2 + 4\mu_n^2}
            -\bar\lambda_- + \underline\lambda_+
            + \sqrt{(\bar\lambda_- + \underline\lambda_+)^2 + 4\mu_r^2},

    with the terms of :math:`D = U_1^\top U_1 - V_0^\top V_0` (:func:`imbalance_terms`
    with ``X``) and the margins of :func:`margins` with ``X``. The guaranteed rate is
    :math:`\lambda_r(\Sigma_x) c`. With zero margins,
    :math:`c = 2(\underline\lambda_+ + \underline\lambda_-)`.

    Parameters
    ----------
    Y : array_like, shape (N, n)
    U0 : array_like, shape (m, k)
    V0 : array_like, shape (n, k)
    X : array_like, shape (N, m)

    Returns
    -------
    float

    Raises
    ------
    TypeError
        If ``X`` is None (use :func:`rate_bound` for matrix factorization) or not numeric.
    ValueError
        If a shape does not fit, an entry is not finite, X is zero, or k < min(rank X, n).
    """
    if X is None:
        raise TypeError(
            "X must be a data matrix (N x m), got None; for matrix factorization use rate_bound"
        )
    parts = _regression_parts(Y, U0, V0, X)
    return _rate(parts.terms, parts.margins)


def rate_bound_slide_literal(Y: ArrayLike, U0: ArrayLike, V0: ArrayLike) -> float:
    r"""The slide's rate read literally (NOT a valid bound when m != n; for the erratum only).

    Same formula as :func:`rate_bound`, but with the slide's indices
    :math:`\underline\lambda_+ = \max(\lambda_n(\Lambda), 0)` and
    :math:`\underline\lambda_- = \max(\lambda_m(-\Lambda), 0)` (the indices m and n of the
    two lower terms exchanged); the margins enter squared, as in the slide "Summary General
    Initialization". Equal to :func:`rate_bound` when m = n. The flow violates
    :math:`\ell(0)e^{-\alpha t}` with this :math:`\alpha` on many rectangular instances
    (book: chapter 4, the erratum).

    Parameters
    ----------
    Y : array_like, shape (m, n)
    U0 : array_like, shape (m, k), with k >= min(m, n)
    V0 : array_like, shape (n, k)

    Returns
    -------
    float

    Raises
    ------
    ValueError
        If a shape does not fit, an entry is not finite, or k < min(m, n).
    """
    Y, U0, V0 = _factorization_problem(Y, U0, V0)
    m, n = Y.shape
    return _rate(_terms(U0.T @ U0 - V0.T @ V0, n, m), _margins(Y, U0, V0))


def loss_bound(
    Y: ArrayLike, U0: ArrayLike, V0: ArrayLike, t: ArrayLike, *, X: ArrayLike | None = None
) -> np.ndarray:
    r"""The bound :math:`\ell(0) e^{-\alpha t}` at the times ``t``.

    Book: chapter 4, ``thm-general-init-rate``.

    Parameters
    ----------
    Y : array_like, shape (m, n)
    U0 : array_like, shape (m, k), with k >= min(m, n)
    V0 : array_like, shape (n, k)
    t : array_like, shape (T,)
        Non-decreasing times >= 0.
    X : array_like, shape (N, m), optional
        Data of regression: the bound is then
        :math:`\ell^\ast + (\ell(0) - \ell^\ast) e^{-\lambda_r(\Sigma_x) c t}` (book: chapter 5).

    Returns
    -------
    ndarray, shape (T,)

    Raises
    ------
    ValueError
        As :func:`rate_bound`, and if the times are not 1-D, finite, >= 0 and non-decreasing.
    """
    if X is not None:
        parts = _regression_parts(Y, U0, V0, X)
        t = _v.times("t", t)
        rate = parts.lambda_r * _rate(parts.terms, parts.margins)
        return parts.l_star + (parts.loss0 - parts.l_star) * np.exp(-rate * t)
    Y, U0, V0 = _factorization_problem(Y, U0, V0)
    t = _v.times("t", t)
    m, n = Y.shape
    alpha = _rate(_terms(U0.T @ U0 - V0.T @ V0, m, n), _margins(Y, U0, V0))
    loss0 = 0.5 * float(np.sum((Y - U0 @ V0.T) ** 2))
    return loss0 * np.exp(-alpha * t)
