"""The package's integrator against exact solutions of linear systems."""

from __future__ import annotations

import numpy as np
import pytest
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
    would need ~1e13 steps. The integrator must switch to its implicit method (counted here).
    """
    import overparam._ode as ode
    from overparam import scalar

    built = []
    real_stiff = ode.STIFF_METHOD

    def counting_stiff(*args, **kwargs):
        built.append(1)
        return real_stiff(*args, **kwargs)

    monkeypatch.setattr(ode, "STIFF_METHOD", counting_stiff)
    t = np.array([0.0, 1e-9, 1e-6, 1e-3, 1.0, 10.0, 1e3, 1e6])
    run = scalar.flow(1.0, 1e4, 0.5, t)
    exact = scalar.closed_form(1.0, 1e4, 0.5, t)
    assert built, "the stiff run never left DOP853"
    assert np.all(np.isfinite(run.x))
    assert np.max(np.abs(run.x - exact) / np.abs(exact)) < 1e-8
    # the conserved imbalance u^2 - v^2 = 1e8 - 0.25 holds to the tolerance, relative to its size
    assert np.max(np.abs(run.u**2 - run.v**2 - (1e8 - 0.25))) < 1e-9 * 1e8


def test_ordinary_runs_stay_with_the_explicit_method(monkeypatch):
    import overparam._ode as ode

    def no_stiff(*args, **kwargs):  # pragma: no cover - reached only on failure
        raise AssertionError("the implicit method used on a non-stiff run")

    monkeypatch.setattr(ode, "STIFF_METHOD", no_stiff)
    A = -np.diag([0.5, 2.0, 30.0])
    y0 = np.ones(3)
    t = np.linspace(0.0, 20.0, 5)
    states = integrate(lambda y: A @ y, y0, t, rtol=1e-10, atol=1e-12)
    # atol: the solver atol is 1e-12
    np.testing.assert_allclose(states[-1], np.exp(np.diag(A) * 20.0), rtol=1e-8, atol=1e-11)


def test_a_converged_flow_is_held_at_rest_instead_of_integrating_rounding_noise():
    """A 4 x 5 factorization (k = 30, spectral start) up to t = 1e6.

    Without the rest test the implicit method (then Radau) kept taking steps of length ~1 on a field that was pure
    rounding noise (nine minutes). With it the run needs few evaluations, and the state it
    holds is the converged one: the loss at rounding level, as at t = 1e3.
    """
    from overparam import flow, spectral

    rng = np.random.default_rng(0)
    Y = rng.standard_normal((4, 5))
    s_u, s_v = rng.uniform(0.2, 1.5, size=4), rng.uniform(0.2, 1.5, size=5)
    U0, V0 = spectral.initialization(Y, 30, s_u, s_v, O=spectral.random_orthogonal(30, rng))
    calls = []

    def counted(z):
        calls.append(1)
        return real(z)

    real = None
    import overparam._ode as ode

    real_integrate = ode.integrate

    def spy(fun, y0, t, rtol, atol):
        nonlocal real
        real = fun
        return real_integrate(counted, y0, t, rtol, atol)

    import overparam._flow as flow_module

    flow_module.integrate, saved = spy, flow_module.integrate
    try:
        run = flow.gradient_flow(Y, U0, V0, np.array([0.0, 1e3, 1e6]))
    finally:
        flow_module.integrate = saved
    assert len(calls) < 100_000, len(calls)
    scale = np.linalg.norm(Y) ** 2
    # held at the minimum to rounding; at t = 1e3 DOP853 still jitters at its atol (1e-12)
    assert run.loss[2] < 1e-25 * scale
    assert run.loss[1] < 1e-18 * scale
    assert np.linalg.norm(run.W[2] - run.W[1]) < 1e-8 * np.linalg.norm(Y)


def test_the_rest_test_does_not_fire_on_a_slow_escape_from_a_small_start():
    """From (u0, v0) = (1e-6, 2e-6) the scalar flow sits near the saddle for t ~ 13 and then
    learns y = 1: a field that is small but far above its rounding must be followed."""
    from overparam import scalar

    t = np.array([0.0, 5.0, 10.0, 13.0, 15.0, 20.0, 1e3, 1e6])
    # atol far below the factors (1e-6 .. 1): the default 1e-12 would allow 1e-6 relative
    # errors on the plateau; the closed form is accurate to 32 eps max(|y|, |x0|) absolute
    run = scalar.flow(1.0, 1e-6, 2e-6, t, atol=1e-22)
    exact = scalar.closed_form(1.0, 1e-6, 2e-6, t)
    assert np.all(np.abs(run.x - exact) <= 1e-8 * np.abs(exact) + 32 * np.finfo(float).eps)
    assert run.x[-1] == pytest.approx(1.0, rel=1e-12)


def test_a_fast_escape_late_in_a_stiff_run_goes_back_to_the_explicit_method(monkeypatch):
    """s' = s^2 (a - s^3) from s0 = 1e-7 with a stiff passenger w' = -1e4 w, up to t = 1e6.

    s creeps (s ~ s0 / (1 - a s0 t)) and leaves 0 at t ~ 1 / (a s0) = 1e4 on a time scale of
    1e-4, long after DOP853 handed the run to BDF (the passenger is stiff). BDF alone stopped
    there ("Required step size is less than spacing between numbers"). The integrator hands
    the transient back to DOP853, then to BDF again: the stiff method is built twice for
    one output interval, and the run ends at the equilibrium s = a^(1/3), w = 0.
    """
    import overparam._ode as ode

    built = []
    real_stiff = ode.STIFF_METHOD

    def counting_stiff(*args, **kwargs):
        built.append(args[1])  # the start time
        return real_stiff(*args, **kwargs)

    monkeypatch.setattr(ode, "STIFF_METHOD", counting_stiff)
    a, k = 1000.0, 1e4
    states = integrate(
        lambda z: np.array([z[0] ** 2 * (a - z[0] ** 3), -k * z[1]]),
        np.array([1e-7, 1.0]),
        np.array([0.0, 1e6]),
        rtol=1e-10,
        atol=1e-22,
    )
    assert len(built) >= 2 and built[0] < 1e3 < 9e3 < built[1], built  # handed over early, back after the escape
    assert states[-1, 0] == pytest.approx(a ** (1 / 3), rel=1e-10)
    assert abs(states[-1, 1]) < 1e-20


def test_newton_iterations_converge_on_a_field_computed_by_cancellation(monkeypatch):
    """X of rank one, a target of size 1e-6 fitted by balanced factors of size 3 (a case the
    edge tests' thorough profile drew), params method to t = 1e6.

    The fit needs X U of size 1e-7 from entries of size 3: the field is a cancellation, and
    its rounding times the step exceeds SciPy's Newton tolerance at rtol = 1e-10 (1e-5 of
    the local error tolerance). The iterations were declared divergent at almost every step,
    the order stayed 1 and the run took 280000 steps (a minute). With the package's
    tolerance (3 % of the local error tolerance) it takes a few thousand, and ends where
    the width-free (Gram) method, a different system for the same W(t), ends.
    """
    import overparam._ode as ode
    from overparam import flow

    assert ode.NEWTON_TOL == 0.03
    steps = []
    real_run = ode._run

    def counting_run(solver, fun):
        taken, why = real_run(solver, fun)
        if not isinstance(solver, ode.DOP853):
            assert solver.newton_tol == 0.03  # the package's setting reached SciPy's solver
            steps.append(len(taken))
        return taken, why

    monkeypatch.setattr(ode, "_run", counting_run)
    X = np.array([[-1.193368884184318, 1.9477054744952955]])
    Y = np.array([[-3.9156286688140762e-07, 1.4095990454267892e-06]])
    U0 = np.array([[1.4541793495723705, 2.237857624735924], [1.9281315691531544, 0.6242375647697495]])
    V0 = np.array([[1.9777617903042146, 2.3213040134489793], [1.385924683920593, -0.0960570820087538]])
    t = np.array([0.0, 3.9e5, 1e6])
    run = flow.gradient_flow(Y, U0, V0, t, X=X, method="params")
    assert steps and sum(steps) < 20000, steps
    gram = flow.gradient_flow(Y, U0, V0, t, X=X, method="gram")
    size = np.linalg.norm(X) * np.linalg.norm(U0) * np.linalg.norm(V0)
    assert np.max(np.linalg.norm(run.W - gram.W, axis=(1, 2))) < 1e-8 * size
    assert run.loss[-1] < 1e-3 * run.loss[1]  # still learning after t = 3.9e5 (the loss falls 4000-fold)


def test_every_minimum_of_the_scalar_flow_is_recognized_as_rest():
    """At u v = y (to rounding) the scalar field ((y - u v) v, (y - u v) u) is rounding noise.

    The rest test used to perturb y by a +-1 pattern only, which for u v > 0 changes u v by
    8 eps (|u| v - u |v|) = 0: it then saw no noise and missed 58 of these 1000 minima. A
    thorough edge test drew one (y = 211, u0 = 1, v0 = 1 - 1.2e-7) and integrated rounding
    noise for minutes. A point off the minimum by 1e-9 relative must not count as rest.
    """
    from overparam._ode import _at_rest

    rng = np.random.default_rng(0)
    for _ in range(1000):
        y = float(10 ** rng.uniform(-3, 3)) * rng.choice([-1.0, 1.0])
        u = float(np.sqrt(abs(y)) * (1 + rng.uniform(-0.5, 0.5)))
        v = y / u

        def field(z, y=y):
            r = y - z[0] * z[1]
            return np.array([r * z[1], r * z[0]])

        assert _at_rest(field, np.array([u, v])), (y, u, v)
        assert not _at_rest(field, np.array([u * (1 + 1e-9), v])), (y, u, v)
