"""book/_ext/light_pages.py's stylesheet bundles: one file per page's list of stylesheets, made again when one of
them changes, also where an incremental build leaves the page itself as the earlier build wrote it."""

from __future__ import annotations

import sys

from conftest import ROOT

sys.path.insert(0, str(ROOT / "book" / "_ext"))
import light_pages  # noqa: E402


def page_with(*sheets: str) -> str:
    links = "".join(f'<link rel="stylesheet" href="_static/{name}" />\n' for name in sheets)
    return f"<html><head>{links}</head><body>text</body></html>"


def linked_css(page, static) -> str:
    (link,) = light_pages.STYLESHEET.findall(page.read_text())
    return (static / link.split("_static/", 1)[1]).read_text()


def test_a_changed_stylesheet_reaches_a_page_an_incremental_build_did_not_rewrite(tmp_path):
    static = tmp_path / "_static"
    static.mkdir()
    (static / "theme.css").write_text("p{color:black}")
    (static / "site-fixes.css").write_text("p{margin:0}")
    page = tmp_path / "page.html"
    page.write_text(page_with("theme.css", "site-fixes.css"))

    light_pages.bundle_stylesheets(tmp_path, [page])  # the first build
    assert "p{margin:0}" in linked_css(page, static) and "p{color:black}" in linked_css(page, static)

    (static / "site-fixes.css").write_text("p{margin:1em}")  # a fix; the page itself is not rewritten
    light_pages.bundle_stylesheets(tmp_path, [page])  # the next, incremental, build
    assert "p{margin:1em}" in linked_css(page, static), "the page still links the earlier bundle"
    assert "p{margin:0}" not in linked_css(page, static)
