"""The numerical side of check_gradient: f on the flat vector, and the probes that compare it with grad.

A probe is one coordinate ("coordinates" mode) or one random direction ("directions" mode, for large
models): grad(w) along it, the central difference of f along it, and the noise expected in that
difference, measured from the gap between steps h and 2h and from the rounding of f.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from labcode import numdiff
from labcode._checks import (
    scalar_output,
)
from labcode.gradcheck._parameters import _exception_text, _Params, _Stop
from labcode.gradcheck._result import _num

NOISE_SAMPLE = 64  # coordinates re-differenced at 2h to estimate the noise


class _Evaluator:
    """f on the flat parameter vector: counts its calls and turns a student's failure into a _Stop.

    A non-scalar or non-finite value ends the check with a diagnosis that says where f was evaluated.
    numpy's floating-point warnings inside f are silenced, as labcode.numdiff does: nan and inf are
    reported by the check itself.
    """

    def __init__(self, f: Callable[..., Any], params: _Params) -> None:
        self.f, self.params, self.calls = f, params, 0
        self.dtype = np.dtype(np.float64)  # the dtype of f's last value: float32 means noisy differences

    def _where(self, point: np.ndarray) -> str:
        moved = np.flatnonzero(point != self.params.x)
        if moved.size == 0:
            return "at w"
        if moved.size == 1:
            i = int(moved[0])
            return f"at w with {self.params.label(i)} moved by {_num(point[i] - self.params.x[i])}"
        return f"at w moved along a direction (step {_num(np.linalg.norm(point - self.params.x))})"

    def __call__(self, point: np.ndarray) -> float:
        self.calls += 1
        point = np.asarray(point, dtype=np.float64)
        try:
            with np.errstate(all="ignore"):
                out = self.f(self.params.unpack(point))
        except Exception as exc:  # the student's f: report it, do not crash the grader
            raise _Stop("error", f"f raised {_exception_text(exc)} {self._where(point)}") from None
        value = _scalar_value(out)
        self.dtype = np.asarray(out).dtype
        if not math.isfinite(value):
            raise _Stop(
                "nonfinite",
                f"f is {value} {self._where(point)}: f must be finite at w and next to it "
                "(log(0)? an overflowing exp? w at the edge of f's domain?)",
            )
        return value


def _scalar_value(out: Any) -> float:
    """f's output as a float, or a _Stop explaining why it is not a real number."""
    try:
        value = scalar_output(out, "f")
    except (TypeError, ValueError) as exc:
        raise _Stop("error", str(exc)) from None
    if isinstance(value, complex):
        raise _Stop("error", f"f must return a real number, got the complex {value!r}")
    return float(value)


class _Probes(NamedTuple):
    """What was compared: one entry per coordinate ("coordinates" mode) or per direction."""

    analytic: np.ndarray  # (m,) grad(w) along each probe
    numerical: np.ndarray  # (m,) the central difference along each probe
    noise: float  # the absolute noise expected in `numerical`
    part: np.ndarray  # (m,) which parameter each probe lies in
    labels: Callable[[int], str]
    steps: np.ndarray  # (m,) the finite-difference step of each probe
    directions: tuple[np.ndarray, ...]  # directions mode: each probe's unit vector within its parameter


def _derivative_along(
    fx: _Evaluator, x: np.ndarray, v: np.ndarray, step: float, method: str = "central"
) -> float:
    """d/dt f(x + t v) at t = 0, by labcode.numdiff with the given step."""
    return numdiff.derivative(lambda t: fx(x + t * v), 0.0, method=method, h=step)


def _coordinate_probes(
    fx: _Evaluator,
    params: _Params,
    ga: np.ndarray,
    h: float | None,
    low_step: float | None,
    rounding: float,
    seed: int,
) -> _Probes:
    """Every coordinate by numdiff.gradient at step h, and again at 2h on a sample to measure the noise.

    h: the caller's step, or None for numdiff's default. ``low_step``: f computes in low precision, so
    use steps ``low_step * max(1, |w_i|)`` instead: numdiff.gradient of z -> f(w + z * max(1, |w|)) at
    z = 0 with the one step low_step gives each coordinate its own step.
    """
    x = params.x
    if h is not None:
        steps = np.full(x.size, h)
        numerical = numdiff.gradient(fx, x, h=h)
    elif low_step is not None:
        scale = np.maximum(1.0, np.abs(x))
        steps = low_step * scale
        numerical = numdiff.gradient(lambda z: fx(x + z * scale), np.zeros_like(x), h=low_step) / scale
    else:
        steps = np.array([numdiff.default_step(xi, "central") for xi in x])
        with warnings.catch_warnings():  # the check measures its own noise below
            warnings.simplefilter("ignore", numdiff.AccuracyWarning)
            numerical = numdiff.gradient(fx, x)
    if x.size <= NOISE_SAMPLE:
        sample = np.arange(x.size)
    else:
        sample = np.sort(np.random.default_rng(seed).choice(x.size, NOISE_SAMPLE, replace=False))
    # The gap between steps h and 2h: ~3x the truncation error at h, plus the rounding noise of both.
    gaps = []
    for i in sample:
        e = np.zeros(x.size)
        e[i] = 1.0
        gaps.append(abs(numerical[i] - _derivative_along(fx, x, e, 2 * float(steps[i]))))
    noise = max(float(max(gaps)), float(np.max(rounding / steps)))
    return _Probes(
        ga, np.asarray(numerical, dtype=np.float64), noise, params.part_of, params.label, steps, ()
    )


def _direction_probes(
    fx: _Evaluator,
    params: _Params,
    ga: np.ndarray,
    h: float | None,
    low_step: float | None,
    rounding: float,
    n_directions: int,
    seed: int,
) -> _Probes:
    """Directional derivatives v . grad(w) against (f(w + hv) - f(w - hv)) / 2h, for random unit vectors v.

    Each parameter gets its own ``n_directions`` directions (drawn from ``default_rng(seed)``), so a
    wrong parameter is still named; one with at most ``n_directions`` entries is probed coordinate by
    coordinate instead. Each probe costs 4 evaluations of f (steps h and 2h, for the noise).
    """
    rng = np.random.default_rng(seed)
    x = params.x
    labels: list[str] = []
    analytic, numerical, gaps, parts, steps, directions = [], [], [], [], [], []
    for p in range(len(params.names)):
        span = params.slice(p)
        size = params.sizes[p]
        if size <= n_directions:
            units = list(np.eye(size))
            labels += [params.label(i) for i in range(span.start, span.stop)]
            scales = [max(1.0, abs(xi)) for xi in x[span]]
        else:
            units = []
            for _ in range(n_directions):
                z = rng.standard_normal(size)
                units.append(z / np.linalg.norm(z))
            where = params.quoted(p)
            labels += [f"direction {j} in {where}" for j in range(n_directions)]
            # A unit step moves each entry by ~1/sqrt(size): scale the step to the entries' typical size.
            scales = [max(1.0, float(np.sqrt(np.mean(x[span] ** 2))))] * n_directions
        for u, s in zip(units, scales, strict=True):
            if h is not None:
                step = h
            elif low_step is not None:
                step = low_step * s
            else:
                step = numdiff.default_step(s, "central")
            v = np.zeros(x.size)
            v[span] = u
            value = _derivative_along(fx, x, v, step)
            analytic.append(float(ga[span] @ u))
            numerical.append(value)
            gaps.append(abs(value - _derivative_along(fx, x, v, 2 * step)))
            parts.append(p)
            steps.append(step)
            directions.append(u)
    steps_arr = np.asarray(steps, dtype=np.float64)
    noise = max(float(max(gaps)), float(np.max(rounding / steps_arr)))
    return _Probes(
        np.asarray(analytic, dtype=np.float64),
        np.asarray(numerical, dtype=np.float64),
        noise,
        np.asarray(parts),
        labels.__getitem__,
        steps_arr,
        tuple(directions),
    )


# Re-differencing with numdiff's adaptive steps costs up to ~26 evaluations per probe: only this many.
ADAPT_LIMIT = 2000


def _adapted(fx: _Evaluator, params: _Params, probes: _Probes, mode: str) -> _Probes | None:
    """The probes again, each by ``numdiff.derivative(..., method="adaptive")``, when the default steps
    were too large for f (truncation, not noise: sin(w) at |w| = 1e6 has a step of 3).

    Ridders' method picks each probe's steps from f and estimates its error, so the noise becomes the
    largest of those estimates. A probe whose f leaves its domain at the adaptive steps keeps its old
    value and noise. None when there are more than ADAPT_LIMIT probes (the caller then only names the
    cause). The steps kept for the kink test are capped at 1e-4 (f may vary on the scale 1).
    """
    m = probes.analytic.size
    if m > ADAPT_LIMIT:
        return None
    x = params.x
    numerical = probes.numerical.copy()
    errors = np.full(m, probes.noise)
    for k in range(m):
        if mode == "coordinates":

            def along(t: float, k: int = k) -> float:
                point = x.copy()
                point[k] = t
                return fx(point)

            start = float(x[k])
        else:
            v = np.zeros(x.size)
            v[params.slice(int(probes.part[k]))] = probes.directions[k]

            def along(t: float, v: np.ndarray = v) -> float:
                return fx(x + t * v)

            start = 0.0
        try:
            result = numdiff.derivative(along, start, method="adaptive", full_output=True)
        except _Stop:
            continue
        numerical[k], errors[k] = result.value, result.error_estimate
    floor = 1e6 * np.spacing(np.abs(x[:m] if mode == "coordinates" else np.zeros(m)))
    steps = np.minimum(probes.steps, np.maximum(1e-4, floor))
    return probes._replace(numerical=numerical, noise=float(np.max(errors)), steps=steps)
