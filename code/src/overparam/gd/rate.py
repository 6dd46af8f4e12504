r"""The a-priori constants of the book's linear rate for gradient descent.

Book: chapter 8, ``thm-gd-linear-rate``, ``prop-gd-adaptive`` and ``prop-gd-budget``;
these are the book's own constants, not those of Xu et al. (AISTATS 2023).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike

from .. import _validate as _v
from ..bounds import ImbalanceTerms
from . import _apriori, _common

__all__ = ["RateConstants", "rate_constants"]

#: Relative slack by which a loss above loss0, or a step above max_step, is still accepted.
ACCEPT_RTOL = 1e-12

#: Absolute slack for a loss above loss0 (a start with loss0 = 0).
ACCEPT_LOSS_ATOL = 1e-300


@dataclass(frozen=True)
class RateConstants:
    r"""The a-priori constants of the book's linear rate (chapter 8, ``thm-gd-linear-rate``).

    Built by :func:`~overparam.gd.rate_constants` from :math:`(Y, U_0, V_0, X)` and a step rule (a
    fixed step, or the adaptive step when ``step`` is None). With
    :math:`\Delta(\ell) = \sqrt{2(\ell - \ell^\ast)}/\sigma_x` (a bound on
    :math:`\lVert W - \Theta^\ast\rVert_F` while the loss is :math:`\le \ell`) and the
    drift budget :math:`\delta`,

    .. math::

        \alpha(\ell) &= \sigma_x^2\Big[
            h\big(\bar\lambda_- + \delta, (\underline\lambda_+ - \delta)_+, \mu_m(\ell)\big)
            + h\big(\bar\lambda_+ + \delta, (\underline\lambda_- - \delta)_+, \mu_n(\ell)\big)
            \Big], \\
        \beta(\ell) &= s^2\Big[p\big(\bar\lambda_+ + \delta, \bar\sigma(\ell)\big)
            + p\big(\bar\lambda_- + \delta, \bar\sigma(\ell)\big)\Big],

    where :math:`\mu_i(\ell) = (\sigma_i(\Theta^\ast) - \Delta(\ell))_+`,
    :math:`\bar\sigma(\ell) = \sigma_1(\Theta^\ast) + \Delta(\ell)`,
    :math:`h(a, b, \sigma) = \tfrac12(-a + b + \sqrt{(a + b)^2 + 4\sigma^2})` (the lemma of
    Min et al. on :math:`\lambda_m(UU^\top)`, :math:`\lambda_n(VV^\top)`) and
    :math:`p(a, \sigma) = \tfrac12(a + \sqrt{a^2 + 4\sigma^2})` (``lem-gd-gram``).
    :math:`\Phi(\eta; \ell)` is the descent factor :math:`\varphi` with
    :math:`\beta = \beta(\ell)`. The budget is :math:`\delta = 2\eta(\ell_0 - \ell^\ast)`
    for a fixed step :math:`\eta` and :math:`\delta = 2\int_{\ell^\ast}^{\ell_0}
    \eta(\ell)\,d\ell` (an upper sum, with the steps computed at zero drift) for the
    adaptive step (``prop-gd-budget``).

    Attributes
    ----------
    s, sigma_x : float
        :math:`\sigma_1(X)`, :math:`\sigma_m(X)` (1 and 1 for matrix factorization).
    loss0, loss_star : float
        :math:`\ell_0` and the least value :math:`\ell^\ast`.
    theta_sv : ndarray
        Singular values of :math:`\Theta^\ast = X^+ Y`, largest first.
    terms : ImbalanceTerms
        :math:`\bar\lambda_\pm, \underline\lambda_\pm` of :math:`\Lambda_0`.
    step : float or None
        The fixed step, or None for the adaptive step.
    drift_budget : float
        :math:`\delta`, a bound on :math:`\lVert\Lambda_j - \Lambda_0\rVert_2` along the run.
    alpha0, beta0 : float
        :math:`\alpha(\ell_0)` and :math:`\beta(\ell_0)`.
    max_step : float
        The largest fixed step with :math:`\Phi(\eta; \ell_0) \ge 1/2` when
        :math:`\delta = 2\eta(\ell_0 - \ell^\ast)` (the step-size condition).
    """

    s: float
    sigma_x: float
    loss0: float
    loss_star: float
    theta_sv: np.ndarray
    terms: ImbalanceTerms
    step: float | None
    drift_budget: float
    alpha0: float
    beta0: float
    max_step: float
    _sp: _apriori.Spectra = field(repr=False)

    def _loss_arg(self, loss: float) -> float:
        x = _v.nonnegative_scalar("loss", loss)
        if x > self.loss0 * (1 + ACCEPT_RTOL) + ACCEPT_LOSS_ATOL:
            raise ValueError(
                f"loss must be <= loss0 = {self.loss0:.6g} (the bounds hold while the loss stays "
                f"below its start), got {x:.6g}"
            )
        return min(x, self.loss0)

    def alpha(self, loss: float) -> float:
        r""":math:`\alpha(\ell)`, a lower bound on the local :math:`\alpha(U_j, V_j)`.

        It holds at every iterate with :math:`\ell_j \le \ell`.

        Raises ``ValueError`` for a loss below 0 or above ``loss0``.
        """
        return self._sp.alpha(self._loss_arg(loss), self.drift_budget)

    def beta(self, loss: float) -> float:
        r""":math:`\beta(\ell)`, an upper bound on the local :math:`\beta(U_j, V_j)`.

        It holds at every iterate with :math:`\ell_j \le \ell`.

        Raises ``ValueError`` for a loss below 0 or above ``loss0``.
        """
        return self._sp.beta(self._loss_arg(loss), self.drift_budget)

    def _step_at(self, loss: float) -> float:
        if self.step is not None:
            return self.step
        return self._sp.adaptive_step(loss, self.drift_budget)

    def step_at(self, loss: float) -> float:
        r"""The step at loss :math:`\ell`: the fixed step, or the adaptive step :math:`\eta(\ell)`.

        :math:`\eta(\ell) = \arg\max_\eta \eta\Phi(\eta;\ell)`.

        The adaptive step is that of ``prop-gd-adaptive``.

        Raises ``ValueError`` for a loss below 0 or above ``loss0``.
        """
        return self._step_at(self._loss_arg(loss))

    def _factor(self, loss: float) -> float:
        eta = self._step_at(loss)
        if not eta > 0:
            return 1.0
        phi = self._sp.phi(eta, loss, self.drift_budget)
        return 1.0 - 2.0 * eta * max(phi, 0.0) * self._sp.alpha(loss, self.drift_budget)

    def factor(self, loss: float) -> float:
        r"""The guaranteed factor :math:`1 - 2\eta\Phi(\eta;\ell)\alpha(\ell)` of one step.

        One step from an iterate with loss :math:`\ell_j \le \ell` gives
        :math:`\ell_{j+1} - \ell^\ast \le` factor :math:`\cdot (\ell_j - \ell^\ast)`. For the
        adaptive rule, :math:`\eta = \eta(\ell_j)`: pass the current loss. Raises
        ``ValueError`` for a loss below 0 or above ``loss0``.
        """
        return self._factor(self._loss_arg(loss))

    def loss_bound(self, n_steps: int) -> np.ndarray:
        r"""A-priori bounds :math:`b_j \ge \ell_j` for :math:`j = 0, \dots,` ``n_steps``.

        :math:`b_0 = \ell_0` and :math:`b_{j+1} - \ell^\ast = f(b_j)(b_j - \ell^\ast)` with
        :math:`f` = :meth:`factor`. The factor increases with the loss, so bounding
        :math:`\ell_j` by :math:`b_j` keeps the recursion valid.

        Parameters
        ----------
        n_steps : int
            Number of steps, ``>= 0``.

        Returns
        -------
        ndarray, shape (n_steps + 1,)
        """
        n_steps = _v.count("n_steps", n_steps, 0)
        out = np.empty(n_steps + 1)
        b = self.loss0
        out[0] = b
        for j in range(n_steps):
            b = self.loss_star + self._factor(b) * (b - self.loss_star)
            out[j + 1] = b
        return out


def rate_constants(
    Y: ArrayLike,
    U0: ArrayLike,
    V0: ArrayLike,
    *,
    X: ArrayLike | None = None,
    step: float | None = None,
) -> RateConstants:
    r"""The a-priori constants :math:`\alpha_0, \beta_0`, the drift budget, the step-size condition.

    See :class:`~overparam.gd.RateConstants` for the formulas (book: chapter 8,
    ``thm-gd-linear-rate``; these are the book's own constants, not those of Xu et al.,
    AISTATS 2023). The theorem: for a fixed step :math:`\eta \le` ``max_step``, or for the
    adaptive step :math:`\eta_j = \eta(\ell_j)`, every step satisfies

    .. math::

        \ell_{j+1} - \ell^\ast
        \le \big(1 - 2\eta_j \Phi(\eta_j; \ell_j)\,\alpha(\ell_j)\big)(\ell_j - \ell^\ast)
        \le (1 - \eta_j\alpha_0)(\ell_j - \ell^\ast),

    and :math:`\lVert \Lambda_j - \Lambda_0 \rVert_2 \le \delta` for all j.

    Parameters
    ----------
    Y : array_like, shape (m, n), or (N, n) with ``X``
    U0 : array_like, shape (m, k)
    V0 : array_like, shape (n, k)
    X : array_like, shape (N, m), optional
        Must have full column rank m (then :math:`\Theta^\ast = X^+Y` is the unique
        least-squares solution).
    step : float, optional
        A fixed step :math:`0 < \eta \le` ``max_step``; None (default) for the adaptive step.

    Returns
    -------
    RateConstants

    Raises
    ------
    ValueError
        If a shape does not fit, an entry is not finite, ``X`` has rank below m, or
        ``step`` is not positive or exceeds the step-size condition.
    """
    Y, U0, V0, X = _v.problem(Y, U0, V0, X)
    norms = _common.x_norms(X)
    _common.check_full_column_rank(X, norms)
    sp = _apriori.spectra(Y, U0, V0, X, norms)
    max_step = _apriori.max_fixed_step(sp)
    if step is None:
        drift = _apriori.adaptive_drift(sp)
    else:
        step = _v.positive_scalar("step", step)
        if step > max_step * (1 + ACCEPT_RTOL):
            raise ValueError(
                f"step = {step:.6g} exceeds max_step = {max_step:.6g}: the step-size condition "
                "Phi(step; loss0) >= 1/2 fails"
            )
        drift = 2.0 * step * (sp.loss0 - sp.loss_star)
    return RateConstants(
        s=sp.s,
        sigma_x=sp.sigma_x,
        loss0=sp.loss0,
        loss_star=sp.loss_star,
        theta_sv=sp.theta_sv,
        terms=sp.terms,
        step=step,
        drift_budget=float(drift),
        alpha0=float(sp.alpha(sp.loss0, drift)),
        beta0=float(sp.beta(sp.loss0, drift)),
        max_step=float(max_step),
        _sp=sp,
    )
