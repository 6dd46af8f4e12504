"""Edge tests of overparam.scalar (see tests/edges.py).

Ranges (the issue's): target and products |y|, |x0| from 1e-6 to 1e4 (factors |u0|, |v0|
from 1e-3 to 1e2, so that u0^2 + v0^2 spans 1e-6 .. 1e4), exact zeros, imbalance from 0
(balanced, exactly) over nearly balanced (relative 1e-12 .. 1e-1) to independent factors
(|lambda0| up to 1e4 times the target), times from 0 to 1e6 (both included).

References, none of them the code under test:

* mpmath at 100 digits, from the exact binary values of the inputs: the talk's closed form
  (its constant c), the logistic solutions of the balanced cases, the loss, its gradient;
* the package's ODE integrator on the (u, v) flow (``scalar.flow``) and on the induced flow,
  compared with the closed form (which is itself checked against mpmath here).

``closed_form`` accepts ``t`` of any shape, elementwise (its docstring, and
``test_closed_forms.test_scalar_closed_form_keeps_the_shape_of_t``): it is registered with
``shape_free={"t"}``; the flows need 1-D non-decreasing times.
"""

from __future__ import annotations

import mpmath
import numpy as np
from hypothesis import example, given, settings
from hypothesis import strategies as st

import edges
from overparam import scalar

EPS = np.finfo(float).eps
T = np.array([0.0, 0.5, 2.0])
U = np.array([0.5, 1.0])
V = np.array([1.0, -2.0])

# ---------------------------------------------------------------------------------------
# valid calls

edges.valid("scalar.loss", scalar.loss, U, V, 1.5, shape_free={"u", "v"})
edges.valid("scalar.vector_field", scalar.vector_field, U, V, 1.5, shape_free={"u", "v"})
edges.valid("scalar.imbalance", scalar.imbalance, U, V, shape_free={"u", "v"})
edges.valid("scalar.flow", scalar.flow, 1.0, 0.3, 0.2, T, rtol=1e-9, atol=1e-11)
edges.valid("scalar.induced_rhs", scalar.induced_rhs, np.array([0.1, 2.0]), 1.0, 0.5, shape_free={"x"})
edges.valid("scalar.induced_flow", scalar.induced_flow, 1.0, 0.06, 0.05, T, rtol=1e-9, atol=1e-11)
edges.valid("scalar.plain_flow", scalar.plain_flow, 1.0, 0.06, T)
edges.valid("scalar.closed_form", scalar.closed_form, T, 1.0, 0.3, 0.2, shape_free={"t"})
edges.valid("scalar.convergence_rate", scalar.convergence_rate, 1.0, 0.3, 0.2)

# ---------------------------------------------------------------------------------------
# hand-written bad input



def bad(target, kind, what, call, argument, error=None):
    """``edges.bad``; a wrong type raises TypeError, everything else ValueError."""
    edges.bad(target, kind, what, call, argument, error or (TypeError if kind == "type" else ValueError))

for _name, _fn in (("loss", lambda u, v: scalar.loss(u, v, 1.0)), ("vector_field", lambda u, v: scalar.vector_field(u, v, 1.0)),
                   ("imbalance", scalar.imbalance)):
    bad(f"scalar.{_name}", "shape", "u-and-v-differ", lambda f=_fn: f(np.ones(2), np.ones(3)), "u")
    bad(f"scalar.{_name}", "shape", "scalar-u-array-v", lambda f=_fn: f(1.0, np.ones(3)), "u")
    bad(f"scalar.{_name}", "type", "ragged-u", lambda f=_fn: f([[1.0, 2.0], [3.0]], [[1.0, 2.0], [3.0]]), "u")
    bad(f"scalar.{_name}", "type", "str-in-v", lambda f=_fn: f([1.0, 2.0], [1.0, "a"]), "v")
    bad(f"scalar.{_name}", "nonfinite", "inf-in-list-v", lambda f=_fn: f([1.0, 2.0], [1.0, float("inf")]), "v")
bad("scalar.loss", "type", "list-for-y", lambda: scalar.loss(1.0, 1.0, [1.0]), "y")
bad("scalar.loss", "shape", "1-element-array-y", lambda: scalar.loss(1.0, 1.0, np.array([1.0])), "y")
bad("scalar.vector_field", "type", "list-for-y", lambda: scalar.vector_field(1.0, 1.0, [1.0]), "y")

for _name, _fn in (
    ("flow", lambda t, **kw: scalar.flow(1.0, 0.3, 0.2, t, **kw)),
    ("induced_flow", lambda t, **kw: scalar.induced_flow(1.0, 0.06, 0.05, t, **kw)),
    ("plain_flow", lambda t, **kw: scalar.plain_flow(1.0, 0.06, t, **kw)),
):
    bad(f"scalar.{_name}", "times", "negative", lambda f=_fn: f([-1.0, 0.0, 1.0]), "t")
    bad(f"scalar.{_name}", "times", "unsorted", lambda f=_fn: f([0.0, 2.0, 1.0]), "t")
    bad(f"scalar.{_name}", "times", "2-D", lambda f=_fn: f(np.array([[0.0, 1.0], [2.0, 3.0]])), "t")
    bad(f"scalar.{_name}", "times", "0-D", lambda f=_fn: f(1.0), "t")
    bad(f"scalar.{_name}", "times", "empty", lambda f=_fn: f([]), "t")
    bad(f"scalar.{_name}", "nonfinite", "inf-in-list", lambda f=_fn: f([0.0, float("inf")]), "t")
    bad(f"scalar.{_name}", "type", "str-in-list", lambda f=_fn: f([0.0, "1"]), "t")
    if _name != "plain_flow":
        bad(f"scalar.{_name}", "value", "zero-rtol", lambda f=_fn: f([0.0, 1.0], rtol=0.0), "rtol")
        bad(f"scalar.{_name}", "value", "negative-rtol", lambda f=_fn: f([0.0, 1.0], rtol=-1e-9), "rtol")
        bad(f"scalar.{_name}", "value", "zero-atol", lambda f=_fn: f([0.0, 1.0], atol=0.0), "atol")
bad("scalar.flow", "nonfinite", "vector-field-overflows", lambda: scalar.flow(1.0, 1e200, 1.0, [0.0, 1.0]), "u0")
bad("scalar.flow", "type", "list-for-u0", lambda: scalar.flow(1.0, [0.3], 0.2, [0.0, 1.0]), "u0")
bad("scalar.induced_flow", "nonfinite", "rhs-overflows", lambda: scalar.induced_flow(1.0, 1e200, 1e200, [0.0, 1.0]), "x0")
bad("scalar.induced_flow", "type", "list-for-lambda0", lambda: scalar.induced_flow(1.0, 0.1, [0.5], [0.0, 1.0]), "lambda0")
bad("scalar.plain_flow", "type", "list-for-x0", lambda: scalar.plain_flow(1.0, [0.1], [0.0, 1.0]), "x0")

bad("scalar.induced_rhs", "type", "ragged-x", lambda: scalar.induced_rhs([[0.1, 0.2], [0.3]], 1.0, 0.5), "x")
bad("scalar.induced_rhs", "type", "str-in-x", lambda: scalar.induced_rhs([0.1, "a"], 1.0, 0.5), "x")
bad("scalar.induced_rhs", "nonfinite", "nan-in-list-x", lambda: scalar.induced_rhs([0.1, float("nan")], 1.0, 0.5), "x")
bad("scalar.induced_rhs", "shape", "array-lambda0", lambda: scalar.induced_rhs(0.1, 1.0, np.array([0.5, 0.5])), "lambda0")

bad("scalar.closed_form", "times", "negative", lambda: scalar.closed_form(np.array([-1.0, 0.0]), 1.0, 0.3, 0.2), "t")
bad("scalar.closed_form", "times", "negative-in-2-D", lambda: scalar.closed_form(np.array([[0.0, 1.0], [2.0, -3.0]]), 1.0, 0.3, 0.2), "t")
bad("scalar.closed_form", "times", "negative-0-D", lambda: scalar.closed_form(-0.5, 1.0, 0.3, 0.2), "t")
bad("scalar.closed_form", "nonfinite", "inf-in-list-t", lambda: scalar.closed_form([0.0, float("inf")], 1.0, 0.3, 0.2), "t")
bad("scalar.closed_form", "type", "str-in-list-t", lambda: scalar.closed_form([0.0, "1"], 1.0, 0.3, 0.2), "t")
bad("scalar.closed_form", "nonfinite", "product-overflows", lambda: scalar.closed_form(T, 1.0, 1e200, 1e200), "u0")
bad("scalar.closed_form", "nonfinite", "imbalance-overflows", lambda: scalar.closed_form(T, 1.0, 1e200, 1e-200), "v0")
bad("scalar.closed_form", "shape", "array-for-y", lambda: scalar.closed_form(T, np.ones(2), 0.3, 0.2), "y")
bad("scalar.convergence_rate", "type", "list-for-y", lambda: scalar.convergence_rate([1.0], 0.3, 0.2), "y")
bad("scalar.convergence_rate", "shape", "1-element-array-u0", lambda: scalar.convergence_rate(1.0, np.array([0.3]), 0.2), "u0")
bad("scalar.convergence_rate", "nonfinite", "imbalance-overflows", lambda: scalar.convergence_rate(1.0, 1e200, 0.2), "u0")
bad("scalar.convergence_rate", "nonfinite", "rate-overflows", lambda: scalar.convergence_rate(1.5e308, 0.3, 0.2), "y")

# ---------------------------------------------------------------------------------------
# strategies

signs = st.sampled_from([-1.0, 1.0])
exponents = st.floats(-6.0, 4.0)  # scales 1e-6 .. 1e4
TIMES = st.lists(st.floats(0.0, 1e6), max_size=4).map(lambda ts: np.unique(np.array([0.0, 1e6] + ts)))


@st.composite
def targets(draw):
    return draw(st.one_of(st.just(0.0), st.builds(lambda s, e: s * 10.0**e, signs, exponents)))


@st.composite
def starts(draw):
    """(u0, v0): u0^2 and v0^2 in 1e-6 .. 1e4, imbalance from exactly 0 to large, exact zeros."""
    u0 = draw(signs) * np.sqrt(10.0 ** draw(exponents))
    kind = draw(st.sampled_from(["balanced", "nearly balanced", "independent", "independent", "one zero", "both zero"]))
    if kind == "balanced":
        v0 = draw(signs) * u0
    elif kind == "nearly balanced":
        v0 = draw(signs) * u0 * (1.0 + draw(signs) * 10.0 ** draw(st.floats(-12.0, -1.0)))
    elif kind == "independent":
        v0 = draw(signs) * np.sqrt(10.0 ** draw(exponents))
    elif kind == "one zero":
        u0, v0 = draw(st.sampled_from([(u0, 0.0), (0.0, u0)]))
    else:
        u0 = v0 = 0.0
    return float(u0), float(v0)


def mp_closed_form(y, u0, v0, t):
    """x(t) at 100 digits from the exact inputs: the talk's formula, or the logistic
    solutions of x' = 2 (y - x)|x| in the balanced cases where its c is undefined."""
    out = []
    with mpmath.workdps(100):
        y, u0, v0 = mpmath.mpf(y), mpmath.mpf(u0), mpmath.mpf(v0)
        x0, lam = u0 * v0, u0**2 - v0**2
        g = mpmath.sqrt(lam**2 + 4 * y**2)
        for ti in t:
            ti = mpmath.mpf(float(ti))
            if x0 == y:
                x = y
            elif lam == 0 and x0 == 0:
                x = mpmath.mpf(0)
            elif lam == 0 and y == 0:
                x = x0 / (1 + 2 * abs(x0) * ti)
            elif lam == 0 and x0 * y < 0:
                e = mpmath.exp(-2 * abs(y) * ti)
                x = x0 * abs(y) * e / (abs(y) + abs(x0) * (1 - e))
            else:
                c = (y - x0) / (lam**2 + 4 * x0 * y + mpmath.sqrt((lam**2 + 4 * x0**2) * (lam**2 + 4 * y**2)))
                e = mpmath.exp(-g * ti)  # the talk's formula divided by e^{2gt}
                x = (y - 2 * c * lam**2 * e - 4 * y * lam**2 * c**2 * e**2) / (1 + 8 * y * c * e - 4 * lam**2 * c**2 * e**2)
            out.append(float(x))
    return np.array(out)


def ill_conditioned(y, u0, v0):
    """Nearly balanced with x0 y < 0: x crosses 0 at a time set by lambda0 = u^2 - v^2,
    which an ODE solver in (u, v) (or in x) holds only to ~1e-16 (u0^2 + v0^2) / |lambda0|
    relatively; the exactly balanced one sits on the stable manifold of the saddle u = v = 0,
    which a numerical solve leaves after |y| t ~ 37. No ODE reference at 1e-9 there (the
    mpmath test covers both)."""
    lam = (u0 - v0) * (u0 + v0)
    return u0 * v0 * y < 0 and abs(lam) < 1e-6 * (u0 * u0 + v0 * v0)


# ---------------------------------------------------------------------------------------
# properties


@edges.covers("scalar.closed_form")
@settings(max_examples=edges.examples(100))  # cheap: ~1 ms per example
@given(y=targets(), start=starts(), t=TIMES, shape=st.sampled_from([(-1,), (1, -1), (-1, 1)]))
def test_closed_form_matches_mpmath_at_all_scales_and_times(y, start, t, shape):
    u0, v0 = start
    tt = t.reshape(shape)  # any shape, elementwise
    x = scalar.closed_form(tt, y, u0, v0)
    assert x.shape == tt.shape
    x = x.ravel()
    assert np.all(np.isfinite(x))
    ref = mp_closed_form(y, u0, v0, t)
    # Docstring: absolute error a few units of round-off times max(|y|, |x0|), plus the
    # rounding of x0 = u0 v0 and lambda0 (relative 2 eps each), whose effect on x(t) is at
    # most of the same size (the flow is homogeneous of degree one in (y, x0, lambda0)).
    # 32 eps ~ 7e-15 allows a few rounding errors in each of the ~10 operations.
    scale = max(abs(y), abs(u0 * v0))
    err = np.max(np.abs(x - ref))
    assert err <= 32 * EPS * scale, (err / max(scale, 1e-300), y, u0, v0)


@edges.covers("scalar.flow", "scalar.imbalance", "scalar.loss")
@given(y=targets(), start=starts(), t=TIMES)
# drawn by the thorough profile: converged by t = 30 with u v > 0, where the rest test's
# +-1 perturbation does not change u v; it integrated rounding noise for minutes (overparam._ode)
@example(y=211.06416934180936, start=(1, 0.9999998830384821), t=np.array([0.0, 1e6]))
def test_flow_matches_the_closed_form_and_conserves_the_imbalance(y, start, t):
    u0, v0 = start
    S = max(abs(y), u0 * u0 + v0 * v0)
    run = scalar.flow(y, u0, v0, t, rtol=1e-12, atol=1e-15 * np.sqrt(max(S, 1e-300)))
    for field in (run.u, run.v, run.x, run.loss):
        assert field.shape == t.shape and np.all(np.isfinite(field))
    np.testing.assert_array_equal(run.x, run.u * run.v)
    np.testing.assert_array_equal(run.loss, scalar.loss(run.u, run.v, y))
    # lambda = u^2 - v^2 is conserved; the solver keeps (u, v) to ~rtol relative per unit of
    # its error control, so lambda to ~1e-12 (u^2 + v^2) per step: 1e-9 S (the convention of
    # test_closed_forms.py for the same solver tolerance).
    lam = scalar.imbalance(run.u, run.v)
    assert np.max(np.abs(lam - scalar.imbalance(u0, v0))) <= 1e-9 * S
    if ill_conditioned(y, u0, v0):
        return
    # against the closed form (checked against mpmath above), same 1e-9 S
    x = scalar.closed_form(t, y, u0, v0)
    assert np.max(np.abs(run.x - x)) <= 1e-9 * S, (y, u0, v0)


@edges.covers("scalar.induced_flow", "scalar.induced_rhs")
@given(y=targets(), start=starts(), t=TIMES)
def test_induced_flow_matches_the_closed_form(y, start, t):
    u0, v0 = start
    x0, lam = u0 * v0, (u0 - v0) * (u0 + v0)
    S = max(abs(y), u0 * u0 + v0 * v0)
    x = scalar.induced_flow(y, x0, lam, t, rtol=1e-12, atol=1e-15 * max(S, 1e-300))
    assert x.shape == t.shape and np.all(np.isfinite(x))
    if ill_conditioned(y, u0, v0):
        return
    # x' = (y - x) sqrt(lambda0^2 + 4 x^2) at rtol 1e-12: 1e-9 S as for the (u, v) flow
    assert np.max(np.abs(x - scalar.closed_form(t, y, u0, v0))) <= 1e-9 * S, (y, u0, v0)
    # the right-hand side at the solution is the slope of the closed form (central
    # difference at t1 = 1 / S, where the flow moves most, with the step h = 1e-6 / S)
    t1 = min(1e6, 1.0 / S) if S > 0 else 1.0
    h = 1e-6 * t1
    xs = scalar.closed_form(np.array([t1 - h, t1, t1 + h]), y, u0, v0)
    slope = (xs[2] - xs[0]) / (2 * h)
    # the central difference: truncation (h S)^2 S^2 ~ 1e-12 S^2, round-off eps S / h ~ 1e-10 S^2
    assert abs(scalar.induced_rhs(xs[1], y, lam) - slope) <= 1e-8 * S * S


@edges.covers("scalar.loss", "scalar.vector_field", "scalar.imbalance", "scalar.induced_rhs")
@settings(max_examples=edges.examples(100))  # cheap
@given(y=targets(), seed=st.integers(0, 2**32 - 1), shape=st.sampled_from([(), (1,), (3,), (2, 3), (4, 1)]))
def test_loss_gradient_and_imbalance_match_mpmath(y, seed, shape):
    rng = np.random.default_rng(seed)

    def factors():
        return rng.choice([-1.0, 1.0], size=shape) * 10.0 ** rng.uniform(-3.0, 2.0, size=shape)

    u, v = factors(), factors()
    if u.size > 1:
        v.flat[0] = u.flat[0]  # an exactly balanced entry
    loss = np.asarray(scalar.loss(u, v, y))
    du, dv = (np.asarray(a) for a in scalar.vector_field(u, v, y))
    lam = np.asarray(scalar.imbalance(u, v))
    x = u * v
    # lambda0 is one number per flow: one call per entry, and once with x of the whole shape
    rhs = np.array([scalar.induced_rhs(x[i], y, float(lam[i])) for i in np.ndindex(shape)]).reshape(shape)
    if u.size:
        assert np.ravel(scalar.induced_rhs(x, y, float(lam.flat[0])))[0] == rhs.flat[0]
    for out in (loss, du, dv, lam, rhs):
        assert out.shape == shape and np.all(np.isfinite(out))
    with mpmath.workdps(60):
        for i in np.ndindex(shape):
            uu, vv, yy = mpmath.mpf(u[i]), mpmath.mpf(v[i]), mpmath.mpf(y)
            r = yy - uu * vv
            # a rounded residual y - uv carries ~2 eps (|y| + |uv|); every product one eps more
            res = 2 * EPS * (abs(y) + abs(u[i] * v[i]))
            assert abs(loss[i] - float(r * r / 2)) <= res * abs(float(r)) + 4 * EPS * float(r * r / 2) + res * res
            # the negative gradient of the loss, differentiated by mpmath
            gu = -mpmath.diff(lambda a: (yy - a * vv) ** 2 / 2, uu)
            gv = -mpmath.diff(lambda b: (yy - uu * b) ** 2 / 2, vv)
            assert abs(du[i] - float(gu)) <= (res + 2 * EPS * abs(float(r))) * abs(v[i])
            assert abs(dv[i] - float(gv)) <= (res + 2 * EPS * abs(float(r))) * abs(u[i])
            assert abs(lam[i] - float(uu**2 - vv**2)) <= 2 * EPS * (u[i] ** 2 + v[i] ** 2)
            # the induced right-hand side is d(uv)/dt = u' v + u v' = (y - uv)(u^2 + v^2)
            # (u^2 + v^2 = sqrt(lambda0^2 + 4 x^2)); a few eps relative on top of the residual
            exact = float(r * (uu**2 + vv**2))
            assert abs(rhs[i] - exact) <= (res + 8 * EPS * abs(float(r))) * (u[i] ** 2 + v[i] ** 2)
    # the rescaling symmetry (u, v) -> (a u, v / a) with a a power of two: exact
    np.testing.assert_array_equal(scalar.loss(4.0 * u, v / 4.0, y), loss)
    # and the imbalance is conserved by the vector field: u u' - v v' = 0 up to round-off
    assert np.all(np.abs(u * du - v * dv) <= 4 * EPS * np.abs(u * du))


@edges.covers("scalar.plain_flow")
@settings(max_examples=edges.examples(100))  # cheap
@given(y=targets(), x0=targets(), t=TIMES)
def test_plain_flow_matches_mpmath(y, x0, t):
    x = scalar.plain_flow(y, x0, t)
    assert x.shape == t.shape and np.all(np.isfinite(x))
    with mpmath.workdps(60):
        ref = np.array([float(y + (mpmath.mpf(x0) - y) * mpmath.exp(-mpmath.mpf(float(ti)))) for ti in t])
    # y + (x0 - y) e^{-t}: three roundings and exp's ~1 ulp, on terms of size |y| + |x0 - y|
    assert np.max(np.abs(x - ref)) <= 4 * EPS * (abs(y) + abs(x0 - y))
    assert x[-1] == y  # e^{-1e6} = 0 exactly in floating point


@edges.covers("scalar.convergence_rate")
@settings(max_examples=edges.examples(100))  # cheap
@given(y=targets(), start=starts())
def test_convergence_rate_matches_mpmath_and_its_symmetries(y, start):
    u0, v0 = start
    g = scalar.convergence_rate(y, u0, v0)
    assert isinstance(g, float) and np.isfinite(g)
    with mpmath.workdps(60):
        ref = float(mpmath.sqrt((mpmath.mpf(u0) ** 2 - mpmath.mpf(v0) ** 2) ** 2 + 4 * mpmath.mpf(y) ** 2))
    # lambda0 = (u0 - v0)(u0 + v0) has 3 roundings (relative), hypot one more
    assert abs(g - ref) <= 4 * EPS * ref
    # symmetries of the flow: v -> -v with y -> -y, and u <-> v; both exact
    assert scalar.convergence_rate(-y, u0, -v0) == g
    assert scalar.convergence_rate(y, v0, u0) == g
    # the rate of the closed form: where the flow converges to y at the rate g (lambda0 != 0)
    # the gap shrinks by e^{-g dt} over dt = 2 / g, once g t >= 40, to ~e^{-40} relative
    # (test_closed_forms.py derives the constant); compare in mpmath to stay above underflow
    if (u0 - v0) * (u0 + v0) != 0.0 and u0 * v0 != y:
        with mpmath.workdps(100):
            uu, vv, yy = mpmath.mpf(u0), mpmath.mpf(v0), mpmath.mpf(y)
            x0m, lm = uu * vv, uu**2 - vv**2
            c = (yy - x0m) / (lm**2 + 4 * x0m * yy + mpmath.sqrt((lm**2 + 4 * x0m**2) * (lm**2 + 4 * yy**2)))
            # x - y = -2 c g^2 e^{-gt} / (1 + O(4 g |c| e^{-gt})): past t0 the correction is e^{-40}
            t0 = float((40 + mpmath.log(1 + 4 * mpmath.sqrt(lm**2 + 4 * yy**2) * abs(c))) / g)
        gap0, gap1 = mp_gaps(y, u0, v0, [t0, t0 + 2.0 / g])
        # log(gap(t0) / gap(t0 + 2 / g)) = 2 up to O(e^{-40}) and the rounding of g (4 eps)
        assert abs(float(mpmath.log(gap0 / gap1)) - 2.0) <= 1e-12


def mp_gaps(y, u0, v0, t):
    """|x(t) - y| at 100 digits (mpf), from the talk's formula (lambda0 != 0)."""
    out = []
    with mpmath.workdps(100):
        y, u0, v0 = mpmath.mpf(y), mpmath.mpf(u0), mpmath.mpf(v0)
        x0, lam = u0 * v0, u0**2 - v0**2
        g = mpmath.sqrt(lam**2 + 4 * y**2)
        c = (y - x0) / (lam**2 + 4 * x0 * y + mpmath.sqrt((lam**2 + 4 * x0**2) * (lam**2 + 4 * y**2)))
        for ti in t:
            e = mpmath.exp(-g * mpmath.mpf(ti))
            x = (y - 2 * c * lam**2 * e - 4 * y * lam**2 * c**2 * e**2) / (1 + 8 * y * c * e - 4 * lam**2 * c**2 * e**2)
            out.append(abs(x - y))
    return out
