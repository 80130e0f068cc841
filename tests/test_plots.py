"""labcode.plots draws what it was given, in an opaque style (labcode.notebook: tests/test_notebook.py)."""

from __future__ import annotations

import base64
import io
import math

import matplotlib
import matplotlib.image as mpimg
import matplotlib.pyplot as plt
import numpy as np
import pytest
from conftest import visible_lines
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.colors import to_rgba

from labcode import plots

# --- use_book_style -----------------------------------------------------------------------------------


def test_book_style_is_opaque_white():
    plots.use_book_style()
    for key in ("figure.facecolor", "savefig.facecolor", "axes.facecolor"):
        assert to_rgba(matplotlib.rcParams[key]) == (1.0, 1.0, 1.0, 1.0), key
    assert matplotlib.rcParams["savefig.transparent"] is False
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    assert fig.get_facecolor()[3] == 1.0  # what the inline backend passes to savefig


def test_saved_png_has_no_transparent_pixel():
    plots.use_book_style()
    fig, ax = plt.subplots(figsize=(2, 1.5))
    ax.plot([0, 1], [1, 0], label="line")
    ax.legend()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    buffer.seek(0)
    rgba = mpimg.imread(buffer, format="png")
    assert rgba.shape[2] == 4
    assert rgba[..., 3].min() == 1.0, "some pixels are transparent"
    assert np.allclose(rgba[0, 0, :3], 1.0), "the corner is not white"


def test_default_matplotlib_style_would_fail_the_transparency_check():
    # The check above can fail: a transparent savefig leaves the background alpha at 0.
    fig, ax = plt.subplots(figsize=(2, 1.5))
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", transparent=True)
    buffer.seek(0)
    assert mpimg.imread(buffer, format="png")[..., 3].min() == 0.0


def test_book_style_colour_cycle_and_readable_text():
    plots.use_book_style()
    cycle = matplotlib.rcParams["axes.prop_cycle"].by_key()["color"]
    assert [c.lower() for c in cycle] == [c.lower() for c in plots.OKABE_ITO]
    assert matplotlib.rcParams["font.size"] >= 10
    assert matplotlib.rcParams["axes.grid"] is True
    _, ax = plt.subplots()
    first = ax.plot([0, 1], [0, 1])[0]
    assert to_rgba(first.get_color()) == to_rgba(plots.OKABE_ITO[0])


# --- plot_tangent_line ----------------------------------------------------------------------------------


def test_tangent_line_draws_curve_tangent_and_point():
    x0, slope = 0.7, math.cos(0.7)
    ax = plots.plot_tangent_line(np.sin, x0, slope, xlim=(-1.0, 2.0), num=101)
    curve, tangent, point = ax.get_lines()
    x = curve.get_xdata()
    assert x[0] == -1.0 and x[-1] == 2.0 and x.size == 101
    np.testing.assert_allclose(curve.get_ydata(), np.sin(x))
    np.testing.assert_allclose(tangent.get_ydata(), np.sin(x0) + slope * (tangent.get_xdata() - x0))
    np.testing.assert_allclose(point.get_xydata(), [[x0, np.sin(x0)]])
    assert ax.get_xlabel() and ax.get_ylabel() and ax.get_title()
    assert len(ax.get_legend().get_texts()) == 3


def test_tangent_line_accepts_scalar_only_functions_and_a_given_axes():
    _, ax = plt.subplots()
    returned = plots.plot_tangent_line(math.exp, 0.0, 1.0, ax=ax, num=11)
    assert returned is ax
    curve = ax.get_lines()[0]
    np.testing.assert_allclose(curve.get_ydata(), np.exp(curve.get_xdata()))
    x = curve.get_xdata()
    assert x[0] == -2.0 and x[-1] == 2.0  # default window x0 ± 2


def test_tangent_line_keeps_the_curve_in_view():
    ax = plots.plot_tangent_line(np.square, 0.0, 100.0, xlim=(-1.0, 1.0))
    low, high = ax.get_ylim()
    assert low <= 0.0 and high >= 1.0
    assert high < 5.0, "a steep tangent line must not squash the curve"


@pytest.mark.parametrize(
    ("kwargs", "error", "words"),
    [
        ({"f": 3.0}, TypeError, "f must be a function"),
        ({"x0": float("nan")}, ValueError, "x0 must be finite"),
        ({"x0": [1.0, 2.0]}, ValueError, "x0 must be a single number"),
        ({"slope": "steep"}, TypeError, "slope"),
        ({"xlim": (2.0, 1.0)}, ValueError, "low < high"),
        ({"xlim": (0.0, 1.0, 2.0)}, ValueError, "xlim must be (low, high)"),
        ({"ax": "left"}, TypeError, "ax must be a matplotlib Axes"),
        ({"f": lambda x: np.ones(3)}, ValueError, "f must return a scalar"),
    ],
)
def test_tangent_line_rejects_bad_input(kwargs, error, words):
    args = {"f": np.sin, "x0": 0.0, "slope": 1.0} | kwargs
    f, x0, slope = args.pop("f"), args.pop("x0"), args.pop("slope")
    with pytest.raises(error, match=words.replace("(", r"\(").replace(")", r"\)")):
        plots.plot_tangent_line(f, x0, slope, **args)


# --- plot_secants ------------------------------------------------------------------------------------------


def test_secants_have_the_difference_quotient_slopes():
    x0, steps = 1.0, [1.0, 0.5, 0.1]
    ax = plots.plot_secants(np.exp, x0, steps, slope=math.exp(x0), xlim=(-0.5, 2.5))
    curve, *secants, tangent = visible_lines(ax)
    np.testing.assert_allclose(curve.get_ydata(), np.exp(curve.get_xdata()))
    assert len(secants) == len(steps)
    for h, line in zip(steps, secants, strict=True):
        x, y = line.get_xdata(), line.get_ydata()
        measured = (y[-1] - y[0]) / (x[-1] - x[0])
        assert measured == pytest.approx((math.exp(x0 + h) - math.exp(x0)) / h, rel=1e-12)
        assert f"h = {h:g}" in line.get_label()
    slopes = [(ln.get_ydata()[-1] - ln.get_ydata()[0]) / np.ptp(ln.get_xdata()) for ln in secants]
    assert np.all(np.diff(np.abs(np.array(slopes) - math.exp(x0))) < 0), "secants approach the tangent"
    np.testing.assert_allclose(tangent.get_ydata(), math.exp(x0) * (1 + tangent.get_xdata() - x0))
    points = [ln for ln in ax.get_lines() if ln.get_marker() == "o"]
    xs = sorted(float(p.get_xdata()[0]) for p in points)
    assert xs == pytest.approx(sorted([x0, *(x0 + h for h in steps)]))
    assert len(ax.get_legend().get_texts()) == 1 + len(steps) + 1


def test_secants_without_a_tangent():
    ax = plots.plot_secants(np.sin, 0.0, [0.5, -0.5])
    assert len(visible_lines(ax)) == 1 + 2


@pytest.mark.parametrize("steps", [[], [0.5, 0.0], [[0.5]], [float("inf")]])
def test_secants_reject_bad_steps(steps):
    with pytest.raises(ValueError, match="steps"):
        plots.plot_secants(np.sin, 0.0, steps)


# --- plot_step_size_error ------------------------------------------------------------------------------------


def model_errors(steps):
    """Truncation falling and round-off rising, as a difference formula shows them."""
    eps = np.finfo(float).eps
    return {
        "forward": steps / 2 + eps / steps,
        "central": steps**2 / 6 + eps / (2 * steps),
    }


def test_step_size_error_plots_the_data_it_was_given():
    steps = np.geomspace(1e-12, 1e-1, 23)
    errors = model_errors(steps)
    ax = plots.plot_step_size_error(steps, errors, defaults={"central": (6e-6, 1e-11)})
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    curves = visible_lines(ax)
    assert [ln.get_label() for ln in curves] == ["forward", "central"]
    for line, name in zip(curves, errors, strict=True):
        np.testing.assert_array_equal(line.get_xdata(), steps)
        np.testing.assert_array_equal(line.get_ydata(), errors[name])
    assert ax.get_xlabel() and ax.get_ylabel() and ax.get_title()
    assert to_rgba(curves[0].get_color()) != to_rgba(curves[1].get_color())
    assert curves[0].get_linestyle() != curves[1].get_linestyle(), "coinciding curves must stay visible"


def test_step_size_error_marks_each_minimum_and_default_step():
    steps = np.geomspace(1e-12, 1e-1, 23)
    errors = model_errors(steps)
    defaults = {"forward": (1.5e-8, 3e-8), "central": (6e-6, 1e-11)}
    ax = plots.plot_step_size_error(steps, errors, defaults=defaults)
    curves = visible_lines(ax)
    stars = [ln for ln in ax.get_lines() if ln.get_marker() == "*"]
    assert len(stars) == 2
    for star, curve, err in zip(stars, curves, errors.values(), strict=True):
        best = int(np.argmin(err))
        np.testing.assert_allclose(star.get_xydata(), [[steps[best], err[best]]])
        assert star.get_color() == curve.get_color()
    # The measured minima sit where round-off meets truncation: ~sqrt(eps) for forward, ~cbrt(eps) central.
    assert 1e-9 < stars[0].get_xdata()[0] < 1e-7
    assert 1e-6 < stars[1].get_xdata()[0] < 1e-4
    diamonds = [ln for ln in ax.get_lines() if ln.get_marker() == "D"]
    assert [tuple(d.get_xydata()[0]) for d in diamonds] == [(1.5e-8, 3e-8), (6e-6, 1e-11)]
    assert [d.get_markeredgecolor() for d in diamonds] == [c.get_color() for c in curves]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["forward", "central", "smallest measured error", "default step ($h$=None)"]


def test_step_size_error_draws_exact_zeros_on_the_floor():
    steps = np.array([1e-3, 1e-2, 1e-1])
    ax = plots.plot_step_size_error(
        steps, {"complex": [0.0, 1e-16, 1e-14]}, defaults={"complex": (1e-2, 0.0)}
    )
    curve = visible_lines(ax)[0]
    np.testing.assert_array_equal(curve.get_ydata(), [plots.ZERO_FLOOR, 1e-16, 1e-14])
    star = [ln for ln in ax.get_lines() if ln.get_marker() == "*"][0]
    np.testing.assert_allclose(star.get_xydata(), [[1e-3, plots.ZERO_FLOOR]])
    diamond = [ln for ln in ax.get_lines() if ln.get_marker() == "D"][0]
    np.testing.assert_allclose(diamond.get_xydata(), [[1e-2, plots.ZERO_FLOOR]])


def test_step_size_error_leaves_gaps_where_nothing_was_computed():
    steps = np.array([1e-18, 1e-12, 1e-6, 1e-1])
    ax = plots.plot_step_size_error(steps, {"forward": [np.nan, 1e-4, 1e-8, 1e-2], "complex": [0.0] * 4})
    forward = visible_lines(ax)[0]
    assert np.isnan(forward.get_ydata()[0])
    np.testing.assert_array_equal(forward.get_ydata()[1:], [1e-4, 1e-8, 1e-2])
    star = [ln for ln in ax.get_lines() if ln.get_marker() == "*"][0]
    np.testing.assert_allclose(star.get_xydata(), [[1e-6, 1e-8]])


def test_step_size_error_without_stars_and_with_guides_in_the_legend():
    steps = np.geomspace(1e-4, 1e-1, 7)
    _, ax = plt.subplots()
    plots.add_power_law(ax, 1.0, through=(1e-2, 1e-2), span=(1e-4, 1e-1), label="slope 1")
    returned = plots.plot_step_size_error(steps, {"forward": steps / 2}, mark_best=False, ax=ax)
    assert returned is ax
    assert not [ln for ln in ax.get_lines() if ln.get_marker() == "*"]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["slope 1", "forward"]
    np.testing.assert_array_equal(ax.get_lines()[1].get_ydata(), steps / 2)


def test_step_size_error_without_defaults_has_no_default_legend_entry():
    ax = plots.plot_step_size_error([1e-3, 1e-2], {"m": [1e-6, 1e-5]})
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["m", "smallest measured error"]
    assert not [ln for ln in ax.get_lines() if ln.get_marker() == "D"]


@settings(max_examples=25, deadline=None)
@given(
    st.lists(st.floats(1e-16, 1.0), min_size=2, max_size=12, unique=True),
    st.data(),
)
def test_step_size_error_star_is_at_the_smallest_error(steps, data):
    steps = np.sort(np.array(steps))
    err = np.array(data.draw(st.lists(st.floats(1e-15, 1e3), min_size=steps.size, max_size=steps.size)))
    ax = plots.plot_step_size_error(steps, {"m": err})
    star = [ln for ln in ax.get_lines() if ln.get_marker() == "*"][0]
    assert star.get_ydata()[0] == err.min()
    assert star.get_xdata()[0] == steps[int(np.argmin(err))]
    plt.close(ax.figure)


@pytest.mark.parametrize(
    ("steps", "errors", "defaults", "error", "words"),
    [
        ([1e-3, -1e-2], {"m": [1.0, 1.0]}, None, ValueError, "every step > 0"),
        (
            [1e-3, 1e-2],
            {"m": [1.0, 1.0, 1.0]},
            None,
            ValueError,
            r"errors\['m'\] must have shape \(2,\), got \(3,\)",
        ),
        ([1e-3, 1e-2], {"m": [1.0, -1.0]}, None, ValueError, "absolute errors"),
        ([1e-3, 1e-2], {"m": [1.0, float("inf")]}, None, ValueError, "must be finite"),
        ([1e-3, 1e-2], {"m": [float("nan")] * 2}, None, ValueError, "no value that is not nan"),
        ([1e-3, 1e-2], {"m": [1.0, 1.0]}, {"m": (1e-3, float("nan"))}, ValueError, "must be finite"),
        ([1e-3, 1e-2], {}, None, TypeError, "non-empty mapping"),
        ([1e-3, 1e-2], [1.0, 1.0], None, TypeError, "mapping"),
        ([1e-3, 1e-2], {"m": [1.0, 1.0]}, {"other": (1e-5, 1.0)}, ValueError, "not in errors: 'other'"),
        ([1e-3, 1e-2], {"m": [1.0, 1.0]}, {"m": 1e-5}, ValueError, r"defaults\['m'\] must have shape \(2,\)"),
        (
            [1e-3, 1e-2],
            {"m": [1.0, 1.0]},
            {"m": (0.0, 1.0)},
            ValueError,
            r"defaults\['m'\]\[0\] \(the step\)",
        ),
    ],
)
def test_step_size_error_rejects_bad_input(steps, errors, defaults, error, words):
    with pytest.raises(error, match=words):
        plots.plot_step_size_error(steps, errors, defaults=defaults)


# --- add_power_law ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("power", [1.0, 2.0, 4.0])
def test_power_law_guide_has_the_requested_log_slope(power):
    _, ax = plt.subplots()
    line = plots.add_power_law(ax, power, through=(1e-2, 1e-5), span=(1e-4, 1e-1), label=f"O(h^{power:g})")
    h, y = line.get_xdata(), line.get_ydata()
    assert h[0] == pytest.approx(1e-4) and h[-1] == pytest.approx(1e-1)
    slope = np.polyfit(np.log(h), np.log(y), 1)[0]
    assert slope == pytest.approx(power, rel=1e-9)
    assert np.interp(np.log(1e-2), np.log(h), np.log(y)) == pytest.approx(np.log(1e-5), rel=1e-9)
    assert line.get_label() == f"O(h^{power:g})"


def test_power_law_rejects_a_non_positive_anchor():
    _, ax = plt.subplots()
    with pytest.raises(ValueError, match=r"through\[1\]"):
        plots.add_power_law(ax, 1.0, through=(1e-2, 0.0), span=(1e-4, 1e-1))
    with pytest.raises(TypeError, match="ax must be a matplotlib Axes"):
        plots.add_power_law(None, 1.0, through=(1e-2, 1.0), span=(1e-4, 1e-1))


def test_smallest_text_pt_finds_the_smallest_visible_text():
    from labcode.plots import smallest_text_pt

    fig, ax = plt.subplots()
    ax.set_xlabel("x", fontsize=12)
    ax.tick_params(labelsize=10)
    ax.annotate("note", (0.5, 0.5), fontsize=7.5)
    ax.text(0.2, 0.2, "hidden", fontsize=3, visible=False)
    assert smallest_text_pt(fig) == 7.5
    with pytest.raises(ValueError, match="no visible text"):
        smallest_text_pt(plt.figure())


# --- the phone drawing and legends below the axes -------------------------------------------------------


def _bbox(artist, fig):
    return artist.get_window_extent(fig.canvas.get_renderer())


def side_by_side_figure():
    """Two panels side by side with a shared y-axis, a long title, a subscripted x-label and a three-column
    legend below: everything phone_layout has to rearrange."""
    plots.use_book_style()
    fig, (left, right) = plt.subplots(1, 2, figsize=(plots.COLUMN_WIDTH, 3.0), sharey=True)
    for ax in (left, right):
        for k in range(3):
            ax.plot([0, 1], [k, k + 1], label=f"curve {k}")
        ax.set_xlabel("$w_1$")
    left.set_title("A title far too long to fit above one narrow panel of a phone figure")
    plots.legend_below(right, ncol=3)
    return fig, left, right


@pytest.mark.parametrize("height", [2.0, 6.0])
def test_legend_below_clears_the_x_label_at_any_panel_height(height):
    plots.use_book_style()
    fig, ax = plt.subplots(figsize=(plots.COLUMN_WIDTH, height))
    ax.plot([0, 1], [0, 1], label="Newton (1 step)")
    ax.set_xlabel("$w_1$")
    legend = plots.legend_below(ax)
    fig.canvas.draw()
    assert _bbox(legend, fig).y1 < _bbox(ax.xaxis.label, fig).y0  # the legend starts below the label
    assert _bbox(legend, fig).y0 >= 0  # and constrained layout made room for it inside the figure
    with pytest.raises(TypeError, match="ax must be a matplotlib Axes"):
        plots.legend_below(None)


def test_phone_layout_stacks_panels_and_puts_everything_back():
    fig, left, right = side_by_side_figure()
    before = (
        tuple(fig.get_size_inches()),
        plots.panel_positions(fig),
        left.title.get_text(),
        right.yaxis.get_tick_params(which="major").get("labelleft", True),
    )
    with plots.phone_layout(fig):
        fig.canvas.draw()
        assert tuple(fig.get_size_inches())[0] == plots.PHONE_WIDTH
        assert plots.panel_positions(fig) == ("top", "bottom")  # reading order: left panel first
        assert "\n" in left.title.get_text()  # the long title is broken into lines
        assert _bbox(left.title, fig).width <= plots.PHONE_WIDTH * fig.dpi
        legend = right.get_legend()
        assert _bbox(legend, fig).width <= plots.PHONE_WIDTH * fig.dpi  # one column: it fits the width
        assert _bbox(legend, fig).y1 < _bbox(right.xaxis.label, fig).y0
        assert right.yaxis.get_tick_params(which="major")["labelleft"]  # shared y: each panel labels its own
    after = (
        tuple(fig.get_size_inches()),
        plots.panel_positions(fig),
        left.title.get_text(),
        right.yaxis.get_tick_params(which="major").get("labelleft", True),
    )
    assert after == before


def test_figure_png_stores_a_phone_drawing_readable_on_a_phone():
    fig, _, _ = side_by_side_figure()
    _, metadata = plots.figure_png(fig)
    phone = metadata["phone"]
    image = matplotlib.image.imread(io.BytesIO(base64.b64decode(phone["png"])))
    assert image.shape[1] == pytest.approx(plots.PIXEL_RATIO * phone["width"], abs=1)
    # on a 375 px phone the drawing is shown at most PHONE_COLUMN_PX wide; its smallest text stays >= 9 px there
    shown = phone["smallest_text_px"] * min(1.0, plots.PHONE_COLUMN_PX / phone["width"])
    assert shown >= 9.0, phone
    # the desktop figure is unchanged by the phone drawing made after it
    assert abs(fig.get_size_inches()[0] - plots.COLUMN_WIDTH) < 1e-9
    assert metadata["width"] > phone["width"]


def test_topic_modules_export_distinct_names():
    """labcode.plots star-imports every topic module; a name exported twice would silently shadow one figure."""
    import importlib
    import pkgutil

    import labcode.plots

    owners: dict[str, list[str]] = {}
    for info in pkgutil.iter_modules(labcode.plots.__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"labcode.plots.{info.name}")
        for name in module.__all__:
            owners.setdefault(name, []).append(info.name)
            assert hasattr(labcode.plots, name), f"labcode.plots does not re-export {info.name}.{name}"
    clashes = {name: mods for name, mods in owners.items() if len(mods) > 1}
    assert not clashes, f"exported by more than one labcode.plots module: {clashes}"
