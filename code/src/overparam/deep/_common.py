r"""Internals shared by the modules of :mod:`overparam.deep` (private; no input checks
except the ``check_*`` functions, which the public functions call at their boundary).

* the checks of a list of layers, of a deep problem and of the offsets ``d``;
* the chain product :math:`W_L \cdots W_1`, the field :math:`A_l^\top G B_l^\top` and the
  conserved :math:`D_l`;
* the scalar network: the offsets :math:`e_l`, the root :math:`\delta` of
  :math:`p(\delta) = x^2`, the rate factor :math:`\rho_d`;
* the homogeneous offsets :math:`d_l` of layers with :math:`D_l = d_l I`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import _numerics as _nx
from .. import _validate as _v

#: Most Newton steps for the root delta of p(delta) = x^2 (it converges in far fewer).
NEWTON_MAX_STEPS = 200

#: Newton stops when a step moves delta by at most this fraction of delta (a few eps).
NEWTON_STEP_RTOL = 4e-16

#: Cap on the binary exponent of the ratio x^2 / p(delta) of a Newton step, so that
#: ``math.ldexp`` cannot overflow (right of the root the ratio is <= 1 anyway).
RATIO_MAX_EXPONENT = 1000

#: A product (mantissa in [1/2, 1), binary exponent) with an exponent at or above this is
#: taken as inf: from 1025 on ``math.ldexp`` would raise OverflowError (1024 itself, values
#: in [2^1023, 2^1024), is taken as inf too: about 1e308, far beyond any rate of the book).
FLOAT_MAX_EXPONENT = 1024


# ----------------------------------------------------------------------------------
# input checks
# ----------------------------------------------------------------------------------


def layer_name(name: str, i: int) -> str:
    """How a message names layer ``i`` (0-based) of the argument ``name``: ``Ws[0] (W_1)``."""
    return f"{name}[{i}] (W_{i + 1})"


def _not_a_sequence(name: str, Ws: Any) -> str:
    return f"{name} must be a sequence of matrices [W_1, ..., W_L], got {type(Ws).__name__}"


def check_layer_list(name: str, Ws: Any) -> list[np.ndarray]:
    """A non-empty sequence of finite matrices with chained shapes W_{l+1}: h_{l+1} x h_l."""
    if isinstance(Ws, (str, bytes)) or Ws is None or np.isscalar(Ws):
        raise TypeError(_not_a_sequence(name, Ws))
    if isinstance(Ws, np.ndarray) and Ws.ndim != 3:
        raise ValueError(
            f"{name} must be a sequence of matrices [W_1, ..., W_L] (or a 3-D array of equal "
            f"square layers), got an array of shape {Ws.shape}"
        )
    try:
        items = list(Ws)
    except TypeError as exc:
        raise TypeError(_not_a_sequence(name, Ws)) from exc
    if not items:
        raise ValueError(f"{name} must contain at least one layer")
    out = [_v.matrix(layer_name(name, 0), items[0])]
    for i in range(1, len(items)):
        prev = out[-1].shape[0]
        out.append(
            _v.matrix(
                layer_name(name, i),
                items[i],
                cols=prev,
                cols_hint=f"{layer_name(name, i - 1)} has {prev} rows: W_{i + 1} must be "
                f"h_{i + 1} x h_{i} with h_{i} = {prev}",
            )
        )
    return out


def check_layers(
    Y: Any, Ws: Any, X: Any, name: str
) -> tuple[np.ndarray, list[np.ndarray], np.ndarray | None]:
    """Check a deep problem and return float arrays ``(Y, Ws, X)``; ``name`` names the layers.

    Shapes: ``Y`` is (m, n) and ``X`` is None, or ``Y`` is (N, n) and ``X`` is (N, m);
    ``Ws = [W_1, ..., W_L]`` with W_1 of shape (h_1, n), W_l of shape (h_l, h_{l-1}) and
    W_L of shape (m, h_{L-1}).
    """
    Y = _v.matrix("Y", Y)
    if X is None:
        m, n = Y.shape
    else:
        hint = f"Y has {Y.shape[0]} rows: X must be N x m with N = rows of Y"
        X = _v.matrix("X", X, rows=Y.shape[0], rows_hint=hint)
        m, n = X.shape[1], Y.shape[1]
    Ws = check_layer_list(name, Ws)
    if Ws[0].shape[1] != n:
        raise ValueError(
            f"{layer_name(name, 0)} has {Ws[0].shape[1]} columns but Y has {n} columns: "
            "W_1 must be h_1 x n"
        )
    if Ws[-1].shape[0] != m:
        what = f"X has {m} columns" if X is not None else f"Y has {m} rows"
        raise ValueError(
            f"{layer_name(name, len(Ws) - 1)} has {Ws[-1].shape[0]} rows but {what}: "
            "the last layer must be m x h_(L-1)"
        )
    return Y, Ws, X


def check_square(name: str, Ws: list[np.ndarray]) -> int:
    """The common size n of square layers; ``ValueError`` naming the first one that is not n x n."""
    n = Ws[0].shape[1]
    for i, Wl in enumerate(Ws):
        if Wl.shape != (n, n):
            raise ValueError(
                f"{layer_name(name, i)} has shape {Wl.shape}: this bound is proved for square "
                f"layers, all {n} x {n} (m = n = h_1 = ... = h_(L-1))"
            )
    return n


def check_offsets(name: str, d: Any) -> np.ndarray:
    """The L - 1 conserved differences d_l as a 1-D float array (a scalar is one d_l)."""
    d = _v.real_array(name, d)
    if d.ndim == 0:
        d = d.reshape(1)
    if d.ndim != 1:
        raise ValueError(
            f"{name} must be a 1-D array of the L - 1 imbalances d_l, got shape {d.shape}"
        )
    return d


# ----------------------------------------------------------------------------------
# the chain, the field, the conserved quantities
# ----------------------------------------------------------------------------------


def chain(Ws: Sequence[np.ndarray]) -> np.ndarray:
    r"""The product :math:`W_L \cdots W_1` of ``Ws = [W_1, ..., W_L]``."""
    W = Ws[0]
    for Wl in Ws[1:]:
        W = Wl @ W
    return W


def field(Ws: Sequence[np.ndarray], G: np.ndarray) -> list[np.ndarray]:
    r"""The list of :math:`A_l^\top G B_l^\top`, :math:`l = 1, \dots, L`.

    One forward pass for the :math:`B_l`, one backward pass for the :math:`A_l^\top G`.
    """
    L = len(Ws)
    B: list[Any] = [None] * L  # B[i] = W_{i+1} ... W_1 (0-based i): B[i] is B_{i+2} in the book
    acc = None
    for i in range(L - 1):
        acc = Ws[i] if acc is None else Ws[i] @ acc
        B[i] = acc
    out: list[Any] = [None] * L
    M = G  # A_l^T G, starting from l = L where A_L = I
    for i in range(L - 1, -1, -1):
        out[i] = M if i == 0 else M @ B[i - 1].T
        M = Ws[i].T @ M
    return out


def conserved(Ws: Sequence[np.ndarray]) -> list[np.ndarray]:
    r"""The :math:`D_l = W_{l+1}^\top W_{l+1} - W_l W_l^\top`, :math:`l = 1, \dots, L - 1`."""
    return [Ws[i + 1].T @ Ws[i + 1] - Ws[i] @ Ws[i].T for i in range(len(Ws) - 1)]


def lam_min(S: np.ndarray) -> float:
    """The smallest eigenvalue of the symmetric part of S."""
    return float(_nx.eigenvalues_desc(S)[-1])


def homogeneous_offsets(name: str, Ws: list[np.ndarray], rtol: float) -> np.ndarray:
    r"""The :math:`d_l` with :math:`D_l = d_l I` for every l, or ``ValueError`` naming ``name``.

    :math:`d_l = \operatorname{tr}(D_l) / h_l`, accepted when :math:`\lVert D_l - d_l I \rVert_2
    \le \mathrm{rtol}\,(\lVert W_{l+1}\rVert_2^2 + \lVert W_l\rVert_2^2)`.
    """
    out = []
    for i, D in enumerate(conserved(Ws)):
        dl, dev = _nx.homogeneous_part(D)
        scale = _nx.gram_scale(Ws[i + 1], Ws[i])
        if dev > rtol * scale:
            raise ValueError(
                f"{name}: D_{i + 1} = W_{i + 2}^T W_{i + 2} - W_{i + 1} W_{i + 1}^T is not a "
                f"multiple of the identity (it differs from {dl:.6g} I by {dev:.3g} in the "
                f"2-norm, more than rtol * scale = {rtol * scale:.3g}); the layers need a "
                "homogeneous imbalance"
            )
        out.append(dl)
    return np.array(out)


# ----------------------------------------------------------------------------------
# the scalar network: layer squares and the rate factor
# ----------------------------------------------------------------------------------


def offsets(d: np.ndarray) -> np.ndarray:
    """e_l = c_l - min c >= 0 with c_l = d_1 + ... + d_{l-1} (c_1 = 0); at least one e_l is 0."""
    c = np.concatenate([[0.0], np.cumsum(d)])
    return c - c.min()


def _prod(values: Sequence[float]) -> tuple[float, int]:
    """The product of positive floats as (mantissa, exponent).

    No overflow or underflow, and the rounding error of plain multiplication (one eps per
    factor), not that of exp(sum(log)) (|log| eps, 18 eps for a product of 1e8).
    """
    m, ex = 1.0, 0
    for v in values:
        fm, fe = math.frexp(v)
        m, e2 = math.frexp(m * fm)
        ex += fe + e2
    return m, ex


def _delta(ax: float, e: list[float]) -> float:
    r"""The root :math:`\delta \ge 0` of :math:`p(\delta) = \prod_l (\delta + e_l) = x^2` (Newton).

    ``ax`` is :math:`\lvert x\rvert`; the offsets are :math:`e_l \ge 0`, some of them 0.
    :math:`p` is increasing and convex on :math:`[0, \infty)` (all its roots are
    :math:`\le 0`), so Newton's method from a point right of the root decreases
    monotonically to it. Two upper bounds of the root: :math:`\lvert x\rvert^{2/L}` (every
    factor is :math:`\ge \delta`) and :math:`(x^2 / \pi)^{1/r}`, with r the number of zero
    offsets and :math:`\pi` the product of the others (book: chapter 7,
    ``prop-deep-thinnest``). The start is computed in logarithms, and the ratio
    :math:`x^2 / p(\delta)` of the Newton step
    :math:`(1 - x^2 / p(\delta)) / \sum_l 1 / (\delta + e_l)` as mantissas and exponents,
    so that :math:`x^2` may underflow or overflow and the root is still accurate to a few eps.
    """
    if ax <= 0.0:
        return 0.0
    if not math.isfinite(ax):  # a trial stage of the solver may overflow; the step is rejected
        return math.inf
    L = len(e)
    log_x2 = 2.0 * math.log(ax)
    positive = [a for a in e if a > 0.0]
    r = L - len(positive)
    log_start = log_x2 / L
    if positive:
        log_start = min(log_start, (log_x2 - sum(math.log(a) for a in positive)) / r)
    delta = math.exp(log_start)
    if delta == 0.0:  # the root underflows
        return 0.0
    mx, ex = _prod([ax, ax])
    for _ in range(NEWTON_MAX_STEPS):
        mp, ep = _prod([delta + a for a in e])
        # x^2 / p(delta), <= 1 right of the root
        ratio = math.ldexp(mx / mp, min(ex - ep, RATIO_MAX_EXPONENT))
        step = (1.0 - ratio) / sum(1.0 / (delta + a) for a in e)
        new = delta - step
        if not new > 0.0:  # rounding took the iterate past 0: the root is tiny, halve instead
            new = 0.5 * delta
        if abs(new - delta) <= NEWTON_STEP_RTOL * delta:
            return new
        delta = new
    return delta


def squares(x: float, e: np.ndarray) -> list[float]:
    r"""The layer squares :math:`w_l^2 = \delta + e_l` of a scalar network: product x, offsets e."""
    el = [float(a) for a in e]
    delta = _delta(abs(x), el)
    return [delta + a for a in el]


def rho(x: float, e: np.ndarray) -> float:
    r""":math:`\rho_d(x) = \sum_l \prod_{j \ne l} w_j^2`, offsets e.

    Each product is formed as mantissa and exponent: no underflow for tiny x.
    """
    s = squares(x, e)
    L = len(s)
    total = 0.0
    for i in range(L):
        others = [s[j] for j in range(L) if j != i]
        if all(v > 0.0 for v in others):
            if not all(math.isfinite(v) for v in others):
                return math.inf  # an overflowing trial stage of the solver
            m, ex = _prod(others)
            total += math.ldexp(m, ex) if ex < FLOAT_MAX_EXPONENT else math.inf
    return total
