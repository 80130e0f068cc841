"""Quoting text a student controls in a report: shown as it is, never interpreted by what displays it.

A student chooses file and folder names, exception types and messages, and the first line of every cell, and
all of these reach the grader's reports. Each format gets its own quoting, applied to every string the report
prints (the grader's own words included: one rule, no list of "trusted" fields to keep up to date):

- :func:`visible`, the base of the others: control and format characters (``\\r``, ESC, NUL, bidirectional
  overrides, zero-width spaces, line separators) are shown as symbols (``␊``, ``␍``, ``␛``) or ``<U+202E>``,
  never passed on, so every quoted string stays on its line; the text is cut to a length;
- :func:`terminal`: :func:`visible` (an escape sequence loses its ESC, so ``\\x1b[2J`` prints as ``␛[2J``);
- :func:`markdown`: :func:`visible`, then every ASCII punctuation character backslash-escaped, which
  CommonMark allows for each of them (spec section 2.4), so no emphasis, link, code span, raw HTML, entity,
  GFM table pipe, autolink (``www.``, ``http:``, ``a@b.c``), GitHub math (``$``) or emoji (``:x:``) can start;
- :func:`csv_cell`: :func:`visible`, then a leading ``'`` before a cell that a spreadsheet would read as a
  formula (``=``, ``+``, ``-``, ``@``, OWASP's CSV-injection guidance; its tab and carriage return are already
  symbols), written with every text cell in double quotes (:data:`CSV_QUOTING`).

JSON needs none of this: it is data, and the JSON report carries the strings as they are.
"""

from __future__ import annotations

import csv
import string
import unicodedata

__all__ = ["CSV_QUOTING", "MAX_NAME", "MAX_TEXT", "csv_cell", "markdown", "terminal", "visible"]

MAX_TEXT = 500  # characters of a quoted message or hint (the labs' longest verdict is about 300)
MAX_NAME = 120  # characters of a quoted name: a file, a student, a cell's first line
CSV_QUOTING = csv.QUOTE_NONNUMERIC  # OWASP: every text cell in double quotes (numbers stay numbers)

_HIDDEN_CATEGORIES = {"Cc", "Cf", "Zl", "Zp", "Cs"}  # controls, format (bidi, zero-width), separators
_MARKDOWN_SPECIAL = str.maketrans({c: "\\" + c for c in string.punctuation})
_FORMULA_START = ("=", "+", "-", "@", "＝", "＋", "－", "＠")  # with their full-width forms


def _shown(char: str) -> str:
    code = ord(char)
    if code < 0x20:
        return chr(0x2400 + code)  # the Unicode "control pictures": ␀ ... ␍ ... ␛ ...
    if code == 0x7F:
        return "\u2421"  # ␡
    if unicodedata.category(char) in _HIDDEN_CATEGORIES:
        return f"<U+{code:04X}>"
    return char


def visible(text: object, limit: int = MAX_TEXT) -> str:
    """``text`` cut to ``limit`` characters (ending in "…" when cut), with every control character shown."""
    text = str(text)
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return "".join(c if c.isprintable() else _shown(c) for c in text)


def terminal(text: object, limit: int = MAX_TEXT) -> str:
    """``text`` for a terminal: nothing in it can move the cursor, change colours or end a line."""
    return visible(text, limit)


def markdown(text: object, limit: int = MAX_TEXT) -> str:
    """``text`` for CommonMark and GitHub Markdown, table cells included: it renders as exactly itself."""
    return visible(text, limit).translate(_MARKDOWN_SPECIAL)


def csv_cell(value: object, limit: int = MAX_TEXT) -> object:
    """A CSV cell: numbers as they are, text visible and never a formula (OWASP's CSV-injection guidance)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    text = visible(value, limit)
    return "'" + text if text.startswith(_FORMULA_START) else text
