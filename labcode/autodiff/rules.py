"""The derivative rules of labcode.autodiff: one entry per primitive, apart from the engines that use them.

For a primitive ``ans = f(x, y, ...; params)`` the tables hold, for each input position i::

    JVPS[name][i](t, ans, x, y, ..., **params)  the tangent of ans caused by a tangent t of input i
                                                 (forward mode: the Jacobian of f in input i, times t)
    VJPS[name][i](g, ans, x, y, ..., **params)  the gradient for input i, given the gradient g of ans
                                                 (reverse mode: g times that Jacobian), shaped like input i

Forward mode (:mod:`labcode.autodiff.forward`) adds up the JVPs of the inputs that carry tangents; reverse
mode (:mod:`labcode.autodiff.reverse`) hands each VJP's result to its input. An elementwise function
needs only its derivative f'(x), in ``DERIVATIVES``, for both: t * f'(x) forward, g * f'(x) backward.

Every rule is written with the operators and labcode.autodiff's own functions, never with numpy
directly. On plain arrays (a first derivative) that costs one type check per call and no extra
recording; and because of it the same rules also run on Duals (forward-over-reverse second derivatives)
and on Tensors (reverse-over-reverse).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from labcode.autodiff import functions as fn
from labcode.autodiff.kernels import count
from labcode.autodiff.ops import NUMPY, apply, primal

__all__ = ["DERIVATIVES", "JVPS", "VJPS", "unbroadcast"]

Rule = Callable[..., Any]


# ---------------------------------------------------------------------------------------------------------
# Helpers the rules share
# ---------------------------------------------------------------------------------------------------------


def unbroadcast(g: Any, x: Any) -> Any:
    """g summed over the axes along which numpy broadcast x, so that the result has x's shape.

    x + y with x (3, 1) and y (4,) gives (3, 4): x's gradient sums g over axis 1 (keeping it) and y's
    gradient sums it over axis 0 (dropping it), because each entry of x or y was used that many times.
    """
    shape = x.shape  # x is an input with a gradient: an array, a numpy scalar, a Dual or a Tensor
    g_shape = g.shape
    if g_shape == shape:
        return g
    lead = len(g_shape) - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and g_shape[lead + i] != 1
    )
    if axes:
        g = g.sum(axis=axes)
    return g.reshape(shape)


def _kept_shape(shape: tuple[int, ...], axis: Any) -> tuple[int, ...]:
    """shape with the reduced axes kept as length 1: what keepdims=True would have given."""
    if axis is None:
        return (1,) * len(shape)
    axes = [a % len(shape) for a in (axis if isinstance(axis, tuple) else (axis,))]
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def _keepdims(g: Any, x: Any, axis: Any, keepdims: bool) -> Any:
    """The gradient of a reduction, reshaped so it broadcasts against the input x again."""
    return g if keepdims else g.reshape(_kept_shape(x.shape, axis))


def broadcast_to(g: Any, shape: tuple[int, ...]) -> Any:
    return apply("broadcast_to", g, shape=shape)


def scatter_add(g: Any, index: Any, shape: tuple[int, ...]) -> Any:
    return apply("scatter_add", g, index=index, shape=shape)


def _step(x: Any) -> Any:
    """1.0 where x > 0, else 0.0: a constant (its own derivative is 0 wherever it exists)."""
    return (primal(x) > 0).astype(np.float64)


def _sign(x: Any) -> Any:
    return np.sign(primal(x))


def _log_or_zero(x: Any) -> Any:
    """log x where x > 0, and 0 where x <= 0: d(x**y)/dy, which is 0 at x = 0 (y > 0) and not real below."""
    positive = primal(x) > 0
    if np.all(positive):
        return fn.log(x)
    mask = positive.astype(np.float64)
    return fn.log(x * mask + (1.0 - mask)) * mask


def _swap_last(x: Any) -> Any:
    """x with its last two axes exchanged (the transpose of each matrix in a stack)."""
    axes = list(range(x.ndim))
    axes[-2], axes[-1] = axes[-1], axes[-2]
    return x.transpose(axes)


# ---------------------------------------------------------------------------------------------------------
# Elementwise functions: f'(x), given x and ans = f(x)
# ---------------------------------------------------------------------------------------------------------

DERIVATIVES: dict[str, Callable[[Any, Any], Any]] = {
    "exp": lambda x, ans: ans,
    "log": lambda x, ans: 1.0 / x,
    "sin": lambda x, ans: fn.cos(x),
    "cos": lambda x, ans: -fn.sin(x),
    "tanh": lambda x, ans: 1.0 - ans * ans,
    "sqrt": lambda x, ans: 0.5 / ans,
    # sigmoid(x) sigmoid(-x) rather than ans (1 - ans): at x = 40, 1 - ans rounds to 0, sigmoid(-40) does not
    "sigmoid": lambda x, ans: ans * fn.sigmoid(-x),
    "softplus": lambda x, ans: fn.sigmoid(x),
    "relu": lambda x, ans: _step(x),  # 0 at the kink x = 0, as in PyTorch and JAX
    "abs": lambda x, ans: _sign(x),  # 0 at x = 0
}

JVPS: dict[str, Any] = {}
VJPS: dict[str, Any] = {}


def defjvp(name: str, *rules: Rule) -> None:
    """Register one JVP per input position of the primitive ``name``."""
    JVPS[name] = rules


def defvjp(name: str, *rules: Rule) -> None:
    """Register one VJP per input position of the primitive ``name``."""
    VJPS[name] = rules


class _EachInput:
    """The rules of a primitive that takes any number of inputs: ``rules[i]`` is ``rule`` with i filled in."""

    def __init__(self, rule: Rule) -> None:
        self.rule = rule

    def __getitem__(self, i: int) -> Rule:
        return functools.partial(self.rule, i)


def _elementwise(derivative: Callable[[Any, Any], Any]) -> tuple[Rule, Rule]:
    return (lambda t, ans, x: t * derivative(x, ans)), (lambda g, ans, x: g * derivative(x, ans))


for _name, _derivative in DERIVATIVES.items():
    _jvp, _vjp = _elementwise(_derivative)
    defjvp(_name, _jvp)
    defvjp(_name, _vjp)
del _name, _derivative, _jvp, _vjp

# ---------------------------------------------------------------------------------------------------------
# Arithmetic, with numpy's broadcasting
# ---------------------------------------------------------------------------------------------------------

defjvp("neg", lambda t, ans, x: -t)
defvjp("neg", lambda g, ans, x: -g)

defjvp("add", lambda t, ans, x, y: t, lambda t, ans, x, y: t)
defvjp("add", lambda g, ans, x, y: unbroadcast(g, x), lambda g, ans, x, y: unbroadcast(g, y))

defjvp("sub", lambda t, ans, x, y: t, lambda t, ans, x, y: -t)
defvjp("sub", lambda g, ans, x, y: unbroadcast(g, x), lambda g, ans, x, y: unbroadcast(-g, y))

defjvp("mul", lambda t, ans, x, y: t * y, lambda t, ans, x, y: x * t)
defvjp("mul", lambda g, ans, x, y: unbroadcast(g * y, x), lambda g, ans, x, y: unbroadcast(x * g, y))

# d(x/y) = dx / y - (x / y) dy / y
defjvp("div", lambda t, ans, x, y: t / y, lambda t, ans, x, y: -t * ans / y)
defvjp("div", lambda g, ans, x, y: unbroadcast(g / y, x), lambda g, ans, x, y: unbroadcast(-g * ans / y, y))


def _pow_slope(x: Any, y: Any) -> Any:
    """d(x**y)/dx = y x**(y-1), and 0 where y = 0 (not 0 * 0**-1 = nan at x = 0)."""
    return y * x ** (y - 1.0 + (primal(y) == 0))


# d(x**y) = y x**(y-1) dx + x**y log(x) dy
defjvp("pow", lambda t, ans, x, y: t * _pow_slope(x, y), lambda t, ans, x, y: t * ans * _log_or_zero(x))
defvjp(
    "pow",
    lambda g, ans, x, y: unbroadcast(g * _pow_slope(x, y), x),
    lambda g, ans, x, y: unbroadcast(g * ans * _log_or_zero(x), y),
)


# ans = x @ y; with 1-D operands numpy's rules: a vector on the left is a row, on the right a column.
def _matmul_vjp_x(g: Any, ans: Any, x: Any, y: Any) -> Any:
    if y.ndim == 1:  # ans[..., i] = sum_j x[..., i, j] y[j]
        return g * y if x.ndim == 1 else g[..., None] * y
    if x.ndim == 1:  # ans[..., k] = sum_j x[j] y[..., j, k]
        return y @ g if y.ndim == 2 else unbroadcast((y @ g[..., None])[..., 0], x)
    return g @ y.T if x.ndim == y.ndim == 2 else unbroadcast(g @ _swap_last(y), x)


def _matmul_vjp_y(g: Any, ans: Any, x: Any, y: Any) -> Any:
    if x.ndim == 1:
        return g * x if y.ndim == 1 else x[:, None] * g[..., None, :]
    if x.ndim == 2:  # the usual case: a matrix times a vector or a matrix
        return x.T @ g
    if y.ndim == 1:
        return unbroadcast((_swap_last(x) @ g[..., None])[..., 0], y)
    return unbroadcast(_swap_last(x) @ g, y)


defjvp("matmul", lambda t, ans, x, y: t @ y, lambda t, ans, x, y: x @ t)
defvjp("matmul", _matmul_vjp_x, _matmul_vjp_y)

# ---------------------------------------------------------------------------------------------------------
# Reductions
# ---------------------------------------------------------------------------------------------------------

defjvp("sum", lambda t, ans, x, axis=None, keepdims=False: t.sum(axis=axis, keepdims=keepdims))
defvjp(
    "sum", lambda g, ans, x, axis=None, keepdims=False: broadcast_to(_keepdims(g, x, axis, keepdims), x.shape)
)


defjvp("mean", lambda t, ans, x, axis=None, keepdims=False: t.mean(axis=axis, keepdims=keepdims))
defvjp(
    "mean",
    lambda g, ans, x, axis=None, keepdims=False: broadcast_to(
        _keepdims(g, x, axis, keepdims) * (1.0 / count(x.shape, axis)), x.shape
    ),
)


def _softmax_along(ans: Any, x: Any, axis: Any, keepdims: bool) -> Any:
    """exp(x - logsumexp(x)): the derivative of logsumexp, computed from its answer."""
    return fn.exp(x - _keepdims(ans, x, axis, keepdims))


defjvp(
    "logsumexp",
    lambda t, ans, x, axis=None, keepdims=False: (t * _softmax_along(ans, x, axis, keepdims)).sum(
        axis=axis, keepdims=keepdims
    ),
)
defvjp(
    "logsumexp",
    lambda g, ans, x, axis=None, keepdims=False: (
        _keepdims(g, x, axis, keepdims) * _softmax_along(ans, x, axis, keepdims)
    ),
)

# ans = log_softmax(x) = x - logsumexp(x): d ans = dx - sum(softmax * dx), and softmax = exp(ans)
defjvp("log_softmax", lambda t, ans, x, axis: t - (t * fn.exp(ans)).sum(axis=axis, keepdims=True))
defvjp("log_softmax", lambda g, ans, x, axis: g - fn.exp(ans) * g.sum(axis=axis, keepdims=True))

# ans = softmax(x): d ans = ans * (dx - sum(ans * dx)), a symmetric Jacobian diag(p) - p p^T
defjvp("softmax", lambda t, ans, x, axis: ans * (t - (t * ans).sum(axis=axis, keepdims=True)))
defvjp("softmax", lambda g, ans, x, axis: ans * (g - (g * ans).sum(axis=axis, keepdims=True)))

# ---------------------------------------------------------------------------------------------------------
# Structure: linear maps that only move entries, so the JVP applies the same map to the tangent and the
# VJP applies its transpose to the gradient
# ---------------------------------------------------------------------------------------------------------

defjvp("reshape", lambda t, ans, x, shape: t.reshape(shape))
defvjp("reshape", lambda g, ans, x, shape: g.reshape(x.shape))

defjvp("transpose", lambda t, ans, x, axes=None: t.transpose(axes))
defvjp(
    "transpose",
    lambda g, ans, x, axes=None: g.transpose(
        None if axes is None else tuple(int(a) for a in np.argsort(axes))
    ),
)

defjvp("getitem", lambda t, ans, x, index: t[index])
defvjp("getitem", lambda g, ans, x, index: scatter_add(g, index, x.shape))

defjvp("scatter_add", lambda t, ans, x, index, shape: scatter_add(t, index, shape))
defvjp("scatter_add", lambda g, ans, x, index, shape: g[index])

defjvp("broadcast_to", lambda t, ans, x, shape: broadcast_to(t, shape))
defvjp("broadcast_to", lambda g, ans, x, shape: unbroadcast(g, x))


def _slot(i: int, axis: int) -> tuple[Any, ...]:
    """The index of item i in the result of stack(..., axis)."""
    return (slice(None),) * axis + (i,)


JVPS["stack"] = _EachInput(lambda i, t, ans, *items, axis: scatter_add(t, _slot(i, axis), ans.shape))
VJPS["stack"] = _EachInput(lambda i, g, ans, *items, axis: g[_slot(i, axis)])

missing = set(NUMPY) ^ set(VJPS)
assert not missing and set(JVPS) == set(VJPS), (
    f"primitives without rules (or rules without primitives): {missing}"
)
del missing
