"""The deterministic first- and second-order methods: gradient descent, momentum (heavy ball, Nesterov),
Newton. Each walks from ``w0`` with the full gradient and returns an :class:`OptimResult`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from labcode._checks import (
    as_float_array,
    require_callable,
    require_flag,
    require_int,
    require_positive,
    shape_str,
)
from labcode.optim._run import OptimResult, _require_beta, _Run


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

    >>> result = gradient_descent(lambda w: 2 * (w - 3.0), np.array([0.0]), lr=0.5, steps=20, tol=1e-12)
    >>> result.converged, result.n_steps, result.params  # lr = 1 / L lands on the minimum in one step
    (True, 1, array([3.]))
    >>> gradient_descent(lambda w: w, np.array([1.0]), lr=-0.1)
    Traceback (most recent call last):
    ...
    ValueError: lr must be a finite number > 0, got -0.1
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

    >>> momentum(lambda w: w, np.array([1.0]), lr=0.1, nesterov="False")  # "False" is a true string
    Traceback (most recent call last):
    ...
    TypeError: nesterov must be True or False, got 'False' (str)
    """
    lr = require_positive(lr, "lr")
    beta = _require_beta(beta)
    nesterov = require_flag(nesterov, "nesterov")
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
