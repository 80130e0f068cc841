"""The descent figures draw exactly the runs they are given, and refuse input they cannot draw."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest
from conftest import visible_lines
from matplotlib.contour import ContourSet

from labcode import optim, plots
from labcode.plots.style import ZERO_FLOOR


@pytest.fixture(autouse=True)
def book_style():
    """These figures are tested in the book's style (conftest.py restores the defaults afterwards)."""
    plots.use_book_style()


QUAD = optim.quadratic(np.diag([1.0, 8.0]))


def gd_run(lr=0.1, steps=12, f=True):
    return optim.gradient_descent(
        QUAD.grad, np.array([2.0, 1.0]), lr=lr, steps=steps, f=QUAD.f if f else None
    )


# --- plot_descent_1d -----------------------------------------------------------------------------------


def test_descent_1d_draws_the_curve_and_every_iterate():
    run = optim.gradient_descent(lambda w: 2 * w, np.array(1.5), lr=0.8, steps=6)
    ax = plots.plot_descent_1d(lambda w: w**2, run, xlim=(-2, 2))
    curve, iterates, start = ax.get_lines()
    x, y = curve.get_data()
    assert x[0] == -2 and x[-1] == 2
    np.testing.assert_allclose(y, x**2)
    np.testing.assert_array_equal(iterates.get_xdata(), run.path)
    np.testing.assert_allclose(iterates.get_ydata(), run.path**2)
    assert (start.get_xdata()[0], start.get_ydata()[0]) == (1.5, 2.25)
    assert ax.get_xlim() == (-2.0, 2.0)
    assert ax.get_legend() is not None and ax.get_title()


def test_descent_1d_accepts_an_array_and_drops_a_diverged_tail():
    path = np.array([1.0, -2.0, 4.0, np.inf])
    ax = plots.plot_descent_1d(lambda w: w**2, path)
    iterates = ax.get_lines()[1]
    np.testing.assert_array_equal(iterates.get_xdata(), [1.0, -2.0, 4.0])
    low, high = ax.get_xlim()
    assert low < -2.0 and high > 4.0  # the default window holds every iterate


def test_descent_1d_rejects_bad_paths():
    with pytest.raises(ValueError, match=r"path must have shape \(n \+ 1,\)"):
        plots.plot_descent_1d(lambda w: w**2, np.ones((3, 2)))
    with pytest.raises(ValueError, match="start with a finite iterate"):
        plots.plot_descent_1d(lambda w: w**2, np.array([np.nan, 1.0]))
    with pytest.raises(TypeError, match="f must be a function"):
        plots.plot_descent_1d(None, np.array([1.0]))


# --- plot_trajectories ---------------------------------------------------------------------------------


def test_trajectories_draw_each_path_on_the_contours():
    gd = gd_run(lr=0.2)
    mom = optim.momentum(QUAD.grad, np.array([2.0, 1.0]), lr=0.1, beta=0.5, steps=30)
    ax = plots.plot_trajectories(
        QUAD.f, {"GD": gd, "momentum": mom.path}, xlim=(-2.5, 2.5), ylim=(-1.5, 1.5), marks={"min": [0, 0]}
    )
    lines = ax.get_lines()
    np.testing.assert_array_equal(np.column_stack(lines[0].get_data()), gd.path)
    np.testing.assert_array_equal(np.column_stack(lines[1].get_data()), mom.path)
    assert lines[0].get_label() == "GD (12 steps)" and lines[1].get_label() == "momentum (30 steps)"
    np.testing.assert_array_equal(np.column_stack(lines[2].get_data()), [[2.0, 1.0]])  # the common start
    assert lines[2].get_label() == "start $w_0$"
    assert lines[3].get_label() == "min" and tuple(lines[3].get_xydata()[0]) == (0.0, 0.0)
    contours = [c for c in ax.collections if isinstance(c, ContourSet)]
    assert len(contours) == 1
    assert ax.get_xlim() == (-2.5, 2.5) and ax.get_ylim() == (-1.5, 1.5)
    assert ax.get_aspect() == 1.0
    assert ax.get_legend() is not None


def test_trajectory_contour_levels_follow_the_spacing():
    f = QUAD.f  # minimum 0 at the origin, a grid point of the window below
    ax = plots.plot_trajectories(
        f, {"p": np.zeros((2, 2))}, xlim=(-1, 1), ylim=(-1, 1), levels=[0.5, 1.0, 2.0]
    )
    np.testing.assert_array_equal(ax.collections[0].levels, [0.5, 1.0, 2.0])
    _, ax = plt.subplots()
    plots.plot_trajectories(
        f, {"p": np.zeros((2, 2))}, xlim=(-1, 1), ylim=(-1, 1), levels=6, spacing="log", ax=ax
    )
    levels = ax.collections[0].levels
    assert levels.size == 6
    ratios = levels[1:] / levels[:-1]  # geometric above the minimum 0
    np.testing.assert_allclose(ratios, ratios[0], rtol=1e-9)
    assert levels.max() == pytest.approx(f(np.array([1.0, 1.0])))  # the window's highest value
    _, ax = plt.subplots()
    plots.plot_trajectories(f, {"p": np.zeros((2, 2))}, xlim=(-1, 1), ylim=(-1, 1), levels=4, ax=ax)
    w = np.linspace(-1, 1, 121)
    grid = np.array([[f(np.array([a, b])) for a in w] for b in w])
    np.testing.assert_allclose(ax.collections[0].levels, np.quantile(grid, [0.2, 0.4, 0.6, 0.8]))
    with pytest.raises(ValueError, match="unknown spacing"):
        plots.plot_trajectories(f, {"p": np.zeros((2, 2))}, xlim=(-1, 1), ylim=(-1, 1), spacing="linear")


def test_trajectories_default_window_holds_the_paths_and_a_diverged_tail_is_dropped():
    path = np.array([[0.0, 0.0], [1.0, 2.0], [-3.0, 1.0], [np.inf, np.nan]])
    ax = plots.plot_trajectories(QUAD.f, {"run": path}, equal_aspect=False, legend_outside=True)
    np.testing.assert_array_equal(np.column_stack(ax.get_lines()[0].get_data()), path[:3])
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    assert x0 < -3.0 and x1 > 1.0 and y0 < 0.0 and y1 > 2.0
    assert ax.get_aspect() == "auto"


def test_long_paths_are_drawn_without_dots():
    long_run = gd_run(lr=0.01, steps=plots.descent.MAX_DOTS + 5)
    short_run = gd_run(lr=0.01, steps=5)
    ax = plots.plot_trajectories(QUAD.f, {"long": long_run, "short": short_run}, xlim=(-3, 3), ylim=(-3, 3))
    assert ax.get_lines()[0].get_marker() in (None, "None", "")
    assert ax.get_lines()[1].get_marker() == "o"


def test_trajectories_reject_bad_input():
    with pytest.raises(TypeError, match="non-empty mapping"):
        plots.plot_trajectories(QUAD.f, [np.zeros((2, 2))])
    with pytest.raises(ValueError, match=r"paths\['a'\] must have shape \(n \+ 1, 2\)"):
        plots.plot_trajectories(QUAD.f, {"a": np.zeros((3, 3))})
    with pytest.raises(ValueError, match=r"marks\['m'\] must be a point of shape \(2,\)"):
        plots.plot_trajectories(QUAD.f, {"a": np.zeros((2, 2))}, marks={"m": [1.0, 2.0, 3.0]})
    with pytest.raises(ValueError, match="levels must be >= 2"):
        plots.plot_trajectories(QUAD.f, {"a": np.zeros((2, 2))}, levels=1)
    with pytest.raises(ValueError, match="xlim must satisfy low < high"):
        plots.plot_trajectories(QUAD.f, {"a": np.zeros((2, 2))}, xlim=(1, -1))
    with pytest.raises(ValueError, match=r"f is not finite at w = \(-1.0, "):
        plots.plot_trajectories(
            lambda w: np.inf if w[0] < 0 else 0.0, {"a": np.ones((2, 2))}, xlim=(-1, 1), ylim=(-1, 1)
        )
    with pytest.raises(TypeError, match="f must return real numbers"):
        plots.plot_trajectories(lambda w: w[0] * 1j, {"a": np.ones((2, 2))}, xlim=(-1, 1), ylim=(-1, 1))
    # a complex number with zero imaginary part is a real number
    plots.plot_trajectories(lambda w: complex(w @ w), {"a": np.ones((2, 2))}, xlim=(-1, 1), ylim=(-1, 1))


# --- plot_loss_curves ----------------------------------------------------------------------------------


def test_loss_curves_plot_the_gap_to_the_minimum():
    fast, slow = gd_run(lr=0.2), gd_run(lr=0.05, steps=30)
    ax = plots.plot_loss_curves({"fast": fast, "slow": slow.losses}, minimum=-1.0)
    (a, b) = visible_lines(ax)
    np.testing.assert_array_equal(a.get_xdata(), np.arange(13))
    np.testing.assert_allclose(a.get_ydata(), fast.losses + 1.0)
    np.testing.assert_array_equal(b.get_xdata(), np.arange(31))
    np.testing.assert_allclose(b.get_ydata(), slow.losses + 1.0)
    assert ax.get_yscale() == "log"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["fast", "slow"]


def test_loss_curves_floor_zero_gaps_on_a_log_axis_and_keep_them_on_a_linear_one():
    losses = np.array([3.0, 1.0, 0.0, -1e-17])
    ax = plots.plot_loss_curves({"run": losses})
    np.testing.assert_array_equal(ax.get_lines()[0].get_ydata(), [3.0, 1.0, ZERO_FLOOR, ZERO_FLOOR])
    _, ax2 = plt.subplots()
    plots.plot_loss_curves({"run": losses}, log=False, ax=ax2)
    np.testing.assert_array_equal(ax2.get_lines()[0].get_ydata(), losses)
    assert ax2.get_yscale() == "linear"


def test_loss_curves_stop_at_a_diverged_run_end():
    run = optim.gradient_descent(QUAD.grad, np.array([2.0, 1.0]), lr=0.3, steps=500, f=QUAD.f)
    assert run.diverged
    ax = plots.plot_loss_curves({"diverged": run})
    assert ax.get_lines()[0].get_xdata().size == run.n_steps + 1
    with pytest.raises(ValueError, match="no losses"):
        plots.plot_loss_curves({"no f": gd_run(f=False)})
    with pytest.raises(ValueError, match="start with a finite loss"):
        plots.plot_loss_curves({"bad": [np.nan, 1.0]})


# --- plot_contraction_factors --------------------------------------------------------------------------


def test_contraction_factors_are_one_minus_lr_lambda():
    lams = [1.0, 4.0]
    ax = plots.plot_contraction_factors(lams, num=101)
    slow, fast, largest, one, best = ax.get_lines()
    lr = slow.get_xdata()
    assert lr[0] == 0.0 and lr[-1] == pytest.approx(2.5 / 4.0)
    np.testing.assert_allclose(slow.get_ydata(), np.abs(1 - lr * 1.0))
    np.testing.assert_allclose(fast.get_ydata(), np.abs(1 - lr * 4.0))
    np.testing.assert_allclose(largest.get_ydata(), np.maximum(np.abs(1 - lr), np.abs(1 - 4 * lr)))
    assert one.get_ydata()[0] == 1.0
    # the best rate: 2 / (mu + L) = 0.4, where both factors equal (L - mu) / (L + mu) = 0.6
    assert best.get_xdata()[0] == pytest.approx(0.4) and best.get_ydata()[0] == pytest.approx(0.6)
    shaded = ax.patches[0]
    assert shaded.get_x() == 0.0 and shaded.get_width() == pytest.approx(0.5)  # converges for lr < 2 / L
    assert ax.get_legend() is not None


def test_contraction_factors_reject_non_positive_eigenvalues():
    with pytest.raises(ValueError, match="all > 0"):
        plots.plot_contraction_factors([1.0, 0.0])
    with pytest.raises(ValueError, match=r"eigenvalues must have shape \(m,\)"):
        plots.plot_contraction_factors(np.eye(2))
    with pytest.raises(ValueError, match="lr_max must be a finite number > 0"):
        plots.plot_contraction_factors([1.0], lr_max=-1.0)


# --- plot_iterations_vs_condition ----------------------------------------------------------------------


def test_iterations_vs_condition_draws_counts_on_log_axes():
    kappas = [10, 100, 1000]
    counts = {"GD": [100, 1000, 10000], "momentum": [30, 100, np.nan]}
    ax = plots.plot_iterations_vs_condition(kappas, counts)
    gd, mom = ax.get_lines()
    np.testing.assert_array_equal(gd.get_xdata(), kappas)
    np.testing.assert_array_equal(gd.get_ydata(), counts["GD"])
    np.testing.assert_array_equal(mom.get_ydata(), counts["momentum"])
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    with pytest.raises(ValueError, match=r"counts\['GD'\] must have shape \(3,\) like kappas, got \(2,\)"):
        plots.plot_iterations_vs_condition(kappas, {"GD": [1, 2]})
    with pytest.raises(ValueError, match="must be positive"):
        plots.plot_iterations_vs_condition(kappas, {"GD": [1, 0, 2]})
    with pytest.raises(ValueError, match="kappas must be non-empty and all > 0"):
        plots.plot_iterations_vs_condition([0, 1, 2], {"GD": [1, 1, 2]})


def test_every_descent_figure_is_exported():
    for name in plots.descent.__all__:
        assert callable(getattr(plots, name))


def test_loss_curves_draw_a_baseline_and_can_spread_the_first_steps():
    runs = {"lr = 0.1": np.linspace(1.0, 0.5, 11), "lr = 1": np.linspace(1.0, 0.2, 21)}
    _, ax = plt.subplots()
    ax = plots.plot_loss_curves(
        runs, log=False, log_x=True, baseline=np.log(2), baseline_label="log 2", ax=ax
    )
    *curves, baseline = ax.get_lines()
    assert [ln.get_label() for ln in curves] == list(runs) and baseline.get_label() == "log 2"
    for line, values in zip(curves, runs.values(), strict=True):
        np.testing.assert_array_equal(line.get_xdata(), np.arange(1, values.size))  # step 0 has no log
        np.testing.assert_array_equal(line.get_ydata(), values[1:])
    np.testing.assert_array_equal(baseline.get_ydata(), [np.log(2)] * 2)
    assert ax.get_xscale() == "log" and ax.get_yscale() == "linear"
    shifted = plots.plot_loss_curves({"run": [2.0, 1.5]}, minimum=1.0, baseline=1.5)
    assert shifted.get_lines()[-1].get_ydata()[0] == 0.5  # the baseline is drawn as a gap too
    with pytest.raises(ValueError, match="baseline"):
        plots.plot_loss_curves(runs, baseline=np.nan)
