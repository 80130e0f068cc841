"""Print the whole book to one PDF with headless Chromium (no TeX): `make pdf`.

    python book/_tools/print_pdf.py _build/html _build/html/calculus-for-ml.pdf

The built site's pages, in the order of _toc.yml, are joined into one HTML book: a title page, a table of contents,
each part and chapter (headings one level deeper, so that parts are h1), links and ids rewritten to point inside
the book. What only makes sense on screen is left out: buttons, the labcode bootstrap cell (the first code cell of
every notebook), code the site hides behind a toggle (its output stays). Every hidden answer (a dropdown: exercise solutions, quick-check answers) moves to a "Solutions" section at
the end of its chapter, with a page reference in both directions.

Playwright answers the browser's requests from the built site's files (everything else is refused), Chromium lays
the book out for print (print_pdf.css), print_pdf.js loads every figure, scales display math that is wider than the
column and marks wrapped code lines, and Chromium prints it on A4 with a running header and page numbers. Page
numbers in the contents and the references come from the PDF itself: a first print places every heading and answer
(Chromium writes a named destination for each link target; pypdf reads them), the numbers are filled in in the open
page and it is printed again, until nothing moves (twice, so far). pypdf then puts the title page (printed on its own,
without header or page number) in front, writes the bookmarks (parts > chapters > sections) and labels the pages
as they are numbered.
"""

from __future__ import annotations

import argparse
import copy
import datetime
import html
import io
import logging
import mimetypes
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import yaml
from bs4 import BeautifulSoup, Tag

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# A made-up origin: Playwright answers its requests from the built site's files, so no server and no network.
ORIGIN = "http://book.print/"
# The printed column (A4 less print_pdf.css's margins) in CSS px: print_pdf.js measures math and code at this width.
COLUMN = {"width": round((210 - 2 * 17) / 25.4 * 96), "height": round((297 - 2 * 18) / 25.4 * 96)}
PLACEHOLDER = (
    "000"  # about as wide as a page number: filling them in rarely moves a line (the printer checks)
)
# Fills in the page numbers in the open book, in place: no second load, no second pass of print_pdf.js.
FILL_NUMBERS = """numbers => {
  for (const span of document.querySelectorAll("[data-page-of]")) span.textContent = numbers[span.dataset.pageOf];
}"""

HEADER = (
    '<div style="font-size:7.5px; width:100%; margin:0 17mm; color:#666"><span class="title"></span></div>'
)
FOOTER = '<div style="font-size:8px; width:100%; text-align:center; color:#444"><span class="pageNumber"></span></div>'


def edition_date() -> str:
    """The date the printed text is from (YYYY-MM-DD), not the day it was printed, so that printing the same commit twice gives
    the same book: ``SOURCE_DATE_EPOCH`` (the reproducible-builds convention) if set, else the last commit's date."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        return datetime.datetime.fromtimestamp(int(epoch), tz=datetime.UTC).date().isoformat()
    git = subprocess.run(
        ["git", "-C", str(ROOT), "log", "-1", "--format=%cs"], capture_output=True, text=True
    )
    return git.stdout.strip() if git.returncode == 0 else "this source (not a git checkout)"


def load_config() -> dict:
    return yaml.safe_load((ROOT / "_config.yml").read_text())


def toc_parts() -> list[tuple[str | None, list[str]]]:
    """The book's parts in reading order: (caption, pages), the root page first as a part without a caption."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())

    def pages(entries: list) -> list[str]:
        found = []
        for item in entries:
            if "file" in item:
                found.append(f"{item['file']}.html")
            found += pages(item.get("sections", []))
        return found

    parts = [(None, [f"{toc['root']}.html"])]
    if toc.get("chapters"):
        parts.append((None, pages(toc["chapters"])))
    return parts + [(part.get("caption"), pages(part.get("chapters", []))) for part in toc.get("parts", [])]


def toc_pages() -> list[str]:
    """Every page of _toc.yml in reading order, as paths of the site: 'book/intro.html', ..."""
    return [page for _, pages in toc_parts() for page in pages]


def slug(page: str) -> str:
    """The id of a page inside the book: 'book/01_derivatives.html' -> 'book-01_derivatives'."""
    return page.removesuffix(".html").replace("/", "-")


@dataclass
class Entry:
    """A line of the table of contents: what it says, where it points, how deep it is (0 part, 1 chapter...)."""

    title: str  # plain text, for the PDF outline: math as its TeX
    target: str
    level: int
    html: str  # for the printed contents: math typeset


def heading_text(heading: Tag) -> str:
    """A heading as plain text, each formula as its TeX source (its MathML's text runs the parts together: "h2")."""
    heading = copy.copy(heading)
    for formula in heading.select("math"):
        tex = formula.find("annotation")
        formula.replace_with(tex.get_text() if tex else formula.get_text())
    return " ".join(heading.get_text(" ", strip=True).split())


class BookBuilder:
    """Turns the built site into one printable HTML book: ``title_page()`` and ``html()`` (numbers as placeholders),
    ``entries`` (the contents and the bookmarks), ``targets`` (every id whose page number the book prints)."""

    def __init__(self, html_dir: Path) -> None:
        self.html_dir = html_dir
        config = load_config()
        self.title = config.get("title", "")
        self.author = config.get("author", "")
        self.site_url = config.get("sphinx", {}).get("config", {}).get("ogp_site_url", "")
        self.printed = set(toc_pages())
        self.entries: list[Entry] = []
        self.targets: set[str] = set()  # the ids whose page numbers the book prints
        self.body = self._body()

    # -- links and ids ---------------------------------------------------------------------------------------------
    def _relink(self, article: Tag, page: str) -> None:
        """Ids get the page's prefix; links to printed pages point inside the book, other links to the site."""
        prefix = slug(page)
        for element in article.find_all(id=True):
            element["id"] = f"{prefix}--{element['id']}"
        for img in article.find_all("img", src=True):
            img["src"] = "/" + urlsplit(urljoin(page, img["src"])).path.lstrip("/")
        for link in article.find_all("a", href=True):
            url = link["href"]
            parts = urlsplit(url)
            if parts.scheme or parts.netloc:
                continue
            path = urlsplit(urljoin(page, url)).path.lstrip("/") if parts.path else page
            if path in self.printed:
                link["href"] = f"#{slug(path)}--{parts.fragment}" if parts.fragment else f"#{slug(path)}"
            elif link.find("img") is not None:  # a figure's link to its own file: paper needs none
                del link["href"]
            else:
                link["href"] = urljoin(self.site_url, urljoin(page, url))

    # -- what is left out, and what moves --------------------------------------------------------------------------
    def _screen_only(self, article: Tag, page: str) -> None:
        if (ROOT / page.replace(".html", ".ipynb")).exists():
            bootstrap = article.select_one("div.cell")  # the first code cell installs labcode on Colab
            if bootstrap is not None:
                bootstrap.decompose()
        for toggle in article.select("details.hide"):
            if "above-input" in toggle.get("class", []):  # code the site hides: its output is what matters
                toggle.decompose()
            else:  # a hidden output: shown, without its toggle
                toggle.summary.decompose()
                toggle.unwrap()
        for element in article.select(".headerlink, .sd-btn, button"):
            element.decompose()

    def _collect_answers(self, soup: BeautifulSoup, article: Tag, page: str) -> None:
        """Every dropdown (solutions, answers) leaves its place for a page reference and joins the chapter's end."""
        answers = article.select("div.dropdown")
        if not answers:
            return
        prefix = slug(page)
        section = soup.new_tag(
            "section", attrs={"class": "print-solutions", "id": f"{prefix}--print-solutions"}
        )
        heading = soup.new_tag("h2")
        chapter = article.find("h1")
        heading.string = f"Solutions: {heading_text(chapter)}" if chapter else "Solutions"
        section.append(heading)
        for number, answer in enumerate(answers, 1):
            answer_id = answer.get("id") or f"{prefix}--answer-{number}"
            answer["id"] = answer_id
            title = answer.select_one(".admonition-title")
            what = heading_text(title) if title else "Answer"
            reference = soup.new_tag("p", attrs={"class": "print-answer-ref", "id": f"{answer_id}--from"})
            link = soup.new_tag("a", href=f"#{answer_id}")
            link.append(f"{what}: page ")
            link.append(self._page_number(soup, answer_id))
            reference.append(link)
            answer.replace_with(reference)
            answer["class"] = [c for c in answer.get("class", []) if c != "dropdown"]
            if title is not None:
                back = soup.new_tag("a", href=f"#{answer_id}--from", attrs={"class": "print-back"})
                back.append(" (from page ")
                back.append(self._page_number(soup, f"{answer_id}--from"))
                back.append(")")
                title.append(back)
            section.append(answer)
        article.append(section)

    def _page_number(self, soup: BeautifulSoup, target: str) -> Tag:
        span = soup.new_tag("span", attrs={"class": "number", "data-page-of": target})
        span.string = PLACEHOLDER
        self.targets.add(target)
        return span

    # -- the book ----------------------------------------------------------------------------------------------------
    def _body(self) -> BeautifulSoup:
        soup = BeautifulSoup("<div id='print-book'></div>", "html.parser")
        book = soup.div
        for part_number, (caption, pages) in enumerate(toc_parts()):
            if caption:
                part = soup.new_tag("div", attrs={"class": "print-part", "id": f"print-part-{part_number}"})
                title = soup.new_tag("h1")
                title.string = caption
                part.append(title)
                book.append(part)
                self.entries.append(Entry(caption, part["id"], 0, html.escape(caption)))
            for page in pages:
                source = BeautifulSoup((self.html_dir / page).read_text(encoding="utf-8"), "html.parser")
                article = source.select_one("article.bd-article")
                self._screen_only(article, page)
                self._relink(article, page)
                self._collect_answers(source, article, page)
                wrapper = soup.new_tag("div", attrs={"class": "print-page", "id": slug(page)})
                front = caption is None
                for heading in article.find_all(re.compile(r"^h[1-5]$")):
                    level = int(heading.name[1])
                    if not front:  # a chapter inside a part sits one level below it
                        heading.name = f"h{level + 1}"
                    if level == 1:
                        heading["class"] = [*heading.get("class", []), "print-chapter-title"]
                    if level <= 2:
                        section = heading.find_parent(["section", "div"], id=True)
                        target = section["id"] if section is not None else slug(page)
                        self.entries.append(
                            Entry(heading_text(heading), target, level, heading.decode_contents())
                        )
                wrapper.append(article)
                book.append(wrapper)
        return soup

    def _head(self) -> str:
        first = BeautifulSoup((self.html_dir / toc_pages()[0]).read_text(encoding="utf-8"), "html.parser")
        head = ['<meta charset="utf-8">', f"<title>{self.title}</title>"]
        for link in first.head.find_all("link", rel="stylesheet"):
            head.append(
                f'<link rel="stylesheet" href="/{urlsplit(urljoin(toc_pages()[0], link["href"])).path}">'
            )
        css = (HERE / "print_pdf.css").read_text(encoding="utf-8")
        return (
            '<!DOCTYPE html><html lang="en" data-theme="light" data-mode="light"><head>'
            + "".join(head)
            + f"<style>{css}</style></head>"
        )

    def title_page(self) -> str:
        """The title page, printed on its own: no running header, no page number."""
        edition = edition_date()
        return self._head() + (
            "<body><style>@page { margin: 0 }</style>"
            '<div class="print-title-page">'
            f'<p class="book-title">{self.title}</p>'
            '<p class="book-subtitle">Derivatives, gradients, the chain rule, optimisation and automatic '
            "differentiation, with code you can run</p>"
            f"<p>{self.author}</p>"
            f'<p>Read online, with live code: <a href="{self.site_url}">{self.site_url}</a></p>'
            f"<p>Edition of {edition}</p></div></body></html>"
        )

    def _contents(self) -> str:
        kind = {0: "toc-part", 1: "toc-chapter", 2: "toc-section"}
        self.targets |= {entry.target for entry in self.entries}
        lines = [
            f'<a class="{kind[entry.level]}" href="#{entry.target}"><span>{entry.html}</span>'
            f'<span class="leader"></span><span class="number" data-page-of="{entry.target}">{PLACEHOLDER}</span></a>'
            for entry in self.entries
        ]
        return '<nav class="print-contents"><h1 id="print-contents">Contents</h1>' + "".join(lines) + "</nav>"

    def html(self) -> str:
        """The whole book as one HTML page, page numbers as placeholders (``FILL_NUMBERS`` fills them in)."""
        return self._head() + "<body>" + self._contents() + str(self.body) + "</body></html>"


def destination_pages(pdf: bytes) -> dict[str, int]:
    """Each named destination of a PDF (Chromium writes one per link target) -> its page number, from 1."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf))
    return {
        str(name).lstrip("/"): reader.get_destination_page_number(destination) + 1
        for name, destination in reader.named_destinations.items()
    }


def assemble(title: bytes, body: bytes, entries: list[Entry]) -> bytes:
    """The title page, then the body, with bookmarks for the contents' entries (parts > chapters > sections), each at
    its heading, and page labels that match the printed numbers (the title page is 'Title', the body counts from 1).

    Chromium can write an outline itself, but only into a tagged PDF, whose structure tree (KaTeX's spans) made the
    book 17 MB instead of 7; pypdf writes one from the named destinations of the untagged print instead."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import Fit

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # Chromium's trailer undercounts its objects; harmless
    reader = PdfReader(io.BytesIO(body))
    writer = PdfWriter(clone_from=reader)
    writer.insert_page(PdfReader(io.BytesIO(title)).pages[0], 0)
    destinations = {str(name).lstrip("/"): d for name, d in reader.named_destinations.items()}
    parents: dict[int, object] = {}
    for entry in entries:
        destination = destinations[entry.target]
        parent = next((parents[level] for level in range(entry.level - 1, -1, -1) if level in parents), None)
        parents[entry.level] = writer.add_outline_item(
            title=entry.title,
            page_number=reader.get_destination_page_number(destination) + 1,  # after the title page
            parent=parent,
            fit=Fit.xyz(left=destination.left, top=destination.top),
        )
        for deeper in [level for level in parents if level > entry.level]:
            del parents[deeper]
    writer.set_page_label(0, 0, prefix="Title")
    writer.set_page_label(1, len(writer.pages) - 1, style="/D", start=1)
    writer.page_mode = "/UseOutlines"  # a reader opens the PDF with the bookmarks shown
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def print_pdf(html_dir: Path, pdf: Path) -> dict:
    """Print the book built in ``html_dir`` to ``pdf``; return what the print did (figures, scaled math, ...)."""
    from playwright.sync_api import sync_playwright

    builder = BookBuilder(html_dir)
    prepare = (HERE / "print_pdf.js").read_text(encoding="utf-8")
    site = html_dir.resolve()
    documents: dict[str, str] = {}  # the pages the printer makes, by path

    def answer(route) -> None:  # noqa: ANN001 (Playwright's Route)
        url = route.request.url
        if not url.startswith(ORIGIN):
            return route.abort()
        path = unquote(urlsplit(url).path).lstrip("/")
        if path in documents:
            return route.fulfill(body=documents[path], content_type="text/html; charset=utf-8")
        file = (site / path).resolve()
        if site not in file.parents or not file.is_file():
            return route.fulfill(status=404, body="")
        kind = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        return route.fulfill(body=file.read_bytes(), content_type=kind)

    timings = {"load": 0.0, "print": 0.0}

    def open_tab(browser, name: str, document: str):  # noqa: ANN001, ANN202 (Playwright's Browser and Page)
        documents[name] = document
        context = browser.new_context(viewport=COLUMN)
        context.route("**/*", answer)
        tab = context.new_page()
        tab.emulate_media(media="print")
        clock = time.monotonic()
        tab.goto(ORIGIN + name, wait_until="load")
        report = tab.evaluate(prepare)
        timings["load"] += time.monotonic() - clock
        return tab, report

    def print_tab(tab, **options) -> bytes:  # noqa: ANN001
        clock = time.monotonic()
        data = tab.pdf(format="A4", print_background=True, prefer_css_page_size=True, **options)
        timings["print"] += time.monotonic() - clock
        return data

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        try:
            tab, _ = open_tab(browser, "_print-title.html", builder.title_page())
            title = print_tab(tab)
            tab, report = open_tab(browser, "_print-book.html", builder.html())
            pages: dict[str, int] = {}
            prints = 0
            while prints < 4:  # the first print places everything, the second shows the numbers
                prints += 1
                body = print_tab(
                    tab, display_header_footer=True, header_template=HEADER, footer_template=FOOTER
                )
                placed = destination_pages(body)
                missing = builder.targets - placed.keys()
                if missing:
                    raise RuntimeError(f"the PDF has no destination for {sorted(missing)[:5]}")
                placed = {target: placed[target] for target in builder.targets}
                if placed == pages:
                    break
                pages = placed
                tab.evaluate(FILL_NUMBERS, pages)
            else:  # four prints, and filling in the numbers still moved what they number
                raise RuntimeError("the page numbers kept moving the headings they number")
        finally:
            browser.close()
    pdf.parent.mkdir(parents=True, exist_ok=True)
    pdf.write_bytes(assemble(title, body, builder.entries))
    return {**report, "prints": prints, "timings": timings}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("html", type=Path, help="the built site, e.g. _build/html")
    parser.add_argument("pdf", type=Path, help="where to write the PDF")
    args = parser.parse_args()
    if not (args.html / "index.html").is_file():
        print(f"{args.html} holds no built site: run make book first (make pdf does)", file=sys.stderr)
        return 1
    start = time.monotonic()
    report = print_pdf(args.html, args.pdf)
    print(
        f"wrote {args.pdf} ({args.pdf.stat().st_size / 1e6:.1f} MB, {report['figures']} figures, "
        f"{report['scaled']} equations scaled to the column, {report['continuations']} code lines continued, "
        f"{report['prints']} prints, {time.monotonic() - start:.0f} s: "
        + ", ".join(f"{what} {seconds:.0f} s" for what, seconds in report["timings"].items())
        + ")"
    )
    for equation in report["overflowing"]:
        print(f"still wider than the column: {equation}", file=sys.stderr)
    return 1 if report["overflowing"] else 0


if __name__ == "__main__":
    sys.exit(main())
