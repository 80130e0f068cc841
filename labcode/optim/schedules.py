"""Learning-rate schedules: the step size ``lr(t)`` for update t = 0, 1, 2, ... of a run.

Every optimizer in labcode.optim takes ``lr`` as a number (constant) or as a :class:`Schedule`; update t
then uses ``lr(t)``. A schedule is a function of the update's index only, so one schedule object can be
passed to many runs, and ``schedule.values(steps)`` (shape ``(steps,)``) is what a run of ``steps`` updates
will use, for plots.

- ``step_decay(lr, every=, factor=)``: ``lr * factor ** (t // every)`` (torch's ``StepLR``);
- ``inverse_time(lr, decay=)``: ``lr / (1 + decay * t)``, the 1/t decay (``LambdaLR`` in torch);
- ``cosine(lr, steps=, lr_min=)``: ``lr_min + (lr - lr_min) (1 + cos(pi t / steps)) / 2``, then ``lr_min``
  from ``t = steps`` on (``CosineAnnealingLR``);
- ``warmup(base, steps=)``: ``base(0) (t + 1) / steps`` for ``t < steps``, then ``base(t - steps)`` (torch's
  ``LinearLR`` followed by ``base`` in a ``SequentialLR``).

A schedule's values are checked as they are used: each must be a finite number >= 0 (a negative rate
would climb the loss, a nan end the run as "diverged" with no word of why), else a ValueError names the
update, ``lr(3)``.

Why decay at all: with mini-batch gradients a constant step keeps bouncing at a noise floor whose size is
proportional to ``lr``; a step that decays to 0 (while its sum still diverges, as 1/t's does) reaches the
minimum. Why warm up: an adaptive method's first steps are taken on the first few gradients alone.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from labcode._checks import require_callable, require_int, require_positive

__all__ = ["Schedule", "cosine", "inverse_time", "learning_rate", "step_decay", "warmup"]


@dataclass(frozen=True, eq=False)
class Schedule:
    """A learning rate for each update: ``schedule(t) -> float`` for t = 0, 1, ...; ``name`` describes it.

    Its values must be finite and >= 0 (a negative rate would climb the loss):

    >>> Schedule("halving", lambda t: 0.1 * 0.5**t).values(3)
    array([0.1  , 0.05 , 0.025])
    >>> Schedule("ascent", lambda t: -0.1)(0)
    Traceback (most recent call last):
    ...
    ValueError: lr(0), the learning rate of update 0, must be a finite number >= 0, got -0.1
    """

    name: str
    rate: Callable[[int], float]

    def __post_init__(self) -> None:
        if not isinstance(self.name, str):
            raise TypeError(f"name must be a string describing the schedule, got {type(self.name).__name__}")
        require_callable(self.rate, "rate")

    def __call__(self, t: int) -> float:
        t = require_int(t, "t", minimum=0)
        return _rate_value(self.rate(t), t)

    def values(self, steps: int) -> np.ndarray:
        """``lr(t)`` for the updates t = 0, ..., steps - 1 of a run of ``steps`` updates: ``(steps,)``."""
        steps = require_int(steps, "steps", minimum=0)
        return np.array([_rate_value(self.rate(t), t) for t in range(steps)], dtype=float)

    def __repr__(self) -> str:
        return self.name


def _rate_value(value: Any, t: int) -> float:
    """A schedule's value at update t: a finite number >= 0. A negative rate would climb the loss
    (gradient ascent) and a nan would end the run as 'diverged' with no word of why."""
    return require_positive(value, f"lr({t}), the learning rate of update {t},", or_zero=True)


def _base(base: Any, name: str) -> Schedule:
    """A schedule from a number (constant) or a Schedule."""
    if isinstance(base, Schedule):
        return base
    value = require_positive(base, name)
    return Schedule(f"{value:g}", lambda t: value)


def step_decay(lr: float, *, every: int, factor: float = 0.1) -> Schedule:
    """``lr * factor ** (t // every)``: the rate drops by ``factor`` every ``every`` updates (0 < factor < 1)."""
    lr = require_positive(lr, "lr")
    every = require_int(every, "every", minimum=1)
    factor = require_positive(factor, "factor")
    if factor >= 1:
        raise ValueError(f"factor must be in (0, 1) for a decay, got {factor!r}")
    return Schedule(
        f"step_decay(lr={lr:g}, every={every}, factor={factor:g})", lambda t: lr * factor ** (t // every)
    )


def inverse_time(lr: float, *, decay: float) -> Schedule:
    """``lr / (1 + decay * t)``: the 1/t decay; the steps shrink to 0 while their sum still diverges."""
    lr = require_positive(lr, "lr")
    decay = require_positive(decay, "decay")
    return Schedule(f"inverse_time(lr={lr:g}, decay={decay:g})", lambda t: lr / (1.0 + decay * t))


def cosine(lr: float, *, steps: int, lr_min: float = 0.0) -> Schedule:
    """Half a cosine from ``lr`` at t = 0 down to ``lr_min`` at t = ``steps``, and ``lr_min`` after (torch's
    CosineAnnealingLR rises again after ``T_max``; pass ``steps`` = the run's length and the two agree)."""
    lr = require_positive(lr, "lr")
    steps = require_int(steps, "steps", minimum=1)
    lr_min = require_positive(lr_min, "lr_min", or_zero=True)
    if lr_min >= lr:
        raise ValueError(f"lr_min must be below lr = {lr:g}, got {lr_min!r}")

    def rate(t: int) -> float:
        return lr_min + (lr - lr_min) * (1.0 + math.cos(math.pi * min(t, steps) / steps)) / 2.0

    return Schedule(f"cosine(lr={lr:g}, steps={steps}, lr_min={lr_min:g})", rate)


def warmup(base: float | Schedule, *, steps: int) -> Schedule:
    """A linear warm-up over the first ``steps`` updates, ``base(0) * (t + 1) / steps``, then ``base(t - steps)``.

    ``base`` is a number (constant after the warm-up) or a schedule, which starts when the warm-up ends.
    """
    base = _base(base, "base")
    steps = require_int(steps, "steps", minimum=1)
    top = base.rate(0)

    def rate(t: int) -> float:
        return top * (t + 1) / steps if t < steps else base.rate(t - steps)

    return Schedule(f"warmup({base!r}, steps={steps})", rate)


def learning_rate(lr: Any) -> Callable[[int], float]:
    """The optimizers' ``lr`` argument as a function of the update t: a number > 0 or a :class:`Schedule`
    (or any function of t whose values are finite and >= 0)."""
    if isinstance(lr, Schedule):
        rate = lr.rate
        return lambda t: _rate_value(rate(t), t)
    if callable(lr) and not isinstance(lr, (int, float, np.number)):
        require_callable(lr, "lr")
        return lambda t: _rate_value(lr(t), t)
    value = require_positive(lr, "lr")
    return lambda t: value
