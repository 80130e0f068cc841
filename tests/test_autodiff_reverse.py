"""Reverse mode: every primitive against autograd and finite differences, on every shape, and the tape's rules.

The case tables (``UNARY``, ``BINARY``, ``SHAPES`` ...) live in autodiff_cases.py, shared with
test_autodiff_forward.py, so forward and reverse mode are checked on exactly the same primitives. Each check computes
L = sum(W * f(inputs)) for a random W, so that every entry of f's output carries weight, and compares
L's value and gradient with autograd's (HIPS style); a sample also goes through
labcode.gradcheck.check_gradient, which knows nothing of autodiff.
"""

from __future__ import annotations

import gc
import operator
import time

import autograd
import autograd.numpy as anp
import numpy as np
import pytest
from autodiff_cases import (
    BINARY,
    MATMUL_SHAPES,
    PAIRS,
    SHAPES,
    STRUCTURE,
    UNARY,
    along_axis_cases,
    assert_close,
    autograd_logsumexp,
    reductions,
    sample,
    weighted,
)
from error_facts import raises_naming
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import labcode.autodiff as ad
from labcode.autodiff import Tensor, grad, no_grad, unbroadcast, vjp
from labcode.gradcheck import check_gradient


def check_against_autograd(ours, theirs, inputs, seed=0):
    """Value and gradient of sum(W * f(inputs)), ours (grad and backward()) against autograd's."""
    value = ours(*inputs)
    assert_close(value, theirs(*inputs))
    W = np.random.default_rng(seed + 1).normal(size=np.shape(value))
    argnums = tuple(range(len(inputs)))
    expected = autograd.grad(lambda *xs: anp.sum(theirs(*xs) * W), argnums)(*inputs)
    got = grad(weighted(ours, W), argnums)(*inputs)
    tensors = [Tensor(x) for x in inputs]
    weighted(ours, W)(*tensors).backward()
    for g, t, e in zip(got, tensors, expected, strict=True):
        assert_close(g, e)
        assert_close(t.grad, e)
        assert t.grad.shape == t.shape


# ---------------------------------------------------------------------------------------------------------
# Every primitive, every shape
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", UNARY)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_unary_against_autograd(name, shape):
    ours, theirs, domain = UNARY[name]
    check_against_autograd(ours, theirs, [sample(shape, domain, np.random.default_rng(0))])


@pytest.mark.parametrize("name", BINARY)
@pytest.mark.parametrize(("shape_x", "shape_y"), PAIRS, ids=str)
def test_binary_with_broadcasting_against_autograd(name, shape_x, shape_y):
    op, domain_x, domain_y = BINARY[name]
    rng = np.random.default_rng(1)
    check_against_autograd(op, op, [sample(shape_x, domain_x, rng), sample(shape_y, domain_y, rng)])


@pytest.mark.parametrize(("shape_x", "shape_y"), MATMUL_SHAPES, ids=str)
def test_matmul_against_autograd(shape_x, shape_y):
    rng = np.random.default_rng(2)
    check_against_autograd(operator.matmul, anp.matmul, [rng.normal(size=shape_x), rng.normal(size=shape_y)])


@pytest.mark.parametrize(
    ("name", "ours", "theirs", "shape"), reductions(), ids=lambda v: v if isinstance(v, str) else ""
)
def test_reductions_over_every_axis_against_autograd(name, ours, theirs, shape):
    check_against_autograd(ours, theirs, [np.random.default_rng(3).normal(size=shape)])


@pytest.mark.parametrize(
    ("name", "ours", "theirs", "shape"),
    STRUCTURE + along_axis_cases(),
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_structure_against_autograd(name, ours, theirs, shape):
    check_against_autograd(ours, theirs, [np.random.default_rng(4).normal(size=shape)])


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_passes_check_gradient(name):
    ours, _, domain = UNARY[name]
    x = sample((3, 2), domain, np.random.default_rng(5))
    W = np.random.default_rng(6).normal(size=(3, 2))
    f = weighted(ours, W)
    result = check_gradient(f, grad(f), x)
    assert result.ok and result.kind == "ok", result


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_passes_check_gradient_on_a_dict(name):
    op, domain_x, domain_y = BINARY[name]
    rng = np.random.default_rng(7)
    params = {"x": sample((3, 1), domain_x, rng), "y": sample((2,), domain_y, rng)}
    W = rng.normal(size=(3, 2))

    def f(p):
        return (op(p["x"], p["y"]) * W).sum()

    result = check_gradient(f, grad(f), params)
    assert result.ok and result.kind == "ok", result


def other_primitives() -> list[tuple[str, object, tuple[tuple[int, ...], ...]]]:
    """(name, f, input shapes) for matmul, the reductions (over axis 0 and over all) and the structure cases."""
    cases = [(f"matmul {a} @ {b}", operator.matmul, (a, b)) for a, b in MATMUL_SHAPES]
    for name, ours, _, shape in reductions():
        if shape == (3, 2) and ("axis=None" in name or "axis=0," in name):
            cases.append((name, ours, (shape,)))
    cases += [(name, ours, (shape,)) for name, ours, _, shape in STRUCTURE]
    return cases


@pytest.mark.parametrize(
    ("name", "f", "shapes"), other_primitives(), ids=lambda v: v if isinstance(v, str) else ""
)
def test_every_other_primitive_passes_check_gradient(name, f, shapes):
    rng = np.random.default_rng(9)
    params = {f"x{i}": rng.normal(size=shape) for i, shape in enumerate(shapes)}
    W = rng.normal(size=np.shape(f(*params.values())))

    def loss(p):
        return (f(*p.values()) * W).sum()

    result = check_gradient(loss, grad(loss), params)
    assert result.ok and result.kind == "ok", result


@settings(max_examples=60, deadline=None)
@given(
    shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3),
    name=st.sampled_from(sorted(BINARY)),
    seed=st.integers(0, 2**16),
)
def test_binary_ops_on_random_broadcasting_shapes(shapes, name, seed):
    op, domain_x, domain_y = BINARY[name]
    rng = np.random.default_rng(seed)
    x, y = sample(shapes.input_shapes[0], domain_x, rng), sample(shapes.input_shapes[1], domain_y, rng)
    check_against_autograd(op, op, [x, y], seed)


@settings(max_examples=60, deadline=None)
@given(shape=hnp.array_shapes(min_dims=1, max_dims=3, max_side=3), data=st.data())
def test_reductions_on_random_shapes_and_axes(shape, data):
    axis = data.draw(st.none() | st.integers(-len(shape), len(shape) - 1), label="axis")
    keepdims = data.draw(st.booleans(), label="keepdims")
    kind = data.draw(st.sampled_from(["sum", "mean", "logsumexp"]), label="kind")
    x = np.random.default_rng(len(shape)).normal(size=shape)
    kw = {"axis": axis, "keepdims": keepdims}
    ours = {
        "sum": lambda x: x.sum(**kw),
        "mean": lambda x: x.mean(**kw),
        "logsumexp": lambda x: ad.logsumexp(x, **kw),
    }[kind]
    theirs = {
        "sum": lambda x: anp.sum(x, **kw),
        "mean": lambda x: anp.mean(x, **kw),
        "logsumexp": lambda x: autograd_logsumexp(x, **kw),
    }[kind]
    check_against_autograd(ours, theirs, [x])


@settings(max_examples=40, deadline=None)
@given(
    shapes=st.sampled_from(PAIRS),
    names=st.lists(st.sampled_from(["add", "sub", "mul", "div"]), min_size=1, max_size=4),
    # functions that keep magnitudes moderate, so that four steps of them never overflow
    unary=st.lists(st.sampled_from(["sin", "cos", "tanh", "sigmoid", "softplus"]), min_size=1, max_size=3),
    seed=st.integers(0, 2**16),
)
def test_random_compositions_against_autograd(shapes, names, unary, seed):
    """A random chain of broadcasting binary ops and smooth unary functions (tinygrad's helper, randomised)."""
    rng = np.random.default_rng(seed)
    x, y = rng.normal(size=shapes[0]), rng.uniform(0.5, 1.5, size=shapes[1])
    # z op y at even steps, y op z at odd ones; only y (in [0.5, 1.5]) ever divides
    names = [n if n != "div" or k % 2 == 0 else "mul" for k, n in enumerate(names)]

    def program(fns):
        def f(x, y):
            z = x
            for k, name in enumerate(names):
                z = BINARY[name][0](z, y) if k % 2 == 0 else BINARY[name][0](y, z)
                z = fns[unary[k % len(unary)]](z)
            return z

        return f

    ours = {name: UNARY[name][0] for name in unary}
    theirs = {name: UNARY[name][1] for name in unary}
    check_against_autograd(program(ours), program(theirs), [x, y], seed)


def test_vjp_matches_autograd():
    rng = np.random.default_rng(8)
    A = rng.normal(size=(4, 3))
    x, u = rng.normal(size=3), rng.normal(size=4)
    value, got = vjp(lambda x: ad.tanh(A @ x) * x.sum(), x, u)
    pullback, expected_value = autograd.make_vjp(lambda x: anp.tanh(A @ x) * anp.sum(x))(x)
    assert_close(value, expected_value)
    assert_close(got, pullback(u))


# ---------------------------------------------------------------------------------------------------------
# The tape
# ---------------------------------------------------------------------------------------------------------


def test_a_tensor_used_twice_gets_both_contributions():
    x = Tensor(3.0)
    y = x * x + x  # dy/dx = 2x + 1
    y.backward()
    assert x.grad == 7.0
    w = Tensor([1.0, 2.0])
    (w + w).sum().backward()
    assert_close(w.grad, [2.0, 2.0])


def test_backward_fills_grad_of_every_tensor_on_the_way():
    x = Tensor([1.0, 2.0])
    z = x * 3.0
    loss = (z * z).sum()
    loss.backward()
    assert_close(loss.grad, 1.0)
    assert_close(z.grad, 2 * z.data)  # dL/dz
    assert_close(x.grad, 18 * x.data)
    assert z.op == "mul" and z.parents == (x,) and x.op is None and x.parents == ()


def test_backward_twice_on_one_output_raises_instead_of_doubling():
    x = Tensor([1.0, 2.0])
    loss = (x * x).sum()
    loss.backward()
    first = x.grad.copy()
    with raises_naming(RuntimeError, "backward()", "zero_grad"):
        loss.backward()
    assert_close(x.grad, first)


def test_gradients_of_two_outputs_accumulate_and_zero_grad_clears_them():
    x = Tensor([1.0, 2.0])
    (x * x).sum().backward()  # 2x
    (3.0 * x).sum().backward()  # + 3
    assert_close(x.grad, [5.0, 7.0])
    x.zero_grad()
    assert x.grad is None
    (x * x).sum().backward()
    assert_close(x.grad, [2.0, 4.0])


def test_backward_with_a_gradient_gives_u_transpose_J():
    x = Tensor([0.5, 1.0, 2.0])
    y = ad.sin(x) * 2.0
    u = np.array([1.0, -2.0, 3.0])
    y.backward(u)
    assert_close(x.grad, u * 2.0 * np.cos(x.data))


def test_a_chain_of_100000_operations_needs_no_recursion_and_is_fast():
    """The backward pass is one linear walk: it costs about what recording the chain cost (measured 0.5 to 0.9
    times), whatever else the machine is doing, so the check is a ratio, not seconds, of this thread's CPU time
    (a wait for a core under load is not work); a walk that revisits nodes would be thousands of times slower."""
    x = Tensor(0.5)
    y = x
    start = time.thread_time()
    for i in range(100_000):
        y = y * 0.999999 if i % 2 else y + 1e-6
    forward = time.thread_time() - start
    start = time.thread_time()
    y.backward()
    backward = time.thread_time() - start
    assert np.isclose(x.grad, 0.999999**50_000, rtol=1e-12)
    assert backward < 3 * forward, f"backward {backward:.2f} s against {forward:.2f} s to record the chain"
    del x, y  # freeing a long chain must not recurse either
    gc.collect()


def test_no_grad_records_nothing_but_grad_inside_still_works():
    w = Tensor([1.0, 2.0])
    with no_grad():
        v = w * 3.0
        inner = grad(lambda x: (x * x).sum())(np.array([1.0, 2.0]))
    assert v.op is None and v.parents == ()
    assert_close(inner, [2.0, 4.0])
    assert (w * 3.0).op == "mul"  # recording is back on after the block


def test_detach_makes_a_constant():
    x = Tensor(2.0)
    y = (x * x).detach() * x  # d/dx of (constant 4) * x
    y.backward()
    assert x.grad == 4.0


def test_data_is_read_only_and_writing_into_it_says_what_to_do():
    w = Tensor([1.0, 2.0])
    with raises_naming(ValueError, "read-only", "w.data = w.data - lr * w.grad"):
        w.data[0] = 5.0
    with raises_naming(ValueError, "read-only"):
        w.data -= 1.0
    with raises_naming(ValueError, "read-only"):
        w.data[:1] *= 2.0
    assert_close(w.data, [1.0, 2.0])
    copy = w.data.copy()
    copy[0] = 9.0  # a copy is the reader's own
    assert type(copy) is np.ndarray and type(w.data * 2) is np.ndarray


def test_tensor_copies_its_input():
    a = np.array([1.0, 2.0])
    t = Tensor(a)
    a[0] = 100.0
    assert_close(t.data, [1.0, 2.0])


def test_assigning_new_data_keeps_recorded_gradients_right():
    w = Tensor([1.0, 2.0])
    loss = (w * w).sum()
    w.data = w.data - 0.5  # a gradient step between the forward and the backward pass
    loss.backward()
    assert_close(w.grad, [2.0, 4.0])  # the gradient at the point the loss was computed
    assert_close(w.data, [0.5, 1.5])


def test_data_of_a_computed_tensor_cannot_be_replaced():
    x = Tensor([1.0, 2.0])
    y = ad.exp(x)
    with raises_naming(ValueError, "'exp'"):
        y.data = np.zeros(2)
    with raises_naming(ValueError, "(2,)", "(3,)"):
        x.data = np.zeros(3)


def test_unbroadcast_sums_back_to_the_input_shape():
    g = np.arange(12.0).reshape(3, 4)
    assert_close(unbroadcast(g, np.zeros((3, 1))), g.sum(axis=1, keepdims=True))
    assert_close(unbroadcast(g, np.zeros(4)), g.sum(axis=0))
    assert_close(unbroadcast(g, np.zeros((1, 4))), g.sum(axis=0, keepdims=True))
    assert_close(unbroadcast(g, np.float64(0.0)), g.sum())
    assert unbroadcast(g, np.zeros((3, 4))) is g


def test_repr_and_conversions():
    t = Tensor([1.0, 2.0])
    assert repr(t) == "Tensor([1., 2.])"
    assert repr(t * 2.0) == "Tensor([2., 4.], op='mul')"
    s = (t * t).sum()
    assert float(s) == 5.0 and s.item() == 5.0 and f"{s:.2f}" == "5.00"
    assert [float(v) for v in t] == [1.0, 2.0] and len(t) == 2
    assert np.array_equal(t > 1.5, [False, True]) and np.array_equal(t == 2.0, [False, True])
    assert np.array_equal(np.array([1.0, 0.0]) != t, [False, True])
    assert {t: 1}[t] == 1  # hashed by identity
    assert t.shape == (2,) and t.ndim == 1 and t.size == 2


# ---------------------------------------------------------------------------------------------------------
# Errors that say what to do
# ---------------------------------------------------------------------------------------------------------


def test_backward_of_a_non_scalar_needs_a_gradient():
    y = Tensor([1.0, 2.0, 3.0]) * 2.0
    with raises_naming(ValueError, "(3,)", ".sum()"):
        y.backward()
    with raises_naming(ValueError, "gradient", "(3,)", "(2,)"):
        y.backward(np.ones(2))


@pytest.mark.parametrize(
    ("call", "advice"),
    [
        (np.exp, "labcode.autodiff.exp"),
        (np.log, "labcode.autodiff.log"),
        (np.tanh, "labcode.autodiff.tanh"),
        (lambda t: np.maximum(t, 0.0), "labcode.autodiff.relu"),
        (np.sum, "x.sum(axis=..."),
        (np.mean, "x.mean"),
        (lambda t: np.dot(t, t), "x @ y"),
        (np.cumsum, "no differentiable numpy.cumsum"),
    ],
)
def test_numpy_functions_on_a_tensor_name_the_replacement(call, advice):
    with raises_naming(TypeError, "Tensor", advice):
        call(Tensor([1.0, 2.0]))


def test_arrays_convert_only_on_request():
    with raises_naming(TypeError, ".data"):
        np.asarray(Tensor([1.0, 2.0]))


def test_numpy_arithmetic_with_a_tensor_on_the_right_is_recorded():
    x = Tensor([1.0, 2.0])
    a = np.array([3.0, 4.0])
    for y in (a * x, a + x, a - x, a / x, a**x, np.float64(2.0) * x, a @ x):
        assert isinstance(y, Tensor) and y.op is not None


def test_matmul_shape_errors_name_both_shapes():
    with raises_naming(ValueError, "(2, 3) and (2, 3)", "(3)"):
        Tensor(np.ones((2, 3))) @ Tensor(np.ones((2, 3)))
    with raises_naming(ValueError, "(3,)", "()", "*"):
        Tensor(np.ones(3)) @ 2.0


def test_other_mistakes_are_explained():
    t = Tensor([1.0, 2.0])
    with raises_naming(TypeError, "Tensor", "index"):
        t[Tensor(0.0)]
    with raises_naming(ValueError, "axis 2", "1 axes"):
        t.sum(axis=2)
    with raises_naming(ValueError, "log", "x > 0", "x[1] = 0.0"):
        ad.log(t - np.array([0.5, 2.0]))
    with raises_naming(TypeError, "one entry"):
        float(t)
    with raises_naming(TypeError, "Tensor(data)", "numbers or arrays"):
        Tensor(t)
    with raises_naming(TypeError, "data", "numbers"):
        Tensor(np.array(["a"]))
    with raises_naming(ValueError, "stack", "(2,)", "(3,)"):
        ad.stack([t, Tensor(np.ones(3))])
