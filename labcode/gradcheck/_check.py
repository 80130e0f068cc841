"""check_gradient: validate grad's output, probe f, compare, and diagnose (see the package docstring)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from labcode._checks import require_callable, require_int, require_positive, require_positive_step
from labcode.gradcheck._diagnosis import (
    KINK_PROBES,
    MAX_NOISE_TOLERANCE,
    NOISE_MULTIPLE,
    _diagnose,
    _kink_beside_w,
    _kink_beside_w_note,
    _kinks,
    _verdict_within_noise,
)
from labcode.gradcheck._parameters import _analytic, _entries, _exception_text, _low_precision, _Params, _Stop
from labcode.gradcheck._probes import _adapted, _coordinate_probes, _direction_probes, _Evaluator, _Probes
from labcode.gradcheck._result import SHOWN, GradCheckResult, _num, relative_error

LARGE_STEP = 1e-4  # the default step 3e-6 * max(1, |w_i|) exceeds this for |w_i| > 30


def _rows(probes: _Probes, ok: bool) -> tuple[tuple[str, float, float], ...]:
    """A few probes to show: all of a small w, else the first five (passing) or the five worst (failing).

    A passing check shows fixed rows, because which rows are "worst" at the noise level could change
    from one machine to the next, and notebooks store these tables.
    """
    m = probes.analytic.size
    if m <= 8:
        chosen = range(m)
    elif ok:
        chosen = range(SHOWN)
    else:
        gaps = np.abs(probes.analytic - probes.numerical)
        chosen = sorted(np.argsort(-gaps, kind="stable")[:SHOWN])
    return tuple(
        (probes.labels(int(i)), float(probes.analytic[i]), float(probes.numerical[i])) for i in chosen
    )


def _checked_text(params: _Params, mode: str, n_directions: int, seed: int, max_coordinates: int) -> str:
    """What the check compared, in words: "all 5 coordinates", or the random directions per parameter."""
    if mode == "coordinates":
        return f"all {params.x.size} coordinates"
    pieces = []
    for p in range(len(params.names)):
        name = params.quoted(p)
        if params.sizes[p] <= n_directions:
            pieces.append(f"{name} coordinate by coordinate")
        else:
            pieces.append(f"{n_directions} random directions in {name} (seed {seed})")
    return f"{', '.join(pieces)}: {_entries(params)} > max_coordinates={max_coordinates}"


def _adapted_note(step: float, size: float) -> str:
    """Why the numerical gradient needed numdiff's adaptive steps: steps too large, or noise in f."""
    if step > LARGE_STEP:
        why = f"the default steps, up to {_num(step)}, are too large for how fast f changes at |w| up to {_num(size)}"
    else:
        why = "f seems to compute in a lower precision inside (float32?), which the steps 3e-6 amplify"
    return (
        f"; note: the differences at the default steps h and 2h disagreed far beyond f's float64 rounding "
        f"({why}), so the numerical gradient used numdiff's adaptive steps (method='adaptive')"
    )


class _Calibration(NamedTuple):
    """How noisy the numerical gradient is, relative to the gradients' size, and the pass threshold that sets."""

    scale: float  # the largest |entry| of grad and of the numerical gradient, along the probes
    noise: float  # the numerical gradient's expected error, relative to scale
    tolerance: float  # max(rtol, min(NOISE_MULTIPLE * noise, MAX_NOISE_TOLERANCE))


def _noise_and_tolerance(probes: _Probes, rtol: float, scale: float | None = None) -> _Calibration:
    """The probes' noise relative to the gradients' scale, and the tolerance it calibrates (never below rtol,
    never looser than MAX_NOISE_TOLERANCE). ``scale``: keep the one measured before the numerical side changed."""
    if scale is None:
        scale = max(float(np.max(np.abs(probes.analytic))), float(np.max(np.abs(probes.numerical))))
    noise = float(probes.noise / scale) if scale > 0 else 0.0
    return _Calibration(scale, noise, float(max(rtol, min(NOISE_MULTIPLE * noise, MAX_NOISE_TOLERANCE))))


def _rounding_noise(rounding: float, probes: _Probes) -> float:
    """The absolute noise f's own rounding alone puts in each central difference: eps_f |f(w)| / h."""
    return float(np.max(rounding / probes.steps))


def _kinks_explain(fx: _Evaluator, params: _Params, adapted: _Probes, rtol: float, mode: str) -> bool:
    """Whether the coordinates that still disagree after adaptive differencing all sit on kinks.

    At a kink the central difference is linear in h, so its gap between h and 2h looks like truncation,
    and Ridders' method settles on the mean of the two slopes: that is no reason to adapt.
    """
    if mode != "coordinates":
        return False
    calibration = _noise_and_tolerance(adapted, rtol)
    if calibration.scale == 0:
        return False
    tol_abs = calibration.tolerance * calibration.scale
    bad = np.flatnonzero(np.abs(adapted.analytic - adapted.numerical) > tol_abs)
    if bad.size == 0:
        return False
    return len(_kinks(fx, params, adapted, bad, tol_abs)) == min(bad.size, KINK_PROBES)


class _Compared(NamedTuple):
    """grad's output, f's precision, and grad compared with f's central differences at the default steps."""

    analytic: Any  # grad(w), in w's form
    grad_low: bool  # grad returned float32/float16
    f_dtype: np.dtype
    rtol: float  # the caller's, or the default for f's precision
    rounding: float  # eps_f * |f(w)|: f's own rounding; divided by h it bounds the noise from below
    probes: _Probes


def _compare(
    fx: _Evaluator,
    grad: Callable[[Any], Any],
    params: _Params,
    mode: str,
    rtol: float | None,
    h: float | None,
    seed: int,
    n_directions: int,
) -> _Compared | GradCheckResult:
    """Call grad, check what it returned, and probe f; or, when the check ends before comparing (grad or f
    raised, or grad's output has the wrong keys, shape or values), the result that says why."""
    tolerance = 1e-6 if rtol is None else rtol
    analytic: Any = None
    try:
        try:
            with np.errstate(all="ignore"):
                grad_out = grad(params.unpack(params.x))
        except Exception as exc:  # the student's grad: a diagnosis, not a crash
            raise _Stop("error", f"grad raised {_exception_text(exc)}") from None
        ga, grad_low = _analytic(grad_out, params)
        analytic = params.unpack(ga)
        f0 = fx(params.x)
        f_dtype = fx.dtype
        f_low = _low_precision(f_dtype)
        eps_f = float(np.finfo(f_dtype).eps) if f_low else float(np.finfo(np.float64).eps)
        if rtol is None:
            tolerance = 1e-3 if f_low else 1e-6
        low_step = float(np.cbrt(eps_f) / 2) if f_low else None
        rounding = eps_f * abs(f0)
        if mode == "coordinates":
            probes = _coordinate_probes(fx, params, ga, h, low_step, rounding, seed)
        else:
            probes = _direction_probes(fx, params, ga, h, low_step, rounding, n_directions, seed)
    except _Stop as stop:
        return GradCheckResult(
            ok=False,
            kind=stop.kind,
            diagnosis=stop.diagnosis,
            max_relative_error=math.nan,
            tolerance=tolerance,
            expected_noise=math.nan,
            analytic=analytic if analytic is not None else stop.analytic,
            numerical=None,
            mode=mode,
            n_evaluations=fx.calls,
        )
    return _Compared(analytic, grad_low, f_dtype, tolerance, rounding, probes)


def _differenced_again(
    fx: _Evaluator,
    params: _Params,
    compared: _Compared,
    calibration: _Calibration,
    mode: str,
    unsure: bool,
) -> tuple[_Probes, str, str]:
    """The probes, the cause of their noise ("rounding", "truncation" or "unsettled") and a note, once the
    gap between steps h and 2h far above f's rounding has been looked into.

    That gap means the default step is too large for f (truncation, as for sin(w) at |w| = 1e6) or f is
    noisy: numdiff's adaptive steps tell which. ``unsure``: the steps are so large that they may skip over
    f's changes altogether, so a disagreement is differenced again whatever the gap.
    """
    probes, rtol = compared.probes, compared.rtol
    rounding_noise = _rounding_noise(compared.rounding, probes) / calibration.scale
    if not (calibration.noise > NOISE_MULTIPLE * rounding_noise or unsure):
        return probes, "rounding", ""
    adapted = _adapted(fx, params, probes, mode)
    if adapted is None:
        return probes, "truncation", ""
    if _kinks_explain(fx, params, adapted, rtol, mode):
        # at a kink the gap is no truncation: the kink diagnosis says what it is
        return probes, "rounding", ""
    cause = "unsettled" if NOISE_MULTIPLE * _noise_and_tolerance(adapted, rtol).noise > rtol else "rounding"
    return adapted, cause, _adapted_note(float(np.max(probes.steps)), float(np.max(np.abs(params.x))))


def _beside_a_kink(
    fx: _Evaluator, params: _Params, probes: _Probes, calibration: _Calibration, rounding: float, rtol: float
) -> tuple[_Probes, _Calibration, str] | None:
    """When every disagreeing coordinate lies within a step of a kink and grad matches f's slope on w's side
    (a ReLU 1e-8 from 0): the probes with that slope as their numerical value, their calibration, and a note
    naming the kink; else None. The gaps between h and 2h were the kink's, not noise: what is left is f's
    rounding."""
    found = _kink_beside_w(fx, params, probes, calibration.tolerance, calibration.scale)
    if found is None:
        return None
    numerical = probes.numerical.copy()
    for i, _, _, side in found:
        numerical[i] = side
    probes = probes._replace(numerical=numerical, noise=_rounding_noise(rounding, probes))
    return (
        probes,
        _noise_and_tolerance(probes, rtol, scale=calibration.scale),
        _kink_beside_w_note(found, params),
    )


def _inconclusive(diagnosis: str, largest_step: float, params: _Params) -> str:
    """Why a disagreement with no clean pattern (factor, sign, zero, transpose) proves nothing at steps that
    may skip over f's changes: the numerical side cannot be trusted, so neither verdict can be given."""
    return (
        f"cannot check grad: the check is inconclusive. The default steps reach {_num(largest_step)} "
        f"(they grow with |w|, which reaches {_num(float(np.max(np.abs(params.x))))}), far larger than "
        "the scale on which f may change; numdiff's adaptive steps, tried there, cannot vouch for their "
        "value either (compared with them: " + diagnosis + "). Check grad at a w of "
        "moderate size, or pass a step h= suited to f"
    )


def check_gradient(
    f: Callable[[Any], float],
    grad: Callable[[Any], Any],
    w: Any,
    *,
    rtol: float | None = None,
    h: float | None = None,
    seed: int = 0,
    max_coordinates: int = 10_000,
    n_directions: int = 20,
) -> GradCheckResult:
    """Compare ``grad(w)`` with central differences of ``f`` and say why they disagree, if they do.

    f: the scalar loss; grad: the gradient under test. w: an array of any shape, or a dict of named
    arrays ``{"w": (d,), "b": ()}``; then f and grad take such a dict and grad returns one with the same
    keys. w is never modified: f and grad get fresh copies.

    rtol: the relative tolerance; None means 1e-6 when f computes in float64 and 1e-3 when it returns
    float32/float16. The check passes when ``max_relative_error <= tolerance = max(rtol, min(10 *
    expected_noise, 0.01))``, where the noise of the finite differences is measured (see the module's
    docstring); noise so large that this cap bites makes the result an inconclusive "noisy".
    h: the finite-difference step, or None for labcode.numdiff's default ``3e-6 * max(1, |w_i|)``
    (``cbrt(eps_f)/2 * max(1, |w_i|)`` when f computes in a lower precision with machine epsilon eps_f).

    When w has at most ``max_coordinates`` entries, every coordinate is checked (2 evaluations of f
    each, plus 2 on each of up to 64 sampled coordinates for the noise). Beyond that, each parameter is
    checked along ``n_directions`` random unit directions v from ``np.random.default_rng(seed)``,
    comparing v . grad(w) with (f(w + hv) - f(w - hv)) / 2h (4 evaluations per direction), so a
    100,000-parameter model takes ~80 evaluations; factor, sign, transpose and "only 'b' is wrong"
    diagnoses still work there, but wrong coordinates cannot be named and kinks are not looked for.

    When the gap between steps h and 2h is far above f's rounding (the default step too large for f, or
    f noisy inside), every probe is differenced again with numdiff's adaptive steps (up to 26 evaluations
    each, for at most _probes.ADAPT_LIMIT probes); see the package docstring.

    Raises TypeError/ValueError for the caller's own mistakes (f or grad not callable, w not finite or
    empty, rtol or h not > 0). Whatever f and grad do when called (raise, return None or a wrong shape)
    becomes a result with a diagnosis instead: the grader runs this on students' code.

    >>> import numpy as np
    >>> f = lambda w: float(np.sum(w**3))
    >>> w = np.array([0.5, -1.0, 2.0])
    >>> check_gradient(f, lambda w: 3 * w**2, w).ok
    True
    >>> result = check_gradient(f, lambda w: 6 * w**2, w)
    >>> result.kind, round(result.factor, 6)
    ('factor', 2.0)
    >>> check_gradient(f, lambda w: 3 * w**2, w, rtol=2.0)
    Traceback (most recent call last):
    ...
    ValueError: rtol must be a finite number > 0 and < 1, got 2.0; a relative error of 1 means nothing agrees
    """
    require_callable(f, "f")
    require_callable(grad, "grad")
    if rtol is not None:  # relative errors lie in [0, 2]: a tolerance of 1 or more passes any grad
        rtol = require_positive(rtol, "rtol", below=1.0, why="a relative error of 1 means nothing agrees")
    h = None if h is None else require_positive_step(h, "h")
    seed = require_int(seed, "seed", minimum=0)
    max_coordinates = require_int(max_coordinates, "max_coordinates", minimum=1)
    n_directions = require_int(n_directions, "n_directions", minimum=1)
    params = _Params(w)
    fx = _Evaluator(f, params)
    mode = "coordinates" if params.x.size <= max_coordinates else "directions"
    compared = _compare(fx, grad, params, mode, rtol, h, seed, n_directions)
    if isinstance(compared, GradCheckResult):
        return compared
    probes, base_tolerance = compared.probes, compared.rtol
    a = probes.analytic
    calibration = _noise_and_tolerance(probes, base_tolerance)
    cause, notes = "rounding", ""
    # Steps this large (|w_i| > 30) may skip over f's changes altogether: sin(w) at |w| = 1e12 has a step
    # of 3e6, over which the central difference averages the slope to ~0 at h and 2h alike, so the two
    # agree and the gap shows nothing. A disagreement there is differenced again, as below.
    largest_step = float(np.max(probes.steps))
    unsure = h is None and largest_step > LARGE_STEP and relative_error(a, probes.numerical) > base_tolerance
    f_low = _low_precision(compared.f_dtype)
    if h is None and not f_low and calibration.scale > 0:
        if NOISE_MULTIPLE * calibration.noise > base_tolerance or unsure:
            probes, cause, notes = _differenced_again(fx, params, compared, calibration, mode, unsure)
            calibration = _noise_and_tolerance(probes, base_tolerance)
    error = relative_error(a, probes.numerical)
    ok = bool(error <= calibration.tolerance)
    # noise beyond the cap on the tolerance, and an error within it: "noisy" (inconclusive), not a diagnosis
    noise_band = NOISE_MULTIPLE * calibration.noise
    within_noise = noise_band > MAX_NOISE_TOLERANCE and error <= noise_band
    if not ok and not within_noise and mode == "coordinates":
        beside = _beside_a_kink(fx, params, probes, calibration, compared.rounding, base_tolerance)
        if beside is not None:  # a right grad next to a kink: compared with the slope on w's side
            probes, calibration, note = beside
            error = relative_error(a, probes.numerical)
            ok = bool(error <= calibration.tolerance)
            notes += note
    n, scale, noise, tolerance = probes.numerical, calibration.scale, calibration.noise, calibration.tolerance
    if ok or within_noise:
        kind, diagnosis = _verdict_within_noise(
            ok, error, tolerance, noise, scale, compared.f_dtype, compared.grad_low, cause
        )
        factor, wrong_parts = None, ()
    else:
        kind, diagnosis, factor, wrong_parts = _diagnose(probes, params, fx, tolerance, scale, mode)
        if kind in ("wrong", "partial") and unsure:
            kind, factor, wrong_parts = "noisy", None, ()
            diagnosis = _inconclusive(diagnosis, largest_step, params)
        if compared.grad_low:
            notes += (
                "; note: grad returns float32, good to ~7 significant digits only: if the pattern above does "
                "not explain the error, compute grad in float64 and check again"
            )
    diagnosis += notes
    return GradCheckResult(
        ok=ok,
        kind=kind,
        diagnosis=diagnosis,
        max_relative_error=error,
        tolerance=tolerance,
        expected_noise=noise,
        analytic=compared.analytic,
        numerical=params.unpack(n) if mode == "coordinates" else None,
        factor=factor,
        wrong_parts=wrong_parts,
        mode=mode,
        checked=_checked_text(params, mode, n_directions, seed, max_coordinates),
        n_checked=int(a.size),
        n_evaluations=fx.calls,
        rows=_rows(probes, ok),
        directional_analytic=a.copy() if mode == "directions" else None,
        directional_numerical=n.copy() if mode == "directions" else None,
    )
