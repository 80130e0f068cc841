"""The figures a reader moves (labcode.plots.explorable, book/_ext/explorables.py): in Chromium, at 1280 and 375 px
and in dark mode, each control is labelled, moves by keyboard and by touch, shows the frame and the caption the
notebook computed for the setting, keeps its text readable, and fetches nothing from outside the site."""

from __future__ import annotations

import json
import re

import nbformat
import pytest
from conftest import ROOT, toc_notebooks
from site_helpers import is_meaningful_alt

MAX_PAGE_KB = 800  # a chapter's page, compressed, with every frame of its explorables loaded
MIN_TEXT_PX = 9.0
MODES = {"desktop": (1280, False), "phone": (375, False), "dark": (375, True)}


def stored_explorables() -> dict[str, list[tuple[str, float]]]:
    """{chapter page: [(text/plain output, smallest text in CSS px at the frame's size)] per explorable}, from the
    notebooks (nbval checks the text)."""
    found: dict[str, list[tuple[str, float]]] = {}
    for path in toc_notebooks():
        for cell in nbformat.read(path, as_version=4).cells:
            for output in cell.get("outputs", []):
                if "explorable" in output.get("metadata", {}).get("image/png", {}):
                    page = path.relative_to(ROOT).with_suffix(".html").as_posix()
                    meta = output["metadata"]["image/png"]
                    found.setdefault(page, []).append(
                        (output["data"]["text/plain"], meta["smallest_text_px"])
                    )
    return found


EXPLORABLES = stored_explorables()


def test_the_chapters_have_their_explorables():
    assert len(EXPLORABLES) >= 1, "no notebook stores an explorable"


@pytest.fixture(scope="module")
def site(served_site):
    return served_site


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("page", sorted(EXPLORABLES))
def test_each_control_moves_its_figure(site, browser, page, mode):
    base, _ = site
    width, dark = MODES[mode]
    context = browser.new_context(viewport={"width": width, "height": 900}, has_touch=width < 600)
    outside, loaded = [], []
    context.route(
        "**/*",
        lambda route: (
            (outside.append(route.request.url), route.abort())
            if not route.request.url.startswith(base)
            else route.continue_()
        ),
    )

    def weigh(response):
        loaded.append(int(response.headers.get("content-length", 0) or len(response.body())))

    tab = context.new_page()
    tab.on("response", weigh)
    tab.goto(base + page, wait_until="load")
    if dark:
        tab.evaluate("document.documentElement.dataset.theme = 'dark'")
    boxes = tab.locator(".explorable")
    stored = EXPLORABLES[page]
    assert boxes.count() == len(stored), (
        f"{page}: {len(stored)} explorables stored, {boxes.count()} on the page"
    )
    for index, (text, smallest_px) in enumerate(stored):
        check_explorable(
            tab, boxes.nth(index), text, smallest_px, f"{page} ({mode}), explorable {index}", width < 600
        )
    tab.wait_for_load_state("networkidle")
    assert not outside, f"{page} asked for {outside[:5]} outside the site"
    assert sum(loaded) <= MAX_PAGE_KB * 1024, f"{page} weighs {sum(loaded) / 1024:.0f} kB with every frame"
    context.close()


def check_explorable(tab, box, text: str, smallest_px: float, where: str, touch: bool) -> None:
    """Move one explorable's control by keyboard, drag or tap and check each frame, setting and caption shown."""
    data = json.loads(box.get_attribute("data-explorable"))
    lines = text.splitlines()[1:]
    assert lines == [f"{s}: {c}" for s, c in zip(data["settings"], data["captions"], strict=True)], (
        "the page's frames and captions are not the notebook's"
    )
    slider = box.locator('input[type="range"]')
    ident = slider.get_attribute("id")
    label = tab.locator(f'label[for="{ident}"]')
    assert label.is_visible() and label.text_content().strip(), f"{where}: no visible label"
    img = box.locator("img")
    assert is_meaningful_alt(img.get_attribute("alt"), img.get_attribute("src"))
    assert "slider" in img.get_attribute("alt").lower() or "moving" in img.get_attribute("alt").lower(), (
        "the alt text should say what moving the control shows"
    )
    assert img.get_attribute("loading") == "lazy"
    box.scroll_into_view_if_needed()

    def shown() -> tuple[int, str, str, str]:
        return (
            int(slider.input_value()),
            img.get_attribute("src"),
            box.locator("output").text_content(),
            box.locator(".explorable-caption").text_content(),
        )

    def expect(k: int) -> None:
        value, src, setting, caption = shown()
        assert value == k
        assert src == data["frames"][k] and setting == data["settings"][k] and caption == data["captions"][k]
        tab.wait_for_function("(img) => img.complete && img.naturalWidth > 0", arg=img.element_handle())
        # the frame's text as the reader sees it: its smallest text at the frame's CSS size, times the scale
        drawn = tab.evaluate("(img) => img.getBoundingClientRect().width", img.element_handle())
        css_width = float(img.get_attribute("width"))
        assert smallest_px * drawn / css_width >= MIN_TEXT_PX, f"{where}: frame text below 9 px"

    start = shown()[0]
    slider.focus()
    tab.keyboard.press("ArrowRight" if start < len(data["frames"]) - 1 else "ArrowLeft")
    moved = start + 1 if start < len(data["frames"]) - 1 else start - 1
    expect(moved)
    outline = tab.evaluate("(s) => getComputedStyle(s).outlineStyle", slider.element_handle())
    assert outline != "none", "the focused slider shows no focus ring"
    tab.keyboard.press("Home")
    expect(0)
    tab.keyboard.press("End")
    expect(len(data["frames"]) - 1)
    if touch:  # a tap at the track's start picks the first setting
        slider.tap(position={"x": 3, "y": 22})
    else:  # a drag to the track's start does
        bounds = slider.bounding_box()
        tab.mouse.move(bounds["x"] + bounds["width"] - 4, bounds["y"] + bounds["height"] / 2)
        tab.mouse.down()
        tab.mouse.move(bounds["x"] + 1, bounds["y"] + bounds["height"] / 2, steps=8)
        tab.mouse.up()
    expect(0)
    for k in range(len(data["frames"])):  # every frame exists and loads
        slider.fill(str(k))
        expect(k)


def test_printout_keeps_one_frame_and_says_what_moves(built_book):
    html, _ = built_book
    for page in EXPLORABLES:
        text = (html / page).read_text(encoding="utf-8")
        for match in re.finditer(r'<p class="explorable-print">([^<]*)</p>', text):
            assert "slider moves" in match.group(1)
        assert text.count('class="explorable-print"') == len(EXPLORABLES[page])
    css = (ROOT / "book" / "_static" / "explorables.css").read_text(encoding="utf-8")
    assert re.search(r"@media print\s*\{\s*\.explorable-controls\s*\{\s*display:\s*none", css)
