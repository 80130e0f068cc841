"""Lab 1, Gradients: the checks behind ``book/labs/lab1_gradients.ipynb``.

Five tasks; each check draws fresh random problems (so a hard-coded answer fails), compares the
student's functions with labcode's reference (``labcode.losses``, exact gradients, and
``labcode.gradcheck.check_gradient``) and prints a verdict with a hint:

====  ======================  =======================================================  ======
task  check                   the student's functions                                  points
====  ======================  =======================================================  ======
1     check_numerical_gradient  ``numerical_gradient(f, w, eps=1e-5) -> (d,)``          1
2     check_mse               ``mse_loss(w, X, y) -> float``, ``mse_grad(w, X, y) -> (d,)``  1
3     check_bce               ``sigmoid(z)``, ``bce_loss(w, X, y)``, ``bce_grad(w, X, y) -> (d,)``  1
4     check_hessian           ``numerical_hessian(f, w, eps=1e-4) -> (d, d)``          2
5     check_softmax           ``softmax(Z) -> (n, k)``, ``softmax_ce_loss(W, X, y)``,  1
                              ``softmax_ce_grad(W, X, y) -> (d, k)`` (stretch)
====  ======================  =======================================================  ======

Shapes: X (n, d), w (d,), y (n,) (0/1 labels for BCE, integer classes in range(k) for softmax),
W (d, k), Z (n, k). ``progress`` counts the solved tasks.

It is one module of about 550 lines on purpose: each task's problems, hints and check read together,
in the lab's order (the shared machinery is in :mod:`labcode.labs.framework` and :mod:`labcode.labs.checking`).
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from labcode import losses
from labcode.labs.checking import (
    Known,
    as_number,
    call,
    compare,
    expect,
    expect_finite,
    fmt,
    gradient_check,
    mismatch,
)
from labcode.labs.framework import Fail, Lab, Task, Verdict

__all__ = [
    "LAB",
    "check_bce",
    "check_hessian",
    "check_mse",
    "check_numerical_gradient",
    "check_softmax",
    "progress",
]

Rng = np.random.Generator


# ---------------------------------------------------------------------------------------------------------
# Task 1: the central difference


def _smooth_problem(
    rng: Rng, d: int
) -> tuple[Callable[[np.ndarray], float], np.ndarray, np.ndarray, np.ndarray]:
    """f(w) = sum(a sin(b w)) + w A w / 2 + c w at a random w (d,): returns f, w, grad f(w), diag of the Hessian.

    Every ingredient is random, so no printed answer from an earlier run can match.
    """
    a = rng.uniform(0.5, 2.0, d) * rng.choice([-1.0, 1.0], d)
    b = rng.uniform(0.5, 2.0, d)
    M = rng.normal(size=(d, d))
    A = (M + M.T) / 2
    c = rng.normal(size=d)
    w = rng.normal(size=d)

    def f(v: np.ndarray) -> float:
        return float(np.sum(a * np.sin(b * v)) + 0.5 * v @ A @ v + c @ v)

    grad = a * b * np.cos(b * w) + A @ w + c
    hess_diag = -a * b**2 * np.sin(b * w) + np.diag(A)
    return f, w, grad, hess_diag


NUMERICAL_GRADIENT_HINTS = {
    "factor:2": "the two points w + eps e_i and w - eps e_i are 2 eps apart: divide by 2 * eps, not eps",
    "factor:0.5": "divide the difference f(w + eps e_i) - f(w - eps e_i) by 2 * eps (once)",
    "sign": "compute f(w + eps e_i) - f(w - eps e_i), in that order",
    "shape": "return an array shaped like w: start from grad = np.zeros_like(w) and fill grad[i]",
    "zero": "fill grad[i] for every i: is the loop body running, and is its result stored?",
    "partial": "some coordinates are right and some wrong: does the loop visit every i in range(len(w)), "
    "and does each step start again from the original w?",
    "nonfinite": "nan or inf: is eps zero, or is f evaluated at a nan?",
    "default": "grad[i] = (f(w + eps e_i) - f(w - eps e_i)) / (2 eps), where e_i is the i-th unit vector",
}


def _default_eps(fn: Any) -> float | None:
    """The default value of the third parameter of the student's function, if it has one."""
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return None
    if len(params) >= 3 and isinstance(params[2].default, (int, float)):
        return float(params[2].default)
    return None


def _one_sided(got: Any, exact: np.ndarray, hess_diag: np.ndarray) -> str | None:
    """'forward' or 'backward' when got - exact ~ c * f''(w) (a one-sided difference errs by eps/2 f'')."""
    residual = np.asarray(got, dtype=np.float64) - exact
    if not np.any(residual):
        return None
    c = float(residual @ hess_diag) / float(hess_diag @ hess_diag)
    if np.max(np.abs(residual - c * hess_diag)) > 0.1 * np.max(np.abs(residual)):
        return None
    return "forward" if c > 0 else "backward"


def _evaluate_numerical_gradient(rng: Rng, numerical_gradient: Any) -> str:
    # Problem 1 with the student's default eps, problem 2 with eps = 1e-4 passed in: a one-sided difference
    # errs by eps/2 |f''| ~ 1e-4 there, far above the tolerance, while the central difference errs by ~1e-9.
    for eps in (None, 1e-4):
        f, w, exact, hess_diag = _smooth_problem(rng, int(rng.integers(3, 8)))
        given = w.copy()
        name = "numerical_gradient(f, w)" if eps is None else f"numerical_gradient(f, w, {eps:g})"
        got = call(name, numerical_gradient, f, given, *([] if eps is None else [eps]))
        moved = float(np.max(np.abs(given - w)))
        if moved > 1e-9 * max(1.0, float(np.max(np.abs(w)))):
            raise Fail(
                f"{name} changed its argument w (by up to {fmt(moved)})",
                "perturb a copy (w_plus = w.copy(); w_plus[i] += eps), so the caller's w stays as it was",
            )
        result = compare(got, exact, rtol=1e-6)
        if result.ok:
            continue
        if result.kind not in ("shape", "transpose", "error", "nonfinite"):
            side = _one_sided(got, exact, hess_diag)
            if side is not None:
                raise Fail(
                    f"{name} is off by an error proportional to f''(w): the signature of a {side} difference",
                    "use the central difference (f(w + eps e_i) - f(w - eps e_i)) / (2 eps): its error "
                    "shrinks like eps^2, a one-sided difference's only like eps",
                    kind=result.kind,
                )
            default = _default_eps(numerical_gradient)
            if eps is None and default is not None and default != 1e-5:
                retry = call("numerical_gradient(f, w, 1e-5)", numerical_gradient, f, w.copy(), 1e-5)
                if compare(retry, exact, rtol=1e-6).ok:
                    size = "too small: round-off" if default < 1e-5 else "too large: truncation error"
                    raise Fail(
                        f"{name} is right with eps=1e-5 but not with its default eps={default:g}",
                        f"eps={default:g} is {size} dominates; the default eps=1e-5 balances the two",
                        kind=result.kind,
                    )
        raise mismatch(name, result, "the true gradient", NUMERICAL_GRADIENT_HINTS)
    return "right on 2 fresh random functions"


# ---------------------------------------------------------------------------------------------------------
# Task 2: mean squared error


def _regression_problem(rng: Rng) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """X (n, d), y (n,), w (d,) with n in [20, 60) and d in [2, 6): n is never d, nor 2."""
    n, d = int(rng.integers(20, 60)), int(rng.integers(2, 6))
    X = rng.normal(size=(n, d))
    y = X @ rng.normal(size=d) + 0.5 * rng.normal(size=n)
    return X, y, rng.normal(size=d)


MSE_LOSS_HINTS = {
    "factor:n": "the loss is a mean: divide the sum of squares by n (np.mean does it)",
    "factor:1/n": "divide by n once: np.mean already divides",
    "factor:2": "L = (1/n) sum (x_i . w - y_i)^2 has no 2: the 2 appears in the gradient",
    "factor:0.5": "L = (1/n) sum r_i^2, not (1/(2n)) sum r_i^2",
    "default": "L = (1/n) sum (x_i . w - y_i)^2: r = X @ w - y, then np.mean(r ** 2)",
}

MSE_GRAD_HINTS = {
    "factor:0.5": "the derivative of r_i^2 is 2 r_i: the gradient is (2/n) X^T r, keep the 2",
    "factor:2": "the gradient is (2/n) X^T r: there is one 2, not two",
    "factor:n": "divide by n: the loss is a mean, so its gradient is (2/n) X^T r",
    "factor:1/n": "divide by n once: (2/n) X^T r",
    "sign": "r = X @ w - y (prediction minus target); with y - X @ w the gradient flips sign",
    "shape": "keep w (d,) and y (n,) 1-D: then r = X @ w - y is (n,) and X.T @ r is (d,)",
    "transpose": "X.T @ r has shape (d,): the gradient always has the shape of w",
    "default": "grad = (2/n) X^T (X w - y): compare yours term by term",
}


def _evaluate_mse(rng: Rng, mse_loss: Any, mse_grad: Any) -> str:
    X, y, w = _regression_problem(rng)
    n = X.shape[0]
    name = "mse_loss(w, X, y)"
    value = as_number(name, call(name, mse_loss, w.copy(), X.copy(), y.copy()))
    column_y = Known(
        float(np.mean((X @ w - y[:, None]) ** 2)),
        f"{name} subtracts y as a column of shape (n, 1) from X @ w of shape (n,): broadcasting makes r an "
        "(n, n) matrix of every prediction minus every target",
        "keep y 1-D, shape (n,) (no reshape(-1, 1), no y[:, None]): then r = X @ w - y is (n,); print r.shape",
    )
    expect(
        name,
        value,
        losses.mse(w, X, y),
        "the mean squared error",
        MSE_LOSS_HINTS,
        rtol=1e-8,
        n=n,
        known=[column_y],
    )
    gradient_check(
        "mse_grad(w, X, y)",
        lambda v: losses.mse(v, X, y),
        lambda v: mse_grad(v, X.copy(), y.copy()),
        w,
        MSE_GRAD_HINTS,
        n=n,
    )
    return "loss and gradient right on a fresh random problem"


# ---------------------------------------------------------------------------------------------------------
# Task 3: binary cross-entropy


def _logistic_problem(rng: Rng, scale: float = 0.7) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """X (n, d), 0/1 labels y (n,), w (d,) ~ N(0, scale^2): moderate logits |z| < ~5 for scale 0.7."""
    n, d = int(rng.integers(20, 60)), int(rng.integers(2, 6))
    X = rng.normal(size=(n, d))
    p = losses.sigmoid(X @ rng.normal(size=d))
    y = (rng.uniform(size=n) < p).astype(np.float64)
    return X, y, scale * rng.normal(size=d)


# The facts the BCE hints quote, derived here so that the hints and the check cannot disagree (float64):
EXTREME_LOGIT = 800.0  # the largest |z| the check tries
ROUNDS_TO_ONE = -math.log(np.finfo(np.float64).eps / 2)  # 36.7: above it 1 + exp(-z) rounds to 1, so p == 1
ROUNDS_TO_ZERO = -math.log(np.finfo(np.float64).max)  # -709.8: below it exp(-z) overflows, so p == 0
CLIP_EPS = 1e-15  # the clip of chapter 4 in float64 (float32 needs 1e-7: 1 - 1e-15 rounds to 1 there)


def _extreme_logits(rng: Rng, X: np.ndarray, y: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """w scaled so the largest |z| is EXTREME_LOGIT, and labels that contradict half of the confident predictions.

    There p = sigmoid(z) rounds to exactly 0 or 1 (see ROUNDS_TO_ONE, ROUNDS_TO_ZERO), so log(0) gives -inf.
    """
    z = X @ w
    big = w * (EXTREME_LOGIT / max(float(np.max(np.abs(z))), 1e-12))
    flip = rng.uniform(size=y.size) < 0.5
    return big, np.where(flip, (X @ big < 0).astype(np.float64), y)


SIGMOID_HINTS = {
    "nonfinite": "exp(z) overflows to inf for z > 709 and inf/inf = nan: use 1 / (1 + np.exp(-z)) "
    "(which tends to 0, harmlessly) or clip z to [-500, 500]",
    "shape": "sigmoid acts entry by entry: return an array shaped like z",
    "default": "sigmoid(z) = 1 / (1 + exp(-z)), entry by entry",
}

BCE_LOSS_HINTS = {
    "sign": "BCE = -(1/n) sum [y log p + (1 - y) log(1 - p)]: the leading minus makes it positive",
    "factor:n": "the loss is a mean: divide by n (np.mean)",
    "factor:1/n": "divide by n once",
    "default": "BCE = -(1/n) sum [y log p + (1 - y) log(1 - p)] with p = sigmoid(X @ w): which term gets y, "
    "which 1 - y?",
}

BCE_GRAD_HINTS = {
    "factor:n": "divide by n: grad = X^T (p - y) / n",
    "factor:1/n": "divide by n once: grad = X^T (p - y) / n",
    "sign": "p - y, not y - p: grad = X^T (p - y) / n",
    "shape": "grad = X.T @ (p - y) / n has the shape of w, (d,): keep p and y 1-D",
    "default": "grad = X^T (p - y) / n with p = sigmoid(X @ w)",
}

UNSTABLE_LOG = (
    f"p = sigmoid(z) rounds to exactly 1 once z > {ROUNDS_TO_ONE:.0f} (1 + exp(-z) rounds to 1) and to exactly 0 "
    f"once z < {ROUNDS_TO_ZERO:.0f} (exp(-z) overflows), and log(0) = -inf: work from the logits, log p = "
    f"-np.logaddexp(0, -z) and log(1 - p) = -np.logaddexp(0, z), or at least clip p to [{CLIP_EPS:g}, "
    f"1 - {CLIP_EPS:g}] with np.clip (chapter 4: clipping caps the loss and zeroes its gradient there)"
)


def _evaluate_bce(rng: Rng, sigmoid: Any, bce_loss: Any, bce_grad: Any) -> str:
    # sigmoid, at moderate and at extreme z
    z = np.concatenate(
        [
            rng.normal(scale=4.0, size=int(rng.integers(5, 12))),
            [-EXTREME_LOGIT, -40.0, 0.0, 40.0, EXTREME_LOGIT],
        ]
    )
    expected = losses.sigmoid(z)
    flipped = Known(
        1 - expected, "sigmoid(z) returns sigmoid(-z)", "mind the minus: sigmoid(z) = 1 / (1 + exp(-z))"
    )
    got = call("sigmoid(z)", sigmoid, z.copy())
    expect(
        "sigmoid(z)",
        got,
        expected,
        "the true sigmoid",
        SIGMOID_HINTS,
        rtol=1e-9,
        known=[flipped],
        context=f" (z holds values up to +-{EXTREME_LOGIT:g})",
    )

    # the loss, on moderate logits, then on extreme ones
    X, y, w = _logistic_problem(rng)
    n = X.shape[0]
    name = "bce_loss(w, X, y)"
    value = as_number(name, call(name, bce_loss, w.copy(), X.copy(), y.copy()))
    expect(name, value, losses.bce(w, X, y), "the binary cross-entropy", BCE_LOSS_HINTS, rtol=1e-6, n=n)
    big, y_big = _extreme_logits(rng, X, y, w)
    value = as_number(name, call(name, bce_loss, big.copy(), X.copy(), y_big.copy()))
    expect_finite(
        "bce_loss", value, f"for large logits (|z| up to {EXTREME_LOGIT:g}, some labels wrong)", UNSTABLE_LOG
    )

    # the gradient
    logits = Known(
        X.T @ (X @ w - y) / n,
        "bce_grad returns X^T (z - y) / n with the logits z = X @ w",
        "the residual is p - y with the probabilities p = sigmoid(X @ w), not the logits",
    )
    gradient_check(
        "bce_grad(w, X, y)",
        lambda v: losses.bce(v, X, y),
        lambda v: bce_grad(v, X.copy(), y.copy()),
        w,
        BCE_GRAD_HINTS,
        n=n,
        known=[logits],
    )
    got = call("bce_grad(w, X, y)", bce_grad, big.copy(), X.copy(), y_big.copy())
    expect_finite("bce_grad", got, f"for large logits (|z| up to {EXTREME_LOGIT:g})", UNSTABLE_LOG)
    return (
        f"sigmoid, loss and gradient right on a fresh random problem, and finite at |z| = {EXTREME_LOGIT:g}"
    )


# ---------------------------------------------------------------------------------------------------------
# Task 4: a numerical Hessian


def _curved_problem(rng: Rng, d: int) -> tuple[Callable[[np.ndarray], float], np.ndarray, np.ndarray]:
    """f(w) = w A w / 2 + sum(a sin(b w)) + (u . w)^3 / 10 at a random w (d,); returns f, w, its Hessian (d, d)."""
    M = rng.normal(size=(d, d))
    A = (M + M.T) / 2
    a, b = rng.uniform(0.5, 2.0, d), rng.uniform(0.5, 1.5, d)
    u = rng.normal(size=d) / np.sqrt(d)
    w = rng.normal(size=d)

    def f(v: np.ndarray) -> float:
        return float(0.5 * v @ A @ v + np.sum(a * np.sin(b * v)) + (u @ v) ** 3 / 10)

    hess = A + np.diag(-a * b**2 * np.sin(b * w)) + 0.6 * (u @ w) * np.outer(u, u)
    return f, w, hess


HESSIAN_HINTS = {
    "factor:2": "column j is (grad f(w + eps e_j) - grad f(w - eps e_j)) / (2 eps): divide by 2 eps",
    "factor:0.5": "divide by 2 eps once (or, for second differences, by eps^2)",
    "factor": "check the denominator: 2 eps for a central difference of the gradient, eps^2 for the second "
    "difference (f(w + eps e_i) - 2 f(w) + f(w - eps e_i)) / eps^2",
    "sign": "compute grad f(w + eps e_j) - grad f(w - eps e_j), in that order",
    "shape": "the Hessian of f: R^d -> R is a (d, d) matrix: H[:, j] is the derivative of the gradient along e_j",
    "partial": "some entries are right: is every column (or every pair i, j) computed, and at the right point?",
    "zero": "fill every column of H",
    "default": "H[:, j] = (grad f(w + eps e_j) - grad f(w - eps e_j)) / (2 eps), with grad from your "
    "numerical_gradient",
}


def _evaluate_hessian(rng: Rng, numerical_hessian: Any) -> str:
    name = "numerical_hessian(f, w)"
    d = int(rng.integers(3, 7))
    got = call(name, numerical_hessian, lambda v: float(np.sum(v**2)), rng.normal(size=d))
    expect(name, got, 2 * np.eye(d), "2I", HESSIAN_HINTS, rtol=1e-4, context="for f(w) = sum(w^2): {}")
    f, w, hess = _curved_problem(rng, int(rng.integers(3, 7)))
    hard_coded = Known(
        2 * np.eye(w.size),
        f"{name} returns 2I for every f: right for sum(w^2), wrong for another f",
        "compute H from f, not from the answer you expect: H[:, j] = (grad f(w + eps e_j) - "
        "grad f(w - eps e_j)) / (2 eps)",
    )
    got = call(name, numerical_hessian, f, w.copy())
    expect(
        name,
        got,
        hess,
        "the true Hessian",
        HESSIAN_HINTS,
        rtol=1e-4,
        known=[hard_coded],
        context="for a non-quadratic f: {}",
    )
    return "2I for sum(w^2), and right for a fresh non-quadratic f"


# ---------------------------------------------------------------------------------------------------------
# Task 5 (stretch): softmax cross-entropy


def _softmax_problem(rng: Rng) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """X (n, d), integer labels y (n,) in range(k), W (d, k), with n, d, k all different (so no transpose hides)."""
    n, d, k = int(rng.integers(20, 40)), int(rng.integers(2, 5)), int(rng.integers(5, 8))
    X = rng.normal(size=(n, d))
    return X, rng.integers(0, k, size=n), 0.7 * rng.normal(size=(d, k))


SOFTMAX_HINTS = {
    "nonfinite": "exp(z) overflows to inf for z > 709 and inf/inf = nan: subtract each row's max first "
    "(Z - Z.max(axis=1, keepdims=True)); softmax does not change when a row is shifted",
    "shape": "softmax of Z (n, k) is (n, k): divide by the row sums kept as a column (keepdims=True)",
    "default": "softmax(Z)[i, c] = exp(Z[i, c]) / sum_j exp(Z[i, j]): each row sums to 1",
}

SOFTMAX_LOSS_HINTS = {
    "factor:n": "the loss is a mean over the n examples",
    "sign": "the loss is -(1/n) sum_i log p[i, y_i]: mind the minus",
    "default": "L = -(1/n) sum_i log softmax(X @ W)[i, y_i]: pick each row's entry at its label",
}

SOFTMAX_GRAD_HINTS = {
    "transpose": "X.T @ (P - Y) / n has the shape of W, (d, k); (P - Y).T @ X is its transpose",
    "factor:n": "divide by n: grad = X^T (P - Y) / n",
    "factor:1/n": "divide by n once",
    "sign": "P - Y, not Y - P",
    "shape": "the gradient has the shape of W, (d, k): X.T @ (P - Y) / n with P and Y of shape (n, k)",
    "default": "grad = X^T (P - Y) / n, with P = softmax(X @ W) and Y the one-hot labels (n, k)",
}

UNSTABLE_LOG_SOFTMAX = (
    "a wrong class's probability rounds to 0 and log(0) = -inf: compute log-probabilities directly, "
    "log_softmax = Z - m - log(sum(exp(Z - m))) with m the row max, or clip p"
)


def _columns_sum_to_one(P: np.ndarray) -> bool:
    return P.ndim == 2 and np.allclose(P.sum(axis=0), 1.0) and not np.allclose(P.sum(axis=1), 1.0)


SOFTMAX_MISTAKES = [
    Known(
        _columns_sum_to_one,
        "softmax(Z) normalizes the columns (axis=0): each column sums to 1, not each row",
        "each row of Z holds one example's k class scores: sum over axis=1 (keepdims=True)",
    ),
    Known(
        lambda P: bool(np.isclose(P.sum(), 1.0)),
        "softmax(Z) normalizes the whole matrix: all its entries sum to 1",
        "normalize each row: divide by np.sum(e, axis=1, keepdims=True)",
    ),
]


def _evaluate_softmax(rng: Rng, softmax: Any, softmax_ce_loss: Any, softmax_ce_grad: Any) -> str:
    # softmax, on moderate logits and on logits up to 1000
    X, y, W = _softmax_problem(rng)
    n, k = X.shape[0], W.shape[1]
    Z = X @ W
    for logits, context in ((Z, ""), (1000.0 * Z / np.max(np.abs(Z)), " (logits up to 1000)")):
        got = call("softmax(Z)", softmax, logits.copy())
        expect(
            "softmax(Z)",
            got,
            losses.softmax(logits, axis=1),
            "the true softmax",
            SOFTMAX_HINTS,
            rtol=1e-9,
            known=SOFTMAX_MISTAKES,
            context=context,
        )

    # the loss, then its stability
    name = "softmax_ce_loss(W, X, y)"
    value = as_number(name, call(name, softmax_ce_loss, W.copy(), X.copy(), y.copy()))
    expect(
        name,
        value,
        losses.softmax_cross_entropy(W, X, y),
        "the cross-entropy",
        SOFTMAX_LOSS_HINTS,
        rtol=1e-6,
        n=n,
    )
    big = W * (1000.0 / np.max(np.abs(Z)))
    wrong = (np.argmax(X @ big, axis=1) + 1) % k  # every label contradicts a confident prediction
    value = as_number(name, call(name, softmax_ce_loss, big.copy(), X.copy(), wrong.copy()))
    expect_finite("softmax_ce_loss", value, "for large logits (up to 1000)", UNSTABLE_LOG_SOFTMAX)

    # the gradient
    no_labels = Known(
        X.T @ losses.softmax(Z, axis=1) / n,
        "softmax_ce_grad returns X^T P / n: the labels are missing",
        "subtract the one-hot labels: grad = X^T (P - Y) / n, with Y[i, y_i] = 1",
    )
    gradient_check(
        "softmax_ce_grad(W, X, y)",
        lambda V: losses.softmax_cross_entropy(V, X, y),
        lambda V: softmax_ce_grad(V, X.copy(), y.copy()),
        W,
        SOFTMAX_GRAD_HINTS,
        n=n,
        known=[no_labels],
    )
    return "softmax, loss and gradient right on a fresh random problem, and finite for logits up to 1000"


# ---------------------------------------------------------------------------------------------------------
# The lab

LAB = Lab(
    "gradients",
    "Lab 1: Gradients",
    (
        Task(
            "numerical_gradient",
            1,
            "numerical gradient",
            ("numerical_gradient",),
            1,
            _evaluate_numerical_gradient,
        ),
        Task("mse", 2, "MSE loss and gradient", ("mse_loss", "mse_grad"), 1, _evaluate_mse),
        Task("bce", 3, "BCE loss and gradient", ("sigmoid", "bce_loss", "bce_grad"), 1, _evaluate_bce),
        Task("hessian", 4, "numerical Hessian", ("numerical_hessian",), 2, _evaluate_hessian),
        Task(
            "softmax",
            5,
            "softmax cross-entropy",
            ("softmax", "softmax_ce_loss", "softmax_ce_grad"),
            1,
            _evaluate_softmax,
            stretch=True,
        ),
    ),
    checkpoints=("1a", "1b", "1c", "2a", "3a", "3b", "4a"),
)

progress = LAB.progress


def check_numerical_gradient(numerical_gradient: Any, *, seed: int | None = None) -> Verdict:
    """Task 1: ``numerical_gradient(f, w, eps=1e-5) -> (d,)``, the central difference, on fresh random f."""
    return LAB.check("numerical_gradient", numerical_gradient, seed=seed)


def check_mse(mse_loss: Any, mse_grad: Any, *, seed: int | None = None) -> Verdict:
    """Task 2: ``mse_loss(w, X, y) -> float`` and ``mse_grad(w, X, y) -> (d,)`` on a fresh problem."""
    return LAB.check("mse", mse_loss, mse_grad, seed=seed)


def check_bce(sigmoid: Any, bce_loss: Any, bce_grad: Any, *, seed: int | None = None) -> Verdict:
    """Task 3: ``sigmoid(z)``, ``bce_loss(w, X, y) -> float``, ``bce_grad(w, X, y) -> (d,)``, also at |z| = 800."""
    return LAB.check("bce", sigmoid, bce_loss, bce_grad, seed=seed)


def check_hessian(numerical_hessian: Any, *, seed: int | None = None) -> Verdict:
    """Task 4: ``numerical_hessian(f, w, eps=1e-4) -> (d, d)``: 2I for sum(w^2), and right for another f."""
    return LAB.check("hessian", numerical_hessian, seed=seed)


def check_softmax(
    softmax: Any, softmax_ce_loss: Any, softmax_ce_grad: Any, *, seed: int | None = None
) -> Verdict:
    """Task 5 (stretch): ``softmax(Z)``, ``softmax_ce_loss(W, X, y)``, ``softmax_ce_grad(W, X, y) -> (d, k)``."""
    return LAB.check("softmax", softmax, softmax_ce_loss, softmax_ce_grad, seed=seed)
