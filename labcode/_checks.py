"""Argument checks shared by labcode: every error names the argument and the shapes it saw.

One behaviour for every check, as Python's own functions have it: a value of the wrong *type* is a
TypeError (``range(2.5)``, ``np.zeros(2.5)``), a value of the right type outside the allowed range is a
ValueError. So ``require_int(2.5, "steps")`` raises TypeError, and so do ``2.0`` and ``True`` (a count is
an int, not a float that happens to be whole, and not a bool); ``require_int(-1, "steps", minimum=0)``
raises ValueError. numpy integers and floats count as ints and numbers.

The dtype policy: every array a public function computes with is real float64. Integers and bools are
converted (``sigmoid(np.uint8([200]))`` is 1.0, not the 0.0 that uint8 arithmetic gives), float32 and
float16 too, complex numbers are refused (a real function given a complex number has no right answer to
return). A function whose purpose is precision (chapter 2's float32 demos) does its arithmetic in the
caller's own ``f``, which numdiff and check_gradient call as it is and judge by the dtype it returns.

| check                          | for                                                                   |
|--------------------------------|-----------------------------------------------------------------------|
| ``as_float_array``             | any array argument: float64, a fresh copy                             |
| ``float_array``                | the same without a copy when it already is float64 (hot paths)        |
| ``require_finite``             | nan/inf refused, the first one named by its index                     |
| ``require_ndim``               | the number of axes, with the caller's shape in words                  |
| ``require_nonempty``           | at least one entry                                                    |
| ``real_scalar``                | one finite real number (x of derivative, a point on a plot)           |
| ``require_int``                | counts, seeds, sizes: an int, not 2.0 and not True                    |
| ``require_positive``           | rates, tolerances, steps: a finite real number > 0 (>= 0, < bound)    |
| ``require_flag``               | True or False: not "False", not 0                                     |
| ``require_choice``             | one of a few strings                                                  |
| ``require_callable``           | f, grad, a schedule's rate                                            |
| ``scalar_output``              | what a scalar-valued callable returned                                |
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np


def shape_str(shape: tuple[int, ...]) -> str:
    """Format a shape the way numpy prints it: ``(3,)``, ``(2, 5)``, ``()``."""
    return str(tuple(int(s) for s in shape))


def is_numeric(dtype: np.dtype) -> bool:
    """Whether an array of this dtype holds numbers (bools count; objects, strings and dates do not)."""
    return dtype.kind in "biufc"  # bool, signed and unsigned int, float, complex


def as_float_array(value: Any, name: str, *, allow_complex: bool = False) -> np.ndarray:
    """Convert ``value`` to a float64 array, or raise a TypeError naming ``name``."""
    if isinstance(value, (str, bytes)) or value is None:
        raise TypeError(f"{name} must be a number or an array of numbers, got {type(value).__name__}")
    try:
        arr = np.asarray(value)
    except Exception as exc:  # ragged lists and the like
        raise TypeError(f"{name} must be a number or an array of numbers: {exc}") from None
    if not is_numeric(arr.dtype):
        raise TypeError(f"{name} must hold numbers, got an array of dtype {arr.dtype}")
    if np.iscomplexobj(arr):
        if not allow_complex:
            raise TypeError(
                f"{name} must be real, got complex numbers (dtype {arr.dtype}); pass its .real if the imaginary part is meant to be 0"
            )
        return arr.astype(np.complex128)
    return arr.astype(np.float64)


def float_array(value: Any, name: str, *, finite: bool = False) -> np.ndarray:
    """``value`` as a float64 array, not copied when it already is one (a view the caller must not write
    into), or a float64 scalar for a Python float; otherwise as :func:`as_float_array`. ``finite=True``
    also applies :func:`require_finite`."""
    kind = type(value)
    if kind is np.ndarray and value.dtype == np.float64:
        arr = value
    elif kind is float or kind is np.float64:  # a number: a float64 scalar, as np.asarray(...)[()] gives
        arr = np.float64(value)
    else:
        arr = as_float_array(value, name)
    return require_finite(arr, name) if finite else arr


def require_finite(arr: np.ndarray, name: str) -> np.ndarray:
    """Raise a ValueError if ``arr`` holds nan or inf, saying where the first one is."""
    bad = ~np.isfinite(arr)
    if bad.any():
        where = tuple(int(i) for i in np.argwhere(bad)[0]) if arr.ndim else ()
        raise ValueError(
            f"{name} must be finite, but {name}{list(where) if where else ''} = {arr[where].item()!r}"
            f" ({int(bad.sum())} non-finite of {arr.size} values)"
        )
    return arr


def real_scalar(value: Any, name: str, *, hint: str = "") -> float:
    """``value`` as a finite Python float; TypeError when it is not a real number, ValueError when it is
    nan/inf or an array of another shape than ``()`` (``hint`` says what to use for arrays)."""
    arr = require_finite(as_float_array(value, name), name)
    if arr.shape != ():
        raise ValueError(
            f"{name} must be a single number, got an array of shape {shape_str(arr.shape)}{'; ' + hint if hint else ''}"
        )
    return float(arr)


def require_nonempty(arr: np.ndarray, name: str, why: str = "") -> np.ndarray:
    """Raise a ValueError naming ``name`` and its shape when ``arr`` has no entries."""
    if arr.size == 0:
        raise ValueError(f"{name} has no entries (shape {shape_str(arr.shape)}){'; ' + why if why else ''}")
    return arr


def require_ndim(arr: np.ndarray, name: str, ndim: int, expected: str) -> np.ndarray:
    """Raise a ValueError naming ``name`` when ``arr`` does not have ``ndim`` dimensions.

    ``expected`` spells the shape out for the reader, e.g. ``"(d,)"`` or ``"(n, d)"``.
    """
    if arr.ndim != ndim:
        hint = ""
        if ndim == 1 and arr.ndim == 2 and 1 in arr.shape:
            hint = f"; flatten it with {name}.ravel() or {name}.reshape(-1)"
        raise ValueError(f"{name} must have shape {expected}, got shape {shape_str(arr.shape)}{hint}")
    return arr


def require_int(value: Any, name: str, *, minimum: int | None = None) -> int:
    """Return ``value`` as an int; TypeError when it is not an integer (2.5, 2.0, "3", True), ValueError
    when it is below ``minimum``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        at_least = "" if minimum is None else f" >= {minimum}"
        raise TypeError(f"{name} must be an integer{at_least}, got {value!r} ({type(value).__name__})")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {int(value)}")
    return int(value)


def require_positive(
    value: Any, name: str, *, or_zero: bool = False, below: float | None = None, why: str = ""
) -> float:
    """Return ``value`` as a float; TypeError when it is not a real number, ValueError when it is not
    finite or not > 0 (``>= 0`` with ``or_zero``), or not ``< below`` when a bound is given (``why`` says
    what the bound is for)."""
    bound = ">= 0" if or_zero else "> 0"
    if below is not None:
        bound += f" and < {below:g}"
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        kind = "a number >= 0" if or_zero else "a positive number"
        raise TypeError(f"{name} must be {kind}, got {value!r} ({type(value).__name__})")
    value = float(value)
    if (
        not np.isfinite(value)
        or value < 0
        or (value == 0 and not or_zero)
        or (below is not None and value >= below)
    ):
        raise ValueError(f"{name} must be a finite number {bound}, got {value!r}{'; ' + why if why else ''}")
    return value


def require_positive_step(h: Any, name: str = "h") -> float:
    """Return the step ``h`` of a finite difference as a float (:func:`require_positive`). For steps only:
    a tolerance, a coordinate or a rate is checked with :func:`require_positive` under its own name."""
    return require_positive(h, name)


def require_flag(value: Any, name: str) -> bool:
    """Return ``value`` as a bool; TypeError for anything but True/False (a numpy bool counts): the
    string "False" is truthy, so accepting it would do the opposite of what the caller wrote.

    >>> require_flag(np.True_, "nesterov")
    True
    >>> require_flag("False", "nesterov")
    Traceback (most recent call last):
    ...
    TypeError: nesterov must be True or False, got 'False' (str)
    """
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r} ({type(value).__name__})")
    return bool(value)


def require_choice(value: Any, name: str, choices: tuple[str, ...]) -> str:
    """Raise a ValueError listing the valid ``choices`` when ``value`` is not one of them."""
    if value not in choices:
        raise ValueError(f"unknown {name} {value!r}; choose one of {', '.join(map(repr, choices))}")
    return value


def require_callable(f: Any, name: str = "f") -> Callable[..., Any]:
    """Raise a TypeError when ``f`` cannot be called."""
    if not callable(f):
        raise TypeError(f"{name} must be a function, got {type(f).__name__}")
    return f


def scalar_output(value: Any, name: str = "f") -> float | complex:
    """Return the value a scalar-valued function produced, as a Python number.

    Accepts Python numbers, 0-d arrays and arrays of size 1 of shape ``()`` only;
    an array of any other shape means the function is not scalar-valued.
    """
    arr = np.asarray(value)
    if not is_numeric(arr.dtype):
        raise TypeError(f"{name} must return a number, got {type(value).__name__}")
    if arr.shape != ():
        raise ValueError(
            f"{name} must return a scalar, got an array of shape {shape_str(arr.shape)}; "
            f"reduce it (e.g. with .sum() or .mean()), or use jacobian for a vector-valued function"
        )
    return arr.item()
