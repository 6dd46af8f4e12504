"""The book's figure style and its offline animation player."""

from __future__ import annotations

import re

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
from matplotlib.animation import FuncAnimation  # noqa: E402

from overparam import style  # noqa: E402


def _animation():
    fig, ax = plt.subplots(figsize=(1, 1))
    (line,) = ax.plot([], [])
    anim = FuncAnimation(fig, lambda i: line.set_data([0, i], [0, i]) or (line,), frames=3)
    return fig, anim


def test_use_sets_an_opaque_colour_blind_safe_style():
    with style.context():
        assert matplotlib.rcParams["savefig.transparent"] is False
        assert matplotlib.rcParams["figure.facecolor"] == "white"
        assert matplotlib.rcParams["axes.prop_cycle"].by_key()["color"][0] == style.PALETTE["blue"]


def test_animation_html_is_deterministic_offline_and_has_alt_text():
    fig, anim = _animation()
    first = style.animation_html(anim, "demo", 'a "line" growing', dpi=20)
    second = style.animation_html(anim, "demo", 'a "line" growing', dpi=20)
    plt.close(fig)
    assert first == second
    assert 'id="_anim_imgdemo" src="data:image/png;base64,' in first
    assert 'alt="a &quot;line&quot; growing"' in first
    # without its script the player shows the first frame
    img_src = re.search(r'id="_anim_imgdemo" src="([^"]+)"', first).group(1)
    frame = re.search(r'frames\[0\] = "([^"]+)"', first).group(1).replace("\\\n", "")
    assert img_src == frame and re.fullmatch(r"data:image/png;base64,[A-Za-z0-9+/=]+", img_src)
    assert "font-awesome" not in first and "https://" not in first and 'class="fa ' not in first


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(name="bad name", alt="x"), "name must be"),
        (dict(name="ok", alt="  "), "alt must be"),
        (dict(name="ok", alt="x", dpi=0), "dpi must be"),
        (dict(name="ok", alt="x", default_mode="bounce"), "default_mode must be"),
    ],
)
@pytest.mark.filterwarnings("ignore:Animation was deleted without rendering")  # rejected before rendering, by design
def test_animation_html_rejects_bad_input(kwargs, message):
    fig, anim = _animation()
    with pytest.raises(ValueError, match=message):
        style.animation_html(anim, **kwargs)
    plt.close(fig)
