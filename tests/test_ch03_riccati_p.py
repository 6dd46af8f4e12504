"""Chapter 3: the closed form derived through p = (u + v)^2 (eq-p-riccati, eq-p-solution).

Checks, on random starts, that
* p = (u + v)^2 along an independent solve of the (u, v) flow (scipy solve_ivp, Radau,
  rtol 1e-12) matches eq-p-solution, and x = (p - lambda0^2 / p) / 4 matches u v;
* the constant -r0 / (2 p+) of the multiplied-out form equals c = (y - x0) / (B + S) of
  thm-scalar-closed-form, and both forms of x(t) agree;
* the mirror start u0 = -v0 with y < 0 is the theorem's formula too.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from overparam import scalar

T = np.linspace(0.0, 4.0, 41)


def p_solution(t, y, u0, v0):
    lam = u0**2 - v0**2
    g = np.sqrt(lam**2 + 4 * y**2)
    p_plus, p_minus, p0 = 2 * y + g, 2 * y - g, (u0 + v0) ** 2
    r0 = (p0 - p_plus) / (p0 - p_minus)
    decay = r0 * np.exp(-g * t)
    return (p_plus - p_minus * decay) / (1 - decay)


def theorem_form(t, y, u0, v0):
    lam, x0 = u0**2 - v0**2, u0 * v0
    g = np.sqrt(lam**2 + 4 * y**2)
    c = (y - x0) / (lam**2 + 4 * x0 * y + np.sqrt((lam**2 + 4 * x0**2) * (lam**2 + 4 * y**2)))
    e = np.exp(g * t)
    return (y * e**2 - 2 * c * lam**2 * e - 4 * y * lam**2 * c**2) / (e**2 + 8 * y * c * e - 4 * lam**2 * c**2)


def uv_flow(t, y, u0, v0):
    sol = solve_ivp(lambda _t, z: [(y - z[0] * z[1]) * z[1], (y - z[0] * z[1]) * z[0]], (t[0], t[-1]), [u0, v0],
                    t_eval=t, method="Radau", rtol=1e-12, atol=1e-14)
    assert sol.success
    return sol.y


STARTS = [tuple(row) for row in np.random.default_rng(2026).uniform(-2, 2, size=(20, 3))]


@pytest.mark.parametrize("y, u0, v0", STARTS)
def test_p_solution_matches_the_flow(y, u0, v0):
    u, v = uv_flow(T, y, u0, v0)
    p = p_solution(T, y, u0, v0)
    scale = max(1.0, abs(y), u0**2 + v0**2)
    assert np.max(np.abs(p - (u + v) ** 2)) < 1e-8 * scale
    lam = u0**2 - v0**2
    assert np.max(np.abs((p - lam**2 / p) / 4 - u * v)) < 1e-8 * scale


@pytest.mark.parametrize("y, u0, v0", STARTS)
def test_constant_of_the_multiplied_out_form(y, u0, v0):
    lam, x0 = u0**2 - v0**2, u0 * v0
    g = np.sqrt(lam**2 + 4 * y**2)
    p_plus, p_minus, p0 = 2 * y + g, 2 * y - g, (u0 + v0) ** 2
    r0 = (p0 - p_plus) / (p0 - p_minus)
    c = (y - x0) / (lam**2 + 4 * x0 * y + np.sqrt((lam**2 + 4 * x0**2) * (lam**2 + 4 * y**2)))
    assert abs(-r0 / (2 * p_plus) - c) <= 1e-12 * max(1.0, abs(c))
    p = p_solution(T, y, u0, v0)
    x_p = (p - lam**2 / p) / 4
    assert np.max(np.abs(x_p - theorem_form(T, y, u0, v0))) < 1e-10 * max(1.0, abs(y), abs(x0))


def test_mirror_start_is_covered_by_the_theorem():
    y, u0 = -1.5, 0.7  # u0 = -v0, y < 0: p stays 0, the theorem still holds
    u, v = uv_flow(T, y, u0, -u0)
    assert np.max(np.abs(theorem_form(T, y, u0, -u0) - u * v)) < 1e-8 * 1.5
    assert np.max(np.abs(scalar.closed_form(y, u0, -u0, T) - u * v)) < 1e-8 * 1.5
