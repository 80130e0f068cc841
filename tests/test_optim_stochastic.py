"""SGD, RMSProp, Adam, mini-batches and schedules: the updates they promise, in the cases that can be worked out
by hand, and the argument checks. (Step by step against torch.optim: test_optim_torch.py.)"""

from __future__ import annotations

import math

import numpy as np
import pytest
from error_facts import raises_naming

from labcode import losses, optim
from labcode.optim import Minibatches


def sum_of_squares(w):
    return float(np.sum(np.asarray(w) ** 2))


def sum_of_squares_grad(w):
    return 2.0 * np.asarray(w)


def regression(n=40, d=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    y = X @ np.arange(1.0, d + 1) + 0.3 * rng.normal(size=n)
    return X, y


X, Y = regression()
W0 = np.zeros(3)


def full_grad(w):
    return losses.mse_grad(w, X, Y)


def batch_grad(w, idx):
    return losses.mse_grad(w, X[idx], Y[idx])


# ----------------------------------------------------------------------------------------------------
# Full batch: the known methods, exactly


def test_sgd_without_momentum_is_gradient_descent_exactly():
    ours = optim.sgd(full_grad, W0, lr=0.05, steps=60, f=lambda w: losses.mse(w, X, Y))
    gd = optim.gradient_descent(full_grad, W0, lr=0.05, steps=60, f=lambda w: losses.mse(w, X, Y))
    np.testing.assert_array_equal(ours.path, gd.path)
    np.testing.assert_array_equal(ours.losses, gd.losses)
    np.testing.assert_array_equal(ours.grad_norms, gd.grad_norms)
    assert ours.method == "sgd" and ours.n_grad_evals == 61


@pytest.mark.parametrize("as_dict", [False, True], ids=["array", "dict"])
def test_sgd_with_momentum_is_labcode_momentum_exactly(as_dict):
    if as_dict:
        w0 = {"w": W0[:2], "b": W0[2:]}

        def grad(p):
            g = full_grad(np.concatenate([p["w"], p["b"]]))
            return {"w": g[:2], "b": g[2:]}
    else:
        w0, grad = W0, full_grad
    ours = optim.sgd(grad, w0, lr=0.02, momentum=0.9, steps=80)
    heavy_ball = optim.momentum(grad, w0, lr=0.02, beta=0.9, steps=80)
    for a, b in zip(optim_leaves(ours.path), optim_leaves(heavy_ball.path), strict=True):
        np.testing.assert_array_equal(a, b)


def optim_leaves(tree):
    return list(tree.values()) if isinstance(tree, dict) else [tree]


def test_sgd_nesterov_iterates_are_the_look_ahead_points_of_momentum_nesterov():
    # momentum(nesterov=True): w_{k+1} = w_k - lr v_{k+1}, gradient at y_k = w_k - lr beta v_k = w_k + beta (w_k - w_{k-1})
    lr, beta = 0.02, 0.9
    ours = optim.sgd(full_grad, W0, lr=lr, momentum=beta, nesterov=True, steps=50)
    sutskever = optim.momentum(full_grad, W0, lr=lr, beta=beta, nesterov=True, steps=50).path
    look_ahead = np.vstack([sutskever[:1], sutskever[1:] + beta * (sutskever[1:] - sutskever[:-1])])
    np.testing.assert_allclose(ours.path, look_ahead, rtol=1e-12, atol=1e-12)
    assert ours.method == "sgd_nesterov"


def test_first_steps_of_rmsprop_and_adam_follow_the_documented_formulas():
    w0, g0 = np.array([1.0, -3.0, 0.5]), sum_of_squares_grad(np.array([1.0, -3.0, 0.5]))
    lr = 0.01
    # RMSProp: s = (1 - alpha) g^2, so the first step is lr g / (sqrt(1 - alpha) |g| + eps): 10 lr with alpha 0.99
    rms = optim.rmsprop(sum_of_squares_grad, w0, lr=lr, steps=1)
    np.testing.assert_allclose(rms.params, w0 - lr * g0 / (0.1 * np.abs(g0) + 1e-8), rtol=1e-14)
    # Adam: m_hat = g and v_hat = g^2 after one step, so every coordinate moves by lr, whatever its scale
    first = optim.adam(sum_of_squares_grad, w0, lr=lr, steps=1)
    np.testing.assert_allclose(w0 - first.params, lr * np.sign(g0), rtol=1e-8)
    # without the correction: m = 0.1 g, sqrt(v) = sqrt(0.001) |g|, a step of 0.1 / sqrt(0.001) = 3.16 lr
    raw = optim.adam(sum_of_squares_grad, w0, lr=lr, steps=1, bias_correction=False)
    np.testing.assert_allclose(
        w0 - raw.params, lr * 0.1 * g0 / (math.sqrt(0.001) * np.abs(g0) + 1e-8), rtol=1e-14
    )
    assert np.all(np.abs(w0 - raw.params) > 3.16 * lr)
    assert raw.options["bias_correction"] is False and "bias_correction" not in first.options


def test_adam_step_does_not_depend_on_the_scale_of_the_gradient():
    scaled = optim.adam(lambda w: 1e4 * sum_of_squares_grad(w), np.ones(2), lr=0.01, steps=30)
    plain = optim.adam(sum_of_squares_grad, np.ones(2), lr=0.01, steps=30)
    # eps = 1e-8 is the only place the scale enters
    np.testing.assert_allclose(scaled.path, plain.path, rtol=1e-6)


def test_dict_parameters_follow_the_same_path_as_the_flat_vector():
    def grad(p):
        g = full_grad(np.concatenate([p["w"], p["b"]]))
        return {"w": g[:2], "b": g[2:]}

    for opt in (optim.rmsprop, optim.adam):
        flat = opt(full_grad, W0, lr=0.01, steps=40)
        named = opt(grad, {"w": W0[:2], "b": W0[2:]}, lr=0.01, steps=40)
        np.testing.assert_array_equal(np.hstack([named.path["w"], named.path["b"]]), flat.path)


def test_a_too_large_sgd_step_is_reported_as_divergence():
    res = optim.sgd(full_grad, W0, lr=5.0, steps=500)
    assert res.diverged and res.n_steps < 500


# ----------------------------------------------------------------------------------------------------
# Mini-batches


def test_each_epoch_visits_every_example_once_in_a_fresh_order():
    batches = Minibatches(10, 3, seed=1)
    assert batches.per_epoch == 3
    drawn = batches.take(6)  # two epochs
    assert drawn.shape == (6, 3) and drawn.dtype == np.intp
    for epoch in (drawn[:3], drawn[3:]):
        assert len(set(epoch.ravel().tolist())) == 9  # 9 distinct indices, one example sits out
    assert not np.array_equal(drawn[:3], drawn[3:])
    np.testing.assert_array_equal(Minibatches(10, 3, seed=1).take(6), drawn)
    assert not np.array_equal(Minibatches(10, 3, seed=2).take(6), drawn)
    np.testing.assert_array_equal(
        Minibatches(10, 3, shuffle=False).take(4), [[0, 1, 2], [3, 4, 5], [6, 7, 8], [0, 1, 2]]
    )


def test_independent_batches_are_drawn_with_replacement_from_the_seed():
    batches = Minibatches(5, 4, seed=0, replace=True)
    drawn = batches.take(500)
    assert drawn.shape == (500, 4) and drawn.min() == 0 and drawn.max() == 4
    assert any(len(set(b.tolist())) < 4 for b in drawn)  # with replacement: repeats within a batch
    np.testing.assert_array_equal(Minibatches(5, 4, seed=0, replace=True).take(500), drawn)
    np.testing.assert_allclose(np.bincount(drawn.ravel(), minlength=5) / drawn.size, 0.2, atol=0.03)
    with raises_naming(ValueError, "replace", "shuffle=False"):
        Minibatches(5, 4, shuffle=False, replace=True)


def test_batched_runs_call_grad_with_the_batch_and_record_its_norm():
    seen = []

    def grad(w, idx):
        seen.append(idx)
        return batch_grad(w, idx)

    batches = Minibatches(len(Y), 8, seed=0)
    res = optim.sgd(grad, W0, lr=0.05, steps=12, batches=batches, f=lambda w: losses.mse(w, X, Y))
    assert res.n_grad_evals == 13 and len(seen) == 13
    assert all(idx.shape == (8,) for idx in seen)
    np.testing.assert_array_equal(np.array(seen), batches.take(13))
    recorded = [np.linalg.norm(batch_grad(w, idx)) for w, idx in zip(res.path, seen, strict=True)]
    np.testing.assert_allclose(res.grad_norms, recorded, rtol=1e-12)
    assert res.options["batch_size"] == 8
    # the same Minibatches gives the same run again
    again = optim.sgd(batch_grad, W0, lr=0.05, steps=12, batches=batches)
    np.testing.assert_array_equal(again.path, res.path)


def test_one_batch_of_everything_is_full_batch_gradient_descent():
    whole = optim.sgd(batch_grad, W0, lr=0.05, steps=30, batches=Minibatches(len(Y), len(Y)))
    gd = optim.gradient_descent(full_grad, W0, lr=0.05, steps=30)
    # the same examples in a shuffled order: equal up to the order of the sums
    np.testing.assert_allclose(whole.path, gd.path, rtol=1e-12, atol=1e-12)


def test_a_decaying_step_gets_closer_to_the_minimum_than_a_constant_one():
    w_star = np.linalg.lstsq(X, Y, rcond=None)[0]
    batches = Minibatches(len(Y), 4, seed=0)
    distance = {}
    for name, lr in {"constant": 0.05, "1/t": optim.inverse_time(0.05, decay=0.05)}.items():
        path = optim.sgd(batch_grad, W0, lr=lr, steps=3000, batches=batches).path
        distance[name] = np.mean(np.linalg.norm(path[-500:] - w_star, axis=1))
    assert distance["1/t"] < distance["constant"] / 3


# ----------------------------------------------------------------------------------------------------
# Schedules


def test_schedule_values():
    np.testing.assert_allclose(
        optim.step_decay(1.0, every=2, factor=0.5).values(6), [1, 1, 0.5, 0.5, 0.25, 0.25], rtol=1e-15
    )
    np.testing.assert_allclose(optim.inverse_time(1.0, decay=0.5).values(3), [1, 1 / 1.5, 1 / 2], rtol=1e-15)
    cos = optim.cosine(1.0, steps=4, lr_min=0.2)
    np.testing.assert_allclose(
        cos.values(7),
        [1, 0.2 + 0.4 * (1 + math.sqrt(0.5)), 0.6, 0.2 + 0.4 * (1 - math.sqrt(0.5)), 0.2, 0.2, 0.2],
        rtol=1e-14,
    )
    warm = optim.warmup(optim.step_decay(1.0, every=2, factor=0.5), steps=4)
    np.testing.assert_allclose(warm.values(8), [0.25, 0.5, 0.75, 1, 1, 1, 0.5, 0.5], rtol=1e-15)
    np.testing.assert_allclose(optim.warmup(0.3, steps=2).values(4), [0.15, 0.3, 0.3, 0.3], rtol=1e-15)
    assert repr(warm) == "warmup(step_decay(lr=1, every=2, factor=0.5), steps=4)"
    assert optim.cosine(1.0, steps=4).values(0).shape == (0,)


def test_a_run_uses_lr_of_t_at_update_t():
    # on f = w^2/2 (grad w) SGD multiplies w by 1 - lr(t) at update t
    schedule = optim.step_decay(0.5, every=2, factor=0.5)
    res = optim.sgd(lambda w: w, np.array([1.0]), lr=schedule, steps=5)
    np.testing.assert_allclose(
        res.path[:, 0], np.concatenate([[1.0], np.cumprod(1 - schedule.values(5))]), rtol=1e-15
    )
    assert "lr=step_decay(lr=0.5, every=2, factor=0.5)" in repr(res)
    # any function of t will do
    res_fn = optim.sgd(lambda w: w, np.array([1.0]), lr=lambda t: 0.5 * 0.5 ** (t // 2), steps=5)
    np.testing.assert_array_equal(res_fn.path, res.path)


# ----------------------------------------------------------------------------------------------------
# AdamW: decoupled weight decay against L2 in the loss (chapter 11)


def test_adamw_without_weight_decay_is_adam_exactly():
    ours = optim.adamw(full_grad, W0, lr=0.05, steps=80, weight_decay=0.0)
    np.testing.assert_array_equal(ours.path, optim.adam(full_grad, W0, lr=0.05, steps=80).path)
    assert ours.method == "adamw" and ours.options["weight_decay"] == 0.0


def test_adamw_shrinks_a_weight_without_gradient_by_one_minus_lr_times_decay_per_step():
    # g = 0: the moments stay 0 and only the decay acts, w_k = (1 - lr * wd)^k w_0, for any wd
    for wd in [0.01, 0.1, 1.0]:
        run = optim.adamw(
            lambda w: np.zeros_like(w), np.array([1.0, -2.0]), lr=0.05, weight_decay=wd, steps=40
        )
        k = np.arange(41)[:, None]
        np.testing.assert_allclose(run.path, (1 - 0.05 * wd) ** k * np.array([1.0, -2.0]), rtol=1e-13)


def test_l2_in_the_loss_moves_adam_by_about_lr_per_step_whatever_its_strength():
    # the decay term wd * w passes through Adam's normalisation: its strength cancels (the chapter's point)
    for wd in [1e-3, 1.0, 1e3]:
        run = optim.adam(lambda w, wd=wd: wd * w, np.array([1.0]), lr=0.01, steps=20)
        steps = -np.diff(run.path[:, 0])
        assert np.all((steps > 0.9 * 0.01) & (steps <= 0.01 * (1 + 1e-9)))


def test_adamw_decay_follows_the_schedule():
    lr = optim.step_decay(0.1, every=5, factor=0.5)
    run = optim.adamw(lambda w: np.zeros_like(w), np.array([1.0]), lr=lr, weight_decay=0.5, steps=10)
    expected = np.cumprod([1.0] + [1 - lr(t) * 0.5 for t in range(10)])
    np.testing.assert_allclose(run.path[:, 0], expected, rtol=1e-14)


# ----------------------------------------------------------------------------------------------------
# Argument checks


@pytest.mark.parametrize(
    ("opt", "kwargs", "error", "facts"),
    [
        (optim.sgd, {"lr": 0.0}, ValueError, ("lr", "> 0")),
        (optim.sgd, {"lr": "0.1"}, TypeError, ("lr", "str")),
        (optim.sgd, {"lr": lambda t: -1.0}, ValueError, ("lr(0)", ">= 0", "-1.0")),
        (optim.sgd, {"lr": 0.1, "steps": 2.5}, TypeError, ("steps", "integer", "2.5")),
        (optim.sgd, {"lr": 0.1, "momentum": 1.0}, ValueError, ("momentum", "[0, 1)", "1.0")),
        (optim.sgd, {"lr": 0.1, "nesterov": True}, ValueError, ("nesterov", "momentum > 0")),
        (optim.sgd, {"lr": 0.1, "nesterov": "yes"}, TypeError, ("nesterov", "'yes'")),
        (optim.rmsprop, {"lr": 0.1, "alpha": 1.5}, ValueError, ("alpha", "[0, 1)", "1.5")),
        (optim.rmsprop, {"lr": 0.1, "eps": 0.0}, ValueError, ("eps", "> 0")),
        (optim.adam, {"lr": 0.1, "betas": (0.9, 1.0)}, ValueError, ("betas[1]", "[0, 1)", "1.0")),
        (optim.adam, {"lr": 0.1, "betas": 0.9}, TypeError, ("betas", "pair", "0.9")),
        (optim.adam, {"lr": 0.1, "bias_correction": 1}, TypeError, ("bias_correction", "1")),
        (optim.adam, {"lr": 0.1, "batches": 8}, TypeError, ("batches", "Minibatches", "int")),
        (optim.adam, {"lr": 0.1, "tol": 1e-6, "batches": Minibatches(4, 2)}, ValueError, ("tol", "batches")),
        (optim.adamw, {"lr": 0.1, "weight_decay": -0.1}, ValueError, ("weight_decay", ">= 0", "-0.1")),
        (optim.adamw, {"lr": 0.1, "betas": (1.0, 0.9)}, ValueError, ("betas[0]", "[0, 1)", "1.0")),
    ],
)
def test_bad_arguments_are_named(opt, kwargs, error, facts):
    with raises_naming(error, *facts):
        opt(sum_of_squares_grad, np.ones(3), **kwargs)


@pytest.mark.parametrize(
    ("make", "error", "facts"),
    [
        (lambda: Minibatches(10, 11), ValueError, ("batch_size", "n_samples = 10", "11")),
        (lambda: Minibatches(10, 0), ValueError, ("batch_size", ">= 1", "0")),
        (lambda: Minibatches(10.0, 2), TypeError, ("n_samples", "integer", "10.0")),
        (lambda: Minibatches(10, 2, seed=-1), ValueError, ("seed", ">= 0", "-1")),
        (lambda: Minibatches(10, 2, shuffle=None), TypeError, ("shuffle", "None")),
        (lambda: Minibatches(10, 2, replace=1), TypeError, ("replace", "1")),
        (lambda: optim.step_decay(0.1, every=0), ValueError, ("every", ">= 1", "0")),
        (lambda: optim.step_decay(0.1, every=5, factor=1.5), ValueError, ("factor", "(0, 1)", "1.5")),
        (lambda: optim.inverse_time(0.1, decay=-1.0), ValueError, ("decay", "> 0", "-1.0")),
        (lambda: optim.cosine(0.1, steps=10, lr_min=0.2), ValueError, ("lr_min", "0.1", "0.2")),
        (lambda: optim.warmup("fast", steps=5), TypeError, ("base", "str")),
        (lambda: optim.warmup(0.1, steps=0), ValueError, ("steps", ">= 1", "0")),
        (lambda: optim.cosine(0.1, steps=10)(-1), ValueError, ("t", ">= 0", "-1")),
    ],
)
def test_bad_batches_and_schedules_are_named(make, error, facts):
    with raises_naming(error, *facts):
        make()


def _quadratic_grad(w):
    return np.array([1.0, 4.0]) * w - 1.0


@pytest.mark.parametrize(
    ("run", "facts"),
    [
        (
            lambda g, w: optim.momentum(g, w, lr=0.1, nesterov="False"),
            ("nesterov", "'False'", "True or False"),
        ),
        (lambda g, w: optim.sgd(g, w, lr=0.1, momentum=0.9, nesterov=1), ("nesterov", "1", "int")),
        (lambda g, w: optim.adam(g, w, lr=0.1, bias_correction="yes"), ("bias_correction", "'yes'")),
        (lambda g, w: Minibatches(4, 2, shuffle="no"), ("shuffle", "'no'")),
    ],
)
def test_flags_must_be_true_or_false(run, facts):
    """The string "False" is truthy: a flag that accepted it would run Nesterov when told not to."""
    with raises_naming(TypeError, *facts):
        run(_quadratic_grad, np.zeros(2))


@pytest.mark.parametrize("value", [-0.1, math.nan, math.inf])
@pytest.mark.parametrize("which", ["sgd", "rmsprop", "adam", "call", "values"])
def test_a_schedule_that_returns_no_learning_rate_is_refused(value, which):
    """A negative rate would climb the loss, a nan end the run as 'diverged' with no word of why."""
    schedule = optim.Schedule("broken", lambda t: value)
    with raises_naming(ValueError, "lr(0)", repr(value)):
        if which == "call":
            schedule(0)
        elif which == "values":
            schedule.values(3)
        else:
            getattr(optim, which)(_quadratic_grad, np.zeros(2), lr=schedule, steps=3)


def test_a_schedule_needs_a_function_of_t():
    with raises_naming(TypeError, "rate", "int"):
        optim.Schedule("x", 5)


def test_batches_need_a_grad_that_takes_the_indices():
    with raises_naming(TypeError, "grad(w, idx)", "_quadratic_grad(w)"):
        optim.sgd(_quadratic_grad, np.zeros(2), lr=0.1, steps=2, batches=Minibatches(4, 2))
