"""The case tables shared by the autodiff tests: every primitive, on every shape, with autograd's answer.

test_autodiff_reverse.py and test_autodiff_forward.py sweep the same tables, so forward and reverse mode are
checked on exactly the same primitives; test_autodiff_primitives.py checks that every public function of
labcode.autodiff appears in them (:func:`covered_functions`).
"""

from __future__ import annotations

import itertools
import operator

import autograd.numpy as anp
import numpy as np

import labcode.autodiff as ad

RTOL = 1e-12  # two exact derivatives of the same float64 computation agree to rounding

# Shapes swept against each other (broadcasting included) and against axis / keepdims, as HIPS does.
SHAPES = [(), (2,), (3, 2), (1, 2), (3, 1)]


def _broadcastable(a: tuple[int, ...], b: tuple[int, ...]) -> bool:
    try:
        np.broadcast_shapes(a, b)
    except ValueError:
        return False
    return True


PAIRS = [(a, b) for a, b in itertools.product(SHAPES, SHAPES) if _broadcastable(a, b)]

# name: (ours, autograd's, domain of the inputs)
UNARY = {
    "neg": (lambda x: -x, lambda x: -x, "real"),
    "abs": (abs, anp.abs, "nonzero"),
    "exp": (ad.exp, anp.exp, "real"),
    "log": (ad.log, anp.log, "positive"),
    "sin": (ad.sin, anp.sin, "real"),
    "cos": (ad.cos, anp.cos, "real"),
    "tanh": (ad.tanh, anp.tanh, "real"),
    "sqrt": (ad.sqrt, anp.sqrt, "positive"),
    "sigmoid": (ad.sigmoid, lambda x: 1.0 / (1.0 + anp.exp(-x)), "real"),
    "relu": (ad.relu, lambda x: anp.maximum(x, 0.0), "nonzero"),
    "softplus": (ad.softplus, lambda x: anp.logaddexp(0.0, x), "real"),
    "log_sigmoid": (ad.log_sigmoid, lambda x: -anp.logaddexp(0.0, -x), "real"),
    "square": (lambda x: x**2, lambda x: x**2, "real"),
    "cube": (lambda x: x**3.0, lambda x: x**3.0, "real"),
    "2 ** x": (lambda x: 2.0**x, lambda x: 2.0**x, "real"),
    "1 / x": (lambda x: 1.0 / x, lambda x: 1.0 / x, "nonzero"),
    "3 - x": (lambda x: 3.0 - x, lambda x: 3.0 - x, "real"),
    "x / 4": (lambda x: x / 4.0, lambda x: x / 4.0, "real"),
}

# name: (operator, domain of x, domain of y)
BINARY = {
    "add": (operator.add, "real", "real"),
    "sub": (operator.sub, "real", "real"),
    "mul": (operator.mul, "real", "real"),
    "div": (operator.truediv, "real", "nonzero"),
    "pow": (operator.pow, "positive", "real"),
}

MATMUL_SHAPES = [
    ((3,), (3,)),
    ((2, 3), (3,)),
    ((3,), (3, 4)),
    ((2, 3), (3, 4)),
    ((2, 2, 3), (3, 4)),
    ((2, 3), (2, 3, 4)),
    ((2, 2, 3), (3,)),
    ((3,), (2, 3, 4)),
]


def reductions() -> list[tuple[str, object, object, tuple[int, ...]]]:
    """(name, ours, autograd's, shape) for sum, mean and logsumexp over every axis of every shape."""
    cases = []
    for shape in SHAPES:
        axes = [None] + list(range(-len(shape), len(shape))) + ([(0, 1)] if len(shape) == 2 else [])
        for axis, keepdims in itertools.product(axes, (False, True)):
            tag = f"{shape}, axis={axis}, keepdims={keepdims}"
            kw = {"axis": axis, "keepdims": keepdims}
            cases += [
                (f"sum {tag}", lambda x, kw=kw: x.sum(**kw), lambda x, kw=kw: anp.sum(x, **kw), shape),
                (f"mean {tag}", lambda x, kw=kw: x.mean(**kw), lambda x, kw=kw: anp.mean(x, **kw), shape),
            ]
            if shape:
                cases.append(
                    (
                        f"logsumexp {tag}",
                        lambda x, kw=kw: ad.logsumexp(x, **kw),
                        lambda x, kw=kw: autograd_logsumexp(x, **kw),
                        shape,
                    )
                )
    return cases


def autograd_logsumexp(x, axis=None, keepdims=False):
    m = anp.max(x)
    return anp.log(anp.sum(anp.exp(x - m), axis=axis, keepdims=keepdims)) + m


# name: (ours, autograd's, shape)
STRUCTURE = [
    ("reshape", lambda x: x.reshape(2, 3), lambda x: anp.reshape(x, (2, 3)), (3, 2)),
    ("reshape -1", lambda x: x.reshape(-1), lambda x: anp.reshape(x, (-1,)), (3, 2)),
    ("reshape ()", lambda x: x.reshape(()), lambda x: anp.reshape(x, ()), (1, 1)),
    (".T", lambda x: x.T, lambda x: x.T, (3, 2)),
    (".T 1-D", lambda x: x.T, lambda x: x.T, (2,)),
    ("transpose axes", lambda x: x.transpose(2, 0, 1), lambda x: anp.transpose(x, (2, 0, 1)), (2, 3, 4)),
    ("index int", lambda x: x[1], lambda x: x[1], (3, 2)),
    ("index -1", lambda x: x[-1, 0], lambda x: x[-1, 0], (3, 2)),
    ("slice", lambda x: x[1:, ::-1], lambda x: x[1:, ::-1], (3, 2)),
    ("newaxis and ...", lambda x: x[None, ..., 0], lambda x: x[None, ..., 0], (3, 2)),
    ("fancy, repeated", lambda x: x[[0, 2, 0, 0]], lambda x: x[np.array([0, 2, 0, 0])], (3, 2)),
    (
        "fancy pairs",
        lambda x: x[[0, 1, 1], [1, 0, 1]],
        lambda x: x[np.array([0, 1, 1]), np.array([1, 0, 1])],
        (3, 2),
    ),
    (
        "boolean mask",
        lambda x: x[np.array([True, False, True])],
        lambda x: x[np.array([True, False, True])],
        (3,),
    ),
    ("stack", lambda x: ad.stack([x, 2 * x, x * x]), lambda x: anp.stack([x, 2 * x, x * x]), (2,)),
    (
        "stack axis=-1",
        lambda x: ad.stack([x[0], x[1] ** 2], axis=-1),
        lambda x: anp.stack([x[0], x[1] ** 2], axis=-1),
        (2, 3),
    ),
    (
        "log_softmax",
        lambda x: ad.log_softmax(x),
        lambda x: x - autograd_logsumexp(x, axis=-1, keepdims=True),
        (3, 4),
    ),
    ("softmax axis 0", lambda x: ad.softmax(x, axis=0), lambda x: autograd_softmax(x, 0), (3, 4)),
]


def autograd_softmax(x, axis):
    e = anp.exp(x - anp.max(x))
    return e / anp.sum(e, axis=axis, keepdims=True)


def sample(shape: tuple[int, ...], domain: str, rng: np.random.Generator) -> np.ndarray:
    """Random inputs away from the points where a primitive has no derivative (or no value)."""
    if domain == "positive":
        return rng.uniform(0.5, 2.0, size=shape)
    if domain == "nonzero":
        return rng.choice([-1.0, 1.0], size=shape) * rng.uniform(0.3, 2.0, size=shape)
    return rng.normal(size=shape)


def weighted(f, W):
    """x... -> sum(W * f(x...)): a scalar in which every entry of f's output counts."""
    return lambda *xs: (f(*xs) * W).sum()


def assert_close(got, expected, rtol=RTOL):
    got, expected = np.asarray(got, dtype=float), np.asarray(expected, dtype=float)
    assert got.shape == expected.shape, f"shape {got.shape}, expected {expected.shape}"
    scale = max(1.0, float(np.max(np.abs(expected), initial=0.0)))
    assert np.max(np.abs(got - expected), initial=0.0) <= rtol * scale, f"{got} != {expected}"


def along_axis_cases() -> list[tuple[str, object, object, tuple[int, ...]]]:
    """(name, ours, autograd's, shape) for softmax and log_softmax along every axis of every shape (with
    their default, axis=-1); logsumexp's are in :func:`reductions`."""
    cases = []
    for shape in SHAPES:
        if not shape:
            continue
        for axis in [None, *range(-len(shape), len(shape))]:
            kw = {} if axis is None else {"axis": axis}
            ax = -1 if axis is None else axis
            tag = f"{shape}, axis={'default' if axis is None else axis}"
            cases += [
                (
                    f"softmax {tag}",
                    lambda x, kw=kw: ad.softmax(x, **kw),
                    lambda x, ax=ax: autograd_softmax(x, ax),
                    shape,
                ),
                (
                    f"log_softmax {tag}",
                    lambda x, kw=kw: ad.log_softmax(x, **kw),
                    lambda x, ax=ax: x - autograd_logsumexp(x, axis=ax, keepdims=True),
                    shape,
                ),
            ]
    return cases


def covered_functions() -> set[str]:
    """The public functions of labcode.autodiff that these tables check against autograd."""
    named = [name for name, *_ in reductions() + STRUCTURE + along_axis_cases()]
    return set(UNARY) | {name.split()[0] for name in named}
