"""check_gradient finds every planted bug and says which, and passes every right gradient."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from error_facts import raises_naming
from hypothesis import given, settings
from hypothesis import strategies as st

from labcode.gradcheck import KINDS, GradCheckResult, check_gradient, relative_error
from labcode.numdiff import count_evaluations

# ----------------------------------------------------------------------------------------------------
# The losses a student writes, each with its right gradient; the tests plant bugs in copies of them.


def sigmoid(z):
    return 0.5 * (1.0 + np.tanh(0.5 * z))  # = 1 / (1 + exp(-z)), without overflow


def linear_problem(seed: int = 0, n: int = 50, d: int = 5):
    """MSE for linear regression: L = mean((Xw - y)^2), grad = (2/n) X^T (Xw - y). w: (d,)."""
    rng = np.random.default_rng(seed)
    X, y, w = rng.normal(size=(n, d)), rng.normal(size=n), rng.normal(size=d)

    def loss(w):
        return np.mean((X @ w - y) ** 2)

    def grad(w):
        return 2 / n * X.T @ (X @ w - y)

    return loss, grad, w, X, y


def logistic_problem(seed: int = 1, n: int = 40, d: int = 4):
    """Logistic regression: BCE = mean(softplus(z) - y z) with z = Xw, grad = X^T (p - y) / n."""
    rng = np.random.default_rng(seed)
    X, w = rng.normal(size=(n, d)), rng.normal(size=d)
    y = (rng.uniform(size=n) < 0.5).astype(float)

    def loss(w):
        z = X @ w
        return np.mean(np.logaddexp(0.0, z) - y * z)

    def grad(w):
        return X.T @ (sigmoid(X @ w) - y) / n

    return loss, grad, w, X, y


def softmax_problem(seed: int = 2, n: int = 40, d: int = 4, k: int = 3):
    """Softmax cross-entropy with W: (d, k): grad = X^T (P - Y) / n, shape (d, k)."""
    rng = np.random.default_rng(seed)
    X, W = rng.normal(size=(n, d)), rng.normal(size=(d, k))
    Y = np.eye(k)[rng.integers(0, k, size=n)]

    def probabilities(W):
        Z = X @ W
        E = np.exp(Z - Z.max(axis=1, keepdims=True))
        return E / E.sum(axis=1, keepdims=True)

    def loss(W):
        Z = X @ W
        Z = Z - Z.max(axis=1, keepdims=True)
        return -np.mean(np.sum(Y * (Z - np.log(np.exp(Z).sum(axis=1, keepdims=True))), axis=1))

    def grad(W):
        return X.T @ (probabilities(W) - Y) / n

    return loss, grad, W, X, Y


def bias_model(seed: int = 3, n: int = 30, d: int = 4):
    """MSE with named parameters {"w": (d,), "b": ()}: grad_w = (2/n) X^T r, grad_b = 2 mean(r)."""
    rng = np.random.default_rng(seed)
    X, y = rng.normal(size=(n, d)), rng.normal(size=n)
    params = {"w": rng.normal(size=d), "b": np.array(0.3)}

    def residual(p):
        return X @ p["w"] + p["b"] - y

    def loss(p):
        return np.mean(residual(p) ** 2)

    def grad(p):
        r = residual(p)
        return {"w": 2 / n * X.T @ r, "b": 2 * np.mean(r)}

    return loss, grad, params


MSE, MSE_GRAD, W_MSE, X_MSE, Y_MSE = linear_problem()
BCE, BCE_GRAD, W_BCE, X_BCE, Y_BCE = logistic_problem()
CE, CE_GRAD, W_CE, X_CE, Y_CE = softmax_problem()
CE_SQ, CE_SQ_GRAD, W_CE_SQ, X_CE_SQ, Y_CE_SQ = softmax_problem(seed=4, d=3, k=3)
MODEL, MODEL_GRAD, P_MODEL = bias_model()
N_MSE, N_BCE, N_CE = len(Y_MSE), len(Y_BCE), len(Y_CE)


def mse_with_bias_column():
    """A plain w whose last entry is the intercept (X has a column of ones)."""
    rng = np.random.default_rng(5)
    X = np.column_stack([rng.normal(size=(30, 3)), np.ones(30)])
    y, w = rng.normal(size=30), rng.normal(size=4)

    def loss(w):
        return np.mean((X @ w - y) ** 2)

    def grad(w):
        return 2 / 30 * X.T @ (X @ w - y)

    return loss, grad, w


MSE_B, MSE_B_GRAD, W_MSE_B = mse_with_bias_column()


def relu_net_with_a_dead_unit():
    """f(W1) = mean((relu(X W1) v - y)^2) with W1's column 1 zero: that unit's pre-activations sit at 0."""
    rng = np.random.default_rng(6)
    X, y, v = rng.normal(size=(20, 3)), rng.normal(size=20), np.array([1.0, -2.0, 0.5])
    W1 = rng.normal(size=(3, 3))
    W1[:, 1] = 0.0

    def loss(W1):
        return np.mean((np.maximum(X @ W1, 0.0) @ v - y) ** 2)

    def grad(W1):
        Z = X @ W1
        r = np.maximum(Z, 0.0) @ v - y
        return X.T @ ((2 / 20 * r)[:, None] * v[None, :] * (Z > 0))  # relu'(0) taken as 0

    return loss, grad, W1


RELU, RELU_GRAD, W_RELU = relu_net_with_a_dead_unit()


def raise_value_error(w):
    raise ValueError("shapes (5,) and (50,) not aligned")


# ----------------------------------------------------------------------------------------------------
# Planted bugs: each must be named by its kind and explained in words.

PLANTED = {
    "mse: grad a column (d, 1)": (
        MSE,
        lambda w: 2 / N_MSE * X_MSE.T @ (X_MSE @ w - Y_MSE)[:, None],
        W_MSE,
        "shape",
        ["grad has shape (5, 1), expected (5,)", "y of shape (n, 1)", "column vector w"],
    ),
    "mse: y (n, 1) broadcasts to (n, n)": (
        MSE,
        lambda w: 2 / N_MSE * X_MSE.T @ (X_MSE @ w - Y_MSE[:, None]),
        W_MSE,
        "shape",
        ["grad has shape (5, 50), expected (5,)", "broadcast", "keep y of shape (n,)"],
    ),
    "mse: an extra 2": (
        MSE,
        lambda w: 2 * MSE_GRAD(w),
        W_MSE,
        "factor",
        ["a factor of 2 too large (an extra 2?)"],
    ),
    "mse: the 2 of 2/n dropped": (
        MSE,
        lambda w: X_MSE.T @ (X_MSE @ w - Y_MSE) / N_MSE,
        W_MSE,
        "factor",
        ["half", "did you drop the 2 in 2/n?"],
    ),
    "mse: forgot to divide by n": (
        MSE,
        lambda w: 2 * X_MSE.T @ (X_MSE @ w - Y_MSE),
        W_MSE,
        "factor",
        ["50 times too large", "off by a factor of 1/50 = 1/n?", "did you forget to divide by n?"],
    ),
    "mse: residual y - Xw": (
        MSE,
        lambda w: 2 / N_MSE * X_MSE.T @ (Y_MSE - X_MSE @ w),
        W_MSE,
        "sign",
        ["wrong sign", "analytic / numerical = -1"],
    ),
    "mse: returns zeros": (
        MSE,
        lambda w: np.zeros_like(w),
        W_MSE,
        "zero",
        ["is zero", "numerical gradient is not"],
    ),
    "mse: intercept entry doubled": (
        MSE_B,
        lambda w: MSE_B_GRAD(w) * np.array([1.0, 1.0, 1.0, 2.0]),
        W_MSE_B,
        "partial",
        ["wrong at 1 of 4 coordinates: w[3]", "the other 3 match", "a factor of 2 too large"],
    ),
    "mse: forgot the return": (MSE, lambda w: None, W_MSE, "error", ["returned None", "return"]),
    "mse: grad raises": (
        MSE,
        raise_value_error,
        W_MSE,
        "error",
        ["grad raised ValueError: shapes (5,) and (50,)"],
    ),
    "bce: p - y flipped to y - p": (
        BCE,
        lambda w: X_BCE.T @ (Y_BCE - sigmoid(X_BCE @ w)) / N_BCE,
        W_BCE,
        "sign",
        ["wrong sign"],
    ),
    "bce: divided by n twice": (
        BCE,
        lambda w: BCE_GRAD(w) / N_BCE,
        W_BCE,
        "factor",
        ["40 times too small", "did you divide by n twice?"],
    ),
    "bce: sigmoid forgotten": (
        BCE,
        lambda w: X_BCE.T @ (X_BCE @ w - Y_BCE) / N_BCE,
        W_BCE,
        "wrong",
        ["no constant factor, sign flip or transpose explains it", "analytic", "numerical"],
    ),
    "bce: a nan from log(0)": (
        BCE,
        lambda w: np.where(np.arange(w.size) == 2, np.nan, BCE_GRAD(w)),
        W_BCE,
        "nonfinite",
        ["grad is nan at w[2]", "1 of 4 entries"],
    ),
    "softmax: grad of shape (k, d)": (
        CE,
        lambda W: (CE_GRAD(W)).T,
        W_CE,
        "transpose",
        ["grad has shape (3, 4), expected (4, 3)", "transposed"],
    ),
    "softmax: square W, (P - Y)^T X": (
        CE_SQ,
        lambda W: (CE_SQ_GRAD(W)).T,
        W_CE_SQ,
        "transpose",
        ["transpose of the right gradient", "order of the matrix product"],
    ),
    "softmax: square W, transposed and negated": (
        CE_SQ,
        lambda W: -(CE_SQ_GRAD(W)).T,
        W_CE_SQ,
        "transpose",
        ["transpose of the right gradient", "wrong sign"],
    ),
    "model: b has an extra 2": (
        MODEL,
        lambda p: {**MODEL_GRAD(p), "b": 2 * MODEL_GRAD(p)["b"]},
        P_MODEL,
        "partial",
        ["only 'b' is wrong (rel. error 0.50); 'w' matches", "'b' is a factor of 2 too large"],
    ),
    "model: b's gradient left out": (
        MODEL,
        lambda p: {**MODEL_GRAD(p), "b": 0.0},
        P_MODEL,
        "partial",
        ["only 'b' is wrong (rel. error 1.0); 'w' matches", "'b' is zero"],
    ),
    "model: b's gradient of shape (1,)": (
        MODEL,
        lambda p: {**MODEL_GRAD(p), "b": np.atleast_1d(MODEL_GRAD(p)["b"])},
        P_MODEL,
        "shape",
        ["grad['b'] has shape (1,), expected ()", "scalar"],
    ),
    "model: b's key missing": (
        MODEL,
        lambda p: {"w": MODEL_GRAD(p)["w"]},
        P_MODEL,
        "keys",
        ["keys do not match", "missing 'b'"],
    ),
    "relu net: a dead unit at exactly 0": (
        RELU,
        RELU_GRAD,
        W_RELU,
        "kink",
        [
            "not differentiable near w[0, 1], w[1, 1], w[2, 1] (a kink?",
            "from the left",
            "move w slightly off",
        ],
    ),
}


@pytest.mark.parametrize("name", list(PLANTED))
def test_planted_bug_is_named(name):
    f, grad, w, kind, words = PLANTED[name]
    result = check_gradient(f, grad, w)
    assert result.kind == kind, repr(result)
    assert not result.ok and not result
    assert kind in KINDS
    for phrase in words:
        assert phrase in result.diagnosis, f"{phrase!r} missing from: {result.diagnosis}"
    assert "\n" not in result.diagnosis  # one line


def test_there_are_at_least_fifteen_planted_bugs():
    assert len(PLANTED) >= 15
    assert {kind for *_, kind, _ in PLANTED.values()} >= {
        "shape",
        "factor",
        "sign",
        "transpose",
        "partial",
        "zero",
        "nonfinite",
        "error",
        "keys",
        "kink",
        "wrong",
    }


@pytest.mark.parametrize(
    ("grad", "factor"),
    [
        (lambda w: 2 * MSE_GRAD(w), 2.0),
        (lambda w: 0.5 * MSE_GRAD(w), 0.5),
        (lambda w: N_MSE * MSE_GRAD(w), 50.0),
        (lambda w: -MSE_GRAD(w), -1.0),
        (lambda w: -3 * MSE_GRAD(w), -3.0),
        (lambda w: 1.37 * MSE_GRAD(w), 1.37),
    ],
)
def test_factor_is_measured(grad, factor):
    result = check_gradient(MSE, grad, W_MSE)
    assert result.kind == ("sign" if factor == -1 else "factor")
    assert result.factor == pytest.approx(factor, rel=1e-6)
    assert f"analytic / numerical = {factor:.4g}" in result.diagnosis


def test_unfriendly_factor_is_given_as_a_number():
    result = check_gradient(MSE, lambda w: 1.37 * MSE_GRAD(w), W_MSE)
    assert "off by a constant factor of 1.37" in result.diagnosis
    negative = check_gradient(MSE, lambda w: -2 * MSE_GRAD(w), W_MSE)
    assert negative.kind == "factor"
    assert "wrong sign and is a factor of 2 too large" in negative.diagnosis


def test_partial_names_every_wrong_coordinate_of_a_plain_array():
    bump = np.zeros((4, 3))
    bump[[0, 2], 1] = 1.0
    result = check_gradient(CE, lambda W: CE_GRAD(W) + 0.1 * bump, W_CE)
    assert result.kind == "partial"
    assert result.wrong_parts == ("w[0, 1]", "w[2, 1]")
    assert "wrong at 2 of 12 coordinates: w[0, 1] (analytic" in result.diagnosis
    assert "the other 10 match" in result.diagnosis


def test_partial_names_the_wrong_parameter_and_its_factor():
    result = check_gradient(MODEL, lambda p: {**MODEL_GRAD(p), "b": 2 * MODEL_GRAD(p)["b"]}, P_MODEL)
    assert result.wrong_parts == ("b",)
    assert result.factor == pytest.approx(2.0, rel=1e-6)
    both = check_gradient(MODEL, lambda p: {"w": -MODEL_GRAD(p)["w"], "b": -MODEL_GRAD(p)["b"]}, P_MODEL)
    assert both.kind == "sign", "the same sign error in every parameter is one story"


def test_stationary_point_with_a_nonzero_grad():
    w_star = np.linalg.lstsq(X_MSE, Y_MSE, rcond=None)[0]
    result = check_gradient(MSE, lambda w: MSE_GRAD(w) + 0.1, w_star)
    assert result.kind == "wrong"
    assert "stationary point" in result.diagnosis


def test_at_a_minimum_a_right_gradient_is_not_called_wrong():
    # Both gradients are ~0 there, so the relative error is all noise: the check must not blame grad.
    w_star = np.linalg.lstsq(X_MSE, Y_MSE, rcond=None)[0]
    result = check_gradient(MSE, MSE_GRAD, w_star)
    assert result.kind == "noisy" and not result.ok
    assert "cannot check grad" in result.diagnosis and "stationary point" in result.diagnosis


def test_kinks_are_blamed_only_where_f_has_them():
    assert check_gradient(RELU, RELU_GRAD, W_RELU).wrong_parts == ("w[0, 1]", "w[1, 1]", "w[2, 1]")
    off_the_kink = W_RELU + 1e-3 * np.random.default_rng(0).normal(size=W_RELU.shape)
    assert check_gradient(RELU, RELU_GRAD, off_the_kink).kind == "ok", "the advice in the diagnosis works"
    buggy = check_gradient(RELU, lambda W: 2 * RELU_GRAD(W), off_the_kink)
    assert buggy.kind == "factor", "a smooth point with a real bug is not a kink"


def test_a_zero_initialised_relu_layer_is_one_big_kink():
    rng = np.random.default_rng(8)
    X, y, v = rng.normal(size=(20, 6)), rng.normal(size=20), rng.normal(size=8)

    def loss(W1):
        return np.mean((np.maximum(X @ W1, 0.0) @ v - y) ** 2)

    def grad(W1):
        Z = X @ W1
        return X.T @ ((2 / 20 * (np.maximum(Z, 0.0) @ v - y))[:, None] * v[None, :] * (Z > 0))

    result = check_gradient(loss, grad, np.zeros((6, 8)))
    assert result.kind == "kink"
    assert "(the first 20 of 48 disagreeing coordinates)" in result.diagnosis


def test_every_parameter_wrong_in_its_own_way():
    result = check_gradient(MODEL, lambda p: {"w": -MODEL_GRAD(p)["w"], "b": 2 * MODEL_GRAD(p)["b"]}, P_MODEL)
    assert result.kind == "wrong"
    assert (
        "'w' has the wrong sign" in result.diagnosis and "'b' is a factor of 2 too large" in result.diagnosis
    )


def test_a_shape_error_keeps_what_grad_returned():
    result = check_gradient(MSE, lambda w: MSE_GRAD(w)[:, None], W_MSE)
    assert result.analytic.shape == (5, 1) and result.numerical is None
    assert result.n_evaluations == 0, "a wrong shape is reported before any arithmetic"


def test_kinds_are_documented():
    import labcode.gradcheck as gradcheck

    for kind in KINDS:
        assert f"``{kind}``" in gradcheck.__doc__


# ----------------------------------------------------------------------------------------------------
# Right gradients pass, and say how sure the check is.


def test_right_gradient_passes_and_states_the_noise():
    result = check_gradient(MSE, MSE_GRAD, W_MSE)
    assert result.ok and result and result.kind == "ok"
    assert "correct up to finite-difference noise" in result.diagnosis
    assert f"expected noise {result.expected_noise:.1e}" in result.diagnosis
    assert 0 < result.expected_noise < 1e-8, "float64 central differences are good to ~1e-10"
    assert result.max_relative_error <= result.tolerance == 1e-6
    assert result.numerical.shape == W_MSE.shape and result.analytic.shape == W_MSE.shape
    assert relative_error(result.numerical, MSE_GRAD(W_MSE)) < 1e-8


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(2, 30), d=st.integers(1, 6))
def test_right_linear_and_logistic_gradients_pass(seed, n, d):
    for problem in (linear_problem, logistic_problem):
        f, grad, w, *_ = problem(seed, n, d)
        result = check_gradient(f, grad, w)
        assert result.ok and result.kind == "ok", repr(result)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), d=st.integers(1, 5), k=st.integers(2, 4))
def test_right_softmax_and_named_gradients_pass(seed, d, k):
    f, grad, W, *_ = softmax_problem(seed, 20, d, k)
    assert check_gradient(f, grad, W).kind == "ok"
    f, grad, params = bias_model(seed, 20, d)
    result = check_gradient(f, grad, params)
    assert result.kind == "ok" and set(result.numerical) == {"w", "b"}


@settings(max_examples=20, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    d=st.integers(2, 6),
    c=st.floats(-4, 4).filter(lambda c: abs(c) > 0.05 and abs(c - 1) > 0.05),
)
def test_any_constant_factor_is_found(seed, d, c):
    f, grad, w, *_ = logistic_problem(seed, 20, d)
    result = check_gradient(f, lambda w: c * grad(w), w)
    assert result.kind in ("factor", "sign")
    assert result.factor == pytest.approx(c, rel=1e-5)


def test_float32_loss_is_flagged_noisy():
    X32, y32 = X_MSE.astype(np.float32), Y_MSE.astype(np.float32)

    def loss32(w):
        return np.mean((X32 @ w.astype(np.float32) - y32) ** 2)

    result = check_gradient(loss32, MSE_GRAD, W_MSE)
    assert result.kind == "noisy" and result.ok
    assert "float32" in result.diagnosis
    assert 1e-7 < result.expected_noise < 1e-3
    assert result.tolerance == max(1e-3, 10 * result.expected_noise)  # the float32 default rtol is 1e-3
    bug = check_gradient(loss32, lambda w: 2 * MSE_GRAD(w), W_MSE)
    assert bug.kind == "factor" and bug.factor == pytest.approx(2.0, rel=1e-3)


def test_hidden_float32_is_named_and_seen_through_with_adaptive_steps():
    X32, y32 = X_MSE.astype(np.float32), Y_MSE.astype(np.float32)

    def loss32(w):  # float32 inside, a Python float outside: only the noise gives it away
        return float(np.mean((X32 @ w.astype(np.float32) - y32) ** 2))

    # the noise gives it away: numdiff's adaptive steps, larger than the default, see through it
    result = check_gradient(loss32, MSE_GRAD, W_MSE)
    assert result.ok and "float32" in result.diagnosis and "method='adaptive'" in result.diagnosis
    # and a real 1% bug is still caught at those steps
    wrong = check_gradient(loss32, lambda w: 1.01 * MSE_GRAD(w), W_MSE)
    assert wrong.kind == "factor" and "float32" in wrong.diagnosis


def test_float32_grad_gets_a_note():
    result = check_gradient(MSE, lambda w: MSE_GRAD(w).astype(np.float32), W_MSE)
    assert result.kind == "ok" and "float32" in result.diagnosis


def test_user_rtol_and_h_are_used():
    loose = check_gradient(MSE, lambda w: MSE_GRAD(w) * (1 + 1e-4), W_MSE, rtol=1e-3)
    assert loose.ok and loose.tolerance == 1e-3
    strict = check_gradient(MSE, lambda w: MSE_GRAD(w) * (1 + 1e-4), W_MSE)
    assert strict.kind == "factor"
    coarse = check_gradient(BCE, BCE_GRAD, W_BCE, h=1e-3)
    assert coarse.ok and coarse.expected_noise > check_gradient(BCE, BCE_GRAD, W_BCE).expected_noise


# ----------------------------------------------------------------------------------------------------
# Large w: random directions instead of every coordinate.


def quadratic(size: int, seed: int = 7):
    rng = np.random.default_rng(seed)
    a, c, w = rng.uniform(1, 2, size=size), rng.normal(size=size), rng.normal(size=size)
    return (lambda w: 0.5 * np.sum(a * (w - c) ** 2)), (lambda w: a * (w - c)), w


def test_100k_parameters_take_few_evaluations():
    f, grad, w = quadratic(100_000)
    counted = count_evaluations(f)
    result = check_gradient(counted, grad, w)
    assert result.ok and result.mode == "directions" and result.n_checked == 20
    assert counted.calls == result.n_evaluations <= 4 * 20 + 1
    assert "20 random directions in w (seed 0): w has 100000 entries > max_coordinates=10000" in repr(result)
    assert result.numerical is None and result.directional_numerical.shape == (20,)


@pytest.mark.parametrize(("c", "kind"), [(2.0, "factor"), (-1.0, "sign"), (0.5, "factor")])
def test_factor_and_sign_in_direction_mode(c, kind):
    f, grad, w = quadratic(30_000)
    result = check_gradient(f, lambda w: c * grad(w), w)
    assert result.mode == "directions"
    assert result.kind == kind and result.factor == pytest.approx(c, rel=1e-6)


def test_direction_mode_without_a_pattern_points_to_max_coordinates():
    f, grad, w = quadratic(30_000)
    result = check_gradient(f, lambda w: grad(w) + (np.arange(w.size) == 7), w)
    assert result.kind == "wrong" and "pass a larger max_coordinates" in result.diagnosis


def test_direction_mode_is_deterministic_and_follows_the_seed():
    f, grad, w = quadratic(20_000)
    first, again = check_gradient(f, grad, w, seed=3), check_gradient(f, grad, w, seed=3)
    assert repr(first) == repr(again)
    np.testing.assert_array_equal(first.directional_analytic, again.directional_analytic)
    np.testing.assert_array_equal(first.directional_numerical, again.directional_numerical)
    other = check_gradient(f, grad, w, seed=4)
    assert not np.allclose(other.directional_analytic, first.directional_analytic)


def test_direction_mode_still_names_the_wrong_parameter():
    wrong_b = lambda p: {**MODEL_GRAD(p), "b": 2 * MODEL_GRAD(p)["b"]}  # noqa: E731
    result = check_gradient(MODEL, wrong_b, P_MODEL, max_coordinates=2, n_directions=3)
    assert result.mode == "directions"
    assert result.kind == "partial" and result.wrong_parts == ("b",)
    assert "3 random directions in 'w'" in result.checked and "'b' coordinate by coordinate" in result.checked


def test_direction_mode_finds_a_transpose():
    result = check_gradient(CE_SQ, lambda W: CE_SQ_GRAD(W).T, W_CE_SQ, max_coordinates=4, n_directions=6)
    assert result.mode == "directions" and result.kind == "transpose"


# ----------------------------------------------------------------------------------------------------
# The student's mistakes become results; the caller's mistakes raise.


def test_student_exceptions_and_bad_outputs_become_results():
    raised = check_gradient(lambda w: {}["missing"], MSE_GRAD, W_MSE)
    assert raised.kind == "error" and "f raised KeyError" in raised.diagnosis
    vector = check_gradient(lambda w: X_MSE @ w - Y_MSE, MSE_GRAD, W_MSE)
    assert (
        vector.kind == "error" and "f must return a scalar, got an array of shape (50,)" in vector.diagnosis
    )
    as_dict = check_gradient(MSE, lambda w: {"w": MSE_GRAD(w)}, W_MSE)
    assert as_dict.kind == "error" and "return one array shaped like w" in as_dict.diagnosis
    text = check_gradient(MSE, lambda w: "gradient", W_MSE)
    assert text.kind == "error" and "grad must be a number or an array of numbers" in text.diagnosis
    for result in (raised, vector, as_dict, text):
        assert not result.ok and math.isnan(result.max_relative_error) and result.numerical is None


def test_nonfinite_loss_says_where():
    at_w = check_gradient(lambda w: np.log(w[0] - 10.0), lambda w: 1 / (w - 10.0), W_MSE)
    assert at_w.kind == "nonfinite" and "f is nan at w:" in at_w.diagnosis
    w = np.array([1e-7, 1.0, 2.0])
    near = check_gradient(lambda w: np.sum(np.log(w)), lambda w: 1 / w, w)
    assert near.kind == "nonfinite" and "f is nan at w with w[0] moved by" in near.diagnosis


@pytest.mark.parametrize(
    ("kwargs", "error", "facts"),
    [
        ({"f": 3}, TypeError, ("f", "function", "int")),
        ({"grad": None}, TypeError, ("grad", "function", "NoneType")),
        ({"w": np.array([1.0, np.nan])}, ValueError, ("w", "finite", "w[1]", "nan")),
        ({"w": {"w": np.ones(2), "b": np.inf}}, ValueError, ("w['b']", "finite", "inf")),
        ({"w": np.zeros(0)}, ValueError, ("w", "no entries", "(0,)")),
        ({"w": {}}, ValueError, ("w", "empty dict")),
        ({"w": {1: np.ones(2)}}, TypeError, ("keys of w", "1")),
        ({"w": "weights"}, TypeError, ("w", "str")),
        ({"w": np.array([1.0, 2j])}, TypeError, ("w", "complex")),
        ({"rtol": 0.0}, ValueError, ("rtol", "> 0", "0.0")),
        ({"rtol": -1e-6}, ValueError, ("rtol", "> 0", "-1e-06")),
        ({"rtol": 2.0}, ValueError, ("rtol", "< 1", "2.0")),
        ({"rtol": "1e-6"}, TypeError, ("rtol", "'1e-6'", "str")),
        ({"h": 0}, ValueError, ("h", "> 0", "0.0")),
        ({"max_coordinates": 0}, ValueError, ("max_coordinates", ">= 1", "0")),
        ({"n_directions": True}, TypeError, ("n_directions", "integer", "True")),
        ({"seed": -1}, ValueError, ("seed", ">= 0", "-1")),
        ({"seed": 1.5}, TypeError, ("seed", "integer", "1.5")),
    ],
)
def test_caller_mistakes_raise(kwargs, error, facts):
    arguments = {"f": MSE, "grad": MSE_GRAD, "w": W_MSE, **kwargs}
    with raises_naming(error, *facts):
        check_gradient(arguments.pop("f"), arguments.pop("grad"), arguments.pop("w"), **arguments)


@pytest.mark.parametrize("scale", [1e12, 1e14, 1e16, 1e20])
def test_huge_w_is_inconclusive_rather_than_wrong(scale):
    """sin(w) at |w| >= 1e12: the default steps (3e-6 |w|) skip over whole periods of sin, so the numerical
    gradient is ~0; a right grad must not be called wrong, and a wrong one cannot be told from it either."""
    w = np.array([0.3, -1.2, 0.8]) * scale

    def f(v):
        return float(np.sum(np.sin(v)))

    for grad in (np.cos, lambda v: 2 * np.cos(v)):
        result = check_gradient(f, grad, w)
        assert not result.ok and result.kind == "noisy", (result.kind, result.diagnosis)
        assert "inconclusive" in result.diagnosis and "h=" in result.diagnosis


def test_large_w_with_a_resolvable_f_still_finds_the_factor():
    """At |w| ~ 1e6 the adaptive steps resolve sin: a right grad passes and a factor of 2 is named."""
    w = np.array([0.3, -1.2, 0.8]) * 1e6

    def f(v):
        return float(np.sum(np.sin(v)))

    assert check_gradient(f, np.cos, w).ok
    wrong = check_gradient(f, lambda v: 2 * np.cos(v), w)
    assert wrong.kind == "factor" and wrong.factor == pytest.approx(2.0, rel=1e-6)


def test_w_is_never_modified():
    w = W_MSE.copy()
    params = {k: np.array(v, copy=True) for k, v in P_MODEL.items()}

    def meddling_grad(w):
        g = MSE_GRAD(w)
        w -= 1.0  # a student's in-place update inside grad
        return g

    assert check_gradient(MSE, meddling_grad, w).ok
    np.testing.assert_array_equal(w, W_MSE)
    assert check_gradient(MODEL, MODEL_GRAD, params).ok
    for key in P_MODEL:
        np.testing.assert_array_equal(params[key], P_MODEL[key])


# ----------------------------------------------------------------------------------------------------
# relative_error


def test_relative_error_exact_cases():
    assert relative_error([1, 2], [1, 2.2]) == pytest.approx(0.2 / 2.2, rel=1e-14)
    assert relative_error([0.0, 0.0], [0.0, 0.0]) == 0.0
    assert relative_error([3.0, -4.0], [3.0, -4.0]) == 0.0
    assert relative_error([0.0, 0.0], [0.0, 1.0]) == 1.0
    assert relative_error([1.0], [-1.0]) == 2.0
    assert relative_error(3.0, 4.0) == 0.25
    assert relative_error(np.zeros((0, 3)), np.zeros((0, 3))) == 0.0
    assert isinstance(relative_error([1, 2], [1, 2]), float)


def test_relative_error_does_not_broadcast():
    with pytest.raises(
        ValueError, match=r"a of shape \(5, 1\) and b of shape \(5,\); relative_error does not broadcast"
    ):
        relative_error(np.ones((5, 1)), np.ones(5))
    with pytest.raises(ValueError, match=r"a of shape \(2,\) and b of shape \(3,\)"):
        relative_error([1, 2], [1, 2, 3])
    with pytest.raises(TypeError, match="a must be a number or an array of numbers, got str"):
        relative_error("1", [1.0])


def test_relative_error_of_nonfinite_values_is_inf():
    assert relative_error([1.0, np.nan], [1.0, 2.0]) == math.inf
    assert relative_error([1.0, 2.0], [np.inf, 2.0]) == math.inf
    assert relative_error([np.inf], [np.inf]) == math.inf


def test_relative_error_of_huge_values_does_not_overflow():
    assert relative_error([1e308, 1.0], [-1e308, 1.0]) == 2.0
    assert relative_error([1e308], [1e308]) == 0.0


# ----------------------------------------------------------------------------------------------------
# Display: readable, deterministic, no memory addresses.


def all_kinds_of_results() -> list[GradCheckResult]:
    f, grad, w = quadratic(12_000)
    return [
        check_gradient(MSE, MSE_GRAD, W_MSE),
        check_gradient(MSE, lambda w: 2 * MSE_GRAD(w), W_MSE),
        check_gradient(MODEL, lambda p: {**MODEL_GRAD(p), "b": 0.0}, P_MODEL),
        check_gradient(MSE, lambda w: None, W_MSE),
        check_gradient(f, grad, w),
    ]


def test_repr_is_readable_and_has_no_addresses():
    for result in all_kinds_of_results():
        text = repr(result)
        assert "0x" not in text and " at " not in text.split("\n")[0]
        assert str(result) == text
        lines = text.split("\n")
        assert lines[0] == f"GradCheckResult({'OK' if result.ok else 'FAIL'}, kind={result.kind!r})"
        assert any(line.strip().startswith("diagnosis:") for line in lines)
        assert re.search(r"max relative error: +(\S+)", text)
        assert "object at" not in result._repr_html_() and "0x" not in result._repr_html_()


def test_repr_uses_fixed_significant_digits():
    text = repr(check_gradient(MSE, lambda w: 2 * MSE_GRAD(w), W_MSE))
    assert "  max relative error: 0.50\n" in text
    assert "  tolerance:          1.0e-06\n" in text
    assert "  factor:             2\n" in text
    assert re.search(r"  expected noise: +\d\.\de-\d\d\n", text)


def test_html_table_shows_status_and_rows():
    result = check_gradient(MSE, lambda w: 2 * MSE_GRAD(w), W_MSE)
    page = result._repr_html_()
    for word in ("status", "FAIL", "max relative error", "tolerance", "expected noise", "diagnosis"):
        assert word in page
    assert page.count("<tr><td") == 5  # one row per entry of a small w
    assert "<td>2.000</td>" in page  # the ratio column
    assert "(an extra 2?)" in page


def test_html_escapes_the_students_text():
    def grad(w):
        raise ValueError("<script>oops</script>")

    page = check_gradient(MSE, grad, W_MSE)._repr_html_()
    assert "<script>" not in page and "&lt;script&gt;" in page


def test_html_of_a_large_w_shows_a_few_rows():
    f, grad, w = quadratic(500)
    bad = check_gradient(f, lambda w: grad(w) + 5.0 * (np.arange(w.size) == 123), w)
    assert bad.kind == "partial" and bad.wrong_parts == ("w[123]",)
    assert len(bad.rows) == 5 and any(label == "w[123]" for label, _, _ in bad.rows)
    good = check_gradient(f, grad, w)
    assert [label for label, _, _ in good.rows] == ["w[0]", "w[1]", "w[2]", "w[3]", "w[4]"]


@pytest.mark.parametrize("scale", [1 + 2e-6, 1 + 2e-5, 1 - 3e-5])
def test_a_factor_close_to_one_is_not_called_a_sign_error(scale):
    rng = np.random.default_rng(1)
    A = rng.normal(size=(6, 6))
    A = A @ A.T  # symmetric, so the gradient of w^T A w / 2 is A w

    def f(w):
        return 0.5 * w @ A @ w

    result = check_gradient(f, lambda w: scale * (A @ w), rng.normal(size=6), rtol=1e-7)
    assert not result and result.kind == "factor"
    assert "sign" not in result.diagnosis
    assert f"{abs(scale - 1):.1e}" in result.diagnosis and "close to 1" in result.diagnosis
    assert result.factor == pytest.approx(scale, rel=1e-7)


# ---------------------------------------------------------------------------------------------
# Where the default step misleads: large |w|, float32 gradients, and a kink next to w.


def _sin_sum(w):
    return np.sum(np.sin(w))


W_LARGE = np.random.default_rng(12).uniform(-1.0, 1.0, size=6)


@pytest.mark.parametrize("size", [1e4, 1e6])
def test_a_right_gradient_at_large_w_passes(size):
    w = size + W_LARGE
    result = check_gradient(_sin_sum, np.cos, w)
    assert result.ok and result.kind == "ok", result
    assert "too large for how fast f changes" in result.diagnosis and "adaptive" in result.diagnosis
    assert result.max_relative_error <= 1e-8


@pytest.mark.parametrize("size", [1e4, 1e6])
def test_a_gradient_off_by_a_tenth_of_a_percent_at_large_w_fails_as_a_factor(size):
    # truncation error is not noise: the check must not widen its tolerance to let 0.1% through
    result = check_gradient(_sin_sum, lambda w: 1.001 * np.cos(w), size + W_LARGE)
    assert not result.ok and result.kind == "factor", result
    assert result.factor == pytest.approx(1.001, rel=1e-6)
    assert "larger h" not in result.diagnosis and "kink" not in result.diagnosis


def test_too_many_coordinates_to_adapt_names_truncation_and_a_smaller_h(monkeypatch):
    from labcode.gradcheck import _probes

    monkeypatch.setattr(_probes, "ADAPT_LIMIT", 2)
    result = check_gradient(_sin_sum, lambda w: 1.001 * np.cos(w), 1e4 + W_LARGE)
    assert result.kind == "noisy" and "truncation error, not noise" in result.diagnosis
    assert "smaller h" in result.diagnosis and "larger h" not in result.diagnosis


def test_a_failing_float32_gradient_is_named_float32():
    # grad computes 2 (w - c) in float32: at w = c + 1e-4 with c = 1e4, float32 keeps ~3 digits of it
    c = 1e4

    def loss(w):
        return float(np.sum((w - c) ** 2))

    def grad32(w):
        return 2 * (w.astype(np.float32) - np.float32(c))

    result = check_gradient(loss, grad32, c + 1e-4 * (1 + W_LARGE))
    assert not result.ok and "grad returns float32" in result.diagnosis, result


def test_a_right_relu_gradient_next_to_a_kink_passes_with_a_note():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(5, 3))
    w = rng.normal(size=3)
    # move w so that sample 0's pre-activation is 1e-8 above 0: its kink is inside the step 3e-6
    w = w - X[0] * ((X[0] @ w) - 1e-8) / (X[0] @ X[0])
    assert 0 < X[0] @ w < 2e-8

    def loss(w):
        return float(np.mean(np.maximum(X @ w, 0.0)))

    def grad(w):
        return X.T @ (X @ w > 0) / X.shape[0]

    result = check_gradient(loss, grad, w)
    assert result.ok and result.kind == "ok", result
    assert "kink within the finite-difference step" in result.diagnosis and "w's side" in result.diagnosis
    # the slope from the other side is not w's: a grad that uses it fails
    wrong = check_gradient(loss, lambda w: X.T @ (X @ w > 1e-6) / X.shape[0], w)
    assert not wrong.ok
    # exactly at the kink there is no side of w: still a kink, inconclusive
    at_kink = w - X[0] * (X[0] @ w) / (X[0] @ X[0])
    assert check_gradient(loss, grad, at_kink).kind == "kink"
