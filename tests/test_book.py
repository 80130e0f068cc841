"""The book builds with zero warnings, and its pages carry what a reader needs (math, launch buttons)."""

from __future__ import annotations

import re
from urllib.parse import urlparse

import pytest
from bs4 import BeautifulSoup
from conftest import ROOT, read_notebook, toc_files, toc_notebooks

CHAPTERS = toc_notebooks()
# The numbered chapters teach with figures; the labs are worksheets (math, TODO cells and checks).
TEACHING_CHAPTERS = [p for p in CHAPTERS if "labs" not in p.relative_to(ROOT).parts]


def page(html_dir, name: str) -> BeautifulSoup:
    return BeautifulSoup((html_dir / f"{name}.html").read_text(), "html.parser")


def test_build_has_no_warnings(built_book):
    _, log = built_book
    warnings = [ln for ln in log.splitlines() if "WARNING" in ln or "ERROR" in ln]
    assert not warnings, "\n".join(warnings)


def test_every_toc_page_is_built(built_book):
    html, _ = built_book
    for name in toc_files():
        assert (html / f"{name}.html").exists(), f"{name} was not built"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_launch_buttons_point_at_the_notebook_on_main(built_book, config, path):
    html, _ = built_book
    name = path.relative_to(ROOT).with_suffix("").as_posix()
    soup = page(html, name)
    links = [a["href"] for a in soup.find_all("a", href=True)]
    owner_repo = config["repository"]["url"].removeprefix("https://github.com/")
    rel = path.relative_to(ROOT).as_posix()
    colab = [u for u in links if urlparse(u).netloc == "colab.research.google.com"]
    binder = [u for u in links if urlparse(u).netloc == "mybinder.org"]
    assert colab == [f"https://colab.research.google.com/github/{owner_repo}/blob/main/{rel}"], colab
    assert len(binder) == 1, binder
    assert binder[0].startswith(f"https://mybinder.org/v2/gh/{owner_repo}/main?"), binder[0]
    assert binder[0].endswith(rel), binder[0]
    assert (ROOT / rel).exists()
    assert soup.find(class_=re.compile("thebe")) or "thebe" in str(soup), "no live-code (Thebe) button"


@pytest.mark.parametrize("path", TEACHING_CHAPTERS, ids=lambda p: p.stem)
def test_chapter_has_math_and_figures(built_book, path):
    html, _ = built_book
    soup = page(html, path.relative_to(ROOT).with_suffix("").as_posix())
    assert soup.select("div.math, span.math"), "no typeset math on the page"
    images = soup.select("div.cell_output img")
    assert images, "no figure on the page"


# The home page's reading times: prose at 200 words a minute, code in view at 20 lines a minute, half a minute a
# figure, rounded to 5 minutes. A stated time may be one step (5 min) off the rule before it must be updated.
WORDS_PER_MINUTE, CODE_LINES_PER_MINUTE, MINUTES_PER_FIGURE = 200, 20, 0.5
HIDDEN = {"hide-input", "remove-input", "remove-cell", "hide-cell"}


def reading_minutes(path) -> int:
    nb = read_notebook(path)
    words = sum(len(cell.source.split()) for cell in nb.cells if cell.cell_type == "markdown")
    code = sum(
        len(cell.source.splitlines())
        for cell in nb.cells
        if cell.cell_type == "code" and not HIDDEN & set(cell.metadata.get("tags", []))
    )
    figures = sum("image/png" in o.get("data", {}) for cell in nb.cells for o in cell.get("outputs", []))
    minutes = words / WORDS_PER_MINUTE + code / CODE_LINES_PER_MINUTE + figures * MINUTES_PER_FIGURE
    return 5 * max(1, round(minutes / 5))


def test_home_page_reading_times_follow_the_chapters():
    intro = (ROOT / "book" / "intro.md").read_text()
    stated = {
        name: int(minutes)
        for name, minutes in re.findall(r"\{doc\}`([\w/]+)`[^\n]*?(\d+) min", intro)
        if (ROOT / "book" / f"{name}.ipynb").exists()
    }
    assert set(stated) == {p.relative_to(ROOT / "book").with_suffix("").as_posix() for p in CHAPTERS}, stated
    wrong = {
        name: (minutes, reading_minutes(ROOT / "book" / f"{name}.ipynb"))
        for name, minutes in stated.items()
        if abs(minutes - reading_minutes(ROOT / "book" / f"{name}.ipynb")) > 5
    }
    assert not wrong, f"reading times on the home page (stated, by the rule): {wrong}"


def test_home_page_starts_a_reader(built_book):
    html, _ = built_book
    soup = page(html, toc_files()[0])
    first = toc_files()[1]
    start = [a for a in soup.select("article a") if "Start with chapter 1" in a.get_text()]
    assert start and start[0]["href"].endswith(f"{first.rsplit('/', 1)[-1]}.html"), start
    assert soup.find("meta", attrs={"name": "description"}), "no meta description"
    assert soup.find("meta", attrs={"property": "og:title"}), "no Open Graph tags"


def test_citations_and_bibliographies_use_one_style(built_book):
    """Each citation in the text ("Nocedal and Wright, 2006") reads exactly as the label of the entry it links to,
    in every chapter's bibliography and the appendix's (book/_ext/bib_author_year.py), never "[NW06]"."""
    html, _ = built_book
    checked = 0
    for name in toc_files():
        soup = page(html, name)
        labels = {
            entry["id"]: " ".join(entry.select_one("span.label").get_text().split()).strip("[]")
            for entry in soup.select("div.citation[id]")
        }
        assert not [v for v in labels.values() if re.fullmatch(r"[A-Z][A-Za-z+]*\d\d[a-z]?", v)], labels
        for link in soup.select("span.bibtex-citation a.reference.internal[href^='#']"):
            target = link["href"][1:]
            if target in labels:
                cited = " ".join(link.get_text().split())
                if re.fullmatch(
                    r"\d{4}[a-z]?", cited
                ):  # {cite:t}: "Deisenroth et al. [2020]", the year linked
                    author = labels[target].rsplit(",", 1)[0]
                    assert labels[target].endswith(cited) and author in link.parent.get_text(), (name, cited)
                else:
                    assert cited == labels[target], (name, cited, labels[target])
                checked += 1
    assert checked >= 20, f"only {checked} citations found beside their bibliographies"


def test_bibliography_prints_titles_as_the_bib_writes_them(built_book):
    """LaTeX and pybtex read two ASCII quotes as a closing quote: Ridders' "F'(x)F''(x)" came out as "F'(x)F”(x)".
    No entry of the bibliography shows a curly quote that references.bib does not contain."""
    html, _ = built_book
    bib = (ROOT / "book" / "references.bib").read_text(encoding="utf-8")
    soup = page(html, next(name for name in toc_files() if name.endswith("references")))
    entries = [" ".join(entry.get_text().split()) for entry in soup.select("div.citation[id]")]
    assert len(entries) >= 20, f"only {len(entries)} entries in the appendix's bibliography"
    invented = [entry for entry in entries if any(q in entry and q not in bib for q in "“”‘’")]
    assert not invented, invented
    assert any("F′(x)F″(x)" in entry for entry in entries), "Ridders' title lost its primes"


def test_page_titles_name_the_book_once(built_book, config):
    """A tab or a bookmark reads "Chapter — Book"; the home page's reads the book's title, not it twice."""
    html, _ = built_book
    book = config["title"]
    titles = {name: page(html, name).title.get_text() for name in toc_files()}
    assert titles[toc_files()[0]] == book, titles[toc_files()[0]]
    assert all(t.count(book) == 1 for t in titles.values()), titles
    assert all(t.endswith(f" — {book}") for name, t in titles.items() if name != toc_files()[0]), titles
