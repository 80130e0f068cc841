"""What every public door of labcode accepts, and what it must say about the rest (issue 23).

Each *family* draws one call with hypothesis (``data.draw``) and states what must happen:

- ``Case(call, ref=...)``: the input is accepted, and the result must equal ``ref`` (an independent
  computation: numpy by hand, scipy, mpmath) within ``rtol``; a labcode warning is allowed only when
  ``may_warn`` (the value is then still checked when the function returned one).
- ``Case(call, facts=(...))``: the input must be refused, a TypeError or ValueError whose message states
  every fact (the argument's name as the caller wrote it, the value or shape received), or, where the
  mathematics allows an answer of unknown accuracy, warned about (``warn_ok``).

:func:`outcome` classifies what happened in the words of the issue:

======== ==============================================================================================
clear    refused with a TypeError/ValueError stating the facts, or warned (a labcode warning) where the
         case allows it
ok       accepted, and the result matches the reference
silent   a wrong result (or an answer where a refusal was due) with no error and no labcode warning
cryptic  an error of another type, or one whose message lacks the facts
======== ==============================================================================================

``python tests/fuzz_doors.py`` prints the counts per family (for the issue's "before/after");
``tests/test_fuzz_doors.py`` asserts that every drawn case is "ok" or "clear" as it states.
"""

from __future__ import annotations

import math
import warnings
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from hypothesis import strategies as st
from scipy import special

import labcode
from labcode import autodiff as ad
from labcode import losses, models, notebook, numdiff, optim, tree
from labcode.gradcheck import check_gradient, relative_error


def _labcode_warning(w: warnings.WarningMessage) -> bool:
    """A warning raised by labcode itself (AccuracyWarning and its kin), not one of numpy's."""
    return getattr(w.category, "__module__", "").startswith("labcode")


@dataclass
class Case:
    call: Callable[[], Any]
    ref: Any = None  # the right answer, when the input is accepted
    facts: tuple[str, ...] = ()  # what a refusal's message must state
    refuse: bool = False
    warn_ok: bool = False  # a labcode warning counts as "clear" instead of a refusal (or a wrong value)
    may_warn: bool = False  # an accepted input whose right answer may come with a warning
    rtol: float = 1e-9
    atol: float = 0.0
    check: Callable[[Any], bool] | None = None  # instead of ref: a predicate on the result
    label: str = field(default="")


def _close(got: Any, want: Any, rtol: float, atol: float) -> bool:
    if isinstance(want, dict):
        return (
            isinstance(got, dict)
            and set(got) == set(want)
            and all(_close(got[k], want[k], rtol, atol) for k in want)
        )
    if isinstance(want, str):
        return got == want
    try:
        g = np.asarray(got)
        wv = np.asarray(want)
    except Exception:
        return False
    if g.dtype == object or g.shape != wv.shape:
        return False
    if np.iscomplexobj(g) != np.iscomplexobj(wv):
        return False
    if g.dtype != wv.dtype and not (np.issubdtype(g.dtype, np.floating) or g.dtype.kind in "iub"):
        return False
    if np.issubdtype(wv.dtype, np.floating) and g.dtype != np.float64 and wv.dtype == np.float64:
        return False  # the answer must come in float64, as promised
    return bool(np.allclose(g, wv, rtol=rtol, atol=atol, equal_nan=True))


def outcome(case: Case) -> tuple[str, str]:
    """("clear" | "ok" | "silent" | "cryptic", what happened)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            with np.errstate(all="ignore"):
                got = case.call()
        except (TypeError, ValueError) as exc:
            message = str(exc)
            lacking = [f for f in case.facts if f not in message]
            if case.refuse or case.warn_ok:
                if lacking:
                    return "cryptic", f"{type(exc).__name__} lacking {lacking}: {message[:200]}"
                return "clear", f"{type(exc).__name__}: {message[:120]}"
            return "cryptic", f"refused an accepted input: {type(exc).__name__}: {message[:200]}"
        except Exception as exc:  # noqa: BLE001 - any other type is cryptic by definition
            return "cryptic", f"{type(exc).__name__}: {str(exc)[:200]}"
    warned = [w for w in caught if _labcode_warning(w)]
    if case.refuse and not case.warn_ok:
        return "silent", f"accepted (no error) what must be refused: {_short(got)}"
    if case.refuse and case.warn_ok:
        if warned:
            return "clear", f"warned: {str(warned[0].message)[:120]}"
        if case.ref is not None and _matches(case, got):
            return "ok", "right without a warning"
        return "silent", f"no warning, returned {_short(got)}"
    right = _matches(case, got)
    if right and (not warned or case.may_warn):
        return "ok", "right"
    if right:
        return "clear", f"right, with a needless warning: {str(warned[0].message)[:120]}"
    if warned:
        return "clear", f"wrong but warned: {str(warned[0].message)[:120]}"
    return "silent", f"returned {_short(got)}, expected {_short(case.ref)}"


def _matches(case: Case, got: Any) -> bool:
    if case.check is not None:
        try:
            return bool(case.check(got))
        except Exception:  # noqa: BLE001
            return False
    return _close(got, case.ref, case.rtol, case.atol)


def _short(x: Any) -> str:
    text = repr(x)
    return text if len(text) < 160 else text[:157] + "..."


# ---------------------------------------------------------------------------------------------------------
# Inputs
# ---------------------------------------------------------------------------------------------------------

REAL_DTYPES = ("float64", "float32", "float16", "int8", "uint8", "int16", "int64", "bool")


def _values(data: st.DataObject, dtype: str, shape: tuple[int, ...]) -> np.ndarray:
    """An array of ``dtype`` and ``shape`` whose values cover that dtype's range (extremes included)."""
    if dtype == "bool":
        return np.array(
            data.draw(st.lists(st.booleans(), min_size=math.prod(shape), max_size=math.prod(shape))),
            dtype=bool,
        ).reshape(shape)
    if dtype.startswith(("int", "uint")):
        info = np.iinfo(dtype)
        ints = st.one_of(
            st.integers(int(info.min), int(info.max)), st.sampled_from([int(info.min), int(info.max), 0])
        )
        items = data.draw(st.lists(ints, min_size=math.prod(shape), max_size=math.prod(shape)))
        return np.array(items, dtype=dtype).reshape(shape)
    big = float(np.finfo(dtype).max) if dtype != "float64" else 800.0
    floats = st.one_of(
        st.floats(-big, big, allow_nan=False, width=64),
        st.sampled_from([0.0, -0.0, 1.0, -1.0, 40.0, -40.0, 700.0, -745.0]),
    )
    items = data.draw(st.lists(floats, min_size=math.prod(shape), max_size=math.prod(shape)))
    with np.errstate(over="ignore"):
        return np.array(items, dtype=np.float64).astype(dtype).reshape(shape)


SHAPES = st.sampled_from([(), (1,), (3,), (2, 3)])


# ---------------------------------------------------------------------------------------------------------
# Families
# ---------------------------------------------------------------------------------------------------------


def _ref_elementwise(name: str, x: np.ndarray) -> Any:
    with np.errstate(all="ignore"):
        return {
            "exp": np.exp,
            "sin": np.sin,
            "cos": np.cos,
            "tanh": np.tanh,
            "relu": lambda v: np.maximum(v, 0.0),
            "sigmoid": special.expit,
            "softplus": lambda v: np.logaddexp(0.0, v),
            "log_sigmoid": lambda v: -np.logaddexp(0.0, -v),
            "sigmoid_grad": lambda v: special.expit(v) * special.expit(-v),
            "log": np.log,
            "sqrt": np.sqrt,
        }[name](x)


ELEMENTWISE = {
    "exp": ad.exp,
    "sin": ad.sin,
    "cos": ad.cos,
    "tanh": ad.tanh,
    "relu": ad.relu,
    "sigmoid": ad.sigmoid,
    "softplus": ad.softplus,
    "log_sigmoid": ad.log_sigmoid,
    "log": ad.log,
    "sqrt": ad.sqrt,
    "losses.sigmoid": losses.sigmoid,
    "losses.softplus": losses.softplus,
    "losses.sigmoid_grad": losses.sigmoid_grad,
    "losses.log_sigmoid": losses.log_sigmoid,
}


def elementwise(data: st.DataObject) -> Case:
    """autodiff's elementwise functions and losses' activations, on every real dtype and on complex."""
    name = data.draw(st.sampled_from(sorted(ELEMENTWISE)), label="function")
    fn = ELEMENTWISE[name]
    kind = data.draw(st.sampled_from([*REAL_DTYPES, "complex128", "python", "list", "nan"]), label="kind")
    shape = data.draw(SHAPES, label="shape")
    if kind == "complex128":
        x = _values(data, "float64", shape) + 1j
        return Case(lambda: fn(x), facts=("x", "complex"), refuse=True)
    if kind == "python":
        v = data.draw(st.one_of(st.integers(-1000, 1000), st.floats(-800, 800), st.booleans()))
        x64, x = np.float64(v), v
    elif kind == "list":
        x = [float(t) for t in np.ravel(_values(data, "float64", (3,)))]
        x64 = np.array(x)
    elif kind == "nan":
        x = np.array([0.5, np.nan, 1.0])
        x64 = x
    else:
        x = _values(data, kind, shape)
        x64 = x.astype(np.float64)
    base = name.removeprefix("losses.")
    if kind == "nan":
        if base in ("sigmoid", "softplus", "log_sigmoid", "sigmoid_grad", "log", "sqrt"):
            return Case(lambda: fn(x), facts=("nan",), refuse=True)
        return Case(lambda: fn(x), ref=_ref_elementwise(base, x64))
    if base == "log" and np.any(x64 <= 0):
        return Case(lambda: fn(x), facts=("x", "> 0"), refuse=True)
    if base == "sqrt" and np.any(x64 < 0):
        return Case(lambda: fn(x), facts=("x", ">= 0"), refuse=True)
    ref = _ref_elementwise(base, x64)
    if np.ndim(ref) == 0:
        ref = float(ref)
    return Case(lambda: fn(x), ref=ref, rtol=1e-12, atol=1e-300)


def softmax_family(data: st.DataObject) -> Case:
    """logsumexp, softmax and log_softmax along an axis, on real dtypes."""
    name = data.draw(st.sampled_from(["logsumexp", "softmax", "log_softmax"]))
    fn = getattr(ad, name)
    dtype = data.draw(st.sampled_from(["float64", "float32", "float16", "int16", "bool"]))
    x = _values(data, dtype, (2, 3))
    if dtype == "float64":
        x = np.clip(x, -1e300, 1e300)
    axis = data.draw(st.sampled_from([-1, 0, 1, None, 2, "1"]))
    if axis == 2 or axis == "1":
        return Case(lambda: fn(x, axis=axis), facts=("axis",), refuse=True)
    x64 = x.astype(np.float64)
    ref = {
        "logsumexp": lambda: special.logsumexp(x64, axis=axis),
        "softmax": lambda: special.softmax(x64, axis=axis),
        "log_softmax": lambda: special.log_softmax(x64, axis=axis),
    }[name]()
    if np.ndim(ref) == 0:
        ref = float(ref)
    # log-probabilities near 0 (-4e-16) carry an absolute rounding of eps, not a relative one
    atol = 1e-300 if name == "softmax" else 1e-14
    return Case(lambda: fn(x, axis=axis), ref=ref, rtol=1e-12, atol=atol)


def _logistic_ref(z: np.ndarray, y: np.ndarray) -> float:
    """mean(y softplus(-z) + (1 - y) softplus(z)) term by term, with 0 * inf = 0 (a label's weight of 0)."""
    import mpmath

    total = mpmath.mpf(0)
    for zi, yi in zip(z, y, strict=True):
        zi = mpmath.mpf(float(zi)) if np.isfinite(zi) else (mpmath.inf if zi > 0 else -mpmath.inf)
        sp_minus = mpmath.log1p(mpmath.exp(-zi)) if zi != mpmath.inf else mpmath.mpf(0)
        sp_plus = mpmath.log1p(mpmath.exp(zi)) if zi != -mpmath.inf else mpmath.mpf(0)
        if yi > 0:
            total += yi * sp_minus
        if yi < 1:
            total += (1 - yi) * sp_plus
    return float(total / len(z))


def losses_family(data: st.DataObject) -> Case:
    """mse, bce and softmax cross-entropy (and their gradients) on ordinary, extreme and wrong inputs."""
    n = 4
    X = np.array([[1.0, 0.5], [-0.3, 2.0], [0.7, -1.1], [1.5, 0.2]])
    w = np.array([0.4, -0.6])
    y01 = np.array([1.0, 0.0, 1.0, 1.0])
    kind = data.draw(
        st.sampled_from(
            [
                "mse",
                "mse_huge",
                "mse_grad",
                "bce",
                "bce_inf_logit",
                "bce_grad",
                "bce_from_logits",
                "bce_logits_long",
                "sce",
                "sce_grad",
                "int_X",
                "float32_X",
                "complex_w",
                "nan_b",
                "y_column",
                "bad_label",
                "bias_dict",
                "logistic_loss_inf",
                "one_hot",
            ]
        )
    )
    scale = data.draw(st.sampled_from([1.0, 1e-3, 1e3]))
    Xs, ws = X * scale, w
    if kind == "mse":
        r = Xs @ ws - y01
        return Case(lambda: losses.mse(ws, Xs, y01), ref=float(np.mean(r**2)), rtol=1e-12)
    if kind == "mse_huge":
        big = data.draw(st.sampled_from([1.5e154, 1e160, 1e200]))
        y = np.array([big, 0.0, 0.0, 0.0])
        r = Xs @ ws - y
        import mpmath

        ref = float(sum(mpmath.mpf(float(v)) ** 2 for v in r) / n)
        if math.isinf(ref):
            return Case(
                lambda: losses.mse(ws, Xs, y), ref=ref, refuse=True, warn_ok=True, facts=("overflow",)
            )
        return Case(lambda: losses.mse(ws, Xs, y), ref=ref, rtol=1e-12)
    if kind == "mse_grad":
        r = Xs @ ws - y01
        return Case(lambda: losses.mse_grad(ws, Xs, y01), ref=2 / n * Xs.T @ r, rtol=1e-12, atol=1e-300)
    if kind == "bce":
        z = Xs @ ws
        return Case(lambda: losses.bce(ws, Xs, y01), ref=_logistic_ref(z, y01), rtol=1e-12)
    if kind in ("bce_inf_logit", "logistic_loss_inf"):
        Xb = X.copy()
        Xb[0] = [1e200, 0.0]
        wb = np.array([1e200, 0.0])  # X[0] @ w = +inf (overflow); y[0] = 1, so its term is 0
        with np.errstate(over="ignore"):
            z = Xb @ wb
        ref = _logistic_ref(z, y01)
        if kind == "bce_inf_logit":
            return Case(lambda: losses.bce(wb, Xb, y01), ref=ref, rtol=1e-12)
        return Case(lambda: models.logistic_loss({"w": wb, "b": 0.0}, Xb, y01), ref=ref, rtol=1e-12)
    if kind == "bce_grad":
        z = Xs @ ws
        # p - y as (1 - y) p - y (1 - p), with 1 - p = expit(-z): exact where p rounds to 1
        residual = (1 - y01) * special.expit(z) - y01 * special.expit(-z)
        return Case(
            lambda: losses.bce_grad(ws, Xs, y01),
            ref=Xs.T @ residual / n,
            rtol=1e-12,
            atol=1e-300,
        )
    if kind == "bce_from_logits":
        z = data.draw(st.lists(st.floats(-1e4, 1e4), min_size=4, max_size=4))
        z = np.array(z)
        return Case(
            lambda: losses.bce_from_logits(z, y01), ref=_logistic_ref(z, y01), rtol=1e-12, atol=1e-300
        )
    if kind == "bce_logits_long":
        z = np.zeros(5)
        return Case(lambda: losses.bce_from_logits(z, y01), facts=("z", "(5,)", "y", "(4,)"), refuse=True)
    if kind in ("sce", "sce_grad"):
        W = np.array([[0.1, -0.2, 0.3], [0.5, 0.0, -0.4]]) * scale
        yk = np.array([0, 2, 1, 2])
        Z = Xs @ W
        if kind == "sce":
            ref = float(np.mean(special.logsumexp(Z, axis=1) - Z[np.arange(n), yk]))
            return Case(lambda: losses.softmax_cross_entropy(W, Xs, yk), ref=ref, rtol=1e-12)
        P = special.softmax(Z, axis=1)
        P[np.arange(n), yk] -= 1
        return Case(
            lambda: losses.softmax_cross_entropy_grad(W, Xs, yk), ref=Xs.T @ P / n, rtol=1e-9, atol=1e-15
        )
    if kind == "int_X":
        Xi = np.array([[1, 2], [3, -1], [0, 1], [2, 2]], dtype=np.int8)
        r = Xi.astype(float) @ ws - y01
        return Case(lambda: losses.mse(ws, Xi, y01), ref=float(np.mean(r**2)), rtol=1e-12)
    if kind == "float32_X":
        X32 = Xs.astype(np.float32)
        r = X32.astype(float) @ ws - y01
        return Case(lambda: losses.mse_grad(ws, X32, y01), ref=2 / n * X32.astype(float).T @ r, rtol=1e-12)
    if kind == "complex_w":
        return Case(lambda: losses.mse(ws + 1j, Xs, y01), facts=("w", "complex"), refuse=True)
    if kind == "nan_b":
        return Case(lambda: losses.mse({"w": ws, "b": np.nan}, Xs, y01), facts=("b", "nan"), refuse=True)
    if kind == "y_column":
        return Case(lambda: losses.mse(ws, Xs, y01[:, None]), facts=("y", "(4, 1)"), refuse=True)
    if kind == "bad_label":
        return Case(
            lambda: losses.bce(ws, Xs, np.array([1.0, 2.0, 0.0, 1.0])), facts=("y[1]", "2.0"), refuse=True
        )
    if kind == "bias_dict":
        b = data.draw(st.sampled_from([0.5, -2.0]))
        r = Xs @ ws + b - y01
        ref = {"w": 2 / n * Xs.T @ r, "b": 2 * float(np.mean(r))}
        return Case(lambda: losses.mse_grad({"w": ws, "b": b}, Xs, y01), ref=ref, rtol=1e-12, atol=1e-300)
    yk = np.array([0, 2, 1])
    return Case(lambda: losses.one_hot(yk, 3), ref=np.eye(3)[yk])


def models_family(data: st.DataObject) -> Case:
    """The models' doors: parameters that are nan, complex, None, int or of the wrong shape."""
    X = np.array([[1.0, 0.5], [-0.3, 2.0], [0.7, -1.1]])
    y = np.array([1.0, 0.0, 1.0])
    good = {"w": np.array([0.3, -0.2]), "b": 0.1}
    fn_name = data.draw(
        st.sampled_from(
            [
                "linear_predict",
                "linear_loss",
                "linear_grad",
                "logistic_loss",
                "logistic_grad",
                "logistic_predict_proba",
            ]
        )
    )
    fn = getattr(models, fn_name)
    takes_y = fn_name.endswith(("loss", "grad"))
    args = (X, y) if takes_y else (X,)
    bad = data.draw(
        st.sampled_from(["ok", "int_w", "nan_w", "complex_b", "none_b", "inf_b", "str_b", "w_shape", "X_int"])
    )
    p = dict(good)
    if bad == "int_w":
        p["w"] = np.array([1, -2])
    elif bad == "nan_w":
        p["w"] = np.array([np.nan, 1.0])
        return Case(lambda: fn(p, *args), facts=("params['w']", "nan"), refuse=True)
    elif bad == "complex_b":
        p["b"] = 0.1 + 2j
        return Case(lambda: fn(p, *args), facts=("params['b']", "complex"), refuse=True)
    elif bad == "none_b":
        p["b"] = None
        return Case(lambda: fn(p, *args), facts=("params['b']", "None"), refuse=True)
    elif bad == "inf_b":
        p["b"] = np.inf
        return Case(lambda: fn(p, *args), facts=("params['b']", "inf"), refuse=True)
    elif bad == "str_b":
        p["b"] = "0.1"
        return Case(lambda: fn(p, *args), facts=("params['b']", "str"), refuse=True)
    elif bad == "w_shape":
        p["w"] = np.zeros(3)
        return Case(lambda: fn(p, *args), facts=("params['w']", "(3,)", "(2,)"), refuse=True)
    Xa = X
    if bad == "X_int":
        Xa = np.array([[1, 0], [0, 2], [3, -1]], dtype=np.int16)
        args = (Xa, y) if takes_y else (Xa,)
    wv, bv = np.asarray(p["w"], float), float(p["b"])
    Xf = Xa.astype(float)
    z = Xf @ wv + bv
    ref = {
        "linear_predict": lambda: z,
        "linear_loss": lambda: float(np.mean((z - y) ** 2)),
        "linear_grad": lambda: {"w": 2 / 3 * Xf.T @ (z - y), "b": 2 * float(np.mean(z - y))},
        "logistic_loss": lambda: float(np.mean(np.logaddexp(0, z) - y * z)),
        "logistic_grad": lambda: {
            "w": Xf.T @ (special.expit(z) - y) / 3,
            "b": float(np.mean(special.expit(z) - y)),
        },
        "logistic_predict_proba": lambda: special.expit(z),
    }[fn_name]()
    return Case(lambda: fn(p, *args), ref=ref, rtol=1e-12, atol=1e-14)  # entries of order 1


def _f_in(dtype: str) -> Callable[[np.ndarray], Any]:
    def f(w: np.ndarray) -> Any:
        v = np.asarray(w).astype(dtype)
        return np.sum(np.sin(v) * v + v * v)

    return f


def _grad_ref(w: np.ndarray) -> np.ndarray:
    return np.cos(w) * w + np.sin(w) + 2 * w


def numdiff_family(data: st.DataObject) -> Case:
    """numdiff's four derivatives: ordinary inputs, low-precision f, steps too large, bad arguments."""
    which = data.draw(st.sampled_from(["derivative", "gradient", "jacobian", "hessian"]))
    kind = data.draw(
        st.sampled_from(
            [
                "ok",
                "low_precision",
                "big_w",
                "empty",
                "complex_w",
                "int_w",
                "bool_flag",
                "bad_h",
                "bad_method",
                "vector_f",
                "adaptive_overflow",
                "list_output",
            ]
        )
    )
    w = np.array(data.draw(st.lists(st.floats(-2, 2), min_size=3, max_size=3)))
    f64 = _f_in("float64")

    def hess_ref(v: np.ndarray) -> np.ndarray:
        return np.diag(-np.sin(v) * v + 2 * np.cos(v) + 2)

    def run(f: Callable, point: Any, **kw: Any) -> Any:
        if which == "derivative":
            return numdiff.derivative(
                lambda t: f(np.array([t])), point if np.ndim(point) == 0 else point[0], **kw
            )
        if which == "gradient":
            return numdiff.gradient(f, point, **kw)
        if which == "jacobian":
            return numdiff.jacobian(f, point, **kw)
        return numdiff.hessian(f, point, **kw)

    def ref_at(v: np.ndarray) -> Any:
        if which == "derivative":
            return float(_grad_ref(v[:1])[0])
        return hess_ref(v) if which == "hessian" else _grad_ref(v)

    rtol = 1e-5 if which == "hessian" else 1e-7
    if kind == "ok":
        return Case(lambda: run(f64, w), ref=ref_at(w), rtol=rtol, atol=1e-6, may_warn=True)
    if kind == "low_precision":
        dtype = data.draw(st.sampled_from(["float32", "float16"]))
        return Case(
            lambda: run(_f_in(dtype), w),
            ref=ref_at(w),
            rtol=rtol,
            atol=1e-6,
            refuse=True,
            warn_ok=True,
            facts=(dtype,),
        )
    if kind == "big_w":
        wb = w + 1e6

        def fs(v: np.ndarray) -> float:
            return float(np.sum(np.sin(v)))

        ref = {"derivative": math.cos(wb[0]), "hessian": np.diag(-np.sin(wb))}.get(which, np.cos(wb))
        return Case(lambda: run(fs, wb), ref=ref, rtol=1e-4, atol=1e-6, refuse=True, warn_ok=True)
    if kind == "adaptive_overflow":
        return Case(
            lambda: numdiff.derivative(np.exp, 709.0, method="adaptive"),
            ref=math.exp(709.0),
            rtol=1e-6,
            refuse=True,
            warn_ok=True,
        )
    if kind == "empty":
        if which == "derivative":
            return Case(lambda: numdiff.derivative(np.sin, np.zeros(0)), facts=("x", "(0,)"), refuse=True)
        return Case(lambda: run(f64, np.zeros(0)), facts=("w", "(0,)"), refuse=True)
    if kind == "complex_w":
        name = "x" if which == "derivative" else "w"
        return Case(lambda: run(f64, w + 1j), facts=(name, "complex"), refuse=True)
    if kind == "int_w":
        wi = np.array([1, -2, 0])
        return Case(lambda: run(f64, wi), ref=ref_at(wi.astype(float)), rtol=rtol, atol=1e-6, may_warn=True)
    if kind == "bool_flag":
        return Case(lambda: run(f64, w, full_output="False"), facts=("full_output", "'False'"), refuse=True)
    if kind == "bad_h":
        h = data.draw(st.sampled_from([0.0, -1e-3, np.nan, "1e-3", True]))
        return Case(lambda: run(f64, w, h=h), facts=("h",), refuse=True)
    if kind == "bad_method":
        if which in ("jacobian", "hessian"):
            return Case(lambda: run(f64, w, h=None), ref=ref_at(w), rtol=rtol, atol=1e-6, may_warn=True)
        return Case(lambda: run(f64, w, method="centre"), facts=("method", "'centre'"), refuse=True)
    if kind == "vector_f":
        if which == "jacobian":
            return Case(
                lambda: numdiff.jacobian(lambda v: np.stack([v[0] * v[1], np.sin(v[2])]), w),
                ref=np.array([[w[1], w[0], 0], [0, 0, np.cos(w[2])]]),
                rtol=1e-7,
                atol=1e-8,
            )
        return Case(lambda: run(lambda v: v * 2, w), facts=("f", "scalar"), refuse=True)
    # a list from f: jacobian takes it as an array; scalar derivatives refuse it
    if which == "jacobian":
        return Case(
            lambda: numdiff.jacobian(lambda v: [v[0], 2 * v[1]], w),
            ref=np.array([[1.0, 0, 0], [0, 2.0, 0]]),
            rtol=1e-7,
            atol=1e-8,
        )
    return Case(lambda: run(lambda v: [float(np.sum(v))], w), facts=("f",), refuse=True)


def gradcheck_family(data: st.DataObject) -> Case:
    """check_gradient: right and wrong gradients at every scale of w, and bad arguments."""
    kind = data.draw(st.sampled_from(["right", "wrong", "huge_w", "bad_rtol", "bad_seed", "empty"]))
    w = np.array(data.draw(st.lists(st.floats(-2, 2), min_size=3, max_size=3)))

    def f(v: np.ndarray) -> float:
        return float(np.sum(v**4) / 4 + np.sum(v))

    def g(v: np.ndarray) -> np.ndarray:
        return v**3 + 1

    if kind == "right":
        return Case(lambda: check_gradient(f, g, w), check=lambda r: r.ok)
    if kind == "wrong":
        return Case(
            lambda: check_gradient(f, lambda v: 2 * g(v), w), check=lambda r: not r.ok and r.kind == "factor"
        )
    if kind == "huge_w":
        s = data.draw(st.sampled_from([1e12, 1e14, 1e16, 1e20]))

        def fq(v: np.ndarray) -> float:
            return float(np.sum(v**2))

        wh = w * s + s
        return Case(
            lambda: check_gradient(fq, lambda v: 2 * v, wh),
            check=lambda r: r.ok or r.kind in ("noisy", "inconclusive"),
        )
    if kind == "bad_rtol":
        bad = data.draw(st.sampled_from([0.0, -1.0, np.nan, "1e-6", 2.0]))
        return Case(lambda: check_gradient(f, g, w, rtol=bad), facts=("rtol",), refuse=True)
    if kind == "bad_seed":
        bad = data.draw(st.sampled_from([-1, 1.5, True, "0"]))
        return Case(lambda: check_gradient(f, g, w, seed=bad), facts=("seed",), refuse=True)
    return Case(lambda: check_gradient(f, g, np.zeros(0)), facts=("w", "(0,)"), refuse=True)


def autodiff_family(data: st.DataObject) -> Case:
    """grad and jacobian on functions that leave the graph, and on ordinary ones against numpy by hand."""
    kind = data.draw(
        st.sampled_from(["ok", "float", "math_sin", "list_jacobian", "int_x", "complex_x", "vag"])
    )
    w = np.array(data.draw(st.lists(st.floats(-2, 2), min_size=3, max_size=3)))
    if kind == "ok":
        return Case(
            lambda: ad.grad(lambda v: (ad.tanh(v) * v).sum())(w),
            ref=np.tanh(w) + w * (1 - np.tanh(w) ** 2),
            rtol=1e-12,
            atol=1e-300,
        )
    if kind == "vag":
        return Case(
            lambda: ad.value_and_grad(lambda v: (v**2).sum())(w),
            check=lambda r: np.isclose(r[0], np.sum(w**2)) and np.allclose(r[1], 2 * w),
        )
    if kind == "float":
        return Case(
            lambda: ad.grad(lambda v: float(v[0]) * v[1] + v[2])(w),
            ref=np.array([w[1], w[0], 1.0]),
            refuse=True,
            warn_ok=True,
            facts=("float",),
        )
    if kind == "math_sin":
        return Case(
            lambda: ad.grad(lambda v: math.sin(v[0]) + (v[1] * v[2]))(w),
            ref=np.array([math.cos(w[0]), w[2], w[1]]),
            refuse=True,
            warn_ok=True,
            facts=("float",),
        )
    if kind == "list_jacobian":
        return Case(lambda: ad.jacobian(lambda v: [v[0], v[1] * v[2]])(w), facts=("stack",), refuse=True)
    if kind == "int_x":
        wi = np.array([1, 2, -1], dtype=np.int8)
        return Case(lambda: ad.grad(lambda v: (v**2).sum())(wi), ref=2.0 * wi, rtol=1e-12)
    return Case(lambda: ad.grad(lambda v: (v**2).sum())(w + 1j), facts=("complex",), refuse=True)


def optim_family(data: st.DataObject) -> Case:
    """Optimizers and schedules: flags, learning rates, schedules' values, grads of the wrong arity."""
    A = np.diag([1.0, 4.0])
    b = np.array([1.0, -1.0])
    w0 = np.array([0.5, 0.5])

    def grad(w: np.ndarray) -> np.ndarray:
        return A @ w - b

    kind = data.draw(
        st.sampled_from(
            [
                "gd",
                "nesterov_str",
                "sgd_nesterov_str",
                "adam_flag",
                "schedule_negative",
                "schedule_nan",
                "schedule_rate_int",
                "batches_arity",
                "lr_bool",
                "minibatch_flag",
                "steps_float",
            ]
        )
    )
    if kind == "gd":
        lr = data.draw(st.sampled_from([0.05, 0.1, 0.2]))
        steps = data.draw(st.integers(0, 30))
        x = w0.copy()
        for _ in range(steps):
            x = x - lr * grad(x)
        return Case(lambda: optim.gradient_descent(grad, w0, lr=lr, steps=steps).params, ref=x, rtol=1e-12)
    if kind == "nesterov_str":
        return Case(
            lambda: optim.momentum(grad, w0, lr=0.1, nesterov="False"),
            facts=("nesterov", "'False'"),
            refuse=True,
        )
    if kind == "sgd_nesterov_str":
        return Case(
            lambda: optim.sgd(grad, w0, lr=0.1, momentum=0.9, nesterov="no"),
            facts=("nesterov", "'no'"),
            refuse=True,
        )
    if kind == "adam_flag":
        return Case(
            lambda: optim.adam(grad, w0, lr=0.1, bias_correction=1), facts=("bias_correction",), refuse=True
        )
    if kind in ("schedule_negative", "schedule_nan"):
        value = -0.1 if kind == "schedule_negative" else math.nan
        s = optim.Schedule("bad", lambda t: value)
        which = data.draw(st.sampled_from(["sgd", "adam", "rmsprop", "call"]))
        if which == "call":
            return Case(lambda: s(0), facts=("lr", repr(value)), refuse=True)
        return Case(
            lambda: getattr(optim, which)(grad, w0, lr=s, steps=3), facts=("lr", repr(value)), refuse=True
        )
    if kind == "schedule_rate_int":
        return Case(lambda: optim.Schedule("x", 5)(0), facts=("rate",), refuse=True)
    if kind == "batches_arity":
        return Case(
            lambda: optim.sgd(grad, w0, lr=0.1, steps=2, batches=optim.Minibatches(4, 2)),
            facts=("grad", "idx"),
            refuse=True,
        )
    if kind == "lr_bool":
        return Case(lambda: optim.gradient_descent(grad, w0, lr=True), facts=("lr", "bool"), refuse=True)
    if kind == "minibatch_flag":
        return Case(lambda: optim.Minibatches(4, 2, shuffle="yes"), facts=("shuffle", "'yes'"), refuse=True)
    return Case(lambda: optim.gradient_descent(grad, w0, lr=0.1, steps=2.0), facts=("steps",), refuse=True)


def tree_family(data: st.DataObject) -> Case:
    """ravel/unravel round trips, tree_map, check_keys."""
    kind = data.draw(
        st.sampled_from(
            [
                "roundtrip",
                "unravel_extra",
                "unravel_short",
                "tree_map_shapes",
                "check_keys_str",
                "check_keys_ok",
                "ravel_none",
            ]
        )
    )
    p = {"W": np.arange(6.0).reshape(2, 3), "b": np.array([1.0, 2.0, 3.0])}
    if kind == "roundtrip":
        x, td = tree.ravel(p)
        return Case(lambda: td.unravel(x), ref=p)
    if kind in ("unravel_extra", "unravel_short"):
        x, td = tree.ravel(p)
        xx = np.append(x, 7.0) if kind == "unravel_extra" else x[:-1]
        return Case(lambda: td.unravel(xx), facts=("x", f"({xx.size},)", "(9,)"), refuse=True)
    if kind == "tree_map_shapes":
        other = {"W": np.ones(3), "b": np.ones(3)}
        return Case(lambda: tree.tree_map(np.add, p, other), facts=("'W'", "(3,)", "(2, 3)"), refuse=True)
    if kind == "check_keys_str":
        return Case(lambda: tree.check_keys("wb", ("w", "b"), "params"), facts=("params", "str"), refuse=True)
    if kind == "check_keys_ok":
        return Case(
            lambda: tree.check_keys({"b": 1, "w": 2}, ("w", "b"), "params"), check=lambda r: r is None
        )
    return Case(lambda: tree.ravel({"w": None}), facts=("w['w']", "None"), refuse=True)


def notebook_family(data: st.DataObject) -> Case:
    """agreement, decade, shown_value against exact answers."""
    kind = data.draw(
        st.sampled_from(
            ["decade", "decade_edge", "agreement", "agreement_complex", "shown_value", "decade_bad"]
        )
    )
    if kind == "decade":
        v = data.draw(st.floats(1e-300, 1e300))
        from decimal import Decimal

        exp = Decimal(v).adjusted()  # exact: the position of the first digit
        return Case(lambda: notebook.decade(v), ref=f"between 1e{exp} and 1e{exp + 1}")
    if kind == "decade_edge":
        v = data.draw(
            st.sampled_from([999.9999999999999, 0.09999999999999999, 1e-5, 1000.0, 9.999999999999999e22])
        )
        from decimal import Decimal

        exp = Decimal(v).adjusted()
        return Case(lambda: notebook.decade(v), ref=f"between 1e{exp} and 1e{exp + 1}")
    if kind == "decade_bad":
        v = data.draw(st.sampled_from([0.0, math.inf, math.nan, "1", None]))
        return Case(lambda: notebook.decade(v), facts=("value",), refuse=True)
    if kind == "agreement":
        a = np.array([1.0, 2.0, 3.0])
        return Case(lambda: notebook.agreement(a, a * 2), ref="different (rel. error 0.5)")
    if kind == "agreement_complex":
        a = np.array([1.0, 2.0])
        return Case(lambda: notebook.agreement(a, a + 5j), facts=("b", "complex"), refuse=True)
    v = data.draw(st.floats(-1e6, 1e6))
    return Case(lambda: notebook.shown_value(v, ".3f"), ref=float(f"{v:.3f}"), rtol=0)


# ---------------------------------------------------------------------------------------------------------
# Every array argument of every public function, mutated: the table behind the examples above
# ---------------------------------------------------------------------------------------------------------

_X = np.array([[1.0, 0.5], [-0.3, 2.0], [0.7, -1.1], [1.5, 0.2]])  # (n, d) = (4, 2)
_w = np.array([0.4, -0.6])
_W = np.array([[0.1, -0.2, 0.3], [0.5, 0.0, -0.4]])  # (d, k) = (2, 3)
_y01 = np.array([1.0, 0.0, 1.0, 1.0])
_yk = np.array([0.0, 2.0, 1.0, 2.0])
_MLP = {
    "W1": np.array([[0.2, -0.1, 0.4], [0.3, 0.5, -0.2]]),
    "b1": np.array([0.1, 0.0, -0.1]),
    "W2": np.array([[0.3], [-0.4], [0.2]]),
    "b2": np.array([0.05]),
}


def _softmax_rows(Z: np.ndarray) -> np.ndarray:
    return special.softmax(Z, axis=1)


def _sce_grad(Z: np.ndarray, y: np.ndarray) -> np.ndarray:
    P = _softmax_rows(Z)
    P[np.arange(len(y)), y.astype(int)] -= 1
    return P / len(y)


def _mlp_ref(p: dict, X: np.ndarray) -> np.ndarray:
    return np.tanh(X @ p["W1"] + p["b1"]) @ p["W2"] + p["b2"]


def _sum_sin(v: np.ndarray) -> float:
    return float(np.sum(np.sin(v) + v * v))


@dataclass
class Door:
    """One public function: its valid arguments, a reference for them, and what each argument must be."""

    call: Callable[..., Any]
    args: dict[str, Any]  # name -> a valid value (the function's own parameter names, in order)
    ref: Callable[..., Any]  # the same arguments (float64 arrays) -> the right answer
    finite: tuple[str, ...] = ()  # arguments where nan/inf must be refused
    nonempty: tuple[str, ...] = ()  # arguments that need entries
    fixed_shape: tuple[str, ...] = ()  # arguments whose number of axes is fixed
    whole: tuple[str, ...] = ()  # arguments holding labels: rounded before an int/float32 mutation
    rtol: float = 1e-12
    atol: float = 1e-14
    labels: dict[str, str] = field(default_factory=dict)  # how a message names an argument, if not so
    inf_ok: tuple[str, ...] = ()  # of ``finite``: arguments where only nan is refused (sigmoid'(inf) = 0)


def _diag_of(values: np.ndarray, w: np.ndarray) -> np.ndarray:
    """A diagonal Jacobian or Hessian of an elementwise function, shaped w.shape + w.shape."""
    return np.diag(values.ravel()).reshape(w.shape + w.shape)


def _relative_error_ref(a: np.ndarray, b: np.ndarray) -> float:
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        return math.inf  # documented: a non-finite gradient is never "close"
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(a)), np.max(np.abs(b))))


DOORS: dict[str, Door] = {
    "losses.mse": Door(
        losses.mse,
        {"w": _w, "X": _X, "y": _y01},
        lambda w, X, y: float(np.mean((X @ w - y) ** 2)),
        ("w", "X", "y"),
        ("X",),
        ("w", "X", "y"),
    ),
    "losses.mse_grad": Door(
        losses.mse_grad,
        {"w": _w, "X": _X, "y": _y01},
        lambda w, X, y: 2 / len(y) * X.T @ (X @ w - y),
        ("w", "X", "y"),
        ("X",),
        ("w", "X", "y"),
    ),
    "losses.bce": Door(
        losses.bce,
        {"w": _w, "X": _X, "y": _y01},
        lambda w, X, y: _logistic_ref(X @ w, y),
        ("w", "X", "y"),
        ("X",),
        ("w", "X", "y"),
        ("y",),
    ),
    "losses.bce_grad": Door(
        losses.bce_grad,
        {"w": _w, "X": _X, "y": _y01},
        lambda w, X, y: X.T @ ((1 - y) * special.expit(X @ w) - y * special.expit(-X @ w)) / len(y),
        ("w", "X", "y"),
        ("X",),
        ("w", "X", "y"),
        ("y",),
    ),
    "losses.bce_from_logits": Door(
        losses.bce_from_logits,
        {"z": _X @ _w, "y": _y01},
        _logistic_ref,
        ("z", "y"),
        ("z",),
        ("z", "y"),
        ("y",),
    ),
    "losses.softmax_cross_entropy": Door(
        losses.softmax_cross_entropy,
        {"W": _W, "X": _X, "y": _yk},
        lambda W, X, y: float(
            np.mean(special.logsumexp(X @ W, axis=1) - (X @ W)[np.arange(4), y.astype(int)])
        ),
        ("W", "X", "y"),
        ("X",),
        ("W", "X", "y"),
        ("y",),
    ),
    "losses.softmax_cross_entropy_grad": Door(
        losses.softmax_cross_entropy_grad,
        {"W": _W, "X": _X, "y": _yk},
        lambda W, X, y: X.T @ _sce_grad(X @ W, y),
        ("W", "X", "y"),
        ("X",),
        ("W", "X", "y"),
        ("y",),
    ),
    "losses.softmax_cross_entropy_from_logits_grad": Door(
        losses.softmax_cross_entropy_from_logits_grad,
        {"Z": _X @ _W, "y": _yk},
        _sce_grad,
        ("Z", "y"),
        ("Z",),
        ("Z", "y"),
        ("y",),
    ),
    "losses.add_bias_column": Door(
        losses.add_bias_column, {"X": _X}, lambda X: np.hstack([X, np.ones((4, 1))]), ("X",), ("X",), ("X",)
    ),
    "losses.sigmoid_grad": Door(
        losses.sigmoid_grad,
        {"z": _X @ _w},
        lambda z: special.expit(z) * special.expit(-z),
        ("z",),
        (),
        (),
        atol=1e-300,
        inf_ok=("z",),
    ),
    "models.linear_predict": Door(
        lambda X: models.linear_predict({"w": _w, "b": 0.5}, X),
        {"X": _X},
        lambda X: X @ _w + 0.5,
        ("X",),
        ("X",),
        ("X",),
    ),
    "models.mlp_forward": Door(
        lambda X: models.mlp_forward(_MLP, X), {"X": _X}, lambda X: _mlp_ref(_MLP, X), ("X",), ("X",), ("X",)
    ),
    "models.softmax_predict_proba": Door(
        lambda X: models.softmax_predict_proba({"W": _W, "b": np.zeros(3)}, X),
        {"X": _X},
        lambda X: _softmax_rows(X @ _W),
        ("X",),
        ("X",),
        ("X",),
    ),
    "models.accuracy": Door(
        models.accuracy,
        {"y_true": _yk, "y_pred": np.array([0.0, 1.0, 1.0, 2.0])},
        lambda y_true, y_pred: float(np.mean(y_true == y_pred)),
        (),
        ("y_true",),
        ("y_true", "y_pred"),
        ("y_true", "y_pred"),
    ),
    "relative_error": Door(relative_error, {"a": _w, "b": _w * 1.5}, _relative_error_ref, (), (), ("a", "b")),
    "numdiff.gradient": Door(
        lambda w: numdiff.gradient(_sum_sin, w),
        {"w": _w},
        lambda w: np.cos(w) + 2 * w,
        ("w",),
        ("w",),
        (),
        rtol=1e-7,
        atol=1e-8,
    ),
    "numdiff.hessian": Door(
        lambda w: numdiff.hessian(_sum_sin, w),
        {"w": _w},
        lambda w: _diag_of(2 - np.sin(w), w),
        ("w",),
        ("w",),
        (),
        rtol=1e-5,
        atol=1e-6,
    ),
    "numdiff.jacobian": Door(
        lambda w: numdiff.jacobian(np.sin, w),
        {"w": _w},
        lambda w: _diag_of(np.cos(w), w),
        ("w",),
        ("w",),
        (),
        rtol=1e-7,
        atol=1e-8,
    ),
    "numdiff.derivative": Door(
        lambda x: numdiff.derivative(np.sin, x),
        {"x": np.float64(0.7)},
        lambda x: math.cos(float(x)),
        ("x",),
        (),
        ("x",),
        rtol=1e-7,
    ),
    "autodiff.grad": Door(
        lambda x: ad.grad(lambda v: (ad.sin(v) * v).sum())(x),
        {"x": _w},
        lambda x: np.sin(x) + x * np.cos(x),
        labels={"x": "argument 0"},
    ),
    "autodiff.jvp": Door(
        lambda x, v: ad.jvp(lambda t: ad.exp(t) * 2, x, v)[1],
        {"x": _w, "v": np.array([1.0, -1.0])},
        lambda x, v: 2 * np.exp(x) * v,
        (),
        (),
        ("x", "v"),
    ),
    "autodiff.vjp": Door(
        lambda x, u: ad.vjp(lambda t: ad.tanh(t), x, u)[1],
        {"x": _w, "u": np.array([1.0, 2.0])},
        lambda x, u: u * (1 - np.tanh(x) ** 2),
        (),
        (),
        ("x", "u"),
    ),
    "optim.gradient_descent": Door(
        lambda w0: optim.gradient_descent(lambda v: v - 1, w0, lr=0.5, steps=3).params,
        {"w0": _w},
        lambda w0: 1 + (w0 - 1) * 0.125,
        ("w0",),
        (),
    ),
    "optim.adam": Door(
        lambda w0: optim.adam(lambda v: 2 * v, w0, lr=0.1, steps=1).params,
        {"w0": _w},
        lambda w0: w0 - 0.1 * np.sign(w0) * np.abs(2 * w0) / (np.abs(2 * w0) + 1e-8),
        ("w0",),
        (),
    ),
    "optim.quadratic": Door(
        lambda A: optim.quadratic(A).f(np.array([1.0, 2.0])),
        {"A": np.diag([2.0, 4.0])},
        lambda A: 0.5 * np.array([1.0, 2.0]) @ A @ np.array([1.0, 2.0]),
        ("A",),
        (),
        ("A",),
    ),
    "check_gradient": Door(
        lambda w: check_gradient(_sum_sin, lambda v: np.cos(v) + 2 * v, w).ok,
        {"w": _w},
        lambda w: True,
        ("w",),
        ("w",),
        (),
    ),
    "tree.ravel": Door(lambda t: tree.ravel(t)[0], {"t": _W}, lambda t: t.ravel(), ("t",), (), ()),
}

MUTATIONS = (
    "None",
    "str",
    "object",
    "complex",
    "nan",
    "inf",
    "extra_axis",
    "empty",
    "list",
    "int",
    "float32",
    "ragged",
)


def doors(data: st.DataObject) -> Case:
    """One argument of one public function replaced by a value of another kind, dtype, shape or finiteness."""
    name = data.draw(st.sampled_from(sorted(DOORS)), label="door")
    door = DOORS[name]
    arg = data.draw(st.sampled_from(list(door.args)), label="argument")
    how = data.draw(st.sampled_from(MUTATIONS), label="mutation")
    args = dict(door.args)
    valid = np.asarray(args[arg], dtype=np.float64)
    label = door.labels.get(arg, arg)

    def call(values: dict[str, Any]) -> Callable[[], Any]:
        return lambda: door.call(*values.values())

    def accepted(new: Any, as_float: np.ndarray) -> Case:
        args[arg] = new
        floats = {
            k: (as_float if k == arg else np.asarray(v, dtype=np.float64)) for k, v in door.args.items()
        }
        try:
            with np.errstate(all="ignore"):
                ref = door.ref(*floats.values())
        except (ValueError, IndexError):
            ref = None
        if ref is None:
            return Case(call(args), facts=(label,), refuse=True)
        return Case(call(args), ref=ref, rtol=door.rtol, atol=door.atol)

    if how in ("None", "str", "object", "ragged"):
        args[arg] = {
            "None": None,
            "str": "0.5",
            "object": np.array([object(), object()], dtype=object),
            "ragged": [[1.0, 2.0], [3.0]],
        }[how]
        return Case(call(args), facts=(label,), refuse=True)
    if how == "complex":
        args[arg] = valid + 0.5j
        return Case(call(args), facts=(label, "complex"), refuse=True)
    if how in ("nan", "inf"):
        bad = valid.copy()
        bad.flat[0] = np.nan if how == "nan" else np.inf
        if arg in door.finite and not (how == "inf" and arg in door.inf_ok):
            args[arg] = bad
            return Case(call(args), facts=(label, how), refuse=True)
        return (
            accepted(bad, bad)
            if how == "nan" or arg not in door.whole
            else Case(lambda: None, check=lambda r: True)
        )
    if how == "extra_axis":
        if arg not in door.fixed_shape:
            return accepted(valid[None], valid[None])
        args[arg] = valid[None]
        return Case(call(args), facts=(label, str(valid[None].shape).replace(",)", ",)")), refuse=True)
    if how == "empty":
        if arg not in door.nonempty:
            return Case(lambda: None, check=lambda r: True)
        args[arg] = valid[:0] if valid.ndim else np.zeros(0)
        return Case(call(args), facts=(label, "(0"), refuse=True)
    if how == "list":
        return accepted(valid.tolist(), valid)
    if how == "int":
        ints = np.round(valid * (1 if arg in door.whole else 3)).astype(np.int64)
        return accepted(ints, ints.astype(np.float64))
    f32 = valid.astype(np.float32)
    return accepted(f32, f32.astype(np.float64))


# ---------------------------------------------------------------------------------------------------------
# Every scalar parameter (steps, rates, tolerances, counts, seeds, flags), against its valid range
# ---------------------------------------------------------------------------------------------------------


def _quad_grad(w: np.ndarray) -> np.ndarray:
    return np.array([1.0, 4.0]) * w - 1.0


_W0 = np.array([0.5, 0.5])

# name -> (call with the one parameter, the kind of value it takes, a valid value)
# kinds: "pos" finite > 0; "pos0" finite >= 0; "unit" [0, 1); "open01" (0, 1); "rtol" (0, 1);
# "int1" integer >= 1; "int0" integer >= 0; "flag" True/False; "real" any finite number
SCALARS: dict[str, tuple[Callable[[Any], Any], str]] = {
    "numdiff.derivative h": (lambda v: numdiff.derivative(np.sin, 0.5, h=v), "h"),
    "numdiff.gradient h": (lambda v: numdiff.gradient(_sum_sin, _w, h=v), "h"),
    "numdiff.hessian h": (lambda v: numdiff.hessian(_sum_sin, _w, h=v), "h"),
    "numdiff.derivative x": (lambda v: numdiff.derivative(np.sin, v), "real"),
    "numdiff.default_step x": (lambda v: numdiff.default_step(v), "real"),
    "numdiff.gradient full_output": (lambda v: numdiff.gradient(_sum_sin, _w, full_output=v), "flag"),
    "check_gradient rtol": (
        lambda v: check_gradient(_sum_sin, lambda w: np.cos(w) + 2 * w, _w, rtol=v),
        "rtol",
    ),
    "check_gradient h": (lambda v: check_gradient(_sum_sin, lambda w: np.cos(w) + 2 * w, _w, h=v), "h"),
    "check_gradient seed": (
        lambda v: check_gradient(_sum_sin, lambda w: np.cos(w) + 2 * w, _w, seed=v),
        "int0",
    ),
    "check_gradient max_coordinates": (
        lambda v: check_gradient(_sum_sin, lambda w: np.cos(w) + 2 * w, _w, max_coordinates=v),
        "int1",
    ),
    "check_gradient n_directions": (
        lambda v: check_gradient(_sum_sin, lambda w: np.cos(w) + 2 * w, _w, n_directions=v),
        "int1",
    ),
    "gradient_descent lr": (lambda v: optim.gradient_descent(_quad_grad, _W0, lr=v, steps=2), "pos"),
    "gradient_descent steps": (lambda v: optim.gradient_descent(_quad_grad, _W0, lr=0.1, steps=v), "int0"),
    "gradient_descent tol": (
        lambda v: optim.gradient_descent(_quad_grad, _W0, lr=0.1, steps=2, tol=v),
        "tol",
    ),
    "momentum beta": (lambda v: optim.momentum(_quad_grad, _W0, lr=0.1, beta=v, steps=2), "unit"),
    "momentum nesterov": (lambda v: optim.momentum(_quad_grad, _W0, lr=0.1, steps=2, nesterov=v), "flag"),
    "newton damping": (
        lambda v: optim.newton(_quad_grad, lambda w: np.diag([1.0, 4.0]), _W0, damping=v),
        "pos0",
    ),
    "sgd momentum": (lambda v: optim.sgd(_quad_grad, _W0, lr=0.1, steps=2, momentum=v), "unit"),
    "rmsprop alpha": (lambda v: optim.rmsprop(_quad_grad, _W0, lr=0.1, steps=2, alpha=v), "unit"),
    "rmsprop eps": (lambda v: optim.rmsprop(_quad_grad, _W0, lr=0.1, steps=2, eps=v), "pos"),
    "adam eps": (lambda v: optim.adam(_quad_grad, _W0, lr=0.1, steps=2, eps=v), "pos"),
    "adam bias_correction": (
        lambda v: optim.adam(_quad_grad, _W0, lr=0.1, steps=2, bias_correction=v),
        "flag",
    ),
    "step_decay lr": (lambda v: optim.step_decay(v, every=2), "pos"),
    "step_decay every": (lambda v: optim.step_decay(0.1, every=v), "int1"),
    "step_decay factor": (lambda v: optim.step_decay(0.1, every=2, factor=v), "open01"),
    "inverse_time decay": (lambda v: optim.inverse_time(0.1, decay=v), "pos"),
    "cosine steps": (lambda v: optim.cosine(0.1, steps=v), "int1"),
    "warmup steps": (lambda v: optim.warmup(0.1, steps=v), "int1"),
    "Minibatches batch_size": (lambda v: optim.Minibatches(8, v), "int1"),
    "Minibatches seed": (lambda v: optim.Minibatches(8, 2, seed=v), "int0"),
    "Minibatches replace": (lambda v: optim.Minibatches(8, 2, replace=v), "flag"),
    "Minibatches.take count": (lambda v: optim.Minibatches(8, 2).take(v), "int0"),
    "init_mlp d_hidden": (lambda v: models.init_mlp(2, v, 1), "int1"),
    "init_mlp seed": (lambda v: models.init_mlp(2, 3, 1, seed=v), "int0"),
    "init_softmax k": (lambda v: models.init_softmax(2, v), "int1"),
    "one_hot k": (lambda v: losses.one_hot([0, 1], v), "int1"),
    "rosenbrock b": (lambda v: optim.rosenbrock(b=v), "pos"),
}

_GOOD = {
    "pos": [0.1, 3, np.float32(0.5)],
    "h": [1e-4, None],
    "tol": [1e-6, 0.0, None],
    "pos0": [0.0, 0.1, 2],
    "unit": [0.0, 0.5, 0.99],
    "open01": [0.5],
    "rtol": [1e-6, 0.5, None],
    "int1": [2, np.int64(3)],
    "int0": [0, 5],
    "flag": [True, False, np.True_],
    "real": [0.5, -3, np.float32(2.0), 1e-320],
}
_BAD = {
    "pos": [0, -1.0, math.nan, math.inf, "0.1", None, True, [0.1], 1 + 1j],
    "pos0": [-1e-3, math.nan, math.inf, "0", None, False],
    "h": [0, -1e-3, math.nan, math.inf, "1e-4", True, [1e-4]],
    "tol": [-1e-3, math.nan, math.inf, "0", False],
    "unit": [1.0, -0.1, 1.5, math.nan, "0.9", None, True],
    "open01": [0.0, 1.0, 2.0, math.nan, "0.5", None],
    "rtol": [0.0, 1.0, 2.0, -1e-6, math.nan, "1e-6", True],
    "int1": [0, -1, 2.0, 2.5, "2", None, True, math.nan],
    "int0": [-1, 1.5, "0", None, False, math.inf],
    "flag": ["False", "True", 0, 1, None, 1.0],
    "real": [math.nan, math.inf, "1.0", None, [1.0, 2.0], 1 + 2j],
}


def scalars(data: st.DataObject) -> Case:
    """One scalar parameter given a valid value (accepted, a check on the result) or an invalid one."""
    name = data.draw(st.sampled_from(sorted(SCALARS)), label="parameter")
    call, kind = SCALARS[name]
    param = name.split()[-1]
    if data.draw(st.booleans(), label="valid"):
        value = data.draw(st.sampled_from(_GOOD[kind]), label="value")
        # accepted: it runs and returns something (the other families check the numbers)
        return Case(
            lambda: call(value), check=lambda result: result is not None or name.endswith("x"), may_warn=True
        )
    value = data.draw(st.sampled_from(_BAD[kind]), label="value")
    return Case(lambda: call(value), facts=(param,), refuse=True)


# ---------------------------------------------------------------------------------------------------------
# Callables that raise or return the wrong thing, and dicts with missing or extra keys
# ---------------------------------------------------------------------------------------------------------


class _Boom(Exception):
    """What a broken f raises: labcode must let it through (or report it), never hide it."""


def _returning(kind: str, shape: tuple[int, ...] = ()) -> Callable[[Any], Any]:
    def f(w: Any) -> Any:
        return {
            "None": None,
            "str": "1.0",
            "list": [1.0, 2.0],
            "vector": np.ones(shape + (2,)),
            "complex": 1.0 + 2j,
            "nan": math.nan,
            "object": np.array([object()]),
        }[kind]

    return f


def _raising(w: Any) -> Any:
    raise _Boom("f broke")


BAD_RETURNS = ("None", "str", "list", "vector", "complex", "nan", "object")


def callables(data: st.DataObject) -> Case:
    """f and grad that raise or return what their door cannot use."""
    door = data.draw(
        st.sampled_from(
            [
                "derivative",
                "gradient",
                "hessian",
                "jacobian",
                "check_gradient f",
                "check_gradient grad",
                "gradient_descent grad",
                "gradient_descent f",
                "autodiff.grad",
                "Schedule rate",
            ]
        ),
        label="door",
    )
    kind = data.draw(st.sampled_from(["raises", *BAD_RETURNS, "not callable"]), label="kind")
    w = np.array([0.3, -0.4])
    fn = _raising if kind == "raises" else (3.5 if kind == "not callable" else _returning(kind))
    name = "grad" if door.endswith("grad") and door != "autodiff.grad" else "f"
    facts = (name,) if kind != "raises" else ()
    if door == "Schedule rate" and kind != "raises":
        fn = fn if kind == "not callable" else _returning(kind)  # a function of t, returning the wrong thing
        return Case(
            lambda: optim.sgd(_quad_grad, _W0, lr=optim.Schedule("s", fn), steps=2),
            facts=("rate",) if kind == "not callable" else ("lr(0)",),
            refuse=True,
        )
    if kind == "raises":
        if door.startswith("check_gradient"):  # the grader's contract: a result with a diagnosis
            return Case(
                lambda: check_gradient(
                    fn if name == "f" else _sum_sin,
                    fn if name == "grad" else (lambda v: np.cos(v) + 2 * v),
                    w,
                ),
                check=lambda r: not r.ok and r.kind == "error" and "f broke" in r.diagnosis,
            )
        calls = {
            "derivative": lambda: numdiff.derivative(fn, 0.3),
            "gradient": lambda: numdiff.gradient(fn, w),
            "hessian": lambda: numdiff.hessian(fn, w),
            "jacobian": lambda: numdiff.jacobian(fn, w),
            "gradient_descent grad": lambda: optim.gradient_descent(fn, w, lr=0.1, steps=2),
            "gradient_descent f": lambda: optim.gradient_descent(_quad_grad, _W0, lr=0.1, steps=2, f=fn),
            "autodiff.grad": lambda: ad.grad(fn)(w),
            "Schedule rate": lambda: optim.sgd(_quad_grad, _W0, lr=optim.Schedule("s", fn), steps=2),
        }

        def passes_through() -> str:
            try:
                calls[door]()
            except _Boom:
                return "through"
            return "swallowed"

        return Case(passes_through, ref="through")
    if door.startswith("check_gradient"):
        if kind == "not callable":
            return Case(
                lambda: check_gradient(fn if name == "f" else _sum_sin, fn if name == "grad" else np.cos, w),
                facts=(name,),
                refuse=True,
            )
        f_ = fn if name == "f" else _sum_sin
        g_ = fn if name == "grad" else (lambda v: np.cos(v) + 2 * v)
        # a list or an array of w's shape is a gradient (a wrong one): any failing verdict will do
        return Case(lambda: check_gradient(f_, g_, w), check=lambda r: not r.ok and r.kind != "ok")
    if door == "jacobian" and kind in ("list", "vector", "nan"):
        if kind == "nan":
            return Case(lambda: numdiff.jacobian(fn, w), facts=("nan",), refuse=True)
        return Case(lambda: numdiff.jacobian(fn, w), ref=np.zeros((2, 2)))  # f is constant: J = 0
    if door == "gradient_descent grad" and kind in ("list", "vector"):  # array-likes of w's shape: gradients
        return Case(
            lambda: optim.gradient_descent(fn, w, lr=0.1, steps=2).params, ref=w - 0.2 * np.asarray(fn(w))
        )
    if door == "autodiff.grad" and kind == "nan":
        return Case(lambda: ad.grad(fn)(w), ref=np.zeros(2))  # a constant f: its gradient is 0
    calls = {
        "derivative": lambda: numdiff.derivative(fn, 0.3),
        "gradient": lambda: numdiff.gradient(fn, w),
        "hessian": lambda: numdiff.hessian(fn, w),
        "jacobian": lambda: numdiff.jacobian(fn, w),
        "gradient_descent grad": lambda: optim.gradient_descent(fn, w, lr=0.1, steps=2),
        "gradient_descent f": lambda: optim.gradient_descent(_quad_grad, _W0, lr=0.1, steps=2, f=fn),
        "autodiff.grad": lambda: ad.grad(fn)(w),
    }
    return Case(calls[door], facts=facts, refuse=True)


def dicts(data: st.DataObject) -> Case:
    """Parameter dicts with a key missing, an extra key, a key that is not a string, or empty."""
    how = data.draw(st.sampled_from(["missing", "extra", "int_key", "empty", "ok"]), label="how")
    door = data.draw(
        st.sampled_from(
            [
                "losses.mse",
                "models.linear_loss",
                "check_gradient",
                "gradient_descent",
                "autodiff.grad",
                "tree.ravel",
            ]
        ),
        label="door",
    )
    p = {"w": _w, "b": 0.5}
    if how == "missing":
        p = {"w": _w}
    elif how == "extra":
        p = {"w": _w, "b": 0.5, "c": 1.0}
    elif how == "int_key":
        p = {"w": _w, 1: 0.5}
    elif how == "empty":
        p = {}

    def mse_of(q: dict) -> Any:
        return losses.mse(q, _X, _y01)

    def grad_of(q: dict) -> Any:
        return losses.mse_grad(q, _X, _y01)

    calls = {
        "losses.mse": lambda: losses.mse(p, _X, _y01),
        "models.linear_loss": lambda: models.linear_loss(p, _X, _y01),
        "check_gradient": lambda: check_gradient(mse_of, grad_of, p).ok,
        "gradient_descent": lambda: optim.gradient_descent(grad_of, p, lr=0.1, steps=2).params,
        "autodiff.grad": lambda: ad.grad(lambda q: ((_X @ q["w"] + q["b"] - _y01) ** 2).mean())(p),
        "tree.ravel": lambda: tree.ravel(p)[0],
    }
    if how == "ok":
        r = _X @ _w + 0.5 - _y01
        g = {"w": 2 / 4 * _X.T @ r, "b": 2 * float(np.mean(r))}
        x = {"w": _w.copy(), "b": 0.5}
        for _ in range(2):
            gx = grad_of(x)
            x = {k: x[k] - 0.1 * gx[k] for k in x}
        ref = {
            "losses.mse": float(np.mean(r**2)),
            "models.linear_loss": float(np.mean(r**2)),
            "check_gradient": True,
            "gradient_descent": x,
            "autodiff.grad": g,
            "tree.ravel": np.append(_w, 0.5),
        }[door]
        return Case(calls[door], ref=ref)
    if door == "tree.ravel" and how in ("missing", "extra"):
        return Case(calls[door], ref=np.append(_w, [0.5, 1.0][: len(p) - 1]) if how == "extra" else _w)
    if door == "autodiff.grad" and how == "extra":
        return Case(
            calls[door],
            ref={
                "w": 2 / 4 * _X.T @ (_X @ _w + 0.5 - _y01),
                "b": 2 * float(np.mean(_X @ _w + 0.5 - _y01)),
                "c": 0.0,
            },
        )
    facts = {"missing": ("'b'",), "extra": ("'c'",), "int_key": ("1",), "empty": ("'w'",)}[how]
    if door == "check_gradient" and how in ("missing", "extra"):
        return Case(
            calls[door], ref=False
        )  # f refuses that dict: check_gradient reports it as a failed check
    if door == "autodiff.grad" and how == "missing":  # f itself looks the key up: its KeyError is its own

        def key_error_passes() -> str:
            try:
                calls[door]()
            except KeyError:
                return "through"
            return "swallowed"

        return Case(key_error_passes, ref="through")
    if how == "empty" and door in ("autodiff.grad", "tree.ravel", "check_gradient", "gradient_descent"):
        facts = ("empty",)
    return Case(calls[door], facts=facts, refuse=True)


FAMILIES: dict[str, Callable[[st.DataObject], Case]] = {
    "elementwise": elementwise,
    "softmax_family": softmax_family,
    "losses": losses_family,
    "models": models_family,
    "numdiff": numdiff_family,
    "gradcheck": gradcheck_family,
    "autodiff": autodiff_family,
    "optim": optim_family,
    "tree": tree_family,
    "notebook": notebook_family,
    "doors": doors,
    "scalars": scalars,
    "callables": callables,
    "dicts": dicts,
}

EXAMPLES = {
    "numdiff": 60,
    "gradcheck": 25,
    "doors": 400,
    "scalars": 300,
}  # the slow families; every other one draws DEFAULT_EXAMPLES
DEFAULT_EXAMPLES = 100


def count(examples: int | None = None, show: int = 3) -> dict[str, Counter]:
    """Run every family and count its outcomes (derandomized, so every run draws the same cases)."""
    from hypothesis import HealthCheck, given, settings

    counts: dict[str, Counter] = {}
    shown: dict[str, list[str]] = {}

    def prober(family: Callable, tally: Counter, bad: list[str], n: int) -> Callable[[], None]:
        @settings(
            derandomize=True,
            database=None,
            deadline=None,
            max_examples=n,
            suppress_health_check=list(HealthCheck),
        )
        @given(st.data())
        def probe(data: st.DataObject) -> None:
            what, why = outcome(family(data))
            tally[what] += 1
            if what in ("silent", "cryptic") and len(bad) < show:
                bad.append(f"{what}: {why}")

        return probe

    for name, family in FAMILIES.items():
        tally: Counter = Counter()
        bad: list[str] = []
        prober(family, tally, bad, examples or EXAMPLES.get(name, DEFAULT_EXAMPLES))()
        counts[name], shown[name] = tally, bad
    for name, tally in counts.items():
        print(f"{name:16s} " + "  ".join(f"{k} {tally[k]:4d}" for k in ("clear", "ok", "silent", "cryptic")))
        for line in shown[name]:
            print(f"    {line}")
    total = sum(counts.values(), Counter())
    print(f"{'total':16s} " + "  ".join(f"{k} {total[k]:4d}" for k in ("clear", "ok", "silent", "cryptic")))
    return counts


if __name__ == "__main__":
    import sys

    print(labcode.__file__)
    count(show=int(sys.argv[1]) if len(sys.argv) > 1 else 3)
