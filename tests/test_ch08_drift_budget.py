"""Chapter 8, prop-gd-budget: the drift budget of the adaptive step is self-consistent.

The adaptive step eta_delta(l) = argmax_eta eta Phi(eta; l) depends on the budget delta
through beta(l), so part 2 of thm-gd-linear-rate asks for delta >= F(delta) with
F(delta) = 2 int_{l*}^{l0} eta_delta(l) dl. overparam.gd takes delta = F(0) (steps at
zero drift, an upper sum). On random instances, factorization and regression:

- the steps do not increase with the budget (eta_delta <= eta_delta' for delta >= delta');
- F(delta) <= F(0) <= delta for the budget that rate_constants returns;
- the step the run takes is the maximizer of eta * phi(eta) at beta(l) (gd._common.bound_step),
  and the drift of the adaptive run stays below F(delta).
"""

from __future__ import annotations

import numpy as np
import pytest

from overparam import gd
from overparam.gd._common import bound_step

SEEDS = range(12)


def instance(seed):
    rng = np.random.default_rng(seed)
    m, n = rng.integers(1, 5, size=2)
    k = int(rng.integers(max(m, n), 8))
    regression = seed % 2 == 1
    X = rng.standard_normal((m + 2, m)) if regression else None
    Y = rng.standard_normal(((m + 2) if regression else m, n))
    tilt = np.exp(rng.normal())
    return Y, tilt * rng.standard_normal((m, k)), rng.standard_normal((n, k)) / tilt, X


def upper_integral(const, step_of_loss):
    """2 * (upper sum of) int_{l*}^{l0} eta(l) dl for eta decreasing in l: eta at the lower end of each interval."""
    excess = const.loss0 - const.loss_star
    levels = const.loss_star + excess * np.append(np.logspace(0, -16, 401), 0.0)
    etas = np.array([step_of_loss(level) for level in levels[1:]])
    return 2.0 * float(np.sum(etas * -np.diff(levels)))


@pytest.mark.parametrize("seed", SEEDS)
def test_adaptive_budget_is_self_consistent(seed):
    Y, U0, V0, X = instance(seed)
    const = gd.rate_constants(Y, U0, V0, X=X)  # adaptive: delta = F(0)
    small = gd.rate_constants(Y, U0, V0, X=X, step=1e-3 * const.max_step)  # a much smaller budget
    assert small.drift_budget <= const.drift_budget
    levels = const.loss_star + (const.loss0 - const.loss_star) * np.logspace(0, -12, 40)
    for level in levels:
        step = const.step_at(level)
        assert step == pytest.approx(bound_step(const.beta(level), level, const.s), rel=1e-12)
        # a larger budget gives a larger beta(l), hence a step that is no larger
        assert const.beta(level) >= small.beta(level)
        assert step <= bound_step(small.beta(level), level, small.s) * (1 + 1e-12)
    F_delta = upper_integral(const, const.step_at)
    F_small = upper_integral(const, lambda level: bound_step(small.beta(level), level, small.s))
    assert F_delta <= F_small * (1 + 1e-12)
    assert F_delta <= const.drift_budget * (1 + 1e-12)
    run = gd.adaptive_gradient_descent(Y, U0, V0, 200, X=X, rule="loss", store_factors=False)
    assert np.all(run.drift <= F_delta + 1e-12 * (1 + F_delta))
