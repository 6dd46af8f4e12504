r"""The closed form of the scalar flow, from the product and the imbalance (private).

Shared by :mod:`overparam.scalar` (a start :math:`(u_0, v_0)`) and
:mod:`overparam.spectral` (each mode is known by :math:`(x_0, \lambda_0)`). The
formulas are derived in :func:`overparam.scalar.closed_form`. No input checks: the
callers pass finite floats and a validated array of times.
"""

from __future__ import annotations

import numpy as np

__all__ = ["rate", "x_of_t"]


def rate(y, lambda0):
    r"""The rate :math:`g = \sqrt{\lambda_0^2 + 4y^2}`, elementwise (may overflow to inf)."""
    return np.hypot(lambda0, 2.0 * y)


def x_of_t(y: float, x0: float, lambda0: float, t: np.ndarray) -> np.ndarray:
    """x(t) of the scalar flow from the product ``x0`` and the imbalance ``lambda0``.

    The flow is homogeneous: with ``c > 0``, ``(c y, c x0, c lambda0)`` at time ``t / c``
    gives ``c x(t)``. The formulas are evaluated at the scale ``c`` = a power of two that
    brings ``max(|y|, |x0|, |lambda0|)`` into [1/2, 1): exact (bit for bit the same
    result) wherever nothing over- or underflows, and it keeps the squares in the
    formulas (``lambda0**2``, ``p0 * a``) from overflowing above about 1e154 or
    underflowing below 1e-154.
    """
    s = max(abs(y), abs(x0), abs(lambda0))
    if s == 0.0:
        return np.zeros(t.shape)
    if y == 0.0 and lambda0 == 0.0:
        # x' = -2 |x| x: x0 / (1 + 2 |x0| t), in the original units (it decays
        # algebraically, over many orders of magnitude); when 2 |x0| t overflows the
        # 1 is negligible and x = sign(x0) / (2 t).
        with np.errstate(over="ignore", divide="ignore"):
            d = 1.0 + 2.0 * (abs(x0) * t)
            ok = np.isfinite(d)
            return np.where(ok, x0 / d, np.copysign(0.5, x0) / np.where(ok, 1.0, t))[()]
    c = np.ldexp(1.0, -int(np.frexp(s)[1]))
    with np.errstate(over="ignore"):
        t_c = t / c  # may overflow to inf at huge scales: exp(-g inf) = 0 is the limit
    return _unit_scale(c * y, c * x0, c * lambda0, t_c) / c


def _balanced(y: float, x0: float, t: np.ndarray) -> np.ndarray:
    """x(t) for lambda0 = 0 and x0 > 0: the logistic equation x' = 2 (y - x) x."""
    if y > 0.0:
        E = np.exp(-2.0 * y * t)
        if x0 <= y:
            return x0 * y / (x0 + (y - x0) * E)
        return x0 * y / (y - (x0 - y) * np.expm1(-2.0 * y * t))
    if y < 0.0:
        ay = -y
        E = np.exp(-2.0 * ay * t)
        return x0 * ay * E / (ay - x0 * np.expm1(-2.0 * ay * t))
    return x0 / (1.0 + 2.0 * x0 * t)  # y = 0: x' = -2 x^2


def _unit_scale(y: float, x0: float, lambda0: float, t: np.ndarray) -> np.ndarray:
    """:func:`x_of_t` for ``max(|y|, |x0|, |lambda0|)`` in [1/2, 1)."""
    if x0 < 0.0:
        # v -> -v maps (y, x) to (-y, -x) and keeps lambda0: solve with x0 > 0.
        return -_unit_scale(-y, -x0, lambda0, t)
    if x0 == y:
        return np.full(t.shape, y)
    lam2 = lambda0 * lambda0
    if lam2 == 0.0:
        # Balanced: x >= 0 solves the logistic equation and never changes sign
        # (book: chapter 3, the balanced case).
        if x0 == 0.0:
            return np.zeros(t.shape)  # u0 = v0 = 0, a stationary point
        return _balanced(y, x0, t)
    g = rate(y, lambda0)
    s0 = np.hypot(lambda0, 2.0 * x0)  # u0^2 + v0^2
    p0 = s0 + 2.0 * x0  # (u0 + v0)^2, no cancellation since x0 >= 0
    # a = 2y + g and nb = g - 2y, the roots a and -nb of p^2 - 4yp - lambda0^2, each
    # written without cancellation (a * nb = lambda0^2).
    if y >= 0.0:
        a = 2.0 * y + g
        nb = lam2 / a
    else:
        nb = g - 2.0 * y
        a = lam2 / nb
    e0 = x0 - y
    delta0 = 4.0 * p0 * e0 / (p0 + nb)  # = p0 - a, without cancellation
    E = np.exp(-g * t)
    F = -np.expm1(-g * t)  # 1 - E, accurate for small g t
    # D = p0 + nb - delta0 E and N = p0 (a + nb E) + lambda0^2 (1 - E), as sums of
    # non-negative terms.
    if delta0 > 0.0:
        D = 2.0 * g + delta0 * F
    else:
        D = (p0 + nb) - delta0 * E
    N = p0 * (a + nb * E) + lam2 * F
    return y + (2.0 * g * E / D) * (2.0 * g * p0 / N) * e0
