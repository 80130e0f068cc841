"""Running a notebook in the student's process and grading its tasks from the trusted one.

:func:`run_notebook` starts a :class:`~labcode.grade.sandbox.Sandbox`, sends it the notebook's code cells one
by one (each under a time limit), then grades every task: the lab's check (:mod:`labcode.labs`) runs here,
in the grader's process, on :class:`~labcode.grade.remote.Remote` stand-ins for the student's functions, so
each call becomes a request and only plain data comes back. A cell or a call that kills the student's
process, or runs past its deadline, costs that cell (skipped from then on) or that task (a verdict); a fresh
process re-runs the other cells and grades the remaining tasks.
"""

from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass, field
from typing import Any

from labcode.grade.notebook import cell_name
from labcode.grade.remote import MAX_TOTAL, Channel, Remote, SandboxGone
from labcode.grade.sandbox import Limits, Sandbox
from labcode.labs import Lab, Verdict
from labcode.labs.framework import _last_line, exception_hint

__all__ = ["Run", "run_notebook"]

MAX_STARTS = 4  # student processes per notebook: the first, and one more per cell or call that ended one
GRACE = 5  # seconds a cell may run past its soft limit (an interrupt) before its process is killed
REFERENCE_HINT = (
    "write it yourself (numpy is allowed): labcode's implementation is there to check your answer in class, "
    "and it is not available while grading"
)


@dataclass
class Run:
    """What the runs of one notebook found, accumulated over fresh processes.

    ``deadline`` (time.monotonic) ends the notebook's wall-time budget, cells and tasks together, over all
    its processes; ``received`` counts the bytes its processes sent (:data:`labcode.grade.remote.MAX_TOTAL`).
    """

    skip: set[int] = field(default_factory=set)  # cells that ended a process
    problems: dict[int, str] = field(default_factory=dict)  # cell index -> what went wrong there
    verdicts: dict[str, Verdict] = field(default_factory=dict)
    deadline: float = math.inf
    received: int = 0
    budget: float = math.inf  # seconds, for the report


def _run_cell(sandbox: Sandbox, nb: Any, index: int, run: Run, timeout: float) -> None:
    channel = sandbox.channel
    channel.deadline = time.monotonic() + timeout + GRACE
    try:
        reply = channel.request(
            {"op": "run_cell", "source": nb.cells[index].get("source", ""), "timeout": timeout}, full=True
        )
    except SandboxGone as gone:
        if gone.reason == "budget":
            run.problems[index] = f"{cell_name(nb, index)} was running when {_budget_text(run, gone)}"
            raise
        run.skip.add(index)
        what = {
            "timeout": f"ran longer than {timeout:g} s and could not be interrupted",
            "protocol": "wrote to the grader's pipe" + (f" ({gone.detail})" if gone.detail else ""),
        }.get(gone.reason, "stopped the notebook's process (os._exit? exit()? a crash?)")
        run.problems[index] = f"{cell_name(nb, index)} {what}; it was skipped"
        raise
    except Exception as exc:  # noqa: BLE001 (an error instead of a cell's status: a patched driver, say)
        run.problems[index] = f"{cell_name(nb, index)} got an error instead of a status: {_last_line(exc)}"
        return
    status = reply.get("status")
    if status == "timeout":
        run.problems[index] = (
            f"{cell_name(nb, index)} ran longer than {timeout:g} s and was interrupted (an infinite loop?)"
        )
    elif status == "exit":
        run.problems[index] = f"{cell_name(nb, index)} called sys.exit(); the notebook must run top to bottom"
    elif status == "error":
        ename, evalue = str(reply.get("ename", "Error"))[:80], " ".join(str(reply.get("evalue", "")).split())
        run.problems[index] = f"{cell_name(nb, index)} raised {ename}: {evalue[:200]}"


def _reference_verdict(verdict: Verdict, names: str, used: list[tuple[str, str]]) -> Verdict:
    """The verdict of a task whose functions called labcode's reference implementations."""
    calls = "; ".join(f"{who or names} calls {what}" for who, what in dict.fromkeys(used))
    return Verdict(
        task=verdict.task,
        title=verdict.title,
        status="error",
        message=f"{calls}; the lab asks you to write it",
        hint=REFERENCE_HINT,
        kind="reference",
        seed=verdict.seed,
    )


def _grade_task(sandbox: Sandbox, run: Run, lab: Lab, key: str, seed: int, timeout: float) -> Verdict:
    """Look the task's names up in the student's process, then run the lab's check here on stand-ins."""
    task = lab.task(key)
    names = ", ".join(task.functions)
    channel = sandbox.channel
    channel.references, channel.callbacks, channel.calling = [], {}, []
    channel.deadline = time.monotonic() + timeout
    base = {"task": key, "title": task.label, "seed": seed}
    try:
        try:
            namespace = _lookup(channel, task.functions)
        except Exception as exc:  # noqa: BLE001 (a student's object that raises when it is looked at)
            verdict = Verdict(
                status="error",
                message=f"looking up {names} in the notebook raised {_last_line(exc)}",
                hint="define each name of the TODO cell as a plain function or class",
                **base,
            )
        else:
            verdict = lab.grade(key, namespace, seed)
            if verdict.status == "error" and " raised SystemExit" in verdict.message:
                # It crossed as a plain error (never a real SystemExit here): give in-process's advice.
                verdict = dataclasses.replace(verdict, hint=exception_hint(SystemExit()))
        try:
            channel.request({"op": "release"})
        except Exception:  # noqa: BLE001 (the verdict stands; a fresh process starts if this one is gone)
            pass
    except SandboxGone as gone:
        # Record the verdict before a fresh process grades the other tasks, so this one is not retried.
        if gone.reason == "timeout":
            run.verdicts[key] = Verdict(
                status="timeout",
                message=f"calling {names} on fresh inputs did not finish within {timeout:g} s",
                hint="an infinite loop? a while loop whose condition never changes, or a recursion without end",
                **base,
            )
        elif gone.reason == "protocol":
            what = gone.detail or "something that is not an answer (a write to the grader's pipe?)"
            run.verdicts[key] = Verdict(
                status="error",
                message=f"while {names} ran, the notebook's process sent the grader {what}",
                hint="a function must return its result, a number or a small array; the grader reads nothing else",
                **base,
            )
        elif gone.reason == "budget":
            run.verdicts[key] = Verdict(
                status="timeout",
                message=f"{names} was being graded when {_budget_text(run, gone)}",
                hint="the whole notebook must run in that time: look for cells or functions that sleep or loop",
                **base,
            )
        else:
            run.verdicts[key] = Verdict(
                status="error",
                message=f"calling {names} stopped the notebook's process (os._exit? exit()? a crash? memory?)",
                hint="a function must return its result, never end the process",
                **base,
            )
        if channel.references:
            run.verdicts[key] = _reference_verdict(run.verdicts[key], names, channel.references)
        raise
    if channel.references:
        verdict = _reference_verdict(verdict, names, channel.references)
    return verdict


def _budget_text(run: Run, gone: SandboxGone) -> str:
    """What ran out, for a report: the notebook's wall time or the bytes it may send."""
    if gone.detail == "bytes":
        return (
            f"the notebook's process had sent the grader {MAX_TOTAL // 2**20} MB, its limit for the notebook"
        )
    return f"the notebook used up its {run.budget:g} s of wall time (all its cells and tasks together)"


def _lookup(channel: Channel, names: tuple[str, ...]) -> dict[str, Any]:
    """The student's objects of these names, as data or Remote stand-ins (a missing name is left out)."""
    reply = channel.request({"op": "lookup", "names": list(names)}, full=True)
    found = reply.get("found")
    if not isinstance(found, dict):
        raise SandboxGone("protocol")
    namespace: dict[str, Any] = {}
    for name in names:
        if name in found:
            namespace[name] = channel.decode(found[name])
            if isinstance(namespace[name], Remote):
                object.__setattr__(namespace[name], "_name", name)
    return namespace


def _one_process(
    nb: Any, lab: Lab, seed: int, timeout: float, run: Run, *, isolate: bool, limits: Limits
) -> None:
    """One fresh student process: run the cells (but the skipped ones), then grade the ungraded tasks."""
    sandbox = Sandbox(isolate=isolate, limits=limits, deadline=run.deadline)
    sandbox.channel.received = run.received
    try:
        for index, cell in enumerate(nb.cells):
            if cell.get("cell_type") == "code" and index not in run.skip and cell.get("source", "").strip():
                _run_cell(sandbox, nb, index, run, timeout)
        for task in lab.tasks:
            if task.key not in run.verdicts:
                run.verdicts[task.key] = _grade_task(sandbox, run, lab, task.key, seed, timeout)
    finally:
        run.received = sandbox.channel.received
        sandbox.close()


def run_notebook(
    nb: Any, lab: Lab, seed: int, timeout: float, *, isolate: bool, limits: Limits, budget: float = math.inf
) -> Run:
    """Run ``nb`` and grade ``lab``'s tasks on it (see the module docstring); never raises for the notebook.

    budget: seconds of wall time for the whole notebook, every cell and task and fresh process included;
    when it runs out, the tasks not graded yet get the status "timeout" saying so.
    """
    run = Run(deadline=time.monotonic() + budget, budget=budget)
    for _ in range(MAX_STARTS):
        try:
            _one_process(nb, lab, seed, timeout, run, isolate=isolate, limits=limits)
            break
        except SandboxGone as gone:
            if gone.reason == "budget":
                for task in lab.tasks:
                    run.verdicts.setdefault(
                        task.key,
                        Verdict(
                            task.key,
                            task.label,
                            "timeout",
                            f"not graded: {_budget_text(run, gone)}",
                            "the whole notebook must run in that time: look for cells that sleep or loop",
                            seed=seed,
                        ),
                    )
                break
    return run
