"""labcode.numdiff against exact formulas, sympy's symbolic derivatives and autograd."""

from __future__ import annotations

import math

import autograd
import autograd.numpy as anp
import numpy as np
import pytest
import sympy as sp
from error_facts import raises_naming
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from labcode.numdiff import (
    EPS,
    METHODS,
    STEP_FACTORS,
    count_evaluations,
    default_step,
    derivative,
    gradient,
    hessian,
    jacobian,
)

FAST = settings(max_examples=40, deadline=None)

# name: (f, f'), complex-safe, and points where f' is far from 0.
FUNCTIONS = {
    "exp": (np.exp, np.exp),
    "sin": (np.sin, np.cos),
    "log": (np.log, lambda x: 1 / x),
    "cube": (lambda x: x**3, lambda x: 3 * x**2),
}
POINTS = (0.5, 1.0, 2.0, 3.7)


def relative_error(approx, exact) -> float:
    return float(np.linalg.norm(np.ravel(approx - exact)) / np.linalg.norm(np.ravel(exact)))


def scaled_error(approx, exact) -> float:
    """||approx - exact|| / (1 + ||exact||): relative for large values, absolute for small ones.

    Finite-difference errors scale with f and its higher derivatives, not with f', so a tiny
    derivative is only ever known to an absolute accuracy.
    """
    return float(np.linalg.norm(np.ravel(approx - exact)) / (1 + np.linalg.norm(np.ravel(exact))))


# ---------------------------------------------------------------------------------------------
# Exact values: formulas that can be worked out by hand.


def test_differences_of_a_square_are_exact():
    square = lambda x: x**2  # noqa: E731
    assert derivative(square, 1.0, method="forward", h=0.5) == 2.5  # ((1.5)^2 - 1) / 0.5 = 2x + h
    assert derivative(square, 1.0, method="backward", h=0.5) == 1.5  # 2x - h
    assert derivative(square, 1.0, method="central", h=0.5) == 2.0  # central is exact for quadratics


def test_central_difference_of_a_cube_is_off_by_h_squared():
    # ((x + h)^3 - (x - h)^3) / 2h = 3x^2 + h^2: the truncation error h^2 |f'''| / 6 exactly.
    assert derivative(lambda x: x**3, 1.0, method="central", h=0.5) == 3.25
    assert derivative(lambda x: x**3, 2.0, method="central", h=0.25) == 12.0625


def test_complex_step_of_a_square_is_exact_for_any_step():
    # Im (x + ih)^2 / h = 2xh / h.
    for h in (1e-20, 1e-3, 0.5, 4.0):
        assert derivative(lambda x: x**2, 3.0, method="complex", h=h) == 6.0


def test_richardson_is_exact_for_degree_nine_but_not_eleven():
    # Five levels cancel the h^2, h^4, h^6, h^8 terms of the central difference: exact up to
    # rounding for degree <= 9 even with a large step. The h^10 term of x^11 (coefficient 1 at x = 1)
    # remains, times the product of the five squared steps over h^10: 4^0 4^-1 ... 4^-4 = 2^-20.
    assert derivative(lambda x: x**9, 1.0, method="richardson", h=0.5) == pytest.approx(9.0, rel=1e-14)
    remainder = 0.5**10 * 2.0**-20
    assert derivative(lambda x: x**11, 1.0, method="richardson", h=0.5) - 11.0 == pytest.approx(
        remainder, rel=1e-4
    )


@given(
    x=st.floats(1e-3, 1e6),
    relative_step=st.floats(1e-12, 1.0),
    method=st.sampled_from(["forward", "backward", "central"]),
)
@FAST
def test_the_derivative_of_the_identity_is_exactly_one(x, relative_step, method):
    # Dividing by the step the computer really took, (x + h) - x, makes this exact (both x + h and,
    # for 0 < h <= x, x - h are then floats); dividing by the nominal h would be off by ~ eps x/h.
    assert derivative(lambda t: t, x, method=method, h=relative_step * x) == 1.0


def test_a_step_below_the_spacing_of_floats_is_refused():
    # floats near 16384 are 3.6e-12 apart, so 16384 + 1e-12 == 16384
    with pytest.raises(
        ValueError, match=r"h = 1e-12 is too small at 16384\.0: x \+ h rounds back to x, .*3\.64e-12 apart"
    ):
        derivative(np.sin, 16384.0, h=1e-12)
    with pytest.raises(ValueError, match="is too small at 16384.0"):
        gradient(SIN_SUM, [16384.0], h=1e-12)


@given(
    coefficients=st.tuples(*[st.integers(-5, 5)] * 3),
    x=st.floats(-3, 3),
    h=st.floats(1e-3, 1.0),
)
@FAST
def test_forward_difference_of_a_quadratic_is_the_derivative_plus_c_h(coefficients, x, h):
    a, b, c = coefficients
    approx = derivative(lambda t: a + b * t + c * t**2, x, method="forward", h=h)
    step = (x + h) - x
    rounding = 8 * EPS * (abs(a) + abs(b) * (abs(x) + h) + abs(c) * (abs(x) + h) ** 2) / step
    assert abs(approx - (b + 2 * c * x + c * step)) <= rounding


@given(coefficients=st.lists(st.integers(-5, 5), min_size=1, max_size=10), x=st.floats(-2, 2))
@FAST
def test_richardson_and_complex_step_are_exact_on_polynomials_up_to_rounding(coefficients, x):
    p = np.polynomial.Polynomial(coefficients)
    exact = p.deriv()(x)
    size = np.polynomial.Polynomial(np.abs(coefficients))(max(1.0, abs(x)))  # sum |c_k| max(1,|x|)^k
    # richardson: round-off ~ eps * size / (smallest step), smallest step = max(1, |x|)/256
    # (full_output: at a stationary point, where p' = 0, a plain call rightly warns that the
    # estimate has nothing to be relative to)
    assert abs(derivative(p, x, method="richardson", full_output=True).value - exact) <= 1e-12 * size
    # complex step: no subtraction, so only the rounding of each term of p'(x)
    complex_step = derivative(p, x, method="complex", full_output=True).value
    assert abs(complex_step - exact) <= 16 * EPS * len(coefficients) * size


# ---------------------------------------------------------------------------------------------
# Orders of convergence: the error shrinks like h^p, measured as a slope in log-log space.


@pytest.mark.parametrize(
    ("method", "order", "exponents"),
    [
        ("forward", 1, range(4, 14)),
        ("backward", 1, range(4, 14)),
        ("central", 2, range(2, 9)),
        ("complex", 2, range(1, 8)),
    ],
)
def test_error_shrinks_like_h_to_the_order(method, order, exponents):
    steps = 2.0 ** -np.array(exponents)  # large enough that truncation dominates round-off
    errors = [abs(derivative(np.exp, 1.0, method=method, h=h) - math.e) for h in steps]
    slope = np.polyfit(np.log(steps), np.log(errors), 1)[0]
    assert slope == pytest.approx(order, abs=0.05)


# ---------------------------------------------------------------------------------------------
# The default step.


@pytest.mark.parametrize("method", list(STEP_FACTORS))
def test_default_step_is_the_factor_times_max_one_abs_x(method):
    factor = STEP_FACTORS[method]
    assert default_step(0.0, method) == factor
    assert default_step(0.25, method) == factor  # never below the factor near 0
    assert default_step(-250.0, method) == 250 * factor  # a fixed fraction of |x| for large x
    assert default_step(3.0, method) == default_step(-3.0, method)


def test_default_step_factors_follow_the_error_models():
    assert STEP_FACTORS["forward"] == math.sqrt(EPS)
    assert STEP_FACTORS["central"] == pytest.approx(EPS ** (1 / 3) / 2)
    assert STEP_FACTORS["second"] == pytest.approx(EPS**0.25)
    assert STEP_FACTORS["complex"] < 1e-15 < STEP_FACTORS["forward"] < STEP_FACTORS["central"]
    assert STEP_FACTORS["central"] < STEP_FACTORS["second"] < STEP_FACTORS["richardson"]
    assert default_step(1.0) == default_step(1.0, "central")


@pytest.mark.parametrize("method", ["forward", "backward", "central"])
@pytest.mark.parametrize("name", ["exp", "sin", "log"])
def test_default_step_beats_much_larger_and_much_smaller_steps(method, name):
    # Too large a step: truncation error. Too small: round-off. The U-shaped error curve has its
    # bottom near the default; 1000 times off either way is at least 10 times worse (measured:
    # 30 to 1e6 times), summed over the points.
    f, df = FUNCTIONS[name]

    def total_error(scale: float) -> float:
        return sum(
            abs(derivative(f, x, method=method, h=default_step(x, method) * scale) - df(x)) for x in POINTS
        )

    assert 10 * total_error(1.0) < total_error(1000.0)
    assert 10 * total_error(1.0) < total_error(1 / 1000)


# ---------------------------------------------------------------------------------------------
# The accuracy targets (tests/benchmarks/accuracy.py prints the same numbers as a table).


@pytest.mark.parametrize(
    ("method", "target"), [("central", 1e-10), ("complex", 1e-15), ("richardson", 1e-13)]
)
@pytest.mark.parametrize("name", list(FUNCTIONS))
def test_default_steps_meet_the_accuracy_targets(name, method, target):
    f, df = FUNCTIONS[name]
    for x in POINTS:
        assert relative_error(derivative(f, x, method=method), df(x)) <= target, x


def smooth_function_10d(seed: int):
    rng = np.random.default_rng(seed)
    a, B, w = rng.uniform(-1, 1, size=10), rng.normal(size=(10, 10)), rng.normal(size=10)
    f = lambda w: np.sum(np.exp(a * w)) + w @ B @ w + np.sum(np.sin(w))  # noqa: E731
    grad = a * np.exp(a * w) + (B + B.T) @ w + np.cos(w)
    hess = np.diag(a**2 * np.exp(a * w) - np.sin(w)) + B + B.T
    return f, w, grad, hess


@pytest.mark.parametrize("seed", range(5))
def test_gradient_and_hessian_meet_the_accuracy_targets_in_10d(seed):
    f, w, grad, hess = smooth_function_10d(seed)
    assert relative_error(gradient(f, w), grad) <= 1e-9
    assert relative_error(gradient(f, w, method="complex"), grad) <= 1e-15
    assert relative_error(hessian(f, w), hess) <= 1e-6
    assert relative_error(jacobian(f, w), grad) <= 1e-9


# ---------------------------------------------------------------------------------------------
# sympy: exact derivatives of random compositions, compared at random points.

X = sp.Symbol("x")
UNARY = (
    sp.sin,
    sp.cos,
    sp.tanh,
    sp.atan,
    lambda u: sp.exp(sp.sin(u)),
    lambda u: sp.log(1 + u**2),
    lambda u: sp.sqrt(1 + u**2),
)
leaves = st.one_of(st.just(X), st.just(X), st.builds(sp.Rational, st.integers(-2, 2), st.integers(1, 2)))
expressions = st.recursive(
    leaves,
    lambda inner: st.one_of(
        st.builds(lambda op, u: op(u), st.sampled_from(UNARY), inner),
        st.builds(lambda u, v: u + v, inner, inner),
        st.builds(lambda u, v: u * v, inner, inner),
    ),
    max_leaves=5,
).filter(lambda e: e.has(X))


@given(expression=expressions, x=st.floats(-1, 1))
@settings(max_examples=60, deadline=None)
def test_every_method_matches_sympy_within_its_error_model(expression, x):
    f, d1, d2, d3 = (sp.lambdify(X, sp.diff(expression, X, k), "numpy") for k in range(4))
    f0, f1, f2, f3 = (float(g(x)) for g in (f, d1, d2, d3))
    size = 1 + abs(f0) + abs(f1)  # the magnitude the rounding errors of f are relative to
    for method in METHODS:
        h = default_step(x, method)
        roundoff = 8 * EPS * (1 + abs(f0)) / h
        bound = {
            # truncation (twice the leading term, for the terms after it) + round-off
            "forward": 2 * (h * abs(f2) / 2 + h**2 * abs(f3) / 6) + roundoff,
            "backward": 2 * (h * abs(f2) / 2 + h**2 * abs(f3) / 6) + roundoff,
            "central": 2 * h**2 * abs(f3) / 6 + roundoff,
            "complex": 8 * EPS * size,  # no subtraction: only the rounding of f's own terms
            "richardson": 1e-12 * size,  # truncation ~h^10 is negligible for f varying on scale 1
        }[method]
        result = derivative(f, x, method=method, full_output=True)
        assert abs(result.value - f1) <= bound, (method, expression)
        # the estimate is an upper bound of the error (at a stationary point the warning is right too)
        assert abs(result.value - f1) <= result.error_estimate + 4 * EPS * size, (method, expression)


# ---------------------------------------------------------------------------------------------
# autograd: gradients, Jacobians and Hessians of the same functions, on random inputs.

GRADIENT_TOLERANCE = {
    "forward": 1e-6,
    "backward": 1e-6,
    "central": 1e-9,
    "complex": 1e-14,
    "richardson": 1e-12,
}


@given(shape=hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=3), seed=st.integers(0, 2**32 - 1))
@FAST
def test_gradient_matches_autograd_for_any_shape(shape, seed):
    rng = np.random.default_rng(seed)
    w, c = rng.normal(size=shape), rng.normal(size=shape)

    def f(w):
        return anp.sum(anp.sin(c * w)) + anp.log(1 + anp.sum(w**2)) + 0.5 * anp.sum(w**3)

    expected = autograd.grad(f)(w)
    for method in METHODS:
        grad = gradient(f, w, method=method)
        assert grad.shape == w.shape and grad.dtype == np.float64
        assert scaled_error(grad, expected) <= GRADIENT_TOLERANCE[method], method


@given(
    in_shape=hnp.array_shapes(min_dims=0, max_dims=2, min_side=1, max_side=3),
    out_shape=hnp.array_shapes(min_dims=0, max_dims=2, min_side=1, max_side=3),
    seed=st.integers(0, 2**32 - 1),
)
@FAST
def test_jacobian_has_shape_out_plus_in_and_matches_autograd(in_shape, out_shape, seed):
    rng = np.random.default_rng(seed)
    w, A = rng.normal(size=in_shape), rng.normal(size=out_shape + in_shape)

    def f(w):
        return anp.tanh(anp.tensordot(A, w, axes=w.ndim)) + anp.sum(w**2)

    jac = jacobian(f, w)
    assert jac.shape == out_shape + in_shape
    assert scaled_error(jac, autograd.jacobian(f)(w)) <= 1e-9


@given(d=st.integers(1, 6), seed=st.integers(0, 2**32 - 1))
@FAST
def test_hessian_matches_autograd_and_is_exactly_symmetric(d, seed):
    rng = np.random.default_rng(seed)
    w, A = rng.normal(size=d), rng.normal(size=(4, d))

    def f(w):  # log-sum-exp of a linear map, plus a quartic
        return anp.log(anp.sum(anp.exp(anp.dot(A, w)))) + 0.25 * anp.sum(w**4)

    hess = hessian(f, w)
    assert hess.shape == (d, d)
    assert np.array_equal(hess, hess.T)
    assert scaled_error(hess, autograd.hessian(f)(w)) <= 1e-6


@pytest.mark.parametrize("shape", [(), (3,), (2, 3)])
def test_hessian_of_any_shape_is_w_shape_plus_w_shape(shape):
    w = np.random.default_rng(0).normal(size=shape)

    def f(w):
        return anp.sum(anp.cos(w)) * anp.sum(w**2)

    hess = hessian(f, w)
    assert hess.shape == shape + shape
    assert scaled_error(hess, autograd.hessian(f)(w)) <= 1e-6


# ---------------------------------------------------------------------------------------------
# Bookkeeping: evaluation counts, dtypes, and the caller's w left alone.


@pytest.mark.parametrize(
    ("method", "calls", "checked"),
    [("forward", 2, 4), ("backward", 2, 4), ("central", 2, 4), ("complex", 1, 3), ("richardson", 10, 10)],
)
def test_derivative_evaluation_counts(method, calls, checked):
    # the default step checks itself; a step given by the caller gets the plain formula
    counted = count_evaluations(np.sin)
    derivative(counted, 1.0, method=method)
    assert counted.calls == checked
    counted = count_evaluations(np.sin)
    derivative(counted, 1.0, method=method, h=default_step(1.0, method))
    assert counted.calls == calls
    assert (
        derivative(np.sin, 1.0, method=method, h=default_step(1.0, method), full_output=True).evaluations
        == checked
    )


def test_array_evaluation_counts():
    d = 4
    w = np.linspace(-1, 1, d)
    expected = {"forward": d + 1, "backward": d + 1, "central": 2 * d, "complex": d, "richardson": 10 * d}
    for method, calls in expected.items():
        counted = count_evaluations(lambda w: np.sum(np.sin(w)))
        gradient(counted, w, method=method)
        assert counted.calls == calls, method
    counted = count_evaluations(np.sin)
    jacobian(counted, w)
    assert counted.calls == 2 * d + 1
    counted = count_evaluations(lambda w: np.sum(np.sin(w)))
    hessian(counted, w)
    assert counted.calls == 1 + 2 * d + 2 * d * (d - 1)


def test_results_are_float64_for_integer_input():
    assert isinstance(derivative(lambda x: x**2, 3), float)
    grad = gradient(lambda w: np.sum(w**2), [1, 2, 3])
    assert grad.dtype == np.float64
    np.testing.assert_allclose(grad, [2.0, 4.0, 6.0], rtol=1e-10)
    assert jacobian(lambda w: 2 * w, np.arange(3)).dtype == np.float64


@pytest.mark.parametrize("method", METHODS)
def test_the_callers_w_is_never_modified_even_if_f_modifies_its_argument(method):
    w = np.array([[0.5, -1.0], [2.0, 3.0]])
    before = w.copy()

    def f(v):
        value = np.sum(v**2)
        v[...] = 0  # a careless f that scribbles over its input
        return value

    np.testing.assert_allclose(gradient(f, w, method=method), 2 * before, rtol=1e-6)
    np.testing.assert_allclose(hessian(f, w).reshape(4, 4), 2 * np.eye(4), rtol=1e-6)
    np.testing.assert_allclose(jacobian(lambda v: f(v) * np.ones(2), w)[0], 2 * before, rtol=1e-6)
    assert np.array_equal(w, before)


# ---------------------------------------------------------------------------------------------
# Bad input: every error names the argument.

SIN_SUM = lambda w: np.sum(np.sin(w))  # noqa: E731
ENTRY_POINTS = {
    "derivative": lambda f, x, **kw: derivative(f, x, **kw),
    "gradient": lambda f, x, **kw: gradient(f, [x, x], **kw),
    "jacobian": lambda f, x, **kw: jacobian(f, [x, x], **kw),
    "hessian": lambda f, x, **kw: hessian(f, [x, x], **kw),
}


@pytest.mark.parametrize("entry", list(ENTRY_POINTS))
@pytest.mark.parametrize(
    ("h", "shown"), [(0, "0.0"), (0.0, "0.0"), (-1e-3, "-0.001"), (np.nan, "nan"), (np.inf, "inf")]
)
def test_bad_steps_are_refused(entry, h, shown):
    f = np.sin if entry == "derivative" else SIN_SUM
    with pytest.raises(ValueError, match=rf"^h must be a finite number > 0, got {shown}$"):
        ENTRY_POINTS[entry](f, 1.0, h=h)


def test_a_step_that_is_not_a_number_is_refused():
    with raises_naming(TypeError, "h", "'1e-5'", "str"):
        derivative(np.sin, 1.0, h="1e-5")


def test_unknown_methods_list_the_valid_ones():
    valid = "'forward', 'backward', 'central', 'complex', 'richardson', 'adaptive'"
    with pytest.raises(ValueError, match=f"unknown method 'centre'; choose one of {valid}$"):
        derivative(np.sin, 1.0, method="centre")
    with pytest.raises(ValueError, match=f"unknown method 'autograd'; choose one of {valid}$"):
        gradient(SIN_SUM, [1.0], method="autograd")
    fixed = valid.replace(", 'adaptive'", "")  # adaptive has no default step: it chooses its own
    with pytest.raises(ValueError, match=f"unknown method 'exact'; choose one of {fixed}, 'second'$"):
        default_step(1.0, "exact")


@pytest.mark.parametrize("x", [np.nan, np.inf, -np.inf])
def test_non_finite_points_are_refused(x):
    with pytest.raises(ValueError, match="x must be finite, but x = "):
        derivative(np.sin, x)
    with pytest.raises(ValueError, match="x must be finite"):
        default_step(x)
    for entry in (gradient, jacobian, hessian):
        with pytest.raises(
            ValueError, match=r"w must be finite, but w\[1\] = .*\(1 non-finite of 3 values\)"
        ):
            entry(SIN_SUM, [0.0, x, 1.0])


def test_points_that_are_not_real_scalars_are_refused():
    with raises_naming(ValueError, "x", "(2,)", "use gradient"):
        derivative(np.sin, [1.0, 2.0])
    with pytest.raises(TypeError, match="x must be real"):
        derivative(np.sin, 1 + 2j)
    with pytest.raises(TypeError, match="w must be real"):
        gradient(SIN_SUM, [1j, 2.0])
    with pytest.raises(TypeError, match="w must be a number or an array of numbers, got str"):
        hessian(SIN_SUM, "1.0")


def test_non_callable_f_is_refused():
    for call in (
        lambda: derivative(3.0, 1.0),
        lambda: gradient(3.0, [1.0]),
        lambda: jacobian(3.0, [1.0]),
        lambda: hessian(3.0, [1.0]),
        lambda: count_evaluations(3.0),
    ):
        with pytest.raises(TypeError, match="f must be a function, got float"):
            call()


def test_vector_valued_f_is_refused_where_a_scalar_is_needed():
    message = r"f must return a scalar, got an array of shape \(3,\); reduce it .*or use jacobian"
    with pytest.raises(ValueError, match=message):
        derivative(lambda x: np.array([x, x, x]), 1.0)
    with pytest.raises(ValueError, match=message):
        gradient(np.sin, np.ones(3))
    with pytest.raises(ValueError, match=message):
        hessian(np.sin, np.ones(3))
    with pytest.raises(TypeError, match="f must return a number, got str"):
        derivative(lambda x: "one", 1.0)


def test_nan_and_inf_say_at_which_point():
    # sqrt at 0: the central difference evaluates sqrt(-h). No numpy warning escapes either.
    step = default_step(0.0, "central")
    with pytest.raises(ValueError, match=rf"f returned nan at x = -{step!r}; .*pass a smaller h"):
        derivative(np.sqrt, 0.0)
    # richardson's large base step leaves the domain of log at x = 0.05: log(0.05 - 1/16)
    with pytest.raises(ValueError, match=r"f returned nan at x = -0\.012499"):
        derivative(np.log, 0.05, method="richardson")
    assert derivative(np.log, 0.05, method="richardson", h=0.01) == pytest.approx(20.0, rel=1e-11)
    with pytest.raises(ValueError, match=r"f returned -inf at x = 0\.0;"):
        derivative(np.log, 0.0, method="forward")
    with pytest.raises(ValueError, match=rf"f returned nan at w\[1\] = -{step!r} \(other entries as in w\)"):
        gradient(lambda w: np.sum(np.sqrt(w)), [1.0, 0.0, 2.0])
    with pytest.raises(
        ValueError, match=rf"f returned nan at w\[0, 1\] = -{step!r} \(other entries as in w\)"
    ):
        jacobian(np.sqrt, [[1.0, 0.0]])
    with pytest.raises(ValueError, match=r"f returned nan at w;"):
        hessian(lambda w: np.nan * np.sum(w), [1.0, 2.0])


@pytest.mark.parametrize(
    "f",
    [
        lambda x: float(x) ** 2,  # float() refuses a complex number
        lambda x: math.sin(x),  # so does math
        lambda x: np.real(x) ** 2,  # these three silently drop the imaginary part
        lambda x: abs(x) ** 2,
        lambda x: np.float64(x) ** 2,  # numpy warns ComplexWarning while dropping it
    ],
    ids=["float", "math.sin", "np.real", "abs", "np.float64"],
)
def test_complex_step_explains_an_f_that_drops_the_imaginary_part(f):
    with pytest.raises(TypeError, match="f must accept complex input for the complex-step method"):
        derivative(f, 1.0, method="complex")


def test_complex_step_error_names_the_point_for_gradients():
    with pytest.raises(
        TypeError, match=r"at w\[0\] = \(1\+1e-20j\) \(other entries as in w\) f returned the real"
    ):
        gradient(lambda w: np.sum(np.abs(w)), [1.0, 2.0], method="complex")
    with pytest.raises(
        TypeError, match=r"f must accept complex input .*; f raised ComplexWarning: Casting complex"
    ):
        gradient(lambda w: np.sum(w.astype(float)), [1.0, 2.0], method="complex")


def test_real_methods_refuse_complex_values():
    with pytest.raises(
        TypeError,
        match=r"f must return real values for real input, got \(1\.000001\d*\+0j\) at x = 1\.000003",
    ):
        derivative(lambda x: np.sqrt(x + 0j), 1.0)


def test_jacobian_refuses_f_whose_shape_changes():
    def f(w):
        return np.ones(2) if w[0] == 1.0 else np.ones(3)

    with pytest.raises(
        ValueError, match=r"f must return arrays of one shape: f\(w\) has shape \(2,\), but .*\(3,\)"
    ):
        jacobian(f, [1.0, 2.0])
    with pytest.raises(TypeError, match="f must return a number or an array of numbers, got str"):
        jacobian(lambda w: "no", [1.0])
