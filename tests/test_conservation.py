"""Tests of chapter 2 (conservation): the imbalance is conserved, the loss has the rescaling symmetry.

- Lambda = U^T U - V^T V is constant along gradient_flow(method="params"), for matrix
  factorization and for regression, on random rectangular shapes (prop-conservation-matrix);
- the loss is invariant under (U, V) -> (U G, V G^{-T}) for invertible G, and the scalar
  loss under (u, v) -> (a u, v / a) (the symmetry behind the law, prop-conservation-noether);
- overparam.flow.imbalance rejects factors of different widths.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from overparam import scalar
from overparam.flow import gradient_flow, imbalance, loss

TIMES = np.linspace(0.0, 3.0, 7)


@st.composite
def shapes_and_seed(draw, regression: bool):
    """Rectangular shapes (m != n drawn independently), a width k, a scale and a seed."""
    m = draw(st.integers(1, 6))
    n = draw(st.integers(1, 6))
    k = draw(st.integers(1, 7))
    N = draw(st.integers(1, 7)) if regression else None
    scale = draw(st.sampled_from([0.1, 0.5, 1.0, 2.0]))
    seed = draw(st.integers(0, 2**32 - 1))
    return m, n, k, N, scale, seed


def random_problem(m, n, k, N, scale, seed):
    rng = np.random.default_rng(seed)
    U0 = scale * rng.standard_normal((m, k))
    V0 = scale * rng.standard_normal((n, k))
    if N is None:
        return rng.standard_normal((m, n)), U0, V0, None
    X = rng.standard_normal((N, m)) / np.sqrt(m)
    return rng.standard_normal((N, n)), U0, V0, X


def max_relative_drift(run):
    """max_t ||Lambda(t) - Lambda(0)||_F / (||U(t)||_F^2 + ||V(t)||_F^2)."""
    L0 = imbalance(run.U[0], run.V[0])
    return max(
        np.linalg.norm(imbalance(U, V) - L0) / max(np.linalg.norm(U) ** 2 + np.linalg.norm(V) ** 2, 1e-300)
        for U, V in zip(run.U, run.V)
    )


@pytest.mark.parametrize("regression", [False, True], ids=["factorization", "regression"])
@given(data=st.data())
def test_imbalance_is_conserved_on_rectangular_shapes(regression, data):
    Y, U0, V0, X = random_problem(*data.draw(shapes_and_seed(regression)))
    run = gradient_flow(Y, U0, V0, TIMES, X=X, method="params")
    assert np.allclose(run.U[0], U0) and np.allclose(run.V[0], V0)
    assert max_relative_drift(run) < 1e-8


@given(data=st.data())
def test_balanced_start_stays_balanced(data):
    """Lambda_0 = 0 (V0 = Q U0 with Q^T Q = I, n >= m) gives U^T U = V^T V for all t."""
    m = data.draw(st.integers(1, 4))
    n = data.draw(st.integers(m, 6))
    k = data.draw(st.integers(1, 6))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    U0 = rng.standard_normal((m, k))
    Q, _ = np.linalg.qr(rng.standard_normal((n, m)))
    V0 = Q @ U0
    run = gradient_flow(rng.standard_normal((m, n)), U0, V0, TIMES, method="params")
    for U, V in zip(run.U, run.V):
        assert np.linalg.norm(imbalance(U, V)) <= 1e-8 * np.linalg.norm(U) ** 2


@pytest.mark.parametrize("regression", [False, True], ids=["factorization", "regression"])
@given(data=st.data())
def test_loss_is_invariant_under_invertible_reparametrization(regression, data):
    m, n, k, N, scale, seed = data.draw(shapes_and_seed(regression))
    Y, U, V, X = random_problem(m, n, k, N, scale, seed)
    rng = np.random.default_rng(seed + 1)
    # a random invertible G with a controlled condition number: Q1 diag(s) Q2
    Q1, _ = np.linalg.qr(rng.standard_normal((k, k)))
    Q2, _ = np.linalg.qr(rng.standard_normal((k, k)))
    G = Q1 @ np.diag(rng.uniform(0.2, 5.0, size=k) * rng.choice([-1.0, 1.0], size=k)) @ Q2
    G_inv_T = np.linalg.inv(G).T
    before = loss(Y, U @ V.T, X=X)
    after = loss(Y, (U @ G) @ (V @ G_inv_T).T, X=X)
    assert after == pytest.approx(before, rel=1e-9, abs=1e-12)
    # the imbalance is NOT invariant in general, unless G is orthogonal
    R = Q1
    assert np.allclose(imbalance(U @ R, V @ R), R.T @ imbalance(U, V) @ R, atol=1e-10)


@given(
    u=st.floats(-10, 10),
    v=st.floats(-10, 10),
    y=st.floats(-10, 10),
    a=st.floats(0.05, 20).flatmap(lambda x: st.sampled_from([x, -x])),
)
def test_scalar_loss_is_invariant_under_rescaling(u, v, y, a):
    before = scalar.loss(u, v, y)
    assert scalar.loss(a * u, v / a, y) == pytest.approx(before, rel=1e-9, abs=1e-9)
    # the infinitesimal version: the gradient is orthogonal to the generator (u, -v)
    du, dv = scalar.vector_field(u, v, y)
    assert du * u - dv * v == pytest.approx(0.0, abs=1e-9 * (1 + abs(y)) * (1 + u * u + v * v) ** 2)


@given(u0=st.floats(-2, 2), v0=st.floats(-2, 2), y=st.floats(-2, 2))
def test_scalar_imbalance_is_conserved(u0, v0, y):
    run = scalar.flow(y, u0, v0, TIMES)
    lam = scalar.imbalance(run.u, run.v)
    assert np.max(np.abs(lam - (u0 * u0 - v0 * v0))) <= 1e-8 * (1 + np.max(run.u**2 + run.v**2))


@pytest.mark.parametrize(
    "U, V",
    [
        (np.ones((2, 2)), np.ones((2, 3))),
        (np.ones((4, 3)), np.ones((5, 1))),
        (np.ones(3), np.ones((3, 3))),
        (np.ones((3, 2)), np.ones((3, 2, 1))),
    ],
    ids=["k 2 vs 3", "k 3 vs 1", "U not a matrix", "V not a matrix"],
)
def test_imbalance_rejects_mismatched_shapes(U, V):
    with pytest.raises(ValueError, match="^[UV] "):
        imbalance(U, V)


def test_imbalance_error_names_the_widths():
    with pytest.raises(ValueError, match="V has 3 columns but U has 2 columns"):
        imbalance(np.ones((4, 2)), np.ones((5, 3)))
