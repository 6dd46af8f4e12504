r"""Internals shared by the modules of :mod:`overparam.gd` (private; no input checks).

The norms of the data, the full-column-rank test, and the two scalar formulas of the
one-step bound: the descent factor :math:`\varphi(\eta)` and the step that maximizes
:math:`\eta\varphi(\eta)` (book: chapter 8, ``lem-gd-one-step`` and ``prop-gd-adaptive``).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from .. import _numerics as _n

__all__ = [
    "DIVERGED_LOSS",
    "LARGE_LOSS",
    "BOUND_STEP_MAX_NEWTON",
    "XNorms",
    "x_norms",
    "check_full_column_rank",
    "root_two_loss",
    "descent_factor",
    "bound_step",
]

#: A run stops, marked diverged, once its loss exceeds this (or is not finite).
DIVERGED_LOSS = 1e100

#: Above this loss, s sqrt(2 loss) is evaluated as s sqrt(2) sqrt(loss) (2 loss may overflow).
LARGE_LOSS = 1e300

#: At most this many Newton steps for the root of :math:`\tfrac{d}{d\eta}(\eta\varphi) = 0`.
BOUND_STEP_MAX_NEWTON = 100


class XNorms(NamedTuple):
    r""":math:`s = \sigma_1(X)`, :math:`\sigma_x = \sigma_m(X)`, the singular values of X.

    For X = I (None): 1, 1 and None.
    """

    s: float
    sigma_x: float
    sv: np.ndarray | None


def x_norms(X: np.ndarray | None) -> XNorms:
    """The norms of the data ``X`` (m columns); ``sigma_x`` is 0 when X has fewer than m rows."""
    if X is None:
        return XNorms(1.0, 1.0, None)
    sv = np.linalg.svd(X, compute_uv=False)
    m = X.shape[1]
    smin = float(sv[m - 1]) if m <= sv.size else 0.0
    return XNorms(float(sv[0]), smin, sv)


def has_full_column_rank(X: np.ndarray | None, norms: XNorms) -> bool:
    r"""True for X = I, or for :math:`\sigma_m(X)` above numpy's rank threshold."""
    return X is None or norms.sigma_x > _n.rank_tolerance(norms.s, X.shape)


def check_full_column_rank(X: np.ndarray | None, norms: XNorms) -> None:
    """Raise ``ValueError`` naming ``X`` if the data do not have full column rank m."""
    if has_full_column_rank(X, norms):
        return
    rank = _n.numerical_rank(norms.sv, X.shape)
    raise ValueError(
        f"X has rank {rank} but m = {X.shape[1]} columns: the rate constants need X with full "
        f"column rank (sigma_m(X) > 0), got sigma_m(X) = {norms.sigma_x:.3g}"
    )


def root_two_loss(s: float, loss: float) -> float:
    r""":math:`s\sqrt{2\ell}`, without the overflow of :math:`2\ell` (0 * inf = nan for s = 0)."""
    if loss < LARGE_LOSS:
        return s * math.sqrt(2.0 * loss)
    return s * (math.sqrt(2.0) * math.sqrt(loss))


def descent_factor(eta: float, beta: float, loss: float, s: float) -> float:
    r"""The descent factor :math:`\varphi(\eta)` (``eq-gd-descent-factor``).

    :math:`1 - \tfrac{\eta}{2}(\beta + r) - \tfrac{\eta^2}{2}\beta r
    - \tfrac{\eta^3}{4}s^2\beta\ell` with :math:`r = s\sqrt{2\ell}`.
    """
    r = root_two_loss(s, loss)
    cubic = 0.25 * eta**3 * s * s * beta * loss
    return 1.0 - 0.5 * eta * (beta + r) - 0.5 * eta**2 * beta * r - cubic


def bound_step(beta: float, loss: float, s: float) -> float:
    r"""The maximizer over :math:`\eta > 0` of :math:`\eta\varphi(\eta)` (inf if beta + r = 0).

    It is the positive root of :math:`f(\eta) = 1 - 2a\eta - 3b\eta^2 - 4c\eta^3` with
    :math:`a = \tfrac12(\beta + r)`, :math:`b = \tfrac12\beta r`,
    :math:`c = \tfrac14 s^2\beta\ell` (book: chapter 8, ``prop-gd-adaptive``). f is concave
    and decreasing on :math:`\eta > 0`, with :math:`f(0) = 1` and :math:`f(1/(2a)) \le 0`:
    Newton's method from :math:`1/(2a)` decreases monotonically to the root (the tangent of
    a concave function lies above it), and stops when it no longer decreases.
    """
    r = root_two_loss(s, loss)
    a = 0.5 * (beta + r)
    b = 0.5 * beta * r
    c = 0.25 * s * s * beta * loss
    if a <= 0.0:
        return math.inf
    eta = 1.0 / (2.0 * a)
    for _ in range(BOUND_STEP_MAX_NEWTON):
        f = 1.0 - 2.0 * a * eta - 3.0 * b * eta**2 - 4.0 * c * eta**3
        df = -2.0 * a - 6.0 * b * eta - 12.0 * c * eta**2
        new = eta - f / df
        if not new < eta:  # converged (no further decrease in floating point)
            break
        eta = new
    return eta
