"""Edge tests of overparam.style (see tests/edges.py)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

from html.parser import HTMLParser  # noqa: E402

import matplotlib.pyplot as plt  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from matplotlib.animation import FuncAnimation  # noqa: E402

import edges  # noqa: E402
from overparam import style  # noqa: E402


def _animation(frames=2):
    fig, ax = plt.subplots(figsize=(1.0, 1.0))
    (line,) = ax.plot([], [])
    anim = FuncAnimation(fig, lambda i: line.set_data([0, i], [0, i]) or (line,), frames=frames)
    plt.close(fig)  # the animation keeps its figure; nothing is shown
    return anim


ANIM = _animation()

edges.valid("style.use", style.use)
edges.valid("style.context", style.context)
edges.valid(
    "style.animation_html", style.animation_html, ANIM, "demo", "a line growing", dpi=10, default_mode="loop",
    skip={("alt", "unknown-option"): "alt is free text: any non-blank string is valid"},
)

edges.bad("style.animation_html", "type", "figure-for-animation", lambda: style.animation_html(plt.figure(), "a", "b"), "animation", TypeError)
edges.bad("style.animation_html", "value", "name-with-space", lambda: style.animation_html(ANIM, "bad name", "b"), "name")
edges.bad("style.animation_html", "value", "empty-name", lambda: style.animation_html(ANIM, "", "b"), "name")
edges.bad("style.animation_html", "value", "name-with-quote", lambda: style.animation_html(ANIM, 'a"b', "b"), "name")
edges.bad("style.animation_html", "value", "blank-alt", lambda: style.animation_html(ANIM, "a", " \n\t"), "alt")
edges.bad("style.animation_html", "value", "dpi-zero", lambda: style.animation_html(ANIM, "a", "b", dpi=0), "dpi")
edges.bad("style.animation_html", "value", "dpi-negative", lambda: style.animation_html(ANIM, "a", "b", dpi=-5), "dpi")
edges.bad("style.animation_html", "type", "dpi-float", lambda: style.animation_html(ANIM, "a", "b", dpi=60.0), "dpi", TypeError)
edges.bad("style.animation_html", "value", "mode-bounce", lambda: style.animation_html(ANIM, "a", "b", default_mode="bounce"), "default_mode")


class _Images(HTMLParser):
    def __init__(self):
        super().__init__()
        self.images = []

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self.images.append(dict(attrs))


@edges.covers("style.animation_html")
@settings(max_examples=edges.examples(15))
@given(
    alt=st.text(min_size=1, max_size=40).filter(lambda s: s.strip()),
    name=st.from_regex(r"[A-Za-z0-9_]{1,12}", fullmatch=True),
    frames=st.integers(1, 3),
    mode=st.sampled_from(["once", "loop", "reflect"]),
)
def test_animation_html_round_trips_any_alt_text_and_stays_offline(alt, name, frames, mode):
    anim = _animation(frames)
    page = style.animation_html(anim, name, alt, dpi=8, default_mode=mode)
    parser = _Images()
    parser.feed(page)
    found = [img for img in parser.images if img.get("id") == f"_anim_img{name}"]
    # exactly one frame image, whose alt attribute reads back as the given text (quotes, <, & escaped)
    assert len(found) == 1
    assert found[0]["alt"] == alt
    assert "https://" not in page and "font-awesome" not in page
    assert style.animation_html(anim, name, alt, dpi=8, default_mode=mode) == page  # the same on every run


@edges.covers("style.use", "style.context")
@settings(max_examples=edges.examples(30))
@given(key=st.sampled_from(sorted(style.RC)), dummy=st.integers(0, 3))
def test_context_applies_every_rc_entry_and_restores_the_previous_one(key, dummy):
    before = dict(matplotlib.rcParams)
    with style.context():
        applied = matplotlib.rcParams[key]
    assert dict(matplotlib.rcParams) == before  # restored exactly
    with matplotlib.rc_context():
        style.use()
        assert matplotlib.rcParams[key] == applied  # use() sets the same value as context()
    assert str(applied) == str(matplotlib.rcParams.validate[key](style.RC[key]))


def test_every_palette_colour_and_role_is_a_valid_colour_and_roles_are_distinct():
    for colour in list(style.PALETTE.values()) + list(style.ROLES.values()):
        assert matplotlib.colors.is_color_like(colour), colour
    assert len(set(style.ROLES.values())) == len(style.ROLES)
