"""The red team: cheating notebooks (tests/redteam/cheats.py) get no points, and nothing outside the sandbox changes.

Every cheat is a lab starter plus cells that try one technique. They are graded once, as one folder with
``jobs=2`` (about a minute), next to honest answer keys (which must still get full marks beside them), and
next to submissions that are tricks of the file system (:data:`FILE_TRICKS`: symlinks, a FIFO, a folder named
like a notebook, a file over the size limit, names holding Markdown, control characters or spreadsheet
formulas). Each must be graded exactly like the untouched starter, or with the cheat named; every submission
gets a report and a CSV row; the rendered Markdown, the terminal text and the CSV interpret nothing a student
wrote; the repository, the folder of submissions, the grader's home and a listening socket on the grader's
loopback must be untouched.
"""

from __future__ import annotations

import csv
import hashlib
import html
import json
import os
import re
import socket
import stat
import subprocess
import sys
import threading
import unicodedata
from pathlib import Path

import nbformat
import pytest
from conftest import ROOT
from lab_solutions import lab1_gradients
from lab_solutions._planted import fill_notebook, solution_sources
from markdown_it import MarkdownIt
from redteam.cheats import CHEATS

from labcode.grade import grade_folder, write_csv

pytestmark = pytest.mark.sandbox

STARTERS = {
    "gradients": ROOT / "book/labs/lab1_gradients.ipynb",
    "autodiff": ROOT / "book/labs/lab2_autodiff.ipynb",
}
TIMEOUT = 6  # seconds per cell and per task: the sleeper is killed after this plus the grace
NOTEBOOK_TIMEOUT = 20  # seconds per notebook: ten cells of 5 s run out of it, every other notebook fits

STARTER_NAME = (
    "carol\r\n### carol: 6|6 (passed)\n\n| Task 1 | 1|1 | ✅ solved | |\n\n**Total: 6|6**<!--.ipynb"
)
FORMULA_NAMES = ["=1+2", "+SUM(1)", "-2+3", "@cmd"]
# A submission made with the file system rather than cells -> words its report must hold (0 points each).
FILE_TRICKS = {
    "bob": "it is a symbolic link, not a regular file",  # bob.ipynb -> zz_honest.ipynb
    "outside": "it is a symbolic link, not a regular file",  # -> an answer key outside the folder
    "zero": "it is a symbolic link, not a regular file",  # -> /dev/zero
    "fifo": "it is a FIFO (named pipe), not a regular file",
    "dir": "it is a folder, not a regular file",  # dir.ipynb/ holding an answer key
    "huge": "it is 21.0 MB, over the grader's limit of 20 MB",
}


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
                if not stat.S_ISREG(os.lstat(path).st_mode):  # a FIFO would block, /dev/zero never end
                    out[path] = f"not a regular file: {os.readlink(path) if os.path.islink(path) else ''}"
                    continue
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
    # Honest too: every loss returned as a 0-d array, which is a number.
    zero_d = {
        name: source.replace("return float(", "return np.asarray(")
        for name, source in solution_sources(lab1_gradients).items()
    }
    assert sum("return np.asarray(" in source for source in zero_d.values()) == 3  # mse, bce, softmax
    nbformat.write(
        fill_notebook(nbformat.read(STARTERS["gradients"], as_version=4), zero_d), subs / "zz_zero_d.ipynb"
    )
    starter = nbformat.read(STARTERS["gradients"], as_version=4)
    nbformat.write(starter, subs / STARTER_NAME)
    for name in FORMULA_NAMES:
        nbformat.write(starter, subs / f"{name}.ipynb")
    (subs / "=folder" / "book" / "labs").mkdir(parents=True)
    nbformat.write(starter, subs / "=folder" / "book" / "labs" / "lab1_gradients.ipynb")
    outside = tmp_path_factory.mktemp("outside-key") / "key.ipynb"
    nbformat.write(honest, outside)
    (subs / "bob.ipynb").symlink_to("zz_honest.ipynb")
    (subs / "outside.ipynb").symlink_to(outside)
    (subs / "zero.ipynb").symlink_to("/dev/zero")
    os.mkfifo(subs / "fifo.ipynb")
    (subs / "dir.ipynb").mkdir()
    nbformat.write(honest, subs / "dir.ipynb" / "inside.ipynb")
    with open(subs / "huge.ipynb", "wb") as handle:
        handle.truncate(21 * 2**20)
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
        reports = grade_folder(subs, jobs=2, seed=99, timeout=TIMEOUT, notebook_timeout=NOTEBOOK_TIMEOUT)
    finally:
        del os.environ["LABCODE_SECRET_TOKEN"]
        listener.close()
    after = digest(*watched[:-1]), read_or_none(watched[-1])
    return {r.student: r for r in reports}, before, after, marker, listener


def starter_report(graded, lab):
    reports = graded[0]
    return reports[slug("patch print")] if lab == "gradients" else None


@pytest.mark.parametrize(
    "cheat",
    CHEATS,
    ids=[slug(c.name) for c in CHEATS],
)
def test_a_cheat_gets_no_points(graded, cheat):
    report = graded[0][slug(cheat.name)]
    text = report.to_text()
    assert report.points == 0 and not report.passed, text
    assert not any(t.solved for t in report.tasks), text
    if cheat.starter:
        assert [t.status for t in report.tasks] == ["not attempted"] * 5, text
    for words in cheat.named:
        assert words in text, text


@pytest.mark.parametrize("student", ["zz_honest", "zz_zero_d"])
def test_the_honest_notebooks_beside_them_get_full_marks(graded, student):
    report = graded[0][student]
    assert report.points == report.max_points == 6 and report.problems == [], report.to_text()


def test_every_submission_gets_a_report(graded):
    expected = {slug(c.name) for c in CHEATS} | {"zz_honest", "zz_zero_d", "=folder"} | set(FILE_TRICKS)
    expected |= {Path(STARTER_NAME).stem, *FORMULA_NAMES}
    assert set(graded[0]) == expected


@pytest.mark.parametrize("student", FILE_TRICKS)
def test_files_that_are_not_regular_notebooks_are_refused_as_what_they_are(graded, student):
    report = graded[0][student]
    assert report.points == 0 and not report.passed and not any(t.solved for t in report.tasks)
    assert report.error.startswith("not a readable notebook: ") and FILE_TRICKS[student] in report.error


@pytest.mark.parametrize("student", [Path(STARTER_NAME).stem, *FORMULA_NAMES, "=folder"])
def test_names_are_graded_as_the_starter_they_hold(graded, student):
    report = graded[0][student]
    assert [t.status for t in report.tasks] == ["not attempted"] * 5 and report.points == 0


# ----------------------------------------------------------------------------------------------------
# The reports quote, never render, what a student wrote

GITHUB_MARKDOWN = MarkdownIt("gfm-like")  # CommonMark with GitHub's tables, strikethrough and autolinks


def test_the_rendered_markdown_holds_only_the_graders_headings_rows_and_totals(graded):
    reports = list(graded[0].values())
    page = GITHUB_MARKDOWN.render("\n".join(r.to_markdown() for r in reports))
    headings = re.findall(r"<h(\d)>(.*?)</h\1>", page, re.S)
    assert len(headings) == len(reports) and {level for level, _ in headings} == {"3"}
    expected = sorted(f"Total: {r.points}/{r.max_points}" for r in reports if r.tasks)
    expected += ["Not graded:"] * sum(r.error is not None for r in reports)
    strong = re.findall(r"<strong>(.*?)</strong>", page, re.S)
    assert sorted(strong) == sorted(expected)
    assert page.count("<tr>") == sum(len(r.tasks) + 1 for r in reports if r.tasks)
    verdicts = re.findall(r"<tr>\n<td>.*?</td>\n<td>(\d+/\d+)</td>\n<td>(.*?)</td>", page)
    assert sorted(verdicts) == sorted(
        (f"{t.points}/{t.max_points}", f"{'✅' if t.solved else '·' if t.status == 'not attempted' else '❌'} "
         f"{t.status}") for r in reports for t in r.tasks
    )  # fmt: skip
    tags = set(re.findall(r"<(/?\w+)", page))
    assert tags <= {"h3", "/h3", "p", "/p", "table", "/table", "thead", "/thead", "tbody", "/tbody", "tr", "/tr",
                    "th", "/th", "td", "/td", "strong", "/strong", "em", "/em", "br", "ul", "/ul", "li", "/li"}, tags  # fmt: skip
    assert "<!--" not in page and "\r" not in page
    forged = next(r for r in reports if r.student == slug("forged report lines in exception messages"))
    text = html.unescape(GITHUB_MARKDOWN.render(forged.to_markdown()))
    assert "| Task 2, MSE loss and gradient | 1/1 | ✅ solved | |" in text  # quoted, as the student wrote it
    assert "[link](https://evil.example) www.evil.example $x$" in text and "<img src=x" in text


def test_the_terminal_text_holds_no_control_characters(graded):
    for report in graded[0].values():
        text = report.to_text()
        hidden = [c for c in text if c != "\n" and unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp")]
        assert hidden == [], (report.student, hidden)
        assert len(re.findall(r"^total \d+/\d+$", text, re.M)) == 1, text
        assert text.splitlines()[0].count(" · seed ") == 1
    forged = graded[0][slug("forged report lines in exception messages")].to_text()
    assert "␛[32msolved␛[0m␍total 6/6" in forged  # shown, not interpreted


def test_the_csv_holds_no_formula_and_a_row_for_everyone(graded, tmp_path):
    reports = list(graded[0].values())
    write_csv(reports, tmp_path / "scores.csv")
    with open(tmp_path / "scores.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert len(rows) == len(reports) + 1
    cells = [cell for row in rows for cell in row]
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")], "a cell a spreadsheet runs"
    students = [row[0] for row in rows[1:]]
    assert {"'=1+2", "'+SUM(1)", "'-2+3", "'@cmd", "'=folder"} <= set(students)
    assert not any(unicodedata.category(c) == "Cc" for c in "".join(cells))


def test_the_json_report_carries_the_text_as_it_is(graded):
    data = json.loads(json.dumps([r.to_dict() for r in graded[0].values()]))
    assert Path(STARTER_NAME).stem in {d["student"] for d in data}  # JSON is data: no quoting needed


def test_the_graders_memory_stays_small_when_a_notebook_returns_48_mb(tmp_path):
    """One notebook, graded in a fresh process, whose mse_loss returns a 48 MB boolean array."""
    cheat = next(c for c in CHEATS if c.name == "a 48 MB boolean array")
    nb = nbformat.read(STARTERS["gradients"], as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(cheat.cells[0]))
    nbformat.write(nb, tmp_path / "big.ipynb")
    # VmHWM, the peak resident memory of this program's own address space: getrusage's ru_maxrss would carry
    # over the pytest worker's size from the fork before exec (446 MB in one worker, 59 MB alone)
    script = (
        "import json, re, sys\n"
        "from labcode.grade import grade_notebook\n"
        "report = grade_notebook(sys.argv[1], seed=1, timeout=30)\n"
        "peak = int(re.search(r'VmHWM:\\s+(\\d+) kB', open('/proc/self/status').read()).group(1))\n"
        "print(json.dumps([peak, report.to_text()]))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "big.ipynb")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    peak_kb, text = json.loads(proc.stdout)
    assert "a reply over 4 MB" in text, text
    assert peak_kb < 200 * 1024, f"the grader peaked at {peak_kb / 1024:.0f} MB"  # 807 MB before issue 21


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
        "SystemExit",
        "ANSI escapes",
        "whole wall-time budget",
        "replies too large",
        "writing into the arrays",
        "100,000 newlines",
        "lent function once on the first call",
    ]:
        assert words in techniques, words
    assert len({c.name for c in CHEATS}) == len(CHEATS) >= 15


@pytest.mark.frameworks
def test_importing_torch_after_the_labs_is_no_reference_used(tmp_path):
    """torch reads ``__file__`` of every module in sys.modules: a labcode stand-in must not trip on it."""
    import torch  # noqa: F401 (make test installs it: requirements-frameworks.txt; the marker says so)

    nb = nbformat.read(STARTERS["gradients"], as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("import torch\n\nx = torch.ones(3)"))
    nbformat.write(nb, tmp_path / "torch.ipynb")
    report = grade_folder(tmp_path, seed=1, timeout=60)[0]
    assert report.problems == [], (
        report.problems
    )  # was: raised ReferenceUsed: labcode.labs.gradients.__file__
    assert [t.status for t in report.tasks] == ["not attempted"] * 5
