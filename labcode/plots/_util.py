"""Small private helpers shared by the figure modules: argument checks and axis handling."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes

from labcode._checks import (
    as_float_array,
    real_scalar,
    require_finite,
    scalar_output,
    shape_str,
)


def _get_axes(ax: Axes | None) -> Axes:
    if ax is None:
        _, ax = plt.subplots()
        return ax
    if not isinstance(ax, Axes):
        raise TypeError(f"ax must be a matplotlib Axes or None, got {type(ax).__name__}")
    return ax


def _interval(xlim: Any, center: float, name: str = "xlim") -> tuple[float, float]:
    if xlim is None:
        return center - 2.0, center + 2.0
    arr = require_finite(as_float_array(xlim, name), name)
    if arr.shape != (2,):
        raise ValueError(f"{name} must be (low, high), got shape {shape_str(arr.shape)}")
    low, high = float(arr[0]), float(arr[1])
    if not low < high:
        raise ValueError(f"{name} must satisfy low < high, got ({low!r}, {high!r})")
    return low, high


def _evaluate(f: Callable[..., Any], x: np.ndarray, name: str = "f") -> np.ndarray:
    """Sample ``f`` on ``x: (m,)``, vectorised when ``f`` accepts arrays, point by point otherwise."""
    try:
        y = np.asarray(f(x), dtype=float)
    except (TypeError, ValueError):  # math.sin and friends take one number at a time
        y = None
    if y is None or y.shape != x.shape:
        y = np.array([float(np.real(scalar_output(f(float(xi)), name))) for xi in x])
    return require_finite(y, f"{name}(x)")


def _value_at(f: Callable[..., Any], x: float, name: str = "f") -> float:
    return real_scalar(np.real(scalar_output(f(x), name)), f"{name}({x!r})")


def _grid_values(f: Callable[..., Any], w1: np.ndarray, w2: np.ndarray) -> np.ndarray:
    """f at every point of the grid w1 x w2: ``(w2.size, w1.size)``, entry ``[i, j] = f([w1[j], w2[i]])``
    (matplotlib's layout). f is called once per point with a fresh ``(2,)`` array, as numdiff calls it; a
    complex value with a nonzero imaginary part, or a value that is not finite, is reported with its point."""
    values = np.empty((w2.size, w1.size))
    for i, b in enumerate(w2):
        for j, a in enumerate(w1):
            value = scalar_output(f(np.array([a, b])), "f")
            if isinstance(value, complex):
                if value.imag != 0:
                    raise TypeError(
                        f"f must return real numbers, got {value!r} at w = ({float(a)!r}, {float(b)!r})"
                    )
                value = value.real
            values[i, j] = value
    if not np.all(np.isfinite(values)):
        i, j = (int(k) for k in np.argwhere(~np.isfinite(values))[0])
        raise ValueError(
            f"f is not finite at w = ({float(w1[j])!r}, {float(w2[i])!r}), inside the window; "
            "shrink xlim/ylim"
        )
    return values


def _fit_ylim(ax: Axes, y: np.ndarray, pad: float = 0.15) -> None:
    # Straight lines run off to large values; keep the curve, not the lines, in view.
    low, high = float(np.min(y)), float(np.max(y))
    span = high - low if high > low else max(1.0, abs(high))
    ax.set_ylim(low - pad * span, high + pad * span)


def _label_axes(ax: Axes, xlabel: str, ylabel: str, title: str | None, legend_loc: str = "best") -> Axes:
    """Label both axes, add the title (if any) and the legend (matplotlib's ``loc``); return ``ax``, as every
    figure helper does."""
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.legend(loc=legend_loc)
    return ax


def _named_curves(
    curves: Any, name: str, like: np.ndarray, like_name: str, *, finite: bool = True
) -> dict[Any, np.ndarray]:
    """Check that ``curves`` is a non-empty mapping {label: values} whose values all have the shape of
    ``like`` (the x-values, called ``like_name`` in errors), and return it with float arrays as values.
    ``finite=False`` lets nan and inf through for the caller to judge."""
    if not isinstance(curves, Mapping) or not curves:
        raise TypeError(
            f"{name} must be a non-empty mapping {{label: values {shape_str(like.shape)}}}, "
            f"got {type(curves).__name__}"
        )
    arrays = {}
    for label, values in curves.items():
        key = f"{name}[{label!r}]"
        arr = as_float_array(values, key)
        if finite:
            arr = require_finite(arr, key)
        if arr.shape != like.shape:
            raise ValueError(
                f"{key} must have shape {shape_str(like.shape)} like {like_name}, got {shape_str(arr.shape)}"
            )
        arrays[label] = arr
    return arrays
