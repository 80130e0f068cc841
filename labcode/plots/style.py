"""The book's figure style: readable sizes, colour-blind-safe colours, and opaque white backgrounds
that stay legible in the site's dark mode."""

from __future__ import annotations

import base64
import io
from typing import Any

import matplotlib as mpl
from matplotlib.figure import Figure
from matplotlib.text import Text

__all__ = [
    "OKABE_ITO",
    "BOOK_RC",
    "COLUMN_WIDTH",
    "CSS_PX_PER_INCH",
    "PIXEL_RATIO",
    "MIN_TEXT_PT",
    "LEGEND_BELOW",
    "METHOD_LINESTYLES",
    "ZERO_FLOOR",
    "use_book_style",
    "smallest_text_pt",
    "figure_png",
    "use_book_figure_output",
]

# The figure standard. The site's text column is 688 CSS px wide at a 1280 px desktop; a figure is drawn
# COLUMN_WIDTH inches wide at CSS_PX_PER_INCH, so it fills the column at 1:1 and a point of text is
# 100/72 CSS px there. It is stored at PIXEL_RATIO x that resolution (sharp on high-density screens), as a
# 256-colour PNG, with its CSS size in the output's metadata. Text is never below MIN_TEXT_PT (12.5 CSS px at
# the desktop column). Panels that would shrink side by side are stacked; legends go inside the axes or below.
COLUMN_WIDTH = 6.6
CSS_PX_PER_INCH = 100
PIXEL_RATIO = 2
MIN_TEXT_PT = 9.0
# A legend below the axes, outside them (constrained layout makes room): for figures whose axes are full.
LEGEND_BELOW: dict[str, Any] = {"loc": "upper center", "bbox_to_anchor": (0.5, -0.14), "ncol": 1}

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


def figure_png(fig: Figure) -> tuple[str, dict[str, Any]]:
    """``fig`` as the book stores it: (base64 PNG, output metadata), following the figure standard.

    The figure is first fitted to the column (``COLUMN_WIDTH`` wide, its aspect kept; the fonts keep their
    point sizes), then drawn at ``PIXEL_RATIO`` x ``CSS_PX_PER_INCH`` dpi and reduced to 256 colours (a
    quarter of the bytes; the figures are flat colours and anti-aliased edges; octree keeps them crisp). The metadata holds the CSS
    size (``width``, ``height``: myst-nb writes them on the ``<img>``) and ``smallest_text_px``, the smallest
    text in CSS px at that size, which tests/test_site.py turns into the size a reader sees.
    """
    from PIL import Image

    width, height = fig.get_size_inches()
    if abs(width - COLUMN_WIDTH) > 1e-6:
        fig.set_size_inches(COLUMN_WIDTH, height * COLUMN_WIDTH / width)
    raw = io.BytesIO()
    fig.savefig(raw, format="png", dpi=CSS_PX_PER_INCH * PIXEL_RATIO, bbox_inches="tight")
    image = Image.open(raw).convert("RGB")
    palette = image.quantize(colors=256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
    out = io.BytesIO()
    palette.save(out, format="PNG", optimize=True)
    metadata = {
        "width": round(image.width / PIXEL_RATIO),
        "height": round(image.height / PIXEL_RATIO),
        "smallest_text_px": round(smallest_text_pt(fig) * CSS_PX_PER_INCH / 72, 1),
    }
    return base64.b64encode(out.getvalue()).decode("ascii"), metadata


def use_book_figure_output(shell: Any) -> None:
    """Make the IPython ``shell`` show every matplotlib figure with :func:`figure_png` (PNG only).

    PNG, not SVG: nbval compares SVG text, which differs between matplotlib builds, but not PNG.
    """
    from matplotlib_inline.backend_inline import set_matplotlib_formats

    set_matplotlib_formats("png")
    shell.display_formatter.formatters["image/png"].for_type(Figure, figure_png)
