"""Figures for automatic differentiation and backprop (chapters 8 to 10): computational graphs, how a
Jacobian is filled pass by pass, cost against the number of inputs, per-layer gradient sizes, and a
1-D regression fit."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import ListedColormap, to_rgba
from matplotlib.patches import Circle, FancyArrowPatch

from labcode._checks import (
    as_float_array,
    require_callable,
    require_choice,
    require_finite,
    require_ndim,
    shape_str,
)
from labcode.plots._util import _evaluate, _get_axes, _label_axes, _named_curves
from labcode.plots.style import METHOD_LINESTYLES, OKABE_ITO

__all__ = [
    "EXAMPLE_GRAPHS",
    "GRAPH_DIRECTIONS",
    "GraphDrawing",
    "plot_backprop_graph",
    "plot_jacobian_sweeps",
    "plot_cost_scaling",
    "plot_layer_gradient_norms",
    "plot_regression_fit",
]

GRAPH_DIRECTIONS: tuple[str, ...] = ("forward", "backward")

VALUE_COLOR = OKABE_ITO[0]  # forward-pass values: blue
ADJOINT_COLOR = OKABE_ITO[1]  # backward-pass adjoints: vermillion


class GraphDrawing(NamedTuple):
    """Where and how to draw one computational graph with :func:`plot_backprop_graph`.

    nodes: ``{name: (x, y)}``, the centre of each node; edges: ``(parent, child, local derivative)``
    triples, the last the text of ``d child / d parent``; labels: the text inside each circle; operations:
    the text above each node, how it is computed.
    """

    nodes: Mapping[str, tuple[float, float]]
    edges: tuple[tuple[str, str, str], ...]
    labels: Mapping[str, str]
    operations: Mapping[str, str]

    @property
    def bare_edges(self) -> list[tuple[str, str]]:
        """The edges as ``(parent, child)`` pairs, without their local derivatives (a forward pass)."""
        return [(parent, child) for parent, child, _ in self.edges]


EXAMPLE_GRAPHS: dict[str, GraphDrawing] = {
    # Chapter 9 (chapter 8's example): f(x, y) = x y + sin x as the trace
    # v1 = x, v2 = y, v3 = v1 v2, v4 = sin v1, v5 = v3 + v4.
    "xy + sin x": GraphDrawing(
        nodes={"v1": (0.0, 1.4), "v2": (0.0, -0.6), "v3": (2.2, -0.6), "v4": (2.2, 1.4), "v5": (4.4, 0.4)},
        edges=(
            ("v1", "v3", "$v_2$"),
            ("v2", "v3", "$v_1$"),
            ("v1", "v4", "$\\cos v_1$"),
            ("v3", "v5", "1"),
            ("v4", "v5", "1"),
        ),
        labels={name: f"$v_{name[1]}$" for name in ("v1", "v2", "v3", "v4", "v5")},
        operations={"v1": "$x$", "v2": "$y$", "v3": "$v_1 v_2$", "v4": "$\\sin v_1$", "v5": "$v_3 + v_4$"},
    ),
    # Chapter 9: f = t + t * t with t = a b, where a breadth-first backward pass goes wrong.
    "t + t t": GraphDrawing(
        nodes={"a": (0.0, 1.2), "b": (0.0, -1.0), "t": (2.2, 0.1), "s": (4.4, -1.0), "f": (6.6, 0.1)},
        edges=(("a", "t", "$b$"), ("b", "t", "$a$"), ("t", "s", "$2t$"), ("t", "f", "1"), ("s", "f", "1")),
        labels={"a": "$a$", "b": "$b$", "t": "$t$", "s": "$s$", "f": "$f$"},
        operations={"t": "$a b$", "s": "$t \\cdot t$", "f": "$t + s$"},
    ),
}


def _point(value: Any, name: str) -> tuple[float, float]:
    arr = require_finite(as_float_array(value, name), name)
    if arr.shape != (2,):
        raise ValueError(f"{name} must be an (x, y) pair, got shape {shape_str(arr.shape)}")
    return float(arr[0]), float(arr[1])


def _number(value: Any, name: str) -> float:
    arr = require_finite(as_float_array(value, name), name)
    if arr.shape != ():
        raise ValueError(f"{name} must be a single number, got shape {shape_str(arr.shape)}")
    return float(arr)


def _known_nodes(mapping: Mapping[str, Any] | None, nodes: Mapping[str, Any], name: str) -> dict[str, Any]:
    if mapping is None:
        return {}
    if not isinstance(mapping, Mapping):
        raise TypeError(f"{name} must be a mapping {{node name: ...}} or None, got {type(mapping).__name__}")
    unknown = [key for key in mapping if key not in nodes]
    if unknown:
        raise ValueError(f"{name} names nodes that are not in nodes: {unknown}; nodes are {list(nodes)}")
    return dict(mapping)


def _require_format(fmt: Any) -> str:
    """Fail before anything is drawn when ``fmt`` is not a format spec for numbers (".3f", ".2g")."""
    try:
        format(0.0, fmt)
    except (TypeError, ValueError):
        raise ValueError(f"fmt must be a format spec for numbers such as '.3f', got {fmt!r}") from None
    return fmt


def plot_backprop_graph(
    nodes: Mapping[str, tuple[float, float]],
    edges: Sequence[Sequence[str]],
    *,
    labels: Mapping[str, str] | None = None,
    operations: Mapping[str, str] | None = None,
    values: Mapping[str, float] | None = None,
    adjoints: Mapping[str, float] | None = None,
    direction: str = "forward",
    fmt: str = ".3f",
    radius: float = 0.32,
    ax: Axes | None = None,
    title: str | None = None,
) -> Axes:
    """Draw a computational graph with the values of its forward pass or the adjoints of its backward pass.

    One circle per node and one arrow per edge (chapter 3's :func:`plot_computational_graph` draws the
    bare graph as boxes; this one shows a pass through it). nodes: ``{name: (x, y)}``, the centre of each
    node in data coordinates (the axes get an equal aspect, so circles stay round). edges:
    ``(parent, child)`` or ``(parent, child, label)``: ``child`` is computed from ``parent``, and the
    label (the local derivative ``d child / d parent``, say) is written beside the arrow's middle.
    labels: the text inside each circle (default: the node's name). operations: a short text above each
    node saying how it is computed (``"$v_1 v_2$"``). values: each node's forward-pass value, written
    below it in blue; adjoints: each node's adjoint ``d(output)/d(node)``, written below that in
    vermillion. direction: ``"forward"`` draws arrows parent -> child (values flow forward);
    ``"backward"`` draws them child -> parent, dashed, in the adjoint colour (adjoints flow back).
    fmt: the format of values and adjoints. Returns the Axes; its patches are the circles (in the order
    of ``nodes``) and then the arrows (in the order of ``edges``).
    """
    if not isinstance(nodes, Mapping) or not nodes:
        raise TypeError("nodes must be a non-empty mapping {node name: (x, y)}")
    centres = {name: _point(xy, f"nodes[{name!r}]") for name, xy in nodes.items()}
    if isinstance(edges, (str, bytes)) or not isinstance(edges, Sequence):
        raise TypeError("edges must be a sequence of (parent, child) or (parent, child, label) tuples")
    edge_list, edge_text = [], {}
    for k, edge in enumerate(edges):
        if isinstance(edge, (str, bytes)) or not isinstance(edge, Sequence) or len(edge) not in (2, 3):
            raise ValueError(f"edges[{k}] must be (parent, child) or (parent, child, label), got {edge!r}")
        parent, child = edge[0], edge[1]
        for end in (parent, child):
            if end not in centres:
                raise ValueError(
                    f"edges[{k}] = {tuple(edge)!r} names {end!r}, which is not in nodes {list(centres)}"
                )
        if parent == child:
            raise ValueError(f"edges[{k}] joins {parent!r} to itself; a computational graph has no loops")
        edge_list.append((parent, child))
        if len(edge) == 3:
            edge_text[(parent, child)] = str(edge[2])
    label_text = _known_nodes(labels, centres, "labels")
    operation_text = _known_nodes(operations, centres, "operations")
    value_of = {k: _number(v, f"values[{k!r}]") for k, v in _known_nodes(values, centres, "values").items()}
    adjoint_of = {
        k: _number(v, f"adjoints[{k!r}]") for k, v in _known_nodes(adjoints, centres, "adjoints").items()
    }
    direction = require_choice(direction, "direction", GRAPH_DIRECTIONS)
    radius = _number(radius, "radius")
    if radius <= 0:
        raise ValueError(f"radius must be > 0, got {radius!r}")
    _require_format(fmt)
    for parent, child in edge_list:
        gap = float(np.hypot(*np.subtract(centres[child], centres[parent])))
        if gap <= 2 * radius:  # the circles would overlap and the arrow would have no length
            raise ValueError(
                f"nodes {parent!r} and {child!r} are {gap:.3g} apart, but an edge needs them more than "
                f"2 * radius = {2 * radius:.3g} apart; move them or pass a smaller radius"
            )

    ax = _get_axes(ax)
    for name, (x, y) in centres.items():
        ax.add_patch(Circle((x, y), radius, facecolor="white", edgecolor="black", linewidth=1.6, zorder=3))
        ax.text(x, y, label_text.get(name, name), ha="center", va="center", fontsize=13, zorder=4)
        if name in operation_text:
            ax.annotate(
                operation_text[name],
                (x, y + radius),
                xytext=(0, 3),
                textcoords="offset points",
                ha="center",
                va="bottom",
                fontsize=11,
                zorder=4,
            )
        # Value and adjoint stack below the circle, a fixed number of points apart at any figure size.
        below = [(f"= {value_of[name]:{fmt}}", VALUE_COLOR)] if name in value_of else []
        if name in adjoint_of:
            bar = _adjoint_name(label_text.get(name, name))
            below.append((f"{bar} = {adjoint_of[name]:{fmt}}", ADJOINT_COLOR))
        for line, (text, color) in enumerate(below):
            ax.annotate(
                text,
                (x, y - radius),
                xytext=(0, -3 - 15 * line),
                textcoords="offset points",
                ha="center",
                va="top",
                color=color,
                zorder=4,
            )

    backward = direction == "backward"
    for parent, child in edge_list:
        (x0, y0), (x1, y1) = centres[parent], centres[child]
        length = float(np.hypot(x1 - x0, y1 - y0))
        ux, uy = (x1 - x0) / length, (y1 - y0) / length
        start = (x0 + radius * ux, y0 + radius * uy)  # from the rim of one circle to the rim of the other
        end = (x1 - radius * ux, y1 - radius * uy)
        if backward:
            start, end = end, start
        ax.add_patch(
            FancyArrowPatch(
                start,
                end,
                arrowstyle="-|>",
                mutation_scale=16,
                color=ADJOINT_COLOR if backward else "black",
                linestyle="--" if backward else "-",
                linewidth=1.5,
                zorder=2,
            )
        )
        key = (parent, child)
        if key in edge_text:
            # Beside the middle of the edge, on its left-hand side (seen from parent to child).
            mx, my = (x0 + x1) / 2 - 0.18 * uy, (y0 + y1) / 2 + 0.18 * ux
            ax.text(
                mx,
                my,
                edge_text[key],
                ha="center",
                va="center",
                fontsize=10,
                color=ADJOINT_COLOR if backward else "black",
                bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none", "alpha": 0.9},
                zorder=5,
            )

    xs = np.array([c[0] for c in centres.values()])
    ys = np.array([c[1] for c in centres.values()])
    ax.set_xlim(xs.min() - 3 * radius, xs.max() + 3 * radius)
    ax.set_ylim(ys.min() - 4 * radius, ys.max() + 3 * radius)
    ax.set_aspect("equal")
    ax.axis("off")
    if title:
        ax.set_title(title)
    return ax


def _adjoint_name(label: str) -> str:
    """The adjoint's symbol for a node label: ``"$v_3$"`` -> ``"$\\bar{v}_3$"``, ``"x"`` -> ``"$\\bar{x}$"``."""
    inner = label[1:-1] if len(label) > 1 and label.startswith("$") and label.endswith("$") else label
    match = re.fullmatch(r"([A-Za-z])(_\{[^{}]*\}|_\w)?", inner)
    if match:  # bar the letter only, not its subscript
        return f"$\\bar{{{match.group(1)}}}{match.group(2) or ''}$"
    return f"$\\overline{{{inner}}}$"


def plot_jacobian_sweeps(
    jacobian: Any,
    mode: str = "forward",
    *,
    fmt: str = ".2f",
    ax: Axes | None = None,
    title: str | None = None,
) -> Axes:
    """Draw a Jacobian ``J: (m, n)`` as a grid of its entries, shaded by the pass that computes them.

    mode ``"forward"``: pass j pushes the tangent ``e_j`` through f and fills column j (``J e_j``), so
    a full Jacobian takes n passes. mode ``"reverse"``: pass i pulls the adjoint ``e_i`` back and fills
    row i (``e_i^T J``), m passes. The Axes' image holds the pass number (0-based) of each entry and its
    texts are the entries, formatted with ``fmt``, row by row. Returns the Axes.
    """
    J = require_finite(
        require_ndim(as_float_array(jacobian, "jacobian"), "jacobian", 2, "(m, n)"), "jacobian"
    )
    if J.size == 0:
        raise ValueError(f"jacobian must not be empty, got shape {shape_str(J.shape)}")
    mode = require_choice(mode, "mode", ("forward", "reverse"))
    _require_format(fmt)
    m, n = J.shape
    forward = mode == "forward"
    passes = np.tile(np.arange(n), (m, 1)) if forward else np.tile(np.arange(m)[:, None], (1, n))
    n_passes = n if forward else m
    # Light versions of the book's colours, one per pass, so the black numbers stay readable.
    light = [
        tuple(0.55 + 0.45 * np.array(to_rgba(OKABE_ITO[k % len(OKABE_ITO)])[:3])) for k in range(n_passes)
    ]
    ax = _get_axes(ax)
    ax.imshow(passes, cmap=ListedColormap(light), vmin=-0.5, vmax=n_passes - 0.5, aspect="equal")
    for i in range(m):
        for j in range(n):
            ax.text(j, i, f"{J[i, j]:{fmt}}", ha="center", va="center", fontsize=10)
    ax.set_xticks(range(n))
    ax.set_yticks(range(m))
    if forward:
        ax.set_xticklabels([f"pass {j + 1}" for j in range(n)], rotation=90 if n > 4 else 0)
        ax.set_yticklabels([f"$f_{{{i + 1}}}$" for i in range(m)])
        ax.set_xlabel(f"one forward pass per input $x_j$: {n} passes")
    else:
        ax.set_yticklabels([f"pass {i + 1}" for i in range(m)])
        ax.set_xticklabels([f"$x_{{{j + 1}}}$" for j in range(n)])
        ax.set_xlabel(f"inputs $x_j$; one backward pass per output $f_i$: {m} passes")
    ax.grid(False)
    ax.tick_params(length=0)
    if title is None:
        title = (
            "Forward mode fills $J$ one column per pass"
            if forward
            else "Reverse mode fills $J$ one row per pass"
        )
    if title:
        ax.set_title(title)
    return ax


def plot_cost_scaling(
    sizes: Sequence[float] | np.ndarray,
    costs: Mapping[str, Sequence[float] | np.ndarray],
    *,
    loglog: bool = True,
    ax: Axes | None = None,
    xlabel: str = "number of inputs $d$",
    ylabel: str = "cost (evaluations of $f$ or passes)",
    title: str | None = "Cost of a full gradient against the number of inputs",
) -> Axes:
    """Plot a cost (evaluations, passes, seconds) against a problem size, one line with markers per method.

    sizes: ``(m,)`` positive problem sizes (e.g. the number of inputs d); costs[name]: ``(m,)`` positive
    costs of method ``name`` at each size. With ``loglog`` (the default) both axes are logarithmic, so a
    cost proportional to d is a line of slope 1 and a constant cost a flat line. Returns the Axes; its
    lines are the methods', in the order of ``costs``.
    """
    x = require_finite(require_ndim(as_float_array(sizes, "sizes"), "sizes", 1, "(m,)"), "sizes")
    if x.size == 0 or np.any(x <= 0):
        raise ValueError("sizes must be non-empty and every size > 0")
    curves = _named_curves(costs, "costs", x, "sizes")
    for name, y in curves.items():
        if loglog and np.any(y <= 0):
            raise ValueError(f"costs[{name!r}] must be > 0 on log axes; pass loglog=False to plot zeros")
    ax = _get_axes(ax)
    markers = ("o", "s", "^", "D", "v", "P", "X")
    for k, (name, y) in enumerate(curves.items()):
        ax.plot(
            x,
            y,
            marker=markers[k % len(markers)],
            linestyle=METHOD_LINESTYLES[k % len(METHOD_LINESTYLES)],
            color=OKABE_ITO[k % len(OKABE_ITO)],
            label=name,
        )
    if loglog:
        ax.set_xscale("log")
        ax.set_yscale("log")
    return _label_axes(ax, xlabel, ylabel, title)


def plot_layer_gradient_norms(
    norms: Mapping[str, Sequence[float] | np.ndarray],
    *,
    ax: Axes | None = None,
    xlabel: str = "layer (1 = nearest the input)",
    ylabel: str = "gradient norm $\\|\\partial L / \\partial W_\\ell\\|$",
    title: str | None = "Gradient size, layer by layer",
) -> Axes:
    """Plot, on a log scale, the size of the loss's gradient for each layer of a deep network.

    norms[name]: ``(L,)`` positive gradient norms of layers 1..L for the network called ``name`` (e.g.
    one per activation function). Returns the Axes; its lines are the networks', in the order of ``norms``.
    """
    if not isinstance(norms, Mapping) or not norms:
        raise TypeError("norms must be a non-empty mapping {network name: norms (L,)}")
    curves = {}
    for name, values in norms.items():
        y = require_finite(
            require_ndim(as_float_array(values, f"norms[{name!r}]"), f"norms[{name!r}]", 1, "(L,)"),
            f"norms[{name!r}]",
        )
        if y.size == 0 or np.any(y <= 0):
            raise ValueError(f"norms[{name!r}] must be non-empty and > 0 (a log axis), got {y.tolist()}")
        curves[name] = y
    ax = _get_axes(ax)
    markers = ("o", "s", "^", "D", "v")
    for k, (name, y) in enumerate(curves.items()):
        layers = np.arange(1, y.size + 1)
        ax.semilogy(
            layers, y, marker=markers[k % len(markers)], color=OKABE_ITO[k % len(OKABE_ITO)], label=name
        )
    longest = max(y.size for y in curves.values())
    ax.set_xticks(np.arange(1, longest + 1))
    return _label_axes(ax, xlabel, ylabel, title)


def plot_regression_fit(
    x: Sequence[float] | np.ndarray,
    y: Sequence[float] | np.ndarray,
    x_grid: Sequence[float] | np.ndarray,
    predictions: Mapping[str, Sequence[float] | np.ndarray],
    *,
    truth: Callable[..., Any] | None = None,
    ax: Axes | None = None,
    title: str | None = "Training data and the model's predictions",
) -> Axes:
    """Scatter 1-D training data and draw one or more models' predictions on a grid.

    x, y: ``(n,)`` the training inputs and targets; x_grid: ``(g,)`` where the predictions were made;
    predictions[name]: ``(g,)``. truth: the noise-free function the data came from, drawn dashed (optional).
    Returns the Axes; its lines are the truth (if given) and then the predictions in order, and its first
    collection is the data.
    """
    xs = require_finite(require_ndim(as_float_array(x, "x"), "x", 1, "(n,)"), "x")
    ys = require_finite(require_ndim(as_float_array(y, "y"), "y", 1, "(n,)"), "y")
    if xs.shape != ys.shape:
        raise ValueError(
            f"x and y must have the same shape (n,), got {shape_str(xs.shape)} and {shape_str(ys.shape)}"
        )
    grid = require_finite(require_ndim(as_float_array(x_grid, "x_grid"), "x_grid", 1, "(g,)"), "x_grid")
    curves = _named_curves(predictions, "predictions", grid, "x_grid")
    ax = _get_axes(ax)
    ax.scatter(xs, ys, s=18, color="grey", alpha=0.8, label="training data", zorder=2)
    if truth is not None:
        require_callable(truth, "truth")
        ax.plot(
            grid, _evaluate(truth, grid, "truth"), color="black", linestyle="--", linewidth=1.5, label="truth"
        )
    for k, (name, p) in enumerate(curves.items()):
        ax.plot(grid, p, color=OKABE_ITO[k % len(OKABE_ITO)], label=name, zorder=3)
    return _label_axes(ax, "$x$", "$y$", title)
