"""Stable losses with their analytic gradients, and the activations they are built from.

Conventions (float64 throughout)::

    X : (n, d)   one example per row        w : (d,)     weights of a linear model
    y : (n,)     one target per example     W : (d, k)   weights of a k-class softmax model
    z = X @ w + b : (n,) logits             Z = X @ W + b : (n, k) logits

Decisions a reader may want to know:

* The activations ``sigmoid``, ``log_sigmoid``, ``softplus``, ``softmax``, ``log_softmax`` and
  ``logsumexp`` are labcode.autodiff's (the same functions: they also take Duals and Tensors), with its
  defaults: a number gives back a Python ``float``, an array a float64 array; the softmax family and
  logsumexp work along ``axis=-1``; nan is refused with a ValueError (in a course a nan is a bug to
  find), and so are ``+inf`` logits, while ``-inf`` is a masked class. Nothing overflows:
  ``sigmoid(1e4) == 1.0``, ``sigmoid(-1e4) == 0.0`` (the true value, e^-10000, is below the smallest
  float), ``log_sigmoid(-1e4) == -1e4`` and ``log_sigmoid(1e4) == 0.0``. See
  :mod:`labcode.autodiff.functions`.
* Finite wherever the true value is: ``mse`` with a residual of 1.5e154 (whose square overflows) scales
  the residuals first, and ``bce`` with a logit X @ w + b of +inf and y = 1 counts that term as the 0 it
  is (0 * inf would be nan). A logit of nan (X @ w overflowing with both signs) is refused by name.
* Binary cross-entropy is defined for *soft* labels too: any y in [0, 1] is accepted, anything outside refused.
* Softmax cross-entropy takes integer class labels in ``range(k)``; whole-valued floats such as ``2.0`` count.
* Parameters with an intercept come as a dict, the form labcode.gradcheck.check_gradient and
  labcode.optim take: ``{"w": (d,), "b": ()}`` (``{"W": (d, k), "b": (k,)}`` for softmax), and the
  gradient is a dict of the same keys and shapes, so ``check_gradient(lambda p: mse(p, X, y),
  lambda p: mse_grad(p, X, y), {"w": w, "b": b})`` needs no adapter. Without an intercept the parameters
  and the gradient are one array. ``add_bias_column(X)`` gives another route: a column of ones whose weight
  is ``b``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from labcode import tree
from labcode._checks import as_float_array, float_array, require_finite, require_int, require_ndim, shape_str
from labcode.autodiff import kernels
from labcode.autodiff.functions import log_sigmoid, log_softmax, logsumexp, sigmoid, softmax, softplus

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
# Activations: labcode.autodiff's functions (one implementation for arrays, Duals and Tensors), and sigmoid'
# ---------------------------------------------------------------------------------------------------------


def sigmoid_grad(z: Any) -> float | Array:
    """sigmoid'(z) = sigmoid(z) sigmoid(-z), elementwise; ``z`` any shape, returns the same shape.

    Written with sigmoid(-z) rather than 1 - sigmoid(z): at z = 40, 1 - sigmoid(z) rounds to 0,
    while sigmoid(-40) = 4.2e-18 is accurate. A number gives a float; nan is refused, as by sigmoid.
    """
    z = float_array(z, "z")
    if np.isnan(z).any():
        i = tuple(int(k) for k in np.argwhere(np.isnan(z))[0])
        raise ValueError(f"z must hold numbers, not nan, but z{list(i) if i else ''} = nan")
    out = kernels.sigmoid(z) * kernels.sigmoid(-z)
    return float(out) if out.ndim == 0 else out


# ---------------------------------------------------------------------------------------------------------
# Argument checks for the losses: one private function per loss family, built from small shared pieces
# ---------------------------------------------------------------------------------------------------------


def _design_matrix(X: Any) -> Array:
    X = require_ndim(float_array(X, "X"), "X", 2, "(n, d)")
    if X.shape[0] == 0:
        raise ValueError(
            f"X must have at least one row (n >= 1) to average over, got shape {shape_str(X.shape)}"
        )
    return require_finite(X, "X")


def _targets(y: Any, n: int, rows: str = "X has n = {n} rows") -> Array:
    """``y`` as an (n,) float array, with the (n, 1) column singled out: it is the classic broadcasting bug.

    ``rows`` says where n comes from, in the caller's names ("X has n = 5 rows", "z has n = 5 entries")."""
    y = float_array(y, "y")
    if y.ndim == 2 and y.shape[1] == 1:
        raise ValueError(
            f"y must have shape (n,) = ({n},), got {shape_str(y.shape)}: a column vector is the classic "
            f"broadcasting bug, since predictions (n,) minus targets (n, 1) silently broadcast to an (n, n) matrix, "
            f"here {shape_str((y.shape[0], n))}; flatten it with y.ravel()"
        )
    require_ndim(y, "y", 1, f"(n,) = ({n},)")
    if y.shape[0] != n:
        raise ValueError(
            f"{rows.format(n=n)} but y has {y.shape[0]} entries; y must have shape (n,) = ({n},), "
            f"got {shape_str(y.shape)}"
        )
    return require_finite(y, "y")


def _weight_vector(w: Any, X: Array) -> Array:
    d = X.shape[1]
    w = require_ndim(float_array(w, "w"), "w", 1, f"(d,) = ({d},)")
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
    z = require_finite(require_ndim(float_array(z, "z"), "z", 1, "(n,)"), "z")
    if z.shape[0] == 0:
        raise ValueError("z must have at least one entry (n >= 1) to average over, got shape (0,)")
    return z, _soft_binary_labels(_targets(y, z.shape[0], "z has shape ({n},)"))


def _multiclass_inputs(W: Any, X: Any, y: Any, b: Any) -> tuple[Array, Array, Array, Array | float]:
    """The checks of the softmax cross-entropy family: X (n, d), W (d, k), labels in range(k), b (k,)."""
    X = _design_matrix(X)
    d = X.shape[1]
    W = require_ndim(float_array(W, "W"), "W", 2, f"(d, k) = ({d}, k)")
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
    Z = require_ndim(float_array(Z, "Z"), "Z", 2, "(n, k)")
    if Z.shape[0] == 0:
        raise ValueError(
            f"Z must have at least one row (n >= 1) to average over, got shape {shape_str(Z.shape)}"
        )
    Z = require_finite(Z, "Z")
    return Z, _class_labels(_targets(y, Z.shape[0], "Z has n = {n} rows"), Z.shape[1])


# ---------------------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------------------


def add_bias_column(X: Any) -> Array:
    """X (n, d) -> (n, d + 1) with a last column of ones, so that ``[w, b]`` acts as ``X @ w + b``."""
    X = _design_matrix(X)
    return np.hstack([X, np.ones((X.shape[0], 1))])


def one_hot(y: Any, k: int) -> Array:
    """Integer labels y (n,) in range(k) -> (n, k) float array with a single 1 per row."""
    k = require_int(k, "k (the number of classes)", minimum=1)
    y = float_array(y, "y")
    y = _class_labels(require_finite(require_ndim(y, "y", 1, "(n,)"), "y"), k)
    Y = np.zeros((y.shape[0], k))
    Y[np.arange(y.shape[0]), y] = 1.0
    return Y


def _split(params: Any, weight: str) -> tuple[Any, Any]:
    """(weights, bias): ``params`` is the weights alone (bias None) or the dict ``{weight: ..., "b": ...}``."""
    if not tree.is_dict(params):
        return params, None
    tree.check_keys(params, (weight, "b"), "params")
    if params["b"] is None:  # None means "no intercept" only as a missing key, never as a value
        raise TypeError(f"params['b'] is None; give the intercept as a number, or pass {weight} alone")
    return params[weight], params["b"]


def _gradient(grad_w: Array, grad_b: Callable[[], Array], b: Any, weight: str) -> Any:
    """The gradient in the form of the parameters: one array without a bias, else ``{weight: grad_w,
    "b": grad_b()}`` with grad_b() a float for a number b. ``grad_b`` is called only when there is a bias: an
    optimizer without one calls the gradient at every step, and the unused mean was a sixth of its cost."""
    if b is None:
        return grad_w
    grad_b = grad_b()
    return {weight: grad_w, "b": float(grad_b) if np.ndim(grad_b) == 0 else grad_b}


# ---------------------------------------------------------------------------------------------------------
# Mean squared error
# ---------------------------------------------------------------------------------------------------------


def _mean_square(r: Array) -> float:
    """mean(r^2), finite whenever the true value is: a residual of 1.5e154 squares to inf, so then the
    residuals are scaled by their largest size m first, m^2 mean((r/m)^2) (only then: it costs a pass)."""
    with np.errstate(over="ignore"):  # an overflowing square is handled below
        out = float(np.mean(r * r))
    if math.isfinite(out):
        return out
    m = float(np.max(np.abs(r)))
    if not math.isfinite(m):  # X @ w itself overflowed: the true residual is beyond the floats
        return math.inf
    root = m * math.sqrt(float(np.mean((r / m) ** 2)))  # the root mean square, finite
    return root * root  # inf (no OverflowError, unlike **) only when the true value is beyond the floats


def mse(w: Any, X: Any, y: Any) -> float:
    """Mean squared error L = mean((X @ w + b - y)^2); w (d,) or {"w": (d,), "b": ()}, X (n, d), y (n,).

    Finite wherever the true value is: a residual of 1.5e154, whose square overflows, is scaled first.

    >>> X = np.array([[1.0, 0.0], [0.0, 1.0]])
    >>> mse(np.array([1.0, 2.0]), X, np.array([0.0, 0.0]))
    2.5
    >>> mse(np.zeros(2), X, np.array([1.5e154, 0.0]))
    1.1250000000000004e+308
    >>> mse(np.zeros(2), X, np.zeros((2, 1)))
    Traceback (most recent call last):
    ...
    ValueError: y must have shape (n,) = (2,), got (2, 1): a column vector is the classic broadcasting bug, since predictions (n,) minus targets (n, 1) silently broadcast to an (n, n) matrix, here (2, 2); flatten it with y.ravel()
    """
    w, b = _split(w, "w")
    w, X, y, b0 = _linear_inputs(w, X, y, b)
    return _mean_square(X @ w + b0 - y)


def mse_grad(w: Any, X: Any, y: Any) -> Any:
    """Gradient of :func:`mse`: (2/n) X^T r with residual r = X @ w + b - y, shaped like the parameters.

    w (d,) gives (d,); {"w": (d,), "b": ()} gives {"w": (2/n) X^T r, "b": 2 mean(r)}.
    """
    w, b = _split(w, "w")
    w, X, y, b0 = _linear_inputs(w, X, y, b)
    r = X @ w + b0 - y
    n = X.shape[0]
    return _gradient((2.0 / n) * (X.T @ r), lambda: 2.0 * np.mean(r), b, "w")


# ---------------------------------------------------------------------------------------------------------
# Binary cross-entropy (logistic regression)
# ---------------------------------------------------------------------------------------------------------


def _logits(z: Array, what: str = "X @ w + b") -> Array:
    """z, refused when it holds nan: finite X and w whose products overflow (+inf - inf) have no logit."""
    total = z.sum()
    if total != total:  # nan (one sum: cheaper than isnan on every entry)
        i = int(np.argmax(np.isnan(z)))
        raise ValueError(
            f"{what} is nan at row {i}: the products of X[{i}] and the weights overflow (values near 1e308 "
            f"of both signs); rescale X or the weights"
        )
    return z


def _bce_from_logits(z: Array, y: Array) -> float:
    # -y log p - (1 - y) log(1 - p) = y softplus(-z) + (1 - y) softplus(z), as log p = -softplus(-z)
    total = z.sum()
    if math.isfinite(total):  # every logit finite (one sum tells: an inf or a nan is not)
        return float(np.mean(y * kernels.softplus(-z) + (1.0 - y) * kernels.softplus(z)))
    _logits(z)  # a nan has no answer
    # a logit of +-inf (X @ w overflowed): where its label has weight 0, 0 * inf is nan but the term is 0
    with np.errstate(invalid="ignore"):
        terms = np.where(y > 0, y * kernels.softplus(-z), 0.0) + np.where(
            y < 1, (1.0 - y) * kernels.softplus(z), 0.0
        )
    return float(np.mean(terms))


def _bce_residual(z: Array, y: Array) -> Array:
    # p - y = (1 - y) p - y (1 - p), with 1 - p = sigmoid(-z): exact where p rounds to 1 and y = 1
    return (1.0 - y) * kernels.sigmoid(z) - y * kernels.sigmoid(-z)


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


def bce(w: Any, X: Any, y: Any) -> float:
    """Binary cross-entropy of p = sigmoid(X @ w + b) against labels y (n,) in [0, 1]; w (d,) or
    {"w": (d,), "b": ()}, X (n, d)."""
    w, b = _split(w, "w")
    w, X, y, b0 = _binary_inputs(w, X, y, b)
    return _bce_from_logits(X @ w + b0, y)


def bce_grad(w: Any, X: Any, y: Any) -> Any:
    """Gradient of :func:`bce`: X^T (p - y) / n, shaped like the parameters.

    w (d,) gives (d,); {"w": (d,), "b": ()} gives {"w": X^T (p - y) / n, "b": mean(p - y)}.
    """
    w, b = _split(w, "w")
    w, X, y, b0 = _binary_inputs(w, X, y, b)
    r = _bce_residual(_logits(X @ w + b0), y)
    return _gradient(X.T @ r / X.shape[0], lambda: np.mean(r), b, "w")


# ---------------------------------------------------------------------------------------------------------
# Softmax cross-entropy (multinomial logistic regression)
# ---------------------------------------------------------------------------------------------------------


def _softmax_ce_and_grad(Z: Array, y: Array) -> tuple[float, Array]:
    """Loss and dL/dZ = (P - Y) / n for logits Z (n, k) and integer labels y (n,)."""
    n = Z.shape[0]
    rows = np.arange(n)
    log_p = kernels.log_softmax(Z, axis=1)
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


def softmax_cross_entropy(W: Any, X: Any, y: Any) -> float:
    """Softmax cross-entropy of the logits X @ W + b; W (d, k) or {"W": (d, k), "b": (k,)}, X (n, d),
    integer labels y (n,) in range(k)."""
    W, b = _split(W, "W")
    W, X, y, b0 = _multiclass_inputs(W, X, y, b)
    return _softmax_ce_and_grad(X @ W + b0, y)[0]


def softmax_cross_entropy_grad(W: Any, X: Any, y: Any) -> Any:
    """Gradient of :func:`softmax_cross_entropy`: X^T (P - Y) / n with Y one-hot, shaped like the parameters.

    W (d, k) gives (d, k); {"W": (d, k), "b": (k,)} gives {"W": X^T (P - Y) / n, "b": the mean of the
    rows of P - Y}.
    """
    W, b = _split(W, "W")
    W, X, y, b0 = _multiclass_inputs(W, X, y, b)
    G = _softmax_ce_and_grad(X @ W + b0, y)[1]
    return _gradient(X.T @ G, lambda: G.sum(axis=0), b, "W")
