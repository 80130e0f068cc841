"""The book's figure style: readable sizes, colour-blind-safe colours, and opaque white backgrounds
that stay legible in the site's dark mode."""

from __future__ import annotations

from typing import Any

import matplotlib as mpl

__all__ = ["OKABE_ITO", "BOOK_RC", "METHOD_LINESTYLES", "ZERO_FLOOR", "use_book_style"]

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
    "figure.figsize": (7.0, 4.2),
    "figure.dpi": 100,
    "savefig.dpi": 150,
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
