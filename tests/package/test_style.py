"""overparam.style: the book's figure style and its offline animation player."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
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


CALLS = {
    "style.use": edges.call(style.use),
    "style.animation_html": edges.call(
        style.animation_html,
        edges.lazy(_animation),
        "demo",
        "a line growing",
        dpi=10,
        default_mode="loop",
        skip={("alt", "unknown-option"): "alt is free text: any non-blank string is valid"},
    ),
}


def test_use_sets_an_opaque_colour_blind_safe_style():
    with matplotlib.rc_context():
        style.use()
        assert matplotlib.rcParams["savefig.transparent"] is False
        assert matplotlib.rcParams["figure.facecolor"] == "white"
        assert matplotlib.rcParams["axes.prop_cycle"].by_key()["color"][0] == style.PALETTE["blue"]


@settings(max_examples=30)
@given(key=st.sampled_from(sorted(style.RC)))
def test_use_applies_every_rc_entry(key):
    with matplotlib.rc_context():
        style.use()
        assert str(matplotlib.rcParams[key]) == str(matplotlib.rcParams.validate[key](style.RC[key]))


def test_every_palette_colour_and_role_is_a_valid_colour_and_roles_are_distinct():
    for colour in list(style.PALETTE.values()) + list(style.ROLES.values()):
        assert matplotlib.colors.is_color_like(colour), colour
    assert len(set(style.ROLES.values())) == len(style.ROLES)


def test_animation_html_is_deterministic_offline_and_has_alt_text():
    anim = _animation()
    first = style.animation_html(anim, "demo", 'a "line" growing', dpi=20)
    second = style.animation_html(anim, "demo", 'a "line" growing', dpi=20)
    assert first == second
    assert 'id="_anim_imgdemo" src="data:image/png;base64,' in first
    assert 'alt="a &quot;line&quot; growing"' in first
    # without its script the player shows the first frame
    img_src = re.search(r'id="_anim_imgdemo" src="([^"]+)"', first).group(1)
    frame = re.search(r'frames\[0\] = "([^"]+)"', first).group(1).replace("\\\n", "")
    assert img_src == frame and re.fullmatch(r"data:image/png;base64,[A-Za-z0-9+/=]+", img_src)
    assert "font-awesome" not in first and "https://" not in first and 'class="fa ' not in first


class _Images(HTMLParser):
    def __init__(self):
        super().__init__()
        self.images = []

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self.images.append(dict(attrs))


@settings(max_examples=15)
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


@pytest.mark.parametrize(
    "kwargs, argument, error",
    [
        (dict(name="bad name", alt="x"), "name", ValueError),
        (dict(name="", alt="x"), "name", ValueError),
        (dict(name='a"b', alt="x"), "name", ValueError),
        (dict(name="ok", alt=" \n\t"), "alt", ValueError),
        (dict(name="ok", alt="x", dpi=0), "dpi", ValueError),
        (dict(name="ok", alt="x", dpi=-5), "dpi", ValueError),
        (dict(name="ok", alt="x", dpi=60.0), "dpi", TypeError),
        (dict(name="ok", alt="x", default_mode="bounce"), "default_mode", ValueError),
    ],
)
@pytest.mark.filterwarnings("ignore:Animation was deleted without rendering")  # rejected before rendering, by design
def test_animation_html_rejects_bad_input_by_name(kwargs, argument, error):
    anim = _animation()
    edges.rejects(lambda: style.animation_html(anim, **kwargs), argument, error)


def test_animation_html_rejects_a_figure_for_an_animation():
    fig = plt.figure()
    edges.rejects(lambda: style.animation_html(fig, "a", "b"), "animation", TypeError)
    plt.close(fig)
