"""Mini-batches: which examples each update of a stochastic optimizer sees, drawn by a seeded generator."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from labcode._checks import require_flag, require_int

__all__ = ["Minibatches"]


@dataclass(frozen=True)
class Minibatches:
    """How a run draws its mini-batches of ``batch_size`` example indices out of ``n_samples``.

    Each epoch takes a fresh permutation of ``0, ..., n_samples - 1`` from ``np.random.default_rng(seed)``
    (``shuffle=False``: the indices in order, every epoch) and cuts it into ``n_samples // batch_size``
    batches of exactly ``batch_size`` indices; the ``n_samples % batch_size`` left over sit that epoch out
    (torch's ``drop_last=True``), so every gradient averages the same number of examples.

    ``replace=True`` draws every batch on its own instead: ``batch_size`` indices uniformly at random, with
    replacement, independent of all other batches. That is the textbook model of SGD (i.i.d. batches, so the
    variance of the mean gradient is exactly the per-example variance over B); epochs, as above, are what
    training code does, and their batches are slightly less noisy.

    This object is only the recipe: every run starts the same stream again, so two runs with the same
    ``Minibatches`` see the same batches.
    """

    n_samples: int
    batch_size: int
    seed: int = 0
    shuffle: bool = True
    replace: bool = False

    def __post_init__(self) -> None:
        n = require_int(self.n_samples, "n_samples", minimum=1)
        size = require_int(self.batch_size, "batch_size", minimum=1)
        if size > n:
            raise ValueError(f"batch_size must be at most n_samples = {n}, got {size}")
        require_int(self.seed, "seed", minimum=0)
        for flag in ("shuffle", "replace"):
            require_flag(getattr(self, flag), flag)
        if self.replace and not self.shuffle:
            raise ValueError("replace=True draws random batches; it cannot be combined with shuffle=False")

    @property
    def per_epoch(self) -> int:
        """How many batches (updates) one pass over the data makes: ``n_samples // batch_size`` (with
        ``replace=True``, how many make up n_samples examples on average, though no batch knows of epochs)."""
        return self.n_samples // self.batch_size

    def stream(self) -> Iterator[np.ndarray]:
        """The batches, from the start, without end: each an int array of ``batch_size`` indices, ``(B,)``."""
        rng = np.random.default_rng(self.seed)
        size = self.batch_size
        while self.replace:
            yield rng.integers(0, self.n_samples, size=size)
        while True:
            order = rng.permutation(self.n_samples) if self.shuffle else np.arange(self.n_samples)
            for start in range(0, self.per_epoch * size, size):
                yield order[start : start + size]

    def take(self, count: int) -> np.ndarray:
        """The first ``count`` batches of the stream: ``(count, batch_size)`` indices."""
        count = require_int(count, "count", minimum=0)
        stream = self.stream()
        return np.array([next(stream) for _ in range(count)], dtype=np.intp).reshape(count, self.batch_size)
