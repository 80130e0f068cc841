"""How labcode.numdiff calls f: every value checked, every failure named by the point that caused it.

``_checked(f, base, name, shape)`` wraps f so that a non-scalar (or wrongly shaped) value, a complex
value for a real point (:class:`ComplexValue`), a real value for a complex point (the complex step
needs a complex-safe f), or nan/inf (:class:`NonFiniteValue`) stops with an error that says where f
was evaluated, relative to ``base``: 'x = 0.9' or 'w[2] = 1.1 (other entries as in w)'. The wrapper
remembers a low-precision dtype among f's values (``.low_dtype``, float32 or float16), so that numdiff
can say its result carries few digits.
``CountingFunction`` counts the calls of f (``numdiff.count_evaluations``).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from labcode._checks import is_numeric, require_callable, scalar_output, shape_str
from labcode._numdiff_estimates import ComplexValue, NonFiniteValue

_COMPLEX_HELP = (
    "f must accept complex input for the complex-step method: it evaluates f(x + ih) and reads "
    "f'(x) off the imaginary part, so f must keep that part (use np.sin, np.exp, **; "
    "not float(), abs, np.abs, np.real or math.*)"
)


LOW_PRECISION = (np.float32, np.float16, np.complex64)  # f's values in these carry few digits


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
        dtype = getattr(value, "dtype", None)
        if dtype is not None and dtype.type in LOW_PRECISION:
            f_checked.low_dtype = np.dtype(dtype)  # type: ignore[attr-defined]
        value = scalar_output(value, "f") if shape == () else _array_output(value, shape)
        where = _describe(point, base, name) if not _is_valid(value, point) else ""
        if np.iscomplexobj(point) and not np.iscomplexobj(value):
            raise TypeError(
                f"{_COMPLEX_HELP}; at {where} f returned the real value "
                f"{np.array2string(np.asarray(value), precision=6)}, "
                f"which has lost the imaginary part (if f is a constant, its derivative is 0)"
            )
        if np.iscomplexobj(value) and not np.iscomplexobj(point):
            raise ComplexValue(f"f must return real values for real input, got {value!r} at {where}")
        if not np.all(np.isfinite(value)):
            shown = np.asarray(value)[~np.isfinite(value)][0].item()  # the first nan or inf
            raise NonFiniteValue(
                f"f returned {shown!r} at {where}; a finite difference needs f finite at every point "
                f"it evaluates (if {name} is near the edge of f's domain, pass a smaller h)"
            )
        return value

    f_checked.low_dtype = None  # type: ignore[attr-defined]  # float32/float16 when f returned it
    return f_checked


def _is_valid(value: Any, point: Any) -> bool:
    """Whether f's value is finite, and complex exactly when the point is."""
    return np.iscomplexobj(value) == np.iscomplexobj(point) and bool(np.all(np.isfinite(value)))


def _array_output(value: Any, shape: tuple[int, ...] | None) -> np.ndarray:
    """f's value as an array of numbers, of ``shape`` unless shape is None."""
    arr = np.asarray(value)
    if not is_numeric(arr.dtype):
        raise TypeError(f"f must return a number or an array of numbers, got {type(value).__name__}")
    if shape is not None and arr.shape != shape:
        raise ValueError(
            f"f must return arrays of one shape: f(w) has shape {shape_str(shape)}, "
            f"but a nearby point gave shape {shape_str(arr.shape)}"
        )
    return arr if np.iscomplexobj(arr) else arr.astype(np.float64)


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
