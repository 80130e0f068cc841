"""The figures the chapters draw, in one readable style that stays legible in the site's dark mode.

Every helper takes data (or a function to sample), draws on the Axes you pass (or on a new one)
and returns that Axes, so a chapter can add a title or a second panel without copying plotting code.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.lines import Line2D

from labcode._checks import (
    as_float_array,
    require_callable,
    require_finite,
    require_ndim,
    require_positive_step,
    scalar_output,
    shape_str,
)

__all__ = [
    "OKABE_ITO",
    "BOOK_RC",
    "use_book_style",
    "plot_tangent_line",
    "plot_secants",
    "plot_step_size_error",
    "add_power_law",
]

# Okabe & Ito's palette, distinguishable with every common colour-vision deficiency. Yellow is left
# out: it vanishes on a white background.
OKABE_ITO: tuple[str, ...] = (
    "#0072B2",  # blue
    "#D55E00",  # vermillion
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#E69F00",  # orange
    "#56B4E9",  # sky blue
    "#000000",  # black
)

BOOK_RC: dict[str, Any] = {
    # Opaque white everywhere: the site has a dark mode, and dark text on a transparent PNG over a
    # dark page cannot be read.
    "figure.facecolor": "white",
    "figure.edgecolor": "white",
    "axes.facecolor": "white",
    "savefig.facecolor": "white",
    "savefig.edgecolor": "white",
    "savefig.transparent": False,
    "figure.figsize": (7.0, 4.2),
    "figure.dpi": 100,
    "savefig.dpi": 150,
    "figure.constrained_layout.use": True,
    "font.size": 11,
    "axes.titlesize": 13,
    "axes.labelsize": 12,
    "legend.fontsize": 10,
    "xtick.labelsize": 10,
    "ytick.labelsize": 10,
    "axes.prop_cycle": mpl.cycler(color=list(OKABE_ITO)),
    "axes.grid": True,
    "grid.alpha": 0.35,
    "grid.linewidth": 0.6,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "lines.linewidth": 2.0,
    "lines.markersize": 6,
    "legend.framealpha": 0.9,
}

# Line styles for plot_step_size_error: with colour they tell the methods apart in greyscale too, and
# they keep curves that coincide (central and complex step share their truncation error) both visible.
METHOD_LINESTYLES: tuple[str, ...] = ("-", "--", "-.", ":")

# Errors of exactly 0 cannot sit on a log axis; plot_step_size_error draws them at this height.
ZERO_FLOOR = 1e-17


def use_book_style() -> None:
    """Set the book's matplotlib defaults: readable sizes, colour-blind-safe colours, grid, opaque white."""
    mpl.rcParams.update(BOOK_RC)


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
    x0 = _scalar(x0, "x0")
    slope = _scalar(slope, "slope")
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
    ax.plot([x0], [y0], "o", color="black", zorder=3, label="$(x_0, f(x_0))$")
    _fit_ylim(ax, y)
    ax.set_xlabel("$x$")
    ax.set_ylabel("$f(x)$")
    if title:
        ax.set_title(title)
    ax.legend(loc="best")
    return ax


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
    x0 = _scalar(x0, "x0")
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
        slope = _scalar(slope, "slope")
        ax.plot(
            x,
            y0 + slope * (x - x0),
            color=OKABE_ITO[1],
            linestyle="--",
            label=f"tangent: slope {slope:.3f}",
        )
    ax.plot([x0], [y0], "o", color="black", zorder=3, label="_nolegend_")
    _fit_ylim(ax, y)
    ax.set_xlabel("$x$")
    ax.set_ylabel("$f(x)$")
    if title:
        ax.set_title(title)
    ax.legend(loc="best")
    return ax


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
        _, ax = plt.subplots(figsize=(9.0, 4.8))
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
    ax.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0)
    ax.set_xlabel("step size $h$")
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
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
    power = _scalar(power, "power")
    point = require_finite(as_float_array(through, "through"), "through")
    ends = require_finite(as_float_array(span, "span"), "span")
    if point.shape != (2,) or ends.shape != (2,):
        raise ValueError(
            f"through and span must each be a pair, got shapes {shape_str(point.shape)} and {shape_str(ends.shape)}"
        )
    h0 = require_positive_step(float(point[0]), "through[0]")
    y0 = require_positive_step(float(point[1]), "through[1]")
    low = require_positive_step(float(ends[0]), "span[0]")
    high = require_positive_step(float(ends[1]), "span[1]")
    h = np.geomspace(low, high, 50)
    (line,) = ax.loglog(
        h, y0 * (h / h0) ** power, linestyle=":", linewidth=1.5, color=color, label=label or "_nolegend_"
    )
    return line
