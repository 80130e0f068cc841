"""The frameworks chapter's figures draw exactly the data they are given, and refuse input they cannot draw."""

from __future__ import annotations

import numpy as np
import pytest
from error_facts import raises_naming

from labcode import plots


@pytest.fixture(autouse=True)
def book_style():
    """These figures are tested in the book's style (conftest.py restores the defaults afterwards)."""
    plots.use_book_style()


def test_relative_gaps_draw_each_gap_then_each_reference_on_a_log_axis():
    ax = plots.plot_relative_gaps(
        {"float64": [0.0, 1e-16, 3e-16], "float32": [1e-8, 2e-7, 5e-7]}, references={"eps": 2.2e-16}
    )
    f64, f32, eps = ax.get_lines()
    np.testing.assert_array_equal(f64.get_xdata(), [0, 1, 2])
    assert f64.get_ydata()[0] == plots.ZERO_FLOOR  # bit-for-bit agreement, drawn at the floor
    np.testing.assert_allclose(f64.get_ydata()[1:], [1e-16, 3e-16])
    np.testing.assert_allclose(f32.get_ydata(), [1e-8, 2e-7, 5e-7])
    np.testing.assert_allclose(eps.get_ydata(), [2.2e-16, 2.2e-16])
    assert ax.get_yscale() == "log"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["float64", "float32", "eps"]


def test_relative_gaps_draw_the_largest_gap_of_each_window():
    ax = plots.plot_relative_gaps({"a": [1e-16, 5e-16, 0.0, 2e-16, 3e-16]}, window=2)
    (line,) = ax.get_lines()
    np.testing.assert_array_equal(line.get_xdata(), [0, 2, 4])
    np.testing.assert_allclose(line.get_ydata(), [5e-16, 2e-16, 3e-16])


def test_relative_gaps_refuse_what_they_cannot_draw():
    with pytest.raises(TypeError, match="gaps"):
        plots.plot_relative_gaps({})
    with raises_naming(ValueError, "gaps['b']"):
        plots.plot_relative_gaps({"a": [1.0, 2.0], "b": [1.0]})
    with raises_naming(ValueError, "gaps['a']"):
        plots.plot_relative_gaps({"a": [1.0, -2.0]})
    with raises_naming(ValueError, "window"):
        plots.plot_relative_gaps({"a": [1.0]}, window=0)
    with raises_naming(ValueError, "references['eps']"):
        plots.plot_relative_gaps({"a": [1.0]}, references={"eps": 0})


def test_tolerance_and_error_marks_what_the_check_flagged():
    sizes = np.array([1e-6, 1e-3, 1.0])
    error = 0.01 * sizes
    allowance = 1e-5 + 1e-3 * sizes
    ax = plots.plot_tolerance_and_error(
        sizes, error, {"allowance": allowance}, flagged=np.array([False, False, True])
    )
    err, allow, flagged, passed = ax.get_lines()
    np.testing.assert_allclose(err.get_ydata(), error)
    np.testing.assert_allclose(allow.get_ydata(), allowance)
    np.testing.assert_allclose(flagged.get_xdata(), [1.0])
    np.testing.assert_allclose(passed.get_xdata(), [1e-6, 1e-3])
    assert passed.get_markerfacecolor() == "none"
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"


def test_tolerance_and_error_refuse_what_they_cannot_draw():
    sizes = np.array([1.0, 2.0])
    with raises_naming(ValueError, "error"):
        plots.plot_tolerance_and_error(sizes, [1.0], {"a": sizes})
    with raises_naming(ValueError, "sizes"):
        plots.plot_tolerance_and_error([0.0, 1.0], sizes, {"a": sizes})
    with raises_naming(ValueError, "allowances['a']"):
        plots.plot_tolerance_and_error(sizes, sizes, {"a": [1.0]})
    with raises_naming(ValueError, "flagged"):
        plots.plot_tolerance_and_error(sizes, sizes, {"a": sizes}, flagged=[1, 0])
