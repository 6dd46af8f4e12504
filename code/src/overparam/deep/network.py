r"""The deep linear network, its gradient flow and its conservation laws (book: chapter 7).

The network maps :math:`\mathbb{R}^n \to \mathbb{R}^m` through hidden widths
:math:`h_1, \dots, h_{L-1}`; with :math:`h_0 = n` and :math:`h_L = m`,
:math:`W = W_L \cdots W_1` with :math:`W_l \in \mathbb{R}^{h_l \times h_{l-1}}`
(``eq-deep-model``). A list ``Ws = [W_1, ..., W_L]`` holds the layers in that order. With
:math:`G = X^\top (Y - X W)` and :math:`A_l = W_L \cdots W_{l+1}`,
:math:`B_l = W_{l-1} \cdots W_1` (empty products are identities) the flow is
:math:`\dot W_l = A_l^\top G B_l^\top` (``eq-deep-flow``), and it conserves
:math:`D_l = W_{l+1}^\top W_{l+1} - W_l W_l^\top` (``prop-deep-conservation``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from .. import _numerics as _nx
from .. import _validate as _v
from .._ode import ATOL, RTOL, integrate
from . import _common as _c

__all__ = [
    "DeepTrajectory",
    "product",
    "loss",
    "vector_field",
    "gradient_flow",
    "conserved_quantities",
    "conservation_drift",
]


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


def product(Ws: Sequence[ArrayLike]) -> np.ndarray:
    r"""The end-to-end map :math:`W = W_L \cdots W_1` of ``Ws = [W_1, ..., W_L]``.

    Book: chapter 7, ``eq-deep-model``.

    Parameters
    ----------
    Ws : sequence of L array_like
        The layers, :math:`W_l` of shape (h_l, h_{l-1}).

    Returns
    -------
    ndarray, shape (m, n)

    Raises
    ------
    ValueError
        If the layers do not chain or an entry is not finite.
    TypeError
        If ``Ws`` is not a sequence or an entry is not numeric.
    """
    return _c.chain(_c.check_layer_list("Ws", Ws))


def loss(Y: ArrayLike, Ws: Sequence[ArrayLike], *, X: ArrayLike | None = None) -> float:
    r"""The loss :math:`\ell = \tfrac12 \lVert Y - X W_L \cdots W_1 \rVert_F^2` (``X = I`` if None).

    Parameters
    ----------
    Y : array_like, shape (m, n), or (N, n) when ``X`` is given
    Ws : sequence of L array_like
        The layers ``[W_1, ..., W_L]``, :math:`W_1` of shape (h_1, n), :math:`W_L` of shape
        (m, h_{L-1}).
    X : array_like, shape (N, m), optional

    Returns
    -------
    float

    Raises
    ------
    ValueError
        If a shape does not fit or an entry is not finite.
    TypeError
        If ``Ws`` is not a sequence or an entry is not numeric.
    """
    Y, Ws, X = _c.check_layers(Y, Ws, X, "Ws")
    return _nx.loss(Y, _c.chain(Ws), X)


def vector_field(
    Y: ArrayLike, Ws: Sequence[ArrayLike], *, X: ArrayLike | None = None
) -> list[np.ndarray]:
    r"""The negative gradients :math:`-\nabla_{W_l}\ell = A_l^\top G B_l^\top`, l = 1, ..., L.

    With :math:`G = X^\top (Y - X W)`, :math:`A_l = W_L \cdots W_{l+1}` and
    :math:`B_l = W_{l-1} \cdots W_1` (empty products are identities); book: chapter 7,
    ``eq-deep-flow``.

    Parameters
    ----------
    Y : array_like, shape (m, n), or (N, n) when ``X`` is given
    Ws : sequence of L array_like
        The layers ``[W_1, ..., W_L]``.
    X : array_like, shape (N, m), optional

    Returns
    -------
    list of L ndarrays, the shapes of the layers

    Raises
    ------
    ValueError
        If a shape does not fit or an entry is not finite.
    TypeError
        If ``Ws`` is not a sequence or an entry is not numeric.
    """
    Y, Ws, X = _c.check_layers(Y, Ws, X, "Ws")
    return _c.field(Ws, _nx.residual_gradient(Y, _c.chain(Ws), X))


def gradient_flow(
    Y: ArrayLike,
    Ws0: Sequence[ArrayLike],
    t: ArrayLike,
    *,
    X: ArrayLike | None = None,
    rtol: float = RTOL,
    atol: float = ATOL,
) -> DeepTrajectory:
    r"""The gradient flow of :math:`\tfrac12 \lVert Y - X W_L \cdots W_1 \rVert_F^2` from ``Ws0``.

    .. math::

        \dot W_l = (W_L \cdots W_{l+1})^\top\, X^\top (Y - X W)\, (W_{l-1} \cdots W_1)^\top,
        \qquad l = 1, \dots, L,

    (book: chapter 7, ``eq-deep-flow``), integrated in the layers themselves by an adaptive
    ODE solve that stops exactly at each requested time (request few times: each costs steps).

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
    Y, Ws0, X = _c.check_layers(Y, Ws0, X, "Ws0")
    t = _v.times("t", t)
    rtol = _v.positive_scalar("rtol", rtol)
    atol = _v.positive_scalar("atol", atol)
    shapes = [Wl.shape for Wl in Ws0]
    offsets = np.concatenate([[0], np.cumsum([a * b for a, b in shapes])])

    def unpack(z: np.ndarray) -> list[np.ndarray]:
        return [z[offsets[i] : offsets[i + 1]].reshape(shapes[i]) for i in range(len(shapes))]

    def fun(z: np.ndarray) -> np.ndarray:
        Ws = unpack(z)
        G = _nx.residual_gradient(Y, _c.chain(Ws), X)
        return np.concatenate([g.ravel() for g in _c.field(Ws, G)])

    states = integrate(fun, np.concatenate([Wl.ravel() for Wl in Ws0]), t, rtol, atol)
    layers = tuple(
        states[:, offsets[i] : offsets[i + 1]].reshape((-1, *shapes[i])) for i in range(len(shapes))
    )
    W = _c.chain(layers)
    E = Y[None] - (W if X is None else X[None] @ W)
    return DeepTrajectory(t=t, W=W, loss=0.5 * np.sum(E * E, axis=(1, 2)), Ws=layers)


def conserved_quantities(Ws: Sequence[ArrayLike]) -> list[np.ndarray]:
    r"""The :math:`L - 1` conserved matrices :math:`D_l = W_{l+1}^\top W_{l+1} - W_l W_l^\top`.

    :math:`D_l` is :math:`h_l \times h_l`. They are constant along the gradient flow
    (book: chapter 7, ``prop-deep-conservation``); for :math:`L = 2`,
    :math:`D_1 = U^\top U - V^\top V = \Lambda`.

    Parameters
    ----------
    Ws : sequence of L array_like
        The layers ``[W_1, ..., W_L]`` with chained shapes.

    Returns
    -------
    list of L - 1 ndarrays (empty for L = 1)

    Raises
    ------
    ValueError
        If the layers do not chain or an entry is not finite.
    TypeError
        If ``Ws`` is not a sequence or an entry is not numeric.
    """
    return _c.conserved(_c.check_layer_list("Ws", Ws))


def _check_run(run: DeepTrajectory) -> list[np.ndarray]:
    """The layers of a trajectory at its times, checked: (T, h_l, h_{l-1}) arrays that chain."""
    if not isinstance(run, DeepTrajectory):
        raise TypeError(
            f"run must be a DeepTrajectory (from gradient_flow), got {type(run).__name__}"
        )
    T = _v.times("run.t", run.t).size
    if isinstance(run.Ws, (str, bytes)) or not isinstance(run.Ws, (tuple, list)) or not run.Ws:
        raise TypeError(
            "run.Ws must be a non-empty tuple of the layers at each time, "
            f"got {type(run.Ws).__name__}"
        )
    Ws = [_v.real_array(f"run.Ws[{i}]", Wl) for i, Wl in enumerate(run.Ws)]
    for i, Wl in enumerate(Ws):
        if Wl.ndim != 3 or Wl.shape[0] != T:
            raise ValueError(
                f"run.Ws[{i}] must have shape (T, h_{i + 1}, h_{i}) with T = {T} times, "
                f"got {Wl.shape}"
            )
        if i and Wl.shape[2] != Ws[i - 1].shape[1]:
            raise ValueError(
                f"run.Ws[{i}] has {Wl.shape[2]} columns but run.Ws[{i - 1}] has "
                f"{Ws[i - 1].shape[1]} rows: the layers do not chain"
            )
    return Ws


def conservation_drift(run: DeepTrajectory) -> np.ndarray:
    r"""Relative drift of the conserved quantities along a trajectory, shape (T,).

    .. math::

        \max_l \frac{\lVert D_l(t) - D_l(0) \rVert_F}
                    {\lVert W_{l+1}(t) \rVert_F^2 + \lVert W_l(t) \rVert_F^2},

    the size of the violation compared with the size of the two terms that cancel
    (0 for L = 1); book: chapter 7, ``prop-deep-conservation``.

    Parameters
    ----------
    run : DeepTrajectory
        A trajectory from :func:`gradient_flow`.

    Returns
    -------
    ndarray, shape (T,)

    Raises
    ------
    TypeError
        If ``run`` is not a DeepTrajectory or its layers are not numeric.
    ValueError
        If its layers do not chain, do not match its times, or are not finite.
    """
    Ws = _check_run(run)
    drift = np.zeros(Ws[0].shape[0])
    for i in range(len(Ws) - 1):
        A, B = Ws[i + 1], Ws[i]
        D = np.swapaxes(A, 1, 2) @ A - B @ np.swapaxes(B, 1, 2)
        size = np.linalg.norm(A, axis=(1, 2)) ** 2 + np.linalg.norm(B, axis=(1, 2)) ** 2
        gap = np.linalg.norm(D - D[0], axis=(1, 2)) / np.maximum(size, np.finfo(float).tiny)
        drift = np.maximum(drift, gap)
    return drift
