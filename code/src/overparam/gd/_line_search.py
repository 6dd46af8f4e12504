r"""The loss along the negative gradient, a quartic in the step, and its exact minimizer.

Private (no input checks). One step of size :math:`\eta` moves the product to
:math:`W + \eta(GQ + PG) + \eta^2 G W^\top G` (:math:`P = UU^\top`, :math:`Q = VV^\top`,
:math:`G = X^\top E`, :math:`E = Y - XW`), so with :math:`B_1 = X(GQ + PG)` and
:math:`B_2 = X G W^\top G`

.. math::

    \ell(\eta) = \tfrac12\lVert E - \eta B_1 - \eta^2 B_2\rVert_F^2
    = \ell - \eta\lVert\nabla\ell\rVert_F^2
      + \eta^2\big(\tfrac12\lVert B_1\rVert_F^2 - \langle E, B_2\rangle\big)
      + \eta^3 \langle B_1, B_2\rangle + \tfrac{\eta^4}{2}\lVert B_2\rVert_F^2

(book: chapter 8, ``eq-gd-quartic`` in ``lem-gd-one-step``). The exact line search of
:func:`overparam.gd.adaptive_gradient_descent` takes the minimizer over :math:`\eta \ge 0`.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from .. import _numerics as _n

__all__ = ["Quartic", "quartic_parts", "coefficients", "loss_along_gradient", "argmin_quartic",
           "line_search_step"]

#: At most this many Newton steps polish each root of the cubic :math:`\ell'(\eta)`.
NEWTON_POLISH_STEPS = 8

#: A candidate step is ranked by its loss plus this times eps times the scale of its arithmetic.
STEP_ROUNDING_EPS = 64.0 * float(np.finfo(float).eps)


class Quartic(NamedTuple):
    r"""The parts of :math:`\ell(\eta) = \tfrac12\lVert E - \eta B_1 - \eta^2 B_2\rVert_F^2`.

    ``g`` is :math:`\lVert\nabla\ell\rVert_F^2 = \langle G, GQ + PG\rangle`; ``scale`` holds
    the Frobenius norms :math:`(\lVert Y\rVert, s, \lVert U\rVert, \lVert V\rVert,
    \lVert GV\rVert, \lVert U^\top G\rVert)` (:math:`s = \lVert X\rVert_F \ge \lVert X\rVert_2`,
    1 for X = I) that bound the rounding of a step.
    """

    E: np.ndarray
    B1: np.ndarray
    B2: np.ndarray
    g: float
    scale: tuple[float, float, float, float, float, float]


def quartic_parts(
    Y: np.ndarray, X: np.ndarray | None, W: np.ndarray, P: np.ndarray, Q: np.ndarray
) -> Quartic:
    """The :class:`Quartic` of the loss along the negative gradient at (W, P, Q)."""
    E = _n.residual(Y, W, X)
    G = _n.residual_gradient(Y, W, X)
    D1 = G @ Q + P @ G  # first-order change of W
    D2 = G @ W.T @ G  # second-order change of W
    B1 = D1 if X is None else X @ D1
    B2 = D2 if X is None else X @ D2
    scale = (
        float(np.linalg.norm(Y)),
        1.0 if X is None else float(np.linalg.norm(X)),
        math.sqrt(max(float(np.trace(P)), 0.0)),
        math.sqrt(max(float(np.trace(Q)), 0.0)),
        math.sqrt(max(float(np.sum(G * (G @ Q))), 0.0)),
        math.sqrt(max(float(np.sum(G * (P @ G))), 0.0)),
    )
    return Quartic(E, B1, B2, float(np.sum(G * D1)), scale)


def coefficients(q: Quartic) -> np.ndarray:
    """Coefficients c0..c4 of the quartic, lowest degree first."""
    E, B1, B2 = q.E, q.B1, q.B2
    c0 = 0.5 * float(np.sum(E * E))
    c1 = -q.g  # = -||grad||^2 = -<G, D1> = -<E, B1>
    c2 = 0.5 * float(np.sum(B1 * B1)) - float(np.sum(E * B2))
    c3 = float(np.sum(B1 * B2))
    c4 = 0.5 * float(np.sum(B2 * B2))
    return np.array([c0, c1, c2, c3, c4])


def loss_along_gradient(
    Y: np.ndarray, U: np.ndarray, V: np.ndarray, X: np.ndarray | None = None
) -> np.ndarray:
    r""":math:`(c_0, \dots, c_4)` with :math:`\ell(\eta) = \sum_i c_i\eta^i` at the point (U, V).

    :math:`c_0 = \ell`, :math:`c_1 = -\lVert\nabla\ell\rVert_F^2`.
    """
    return coefficients(quartic_parts(Y, X, U @ V.T, U @ U.T, V @ V.T))


def _reciprocal_roots(reversed_coefficients: np.ndarray) -> np.ndarray:
    """1 / x for the real parts x != 0 of the roots of the reversed polynomial (highest first)."""
    nz = np.flatnonzero(np.abs(reversed_coefficients) > 0)
    if nz.size == 0 or nz[0] == reversed_coefficients.size - 1:
        return np.zeros(0)
    x = np.roots(reversed_coefficients[nz[0] :]).real
    x = x[x != 0]
    with np.errstate(over="ignore", divide="ignore"):
        return 1.0 / x


def _polish(deriv: np.ndarray, second: np.ndarray, r: float) -> float:
    """Newton's method on the cubic ``deriv`` from ``r``; an iterate is kept if it lowers |l'|."""
    for _ in range(NEWTON_POLISH_STEPS):
        d2 = np.polyval(second, r)
        if not d2 != 0:
            break
        new = r - np.polyval(deriv, r) / d2
        if not (new > 0 and abs(np.polyval(deriv, new)) < abs(np.polyval(deriv, r))):
            break
        r = new
    return float(r)


def argmin_quartic(q: Quartic) -> float:
    r"""The minimizer over :math:`\eta \ge 0` of :math:`\ell(\eta)` (0 if the loss cannot decrease).

    The candidates are the positive roots of the cubic :math:`\ell'(\eta)` (from
    ``np.roots``, polished by Newton's method). ``np.roots`` finds each root to about eps
    times the largest root, so with roots of very different sizes (near a minimizer, one
    of 1e-10 and one of 1e24) the small ones would be lost: the roots of the reversed cubic
    (in :math:`1/\eta`), accurate for the small roots, are candidates too. Real parts of
    complex roots are kept (a non-stationary candidate can never beat the global
    minimizer, which is a real root).

    The candidates are compared through the loss evaluated directly as the squared norm of
    the residual, not through the coefficients: near a minimizer the terms
    :math:`c_i\eta^i` can be many orders of magnitude larger than :math:`\ell(\eta)` and
    cancel. A far candidate is taken only if it is better by more than the rounding of the
    step itself (at a huge step the terms of the new factors cancel, and a loss smaller
    only on paper is a blow-up in floating point): each candidate is ranked by
    :math:`\ell(\eta) + \epsilon' S(\sqrt{2\ell(\eta)} + \epsilon' S)`, with
    :math:`\epsilon'` = :data:`STEP_ROUNDING_EPS` and
    :math:`S = \lVert E\rVert + \eta\lVert B_1\rVert + \eta^2\lVert B_2\rVert + \lVert Y\rVert
    + s(\lVert U\rVert + \eta\lVert GV\rVert)(\lVert V\rVert + \eta\lVert U^\top G\rVert)`.
    The smallest positive root (the first local minimizer) is always a candidate.
    """
    c = coefficients(q)
    E, B1, B2 = q.E, q.B1, q.B2
    ny, nx, nu, nv, ngv, nug = q.scale
    nE, nB1, nB2 = (float(np.linalg.norm(a)) for a in (E, B1, B2))
    if not c[1] < 0.0:
        return 0.0
    deriv = np.array([4.0 * c[4], 3.0 * c[3], 2.0 * c[2], c[1]])  # highest degree first
    deriv = deriv[np.flatnonzero(np.abs(deriv) > 0)[0] :]  # the true degree, for np.roots
    second = np.polyder(deriv)
    roots = np.concatenate([np.roots(deriv).real, _reciprocal_roots(deriv[::-1])])
    cands = [_polish(deriv, second, r) for r in roots if r > 0]
    if not cands:  # pragma: no cover - c1 < 0 and c4 >= 0 always leave a positive root
        return 0.0

    def certified(eta: float) -> float:  # the loss at eta plus a bound on the rounding of the step
        with np.errstate(over="ignore", invalid="ignore"):
            value = 0.5 * float(np.sum((E - eta * B1 - eta * eta * B2) ** 2))
            size = nE + eta * nB1 + eta * eta * nB2 + ny + nx * (nu + eta * ngv) * (nv + eta * nug)
            rounding = STEP_ROUNDING_EPS * size
            bound = value + rounding * (math.sqrt(2.0 * value) + rounding)
        return bound if math.isfinite(bound) else math.inf

    bounds = [certified(eta) for eta in cands]
    best = int(np.argmin(bounds))
    if not math.isfinite(bounds[best]):  # pragma: no cover - the smallest root has a finite bound
        return min(cands)
    return cands[best]


def line_search_step(
    Y: np.ndarray, U: np.ndarray, V: np.ndarray, X: np.ndarray | None = None
) -> float:
    r"""The exact line-search step :math:`\arg\min_{\eta \ge 0}\ell(\eta)` (0 if stationary)."""
    return argmin_quartic(quartic_parts(Y, X, U @ V.T, U @ U.T, V @ V.T))
