"""Shared inputs of the tests of overparam.regression: small valid data, strategies, instances."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from overparam import regression as rg

SHAPES = {  # name: (N, m, n, rank)
    "tall": (7, 4, 2, 4),
    "wide": (3, 6, 2, 3),
    "rank-deficient": (6, 5, 2, 3),
}


def instance(shape, seed, k=5, scale=0.7):
    N, m, n, rank = SHAPES[shape]
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((N, rank)) @ rng.standard_normal((rank, m)) / np.sqrt(m)
    Y = rng.standard_normal((N, n))
    U0 = scale * rng.standard_normal((m, k))
    V0 = scale * rng.standard_normal((n, k))
    return X, Y, U0, V0


EPS = np.finfo(float).eps

# ----------------------------------------------------------------------------------
# small valid inputs

_R0 = np.random.default_rng(20240601)
X_OK = _R0.standard_normal((5, 4))  # N = 5, m = 4, rank 4
Y_OK = _R0.standard_normal((5, 2))  # n = 2
DEC = rg.decompose(X_OK, Y_OK)
U_OK = _R0.standard_normal((4, 3))  # k = 3
V_OK = _R0.standard_normal((2, 3))
X_WIDE = _R0.standard_normal((3, 6))  # rank 3 < m = 6: a null space
Y_WIDE = _R0.standard_normal((3, 2))


def _rng():
    return np.random.default_rng(7)


R = np.random.default_rng(0)


# ----------------------------------------------------------------------------------
# property tests
#
# Tolerances: c = 16 max(N, m) eps is the backward error of numpy's SVD/QR on an
# N x m matrix (a small multiple of max(N, m) eps, Golub & Van Loan 5.4, 8.6); the
# statements below are exact identities in exact arithmetic, so each tolerance is c times
# the size of the numbers involved (and, where a solution depends on X^+, times the
# condition number of X, the standard least-squares perturbation bound).


def _haar(rows, rng):
    """A Haar-random rows x rows orthogonal matrix (numpy QR with sign fix; not the package's helper)."""
    Q, Rq = np.linalg.qr(rng.standard_normal((rows, rows)))
    return Q * np.where(np.diag(Rq) < 0, -1.0, 1.0)


@st.composite
def problems(draw, max_dim=7, max_decades=10.0):
    """Data with a known SVD: X = A_r diag(s) B_r^T, Y = y (A_r C + A_perp G).

    The singular values s lie in [10^lo, 10^hi] within [1e-6, 1e4] (at most max_decades
    apart); rank r from 1 to min(N, m); N < m, N = m and N > m; Y may lie in the column
    space of X (l* = 0) or not. Then l* = y^2 ||G||^2 / 2 and X^+ Y = y B_r diag(1/s) C.
    """
    N = draw(st.integers(1, max_dim))
    m = draw(st.integers(1, max_dim))
    n = draw(st.integers(1, 3))
    r = draw(st.integers(1, min(N, m)))
    hi = draw(st.floats(-6.0, 4.0))
    lo = draw(st.floats(max(-6.0, hi - max_decades), hi))
    y = 10.0 ** draw(st.floats(-6.0, 4.0))
    consistent = draw(st.booleans())
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    s = np.sort(10.0 ** rng.uniform(lo, hi, r))[::-1]
    s[0] = 10.0**hi
    A, B = _haar(N, rng), _haar(m, rng)
    X = (A[:, :r] * s) @ B[:, :r].T
    C = rng.standard_normal((r, n))
    G = np.zeros((N - r, n)) if consistent else rng.standard_normal((N - r, n))
    Y = y * (A[:, :r] @ C + A[:, r:] @ G)
    theta = y * (B[:, :r] / s) @ C
    return X, Y, r, s, 0.5 * y**2 * float(np.sum(G * G)), theta


def _factor(rows, k, scale, rng):
    return scale * rng.standard_normal((rows, k))
