"""Figures for gradients and gradient checking (chapter 2): contours with gradient arrows, directional
derivatives against the angle of the direction, and relative errors on a log scale over rule-of-thumb
bands."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import ListedColormap
from matplotlib.lines import Line2D

from labcode._checks import (
    as_float_array,
    real_scalar,
    require_callable,
    require_finite,
    require_ndim,
    shape_str,
)
from labcode.plots._util import _get_axes, _grid_values, _interval
from labcode.plots.style import COLUMN_WIDTH, MIN_TEXT_PT, OKABE_ITO, ZERO_FLOOR, legend_below

__all__ = [
    "RELATIVE_ERROR_BANDS",
    "plot_gradient_field",
    "plot_directional_derivatives",
    "plot_relative_errors",
]

# Rules of thumb for the relative error of a float64 gradient check, as (low, high, meaning, colour).
# They follow the CS231n notes on gradient checking; labcode.gradcheck's default tolerance, 1e-6, sits in
# the second band.
RELATIVE_ERROR_BANDS: tuple[tuple[float, float, str, str], ...] = (
    (0.0, 1e-7, "below 1e-7: correct", "#009E73"),
    (1e-7, 1e-4, "1e-7 to 1e-4: fine only with kinks or float32", "#56B4E9"),
    (1e-4, 1e-2, "1e-4 to 1e-2: suspicious", "#E69F00"),
    (1e-2, math.inf, "above 1e-2: a bug", "#D55E00"),
)


def _point(value: Any, name: str) -> np.ndarray:
    """A finite point of the plane: shape (2,)."""
    arr = require_finite(as_float_array(value, name), name)
    if arr.shape != (2,):
        raise ValueError(f"{name} must be a point (w1, w2) of shape (2,), got shape {shape_str(arr.shape)}")
    return arr


def _points(value: Any, name: str) -> np.ndarray:
    """Finite points of the plane: shape (m, 2); one point (2,) is accepted as (1, 2)."""
    arr = as_float_array(value, name)
    if arr.shape == (2,):
        arr = arr[None, :]
    if arr.ndim != 2 or arr.shape[1] != 2 or arr.shape[0] == 0:
        raise ValueError(
            f"{name} must have shape (m, 2), one point (w1, w2) per row, got {shape_str(arr.shape)}"
        )
    return require_finite(arr, name)


def plot_gradient_field(
    f: Callable[[np.ndarray], Any],
    grad: Callable[[np.ndarray], Any],
    points: Sequence[Sequence[float]] | np.ndarray | None = None,
    *,
    xlim: tuple[float, float] | None = None,
    ylim: tuple[float, float] | None = None,
    num: int = 101,
    levels: int | Sequence[float] = 12,
    arrow_length: float | None = None,
    marks: Mapping[str, Sequence[float]] | None = None,
    ax: Axes | None = None,
    xlabel: str = "$w_1$",
    ylabel: str = "$w_2$",
    arrow_label: str = r"$\nabla f$ (to scale)",
    title: str | None = "The gradient points uphill, across the contour lines",
) -> Axes:
    """Contour lines of ``f`` over a window of the plane, with ``grad`` drawn as arrows at ``points``.

    f: a point ``w: (2,)`` -> a number; grad: ``w: (2,)`` -> ``(2,)``. points: ``(m, 2)``, where the
    arrows start; None puts them on a 7 x 7 grid. xlim, ylim: the window (default w +- 2 around 0);
    f is sampled on a ``num`` x ``num`` grid of it. levels: how many contour lines, or their values.
    The arrows keep their relative lengths; the longest is ``arrow_length`` long in data units
    (default 15% of the window's width). The axes have equal scales, so that a right angle looks like
    one: the gradient is perpendicular to the contour line through its point. marks: labelled points
    to highlight, e.g. ``{"minimum": w_star}``.

    Returns the Axes: ``ax.collections`` holds the contour set, then the arrows (a Quiver whose U, V
    are the gradients times one positive factor), in that order; each mark is a Line2D.
    """
    require_callable(f, "f")
    require_callable(grad, "grad")
    low1, high1 = _interval(xlim, 0.0, "xlim")
    low2, high2 = _interval(ylim, 0.0, "ylim")
    if isinstance(num, bool) or not isinstance(num, (int, np.integer)) or num < 3:
        raise ValueError(f"num must be an integer >= 3 (grid points per side), got {num!r}")
    if points is None:
        starts = np.array(
            [(a, b) for b in np.linspace(low2, high2, 9)[1:-1] for a in np.linspace(low1, high1, 9)[1:-1]]
        )
    else:
        starts = _points(points, "points")
    vectors = np.empty_like(starts)
    for k, w in enumerate(starts):
        g = as_float_array(grad(w.copy()), "grad(w)")
        if g.shape != (2,):
            raise ValueError(f"grad must return shape (2,) for w of shape (2,), got {shape_str(g.shape)}")
        vectors[k] = require_finite(g, "grad(w)")
    longest = float(np.max(np.linalg.norm(vectors, axis=1)))
    length = 0.15 * (high1 - low1) if arrow_length is None else real_scalar(arrow_length, "arrow_length")
    if length <= 0:
        raise ValueError(f"arrow_length must be > 0, got {length!r}")
    scale = length / longest if longest > 0 else 0.0

    if ax is None:
        _, ax = plt.subplots(figsize=(COLUMN_WIDTH, 6.0))
    ax = _get_axes(ax)
    w1 = np.linspace(low1, high1, int(num))
    w2 = np.linspace(low2, high2, int(num))
    values = _grid_values(f, w1, w2)
    # viridis without its palest yellows, which vanish on a white background.
    cmap = ListedColormap(plt.get_cmap("viridis")(np.linspace(0.0, 0.82, 256)))
    contours = ax.contour(w1, w2, values, levels=levels, cmap=cmap, linewidths=1.2)
    ax.clabel(contours, inline=True, fontsize=MIN_TEXT_PT, fmt="%.3g")
    # angles/scale_units "xy" with scale 1: an arrow (u, v) spans exactly (u, v) in data units.
    ax.quiver(
        starts[:, 0],
        starts[:, 1],
        scale * vectors[:, 0],
        scale * vectors[:, 1],
        angles="xy",
        scale_units="xy",
        scale=1.0,
        color=OKABE_ITO[1],
        width=0.006,
        zorder=3,
    )
    handles = [Line2D([], [], color=OKABE_ITO[1], marker=r"$\rightarrow$", markersize=14, linestyle="none")]
    labels = [arrow_label]
    mark_colors = (OKABE_ITO[6], OKABE_ITO[0], OKABE_ITO[3], OKABE_ITO[2])
    for k, (name, where) in enumerate((marks or {}).items()):
        p = _point(where, f"marks[{name!r}]")
        (line,) = ax.plot(
            [p[0]],
            [p[1]],
            marker="*" if k == 0 else "o",
            markersize=15 if k == 0 else 8,
            color=mark_colors[k % len(mark_colors)],
            markeredgecolor="white",
            linestyle="none",
            zorder=4,
            label=name,
        )
        handles.append(line)
        labels.append(name)
    ax.set_xlim(low1, high1)
    ax.set_ylim(low2, high2)
    ax.set_aspect("equal")
    ax.grid(False)  # the contour lines are the grid
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    legend_below(ax, handles, labels, ncol=2)
    return ax


def plot_directional_derivatives(
    gradient: Sequence[float] | np.ndarray,
    angles: Sequence[float] | np.ndarray | None = None,
    measured: Sequence[float] | np.ndarray | None = None,
    *,
    num: int = 361,
    ax: Axes | None = None,
    title: str | None = "The directional derivative is largest along the gradient",
) -> Axes:
    """The directional derivative ``grad . v`` for every unit direction ``v = (cos t, sin t)`` of the plane.

    gradient: ``(2,)``, the gradient at one point. The curve is ``gradient . (cos t, sin t)`` for
    ``t`` from 0 to 360 degrees (``num`` samples): a cosine of amplitude ``|gradient|`` that peaks at
    the gradient's own angle. angles: ``(m,)`` in degrees, and measured: ``(m,)``, directional
    derivatives measured some other way (e.g. by finite differences), drawn as dots on the curve.
    The peak is marked with a star and the levels ``+-|gradient|`` with dashed lines.

    Returns the Axes; its visible lines are the curve (x in degrees), then the measured dots (if any),
    then the star at ``(angle of gradient, |gradient|)``.
    """
    g = require_finite(as_float_array(gradient, "gradient"), "gradient")
    if g.shape != (2,):
        raise ValueError(f"gradient must have shape (2,), got {shape_str(g.shape)}")
    norm = float(np.linalg.norm(g))
    if norm == 0:
        raise ValueError("gradient is zero: every directional derivative is 0 and no direction is steepest")
    if (angles is None) != (measured is None):
        raise ValueError("give angles and measured together (both (m,)), or neither")
    if isinstance(num, bool) or not isinstance(num, (int, np.integer)) or num < 3:
        raise ValueError(f"num must be an integer >= 3, got {num!r}")
    if ax is None:
        _, ax = plt.subplots(figsize=(COLUMN_WIDTH, 4.6))
    ax = _get_axes(ax)
    degrees = np.linspace(0.0, 360.0, int(num))
    radians = np.deg2rad(degrees)
    curve = g[0] * np.cos(radians) + g[1] * np.sin(radians)
    ax.plot(degrees, curve, color=OKABE_ITO[0], label=r"$\nabla f \cdot v$, $v = (\cos t, \sin t)$")
    if angles is not None:
        a = require_finite(require_ndim(as_float_array(angles, "angles"), "angles", 1, "(m,)"), "angles")
        m = require_finite(
            require_ndim(as_float_array(measured, "measured"), "measured", 1, "(m,)"), "measured"
        )
        if a.shape != m.shape:
            raise ValueError(
                f"angles and measured must have the same shape (m,), got {shape_str(a.shape)} and "
                f"{shape_str(m.shape)}"
            )
        ax.plot(a, m, "o", color=OKABE_ITO[1], markersize=7, label="finite differences")
    peak = float(np.degrees(np.arctan2(g[1], g[0])) % 360.0)
    ax.plot(
        [peak],
        [norm],
        marker="*",
        markersize=17,
        color=OKABE_ITO[2],
        markeredgecolor="black",
        linestyle="none",
        zorder=4,
        label=rf"along $\nabla f$: slope $|\nabla f| = {norm:.3g}$",
    )
    for level in (norm, -norm):
        ax.axhline(level, color="grey", linestyle="--", linewidth=1.0, label="_nolegend_")
    ax.axhline(0.0, color="black", linewidth=0.8, label="_nolegend_")
    ax.set_xlim(0.0, 360.0)
    ax.set_xticks(np.arange(0, 361, 45))
    ax.set_xlabel("angle $t$ of the unit direction $v$ (degrees)")
    ax.set_ylabel("directional derivative")
    if title:
        ax.set_title(title)
    legend_below(ax)
    return ax


def plot_relative_errors(
    errors: Mapping[str, float],
    *,
    bands: Sequence[tuple[float, float, str, str]] = RELATIVE_ERROR_BANDS,
    xlim: tuple[float, float] = (1e-16, 10.0),
    ax: Axes | None = None,
    title: str | None = "Relative errors of gradient checks, against the rules of thumb",
) -> Axes:
    """One row per check, with a dot at its relative error on a log axis over coloured bands.

    errors: ``{label: relative error}``, drawn top to bottom in order; an error of exactly 0 is drawn
    at ``ZERO_FLOOR`` (or the left edge of ``xlim``, whichever is larger) so that it stays on the log
    axis. bands: ``(low, high, meaning, colour)`` intervals shaded behind the dots (default
    :data:`RELATIVE_ERROR_BANDS`), clipped to ``xlim``; the legend, below the axes, explains them.

    Returns the Axes; its visible lines are the dots, one per check (x: the error, y: the row, the
    first check on the top row), and its patches the bands, in order.
    """
    if not isinstance(errors, Mapping) or not errors:
        raise TypeError("errors must be a non-empty mapping {label: relative error}")
    values = []
    for label, value in errors.items():
        v = real_scalar(value, f"errors[{label!r}]")
        if v < 0:
            raise ValueError(f"errors[{label!r}] must be a relative error >= 0, got {v!r}")
        values.append(v)
    low, high = _interval(xlim, 1.0, "xlim")
    if low <= 0:
        raise ValueError(f"xlim must be positive (a log axis), got ({low!r}, {high!r})")
    if ax is None:  # a row per check, and the legend below
        _, ax = plt.subplots(figsize=(COLUMN_WIDTH, 2.2 + 0.42 * len(values)))
    ax = _get_axes(ax)
    for band in bands:
        if len(band) != 4:
            raise ValueError("each band must be (low, high, meaning, colour)")
        b_low, b_high, meaning, color = band
        ax.axvspan(max(float(b_low), low), min(float(b_high), high), color=color, alpha=0.22, label=meaning)
    rows = np.arange(len(values))[::-1]  # the first check on top
    for v, row in zip(values, rows, strict=True):
        # An exact 0 sits on the left edge (not clipped), so it stays visible.
        ax.plot(
            [max(v, ZERO_FLOOR, low)],
            [row],
            "o",
            color="black",
            markersize=8,
            zorder=3,
            clip_on=False,
            label="_nolegend_",
        )
    ax.set_xscale("log")
    ax.set_xlim(low, high)
    ax.set_ylim(-0.6, len(values) - 0.4)
    ax.set_yticks(rows, list(errors))
    ax.grid(True, axis="x")
    ax.grid(False, axis="y")
    ax.set_xlabel("relative error (log scale)")
    if title:
        ax.set_title(title)
    # Below the axes: long check labels already take the left margin.
    legend_below(ax, ncol=2, borderaxespad=0.0)
    return ax
