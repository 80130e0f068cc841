"""Figures for Jacobians, Hessians, curvature and Newton's method (chapter 5).

Functions of two parameters are drawn as contour maps on the plane ``w = (w1, w2)``: ``f`` takes a
``(2,)`` array and returns a number, and is sampled on a ``resolution x resolution`` grid.

plot_quadratic_contours  the level sets of 1/2 d^T H d, with H's eigenvectors drawn as axes
plot_quadratic_model     f next to its second-order Taylor model at w0, and the model's minimum

Optimisation paths on contours, loss curves and iteration counts against the condition number are
chapter 7's figures (labcode.plots.descent); chapter 5 uses them too.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.lines import Line2D

from labcode._checks import (
    as_float_array,
    require_callable,
    require_finite,
    require_ndim,
    scalar_output,
    shape_str,
)
from labcode.plots._util import _get_axes, _grid_values, _interval
from labcode.plots.style import METHOD_LINESTYLES, OKABE_ITO, legend_below

__all__ = [
    "plot_quadratic_contours",
    "plot_quadratic_model",
]

# The fraction of the window the outermost ellipse of plot_quadratic_contours reaches.
FILL = 0.95
# How far along each eigen-axis (as a fraction of its half-length) its eigenvalue is written.
LABEL_AT = 0.6
# Where the legends of the contour maps go: under the axes, so they hide no contour.


# ---------------------------------------------------------------------------------------------
# Argument checks.


def _vector2(value: Any, name: str) -> np.ndarray:
    arr = require_finite(as_float_array(value, name), name)
    if arr.shape != (2,):
        raise ValueError(f"{name} must have shape (2,) (a point of the plane), got {shape_str(arr.shape)}")
    return arr


def _symmetric2(value: Any, name: str) -> np.ndarray:
    """A finite symmetric (2, 2) matrix; a Hessian that is not symmetric is a bug worth naming."""
    arr = require_finite(as_float_array(value, name), name)
    if arr.shape != (2, 2):
        raise ValueError(f"{name} must have shape (2, 2), got {shape_str(arr.shape)}")
    scale = float(np.max(np.abs(arr)))
    if abs(arr[0, 1] - arr[1, 0]) > 1e-8 * scale:
        raise ValueError(
            f"{name} must be symmetric (a Hessian is), got {name}[0, 1] = {arr[0, 1]!r} "
            f"but {name}[1, 0] = {arr[1, 0]!r}; symmetrise it with ({name} + {name}.T) / 2"
        )
    return (arr + arr.T) / 2


def _levels(levels: Any, name: str = "levels") -> int | np.ndarray:
    """An int >= 2 (how many levels to choose), or an increasing sequence of contour values."""
    if isinstance(levels, (int, np.integer)) and not isinstance(levels, bool):
        if levels < 2:
            raise ValueError(f"{name} must be at least 2, got {levels}")
        return int(levels)
    arr = require_finite(require_ndim(as_float_array(levels, name), name, 1, "(k,)"), name)
    if arr.size == 0 or np.any(np.diff(arr) <= 0):
        raise ValueError(f"{name} must be a count or a non-empty increasing sequence, got {arr.tolist()}")
    return arr


def _resolution(resolution: Any) -> int:
    if isinstance(resolution, bool) or not isinstance(resolution, (int, np.integer)) or resolution < 3:
        raise ValueError(f"resolution must be an int >= 3 (grid points per axis), got {resolution!r}")
    return int(resolution)


# ---------------------------------------------------------------------------------------------
# Sampling.


def _grid(
    f: Callable[[np.ndarray], Any], xlim: tuple[float, float], ylim: tuple[float, float], resolution: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(W1, W2, F), each (resolution, resolution): F[i, j] = f([W1[i, j], W2[i, j]])."""
    w1 = np.linspace(xlim[0], xlim[1], resolution)
    w2 = np.linspace(ylim[0], ylim[1], resolution)
    W1, W2 = np.meshgrid(w1, w2)
    return W1, W2, _grid_values(f, w1, w2)


def _finish_plane(ax: Axes, title: str | None) -> None:
    """Label the axes of the plane, and draw w1 and w2 to the same scale so ellipses look like ellipses."""
    ax.set_xlabel("$w_1$")
    ax.set_ylabel("$w_2$")
    ax.set_aspect("equal", adjustable="box")
    if title:
        ax.set_title(title)


# ---------------------------------------------------------------------------------------------
# The figures.


def plot_quadratic_contours(
    H: Any,
    *,
    center: Any = (0.0, 0.0),
    radius: float = 2.0,
    levels: int = 6,
    ax: Axes | None = None,
    resolution: int = 201,
    legend: bool = True,
    title: str | None = None,
) -> Axes:
    """The contours of the quadratic q(w) = 1/2 (w - c)^T H (w - c), with H's eigenvectors drawn as axes.

    H: (2, 2) symmetric; center c: (2,). The window is the square c +- radius, drawn with equal axes so
    that ellipses look like ellipses. Along the unit eigenvector u_i, q(c + t u_i) = lambda_i t^2 / 2:
    the eigenvalue is the curvature in that direction. For a positive definite H the contours are
    ellipses whose semi-axes sqrt(2 q / lambda_i) are long where the curvature is small; ``levels``
    ellipses are drawn, equally spaced in size, the largest filling the window. For an indefinite H
    (a saddle) the contours are hyperbolas: positive levels are blue, negative ones vermillion.

    Each eigen-axis is a segment c +- L_i u_i reaching the outermost contour, L_i =
    sqrt(2 q_max / |lambda_i|) (the window's edge when lambda_i = 0), labelled with lambda_i beside
    the point c + LABEL_AT L_i u_i. legend: add a legend below the axes (turn it off when several panels share one
    explanation). Returns the Axes; its lines are the two eigen-axes, in increasing order of lambda,
    and ``ax.texts`` their labels.
    """
    H = _symmetric2(H, "H")
    center = _vector2(center, "center")
    radius = float(np.asarray(radius))
    if not np.isfinite(radius) or radius <= 0:
        raise ValueError(f"radius must be a finite number > 0, got {radius!r}")
    if isinstance(levels, bool) or not isinstance(levels, (int, np.integer)) or levels < 1:
        raise ValueError(f"levels must be a positive int (the number of contours), got {levels!r}")
    resolution = _resolution(resolution)
    eigenvalues, eigenvectors = np.linalg.eigh(H)  # ascending; columns are unit eigenvectors
    nonzero = np.abs(eigenvalues) > 1e-12 * float(np.max(np.abs(eigenvalues), initial=0.0))
    if not np.any(nonzero):
        raise ValueError("H is zero: a quadratic with no curvature has no contours to draw")

    # The outermost contour touches FILL * radius along the flattest curved direction.
    reach = FILL * radius
    q_max = float(np.min(np.abs(eigenvalues[nonzero]))) * reach**2 / 2
    sizes = (np.arange(1, levels + 1) / levels) ** 2  # sqrt(level) grows linearly: evenly spaced rings
    positive = q_max * sizes if np.any(eigenvalues > 0) else np.empty(0)
    negative = -q_max * sizes[::-1] if np.any(eigenvalues < 0) else np.empty(0)

    ax = _get_axes(ax)
    x = np.linspace(center[0] - radius, center[0] + radius, resolution)
    y = np.linspace(center[1] - radius, center[1] + radius, resolution)
    X, Y = np.meshgrid(x, y)
    D = np.stack([X - center[0], Y - center[1]], axis=-1)  # (r, r, 2) displacements from c
    Q = 0.5 * np.einsum("...i,ij,...j->...", D, H, D)
    for values, color in ((negative, OKABE_ITO[1]), (positive, OKABE_ITO[0])):
        if values.size:
            ax.contour(X, Y, Q, levels=values, colors=color, linewidths=1.2, linestyles="solid")

    for i, (lam, u) in enumerate(zip(eigenvalues, eigenvectors.T, strict=True)):
        half = reach if not nonzero[i] else min(reach, float(np.sqrt(2 * q_max / abs(lam))))
        ends = np.stack([center - half * u, center + half * u])  # (2, 2): the segment's two ends
        curvature = "flat" if not nonzero[i] else ("curves up" if lam > 0 else "curves down")
        ax.plot(
            ends[:, 0],
            ends[:, 1],
            color=OKABE_ITO[2 + i],
            linestyle=METHOD_LINESTYLES[i],
            linewidth=2.6,
            marker="o",
            markersize=4,
            label=f"eigenvector {i + 1}: $\\lambda_{i + 1} = {lam:.3g}$ ({curvature})",
        )
        # The label sits beside the axis, part of the way out: at an end it could leave the window.
        anchor = center + LABEL_AT * half * u
        ax.annotate(
            f"$\\lambda_{i + 1} = {lam:.3g}$",
            xy=(anchor[0], anchor[1]),
            xytext=(-14 * u[1], 14 * u[0]),  # 14 points to the left of the direction u
            textcoords="offset points",
            ha="center",
            va="center",
            fontsize=12,
            color=OKABE_ITO[2 + i],
            fontweight="bold",
            bbox={"boxstyle": "round,pad=0.2", "facecolor": "white", "edgecolor": "none", "alpha": 0.85},
            zorder=5,
        )
    handles = [Line2D([], [], color=OKABE_ITO[0], linewidth=1.2)] if positive.size else []
    labels = ["contours $q > 0$" if negative.size else "contours of $q$"] if positive.size else []
    if negative.size:
        handles.append(Line2D([], [], color=OKABE_ITO[1], linewidth=1.2))
        labels.append("contours $q < 0$")
    if legend:
        line_handles, line_labels = ax.get_legend_handles_labels()
        # Below the axes: inside, the legend would hide the contours it explains.
        legend_below(ax, line_handles + handles, line_labels + labels)
    ax.set_xlim(x[0], x[-1])
    ax.set_ylim(y[0], y[-1])
    _finish_plane(ax, title)
    return ax


def plot_quadratic_model(
    f: Callable[[np.ndarray], Any],
    w0: Any,
    grad: Any,
    hess: Any,
    *,
    xlim: tuple[float, float] | None = None,
    ylim: tuple[float, float] | None = None,
    levels: int | Sequence[float] = 10,
    ax: Axes | None = None,
    resolution: int = 81,
    title: str | None = "A function and its second-order Taylor model",
) -> Axes:
    """Contours of f (solid) and of its second-order Taylor model at w0 (dashed), at the same levels.

    The model is m(w) = f(w0) + g^T (w - w0) + 1/2 (w - w0)^T H (w - w0) with g = ``grad`` (2,) and
    H = ``hess`` (2, 2), the gradient and Hessian of f at w0 (2,). Near w0 the two sets of contours
    coincide; far away they part. When H is positive definite the model has a minimum,
    w0 - H^{-1} g (the Newton step), marked with a star and an arrow from w0.

    f takes a (2,) array and returns a number. xlim, ylim: the window (default w0 +- 2).
    levels: how many contours (placed at quantiles of f over the window) or their values.
    Returns the Axes; its lines are the point w0, then the model's minimum (if there is one).
    """
    require_callable(f, "f")
    w0 = _vector2(w0, "w0")
    g = _vector2(grad, "grad")
    H = _symmetric2(hess, "hess")
    xlim = _interval(xlim, float(w0[0]), "xlim")
    ylim = _interval(ylim, float(w0[1]), "ylim")
    levels = _levels(levels)
    W1, W2, F = _grid(f, xlim, ylim, _resolution(resolution))
    f0 = float(scalar_output(f(w0.copy()), "f"))
    D = np.stack([W1 - w0[0], W2 - w0[1]], axis=-1)  # (r, r, 2)
    M = f0 + D @ g + 0.5 * np.einsum("...i,ij,...j->...", D, H, D)
    if isinstance(levels, int):
        levels = np.unique(np.quantile(F, np.linspace(0.04, 0.96, levels)))

    ax = _get_axes(ax)
    ax.contour(W1, W2, F, levels=levels, colors=OKABE_ITO[0], linewidths=1.5, linestyles="solid")
    ax.contour(W1, W2, M, levels=levels, colors=OKABE_ITO[1], linewidths=1.5, linestyles="dashed")
    ax.plot([w0[0]], [w0[1]], "o", color="black", markersize=7, zorder=4, label="$w_0$")
    handles = [
        Line2D([], [], color=OKABE_ITO[0], linewidth=1.5),
        Line2D([], [], color=OKABE_ITO[1], linewidth=1.5, linestyle="dashed"),
    ]
    labels = ["$f(w)$", "model $f_0 + g^T d + \\frac{1}{2} d^T H d$"]
    if np.all(np.linalg.eigvalsh(H) > 0):
        newton = w0 - np.linalg.solve(H, g)
        ax.annotate(
            "",
            xy=(newton[0], newton[1]),
            xytext=(w0[0], w0[1]),
            arrowprops={"arrowstyle": "->", "color": "black", "linewidth": 1.5},
            zorder=4,
        )
        ax.plot(
            [newton[0]],
            [newton[1]],
            marker="*",
            markersize=16,
            color=OKABE_ITO[1],
            markeredgecolor="black",
            linestyle="none",
            zorder=5,
            label="minimum of the model (Newton step)",
        )
    line_handles, line_labels = ax.get_legend_handles_labels()
    legend_below(ax, handles + line_handles, labels + line_labels)
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    _finish_plane(ax, title)
    return ax
