"""Grade lab notebooks: the student's code runs in a sandbox, the verdict is decided outside it.

    python -m labcode.grade lab1_gradients.ipynb             # a table; exit code 0 only if every task passes
    python -m labcode.grade lab1_gradients.ipynb --json      # the same as JSON (--markdown: a Markdown table)
    python -m labcode.grade submissions/ --csv scores.csv --jobs 2   # a folder -> one CSV row per notebook

How a notebook is graded (:func:`grade_notebook`):

1. It is read with nbformat (:mod:`labcode.grade.notebook`). A file that is not a notebook gets the status
   "not graded" on every task, with the reason.
2. Which lab is it? An explicit ``lab=`` (``--lab``) wins. Otherwise a ``"labcode": {"lab": ...}`` entry
   in the notebook's metadata, or in any cell's metadata (the committed labs carry it on their title
   cell). Otherwise the lab whose task names (``def mse_grad``, ``class Dual``, ...) the code cells define
   most, at least two of them.
3. Two processes (:mod:`labcode.grade.running`). The student's process (:mod:`labcode.grade.sandbox`) runs
   in bubblewrap: no network, no view of the repository, the answer key or other submissions, a private
   temporary home, limits on CPU, memory, processes and file size. A driver there
   (:mod:`labcode.grade.driver`) runs the code cells in order, each with a time limit (``timeout``, 60 s):
   a cell that raises is reported and the run goes on, as in "Run all" with errors allowed; a cell over
   the limit is interrupted; a cell that ends the process is skipped in a fresh one. The whole notebook
   (cells and tasks, over all its processes) has a wall-time budget (``notebook_timeout``, 4 × timeout)
   and its replies a size limit (:mod:`labcode.grade.remote`). labcode is not there:
   check cells do nothing, and calling a reference implementation (``labcode.losses.mse_grad``) is named
   in the report.
4. The grader's process draws random problems from ``seed`` (the report shows it; ``--seed`` repeats it),
   and runs each task's check (:mod:`labcode.labs`) here, on stand-ins for the student's functions
   (:mod:`labcode.grade.remote`): each call sends the inputs as data, the driver calls the student's
   function, and only numbers and plain arrays come back. The student's process never sees the seed or
   the expected answers, and nothing it prints, writes or patches reaches a verdict. A task scores its
   points when it is solved, 0 otherwise; each task has the same time limit.
5. The rules of the lab sheet are reported, not scored: every ``# TODO n`` line still present, the
   notebook running top to bottom without an error, and which checkpoint questions were answered
   (a Markdown cell ``**Your answer to checkpoint 1a:** ...`` with at least three words of answer).

Without a working bubblewrap the grader refuses (:class:`SandboxUnavailable`) unless told ``sandbox=False``
(``--no-sandbox``): the verdicts are still decided outside, but the student's code then runs with your
permissions, so that is unsafe for submissions you do not trust.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from labcode.grade.notebook import (
    checkpoints,
    identify_lab,
    lab_named,
    missing_todos,
    notebooks_in,
    read_notebook,
    student_id,
)
from labcode.grade.report import GradeReport, TaskGrade, write_csv
from labcode.grade.running import run_notebook
from labcode.grade.sandbox import Limits, sandbox_problem
from labcode.labs import Lab, Verdict

__all__ = [
    "GradeReport",
    "Limits",
    "SandboxUnavailable",
    "TaskGrade",
    "grade_folder",
    "grade_notebook",
    "grade_paths",
    "identify_lab",
    "main",
    "write_csv",
]

NO_SANDBOX_FLAG = "--no-sandbox"
NOTEBOOK_TIMEOUTS = (
    4  # a notebook's whole run may take this many per-cell timeouts (an honest one takes ~1 s)
)


class SandboxUnavailable(RuntimeError):
    """No sandbox can be made on this machine, and grading without one was not asked for."""


def require_sandbox(sandbox: bool) -> None:
    """Raise SandboxUnavailable when ``sandbox`` is asked for and bubblewrap cannot isolate a process here."""
    problem = sandbox_problem() if sandbox else None
    if problem is not None:
        raise SandboxUnavailable(
            f"cannot grade in a sandbox: {problem}. {NO_SANDBOX_FLAG} (sandbox=False) grades without one, "
            "which is UNSAFE: the submissions' code then runs with your permissions"
        )


def _check_options(timeout: float, notebook_timeout: float | None, seed: int | None = None) -> None:
    """ValueError for a time limit that is not a positive number of seconds, or a seed that is not one of
    0 ... 2**32 - 1 (what the grader draws, and numpy accepts): the caller's mistakes."""
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**32):
        raise ValueError(f"seed must be an integer from 0 to {2**32 - 1}, got {seed!r}")
    for name, value in (("timeout", timeout), ("notebook_timeout", notebook_timeout)):
        if value is None and name == "notebook_timeout":
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < float("inf"):
            raise ValueError(f"{name} must be a positive number of seconds, got {value!r}")


def _not_graded(lab: Lab | None, reason: str, seed: int) -> list[TaskGrade]:
    """Every task of the lab (if known) at 0 points, with the reason the notebook could not be graded."""
    if lab is None:
        return []
    return [
        TaskGrade(Verdict(t.key, t.label, "not graded", reason, seed=seed), 0, t.points) for t in lab.tasks
    ]


def grade_notebook(
    path: str | Path,
    *,
    lab: str | None = None,
    seed: int | None = None,
    timeout: float = 60,
    student: str | None = None,
    sandbox: bool = True,
    limits: Limits | None = None,
    notebook_timeout: float | None = None,
) -> GradeReport:
    """Grade one submitted notebook (see the module docstring); never raises for a bad notebook.

    path: the .ipynb file. lab: "gradients" or "autodiff" (also "lab1"/"lab2"), or None to tell from the
    notebook (an unknown name raises ValueError: that is the caller's mistake, not the notebook's).
    seed: the seed of the random problems, or None for a fresh one. timeout: seconds per cell and per
    task. student: the id in the report (default: the file's stem). sandbox: run the student's code in
    bubblewrap (raises SandboxUnavailable where that is impossible); False is unsafe for untrusted code.
    limits: the student process's resource limits (default :class:`Limits`). notebook_timeout: seconds of
    wall time for the whole notebook, cells and tasks together (default ``NOTEBOOK_TIMEOUTS`` × timeout).
    """
    path = Path(path)
    _check_options(timeout, notebook_timeout, seed)
    seed = secrets.randbelow(2**32) if seed is None else int(seed)
    chosen = lab_named(lab) if lab is not None else None
    require_sandbox(sandbox)
    report = GradeReport(str(path), student or path.stem, None, "", seed)
    if chosen is not None:
        report.lab, report.lab_title, report.identified_by = chosen.key, chosen.title, "--lab"
    try:
        nb = read_notebook(path)
        found = identify_lab(nb) if chosen is None else (chosen, "--lab")
        answered = checkpoints(nb, found[0]) if found[0] is not None else {}
        missing = missing_todos(nb, found[0]) if found[0] is not None else []
        sources = [c.get("source", "") for c in nb.cells if c.get("cell_type") == "code"]
        if not all(isinstance(s, str) for s in sources):
            raise ValueError("a code cell's source is not text")
    except Exception as exc:  # noqa: BLE001 (a submission can be anything)
        report.error = f"not a readable notebook: {' '.join(str(exc).split())[:300] or type(exc).__name__}"
        report.tasks = _not_graded(chosen, report.error, seed)
        return report
    chosen, how = found
    if chosen is None:
        report.error = (
            "cannot tell which lab this is: no labcode metadata and too few task functions; pass --lab"
        )
        return report
    report.lab, report.lab_title, report.identified_by = chosen.key, chosen.title, how
    report.checkpoints = answered
    base = limits or Limits()
    limits = Limits(**{**base.__dict__, "cpu_seconds": max(base.cpu_seconds, int(4 * timeout) + 60)})
    try:
        budget = NOTEBOOK_TIMEOUTS * timeout if notebook_timeout is None else notebook_timeout
        run = run_notebook(nb, chosen, seed, timeout, isolate=sandbox, limits=limits, budget=budget)
    except Exception as exc:  # noqa: BLE001 (no process at all, say: still a report, not a traceback)
        report.error = f"could not run the notebook: {type(exc).__name__}: {exc}"
        report.tasks = _not_graded(chosen, report.error, seed)
        return report
    report.problems = [run.problems[i] for i in sorted(run.problems)]
    report.problems += [
        f"the `# {todo}` line was deleted: keep every TODO line (lab rule)" for todo in missing
    ]
    for task in chosen.tasks:
        verdict = run.verdicts.get(task.key)
        if verdict is None:  # (not `or`: an unsolved Verdict is falsy)
            reason = "the notebook's process kept dying before this task"
            verdict = Verdict(task.key, task.label, "not graded", reason, seed=seed)
        report.tasks.append(TaskGrade(verdict, task.points if verdict.solved else 0, task.points))
    return report


def _failed(job: tuple[Path, str, dict[str, Any]], exc: BaseException) -> GradeReport:
    """The report of a notebook whose grading itself failed: a row like any other, with the reason."""
    path, student, options = job
    seed = options.get("seed")
    seed = 0 if seed is None else int(seed)
    error = (
        f"the grader failed on this notebook ({type(exc).__name__}: {str(exc)[:300]}); grade it again alone"
    )
    report = GradeReport(str(path), student, None, "", seed, error=error)
    if options.get("lab") is not None:
        chosen = lab_named(options["lab"])
        report.lab, report.lab_title = chosen.key, chosen.title
        report.tasks = _not_graded(chosen, error, seed)
    return report


def _grade_one(job: tuple[Path, str, dict[str, Any]]) -> GradeReport:
    """One notebook's report, whatever happens (a bug of the grader included): a batch never stops at one."""
    path, student, options = job
    try:
        return grade_notebook(path, student=student, **options)
    except SandboxUnavailable:
        raise  # no notebook can be graded: the caller's to handle (grade_paths checks the lab's name before)
    except Exception as exc:  # noqa: BLE001
        return _failed(job, exc)


def grade_paths(jobs: Sequence[tuple[Path, str]], *, workers: int = 1, **options: Any) -> list[GradeReport]:
    """Grade ``(notebook, student id)`` pairs, ``workers`` at a time (processes); reports in the same order.

    Every pair gets a report: when a worker process dies (the machine's OOM killer, say), the notebooks it
    took down with it are graded again, each alone in a fresh process; one that fails again gets a "the grader
    failed" row, and the others are still graded.
    """
    require_sandbox(options.get("sandbox", True))
    # The caller's mistakes raise before anything is graded (later, each notebook's failure is its own row).
    if options.get("lab") is not None:
        lab_named(options["lab"])
    _check_options(options.get("timeout", 60), options.get("notebook_timeout"), options.get("seed"))
    work = [(Path(p), student, options) for p, student in jobs]
    workers = min(workers, len(work))  # never more processes than notebooks
    if workers <= 1 or len(work) <= 1:
        return [_grade_one(job) for job in work]
    reports: list[GradeReport | None] = []
    with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:
        futures = [pool.submit(_grade_one, job) for job in work]
        for job, future in zip(work, futures, strict=True):
            try:
                reports.append(future.result())
            except SandboxUnavailable:
                raise
            except BrokenProcessPool:
                reports.append(None)  # a worker died: maybe with this notebook, maybe beside it
            except Exception as exc:  # noqa: BLE001
                reports.append(_failed(job, exc))
    for i, report in enumerate(reports):
        if report is None:  # once more, alone in a fresh process, so that one death costs one row
            with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as alone:
                try:
                    reports[i] = alone.submit(_grade_one, work[i]).result()
                except SandboxUnavailable:
                    raise
                except Exception as exc:  # noqa: BLE001
                    reports[i] = _failed(work[i], exc)
    return [report for report in reports if report is not None]


def grade_folder(folder: str | Path, *, jobs: int = 1, **options: Any) -> list[GradeReport]:
    """Grade every notebook under ``folder`` (``folder/alice.ipynb`` or ``folder/alice/.../lab.ipynb``).

    The student id is the file's stem, or the name of the first sub-folder. ``options`` go to
    :func:`grade_notebook`; one seed serves the whole folder, so every student gets the same problems.
    jobs: how many notebooks are graded at once, each in a process of its own ("spawn": a script that
    calls this with jobs > 1 must do so under ``if __name__ == "__main__":``).
    """
    folder = Path(folder)
    options.setdefault("seed", secrets.randbelow(2**32))
    paths = [(p, student_id(p, folder)) for p in notebooks_in(folder)]
    return grade_paths(paths, workers=jobs, **options)


def main(argv: Sequence[str] | None = None) -> int:
    """The command line (:mod:`labcode.grade.cli`)."""
    from labcode.grade.cli import main as cli_main

    return cli_main(argv)
