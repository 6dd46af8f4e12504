"""Tests of overparam.regression.data: the data generators.

Independent references: numpy's SVD, pinv and lstsq, projectors built from them, mpmath,
and the LSODA solve of ``conftest.reference_flow`` (not the package's integrator).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import edges
from overparam import regression as rg

from ._cases import EPS, R, _rng

BAD: list = []


def _bad(target, kind, what, thunk, argument, error=ValueError):
    """A hand-written bad input: ``thunk()`` must raise ``error`` naming ``argument``."""
    BAD.append(pytest.param(thunk, argument, error, id=f"regression.{target}-{kind}-{what}"))


CALLS = {
    "regression.regression_data": edges.call(
        rg.regression_data, 5, 4, 2, _rng(), singular_values=np.array([2.0, 1.0, 0.5]), noise=0.1
    ),
    "regression.experiment_a_data": edges.call(rg.experiment_a_data, _rng(), D=6, N=4, noise=0.01),
    "regression.experiment_b_data": edges.call(rg.experiment_b_data, _rng(), D=6, N=4, noise=0.01),
}


# data generators
_D = "regression_data"
_bad(
    _D,
    "shape",
    "too-many-singular-values",
    lambda: rg.regression_data(3, 4, 1, R, singular_values=[1, 1, 1, 1]),
    "singular_values",
)
_bad(
    _D,
    "shape",
    "singular_values-matrix",
    lambda: rg.regression_data(3, 4, 1, R, singular_values=np.ones((2, 1))),
    "singular_values",
)
_bad(
    _D,
    "shape",
    "singular_values-scalar",
    lambda: rg.regression_data(3, 4, 1, R, singular_values=1.0),
    "singular_values",
)
_bad(
    _D, "shape", "singular_values-empty", lambda: rg.regression_data(3, 4, 1, R, singular_values=[]), "singular_values"
)
_bad(
    _D,
    "value",
    "singular_value-negative",
    lambda: rg.regression_data(3, 4, 1, R, singular_values=[1, -1]),
    "singular_values",
)
_bad(
    _D,
    "rank",
    "singular_values-all-zero",
    lambda: rg.regression_data(3, 4, 1, R, singular_values=[0, 0]),
    "singular_values",
)
_bad(
    _D,
    "nonfinite",
    "singular_values-list-with-inf",
    lambda: rg.regression_data(3, 4, 1, R, singular_values=[1.0, np.inf]),
    "singular_values",
)
_bad(
    _D,
    "type",
    "singular_values-strings",
    lambda: rg.regression_data(3, 4, 1, R, singular_values=["1", "2"]),
    "singular_values",
    TypeError,
)
_bad(_D, "value", "noise-negative", lambda: rg.regression_data(3, 4, 1, R, noise=-0.1), "noise")
for _arg, _pos in (("N", 0), ("m", 1), ("n", 2)):
    _args = [3, 4, 1]
    _args[_pos] = 0
    _bad(_D, "value", f"{_arg}-zero", lambda a=tuple(_args): rg.regression_data(*a, R), _arg)
    _args[_pos] = 2.0
    _bad(_D, "type", f"{_arg}-float", lambda a=tuple(_args): rg.regression_data(*a, R), _arg, TypeError)
_bad(_D, "type", "rng-is-random-state", lambda: rg.regression_data(3, 4, 1, np.random.RandomState(0)), "rng", TypeError)
for _f in ("experiment_a_data", "experiment_b_data"):
    _fn = getattr(rg, _f)
    _bad(_f, "value", "D-zero", lambda fn=_fn: fn(R, D=0, N=3), "D")
    _bad(_f, "value", "N-negative", lambda fn=_fn: fn(R, D=4, N=-1), "N")
    _bad(_f, "type", "D-float", lambda fn=_fn: fn(R, D=4.0, N=3), "D", TypeError)
    _bad(_f, "type", "N-bool", lambda fn=_fn: fn(R, D=4, N=True), "N", TypeError)
    _bad(_f, "value", "noise-negative", lambda fn=_fn: fn(R, D=4, N=3, noise=-0.01), "noise")
    _bad(_f, "type", "rng-is-None", lambda fn=_fn: fn(None, D=4, N=3), "rng", TypeError)


def _noise_part_is_linear(make, noise):
    """Same seed: X and Theta do not depend on the noise, and Y - X Theta = noise * G exactly up to rounding."""
    d, d1 = make(noise), make(1.0)
    assert np.array_equal(d.X, d1.X) and np.array_equal(d.Theta, d1.Theta)
    XT = d.X @ d.Theta
    G = d1.Y - XT
    # two roundings of each sum: |error| <= 4 eps (|X Theta| (1 + noise) + noise |G|) entrywise
    assert np.all(np.abs((d.Y - XT) - noise * G) <= 4 * EPS * (np.abs(XT) * (1 + noise) + noise * np.abs(G)))
    if noise == 0.0:
        assert np.array_equal(d.Y, XT)
    return d


NOISE = st.one_of(st.just(0.0), st.floats(-6.0, 4.0).map(lambda e: 10.0**e))


@settings(max_examples=edges.examples(100))
@given(st.integers(1, 8), st.integers(1, 8), st.integers(1, 3), st.data(), NOISE, st.integers(0, 2**32 - 1))
def test_regression_data_has_the_stated_singular_values_and_noise(N, m, n, data, noise, seed):
    sv = data.draw(
        st.one_of(
            st.none(),
            st.lists(
                st.one_of(st.just(0.0), st.floats(-6.0, 4.0).map(lambda e: 10.0**e)), min_size=1, max_size=min(N, m)
            ).filter(lambda v: max(v) > 0),
        ),
        label="singular_values",
    )
    d = _noise_part_is_linear(
        lambda z: rg.regression_data(N, m, n, np.random.default_rng(seed), singular_values=sv, noise=z), noise
    )
    assert d.X.shape == (N, m) and d.Y.shape == (N, n) and d.Theta.shape == (m, n) and edges.all_finite(d)
    if sv is None:
        # X and Theta: i.i.d. N(0, 1/m), drawn first and second from the generator
        replay = np.random.default_rng(seed)
        assert np.array_equal(d.X, replay.standard_normal((N, m)) / np.sqrt(m))
        assert np.array_equal(d.Theta, replay.standard_normal((m, n)) / np.sqrt(m))
        return
    # the singular values of X are exactly the given ones (and zeros), to c s_1 (Weyl)
    want = np.zeros(min(N, m))
    want[: len(sv)] = np.sort(sv)[::-1]
    got = np.linalg.svd(d.X, compute_uv=False)
    assert np.all(np.abs(got - want) <= 16 * max(N, m) * EPS * want[0])
    positive = np.array([v for v in sv if v > 0])
    if positive.min() >= 1e-8 * positive.max():  # a clear gap above the rank tolerance
        assert rg.decompose(d.X, d.Y).rank == positive.size


@settings(max_examples=edges.examples(50))
@given(st.integers(1, 12), st.integers(1, 12), NOISE, st.integers(0, 2**32 - 1))
def test_experiment_a_data_has_unit_singular_values(D, N, noise, seed):
    d = _noise_part_is_linear(lambda z: rg.experiment_a_data(np.random.default_rng(seed), D=D, N=N, noise=z), noise)
    assert d.X.shape == (N, D) and d.Y.shape == (N, 1) and d.Theta.shape == (D, 1) and edges.all_finite(d)
    # rank min(N, D) and Sigma_x = I
    assert np.all(np.abs(np.linalg.svd(d.X, compute_uv=False) - 1.0) <= 16 * max(N, D) * EPS)
    dec = rg.decompose(d.X, d.Y)
    assert dec.rank == min(N, D) and np.all(np.abs(dec.Sigma_x - 1.0) <= 32 * max(N, D) * EPS)


@settings(max_examples=edges.examples(50))
@given(st.integers(1, 12), st.integers(1, 12), NOISE, st.integers(0, 2**32 - 1))
def test_experiment_b_data_is_gaussian_over_sqrt_D(D, N, noise, seed):
    d = _noise_part_is_linear(lambda z: rg.experiment_b_data(np.random.default_rng(seed), D=D, N=N, noise=z), noise)
    assert d.X.shape == (N, D) and d.Y.shape == (N, 1) and d.Theta.shape == (D, 1) and edges.all_finite(d)
    replay = np.random.default_rng(seed)
    assert np.array_equal(d.X, replay.standard_normal((N, D)) / np.sqrt(D))
    assert np.array_equal(d.Theta, replay.standard_normal((D, 1)) / np.sqrt(D))


@pytest.mark.parametrize("thunk, argument, error", BAD)
def test_hand_written_bad_input_is_rejected_naming_the_argument(thunk, argument, error):
    edges.rejects(thunk, argument, error)
