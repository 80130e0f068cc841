"""labcode.plots.chain_rule draws the graph and the data it was given: boxes where the nodes are, one arrow
per edge, residuals from each target to its prediction."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.colors import to_rgba
from matplotlib.text import Annotation

from labcode import plots

NODES = {"x": (0.0, 0.0), "u": (1.0, 0.0), "y": (2.0, 0.0)}
EDGES = [("x", "u", "du/dx = 2x"), ("u", "y", "dy/du = cos u")]


def arrows(ax):
    return [c for c in ax.get_children() if isinstance(c, Annotation) and not c.get_text()]


def edge_labels(ax):
    return [c for c in ax.get_children() if isinstance(c, Annotation) and c.get_text()]


def plain_texts(ax):
    return [t for t in ax.texts if not isinstance(t, Annotation)]


# --- plot_computational_graph ----------------------------------------------------------------------------


def test_graph_draws_a_box_at_each_node_and_an_arrow_per_edge():
    labels = {"x": "$x$", "u": "$u = x^2$", "y": r"$y = \sin u$"}
    ax = plots.plot_computational_graph(NODES, EDGES, labels=labels)
    boxes = plain_texts(ax)
    assert [b.get_text() for b in boxes] == list(labels.values())
    assert [b.get_position() for b in boxes] == list(NODES.values())
    assert all(b.get_bbox_patch() is not None for b in boxes)
    labelled = edge_labels(ax)
    assert [t.get_text() for t in labelled] == [label for _, _, label in EDGES]
    assert [t.xy for t in labelled] == [(0.5, 0.0), (1.5, 0.0)]  # anchored at the midpoints
    # A horizontal edge's label sits above its arrow, not on it.
    for t in labelled:
        assert t.xyann[0] == 0 and t.xyann[1] > 0, "a horizontal edge's label sits above its arrow"
    drawn = arrows(ax)
    assert len(drawn) == len(EDGES)
    for arrow, (src, dst, _) in zip(drawn, EDGES, strict=True):
        assert arrow.xy == NODES[dst] and arrow.xyann == NODES[src]
        # The arrow is clipped at the two boxes it joins.
        assert arrow.arrow_patch.patchA is boxes[list(NODES).index(src)].get_bbox_patch()
        assert arrow.arrow_patch.patchB is boxes[list(NODES).index(dst)].get_bbox_patch()
    assert ax.get_title() == "A computational graph"
    assert not ax.axison


def test_graph_infers_inputs_operations_and_outputs():
    nodes = {"w": (0, 1), "X": (0, 0), "z": (1, 0.5), "y": (1, -0.5), "r": (2, 0), "L": (3, 0)}
    edges = [("w", "z"), ("X", "z"), ("z", "r"), ("y", "r"), ("r", "L")]
    ax = plots.plot_computational_graph(nodes, edges)
    faces = {t.get_text(): to_rgba(t.get_bbox_patch().get_facecolor()) for t in plain_texts(ax)}
    style = {kind: to_rgba(face) for kind, (face, _, _) in plots.NODE_STYLES.items()}
    assert [k for k, face in faces.items() if face == style["input"]] == ["w", "X", "y"]
    assert [k for k, face in faces.items() if face == style["operation"]] == ["z", "r"]
    assert [k for k, face in faces.items() if face == style["output"]] == ["L"]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == [text for _, _, text in plots.NODE_STYLES.values()]
    assert len(arrows(ax)) == 5 and len(plain_texts(ax)) == 6 and not edge_labels(ax)


def test_graph_kinds_can_be_given_and_the_legend_left_out():
    _, ax = plt.subplots()
    returned = plots.plot_computational_graph(
        NODES, EDGES[:1], kinds={"y": "output"}, ax=ax, legend=False, title=None
    )
    assert returned is ax and ax.get_legend() is None and ax.get_title() == ""
    faces = [to_rgba(t.get_bbox_patch().get_facecolor()) for t in plain_texts(ax)[:3]]
    # y has no edge at all: it would be an input, but it was declared an output.
    assert faces[2] == to_rgba(plots.NODE_STYLES["output"][0])
    assert faces[1] == to_rgba(plots.NODE_STYLES["output"][0])  # u: no outgoing edge here


@pytest.mark.parametrize("target", [(2.0, 2.0), (2.0, -2.0), (0.0, 3.0)])
def test_edge_labels_sit_beside_their_arrow(target):
    ax = plots.plot_computational_graph({"a": (0.0, 0.0), "b": target}, [("a", "b", "label")])
    (label,) = edge_labels(ax)
    assert label.xy == (target[0] / 2, target[1] / 2)
    offset = np.array(label.xyann)
    direction = np.array(target) / np.ptp([[0.0, 0.0], target], axis=0).clip(min=1.0)
    assert abs(offset @ direction) < 1e-9 * np.linalg.norm(offset) + 1e-12, "perpendicular to the edge"
    assert offset[1] > 0 or (offset[1] == 0 and offset[0] > 0), "above the edge (right of a vertical one)"


def test_graph_fits_every_node_in_view():
    nodes = {"a": (-3.0, 2.0), "b": (5.0, -1.0)}
    ax = plots.plot_computational_graph(nodes, [("a", "b")])
    (x_low, x_high), (y_low, y_high) = ax.get_xlim(), ax.get_ylim()
    assert x_low < -3.0 and x_high > 5.0 and y_low < -1.0 and y_high > 2.0


@pytest.mark.parametrize(
    ("nodes", "edges", "kwargs", "error", "words"),
    [
        ({}, [], {}, TypeError, "nodes must be a non-empty mapping"),
        ({"a": (0, 0, 0)}, [], {}, ValueError, r"nodes\['a'\] must be a position"),
        ({"a": (0, np.inf)}, [], {}, ValueError, "must be finite"),
        (NODES, "xu", {}, TypeError, "edges must be a sequence"),
        (NODES, [("x",)], {}, ValueError, r"edges\[0\] must be"),
        (NODES, [("x", "v")], {}, ValueError, "'v', which is not a node"),
        (NODES, [("x", "x")], {}, ValueError, "no loops"),
        (NODES, [], {"kinds": {"x": "leaf"}}, ValueError, "unknown kind 'leaf'"),
        (NODES, [], {"kinds": {"q": "input"}}, ValueError, "kinds names 'q'"),
        (NODES, [], {"labels": {"q": "$q$"}}, ValueError, "labels names 'q'"),
    ],
)
def test_graph_rejects_bad_input(nodes, edges, kwargs, error, words):
    with pytest.raises(error, match=words):
        plots.plot_computational_graph(nodes, edges, **kwargs)


# --- plot_residuals ----------------------------------------------------------------------------------------


def test_residuals_join_each_target_to_its_prediction():
    x = np.array([2.0, -1.0, 0.5, 1.0])
    y = np.array([3.0, -2.0, 1.5, 0.0])
    predictions = 1.2 * x + 0.3
    ax = plots.plot_residuals(x, y, predictions, label="fitted line")
    data, model = ax.get_lines()
    np.testing.assert_array_equal(data.get_xydata(), np.column_stack([x, y]))
    order = np.argsort(x)
    np.testing.assert_array_equal(model.get_xdata(), x[order])
    np.testing.assert_array_equal(model.get_ydata(), predictions[order])
    (segments,) = ax.collections
    for seg, xi, yi, pi in zip(segments.get_segments(), x, y, predictions, strict=True):
        np.testing.assert_allclose(seg, [[xi, yi], [xi, pi]])
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["data $(x_i, y_i)$", "fitted line", r"residual $r_i = \hat y_i - y_i$"]
    assert ax.get_xlabel() and ax.get_ylabel() and ax.get_title()


@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(-1e3, 1e3), st.floats(-1e3, 1e3), st.floats(-1e3, 1e3)), min_size=1, max_size=15
    )
)
def test_residual_lengths_are_the_residuals(rows):
    x, y, p = (np.array(col) for col in zip(*rows, strict=True))
    ax = plots.plot_residuals(x, y, p)
    lengths = np.array([seg[1, 1] - seg[0, 1] for seg in ax.collections[0].get_segments()])
    np.testing.assert_allclose(lengths, p - y, atol=1e-9)
    plt.close("all")


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (([1.0, 2.0], [1.0], [1.0, 2.0]), r"y must have shape \(n,\) = \(2,\)"),
        (([1.0, 2.0], [1.0, 2.0], [[1.0, 2.0]]), r"predictions must have shape \(n,\)"),
        (([], [], []), "at least one entry"),
        (([1.0, np.nan], [1.0, 2.0], [1.0, 2.0]), "x must be finite"),
        (([[1.0], [2.0]], [1.0, 2.0], [1.0, 2.0]), r"x must have shape \(n,\).*ravel"),
    ],
)
def test_residuals_reject_bad_input(args, words):
    with pytest.raises(ValueError, match=words):
        plots.plot_residuals(*args)
