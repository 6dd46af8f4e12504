r"""Gradient descent on a two-layer linear network, and a linear rate for it.

The model and loss are those of :mod:`overparam.flow`,

.. math::

    \ell(U, V) = \tfrac12 \lVert Y - X U V^\top \rVert_F^2, \qquad
    G = X^\top (Y - X U V^\top),

with :math:`X = I` (matrix factorization) when no data matrix is given. Gradient
descent with steps :math:`\eta_j > 0` is

.. math::

    U_{j+1} = U_j + \eta_j G_j V_j, \qquad V_{j+1} = V_j + \eta_j G_j^\top U_j ,

the forward Euler method for the gradient flow: iterate :math:`j` approximates the
flow at time :math:`t_j = \eta_0 + \dots + \eta_{j-1}` (:math:`= j\eta` for a fixed
step). The loss is NOT divided by the number of samples: a run with step
:math:`\eta'` on :math:`\tfrac1N \lVert Y - XUV^\top \rVert_F^2` is the run here with
:math:`\eta = 2\eta'/N`, and its iteration :math:`j` sits at flow time
:math:`t = 2\eta' j / N` (book: chapter 8, ``ch-gd``).

Width-free iteration
--------------------
With :math:`Z = [U; V]` ((m + n) x k) and :math:`S_j = \begin{pmatrix} 0 & G_j \\
G_j^\top & 0 \end{pmatrix}`, one step is :math:`Z_{j+1} = (I + \eta_j S_j) Z_j`, and
:math:`S_j` depends on :math:`Z_j` only through :math:`W_j = U_j V_j^\top`. Hence
:math:`Z_j = \Pi_j Z_0` with an (m + n) x (m + n) matrix :math:`\Pi_j`, and running
gradient descent from ANY factor :math:`\hat Z_0` with :math:`\hat Z_0 \hat Z_0^\top =
Z_0 Z_0^\top` gives the same :math:`W_j`, :math:`P_j = U_j U_j^\top`,
:math:`Q_j = V_j V_j^\top` and losses. The functions here iterate such a factor with at
most m + n columns, so a step costs the same at width 10 and at width :math:`10^5`;
the full factors :math:`(U_j, V_j)` are rebuilt as :math:`\Pi_j Z_0` only at the
recorded steps, and only when asked for.

The imbalance
-------------
:math:`\Lambda = U^\top U - V^\top V`, conserved by the flow, moves under gradient
descent by exactly

.. math::

    \Lambda_{j+1} - \Lambda_j = \eta_j^2 \left( V_j^\top G_j^\top G_j V_j
        - U_j^\top G_j G_j^\top U_j \right)

(:func:`imbalance_increment`; book: chapter 8, ``prop-gd-imbalance-step``). Its
nonzero eigenvalues, and so :math:`\lVert \Lambda_j - \Lambda_0 \rVert_2`, are read off
the narrow factor (:attr:`GDTrajectory.drift`).

A linear rate (the book's derivation)
-------------------------------------
Xu, Min, Tarmoun, Mallada and Vidal (AISTATS 2023) prove a linear rate for this
gradient descent with a step-size condition and a time-varying step. Their exact
constants are not reproduced here. The quantities below are the book's own
(chapter 8, ``thm-gd-linear-rate``), for data :math:`X` with full column rank
(:math:`X = I` included), :math:`s = \sigma_1(X)`, :math:`\sigma_x = \sigma_m(X)`:

* local constants (:func:`local_constants`): :math:`\alpha(U, V) = \sigma_x^2
  (\lambda_m(UU^\top) + \lambda_n(VV^\top))` bounds the gradient from below,
  :math:`\lVert\nabla\ell\rVert^2 \ge 2\alpha(\ell - \ell^\ast)`, and
  :math:`\beta(U, V) = s^2(\lVert U\rVert_2^2 + \lVert V\rVert_2^2)` enters the one-step
  bound :math:`\ell(\text{next}) \le \ell - \eta\,\varphi(\eta)\lVert\nabla\ell\rVert^2`
  with the descent factor (:func:`descent_factor`)

  .. math::

      \varphi(\eta) = 1 - \tfrac{\eta}{2}(\beta + s\sqrt{2\ell})
          - \tfrac{\eta^2}{2} s\beta\sqrt{2\ell} - \tfrac{\eta^3}{4} s^2\beta\ell ;

* a-priori constants (:func:`rate_constants`): bounds
  :math:`\alpha(\ell) \le \alpha(U_j, V_j)` and :math:`\beta(\ell) \ge \beta(U_j, V_j)`
  valid along the whole run while the loss is :math:`\le \ell`, built from the
  imbalance and the margin at initialization and a budget for the imbalance drift;
  :math:`\alpha_0 = \alpha(\ell_0)`, :math:`\beta_0 = \beta(\ell_0)`;
* the step-size condition :math:`\Phi(\eta; \ell_0) \ge 1/2`
  (:attr:`RateConstants.max_step`), the guaranteed factor
  :math:`1 - 2\eta\Phi(\eta;\ell)\alpha(\ell)` per step, and the adaptive step
  :math:`\eta(\ell) = \arg\max_\eta \eta\Phi(\eta; \ell)` that minimizes it
  (:meth:`RateConstants.step_at`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np
from numpy.typing import ArrayLike

from . import _validate as _v
from .bounds import ImbalanceTerms, _pos, _terms_from_spectrum
from .flow import _narrow_factor, check_problem

__all__ = [
    "GDTrajectory",
    "LocalConstants",
    "RateConstants",
    "gradient_descent",
    "adaptive_gradient_descent",
    "imbalance_increment",
    "loss_along_gradient",
    "line_search_step",
    "descent_factor",
    "bound_step",
    "local_constants",
    "rate_constants",
]

RULES = ("loss", "local", "line_search")

# A run stops (and is marked diverged) once the loss exceeds this or is not finite.
_DIVERGED = 1e100


# ----------------------------------------------------------------------------------
# input checks used only here
# ----------------------------------------------------------------------------------


def _factors(Y, U, V, X):
    """check_problem with the names U, V (a point, not a start)."""
    try:
        return check_problem(Y, U, V, X)
    except (ValueError, TypeError) as exc:  # rename U0/V0 -> U/V in the message, keep the type
        msg = re.sub(r"\b([UV])0\b", r"\1", str(exc))
        raise type(exc)(msg) from None


def _residual(Y, X, W):
    return Y - W if X is None else Y - X @ W


def _grad_factor(X, E):
    return E if X is None else X.T @ E


# ----------------------------------------------------------------------------------
# results
# ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class GDTrajectory:
    r"""A gradient-descent run, sampled at the recorded steps.

    Attributes
    ----------
    steps : ndarray of int, shape (T,)
        The recorded iteration indices :math:`j` (0, ``record_every``, ..., and the last).
    t : ndarray, shape (T,)
        Flow time :math:`t_j = \eta_0 + \dots + \eta_{j-1}` of each recorded iterate.
    W : ndarray, shape (T, m, n)
        The products :math:`W_j = U_j V_j^\top`.
    loss : ndarray, shape (T,)
        :math:`\ell_j = \tfrac12 \lVert Y - X W_j \rVert_F^2`.
    P, Q : ndarray, shapes (T, m, m) and (T, n, n)
        :math:`U_j U_j^\top` and :math:`V_j V_j^\top`.
    drift : ndarray, shape (T,)
        :math:`\lVert \Lambda_j - \Lambda_0 \rVert_2`, the spectral norm of the change of
        the imbalance (zero for the flow).
    step : ndarray, shape (J,)
        The step sizes :math:`\eta_0, \dots, \eta_{J-1}` used, J = completed steps.
    diverged : bool
        True if the run stopped early because the loss exceeded 1e100 or was not finite.
    U, V : ndarray, shapes (T, m, k) and (T, n, k), or None
        The factors, when ``store_factors=True``.
    Lambda : ndarray, shape (T, k, k), or None
        The imbalance :math:`\Lambda_j = U_j^\top U_j - V_j^\top V_j`, when
        ``store_factors=True`` (mind the memory: :math:`k^2` numbers per record).
    """

    steps: np.ndarray
    t: np.ndarray
    W: np.ndarray
    loss: np.ndarray
    P: np.ndarray
    Q: np.ndarray
    drift: np.ndarray
    step: np.ndarray
    diverged: bool
    U: np.ndarray | None = None
    V: np.ndarray | None = None
    Lambda: np.ndarray | None = None


@dataclass(frozen=True)
class LocalConstants:
    r"""The local constants of chapter 8 at one point :math:`(U, V)`.

    Attributes
    ----------
    alpha : float
        :math:`\sigma_m(X)^2 (\lambda_m(UU^\top) + \lambda_n(VV^\top))`, so that
        :math:`\lVert\nabla\ell\rVert_F^2 \ge 2\alpha(\ell - \ell^\ast)`.
    beta : float
        :math:`\sigma_1(X)^2 (\lVert U\rVert_2^2 + \lVert V\rVert_2^2)`, the curvature
        scale of the one-step bound (and, for :math:`X = I` at a minimizer, the largest
        Hessian eigenvalue).
    loss : float
        :math:`\ell(U, V)`.
    grad_sq : float
        :math:`\lVert\nabla\ell\rVert_F^2 = \lVert GV\rVert_F^2 + \lVert U^\top G\rVert_F^2`.
    """

    alpha: float
    beta: float
    loss: float
    grad_sq: float


# ----------------------------------------------------------------------------------
# the per-step pieces
# ----------------------------------------------------------------------------------


def imbalance_increment(Y: ArrayLike, U: ArrayLike, V: ArrayLike, step: float, *, X: ArrayLike | None = None) -> np.ndarray:
    r"""The exact change of the imbalance in one gradient-descent step.

    .. math::

        \Lambda_{j+1} - \Lambda_j = \eta^2 \left( V^\top G^\top G V - U^\top G G^\top U \right),
        \qquad G = X^\top (Y - X U V^\top)

    (:math:`G = Y - UV^\top` when ``X`` is None; book: chapter 8,
    ``prop-gd-imbalance-step``). The first-order terms cancel, as they do for the
    flow; what is left is of order :math:`\eta^2`.

    Parameters
    ----------
    Y : array_like, shape (m, n), or (N, n) with ``X``
    U : array_like, shape (m, k)
    V : array_like, shape (n, k)
    step : float
        The step :math:`\eta > 0`.
    X : array_like, shape (N, m), optional

    Returns
    -------
    ndarray, shape (k, k)
    """
    Y, U, V, X = _factors(Y, U, V, X)
    eta = _v.positive_scalar("step", step)
    G = _grad_factor(X, _residual(Y, X, U @ V.T))
    GV = G @ V
    GtU = G.T @ U
    return eta**2 * (GV.T @ GV - GtU.T @ GtU)


def _quartic_parts(Y, X, W, P, Q):
    """(E, B1, B2, g) of the loss along the negative gradient: l(eta) = ||E - eta B1 - eta^2 B2||_F^2 / 2, g = ||grad||^2."""
    E = _residual(Y, X, W)
    G = _grad_factor(X, E)
    D1 = G @ Q + P @ G  # first-order change of W
    D2 = G @ W.T @ G  # second-order change of W
    B1 = D1 if X is None else X @ D1
    B2 = D2 if X is None else X @ D2
    # the scale of the step's own arithmetic: ||Y|| + s (||U|| + eta ||GV||)(||V|| + eta ||U^T G||)
    # (Frobenius norms, s = ||X||_F >= ||X||_2), for the rounding bound of _argmin_quartic
    scale = (
        float(np.linalg.norm(Y)),
        1.0 if X is None else float(np.linalg.norm(X)),
        math.sqrt(max(float(np.trace(P)), 0.0)),
        math.sqrt(max(float(np.trace(Q)), 0.0)),
        math.sqrt(max(float(np.sum(G * (G @ Q))), 0.0)),
        math.sqrt(max(float(np.sum(G * (P @ G))), 0.0)),
    )
    return E, B1, B2, float(np.sum(G * D1)), scale


def _coefficients(E, B1, B2, g):
    """Coefficients c0..c4 of ||E - eta B1 - eta^2 B2||_F^2 / 2, lowest degree first."""
    c0 = 0.5 * float(np.sum(E * E))
    c1 = -g  # = -||grad||^2 = -<G, D1> = -<E, B1>
    c2 = 0.5 * float(np.sum(B1 * B1)) - float(np.sum(E * B2))
    c3 = float(np.sum(B1 * B2))
    c4 = 0.5 * float(np.sum(B2 * B2))
    return np.array([c0, c1, c2, c3, c4])


def _quartic(Y, X, W, P, Q):
    """Coefficients c0..c4 of the loss along the negative gradient, from (W, P, Q)."""
    return _coefficients(*_quartic_parts(Y, X, W, P, Q)[:4])


def loss_along_gradient(Y: ArrayLike, U: ArrayLike, V: ArrayLike, *, X: ArrayLike | None = None) -> np.ndarray:
    r"""The loss after one step of size :math:`\eta`, as the quartic :math:`\sum_i c_i \eta^i`.

    One step moves the product to
    :math:`W + \eta(GQ + PG) + \eta^2 G W^\top G` (:math:`P = UU^\top`,
    :math:`Q = VV^\top`), so with :math:`E = Y - XW`, :math:`B_1 = X(GQ + PG)` and
    :math:`B_2 = X G W^\top G`,

    .. math::

        \ell(\eta) = \tfrac12\lVert E - \eta B_1 - \eta^2 B_2\rVert_F^2
        = \ell - \eta\lVert\nabla\ell\rVert_F^2
          + \eta^2\big(\tfrac12\lVert B_1\rVert_F^2 - \langle E, B_2\rangle\big)
          + \eta^3 \langle B_1, B_2\rangle + \tfrac{\eta^4}{2}\lVert B_2\rVert_F^2

    (book: chapter 8, ``eq-gd-quartic`` in ``lem-gd-one-step``).

    Parameters
    ----------
    Y : array_like, shape (m, n), or (N, n) with ``X``
    U : array_like, shape (m, k)
    V : array_like, shape (n, k)
    X : array_like, shape (N, m), optional

    Returns
    -------
    ndarray, shape (5,)
        :math:`(c_0, c_1, c_2, c_3, c_4)`, lowest degree first:
        :math:`c_0 = \ell`, :math:`c_1 = -\lVert\nabla\ell\rVert_F^2`.
    """
    Y, U, V, X = _factors(Y, U, V, X)
    return _quartic(Y, X, U @ V.T, U @ U.T, V @ V.T)


def _reciprocal_roots(reversed_coefficients: np.ndarray) -> np.ndarray:
    """1 / x for the real parts x != 0 of the roots of the reversed polynomial (highest degree first)."""
    nz = np.flatnonzero(np.abs(reversed_coefficients) > 0)
    if nz.size == 0 or nz[0] == reversed_coefficients.size - 1:
        return np.zeros(0)
    x = np.roots(reversed_coefficients[nz[0]:]).real
    x = x[x != 0]
    with np.errstate(over="ignore", divide="ignore"):
        return 1.0 / x


def _argmin_quartic(E: np.ndarray, B1: np.ndarray, B2: np.ndarray, g: float, scale: tuple) -> float:
    """The minimizer over eta >= 0 of l(eta) = ||E - eta B1 - eta^2 B2||_F^2 / 2 (0 if it cannot decrease).

    The candidates are the positive roots of the cubic l'(eta) (from np.roots, polished
    by Newton's method on the cubic). They are compared through the loss evaluated
    directly as the squared norm of the residual, NOT through the coefficients: near a
    minimizer the terms c_i eta^i can be many orders of magnitude larger than l(eta)
    and cancel, so the coefficient form can rank a far local minimizer (with a larger
    loss than l(0)) below the true one. Real parts of complex roots are kept as
    candidates too (a root computed with a spurious imaginary part is not lost; a
    non-stationary candidate can never beat the global minimizer, which is a real root).

    A far candidate is taken only if it is better by more than the rounding of the step
    itself: at a huge step the terms of W + eta D1 + eta^2 D2 (and of the factors
    U + eta G V, V + eta G^T U) cancel, and a loss that is smaller only on paper becomes
    a blow-up in floating point. Each candidate is ranked by its loss plus a bound on that
    rounding, 64 eps S (sqrt(2 l(eta)) + 64 eps S) with S = ||E|| + eta ||B1|| +
    eta^2 ||B2|| + ||Y|| + ||X||_F (||U||_F + eta ||GV||_F)(||V||_F + eta ||U^T G||_F).
    The smallest positive root (the first local minimizer, where the loss has decreased)
    is always a candidate.
    """
    c = _coefficients(E, B1, B2, g)
    ny, nx, nu, nv, ngv, nug = scale
    nE, nB1, nB2 = (float(np.linalg.norm(a)) for a in (E, B1, B2))
    if not c[1] < 0.0:
        return 0.0
    deriv = np.array([4.0 * c[4], 3.0 * c[3], 2.0 * c[2], c[1]])  # highest degree first
    # drop leading zeros so that np.roots sees the true degree
    nz = np.flatnonzero(np.abs(deriv) > 0)
    deriv = deriv[nz[0]:]
    second = np.polyder(deriv)
    # np.roots finds each root to ~ eps times the LARGEST root: with roots of very
    # different sizes (near a minimizer, one root ~ 1e-10, another ~ 1e24) the small
    # ones are lost. The roots of the reversed cubic (in 1 / eta) give the small roots to
    # relative accuracy; both sets are candidates.
    roots = np.concatenate([np.roots(deriv).real, _reciprocal_roots(deriv[::-1])])
    cands = []
    for r in roots:
        if not r > 0:
            continue
        for _ in range(8):  # Newton polishing; keep an iterate only if it improves |l'|
            d2 = np.polyval(second, r)
            if not d2 != 0:
                break
            new = r - np.polyval(deriv, r) / d2
            if not (new > 0 and abs(np.polyval(deriv, new)) < abs(np.polyval(deriv, r))):
                break
            r = new
        cands.append(float(r))
    if not cands:  # pragma: no cover - c1 < 0 and c4 >= 0 always leave a positive root
        return 0.0
    tiny = 64.0 * np.finfo(float).eps

    def certified(eta):  # the loss at eta plus a bound on the rounding of the step
        with np.errstate(over="ignore", invalid="ignore"):
            value = 0.5 * float(np.sum((E - eta * B1 - eta * eta * B2) ** 2))
            size = nE + eta * nB1 + eta * eta * nB2 + ny + nx * (nu + eta * ngv) * (nv + eta * nug)
            bound = value + tiny * size * (math.sqrt(2.0 * value) + tiny * size)
        return bound if math.isfinite(bound) else math.inf

    bounds = [certified(eta) for eta in cands]
    best = int(np.argmin(bounds))
    if not math.isfinite(bounds[best]):  # pragma: no cover - the smallest root has a finite bound
        return min(cands)
    return cands[best]


def line_search_step(Y: ArrayLike, U: ArrayLike, V: ArrayLike, *, X: ArrayLike | None = None) -> float:
    r"""The exact line-search step :math:`\arg\min_{\eta \ge 0} \ell(\eta)` along the negative gradient.

    :math:`\ell(\eta)` is the quartic of :func:`loss_along_gradient`; its minimizer is
    a root of a cubic. Returns 0 at a stationary point. The roots are compared through the
    loss :math:`\tfrac12\lVert E - \eta B_1 - \eta^2 B_2\rVert_F^2` evaluated directly (the
    coefficient form cancels catastrophically at large steps), and a far root is taken
    only if its advantage exceeds the rounding error of the step itself; the first local
    minimizer, where the loss has decreased, is always a candidate.

    Parameters
    ----------
    Y : array_like, shape (m, n), or (N, n) with ``X``
    U : array_like, shape (m, k)
    V : array_like, shape (n, k)
    X : array_like, shape (N, m), optional

    Returns
    -------
    float
    """
    Y, U, V, X = _factors(Y, U, V, X)
    return _argmin_quartic(*_quartic_parts(Y, X, U @ V.T, U @ U.T, V @ V.T))


def _root_two_loss(s: float, loss: float) -> float:
    """s * sqrt(2 loss), without the overflow of 2 * loss (which gave 0 * inf = nan for s = 0)."""
    return s * math.sqrt(2.0 * loss) if loss < 1e300 else s * (math.sqrt(2.0) * math.sqrt(loss))


def _phi(eta: float, beta: float, loss: float, s: float) -> float:
    r = _root_two_loss(s, loss)
    return 1.0 - 0.5 * eta * (beta + r) - 0.5 * eta**2 * beta * r - 0.25 * eta**3 * s * s * beta * loss


def descent_factor(step: float, beta: float, loss: float, *, s: float = 1.0) -> float:
    r"""The factor :math:`\varphi` of the one-step bound :math:`\ell(\text{next}) \le \ell - \eta\varphi(\eta)\lVert\nabla\ell\rVert_F^2`.

    .. math::

        \varphi(\eta) = 1 - \tfrac{\eta}{2}\big(\beta + s\sqrt{2\ell}\big)
            - \tfrac{\eta^2}{2}\, s\beta\sqrt{2\ell} - \tfrac{\eta^3}{4}\, s^2\beta\ell

    with :math:`\beta \ge s^2(\lVert U\rVert_2^2 + \lVert V\rVert_2^2)`,
    :math:`s \ge \sigma_1(X)` and :math:`\ell` the current loss (book: chapter 8,
    ``lem-gd-one-step``). It decreases in :math:`\eta`, :math:`\beta` and :math:`\ell`;
    for :math:`\ell \to 0` it is the classical :math:`1 - \eta\beta/2`.

    Parameters
    ----------
    step : float
        :math:`\eta \ge 0`.
    beta : float
        :math:`\beta \ge 0`.
    loss : float
        :math:`\ell \ge 0`.
    s : float
        :math:`s \ge 0`, an upper bound on :math:`\sigma_1(X)` (1 for matrix factorization).

    Returns
    -------
    float
    """
    eta = _v.nonnegative_scalar("step", step)
    beta = _v.nonnegative_scalar("beta", beta)
    loss = _v.nonnegative_scalar("loss", loss)
    s = _v.nonnegative_scalar("s", s)
    return _phi(eta, beta, loss, s)


def _bound_step(beta: float, loss: float, s: float) -> float:
    """argmax_{eta > 0} eta * phi(eta): the positive root of 1 - 2a eta - 3b eta^2 - 4c eta^3."""
    r = _root_two_loss(s, loss)
    a = 0.5 * (beta + r)
    b = 0.5 * beta * r
    c = 0.25 * s * s * beta * loss
    if a <= 0.0:
        return math.inf
    # f(eta) = 1 - 2a eta - 3b eta^2 - 4c eta^3 is concave and decreasing on eta > 0, with
    # f(0) = 1 and f(1 / (2a)) <= 0. Newton from the right of the root decreases
    # monotonically to it (the tangent of a concave function lies above it).
    eta = 1.0 / (2.0 * a)
    for _ in range(100):
        f = 1.0 - 2.0 * a * eta - 3.0 * b * eta**2 - 4.0 * c * eta**3
        df = -2.0 * a - 6.0 * b * eta - 12.0 * c * eta**2
        new = eta - f / df
        if not new < eta:  # converged (no further decrease in floating point)
            break
        eta = new
    return eta


def bound_step(beta: float, loss: float, *, s: float = 1.0) -> float:
    r"""The step that maximizes :math:`\eta\,\varphi(\eta)`, i.e. minimizes the one-step bound.

    It is the positive root of :math:`\tfrac{d}{d\eta}(\eta\varphi) = 0`, a cubic with a
    single positive root; there :math:`\varphi \ge 1/2` and :math:`\eta\beta \le 1`
    (book: chapter 8, ``prop-gd-adaptive``). For :math:`\ell \to 0` it tends to
    :math:`1/\beta`.

    Parameters
    ----------
    beta : float
        :math:`\beta > 0`.
    loss : float
        :math:`\ell \ge 0`.
    s : float
        :math:`s \ge 0` (1 for matrix factorization).

    Returns
    -------
    float
    """
    beta = _v.positive_scalar("beta", beta)
    loss = _v.nonnegative_scalar("loss", loss)
    s = _v.nonnegative_scalar("s", s)
    return _bound_step(beta, loss, s)


def _x_norms(X) -> tuple[float, float, np.ndarray | None]:
    """(sigma_1(X), sigma_m(X), singular values) with X = I when None."""
    if X is None:
        return 1.0, 1.0, None
    sv = np.linalg.svd(X, compute_uv=False)
    m = X.shape[1]
    smin = float(sv[m - 1]) if m <= sv.size else 0.0
    return float(sv[0]), smin, sv


def local_constants(Y: ArrayLike, U: ArrayLike, V: ArrayLike, *, X: ArrayLike | None = None) -> LocalConstants:
    r"""The local constants :math:`\alpha(U, V)`, :math:`\beta(U, V)` at one point (book: chapter 8, ``lem-gd-one-step``).

    .. math::

        \alpha = \sigma_m(X)^2\big(\lambda_m(UU^\top) + \lambda_n(VV^\top)\big), \qquad
        \beta = \sigma_1(X)^2\big(\lVert U\rVert_2^2 + \lVert V\rVert_2^2\big),

    with :math:`X = I` when ``X`` is None. :math:`\lambda_m(UU^\top) = 0` when
    :math:`k < m` and :math:`\lambda_n(VV^\top) = 0` when :math:`k < n` (returned as exact
    zeros, not as rounding noise), so :math:`\alpha = 0` when :math:`k < \min(m, n)`, and
    when :math:`X` has rank below m (:math:`\sigma_m(X) \le \max(N, m)\,\epsilon\,\sigma_1(X)`,
    the rank test of :func:`rate_constants`).

    Parameters
    ----------
    Y : array_like, shape (m, n), or (N, n) with ``X``
    U : array_like, shape (m, k)
    V : array_like, shape (n, k)
    X : array_like, shape (N, m), optional

    Returns
    -------
    LocalConstants
    """
    Y, U, V, X = _factors(Y, U, V, X)
    s, sx, _ = _x_norms(X)
    if X is not None and not sx > max(X.shape) * np.finfo(float).eps * s:
        sx = 0.0  # X without full column rank (the same test as rate_constants)
    (m, k), n = U.shape, V.shape[0]
    P, Q = U @ U.T, V @ V.T
    eP, eQ = np.linalg.eigvalsh(P), np.linalg.eigvalsh(Q)
    # rank U <= k: for k < m the smallest eigenvalue of U U^T is exactly 0 (eigvalsh
    # would return rounding noise of either sign, up to ~ m eps ||U||^2)
    lam_m = _pos(eP[0]) if k >= m else 0.0
    lam_n = _pos(eQ[0]) if k >= n else 0.0
    E = _residual(Y, X, U @ V.T)
    G = _grad_factor(X, E)
    grad_sq = float(np.sum((G @ V) ** 2) + np.sum((U.T @ G) ** 2))
    return LocalConstants(
        alpha=sx**2 * (lam_m + lam_n),
        beta=s**2 * (float(eP[-1]) + float(eQ[-1])),
        loss=0.5 * float(np.sum(E * E)),
        grad_sq=grad_sq,
    )


# ----------------------------------------------------------------------------------
# a-priori constants
# ----------------------------------------------------------------------------------


def _h(a: float, b: float, sigma: float) -> float:
    """(-a + b + sqrt((a + b)^2 + 4 sigma^2)) / 2 for a, b, sigma >= 0, without cancellation.

    The lower bound of Min et al.'s lemma (``overparam.bounds.gram_lower_bounds`` evaluates
    the same function with input checks; this scalar version is for the inner loops).
    """
    root = math.hypot(a + b, 2.0 * sigma)
    den = a + root
    return 0.5 * (b + (b * b + 2.0 * a * b + 4.0 * sigma * sigma) / den) if den > 0 else 0.0


def _p(a, sigma):
    """(a + sqrt(a^2 + 4 sigma^2)) / 2: the upper bound on ||U||_2^2 (a = lbar_+, sigma = sigma_1(W))."""
    return 0.5 * (a + math.hypot(a, 2.0 * sigma))


@dataclass(frozen=True)
class _Spectra:
    """What the a-priori bounds need from (Y, U0, V0, X), computed once."""

    s: float
    sigma_x: float
    loss0: float
    loss_star: float
    theta_sv: np.ndarray
    terms: ImbalanceTerms
    m: int
    n: int

    def dist(self, loss: float) -> float:
        return math.sqrt(2.0 * max(loss - self.loss_star, 0.0)) / self.sigma_x

    def sv(self, i: int) -> float:
        return float(self.theta_sv[i - 1]) if i <= self.theta_sv.size else 0.0

    def alpha(self, loss: float, drift: float) -> float:
        if not math.isfinite(drift):
            return 0.0
        d = self.dist(loss)
        t = ImbalanceTerms(
            lbar_plus=self.terms.lbar_plus + drift,
            lbar_minus=self.terms.lbar_minus + drift,
            lund_plus=_pos(self.terms.lund_plus - drift),
            lund_minus=_pos(self.terms.lund_minus - drift),
        )
        bu = _h(t.lbar_minus, t.lund_plus, max(self.sv(self.m) - d, 0.0))
        bv = _h(t.lbar_plus, t.lund_minus, max(self.sv(self.n) - d, 0.0))
        return self.sigma_x**2 * (bu + bv)

    def beta(self, loss: float, drift: float) -> float:
        if not math.isfinite(drift):
            return math.inf
        sig = self.sv(1) + self.dist(loss)
        return self.s**2 * (_p(self.terms.lbar_plus + drift, sig) + _p(self.terms.lbar_minus + drift, sig))

    def adaptive_step(self, loss: float, drift: float) -> float:
        beta = self.beta(loss, drift)
        if not math.isfinite(beta):
            return 0.0
        return _bound_step(beta, loss, self.s)

    def phi(self, step: float, loss: float, drift: float) -> float:
        beta = self.beta(loss, drift)
        return _phi(step, beta, loss, self.s) if math.isfinite(beta) else -math.inf


def _adaptive_drift(sp: _Spectra) -> float:
    r"""A drift budget for the adaptive step: an upper sum of 2 * int_{l*}^{l0} eta_0(l) dl.

    Along the adaptive run the drift is at most sum_j 2 eta(l_j)(l_j - l_{j+1}) (each step
    has phi >= 1/2), and eta(l) does not increase with l, so this is at most
    2 int eta(l) dl over [l*, l0]. Steps computed with drift 0 are the largest, so
    delta = 2 int eta_0 satisfies delta >= 2 int eta_delta: it is self-consistent.
    """
    excess = sp.loss0 - sp.loss_star
    if excess <= 0:
        return 0.0
    # excess levels Delta0 * q^i, q = 10^(-1/25), down to 1e-16 Delta0; eta is largest at the
    # low end of each interval, so using it there gives an upper sum.
    levels = excess * 10.0 ** (-np.arange(0, 401) / 25.0)
    etas = np.array([sp.adaptive_step(sp.loss_star + e, 0.0) for e in levels])
    if not np.all(np.isfinite(etas)):
        return math.inf
    total = float(np.sum(etas[1:] * (levels[:-1] - levels[1:])))
    total += sp.adaptive_step(sp.loss_star, 0.0) * levels[-1]
    return 2.0 * float(total)


def _max_fixed_step(sp: _Spectra) -> float:
    """The largest eta with Phi(eta; l0) >= 1/2 when the drift budget is 2 eta (l0 - l*)."""
    excess = sp.loss0 - sp.loss_star
    beta00 = sp.beta(sp.loss0, 0.0)
    if not beta00 > 0:
        return math.inf
    ok = lambda eta: sp.phi(eta, sp.loss0, 2.0 * eta * excess) >= 0.5  # noqa: E731
    lo, hi = 0.0, 1.0 / beta00  # Phi >= 1/2 forces eta * beta <= 1
    if ok(hi):
        return hi
    for _ in range(100):
        mid = 0.5 * (lo + hi)
        if ok(mid):
            lo = mid
        else:
            hi = mid
    return lo


@dataclass(frozen=True)
class RateConstants:
    r"""The a-priori constants of the book's linear-rate theorem (chapter 8, ``thm-gd-linear-rate``).

    Built by :func:`rate_constants` from :math:`(Y, U_0, V_0, X)` and a step rule (a
    fixed step, or the adaptive step when ``step`` is None). With
    :math:`\Delta(\ell) = \sqrt{2(\ell - \ell^\ast)}/\sigma_x` (a bound on
    :math:`\lVert W - \Theta^\ast\rVert_F` while the loss is :math:`\le \ell`) and the
    drift budget :math:`\delta`,

    .. math::

        \alpha(\ell) &= \sigma_x^2\Big[h\big(\bar\lambda_- + \delta, (\underline\lambda_+ - \delta)_+, \mu_m(\ell)\big)
                       + h\big(\bar\lambda_+ + \delta, (\underline\lambda_- - \delta)_+, \mu_n(\ell)\big)\Big], \\
        \beta(\ell) &= s^2\Big[p\big(\bar\lambda_+ + \delta, \bar\sigma(\ell)\big) + p\big(\bar\lambda_- + \delta, \bar\sigma(\ell)\big)\Big],

    where :math:`\mu_i(\ell) = (\sigma_i(\Theta^\ast) - \Delta(\ell))_+`,
    :math:`\bar\sigma(\ell) = \sigma_1(\Theta^\ast) + \Delta(\ell)`,
    :math:`h(a, b, \sigma) = \tfrac12(-a + b + \sqrt{(a + b)^2 + 4\sigma^2})` (the lemma of
    Min et al. on :math:`\lambda_m(UU^\top)`, :math:`\lambda_n(VV^\top)`) and
    :math:`p(a, \sigma) = \tfrac12(a + \sqrt{a^2 + 4\sigma^2})`. The budget is
    :math:`\delta = 2\eta(\ell_0 - \ell^\ast)` for a fixed step :math:`\eta` and
    :math:`\delta = 2\int_{\ell^\ast}^{\ell_0} \eta(\ell)\,d\ell` (an upper sum, with the
    steps computed at zero drift) for the adaptive step.

    Attributes
    ----------
    s, sigma_x : float
        :math:`\sigma_1(X)`, :math:`\sigma_m(X)` (1 and 1 for matrix factorization).
    loss0, loss_star : float
        :math:`\ell_0` and the least value :math:`\ell^\ast`.
    theta_sv : ndarray
        Singular values of :math:`\Theta^\ast = X^+ Y`, largest first.
    terms : ImbalanceTerms
        :math:`\bar\lambda_\pm, \underline\lambda_\pm` of :math:`\Lambda_0`.
    step : float or None
        The fixed step, or None for the adaptive step.
    drift_budget : float
        :math:`\delta`, a bound on :math:`\lVert\Lambda_j - \Lambda_0\rVert_2` along the run.
    alpha0, beta0 : float
        :math:`\alpha(\ell_0)` and :math:`\beta(\ell_0)`.
    max_step : float
        The largest fixed step with :math:`\Phi(\eta; \ell_0) \ge 1/2` when
        :math:`\delta = 2\eta(\ell_0 - \ell^\ast)` (the step-size condition).
    """

    s: float
    sigma_x: float
    loss0: float
    loss_star: float
    theta_sv: np.ndarray
    terms: ImbalanceTerms
    step: float | None
    drift_budget: float
    alpha0: float
    beta0: float
    max_step: float
    _sp: _Spectra = field(repr=False)

    def _loss_arg(self, loss) -> float:
        x = _v.nonnegative_scalar("loss", loss)
        if x > self.loss0 * (1 + 1e-12) + 1e-300:
            raise ValueError(
                f"loss must be <= loss0 = {self.loss0:.6g} (the bounds hold while the loss stays "
                f"below its start), got {x:.6g}"
            )
        return min(x, self.loss0)

    def alpha(self, loss) -> float:
        r""":math:`\alpha(\ell)`, a lower bound on the local :math:`\alpha(U_j, V_j)` at every iterate with :math:`\ell_j \le \ell`."""
        return self._sp.alpha(self._loss_arg(loss), self.drift_budget)

    def beta(self, loss) -> float:
        r""":math:`\beta(\ell)`, an upper bound on the local :math:`\beta(U_j, V_j)` at every iterate with :math:`\ell_j \le \ell`."""
        return self._sp.beta(self._loss_arg(loss), self.drift_budget)

    def _step_at(self, loss: float) -> float:
        return self.step if self.step is not None else self._sp.adaptive_step(loss, self.drift_budget)

    def step_at(self, loss) -> float:
        r"""The step used at loss :math:`\ell`: the fixed step, or :math:`\eta(\ell) = \arg\max_\eta \eta\Phi(\eta;\ell)`."""
        return self._step_at(self._loss_arg(loss))

    def _factor(self, loss: float) -> float:
        eta = self._step_at(loss)
        if not eta > 0:
            return 1.0
        phi = self._sp.phi(eta, loss, self.drift_budget)
        return 1.0 - 2.0 * eta * max(phi, 0.0) * self._sp.alpha(loss, self.drift_budget)

    def factor(self, loss) -> float:
        r"""The guaranteed factor :math:`1 - 2\eta\Phi(\eta;\ell)\alpha(\ell)`: one step from an iterate with loss :math:`\ell_j \le \ell` gives :math:`\ell_{j+1} - \ell^\ast \le` factor :math:`\cdot (\ell_j - \ell^\ast)`.

        For the adaptive rule, :math:`\eta = \eta(\ell_j)`: pass the current loss.
        """
        return self._factor(self._loss_arg(loss))

    def loss_bound(self, n_steps) -> np.ndarray:
        r"""A-priori bounds :math:`b_j \ge \ell_j` for :math:`j = 0, \dots,` ``n_steps``.

        :math:`b_0 = \ell_0` and :math:`b_{j+1} - \ell^\ast = f(b_j)(b_j - \ell^\ast)` with
        :math:`f` = :meth:`factor`. The factor increases with the loss, so bounding
        :math:`\ell_j` by :math:`b_j` keeps the recursion valid.

        Parameters
        ----------
        n_steps : int
            Number of steps, ``>= 0``.

        Returns
        -------
        ndarray, shape (n_steps + 1,)
        """
        n_steps = _v.count("n_steps", n_steps, 0)
        out = np.empty(n_steps + 1)
        b = self.loss0
        out[0] = b
        for j in range(n_steps):
            b = self.loss_star + self._factor(b) * (b - self.loss_star)
            out[j + 1] = b
        return out


def _imbalance_spectrum(Zs: np.ndarray, m: int, k: int) -> np.ndarray:
    """Eigenvalues of Lambda (k x k), largest first, from a narrow factor Zs (Zs Zs^T = Z Z^T)."""
    J = np.concatenate([np.ones(m), -np.ones(Zs.shape[0] - m)])
    ev = np.linalg.eigvalsh(Zs.T @ (J[:, None] * Zs))
    full = np.concatenate([ev, np.zeros(max(k - ev.size, 0))])
    return np.sort(full)[::-1]


def _spectra(Y, U0, V0, X) -> _Spectra:
    m, k = U0.shape
    n = V0.shape[0]
    s, sx, sv = _x_norms(X)
    if X is not None:
        tol = max(X.shape) * np.finfo(float).eps * s
        if not sx > tol:
            rank = int(np.sum(sv > tol))
            raise ValueError(
                f"X has rank {rank} but m = {m} columns: the rate constants need X with full column rank "
                f"(sigma_m(X) > 0), got sigma_m(X) = {sx:.3g}"
            )
        Theta = np.linalg.lstsq(X, Y, rcond=None)[0]
        R = Y - X @ Theta
        loss_star = 0.5 * float(np.sum(R * R))
    else:
        Theta = Y
        loss_star = 0.0
    E0 = _residual(Y, X, U0 @ V0.T)
    loss0 = 0.5 * float(np.sum(E0 * E0))
    loss_star = min(loss_star, loss0)
    ev = _imbalance_spectrum(_narrow_factor(np.vstack([U0, V0])), m, k)  # largest first, length k
    terms = _terms_from_spectrum(ev, m, n)
    return _Spectra(
        s=s, sigma_x=sx, loss0=loss0, loss_star=loss_star,
        theta_sv=np.linalg.svd(Theta, compute_uv=False), terms=terms, m=m, n=n,
    )


def rate_constants(
    Y: ArrayLike, U0: ArrayLike, V0: ArrayLike, *, X: ArrayLike | None = None, step: float | None = None
) -> RateConstants:
    r"""The a-priori constants :math:`\alpha_0, \beta_0`, the drift budget and the step-size condition.

    See :class:`RateConstants` for the formulas (book: chapter 8, ``thm-gd-linear-rate``;
    these are the book's own constants, not those of Xu et al., AISTATS 2023). The
    theorem: for a fixed step :math:`\eta \le` ``max_step``, or for the adaptive step
    :math:`\eta_j = \eta(\ell_j)`, every step satisfies

    .. math::

        \ell_{j+1} - \ell^\ast \le \big(1 - 2\eta_j \Phi(\eta_j; \ell_j)\,\alpha(\ell_j)\big)(\ell_j - \ell^\ast)
        \le (1 - \eta_j\alpha_0)(\ell_j - \ell^\ast),

    and :math:`\lVert \Lambda_j - \Lambda_0 \rVert_2 \le \delta` for all j.

    Parameters
    ----------
    Y : array_like, shape (m, n), or (N, n) with ``X``
    U0 : array_like, shape (m, k)
    V0 : array_like, shape (n, k)
    X : array_like, shape (N, m), optional
        Must have full column rank m (then :math:`\Theta^\ast = X^+Y` is the unique
        least-squares solution).
    step : float, optional
        A fixed step :math:`0 < \eta \le` ``max_step``; None (default) for the adaptive step.

    Returns
    -------
    RateConstants

    Raises
    ------
    ValueError
        If a shape does not fit, an entry is not finite, ``X`` has rank below m, or
        ``step`` is not positive or exceeds the step-size condition.
    """
    Y, U0, V0, X = check_problem(Y, U0, V0, X)
    sp = _spectra(Y, U0, V0, X)
    max_step = _max_fixed_step(sp)
    if step is None:
        drift = _adaptive_drift(sp)
    else:
        step = _v.positive_scalar("step", step)
        if step > max_step * (1 + 1e-12):
            raise ValueError(
                f"step = {step:.6g} exceeds max_step = {max_step:.6g}: the step-size condition "
                "Phi(step; loss0) >= 1/2 fails"
            )
        drift = 2.0 * step * (sp.loss0 - sp.loss_star)
    return RateConstants(
        s=sp.s, sigma_x=sp.sigma_x, loss0=sp.loss0, loss_star=sp.loss_star, theta_sv=sp.theta_sv,
        terms=sp.terms, step=step, drift_budget=float(drift), alpha0=float(sp.alpha(sp.loss0, drift)),
        beta0=float(sp.beta(sp.loss0, drift)), max_step=float(max_step), _sp=sp,
    )


# ----------------------------------------------------------------------------------
# the runs
# ----------------------------------------------------------------------------------


def _run(
    Y: np.ndarray,
    U0: np.ndarray,
    V0: np.ndarray,
    X: np.ndarray | None,
    n_steps: int,
    record_every: int,
    store_factors: bool,
    choose_step: Callable[[np.ndarray, np.ndarray, np.ndarray, float], float],
) -> GDTrajectory:
    """The loop shared by the fixed and adaptive runs (width-free, see the module documentation)."""
    m = U0.shape[0]
    Z0 = np.vstack([U0, V0])
    Zs = _narrow_factor(Z0)
    track = store_factors and Zs is not Z0  # rebuild full factors as Pi_j Z0
    Us, Vs = Zs[:m].copy(), Zs[m:].copy()
    Pu = Pv = None
    if track:
        eye = np.eye(Z0.shape[0])
        Pu, Pv = eye[:m].copy(), eye[m:].copy()
    Lam0 = Us.T @ Us - Vs.T @ Vs

    rec: dict[str, list] = {key: [] for key in ("steps", "t", "W", "loss", "P", "Q", "drift", "U", "V", "Lambda")}
    steps_used: list[float] = []
    t_now = 0.0
    diverged = False

    def record(j, W, loss):
        rec["steps"].append(j)
        rec["t"].append(t_now)
        rec["W"].append(W)
        rec["loss"].append(loss)
        rec["P"].append(Us @ Us.T)
        rec["Q"].append(Vs @ Vs.T)
        D = Us.T @ Us - Vs.T @ Vs - Lam0
        rec["drift"].append(float(np.max(np.abs(np.linalg.eigvalsh(0.5 * (D + D.T))))))
        if store_factors:
            U, V = (Pu @ Z0, Pv @ Z0) if track else (Us.copy(), Vs.copy())
            rec["U"].append(U)
            rec["V"].append(V)
            rec["Lambda"].append(U.T @ U - V.T @ V)

    with np.errstate(over="ignore", invalid="ignore"):
        for j in range(n_steps + 1):
            W = Us @ Vs.T
            E = Y - W if X is None else Y - X @ W
            loss = 0.5 * float(np.vdot(E, E))
            if not (loss <= _DIVERGED):  # also catches nan
                diverged = True
                if math.isfinite(loss):
                    record(j, W, loss)
                break
            if j % record_every == 0 or j == n_steps:
                record(j, W, loss)
            if j == n_steps:
                break
            G = E if X is None else X.T @ E
            eta = choose_step(W, Us, Vs, loss)
            steps_used.append(eta)
            t_now += eta
            if track:
                Pu, Pv = Pu + eta * (G @ Pv), Pv + eta * (G.T @ Pu)
            Us, Vs = Us + eta * (G @ Vs), Vs + eta * (G.T @ Us)

    stack = lambda key: np.array(rec[key]) if store_factors else None  # noqa: E731
    return GDTrajectory(
        steps=np.array(rec["steps"], dtype=int),
        t=np.array(rec["t"], dtype=float),
        W=np.array(rec["W"]),
        loss=np.array(rec["loss"], dtype=float),
        P=np.array(rec["P"]),
        Q=np.array(rec["Q"]),
        drift=np.array(rec["drift"], dtype=float),
        step=np.array(steps_used, dtype=float),
        diverged=diverged,
        U=stack("U"),
        V=stack("V"),
        Lambda=stack("Lambda"),
    )


def gradient_descent(
    Y: ArrayLike,
    U0: ArrayLike,
    V0: ArrayLike,
    step: float,
    n_steps: int,
    *,
    X: ArrayLike | None = None,
    record_every: int = 1,
    store_factors: bool = True,
) -> GDTrajectory:
    r"""Gradient descent with a fixed step on :math:`\tfrac12\lVert Y - XUV^\top\rVert_F^2`.

    .. math::

        U_{j+1} = U_j + \eta\, G_j V_j, \qquad V_{j+1} = V_j + \eta\, G_j^\top U_j, \qquad
        G_j = X^\top (Y - X U_j V_j^\top),

    iterated in the width-free form of the module documentation. Iterate :math:`j`
    approximates the gradient flow (:func:`overparam.flow.gradient_flow`) at time
    :math:`t = j\eta` (book: chapter 8, ``ch-gd``).

    Parameters
    ----------
    Y : array_like, shape (m, n), or (N, n) when ``X`` is given
    U0 : array_like, shape (m, k)
    V0 : array_like, shape (n, k)
    step : float
        The step :math:`\eta > 0`.
    n_steps : int
        Number of steps, ``>= 0``.
    X : array_like, shape (N, m), optional
        Data; None means matrix factorization (:math:`X = I`).
    record_every : int
        Record every this many steps (and always the first and the last), ``>= 1``.
    store_factors : bool
        Also return :math:`U_j`, :math:`V_j` and :math:`\Lambda_j` at the recorded steps.

    Returns
    -------
    GDTrajectory
        A run that blows up (loss above 1e100 or not finite) stops there, with
        ``diverged=True``.

    Raises
    ------
    ValueError
        If a shape does not fit, an entry is not finite, ``step <= 0``, ``n_steps < 0``
        or ``record_every < 1``.
    TypeError
        If ``n_steps`` or ``record_every`` is not an int, or ``store_factors`` not a bool.
    """
    Y, U0, V0, X = check_problem(Y, U0, V0, X)
    eta = _v.positive_scalar("step", step)
    n_steps = _v.count("n_steps", n_steps, 0)
    record_every = _v.count("record_every", record_every, 1)
    store_factors = _v.flag("store_factors", store_factors)
    run = _run(Y, U0, V0, X, n_steps, record_every, store_factors, lambda W, Us, Vs, loss: eta)
    return replace(run, t=run.steps * eta)  # exactly j * eta, without summation round-off


def adaptive_gradient_descent(
    Y: ArrayLike,
    U0: ArrayLike,
    V0: ArrayLike,
    n_steps: int,
    *,
    X: ArrayLike | None = None,
    rule: str = "loss",
    record_every: int = 1,
    store_factors: bool = True,
) -> GDTrajectory:
    r"""Gradient descent with a step chosen afresh at every iterate.

    Three rules (book: chapter 8, ``prop-gd-adaptive`` and ``eq-gd-quartic`` in ``lem-gd-one-step``):

    ``"loss"``
        :math:`\eta_j = \arg\max_\eta \eta\,\Phi(\eta; \ell_j)`: the step that minimizes
        the guaranteed factor of :func:`rate_constants` at the current loss. It needs
        only the initialization (through :class:`RateConstants`) and :math:`\ell_j`, and
        grows as the loss falls. Covered by the book's linear-rate theorem. Needs
        ``X`` with full column rank.
    ``"local"``
        :math:`\eta_j = \arg\max_\eta \eta\,\varphi(\eta)` with the measured local
        :math:`\beta(U_j, V_j)` (:func:`bound_step`); every step provably decreases the
        loss, but the theorem's a-priori guarantee does not cover this rule.
    ``"line_search"``
        exact line search: :math:`\eta_j` minimizes the quartic
        :math:`\ell(\eta)` of :func:`loss_along_gradient`. Best one-step decrease, no
        a-priori rate.

    Parameters
    ----------
    Y : array_like, shape (m, n), or (N, n) when ``X`` is given
    U0 : array_like, shape (m, k)
    V0 : array_like, shape (n, k)
    n_steps : int
        Number of steps, ``>= 0``.
    X : array_like, shape (N, m), optional
    rule : {"loss", "local", "line_search"}
    record_every : int
        ``>= 1``; the first and last steps are always recorded.
    store_factors : bool
        Also return :math:`U_j`, :math:`V_j` and :math:`\Lambda_j` at the recorded steps.

    Returns
    -------
    GDTrajectory
        ``step`` holds the steps chosen.

    Raises
    ------
    ValueError
        As :func:`gradient_descent`, for an unknown ``rule``, or (rule ``"loss"``) for
        ``X`` without full column rank.
    """
    Y, U0, V0, X = check_problem(Y, U0, V0, X)
    n_steps = _v.count("n_steps", n_steps, 0)
    record_every = _v.count("record_every", record_every, 1)
    store_factors = _v.flag("store_factors", store_factors)
    rule = _v.choice("rule", rule, RULES)
    m = U0.shape[0]
    s, _, _ = _x_norms(X)

    if rule == "loss":
        const = rate_constants(Y, U0, V0, X=X)

        def choose(W, Us, Vs, loss):
            return const._step_at(min(loss, const.loss0))

    elif rule == "local":

        def choose(W, Us, Vs, loss):
            # ||U||_2^2 and ||V||_2^2 from the smaller Gram matrix of each factor
            nu = np.linalg.eigvalsh(Us @ Us.T if Us.shape[0] <= Us.shape[1] else Us.T @ Us)[-1]
            nv = np.linalg.eigvalsh(Vs @ Vs.T if Vs.shape[0] <= Vs.shape[1] else Vs.T @ Vs)[-1]
            beta = s**2 * (nu + nv)
            return _bound_step(float(beta), loss, s) if beta > 0 else 0.0

    else:

        def choose(W, Us, Vs, loss):
            return _argmin_quartic(*_quartic_parts(Y, X, W, Us @ Us.T, Vs @ Vs.T))

    return _run(Y, U0, V0, X, n_steps, record_every, store_factors, choose)
