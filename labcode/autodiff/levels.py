"""Levels: which of several Duals and Tensors runs an operation, scoped to the calls that are running.

Each call of ``jvp``, ``grad``, ``vjp``, ``jacobian``... runs f inside ``with new_level(...) as level:``,
which pushes a level one above every level in use and pops it when f returns (or raises): a stack, like
autograd's trace stack. The Duals and Tensors the call makes carry its level. When an operation meets
operands of several levels, the highest one runs it and treats the others as constants, so a derivative
nested inside another never mixes up their tangents ("perturbation confusion"); when the calls end, the
stack is empty again and the next call starts from level 1, whatever ran before.

Duals and Tensors made by hand are at level 0, and a Dual made by hand around Duals or Tensors one above
them (:func:`hand_made_level`); the highest such level is remembered, so that a call inside f still
lands above a hand-made nest f closes over. ``no_grad`` (:func:`recording_off`) is scoped the same way.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

_running: list[int] = []  # the levels of the calls now running, innermost last
_hand_made = 0  # the highest level of a Dual made by hand around Duals or Tensors (0 when there is none)
_recording_from = 0  # Tensors at this level or above record their operations; recording_off raises it


def top() -> int:
    """The highest level in use: the innermost running call's, or a hand-made nest's (0 when idle)."""
    return max(_running[-1] if _running else 0, _hand_made)


def running() -> tuple[int, ...]:
    """The levels of the calls now running, outermost first (empty when no derivative is being taken)."""
    return tuple(_running)


class new_level:  # noqa: N801 (used as a function: with new_level(...) as level)
    """``with new_level(*levels) as level:``, a level above :func:`top` and above ``levels`` (those of the
    call's inputs), for one call of f; released when the block ends, however it ends.

    A class rather than a generator-based context manager: it is entered on every grad and jvp call.
    """

    __slots__ = ("level",)

    def __init__(self, *levels: int) -> None:
        self.level = max(top(), *levels, 0) + 1

    def __enter__(self) -> int:
        _running.append(self.level)
        return self.level

    def __exit__(self, *exc: object) -> None:
        _running.pop()


def hand_made_level(*levels: int) -> int:
    """The level of a Dual made by hand around contents of these levels (-1 for numbers): one above them."""
    global _hand_made
    level = 1 + max(levels)
    _hand_made = max(_hand_made, level)
    return level


def is_recording(level: int) -> bool:
    """Whether Tensors of this level record their operations (False inside ``no_grad`` for older ones)."""
    return level >= _recording_from


@contextlib.contextmanager
def recording_off() -> Iterator[None]:
    """Inside the block, Tensors at the levels in use now do not record; calls made inside still do."""
    global _recording_from
    previous = _recording_from
    _recording_from = top() + 1
    try:
        yield
    finally:
        _recording_from = previous
