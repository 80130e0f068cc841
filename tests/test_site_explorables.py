"""The figures a reader moves (labcode.plots.explorable, book/_ext/explorables.py): in Chromium, at 1280 and 375 px
and in dark mode, each control is labelled, moves by keyboard and by touch, shows the frame and the caption the
notebook computed for the setting, keeps its text readable, and fetches nothing from outside the site; a chapter
with an explorable weighs at most 800 kB compressed with every image and every frame loaded."""

from __future__ import annotations

import json
import re

import nbformat
import pytest
from conftest import ROOT, toc_notebooks
from site_helpers import is_meaningful_alt

# A chapter's page, compressed as GitHub Pages sends it, in the worst case: every image of the page loaded (they are
# lazy) and every frame of its explorables (fetched once the reader reaches for a slider).
MAX_PAGE_BYTES = 800_000
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


# The chapters whose idea an explorable shows (issue 26), and how many each has.
EXPECTED = {
    "book/01_derivatives.html": 1,  # the secant and the error V as the step h shrinks
    "book/05_jacobians_hessians.html": 1,  # the gradient and the Newton step from a start the reader picks
    "book/07_gradient_descent.html": 1,  # gradient descent's path and loss as the learning rate moves
    "book/09_reverse_mode.html": 1,  # the backward pass, one node at a time
    "book/11_stochastic_optimisers.html": 1,  # SGD's noise floor as the batch size moves
}


def test_the_chapters_have_their_explorables():
    assert {page: len(found) for page, found in EXPLORABLES.items()} == EXPECTED


@pytest.fixture(scope="module")
def site(served_site):
    return served_site


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("page", sorted(EXPLORABLES))
def test_each_control_moves_its_figure(site, browser, page, mode):
    base, _ = site
    width, dark = MODES[mode]
    context = browser.new_context(viewport={"width": width, "height": 900}, has_touch=width < 600)
    outside = []
    context.route(
        "**/*",
        lambda route: (
            (outside.append(route.request.url), route.abort())
            if not route.request.url.startswith(base)
            else route.continue_()
        ),
    )

    tab = context.new_page()
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
    context.close()


@pytest.mark.parametrize("width", [1280, 375])
@pytest.mark.parametrize("page", sorted(EXPLORABLES))
def test_worst_case_page_weight(site, browser, page, width, capsys):
    """Everything the page can load without the reader leaving it: the page, the fonts of all its math, every image
    (made eager, as if the reader scrolled to the end) and every frame of its explorables (as the page fetches them
    once the reader reaches for a slider), compressed as on the wire. Before that, no frame is fetched."""
    base, _ = site
    context = browser.new_context(viewport={"width": width, "height": 900})
    sent: dict[str, int] = {}  # bytes on the wire, by URL (a frame fetched twice comes from the cache)

    def weigh(response):
        sent.setdefault(response.url, int(response.headers.get("content-length", 0) or len(response.body())))

    tab = context.new_page()
    tab.on("response", weigh)
    tab.goto(base + page, wait_until="load")
    tab.wait_for_load_state("networkidle")
    first_view = sum(sent.values())
    # every section laid out (the site lays them out as they come near the screen), so every font its math uses
    # loads, and every image made eager: what a reader who scrolls to the end loads
    tab.evaluate(
        """async () => {
          for (const section of document.querySelectorAll("section")) section.style.contentVisibility = "visible";
          for (const img of document.querySelectorAll("img")) {
            img.loading = "eager";
            try { await img.decode(); } catch (error) {}
          }
          await document.fonts.ready;
        }"""
    )
    tab.wait_for_load_state("networkidle")
    changes = [
        src
        for box in tab.locator(".explorable").all()
        for src in json.loads(box.get_attribute("data-explorable"))["changes"]
        if src
    ]
    assert not [url for url in sent if "-change." in url], (
        f"{page}: frames fetched before the reader moved anything"
    )
    every_image = sum(sent.values())
    for slider in tab.locator('.explorable input[type="range"]').all():
        slider.focus()  # the page fetches that explorable's frames
    for _ in range(100):  # the page fetches them in the background: wait up to 10 s for all
        fetched = [url for url in sent if "-change." in url]
        if len(fetched) >= len(changes):
            break
        tab.wait_for_timeout(100)
    assert len(fetched) == len(changes), f"{page}: {len(fetched)} of {len(changes)} frames fetched"
    worst = sum(sent.values())
    with capsys.disabled():
        print(
            f"\n{page} at {width} px: first view {first_view / 1000:.0f} kB, every image {every_image / 1000:.0f} kB, "
            f"every image and frame {worst / 1000:.0f} kB (limit {MAX_PAGE_BYTES / 1000:.0f})"
        )
    assert worst <= MAX_PAGE_BYTES, f"{page} at {width} px: {worst} bytes with every image and frame"
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
        assert setting == data["settings"][k] and caption == data["captions"][k]
        # frame k: the first frame, or what frame k changes on it laid over the first as the <img>'s background
        # (tests/test_explorables_ext.py checks that the two make frame k exactly)
        assert src == (data["changes"][k] or data["first"])
        if data["changes"][k]:
            background = tab.evaluate("(img) => getComputedStyle(img).backgroundImage", img.element_handle())
            assert background.endswith(data["first"].rsplit("/", 1)[-1] + '")'), background
            # the first frame must lie exactly under the change: both in the content box (dark mode pads images)
            origin = tab.evaluate("(img) => getComputedStyle(img).backgroundOrigin", img.element_handle())
            assert origin == "content-box", f"{where}: the first frame is laid out in the {origin}"
        assert box.locator("a.image-reference").get_attribute("href") == data["frames"][k]
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
