"""What the site tests share: a local server for the built site, Chromium, the pages to visit, the link check.

Everything iterates over the pages that `_toc.yml` names and the files the build wrote, never a fixed list,
so a new chapter is checked as soon as it is in the table of contents.
"""

from __future__ import annotations

import contextlib
import functools
import gzip
import http.server
import io
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from bs4 import BeautifulSoup
from conftest import ROOT, toc_files

# Debian's Chromium, driven by Playwright (whose own browser download needs a network this machine lacks).
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
INSTALL_CHROMIUM = "apt-get update && apt-get install -y chromium"
# Chromium will not start as root with its own sandbox; an ordinary user's Chromium runs sandboxed, as a reader's
# does (it needs user namespaces, which .ci/run allows where AppArmor forbids them), and .ci/run runs the browser
# tests a second time as one. Without the background-networking flags Chromium keeps calling home, which on a
# closed network only adds noise.
CHROMIUM_SANDBOX = [] if os.geteuid() != 0 else ["--no-sandbox"]
CHROMIUM_ARGS = [
    *CHROMIUM_SANDBOX,
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = ROOT / "_build" / "screenshots"
LINK_REPORT = ROOT / "_build" / "link-report.txt"


def chromium_executable() -> str:
    """The Chromium binary to drive; fails (never skips) with the command that installs it."""
    path = shutil.which(CHROMIUM) or (CHROMIUM if os.access(CHROMIUM, os.X_OK) else None)
    if path is None:
        pytest.fail(
            f"Chromium is not installed at {CHROMIUM}, and the site tests drive it to check the built pages as "
            f"a reader sees them. Install it with `{INSTALL_CHROMIUM}` (as root; .ci/run does this), "
            "or point the CHROMIUM environment variable at a Chromium binary.",
            pytrace=False,
        )
    return path


# What GitHub Pages sends gzip-compressed; images are sent as they are (PNG is compressed already).
COMPRESSED_TYPES = ("text/", "application/javascript", "application/json", "image/svg+xml")


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    """A static file server that, like GitHub Pages, gzips text when the browser accepts it and keeps the
    connection open for the page's next file. (http.server speaks HTTP/1.0 unless told: a new connection per file,
    each one a TCP handshake and a slow start in Lighthouse's simulated slow 4G, which no reader of the site pays:
    Pages serves HTTP/2.)"""

    protocol_version = "HTTP/1.1"

    def log_message(
        self, format: str, *args: object
    ) -> None:  # one line per request would drown pytest's output
        pass

    def send_head(self):  # noqa: ANN201 (http.server's own signature)
        path = Path(self.translate_path(self.path))
        if path.is_dir() and urlsplit(self.path).path.endswith("/"):
            path = path / "index.html"
        kind = self.guess_type(str(path))
        wants_gzip = "gzip" in self.headers.get("Accept-Encoding", "")
        if not (wants_gzip and path.is_file() and kind.startswith(COMPRESSED_TYPES)):
            return super().send_head()
        body = gzip.compress(path.read_bytes(), compresslevel=6, mtime=0)
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "max-age=600")  # what Pages sends
        self.end_headers()
        return io.BytesIO(body)


class _Server(http.server.ThreadingHTTPServer):
    def handle_error(self, request, client_address) -> None:  # noqa: ANN001 (socketserver's own signature)
        """A browser that closes a kept-alive connection, or leaves a page before a file has arrived, is not an
        error of the site: only other errors are printed (with their traceback, as socketserver does)."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


@contextlib.contextmanager
def serve(directory: Path) -> Iterator[str]:
    """Serve ``directory`` on 127.0.0.1 at a free port, in a thread, gzip-compressed like GitHub Pages; yield
    the base URL (ending in '/')."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = _Server(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, name="site-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def toc_pages() -> list[str]:
    """The built page of every file in _toc.yml, root (the home page) first, as paths relative to the site."""
    return [f"{name}.html" for name in toc_files()]


def toc_chapter_pages() -> list[str]:
    """The pages built from notebooks: the chapters, which carry launch buttons and live code."""
    return [f"{name}.html" for name in toc_files() if (ROOT / f"{name}.ipynb").exists()]


def longest_chapter_page() -> str:
    """The chapter with the most math, code and figures (the largest notebook, labs aside): the page that stands
    for all of them where a test cannot afford every page."""
    chapters = [p for p in toc_chapter_pages() if "/labs/" not in p]
    return max(
        chapters, key=lambda p: len(json.dumps(json.loads((ROOT / p.replace(".html", ".ipynb")).read_text())))
    )


def slug(page: str) -> str:
    """A file-name-safe name for a page: 'book/01_derivatives.html' -> 'book-01_derivatives'."""
    return page.removesuffix(".html").replace("/", "-")


# --- checks on what a page shows --------------------------------------------------------------------------------

# TeX the build should have turned into math: $...$, \(...\), \[...\] or a bare command like \frac{.
RAW_TEX = re.compile(
    r"(?<![\\$])\$(?!\s)[^$\n]{1,200}(?<!\s)\$(?!\d)"
    r"|\\[([]"
    r"|\\(?:frac|sum|int|lim|partial|nabla|mathbf|mathrm|begin|left|sqrt|cdot|approx)\b"
)


def raw_tex(text: str) -> list[str]:
    """The pieces of ``text`` that look like TeX a reader would see untypeset."""
    return [m.group(0) for m in RAW_TEX.finditer(text)]


def is_meaningful_alt(alt: str | None, src: str) -> bool:
    """Alt text says what an image shows: not missing, not blank, not a file name (docutils' default is the
    image's path, which a screen reader would spell out)."""
    if alt is None or not alt.strip():
        return False
    alt = alt.strip()
    name = src.rsplit("/", 1)[-1].split("?")[0]
    return (
        alt != src
        and not alt.endswith(name)
        and not re.fullmatch(r"\S+\.(png|jpe?g|gif|svg|webp)", alt, re.I)
    )


@dataclass
class Visit:
    """What one page showed in one browser setting (mode: 'desktop', 'phone' or 'dark')."""

    page: str
    mode: str
    url: str
    final_url: str = ""
    console_errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    blocked_requests: list[str] = field(default_factory=list)
    bytes_loaded: int = 0  # what the site sent while the page loaded (compressed, as on the wire)
    facts: dict = field(default_factory=dict, repr=False)  # what PROBE_JS measured
    axe_violations: list[dict] = field(default_factory=list, repr=False)
    screenshot: Path | None = None
    live_code_request: str | None = None  # the URL that clicking "Live Code" fetched Thebe from
    live_code_message: str = ""  # what the page then told the reader (offline here), and where its link goes
    recording: bool = field(default=True, repr=False)  # off once the test, not the reader, acts on the page


def format_axe(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        targets = [" ".join(map(str, node["target"])) for node in v["nodes"][:4]]
        lines.append(f"{v['impact']}: {v['id']} ({v['help']}; {v['helpUrl']}) at {targets}")
        lines += [f"    {node['failureSummary']}".replace("\n", "\n    ") for node in v["nodes"][:1]]
    return "\n".join(lines)


# The in-page probe (page.evaluate): waits for fonts and images, then measures what a reader sees. Math is HTML
# already (KaTeX renders it at build time), so there is nothing to wait for.
PROBE_JS = r"""
async () => {
  await document.fonts.ready;
  const article = document.querySelector("article.bd-article") || document.querySelector("main") || document.body;
  const images = [...article.querySelectorAll("img")];
  // What the page declares, before the probe makes every image load now to measure it.
  const declared = images.map((img) => Object.fromEntries(["width", "height", "loading"].map((a) => [a, img.getAttribute(a)])));
  for (const img of images) {
    img.loading = "eager";
    try {
      await img.decode();
    } catch (error) {
      // a broken image stays at natural size 0, which the test reports
    }
  }

  // --- colours: WCAG relative luminance and contrast ---
  const parseColour = (text) => {
    const numbers = (text.match(/[\d.]+/g) || []).map(Number);
    if (text.startsWith("color(")) numbers.forEach((v, i) => (numbers[i] = i < 3 ? v * 255 : v));
    const [r = 0, g = 0, b = 0, a = 1] = numbers;
    return { rgb: [r, g, b], alpha: text.includes("rgba") || text.includes("/") ? a : 1 };
  };
  const luminance = ([r, g, b]) => {
    const lin = (c) => ((c /= 255) <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
    return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
  };
  const contrast = (x, y) => {
    const [hi, lo] = [luminance(x), luminance(y)].sort((p, q) => q - p);
    return (hi + 0.05) / (lo + 0.05);
  };
  // What shows through a transparent pixel: the first background that is not transparent, from the image up.
  const backdrop = (element) => {
    for (let e = element; e; e = e.parentElement) {
      const colour = parseColour(getComputedStyle(e).backgroundColor);
      if (colour.alpha > 0.5) return colour.rgb;
    }
    return [255, 255, 255];
  };

  // Sample an image's pixels: how much of it is transparent, and how much of its ink (alpha >= 0.5) nearly
  // vanishes against what is behind it (contrast below 2:1, e.g. black text on a dark page).
  const legibility = (img) => {
    const behind = backdrop(img);
    const width = Math.max(1, Math.min(img.naturalWidth, 480));
    const height = Math.max(1, Math.round((img.naturalHeight * width) / Math.max(1, img.naturalWidth)));
    const canvas = document.createElement("canvas");
    canvas.width = width;
    canvas.height = height;
    const context = canvas.getContext("2d", { willReadFrequently: true });
    context.drawImage(img, 0, 0, width, height);
    const data = context.getImageData(0, 0, width, height).data;
    let transparent = 0;
    let ink = 0;
    let faint = 0;
    for (let i = 0; i < data.length; i += 4) {
      const alpha = data[i + 3] / 255;
      if (alpha < 0.98) transparent += 1;
      if (alpha < 0.5) continue;
      ink += 1;
      const shown = [0, 1, 2].map((c) => alpha * data[i + c] + (1 - alpha) * behind[c]);
      if (contrast(shown, behind) < 2) faint += 1;
    }
    const pixels = data.length / 4;
    return { transparentFraction: transparent / pixels, ink, faintInk: faint, backdrop: behind };
  };

  // --- math, and TeX left over in the prose ---
  const mathNodes = [...document.querySelectorAll("span.math, div.math")];
  const prose = article.cloneNode(true);
  for (const node of prose.querySelectorAll("pre, code, script, style, math, .cell_output, .cell_input")) {
    node.remove();
  }

  const root = document.documentElement;
  return {
    title: document.title,
    mathNodes: mathNodes.length,
    mathContainers: mathNodes.filter((n) => n.querySelector("math")).length,
    untypesetMath: mathNodes.filter((n) => !n.querySelector("math")).map((n) => n.textContent.slice(0, 80)),
    mathErrors: [...document.querySelectorAll("merror, .temml-error")].map((e) => e.title || e.textContent),
    // A display equation is centred in the column: its box spans the row (the theme's flex row put it at the right).
    offCentreEquations: [...document.querySelectorAll("div.math")]
      .filter((d) => d.querySelector("math") && d.getBoundingClientRect().width > 0)
      .filter((d) => d.querySelector("math").getBoundingClientRect().width < 0.8 * d.getBoundingClientRect().width)
      .map((d) => d.textContent.slice(0, 60)),
    proseText: prose.textContent,
    images: images.map((img, i) => ({
      src: img.getAttribute("src"),
      shown: img.currentSrc,  // the file the browser chose: a <picture>'s phone drawing on a narrow screen
      alt: img.getAttribute("alt"),
      width: img.naturalWidth,
      height: img.naturalHeight,
      shownWidth: img.getBoundingClientRect().width,
      attributes: declared[i],
      ...(img.naturalWidth > 0 ? legibility(img) : {}),
    })),
    scrollWidth: document.scrollingElement.scrollWidth,
    scrollHeight: document.scrollingElement.scrollHeight,  // with the sections not yet laid out at their estimates
    innerWidth: window.innerWidth,
    theme: root.dataset.theme,
    mode: root.dataset.mode,
    pageBackground: backdrop(document.body),
    pageLuminance: luminance(backdrop(document.body)),
    thebeLoaded: typeof window.thebe !== "undefined" || !!document.querySelector('script[src*="thebe@"]'),
  };
};
"""


# --- links --------------------------------------------------------------------------------------------------------

URL_ATTRIBUTES = {"a": "href", "link": "href", "area": "href", "img": "src", "script": "src", "iframe": "src"}


@dataclass
class LinkCheck:
    broken: list[str] = field(default_factory=list)  # "page: href (why)"
    external: dict[str, set[str]] = field(default_factory=dict)  # url -> pages that link it
    checked: int = 0


@functools.cache
def _anchors(path: Path) -> frozenset[str]:
    soup = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
    return frozenset(
        [el["id"] for el in soup.find_all(id=True)]
        + [el["name"] for el in soup.find_all("a", attrs={"name": True})]
    )


def _page_urls(soup: BeautifulSoup) -> Iterator[str]:
    for tag, attribute in URL_ATTRIBUTES.items():
        for element in soup.find_all(tag, attrs={attribute: True}):
            yield element[attribute]
    for meta in soup.find_all("meta", attrs={"http-equiv": re.compile("refresh", re.I)}):
        match = re.search(r"url=(\S+)", meta.get("content", ""), re.I)
        if match:
            yield match.group(1).strip("'\"")


def site_html_pages(html_dir: Path) -> list[Path]:
    """Every page the build wrote (not the themes' template fragments that Sphinx copies into _static/)."""
    return sorted(
        p for p in html_dir.rglob("*.html") if p.relative_to(html_dir).parts[0] not in ("_static", "_sources")
    )


# What `make pdf` (and pages.yml, before publishing) adds to the built site after the build, relative to its root:
# a link to it resolves once that has run (tests/test_site_links.py holds both commands to this path).
PRINTED_BOOK = "calculus-for-ml.pdf"


def check_links(html_dir: Path) -> LinkCheck:
    """Resolve every relative URL of every built page to a file and, for '#anchor', to an id in that file.

    External URLs are collected, not fetched.
    """
    result = LinkCheck()
    _anchors.cache_clear()
    for page in site_html_pages(html_dir):
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        where = page.relative_to(html_dir).as_posix()
        for url in _page_urls(soup):
            parts = urlsplit(url)
            if parts.scheme in ("javascript", "data"):
                continue
            if parts.scheme or parts.netloc:
                result.external.setdefault(url, set()).add(where)
                continue
            result.checked += 1
            if parts.path.startswith("/"):
                result.broken.append(
                    f"{where}: {url} (a site-absolute path breaks when the book is served below /)"
                )
                continue
            target = Path(os.path.normpath(page.parent / unquote(parts.path))) if parts.path else page
            if target.is_dir():
                target = target / "index.html"
            if not target.is_relative_to(html_dir):
                result.broken.append(f"{where}: {url} (points outside the site)")
            elif not target.is_file() and target != html_dir / PRINTED_BOOK:
                result.broken.append(f"{where}: {url} (no file {target.relative_to(html_dir)})")
            elif (
                parts.fragment
                and target.suffix == ".html"
                and unquote(parts.fragment) not in _anchors(target)
            ):
                result.broken.append(f"{where}: {url} (no id {unquote(parts.fragment)!r} in that page)")
    return result


def write_link_report(links: LinkCheck, path: Path = LINK_REPORT) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [
        f"# {len(links.external)} external links in the built site (listed, not fetched), "
        f"and the pages that carry them. {links.checked} internal links and anchors were resolved.",
    ]
    for url in sorted(links.external):
        lines.append(f"{url}\n    on {', '.join(sorted(links.external[url]))}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# --- the repository -----------------------------------------------------------------------------------------------


def git_tracked(path: str) -> bool:
    """Whether ``path`` (relative to the repository root) is in git's index, so it is in the commit pushed."""
    proc = subprocess.run(
        ["git", "ls-files", "--error-unmatch", "--", path], cwd=ROOT, capture_output=True, text=True
    )
    if proc.returncode not in (0, 1) or "not a git repository" in proc.stderr:
        pytest.fail(f"cannot ask git about {path}: {proc.stderr.strip()}", pytrace=False)
    return proc.returncode == 0
