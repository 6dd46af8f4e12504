r"""Rates of the deep flow: local, under homogeneous imbalance, from imbalance alone (chapter 7).

Derived in the book, not quoted from a paper:

* :func:`local_rate`: :math:`\dot\ell \le -\alpha(t)\,\ell` with
  :math:`\alpha = 2 \sum_l \lambda_m(A_l A_l^\top)\, \lambda_n(B_l^\top B_l)` (any shapes,
  ``X = I``; ``prop-deep-local-rate``).
* :func:`homogeneous_rate_bound`: square layers, :math:`D_l = d_l I`:
  :math:`\ell(t) \le \ell(0) e^{-2\rho_d(\mu) t}`, with the margin
  :math:`\mu = \max(\sigma_n(Y) - \lVert Y - W_0 \rVert_F, 0)` (``thm-deep-homogeneous``).
* :func:`imbalance_rate_bound`: square layers, any :math:`D_l`:
  :math:`\ell(t) \le \ell(0) e^{-2\kappa t}` with :math:`\kappa` from the extreme
  eigenvalues of the :math:`D_l` alone (``thm-deep-imbalance``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike

from .. import _numerics as _nx
from .. import _validate as _v
from . import _common as _c

__all__ = [
    "homogeneous_init",
    "margin",
    "local_rate",
    "homogeneous_rate_bound",
    "imbalance_lower_bounds",
    "imbalance_rate_bound",
    "loss_bound",
]

#: The rates that :func:`loss_bound` can use.
BOUNDS = ("homogeneous", "imbalance")


def homogeneous_init(s1: ArrayLike, d: ArrayLike, rng: np.random.Generator) -> list[np.ndarray]:
    r"""Random square layers with homogeneous imbalance :math:`D_l = d_l I`.

    Here :math:`D_l = W_{l+1}^\top W_{l+1} - W_l W_l^\top`, and
    :math:`W_l = O_l S_l O_{l-1}^\top` with Haar random orthogonal :math:`O_0, \dots, O_L`
    and diagonal :math:`S_l^2 = S_1^2 + c_l I`, :math:`c_l = d_1 + \dots + d_{l-1}`. Every
    square network with homogeneous imbalance has this form (book: chapter 7,
    ``lem-deep-aligned``). Balanced layers: ``d = 0``.

    Parameters
    ----------
    s1 : array_like, shape (n,)
        Singular values of :math:`W_1`, ``>= 0``.
    d : array_like, shape (L - 1,)
        The imbalances :math:`d_l`; every :math:`s_{1,i}^2 + c_l` must be ``>= 0``.
    rng : numpy.random.Generator

    Returns
    -------
    list of L ndarrays, each n x n

    Raises
    ------
    ValueError
        If ``s1`` is not a non-empty vector of finite values ``>= 0``, ``d`` is not a
        finite vector, or ``d`` makes a squared singular value negative.
    TypeError
        If ``rng`` is not a ``numpy.random.Generator``.
    """
    s1 = _v.nonnegative_array("s1", s1)
    if s1.ndim != 1 or s1.size == 0:
        raise ValueError(
            f"s1 must be a non-empty 1-D array of singular values, got shape {s1.shape}"
        )
    d = _c.check_offsets("d", d)
    rng = _v.generator("rng", rng)
    c = np.concatenate([[0.0], np.cumsum(d)])
    sq = s1[None, :] ** 2 + c[:, None]  # (L, n): S_l^2
    if np.any(sq < 0):
        l, i = np.argwhere(sq < 0)[0]
        raise ValueError(
            f"d is infeasible for s1: s1[{i}]^2 + d_1 + ... + d_{l} = {sq[l, i]:.3g} < 0 would be "
            f"a squared singular value of W_{l + 1}"
        )
    n = s1.size
    O = [_nx.haar_orthogonal(n, rng) for _ in range(len(c) + 1)]
    return [O[l + 1] @ np.diag(np.sqrt(sq[l])) @ O[l].T for l in range(len(c))]


def _margin(Y: np.ndarray, W0: np.ndarray) -> float:
    s_min = float(np.linalg.svd(Y, compute_uv=False)[-1])
    return _nx.margin(s_min, float(np.linalg.norm(Y - W0)))


def margin(Y: ArrayLike, W0: ArrayLike) -> float:
    r"""The margin :math:`\mu = \max(\sigma_{\min(m,n)}(Y) - \lVert Y - W_0 \rVert_F, 0)`.

    The loss never increases along the flow, so :math:`\sigma_{\min}(W(t)) \ge \mu` for
    all :math:`t` (Weyl's inequality, as in chapter 4, ``lem-margin``; book: chapter 7,
    ``thm-deep-homogeneous``).

    Parameters
    ----------
    Y : array_like, shape (m, n)
    W0 : array_like, shape (m, n)
        The product of the initial layers, e.g. :func:`overparam.deep.product` of them.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        If the shapes differ or an entry is not finite.
    """
    Y = _v.matrix("Y", Y)
    W0 = _v.matrix(
        "W0", W0, rows=Y.shape[0], cols=Y.shape[1],
        rows_hint=f"Y has {Y.shape[0]} rows", cols_hint=f"Y has {Y.shape[1]} columns",
    )
    return _margin(Y, W0)


def local_rate(Ws: Sequence[ArrayLike]) -> float:
    r"""The local rate :math:`\alpha = 2\sum_l \lambda_m(A_l A_l^\top)\,\lambda_n(B_l^\top B_l)`.

    For matrix factorization (``X = I``), :math:`\dot\ell \le -\alpha\,\ell` at the
    point ``Ws`` (book: chapter 7, ``prop-deep-local-rate``), with
    :math:`A_l = W_L \cdots W_{l+1}` (m x h_l), :math:`B_l = W_{l-1}\cdots W_1`
    (h_{l-1} x n); :math:`\lambda_m` and :math:`\lambda_n` are the smallest eigenvalues of
    these m x m and n x n matrices, and :math:`A_L A_L^\top = I_m`,
    :math:`B_1^\top B_1 = I_n`.

    Parameters
    ----------
    Ws : sequence of L array_like
        The layers ``[W_1, ..., W_L]`` with chained shapes.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        If the layers do not chain or an entry is not finite.
    TypeError
        If ``Ws`` is not a sequence or an entry is not numeric.
    """
    Ws = _c.check_layer_list("Ws", Ws)
    L = len(Ws)
    total = 0.0
    for i in range(L):
        a = 1.0 if i == L - 1 else _c.lam_min((A := _c.chain(Ws[i + 1 :])) @ A.T)
        b = 1.0 if i == 0 else _c.lam_min((B := _c.chain(Ws[:i])).T @ B)
        total += max(a, 0.0) * max(b, 0.0)
    return 2.0 * total


def _homogeneous_rate(Y: np.ndarray, Ws0: list[np.ndarray], d: np.ndarray) -> float:
    return 2.0 * _c.rho(_margin(Y, _c.chain(Ws0)), _c.offsets(d))


def homogeneous_rate_bound(
    Y: ArrayLike, Ws0: Sequence[ArrayLike], *, rtol: float = _nx.STRUCTURE_RTOL
) -> float:
    r"""The rate :math:`\alpha = 2\rho_d(\mu)` of the loss under homogeneous imbalance.

    Book: chapter 7, ``thm-deep-homogeneous``: :math:`\ell(t) \le \ell(0)e^{-\alpha t}`.
    Assumptions: matrix factorization (``X = I``), square layers
    (:math:`m = n = h_1 = \dots = h_{L-1}`) and :math:`D_l(0) = d_l I` for every l. Then
    :math:`\dot\ell \le -2\rho_d(\sigma_n(W))\,\ell` with the scalar rate factor
    :math:`\rho_d` of :func:`overparam.deep.rate_factor`, and
    :math:`\sigma_n(W(t)) \ge \mu`, the :func:`margin`. Since
    :math:`\rho_d(\mu) \ge L\mu^{2-2/L}`, the rate is at least :math:`2L\mu^{2-2/L}`, with
    equality for balanced layers.

    Parameters
    ----------
    Y : array_like, shape (n, n)
    Ws0 : sequence of L array_like, each (n, n)
        The initial layers.
    rtol : float
        Relative tolerance of the test :math:`D_l = d_l I`, in (0, 1):
        :math:`d_l = \operatorname{tr}(D_l)/n` is accepted when :math:`\lVert D_l - d_l I \rVert_2
        \le \mathrm{rtol}\,(\lVert W_{l+1}\rVert_2^2 + \lVert W_l\rVert_2^2)`.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        If a shape does not fit, the layers are not square, the imbalance is not
        homogeneous, or ``rtol`` is not in (0, 1).
    """
    Y, Ws0, _ = _c.check_layers(Y, Ws0, None, "Ws0")
    _c.check_square("Ws0", Ws0)
    d = _c.homogeneous_offsets("Ws0", Ws0, _v.tolerance("rtol", rtol))
    return _homogeneous_rate(Y, Ws0, d)


def _beta(Ws: list[np.ndarray]) -> np.ndarray:
    """The beta_l of imbalance_lower_bounds for checked square layers."""
    D = _c.conserved(Ws)
    up = [_c.lam_min(Dl) for Dl in D]  # s_{l+1} >= s_l + up[l]
    down = [_c.lam_min(-Dl) for Dl in D]  # s_l >= s_{l+1} + down[l]
    L = len(Ws)
    beta = np.zeros(L)
    for i in range(L):
        b = np.zeros(L)
        for j in range(i, L - 1):
            b[j + 1] = max(b[j] + up[j], 0.0)
        for j in range(i - 1, -1, -1):
            b[j] = max(b[j + 1] + down[j], 0.0)
        beta = np.maximum(beta, b)
    return beta


def imbalance_lower_bounds(Ws: Sequence[ArrayLike]) -> np.ndarray:
    r"""Lower bounds :math:`\beta_l \le \sigma_n(W_l(t))^2` for all t, from the :math:`D_l` alone.

    Square layers only. Weyl's inequality applied to
    :math:`W_{l+1}^\top W_{l+1} = W_l W_l^\top + D_l` gives, with
    :math:`s_l = \sigma_n(W_l)^2`, :math:`s_{l+1} \ge s_l + \lambda_n(D_l)` and
    :math:`s_l \ge s_{l+1} + \lambda_n(-D_l)`. Starting from :math:`s_i \ge 0` at any
    layer i and propagating outwards (clipping at 0) gives one bound
    :math:`\beta^{(i)}` per i; :math:`\beta_l = \max_i \beta^{(i)}_l` (book: chapter 7,
    ``thm-deep-imbalance``).

    Parameters
    ----------
    Ws : sequence of L array_like, each (n, n)
        The layers.

    Returns
    -------
    ndarray, shape (L,)

    Raises
    ------
    ValueError
        If the layers are not square of one size or an entry is not finite.
    TypeError
        If ``Ws`` is not a sequence or an entry is not numeric.
    """
    Ws = _c.check_layer_list("Ws", Ws)
    _c.check_square("Ws", Ws)
    return _beta(Ws)


def _imbalance_rate(Ws0: list[np.ndarray]) -> float:
    beta = _beta(Ws0)
    L = beta.size
    return 2.0 * float(sum(math.prod(beta[j] for j in range(L) if j != i) for i in range(L)))


def imbalance_rate_bound(Ws0: Sequence[ArrayLike]) -> float:
    r"""The rate :math:`\alpha = 2\kappa` from imbalance alone (square layers).

    :math:`\kappa = \sum_l \prod_{j \ne l}\beta_j`; book: chapter 7, ``thm-deep-imbalance``.
    Assumptions: matrix factorization, square layers. Then
    :math:`\ell(t) \le \ell(0)e^{-\alpha t}` for every target Y, with the
    :math:`\beta_j` of :func:`imbalance_lower_bounds`. For :math:`L = 3` and a thin
    middle layer (:math:`D_1 \prec 0 \prec D_2`) it contains
    :math:`\kappa \ge \lambda_n(-D_1)\,\lambda_n(D_2)`. Under homogeneous
    imbalance it equals :math:`2\rho_d(0)`.

    Parameters
    ----------
    Ws0 : sequence of L array_like, each (n, n)
        The initial layers.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        If the layers are not square of one size or an entry is not finite.
    TypeError
        If ``Ws0`` is not a sequence or an entry is not numeric.
    """
    Ws0 = _c.check_layer_list("Ws0", Ws0)
    _c.check_square("Ws0", Ws0)
    return _imbalance_rate(Ws0)


def loss_bound(
    Y: ArrayLike, Ws0: Sequence[ArrayLike], t: ArrayLike, *, bound: str = "homogeneous"
) -> np.ndarray:
    r"""The bound :math:`\ell(0)e^{-\alpha t}` on the loss of the deep flow at the times ``t``.

    ``bound="homogeneous"``: :math:`\alpha` of :func:`homogeneous_rate_bound`
    (``thm-deep-homogeneous``, at its default ``rtol``); ``bound="imbalance"``: of
    :func:`imbalance_rate_bound` (``thm-deep-imbalance``). :math:`\ell(0)` is the loss of
    ``Ws0`` (``X = I``); book: chapter 7.

    Parameters
    ----------
    Y : array_like, shape (n, n)
    Ws0 : sequence of L array_like, each (n, n)
        The initial layers.
    t : array_like, shape (T,)
        Non-decreasing times ``>= 0``.
    bound : {"homogeneous", "imbalance"}

    Returns
    -------
    ndarray, shape (T,)

    Raises
    ------
    ValueError
        As :func:`homogeneous_rate_bound` or :func:`imbalance_rate_bound`; also for bad
        times or an unknown ``bound``.
    """
    bound = _v.choice("bound", bound, BOUNDS)
    Y, Ws0, _ = _c.check_layers(Y, Ws0, None, "Ws0")
    t = _v.times("t", t)
    _c.check_square("Ws0", Ws0)
    if bound == "homogeneous":
        alpha = _homogeneous_rate(Y, Ws0, _c.homogeneous_offsets("Ws0", Ws0, _nx.STRUCTURE_RTOL))
    else:
        alpha = _imbalance_rate(Ws0)
    return _nx.loss(Y, _c.chain(Ws0)) * np.exp(-alpha * t)
