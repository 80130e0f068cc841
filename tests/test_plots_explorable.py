"""labcode.plots.explorable: the frames a figure with a slider shows, and what the notebook output stores."""

from __future__ import annotations

import base64
import io

import numpy as np
import pytest
from matplotlib.axes import Axes
from PIL import Image

from labcode import plots
from labcode.plots.explorable import EXPLORABLE_MAX_FRAMES, FRAME_COLOURS, phone_text_px


def line_frame(fig, slope):
    ax = fig.subplots()
    x = np.linspace(0, 1, 5)
    ax.plot(x, slope * x)
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    return f"a line of slope {slope:g}"


@pytest.fixture(scope="module")
def three():
    plots.use_book_style()
    return plots.explorable(
        line_frame, [0.5, 1.0, 2.0], label="the slope", setting=lambda s: f"slope {s:g}", start=1, height=3.0
    )


def decode(frame: str) -> Image.Image:
    return Image.open(io.BytesIO(base64.b64decode(frame)))


def test_one_frame_per_value_each_the_same_size(three):
    assert len(three.frames) == 3 and three.settings == ("slope 0.5", "slope 1", "slope 2")
    assert three.captions == ("a line of slope 0.5", "a line of slope 1", "a line of slope 2")
    sizes = {decode(f).size for f in three.frames}
    # every frame exactly the figure's size at 2x, so a frame replaces another without moving the page
    assert sizes == {(2 * three.width, 2 * three.height)}
    assert (three.width, three.height) == (round(plots.PHONE_WIDTH * 100), 300)
    assert len(set(three.frames)) == 3, "different values must draw different frames"


def test_the_frames_share_one_small_palette(three):
    """One palette of at most FRAME_COLOURS for all the frames: what the slider does not move (the axes, the labels)
    is the same pixels in every frame, which is what lets the site send each frame as what it changes."""
    images = [decode(f) for f in three.frames]
    assert {image.mode for image in images} == {"P"}
    palettes = {tuple(image.getpalette()[: 3 * FRAME_COLOURS]) for image in images}
    assert len(palettes) == 1 and max(int(np.asarray(image).max()) for image in images) < FRAME_COLOURS
    pixels = [np.asarray(image.convert("RGB")) for image in images]
    changed = [np.any(p != pixels[1], axis=2) for p in pixels]
    # the line moves (and the y ticks with it); the x axis's ticks and label, the bottom 50 px, do not
    assert all(not c[-50:].any() for c in changed)
    assert all(c.any() for k, c in enumerate(changed) if k != 1)


def test_the_output_is_the_first_frame_and_the_captions(three):
    data, metadata = three._repr_mimebundle_()
    assert data["image/png"] == three.frames[1]  # start=1
    assert data["text/plain"].splitlines() == [
        "A figure with a slider, the slope: 3 settings, shown at slope 1",
        "slope 0.5: a line of slope 0.5",
        "slope 1: a line of slope 1",
        "slope 2: a line of slope 2",
    ]
    meta = metadata["image/png"]
    assert (meta["width"], meta["height"]) == (three.width, three.height)
    assert meta["explorable"]["frames"] == list(three.frames) and meta["explorable"]["start"] == 1
    assert "phone" not in meta  # one frame set serves phone and desktop: no <picture>


def test_text_reads_9_px_on_a_phone(three):
    assert phone_text_px(three.smallest_text_px, three.width) >= 9.0
    assert phone_text_px(10.0, 654) == pytest.approx(5.0)


def test_small_text_is_refused():
    def tiny(fig, value):
        ax = fig.subplots()
        ax.set_xlabel("x", fontsize=5)
        return "tiny"

    with pytest.raises(ValueError, match="reads .* px on a phone"):
        plots.explorable(tiny, [1, 2], label="v", setting=str)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"values": [1]}, ValueError, "2 to"),
        ({"values": list(range(EXPLORABLE_MAX_FRAMES + 1))}, ValueError, "2 to"),
        ({"start": 2}, ValueError, "start must index"),
        ({"start": True}, ValueError, "start must index"),
        ({"label": ""}, TypeError, "label"),
        ({"setting": "h"}, TypeError, "callables"),
        ({"height": 0.1}, ValueError, "height"),
    ],
)
def test_arguments_are_checked(kwargs, error, match):
    args = {"values": [1.0, 2.0], "label": "v", "setting": str, **kwargs}
    with pytest.raises(error, match=match):
        plots.explorable(line_frame, **args)


def test_draw_must_return_a_caption():
    with pytest.raises(TypeError, match="caption"):
        plots.explorable(lambda fig, v: fig.subplots() and None, [1, 2], label="v", setting=str)


def test_mark_step_marks_h_on_the_error_v():
    h = np.geomspace(1e-8, 1, 9)
    ax = plots.plot_step_size_error(h, {"forward": h, "central": h**2}, mark_best=False, title=None)
    before = len(ax.lines)
    assert plots.mark_step(ax, 1e-4, {"forward": 1e-4, "central": 0.0}) is ax
    vertical, *dots = ax.lines[before:]
    assert list(vertical.get_xdata()) == [1e-4, 1e-4]
    assert [d.get_ydata()[0] for d in dots] == [1e-4, plots.ZERO_FLOOR]  # an exact 0 sits on the floor
    assert [d.get_color() for d in dots] == list(plots.OKABE_ITO[:2])
    with pytest.raises(ValueError, match="absolute error"):
        plots.mark_step(ax, 1e-4, {"forward": -1.0})
    with pytest.raises(TypeError, match="Axes"):
        plots.mark_step("ax", 1e-4, {"forward": 1.0})
    assert isinstance(ax, Axes)
