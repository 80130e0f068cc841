"""The printed book (`make pdf`): printed from the session's strict build with the same command line, then read
back with real tools (poppler's pdfinfo, pdftotext and pdfimages, pypdf for the outline and page labels), as a
student who prints it would find it: a title page, a table of contents whose page numbers are right, bookmarks of
parts, chapters and sections, page numbers, no interface text, no blank page, figures whole, nothing wider than
the column, solutions at the end of each chapter."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import nbformat
import pytest
from bs4 import BeautifulSoup
from conftest import ROOT, load_yaml
from site_helpers import toc_pages

PRINTER = ROOT / "book" / "_tools" / "print_pdf.py"
POPPLER = ("pdfinfo", "pdftotext", "pdfimages")
MARGIN_PT = 17 / 25.4 * 72  # print_pdf.css's left and right page margins
MAX_MB = 10  # the site's figures are 2x PNGs, about 4 MB; the whole printout was 18.9 MB before it was a book
# What only a screen shows, as the line it would print as (the home page's prose may name a toggle in quotes); the
# bootstrap cell's own lines are read from the notebooks below.
INTERFACE = re.compile(
    r"^\s*((Show|Hide) code cell \w+|Toggle hidden content|Start with chapter \d+ →|Copy to clipboard)\s*$",
    re.M,
)


@dataclass
class Printed:
    path: Path
    info: dict[str, str]
    pages: list[str]  # pdftotext -layout of every page
    log: str


def poppler(*args: str) -> str:
    return subprocess.run(args, capture_output=True, text=True, check=True).stdout


def words(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def printed(built_book, tmp_path_factory) -> Printed:
    missing = [tool for tool in POPPLER if shutil.which(tool) is None]
    if missing:
        pytest.fail(f"{missing} not found: apt-get install poppler-utils", pytrace=False)
    html_dir, _ = built_book
    pdf = tmp_path_factory.mktemp("pdf") / "calculus-for-ml.pdf"
    proc = subprocess.run(
        [sys.executable, str(PRINTER), str(html_dir), str(pdf)], capture_output=True, text=True, cwd=ROOT
    )
    assert proc.returncode == 0 and pdf.is_file(), proc.stdout + proc.stderr
    info = dict(line.split(":", 1) for line in poppler("pdfinfo", str(pdf)).splitlines() if ":" in line)
    text = poppler("pdftotext", "-layout", str(pdf), "-")
    pages = text.split("\f")[: int(info["Pages"])]
    print(proc.stdout)
    return Printed(pdf, {k: v.strip() for k, v in info.items()}, pages, proc.stdout + proc.stderr)


def chapters(html_dir: Path) -> list[str]:
    """The title (h1) of every page of the book, in reading order, as pdftotext would read it."""
    titles = []
    for page in toc_pages():
        h1 = BeautifulSoup((html_dir / page).read_text(encoding="utf-8"), "html.parser").select_one(
            "article h1"
        )
        for junk in h1.select(".headerlink, annotation"):
            junk.decompose()
        titles.append(words(h1.get_text(" ")))
    return titles


def test_a4_pages_and_a_size_a_student_can_download(printed):
    assert printed.info["Page size"].startswith("594.96 x 841.92"), printed.info["Page size"]
    assert int(printed.info["Pages"]) > 100
    size = printed.path.stat().st_size / 1e6
    assert size < MAX_MB, f"{size:.1f} MB"


def test_title_page_then_contents_whose_page_numbers_are_right(printed, built_book):
    html_dir, _ = built_book
    title = load_yaml("_config.yml")["title"]
    assert words(printed.pages[0]).startswith(title), printed.pages[0][:300]
    assert not re.search(r"^\s*\d+\s*$", printed.pages[0], re.M), "the title page carries a page number"
    # dated by its text (the last commit), not by the day it was printed: the same commit prints the same book
    commit_date = subprocess.run(
        ["git", "-C", str(ROOT), "log", "-1", "--format=%cs"], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert f"Edition of {commit_date}" in words(printed.pages[0]), printed.pages[0][:300]
    assert words(printed.pages[1]).removeprefix(title).split()[0] == "Contents", printed.pages[1][:300]
    # the contents run from page 1 to the page before the first entry's (the home page's) number
    first = int(
        re.search(
            r"(\d+)\s*$", next(ln for ln in printed.pages[1].splitlines() if re.search(r"\d\s*$", ln))
        ).group(1)
    )
    contents = "\n".join(printed.pages[1:first])
    lines = {words(line) for line in contents.splitlines()}
    for chapter in chapters(html_dir):
        # a contents line is the title, a leader and the number printed in the page's footer
        entry = next((line for line in lines if line.startswith(chapter) and re.search(r"\d+$", line)), None)
        assert entry, f"{chapter!r} is not in the contents:\n{contents[:3000]}"
        number = int(entry.rsplit(" ", 1)[1])
        page = printed.pages[number]  # pages[0] is the title page, so printed number n is pages[n]
        assert chapter in words(page), (
            f"the contents say {chapter!r} is on page {number}, which reads:\n{page[:500]}"
        )


def test_every_page_after_the_title_is_numbered_and_labelled_as_printed(printed):
    from pypdf import PdfReader

    labels = PdfReader(printed.path).page_labels
    assert labels[0] == "Title" and labels[1:] == [str(n) for n in range(1, len(labels))], labels[:5]
    unnumbered = [
        n
        for n, page in enumerate(printed.pages[1:], 1)
        if [ln.strip() for ln in page.splitlines() if ln.strip()][-1] != str(n)
    ]
    assert not unnumbered, f"pages without their number at the foot: {unnumbered[:20]}"


def test_bookmarks_nest_parts_chapters_and_sections(printed, built_book):
    from pypdf import PdfReader

    html_dir, _ = built_book
    reader = PdfReader(printed.path)
    outline = reader.outline
    tops = [item.title for item in outline if not isinstance(item, list)]
    parts = [part["caption"] for part in load_yaml("_toc.yml")["parts"]]
    assert [t for t in tops if t in parts] == parts, tops
    titles = chapters(html_dir)
    sections = 0
    for position, item in enumerate(outline):
        if isinstance(item, list) or item.title not in parts:
            continue
        children = outline[position + 1]
        assert isinstance(children, list), f"part {item.title!r} has no chapters"
        for chapter in children:
            if isinstance(chapter, list):
                sections += len([s for s in chapter if not isinstance(s, list)])
                continue
            assert chapter.title in titles, f"{chapter.title!r} under {item.title!r} is not a chapter"
            page = printed.pages[reader.get_destination_page_number(chapter)]
            assert chapter.title in words(page), (
                f"bookmark {chapter.title!r} opens a page that reads {page[:300]}"
            )
    assert sections > 100, f"only {sections} sections under the chapters"


def test_no_interface_text_nor_the_bootstrap_cell(printed):
    bootstrap = {
        words(line)
        for path in sorted((ROOT / "book").rglob("*.ipynb"))
        for cell in nbformat.read(path, as_version=4).cells[:3]
        if cell.cell_type == "code" and "labcode" in cell.source and "find_spec" in cell.source
        for line in cell.source.splitlines()
        if len(line.strip()) > 25
    }
    assert bootstrap, "no bootstrap cell found in the notebooks: has its text changed?"
    found = [
        f"page {n}: {line.group(0).strip()!r}"
        for n, p in enumerate(printed.pages)
        for line in INTERFACE.finditer(p)
    ]
    found += [
        f"page {n}: {line!r}" for n, p in enumerate(printed.pages) for line in bootstrap if line in words(p)
    ]
    assert not found, "\n".join(found[:30])


def test_no_blank_page(printed):
    with_images = {
        int(line.split()[0]) - 1 for line in poppler("pdfimages", "-list", str(printed.path)).splitlines()[2:]
    }
    blank = [
        n
        for n, page in enumerate(printed.pages)
        if n not in with_images and len(words(page).replace("Calculus for Machine Learning", "").split()) < 4
    ]
    assert not blank, f"blank pages (counted from 0): {blank}"


def test_every_figure_whole_on_one_page_with_its_caption(printed, built_book):
    html_dir, _ = built_book
    listed = [line.split() for line in poppler("pdfimages", "-list", str(printed.path)).splitlines()[2:]]
    figures = [(int(row[0]) - 1, int(row[10])) for row in listed if row[2] == "image"]
    pages_of = {}
    for page, image in figures:
        pages_of.setdefault(image, set()).add(page)
    split = {image: pages for image, pages in pages_of.items() if len(pages) > 1}
    assert not split, f"figures drawn on more than one page (image object: pages): {split}"
    in_book = sum(
        len(BeautifulSoup((html_dir / p).read_text(encoding="utf-8"), "html.parser").select("article img"))
        for p in toc_pages()
    )
    assert len(pages_of) == in_book, f"{len(pages_of)} figures in the PDF, {in_book} in the book"
    image_pages = {page for page, _ in figures}
    text = [words(page) for page in printed.pages]
    captions = [
        " ".join(words(caption.get_text(" ")).split()[:8])
        for p in toc_pages()
        for caption in BeautifulSoup((html_dir / p).read_text(encoding="utf-8"), "html.parser").select(
            "article figcaption"
        )
    ]
    assert captions, "no figure caption found"
    apart = [c for c in captions if not any(c in text[n] for n in image_pages)]
    assert not apart, f"captions not on a page with a figure: {apart}"


def test_nothing_printed_outside_the_column(printed):
    """Display math too wide for the column is scaled to fit, code wraps: no word reaches into the margins (a cut
    formula, like chapter 11's Adam defaults once were, would)."""
    assert "still wider than the column" not in printed.log
    bbox = poppler("pdftotext", "-bbox", str(printed.path), "-")
    outside = []
    for number, page in enumerate(re.split(r"<page ", bbox)[1:]):
        width = float(re.match(r'width="([\d.]+)"', page).group(1))
        for x_min, x_max, word in re.findall(
            r'<word xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)"[^>]*>([^<]*)<', page
        ):
            if float(x_max) > width - MARGIN_PT + 2 or (number and float(x_min) < MARGIN_PT - 2):
                outside.append(
                    f"page {number}: {word!r} at x {float(x_min):.0f}-{float(x_max):.0f} of {width:.0f}"
                )
    assert not outside, "\n".join(outside[:30])


def test_wrapped_code_lines_carry_a_continuation_mark(printed):
    marks = sum(page.count("↪") for page in printed.pages)
    continued = int(re.search(r"(\d+) code lines continued", printed.log).group(1))
    assert continued > 0 and marks >= continued * 0.9, (marks, continued)


def test_solutions_are_collected_at_each_chapters_end_with_page_references(printed, built_book):
    html_dir, _ = built_book
    hidden = sum(
        len(
            BeautifulSoup((html_dir / p).read_text(encoding="utf-8"), "html.parser").select(
                "article div.dropdown"
            )
        )
        for p in toc_pages()
    )
    text = [words(page) for page in printed.pages]
    references = [
        (n, what, int(target))
        for n, page in enumerate(text)
        for what, target in re.findall(r"(Solution to Exercise \d+\.\d+|Answer): page (\d+)", page)
    ]
    assert {what for _, what, _ in references} > {"Answer"}, "no solution or answer reference found"
    assert len(references) == hidden, f"{len(references)} references in place of {hidden} hidden answers"
    for n, what, target in references:
        assert target > n, f"page {n} sends {what} back to page {target}"
        assert f"{what} (from page {n})" in text[target], (
            f"{what} is not on page {target}: {text[target][:400]}"
        )
    assert sum(page.count("(from page") for page in text) == hidden


def test_links_inside_the_book_stay_inside_it(printed):
    """Cross-references jump to a page of the PDF; no link points at the server the book was printed from."""
    from pypdf import PdfReader

    reader = PdfReader(printed.path)
    internal, local = 0, []
    for page in reader.pages:
        for annotation in page.get("/Annots", []) or []:
            annotation = annotation.get_object()
            uri = str((annotation.get("/A") or {}).get("/URI", ""))
            internal += "/Dest" in annotation
            if urlsplit(uri).hostname in ("book.print", "127.0.0.1", "localhost") or uri.startswith("file:"):
                local.append(uri)
    assert internal > 500, f"only {internal} internal links"
    assert not local, local[:10]
