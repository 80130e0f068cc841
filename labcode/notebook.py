"""Notebook conveniences that keep a chapter runnable both in the book build and on Colab (no myst-nb)."""

from __future__ import annotations

from typing import Any

import numpy as np

from labcode.plots import use_book_style

__all__ = ["glue", "setup"]


def _plain(value: Any) -> Any:
    # A numpy scalar's text is "np.float64(0.5)", which {glue:text}`name:.2f` cannot format; 0.5 it can.
    return value.item() if isinstance(value, np.generic) else value


def glue(name: str, value: Any, display: bool = False) -> None:
    """Store ``value`` under ``name`` for the book's ``{glue:text}`` roles, so prose quotes computed numbers.

    Uses ``myst_nb.glue`` when myst-nb is installed. Without it (Colab, a bare Jupyter) there is nothing
    to glue into: the value is shown if ``display`` is true, and otherwise nothing happens.
    Numpy scalars are stored as Python numbers.
    """
    if not isinstance(name, str) or not name:
        raise TypeError(f"name must be a non-empty string, got {name!r}")
    value = _plain(value)
    try:
        from myst_nb import glue as myst_glue
    except ImportError:
        if display:
            from IPython.display import display as show

            show(value)
        return
    myst_glue(name, value, display=display)


def setup() -> None:
    """Prepare a chapter: the book's figure style, and figures sent to the notebook as PNG.

    PNG, not SVG: nbval compares SVG text but not PNG, and a PNG has the opaque background the
    book style sets. Outside IPython only the style is set.
    """
    use_book_style()
    try:
        from IPython import get_ipython
        from matplotlib_inline.backend_inline import set_matplotlib_formats
    except ImportError:
        return
    if get_ipython() is not None:  # set_matplotlib_formats would otherwise create a shell
        set_matplotlib_formats("png")
