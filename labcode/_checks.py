"""Argument checks shared by labcode: every error names the argument and the shapes it saw."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np


def shape_str(shape: tuple[int, ...]) -> str:
    """Format a shape the way numpy prints it: ``(3,)``, ``(2, 5)``, ``()``."""
    return str(tuple(int(s) for s in shape))


def as_float_array(value: Any, name: str, *, allow_complex: bool = False) -> np.ndarray:
    """Convert ``value`` to a float64 array, or raise a TypeError naming ``name``."""
    if isinstance(value, (str, bytes)) or value is None:
        raise TypeError(f"{name} must be a number or an array of numbers, got {type(value).__name__}")
    try:
        arr = np.asarray(value)
    except Exception as exc:  # ragged lists and the like
        raise TypeError(f"{name} must be a number or an array of numbers: {exc}") from None
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise TypeError(f"{name} must hold numbers, got an array of dtype {arr.dtype}")
    if np.iscomplexobj(arr):
        if not allow_complex:
            raise TypeError(f"{name} must be real, got dtype {arr.dtype}")
        return arr.astype(np.complex128)
    return arr.astype(np.float64)


def require_finite(arr: np.ndarray, name: str) -> np.ndarray:
    """Raise a ValueError if ``arr`` holds nan or inf, saying where the first one is."""
    bad = ~np.isfinite(arr)
    if np.any(bad):
        where = tuple(int(i) for i in np.argwhere(bad)[0]) if arr.ndim else ()
        raise ValueError(
            f"{name} must be finite, but {name}{list(where) if where else ''} = {arr[where]!r}"
            f" ({int(bad.sum())} non-finite of {arr.size} values)"
        )
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


def require_positive_step(h: Any, name: str = "h") -> float:
    """Return ``h`` as a float, or raise when it is not a finite number > 0."""
    if isinstance(h, bool) or not isinstance(h, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a positive number, got {type(h).__name__}")
    h = float(h)
    if not np.isfinite(h) or h <= 0:
        raise ValueError(f"{name} must be a finite number > 0, got {h!r}")
    return h


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
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise TypeError(f"{name} must return a number, got {type(value).__name__}")
    if arr.shape != ():
        raise ValueError(
            f"{name} must return a scalar, got an array of shape {shape_str(arr.shape)}; "
            f"reduce it (e.g. with .sum() or .mean()), or use jacobian for a vector-valued function"
        )
    return arr.item()
