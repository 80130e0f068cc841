"""Figures for the chain rule and linear regression (chapter 3): computational graphs drawn as boxes and
arrows, and the residuals of a fitted line."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from labcode._checks import as_float_array, require_finite, require_ndim, shape_str
from labcode.plots._util import _get_axes
from labcode.plots.style import COLUMN_WIDTH, OKABE_ITO

__all__ = ["NODE_STYLES", "plot_computational_graph", "plot_residuals"]

# How each kind of node is drawn: (face colour, edge colour, legend text).
NODE_STYLES: dict[str, tuple[str, str, str]] = {
    "input": ("#D6EAF8", OKABE_ITO[0], "input"),
    "operation": ("white", "black", "operation (knows its local derivative)"),
    "output": ("#FAD7C0", OKABE_ITO[1], "output"),
}


def _edges(edges: Any, names: Sequence[str]) -> list[tuple[str, str, str | None]]:
    """``[(src, dst, label or None)]``, each end a known node."""
    if isinstance(edges, (str, bytes)) or not isinstance(edges, Sequence):
        raise TypeError("edges must be a sequence of (source, target) or (source, target, label) tuples")
    out = []
    for k, edge in enumerate(edges):
        if isinstance(edge, (str, bytes)) or not isinstance(edge, Sequence) or len(edge) not in (2, 3):
            raise ValueError(f"edges[{k}] must be (source, target) or (source, target, label), got {edge!r}")
        src, dst = edge[0], edge[1]
        for end in (src, dst):
            if end not in names:
                raise ValueError(
                    f"edges[{k}] = {tuple(edge)!r} names {end!r}, which is not a node; nodes: {list(names)}"
                )
        if src == dst:
            raise ValueError(f"edges[{k}] goes from {src!r} to itself; a computational graph has no loops")
        out.append((src, dst, None if len(edge) == 2 else str(edge[2])))
    return out


def plot_computational_graph(
    nodes: Mapping[str, Sequence[float]],
    edges: Sequence[Sequence[str]],
    *,
    labels: Mapping[str, str] | None = None,
    kinds: Mapping[str, str] | None = None,
    ax: Axes | None = None,
    fontsize: float = 12,
    legend: bool = True,
    title: str | None = "A computational graph",
) -> Axes:
    """Draw a computational graph: one box per node, one arrow per edge, with optional edge labels.

    nodes: ``{name: (x, y)}``, where each box is centred (any units; the axes fit them). edges:
    ``(source, target)`` or ``(source, target, label)`` pairs of node names; a label (say the local
    derivative ``"du/dx = 2x"``) is written at the arrow's midpoint. labels: the text in each box
    (default: the node's name; mathtext such as ``"$u = x^2$"`` works). kinds: ``"input"``,
    ``"operation"`` or ``"output"`` per node, which sets its colours (:data:`NODE_STYLES`); by default a
    node with no incoming edge is an input, one with no outgoing edge an output, and the rest operations.
    legend: whether to explain the node colours (one entry per kind used) to the right of the graph.

    Returns the Axes (axis lines hidden). Its texts are the boxes, in the order of ``nodes``; its
    annotations are the arrows, in the order of ``edges`` (each from the source's centre to the target's
    centre, clipped at the boxes' outlines), then the edge labels (each anchored at its edge's midpoint
    and set a few points to the side of the arrow).
    """
    if not isinstance(nodes, Mapping) or not nodes:
        raise TypeError("nodes must be a non-empty mapping {name: (x, y)}")
    names = list(nodes)
    where: dict[str, np.ndarray] = {}
    for name, xy in nodes.items():
        p = require_finite(as_float_array(xy, f"nodes[{name!r}]"), f"nodes[{name!r}]")
        if p.shape != (2,):
            raise ValueError(f"nodes[{name!r}] must be a position (x, y), got shape {shape_str(p.shape)}")
        where[name] = p
    links = _edges(edges, names)
    has_in = {dst for _, dst, _ in links}
    has_out = {src for src, _, _ in links}
    node_kinds = {
        name: "input" if name not in has_in else "output" if name not in has_out else "operation"
        for name in names
    }
    for name, kind in (kinds or {}).items():
        if name not in where:
            raise ValueError(f"kinds names {name!r}, which is not a node; nodes: {names}")
        if kind not in NODE_STYLES:
            raise ValueError(
                f"unknown kind {kind!r} for node {name!r}; choose one of {', '.join(map(repr, NODE_STYLES))}"
            )
        node_kinds[name] = kind
    for name in labels or {}:
        if name not in where:
            raise ValueError(f"labels names {name!r}, which is not a node; nodes: {names}")

    if ax is None:
        _, ax = plt.subplots(figsize=(COLUMN_WIDTH, 3.4))
    ax = _get_axes(ax)
    boxes = {}
    for name in names:
        face, edge, _ = NODE_STYLES[node_kinds[name]]
        boxes[name] = ax.text(
            *where[name],
            (labels or {}).get(name, name),
            ha="center",
            va="center",
            fontsize=fontsize,
            zorder=3,
            bbox={"boxstyle": "round,pad=0.5", "facecolor": face, "edgecolor": edge, "linewidth": 1.5},
        )
    for src, dst, _ in links:
        ax.annotate(
            "",
            xy=tuple(where[dst]),
            xytext=tuple(where[src]),
            zorder=2,
            arrowprops={
                "arrowstyle": "-|>",
                "color": "0.25",
                "linewidth": 1.5,
                "mutation_scale": 16,
                # Clip the arrow at the boxes' outlines, so it runs from box edge to box edge.
                "patchA": boxes[src].get_bbox_patch(),
                "patchB": boxes[dst].get_bbox_patch(),
                "shrinkA": 2,
                "shrinkB": 2,
            },
        )
    xy = np.array(list(where.values()))
    span = np.maximum(np.ptp(xy, axis=0), 1.0)
    for src, dst, text in links:
        if text is None:
            continue
        mid = (where[src] + where[dst]) / 2
        # Beside the arrow, not on it: offset along the normal that points up (or right, for a vertical
        # edge), measured in axis spans so that the offset looks perpendicular on screen.
        direction = (where[dst] - where[src]) / span
        normal = np.array([-direction[1], direction[0]]) / np.linalg.norm(direction)
        if normal[1] < 0 or (normal[1] == 0 and normal[0] < 0):
            normal = -normal
        ax.annotate(
            text,
            xy=tuple(mid),
            xytext=tuple(7.0 * normal),
            textcoords="offset points",
            ha="left" if normal[0] > 0.3 else "right" if normal[0] < -0.3 else "center",
            va="bottom" if normal[1] > 0.3 else "center",
            fontsize=fontsize - 1,
            color="0.15",
            zorder=4,
        )
    ax.set_xlim(xy[:, 0].min() - 0.15 * span[0], xy[:, 0].max() + 0.15 * span[0])
    ax.set_ylim(xy[:, 1].min() - 0.25 * span[1], xy[:, 1].max() + 0.25 * span[1])
    ax.set_axis_off()
    if legend:
        used = [kind for kind in NODE_STYLES if kind in node_kinds.values()]
        handles = [
            Patch(facecolor=face, edgecolor=edge, linewidth=1.5, label=text)
            for kind, (face, edge, text) in NODE_STYLES.items()
            if kind in used
        ]
        # Below the graph, so that the graph keeps the figure's full width.
        ax.legend(
            handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=len(handles), fontsize=9
        )
    if title:
        ax.set_title(title)
    return ax


def _vector(value: Any, name: str, n: int | None = None) -> np.ndarray:
    arr = require_finite(require_ndim(as_float_array(value, name), name, 1, "(n,)"), name)
    if arr.size == 0:
        raise ValueError(f"{name} must have at least one entry, got shape (0,)")
    if n is not None and arr.shape[0] != n:
        raise ValueError(f"{name} must have shape (n,) = ({n},) like x, got {shape_str(arr.shape)}")
    return arr


def plot_residuals(
    x: Sequence[float] | np.ndarray,
    y: Sequence[float] | np.ndarray,
    predictions: Sequence[float] | np.ndarray,
    *,
    ax: Axes | None = None,
    label: str = "model",
    xlabel: str = "$x$",
    ylabel: str = "$y$",
    title: str | None = "Residuals: how far each prediction misses its target",
) -> Axes:
    """The data ``(x_i, y_i)``, the model's predictions as a curve, and each residual as a vertical segment.

    x, y, predictions: ``(n,)`` each (a 1-D input, its target, the model's prediction). The residual
    ``r_i = predictions_i - y_i`` is the segment from ``(x_i, y_i)`` to ``(x_i, predictions_i)``; the
    mean squared error is the mean of their squared lengths.

    Returns the Axes; its visible lines are the data points, then the prediction curve (through the
    predictions sorted by x), and its collection holds the residual segments in the order of x.
    """
    x = _vector(x, "x")
    y = _vector(y, "y", x.shape[0])
    predictions = _vector(predictions, "predictions", x.shape[0])
    ax = _get_axes(ax)
    segments = ax.vlines(x, y, predictions, color=OKABE_ITO[1], linewidth=1.3, zorder=1)
    ax.plot(x, y, "o", color=OKABE_ITO[0], markersize=6, zorder=3, label="data $(x_i, y_i)$")
    order = np.argsort(x, kind="stable")
    ax.plot(x[order], predictions[order], color="black", linewidth=2.0, zorder=2, label=label)
    handles, names = ax.get_legend_handles_labels()
    handles.append(Line2D([], [], color=OKABE_ITO[1], linewidth=1.3))
    names.append(r"residual $r_i = \hat y_i - y_i$")
    ax.legend(handles, names, loc="best")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    segments.set_label("_residuals")
    return ax
