"""One citation style in the text and in the lists: the text cites author-year ("Nocedal and Wright, 2006":
``bibtex_reference_style: author_year``), so each bibliography entry is labelled the same way, not with pybtex's
default alpha labels ("[NW06]"), and the lists are sorted by author, year and title.

``bibtex_default_style: author_year_labels`` in _config.yml selects the style registered here.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

from pybtex.plugin import find_plugin, register_plugin
from pybtex.richtext import Text
from pybtex.style.formatting.unsrt import Style as UnsrtStyle
from pybtex.style.labels import BaseLabelStyle

NAME = "author_year_labels"


# pybtex's plain-text backend, looked up once: Text.render_as("text") looks it up on every call, through every
# installed package's entry points (353 calls were 6 s of a 45 s profiled build).
TEXT = find_plugin("pybtex.backends", "text")()


def _plain(latex: str) -> str:
    return Text.from_latex(latex).render(TEXT)


def _surname(person: Any) -> str:
    return _plain(" ".join(person.prelast_names + person.last_names))


class AuthorYearLabelStyle(BaseLabelStyle):
    """'Ridders, 1982', 'Nocedal and Wright, 2006', 'Goodfellow et al., 2016'; 2006a, 2006b where two would agree."""

    def format_labels(self, sorted_entries: list[Any]) -> Iterator[str]:
        labels = [self.format_label(entry) for entry in sorted_entries]
        count, seen = Counter(labels), Counter()
        for label in labels:
            if count[label] == 1:
                yield label
            else:
                yield label + chr(ord("a") + seen[label])
                seen[label] += 1

    def format_label(self, entry: Any) -> str:
        people = entry.persons.get("author") or entry.persons.get("editor") or []
        names = [_surname(p) for p in people]
        if not names:
            who = _plain(entry.fields.get("organization") or entry.fields.get("title", ""))
        elif len(names) == 1:
            who = names[0]
        elif len(names) == 2:
            who = f"{names[0]} and {names[1]}"
        else:
            who = f"{names[0]} et al."
        return f"{who}, {entry.fields.get('year', 'n.d.')}"


class AuthorYearStyle(UnsrtStyle):
    default_label_style = NAME
    default_sorting_style = "author_year_title"


def setup(app: Any) -> dict[str, Any]:
    register_plugin("pybtex.style.labels", NAME, AuthorYearLabelStyle)
    register_plugin("pybtex.style.formatting", NAME, AuthorYearStyle)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
