"""Forward mode: Dual arithmetic, every primitive's JVP against autograd's Jacobian, and jvp.

The primitives and shapes are the tables of test_autodiff_reverse.py, so both modes are checked on the
same cases: here the tangent of f(Dual(x, v)) must equal J v, with J from autograd.jacobian.
"""

from __future__ import annotations

import operator

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
    assert_close,
    reductions,
    sample,
)
from error_facts import raises_naming
from hypothesis import given, settings
from hypothesis import strategies as st

import labcode.autodiff as ad
from labcode.autodiff import Dual, Tensor, jvp
from labcode.numdiff import jacobian


def jacobian_times(theirs, inputs, vs, i):
    """J_i v_i: autograd's Jacobian of f in its input i, applied to v_i."""
    J = autograd.jacobian(theirs, i)(*inputs)
    return np.tensordot(J, vs[i], axes=np.ndim(inputs[i]))


def check_forward(ours, theirs, inputs, seed=0):
    """f(Dual(x, v), ...) has value f(x, ...) and tangent sum_i J_i v_i; jvp in one input gives J_i v_i."""
    rng = np.random.default_rng(seed + 10)
    vs = [rng.normal(size=np.shape(x)) for x in inputs]
    parts = [jacobian_times(theirs, inputs, vs, i) for i in range(len(inputs))]
    y = ours(*[Dual(x, v) for x, v in zip(inputs, vs, strict=True)])  # made by hand: all carry tangents
    assert isinstance(y, Dual)
    assert_close(y.value, theirs(*inputs))
    assert_close(y.tangent, sum(parts))
    for i, x in enumerate(inputs):

        def f_i(xi, i=i):
            return ours(*[xi if j == i else inputs[j] for j in range(len(inputs))])

        value, tangent = jvp(f_i, x, vs[i])
        assert_close(value, theirs(*inputs))
        assert_close(tangent, parts[i])


@pytest.mark.parametrize("name", UNARY)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_unary_jvp_against_autograd(name, shape):
    ours, theirs, domain = UNARY[name]
    check_forward(ours, theirs, [sample(shape, domain, np.random.default_rng(0))])


@pytest.mark.parametrize("name", BINARY)
@pytest.mark.parametrize(("shape_x", "shape_y"), PAIRS, ids=str)
def test_binary_jvp_with_broadcasting_against_autograd(name, shape_x, shape_y):
    op, domain_x, domain_y = BINARY[name]
    rng = np.random.default_rng(1)
    check_forward(op, op, [sample(shape_x, domain_x, rng), sample(shape_y, domain_y, rng)])


@pytest.mark.parametrize(("shape_x", "shape_y"), MATMUL_SHAPES, ids=str)
def test_matmul_jvp_against_autograd(shape_x, shape_y):
    rng = np.random.default_rng(2)
    check_forward(operator.matmul, anp.matmul, [rng.normal(size=shape_x), rng.normal(size=shape_y)])


@pytest.mark.parametrize(
    ("name", "ours", "theirs", "shape"), reductions(), ids=lambda v: v if isinstance(v, str) else ""
)
def test_reduction_jvp_against_autograd(name, ours, theirs, shape):
    check_forward(ours, theirs, [np.random.default_rng(3).normal(size=shape)])


@pytest.mark.parametrize(
    ("name", "ours", "theirs", "shape"), STRUCTURE, ids=lambda v: v if isinstance(v, str) else ""
)
def test_structure_jvp_against_autograd(name, ours, theirs, shape):
    check_forward(ours, theirs, [np.random.default_rng(4).normal(size=shape)])


# ---------------------------------------------------------------------------------------------------------
# Dual arithmetic
# ---------------------------------------------------------------------------------------------------------


def test_the_first_example():
    x = Dual(3.0, 1.0)
    y = x * x + 2 * x
    assert (y.value, y.tangent) == (15.0, 8.0)
    assert repr(y) == "Dual(value=15.0, tangent=8.0)"


OPERATORS = [operator.add, operator.sub, operator.mul, operator.truediv, operator.pow]


@pytest.mark.parametrize("op", OPERATORS, ids=lambda op: op.__name__)
@pytest.mark.parametrize("constant", [2.0, 2, np.float64(2.0), np.array(2.0), np.array([2.0, 0.5])], ids=repr)
def test_numbers_and_arrays_on_either_side(op, constant):
    x0 = 1.5
    left = op(Dual(x0, 1.0), constant)  # d/dx op(x, c)
    right = op(constant, Dual(x0, 1.0))  # d/dx op(c, x)
    for d, f in ((left, lambda x: op(x, constant)), (right, lambda x: op(constant, x))):
        assert isinstance(d, Dual)
        assert_close(d.value, f(x0))
        assert_close(d.tangent, autograd.jacobian(f)(x0))


def test_matrix_times_a_dual_vector():
    rng = np.random.default_rng(5)
    A, B = rng.normal(size=(2, 3)), rng.normal(size=(3, 4))
    x, v = rng.normal(size=3), rng.normal(size=3)
    y = A @ Dual(x, v)
    assert_close(y.value, A @ x)
    assert_close(y.tangent, A @ v)
    z = Dual(x, v) @ B
    assert_close(z.tangent, v @ B)
    w = Dual(x, v) @ Dual(x, v)  # |x|^2: tangent 2 x.v
    assert_close(w.tangent, 2 * x @ v)


def test_tangent_defaults_to_zero_and_broadcasts_to_the_value():
    d = Dual(np.array([1.0, 2.0]))
    assert_close(d.tangent, [0.0, 0.0])
    e = Dual([1.0, 2.0], 1.0)  # the direction (1, 1)
    assert_close(e.tangent, [1.0, 1.0])
    e.tangent[0] = 5.0  # an array of its own
    assert_close((e * 2).tangent, [10.0, 2.0])


def test_a_constant_operand_grows_the_tangent_to_the_result_shape():
    d = Dual(2.0, 1.0) + np.zeros(3)
    assert d.value.shape == d.tangent.shape == (3,)
    assert_close(d.tangent, np.ones(3))


@settings(max_examples=50, deadline=None)
@given(
    coefficients=st.lists(st.floats(-3, 3), min_size=1, max_size=6),
    x=st.floats(-2, 2),
)
def test_polynomials_have_their_textbook_derivative(coefficients, x):
    def p(t):
        return sum(c * t**k for k, c in enumerate(coefficients))

    d = p(Dual(x, 1.0))
    slope = sum(k * c * x ** (k - 1) for k, c in enumerate(coefficients) if k > 0)
    assert_close(d.value, p(x), rtol=1e-12)
    assert_close(d.tangent, slope, rtol=1e-12)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**16), d=st.integers(1, 4), m=st.integers(1, 4))
def test_jvp_matches_finite_differences(seed, d, m):
    rng = np.random.default_rng(seed)
    A = rng.normal(size=(m, d))
    x, v = rng.normal(size=d), rng.normal(size=d)

    def f(x):
        return ad.tanh(A @ x) * ad.exp(0.1 * x.sum()) + (A @ ad.sin(x)) ** 2

    value, tangent = jvp(f, x, v)
    assert_close(value, f(x))
    assert_close(tangent, jacobian(f, x) @ v, rtol=1e-7)


@pytest.mark.parametrize("exponent", [0, 1, 2, 0.5, -1.0])
def test_powers_at_zero_and_the_zero_power(exponent):
    x0 = 0.0 if exponent in (0, 1, 2) else 2.0
    d = Dual(x0, 1.0) ** exponent
    assert_close(d.tangent, exponent * x0 ** (exponent - 1) if exponent else 0.0)


def test_jvp_of_a_function_that_ignores_x_is_zero():
    value, tangent = jvp(lambda x: np.ones(3), np.zeros(2), np.ones(2))
    assert_close(value, np.ones(3))
    assert_close(tangent, np.zeros(3))


def test_hyper_dual_numbers_give_second_derivatives():
    """Dual(Dual(x, 1), Dual(1, 0)): the tangent of the tangent is f''(x)."""
    x0 = 0.7
    h = Dual(Dual(x0, 1.0), Dual(1.0, 0.0))
    y = ad.sin(h) * h  # (x sin x)'' = 2 cos x - x sin x
    assert_close(y.tangent.tangent, 2 * np.cos(x0) - x0 * np.sin(x0))
    assert_close(y.value.tangent, np.sin(x0) + x0 * np.cos(x0))


def test_nested_jvp_does_not_confuse_perturbations():
    """d/dx [x * d/dy (x + y)] = d/dx [x * 1] = 1; mixing up the two tangents gives 2."""
    value, tangent = jvp(lambda x: x * jvp(lambda y: x + y, 1.0, 1.0)[1], 1.0, 1.0)
    assert (value, tangent) == (1.0, 1.0)


def test_comparisons_and_conversions_look_at_the_value():
    d = Dual(np.array([1.0, 3.0]), np.array([1.0, 0.0]))
    assert np.array_equal(d > 2.0, [False, True])
    assert len(d) == 2 and [float(e) for e in d] == [1.0, 3.0]
    assert d.shape == (2,) and d.ndim == 1 and d.size == 2
    assert float(Dual(2.5, 1.0)) == 2.5
    assert repr(d) == "Dual(value=[1., 3.], tangent=[1., 0.])"


# ---------------------------------------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------------------------------------


def test_numpy_functions_on_a_dual_name_the_replacement():
    with raises_naming(TypeError, "numpy.exp", "Dual", "labcode.autodiff.exp"):
        np.exp(Dual(1.0, 1.0))
    with raises_naming(TypeError, ".value"):
        np.asarray(Dual(1.0, 1.0))


def test_tangent_and_direction_shapes_are_checked():
    with raises_naming(ValueError, "tangent", "(3,)", "(2,)"):
        Dual(np.ones(3), np.ones(2))
    with raises_naming(ValueError, "v", "(3,)", "(2,)"):
        jvp(ad.sin, np.ones(3), np.ones(2))
    with raises_naming(TypeError, "f", "function"):
        jvp(3.0, 1.0, 1.0)


def test_a_hand_made_dual_and_tensor_do_not_mix():
    with raises_naming(TypeError, "Dual", "Tensor", "jvp(grad(f), x, v)"):
        Dual(2.0, 1.0) * Tensor(3.0)


def test_matmul_shapes_are_named():
    with raises_naming(ValueError, "(2, 3)", "(2,)"):
        np.ones((2, 3)) @ Dual(np.ones(2), np.ones(2))
