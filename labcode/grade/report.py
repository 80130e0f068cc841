"""Grade reports and their formats: a table of text, Markdown (for a job summary), JSON, and CSV for a folder."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from labcode.grade.quoting import CSV_QUOTING, MAX_NAME, csv_cell, markdown, terminal
from labcode.labs import Verdict

__all__ = ["GradeReport", "TaskGrade", "write_csv"]

# Notes printed per report: a notebook of 100,000 failing cells must not make a job summary over GitHub's 1 MB.
MAX_NOTES = 20


@dataclass(frozen=True)
class TaskGrade:
    """One task's grade: the verdict of its check (:class:`labcode.labs.Verdict`) and the points it earns."""

    verdict: Verdict
    points: int
    max_points: int

    @property
    def key(self) -> str:
        return self.verdict.task

    @property
    def title(self) -> str:
        return self.verdict.title

    @property
    def status(self) -> str:
        return self.verdict.status

    @property
    def message(self) -> str:
        return self.verdict.message

    @property
    def hint(self) -> str:
        return self.verdict.hint

    @property
    def kind(self) -> str | None:
        return self.verdict.kind

    @property
    def factor(self) -> float | None:
        return self.verdict.factor

    @property
    def solved(self) -> bool:
        return self.verdict.solved

    def to_dict(self) -> dict[str, Any]:
        """The verdict's fields (its ``seed`` left out: the report has it), plus points and max_points."""
        out = {k: v for k, v in self.verdict.to_dict().items() if k != "seed"}
        return {**out, "points": self.points, "max_points": self.max_points}


@dataclass
class GradeReport:
    """The grade of one notebook: its tasks, the lab-sheet rules, and how it was graded.

    ``problems`` lists what went wrong while running the notebook (a cell that raised, timed out or
    ended the process; a deleted TODO line). ``checkpoints`` maps each checkpoint question to whether it
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
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out["tasks"] = [t.to_dict() for t in self.tasks]
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

    def _notes(self) -> list[str]:
        """The problems a report prints: the first MAX_NOTES, then how many more (all are in to_dict)."""
        more = len(self.problems) - MAX_NOTES
        return self.problems[:MAX_NOTES] + ([f"and {more} more (see --json)"] if more > 0 else [])

    def to_text(self) -> str:
        """The per-task table (task, points, verdict, hint), the total, and the notes.

        Every string is quoted for a terminal (:func:`labcode.grade.quoting.terminal`): a student's text
        cannot move the cursor, colour the table or start a line of its own."""
        name, who = terminal(Path(self.path).name, MAX_NAME), terminal(self._who(), MAX_NAME)
        lines = [f"{name}{who} · {terminal(self.lab_title or 'unknown lab')} · seed {self.seed}"]
        if self.error:
            lines.append(f"not graded: {terminal(self.error)}")
        rows = [("task", "points", "verdict", "hint")]
        for t in self.tasks:
            detail = " ".join(part for part in (t.message, f"Hint: {t.hint}" if t.hint else "") if part)
            rows.append(
                (terminal(t.title), f"{t.points}/{t.max_points}", terminal(t.status), terminal(detail))
            )
        widths = [max(len(r[i]) for r in rows) for i in range(3)]
        for row in rows:
            lines.append(
                "  ".join(cell.ljust(w) for cell, w in zip(row[:3], widths, strict=True)) + "  " + row[3]
            )
        lines.append(f"total {self.points}/{self.max_points}")
        if self.checkpoints:
            lines.append(
                "checkpoint questions (answered in words, not graded automatically): "
                + terminal(self._checkpoint_line())
            )
        lines += [f"note: {terminal(p)}" for p in self._notes()]
        return "\n".join(line.rstrip() for line in lines)

    def to_markdown(self) -> str:
        """The same as :meth:`to_text`, as Markdown (for $GITHUB_STEP_SUMMARY).

        Every string is quoted for Markdown (:func:`labcode.grade.quoting.markdown`): the only headings,
        table rows, totals, links and HTML in the rendered page are the grader's own."""
        status = "passed" if self.passed else "not passed yet"
        name, who = markdown(Path(self.path).name, MAX_NAME), markdown(self._who(), MAX_NAME)
        lines = [
            f"### {name}: {self.points}/{self.max_points} ({status})",
            "",
            f"{markdown(self.lab_title or 'unknown lab')}{who} · seed {self.seed}",
            "",
        ]
        if self.error:
            lines += [f"**Not graded:** {markdown(self.error)}", ""]
        if self.tasks:
            lines += ["| task | points | verdict | hint |", "|---|---|---|---|"]
            for t in self.tasks:
                mark = "✅" if t.solved else "·" if t.status == "not attempted" else "❌"
                detail = markdown(t.message) + (f"<br>*Hint:* {markdown(t.hint)}" if t.hint else "")
                lines.append(
                    f"| {markdown(t.title)} | {t.points}/{t.max_points} | {mark} {markdown(t.status)} | {detail} |"
                )
            lines += ["", f"**Total: {self.points}/{self.max_points}**"]
        if self.checkpoints:
            lines += [
                "",
                f"Checkpoint questions (not graded automatically): {markdown(self._checkpoint_line())}",
            ]
        if self.problems:
            lines += ["", "Notes:", ""] + [f"- {markdown(p)}" for p in self._notes()]
        return "\n".join(lines) + "\n"


def write_csv(reports: Sequence[GradeReport], path: str | Path) -> None:
    """One row per notebook: student, lab, points, max_points, one column of points per task, and notes.

    Text cells are quoted (:func:`labcode.grade.quoting.csv_cell`): none is a formula in a spreadsheet.
    """
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
        writer = csv.writer(handle, quoting=CSV_QUOTING)
        writer.writerow([csv_cell(h) for h in header])
        for r in reports:
            points = {f"{r.lab}:{t.key}": t.points for t in r.tasks}
            answered = sum(r.checkpoints.values())
            notes = "; ".join(([r.error] if r.error else []) + r._notes())
            row = [
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
            writer.writerow([csv_cell(cell, 2000) for cell in row])
