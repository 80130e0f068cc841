"""Reading a submitted notebook: which lab it is, its checkpoint answers, its TODO lines, its cells' names.

Nothing here runs the notebook: it is read as data (nbformat), before and apart from the student's process.
Only regular files are read (a symlink, a FIFO, a device or a folder named ``*.ipynb`` is refused as what it
is), never more than :data:`MAX_NOTEBOOK_BYTES`, and the student's text is searched only with patterns that
cannot backtrack across lines (spaces and tabs after ``^``, never any whitespace: 100,000 empty lines would
take minutes).
"""

from __future__ import annotations

import os
import re
import stat
import warnings
from pathlib import Path
from typing import Any

from labcode.labs import LABS, Lab

__all__ = ["NotAFile", "identify_lab", "lab_named", "notebooks_in", "read_notebook"]

MAX_NOTEBOOK_BYTES = 20 * 2**20  # a lab notebook with its outputs is about 50 kB
MIN_ANSWER_WORDS = 3
ANSWER = re.compile(
    r"\*\*Your answer to checkpoint[ \t]+([\w.]{1,20}?)[ \t]*:\*\*(.*?)(?=\*\*Your answer to checkpoint|\Z)",
    re.S | re.I,
)
PLACEHOLDER = re.compile(r"_?\(?replace this line with your answer\.?\)?_?", re.I)
_FILE_KINDS = [
    (stat.S_ISLNK, "a symbolic link"),
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
]


class NotAFile(ValueError):
    """The path is not a regular file of at most MAX_NOTEBOOK_BYTES: it is refused before it is read."""


def _kind(mode: int) -> str:
    return next((name for test, name in _FILE_KINDS if test(mode)), "not a regular file")


def read_bytes(path: Path, limit: int = MAX_NOTEBOOK_BYTES) -> bytes:
    """The bytes of the regular file ``path`` (not followed if it is a symlink), or NotAFile saying why not.

    Opened without following a final symlink and without blocking (a FIFO would block ``open`` forever), and
    checked on the open descriptor, so what is read is what was checked.
    """
    try:
        mode = os.lstat(path).st_mode
    except OSError as exc:
        raise NotAFile(f"cannot be read ({exc.strerror or type(exc).__name__})") from None
    if not stat.S_ISREG(mode):
        raise NotAFile(f"it is {_kind(mode)}, not a regular file: only regular files are graded")
    flags = (
        os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    )
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise NotAFile(f"cannot be read ({exc.strerror or type(exc).__name__})") from None
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):  # swapped since the lstat
            raise NotAFile(f"it is {_kind(info.st_mode)}, not a regular file: only regular files are graded")
        if info.st_size > limit:
            raise NotAFile(
                f"it is {info.st_size / 2**20:.1f} MB, over the grader's limit of {limit / 2**20:g} MB"
            )
        data = handle.read(limit + 1)
    if len(data) > limit:  # it grew since the fstat
        raise NotAFile(f"it is over the grader's limit of {limit / 2**20:g} MB")
    return data


def read_notebook(path: Path) -> Any:
    """The notebook at ``path`` (nbformat, version 4); NotAFile or ValueError when it is not one."""
    import nbformat

    text = read_bytes(Path(path)).decode("utf-8")
    with warnings.catch_warnings():
        # nbformat warns about missing cell ids and the like: not the grader's business.
        warnings.simplefilter("ignore")
        nb = nbformat.reads(text, as_version=4)
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
    defined = set(re.findall(r"^[ \t]*(?:def|class)[ \t]+(\w+)", code_of(nb), re.M))
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
                r"^[ \t]*(?:>|#)|\*\*Your answer to checkpoint", match.group(2), maxsplit=1, flags=re.M | re.I
            )[0]
            words = re.findall(r"\w+", PLACEHOLDER.sub("", text))
            if match.group(1) in answered:  # only the lab's own questions: an id is not the student's to add
                answered[match.group(1)] = len(words) >= MIN_ANSWER_WORDS
    return answered


def missing_todos(nb: Any, lab: Lab) -> list[str]:
    code = code_of(nb)
    return [t.todo for t in lab.tasks if not re.search(rf"#[ \t]*{t.todo}\b", code)]


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
    """Every entry named ``*.ipynb`` under ``folder``, whatever it is, sorted; symlinks are not followed.

    Not only regular files: a symlink, a FIFO or a folder named ``*.ipynb`` is listed too, and so is a
    symlink to a folder, whatever its name (a student's folder can be one), so that the grader reports each
    as what it is (:func:`read_bytes` refuses it) instead of passing it over in silence.
    """
    found = []
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if d != ".ipynb_checkpoints")
        for name in filenames + dirnames:
            path = Path(dirpath) / name
            if name.endswith(".ipynb") or (name in dirnames and path.is_symlink()):
                found.append(path)
        dirnames[:] = [d for d in dirnames if not d.endswith(".ipynb")]
    return sorted(found)
