"""Every stored output carries only the digits a reader needs, so it is the same on every CPU, BLAS and thread count.

nbval compares stored outputs as text. A float printed with all its 17 digits differs in its last ones between
numpy's SIMD paths and OpenBLAS's kernels, so the rule is about digits, checked here on the stored notebooks
(``tests/test_portability.py`` then re-runs nbval under several CPU-dispatch settings to prove the outputs agree):

- A glued float carries exactly the digits its prose shows: for every ``{glue:text}`name:fmt``` role, the stored
  value is what ``format(value, fmt)`` shows (``labcode.notebook.glue(name, value, fmt=fmt)`` stores it so), and the
  ``glue(...)`` call that made it passes that same ``fmt``. A float quoted without a format spec is an error.
- Any other number in a stored output (printed text, a cell's value, HTML, a glued float no prose quotes) has at
  most ``MAX_DIGITS`` significant digits: numpy's default print precision. Nothing the course shows needs more,
  and a quantity at the level of round-off is printed as a verdict or a bracket ("below 1e-10"), not as digits.
"""

from __future__ import annotations

import ast
import re

import pytest
from conftest import ROOT, all_notebooks, read_notebook

from labcode.notebook import decade, shown_value

MAX_DIGITS = 8
RECORD = "application/papermill.record/text/plain"
ROLE = re.compile(r"\{glue(?::text)?\}`([^`:]+)(?::([^`]*))?`")
FLOAT = re.compile(r"(?<![\w.])[-+]?\d+\.\d+(?:[eE][-+]?\d+)?")
TEXT_MIMES = ("text/plain", "text/html", "text/markdown", "text/latex")

NOTEBOOKS = all_notebooks()


def significant_digits(number: str) -> int:
    """Digits written in ``number`` from its first non-zero digit on: "0.04921" has 4, "2.000000" has 7."""
    mantissa = re.sub(r"[eE].*", "", number).lstrip("+-").replace(".", "")
    return len(mantissa.lstrip("0")) or 1


def glue_formats(source: str) -> dict[str, str]:
    """name -> fmt of every ``glue("name", value, fmt)`` call in ``source`` whose name and fmt are literals."""
    try:
        tree = ast.parse(source)
    except SyntaxError:  # IPython magics
        return {}
    found = {}
    for node in ast.walk(tree):
        func = getattr(node, "func", None)
        if (
            isinstance(node, ast.Call)
            and getattr(func, "id", getattr(func, "attr", None)) == "glue"
            and node.args
        ):
            fmt = [k.value for k in node.keywords if k.arg == "fmt"] + [a for a in node.args[2:3]]
            name, fmt = node.args[0], fmt[0] if fmt else None
            if isinstance(name, ast.Constant) and isinstance(fmt, ast.Constant):
                found[name.value] = fmt.value
    return found


def glue_records(nb) -> dict[str, str]:
    """name -> stored text of every glue record in the notebook."""
    records = {}
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            if RECORD in output.get("data", {}):
                records[output["metadata"]["scrapbook"]["name"]] = output["data"][RECORD]
    return records


def roles(nb) -> list[tuple[str, str | None]]:
    """(name, format spec or None) of every glue role in the notebook's markdown."""
    found = []
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            found += [(name, spec or None) for name, spec in ROLE.findall(cell.source)]
    return found


def printed_texts(nb):
    """(cell index, text) of every stored output a reader sees, glue records excluded."""
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream":
                yield index, output["text"]
            for mime in TEXT_MIMES:
                if mime in output.get("data", {}):
                    yield index, output["data"][mime]


def as_float(text: str) -> float | None:
    try:
        return float(text) if FLOAT.fullmatch(text.strip()) else None
    except ValueError:
        return None


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_glued_floats_carry_the_digits_their_prose_shows(path):
    nb = read_notebook(path)
    records = glue_records(nb)
    formats = {k: v for c in nb.cells if c.cell_type == "code" for k, v in glue_formats(c.source).items()}
    problems = []
    quoted = set()
    for name, spec in roles(nb):
        assert name in records, f"{path.name}: the prose quotes {name!r}, which no cell glues"
        value = as_float(records[name])
        quoted.add(name)
        if value is None:
            continue  # an int or a string: no rounding noise
        if spec is None:
            problems.append(
                f"{name} = {records[name]} is quoted without a format: give the role one and glue with it"
            )
            continue
        if shown_value(value, spec) != value:
            problems.append(
                f"{name} is stored as {records[name]} but the prose shows {format(value, spec)} ({{glue:text}}`{name}:{spec}`): "
                f'glue it with glue("{name}", value, fmt="{spec}")'
            )
        if name in formats and formats[name] != spec:
            problems.append(f'{name} is glued with fmt "{formats[name]}" but the prose shows it as "{spec}"')
    for name, text in records.items():
        if (
            name not in quoted
            and as_float(text) is not None
            and significant_digits(text.strip()) > MAX_DIGITS
        ):
            problems.append(f"{name} = {text} (glued, quoted by no prose) has more than {MAX_DIGITS} digits")
    assert not problems, f"{path.relative_to(ROOT)}:\n- " + "\n- ".join(problems)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_printed_numbers_have_at_most_max_digits(path):
    problems = []
    for index, text in printed_texts(read_notebook(path)):
        long = [n for n in FLOAT.findall(text) if significant_digits(n) > MAX_DIGITS]
        if long:
            problems.append(f"cell {index}: {', '.join(long[:4])}")
    assert not problems, (
        f"{path.relative_to(ROOT)} prints numbers with more than {MAX_DIGITS} significant digits; their last digits "
        "depend on the CPU. Print the digits the reader needs (f'{x:.4g}'), or a verdict for round-off-level values:\n- "
        + "\n- ".join(problems)
    )


def test_the_digit_rule_reads_numbers_as_a_reader_does():
    assert [
        significant_digits(n) for n in ("0.04921502047567224", "2.000000", "3.7e-05", "-0.5", "200.00")
    ] == [
        16,
        7,
        2,
        1,
        5,
    ]
    assert FLOAT.findall("w[0]=1.25, x1e3 and 2.5e-11; v1.2.3") == ["1.25", "2.5e-11"]
    source = 'glue("loss_end", float(f(w, X[:, 0])), fmt=".4f")\nnotebook.glue("a", a, ".2e")\nglue("n", n)'
    assert glue_formats(source) == {"loss_end": ".4f", "a": ".2e"}


def test_glue_stores_what_the_format_shows_and_decade_brackets_noise():
    assert [shown_value(v, f) for v, f in [(0.45831843419716617, ".4f"), (3.734876862955529e-05, ".1e")]] == [
        0.4583,
        3.7e-05,
    ]
    assert shown_value(0.9266666666666666, ".1%") == 0.927 and shown_value(221561.24, ",.0f") == 221561
    assert decade(0.04921502047567224) == decade(0.04714314784304147) == "between 1e-2 and 1e-1"
    assert decade(-3.7e-05) == "between 1e-5 and 1e-4" and decade(1.0) == "between 1e0 and 1e1"
    with pytest.raises(ValueError, match="value"):
        decade(0.0)
