"""The numpy kernels: what every primitive computes on plain numbers and arrays (float64 in, float64 out).

A kernel never sees a Dual or a Tensor: :func:`labcode.autodiff.ops.apply` hands it plain operands, and
the engines call it on the numbers inside theirs. So the numerics and the argument checks written here
hold on every route, for arrays, Duals and Tensors alike. The stable activations and reductions live here
once, and :mod:`labcode.losses` uses them too:

* ``sigmoid`` and ``softplus`` (so ``log_sigmoid = -softplus(-x)``) apply ``exp`` only where it cannot
  overflow: ``sigmoid(1e4) == 1.0``, ``sigmoid(-1e4) == 0.0``, ``softplus(1e4) == 1e4``.
* ``logsumexp``, ``log_softmax`` and ``softmax`` shift by the maximum along the axis and add its term
  back through ``log1p``, so that ``logsumexp([0, -50]) = 1.9e-22`` is not rounded to 0.
* nan is refused by all of them with a ValueError saying where it is: in a course a nan is a bug to find,
  and these are the functions a nan reaches first. ``-inf`` entries are allowed in the softmax family
  (probability 0: a masked class), ``+inf`` and all-``-inf`` slices are refused (``inf - inf``).

``STRUCTURAL`` holds the kernels of the operators and methods of Dual and Tensor (arithmetic, reductions,
indexing, reshaping); the kernels of the public functions are registered by
:mod:`labcode.autodiff.functions`, next to each function.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from labcode._checks import as_float_array, shape_str

Array = np.ndarray
PLAIN = (np.ndarray, np.float64)  # what the fast path of every kernel takes without conversion
Axis = int | tuple[int, ...] | None


def plain(x: Any, name: str = "x") -> Array:
    """x as float64 (numbers and arrays pass through when they already are)."""
    return x if type(x) in PLAIN else as_float_array(x, name)


def _first_bad(x: Array, bad: Array) -> str:
    """``x[1, 2] = -0.5``: the first offending entry, for an error message."""
    if x.ndim == 0:
        return f"x = {float(x)!r}"
    where = [int(i) for i in np.argwhere(bad)[0]]
    return f"x{where} = {float(x[tuple(where)])!r}"


def _refuse(bad: Array, x: Array, what: str) -> None:
    if bad.any():
        raise ValueError(f"{what}, but {_first_bad(x, bad)} ({int(bad.sum())} of {x.size} entries)")


# ---------------------------------------------------------------------------------------------------------
# Elementwise
# ---------------------------------------------------------------------------------------------------------


def log(x: Any) -> Array:
    x = plain(x)
    _refuse(x <= 0, x, "log needs x > 0")
    return np.log(x)


def sqrt(x: Any) -> Array:
    x = plain(x)
    _refuse(x < 0, x, "sqrt needs x >= 0")
    return np.sqrt(x)


def sigmoid(x: Any) -> Array:
    """1 / (1 + e^-x). For x < -709, e^-x overflows to inf and 1 / (1 + inf) = 0 is the right answer (the
    true value is below the smallest float): nothing to warn about. Accurate to ~1 ulp, relative."""
    x = plain(x)
    _refuse(np.isnan(x), x, "sigmoid needs a number, not nan")
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-x))


def softplus(x: Any) -> Array:
    """log(1 + e^x) = max(x, 0) + log(1 + e^-|x|): no overflow, and 5x faster than np.logaddexp(0, x)."""
    x = plain(x)
    _refuse(np.isnan(x), x, "softplus needs a number, not nan")
    return np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x)))


# ---------------------------------------------------------------------------------------------------------
# The softmax family: one shift, one sum, along ``axis`` (an int, a tuple or None for every axis)
# ---------------------------------------------------------------------------------------------------------


def _shifted_and_log_sum(x: Any, axis: Axis) -> tuple[Array, Array, Array]:
    """(x - m, log(sum(exp(x - m))), m) along ``axis``, m the maximum, each keeping the reduced axes.

    Every shifted entry is <= 0, so no exp overflows. The entries equal to the maximum contribute
    exp(0) = 1 each, exactly; the rest is added through log1p, so a tiny rest survives
    (log(1 + 1e-18) rounds to 0, log1p(1e-18) = 1e-18).
    """
    x = plain(x)
    _refuse(np.isnan(x), x, "the softmax family needs numbers, not nan")
    _refuse(np.isposinf(x), x, "the softmax family needs x < +inf (inf - inf has no answer)")
    m = np.max(x, axis=axis, keepdims=True)
    masked = np.isneginf(m)
    if np.any(masked):
        reduced = range(x.ndim) if axis is None else [a % x.ndim for a in np.atleast_1d(axis)]
        first = np.argwhere(masked)[0]
        where = ", ".join(":" if a in reduced else str(int(i)) for a, i in enumerate(first))
        raise ValueError(
            f"every slice of x along axis {axis} needs a finite entry, but x[{where}] is all -inf "
            f"(x has shape {shape_str(x.shape)})"
        )
    with np.errstate(over="ignore"):  # -1e308 - 1e308 = -inf is the right limit: its exp is 0
        shifted = x - m
    e = np.exp(shifted)
    top = shifted == 0
    ties = np.sum(top, axis=axis, keepdims=True)
    rest = np.sum(np.where(top, 0.0, e), axis=axis, keepdims=True)
    return shifted, np.log1p((ties - 1.0) + rest), m


def logsumexp(x: Any, axis: Axis = -1, keepdims: bool = False) -> Array:
    shifted, log_sum, m = _shifted_and_log_sum(x, axis)
    out = m + log_sum
    return out if keepdims else np.squeeze(out, axis=axis)


def log_softmax(x: Any, axis: Axis = -1) -> Array:
    shifted, log_sum, _ = _shifted_and_log_sum(x, axis)
    return shifted - log_sum


def softmax(x: Any, axis: Axis = -1) -> Array:
    shifted, _, _ = _shifted_and_log_sum(x, axis)
    e = np.exp(shifted)
    return e / np.sum(e, axis=axis, keepdims=True)  # the sum is >= 1: the maximum contributes 1


# ---------------------------------------------------------------------------------------------------------
# Structure
# ---------------------------------------------------------------------------------------------------------


def count(shape: tuple[int, ...], axis: Axis) -> int:
    """How many entries a reduction over ``axis`` (None: all axes) adds up."""
    if axis is None:
        return math.prod(shape)
    return math.prod(shape[a] for a in (axis if isinstance(axis, tuple) else (axis,)))


def _broadcast_to(x: Any, shape: tuple[int, ...]) -> Array:
    out = np.empty(shape)  # a writeable array of its own (np.broadcast_to gives a read-only view, slower)
    out[...] = x
    return out


def _is_basic_index(index: Any) -> bool:
    """True for ints, slices, None and ... (alone or in a tuple): an index that cannot repeat an entry."""
    parts = index if isinstance(index, tuple) else (index,)
    return all(
        p is None or p is Ellipsis or isinstance(p, (slice, int, np.integer)) and not isinstance(p, bool)
        for p in parts
    )


def _scatter_add(g: Any, index: Any, shape: tuple[int, ...]) -> Array:
    """zeros(shape) with g added at ``index``: the transpose of indexing, so repeated entries add up."""
    out = np.zeros(shape)
    if _is_basic_index(index):
        out[index] = g
    else:
        np.add.at(out, index, g)
    return out


def check_matmul(a: tuple[int, ...], b: tuple[int, ...]) -> None:
    """Raise a ValueError naming both shapes when ``a @ b`` is not defined."""
    if not a or not b:
        raise ValueError(
            f"@ needs operands with at least one axis, got shapes {shape_str(a)} and {shape_str(b)}; "
            "use * to multiply by a scalar"
        )
    inner = b[0] if len(b) == 1 else b[-2]
    if a[-1] != inner:
        where = "first (only)" if len(b) == 1 else "second-to-last"
        raise ValueError(
            f"@ got shapes {shape_str(a)} and {shape_str(b)}, which do not align: the last axis of the left "
            f"operand ({a[-1]}) must equal the {where} axis of the right one ({inner})"
        )


def _matmul(x: Any, y: Any) -> Array:
    check_matmul(np.shape(x), np.shape(y))
    return x @ y


def check_stack(shapes: Sequence[tuple[int, ...]]) -> None:
    if not shapes:
        raise ValueError("stack needs at least one item")
    for i, s in enumerate(shapes):
        if s != shapes[0]:
            raise ValueError(
                f"stack needs items of one shape, but items[0] has shape {shape_str(shapes[0])} "
                f"and items[{i}] has shape {shape_str(s)}"
            )


def stack(*items: Any, axis: int = 0) -> Array:
    arrays = [plain(a, f"items[{i}]") for i, a in enumerate(items)]
    check_stack([a.shape for a in arrays])
    return np.stack(arrays, axis=axis)


STRUCTURAL: dict[str, Callable[..., Any]] = {
    # binary, with numpy's broadcasting
    "add": operator.add,
    "sub": operator.sub,
    "mul": operator.mul,
    "div": operator.truediv,
    "pow": operator.pow,
    "matmul": _matmul,
    # unary operators
    "neg": operator.neg,
    "abs": lambda x: np.abs(plain(x)),
    # reductions and structure
    "sum": lambda x, axis=None, keepdims=False: x.sum(axis=axis, keepdims=keepdims),
    "mean": lambda x, axis=None, keepdims=False: x.sum(axis=axis, keepdims=keepdims) / count(x.shape, axis),
    "reshape": lambda x, shape: x.reshape(shape),
    "transpose": lambda x, axes=None: x.transpose(axes),
    "getitem": lambda x, index: x[index],
    "scatter_add": _scatter_add,
    "broadcast_to": _broadcast_to,
}
"""The kernels of the operators and methods of Dual and Tensor, and of the rules' helpers."""
