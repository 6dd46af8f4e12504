"""Independent references and strategies shared by the tests of ``overparam.gd`` (not a test module).

The literal gradient-descent loop on (U, V) (not the package's width-free iteration), one
explicit step evaluated in extended precision (``np.longdouble``), the parts of the quartic
written from the lemma, and hypothesis strategies for problems over scales 1e-6 .. 1e4 (factors
and data), imbalance from exactly 0 to large (a tilt U0 -> c U0, V0 -> V0 / c with c up to
1e3), and widths from min(m, n) to 200.
"""

from __future__ import annotations

import numpy as np
from hypothesis import event
from hypothesis import strategies as st

EPS = np.finfo(float).eps
LD = np.longdouble

# a small problem with data (X has full column rank) and a factorization target: valid calls
_rng = np.random.default_rng(20240611)
Y_ = _rng.standard_normal((4, 2))
X_ = _rng.standard_normal((4, 3)) + np.eye(4, 3)
U_ = _rng.standard_normal((3, 5)) / np.sqrt(5)
V_ = _rng.standard_normal((2, 5)) / np.sqrt(5)
YF = _rng.standard_normal((3, 2))  # factorization: Y (3, 2) with U_, V_

# shapes that do not fit each other, for every function of (Y, U, V, X):
# (label, Y, U, V, X, index of the argument named: 0 = Y, 1 = U, 2 = V, 3 = X)
SHAPE_MISMATCHES = [
    ("U-rows-differ-from-Y-rows", YF, np.ones((2, 5)), np.ones((2, 5)), None, 1),
    ("V-rows-differ-from-Y-cols", YF, np.ones((3, 5)), np.ones((3, 5)), None, 2),
    ("V-cols-differ-from-U-cols", YF, np.ones((3, 5)), np.ones((2, 4)), None, 2),
    ("X-rows-differ-from-Y-rows", Y_, U_, V_, np.ones((5, 3)), 3),
    ("U-rows-differ-from-X-cols", Y_, np.ones((4, 5)), V_, X_, 1),
    ("Y-a-vector", np.ones(3), np.ones((3, 5)), np.ones((1, 5)), None, 0),
    ("U-and-V-no-columns", YF, np.ones((3, 0)), np.ones((2, 0)), None, 1),
]


def log10s(lo, hi):
    """10 ** x with x uniform-ish in [lo, hi] (hypothesis also tries the ends)."""
    return st.floats(lo, hi).map(lambda e: 10.0**e)


@st.composite
def problems(draw, regression=None, wide=True):
    """(Y, U0, V0, X): shapes 1 x 1 .. 4 x 4, k from min(m, n) to 200, scales 1e-6 .. 1e4, imbalance 0 .. large."""
    m = draw(st.integers(1, 4))
    n = draw(st.integers(1, 4))
    lo = min(m, n)
    if wide:
        k = draw(st.one_of(st.integers(lo, max(m, n) + 2), st.integers(50, 200)))
    else:
        k = draw(st.integers(lo, max(m, n) + 2))
    if regression is None:
        regression = draw(st.booleans())
    scale = 10.0 ** draw(st.floats(-6, 4))  # ||U0||_2, ||V0||_2 ~ scale
    yscale = 10.0 ** draw(st.floats(-6, 4))
    balanced = draw(st.booleans())
    tilt = 1.0 if balanced else 10.0 ** draw(st.floats(-3, 3))
    seed = draw(st.integers(0, 2**32 - 1))
    event(
        f"k {'>= 50' if k >= 50 else '< 50'}, {'regression' if regression else 'factorization'}, "
        f"{'balanced' if balanced else 'tilted'}"
    )
    rng = np.random.default_rng(seed)
    if regression:
        N = m + draw(st.integers(0, 3))
        X = rng.standard_normal((N, m)) / np.sqrt(N) + np.eye(N, m)
    else:
        N, X = m, None
    Y = yscale * rng.standard_normal((N, n))
    if balanced:
        # U0^T U0 = V0^T V0 exactly up to rounding: Lambda_0 = 0 (zero imbalance)
        r = min(m, n)
        D = np.diag(np.exp(rng.standard_normal(r)))
        Q = np.linalg.qr(rng.standard_normal((k, r)))[0].T  # r x k, orthonormal rows (k >= r)
        Pm = np.linalg.qr(rng.standard_normal((m, m)))[0][:, :r]
        Pn = np.linalg.qr(rng.standard_normal((n, n)))[0][:, :r]
        U0 = scale * Pm @ D @ Q
        V0 = scale * Pn @ D @ Q
    else:
        U0 = scale * tilt * rng.standard_normal((m, k)) / np.sqrt(k)
        V0 = scale / tilt * rng.standard_normal((n, k)) / np.sqrt(k)
    return Y, U0, V0, X


@st.composite
def moderate_problems(draw, regression: bool, wide: bool = False):
    """(Y, U0, V0, X) at scales 0.3 .. 2 and tilts 0.3 .. 3, k from max(m, n) to m + n + 6."""
    m = draw(st.integers(1, 4))
    n = draw(st.integers(1, 4))
    k = draw(st.integers(m + n + 1, m + n + 6)) if wide else draw(st.integers(max(m, n), 6))
    N = m + draw(st.integers(0, 3)) if regression else None
    scale = draw(st.sampled_from([0.3, 1.0, 2.0]))
    tilt = draw(st.sampled_from([0.3, 1.0, 3.0]))  # U0 / V0 scale ratio: imbalance
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((N, m)) / np.sqrt(m) + np.eye(N, m) if regression else None
    Y = rng.standard_normal((N if regression else m, n))
    U0 = scale * tilt * rng.standard_normal((m, k)) / np.sqrt(k)
    V0 = scale / tilt * rng.standard_normal((n, k)) / np.sqrt(k)
    return Y, U0, V0, X


def plain_gd(Y, U0, V0, steps, X=None):
    """The literal loop U <- U + eta G V, V <- V + eta G^T U (not the width-free form)."""
    U, V = np.array(U0, float), np.array(V0, float)
    Xm = np.eye(U.shape[0]) if X is None else X
    out = [(U, V)]
    for eta in steps:
        G = Xm.T @ (Y - Xm @ U @ V.T)
        U, V = U + eta * G @ V, V + eta * G.T @ U
        out.append((U, V))
    return out


def explicit_step_loss(Y, U, V, eta, X=None):
    """The loss after one explicit step, in extended precision (np.longdouble, eps ~ 1e-19)."""
    Y, U, V = (np.asarray(a, LD) for a in (Y, U, V))
    Xm = np.eye(U.shape[0], dtype=LD) if X is None else np.asarray(X, LD)
    G = Xm.T @ (Y - Xm @ U @ V.T)
    U1, V1 = U + LD(eta) * (G @ V), V + LD(eta) * (G.T @ U)
    R = Y - Xm @ U1 @ V1.T
    return float(0.5 * np.sum(R * R))


def quartic_parts(Y, U, V, X=None):
    """E, B1, B2 of l(eta) = ||E - eta B1 - eta^2 B2||^2 / 2, written from the lemma (X = I if None)."""
    Xm = np.eye(U.shape[0]) if X is None else X
    W = U @ V.T
    E = Y - Xm @ W
    G = Xm.T @ E
    return E, Xm @ (G @ V @ V.T + U @ U.T @ G), Xm @ (G @ W.T @ G)


def s_of(X):
    """sigma_1(X), 1 for X = I."""
    return 1.0 if X is None else float(np.linalg.norm(X, 2))


def local_beta(X, U, V):
    """s^2 (||U||_2^2 + ||V||_2^2)."""
    return s_of(X) ** 2 * (np.linalg.norm(U, 2) ** 2 + np.linalg.norm(V, 2) ** 2)


def loss_star_of(Y, X):
    """The least value of the loss, from lstsq."""
    if X is None:
        return 0.0
    R = Y - X @ np.linalg.lstsq(X, Y, rcond=None)[0]
    return 0.5 * float(np.sum(R * R))


def step_amplification(Y, U, V, eta, X=None):
    """A bound on how much one explicit step (U, V) -> (U, V) - eta grad l can grow a small
    perturbation of (U, V): the spectral norm of I - eta H over the Hessian's range.

    The Hessian of l = ||Y - X U V^T||^2 / 2 at (U, V), applied to d = (dU, dV), is
    ||X (dU V^T + U dV^T)||^2 - 2 <G, dU dV^T> with G = X^T (Y - X U V^T), so its eigenvalues
    lie in [-||G||_2, beta], beta = s_X^2 (||U||_2^2 + ||V||_2^2) + ||G||_2 (the first term is
    at most s_X^2 (||V||_2 |dU| + ||U||_2 |dV|)^2, the second at most ||G||_2 |d|^2 by
    Cauchy-Schwarz). Hence ||I - eta H||_2 <= max(1 + eta ||G||_2, eta beta - 1).
    """
    Xm = np.eye(U.shape[0]) if X is None else X
    g = float(np.linalg.norm(Xm.T @ (Y - Xm @ U @ V.T), 2))
    beta = local_beta(X, U, V) + g
    return max(1.0 + eta * g, eta * beta - 1.0)
