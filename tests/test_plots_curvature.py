"""labcode.plots.curvature draws what it was given: a quadratic's contours with its eigenvectors as axes, and
a function beside its second-order Taylor model with the model's minimum (the Newton step)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.contour import ContourSet

from labcode import plots
from labcode.plots import curvature


def contour_sets(ax):
    return [c for c in ax.collections if isinstance(c, ContourSet)]


def rotation(angle):
    return np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])


def levels_of(contours):
    return np.asarray(contours.levels)


def unique_rows(points):
    return np.unique(np.round(points, 9), axis=0)


def quadratic_value(H, center, point):
    d = np.asarray(point) - center
    return 0.5 * d @ H @ d


# --- plot_quadratic_contours ---------------------------------------------------------------------------


@settings(max_examples=25, deadline=None)
@given(
    small=st.floats(0.1, 10.0),
    ratio=st.floats(1.5, 50.0),  # distinct eigenvalues: unique eigenvectors
    angle=st.floats(0.0, np.pi),
    cx=st.floats(-3.0, 3.0),
    cy=st.floats(-3.0, 3.0),
    radius=st.floats(0.5, 5.0),
)
def test_eigen_axes_lie_along_the_eigenvectors_and_reach_the_outermost_ellipse(
    small, ratio, angle, cx, cy, radius
):
    R = rotation(angle)
    eigenvalues = np.array([small, small * ratio])
    H = R @ np.diag(eigenvalues) @ R.T
    H = (H + H.T) / 2
    center = np.array([cx, cy])
    try:
        check_eigen_axes(H, eigenvalues, R, ratio, center, radius, small)
    finally:
        plt.close("all")  # hypothesis runs many examples inside one test


def check_eigen_axes(H, eigenvalues, R, ratio, center, radius, small):
    cx, cy = center
    ax = plots.plot_quadratic_contours(H, center=center, radius=radius, levels=5, resolution=21)
    lines = ax.get_lines()
    assert len(lines) == 2
    (outer,) = contour_sets(ax)
    levels = np.asarray(outer.levels)
    q_max = small * (curvature.FILL * radius) ** 2 / 2
    np.testing.assert_allclose(levels, q_max * (np.arange(1, 6) / 5) ** 2, rtol=1e-12)
    for line, lam, u in zip(lines, eigenvalues, R.T, strict=True):
        ends = np.column_stack([line.get_xdata(), line.get_ydata()])  # (2, 2)
        np.testing.assert_allclose(ends.mean(axis=0), center, atol=1e-9)  # centred on c
        direction = (ends[1] - ends[0]) / np.linalg.norm(ends[1] - ends[0])
        assert abs(abs(direction @ u) - 1) < 1e-9  # along the eigenvector
        for end in ends:  # each end sits on the outermost contour q = q_max
            assert quadratic_value(H, center, end) == pytest.approx(q_max, rel=1e-9)
        assert f"{lam:.3g}" in line.get_label() and "curves up" in line.get_label()
    # The flattest direction's axis reaches FILL * radius; the steepest is shorter by sqrt(ratio).
    half = [
        np.linalg.norm(np.diff(np.column_stack([ln.get_xdata(), ln.get_ydata()]), axis=0)) / 2 for ln in lines
    ]
    assert half[0] == pytest.approx(curvature.FILL * radius, rel=1e-9)
    assert half[0] / half[1] == pytest.approx(np.sqrt(ratio), rel=1e-9)
    labels = [text.get_text() for text in ax.texts]
    assert labels == [f"$\\lambda_{i} = {lam:.3g}$" for i, lam in enumerate(eigenvalues, start=1)]
    for text, line in zip(ax.texts, lines, strict=True):  # each label is anchored on its own axis
        ends = np.column_stack([line.get_xdata(), line.get_ydata()])
        expected = center + curvature.LABEL_AT * (ends[1] - center)
        assert text.xy == pytest.approx(tuple(expected))
    assert ax.get_legend() is not None
    assert ax.get_xlim() == pytest.approx((cx - radius, cx + radius))
    assert ax.get_ylim() == pytest.approx((cy - radius, cy + radius))
    assert ax.get_aspect() == 1.0


def test_a_saddle_gets_contours_of_both_signs_and_an_axis_that_curves_down():
    H = np.diag([2.0, -1.0])
    ax = plots.plot_quadratic_contours(H, levels=4, title="saddle")
    first, second = contour_sets(ax)  # negative levels first, then positive
    assert np.all(np.asarray(first.levels) < 0) and np.all(np.asarray(second.levels) > 0)
    np.testing.assert_allclose(-np.asarray(first.levels)[::-1], second.levels)
    down, up = ax.get_lines()  # ascending eigenvalues: -1, then 2
    assert "curves down" in down.get_label() and "-1" in down.get_label()
    assert "curves up" in up.get_label()
    np.testing.assert_allclose(np.abs(down.get_ydata()), curvature.FILL * 2.0)  # along w2, to the edge
    np.testing.assert_allclose(down.get_xdata(), 0.0, atol=1e-12)
    legend_texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "contours $q < 0$" in legend_texts and "contours $q > 0$" in legend_texts
    assert ax.get_title() == "saddle"


def test_a_flat_direction_gets_an_axis_to_the_window_edge():
    ax = plots.plot_quadratic_contours(np.diag([0.0, 3.0]), radius=1.0)
    flat, steep = ax.get_lines()
    assert "flat" in flat.get_label()
    np.testing.assert_allclose(np.abs(flat.get_xdata()), curvature.FILL)
    (contours,) = contour_sets(ax)
    assert np.all(np.asarray(contours.levels) > 0)


def test_legend_can_be_left_out_but_the_eigenvalue_labels_stay():
    ax = plots.plot_quadratic_contours(np.diag([1.0, 4.0]), legend=False)
    assert ax.get_legend() is None
    assert [t.get_text() for t in ax.texts] == ["$\\lambda_1 = 1$", "$\\lambda_2 = 4$"]


def test_quadratic_contours_draw_on_the_axes_given():
    fig, (left, right) = plt.subplots(1, 2)
    returned = plots.plot_quadratic_contours(2 * np.eye(2), ax=right)
    assert returned is right
    assert not left.get_lines() and len(right.get_lines()) == 2


@pytest.mark.parametrize(
    ("kwargs", "error", "words"),
    [
        ({"H": [[1.0, 2.0], [0.0, 1.0]]}, ValueError, "symmetric"),
        ({"H": np.eye(3)}, ValueError, "(2, 2), got (3, 3)"),
        ({"H": np.zeros((2, 2))}, ValueError, "zero"),
        ({"H": [[1.0, np.nan], [np.nan, 1.0]]}, ValueError, "finite"),
        ({"H": "eye"}, TypeError, "H must be"),
        ({"H": np.eye(2), "center": (0.0, 0.0, 0.0)}, ValueError, "center must have shape (2,)"),
        ({"H": np.eye(2), "radius": -1.0}, ValueError, "radius"),
        ({"H": np.eye(2), "levels": 0}, ValueError, "levels"),
        ({"H": np.eye(2), "resolution": 2}, ValueError, "resolution"),
        ({"H": np.eye(2), "ax": "axes"}, TypeError, "ax must be"),
    ],
)
def test_quadratic_contours_reject_bad_input_with_a_message(kwargs, error, words):
    H = kwargs.pop("H")
    with pytest.raises(error, match=None) as info:
        plots.plot_quadratic_contours(H, **kwargs)
    assert words in str(info.value)


# --- plot_quadratic_model ------------------------------------------------------------------------------


def test_the_model_of_a_quadratic_is_the_quadratic_and_its_minimum_is_the_true_minimum():
    A = np.array([[3.0, 1.0], [1.0, 2.0]])
    b = np.array([1.0, -1.0])

    def f(w):
        return 0.5 * w @ A @ w - b @ w

    w0 = np.array([1.5, 1.0])
    grad = A @ w0 - b
    ax = plots.plot_quadratic_model(f, w0, grad, A, xlim=(-2, 2), ylim=(-2, 2), levels=6, resolution=41)
    true_contours, model_contours = contour_sets(ax)
    np.testing.assert_array_equal(true_contours.levels, model_contours.levels)  # the same levels
    for level, mine, model in zip(
        levels_of(true_contours), true_contours.allsegs, model_contours.allsegs, strict=True
    ):
        # The same curves (up to a vertex matplotlib may repeat), and on them f is the level.
        np.testing.assert_allclose(unique_rows(np.vstack(mine)), unique_rows(np.vstack(model)), atol=1e-9)
        on_curve = np.array([f(v) for v in np.vstack(model)])
        np.testing.assert_allclose(on_curve, level, atol=0.02)  # linear interpolation on a 0.1 grid
    point, star = ax.get_lines()
    np.testing.assert_array_equal(np.column_stack([point.get_xdata(), point.get_ydata()])[0], w0)
    newton = np.array([star.get_xdata()[0], star.get_ydata()[0]])
    np.testing.assert_allclose(newton, np.linalg.solve(A, b), atol=1e-12)  # one Newton step: the minimum
    assert "Newton" in star.get_label()
    assert ax.get_xlim() == (-2, 2) and ax.get_ylim() == (-2, 2)


def test_model_contours_differ_from_a_non_quadratic_f_and_use_the_levels_given():
    def f(w):
        return np.exp(w[0]) + w[1] ** 4 + w[0] * w[1]

    w0 = np.array([0.2, 0.5])
    grad = np.array([np.exp(w0[0]) + w0[1], 4 * w0[1] ** 3 + w0[0]])
    hess = np.array([[np.exp(w0[0]), 1.0], [1.0, 12 * w0[1] ** 2]])
    levels = [1.5, 2.0, 3.0]
    ax = plots.plot_quadratic_model(f, w0, grad, hess, levels=levels, resolution=31)
    true_contours, model_contours = contour_sets(ax)
    np.testing.assert_array_equal(true_contours.levels, levels)
    np.testing.assert_array_equal(model_contours.levels, levels)
    assert ax.get_xlim() == pytest.approx((w0[0] - 2, w0[0] + 2))  # the default window, w0 +- 2
    newton = ax.get_lines()[1]
    expected = w0 - np.linalg.solve(hess, grad)
    np.testing.assert_allclose([newton.get_xdata()[0], newton.get_ydata()[0]], expected)


def test_quantile_levels_lie_within_the_values_of_f():
    def f(w):
        return w[0] ** 2 + np.sin(3 * w[1])

    w0 = np.zeros(2)
    ax = plots.plot_quadratic_model(f, w0, [0.0, 3.0], [[2.0, 0.0], [0.0, 1.0]], levels=7, resolution=25)
    levels = np.asarray(contour_sets(ax)[0].levels)
    assert 2 <= levels.size <= 7 and np.all(np.diff(levels) > 0)
    grid = np.linspace(-2, 2, 25)
    values = [f(np.array([a, b])) for a in grid for b in grid]
    assert min(values) < levels[0] and levels[-1] < max(values)


def test_an_indefinite_model_has_no_minimum_to_mark():
    def f(w):
        return w[0] ** 2 - w[1] ** 2

    ax = plots.plot_quadratic_model(f, [0.5, 0.5], [1.0, -1.0], np.diag([2.0, -2.0]), resolution=21)
    (point,) = ax.get_lines()  # w0 only
    assert point.get_label() == "$w_0$"
    assert not [t for t in ax.texts if t.arrow_patch is not None]


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "words"),
    [
        (
            (lambda w: w[0], [0.0, 0.0], [1.0, 0.0, 0.0], np.eye(2)),
            {},
            ValueError,
            "grad must have shape (2,)",
        ),
        ((lambda w: w[0], [0.0], [1.0, 0.0], np.eye(2)), {}, ValueError, "w0 must have shape (2,)"),
        (
            (lambda w: w[0], [0.0, 0.0], [1.0, 0.0], [[1.0, 1.0], [0.0, 1.0]]),
            {},
            ValueError,
            "hess must be symmetric",
        ),
        ((lambda w: w, [0.0, 0.0], [1.0, 0.0], np.eye(2)), {}, ValueError, "f must return a scalar"),
        ((lambda w: np.log(w[0]), [1.0, 0.0], [1.0, 0.0], np.eye(2)), {}, ValueError, "not finite at w"),
        (
            (lambda w: w[0], [0.0, 0.0], [1.0, 0.0], np.eye(2)),
            {"levels": [2.0, 1.0]},
            ValueError,
            "increasing",
        ),
        ((lambda w: w[0], [0.0, 0.0], [1.0, 0.0], np.eye(2)), {"levels": 1}, ValueError, "at least 2"),
        (
            (lambda w: w[0], [0.0, 0.0], [1.0, 0.0], np.eye(2)),
            {"xlim": (1.0, -1.0)},
            ValueError,
            "low < high",
        ),
        (("f", [0.0, 0.0], [1.0, 0.0], np.eye(2)), {}, TypeError, "f must be a function"),
    ],
)
def test_quadratic_model_rejects_bad_input_with_a_message(args, kwargs, error, words):
    with np.errstate(divide="ignore", invalid="ignore"), pytest.raises(error) as info:
        plots.plot_quadratic_model(*args, resolution=5, **kwargs)
    assert words in str(info.value)


def test_both_figures_are_exported_from_labcode_plots():
    assert set(curvature.__all__) == {"plot_quadratic_contours", "plot_quadratic_model"}
    for name in curvature.__all__:
        assert getattr(plots, name) is getattr(curvature, name)
