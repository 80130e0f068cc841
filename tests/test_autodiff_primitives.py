"""Where a primitive lives, one set of defaults for every operand, scoped levels, and the promised edge cases.

A primitive of labcode.autodiff is its decorated function (labcode/autodiff/functions.py, with its numpy
kernel) and its rules (labcode/autodiff/rules.py). These tests fail when one of the two is missing, when a
public function is not exported, documented or checked against autograd, and when the activations of
labcode.losses and labcode.autodiff stop being the same functions with the same defaults.
"""

from __future__ import annotations

import inspect
import re
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from autodiff_cases import covered_functions
from error_facts import raises_naming

import labcode.autodiff as ad
from labcode import losses
from labcode.autodiff import Dual, Tensor, functions, grad, jvp, levels, no_grad, ops, rules

# ---------------------------------------------------------------------------------------------------------
# Every primitive in every place
# ---------------------------------------------------------------------------------------------------------


def defined_in_functions() -> set[str]:
    return {
        name
        for name, obj in vars(functions).items()
        if inspect.isfunction(obj) and obj.__module__ == functions.__name__ and not name.startswith("_")
    }


def test_every_kernel_has_both_rules_and_every_rule_a_kernel():
    assert set(ops.NUMPY) == set(rules.JVPS) == set(rules.VJPS)


def test_every_public_function_is_registered_by_its_decorator():
    # a function written in functions.py without @primitive or @composite is missing from FUNCTIONS
    assert defined_in_functions() == set(ops.FUNCTIONS)
    assert functions.__all__ == list(ops.FUNCTIONS)
    assert len(set(ops.FUNCTIONS)) == len(ops.FUNCTIONS)


@pytest.mark.parametrize("name", ops.FUNCTIONS)
def test_every_public_function_is_exported_documented_and_checked(name):
    assert getattr(ad, name) is getattr(functions, name) and name in ad.__all__
    table = functions.__doc__.split("One set of defaults")[0]
    assert re.search(rf"\b{name}\b", table), f"{name} is missing from the table of functions.py's docstring"
    assert re.search(rf"\b{name}\b", ad.__doc__), f"{name} is missing from labcode.autodiff's module table"
    assert name in covered_functions(), f"{name} has no case in tests/autodiff_cases.py"


@pytest.mark.parametrize("name", ops.FUNCTIONS)
def test_numpy_errors_name_every_function(name):
    message = str(ops.numpy_error("nonexistent", Tensor(1.0)))
    assert name in message
    if hasattr(np, name):
        with raises_naming(TypeError, f"numpy.{name}", f"labcode.autodiff.{name}"):
            getattr(np, name)(Tensor([1.0, 2.0]))


ONE_OPERAND = [name for name in ops.FUNCTIONS if name != "stack"]


@pytest.mark.parametrize("name", ONE_OPERAND)
def test_every_function_runs_on_numbers_arrays_duals_and_tensors_alike(name):
    f = getattr(ad, name)
    x = np.array([[0.5, 1.5, 0.25], [1.0, 0.75, 2.0]])  # positive: in every function's domain
    plain = f(x)
    dual = f(Dual(x, np.ones_like(x)))
    tensor = f(Tensor(x))
    assert type(dual) is Dual and type(tensor) is Tensor
    np.testing.assert_array_equal(dual.value, plain)
    np.testing.assert_array_equal(tensor.data, plain)


# ---------------------------------------------------------------------------------------------------------
# One set of defaults: losses and autodiff share the functions, and every operand gets the same answer
# ---------------------------------------------------------------------------------------------------------

SIX = ["sigmoid", "log_sigmoid", "softplus", "softmax", "log_softmax", "logsumexp"]
ALONG = ["softmax", "log_softmax", "logsumexp"]
SHAPES_AND_AXES = [
    ((4,), None),
    ((4,), 0),
    ((3, 4), None),
    ((3, 4), 0),
    ((3, 4), 1),
    ((3, 4), -2),
    ((2, 3, 4), None),
    ((2, 3, 4), 1),
    ((2, 3, 4), (0, 2)),
]


@pytest.mark.parametrize("name", SIX)
def test_losses_and_autodiff_hold_the_same_function(name):
    assert getattr(losses, name) is getattr(ad, name)


@pytest.mark.parametrize("name", ALONG)
@pytest.mark.parametrize(("shape", "axis"), SHAPES_AND_AXES, ids=str)
def test_the_softmax_family_agrees_on_arrays_duals_and_tensors(name, shape, axis):
    f = getattr(ad, name)
    kw = {} if axis is None else {"axis": axis}
    x = np.random.default_rng(0).normal(size=shape) * 5
    plain = f(x, **kw)
    np.testing.assert_array_equal(f(Tensor(x), **kw).data, plain)
    np.testing.assert_array_equal(f(Dual(x, np.zeros(shape)), **kw).value, plain)
    np.testing.assert_array_equal(getattr(losses, name)(x, **kw), plain)
    reduced = (-1,) if axis is None else axis if isinstance(axis, tuple) else (axis,)
    if name == "logsumexp":  # the default is the last axis, as for the softmax
        expected_shape = tuple(n for i, n in enumerate(shape) if i not in {a % len(shape) for a in reduced})
        assert np.shape(plain) == expected_shape
        e = np.exp(x - x.max())
        np.testing.assert_allclose(plain, np.log(e.sum(axis=reduced)) + x.max(), rtol=1e-13)
    else:
        assert np.shape(plain) == shape
        p = np.exp(x - x.max(axis=reduced, keepdims=True))
        p = p / p.sum(axis=reduced, keepdims=True)
        np.testing.assert_allclose(np.exp(plain) if name == "log_softmax" else plain, p, rtol=1e-13)


def test_defaults_are_the_last_axis_and_a_float_for_one_number():
    z = np.array([[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_allclose(ad.logsumexp(z), [np.logaddexp(1, 2), np.logaddexp(3, 4)], rtol=1e-15)
    assert ad.logsumexp(z, axis=None) == pytest.approx(np.log(np.exp(z).sum()), rel=1e-15)
    for name in ["sigmoid", "log_sigmoid", "softplus"]:
        assert type(getattr(ad, name)(0.3)) is float, name
    assert type(ad.logsumexp(np.array([0.3, -0.2]))) is float
    assert type(ad.softmax(np.array([0.3, -0.2]))) is np.ndarray
    assert type(ad.exp(np.float64(0.0))) is float and type(ad.exp(np.zeros(2))) is np.ndarray


@pytest.mark.parametrize("name", SIX)
@pytest.mark.parametrize("kind", ["array", "Dual", "Tensor"])
def test_nan_is_refused_whatever_the_operand(name, kind):
    x = np.array([[0.0, np.nan], [1.0, 2.0]])
    operand = {"array": x, "Dual": Dual(x, np.ones_like(x)), "Tensor": Tensor(x)}[kind]
    with raises_naming(ValueError, "nan", "[0, 1]"):
        getattr(ad, name)(operand)


# ---------------------------------------------------------------------------------------------------------
# Levels are scoped to the calls that run
# ---------------------------------------------------------------------------------------------------------


def test_levels_are_released_when_a_call_returns_or_raises():
    seen = []

    def f(x):
        seen.append(levels.running())
        return (x * grad(lambda y: (x * y).sum())(np.ones(2))).sum()

    before = levels.running()
    grad(f)(np.ones(2))
    assert levels.running() == before
    assert len(seen[0]) == len(before) + 1

    def broken(x):
        raise RuntimeError("inside f")

    with raises_naming(RuntimeError, "inside f"):
        jvp(broken, 1.0, 1.0)
    assert levels.running() == before


NO_GRAD_ALONE = textwrap.dedent(
    """
    import numpy as np
    from labcode.autodiff import Tensor, grad, no_grad
    from labcode.autodiff import levels

    assert levels.running() == () and levels.top() == 0
    w = Tensor([1.0, 2.0])
    with no_grad():
        v = w * 3.0
        inner = grad(lambda x: (x * x).sum())(np.array([1.0, 2.0]))
    assert v.op is None and v.parents == (), "no_grad recorded"
    assert np.allclose(inner, [2.0, 4.0]), "grad inside no_grad"
    u = w * 3.0
    assert u.op == "mul", "recording did not come back after no_grad"
    u.sum().backward()
    assert np.allclose(w.grad, [3.0, 3.0])
    print("ok")
    """
)


def test_no_grad_in_a_fresh_process():
    """Run alone, with no level handed out before: a no_grad that depends on earlier calls fails here."""
    done = subprocess.run([sys.executable, "-c", NO_GRAD_ALONE], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr


# ---------------------------------------------------------------------------------------------------------
# Promises the docstrings make
# ---------------------------------------------------------------------------------------------------------

KINKS = {"relu": ad.relu, "abs": abs}


@pytest.mark.parametrize("name", KINKS)
def test_the_slope_at_the_kink_is_zero_in_both_modes(name):
    """relu'(0) = abs'(0) = 0, as in PyTorch and JAX (rules.py)."""
    f = KINKS[name]
    x = np.array([-1.0, 0.0, 2.0])
    slope = {"relu": [0.0, 0.0, 1.0], "abs": [-1.0, 0.0, 1.0]}[name]
    np.testing.assert_array_equal(grad(lambda v: f(v).sum())(x), slope)  # reverse
    np.testing.assert_array_equal(jvp(lambda v: f(v), x, np.ones(3))[1], slope)  # forward
    assert grad(lambda v: f(v))(0.0) == 0.0
    assert jvp(f, 0.0, 1.0)[1] == 0.0


def test_a_dual_keeps_its_own_copy_of_the_callers_arrays():
    value, tangent = np.array([1.0, 2.0]), np.array([0.5, 0.5])
    d = Dual(value, tangent)
    value[0], tangent[0] = 100.0, 100.0
    np.testing.assert_array_equal(d.value, [1.0, 2.0])
    np.testing.assert_array_equal(d.tangent, [0.5, 0.5])
    y = d * 2.0
    np.testing.assert_array_equal(y.value, [2.0, 4.0])


def test_a_tensor_keeps_its_own_copy_of_the_callers_array():
    data = np.array([1.0, 2.0])
    t = Tensor(data)
    data[0] = 100.0
    np.testing.assert_array_equal(t.data, [1.0, 2.0])


def test_no_grad_inside_a_derivative_makes_constants_of_its_tensors():
    def f(x):
        with no_grad():
            c = x * 2.0  # not recorded: a constant to grad, so d/dx (c x) = c
        return (c * x).sum()

    np.testing.assert_array_equal(grad(f)(np.array([1.0, 3.0])), [2.0, 6.0])
