"""labcode.plots.classification draws exactly the data and predictions it was given (chapters 4 and 6)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest
from conftest import visible_lines
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.collections import PathCollection, QuadMesh
from matplotlib.colors import to_rgba
from matplotlib.contour import ContourSet

from labcode import losses, plots


def legend_texts(ax):
    return [t.get_text() for t in ax.get_legend().get_texts()]


def two_blobs(n=60, seed=0):
    """(n, 2) points of two Gaussian blobs and their labels (n,) in {0, 1}."""
    rng = np.random.default_rng(seed)
    X = np.vstack([rng.normal([-1.0, -1.0], 1.0, (n // 2, 2)), rng.normal([1.0, 1.0], 1.0, (n - n // 2, 2))])
    y = np.r_[np.zeros(n // 2), np.ones(n - n // 2)]
    return X, y


def contour_vertices(ax):
    """Every vertex of every contour line on ax, (m, 2)."""
    sets = [c for c in ax.collections if isinstance(c, ContourSet)]
    return np.vstack([path.vertices for cs in sets for path in cs.get_paths() if len(path.vertices)])


# --- plot_sigmoid ----------------------------------------------------------------------------------------


def test_sigmoid_figure_draws_sigma_and_its_derivative():
    ax = plots.plot_sigmoid((-5.0, 5.0), num=201)
    curve, derivative, peak = ax.get_lines()
    z = curve.get_xdata()
    assert z[0] == -5.0 and z[-1] == 5.0 and z.size == 201
    np.testing.assert_array_equal(curve.get_ydata(), losses.sigmoid(z))
    np.testing.assert_array_equal(derivative.get_ydata(), losses.sigmoid_grad(z))
    # The dashed curve is the slope of the solid one: compare with its finite differences.
    slope = np.gradient(curve.get_ydata(), z)
    np.testing.assert_allclose(derivative.get_ydata()[1:-1], slope[1:-1], atol=2e-4)
    np.testing.assert_array_equal(peak.get_xydata(), [[0.0, 0.25]])
    assert derivative.get_ydata().max() == pytest.approx(0.25)
    assert ax.get_title() and ax.get_xlabel() and len(legend_texts(ax)) == 3


def test_sigmoid_figure_on_a_given_axes_without_zero_has_no_peak_mark():
    _, ax = plt.subplots()
    assert plots.plot_sigmoid((1.0, 4.0), ax=ax) is ax
    assert len(ax.get_lines()) == 2


@pytest.mark.parametrize(
    ("kwargs", "error", "words"),
    [
        ({"zlim": (3.0, -3.0)}, ValueError, "low < high"),
        ({"num": 1}, ValueError, "num must be an int >= 2"),
        ({"num": 2.5}, ValueError, "num"),
        ({"ax": "left"}, TypeError, "ax must be a matplotlib Axes"),
    ],
)
def test_sigmoid_figure_rejects_bad_input(kwargs, error, words):
    with pytest.raises(error, match=words):
        plots.plot_sigmoid(**kwargs)


# --- plot_logit_curves -----------------------------------------------------------------------------------


def test_logit_curves_draw_the_given_values_in_distinct_styles():
    z = np.linspace(-10, 10, 41)
    curves = {"exact": losses.softplus(-z), "clipped": np.minimum(losses.softplus(-z), 5.0), "zero": 0 * z}
    ax = plots.plot_logit_curves(
        z, curves, ylabel="loss", ylim=(-1.0, 12.0), legend_loc="upper center", title="t"
    )
    lines = visible_lines(ax)
    assert [ln.get_label() for ln in lines] == list(curves)
    for line, values in zip(lines, curves.values(), strict=True):
        np.testing.assert_array_equal(line.get_xdata(), z)
        np.testing.assert_array_equal(line.get_ydata(), values)
    styles = {(to_rgba(ln.get_color()), ln.get_linestyle()) for ln in lines}
    assert len(styles) == 3, "coinciding curves must stay distinguishable"
    assert ax.get_ylim() == (-1.0, 12.0)
    ax.figure.canvas.draw()  # so that the legend has a position
    legend, axes = ax.get_legend().get_window_extent(), ax.get_window_extent()
    assert abs((legend.x0 + legend.x1) / 2 - (axes.x0 + axes.x1) / 2) < 2, "centred"
    assert legend.y1 > axes.y1 - 0.1 * axes.height, "at the top"
    assert ax.get_ylabel() == "loss" and ax.get_xlabel() and ax.get_title() == "t"


@pytest.mark.parametrize(
    ("z", "curves", "error", "words"),
    [
        (
            [0.0, 1.0],
            {"a": [1.0, 2.0, 3.0]},
            ValueError,
            r"curves\['a'\] must have shape \(2,\) like z, got \(3,\)",
        ),
        ([0.0, 1.0], {"a": [1.0, np.nan]}, ValueError, "must be finite"),
        ([0.0, 1.0], {}, TypeError, "non-empty mapping"),
        ([0.0, 1.0], [1.0, 2.0], TypeError, "mapping"),
        ([[0.0, 1.0]], {"a": [1.0, 2.0]}, ValueError, r"z must have shape \(m,\)"),
        ([0.0], {"a": [1.0]}, ValueError, "at least 2 points"),
    ],
)
def test_logit_curves_reject_bad_input(z, curves, error, words):
    with pytest.raises(error, match=words):
        plots.plot_logit_curves(z, curves)


# --- plot_decision_regions: binary -------------------------------------------------------------------------


W_LINE, B_LINE = np.array([1.5, -0.5]), 0.25  # a logistic model whose boundary is 1.5 x1 - 0.5 x2 + 0.25 = 0


def logistic(points):
    return losses.sigmoid(points @ W_LINE + B_LINE)


def test_binary_regions_show_the_probability_grid_the_data_and_the_boundary_line():
    X, y = two_blobs()
    xlim, ylim, r = (-4.0, 4.0), (-3.0, 5.0), 41
    ax = plots.plot_decision_regions(X, y, logistic, xlim=xlim, ylim=ylim, resolution=r)
    mesh = [c for c in ax.collections if isinstance(c, QuadMesh)]
    assert len(mesh) == 1
    gx, gy = np.linspace(*xlim, r), np.linspace(*ylim, r)
    expected = logistic(np.stack(np.meshgrid(gx, gy), axis=-1).reshape(-1, 2)).reshape(r, r)
    np.testing.assert_allclose(np.asarray(mesh[0].get_array()).reshape(r, r), expected, rtol=1e-12)
    assert mesh[0].get_clim() == (0.0, 1.0)
    scatters = [c for c in ax.collections if isinstance(c, PathCollection)]
    for c in (0, 1):
        np.testing.assert_array_equal(scatters[c].get_offsets(), X[y == c])
        assert to_rgba(scatters[c].get_facecolor()[0]) == to_rgba(plots.OKABE_ITO[c])
    # The p = 1/2 contour is the line w . x + b = 0 (interpolation is exact up to the curvature of sigma).
    vertices = contour_vertices(ax)
    assert len(vertices) > 10
    np.testing.assert_allclose(vertices @ W_LINE + B_LINE, 0.0, atol=1e-3)
    assert ax.get_xlim() == xlim and ax.get_ylim() == ylim
    assert ax.get_aspect() == 1.0
    assert len(ax.figure.axes) == 2, "the colour bar"


def test_binary_regions_ring_exactly_the_misclassified_points():
    X, y = two_blobs(n=80, seed=3)
    ax = plots.plot_decision_regions(X, y, logistic, resolution=20)
    wrong = (logistic(X) > 0.5) != (y == 1)
    assert 0 < wrong.sum() < len(y)
    ring = [c for c in ax.collections if isinstance(c, PathCollection)][-1]
    np.testing.assert_array_equal(ring.get_offsets(), X[wrong])
    assert legend_texts(ax) == [
        "class 0",
        "class 1",
        "decision boundary ($p = 1/2$)",
        f"misclassified ({int(wrong.sum())} of 80)",
    ]


def test_binary_regions_default_window_holds_every_point():
    X, y = two_blobs()
    ax = plots.plot_decision_regions(X, y, logistic, resolution=10, mark_errors=False, colorbar=False)
    (x_low, x_high), (y_low, y_high) = ax.get_xlim(), ax.get_ylim()
    assert x_low < X[:, 0].min() and X[:, 0].max() < x_high
    assert y_low < X[:, 1].min() and X[:, 1].max() < y_high
    assert len(ax.figure.axes) == 1
    assert len([c for c in ax.collections if isinstance(c, PathCollection)]) == 2


def test_binary_regions_without_a_boundary_in_view_draw_none_and_do_not_warn():
    X, y = two_blobs()
    ax = plots.plot_decision_regions(X, y, lambda P: np.full(len(P), 0.3), resolution=10)
    assert not [c for c in ax.collections if isinstance(c, ContourSet)]
    assert "decision boundary ($p = 1/2$)" not in legend_texts(ax)
    # Everything is called class 0, so exactly the class-1 points are ringed.
    ring = [c for c in ax.collections if isinstance(c, PathCollection)][-1]
    np.testing.assert_array_equal(ring.get_offsets(), X[y == 1])


# --- plot_decision_regions: k classes ------------------------------------------------------------------------

W3 = np.array([[0.0, -2.0, 2.0], [2.0, -1.0, -1.0]])  # (2, 3): three classes meeting at the origin


def three_blobs(n_each=30, seed=1):
    rng = np.random.default_rng(seed)
    centres = [(0.0, 2.0), (-2.0, -1.0), (2.0, -1.0)]
    X = np.vstack([rng.normal(c, 0.9, (n_each, 2)) for c in centres])
    return X, np.repeat([0, 1, 2], n_each)


def test_multiclass_regions_colour_the_most_probable_class_and_trace_the_ties():
    X, y = three_blobs()
    xlim, ylim, r = (-4.0, 4.0), (-4.0, 4.0), 61
    ax = plots.plot_decision_regions(
        X, y, lambda P: losses.softmax(P @ W3), xlim=xlim, ylim=ylim, resolution=r, class_names="ABC"
    )
    mesh = [c for c in ax.collections if isinstance(c, QuadMesh)][0]
    gx, gy = np.linspace(*xlim, r), np.linspace(*ylim, r)
    grid = np.stack(np.meshgrid(gx, gy), axis=-1).reshape(-1, 2)
    np.testing.assert_array_equal(np.asarray(mesh.get_array()).ravel(), np.argmax(grid @ W3, axis=1))
    assert sorted(np.unique(mesh.get_array())) == [0, 1, 2]
    # On a boundary the two largest logits are equal.
    logits = np.sort(contour_vertices(ax) @ W3, axis=1)
    np.testing.assert_allclose(logits[:, -1] - logits[:, -2], 0.0, atol=1e-2)
    scatters = [c for c in ax.collections if isinstance(c, PathCollection)]
    for c in range(3):
        np.testing.assert_array_equal(scatters[c].get_offsets(), X[y == c])
        assert scatters[c].get_label() == "ABC"[c]
    assert legend_texts(ax)[:4] == ["A", "B", "C", "decision boundary"]
    assert len(ax.figure.axes) == 1, "no colour bar for class regions"


def test_two_class_probabilities_as_columns_give_class_regions():
    X, y = two_blobs()

    def two_columns(points):
        p = logistic(points)
        return np.column_stack([1 - p, p])

    ax = plots.plot_decision_regions(X, y, two_columns, resolution=30)
    np.testing.assert_allclose(contour_vertices(ax) @ W_LINE + B_LINE, 0.0, atol=1e-2)
    mesh = [c for c in ax.collections if isinstance(c, QuadMesh)][0]
    assert set(np.unique(mesh.get_array())) == {0, 1}


@settings(max_examples=15, deadline=None)
@given(st.integers(2, 5), st.integers(1, 40), st.integers(0, 2**16))
def test_every_point_is_drawn_once_and_the_ring_counts_the_errors(k, n, seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2))
    y = rng.integers(0, k, size=n)
    W = rng.normal(size=(2, k))
    ax = plots.plot_decision_regions(X, y, lambda P: losses.softmax(P @ W), resolution=8)
    scatters = [c for c in ax.collections if isinstance(c, PathCollection)]
    present = np.unique(y)
    wrong = np.argmax(X @ W, axis=1) != y
    assert len(scatters) == present.size + int(wrong.any())
    assert sum(len(s.get_offsets()) for s in scatters[: present.size]) == n
    if wrong.any():
        np.testing.assert_array_equal(scatters[-1].get_offsets(), X[wrong])
    plt.close(ax.figure)


@pytest.mark.parametrize(
    ("change", "error", "words"),
    [
        ({"X": np.zeros((4, 3))}, ValueError, r"X must have shape \(n, 2\)"),
        ({"X": np.full((4, 2), np.nan)}, ValueError, "X must be finite"),
        ({"y": np.zeros(5)}, ValueError, r"y must have shape \(n,\) = \(4,\)"),
        ({"y": [0, 1, 0.5, 1]}, ValueError, r"integer class labels .* y\[2\] = 0.5"),
        ({"y": [0, 1, 2, 1]}, ValueError, r"y\[2\] = 2 is not a class of a 2-class"),
        ({"predict_proba": "sigmoid"}, TypeError, "predict_proba must be a function"),
        ({"predict_proba": lambda P: np.ones((len(P), 1))}, ValueError, r"returned shape \(\d+, 1\)"),
        ({"predict_proba": lambda P: 2.0 * logistic(P)}, ValueError, r"probabilities in \[0, 1\]"),
        ({"predict_proba": lambda P: np.full(len(P), np.inf)}, ValueError, "must be finite"),
        ({"class_names": ["only one"]}, ValueError, "class_names must name all k = 2 classes"),
        ({"resolution": 2}, ValueError, "resolution must be an int >= 3"),
        ({"xlim": (1.0, -1.0)}, ValueError, "low < high"),
    ],
)
def test_decision_regions_reject_bad_input(change, error, words):
    args = {"X": np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 0.0], [0.0, 2.0]]), "y": [0, 1, 0, 1]}
    args["predict_proba"] = logistic
    args |= change
    with pytest.raises(error, match=words):
        plots.plot_decision_regions(args.pop("X"), args.pop("y"), args.pop("predict_proba"), **args)
