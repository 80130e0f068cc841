"""Planted bugs: wrong sources for a student's functions, and what the check must say about them.

A bug is source code, as a student would type it into a TODO cell: usually the reference solution with
one edit (:func:`mutate`), sometimes a function written from scratch. :func:`namespace` runs the whole
reference solution and then the wrong sources, the way a notebook runs its cells top to bottom, so a
wrong helper is seen by everything that calls it.
"""

from __future__ import annotations

import inspect
import math
import re
import textwrap
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Bug:
    """A wrong answer to ``task``: ``sources`` maps the student's names to their wrong source code.

    The check must give ``status`` (and gradcheck ``kind``, when given), with every string of
    ``message`` in the verdict's message and every string of ``hint`` in its hint (case-insensitive).
    """

    name: str
    task: str
    sources: dict[str, str]
    status: str
    message: list[str] = field(default_factory=list)
    hint: list[str] = field(default_factory=list)
    kind: str | None = None


def mutate(obj: Any, old: str, new: str, *, count: int = 1) -> str:
    """The source of ``obj`` (a reference function or class) with its ``count`` occurrences of ``old``
    replaced by ``new`` (raises if ``old`` does not occur exactly ``count`` times)."""
    source = textwrap.dedent(inspect.getsource(obj))
    if source.count(old) != count:
        raise ValueError(f"{old!r} occurs {source.count(old)} times in {obj.__name__}, expected {count}")
    return source.replace(old, new)


def solution_sources(module: ModuleType) -> dict[str, str]:
    """Each name a lab task asks for -> its reference source (what fills a TODO cell)."""
    return {
        name: textwrap.dedent(inspect.getsource(obj))
        for name, obj in vars(module).items()
        if (inspect.isfunction(obj) or inspect.isclass(obj)) and obj.__module__ == module.__name__
    }


def namespace(module: ModuleType, sources: dict[str, str] | None = None) -> dict[str, Any]:
    """Run the reference ``module``'s source, then ``sources``, in one fresh namespace (like a notebook)."""
    names: dict[str, Any] = {"__name__": "planted", "np": np, "math": math}
    exec(compile(inspect.getsource(module), module.__file__ or module.__name__, "exec"), names)
    for name, source in (sources or {}).items():
        exec(compile(source, f"<planted {name}>", "exec"), names)
    return names


def fill_notebook(nb: Any, sources: dict[str, str]) -> Any:
    """Fill the TODO cells of a lab notebook (nbformat) with ``sources``, as a student would, in place.

    A code cell that defines any of the names gets its leading ``# ...`` comment lines (the TODO line the
    grader looks for) followed by the sources of the names it defines, in its order. Returns ``nb``.
    """
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        names = re.findall(r"^(?:def|class)\s+(\w+)", cell.source, re.M)
        if not any(name in sources for name in names):
            continue
        head = []
        for line in cell.source.splitlines():
            if not line.startswith("#"):
                break
            head.append(line)
        body = "\n\n\n".join(sources[name].strip() for name in names if name in sources)
        cell.source = "\n".join(head + [body])
    return nb
