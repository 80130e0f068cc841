"""The functions of labcode.autodiff, for numbers, numpy arrays, Duals and Tensors alike.

========================  ================================================================
``exp log sin cos tanh``  elementwise, as in numpy; ``log`` refuses x <= 0, ``sqrt`` x < 0
``sqrt sigmoid relu``     ``sigmoid`` never overflows; ``relu(x) = max(x, 0)``, slope 0 at 0
``softplus``              log(1 + e^x), stable for any x; its derivative is sigmoid
``log_sigmoid``           log(sigmoid(x)) = -softplus(-x), stable for any x
``logsumexp``             log(sum(e^x)) along ``axis`` (default -1), stable
``log_softmax softmax``   along ``axis`` (default -1)
``stack``                 a list of same-shaped operands into one, along a new ``axis``
========================  ================================================================

One set of defaults, whatever the operand:

* **Return type.** On a Dual or a Tensor they return a Dual or a Tensor; on numbers and arrays a float64
  array of the result's shape, and a Python ``float`` when that shape is ``()`` (as ``grad`` and ``jvp``
  return). Integers, bools, float16 and float32 are computed in float64 (``sigmoid(np.uint8([200]))`` is
  1.0, not uint8 arithmetic's 0.0); complex numbers are refused.
* **Axis.** The softmax family and ``logsumexp`` work along ``axis=-1``, the last axis: logits come as
  ``(n, k)``, one row per example, and the k classes are normalised together. That is the default of
  ``jax.nn.softmax`` and the axis PyTorch users pass (``dim=-1``). ``logsumexp`` takes the same default
  because it is softmax's normaliser, ``log_softmax(x) = x - logsumexp(x, keepdims=True)``; scipy's
  ``logsumexp`` reduces every axis by default, which here is ``axis=None``. ``axis`` may be an int, a
  tuple of ints or None.
* **nan** is refused by the six stable functions (sigmoid, log_sigmoid, softplus, logsumexp,
  log_softmax, softmax) with a ValueError saying where it is; ``-inf`` logits are a masked class.
  See :mod:`labcode.autodiff.kernels` for the numerics, which live there once (labcode.losses uses them).

On numbers and arrays they compute with numpy, so a loss written with them runs unchanged on plain
arrays (inside ``labcode.gradcheck.check_gradient``, say); on a Dual they also push its tangent forward,
on a Tensor they record themselves on the tape.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from labcode._checks import shape_str
from labcode.autodiff import kernels
from labcode.autodiff.ops import (
    FUNCTIONS,
    ArrayOps,
    as_operand,
    axis_arg,
    call,
    composite,
    primitive,
    shape_of,
)

Axis = int | tuple[int, ...] | None


@primitive(lambda x: np.exp(kernels.plain(x)))
def exp(x: Any) -> Any:
    """e^x, elementwise."""
    return call("exp", x)


@primitive(kernels.log)
def log(x: Any) -> Any:
    """Natural logarithm, elementwise; raises ValueError where x <= 0 (log(0) = -inf is a bug in a loss)."""
    return call("log", x)


@primitive(lambda x: np.sin(kernels.plain(x)))
def sin(x: Any) -> Any:
    """sin(x), elementwise."""
    return call("sin", x)


@primitive(lambda x: np.cos(kernels.plain(x)))
def cos(x: Any) -> Any:
    """cos(x), elementwise."""
    return call("cos", x)


@primitive(lambda x: np.tanh(kernels.plain(x)))
def tanh(x: Any) -> Any:
    """tanh(x), elementwise; its derivative is 1 - tanh(x)^2."""
    return call("tanh", x)


@primitive(kernels.sqrt)
def sqrt(x: Any) -> Any:
    """Square root, elementwise; raises ValueError where x < 0 (its derivative is infinite at 0)."""
    return call("sqrt", x)


@primitive(kernels.sigmoid)
def sigmoid(x: Any) -> Any:
    """1 / (1 + e^-x), elementwise, without overflow: ``sigmoid(1e4) == 1.0``, ``sigmoid(-1e4) == 0.0``.

    Its derivative is sigmoid(x) sigmoid(-x). Refuses nan.
    """
    return call("sigmoid", x)


@primitive(lambda x: np.maximum(kernels.plain(x), 0.0))
def relu(x: Any) -> Any:
    """max(x, 0), elementwise; its derivative is 1 where x > 0 and 0 elsewhere (0 at the kink x = 0)."""
    return call("relu", x)


@primitive(kernels.softplus)
def softplus(x: Any) -> Any:
    """log(1 + e^x), elementwise, as max(x, 0) + log1p(e^-|x|): ``softplus(1e4) == 1e4``, no overflow.

    Its derivative is sigmoid(x). Refuses nan.
    """
    return call("softplus", x)


@composite
def log_sigmoid(x: Any) -> Any:
    """log(sigmoid(x)) = -softplus(-x), elementwise: ``log_sigmoid(-1e4) == -1e4`` where log(sigmoid(x))
    gives log(0) = -inf. Refuses nan."""
    return -softplus(-as_operand(x, "x"))


def _along(x: Any, axis: Any, what: str) -> tuple[Any, Axis]:
    """x as an operand, and the axis of the softmax family checked against x's shape."""
    x = as_operand(x, "x")
    shape = shape_of(x)
    if not shape:
        raise ValueError(f"{what} needs x with at least one axis to work along, got a number (shape ())")
    axis = axis_arg(axis, len(shape))
    axes = range(len(shape)) if axis is None else axis if isinstance(axis, tuple) else (axis,)
    if any(shape[a] == 0 for a in axes):
        raise ValueError(f"{what}: x has no entries along axis {axis} (shape {shape_str(shape)})")
    return x, axis


@primitive(kernels.logsumexp)
def logsumexp(x: Any, axis: Axis = -1, keepdims: bool = False) -> Any:
    """log(sum(exp(x))) along ``axis`` (the last by default; None: every axis), with no overflow.

    x: any shape with ndim >= 1; returns x's shape without ``axis`` (kept as length 1 with ``keepdims``),
    a float for a 1-D x. Its gradient is softmax(x) along ``axis``. Refuses nan and +inf.
    """
    x, axis = _along(x, axis, "logsumexp")
    return call("logsumexp", x, axis=axis, keepdims=bool(keepdims))


@primitive(kernels.log_softmax)
def log_softmax(x: Any, axis: Axis = -1) -> Any:
    """x - logsumexp(x, axis, keepdims=True): the log-probabilities of the logits x, same shape as x.

    Finite even where softmax rounds to 0 (``log_softmax([1e4, 0])[1] == -1e4``).
    """
    x, axis = _along(x, axis, "log_softmax")
    return call("log_softmax", x, axis=axis)


@primitive(kernels.softmax)
def softmax(x: Any, axis: Axis = -1) -> Any:
    """exp(x) / sum(exp(x)) along ``axis``: probabilities that sum to 1, same shape as x.

    Shifted by the maximum first (softmax is unchanged by a shift), so no exp overflows.
    """
    x, axis = _along(x, axis, "softmax")
    return call("softmax", x, axis=axis)


@primitive(kernels.stack)
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
    return call("stack", *items, axis=int(axis) % ndim)


__all__ = list(FUNCTIONS)
