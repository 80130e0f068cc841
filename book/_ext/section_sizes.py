"""How tall each section of a page will be, estimated from its HTML, for ``contain-intrinsic-size``.

A chapter's sections are laid out only as they come near the screen (``content-visibility: auto`` in
site-fixes.css). Until then the browser gives each the height it is told; told the same 1200 px for all, a chapter was
half its real height at load (at 375 px, 18,174 px against 37,397 for chapter 1), so the scrollbar's thumb shrank and
the page grew under a reader's finger. This estimates each top-level section's height at a phone's and at the
desktop's column from what it holds, and writes both on the section (``--phone-height``, ``--desktop-height``;
site-fixes.css picks one by the screen's width).

Only a section of at least ``LAZY_ELEMENTS`` elements is laid out lazily (class ``lazy-section``): a small one costs
the first paint next to nothing, and its estimate is the least sure part of the model (the labs' index, two sections
of prose and a code block each, came out 37% short on a phone), so it is laid out at load, at its real height.

The estimate is a linear model of the section's prose characters, code lines (wrapped at the column), display
equations, text blocks and closed dropdowns, plus its figures at their known heights. The coefficients were fitted by
least squares on this book's 150 sections, measured in Chromium at 375 and 1280 px: the median section is off by 13 to
14%, a chapter's total by at most 16% (tests/test_site.py checks each chapter's height at load against its laid-out
height).
"""

from __future__ import annotations

import math
import re

from bs4 import BeautifulSoup, Tag

# Per width: CSS px per prose character, per code line, per display equation, per text block, per closed dropdown,
# and for the section itself; the column's width (figures are scaled to it) and the code characters per line.
MODELS = {
    "phone": {
        "chars": 0.119,
        "code_line": 17.0,
        "display": 247.0,
        "block": 29.1,
        "dropdown": 516.0,
        "base": 334.0,
    },
    "desktop": {
        "chars": 0.081,
        "code_line": 22.5,
        "display": 228.0,
        "block": 8.6,
        "dropdown": 407.0,
        "base": 197.0,
    },
}
COLUMN_PX = {"phone": 343, "desktop": 688}
CODE_CHARS_PER_LINE = {"phone": 38, "desktop": 80}
PROSE = "p, li, dt, dd, figcaption, caption, h2, h3, h4, h5, h6, th, td"
SECTION_TAG = re.compile(r'<section id="([^"]+)">')
# Elements a section holds before laying it out lazily pays: the site's 150 sections hold 40 to 3,100 elements
# (median 570, with the math as MathML), so this leaves 50 of them lazy, all chapters' long ones among them, and
# their page-by-page estimate within 15% (tests/test_site.py; it was 40% with every section lazy).
LAZY_ELEMENTS = 800


def _shown(element: Tag) -> bool:
    """False inside a closed <details> (a hidden solution, a folded code cell): it takes no height until opened."""
    return all(details.has_attr("open") for details in element.find_parents("details"))


def _figure_height(img: Tag, width: str) -> float:
    """The CSS height ``img`` is shown at in the column: the phone drawing's size (its <picture>'s <source>) on a
    phone, the <img>'s width and height attributes otherwise, scaled down to the column."""
    sized = img
    if width == "phone" and img.parent is not None and img.parent.name == "picture":
        sized = img.parent.find("source") or img
    try:
        w, h = float(sized["width"]), float(sized["height"])
    except (KeyError, ValueError):
        return 0.0
    return h * min(1.0, COLUMN_PX[width] / w) if w > 0 else 0.0


def _contents(section: Tag) -> dict:
    """What the model counts in ``section``, the same at every width: prose characters and text blocks, closed
    dropdowns, display equations, each shown code line's length and the shown images. Gathered once for both
    widths (the walks over the section were a third of the book's build)."""
    chars = blocks = 0
    for element in section.select(PROSE):
        if (
            _shown(element)
            and element.find_parent("pre") is None
            and element.find_parent(class_="cell-label") is None
        ):
            labels = sum(len(label.get_text(" ", strip=True)) + 1 for label in element.select(".cell-label"))
            chars += max(
                0, len(element.get_text(" ", strip=True)) - labels
            )  # a cell's copy of its header: below
            blocks += 1
    return {
        "chars": chars,
        "blocks": blocks,
        "dropdowns": sum(1 for d in section.select("details") if _shown(d) and not d.has_attr("open")),
        "code_lines": [
            len(line)
            for pre in section.select("pre")
            if _shown(pre)
            for line in pre.get_text().rstrip("\n").split("\n")
        ],
        "displays": sum(1 for d in section.select('math[display="block"]') if _shown(d)),
        "images": [img for img in section.select("img") if _shown(img)],
    }


def section_height(found: dict, width: str) -> float:
    """The estimated CSS height, in px, at ``width`` ("phone" or "desktop") of a section holding ``found``
    (:func:`_contents`)."""
    model = MODELS[width]
    code_lines = sum(max(1, math.ceil(n / CODE_CHARS_PER_LINE[width])) for n in found["code_lines"])
    figures = sum(_figure_height(img, width) for img in found["images"])
    return (
        model["chars"] * found["chars"]
        + model["code_line"] * code_lines
        + model["display"] * found["displays"]
        + model["block"] * found["blocks"]
        + model["dropdown"] * found["dropdowns"]
        + model["base"]
        + figures
    )


def size_sections(html: str, min_elements: int = LAZY_ELEMENTS) -> str:
    """``html`` with each top-level section of the article (``.bd-article > section > section``) of at least
    ``min_elements`` elements marked ``class="lazy-section"`` and carrying its estimated heights as
    ``style="--phone-height: …px; --desktop-height: …px"``. A page already sized (an incremental build that did not
    rewrite it) is returned as it is."""
    if "lazy-section" in html:
        return html
    soup = BeautifulSoup(html, "html.parser")
    heights = {}
    for section in soup.select(".bd-article > section > section[id]"):
        if len(section.find_all(True)) >= min_elements:
            contents = _contents(section)
            heights[section["id"]] = {width: round(section_height(contents, width)) for width in MODELS}

    def sized(match: re.Match) -> str:
        estimate = heights.get(match.group(1))
        if estimate is None:
            return match.group(0)
        return (
            f'<section id="{match.group(1)}" class="lazy-section" style="--phone-height: {estimate["phone"]}px; '
            f'--desktop-height: {estimate["desktop"]}px">'
        )

    return SECTION_TAG.sub(sized, html) if heights else html
