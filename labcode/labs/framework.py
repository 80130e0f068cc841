"""The lab framework: a lab, its tasks, their verdicts and the progress the checks record.

A lab is a :class:`Lab`: a title and a few :class:`Task` objects. A task names the functions (or
classes) the student writes and has an ``evaluate(rng, *objects)`` that tries them on fresh random
problems drawn from ``rng``. ``evaluate`` returns a short note when everything is right and raises
:class:`Fail` on the first thing that is wrong; :meth:`Lab.run` turns that, an unfinished function
(:class:`NotAttempted`) or any exception into a :class:`Verdict`. Nothing a student's code does can make
a check raise: a check that crashed would hide the very hint it exists to give. The tools the checks use
to call the student's code and compare its answers are in :mod:`labcode.labs.checking`.
"""

from __future__ import annotations

import re
import textwrap
import traceback
import warnings
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

__all__ = ["STATUSES", "Fail", "Lab", "NotAttempted", "Progress", "Task", "Verdict", "exception_hint"]

STATUSES: dict[str, str] = {
    "solved": "the task passes every check",
    "wrong": "the code runs but gives a wrong answer",
    "error": "the code raised an exception, or returned something that is not an answer",
    "not attempted": "the function still raises NotImplementedError (or returns None)",
    # The three below come from the grader only: they need a separate process to happen.
    "missing": "the function is not defined in the notebook: renamed, or its cell deleted",
    "timeout": "the function ran longer than the time limit (an infinite loop?)",
    "not graded": "the notebook could not be run (invalid file, a process that kept dying, unknown lab)",
}

SYMBOLS = {"solved": "✓", "not attempted": "·"}  # everything else is a ✗
WIDTH = 78  # a printed verdict's lines fit a notebook cell and the book's page


class Fail(Exception):
    """Raised by a task's ``evaluate`` on the first thing that is wrong; becomes the verdict."""

    def __init__(
        self,
        message: str,
        hint: str = "",
        *,
        kind: str | None = None,
        factor: float | None = None,
        status: str = "wrong",
    ) -> None:
        super().__init__(message)
        self.message, self.hint, self.kind, self.factor, self.status = message, hint, kind, factor, status


class NotAttempted(Exception):
    """A student's function still raises NotImplementedError, or returns None."""


@dataclass(frozen=True)
class Verdict:
    """What a check found for one task.

    ``status`` is one of ``STATUSES``; ``message`` says what was found (a gradcheck diagnosis, a shape,
    the last line of an exception) and ``hint`` what to try. ``kind`` and ``factor`` are those of the
    gradcheck result behind the message, when there is one. ``seed`` makes the random problems of the
    check reproducible. A Verdict is truthy iff the task is solved.

    In a notebook a Verdict displays as nothing: the check that made it has printed it already, and the
    check is usually the last line of its cell. ``print(verdict)`` shows it again.
    """

    task: str
    title: str
    status: str
    message: str = ""
    hint: str = ""
    kind: str | None = None
    factor: float | None = None
    seed: int | None = None
    note: str = ""

    @property
    def solved(self) -> bool:
        return self.status == "solved"

    def __bool__(self) -> bool:
        return self.solved

    def headline(self) -> str:
        """One line: the symbol, the task and the status (with the note of a solved task)."""
        symbol = SYMBOLS.get(self.status, "✗")
        text = {"wrong": "not solved yet", "not attempted": "not attempted yet"}.get(self.status, self.status)
        extra = f" ({self.note})" if self.note and self.solved else ""
        return f"{symbol} {self.title}: {text}{extra}"

    def __str__(self) -> str:
        """The headline, then the message, the hint and the seed, wrapped to fit a notebook (WIDTH)."""
        parts = [self.message, f"Hint: {self.hint}" if self.hint else ""]
        if self.seed is not None and self.status in ("wrong", "error"):
            parts.append(f"(random problem seed {self.seed}: pass seed={self.seed} to repeat this check)")
        lines = [self.headline()]
        for part in filter(None, parts):
            lines += textwrap.wrap(
                part,
                WIDTH,
                initial_indent="  ",
                subsequent_indent="    ",
                break_long_words=False,
                break_on_hyphens=False,
            )
        return "\n".join(lines)

    def _ipython_display_(self) -> None:
        """Show nothing: the check printed this verdict already (see the class docstring)."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Task:
    """One task of a lab: the names the student defines and the check that tries them.

    key: a short identifier ("mse"); number: its place in the lab (1, 2, ...); functions: the names the
    student's notebook must define, in the order ``evaluate`` takes them; points: what the grader awards
    when it is solved. ``evaluate(rng, *objects)`` returns a note for a solved task and raises
    :class:`Fail`/:class:`NotAttempted` otherwise. ``todo`` is the marker comment that heads the task's
    TODO cell ("TODO 2"), which the student must keep.
    """

    key: str
    number: int
    title: str
    functions: tuple[str, ...]
    points: int
    evaluate: Callable[..., str]
    stretch: bool = False

    @property
    def label(self) -> str:
        return f"Task {self.number}{' (stretch)' if self.stretch else ''}, {self.title}"

    @property
    def todo(self) -> str:
        return f"TODO {self.number}"


class Progress:
    """The latest verdict of every task of a lab; the checks update it, the last cell prints it.

    Its text is ``"3/5 tasks solved"`` followed by one line per task. A task counts as solved when its
    *latest* check passed: re-running a check after breaking the code takes the task off the count.
    """

    def __init__(self, tasks: tuple[Task, ...]) -> None:
        self.tasks = tasks
        self.verdicts: dict[str, Verdict] = {}

    def record(self, verdict: Verdict) -> None:
        self.verdicts[verdict.task] = verdict

    def reset(self) -> None:
        self.verdicts.clear()

    @property
    def solved(self) -> int:
        return sum(1 for v in self.verdicts.values() if v.solved)

    def summary(self) -> str:
        return f"{self.solved}/{len(self.tasks)} tasks solved"

    def __repr__(self) -> str:
        lines = [self.summary()]
        for task in self.tasks:
            verdict = self.verdicts.get(task.key)
            status = "not checked yet" if verdict is None else verdict.status
            symbol = "·" if verdict is None else SYMBOLS.get(verdict.status, "✗")
            lines.append(f"  {symbol} {task.label}: {status}")
        return "\n".join(lines)


class Lab:
    """A lab: its tasks, their checks, the progress those checks record, and its checkpoint questions."""

    def __init__(
        self, key: str, title: str, tasks: tuple[Task, ...], checkpoints: tuple[str, ...] = ()
    ) -> None:
        self.key, self.title, self.tasks = key, title, tasks
        self.checkpoints = checkpoints  # the ids of the questions answered in words ("1a", "3b", ...)
        self.progress = Progress(tasks)
        self._by_key = {task.key: task for task in tasks}

    def task(self, key: str) -> Task:
        if key not in self._by_key:
            raise ValueError(
                f"unknown task {key!r} of lab {self.key!r}; choose one of {', '.join(self._by_key)}"
            )
        return self._by_key[key]

    @property
    def max_points(self) -> int:
        return sum(task.points for task in self.tasks)

    def run(self, key: str, *objects: Any, seed: int | None = None) -> Verdict:
        """Evaluate task ``key`` on the student's ``objects`` with random problems from ``seed``.

        Never raises for anything the student's code does; records nothing, prints nothing.
        seed: None draws a fresh one (kept in the verdict, so a failure can be repeated).
        """
        task = self.task(key)
        if seed is None:
            seed = int(np.random.SeedSequence().entropy % 2**32)
        base = {"task": task.key, "title": task.label, "seed": seed}
        try:
            # Students' code may overflow or warn; the check reports what matters (nan, inf) itself.
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                note = task.evaluate(np.random.default_rng(seed), *objects)
        except (NotAttempted, NotImplementedError) as exc:
            if not isinstance(exc, NotAttempted):  # raised where no call() wrapped it
                exc = NotAttempted(
                    f"still raises NotImplementedError ({exc})"
                    if str(exc)
                    else "still raises NotImplementedError"
                )
            hint = (
                "replace the `raise NotImplementedError(...)` line with your code, then run this cell again"
            )
            other = re.search(r"TODO (\d+)", str(exc))
            if other and int(other.group(1)) != task.number:
                hint = f"this task uses your code from task {other.group(1)}, which is not finished yet: do that first"
            return Verdict(status="not attempted", message=str(exc), hint=hint, **base)
        except Fail as exc:
            return Verdict(
                status=exc.status,
                message=exc.message,
                hint=exc.hint,
                kind=exc.kind,
                factor=exc.factor,
                **base,
            )
        except (Exception, SystemExit) as exc:  # a student's object misbehaved somewhere we did not wrap
            return Verdict(status="error", message=_last_line(exc), hint=exception_hint(exc), **base)
        return Verdict(status="solved", note=note, **base)

    def check(self, key: str, *objects: Any, seed: int | None = None, quiet: bool = False) -> Verdict:
        """What the notebook's check cells call: run, record in the progress, print the verdict."""
        verdict = self.run(key, *objects, seed=seed)
        self.progress.record(verdict)
        if not quiet:
            print(f"{verdict}\n  Progress: {self.progress.summary()}")
        return verdict

    def grade(self, key: str, namespace: Mapping[str, Any], seed: int) -> Verdict:
        """What the grader calls: look the task's names up in ``namespace``, then run.

        The grader (:mod:`labcode.grade.running`) passes stand-ins for the student's objects, which live in
        another process; a missing name gives the verdict "missing".
        """
        task = self.task(key)
        missing = [name for name in task.functions if name not in namespace]
        if missing:
            names = " and ".join(f"`{name}`" for name in missing)
            return Verdict(
                task=task.key,
                title=task.label,
                status="missing",
                message=f"{names} {'is' if len(missing) == 1 else 'are'} not defined in the notebook",
                hint=f"keep the names of the {task.todo} cell as they are: was a function renamed or its cell deleted?",
                seed=seed,
            )
        return self.run(key, *(namespace[name] for name in task.functions), seed=seed)


# ---------------------------------------------------------------------------------------------------------
# Calling the student's code


def _last_line(exc: BaseException) -> str:
    """The exception as Python's last traceback line prints it: ``ValueError: shapes (3,) and (4,) ...``."""
    text = traceback.format_exception_only(type(exc), exc)[-1].strip()
    return text if len(text) <= 300 else text[:297] + "..."


def exception_hint(exc: BaseException) -> str:
    """Generic advice for an exception from a student's function."""
    text = str(exc)
    if isinstance(exc, SystemExit):
        return "do not call sys.exit() or exit() in a lab: return a value instead"
    if isinstance(exc, RecursionError):
        return "a function calls itself without end, or recurses once per node of a deep graph: use a loop"
    if isinstance(exc, NameError):
        return "a name is used before it is defined: run the notebook top to bottom (Restart & Run all)"
    if isinstance(exc, (ValueError, IndexError)) and re.search(
        r"shape|broadcast|align|dimension|index", text
    ):
        return "a shape mismatch: print the shapes of your arrays; X is (n, d), w is (d,), y is (n,)"
    if isinstance(exc, TypeError) and "unsupported operand" in text:
        return "an operator is not defined for these types (a missing __radd__ or __rmul__?)"
    return "read the exception's message; run your function on a small example to reproduce it"
