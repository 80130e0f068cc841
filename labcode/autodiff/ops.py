"""The functions of labcode.autodiff, and the one door every operation goes through.

Each function takes a number, a numpy array, a :class:`~labcode.autodiff.Dual` or a
:class:`~labcode.autodiff.Tensor` and returns the same kind, with the same shape (a reduction drops axes):

========================  ================================================================
``exp log sin cos tanh``  elementwise, as in numpy; ``log`` refuses x <= 0, ``sqrt`` x < 0
``sqrt sigmoid relu``     ``sigmoid`` never overflows; ``relu(x) = max(x, 0)``, slope 0 at 0
``softplus``              log(1 + e^x), stable for any x; its derivative is sigmoid
``log_sigmoid``           log(sigmoid(x)) = -softplus(-x), stable for any x
``logsumexp``             log(sum(e^x)) over ``axis`` (all axes by default), stable
``log_softmax softmax``   along ``axis`` (default -1)
``stack``                 a list of same-shaped operands into one, along a new ``axis``
========================  ================================================================

On numbers and arrays they compute with numpy, so a loss written with them runs unchanged on plain
arrays (inside ``labcode.gradcheck.check_gradient``, say); on a Dual they also push its tangent forward,
on a Tensor they record themselves on the tape. Duals and Tensors also have the operators
``+ - * / ** @``, unary ``-`` and ``abs``, ``.sum .mean .reshape .transpose .T``, indexing and
comparisons (which return plain boolean arrays), all defined once here in :class:`ArrayOps`.

How an operation finds its engine. :func:`apply` looks at the operands: when none is a Dual or a Tensor
it runs numpy (``NUMPY``); otherwise the operand with the highest *level* runs it (a Dual pushes
tangents, a Tensor records), treating every other operand as a constant. Each ``jvp``/``grad`` call
takes a fresh, higher level, which is what keeps nested derivatives apart (no "perturbation
confusion"); Duals and Tensors made by hand are at level 0.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from labcode._checks import as_float_array, shape_str

__all__ = [
    "ArrayOps",
    "apply",
    "cos",
    "exp",
    "log",
    "log_sigmoid",
    "log_softmax",
    "logsumexp",
    "relu",
    "sigmoid",
    "sin",
    "softmax",
    "softplus",
    "sqrt",
    "stack",
    "tanh",
]

Array = np.ndarray
PLAIN = (np.ndarray, np.float64)  # what the fast path of every primitive takes without conversion


# ---------------------------------------------------------------------------------------------------------
# Levels: which of several Duals and Tensors runs an operation
# ---------------------------------------------------------------------------------------------------------

_highest_level = 0  # the highest level handed out so far


def level_of(x: Any) -> int:
    """The level of a Dual or a Tensor; -1 for anything else (a constant at every level)."""
    return x._level if isinstance(x, ArrayOps) else -1


def fresh_level(*inputs: Any) -> int:
    """A level above every level in use, for one call of jvp, grad, vjp, ...

    Higher than anything made before, so whatever f closes over (an outer Dual or Tensor) is a constant
    to this call, and whatever this call makes is a constant to the calls around it.
    """
    global _highest_level
    _highest_level = max(_highest_level, *(level_of(x) for x in inputs), 0) + 1
    return _highest_level


def nested_level(*contents: Any) -> int:
    """The level of a Dual made by hand around ``contents``: one above what it holds (0 for numbers)."""
    global _highest_level
    level = 1 + max(level_of(x) for x in contents)
    _highest_level = max(_highest_level, level)
    return level


def highest_level() -> int:
    return _highest_level


def primal(x: Any) -> Any:
    """The plain numbers inside x: x itself for a number or an array, else its innermost value."""
    while isinstance(x, ArrayOps):
        x = x._inner
    return x


def shape_of(x: Any) -> tuple[int, ...]:
    return x.shape if isinstance(x, (np.ndarray, np.generic, ArrayOps)) else np.shape(x)


def as_operand(x: Any, name: str) -> Any:
    """x as float64 (a numpy scalar for a number, an array otherwise), or a nested Dual/Tensor as it is."""
    if type(x) is np.ndarray and x.dtype == np.float64 and x.ndim:
        return x  # never written into by labcode.autodiff, so no copy needed
    if isinstance(x, ArrayOps):
        return x
    arr = as_float_array(x, name)
    return arr[()] if arr.ndim == 0 else arr


def to_result(x: Any) -> Any:
    """What jvp, grad, ... hand back: a float for a 0-d result, a fresh array otherwise (a nested Dual or
    Tensor, inside another derivative, as it is)."""
    if isinstance(x, ArrayOps):
        return x
    arr = np.asarray(x, dtype=np.float64)
    return arr.copy() if arr.ndim else float(arr)


def _mixed_error(a: ArrayOps, b: ArrayOps) -> TypeError:
    return TypeError(
        f"cannot combine a {type(a).__name__} and a {type(b).__name__} made at the same level (both by hand): "
        "a Tensor's data cannot carry a tangent, and a Dual's value cannot be recorded on a tape. "
        "Let the functions nest them, e.g. jvp(grad(f), x, v) or hvp(f, x, v)"
    )


def apply(name: str, *args: Any, **params: Any) -> Any:
    """Run the primitive ``name`` on ``args``: with numpy when all are plain, else by the highest-level operand."""
    top = None
    for a in args:
        if isinstance(a, ArrayOps):
            if top is None or a._level > top._level:
                top = a
            elif a._level == top._level and type(a) is not type(top):
                raise _mixed_error(top, a)
    if top is None:
        return NUMPY[name](*args, **params)
    return top._process(name, args, params)


# ---------------------------------------------------------------------------------------------------------
# The numpy implementation of every primitive (plain numbers and arrays in, float64 out)
# ---------------------------------------------------------------------------------------------------------


def _plain(x: Any, name: str = "x") -> Array:
    return x if type(x) in PLAIN else as_float_array(x, name)


def _first_bad(x: Array, bad: Array) -> str:
    """``x[1, 2] = -0.5``: the first offending entry, for an error message."""
    if x.ndim == 0:
        return f"x = {float(x)!r}"
    where = [int(i) for i in np.argwhere(bad)[0]]
    return f"x{where} = {float(x[tuple(where)])!r}"


def _log(x: Any) -> Array:
    x = _plain(x)
    bad = x <= 0
    if bad.any():
        raise ValueError(
            f"log needs x > 0, but {_first_bad(x, bad)} ({int(bad.sum())} of {x.size} entries are <= 0)"
        )
    return np.log(x)


def _sqrt(x: Any) -> Array:
    x = _plain(x)
    bad = x < 0
    if bad.any():
        raise ValueError(
            f"sqrt needs x >= 0, but {_first_bad(x, bad)} ({int(bad.sum())} of {x.size} entries are < 0)"
        )
    return np.sqrt(x)


def _sigmoid(x: Any) -> Array:
    x = _plain(x)
    # For x < -709, e^-x overflows to inf and 1 / (1 + inf) = 0 is the right answer (the true value is
    # below the smallest float): nothing to warn about. Accurate to ~1 ulp everywhere, relative.
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-x))


def _softplus(x: Any) -> Array:
    x = _plain(x)
    # log(1 + e^x) = max(x, 0) + log(1 + e^-|x|): no overflow, and 5x faster than np.logaddexp(0, x)
    return np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x)))


def _broadcast_to(x: Any, shape: tuple[int, ...]) -> Array:
    out = np.empty(shape)  # a writeable array of its own (np.broadcast_to gives a read-only view, slower)
    out[...] = x
    return out


def _logsumexp(x: Any, axis: Any = None, keepdims: bool = False) -> Array:
    x = _plain(x)
    m = np.max(x, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)  # rows of -inf (or +inf) must not become inf - inf
    with np.errstate(divide="ignore"):  # a row of -inf has logsumexp -inf, exactly
        out = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=axis)


def count(shape: tuple[int, ...], axis: Any) -> int:
    """How many entries a reduction over ``axis`` (None: all axes) adds up."""
    if axis is None:
        return math.prod(shape)
    return math.prod(shape[a] for a in (axis if isinstance(axis, tuple) else (axis,)))


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
    check_matmul(shape_of(x), shape_of(y))
    return x @ y


def _stack(*items: Any, axis: int = 0) -> Array:
    arrays = [_plain(a, f"items[{i}]") for i, a in enumerate(items)]
    check_stack([a.shape for a in arrays])
    return np.stack(arrays, axis=axis)


def check_stack(shapes: Sequence[tuple[int, ...]]) -> None:
    if not shapes:
        raise ValueError("stack needs at least one item")
    for i, s in enumerate(shapes):
        if s != shapes[0]:
            raise ValueError(
                f"stack needs items of one shape, but items[0] has shape {shape_str(shapes[0])} "
                f"and items[{i}] has shape {shape_str(s)}"
            )


NUMPY: dict[str, Callable[..., Any]] = {
    # binary, with numpy's broadcasting
    "add": operator.add,
    "sub": operator.sub,
    "mul": operator.mul,
    "div": operator.truediv,
    "pow": operator.pow,
    "matmul": _matmul,
    # elementwise
    "neg": operator.neg,
    "abs": lambda x: np.abs(_plain(x)),
    "exp": lambda x: np.exp(_plain(x)),
    "log": _log,
    "sin": lambda x: np.sin(_plain(x)),
    "cos": lambda x: np.cos(_plain(x)),
    "tanh": lambda x: np.tanh(_plain(x)),
    "sqrt": _sqrt,
    "sigmoid": _sigmoid,
    "relu": lambda x: np.maximum(_plain(x), 0.0),
    "softplus": _softplus,
    # reductions and structure
    "sum": lambda x, axis=None, keepdims=False: x.sum(axis=axis, keepdims=keepdims),
    "mean": lambda x, axis=None, keepdims=False: x.sum(axis=axis, keepdims=keepdims) / count(x.shape, axis),
    "logsumexp": _logsumexp,
    "reshape": lambda x, shape: x.reshape(shape),
    "transpose": lambda x, axes=None: x.transpose(axes),
    "getitem": lambda x, index: x[index],
    "scatter_add": _scatter_add,
    "broadcast_to": _broadcast_to,
    "stack": _stack,
}


# ---------------------------------------------------------------------------------------------------------
# The functions
# ---------------------------------------------------------------------------------------------------------


def exp(x: Any) -> Any:
    """e^x, elementwise."""
    return apply("exp", x)


def log(x: Any) -> Any:
    """Natural logarithm, elementwise; raises ValueError where x <= 0 (log(0) = -inf is a bug in a loss)."""
    return apply("log", x)


def sin(x: Any) -> Any:
    """sin(x), elementwise."""
    return apply("sin", x)


def cos(x: Any) -> Any:
    """cos(x), elementwise."""
    return apply("cos", x)


def tanh(x: Any) -> Any:
    """tanh(x), elementwise; its derivative is 1 - tanh(x)^2."""
    return apply("tanh", x)


def sqrt(x: Any) -> Any:
    """Square root, elementwise; raises ValueError where x < 0 (its derivative is infinite at 0)."""
    return apply("sqrt", x)


def sigmoid(x: Any) -> Any:
    """1 / (1 + e^-x), elementwise, without overflow; its derivative is sigmoid(x) sigmoid(-x)."""
    return apply("sigmoid", x)


def relu(x: Any) -> Any:
    """max(x, 0), elementwise; its derivative is 1 where x > 0 and 0 elsewhere (0 at the kink x = 0)."""
    return apply("relu", x)


def softplus(x: Any) -> Any:
    """log(1 + e^x), elementwise, as max(x, 0) + log1p(e^-|x|): softplus(1e4) = 1e4, no overflow."""
    return apply("softplus", x)


def log_sigmoid(x: Any) -> Any:
    """log(sigmoid(x)) = -softplus(-x), elementwise: log_sigmoid(-1e4) = -1e4 where log(sigmoid) gives -inf."""
    return -softplus(-x)


def logsumexp(x: Any, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Any:
    """log(sum(exp(x))) over ``axis`` (every axis when None), shifted by the max so it never overflows.

    x: any shape; returns x's shape without ``axis`` (kept as length 1 with ``keepdims``).
    Its gradient is softmax(x) along ``axis``.
    """
    if axis is not None:
        axis = _axis_arg(axis, len(shape_of(x)))
    return apply("logsumexp", x, axis=axis, keepdims=bool(keepdims))


def log_softmax(x: Any, axis: int = -1) -> Any:
    """x - logsumexp(x, axis, keepdims=True): the log-probabilities of the logits x, same shape as x."""
    return x - logsumexp(x, axis=axis, keepdims=True)


def softmax(x: Any, axis: int = -1) -> Any:
    """exp(log_softmax(x, axis)): probabilities along ``axis`` that sum to 1, same shape as x."""
    return exp(log_softmax(x, axis=axis))


def stack(items: Sequence[Any], axis: int = 0) -> Any:
    """Stack operands of one shape s along a new ``axis``: returns shape s with len(items) inserted.

    The way to build a vector-valued function from scalar pieces, e.g. ``stack([x[0] ** 2, x[0] * x[1]])``.
    Items may mix numbers, arrays, Duals and Tensors.
    """
    if isinstance(items, (np.ndarray, ArrayOps)) or not isinstance(items, Sequence):
        raise TypeError(f"stack takes a list or tuple of operands, got {type(items).__name__}")
    items = tuple(items)
    if not items:
        raise ValueError("stack needs at least one item")
    ndim = len(shape_of(items[0])) + 1
    if not isinstance(axis, (int, np.integer)) or not -ndim <= axis < ndim:
        raise ValueError(
            f"stack: axis must be an integer in [{-ndim}, {ndim - 1}] for items of {ndim - 1} axes"
        )
    return apply("stack", *items, axis=int(axis) % ndim)


# ---------------------------------------------------------------------------------------------------------
# The array interface shared by Dual and Tensor
# ---------------------------------------------------------------------------------------------------------

_UFUNC_PRIMITIVES = {
    np.add: "add",
    np.subtract: "sub",
    np.multiply: "mul",
    np.true_divide: "div",
    np.power: "pow",
    np.matmul: "matmul",
    np.negative: "neg",
    np.absolute: "abs",
}
_UFUNC_COMPARISONS = (np.less, np.less_equal, np.greater, np.greater_equal, np.equal, np.not_equal)

_HINTS = {
    "exp": "labcode.autodiff.exp (which takes numbers, arrays, Duals and Tensors)",
    "log": "labcode.autodiff.log (which takes numbers, arrays, Duals and Tensors)",
    "sin": "labcode.autodiff.sin (which takes numbers, arrays, Duals and Tensors)",
    "cos": "labcode.autodiff.cos (which takes numbers, arrays, Duals and Tensors)",
    "tanh": "labcode.autodiff.tanh (which takes numbers, arrays, Duals and Tensors)",
    "sqrt": "labcode.autodiff.sqrt (which takes numbers, arrays, Duals and Tensors)",
    "absolute": "abs(x)",
    "maximum": "labcode.autodiff.relu (for maximum(x, 0))",
    "logaddexp": "labcode.autodiff.softplus (softplus(x) = logaddexp(0, x))",
    "square": "x ** 2",
    "sum": "x.sum(axis=..., keepdims=...)",
    "mean": "x.mean(axis=..., keepdims=...)",
    "reshape": "x.reshape(...)",
    "transpose": "x.T or x.transpose(...)",
    "dot": "x @ y",
    "inner": "x @ y",
    "stack": "labcode.autodiff.stack",
    "array": "labcode.autodiff.stack",
}
FUNCTIONS = "exp, log, sin, cos, tanh, sqrt, sigmoid, relu, softplus, log_sigmoid, logsumexp, log_softmax, softmax, stack"


def numpy_error(name: str, operand: ArrayOps) -> TypeError:
    """The TypeError for a numpy function applied to a Dual or a Tensor, saying what to use instead."""
    kind = type(operand).__name__
    loses = "carry its tangent" if kind == "Dual" else "record it on the tape"
    numbers = ".value" if kind == "Dual" else ".data"
    hint = _HINTS.get(name)
    if hint is not None:
        return TypeError(
            f"numpy.{name} was applied to a {kind}, but numpy sees only numbers and cannot {loses}: "
            f"use {hint} instead"
        )
    return TypeError(
        f"numpy.{name} was applied to a {kind}, but numpy sees only numbers and cannot {loses}, and "
        f"labcode.autodiff has no differentiable numpy.{name}: write it with the operators and "
        f"labcode.autodiff's functions ({FUNCTIONS}), or take the numbers out with {numbers} if you do "
        "not need its derivative"
    )


def _axes(axes: tuple[Any, ...]) -> tuple[int, ...] | None:
    """transpose(1, 0), transpose((1, 0)) and transpose() the way numpy reads them."""
    if len(axes) == 1 and (axes[0] is None or isinstance(axes[0], (tuple, list))):
        axes = axes[0]
    return None if axes is None or len(axes) == 0 else tuple(int(a) for a in axes)


def _shape_arg(shape: tuple[Any, ...]) -> tuple[int, ...]:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = shape[0]
    return tuple(int(s) for s in shape)


def _axis_arg(axis: Any, ndim: int) -> int | tuple[int, ...] | None:
    """axis as numpy takes it, or a ValueError that names the axis and the number of axes."""
    if axis is None:
        return None
    many = isinstance(axis, (tuple, list))
    axes = tuple(axis) if many else (axis,)
    out = []
    for a in axes:
        if isinstance(a, bool) or not isinstance(a, (int, np.integer)):
            raise TypeError(f"axis must be an integer, a tuple of integers or None, got {axis!r}")
        if not -ndim <= a < ndim:
            raise ValueError(f"axis {int(a)} is out of range for an operand with {ndim} axes")
        out.append(int(a) % ndim)
    return tuple(out) if many else out[0]


def _check_index(index: Any) -> Any:
    parts = index if isinstance(index, tuple) else (index,)
    for p in parts:
        if isinstance(p, ArrayOps):
            raise TypeError(
                f"index with integers, slices or integer arrays, not a {type(p).__name__} "
                "(an index has no derivative): use its numbers, e.g. .data"
            )
    return index


class ArrayOps:
    """The numpy-like interface of Dual and Tensor: every operator and method goes through :func:`apply`.

    Comparisons (``< <= > >= == !=``) compare the numbers and return plain boolean arrays, as numpy's do;
    hashing is by identity.

    A subclass defines ``_inner`` (the value it wraps), ``_level`` and ``_process(name, args, params)``,
    which runs one primitive on operands of which it is the highest-level one.
    """

    __slots__ = ()
    _level: int

    @property
    def _inner(self) -> Any:  # pragma: no cover - always overridden
        raise NotImplementedError

    def _process(self, name: str, args: tuple[Any, ...], params: dict[str, Any]) -> Any:  # pragma: no cover
        raise NotImplementedError

    # shape -------------------------------------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        return shape_of(self._inner)

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    def __len__(self) -> int:
        if not self.shape:
            raise TypeError(f"len() of a 0-d {type(self).__name__}")
        return self.shape[0]

    def __iter__(self) -> Any:
        if not self.shape:
            raise TypeError(f"iteration over a 0-d {type(self).__name__}")
        return (self[i] for i in range(self.shape[0]))

    # arithmetic: self on the left, or on the right (the r-methods: other OP self) ----------------------
    def __add__(self, other: Any) -> Any:
        return apply("add", self, other)

    def __radd__(self, other: Any) -> Any:  # other + self
        return apply("add", other, self)

    def __sub__(self, other: Any) -> Any:
        return apply("sub", self, other)

    def __rsub__(self, other: Any) -> Any:  # other - self
        return apply("sub", other, self)

    def __mul__(self, other: Any) -> Any:
        return apply("mul", self, other)

    def __rmul__(self, other: Any) -> Any:  # other * self
        return apply("mul", other, self)

    def __truediv__(self, other: Any) -> Any:
        return apply("div", self, other)

    def __rtruediv__(self, other: Any) -> Any:  # other / self
        return apply("div", other, self)

    def __pow__(self, other: Any) -> Any:
        return apply("pow", self, other)

    def __rpow__(self, other: Any) -> Any:  # other ** self
        return apply("pow", other, self)

    def __matmul__(self, other: Any) -> Any:
        return apply("matmul", self, other)

    def __rmatmul__(self, other: Any) -> Any:  # other @ self
        return apply("matmul", other, self)

    def __neg__(self) -> Any:
        return apply("neg", self)

    def __pos__(self) -> Any:
        return self

    def __abs__(self) -> Any:
        return apply("abs", self)

    # reductions and structure ----------------------------------------------------------------------------
    def sum(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Any:
        """Sum over ``axis`` (all axes when None); ``keepdims`` keeps them as length 1."""
        if axis is not None:
            axis = _axis_arg(axis, self.ndim)
        return apply("sum", self, axis=axis, keepdims=bool(keepdims))

    def mean(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Any:
        """Mean over ``axis`` (all axes when None): the sum divided by the number of entries summed."""
        if axis is not None:
            axis = _axis_arg(axis, self.ndim)
        return apply("mean", self, axis=axis, keepdims=bool(keepdims))

    def reshape(self, *shape: Any) -> Any:
        """The same entries in a new shape, as ndarray.reshape (one axis may be -1)."""
        return apply("reshape", self, shape=_shape_arg(shape))

    def transpose(self, *axes: Any) -> Any:
        """Axes reversed (no arguments) or permuted, as ndarray.transpose."""
        return apply("transpose", self, axes=_axes(axes))

    @property
    def T(self) -> Any:
        return self.transpose()

    def __getitem__(self, index: Any) -> Any:
        return apply("getitem", self, index=_check_index(index))

    # comparisons look at the numbers only, and return plain boolean arrays ------------------------------
    def __lt__(self, other: Any) -> Any:
        return primal(self) < primal(other)

    def __le__(self, other: Any) -> Any:
        return primal(self) <= primal(other)

    def __gt__(self, other: Any) -> Any:
        return primal(self) > primal(other)

    def __ge__(self, other: Any) -> Any:
        return primal(self) >= primal(other)

    def __eq__(self, other: Any) -> Any:  # type: ignore[override]
        return primal(self) == primal(other)

    def __ne__(self, other: Any) -> Any:  # type: ignore[override]
        return primal(self) != primal(other)

    __hash__ = object.__hash__  # identity, as for any object: a Tensor can be a dict key

    # conversions -------------------------------------------------------------------------------------------
    def item(self) -> float:
        """The number inside a size-1 operand, as a Python float (without its derivative)."""
        p = np.asarray(primal(self))
        if p.size != 1:
            raise TypeError(
                f"only a {type(self).__name__} with one entry converts to a number; this one has shape "
                f"{shape_str(p.shape)}"
            )
        return float(p.item())

    def __float__(self) -> float:
        return self.item()

    def __bool__(self) -> bool:
        return bool(primal(self))

    def __format__(self, spec: str) -> str:
        if spec and np.size(primal(self)) == 1:
            return format(self.item(), spec)
        return format(str(self), spec)

    # numpy: arithmetic ufuncs (ndarray * Tensor, A @ Dual) come back here; anything else explains itself
    def __array_ufunc__(self, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
        if method == "__call__" and not kwargs:
            name = _UFUNC_PRIMITIVES.get(ufunc)
            if name is not None:
                return apply(name, *inputs)
            if ufunc in _UFUNC_COMPARISONS:
                return ufunc(*(primal(x) for x in inputs))
        raise numpy_error(ufunc.__name__, self)

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        raise numpy_error(func.__name__, self)

    def __array__(self, *args: Any, **kwargs: Any) -> Array:
        numbers = ".value" if type(self).__name__ == "Dual" else ".data"
        raise TypeError(
            f"a {type(self).__name__} does not turn into a numpy array by itself (that would drop its "
            f"derivative); use {numbers} for its numbers"
        )


def format_value(x: Any) -> str:
    """A value for a repr: 6.0, [1., 2.], or the repr of a nested Dual/Tensor."""
    if isinstance(x, ArrayOps):
        return repr(x)
    x = np.asarray(x)
    if x.ndim == 0:
        return repr(float(x))
    return np.array2string(x, separator=", ")
