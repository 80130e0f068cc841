"""Figures the reader moves (``labcode.plots.explorable``): a labelled slider under the figure, and its frames.

A notebook stores an explorable as one image output, its first frame, whose metadata holds the other frames and
what the control shows (``explorable``: label, settings, captions, frames, start). When a page is written, its
figure (found by the SHA-256 of the first frame's bytes, the name myst-nb gives the file in ``_images/``) gets a
slider, the setting it shows and a caption that changes with it; the frames are written beside the figure as
``_images/<name>-<k>.png``. The page does not send whole frames: frames differ from the first one only where the
control changes something (a path, an arrow, a label), so each frame also goes as a *change*,
``_images/<name>-<k>-change.webp``: its pixels that differ from the first frame, transparent elsewhere, which the
script lays over the first frame (the <img>'s own background). labcode draws a figure's frames in one palette, so
what the control does not move is the same pixels in every frame, and a change is a tenth of its frame's bytes or
less; the first frame plus a change is exactly the frame (tests/test_explorables_ext.py). ``_static/explorables.js`` fetches
the changes only when the reader moves the slider (or puts the pointer or the focus on it); a whole frame only when
the reader opens the figure's link. Only pages with an explorable load the script and its stylesheet.

Without the script (a printout, a reader with scripts off) the page shows the first frame and a line saying what
the web page lets you move; the controls stay hidden.
"""

from __future__ import annotations

import base64
import html
import io
import json
import re
from pathlib import Path
from typing import Any

from light_pages import stored_figures

# myst-nb's figure: <a class="reference internal image-reference" href="../_images/<sha>.png"><img ...></a>
FIGURE_LINK = re.compile(
    r'<a class="reference internal image-reference" href="((?:[^"]*/)?_images/)([0-9a-f]{64})\.png">'
    r"\s*(<img\b[^>]*>)\s*</a>"
)


# How far around the pixels a frame changes its change reaches (frame_change): more than a scaled pixel's reach.
MARGIN_PX = 3


def frame_change(frame: bytes, first: bytes) -> bytes:
    """What the PNG ``frame`` changes on the PNG ``first`` (the same size): ``frame``'s pixels where the two differ
    (and ``MARGIN_PX`` around them), transparent elsewhere, as a lossless WebP (which every current browser shows;
    it takes these mostly transparent images in about half the bytes of a PNG). Laid over ``first``, it is exactly
    ``frame``."""
    import numpy as np
    from PIL import Image

    pixels = np.asarray(Image.open(io.BytesIO(frame)).convert("RGB"))
    differs = np.any(pixels != np.asarray(Image.open(io.BytesIO(first)).convert("RGB")), axis=2)
    # The browser scales the change and the first frame separately (2x pixels to 1x, or to a phone's column), and
    # scaling mixes each pixel with its neighbours: at the edge of a change that would let the first frame's old line
    # show through, faintly. So the change also covers MARGIN_PX pixels around what differs, where the two agree.
    for axis in (0, 1):  # grown by MARGIN_PX along the columns, then along the rows
        along = np.moveaxis(differs, axis, 0)
        grown = along.copy()
        for shift in range(1, MARGIN_PX + 1):
            grown[shift:] |= along[:-shift]
            grown[:-shift] |= along[shift:]
        differs = np.moveaxis(grown, 0, axis)
    change = np.zeros(pixels.shape[:2] + (4,), dtype=np.uint8)
    change[differs, :3] = pixels[differs]
    change[differs, 3] = 255
    out = io.BytesIO()
    Image.fromarray(change, "RGBA").save(out, format="WEBP", lossless=True, quality=100, method=4)
    return out.getvalue()


def explorable_html(match: re.Match, explorable: dict[str, Any], outdir: Path) -> str:
    """The figure of ``match`` with its control; writes the frames to ``outdir/_images/<name>-<k>.png`` and what
    each changes on the first one to ``<name>-<k>-change.webp``."""
    folder, name, img = match.groups()
    images = outdir / "_images"  # the page is written before Sphinx copies its images
    images.mkdir(parents=True, exist_ok=True)
    settings, captions, start = explorable["settings"], explorable["captions"], explorable["start"]
    first = base64.b64decode(explorable["frames"][start])
    changes = []
    for k, frame in enumerate(explorable["frames"]):
        target = images / f"{name}-{k}.png"
        if not target.exists():
            target.write_bytes(base64.b64decode(frame))
        change = images / f"{name}-{k}-change.webp"
        if k == start:
            changes.append(None)  # the figure itself
            continue
        if not change.exists():
            change.write_bytes(frame_change(base64.b64decode(frame), first))
        changes.append(f"{folder}{change.name}")
    data = {
        "first": f"{folder}{name}.png",
        "frames": [f"{folder}{name}-{k}.png" for k in range(len(settings))],
        "changes": changes,
        "settings": settings,
        "captions": captions,
    }
    ident = f"explorable-{name[:12]}"
    label = html.escape(explorable["label"])
    first, last = html.escape(settings[0]), html.escape(settings[-1])
    return (
        f'<div class="explorable" data-explorable="{html.escape(json.dumps(data), quote=True)}">'
        f'<a class="reference internal image-reference" href="{folder}{name}.png">{img}</a>'
        f'<div class="explorable-controls" hidden>'
        f'<label for="{ident}">{label[:1].upper()}{label[1:]}</label>'
        f'<div class="explorable-row"><input type="range" id="{ident}" min="0" max="{len(settings) - 1}" step="1" '
        f'value="{start}" aria-valuetext="{html.escape(settings[start])}" aria-describedby="{ident}-caption">'
        f'<output for="{ident}">{html.escape(settings[start])}</output></div>'
        f'<p class="explorable-caption" id="{ident}-caption" aria-live="polite">{html.escape(captions[start])}</p>'
        f"</div>"
        f'<p class="explorable-print">On the book\'s web page a slider moves {label} from {first} to {last}; '
        f"this is the figure at {html.escape(settings[start])}: {html.escape(captions[start])}</p>"
        f"</div>"
    )


def add_controls(app: Any, pagename: str, templatename: str, context: dict[str, Any], doctree: Any) -> None:
    """html-page-context: give each explorable figure of the page its control, and the page the script."""
    body = context.get("body", "")
    if "image-reference" not in body:
        return
    explorables = app.env.explorables if hasattr(app.env, "explorables") else None
    if explorables is None:
        explorables = app.env.explorables = stored_figures(app, "explorable")
    found = False

    def replace(match: re.Match) -> str:
        nonlocal found
        explorable = explorables.get(match.group(2))
        if explorable is None:
            return match.group(0)
        found = True
        return explorable_html(match, explorable, Path(app.outdir))

    context["body"] = FIGURE_LINK.sub(replace, body)
    if found:
        app.add_css_file("explorables.css")
        app.add_js_file("explorables.js", defer="defer")


def forget(app: Any, env: Any, docnames: Any) -> None:
    """env-before-read-docs: a notebook may have changed, so read the explorables again."""
    if hasattr(env, "explorables"):
        del env.explorables


def setup(app: Any) -> dict[str, Any]:
    app.connect("env-before-read-docs", forget)
    app.connect("html-page-context", add_controls)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
