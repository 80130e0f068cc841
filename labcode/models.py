"""The models the course trains: linear, logistic and softmax regression, and a two-layer MLP.

Each model is a handful of functions of a parameter dict (the form labcode.optim takes)::

    params = init_mlp(d_in, d_hidden, d_out, seed=0)        {"W1": (d, h), "b1": (h,), "W2": (h, k), "b2": (k,)}
    y_hat  = mlp_forward(params, X)                          X (n, d) -> (n, k)
    L      = mlp_loss(params, X, y)                          a scalar
    g      = grad(mlp_loss)(params, X, y)                    automatic: a dict shaped like params
    g      = mlp_grad(params, X, y)                          the same dict, by backprop derived on paper

========================  ==============================================  =====================================
model                     parameters                                      loss
========================  ==============================================  =====================================
linear regression         ``w`` (d,), ``b`` ()                            mean squared error
logistic regression       ``w`` (d,), ``b`` ()                            binary cross-entropy, y in [0, 1]
softmax regression        ``W`` (d, k), ``b`` (k,)                        cross-entropy, y in range(k)
MLP                       ``W1`` (d, h), ``b1`` (h,), ``W2`` (h, k),      "mse" (y (n, k), or (n,) if k = 1),
                          ``b2`` (k,)                                     "bce" (k = 1) or "cross_entropy"
========================  ==============================================  =====================================

The losses are written with labcode.autodiff, so they run on plain arrays (returning a number, as
labcode.gradcheck.check_gradient needs) and on Tensors (inside :func:`labcode.autodiff.grad`). They are
stable for any logits: binary cross-entropy is mean(softplus(z) - y z) and cross-entropy
mean(logsumexp(Z) - Z[i, y_i]), never log(sigmoid(z)). The hand-derived gradients reuse labcode.losses
(``bce_grad``, ``softmax_cross_entropy_grad`` and the from-logits gradients), so the two routes are
independent.

MLP: h = act(X W1 + b1) with act = tanh, sigmoid or relu, and y_hat = h W2 + b2. Backprop, from the
gradient G = dL/dy_hat (n, k)::

    dL/dW2 = h^T G        dL/db2 = sum of G's rows        dH = G W2^T
    dZ1 = dH * act'(X W1 + b1)                             (elementwise)
    dL/dW1 = X^T dZ1      dL/db1 = sum of dZ1's rows
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import numpy as np

from labcode import losses, tree
from labcode._checks import (
    as_float_array,
    float_array,
    require_choice,
    require_finite,
    require_int,
    require_ndim,
    shape_str,
)
from labcode.autodiff import logsumexp, relu, sigmoid, softmax, softplus, tanh
from labcode.autodiff.ops import ArrayOps, primal, shape_of

__all__ = [
    "ACTIVATIONS",
    "MLP_LOSSES",
    "accuracy",
    "init_linear",
    "init_logistic",
    "init_mlp",
    "init_softmax",
    "linear_grad",
    "linear_loss",
    "linear_predict",
    "logistic_grad",
    "logistic_logits",
    "logistic_loss",
    "logistic_predict",
    "logistic_predict_proba",
    "mlp_forward",
    "mlp_grad",
    "mlp_loss",
    "softmax_grad",
    "softmax_logits",
    "softmax_loss",
    "softmax_predict",
    "softmax_predict_proba",
]

ACTIVATIONS = ("tanh", "sigmoid", "relu")
MLP_LOSSES = ("mse", "bce", "cross_entropy")
Params = dict[str, Any]
F = TypeVar("F", bound=Callable[..., Any])

_ACTIVATION = {"tanh": tanh, "sigmoid": sigmoid, "relu": relu}


# ---------------------------------------------------------------------------------------------------------
# Argument checks: every message names the argument and the shapes it saw and expected
# ---------------------------------------------------------------------------------------------------------


def _design(X: Any) -> Any:
    """X as a finite (n, d) float array with n >= 1 (a Tensor or Dual is left as it is)."""
    if isinstance(X, ArrayOps):
        if len(X.shape) != 2:
            raise ValueError(f"X must have shape (n, d), got shape {shape_str(X.shape)}")
        return X
    X = require_ndim(float_array(X, "X"), "X", 2, "(n, d)")
    if X.shape[0] == 0:
        raise ValueError(f"X must have at least one row, got shape {shape_str(X.shape)}")
    return require_finite(X, "X")


def _params(params: Any, expected: dict[str, str], model: str, *, finite: bool = True) -> dict[str, Any]:
    """params checked to be a dict with exactly the keys of ``expected`` (name -> shape in words), each
    value a real array (converted to float64 and named ``params['w']`` in messages); a Tensor or a Dual
    (inside grad or jvp) is kept as it is.

    ``finite``: also refuse nan and inf here. The predictions and losses pass False and check their output
    instead (:func:`_finite_output`): one check of the result, not one numpy call per parameter (4 of them
    cost mlp_forward 10%), and a non-finite result is traced back to the parameter that caused it.
    """
    if not isinstance(params, Mapping):
        raise TypeError(
            f"params must be a dict {{{', '.join(f'{k!r}: {v}' for k, v in expected.items())}}} for {model}, "
            f"got {type(params).__name__}"
        )
    tree.check_keys(params, expected, f"params of {model}")
    checked = {}
    for key, value in params.items():
        label = f"params[{key!r}]"
        if isinstance(value, ArrayOps):
            if finite:
                require_finite(np.asarray(primal(value), dtype=np.float64), label)
            checked[key] = value
        else:
            checked[key] = float_array(value, label, finite=finite)
    return checked


def _require_finite_params(params: Any) -> None:
    """Raise a ValueError naming the first parameter that holds nan or inf (nothing for other problems)."""
    if not isinstance(params, Mapping):
        return
    for key, value in params.items():
        try:
            arr = as_float_array(primal(value), f"params[{key!r}]")
        except TypeError:  # not numbers: the function's own check says so
            continue
        require_finite(arr, f"params[{key!r}]")


def _all_finite(out: Any) -> bool:
    """Whether a prediction or a loss (a number, an array, a Dual or a Tensor) is finite: one sum."""
    value = primal(out)
    if isinstance(value, float):  # a loss (np.float64 is a float)
        return math.isfinite(value)
    if type(value) is np.ndarray:
        return math.isfinite(value.sum())  # an inf or a nan anywhere makes the sum inf or nan
    return math.isfinite(np.sum(value))


def _finite_output(function: F) -> F:
    """Name a nan or inf parameter behind a non-finite result (or behind an error it caused inside, such
    as sigmoid's refusal of nan), instead of returning the nan or an error about x."""

    @functools.wraps(function)
    def checked(params: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            out = function(params, *args, **kwargs)
        except ValueError:
            _require_finite_params(params)
            raise
        if not _all_finite(out):
            _require_finite_params(params)
        return out

    return checked  # type: ignore[return-value]


def _shape(
    params: Mapping[str, Any], name: str, shape: tuple[int | None, ...], words: str
) -> tuple[int, ...]:
    """The shape of params[name], checked against ``shape`` (None matches any length)."""
    got = shape_of(params[name])
    if len(got) != len(shape) or any(
        want is not None and g != want for g, want in zip(got, shape, strict=False)
    ):
        raise ValueError(f"params[{name!r}] must have shape {words}, got shape {shape_str(got)}")
    return got


def _real_targets(y: Any, n: int) -> np.ndarray:
    """y as a finite (n,) float array (labcode.losses' check: one message for both modules)."""
    return losses._targets(y, n)


def _binary_targets(y: Any, n: int) -> np.ndarray:
    return losses._soft_binary_labels(losses._targets(y, n))


def _class_targets(y: Any, n: int, k: int) -> np.ndarray:
    return losses._class_labels(losses._targets(y, n), k)


# ---------------------------------------------------------------------------------------------------------
# Linear regression
# ---------------------------------------------------------------------------------------------------------


def init_linear(d: int) -> Params:
    """Zero parameters ``{"w": (d,), "b": ()}`` (the loss is convex: any start will do)."""
    return {"w": np.zeros(require_int(d, "d", minimum=1)), "b": np.float64(0.0)}


def _linear_params(params: Any, X: Any, *, finite: bool = False) -> tuple[Any, Any, Any]:
    X = _design(X)
    params = _params(params, {"w": "(d,)", "b": "()"}, "linear/logistic regression", finite=finite)
    d = X.shape[1]
    _shape(params, "w", (d,), f"(d,) = ({d},) to match X of shape {shape_str(X.shape)}")
    _shape(params, "b", (), "() (a number)")
    return params["w"], params["b"], X


@_finite_output
def linear_predict(params: Params, X: Any) -> Any:
    """X @ w + b: X (n, d) -> (n,)."""
    w, b, X = _linear_params(params, X)
    return X @ w + b


@_finite_output
def linear_loss(params: Params, X: Any, y: Any) -> Any:
    """Mean squared error mean((X @ w + b - y)^2); X (n, d), y (n,). Returns a scalar."""
    w, b, X = _linear_params(params, X)
    y = _real_targets(y, X.shape[0])
    with np.errstate(over="ignore"):  # a square that overflows is computed again, scaled, below
        out = ((X @ w + b - y) ** 2).mean()
    if type(out) is np.float64 and not np.isfinite(out):  # a residual whose square overflows
        _require_finite_params(params)
        return np.float64(losses._mean_square(X @ w + b - y))
    return out


def linear_grad(params: Params, X: Any, y: Any) -> Params:
    """Gradient of :func:`linear_loss` by hand (labcode.losses.mse_grad): {"w": (2/n) X^T r, "b": 2 mean(r)}."""
    _linear_params(params, X, finite=True)
    return losses.mse_grad(params, X, y)


# ---------------------------------------------------------------------------------------------------------
# Logistic regression
# ---------------------------------------------------------------------------------------------------------


def init_logistic(d: int) -> Params:
    """Zero parameters ``{"w": (d,), "b": ()}``: every probability starts at 1/2."""
    return init_linear(d)


def logistic_logits(params: Params, X: Any) -> Any:
    """The logits z = X @ w + b: X (n, d) -> (n,)."""
    return linear_predict(params, X)


def logistic_predict_proba(params: Params, X: Any) -> Any:
    """P(y = 1 | x) = sigmoid(X @ w + b): X (n, d) -> (n,)."""
    return sigmoid(logistic_logits(params, X))


def logistic_predict(params: Params, X: Any) -> np.ndarray:
    """Labels 0/1 (an int array (n,)): 1 where the logit is >= 0 (probability >= 1/2)."""
    return (np.asarray(primal(logistic_logits(params, X))) >= 0).astype(int)


@_finite_output
def logistic_loss(params: Params, X: Any, y: Any) -> Any:
    """Binary cross-entropy of sigmoid(X @ w + b) against y (n,) in [0, 1], as mean(softplus(z) - y z).

    That is -mean(y log p + (1 - y) log(1 - p)) written so that no logit overflows it.
    """
    w, b, X = _linear_params(params, X)
    y = _binary_targets(y, X.shape[0])
    z = X @ w + b
    with np.errstate(invalid="ignore"):  # inf - inf at a logit of +inf is computed again below
        out = (softplus(z) - y * z).mean()
    if type(out) is np.float64 and not np.isfinite(out):  # a logit of +-inf: inf - inf, where the term is 0
        _require_finite_params(params)
        return np.float64(losses._bce_from_logits(z, y))
    return out


def logistic_grad(params: Params, X: Any, y: Any) -> Params:
    """Gradient of :func:`logistic_loss` by hand (labcode.losses.bce_grad): X^T (p - y) / n and mean(p - y)."""
    _linear_params(params, X, finite=True)
    return losses.bce_grad(params, X, y)


# ---------------------------------------------------------------------------------------------------------
# Softmax regression
# ---------------------------------------------------------------------------------------------------------


def init_softmax(d: int, k: int) -> Params:
    """Zero parameters ``{"W": (d, k), "b": (k,)}``: every class starts at probability 1/k."""
    d, k = require_int(d, "d", minimum=1), require_int(k, "k", minimum=1)
    return {"W": np.zeros((d, k)), "b": np.zeros(k)}


def _softmax_params(params: Any, X: Any, *, finite: bool = False) -> tuple[Any, Any, Any, int]:
    X = _design(X)
    params = _params(params, {"W": "(d, k)", "b": "(k,)"}, "softmax regression", finite=finite)
    d = X.shape[1]
    k = _shape(params, "W", (d, None), f"(d, k) with d = {d} to match X of shape {shape_str(X.shape)}")[1]
    _shape(params, "b", (k,), f"(k,) = ({k},) to match W")
    return params["W"], params["b"], X, k


@_finite_output
def softmax_logits(params: Params, X: Any) -> Any:
    """The logits Z = X @ W + b: X (n, d) -> (n, k)."""
    W, b, X, _ = _softmax_params(params, X)
    return X @ W + b


def softmax_predict_proba(params: Params, X: Any) -> Any:
    """Class probabilities softmax(X @ W + b) along each row: X (n, d) -> (n, k)."""
    return softmax(softmax_logits(params, X), axis=1)


def softmax_predict(params: Params, X: Any) -> np.ndarray:
    """The most probable class of each row, an int array (n,)."""
    return np.argmax(primal(softmax_logits(params, X)), axis=1)


def _cross_entropy(Z: Any, y: np.ndarray) -> Any:
    """mean_i (logsumexp(Z_i) - Z[i, y_i]) = -mean log softmax(Z)[i, y_i], for logits Z (n, k)."""
    return (logsumexp(Z, axis=1) - Z[np.arange(y.shape[0]), y]).mean()


@_finite_output
def softmax_loss(params: Params, X: Any, y: Any) -> Any:
    """Cross-entropy of softmax(X @ W + b) against integer labels y (n,) in range(k). Returns a scalar."""
    W, b, X, k = _softmax_params(params, X)
    y = _class_targets(y, X.shape[0], k)
    return _cross_entropy(X @ W + b, y)


def softmax_grad(params: Params, X: Any, y: Any) -> Params:
    """Gradient of :func:`softmax_loss` by hand (labcode.losses.softmax_cross_entropy_grad): X^T (P - Y) / n."""
    _softmax_params(params, X, finite=True)
    return losses.softmax_cross_entropy_grad(params, X, y)


# ---------------------------------------------------------------------------------------------------------
# Two-layer MLP
# ---------------------------------------------------------------------------------------------------------


def init_mlp(d_in: int, d_hidden: int, d_out: int, *, seed: int = 0) -> Params:
    """Random weights W ~ N(0, 1 / fan_in) and zero biases: {"W1": (d_in, d_hidden), "b1": (d_hidden,),
    "W2": (d_hidden, d_out), "b2": (d_out,)}. The scale keeps X W1 about as large as X, so tanh and sigmoid
    start in their sloped middle; the same seed gives the same weights."""
    d_in, d_hidden, d_out = (
        require_int(d_in, "d_in", minimum=1),
        require_int(d_hidden, "d_hidden", minimum=1),
        require_int(d_out, "d_out", minimum=1),
    )
    rng = np.random.default_rng(require_int(seed, "seed", minimum=0))
    return {
        "W1": rng.normal(size=(d_in, d_hidden)) / np.sqrt(d_in),
        "b1": np.zeros(d_hidden),
        "W2": rng.normal(size=(d_hidden, d_out)) / np.sqrt(d_hidden),
        "b2": np.zeros(d_out),
    }


def _mlp_params(params: Any, X: Any, *, finite: bool = False) -> tuple[Mapping[str, Any], Any, int]:
    X = _design(X)
    params = _params(
        params,
        {"W1": "(d, h)", "b1": "(h,)", "W2": "(h, k)", "b2": "(k,)"},
        "the two-layer MLP",
        finite=finite,
    )
    d = X.shape[1]
    h = _shape(params, "W1", (d, None), f"(d, h) with d = {d} to match X of shape {shape_str(X.shape)}")[1]
    _shape(params, "b1", (h,), f"(h,) = ({h},) to match W1")
    k = _shape(params, "W2", (h, None), f"(h, k) with h = {h} to match W1")[1]
    _shape(params, "b2", (k,), f"(k,) = ({k},) to match W2")
    return params, X, k


def _hidden(params: Mapping[str, Any], X: Any, activation: str) -> tuple[Any, Any]:
    """(Z1, h): the hidden layer before and after the activation, (n, h) each."""
    Z1 = X @ params["W1"] + params["b1"]
    return Z1, _ACTIVATION[activation](Z1)


@_finite_output
def mlp_forward(params: Params, X: Any, *, activation: str = "tanh") -> Any:
    """y_hat = act(X W1 + b1) W2 + b2: X (n, d) -> (n, k). activation: "tanh", "sigmoid" or "relu"."""
    require_choice(activation, "activation", ACTIVATIONS)
    params, X, _ = _mlp_params(params, X)
    _, h = _hidden(params, X, activation)
    return h @ params["W2"] + params["b2"]


def _mlp_targets(y: Any, n: int, k: int, loss: str) -> np.ndarray:
    """y in the shape each loss takes: (n, k) for "mse", (n,) floats for "bce", (n,) ints otherwise."""
    if loss == "mse":
        y = require_finite(float_array(y, "y"), "y")
        if y.shape == (n,) and k == 1:
            return y.reshape(n, 1)
        if y.shape != (n, k):
            also = f" or ({n},)" if k == 1 else ""
            raise ValueError(
                f"y must have shape (n, k) = ({n}, {k}){also} for the mse loss, got shape {shape_str(y.shape)}"
            )
        return y
    if loss == "bce":
        if k != 1:
            raise ValueError(f"the bce loss needs one output (d_out = 1), but W2 has k = {k} columns")
        return _binary_targets(y, n)
    return _class_targets(y, n, k)


def _output_loss(y_hat: Any, y: np.ndarray, loss: str) -> Any:
    if loss == "mse":
        return ((y_hat - y) ** 2).mean()
    if loss == "bce":
        z = y_hat[:, 0]
        return (softplus(z) - y * z).mean()
    return _cross_entropy(y_hat, y)


@_finite_output
def mlp_loss(params: Params, X: Any, y: Any, *, activation: str = "tanh", loss: str = "mse") -> Any:
    """The loss of :func:`mlp_forward`'s output: "mse" mean((y_hat - y)^2) over all n k entries, "bce"
    (k = 1, y (n,) in [0, 1], y_hat the logit) or "cross_entropy" (y (n,) in range(k), y_hat the logits)."""
    require_choice(activation, "activation", ACTIVATIONS)
    require_choice(loss, "loss", MLP_LOSSES)
    params, X, k = _mlp_params(params, X)
    y = _mlp_targets(y, X.shape[0], k, loss)
    _, h = _hidden(params, X, activation)
    return _output_loss(h @ params["W2"] + params["b2"], y, loss)


def _activation_slope(Z1: np.ndarray, h: np.ndarray, activation: str) -> np.ndarray:
    if activation == "tanh":
        return 1.0 - h**2
    if activation == "sigmoid":
        return losses.sigmoid_grad(Z1)
    return (Z1 > 0).astype(np.float64)


def mlp_grad(params: Params, X: Any, y: Any, *, activation: str = "tanh", loss: str = "mse") -> Params:
    """The gradient of :func:`mlp_loss`, by backprop derived on paper (see the module docstring).

    Returns {"W1": (d, h), "b1": (h,), "W2": (h, k), "b2": (k,)}. dL/dy_hat comes from labcode.losses
    for "bce" and "cross_entropy", and is 2 (y_hat - y) / (n k) for "mse".
    """
    require_choice(activation, "activation", ACTIVATIONS)
    require_choice(loss, "loss", MLP_LOSSES)
    params, X, k = _mlp_params(params, X, finite=True)
    p = params  # float64 arrays, checked by _mlp_params
    n = X.shape[0]
    y = _mlp_targets(y, n, k, loss)
    Z1, h = _hidden(p, X, activation)
    y_hat = h @ p["W2"] + p["b2"]
    if loss == "mse":
        G = 2.0 * (y_hat - y) / y.size
    elif loss == "bce":
        G = losses.bce_from_logits_grad(y_hat[:, 0], y).reshape(n, 1)
    else:
        G = losses.softmax_cross_entropy_from_logits_grad(y_hat, y)
    dZ1 = (G @ p["W2"].T) * _activation_slope(Z1, h, activation)
    return {"W1": X.T @ dZ1, "b1": dZ1.sum(axis=0), "W2": h.T @ G, "b2": G.sum(axis=0)}


# ---------------------------------------------------------------------------------------------------------
# Scoring
# ---------------------------------------------------------------------------------------------------------


def accuracy(y_true: Any, y_pred: Any) -> float:
    """The fraction of labels predicted right; y_true and y_pred of one shape (n,)."""
    y_true = as_float_array(y_true, "y_true")
    y_pred = as_float_array(y_pred, "y_pred")
    if y_true.shape != y_pred.shape:
        raise ValueError(
            f"y_true and y_pred must have one shape, got {shape_str(y_true.shape)} and {shape_str(y_pred.shape)}"
        )
    if y_true.size == 0:
        raise ValueError("accuracy needs at least one label")
    return float(np.mean(y_true == y_pred))
