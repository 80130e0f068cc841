"""grad, value_and_grad, jacobian, hessian, hvp, jvp and vjp: against autograd, and against each other.

Autodidax's identities are the tests: <v, J^T u> = <u, J v>, grad agrees with jvp, both Jacobian
modes agree, and every route to the Hessian (forward-over-reverse, reverse-over-reverse,
forward-over-forward, reverse-over-forward, autograd, finite differences) gives the same matrix.
"""

from __future__ import annotations

import autograd
import autograd.numpy as anp
import numpy as np
from autodiff_cases import assert_close
from error_facts import raises_naming
from hypothesis import given, settings
from hypothesis import strategies as st

import labcode.autodiff as ad
from labcode import numdiff
from labcode.autodiff import grad, hessian, hvp, jacobian, jvp, value_and_grad, vjp

# Random compositions, written twice: with labcode.autodiff (ours) and autograd.numpy (theirs).
# Each maps x (d,) and a fixed A (m, d) to (m,); all are smooth everywhere.
PIECES = {
    "tanh(Ax)": (lambda A, x: ad.tanh(A @ x), lambda A, x: anp.tanh(A @ x)),
    "sin(x) * x": (lambda A, x: A @ (ad.sin(x) * x), lambda A, x: A @ (anp.sin(x) * x)),
    "softplus": (lambda A, x: ad.softplus(A @ x), lambda A, x: anp.logaddexp(0.0, A @ x)),
    "sigmoid * exp": (
        lambda A, x: ad.sigmoid(A @ x) * ad.exp(0.1 * x.sum()),
        lambda A, x: 1.0 / (1.0 + anp.exp(-(A @ x))) * anp.exp(0.1 * anp.sum(x)),
    ),
    "square / (1 + x^2)": (
        lambda A, x: (A @ x) ** 2 / (1.0 + (x**2).sum()),
        lambda A, x: (A @ x) ** 2 / (1.0 + anp.sum(x**2)),
    ),
    "logsumexp rows": (
        lambda A, x: ad.logsumexp(A * x, axis=1),
        lambda A, x: anp.log(anp.sum(anp.exp(A * x), axis=1)),
    ),
    "cos of a quadratic": (
        lambda A, x: ad.cos(A @ x * (x @ x)),
        lambda A, x: anp.cos(A @ x * (x @ x)),
    ),
}


def problem(seed: int, d: int, m: int):
    rng = np.random.default_rng(seed)
    return 0.5 * rng.normal(size=(m, d)), rng.normal(size=d), rng.normal(size=d), rng.normal(size=m)


def vector_function(names: list[str], A: np.ndarray):
    """f(x) = the sum of the chosen pieces, (m,), once with ours and once with autograd's functions."""
    return (
        lambda x: sum(PIECES[n][0](A, x) for n in names),
        lambda x: sum(PIECES[n][1](A, x) for n in names),
    )


def scalar_function(names: list[str], A: np.ndarray):
    ours, theirs = vector_function(names, A)
    return (lambda x: (ours(x) * ad.sin(x).sum()).sum()), (lambda x: anp.sum(theirs(x) * anp.sum(anp.sin(x))))


compositions = st.lists(st.sampled_from(sorted(PIECES)), min_size=1, max_size=3)


# ---------------------------------------------------------------------------------------------------------
# Gradients, Jacobians and their identities
# ---------------------------------------------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(names=compositions, seed=st.integers(0, 2**16), d=st.integers(1, 5), m=st.integers(1, 4))
def test_value_and_grad_match_autograd(names, seed, d, m):
    A, x, _, _ = problem(seed, d, m)
    f, f_ag = scalar_function(names, A)
    value, g = value_and_grad(f)(x)
    assert isinstance(value, float)
    assert_close(value, f_ag(x))
    assert_close(g, autograd.grad(f_ag)(x))
    assert_close(grad(f)(x), g)


@settings(max_examples=40, deadline=None)
@given(names=compositions, seed=st.integers(0, 2**16), d=st.integers(1, 5), m=st.integers(1, 4))
def test_jacobians_in_both_modes_match_autograd_and_jvp_vjp_are_adjoint(names, seed, d, m):
    A, x, v, u = problem(seed, d, m)
    f, f_ag = vector_function(names, A)
    J = autograd.jacobian(f_ag)(x)
    assert_close(jacobian(f, mode="forward")(x), J)
    assert_close(jacobian(f, mode="reverse")(x), J)
    value, Jv = jvp(f, x, v)
    value2, uJ = vjp(f, x, u)
    assert_close(value, f_ag(x))
    assert_close(value2, f_ag(x))
    assert_close(Jv, J @ v)
    assert_close(uJ, u @ J)
    assert np.isclose(u @ Jv, uJ @ v, rtol=1e-12, atol=1e-12)  # <u, J v> = <J^T u, v>


@settings(max_examples=40, deadline=None)
@given(names=compositions, seed=st.integers(0, 2**16), d=st.integers(1, 5))
def test_grad_agrees_with_jvp(names, seed, d):
    A, x, v, _ = problem(seed, d, 2)
    f, _ = scalar_function(names, A)
    assert np.isclose(grad(f)(x) @ v, jvp(f, x, v)[1], rtol=1e-12, atol=1e-12)


def test_jacobian_shape_is_output_shape_then_input_shape():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(2, 3))
    A = rng.normal(size=(4, 2))

    def f(X):  # (2, 3) -> (4, 3)
        return ad.tanh(A @ X)

    J_ag = autograd.jacobian(lambda X: anp.tanh(A @ X))(X)
    for mode in ("forward", "reverse"):
        J = jacobian(f, mode=mode)(X)
        assert J.shape == (4, 3, 2, 3)
        assert_close(J, J_ag)


def test_the_seed_example_jacobian():
    """f: R^3 -> R^2 built from scalar pieces with stack, as in torch.autograd.functional.jacobian."""

    def f(x):
        x1, x2, x3 = x
        return ad.stack([x1**2 + 2 * x2 - x3, ad.sin(x1) + x2 * x3])

    x0 = np.array([0.2, -0.3, 0.5])
    expected = np.array([[2 * 0.2, 2.0, -1.0], [np.cos(0.2), 0.5, -0.3]])
    for mode in ("forward", "reverse"):
        assert_close(jacobian(f, mode=mode)(x0), expected)


def test_scalar_inputs_and_outputs():
    assert grad(lambda x: x**3)(2.0) == 12.0
    assert isinstance(grad(lambda x: x**3)(2.0), float)
    assert_close(jacobian(lambda x: ad.stack([x, x**2]))(3.0), [1.0, 6.0])
    assert_close(jacobian(lambda x: (x**2).sum())(np.array([1.0, 2.0])), [2.0, 4.0])
    assert hessian(lambda x: x**3)(2.0) == 12.0
    assert_close(hessian(lambda x: (3.0 * x).sum())(np.ones(3)), np.zeros((3, 3)))  # a linear f


def test_dict_inputs_argnums_and_extra_arguments():
    X = np.array([[1.0, 2.0], [3.0, -1.0], [0.5, 0.0]])
    y = np.array([1.0, 0.0, 2.0])

    def loss(p, X, y, *, scale=1.0):
        return scale * ((X @ p["w"] + p["b"] - y) ** 2).mean()

    p = {"w": np.array([0.1, -0.2]), "b": 0.3}
    value, g = value_and_grad(loss)(p, X, y, scale=2.0)
    r = X @ p["w"] + p["b"] - y
    assert_close(value, 2.0 * np.mean(r**2))
    assert set(g) == {"w", "b"} and isinstance(g["b"], float)
    assert_close(g["w"], 2.0 * 2.0 * X.T @ r / 3)
    assert_close(g["b"], 2.0 * 2.0 * r.mean())
    gX, gy = grad(loss, argnums=(1, 2))(p, X, y)
    assert gX.shape == X.shape and gy.shape == y.shape
    assert_close(gy, -2.0 * r / 3)


def test_unused_inputs_get_zero_gradients():
    assert_close(grad(lambda x: 3.0)(np.ones(2)), np.zeros(2))
    g = grad(lambda p: (p["a"] ** 2).sum())({"a": np.ones(2), "b": np.ones(3)})
    assert_close(g["b"], np.zeros(3))
    assert_close(jacobian(lambda x: np.ones(2))(np.ones(3)), np.zeros((2, 3)))
    assert_close(vjp(lambda x: np.ones(2), np.ones(3), np.ones(2))[1], np.zeros(3))


# ---------------------------------------------------------------------------------------------------------
# Second derivatives: every route agrees
# ---------------------------------------------------------------------------------------------------------


def hessian_routes(f, x):
    """The Hessian of f at x, computed every way the library allows."""
    d = x.size
    eye = np.eye(d)
    return {
        "hessian (reverse-over-reverse)": hessian(f)(x),
        "jacobian(grad, forward) (forward-over-reverse)": jacobian(grad(f), mode="forward")(x),
        "jacobian(jacobian forward) (forward-over-forward)": jacobian(
            jacobian(f, mode="forward"), mode="forward"
        )(x),
        "grad of jvp (reverse-over-forward)": np.stack(
            [grad(lambda x, e=e: jvp(f, x, e)[1])(x) for e in eye]
        ),
        "hvp columns": np.stack([hvp(f, x, e) for e in eye], axis=1),
    }


@settings(max_examples=25, deadline=None)
@given(names=compositions, seed=st.integers(0, 2**16), d=st.integers(1, 4))
def test_every_route_to_the_hessian_agrees(names, seed, d):
    A, x, _, _ = problem(seed, d, 2)
    f, f_ag = scalar_function(names, A)
    expected = autograd.hessian(f_ag)(x)
    for route, H in hessian_routes(f, x).items():
        assert H.shape == (d, d), route
        assert_close(H, expected, rtol=1e-11)
    assert_close(numdiff.hessian(f, x), expected, rtol=1e-4)


def test_hvp_is_hessian_times_v_for_a_logistic_loss():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(20, 3))
    y = (rng.uniform(size=20) < 0.5).astype(float)
    w, v = rng.normal(size=3), rng.normal(size=3)

    def loss(w):
        z = X @ w
        return (ad.softplus(z) - y * z).mean()

    p = 1.0 / (1.0 + np.exp(-(X @ w)))
    H = X.T @ (X * (p * (1 - p))[:, None]) / 20  # X^T diag(p (1 - p)) X / n
    assert_close(hessian(loss)(w), H)
    assert_close(hvp(loss, w, v), H @ v)


def test_third_derivatives_nest_too():
    f = lambda x: ad.sin(x) * x  # noqa: E731
    third = grad(grad(grad(f)))(0.3)  # (x sin x)''' = -3 sin x - x cos x
    assert np.isclose(third, -3 * np.sin(0.3) - 0.3 * np.cos(0.3), rtol=1e-12)
    assert np.isclose(jacobian(hessian(f), mode="forward")(0.3), third, rtol=1e-12)


def test_nested_gradients_do_not_confuse_perturbations():
    # d/dx [x * (d/dy x y at y = 1)] = d/dx x^2 = 2x
    assert grad(lambda x: x * grad(lambda y: x * y)(1.0))(3.0) == 6.0
    # the same question asked of jvp inside grad, and of grad inside jvp
    assert grad(lambda x: x * jvp(lambda y: x * y, 1.0, 1.0)[1])(3.0) == 6.0
    assert jvp(lambda x: x * grad(lambda y: x * y)(1.0), 3.0, 1.0)[1] == 6.0


# ---------------------------------------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------------------------------------


def test_grad_of_a_non_scalar_says_to_use_jacobian():
    with raises_naming(ValueError, "(3,)", "jacobian(f)", ".sum()"):
        grad(lambda x: x * 2.0)(np.ones(3))
    with raises_naming(TypeError, "list", "stack"):
        grad(lambda x: [x.sum(), x.sum()])(np.ones(3))


def test_arguments_are_checked():
    with raises_naming(TypeError, "f", "function"):
        grad(None)
    with raises_naming(TypeError, "argnums", "integer"):
        grad(lambda x: x, argnums="0")
    with raises_naming(TypeError, "positional argument 1", "got 1"):
        grad(lambda x, y: x * y, argnums=1)(2.0)
    with raises_naming(ValueError, "mode", "'sideways'"):
        jacobian(lambda x: x, mode="sideways")
    with raises_naming(TypeError, "jacobian", "argnums"):
        jacobian(lambda x, y: x, argnums=(0, 1))
    with raises_naming(ValueError, "u", "(2,)", "(3,)"):
        vjp(lambda x: x * 2.0, np.ones(2), np.ones(3))
    with raises_naming(TypeError, "argument 0", "number"):
        grad(lambda x: x)("abc")
    with raises_naming(ValueError, "empty dict"):
        grad(lambda p: 0.0)({})
