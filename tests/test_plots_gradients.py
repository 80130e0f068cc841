"""labcode.plots.gradients draws the data it was given: contours of f, arrows of grad, directional
derivatives and relative errors."""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import pytest
from conftest import visible_lines
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.contour import ContourSet
from matplotlib.quiver import Quiver

from labcode import plots


def bowl(w):
    return w[0] ** 2 + 3 * w[1] ** 2


def bowl_grad(w):
    return np.array([2 * w[0], 6 * w[1]])


def quiver_of(ax):
    (quiver,) = [c for c in ax.collections if isinstance(c, Quiver)]
    return quiver


# --- plot_gradient_field -------------------------------------------------------------------------------


def test_gradient_field_draws_each_gradient_at_its_point_to_one_scale():
    points = np.array([[1.0, 0.5], [-0.5, 1.0], [0.2, -0.3]])
    ax = plots.plot_gradient_field(bowl, bowl_grad, points, arrow_length=0.6)
    quiver = quiver_of(ax)
    np.testing.assert_allclose(quiver.get_offsets(), points)
    arrows = np.column_stack([quiver.U, quiver.V])
    grads = np.array([bowl_grad(p) for p in points])
    ratios = np.linalg.norm(arrows, axis=1) / np.linalg.norm(grads, axis=1)
    np.testing.assert_allclose(ratios, ratios[0])  # one positive factor for every arrow
    assert ratios[0] > 0
    np.testing.assert_allclose(arrows, ratios[0] * grads)
    assert np.max(np.linalg.norm(arrows, axis=1)) == pytest.approx(0.6)
    assert (quiver.angles, quiver.scale_units, quiver.scale) == ("xy", "xy", 1.0)  # data units


def test_gradient_field_contours_are_level_sets_of_f():
    levels = [0.5, 1.0, 2.0]
    ax = plots.plot_gradient_field(bowl, bowl_grad, [[1.0, 0.0]], levels=levels, num=201)
    (contours,) = [c for c in ax.collections if isinstance(c, ContourSet)]
    np.testing.assert_allclose(contours.levels, levels)
    for level, path in zip(contours.levels, contours.get_paths(), strict=True):
        vertices = path.vertices
        assert len(vertices) > 20
        values = np.array([bowl(v) for v in vertices])
        # The grid is linearly interpolated: the level holds up to the grid's resolution.
        np.testing.assert_allclose(values, level, rtol=2e-3)


def test_gradient_field_window_aspect_labels_and_marks():
    _, ax = plt.subplots()
    returned = plots.plot_gradient_field(
        bowl,
        bowl_grad,
        xlim=(-3.0, 1.0),
        ylim=(-1.0, 2.0),
        marks={"minimum": (0.0, 0.0), "start": [0.5, 1.0]},
    )
    assert returned is not ax  # a new figure when no ax is given
    ax2 = plots.plot_gradient_field(bowl, bowl_grad, [0.5, 1.0], ax=ax, marks={"minimum": (0.0, 0.0)})
    assert ax2 is ax
    assert returned.get_xlim() == (-3.0, 1.0) and returned.get_ylim() == (-1.0, 2.0)
    assert returned.get_aspect() == 1.0, "equal scales, or right angles do not look right"
    assert len(quiver_of(returned).get_offsets()) == 49  # the default 7 x 7 grid
    offsets = quiver_of(returned).get_offsets()
    assert offsets[:, 0].min() > -3.0 and offsets[:, 0].max() < 1.0
    marks = visible_lines(returned)
    assert [m.get_label() for m in marks] == ["minimum", "start"]
    np.testing.assert_array_equal(marks[1].get_xydata(), [[0.5, 1.0]])
    legend = [t.get_text() for t in returned.get_legend().get_texts()]
    assert legend == [r"$\nabla f$ (to scale)", "minimum", "start"]
    assert returned.get_xlabel() and returned.get_ylabel() and returned.get_title()


def test_gradient_field_with_a_zero_gradient_draws_a_zero_arrow():
    ax = plots.plot_gradient_field(bowl, bowl_grad, [[0.0, 0.0]])
    quiver = quiver_of(ax)
    assert quiver.U[0] == 0.0 and quiver.V[0] == 0.0


@pytest.mark.parametrize(
    ("kwargs", "error", "words"),
    [
        ({"f": 3.0}, TypeError, "f must be a function"),
        ({"grad": None}, TypeError, "grad must be a function"),
        ({"points": [[1.0, 2.0, 3.0]]}, ValueError, r"points must have shape \(m, 2\)"),
        ({"points": [[np.nan, 0.0]]}, ValueError, "points must be finite"),
        ({"grad": lambda w: np.ones(3)}, ValueError, r"grad must return shape \(2,\)"),
        ({"grad": lambda w: np.array([np.inf, 0.0])}, ValueError, "grad"),
        ({"f": lambda w: w}, ValueError, "f must return a scalar"),
        ({"f": lambda w: np.inf if w[0] > 1.5 else w @ w}, ValueError, r"f is not finite at w = \("),
        ({"f": lambda w: w[0] + 1j * w[1]}, TypeError, "f must return real numbers"),
        ({"num": 2}, ValueError, "num must be an integer >= 3"),
        ({"arrow_length": -1.0}, ValueError, "arrow_length must be > 0"),
        ({"xlim": (1.0, 0.0)}, ValueError, "low < high"),
        ({"marks": {"m": [1.0]}}, ValueError, r"marks\['m'\] must be a point"),
        ({"ax": "left"}, TypeError, "ax must be a matplotlib Axes"),
    ],
)
def test_gradient_field_rejects_bad_input(kwargs, error, words):
    args = {"f": bowl, "grad": bowl_grad, "points": [[1.0, 1.0]], "num": 11} | kwargs
    f, grad, points = args.pop("f"), args.pop("grad"), args.pop("points")
    with pytest.raises(error, match=words):
        plots.plot_gradient_field(f, grad, points, **args)


# --- plot_directional_derivatives -----------------------------------------------------------------------


def test_directional_derivatives_are_the_dot_product_with_unit_directions():
    g = np.array([3.0, -4.0])
    angles = np.array([0.0, 90.0, 200.0])
    measured = np.array([3.0, -4.0, -1.0])
    ax = plots.plot_directional_derivatives(g, angles, measured, num=721)
    curve, dots, star = visible_lines(ax)
    t = np.deg2rad(curve.get_xdata())
    np.testing.assert_allclose(curve.get_ydata(), g[0] * np.cos(t) + g[1] * np.sin(t), atol=1e-12)
    assert curve.get_xdata()[0] == 0.0 and curve.get_xdata()[-1] == 360.0
    np.testing.assert_array_equal(dots.get_xydata(), np.column_stack([angles, measured]))
    peak = math.degrees(math.atan2(-4.0, 3.0)) % 360
    np.testing.assert_allclose(star.get_xydata(), [[peak, 5.0]])
    assert np.max(curve.get_ydata()) == pytest.approx(5.0, rel=1e-4)  # |g|, within the sampling
    assert ax.get_xlabel() and ax.get_ylabel() and ax.get_title()
    assert len(ax.get_legend().get_texts()) == 3


def test_directional_derivatives_without_measurements():
    ax = plots.plot_directional_derivatives([0.0, 2.0])
    curve, star = visible_lines(ax)
    np.testing.assert_allclose(star.get_xydata(), [[90.0, 2.0]])
    assert np.min(curve.get_ydata()) == pytest.approx(-2.0, rel=1e-4)


@settings(max_examples=30, deadline=None)
@given(st.floats(-1e3, 1e3), st.floats(-1e3, 1e3))
def test_directional_derivative_peaks_at_the_gradient_angle(a, b):
    if math.hypot(a, b) < 1e-6:
        return
    ax = plots.plot_directional_derivatives([a, b], num=3601)
    curve, star = visible_lines(ax)
    peak_angle, peak_value = star.get_xydata()[0]
    assert peak_value == pytest.approx(math.hypot(a, b))
    best = curve.get_xdata()[int(np.argmax(curve.get_ydata()))]
    gap = abs(best - peak_angle) % 360
    assert min(gap, 360 - gap) <= 0.1 + 1e-9  # within one sample of the curve
    plt.close("all")


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (([0.0, 0.0],), "gradient is zero"),
        (([1.0, 2.0, 3.0],), r"gradient must have shape \(2,\)"),
        (([1.0, 2.0], [0.0, 90.0]), "give angles and measured together"),
        (([1.0, 2.0], [0.0, 90.0], [1.0]), "same shape"),
        (([np.nan, 1.0],), "gradient must be finite"),
    ],
)
def test_directional_derivatives_reject_bad_input(args, words):
    with pytest.raises(ValueError, match=words):
        plots.plot_directional_derivatives(*args)


# --- plot_relative_errors --------------------------------------------------------------------------------


def test_relative_errors_put_each_check_on_its_row_over_the_bands():
    errors = {"right": 3e-11, "float32": 5e-5, "factor": 0.5, "sign": 2.0}
    ax = plots.plot_relative_errors(errors)
    dots = ax.get_lines()
    assert [float(d.get_xdata()[0]) for d in dots] == list(errors.values())
    assert [float(d.get_ydata()[0]) for d in dots] == [3, 2, 1, 0]  # the first check on top
    ticks = dict(zip([t.get_text() for t in ax.get_yticklabels()], ax.get_yticks(), strict=True))
    assert ticks == {"right": 3, "float32": 2, "factor": 1, "sign": 0}
    assert ax.get_xscale() == "log"
    bands = ax.patches
    assert len(bands) == len(plots.RELATIVE_ERROR_BANDS)
    low, high = ax.get_xlim()
    for patch, (b_low, b_high, meaning, _) in zip(bands, plots.RELATIVE_ERROR_BANDS, strict=True):
        left, right = patch.get_x(), patch.get_x() + patch.get_width()
        assert left == pytest.approx(max(b_low, low)) and right == pytest.approx(min(b_high, high))
        assert patch.get_label() == meaning
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == [band[2] for band in plots.RELATIVE_ERROR_BANDS]


def test_relative_errors_bands_agree_with_the_rules_of_thumb():
    edges = [(low, high) for low, high, _, _ in plots.RELATIVE_ERROR_BANDS]
    assert edges == [(0.0, 1e-7), (1e-7, 1e-4), (1e-4, 1e-2), (1e-2, math.inf)]


def test_relative_errors_draw_an_exact_zero_on_the_left_edge():
    ax = plots.plot_relative_errors({"exact": 0.0, "tiny": 1e-12}, xlim=(1e-14, 1.0))
    zero, tiny = ax.get_lines()
    assert zero.get_xdata()[0] == 1e-14 and not zero.get_clip_on()
    assert tiny.get_xdata()[0] == 1e-12


@pytest.mark.parametrize(
    ("errors", "kwargs", "error", "words"),
    [
        ({}, {}, TypeError, "non-empty mapping"),
        ([0.1], {}, TypeError, "non-empty mapping"),
        ({"a": -1e-3}, {}, ValueError, ">= 0"),
        ({"a": np.nan}, {}, ValueError, "must be finite"),
        ({"a": [1e-3, 1e-4]}, {}, ValueError, "single number"),
        ({"a": 1e-3}, {"xlim": (0.0, 1.0)}, ValueError, "xlim must be positive"),
        ({"a": 1e-3}, {"bands": [(0.0, 1.0, "x")]}, ValueError, "each band"),
    ],
)
def test_relative_errors_reject_bad_input(errors, kwargs, error, words):
    with pytest.raises(error, match=words):
        plots.plot_relative_errors(errors, **kwargs)
