"""Relative error and a gradient checker that says *why* a gradient is wrong.

``check_gradient(f, grad, w)`` compares ``grad(w)`` with central differences of ``f``
(:func:`labcode.numdiff.gradient`) and returns a :class:`GradCheckResult` whose ``kind`` names what
it found. Before any arithmetic it checks what grad returned (errors, keys, shapes, nan); when the
numbers disagree it tries, in turn, a kink, one wrong named parameter, zero, a sign, a constant
factor, a transpose, and some wrong coordinates:

===============  ==========================================================================
kind             meaning (``ok`` is True only for "ok" and a passing "noisy")
===============  ==========================================================================
``ok``           grad matches the numerical gradient up to finite-difference noise
``noisy``        f computes in low precision, or its finite differences are noisy for
                 another reason (a tiny gradient next to a large f): ``ok`` says whether grad
                 agrees within that noise; a failing "noisy" means the check is inconclusive
``error``        f or grad raised, or returned something that is not a number / an array
                 (``None``, a non-scalar loss); the diagnosis holds the exception's text
``keys``         grad returned a dict whose keys differ from w's
``shape``        grad (or one entry of its dict) has the wrong shape; caught before any
                 arithmetic, so broadcasting cannot hide it
``transpose``    grad is the transpose of the right gradient, or has the transposed shape
``nonfinite``    grad, f(w) or the numerical gradient holds nan or inf (the diagnosis says where)
``zero``         grad is zero where the numerical gradient is not
``sign``         grad = -(right gradient)
``factor``       grad = c * (right gradient) for a constant c != 1 (``factor`` holds c)
``partial``      some parameters (dict keys) or coordinates are wrong and the rest match
                 (``wrong_parts`` names them)
``kink``         f is not differentiable at w (a ReLU or abs at exactly 0): the one-sided
                 slopes differ, so no finite difference can vouch for grad there
``wrong``        grad disagrees and none of the patterns above explains it
===============  ==========================================================================

``KINDS`` holds the same table for programs (the lab grader maps kinds to hints).

How the pass threshold is set. Central differences with the step h ~ cbrt(eps) * max(1, |w_i|) err by
about eps**(2/3) ~ 4e-11 relative to the gradient, so a right float64 gradient typically agrees to 1e-8
or better, while a real bug (a dropped term, a factor, a sign) disagrees by 1e-3 or more. The check
estimates the noise of its own finite differences from the gap between steps h and 2h (which measures
the truncation error and the rounding noise) and from the rounding of f, eps * |f(w)| / h, and passes
when ``max_relative_error <= tolerance = max(rtol, 10 * expected_noise)`` (the noise term capped at
1e-2: finite differences that noisy cannot vouch for a gradient). The default ``rtol`` is
1e-6 when f computes in float64 (far above the noise, far below any bug) and 1e-3 when f returns float32
or float16, whose finite differences are good to a few digits only.
"""

from __future__ import annotations

import html
import math
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from labcode import numdiff
from labcode._checks import (
    as_float_array,
    require_callable,
    require_finite,
    require_positive_step,
    scalar_output,
    shape_str,
)

__all__ = ["KINDS", "GradCheckResult", "check_gradient", "relative_error"]

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
NOISE_SAMPLE = 64  # coordinates re-differenced at 2h to estimate the noise
KINK_PROBES = 20  # at most this many disagreeing coordinates are tested for a kink
SHOWN = 5  # coordinates named in a diagnosis; the rest are counted


def _fmt(x: float, digits: int = 2) -> str:
    """A number with a fixed count of significant digits: 0.50, 1.0, 3.2e-10 (reprs must be stable)."""
    x = float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if x == 0:
        return "0"
    if 1e-3 <= abs(x) < 10**digits:
        return f"{x:#.{digits}g}".rstrip(".")
    return f"{x:.{digits - 1}e}"


def _num(x: float) -> str:
    """A value quoted in a diagnosis: four significant digits, no trailing zeros."""
    return f"{float(x):.4g}"


def relative_error(a: Any, b: Any) -> float:
    """``max|a - b| / max(max|a|, max|b|)``: the largest disagreement relative to the larger array.

    a, b: arrays of exactly the same shape (no broadcasting: a (5, 1) against a (5,) raises
    ValueError, because broadcasting them would compare 25 pairs that mean nothing).
    Returns 0.0 when both are all zeros (or empty), ``inf`` when either holds nan or inf (a
    non-finite gradient is never "close"), and otherwise a float in [0, 2].
    """
    a = as_float_array(a, "a")
    b = as_float_array(b, "b")
    if a.shape != b.shape:
        raise ValueError(
            f"a and b must have the same shape, got a of shape {shape_str(a.shape)} and b of shape "
            f"{shape_str(b.shape)}; relative_error does not broadcast"
        )
    if a.size == 0:
        return 0.0
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        return math.inf
    scale = max(float(np.max(np.abs(a))), float(np.max(np.abs(b))))
    if scale == 0.0:
        return 0.0
    with np.errstate(over="ignore"):
        gap = float(np.max(np.abs(a - b)))
    if not math.isfinite(gap):  # |a - b| overflowed (values near 1e308): compare scaled copies instead
        return float(np.max(np.abs(a / scale - b / scale)))
    return gap / scale


@dataclass(frozen=True, eq=False, repr=False)
class GradCheckResult:
    """The outcome of :func:`check_gradient`: truthy iff the gradient is right.

    ``analytic`` is grad(w) and ``numerical`` the central-difference gradient, each an array shaped like
    w or a dict like w (``numerical`` is None in "directions" mode and when the check stopped early).
    ``max_relative_error``, ``tolerance`` and ``expected_noise`` are relative to the larger of the two
    gradients (nan when the check stopped before comparing). In "directions" mode they compare the
    directional derivatives v . grad(w) with (f(w + hv) - f(w - hv)) / (2h), which are kept in
    ``directional_analytic`` and ``directional_numerical`` (shape (n_checked,)). ``rows`` holds a few
    ``(index, analytic, numerical)`` triples for display.

    ``kind`` is one of ``KINDS``. ``factor`` is analytic / numerical for "factor" and "sign" (and for
    "transpose" and "partial" when one constant also explains it), else None. ``wrong_parts`` names
    what the diagnosis blames: parameter names ("b") when w is a dict, coordinates ("w[3]",
    "W[0, 1]") when w is one array; it is empty for kinds that blame everything.
    ``n_evaluations`` counts the calls of f.
    """

    ok: bool
    kind: str
    diagnosis: str
    max_relative_error: float
    tolerance: float
    expected_noise: float
    analytic: Any
    numerical: Any
    factor: float | None = None
    wrong_parts: tuple[str, ...] = ()
    mode: str = "coordinates"
    checked: str = ""
    n_checked: int = 0
    n_evaluations: int = 0
    rows: tuple[tuple[str, float, float], ...] = ()
    directional_analytic: np.ndarray | None = None
    directional_numerical: np.ndarray | None = None

    def __bool__(self) -> bool:
        return self.ok

    def _summary(self) -> list[tuple[str, str]]:
        def measured(x: float) -> str:
            return "not computed" if math.isnan(x) else _fmt(x)

        lines = [
            ("diagnosis", self.diagnosis),
            ("max relative error", measured(self.max_relative_error)),
            ("tolerance", _fmt(self.tolerance)),
            ("expected noise", measured(self.expected_noise)),
        ]
        if self.factor is not None:
            lines.append(("factor", _num(self.factor)))
        if self.wrong_parts:
            shown = ", ".join(self.wrong_parts[:SHOWN])
            more = len(self.wrong_parts) - SHOWN
            lines.append(("wrong parts", shown + (f" and {more} more" if more > 0 else "")))
        if self.checked:
            lines.append(("checked", self.checked))
        return lines

    def __repr__(self) -> str:
        head = f"GradCheckResult({'OK' if self.ok else 'FAIL'}, kind={self.kind!r})"
        width = max(len(name) for name, _ in self._summary()) + 2
        return "\n".join([head] + [f"  {name + ':':<{width}}{text}" for name, text in self._summary()])

    def _repr_html_(self) -> str:
        colour = "#009E73" if self.ok else "#D55E00"
        cells = [("status", f'<b style="color:{colour}">{"OK" if self.ok else "FAIL"}</b> ({self.kind})')]
        cells += [(name, html.escape(text)) for name, text in self._summary()]
        left = 'style="text-align:left"'
        out = ["<div>", "<table>"]
        out += [f"<tr><th {left}>{html.escape(name)}</th><td {left}>{text}</td></tr>" for name, text in cells]
        out.append("</table>")
        if self.rows:
            out.append("<table>")
            out.append("<tr><th>index</th><th>analytic</th><th>numerical</th><th>ratio</th></tr>")
            for label, a, n in self.rows:
                ratio = _fmt(a / n, 4) if n != 0 else "&ndash;"
                out.append(
                    f"<tr><td {left}>{html.escape(label)}</td><td>{_fmt(a, 4)}</td>"
                    f"<td>{_fmt(n, 4)}</td><td>{ratio}</td></tr>"
                )
            out.append("</table>")
        out.append("</div>")
        return "\n".join(out)


class _Stop(Exception):
    """Raised inside the check when it ends before comparing (an error, a shape, a nan...)."""

    def __init__(self, kind: str, diagnosis: str, analytic: Any = None) -> None:
        super().__init__(diagnosis)
        self.kind, self.diagnosis, self.analytic = kind, diagnosis, analytic


def _exception_text(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text[:300]}" if text else type(exc).__name__


class _Params:
    """The parameters flattened into one float64 vector, and the way back to the caller's form."""

    def __init__(self, w: Any) -> None:
        if isinstance(w, Mapping):
            if not w:
                raise ValueError("w is an empty dict; give at least one named parameter")
            for key in w:
                if not isinstance(key, str):
                    raise TypeError(f"the keys of w must be parameter names (str), got {key!r}")
            self.is_dict = True
            self.names = tuple(w)
            arrays = [as_float_array(w[k], f"w[{k!r}]") for k in self.names]
            labels = [f"w[{k!r}]" for k in self.names]
        else:
            self.is_dict = False
            self.names = ("w",)
            arrays = [as_float_array(w, "w")]
            labels = ["w"]
        for arr, label in zip(arrays, labels, strict=True):
            if arr.size == 0:
                raise ValueError(f"{label} has no entries (shape {shape_str(arr.shape)})")
            require_finite(arr, label)
        self.shapes = tuple(arr.shape for arr in arrays)
        self.sizes = tuple(arr.size for arr in arrays)
        self.starts = tuple(int(s) for s in np.cumsum((0,) + self.sizes[:-1]))
        self.x = np.concatenate([arr.ravel() for arr in arrays])
        self.part_of = np.repeat(np.arange(len(arrays)), self.sizes)

    def slice(self, p: int) -> slice:
        return slice(self.starts[p], self.starts[p] + self.sizes[p])

    def unpack(self, v: np.ndarray) -> np.ndarray | dict[str, np.ndarray]:
        """The caller's form of the flat vector ``v``, as fresh copies (f may modify its argument)."""
        parts = [v[self.slice(p)].reshape(self.shapes[p]).copy() for p in range(len(self.names))]
        return dict(zip(self.names, parts, strict=True)) if self.is_dict else parts[0]

    def label(self, i: int) -> str:
        """``w[3]``, ``W[1, 2]``, ``b``: how coordinate ``i`` of the flat vector is named to the reader."""
        p = int(self.part_of[i])
        name, shape = self.names[p], self.shapes[p]
        if shape == ():
            return name
        index = np.unravel_index(i - self.starts[p], shape)
        return f"{name}[{', '.join(str(int(k)) for k in index)}]"

    def quoted(self, p: int) -> str:
        return repr(self.names[p]) if self.is_dict else self.names[p]


def _shape_hint(got: tuple[int, ...], expected: tuple[int, ...]) -> str:
    """The usual cause of a gradient of shape ``got`` where ``expected`` was due."""
    if expected == () and int(np.prod(got)) == 1:
        return "the parameter is a scalar, so its gradient must be one too (e.g. .sum() or float(...))"
    if got == expected + (1,):
        return (
            "a column vector; the usual cause is y of shape (n, 1) or a column vector w: keep both 1-D "
            "(y.ravel()) so the gradient has the shape of w"
        )
    if got == (1,) + expected:
        return "a row vector: the gradient must have the shape of the parameter; drop the extra axis"
    if len(got) == len(expected) == 2 and got == expected[::-1]:
        return "it is transposed: for W of shape (d, k) the gradient is X.T @ G, shape (d, k), not G.T @ X"
    if len(got) == len(expected) + 1 and got[: len(expected)] == expected:
        return (
            "an extra axis: did X @ w - y broadcast (n,) against a y of shape (n, 1) into (n, n)? "
            "keep y of shape (n,)"
        )
    if int(np.prod(got)) == int(np.prod(expected)):
        return "the right number of entries in the wrong layout: check reshapes and transposes"
    return "a gradient always has the shape of its parameter"


def _analytic(grad_out: Any, params: _Params) -> tuple[np.ndarray, bool]:
    """Check grad's output against the parameters' structure; return it flattened, and whether it
    came in a precision lower than float64.

    Raises _Stop for the student's mistakes: None, a wrong container, wrong keys, wrong shapes, nan.
    """
    if grad_out is None:
        raise _Stop("error", "grad returned None: did you forget the return statement?")
    if params.is_dict:
        if not isinstance(grad_out, Mapping):
            raise _Stop(
                "error",
                f"grad must return a dict with the keys of w ({', '.join(map(repr, params.names))}), "
                f"got {type(grad_out).__name__}",
            )
        missing = [k for k in params.names if k not in grad_out]
        extra = [k for k in grad_out if k not in params.names]
        if missing or extra:
            said = []
            if missing:
                said.append(f"missing {', '.join(map(repr, missing))}")
            if extra:
                said.append(f"unexpected {', '.join(map(repr, extra))}")
            raise _Stop(
                "keys",
                f"grad's keys do not match w's ({', '.join(map(repr, params.names))}): {'; '.join(said)}",
            )
        values = [grad_out[k] for k in params.names]
        labels = [f"grad[{k!r}]" for k in params.names]
    else:
        if isinstance(grad_out, Mapping):
            raise _Stop(
                "error", "grad returned a dict, but w is a single array: return one array shaped like w"
            )
        values, labels = [grad_out], ["grad"]
    arrays = []
    for value, label in zip(values, labels, strict=True):
        if value is None:
            raise _Stop("error", f"{label} is None: did you forget to return it?")
        try:
            arrays.append(as_float_array(value, label))
        except TypeError as exc:
            raise _Stop("error", str(exc)) from None
    given: Any = dict(zip(params.names, arrays, strict=True)) if params.is_dict else arrays[0]
    for arr, label, shape in zip(arrays, labels, params.shapes, strict=True):
        if arr.shape != shape:
            kind = "transpose" if len(shape) == 2 and arr.shape == shape[::-1] else "shape"
            raise _Stop(
                kind,
                f"{label} has shape {shape_str(arr.shape)}, expected {shape_str(shape)}: "
                f"{_shape_hint(arr.shape, shape)}",
                given,
            )
    flat = np.concatenate([arr.ravel() for arr in arrays])
    bad = ~np.isfinite(flat)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        where = params.label(first)
        raise _Stop(
            "nonfinite",
            f"grad is {flat[first]} at {where} ({int(bad.sum())} of {flat.size} entries are nan or inf): "
            "look for log(0), 0/0 or an overflowing exp in grad",
            given,
        )
    return flat, any(_low_precision(np.asarray(v).dtype) for v in values)


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


def _low_precision(dtype: np.dtype) -> bool:
    return bool(np.issubdtype(dtype, np.floating) and dtype.itemsize < 8)


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


def _require_count(value: Any, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


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


def _verdict_within_noise(
    ok: bool, error: float, tolerance: float, noise: float, scale: float, f_dtype: np.dtype, grad_low: bool
) -> tuple[str, str]:
    """Kind and diagnosis when grad agrees with the numerical gradient within its noise (or the noise
    is too large to tell): "ok", or "noisy" with the likely reason for the noise."""
    numbers = f"max relative error {_fmt(error)}, tolerance {_fmt(tolerance)}, expected noise {_fmt(noise)}"
    if ok and not _low_precision(f_dtype) and NOISE_MULTIPLE * noise <= NOISY_LEVEL:
        note = "; note: grad returns float32, good to ~7 digits only" if grad_low else ""
        return "ok", f"grad is correct up to finite-difference noise ({numbers}){note}"
    if _low_precision(f_dtype):
        reason = (
            f"f returns {f_dtype}, so its finite differences carry only a few digits; compute f in float64"
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


def _entries(params: _Params) -> str:
    """How many numbers w holds: "w has 500 entries", or for a dict the total over its parameters."""
    if params.is_dict:
        return f"the parameters have {params.x.size} entries in all"
    return f"w has {params.x.size} entries"


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

    Raises TypeError/ValueError for the caller's own mistakes (f or grad not callable, w not finite or
    empty, rtol or h not > 0). Whatever f and grad do when called (raise, return None or a wrong shape)
    becomes a result with a diagnosis instead: the grader runs this on students' code.
    """
    require_callable(f, "f")
    require_callable(grad, "grad")
    rtol = None if rtol is None else require_positive_step(rtol, "rtol")
    h = None if h is None else require_positive_step(h, "h")
    seed = _require_count(seed, "seed", 0)
    max_coordinates = _require_count(max_coordinates, "max_coordinates", 1)
    n_directions = _require_count(n_directions, "n_directions", 1)
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
    error = relative_error(a, n)
    noise = float(probes.noise / scale) if scale > 0 else 0.0
    tolerance = float(max(tolerance, min(NOISE_MULTIPLE * noise, MAX_NOISE_TOLERANCE)))
    ok = bool(error <= tolerance)
    if ok or (NOISE_MULTIPLE * noise > MAX_NOISE_TOLERANCE and error <= NOISE_MULTIPLE * noise):
        kind, diagnosis = _verdict_within_noise(ok, error, tolerance, noise, scale, f_dtype, grad_low)
        factor, wrong_parts = None, ()
    else:
        kind, diagnosis, factor, wrong_parts = _diagnose(probes, params, fx, tolerance, scale, mode)
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
