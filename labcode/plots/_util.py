"""Small private helpers shared by the figure modules: argument checks and axis handling."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes

from labcode._checks import (
    as_float_array,
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


def _scalar(value: Any, name: str) -> float:
    arr = require_finite(as_float_array(value, name), name)
    if arr.shape != ():
        raise ValueError(f"{name} must be a single number, got shape {shape_str(arr.shape)}")
    return float(arr)


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
    return _scalar(np.real(scalar_output(f(x), name)), f"{name}({x!r})")


def _fit_ylim(ax: Axes, y: np.ndarray, pad: float = 0.15) -> None:
    # Straight lines run off to large values; keep the curve, not the lines, in view.
    low, high = float(np.min(y)), float(np.max(y))
    span = high - low if high > low else max(1.0, abs(high))
    ax.set_ylim(low - pad * span, high + pad * span)


def _label_axes(ax: Axes, xlabel: str, ylabel: str, title: str | None) -> Axes:
    """Label both axes, add the title (if any) and the legend; return ``ax``, as every figure helper does."""
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.legend(loc="best")
    return ax
