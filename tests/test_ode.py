"""The package's integrator against exact solutions of linear systems."""

from __future__ import annotations

import numpy as np
from scipy.linalg import expm

from overparam._ode import integrate


def test_fast_decay_with_many_output_times_is_accurate():
    """Long steps near equilibrium: reading values off the dense output was ~1e-8 off here; exact stops are not."""
    rng = np.random.default_rng(0)
    B = rng.standard_normal((6, 6))
    A = -(B @ B.T + 0.5 * np.eye(6))  # decay rates up to ~30
    y0 = rng.standard_normal(6)
    t = np.concatenate([np.linspace(0.0, 0.5, 11), np.linspace(0.6, 4.0, 35), [4.0, 4.0]])
    states = integrate(lambda y: A @ y, y0, t, rtol=1e-10, atol=1e-12)
    exact = np.array([expm(A * s) @ y0 for s in t])
    assert np.max(np.abs(states - exact)) < 1e-9 * np.linalg.norm(y0)


def test_times_at_zero_and_repeated_times_return_the_same_state():
    y0 = np.array([1.0, -2.0])
    states = integrate(lambda y: -y, y0, np.array([0.0, 0.0, 1.0, 1.0]), rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(states[0], y0)
    np.testing.assert_array_equal(states[1], y0)
    np.testing.assert_array_equal(states[2], states[3])
    np.testing.assert_allclose(states[2], y0 * np.exp(-1.0), rtol=1e-9)
