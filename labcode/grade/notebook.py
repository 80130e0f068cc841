"""Reading a submitted notebook: which lab it is, its checkpoint answers, its TODO lines, its cells' names.

Nothing here runs the notebook: it is read as data (nbformat), before and apart from the student's process.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path
from typing import Any

from labcode.labs import LABS, Lab

__all__ = ["identify_lab", "lab_named", "read_notebook"]

MIN_ANSWER_WORDS = 3
ANSWER = re.compile(
    r"\*\*Your answer to checkpoint\s+([\w.]+?)\s*:\*\*(.*?)(?=\*\*Your answer to checkpoint|\Z)", re.S | re.I
)
PLACEHOLDER = re.compile(r"_?\(?replace this line with your answer\.?\)?_?", re.I)


def read_notebook(path: Path) -> Any:
    import nbformat

    with warnings.catch_warnings():
        # nbformat warns about missing cell ids and the like: not the grader's business.
        warnings.simplefilter("ignore")
        nb = nbformat.read(path, as_version=4)
    if not isinstance(nb.get("cells"), list):
        raise ValueError("it has no list of cells")
    return nb


def code_of(nb: Any) -> str:
    return "\n".join(c.get("source", "") for c in nb.cells if c.get("cell_type") == "code")


def identify_lab(nb: Any) -> tuple[Lab | None, str]:
    """Which lab a notebook is, and how that was decided (see the docstring of labcode.grade, step 2)."""
    for where, meta in [("notebook metadata", nb.get("metadata", {}))] + [
        ("cell metadata", c.get("metadata", {})) for c in nb.get("cells", [])
    ]:
        entry = meta.get("labcode") if isinstance(meta, dict) else None
        key = entry.get("lab") if isinstance(entry, dict) else None
        if key in LABS:
            return LABS[key], where
    defined = set(re.findall(r"^\s*(?:def|class)\s+(\w+)", code_of(nb), re.M))
    scores = {key: len(defined & {n for t in lab.tasks for n in t.functions}) for key, lab in LABS.items()}
    best = max(scores, key=lambda k: scores[k])
    if scores[best] >= 2 and list(scores.values()).count(scores[best]) == 1:
        return LABS[best], "the functions it defines"
    return None, ""


def checkpoints(nb: Any, lab: Lab) -> dict[str, bool]:
    """Each checkpoint question of the lab -> whether its answer cell holds an answer."""
    answered = dict.fromkeys(lab.checkpoints, False)
    for c in nb.cells:
        if c.get("cell_type") != "markdown":
            continue
        for match in ANSWER.finditer(c.get("source", "")):
            # The answer ends where the next question, heading or answer begins (if a cell holds several).
            text = re.split(
                r"^\s*(?:>|#)|\*\*Your answer to checkpoint", match.group(2), maxsplit=1, flags=re.M | re.I
            )[0]
            words = re.findall(r"\w+", PLACEHOLDER.sub("", text))
            answered[match.group(1)] = len(words) >= MIN_ANSWER_WORDS
    return answered


def missing_todos(nb: Any, lab: Lab) -> list[str]:
    code = code_of(nb)
    return [t.todo for t in lab.tasks if not re.search(rf"#\s*{t.todo}\b", code)]


def cell_name(nb: Any, index: int) -> str:
    """'cell 12 ("def numerical_gradient(f, w, eps=1e-5):")': how a report points at a cell."""
    first = next((ln.strip() for ln in nb.cells[index].source.splitlines() if ln.strip()), "")
    first = first if len(first) <= 60 else first[:57] + "..."
    return f'cell {index + 1} ("{first}")'


def student_id(path: Path, folder: Path | None) -> str:
    """The file's stem, or, for a notebook inside a student's folder, that folder's name."""
    if folder is not None:
        parts = path.relative_to(folder).parts
        if len(parts) > 1:
            return parts[0]
    return path.stem


def lab_named(name: str) -> Lab:
    aliases = {
        "lab1": "gradients",
        "lab2": "autodiff",
        "lab1_gradients": "gradients",
        "lab2_autodiff": "autodiff",
    }
    key = aliases.get(name, name)
    if key not in LABS:
        raise ValueError(f"unknown lab {name!r}; choose one of {', '.join(LABS)} (or lab1, lab2)")
    return LABS[key]


def notebooks_in(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
