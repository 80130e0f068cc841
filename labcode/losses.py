"""Stable activations and losses, with their analytic gradients.

Conventions (float64 throughout)::

    X : (n, d)   one example per row        w : (d,)     weights of a linear model
    y : (n,)     one target per example     W : (d, k)   weights of a k-class softmax model
    z = X @ w + b : (n,) logits             Z = X @ W + b : (n, k) logits

Decisions a reader may want to know:

* Activations accept a number or an array. A number or a 0-d array gives back a Python ``float``;
  an array gives back a float64 array of the same shape.
* Nothing here overflows: ``exp`` is only ever applied to numbers <= 0. ``sigmoid(1e4) == 1.0``,
  ``sigmoid(-1e4) == 0.0`` (the true value, e^-10000, is below the smallest float),
  ``log_sigmoid(-1e4) == -1e4`` and ``log_sigmoid(1e4) == 0.0``; ``sigmoid(±inf)`` is 1 or 0.
* nan is refused with a ValueError rather than passed along: in a course a nan is always a bug to find.
  ``softmax`` and friends take ``-inf`` entries (probability 0, e.g. a masked class) but refuse ``+inf``,
  where ``inf - inf`` has no answer.
* Binary cross-entropy is defined for *soft* labels too: any y in [0, 1] is accepted, anything outside refused.
* Softmax cross-entropy takes integer class labels in ``range(k)``; whole-valued floats such as ``2.0`` count.
* Every loss and gradient takes an optional keyword-only intercept ``b`` (a number; ``(k,)`` for softmax).
  Without ``b`` a gradient is the ``(d,)`` (or ``(d, k)``) array; with ``b`` it is the pair
  ``(grad_w, grad_b)``. ``add_bias_column(X)`` gives the other route: a column of ones whose weight is ``b``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from labcode._checks import as_float_array, require_finite, require_ndim, shape_str

__all__ = [
    "add_bias_column",
    "bce",
    "bce_from_logits",
    "bce_from_logits_grad",
    "bce_grad",
    "log_sigmoid",
    "log_softmax",
    "logsumexp",
    "mse",
    "mse_grad",
    "one_hot",
    "sigmoid",
    "sigmoid_grad",
    "softmax",
    "softmax_cross_entropy",
    "softmax_cross_entropy_from_logits",
    "softmax_cross_entropy_from_logits_grad",
    "softmax_cross_entropy_grad",
    "softplus",
]

Array = np.ndarray


# ---------------------------------------------------------------------------------------------------------
# Activations
# ---------------------------------------------------------------------------------------------------------


def _first_index(mask: Array) -> str:
    """``[i, j]`` of the first True entry of ``mask`` (empty for a 0-d mask), for error messages."""
    return str([int(i) for i in np.argwhere(mask)[0]]) if mask.ndim else ""


def _elementwise_input(z: Any) -> Array:
    """``z`` as a float64 array with no nan (±inf are fine: the activations have exact limits there)."""
    z = as_float_array(z, "z")
    nan = np.isnan(z)
    if np.any(nan):
        raise ValueError(
            f"z must not hold nan, but z{_first_index(nan)} = nan ({int(nan.sum())} of {z.size})"
        )
    return z


def _as_result(values: Array, like: Array) -> float | Array:
    """A Python float when the input was a number or a 0-d array, else the array."""
    return float(values) if like.ndim == 0 else values


def _sigmoid(z: Array) -> Array:
    e = np.exp(-np.abs(z))  # in [0, 1]: the one exp that cannot overflow
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _log_sigmoid(z: Array) -> Array:
    # log(1 / (1 + e^-z)) = min(z, 0) - log(1 + e^-|z|); both terms are <= 0, so nothing cancels
    return np.minimum(z, 0.0) - np.log1p(np.exp(-np.abs(z)))


def sigmoid(z: Any) -> float | Array:
    """The logistic function 1 / (1 + e^-z), elementwise; ``z`` any shape, returns the same shape.

    Exact at the ends: ``sigmoid(1e4) == 1.0`` and ``sigmoid(-1e4) == 0.0``, with no overflow warning.
    """
    z = _elementwise_input(z)
    return _as_result(_sigmoid(z), z)


def log_sigmoid(z: Any) -> float | Array:
    """log(sigmoid(z)) = -softplus(-z), elementwise, without ever forming sigmoid(z).

    ``log_sigmoid(-1e4) == -1e4`` (the naive ``log(sigmoid(-1e4))`` is ``log(0) = -inf``).
    """
    z = _elementwise_input(z)
    return _as_result(_log_sigmoid(z), z)


def softplus(z: Any) -> float | Array:
    """log(1 + e^z), elementwise; ``softplus(1e4) == 1e4`` where the naive formula overflows."""
    z = _elementwise_input(z)
    return _as_result(-_log_sigmoid(-z), z)


def sigmoid_grad(z: Any) -> float | Array:
    """sigmoid'(z) = sigmoid(z) sigmoid(-z), elementwise.

    Written with sigmoid(-z) rather than 1 - sigmoid(z): at z = 40, 1 - sigmoid(z) rounds to 0,
    while sigmoid(-40) = 4.2e-18 is accurate.
    """
    z = _elementwise_input(z)
    return _as_result(_sigmoid(z) * _sigmoid(-z), z)


def _logits_along(z: Any, axis: Any) -> tuple[Array, int]:
    """Check the input of the softmax family: at least 1-D, a valid axis, no nan or +inf, no empty slice."""
    z = as_float_array(z, "z")
    if z.ndim == 0:
        raise ValueError(
            "z must have at least one axis to normalise over, got a number (shape ()); pass an array"
        )
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
        raise TypeError(f"axis must be an int, got {type(axis).__name__}")
    if not -z.ndim <= axis < z.ndim:
        raise ValueError(
            f"axis {axis} is out of range for z of shape {shape_str(z.shape)}; use -{z.ndim} <= axis < {z.ndim}"
        )
    if z.shape[axis] == 0:
        raise ValueError(
            f"z has no entries along axis {axis} (shape {shape_str(z.shape)}); there is nothing to normalise"
        )
    for bad, what in ((np.isnan(z), "nan"), (np.isposinf(z), "+inf (inf - inf has no answer)")):
        if np.any(bad):
            raise ValueError(
                f"z must not hold {what}, but z{_first_index(bad)} = {z[tuple(np.argwhere(bad)[0])]}"
            )
    all_masked = np.all(np.isneginf(z), axis=axis)
    if np.any(all_masked):
        where = f"the slice at {_first_index(all_masked)}" if all_masked.ndim else "z"
        raise ValueError(
            f"every slice of z along axis {axis} needs a finite entry, but {where} is all -inf "
            f"(z has shape {shape_str(z.shape)})"
        )
    return z, int(axis)


def _shift_by_max(z: Array, axis: int) -> tuple[Array, Array]:
    """(z - max, max) along ``axis``; every shifted entry is <= 0, so its exp cannot overflow."""
    m = np.max(z, axis=axis, keepdims=True)
    with np.errstate(over="ignore"):  # -1e308 - 1e308 = -inf is the right limit: its exp is 0
        return z - m, m


def _log_softmax_and_logsumexp(z: Array, axis: int) -> tuple[Array, Array]:
    shifted, m = _shift_by_max(z, axis)
    e = np.exp(shifted)
    # The max contributes exp(0) = 1 exactly. Leave it out and add it back through log1p, so a tiny rest
    # survives: log(1 + 1e-18) rounds to 0, log1p(1e-18) = 1e-18.
    np.put_along_axis(e, np.argmax(z, axis=axis, keepdims=True), 0.0, axis=axis)
    log_sum = np.log1p(np.sum(e, axis=axis, keepdims=True))
    return shifted - log_sum, m + log_sum


def softmax(z: Any, axis: int = -1) -> Array:
    """exp(z) / sum(exp(z)) along ``axis``; ``z`` any shape with ndim >= 1, returns the same shape.

    Subtracts the maximum first (softmax is unchanged by a shift), so no exp overflows.
    """
    z, axis = _logits_along(z, axis)
    shifted, _ = _shift_by_max(z, axis)
    e = np.exp(shifted)
    return e / np.sum(e, axis=axis, keepdims=True)


def log_softmax(z: Any, axis: int = -1) -> Array:
    """z - logsumexp(z) along ``axis``; same shape as ``z``.

    Finite even where softmax rounds to 0 (``log_softmax([1e4, 0])[1] == -1e4``); -inf only for a masked
    entry or a true value below -1.8e308.
    """
    z, axis = _logits_along(z, axis)
    return _log_softmax_and_logsumexp(z, axis)[0]


def logsumexp(z: Any, axis: int = -1) -> float | Array:
    """log(sum(exp(z))) along ``axis``: ``z`` of shape (..., k) gives shape (...); a 1-D ``z`` gives a float."""
    z, axis = _logits_along(z, axis)
    lse = np.squeeze(_log_softmax_and_logsumexp(z, axis)[1], axis=axis)
    return _as_result(lse, lse)


# ---------------------------------------------------------------------------------------------------------
# Argument checks for the losses: one private function per loss family, built from small shared pieces
# ---------------------------------------------------------------------------------------------------------


def _design_matrix(X: Any) -> Array:
    X = require_ndim(as_float_array(X, "X"), "X", 2, "(n, d)")
    if X.shape[0] == 0:
        raise ValueError(
            f"X must have at least one row (n >= 1) to average over, got shape {shape_str(X.shape)}"
        )
    return require_finite(X, "X")


def _targets(y: Any, n: int) -> Array:
    """``y`` as an (n,) float array, with the (n, 1) column singled out: it is the classic broadcasting bug."""
    y = as_float_array(y, "y")
    if y.ndim == 2 and y.shape[1] == 1:
        raise ValueError(
            f"y must have shape (n,) = ({n},), got {shape_str(y.shape)}: a column vector is the classic "
            f"broadcasting bug, since predictions (n,) minus targets (n, 1) silently broadcast to an (n, n) matrix, "
            f"here {shape_str((y.shape[0], n))}; flatten it with y.ravel()"
        )
    require_ndim(y, "y", 1, f"(n,) = ({n},)")
    if y.shape[0] != n:
        raise ValueError(
            f"X has n = {n} rows but y has {y.shape[0]} entries; y must have shape (n,) = ({n},), "
            f"got {shape_str(y.shape)}"
        )
    return require_finite(y, "y")


def _weight_vector(w: Any, X: Array) -> Array:
    d = X.shape[1]
    w = require_ndim(as_float_array(w, "w"), "w", 1, f"(d,) = ({d},)")
    if w.shape[0] != d:
        raise ValueError(
            f"w must have shape (d,) = ({d},) to match X of shape {shape_str(X.shape)}, got {shape_str(w.shape)}"
        )
    return require_finite(w, "w")


def _intercept(b: Any, shape: tuple[int, ...], expected: str) -> Array | float:
    """0.0 when ``b`` is None (no intercept), else ``b`` checked to have ``shape``."""
    if b is None:
        return 0.0
    b = as_float_array(b, "b")
    if b.shape != shape:
        raise ValueError(f"b must have shape {expected}, got {shape_str(b.shape)}")
    return require_finite(b, "b")


def _soft_binary_labels(y: Array) -> Array:
    outside = (y < 0) | (y > 1)
    if np.any(outside):
        i = int(np.argmax(outside))
        raise ValueError(
            f"y must hold labels in [0, 1] for binary cross-entropy (0/1, or soft labels in between), "
            f"but y[{i}] = {float(y[i])!r}"
        )
    return y


def _class_labels(y: Array, k: int) -> Array:
    """Whole-valued labels in range(k), returned as integers for indexing."""
    for bad, what in ((y != np.round(y), "integer class labels"), ((y < 0) | (y >= k), "class labels")):
        if np.any(bad):
            i = int(np.argmax(bad))
            shown = int(y[i]) if y[i] == np.round(y[i]) else float(y[i])
            raise ValueError(f"y must hold {what} in range(k) = range({k}), but y[{i}] = {shown!r}")
    return y.astype(np.intp)


def _linear_inputs(w: Any, X: Any, y: Any, b: Any) -> tuple[Array, Array, Array, Array | float]:
    """The checks of the mse family: X (n, d), w (d,), y (n,), b a number or None."""
    X = _design_matrix(X)
    return _weight_vector(w, X), X, _targets(y, X.shape[0]), _intercept(b, (), "() (a number)")


def _binary_inputs(w: Any, X: Any, y: Any, b: Any) -> tuple[Array, Array, Array, Array | float]:
    """The checks of the bce family: those of mse, and labels in [0, 1]."""
    w, X, y, b = _linear_inputs(w, X, y, b)
    return w, X, _soft_binary_labels(y), b


def _binary_logit_inputs(z: Any, y: Any) -> tuple[Array, Array]:
    z = require_finite(require_ndim(as_float_array(z, "z"), "z", 1, "(n,)"), "z")
    if z.shape[0] == 0:
        raise ValueError("z must have at least one entry (n >= 1) to average over, got shape (0,)")
    return z, _soft_binary_labels(_targets(y, z.shape[0]))


def _multiclass_inputs(W: Any, X: Any, y: Any, b: Any) -> tuple[Array, Array, Array, Array | float]:
    """The checks of the softmax cross-entropy family: X (n, d), W (d, k), labels in range(k), b (k,)."""
    X = _design_matrix(X)
    d = X.shape[1]
    W = require_ndim(as_float_array(W, "W"), "W", 2, f"(d, k) = ({d}, k)")
    if W.shape[0] != d:
        raise ValueError(
            f"W must have shape (d, k) with d = {d} rows to match X of shape {shape_str(X.shape)}, "
            f"got {shape_str(W.shape)}"
        )
    W = require_finite(W, "W")
    k = W.shape[1]
    y = _class_labels(_targets(y, X.shape[0]), k)
    return W, X, y, _intercept(b, (k,), f"(k,) = ({k},)")


def _multiclass_logit_inputs(Z: Any, y: Any) -> tuple[Array, Array]:
    Z = require_ndim(as_float_array(Z, "Z"), "Z", 2, "(n, k)")
    if Z.shape[0] == 0:
        raise ValueError(
            f"Z must have at least one row (n >= 1) to average over, got shape {shape_str(Z.shape)}"
        )
    Z = require_finite(Z, "Z")
    return Z, _class_labels(_targets(y, Z.shape[0]), Z.shape[1])


# ---------------------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------------------


def add_bias_column(X: Any) -> Array:
    """X (n, d) -> (n, d + 1) with a last column of ones, so that ``[w, b]`` acts as ``X @ w + b``."""
    X = _design_matrix(X)
    return np.hstack([X, np.ones((X.shape[0], 1))])


def one_hot(y: Any, k: int) -> Array:
    """Integer labels y (n,) in range(k) -> (n, k) float array with a single 1 per row."""
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"k must be a positive int (the number of classes), got {k!r}")
    y = as_float_array(y, "y")
    y = _class_labels(require_finite(require_ndim(y, "y", 1, "(n,)"), "y"), int(k))
    Y = np.zeros((y.shape[0], int(k)))
    Y[np.arange(y.shape[0]), y] = 1.0
    return Y


def _with_intercept(grad_w: Array, grad_b: Array, b: Any) -> Array | tuple[Array, Any]:
    """The gradient alone without an intercept, (grad_w, grad_b) with one."""
    if b is None:
        return grad_w
    return grad_w, float(grad_b) if np.ndim(grad_b) == 0 else grad_b


# ---------------------------------------------------------------------------------------------------------
# Mean squared error
# ---------------------------------------------------------------------------------------------------------


def mse(w: Any, X: Any, y: Any, *, b: Any = None) -> float:
    """Mean squared error L = mean((X @ w + b - y)^2); w (d,), X (n, d), y (n,), b a number or None."""
    w, X, y, b0 = _linear_inputs(w, X, y, b)
    return float(np.mean((X @ w + b0 - y) ** 2))


def mse_grad(w: Any, X: Any, y: Any, *, b: Any = None) -> Array | tuple[Array, float]:
    """Gradient of :func:`mse`: (2/n) X^T r with residual r = X @ w + b - y; returns (d,).

    With an intercept ``b`` returns ``(grad_w (d,), grad_b)`` where grad_b = 2 mean(r).
    """
    w, X, y, b0 = _linear_inputs(w, X, y, b)
    r = X @ w + b0 - y
    n = X.shape[0]
    return _with_intercept((2.0 / n) * (X.T @ r), 2.0 * np.mean(r), b)


# ---------------------------------------------------------------------------------------------------------
# Binary cross-entropy (logistic regression)
# ---------------------------------------------------------------------------------------------------------


def _bce_from_logits(z: Array, y: Array) -> float:
    # -y log p - (1 - y) log(1 - p) with log p = log_sigmoid(z) and log(1 - p) = log_sigmoid(-z)
    return float(np.mean(-y * _log_sigmoid(z) - (1.0 - y) * _log_sigmoid(-z)))


def _bce_residual(z: Array, y: Array) -> Array:
    # p - y = (1 - y) p - y (1 - p), with 1 - p = sigmoid(-z): exact where p rounds to 1 and y = 1
    return (1.0 - y) * _sigmoid(z) - y * _sigmoid(-z)


def bce_from_logits(z: Any, y: Any) -> float:
    """Binary cross-entropy from logits z (n,) and labels y (n,) in [0, 1]; returns a float.

    L = -mean(y log p + (1 - y) log(1 - p)) with p = sigmoid(z), computed as
    mean(y softplus(-z) + (1 - y) softplus(z)): finite for z = ±1e4, where log(0) makes the naive one inf/nan.
    """
    z, y = _binary_logit_inputs(z, y)
    return _bce_from_logits(z, y)


def bce_from_logits_grad(z: Any, y: Any) -> Array:
    """dL/dz of :func:`bce_from_logits`: (sigmoid(z) - y) / n, shape (n,)."""
    z, y = _binary_logit_inputs(z, y)
    return _bce_residual(z, y) / z.shape[0]


def bce(w: Any, X: Any, y: Any, *, b: Any = None) -> float:
    """Binary cross-entropy of p = sigmoid(X @ w + b) against labels y (n,) in [0, 1]; w (d,), X (n, d)."""
    w, X, y, b0 = _binary_inputs(w, X, y, b)
    return _bce_from_logits(X @ w + b0, y)


def bce_grad(w: Any, X: Any, y: Any, *, b: Any = None) -> Array | tuple[Array, float]:
    """Gradient of :func:`bce`: X^T (p - y) / n, shape (d,).

    With an intercept ``b`` returns ``(grad_w (d,), grad_b)`` where grad_b = mean(p - y).
    """
    w, X, y, b0 = _binary_inputs(w, X, y, b)
    r = _bce_residual(X @ w + b0, y)
    return _with_intercept(X.T @ r / X.shape[0], np.mean(r), b)


# ---------------------------------------------------------------------------------------------------------
# Softmax cross-entropy (multinomial logistic regression)
# ---------------------------------------------------------------------------------------------------------


def _softmax_ce_and_grad(Z: Array, y: Array) -> tuple[float, Array]:
    """Loss and dL/dZ = (P - Y) / n for logits Z (n, k) and integer labels y (n,)."""
    n = Z.shape[0]
    rows = np.arange(n)
    log_p = _log_softmax_and_logsumexp(Z, axis=1)[0]
    G = np.exp(log_p)
    # p_y - 1 = expm1(log p_y): exact where p_y rounds to 1 (the well-classified examples)
    G[rows, y] = np.expm1(log_p[rows, y])
    return float(-np.mean(log_p[rows, y])), G / n


def softmax_cross_entropy_from_logits(Z: Any, y: Any) -> float:
    """Cross-entropy -mean(log_softmax(Z)[i, y_i]) for logits Z (n, k) and labels y (n,) in range(k)."""
    return _softmax_ce_and_grad(*_multiclass_logit_inputs(Z, y))[0]


def softmax_cross_entropy_from_logits_grad(Z: Any, y: Any) -> Array:
    """dL/dZ of :func:`softmax_cross_entropy_from_logits`: (softmax(Z) - one_hot(y)) / n, shape (n, k)."""
    return _softmax_ce_and_grad(*_multiclass_logit_inputs(Z, y))[1]


def softmax_cross_entropy(W: Any, X: Any, y: Any, *, b: Any = None) -> float:
    """Softmax cross-entropy of the logits X @ W + b; W (d, k), X (n, d), integer labels y (n,) in range(k)."""
    W, X, y, b0 = _multiclass_inputs(W, X, y, b)
    return _softmax_ce_and_grad(X @ W + b0, y)[0]


def softmax_cross_entropy_grad(W: Any, X: Any, y: Any, *, b: Any = None) -> Array | tuple[Array, Array]:
    """Gradient of :func:`softmax_cross_entropy`: X^T (P - Y) / n with Y one-hot, shape (d, k).

    With an intercept ``b`` (k,) returns ``(grad_W (d, k), grad_b (k,))`` where grad_b = mean of the rows of P - Y.
    """
    W, X, y, b0 = _multiclass_inputs(W, X, y, b)
    G = _softmax_ce_and_grad(X @ W + b0, y)[1]
    return _with_intercept(X.T @ G, G.sum(axis=0), b)
