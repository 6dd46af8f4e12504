"""Helpers for the book *Gradient Flow in Overparameterized Linear Models*.

The public modules, in the order of the chapters (the book's API page documents each):

scalar
    The scalar model ``l(u, v) = (y - uv)^2 / 2``: flow, induced flow, closed form.
flow
    The gradient flow of a two-layer linear network, in parameter space or through
    its Gram matrix (width-free).
spectral
    Spectral initializations and their closed-form flow.
riccati
    Starts with homogeneous imbalance ``U^T U - V^T V = lambda I`` and the Riccati
    closed form.
bounds
    The convergence rate from imbalance and margin (chapter 4), with data X (chapter 5).
regression
    Regression data, the decomposition of X, initializations, the minimum-norm solution
    and the limit of the flow (chapters 5, 6).
deep
    Deep linear networks ``W = W_L ... W_1``: flows, conservation laws, bounds (chapter 7).
gd
    Gradient descent as a discretization of the flow; fixed and adaptive steps (chapter 8).
style
    The book's figure style.

Private modules (no input checks; the public functions check their arguments once and
then call them): ``_validate`` (the checks), ``_numerics`` (formulas shared by several
modules), ``_ode`` (the ODE integrator), and the private cores of single modules.
"""

from . import bounds, deep, flow, gd, regression, riccati, scalar, spectral, style

__all__ = ["scalar", "flow", "spectral", "riccati", "bounds", "regression", "deep", "gd", "style"]
__version__ = "0.1.0"
