"""Notebook conveniences that keep a chapter runnable both in the book build and on Colab (no myst-nb)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

import numpy as np

from labcode._checks import as_float_array, real_scalar
from labcode.gradcheck import relative_error
from labcode.plots import use_book_figure_output, use_book_style

__all__ = ["agreement", "decade", "glue", "setup", "shown_value"]


def _plain(value: Any) -> Any:
    # A numpy scalar's text is "np.float64(0.5)", which {glue:text}`name:.2f` cannot format; 0.5 it can.
    return value.item() if isinstance(value, np.generic) else value


def shown_value(value: float, fmt: str) -> float:
    """The number that ``format(value, fmt)`` shows, as a float: ``shown_value(0.045831843, ".3f")`` is 0.046.

    ``fmt`` is a format spec as in ``{glue:text}`name:fmt``` (``.4f``, ``.1e``, ``.3g``, ``.1%``, ``,.0f``).
    Parsing the shown text back (not ``round``) gives the shortest float for those digits, so its ``repr``
    carries no more digits than the reader sees.

    >>> shown_value(0.045831843, ".3f"), shown_value(0.1234, ".1%")
    (0.046, 0.123)
    """
    value = real_scalar(value, "value")
    if not isinstance(fmt, str):
        raise TypeError(f"fmt must be a format spec such as '.4f', got {type(fmt).__name__}")
    text = format(value, fmt).replace(",", "").replace("_", "").strip()
    if text.endswith("%"):
        return float(Decimal(text[:-1]) / 100)
    try:
        return float(Decimal(text))
    except InvalidOperation:
        raise ValueError(f"fmt={fmt!r} does not show a number for {value!r} (it shows {text!r})") from None


def decade(value: float) -> str:
    """The power-of-ten bracket that holds ``value``: ``decade(0.048)`` is ``"between 1e-2 and 1e-1"``.

    For a quantity at the level of round-off (a float32 error, a residual near 1e-16), whose digits differ from
    CPU to CPU while its size does not: glue ``decade(err)`` and the prose quotes a bracket, not noise.

    >>> decade(0.048)
    'between 1e-2 and 1e-1'
    >>> decade(999.9999999999999)  # below 1000, though log10 rounds it to 3.0
    'between 1e2 and 1e3'
    """
    magnitude = abs(real_scalar(value, "value"))
    if magnitude == 0:
        raise ValueError(f"value must be finite and non-zero, got {value!r}")
    # the exponent of the leading digit of the float's exact decimal value: log10 rounds, and gives 3 for
    # 999.9999999999999 (whose bracket is 1e2..1e3)
    low = Decimal(magnitude).adjusted()
    return f"between 1e{low} and 1e{low + 1}"


def agreement(a: Any, b: Any) -> str:
    """How closely ``a`` matches ``b``, in words that hold on every machine: "equal up to rounding (rel. error
    <= 1e-14)", "close (1e-14 < rel. error <= 1e-8)" or "different (rel. error 0.5)".

    a, b: arrays of one shape, or anything ``np.asarray`` turns into one (a PyTorch tensor without a graph, a
    JAX array). The relative error is :func:`labcode.gradcheck.relative_error`; its digits at rounding level
    vary between CPUs, so only a difference beyond 1e-8 is printed with its size.

    >>> agreement([1.0, 2.0], [1.0, 2.0 + 1e-15])
    'equal up to rounding (rel. error <= 1e-14)'
    >>> agreement([1.0, 2.0], [1.0, 3.0])
    'different (rel. error 0.33)'
    """
    # real numbers only: np.asarray(a, dtype=float64) would drop an imaginary part (5j) with just a warning
    rel = relative_error(as_float_array(a, "a"), as_float_array(b, "b"))
    if rel <= 1e-14:
        return "equal up to rounding (rel. error <= 1e-14)"
    if rel <= 1e-8:
        return "close (1e-14 < rel. error <= 1e-8)"
    return f"different (rel. error {rel:.2g})"


def glue(name: str, value: Any, fmt: str | None = None, *, display: bool = False) -> None:
    """Store ``value`` under ``name`` for the book's ``{glue:text}`` roles, so prose quotes computed numbers.

    ``fmt`` is the format spec the prose shows the number with (``glue("loss", loss, ".4f")`` for
    ``{glue:text}`loss:.4f```): the value is stored with those digits and no more (see :func:`shown_value`),
    so the stored notebook is the same on every CPU, whatever its last bits. ``tests/test_reproducible_outputs.py``
    checks that every glued float carries exactly the digits its prose shows.

    Uses ``myst_nb.glue`` when myst-nb is installed. Without it (Colab, a bare Jupyter) there is nothing
    to glue into: the value is shown if ``display`` is true, and otherwise nothing happens.
    Numpy scalars are stored as Python numbers.
    """
    if not isinstance(name, str) or not name:
        raise TypeError(f"name must be a non-empty string, got {name!r}")
    value = _plain(value)
    if fmt is not None:
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise TypeError(f"fmt applies to a number; {name!r} is a {type(value).__name__}")
        value = shown_value(value, fmt)
    try:
        from myst_nb import glue as myst_glue
    except ImportError:
        if display:
            from IPython.display import display as show

            show(value)
        return
    myst_glue(name, value, display=display)


def setup() -> None:
    """Prepare a chapter: the book's figure style, and figures sent to the notebook as the book's PNGs
    (fitted to the column, 2x, 256 colours: :func:`labcode.plots.figure_png`).

    PNG, not SVG: nbval compares SVG text but not PNG, and a PNG has the opaque background the
    book style sets. Outside IPython only the style is set.
    """
    use_book_style()
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is not None:
        use_book_figure_output(shell)
