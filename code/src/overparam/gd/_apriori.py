r"""The a-priori bounds of the linear-rate theorem, from a start (private; no input checks).

:class:`Spectra` holds what the bounds need from :math:`(Y, U_0, V_0, X)`, computed once:
the norms of X, :math:`\ell_0`, :math:`\ell^\ast`, the singular values of
:math:`\Theta^\ast = X^+Y` and the imbalance terms of :math:`\Lambda_0`. Its methods are
:math:`\alpha(\ell)`, :math:`\beta(\ell)`, :math:`\Phi(\eta; \ell)` and the adaptive step
:math:`\eta(\ell)` for a drift budget :math:`\delta` (book: chapter 8,
``thm-gd-linear-rate``, ``prop-gd-adaptive``, ``prop-gd-budget``). The formulas are
documented on :class:`overparam.gd.RateConstants`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .. import _numerics as _n
from ..bounds import ImbalanceTerms
from . import _common
from ._common import XNorms

__all__ = [
    "DRIFT_LEVELS_PER_DECADE",
    "DRIFT_DECADES",
    "MAX_STEP_BISECTIONS",
    "Spectra",
    "spectra",
    "adaptive_drift",
    "max_fixed_step",
]

#: Loss levels per decade of the excess loss in the upper sum of the adaptive drift budget.
DRIFT_LEVELS_PER_DECADE = 25

#: Decades of the excess loss the upper sum covers (below, the step at l* bounds the rest).
DRIFT_DECADES = 16

#: Bisection steps for the largest fixed step that meets the step-size condition.
MAX_STEP_BISECTIONS = 100


def upper_gram(a: float, sigma: float) -> float:
    r""":math:`p(a, \sigma) = \tfrac12(a + \sqrt{a^2 + 4\sigma^2})` (``lem-gd-gram``).

    The upper bound on :math:`\lVert U\rVert_2^2` for :math:`a = \bar\lambda_+`,
    :math:`\sigma = \sigma_1(W)`.
    """
    return 0.5 * (a + math.hypot(a, 2.0 * sigma))


@dataclass(frozen=True)
class Spectra:
    """What the a-priori bounds need from (Y, U0, V0, X), computed once by :func:`spectra`."""

    s: float
    sigma_x: float
    loss0: float
    loss_star: float
    theta_sv: np.ndarray
    terms: ImbalanceTerms
    m: int
    n: int

    def dist(self, loss: float) -> float:
        r""":math:`\Delta(\ell) = \sqrt{2(\ell - \ell^\ast)}/\sigma_x`.

        A bound on :math:`\lVert W - \Theta^\ast\rVert_F` while the loss is at most :math:`\ell`.
        """
        return math.sqrt(2.0 * max(loss - self.loss_star, 0.0)) / self.sigma_x

    def sv(self, i: int) -> float:
        r""":math:`\sigma_i(\Theta^\ast)` (book index, 0 beyond the size)."""
        return _n.book_index(self.theta_sv, i)

    def alpha(self, loss: float, drift: float) -> float:
        r""":math:`\alpha(\ell)` with drift budget :math:`\delta` (0 for an infinite budget)."""
        if not math.isfinite(drift):
            return 0.0
        d = self.dist(loss)
        t = self.terms
        bu = _n.h(t.lbar_minus + drift, _n.pos(t.lund_plus - drift), max(self.sv(self.m) - d, 0.0))
        bv = _n.h(t.lbar_plus + drift, _n.pos(t.lund_minus - drift), max(self.sv(self.n) - d, 0.0))
        return self.sigma_x**2 * (bu + bv)

    def beta(self, loss: float, drift: float) -> float:
        r""":math:`\beta(\ell)` with drift budget :math:`\delta` (inf for an infinite budget)."""
        if not math.isfinite(drift):
            return math.inf
        sig = self.sv(1) + self.dist(loss)
        t = self.terms
        pu = upper_gram(t.lbar_plus + drift, sig)
        return self.s**2 * (pu + upper_gram(t.lbar_minus + drift, sig))

    def adaptive_step(self, loss: float, drift: float) -> float:
        r""":math:`\eta(\ell) = \arg\max_\eta \eta\Phi(\eta; \ell)` (0 for infinite beta)."""
        beta = self.beta(loss, drift)
        if not math.isfinite(beta):
            return 0.0
        return _common.bound_step(beta, loss, self.s)

    def phi(self, step: float, loss: float, drift: float) -> float:
        r""":math:`\Phi(\eta; \ell)`, the descent factor with :math:`\beta = \beta(\ell)`."""
        beta = self.beta(loss, drift)
        if not math.isfinite(beta):
            return -math.inf
        return _common.descent_factor(step, beta, loss, self.s)


def imbalance_spectrum(Zs: np.ndarray, m: int, k: int) -> np.ndarray:
    """Eigenvalues of Lambda (k x k), largest first, from a narrow factor Zs (Zs Zs^T = Z Z^T)."""
    J = np.concatenate([np.ones(m), -np.ones(Zs.shape[0] - m)])
    ev = np.linalg.eigvalsh(Zs.T @ (J[:, None] * Zs))
    full = np.concatenate([ev, np.zeros(max(k - ev.size, 0))])
    return np.sort(full)[::-1]


def spectra(
    Y: np.ndarray, U0: np.ndarray, V0: np.ndarray, X: np.ndarray | None, norms: XNorms
) -> Spectra:
    """The :class:`Spectra` of a start; X (if given) has full column rank, with norms ``norms``."""
    m, k = U0.shape
    n = V0.shape[0]
    if X is not None:
        Theta = np.linalg.lstsq(X, Y, rcond=None)[0]
        R = Y - X @ Theta
        loss_star = 0.5 * float(np.sum(R * R))
    else:
        Theta = Y
        loss_star = 0.0
    E0 = _n.residual(Y, U0 @ V0.T, X)
    loss0 = 0.5 * float(np.sum(E0 * E0))
    ev = imbalance_spectrum(_n.narrow_factor(U0, V0), m, k)  # largest first, length k
    return Spectra(
        s=norms.s,
        sigma_x=norms.sigma_x,
        loss0=loss0,
        loss_star=min(loss_star, loss0),
        theta_sv=np.linalg.svd(Theta, compute_uv=False),
        terms=ImbalanceTerms(*_n.imbalance_terms(ev, m, n)),
        m=m,
        n=n,
    )


def adaptive_drift(sp: Spectra) -> float:
    r"""The drift budget of the adaptive step: an upper sum of :math:`2\int\eta_0(\ell)\,d\ell`.

    Along the adaptive run the drift is at most :math:`\sum_j 2\eta(\ell_j)(\ell_j - \ell_{j+1})`
    (each step has :math:`\Phi \ge 1/2`), and :math:`\eta(\ell)` does not increase with
    :math:`\ell`, so this is at most :math:`2\int\eta(\ell)\,d\ell` over
    :math:`[\ell^\ast, \ell_0]`. Steps computed with drift 0 are the largest, so
    :math:`\delta = 2\int\eta_0` satisfies :math:`\delta \ge 2\int\eta_\delta`: it is
    self-consistent (book: chapter 8, ``prop-gd-budget``). The excess loss is cut into
    :data:`DRIFT_LEVELS_PER_DECADE` levels per decade over :data:`DRIFT_DECADES` decades,
    with :math:`\eta` taken at the low end of each interval (where it is largest).
    """
    excess = sp.loss0 - sp.loss_star
    if excess <= 0:
        return 0.0
    n_levels = DRIFT_DECADES * DRIFT_LEVELS_PER_DECADE + 1
    levels = excess * 10.0 ** (-np.arange(0, n_levels) / float(DRIFT_LEVELS_PER_DECADE))
    etas = np.array([sp.adaptive_step(sp.loss_star + e, 0.0) for e in levels])
    if not np.all(np.isfinite(etas)):
        return math.inf
    total = float(np.sum(etas[1:] * (levels[:-1] - levels[1:])))
    total += sp.adaptive_step(sp.loss_star, 0.0) * levels[-1]
    return 2.0 * float(total)


def max_fixed_step(sp: Spectra) -> float:
    r"""The largest :math:`\eta` with :math:`\Phi(\eta; \ell_0) \ge 1/2` (the step-size condition).

    The budget is :math:`\delta = 2\eta(\ell_0 - \ell^\ast)`.

    By bisection on :math:`[0, 1/\beta(\ell_0)]` with drift 0 (the condition forces
    :math:`\eta\beta_0 \le 1`), keeping the left end, which meets the condition.
    """
    excess = sp.loss0 - sp.loss_star
    beta00 = sp.beta(sp.loss0, 0.0)
    if not beta00 > 0:
        return math.inf

    def ok(eta: float) -> bool:
        return sp.phi(eta, sp.loss0, 2.0 * eta * excess) >= 0.5

    lo, hi = 0.0, 1.0 / beta00
    if ok(hi):
        return hi
    for _ in range(MAX_STEP_BISECTIONS):
        mid = 0.5 * (lo + hi)
        if ok(mid):
            lo = mid
        else:
            hi = mid
    return lo
