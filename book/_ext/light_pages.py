"""Trim what every page of the site makes a reader download before the text shows.

After the build, each written page is edited in place:

- the theme's ``fontawesome.js`` (1.45 MB) goes: pydata-sphinx-theme's CSS already carries Font Awesome's classes
  and web fonts, which draw the dozen icons the pages use;
- Sphinx's small ``documentation_options.js``, which cannot wait, is written into the page instead of fetched;
- the scripts in ``<head>`` are deferred (they still run in order, before DOMContentLoaded), so they no longer block
  the first paint (the search page keeps its own order), the theme's preloads of its own scripts go, and the search
  index and Sphinx's search scripts are left to the search page, the only one that uses them;
- the colour theme ("auto") is resolved to light or dark before the first paint, not after it;
- a page preloads the math fonts its first screens' math uses, so that math is not laid out twice;
- a table with a header row gets a copy of the header in each cell, for the phone's one-card-per-row layout;
- long inline code gets break opportunities after its dots and underscores (``<wbr>``);
- a figure a notebook stores with a phone variant (``labcode.plots.figure_png``) becomes a ``<picture>``: narrow
  screens get the phone drawing (panels stacked, text as large as on the desktop), written beside the figure;
- every ``<img>`` gets ``loading="lazy"``, ``decoding="async"`` and ``width``/``height`` attributes (its CSS size:
  the figure's output metadata, see ``labcode.plots.figure_png``, or the file's own size), so the page does not
  shift when an image arrives and images below the fold wait until the reader scrolls.

- pydata-sphinx-theme's script stops laying out the whole page as it loads: its function that gives scrollable
  blocks a tab stop is replaced by ``lazy_tab_stops.js``, which does it for each block as it comes near the screen;

- each section of the article carries its estimated height on a phone and on the desktop (``section_sizes.py``),
  which the browser assumes for a section it has not laid out yet;

- the dozen stylesheets of a page become one file, without the rules no page or script can match and the custom
  properties nothing reads (``unused_css.py``: 501 kB of CSS, 77 kB compressed, becomes 131 kB, 25 kB compressed),
  and with Font Awesome's fonts cut down to the icons left.

"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import re
from pathlib import Path
from typing import Any

from font_subset import write_font_subset
from section_sizes import size_sections
from sphinx.util import logging
from unused_css import drop_unused_rules, unused_custom_properties, without_declarations, words_in

logger = logging.getLogger(__name__)

# The edits below are regular expressions on the HTML Sphinx wrote, not a BeautifulSoup tree written back: each edit
# touches one kind of tag Sphinx writes in one fixed form, and writing a whole page back through BeautifulSoup
# re-serialises everything else too (attribute quoting, void tags, entities in the MathML, whitespace), so a page
# would change where nothing was meant to. BeautifulSoup reads pages where reading is all that is needed
# (section_sizes.py, the tests).

FONTAWESOME = re.compile(r'\s*<script defer src="[^"]*_static/scripts/fontawesome\.js[^"]*"></script>')
# Every script the <head> loads in the way of the first paint, except documentation_options.js, which the inline
# scripts after it use at once. Deferred scripts still run in order, before DOMContentLoaded.
BLOCKING_SCRIPT = re.compile(
    r'<script (?![^>]*\b(?:defer|async)\b)((?:[\w-]+="[^"]*" )*)src="([^"]+)"></script>'
)
IMG = re.compile(r"<img\b[^>]*>")
STYLE_SIZE = re.compile(r'\s*style="width:\s*(\d+)px;\s*height:\s*(\d+)px;?"')


def image_size(path: Path) -> tuple[int, int] | None:
    """(width, height) of a raster image, read from its header by Pillow; None for SVG or a missing file."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            return image.size
    except (OSError, UnidentifiedImageError):
        return None


def lighten_img(tag: str, page: Path) -> str:
    """``tag`` (one ``<img ...>``) with lazy loading and its width and height as attributes."""
    sized = STYLE_SIZE.search(tag)
    if (
        sized
    ):  # docutils writes a unitless size as an inline style; attributes let the CSS scale it to the column
        tag = tag.replace(sized.group(0), f' width="{sized.group(1)}" height="{sized.group(2)}"')
    if " width=" not in tag:
        src = re.search(r'src="([^"]+)"', tag)
        size = image_size((page.parent / src.group(1)).resolve()) if src else None
        if size:
            tag = tag[:-1].rstrip("/").rstrip() + f' width="{size[0]}" height="{size[1]}">'
    if " loading=" not in tag:
        tag = tag[:4] + ' loading="lazy" decoding="async"' + tag[4:]
    return tag


# Below this viewport width the text column is narrower than ~480 CSS px, where the desktop figure's smallest text
# (12.5 px at 672 px wide) would shrink under 9 px: the page shows the phone drawing instead.
PHONE_MEDIA = "(max-width: 540px)"
FIGURE_IMG = re.compile(r'<img\b[^>]*\bsrc="((?:[^"]*/)?_images/)([0-9a-f]{64})\.png"[^>]*>')


def stored_figures(app: Any, key: str) -> dict[str, Any]:
    """What the notebooks store under ``key`` in their figures' output metadata (``labcode.plots.figure_png``:
    ``"phone"``, the phone drawing; ``labcode.plots.explorable``: ``"explorable"``, the frames), by the name of the
    figure's file: myst-nb names an output's file in ``_images/`` by the SHA-256 of its bytes."""
    found = {}
    for docname in app.env.found_docs:
        path = Path(app.env.doc2path(docname))
        if path.suffix != ".ipynb":
            continue
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            for output in cell.get("outputs", []):
                data = output.get("data", {}).get("image/png")
                value = output.get("metadata", {}).get("image/png", {}).get(key)
                if data and value:
                    found[hashlib.sha256(base64.b64decode(data)).hexdigest()] = value
    return found


def phone_picture(match: re.Match, page: Path, phones: dict[str, dict[str, Any]]) -> str:
    """``<img>`` of a figure wrapped in a ``<picture>`` whose ``<source>`` is the phone drawing, written to
    ``_images/<name>-phone.png`` beside the figure; an image without a phone variant is left as it is."""
    folder, name = match.group(1), match.group(2)
    phone = phones.get(name)
    if phone is None:
        return match.group(0)
    target = (page.parent / folder / f"{name}-phone.png").resolve()
    if not target.exists():
        target.write_bytes(base64.b64decode(phone["png"]))
    source = (
        f'<source media="{PHONE_MEDIA}" srcset="{folder}{name}-phone.png" '
        f'width="{phone["width"]}" height="{phone["height"]}">'
    )
    return f"<picture>{source}{match.group(0)}</picture>"


# Sphinx's documentation_options.js: 400 bytes that the inline scripts after it need at once, so it cannot be
# deferred; fetched, it costs the first paint a round trip (306 ms of Lighthouse's slow 4G). Written into the page.
DOCUMENTATION_OPTIONS = re.compile(
    r'<script src="([^"?]*_static/documentation_options\.js)(?:\?[^"]*)?"></script>'
)


# pydata-sphinx-theme's inline <head> script sets data-theme to "auto" (html_context.default_mode) and its deferred
# script resolves that to "light" or "dark" only after the first paint; CSS written for [data-theme=light] then
# applies late and text reflows (chapter 10's opening paragraph gained a line: a layout shift of 0.107 on a phone, in
# every Lighthouse run). The page resolves it itself before it paints, as the theme's script later does.
THEME_AUTO = 'document.documentElement.dataset.theme = localStorage.getItem("theme") || "auto";'
THEME_RESOLVED = (
    'document.documentElement.dataset.theme = ((t) => t === "auto" ? (matchMedia("(prefers-color-scheme: dark)")'
    '.matches ? "dark" : "light") : t)(localStorage.getItem("theme") || "auto");'
)


def inline_documentation_options(match: re.Match, page: Path) -> str:
    script = (page.parent / match.group(1)).resolve()
    if not script.is_file():
        return match.group(0)
    return f'<script id="documentation_options">{script.read_text(encoding="utf-8").strip()}</script>'


# The math fonts (book/_static/temml/temml.css), by what in the math uses them. CSS asks for a font only once text
# that needs it is laid out, so a font the first screen's math needs would arrive after the first paint, and the
# math would be laid out again in it and move the text around (Lighthouse measured layout shifts of 0.11 to 0.12 on
# chapters whose first lines hold math, with KaTeX's fonts). The fonts the first screens use are preloaded.
MATH_FONTS = {
    "temml/lm-math-subset.woff": ("<math",),
    "temml/Temml.woff2": ("tml-prime", "mathscr"),
}
FIRST_SCREEN_CHARS = 30_000  # of the article's HTML: a phone's first two screens of math-heavy text, measured
STATIC_PREFIX = re.compile(r'href="([^"]*)_static/')


def preload_math_fonts(head: str, body: str) -> str:
    """``head`` with a preload for each math font the article's first screens use (see MATH_FONTS)."""
    prefix = STATIC_PREFIX.search(head)
    start = body.find("<article")
    if prefix is None or start < 0 or 'as="font"' in head:
        return head
    first = body[start : start + FIRST_SCREEN_CHARS]
    links = "".join(
        f'<link rel="preload" as="font" type="font/{font.rsplit(".", 1)[1]}" crossorigin '
        f'href="{prefix.group(1)}_static/{font}">'
        for font, markers in MATH_FONTS.items()
        if any(marker in first for marker in markers)
    )
    return head.replace("</title>", "</title>\n" + links, 1) if links else head


TABLE = re.compile(r"<table\b.*?</table>", re.S)


def label_table_cells(match: re.Match) -> str:
    """A table with a header row, ready to become one card per row on a phone (site-fixes.css): each cell starts with
    a copy of its column's header (``.cell-label``, shown only in that layout, hidden from screen readers, which read
    the header itself; the header's math copied as it is rendered),
    a blank cell is marked ``empty-cell``, and the table keeps explicit roles, which ``display: block`` drops in
    some browsers' accessibility trees. Done here, not by a script, so the page does not move when it runs (it gave
    the cheat sheet a layout shift of 0.18 on a phone). Only the table is parsed and written back."""
    html = match.group(0)
    if "cell-label" in html or "<thead" not in html:
        return html
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    table = soup.table
    heads = table.select("thead th")
    table["role"] = "table"
    for th in heads:
        th["role"] = "columnheader"
    for row in table.select("tr"):
        row["role"] = "row"
        for i, cell in enumerate(row.find_all(["td", "th"], recursive=False)):
            if cell.name != "td":
                continue
            cell["role"] = "cell"
            if not cell.get_text().strip():
                cell["class"] = [*cell.get("class", []), "empty-cell"]
            if i >= len(heads) or not heads[i].get_text().strip():
                continue
            label = soup.new_tag("span", attrs={"class": "cell-label", "aria-hidden": "true"})
            for node in heads[i].contents:
                label.append(copy.copy(node))
            cell.insert(0, label)
    return str(soup)


def _defer(match: re.Match) -> str:
    if "documentation_options.js" in match.group(2):
        return match.group(0)
    return f'<script defer {match.group(1)}src="{match.group(2)}"></script>'


INLINE_CODE = re.compile(r'(<code class="docutils literal[^"]*"><span class="pre">)([^<]{16,})(</span>)')


def break_points(match: re.Match) -> str:
    """A long inline identifier (``labcode.losses.softmax_cross_entropy``) with a break opportunity after each dot
    and underscore, where a reader expects a line to break, instead of anywhere in a word."""
    return match.group(1) + re.sub(r"([._/])(?=\w)", r"\1<wbr>", match.group(2)) + match.group(3)


# pydata-sphinx-theme loads Sphinx's search scripts and the whole search index (143 kB, 39 kB compressed) on every
# page, for its search-as-you-type box; with that option off (the theme's default, and this book's), the search box
# sends the reader to search.html, which loads them itself, and no other page uses them.
SEARCH_SCRIPTS = re.compile(
    r'\s*<script (?:defer )?src="[^"]*(?:_static/searchtools\.js|_static/language_data\.js|searchindex\.js)"></script>'
)


# pydata-sphinx-theme preloads its two scripts (30 kB compressed), which run deferred, after the first paint: at the
# priority a preload gives them they took bandwidth from the stylesheet the first paint waits for, and Lighthouse counts
# a preloaded script among what the first paint needs (in its simulation the stylesheet then delayed the first paint
# by up to 505 ms; without them, by 131 to 294 ms). The <script defer> tags still load them.
SCRIPT_PRELOAD = re.compile(r'\s*<link rel="preload" as="script" href="[^"]*" />')


def lighten_page(html: str, page: Path, phones: dict[str, dict[str, Any]] | None = None) -> str:
    html = SCRIPT_PRELOAD.sub("", FONTAWESOME.sub("", html))
    if page.name != "search.html" and "DOCUMENTATION_OPTIONS.search_as_you_type = false" in html:
        html = SEARCH_SCRIPTS.sub("", html)
    if phones and "<picture>" not in html:  # once: a rebuild leaves unchanged pages as they were
        html = FIGURE_IMG.sub(lambda m: phone_picture(m, page, phones), html)
    if page.name != "search.html" and "</head>" in html:  # the search page runs its scripts itself, in order
        head, body = html.split("</head>", 1)
        head = BLOCKING_SCRIPT.sub(_defer, head)
        head = DOCUMENTATION_OPTIONS.sub(lambda m: inline_documentation_options(m, page), head)
        head = preload_math_fonts(head, body).replace(THEME_AUTO, THEME_RESOLVED)
        html = head + "</head>" + body
    if "<wbr>" not in html:  # once: a rebuild leaves unchanged pages as they were
        html = INLINE_CODE.sub(break_points, html)
    html = TABLE.sub(label_table_cells, html)
    return size_sections(IMG.sub(lambda m: lighten_img(m.group(0), page), html))


STYLESHEET = re.compile(
    r'<link (?=[^>]*rel="stylesheet")[^>]*href="([^"]*_static/[^"?]+)(?:\?[^"]*)?"[^>]*>\s*'
)
CSS_IMPORT = re.compile(r'@import\s+(?:url\()?"([^"]+)"\)?\s*;')
CSS_URL = re.compile(r"url\((['\"]?)(?!data:|https?:|#)([^'\")]+)\1\)")
BUNDLED = re.compile(r"^/\* bundled: (\S+) \*/$", re.M)  # the stylesheets a bundle was made of, one per line


def _css_text(static: Path, name: str) -> str:
    """A stylesheet of _static with its @imports inlined and its url()s made relative to _static itself."""
    path = static / name
    text = path.read_text(encoding="utf-8")
    text = CSS_IMPORT.sub(
        lambda m: _css_text(static, (path.parent / m.group(1)).resolve().relative_to(static).as_posix()), text
    )

    def rebase(match: re.Match) -> str:
        target = (path.parent / match.group(2)).resolve()
        return f"url({match.group(1)}{target.relative_to(static.resolve()).as_posix()}{match.group(1)})"

    return CSS_URL.sub(rebase, text)


ICON_FONT = re.compile(
    r'src:url\((vendor/fontawesome/webfonts/(fa-[\w-]+))\.woff2\) format\("woff2"\),'
    r'url\(vendor/fontawesome/webfonts/fa-[\w-]+\.ttf\) format\("truetype"\)'
)


def subset_icon_fonts(static: Path, css: str) -> str:
    """``css`` with Font Awesome's fonts (150 kB each) replaced by subsets holding only the icons it still names,
    written next to it as WOFF (a few kB; fontTools writes WOFF2 only with brotli, which the book does not need)."""
    codepoints = {ord(c) for c in css if 0xE000 <= ord(c) <= 0xF8FF}
    codepoints |= {int(code, 16) for code in re.findall(r"\\([ef][0-9a-f]{3})(?![0-9a-f])", css)}

    def replace(match: re.Match) -> str:
        name = f"{match.group(2)}-used.woff"
        write_font_subset(static / f"{match.group(1)}.ttf", codepoints, static / name, layout_features=[])
        return f'src:url({name}) format("woff")'

    return ICON_FONT.sub(replace, css)


def bundle_stylesheets(outdir: Path, pages: list[Path]) -> None:
    """Replace each page's dozen stylesheets (a round trip each before the first paint) by one file, the same for
    every page with the same list, without the rules no page or script can match (``unused_css.py``: among them
    the Font Awesome icons no page uses) and the custom properties nothing reads (Bootstrap's and the theme's
    variables for every colour and component: 24 kB of the 155 kB bundle)."""
    static = (outdir / "_static").resolve()
    used = words_in([*pages, *(js for js in static.rglob("*.js") if "fontawesome" not in js.name)])

    bundles: dict[tuple[str, ...], str] = {}
    for page in pages:
        html = page.read_text(encoding="utf-8")
        head, sep, body = html.partition("</head>")
        links = STYLESHEET.findall(head)
        if not links or not sep:
            continue
        names = tuple(link.split("_static/", 1)[1] for link in links)
        if len(names) == 1 and names[0].startswith("bundle-"):
            # An incremental build did not rewrite this page, which links an earlier build's bundle: make the
            # bundle again from the stylesheets it lists, which may have changed since (a fix to site-fixes.css
            # would otherwise never reach the page).
            earlier = static / names[0]
            names = tuple(BUNDLED.findall(earlier.read_text(encoding="utf-8"))) if earlier.exists() else ()
        if len(names) < 2:
            continue
        if names not in bundles:
            parts = [drop_unused_rules(_css_text(static, name), used) for name in names]
            unread = unused_custom_properties("\n".join(parts), used)
            css = "\n".join(
                f"/* bundled: {name} */\n{without_declarations(part, unread)}"
                for name, part in zip(names, parts, strict=True)
            )
            css = subset_icon_fonts(static, css)
            bundles[names] = f"bundle-{hashlib.sha256(css.encode()).hexdigest()[:12]}.css"
            (static / bundles[names]).write_text(css, encoding="utf-8")
        prefix = links[0].split("_static/", 1)[0]
        at = STYLESHEET.search(head).start()
        bundle = f'<link rel="stylesheet" href="{prefix}_static/{bundles[names]}" />\n'
        page.write_text(head[:at] + bundle + STYLESHEET.sub("", head[at:]) + sep + body, encoding="utf-8")


# pydata-sphinx-theme 0.16's addTabStopsToScrollableElements, as its minified bundle writes it.
THEME_TAB_STOPS = (
    'function I(){const e=()=>{document.querySelectorAll(["pre",".nboutput > .output_area",".cell_output > .output",'
    '".jp-RenderedHTMLCommon",".pst-scrollable-table-container"].join(", ")).forEach(e=>{e.tabIndex=e.scrollWidth>'
    'e.clientWidth||e.scrollHeight>e.clientHeight?0:-1})},t=_(e,300);window.addEventListener("resize",t),'
    'new MutationObserver(t).observe(document.getElementById("main-content"),{subtree:!0,childList:!0}),e()}'
)
LAZY_TAB_STOPS = Path(__file__).with_name("lazy_tab_stops.js")


def patch_theme_script(outdir: Path) -> None:
    """Swap the theme's tab-stop function for LAZY_TAB_STOPS in the built site's copy of the theme's script. A theme
    whose script no longer has the function as pinned is reported (a warning: the strict build fails), so an upgrade
    is looked at instead of silently keeping the whole-page layout at load."""
    script = outdir / "_static" / "scripts" / "pydata-sphinx-theme.js"
    text = script.read_text(encoding="utf-8")
    lazy = LAZY_TAB_STOPS.read_text(encoding="utf-8")
    if lazy in text:
        return
    if text.count(THEME_TAB_STOPS) != 1:
        logger.warning(
            "%s no longer has the tab-stop function light_pages.py replaces: see its comment", script
        )
        return
    script.write_text(text.replace(THEME_TAB_STOPS, lazy), encoding="utf-8")


def refresh_static(confdir: Path, static_paths: list[str], outdir: Path) -> list[str]:
    """Copy each file of the project's own static folders (``html_static_path``) that differs from its copy in the
    built site's ``_static``; returns what was copied. Sphinx copies them only when some page is rewritten, so after
    an edit to site-fixes.css alone `make book` said "no targets are out of date" and kept serving the old file."""
    copied = []
    for folder in static_paths:
        root = confdir / folder
        for source in sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else []:
            target = outdir / "_static" / source.relative_to(root)
            if not target.is_file() or target.read_bytes() != source.read_bytes():
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(source.read_bytes())
                copied.append(str(source.relative_to(confdir)))
    return copied


def _lighten_site(app: Any, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    outdir = Path(app.outdir)
    refresh_static(Path(app.confdir), list(app.config.html_static_path), outdir)
    pages = [
        p for p in outdir.rglob("*.html") if p.relative_to(outdir).parts[0] not in ("_static", "_sources")
    ]
    phones = stored_figures(app, "phone")  # {"png": base64, "width", "height", ...}
    for page in pages:
        html = page.read_text(encoding="utf-8")
        lighter = lighten_page(html, page, phones)
        if lighter != html:
            page.write_text(lighter, encoding="utf-8")
    bundle_stylesheets(outdir, pages)
    patch_theme_script(outdir)


def setup(app: Any) -> dict[str, Any]:
    # After the theme's own build-finished work (pydata-sphinx-theme writes pygments.css then), so the bundle has it.
    app.connect("build-finished", _lighten_site, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
