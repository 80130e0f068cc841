"""The checking toolkit: call a student's function safely, and compare its answers with gradcheck's diagnoses.

Where do the hints come from? Gradients are compared with :func:`labcode.gradcheck.check_gradient`,
whose ``kind`` and ``factor`` say *how* they differ (shape, sign, a factor of 2 or n, a transpose, some
coordinates); each task maps those to advice in its own words (:func:`hint_for`). Other arrays (a
Hessian, softmax probabilities, a loss value) are compared with :func:`compare`, which asks the same
checker: the gradient of the linear function ``x -> <expected, x>`` is ``expected``, so
``check_gradient`` of that function against ``x -> got`` diagnoses ``got`` against ``expected``.
Every failure is raised as a :class:`~labcode.labs.framework.Fail`, which the lab turns into a verdict.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from labcode._checks import as_float_array, shape_str
from labcode.gradcheck import GradCheckResult, check_gradient
from labcode.labs.framework import Fail, NotAttempted, _last_line, exception_hint

__all__ = [
    "Known",
    "as_number",
    "call",
    "compare",
    "describe",
    "expect",
    "expect_finite",
    "fmt",
    "gradient_check",
    "hint_for",
    "is_finite",
    "mismatch",
]


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
