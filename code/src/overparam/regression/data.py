r"""Regression data sets :math:`Y = X\Theta + \varepsilon` (book: chapters 5 and 6).

:func:`regression_data` draws data with Gaussian or prescribed singular values;
:func:`experiment_a_data` and :func:`experiment_b_data` are the two data sets of Min et
al. (ICML 2021) that the book reproduces.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from .. import _numerics as _n
from .. import _validate as _v

__all__ = ["RegressionData", "regression_data", "experiment_a_data", "experiment_b_data"]

#: Features D and samples N of Min et al.'s experiments A and B.
PAPER_FEATURES = 400
PAPER_SAMPLES = 100
#: Standard deviation of the noise in the experiments and by default.
NOISE = 0.01


@dataclass(frozen=True)
class RegressionData:
    r"""A regression data set :math:`Y = X\Theta + \varepsilon`.

    Attributes
    ----------
    X : ndarray, shape (N, m)
    Y : ndarray, shape (N, n)
    Theta : ndarray, shape (m, n)
        The parameter that generated :math:`Y` (not the least-squares solution).
    """

    X: np.ndarray
    Y: np.ndarray
    Theta: np.ndarray


def _singular_values(value: ArrayLike, N: int, m: int) -> np.ndarray:
    s = _v.nonnegative_array("singular_values", value)
    if s.ndim != 1 or s.size == 0:
        raise ValueError(f"singular_values must be a non-empty 1-D array, got shape {s.shape}")
    if s.size > min(N, m):
        raise ValueError(
            f"singular_values has {s.size} entries but X is {N} x {m}: "
            f"at most min(N, m) = {min(N, m)}"
        )
    if not np.any(s > 0):
        raise ValueError("singular_values must not all be zero")
    return s


def _draw(
    N: int, m: int, n: int, rng: np.random.Generator, s: np.ndarray | None, noise: float
) -> RegressionData:
    """The data of :func:`regression_data`, for checked arguments."""
    if s is None:
        X = rng.standard_normal((N, m)) / np.sqrt(m)
    else:
        p = s.size
        X = (_n.orthonormal_columns(N, p, rng) * s) @ _n.orthonormal_columns(m, p, rng).T
    Theta = rng.standard_normal((m, n)) / np.sqrt(m)
    Y = X @ Theta + noise * rng.standard_normal((N, n))
    return RegressionData(X=X, Y=Y, Theta=Theta)


def regression_data(
    N: int,
    m: int,
    n: int,
    rng: np.random.Generator,
    *,
    singular_values: ArrayLike | None = None,
    noise: float = NOISE,
) -> RegressionData:
    r"""Random data :math:`Y = X\Theta + \varepsilon`.

    :math:`\Theta_{ij} \sim \mathcal N(0, 1/m)`,
    :math:`\varepsilon_{ij} \sim \mathcal N(0, \text{noise}^2)`. Without
    ``singular_values``, :math:`X` has i.i.d. :math:`\mathcal N(0, 1/m)` entries. With
    them, :math:`X = O_N\, \operatorname{diag}(s)\, O_m^\top` with Haar-random
    :math:`O_N` (N x p) and :math:`O_m` (m x p) with orthonormal columns,
    :math:`p` = ``len(singular_values)`` :math:`\le \min(N, m)`; zeros in ``s`` make
    :math:`X` rank-deficient. Condition number :math:`\kappa(X) = s_1 / s_r` and
    :math:`\lambda_r(\Sigma_x) = s_r^2` are then exact (book: chapter 5, conditioning).

    Parameters
    ----------
    N, m, n : int
        Samples, features, outputs.
    rng : numpy.random.Generator
        The only source of randomness (drawn in the order X, Theta, noise).
    singular_values : array_like, shape (p,), optional
        Non-negative singular values of :math:`X`, any order, :math:`p \le \min(N, m)`.
    noise : float
        Standard deviation of the noise, ``>= 0``.

    Returns
    -------
    RegressionData

    Raises
    ------
    ValueError
        If a count is below 1, ``noise`` is negative, or ``singular_values`` is not a
        non-empty 1-D array of at most min(N, m) non-negative numbers, not all zero.
    TypeError
        If a count is not an int or ``rng`` is not a numpy Generator.
    """
    N, m, n = _v.count("N", N), _v.count("m", m), _v.count("n", n)
    rng = _v.generator("rng", rng)
    noise = _v.nonnegative_scalar("noise", noise)
    s = None if singular_values is None else _singular_values(singular_values, N, m)
    return _draw(N, m, n, rng, s, noise)


def experiment_a_data(
    rng: np.random.Generator,
    *,
    D: int = PAPER_FEATURES,
    N: int = PAPER_SAMPLES,
    noise: float = NOISE,
) -> RegressionData:
    r"""Experiment A's data: :math:`X` (N x D) with all singular values 1, one output.

    :math:`Y = X\Theta + \varepsilon`, :math:`\Theta \sim \mathcal N(0, I/D)`,
    :math:`\varepsilon \sim \mathcal N(0, \text{noise}^2 I)` (Min et al., ICML 2021,
    appendix A; book: chapter 5, experiment A). :math:`\operatorname{rank} X = \min(N, D)`
    and :math:`\Sigma_x = I`.

    Parameters
    ----------
    rng : numpy.random.Generator
    D, N : int
        Features and samples (defaults: the paper's 400 and 100).
    noise : float
        Noise standard deviation (default 0.01).

    Returns
    -------
    RegressionData

    Raises
    ------
    ValueError, TypeError
        As :func:`regression_data`.
    """
    D, N = _v.count("D", D), _v.count("N", N)
    rng = _v.generator("rng", rng)
    noise = _v.nonnegative_scalar("noise", noise)
    return _draw(N, D, 1, rng, np.ones(min(N, D)), noise)


def experiment_b_data(
    rng: np.random.Generator,
    *,
    D: int = PAPER_FEATURES,
    N: int = PAPER_SAMPLES,
    noise: float = NOISE,
) -> RegressionData:
    r"""Experiment B's data: :math:`X` (N x D) with i.i.d. :math:`\mathcal N(0, 1/D)` entries.

    :math:`Y = X\Theta + \varepsilon` as in experiment A (Min et al., ICML 2021, figures 1
    and 4; book: chapter 6, experiment B).

    Parameters
    ----------
    rng : numpy.random.Generator
    D, N : int
        Features and samples (defaults: the paper's 400 and 100).
    noise : float
        Noise standard deviation (default 0.01).

    Returns
    -------
    RegressionData

    Raises
    ------
    ValueError, TypeError
        As :func:`regression_data`.
    """
    D, N = _v.count("D", D), _v.count("N", N)
    rng = _v.generator("rng", rng)
    noise = _v.nonnegative_scalar("noise", noise)
    return _draw(N, D, 1, rng, None, noise)
