"""Issue 23's table, group by group: each input that gave a wrong answer with no word now gives the right
answer, a warning, or an error naming what the caller wrote. (tests/test_fuzz_doors.py draws many more.)"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import scipy.special as sp
from error_facts import raises_naming

from labcode import autodiff as ad
from labcode import losses, models, numdiff
from labcode.autodiff import LostDerivativeWarning
from labcode.gradcheck import check_gradient
from labcode.numdiff import AccuracyWarning

# ---- autodiff's elementwise functions and losses' activations: every real dtype is computed in float64


@pytest.mark.parametrize(
    ("fn", "x", "exact"),
    [
        (ad.sigmoid, np.uint8([200]), sp.expit(200.0)),  # uint8 arithmetic gave 0.0
        (ad.sigmoid, np.int8([-128]), sp.expit(-128.0)),  # gave 1.0
        (losses.softplus, np.uint8([2]), np.logaddexp(0, 2.0)),  # gave inf
        (ad.exp, np.int16([300]), np.exp(300.0)),  # float16: inf
        (ad.tanh, np.float16([0.1]), np.tanh(np.float64(np.float16(0.1)))),
        (ad.sin, np.array([True, False]), np.sin([1.0, 0.0])),
        (losses.sigmoid, np.float32([30.0]), sp.expit(30.0)),
    ],
)
def test_elementwise_functions_compute_every_real_dtype_in_float64(fn, x, exact):
    out = fn(x)
    assert out.dtype == np.float64
    np.testing.assert_allclose(out, exact, rtol=1e-14)


@pytest.mark.parametrize("fn", [ad.exp, ad.sigmoid, ad.softplus, losses.sigmoid, losses.sigmoid_grad])
def test_elementwise_functions_refuse_complex_numbers(fn):
    with raises_naming(TypeError, "complex"):
        fn(np.array([1.0 + 2j]))


@pytest.mark.parametrize("fn", [ad.log, ad.sqrt])
def test_log_and_sqrt_refuse_nan(fn):
    with raises_naming(ValueError, "x[1]", "nan"):
        fn(np.array([1.0, np.nan]))


# ---- numdiff: low-precision f, steps too large, overflow, alike in all four functions


def _sum_sin_in(dtype):
    return lambda w: np.sum(np.sin(np.asarray(w).astype(dtype)))


@pytest.mark.parametrize("dtype", ["float32", "float16"])
@pytest.mark.parametrize("which", ["derivative", "gradient", "jacobian", "hessian"])
def test_a_low_precision_f_is_never_called_accurate(dtype, which):
    w = np.array([0.3, 1.1, -0.7])
    f = _sum_sin_in(dtype)
    call = {
        "derivative": lambda **kw: numdiff.derivative(lambda t: f(np.array([t])), 0.3, **kw),
        "gradient": lambda **kw: numdiff.gradient(f, w, **kw),
        "jacobian": lambda **kw: numdiff.jacobian(lambda v: np.sin(v.astype(dtype)), w, **kw),
        "hessian": lambda **kw: numdiff.hessian(f, w, **kw),
    }[which]
    with pytest.warns(AccuracyWarning, match=dtype):
        call()
    result = call(full_output=True)
    assert not result.success and dtype in result.message and "float64" in result.message


@pytest.mark.parametrize("which", ["gradient", "jacobian", "hessian"])
def test_a_step_too_large_for_f_warns_as_in_derivative(which):
    """sum(sin w) at w = 1e6: the default step 3.03 spans half a period; derivative(sin, 1e6) warns."""
    w = np.array([1e6, 1e6 + 1.0])
    with pytest.warns(AccuracyWarning, match="may be wrong"):
        numdiff.derivative(np.sin, 1e6)
    call = {
        "gradient": lambda: numdiff.gradient(lambda v: float(np.sum(np.sin(v))), w),
        "jacobian": lambda: numdiff.jacobian(np.sin, w),
        "hessian": lambda: numdiff.hessian(lambda v: float(np.sum(np.sin(v))), w),
    }[which]
    with pytest.warns(AccuracyWarning, match="may be wrong"):
        call()


def test_small_coordinates_cost_no_more_evaluations():
    """The check at 2h is for |w_i| > LARGE_COORDINATE only: the chapters' counts stay 2 per coordinate."""
    f = numdiff.count_evaluations(lambda v: float(np.sum(v**3)))
    numdiff.gradient(f, np.array([0.5, -3.0, 99.0]))
    assert f.calls == 6
    g = numdiff.count_evaluations(lambda v: float(np.sum(v**3)))
    numdiff.gradient(g, np.array([0.5, -3.0, 150.0]))
    assert g.calls == 8


def test_adaptive_does_not_overflow_next_to_the_largest_float():
    value = numdiff.derivative(np.exp, 709.0, method="adaptive")
    assert value == pytest.approx(math.exp(709.0), rel=1e-9)


def test_an_overflowed_value_is_never_a_success():
    result = numdiff.derivative(lambda x: 1e308 * x, 1.0, method="richardson", full_output=True)
    assert not math.isfinite(result.value) and not result.success and "overflow" in result.message


@pytest.mark.parametrize("which", ["gradient", "jacobian", "hessian"])
def test_an_empty_w_is_refused_by_name(which):
    with raises_naming(ValueError, "w", "(0,)", "no entries"):
        getattr(numdiff, which)(np.sum, np.zeros(0))


# ---- autodiff.grad through float() or math.*: the derivative is lost, and grad says so


def test_float_of_a_traced_tensor_warns():
    w = np.array([0.3, 0.5, 0.7])
    with pytest.warns(LostDerivativeWarning, match="float\\(\\) of a Tensor"):
        ad.grad(lambda v: math.sin(v[0]) + v[1] * v[2])(w)
    with pytest.warns(LostDerivativeWarning, match="Dual"):
        ad.jvp(lambda v: float(v[0]) * v[1], w, np.ones(3))
    with warnings.catch_warnings():  # .item() takes the number on purpose; after grad, float() is fine
        warnings.simplefilter("error")
        ad.grad(lambda v: v[0].item() * v[1] + v[1])(w)
        t = ad.Tensor(w)
        assert float((t * t).sum()) == pytest.approx(float(w @ w))


def test_a_list_from_f_says_to_stack():
    for mode in ("reverse", "forward"):
        with raises_naming(TypeError, "list", "stack"):
            ad.jacobian(lambda v: [v[0], v[1] * v[2]], mode=mode)(np.ones(3))


# ---- check_gradient at huge |w|: inconclusive, not "wrong"


def test_check_gradient_at_huge_w_is_inconclusive():
    w = np.array([0.3, -1.2, 0.8]) * 1e12
    result = check_gradient(lambda v: float(np.sum(np.sin(v))), np.cos, w)
    assert result.kind == "noisy" and not result.ok and "inconclusive" in result.diagnosis


# ---- losses finite where the true value is finite


def test_bce_and_logistic_loss_with_an_infinite_logit_and_its_label():
    X = np.array([[1e200, 0.0], [0.5, 1.0]])
    w = np.array([1e200, 0.3])  # X[0] @ w overflows to +inf; y[0] = 1, so its term is exactly 0
    y = np.array([1.0, 0.0])
    with np.errstate(over="ignore"):
        exact = float(np.logaddexp(0, X[1] @ w)) / 2
        assert losses.bce(w, X, y) == pytest.approx(exact, rel=1e-14)
        assert models.logistic_loss({"w": w, "b": 0.0}, X, y) == pytest.approx(exact, rel=1e-14)
        assert np.all(np.isfinite(losses.bce_grad(w, X, y)))


def test_mse_with_a_residual_whose_square_overflows():
    X, w = np.eye(2), np.zeros(2)
    y = np.array([1.5e154, 0.0])
    assert losses.mse(w, X, y) == pytest.approx(1.5e154 * (1.5e154 / 2), rel=1e-14)
    assert models.linear_loss({"w": w, "b": 0.0}, X, y) == pytest.approx(1.5e154 * (1.5e154 / 2), rel=1e-14)
    assert losses.mse(w, X, np.array([1e200, 0.0])) == math.inf  # the true value is beyond the floats


# ---- models validate their parameters


@pytest.mark.parametrize(
    ("key", "value", "error", "facts"),
    [
        ("w", np.array([np.nan, 1.0]), ValueError, ("params['w']", "nan")),
        ("b", 0.1 + 2j, TypeError, ("params['b']", "complex")),
        ("b", None, TypeError, ("params['b']", "NoneType")),
        ("b", "0.1", TypeError, ("params['b']", "str")),
        ("w", np.zeros(3), ValueError, ("params['w']", "(3,)", "(2,)")),
    ],
)
@pytest.mark.parametrize("fn", [models.linear_predict, models.linear_grad, models.logistic_grad])
def test_models_name_the_parameter_they_refuse(fn, key, value, error, facts):
    X, y = np.array([[1.0, 0.5], [-0.3, 2.0]]), np.array([1.0, 0.0])
    params = {"w": np.array([0.3, -0.2]), "b": 0.1, key: value}
    with raises_naming(error, *facts):
        fn(params, X, y) if fn is not models.linear_predict else fn(params, X)


def test_models_convert_integer_parameters():
    X = np.array([[1.0, 0.5], [-0.3, 2.0]])
    out = models.linear_predict({"w": np.array([1, -2]), "b": 3}, X)
    np.testing.assert_array_equal(out, X @ np.array([1.0, -2.0]) + 3.0)


def test_bce_from_logits_names_z_when_the_lengths_differ():
    with raises_naming(ValueError, "z", "(5,)", "y", "4"):
        losses.bce_from_logits(np.zeros(5), np.zeros(4))
