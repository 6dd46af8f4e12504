r"""The scalar warm-up: :math:`\ell(u, v) = \tfrac12 (y - uv)^2`.

Everything here is the :math:`m = n = k = 1` case of :mod:`overparam.flow`,
written out so that the chapters can look at each piece (book: chapter 1,
"The scalar warm-up", and the statements of the notation page):

* the loss and its negative gradient, the vector field of the flow
  :math:`\dot u = (y - uv) v`, :math:`\dot v = (y - uv) u`;
* the conserved imbalance :math:`\lambda_0 = u^2 - v^2`;
* the induced flow on the product :math:`x = uv`,
  :math:`\dot x = (y - x)\sqrt{\lambda_0^2 + 4x^2}`;
* the plain (not overparameterized) model :math:`\dot x = y - x`, solved by
  :math:`x(t) = y + (x_0 - y) e^{-t}`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.integrate import solve_ivp

from . import _validate as _v

__all__ = [
    "ScalarTrajectory",
    "loss",
    "vector_field",
    "imbalance",
    "flow",
    "induced_rhs",
    "induced_flow",
    "plain_flow",
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
    t_unique, inverse = np.unique(t, return_inverse=True)
    t_end = float(t_unique[-1])
    if t_end == 0.0:
        states = np.repeat(np.asarray(y0, float)[:, None], t_unique.size, axis=1)
    else:
        sol = solve_ivp(lambda _s, z: fun(z), (0.0, t_end), y0, method="DOP853", t_eval=t_unique, rtol=rtol, atol=atol)
        if not sol.success:  # pragma: no cover
            raise RuntimeError(f"the ODE solver failed: {sol.message}")
        states = sol.y
    return states[:, inverse]


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
    """
    y = _v.real_scalar("y", y)
    u0 = _v.real_scalar("u0", u0)
    v0 = _v.real_scalar("v0", v0)
    t = _v.times("t", t)
    rtol = _v.positive_scalar("rtol", rtol)
    atol = _v.positive_scalar("atol", atol)

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
    """
    y = _v.real_scalar("y", y)
    x0 = _v.real_scalar("x0", x0)
    lambda0 = _v.real_scalar("lambda0", lambda0)
    t = _v.times("t", t)
    rtol = _v.positive_scalar("rtol", rtol)
    atol = _v.positive_scalar("atol", atol)
    lam2 = lambda0**2
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
