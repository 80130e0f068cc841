"""Figures for derivatives and finite differences (chapter 1): secants, tangents, error against step size."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.lines import Line2D

from labcode._checks import (
    as_float_array,
    real_scalar,
    require_callable,
    require_finite,
    require_ndim,
    require_positive,
    require_positive_step,
    shape_str,
)
from labcode.plots._util import _evaluate, _fit_ylim, _get_axes, _interval, _label_axes, _value_at
from labcode.plots.style import COLUMN_WIDTH, METHOD_LINESTYLES, OKABE_ITO, ZERO_FLOOR, legend_below

__all__ = ["plot_tangent_line", "plot_secants", "plot_step_size_error", "mark_step", "add_power_law"]


def _finish_function_axes(
    ax: Axes, x0: float, y0: float, y: np.ndarray, title: str | None, point_label: str
) -> Axes:
    """Mark (x0, f(x0)), fit the y-range to f's curve, and add the labels, title and legend."""
    ax.plot([x0], [y0], "o", color="black", zorder=3, label=point_label)
    _fit_ylim(ax, y)
    return _label_axes(ax, "$x$", "$f(x)$", title)


def plot_tangent_line(
    f: Callable[..., Any],
    x0: float,
    slope: float,
    *,
    ax: Axes | None = None,
    xlim: tuple[float, float] | None = None,
    num: int = 400,
    label: str = "$f(x)$",
    title: str | None = "The derivative is the slope of the tangent line",
) -> Axes:
    """Draw ``f`` on ``xlim`` with the line through ``(x0, f(x0))`` of the given ``slope``.

    ``f`` maps a number to a number (vectorised or not); it is sampled at ``num`` points of ``xlim``
    (default ``x0 - 2`` to ``x0 + 2``). Returns the Axes; its lines are the curve, then the tangent,
    then the marked point.
    """
    require_callable(f, "f")
    x0 = real_scalar(x0, "x0")
    slope = real_scalar(slope, "slope")
    low, high = _interval(xlim, x0)
    ax = _get_axes(ax)
    x = np.linspace(low, high, int(num))
    y = _evaluate(f, x)
    y0 = _value_at(f, x0)
    ax.plot(x, y, color=OKABE_ITO[0], label=label)
    ax.plot(
        x,
        y0 + slope * (x - x0),
        color=OKABE_ITO[1],
        linestyle="--",
        label=f"tangent at $x_0={x0:g}$, slope ${slope:.3g}$",
    )
    return _finish_function_axes(ax, x0, y0, y, title, point_label="$(x_0, f(x_0))$")


def plot_secants(
    f: Callable[..., Any],
    x0: float,
    steps: Sequence[float] | np.ndarray,
    *,
    slope: float | None = None,
    ax: Axes | None = None,
    xlim: tuple[float, float] | None = None,
    num: int = 400,
    title: str | None = "Secants through $x_0$ and $x_0 + h$ turn into the tangent as $h$ shrinks",
) -> Axes:
    """Draw ``f``, the secant through ``(x0, f(x0))`` and ``(x0 + h, f(x0 + h))`` for each ``h`` in
    ``steps: (k,)``, and, when ``slope`` is given, the tangent at ``x0``.

    Each secant's legend entry shows its slope ``(f(x0 + h) - f(x0)) / h``. Returns the Axes; its lines
    are the curve, then one per secant in the order of ``steps``, then the tangent (if any).
    """
    require_callable(f, "f")
    x0 = real_scalar(x0, "x0")
    steps_arr = require_finite(require_ndim(as_float_array(steps, "steps"), "steps", 1, "(k,)"), "steps")
    if steps_arr.size == 0 or np.any(steps_arr == 0):
        raise ValueError(f"steps must be non-empty and nonzero, got {steps_arr.tolist()}")
    low, high = _interval(xlim, x0)
    ax = _get_axes(ax)
    x = np.linspace(low, high, int(num))
    y = _evaluate(f, x)
    y0 = _value_at(f, x0)
    ax.plot(x, y, color=OKABE_ITO[0], label="$f(x)$", zorder=2)
    # Secants fade from light to dark as h shrinks towards the tangent.
    shades = plt.get_cmap("cividis")(np.linspace(0.8, 0.25, steps_arr.size))
    for h, color in zip(steps_arr, shades, strict=True):
        y1 = _value_at(f, x0 + h)
        secant_slope = (y1 - y0) / h
        ax.plot(
            x,
            y0 + secant_slope * (x - x0),
            color=color,
            linewidth=1.4,
            label=f"$h = {h:g}$: slope {secant_slope:.3f}",
        )
        ax.plot([x0 + h], [y1], "o", color=color, markersize=5, label="_nolegend_")
    if slope is not None:
        slope = real_scalar(slope, "slope")
        ax.plot(
            x,
            y0 + slope * (x - x0),
            color=OKABE_ITO[1],
            linestyle="--",
            label=f"tangent: slope {slope:.3f}",
        )
    return _finish_function_axes(ax, x0, y0, y, title, point_label="_nolegend_")


def plot_step_size_error(
    steps: Sequence[float] | np.ndarray,
    errors: Mapping[str, Sequence[float] | np.ndarray],
    *,
    defaults: Mapping[str, tuple[float, float]] | None = None,
    mark_best: bool = True,
    ax: Axes | None = None,
    title: str | None = "Error of each difference formula against the step size $h$",
    ylabel: str = "absolute error",
) -> Axes:
    """Log-log plot of ``|error|`` against the step size, one line per method.

    ``steps: (m,)`` are the step sizes (positive); ``errors[name]: (m,)`` the absolute error of method
    ``name`` at each step, or nan where it was not computed (drawn as a gap; e.g. steps so small that
    ``x + h == x``). Unless ``mark_best`` is false, each method's smallest measured error is marked
    with a star (the first one if several tie). ``defaults[name] = (h, error)`` marks, with a diamond,
    the step a method picks by itself (e.g. ``numdiff.default_step(x, name)``) and the error it gets
    there. Errors of exactly 0 (the float64 result was exact) are drawn at ``ZERO_FLOOR`` so they stay
    on the log axis.
    A new figure is wide, with the legend outside the axes; labelled lines already on ``ax`` (e.g.
    :func:`add_power_law` guides) join the legend. Returns the Axes; the methods' curves are its
    next lines after any already there, in the order of ``errors``.
    """
    steps_arr = require_finite(require_ndim(as_float_array(steps, "steps"), "steps", 1, "(m,)"), "steps")
    if steps_arr.size == 0 or np.any(steps_arr <= 0):
        raise ValueError("steps must be non-empty and every step > 0 (they go on a log axis)")
    if not isinstance(errors, Mapping) or not errors:
        raise TypeError("errors must be a non-empty mapping {method name: errors (m,)}")
    curves = {
        name: _absolute_errors(err, f"errors[{name!r}]", steps_arr.shape, allow_nan=True)
        for name, err in errors.items()
    }
    marks: dict[str, tuple[float, float]] = {}
    for name, point in (defaults or {}).items():
        if name not in curves:
            raise ValueError(f"defaults names a method not in errors: {name!r}; errors has {list(curves)}")
        pair = _absolute_errors(point, f"defaults[{name!r}]", (2,))
        marks[name] = (
            require_positive_step(float(pair[0]), f"defaults[{name!r}][0] (the step)"),
            float(pair[1]),
        )

    if ax is None:
        _, ax = plt.subplots(figsize=(COLUMN_WIDTH, 4.8))
    ax = _get_axes(ax)
    colors = [OKABE_ITO[i % len(OKABE_ITO)] for i in range(len(curves))]
    for i, ((name, err), color) in enumerate(zip(curves.items(), colors, strict=True)):
        style = METHOD_LINESTYLES[i % len(METHOD_LINESTYLES)]
        ax.loglog(
            steps_arr, np.maximum(err, ZERO_FLOOR), linestyle=style, color=color, linewidth=1.8, label=name
        )
    for (name, err), color in zip(curves.items(), colors, strict=True):
        if mark_best:
            best = int(np.nanargmin(err))
            ax.plot(
                [steps_arr[best]],
                [max(err[best], ZERO_FLOOR)],
                marker="*",
                markersize=17,
                color=color,
                markeredgecolor="black",
                linestyle="none",
                zorder=4,
                label="_nolegend_",
            )
        if name in marks:
            h, err_h = marks[name]
            ax.plot(
                [h],
                [max(err_h, ZERO_FLOOR)],
                marker="D",
                markersize=8,
                markerfacecolor="white",
                markeredgecolor=color,
                markeredgewidth=2.2,
                linestyle="none",
                zorder=5,
                label="_nolegend_",
            )
    handles, labels = ax.get_legend_handles_labels()
    # One legend entry per kind of mark, not one per method and mark.
    if mark_best:
        handles.append(
            Line2D([], [], marker="*", markersize=15, color="grey", markeredgecolor="black", linestyle="none")
        )
        labels.append("smallest measured error")
    if marks:
        handles.append(
            Line2D(
                [],
                [],
                marker="D",
                markersize=8,
                markerfacecolor="white",
                markeredgecolor="grey",
                markeredgewidth=2.2,
                linestyle="none",
            )
        )
        labels.append("default step ($h$=None)")
    legend_below(ax, handles, labels, ncol=2)
    ax.set_xlabel("step size $h$")
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    return ax


def mark_step(ax: Axes, h: float, errors_at_h: Mapping[str, float]) -> Axes:
    """Mark the step ``h`` on an Axes drawn by :func:`plot_step_size_error`: a vertical line at ``h`` and, for
    each method of ``errors_at_h`` (``{name: |error| at h}``, names and order as in that figure's ``errors``),
    a dot on its curve in its colour. Returns the Axes; its new lines are the vertical line, then the dots."""
    if not isinstance(ax, Axes):
        raise TypeError(f"ax must be a matplotlib Axes, got {type(ax).__name__}")
    h = require_positive_step(real_scalar(h, "h"), "h")
    if not isinstance(errors_at_h, Mapping) or not errors_at_h:
        raise TypeError("errors_at_h must be a non-empty mapping {method name: |error| at h}")
    ax.axvline(h, color="0.35", linewidth=1.2, zorder=3)
    for i, (name, err) in enumerate(errors_at_h.items()):
        err = real_scalar(err, f"errors_at_h[{name!r}]")
        if err < 0:
            raise ValueError(f"errors_at_h[{name!r}] must be an absolute error (>= 0), got {err!r}")
        color = OKABE_ITO[i % len(OKABE_ITO)]
        ax.plot(
            [h], [max(err, ZERO_FLOOR)], "o", color=color, markersize=9, markeredgecolor="black", zorder=5
        )
    return ax


def _absolute_errors(values: Any, name: str, shape: tuple[int, ...], allow_nan: bool = False) -> np.ndarray:
    arr = as_float_array(values, name)
    if arr.shape != shape:
        raise ValueError(f"{name} must have shape {shape_str(shape)}, got {shape_str(arr.shape)}")
    if allow_nan:
        # nan marks "not computed here"; inf is a real failure and is reported.
        if np.all(np.isnan(arr)):
            raise ValueError(f"{name} has no value that is not nan")
        require_finite(np.where(np.isnan(arr), 0.0, arr), name)
    else:
        require_finite(arr, name)
    if np.any(arr < 0):
        raise ValueError(f"{name} must hold absolute errors and steps (>= 0), got a negative value")
    return arr


def add_power_law(
    ax: Axes,
    power: float,
    through: tuple[float, float],
    span: tuple[float, float],
    *,
    label: str | None = None,
    color: str = "grey",
) -> Line2D:
    """Draw the guide line ``y = y0 * (h / h0) ** power`` on a log-log Axes for ``h`` in ``span``.

    ``through = (h0, y0)`` is a point the guide passes through; on log-log axes it is a straight line
    of slope ``power``, which is how an ``O(h**power)`` error shows up. Returns the line.
    """
    if not isinstance(ax, Axes):
        raise TypeError(f"ax must be a matplotlib Axes, got {type(ax).__name__}")
    power = real_scalar(power, "power")
    point = require_finite(as_float_array(through, "through"), "through")
    ends = require_finite(as_float_array(span, "span"), "span")
    if point.shape != (2,) or ends.shape != (2,):
        raise ValueError(
            f"through and span must each be a pair, got shapes {shape_str(point.shape)} and {shape_str(ends.shape)}"
        )
    h0 = require_positive_step(float(point[0]), "through[0]")
    y0 = require_positive(point[1], "through[1]")  # a value on the y axis, not a step
    low = require_positive_step(float(ends[0]), "span[0]")
    high = require_positive_step(float(ends[1]), "span[1]")
    h = np.geomspace(low, high, 50)
    (line,) = ax.loglog(
        h, y0 * (h / h0) ** power, linestyle=":", linewidth=1.5, color=color, label=label or "_nolegend_"
    )
    return line
