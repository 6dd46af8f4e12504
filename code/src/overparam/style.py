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

import re
from html import escape as html_escape

import matplotlib as mpl
from cycler import cycler
from matplotlib.animation import Animation

from . import _validate as _v

__all__ = ["PALETTE", "ROLES", "RC", "use", "animation_html"]

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
    "axes.prop_cycle": cycler(
        color=[PALETTE[c] for c in ("blue", "orange", "green", "vermillion", "purple", "sky")]
        + [PALETTE["black"]]
    ),
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
    """Apply the book's figure style to matplotlib's global defaults.

    Updates ``matplotlib.rcParams`` with :data:`RC`: the Okabe-Ito colour cycle, opaque
    white backgrounds, font sizes readable at page width. Call it once, at the top of a
    chapter.
    """
    mpl.rcParams.update(RC)


# The player of matplotlib's to_jshtml draws its buttons with Font Awesome 4 icons
# loaded from a CDN; these glyphs need no download.
_PLAYER_ICONS = {
    "fa fa-minus": "\u2212",
    "fa fa-fast-backward": "\u23ee",
    "fa fa-step-backward": "\u23ea",
    "fa fa-play fa-flip-horizontal": "\u25c0",
    "fa fa-pause": "\u23f8",
    "fa fa-play": "\u25b6",
    "fa fa-step-forward": "\u23e9",
    "fa fa-fast-forward": "\u23ed",
    "fa fa-plus": "+",
}


def animation_html(
    animation: Animation, name: str, alt: str, *, dpi: int = 60, default_mode: str = "once"
) -> str:
    """A matplotlib animation as self-contained HTML that plays in a static page.

    Wraps :meth:`matplotlib.animation.Animation.to_jshtml` (frames embedded as
    PNGs, a JavaScript player, no kernel needed) and makes the result fit for the
    book: the random element id becomes ``name`` (so the output is the same on
    every run), the frame image gets the alt text ``alt`` and shows the first frame
    even where the player's script does not run, and the player's icons are plain
    characters instead of a stylesheet fetched from a CDN.

    Parameters
    ----------
    animation : matplotlib.animation.Animation
    name : str
        Identifier for the player's HTML elements: letters, digits and ``_``.
    alt : str
        Alt text of the animation's image, for screen readers.
    dpi : int
        Resolution of the embedded frames (small keeps the page light).
    default_mode : {"once", "loop", "reflect"}
    """
    if not isinstance(animation, Animation):
        raise TypeError(
            f"animation must be a matplotlib.animation.Animation, got {type(animation).__name__}"
        )
    if not isinstance(name, str):
        raise TypeError(f"name must be a str, got {type(name).__name__}")
    if not re.fullmatch(r"[A-Za-z0-9_]+", name):
        raise ValueError(
            f"name must be a non-empty string of letters, digits and '_', got {name!r}"
        )
    if not isinstance(alt, str):
        raise TypeError(f"alt must be a str, got {type(alt).__name__}")
    if not alt.strip():
        raise ValueError("alt must be a non-empty description of the animation")
    _v.choice("default_mode", default_mode, ("once", "loop", "reflect"))
    dpi = _v.count("dpi", dpi, 1)
    with mpl.rc_context({"savefig.dpi": dpi}):
        html = animation.to_jshtml(default_mode=default_mode)
    found = re.search(r'id="_anim_img([0-9a-f]+)"', html)
    if found is None:  # pragma: no cover - matplotlib's template changed
        raise RuntimeError("unexpected to_jshtml output: no image element found")
    html = html.replace(found.group(1), name)
    alt_text = html_escape(alt, quote=True)
    html = html.replace(f'id="_anim_img{name}"', f'id="_anim_img{name}" alt="{alt_text}"')
    # Where scripts do not run (JupyterLab does not run those of saved outputs until the
    # notebook is trusted), the player is inert: its image shows the first frame, not nothing.
    # (the frames are JavaScript strings continued over lines with a backslash)
    first_frame = re.search(
        r'frames\[0\] = "(data:image/png;base64,[A-Za-z0-9+/=\\\n]+)"', html
    )
    if first_frame is None:  # pragma: no cover - matplotlib's template changed
        raise RuntimeError("unexpected to_jshtml output: no first frame found")
    src = first_frame.group(1).replace("\\\n", "")
    html = html.replace(f'id="_anim_img{name}"', f'id="_anim_img{name}" src="{src}"', 1)
    html = re.sub(r"<link[^>]*font-awesome[^>]*>", "", html)
    for css_class, glyph in _PLAYER_ICONS.items():
        html = html.replace(
            f'<i class="{css_class}"></i>', f'<span aria-hidden="true">{glyph}</span>'
        )
    return html
