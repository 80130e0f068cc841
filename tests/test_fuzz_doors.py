"""Property-based fuzzing of every public door of labcode (issue 23): see tests/fuzz_doors.py.

Each family draws calls with hypothesis (derandomized by the conftest's profile, so every run checks the
same cases; ``HYPOTHESIS_PROFILE=random`` explores new ones) and asserts, case by case, what it states:
an accepted input gives the right result (against numpy by hand, scipy or mpmath), and a refused one a
TypeError/ValueError naming the argument (or, where a value of unknown accuracy may be returned, a labcode
warning). ``python tests/fuzz_doors.py`` prints the counts (clear / ok / silent / cryptic).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from fuzz_doors import EXAMPLES, FAMILIES, Case, outcome
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

# about half the examples the counting script draws: the whole file runs in a few seconds
TEST_EXAMPLES = {name: max(10, EXAMPLES.get(name, 100) // 2) for name in FAMILIES}


def _expected(case: Case) -> set[str]:
    if case.refuse:
        return {"clear", "ok"} if case.warn_ok else {"clear"}
    return {"ok"}


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_every_door_is_right_or_says_why_not(family):
    @settings(max_examples=TEST_EXAMPLES[family], suppress_health_check=[HealthCheck.too_slow])
    @given(st.data())
    def check(data: st.DataObject) -> None:
        case = FAMILIES[family](data)
        what, why = outcome(case)
        assert what in _expected(case), f"{family}: {what}: {why}"

    check()


def test_the_classifier_tells_the_four_outcomes_apart():
    """outcome() itself, on cases whose answer is known: it could otherwise pass anything."""
    from labcode.numdiff import AccuracyWarning

    def warn_and_return() -> float:
        warnings.warn("may be wrong", AccuracyWarning, stacklevel=2)
        return 1.0

    def refuse(error: type[Exception], message: str) -> None:
        raise error(message)

    assert outcome(Case(lambda: 2.0, ref=2.0))[0] == "ok"
    assert outcome(Case(lambda: 2.5, ref=2.0))[0] == "silent"
    assert outcome(Case(lambda: warn_and_return(), ref=2.0))[0] == "clear"
    assert outcome(Case(lambda: 2.0, facts=("w",), refuse=True))[0] == "silent"
    assert (
        outcome(Case(lambda: refuse(ValueError, "w must be finite"), facts=("w",), refuse=True))[0] == "clear"
    )
    assert (
        outcome(Case(lambda: refuse(ValueError, "x must be finite"), facts=("w",), refuse=True))[0]
        == "cryptic"
    )
    assert outcome(Case(lambda: refuse(IndexError, "w[3]"), facts=("w",), refuse=True))[0] == "cryptic"
    assert outcome(Case(lambda: refuse(TypeError, "w"), ref=1.0))[0] == "cryptic"
    assert outcome(Case(lambda: [1.0, 2.0], ref=[1.0, 2.0]))[0] == "ok"
    assert outcome(Case(lambda: np.float32(2.0), ref=2.0))[0] == "silent"  # float64 is promised
    assert outcome(Case(lambda: np.ones(2, np.float32), ref=np.ones(2)))[0] == "silent"
