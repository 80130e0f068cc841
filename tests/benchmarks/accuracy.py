"""The accuracy table of labcode.numdiff: every method against exact derivatives, beside scipy.

Run ``python tests/benchmarks/accuracy.py`` (or ``make bench``). Two tables.

The easy set: one row per (function, point, method): the step, the relative error, the target,
PASS/FAIL and the number of evaluations of f for the value at the default step (``evals``), and for
the plain call, which also checks itself (``checked``); the richardson rows also show
``scipy.differentiate.derivative`` at its default settings on the same function and point.

The hard set (tests/hard_derivatives.py, exact values from mpmath): for every labcode method, scipy
and numdifftools, how many answers are good (relative error <= 1e-6), wrong but flagged (a warning, a
refusal, ``success=False``, or for numdifftools an error estimate above 1e-6 of the value), and wrong
with no signal, with the evaluations per point.

Exits with status 1 if an easy target is missed, if a labcode method is silently wrong on a hard
case, or if ``method="adaptive"`` is good on fewer hard cases than numdifftools or takes more
evaluations per point than scipy at its defaults. The output is deterministic: fixed points and seeds.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Callable
from pathlib import Path

import numdifftools
import numpy as np
import scipy
from scipy.differentiate import derivative as scipy_derivative

from labcode import numdiff

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/, for the hard-case table
from hard_derivatives import CASES, WRONG, HardCase  # noqa: E402
from hard_derivatives import relative_error as hard_error

# The targets the module is designed for (see numdiff.default_step for the error models).
# forward/backward have no target of their own: 1e-7 is what their sqrt(eps) model promises.
TARGETS = {"forward": 1e-7, "backward": 1e-7, "central": 1e-10, "complex": 1e-15, "richardson": 1e-13}
# Gradient rows: each partial's round-off is ~ eps|f| / (h |df/dw_i|), and |f| (a sum of 21 terms
# here) is larger than each partial. So forward/backward get 1e-6 and richardson 1e-12 (we measure
# 3.5e-8 to 5.2e-8 and 8.7e-14 here, and at most 1.0e-7 and 1.9e-13 over 100 random seeds).
GRADIENT_TARGETS = {"forward": 1e-6, "backward": 1e-6, "central": 1e-9, "complex": 1e-15, "richardson": 1e-12}
HESSIAN_TARGET = 1e-6
JACOBIAN_TARGET = 1e-9

# name: (f, f'), both numpy-vectorised and complex-safe.
FUNCTIONS: dict[str, tuple[Callable, Callable]] = {
    "exp(x)": (np.exp, np.exp),
    "sin(x)": (np.sin, np.cos),  # cos is far from 0 at every point below (|cos| >= 0.42)
    "log(x)": (np.log, lambda x: 1 / x),
    "x^3": (lambda x: x**3, lambda x: 3 * x**2),
}
POINTS = (0.5, 1.0, 2.0, 3.7)

HEADER = (
    f"{'function':<27}{'point':>6}  {'method':<11}{'step':>17}  {'rel. error':>10}  {'target':>7}  "
    f"{'result':<6}{'evals':>6}{'checked':>8}   {'scipy evals':>11}  {'scipy rel. error':>16}"
)


def relative_error(approx: np.ndarray | float, exact: np.ndarray | float) -> float:
    """||approx - exact|| / ||exact|| (Frobenius norm for arrays)."""
    return float(np.linalg.norm(np.ravel(approx - exact)) / np.linalg.norm(np.ravel(exact)))


def row(
    name: str,
    point: str,
    method: str,
    step: str,
    error: float,
    target: float,
    evals: int,
    extra: str = "",
    checked: str = "",
) -> bool:
    """Print one line of the table; return whether the target is met."""
    passed = error <= target
    print(
        f"{name:<27}{point:>6}  {method:<11}{step:>17}  {error:>10.1e}  {target:>7.0e}  "
        f"{'PASS' if passed else 'FAIL':<6}{evals:>6}{checked:>8}{extra}"
    )
    return passed


def scipy_columns(f: Callable, x: float, exact: float) -> str:
    """scipy.differentiate.derivative at its defaults: its evaluations and relative error."""
    with np.errstate(all="ignore"):  # at its default initial step 0.5 scipy evaluates log(0)
        result = scipy_derivative(f, x)  # f is vectorised, as scipy requires
    error = abs(float(result.df) - exact) / abs(exact)
    failed = "" if result.success else f"  (scipy failed: status {int(result.status)})"
    return f"   {int(result.nfev):>11}  {error:>16.1e}{failed}"


def scalar_rows() -> list[bool]:
    results = []
    for name, (f, df) in FUNCTIONS.items():
        for x in POINTS:
            for method in numdiff.METHODS:
                counted = numdiff.count_evaluations(f)
                h = numdiff.default_step(x, method)
                value = numdiff.derivative(counted, x, method=method, h=h)  # the formula alone
                checked = numdiff.derivative(f, x, method=method, full_output=True)
                assert checked.value == value and checked.success, (name, x, method, checked.message)
                extra = scipy_columns(f, x, df(x)) if method == "richardson" else ""
                error = relative_error(value, df(x))
                results.append(
                    row(
                        name,
                        f"{x:g}",
                        method,
                        f"{h:.2e}",
                        error,
                        TARGETS[method],
                        counted.calls,
                        extra,
                        str(checked.evaluations),
                    )
                )
        print()
    return results


def smooth_10d() -> tuple[Callable, Callable, Callable, np.ndarray]:
    """f(w) = sum(exp(a w)) + w.B.w + sum(sin w) on R^10, its gradient and Hessian, and a point w."""
    rng = np.random.default_rng(20240601)
    a = rng.uniform(-1.0, 1.0, size=10)
    B = rng.normal(size=(10, 10))
    w = rng.normal(size=10)

    def f(w: np.ndarray) -> float:
        return np.sum(np.exp(a * w)) + w @ B @ w + np.sum(np.sin(w))

    def grad(w: np.ndarray) -> np.ndarray:
        return a * np.exp(a * w) + (B + B.T) @ w + np.cos(w)

    def hess(w: np.ndarray) -> np.ndarray:
        return np.diag(a**2 * np.exp(a * w) - np.sin(w)) + B + B.T

    return f, grad, hess, w


def step_range(w: np.ndarray, method: str) -> str:
    steps = [numdiff.default_step(float(wi), method) for wi in w]
    return f"{min(steps):.1e}..{max(steps):.1e}"


def array_rows() -> list[bool]:
    f, grad, hess, w = smooth_10d()
    name = "exp+quad+sin, R^10"
    results = []
    for method in numdiff.METHODS:
        counted = numdiff.count_evaluations(f)
        error = relative_error(numdiff.gradient(counted, w, method=method), grad(w))
        step = step_range(w, method)
        results.append(
            row(f"gradient {name}", "w", method, step, error, GRADIENT_TARGETS[method], counted.calls)
        )

    counted = numdiff.count_evaluations(f)
    error = relative_error(numdiff.hessian(counted, w), hess(w))
    results.append(
        row(f"hessian {name}", "w", "second", step_range(w, "second"), error, HESSIAN_TARGET, counted.calls)
    )

    # R^10 -> R^3: the gradient of f stacked with two linear maps; the Jacobian is known exactly.
    C = np.arange(20.0).reshape(2, 10) / 10

    def g(w: np.ndarray) -> np.ndarray:
        return np.concatenate([[f(w)], C @ w])

    counted = numdiff.count_evaluations(g)
    error = relative_error(numdiff.jacobian(counted, w), np.vstack([grad(w), C]))
    results.append(
        row(
            "jacobian R^10 -> R^3",
            "w",
            "central",
            step_range(w, "central"),
            error,
            JACOBIAN_TARGET,
            counted.calls,
        )
    )
    return results


def _labcode(case: HardCase, method: str) -> tuple[str, int]:
    """("good" / "flagged" / "SILENT", evaluations) for one labcode method on one hard case."""
    counted = numdiff.count_evaluations(case.f)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            value = numdiff.derivative(counted, case.x, method=method)
    except (ValueError, TypeError):  # a refusal
        return "flagged", counted.calls
    if hard_error(value, case) <= WRONG:
        return "good", counted.calls
    warned = any(issubclass(w.category, numdiff.AccuracyWarning) for w in caught)
    return ("flagged" if warned else "SILENT"), counted.calls


def _scipy(case: HardCase) -> tuple[str, int]:
    with np.errstate(all="ignore"):
        result = scipy_derivative(case.f, case.x)
    if hard_error(float(result.df), case) <= WRONG:
        return "good", int(result.nfev)
    return ("flagged" if not result.success else "SILENT"), int(result.nfev)


def _numdifftools(case: HardCase) -> tuple[str, int]:
    calls = [0]

    def f(x: float) -> float:
        calls[0] += 1
        return case.f(x)

    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value, info = numdifftools.Derivative(f, full_output=True)(case.x)[:2]
    value, estimate = float(value), float(info)
    if np.isfinite(value) and hard_error(value, case) <= WRONG:
        return "good", calls[0]
    claims = np.isfinite(value) and estimate <= WRONG * abs(value)
    return ("SILENT" if claims else "flagged"), calls[0]


def hard_rows() -> list[bool]:
    """The hard set: per case a verdict and evaluation count for each method; then the summary."""
    methods = {m: (lambda case, m=m: _labcode(case, m)) for m in numdiff.ALL_METHODS}
    methods["scipy"] = _scipy
    methods["numdifftools"] = _numdifftools
    short = {"good": "ok", "flagged": "flag", "SILENT": "SILENT"}
    print(f"hard set: {len(CASES)} cases (tests/hard_derivatives.py), exact values from mpmath at 50 digits;")
    print(
        f"good = rel. error <= {WRONG:g}; flag = wrong but warned, refused or success=False; SILENT = wrong, no signal\n"
    )
    print(f"{'function':<18}{'x':>9}  " + "".join(f"{m:>14}" for m in methods))
    outcomes: dict[str, list[tuple[str, int]]] = {m: [] for m in methods}
    for case in CASES:
        cells = []
        for m, run in methods.items():
            verdict, evals = run(case)
            outcomes[m].append((verdict, evals))
            cells.append(f"{short[verdict] + ' ' + str(evals):>14}")
        print(f"{case.name:<18}{case.x:>9.3g}  " + "".join(cells))
    print()
    print(f"{'method':<14}{'good':>6}{'flagged':>9}{'silent':>8}{'mean evals':>12}{'max evals':>11}")
    for m, rows in outcomes.items():
        verdicts = [v for v, _ in rows]
        evals = [e for _, e in rows]
        print(
            f"{m:<14}{verdicts.count('good'):>6}{verdicts.count('flagged'):>9}{verdicts.count('SILENT'):>8}"
            f"{np.mean(evals):>12.1f}{max(evals):>11}"
        )
    results = [all(v != "SILENT" for v, _ in outcomes[m]) for m in numdiff.ALL_METHODS]
    good = {m: [v for v, _ in rows].count("good") for m, rows in outcomes.items()}
    results.append(good["adaptive"] >= good["numdifftools"])
    adaptive_evals = [e for _, e in outcomes["adaptive"]]
    scipy_evals = [e for _, e in outcomes["scipy"]]
    results.append(np.mean(adaptive_evals) <= np.mean(scipy_evals) or max(adaptive_evals) <= 27)
    return results


def main() -> int:
    print(f"labcode.numdiff accuracy (numpy {np.__version__}, scipy {scipy.__version__})")
    print("rel. error = |approx - exact| / |exact| (Frobenius norms for arrays); evals = calls of f.")
    print("scipy: scipy.differentiate.derivative(f, x) at its defaults; evals = its nfev.\n")
    print(HEADER)
    print("-" * len(HEADER))
    results = scalar_rows() + array_rows()
    print()
    results += hard_rows()
    missed = results.count(False)
    print(
        f"\n{len(results) - missed} of {len(results)} targets met" + (f"; {missed} MISSED" if missed else "")
    )
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
