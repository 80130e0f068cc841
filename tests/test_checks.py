"""The shared argument checks name the argument and the shapes they saw."""

import numpy as np
import pytest
from error_facts import raises_naming

from labcode import _checks


def test_as_float_array_converts_numbers_and_refuses_the_rest():
    assert _checks.as_float_array([1, 2], "w").dtype == np.float64
    assert _checks.as_float_array(True, "w") == 1.0
    with raises_naming(TypeError, "w", "str"):
        _checks.as_float_array("1.0", "w")
    with raises_naming(TypeError, "w", "numbers"):
        _checks.as_float_array([object()], "w")
    with raises_naming(TypeError, "w", "numbers"):
        _checks.as_float_array([[1, 2], [3]], "w")
    with raises_naming(TypeError, "x", "real"):
        _checks.as_float_array(1j, "x")
    assert _checks.as_float_array(1j, "x", allow_complex=True).dtype == np.complex128


def test_require_finite_says_where():
    with raises_naming(ValueError, "X", "finite", "X[1, 0]", "nan", "1 non-finite of 4"):
        _checks.require_finite(np.array([[1.0, 2.0], [np.nan, 3.0]]), "X")
    with raises_naming(ValueError, "x", "finite", "inf"):
        _checks.require_finite(np.array(np.inf), "x")


def test_require_ndim_names_shapes_and_suggests_ravel():
    with raises_naming(ValueError, "w", "(d,)", "(3, 1)", "w.ravel()"):
        _checks.require_ndim(np.zeros((3, 1)), "w", 1, "(d,)")
    with raises_naming(ValueError, "X", "(n, d)", "(4,)"):
        _checks.require_ndim(np.zeros(4), "X", 2, "(n, d)")


@pytest.mark.parametrize("h", [0, -1e-3, float("nan"), float("inf")])
def test_require_positive_step_refuses_bad_steps(h):
    with raises_naming(ValueError, "h", "> 0"):
        _checks.require_positive_step(h)


def test_require_positive_step_refuses_non_numbers():
    with raises_naming(TypeError, "h", "str"):
        _checks.require_positive_step("1e-5")
    with raises_naming(TypeError, "bool"):
        _checks.require_positive_step(True)


@pytest.mark.parametrize("value", [2.5, 2.0, "3", True, np.bool_(True), None, [3]])
def test_require_int_raises_type_error_for_what_is_not_an_integer(value):
    with raises_naming(TypeError, "steps", "integer"):
        _checks.require_int(value, "steps", minimum=0)


def test_require_int_raises_value_error_below_the_minimum_and_returns_an_int():
    with raises_naming(ValueError, "steps", ">= 0", "-1"):
        _checks.require_int(-1, "steps", minimum=0)
    got = _checks.require_int(np.int64(3), "steps", minimum=0)
    assert got == 3 and type(got) is int
    assert _checks.require_int(-7, "seed") == -7  # no minimum: any integer


@pytest.mark.parametrize(
    ("value", "or_zero", "error"),
    [
        ("0.1", False, TypeError),
        (True, False, TypeError),
        (None, True, TypeError),
        (0.0, False, ValueError),
        (-1e-9, True, ValueError),
        (np.inf, False, ValueError),
        (np.nan, True, ValueError),
    ],
)
def test_require_positive_separates_wrong_types_from_wrong_values(value, or_zero, error):
    with raises_naming(error, "lr"):
        _checks.require_positive(value, "lr", or_zero=or_zero)


def test_require_positive_returns_a_float_and_takes_zero_when_asked():
    got = _checks.require_positive(np.float32(0.5), "lr")
    assert got == 0.5 and type(got) is float
    assert _checks.require_positive(0, "tol", or_zero=True) == 0.0
    assert _checks.require_positive_step(1e-5, "h") == _checks.require_positive(1e-5, "h")


def test_choice_callable_and_scalar_output():
    with raises_naming(ValueError, "method", "'centre'", "'forward'", "'central'"):
        _checks.require_choice("centre", "method", ("forward", "central"))
    with raises_naming(TypeError, "f", "function", "int"):
        _checks.require_callable(3)
    assert _checks.scalar_output(np.float32(2.5)) == 2.5
    assert _checks.scalar_output(np.array(3.0)) == 3.0
    with raises_naming(ValueError, "f", "scalar", "(3,)"):
        _checks.scalar_output(np.ones(3))
    with raises_naming(ValueError, "(1,)"):
        _checks.scalar_output(np.ones(1))
    with raises_naming(TypeError, "f", "number", "str"):
        _checks.scalar_output("x")
