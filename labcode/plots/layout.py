"""Where each panel of a figure sits, in words ("top", "bottom left"), read from the figure's own grid.

Alt text and prose that speak of "the bottom panel" take the word from here, so they stay true when a
figure moves from side by side to stacked::

    fig, (ax_count, ax_time) = plt.subplots(2, 1)
    panel_position(ax_time)      # "bottom"
    panel_positions(fig)         # ("top", "bottom")
"""

from __future__ import annotations

from matplotlib.axes import Axes
from matplotlib.figure import Figure

__all__ = ["panel_position", "panel_positions", "POSITION_WORDS"]

# The words a position is made of, by the number of rows or columns of the grid it is in.
_ROW_WORDS = {1: ("",), 2: ("top", "bottom"), 3: ("top", "middle", "bottom")}
_COLUMN_WORDS = {1: ("",), 2: ("left", "right"), 3: ("left", "centre", "right")}
POSITION_WORDS: frozenset[str] = frozenset(
    w for words in (*_ROW_WORDS.values(), *_COLUMN_WORDS.values()) for w in words if w
)


def _word(index: int, count: int, words: dict[int, tuple[str, ...]], name: str) -> str:
    if count in words:
        return words[count][index]
    return f"{name} {index + 1}"  # a larger grid: "row 2", "column 4"


def _is_colorbar(ax: Axes) -> bool:
    return ax.get_label() == "<colorbar>"  # matplotlib's label for the Axes a colorbar draws in


def panel_position(ax: Axes) -> str:
    """Where ``ax`` sits in its figure's grid of panels: "top", "bottom", "left", "right", "top left", ...

    Read from the Axes' place in its grid (``ax.get_subplotspec()``): a grid of 2 rows and 1 column gives
    "top" and "bottom", 1 row and 2 columns "left" and "right", 2 by 2 "top left" ... "bottom right";
    grids larger than 3 say "row i, column j". A figure's only panel is "" (no position to name).
    Raises ValueError for an Axes that is not a panel of a grid (a colorbar, an inset).
    """
    if not isinstance(ax, Axes):
        raise TypeError(f"ax must be a matplotlib Axes, got {type(ax).__name__}")
    spec = ax.get_subplotspec()
    if spec is None or _is_colorbar(ax):
        raise ValueError(
            "ax is not a panel of a grid (made by plt.subplots or add_subplot), so it has no position"
        )
    spec = spec.get_topmost_subplotspec()  # a colorbar nests its panel in a small grid of its own
    nrows, ncols = spec.get_gridspec().get_geometry()
    words = []
    if spec.rowspan.stop - spec.rowspan.start < nrows:  # a panel that spans every row has no row to name
        words.append(_word(spec.rowspan.start, nrows, _ROW_WORDS, "row"))
    if spec.colspan.stop - spec.colspan.start < ncols:
        words.append(_word(spec.colspan.start, ncols, _COLUMN_WORDS, "column"))
    return (", " if max(nrows, ncols) > 3 else " ").join(words)


def panel_positions(fig: Figure) -> tuple[str, ...]:
    """:func:`panel_position` of every panel of ``fig``, in the order of ``fig.axes``.

    Axes outside the grid (colorbars, insets) are not panels and are left out.
    """
    if not isinstance(fig, Figure):
        raise TypeError(f"fig must be a matplotlib Figure, got {type(fig).__name__}")
    return tuple(
        panel_position(ax) for ax in fig.axes if ax.get_subplotspec() is not None and not _is_colorbar(ax)
    )
