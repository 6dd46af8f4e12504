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


def test_stiff_flow_over_a_long_horizon_hands_over_to_an_implicit_method(monkeypatch):
    """The scalar flow from (u0, v0) = (1e4, 0.5) up to t = 1e6, against its closed form.

    Near the minimum the linearized flow decays at rate u^2 + v^2 ~ 1e8, so DOP853 alone
    would need ~1e13 steps. The integrator must switch to Radau (counted here).
    """
    import overparam._ode as ode
    from overparam import scalar

    built = []
    real_radau = ode.Radau

    def counting_radau(*args, **kwargs):
        built.append(1)
        return real_radau(*args, **kwargs)

    monkeypatch.setattr(ode, "Radau", counting_radau)
    t = np.array([0.0, 1e-9, 1e-6, 1e-3, 1.0, 10.0, 1e3, 1e6])
    run = scalar.flow(1.0, 1e4, 0.5, t)
    exact = scalar.closed_form(t, 1.0, 1e4, 0.5)
    assert built, "the stiff run never left DOP853"
    assert np.all(np.isfinite(run.x))
    assert np.max(np.abs(run.x - exact) / np.abs(exact)) < 1e-8
    # the conserved imbalance u^2 - v^2 = 1e8 - 0.25 holds to the tolerance, relative to its size
    assert np.max(np.abs(run.u**2 - run.v**2 - (1e8 - 0.25))) < 1e-9 * 1e8

def test_ordinary_runs_stay_with_the_explicit_method(monkeypatch):
    import overparam._ode as ode

    def no_radau(*args, **kwargs):  # pragma: no cover - reached only on failure
        raise AssertionError("Radau used on a non-stiff run")

    monkeypatch.setattr(ode, "Radau", no_radau)
    A = -np.diag([0.5, 2.0, 30.0])
    y0 = np.ones(3)
    t = np.linspace(0.0, 20.0, 5)
    states = integrate(lambda y: A @ y, y0, t, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(states[-1], np.exp(np.diag(A) * 20.0), rtol=1e-8, atol=1e-11)  # atol: the solver atol is 1e-12
