r"""Scalar deep networks: the layer flow, the induced flow of the product, the hitting time.

For scalars :math:`w_1, \dots, w_L` with product :math:`x` and conserved differences
:math:`d_l = w_{l+1}^2 - w_l^2`, the product obeys the induced flow
:math:`\dot x = (y - x)\, \rho_d(x)` with the *rate factor*
(book: chapter 7, ``prop-deep-induced``, ``eq-deep-induced``)

.. math::

    \rho_d(x) = \sum_{l=1}^L \prod_{j \ne l} w_j^2 = p'(\delta), \qquad
    p(\delta) = \prod_{l=1}^L (\delta + e_l) = x^2,

where :math:`c_l = d_1 + \dots + d_{l-1}` (:math:`c_1 = 0`), :math:`e_l = c_l - \min_j c_j`
are the offsets, and :math:`\delta \ge 0`, the square of a thinnest layer, is the unique
root; :math:`w_l^2 = \delta + e_l`. Balanced (:math:`d = 0`):
:math:`\rho_0(x) = L \lvert x \rvert^{2 - 2/L}`, and
:math:`\rho_d(x) \ge L \lvert x \rvert^{2 - 2/L}` for every :math:`d` (AM-GM).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy.integrate import quad

from .. import _validate as _v
from .._ode import ATOL, RTOL, integrate
from . import _common as _c

__all__ = [
    "ScalarDeepTrajectory",
    "scalar_flow",
    "layer_squares",
    "rate_factor",
    "induced_flow",
    "hitting_time",
]

#: Largest log|x| whose exp is taken in the log-space induced flow: exp overflows a float
#: just above 709.78, so a trial stage of the solver beyond this gets x = inf (step rejected).
LOG_X_MAX = 709.0

#: The small product x_s = X_SMALL_FRACTION * y at which a path through x = 0 changes from
#: the linear stretch to a solve in x itself (rho_d(x_s) = rho_d(0) to RHO_FLAT_RTOL).
X_SMALL_FRACTION = 1e-30

#: x_s is small enough when rho_d(x_s) <= rho_d(0) (1 + RHO_FLAT_RTOL): the linear stretch
#: from 0 to x_s is then exact to this relative accuracy.
RHO_FLAT_RTOL = 1e-12

#: Factor by which x_s shrinks while rho_d(x_s) is not yet flat.
X_SMALL_SHRINK = 1e-10

#: Smallest x_s / y tried (rho_d may be flat only at x = 0 to double precision).
X_SMALL_MIN_FRACTION = 1e-200

#: Relative accuracy asked of the quadrature of the hitting time.
QUAD_RTOL = 1e-11

#: Most subintervals of the adaptive quadrature of the hitting time.
QUAD_LIMIT = 500


@dataclass(frozen=True)
class ScalarDeepTrajectory:
    r"""A solution of the scalar deep flow at the requested times.

    Attributes
    ----------
    t : ndarray, shape (T,)
        The times, as requested.
    w : ndarray, shape (T, L)
        The layers :math:`w_1(t), \dots, w_L(t)`.
    x : ndarray, shape (T,)
        The product :math:`x = w_1 \cdots w_L`.
    loss : ndarray, shape (T,)
        :math:`(y - x)^2 / 2`.
    """

    t: np.ndarray
    w: np.ndarray
    x: np.ndarray
    loss: np.ndarray


def scalar_flow(
    y: float, w0: ArrayLike, t: ArrayLike, *, rtol: float = RTOL, atol: float = ATOL
) -> ScalarDeepTrajectory:
    r"""The scalar deep flow :math:`\dot w_l = (y - x) \prod_{j \ne l} w_j`, x = w_1 ... w_L.

    Book: chapter 7, the scalar networks of ``prop-deep-induced``; integrated by an
    adaptive ODE solve in the layers.

    Parameters
    ----------
    y : float
        The target.
    w0 : array_like, shape (L,)
        Initial layers :math:`w_1(0), \dots, w_L(0)`.
    t : array_like, shape (T,)
        Non-decreasing times ``>= 0``.
    rtol, atol : float
        Tolerances of the solver.

    Returns
    -------
    ScalarDeepTrajectory
        ``t``, ``w`` (T, L), ``x`` (T,), ``loss`` (T,).

    Raises
    ------
    ValueError
        If ``w0`` is not a non-empty vector, a value is not finite, the times are negative
        or decreasing, or a tolerance is not positive.
    """
    y = _v.real_scalar("y", y)
    w0 = _v.real_array("w0", w0)
    if w0.ndim != 1 or w0.size == 0:
        raise ValueError(f"w0 must be a non-empty 1-D array of the L layers, got shape {w0.shape}")
    t = _v.times("t", t)
    rtol = _v.positive_scalar("rtol", rtol)
    atol = _v.positive_scalar("atol", atol)

    def fun(w: np.ndarray) -> np.ndarray:
        before = np.concatenate([[1.0], np.cumprod(w[:-1])])
        after = np.concatenate([np.cumprod(w[::-1][:-1])[::-1], [1.0]])
        others = before * after
        return (y - w[0] * others[0]) * others

    w = integrate(fun, w0, t, rtol, atol)
    x = np.prod(w, axis=1)
    return ScalarDeepTrajectory(t=t, w=w, x=x, loss=0.5 * (y - x) ** 2)


def layer_squares(x: float, d: ArrayLike) -> np.ndarray:
    r"""The squared layers :math:`w_1^2, \dots, w_L^2` of a scalar network: product x, imbalances d.

    They are the unique non-negative numbers with :math:`w_{l+1}^2 - w_l^2 = d_l` and
    :math:`\prod_l w_l^2 = x^2`: :math:`w_l^2 = \delta + e_l` with :math:`p(\delta) = x^2`
    (book: chapter 7, ``prop-deep-induced``).

    Parameters
    ----------
    x : float
        The product (only :math:`\lvert x \rvert` matters).
    d : array_like, shape (L - 1,)
        The conserved differences :math:`d_l = w_{l+1}^2 - w_l^2`; empty for L = 1.

    Returns
    -------
    ndarray, shape (L,)

    Raises
    ------
    ValueError
        If ``x`` is not a finite scalar or ``d`` not a finite vector.
    """
    x = _v.real_scalar("x", x)
    d = _c.check_offsets("d", d)
    return np.array(_c.squares(x, _c.offsets(d)))


def rate_factor(x: ArrayLike, d: ArrayLike) -> float | np.ndarray:
    r"""The rate factor :math:`\rho_d(x) = \sum_l \prod_{j \ne l} w_j^2` of the induced flow.

    The induced flow is :math:`\dot x = (y - x)\rho_d(x)` (book: chapter 7,
    ``eq-deep-induced``); the :math:`w_l^2` are those of
    :func:`layer_squares`. Special cases: :math:`L = 1`: :math:`\rho = 1` (the plain model);
    :math:`L = 2`: :math:`\rho = \sqrt{d_1^2 + 4x^2}` (the scalar induced flow of chapter 3,
    with :math:`d_1 = \lambda_0`); balanced (:math:`d = 0`):
    :math:`\rho_0(x) = L\lvert x\rvert^{2 - 2/L}`. Always
    :math:`\rho_d(x) \ge L\lvert x\rvert^{2-2/L}` (AM-GM), and :math:`\rho_d` increases
    with :math:`\lvert x \rvert`. At :math:`x = 0`, :math:`\rho_d(0) > 0` exactly when a
    single layer is thinnest, r = 1 (``prop-deep-thinnest``).

    Parameters
    ----------
    x : array_like
        Products (any shape).
    d : array_like, shape (L - 1,)
        The conserved differences :math:`d_l`.

    Returns
    -------
    float or ndarray of the shape of ``x``

    Raises
    ------
    ValueError
        If an entry of ``x`` or ``d`` is not finite, or ``d`` is not a vector.
    """
    x = _v.real_array("x", x)
    d = _c.check_offsets("d", d)
    e = _c.offsets(d)
    out = np.array([_c.rho(float(v), e) for v in x.ravel()]).reshape(x.shape)
    return float(out) if out.ndim == 0 else out


def _hitting_time(y: float, x0: float, x1: float, e: np.ndarray) -> float:
    """The time of the induced flow from x0 to x1 (offsets e); the path is one the flow takes."""
    if x1 == x0:
        return 0.0
    opts = {"epsabs": 0.0, "epsrel": QUAD_RTOL, "limit": QUAD_LIMIT}

    def in_log(base: float, lo: float, hi: float) -> float:
        """The time integral over x = base * exp(u), u from lo to hi (dx = x du)."""

        def integrand(u: float) -> float:
            x = base * math.exp(u)
            return x / ((y - x) * _c.rho(x, e))

        return float(quad(integrand, lo, hi, **opts)[0])

    if x0 * x1 > 0.0:
        # over u = log(x / x0) from 0 to log(x1 / x0): for x1 within a few eps of x0,
        # log|x1| - log|x0| rounds to 0; near 1 log1p of the exactly computed difference
        # does not, far from 1 the log of the ratio is as good
        r = x1 / x0
        return in_log(x0, 0.0, math.log1p((x1 - x0) / x0) if abs(r - 1.0) < 0.5 else math.log(r))
    # the path crosses (or starts at) x = 0, with rho_d(0) > 0: the time from 0 to b is the
    # integral over u = log|x| from -inf to log|b|, where the mass of the integrand lies
    # (packed near 0 when rho_d(0) is small)
    total = 0.0
    for b, sign in ((x0, -1.0), (x1, 1.0)):
        if b != 0.0:
            total += sign * in_log(math.copysign(1.0, b), -math.inf, math.log(abs(b)))
    return total


def induced_flow(
    y: float, x0: float, d: ArrayLike, t: ArrayLike, *, rtol: float = RTOL, atol: float = ATOL
) -> np.ndarray:
    r"""Solve the induced flow :math:`\dot x = (y - x)\rho_d(x)` of a scalar depth-L network.

    Book: chapter 7, ``eq-deep-induced``. With balanced layers (:math:`d = 0`) it is
    :math:`\dot x = L (y - x)\lvert x\rvert^{2 - 2/L}`.

    When x keeps its sign (``x0`` and ``y`` of the same sign, or :math:`\rho_d(0) = 0`)
    the flow is integrated in :math:`\log\lvert x\rvert`, so that the tolerances bound the
    relative error of x. When x passes through 0 (:math:`\rho_d(0) > 0`), the time
    :math:`T_0` it gets there is :func:`hitting_time` (which may be very long when
    :math:`\rho_d(0)` is tiny); the stretch before it is integrated in
    :math:`\log\lvert x\rvert`, the flow then moves linearly (exact to first order) to a
    tiny :math:`x_s` of the sign of y, and from there it is integrated in x itself, with
    ``atol`` below :math:`x_s`.

    Parameters
    ----------
    y, x0 : float
        Target and initial product :math:`x_0 = w_1(0) \cdots w_L(0)`.
    d : array_like, shape (L - 1,)
        Conserved differences :math:`d_l = w_{l+1}(0)^2 - w_l(0)^2`.
    t : array_like, shape (T,)
        Non-decreasing times ``>= 0``.
    rtol, atol : float
        Tolerances of the solver.

    Returns
    -------
    ndarray, shape (T,)

    Raises
    ------
    ValueError
        If a value is not finite, ``d`` is not a vector, the times are negative or
        decreasing, or a tolerance is not positive.
    """
    y = _v.real_scalar("y", y)
    x0 = _v.real_scalar("x0", x0)
    d = _c.check_offsets("d", d)
    t = _v.times("t", t)
    rtol = _v.positive_scalar("rtol", rtol)
    atol = _v.positive_scalar("atol", atol)
    e = _c.offsets(d)

    def in_log(x_start: float, times: np.ndarray) -> np.ndarray:
        # u = log|x|, u' = (y - x) rho_d(x) / x, on a stretch where x keeps the sign of x_start:
        # an explicit step in x itself may overshoot through 0 once |x| is below atol
        sgn = math.copysign(1.0, x_start)

        def fun(z: np.ndarray) -> np.ndarray:
            # below the smallest normal float, x is 0 to double precision: freeze the rate
            # there (x itself, returned as sgn * exp(u), underflows to 0 as it should);
            # exp(u) of a trial stage may overflow: inf makes the solver reject that step
            x = sgn * max(math.exp(z[0]) if z[0] < LOG_X_MAX else math.inf, np.finfo(float).tiny)
            return np.array([(y - x) * _c.rho(x, e) / x])

        states = integrate(fun, np.array([math.log(abs(x_start))]), times, rtol, atol)
        return sgn * np.exp(states[:, 0])

    rho0 = _c.rho(0.0, e)
    if x0 != 0.0 and (x0 * y >= 0.0 or rho0 == 0.0):  # x keeps its sign
        return in_log(x0, t)
    if y == 0.0 or rho0 == 0.0:  # x0 = 0 is an equilibrium
        return np.zeros_like(t)
    # x passes through 0 (or leaves it) towards y, at the rate y rho_d(0) there, which may be
    # tiny: in log|x| up to the exact time T0 of reaching 0; then linearly up to the time a
    # tiny x_s is reached; from there in x itself (x now moves monotonically towards y)
    T0 = 0.0 if x0 == 0.0 else _hitting_time(y, x0, 0.0, e)
    x_s = X_SMALL_FRACTION * y
    x_min = X_SMALL_MIN_FRACTION * abs(y)
    while _c.rho(x_s, e) > rho0 * (1.0 + RHO_FLAT_RTOL) and abs(x_s) > x_min:
        x_s *= X_SMALL_SHRINK
    t_s = T0 + _hitting_time(y, 0.0, x_s, e)
    out = np.empty_like(t)
    before, middle, after = t < T0, (t >= T0) & (t < t_s), t >= t_s
    if np.any(before):
        out[before] = in_log(x0, t[before])
    out[middle] = x_s * (t[middle] - T0) / (t_s - T0)
    if np.any(after):
        states = integrate(
            lambda z: np.array([(y - z[0]) * _c.rho(float(z[0]), e)]),
            np.array([x_s]),
            t[after] - t_s,
            rtol,
            min(atol, rtol * abs(x_s)),
        )
        out[after] = states[:, 0]
    return out


def hitting_time(y: float, x0: float, x1: float, d: ArrayLike) -> float:
    r"""The time of the induced flow from x0 to x1, :math:`\int_{x_0}^{x_1} dx/((y - x)\rho_d(x))`.

    Book: chapter 7, ``prop-deep-plateau`` and ``prop-deep-thinnest``. ``x1`` must lie
    between ``x0`` (included) and ``y`` (excluded), so that the flow reaches it. A path
    through :math:`x = 0` needs :math:`\rho_d(0) > 0` (a single thinnest layer, r = 1);
    otherwise the time is infinite. The integral is taken in :math:`\log\lvert x\rvert`,
    which keeps it accurate for tiny :math:`x_0`; a path through 0 is split there, each
    piece integrated over :math:`\log\lvert x\rvert` from :math:`-\infty`.

    Parameters
    ----------
    y, x0, x1 : float
        Target, start and end of the path.
    d : array_like, shape (L - 1,)
        Conserved differences :math:`d_l`.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        If ``x1`` is not between ``x0`` and ``y``, or the path passes through 0 where
        :math:`\rho_d(0) = 0`, or a value is not finite.
    """
    y = _v.real_scalar("y", y)
    x0 = _v.real_scalar("x0", x0)
    x1 = _v.real_scalar("x1", x1)
    d = _c.check_offsets("d", d)
    e = _c.offsets(d)
    if not (min(x0, y) <= x1 <= max(x0, y)) or x1 == y:
        raise ValueError(
            f"x1 = {x1} must lie between x0 = {x0} and y = {y} (y excluded): "
            "the flow moves from x0 towards y"
        )
    if x1 != x0 and x0 * x1 <= 0.0 and _c.rho(0.0, e) == 0.0:
        raise ValueError(
            f"the path from x0 = {x0} to x1 = {x1} passes through x = 0, where rho_d(0) = 0: "
            "the flow never gets there"
        )
    return _hitting_time(y, x0, x1, e)
