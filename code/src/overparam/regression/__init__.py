r"""Regression with a two-layer linear network: data, decompositions, initializations.

The model is :math:`\ell(U, V) = \tfrac12 \lVert Y - X U V^\top \rVert_F^2` with data
:math:`X \in \mathbb{R}^{N \times m}`, targets :math:`Y \in \mathbb{R}^{N \times n}`
and factors :math:`U \in \mathbb{R}^{m \times k}`, :math:`V \in \mathbb{R}^{n \times k}`
(book: chapters 5 and 6). Write the compact SVD of the data as

.. math::

    X = W_x \Sigma_x^{1/2} \Phi_1^\top, \qquad
    \Sigma_x = \operatorname{diag}(\lambda_1(X^\top X), \dots, \lambda_r(X^\top X)),

with :math:`r = \operatorname{rank} X`, :math:`W_x` (N x r) and :math:`\Phi_1` (m x r)
with orthonormal columns, and let :math:`\Phi_2` (m x (m - r)) span the null space of
:math:`X`. Then :math:`U_1 = \Phi_1^\top U`, :math:`U_2 = \Phi_2^\top U`, and

* :math:`\dot U_2 = 0` along the gradient flow, since :math:`X \Phi_2 = 0`;
* :math:`D = U_1^\top U_1 - V^\top V` is conserved;
* the smallest loss is :math:`\ell^\ast = \tfrac12 \lVert (I - W_x W_x^\top) Y \rVert_F^2`
  and the loss splits as
  :math:`\ell = \ell^\ast + \tfrac12 \lVert \tilde Y - \Sigma_x^{1/2} U_1 V^\top \rVert_F^2`
  with :math:`\tilde Y = W_x^\top Y`;
* the minimum-norm least-squares solution is
  :math:`\Theta^\ast = X^+ Y = \Phi_1 \Sigma_x^{-1/2} \tilde Y`.

Modules: ``decomposition``, ``data``,
``initializations``, ``limit``; their
public names are available here.

.. rubric:: Functions

decompose
    The decomposition above, as a :class:`DataDecomposition`.
min_norm_solution
    :math:`\Theta^\ast = X^+ Y`.
split_U, reduced_imbalance, off_subspace_norm
    :math:`(U_1, U_2)`, :math:`D`, and :math:`\lVert [V U_2^\top; U_1 U_2^\top] \rVert_F`.
gaussian_initialization, random_initialization, balanced_initialization, orthogonal_initialization
    Initializations: :math:`(\sigma_U G_1, \sigma_V G_2)`; i.i.d.
    :math:`\mathcal N(0, k^{-2a})` entries (optionally in a narrow, width-free form);
    balanced; and orthogonal (:math:`V U_2^\top = 0`, :math:`U_1 U_2^\top = 0`).
regression_data, experiment_a_data, experiment_b_data
    Data :math:`Y = X\Theta + \varepsilon` with prescribed or Gaussian :math:`X`.
flow_limit
    Run the flow until the loss is within a relative tolerance of :math:`\ell^\ast`.
"""

from __future__ import annotations

from .data import RegressionData, experiment_a_data, experiment_b_data, regression_data
from .decomposition import (
    DataDecomposition,
    decompose,
    min_norm_solution,
    off_subspace_norm,
    reduced_imbalance,
    split_U,
)
from .initializations import (
    balanced_initialization,
    gaussian_initialization,
    orthogonal_initialization,
    random_initialization,
)
from .limit import FlowLimit, flow_limit

__all__ = [
    "DataDecomposition",
    "RegressionData",
    "FlowLimit",
    "decompose",
    "min_norm_solution",
    "split_U",
    "reduced_imbalance",
    "off_subspace_norm",
    "gaussian_initialization",
    "random_initialization",
    "balanced_initialization",
    "orthogonal_initialization",
    "regression_data",
    "experiment_a_data",
    "experiment_b_data",
    "flow_limit",
]
