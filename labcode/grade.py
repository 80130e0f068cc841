"""Grade lab notebooks: run each in a fresh kernel, then call its functions on fresh random inputs.

    python -m labcode.grade lab1_gradients.ipynb             # a table; exit code 0 only if every task passes
    python -m labcode.grade lab1_gradients.ipynb --json      # the same as JSON (--markdown: a Markdown table)
    python -m labcode.grade submissions/ --csv scores.csv    # every notebook in a folder -> one CSV row each

How a notebook is graded (:func:`grade_notebook`):

1. It is read with nbformat. A file that is not a notebook (invalid JSON, say) gets the status
   "not graded" on every task, with the reason.
2. Which lab is it? An explicit ``lab=`` (``--lab``) wins. Otherwise a ``"labcode": {"lab": ...}`` entry
   in the notebook's metadata, or in any cell's metadata (the committed labs carry it on their title
   cell, because the repository keeps notebook-level metadata to the kernel's). Otherwise the lab whose
   task names (``def mse_grad``, ``class Dual``, ...) the code cells define most, at least two of them.
3. Every code cell runs in order, in a fresh ``python3`` kernel of the grader's own environment, in a
   temporary folder, each with a time limit (``timeout``, 60 s): a cell that raises is reported and the
   run goes on, as in "Run all" with errors allowed; a cell over the limit is interrupted; a cell that
   kills the kernel (``os._exit``, a crash) is skipped in a fresh kernel, which re-runs the rest.
4. Then, in the same kernel, each task's functions are looked up by name and called by the lab's
   checks (:mod:`labcode.labs`) on random problems from a seed drawn for this run (``seed``; the report
   shows it, and ``--seed`` repeats it). A student never saw these inputs, so a hard-coded answer fails.
   A task scores its points when it is solved, 0 otherwise; each call has the same time limit.
5. The rules of the lab sheet are reported, not scored: every ``# TODO n`` line still present, the
   notebook running top to bottom without an error, and which checkpoint questions were answered
   (a Markdown cell ``**Your answer to checkpoint 1a:** ...`` with at least three words of answer).

The grader runs the students' code with the grader's permissions: it is a grader, not a sandbox.
Run it in a container or a CI job (.github/workflows/grade-lab.yml) for untrusted submissions.
"""

from __future__ import annotations

import argparse
import copy
import csv
import json
import logging
import re
import secrets
import subprocess
import sys
import tempfile
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from labcode.labs import LABS, Lab, Verdict

__all__ = ["GradeReport", "TaskGrade", "grade_folder", "grade_notebook", "identify_lab", "main", "write_csv"]

MARKER = "labcode-grade-result:"  # starts the line on which the kernel prints a task's verdict as JSON
MAX_KERNELS = 4  # fresh kernels per notebook: the first, and one more per cell or call that killed one
PROBE_TIMEOUT = 5  # seconds a kernel gets to answer after an interrupt before it counts as stuck
MIN_ANSWER_WORDS = 3
ANSWER = re.compile(
    r"\*\*Your answer to checkpoint\s+([\w.]+?)\s*:\*\*(.*?)(?=\*\*Your answer to checkpoint|\Z)", re.S | re.I
)
PLACEHOLDER = re.compile(r"_?\(?replace this line with your answer\.?\)?_?", re.I)

_log = logging.getLogger("labcode.grade")
_log.addHandler(logging.NullHandler())
_log.propagate = False  # nbclient logs every timeout as an error; the report says it better


# ---------------------------------------------------------------------------------------------------------
# Reports


@dataclass(frozen=True)
class TaskGrade:
    """One task's grade: the points, and the verdict of its check (see labcode.labs.Verdict)."""

    key: str
    title: str
    points: int
    max_points: int
    status: str
    message: str = ""
    hint: str = ""
    kind: str | None = None
    factor: float | None = None

    @property
    def solved(self) -> bool:
        return self.status == "solved"


@dataclass
class GradeReport:
    """The grade of one notebook: its tasks, the lab-sheet rules, and how it was graded.

    ``problems`` lists what went wrong while running the notebook (a cell that raised, timed out or
    killed the kernel; a deleted TODO line). ``checkpoints`` maps each checkpoint question to whether it
    was answered. ``error`` is set when the notebook could not be graded at all.
    """

    path: str
    student: str
    lab: str | None
    lab_title: str
    seed: int
    tasks: list[TaskGrade] = field(default_factory=list)
    checkpoints: dict[str, bool] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    error: str | None = None
    identified_by: str = ""

    @property
    def points(self) -> int:
        return sum(t.points for t in self.tasks)

    @property
    def max_points(self) -> int:
        return sum(t.max_points for t in self.tasks)

    @property
    def passed(self) -> bool:
        """Every task solved (what the exit code of the command line reports)."""
        return self.error is None and bool(self.tasks) and all(t.solved for t in self.tasks)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out.update(points=self.points, max_points=self.max_points, passed=self.passed)
        return out

    def _who(self) -> str:
        """' · student alice', unless the student id is just the file's name (a single graded notebook)."""
        return "" if self.student == Path(self.path).stem else f" · student {self.student}"

    def _checkpoint_line(self) -> str:
        if not self.checkpoints:
            return ""
        answered = [k for k, v in self.checkpoints.items() if v]
        missing = [k for k, v in self.checkpoints.items() if not v]
        text = f"{len(answered)} of {len(self.checkpoints)} answered"
        return text + (f"; unanswered: {', '.join(missing)}" if missing else "")

    def to_text(self) -> str:
        """The per-task table (task, points, verdict, hint), the total, and the notes."""
        lines = [
            f"{Path(self.path).name}{self._who()} · {self.lab_title or 'unknown lab'} · seed {self.seed}"
        ]
        if self.error:
            lines.append(f"not graded: {self.error}")
        rows = [("task", "points", "verdict", "hint")]
        for t in self.tasks:
            detail = " ".join(part for part in (t.message, f"Hint: {t.hint}" if t.hint else "") if part)
            rows.append((t.title, f"{t.points}/{t.max_points}", t.status, detail))
        widths = [max(len(r[i]) for r in rows) for i in range(3)]
        for row in rows:
            lines.append(
                "  ".join(cell.ljust(w) for cell, w in zip(row[:3], widths, strict=True)) + "  " + row[3]
            )
        lines.append(f"total {self.points}/{self.max_points}")
        if self.checkpoints:
            lines.append(
                f"checkpoint questions (answered in words, not graded automatically): {self._checkpoint_line()}"
            )
        lines += [f"note: {p}" for p in self.problems]
        return "\n".join(line.rstrip() for line in lines)

    def to_markdown(self) -> str:
        """The same as :meth:`to_text`, as Markdown (for $GITHUB_STEP_SUMMARY)."""

        def cell(text: str) -> str:
            return text.replace("|", "\\|").replace("\n", " ")

        status = "passed" if self.passed else "not passed yet"
        lines = [
            f"### {cell(Path(self.path).name)}: {self.points}/{self.max_points} ({status})",
            "",
            f"{cell(self.lab_title or 'unknown lab')}{cell(self._who())} · seed {self.seed}",
            "",
        ]
        if self.error:
            lines += [f"**Not graded:** {cell(self.error)}", ""]
        if self.tasks:
            lines += ["| task | points | verdict | hint |", "|---|---|---|---|"]
            for t in self.tasks:
                mark = "✅" if t.solved else "·" if t.status == "not attempted" else "❌"
                detail = cell(t.message) + (f"<br>*Hint:* {cell(t.hint)}" if t.hint else "")
                lines.append(
                    f"| {cell(t.title)} | {t.points}/{t.max_points} | {mark} {t.status} | {detail} |"
                )
            lines += ["", f"**Total: {self.points}/{self.max_points}**"]
        if self.checkpoints:
            lines += ["", f"Checkpoint questions (not graded automatically): {cell(self._checkpoint_line())}"]
        if self.problems:
            lines += ["", "Notes:", ""] + [f"- {cell(p)}" for p in self.problems]
        return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------------------
# Reading a notebook


def _read(path: Path) -> Any:
    import nbformat

    with warnings.catch_warnings():
        # nbformat warns about missing cell ids and the like: not the grader's business.
        warnings.simplefilter("ignore")
        nb = nbformat.read(path, as_version=4)
    if not isinstance(nb.get("cells"), list):
        raise ValueError("it has no list of cells")
    return nb


def _code(nb: Any) -> str:
    return "\n".join(c.get("source", "") for c in nb.cells if c.get("cell_type") == "code")


def identify_lab(nb: Any) -> tuple[Lab | None, str]:
    """Which lab a notebook is, and how that was decided (see the module docstring, step 2)."""
    for where, meta in [("notebook metadata", nb.get("metadata", {}))] + [
        ("cell metadata", c.get("metadata", {})) for c in nb.get("cells", [])
    ]:
        entry = meta.get("labcode") if isinstance(meta, dict) else None
        key = entry.get("lab") if isinstance(entry, dict) else None
        if key in LABS:
            return LABS[key], where
    defined = set(re.findall(r"^\s*(?:def|class)\s+(\w+)", _code(nb), re.M))
    scores = {key: len(defined & {n for t in lab.tasks for n in t.functions}) for key, lab in LABS.items()}
    best = max(scores, key=lambda k: scores[k])
    if scores[best] >= 2 and list(scores.values()).count(scores[best]) == 1:
        return LABS[best], "the functions it defines"
    return None, ""


def _checkpoints(nb: Any, lab: Lab) -> dict[str, bool]:
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


def _missing_todos(nb: Any, lab: Lab) -> list[str]:
    code = _code(nb)
    return [t.todo for t in lab.tasks if not re.search(rf"#\s*{t.todo}\b", code)]


def _cell_name(nb: Any, index: int) -> str:
    """'cell 12 ("def numerical_gradient(f, w, eps=1e-5):")': how a report points at a cell."""
    first = next((ln.strip() for ln in nb.cells[index].source.splitlines() if ln.strip()), "")
    first = first if len(first) <= 60 else first[:57] + "..."
    return f'cell {index + 1} ("{first}")'


# ---------------------------------------------------------------------------------------------------------
# Running a notebook in a kernel


class _KernelGone(Exception):
    """The kernel died, or stopped answering after an interrupt: start a fresh one."""


TIMED_OUT = "LabcodeCellTimeout"  # the ename of the reply nbclient makes up for a cell it interrupted


@dataclass
class _Run:
    """What the runs of one notebook found, accumulated over fresh kernels."""

    skip: set[int] = field(default_factory=set)  # cells that killed a kernel
    problems: dict[int, str] = field(default_factory=dict)  # cell index -> what went wrong there
    verdicts: dict[str, Verdict] = field(default_factory=dict)
    reply: dict[str, Any] = field(default_factory=dict)  # the last execute_reply's content


def _execute_cell(client: Any, run: _Run, cell: Any, index: int) -> bool:
    """Run one cell; False if it ran over the time limit (then it was interrupted and the kernel answers).

    On a timeout nbclient interrupts the kernel and hands back a made-up error reply (``error_on_timeout``),
    which lets its output listener finish with the interrupted cell's last messages. (Raising
    CellTimeoutError instead would leave that listener running, swallowing the next cells' output.)
    Raises _KernelGone when the kernel dies, or is still busy after the interrupt.
    """
    from nbclient.exceptions import DeadKernelError

    run.reply = {}
    try:
        client.execute_cell(cell, index)
    except DeadKernelError:
        raise _KernelGone("dead") from None
    if run.reply.get("ename") != TIMED_OUT:
        return True
    _probe(client, run)
    return False


def _probe(client: Any, run: _Run) -> None:
    """After an interrupt: does the kernel run a trivial cell within PROBE_TIMEOUT? If not, it is stuck."""
    import nbformat
    from nbclient.exceptions import DeadKernelError

    probe = nbformat.v4.new_code_cell("pass")
    client.nb.cells.append(probe)
    timeout, client.timeout = client.timeout, PROBE_TIMEOUT
    run.reply = {}
    try:
        client.execute_cell(probe, len(client.nb.cells) - 1)
    except DeadKernelError:
        raise _KernelGone("dead") from None
    finally:
        client.timeout = timeout
    if run.reply.get("ename") == TIMED_OUT:
        raise _KernelGone("stuck")


def _run_cell(client: Any, nb: Any, index: int, run: _Run, timeout: int) -> None:
    cell = client.nb.cells[index]
    try:
        finished = _execute_cell(client, run, cell, index)
    except _KernelGone as gone:
        run.skip.add(index)
        what = (
            "stopped the kernel (os._exit? exit()? a crash?)"
            if str(gone) == "dead"
            else (f"ran longer than {timeout} s and could not be interrupted")
        )
        run.problems[index] = f"{_cell_name(nb, index)} {what}; it was skipped"
        raise
    if not finished:
        run.problems[index] = (
            f"{_cell_name(nb, index)} ran longer than {timeout} s and was interrupted (an infinite loop?)"
        )
        return
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            ename, evalue = out.get("ename", "Error"), " ".join(str(out.get("evalue", "")).split())
            if ename == "SystemExit":
                run.problems[index] = (
                    f"{_cell_name(nb, index)} called sys.exit(); the notebook must run top to bottom"
                )
            else:
                run.problems[index] = f"{_cell_name(nb, index)} raised {ename}: {evalue[:200]}"
            break


def _grade_source(lab: Lab, key: str, seed: int) -> str:
    # One expression, so the student's namespace gains no names; globals() is the notebook's namespace.
    return (
        f'print({MARKER!r} + __import__("labcode.labs", fromlist=["LABS"]).LABS[{lab.key!r}]'
        f".grade_json({key!r}, globals(), {seed}))"
    )


def _grade_task(client: Any, run: _Run, lab: Lab, key: str, seed: int, timeout: int) -> Verdict:
    """Call the lab's check of task ``key`` inside the kernel, on the notebook's own names."""
    import nbformat

    task = lab.task(key)
    names = ", ".join(task.functions)
    cell = nbformat.v4.new_code_cell(_grade_source(lab, key, seed))
    client.nb.cells.append(cell)
    base = {"task": key, "title": task.label, "seed": seed}
    timed_out = Verdict(
        status="timeout",
        message=f"calling {names} on fresh inputs did not finish within {timeout} s",
        hint="an infinite loop? a while loop whose condition never changes, or a recursion without end",
        **base,
    )
    try:
        finished = _execute_cell(client, run, cell, len(client.nb.cells) - 1)
    except _KernelGone as gone:
        # Record the verdict before a fresh kernel grades the other tasks, so this one is not retried.
        run.verdicts[key] = timed_out
        if str(gone) == "dead":
            run.verdicts[key] = Verdict(
                status="error",
                message=f"calling {names} stopped the kernel (os._exit? exit()? a crash?)",
                hint="a function must return its result, never end the process",
                **base,
            )
        raise
    if not finished:
        return timed_out
    text = "".join(o.get("text", "") for o in cell.outputs if o.get("output_type") == "stream")
    for line in reversed(text.splitlines()):
        if line.startswith(MARKER):
            return Verdict(**json.loads(line[len(MARKER) :]))
    error = next((o for o in cell.outputs if o.get("output_type") == "error"), None)
    detail = f"{error.get('ename')}: {error.get('evalue')}" if error else "no verdict came back"
    return Verdict(
        status="error",
        message=f"grading {names} failed: {detail}",
        hint="does the notebook redefine print, globals or labcode?",
        **base,
    )


def _kernel_run(nb: Any, lab: Lab, seed: int, timeout: int, run: _Run) -> None:
    """One fresh kernel: run the notebook's cells (but the skipped ones), then grade the ungraded tasks.

    Raises _KernelGone when the kernel dies or stops answering; ``run`` keeps what was learnt.
    """
    import nbformat
    from nbclient import NotebookClient

    work = copy.deepcopy(nb)
    for cell in work.cells:
        if cell.get("cell_type") == "code":
            cell.outputs, cell.execution_count = [], None

    def keep_reply(cell: Any, cell_index: int, execute_reply: dict[str, Any]) -> None:
        run.reply = execute_reply.get("content", {})

    with tempfile.TemporaryDirectory(prefix="labcode-grade-") as folder:
        client = NotebookClient(
            nbformat.from_dict(work),
            timeout=timeout,
            kernel_name="python3",
            allow_errors=True,
            interrupt_on_timeout=True,
            error_on_timeout={"ename": TIMED_OUT, "evalue": f"over {timeout} s", "traceback": []},
            on_cell_executed=keep_reply,
            shutdown_kernel="immediate",  # a kernel stuck in a loop would make a graceful shutdown wait
            record_timing=False,
            resources={"metadata": {"path": folder}},
            log=_log,
        )
        # The kernel's own stderr (e.g. "Kernel is running over TCP without encryption") is not for the report.
        with client.setup_kernel(stderr=subprocess.DEVNULL):
            for index, cell in enumerate(work.cells):
                if (
                    cell.get("cell_type") == "code"
                    and index not in run.skip
                    and cell.get("source", "").strip()
                ):
                    _run_cell(client, nb, index, run, timeout)
            for task in lab.tasks:
                if task.key not in run.verdicts:
                    run.verdicts[task.key] = _grade_task(client, run, lab, task.key, seed, timeout)


def _execute(nb: Any, lab: Lab, seed: int, timeout: int) -> _Run:
    run = _Run()
    for _ in range(MAX_KERNELS):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter(
                    "ignore"
                )  # the kernel machinery's deprecation notices are not the student's
                _kernel_run(nb, lab, seed, timeout, run)
            break
        except _KernelGone:
            continue
    return run


# ---------------------------------------------------------------------------------------------------------
# Grading


def _student_id(path: Path, folder: Path | None) -> str:
    """The file's stem, or, for a notebook inside a student's folder, that folder's name."""
    if folder is not None:
        parts = path.relative_to(folder).parts
        if len(parts) > 1:
            return parts[0]
    return path.stem


def _not_graded(lab: Lab | None, reason: str) -> list[TaskGrade]:
    """Every task of the lab (if known) at 0 points, with the reason the notebook could not be graded."""
    if lab is None:
        return []
    return [TaskGrade(t.key, t.label, 0, t.points, "not graded", reason) for t in lab.tasks]


def grade_notebook(
    path: str | Path,
    *,
    lab: str | None = None,
    seed: int | None = None,
    timeout: int = 60,
    student: str | None = None,
) -> GradeReport:
    """Grade one submitted notebook (see the module docstring); never raises for a bad notebook.

    path: the .ipynb file. lab: "gradients" or "autodiff" (also "lab1"/"lab2"), or None to tell from the
    notebook (an unknown name raises ValueError: that is the caller's mistake, not the notebook's).
    seed: the seed of the random problems, or None for a fresh one. timeout: seconds per cell and per
    task. student: the id in the report (default: the file's stem).
    """
    path = Path(path)
    seed = secrets.randbelow(2**32) if seed is None else int(seed)
    chosen = _lab(lab) if lab is not None else None
    report = GradeReport(str(path), student or path.stem, None, "", seed)
    if chosen is not None:
        report.lab, report.lab_title, report.identified_by = chosen.key, chosen.title, "--lab"
    try:
        nb = _read(path)
        found = identify_lab(nb) if chosen is None else (chosen, "--lab")
        checkpoints = _checkpoints(nb, found[0]) if found[0] is not None else {}
        missing = _missing_todos(nb, found[0]) if found[0] is not None else []
    except Exception as exc:  # noqa: BLE001 (a submission can be anything)
        report.error = f"not a readable notebook: {' '.join(str(exc).split())[:300] or type(exc).__name__}"
        report.tasks = _not_graded(chosen, report.error)
        return report
    chosen, how = found
    if chosen is None:
        report.error = (
            "cannot tell which lab this is: no labcode metadata and too few task functions; pass --lab"
        )
        return report
    report.lab, report.lab_title, report.identified_by = chosen.key, chosen.title, how
    report.checkpoints = checkpoints
    try:
        run = _execute(nb, chosen, seed, timeout)
    except Exception as exc:  # noqa: BLE001 (no kernel at all, say: still a report, not a traceback)
        report.error = f"could not run the notebook: {type(exc).__name__}: {exc}"
        report.tasks = _not_graded(chosen, report.error)
        return report
    report.problems = [run.problems[i] for i in sorted(run.problems)]
    report.problems += [
        f"the `# {todo}` line was deleted: keep every TODO line (lab rule)" for todo in missing
    ]
    for task in chosen.tasks:
        verdict = run.verdicts.get(task.key)
        if verdict is None:
            report.tasks.append(
                TaskGrade(
                    task.key,
                    task.label,
                    0,
                    task.points,
                    "not graded",
                    "the kernel kept dying before this task",
                )
            )
            continue
        points = task.points if verdict.solved else 0
        report.tasks.append(
            TaskGrade(
                task.key,
                task.label,
                points,
                task.points,
                verdict.status,
                verdict.message,
                verdict.hint,
                verdict.kind,
                verdict.factor,
            )
        )
    return report


def _lab(name: str) -> Lab:
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


def _notebooks(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)


def grade_folder(folder: str | Path, **options: Any) -> list[GradeReport]:
    """Grade every notebook under ``folder`` (``folder/alice.ipynb`` or ``folder/alice/.../lab.ipynb``).

    The student id is the file's stem, or the name of the first sub-folder. ``options`` go to
    :func:`grade_notebook`; one seed serves the whole folder, so every student gets the same problems.
    """
    folder = Path(folder)
    options.setdefault("seed", secrets.randbelow(2**32))
    return [grade_notebook(p, student=_student_id(p, folder), **options) for p in _notebooks(folder)]


def write_csv(reports: Sequence[GradeReport], path: str | Path) -> None:
    """One row per notebook: student, lab, points, max_points, one column of points per task, and notes."""
    task_columns: list[str] = []
    for report in reports:
        for t in report.tasks:
            column = f"{report.lab}:{t.key}"
            if column not in task_columns:
                task_columns.append(column)
    header = [
        "student",
        "lab",
        "points",
        "max_points",
        "passed",
        *task_columns,
        "checkpoints_answered",
        "notes",
        "file",
        "seed",
    ]
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for r in reports:
            points = {f"{r.lab}:{t.key}": t.points for t in r.tasks}
            answered = sum(r.checkpoints.values())
            notes = "; ".join(([r.error] if r.error else []) + r.problems)
            writer.writerow(
                [
                    r.student,
                    r.lab or "",
                    r.points,
                    r.max_points,
                    int(r.passed),
                    *(points.get(c, "") for c in task_columns),
                    f"{answered}/{len(r.checkpoints)}" if r.checkpoints else "",
                    notes,
                    r.path,
                    r.seed,
                ]
            )


# ---------------------------------------------------------------------------------------------------------
# Command line


def _collect(paths: Iterable[str]) -> list[tuple[Path, Path | None]]:
    found: list[tuple[Path, Path | None]] = []
    for name in paths:
        path = Path(name)
        if path.is_dir():
            found += [(p, path) for p in _notebooks(path)]
        else:
            found.append((path, None))
    return found


def main(argv: Sequence[str] | None = None) -> int:
    """The command line: grade notebooks and folders; exit 0 only when every task of every notebook passes."""
    parser = argparse.ArgumentParser(
        prog="python -m labcode.grade", description=__doc__.splitlines()[0] if __doc__ else None
    )
    parser.add_argument("paths", nargs="+", help="notebooks, or folders of notebooks")
    parser.add_argument("--lab", help="gradients (lab1) or autodiff (lab2); default: tell from the notebook")
    parser.add_argument("--seed", type=int, help="the seed of the random problems (default: a fresh one)")
    parser.add_argument("--timeout", type=int, default=60, help="seconds per cell and per task (default 60)")
    form = parser.add_mutually_exclusive_group()
    form.add_argument("--json", action="store_true", help="print a JSON list of reports")
    form.add_argument("--markdown", action="store_true", help="print Markdown (e.g. >> $GITHUB_STEP_SUMMARY)")
    parser.add_argument("--csv", metavar="FILE", help="also write one CSV row per notebook to FILE")
    args = parser.parse_args(argv)
    if args.lab is not None:
        try:
            _lab(args.lab)
        except ValueError as exc:
            parser.error(str(exc))
    missing = [name for name in args.paths if not Path(name).exists()]
    if missing:
        parser.error(f"no such file or folder: {', '.join(missing)}")
    files = _collect(args.paths)
    if not files:
        parser.error("no notebooks found")
    seed = secrets.randbelow(2**32) if args.seed is None else args.seed
    reports = [
        grade_notebook(p, lab=args.lab, seed=seed, timeout=args.timeout, student=_student_id(p, folder))
        for p, folder in files
    ]
    if args.json:
        print(json.dumps([r.to_dict() for r in reports], indent=2))
    elif args.markdown:
        print("\n".join(r.to_markdown() for r in reports))
    else:
        print("\n\n".join(r.to_text() for r in reports))
    if args.csv:
        write_csv(reports, args.csv)
    return 0 if all(r.passed for r in reports) else 1


if __name__ == "__main__":
    sys.exit(main())
