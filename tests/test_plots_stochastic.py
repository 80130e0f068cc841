"""The stochastic-optimisation figures draw exactly the data they are given, and refuse input they cannot draw."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import visible_lines
from error_facts import raises_naming

from labcode import optim, plots


@pytest.fixture(autouse=True)
def book_style():
    """These figures are tested in the book's style (conftest.py restores the defaults afterwards)."""
    plots.use_book_style()


def test_batch_variance_draws_prediction_then_measurements_on_log_axes():
    b = np.array([1, 4, 16])
    ax = plots.plot_batch_variance(b, [2.1, 0.49, 0.13], 2.0 / b)
    predicted, measured = ax.get_lines()
    np.testing.assert_array_equal(predicted.get_xdata(), b)
    np.testing.assert_allclose(predicted.get_ydata(), 2.0 / b)
    np.testing.assert_allclose(measured.get_ydata(), [2.1, 0.49, 0.13])
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"


def test_noise_floors_draw_the_diagonal_and_each_group():
    ax = plots.plot_noise_floors(
        {"B = 1": [1e-3, 2e-3], "B = 4": [2.5e-4, 5e-4]}, {"B = 1": [1.1e-3, 2e-3], "B = 4": [3e-4, 5e-4]}
    )
    diagonal, first, second = ax.get_lines()
    x, y = diagonal.get_data()
    np.testing.assert_array_equal(x, y)
    assert x[0] < 2.5e-4 and x[-1] > 2e-3  # the diagonal spans every point
    np.testing.assert_allclose(second.get_ydata(), [3e-4, 5e-4])
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["measured = predicted", "B = 1", "B = 4"]


def test_schedules_draw_their_values():
    schedules = {"cosine": optim.cosine(0.1, steps=50), "1/t": optim.inverse_time(0.1, decay=0.1)}
    ax = plots.plot_schedules(schedules, 50)
    lines = visible_lines(ax)
    assert len(lines) == 2
    for line, schedule in zip(lines, schedules.values(), strict=True):
        np.testing.assert_array_equal(line.get_xdata(), np.arange(50))
        np.testing.assert_array_equal(line.get_ydata(), schedule.values(50))
    assert ax.get_ylim()[0] == 0


def test_bad_inputs_are_named():
    with raises_naming(ValueError, "batch_sizes", "> 0"):
        plots.plot_batch_variance([0, 1], [1.0, 1.0], [1.0, 1.0])
    with raises_naming(ValueError, "measured", "(3,)", "(2,)"):
        plots.plot_batch_variance([1, 2, 4], [1.0, 1.0], [1.0, 0.5, 0.25])
    with raises_naming(ValueError, "measured", "groups"):
        plots.plot_noise_floors({"a": [1.0]}, {"b": [1.0]})
    with raises_naming(ValueError, "measured['a']", "> 0"):
        plots.plot_noise_floors({"a": [1.0]}, {"a": [-1.0]})
    with raises_naming(TypeError, "schedules['x']", "Schedule", "float"):
        plots.plot_schedules({"x": 0.1}, 10)
    with raises_naming(ValueError, "steps", ">= 1"):
        plots.plot_schedules({"c": optim.cosine(0.1, steps=5)}, 0)


def test_step_sizes_start_at_step_one_on_a_log_axis():
    ax = plots.plot_step_sizes({"with": [1.0, 1.0, 1.0], "without": [3.2, 4.0, 4.5]})
    with_line, without_line = visible_lines(ax)
    np.testing.assert_array_equal(with_line.get_xdata(), [1, 2, 3])
    np.testing.assert_array_equal(without_line.get_ydata(), [3.2, 4.0, 4.5])
    assert ax.get_xscale() == "log" and ax.get_ylim()[0] == 0
    with raises_naming(ValueError, "sizes['b']", "(2,)", "(3,)"):
        plots.plot_step_sizes({"a": [1.0, 1.0, 1.0], "b": [1.0, 1.0]})


@pytest.mark.parametrize(
    "draw",
    [
        lambda: plots.plot_batch_variance([1, 2], [1.0, 0.5], [1.0, 0.5]),
        lambda: plots.plot_noise_floors({"a": [1.0]}, {"a": [1.0]}),
        lambda: plots.plot_schedules({"c": optim.cosine(0.1, steps=5)}, 5),
        lambda: plots.plot_step_sizes({"a": [1.0, 2.0]}),
    ],
)
def test_default_labels_render(draw):
    # mathtext parses the labels only when the figure is drawn
    draw().figure.canvas.draw()
