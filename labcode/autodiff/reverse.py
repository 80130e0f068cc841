"""Reverse mode: a Tensor records every operation on it, and backward() replays the record in reverse.

Each operation on a Tensor makes a new Tensor that remembers the primitive, its inputs and its parents
(the Tensors among the inputs). ``loss.backward()`` visits every Tensor the loss depends on, outputs
before inputs, and hands each parent the VJP of its child (:mod:`labcode.autodiff.rules`); a Tensor used
twice receives the sum of both contributions::

    vjp : (f: R^d -> R^m, x: (d,), u: (m,)) -> (f(x): (m,), u^T J: (d,))

    >>> w = Tensor([1.0, 2.0])
    >>> loss = (w * w).sum()        # |w|^2
    >>> loss.backward()
    >>> w.grad                      # 2 w
    array([2., 4.])

What to know about backward():

* The order is found without recursion: every Tensor gets a serial number when it is made, inputs are
  always made before outputs, so sorting by serial number, newest first, visits outputs before inputs.
  A chain of 100,000 operations is fine.
* Every Tensor it reaches gets its ``.grad`` (intermediate ones too, as in micrograd), added to what is
  already there: after ``loss1.backward()`` and ``loss2.backward()``, a shared input holds the gradient
  of loss1 + loss2, as in PyTorch. ``zero_grad()`` clears it.
* Calling backward() twice on the same output raises RuntimeError instead of silently doubling the
  gradients; to recompute, clear ``.grad`` and build the output again.
* ``.data`` is read-only: writing into it (``t.data[0] = 1``, ``t.data -= ...``) raises a ValueError
  that says what to do. Assigning new numbers to a Tensor that no operation made
  (``w.data = w.data - lr * w.grad``) is fine: the tape keeps the numbers each operation used.
* ``no_grad()`` switches recording off for the Tensors that exist when it starts.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Callable, Iterator
from operator import attrgetter
from typing import Any

import numpy as np

from labcode._checks import as_float_array, require_callable, shape_str
from labcode.autodiff import levels
from labcode.autodiff.ops import (
    NUMPY,
    ArrayOps,
    apply,
    as_operand,
    format_value,
    new_level,
    one_output,
    shape_of,
    to_result,
)
from labcode.autodiff.rules import VJPS

__all__ = ["Tensor", "no_grad", "vjp"]

_serials = itertools.count()

_READ_ONLY = (
    "a Tensor's data is read-only: the tape may hold these numbers, and changing them in place would make "
    "backward() differentiate numbers that were never computed. Assign new numbers instead "
    "(w.data = w.data - lr * w.grad), or make a new Tensor"
)


class _ReadOnlyData(np.ndarray):
    """What ``Tensor.data`` returns: a view of the numbers that refuses writes with an explanation.

    Arithmetic on it gives ordinary arrays, and so does ``.copy()``.
    """

    def __array_wrap__(self, array: np.ndarray, context: Any = None, return_scalar: bool = False) -> Any:
        array = array.view(np.ndarray)
        return array[()] if return_scalar else array

    def copy(self, order: str = "C") -> np.ndarray:  # type: ignore[override]
        return np.array(self, order=order, copy=True)  # an ordinary, writeable array

    def _check_writeable(self) -> None:
        if not self.flags.writeable:
            raise ValueError(_READ_ONLY)

    def __setitem__(self, index: Any, value: Any) -> None:
        self._check_writeable()
        super().__setitem__(index, value)

    def __iadd__(self, other: Any) -> Any:
        self._check_writeable()
        return super().__iadd__(other)

    def __isub__(self, other: Any) -> Any:
        self._check_writeable()
        return super().__isub__(other)

    def __imul__(self, other: Any) -> Any:
        self._check_writeable()
        return super().__imul__(other)

    def __itruediv__(self, other: Any) -> Any:
        self._check_writeable()
        return super().__itruediv__(other)

    def __ipow__(self, other: Any) -> Any:
        self._check_writeable()
        return super().__ipow__(other)


class Tensor(ArrayOps):
    """A float64 array that records the operations on it, for reverse-mode differentiation.

    ``Tensor(data)``: data is a number or an array (copied). ``.data`` holds the numbers (read-only),
    ``.grad`` the gradient that backward() left here (None before), ``.op`` the primitive that made this
    Tensor (None when you made it) and ``.parents`` the Tensors it was made from.
    """

    __slots__ = ("_data", "grad", "_level", "_serial", "_op", "_inputs", "_parents", "_params", "_used")

    def __init__(self, data: Any) -> None:
        if isinstance(data, ArrayOps):
            raise TypeError(
                f"Tensor(data) takes numbers or arrays, not a {type(data).__name__}; to differentiate twice use "
                "hessian, hvp or grad(grad(f)), which nest them for you"
            )
        self._init(as_float_array(data, "data"), 0)  # as_float_array copies: the Tensor owns its numbers

    def _init(
        self,
        data: Any,
        level: int,
        op: str | None = None,
        inputs: tuple[Any, ...] = (),
        parents: tuple[tuple[int, Tensor], ...] = (),
        params: dict[str, Any] | None = None,
    ) -> None:
        self._data = data
        self.grad = None
        self._level = level
        self._serial = next(_serials)
        self._op = op
        self._inputs = inputs  # every input's numbers, as the operation used them
        self._parents = parents  # (position, Tensor) for each input recorded at this level
        self._params = params or {}
        self._used = False  # backward() already ran from here

    @classmethod
    def _leaf(cls, data: Any, level: int) -> Tensor:
        t = cls.__new__(cls)
        t._init(data, level)
        return t

    @property
    def _inner(self) -> Any:
        return self._data

    # ---------------------------------------------------------------------------------------------------
    @property
    def data(self) -> Any:
        """The numbers, as a read-only array (or the Dual/Tensor inside, when nested)."""
        d = self._data
        if isinstance(d, ArrayOps):
            return d
        view = np.asarray(d).view(_ReadOnlyData)
        view.flags.writeable = False
        return view

    @data.setter
    def data(self, value: Any) -> None:
        if self._op is not None:
            raise ValueError(
                f"this Tensor was computed by {self._op!r}, and backward() needs the numbers it computed; "
                "only a Tensor you made yourself (a parameter) can take new data"
            )
        arr = as_float_array(value, "data")
        if arr.shape != self.shape:
            raise ValueError(
                f"new data must keep the Tensor's shape {shape_str(self.shape)}, got shape {shape_str(arr.shape)}; "
                "make a new Tensor for another shape"
            )
        self._data = arr

    @property
    def op(self) -> str | None:
        """The primitive that made this Tensor ('mul', 'exp', ...), or None for one made by hand."""
        return self._op

    @property
    def parents(self) -> tuple[Tensor, ...]:
        """The Tensors this one was computed from (empty for one made by hand)."""
        return tuple(p for _, p in self._parents)

    def zero_grad(self) -> None:
        """Forget the gradient that backward() left here (set .grad to None)."""
        self.grad = None

    def detach(self) -> Tensor:
        """The same numbers in a new Tensor with no history: a constant for what follows."""
        return Tensor._leaf(self._data, self._level)

    # ---------------------------------------------------------------------------------------------------
    def _process(self, name: str, args: tuple[Any, ...], params: dict[str, Any]) -> Tensor:
        """Run a primitive with this Tensor's level on top, and record it."""
        level = self._level
        values = []
        parents = []
        nested = False  # does any input hold Duals or Tensors (a derivative inside another)?
        for i, a in enumerate(args):
            if type(a) is Tensor and a._level == level:
                a = a._data
                parents.append((i, args[i]))
            values.append(a)  # for the others, a constant here: a number, an array, an outer Dual or Tensor
            nested = nested or isinstance(a, ArrayOps)
        inputs = tuple(values)
        ans = apply(name, *inputs, **params) if nested else NUMPY[name](*inputs, **params)
        out = Tensor.__new__(Tensor)
        if not levels.is_recording(level):
            out._init(ans, level)
        else:
            out._init(ans, level, name, inputs, tuple(parents), params)
        return out

    def backward(self, gradient: Any = None) -> None:
        """Add the gradient of this Tensor to the ``.grad`` of every Tensor it was computed from.

        gradient: None for a scalar Tensor (the gradient of the Tensor itself); otherwise an array of
        this Tensor's shape, the weights u of its entries (computes u^T J). See the module docstring.
        """
        if self._used:
            raise RuntimeError(
                "backward() was already called on this Tensor; calling it again would add the same "
                "gradients to .grad a second time. To compute them again, clear .grad (zero_grad()) on the "
                "inputs and compute this output again"
            )
        if gradient is None:
            if self.shape != ():
                shape = shape_str(self.shape)
                raise ValueError(
                    f"backward() without a gradient needs a scalar, but this Tensor has shape {shape}: pass a "
                    f"gradient of shape {shape} (np.ones({shape}) gives the gradient of the sum), or call "
                    ".sum() first"
                )
            seed: Any = np.float64(1.0)
        else:
            seed = as_operand(gradient, "gradient")
            if shape_of(seed) != self.shape:
                raise ValueError(
                    f"gradient must have this Tensor's shape {shape_str(self.shape)}, "
                    f"got shape {shape_str(shape_of(seed))}"
                )
        nodes = graph(self)
        grads = backpropagate(nodes, seed)
        for node in nodes:
            g = grads[id(node)]
            if not isinstance(g, ArrayOps):
                g = np.array(g, dtype=np.float64)  # an array of its own, even where a rule broadcast
            node.grad = g if node.grad is None else node.grad + g
        self._used = True

    def __repr__(self) -> str:
        op = f", op={self._op!r}" if self._op is not None else ""
        return f"Tensor({format_value(self._data)}{op})"


_by_serial = attrgetter("_serial")


def graph(output: Tensor) -> list[Tensor]:
    """Every Tensor ``output`` was computed from, itself included, outputs before inputs (no recursion)."""
    nodes = [output]
    seen = {id(output)}
    i = 0
    while i < len(nodes):  # nodes is also the queue of Tensors whose parents are still to be looked at
        for _, parent in nodes[i]._parents:
            if id(parent) not in seen:
                seen.add(id(parent))
                nodes.append(parent)
        i += 1
    nodes.sort(key=_by_serial, reverse=True)
    return nodes


def backpropagate(nodes: list[Tensor], seed: Any) -> dict[int, Any]:
    """The gradient of <seed, nodes[0]> for every node, keyed by id(node). nodes: from :func:`graph`.

    Reads the record only, so it can run again from the same output with another seed (jacobian does).
    """
    grads = {id(nodes[0]): seed}
    for node in nodes:
        parents = node._parents
        if not parents:
            continue
        g = grads[id(node)]  # complete: everything made from node was visited before it
        rules = VJPS[node._op]
        ans, inputs, params = node._data, node._inputs, node._params
        for i, parent in parents:
            gi = rules[i](g, ans, *inputs, **params)
            if gi.shape != inputs[i].shape:
                raise RuntimeError(
                    f"the VJP rule of {node._op!r} returned a gradient of shape {shape_str(gi.shape)} "
                    f"for its input {i} of shape {shape_str(inputs[i].shape)}"
                )
            key = id(parent)
            previous = grads.get(key)
            grads[key] = gi if previous is None else previous + gi
    return grads


@contextlib.contextmanager
def no_grad() -> Iterator[None]:
    """Inside ``with no_grad():``, operations on Tensors are not recorded (the results have no parents).

    It switches off the Tensors that exist when it starts (and ones made by hand inside); a grad or vjp
    called inside still works, with Tensors of its own.
    """
    with levels.recording_off():
        yield


def record(f: Callable[[Any], Any], x: Any) -> tuple[Tensor, Any]:
    """Call f on a fresh Tensor made of x at a new level; return that Tensor and f's output."""
    x = as_operand(x, "x")
    with new_level(x) as level:
        t = Tensor._leaf(x, level)
        return t, one_output(f(t))


def is_recorded_at(out: Any, t: Tensor) -> bool:
    """True when out is a Tensor on t's tape (else f's output does not depend on t)."""
    if isinstance(out, ArrayOps) and out._level > t._level:
        raise TypeError(
            "f returned a Dual or Tensor from an inner jvp or grad that had not finished; return plain results"
        )
    return type(out) is Tensor and out._level == t._level


def vjp(f: Callable[[Any], Any], x: Any, u: Any) -> tuple[Any, Any]:
    """``(f(x), u^T J)``: f's value and the gradient of <u, f(x)> at x, in one forward and one backward pass.

    f: a function of one array written with operators and labcode.autodiff's functions; x: a number or
    an array of any shape; u: an array of f(x)'s shape. Returns f(x) and u^T J, of x's shape.
    """
    require_callable(f, "f")
    t, out = record(f, x)
    u = as_operand(u, "u")
    if shape_of(u) != shape_of(out):
        raise ValueError(
            f"u must have f(x)'s shape {shape_str(shape_of(out))}, got shape {shape_str(shape_of(u))}"
        )
    if not is_recorded_at(out, t):
        return to_result(as_operand(out, "f(x)")), to_result(np.zeros(shape_of(t._data)))
    grads = backpropagate(graph(out), u)
    g = grads.get(id(t))
    return to_result(out._data), to_result(np.zeros(shape_of(t._data)) if g is None else g)
