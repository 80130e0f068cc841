"""Hard derivatives: where a step chosen from |x| alone goes wrong, with exact values from mpmath.

Each case is a function of one real number, written twice: with numpy (complex-safe, as the complex
step needs; vectorised, as scipy.differentiate needs) and with mpmath, whose derivative at 50 digits
is the exact value. The cases are our own, chosen to break one assumption each:

- large |x|, where the step 3e-6 |x| is larger than the scale on which f changes;
- small |x| next to a pole, a logarithm or a root, where f changes on the scale of x;
- fast oscillation, where f changes on a scale far below 1;
- cancellation inside f, where f's values carry far more than eps of noise;
- a tiny derivative next to large values of f, where rounding dominates.

Used by tests/test_numdiff_hard.py (no wrong answer without a warning or a refusal) and by
tests/benchmarks/accuracy.py (the hard-case table beside scipy and numdifftools).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import mpmath
import numpy as np

DIGITS = 50
WRONG = 1e-6  # a relative error above this is a wrong answer


@dataclass(frozen=True)
class HardCase:
    name: str
    f: Callable  # numpy, complex-safe and vectorised
    f_mp: Callable  # the same function in mpmath
    x: float
    why: str  # the assumption it breaks


CASES: tuple[HardCase, ...] = (
    HardCase("sin(x)", np.sin, mpmath.sin, 1e6, "large |x|"),
    HardCase("cos(x)", np.cos, mpmath.cos, -2.5e5, "large |x|"),
    HardCase(
        "exp(sin x)", lambda x: np.exp(np.sin(x)), lambda x: mpmath.exp(mpmath.sin(x)), 3e4, "large |x|"
    ),
    HardCase("sin(x^2)", lambda x: np.sin(x * x), lambda x: mpmath.sin(x * x), 1000.0, "fast oscillation"),
    HardCase("sin(300 x)", lambda x: np.sin(300 * x), lambda x: mpmath.sin(300 * x), 0.3, "fast oscillation"),
    HardCase("tanh(1e4 x)", lambda x: np.tanh(1e4 * x), lambda x: mpmath.tanh(10000 * x), 2e-5, "steep step"),
    HardCase("x^-2", lambda x: x**-2.0, lambda x: x**-2, 1e-3, "near a pole"),
    HardCase("1/x", lambda x: 1 / x, lambda x: 1 / x, -2e-4, "near a pole"),
    HardCase("tan(x)", np.tan, mpmath.tan, 1.5707, "near a pole"),
    HardCase("x log x", lambda x: x * np.log(x), lambda x: x * mpmath.log(x), 1e-5, "near a log"),
    HardCase("log(x)", np.log, mpmath.log, 2e-4, "near a log"),
    HardCase("sqrt(x)", np.sqrt, mpmath.sqrt, 1e-6, "near a root"),
    HardCase("x^(1/3)", lambda x: x ** (1 / 3), lambda x: mpmath.cbrt(x), 3e-7, "near a root"),
    HardCase("x^x", lambda x: x**x, lambda x: x**x, 1e-7, "near a log"),
    HardCase(
        "(1 - cos x)/x^2",
        lambda x: (1 - np.cos(x)) / x**2,
        lambda x: (1 - mpmath.cos(x)) / x**2,
        1e-4,
        "cancellation in f",
    ),
    HardCase(
        "exp(x) - 1 - x",
        lambda x: np.exp(x) - 1 - x,
        lambda x: mpmath.exp(x) - 1 - x,
        1e-6,
        "cancellation in f",
    ),
    HardCase("sin(x)/x", lambda x: np.sin(x) / x, lambda x: mpmath.sin(x) / x, 1e-9, "cancellation in f"),
    HardCase("x^2 + 1e8", lambda x: x * x + 1e8, lambda x: x * x + 10**8, 1.0, "tiny f' next to large f"),
    HardCase(
        "sigmoid(x)",
        lambda x: 1 / (1 + np.exp(-x)),
        lambda x: 1 / (1 + mpmath.exp(-x)),
        30.0,
        "tiny f' next to f",
    ),
    HardCase("cosh(x)", np.cosh, mpmath.cosh, 700.0, "large |x|, huge f"),
    HardCase(
        "log(1 + x^2)", lambda x: np.log(1 + x * x), lambda x: mpmath.log(1 + x * x), 3e5, "large |x|, slow f"
    ),
    HardCase(
        "exp(-1/x)",
        lambda x: np.exp(-1 / x),
        lambda x: mpmath.exp(-1 / x),
        0.02,
        "f changes on the scale of x",
    ),
)


@cache
def exact(case: HardCase) -> float:
    """f'(x) from mpmath at DIGITS digits, rounded to a float."""
    with mpmath.workdps(DIGITS):
        return float(mpmath.diff(case.f_mp, mpmath.mpf(case.x)))


def relative_error(value: float, case: HardCase) -> float:
    true = exact(case)
    return abs(value - true) / abs(true)
