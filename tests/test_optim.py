"""The optimizers do exactly the updates they promise, record them faithfully, and stop for the right reason."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from error_facts import raises_naming
from hypothesis import given, settings
from hypothesis import strategies as st

from labcode.gradcheck import check_gradient
from labcode.numdiff import gradient as numerical_gradient
from labcode.numdiff import hessian as numerical_hessian
from labcode.optim import (
    BLOWUP,
    OptimResult,
    gradient_descent,
    momentum,
    newton,
    quadratic,
    rosenbrock,
)


def sum_of_squares(w):
    return float(np.sum(np.asarray(w) ** 2))


def sum_of_squares_grad(w):
    return 2.0 * np.asarray(w)


def spd(eigenvalues, seed=0):
    """A symmetric matrix with the given eigenvalues and a random orthonormal eigenbasis."""
    d = len(eigenvalues)
    Q, _ = np.linalg.qr(np.random.default_rng(seed).normal(size=(d, d)))
    return Q @ np.diag(eigenvalues) @ Q.T


# ----------------------------------------------------------------------------------------------------
# Exact updates


@pytest.mark.parametrize("shape", [(), (3,), (2, 3), (2, 1, 2)])
def test_one_gradient_step_on_sum_of_squares_scales_w0_by_one_minus_2lr(shape):
    w0 = np.arange(1.0, 1.0 + np.prod(shape, dtype=int)).reshape(shape)
    lr = 0.1
    res = gradient_descent(sum_of_squares_grad, w0, lr=lr, steps=1, f=sum_of_squares)
    np.testing.assert_allclose(res.params, w0 * (1 - 2 * lr), rtol=1e-15)
    assert res.n_steps == 1
    assert res.path.shape == (2, *shape)
    np.testing.assert_array_equal(res.path[0], w0)
    np.testing.assert_array_equal(res.path[1], res.params)
    np.testing.assert_allclose(res.losses, [sum_of_squares(w0), sum_of_squares(res.params)], rtol=1e-15)
    np.testing.assert_allclose(
        res.grad_norms, [2 * np.linalg.norm(w0), 2 * np.linalg.norm(res.params)], rtol=1e-15
    )
    assert not res.converged and not res.diverged
    assert res.method == "gradient_descent"


def test_steps_zero_records_only_the_start():
    w0 = np.array([1.0, -2.0])
    res = gradient_descent(sum_of_squares_grad, w0, lr=0.1, steps=0, f=sum_of_squares)
    assert res.n_steps == 0 and res.path.shape == (1, 2) and res.losses.shape == (1,)
    np.testing.assert_array_equal(res.params, w0)
    assert res.params is not w0


def test_lr_exactly_two_over_L_oscillates_forever():
    # f = 2 w^2 (L = 4), lr = 1/2: w <- w - 0.5 * 4 w = -w, exactly, for ever
    res = gradient_descent(lambda w: 4.0 * w, np.array([1.5]), lr=0.5, steps=7, f=lambda w: 2.0 * w[0] ** 2)
    np.testing.assert_array_equal(res.path[:, 0], 1.5 * (-1.0) ** np.arange(8))
    np.testing.assert_array_equal(res.losses, np.full(8, 4.5))
    assert not res.converged and not res.diverged and res.n_steps == 7


# ----------------------------------------------------------------------------------------------------
# The 2 / L threshold on quadratics


@pytest.mark.parametrize("factor", [0.25, 0.5, 0.75, 0.995])
def test_gd_converges_below_two_over_L(factor):
    # lr = factor * 2 / L with L = 10
    obj = quadratic(spd([1.0, 3.0, 10.0]), b=[1.0, -1.0, 2.0])
    res = gradient_descent(obj.grad, np.zeros(3), lr=factor * 2 / 10.0, steps=5000, f=obj.f, tol=1e-8)
    assert res.converged and not res.diverged
    np.testing.assert_allclose(res.params, obj.argmin, atol=1e-7)
    assert res.final_grad_norm <= 1e-8
    assert np.all(res.grad_norms[:-1] > 1e-8)  # it stopped at the first point below tol


@pytest.mark.parametrize("factor", [1.005, 1.25, 3.0])
def test_gd_diverges_above_two_over_L(factor):
    obj = quadratic(spd([1.0, 3.0, 10.0]), b=[1.0, -1.0, 2.0])
    res = gradient_descent(obj.grad, np.zeros(3), lr=factor * 2 / 10.0, steps=5000, f=obj.f, tol=1e-8)
    assert res.diverged and not res.converged
    assert res.n_steps < 5000  # stopped early
    assert abs(res.final_loss) > BLOWUP
    assert np.all(np.isfinite(res.path)) and np.all(np.isfinite(res.losses))


def test_gd_on_each_eigendirection_multiplies_by_one_minus_lr_lambda():
    lams = np.array([1.0, 4.0, 9.0])
    A = spd(lams, seed=3)
    Q = np.linalg.eigh(A)[1]
    w0 = np.array([1.0, 2.0, -1.0])
    lr = 0.15
    res = gradient_descent(lambda w: A @ w, w0, lr=lr, steps=20)
    coords = res.path @ Q  # coordinates in A's eigenbasis (eigh sorts the eigenvalues ascending)
    expected = (w0 @ Q) * (1 - lr * lams) ** np.arange(21)[:, None]
    np.testing.assert_allclose(coords, expected, rtol=1e-9, atol=1e-14)


# ----------------------------------------------------------------------------------------------------
# Momentum


def test_momentum_with_beta_zero_is_gradient_descent():
    obj = quadratic(spd([1.0, 5.0]), b=[1.0, 2.0])
    gd = gradient_descent(obj.grad, np.ones(2), lr=0.1, steps=30)
    mom = momentum(obj.grad, np.ones(2), lr=0.1, beta=0.0, steps=30)
    np.testing.assert_array_equal(gd.path, mom.path)


def test_momentum_first_steps_follow_the_documented_convention():
    g = np.array([1.0, -2.0])  # a constant gradient: f(w) = g . w
    res = momentum(lambda w: g, np.zeros(2), lr=0.1, beta=0.5, steps=3)
    # v1 = g, v2 = 1.5 g, v3 = 1.75 g; w_k = -lr (v1 + ... + vk)
    np.testing.assert_allclose(res.path, -0.1 * np.array([0.0, 1.0, 2.5, 4.25])[:, None] * g, rtol=1e-15)


def test_momentum_beats_gradient_descent_on_an_ill_conditioned_quadratic():
    mu, L = 1.0, 100.0
    obj = quadratic(spd([mu, 10.0, L], seed=1), b=[1.0, 1.0, 1.0])
    w0 = np.zeros(3)
    gd = gradient_descent(obj.grad, w0, lr=1 / L, steps=20000, tol=1e-8)
    # Polyak's tuning for a quadratic with eigenvalues in [mu, L]
    kappa = L / mu
    lr = 4 / (math.sqrt(L) + math.sqrt(mu)) ** 2
    beta = ((math.sqrt(kappa) - 1) / (math.sqrt(kappa) + 1)) ** 2
    mom = momentum(obj.grad, w0, lr=lr, beta=beta, steps=20000, tol=1e-8)
    nest = momentum(obj.grad, w0, lr=1 / L, beta=beta, steps=20000, tol=1e-8, nesterov=True)
    assert gd.converged and mom.converged and nest.converged
    assert mom.n_steps * 5 < gd.n_steps
    assert nest.n_steps * 3 < gd.n_steps
    np.testing.assert_allclose(mom.params, obj.argmin, atol=1e-7)
    assert nest.method == "nesterov" and mom.method == "momentum"
    # Nesterov evaluates the look-ahead gradient and the gradient at each iterate
    assert nest.n_grad_evals == 2 * nest.n_steps + 1
    assert gd.n_grad_evals == gd.n_steps + 1


def test_nesterov_first_step_uses_the_look_ahead_gradient():
    # with v0 = 0 the look-ahead is w0 itself; the second step looks ahead by lr * beta * v1
    A = np.diag([1.0, 3.0])
    w0 = np.array([1.0, 1.0])
    lr, beta = 0.1, 0.5
    res = momentum(lambda w: A @ w, w0, lr=lr, beta=beta, steps=2, nesterov=True)
    v1 = A @ w0
    w1 = w0 - lr * v1
    v2 = beta * v1 + A @ (w1 - lr * beta * v1)
    np.testing.assert_allclose(res.path, [w0, w1, w1 - lr * v2], rtol=1e-15)


# ----------------------------------------------------------------------------------------------------
# Newton


def test_newton_solves_a_quadratic_in_one_step():
    obj = quadratic(spd([0.01, 1.0, 50.0], seed=2), b=[3.0, -1.0, 0.5])
    res = newton(obj.grad, obj.hess, np.array([10.0, -4.0, 7.0]), f=obj.f)
    assert res.converged and res.n_steps == 1
    np.testing.assert_allclose(res.params, obj.argmin, rtol=1e-10)
    assert res.losses[1] == pytest.approx(obj.min_value, rel=1e-10)


def test_damped_newton_takes_a_shorter_step():
    A = np.diag([1.0, 4.0])
    res = newton(lambda w: A @ w, lambda w: A, np.array([1.0, 1.0]), steps=1, damping=1.0)
    # each eigen-direction is multiplied by 1 - lam / (lam + damping)
    np.testing.assert_allclose(res.params, [0.5, 0.2], rtol=1e-14)
    assert res.method == "newton" and res.options == {"damping": 1.0}


def test_newton_on_rosenbrock_reaches_the_minimum():
    rb = rosenbrock()
    res = newton(rb.grad, rb.hess, np.array([-1.2, 1.0]), f=rb.f)
    assert res.converged and res.n_steps < 20
    np.testing.assert_allclose(res.params, [1.0, 1.0], atol=1e-8)


def test_newton_singular_hessian_says_add_damping():
    H = np.array([[1.0, 0.0], [0.0, 0.0]])
    grad = lambda w: H @ w + np.array([0.0, 1.0])  # noqa: E731
    with raises_naming(ValueError, "singular", "damping"):
        newton(grad, lambda w: H, np.ones(2))
    res = newton(grad, lambda w: H, np.ones(2), damping=1.0, steps=3)
    assert res.n_steps == 3 and np.all(np.isfinite(res.path))


def test_newton_rejects_bad_hessians_and_dict_parameters():
    with raises_naming(ValueError, "hess(w)", "not finite"):
        newton(lambda w: w, lambda w: np.full((2, 2), np.nan), np.ones(2))
    with raises_naming(ValueError, "hess(w)", "(2,)", "(2, 2)"):
        newton(lambda w: w, lambda w: np.ones(2), np.ones(2))
    with raises_naming(TypeError, "w0", "1-D"):
        newton(lambda w: w, lambda w: np.eye(2), {"a": np.ones(2)})
    with raises_naming(ValueError, "w0", "(d,)", "(2, 2)"):
        newton(lambda w: w, lambda w: np.eye(4), np.ones((2, 2)))
    with raises_naming(TypeError, "hess", "function"):
        newton(lambda w: w, None, np.ones(2))


# ----------------------------------------------------------------------------------------------------
# Named parameters


def test_dict_parameters_follow_the_same_path_as_the_flat_vector():
    rng = np.random.default_rng(0)
    w0 = {"W": rng.normal(size=(2, 3)), "b": rng.normal(size=3)}
    saved = {k: v.copy() for k, v in w0.items()}
    scale = {"W": 1.0, "b": 3.0}

    def f(w):
        return sum(scale[k] * np.sum(w[k] ** 2) for k in w)

    def grad(w):
        return {k: 2 * scale[k] * w[k] for k in w}

    res = momentum(grad, w0, lr=0.05, beta=0.5, steps=12, f=f)
    assert set(res.params) == {"W", "b"}
    assert res.params["W"].shape == (2, 3) and res.params["b"].shape == (3,)
    assert res.path["W"].shape == (13, 2, 3) and res.path["b"].shape == (13, 3)
    for k in w0:
        np.testing.assert_array_equal(w0[k], saved[k])  # w0 untouched
        np.testing.assert_array_equal(res.path[k][0], w0[k])
        np.testing.assert_array_equal(res.path[k][-1], res.params[k])

    flat0 = np.concatenate([w0["W"].ravel(), w0["b"]])
    weights = np.concatenate([np.full(6, 1.0), np.full(3, 3.0)])
    flat = momentum(lambda x: 2 * weights * x, flat0, lr=0.05, beta=0.5, steps=12)
    np.testing.assert_allclose(res.path["W"].reshape(13, 6), flat.path[:, :6], rtol=1e-14)
    np.testing.assert_allclose(res.path["b"], flat.path[:, 6:], rtol=1e-14)
    np.testing.assert_allclose(res.grad_norms, flat.grad_norms, rtol=1e-14)
    np.testing.assert_allclose(
        res.losses, [f({"W": W, "b": b}) for W, b in zip(res.path["W"], res.path["b"], strict=True)]
    )
    assert "'W': (2, 3)" in repr(res)


def test_dict_grad_with_wrong_keys_or_shapes_is_named():
    w0 = {"W": np.ones((2, 3)), "b": np.ones(3)}
    with raises_naming(ValueError, "grad(w)", "missing 'b'"):
        gradient_descent(lambda w: {"W": w["W"]}, w0, lr=0.1)
    with raises_naming(ValueError, "grad(w)", "unexpected 'c'"):
        gradient_descent(lambda w: {**w, "c": 1.0}, w0, lr=0.1)
    with raises_naming(ValueError, "grad(w)['b']", "(1, 3)", "(3,)"):
        gradient_descent(lambda w: {"W": w["W"], "b": w["b"][None]}, w0, lr=0.1)
    with raises_naming(TypeError, "grad(w)", "dict"):
        gradient_descent(lambda w: np.ones(9), w0, lr=0.1)
    with raises_naming(ValueError, "w0", "empty dict"):
        gradient_descent(lambda w: w, {}, lr=0.1)


# ----------------------------------------------------------------------------------------------------
# Divergence: stop early, say so, and let no numpy warning escape (pytest turns warnings into errors)


def test_divergence_without_a_loss_is_caught_by_the_parameters_growth():
    res = gradient_descent(lambda w: 10.0 * w, np.array([1.0, 2.0]), lr=1.0, steps=1000)
    assert res.diverged and res.n_steps < 20 and res.losses is None
    assert np.linalg.norm(res.params) > BLOWUP


def test_overflow_inside_grad_is_reported_not_warned():
    # the second gradient overflows to inf inside the user's function
    res = gradient_descent(lambda w: w * 1e300, np.array([10.0]), lr=1.0, steps=50)
    assert res.diverged and res.n_steps == 1
    assert res.grad_norms[-1] == np.inf


def test_a_non_finite_iterate_ends_the_run_without_calling_f():
    calls = []

    def f(w):
        calls.append(w.copy())
        return float(w @ w)

    res = gradient_descent(lambda w: 1e10 * w, np.array([1e10]), lr=1e300, steps=50, f=f)
    assert res.diverged and res.n_steps == 1
    assert not np.isfinite(res.path[-1, 0])
    assert np.isnan(res.losses[-1]) and np.isnan(res.grad_norms[-1])
    assert len(calls) == 1  # f never saw the infinite point


def test_nan_gradient_is_divergence():
    res = momentum(lambda w: np.where(w > 2, np.nan, -1.0), np.array([0.0]), lr=1.0, beta=0.5, steps=100)
    assert res.diverged and not res.converged
    assert np.isnan(res.path[-1]).sum() == 0  # the iterate was finite, its gradient was not
    assert res.grad_norms[-1] == np.inf


def test_loss_unbounded_below_is_divergence():
    res = gradient_descent(lambda w: -2.0 * w, np.array([1.0]), lr=0.5, steps=1000, f=lambda w: -float(w @ w))
    assert res.diverged and res.n_steps < 100


# ----------------------------------------------------------------------------------------------------
# Argument checks


@pytest.mark.parametrize(
    ("kwargs", "error", "facts"),
    [
        ({"lr": 0.0}, ValueError, ("lr", "> 0", "0.0")),
        ({"lr": -0.1}, ValueError, ("lr", "> 0", "-0.1")),
        ({"lr": np.inf}, ValueError, ("lr", "finite")),
        ({"lr": "0.1"}, TypeError, ("lr", "str")),
        ({"lr": 0.1, "steps": -1}, ValueError, ("steps", ">= 0", "-1")),
        ({"lr": 0.1, "steps": 2.5}, TypeError, ("steps", "integer", "2.5")),
        ({"lr": 0.1, "tol": -1.0}, ValueError, ("tol", ">= 0", "-1.0")),
        ({"lr": 0.1, "beta": 1.0}, ValueError, ("beta", "[0, 1)", "1.0")),
        ({"lr": 0.1, "beta": -0.1}, ValueError, ("beta", "[0, 1)", "-0.1")),
    ],
)
def test_bad_arguments_are_named(kwargs, error, facts):
    opt = momentum if "beta" in kwargs else gradient_descent
    with raises_naming(error, *facts):
        opt(sum_of_squares_grad, np.ones(3), **kwargs)


def test_bad_w0_grad_and_f_are_named():
    with raises_naming(ValueError, "w0", "finite", "w0[1]"):
        gradient_descent(sum_of_squares_grad, np.array([1.0, np.nan]), lr=0.1)
    with raises_naming(ValueError, "w0['b']", "finite"):
        gradient_descent(sum_of_squares_grad, {"b": np.array([np.inf])}, lr=0.1)
    with raises_naming(ValueError, "grad(w)", "(3, 1)", "(3,)"):
        gradient_descent(lambda w: w[:, None], np.ones(3), lr=0.1)
    with raises_naming(TypeError, "grad", "function"):
        gradient_descent(None, np.ones(3), lr=0.1)
    with raises_naming(ValueError, "f(w)", "scalar", "(3,)"):
        gradient_descent(sum_of_squares_grad, np.ones(3), lr=0.1, f=lambda w: w)
    with raises_naming(ValueError, "f(w0)", "inf"):
        gradient_descent(sum_of_squares_grad, np.ones(3), lr=0.1, f=lambda w: np.inf)
    with raises_naming(ValueError, "grad(w0)", "not finite"):
        gradient_descent(lambda w: np.full(3, np.nan), np.ones(3), lr=0.1)


def test_grad_that_modifies_its_argument_cannot_corrupt_the_record():
    def grad(w):
        g = 2 * w.copy()
        w[:] = 99.0
        return g

    w0 = np.array([1.0, 2.0])
    res = gradient_descent(grad, w0, lr=0.25, steps=2)
    np.testing.assert_array_equal(w0, [1.0, 2.0])
    np.testing.assert_allclose(res.path, [[1.0, 2.0], [0.5, 1.0], [0.25, 0.5]], rtol=1e-15)


# ----------------------------------------------------------------------------------------------------
# The result object


def test_result_is_frozen_and_has_a_readable_repr():
    obj = quadratic(np.diag([1.0, 2.0]))
    res = gradient_descent(obj.grad, np.ones(2), lr=0.1, steps=5, f=obj.f)
    assert isinstance(res, OptimResult)
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.n_steps = 3
    text = repr(res)
    assert text.startswith("OptimResult(method='gradient_descent', lr=0.1, n_steps=5, converged=False")
    assert "params shape (2,)" in text and "final_loss=" in text
    assert "0x" not in text and "array(" not in text
    assert res.final_loss == pytest.approx(obj.f(res.params), rel=1e-15)


# ----------------------------------------------------------------------------------------------------
# The test functions


def test_quadratic_and_rosenbrock_gradients_and_hessians_are_right():
    obj = quadratic(spd([1.0, 2.0, 5.0]), b=[1.0, 0.0, -1.0])
    w = np.array([0.3, -0.2, 1.1])
    assert check_gradient(obj.f, obj.grad, w).ok
    np.testing.assert_allclose(obj.grad(obj.argmin), 0.0, atol=1e-14)
    rb = rosenbrock(a=1.5, b=20.0)
    for point in ([-1.2, 1.0], [0.5, 0.1], [2.0, 3.0]):
        w = np.array(point)
        assert check_gradient(rb.f, rb.grad, w).ok
        np.testing.assert_allclose(rb.hess(w), numerical_hessian(rb.f, w), rtol=1e-4, atol=1e-4)
        np.testing.assert_allclose(rb.grad(w), numerical_gradient(rb.f, w), rtol=1e-7)
    np.testing.assert_array_equal(rb.grad(rb.argmin), [0.0, 0.0])
    assert rb.f(rb.argmin) == rb.min_value == 0.0


def test_quadratic_rejects_matrices_without_a_unique_minimum():
    with raises_naming(ValueError, "A", "symmetric"):
        quadratic([[1.0, 2.0], [0.0, 1.0]])
    with raises_naming(ValueError, "A", "positive definite"):
        quadratic(np.diag([1.0, -1.0]))
    with raises_naming(ValueError, "A", "(d, d)", "(2, 3)"):
        quadratic(np.ones((2, 3)))
    with raises_naming(ValueError, "b", "(2,)", "(3,)"):
        quadratic(np.eye(2), b=np.ones(3))


# ----------------------------------------------------------------------------------------------------
# Random SPD quadratics


@st.composite
def spd_problems(draw):
    d = draw(st.integers(1, 5))
    eigenvalues = draw(st.lists(st.floats(0.1, 5.0), min_size=d, max_size=d))
    seed = draw(st.integers(0, 2**16))
    A = spd(eigenvalues, seed=seed)
    rng = np.random.default_rng(seed + 1)
    return A, rng.normal(size=d), rng.normal(size=d) * 3


@settings(max_examples=40, deadline=None)
@given(spd_problems())
def test_gd_with_lr_one_over_L_converges_within_the_kappa_bound(problem):
    A, b, w0 = problem
    lams = np.linalg.eigvalsh(A)
    L, kappa = lams[-1], lams[-1] / lams[0]
    obj = quadratic(A, b)
    tol = 1e-8
    g0 = np.linalg.norm(obj.grad(w0))
    # with lr = 1/L every eigen-component of the gradient shrinks by 1 - lam/L <= 1 - 1/kappa per step
    bound = 1  # kappa = 1: one step lands on the minimizer
    if kappa > 1 and g0 > tol:
        bound = math.ceil(math.log(g0 / tol) / -math.log1p(-1 / kappa)) + 1
    res = gradient_descent(obj.grad, w0, lr=1 / L, steps=bound + 5, tol=tol)
    assert res.converged and not res.diverged
    assert res.n_steps <= bound
    assert np.all(np.diff(res.grad_norms) <= 1e-12 * res.grad_norms[0])  # never increases


@settings(max_examples=40, deadline=None)
@given(spd_problems())
def test_newton_lands_on_the_minimizer_of_a_random_quadratic_in_one_step(problem):
    A, b, w0 = problem
    obj = quadratic(A, b)
    res = newton(obj.grad, obj.hess, w0, steps=1, tol=None)
    assert res.n_steps == 1
    scale = np.linalg.norm(obj.argmin) + np.linalg.norm(w0)
    np.testing.assert_allclose(res.params, obj.argmin, atol=1e-12 * scale * np.linalg.cond(A))


@given(
    st.lists(
        st.floats(allow_nan=False, allow_infinity=False, min_value=-1e300, max_value=1e300),
        min_size=1,
        max_size=40,
    )
)
@settings(max_examples=300, deadline=None)
def test_the_recorded_gradient_norm_is_the_scaled_norm_to_the_last_bit(values):
    """The loop's norm (array methods, computed once per step) gives exactly the bits of the scaled formula
    ``m * sqrt(sum((x / m)**2))``, m = max |x_i|: every grad_norms the book prints stays what it was, and a
    vector with entries near 1e300 has a finite norm."""
    from labcode.optim._run import _norm

    x = np.array(values)
    m = np.max(np.abs(x))
    expected = 0.0 if m == 0 else m * float(np.sqrt(np.sum((x / m) ** 2)))
    assert _norm(x) == expected
    assert math.isfinite(_norm(x))  # at most 1e300 * sqrt(40)
