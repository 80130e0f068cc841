"""Test functions with their gradient, Hessian and minimizer: a quadratic bowl and Rosenbrock's valley."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from labcode._checks import as_float_array, real_scalar, require_finite, require_positive, shape_str


class Objective:
    """A test function with its gradient and Hessian: ``f(w) -> float``, ``grad(w) -> (d,)``,
    ``hess(w) -> (d, d)``, and its minimizer ``argmin`` (d,) and minimum ``min_value``."""

    def __init__(
        self,
        name: str,
        f: Callable[[np.ndarray], float],
        grad: Callable[[np.ndarray], np.ndarray],
        hess: Callable[[np.ndarray], np.ndarray],
        argmin: np.ndarray,
        min_value: float,
    ) -> None:
        self.name, self.f, self.grad, self.hess = name, f, grad, hess
        self.argmin, self.min_value = argmin, min_value

    def __repr__(self) -> str:
        return f"Objective({self.name}, argmin={np.round(self.argmin, 6).tolist()})"


def quadratic(A: Any, b: Any = None) -> Objective:
    """``f(w) = 1/2 w^T A w - b^T w`` for a symmetric positive definite A: (d, d), b: (d,) (default 0).

    grad(w) = A w - b, hess(w) = A, minimizer A^-1 b. The Hessian's largest eigenvalue L sets gradient
    descent's stability limit lr < 2 / L; L / mu (the condition number) sets its speed.
    """
    A = require_finite(as_float_array(A, "A"), "A")
    if A.ndim != 2 or A.shape[0] != A.shape[1]:
        raise ValueError(f"A must be a square matrix (d, d), got shape {shape_str(A.shape)}")
    if not np.allclose(A, A.T, rtol=1e-12, atol=1e-12 * np.abs(A).max()):
        raise ValueError("A must be symmetric; use (A + A.T) / 2")
    d = A.shape[0]
    if np.linalg.eigvalsh(A).min() <= 0:
        raise ValueError("A must be positive definite (all eigenvalues > 0), so that f has a unique minimum")
    b = np.zeros(d) if b is None else require_finite(as_float_array(b, "b"), "b")
    if b.shape != (d,):
        raise ValueError(f"b must have shape {shape_str((d,))}, got shape {shape_str(b.shape)}")
    A, b = A.copy(), b.copy()
    argmin = np.linalg.solve(A, b)

    def f(w: np.ndarray) -> float:
        w = np.asarray(w, dtype=float)
        return float(0.5 * w @ A @ w - b @ w)

    def grad(w: np.ndarray) -> np.ndarray:
        return A @ np.asarray(w, dtype=float) - b

    def hess(w: np.ndarray) -> np.ndarray:
        return A.copy()

    return Objective(f"quadratic, d={d}", f, grad, hess, argmin, f(argmin))


def rosenbrock(a: float = 1.0, b: float = 100.0) -> Objective:
    """Rosenbrock's banana valley ``f(x, y) = (a - x)^2 + b (y - x^2)^2`` on w = (x, y): (2,).

    Minimum 0 at (a, a^2), at the bottom of a curved, narrow valley: a classic stress test for
    gradient descent. a: any finite number; b > 0 (b = 0 has no valley, b < 0 no minimum).
    """
    a = real_scalar(a, "a")
    b = require_positive(b, "b")

    def f(w: np.ndarray) -> float:
        x, y = np.asarray(w, dtype=float)
        return float((a - x) ** 2 + b * (y - x**2) ** 2)

    def grad(w: np.ndarray) -> np.ndarray:
        x, y = np.asarray(w, dtype=float)
        return np.array([-2 * (a - x) - 4 * b * x * (y - x**2), 2 * b * (y - x**2)])

    def hess(w: np.ndarray) -> np.ndarray:
        x, y = np.asarray(w, dtype=float)
        return np.array([[2 - 4 * b * (y - x**2) + 8 * b * x**2, -4 * b * x], [-4 * b * x, 2 * b]])

    return Objective(f"rosenbrock, a={a:g}, b={b:g}", f, grad, hess, np.array([a, a * a]), 0.0)
