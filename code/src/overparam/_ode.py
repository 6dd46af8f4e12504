"""The one ODE integrator behind every numerical flow of the package (private).

:func:`integrate` advances an autonomous system ``y' = f(y)`` and returns the states at
the requested times. Its design (the reasons, and the runs that decided it, are in
``docs/numerics.md``):

Exact output times.
    Each requested time is an end point of a step: the solution is never read off the
    method's dense output, whose interpolation error is not controlled.
Two methods.
    Runs start with scipy's DOP853 (explicit Runge-Kutta, order 8). Near a minimum the
    flow is stiff (its decay rates grow like the square of the scale of the factors), so
    when more than ``STIFF_PROJECTED`` steps of the recent length are still needed to
    reach the next output time (tested every ``STIFF_CHECK`` steps), the run continues
    with scipy's BDF at the same tolerances. The BDF here stops its Newton iterations at
    ``NEWTON_TOL`` of the local error tolerance: scipy's default asks for a few units of
    rounding at small ``rtol``, which a field computed with cancellation cannot meet.
Back to DOP853.
    If BDF fails (a fast transient long after the hand-over: its step would fall below
    the spacing of the floating-point numbers), the run goes back to DOP853 from the last
    accepted state, unless the state is at rest (below).
Rest at working precision.
    Every ``REST_CHECK`` accepted steps, ``|f(y)|`` is compared with the change of ``f``
    caused by perturbing ``y`` by ``REST_EPS`` units of round-off (two fixed sign
    patterns). When ``|f(y)|`` is not larger, ``y`` is an equilibrium to working
    precision and is returned for every later time; a flow that still moves has a field
    far above this floor.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.integrate import BDF, DOP853

#: Default relative tolerance of every adaptive ODE solve of the package.
RTOL = 1e-10
#: Default absolute tolerance of every adaptive ODE solve of the package.
ATOL = 1e-12
#: DOP853 steps in one output interval between two checks for stiffness.
STIFF_CHECK = 2000
#: Hand over to the stiff method when more than this many DOP853 steps are still projected.
STIFF_PROJECTED = 20000
#: Newton iterations of the stiff method stop at this fraction of the local error tolerance.
NEWTON_TOL = 0.03


class _StiffBDF(BDF):
    """SciPy's BDF with the Newton tolerance ``NEWTON_TOL`` (see the module docstring)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not hasattr(self, "newton_tol"):  # pragma: no cover - guards a SciPy upgrade
            raise RuntimeError("scipy's BDF no longer has the attribute newton_tol")
        self.newton_tol = max(self.newton_tol, NEWTON_TOL)


#: The implicit method for stiff runs.
STIFF_METHOD = _StiffBDF
#: Accepted steps between two tests for rest at working precision.
REST_CHECK = 50
#: Size of the perturbation of that test, in units of round-off of each component.
REST_EPS = 8.0


def _at_rest(fun: Callable[[np.ndarray], np.ndarray], y: np.ndarray) -> bool:
    """True if ``|f(y)|`` is within the change of ``f`` that rounding ``y`` causes (module doc)."""
    f = fun(y)
    size = REST_EPS * np.finfo(float).eps * np.abs(y)
    # two fixed patterns (not random: the same run must give the same result): a +-1 pattern,
    # and all +1 (a rescaling of y), because a +-1 pattern alone can be tangent to the set
    # of minima: for the scalar flow with u v > 0 it changes u v by 8 eps (|u| v - u |v|) = 0
    signs = np.where((np.arange(y.size) * 0.6180339887498949) % 1.0 < 0.5, 1.0, -1.0)
    with np.errstate(over="ignore", invalid="ignore"):
        noise = max(np.linalg.norm(fun(y + size * signs) - f), np.linalg.norm(fun(y + size) - f))
    return bool(np.isfinite(noise) and np.linalg.norm(f) <= noise)


def _run(solver, fun) -> tuple[list[float], str]:
    """Advance ``solver`` to its end (return "done"); stop early if DOP853 is
    stiffness-bound ("stiff"), the implicit method cannot go on ("failed") or the state is
    at rest to working precision ("rest")."""
    steps: list[float] = []
    explicit = isinstance(solver, DOP853)
    while solver.status == "running":
        # A trial stage of a step that will be rejected may overflow (a first step guessed
        # too long for a flow started at scale 1e4): the error control sees inf/nan and
        # shortens the step, so the overflow is no error. An accepted non-finite state is.
        with np.errstate(over="ignore", invalid="ignore"):
            message = solver.step()
        if solver.status == "failed":
            if not explicit:  # see "Back to DOP853" in the module docstring
                return steps, "rest" if _at_rest(fun, solver.y) else "failed"
            # pragma: no cover - DOP853 has not been seen to fail
            raise RuntimeError(f"the ODE solver failed at t = {solver.t}: {message}")
        if not np.all(np.isfinite(solver.y)):  # pragma: no cover - the flows here are bounded
            raise RuntimeError(f"the ODE solution left the finite numbers at t = {solver.t}")
        steps.append(solver.step_size)
        if solver.status != "running":
            break
        if len(steps) % REST_CHECK == 0 and _at_rest(fun, solver.y):
            return steps, "rest"
        if explicit and len(steps) % STIFF_CHECK == 0:
            recent = float(np.mean(steps[-100:]))
            if (solver.t_bound - solver.t) > STIFF_PROJECTED * recent:
                return steps, "stiff"
    return steps, "done"


def integrate(
    fun: Callable[[np.ndarray], np.ndarray],
    y0: np.ndarray,
    t: np.ndarray,
    rtol: float,
    atol: float,
) -> np.ndarray:
    """Solve ``y' = fun(y)``, ``y(0) = y0``; the states at the times ``t``, shape (T, len(y0)).

    ``t`` must be validated by the caller: 1-D, finite, >= 0, non-decreasing.
    """
    y0 = np.asarray(y0, dtype=float)
    t_unique, inverse = np.unique(t, return_inverse=True)
    states = np.empty((t_unique.size, y0.size))
    y, t_now, h = y0, 0.0, None
    method = DOP853
    rest = False
    for j, t_next in enumerate(t_unique):
        while t_next > t_now and not rest:
            first = None if h is None else min(h, t_next - t_now)
            solver = method(
                lambda _s, z: fun(z), t_now, y, float(t_next),
                rtol=rtol, atol=atol, first_step=first,
            )
            steps, why = _run(solver, fun)
            # the last step was cut short to land on t_next; carry on with the one before
            h = max(steps[-2:]) if steps else h
            y, t_now = solver.y, float(solver.t)
            if why == "stiff":
                method = STIFF_METHOD
            elif why == "failed":
                # back to DOP853 from the last accepted state; it takes at least STIFF_CHECK steps
                # before it hands over again, so the run always advances
                method = DOP853
            rest = why == "rest"
        states[j] = y
    return states[inverse]
