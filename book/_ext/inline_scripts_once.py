"""Write each script a page loads once.

Sphinx 7.4 adds every inline script an extension registers twice (fixed in Sphinx 8.2,
sphinx-doc/sphinx#13402; Jupyter Book 1 needs Sphinx 7). sphinx-thebe's inline script declares
``const THEBE_JS_URL``, so its second copy is a SyntaxError in every reader's console.
"""

from __future__ import annotations

from typing import Any


def _drop_repeated_scripts(app: Any, pagename: str, templatename: str, context: dict, doctree: Any) -> None:
    seen: set[tuple[str, str, tuple]] = set()
    kept = []
    for script in context.get("script_files", []):
        body = script.attributes.get("body", "")
        key = (
            script.filename or "",
            body,
            tuple(sorted((k, v) for k, v in script.attributes.items() if k != "body")),
        )
        if key not in seen:
            seen.add(key)
            kept.append(script)
    context["script_files"] = kept


def setup(app: Any) -> dict[str, Any]:
    app.connect("html-page-context", _drop_repeated_scripts, priority=999)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
