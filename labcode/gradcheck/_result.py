"""What check_gradient returns: :class:`GradCheckResult`, its text and HTML, and ``relative_error``.

Numbers in a result are quoted with a fixed count of significant digits (``_fmt``, ``_num``), so that
a stored notebook output is the same on every machine.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from labcode._checks import (
    as_float_array,
    shape_str,
)

SHOWN = 5  # coordinates named in a diagnosis; the rest are counted


def _fmt(x: float, digits: int = 2) -> str:
    """A number with a fixed count of significant digits: 0.50, 1.0, 3.2e-10 (reprs must be stable)."""
    x = float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if x == 0:
        return "0"
    if 1e-3 <= abs(x) < 10**digits:
        return f"{x:#.{digits}g}".rstrip(".")
    return f"{x:.{digits - 1}e}"


def _num(x: float) -> str:
    """A value quoted in a diagnosis: four significant digits, no trailing zeros."""
    return f"{float(x):.4g}"


def relative_error(a: Any, b: Any) -> float:
    """``max|a - b| / max(max|a|, max|b|)``: the largest disagreement relative to the larger array.

    a, b: arrays of exactly the same shape (no broadcasting: a (5, 1) against a (5,) raises
    ValueError, because broadcasting them would compare 25 pairs that mean nothing).
    Returns 0.0 when both are all zeros (or empty), ``inf`` when either holds nan or inf (a
    non-finite gradient is never "close"), and otherwise a float in [0, 2].

    >>> round(relative_error([1.0, 2.0], [1.0, 2.2]), 12)  # 0.2 / 2.2
    0.090909090909
    >>> relative_error([1.0, 2.0], [[1.0, 2.0]])
    Traceback (most recent call last):
    ...
    ValueError: a and b must have the same shape, got a of shape (2,) and b of shape (1, 2); relative_error does not broadcast
    """
    a = as_float_array(a, "a")
    b = as_float_array(b, "b")
    if a.shape != b.shape:
        raise ValueError(
            f"a and b must have the same shape, got a of shape {shape_str(a.shape)} and b of shape "
            f"{shape_str(b.shape)}; relative_error does not broadcast"
        )
    if a.size == 0:
        return 0.0
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        return math.inf
    scale = max(float(np.max(np.abs(a))), float(np.max(np.abs(b))))
    if scale == 0.0:
        return 0.0
    with np.errstate(over="ignore"):
        gap = float(np.max(np.abs(a - b)))
    if not math.isfinite(gap):  # |a - b| overflowed (values near 1e308): compare scaled copies instead
        return float(np.max(np.abs(a / scale - b / scale)))
    return gap / scale


@dataclass(frozen=True, eq=False, repr=False)
class GradCheckResult:
    """The outcome of :func:`check_gradient`: truthy iff the gradient is right.

    ``analytic`` is grad(w) and ``numerical`` the central-difference gradient, each an array shaped like
    w or a dict like w (``numerical`` is None in "directions" mode and when the check stopped early).
    ``max_relative_error``, ``tolerance`` and ``expected_noise`` are relative to the larger of the two
    gradients (nan when the check stopped before comparing). In "directions" mode they compare the
    directional derivatives v . grad(w) with (f(w + hv) - f(w - hv)) / (2h), which are kept in
    ``directional_analytic`` and ``directional_numerical`` (shape (n_checked,)). ``rows`` holds a few
    ``(index, analytic, numerical)`` triples for display.

    ``kind`` is one of ``KINDS``. ``factor`` is analytic / numerical for "factor" and "sign" (and for
    "transpose" and "partial" when one constant also explains it), else None. ``wrong_parts`` names
    what the diagnosis blames: parameter names ("b") when w is a dict, coordinates ("w[3]",
    "W[0, 1]") when w is one array; it is empty for kinds that blame everything.
    ``n_evaluations`` counts the calls of f.
    """

    ok: bool
    kind: str
    diagnosis: str
    max_relative_error: float
    tolerance: float
    expected_noise: float
    analytic: Any
    numerical: Any
    factor: float | None = None
    wrong_parts: tuple[str, ...] = ()
    mode: str = "coordinates"
    checked: str = ""
    n_checked: int = 0
    n_evaluations: int = 0
    rows: tuple[tuple[str, float, float], ...] = ()
    directional_analytic: np.ndarray | None = None
    directional_numerical: np.ndarray | None = None

    def __bool__(self) -> bool:
        return self.ok

    def _summary(self) -> list[tuple[str, str]]:
        def measured(x: float) -> str:
            return "not computed" if math.isnan(x) else _fmt(x)

        lines = [
            ("diagnosis", self.diagnosis),
            ("max relative error", measured(self.max_relative_error)),
            ("tolerance", _fmt(self.tolerance)),
            ("expected noise", measured(self.expected_noise)),
        ]
        if self.factor is not None:
            lines.append(("factor", _num(self.factor)))
        if self.wrong_parts:
            shown = ", ".join(self.wrong_parts[:SHOWN])
            more = len(self.wrong_parts) - SHOWN
            lines.append(("wrong parts", shown + (f" and {more} more" if more > 0 else "")))
        if self.checked:
            lines.append(("checked", self.checked))
        return lines

    def __repr__(self) -> str:
        head = f"GradCheckResult({'OK' if self.ok else 'FAIL'}, kind={self.kind!r})"
        width = max(len(name) for name, _ in self._summary()) + 2
        return "\n".join([head] + [f"  {name + ':':<{width}}{text}" for name, text in self._summary()])

    def _repr_html_(self) -> str:
        colour = "#009E73" if self.ok else "#D55E00"
        cells = [("status", f'<b style="color:{colour}">{"OK" if self.ok else "FAIL"}</b> ({self.kind})')]
        cells += [(name, html.escape(text)) for name, text in self._summary()]
        left = 'style="text-align:left"'
        out = ["<div>", "<table>"]
        out += [f"<tr><th {left}>{html.escape(name)}</th><td {left}>{text}</td></tr>" for name, text in cells]
        out.append("</table>")
        if self.rows:
            out.append("<table>")
            out.append("<tr><th>index</th><th>analytic</th><th>numerical</th><th>ratio</th></tr>")
            for label, a, n in self.rows:
                ratio = _fmt(a / n, 4) if n != 0 else "&ndash;"
                out.append(
                    f"<tr><td {left}>{html.escape(label)}</td><td>{_fmt(a, 4)}</td>"
                    f"<td>{_fmt(n, 4)}</td><td>{ratio}</td></tr>"
                )
            out.append("</table>")
        out.append("</div>")
        return "\n".join(out)
