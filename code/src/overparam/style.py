"""One figure style for the whole book.

Call :func:`use` once at the top of a chapter. It sets matplotlib's defaults:

* the Okabe-Ito palette, which stays distinguishable under the common forms of
  colour blindness, as the colour cycle;
* an opaque white figure and axes background, so that a figure keeps its dark
  text readable when the book is shown in its dark theme;
* font sizes readable at page width, light grid, no top/right spines.

Roles used across chapters (so that, e.g., a bound always looks like a bound):
``ROLES["theory"]`` for closed forms (solid lines), ``ROLES["numerics"]`` for ODE
solves (markers), ``ROLES["bound"]`` for bounds (dashed).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import matplotlib as mpl
from cycler import cycler

__all__ = ["PALETTE", "ROLES", "RC", "use", "context"]

#: Okabe & Ito (2008) colour-blind-safe palette, in cycle order.
PALETTE: dict[str, str] = {
    "blue": "#0072B2",
    "orange": "#E69F00",
    "green": "#009E73",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
    "sky": "#56B4E9",
    "yellow": "#F0E442",
    "black": "#000000",
}

#: Colours by role, fixed for the whole book.
ROLES: dict[str, str] = {
    "theory": PALETTE["blue"],
    "numerics": PALETTE["vermillion"],
    "bound": PALETTE["black"],
    "reference": "#555555",
    "solutions": PALETTE["green"],
}

#: The rcParams that :func:`use` applies.
RC: dict[str, object] = {
    "axes.prop_cycle": cycler(color=[PALETTE[c] for c in ("blue", "orange", "green", "vermillion", "purple", "sky", "black")]),
    "figure.figsize": (6.4, 4.0),
    "figure.dpi": 100,
    "savefig.dpi": 150,
    "figure.facecolor": "white",
    "axes.facecolor": "white",
    "savefig.facecolor": "white",
    "savefig.transparent": False,
    "text.color": "black",
    "axes.labelcolor": "black",
    "axes.edgecolor": "#333333",
    "xtick.color": "black",
    "ytick.color": "black",
    "font.size": 11,
    "axes.titlesize": 12,
    "axes.labelsize": 12,
    "legend.fontsize": 10,
    "legend.framealpha": 1.0,
    "legend.facecolor": "white",
    "lines.linewidth": 2.0,
    "lines.markersize": 5,
    "axes.grid": True,
    "grid.color": "#dddddd",
    "grid.linewidth": 0.6,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "figure.constrained_layout.use": True,
    "image.cmap": "viridis",
}


def use() -> None:
    """Apply the book's figure style to matplotlib's global defaults."""
    mpl.rcParams.update(RC)


@contextmanager
def context() -> Iterator[None]:
    """The book's style for the duration of a ``with`` block only."""
    with mpl.rc_context(RC):
        yield
