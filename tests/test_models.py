"""labcode.models: automatic gradients against hand-derived ones and labcode.losses, and training with labcode.optim."""

from __future__ import annotations

import numpy as np
import pytest
from autodiff_cases import assert_close
from error_facts import raises_naming
from hypothesis import given, settings
from hypothesis import strategies as st

from labcode import losses, models, optim
from labcode.autodiff import grad, hessian
from labcode.gradcheck import check_gradient

LOSS_TARGETS = {"mse": "real", "bce": "binary", "cross_entropy": "classes"}


def data(seed: int, n: int = 30, d: int = 4, kind: str = "real", k: int = 3):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    if kind == "binary":
        return X, (rng.uniform(size=n) < 0.5).astype(float)
    if kind == "soft":
        return X, rng.uniform(size=n)
    if kind == "classes":
        return X, rng.integers(0, k, size=n)
    return X, rng.normal(size=n)


def close_dicts(a: dict, b: dict, rtol: float = 1e-12) -> None:
    assert a.keys() == b.keys()
    for name in a:
        assert np.shape(a[name]) == np.shape(b[name]), name
        assert_close(a[name], b[name], rtol=rtol)


# ---------------------------------------------------------------------------------------------------------
# Linear models: autodiff against labcode.losses
# ---------------------------------------------------------------------------------------------------------


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**16), soft=st.booleans())
def test_logistic_regression_matches_losses(seed, soft):
    X, y = data(seed, kind="soft" if soft else "binary")
    rng = np.random.default_rng(seed + 1)
    params = {"w": rng.normal(size=4), "b": float(rng.normal())}
    assert np.isclose(models.logistic_loss(params, X, y), losses.bce(params, X, y), rtol=1e-13)
    close_dicts(grad(models.logistic_loss)(params, X, y), losses.bce_grad(params, X, y))
    close_dicts(models.logistic_grad(params, X, y), losses.bce_grad(params, X, y))


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**16), k=st.integers(2, 4))
def test_softmax_regression_matches_losses(seed, k):
    X, y = data(seed, kind="classes", k=k)
    rng = np.random.default_rng(seed + 1)
    params = {"W": rng.normal(size=(4, k)), "b": rng.normal(size=k)}
    expected = losses.softmax_cross_entropy(params, X, y)
    assert np.isclose(models.softmax_loss(params, X, y), expected, rtol=1e-13)
    close_dicts(grad(models.softmax_loss)(params, X, y), models.softmax_grad(params, X, y))
    assert_close(models.softmax_predict_proba(params, X).sum(axis=1), np.ones(30))


def test_linear_regression_matches_losses():
    X, y = data(0)
    params = {"w": np.array([0.5, -1.0, 0.0, 2.0]), "b": 0.25}
    assert np.isclose(models.linear_loss(params, X, y), losses.mse(params, X, y), rtol=1e-13)
    close_dicts(grad(models.linear_loss)(params, X, y), models.linear_grad(params, X, y))


def test_logistic_loss_is_stable_for_huge_logits():
    X = np.array([[1.0], [-1.0]])
    y = np.array([1.0, 1.0])
    params = {"w": np.array([1e4]), "b": 0.0}  # logits +1e4 (right) and -1e4 (wrong by 1e4)
    assert np.isclose(models.logistic_loss(params, X, y), 1e4 / 2)
    g = grad(models.logistic_loss)(params, X, y)
    close_dicts(g, models.logistic_grad(params, X, y))


def test_logistic_hessian_is_x_transpose_d_x():
    X, y = data(3, n=25, d=3, kind="binary")
    w = np.array([0.3, -0.2, 0.1])

    def loss(w):
        return models.logistic_loss({"w": w, "b": 0.0}, X, y)

    p = losses.sigmoid(X @ w)
    assert_close(hessian(loss)(w), X.T @ (X * (p * (1 - p))[:, None]) / 25)


# ---------------------------------------------------------------------------------------------------------
# The MLP: grad of the loss against backprop by hand, and against finite differences
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("activation", models.ACTIVATIONS)
@pytest.mark.parametrize("loss", models.MLP_LOSSES)
def test_mlp_autodiff_equals_backprop_by_hand(activation, loss):
    k = 3 if loss == "cross_entropy" else 1
    X, y = data(1, kind=LOSS_TARGETS[loss], k=k)
    params = models.init_mlp(4, 5, k, seed=2)
    params["b1"] = np.random.default_rng(3).normal(size=5)  # not all zero, so every term is exercised
    by_hand = models.mlp_grad(params, X, y, activation=activation, loss=loss)
    auto = grad(models.mlp_loss)(params, X, y, activation=activation, loss=loss)
    close_dicts(auto, by_hand, rtol=1e-11)
    assert {name: g.shape for name, g in by_hand.items()} == {name: p.shape for name, p in params.items()}


@pytest.mark.parametrize("activation", models.ACTIVATIONS)
@pytest.mark.parametrize("loss", models.MLP_LOSSES)
def test_mlp_gradients_pass_check_gradient(activation, loss):
    k = 3 if loss == "cross_entropy" else 1
    X, y = data(4, n=12, kind=LOSS_TARGETS[loss], k=k)
    params = models.init_mlp(4, 3, k, seed=5)

    def f(p):
        return models.mlp_loss(p, X, y, activation=activation, loss=loss)

    for g in (grad(f), lambda p: models.mlp_grad(p, X, y, activation=activation, loss=loss)):
        result = check_gradient(f, g, params)
        assert result.ok and result.kind == "ok", result


def test_mlp_mse_takes_a_column_or_a_vector_of_targets():
    X, y = data(6)
    params = models.init_mlp(4, 3, 1)
    assert models.mlp_loss(params, X, y) == models.mlp_loss(params, X, y.reshape(-1, 1))
    y_hat = models.mlp_forward(params, X)
    assert y_hat.shape == (30, 1)
    assert np.isclose(models.mlp_loss(params, X, y), np.mean((y_hat[:, 0] - y) ** 2))


def test_init_mlp_shapes_scale_and_seed():
    p = models.init_mlp(20, 32, 3, seed=7)
    assert {name: a.shape for name, a in p.items()} == {
        "W1": (20, 32),
        "b1": (32,),
        "W2": (32, 3),
        "b2": (3,),
    }
    assert np.all(p["b1"] == 0) and np.all(p["b2"] == 0)
    assert 0.15 < p["W1"].std() < 0.30  # 1 / sqrt(20) = 0.22
    close_dicts(p, models.init_mlp(20, 32, 3, seed=7), rtol=0)
    assert not np.allclose(p["W1"], models.init_mlp(20, 32, 3, seed=8)["W1"])


# ---------------------------------------------------------------------------------------------------------
# Training with labcode.optim
# ---------------------------------------------------------------------------------------------------------


def test_logistic_regression_trains_on_separable_data():
    rng = np.random.default_rng(8)
    X = rng.normal(size=(200, 2))
    y = (X @ np.array([2.0, -1.0]) + 0.5 > 0).astype(float)

    def f(p):
        return models.logistic_loss(p, X, y)

    result = optim.gradient_descent(grad(f), models.init_logistic(2), lr=1.0, steps=300, f=f)
    assert result.losses[-1] < 0.25 * result.losses[0]
    assert models.accuracy(y, models.logistic_predict(result.params, X)) >= 0.97


def test_softmax_regression_trains_on_three_blobs():
    rng = np.random.default_rng(9)
    centers = np.array([[2.0, 0.0], [-1.0, 2.0], [-1.0, -2.0]])
    y = rng.integers(0, 3, size=150)
    X = centers[y] + 0.5 * rng.normal(size=(150, 2))

    def f(p):
        return models.softmax_loss(p, X, y)

    result = optim.gradient_descent(grad(f), models.init_softmax(2, 3), lr=1.0, steps=200, f=f)
    assert models.accuracy(y, models.softmax_predict(result.params, X)) >= 0.97


def test_mlp_learns_xor_which_no_linear_model_can():
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = np.array([0.0, 1.0, 1.0, 0.0])

    def f(p):
        return models.mlp_loss(p, X, y, loss="bce")

    result = optim.momentum(grad(f), models.init_mlp(2, 8, 1, seed=0), lr=0.5, beta=0.9, steps=500, f=f)
    predicted = (models.mlp_forward(result.params, X)[:, 0] > 0).astype(float)
    assert models.accuracy(y, predicted) == 1.0
    assert result.losses[-1] < 0.1


# ---------------------------------------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------------------------------------


def test_parameter_mistakes_name_the_parameter_and_the_shapes():
    X, y = data(10)
    p = models.init_mlp(4, 3, 1)
    with raises_naming(ValueError, "params['W1']", "(d, h)", "d = 4", "(5, 3)"):
        models.mlp_loss({**p, "W1": np.zeros((5, 3))}, X, y)
    with raises_naming(ValueError, "params['b1']", "(h,) = (3,)", "(4,)"):
        models.mlp_loss({**p, "b1": np.zeros(4)}, X, y)
    with raises_naming(ValueError, "params", "missing 'b2'"):
        models.mlp_forward({k: v for k, v in p.items() if k != "b2"}, X)
    with raises_naming(TypeError, "params", "dict"):
        models.logistic_loss(np.zeros(4), X, y)
    with raises_naming(ValueError, "params['w']", "(d,) = (4,)"):
        models.logistic_loss({"w": np.zeros(3), "b": 0.0}, X, (y > 0).astype(float))


def test_data_mistakes_are_explained():
    X, y = data(11, kind="binary")
    p = models.init_logistic(4)
    with raises_naming(ValueError, "y", "(n,) = (30,)", "y.ravel()"):
        models.logistic_loss(p, X, y.reshape(-1, 1))
    with raises_naming(ValueError, "[0, 1]", "y[0] = 2.0"):
        models.logistic_loss(p, X, np.full(30, 2.0))
    with raises_naming(ValueError, "range(k) = range(3)", "y[0] = 3"):
        models.softmax_loss(models.init_softmax(4, 3), X, np.full(30, 3))
    with raises_naming(ValueError, "X", "(n, d)"):
        models.linear_predict(models.init_linear(4), np.zeros(4))
    with raises_naming(ValueError, "bce", "one output"):
        models.mlp_loss(models.init_mlp(4, 3, 2), X, y, loss="bce")
    with raises_naming(ValueError, "activation", "'softsign'"):
        models.mlp_forward(models.init_mlp(4, 3, 1), X, activation="softsign")
    with raises_naming(ValueError, "d_hidden", ">= 1", "0"):
        models.init_mlp(4, 0, 1)
    with raises_naming(TypeError, "d_in", "2.5"):
        models.init_mlp(2.5, 3, 1)
    with raises_naming(ValueError, "(2,)", "(3,)"):
        models.accuracy(np.zeros(2), np.zeros(3))
