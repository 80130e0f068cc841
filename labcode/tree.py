"""Parameter trees: one array, or a flat dict ``{name: array}`` of named arrays (a small JAX ``tree_util``).

Every labcode function that takes "the parameters" takes either form: ``w`` (any shape) or
``{"W": (d, k), "b": (k,)}``. A gradient has the form of its parameters. This module is the one place
that knows the two forms:

======================================  =================================================================
function                                what it does
======================================  =================================================================
``leaves(tree)``                        the arrays, in the dict's order: ``[w]`` or ``[W, b]``
``tree_map(fn, tree, *rest)``           ``fn`` applied leaf by leaf; the result has tree's form
``map_labelled(fn, tree, name)``        the same with ``fn(leaf, label)``, label ``"w"`` or ``"w['b']"``
``check_keys(got, expected, name)``     ValueError naming the missing and the unexpected keys
``ravel(tree, name)``                   ``(x, treedef)``: all leaves as one float64 vector ``(D,)``
``treedef.unravel(x)``                  ``(D,)`` back to the tree (fresh arrays)
``treedef.unravel_stack(xs)``           ``(n, D)`` to ``(n, *shape)`` per leaf (a path of iterates)
``treedef.ravel_like(g, name)``         ``g`` checked to have the tree's form and shapes, as ``(D,)``
``treedef.label(i)``                    how entry i of ``(D,)`` is named: ``w[3]``, ``W[1, 2]``, ``b``
======================================  =================================================================

Only flat dicts with string keys: nested containers would buy nothing the course uses, and a flat dict's
key is the parameter's name in every message. The dict's order is the order of ``(D,)``.
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from labcode._checks import as_float_array, require_finite, shape_str

__all__ = [
    "TreeDef",
    "check_keys",
    "is_dict",
    "key_mismatch",
    "labels",
    "leaves",
    "map_labelled",
    "ravel",
    "require_tree",
    "tree_map",
]


_LEAF_TYPES = (np.ndarray, np.float64, float, int)  # decided without the slower Mapping check


def is_dict(tree: Any) -> bool:
    """Whether ``tree`` is the named form (a dict of arrays) rather than one array."""
    kind = type(tree)
    if kind is dict:
        return True
    return False if kind in _LEAF_TYPES else isinstance(tree, Mapping)


def require_tree(tree: Any, name: str) -> Any:
    """Return ``tree``; a dict must be non-empty with string keys (its keys are parameter names)."""
    if is_dict(tree):
        if not tree:
            raise ValueError(f"{name} is an empty dict; give at least one named parameter")
        for key in tree:
            if not isinstance(key, str):
                raise TypeError(f"the keys of {name} must be parameter names (str), got {key!r}")
    return tree


def leaves(tree: Any) -> list[Any]:
    """The leaves of ``tree`` in order: ``[tree]`` for one array, the dict's values for a dict."""
    return list(tree.values()) if is_dict(tree) else [tree]


def labels(tree: Any, name: str) -> list[str]:
    """How each leaf is named in messages: ``[name]``, or ``[f"{name}['W']", f"{name}['b']"]``."""
    return [f"{name}[{key!r}]" for key in tree] if is_dict(tree) else [name]


def key_mismatch(got: Iterable[Any], expected: Iterable[str]) -> str:
    """``"missing 'b'; unexpected 'c'"`` for keys that differ from ``expected``; ``""`` when they agree."""
    got, expected = list(got), list(expected)
    missing = [k for k in expected if k not in got]
    extra = [k for k in got if k not in expected]
    said = []
    if missing:
        said.append(f"missing {', '.join(map(repr, missing))}")
    if extra:
        said.append(f"unexpected {', '.join(map(repr, extra))}")
    return "; ".join(said)


def check_keys(got: Mapping[str, Any], expected: Iterable[str], name: str) -> None:
    """Raise a ValueError when the keys of ``got`` are not exactly ``expected`` (in any order).

    The message names ``name``, both key lists, and what is missing and unexpected.
    """
    expected = list(expected)
    if not isinstance(got, Mapping):  # a string's characters or a list's items are no keys
        raise TypeError(f"{name} must be a dict with keys {expected}, got {type(got).__name__}")
    mismatch = key_mismatch(got, expected)
    if mismatch:
        raise ValueError(f"{name} has keys {list(got)}, expected {expected}: {mismatch}")


def _same_form(tree: Any, other: Any, name: str) -> None:
    if is_dict(tree) != is_dict(other):
        want = "a dict like" if is_dict(tree) else "one array like"
        raise TypeError(f"{name} must be {want} the parameters, got {type(other).__name__}")
    if is_dict(tree):
        check_keys(other, tree, name)


def tree_map(fn: Callable[..., Any], tree: Any, *rest: Any) -> Any:
    """``fn`` applied to each leaf of ``tree`` (and the matching leaves of ``rest``), in tree's form.

    Each tree in ``rest`` must have tree's form (a dict with the same keys, or one array).
    """
    for i, other in enumerate(rest):
        _same_form(tree, other, f"tree_map's tree {i + 2}")
        pairs = [(tree[k], other[k], f"[{k!r}]") for k in tree] if is_dict(tree) else [(tree, other, "")]
        for leaf, other_leaf, label in pairs:
            if np.shape(leaf) != np.shape(other_leaf):  # numpy would broadcast them, pairing wrong entries
                raise ValueError(
                    f"tree_map's tree {i + 2} has {'leaf ' + label if label else 'an array'} of shape "
                    f"{shape_str(np.shape(other_leaf))}, but tree 1's has shape {shape_str(np.shape(leaf))}; "
                    "the trees must match leaf by leaf"
                )
    if is_dict(tree):
        return {k: fn(v, *(other[k] for other in rest)) for k, v in tree.items()}
    return fn(tree, *rest)


def map_labelled(fn: Callable[[Any, str], Any], tree: Any, name: str) -> Any:
    """``fn(leaf, label)`` for each leaf, in tree's form; label as in :func:`labels` (for error messages)."""
    if is_dict(tree):
        return {k: fn(v, f"{name}[{k!r}]") for k, v in tree.items()}
    return fn(tree, name)


@dataclass(frozen=True)
class TreeDef:
    """The form of a tree: its keys (None for one array) and each leaf's shape, and where each leaf lies in
    the flat vector ``(D,)``: leaf p is ``x[starts[p] : starts[p] + sizes[p]]``, and ``size`` is D.

    The offsets are worked out once, here: an optimizer unravels and ravels at every step."""

    keys: tuple[str, ...] | None
    shapes: tuple[tuple[int, ...], ...]
    sizes: tuple[int, ...] = field(init=False, repr=False, compare=False)
    starts: tuple[int, ...] = field(init=False, repr=False, compare=False)
    size: int = field(init=False, repr=False, compare=False)
    _slices: tuple[slice, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        sizes = tuple(math.prod(s) for s in self.shapes)
        starts = tuple(itertools.accumulate(sizes[:-1], initial=0))
        for name, value in (
            ("sizes", sizes),
            ("starts", starts),
            ("size", sum(sizes)),
            ("_slices", tuple(slice(a, a + n) for a, n in zip(starts, sizes, strict=True))),
        ):
            object.__setattr__(self, name, value)  # a frozen dataclass's own fields, set once

    @property
    def is_dict(self) -> bool:
        return self.keys is not None

    def _build(self, parts: list[Any]) -> Any:
        return parts[0] if self.keys is None else dict(zip(self.keys, parts, strict=True))

    def describe(self) -> str:
        """The form in words: ``one array of shape (3,)`` or ``{'W': (2, 3), 'b': (3,)}``."""
        if self.keys is None:
            return f"one array of shape {shape_str(self.shapes[0])}"
        return (
            "{"
            + ", ".join(f"{k!r}: {shape_str(s)}" for k, s in zip(self.keys, self.shapes, strict=True))
            + "}"
        )

    def _flat(self, x: Any, shape: tuple[int, ...], name: str) -> np.ndarray:
        x = np.asarray(x)
        if x.shape != shape:  # a longer x would be cut silently, a shorter one fail inside reshape
            raise ValueError(
                f"{name} has shape {shape_str(x.shape)}, expected {shape_str(shape)}: D = {self.size} entries, those "
                f"of {self.describe()}"
            )
        return x

    def unravel(self, x: np.ndarray) -> Any:
        """x: (D,) -> the tree (fresh arrays, so the caller may modify them)."""
        x = self._flat(x, (self.size,), "x")
        return self._build([x[self._slices[p]].reshape(s).copy() for p, s in enumerate(self.shapes)])

    def unravel_stack(self, xs: np.ndarray) -> Any:
        """xs: (n, D), n flat vectors -> (n, *shape) for one array, or a dict of such arrays."""
        xs = np.asarray(xs)
        n = xs.shape[0] if xs.ndim == 2 else 0
        xs = self._flat(xs, (n, self.size), "xs")
        return self._build([xs[:, self._slices[p]].reshape(n, *s) for p, s in enumerate(self.shapes)])

    def ravel_like(self, tree: Any, name: str) -> np.ndarray:
        """``tree`` (e.g. a gradient) checked to have this form and these shapes, flattened to (D,).

        TypeError for a dict where one array was due (or the other way) and for leaves that are not
        numbers; ValueError for wrong keys or shapes. Messages name ``name`` and both shapes.
        """
        if self.keys is None:
            if is_dict(tree):
                raise TypeError(f"{name} is a dict, but the parameters are one array; return one array")
            values = [tree]
        else:
            if not is_dict(tree):
                raise TypeError(
                    f"{name} must be a dict with keys {list(self.keys)} like the parameters, "
                    f"got {type(tree).__name__}"
                )
            check_keys(tree, self.keys, name)
            values = [tree[k] for k in self.keys]
        parts = []
        for value, label, shape in zip(values, self.labels(name), self.shapes, strict=True):
            arr = as_float_array(value, label)
            if arr.shape != shape:
                raise ValueError(f"{label} has shape {shape_str(arr.shape)}, expected {shape_str(shape)}")
            parts.append(arr.ravel())
        return parts[0] if len(parts) == 1 else np.concatenate(parts)  # as_float_array made a fresh copy

    def labels(self, name: str) -> list[str]:
        """Each leaf's name in messages: ``[name]`` or ``[f"{name}['W']", ...]``."""
        return [name] if self.keys is None else [f"{name}[{k!r}]" for k in self.keys]

    def label(self, i: int, name: str = "w") -> str:
        """How entry i of the flat vector is named to the reader: ``w[3]``, ``W[1, 2]``, ``b``.

        One array is called ``name``; a dict's leaves by their keys.
        """
        if not 0 <= i < self.size:
            raise IndexError(f"entry {i} is outside the flat vector of length {self.size}")
        # the last leaf that starts at or before i: an empty leaf before it starts there too
        p = bisect.bisect_right(self.starts, i) - 1
        key = name if self.keys is None else self.keys[p]
        shape = self.shapes[p]
        if shape == ():
            return key
        index = np.unravel_index(i - self.starts[p], shape)
        return f"{key}[{', '.join(str(int(k)) for k in index)}]"


def ravel(tree: Any, name: str = "w", *, finite: bool = True) -> tuple[np.ndarray, TreeDef]:
    """All leaves of ``tree`` as one fresh float64 vector (D,), and the TreeDef that undoes it.

    Each leaf is converted with a message naming it (``w['b'] must hold numbers...``); with
    ``finite=True`` a nan or inf is a ValueError saying where it is.

    >>> import numpy as np
    >>> x, treedef = ravel({"W": np.ones((2, 2)), "b": np.array([5.0, 6.0])})
    >>> x
    array([1., 1., 1., 1., 5., 6.])
    >>> treedef.label(4)
    'b[0]'
    >>> treedef.unravel(x[:5])
    Traceback (most recent call last):
    ...
    ValueError: x has shape (5,), expected (6,): D = 6 entries, those of {'W': (2, 2), 'b': (2,)}
    """
    require_tree(tree, name)
    arrays = map_labelled(lambda v, label: as_float_array(v, label), tree, name)
    parts = leaves(arrays)
    if finite:
        for arr, label in zip(parts, labels(arrays, name), strict=True):
            require_finite(arr, label)
    treedef = TreeDef(tuple(arrays) if is_dict(arrays) else None, tuple(a.shape for a in parts))
    return np.concatenate([a.ravel() for a in parts]), treedef
