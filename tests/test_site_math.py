"""Display equations as a reader on a phone and on a laptop sees them, and math in the search results.

Every display equation of every page in _toc.yml is measured in Chromium at 1280 px and at 375 px: its rendered
width against the room its column gives it, and whether its box scrolls sideways. Long equations are written as
aligned multi-line displays in the notebooks' markdown; the few that still scroll on a phone fade out at the edge
they continue past (book/_static/math.css) instead of ending in half a symbol.
"""

from __future__ import annotations

import io
import re
import sys
from pathlib import Path

import pytest
from site_helpers import Visit, raw_tex, slug, toc_pages
from test_site import MODES, Site

sys.path.insert(0, str(Path(__file__).parents[1] / "book" / "_ext"))
from temml_math import DRAWN_FOR, FONT_FILE, RULES, italic_form  # noqa: E402

PAGES = toc_pages()
# At 375 px at least this share of a page's display equations fits without a sideways swipe (issue 22).
PHONE_FIT_SHARE = 0.90
# A pixel at the very edge of a scrolling equation's box counts as ink (a symbol cut there) when it differs from
# the page's background by more than this, out of 255, in some channel: the fade leaves at most a trace.
EDGE_INK = 64

# Measures every display equation of the page. The box around the display's <math> (.math-scroll) is the equation's
# window (it scrolls when the equation is wider, book/_static/math.css); the equation's own width is the union of
# its parts, whatever the window shows of them. Sections are laid out as if scrolled to (content-visibility would
# skip the far ones), and hidden solutions are opened.
EQUATIONS_JS = r"""
async () => {
  await document.fonts.ready;
  const style = document.createElement("style");
  style.textContent = ".bd-article section { content-visibility: visible !important; }";
  document.head.append(style);
  // A reader opens the hidden solutions and details to read the equations in them.
  document.querySelectorAll(".toggle-hidden").forEach((e) => e.classList.remove("toggle-hidden"));
  document.querySelectorAll("details").forEach((d) => (d.open = true));
  const px = (value) => parseFloat(value) || 0;
  return [...document.querySelectorAll("article.bd-article div.math")].map((div, index) => {
    const window_ = div.querySelector(":scope > .math-scroll");
    const tex = (div.querySelector("annotation")?.textContent || div.textContent).trim().replace(/\s+/g, " ");
    if (!window_) return { index, tex, rendered: false };
    const math = window_.querySelector("math");
    const parts = [...(math ? math.children : [])].map((c) => c.getBoundingClientRect()).filter((r) => r.width > 0);
    const width = Math.max(...parts.map((r) => r.right)) - Math.min(...parts.map((r) => r.left));
    const css = getComputedStyle(window_);
    const room = window_.clientWidth - px(css.paddingLeft) - px(css.paddingRight);
    const column = div.parentElement;
    const columnCss = getComputedStyle(column);
    const columnBox = column.getBoundingClientRect();
    const box = window_.getBoundingClientRect();
    return {
      index,
      tex,
      rendered: true,
      width,
      room,
      scrolls: window_.scrollWidth > window_.clientWidth + 1,
      // the equation's window stays inside its column (the page itself never scrolls sideways)
      insideColumn:
        box.left >= columnBox.left + px(columnCss.borderLeftWidth) - 1 &&
        box.right <= columnBox.right - px(columnCss.borderRightWidth) + 1,
      cue: [css.maskImage, css.webkitMaskImage].some((m) => m && m.includes("gradient")),
    };
  });
};
"""


def measure(site: Site, page_path: str, mode: str) -> list[dict]:
    context = site.open(mode)
    record = Visit(page=page_path, mode=mode, url=site.base_url + page_path)
    site.watch(context, record)
    try:
        page = context.new_page()
        page.goto(record.url, wait_until="load")
        equations = page.evaluate(EQUATIONS_JS)
        for equation in equations:
            if equation["rendered"] and equation["scrolls"]:
                equation["edges"] = edge_ink(page, equation["index"])
    finally:
        context.close()
    assert not record.console_errors and not record.failed_requests, (
        record.console_errors,
        record.failed_requests,
    )
    return equations


def edge_ink(page, index: int) -> dict[str, int]:
    """How many pixels of ink sit in the outermost two pixel columns of a scrolling equation's window, on the side
    it continues past: the right edge when scrolled to the start, the left edge when scrolled to the end."""
    from PIL import Image

    window_ = page.locator("article.bd-article div.math").nth(index).locator(".math-scroll")
    window_.scroll_into_view_if_needed()
    background = page.evaluate(
        """() => { for (let e = document.querySelector('article.bd-article'); e; e = e.parentElement) {
             const c = getComputedStyle(e).backgroundColor; if (!/rgba\\(.*, 0\\)|transparent/.test(c)) return c; }
           return 'rgb(255, 255, 255)'; }"""
    )
    back = [int(v) for v in re.findall(r"\d+", background)[:3]]
    found = {}
    for side, scroll in (("right", "0"), ("left", "el.scrollWidth")):
        window_.evaluate(f"el => {{ el.scrollLeft = {scroll}; }}")
        image = Image.open(io.BytesIO(window_.screenshot(animations="disabled"))).convert("RGB")
        columns = range(image.width - 2, image.width) if side == "right" else range(2)
        found[side] = sum(
            1
            for x in columns
            for y in range(image.height)
            if max(abs(c - b) for c, b in zip(image.getpixel((x, y)), back, strict=True)) > EDGE_INK
        )
    return found


@pytest.fixture(scope="module")
def equations(served_site, browser) -> dict[tuple[str, str], list[dict]]:
    """Every display equation of every toc page, measured at desktop and phone width."""
    base_url, html_dir = served_site
    site = Site(browser, base_url, html_dir)
    return {(page, mode): measure(site, page, mode) for page in PAGES for mode in ("desktop", "phone")}


def describe(equation: dict) -> str:
    return f"#{equation['index'] + 1} {equation['width']:.0f} px in {equation['room']:.0f} px: {equation['tex'][:70]}"


@pytest.mark.parametrize("page", PAGES, ids=[slug(p) for p in PAGES])
def test_every_display_equation_fits_the_desktop_column(equations, page):
    shown = equations[(page, "desktop")]
    assert all(e["rendered"] for e in shown), [e["tex"] for e in shown if not e["rendered"]]
    too_wide = [
        describe(e) for e in shown if e["scrolls"] or e["width"] > e["room"] + 1 or not e["insideColumn"]
    ]
    assert not too_wide, (
        f"at {MODES['desktop']['viewport']['width']} px these equations are wider than the column; break them "
        "into lines (\\begin{aligned} ... \\\\ ... \\end{aligned}):\n" + "\n".join(too_wide)
    )


@pytest.mark.parametrize("page", PAGES, ids=[slug(p) for p in PAGES])
def test_display_equations_fit_a_phone(equations, page):
    shown = equations[(page, "phone")]
    assert all(e["rendered"] for e in shown), [e["tex"] for e in shown if not e["rendered"]]
    scrolling = [e for e in shown if e["scrolls"] or e["width"] > e["room"] + 1]
    assert all(e["insideColumn"] for e in shown), [describe(e) for e in shown if not e["insideColumn"]]
    assert len(shown) - len(scrolling) >= PHONE_FIT_SHARE * len(shown), (
        f"{len(scrolling)} of {len(shown)} display equations must be swiped sideways at "
        f"{MODES['phone']['viewport']['width']} px (at most {1 - PHONE_FIT_SHARE:.0%} may):\n"
        + "\n".join(map(describe, scrolling))
    )


@pytest.mark.parametrize("page", PAGES, ids=[slug(p) for p in PAGES])
def test_an_equation_that_scrolls_shows_it_and_is_not_cut(equations, page):
    """A window that scrolls fades out on the side it continues past (a mask, the cue), so no symbol ends sharply
    at its edge: the outermost pixel columns hold no ink, at the start and at the end of the scroll."""
    problems = []
    for mode in ("desktop", "phone"):
        for e in equations[(page, mode)]:
            if not e.get("scrolls"):
                continue
            if not e["cue"]:
                problems.append(f"{mode}: {describe(e)}: scrolls with no visible cue")
            cut = {side: n for side, n in e["edges"].items() if n}
            if cut:
                problems.append(f"{mode}: {describe(e)}: cut mid-symbol at its edge ({cut} ink pixels)")
    assert not problems, "\n".join(problems)


def test_width_report(equations, capsys):
    """The numbers issue 22 asks for, printed: equations that scroll at 375 px, and wider than the desktop column."""
    lines = []
    for mode in ("phone", "desktop"):
        shown = [e for page in PAGES for e in equations[(page, mode)]]
        over = [e for e in shown if e["scrolls"] or e["width"] > e["room"] + 1]
        lines.append(
            f"{MODES[mode]['viewport']['width']} px: {len(over)} of {len(shown)} display equations scroll"
        )
    with capsys.disabled():
        print("\n" + "\n".join(lines))
    assert shown, "no display equations measured"


# --- math in search results -------------------------------------------------------------------------------------

# A word of chapter 1's prose, once on its page, and the inline equation right after it: the result's quote
# must show the equation once, as plain text, not its TeX source.
SEARCH_WORD, SEARCH_PAGE, SEARCH_MATH = "troublesome", "book/01_derivatives.html", "h²/2 f′′(x)"


def search_quote(site: Site, word: str, page_path: str) -> str:
    """The quote the search page shows under ``page_path``'s result for ``word`` (in Chromium, offline)."""
    with site.search(word) as (page, record):
        quoted = page.locator(f'#search-results ul.search li:has(a[href^="{page_path}"]) p.context').first
        quoted.wait_for(timeout=15_000)
        quote_text = quoted.inner_text()
    assert not record.console_errors and not record.failed_requests, (
        record.console_errors,
        record.failed_requests,
    )
    return quote_text


def test_search_quotes_math_once_as_plain_text(served_site, browser):
    base_url, html_dir = served_site
    prose = (html_dir / SEARCH_PAGE).read_text(encoding="utf-8")
    assert prose.count(SEARCH_WORD) == 1 and "<math" in prose.split(SEARCH_WORD, 1)[1][:400], (
        f"{SEARCH_PAGE} no longer has {SEARCH_WORD!r} right before an equation: choose another word"
    )
    text = search_quote(Site(browser, base_url, html_dir), SEARCH_WORD, SEARCH_PAGE)
    assert SEARCH_WORD in text.lower(), text
    shown = f"{SEARCH_WORD} {SEARCH_MATH}, are"  # the equation once, then the prose goes on
    assert shown in text, f"the equation after {SEARCH_WORD!r} is not quoted once as {SEARCH_MATH!r}: {text}"
    leftover = raw_tex(text) + re.findall(r"\\[A-Za-z]+|\^\{|_\{|f''", text)
    assert not leftover, f"the search quote shows TeX or the math twice: {leftover} in {text}"


# --- the math font ---------------------------------------------------------------------------------------------


def test_the_math_font_has_every_character_the_math_shows(built_book):
    """The site's math font is Latin Modern Math cut down after each build (book/_ext/temml_math.py). Every character
    a page's math shows, with the italic letters the browser substitutes for one-letter identifiers and the radical
    sign it draws for a square root, is in it: a missing one would be drawn in another font, at another size, or
    not at all (a root's sign was). A formula's text is read here independently of the subsetter's own scan (a
    tree, not its regular expressions)."""
    from bs4 import BeautifulSoup
    from fontTools.ttLib import TTFont

    html, _ = built_book
    font = TTFont(html / "_static" / FONT_FILE)
    cmap = font.getBestCmap()
    assert "MATH" in font, "the math font lost its MATH table"
    missing: dict[str, set[str]] = {}
    shown = 0
    for page in sorted(html.rglob("*.html")):
        if "_static" in page.parts:
            continue
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        for math in soup.find_all("math"):
            for note in math.find_all("annotation"):
                note.decompose()
            chars = set(math.get_text())
            for mi in math.find_all("mi"):
                text = mi.get_text()
                if len(text) == 1 and not mi.has_attr("mathvariant") and (italic := italic_form(text)):
                    chars.add(chr(italic))
            chars.update(glyph for element, glyph in DRAWN_FOR.items() if math.find(element))
            shown += len(chars)
            lost = {
                c for c in chars if ord(c) not in cmap and not c.isspace() and c not in "\u2061\u2062\u2063"
            }
            if lost:
                missing.setdefault(str(page.relative_to(html)), set()).update(lost)
    assert shown, "no math found in the built site"
    assert not missing, f"characters the math shows but its font lacks: {missing}"


def test_the_math_fonts_rules_are_at_least_a_pixel(built_book):
    """Chromium snaps fraction bars and a root's overbar to whole CSS pixels and drops one that rounds to none, so a
    rule thinner than 1 px vanishes or not depending on where it falls (a root's bar over L did). Math is set at
    1.21 em of 16 px, 1.1 em in a display on a phone (book/_static/math.css): at 17.6 px every rule of the served
    font must be at least 1 px."""
    from fontTools.ttLib import TTFont

    html, _ = built_book
    font = TTFont(html / "_static" / FONT_FILE)
    constants = font["MATH"].table.MathConstants
    em = font["head"].unitsPerEm
    thin = {
        name: getattr(constants, name).Value
        for name in RULES
        if getattr(constants, name).Value / em * 17.6 < 1
    }
    assert not thin, f"rules thinner than 1 px at 17.6 px: {thin} (font units of {em} to the em)"
