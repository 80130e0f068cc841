"""book/_ext/explorables.py's frame changes: the site sends each frame of an explorable but the first as the pixels it
changes on the first one (a transparent WebP), which the page lays over the first frame. Laid over it, a change must
be exactly its frame, and the changes must stay light (tests/test_site_explorables.py weighs the pages)."""

from __future__ import annotations

import base64
import io
import sys

import nbformat
import numpy as np
import pytest
from conftest import ROOT, toc_notebooks
from PIL import Image

sys.path.insert(0, str(ROOT / "book" / "_ext"))
import explorables  # noqa: E402


def stored() -> list[tuple[str, dict]]:
    found = []
    for path in toc_notebooks():
        for cell in nbformat.read(path, as_version=4).cells:
            for output in cell.get("outputs", []):
                meta = output.get("metadata", {}).get("image/png", {})
                if "explorable" in meta:
                    found.append((f"{path.stem}[{cell.id}]", meta["explorable"]))
    return found


STORED = stored()


def pixels(data: bytes, mode: str = "RGB") -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert(mode))


@pytest.mark.parametrize(("where", "explorable"), STORED, ids=[where for where, _ in STORED])
def test_first_frame_plus_each_change_is_that_frame(where, explorable):
    frames = [base64.b64decode(frame) for frame in explorable["frames"]]
    first = frames[explorable["start"]]
    total = 0
    for k, frame in enumerate(frames):
        change = explorables.frame_change(frame, first)
        assert change[:4] == b"RIFF" and change[8:12] == b"WEBP"
        total += len(change) if k != explorable["start"] else 0
        rgba = pixels(change, "RGBA")
        assert set(np.unique(rgba[..., 3]).tolist()) <= {0, 255}, (
            "a change is opaque or transparent, nothing between"
        )
        shown = np.where(rgba[..., 3:] == 255, rgba[..., :3], pixels(first))
        assert np.array_equal(shown, pixels(frame)), (
            f"{where}: frame {k} laid over the first is not frame {k}"
        )
    # one palette for all the frames (labcode.plots.explorable): a change is a small part of its frame
    assert total <= 0.25 * sum(len(frame) for frame in frames), f"{where}: the changes weigh {total} bytes"


def test_a_frame_that_changes_nothing_is_all_transparent():
    image = Image.new("RGB", (40, 20), "white")
    out = io.BytesIO()
    image.save(out, format="PNG")
    change = pixels(explorables.frame_change(out.getvalue(), out.getvalue()), "RGBA")
    assert change.shape == (20, 40, 4) and not change[..., 3].any()


def test_a_change_covers_a_margin_around_what_differs():
    """The browser scales the change and the first frame separately; around what differs, the change repeats pixels
    the two share, so that scaling cannot mix the first frame's old line into the edge of the new one."""
    first, frame = Image.new("RGB", (40, 20), "white"), Image.new("RGB", (40, 20), "white")
    frame.putpixel((10, 10), (0, 0, 0))
    encoded = []
    for image in (frame, first):
        out = io.BytesIO()
        image.save(out, format="PNG")
        encoded.append(out.getvalue())
    opaque = pixels(explorables.frame_change(*encoded), "RGBA")[..., 3] == 255
    m = explorables.MARGIN_PX
    assert opaque.sum() == (2 * m + 1) ** 2 and opaque[10 - m : 10 + m + 1, 10 - m : 10 + m + 1].all()
