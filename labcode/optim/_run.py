"""The loop every optimizer shares (``_Run``: evaluate at the current iterate, record, test for
convergence and divergence, stop) and what it returns (``OptimResult``). See labcode.optim's docstring."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from labcode import tree
from labcode._checks import require_callable, require_positive, scalar_output, shape_str

BLOWUP = 1e10
"""Growth factor of the loss or of the parameters' norm past which a run counts as diverged."""

Params = np.ndarray | dict[str, np.ndarray]


@dataclass(frozen=True, eq=False, repr=False)
class OptimResult:
    """What an optimizer did: final parameters, every iterate, and the loss and gradient norm at each.

    ``path``: ``(n_steps + 1, *w0.shape)`` (a dict of such arrays for dict parameters); ``losses`` and
    ``grad_norms``: ``(n_steps + 1,)``. See labcode.optim's docstring for the exact definitions.
    """

    params: Params
    path: Params
    losses: np.ndarray | None
    grad_norms: np.ndarray
    converged: bool
    diverged: bool
    n_steps: int
    method: str
    options: dict[str, Any] = field(default_factory=dict)
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
        opts = "".join(
            f", {k}={v:g}" if isinstance(v, float) else f", {k}={v!r}" for k, v in self.options.items()
        )
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
    """Euclidean norm of x: (D,), scaled by max |x_i| so that finite huge entries do not overflow.

    Array methods rather than numpy's functions: the same reductions, without the functions' dispatch,
    which was a fifth of a small problem's step (the loop calls this twice per step)."""
    m = float(np.abs(x).max(initial=0.0))
    if m == 0.0 or not math.isfinite(m):
        return m
    y = x / m
    return m * math.sqrt(float((y * y).sum()))


def _loss_value(f: Callable[..., Any], w: Params) -> float:
    value = scalar_output(f(w), "f(w)")
    if isinstance(value, complex):
        raise TypeError(f"f(w) must return a real number, got {value!r}")
    return float(value)


def _require_beta(beta: Any, name: str = "beta") -> float:
    """A decay rate of a running average of gradients (momentum's beta, RMSProp's alpha, Adam's betas)."""
    why = (
        f"{name} must be in [0, 1): {name} = 0 keeps only the latest gradient (for momentum: plain gradient "
        f"descent), {name} >= 1 never forgets old gradients"
    )
    return require_positive(beta, name, or_zero=True, below=1.0, why=why)


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
        self.steps = steps
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
        if not np.isfinite(x).all():
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
        norm = _norm(g) if np.isfinite(g).all() else np.inf
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

    def walk(self, x: np.ndarray, update: Callable[[np.ndarray, np.ndarray, int], np.ndarray]) -> None:
        """Visit x: (D,), then ``x <- update(x, g, t)`` for updates t = 0, 1, ... (g: (D,), the gradient at
        x) until ``steps`` updates are done or the run stops."""
        # a diverging run overflows on its last step; diverged reports it, so numpy need not warn
        with np.errstate(over="ignore", invalid="ignore"):
            g = self.visit(x)
            while g is not None and self.n < self.steps:
                x = update(x, g, self.n)
                self.n += 1
                g = self.visit(x)

    def result(self, method: str, options: dict[str, Any]) -> OptimResult:
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
