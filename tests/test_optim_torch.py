"""labcode.optim's SGD, RMSProp, Adam, AdamW and schedules against torch.optim, step by step on the same gradients.

Both sides see the same gradient at every step: torch's parameters are handed to the same numpy gradient
(full or mini-batch, the same indices from the same Minibatches), and its optimizer does the update. So the
two trajectories differ only by the order of floating-point operations inside one update: equal to 1e-12.
"""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

import numpy as np
import pytest
import torch

from labcode import losses, optim
from labcode.optim import Minibatches

TOL = 1e-12
STEPS = 150
N, D = 64, 3


def data(seed=0):
    rng = np.random.default_rng(seed)
    # badly scaled features, so that the adaptive methods' per-coordinate steps matter
    X = rng.normal(size=(N, D)) * np.array([1.0, 10.0, 0.1])
    y = (X @ np.array([1.0, -0.2, 5.0]) + 0.5 * rng.normal(size=N) > 0).astype(float)
    return X, y


X, Y = data()
W0 = {"w": np.array([0.3, -0.1, 0.2]), "b": np.array(0.1)}


def full_grad(p):
    return losses.bce_grad(p, X, Y)


def batch_grad(p, idx):
    return losses.bce_grad(p, X[idx], Y[idx])


def torch_path(make_optimizer, w0, grad, steps, *, batches=None, make_scheduler=None):
    """torch.optim's iterates ``{name: (steps + 1, *shape)}`` when fed ``grad`` (numpy) at every step."""
    params = {k: torch.tensor(v, dtype=torch.float64) for k, v in w0.items()}
    opt = make_optimizer(list(params.values()))
    scheduler = None if make_scheduler is None else make_scheduler(opt)
    stream = None if batches is None else batches.stream()
    path = {k: [v.numpy().copy()] for k, v in params.items()}
    for _ in range(steps):
        w = {k: v.detach().numpy().copy() for k, v in params.items()}
        g = grad(w) if stream is None else grad(w, next(stream))
        for k, p in params.items():
            p.grad = torch.as_tensor(np.asarray(g[k], dtype=float))
        opt.step()
        if scheduler is not None:
            scheduler.step()
        for k, p in params.items():
            path[k].append(p.detach().numpy().copy())
    return {k: np.array(v) for k, v in path.items()}


def assert_same_path(ours, theirs):
    assert ours.n_steps == STEPS and not ours.diverged
    for k in theirs:
        assert ours.path[k].shape == theirs[k].shape
        gap = np.max(np.abs(ours.path[k] - theirs[k]))
        assert gap <= TOL, f"{ours.method} {k}: max |labcode - torch| = {gap:.3g}"
    # the run moved: a comparison of two runs that stand still would pass vacuously
    moved = max(np.max(np.abs(ours.path[k][-1] - ours.path[k][0])) for k in theirs)
    assert moved > 0.05


BATCHES = Minibatches(N, 8, seed=3)
# The variants with short memories (alpha 0.9, beta2 0.9) run at a smaller lr: once RMSProp or Adam reaches
# the minimum of a full-batch loss it bounces around it at lr's scale, each coordinate's step normalised to
# about lr, and that map amplifies a last-bit difference between the two libraries (by 1e9 in 50 steps here).
# Compared while they still descend, the two agree to round-off.
CASES = {
    "SGD": (dict(lr=0.2), lambda ps: torch.optim.SGD(ps, lr=0.2)),
    "SGD, momentum 0.9": (
        dict(lr=0.05, momentum=0.9),
        lambda ps: torch.optim.SGD(ps, lr=0.05, momentum=0.9),
    ),
    "SGD, Nesterov": (
        dict(lr=0.05, momentum=0.9, nesterov=True),
        lambda ps: torch.optim.SGD(ps, lr=0.05, momentum=0.9, nesterov=True),
    ),
    "RMSprop": (dict(lr=0.01), lambda ps: torch.optim.RMSprop(ps, lr=0.01)),
    "RMSprop, alpha 0.9, eps 1e-3": (
        dict(lr=0.005, alpha=0.9, eps=1e-3),
        lambda ps: torch.optim.RMSprop(ps, lr=0.005, alpha=0.9, eps=1e-3),
    ),
    "Adam": (dict(lr=0.05), lambda ps: torch.optim.Adam(ps, lr=0.05)),
    "Adam, betas (0.5, 0.9), eps 1e-4": (
        dict(lr=0.005, betas=(0.5, 0.9), eps=1e-4),
        lambda ps: torch.optim.Adam(ps, lr=0.005, betas=(0.5, 0.9), eps=1e-4),
    ),
    "AdamW": (dict(lr=0.05), lambda ps: torch.optim.AdamW(ps, lr=0.05)),
    "AdamW, weight decay 0.5, betas (0.8, 0.95)": (
        dict(lr=0.005, weight_decay=0.5, betas=(0.8, 0.95)),
        lambda ps: torch.optim.AdamW(ps, lr=0.005, weight_decay=0.5, betas=(0.8, 0.95)),
    ),
}
LABCODE = {"SGD": optim.sgd, "RMSprop": optim.rmsprop, "Adam": optim.adam, "AdamW": optim.adamw}


@pytest.mark.parametrize("batched", [False, True], ids=["full batch", "mini-batches"])
@pytest.mark.parametrize("case", list(CASES))
def test_trajectory_equals_torch_optim(case, batched):
    kwargs, make_optimizer = CASES[case]
    ours_fn = LABCODE[case.split(",")[0]]
    if batched:
        ours = ours_fn(batch_grad, W0, steps=STEPS, batches=BATCHES, **kwargs)
        theirs = torch_path(make_optimizer, W0, batch_grad, STEPS, batches=BATCHES)
    else:
        ours = ours_fn(full_grad, W0, steps=STEPS, **kwargs)
        theirs = torch_path(make_optimizer, W0, full_grad, STEPS)
    assert_same_path(ours, theirs)


def test_torch_gets_the_same_batches_as_labcode():
    # the comparison above is only as good as the batches both sides see: record them from inside grad
    seen = []

    def recording_grad(p, idx):
        seen.append(idx.copy())
        return batch_grad(p, idx)

    optim.sgd(recording_grad, W0, lr=0.1, steps=20, batches=BATCHES)
    np.testing.assert_array_equal(np.array(seen), BATCHES.take(21))


# torch's schedulers scale the optimizer's lr, LR below, by a factor that changes with the step
LR = 0.05
SCHEDULES = {
    "step": (
        optim.step_decay(LR, every=40, factor=0.5),
        lambda opt: torch.optim.lr_scheduler.StepLR(opt, step_size=40, gamma=0.5),
    ),
    "1/t": (
        optim.inverse_time(LR, decay=0.1),
        lambda opt: torch.optim.lr_scheduler.LambdaLR(opt, lambda t: 1 / (1 + 0.1 * t)),
    ),
    "cosine": (
        # to the end of the run: after T_max torch's cosine rises again, labcode's stays at lr_min
        optim.cosine(LR, steps=STEPS, lr_min=0.001),
        lambda opt: torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=STEPS, eta_min=0.001),
    ),
    "warm-up, then cosine": (
        optim.warmup(optim.cosine(LR, steps=STEPS - 10), steps=10),
        lambda opt: torch.optim.lr_scheduler.SequentialLR(
            opt,
            [
                torch.optim.lr_scheduler.LinearLR(opt, start_factor=1 / 10, end_factor=1.0, total_iters=9),
                torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=STEPS - 10),
            ],
            milestones=[10],
        ),
    ),
}


@pytest.mark.parametrize("name", list(SCHEDULES))
def test_schedules_equal_torch_lr_schedulers(name):
    schedule, make_scheduler = SCHEDULES[name]
    opt = torch.optim.SGD([torch.zeros(1, dtype=torch.float64)], lr=LR)
    scheduler = make_scheduler(opt)
    theirs = []
    for _ in range(STEPS):
        theirs.append(opt.param_groups[0]["lr"])
        opt.step()
        scheduler.step()
    np.testing.assert_allclose(schedule.values(STEPS), theirs, rtol=TOL, atol=0)


# AdamW's decay is lr(t) * weight_decay: the schedule scales it too
ADAMS = {
    "Adam": (optim.adam, torch.optim.Adam, {}),
    "AdamW": (optim.adamw, torch.optim.AdamW, {"weight_decay": 0.1}),
}


@pytest.mark.parametrize("method", list(ADAMS))
@pytest.mark.parametrize("name", ["cosine", "warm-up, then cosine"])
def test_adam_with_a_schedule_equals_torch(name, method):
    schedule, make_scheduler = SCHEDULES[name]
    ours_fn, torch_optimizer, kwargs = ADAMS[method]
    ours = ours_fn(batch_grad, W0, lr=schedule, steps=STEPS, batches=BATCHES, **kwargs)
    theirs = torch_path(
        lambda ps: torch_optimizer(ps, lr=LR, **kwargs),
        W0,
        batch_grad,
        STEPS,
        batches=BATCHES,
        make_scheduler=make_scheduler,
    )
    assert_same_path(ours, theirs)


@pytest.mark.parametrize("batched", [False, True], ids=["full batch", "mini-batches"])
def test_l2_in_the_loss_is_torch_adam_weight_decay_and_not_adamw(batched):
    # torch.optim.Adam(weight_decay=wd) adds wd * w to the gradient: labcode's adam on the gradient of the loss
    # plus (wd / 2) |w|^2. AdamW decouples the decay, and its path differs (chapter 11).
    wd = 0.5

    def with_l2(p, *idx):
        g = full_grad(p) if not idx else batch_grad(p, idx[0])
        return {k: g[k] + wd * p[k] for k in g}

    batches = BATCHES if batched else None
    kwargs = dict(lr=0.05, steps=STEPS, batches=batches)
    coupled = optim.adam(with_l2, W0, **kwargs)
    theirs = torch_path(
        lambda ps: torch.optim.Adam(ps, lr=0.05, weight_decay=wd),
        W0,
        batch_grad if batched else full_grad,
        STEPS,
        batches=batches,
    )
    assert_same_path(coupled, theirs)
    decoupled = optim.adamw(batch_grad if batched else full_grad, W0, weight_decay=wd, **kwargs)
    assert np.max(np.abs(decoupled.path["w"][-1] - coupled.path["w"][-1])) > 1e-3


CHEAT_SHEET_ROWS = {  # the cheat sheet's optimiser table: row name -> (labcode, torch.optim)
    "SGD": (optim.sgd, torch.optim.SGD),
    "SGD + momentum": (optim.sgd, torch.optim.SGD),
    "SGD + Nesterov": (optim.sgd, torch.optim.SGD),
    "RMSProp": (optim.rmsprop, torch.optim.RMSprop),
    "Adam": (optim.adam, torch.optim.Adam),
    "AdamW": (optim.adamw, torch.optim.AdamW),
}


def test_the_cheat_sheet_states_the_defaults_of_labcode_and_torch_optim():
    text = (Path(__file__).parents[1] / "book" / "appendix" / "cheatsheet.md").read_text()
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("| optimiser | update |"))
    rows = {}
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in line.strip("|").split("|")]
        rows[cells[0]] = re.findall(r"`(\w+)=([^`]+)`", cells[-1])
    assert set(rows) == set(CHEAT_SHEET_ROWS)
    stated = 0
    for name, defaults in rows.items():
        ours, theirs = CHEAT_SHEET_ROWS[name]
        for argument, value in defaults:
            value = ast.literal_eval(value)
            for fn in (ours, theirs):
                default = inspect.signature(fn).parameters[argument].default
                assert default == value, (
                    f"{name}: the cheat sheet says {argument}={value!r}, {fn.__name__} has {default!r}"
                )
            stated += 1
    assert stated >= 8


def test_the_torch_compared_against_is_the_pinned_one():
    pins = [
        line.split("==")
        for line in (Path(__file__).parents[1] / "requirements-frameworks.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert all(len(pin) == 2 and pin[1].strip() for pin in pins), "requirements-frameworks.txt: name==version"
    assert torch.__version__.split("+")[0] == dict(pins)["torch"]
