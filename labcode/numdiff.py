"""Numerical differentiation: finite differences, the complex step and Richardson extrapolation.

Each formula is one short private function of a scalar function ``f`` of a scalar ``x``
(``_forward_difference``, ``_central_difference``, ``_complex_step``, ...). The public functions
check their arguments, pick a step with :func:`default_step`, and apply the formulas one coordinate
at a time:

derivative  f: R -> R,                  returns a float
gradient    f: array of any shape -> R,  returns an array shaped like w
jacobian    f: array -> array,           returns f(w).shape + w.shape
hessian     f: R^d -> R,                 returns (d, d)

Every step is ``factor * max(1, |x|)``: the factor is where the method's two errors (truncation,
which grows with h, and round-off, which grows as h shrinks) balance; ``max(1, |x|)`` keeps the
step a fixed fraction of x for large x, and keeps it from vanishing near x = 0. That assumes f
varies on the scale of x, which fails for sin(x) at x = 1e6 (the step is 3.0) or x log x at 1e-5.

So every value comes with an error estimate (``full_output=True`` returns a
:class:`DerivativeResult`: value, error_estimate, evaluations, success, message), made in
:mod:`labcode._numdiff_estimates`: the difference at 2h beside the one at h, Richardson's levels
against each other, and the rounding of f's values. A plain call returns the value and warns
(:class:`AccuracyWarning`) when that estimate says the value may be wrong, with the reason and what to
try. ``method="adaptive"`` chooses the step from f's behaviour (Ridders' method).

What the check costs: ``derivative`` with the default step checks itself (2 more evaluations for
central, at 2h; 2 for forward/backward, at 2h and 4h; a central difference for the complex step, and
Ridders' method when that one is too rough to tell; Richardson's levels check each other for free).
``gradient``, ``jacobian`` and ``hessian`` keep their default at the cost the chapters count (2
evaluations per coordinate for central) and estimate only the rounding, judging only entries above
it (an entry at the rounding level is zero within noise); ``full_output=True`` adds the check at 2h.
Two cases are checked whatever the call, so that the four functions warn alike: a coordinate with
|w_i| > ``LARGE_COORDINATE`` (100), where the default step has grown past 3e-4, is also differenced at
2h (2 more evaluations each; sin(w) at w = 1e6 warns in gradient as in derivative), and an f that
returns float32 or float16 values, whose few digits the float64 default step cannot resolve, is never
called accurate. A step h passed by the caller gives the plain formula, no check and no warning.

    >>> import math
    >>> import numpy as np
    >>> abs(derivative(np.sin, 1.0) - math.cos(1.0)) < 1e-9
    True
    >>> gradient(lambda w: (w**2).sum(), np.array([1.0, -2.0])).round(8)
    array([ 2., -4.])
    >>> result = derivative(np.sin, 1e6, full_output=True)  # the step 3.03 is too large for sin here
    >>> result.success, "pass a smaller h= or method='adaptive'" in result.message
    (False, True)
    >>> f32 = lambda w: np.sum(w.astype(np.float32) ** 2)  # f computes in float32
    >>> gradient(f32, np.array([0.5, 1.5]), full_output=True).success
    False
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from labcode import _numdiff_estimates as _est
from labcode._checks import (
    as_float_array,
    real_scalar,
    require_callable,
    require_choice,
    require_finite,
    require_flag,
    require_nonempty,
    require_positive_step,
)
from labcode._numdiff_calls import CountingFunction, _checked, count_evaluations
from labcode._numdiff_estimates import (
    ACCURACY_RTOL,
    AccuracyWarning,
    ComplexValue,
    DerivativeResult,
    NonFiniteValue,
)

EPS = float(np.finfo(np.float64).eps)  # 2.2e-16, the gap between 1.0 and the next float

METHODS = ("forward", "backward", "central", "complex", "richardson")  # the fixed-step formulas
# Every method derivative and gradient accept: the formulas, and Ridders' method, which picks its own steps.
ALL_METHODS = (*METHODS, "adaptive")

__all__ = [
    "ACCURACY_RTOL",
    "ALL_METHODS",
    "METHODS",
    "STEP_FACTORS",
    "AccuracyWarning",
    "CountingFunction",
    "DerivativeResult",
    "count_evaluations",
    "default_step",
    "derivative",
    "gradient",
    "hessian",
    "jacobian",
]

# How many central differences Richardson extrapolation combines: steps h, h/2, ..., h/16.
RICHARDSON_LEVELS = 5

# A slope of exactly 0 is trusted only if f is also unchanged at x +- FLAT_PROBE * max(1, |x|).
FLAT_PROBE = 1e-3

# gradient, jacobian and hessian check a coordinate at 2h (2 more evaluations) where |w_i| exceeds this:
# there the default step, max(1, |w_i|) times its factor, may be too large for f (see _needs_check).
LARGE_COORDINATE = 100.0

# The default step is STEP_FACTORS[method] * max(1, |x|); default_step explains each factor.
# "second" is the step of the second differences in hessian.
STEP_FACTORS: dict[str, float] = {
    "forward": EPS ** (1 / 2),  # 1.5e-8
    "backward": EPS ** (1 / 2),
    "central": EPS ** (1 / 3) / 2,  # 3.0e-6
    "complex": 1e-20,
    "richardson": 1 / 16,
    "second": EPS ** (1 / 4),  # 1.2e-4
}


def default_step(x: float, method: str = "central") -> float:
    """The step h that ``derivative(f, x, method=method)`` uses: ``STEP_FACTORS[method] * max(1, |x|)``.

    Each factor comes from an error model: eps = 2.2e-16 bounds the relative rounding of one value
    of f, and f, f'', f''', ... are taken near x.

    - ``"forward"``/``"backward"``: truncation h|f''|/2, round-off eps|f|/h (two values of f, each
      off by eps|f|/2, divided by h). The sum is smallest at h* = sqrt(2 eps |f/f''|). Assuming f
      varies on the scale of x (|f/f''| ~ max(1, |x|)^2) gives ``sqrt(eps) * max(1, |x|)`` = 1.5e-8
      for |x| <= 1, and an error ~ sqrt(eps) ~ 1e-8.
    - ``"central"``: truncation h^2|f'''|/6, round-off eps|f|/(2h); smallest at
      h* = (1.5 eps |f/f'''|)^(1/3), i.e. ~ cbrt(eps) * max(1, |x|), error ~ eps^(2/3) ~ 4e-11.
      We take half of cbrt(eps) (3.0e-6): the round-off term is a worst case, real rounding errors
      are smaller, so the best step sits lower. Measured on exp, sin, log and x^3 over x in [0.5, 4],
      the worst relative error is 4.7e-11 with the factor 1/2 and 1.0e-10 with the factor 1
      (sin away from the zeros of cos, where a relative error of f' means nothing).
    - ``"complex"``: Im f(x + ih)/h subtracts nothing, so there is no round-off term: the error is
      h^2|f'''/f'|/6 relative plus one rounding of f. Any tiny h works; we take 1e-20.
    - ``"richardson"``: central differences at h, h/2, ..., h/16 (``RICHARDSON_LEVELS``), combined so
      the h^2, h^4, h^6, h^8 error terms cancel. Truncation is then ~ h^10, so h can be large, and a
      large smallest step h/16 keeps the round-off, ~ 16 eps|f|/h, small: h = max(1, |x|)/16 gives
      ~ 256 eps|f| ~ 6e-14 |f| for |x| <= 1. This assumes f varies on the scale of x: for a fast
      f (sin(50 x)) or near a singularity (the points reach x +- h) pass a smaller h.
    ``"adaptive"`` has no default step: it chooses its steps from f (see ``_numdiff_estimates.ridders``).
    - ``"second"`` (hessian): truncation h^2|f''''|/12, round-off 2 eps|f|/h^2; smallest at
      h* = (24 eps |f/f''''|)^(1/4), i.e. ~ eps^(1/4) * max(1, |x|) = 1.2e-4, error ~ sqrt(eps).

    x: a finite real number. Returns a float > 0.
    """
    method = require_choice(method, "method", tuple(STEP_FACTORS))
    x = _scalar_point(x)
    return STEP_FACTORS[method] * max(1.0, abs(x))


# ---------------------------------------------------------------------------------------------
# The formulas. f is a function of one real (or, for the complex step, complex) number.


def _exact_step(x: float, h: float) -> float:
    """The step the computer really takes: x + h is rounded, so use (x + h) - x, which is exact.

    x + h is then a float, and so is x - h unless it crosses a power of two away from 0.
    """
    step = (x + h) - x
    if step == 0:
        spacing = float(np.spacing(abs(x)))
        raise ValueError(
            f"h = {h!r} is too small at {x!r}: x + h rounds back to x, because floats there are "
            f"{spacing:.3g} apart; take h well above that (the default step does)"
        )
    return step


def _forward_difference(f: Callable, x: float, h: float, fx: Any) -> Any:
    """(f(x + h) - f(x)) / h. First order: the error is ~ h|f''|/2. ``fx`` is f(x), computed once."""
    return (f(x + h) - fx) / h


def _backward_difference(f: Callable, x: float, h: float, fx: Any) -> Any:
    """(f(x) - f(x - h)) / h. First order: the error is ~ h|f''|/2. ``fx`` is f(x), computed once."""
    return (fx - f(x - h)) / h


def _central_difference(f: Callable, x: float, h: float) -> Any:
    """(f(x + h) - f(x - h)) / 2h. The h|f''| terms cancel, leaving an error ~ h^2|f'''|/6."""
    return (f(x + h) - f(x - h)) / (2 * h)


def _complex_step(f: Callable, x: float, h: float) -> float:
    """Im f(x + ih) / h. f(x + ih) = f(x) + ih f'(x) - h^2 f''(x)/2 - ..., so the imaginary part
    holds h f'(x) with no subtraction and no cancellation: the error is ~ h^2|f'''|/6."""
    return f(complex(x, h)).imag / h


def _second_difference(f: Callable, x: float, h: float, fx: Any) -> Any:
    """(f(x + h) - 2 f(x) + f(x - h)) / h^2 ~ f''(x), with an error ~ h^2|f''''|/12."""
    return (f(x + h) - 2 * fx + f(x - h)) / h**2


def _mixed_difference(f: Callable, w: np.ndarray, i: tuple, j: tuple, hi: float, hj: float) -> float:
    """d^2 f / dw_i dw_j ~ [f(+hi, +hj) - f(+hi, -hj) - f(-hi, +hj) + f(-hi, -hj)] / (4 hi hj).

    The central difference in w_j of the central difference in w_i; the error is
    ~ (hi^2 f_iiij + hj^2 f_ijjj) / 6. The formula is symmetric in i and j.
    """

    def f_moved(step_i: float, step_j: float) -> float:
        point = w.copy()
        point[i] += step_i
        point[j] += step_j
        return f(point)

    return (f_moved(hi, hj) - f_moved(hi, -hj) - f_moved(-hi, hj) + f_moved(-hi, -hj)) / (4 * hi * hj)


def _central_and_rounding(f: Callable, x: float, h: float) -> tuple[Any, Any]:
    """The central difference at the exact step h, and the rounding error it may carry."""
    f_plus, f_minus = f(x + h), f(x - h)
    return (f_plus - f_minus) / (2 * h), _est.rounding_error([f_plus, f_minus], h)


def _adaptive_starts(x: float) -> list[float]:
    """Ridders' first steps: 0.1 (f varies on the scale 1), then 0.1 |x| (f varies on the scale of x).

    Each is kept a million float spacings above x, so that x + h is not x.
    """
    scales = [1.0] if x == 0 or abs(x) == 1 else [1.0, abs(x)]
    floor = 1e6 * float(np.spacing(abs(x)))
    return [max(_est.ADAPTIVE_FIRST_STEP * s, floor) for s in scales]


def _estimate_1d(
    f: Callable, x: float, method: str, h: float | None, check: bool, fx: Any = None
) -> _est.Estimate:
    """Apply one of ALL_METHODS to f at x with step h (richardson's largest; adaptive picks its own).

    ``check``: also take the difference at 2h to estimate the truncation error (2 more evaluations
    for central, at x +- 2h; 2 for forward/backward, at 2h and 4h); without it only the rounding is estimated. Richardson and
    adaptive estimate their error from their own tables, the complex step from one rounding of f.
    """
    if method == "adaptive":
        return _est.ridders(
            lambda step: _central_and_rounding(f, x, _exact_step(x, step)), _adaptive_starts(x)
        )
    assert h is not None
    if method == "complex":
        value = _complex_step(f, x, h)
        rounding = 4 * EPS * np.abs(value)  # Im f(x + ih) / h subtracts nothing: one rounding of f
        if not check:
            return _est.Estimate(value, rounding, rounding, "rounding", h)
        try:
            central = _estimate_1d(f, x, "central", default_step(x, "central"), check=False)
        except (NonFiniteValue, ComplexValue):  # x +- h leaves f's domain: let Ridders check instead
            central = _est.Estimate(math.inf, 0.0, 0.0, "rounding", 0.0)
        return _est.complex_checked(
            value, rounding, central, lambda: _estimate_1d(f, x, "adaptive", None, False)
        )
    if method == "richardson":
        levels = [_central_and_rounding(f, x, _exact_step(x, h / 2**i)) for i in range(RICHARDSON_LEVELS)]
        return _est.richardson_table([value for value, _ in levels], h, levels[-1][1])
    h = _exact_step(x, h)
    if method == "central":
        value, rounding = _central_and_rounding(f, x, h)
        if not check:
            return _est.Estimate(value, rounding, rounding, "rounding", h)
        return _est.two_steps(value, _central_difference(f, x, _exact_step(x, 2 * h)), rounding, h)
    fx = f(x) if fx is None else fx
    one_sided = _forward_difference if method == "forward" else _backward_difference
    value = one_sided(f, x, h, fx)
    rounding = _est.rounding_error([fx], h, multiple=2.0)
    if not check:
        return _est.Estimate(value, rounding, rounding, "rounding", h)
    coarse, coarser = (one_sided(f, x, _exact_step(x, k * h), fx) for k in (2, 4))
    return _est.two_steps(value, coarse, rounding, h, coarser)


def _along(f: Callable, w: np.ndarray, index: tuple) -> Callable:
    """t -> f(w with w[index] = t): f restricted to one coordinate axis, so the 1-D formulas apply."""

    def f_along(t: float | complex) -> Any:
        point = w.astype(np.result_type(w, t))  # a fresh copy (complex for the complex step)
        point[index] = t
        return f(point)

    return f_along


def _step_or_default(h: float | None, x: float, method: str) -> float | None:
    """The user's step h, or the default step for ``method`` at ``x`` (None: adaptive picks its own)."""
    if method == "adaptive":
        return None
    return default_step(x, method) if h is None else h


def _step_argument(h: Any, method: str) -> float | None:
    """h checked: a number > 0, or None; method="adaptive" takes none."""
    if h is None:
        return None
    if method == "adaptive":
        raise ValueError("h: method='adaptive' chooses its own steps; drop h= or choose another method")
    return require_positive_step(h, "h")


def _scalar_point(x: Any) -> float:
    """derivative's x: one finite real number."""
    return real_scalar(x, "x", hint="for a function of an array use gradient (or jacobian)")


def _array_point(w: Any) -> np.ndarray:
    """gradient's, jacobian's and hessian's w: a finite, non-empty float64 copy of the caller's array."""
    w = require_finite(as_float_array(w, "w"), "w")
    return require_nonempty(w, "w", "there is no coordinate to differentiate along")


def _needs_check(x: float, h: float | None) -> bool:
    """Whether a coordinate of gradient, jacobian or hessian is checked at 2h though the call is not.

    The default step grows with |x| (``max(1, |x|)``), which assumes f varies on the scale of x: sin(x)
    at x = 1e6 gets a step of 3, and a wrong slope. Below |x| = LARGE_COORDINATE the step is at most 3e-4
    (central), whose truncation error on an f varying on the scale 1 is below 1e-8 relative; above it
    the coordinate costs 2 more evaluations to check. A step given by the caller is never checked.
    """
    return h is None and abs(x) > LARGE_COORDINATE


def _precision_note(low_dtype: np.dtype | None) -> str:
    """Why a value from an f that returns float32/float16 carries few digits, and what to do."""
    if low_dtype is None:
        return ""
    eps_f = float(np.finfo(low_dtype).eps)
    return (
        f"f returns {low_dtype} values (machine epsilon {eps_f:.1e}), so every difference of them keeps "
        f"only a few digits (f's values are rounded about {eps_f / EPS:.0e} times more coarsely than "
        f"float64's, which the default step assumes). Compute f in float64, or pass a step suited to {low_dtype} "
        f"(h = {float(np.cbrt(eps_f)) / 2:.0e} * max(1, |x|) for central differences; "
        f"labcode.gradcheck.check_gradient picks it itself)"
    )


def _combine(estimates: list[_est.Estimate], shape: tuple[int, ...]) -> tuple[_est.Estimate, int]:
    """Per-coordinate estimates as one of arrays (each entry's value, error and rounding, in ``shape``
    followed by the value's own shape), with the reason and step of the worst entry, and its position."""
    worst = int(np.argmax([float(np.max(e.error)) for e in estimates]))
    values, errors, roundings = (np.array([e[k] for e in estimates]) for k in range(3))
    tail = values.shape[1:]
    reason = estimates[worst].reason
    if any(e.reason == "steps" for e in estimates) and reason == "rounding":
        reason = "steps"  # some coordinates were checked at 2h: the judge weighs them all
    combined = _est.Estimate(
        values.reshape(shape + tail),
        errors.reshape(shape + tail),
        roundings.reshape(shape + tail),
        reason,
        estimates[worst].step,
    )
    return combined, worst


def _report(
    estimate: _est.Estimate,
    calls: int,
    full_output: bool,
    warn: bool,
    where: str,
    as_value: Callable,
    low_dtype: np.dtype | None = None,
    what: str | None = None,
) -> Any:
    """The value (warning if its estimate says it may be wrong and ``warn``), or the full result.

    ``low_dtype``: f returned float32/float16 values, which the estimate (made with float64's epsilon)
    cannot vouch for: the value is then never called successful, and the message is about f alone
    (``what``, e.g. "the gradient", without the worst entry or estimated digits, which vary by CPU).
    """
    success, message = _est.judge(estimate, where)
    note = _precision_note(low_dtype)
    if note:
        success, message = False, f"{what or where} may be wrong: {note}"
    value = as_value(estimate.value)
    if full_output:
        return DerivativeResult(value, as_value(estimate.error), calls, success, message)
    if warn and not success:
        warnings.warn(message, AccuracyWarning, stacklevel=3)
    return value


# ---------------------------------------------------------------------------------------------
# The public functions.


def derivative(
    f: Callable[[float], float],
    x: float,
    *,
    method: str = "central",
    h: float | None = None,
    full_output: bool = False,
) -> Any:
    """f'(x) for a scalar function f of a real number x.

    method: one of ALL_METHODS ("forward", "backward", "central", "complex", "richardson", "adaptive").
    h: the step (for "richardson", the largest of its steps h, h/2, ..., h/16); None picks
    ``default_step(x, method)``, which explains the error model behind each choice. "adaptive" takes no
    h: it chooses its steps from f (Ridders' method).
    The complex-step method calls f with a complex number, so f must be complex-safe.

    Returns a float; with ``full_output=True`` a :class:`DerivativeResult` (value, error_estimate,
    evaluations, success, message). With h=None the call checks itself and warns
    (:class:`AccuracyWarning`) when its estimated error exceeds ``ACCURACY_RTOL`` times the value.
    Evaluations of f: central 4 (2 for the value, 2 at step 2h for the check), forward/backward 4
    (f(x), and steps h, 2h, 4h), complex 3 (1, and a central difference that must agree; more,
    Ridders', if that one is too rough to tell), richardson 2 * RICHARDSON_LEVELS = 10, adaptive
    at most 26 (ADAPTIVE_BUDGET). A slope of exactly 0 costs 3 more: f at x and x +- 1e-3 max(1, |x|)
    must agree for it to be trusted. With a step h given, the plain formula: central, forward and
    backward 2, complex 1, and no check, unless full_output=True.
    Raises ValueError (a refusal) when f is nan or inf at a point the method needs.

    >>> import math
    >>> abs(derivative(np.exp, 0.5, method="complex") - math.exp(0.5)) < 1e-15
    True
    >>> result = derivative(np.exp, 709.0, method="adaptive", full_output=True)  # near overflow
    >>> result.success, abs(result.value / math.exp(709.0) - 1) < 1e-9
    (True, True)
    >>> derivative(np.sin, [1.0, 2.0])
    Traceback (most recent call last):
    ...
    ValueError: x must be a single number, got an array of shape (2,); for a function of an array use gradient (or jacobian)
    """
    f = require_callable(f, "f")
    method = require_choice(method, "method", ALL_METHODS)
    x = _scalar_point(x)
    full_output = require_flag(full_output, "full_output")
    h = _step_argument(h, method)
    checked = _checked(f, x, "x")
    counted = CountingFunction(checked)
    step = _step_or_default(h, x, method)
    check = full_output or h is None
    estimate = _estimate_1d(counted, x, method, step, check=check)
    if check and estimate.value == 0 and estimate.error > 0 and method != "adaptive":
        wide = FLAT_PROBE * max(1.0, abs(x))  # is f constant, or is its slope below its last bit?
        estimate = _est.flat(estimate, [counted(x + step_i) for step_i in (0.0, wide, -wide)])
    where = f"the derivative at x = {x!r}"
    return _report(estimate, counted.calls, full_output, h is None, where, float, checked.low_dtype)


def gradient(
    f: Callable[[np.ndarray], float],
    w: Any,
    *,
    method: str = "central",
    h: float | None = None,
    full_output: bool = False,
) -> Any:
    """The gradient of a scalar function f at w, one coordinate at a time.

    w: an array of any shape (0-d, (d,), (d, k), ...); f is called with arrays of that shape.
    Returns a float64 array shaped like w: entry [i] is the derivative of f along w[i], taken with
    ``method`` (see :func:`derivative`) and step h, or ``default_step(w[i], method)`` when h is None.
    The caller's w is never modified: f gets a fresh copy at every evaluation.
    Evaluations of f for w.size = d: central 2d, forward/backward d + 1, complex d, richardson 10d.
    The default spends nothing on a truncation check (it estimates only the rounding, and warns when
    that alone is too large); ``full_output=True`` adds the check at 2h (central 4d) and returns a
    :class:`DerivativeResult` whose error_estimate is shaped like w.
    A coordinate with |w_i| > LARGE_COORDINATE is checked at 2h whatever the call (see the module
    docstring), and an f returning float32/float16 makes the result unsuccessful (a warning).

    >>> w = np.array([[1.0, 2.0], [3.0, 4.0]])
    >>> gradient(lambda v: (v[0] * v[1]).sum(), w).round(8)
    array([[3., 4.],
           [1., 2.]])
    >>> gradient(np.sum, np.zeros(0))
    Traceback (most recent call last):
    ...
    ValueError: w has no entries (shape (0,)); there is no coordinate to differentiate along
    """
    f = require_callable(f, "f")
    method = require_choice(method, "method", ALL_METHODS)
    w = _array_point(w)  # a float64 copy of the caller's w
    full_output = require_flag(full_output, "full_output")
    h = _step_argument(h, method)
    checked = _checked(f, w, "w")
    f_checked = CountingFunction(checked)
    fw = f_checked(w.copy()) if method in ("forward", "backward") else None
    indices = list(np.ndindex(w.shape))
    estimates = [
        _estimate_1d(
            _along(f_checked, w, i),
            float(w[i]),
            method,
            _step_or_default(h, float(w[i]), method),
            full_output or _needs_check(float(w[i]), h),
            fw,
        )
        for i in indices
    ]
    estimate, worst = _combine(estimates, w.shape)
    where = "the gradient" + (f" at w[{', '.join(map(str, indices[worst]))}]" if w.ndim else "")
    return _report(
        estimate,
        f_checked.calls,
        full_output,
        h is None,
        where,
        lambda v: np.asarray(v, float),
        checked.low_dtype,
        "the gradient",
    )


def jacobian(
    f: Callable[[np.ndarray], Any], w: Any, *, h: float | None = None, full_output: bool = False
) -> Any:
    """The Jacobian of f at w by central differences: J[..., i] = df/dw[i].

    w: an array of any shape; f(w): an array of any shape. Returns float64 of shape
    ``f(w).shape + w.shape``, so (m, d) for f: R^d -> R^m, and w.shape for a scalar f.
    h: one step for every coordinate, or None for ``default_step(w[i], "central")``.
    Evaluations of f for w.size = d: 2d + 1 (f(w) itself gives the output shape); ``full_output=True``
    adds the check at 2h (4d + 1) and returns a :class:`DerivativeResult` (error_estimate shaped like J).

    >>> jacobian(lambda v: np.array([v[0] * v[1], np.sin(v[1])]), np.array([2.0, 0.0])).round(8)
    array([[0., 2.],
           [0., 1.]])
    """
    f = require_callable(f, "f")
    w = _array_point(w)
    full_output = require_flag(full_output, "full_output")
    h = _step_argument(h, "central")
    first = _checked(f, w, "w", shape=None)
    fw = first(w.copy())
    checked = _checked(f, w, "w", shape=fw.shape)
    f_checked = CountingFunction(checked)
    indices = list(np.ndindex(w.shape))
    estimates = [
        _estimate_1d(
            _along(f_checked, w, i),
            float(w[i]),
            "central",
            _step_or_default(h, float(w[i]), "central"),
            full_output or _needs_check(float(w[i]), h),
        )
        for i in indices
    ]
    estimate, worst = _combine(estimates, w.shape)  # (w.shape + f(w).shape): move w's axes last
    axes = tuple(range(w.ndim, w.ndim + fw.ndim)) + tuple(range(w.ndim))
    estimate = estimate._replace(
        value=estimate.value.transpose(axes),
        error=estimate.error.transpose(axes),
        rounding=estimate.rounding.transpose(axes),
    )
    where = "the Jacobian" + (f" at column w[{', '.join(map(str, indices[worst]))}]" if w.ndim else "")
    return _report(
        estimate,
        f_checked.calls + 1,
        full_output,
        h is None,
        where,
        lambda v: np.asarray(v, float),
        checked.low_dtype or first.low_dtype,
        "the Jacobian",
    )


def _hessian_at(
    f_checked: Callable, w: np.ndarray, fw: float, steps: list[float]
) -> tuple[np.ndarray, np.ndarray]:
    """The Hessian by second differences at the given steps, (d, d), and its rounding error."""
    indices = list(np.ndindex(w.shape))
    hess = np.empty((len(indices), len(indices)))
    for a, i in enumerate(indices):
        hess[a, a] = _second_difference(_along(f_checked, w, i), float(w[i]), steps[a], fw)
        for b in range(a):
            hess[a, b] = hess[b, a] = _mixed_difference(f_checked, w, i, indices[b], steps[a], steps[b])
    step_arr = np.asarray(steps)
    rounding = 4 * EPS * abs(fw) / np.outer(step_arr, step_arr)  # 4 values of f, each off by eps|f|
    return hess, rounding


def hessian(
    f: Callable[[np.ndarray], float], w: Any, *, h: float | None = None, full_output: bool = False
) -> Any:
    """The Hessian of a scalar function f at w by second differences.

    w: (d,). Returns (d, d), exactly symmetric. For w of another shape the result has shape
    ``w.shape + w.shape`` (H[i..., j...] = d^2 f / dw[i...] dw[j...]); a 0-d w gives a 0-d array.
    Diagonal: the second difference (f(w + h e_i) - 2 f(w) + f(w - h e_i)) / h^2. Off the diagonal:
    the 4-point mixed difference; it is symmetric in i and j, so each pair is computed once and
    written to both H[i, j] and H[j, i] (the explicit symmetrization, at half the cost).
    h: one step for every coordinate, or None for ``default_step(w[i], "second")`` ~ eps^(1/4)
    * max(1, |w[i]|); the error is then ~ sqrt(eps) relative.
    Evaluations of f for w.size = d: 1 + 2d + 2d(d - 1); ``full_output=True`` repeats the Hessian at
    steps 2h to estimate the truncation (twice the evaluations, less one) and returns a
    :class:`DerivativeResult`.

    >>> hessian(lambda v: v[0] ** 2 * v[1], np.array([1.0, 3.0])).round(5)
    array([[6., 2.],
           [2., 0.]])
    """
    f = require_callable(f, "f")
    w = _array_point(w)
    full_output = require_flag(full_output, "full_output")
    h = _step_argument(h, "central")
    checked = _checked(f, w, "w")
    f_checked = CountingFunction(checked)
    fw = f_checked(w.copy())
    indices = list(np.ndindex(w.shape))
    steps = [_exact_step(float(w[i]), _step_or_default(h, float(w[i]), "second")) for i in indices]
    hess, rounding = _hessian_at(f_checked, w, fw, steps)
    error = rounding
    if full_output:
        coarse, _ = _hessian_at(
            f_checked, w, fw, [_exact_step(float(w[i]), 2 * s) for i, s in zip(indices, steps, strict=True)]
        )
        error = np.abs(hess - coarse) + rounding
    else:  # the diagonal entries of large coordinates, at 2h (see _needs_check)
        error = rounding.copy()
        for a, i in enumerate(indices):
            if _needs_check(float(w[i]), h):
                coarse = _second_difference(
                    _along(f_checked, w, i), float(w[i]), _exact_step(float(w[i]), 2 * steps[a]), fw
                )
                error[a, a] += abs(hess[a, a] - coarse)
    checked_any = full_output or error is not rounding and bool(np.any(error != rounding))
    shape = w.shape + w.shape
    estimate = _est.Estimate(
        hess.reshape(shape),
        error.reshape(shape),
        rounding.reshape(shape),
        "steps" if checked_any else "rounding",
        max(steps, default=0.0),
    )
    return _report(
        estimate,
        f_checked.calls,
        full_output,
        h is None,
        "the Hessian",
        lambda v: np.asarray(v, float),
        checked.low_dtype,
    )
