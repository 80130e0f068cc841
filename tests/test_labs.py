"""The labs' checks: full marks for the answer key, the right verdict and hint for every planted bug, and
never an exception, whatever a student's code does. All in-process: no sandbox (tests/test_grade.py has those).
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lab_solutions import lab1_bugs, lab1_gradients, lab2_autodiff, lab2_bugs
from lab_solutions._planted import namespace

from labcode.gradcheck import KINDS
from labcode.labs import LABS, STATUSES, Progress, Verdict, autodiff, gradients
from labcode.labs.checking import call, compare, describe, hint_for
from labcode.labs.framework import Fail, Lab, Task

REFERENCE = {"gradients": lab1_gradients, "autodiff": lab2_autodiff}
BUGS = [("gradients", bug) for bug in lab1_bugs.BUGS] + [("autodiff", bug) for bug in lab2_bugs.BUGS]
TASKS = [(lab.key, task.key) for lab in LABS.values() for task in lab.tasks]


def objects(lab: Lab, task: str, names: dict) -> list:
    return [names[name] for name in lab.task(task).functions]


def run(lab_key: str, task: str, names: dict, seed: int) -> Verdict:
    lab = LABS[lab_key]
    return lab.run(task, *objects(lab, task, names), seed=seed)


# ----------------------------------------------------------------------------------------------------
# The answer key gets full marks


@pytest.mark.parametrize(("lab_key", "task"), TASKS)
def test_reference_solution_solves_every_task(lab_key, task):
    names = namespace(REFERENCE[lab_key])
    for seed in range(4):
        verdict = run(lab_key, task, names, seed)
        assert verdict.solved, str(verdict)
        assert verdict.status == "solved" and verdict.message == "" and verdict.note


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_reference_solutions_pass_on_any_seed(seed):
    """No flaky tolerance: the answer key passes whatever random problems a seed draws."""
    for lab_key, module in REFERENCE.items():
        names = namespace(module)
        for task in LABS[lab_key].tasks:
            verdict = run(lab_key, task.key, names, seed)
            assert verdict.solved, str(verdict)


# ----------------------------------------------------------------------------------------------------
# Every planted bug gets the right verdict and hint


def test_there_are_at_least_twenty_planted_bugs_across_every_task():
    assert len(BUGS) >= 20
    assert {(lab, bug.task) for lab, bug in BUGS} == set(TASKS), "some task has no planted bug"
    assert len({bug.name for _, bug in BUGS}) == len(BUGS)


@pytest.mark.parametrize(("lab_key", "bug"), BUGS, ids=[bug.name for _, bug in BUGS])
def test_planted_bug_gets_the_right_verdict_and_hint(lab_key, bug):
    names = namespace(REFERENCE[lab_key], bug.sources)
    for seed in (11, 12):
        verdict = run(lab_key, bug.task, names, seed)
        assert not verdict.solved
        assert verdict.status == bug.status, str(verdict)
        if bug.kind is not None:
            assert verdict.kind == bug.kind, str(verdict)
        for words in bug.message:
            assert words.lower() in verdict.message.lower(), str(verdict)
        for words in bug.hint:
            assert words.lower() in verdict.hint.lower(), str(verdict)
        assert verdict.hint, "every wrong answer gets a hint"


@pytest.mark.parametrize(
    ("lab_key", "bug"), BUGS[:: max(1, len(BUGS) // 8)], ids=lambda x: getattr(x, "name", x)
)
def test_a_bug_is_diagnosed_the_same_way_for_the_same_seed(lab_key, bug):
    names = namespace(REFERENCE[lab_key], bug.sources)
    assert run(lab_key, bug.task, names, 5) == run(lab_key, bug.task, names, 5)


def test_a_bug_in_one_task_does_not_touch_the_others():
    names = namespace(lab1_gradients, lab1_bugs.BUGS[0].sources)  # a forward difference in numerical_gradient
    verdicts = {task.key: run("gradients", task.key, names, 3) for task in gradients.LAB.tasks}
    assert not verdicts["numerical_gradient"].solved
    # numerical_hessian calls the student's numerical_gradient, so it may suffer too; the others must not
    assert all(v.solved for k, v in verdicts.items() if k not in ("numerical_gradient", "hessian"))


def test_a_hard_coded_answer_fails_on_fresh_inputs():
    """What one run printed cannot pass the next: the checks draw fresh random problems every time."""
    recorded = {}

    def spy(f, w, eps=1e-5):
        recorded.setdefault("answer", lab1_gradients.numerical_gradient(f, w, eps))
        return lab1_gradients.numerical_gradient(f, w, eps)

    assert gradients.LAB.run("numerical_gradient", spy, seed=1).solved
    answer = recorded["answer"]
    verdict = gradients.LAB.run("numerical_gradient", lambda f, w, eps=1e-5: answer.copy(), seed=2)
    assert verdict.status == "wrong"


# ----------------------------------------------------------------------------------------------------
# The starter notebook's state: not attempted, and said the same way every time


def not_written(*args, **kwargs):
    raise NotImplementedError("TODO: not written yet")


class Skeleton:
    """A class from a TODO cell: the constructor is given, every operation is a TODO."""

    def __init__(self, value, deriv=0.0):
        self.value = self.data = value
        self.deriv = deriv
        self.grad = 0.0

    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = __neg__ = not_written
    tanh = backward = not_written


@pytest.mark.parametrize(("lab_key", "task"), TASKS)
@pytest.mark.parametrize("stub", ["raises", "returns None"])
def test_an_unwritten_task_is_not_attempted(lab_key, task, stub):
    lab = LABS[lab_key]
    fn = not_written if stub == "raises" else (lambda *args, **kwargs: None)
    args = [Skeleton if name[0].isupper() else fn for name in lab.task(task).functions]
    first, second = lab.run(task, *args, seed=1), lab.run(task, *args, seed=2)
    assert first.status == "not attempted", str(first)
    assert first.message == second.message and first.hint == second.hint, (
        "starter outputs must be deterministic"
    )
    assert "NotImplementedError" in first.message or "returned None" in first.message
    assert re.search(r"\d\.\d", first.message) is None, "no random number in a starter's verdict"


def test_a_task_waiting_for_an_earlier_task_says_so():
    """forward_gradient may be right while Dual is still a skeleton: the hint names task 1."""
    names = namespace(
        lab2_autodiff,
        {
            "Dual": "class Dual:\n    def __init__(self, value, deriv=0.0):\n"
            "        self.value, self.deriv = value, deriv\n"
            "    def __add__(self, other):\n"
            "        raise NotImplementedError('TODO 1: Dual.__add__')\n"
            "    __radd__ = __mul__ = __rmul__ = __sub__ = __rsub__ = __add__\n"
        },
    )
    verdict = run("autodiff", "forward_gradient", names, 0)
    assert verdict.status == "not attempted"
    assert "task 1" in verdict.hint


# ----------------------------------------------------------------------------------------------------
# Checks never raise


class Explosive:
    """Fails on every use a check could make of it."""

    def __getattr__(self, name):
        raise RuntimeError(f"no {name}")

    def __array__(self, *args, **kwargs):
        raise RuntimeError("no array")

    def __float__(self):
        raise RuntimeError("no float")


def loops_forever_in_recursion(*args):
    return loops_forever_in_recursion(*args)


def exits(*args):
    raise SystemExit(3)


HOSTILE = {
    "a string": lambda *a, **k: "gradient",
    "a dict": lambda *a, **k: {"w": 1.0},
    "an object": lambda *a, **k: object(),
    "nan": lambda *a, **k: np.full(3, np.nan),
    "a ragged list": lambda *a, **k: [[1.0], [2.0, 3.0]],
    "complex numbers": lambda *a, **k: np.ones(3) * 1j,
    "an explosive object": lambda *a, **k: Explosive(),
    "ValueError": lambda *a, **k: np.ones(2) @ np.ones(3),
    "RecursionError": loops_forever_in_recursion,
    "sys.exit": exits,
    "not callable": 42,
}


@pytest.mark.parametrize(("lab_key", "task"), TASKS)
@pytest.mark.parametrize("what", HOSTILE)
def test_checks_never_raise(lab_key, task, what):
    lab = LABS[lab_key]
    args = [HOSTILE[what]] * len(lab.task(task).functions)
    verdict = lab.run(task, *args, seed=0)
    assert verdict.status in ("wrong", "error", "not attempted"), str(verdict)
    assert verdict.message


@pytest.mark.parametrize("exception", [KeyboardInterrupt, GeneratorExit])
def test_an_interrupt_is_not_swallowed(exception):
    """The grader stops an endless function with an interrupt: a check must let it through."""

    def interrupted(*args):
        raise exception

    with pytest.raises(exception):
        gradients.LAB.run("numerical_gradient", interrupted, seed=0)


def test_a_numpy_warning_in_student_code_is_not_an_error():
    """pytest turns warnings into errors; a check silences the student's (overflow in a naive sigmoid)."""
    names = namespace(lab1_gradients, {"sigmoid": "def sigmoid(z):\n    return 1 / (1 + np.exp(-z))\n"})
    assert run("gradients", "bce", names, 0).solved


def test_checks_do_not_modify_the_callers_arrays():
    seen = []

    def grad(w, X, y):
        seen.append((X, y))
        X[...] = 0.0  # vandalism
        return lab1_gradients.mse_grad(w, X, y)

    verdict = gradients.LAB.run("mse", lab1_gradients.mse_loss, grad, seed=0)
    assert verdict.status == "wrong"  # its own zeroed X makes its gradient wrong...
    assert len(seen) >= 2 and seen[0][0] is not seen[1][0]  # ...but every call gets a fresh copy


# ----------------------------------------------------------------------------------------------------
# Verdicts, progress and the notebook-facing check functions


def test_check_prints_the_verdict_and_the_progress_and_records_it(capsys):
    lab = Lab("demo", "Demo", (Task("t", 1, "demo task", ("f",), 1, lambda rng, f: f(rng) or "fine"),))
    verdict = lab.check("t", lambda rng: "ok", seed=0)
    out = capsys.readouterr().out
    assert verdict.solved and out.startswith("✓ Task 1, demo task: solved (ok)")
    assert out.rstrip().endswith("Progress: 1/1 tasks solved")
    assert repr(lab.progress).startswith("1/1 tasks solved")
    lab.check("t", not_written, seed=0)
    out = capsys.readouterr().out
    assert "not attempted yet" in out and out.rstrip().endswith("Progress: 0/1 tasks solved")
    lab.check("t", not_written, seed=0, quiet=True)
    assert capsys.readouterr().out == ""


def test_progress_counts_the_latest_verdict_of_each_task():
    progress = Progress(gradients.LAB.tasks)
    assert progress.summary() == "0/5 tasks solved"
    assert "not checked yet" in repr(progress)
    ok = gradients.LAB.run("mse", lab1_gradients.mse_loss, lab1_gradients.mse_grad, seed=0)
    bad = gradients.LAB.run("mse", lab1_gradients.mse_loss, lambda w, X, y: 0 * w, seed=0)
    progress.record(ok)
    assert progress.summary() == "1/5 tasks solved"
    progress.record(bad)  # broken again: off the count
    assert progress.solved == 0
    progress.record(ok)
    assert repr(progress).splitlines()[0] == "1/5 tasks solved"
    assert "✓ Task 2, MSE loss and gradient: solved" in repr(progress)
    progress.reset()
    assert progress.solved == 0


def test_each_lab_has_its_own_progress_object():
    assert gradients.progress is gradients.LAB.progress and autodiff.progress is autodiff.LAB.progress
    assert gradients.progress is not autodiff.progress


def test_verdict_text_and_display():
    verdict = gradients.LAB.run("mse", lab1_gradients.mse_loss, lambda w, X, y: 2 * X.T @ (X @ w - y), seed=7)
    text = str(verdict)
    assert text.startswith("✗ Task 2, MSE loss and gradient: not solved yet")
    assert "Hint: " in text and "seed=7" in text
    assert not verdict and verdict.status in STATUSES
    assert verdict._ipython_display_() is None  # shows nothing: the check printed it already
    assert Verdict(**verdict.to_dict()) == verdict  # the grader sends verdicts as JSON


def test_the_notebook_check_functions_call_their_tasks(capsys):
    check = {
        gradients.check_numerical_gradient: ("numerical_gradient",),
        gradients.check_mse: ("mse_loss", "mse_grad"),
        gradients.check_bce: ("sigmoid", "bce_loss", "bce_grad"),
        gradients.check_hessian: ("numerical_hessian",),
        gradients.check_softmax: ("softmax", "softmax_ce_loss", "softmax_ce_grad"),
        autodiff.check_dual: ("Dual",),
        autodiff.check_dual_functions: ("dual_sin", "dual_exp", "Dual"),
        autodiff.check_forward_gradient: ("forward_gradient",),
        autodiff.check_value: ("Value",),
        autodiff.check_reverse_gradient: ("reverse_gradient",),
    }
    for lab_key, module in REFERENCE.items():
        LABS[lab_key].progress.reset()
        names = namespace(module)
        for fn, args in check.items():
            if fn.__module__.endswith(lab_key):
                assert fn(*(names[a] for a in args), seed=0).solved
        assert LABS[lab_key].progress.summary() == "5/5 tasks solved"
        LABS[lab_key].progress.reset()
    capsys.readouterr()


def test_grade_looks_functions_up_by_name():
    names = namespace(lab1_gradients)
    assert gradients.LAB.grade("mse", names, seed=0).solved
    del names["mse_grad"]
    verdict = gradients.LAB.grade("mse", names, seed=0)
    assert verdict.status == "missing" and "`mse_grad`" in verdict.message and "TODO 2" in verdict.hint


def test_every_lab_lists_its_tasks_points_and_checkpoints():
    for lab in LABS.values():
        assert [t.number for t in lab.tasks] == list(range(1, len(lab.tasks) + 1))
        assert lab.max_points == sum(t.points for t in lab.tasks) == 6
        assert lab.checkpoints and len(set(lab.checkpoints)) == len(lab.checkpoints)
        with pytest.raises(ValueError, match="unknown task"):
            lab.task("nope")


# ----------------------------------------------------------------------------------------------------
# The shared machinery


def test_call_classifies_what_a_student_function_does():
    assert call("f()", lambda: 3) == 3
    with pytest.raises(Fail, match=r"f\(\) raised ZeroDivisionError: division by zero") as info:
        call("f()", lambda: 1 / 0)
    assert info.value.status == "error"
    with pytest.raises(Fail, match="should be a function"):
        call("f()", 3)
    assert call("f()", lambda: None, allow_none=True) is None


@pytest.mark.parametrize(
    ("got", "kind", "words"),
    [
        (np.ones((3, 1)), "shape", "has shape (3, 1), expected (3,)"),
        (2 * np.arange(1.0, 4.0), "factor", "2 times the truth (ratio 2)"),
        (-np.arange(1.0, 4.0), "sign", "minus the truth"),
        (np.zeros(3), "zero", "all zeros"),
        (np.array([1.0, 2.0, 4.0]), "partial", "wrong at entry [2]"),
        (np.array([1.0, np.nan, 3.0]), "nonfinite", "nan at entry [1]"),
        (np.arange(1.0, 4.0) / 4, "factor", "1/4 of the truth"),
    ],
)
def test_compare_and_describe_name_how_two_arrays_differ(got, kind, words):
    result = compare(got, np.arange(1.0, 4.0))
    assert not result.ok and result.kind == kind and result.kind in KINDS
    assert words in describe("a", result, "the truth")


def test_compare_sees_a_transpose_and_agrees_with_equal_arrays():
    M = np.arange(6.0).reshape(2, 3)
    assert compare(M.T, M).kind == "transpose"
    S = np.array([[1.0, 2.0], [3.0, 4.0]])
    assert compare(S.T, S).kind == "transpose"
    assert compare(M + 1e-12, M).ok


def test_hint_for_prefers_the_most_specific_key():
    hints = {
        "factor:n": "n",
        "factor:2": "two",
        "factor": "some factor",
        "default": "default",
        "sign": "sign",
    }
    base = np.arange(1.0, 6.0)
    assert hint_for(compare(37 * base, base), hints, n=37) == "n"
    assert hint_for(compare(2 * base, base), hints, n=37) == "two"
    assert hint_for(compare(3 * base, base), hints, n=37) == "some factor"
    assert hint_for(compare(-base, base), hints) == "sign"
    assert hint_for(compare(base[::-1], base), hints) == "default"


# ----------------------------------------------------------------------------------------------------
# Lab 2: a wrong order of the backward pass fails on every seed, not by luck


@pytest.mark.parametrize(
    "bug_name", ["backward breadth-first from the output", "backward breadth-first, inputs in a set"]
)
def test_a_breadth_first_engine_fails_on_every_seed(bug_name):
    bug = next(b for b in lab2_bugs.BUGS if b.name == bug_name)
    names = namespace(lab2_autodiff, bug.sources)
    for seed in range(40):
        verdict = run("autodiff", "value", names, seed)
        assert verdict.status == "wrong" and "breadth-first" in verdict.hint, (seed, str(verdict))
        assert autodiff.ORDER_PROBE in verdict.message


def value_grads(names, expression):
    """a.grad, b.grad after out = <expression>; out.backward(), with t = a * b and c = 2.5 (the checkpoint)."""
    Value = names["Value"]  # noqa: N806
    a, b = Value(0.8), Value(-1.3)
    out = eval(expression, {"a": a, "b": b, "t": a * b, "c": 2.5})  # noqa: S307 (our own expression)
    out.backward()
    return a.grad, b.grad


def test_checkpoint_4b_example_exposes_a_wrong_order():
    """The lab's checkpoint 4b names a graph on which a breadth-first backward gives a wrong gradient."""
    import nbformat
    from conftest import ROOT

    nb = nbformat.read(ROOT / "book" / "labs" / "lab2_autodiff.ipynb", as_version=4)
    text = next(c.source for c in nb.cells if "Checkpoint 4b" in c.source)
    expression = re.search(r"`t = a \* b; out = ([^`]+)`", text).group(1)
    right = value_grads(namespace(lab2_autodiff), expression)
    for name in ("backward breadth-first from the output",):
        wrong = value_grads(
            namespace(lab2_autodiff, next(b for b in lab2_bugs.BUGS if b.name == name).sources), expression
        )
        assert not np.allclose(wrong, right), (expression, wrong, right)
    # the example it replaced did not: breadth-first gets t * t + t right
    breadth_first = namespace(
        lab2_autodiff,
        lab2_bugs.BUGS[
            [b.name for b in lab2_bugs.BUGS].index("backward breadth-first from the output")
        ].sources,
    )
    assert np.allclose(
        value_grads(breadth_first, "t * t + t"), value_grads(namespace(lab2_autodiff), "t * t + t")
    )


def test_the_bce_hint_quotes_the_thresholds_the_check_uses():
    """Erratum 5: the hint's numbers are derived, true in float64, and the check goes beyond them."""
    g = gradients
    with np.errstate(over="ignore"):
        assert 1 + np.exp(-(g.ROUNDS_TO_ONE + 0.01)) == 1.0 and 1 + np.exp(-(g.ROUNDS_TO_ONE - 0.5)) != 1.0
        assert np.isinf(np.exp(-(g.ROUNDS_TO_ZERO - 0.01))) and np.isfinite(np.exp(-(g.ROUNDS_TO_ZERO + 0.5)))
    assert f"z > {g.ROUNDS_TO_ONE:.0f}" in g.UNSTABLE_LOG and f"z < {g.ROUNDS_TO_ZERO:.0f}" in g.UNSTABLE_LOG
    assert g.EXTREME_LOGIT > max(g.ROUNDS_TO_ONE, -g.ROUNDS_TO_ZERO)
    # the clip works in float64 and not in float32 (chapter 4's gotcha), and the lab's text quotes the same one
    assert 1 - g.CLIP_EPS != 1.0 and np.float32(1) - np.float32(g.CLIP_EPS) == np.float32(1)
    import nbformat
    from conftest import ROOT

    nb = nbformat.read(ROOT / "book" / "labs" / "lab1_gradients.ipynb", as_version=4)
    task3 = next(c.source for c in nb.cells if c.source.startswith("## Task 3"))
    assert f"{g.CLIP_EPS:g}" in task3 and "logaddexp" in task3 and "chapter" in task3.lower()
    assert f"{g.CLIP_EPS:g}" in g.UNSTABLE_LOG
