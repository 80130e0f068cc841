"""The book's figure style: readable sizes, colour-blind-safe colours, and opaque white backgrounds
that stay legible in the site's dark mode."""

from __future__ import annotations

import base64
import functools
import io
import re
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import matplotlib as mpl
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.legend import Legend
from matplotlib.offsetbox import VPacker
from matplotlib.text import Text
from matplotlib.ticker import Formatter, FuncFormatter

__all__ = [
    "OKABE_ITO",
    "BOOK_RC",
    "COLUMN_WIDTH",
    "PHONE_WIDTH",
    "PHONE_COLUMN_PX",
    "CSS_PX_PER_INCH",
    "PIXEL_RATIO",
    "MIN_TEXT_PT",
    "LEGEND_GAP_PT",
    "legend_below",
    "METHOD_LINESTYLES",
    "ZERO_FLOOR",
    "use_book_style",
    "smallest_text_pt",
    "figure_png",
    "phone_layout",
    "use_book_figure_output",
]

# The figure standard. The site's text column is 688 CSS px wide at a 1280 px desktop; a figure is drawn
# COLUMN_WIDTH inches wide at CSS_PX_PER_INCH, so it fills the column at 1:1 and a point of text is
# 100/72 CSS px there. It is stored at PIXEL_RATIO x that resolution (sharp on high-density screens), as a
# 256-colour PNG, with its CSS size in the output's metadata. Text is never below MIN_TEXT_PT (12.5 CSS px at
# the desktop column). Panels that would shrink side by side are stacked; legends go inside the axes or below.
COLUMN_WIDTH = 6.6
# A phone shows the column 327 CSS px wide (375 px screen, the theme's 16 px margins; 288 px on a 320 px screen).
# The column's figure shrinks to half there and its text to 6 px, so every figure is also drawn PHONE_WIDTH inches
# wide, its panels stacked in one column, and the page shows that one on narrow screens (<picture>): MIN_TEXT_PT
# at PHONE_WIDTH is 12.5 * 327 / 380 = 10.8 CSS px on a 375 px phone, 9.5 px on a 320 px one.
PHONE_WIDTH = 3.8
PHONE_COLUMN_PX = 327
# A row of panels keeps its desktop height on a phone, and is never less than PHONE_ROW_MIN inches.
PHONE_ROW_MIN = 2.6
# Category names written as y tick labels are wrapped at this many characters on a phone (a third of its width).
PHONE_TICK_CHARS = 16
CSS_PX_PER_INCH = 100
PIXEL_RATIO = 2
MIN_TEXT_PT = 9.0
# legend_below puts a legend this far under the axes' bottom edge: below the tick labels (10 pt) and an x-label
# with subscripts (12 pt), with their pads. In points, not in axes fractions, so it holds at every panel height.
LEGEND_GAP_PT = 42.0
LEGEND_BELOW_GID = (
    "legend-below"  # the id legend_below gives its legends (matplotlib's gid), for phone_layout
)

# Okabe & Ito's palette, distinguishable with every common colour-vision deficiency. Yellow is left
# out: it vanishes on a white background.
OKABE_ITO: tuple[str, ...] = (
    "#0072B2",  # blue
    "#D55E00",  # vermillion
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#E69F00",  # orange
    "#56B4E9",  # sky blue
    "#000000",  # black
)

BOOK_RC: dict[str, Any] = {
    # Opaque white everywhere: the site has a dark mode, and dark text on a transparent PNG over a
    # dark page cannot be read.
    "figure.facecolor": "white",
    "figure.edgecolor": "white",
    "axes.facecolor": "white",
    "savefig.facecolor": "white",
    "savefig.edgecolor": "white",
    "savefig.transparent": False,
    "figure.figsize": (COLUMN_WIDTH, 4.2),
    "figure.dpi": CSS_PX_PER_INCH,
    "savefig.dpi": CSS_PX_PER_INCH * PIXEL_RATIO,
    "figure.constrained_layout.use": True,
    "font.size": 11,
    "axes.titlesize": 13,
    "axes.labelsize": 12,
    "legend.fontsize": 10,
    "xtick.labelsize": 10,
    "ytick.labelsize": 10,
    "axes.prop_cycle": mpl.cycler(color=list(OKABE_ITO)),
    "axes.grid": True,
    "grid.alpha": 0.35,
    "grid.linewidth": 0.6,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "lines.linewidth": 2.0,
    "lines.markersize": 6,
    "legend.framealpha": 0.9,
}

# Line styles for plot_step_size_error: with colour they tell the methods apart in greyscale too, and
# they keep curves that coincide (central and complex step share their truncation error) both visible.
METHOD_LINESTYLES: tuple[str, ...] = ("-", "--", "-.", ":")

# Errors of exactly 0 cannot sit on a log axis; plot_step_size_error draws them at this height.
ZERO_FLOOR = 1e-17


def use_book_style() -> None:
    """Set the book's matplotlib defaults: readable sizes, colour-blind-safe colours, grid, opaque white."""
    mpl.rcParams.update(BOOK_RC)


def _below(ax: Axes, centre: str = "axes") -> Any:
    """The transform legend_below anchors with: y at ``LEGEND_GAP_PT`` under ``ax``'s bottom edge, x across ``ax``
    (``centre="axes"``) or across the whole figure (``"figure"``)."""
    from matplotlib.transforms import ScaledTranslation, blended_transform_factory

    across = (
        ax.transAxes if centre == "axes" else blended_transform_factory(ax.figure.transFigure, ax.transAxes)
    )
    return across + ScaledTranslation(0, -LEGEND_GAP_PT / 72, ax.figure.dpi_scale_trans)


def legend_below(ax: Axes, *args: Any, ncol: int = 1, **kwargs: Any) -> Legend:
    """A legend centred under ``ax``, below its tick labels and x-label, outside the axes (constrained layout
    makes room): for figures whose axes are full. ``args`` and ``kwargs`` are :meth:`Axes.legend`'s (handles,
    labels, ...); ``ncol`` columns on the desktop. On a phone (:func:`phone_layout`) it has one column, centred
    under the figure rather than the axes, whose long tick labels may take half the width."""
    if not isinstance(ax, Axes):
        raise TypeError(f"ax must be a matplotlib Axes, got {type(ax).__name__}")
    legend = ax.legend(
        *args, loc="upper center", bbox_to_anchor=(0.5, 0.0), bbox_transform=_below(ax), ncol=ncol, **kwargs
    )
    legend.set_gid(LEGEND_BELOW_GID)
    return legend


def smallest_text_pt(fig: Figure) -> float:
    """The size, in points, of the smallest visible text of ``fig`` (labels, ticks, legend, annotations).

    Raises ValueError for a figure without text: a book figure has at least its axis labels.
    """
    sizes = [
        text.get_fontsize() for text in fig.findobj(Text) if text.get_visible() and text.get_text().strip()
    ]
    if not sizes:
        raise ValueError("the figure has no visible text: label its axes")
    return float(min(sizes))


def _png(fig: Figure) -> tuple[str, dict[str, Any]]:
    """``fig`` at its current size as a base64 256-colour PNG at ``PIXEL_RATIO`` x, and its CSS size."""
    from PIL import Image

    raw = io.BytesIO()
    fig.savefig(raw, format="png", dpi=CSS_PX_PER_INCH * PIXEL_RATIO, bbox_inches="tight")
    image = Image.open(raw).convert("RGB")
    palette = image.quantize(colors=256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
    out = io.BytesIO()
    palette.save(out, format="PNG", optimize=True)
    return base64.b64encode(out.getvalue()).decode("ascii"), {
        "width": round(image.width / PIXEL_RATIO),
        "height": round(image.height / PIXEL_RATIO),
        "smallest_text_px": round(smallest_text_pt(fig) * CSS_PX_PER_INCH / 72, 1),
    }


def _panel_grid(fig: Figure) -> list[tuple[Any, Any]] | None:
    """The panels of ``fig`` with their places, when they sit side by side in one grid, one cell each (the
    layout :func:`phone_layout` stacks); None for any other figure (one column already, spans, insets)."""
    from labcode.plots.layout import _is_colorbar

    panels = [(ax, ax.get_subplotspec()) for ax in fig.axes if not _is_colorbar(ax)]
    if not panels or any(spec is None for _, spec in panels):
        return None
    grids = {id(spec.get_gridspec()) for _, spec in panels}
    ncols = panels[0][1].get_gridspec().ncols
    single_cells = all(
        spec.rowspan.stop - spec.rowspan.start == 1 and spec.colspan.stop - spec.colspan.start == 1
        for _, spec in panels
    )
    return panels if len(grids) == 1 and ncols > 1 and single_cells else None


def _wrap(text: Text, limit_px: float, renderer: Any) -> None:
    """Break ``text`` into lines no wider than ``limit_px`` (display pixels) at its spaces, measuring each line as
    drawn; math (``$...$``) is never broken."""
    label = text.get_text()
    if "\n" in label or text.get_window_extent(renderer).width <= limit_px:
        return
    lines: list[str] = []
    for word in re.findall(r"(?:\$[^$]*\$|\S)+", label):
        if lines:
            text.set_text(f"{lines[-1]} {word}")
            if text.get_window_extent(renderer).width <= limit_px:
                lines[-1] = f"{lines[-1]} {word}"
                continue
        lines.append(word)
    text.set_text("\n".join(lines))


def _one_column(legend: Legend) -> list[Any] | None:
    """Re-pack ``legend``'s entries into one column, in their order; returns the columns it had (for
    :func:`_restore_columns`), or None when it had one already. Legend has ``set_ncols``, but the entries are
    packed when the legend is made, so this repacks the boxes it made (private attributes, used here only)."""
    box = legend._legend_handle_box  # noqa: SLF001
    columns = list(box.get_children())
    if len(columns) <= 1:
        return None
    first = columns[0]
    items = [item for column in columns for item in column.get_children()]
    box._children = [VPacker(pad=first.pad, sep=first.sep, align=first.align, children=items)]  # noqa: SLF001
    return columns


def _wrapped_tick(formatter: Formatter, x: float, pos: int | None = None) -> str:
    label = formatter(x, pos)
    return label if "$" in label else textwrap.fill(label, PHONE_TICK_CHARS)


@contextmanager
def phone_layout(fig: Figure) -> Iterator[Figure]:
    """``fig`` laid out for a phone while the block runs, then as it was.

    The figure is ``PHONE_WIDTH`` inches wide; panels that sat side by side are stacked in reading order (left to
    right, then down), each row keeping its desktop height (at least ``PHONE_ROW_MIN``); legends have one column;
    titles and axis labels wider than the figure are broken into lines. Font sizes are kept: at the phone's column
    they read about as large as on the desktop.
    """
    width, height = fig.get_size_inches()
    panels = _panel_grid(fig)
    texts = [t for ax in fig.axes for t in (ax.title, ax.xaxis.label, ax.yaxis.label)] + list(fig.texts)
    labels = [t.get_text() for t in texts]
    legends = [legend for legend in fig.findobj(Legend) if legend.get_visible()]
    columns: list[list[Any] | None] = []
    formatters: list[tuple[Axes, Formatter]] = []
    titles = {ax.title for ax in fig.axes} | set(fig.texts)
    restacked = [ax for ax, spec in panels or [] if spec.colspan.start > 0]
    hidden = [ax.yaxis.get_tick_params(which="major").get("labelleft", True) for ax in restacked]
    try:
        if panels is None:
            specs = [spec for ax in fig.axes if (spec := ax.get_subplotspec()) is not None]
            nrows = max((spec.get_gridspec().nrows for spec in specs), default=1)
            stacked = nrows
        else:
            grid = panels[0][1].get_gridspec()
            nrows, ncols = grid.nrows, grid.ncols
            stacked = nrows * ncols
            column = fig.add_gridspec(stacked, 1)
            for ax, spec in panels:
                ax.set_subplotspec(column[spec.rowspan.start * ncols + spec.colspan.start])
        row_height = max(PHONE_ROW_MIN, height / nrows)
        fig.set_size_inches(PHONE_WIDTH, row_height * stacked)
        columns = [_one_column(legend) for legend in legends]
        for legend in legends:
            if legend.get_gid() == LEGEND_BELOW_GID:
                legend.set_bbox_to_anchor((0.5, 0.0), transform=_below(legend.axes, centre="figure"))
        renderer = fig.canvas.get_renderer()
        for t in texts:  # a title is centred over its axes, narrower than the figure
            _wrap(t, (0.8 if t in titles else 0.95) * PHONE_WIDTH * fig.dpi, renderer)
        for ax in fig.axes:  # category names as y tick labels: a long one takes two lines
            formatters.append((ax, ax.yaxis.get_major_formatter()))
            ax.yaxis.set_major_formatter(FuncFormatter(functools.partial(_wrapped_tick, formatters[-1][1])))
        for ax in restacked:  # panels that shared a y-axis side by side each show their own tick labels now
            ax.tick_params(axis="y", labelleft=True)
        yield fig
    finally:
        for t, label in zip(texts, labels, strict=True):
            t.set_text(label)
        for ax, formatter in formatters:
            ax.yaxis.set_major_formatter(formatter)
        for legend, packed in zip(legends, columns, strict=False):  # columns is short if a repack failed
            if packed is not None:
                legend._legend_handle_box._children = packed  # noqa: SLF001
        for legend in legends:
            if legend.get_gid() == LEGEND_BELOW_GID:
                legend.set_bbox_to_anchor((0.5, 0.0), transform=_below(legend.axes))
        for ax, shown in zip(restacked, hidden, strict=True):
            ax.tick_params(axis="y", labelleft=shown)
        if panels is not None:
            for ax, spec in panels:
                ax.set_subplotspec(spec)
        fig.set_size_inches(width, height)


def figure_png(fig: Figure) -> tuple[str, dict[str, Any]]:
    """``fig`` as the book stores it: (base64 PNG, output metadata), following the figure standard.

    The figure is first fitted to the column (``COLUMN_WIDTH`` wide, its aspect kept; the fonts keep their
    point sizes), then drawn at ``PIXEL_RATIO`` x ``CSS_PX_PER_INCH`` dpi and reduced to 256 colours (a
    quarter of the bytes; the figures are flat colours and anti-aliased edges; octree keeps them crisp). The
    metadata holds the CSS size (``width``, ``height``: myst-nb writes them on the ``<img>``),
    ``smallest_text_px``, the smallest text in CSS px at that size, which tests/test_site.py turns into the size a
    reader sees, and ``phone``: the same figure drawn for a phone (:func:`phone_layout`), as ``{"png": base64,
    "width", "height", "smallest_text_px"}``, which book/_ext/light_pages.py offers narrow screens.
    """
    width, height = fig.get_size_inches()
    if abs(width - COLUMN_WIDTH) > 1e-6:
        fig.set_size_inches(COLUMN_WIDTH, height * COLUMN_WIDTH / width)
    data, metadata = _png(fig)
    with phone_layout(fig):
        phone, phone_metadata = _png(fig)
    return data, {**metadata, "phone": {"png": phone, **phone_metadata}}


def use_book_figure_output(shell: Any) -> None:
    """Make the IPython ``shell`` show every matplotlib figure with :func:`figure_png` (PNG only).

    PNG, not SVG: nbval compares SVG text, which differs between matplotlib builds, but not PNG.
    """
    from matplotlib_inline.backend_inline import set_matplotlib_formats

    set_matplotlib_formats("png")
    shell.display_formatter.formatters["image/png"].for_type(Figure, figure_png)
