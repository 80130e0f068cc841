"""Figures for gradient descent, learning rates, momentum and loss landscapes (chapter 7): iterates on a
1-D curve, trajectories on contour lines, loss against iteration, the per-direction contraction factor
``|1 - lr * lambda|``, and iteration counts against the condition number."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes

from labcode._checks import (
    as_float_array,
    real_scalar,
    require_callable,
    require_finite,
    require_ndim,
    shape_str,
)
from labcode.plots._util import (
    _evaluate,
    _fit_ylim,
    _get_axes,
    _grid_values,
    _interval,
    _label_axes,
    _named_curves,
)
from labcode.plots.style import METHOD_LINESTYLES, OKABE_ITO, ZERO_FLOOR, legend_below

__all__ = [
    "plot_descent_1d",
    "plot_trajectories",
    "plot_loss_curves",
    "plot_contraction_factors",
    "plot_iterations_vs_condition",
]

# Iterates are drawn as dots only when there are few enough of them to tell apart.
MAX_DOTS = 80


def _path_of(value: Any, name: str, width: int | None) -> np.ndarray:
    """A recorded path: an array (n + 1, width) (or (n + 1,) when width is None), or anything with a
    ``.path`` attribute such as an OptimResult. Non-finite rows (a diverged last step) are dropped."""
    arr = as_float_array(getattr(value, "path", value), name)
    if width is None:
        if arr.ndim == 2 and arr.shape[1] == 1:
            arr = arr[:, 0]
        require_ndim(arr, name, 1, "(n + 1,)")
        keep = np.isfinite(arr)
    else:
        if arr.ndim != 2 or arr.shape[1] != width:
            raise ValueError(
                f"{name} must have shape (n + 1, {width}), one iterate per row, got {shape_str(arr.shape)}"
            )
        keep = np.all(np.isfinite(arr), axis=1)
    if arr.shape[0] == 0 or not keep[0]:
        raise ValueError(f"{name} must start with a finite iterate")
    # keep the finite prefix: a run stops at its first non-finite iterate
    stop = int(np.argmin(keep)) if not np.all(keep) else arr.shape[0]
    return arr[:stop]


def _losses_of(value: Any, name: str) -> np.ndarray:
    """Losses (n + 1,) from an array or an OptimResult (its ``.losses``); inf/nan are dropped from the end."""
    losses = getattr(value, "losses", value)
    if losses is None:
        raise ValueError(f"{name} has no losses: run the optimizer with f=... to record them")
    arr = require_ndim(as_float_array(losses, name), name, 1, "(n + 1,)")
    finite = np.isfinite(arr)
    if arr.size == 0 or not finite[0]:
        raise ValueError(f"{name} must start with a finite loss")
    stop = int(np.argmin(finite)) if not np.all(finite) else arr.size
    return arr[:stop]


def _contour_levels(values: np.ndarray, levels: int | Sequence[float], spacing: str) -> np.ndarray:
    if not isinstance(levels, (int, np.integer)) or isinstance(levels, bool):
        return require_finite(require_ndim(as_float_array(levels, "levels"), "levels", 1, "(k,)"), "levels")
    if levels < 2:
        raise ValueError(f"levels must be >= 2 (or a sequence of values), got {levels}")
    low, high = float(values.min()), float(values.max())
    if spacing == "log":
        # f - min spans many orders of magnitude in a narrow valley: space the lines geometrically
        span = high - low
        return low + np.geomspace(span * 1e-4, span, int(levels))
    if spacing == "quantile":
        # one line per equal share of the window's area, so flat valleys get lines too
        return np.unique(np.quantile(values, np.linspace(0.0, 1.0, int(levels) + 2)[1:-1]))
    raise ValueError(f"unknown spacing {spacing!r}; choose one of 'quantile', 'log'")


def _window(points: list[np.ndarray], lim: Any, axis: int, name: str) -> tuple[float, float]:
    if lim is not None:
        return _interval(lim, 0.0, name)
    coords = np.concatenate([p[:, axis] for p in points])
    low, high = float(coords.min()), float(coords.max())
    pad = 0.15 * (high - low) if high > low else 1.0
    return low - pad, high + pad


def plot_descent_1d(
    f: Callable[..., Any],
    path: Any,
    *,
    xlim: tuple[float, float] | None = None,
    num: int = 400,
    ax: Axes | None = None,
    label: str = "iterates $w_k$",
    color: str = OKABE_ITO[1],
    title: str | None = "Gradient descent on a curve",
) -> Axes:
    """The curve of ``f`` with the iterates ``(w_k, f(w_k))`` as dots joined in order.

    f: a number -> a number (vectorised or not); path: ``(n + 1,)`` iterates (or ``(n + 1, 1)``, or an
    OptimResult of a 1-D run); a non-finite tail is dropped. xlim defaults to the iterates' range,
    padded. Returns the Axes; its lines are the curve, then the iterates (x: w_k, y: f(w_k)), then the
    start marker.
    """
    require_callable(f, "f")
    w = _path_of(path, "path", None)
    low, high = _window([w[:, None]], xlim, 0, "xlim")
    ax = _get_axes(ax)
    x = np.linspace(low, high, int(num))
    y = _evaluate(f, x)
    fw = _evaluate(f, w, "f")
    ax.plot(x, y, color=OKABE_ITO[0], label="$f(w)$", zorder=1)
    ax.plot(w, fw, "-o", color=color, markersize=5, linewidth=1.2, label=label, zorder=2)
    ax.plot(
        [w[0]], [fw[0]], "s", color="black", markersize=7, label="start $w_0$", zorder=3, linestyle="none"
    )
    inside = fw[(w >= low) & (w <= high)]
    _fit_ylim(ax, np.concatenate([y, inside]))
    ax.set_xlim(low, high)
    return _label_axes(ax, "$w$", "$f(w)$", title)


def plot_trajectories(
    f: Callable[[np.ndarray], Any],
    paths: Mapping[str, Any],
    *,
    xlim: tuple[float, float] | None = None,
    ylim: tuple[float, float] | None = None,
    num: int = 121,
    levels: int | Sequence[float] = 14,
    spacing: str = "quantile",
    marks: Mapping[str, Sequence[float]] | None = None,
    equal_aspect: bool = True,
    legend_outside: bool = False,
    ax: Axes | None = None,
    xlabel: str = "$w_1$",
    ylabel: str = "$w_2$",
    title: str | None = "Trajectories on the contour lines of the loss",
) -> Axes:
    """Contour lines of ``f`` over a window of the plane, with each optimizer's path drawn on top.

    f: a point ``w: (2,)`` -> a number. paths: ``{label: path}`` with each path ``(n + 1, 2)`` (one
    iterate per row) or an OptimResult; a non-finite tail (a diverged run) is dropped, and points
    outside the window are clipped. xlim, ylim: the window (default: the paths' bounding box, padded);
    f is sampled on a ``num`` x ``num`` grid of it. levels: how many contour lines, placed by
    ``spacing`` ("quantile": equal shares of the window's area; "log": geometric above the minimum,
    for narrow valleys), or their values. Paths with at most ``MAX_DOTS`` iterates show a dot per
    iterate. marks: labelled points, e.g. ``{"minimum": w_star}``.

    Returns the Axes: its lines are the paths in the order given (x: ``path[:, 0]``, y: ``path[:, 1]``),
    then the start marker(s) (one per distinct start), then one line per mark; ``ax.collections[0]`` is the contour set.
    """
    require_callable(f, "f")
    if not isinstance(paths, Mapping) or not paths:
        raise TypeError("paths must be a non-empty mapping {label: path (n + 1, 2) or OptimResult}")
    arrays = {label: _path_of(p, f"paths[{label!r}]", 2) for label, p in paths.items()}
    # one start marker per distinct starting point (runs compared from one start share it)
    first = np.unique(np.array([p[0] for p in arrays.values()]), axis=0)
    mark_points = {
        name: require_finite(as_float_array(p, f"marks[{name!r}]"), f"marks[{name!r}]")
        for name, p in (marks or {}).items()
    }
    for name, p in mark_points.items():
        if p.shape != (2,):
            raise ValueError(f"marks[{name!r}] must be a point of shape (2,), got {shape_str(p.shape)}")
    if isinstance(num, bool) or not isinstance(num, (int, np.integer)) or num < 3:
        raise ValueError(f"num must be an integer >= 3 (grid points per side), got {num!r}")
    everything = list(arrays.values()) + [p[None, :] for p in mark_points.values()]
    low1, high1 = _window(everything, xlim, 0, "xlim")
    low2, high2 = _window(everything, ylim, 1, "ylim")

    ax = _get_axes(ax)
    w1 = np.linspace(low1, high1, int(num))
    w2 = np.linspace(low2, high2, int(num))
    values = _grid_values(f, w1, w2)
    level_values = _contour_levels(values, levels, spacing)
    # dark grey at the bottom of the valley fading to light grey on the walls, never to white
    shades = plt.get_cmap("Greys_r")(np.linspace(0.1, 0.62, level_values.size))
    ax.contour(w1, w2, values, levels=level_values, colors=shades, linewidths=0.9, zorder=1)
    for k, (label, p) in enumerate(arrays.items()):
        dots = p.shape[0] <= MAX_DOTS
        ax.plot(
            p[:, 0],
            p[:, 1],
            marker="o" if dots else None,
            markersize=3.5,
            linewidth=1.6,
            color=OKABE_ITO[k % len(OKABE_ITO)],
            linestyle=METHOD_LINESTYLES[k % len(METHOD_LINESTYLES)],
            label=f"{label} ({p.shape[0] - 1} step{'' if p.shape[0] == 2 else 's'})",
            zorder=2 + k,
        )
    start_label = "start $w_0$" if first.shape[0] == 1 else "starts"
    ax.plot(first[:, 0], first[:, 1], "s", color="black", markersize=7, label=start_label, zorder=10)
    for name, p in mark_points.items():
        ax.plot(
            [p[0]],
            [p[1]],
            marker="*",
            markersize=16,
            color=OKABE_ITO[4],
            markeredgecolor="black",
            linestyle="none",
            label=name,
            zorder=11,
        )
    ax.set_xlim(low1, high1)
    ax.set_ylim(low2, high2)
    if equal_aspect:
        ax.set_aspect("equal")
    ax.grid(False)  # the contour lines are the grid
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    if legend_outside:
        legend_below(ax, ncol=2)
    else:
        ax.legend(loc="best")
    return ax


def plot_loss_curves(
    curves: Mapping[str, Any],
    *,
    minimum: float = 0.0,
    log: bool = True,
    log_x: bool = False,
    baseline: float | None = None,
    baseline_label: str = "baseline",
    ax: Axes | None = None,
    xlabel: str = "iteration $k$",
    ylabel: str = "$f(w_k) - f^*$",
    title: str | None = "Loss against iteration",
) -> Axes:
    """One line per run: ``f(w_k) - minimum`` against the iteration ``k`` (log scale unless ``log=False``).

    curves: ``{label: losses}`` with losses ``(n + 1,)`` or an OptimResult run with ``f=`` (its
    ``.losses``); runs may have different lengths, and a non-finite tail is dropped. On the log scale,
    gaps of 0 or below (a loss at the minimum up to rounding) are drawn at ``ZERO_FLOOR``; a straight
    line there is linear convergence, its slope the log of the rate. ``log_x``: a logarithmic iteration
    axis (iteration 0 is then left out), which spreads out the first steps, where most of the progress
    of a training run happens. ``baseline``: a loss to compare with (e.g. log 2, the loss of the
    classifier that says 1/2 to everything), drawn dotted at ``baseline - minimum``. Returns the Axes;
    its lines are the curves in order (x: ``0..n``, y: ``losses - minimum``), then the baseline.
    """
    if not isinstance(curves, Mapping) or not curves:
        raise TypeError("curves must be a non-empty mapping {label: losses (n + 1,) or OptimResult}")
    arrays = {label: _losses_of(c, f"curves[{label!r}]") for label, c in curves.items()}
    minimum = float(require_finite(as_float_array(minimum, "minimum"), "minimum"))
    ax = _get_axes(ax)
    first = 1 if log_x else 0  # iteration 0 has no place on a log axis
    for k, (label, losses) in enumerate(arrays.items()):
        gap = losses - minimum
        y = np.maximum(gap, ZERO_FLOOR) if log else gap
        ax.plot(
            np.arange(first, losses.size),
            y[first:],
            color=OKABE_ITO[k % len(OKABE_ITO)],
            linestyle=METHOD_LINESTYLES[k % len(METHOD_LINESTYLES)],
            label=label,
        )
    if log:
        ax.set_yscale("log")
    if log_x:
        ax.set_xscale("log")
    if baseline is not None:
        level = real_scalar(baseline, "baseline") - minimum
        ax.axhline(level, color="grey", linestyle=":", linewidth=1.6, label=baseline_label)
    return _label_axes(ax, xlabel, ylabel, title)


def plot_contraction_factors(
    eigenvalues: Sequence[float] | np.ndarray,
    *,
    lr_max: float | None = None,
    num: int = 501,
    ax: Axes | None = None,
    title: str | None = r"Per-step factor $|1 - \eta\lambda|$ of each eigen-direction",
) -> Axes:
    """``|1 - lr * lambda|`` against the learning rate ``lr``, one line per eigenvalue, and their maximum.

    eigenvalues: ``(m,)`` positive (a quadratic's Hessian eigenvalues; 2 to 4 of them read best).
    Gradient descent multiplies the error along eigen-direction i by ``1 - lr * lambda_i`` each step;
    the run converges when every factor is below 1 in size, i.e. ``lr < 2 / max(lambda)`` (shaded),
    and the largest factor sets its speed; it is smallest at ``lr = 2 / (min + max)`` (marked).
    ``lr`` runs from 0 to ``lr_max`` (default ``2.5 / max(lambda)``). Returns the Axes; its lines are
    one per eigenvalue in the given order (x: lr, y: ``|1 - lr * lambda|``), then the maximum, then
    the level 1, then the best-rate marker.
    """
    lams = require_finite(
        require_ndim(as_float_array(eigenvalues, "eigenvalues"), "eigenvalues", 1, "(m,)"), "eigenvalues"
    )
    if lams.size == 0 or np.any(lams <= 0):
        raise ValueError("eigenvalues must be non-empty and all > 0 (a positive definite Hessian)")
    big, small = float(lams.max()), float(lams.min())
    top = 2.5 / big if lr_max is None else float(lr_max)
    if not np.isfinite(top) or top <= 0:
        raise ValueError(f"lr_max must be a finite number > 0, got {lr_max!r}")
    ax = _get_axes(ax)
    lr = np.linspace(0.0, top, int(num))
    factors = np.abs(1.0 - lr[:, None] * lams[None, :])  # (num, m)
    for i, lam in enumerate(lams):
        ax.plot(
            lr,
            factors[:, i],
            color=OKABE_ITO[i % len(OKABE_ITO)],
            linestyle=METHOD_LINESTYLES[(i + 1) % len(METHOD_LINESTYLES)],
            linewidth=1.5,
            label=rf"$\lambda = {lam:.3g}$",
        )
    ax.plot(lr, factors.max(axis=1), color="black", linewidth=2.6, alpha=0.6, label="the largest: the rate")
    ax.axhline(1.0, color="grey", linewidth=1.0, linestyle="--", label="_nolegend_")
    stable = min(2.0 / big, top)
    ax.axvspan(0.0, stable, color=OKABE_ITO[2], alpha=0.12, label=r"converges: $\eta < 2/\lambda_{\max}$")
    best_lr = 2.0 / (small + big)
    best_rate = (big - small) / (big + small)
    if best_lr <= top:
        ax.plot(
            [best_lr],
            [best_rate],
            marker="*",
            markersize=15,
            color=OKABE_ITO[4],
            markeredgecolor="black",
            linestyle="none",
            zorder=4,
            label=rf"best $\eta = 2/(\lambda_{{\min}}+\lambda_{{\max}})$: rate {best_rate:.3g}",
        )
    ax.set_xlim(0.0, top)
    ax.set_ylim(0.0, max(1.6, float(factors.max(axis=1)[-1]) * 1.05))
    ax.set_xlabel(r"learning rate $\eta$")
    ax.set_ylabel(r"$|1 - \eta\lambda|$")
    if title:
        ax.set_title(title)
    ax.legend(loc="upper right")
    return ax


def plot_iterations_vs_condition(
    kappas: Sequence[float] | np.ndarray,
    counts: Mapping[str, Sequence[float] | np.ndarray],
    *,
    ax: Axes | None = None,
    xlabel: str = r"condition number $\kappa = L/\mu$",
    ylabel: str = "iterations to converge",
    title: str | None = "Iterations grow with the condition number",
) -> Axes:
    """Log-log plot of iteration counts against the condition number, one line of dots per method.

    kappas: ``(m,)`` positive; counts: ``{method: (m,)}`` positive counts (nan where a run did not
    converge: drawn as a gap). A power law ``count ~ kappa^p`` is a straight line of slope p
    (add guides with :func:`labcode.plots.add_power_law`). Returns the Axes; its lines are the methods
    in order (x: kappas, y: counts).
    """
    k = require_finite(require_ndim(as_float_array(kappas, "kappas"), "kappas", 1, "(m,)"), "kappas")
    if k.size == 0 or np.any(k <= 0):
        raise ValueError("kappas must be non-empty and all > 0 (they go on a log axis)")
    arrays = _named_curves(counts, "counts", k, "kappas", finite=False)
    for label, arr in arrays.items():
        if np.any(arr[~np.isnan(arr)] <= 0) or np.any(np.isinf(arr)):
            raise ValueError(f"counts[{label!r}] must be positive (nan for a run that did not converge)")
    ax = _get_axes(ax)
    for i, (label, arr) in enumerate(arrays.items()):
        ax.loglog(
            k,
            arr,
            marker="o",
            color=OKABE_ITO[i % len(OKABE_ITO)],
            linestyle=METHOD_LINESTYLES[i % len(METHOD_LINESTYLES)],
            label=label,
        )
    return _label_axes(ax, xlabel, ylabel, title)
