"""labcode.notebook: glue hands myst-nb plain numbers, and setup sets the book's figure style safely."""

from __future__ import annotations

import math
import sys

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest
from error_facts import raises_naming
from matplotlib.colors import to_rgba

from labcode import notebook


@pytest.mark.build  # imports myst-nb, which only the book's requirements install
def test_glue_hands_myst_nb_a_plain_python_number(monkeypatch):
    import myst_nb

    calls = []
    monkeypatch.setattr(
        myst_nb, "glue", lambda name, value, display=True: calls.append((name, value, display))
    )
    notebook.glue("central_err", np.float64(2.5e-11))
    notebook.glue("n_steps", np.int64(7), display=True)
    assert calls == [("central_err", 2.5e-11, False), ("n_steps", 7, True)]
    assert type(calls[0][1]) is float and type(calls[1][1]) is int  # so {glue:text}`central_err:.1e` formats
    assert repr(calls[0][1]) == "2.5e-11"


def test_glue_without_myst_nb_shows_only_what_was_asked(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "myst_nb", None)  # import myst_nb now raises ImportError, as on Colab
    notebook.glue("hidden", 0.125)
    assert capsys.readouterr().out == ""
    notebook.glue("shown", np.float64(0.125), display=True)
    assert capsys.readouterr().out.strip() == "0.125"


@pytest.mark.parametrize("name", ["", None, 3])
def test_glue_needs_a_name(name):
    with raises_naming(TypeError, "name"):
        notebook.glue(name, 1.0)


def test_setup_outside_ipython_sets_the_style_and_creates_no_shell():
    from IPython.core.interactiveshell import InteractiveShell

    assert not InteractiveShell.initialized()
    notebook.setup()
    assert to_rgba(matplotlib.rcParams["figure.facecolor"]) == (1.0, 1.0, 1.0, 1.0)
    assert not InteractiveShell.initialized()


def test_setup_in_ipython_shows_figures_as_the_book_png(monkeypatch):
    """In a notebook every figure is stored fitted to the column, at 2x, in 256 colours, with its CSS size
    and its smallest text in the output's metadata."""
    import base64
    import io
    from types import SimpleNamespace

    import IPython
    from IPython.core.formatters import DisplayFormatter
    from matplotlib_inline import backend_inline
    from PIL import Image

    from labcode.plots import COLUMN_WIDTH, CSS_PX_PER_INCH, PIXEL_RATIO

    formats = []
    # events: pyplot registers a hook on the shell when it first meets one (when this test runs first)
    events = SimpleNamespace(register=lambda *args: None)
    shell = SimpleNamespace(display_formatter=DisplayFormatter(), events=events)
    monkeypatch.setattr(IPython, "get_ipython", lambda: shell)
    monkeypatch.setattr(backend_inline, "set_matplotlib_formats", lambda *f: formats.extend(f))
    notebook.setup()
    assert formats == ["png"]
    assert matplotlib.rcParams["savefig.transparent"] is False

    fig, (left, right) = plt.subplots(1, 2, figsize=(12.0, 4.0))  # too wide for the column
    left.plot([0, 1], [0, 1], label="a line")
    left.legend(fontsize=8)
    right.set_xlabel("x")
    data, metadata = shell.display_formatter.format(fig, include=["image/png"])
    image = Image.open(io.BytesIO(base64.b64decode(data["image/png"])))
    css = metadata["image/png"]
    assert image.mode == "P"  # palette: 256 colours
    assert abs(fig.get_size_inches()[0] - COLUMN_WIDTH) < 1e-9
    assert image.width == pytest.approx(PIXEL_RATIO * css["width"], abs=1)
    assert image.height == pytest.approx(PIXEL_RATIO * css["height"], abs=1)
    # bbox_inches="tight" trims or pads a little, never by a tenth of the column
    assert abs(css["width"] - COLUMN_WIDTH * CSS_PX_PER_INCH) < 0.1 * COLUMN_WIDTH * CSS_PX_PER_INCH
    assert css["smallest_text_px"] == round(8 * CSS_PX_PER_INCH / 72, 1)  # the legend's 8 pt


def test_agreement_puts_a_relative_error_in_words_that_hold_on_every_machine():
    g = np.array([1.0, -2.0, 3.0])
    assert notebook.agreement(g, g * (1 + 1e-15)) == "equal up to rounding (rel. error <= 1e-14)"
    assert notebook.agreement(g, g * (1 + 1e-10)) == "close (1e-14 < rel. error <= 1e-8)"
    assert notebook.agreement(g, 2 * g) == "different (rel. error 0.5)"  # only a real difference shows digits
    assert notebook.agreement(np.zeros(2), np.zeros(2)).startswith("equal")
    assert notebook.agreement(g, [1.0, -2.0, np.nan]).startswith(
        "different (rel. error inf"
    )  # nan is never close


def test_agreement_takes_anything_numpy_can_convert_and_refuses_mismatched_shapes():
    class ArrayLike:  # a framework's array (a PyTorch tensor, a JAX array) converts through __array__
        def __array__(self, dtype=None, copy=None):
            return np.array([1.0, 2.0], dtype=dtype)

    assert notebook.agreement(ArrayLike(), [1.0, 2.0]).startswith("equal")
    with raises_naming(ValueError, "(2, 1)", "(2,)"):
        notebook.agreement(np.ones((2, 1)), np.ones(2))


@pytest.mark.parametrize(
    ("value", "bracket"),
    [
        (999.9999999999999, "between 1e2 and 1e3"),  # log10 rounds it to 3.0
        (0.09999999999999999, "between 1e-2 and 1e-1"),
        (1000.0, "between 1e3 and 1e4"),
        (-0.048, "between 1e-2 and 1e-1"),
        (5e-324, "between 1e-324 and 1e-323"),
        (np.float32(2.5), "between 1e0 and 1e1"),
    ],
)
def test_decade_brackets_the_exact_value(value, bracket):
    assert notebook.decade(value) == bracket


@pytest.mark.parametrize(
    ("value", "error", "facts"),
    [
        ("1", TypeError, ("value", "str")),
        (None, TypeError, ("value", "NoneType")),
        (0.0, ValueError, ("value", "0.0")),
        (math.nan, ValueError, ("value", "nan")),
        (np.ones(2), ValueError, ("value", "(2,)")),
    ],
)
def test_decade_refuses_what_has_no_bracket(value, error, facts):
    with raises_naming(error, *facts):
        notebook.decade(value)


def test_agreement_refuses_complex_numbers():
    """np.asarray(a + 5j, dtype=float64) would drop the imaginary part and call them equal."""
    a = np.array([1.0, 2.0])
    with raises_naming(TypeError, "b", "complex"):
        notebook.agreement(a, a + 5j)
    with raises_naming(TypeError, "a", "complex"):
        notebook.agreement(a + 5j, a)
