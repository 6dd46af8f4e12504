r"""The scalar warm-up: :math:`\ell(u, v) = \tfrac12 (y - uv)^2`.

Everything here is the :math:`m = n = k = 1` case of :mod:`overparam.flow`,
written out so that the chapters can look at each piece (book: chapter 1,
"The scalar warm-up", and the notation page):

* the loss and its negative gradient, the vector field of the flow
  :math:`\dot u = (y - uv) v`, :math:`\dot v = (y - uv) u`;
* the conserved imbalance :math:`\lambda_0 = u^2 - v^2`;
* the induced flow on the product :math:`x = uv`,
  :math:`\dot x = (y - x)\sqrt{\lambda_0^2 + 4x^2}`;
* the plain (not overparameterized) model :math:`\dot x = y - x`, solved by
  :math:`x(t) = y + (x_0 - y) e^{-t}`;
* the closed-form solution :math:`x(t)` of the overparameterized flow and its rate
  :math:`g = \sqrt{\lambda_0^2 + 4y^2}` (book: chapter 3).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from . import _validate as _v
from ._ode import integrate

__all__ = [
    "ScalarTrajectory",
    "loss",
    "vector_field",
    "imbalance",
    "flow",
    "induced_rhs",
    "induced_flow",
    "plain_flow",
    "closed_form",
    "convergence_rate",
]


@dataclass(frozen=True)
class ScalarTrajectory:
    """A solution of the scalar flow at the requested times.

    Attributes
    ----------
    t, u, v, x, loss : ndarray, shape (T,)
        Times, the two factors, their product ``x = u v`` and the loss
        ``(y - x)^2 / 2``.
    """

    t: np.ndarray
    u: np.ndarray
    v: np.ndarray
    x: np.ndarray
    loss: np.ndarray


def _same_shape(u_name, u, v_name, v):
    u = _v.real_array(u_name, u)
    v = _v.real_array(v_name, v)
    if u.shape != v.shape:
        raise ValueError(f"{u_name} and {v_name} must have the same shape, got {u.shape} and {v.shape}")
    return u, v


def loss(u, v, y):
    r"""The loss :math:`\ell(u, v) = \tfrac12 (y - uv)^2`, elementwise.

    Parameters
    ----------
    u, v : array_like, the same shape
    y : float
        The target.
    """
    u, v = _same_shape("u", u, "v", v)
    y = _v.real_scalar("y", y)
    out = 0.5 * (y - u * v) ** 2
    return float(out) if out.ndim == 0 else out


def vector_field(u, v, y):
    r"""The negative gradient :math:`(-\partial_u \ell, -\partial_v \ell) = ((y - uv)v, (y - uv)u)`.

    Parameters
    ----------
    u, v : array_like, the same shape
    y : float

    Returns
    -------
    (du, dv) : arrays (or floats) of the shape of ``u``
    """
    u, v = _same_shape("u", u, "v", v)
    y = _v.real_scalar("y", y)
    r = y - u * v
    du, dv = r * v, r * u
    if du.ndim == 0:
        return float(du), float(dv)
    return du, dv


def imbalance(u, v):
    r"""The imbalance :math:`\lambda = u^2 - v^2`, conserved by the flow (book: chapter 2)."""
    u, v = _same_shape("u", u, "v", v)
    out = u * u - v * v
    return float(out) if out.ndim == 0 else out


def _integrate(fun, y0, t, rtol, atol):
    return integrate(fun, np.asarray(y0, float), t, rtol, atol).T


def flow(y, u0, v0, t, *, rtol: float = 1e-10, atol: float = 1e-12) -> ScalarTrajectory:
    r"""Solve :math:`\dot u = (y - uv)v,\ \dot v = (y - uv)u` from :math:`(u_0, v_0)` numerically.

    Parameters
    ----------
    y, u0, v0 : float
        Target and initial factors.
    t : array_like, shape (T,)
        Non-decreasing times ``>= 0``.
    rtol, atol : float
        Tolerances of the DOP853 solver.

    Raises
    ------
    ValueError
        If an argument is malformed, or the vector field at the start overflows (naming
        y, u0, v0).
    """
    y = _v.real_scalar("y", y)
    u0 = _v.real_scalar("u0", u0)
    v0 = _v.real_scalar("v0", v0)
    t = _v.times("t", t)
    rtol = _v.positive_scalar("rtol", rtol)
    atol = _v.positive_scalar("atol", atol)

    with np.errstate(over="ignore", invalid="ignore"):
        r0 = y - u0 * v0
        finite = np.isfinite(r0 * u0) and np.isfinite(r0 * v0)
    if not finite:
        raise ValueError(
            f"y = {y:.3g}, u0 = {u0:.3g}, v0 = {v0:.3g} are too large: the vector field (y - u0 v0)(v0, u0) overflows"
        )

    def fun(z):
        r = y - z[0] * z[1]
        return np.array([r * z[1], r * z[0]])

    u, v = _integrate(fun, [u0, v0], t, rtol, atol)
    x = u * v
    return ScalarTrajectory(t=t, u=u, v=v, x=x, loss=0.5 * (y - x) ** 2)


def induced_rhs(x, y, lambda0):
    r"""Right-hand side of the induced flow, :math:`\dot x = (y - x)\sqrt{\lambda_0^2 + 4x^2}`.

    It follows from :math:`u^2 + v^2 = \sqrt{(u^2 - v^2)^2 + 4(uv)^2}` (book: chapter 3).
    """
    x = _v.real_array("x", x)
    y = _v.real_scalar("y", y)
    lambda0 = _v.real_scalar("lambda0", lambda0)
    out = (y - x) * np.sqrt(lambda0**2 + 4.0 * x**2)
    return float(out) if out.ndim == 0 else out


def induced_flow(y, x0, lambda0, t, *, rtol: float = 1e-10, atol: float = 1e-12) -> np.ndarray:
    r"""Solve the induced flow :math:`\dot x = (y - x)\sqrt{\lambda_0^2 + 4x^2}` from ``x0`` numerically.

    Parameters
    ----------
    y, x0, lambda0 : float
        Target, initial product :math:`x_0 = u_0 v_0` and imbalance :math:`u_0^2 - v_0^2`.
    t : array_like, shape (T,)
        Non-decreasing times ``>= 0``.

    Returns
    -------
    ndarray, shape (T,)

    Raises
    ------
    ValueError
        If an argument is malformed, or the right-hand side at ``x0`` overflows (naming
        y, x0, lambda0).
    """
    y = _v.real_scalar("y", y)
    x0 = _v.real_scalar("x0", x0)
    lambda0 = _v.real_scalar("lambda0", lambda0)
    t = _v.times("t", t)
    rtol = _v.positive_scalar("rtol", rtol)
    atol = _v.positive_scalar("atol", atol)
    lam2 = lambda0 * lambda0  # (a float product overflows to inf, where ** raises)
    with np.errstate(over="ignore", invalid="ignore"):
        finite = np.isfinite((y - x0) * np.sqrt(lam2 + 4.0 * x0 * x0))
    if not finite:
        raise ValueError(
            f"y = {y:.3g}, x0 = {x0:.3g}, lambda0 = {lambda0:.3g} are too large: "
            "the right-hand side (y - x0) sqrt(lambda0^2 + 4 x0^2) overflows"
        )
    (x,) = _integrate(lambda z: (y - z) * np.sqrt(lam2 + 4.0 * z * z), [x0], t, rtol, atol)
    return x


def plain_flow(y, x0, t) -> np.ndarray:
    r"""The flow of the plain model :math:`\ell(x) = \tfrac12 (y - x)^2`: :math:`x(t) = y + (x_0 - y)e^{-t}`.

    Parameters
    ----------
    y, x0 : float
    t : array_like, shape (T,)
        Non-decreasing times ``>= 0``.
    """
    y = _v.real_scalar("y", y)
    x0 = _v.real_scalar("x0", x0)
    t = _v.times("t", t)
    return y + (x0 - y) * np.exp(-t)


def _closed_form_x(t: np.ndarray, y: float, x0: float, lambda0: float) -> np.ndarray:
    """x(t) of the scalar flow from the product ``x0`` and the imbalance ``lambda0``.

    Internal: the arguments are trusted (finite floats, ``t`` a validated array).
    Shared with :mod:`overparam.spectral`, which knows each mode by
    :math:`(x_0, \\lambda_0)`. The formulas are derived in :func:`closed_form`.

    The flow is homogeneous: with ``c > 0``, ``(c y, c x0, c lambda0)`` at time ``t / c``
    gives ``c x(t)``. The formulas are evaluated at the scale ``c`` = a power of two that
    brings ``max(|y|, |x0|, |lambda0|)`` into [1/2, 1): exact (bit for bit the same
    result) wherever nothing over- or underflows, and it keeps the squares in the
    formulas (``lambda0**2``, ``P0 * a``) from overflowing above about 1e154 or
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
    return _closed_form_unit(t_c, c * y, c * x0, c * lambda0) / c


def _closed_form_unit(t: np.ndarray, y: float, x0: float, lambda0: float) -> np.ndarray:
    """:func:`_closed_form_x` for ``max(|y|, |x0|, |lambda0|)`` in [1/2, 1)."""
    if x0 < 0.0:
        # v -> -v maps (y, x) to (-y, -x) and keeps lambda0: solve with x0 > 0.
        return -_closed_form_unit(t, -y, -x0, lambda0)
    if x0 == y:
        return np.full(t.shape, y)
    lam2 = lambda0 * lambda0
    if lam2 == 0.0:
        # Balanced: x >= 0 solves the logistic equation x' = 2 (y - x) x and never
        # changes sign (book: chapter 3, the balanced case).
        if x0 == 0.0:
            return np.zeros(t.shape)  # u0 = v0 = 0, a stationary point
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
    g = np.hypot(lambda0, 2.0 * y)
    s0 = np.hypot(lambda0, 2.0 * x0)  # u0^2 + v0^2
    P0 = s0 + 2.0 * x0  # (u0 + v0)^2, no cancellation since x0 >= 0
    # a = 2y + g and nb = g - 2y, the roots a and -nb of P^2 - 4yP - lambda0^2, each
    # written without cancellation (a * nb = lambda0^2).
    if y >= 0.0:
        a = 2.0 * y + g
        nb = lam2 / a
    else:
        nb = g - 2.0 * y
        a = lam2 / nb
    e0 = x0 - y
    delta0 = 4.0 * P0 * e0 / (P0 + nb)  # = P0 - a, without cancellation
    E = np.exp(-g * t)
    F = -np.expm1(-g * t)  # 1 - E, accurate for small g t
    # D = P0 + nb - delta0 E and N = P0 (a + nb E) + lambda0^2 (1 - E), as sums of
    # non-negative terms.
    if delta0 > 0.0:
        D = 2.0 * g + delta0 * F
    else:
        D = (P0 + nb) - delta0 * E
    N = P0 * (a + nb * E) + lam2 * F
    return y + (2.0 * g * E / D) * (2.0 * g * P0 / N) * e0


def _start(u0: float, v0: float) -> tuple[float, float]:
    """``(x0, lambda0) = (u0 v0, u0^2 - v0^2)``, or raise naming u0, v0 if either overflows."""
    x0, lambda0 = u0 * v0, (u0 - v0) * (u0 + v0)
    if not (np.isfinite(x0) and np.isfinite(lambda0)):
        raise ValueError(
            f"u0 = {u0:.3g}, v0 = {v0:.3g} are too large: x0 = u0 v0 or lambda0 = u0^2 - v0^2 overflows"
        )
    return x0, lambda0


def closed_form(t, y, u0, v0) -> np.ndarray:
    r"""The exact solution :math:`x(t) = u(t) v(t)` of the scalar flow, in closed form.

    Solves :math:`\dot u = (y - uv) v`, :math:`\dot v = (y - uv) u` from
    :math:`(u_0, v_0)` for every real :math:`y, u_0, v_0` (book: chapter 3, the
    closed form of the scalar flow). With :math:`x_0 = u_0 v_0`,
    :math:`\lambda_0 = u_0^2 - v_0^2` and :math:`g = \sqrt{\lambda_0^2 + 4y^2}`:

    .. math::

        x(t) = y + \frac{4 g^2 P_0 (x_0 - y)\, e^{-g t}}{D(t)\, N(t)}, \qquad
        \begin{aligned}
        D(t) &= P_0 + b - (P_0 - a) e^{-g t}, \\
        N(t) &= P_0 (a + b e^{-g t}) + \lambda_0^2 (1 - e^{-g t}),
        \end{aligned}

    where :math:`a = g + 2y`, :math:`b = g - 2y` and :math:`P_0 = (u_0 + v_0)^2`,
    for :math:`x_0 \ge 0` (for :math:`x_0 < 0` flip the signs of :math:`v_0`,
    :math:`y` and :math:`x`, a symmetry of the flow).
    It comes from :math:`P = (u + v)^2`, which solves the Riccati equation
    :math:`\dot P = -\tfrac12 (P - a)(P + b)`, and :math:`x - y = (P - a)(P + b) / (4P)`.
    This is the talk's formula

    .. math::

        x(t) = \frac{y e^{2gt} - 2c\lambda_0^2 e^{gt} - 4y\lambda_0^2 c^2}
                    {e^{2gt} + 8yc\,e^{gt} - 4\lambda_0^2 c^2},
        \qquad
        c = \frac{y - x_0}{\lambda_0^2 + 4x_0 y + \sqrt{(\lambda_0^2 + 4x_0^2)(\lambda_0^2 + 4y^2)}},

    rewritten in :math:`e^{-gt}` (it is :math:`x - y = -2cg^2e^{-gt} / ((1 + 2ace^{-gt})(1 - 2bce^{-gt}))`
    with :math:`c = 2P_0(y - x_0) / (a (P_0 + b)^2)`). The talk's :math:`c` has a zero
    denominator exactly when :math:`\lambda_0 = 0` and :math:`x_0 y \le 0`; those and the
    other balanced cases (:math:`\lambda_0 = 0`) use the logistic solutions of
    :math:`\dot x = 2(y - x)\lvert x \rvert`:

    * :math:`x_0 y > 0`: :math:`x(t) = x_0 y / (x_0 + (y - x_0) e^{-2\lvert y \rvert t})`
      (Saxe et al.), which tends to :math:`y`;
    * :math:`x_0 y < 0`: :math:`x(t) = x_0 \lvert y \rvert e^{-2\lvert y \rvert t} /
      (\lvert y \rvert + \lvert x_0 \rvert (1 - e^{-2\lvert y \rvert t}))`, which tends to 0
      and never reaches :math:`y`;
    * :math:`y = 0`: :math:`x(t) = x_0 / (1 + 2 \lvert x_0 \rvert t)`, algebraic decay;
    * :math:`x_0 = 0` (then :math:`u_0 = v_0 = 0`): :math:`x \equiv 0`, a saddle point.

    Also :math:`x_0 = y` gives :math:`x \equiv y`.

    Numerics: every factor above is evaluated as a sum of non-negative terms, with
    ``exp(-g t)`` and ``expm1``, so nothing overflows for any ``t`` and nothing cancels.
    The absolute error is a few units of round-off times :math:`\max(\lvert y \rvert,
    \lvert x_0 \rvert)` (plus the rounding of :math:`x_0 = u_0 v_0` itself), for all
    ``t``; near :math:`y` the gap :math:`x(t) - y` is even accurate relatively.
    The formulas are evaluated after an exact rescaling by a power of two (the flow is
    homogeneous: :math:`(cy, cx_0, c\lambda_0)` at time :math:`t/c` gives :math:`c\,x(t)`),
    so the squares inside them neither overflow nor underflow at any scale.
    Exception: a :math:`\lambda_0 \ne 0` whose square underflows (below about
    :math:`10^{-154}` times the scale :math:`\max(\lvert y\rvert, \lvert x_0\rvert,
    \lvert\lambda_0\rvert)`) is treated as balanced.

    Parameters
    ----------
    t : array_like, any shape
        Times ``>= 0`` (a scalar, a 1-D grid, or any array; no order needed).
    y, u0, v0 : float
        Target and initial factors.

    Returns
    -------
    ndarray, the shape of ``t``
        :math:`x(t)` at the requested times.

    Raises
    ------
    ValueError
        If an argument is not finite, ``t`` has a negative entry, or :math:`u_0 v_0` or
        :math:`u_0^2 - v_0^2` overflows (naming u0, v0).

    See Also
    --------
    convergence_rate : the rate :math:`g` of :math:`\lvert x(t) - y \rvert`.
    flow : the same trajectory from a numerical ODE solve.
    """
    t = _v.nonnegative_array("t", t)
    y = _v.real_scalar("y", y)
    u0 = _v.real_scalar("u0", u0)
    v0 = _v.real_scalar("v0", v0)
    x0, lambda0 = _start(u0, v0)
    return _closed_form_x(t, y, x0, lambda0)


def convergence_rate(y, u0, v0) -> float:
    r"""The rate :math:`g = \sqrt{\lambda_0^2 + 4y^2}` of the scalar flow, :math:`\lambda_0 = u_0^2 - v_0^2`.

    When the flow converges to :math:`y`, :math:`\lvert x(t) - y \rvert \sim C e^{-g t}`
    and the loss decays like :math:`e^{-2gt}` (book: chapter 3; the constant is
    :math:`C = 2\lvert c \rvert g^2` with the talk's :math:`c`, see :func:`closed_form`).
    The flow converges to :math:`y` unless it is balanced (:math:`\lambda_0 = 0`) with
    :math:`x_0 y \le 0`: then :math:`x(t) \to 0` instead (at the same rate
    :math:`g = 2\lvert y \rvert` when :math:`x_0 \ne 0`), and for :math:`y = \lambda_0 = 0`
    the rate is :math:`g = 0` and the decay :math:`x_0 / (1 + 2\lvert x_0\rvert t)` is
    algebraic.

    Parameters
    ----------
    y, u0, v0 : float
        Target and initial factors.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        If an argument is not finite, or :math:`u_0^2 - v_0^2` or :math:`g` overflows
        (naming u0, v0 or y).
    """
    y = _v.real_scalar("y", y)
    u0 = _v.real_scalar("u0", u0)
    v0 = _v.real_scalar("v0", v0)
    _, lambda0 = _start(u0, v0)
    g = float(np.hypot(lambda0, 2.0 * y))
    if not np.isfinite(g):
        raise ValueError(f"y = {y:.3g} is too large: the rate sqrt(lambda0^2 + 4 y^2) overflows")
    return g
