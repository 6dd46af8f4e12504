"""Tests of the scalar model in overparam.scalar (loss, vector field, imbalance, flows)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.integrate import odeint

from overparam import scalar
from overparam.flow import gradient_flow

reals = st.floats(-3.0, 3.0, allow_nan=False)


@given(u=reals, v=reals, y=reals)
def test_vector_field_is_minus_the_gradient(u, v, y):
    h = 1e-6
    du, dv = scalar.vector_field(u, v, y)
    gu = (scalar.loss(u + h, v, y) - scalar.loss(u - h, v, y)) / (2 * h)
    gv = (scalar.loss(u, v + h, y) - scalar.loss(u, v - h, y)) / (2 * h)
    assert du == pytest.approx(-gu, abs=1e-6)
    assert dv == pytest.approx(-gv, abs=1e-6)


@given(u0=reals, v0=reals, y=reals)
def test_flow_matches_an_independent_solve_and_conserves_the_imbalance(u0, v0, y):
    t = np.linspace(0.0, 3.0, 7)
    run = scalar.flow(y, u0, v0, t)

    def rhs(z, _t):
        r = y - z[0] * z[1]
        return [r * z[1], r * z[0]]

    ref = odeint(rhs, [u0, v0], t, rtol=1e-12, atol=1e-13)
    scale = max(1.0, abs(u0), abs(v0), abs(y))
    assert np.max(np.abs(run.u - ref[:, 0])) < 1e-7 * scale
    assert np.max(np.abs(run.v - ref[:, 1])) < 1e-7 * scale
    lam = scalar.imbalance(run.u, run.v)
    assert np.max(np.abs(lam - (u0**2 - v0**2))) < 1e-8 * scale**2
    np.testing.assert_allclose(run.x, run.u * run.v)
    np.testing.assert_allclose(run.loss, 0.5 * (y - run.x) ** 2)


@given(u0=reals, v0=reals, y=reals)
def test_induced_flow_tracks_the_product(u0, v0, y):
    t = np.linspace(0.0, 2.0, 5)
    x = scalar.induced_flow(y, u0 * v0, u0**2 - v0**2, t)
    run = scalar.flow(y, u0, v0, t)
    scale = max(1.0, abs(u0 * v0), abs(y))
    assert np.max(np.abs(x - run.x)) < 1e-7 * scale
    # and the right-hand side is the time derivative of x = uv along the (u, v) flow
    du, dv = scalar.vector_field(run.u, run.v, y)
    np.testing.assert_allclose(scalar.induced_rhs(run.x, y, u0**2 - v0**2), du * run.v + run.u * dv, atol=1e-9 * scale**3)


def test_scalar_flow_is_the_one_by_one_matrix_flow():
    t = np.linspace(0.0, 5.0, 11)
    run = scalar.flow(0.7, -0.4, 1.3, t)
    for method in ("gram", "params"):
        W = gradient_flow([[0.7]], [[-0.4]], [[1.3]], t, method=method).W[:, 0, 0]
        assert np.max(np.abs(W - run.x)) < 1e-8


def test_plain_flow_solves_the_linear_ode():
    t = np.linspace(0.0, 5.0, 11)
    ref = odeint(lambda x, _t: 2.0 - x, -1.0, t, rtol=1e-12, atol=1e-13)[:, 0]
    np.testing.assert_allclose(scalar.plain_flow(2.0, -1.0, t), ref, atol=1e-9)


def test_array_inputs_keep_their_shape():
    U, V = np.meshgrid(np.linspace(-1, 1, 4), np.linspace(-1, 1, 3))
    assert scalar.loss(U, V, 1.0).shape == (3, 4)
    assert scalar.imbalance(U, V).shape == (3, 4)
    du, dv = scalar.vector_field(U, V, 1.0)
    assert du.shape == dv.shape == (3, 4)
    assert isinstance(scalar.loss(1.0, 2.0, 3.0), float)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: scalar.loss(np.ones(3), np.ones(2), 1.0), "u and v must have the same shape"),
        (lambda: scalar.loss(1.0, 1.0, np.ones(2)), "y must be a scalar"),
        (lambda: scalar.loss(1.0, np.nan, 1.0), "v must have finite"),
        (lambda: scalar.vector_field(1.0, 1.0, np.inf), "y must be finite"),
        (lambda: scalar.flow(1.0, 0.5, 0.5, [1.0, 0.5]), "t must be non-decreasing"),
        (lambda: scalar.flow(1.0, np.nan, 0.5, [0.0, 1.0]), "u0 must be finite"),
        (lambda: scalar.flow(1.0, 0.5, 0.5, [0.0, 1.0], rtol=0), "rtol must be positive"),
        (lambda: scalar.induced_flow(1.0, 0.5, np.inf, [0.0]), "lambda0 must be finite"),
        (lambda: scalar.induced_rhs(np.array([0.0, np.nan]), 1.0, 0.0), "x must have finite"),
        (lambda: scalar.plain_flow(1.0, 0.0, [-1.0]), "t must be >= 0"),
    ],
)
def test_bad_input_raises_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_wrong_types_raise_type_error():
    with pytest.raises(TypeError, match="y"):
        scalar.flow("1", 0.5, 0.5, [0.0])
    with pytest.raises(TypeError, match="u"):
        scalar.loss(["a"], [1.0], 1.0)
