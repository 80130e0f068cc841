"""The parameters as check_gradient sees them: one flat float64 vector, and the way back.

``_Params`` flattens w (an array of any shape, or a dict of named arrays) and names each coordinate for
the reader (``w[3]``, ``W[1, 2]``, ``b``); ``_analytic`` checks what grad returned against that
structure (None, a wrong container, wrong keys, wrong shapes with their usual cause, nan) before any
arithmetic. ``_Stop`` ends a check early with a kind and a diagnosis.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from labcode import tree
from labcode._checks import (
    as_float_array,
    shape_str,
)


class _Stop(Exception):
    """Raised inside the check when it ends before comparing (an error, a shape, a nan...)."""

    def __init__(self, kind: str, diagnosis: str, analytic: Any = None) -> None:
        super().__init__(diagnosis)
        self.kind, self.diagnosis, self.analytic = kind, diagnosis, analytic


def _exception_text(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text[:300]}" if text else type(exc).__name__


class _Params:
    """The parameters flattened into one float64 vector, and the way back to the caller's form.

    A thin view of :mod:`labcode.tree` (``ravel`` and its ``TreeDef``) with what the check needs on
    top: which parameter each coordinate lies in, and a refusal of empty arrays.
    """

    def __init__(self, w: Any) -> None:
        self.x, self.tree = tree.ravel(w, "w")  # a fresh float64 copy; names the leaf that is not finite
        for shape, label in zip(self.tree.shapes, self.tree.labels("w"), strict=True):
            if int(np.prod(shape, dtype=int)) == 0:
                raise ValueError(f"{label} has no entries (shape {shape_str(shape)})")
        self.is_dict = self.tree.is_dict
        self.names = self.tree.keys if self.tree.keys is not None else ("w",)
        self.shapes, self.sizes, self.starts = self.tree.shapes, self.tree.sizes, self.tree.starts
        self.part_of = np.repeat(np.arange(len(self.names)), self.sizes)

    def slice(self, p: int) -> slice:
        return slice(self.starts[p], self.starts[p] + self.sizes[p])

    def unpack(self, v: np.ndarray) -> np.ndarray | dict[str, np.ndarray]:
        """The caller's form of the flat vector ``v``, as fresh copies (f may modify its argument)."""
        return self.tree.unravel(v)

    def label(self, i: int) -> str:
        """``w[3]``, ``W[1, 2]``, ``b``: how coordinate ``i`` of the flat vector is named to the reader."""
        return self.tree.label(i)

    def quoted(self, p: int) -> str:
        return repr(self.names[p]) if self.is_dict else self.names[p]


def _entries(params: _Params) -> str:
    """How many numbers w holds: "w has 500 entries", or for a dict the total over its parameters."""
    if params.is_dict:
        return f"the parameters have {params.x.size} entries in all"
    return f"w has {params.x.size} entries"


def _shape_hint(got: tuple[int, ...], expected: tuple[int, ...]) -> str:
    """The usual cause of a gradient of shape ``got`` where ``expected`` was due."""
    if expected == () and int(np.prod(got)) == 1:
        return "the parameter is a scalar, so its gradient must be one too (e.g. .sum() or float(...))"
    if got == expected + (1,):
        return (
            "a column vector; the usual cause is y of shape (n, 1) or a column vector w: keep both 1-D "
            "(y.ravel()) so the gradient has the shape of w"
        )
    if got == (1,) + expected:
        return "a row vector: the gradient must have the shape of the parameter; drop the extra axis"
    if len(got) == len(expected) == 2 and got == expected[::-1]:
        return "it is transposed: for W of shape (d, k) the gradient is X.T @ G, shape (d, k), not G.T @ X"
    if len(got) == len(expected) + 1 and got[: len(expected)] == expected:
        return (
            "an extra axis: did X @ w - y broadcast (n,) against a y of shape (n, 1) into (n, n)? "
            "keep y of shape (n,)"
        )
    if int(np.prod(got)) == int(np.prod(expected)):
        return "the right number of entries in the wrong layout: check reshapes and transposes"
    return "a gradient always has the shape of its parameter"


def _analytic(grad_out: Any, params: _Params) -> tuple[np.ndarray, bool]:
    """Check grad's output against the parameters' structure; return it flattened, and whether it
    came in a precision lower than float64.

    Raises _Stop for the student's mistakes: None, a wrong container, wrong keys, wrong shapes, nan.
    """
    if grad_out is None:
        raise _Stop("error", "grad returned None: did you forget the return statement?")
    if params.is_dict:
        if not isinstance(grad_out, Mapping):
            raise _Stop(
                "error",
                f"grad must return a dict with the keys of w ({', '.join(map(repr, params.names))}), "
                f"got {type(grad_out).__name__}",
            )
        mismatch = tree.key_mismatch(grad_out, params.names)
        if mismatch:
            raise _Stop(
                "keys", f"grad's keys do not match w's ({', '.join(map(repr, params.names))}): {mismatch}"
            )
        values = [grad_out[k] for k in params.names]
        labels = [f"grad[{k!r}]" for k in params.names]
    else:
        if isinstance(grad_out, Mapping):
            raise _Stop(
                "error", "grad returned a dict, but w is a single array: return one array shaped like w"
            )
        values, labels = [grad_out], ["grad"]
    arrays = []
    for value, label in zip(values, labels, strict=True):
        if value is None:
            raise _Stop("error", f"{label} is None: did you forget to return it?")
        try:
            arrays.append(as_float_array(value, label))
        except TypeError as exc:
            raise _Stop("error", str(exc)) from None
    given: Any = dict(zip(params.names, arrays, strict=True)) if params.is_dict else arrays[0]
    for arr, label, shape in zip(arrays, labels, params.shapes, strict=True):
        if arr.shape != shape:
            kind = "transpose" if len(shape) == 2 and arr.shape == shape[::-1] else "shape"
            raise _Stop(
                kind,
                f"{label} has shape {shape_str(arr.shape)}, expected {shape_str(shape)}: "
                f"{_shape_hint(arr.shape, shape)}",
                given,
            )
    flat = np.concatenate([arr.ravel() for arr in arrays])
    bad = ~np.isfinite(flat)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        where = params.label(first)
        raise _Stop(
            "nonfinite",
            f"grad is {flat[first]} at {where} ({int(bad.sum())} of {flat.size} entries are nan or inf): "
            "look for log(0), 0/0 or an overflowing exp in grad",
            given,
        )
    return flat, any(_low_precision(np.asarray(v).dtype) for v in values)


def _low_precision(dtype: np.dtype) -> bool:
    return bool(np.issubdtype(dtype, np.floating) and dtype.itemsize < 8)
