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
the rest of the run to ``STIFF_METHOD``, scipy's BDF (implicit, variable order 1 to 5,
stable at any step on the real negative spectrum of a gradient flow's Jacobian, which
is minus a Hessian), at the same tolerances. Runs of ordinary length never get there
and are integrated by DOP853 alone. (Radau, used here before, gave the same results to
1e-9 on 250 stiff runs of the edge tests but needed twice the time in total and up
to ten times more on the hardest ones: three layers of size 100 and more, where the
field is a cancellation known to three or four digits.)

Newton tolerance. Each BDF step solves its implicit equation by Newton iterations and
stops when their remaining error is estimated below ``newton_tol`` times the local
error tolerance ``atol + rtol |y|``. SciPy takes ``newton_tol = min(0.03, sqrt(rtol))``
(RADAU5's default), so at rtol = 1e-10 it asks for 1e-5 of the tolerance: 1e-15
relative, a few units of rounding of y. When the field is computed by cancellation (a
target of size 1e-6 fitted by factors of size 3, or layers of size 100 for a target of
size 1), its rounding times the step is larger than that, the iterations are declared
divergent, the step is halved and the order drops to 1: a run to t = 1e6 took 258000
steps and a minute, another did not finish in five. ``_StiffBDF`` stops the iterations
at 3 % of the tolerance (``NEWTON_TOL``: SciPy's own value for rtol >= 1e-3, the
largest that RADAU5's formula gives): the iteration error stays a small
fraction of the error the step is allowed anyway, and those runs take 0.2 and 1 s with
the same results to the accuracy of their field (benchmarks/stiff.py). Deeper
cancellations still defeat the iterations: four layers of size 60 for a target of size
1, whose field is barely above its own rounding while the loss still falls, take about
forty seconds to t = 1e6.

Fast transients late in a stiff run. A stiff run can meet a fast transient long after
the hand-over: a flow that creeps away from a saddle for t ~ 1e4 and then leaves it
moves on a time scale of 1e-4, with positive eigenvalues in its Jacobian. (The deep edge
test that found this: three balanced 2 x 2 layers whose product has the wrong
determinant sign. The exact flow tends to a rank-one saddle for ever; the computed one
crosses it at t ~ 4e4, once the field along the vanishing direction has fallen below
the rounding of the others, and then converges to Y.) BDF cuts its order and its step
there; at rtol = 1e-10 it asked for steps below ten spacings of the floating-point
numbers near t = 4e4, and SciPy stops with "Required step size is less than spacing
between numbers". The integrator then hands the run back to DOP853 from the last
accepted state (order 8: steps of 1e-3 there), which hands over to BDF again once the
transient is past. BDF can also fail on a flow that has converged: long steps on a
field of pure rounding noise (a start of size 1e4, converged by t = 1, failed at
t = 9.4e5 after steps of 2e5, before the rest test below came round). DOP853 could not
go on from there (its stable step is below the spacing of the numbers near 1e6), so a
failed BDF run is first tested for rest.

Rest at working precision. Once a flow has converged, its vector field is rounding
noise (``Y - U V^T`` is computed to about eps times the size of its terms), and an
error-controlled method keeps taking steps of the noise's time scale for ever: a run to
t = 1e6 took minutes while nothing moved. Every ``REST_CHECK`` accepted steps the
integrator compares ``|f(y)|`` with ``|f(y + delta) - f(y)|`` for perturbations
``delta`` of ``REST_EPS`` units of round-off in each component of ``y`` (the change of
``f`` that the rounding of ``y`` alone can cause; the larger of two sign patterns, one
of which rescales y: the other alone can miss, see ``_at_rest``). When ``|f(y)|`` is not larger than
that, ``y`` is an equilibrium to working precision: it is returned for every later time.
A flow that is still moving has a field far above this floor (its residual is not
rounding), so the test does not fire before convergence.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.integrate import BDF, DOP853

#: DOP853 steps in one output interval between two checks for stiffness.
STIFF_CHECK = 2000
#: Hand over to the stiff method when more than this many DOP853 steps are still projected.
STIFF_PROJECTED = 20000
#: Newton iterations of the stiff method stop at this fraction of the local error tolerance.
NEWTON_TOL = 0.03


class _StiffBDF(BDF):
    """SciPy's BDF with the Newton tolerance ``NEWTON_TOL`` (see the module doc)."""

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
    """True if ``|f(y)|`` is within the change of ``f`` caused by rounding ``y`` (see the module doc)."""
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
            if not explicit:  # see "Fast transients late in a stiff run" in the module doc
                return steps, "rest" if _at_rest(fun, solver.y) else "failed"
            raise RuntimeError(f"the ODE solver failed at t = {solver.t}: {message}")  # pragma: no cover - not seen
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
    """Solve ``y' = fun(y)``, ``y(0) = y0`` and return the states at the times ``t`` (shape (T, len(y0))).

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
            solver = method(lambda _s, z: fun(z), t_now, y, float(t_next), rtol=rtol, atol=atol, first_step=first)
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
