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
step a fixed fraction of x for large x, and keeps it from vanishing near x = 0.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from labcode._checks import (
    as_float_array,
    require_callable,
    require_choice,
    require_finite,
    require_positive_step,
    scalar_output,
    shape_str,
)

EPS = float(np.finfo(np.float64).eps)  # 2.2e-16, the gap between 1.0 and the next float

METHODS = ("forward", "backward", "central", "complex", "richardson")

# How many central differences Richardson extrapolation combines: steps h, h/2, ..., h/16.
RICHARDSON_LEVELS = 5

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

_COMPLEX_HELP = (
    "f must accept complex input for the complex-step method: it evaluates f(x + ih) and reads "
    "f'(x) off the imaginary part, so f must keep that part (use np.sin, np.exp, **; "
    "not float(), abs, np.abs, np.real or math.*)"
)


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
    - ``"second"`` (hessian): truncation h^2|f''''|/12, round-off 2 eps|f|/h^2; smallest at
      h* = (24 eps |f/f''''|)^(1/4), i.e. ~ eps^(1/4) * max(1, |x|) = 1.2e-4, error ~ sqrt(eps).

    x: a finite real number. Returns a float > 0.
    """
    method = require_choice(method, "method", tuple(STEP_FACTORS))
    x = _real_scalar(x, "x")
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


def _richardson(f: Callable, x: float, h: float, levels: int = RICHARDSON_LEVELS) -> float:
    """Central differences D at h, h/2, ..., combined so their error terms cancel one by one.

    D(h) = f' + c1 h^2 + c2 h^4 + ..., so (4^k D(h/2) - D(h)) / (4^k - 1) removes the h^(2k) term.
    Each pass over the table removes one term and shortens the table by one.
    """
    table = [_central_difference(f, x, _exact_step(x, h / 2**i)) for i in range(levels)]
    for k in range(1, levels):
        table = [
            (4**k * fine - coarse) / (4**k - 1) for coarse, fine in zip(table[:-1], table[1:], strict=True)
        ]
    return table[0]


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


def _derivative_1d(f: Callable, x: float, method: str, h: float, fx: Any = None) -> Any:
    """Apply one of METHODS to f at x with step h (the base step, for richardson)."""
    if method == "complex":
        return _complex_step(f, x, h)
    if method == "richardson":
        return _richardson(f, x, h)
    h = _exact_step(x, h)
    if method == "central":
        return _central_difference(f, x, h)
    fx = f(x) if fx is None else fx
    if method == "forward":
        return _forward_difference(f, x, h, fx)
    return _backward_difference(f, x, h, fx)


def _along(f: Callable, w: np.ndarray, index: tuple) -> Callable:
    """t -> f(w with w[index] = t): f restricted to one coordinate axis, so the 1-D formulas apply."""

    def f_along(t: float | complex) -> Any:
        point = w.astype(np.result_type(w, t))  # a fresh copy (complex for the complex step)
        point[index] = t
        return f(point)

    return f_along


# ---------------------------------------------------------------------------------------------
# Argument and output checks.


def _real_scalar(x: Any, name: str) -> float:
    """``x`` as a finite Python float, or an error naming ``name``."""
    arr = require_finite(as_float_array(x, name), name)
    if arr.shape != ():
        raise ValueError(
            f"{name} must be a scalar, got an array of shape {shape_str(arr.shape)}; "
            f"for a function of an array use gradient (or jacobian)"
        )
    return float(arr)


def _describe(point: Any, base: Any, name: str) -> str:
    """Name an evaluation point by what differs from ``base``: 'x = 0.9' or 'w[2] = 1.1 (...)'."""
    if np.ndim(base) == 0:
        return f"{name} = {np.asarray(point).item()!r}"
    moved = [tuple(int(k) for k in i) for i in np.argwhere(point != base)]
    if not moved:
        return name
    entries = ", ".join(f"{name}[{', '.join(map(str, i))}] = {point[i].item()!r}" for i in moved)
    return f"{entries} (other entries as in {name})"


def _call(f: Callable, point: Any) -> Any:
    """f(point), with the errors of a complex-unsafe f explained for the complex step."""
    # A nan or inf is reported by _checked with the point that caused it, so numpy need not warn.
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("error", np.exceptions.ComplexWarning)
        try:
            return f(point)
        except (TypeError, np.exceptions.ComplexWarning) as exc:
            if not np.iscomplexobj(point):
                raise
            raise TypeError(f"{_COMPLEX_HELP}; f raised {type(exc).__name__}: {exc}") from exc


def _checked(f: Callable, base: Any, name: str, shape: tuple[int, ...] | None = ()) -> Callable:
    """f, with every value it returns checked.

    ``shape=()`` wants a scalar, ``shape=None`` any array, otherwise an array of that shape. Values
    must be finite; a real point must give a real value and a complex point a complex value.
    The error names the point, described relative to ``base``.
    """

    def f_checked(point: Any) -> Any:
        value = _call(f, point)
        value = scalar_output(value, "f") if shape == () else _array_output(value, shape)
        where = _describe(point, base, name) if not _is_valid(value, point) else ""
        if np.iscomplexobj(point) and not np.iscomplexobj(value):
            raise TypeError(
                f"{_COMPLEX_HELP}; at {where} f returned the real value {value!r}, "
                f"which has lost the imaginary part (if f is a constant, its derivative is 0)"
            )
        if np.iscomplexobj(value) and not np.iscomplexobj(point):
            raise TypeError(f"f must return real values for real input, got {value!r} at {where}")
        if not np.all(np.isfinite(value)):
            shown = np.asarray(value)[~np.isfinite(value)][0].item()  # the first nan or inf
            raise ValueError(
                f"f returned {shown!r} at {where}; a finite difference needs f finite at every point "
                f"it evaluates (if {name} is near the edge of f's domain, pass a smaller h)"
            )
        return value

    return f_checked


def _is_valid(value: Any, point: Any) -> bool:
    """Whether f's value is finite, and complex exactly when the point is."""
    return np.iscomplexobj(value) == np.iscomplexobj(point) and bool(np.all(np.isfinite(value)))


def _array_output(value: Any, shape: tuple[int, ...] | None) -> np.ndarray:
    """f's value as an array of numbers, of ``shape`` unless shape is None."""
    arr = np.asarray(value)
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise TypeError(f"f must return a number or an array of numbers, got {type(value).__name__}")
    if shape is not None and arr.shape != shape:
        raise ValueError(
            f"f must return arrays of one shape: f(w) has shape {shape_str(shape)}, "
            f"but a nearby point gave shape {shape_str(arr.shape)}"
        )
    return arr if np.iscomplexobj(arr) else arr.astype(np.float64)


def _step_or_default(h: float | None, x: float, method: str) -> float:
    """The user's step h, or the default step for ``method`` at ``x``."""
    return default_step(x, method) if h is None else h


# ---------------------------------------------------------------------------------------------
# The public functions.


def derivative(
    f: Callable[[float], float], x: float, *, method: str = "central", h: float | None = None
) -> float:
    """f'(x) for a scalar function f of a real number x.

    method: one of METHODS ("forward", "backward", "central", "complex", "richardson").
    h: the step (for "richardson", the largest of its steps h, h/2, ..., h/16); None picks
    ``default_step(x, method)``, which explains the error model behind each choice.
    The complex-step method calls f with a complex number, so f must be complex-safe.
    Evaluations of f: forward/backward/central 2, complex 1, richardson 2 * RICHARDSON_LEVELS = 10.
    """
    f = require_callable(f, "f")
    method = require_choice(method, "method", METHODS)
    x = _real_scalar(x, "x")
    h = default_step(x, method) if h is None else require_positive_step(h, "h")
    return float(_derivative_1d(_checked(f, x, "x"), x, method, h))


def gradient(
    f: Callable[[np.ndarray], float], w: Any, *, method: str = "central", h: float | None = None
) -> np.ndarray:
    """The gradient of a scalar function f at w, one coordinate at a time.

    w: an array of any shape (0-d, (d,), (d, k), ...); f is called with arrays of that shape.
    Returns a float64 array shaped like w: entry [i] is the derivative of f along w[i], taken with
    ``method`` (see :func:`derivative`) and step h, or ``default_step(w[i], method)`` when h is None.
    The caller's w is never modified: f gets a fresh copy at every evaluation.
    Evaluations of f for w.size = d: central 2d, forward/backward d + 1, complex d, richardson 10d.
    """
    f = require_callable(f, "f")
    method = require_choice(method, "method", METHODS)
    w = require_finite(as_float_array(w, "w"), "w")  # a float64 copy of the caller's w
    h = None if h is None else require_positive_step(h, "h")
    f_checked = _checked(f, w, "w")
    fw = f_checked(w.copy()) if method in ("forward", "backward") else None
    grad = np.empty(w.shape)
    for index in np.ndindex(w.shape):
        wi = float(w[index])
        grad[index] = _derivative_1d(
            _along(f_checked, w, index), wi, method, _step_or_default(h, wi, method), fw
        )
    return grad


def jacobian(f: Callable[[np.ndarray], Any], w: Any, *, h: float | None = None) -> np.ndarray:
    """The Jacobian of f at w by central differences: J[..., i] = df/dw[i].

    w: an array of any shape; f(w): an array of any shape. Returns float64 of shape
    ``f(w).shape + w.shape``, so (m, d) for f: R^d -> R^m, and w.shape for a scalar f.
    h: one step for every coordinate, or None for ``default_step(w[i], "central")``.
    Evaluations of f for w.size = d: 2d + 1 (f(w) itself gives the output shape).
    """
    f = require_callable(f, "f")
    w = require_finite(as_float_array(w, "w"), "w")
    h = None if h is None else require_positive_step(h, "h")
    fw = _checked(f, w, "w", shape=None)(w.copy())
    f_checked = _checked(f, w, "w", shape=fw.shape)
    jac = np.empty(fw.shape + w.shape)
    for index in np.ndindex(w.shape):
        wi = float(w[index])
        jac[(..., *index)] = _derivative_1d(
            _along(f_checked, w, index), wi, "central", _step_or_default(h, wi, "central")
        )
    return jac


def hessian(f: Callable[[np.ndarray], float], w: Any, *, h: float | None = None) -> np.ndarray:
    """The Hessian of a scalar function f at w by second differences.

    w: (d,). Returns (d, d), exactly symmetric. For w of another shape the result has shape
    ``w.shape + w.shape`` (H[i..., j...] = d^2 f / dw[i...] dw[j...]); a 0-d w gives a 0-d array.
    Diagonal: the second difference (f(w + h e_i) - 2 f(w) + f(w - h e_i)) / h^2. Off the diagonal:
    the 4-point mixed difference; it is symmetric in i and j, so each pair is computed once and
    written to both H[i, j] and H[j, i] (the explicit symmetrization, at half the cost).
    h: one step for every coordinate, or None for ``default_step(w[i], "second")`` ~ eps^(1/4)
    * max(1, |w[i]|); the error is then ~ sqrt(eps) relative.
    Evaluations of f for w.size = d: 1 + 2d + 2d(d - 1).
    """
    f = require_callable(f, "f")
    w = require_finite(as_float_array(w, "w"), "w")
    h = None if h is None else require_positive_step(h, "h")
    f_checked = _checked(f, w, "w")
    fw = f_checked(w.copy())
    indices = list(np.ndindex(w.shape))
    steps = [_exact_step(float(w[i]), _step_or_default(h, float(w[i]), "second")) for i in indices]
    hess = np.empty((len(indices), len(indices)))
    for a, i in enumerate(indices):
        hess[a, a] = _second_difference(_along(f_checked, w, i), float(w[i]), steps[a], fw)
        for b in range(a):
            hess[a, b] = hess[b, a] = _mixed_difference(f_checked, w, i, indices[b], steps[a], steps[b])
    return hess.reshape(w.shape + w.shape)


class CountingFunction:
    """A function that counts its calls: ``f_counted(x)`` returns ``f(x)`` and adds one to ``.calls``."""

    def __init__(self, f: Callable) -> None:
        self.f = require_callable(f, "f")
        self.calls = 0

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.calls += 1
        return self.f(*args, **kwargs)


def count_evaluations(f: Callable) -> CountingFunction:
    """Wrap f so that it counts its calls: ``g = count_evaluations(f); derivative(g, 1.0); g.calls``."""
    return CountingFunction(f)
