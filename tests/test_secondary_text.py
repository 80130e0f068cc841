"""Secondary text is prose that nbval never reads: alt text, summary tables, the cheat sheet, checkpoint
answers, links into labcode's source. Each test here takes one such statement and checks it against the fact
it states: a figure's own layout (recorded when the notebook ran), a measured error, labcode's source."""

from __future__ import annotations

import ast
import math
import re

import numpy as np
import pytest
from conftest import ROOT, load_yaml, read_notebook, toc_files, toc_notebooks

from labcode import numdiff
from labcode.gradcheck import check_gradient, relative_error
from labcode.plots.layout import POSITION_WORDS

RECORD = "application/papermill.record/text/plain"


def glued(cell) -> dict[str, object]:
    """The values a code cell glued, by name, as stored in the notebook."""
    found = {}
    for output in cell.get("outputs", []):
        if RECORD in output.get("data", {}):
            found[output["metadata"]["scrapbook"]["name"]] = ast.literal_eval(output["data"][RECORD])
    return found


def figure_axes(cell) -> list[int]:
    """The number of Axes of each figure a code cell showed ("<Figure size 660x840 with 2 Axes>")."""
    counts = []
    for output in cell.get("outputs", []):
        text = output.get("data", {}).get("text/plain", "")
        match = re.fullmatch(r"<Figure size \d+x\d+ with (\d+) Axes>", str(text).strip())
        if match:
            counts.append(int(match.group(1)))
    return counts


def alt_text(cell) -> str:
    return cell.get("metadata", {}).get("mystnb", {}).get("image", {}).get("alt", "")


# Every position a panel can have in a grid of up to 3 by 3, as alt text would name it.
ALL_POSITIONS = sorted(
    {w for w in POSITION_WORDS}
    | {f"{r} {c}" for r in ("top", "middle", "bottom") for c in ("left", "centre", "right")},
    key=len,
    reverse=True,
)
PANEL_CHAPTERS = ["04_logistic_regression", "07_gradient_descent", "09_reverse_mode", "10_backprop_mlp"]


def named_positions(text: str, *, labels: bool = True) -> set[str]:
    """The panel positions a text names as "the top panel", or with ``labels`` also as "Top: ..."."""
    found = set()
    for position in ALL_POSITIONS:  # longest first: "top left" before "left"
        pattern = rf"\b{position}(?=:| panel)" if labels else rf"\b{position}(?= panel)"
        if re.search(pattern, text, flags=re.IGNORECASE):
            found.add(position)
            text = re.sub(pattern, "", text, flags=re.IGNORECASE)
    return found


NUMBER_WORDS = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6}
ROW_WORDS = {"top", "middle", "bottom"}
COLUMN_WORDS = {"left", "centre", "right"}


def caption(cell) -> str:
    return cell.get("metadata", {}).get("mystnb", {}).get("figure", {}).get("caption", "")


def check_panel_words(text: str, positions: set[str], where: str) -> None:
    """The words of text about panels agree with the figure's panel positions."""
    named = named_positions(text)
    assert named <= positions, (
        f"{where}: the figure's panels are {sorted(positions)}, it names {sorted(named)}"
    )
    for word, number in NUMBER_WORDS.items():
        if re.search(rf"\b{word}\b[\w\s-]*\bpanels\b", text, flags=re.IGNORECASE):
            assert number == len(positions), f"{where}: says {word} panels, the figure has {len(positions)}"
    words = {w for p in positions for w in p.split()}
    if not words & COLUMN_WORDS:  # one column: stacked
        assert "side by side" not in text, (
            f"{where}: says side by side, but the panels are {sorted(positions)}"
        )
    if not words & ROW_WORDS:  # one row
        for stacked in ("one above the other", "stacked"):
            assert stacked not in text, f"{where}: says {stacked}, but the panels are {sorted(positions)}"


@pytest.mark.parametrize("stem", PANEL_CHAPTERS)
def test_alt_text_and_caption_name_the_panels_the_figure_has(stem):
    # Alt text and captions that speak of panels must rest on the layout the figure had when the notebook
    # ran, glued under a name ending in _panels (labcode.plots.layout.panel_positions(fig)). An alt text that
    # names panels by position ("Top: ...") names each of them; both say how many there are and how they sit.
    nb = read_notebook(ROOT / "book" / f"{stem}.ipynb")
    checked = 0
    for index, cell in enumerate(nb.cells):
        alt = alt_text(cell)
        if cell.cell_type != "code" or not alt:
            continue
        where = f"{stem} cell {index}"
        layouts = [v for k, v in glued(cell).items() if k.endswith("_panels")]
        if not layouts:
            for text in (alt, caption(cell)):
                assert not (named_positions(text) or re.search(r"\bpanels?\b", text, flags=re.IGNORECASE)), (
                    f"{where}: the alt text or caption speaks of panels, but the cell does not glue its layout: "
                    "add glue('<name>_panels', labcode.plots.layout.panel_positions(fig))"
                )
            continue
        assert len(layouts) == 1, f"{where} glues {len(layouts)} layouts for one figure"
        positions = {p for p in layouts[0] if p}
        assert positions, f"{where}: a figure of one panel needs no panel names"
        assert max(figure_axes(cell), default=0) >= len(positions), (
            f"{where}: the glued layout is not this figure's"
        )
        assert named_positions(alt) in (set(), positions), (  # every panel by its position, or none
            f"{where}: the figure's panels are {sorted(positions)}, the alt text names {sorted(named_positions(alt))}"
        )
        check_panel_words(alt, positions, f"{where}, alt text")
        check_panel_words(caption(cell), positions, f"{where}, caption")
        checked += 1
    assert checked >= 1, f"{stem} has no figure with a glued layout to check: update PANEL_CHAPTERS"


@pytest.mark.parametrize("path", toc_notebooks(), ids=lambda p: p.stem)
def test_prose_names_a_panel_only_through_its_glued_position(path):
    # "the right panel below" written by hand goes stale when a figure is restacked; glue panel_position(ax).
    nb = read_notebook(path)
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            named = named_positions(re.sub(r"\{glue:text\}`[^`]*`", "", cell.source), labels=False)
            assert not named, f"{path.stem} cell {index} names the {sorted(named)} panel by hand"


# --- truncation errors in the chapter 1 summary and the cheat sheet ---------------------------------------

ERROR_TERM = re.compile(r"\$(-?)\\frac\{h(?:\^(\d))?\}\{(\d+)\}\s*f('+)\$")
EXACT = math.exp  # every derivative of exp is exp
X0 = 0.3


def measured_coefficient(method: str) -> tuple[int, int, float]:
    """(power of h, order of the derivative, c) with estimate - f'(x) = c h^power f^(order)(x) + ..."""
    if method == "second difference":
        h = 1e-2
        estimate = (EXACT(X0 + h) - 2 * EXACT(X0) + EXACT(X0 - h)) / h**2  # of f'' = exp
        return 2, 4, (estimate - EXACT(X0)) / (h**2 * EXACT(X0))
    power = {"forward": 1, "backward": 1, "central": 2, "complex": 2}[method]
    h = 1e-4 if power == 1 else 1e-3
    f = np.exp  # complex-safe, for the complex step
    estimate = numdiff.derivative(f, X0, method=method, h=h)
    return power, power + 1, (estimate - EXACT(X0)) / (h**power * EXACT(X0))


METHOD_OF_ROW = {
    "forward": "forward",
    "backward": "backward",
    "central": "central",
    "complex step": "complex",
    "second difference": "second difference",
}


def error_rows(markdown: str, header: str) -> dict[str, tuple[int, int, float]]:
    """{method: (power of h, order of f's derivative, coefficient)} from the table whose header starts so."""
    lines = markdown.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header))
    rows = {}
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in line.strip("|").split("|")]
        name = re.sub(r"\s*\(.*\)$", "", cells[0])  # "central (2)" -> "central"
        match = ERROR_TERM.search(cells[1])
        if name in METHOD_OF_ROW and match:
            sign, power, denominator, primes = match.groups()
            rows[name] = (int(power or 1), len(primes), (-1 if sign else 1) / int(denominator))
    return rows


def chapter_1_summary() -> str:
    nb = read_notebook(ROOT / "book" / "01_derivatives.ipynb")
    return "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")


@pytest.mark.parametrize(
    ("where", "text", "header", "methods"),
    [
        (
            "chapter 1's summary",
            chapter_1_summary,
            "| method | truncation error",
            {"forward", "central", "complex step"},
        ),
        (
            "the cheat sheet",
            lambda: (ROOT / "book" / "appendix" / "cheatsheet.md").read_text(),
            "| method (evaluations) | formula and truncation error",
            {"forward", "backward", "central", "complex step", "second difference"},
        ),
    ],
)
def test_stated_truncation_errors_have_the_measured_sign_and_size(where, text, header, methods):
    rows = error_rows(text(), header)
    assert set(rows) >= methods, f"{where}: could not read the error of {sorted(methods - set(rows))}"
    for name, (power, order, stated) in rows.items():
        m_power, m_order, measured = measured_coefficient(METHOD_OF_ROW[name])
        assert (power, order) == (m_power, m_order), f"{where}, {name}: states h^{power} f^({order})"
        assert measured == pytest.approx(stated, rel=1e-2), (
            f"{where}, {name}: states the error {stated:+.4g} h^{power} f^({order}), measured {measured:+.4g}"
        )


# --- chapter 2's checkpoint on relative errors -------------------------------------------------------------


def test_chapter_2_checkpoint_reads_relative_errors_as_they_are():
    g = np.random.default_rng(0).normal(size=7)
    n = 50
    # 0.5 is a factor of 2 whichever way round; a factor of n (sum against mean) is (n - 1)/n.
    assert relative_error(g / 2, g) == pytest.approx(0.5)
    assert relative_error(2 * g, g) == pytest.approx(0.5)
    assert relative_error(n * g, g) == pytest.approx((n - 1) / n)
    assert relative_error(g / n, g) == pytest.approx((n - 1) / n)
    nb = read_notebook(ROOT / "book" / "02_gradients.ipynb")
    (answer,) = [c.source for c in nb.cells if "Checkpoint: bug or not?" in c.source]
    assert "factor of 2" in answer, "the answer should read 0.5 as a factor of 2"
    assert "(n - 1)/n" in answer, "the answer should give a sum/mean mix-up's relative error, (n - 1)/n"


def test_directional_check_counts_a_dicts_entries_in_all_not_as_w():
    # Chapter 2 prints this text: with parameters {"w": (d,), "b": ()}, "w has d + 1 entries" was wrong.
    d = 300
    params = {"w": np.ones(d), "b": np.array(0.5)}
    result = check_gradient(
        lambda p: float(np.sum(p["w"] ** 2) + p["b"] ** 2),
        lambda p: {"w": 2 * p["w"], "b": 2 * p["b"]},
        params,
        max_coordinates=100,
    )
    assert f"{d + 1} entries in all" in result.checked
    assert f"w has {d + 1}" not in result.checked


# --- links into labcode's source ---------------------------------------------------------------------------

LINK = re.compile(r"\[`([^`]+)`\]\((https://github\.com/[^)\s]+)\)")
BLOB = load_yaml("_config.yml")["repository"]["url"].rstrip("/") + "/blob/main/"


def source_links() -> list[tuple[str, str, str]]:
    """(page, link text, path) of every link of a book page to a file of this repository on GitHub."""
    pages = [(p.stem, "\n".join(c.source for c in read_notebook(p).cells)) for p in toc_notebooks()]
    pages += [(f, (ROOT / f"{f}.md").read_text()) for f in toc_files() if (ROOT / f"{f}.md").is_file()]
    return [
        (page, text, url[len(BLOB) :])
        for page, body in pages
        for text, url in LINK.findall(body)
        if url.startswith(BLOB)
    ]


def test_chapter_9_points_at_labcodes_engine():
    names = {text for page, text, _ in source_links() if page == "09_reverse_mode"}
    assert {"graph", "backpropagate", "unbroadcast"} <= names, f"chapter 9 links {sorted(names)}"


@pytest.mark.parametrize("link", source_links(), ids=lambda link: f"{link[0]}:{link[1]}")
def test_a_link_into_the_source_names_what_the_file_holds(link):
    page, text, relative = link
    path = ROOT / relative
    assert path.is_file(), f"{page} links {relative}, which does not exist"
    if text == relative:
        return  # the link shows the file's path
    defined = {
        node.name
        for node in ast.parse(path.read_text()).body
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
    }
    assert text in defined, (
        f"{page} says `{text}` is in {relative}, which defines {sorted(defined)}: "
        "update the link (the chapter names the function a reader should look for)"
    )


def test_the_linked_functions_are_the_public_engine():
    # Chapter 9 says that vjp, grad and jacobian run graph and backpropagate, and every broadcasting rule
    # ends in unbroadcast; the names must stay reachable where the chapter says they are.
    from labcode import autodiff
    from labcode.autodiff import reverse, rules

    assert callable(reverse.graph) and callable(reverse.backpropagate)
    assert autodiff.unbroadcast is rules.unbroadcast
    x = autodiff.Tensor(np.ones((3, 1)))
    y = autodiff.Tensor(np.ones(4))
    out = (x * y).sum()
    nodes = reverse.graph(out)
    assert nodes[0] is out, "graph puts the output first"
    assert {id(n) for n in nodes[-2:]} == {id(x), id(y)}, "and the inputs, made first, last"
    grads = reverse.backpropagate(nodes, np.float64(1.0))
    np.testing.assert_array_equal(grads[id(x)], np.full((3, 1), 4.0))  # unbroadcast: each x_i used 4 times


# --- the cheat sheet's default steps against numdiff.STEP_FACTORS ------------------------------------------

EPS = float(np.finfo(float).eps)
# The LaTeX the cheat sheet writes a step factor with, and its value.
STEP_EXPRESSIONS = {
    r"\sqrt{\varepsilon}": math.sqrt(EPS),
    r"\frac12\varepsilon^{1/3}": 0.5 * EPS ** (1 / 3),
    r"\varepsilon^{1/4}": EPS**0.25,
    r"10^{-20}": 1e-20,
    r"\frac{1}{16}": 1 / 16,
}
STEP_METHOD_OF_ROW = {
    "forward": "forward",
    "backward": "backward",
    "central": "central",
    "complex step": "complex",
    "Richardson": "richardson",
    "second difference": "second",
}


def test_cheat_sheet_default_steps_are_numdiffs():
    text = (ROOT / "book" / "appendix" / "cheatsheet.md").read_text()
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("| method (evaluations) |"))
    seen = set()
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in line.strip("|").split("|")]
        name = re.sub(r"\s*\(.*\)$", "", cells[0])
        step = re.match(r"\$([^$]*)\$", cells[2])
        assert name in STEP_METHOD_OF_ROW and step, f"cannot read the row {cells[0]!r}: {cells[2]!r}"
        actual = numdiff.STEP_FACTORS[STEP_METHOD_OF_ROW[name]]
        symbol, _, approx = step.group(1).partition(r"\approx")
        assert symbol.strip() in STEP_EXPRESSIONS, f"{name}: cannot read the step {symbol.strip()!r}"
        assert STEP_EXPRESSIONS[symbol.strip()] == pytest.approx(actual, rel=1e-12), (
            f"{name}: the cheat sheet's step {symbol.strip()} is not numdiff's {actual:.3g}"
        )
        if approx:
            mantissa, exponent = re.fullmatch(r"\s*([\d.]+) \\times 10\^\{(-?\d+)\}\s*", approx).groups()
            assert float(mantissa) * 10.0 ** int(exponent) == pytest.approx(actual, rel=0.05), (
                f"{name}: {approx.strip()} is not about {actual:.2g}"
            )
        seen.add(name)
    assert seen == set(STEP_METHOD_OF_ROW)
