"""Figures the reader moves: one PNG frame per setting of a control, drawn by labcode when the notebook runs.

The notebook stores the frames; the site (book/_ext/explorables.py and book/_static/explorables.js) puts a labelled
slider under the figure and shows the frame it picks. The browser computes nothing: every value a frame or its
caption shows comes from the notebook's run, which nbval checks through the output's text (the captions).
"""

from __future__ import annotations

import base64
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from matplotlib.figure import Figure

from labcode.plots.style import CSS_PX_PER_INCH, PHONE_COLUMN_PX, PHONE_WIDTH, PIXEL_RATIO, smallest_text_pt

__all__ = ["Explorable", "explorable", "EXPLORABLE_MAX_FRAMES", "FRAME_COLOURS", "phone_text_px"]

# A reader fetches the frames only once they touch the control, but a chapter's page with every frame loaded should
# still stay under 800 kB compressed (tests/test_site_explorables.py).
EXPLORABLE_MAX_FRAMES = 16
# The frames are flat colours and their anti-aliased edges: the 24 colours most frequent across all the frames of one
# figure keep every flat colour exact (octree's 32 turned a grey legend frame pink), and a part of the figure that the
# control does not change is then the same pixels in every frame, so the site sends each frame but the first as what
# it changes (book/_ext/explorables.py). Chapter 1's 12 frames: 27 kB for the first and 36 kB for the eleven changes,
# where they were 375 kB as frames of 256 colours each in its own palette (the same 12 frames in one palette of 24 as
# PNGs: 323 kB); chapter 7's 6 frames: 34 kB and 25 kB.
FRAME_COLOURS = 24


def phone_text_px(smallest_text_px: float, width_px: float) -> float:
    """The size a reader sees text of ``smallest_text_px`` (CSS px at the figure's own size) in a figure
    ``width_px`` wide, on a 375 px phone, whose text column is ``PHONE_COLUMN_PX`` wide: figures shrink to fit."""
    return smallest_text_px * min(1.0, PHONE_COLUMN_PX / width_px)


@dataclass(frozen=True)
class Explorable:
    """One figure with a control: ``frames[k]`` (base64 PNG) is what the figure shows at the control's ``k``-th
    setting, which the control shows as ``settings[k]`` ("h = 1e-3") and the page describes as ``captions[k]``
    (what the frame shows, with its numbers). ``start`` is the frame a page (and its printout) shows first;
    ``label`` names the control ("step h"). ``width``, ``height`` are every frame's CSS size,
    ``smallest_text_px`` their smallest text in CSS px at that size."""

    label: str
    settings: tuple[str, ...]
    captions: tuple[str, ...]
    frames: tuple[str, ...]
    start: int
    width: int
    height: int
    smallest_text_px: float

    def __repr__(self) -> str:
        """What nbval compares and Colab shows without the site's script: the control and every caption."""
        lines = [
            f"A figure with a slider, {self.label}: {len(self.frames)} settings, shown at {self.settings[self.start]}"
        ]
        lines += [
            f"{setting}: {caption}" for setting, caption in zip(self.settings, self.captions, strict=True)
        ]
        return "\n".join(lines)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> tuple[dict, dict]:
        """The first frame as the output's image (with the figure standard's metadata), the captions as its text,
        and the rest under the image's metadata, ``explorable``, for the site's build."""
        metadata = {
            "width": self.width,
            "height": self.height,
            "smallest_text_px": self.smallest_text_px,
            "explorable": {
                "label": self.label,
                "settings": list(self.settings),
                "captions": list(self.captions),
                "frames": list(self.frames),
                "start": self.start,
            },
        }
        return {"image/png": self.frames[self.start], "text/plain": repr(self)}, {"image/png": metadata}


def _frame_rgb(fig: Figure) -> Any:
    """``fig`` as an RGB PIL image at ``PIXEL_RATIO`` x, at exactly its size (not cropped to its ink, so every frame
    of a figure has the same size and the page does not move when a frame replaces another)."""
    from PIL import Image

    raw = io.BytesIO()
    fig.savefig(raw, format="png", dpi=CSS_PX_PER_INCH * PIXEL_RATIO)
    return Image.open(raw).convert("RGB")


def _frames_png(images: Sequence[Any]) -> list[str]:
    """``images`` (RGB, one size) as base64 PNGs in one palette: the ``FRAME_COLOURS`` colours most frequent across
    all of them. A figure's flat colours (the background, text, lines, markers) are its most frequent ones, so they
    stay exact; anti-aliased edges take the nearest colour. One palette for all, so a pixel the control does not
    change is the same in every frame."""
    import numpy as np
    from PIL import Image

    keys = np.concatenate(
        [
            (np.asarray(image, dtype=np.uint32) @ np.array([1 << 16, 1 << 8, 1], dtype=np.uint32)).ravel()
            for image in images
        ]
    )
    colours, counts = np.unique(keys, return_counts=True)
    top = colours[np.argsort(-counts, kind="stable")[:FRAME_COLOURS]]  # ties broken by colour: deterministic
    rgb = np.stack([top >> 16, (top >> 8) & 255, top & 255], axis=1).astype(np.uint8).ravel().tolist()
    palette = Image.new("P", (1, 1))
    palette.putpalette(rgb + rgb[:3] * (256 - len(top)))  # the unused entries repeat the most frequent colour
    frames = []
    for image in images:
        out = io.BytesIO()
        image.quantize(palette=palette, dither=Image.Dither.NONE).save(out, format="PNG", optimize=True)
        frames.append(base64.b64encode(out.getvalue()).decode("ascii"))
    return frames


def explorable(
    draw: Callable[[Figure, Any], str],
    values: Sequence[Any],
    *,
    label: str,
    setting: Callable[[Any], str],
    start: int = 0,
    height: float = 5.0,
) -> Explorable:
    """Draw one frame per value of ``values`` and return them as one :class:`Explorable`.

    ``draw(fig, value)`` draws the frame for ``value`` on the empty Figure ``fig`` (``PHONE_WIDTH`` x ``height``
    inches, constrained layout: one frame serves the phone and the desktop, where it is shown at its own size)
    and returns its caption: what the frame shows, in words, with its numbers. ``setting(value)`` is the value as
    the control shows it ("h = 1e-3"); ``label`` names the control ("step h"); ``start`` indexes the frame shown
    first (and printed). At most ``EXPLORABLE_MAX_FRAMES`` values; every frame's smallest text must read at
    9 CSS px or more on a 375 px phone.
    """
    if not callable(draw) or not callable(setting):
        raise TypeError(
            "draw and setting must be callables: draw(fig, value) -> caption, setting(value) -> str"
        )
    if not isinstance(label, str) or not label.strip():
        raise TypeError(f"label must be a non-empty string naming the control, got {label!r}")
    values = list(values)
    if not 2 <= len(values) <= EXPLORABLE_MAX_FRAMES:
        raise ValueError(f"values must hold 2 to {EXPLORABLE_MAX_FRAMES} settings, got {len(values)}")
    if isinstance(start, bool) or not isinstance(start, int) or not 0 <= start < len(values):
        raise ValueError(f"start must index values (0 to {len(values) - 1}), got {start!r}")
    if not 1.0 <= height <= 12.0:
        raise ValueError(f"height must be between 1 and 12 inches, got {height!r}")
    settings, captions, images, smallest = [], [], [], []
    for value in values:
        fig = Figure(figsize=(PHONE_WIDTH, height), layout="constrained")
        caption = draw(fig, value)
        if not isinstance(caption, str) or not caption.strip():
            raise TypeError(f"draw must return the frame's caption (a non-empty string), got {caption!r}")
        text = setting(value)
        if not isinstance(text, str) or not text.strip():
            raise TypeError(f"setting must return the value as the control shows it, got {text!r}")
        smallest.append(smallest_text_pt(fig) * CSS_PX_PER_INCH / 72)
        images.append(_frame_rgb(fig))
        settings.append(text)
        captions.append(caption)
    frames = _frames_png(images)
    width = round(PHONE_WIDTH * CSS_PX_PER_INCH)
    text_px = round(min(smallest), 1)
    if phone_text_px(text_px, width) < 9.0:
        raise ValueError(
            f"the frames' smallest text reads {phone_text_px(text_px, width):.1f} px on a phone: use 9 pt or more"
        )
    return Explorable(
        label=label,
        settings=tuple(settings),
        captions=tuple(captions),
        frames=tuple(frames),
        start=start,
        width=width,
        height=round(height * CSS_PX_PER_INCH),
        smallest_text_px=text_px,
    )
