"""Drop the CSS rules no page of the site can match, so the one stylesheet every page waits for is small.

pydata-sphinx-theme ships all of Bootstrap 5 and every Font Awesome icon, sphinx-design all its grids and colours,
myst-nb its widget styles: 500 kB of CSS (77 kB compressed) of which the book uses a third, and the browser paints
nothing until it has fetched and parsed all of it. A selector is kept unless it names a class or an id that appears
nowhere in the site's pages and scripts, as a word of any kind (the scripts add classes such as ``show`` or
``dark`` at run time; a word in a script's string counts as used). That is PurgeCSS's rule, on a real CSS parser
(tinycss2), and it errs towards keeping: a class inside ``:not()``, ``:is()``, ``:where()`` or ``:has()`` never
removes its selector, and at-rules other than ``@media``, ``@supports``, ``@layer`` and ``@container`` are kept
whole (``@font-face``, ``@keyframes``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import tinycss2

WORD = re.compile(r"[\w-]+")
# A functional pseudo-class with its argument (one level of nested parentheses, as in :not(:nth-child(2n))).
FUNCTIONAL = re.compile(r":(?:not|is|where|has)\((?:[^()]|\([^()]*\))*\)")
CLASS_OR_ID = re.compile(r"[.#](-?[_a-zA-Z][\w-]*)")
GROUPING = {"media", "supports", "layer", "container"}


def words_in(paths: Iterable[Path]) -> set[str]:
    """Every word (letters, digits, ``_`` and ``-``) of the given pages and scripts."""
    words: set[str] = set()
    for path in paths:
        words.update(WORD.findall(path.read_text(encoding="utf-8", errors="replace")))
    return words


def _selectors(prelude: list) -> list[str]:
    """A rule's selector list, split at its top-level commas."""
    parts: list[list] = [[]]
    for token in prelude:
        if token.type == "literal" and token.value == ",":
            parts.append([])
        else:
            parts[-1].append(token)
    return [tinycss2.serialize(part).strip() for part in parts]


def _may_match(selector: str, used: set[str]) -> bool:
    return all(name in used for name in CLASS_OR_ID.findall(FUNCTIONAL.sub("", selector)))


def _rewritten(rules: list, rewrite: Callable[[Any], str | None]) -> str:
    """``rules`` with each qualified rule replaced by ``rewrite(rule)`` (None drops it), inside ``@media``,
    ``@supports``, ``@layer`` and ``@container`` too; grouping at-rules left empty and comments go, other at-rules
    stay whole."""
    kept = []
    for rule in rules:
        if rule.type == "qualified-rule":
            text = rewrite(rule)
            if text:
                kept.append(text)
        elif rule.type == "at-rule" and rule.lower_at_keyword in GROUPING and rule.content is not None:
            inner = _rewritten(tinycss2.parse_rule_list(rule.content), rewrite)
            if inner:
                kept.append(f"@{rule.at_keyword}{tinycss2.serialize(rule.prelude)}{{{inner}}}")
        elif rule.type not in ("whitespace", "comment"):
            kept.append(rule.serialize())
    return "\n".join(kept)


def drop_unused_rules(css: str, used: set[str]) -> str:
    """``css`` without the selectors that name a class or id not in ``used``, and without the rules and grouping
    at-rules left empty; comments go too."""

    def kept_selectors(rule: Any) -> str | None:
        selectors = [s for s in _selectors(rule.prelude) if _may_match(s, used)]
        return f"{','.join(selectors)}{{{tinycss2.serialize(rule.content).strip()}}}" if selectors else None

    return _rewritten(tinycss2.parse_stylesheet(css), kept_selectors)


CUSTOM_PROPERTY = re.compile(r"(?<![\w-])(--[\w-]+)\s*:")
VAR = re.compile(r"var\(\s*(--[\w-]+)")


def without_declarations(css: str, names: set[str]) -> str:
    """``css`` without its declarations of the properties ``names`` (and the rules left empty); comments go too.
    A rule holding anything but declarations (nested rules) is kept as it is."""

    def kept_declarations(rule: Any) -> str | None:
        items = tinycss2.parse_declaration_list(rule.content)
        if any(item.type not in ("declaration", "whitespace", "comment") for item in items):
            return rule.serialize()
        declarations = [d.serialize() for d in items if d.type == "declaration" and d.name not in names]
        return f"{tinycss2.serialize(rule.prelude).strip()}{{{';'.join(declarations)}}}" if declarations else None

    return _rewritten(tinycss2.parse_stylesheet(css), kept_declarations)


def unused_custom_properties(css: str, used: set[str]) -> set[str]:
    """The custom properties (``--name: value``) ``css`` declares that no ``var()`` reads and no script names
    (PurgeCSS's ``variables`` option): Bootstrap and the theme declare hundreds, for every colour and component, and
    the pages read a few. A property read only by another unused one is unused too."""
    dropped: set[str] = set()
    while True:
        declared = set(CUSTOM_PROPERTY.findall(css))
        read = set(VAR.findall(css))
        unread = {name for name in declared if name not in read and name not in used}
        if not unread:
            return dropped
        dropped |= unread
        css = without_declarations(css, unread)
