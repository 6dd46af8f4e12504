"""The one ODE integrator behind every numerical flow of the package.

``integrate`` advances an autonomous system with scipy's DOP853 (an explicit
Runge-Kutta method of order 8 with step-size control) and stops EXACTLY at
each requested time instead of reading the solution off the method's dense
output. The dense-output interpolant is not error-controlled: near an
equilibrium, where the steps grow long, it was seen to be off by about 1e-8
while the steps themselves were accurate to 1e-11. Stopping at each output
time costs more steps when many times are requested, and keeps the result as
accurate as the tolerances say.

Stiffness. An explicit method cannot take steps much longer than ``3 / |lambda|``
for the largest decay rate ``|lambda|`` of the linearized flow, even when the
solution has stopped moving. Near a minimum of a flow started at scale ``s``
that rate is about ``s^2`` (the Gram matrices), so a flow started from entries of
size 1e4, or any flow asked for t = 1e6, would need 1e10 or more steps. When the
steps left to the next output time, at the length of the recent steps, exceed
``STIFF_PROJECTED`` (checked every ``STIFF_CHECK`` steps), the integrator hands
the rest of the run to scipy's Radau (an implicit Runge-Kutta method of order 5,
stable for any step) at the same tolerances. Runs of ordinary length never get
there and are integrated by DOP853 alone.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.integrate import DOP853, Radau

#: DOP853 steps in one output interval between two checks for stiffness.
STIFF_CHECK = 2000
#: Hand over to Radau when more than this many DOP853 steps are still projected.
STIFF_PROJECTED = 20000


def _run(solver) -> tuple[list[float], bool]:
    """Advance ``solver`` to its end; stop early (return True) if DOP853 is stiffness-bound."""
    steps: list[float] = []
    explicit = isinstance(solver, DOP853)
    while solver.status == "running":
        message = solver.step()
        if solver.status == "failed":  # pragma: no cover - the flows here are smooth and bounded
            raise RuntimeError(f"the ODE solver failed at t = {solver.t}: {message}")
        steps.append(solver.step_size)
        if explicit and solver.status == "running" and len(steps) % STIFF_CHECK == 0:
            recent = float(np.mean(steps[-100:]))
            if (solver.t_bound - solver.t) > STIFF_PROJECTED * recent:
                return steps, True
    return steps, False


def integrate(
    fun: Callable[[np.ndarray], np.ndarray],
    y0: np.ndarray,
    t: np.ndarray,
    rtol: float,
    atol: float,
) -> np.ndarray:
    """Solve ``y' = fun(y)``, ``y(0) = y0`` and return the states at the times ``t`` (shape (T, len(y0))).

    ``t`` must be validated by the caller: 1-D, finite, >= 0, non-decreasing.
    """
    y0 = np.asarray(y0, dtype=float)
    t_unique, inverse = np.unique(t, return_inverse=True)
    states = np.empty((t_unique.size, y0.size))
    y, t_now, h = y0, 0.0, None
    method = DOP853
    for j, t_next in enumerate(t_unique):
        while t_next > t_now:
            first = None if h is None else min(h, t_next - t_now)
            solver = method(lambda _s, z: fun(z), t_now, y, float(t_next), rtol=rtol, atol=atol, first_step=first)
            steps, stiff = _run(solver)
            # the last step was cut short to land on t_next; carry on with the one before
            h = max(steps[-2:]) if steps else h
            y, t_now = solver.y, float(solver.t)
            if stiff:
                method = Radau
        states[j] = y
    return states[inverse]
