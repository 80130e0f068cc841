"""Figures of stochastic optimisation: the mini-batch gradient's variance, SGD's noise floor, learning-rate schedules,
step sizes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.axes import Axes

from labcode._checks import as_float_array, require_finite, require_int, require_ndim
from labcode.plots._util import _get_axes, _label_axes, _named_curves
from labcode.plots.style import METHOD_LINESTYLES, OKABE_ITO

__all__ = ["plot_batch_variance", "plot_noise_floors", "plot_schedules", "plot_step_sizes"]


def _positive_vector(values: Any, name: str) -> np.ndarray:
    arr = require_finite(require_ndim(as_float_array(values, name), name, 1, "(m,)"), name)
    if arr.size == 0 or np.any(arr <= 0):
        raise ValueError(f"{name} must be non-empty and all > 0 (they go on a log axis)")
    return arr


def plot_batch_variance(
    batch_sizes: Sequence[int] | np.ndarray,
    measured: Sequence[float] | np.ndarray,
    predicted: Sequence[float] | np.ndarray,
    *,
    ax: Axes | None = None,
    xlabel: str = "batch size $B$",
    ylabel: str = r"$\mathbb{E}\,\|\hat g_B - \nabla f\|^2$",
    title: str | None = "The mini-batch gradient's variance falls like 1/B",
) -> Axes:
    """Log-log: the measured variance of the mini-batch gradient (dots) and the prediction (line) against B.

    batch_sizes, measured, predicted: ``(m,)``, all > 0. The law ``sigma^2 / B`` is a line of slope -1.
    Returns the Axes; its lines are the prediction, then the measurements (x: batch sizes).
    """
    b = _positive_vector(batch_sizes, "batch_sizes")
    curves = _named_curves({"predicted": predicted, "measured": measured}, "variances", b, "batch_sizes")
    for label, arr in curves.items():
        _positive_vector(arr, label)
    ax = _get_axes(ax)
    ax.loglog(b, curves["predicted"], color=OKABE_ITO[6], linestyle="--", label=r"$\sigma^2 / B$")
    ax.loglog(b, curves["measured"], marker="o", linestyle="none", color=OKABE_ITO[0], label="measured")
    return _label_axes(ax, xlabel, ylabel, title)


def plot_noise_floors(
    predicted: Mapping[str, Sequence[float] | np.ndarray],
    measured: Mapping[str, Sequence[float] | np.ndarray],
    *,
    ax: Axes | None = None,
    xlabel: str = r"predicted floor $\eta\,\mathrm{tr}\,\Sigma / (4B)$",
    ylabel: str = "measured floor of $f(w_k) - f^*$",
    title: str | None = "SGD's noise floor against the prediction",
) -> Axes:
    """Log-log scatter of measured noise floors against predicted ones, one marker series per group.

    predicted, measured: ``{group: (m,)}`` with the same groups and shapes, all > 0 (a group is, say, one
    batch size over several learning rates). The diagonal ``measured = predicted`` is drawn dashed, so
    points on it confirm the prediction. Returns the Axes; its first line is the diagonal.
    """
    if not isinstance(predicted, Mapping) or not predicted:
        raise TypeError("predicted must be a non-empty mapping {group: (m,)}")
    if not isinstance(measured, Mapping) or list(measured) != list(predicted):
        raise ValueError(f"measured must have the groups of predicted, {list(predicted)}, in that order")
    pairs = {}
    for group in predicted:
        x = _positive_vector(predicted[group], f"predicted[{group!r}]")
        (y,) = _named_curves({group: measured[group]}, "measured", x, f"predicted[{group!r}]").values()
        pairs[group] = (x, _positive_vector(y, f"measured[{group!r}]"))
    everything = np.concatenate([np.concatenate(p) for p in pairs.values()])
    ends = np.array([everything.min() / 1.5, everything.max() * 1.5])
    ax = _get_axes(ax)
    ax.loglog(ends, ends, color="grey", linestyle="--", label="measured = predicted")
    markers = ("o", "s", "^", "D", "v", "P", "X")
    for i, (group, (x, y)) in enumerate(pairs.items()):
        ax.loglog(
            x, y, marker=markers[i % len(markers)], linestyle="none", color=OKABE_ITO[i % 7], label=group
        )
    return _label_axes(ax, xlabel, ylabel, title, legend_loc="upper left")


def plot_schedules(
    schedules: Mapping[str, Any],
    steps: int,
    *,
    ax: Axes | None = None,
    xlabel: str = "update $t$",
    ylabel: str = r"learning rate $\eta_t$",
    title: str | None = "Learning-rate schedules",
) -> Axes:
    """One line per schedule: ``lr(t)`` for t = 0, ..., steps - 1.

    schedules: ``{label: schedule}``, each a :class:`labcode.optim.Schedule` (or anything with
    ``values(steps) -> (steps,)``). Returns the Axes; its lines are the schedules in order.
    """
    steps = require_int(steps, "steps", minimum=1)
    if not isinstance(schedules, Mapping) or not schedules:
        raise TypeError("schedules must be a non-empty mapping {label: Schedule}")
    t = np.arange(steps, dtype=float)
    values = {}
    for label, schedule in schedules.items():
        if not hasattr(schedule, "values"):
            raise TypeError(f"schedules[{label!r}] must be a Schedule, got {type(schedule).__name__}")
        values[label] = schedule.values(steps)
    curves = _named_curves(values, "schedules", t, "range(steps)")
    ax = _get_axes(ax)
    for k, (label, y) in enumerate(curves.items()):
        ax.plot(
            t, y, color=OKABE_ITO[k % 7], linestyle=METHOD_LINESTYLES[k % len(METHOD_LINESTYLES)], label=label
        )
    ax.set_ylim(bottom=0)
    return _label_axes(ax, xlabel, ylabel, title)


def plot_step_sizes(
    sizes: Mapping[str, Sequence[float] | np.ndarray],
    *,
    ax: Axes | None = None,
    xlabel: str = "step $k$",
    ylabel: str = r"step size $/\ \eta$",
    title: str | None = "Step sizes",
) -> Axes:
    """One line per run: the size of step k (``|w_k - w_{k-1}|``, in whatever unit the caller divided by)
    against k = 1, ..., K on a logarithmic step axis, so the first steps are as visible as the late ones.

    sizes: ``{label: (K,)}``, all of the same length, finite. Returns the Axes; its lines are the runs in order.
    """
    if not isinstance(sizes, Mapping) or not sizes:
        raise TypeError("sizes must be a non-empty mapping {label: (K,)}")
    first = as_float_array(next(iter(sizes.values())), "sizes")
    k = np.arange(1, first.size + 1, dtype=float)
    curves = _named_curves(sizes, "sizes", k, "the first run's steps")
    ax = _get_axes(ax)
    for i, (label, y) in enumerate(curves.items()):
        ax.plot(
            k, y, color=OKABE_ITO[i % 7], linestyle=METHOD_LINESTYLES[i % len(METHOD_LINESTYLES)], label=label
        )
    ax.set_xscale("log")
    ax.set_ylim(bottom=0)
    return _label_axes(ax, xlabel, ylabel, title)
