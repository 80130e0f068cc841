"""``raises_naming``: assert an error and the facts its message must state, not its wording."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest


@contextmanager
def raises_naming(error: type[BaseException], *facts: str) -> Iterator[pytest.ExceptionInfo]:
    """Like ``pytest.raises(error)``, and the message must contain every fact (plain substrings, no regex):
    the argument's name, the shapes, the offending key or value. Rewording the sentence keeps it passing.
    """
    with pytest.raises(error) as info:
        yield info
    message = str(info.value)
    lacking = [fact for fact in facts if fact not in message]
    assert not lacking, f"the {error.__name__} message lacks {lacking}: {message!r}"
