"""Helpers for the book *Gradient Flow in Overparameterized Linear Models*.

Modules
-------
flow
    The gradient flow of a two-layer linear network, in parameter space and in
    the width-free (Gram) form.
scalar
    The scalar warm-up ``l(u, v) = (y - uv)^2 / 2``.
style
    The book's figure style.
"""

from . import flow, scalar, style

__all__ = ["flow", "scalar", "style"]
__version__ = "0.1.0"
