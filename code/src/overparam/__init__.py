"""Helpers for the book *Gradient Flow in Overparameterized Linear Models*.

Modules
-------
flow
    The gradient flow of a two-layer linear network, in parameter space and in
    the width-free (Gram) form.
scalar
    The scalar warm-up ``l(u, v) = (y - uv)^2 / 2``, with its closed-form solution.
spectral
    Spectral initializations and their closed-form flow.
riccati
    The Riccati closed form under homogeneous imbalance ``U^T U - V^T V = lambda I``.
bounds
    The convergence-rate bound from imbalance and margin (chapter 4), with data X (chapter 5).
regression
    Regression data, the decomposition of X, initializations, the min-norm solution (chapters 5, 6).
gd
    Gradient descent as a discretization of the flow; fixed and adaptive steps (chapter 8).
deep
    Deep linear networks ``W = W_L ... W_1``: flows, conservation laws, bounds (chapter 7).
style
    The book's figure style.
"""

from . import bounds, deep, flow, gd, regression, riccati, scalar, spectral, style

__all__ = ["flow", "scalar", "spectral", "riccati", "bounds", "regression", "deep", "gd", "style"]
__version__ = "0.1.0"
