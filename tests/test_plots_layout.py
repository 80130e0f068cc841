"""labcode.plots.layout: the position of each panel, in words, from the figure's own grid."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pytest
from matplotlib.cm import ScalarMappable

from labcode.plots.layout import POSITION_WORDS, panel_position, panel_positions


@pytest.mark.parametrize(
    ("grid", "expected"),
    [
        ((1, 1), ("",)),
        ((2, 1), ("top", "bottom")),
        ((1, 2), ("left", "right")),
        ((3, 1), ("top", "middle", "bottom")),
        ((1, 3), ("left", "centre", "right")),
        ((2, 2), ("top left", "top right", "bottom left", "bottom right")),
        ((1, 4), ("column 1", "column 2", "column 3", "column 4")),
        ((4, 2), tuple(f"row {r}, {c}" for r in range(1, 5) for c in ("left", "right"))),
    ],
)
def test_positions_follow_the_grid_row_by_row(grid, expected):
    fig, _ = plt.subplots(*grid)
    assert panel_positions(fig) == expected
    assert tuple(panel_position(ax) for ax in fig.axes) == expected


def test_restacking_a_figure_changes_the_words():
    # The point of the module: alt text that takes its words from here follows a figure that is restacked.
    side_by_side, _ = plt.subplots(1, 2)
    stacked, _ = plt.subplots(2, 1)
    assert set(panel_positions(side_by_side)).isdisjoint(panel_positions(stacked))


def test_a_panel_spanning_a_whole_row_names_only_its_row():
    fig = plt.figure()
    grid = fig.add_gridspec(2, 2)
    fig.add_subplot(grid[0, :])
    fig.add_subplot(grid[1, 0])
    fig.add_subplot(grid[1, 1])
    assert panel_positions(fig) == ("top", "bottom left", "bottom right")


@pytest.mark.parametrize("layout", [None, "constrained"])
def test_colorbars_are_not_panels(layout):
    fig, axes = plt.subplots(2, 1, layout=layout)
    colorbar = fig.colorbar(ScalarMappable(), ax=axes[1])
    assert panel_positions(fig) == ("top", "bottom")
    with pytest.raises(ValueError, match="not a panel of a grid"):
        panel_position(colorbar.ax)


def test_an_inset_is_not_a_panel():
    fig, ax = plt.subplots()
    inset = ax.inset_axes((0.6, 0.6, 0.3, 0.3))
    assert panel_positions(fig) == ("",)
    with pytest.raises(ValueError, match="not a panel of a grid"):
        panel_position(inset)


def test_position_words_are_the_words_of_small_grids():
    assert POSITION_WORDS == {"top", "middle", "bottom", "left", "centre", "right"}


@pytest.mark.parametrize(
    ("function", "argument", "name"), [(panel_position, "ax", "ax"), (panel_positions, 3, "fig")]
)
def test_wrong_types_are_named(function, argument, name):
    with pytest.raises(TypeError, match=f"{name} must be a matplotlib"):
        function(argument)
