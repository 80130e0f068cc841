"""labcode.plots.autodiff draws exactly the data it was given, and says what is wrong with bad input."""

from __future__ import annotations

import io

import matplotlib.pyplot as plt
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.colors import to_rgba
from matplotlib.patches import Circle, FancyArrowPatch

from labcode import plots
from labcode.plots import autodiff as adplots


@pytest.fixture(autouse=True)
def book_style():
    """These figures are tested in the book's style (conftest.py restores the defaults afterwards)."""
    plots.use_book_style()


def texts(ax):
    return [t.get_text() for t in ax.texts]


def render(ax):
    """Draw the figure to a PNG in memory: layout and mathtext errors only show up when drawing."""
    buffer = io.BytesIO()
    ax.figure.savefig(buffer, format="png")
    return buffer.getvalue()


# --- the module's public names ----------------------------------------------------------------------------


def test_all_names_exist_and_are_reachable_from_labcode_plots():
    for name in adplots.__all__:
        assert getattr(plots, name) is getattr(adplots, name)


def test_no_name_is_shadowed_by_another_topic_module():
    # labcode.plots star-imports every topic module: a name defined twice would silently win or lose.
    import importlib
    import pkgutil

    import labcode.plots as package

    for info in pkgutil.iter_modules(package.__path__):
        if info.name.startswith("_") or info.name == "autodiff":
            continue
        other = importlib.import_module(f"labcode.plots.{info.name}")
        clash = set(getattr(other, "__all__", ())) & set(adplots.__all__)
        assert not clash, f"labcode.plots.{info.name} also exports {sorted(clash)}"


# --- plot_backprop_graph -----------------------------------------------------------------------------

NODES = {"v1": (0.0, 1.4), "v2": (0.0, -0.6), "v3": (2.2, -0.6), "v4": (2.2, 1.4), "v5": (4.4, 0.4)}
EDGES = [("v1", "v3"), ("v2", "v3"), ("v1", "v4"), ("v3", "v5"), ("v4", "v5")]
LABELS = {k: f"$v_{k[1]}$" for k in NODES}


def graph_values(x, y):
    values = {"v1": x, "v2": y, "v3": x * y, "v4": np.sin(x), "v5": x * y + np.sin(x)}
    adjoints = {"v5": 1.0, "v4": 1.0, "v3": 1.0, "v2": x, "v1": y + np.cos(x)}
    return values, adjoints


def test_graph_draws_one_circle_per_node_at_its_position_and_one_arrow_per_edge():
    ax = plots.plot_backprop_graph(NODES, EDGES, labels=LABELS)
    circles = [p for p in ax.patches if isinstance(p, Circle)]
    arrows = [p for p in ax.patches if isinstance(p, FancyArrowPatch)]
    assert [c.center for c in circles] == list(NODES.values())
    assert len(arrows) == len(EDGES)
    assert ax.patches[: len(NODES)] == circles  # circles first, then arrows, as documented
    assert set(LABELS.values()) <= set(texts(ax))
    assert ax.get_aspect() == 1.0


def test_graph_arrows_run_between_the_rims_in_the_direction_asked():
    radius = 0.3
    for direction in plots.GRAPH_DIRECTIONS:
        ax = plots.plot_backprop_graph(NODES, EDGES, radius=radius, direction=direction)
        arrows = [p for p in ax.patches if isinstance(p, FancyArrowPatch)]
        for arrow, (parent, child) in zip(arrows, EDGES, strict=True):
            start, end = arrow._posA_posB  # the two ends, in data coordinates
            if direction == "backward":
                start, end = end, start
            p, c = np.array(NODES[parent]), np.array(NODES[child])
            assert np.isclose(np.linalg.norm(np.array(start) - p), radius)
            assert np.isclose(np.linalg.norm(np.array(end) - c), radius)
            # The arrow points away from where it starts: towards the child going forward.
            assert np.linalg.norm(np.array(end) - c) < np.linalg.norm(np.array(start) - c)
            backward = direction == "backward"
            expected_colour = adplots.ADJOINT_COLOR if backward else "black"
            assert to_rgba(arrow.get_edgecolor()) == to_rgba(expected_colour)
            assert (arrow.get_linestyle() == "--") == backward
        plt.close("all")


@settings(max_examples=15, deadline=None)
@given(
    x=st.floats(-5, 5, allow_nan=False, allow_subnormal=False),
    y=st.floats(-5, 5, allow_nan=False, allow_subnormal=False),
)
def test_graph_writes_every_value_and_adjoint_it_was_given(x, y):
    values, adjoints = graph_values(x, y)
    ax = plots.plot_backprop_graph(NODES, EDGES, labels=LABELS, values=values, adjoints=adjoints, fmt=".4f")
    shown = texts(ax)
    for name, value in values.items():
        assert f"= {value:.4f}" in shown, name
    for name, adjoint in adjoints.items():
        assert f"$\\bar{{v}}_{name[1]}$ = {adjoint:.4f}" in shown, name
    plt.close("all")


def test_graph_edge_labels_operations_and_rendering():
    values, adjoints = graph_values(2.0, 3.0)
    ops = {"v3": r"$v_1 \cdot v_2$", "v4": r"$\sin v_1$"}
    edge_labels = {("v1", "v4"): r"$\cos v_1$", ("v2", "v3"): "$v_1$"}
    edges = [(*edge, edge_labels[edge]) if edge in edge_labels else edge for edge in EDGES]
    ax = plots.plot_backprop_graph(
        NODES,
        edges,
        labels=LABELS,
        operations=ops,
        values=values,
        adjoints=adjoints,
        direction="backward",
        title="backward",
    )
    shown = texts(ax)
    assert set(ops.values()) <= set(shown)
    assert set(edge_labels.values()) <= set(shown)
    assert ax.get_title() == "backward"
    assert render(ax).startswith(b"\x89PNG")  # every label is valid mathtext


def test_graph_adjoint_symbol_without_labels_bars_the_node_name():
    ax = plots.plot_backprop_graph({"x": (0, 0), "f": (1, 0)}, [("x", "f")], adjoints={"x": 2.0, "f": 1.0})
    assert "$\\bar{x}$ = 2.000" in texts(ax)
    assert "$\\bar{f}$ = 1.000" in texts(ax)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"nodes": {}}, TypeError, "nodes must be a non-empty mapping"),
        ({"nodes": {"a": (0, 0, 1)}}, ValueError, r"nodes\['a'\] must be an \(x, y\) pair, got shape \(3,\)"),
        ({"nodes": {"a": (0, np.nan)}}, ValueError, "must be finite"),
        ({"edges": [("v1", "v9")]}, ValueError, "names 'v9', which is not in nodes"),
        (
            {"edges": [("v1",)]},
            ValueError,
            r"edges\[0\] must be \(parent, child\) or \(parent, child, label\)",
        ),
        ({"edges": "v1v3"}, TypeError, "edges must be a sequence"),
        ({"edges": [("v1", "v1")]}, ValueError, "joins 'v1' to itself"),
        ({"values": {"v7": 1.0}}, ValueError, "values names nodes that are not in nodes"),
        ({"values": {"v1": [1.0, 2.0]}}, ValueError, r"values\['v1'\] must be a single number"),
        ({"adjoints": [1.0]}, TypeError, "adjoints must be a mapping"),
        ({"direction": "sideways"}, ValueError, "unknown direction 'sideways'"),
        ({"radius": -1.0}, ValueError, "radius must be > 0"),
        ({"fmt": "%d"}, ValueError, "fmt must be a format spec"),
        ({"nodes": NODES | {"v3": (0.1, 1.4)}}, ValueError, "nodes 'v1' and 'v3' are 0.1 apart"),
        ({"radius": 2.0}, ValueError, r"2 \* radius = 4 apart"),
        ({"ax": "not an axes"}, TypeError, "ax must be a matplotlib Axes"),
    ],
)
def test_graph_rejects_bad_input_with_a_message_naming_it(kwargs, error, message):
    args = {"nodes": NODES, "edges": EDGES} | kwargs
    with pytest.raises(error, match=message):
        plots.plot_backprop_graph(args.pop("nodes"), args.pop("edges"), **args)


# --- plot_jacobian_sweeps ---------------------------------------------------------------------------------


@settings(max_examples=10, deadline=None)
@given(m=st.integers(1, 4), n=st.integers(1, 5), seed=st.integers(0, 2**16))
def test_jacobian_sweeps_shade_columns_forward_rows_reverse_and_write_every_entry(m, n, seed):
    J = np.random.default_rng(seed).normal(size=(m, n))
    for mode in ("forward", "reverse"):
        ax = plots.plot_jacobian_sweeps(J, mode, fmt=".3f")
        (image,) = ax.get_images()
        passes = np.asarray(image.get_array())
        assert passes.shape == (m, n)
        expected = (
            np.broadcast_to(np.arange(n), (m, n))
            if mode == "forward"
            else np.broadcast_to(np.arange(m)[:, None], (m, n))
        )
        np.testing.assert_array_equal(passes, expected)
        assert texts(ax) == [f"{v:.3f}" for v in J.ravel()]  # row by row
        n_passes = n if mode == "forward" else m
        assert f"{n_passes} " in ax.get_xlabel()
        plt.close("all")


@pytest.mark.parametrize(
    ("jacobian", "mode", "error", "message"),
    [
        (np.ones(3), "forward", ValueError, r"jacobian must have shape \(m, n\), got shape \(3,\)"),
        (np.ones((0, 2)), "forward", ValueError, "must not be empty"),
        (np.array([[1.0, np.inf]]), "forward", ValueError, "jacobian must be finite"),
        (np.ones((2, 2)), "backward", ValueError, "unknown mode 'backward'"),
        ("J", "forward", TypeError, "jacobian must be a number or an array"),
    ],
)
def test_jacobian_sweeps_reject_bad_input(jacobian, mode, error, message):
    with pytest.raises(error, match=message):
        plots.plot_jacobian_sweeps(jacobian, mode)


def test_jacobian_sweeps_reject_a_bad_format():
    with pytest.raises(ValueError, match="fmt must be a format spec"):
        plots.plot_jacobian_sweeps(np.ones((2, 2)), fmt="%d")


# --- plot_cost_scaling ------------------------------------------------------------------------------------


def test_cost_scaling_plots_each_method_on_log_axes_in_order():
    d = np.array([1, 2, 4, 8, 16])
    costs = {"finite differences": 2 * d, "forward mode": d, "reverse mode": np.ones(5)}
    ax = plots.plot_cost_scaling(d, costs)
    lines = ax.get_lines()
    assert [ln.get_label() for ln in lines] == list(costs)
    for line, y in zip(lines, costs.values(), strict=True):
        np.testing.assert_array_equal(line.get_xdata(), d)
        np.testing.assert_array_equal(line.get_ydata(), y)
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == list(costs)


def test_cost_scaling_linear_axes_accept_zero():
    ax = plots.plot_cost_scaling([1, 2], {"free": [0.0, 0.0]}, loglog=False, title=None)
    assert ax.get_xscale() == "linear"
    assert ax.get_title() == ""


@pytest.mark.parametrize(
    ("sizes", "costs", "error", "message"),
    [
        ([1, 2], {}, TypeError, "costs must be a non-empty mapping"),
        ([1, 2], {"a": [1, 2, 3]}, ValueError, r"costs\['a'\] must have shape \(2,\) like sizes, got \(3,\)"),
        ([0, 2], {"a": [1, 2]}, ValueError, "every size > 0"),
        ([[1, 2]], {"a": [1, 2]}, ValueError, r"sizes must have shape \(m,\)"),
        ([1, 2], {"a": [0, 2]}, ValueError, "must be > 0 on log axes"),
    ],
)
def test_cost_scaling_rejects_bad_input(sizes, costs, error, message):
    with pytest.raises(error, match=message):
        plots.plot_cost_scaling(sizes, costs)


# --- plot_layer_gradient_norms ----------------------------------------------------------------------------


def test_layer_gradient_norms_one_line_per_network_layers_numbered_from_one():
    norms = {"sigmoid": [1e-6, 1e-4, 1e-2, 1.0], "tanh": [0.1, 0.2, 0.3]}
    ax = plots.plot_layer_gradient_norms(norms)
    lines = ax.get_lines()
    assert [ln.get_label() for ln in lines] == list(norms)
    for line, y in zip(lines, norms.values(), strict=True):
        np.testing.assert_array_equal(line.get_xdata(), np.arange(1, len(y) + 1))
        np.testing.assert_array_equal(line.get_ydata(), y)
    assert ax.get_yscale() == "log"
    assert list(ax.get_xticks()) == [1, 2, 3, 4]


@pytest.mark.parametrize(
    ("norms", "error", "message"),
    [
        ({}, TypeError, "non-empty mapping"),
        ({"a": [1.0, 0.0]}, ValueError, "must be non-empty and > 0"),
        ({"a": [[1.0]]}, ValueError, r"norms\['a'\] must have shape \(L,\)"),
        ({"a": [1.0, np.nan]}, ValueError, "must be finite"),
    ],
)
def test_layer_gradient_norms_reject_bad_input(norms, error, message):
    with pytest.raises(error, match=message):
        plots.plot_layer_gradient_norms(norms)


# --- plot_regression_fit ----------------------------------------------------------------------------------


def test_regression_fit_draws_data_truth_and_predictions():
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, 20)
    y = np.sin(3 * x) + 0.1 * rng.normal(size=20)
    grid = np.linspace(-1, 1, 50)
    predictions = {"before": np.zeros(50), "after": np.sin(3 * grid) * 0.9}
    ax = plots.plot_regression_fit(x, y, grid, predictions, truth=lambda t: np.sin(3 * t))
    np.testing.assert_array_equal(ax.collections[0].get_offsets(), np.column_stack([x, y]))
    lines = ax.get_lines()
    assert [ln.get_label() for ln in lines] == ["truth", "before", "after"]
    np.testing.assert_allclose(lines[0].get_ydata(), np.sin(3 * grid))
    for line, p in zip(lines[1:], predictions.values(), strict=True):
        np.testing.assert_array_equal(line.get_xdata(), grid)
        np.testing.assert_array_equal(line.get_ydata(), p)


def test_regression_fit_without_truth_has_only_prediction_lines():
    ax = plots.plot_regression_fit([0.0, 1.0], [1.0, 2.0], [0.0, 0.5, 1.0], {"model": [1.0, 1.5, 2.0]})
    assert [ln.get_label() for ln in ax.get_lines()] == ["model"]


@pytest.mark.parametrize(
    ("x", "y", "grid", "predictions", "error", "message"),
    [
        ([0, 1], [0, 1, 2], [0, 1], {"m": [0, 1]}, ValueError, "x and y must have the same shape"),
        ([0, 1], [0, 1], [0, 1], {"m": [0, 1, 2]}, ValueError, r"predictions\['m'\] must have shape \(2,\)"),
        ([0, 1], [0, 1], [0, 1], {}, TypeError, "predictions must be a non-empty mapping"),
        ([[0, 1]], [0, 1], [0, 1], {"m": [0, 1]}, ValueError, r"x must have shape \(n,\)"),
    ],
)
def test_regression_fit_rejects_bad_input(x, y, grid, predictions, error, message):
    with pytest.raises(error, match=message):
        plots.plot_regression_fit(x, y, grid, predictions)


def test_regression_fit_rejects_a_truth_that_is_not_callable():
    with pytest.raises(TypeError, match="truth must be a function"):
        plots.plot_regression_fit([0.0], [0.0], [0.0], {"m": [0.0]}, truth=3.0)


# --- EXAMPLE_GRAPHS: the chapters' graph layouts ----------------------------------------------------------


@pytest.mark.parametrize("name", list(adplots.EXAMPLE_GRAPHS))
def test_example_graphs_are_consistent_and_draw_both_passes(name):
    drawing = plots.EXAMPLE_GRAPHS[name]
    assert isinstance(drawing, plots.GraphDrawing)
    assert set(drawing.labels) == set(drawing.nodes)
    made = {child for _, child, _ in drawing.edges}
    assert set(drawing.operations) <= set(drawing.nodes)
    assert made <= set(drawing.operations), "every computed node says how it is computed"
    assert drawing.bare_edges == [(p, c) for p, c, _ in drawing.edges]
    values = {node: 1.0 for node in drawing.nodes}
    forward = plots.plot_backprop_graph(
        drawing.nodes, drawing.bare_edges, labels=drawing.labels, operations=drawing.operations, values=values
    )
    backward = plots.plot_backprop_graph(
        drawing.nodes,
        drawing.edges,
        labels=drawing.labels,
        values=values,
        adjoints=values,
        direction="backward",
    )
    for ax in (forward, backward):
        assert render(ax).startswith(b"\x89PNG")  # every label is valid mathtext
    assert {label for _, _, label in drawing.edges} <= set(texts(backward))
    plt.close("all")


def test_example_graph_xy_sin_is_chapter_8s_trace():
    # f(x, y) = x y + sin x: v3 = v1 v2 and v4 = sin v1 feed v5; the local derivatives are the table's.
    drawing = plots.EXAMPLE_GRAPHS["xy + sin x"]
    local = {(p, c): label for p, c, label in drawing.edges}
    assert local == {
        ("v1", "v3"): "$v_2$",
        ("v2", "v3"): "$v_1$",
        ("v1", "v4"): "$\\cos v_1$",
        ("v3", "v5"): "1",
        ("v4", "v5"): "1",
    }


def test_example_graph_t_plus_t_squared_uses_t_twice():
    # The graph chapter 9 runs a breadth-first backward pass on: t feeds f directly and through s = t * t.
    drawing = plots.EXAMPLE_GRAPHS["t + t t"]
    users_of_t = {child for parent, child, _ in drawing.edges if parent == "t"}
    assert users_of_t == {"s", "f"}
    assert ("s", "f") in drawing.bare_edges
