"""Figures the reader moves (``labcode.plots.explorable``): a labelled slider under the figure, and its frames.

A notebook stores an explorable as one image output, its first frame, whose metadata holds the other frames and
what the control shows (``explorable``: label, settings, captions, frames, start). When a page is written, its
figure (found by the SHA-256 of the first frame's bytes, the name myst-nb gives the file in ``_images/``) gets a
slider, the setting it shows and a caption that changes with it; the frames are written beside the figure as
``_images/<name>-<k>.png``. ``_static/explorables.js`` fetches a frame only when the reader moves the slider (or
puts the pointer or the focus on it). Only pages with an explorable load the script and its stylesheet.

Without the script (a printout, a reader with scripts off) the page shows the first frame and a line saying what
the web page lets you move; the controls stay hidden.
"""

from __future__ import annotations

import base64
import html
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


def explorable_html(match: re.Match, explorable: dict[str, Any], outdir: Path) -> str:
    """The figure of ``match`` with its control; writes the frames to ``outdir/_images/<name>-<k>.png``."""
    folder, name, img = match.groups()
    images = outdir / "_images"  # the page is written before Sphinx copies its images
    images.mkdir(parents=True, exist_ok=True)
    for k, frame in enumerate(explorable["frames"]):
        target = images / f"{name}-{k}.png"
        if not target.exists():
            target.write_bytes(base64.b64decode(frame))
    settings, captions, start = explorable["settings"], explorable["captions"], explorable["start"]
    data = {
        "frames": [f"{folder}{name}-{k}.png" for k in range(len(settings))],
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
