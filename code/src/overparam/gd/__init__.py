r"""Gradient descent on a two-layer linear network, and a linear rate for it.

The model and loss are those of :mod:`overparam.flow`,

.. math::

    \ell(U, V) = \tfrac12 \lVert Y - X U V^\top \rVert_F^2, \qquad
    G = X^\top (Y - X U V^\top),

with :math:`X = I` (matrix factorization) when no data matrix is given. Gradient
descent with steps :math:`\eta_j > 0` is

.. math::

    U_{j+1} = U_j + \eta_j G_j V_j, \qquad V_{j+1} = V_j + \eta_j G_j^\top U_j ,

the forward Euler method for the gradient flow: iterate :math:`j` approximates the
flow at time :math:`t_j = \eta_0 + \dots + \eta_{j-1}` (:math:`= j\eta` for a fixed
step). The loss is NOT divided by the number of samples: a run with step
:math:`\eta'` on :math:`\tfrac1N \lVert Y - XUV^\top \rVert_F^2` is the run here with
:math:`\eta = 2\eta'/N`, and its iteration :math:`j` sits at flow time
:math:`t = 2\eta' j / N` (book: chapter 8, ``ch-gd``).

.. rubric:: Width-free iteration

With :math:`Z = [U; V]` ((m + n) x k) and :math:`S_j = \begin{pmatrix} 0 & G_j \\
G_j^\top & 0 \end{pmatrix}`, one step is :math:`Z_{j+1} = (I + \eta_j S_j) Z_j`, and
:math:`S_j` depends on :math:`Z_j` only through :math:`W_j = U_j V_j^\top`. Hence
:math:`Z_j = \Pi_j Z_0` with an (m + n) x (m + n) matrix :math:`\Pi_j`, and running
gradient descent from ANY factor :math:`\hat Z_0` with :math:`\hat Z_0 \hat Z_0^\top =
Z_0 Z_0^\top` gives the same :math:`W_j`, :math:`P_j = U_j U_j^\top`,
:math:`Q_j = V_j V_j^\top` and losses. The runs (:func:`gradient_descent`,
:func:`adaptive_gradient_descent`) iterate such a factor with at most m + n columns, so
a step costs the same at width 10 and at width :math:`10^5`;
the full factors :math:`(U_j, V_j)` are rebuilt as :math:`\Pi_j Z_0` only at the
recorded steps, and only when asked for.

.. rubric:: The imbalance

:math:`\Lambda = U^\top U - V^\top V`, conserved by the flow, moves under gradient
descent by exactly

.. math::

    \Lambda_{j+1} - \Lambda_j = \eta_j^2 \left( V_j^\top G_j^\top G_j V_j
        - U_j^\top G_j G_j^\top U_j \right)

(:func:`imbalance_increment`; book: chapter 8, ``prop-gd-imbalance-step``). Its
nonzero eigenvalues, and so :math:`\lVert \Lambda_j - \Lambda_0 \rVert_2`, are read off
the narrow factor (``GDTrajectory.drift``).

.. rubric:: A linear rate (the book's derivation)

Xu, Min, Tarmoun, Mallada and Vidal (AISTATS 2023) prove a linear rate for this
gradient descent with a step-size condition and a time-varying step. Their exact
constants are not reproduced here. The quantities below are the book's own
(chapter 8, ``thm-gd-linear-rate``), for data :math:`X` with full column rank
(:math:`X = I` included), :math:`s = \sigma_1(X)`, :math:`\sigma_x = \sigma_m(X)`:

* local constants (:func:`local_constants`): :math:`\alpha(U, V) = \sigma_x^2
  (\lambda_m(UU^\top) + \lambda_n(VV^\top))` bounds the gradient from below,
  :math:`\lVert\nabla\ell\rVert^2 \ge 2\alpha(\ell - \ell^\ast)`, and
  :math:`\beta(U, V) = s^2(\lVert U\rVert_2^2 + \lVert V\rVert_2^2)` enters the one-step
  bound :math:`\ell(\text{next}) \le \ell - \eta\,\varphi(\eta)\lVert\nabla\ell\rVert^2`
  with the descent factor (:func:`descent_factor`)

  .. math::

      \varphi(\eta) = 1 - \tfrac{\eta}{2}(\beta + s\sqrt{2\ell})
          - \tfrac{\eta^2}{2} s\beta\sqrt{2\ell} - \tfrac{\eta^3}{4} s^2\beta\ell ;

* a-priori constants (:func:`rate_constants`): bounds
  :math:`\alpha(\ell) \le \alpha(U_j, V_j)` and :math:`\beta(\ell) \ge \beta(U_j, V_j)`
  valid along the whole run while the loss is :math:`\le \ell`, built from the
  imbalance and the margin at initialization and a budget for the imbalance drift;
  :math:`\alpha_0 = \alpha(\ell_0)`, :math:`\beta_0 = \beta(\ell_0)`;
* the step-size condition :math:`\Phi(\eta; \ell_0) \ge 1/2`
  (``RateConstants.max_step``), the guaranteed factor
  :math:`1 - 2\eta\Phi(\eta;\ell)\alpha(\ell)` per step, and the adaptive step
  :math:`\eta(\ell) = \arg\max_\eta \eta\Phi(\eta; \ell)` that minimizes it
  (:meth:`RateConstants.step_at`).

.. rubric:: Modules

``steps``
    one step: :func:`imbalance_increment`, :func:`descent_factor`, :func:`local_constants`;
``rate``
    the a-priori constants: :func:`rate_constants`, :class:`RateConstants`;
``runs``
    the runs: :func:`gradient_descent`, :func:`adaptive_gradient_descent`,
    :class:`GDTrajectory`.

The reader calls them as ``gd.<name>``; all are re-exported here.
"""

from __future__ import annotations

from .rate import RateConstants, rate_constants
from .runs import GDTrajectory, adaptive_gradient_descent, gradient_descent
from .steps import LocalConstants, descent_factor, imbalance_increment, local_constants

__all__ = [
    "GDTrajectory",
    "LocalConstants",
    "RateConstants",
    "gradient_descent",
    "adaptive_gradient_descent",
    "imbalance_increment",
    "descent_factor",
    "local_constants",
    "rate_constants",
]
