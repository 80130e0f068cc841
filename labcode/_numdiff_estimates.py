"""How wrong a finite difference may be: the error estimates behind :mod:`labcode.numdiff`.

A finite difference errs in two ways: truncation (the step is too large for how fast f changes) and
rounding (f's values carry ~eps|f| of noise, which the difference divides by h). Neither shows in the
value itself, so numdiff measures them:

- **two steps**: D(h) beside D(2h). For central differences D(h) = f' + c h^2 + ..., so
  D(2h) - D(h) ~ 3 c h^2: |D(h) - D(2h)| bounds the truncation error at h (three times over), and
  it also shows noise in f that is larger than its rounding (cancellation inside f).
- **Richardson's levels**: the last extrapolation against the one before it (Ridders' estimate).
  Levels that disagree mean f is not smooth between x - h and x + h.
- **rounding**: eps * max|f| / h, the worst case of f's own rounding, divided by the step.

``judge`` turns an estimate into ``success`` and a message with the reason and what to try;
``ridders`` is ``method="adaptive"``: a sequence of shrinking steps whose extrapolation table gives
both the value and its error (Ridders 1982; Numerical Recipes' dfridr). This module knows nothing of
f: numdiff hands it the differences.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

EPS = float(np.finfo(np.float64).eps)

# A value is trusted when its estimated error is at most this fraction of it (of the largest entry,
# for arrays): far above a good central difference (~1e-10), far below what a wrong one is off by.
ACCURACY_RTOL = 1e-6

# Ridders' method: each step is the previous one divided by ADAPTIVE_SHRINK; at most ADAPTIVE_LEVELS
# steps per start; a start whose first steps give nan or inf is shrunk by 10 at most ADAPTIVE_RETRIES times.
ADAPTIVE_FIRST_STEP = 0.1
ADAPTIVE_SHRINK = 2.0
ADAPTIVE_LEVELS = 8
ADAPTIVE_RETRIES = 5
ADAPTIVE_BUDGET = 26  # evaluations of f in all; scipy.differentiate.derivative's defaults allow 27


class AccuracyWarning(UserWarning):
    """numdiff's own error estimate says the value it returned may be wrong; the message says why and
    what to try (a smaller ``h=``, ``method="adaptive"``, ...). Silence it with
    ``warnings.simplefilter("ignore", AccuracyWarning)``, or ask for ``full_output=True``."""


class NonFiniteValue(ValueError):
    """f returned nan or inf at a point a finite difference needs (a ValueError, so callers see one)."""


class ComplexValue(TypeError):
    """f returned a complex value for a real point (x ** (1/3) at x < 0): outside f's real domain."""


@dataclass(frozen=True)
class DerivativeResult:
    """A derivative with its error estimate (what ``full_output=True`` returns).

    value: the derivative (a float for derivative; an array for gradient, jacobian and hessian).
    error_estimate: the estimated absolute error, shaped like value.
    evaluations: the calls of f it took. success: whether the estimate is within ``ACCURACY_RTOL`` of
    the value (of its largest entry, for arrays). message: why not, and what to try ("" on success).
    """

    value: Any
    error_estimate: Any
    evaluations: int
    success: bool
    message: str


class Estimate(NamedTuple):
    """One finite difference and what is known of its error (floats or arrays of one shape)."""

    value: Any
    error: Any  # estimated absolute error, rounding included
    rounding: Any  # the rounding part of error
    reason: str  # the evidence: "steps", "levels", "adaptive", "complex", "flat" or "rounding" (unchecked)
    step: float


def rounding_error(values: list[Any], step: float, multiple: float = 1.0) -> Any:
    """``multiple * eps * max|f| / step``: the worst rounding of f's values, divided by the step."""
    return multiple * EPS * np.max(np.abs(np.asarray(values, dtype=np.result_type(*values, float))), 0) / step


def two_steps(value: Any, coarse: Any, rounding: Any, step: float, coarser: Any = None) -> Estimate:
    """The difference at step h (``value``) checked against the one at 2h (``coarse``).

    ``coarser``, at 4h, for first-order differences: their truncation c h is measured twice, as
    D(h) - D(2h) and (D(2h) - D(4h)) / 2, so noise in f cannot hide it by cancelling it once.
    """
    error = np.abs(value - coarse)
    if coarser is not None:
        error = np.maximum(error, np.abs(coarse - coarser) / 2)
    return Estimate(value, error + rounding, rounding, "steps", step)


def flat(estimate: Estimate, values: list[Any]) -> Estimate:
    """A slope of exactly 0: trusted ("flat") when f has one value at x +- h and at x +- H too (``values``).

    f may be constant to the last bit (a clipped loss, a ReLU below 0), or its slope may be too small to
    change f's last bit over the step (sigmoid at x = 30): the values at the wider steps tell them apart.
    """
    if all(v == values[0] for v in values):
        return estimate._replace(reason="flat")
    return estimate


def complex_checked(
    value: float, rounding: float, central: Estimate, adaptive: Callable[[], Estimate]
) -> Estimate:
    """The complex step, checked against finite differences of the real f.

    The complex step subtracts nothing, but f's own formula may cancel for a complex argument (as in
    (1 - cos x) / x^2 near 0), or f may not be complex-analytic (abs, max, comparisons): then it is
    wrong with no sign of it. So it must agree with a central difference (``central``, within its own
    error and 1e-7 relative), or, when that one is too rough to tell, with Ridders' method
    (``adaptive()``): the gap to Ridders' value then counts as the complex step's error.
    """
    slack = 0.1 * ACCURACY_RTOL * abs(value)
    if abs(value - central.value) <= central.error + slack:
        return Estimate(value, rounding, rounding, "complex", central.step)
    check = adaptive()  # the gap to Ridders' value is the complex step's error, as far as can be told
    gap = abs(value - float(check.value))
    return Estimate(value, rounding + gap, rounding, "complex", check.step)


def richardson_table(differences: list[Any], step: float, rounding: Any) -> Estimate:
    """Extrapolate central differences at h, h/2, h/4, ...: each pass removes one error term h^(2k).

    D(h) = f' + c1 h^2 + c2 h^4 + ..., so (4^k D(h/2) - D(h)) / (4^k - 1) removes the h^(2k) term;
    each pass shortens the table by one. The error estimate is Ridders': the last entry against the
    two entries of the pass before it, plus the rounding of the finest level (doubled: the
    extrapolation weights add up to ~2).
    """
    table = list(differences)
    previous = table
    for k in range(1, len(differences)):
        previous = table
        table = [
            (4**k * fine - coarse) / (4**k - 1) for coarse, fine in zip(table[:-1], table[1:], strict=True)
        ]
    value = table[0]
    spread = max(np.abs(value - previous[0]), np.abs(value - previous[-1]))
    return Estimate(value, spread + 2 * rounding, 2 * rounding, "levels", step)


def ridders(difference: Callable[[float], tuple[float, float]], starts: list[float]) -> Estimate:
    """Ridders' method: central differences at steps h0, h0/2, h0/4, ..., extrapolated as they come.

    ``difference(h)`` returns (D(h), its rounding error), or raises NonFiniteValue (or ComplexValue)
    when f leaves its real domain at x +- h; the step then shrinks tenfold, at most ADAPTIVE_RETRIES
    times. Each new step adds a row to the extrapolation table; the entry whose change from its
    neighbours is smallest is kept, with that change (plus its rounding) as its error. A start ends
    when the table's diagonal grows again after settling, when rounding alone exceeds ACCURACY_RTOL
    (smaller steps can only be worse), or after ADAPTIVE_LEVELS steps. Then one more step, off the
    ladder of halvings, must land where the table predicts: this catches a ladder that resonates with
    an oscillating f and converges to a wrong limit. Several ``starts`` are tried in turn (f may vary
    on the scale 1 or on the scale of x) until one gives a trusted value, within ADAPTIVE_BUDGET
    evaluations of f in all.
    """
    calls = [0]

    def counted(h: float) -> tuple[float, float]:
        if calls[0] + 2 > ADAPTIVE_BUDGET:
            raise _OutOfBudget
        calls[0] += 2
        return difference(h)

    best: Estimate | None = None
    for h0 in starts:
        found = _ridders_from(counted, h0)
        if found is not None and (best is None or _relative(found) < _relative(best)):
            best = found
        if best is not None and _relative(best) <= ACCURACY_RTOL:
            break
    if best is None:
        raise NonFiniteValue(
            "f returned nan or inf (or a complex value) at every step method='adaptive' tried: "
            "is x at the edge of f's domain?"
        )
    return best


class _OutOfBudget(Exception):
    """Ridders' method has spent ADAPTIVE_BUDGET evaluations."""


def _relative(estimate: Estimate) -> float:
    size = abs(float(estimate.value))
    return math.inf if size == 0 and estimate.error > 0 else float(estimate.error) / max(size, 1e-300)


def _ridders_from(difference: Callable[[float], tuple[float, float]], h: float) -> Estimate | None:
    """One start of Ridders' method from the step h (see ``ridders``); None if f never gave a value."""
    try:
        for _ in range(ADAPTIVE_RETRIES + 1):
            try:
                first, rounding = difference(h)
                break
            except (NonFiniteValue, ComplexValue):
                h /= 10
        else:
            return None
    except _OutOfBudget:
        return None
    shrink2 = ADAPTIVE_SHRINK**2
    row = [first]
    best, best_h, best_d = Estimate(first, math.inf, rounding, "adaptive", h), h, first
    try:
        for _ in range(1, ADAPTIVE_LEVELS):
            h /= ADAPTIVE_SHRINK
            try:
                value, rounding = difference(h)
            except (NonFiniteValue, ComplexValue):
                break
            new_row = [value]
            factor = shrink2
            for j in range(1, len(row) + 1):
                # (factor * fine - coarse) / (factor - 1), written so that it cannot overflow near 1e308
                new_row.append(new_row[j - 1] + (new_row[j - 1] - row[j - 1]) / (factor - 1))
                factor *= shrink2
                change = max(abs(new_row[j] - new_row[j - 1]), abs(new_row[j] - row[j - 1]))
                if change + rounding <= best.error:
                    best = Estimate(new_row[j], change + rounding, rounding, "adaptive", h)
                    best_h, best_d = h, value
            settled = best.error <= ACCURACY_RTOL * abs(best.value)
            if settled and abs(new_row[-1] - row[-1]) >= 2 * best.error:  # rounding took over
                break
            if rounding > ACCURACY_RTOL * abs(value):  # smaller steps can only round worse
                break
            row = new_row
        return _confirmed(best, best_h, best_d, difference)
    except _OutOfBudget:
        return best


def _confirmed(
    best: Estimate, h: float, d: float, difference: Callable[[float], tuple[float, float]]
) -> Estimate:
    """``best``, its error raised to the miss if D at a step off the ladder (0.6 h) is not where the
    table predicts: D(s) ~ value + c s^2, with c from D(h) - value = c h^2."""
    if not math.isfinite(best.error) or best.error > ACCURACY_RTOL * abs(best.value):
        return best
    s = 0.6 * h
    try:
        value, rounding = difference(s)
    except (NonFiniteValue, ComplexValue):
        return best
    predicted = best.value + (d - best.value) * 0.36
    allowed = 10 * best.error + 0.5 * abs(d - best.value) + 2 * rounding
    miss = abs(value - predicted)
    return best if miss <= allowed else best._replace(error=best.error + miss)


def judge(estimate: Estimate, where: str) -> tuple[bool, str]:
    """Whether the estimate vouches for the value, and if not, a message with the reason and the fix."""
    if not np.all(np.isfinite(estimate.value)):
        return False, (
            f"{where} overflowed to {np.asarray(estimate.value)[~np.isfinite(estimate.value)].flat[0]!r}: "
            "f's values are near the largest float (1.8e308), so their differences or their "
            "extrapolation leave the floats; rescale f (e.g. differentiate log f) or use a smaller step"
        )
    size = float(np.max(np.abs(estimate.value)))
    error = float(np.max(estimate.error))
    if estimate.reason == "rounding":
        # Nothing was checked but the rounding: judge only the entries clearly above it. An entry at the
        # rounding level is zero within noise (a stationary point), which a plain call does not flag.
        above = np.abs(estimate.value) > estimate.rounding
        error = float(np.max(np.where(above, estimate.error, 0.0)))
    if error <= ACCURACY_RTOL * size or estimate.reason == "flat":
        return True, ""
    relative = f"{error / size:.1e}" if size > 0 else "unbounded"
    head = f"{where} may be wrong: its estimated error is {error:.2g} (relative {relative})"
    rounding = float(np.max(estimate.rounding))
    if size == 0:
        why = (
            "f did not change over the steps, so its slope is 0 only to within the rounding of f's values; "
            "if f is not constant here, the slope is too small to see next to f (try method='complex')"
        )
    elif estimate.reason == "levels":
        why = (
            "Richardson levels disagree: f is not smooth between x - h and x + h "
            f"(a pole, a kink or an edge of its domain within h = {estimate.step:.3g}?); "
            "pass a smaller h= or method='adaptive'"
        )
    elif estimate.reason == "complex":
        why = (
            "the complex step disagrees with finite differences of f: f may lose digits to cancellation "
            "for a complex argument, or not be complex-analytic (abs, max, comparisons, .real); "
            "rewrite f to avoid the cancellation, or use method='adaptive'"
        )
    elif estimate.reason == "adaptive":
        why = (
            "no step gave a settled estimate: f may be noisy (it loses digits to cancellation), not smooth "
            "at x, or its derivative may be tiny next to its values; rewrite f to avoid the cancellation"
        )
    elif rounding >= 0.5 * error:
        why = (
            "rounding dominates: f's values are large next to the change of f over the step, so the "
            "difference keeps few digits; try method='complex' (if f is complex-safe) or method='adaptive'"
        )
    else:
        why = (
            f"the differences at steps h = {estimate.step:.3g} and 2h disagree: the step is comparable to the "
            "scale on which f changes, or f's values are noisy (cancellation inside f); "
            "pass a smaller h= or method='adaptive'"
        )
    return False, f"{head}: {why}"
