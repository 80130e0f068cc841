"""Forward mode: a Dual holds a value and a tangent, and every operation carries the tangent along.

A Dual ``a + b ε`` with ``ε² = 0`` is a value a and a tangent b (the derivative along one direction).
Since ``f(a + b ε) = f(a) + f'(a) b ε``, computing with Duals computes f and its directional derivative
in one pass: seed x with the tangent v and the output's tangent is J v (:func:`jvp`)::

    jvp : (f: R^d -> R^m, x: (d,), v: (d,)) -> (f(x): (m,), J v: (m,))

    >>> x = Dual(3.0, 1.0)          # d/dx at x = 3
    >>> y = x * x + 2 * x
    >>> y.value, y.tangent          # 15 and 2x + 2 = 8
    (np.float64(15.0), np.float64(8.0))

Values and tangents may be numbers or numpy arrays of one shape: ``A @ x`` with ``x = Dual(x0, v)`` gives
``Dual(A @ x0, A @ v)``. The rules (product rule, chain rule, ...) are the JVPs in
:mod:`labcode.autodiff.rules`; this module only applies them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from labcode._checks import require_callable, shape_str
from labcode.autodiff import levels
from labcode.autodiff.ops import (
    ArrayOps,
    apply,
    as_operand,
    format_value,
    level_of,
    new_level,
    one_output,
    shape_of,
    to_result,
)
from labcode.autodiff.rules import JVPS

__all__ = ["Dual", "jvp"]


def _own(converted: Any, original: Any) -> Any:
    """A Dual made by hand keeps numbers of its own: a later change to the caller's array is not its change."""
    return converted.copy() if converted is original and isinstance(converted, np.ndarray) else converted


def _zeros(shape: tuple[int, ...]) -> Any:
    return np.zeros(shape) if shape else np.float64(0.0)


class Dual(ArrayOps):
    """A value and a tangent of the same shape: ``Dual(value, tangent=0.0)``.

    value: a number or an array (float64); tangent: a number or an array that broadcasts to value's
    shape (default 0: a constant). Arithmetic with numbers, arrays and other Duals gives Duals.
    """

    __slots__ = ("value", "tangent", "_level")

    def __init__(self, value: Any, tangent: Any = 0.0) -> None:
        value = _own(as_operand(value, "value"), value)
        tangent = _own(as_operand(tangent, "tangent"), tangent)
        shape, t_shape = shape_of(value), shape_of(tangent)
        if t_shape != shape:
            try:
                broadcastable = np.broadcast_shapes(t_shape, shape) == shape
            except ValueError:
                broadcastable = False
            if not broadcastable:
                raise ValueError(
                    f"tangent must have value's shape {shape_str(shape)} (or broadcast to it), "
                    f"got shape {shape_str(t_shape)}"
                )
            tangent = apply("broadcast_to", tangent, shape=shape)
        self.value = value
        self.tangent = tangent
        self._level = levels.hand_made_level(
            level_of(value), level_of(tangent)
        )  # 0 unless it holds Duals/Tensors

    @classmethod
    def _make(cls, value: Any, tangent: Any, level: int) -> Dual:
        d = cls.__new__(cls)
        d.value, d.tangent, d._level = value, tangent, level
        return d

    @property
    def _inner(self) -> Any:
        return self.value

    def _process(self, name: str, args: tuple[Any, ...], params: dict[str, Any]) -> Dual:
        """Run a primitive with this Dual's level on top: the value from the values, the tangent from the JVPs."""
        level = self._level
        values = []
        carried = []  # (position, tangent) of the operands at this level
        for i, a in enumerate(args):
            if isinstance(a, Dual) and a._level == level:
                values.append(a.value)
                carried.append((i, a.tangent))
            else:
                values.append(a)  # a constant here: a number, an array, or an outer Dual or Tensor
        ans = apply(name, *values, **params)
        rules = JVPS[name]
        tangent = None
        for i, t in carried:
            term = rules[i](t, ans, *values, **params)
            tangent = term if tangent is None else tangent + term
        shape = shape_of(ans)
        if shape_of(tangent) != shape:  # a broadcast operand's tangent, e.g. x (3, 1) + y (3, 4)
            tangent = apply("broadcast_to", tangent, shape=shape)
        return Dual._make(ans, tangent, level)

    def __repr__(self) -> str:
        return f"Dual(value={format_value(self.value)}, tangent={format_value(self.tangent)})"


def _check_direction(v: Any, x: Any, name: str) -> Any:
    v = as_operand(v, name)
    if shape_of(v) != shape_of(x):
        raise ValueError(
            f"{name} must have x's shape {shape_str(shape_of(x))}, got shape {shape_str(shape_of(v))}"
        )
    return v


def jvp(f: Callable[[Any], Any], x: Any, v: Any) -> tuple[Any, Any]:
    """``(f(x), J v)``: f's value and its derivative at x in the direction v, in one forward pass.

    f: a function of one array written with operators and labcode.autodiff's functions; x: a number or
    an array of any shape; v: same shape as x. Returns f(x) and J v, both of f(x)'s shape (floats when 0-d).
    """
    require_callable(f, "f")
    x = as_operand(x, "x")
    v = _check_direction(v, x, "v")
    with new_level(x, v) as level:
        out = one_output(f(Dual._make(x, v, level)), "jvp")
    if isinstance(out, Dual) and out._level == level:
        return to_result(out.value), to_result(out.tangent)
    if level_of(out) > level:
        raise TypeError("f returned a Dual or Tensor from an inner jvp/grad that it did not finish")
    out = as_operand(out, "f(x)")  # f does not depend on x
    return to_result(out), to_result(_zeros(shape_of(out)))
