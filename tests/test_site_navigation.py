"""Navigation as a reader does it: at phone, tablet and desktop widths, tap or click the menu and "On this page"
buttons, see the sidebar open, close it again, and follow a link in it.

"Open" means a reader can reach the link: it is inside the window and it is what a tap at its centre hits (not
covered, not off-screen, not hidden), which is also what Playwright's own tap needs. Screenshots of each open
sidebar go to _build/screenshots/.
"""

from __future__ import annotations

import re

import pytest
from site_helpers import SCREENSHOTS, toc_chapter_pages

CHAPTERS = toc_chapter_pages()
CHAPTER, NEXT_CHAPTER = CHAPTERS[0], CHAPTERS[1]
# 375: a phone (touch); 900: a tablet or narrow window, where the sidebars become dialogs; 1280: a desktop.
WIDTHS = [375, 900, 1280]
WIDE = 992  # from this width on the theme shows the primary sidebar beside the text

REACHABLE_JS = """
(element) => {
  const box = element.getBoundingClientRect();
  if (box.width === 0 || box.height === 0) return false;
  const x = box.left + box.width / 2;
  const y = box.top + box.height / 2;
  if (x < 0 || y < 0 || x > window.innerWidth || y > window.innerHeight) return false;
  const hit = document.elementFromPoint(x, y);
  return hit !== null && (hit === element || element.contains(hit));
}
"""


def open_chapter(browser, base_url: str, width: int):
    touch = width < 600
    context = browser.new_context(
        viewport={"width": width, "height": 800}, is_mobile=touch, has_touch=touch, service_workers="block"
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(base_url + CHAPTER, wait_until="load")
    return context, page, touch, errors


def press(page, locator, touch: bool) -> None:
    """What a reader does: a tap on a touch screen, a click elsewhere."""
    if touch:
        locator.tap()
    else:
        locator.click()
    page.wait_for_timeout(400)  # the dialog's and the sidebar's transitions


def press_at(page, x: float, y: float, touch: bool) -> None:
    if touch:
        page.touchscreen.tap(x, y)
    else:
        page.mouse.click(x, y)
    page.wait_for_timeout(400)


def reachable(locator) -> bool:
    return locator.count() > 0 and locator.first.evaluate(REACHABLE_JS)


def visible_button(page, kind: str):
    """The one .primary-toggle or .secondary-toggle a reader can see (the theme has a hidden copy too)."""
    buttons = [b for b in page.locator(f".{kind}-toggle").all() if b.is_visible()]
    assert len(buttons) == 1, f"expected one visible {kind} sidebar button, found {len(buttons)}"
    return buttons[0]


@pytest.mark.parametrize("width", WIDTHS)
def test_primary_sidebar_opens_closes_and_its_links_work(browser, served_site, width):
    base_url, _ = served_site
    context, page, touch, errors = open_chapter(browser, base_url, width)
    try:
        link = page.locator(f'.bd-sidebar-primary a[href$="{NEXT_CHAPTER.rsplit("/", 1)[-1]}"]').first
        button = visible_button(page, "primary")
        if width >= WIDE:  # beside the text: the button hides it and shows it again
            assert reachable(link), "the chapter list is not shown beside the text"
            press(page, button, touch)
            assert not reachable(link), f"at {width} px the menu button did not hide the sidebar"
            press(page, button, touch)
        else:  # a dialog over the text, closed by a tap outside it
            assert not reachable(link)
            press(page, button, touch)
            page.screenshot(path=SCREENSHOTS / f"navigation-{width}-primary-open.png")
            assert reachable(link), f"at {width} px the menu button did not open the chapter list"
            press_at(page, width - 8, 400, touch)
            assert not reachable(link), f"at {width} px a tap beside the open chapter list did not close it"
            press(page, button, touch)
        assert reachable(link), f"at {width} px the chapter list did not come back"
        press(page, link, touch)
        page.wait_for_url(base_url + NEXT_CHAPTER)
        assert not errors, errors
    finally:
        context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_on_this_page_opens_closes_and_its_links_work(browser, served_site, width):
    base_url, _ = served_site
    context, page, touch, errors = open_chapter(browser, base_url, width)
    try:
        link = page.locator('.bd-sidebar-secondary a[href^="#"]').nth(1)
        target = link.get_attribute("href")
        if width >= 1200:  # the theme shows "On this page" beside the text, with no button
            assert reachable(link), "the section list is not shown beside the text"
            assert not [b for b in page.locator(".secondary-toggle").all() if b.is_visible()]
        else:
            button = visible_button(page, "secondary")
            assert not reachable(link)
            press(page, button, touch)
            page.screenshot(path=SCREENSHOTS / f"navigation-{width}-secondary-open.png")
            assert reachable(link), f"at {width} px 'On this page' did not open the section list"
            press_at(page, 8, 400, touch)
            assert not reachable(link), f"at {width} px a tap beside the open section list did not close it"
            press(page, button, touch)
            assert reachable(link), f"at {width} px the section list did not open a second time"
        press(page, link, touch)
        assert page.url.endswith(target), page.url
        heading = page.locator(target).locator("h1, h2, h3").first
        assert reachable(heading), (
            f"following {target} did not show its heading (is the section list still open?)"
        )
        assert not errors, errors
    finally:
        context.close()


# The ring a keyboard reader sees on the focused control: an outline, or a box-shadow with a spread.
FOCUS_RING_JS = """
() => {
  const e = document.activeElement;
  const s = getComputedStyle(e);
  const outline = s.outlineStyle !== "none" && parseFloat(s.outlineWidth) >= 2;
  const shadow = /\\d+px \\d+px \\d+px [1-9]/.test(s.boxShadow) && !/rgba\\([^)]*, 0\\)/.test(s.boxShadow);
  return {label: e.getAttribute("aria-label") || e.textContent.trim().slice(0, 40), tag: e.tagName,
          inHeader: !!e.closest(".bd-header-article"), ring: outline || shadow};
}
"""


@pytest.mark.parametrize("width", [375, 1280])
def test_every_header_control_shows_a_focus_ring(browser, served_site, width):
    """Tab through the page from the top: each control of the article header (menu, launch, repository, download,
    full screen, colour mode, search, "On this page") shows a ring when the keyboard reaches it."""
    base_url, _ = served_site
    context, page, _, _ = open_chapter(browser, base_url, width)
    try:
        seen = []
        for _ in range(40):
            page.keyboard.press("Tab")
            focused = page.evaluate(FOCUS_RING_JS)
            if focused["inHeader"]:
                seen.append(focused)
        assert len(seen) >= 4, f"the keyboard reached only {seen} in the article header"
        assert [f["label"] for f in seen if not f["ring"]] == [], seen
    finally:
        context.close()


@pytest.mark.parametrize("width", [375, 1280])
def test_search_text_starts_after_the_magnifier(browser, served_site, width):
    """The search page's box and the Ctrl+K dialog's: the query's first letter is right of the icon."""
    base_url, _ = served_site
    context, page, _, _ = open_chapter(browser, base_url, width)
    try:
        page.goto(base_url + "search.html?q=gradient", wait_until="load")
        boxes = page.evaluate(
            """() => [...document.querySelectorAll("form.bd-search")].filter(f => f.offsetParent).map(f => {
                 const icon = f.querySelector(".fa-magnifying-glass").getBoundingClientRect();
                 const input = f.querySelector("input");
                 const text = input.getBoundingClientRect().left + parseFloat(getComputedStyle(input).paddingLeft);
                 return {iconRight: icon.right, textLeft: text};
               })"""
        )
        assert boxes, "no visible search box on the search page"
        assert all(b["textLeft"] >= b["iconRight"] for b in boxes), boxes
    finally:
        context.close()


def test_a_chapter_searches_through_the_search_page(browser, served_site):
    """A chapter loads no search index (book/_ext/light_pages.py leaves it to the search page): Ctrl+K, a word and
    Enter take the reader to the search page, which lists the chapter."""
    base_url, html_dir = served_site
    assert "searchindex.js" not in (html_dir / CHAPTER).read_text(encoding="utf-8")
    context, page, _, errors = open_chapter(browser, base_url, 1280)
    try:
        page.keyboard.press("Control+k")
        query = page.locator('#pst-search-dialog input[name="q"]')
        query.wait_for(state="visible", timeout=5_000)
        query.fill("secant")
        query.press("Enter")
        page.wait_for_url("**/search.html?q=secant*", timeout=10_000)
        page.locator(f'#search-results ul.search a[href*="{CHAPTER.rsplit("/", 1)[1]}"]').first.wait_for(
            timeout=15_000
        )
        assert not errors, errors
    finally:
        context.close()


def test_a_wrapped_code_line_hangs_indented(browser, served_site):
    """At 1280 px long code lines wrap; the rest of the first wrapped line found starts at least 4 columns right of
    where the line began, so it does not read as a new statement."""
    base_url, _ = served_site
    context, page, _, _ = open_chapter(browser, base_url, 1280)
    try:
        found = None
        for chapter in CHAPTERS:
            page.goto(base_url + chapter, wait_until="load")
            page.add_style_tag(content=".bd-article section { content-visibility: visible !important; }")
            found = page.evaluate(
                """() => {
                  for (const pre of document.querySelectorAll(".bd-article div.highlight pre")) {
                    const ch = parseFloat(getComputedStyle(pre).fontSize) * 0.6;  // a monospace column
                    const walker = document.createTreeWalker(pre, NodeFilter.SHOW_TEXT);
                    let node = walker.nextNode(), offset = 0;
                    while (node) {  // one source line per pass: from (node, offset) to the next newline
                      const range = document.createRange();
                      range.setStart(node, offset);
                      let end = null;
                      while (node && end === null) {
                        const at = node.data.indexOf("\\n", offset);
                        if (at >= 0) { end = [node, at]; offset = at + 1; }
                        else { range.setEnd(node, node.data.length); node = walker.nextNode(); offset = 0; }
                      }
                      if (end) range.setEnd(...end);
                      const rects = [...range.getClientRects()].filter(r => r.width > 0);
                      if (!rects.length) continue;
                      const top = Math.min(...rects.map(r => r.top));
                      const later = rects.filter(r => r.top > top + 2);
                      if (later.length) {  // this line wrapped
                        const first = Math.min(...rects.filter(r => r.top <= top + 2).map(r => r.left));
                        return {indentCh: (Math.min(...later.map(r => r.left)) - first) / ch,
                                line: range.toString().slice(0, 80)};
                      }
                    }
                  }
                  return null;
                }"""
            )
            if found:
                break
        assert found, "no wrapped first line of a code cell at 1280 px in any chapter"
        assert found["indentCh"] >= 4, found
    finally:
        context.close()


def test_tables_fit_a_phone_and_label_every_value(browser, served_site):
    """At 375 px no table of the home page, the appendix or a chapter scrolls sideways or hides a column: each row
    is a card whose values sit under a copy of their column's header, its math drawn once."""
    base_url, html_dir = served_site
    appendix = sorted(
        p.relative_to(html_dir).as_posix() for p in (html_dir / "book" / "appendix").glob("*.html")
    )
    pages = ["book/intro.html", *appendix, *CHAPTERS]
    context, page, _, _ = open_chapter(browser, base_url, 375)
    try:
        tables = 0
        for name in pages:
            page.goto(base_url + name, wait_until="load")
            page.add_style_tag(content=".bd-article section { content-visibility: visible !important; }")
            facts = page.evaluate(
                """() => [...document.querySelectorAll(".bd-article table")].filter(t => t.querySelector("thead th"))
                     .map(t => ({wide: t.scrollWidth > t.parentElement.clientWidth + 1,
                                 unlabelled: [...t.querySelectorAll("tbody td")].filter(td => td.offsetParent
                                   && td.textContent.trim() && t.querySelectorAll("thead th")[td.cellIndex]
                                     ?.textContent.trim()  // a column without a header (a row's name) has none
                                   && !td.querySelector(".cell-label")?.offsetParent).length,
                                 labels: [...t.querySelectorAll("tbody td > .cell-label")].slice(0, 3)
                                   .map(l => l.innerText.trim())}))"""
            )
            tables += len(facts)
            assert not [f for f in facts if f["wide"]], f"{name}: a table is wider than the phone's column"
            assert not [f for f in facts if f["unlabelled"]], f"{name}: a value without its column's header"
            # what a reader sees: a header's math drawn once (not "www" for $w$: KaTeX's HTML and MathML text)
            assert all(label and not re.search(r"(\w)\1\1", label) for f in facts for label in f["labels"]), (
                facts
            )
        assert tables >= 5, f"only {tables} tables with a header row found on {pages}"
    finally:
        context.close()
