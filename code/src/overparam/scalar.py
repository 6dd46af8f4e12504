r"""The scalar warm-up: :math:`\ell(u, v) = \tfrac12 (y - uv)^2`.

Everything here is the :math:`m = n = k = 1` case of :mod:`overparam.flow`,
written out so that the chapters can look at each piece (book: chapter 1,
``ch-scalar``, and the notation page):

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
from numpy.typing import ArrayLike

from . import _validate as _v
from ._ode import ATOL, RTOL, integrate
from ._scalar_closed_form import rate, x_of_t

__all__ = [
    "ScalarTrajectory",
    "loss",
    "vector_field",
    "imbalance",
    "flow",
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


def _same_shape(
    u_name: str, u: ArrayLike, v_name: str, v: ArrayLike
) -> tuple[np.ndarray, np.ndarray]:
    u = _v.real_array(u_name, u)
    v = _v.real_array(v_name, v)
    if u.shape != v.shape:
        raise ValueError(
            f"{u_name} and {v_name} must have the same shape, got {u.shape} and {v.shape}"
        )
    return u, v


def _float_or_array(out: np.ndarray) -> float | np.ndarray:
    return float(out) if out.ndim == 0 else out


def loss(u: ArrayLike, v: ArrayLike, y: float) -> float | np.ndarray:
    r"""The loss :math:`\ell(u, v) = \tfrac12 (y - uv)^2`, elementwise (book: ``eq-scalar-loss``).

    Parameters
    ----------
    u, v : array_like, the same shape
    y : float
        The target.

    Returns
    -------
    float or ndarray
        A float for scalar ``u, v``, else an array of their shape.
    """
    u, v = _same_shape("u", u, "v", v)
    y = _v.real_scalar("y", y)
    return _float_or_array(0.5 * (y - u * v) ** 2)


def vector_field(
    u: ArrayLike, v: ArrayLike, y: float
) -> tuple[float, float] | tuple[np.ndarray, np.ndarray]:
    r"""The negative gradient :math:`(-\partial_u \ell, -\partial_v \ell) = ((y - uv)v, (y - uv)u)`.

    Book: chapter 1, ``eq-scalar-flow``.

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


def imbalance(u: ArrayLike, v: ArrayLike) -> float | np.ndarray:
    r"""The imbalance :math:`\lambda = u^2 - v^2`, conserved by the flow (book: chapter 2).

    Parameters
    ----------
    u, v : array_like, the same shape

    Returns
    -------
    float or ndarray
        A float for scalar ``u, v``, else an array of their shape.
    """
    u, v = _same_shape("u", u, "v", v)
    return _float_or_array(u * u - v * v)


def _integrate(fun, y0: list[float], t: np.ndarray, rtol: float, atol: float) -> np.ndarray:
    return integrate(fun, np.asarray(y0, float), t, rtol, atol).T


def flow(
    y: float, u0: float, v0: float, t: ArrayLike, *, rtol: float = RTOL, atol: float = ATOL
) -> ScalarTrajectory:
    r"""Solve :math:`\dot u = (y - uv)v,\ \dot v = (y - uv)u` from :math:`(u_0, v_0)` numerically.

    An adaptive ODE solve of the flow of chapter 1 (``eq-scalar-flow``).

    Parameters
    ----------
    y, u0, v0 : float
        Target and initial factors.
    t : array_like, shape (T,)
        Non-decreasing times ``>= 0``.
    rtol, atol : float
        Tolerances of the ODE solver.

    Returns
    -------
    ScalarTrajectory

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
            f"y = {y:.3g}, u0 = {u0:.3g}, v0 = {v0:.3g} are too large: "
            "the vector field (y - u0 v0)(v0, u0) overflows"
        )

    def fun(z):
        r = y - z[0] * z[1]
        return np.array([r * z[1], r * z[0]])

    u, v = _integrate(fun, [u0, v0], t, rtol, atol)
    x = u * v
    return ScalarTrajectory(t=t, u=u, v=v, x=x, loss=0.5 * (y - x) ** 2)


def _induced_rhs(x, y: float, lam2: float):
    """The right-hand side (y - x) sqrt(lambda0^2 + 4 x^2) of the induced flow; lam2 = lambda0^2."""
    return (y - x) * np.sqrt(lam2 + 4.0 * x * x)


def induced_flow(
    y: float, x0: float, lambda0: float, t: ArrayLike, *, rtol: float = RTOL, atol: float = ATOL
) -> np.ndarray:
    r"""Solve the induced flow :math:`\dot x = (y - x)\sqrt{\lambda_0^2 + 4x^2}` numerically.

    The product :math:`x = uv` of the scalar flow follows this ODE, because
    :math:`u^2 + v^2 = \sqrt{(u^2 - v^2)^2 + 4(uv)^2}` (book: chapter 3,
    ``prop-induced-flow``). An adaptive ODE solve from ``x0``.

    Parameters
    ----------
    y, x0, lambda0 : float
        Target, initial product :math:`x_0 = u_0 v_0` and imbalance :math:`u_0^2 - v_0^2`.
    t : array_like, shape (T,)
        Non-decreasing times ``>= 0``.
    rtol, atol : float
        Tolerances of the ODE solver.

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
        finite = np.isfinite(_induced_rhs(x0, y, lam2))
    if not finite:
        raise ValueError(
            f"y = {y:.3g}, x0 = {x0:.3g}, lambda0 = {lambda0:.3g} are too large: "
            "the right-hand side (y - x0) sqrt(lambda0^2 + 4 x0^2) overflows"
        )
    (x,) = _integrate(lambda z: _induced_rhs(z, y, lam2), [x0], t, rtol, atol)
    return x


def plain_flow(y: float, x0: float, t: ArrayLike) -> np.ndarray:
    r"""The flow of the plain model :math:`\ell(x) = \tfrac12 (y - x)^2`, in closed form.

    :math:`x(t) = y + (x_0 - y)e^{-t}` solves :math:`\dot x = y - x` (book: chapter 1, the
    comparison with the model that is not overparameterized).

    Parameters
    ----------
    y, x0 : float
    t : array_like, shape (T,)
        Non-decreasing times ``>= 0``.

    Returns
    -------
    ndarray, shape (T,)
    """
    y = _v.real_scalar("y", y)
    x0 = _v.real_scalar("x0", x0)
    t = _v.times("t", t)
    return y + (x0 - y) * np.exp(-t)


def _start(u0: float, v0: float) -> tuple[float, float]:
    """``(x0, lambda0) = (u0 v0, u0^2 - v0^2)``, or raise naming u0, v0 if either overflows."""
    x0, lambda0 = u0 * v0, (u0 - v0) * (u0 + v0)
    if not (np.isfinite(x0) and np.isfinite(lambda0)):
        raise ValueError(
            f"u0 = {u0:.3g}, v0 = {v0:.3g} are too large: "
            "x0 = u0 v0 or lambda0 = u0^2 - v0^2 overflows"
        )
    return x0, lambda0


def closed_form(y: float, u0: float, v0: float, t: ArrayLike) -> np.ndarray:
    r"""The exact solution :math:`x(t) = u(t) v(t)` of the scalar flow, in closed form.

    Solves :math:`\dot u = (y - uv) v`, :math:`\dot v = (y - uv) u` from
    :math:`(u_0, v_0)` for every real :math:`y, u_0, v_0` (book: chapter 3,
    ``thm-scalar-closed-form``). With :math:`x_0 = u_0 v_0`,
    :math:`\lambda_0 = u_0^2 - v_0^2` and :math:`g = \sqrt{\lambda_0^2 + 4y^2}`:

    .. math::

        x(t) = y + \frac{4 g^2 p_0 (x_0 - y)\, e^{-g t}}{D(t)\, N(t)}, \qquad
        \begin{aligned}
        D(t) &= p_0 + b - (p_0 - a) e^{-g t}, \\
        N(t) &= p_0 (a + b e^{-g t}) + \lambda_0^2 (1 - e^{-g t}),
        \end{aligned}

    where :math:`a = p_+ = 2y + g`, :math:`b = -p_- = g - 2y` and
    :math:`p_0 = (u_0 + v_0)^2`, for :math:`x_0 \ge 0` (for :math:`x_0 < 0` flip the
    signs of :math:`v_0`, :math:`y` and :math:`x`, a symmetry of the flow).
    It comes from :math:`p = (u + v)^2`, which solves the Riccati equation
    :math:`\dot p = -\tfrac12 (p - p_+)(p - p_-)` (``eq-p-riccati``), and
    :math:`x - y = (p - p_+)(p - p_-) / (4p)` (``eq-x-from-p``). Multiplied out
    (``eq-scalar-closed-form``),

    .. math::

        x(t) = \frac{y e^{2gt} - 2c\lambda_0^2 e^{gt} - 4y\lambda_0^2 c^2}
                    {e^{2gt} + 8yc\,e^{gt} - 4\lambda_0^2 c^2},
        \qquad
        c = \frac{y - x_0}
                 {\lambda_0^2 + 4x_0 y + \sqrt{(\lambda_0^2 + 4x_0^2)(\lambda_0^2 + 4y^2)}},

    which is the form above written in :math:`e^{-gt}` (it is
    :math:`x - y = -2cg^2e^{-gt} / ((1 + 2ace^{-gt})(1 - 2bce^{-gt}))` with
    :math:`c = 2p_0(y - x_0) / (a (p_0 + b)^2)`). This :math:`c` has a zero denominator
    exactly when :math:`\lambda_0 = 0` and :math:`x_0 y \le 0`; those and the other
    balanced cases (:math:`\lambda_0 = 0`) use the logistic solutions of
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
    y, u0, v0 : float
        Target and initial factors.
    t : array_like, any shape
        Times ``>= 0`` (a scalar, a 1-D grid, or any array; no order needed).

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
    y = _v.real_scalar("y", y)
    u0 = _v.real_scalar("u0", u0)
    v0 = _v.real_scalar("v0", v0)
    t = _v.nonnegative_array("t", t)
    x0, lambda0 = _start(u0, v0)
    return x_of_t(y, x0, lambda0, t)


def convergence_rate(y: float, u0: float, v0: float) -> float:
    r"""The rate :math:`g = \sqrt{\lambda_0^2 + 4y^2}` of the scalar flow.

    Here :math:`\lambda_0 = u_0^2 - v_0^2` is the conserved imbalance.

    When the flow converges to :math:`y`, :math:`\lvert x(t) - y \rvert \sim C e^{-g t}`
    and the loss decays like :math:`e^{-2gt}` (book: chapter 3; the constant is
    :math:`C = 2\lvert c \rvert g^2` with the :math:`c` of :func:`closed_form`).
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
    g = float(rate(y, lambda0))
    if not np.isfinite(g):
        raise ValueError(f"y = {y:.3g} is too large: the rate sqrt(lambda0^2 + 4 y^2) overflows")
    return g
