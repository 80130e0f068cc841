"""Gradient descent, momentum and Newton's method that record their whole history for plots.

Every optimizer takes ``grad`` (and ``hess`` for Newton) and a starting point ``w0``, and returns an
:class:`OptimResult` holding the final parameters and the path it walked. ``w0`` is either one array of
any shape or a dict ``{name: array}`` of named parameters (an MLP's ``{"W1": ..., "b1": ...}``); then
``grad`` must return a dict with the same keys and shapes. ``w0`` is never modified.

What is recorded, with ``n = result.n_steps`` updates done:

==============  ===============================================================================
field           meaning
==============  ===============================================================================
``params``      the last iterate ``path[n]``, in w0's structure (an array, or a dict of arrays)
``path``        every iterate ``w_0, ..., w_n``: shape ``(n + 1, *w0.shape)``, or for a dict
                ``{name: (n + 1, *w0[name].shape)}``
``losses``      ``f(w_k)`` for every iterate, ``(n + 1,)``, when ``f`` is given; else ``None``
``grad_norms``  ``||grad(w_k)||`` (Euclidean norm of all parameters' gradients concatenated) for
                every iterate, ``(n + 1,)``; ``nan`` at a non-finite iterate
``converged``   ``grad_norms[n] <= tol`` (always False when ``tol`` is None)
``diverged``    the run stopped because it blew up (see below)
==============  ===============================================================================

When it stops. After ``steps`` updates; earlier when ``tol`` is given and the gradient norm at the
current iterate is ``<= tol`` (converged); earlier when the run diverges: an iterate, its gradient or its
loss is not finite, or the loss or the parameters grow past ``BLOWUP`` times their starting size
(``|f(w_k)| > BLOWUP * (1 + |f(w_0)|)`` or ``||w_k|| > BLOWUP * (1 + ||w_0||)``). Stopping there usually
comes before any overflow; numpy's overflow and invalid-value warnings inside ``f`` and ``grad`` are
silenced during a run, because a run that produces inf or nan says so: ``diverged``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from labcode import tree
from labcode._checks import (
    as_float_array,
    require_callable,
    require_finite,
    require_int,
    require_positive,
    shape_str,
)

__all__ = [
    "BLOWUP",
    "Objective",
    "OptimResult",
    "gradient_descent",
    "momentum",
    "newton",
    "quadratic",
    "rosenbrock",
]

BLOWUP = 1e10
"""Growth factor of the loss or of the parameters' norm past which a run counts as diverged."""

Params = np.ndarray | dict[str, np.ndarray]


@dataclass(frozen=True, eq=False, repr=False)
class OptimResult:
    """What an optimizer did: final parameters, every iterate, and the loss and gradient norm at each.

    ``path``: ``(n_steps + 1, *w0.shape)`` (a dict of such arrays for dict parameters); ``losses`` and
    ``grad_norms``: ``(n_steps + 1,)``. See the module docstring for the exact definitions.
    """

    params: Params
    path: Params
    losses: np.ndarray | None
    grad_norms: np.ndarray
    converged: bool
    diverged: bool
    n_steps: int
    method: str
    options: dict[str, float] = field(default_factory=dict)
    n_grad_evals: int = 0

    @property
    def final_loss(self) -> float | None:
        """``f`` at the last iterate, or None when no ``f`` was given."""
        return None if self.losses is None else float(self.losses[-1])

    @property
    def final_grad_norm(self) -> float:
        """``||grad||`` at the last iterate."""
        return float(self.grad_norms[-1])

    def __repr__(self) -> str:
        opts = "".join(f", {k}={v:g}" for k, v in self.options.items())
        if isinstance(self.params, dict):
            shape = "{" + ", ".join(f"{k!r}: {shape_str(v.shape)}" for k, v in self.params.items()) + "}"
        else:
            shape = shape_str(self.params.shape)
        loss = "" if self.losses is None else f", final_loss={self.final_loss:.4g}"
        return (
            f"OptimResult(method={self.method!r}{opts}, n_steps={self.n_steps}, converged={self.converged}, "
            f"diverged={self.diverged}{loss}, final_grad_norm={self.final_grad_norm:.4g}, params shape {shape})"
        )


def _norm(x: np.ndarray) -> float:
    """Euclidean norm of x: (D,), scaled by max |x_i| so that finite huge entries do not overflow."""
    m = float(np.max(np.abs(x), initial=0.0))
    if m == 0.0 or not np.isfinite(m):
        return m
    return m * float(np.sqrt(np.sum((x / m) ** 2)))


def _loss_value(f: Callable[..., Any], w: Params) -> float:
    value = np.asarray(f(w))
    if value.dtype == object or not (np.issubdtype(value.dtype, np.number) or value.dtype == bool):
        raise TypeError(f"f(w) must return a number, got {type(value).__name__}")
    if np.iscomplexobj(value):
        raise TypeError(f"f(w) must return a real number, got dtype {value.dtype}")
    if value.shape != ():
        raise ValueError(f"f(w) must return a scalar, got an array of shape {shape_str(value.shape)}")
    return float(value)


def _require_beta(beta: Any) -> float:
    if isinstance(beta, bool) or not isinstance(beta, (int, float, np.integer, np.floating)):
        raise TypeError(f"beta must be a number in [0, 1), got {type(beta).__name__}")
    beta = float(beta)
    if not (0.0 <= beta < 1.0):
        raise ValueError(
            f"beta must be in [0, 1), got {beta!r}; beta = 0 is plain gradient descent, "
            "beta >= 1 never forgets old gradients"
        )
    return beta


class _Run:
    """The loop shared by the optimizers: evaluate at the current iterate, record, test, stop."""

    def __init__(
        self,
        grad: Callable[..., Any],
        w0: Any,
        f: Callable[..., Any] | None,
        tol: float | None,
        steps: int,
    ) -> None:
        self.grad = require_callable(grad, "grad")
        self.f = None if f is None else require_callable(f, "f")
        self.x0, self.layout = tree.ravel(w0, "w0")
        self.tol = tol
        self.xs = np.empty((steps + 1, self.x0.size))
        self.losses = np.full(steps + 1, np.nan) if f is not None else None
        self.grad_norms = np.full(steps + 1, np.nan)
        self.n = 0  # index of the current iterate
        self.n_grad_evals = 0
        self.converged = False
        self.diverged = False
        self.x0_norm = _norm(self.x0)
        self.loss0: float | None = None

    def gradient(self, x: np.ndarray) -> np.ndarray:
        self.n_grad_evals += 1
        return self.layout.ravel_like(self.grad(self.layout.unravel(x)), "grad(w)")

    def visit(self, x: np.ndarray) -> np.ndarray | None:
        """Record iterate x: (D,). Return grad(x): (D,), or None when the run must stop here."""
        k = self.n
        self.xs[k] = x
        if not np.all(np.isfinite(x)):
            self.diverged = True
            return None
        if self.losses is not None:
            loss = _loss_value(self.f, self.layout.unravel(x))
            self.losses[k] = loss
            if k == 0:
                if not np.isfinite(loss):
                    raise ValueError(f"f(w0) = {loss!r}; start from a point where the loss is finite")
                self.loss0 = loss
            if not np.isfinite(loss) or abs(loss) > BLOWUP * (1.0 + abs(self.loss0)):
                self.diverged = True
        g = self.gradient(x)
        norm = _norm(g) if np.all(np.isfinite(g)) else np.inf
        self.grad_norms[k] = norm
        if k == 0 and not np.isfinite(norm):
            raise ValueError("grad(w0) is not finite; start from a point where the gradient is finite")
        if not np.isfinite(norm) or _norm(x) > BLOWUP * (1.0 + self.x0_norm):
            self.diverged = True
        if self.diverged:
            return None
        if self.tol is not None and norm <= self.tol:
            self.converged = True
            return None
        return g

    def result(self, method: str, options: dict[str, float]) -> OptimResult:
        n = self.n
        xs = self.xs[: n + 1].copy()
        return OptimResult(
            params=self.layout.unravel(xs[n]),
            path=self.layout.unravel_stack(xs),
            losses=None if self.losses is None else self.losses[: n + 1].copy(),
            grad_norms=self.grad_norms[: n + 1].copy(),
            converged=self.converged,
            diverged=self.diverged,
            n_steps=n,
            method=method,
            options=options,
            n_grad_evals=self.n_grad_evals,
        )


def gradient_descent(
    grad: Callable[..., Any],
    w0: Any,
    *,
    lr: float,
    steps: int = 1000,
    f: Callable[..., Any] | None = None,
    tol: float | None = None,
) -> OptimResult:
    """Plain gradient descent, ``w <- w - lr * grad(w)``.

    grad: w -> array of w's shape (or a dict like w0); w0: an array of any shape or a dict of arrays;
    lr > 0: the learning rate; steps >= 0: the most updates to do; f: the loss, recorded when given;
    tol: stop once ``||grad(w)|| <= tol``. On a quadratic with Hessian eigenvalues in [mu, L] it
    converges for every w0 iff ``0 < lr < 2 / L``.
    """
    lr = require_positive(lr, "lr")
    steps = require_int(steps, "steps", minimum=0)
    tol = None if tol is None else require_positive(tol, "tol", or_zero=True)
    run = _Run(grad, w0, f, tol, steps)
    x = run.x0.copy()
    # a diverging run overflows on its last step; diverged reports it, so numpy need not warn
    with np.errstate(over="ignore", invalid="ignore"):
        g = run.visit(x)
        while g is not None and run.n < steps:
            x = x - lr * g
            run.n += 1
            g = run.visit(x)
    return run.result("gradient_descent", {"lr": lr})


def momentum(
    grad: Callable[..., Any],
    w0: Any,
    *,
    lr: float,
    beta: float = 0.9,
    steps: int = 1000,
    f: Callable[..., Any] | None = None,
    tol: float | None = None,
    nesterov: bool = False,
) -> OptimResult:
    """Gradient descent with (heavy-ball) momentum.

    The convention (PyTorch's SGD): a velocity ``v`` that starts at 0 sums past gradients,
    ``v <- beta * v + grad(w)``, then ``w <- w - lr * v``. So a constant gradient g makes steps that
    approach ``lr * g / (1 - beta)``: with beta = 0.9 momentum moves 10 times as far as gradient descent
    with the same lr. ``nesterov=True`` evaluates the gradient at the look-ahead point instead,
    ``v <- beta * v + grad(w - lr * beta * v)`` (Sutskever et al.'s form); it then also evaluates
    ``grad(w)`` at each iterate to record ``grad_norms``, two gradient calls per step
    (``result.n_grad_evals`` counts them). ``beta = 0`` is plain gradient descent.

    Arguments as in :func:`gradient_descent`; beta in [0, 1).
    """
    lr = require_positive(lr, "lr")
    beta = _require_beta(beta)
    steps = require_int(steps, "steps", minimum=0)
    tol = None if tol is None else require_positive(tol, "tol", or_zero=True)
    run = _Run(grad, w0, f, tol, steps)
    x = run.x0.copy()
    v = np.zeros_like(x)
    with np.errstate(over="ignore", invalid="ignore"):
        g = run.visit(x)
        while g is not None and run.n < steps:
            if nesterov:
                ahead = x - lr * beta * v
                g = run.gradient(ahead)
                if not np.all(np.isfinite(g)):
                    run.diverged = True
                    break
            v = beta * v + g
            x = x - lr * v
            run.n += 1
            g = run.visit(x)
    method = "nesterov" if nesterov else "momentum"
    return run.result(method, {"lr": lr, "beta": beta})


def newton(
    grad: Callable[..., Any],
    hess: Callable[..., Any],
    w0: Any,
    *,
    steps: int = 50,
    f: Callable[..., Any] | None = None,
    tol: float | None = 1e-10,
    damping: float = 0.0,
) -> OptimResult:
    """Newton's method, ``w <- w - (H + damping * I)^-1 grad(w)`` with ``H = hess(w)``.

    w0: (d,) (a 1-D array only); grad: (d,) -> (d,); hess: (d,) -> (d, d). The step solves the linear
    system (np.linalg.solve) rather than inverting H. On a quadratic ``1/2 w^T A w - b^T w`` with SPD
    A, one undamped step lands exactly on the minimizer ``A^-1 b``. Newton heads for the stationary
    point of the local quadratic model, which is a maximum or a saddle where H is not positive definite;
    ``damping > 0`` shifts every eigenvalue by ``damping``, shortening the step and making an
    indefinite or singular H usable. Raises ValueError when H is not finite or singular.
    """
    require_callable(hess, "hess")
    steps = require_int(steps, "steps", minimum=0)
    tol = None if tol is None else require_positive(tol, "tol", or_zero=True)
    damping = require_positive(damping, "damping", or_zero=True)
    if isinstance(w0, Mapping):
        raise TypeError("newton takes w0 as a 1-D array (d,), not a dict; flatten the parameters first")
    w0_arr = as_float_array(w0, "w0")
    if w0_arr.ndim != 1:
        raise ValueError(f"newton needs w0 of shape (d,), got shape {shape_str(w0_arr.shape)}")
    d = w0_arr.size
    run = _Run(grad, w0_arr, f, tol, steps)
    x = run.x0.copy()
    with np.errstate(over="ignore", invalid="ignore"):
        g = run.visit(x)
        while g is not None and run.n < steps:
            H = as_float_array(hess(x.copy()), "hess(w)")
            if H.shape != (d, d):
                raise ValueError(f"hess(w) has shape {shape_str(H.shape)}, expected {shape_str((d, d))}")
            if not np.all(np.isfinite(H)):
                raise ValueError(
                    f"hess(w) is not finite at step {run.n} (w = {x!r}); "
                    "start closer to a minimum or use gradient descent"
                )
            M = H + damping * np.eye(d)
            # a singular (or numerically singular) system has no unique Newton step
            if np.linalg.cond(M) > 1.0 / np.finfo(float).eps:
                raise ValueError(
                    f"hess(w) + damping * I is singular at step {run.n} (damping = {damping:g}; "
                    f"eigenvalues of H: {np.round(np.linalg.eigvalsh((H + H.T) / 2), 6).tolist()}); "
                    "add damping > 0 to shift the eigenvalues away from 0"
                )
            x = x - np.linalg.solve(M, g)
            run.n += 1
            g = run.visit(x)
    return run.result("newton", {"damping": damping} if damping else {})


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
    gradient descent.
    """

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
