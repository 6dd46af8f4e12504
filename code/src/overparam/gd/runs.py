r"""Gradient-descent runs: a fixed step, or a step chosen afresh at every iterate.

Both iterate the width-free form of :mod:`overparam.gd`: a factor of the Gram matrix of
:math:`[U_0; V_0]` with at most m + n columns (book: chapter 8, ``ch-gd``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import ArrayLike

from .. import _numerics as _n
from .. import _validate as _v
from . import _apriori, _common, _line_search

__all__ = ["GDTrajectory", "gradient_descent", "adaptive_gradient_descent"]

#: The step rules of :func:`~overparam.gd.adaptive_gradient_descent`.
RULES = ("loss", "local", "line_search")

# the step of a run at an iterate: (W, Us, Vs, loss) -> eta, with (Us, Vs) the narrow factor
StepRule = Callable[[np.ndarray, np.ndarray, np.ndarray, float], float]


@dataclass(frozen=True)
class GDTrajectory:
    r"""A gradient-descent run, sampled at the recorded steps.

    Attributes
    ----------
    steps : ndarray of int, shape (T,)
        The recorded iteration indices :math:`j` (0, ``record_every``, ..., and the last).
    t : ndarray, shape (T,)
        Flow time :math:`t_j = \eta_0 + \dots + \eta_{j-1}` of each recorded iterate.
    W : ndarray, shape (T, m, n)
        The products :math:`W_j = U_j V_j^\top`.
    loss : ndarray, shape (T,)
        :math:`\ell_j = \tfrac12 \lVert Y - X W_j \rVert_F^2`.
    P, Q : ndarray, shapes (T, m, m) and (T, n, n)
        :math:`U_j U_j^\top` and :math:`V_j V_j^\top`.
    drift : ndarray, shape (T,)
        :math:`\lVert \Lambda_j - \Lambda_0 \rVert_2`, the spectral norm of the change of
        the imbalance (zero for the flow).
    step : ndarray, shape (J,)
        The step sizes :math:`\eta_0, \dots, \eta_{J-1}` used, J = completed steps.
    diverged : bool
        True if the run stopped early because the loss exceeded 1e100 or was not finite.
    U, V : ndarray, shapes (T, m, k) and (T, n, k), or None
        The factors, when ``store_factors=True``.
    Lambda : ndarray, shape (T, k, k), or None
        The imbalance :math:`\Lambda_j = U_j^\top U_j - V_j^\top V_j`, when
        ``store_factors=True`` (mind the memory: :math:`k^2` numbers per record).
    """

    steps: np.ndarray
    t: np.ndarray
    W: np.ndarray
    loss: np.ndarray
    P: np.ndarray
    Q: np.ndarray
    drift: np.ndarray
    step: np.ndarray
    diverged: bool
    U: np.ndarray | None = None
    V: np.ndarray | None = None
    Lambda: np.ndarray | None = None


_RECORDED = ("steps", "t", "W", "loss", "P", "Q", "drift", "U", "V", "Lambda")


def _run(
    Y: np.ndarray,
    U0: np.ndarray,
    V0: np.ndarray,
    X: np.ndarray | None,
    n_steps: int,
    record_every: int,
    store_factors: bool,
    choose_step: StepRule,
) -> GDTrajectory:
    """The loop shared by the fixed and adaptive runs (width-free, see :mod:`overparam.gd`)."""
    (m, k), n = U0.shape, V0.shape[0]
    Zs = _n.narrow_factor(U0, V0)
    track = store_factors and k > m + n  # rebuild the full factors as Pi_j Z0
    Us, Vs = Zs[:m].copy(), Zs[m:].copy()
    Pu = Pv = Z0 = None
    if track:
        Z0 = np.vstack([U0, V0])
        eye = np.eye(m + n)
        Pu, Pv = eye[:m].copy(), eye[m:].copy()
    Lam0 = Us.T @ Us - Vs.T @ Vs

    rec: dict[str, list] = {key: [] for key in _RECORDED}
    steps_used: list[float] = []
    t_now = 0.0
    diverged = False

    def record(j: int, W: np.ndarray, loss: float) -> None:
        rec["steps"].append(j)
        rec["t"].append(t_now)
        rec["W"].append(W)
        rec["loss"].append(loss)
        rec["P"].append(Us @ Us.T)
        rec["Q"].append(Vs @ Vs.T)
        D = Us.T @ Us - Vs.T @ Vs - Lam0
        rec["drift"].append(float(np.max(np.abs(_n.eigenvalues_desc(D)))))
        if store_factors:
            U, V = (Pu @ Z0, Pv @ Z0) if track else (Us.copy(), Vs.copy())
            rec["U"].append(U)
            rec["V"].append(V)
            rec["Lambda"].append(U.T @ U - V.T @ V)

    with np.errstate(over="ignore", invalid="ignore"):
        for j in range(n_steps + 1):
            W = Us @ Vs.T
            E = _n.residual(Y, W, X)
            loss = 0.5 * float(np.vdot(E, E))
            if not (loss <= _common.DIVERGED_LOSS):  # also catches nan
                diverged = True
                if math.isfinite(loss):
                    record(j, W, loss)
                break
            if j % record_every == 0 or j == n_steps:
                record(j, W, loss)
            if j == n_steps:
                break
            G = _n.residual_gradient(Y, W, X)
            eta = choose_step(W, Us, Vs, loss)
            steps_used.append(eta)
            t_now += eta
            if track:
                Pu, Pv = Pu + eta * (G @ Pv), Pv + eta * (G.T @ Pu)
            Us, Vs = Us + eta * (G @ Vs), Vs + eta * (G.T @ Us)

    def stack(key: str) -> np.ndarray | None:
        return np.array(rec[key]) if store_factors else None

    return GDTrajectory(
        steps=np.array(rec["steps"], dtype=int),
        t=np.array(rec["t"], dtype=float),
        W=np.array(rec["W"]),
        loss=np.array(rec["loss"], dtype=float),
        P=np.array(rec["P"]),
        Q=np.array(rec["Q"]),
        drift=np.array(rec["drift"], dtype=float),
        step=np.array(steps_used, dtype=float),
        diverged=diverged,
        U=stack("U"),
        V=stack("V"),
        Lambda=stack("Lambda"),
    )


def gradient_descent(
    Y: ArrayLike,
    U0: ArrayLike,
    V0: ArrayLike,
    step: float,
    n_steps: int,
    *,
    X: ArrayLike | None = None,
    record_every: int = 1,
    store_factors: bool = True,
) -> GDTrajectory:
    r"""Gradient descent with a fixed step on :math:`\tfrac12\lVert Y - XUV^\top\rVert_F^2`.

    .. math::

        U_{j+1} = U_j + \eta\, G_j V_j, \qquad V_{j+1} = V_j + \eta\, G_j^\top U_j, \qquad
        G_j = X^\top (Y - X U_j V_j^\top),

    iterated in the width-free form of :mod:`overparam.gd`. Iterate :math:`j`
    approximates the gradient flow (:func:`overparam.flow.gradient_flow`) at time
    :math:`t = j\eta` (book: chapter 8, ``ch-gd``).

    Parameters
    ----------
    Y : array_like, shape (m, n), or (N, n) when ``X`` is given
    U0 : array_like, shape (m, k)
    V0 : array_like, shape (n, k)
    step : float
        The step :math:`\eta > 0`.
    n_steps : int
        Number of steps, ``>= 0``.
    X : array_like, shape (N, m), optional
        Data; None means matrix factorization (:math:`X = I`).
    record_every : int
        Record every this many steps (and always the first and the last), ``>= 1``.
    store_factors : bool
        Also return :math:`U_j`, :math:`V_j` and :math:`\Lambda_j` at the recorded steps.

    Returns
    -------
    GDTrajectory
        A run that blows up (loss above 1e100 or not finite) stops there, with
        ``diverged=True``.

    Raises
    ------
    ValueError
        If a shape does not fit, an entry is not finite, ``step <= 0``, ``n_steps < 0``
        or ``record_every < 1``.
    TypeError
        If ``n_steps`` or ``record_every`` is not an int, or ``store_factors`` not a bool.
    """
    Y, U0, V0, X = _v.problem(Y, U0, V0, X)
    eta = _v.positive_scalar("step", step)
    n_steps = _v.count("n_steps", n_steps, 0)
    record_every = _v.count("record_every", record_every, 1)
    store_factors = _v.flag("store_factors", store_factors)

    def fixed(W: np.ndarray, Us: np.ndarray, Vs: np.ndarray, loss: float) -> float:
        return eta

    run = _run(Y, U0, V0, X, n_steps, record_every, store_factors, fixed)
    return replace(run, t=run.steps * eta)  # exactly j * eta, without summation round-off


def _largest_sq_norm(A: np.ndarray) -> float:
    r""":math:`\lVert A\rVert_2^2`, from the smaller Gram matrix of A."""
    return float(np.linalg.eigvalsh(A @ A.T if A.shape[0] <= A.shape[1] else A.T @ A)[-1])


def adaptive_gradient_descent(
    Y: ArrayLike,
    U0: ArrayLike,
    V0: ArrayLike,
    n_steps: int,
    *,
    X: ArrayLike | None = None,
    rule: str = "loss",
    record_every: int = 1,
    store_factors: bool = True,
) -> GDTrajectory:
    r"""Gradient descent with a step chosen afresh at every iterate.

    Three rules (book: chapter 8, ``prop-gd-adaptive`` and ``eq-gd-quartic`` in
    ``lem-gd-one-step``):

    ``"loss"``
        :math:`\eta_j = \arg\max_\eta \eta\,\Phi(\eta; \ell_j)`: the step that minimizes
        the guaranteed factor of :func:`~overparam.gd.rate_constants` at the current loss.
        It needs only the initialization (through :class:`~overparam.gd.RateConstants`)
        and :math:`\ell_j`, and grows as the loss falls. Covered by the book's linear-rate
        theorem. Needs ``X`` with full column rank.
    ``"local"``
        :math:`\eta_j = \arg\max_\eta \eta\,\varphi(\eta)`
        (:func:`~overparam.gd.descent_factor`) with the measured local
        :math:`\beta(U_j, V_j)` of :func:`~overparam.gd.local_constants`; every step
        provably decreases the loss, but the theorem's a-priori guarantee does not cover
        this rule.
    ``"line_search"``
        exact line search: :math:`\eta_j` minimizes the loss after the step, the quartic
        :math:`\ell(\eta) = \tfrac12\lVert E - \eta B_1 - \eta^2 B_2\rVert_F^2` of
        ``eq-gd-quartic``. Best one-step decrease, no a-priori rate. The roots of
        :math:`\ell'` are compared through the loss evaluated directly, and a far root is
        taken only if its advantage exceeds the rounding error of the step itself.

    Parameters
    ----------
    Y : array_like, shape (m, n), or (N, n) when ``X`` is given
    U0 : array_like, shape (m, k)
    V0 : array_like, shape (n, k)
    n_steps : int
        Number of steps, ``>= 0``.
    X : array_like, shape (N, m), optional
    rule : {"loss", "local", "line_search"}
    record_every : int
        ``>= 1``; the first and last steps are always recorded.
    store_factors : bool
        Also return :math:`U_j`, :math:`V_j` and :math:`\Lambda_j` at the recorded steps.

    Returns
    -------
    GDTrajectory
        ``step`` holds the steps chosen.

    Raises
    ------
    ValueError
        As :func:`~overparam.gd.gradient_descent`, for an unknown ``rule``, or (rule ``"loss"``) for
        ``X`` without full column rank.
    TypeError
        As :func:`~overparam.gd.gradient_descent`, or for a ``rule`` that is not a str.
    """
    Y, U0, V0, X = _v.problem(Y, U0, V0, X)
    n_steps = _v.count("n_steps", n_steps, 0)
    record_every = _v.count("record_every", record_every, 1)
    store_factors = _v.flag("store_factors", store_factors)
    rule = _v.choice("rule", rule, RULES)
    norms = _common.x_norms(X)
    s = norms.s
    choose: StepRule

    if rule == "loss":
        _common.check_full_column_rank(X, norms)
        sp = _apriori.spectra(Y, U0, V0, X, norms)
        drift = _apriori.adaptive_drift(sp)

        def choose(W: np.ndarray, Us: np.ndarray, Vs: np.ndarray, loss: float) -> float:
            return sp.adaptive_step(min(loss, sp.loss0), drift)

    elif rule == "local":

        def choose(W: np.ndarray, Us: np.ndarray, Vs: np.ndarray, loss: float) -> float:
            beta = s**2 * (_largest_sq_norm(Us) + _largest_sq_norm(Vs))
            return _common.bound_step(float(beta), loss, s) if beta > 0 else 0.0

    else:

        def choose(W: np.ndarray, Us: np.ndarray, Vs: np.ndarray, loss: float) -> float:
            parts = _line_search.quartic_parts(Y, X, W, Us @ Us.T, Vs @ Vs.T)
            return _line_search.argmin_quartic(parts)

    return _run(Y, U0, V0, X, n_steps, record_every, store_factors, choose)
