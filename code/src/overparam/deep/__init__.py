r"""Gradient flow of deep linear networks :math:`W = W_L \cdots W_1` (book: chapter 7).

.. rubric:: Shapes

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

.. rubric:: Modules

network
    The product, the loss, the field, the gradient flow and its conservation laws.
scalar
    Scalar networks: the layer flow, the induced flow :math:`\dot x = (y - x)\rho_d(x)`
    of the product, the layer squares, the rate factor and the hitting time.
bounds
    Square layers: homogeneous imbalance, the margin, the local rate and the two rate
    bounds of the chapter.

Every public name is available as ``overparam.deep.<name>``.
"""

from .bounds import (
    homogeneous_init,
    homogeneous_rate_bound,
    imbalance_lower_bounds,
    imbalance_rate_bound,
    local_rate,
    loss_bound,
    margin,
)
from .network import (
    DeepTrajectory,
    conservation_drift,
    conserved_quantities,
    gradient_flow,
    loss,
    product,
    vector_field,
)
from .scalar import (
    ScalarDeepTrajectory,
    hitting_time,
    induced_flow,
    layer_squares,
    rate_factor,
    scalar_flow,
)

__all__ = [
    "DeepTrajectory",
    "ScalarDeepTrajectory",
    "product",
    "loss",
    "vector_field",
    "gradient_flow",
    "conserved_quantities",
    "conservation_drift",
    "scalar_flow",
    "layer_squares",
    "rate_factor",
    "induced_flow",
    "hitting_time",
    "homogeneous_init",
    "margin",
    "local_rate",
    "homogeneous_rate_bound",
    "imbalance_lower_bounds",
    "imbalance_rate_bound",
    "loss_bound",
]
