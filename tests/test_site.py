"""The built website as a reader meets it: every page of _toc.yml in headless Chromium, served from 127.0.0.1 with
every request that leaves the site blocked (a reader offline, or on a closed network, sees the same).

Each page is opened once per setting (desktop 1280 px, phone 375 px, dark mode at 1280 px) and measured by an
in-page probe (site_helpers.PROBE_JS); the tests below judge those measurements. Full-page screenshots for a person
go to _build/screenshots/ (every page with `make screenshots`; see SCREENSHOT_PAGES).
"""

from __future__ import annotations

import base64
import contextlib
import functools
import hashlib
import io
import os
import queue
import re
import threading
import warnings
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
from bs4 import BeautifulSoup
from conftest import read_notebook, toc_notebooks
from site_helpers import (
    CHROMIUM_ARGS,
    PROBE_JS,
    SCREENSHOTS,
    Visit,
    chromium_executable,
    format_axe,
    is_meaningful_alt,
    longest_chapter_page,
    raw_tex,
    slug,
    toc_chapter_pages,
    toc_pages,
)

PAGES = toc_pages()
CHAPTERS = toc_chapter_pages()
MODES = {
    "desktop": {"viewport": {"width": 1280, "height": 800}, "color_scheme": "light"},
    "phone": {"viewport": {"width": 375, "height": 812}, "is_mobile": True, "has_touch": True},
    "dark": {"viewport": {"width": 1280, "height": 800}, "color_scheme": "dark"},
}
# pydata-sphinx-theme reads the colour mode from localStorage before the page draws (its inline head script).
# Init scripts also run in frames without storage (about:blank), hence the try; the dark-mode test checks it took.
DARK_MODE_SCRIPT = (
    "try { localStorage.setItem('mode', 'dark'); localStorage.setItem('theme', 'dark'); } catch {}"
)
# Full-page screenshots for a person, in _build/screenshots/: `make screenshots` (SCREENSHOTS=all) takes every page in
# every mode. `make test` takes the home page's and the longest chapter's, which proves the pictures are taken and
# show a page; all 60 captures were about 75 s of one core (a long chapter's 1.3-2 s each at 1280 px), and a CI run
# has nobody to look at them.
SCREENSHOT_PAGES = PAGES if os.environ.get("SCREENSHOTS") == "all" else [PAGES[0], longest_chapter_page()]
# Two browsers in two threads: on two cores one page's loading overlaps another's axe run (about 1.3x faster).
WORKERS = 2
ALT_TEXT_HOWTO = (
    "give every figure alt text that says what it shows: for a notebook output, the cell's metadata "
    '{"mystnb": {"image": {"alt": "..."}}}; for {figure}/{image}/{glue:figure}, the :alt: option; '
    "for markdown, ![alt](path)"
)


# The math is left out: it has no colour or ARIA of its own (its colour is the text's around it, which is checked),
# while checking its thousands of elements would nearly double axe's time on a chapter.
AXE_CONTEXT = {"exclude": [["math"]]}
# The structure of a page is the same in both colour modes; dark mode needs only the colour rules again.
AXE_OPTIONS = {
    "desktop": {"resultTypes": ["violations"]},
    "dark": {
        "resultTypes": ["violations"],
        "runOnly": {"type": "rule", "values": ["color-contrast", "link-in-text-block"]},
    },
}


def click_live_code(page) -> tuple[str | None, str]:
    """Click "Live Code" (it sits in the launch menu, which opens on hover), offline. Return the URL it fetches
    Thebe from (None without the button, "" if nothing was requested) and what the page then tells the reader
    (its text, then " -> " and its link's address; "" if it says nothing within 10 s)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    button = page.locator(".btn-launch-thebe")
    if button.count() == 0:
        return None, ""
    try:
        with page.expect_request(lambda request: "thebe" in request.url, timeout=10_000) as request:
            button.dispatch_event("click")
    except PlaywrightTimeout:
        return "", ""
    try:
        status = page.wait_for_selector(".live-code-status", state="visible", timeout=10_000)
    except PlaywrightTimeout:
        return request.value.url, ""
    link = status.query_selector("a")
    return request.value.url, f"{status.inner_text()} -> {link.get_attribute('href') if link else ''}"


class Site:
    """The built site, served locally, and the browser that visits it; remembers each (page, mode) visit."""

    def __init__(self, browser, base_url: str, html_dir: Path) -> None:
        self.browser = browser
        self.base_url = base_url
        self.html_dir = html_dir
        self.visits: dict[tuple[str, str], Visit] = {}

    def open(self, mode: str):
        """A fresh browser context (a first-time reader: empty localStorage) whose requests off the site fail."""
        context = self.browser.new_context(**MODES[mode])
        if mode == "dark":
            context.add_init_script(DARK_MODE_SCRIPT)
        return context

    def watch(self, context, record: Visit) -> None:
        """Block every request that leaves the site; while record.recording, note it, console errors, and the
        site's own files that fail to load."""
        own = self.base_url

        def route(route) -> None:
            if route.request.url.startswith(own):
                route.continue_()
            else:
                if record.recording:
                    record.blocked_requests.append(route.request.url)
                route.abort()

        def failed(request) -> None:
            if record.recording and request.url.startswith(own):
                record.failed_requests.append(f"{request.url}: {request.failure}")

        def response(response) -> None:
            if record.recording and response.url.startswith(own):
                if response.status >= 400:
                    record.failed_requests.append(f"{response.url}: HTTP {response.status}")
                record.bytes_loaded += int(response.headers.get("content-length", 0))

        def console(message) -> None:
            if record.recording and message.type == "error":
                record.console_errors.append(message.text)

        def uncaught(error) -> None:
            if record.recording:
                record.console_errors.append(f"uncaught: {error}")

        context.route("**/*", route)
        context.on("requestfailed", failed)
        context.on("response", response)
        context.on("console", console)
        context.on("weberror", lambda error: uncaught(error.error))

    def visit(self, page_path: str, mode: str) -> Visit:
        key = (page_path, mode)
        if key not in self.visits:
            self.visits[key] = self._visit(page_path, mode)
        if isinstance(self.visits[key], Exception):
            pytest.fail(f"visiting {page_path} ({mode}) failed: {self.visits[key]!r}", pytrace=False)
        return self.visits[key]

    def _visit(self, page_path: str, mode: str) -> Visit:
        from axe_playwright_python.sync_playwright import Axe

        record = Visit(page=page_path, mode=mode, url=self.base_url + page_path)
        context = self.open(mode)
        self.watch(context, record)
        page = context.new_page()
        try:
            page.goto(record.url, wait_until="load")
            record.final_url = page.url
            record.facts = page.evaluate(PROBE_JS)
            # The page's weight for a reader who scrolls to the end: every lazy image the browser picks at this width
            # (a <picture> picks the phone drawing only on a phone), loaded now.
            page.evaluate(LOAD_EVERY_IMAGE_JS)
            # What follows is the test's doing, not the reader's: stop recording. (A full-page capture resizes the
            # view, which makes a <picture> fetch its other drawing; axe-core fetches the stylesheets itself and
            # resolves their @import against the page: "../basic.css" -> /basic.css, 404.)
            record.recording = False
            # A reader scrolling sees every section laid out as it comes near; a full-page capture does not scroll,
            # so lay them all out first (content-visibility in site-fixes.css would leave the far ones blank).
            page.add_style_tag(content=".bd-article section { content-visibility: visible !important; }")
            record.facts["laidOutHeight"] = page.evaluate("document.scrollingElement.scrollHeight")
            if page_path in SCREENSHOT_PAGES:
                # JPEG: a long page's full-page PNG took 2.7 to 6.9 s to encode here, its JPEG 1.2 to 5.7 s, and a
                # person reads it as well
                record.screenshot = SCREENSHOTS / f"{slug(page_path)}-{mode}.jpg"
                page.screenshot(path=record.screenshot, full_page=True, type="jpeg", quality=80)
            if mode in AXE_OPTIONS:
                record.axe_violations = Axe().run(page, AXE_CONTEXT, AXE_OPTIONS[mode]).response["violations"]
            if mode == "desktop":
                record.live_code_request, record.live_code_message = click_live_code(page)
        finally:
            context.close()
        return record

    @contextlib.contextmanager
    def search(self, word: str):
        """The search page for ``word``, loaded at desktop width in a fresh, watched context: (page, record)."""
        record = Visit(page="search.html", mode="desktop", url=f"{self.base_url}search.html?q={quote(word)}")
        context = self.open("desktop")
        self.watch(context, record)
        try:
            page = context.new_page()
            page.goto(record.url, wait_until="load")
            yield page, record
        finally:
            context.close()

    def unexplained_console_errors(self, record: Visit) -> list[str]:
        # No allowances: book/_ext/inline_scripts_once.py removes the one defect of the pinned tools that logged one.
        return list(record.console_errors)


def visit_all(chromium: str, base_url: str, html_dir: Path, jobs: list[tuple[str, str]]) -> dict:
    """Visit every (page, mode) in ``jobs`` with WORKERS browsers, each in its own thread (Playwright's sync API
    wants one instance per thread). A visit that raised is stored as its exception, for its tests to report."""
    from playwright.sync_api import sync_playwright

    pending: queue.SimpleQueue = queue.SimpleQueue()
    for job in jobs:
        pending.put(job)
    results: dict = {}

    def work() -> None:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            worker = Site(browser, base_url, html_dir)
            try:
                while True:
                    try:
                        job = pending.get_nowait()
                    except queue.Empty:
                        return
                    try:
                        results[job] = worker.visit(*job)
                    except Exception as error:  # reported by the tests of that page, not lost in a thread
                        results[job] = error
            finally:
                browser.close()

    threads = [threading.Thread(target=work, name=f"site-visits-{i}") for i in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.fixture(scope="session")
def site(served_site, browser):
    """The built site served on 127.0.0.1 (gzip, like Pages), with every toc page already visited in every mode;
    later visits use the session's shared browser."""
    chromium = chromium_executable()  # fails, with the install command, where Chromium is missing
    base_url, html_dir = served_site
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for old in [
        *SCREENSHOTS.glob("book-*.png"),
        *SCREENSHOTS.glob("book-*.jpg"),
    ]:  # no stale picture: of a page dropped from the toc, or older than the pages `make test` shot again
        old.unlink()
    site = Site(browser, base_url, html_dir)
    site.visits.update(
        visit_all(chromium, base_url, html_dir, [(page, mode) for page in PAGES for mode in MODES])
    )
    return site


LOAD_EVERY_IMAGE_JS = """
() => Promise.all([...document.images].map((img) => {
  img.loading = "eager";
  return img.decode().catch(() => {});
}))
"""


def page_ids(pages: list[str]) -> list[str]:
    return [slug(p) for p in pages]


# --- every page, every setting -------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("page", PAGES, ids=page_ids(PAGES))
def test_page_loads_cleanly_and_offline(site, page, mode):
    visit = site.visit(page, mode)
    assert visit.final_url == visit.url, f"{page} redirected to {visit.final_url}"
    failed, blocked = visit.failed_requests, visit.blocked_requests
    assert not failed, "the site's own files failed to load:\n" + "\n".join(failed)
    assert not blocked, (
        "the page requested files from outside the site (blocked here; a reader offline loses them). "
        "Serve them from book/_static/ and point _config.yml at them:\n" + "\n".join(blocked)
    )
    errors = site.unexplained_console_errors(visit)
    assert not errors, "console errors:\n" + "\n".join(errors)
    assert not visit.facts["thebeLoaded"], "Thebe (live code) was loaded before the reader asked for it"


@pytest.mark.parametrize("page", PAGES, ids=page_ids(PAGES))
def test_math_is_typeset(site, page):
    facts = site.visit(page, "desktop").facts
    assert not facts["untypesetMath"], (
        f"math left unrendered (is katex_prerender on in _config.yml? book/_ext/temml_math.py): {facts['untypesetMath'][:5]}"
    )
    assert facts["mathContainers"] >= facts["mathNodes"], facts
    assert not facts["mathErrors"], f"Temml could not render: {facts['mathErrors'][:5]}"
    assert not facts["offCentreEquations"], (
        f"display equations not centred: {facts['offCentreEquations'][:3]}"
    )
    leftover = raw_tex(facts["proseText"])
    assert not leftover, f"TeX shown as text (not parsed as math; check spacing around $...$): {leftover[:5]}"


@pytest.mark.parametrize("page", PAGES, ids=page_ids(PAGES))
def test_images_load_and_have_alt_text(site, page):
    images = site.visit(page, "desktop").facts["images"]
    broken = [img["src"] for img in images if not (img["width"] and img["height"])]
    assert not broken, f"images that did not load: {broken}"
    unnamed = [img["src"] for img in images if not is_meaningful_alt(img["alt"], img["src"])]
    assert not unnamed, (
        f"{len(unnamed)} of {len(images)} images have no alt text; {ALT_TEXT_HOWTO}: {unnamed}"
    )


def faint_on_dark(image: dict) -> bool:
    """A transparent image whose ink (more than 5% of it) nearly vanishes against what shows through."""
    transparent = image["transparentFraction"] >= 0.01
    return transparent and image["ink"] > 0 and image["faintInk"] > 0.05 * image["ink"]


@pytest.mark.parametrize("page", PAGES, ids=page_ids(PAGES))
def test_images_are_legible_in_dark_mode(site, page):
    facts = site.visit(page, "dark").facts
    assert facts["theme"] == "dark" and facts["pageLuminance"] < 0.05, (
        f"dark mode did not take effect (data-theme={facts['theme']!r}, background {facts['pageBackground']})"
    )
    faint = [
        f"{img['src']}: {img['faintInk']} of {img['ink']} ink pixels below 2:1 contrast against {img['backdrop']}"
        for img in facts["images"]
        if img["width"] and faint_on_dark(img)
    ]
    assert not faint, (
        "dark ink on a transparent image over the dark page (give figures an opaque background):\n"
        + ("\n".join(faint))
    )


@pytest.mark.parametrize("page", PAGES, ids=page_ids(PAGES))
def test_no_horizontal_scroll_on_a_phone(site, page):
    facts = site.visit(page, "phone").facts
    assert facts["scrollWidth"] <= facts["innerWidth"], (
        f"at {facts['innerWidth']} px the page is {facts['scrollWidth']} px wide: it scrolls sideways"
    )


@pytest.mark.parametrize("mode", ["desktop", "dark"])
@pytest.mark.parametrize("page", PAGES, ids=page_ids(PAGES))
def test_no_serious_accessibility_violations(site, page, mode):
    violations = site.visit(page, mode).axe_violations
    serious = [v for v in violations if v["impact"] in ("serious", "critical")]
    assert not serious, "axe-core:\n" + format_axe(serious)


def image_size(path: Path) -> tuple[int, int]:
    """Width and height of an image file, read from its header (a long chapter's full-page shot is big enough for
    Pillow's decompression-bomb warning, which this suite turns into an error; it is our own picture)."""
    from PIL import Image

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        with Image.open(path) as image:
            return image.size


def test_screenshots_for_a_person(site):
    """Desktop, phone and dark, in _build/screenshots/: look at them. `make screenshots` takes every page."""
    for page in SCREENSHOT_PAGES:
        for mode, settings in MODES.items():
            shot = site.visit(page, mode).screenshot
            assert shot is not None and shot.is_file(), f"no screenshot of {page} ({mode})"
            width, height = image_size(shot)
            assert width == settings["viewport"]["width"] and height >= settings["viewport"]["height"], (
                f"{shot} is {width}x{height}"
            )
            # one flat colour compresses to a few kB; a page of text and figures to far more
            assert shot.stat().st_size > 20_000, f"{shot} looks blank ({shot.stat().st_size} bytes)"


def test_site_root_opens_the_home_page(site):
    visit = Visit(page="", mode="desktop", url=site.base_url)
    context = site.open("desktop")
    site.watch(context, visit)
    try:
        page = context.new_page()
        page.goto(site.base_url, wait_until="load")
        page.wait_for_url(site.base_url + PAGES[0])
    finally:
        context.close()
    assert not visit.blocked_requests, visit.blocked_requests


# --- chapters --------------------------------------------------------------------------------------------------------


def word_from(html: str) -> str:
    """A searchable word from a chapter's own prose: the longest plain word of its first paragraph."""
    soup = BeautifulSoup(html, "html.parser")
    article = soup.select_one("article.bd-article") or soup
    for node in article.select(".math, pre, code, .cell"):
        node.decompose()
    for paragraph in article.find_all("p"):
        words = re.findall(r"\b[A-Za-z]{6,}\b", paragraph.get_text(" "))
        if words:
            return max(words, key=len).lower()
    raise AssertionError("the chapter has no paragraph of prose")


@pytest.mark.parametrize("chapter", CHAPTERS, ids=page_ids(CHAPTERS))
def test_search_finds_a_word_from_the_chapter(site, chapter):
    word = word_from((site.html_dir / chapter).read_text(encoding="utf-8"))
    with site.search(word) as (page, record):
        page.wait_for_function(
            "() => document.querySelector('#search-results h2')?.textContent === 'Search Results'",
            timeout=15_000,
        )
        summary = page.inner_text("#search-results .search-summary")
        found = [
            urlsplit(href).path
            for href in page.eval_on_selector_all("#search-results ul.search a", "as => as.map(a => a.href)")
        ]
    assert "/" + chapter in found, f"searching {word!r} did not list {chapter}: {summary} {found}"
    assert not record.blocked_requests and not record.failed_requests, (
        record.blocked_requests,
        record.failed_requests,
    )
    assert not site.unexplained_console_errors(record), record.console_errors


@pytest.mark.parametrize("chapter", CHAPTERS, ids=page_ids(CHAPTERS))
def test_live_code_fetches_thebe_only_when_clicked(site, chapter):
    """Thebe's JS comes from a CDN and runs on a Binder kernel, so it needs a network anyway: it must not load with
    the page, only when the reader clicks "Live Code" (the request is blocked here, which is enough to see it)."""
    visit = site.visit(chapter, "desktop")
    assert not [url for url in visit.blocked_requests if "thebe" in url], visit.blocked_requests
    assert visit.live_code_request is not None, "no Live Code button on the chapter"
    assert visit.live_code_request, "clicking Live Code requested no Thebe script"
    assert urlsplit(visit.live_code_request).hostname != "127.0.0.1", visit.live_code_request


# A page at load, its far sections not laid out yet (content-visibility), is within this share of its real height
# (book/_ext/section_sizes.py estimates each long section's; short ones are laid out at load). Measured: chapters within
# 9%, the interview questions -13% at 1280 px, the pages without a long section exact; with every section estimated
# the labs' index was 17% short at 375 px, and told 1200 px per section, as before, chapters were 34 to 59% short.
PAGE_HEIGHT_ESTIMATE = 0.15


@pytest.mark.parametrize("mode", ["desktop", "phone"])
@pytest.mark.parametrize("page", PAGES, ids=page_ids(PAGES))
def test_the_page_is_about_its_real_height_from_the_start(site, page, mode):
    facts = site.visit(page, mode).facts
    at_load, laid_out = facts["scrollHeight"], facts["laidOutHeight"]
    assert abs(at_load - laid_out) <= PAGE_HEIGHT_ESTIMATE * laid_out, (
        f"{page} ({mode}) is {at_load} px tall at load and {laid_out} px laid out: the scrollbar jumps as the reader "
        "scrolls (book/_ext/section_sizes.py's estimate)"
    )


def test_a_block_that_scrolls_gets_a_tab_stop_when_the_reader_reaches_it(site):
    """The theme's tab stops for scrolling blocks, done lazily (book/_ext/lazy_tab_stops.js): a code block added far
    down the page (as live code adds outputs) that scrolls sideways gets tabIndex 0 once it comes near the screen, so
    a keyboard reader can scroll it; one that fits gets -1 (no useless tab stop)."""
    context = site.open("desktop")
    try:
        page = context.new_page()
        page.goto(site.base_url + CHAPTERS[0], wait_until="load")
        page.evaluate(
            """() => {
              const main = document.getElementById("main-content");
              for (const [id, text] of [["wide", "x".repeat(2000)], ["narrow", "short"]]) {
                const pre = document.createElement("pre");
                pre.id = id;
                pre.style.whiteSpace = "pre";
                pre.style.overflowX = "auto";
                pre.textContent = text;
                main.appendChild(pre);
              }
            }"""
        )
        page.locator("#wide").scroll_into_view_if_needed()
        page.wait_for_function("() => document.getElementById('wide').tabIndex === 0", timeout=5000)
        assert page.evaluate("() => document.getElementById('narrow').tabIndex") == -1
    finally:
        context.close()


@pytest.mark.parametrize("chapter", CHAPTERS, ids=page_ids(CHAPTERS))
def test_live_code_says_when_it_cannot_start(site, chapter):
    """Offline (every request off the site fails here), clicking Live Code tells the reader so, in words, and
    links to the same chapter in Colab; it never leaves them with a spinner."""
    message = site.visit(chapter, "desktop").live_code_message
    assert "offline" in message, f"clicking Live Code offline said {message!r}"
    _, _, link = message.partition(" -> ")
    assert urlsplit(link).hostname == "colab.research.google.com", link
    assert link.endswith("/" + chapter.removesuffix(".html") + ".ipynb"), link


# --- figures and weight ------------------------------------------------------------------------------------------

# The figure standard (labcode.plots.style): the smallest text of every figure, as the reader sees it, is at least
# SMALLEST_TEXT_PX CSS px, at the 1280 px desktop column and on a 375 px phone, without zooming. On the phone the
# page shows each figure's phone drawing (a <picture>, book/_ext/light_pages.py), whose text is as large.
SMALLEST_TEXT_PX = 9.0
# Everything a chapter page loads (HTML, CSS, scripts, fonts, figures), compressed as GitHub Pages sends it.
CHAPTER_PAGE_BYTES = 800_000


@functools.cache
def stored_figures() -> dict[str, dict]:
    """Every PNG the notebooks store, by the name of its file on the site: the desktop figure by the name myst-nb
    gives it (the SHA-256 of its bytes), its phone drawing as that name + "-phone". Each with its output metadata
    (CSS width and height, smallest_text_px; labcode.plots.figure_png) and where it comes from."""
    figures = {}
    for path in toc_notebooks():
        for index, cell in enumerate(read_notebook(path).cells):
            for output in cell.get("outputs", []):
                data = output.get("data", {}).get("image/png")
                if data:
                    digest = hashlib.sha256(base64.b64decode(data)).hexdigest()
                    metadata = dict(output.get("metadata", {}).get("image/png", {}))
                    phone = metadata.pop("phone", None)
                    figures[digest] = {**metadata, "cell": f"{path.stem}[{index}]"}
                    if phone is not None:
                        phone = {key: value for key, value in phone.items() if key != "png"}
                        figures[digest + "-phone"] = {**phone, "cell": f"{path.stem}[{index}] (phone)"}
    return figures


@pytest.mark.parametrize("mode", ["desktop", "phone"])
@pytest.mark.parametrize("chapter", CHAPTERS, ids=page_ids(CHAPTERS))
def test_figure_text_is_legible_where_the_figure_is_shown(site, chapter, mode):
    """A figure's smallest text, in CSS px as the reader sees it: its size in the drawing the browser chose (from its
    font sizes, at the drawing's CSS width) times the width the browser shows it at over that CSS width."""
    figures = stored_figures()
    problems = []
    for img in site.visit(chapter, mode).facts["images"]:
        name = img["shown"].rsplit("/", 1)[-1].removesuffix(".png")
        figure = figures.get(name)
        if figure is None or "smallest_text_px" not in figure:
            problems.append(
                f"{img['shown']}: not a figure drawn by labcode.notebook.setup()'s standard (re-execute it)"
            )
            continue
        shown = figure["smallest_text_px"] * img["shownWidth"] / figure["width"]
        if shown < SMALLEST_TEXT_PX:
            problems.append(
                f"{figure['cell']}: smallest text {shown:.1f} px at {img['shownWidth']:.0f} px wide "
                f"(needs {SMALLEST_TEXT_PX})"
            )
        if abs(img["width"] - 2 * figure["width"]) > 1:
            problems.append(
                f"{figure['cell']}: {img['width']} px stored for {figure['width']} CSS px (not 2x)"
            )
        attributes = img["attributes"]
        if attributes["loading"] != "lazy" or not (attributes["width"] and attributes["height"]):
            problems.append(f"{figure['cell']}: the <img> is not lazy with width and height: {attributes}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("chapter", CHAPTERS, ids=page_ids(CHAPTERS))
def test_chapter_page_weight(site, chapter, capsys):
    loaded = site.visit(chapter, "desktop").bytes_loaded
    with capsys.disabled():
        print(
            f"\n{chapter}: {loaded / 1000:.0f} kB loaded, compressed (limit {CHAPTER_PAGE_BYTES / 1000:.0f} kB)"
        )
    assert 0 < loaded <= CHAPTER_PAGE_BYTES, (
        f"{chapter} loads {loaded} bytes (compressed), over {CHAPTER_PAGE_BYTES}"
    )


# --- the probe can fail ------------------------------------------------------------------------------------------------


def png_data_url(ink: tuple[int, int, int, int], background: tuple[int, int, int, int]) -> str:
    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (120, 80), background)
    ImageDraw.Draw(image).rectangle((10, 10, 110, 40), fill=ink)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def test_probe_flags_dark_ink_on_a_transparent_image_and_raw_tex(site):
    black, clear, white = (0, 0, 0, 255), (0, 0, 0, 0), (255, 255, 255, 255)
    context = site.open("desktop")
    try:
        page = context.new_page()
        page.set_content(
            '<body style="background:#121212"><article class="bd-article"><p>Raw $x^2$ here.</p>'
            f'<img id="a" src="{png_data_url(black, clear)}" alt="black ink, no background">'
            f'<img id="b" src="{png_data_url(black, white)}" alt="black ink on white">'
            f'<img id="c" src="{png_data_url(white, clear)}" alt="white ink, no background">'
            '<img id="d" src="missing.png"></article></body>'
        )
        facts = page.evaluate(PROBE_JS)
    finally:
        context.close()
    transparent_black, opaque, transparent_white, missing = facts["images"]
    assert faint_on_dark(transparent_black)
    assert not faint_on_dark(opaque) and not faint_on_dark(transparent_white)
    assert missing["width"] == 0 and not is_meaningful_alt(missing["alt"], missing["src"])
    assert raw_tex(facts["proseText"]) == ["$x^2$"]


def test_raw_tex_and_alt_text_rules():
    assert raw_tex(r"the slope \(f'(x)\) and \frac{a}{b}") == [r"\(", r"\frac"]
    assert raw_tex("costs 5 dollars; f(x) = x^2 is typeset") == []
    assert not is_meaningful_alt("../_images/abc123.png", "../_images/abc123.png")
    assert not is_meaningful_alt("  ", "x.png") and not is_meaningful_alt(None, "x.png")
    assert is_meaningful_alt("Secant lines approaching the tangent of sin at x = 1", "../_images/abc123.png")
