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
Axis = int | tuple[int, ...] | None
FLOAT64 = np.dtype(np.float64)


def plain(x: Any, name: str = "x") -> Array:
    """x as float64 (a float64 number or array passes through as it is).

    Anything else is converted, so that integers, bools, float16 and float32 are computed in float64
    (numpy would compute ``exp(np.int16([300]))`` in float16, giving inf, and ``sigmoid`` of a uint8 in
    uint8 arithmetic), and complex numbers are refused with a TypeError naming ``name``.
    """
    kind = type(x)
    # identity with numpy's canonical float64 dtype (2x faster than ==, and this runs in every kernel); a
    # float64 dtype that is another object (byte-swapped, say) takes the slow road and is converted
    if kind is np.float64 or (kind is np.ndarray and x.dtype is FLOAT64):
        return x
    return as_float_array(x, name)


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
    _refuse(~(x > 0), x, "log needs x > 0")  # written so that nan is refused too
    return np.log(x)


def sqrt(x: Any) -> Array:
    x = plain(x)
    _refuse(~(x >= 0), x, "sqrt needs x >= 0")
    return np.sqrt(x)


def _refuse_nan(out: Array, x: Array, what: str) -> None:
    """Raise when x held nan. ``out`` is nan where x is and nowhere else, and never -inf, so one sum
    tells (cheaper than a pass of isnan and one of any); the entry is looked for only then."""
    total = out.sum()
    if total != total:  # nan
        _refuse(np.isnan(x), x, what)


def sigmoid(x: Any) -> Array:
    """1 / (1 + e^-x). For x < -709, e^-x overflows to inf and 1 / (1 + inf) = 0 is the right answer (the
    true value is below the smallest float): nothing to warn about. Accurate to ~1 ulp, relative."""
    x = plain(x)
    with np.errstate(over="ignore"):
        out = 1.0 / (1.0 + np.exp(-x))
    _refuse_nan(out, x, "sigmoid needs numbers, not nan")
    return out


def softplus(x: Any) -> Array:
    """log(1 + e^x) = max(x, 0) + log(1 + e^-|x|): no overflow, and 5x faster than np.logaddexp(0, x)."""
    x = plain(x)
    out = np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x)))
    _refuse_nan(out, x, "softplus needs numbers, not nan")
    return out


# ---------------------------------------------------------------------------------------------------------
# The softmax family: one shift, one sum, along ``axis`` (an int, a tuple or None for every axis)
# ---------------------------------------------------------------------------------------------------------


def _bad_logits(x: Array, m: Array, axis: Axis) -> ValueError:
    """The error for logits whose maximum along ``axis`` is not finite: a nan, a +inf, or a slice of -inf."""
    for bad, what in (
        (np.isnan(x), "numbers, not nan"),
        (np.isposinf(x), "x < +inf (inf - inf has no answer)"),
    ):
        if bad.any():
            return ValueError(
                f"the softmax family needs {what}, but {_first_bad(x, bad)} ({int(bad.sum())} of {x.size} entries)"
            )
    reduced = range(x.ndim) if axis is None else [a % x.ndim for a in np.atleast_1d(axis)]
    first = np.argwhere(np.isneginf(m))[0]
    where = ", ".join(":" if a in reduced else str(int(i)) for a, i in enumerate(first))
    return ValueError(
        f"every slice of x along axis {axis} needs a finite entry, but x[{where}] is all -inf "
        f"(x has shape {shape_str(x.shape)})"
    )


def _along_last(x: Array, axis: Axis) -> tuple[Array, Callable[[Array], Array]]:
    """x with the axes of ``axis`` moved to the end as one axis, and the function that moves a result
    (of that shape, or with the last axis of length 1) back to x's axes."""
    axes = tuple(range(x.ndim)) if axis is None else tuple(a % x.ndim for a in axis)
    kept = [a for a in range(x.ndim) if a not in axes]
    order = kept + list(axes)
    moved_shape = [x.shape[a] for a in order]
    flat = np.transpose(x, order).reshape([x.shape[a] for a in kept] + [math.prod(x.shape[a] for a in axes)])

    def back(y: Array) -> Array:
        shape = moved_shape if y.shape[-1] == flat.shape[-1] else [x.shape[a] for a in kept] + [1] * len(axes)
        return np.transpose(y.reshape(shape), np.argsort(order))

    return flat, back


def _normalised(x: Any, axis: Axis, log: bool) -> tuple[Array, Array, Array]:
    """(x - m, then log(sum(exp(x - m))) if ``log`` else softmax(x), then m) along ``axis``, with m the
    maximum; the reduced axes are kept (length 1).

    Every shifted entry is <= 0, so no exp overflows. The maximum contributes exp(0) = 1 exactly: it is
    left out of the sum and added back through log1p, so a tiny rest survives (log(1 + 1e-18) rounds to
    0, log1p(1e-18) = 1e-18). A nan, a +inf or an all -inf slice makes m not finite: only then are the
    logits searched for the culprit.
    """
    x = plain(x)
    if axis is None or isinstance(axis, tuple):
        work, back = _along_last(x, axis)
        along = -1
    else:
        work, back, along = x, None, axis
    top = np.argmax(work, axis=along, keepdims=True)  # the first nan, if there is one
    m = np.take_along_axis(work, top, axis=along)
    if not np.all(np.isfinite(m)):
        raise _bad_logits(x, m if back is None else back(m), axis)
    with np.errstate(over="ignore"):  # -1e308 - 1e308 = -inf is the right limit: its exp is 0
        shifted = work - m
    e = np.exp(shifted)
    if log:
        np.put_along_axis(e, top, 0.0, axis=along)
        result = np.log1p(np.sum(e, axis=along, keepdims=True))
    else:
        result = e / np.sum(e, axis=along, keepdims=True)  # the sum is >= 1: the maximum contributes 1
    if back is not None:
        shifted, result, m = back(shifted), back(result), back(m)
    return shifted, result, m


def logsumexp(x: Any, axis: Axis = -1, keepdims: bool = False) -> Array:
    _, log_sum, m = _normalised(x, axis, log=True)
    out = m + log_sum
    return out if keepdims else np.squeeze(out, axis=axis)


def log_softmax(x: Any, axis: Axis = -1) -> Array:
    shifted, log_sum, _ = _normalised(x, axis, log=True)
    return shifted - log_sum


def softmax(x: Any, axis: Axis = -1) -> Array:
    return _normalised(x, axis, log=False)[1]


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
