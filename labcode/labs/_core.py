"""Verdicts, hints and progress: the machinery every lab's checks share.

A lab is a :class:`Lab`: a title and a few :class:`Task` objects. A task names the functions (or
classes) the student writes and has an ``evaluate(rng, *objects)`` that tries them on fresh random
problems drawn from ``rng``. ``evaluate`` returns a short note when everything is right and raises
:class:`Fail` on the first thing that is wrong; :meth:`Lab.run` turns that, an unfinished function
(:class:`NotAttempted`) or any exception into a :class:`Verdict`. Nothing a student's code does can make
a check raise: a check that crashed would hide the very hint it exists to give.

Where do the hints come from? Gradients are compared with :func:`labcode.gradcheck.check_gradient`,
whose ``kind`` and ``factor`` say *how* they differ (shape, sign, a factor of 2 or n, a transpose, some
coordinates); each task maps those to advice in its own words (:func:`hint_for`). Other arrays (a
Hessian, softmax probabilities, a loss value) are compared with :func:`compare`, which asks the same
checker: the gradient of the linear function ``x -> <expected, x>`` is ``expected``, so
``check_gradient`` of that function against ``x -> got`` diagnoses ``got`` against ``expected``.
"""

from __future__ import annotations

import json
import math
import re
import textwrap
import traceback
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from labcode._checks import as_float_array, shape_str
from labcode.gradcheck import GradCheckResult, check_gradient

__all__ = [
    "STATUSES",
    "Fail",
    "Known",
    "Lab",
    "NotAttempted",
    "Progress",
    "Task",
    "Verdict",
    "call",
    "compare",
    "expect",
    "expect_finite",
    "gradient_check",
    "hint_for",
]

STATUSES: dict[str, str] = {
    "solved": "the task passes every check",
    "wrong": "the code runs but gives a wrong answer",
    "error": "the code raised an exception, or returned something that is not an answer",
    "not attempted": "the function still raises NotImplementedError (or returns None)",
    # The three below come from the grader only: they need a kernel to happen.
    "missing": "the function is not defined in the notebook: renamed, or its cell deleted",
    "timeout": "the function ran longer than the time limit (an infinite loop?)",
    "not graded": "the notebook could not be run (invalid file, dead kernel, unknown lab)",
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
        """What the grader calls inside the student's kernel: look the task's names up, then run."""
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

    def grade_json(self, key: str, namespace: Mapping[str, Any], seed: int) -> str:
        return json.dumps(self.grade(key, namespace, seed).to_dict())


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


def call(name: str, fn: Any, *args: Any, allow_none: bool = False, **kwargs: Any) -> Any:
    """``fn(*args, **kwargs)`` for a student's ``fn``, with its failures turned into verdicts.

    NotImplementedError -> :class:`NotAttempted`; returning None -> NotAttempted too (a skeleton that
    returns None, or a forgotten ``return``) unless ``allow_none``; any other exception -> a
    :class:`Fail` with status "error" quoting the exception's last line. ``name`` is how the message
    names the function, e.g. ``"mse_grad(w, X, y)"``.
    """
    if not callable(fn):
        raise Fail(
            f"{name.split('(')[0]} should be a function, but it is a {type(fn).__name__}",
            "keep the `def` line of the TODO cell as it is",
            status="error",
        )
    try:
        out = fn(*args, **kwargs)
    except NotImplementedError as exc:
        detail = f" ({exc})" if str(exc) else ""
        raise NotAttempted(f"{name} still raises NotImplementedError{detail}") from None
    except (Exception, SystemExit) as exc:
        raise Fail(f"{name} raised {_last_line(exc)}", exception_hint(exc), status="error") from None
    if out is None and not allow_none:
        raise NotAttempted(f"{name} returned None: not written yet, or a `return` statement is missing")
    return out


def as_number(name: str, value: Any, hint: str = "") -> float:
    """A student's scalar result as a float, or a Fail that says what it was instead."""
    try:
        arr = as_float_array(value, name)
    except TypeError as exc:
        raise Fail(f"{exc}", hint or "return a float", status="error") from None
    if arr.shape != ():
        raise Fail(
            f"{name} returned an array of shape {shape_str(arr.shape)}, expected a number",
            hint or "a loss is one number: average the per-example terms with np.mean",
            kind="shape",
            status="error",
        )
    return float(arr)


# ---------------------------------------------------------------------------------------------------------
# Comparing with gradcheck's diagnoses


def hint_for(result: GradCheckResult, hints: Mapping[str, str], n: int | None = None) -> str:
    """The advice for a failed check, looked up by what gradcheck found.

    Keys, most specific first: ``"factor:2"``, ``"factor:0.5"``, ``"factor:n"`` (the factor equals
    ``n``, the number of examples), ``"factor:1/n"``, then the kind itself (``"sign"``, ``"shape"``,
    ``"factor"``, ``"transpose"``, ``"nonfinite"``, ``"zero"``, ``"partial"``, ``"error"``, ...), then
    ``"default"``.
    """
    keys = []
    c = result.factor
    kind = "wrong" if _near_one(result) else result.kind
    if c is not None and kind == "factor" and c != 0:

        def near(target: float) -> bool:
            return abs(c - target) <= 1e-3 * abs(target)

        keys += [key for key, ok in (("factor:2", near(2.0)), ("factor:0.5", near(0.5))) if ok]
        if n is not None:
            keys += [key for key, ok in (("factor:n", near(n)), ("factor:1/n", near(1 / n))) if ok]
    keys += [kind, "default"]
    return next((hints[key] for key in keys if key in hints), "")


def _near_one(result: GradCheckResult) -> bool:
    """A "factor" of 1.000002 is no factor: a small error that happens to follow the values' pattern."""
    return result.kind == "factor" and result.factor is not None and abs(result.factor - 1) < 1e-3


_GRAD_WORD = re.compile(r"\bgrad\b")


def gradient_check(
    name: str,
    f: Callable[[Any], float],
    grad: Callable[[Any], Any],
    w: Any,
    hints: Mapping[str, str],
    *,
    n: int | None = None,
    rtol: float | None = None,
    known: Sequence[Known] = (),
) -> GradCheckResult:
    """Check a student's gradient ``grad`` of the reference loss ``f`` at ``w`` with check_gradient.

    ``grad`` is first called once directly, so that an unfinished function reads "not attempted"
    rather than "grad raised NotImplementedError". Raises :class:`Fail` naming the first of the
    ``known`` mistakes that grad(w) matches, else with gradcheck's diagnosis (its word "grad" replaced
    by ``name``) and the hint from ``hints`` (see :func:`hint_for`).
    """
    call(name, grad, w)
    result = check_gradient(f, grad, w, rtol=rtol)
    if result.ok:
        return result
    _name_known_mistake(result.analytic, result, known)
    raise Fail(
        _GRAD_WORD.sub(name, result.diagnosis, count=1),
        hint_for(result, hints, n),
        kind=result.kind,
        factor=result.factor,
        status="error" if result.kind == "error" else "wrong",
    )


def compare(got: Any, expected: Any, *, rtol: float = 1e-8) -> GradCheckResult:
    """Diagnose an array ``got`` against the array ``expected`` with gradcheck (see the module docstring).

    Returns the GradCheckResult: ``ok`` when they agree to ``rtol`` relative to the larger; otherwise
    ``kind`` ("shape", "transpose", "nonfinite", "zero", "sign", "factor", "partial", "wrong"),
    ``factor`` (got / expected) and ``wrong_parts`` (coordinates named ``w[i, j]``) say how they differ.
    ``got`` may be anything the student returned; ``expected`` must be finite.
    """
    expected = np.asarray(expected, dtype=np.float64)

    def linear(x: np.ndarray) -> float:
        return float(np.sum(expected * x))

    return check_gradient(linear, lambda _: got, np.zeros(expected.shape), rtol=rtol)


@dataclass(frozen=True)
class Known:
    """A wrong answer common enough to be named: when the student's output matches ``test``, the
    verdict says ``message`` and ``hint`` instead of a generic diagnosis.

    ``test`` is the array that mistake produces, or a predicate on the output (as a float array).
    """

    test: Any
    message: str
    hint: str


def _name_known_mistake(got: Any, result: GradCheckResult, known: Sequence[Known]) -> None:
    """Raise the Fail of the first known mistake ``got`` matches (not for shapes, errors or nan)."""
    if result.kind in ("shape", "transpose", "error", "nonfinite") or got is None:
        return
    for mistake in known:
        try:
            if callable(mistake.test):
                hit = bool(mistake.test(np.asarray(got, dtype=np.float64)))
            else:
                hit = compare(got, mistake.test, rtol=1e-6).ok
        except (TypeError, ValueError):
            hit = False
        if hit:
            raise Fail(mistake.message, mistake.hint, kind=result.kind)


def mismatch(
    name: str,
    result: GradCheckResult,
    truth: str,
    hints: Mapping[str, str],
    *,
    n: int | None = None,
    context: str = "",
) -> Fail:
    """The Fail for a failed :func:`compare`: :func:`describe`'s sentence (with ``context`` around it)
    and :func:`hint_for`'s advice."""
    message = describe(name, result, truth)
    message = context.format(message) if "{}" in context else message + context
    factor = None if _near_one(result) else result.factor
    return Fail(message, hint_for(result, hints, n), kind=result.kind, factor=factor)


def expect(
    name: str,
    got: Any,
    expected: Any,
    truth: str,
    hints: Mapping[str, str],
    *,
    rtol: float,
    n: int | None = None,
    known: Sequence[Known] = (),
    context: str = "",
) -> None:
    """Raise a Fail unless the student's ``got`` matches ``expected`` to ``rtol``.

    The Fail names a ``known`` mistake when ``got`` matches one, else says how ``got`` differs from
    ``truth`` (e.g. "the mean squared error"); ``context`` is appended to the message, or wraps it
    when it holds ``{}`` ("for f(w) = sum(w^2): {}").
    """
    result = compare(got, expected, rtol=rtol)
    if result.ok:
        return
    _name_known_mistake(got, result, known)
    raise mismatch(name, result, truth, hints, n=n, context=context)


def expect_finite(name: str, got: Any, where: str, hint: str) -> None:
    """Raise a Fail (kind "nonfinite") unless the student's output is all finite numbers."""
    if not is_finite(got):
        shown = (
            fmt(float(got))
            if np.ndim(got) == 0 and isinstance(got, (int, float, np.number))
            else "nan or inf"
        )
        raise Fail(f"{name} is {shown} {where}", hint, kind="nonfinite")


def describe(name: str, result: GradCheckResult, truth: str) -> str:
    """A sentence about how ``name`` (the student's array) differs from ``truth`` ("the true Hessian").

    Built from the result's kind and factor; gradcheck's own diagnosis is quoted only where it holds the
    facts (a shape, where a nan is), with its words for a gradient ("grad", "w[i]") made general.
    """
    kind, c = ("wrong" if _near_one(result) else result.kind), result.factor
    if kind == "factor" and c is not None:
        return f"{name} is {_times(c)} {truth} (ratio {c:.4g})"
    if kind == "sign":
        return f"{name} is minus {truth}: it has the wrong sign"
    if kind == "zero":
        return f"{name} is all zeros, but {truth} is not"
    if kind == "transpose" and result.numerical is not None:
        return f"{name} is the transpose of {truth}"
    if kind == "partial" and result.wrong_parts:
        shown = ", ".join(_entry(p) for p in result.wrong_parts[:4])
        more = f" and {len(result.wrong_parts) - 4} more" if len(result.wrong_parts) > 4 else ""
        plural = "entries" if len(result.wrong_parts) > 1 else "entry"
        return f"{name} is wrong at {plural} {shown}{more}; its other entries match {truth}"
    if kind in ("shape", "transpose"):  # "grad has shape (4,), expected (4, 4): <advice for gradients>"
        return _GRAD_WORD.sub(name, result.diagnosis.split(": ")[0], count=1)
    if kind in ("nonfinite", "error"):
        text = _GRAD_WORD.sub(name, result.diagnosis)
        return re.sub(r"\bw(\[[^\]]*\])", r"entry \1", text)
    return f"{name} differs from {truth} (largest relative error {result.max_relative_error:.2g})"


def _entry(label: str) -> str:
    """gradcheck names coordinates w[3] or w[1, 2]; an entry of any array reads [3] or [1, 2]."""
    return label[1:] if label.startswith("w[") else label


def _times(c: float) -> str:
    """'2 times', '1/4 of', '-3 times': how a factor reads in a sentence."""
    if abs(c) >= 1:
        return f"{c:.3g} times"
    inverse = 1 / c
    if abs(inverse - round(inverse)) < 1e-3 * abs(inverse):
        return f"1/{round(inverse)} of" if inverse > 0 else f"-1/{-round(inverse)} times"
    return f"{c:.3g} times"


def is_finite(value: Any) -> bool:
    """Whether a student's output is all finite numbers (False for anything that is not numeric)."""
    try:
        return bool(np.all(np.isfinite(as_float_array(value, "value"))))
    except TypeError:
        return False


def fmt(x: float) -> str:
    """A number quoted in a message: 4 significant digits."""
    return "nan" if math.isnan(x) else f"{x:.4g}"
