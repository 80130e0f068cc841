"""Search results quote math as plain text, once.

Sphinx's search index (searchindex.js) holds each page's words from the doctree, where an equation is its TeX source,
once. The quote under each result is cut from the page's HTML text (searchtools.js, ``Search.htmlToText``), where
an equation is MathML, whose bare text runs its parts together ("h22f′′(x)" for h²/2 f″(x)). math_search.js, added
to the search page only, gives Sphinx each page's text with every equation as one plain-text line of its MathML.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sphinx.util.fileutil import copy_asset_file

SCRIPT = Path(__file__).with_name("math_search.js")


def _add_to_search_page(app: Any, pagename: str, templatename: str, context: dict, doctree: Any) -> None:
    if pagename == "search":  # Sphinx adds a file during html-page-context to this page only
        app.add_js_file(SCRIPT.name)


def _copy_script(app: Any, exception: Exception | None) -> None:
    if exception is None and app.builder.format == "html":
        copy_asset_file(str(SCRIPT), str(Path(app.outdir) / "_static"))


def setup(app: Any) -> dict[str, Any]:
    app.connect("html-page-context", _add_to_search_page)
    app.connect("build-finished", _copy_script)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
