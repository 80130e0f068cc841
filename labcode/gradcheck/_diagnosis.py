"""What an error pattern means: the catalogue of check_gradient's verdicts, readable on its own.

``KINDS`` names every verdict; each function below recognises one pattern in the disagreement between
grad (analytic, a) and the central differences of f (numerical, n), scaled so the larger is ~1:

- **within noise** (``_verdict_within_noise``): a - n is no larger than the finite differences'
  own noise: "ok", or "noisy" with the reason (f in float32, a tiny gradient next to a large f, a
  stationary point);
- **kink** (``_is_kink``, ``_kink_verdict``): the one-sided slopes of f differ by the same amount at
  h and 2h, so f is not differentiable at w and no finite difference can vouch for grad there;
- **zero, sign, factor, transpose** (``_pattern``, ``_factor_phrase``): a = 0, a = -n, a = c n (with
  the usual cause of a friendly c: 2, 1/2, n, 1/n), or a is n's transpose;
- **partial** (``_wrong_coordinates``, and ``_diagnose`` for dicts): some parameters or coordinates
  are wrong and the rest match;
- **wrong**: none of the above explains it.

``_diagnose`` tries them in that order and returns the first story that explains every probe.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from labcode.gradcheck._parameters import _entries, _low_precision, _Params, _Stop
from labcode.gradcheck._probes import _derivative_along, _Evaluator, _Probes
from labcode.gradcheck._result import SHOWN, _fmt, _num, relative_error

KINDS: dict[str, str] = {
    "ok": "grad matches the numerical gradient up to finite-difference noise",
    "noisy": "the finite differences are noisy (low-precision f, or a tiny gradient next to a large f); "
    "ok says whether grad agrees within that noise",
    "error": "f or grad raised an exception or returned something that is not a number or an array",
    "keys": "grad returned a dict whose keys differ from the parameters' names",
    "shape": "grad has the wrong shape",
    "transpose": "grad is the transpose of the right gradient (or has the transposed shape)",
    "nonfinite": "grad, f(w) or the numerical gradient holds nan or inf",
    "zero": "grad is zero where the numerical gradient is not",
    "sign": "grad has the wrong sign",
    "factor": "grad is off by a constant factor",
    "partial": "some parameters or coordinates are wrong, the rest match",
    "kink": "f is not differentiable at w, so the check is inconclusive there",
    "wrong": "grad disagrees with the numerical gradient and no simple pattern explains it",
}


NOISE_MULTIPLE = 10.0  # pass when the error is within this many times the estimated noise...


MAX_NOISE_TOLERANCE = 1e-2  # ...but never vouch for a gradient more loosely than this


NOISY_LEVEL = 1e-4  # a pass that needed a tolerance above this is reported as "noisy"


KINK_PROBES = 20  # at most this many disagreeing coordinates are tested for a kink


def _verdict_within_noise(
    ok: bool,
    error: float,
    tolerance: float,
    noise: float,
    scale: float,
    f_dtype: np.dtype,
    grad_low: bool,
    cause: str = "rounding",
) -> tuple[str, str]:
    """Kind and diagnosis when grad agrees with the numerical gradient within its noise (or the noise
    is too large to tell): "ok", or "noisy" with the likely reason for the noise.

    ``cause`` is what the probes found the noise to be: "rounding" (f's values, the usual case),
    "truncation" (the default step is too large for how fast f changes, and there were too many
    probes to re-difference them) or "unsettled" (even numdiff's adaptive steps found no stable value).
    """
    numbers = f"max relative error {_fmt(error)}, tolerance {_fmt(tolerance)}, expected noise {_fmt(noise)}"
    if ok and not _low_precision(f_dtype) and NOISE_MULTIPLE * noise <= NOISY_LEVEL:
        note = "; note: grad returns float32, good to ~7 digits only" if grad_low else ""
        return "ok", f"grad is correct up to finite-difference noise ({numbers}){note}"
    if _low_precision(f_dtype):
        reason = (
            f"f returns {f_dtype}, so its finite differences carry only a few digits; compute f in float64"
        )
    elif cause == "truncation":
        reason = (
            "the default steps (3e-6 * max(1, |w_i|)) are too large for how fast f changes here: this is "
            "truncation error, not noise; pass a smaller h (e.g. h=1e-5) to check grad"
        )
    elif cause == "unsettled":
        reason = (
            "f's finite differences do not settle at any step, even numdiff's adaptive ones: f is noisy "
            "(float32 inside? cancellation?) or not smooth near w; try another w"
        )
    elif noise >= 0.1:
        reason = (
            f"both gradients are at the level of the finite-difference noise (largest entry {_num(scale)}): "
            "w is at or near a stationary point (a minimum?), where they cannot be compared; check at another w"
        )
    else:
        reason = (
            "f's finite differences are noisy here: does f compute in float32 somewhere, or is the gradient "
            "tiny next to f (w near a minimum)? try another w, or a larger h"
        )
    if ok:
        return (
            "noisy",
            f"grad agrees with the numerical gradient, but only up to large noise ({numbers}): {reason}",
        )
    return "noisy", f"cannot check grad: the finite differences are too noisy ({numbers}): {reason}"


class _Pattern(NamedTuple):
    kind: str
    phrase: str  # completes a sentence about grad: "is a factor of 2 too large (an extra 2?)"
    factor: float | None = None


def _close(value: float, target: float, rtol: float) -> bool:
    return abs(value - target) <= rtol * abs(target)


def _factor_phrase(c: float, rtol: float) -> tuple[str, bool]:
    """Name the factor c = analytic / numerical in plain words; also say if it is a "friendly" number."""
    size = abs(c)
    if size == 0:
        return "is zero", False
    exact = f"analytic / numerical = {_num(c)}"
    if _close(size, 1.0, rtol):
        if c < 0:
            return (
                f"has the wrong sign ({exact}): a minus sign dropped, or y - Xw where Xw - y was meant?",
                True,
            )
        # A factor this close to +1 is no sign error and no dropped constant: name how far it is from 1.
        return (
            f"is off by a constant factor very close to 1 (analytic / numerical = 1 {'+' if c > 1 else '-'} "
            f"{abs(c - 1):.1e}): n - 1 where n was meant, a constant rounded to float32, or a tolerance "
            f"tighter than f's precision?",
            False,
        )
    sign = "has the wrong sign and " if c < 0 else ""
    k, inverse_k = round(size), round(1 / size)
    if _close(size, 2.0, rtol):
        text, friendly = "is a factor of 2 too large (an extra 2?)", True
    elif _close(size, 0.5, rtol):
        text, friendly = "is half what it should be (did you drop the 2 in 2/n?)", True
    elif 3 <= k <= 10**7 and _close(size, k, rtol):
        text = f"is {k} times too large: off by a factor of 1/{k} = 1/n? (did you forget to divide by n?)"
        friendly = True
    elif 3 <= inverse_k <= 10**7 and _close(1 / size, inverse_k, rtol):
        text = f"is {inverse_k} times too small: off by a factor of {inverse_k} = n? (did you divide by n twice?)"
        friendly = True
    else:
        text, friendly = f"is off by a constant factor of {_num(size)}", False
    return f"{sign}{text}; {exact}", friendly


def _pattern(
    a: np.ndarray, n: np.ndarray, tol: float, transposed: Callable[[], np.ndarray] | None = None
) -> _Pattern | None:
    """The simple story behind a disagreement, if there is one: zero, sign, factor or transpose.

    a, n: analytic and numerical values, divided by a common scale so the larger is ~1; tol: the
    relative tolerance. ``transposed()`` gives the numerical values of the transposed matrix (only
    for a square matrix parameter; computed last because it may cost evaluations of f).
    """
    nontrivial = np.abs(n) > tol
    if np.max(np.abs(a)) <= tol and nontrivial.any():
        return _Pattern(
            "zero",
            "is zero, but the numerical gradient is not (a term left out, or np.zeros_like returned?)",
            0.0,
        )
    if not nontrivial.any():
        return _Pattern(
            "wrong",
            "is not zero, but the numerical gradient is: w is a stationary point of f (a minimum?), "
            "where the gradient must vanish",
        )
    c = float(a @ n) / float(n @ n)
    residual = float(np.max(np.abs(a - c * n)))
    # n carries relative noise up to tol, which c * n multiplies by |c|.
    if residual <= 2 * max(1.0, abs(c)) * tol:
        phrase, friendly = _factor_phrase(c, max(1e-4, 10 * tol))
        if nontrivial.sum() >= 2 or friendly:  # one number is always "a factor" of another
            kind = "sign" if _close(c, -1.0, max(1e-4, 10 * tol)) else "factor"
            return _Pattern(kind, phrase, c)
    if transposed is not None:
        t = transposed()
        ct = float(a @ t) / float(t @ t) if np.any(t) else 0.0
        if ct != 0 and np.max(np.abs(a - ct * t)) <= 2 * max(1.0, abs(ct)) * tol:
            phrase = (
                "is the transpose of the right gradient: check the order of the matrix product "
                "(X.T @ G has the shape of W; G.T @ X is its transpose)"
            )
            if _close(ct, 1.0, max(1e-4, 10 * tol)):
                return _Pattern("transpose", phrase)
            return _Pattern(
                "transpose", f"{phrase}; besides, it {_factor_phrase(ct, max(1e-4, 10 * tol))[0]}", ct
            )
    return None


def _listing(labels: list[str]) -> str:
    shown = ", ".join(labels[:SHOWN])
    return shown + (f" and {len(labels) - SHOWN} more" if len(labels) > SHOWN else "")


def _is_kink(
    fx: _Evaluator, x: np.ndarray, i: int, step: float, tol_abs: float
) -> tuple[float, float] | None:
    """The (left, right) slopes at coordinate i if f has a kink there, else None.

    A smooth f has one-sided slopes that differ by ~ h |f''|, a gap that doubles when h does; at a
    kink they differ by the jump in slope, whatever h.
    """
    e = np.zeros(x.size)
    e[i] = 1.0
    try:
        left, right = (_derivative_along(fx, x, e, step, m) for m in ("backward", "forward"))
        left2, right2 = (_derivative_along(fx, x, e, 2 * step, m) for m in ("backward", "forward"))
    except _Stop:
        return None
    jump, jump2 = abs(right - left), abs(right2 - left2)
    return (left, right) if jump > tol_abs and jump2 < 1.75 * jump else None


class _Verdict(NamedTuple):
    kind: str
    diagnosis: str
    factor: float | None = None
    wrong_parts: tuple[str, ...] = ()


def _kinks(
    fx: _Evaluator, params: _Params, probes: _Probes, bad_idx: np.ndarray, tol_abs: float
) -> list[tuple[int, float, float]]:
    """(coordinate, left slope, right slope) for the disagreeing coordinates that sit on a kink.

    Tests the first KINK_PROBES of them (8 evaluations each); the first smooth one ends the search.
    """
    kinks = []
    for i in bad_idx[:KINK_PROBES]:
        slopes = _is_kink(fx, params.x, int(i), float(probes.steps[i]), tol_abs)
        if slopes is None:
            break
        kinks.append((int(i), *slopes))
    return kinks


def _kink_verdict(
    kinks: list[tuple[int, float, float]], n_bad: int, params: _Params, probes: _Probes
) -> _Verdict:
    labels = [params.label(i) for i, _, _ in kinks]
    i, left, right = kinks[0]
    tested = f" (the first {len(kinks)} of {n_bad} disagreeing coordinates)" if n_bad > len(kinks) else ""
    return _Verdict(
        "kink",
        f"f is not differentiable near {_listing(labels)}{tested} (a kink? e.g. a ReLU or abs at exactly 0): "
        f"at {params.label(i)} its slope is {_num(left)} from the left and {_num(right)} from the right, "
        f"the central difference gives {_num(probes.numerical[i])} and grad gives "
        f"{_num(probes.analytic[i])}; move w slightly off the kink and check again",
        None,
        tuple(labels),
    )


def _wrong_coordinates(
    a: np.ndarray, n: np.ndarray, bad_idx: np.ndarray, tol: float, params: _Params, probes: _Probes
) -> _Verdict:
    """ "partial" for one array: name the wrong coordinates, and their factor if they share one."""
    size = params.x.size
    shown = [
        f"{params.label(i)} (analytic {_num(probes.analytic[i])}, numerical {_num(probes.numerical[i])})"
        for i in bad_idx[:3]
    ]
    more = f" and {bad_idx.size - 3} more" if bad_idx.size > 3 else ""
    text = (
        f"grad is wrong at {bad_idx.size} of {size} coordinates: {', '.join(shown)}{more}; "
        f"the other {size - bad_idx.size} match"
    )
    if bad_idx.size == 1:  # one number is always some factor of another: name only a friendly one
        i = bad_idx[0]
        if a[i] != 0 and n[i] != 0:
            phrase, friendly = _factor_phrase(float(a[i] / n[i]), max(1e-4, 10 * tol))
            if friendly:
                text += f"; there grad {phrase}"
    else:
        sub = _pattern(a[bad_idx], n[bad_idx], tol)
        if sub is not None and sub.kind in ("zero", "sign", "factor"):
            text += f"; there grad {sub.phrase}"
    return _Verdict("partial", text, None, tuple(params.label(i) for i in bad_idx))


def _diagnose(
    probes: _Probes, params: _Params, fx: _Evaluator, tolerance: float, scale: float, mode: str
) -> _Verdict:
    """Why grad disagrees with the numerical gradient: the first pattern that explains every probe."""
    a, n = probes.analytic / scale, probes.numerical / scale
    tol = tolerance
    bad = np.abs(a - n) > tol
    x = params.x

    def transposed_for(p: int) -> Callable[[], np.ndarray] | None:
        """The numerical values of parameter p's transpose, probe by probe (square matrices only)."""
        shape = params.shapes[p]
        if len(shape) != 2 or shape[0] != shape[1] or shape[0] < 2:
            return None
        span, mine = params.slice(p), np.flatnonzero(probes.part == p)

        def compute() -> np.ndarray:
            if mode == "coordinates":
                return n[span].reshape(shape).T.ravel()
            values = []
            for k in mine:
                v = np.zeros(x.size)
                v[span] = probes.directions[k].reshape(shape).T.ravel()
                values.append(_derivative_along(fx, x, v, float(probes.steps[k])))
            return np.asarray(values) / scale

        return compute

    bad_idx = np.flatnonzero(bad)
    kinks = _kinks(fx, params, probes, bad_idx, tol * scale) if mode == "coordinates" else []
    kink_labels = [params.label(i) for i, _, _ in kinks]
    if kinks and len(kinks) == min(bad_idx.size, KINK_PROBES):
        return _kink_verdict(kinks, bad_idx.size, params, probes)
    kink_note = f" (also, f has a kink near {_listing(kink_labels)})" if kinks else ""
    directions_note = ""
    if mode == "directions":
        directions_note = (
            f"; {_entries(params)}, more than max_coordinates, so random directions were compared: "
            "pass a larger max_coordinates to find the wrong coordinates"
        )

    # Named parameters: some wrong, some right.
    n_parts = len(params.names)
    wrong = [p for p in range(n_parts) if bad[probes.part == p].any()]
    if params.is_dict and 0 < len(wrong) < n_parts:
        right = [p for p in range(n_parts) if p not in wrong]
        names = [repr(params.names[p]) for p in wrong]
        errors = [
            _fmt(relative_error(probes.analytic[probes.part == p], probes.numerical[probes.part == p]))
            for p in wrong
        ]
        if len(wrong) == 1:
            head = f"only {names[0]} is wrong (rel. error {errors[0]})"
        else:
            head = f"{', '.join(names[:-1])} and {names[-1]} are wrong (rel. errors {', '.join(errors)})"
        verb = "matches" if len(right) == 1 else "match"
        text = f"{head}; {', '.join(repr(params.names[p]) for p in right)} {verb}"
        factor = None
        for p, name in zip(wrong, names, strict=True):
            mine = probes.part == p
            pattern = _pattern(a[mine], n[mine], tol, transposed_for(p))
            if pattern is not None:
                text += f"; {name} {pattern.phrase}"
                factor = pattern.factor if len(wrong) == 1 else None
        return _Verdict("partial", text + kink_note, factor, tuple(params.names[p] for p in wrong))

    # One story for everything: zero, sign, factor, transpose.
    pattern = _pattern(a, n, tol, transposed_for(0) if n_parts == 1 else None)
    if pattern is not None and pattern.kind != "wrong":
        return _Verdict(pattern.kind, f"grad {pattern.phrase}{kink_note}", pattern.factor)

    # A single array with some coordinates right: name the wrong ones.
    if not params.is_dict and mode == "coordinates" and (~bad & (np.abs(n) > tol)).any():
        verdict = _wrong_coordinates(a, n, bad_idx, tol, params, probes)
        return verdict._replace(diagnosis=verdict.diagnosis + kink_note)

    # No simple story.
    worst = int(np.argmax(np.abs(a - n)))
    what = "coordinate" if mode == "coordinates" else "probe"
    if pattern is not None:  # the numerical gradient vanishes: w is a stationary point
        text = f"grad {pattern.phrase}; the largest entry is at {probes.labels(worst)}: {_num(probes.analytic[worst])}"
    else:
        text = (
            "grad disagrees with the numerical gradient and no constant factor, sign flip or transpose explains it; "
            f"the worst {what} is {probes.labels(worst)}: analytic {_num(probes.analytic[worst])}, "
            f"numerical {_num(probes.numerical[worst])}"
        )
    if params.is_dict:
        stories = []
        for p in range(n_parts):
            mine = probes.part == p
            sub = _pattern(a[mine], n[mine], tol, transposed_for(p))
            if sub is not None:
                stories.append(f"{params.names[p]!r} {sub.phrase}")
        if stories:
            text += "; " + "; ".join(stories)
    return _Verdict("wrong", text + kink_note + directions_note)


def _slope_on_ws_side(fx: _Evaluator, x: np.ndarray, i: int, step: float, tol_abs: float) -> float | None:
    """The slope of f at w along coordinate i when a kink lies within ``step`` of w but not at w.

    One-sided differences at steps far below ``step`` (1e-3 and 1e-5 of it) stay on w's side of a kink
    that is not exactly at w: there the left and right slopes agree, and their mean is the slope grad
    must have. A kink exactly at w keeps them apart at every step: None.
    """
    e = np.zeros(x.size)
    e[i] = 1.0
    for small in (1e-3 * step, 1e-5 * step):
        try:
            left, right = (_derivative_along(fx, x, e, small, m) for m in ("backward", "forward"))
        except (_Stop, ValueError):  # f not finite there, or a step below the float spacing
            return None
        rounding = 4 * np.finfo(np.float64).eps * abs(fx(x)) / small
        if abs(left - right) <= tol_abs + rounding:
            return 0.5 * (left + right)
    return None


def _kink_beside_w(
    fx: _Evaluator, params: _Params, probes: _Probes, tol: float, scale: float
) -> list[tuple[int, float, float, float]] | None:
    """(coordinate, left slope, right slope, slope on w's side) for every disagreeing coordinate, when
    each sits within a step of a kink and grad matches the slope on w's side there; else None.

    A ReLU whose pre-activation is 1e-8 from 0 puts a kink inside the central difference's step: the
    difference averages the two slopes, while a right grad has the slope on w's side.
    """
    bad_idx = np.flatnonzero(np.abs(probes.analytic - probes.numerical) > tol * scale)
    if bad_idx.size == 0 or bad_idx.size > KINK_PROBES:
        return None
    found = []
    for i in bad_idx:
        slopes = _is_kink(fx, params.x, int(i), float(probes.steps[i]), tol * scale)
        if slopes is None:
            return None
        side = _slope_on_ws_side(fx, params.x, int(i), float(probes.steps[i]), tol * scale)
        if side is None or abs(probes.analytic[i] - side) > tol * max(scale, abs(side)):
            return None
        found.append((int(i), *slopes, side))
    return found


def _kink_beside_w_note(found: list[tuple[int, float, float, float]], params: _Params) -> str:
    i, left, right, side = found[0]
    more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
    return (
        f"; note: f has a kink within the finite-difference step of w at {params.label(i)}{more}: its slope "
        f"is {_num(left)} from the left and {_num(right)} from the right, and grad matches the slope on w's "
        f"side ({_num(side)}), which one-sided differences at smaller steps measure; the central difference "
        "straddles the kink"
    )
