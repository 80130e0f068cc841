"""Figures for logistic regression and softmax classification (chapters 4 and 6).

plot_sigmoid           the sigmoid and its derivative sigma (1 - sigma), whose peak is 1/4 at z = 0
plot_logit_curves      named curves against a logit (losses, gradients, class probabilities)
plot_decision_regions  2-D data over a classifier's probabilities (binary) or regions (k classes)

Classes are drawn in the book's colours: class c gets ``OKABE_ITO[c]`` and its own marker, so the
figures read in greyscale and for colour-blind readers too.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import LinearSegmentedColormap, ListedColormap, to_rgb
from matplotlib.lines import Line2D

from labcode._checks import as_float_array, require_callable, require_finite, require_ndim, shape_str
from labcode.losses import sigmoid, sigmoid_grad
from labcode.plots._util import _get_axes, _interval, _label_axes, _named_curves
from labcode.plots.style import METHOD_LINESTYLES, OKABE_ITO

__all__ = [
    "CLASS_MARKERS",
    "plot_sigmoid",
    "plot_logit_curves",
    "plot_decision_regions",
]

# One marker per class, so classes stay apart without colour; as many as OKABE_ITO has colours.
CLASS_MARKERS: tuple[str, ...] = ("o", "s", "^", "D", "v", "P", "X")
# How far the background tints of the classes are mixed towards white (0: full colour, 1: white).
TINT = 0.72
# Default window around the data: this fraction of its extent on each side.
MARGIN = 0.1


def _tint(color: str, amount: float = TINT) -> tuple[float, float, float]:
    rgb = np.array(to_rgb(color))
    return tuple(float(c) for c in rgb + (1.0 - rgb) * amount)


def _int_at_least(value: Any, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {value!r}")
    return int(value)


# ---------------------------------------------------------------------------------------------------------
# Curves against a logit
# ---------------------------------------------------------------------------------------------------------


def plot_sigmoid(
    zlim: tuple[float, float] = (-6.0, 6.0),
    *,
    num: int = 401,
    ax: Axes | None = None,
    title: str | None = r"The sigmoid $\sigma(z)$ and its derivative $\sigma(z)\,(1 - \sigma(z))$",
) -> Axes:
    """Draw sigma(z) = 1 / (1 + e^-z) and sigma'(z) = sigma(z) (1 - sigma(z)) on ``zlim``, sampled at
    ``num`` points, with the derivative's peak (0, 1/4) marked.

    Both curves come from :mod:`labcode.losses` (``sigmoid``, ``sigmoid_grad``). Returns the Axes; its
    lines are the sigmoid, the derivative, then the marked peak (when z = 0 is inside ``zlim``).
    """
    low, high = _interval(zlim, 0.0, "zlim")
    num = _int_at_least(num, "num", 2)
    ax = _get_axes(ax)
    z = np.linspace(low, high, num)
    ax.plot(z, sigmoid(z), color=OKABE_ITO[0], label=r"$\sigma(z)$")
    ax.plot(
        z, sigmoid_grad(z), color=OKABE_ITO[1], linestyle="--", label=r"$\sigma'(z) = \sigma(z)(1-\sigma(z))$"
    )
    if low <= 0.0 <= high:
        ax.plot([0.0], [0.25], "o", color="black", zorder=3, label=r"peak of $\sigma'$: $1/4$ at $z = 0$")
    ax.set_ylim(-0.05, 1.05)
    return _label_axes(ax, "logit $z$", "value", title)


def plot_logit_curves(
    z: Sequence[float] | np.ndarray,
    curves: Mapping[str, Sequence[float] | np.ndarray],
    *,
    ax: Axes | None = None,
    xlabel: str = "logit $z$",
    ylabel: str = "",
    ylim: tuple[float, float] | None = None,
    legend_loc: str = "best",
    title: str | None = None,
) -> Axes:
    """One line per entry of ``curves`` against ``z``: losses, gradients or probabilities as a logit varies.

    z: ``(m,)``; curves[name]: ``(m,)``, finite. Each curve gets its own colour and line style, so curves
    that coincide over part of the range (a clipped loss and the exact one) both stay visible.
    ylim: the y-range (default: matplotlib's); legend_loc: where the legend goes (matplotlib's ``loc``).
    Returns the Axes; its lines are the curves, in order.
    """
    z_arr = require_finite(require_ndim(as_float_array(z, "z"), "z", 1, "(m,)"), "z")
    if z_arr.size < 2:
        raise ValueError(f"z must hold at least 2 points to draw a curve, got shape {shape_str(z_arr.shape)}")
    arrays = _named_curves(curves, "curves", z_arr, "z")
    ax = _get_axes(ax)
    for i, (name, values) in enumerate(arrays.items()):
        ax.plot(
            z_arr,
            values,
            color=OKABE_ITO[i % len(OKABE_ITO)],
            linestyle=METHOD_LINESTYLES[i % len(METHOD_LINESTYLES)],
            label=name,
        )
    if ylim is not None:
        ax.set_ylim(*_interval(ylim, 0.0, "ylim"))
    return _label_axes(ax, xlabel, ylabel, title, legend_loc)


# ---------------------------------------------------------------------------------------------------------
# Decision regions
# ---------------------------------------------------------------------------------------------------------


def _points_and_labels(X: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    X = require_finite(require_ndim(as_float_array(X, "X"), "X", 2, "(n, 2)"), "X")
    if X.shape[1] != 2 or X.shape[0] == 0:
        raise ValueError(
            f"X must have shape (n, 2) with n >= 1: a decision-region plot shows two features, got {shape_str(X.shape)}"
        )
    n = X.shape[0]
    y = require_finite(as_float_array(y, "y"), "y")
    if y.shape != (n,):
        raise ValueError(
            f"y must have shape (n,) = ({n},) to match X of shape {shape_str(X.shape)}, got {shape_str(y.shape)}"
        )
    if np.any(y != np.round(y)) or np.any(y < 0):
        i = int(np.argmax((y != np.round(y)) | (y < 0)))
        raise ValueError(f"y must hold integer class labels 0, 1, ..., but y[{i}] = {float(y[i])!r}")
    return X, y.astype(np.intp)


def _window(lim: Any, values: np.ndarray, name: str) -> tuple[float, float]:
    if lim is not None:
        return _interval(lim, 0.0, name)
    low, high = float(values.min()), float(values.max())
    pad = MARGIN * (high - low) if high > low else 1.0
    return low - pad, high + pad


def _probabilities(predict_proba: Callable[[np.ndarray], Any], points: np.ndarray, what: str) -> np.ndarray:
    """predict_proba at ``points: (m, 2)``, checked: (m,) probabilities of class 1, or (m, k) with k >= 2."""
    m = points.shape[0]
    P = require_finite(
        as_float_array(predict_proba(points.copy()), f"predict_proba({what})"), f"predict_proba({what})"
    )
    if not (P.shape == (m,) or (P.ndim == 2 and P.shape[0] == m and P.shape[1] >= 2)):
        raise ValueError(
            f"predict_proba must map points (m, 2) to probabilities (m,) (of class 1) or (m, k) with k >= 2; "
            f"for {what} of shape {shape_str(points.shape)} it returned shape {shape_str(P.shape)}"
        )
    if np.any(P < 0) or np.any(P > 1):
        raise ValueError(
            f"predict_proba must return probabilities in [0, 1]; for {what} it returned values outside"
        )
    return P


def _predicted_class(P: np.ndarray) -> np.ndarray:
    """(m,) -> 1 where p > 1/2; (m, k) -> the most probable class."""
    return (P > 0.5).astype(np.intp) if P.ndim == 1 else np.argmax(P, axis=1)


def plot_decision_regions(
    X: Any,
    y: Any,
    predict_proba: Callable[[np.ndarray], Any],
    *,
    xlim: tuple[float, float] | None = None,
    ylim: tuple[float, float] | None = None,
    resolution: int = 200,
    class_names: Sequence[str] | None = None,
    mark_errors: bool = True,
    colorbar: bool = True,
    ax: Axes | None = None,
    title: str | None = "Decision regions",
) -> Axes:
    """Scatter 2-D data by class over what a classifier predicts at every point of the plane.

    X: ``(n, 2)``, y: ``(n,)`` integer labels. predict_proba maps points ``(m, 2)`` to ``(m,)`` (the
    probability of class 1: binary) or to ``(m, k)`` (one probability per class, k >= 2); it is called
    on a ``resolution x resolution`` grid of the window (default: the data's range plus 10%) and on X.

    Binary: the background is p(class 1), from class 0's colour (p = 0) through white (p = 1/2) to class
    1's (p = 1), with a colour bar (unless ``colorbar`` is false) and the decision boundary p = 1/2 as a
    black line. k classes: the background is the most probable class, in light tints of the classes'
    colours, with black lines where it changes. With ``mark_errors``, points the classifier gets wrong
    are ringed. The axes have equal scales, so a boundary perpendicular to w looks perpendicular.

    Returns the Axes. ``ax.collections`` holds, in order: the background (a QuadMesh whose array is
    p, or the predicted class, on the grid); the boundary as contour sets (binary: one, when p crosses
    1/2 inside the window; k classes: one per class whose region has an edge in the window); one
    scatter per class present in y (label ``class_names[c]``, default ``"class c"``); and the ring of
    misclassified points (when there is one).
    """
    X, labels = _points_and_labels(X, y)
    require_callable(predict_proba, "predict_proba")
    resolution = _int_at_least(resolution, "resolution", 3)
    x_low, x_high = _window(xlim, X[:, 0], "xlim")
    y_low, y_high = _window(ylim, X[:, 1], "ylim")
    gx = np.linspace(x_low, x_high, resolution)
    gy = np.linspace(y_low, y_high, resolution)
    grid = np.column_stack([np.tile(gx, resolution), np.repeat(gy, resolution)])  # (r*r, 2), rows along x
    P_grid = _probabilities(predict_proba, grid, "the grid")
    k = 2 if P_grid.ndim == 1 else P_grid.shape[1]
    if labels.max() >= k:
        i = int(np.argmax(labels >= k))
        raise ValueError(
            f"y[{i}] = {int(labels[i])} is not a class of a {k}-class predict_proba (labels 0..{k - 1})"
        )
    if k > len(OKABE_ITO):
        raise ValueError(f"at most {len(OKABE_ITO)} classes can be told apart by colour, got k = {k}")
    if class_names is None:
        names = [f"class {c}" for c in range(k)]
    else:
        names = [str(s) for s in class_names]
        if len(names) != k:
            raise ValueError(f"class_names must name all k = {k} classes, got {len(names)} names")

    ax = _get_axes(ax)
    drew_boundary = False
    if P_grid.ndim == 1:
        values = P_grid.reshape(resolution, resolution)
        cmap = LinearSegmentedColormap.from_list(
            "class0_white_class1", [_tint(OKABE_ITO[0], 0.35), (1.0, 1.0, 1.0), _tint(OKABE_ITO[1], 0.35)]
        )
        mesh = ax.pcolormesh(gx, gy, values, cmap=cmap, vmin=0.0, vmax=1.0, shading="nearest", zorder=0)
        if colorbar:
            ax.figure.colorbar(mesh, ax=ax, label=r"$p(y = 1 \mid x)$", shrink=0.85)
        if values.min() < 0.5 < values.max():  # else there is no boundary to draw (and contour would warn)
            ax.contour(gx, gy, values, levels=[0.5], colors="black", linewidths=1.8, zorder=1)
            drew_boundary = True
    else:
        cmap = ListedColormap([_tint(c) for c in OKABE_ITO[:k]])
        predicted_grid = np.argmax(P_grid, axis=1).reshape(resolution, resolution)
        ax.pcolormesh(gx, gy, predicted_grid, cmap=cmap, vmin=-0.5, vmax=k - 0.5, shading="nearest", zorder=0)
        for c in range(k):
            # Region c is where class c beats every other class: its edge is the zero level of the margin
            # P_c - max_{j != c} P_j, which contour interpolates between grid points (no staircase).
            margin = (P_grid[:, c] - np.max(np.delete(P_grid, c, axis=1), axis=1)).reshape(
                resolution, resolution
            )
            if margin.min() < 0.0 < margin.max():
                ax.contour(gx, gy, margin, levels=[0.0], colors="black", linewidths=1.4, zorder=1)
                drew_boundary = True
    for c in range(k):
        members = X[labels == c]
        if members.size:
            ax.scatter(
                members[:, 0],
                members[:, 1],
                s=28,
                color=OKABE_ITO[c],
                marker=CLASS_MARKERS[c],
                edgecolors="white",
                linewidths=0.6,
                label=names[c],
                zorder=2,
            )
    handles, legend_labels = ax.get_legend_handles_labels()
    if drew_boundary:
        handles.append(Line2D([], [], color="black", linewidth=1.6))
        legend_labels.append("decision boundary" + (" ($p = 1/2$)" if P_grid.ndim == 1 else ""))
    if mark_errors:
        wrong = _predicted_class(_probabilities(predict_proba, X, "X")) != labels
        if np.any(wrong):
            ring = ax.scatter(
                X[wrong, 0],
                X[wrong, 1],
                s=110,
                facecolors="none",
                edgecolors="black",
                linewidths=1.3,
                zorder=3,
            )
            handles.append(ring)
            legend_labels.append(f"misclassified ({int(wrong.sum())} of {labels.size})")
    ax.set_xlim(x_low, x_high)
    ax.set_ylim(y_low, y_high)
    ax.set_aspect("equal", adjustable="box")
    ax.grid(False)  # the regions are the background; grid lines would cut through them
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    if title:
        ax.set_title(title)
    # Below the axes: inside, the legend would hide points and regions.
    ax.legend(handles, legend_labels, loc="upper center", bbox_to_anchor=(0.5, -0.17), ncol=2)
    return ax
