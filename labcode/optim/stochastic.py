"""The optimizers that train models: SGD (with momentum), RMSProp, Adam and AdamW, on mini-batches or full gradients.

Their update rules and defaults are torch.optim's (``SGD``, ``RMSprop``, ``Adam``, ``AdamW``), and the tests check
them against it step by step. The calling convention is :func:`gradient_descent`'s, ``(grad, w0, *, lr,
steps, f, tol)``, with the same :class:`OptimResult` and the same parameters (one array or a dict of
arrays), plus:

- ``lr``: a number or a schedule (:mod:`labcode.optim.schedules`); update t uses ``lr(t)``.
- ``batches``: ``None`` calls ``grad(w)``, the full gradient. A :class:`Minibatches` calls
  ``grad(w, idx)`` instead, with ``idx`` the ``(B,)`` int indices of the examples drawn for that update;
  ``grad`` returns the gradient of the loss averaged over those examples. ``grad_norms`` then records the
  norm of the mini-batch gradient each update used (no full gradient is computed), and ``tol`` is not
  allowed: a mini-batch gradient need not vanish at the minimum. ``f`` is still the full loss, ``f(w)``.

Each update evaluates one gradient, at the current iterate (``n_grad_evals == n_steps + 1``: the last
iterate's gradient is recorded too).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import numpy as np

from labcode._checks import require_callable, require_flag, require_int, require_positive
from labcode.optim._run import OptimResult, _require_beta, _Run
from labcode.optim.batches import Minibatches
from labcode.optim.schedules import Schedule, learning_rate

__all__ = ["adam", "adamw", "rmsprop", "sgd"]


def _require_betas(betas: Any) -> tuple[float, float]:
    """Adam's and AdamW's ``betas``: a pair of decay rates, each in [0, 1)."""
    if not isinstance(betas, (tuple, list)) or len(betas) != 2:
        raise TypeError(f"betas must be a pair (beta1, beta2), got {betas!r}")
    return _require_beta(betas[0], "betas[0]"), _require_beta(betas[1], "betas[1]")


def _takes_indices(grad: Callable[..., Any]) -> None:
    """Refuse, before the run, a grad that cannot be called as ``grad(w, idx)`` (what batches= does)."""
    try:
        signature = inspect.signature(grad)
    except (TypeError, ValueError):  # a builtin or extension without a signature: let the call tell
        return
    try:
        signature.bind(None, None)
    except TypeError:
        name = getattr(grad, "__name__", type(grad).__name__)
        raise TypeError(
            f"with batches=, grad is called as grad(w, idx), idx the (B,) indices of the examples drawn "
            f"for the update, but {name}{signature} takes no idx: give grad a second parameter and return "
            f"the gradient of the loss averaged over X[idx], or leave batches=None for full gradients"
        ) from None


def _start(
    grad: Callable[..., Any],
    w0: Any,
    *,
    lr: Any,
    steps: Any,
    f: Callable[..., Any] | None,
    tol: Any,
    batches: Minibatches | None,
) -> tuple[_Run, Callable[[int], float], dict[str, Any]]:
    """Check the shared arguments; return the run, ``lr`` as a function of t, and the options to record."""
    require_callable(grad, "grad")
    rate = learning_rate(lr)
    steps = require_int(steps, "steps", minimum=0)
    tol = None if tol is None else require_positive(tol, "tol", or_zero=True)
    options: dict[str, Any] = {"lr": float(lr) if isinstance(lr, (int, float, np.number)) else lr}
    if batches is not None:
        if not isinstance(batches, Minibatches):
            raise TypeError(
                f"batches must be None (full gradients) or a Minibatches, got {type(batches).__name__}"
            )
        if tol is not None:
            raise ValueError(
                "tol needs the full gradient, but with batches grad_norms records mini-batch gradients, "
                "whose norm need not vanish at the minimum; leave tol=None and watch the loss f"
            )
        _takes_indices(grad)
        stream = batches.stream()
        full_grad = grad

        def grad(w: Any) -> Any:
            return full_grad(w, next(stream))

        options["batch_size"] = batches.batch_size
    return _Run(grad, w0, f, tol, steps), rate, options


def sgd(
    grad: Callable[..., Any],
    w0: Any,
    *,
    lr: float | Schedule,
    steps: int = 1000,
    f: Callable[..., Any] | None = None,
    tol: float | None = None,
    momentum: float = 0.0,
    nesterov: bool = False,
    batches: Minibatches | None = None,
) -> OptimResult:
    """Stochastic gradient descent, torch.optim.SGD's update (dampening 0, no weight decay).

    With g_t the (mini-batch) gradient at w_t: ``w <- w - lr(t) * g`` when momentum = 0; else a buffer
    ``b <- momentum * b + g`` (b starts at 0) and ``w <- w - lr(t) * b``, or with ``nesterov=True``
    ``w <- w - lr(t) * (g + momentum * b)``. Full-batch with a constant lr, momentum = 0 is exactly
    :func:`gradient_descent` and momentum > 0 exactly :func:`momentum`; the Nesterov iterates here are the
    look-ahead points ``w_k - lr * beta * v_k`` of ``momentum(..., nesterov=True)``.

    grad: ``grad(w)``, or ``grad(w, idx)`` with ``idx: (B,)`` when ``batches`` is given; w0: an array of any
    shape or a dict of arrays; lr > 0 or a schedule; momentum in [0, 1). Other arguments as in
    :func:`gradient_descent`; ``batches`` and ``tol`` as in this module's docstring.
    """
    run, rate, options = _start(grad, w0, lr=lr, steps=steps, f=f, tol=tol, batches=batches)
    beta = _require_beta(momentum, "momentum")
    nesterov = require_flag(nesterov, "nesterov")
    if nesterov and beta == 0:
        raise ValueError(
            "nesterov=True needs momentum > 0 (with momentum = 0 there is nothing to look ahead with)"
        )
    buffer = np.zeros_like(run.x0)

    def update(x: np.ndarray, g: np.ndarray, t: int) -> np.ndarray:
        nonlocal buffer
        if beta == 0:
            return x - rate(t) * g
        buffer = beta * buffer + g
        return x - rate(t) * (g + beta * buffer if nesterov else buffer)

    run.walk(run.x0.copy(), update)
    if beta:
        options["momentum"] = beta
    return run.result("sgd_nesterov" if nesterov else "sgd", options)


def rmsprop(
    grad: Callable[..., Any],
    w0: Any,
    *,
    lr: float | Schedule,
    steps: int = 1000,
    f: Callable[..., Any] | None = None,
    tol: float | None = None,
    alpha: float = 0.99,
    eps: float = 1e-8,
    batches: Minibatches | None = None,
) -> OptimResult:
    """RMSProp, torch.optim.RMSprop's update (not centred, no momentum, no weight decay).

    Each coordinate gets its own step: a running average of the squared gradient ``s <- alpha * s +
    (1 - alpha) * g**2`` (s starts at 0; all operations elementwise, shape of w) divides the step,
    ``w <- w - lr(t) * g / (sqrt(s) + eps)``. A coordinate whose gradients are large takes proportionally
    smaller steps, so the step's size no longer depends on how each feature is scaled. alpha in [0, 1);
    eps > 0 keeps the division finite where s is 0. Other arguments as in :func:`sgd`.
    """
    run, rate, options = _start(grad, w0, lr=lr, steps=steps, f=f, tol=tol, batches=batches)
    alpha = _require_beta(alpha, "alpha")
    eps = require_positive(eps, "eps")
    square_avg = np.zeros_like(run.x0)

    def update(x: np.ndarray, g: np.ndarray, t: int) -> np.ndarray:
        nonlocal square_avg
        square_avg = alpha * square_avg + (1.0 - alpha) * g * g
        return x - rate(t) * g / (np.sqrt(square_avg) + eps)

    run.walk(run.x0.copy(), update)
    return run.result("rmsprop", {**options, "alpha": alpha, "eps": eps})


def _adam_update(
    x0: np.ndarray,
    rate: Callable[[int], float],
    beta1: float,
    beta2: float,
    eps: float,
    *,
    bias_correction: bool = True,
    weight_decay: float = 0.0,
) -> Callable[[np.ndarray, np.ndarray, int], np.ndarray]:
    """Adam's update as the closure ``run.walk`` calls with (x, g, t): the two moments (state kept here), bias
    corrected unless told not to, and for AdamW the decoupled shrink first. One rule for :func:`adam` and
    :func:`adamw`."""
    m, v = np.zeros_like(x0), np.zeros_like(x0)

    def update(x: np.ndarray, g: np.ndarray, t: int) -> np.ndarray:
        nonlocal m, v
        if weight_decay:
            x = x * (1.0 - rate(t) * weight_decay)  # decoupled: not part of g, not divided by sqrt(v_hat)
        m = beta1 * m + (1.0 - beta1) * g
        v = beta2 * v + (1.0 - beta2) * g * g
        if not bias_correction:
            return x - rate(t) * m / (np.sqrt(v) + eps)
        k = t + 1
        return x - (rate(t) / (1.0 - beta1**k)) * m / (np.sqrt(v) / np.sqrt(1.0 - beta2**k) + eps)

    return update


def adam(
    grad: Callable[..., Any],
    w0: Any,
    *,
    lr: float | Schedule,
    steps: int = 1000,
    f: Callable[..., Any] | None = None,
    tol: float | None = None,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
    bias_correction: bool = True,
    batches: Minibatches | None = None,
) -> OptimResult:
    """Adam, torch.optim.Adam's update (no weight decay, no AMSGrad).

    Two running averages, both starting at 0 and elementwise: the first moment ``m <- beta1 * m +
    (1 - beta1) * g`` and the second ``v <- beta2 * v + (1 - beta2) * g**2``. Starting at 0 biases both
    towards 0, by the factors ``1 - beta1**k`` and ``1 - beta2**k`` after k updates; the bias correction
    divides them out: ``w <- w - lr(t) * m_hat / (sqrt(v_hat) + eps)`` with ``m_hat = m / (1 - beta1**k)``,
    ``v_hat = v / (1 - beta2**k)``, k = t + 1. ``bias_correction=False`` uses m and v as they are (not in
    torch; for seeing what the correction does). betas: two numbers in [0, 1); eps > 0. Other arguments as
    in :func:`sgd`.
    """
    run, rate, options = _start(grad, w0, lr=lr, steps=steps, f=f, tol=tol, batches=batches)
    beta1, beta2 = _require_betas(betas)
    eps = require_positive(eps, "eps")
    bias_correction = require_flag(bias_correction, "bias_correction")
    update = _adam_update(run.x0, rate, beta1, beta2, eps, bias_correction=bias_correction)
    run.walk(run.x0.copy(), update)
    options = {**options, "beta1": beta1, "beta2": beta2, "eps": eps}
    if not bias_correction:
        options["bias_correction"] = False
    return run.result("adam", options)


def adamw(
    grad: Callable[..., Any],
    w0: Any,
    *,
    lr: float | Schedule,
    steps: int = 1000,
    f: Callable[..., Any] | None = None,
    tol: float | None = None,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
    weight_decay: float = 0.01,
    batches: Minibatches | None = None,
) -> OptimResult:
    """AdamW, torch.optim.AdamW's update (no AMSGrad): Adam with *decoupled* weight decay.

    Each update first shrinks every parameter by the same factor, ``w <- (1 - lr(t) * weight_decay) * w``,
    then takes :func:`adam`'s step (bias-corrected moments of g, the gradient of the loss alone). Weight decay
    written as L2 in the loss instead, ``grad(w) + weight_decay * w`` fed to :func:`adam` (what
    ``torch.optim.Adam(weight_decay=...)`` does), passes through Adam's division by ``sqrt(v_hat)``: each
    coordinate's decay is rescaled by its gradients' size. Decoupled, it is not. weight_decay >= 0 (0 is
    :func:`adam`); other arguments as in :func:`adam`.
    """
    run, rate, options = _start(grad, w0, lr=lr, steps=steps, f=f, tol=tol, batches=batches)
    beta1, beta2 = _require_betas(betas)
    eps = require_positive(eps, "eps")
    weight_decay = require_positive(weight_decay, "weight_decay", or_zero=True)
    update = _adam_update(run.x0, rate, beta1, beta2, eps, weight_decay=weight_decay)
    run.walk(run.x0.copy(), update)
    return run.result(
        "adamw", {**options, "beta1": beta1, "beta2": beta2, "eps": eps, "weight_decay": weight_decay}
    )
