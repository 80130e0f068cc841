"""Links in the built site: every internal link and anchor resolves; external links are listed, not fetched; each
chapter's Colab and Binder buttons open a notebook that is in the repository on the configured branch."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from bs4 import BeautifulSoup
from conftest import ROOT, load_yaml
from site_helpers import (
    LINK_REPORT,
    PRINTED_BOOK,
    check_links,
    git_tracked,
    slug,
    toc_chapter_pages,
    write_link_report,
)

CHAPTERS = toc_chapter_pages()


def test_no_broken_internal_link_or_anchor(built_book, capsys):
    html_dir, _ = built_book
    links = check_links(html_dir)
    report = write_link_report(links)
    with capsys.disabled():
        print(
            f"\n{links.checked} internal links resolved; {len(links.external)} external links listed in {report}"
        )
    broken = links.broken
    assert links.checked > 0, "no internal link found: is the site built?"
    assert not broken, f"{len(broken)} broken internal links:\n" + "\n".join(broken)
    assert LINK_REPORT.read_text().count("\n    on ") == len(links.external)


def test_link_check_catches_a_missing_page_and_anchor(tmp_path):
    (tmp_path / "a.html").write_text(
        '<p id="here"><a href="b.html">b</a> <a href="a.html#here">ok</a> <a href="#gone">x</a>'
        ' <a href="https://example.org/">ext</a> <img src="_images/none.png"></p>'
    )
    links = check_links(tmp_path)
    assert sorted(b.split(" (")[0] for b in links.broken) == [
        "a.html: #gone",
        "a.html: _images/none.png",
        "a.html: b.html",
    ]
    assert set(links.external) == {"https://example.org/"}


def launch_links(html: str) -> tuple[list[str], list[str]]:
    hrefs = [a["href"] for a in BeautifulSoup(html, "html.parser").find_all("a", href=True)]
    colab = [h for h in hrefs if urlsplit(h).hostname == "colab.research.google.com"]
    binder = [h for h in hrefs if urlsplit(h).hostname == "mybinder.org"]
    return colab, binder


@pytest.mark.parametrize("chapter", CHAPTERS, ids=[slug(c) for c in CHAPTERS])
def test_launch_links_open_a_notebook_on_the_branch(built_book, config, chapter):
    html_dir, _ = built_book
    owner_repo = config["repository"]["url"].removeprefix("https://github.com/")
    branch = config["repository"]["branch"]
    notebook = chapter.removesuffix(".html") + ".ipynb"
    colab, binder = launch_links((html_dir / chapter).read_text(encoding="utf-8"))
    assert len(colab) == 1 and len(binder) == 1, f"expected one Colab and one Binder link: {colab} {binder}"

    # https://colab.research.google.com/github/OWNER/REPO/blob/BRANCH/PATH
    match = re.fullmatch(r"/github/([^/]+/[^/]+)/blob/([^/]+)/(.+)", urlsplit(colab[0]).path)
    assert match, colab[0]
    assert match.groups() == (owner_repo, branch, notebook), colab[0]

    # https://mybinder.org/v2/gh/OWNER/REPO/BRANCH?urlpath=tree/PATH
    parts = urlsplit(binder[0])
    match = re.fullmatch(r"/v2/gh/([^/]+/[^/]+)/([^/]+)", parts.path)
    assert match, binder[0]
    assert match.groups() == (owner_repo, branch), binder[0]
    urlpath = unquote(parse_qs(parts.query)["urlpath"][0])
    assert re.fullmatch(r"(tree|lab/tree|notebooks)/(.+)", urlpath).group(2) == notebook, binder[0]

    assert (ROOT / notebook).is_file(), f"{notebook} does not exist"
    assert git_tracked(notebook), (
        f"{notebook} is not tracked by git, so github.com/{owner_repo}/blob/{branch}/{notebook}, which Colab and "
        "Binder open, will not exist: git add it"
    )


def test_the_pdf_link_is_relative_and_make_pdf_and_pages_put_the_pdf_there(built_book):
    """The home page links to the PDF relatively (a fork or a local build serves it from its own root), and both
    `make pdf` and the Pages workflow print the book to exactly that file of the built site."""
    html_dir, _ = built_book
    home = BeautifulSoup((html_dir / "book" / "intro.html").read_text(encoding="utf-8"), "html.parser")
    pdf_links = [a["href"] for a in home.find_all("a", href=True) if a["href"].endswith(".pdf")]
    assert pdf_links and not [h for h in pdf_links if urlsplit(h).netloc], pdf_links
    assert {(html_dir / "book" / h).resolve() for h in pdf_links} == {(html_dir / PRINTED_BOOK).resolve()}
    makefile = (ROOT / "Makefile").read_text()
    assert f"print_pdf.py _build/html _build/html/{PRINTED_BOOK}" in makefile
    pages = " ".join(
        step.get("run", "") for step in load_yaml(".github/workflows/pages.yml")["jobs"]["build"]["steps"]
    )
    assert f"print_pdf.py _build/html _build/html/{PRINTED_BOOK}" in pages
