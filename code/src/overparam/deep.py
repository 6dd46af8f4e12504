r"""Gradient flow of deep linear networks :math:`W = W_L \cdots W_1` (book: chapter 7).

Shapes
------
The network maps :math:`\mathbb{R}^n \to \mathbb{R}^m` through hidden widths
:math:`h_1, \dots, h_{L-1}`; with :math:`h_0 = n` and :math:`h_L = m`,

.. math::

    W = W_L W_{L-1} \cdots W_1, \qquad W_l \in \mathbb{R}^{h_l \times h_{l-1}},

so :math:`W_1` (:math:`h_1 \times n`) acts first and :math:`W_L`
(:math:`m \times h_{L-1}`) last. A list ``Ws = [W_1, ..., W_L]`` holds the layers in
that order (``Ws[0]`` is :math:`W_1`). For :math:`L = 2` this is the two-layer model
of the rest of the book, :math:`W = U V^\top`, with :math:`W_2 = U` and
:math:`W_1 = V^\top`. (Min, Vidal and Mallada, ICML 2023, write the product in the
opposite order, :math:`W_1 W_2 \cdots W_L`.)

The loss is :math:`\ell = \tfrac12 \lVert Y - X W \rVert_F^2` (``X = None`` means
:math:`X = I`, matrix factorization), and with :math:`G = X^\top (Y - X W)` and the
partial products :math:`A_l = W_L \cdots W_{l+1}` (:math:`A_L = I_m`),
:math:`B_l = W_{l-1} \cdots W_1` (:math:`B_1 = I_n`) the gradient flow is

.. math::

    \dot W_l = -\nabla_{W_l} \ell = A_l^\top G B_l^\top, \qquad l = 1, \dots, L .

It conserves the :math:`L - 1` matrices
:math:`D_l = W_{l+1}^\top W_{l+1} - W_l W_l^\top` (:math:`h_l \times h_l`); for
:math:`L = 2`, :math:`D_1 = U^\top U - V^\top V = \Lambda`.

Scalar networks
---------------
For scalars :math:`w_1, \dots, w_L` with product :math:`x` and conserved differences
:math:`d_l = w_{l+1}^2 - w_l^2`, the product obeys the induced flow
:math:`\dot x = (y - x)\, \rho_d(x)` with the *rate factor*

.. math::

    \rho_d(x) = \sum_{l=1}^L \prod_{j \ne l} w_j^2, \qquad
    w_l^2 = s + c_l, \quad c_l = d_1 + \dots + d_{l-1}, \quad \prod_l (s + c_l) = x^2,

where :math:`s = w_1^2` is the unique root with every :math:`s + c_l \ge 0`. Balanced
(:math:`d = 0`): :math:`\rho_0(x) = L \lvert x \rvert^{2 - 2/L}`. By the AM-GM
inequality :math:`\rho_d(x) \ge L \lvert x \rvert^{2 - 2/L}` for every :math:`d`.
The same function bounds the rate of square matrix networks with homogeneous
imbalance :math:`D_l = d_l I`, evaluated at :math:`\sigma_{\min}(W)`.

Bounds (book: chapter 7; derived in the book, not quoted from the paper)
-------------------------------------------------------------------------
* :func:`local_rate`: :math:`\dot\ell \le -\alpha(t)\,\ell` with
  :math:`\alpha = 2 \sum_l \lambda_m(A_l A_l^\top)\, \lambda_n(B_l^\top B_l)` (any shapes,
  ``X = I``; ``prop-deep-local-rate``).
* :func:`homogeneous_rate_bound`: square layers, :math:`D_l = d_l I`:
  :math:`\ell(t) \le \ell(0) e^{-2\rho_d(\mu) t}`, :math:`\mu = \max(\sigma_{\min}(Y) - \lVert Y - W_0 \rVert_F, 0)`
  (``thm-deep-homogeneous``).
* :func:`imbalance_rate_bound`: square layers, any :math:`D_l`:
  :math:`\ell(t) \le \ell(0) e^{-2\kappa t}` with :math:`\kappa` from the extreme
  eigenvalues of the :math:`D_l` alone (``thm-deep-imbalance``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.integrate import quad

from . import _validate as _v
from ._ode import integrate
from .spectral import random_orthogonal

__all__ = [
    "DeepTrajectory",
    "ScalarDeepTrajectory",
    "check_layers",
    "product",
    "loss",
    "vector_field",
    "gradient_flow",
    "conserved_quantities",
    "conservation_drift",
    "scalar_flow",
    "layer_squares",
    "rate_factor",
    "induced_rhs",
    "induced_flow",
    "hitting_time",
    "homogeneous_init",
    "homogeneous_imbalance",
    "margin",
    "local_rate",
    "homogeneous_rate_bound",
    "imbalance_lower_bounds",
    "imbalance_rate_bound",
    "loss_bound",
]

BOUNDS = ("homogeneous", "imbalance")


# ----------------------------------------------------------------------------------
# trajectories
# ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeepTrajectory:
    r"""A solution of the deep gradient flow at the requested times.

    Attributes
    ----------
    t : ndarray, shape (T,)
        The times, as requested.
    W : ndarray, shape (T, m, n)
        The product :math:`W(t) = W_L(t) \cdots W_1(t)`.
    loss : ndarray, shape (T,)
        :math:`\ell(t) = \tfrac12 \lVert Y - X W(t) \rVert_F^2`.
    Ws : tuple of L ndarrays
        ``Ws[l - 1]`` has shape (T, h_l, h_{l-1}): the layer :math:`W_l(t)`.
    """

    t: np.ndarray
    W: np.ndarray
    loss: np.ndarray
    Ws: tuple[np.ndarray, ...]


@dataclass(frozen=True)
class ScalarDeepTrajectory:
    r"""A solution of the scalar deep flow at the requested times.

    Attributes
    ----------
    t : ndarray, shape (T,)
    w : ndarray, shape (T, L)
        The layers :math:`w_1(t), \dots, w_L(t)`.
    x : ndarray, shape (T,)
        The product :math:`x = w_1 \cdots w_L`.
    loss : ndarray, shape (T,)
        :math:`(y - x)^2 / 2`.
    """

    t: np.ndarray
    w: np.ndarray
    x: np.ndarray
    loss: np.ndarray


# ----------------------------------------------------------------------------------
# input checks
# ----------------------------------------------------------------------------------


def _layer_name(name: str, i: int) -> str:
    return f"{name}[{i}] (W_{i + 1})"


def _layers(name: str, Ws: Any) -> list[np.ndarray]:
    """A non-empty sequence of finite matrices with chained shapes W_{l+1}: h_{l+1} x h_l."""
    if isinstance(Ws, (str, bytes)) or Ws is None or np.isscalar(Ws):
        raise TypeError(f"{name} must be a sequence of matrices [W_1, ..., W_L], got {type(Ws).__name__}")
    if isinstance(Ws, np.ndarray) and Ws.ndim != 3:
        raise ValueError(
            f"{name} must be a sequence of matrices [W_1, ..., W_L] (or a 3-D array of equal square layers), "
            f"got an array of shape {Ws.shape}"
        )
    try:
        items = list(Ws)
    except TypeError as exc:
        raise TypeError(f"{name} must be a sequence of matrices [W_1, ..., W_L], got {type(Ws).__name__}") from exc
    if not items:
        raise ValueError(f"{name} must contain at least one layer")
    out = [_v.matrix(_layer_name(name, 0), items[0])]
    for i in range(1, len(items)):
        prev = out[-1].shape[0]
        out.append(
            _v.matrix(
                _layer_name(name, i),
                items[i],
                cols=prev,
                cols_hint=f"{_layer_name(name, i - 1)} has {prev} rows: W_{i + 1} must be h_{i + 1} x h_{i} "
                f"with h_{i} = {prev}",
            )
        )
    return out


def check_layers(Y, Ws0, X=None):
    r"""Validate a deep problem and return float arrays ``(Y, Ws0, X)``.

    Shapes: ``Y`` is (m, n) and ``X`` is None, or ``Y`` is (N, n) and ``X`` is (N, m);
    ``Ws0 = [W_1, ..., W_L]`` with :math:`W_1` of shape (h_1, n), :math:`W_l` of shape
    (h_l, h_{l-1}) and :math:`W_L` of shape (m, h_{L-1}). Raises ``ValueError`` naming
    the argument (and the layer) whose shape or entries do not fit, ``TypeError`` for a
    value that is not numeric or not a sequence.
    """
    return _check_layers(Y, Ws0, X, "Ws0")


def _check_layers(Y, Ws, X, name: str):
    """check_layers, naming the layer argument ``name`` in the messages."""
    Y = _v.matrix("Y", Y)
    if X is None:
        m, n = Y.shape
    else:
        X = _v.matrix("X", X, rows=Y.shape[0], rows_hint=f"Y has {Y.shape[0]} rows: X must be N x m with N = rows of Y")
        m, n = X.shape[1], Y.shape[1]
    Ws = _layers(name, Ws)
    if Ws[0].shape[1] != n:
        raise ValueError(
            f"{_layer_name(name, 0)} has {Ws[0].shape[1]} columns but Y has {n} columns: W_1 must be h_1 x n"
        )
    if Ws[-1].shape[0] != m:
        what = f"X has {m} columns" if X is not None else f"Y has {m} rows"
        raise ValueError(
            f"{_layer_name(name, len(Ws) - 1)} has {Ws[-1].shape[0]} rows but {what}: the last layer must be m x h_(L-1)"
        )
    return Y, Ws, X


def _square_layers(name: str, Ws: list[np.ndarray]) -> int:
    n = Ws[0].shape[1]
    for i, Wl in enumerate(Ws):
        if Wl.shape != (n, n):
            raise ValueError(
                f"{_layer_name(name, i)} has shape {Wl.shape}: this bound is proved for square layers, "
                f"all {n} x {n} (m = n = h_1 = ... = h_(L-1))"
            )
    return n


def _imbalances(name: str, d: Any) -> np.ndarray:
    d = _v.real_array(name, d)
    if d.ndim == 0:
        d = d.reshape(1)
    if d.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array of the L - 1 imbalances d_l, got shape {d.shape}")
    return d


# ----------------------------------------------------------------------------------
# the model and its flow
# ----------------------------------------------------------------------------------


def _chain(Ws: list[np.ndarray]) -> np.ndarray:
    W = Ws[0]
    for Wl in Ws[1:]:
        W = Wl @ W
    return W


def product(Ws) -> np.ndarray:
    r"""The end-to-end map :math:`W = W_L \cdots W_1` of ``Ws = [W_1, ..., W_L]``, shape (m, n)."""
    return _chain(_layers("Ws", Ws))


def loss(Y, Ws, *, X=None) -> float:
    r"""The loss :math:`\ell = \tfrac12 \lVert Y - X W_L \cdots W_1 \rVert_F^2` (``X = I`` when None)."""
    Y, Ws, X = _check_layers(Y, Ws, X, "Ws")
    W = _chain(Ws)
    R = Y - (W if X is None else X @ W)
    return 0.5 * float(np.sum(R * R))


def _field(Ws: list[np.ndarray], G: np.ndarray) -> list[np.ndarray]:
    """[A_l^T G B_l^T for l = 1..L]: one forward pass for the B_l, one backward for A_l^T G."""
    L = len(Ws)
    B = [None] * L  # B[l] = W_l ... W_1 with 0-based l: B[l] is B_{l+2} in the 1-based notation
    acc = None
    for i in range(L - 1):
        acc = Ws[i] if acc is None else Ws[i] @ acc
        B[i] = acc
    out = [None] * L
    M = G  # A_l^T G, starting from l = L where A_L = I
    for i in range(L - 1, -1, -1):
        out[i] = M if i == 0 else M @ B[i - 1].T
        M = Ws[i].T @ M
    return out


def vector_field(Y, Ws, *, X=None) -> list[np.ndarray]:
    r"""The negative gradients :math:`-\nabla_{W_l}\ell = A_l^\top G B_l^\top`, :math:`l = 1, \dots, L`.

    With :math:`G = X^\top (Y - X W)`, :math:`A_l = W_L \cdots W_{l+1}` and
    :math:`B_l = W_{l-1} \cdots W_1` (empty products are identities).

    Returns
    -------
    list of L ndarrays, the shapes of the layers
    """
    Y, Ws, X = _check_layers(Y, Ws, X, "Ws")
    W = _chain(Ws)
    G = Y - W if X is None else X.T @ (Y - X @ W)
    return _field(Ws, G)


def gradient_flow(Y, Ws0, t, *, X=None, rtol: float = 1e-10, atol: float = 1e-12) -> DeepTrajectory:
    r"""Solve the gradient flow of :math:`\tfrac12 \lVert Y - X W_L \cdots W_1 \rVert_F^2` from ``Ws0``.

    .. math::

        \dot W_l = (W_L \cdots W_{l+1})^\top\, X^\top (Y - X W)\, (W_{l-1} \cdots W_1)^\top,
        \qquad l = 1, \dots, L,

    integrated in the layers themselves with the package's DOP853 integrator, which
    stops exactly at each requested time (request few times: each costs steps).

    Parameters
    ----------
    Y : array_like, shape (m, n), or (N, n) when ``X`` is given
    Ws0 : sequence of L array_like
        Initial layers ``[W_1, ..., W_L]``, :math:`W_l` of shape (h_l, h_{l-1}),
        :math:`h_0 = n`, :math:`h_L = m`. ``L = 2`` with ``[V0.T, U0]`` is
        :func:`overparam.flow.gradient_flow` from ``(U0, V0)``.
    t : array_like, shape (T,)
        Non-decreasing times ``>= 0``.
    X : array_like, shape (N, m), optional
        Data matrix; ``None`` means :math:`X = I`.
    rtol, atol : float
        Tolerances of the solver.

    Returns
    -------
    DeepTrajectory
        ``t``, ``W`` (T, m, n), ``loss`` (T,), ``Ws`` (the layers at each time).

    Raises
    ------
    ValueError
        If a shape does not fit, an entry is not finite, the times are negative or
        decreasing, or a tolerance is not positive.
    TypeError
        If ``Ws0`` is not a sequence or an entry is not numeric.
    """
    Y, Ws0, X = check_layers(Y, Ws0, X)
    t = _v.times("t", t)
    rtol = _v.positive_scalar("rtol", rtol)
    atol = _v.positive_scalar("atol", atol)
    shapes = [Wl.shape for Wl in Ws0]
    sizes = [a * b for a, b in shapes]
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    if X is None:
        def residual_grad(W):
            return Y - W
    else:
        XtX, XtY = X.T @ X, X.T @ Y

        def residual_grad(W):
            return XtY - XtX @ W

    def unpack(z):
        return [z[offsets[i]:offsets[i + 1]].reshape(shapes[i]) for i in range(len(shapes))]

    def fun(z):
        Ws = unpack(z)
        return np.concatenate([g.ravel() for g in _field(Ws, residual_grad(_chain(Ws)))])

    states = integrate(fun, np.concatenate([Wl.ravel() for Wl in Ws0]), t, rtol, atol)
    layers = tuple(states[:, offsets[i]:offsets[i + 1]].reshape((-1,) + shapes[i]) for i in range(len(shapes)))
    W = layers[0]
    for Wl in layers[1:]:
        W = Wl @ W
    R = Y[None] - (W if X is None else X[None] @ W)
    return DeepTrajectory(t=t, W=W, loss=0.5 * np.sum(R * R, axis=(1, 2)), Ws=layers)


# ----------------------------------------------------------------------------------
# conservation
# ----------------------------------------------------------------------------------


def conserved_quantities(Ws) -> list[np.ndarray]:
    r"""The :math:`L - 1` matrices :math:`D_l = W_{l+1}^\top W_{l+1} - W_l W_l^\top` (:math:`h_l \times h_l`).

    They are constant along the gradient flow (book: chapter 7,
    ``prop-deep-conservation``); for :math:`L = 2`, :math:`D_1 = U^\top U - V^\top V`.

    Parameters
    ----------
    Ws : sequence of L matrices ``[W_1, ..., W_L]`` with chained shapes

    Returns
    -------
    list of L - 1 ndarrays (empty for L = 1)
    """
    Ws = _layers("Ws", Ws)
    return [Ws[i + 1].T @ Ws[i + 1] - Ws[i] @ Ws[i].T for i in range(len(Ws) - 1)]


def conservation_drift(run: DeepTrajectory) -> np.ndarray:
    r"""Relative drift of the conserved quantities along a trajectory, shape (T,).

    .. math::

        \max_l \frac{\lVert D_l(t) - D_l(0) \rVert_F}{\lVert W_{l+1}(t) \rVert_F^2 + \lVert W_l(t) \rVert_F^2},

    the size of the violation compared with the size of the two terms that cancel
    (0 for L = 1).
    """
    if not isinstance(run, DeepTrajectory):
        raise TypeError(f"run must be a DeepTrajectory (from gradient_flow), got {type(run).__name__}")
    t = _v.times("run.t", run.t)
    T = t.size
    if isinstance(run.Ws, (str, bytes)) or not isinstance(run.Ws, (tuple, list)) or not run.Ws:
        raise TypeError(f"run.Ws must be a non-empty tuple of the layers at each time, got {type(run.Ws).__name__}")
    Ws = [_v.real_array(f"run.Ws[{i}]", Wl) for i, Wl in enumerate(run.Ws)]
    for i, Wl in enumerate(Ws):
        if Wl.ndim != 3 or Wl.shape[0] != T:
            raise ValueError(f"run.Ws[{i}] must have shape (T, h_{i + 1}, h_{i}) with T = {T} times, got {Wl.shape}")
        if i and Wl.shape[2] != Ws[i - 1].shape[1]:
            raise ValueError(
                f"run.Ws[{i}] has {Wl.shape[2]} columns but run.Ws[{i - 1}] has {Ws[i - 1].shape[1]} rows: "
                "the layers do not chain"
            )
    drift = np.zeros(T)
    for i in range(len(Ws) - 1):
        A, B = Ws[i + 1], Ws[i]
        D = np.swapaxes(A, 1, 2) @ A - B @ np.swapaxes(B, 1, 2)
        size = np.linalg.norm(A, axis=(1, 2)) ** 2 + np.linalg.norm(B, axis=(1, 2)) ** 2
        gap = np.linalg.norm(D - D[0], axis=(1, 2)) / np.maximum(size, np.finfo(float).tiny)
        drift = np.maximum(drift, gap)
    return drift


# ----------------------------------------------------------------------------------
# scalar networks
# ----------------------------------------------------------------------------------


def scalar_flow(y, w0, t, *, rtol: float = 1e-10, atol: float = 1e-12) -> ScalarDeepTrajectory:
    r"""Solve the scalar deep flow :math:`\dot w_l = (y - x) \prod_{j \ne l} w_j`, :math:`x = w_1 \cdots w_L`.

    Parameters
    ----------
    y : float
        The target.
    w0 : array_like, shape (L,)
        Initial layers :math:`w_1(0), \dots, w_L(0)`.
    t : array_like, shape (T,)
        Non-decreasing times ``>= 0``.
    rtol, atol : float
        Tolerances of the solver.
    """
    y = _v.real_scalar("y", y)
    w0 = _v.real_array("w0", w0)
    if w0.ndim != 1 or w0.size == 0:
        raise ValueError(f"w0 must be a non-empty 1-D array of the L layers, got shape {w0.shape}")
    t = _v.times("t", t)
    rtol = _v.positive_scalar("rtol", rtol)
    atol = _v.positive_scalar("atol", atol)

    def fun(w):
        before = np.concatenate([[1.0], np.cumprod(w[:-1])])
        after = np.concatenate([np.cumprod(w[::-1][:-1])[::-1], [1.0]])
        others = before * after
        return (y - w[0] * others[0]) * others

    w = integrate(fun, w0, t, rtol, atol)
    x = np.prod(w, axis=1)
    return ScalarDeepTrajectory(t=t, w=w, x=x, loss=0.5 * (y - x) ** 2)


def _offsets(d: np.ndarray) -> np.ndarray:
    """e_l = c_l - min c >= 0 with c_l = d_1 + ... + d_{l-1} (c_1 = 0); at least one e_l is 0."""
    c = np.concatenate([[0.0], np.cumsum(d)])
    return c - c.min()


def _prod(values) -> tuple[float, int]:
    """The product of positive floats as (mantissa, exponent): no overflow or underflow, and the
    rounding error of plain multiplication (one eps per factor), not that of exp(sum(log))
    (|log| eps, 18 eps for a product of 1e8)."""
    m, ex = 1.0, 0
    for v in values:
        fm, fe = math.frexp(v)
        m, e2 = math.frexp(m * fm)
        ex += fe + e2
    return m, ex


def _delta(ax: float, e: list[float]) -> float:
    """The root delta >= 0 of prod_l (delta + e_l) = ax^2 (e_l >= 0, some e_l = 0), by Newton from the right.

    P(delta) = prod(delta + e_l) is increasing and convex on [0, inf) (all its roots are
    <= 0), so Newton's method from a point right of the root decreases monotonically to
    it. Two upper bounds of the root: |x|^(2/L) (every factor is >= delta) and
    (x^2 / prod_{e_l > 0} e_l)^(1/k) with k the number of zero offsets. The start is
    computed in logarithms, and the ratio x^2 / P of the Newton step
    (1 - x^2 / P) / sum_l 1 / (delta + e_l) as mantissas and exponents (``_prod``), so
    that x^2 may underflow or overflow and the root is still accurate to a few eps.
    """
    if ax <= 0.0:
        return 0.0
    if not math.isfinite(ax):  # a trial stage of the solver may overflow; the step is rejected
        return math.inf
    L = len(e)
    log_x2 = 2.0 * math.log(ax)
    pos = [a for a in e if a > 0.0]
    k = L - len(pos)
    log_start = log_x2 / L
    if pos:
        log_start = min(log_start, (log_x2 - sum(math.log(a) for a in pos)) / k)
    delta = math.exp(log_start)
    if delta == 0.0:  # the root underflows
        return 0.0
    mx, ex = _prod([ax, ax])
    for _ in range(200):
        mp, ep = _prod([delta + a for a in e])
        ratio = math.ldexp(mx / mp, min(ex - ep, 1000))  # x^2 / P(delta), <= 1 right of the root
        step = (1.0 - ratio) / sum(1.0 / (delta + a) for a in e)
        new = delta - step
        if not new > 0.0:  # rounding took the iterate past 0: the root is tiny, halve instead
            new = 0.5 * delta
        if abs(new - delta) <= 4e-16 * delta:
            return new
        delta = new
    return delta


def _squares(x: float, e: np.ndarray) -> list[float]:
    el = [float(a) for a in e]
    delta = _delta(abs(x), el)
    return [delta + a for a in el]


def _rho(x: float, e: np.ndarray) -> float:
    """sum_l prod_{j != l} s_j, each product formed as mantissa and exponent (no underflow for tiny x)."""
    s = _squares(x, e)
    L = len(s)
    total = 0.0
    for i in range(L):
        others = [s[j] for j in range(L) if j != i]
        if all(v > 0.0 for v in others):
            if not all(math.isfinite(v) for v in others):
                return math.inf  # an overflowing trial stage of the solver
            m, ex = _prod(others)
            total += math.ldexp(m, ex) if ex < 1024 else math.inf
    return total


def layer_squares(x, d) -> np.ndarray:
    r"""The squared layers :math:`w_1^2, \dots, w_L^2` of a scalar network with product ``x`` and imbalances ``d``.

    They are the unique non-negative numbers with :math:`w_{l+1}^2 - w_l^2 = d_l` and
    :math:`\prod_l w_l^2 = x^2` (book: chapter 7, the scalar deep network).

    Parameters
    ----------
    x : float
        The product (only :math:`\lvert x \rvert` matters).
    d : array_like, shape (L - 1,)
        The conserved differences :math:`d_l = w_{l+1}^2 - w_l^2`; empty for L = 1.

    Returns
    -------
    ndarray, shape (L,)
    """
    x = _v.real_scalar("x", x)
    d = _imbalances("d", d)
    return np.array(_squares(x, _offsets(d)))


def rate_factor(x, d):
    r"""The rate factor :math:`\rho_d(x) = \sum_l \prod_{j \ne l} w_j^2` of the induced flow :math:`\dot x = (y - x)\rho_d(x)`.

    The :math:`w_l^2` are those of :func:`layer_squares`. Special cases:
    :math:`L = 1`: :math:`\rho = 1` (the plain model); :math:`L = 2`:
    :math:`\rho = \sqrt{d_1^2 + 4x^2}` (the scalar induced flow of chapter 3, with
    :math:`d_1 = \lambda_0`); balanced (:math:`d = 0`):
    :math:`\rho_0(x) = L\lvert x\rvert^{2 - 2/L}`. Always
    :math:`\rho_d(x) \ge L\lvert x\rvert^{2-2/L}` (AM-GM), and :math:`\rho_d` increases
    with :math:`\lvert x \rvert`. At :math:`x = 0`, :math:`\rho_d(0) > 0` exactly when the
    smallest :math:`w_l^2` is attained by a single layer.

    Parameters
    ----------
    x : array_like
        Products (any shape).
    d : array_like, shape (L - 1,)

    Returns
    -------
    float or ndarray of the shape of ``x``
    """
    x = _v.real_array("x", x)
    d = _imbalances("d", d)
    e = _offsets(d)
    out = np.array([_rho(float(v), e) for v in x.ravel()]).reshape(x.shape)
    return float(out) if out.ndim == 0 else out


def induced_rhs(x, y, d):
    r"""Right-hand side of the induced flow :math:`\dot x = (y - x)\,\rho_d(x)` (see :func:`rate_factor`)."""
    y = _v.real_scalar("y", y)
    rho = rate_factor(x, d)
    return (y - np.asarray(x, dtype=float)) * rho if np.ndim(rho) else (y - float(x)) * rho


def induced_flow(y, x0, d, t, *, rtol: float = 1e-10, atol: float = 1e-12) -> np.ndarray:
    r"""Solve the induced flow :math:`\dot x = (y - x)\rho_d(x)` of a scalar depth-L network numerically.

    With balanced layers (:math:`d = 0`) it is :math:`\dot x = L (y - x)\lvert x\rvert^{2 - 2/L}`.

    Parameters
    ----------
    y, x0 : float
        Target and initial product :math:`x_0 = w_1(0) \cdots w_L(0)`.
    d : array_like, shape (L - 1,)
        Conserved differences :math:`d_l = w_{l+1}(0)^2 - w_l(0)^2`.
    t : array_like, shape (T,)
        Non-decreasing times ``>= 0``.

    rtol, atol : float
        Tolerances of the solver. When x keeps its sign (``x0`` and ``y`` of the same
        sign, or :math:`\rho_d(0) = 0`) the flow is integrated in :math:`\log\lvert x\rvert`,
        so that both bound the error of :math:`\log\lvert x\rvert`, i.e. the relative error of x.
        When x passes through 0 (:math:`\rho_d(0) > 0`), the time it gets there is
        :func:`hitting_time` (which may be very long when :math:`\rho_d(0)` is tiny), the
        stretch before it is integrated in :math:`\log\lvert x\rvert` and the one after it
        from a tiny x of the sign of y, with ``atol`` below it.

    Returns
    -------
    ndarray, shape (T,)
    """
    y = _v.real_scalar("y", y)
    x0 = _v.real_scalar("x0", x0)
    d = _imbalances("d", d)
    t = _v.times("t", t)
    rtol = _v.positive_scalar("rtol", rtol)
    atol = _v.positive_scalar("atol", atol)
    e = _offsets(d)

    def in_log(x_start: float, times: np.ndarray) -> np.ndarray:
        # Integrate u = log|x|, u' = (y - x) rho_d(x) / x, on a stretch where x keeps the sign of
        # x_start: in x itself an explicit step overshot through 0 once |x| fell below atol, and
        # the run then converged to y instead of 0 (y of the other sign, balanced layers); and a
        # tiny x0 (1e-24 for L = 4 layers of 1e-6) was below atol, so it was not followed at all.
        sgn = math.copysign(1.0, x_start)

        def fun(z):
            # below the smallest normal float, x is 0 to double precision: freeze the rate
            # there (x itself, returned as sgn * exp(u), underflows to 0 as it should);
            # exp(u) of a trial stage may overflow: inf makes the solver reject that step
            x = sgn * max(math.exp(z[0]) if z[0] < 709.0 else math.inf, np.finfo(float).tiny)
            return np.array([(y - x) * _rho(x, e) / x])

        states = integrate(fun, np.array([math.log(abs(x_start))]), times, rtol, atol)
        return sgn * np.exp(states[:, 0])

    rho0 = _rho(0.0, e)
    if x0 != 0.0 and (x0 * y >= 0.0 or rho0 == 0.0):  # x keeps its sign
        return in_log(x0, t)
    if y == 0.0 or rho0 == 0.0:  # x0 = 0 is an equilibrium
        return np.zeros_like(t)
    # x passes through 0 (or leaves it) towards y, at the rate y rho_d(0) there, which may be
    # tiny (1e-31 for layers that differ by 1e-16): integrating x itself, the solver stepped
    # across 0 at once and returned y at t = 1e6, where the flow needs 2.5e7 to get there. So:
    # in log|x| up to the exact time T0 of reaching 0 (hitting_time); then linearly, exact to
    # first order, up to the time a tiny x_s is reached; from there in x itself, with
    # atol below x_s (x now moves away from 0, monotonically towards y).
    T0 = 0.0 if x0 == 0.0 else hitting_time(y, x0, 0.0, d)
    x_s = 1e-30 * y  # small enough that rho_d(x_s) = rho_d(0) to 1e-12, so the linear stretch is exact
    while _rho(x_s, e) > rho0 * (1.0 + 1e-12) and abs(x_s) > 1e-200 * abs(y):
        x_s *= 1e-10
    t_s = T0 + hitting_time(y, 0.0, x_s, d)
    out = np.empty_like(t)
    before, middle, after = t < T0, (t >= T0) & (t < t_s), t >= t_s
    if np.any(before):
        out[before] = in_log(x0, t[before])
    out[middle] = x_s * (t[middle] - T0) / (t_s - T0)
    if np.any(after):
        states = integrate(
            lambda z: np.array([(y - z[0]) * _rho(float(z[0]), e)]), np.array([x_s]), t[after] - t_s, rtol,
            min(atol, rtol * abs(x_s)),
        )
        out[after] = states[:, 0]
    return out


def hitting_time(y, x0, x1, d) -> float:
    r"""The time the induced flow needs from ``x0`` to ``x1``: :math:`\int_{x_0}^{x_1} \frac{dx}{(y - x)\rho_d(x)}`.

    ``x1`` must lie between ``x0`` (included) and ``y`` (excluded), so that the flow
    reaches it. A path through :math:`x = 0` needs :math:`\rho_d(0) > 0`; otherwise the
    time is infinite and a ``ValueError`` is raised. The integral is taken in
    :math:`\log\lvert x\rvert`, which keeps it accurate for tiny :math:`x_0`; a path
    through 0 is split there, each piece integrated over :math:`\log\lvert x\rvert`
    from :math:`-\infty`.

    Returns
    -------
    float
    """
    y = _v.real_scalar("y", y)
    x0 = _v.real_scalar("x0", x0)
    x1 = _v.real_scalar("x1", x1)
    d = _imbalances("d", d)
    e = _offsets(d)
    if not (min(x0, y) <= x1 <= max(x0, y)) or x1 == y:
        raise ValueError(f"x1 = {x1} must lie between x0 = {x0} and y = {y} (y excluded): the flow moves from x0 towards y")
    if x1 == x0:
        return 0.0
    rho0 = _rho(0.0, e)
    if (x0 * x1 <= 0.0) and rho0 == 0.0:
        raise ValueError(
            f"the path from x0 = {x0} to x1 = {x1} passes through x = 0, where rho_d(0) = 0: the flow never gets there"
        )
    opts = {"epsabs": 0.0, "epsrel": 1e-11, "limit": 500}

    def in_log(base: float, lo: float, hi: float) -> float:
        """The time integral over x = base * exp(u), u from lo to hi (dx = x du)."""

        def integrand(u):
            x = base * math.exp(u)
            return x / ((y - x) * _rho(x, e))

        return float(quad(integrand, lo, hi, **opts)[0])

    if x0 * x1 > 0.0:
        # over u = log(x / x0) from 0 to log(x1 / x0): for x1 within a few eps of x0,
        # log|x1| - log|x0| rounds to 0 (T = 0 for a time of 1e-20); near 1 log1p of the
        # exactly computed difference does not, far from 1 the log of the ratio is as good
        r = x1 / x0
        return in_log(x0, 0.0, math.log1p((x1 - x0) / x0) if abs(r - 1.0) < 0.5 else math.log(r))
    # the path crosses (or starts at) x = 0, with rho_d(0) > 0: the time from 0 to b is the
    # integral over u = log|x| from -inf to log|b|. Integrating over x itself missed the mass
    # of the integrand, packed near 0 when rho_d(0) is small, on the long interval to x1
    # (quad warned and returned the time to x ~ 1e-12 instead of x1 ~ -30).
    total = 0.0
    for b, sign in ((x0, -1.0), (x1, 1.0)):
        if b != 0.0:
            total += sign * in_log(math.copysign(1.0, b), -math.inf, math.log(abs(b)))
    return total


# ----------------------------------------------------------------------------------
# homogeneous imbalance
# ----------------------------------------------------------------------------------


def homogeneous_init(s1, d, rng: np.random.Generator) -> list[np.ndarray]:
    r"""Random square layers with homogeneous imbalance :math:`D_l = W_{l+1}^\top W_{l+1} - W_l W_l^\top = d_l I`.

    :math:`W_1 = O_1 S_1 O_0^\top` and :math:`W_l = O_l S_l O_{l-1}^\top` with Haar
    random orthogonal :math:`O_l` and diagonal :math:`S_l^2 = S_1^2 + (d_1 + \dots + d_{l-1}) I`.
    Every square network with homogeneous imbalance has this form (book: chapter 7,
    ``lem-deep-aligned``). Balanced layers: ``d = 0``.

    Parameters
    ----------
    s1 : array_like, shape (n,)
        Singular values of :math:`W_1`, ``>= 0``.
    d : array_like, shape (L - 1,)
        The imbalances :math:`d_l`; every :math:`s_{1,i}^2 + d_1 + \dots + d_{l-1}` must be ``>= 0``.
    rng : numpy.random.Generator

    Returns
    -------
    list of L ndarrays, each n x n
    """
    s1 = _v.nonnegative_array("s1", s1)
    if s1.ndim != 1 or s1.size == 0:
        raise ValueError(f"s1 must be a non-empty 1-D array of singular values, got shape {s1.shape}")
    d = _imbalances("d", d)
    rng = _v.generator("rng", rng)
    c = np.concatenate([[0.0], np.cumsum(d)])
    sq = s1[None, :] ** 2 + c[:, None]  # (L, n): S_l^2
    if np.any(sq < 0):
        l, i = np.argwhere(sq < 0)[0]
        raise ValueError(
            f"d is infeasible for s1: s1[{i}]^2 + d_1 + ... + d_{l} = {sq[l, i]:.3g} < 0 would be a squared "
            f"singular value of W_{l + 1}"
        )
    n = s1.size
    O = [random_orthogonal(n, rng) for _ in range(len(c) + 1)]
    return [O[l + 1] @ np.diag(np.sqrt(sq[l])) @ O[l].T for l in range(len(c))]


def homogeneous_imbalance(Ws, *, rtol: float = 1e-10) -> np.ndarray:
    r"""The :math:`d_l` with :math:`D_l = d_l I` for every l, or raise ``ValueError``.

    :math:`d_l = \operatorname{tr}(D_l) / h_l`, accepted when
    :math:`\lVert D_l - d_l I \rVert_2 \le \mathrm{rtol}\,(\lVert W_{l+1}\rVert_2^2 + \lVert W_l\rVert_2^2)`.

    Returns
    -------
    ndarray, shape (L - 1,)
    """
    return _homogeneous("Ws", _layers("Ws", Ws), _v.positive_scalar("rtol", rtol))


def _homogeneous(name: str, Ws: list[np.ndarray], rtol: float) -> np.ndarray:
    """The d_l of homogeneous_imbalance; the message names the argument ``name``."""
    out = []
    for i, D in enumerate(conserved_quantities(Ws)):
        h = D.shape[0]
        dl = float(np.trace(D)) / h
        dev = float(np.linalg.norm(D - dl * np.eye(h), 2))
        scale = float(np.linalg.norm(Ws[i + 1], 2)) ** 2 + float(np.linalg.norm(Ws[i], 2)) ** 2
        if dev > rtol * scale:
            raise ValueError(
                f"{name}: D_{i + 1} = W_{i + 2}^T W_{i + 2} - W_{i + 1} W_{i + 1}^T is not a multiple of the identity "
                f"(it differs from {dl:.6g} I by {dev:.3g} in the 2-norm, more than rtol * scale = {rtol * scale:.3g}); "
                "the layers need a homogeneous imbalance"
            )
        out.append(dl)
    return np.array(out)


# ----------------------------------------------------------------------------------
# rates and bounds
# ----------------------------------------------------------------------------------


def margin(Y, W0) -> float:
    r"""The margin :math:`\mu = \max(\sigma_{\min(m,n)}(Y) - \lVert Y - W_0 \rVert_F, 0)`.

    The loss never increases along the flow, so :math:`\sigma_{\min}(W(t)) \ge \mu` for
    all :math:`t` (Weyl's inequality, as in chapter 4).
    """
    Y = _v.matrix("Y", Y)
    W0 = _v.matrix("W0", W0, rows=Y.shape[0], cols=Y.shape[1], rows_hint=f"Y has {Y.shape[0]} rows",
                   cols_hint=f"Y has {Y.shape[1]} columns")
    s_min = float(np.linalg.svd(Y, compute_uv=False)[-1])
    return max(s_min - float(np.linalg.norm(Y - W0)), 0.0)


def _lam_min(S: np.ndarray) -> float:
    return float(np.linalg.eigvalsh(0.5 * (S + S.T))[0])


def local_rate(Ws) -> float:
    r"""The instantaneous rate :math:`\alpha = 2\sum_l \lambda_m(A_l A_l^\top)\,\lambda_n(B_l^\top B_l)`.

    For matrix factorization (``X = I``), :math:`\dot\ell \le -\alpha\,\ell` at the
    point ``Ws`` (book: chapter 7, ``prop-deep-local-rate``), with
    :math:`A_l = W_L \cdots W_{l+1}` (m x h_l), :math:`B_l = W_{l-1}\cdots W_1`
    (h_{l-1} x n); :math:`\lambda_m` and :math:`\lambda_n` are the smallest eigenvalues of
    these m x m and n x n matrices, and :math:`A_L A_L^\top = I_m`,
    :math:`B_1^\top B_1 = I_n`.

    Parameters
    ----------
    Ws : sequence of L matrices with chained shapes

    Returns
    -------
    float
    """
    Ws = _layers("Ws", Ws)
    L = len(Ws)
    total = 0.0
    for i in range(L):
        a = 1.0 if i == L - 1 else _lam_min((A := _chain(Ws[i + 1:])) @ A.T)
        b = 1.0 if i == 0 else _lam_min((B := _chain(Ws[:i])).T @ B)
        total += max(a, 0.0) * max(b, 0.0)
    return 2.0 * total


def homogeneous_rate_bound(Y, Ws0, *, rtol: float = 1e-10) -> float:
    r"""The rate :math:`\alpha = 2\rho_d(\mu)` of :math:`\ell(t) \le \ell(0)e^{-\alpha t}` under homogeneous imbalance.

    Book: chapter 7, ``thm-deep-homogeneous``. Assumptions: matrix factorization
    (``X = I``), square layers (:math:`m = n = h_1 = \dots = h_{L-1}`) and
    :math:`D_l(0) = d_l I` for every l. Then
    :math:`\dot\ell \le -2\rho_d(\sigma_{\min}(W))\,\ell` with the scalar rate factor
    :math:`\rho_d` of :func:`rate_factor`, and :math:`\sigma_{\min}(W(t)) \ge \mu`, the
    :func:`margin`. Since :math:`\rho_d(\mu) \ge L\mu^{2-2/L}`, the rate is at least
    :math:`2L\mu^{2-2/L}`, with equality for balanced layers.

    Raises
    ------
    ValueError
        If a shape does not fit, the layers are not square, or the imbalance is not
        homogeneous (see :func:`homogeneous_imbalance`).
    """
    Y, Ws0, _ = check_layers(Y, Ws0)
    _square_layers("Ws0", Ws0)
    d = _homogeneous("Ws0", Ws0, _v.positive_scalar("rtol", rtol))
    return 2.0 * _rho(margin(Y, _chain(Ws0)), _offsets(d))


def imbalance_lower_bounds(Ws) -> np.ndarray:
    r"""Lower bounds :math:`\beta_l \le \sigma_{\min}(W_l(t))^2` for all t, from the conserved :math:`D_l` alone.

    Square layers only. Weyl's inequality applied to
    :math:`W_{l+1}^\top W_{l+1} = W_l W_l^\top + D_l` gives, with
    :math:`s_l = \sigma_{\min}(W_l)^2`,
    :math:`s_{l+1} \ge s_l + \lambda_{\min}(D_l)` and
    :math:`s_l \ge s_{l+1} + \lambda_{\min}(-D_l)`. Starting from :math:`s_k \ge 0` at
    any layer k and propagating outwards (clipping at 0) gives one bound per k;
    :math:`\beta_l` is the largest of them (book: chapter 7, ``thm-deep-imbalance``).

    Returns
    -------
    ndarray, shape (L,)
    """
    return _beta("Ws", Ws)


def _beta(name: str, Ws: Any) -> np.ndarray:
    Ws = _layers(name, Ws)
    _square_layers(name, Ws)
    D = conserved_quantities(Ws)
    up = [_lam_min(Dl) for Dl in D]  # s_{l+1} >= s_l + up[l]
    down = [_lam_min(-Dl) for Dl in D]  # s_l >= s_{l+1} + down[l]
    L = len(Ws)
    beta = np.zeros(L)
    for k in range(L):
        b = np.zeros(L)
        for j in range(k, L - 1):
            b[j + 1] = max(b[j] + up[j], 0.0)
        for j in range(k - 1, -1, -1):
            b[j] = max(b[j + 1] + down[j], 0.0)
        beta = np.maximum(beta, b)
    return beta


def imbalance_rate_bound(Ws0) -> float:
    r"""The rate :math:`\alpha = 2\kappa`, :math:`\kappa = \sum_l \prod_{j \ne l}\beta_j`, from the imbalance alone.

    Book: chapter 7, ``thm-deep-imbalance``. Assumptions: matrix factorization, square
    layers. Then :math:`\ell(t) \le \ell(0)e^{-\alpha t}` for every target Y, with the
    :math:`\beta_j` of :func:`imbalance_lower_bounds`. For :math:`L = 3` and a thin
    middle layer (:math:`D_1 \prec 0 \prec D_2`) it contains
    :math:`\kappa \ge \lambda_{\min}(-D_1)\,\lambda_{\min}(D_2)`. Under homogeneous
    imbalance it equals :math:`2\rho_d(0)`.
    """
    beta = _beta("Ws0", Ws0)
    L = beta.size
    return 2.0 * float(sum(math.prod(beta[j] for j in range(L) if j != i) for i in range(L)))


def loss_bound(Y, Ws0, t, *, bound: str = "homogeneous") -> np.ndarray:
    r"""The bound :math:`\ell(0)e^{-\alpha t}` at the times ``t``.

    ``bound="homogeneous"`` uses :func:`homogeneous_rate_bound`, ``bound="imbalance"``
    :func:`imbalance_rate_bound`; :math:`\ell(0)` is the loss of ``Ws0`` (``X = I``).

    Returns
    -------
    ndarray, shape (T,)
    """
    bound = _v.choice("bound", bound, BOUNDS)
    Y, Ws0, _ = check_layers(Y, Ws0)
    t = _v.times("t", t)
    alpha = homogeneous_rate_bound(Y, Ws0) if bound == "homogeneous" else imbalance_rate_bound(Ws0)
    return loss(Y, Ws0) * np.exp(-alpha * t)
