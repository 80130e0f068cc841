"""check_gradient: validate grad's output, probe f, compare, and diagnose (see the package docstring)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from labcode._checks import require_callable, require_int, require_positive, require_positive_step
from labcode.gradcheck.diagnosis import (
    KINK_PROBES,
    MAX_NOISE_TOLERANCE,
    NOISE_MULTIPLE,
    _diagnose,
    _kink_beside_w,
    _kink_beside_w_note,
    _kinks,
    _verdict_within_noise,
)
from labcode.gradcheck.parameters import _analytic, _entries, _exception_text, _low_precision, _Params, _Stop
from labcode.gradcheck.probes import _adapted, _coordinate_probes, _direction_probes, _Evaluator, _Probes
from labcode.gradcheck.result import SHOWN, GradCheckResult, _num, relative_error

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


def _kinks_explain(
    fx: _Evaluator, params: _Params, probes: _Probes, adapted: _Probes, rtol: float, mode: str
) -> bool:
    """Whether the coordinates that still disagree after adaptive differencing all sit on kinks.

    At a kink the central difference is linear in h, so its gap between h and 2h looks like truncation,
    and Ridders' method settles on the mean of the two slopes: that is no reason to adapt.
    """
    a, n = adapted.analytic, adapted.numerical
    scale = max(float(np.max(np.abs(a))), float(np.max(np.abs(n))))
    if mode != "coordinates" or scale == 0:
        return False
    tol = max(rtol, min(NOISE_MULTIPLE * adapted.noise / scale, MAX_NOISE_TOLERANCE))
    bad = np.flatnonzero(np.abs(a - n) > tol * scale)
    if bad.size == 0:
        return False
    return len(_kinks(fx, params, adapted, bad, tol * scale)) == min(bad.size, KINK_PROBES)


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
    each, for at most probes.ADAPT_LIMIT probes); see the package docstring.

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
        rounding = eps_f * abs(f0)  # f's own rounding; divided by h it bounds the noise from below
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

    a, n = probes.analytic, probes.numerical
    scale = max(float(np.max(np.abs(a))), float(np.max(np.abs(n))))
    noise = float(probes.noise / scale) if scale > 0 else 0.0
    cause, notes = "rounding", ""
    # Steps this large (|w_i| > 30) may skip over f's changes altogether: sin(w) at |w| = 1e12 has a step
    # of 3e6, over which the central difference averages the slope to ~0 at h and 2h alike, so the two
    # agree and the gap shows nothing. A disagreement there is differenced again, as below.
    largest_step = float(np.max(probes.steps))
    unsure = h is None and largest_step > LARGE_STEP and relative_error(a, n) > tolerance
    if h is None and not f_low and scale > 0 and (NOISE_MULTIPLE * noise > tolerance or unsure):
        # The gap between steps h and 2h is far above f's rounding: the default step is too large for f
        # (truncation, as for sin(w) at |w| = 1e6), or f is noisy. numdiff's adaptive steps tell which.
        rounding_noise = float(np.max(rounding / probes.steps)) / scale
        if noise > NOISE_MULTIPLE * rounding_noise or unsure:
            adapted = _adapted(fx, params, probes, mode)
            if adapted is None:
                cause = "truncation"
            elif _kinks_explain(fx, params, probes, adapted, tolerance, mode):
                pass  # at a kink the gap is no truncation: the kink diagnosis below says what it is
            else:
                default_steps = probes.steps
                probes, n = adapted, adapted.numerical
                scale = max(float(np.max(np.abs(a))), float(np.max(np.abs(n))))
                noise = float(probes.noise / scale) if scale > 0 else 0.0
                cause = "unsettled" if NOISE_MULTIPLE * noise > tolerance else "rounding"
                notes = _adapted_note(float(np.max(default_steps)), float(np.max(np.abs(params.x))))
    error = relative_error(a, n)
    base_tolerance = tolerance
    tolerance = float(max(tolerance, min(NOISE_MULTIPLE * noise, MAX_NOISE_TOLERANCE)))
    ok = bool(error <= tolerance)
    within_noise = NOISE_MULTIPLE * noise > MAX_NOISE_TOLERANCE and error <= NOISE_MULTIPLE * noise
    if not ok and not within_noise and mode == "coordinates":
        found = _kink_beside_w(fx, params, probes, tolerance, scale)
        if found is not None:  # a right grad next to a kink: compare it with the slope on w's side
            n = n.copy()
            for i, _, _, side in found:
                n[i] = side
            # the gaps between h and 2h were the kink's, not noise: what is left is f's rounding
            noise = float(np.max(rounding / probes.steps)) / scale
            probes = probes._replace(numerical=n, noise=noise * scale)
            tolerance = float(max(base_tolerance, min(NOISE_MULTIPLE * noise, MAX_NOISE_TOLERANCE)))
            error = relative_error(a, n)
            ok = bool(error <= tolerance)
            notes += _kink_beside_w_note(found, params)
    if ok or within_noise:
        kind, diagnosis = _verdict_within_noise(ok, error, tolerance, noise, scale, f_dtype, grad_low, cause)
        factor, wrong_parts = None, ()
    else:
        kind, diagnosis, factor, wrong_parts = _diagnose(probes, params, fx, tolerance, scale, mode)
        if kind in ("wrong", "partial") and unsure:
            # no clean pattern (factor, sign, zero, transpose), and steps that may skip over f's changes:
            # the numerical side cannot be trusted, so neither verdict can be given
            kind, factor, wrong_parts = "noisy", None, ()
            diagnosis = (
                f"cannot check grad: the check is inconclusive. The default steps reach {_num(largest_step)} "
                f"(they grow with |w|, which reaches {_num(float(np.max(np.abs(params.x))))}), far larger than "
                "the scale on which f may change; numdiff's adaptive steps, tried there, cannot vouch for their "
                "value either (compared with them: " + diagnosis + "). Check grad at a w of "
                "moderate size, or pass a step h= suited to f"
            )
        if grad_low:
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
        analytic=analytic,
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
