"""Figures of the frameworks chapter: how far two implementations of one computation drift apart, and where a
check's tolerance lets a bug through."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from matplotlib.axes import Axes

from labcode._checks import as_float_array, require_finite, require_int, require_ndim, shape_str
from labcode.plots._util import _get_axes, _label_axes, _named_curves
from labcode.plots.style import METHOD_LINESTYLES, OKABE_ITO, ZERO_FLOOR

__all__ = ["plot_relative_gaps", "plot_tolerance_and_error"]


def plot_relative_gaps(
    gaps: Mapping[str, Any],
    *,
    references: Mapping[str, float] | None = None,
    window: int = 1,
    ax: Axes | None = None,
    xlabel: str = "step $k$",
    ylabel: str = "relative gap",
    title: str | None = "How far two implementations drift apart",
) -> Axes:
    """One line per comparison: the relative gap between two runs of one computation at step k = 0..K, on a log
    scale; gaps of exactly 0 (bit-for-bit agreement) are drawn at ``ZERO_FLOOR``.

    gaps: ``{label: (K + 1,)}``, all of one length, finite and >= 0. references: ``{label: value > 0}``, drawn
    as dotted horizontal lines (a machine epsilon, say). window: draw the largest gap of each run of ``window``
    consecutive steps, at the run's first step (a gap at rounding level jumps by orders of magnitude from one
    step to the next; its envelope is what the eye can read). Returns the Axes; its lines are the gaps in
    order, then the references.
    """
    window = require_int(window, "window", minimum=1)
    if not isinstance(gaps, Mapping) or not gaps:
        raise TypeError("gaps must be a non-empty mapping {label: (K + 1,)}")
    first = require_ndim(as_float_array(next(iter(gaps.values())), "gaps"), "gaps", 1, "(K + 1,)")
    k = np.arange(first.size, dtype=float)
    curves = _named_curves(gaps, "gaps", k, "the first gap's steps")
    for label, y in curves.items():
        if np.any(y < 0):
            raise ValueError(f"gaps[{label!r}] must be >= 0 (a relative gap), got a minimum of {y.min():.3g}")
    refs = {} if references is None else dict(references)
    for label, value in refs.items():
        value = float(
            require_finite(as_float_array(value, f"references[{label!r}]"), f"references[{label!r}]")
        )
        if not value > 0:
            raise ValueError(f"references[{label!r}] must be > 0 (it goes on a log axis), got {value!r}")
        refs[label] = value
    ax = _get_axes(ax)
    starts = np.arange(0, k.size, window)
    for i, (label, y) in enumerate(curves.items()):
        ax.plot(
            k[starts],
            np.maximum(np.maximum.reduceat(y, starts), ZERO_FLOOR),
            color=OKABE_ITO[i % 7],
            linestyle=METHOD_LINESTYLES[i % len(METHOD_LINESTYLES)],
            label=label,
        )
    for j, (label, value) in enumerate(refs.items()):
        ax.axhline(value, color=OKABE_ITO[(len(curves) + j) % 7], linestyle=":", linewidth=1.5, label=label)
    ax.set_yscale("log")
    return _label_axes(ax, xlabel, ylabel, title)


def plot_tolerance_and_error(
    sizes: Any,
    error: Any,
    allowances: Mapping[str, Any],
    *,
    flagged: Any = None,
    flagged_labels: tuple[str, str] = ("flagged", "passed"),
    ax: Axes | None = None,
    xlabel: str = "size of the gradient's entries",
    ylabel: str = "absolute difference",
    title: str | None = "Where a check lets a bug through",
) -> Axes:
    """Log-log: the absolute difference a bug makes (a line through markers) and what each check allows
    (one line each), against the size of the gradient. A check catches the bug where the difference lies
    above its allowance.

    sizes, error: ``(m,)``, all > 0. allowances: ``{label: (m,)}``, all > 0. flagged: ``(m,)`` booleans, one
    check's verdicts at each size: drawn as filled markers where it flagged the bug and open markers where it
    passed (labelled ``flagged_labels``); None draws the error as a plain line. Returns the Axes; its lines are
    the error, then the allowances, then (with ``flagged``) the flagged and passed markers.
    """
    x = require_finite(require_ndim(as_float_array(sizes, "sizes"), "sizes", 1, "(m,)"), "sizes")
    err = require_finite(as_float_array(error, "error"), "error")
    if err.shape != x.shape:
        raise ValueError(f"error must have shape {shape_str(x.shape)} like sizes, got {shape_str(err.shape)}")
    curves = _named_curves(allowances, "allowances", x, "sizes")
    for name, arr in [("sizes", x), ("error", err), *((f"allowances[{k!r}]", v) for k, v in curves.items())]:
        if arr.size == 0 or np.any(arr <= 0):
            raise ValueError(f"{name} must be non-empty and all > 0 (they go on log axes)")
    ax = _get_axes(ax)
    ax.plot(x, err, color=OKABE_ITO[0], label="difference the bug makes")
    for i, (label, y) in enumerate(curves.items(), start=1):
        ax.plot(
            x, y, color=OKABE_ITO[i % 7], linestyle=METHOD_LINESTYLES[i % len(METHOD_LINESTYLES)], label=label
        )
    if flagged is not None:
        marks = np.asarray(flagged)
        if marks.shape != x.shape or marks.dtype != bool:
            raise ValueError(
                f"flagged must be booleans of shape {shape_str(x.shape)} like sizes, got {marks.dtype} "
                f"of shape {shape_str(marks.shape)}"
            )
        on, off = flagged_labels
        ax.plot(x[marks], err[marks], "o", color=OKABE_ITO[0], markersize=7, label=on)
        ax.plot(
            x[~marks], err[~marks], "o", color=OKABE_ITO[0], markerfacecolor="none", markersize=7, label=off
        )
    ax.set_xscale("log")
    ax.set_yscale("log")
    return _label_axes(ax, xlabel, ylabel, title)
