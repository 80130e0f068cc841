"""labcode.numdiff on hard derivatives: never a wrong answer without a warning or a refusal.

The cases (tests/hard_derivatives.py) break the default step's assumption that f varies on the scale
max(1, |x|); the exact values come from mpmath at 50 digits. A wrong answer (relative error > 1e-6)
must come with an AccuracyWarning (plain call) or success=False (full_output=True), or be refused
with a ValueError/TypeError that names the point.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from error_facts import raises_naming
from hard_derivatives import CASES, WRONG, HardCase, exact, relative_error

from labcode.numdiff import (
    ACCURACY_RTOL,
    ALL_METHODS,
    AccuracyWarning,
    DerivativeResult,
    count_evaluations,
    default_step,
    derivative,
    gradient,
    hessian,
    jacobian,
)

IDS = [f"{case.name} at {case.x:g}" for case in CASES]


def test_the_table_is_hard_and_its_values_are_exact():
    assert len(CASES) >= 20 and len({case.name for case in CASES}) == len(CASES)
    # mpmath against derivatives worked by hand
    by_name = {case.name: case for case in CASES}
    assert exact(by_name["sin(x)"]) == pytest.approx(np.cos(1e6), rel=1e-15)
    assert exact(by_name["x log x"]) == pytest.approx(np.log(1e-5) + 1, rel=1e-15)
    assert exact(by_name["x^-2"]) == pytest.approx(-2 / 1e-3**3, rel=1e-15)
    # and the default central difference really is wrong on most of them
    wrong = [case for case in CASES if _plain_central_error(case) > WRONG]
    assert len(wrong) >= len(CASES) // 2


def _plain_central_error(case: HardCase) -> float:
    try:
        return relative_error(derivative(case.f, case.x, h=default_step(case.x)), case)
    except (ValueError, TypeError):
        return np.inf


@pytest.mark.parametrize("method", ALL_METHODS)
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_no_wrong_answer_without_a_warning_or_a_refusal(case, method):
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            value = derivative(case.f, case.x, method=method)
        result = derivative(case.f, case.x, method=method, full_output=True)
    except (ValueError, TypeError) as refusal:  # a refusal names the point it could not use
        assert "at x = " in str(refusal) or "adaptive" in str(refusal)
        return
    warned = [w for w in caught if issubclass(w.category, AccuracyWarning)]
    assert result.value == value
    if relative_error(value, case) > WRONG:
        assert warned, f"{method} is wrong on {case.name} without a warning"
        assert not result.success and result.message
    # the warning and success say the same thing; success means the estimate vouches for the value
    assert bool(warned) == (not result.success)
    if result.success:
        assert result.error_estimate <= ACCURACY_RTOL * abs(result.value)


def test_adaptive_is_good_on_most_hard_cases_within_scipys_budget():
    good, evaluations = 0, []
    for case in CASES:
        counted = count_evaluations(case.f)
        result = derivative(counted, case.x, method="adaptive", full_output=True)
        good += relative_error(result.value, case) <= WRONG
        evaluations.append(counted.calls)
        assert result.evaluations == counted.calls
    # scipy.differentiate.derivative's defaults (order 8, 10 iterations) take up to 27 evaluations
    assert max(evaluations) <= 27
    assert good >= 18


def test_sin_at_a_million_warns_and_says_what_to_try():
    with pytest.warns(
        AccuracyWarning, match=r"x = 1000000\.0 .*h = 3\.03 and 2h disagree.*method='adaptive'"
    ):
        value = derivative(np.sin, 1e6)
    assert abs(value - np.cos(1e6)) > 0.5  # the plain value is still returned, and it is wrong
    fixed = derivative(np.sin, 1e6, method="adaptive", full_output=True)
    assert fixed.success and fixed.message == ""
    assert abs(fixed.value - np.cos(1e6)) <= 1e-12 and fixed.error_estimate <= 1e-12


def test_richardson_across_a_pole_warns_that_its_levels_disagree():
    with pytest.warns(AccuracyWarning, match=r"Richardson levels disagree.*h = 0\.0625"):
        derivative(lambda x: x**-2.0, 1e-3, method="richardson")
    # a step inside the distance to the pole makes it right again
    result = derivative(lambda x: x**-2.0, 1e-3, method="richardson", h=2e-4, full_output=True)
    assert result.success and result.value == pytest.approx(-2e9, rel=1e-12)


def test_richardson_refuses_a_point_outside_the_domain():
    with pytest.raises(ValueError, match=r"f returned nan at x = -0\.0\d+"):
        derivative(lambda x: x * np.log(x), 1e-5, method="richardson")


def test_the_complex_step_is_checked_against_finite_differences():
    # (1 - cos x) / x^2 cancels for a complex argument too: the complex step is far off, and says so
    def f(x):
        return (1 - np.cos(x)) / x**2

    with pytest.warns(AccuracyWarning, match="complex step disagrees with finite differences"):
        derivative(f, 1e-4, method="complex")
    counted = count_evaluations(np.exp)
    assert derivative(counted, 1.0, method="complex") == pytest.approx(np.e, rel=1e-15)
    assert counted.calls == 3  # the complex step, and one central difference that agrees with it


def test_a_given_step_gives_the_plain_formula_without_a_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        value = derivative(np.sin, 1e6, h=3.0)
    result = derivative(np.sin, 1e6, h=3.0, full_output=True)
    assert result.value == value and not result.success


def test_full_output_fields():
    result = derivative(np.exp, 0.5, full_output=True)
    assert isinstance(result, DerivativeResult)
    assert result.value == pytest.approx(np.exp(0.5), rel=1e-10)
    assert 0 < result.error_estimate <= 1e-9 and result.evaluations == 4 and result.success
    with raises_naming(TypeError, "full_output", "'yes'", "True or False"):
        derivative(np.exp, 0.5, full_output="yes")
    with pytest.raises(ValueError, match="h: method='adaptive' chooses its own steps"):
        derivative(np.exp, 0.5, method="adaptive", h=0.1)


def test_array_results_carry_an_error_per_entry():
    w = np.array([[1.0, 2.0], [3.0, 1e6]])

    def f(w):
        return np.sum(np.sin(w))

    counted = count_evaluations(f)
    with pytest.warns(AccuracyWarning, match=r"the gradient at w\[1, 1\] may be wrong"):
        gradient(counted, w, full_output=False, method="richardson")
    result = gradient(f, w, full_output=True)
    assert result.value.shape == result.error_estimate.shape == (2, 2)
    assert not result.success and "w[1, 1]" in result.message and result.evaluations == 16
    assert np.all(np.abs(result.value - np.cos(w)).ravel()[:3] <= result.error_estimate.ravel()[:3])
    # the default gradient spends 2 evaluations per coordinate, as the chapters count, and checks rounding only
    counted = count_evaluations(f)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gradient(counted, w[:1])
    assert counted.calls == 4

    jac = jacobian(np.sin, w[0], full_output=True)
    assert jac.value.shape == jac.error_estimate.shape == (2, 2) and jac.success and jac.evaluations == 9
    hess = hessian(f, w[0], full_output=True)
    assert hess.value.shape == hess.error_estimate.shape == (2, 2) and hess.evaluations == 17
    assert np.all(np.abs(hess.value - np.diag(-np.sin(w[0]))) <= hess.error_estimate)


def test_rounding_alone_makes_the_default_gradient_warn():
    # a slope of 2 on top of 1e8: the central difference keeps 3 digits, and its rounding bound says so
    with pytest.warns(AccuracyWarning, match="rounding dominates"):
        gradient(lambda w: np.sum(w * w) + 1e8, np.array([1.0]))
