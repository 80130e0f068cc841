"""The one door every operation goes through, and the array interface of Dual and Tensor.

How an operation finds its engine. :func:`apply` looks at the operands: when none is a Dual or a Tensor
it runs the numpy kernel (``NUMPY``, see :mod:`labcode.autodiff.kernels`); otherwise the operand with the
highest *level* runs it (a Dual pushes tangents, a Tensor records), treating every other operand as a
constant. Each ``jvp``/``grad`` call takes a fresh, higher level for as long as it runs
(:mod:`labcode.autodiff.levels`), which is what keeps nested derivatives apart.

A primitive is a name in three tables: ``NUMPY[name]`` (its kernel), ``rules.JVPS[name]`` and
``rules.VJPS[name]``. The operators' primitives come with the kernels module; a public function
registers its own kernel with the :func:`primitive` decorator, and :func:`composite` marks a function
written with other functions. Both record the function's name in ``FUNCTIONS``, from which
``labcode.autodiff`` exports them and the error messages list them. So adding a primitive touches its
function (decorated, in :mod:`labcode.autodiff.functions`) and its rule (in :mod:`labcode.autodiff.rules`),
and ``tests/test_autodiff_primitives.py`` fails if either is missing.

:class:`ArrayOps` gives Duals and Tensors the operators ``+ - * / ** @``, unary ``-`` and ``abs``,
``.sum .mean .reshape .transpose .T``, indexing and comparisons (which return plain boolean arrays), and
explains itself when numpy is applied to one.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np

from labcode._checks import as_float_array, shape_str
from labcode.autodiff import kernels, levels

__all__ = [
    "FUNCTIONS",
    "NUMPY",
    "ArrayOps",
    "LostDerivativeWarning",
    "apply",
    "call",
    "composite",
    "primitive",
]

Array = np.ndarray
F = TypeVar("F", bound=Callable[..., Any])

NUMPY: dict[str, Callable[..., Any]] = dict(kernels.STRUCTURAL)
"""The numpy kernel of every primitive, by name."""

FUNCTIONS: list[str] = []
"""The public functions of labcode.autodiff, in the order they are defined (filled by the decorators)."""


class LostDerivativeWarning(UserWarning):
    """A Dual or Tensor was turned into a plain float (``float(x)``, ``math.sin(x)``) while its derivative
    was being taken: what follows from it is a constant to jvp and grad, so their result lacks its part."""


def primitive(kernel: Callable[..., Any]) -> Callable[[F], F]:
    """Register the decorated public function as a primitive of its own name, computed on plain operands
    by ``kernel``; its derivative rules go in :mod:`labcode.autodiff.rules` under the same name."""

    def register(function: F) -> F:
        NUMPY[function.__name__] = kernel
        FUNCTIONS.append(function.__name__)
        return function

    return register


def composite(function: F) -> F:
    """Register the decorated public function as one written with other functions (no kernel, no rule)."""
    FUNCTIONS.append(function.__name__)
    return function


def level_of(x: Any) -> int:
    """The level of a Dual or a Tensor; -1 for anything else (a constant at every level)."""
    return x._level if isinstance(x, ArrayOps) else -1


def new_level(*inputs: Any) -> levels.new_level:
    """``with new_level(*inputs) as level:``, a level above every one in use and above the inputs'."""
    return levels.new_level(*[level_of(x) for x in inputs])


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


def one_output(out: Any, what: str = "jacobian") -> Any:
    """f's output, refused when it is a list or tuple: numpy would try to turn its Duals/Tensors into one
    array (dropping their derivatives); ``stack`` is the differentiable way to build it."""
    if isinstance(out, (list, tuple)):
        raise TypeError(
            f"f returned a {type(out).__name__} of {len(out)} items; {what} needs one array: build it with "
            f"labcode.autodiff.stack([...]), which keeps each item's derivative"
        )
    return out


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


def call(name: str, *args: Any, **params: Any) -> Any:
    """:func:`apply`, with a 0-d result on plain operands turned into a Python float (what the public
    functions return, as grad and jvp do): ``exp(0.0) == 1.0``, a float; arrays stay arrays."""
    out = apply(name, *args, **params)
    if type(out) is np.float64 or (type(out) is np.ndarray and out.ndim == 0):
        return float(out)
    return out


def format_value(x: Any) -> str:
    """A value for a repr: 6.0, [1., 2.], or the repr of a nested Dual/Tensor."""
    if isinstance(x, ArrayOps):
        return repr(x)
    x = np.asarray(x)
    if x.ndim == 0:
        return repr(float(x))
    return np.array2string(x, separator=", ")


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

_HINTS = {  # numpy functions whose replacement has another name (a function of the same name is found)
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
    "array": "labcode.autodiff.stack",
}


def numpy_error(name: str, operand: ArrayOps) -> TypeError:
    """The TypeError for a numpy function applied to a Dual or a Tensor, saying what to use instead."""
    kind = type(operand).__name__
    loses = "carry its tangent" if kind == "Dual" else "record it on the tape"
    numbers = ".value" if kind == "Dual" else ".data"
    hint = _HINTS.get(name)
    if name in FUNCTIONS:
        hint = f"labcode.autodiff.{name} (which takes numbers, arrays, Duals and Tensors)"
    if hint is not None:
        return TypeError(
            f"numpy.{name} was applied to a {kind}, but numpy sees only numbers and cannot {loses}: "
            f"use {hint} instead"
        )
    return TypeError(
        f"numpy.{name} was applied to a {kind}, but numpy sees only numbers and cannot {loses}, and "
        f"labcode.autodiff has no differentiable numpy.{name}: write it with the operators and "
        f"labcode.autodiff's functions ({', '.join(FUNCTIONS)}), or take the numbers out with {numbers} if you do "
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


def axis_arg(axis: Any, ndim: int) -> int | tuple[int, ...] | None:
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
            axis = axis_arg(axis, self.ndim)
        return apply("sum", self, axis=axis, keepdims=bool(keepdims))

    def mean(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Any:
        """Mean over ``axis`` (all axes when None): the sum divided by the number of entries summed."""
        if axis is not None:
            axis = axis_arg(axis, self.ndim)
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
        if self._level in levels.running():
            # float() inside f while grad/jvp runs: math.sin(x), float(x), x.__float__() by a library.
            # The number goes on without its derivative, so the result would be silently wrong (PyTorch
            # warns too); .item() takes the number on purpose and stays quiet.
            kind = type(self).__name__
            warnings.warn(
                f"float() of a {kind} while its derivative is being taken: the number goes on without its "
                f"derivative, so grad/jvp treat everything computed from it as a constant (its part of the "
                f"gradient comes out 0). Use labcode.autodiff's functions (sin, exp, tanh, ...) instead of "
                f"math's, and keep the {kind} as it is; call .item() if you mean to take the number",
                LostDerivativeWarning,
                stacklevel=2,
            )
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
