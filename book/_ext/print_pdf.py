"""Print the whole book to one PDF with headless Chromium (no TeX): `make pdf`.

    python book/_ext/print_pdf.py _build/html _build/html/calculus-for-ml.pdf

The built site's pages, in the order of _toc.yml, are joined into one page (each page's article, with its links
and images rewritten to the site's root; the site's own stylesheet). It is served on 127.0.0.1 (every request that
leaves it is refused, as in the site tests), laid out for print, every figure is loaded and every folded block
(hidden code, solutions) is opened, then Chromium prints it on A4 with page numbers. (Sphinx's singlehtml builder
cannot render myst-nb's hidden code cells.)
"""

from __future__ import annotations

import argparse
import functools
import http.server
import os
import sys
import threading
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import yaml
from bs4 import BeautifulSoup

ROOT = Path(__file__).resolve().parents[2]
PRINT_PAGE = "_print-book.html"
# The site's layout is a flex row of sidebars and text: on paper, one column, each page of the book on new paper,
# every section drawn (the site lets the browser skip sections out of view).
PRINT_CSS = """
body { margin: 0; display: block; }
.print-page { display: block; break-before: page; }
.bd-article { max-width: none; padding: 0; }
.bd-article section { content-visibility: visible !important; }
pre { white-space: pre-wrap; overflow-wrap: break-word; }  /* paper does not scroll sideways */
.katex-display > .katex > .katex-html { background: none !important; }  /* nor shows scroll shadows */
"""

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
PREPARE_JS = """
async () => {
  for (const details of document.querySelectorAll("details")) details.open = true;
  for (const img of document.images) {
    img.loading = "eager";
    try { await img.decode(); } catch (error) { /* a broken image prints as its alt text */ }
  }
  await document.fonts.ready;
  return document.images.length;
}
"""
FOOTER = (
    '<div style="font-size:8px; width:100%; text-align:center; color:#555">'
    '<span class="pageNumber"></span> / <span class="totalPages"></span></div>'
)


def toc_pages(entry: dict | list | None = None) -> list[str]:
    """The pages of _toc.yml in reading order, as paths of the site: 'book/intro.html', ..."""
    if entry is None:
        toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
        return [f"{toc['root']}.html", *toc_pages(toc.get("parts", []) + toc.get("chapters", []))]
    pages: list[str] = []
    for item in entry if isinstance(entry, list) else [entry]:
        if "file" in item:
            pages.append(f"{item['file']}.html")
        for key in ("chapters", "sections", "parts"):
            pages += toc_pages(item.get(key, []))
    return pages


def joined_book(html_dir: Path) -> str:
    """One HTML page holding every toc page's article, in order; URLs made relative to the site's root."""
    pages = toc_pages()
    first = BeautifulSoup((html_dir / pages[0]).read_text(encoding="utf-8"), "html.parser")
    head = [
        str(tag)
        for tag in first.head.find_all(["meta", "title"])
        if tag.name == "title" or tag.get("charset")
    ]
    for link in first.head.find_all("link", rel="stylesheet"):
        head.append(f'<link rel="stylesheet" href="{urlsplit(urljoin(pages[0], link["href"])).path}">')
    articles = []
    for page in pages:
        soup = BeautifulSoup((html_dir / page).read_text(encoding="utf-8"), "html.parser")
        article = soup.select_one("article.bd-article")
        for tag, attribute in (("img", "src"), ("a", "href")):
            for element in article.find_all(tag, attrs={attribute: True}):
                url = element[attribute]
                if not urlsplit(url).scheme and not url.startswith("#"):
                    element[attribute] = urljoin(page, url)
        articles.append(f'<div class="print-page">{article}</div>')
    return (
        '<!DOCTYPE html><html lang="en" data-theme="light" data-mode="light"><head>'
        + "".join(head)
        + f"<style>{PRINT_CSS}</style></head><body>"
        + "".join(articles)
        + "</body></html>"
    )


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def print_pdf(html_dir: Path, pdf: Path) -> int:
    """Print the book built in ``html_dir`` to ``pdf``; return the number of figures it holds."""
    from playwright.sync_api import sync_playwright

    page = html_dir / PRINT_PAGE
    page.write_text(joined_book(html_dir), encoding="utf-8")
    handler = functools.partial(_Quiet, directory=str(html_dir))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
            )
            context = browser.new_context(viewport={"width": 1000, "height": 1400})
            context.route("**/*", lambda r: r.continue_() if r.request.url.startswith(base) else r.abort())
            tab = context.new_page()
            tab.goto(base + page.name, wait_until="load")
            tab.emulate_media(media="print")
            figures = tab.evaluate(PREPARE_JS)
            pdf.parent.mkdir(parents=True, exist_ok=True)
            tab.pdf(
                path=str(pdf),
                format="A4",
                print_background=True,
                margin={"top": "16mm", "bottom": "18mm", "left": "16mm", "right": "16mm"},
                display_header_footer=True,
                header_template="<div></div>",
                footer_template=FOOTER,
            )
            browser.close()
    finally:
        server.shutdown()
        server.server_close()
        page.unlink()  # not part of the site
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("html", type=Path, help="the built site, e.g. _build/html")
    parser.add_argument("pdf", type=Path, help="where to write the PDF")
    args = parser.parse_args()
    if not (args.html / "index.html").is_file():
        print(f"{args.html} holds no built site: run make book first (make pdf does)", file=sys.stderr)
        return 1
    figures = print_pdf(args.html.resolve(), args.pdf)
    print(f"wrote {args.pdf} ({args.pdf.stat().st_size / 1e6:.1f} MB, {figures} figures)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
