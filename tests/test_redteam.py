"""The red team: cheating notebooks (tests/redteam/cheats.py) get no points, and nothing outside the sandbox changes.

Every cheat is a lab starter plus cells that try one technique. They are graded once, as one folder with
``jobs=2`` (about a minute), next to an honest answer key (which must still get full marks beside them). Each
must be graded exactly like the untouched starter, or with the cheat named; the repository, the folder of
submissions, the grader's home and a listening socket on the grader's loopback must be untouched.
"""

from __future__ import annotations

import hashlib
import os
import socket
import threading
from pathlib import Path

import nbformat
import pytest
from conftest import ROOT
from lab_solutions import lab1_gradients
from lab_solutions._planted import fill_notebook, solution_sources
from redteam.cheats import CHEATS

from labcode.grade import grade_folder

STARTERS = {
    "gradients": ROOT / "book/labs/lab1_gradients.ipynb",
    "autodiff": ROOT / "book/labs/lab2_autodiff.ipynb",
}
TIMEOUT = 6  # seconds per cell and per task: the sleeper is killed after this plus the grace


def fill_in(source: str, fill: dict) -> str:
    for key, value in fill.items():
        source = source.replace("{" + key + "}", str(value))
    return source


def read_or_none(path: str) -> bytes | None:
    return Path(path).read_bytes() if os.path.exists(path) else None


def slug(name: str) -> str:
    return name.replace(" ", "_").replace("'", "")


def digest(*folders) -> dict[str, str]:
    """Each file under the folders -> the hash of its bytes (what a cheat would have to change)."""
    out = {}
    for folder in folders:
        for dirpath, dirnames, filenames in os.walk(folder):
            dirnames[:] = [
                d for d in dirnames if d not in (".git", ".venv", "node_modules", "_build", "__pycache__")
            ]
            for name in filenames:
                path = os.path.join(dirpath, name)
                try:
                    out[path] = hashlib.sha256(Path(path).read_bytes()).hexdigest()
                except OSError:
                    pass
    return out


class Listener:
    """A TCP server on the grader's 127.0.0.1 that records whether anything connected."""

    def __init__(self) -> None:
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen()
        self.server.settimeout(0.2)
        self.port = self.server.getsockname()[1]
        self.connections = 0
        self.stop = False
        self.thread = threading.Thread(target=self.accept, daemon=True)
        self.thread.start()

    def accept(self) -> None:
        while not self.stop:
            try:
                conn, _ = self.server.accept()
                self.connections += 1
                conn.close()
            except OSError:
                pass

    def close(self) -> None:
        self.stop = True
        self.thread.join()
        self.server.close()


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    subs = tmp_path_factory.mktemp("redteam")
    marker = tmp_path_factory.mktemp("outside") / "cheat-was-here"
    listener = Listener()
    fill = {"root": ROOT, "subs": subs, "port": listener.port, "marker": marker}
    for cheat in CHEATS:
        nb = nbformat.read(STARTERS[cheat.lab], as_version=4)
        at = next(
            i for i, c in enumerate(nb.cells) if c.cell_type == "markdown" and "## Your progress" in c.source
        )
        for source in reversed(cheat.cells):
            nb.cells.insert(at, nbformat.v4.new_code_cell(fill_in(source, fill)))
        nbformat.write(nb, subs / f"{slug(cheat.name)}.ipynb")
    honest = fill_notebook(
        nbformat.read(STARTERS["gradients"], as_version=4), solution_sources(lab1_gradients)
    )
    nbformat.write(honest, subs / "zz_honest.ipynb")
    # What the cheats aim at (the rest of the repository may change meanwhile: others work in it).
    watched = [
        ROOT / "labcode" / "grade",
        ROOT / "tests" / "lab_solutions",
        ROOT / "book" / "labs",
        subs,
        os.path.expanduser("~/.bashrc"),
    ]
    before = digest(*watched[:-1]), read_or_none(watched[-1])
    os.environ["LABCODE_SECRET_TOKEN"] = (
        "do-not-leak"  # the grader's environment: the sandbox must not see it
    )
    try:
        reports = grade_folder(subs, jobs=2, seed=99, timeout=TIMEOUT)
    finally:
        del os.environ["LABCODE_SECRET_TOKEN"]
        listener.close()
    after = digest(*watched[:-1]), read_or_none(watched[-1])
    return {r.student: r for r in reports}, before, after, marker, listener


def starter_report(graded, lab):
    reports = graded[0]
    return reports[slug("patch print")] if lab == "gradients" else None


@pytest.mark.parametrize("cheat", CHEATS, ids=[slug(c.name) for c in CHEATS])
def test_a_cheat_gets_no_points(graded, cheat):
    report = graded[0][slug(cheat.name)]
    text = report.to_text()
    assert report.points == 0 and not report.passed, text
    assert not any(t.solved for t in report.tasks), text
    if cheat.starter:
        assert [t.status for t in report.tasks] == ["not attempted"] * 5, text
    for words in cheat.named:
        assert words in text, text


def test_the_honest_notebook_beside_them_gets_full_marks(graded):
    report = graded[0]["zz_honest"]
    assert report.points == report.max_points == 6 and report.problems == [], report.to_text()


def test_nothing_outside_the_sandbox_changed(graded):
    _, before, after, marker, listener = graded
    changed = sorted(p for p in set(before[0]) | set(after[0]) if before[0].get(p) != after[0].get(p))
    assert changed == [], changed
    assert before[1] == after[1], "~/.bashrc changed"
    assert not marker.exists(), "a cheat wrote a file outside its sandbox"
    assert listener.connections == 0, "a cheat reached the grader's loopback"


def test_every_technique_of_the_issue_is_covered():
    techniques = " ".join(c.technique for c in CHEATS)
    for words in [
        "grader's or the labs' objects",
        "builtins",
        "print",
        "json or sys.stdout",
        "fake result lines",
        "always-equal",
        "array subclasses",
        "the seed or the inputs",
        "reference implementations",
        "writing files",
        "fork and kill",
        "memory bombs",
        "sleeping past limits",
        "network",
        "another submission",
        "notebook file on disk",
        "environment variables",
    ]:
        assert words in techniques, words
    assert len({c.name for c in CHEATS}) == len(CHEATS) >= 15
