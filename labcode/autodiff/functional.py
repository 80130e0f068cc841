"""Derivatives as functions of functions: grad, value_and_grad, jacobian, hessian, hvp (and jvp, vjp).

f is written with operators and labcode.autodiff's functions; x is a number or an array (for grad and
value_and_grad also a dict of arrays, e.g. a model's parameters)::

    grad(f)(x)                  (d,) like x          one forward pass and one backward pass
    value_and_grad(f)(x)        (f(x), grad)         the same pass
    jacobian(f, mode)(x)        f(x).shape + x.shape  "forward": one jvp per entry of x;
                                                      "reverse" (default): one backward pass per entry of f(x)
    hessian(f)(x)               x.shape + x.shape    reverse-over-reverse: one replay of grad's tape per entry of x
    hvp(f, x, v)                H v, like x          forward-over-reverse: one jvp of grad(f)
    jvp(f, x, v)                (f(x), J v)          forward mode
    vjp(f, x, u)                (f(x), u^T J)        reverse mode

``argnums`` (grad, value_and_grad, jacobian, hessian) says which positional argument to differentiate;
the others are passed through unchanged. grad and value_and_grad also take a tuple of argnums and then
return a tuple of gradients. Results of shape () come back as Python floats, gradients of a dict as a dict
with the same keys.

Second derivatives. The rules (:mod:`labcode.autodiff.rules`) compute on plain arrays when they
differentiate once, so a gradient costs one recorded forward pass and one backward pass of numpy calls,
with no second tape and no per-operation cost beyond the first (see tests/benchmarks/autodiff_speed.py).
But they are written with labcode.autodiff's own operations, so the same rules also run on Duals and on
Tensors: every composition of jvp, grad and jacobian works, and the tests check that all agree.
Which one each function uses, measured on this library:

* ``hvp(f, x, v) = jvp(grad(f), x, v)``, forward-over-reverse: Duals flow through the tape, one pass,
  about 2.5 gradients, and no tape of the backward pass is kept (reverse-over-reverse costs the same).
* ``hessian(f) = jacobian(grad(f), mode="reverse")``, reverse-over-reverse: the backward pass is
  recorded once and replayed once per entry of x. That measured 2 to 6 times faster than
  forward-over-reverse (``jacobian(grad(f), mode="forward")``), which reruns the whole forward and
  backward pass with Duals for every entry.

f must stay inside the graph: ``float(x)`` or ``math.sin(x)`` of a Tensor or Dual while its derivative is
being taken turns it into a plain number, whose part of the derivative is then lost; that warns
(:class:`~labcode.autodiff.ops.LostDerivativeWarning`). A list of outputs is refused for jacobian: build
one array with ``stack``.

Each call takes its own level for as long as f runs (see :mod:`labcode.autodiff.levels`), so derivatives nested inside each other
never mix up their tangents ("perturbation confusion").
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from labcode import tree
from labcode._checks import require_callable, require_choice, shape_str
from labcode.autodiff.forward import jvp
from labcode.autodiff.functions import stack
from labcode.autodiff.ops import ArrayOps, as_operand, new_level, shape_of, to_result
from labcode.autodiff.reverse import Tensor, backpropagate, graph, is_recorded_at, record, vjp

__all__ = ["grad", "hessian", "hvp", "jacobian", "jvp", "value_and_grad", "vjp"]


def _argnums(argnums: Any) -> tuple[tuple[int, ...], bool]:
    """(positions, whether one position was asked for)."""
    single = isinstance(argnums, (int, np.integer)) and not isinstance(argnums, bool)
    nums = (argnums,) if single else argnums
    if (
        not isinstance(nums, tuple)
        or not nums
        or not all(isinstance(i, (int, np.integer)) and not isinstance(i, bool) and i >= 0 for i in nums)
    ):
        raise TypeError(f"argnums must be an integer >= 0 or a tuple of them, got {argnums!r}")
    if len(set(nums)) != len(nums):
        raise ValueError(f"argnums lists a position twice: {argnums!r}")
    return tuple(int(i) for i in nums), single


def _require_args(args: tuple[Any, ...], nums: tuple[int, ...], what: str) -> None:
    if len(args) <= max(nums):
        raise TypeError(
            f"{what} differentiates positional argument {max(nums)}, but got {len(args)} positional argument(s)"
        )


def _as_input(x: Any, name: str) -> Any:
    """A number, an array, or a dict of them (a parameter tree, see labcode.tree), as operands."""
    if type(x) is np.ndarray:  # the usual case, first
        return as_operand(x, name)
    return tree.map_labelled(as_operand, tree.require_tree(x, name), name)


def _gradient_of(x: Any, grads: dict[int, Any]) -> Any:
    """The gradients collected for the Tensors of x (zeros where f did not use them), in x's structure."""

    def one(t: Tensor) -> Any:
        g = grads.get(id(t))
        return to_result(np.zeros(shape_of(t._data)) if g is None else g)

    return tree.tree_map(one, x)


def _scalar_output(out: Any, level: int, what: str) -> tuple[Any, dict[int, Any]]:
    """f's value as a result, and the gradients of every Tensor on f's tape (empty if out is constant)."""
    if isinstance(out, (list, tuple)):
        raise TypeError(
            f"f returned a {type(out).__name__}; {what} needs one scalar (use stack([...]) and jacobian for "
            "several outputs)"
        )
    if isinstance(out, ArrayOps) and out._level > level:
        raise TypeError("f returned a Dual or Tensor from an inner jvp or grad that had not finished")
    on_tape = type(out) is Tensor and out._level == level
    value = out if on_tape else as_operand(out, "f's output")
    if shape_of(value) != ():
        raise ValueError(
            f"{what} needs f to return a scalar, but f returned shape {shape_str(shape_of(value))}: use "
            "jacobian(f) for the derivatives of every output, or reduce the output first (e.g. with .sum())"
        )
    if not on_tape:  # f does not depend on x
        return to_result(value), {}
    return to_result(out._data), backpropagate(graph(out), np.float64(1.0))


def value_and_grad(
    f: Callable[..., Any], argnums: int | tuple[int, ...] = 0
) -> Callable[..., tuple[Any, Any]]:
    """A function returning ``(f(x), grad f(x))`` from one forward and one backward pass.

    f must return a scalar (a number, or a Tensor of shape ()); otherwise ValueError (use jacobian).
    The argument(s) at ``argnums`` may be numbers, arrays or dicts of arrays; the gradient has their
    structure and shapes (a tuple of them when argnums is a tuple).
    """
    require_callable(f, "f")
    nums, single = _argnums(argnums)

    @functools.wraps(f)
    def value_and_gradient(*args: Any, **kwargs: Any) -> tuple[Any, Any]:
        _require_args(args, nums, "grad(f)")
        args_list = list(args)
        inputs = {i: _as_input(args[i], f"argument {i}") for i in nums}
        with new_level(*(leaf for x in inputs.values() for leaf in tree.leaves(x))) as level:
            for i, x in inputs.items():
                args_list[i] = tree.tree_map(lambda v: Tensor._leaf(v, level), x)
            out = f(*args_list, **kwargs)
        value, grads = _scalar_output(out, level, "grad(f)")
        gradients = tuple(_gradient_of(args_list[i], grads) for i in nums)
        return value, gradients[0] if single else gradients

    return value_and_gradient


def grad(f: Callable[..., Any], argnums: int | tuple[int, ...] = 0) -> Callable[..., Any]:
    """The gradient of a scalar-valued f, as a function: ``grad(f)(x)`` has x's shape (or structure).

    >>> grad(lambda w: (w * w).sum())(np.array([1.0, 2.0]))
    array([2., 4.])
    """
    value_and_gradient = value_and_grad(f, argnums)

    @functools.wraps(f)
    def gradient(*args: Any, **kwargs: Any) -> Any:
        return value_and_gradient(*args, **kwargs)[1]

    return gradient


def _with_arg(
    f: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any], i: int
) -> Callable[[Any], Any]:
    """f as a function of its i-th positional argument alone."""

    def f_of_x(x: Any) -> Any:
        full = list(args)
        full[i] = x
        return f(*full, **kwargs)

    return f_of_x


def _basis(shape: tuple[int, ...]) -> list[Any]:
    """The unit arrays e_0, ..., e_{n-1} of the given shape, in C order."""
    n = int(np.prod(shape, dtype=int))
    eye = np.eye(n)
    return [eye[j].reshape(shape) for j in range(n)]


def _jacobian_forward(f: Callable[[Any], Any], x: Any) -> Any:
    shape = shape_of(x)
    columns = [jvp(f, x, e) for e in _basis(shape)]
    if not columns:  # x is empty
        return np.zeros(shape_of(as_operand(f(x), "f(x)")) + shape)
    out_shape = shape_of(columns[0][0])
    return stack([c for _, c in columns], axis=-1).reshape(out_shape + shape)


def _jacobian_reverse(f: Callable[[Any], Any], x: Any) -> Any:
    t, out = record(f, x)
    shape = shape_of(t._data)
    out_shape = shape_of(out)
    if not is_recorded_at(out, t):  # f does not depend on x
        as_operand(out, "f(x)")
        return np.zeros(out_shape + shape)
    nodes = graph(out)  # recorded once, replayed once per output entry
    rows = []
    for seed in _basis(out_shape):
        g = backpropagate(nodes, seed).get(id(t))
        rows.append(np.zeros(shape) if g is None else g)
    if not rows:
        return np.zeros(out_shape + shape)
    return stack(rows, axis=0).reshape(out_shape + shape)


def jacobian(f: Callable[..., Any], mode: str = "reverse", argnums: int = 0) -> Callable[..., Any]:
    """The Jacobian of f as a function: ``jacobian(f)(x)`` has shape ``f(x).shape + x.shape``.

    J[i, j] = d f_i / d x_j. mode "reverse" does one backward pass per entry of f(x) over one recorded
    forward pass (best when f has fewer outputs than inputs); "forward" does one jvp per entry of x
    (best when it has more). A scalar f gives the gradient; a scalar x the derivative of every output.
    """
    require_callable(f, "f")
    require_choice(mode, "mode", ("forward", "reverse"))
    nums, single = _argnums(argnums)
    if not single:
        raise TypeError(f"jacobian differentiates one argument: argnums must be an integer, got {argnums!r}")

    @functools.wraps(f)
    def jacobian_of_f(*args: Any, **kwargs: Any) -> Any:
        _require_args(args, nums, "jacobian(f)")
        i = nums[0]
        x = as_operand(args[i], f"argument {i}")
        g = _with_arg(f, args, kwargs, i)
        J = _jacobian_forward(g, x) if mode == "forward" else _jacobian_reverse(g, x)
        return J if isinstance(J, ArrayOps) else np.asarray(J, dtype=np.float64)

    return jacobian_of_f


def hessian(f: Callable[..., Any], argnums: int = 0) -> Callable[..., Any]:
    """The Hessian of a scalar-valued f as a function: ``hessian(f)(x)`` has shape ``x.shape + x.shape``.

    Reverse-over-reverse: grad(f) is computed once on a tape, and that tape is replayed backward once per
    entry of x (the reverse-mode Jacobian of the gradient). H[i, j] = d^2 f / dx_i dx_j.
    """
    return jacobian(grad(f, argnums), mode="reverse", argnums=argnums)


def hvp(f: Callable[[Any], Any], x: Any, v: Any) -> Any:
    """H v, the Hessian of the scalar-valued f at x times v (x's shape), without forming H.

    Forward-over-reverse: the derivative of grad(f) at x in the direction v, ``jvp(grad(f), x, v)``.
    """
    require_callable(f, "f")
    return jvp(grad(f), x, v)[1]
