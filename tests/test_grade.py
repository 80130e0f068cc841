"""The grader: a handful of notebooks through real sandboxes, everything else in-process.

A sandboxed run costs about 1-2 s, so one module-scoped folder of submissions (the answer key for both labs, a planted
bug, a notebook broken in several ways at once, and one that is not JSON) is graded once, and the tests read
its reports and its CSV. Time-outs, dead processes and the command line get one notebook each. The tests that
start bubblewrap carry the ``sandbox`` marker; the rest (reports, quoting, reading files, the boundary's
exceptions and arrays, options) run in the fast tier, with ``sandbox=False`` where a notebook must run at all.
"""

from __future__ import annotations

import csv
import html
import json
import os
import re
import secrets
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import numpy as np
import pytest
from conftest import ROOT, load_yaml
from lab_solutions import lab1_bugs, lab1_gradients, lab2_autodiff, lab2_bugs
from lab_solutions._planted import fill_notebook, namespace, solution_sources
from markdown_it import MarkdownIt

import labcode.grade
from labcode.grade import (
    GradeReport,
    TaskGrade,
    grade_folder,
    grade_notebook,
    identify_lab,
    main,
    running,
    write_csv,
)
from labcode.grade import notebook as reading
from labcode.labs import LABS, Verdict, autodiff, gradients

LAB1 = ROOT / "book" / "labs" / "lab1_gradients.ipynb"
LAB2 = ROOT / "book" / "labs" / "lab2_autodiff.ipynb"
STARTERS = {"gradients": LAB1, "autodiff": LAB2}


# GitHub's Markdown, as far as markdown-it-py renders it: CommonMark plus tables, strikethrough and autolinks.
GITHUB_MARKDOWN = MarkdownIt("gfm-like")


def rendered(md: str) -> str:
    """The HTML that a --markdown report renders to."""
    return GITHUB_MARKDOWN.render(md)


def rendered_text(md: str) -> str:
    """The text a reader sees in a rendered --markdown report (tags dropped, one space between cells)."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", rendered(md))).split())


def read(path):
    return nbformat.read(path, as_version=4)


def solved(lab_key, bug_name=None):
    """The starter notebook with every TODO cell filled by the answer key (and one planted bug)."""
    module, bugs = (lab1_gradients, lab1_bugs) if lab_key == "gradients" else (lab2_autodiff, lab2_bugs)
    sources = solution_sources(module)
    if bug_name is not None:
        sources.update(next(b for b in bugs.BUGS if b.name == bug_name).sources)
    return fill_notebook(read(STARTERS[lab_key]), sources)


def code_index(nb, needle):
    return next(i for i, c in enumerate(nb.cells) if c.cell_type == "code" and needle in c.source)


def answer(nb, checkpoint, text):
    i = next(i for i, c in enumerate(nb.cells) if f"Your answer to checkpoint {checkpoint}:" in c.source)
    nb.cells[i].source = f"**Your answer to checkpoint {checkpoint}:** {text}"


def broken_in_many_ways():
    """Lab 1 solved, then: a renamed function, a deleted TODO line, a cell that raises, a check moved above
    the cell defining what it checks."""
    nb = solved("gradients")
    i = code_index(nb, "def mse_grad")
    nb.cells[i].source = (
        nb.cells[i].source.replace("def mse_grad", "def mse_gradient").replace("# TODO 2", "# mine")
    )
    nb.cells.insert(code_index(nb, "def sigmoid"), nbformat.v4.new_code_cell("1 / 0"))
    k = code_index(nb, "lab.check_numerical_gradient")
    nb.cells.insert(k - 1, nb.cells.pop(k))
    return nb


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """Five submissions graded once, with one seed, into reports and a CSV."""
    base = tmp_path_factory.mktemp("submissions")
    alice = solved("gradients")
    answer(alice, "1a", "The h f'' terms cancel, leaving an error of order h squared.")
    answer(alice, "1b", "Round-off grows as eps shrinks; truncation grows with eps.")
    answer(alice, "3b", "ok")  # too short to count
    nbformat.write(alice, base / "alice.ipynb")
    nbformat.write(solved("gradients", "mse_grad without the 2"), base / "bob.ipynb")
    (base / "dave" / "book" / "labs").mkdir(parents=True)
    nbformat.write(solved("autodiff"), base / "dave" / "book" / "labs" / "lab2_autodiff.ipynb")
    nbformat.write(broken_in_many_ways(), base / "frank.ipynb")
    (base / "ivan.ipynb").write_text('{"cells": [ this is not json')
    reports = grade_folder(base, seed=2024, timeout=60)
    scores = base / "scores.csv"
    write_csv(reports, scores)
    return base, {r.student: r for r in reports}, scores


def csv_rows(path):
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def task(report, key):
    return next(t for t in report.tasks if t.key == key)


# ----------------------------------------------------------------------------------------------------
# The folder: full marks for the answer key, the right verdicts for the rest


@pytest.mark.sandbox
def test_the_answer_key_gets_full_marks_in_both_labs(folder):
    _, reports, _ = folder
    for student, lab in (("alice", "gradients"), ("dave", "autodiff")):
        report = reports[student]
        assert report.lab == lab and report.identified_by == "cell metadata"
        assert report.passed and report.points == report.max_points == 6, report.to_text()
        assert report.problems == [], report.problems
        assert all(t.status == "solved" for t in report.tasks)


@pytest.mark.sandbox
def test_one_seed_for_a_folder_and_students_named_by_file_or_folder(folder):
    _, reports, _ = folder
    assert sorted(reports) == ["alice", "bob", "dave", "frank", "ivan"]
    assert {r.seed for r in reports.values()} == {2024}


@pytest.mark.sandbox
def test_a_planted_bug_costs_its_task_and_gets_its_hint(folder):
    _, reports, _ = folder
    bob = reports["bob"]
    mse = task(bob, "mse")
    assert (mse.points, mse.status, mse.kind) == (0, "wrong", "factor")
    assert "2/n" in mse.message and "keep the 2" in mse.hint
    assert bob.points == 5 and not bob.passed
    assert [t.key for t in bob.tasks if not t.solved] == ["mse"]


@pytest.mark.sandbox
def test_checkpoint_answers_are_reported_not_graded(folder):
    _, reports, _ = folder
    alice = reports["alice"]
    assert alice.checkpoints == {
        "1a": True,
        "1b": True,
        "1c": False,
        "2a": False,
        "3a": False,
        "3b": False,
        "4a": False,
    }
    assert "2 of 7 answered; unanswered: 1c, 2a, 3a, 3b, 4a" in alice.to_text()
    assert not any(reports["dave"].checkpoints.values())


@pytest.mark.sandbox
def test_a_notebook_broken_in_many_ways_gets_verdicts_not_tracebacks(folder):
    _, reports, _ = folder
    frank = reports["frank"]
    mse = task(frank, "mse")
    assert mse.status == "missing" and "`mse_grad` is not defined" in mse.message
    assert [t.key for t in frank.tasks if t.solved] == ["numerical_gradient", "bce", "hessian", "softmax"]
    problems = "\n".join(frank.problems)
    assert re.search(
        r'cell \d+ \("lab\.check_numerical_gradient\(numerical_gradient\)"\) raised NameError', problems
    )
    assert re.search(r'cell \d+ \("1 / 0"\) raised ZeroDivisionError: division by zero', problems)
    assert "the `# TODO 2` line was deleted" in problems


@pytest.mark.sandbox
def test_a_file_that_is_not_a_notebook_is_reported(folder):
    _, reports, _ = folder
    ivan = reports["ivan"]
    assert ivan.error.startswith("not a readable notebook") and not ivan.passed
    assert ivan.tasks == [] and "not graded" in ivan.to_text()


@pytest.mark.sandbox
def test_the_csv_has_one_row_per_notebook(folder):
    _, reports, scores = folder
    rows = csv_rows(scores)
    assert [r["student"] for r in rows] == ["alice", "bob", "dave", "frank", "ivan"]
    by = {r["student"]: r for r in rows}
    assert (
        by["alice"]["points"] == "6"
        and by["alice"]["passed"] == "1"
        and by["alice"]["gradients:hessian"] == "2"
    )
    assert by["alice"]["checkpoints_answered"] == "2/7" and by["alice"]["autodiff:value"] == ""
    assert by["bob"]["gradients:mse"] == "0" and by["bob"]["points"] == "5"
    assert by["dave"]["lab"] == "autodiff" and by["dave"]["autodiff:value"] == "2"
    assert "ZeroDivisionError" in by["frank"]["notes"]
    assert by["ivan"]["points"] == "0" and "not a readable notebook" in by["ivan"]["notes"]
    assert {r["seed"] for r in rows} == {"2024"}


@pytest.mark.sandbox
def test_the_command_line_on_the_answer_key_exits_0(folder, capsys):
    base, _, _ = folder
    assert main([str(base / "alice.ipynb"), "--seed", "7"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("alice.ipynb · Lab 1: Gradients · seed 7")
    assert re.search(r"^Task 4, numerical Hessian\s+2/2\s+solved", out, re.M)
    assert "total 6/6" in out


# ----------------------------------------------------------------------------------------------------
# The starter, time-outs, dead kernels


@pytest.mark.sandbox
def test_the_starter_gets_zero_and_says_not_attempted(tmp_path, capsys):
    scores = tmp_path / "scores.csv"
    assert main([str(LAB2), "--markdown", "--csv", str(scores), "--seed", "1"]) == 1
    out = rendered_text(capsys.readouterr().out)
    assert out.startswith("lab2_autodiff.ipynb: 0/6 (not passed yet)")
    assert "Task 4, reverse mode: Value and backward 0/2 · not attempted a + b still raises" in out
    assert out.count("not attempted") == 5 and "Total: 0/6" in out
    row = csv_rows(scores)[0]
    assert row["student"] == "lab2_autodiff" and row["points"] == "0" and row["checkpoints_answered"] == "0/5"


@pytest.mark.sandbox
def test_infinite_loops_are_interrupted(tmp_path):
    nb = solved("gradients")
    i = code_index(nb, "def numerical_hessian")
    nb.cells[i].source += "\n\n\nwhile True:  # an endless cell\n    pass"
    i = code_index(nb, "def softmax(")
    nb.cells[i].source = nb.cells[i].source.replace(
        "def softmax(Z):\n", "def softmax(Z):\n    while True:\n        pass\n"
    )
    nb.cells[code_index(nb, "lab.check_softmax")].source = "# the check would loop too"
    path = tmp_path / "gina.ipynb"
    nbformat.write(nb, path)
    report = grade_notebook(path, timeout=4, seed=5)
    assert task(report, "softmax").status == "timeout" and "within 4 s" in task(report, "softmax").message
    assert [t.key for t in report.tasks if t.solved] == ["numerical_gradient", "mse", "bce", "hessian"]
    assert len(report.problems) == 1 and "ran longer than 4 s and was interrupted" in report.problems[0]


@pytest.mark.sandbox
def test_exits_and_dead_kernels_are_survived(tmp_path):
    nb = solved("gradients")
    nb.cells.insert(code_index(nb, "def mse_loss") + 1, nbformat.v4.new_code_cell("import os\n\nos._exit(1)"))
    nb.cells.insert(
        code_index(nb, "def sigmoid") + 1, nbformat.v4.new_code_cell("import sys\n\nsys.exit('bye')")
    )
    i = code_index(nb, "def numerical_hessian")
    nb.cells[i].source = nb.cells[i].source.replace(
        "def numerical_hessian(f, w, eps=1e-4):\n",
        "def numerical_hessian(f, w, eps=1e-4):\n    import os\n    os._exit(3)\n",
    )
    nb.cells[code_index(nb, "lab.check_hessian")].source = "# the check would end the kernel too"
    path = tmp_path / "hank.ipynb"
    nbformat.write(nb, path)
    report = grade_notebook(path, timeout=30, seed=5)
    hessian = task(report, "hessian")
    assert hessian.status == "error" and "stopped the notebook's process" in hessian.message
    assert [t.key for t in report.tasks if not t.solved] == ["hessian"], report.to_text()
    problems = "\n".join(report.problems)
    assert re.search(r'cell \d+ \("import os"\) stopped the notebook.s process .*; it was skipped', problems)
    assert re.search(r'cell \d+ \("import sys"\) called sys\.exit\(\)', problems)


def test_the_module_runs_as_a_command_and_prints_json(tmp_path):
    bad = tmp_path / "empty.ipynb"
    bad.write_text("")
    proc = subprocess.run(
        [sys.executable, "-m", "labcode.grade", str(bad), "--json", "--lab", "lab1", "--no-sandbox"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert proc.returncode == 1, proc.stderr
    (report,) = json.loads(proc.stdout)
    assert report["lab"] == "gradients" and report["points"] == 0 and report["max_points"] == 6
    assert report["error"].startswith("not a readable notebook")
    assert {t["status"] for t in report["tasks"]} == {"not graded"}


# ----------------------------------------------------------------------------------------------------
# The committed starters are what the grader expects


@pytest.mark.parametrize("lab_key", STARTERS)
def test_the_committed_starter_is_in_its_todo_state(lab_key):
    lab = LABS[lab_key]
    nb = read(STARTERS[lab_key])
    assert identify_lab(nb) == (lab, "cell metadata")
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    for t in lab.tasks:
        assert re.search(rf"^# {t.todo}\b", code, re.M), f"no `# {t.todo}` line"
        for name in t.functions:
            assert re.search(rf"^(def|class) {name}\b", code, re.M), f"{name} is not defined in a TODO cell"
    assert reading.missing_todos(nb, lab) == []
    assert reading.checkpoints(nb, lab) == dict.fromkeys(lab.checkpoints, False)
    outputs = [
        "".join(o.get("text", "") + o.get("data", {}).get("text/plain", "") for o in c.outputs)
        for c in nb.cells
        if c.cell_type == "code"
    ]
    checks = [out for out in outputs if "Progress:" in out]
    assert len(checks) == len(lab.tasks) and all("not attempted yet" in out for out in checks)
    assert outputs[-1].startswith("0/5 tasks solved")


def test_filling_a_starter_keeps_its_todo_lines():
    for lab_key in STARTERS:
        nb = solved(lab_key)
        assert reading.missing_todos(nb, LABS[lab_key]) == []
        assert "NotImplementedError" not in "".join(c.source for c in nb.cells if c.cell_type == "code")


# ----------------------------------------------------------------------------------------------------
# In-process: which lab, checkpoints, formats, the command line's plumbing


def test_identify_lab_by_metadata_then_by_functions():
    nb = read(LAB1)
    assert identify_lab(nb)[0] is gradients.LAB
    for cell in nb.cells:
        cell.metadata.pop("labcode", None)
    assert identify_lab(nb) == (gradients.LAB, "the functions it defines")
    nb.metadata["labcode"] = {"lab": "autodiff"}
    assert identify_lab(nb) == (autodiff.LAB, "notebook metadata")
    blank = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("def mse_loss(w, X, y):\n    pass")])
    assert identify_lab(blank) == (None, "")  # one name is too few to tell


def test_an_unknown_lab_is_not_graded(tmp_path):
    path = tmp_path / "x.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print(1)")]), path)
    report = grade_notebook(path, seed=0, sandbox=False)  # nothing runs: no sandbox needed
    assert report.error.startswith("cannot tell which lab") and "--lab" in report.error and not report.passed


@pytest.mark.parametrize("content", ["", "[]", '{"cells": 3}', "\x00\x01"])
def test_unreadable_files_are_reported_without_a_kernel(tmp_path, content):
    path = tmp_path / "bad.ipynb"
    path.write_text(content)
    report = grade_notebook(path, lab="autodiff", seed=0, sandbox=False)  # nothing runs
    assert report.error.startswith("not a readable notebook")
    assert [t.status for t in report.tasks] == ["not graded"] * 5 and report.points == 0


def test_a_hand_edited_notebook_with_odd_cells_gets_a_report(tmp_path):
    nb = json.loads(LAB1.read_text())
    nb["metadata"] = {"labcode": "gradients"}  # not a dict
    nb["cells"][0]["metadata"] = 3
    nb["cells"].insert(1, {"cell_type": "markdown", "metadata": {}, "source": 7})
    path = tmp_path / "odd.ipynb"
    path.write_text(json.dumps(nb))
    report = grade_notebook(path, seed=0, sandbox=False)  # nothing runs
    assert report.error is not None and not report.passed
    assert [t.status for t in report.tasks] == ["not graded"] * 5 or report.tasks == []


def test_checkpoint_answers_need_three_words_and_stop_at_the_next_question():
    nb = read(LAB2)
    answer(nb, "1a", "eps squared is zero")
    answer(nb, "3a", "_Replace this line with your answer._ yes")
    nb.cells.append(
        nbformat.v4.new_markdown_cell(
            "**Your answer to checkpoint 4a:** accumulate, since a node can be used twice\n\n"
            "> **Checkpoint 4b.** a question with many words in it\n\n**Your answer to checkpoint 5a:** memory"
        )
    )
    found = reading.checkpoints(nb, autodiff.LAB)
    assert found == {"1a": True, "3a": False, "4a": True, "4b": False, "5a": False}


def report_of(statuses, **kwargs):
    tasks = [
        TaskGrade(
            Verdict(t.key, t.label, s, "msg | with a pipe", "a hint"),
            t.points if s == "solved" else 0,
            t.points,
        )
        for t, s in zip(gradients.LAB.tasks, statuses, strict=True)
    ]
    return GradeReport(
        "subs/zoe.ipynb", kwargs.pop("student", "zoe"), "gradients", "Lab 1: Gradients", 3, tasks, **kwargs
    )


def test_text_and_markdown_tables():
    report = report_of(
        ["solved", "wrong", "not attempted", "solved", "timeout"], checkpoints={"1a": True, "1b": False}
    )
    text = report.to_text()
    assert text.splitlines()[0] == "zoe.ipynb · Lab 1: Gradients · seed 3"
    assert re.search(r"^task\s+points\s+verdict\s+hint$", text, re.M)
    assert re.search(
        r"^Task 2, MSE loss and gradient\s+0/1\s+wrong\s+msg \| with a pipe Hint: a hint$", text, re.M
    )
    assert "total 3/6" in text and "1 of 2 answered; unanswered: 1b" in text
    md = report.to_markdown()
    assert rendered(md).startswith("<h3>zoe.ipynb: 3/6 (not passed yet)</h3>")
    assert (
        "<tr>\n<td>Task 2, MSE loss and gradient</td>\n<td>0/1</td>\n<td>❌ wrong</td>\n"
        "<td>msg | with a pipe<br><em>Hint:</em> a hint</td>\n</tr>"
    ) in rendered(md)
    assert "<td>✅ solved</td>" in rendered(md) and "<td>· not attempted</td>" in rendered(md)
    assert (
        report_of(["solved"] * 5, student="bo").to_text().splitlines()[0]
        == "zoe.ipynb · student bo · Lab 1: Gradients · seed 3"
    )
    data = report.to_dict()
    assert data["points"] == 3 and data["max_points"] == 6 and data["passed"] is False
    json.dumps(data)


def test_main_exit_codes_and_formats_without_kernels(monkeypatch, tmp_path, capsys):
    good, bad = tmp_path / "a.ipynb", tmp_path / "b.ipynb"
    good.write_text("{}")
    bad.write_text("{}")
    fake = {good.name: report_of(["solved"] * 5), bad.name: report_of(["solved"] * 4 + ["wrong"])}
    monkeypatch.setattr(labcode.grade, "grade_notebook", lambda path, **kw: fake[path.name])
    monkeypatch.setattr(labcode.grade, "sandbox_problem", lambda: None)  # nothing runs: no bwrap needed
    assert main([str(good)]) == 0
    assert main([str(good), str(bad), "--json"]) == 1
    out = capsys.readouterr().out
    assert [r["passed"] for r in json.loads(out[out.index("[") :])] == [True, False]
    assert main([str(tmp_path), "--markdown", "--csv", str(tmp_path / "s.csv")]) == 1
    assert len(csv_rows(tmp_path / "s.csv")) == 2
    with pytest.raises(SystemExit):
        main([str(good), "--lab", "lab9"])
    with pytest.raises(SystemExit):
        main([str(tmp_path / "empty-folder-that-does-not-exist")])


def test_csv_for_mixed_labs_and_unreadable_files(tmp_path):
    broken = GradeReport("x/yan.ipynb", "yan", None, "", 4, error="not a readable notebook: nope")
    write_csv([report_of(["solved"] * 5), broken], tmp_path / "s.csv")
    rows = csv_rows(tmp_path / "s.csv")
    assert rows[0]["gradients:softmax"] == "1" and rows[1]["gradients:softmax"] == ""
    assert rows[1]["notes"] == "not a readable notebook: nope" and rows[1]["passed"] == "0"


def test_student_ids():
    assert reading.student_id(ROOT / "subs" / "alice.ipynb", ROOT / "subs") == "alice"
    assert reading.student_id(ROOT / "subs" / "bo" / "book" / "labs" / "lab1.ipynb", ROOT / "subs") == "bo"
    assert reading.student_id(ROOT / "lab1_gradients.ipynb", None) == "lab1_gradients"


def test_the_grading_workflow_grades_changed_labs_with_least_privilege():
    workflow = load_yaml(".github/workflows/grade-lab.yml")
    assert workflow[True]["pull_request"]["paths"] == ["book/labs/*.ipynb"]  # YAML reads `on:` as True
    assert workflow["permissions"] == {"contents": "read"}
    steps = workflow["jobs"]["grade"]["steps"]
    # the base's grader runs: the pull request could change labcode/grade
    assert steps[0]["with"]["persist-credentials"] is False
    assert steps[0]["with"]["ref"] == "${{ github.event.pull_request.base.sha }}"
    script = "\n".join(step.get("run", "") for step in steps)
    assert "pip install -r requirements.txt" in script
    assert "apt-get install --yes bubblewrap" in script
    assert "kernel.apparmor_restrict_unprivileged_userns=0" in script  # Ubuntu 24.04
    assert "git cat-file blob" in script  # the notebooks come from the pull request as data
    assert re.search(
        r'python -m labcode\.grade "\$submissions" .*--markdown >> "\$GITHUB_STEP_SUMMARY"', script
    )
    assert "--no-sandbox" not in script
    assert "${{" not in script, "no expression inside a script: they go through env"


@pytest.mark.sandbox
def test_without_a_sandbox_the_grader_refuses_and_names_the_unsafe_flag(monkeypatch, tmp_path, capsys):
    import labcode.grade.sandbox

    monkeypatch.setattr(labcode.grade, "sandbox_problem", lambda: "bubblewrap is not installed")
    with pytest.raises(labcode.grade.SandboxUnavailable, match="--no-sandbox") as info:
        grade_notebook(LAB1, seed=0)
    assert "UNSAFE" in str(info.value) and "bubblewrap is not installed" in str(info.value)
    assert main([str(LAB1)]) == 2
    err = capsys.readouterr().err
    assert "--no-sandbox" in err and "UNSAFE" in err
    assert labcode.grade.sandbox.sandbox_problem() is None  # here bwrap works (the probe is real)


def test_no_sandbox_grades_the_same_way(tmp_path):
    """--no-sandbox runs the same driver as a plain process: the same verdicts, without the isolation."""
    path = tmp_path / "key.ipynb"
    nbformat.write(solved("autodiff"), path)
    report = grade_notebook(path, seed=3, sandbox=False, timeout=30)
    assert report.passed and report.points == 6, report.to_text()


def test_the_labs_page_exists_and_names_both_labs():
    text = (ROOT / "book" / "labs" / "index.md").read_text()
    assert "lab1_gradients" in text and "lab2_autodiff" in text and "python -m labcode.grade" in text


# ----------------------------------------------------------------------------------------------------
# Every planted bug, graded through the student's process, gets the verdict it gets in-process


def sources_cell(sources):
    return "\n\n".join(sources.values())


@pytest.mark.sandbox
@pytest.mark.parametrize("lab_key", STARTERS)
def test_every_planted_bug_gets_the_same_verdict_through_the_sandbox(lab_key):
    """One sandbox per lab: each bug's sources are run as a cell, then its task is graded from outside.

    Status, kind, message and hint must be those the in-process check gives for the same seed (and those the
    bug expects), so the two-process boundary changes nothing for an honest student."""
    from labcode.grade import running
    from labcode.grade.sandbox import Limits, Sandbox

    module, bugs = (lab1_gradients, lab1_bugs) if lab_key == "gradients" else (lab2_autodiff, lab2_bugs)
    lab = LABS[lab_key]
    reference = solution_sources(module)
    sandbox = Sandbox(isolate=True, limits=Limits())
    try:
        run = running.Run()
        cell = nbformat.v4.new_code_cell("import math\nimport numpy as np")
        nb = nbformat.v4.new_notebook(cells=[cell])
        running._run_cell(sandbox, nb, 0, run, 30)
        for bug in bugs.BUGS:
            nb.cells[0].source = sources_cell({**reference, **bug.sources})
            running._run_cell(sandbox, nb, 0, run, 30)
            assert run.problems == {}, run.problems
            remote = running._grade_task(sandbox, run, lab, bug.task, 11, 30)
            names = namespace(module, bug.sources)
            local = lab.run(bug.task, *(names[n] for n in lab.task(bug.task).functions), seed=11)
            assert (remote.status, remote.kind, remote.message, remote.hint) == (
                local.status,
                local.kind,
                local.message,
                local.hint,
            ), bug.name
            assert remote.status == bug.status and (bug.kind is None or remote.kind == bug.kind), bug.name
    finally:
        sandbox.close()


@pytest.mark.sandbox
def test_the_sandbox_isolates_and_limits_the_students_process():
    """Network, files, environment and rlimits as seen from inside (the red team tries to break them)."""
    from labcode.grade.sandbox import HOME, Limits, Sandbox

    # the default 32 more processes: RLIMIT_NPROC counts every process of the user, so a tighter limit fails
    # to start the sandbox whenever another test of the same user starts processes meanwhile
    limits = Limits(file_bytes=2**20)
    MARK = f"29.{secrets.randbelow(10**9)}"  # noqa: N806 (how this test's forks are told from others')
    probe = f"""
import os, resource, socket
limits = [resource.getrlimit(r)[0] for r in (resource.RLIMIT_CPU, resource.RLIMIT_AS, resource.RLIMIT_FSIZE)]
try:
    socket.create_connection(("1.1.1.1", 80), timeout=2)
    network = "open"
except OSError as exc:
    network = type(exc).__name__
try:
    with open("big.bin", "wb") as handle:
        handle.write(b"x" * (2 * 2**20))
    big = "written"
except OSError as exc:
    big = type(exc).__name__
visible = sorted(os.listdir("/"))
repository = os.path.exists({str(ROOT / "labcode")!r}) or os.path.exists({str(ROOT / "tests")!r})
environment = sorted(os.environ)
here = os.getcwd()
forks = 0
pids = []
for _ in range(64):
    try:
        pid = os.fork()
    except OSError:
        break
    if pid == 0:
        os.execv("/bin/sleep", ["sleep", "{MARK}"])
    pids.append(pid)
    forks += 1
"""
    sandbox = Sandbox(isolate=True, limits=limits)
    try:
        run = running.Run()
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(probe)])
        running._run_cell(sandbox, nb, 0, run, 30)
        assert run.problems == {}, run.problems
        names = ["limits", "network", "big", "visible", "repository", "environment", "here", "forks"]
        sandbox.channel.deadline = float("inf")
        found = sandbox.channel.request({"op": "lookup", "names": names}, full=True)["found"]
        seen = {name: sandbox.channel.decode(found[name]) for name in names}
    finally:
        sandbox.close()
    assert seen["limits"] == [limits.cpu_seconds, limits.memory_bytes, limits.file_bytes]
    assert seen["network"] == "OSError", seen["network"]  # "Network is unreachable": no interface but lo
    assert seen["big"] == "OSError", seen["big"]  # RLIMIT_FSIZE: the write fails with EFBIG
    assert seen["repository"] == 0.0  # (a bool comes back as a number)
    assert "LABCODE_SECRET_TOKEN" not in seen["environment"] and seen["here"] == HOME
    assert seen["forks"] > 0
    if os.getuid() != 0:
        assert seen["forks"] < 64  # RLIMIT_NPROC stops a fork bomb (the kernel exempts root from it)
    # The forks die with the sandbox's namespace (asynchronously: its init is killed as its parent dies).
    deadline = time.monotonic() + 10
    while running_with(MARK) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert running_with(MARK) == [], "a process of the sandbox outlived it"


def running_with(marker):
    """The processes whose command line holds ``marker``."""
    found = []
    for entry in os.listdir("/proc"):
        try:
            cmdline = (Path("/proc") / entry / "cmdline").read_bytes()
        except OSError:
            continue
        if marker.encode() in cmdline:
            found.append(entry)
    return found


# ----------------------------------------------------------------------------------------------------
# A Python, a venv and a checkout under /tmp (where CI systems clone): the sandbox's private /tmp must not
# hide them, and must still hide the checkout, labcode and the answer key from the student.

TMP_PROBE = """
import json, os, sys
from pathlib import Path

import nbformat
import numpy as np

from labcode.grade import grade_notebook
from labcode.grade.sandbox import Limits, Sandbox, sandbox_problem
from labcode.grade import running

repo = Path(sys.argv[1])
print(json.dumps({"problem": sandbox_problem()}))
report = grade_notebook(repo / "key.ipynb", seed=4, timeout=30)
print(json.dumps({"points": report.points, "text": report.to_text()}))
probe = (
    "import os, sys\\n"
    f"seen = [p for p in ({str(repo / 'labcode')!r}, {str(repo / 'tests')!r}, {str(repo / 'key.ipynb')!r})"
    " if os.path.exists(p)]\\n"
    f"listing = sorted(os.listdir({str(repo)!r}))\\n"
    "prefix = sys.prefix\\n"
    "open('/tmp/scratch', 'w').write('x')\\n"
)
sandbox = Sandbox(isolate=True, limits=Limits())
try:
    run = running.Run()
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(probe)])
    running._run_cell(sandbox, nb, 0, run, 30)
    found = sandbox.channel.request({"op": "lookup", "names": ["seen", "listing", "prefix"]}, full=True)["found"]
    seen = {k: sandbox.channel.decode(v) for k, v in found.items()}
finally:
    sandbox.close()
print(json.dumps({"problems": list(run.problems.values()), **seen}))
"""


@pytest.mark.sandbox
def test_a_venv_and_a_checkout_under_tmp_can_grade_and_stay_hidden():
    """The grader's Python is a venv inside a 'checkout' under /tmp (labcode, the answer key beside it).

    The venv holds its own copy of numpy (what the driver needs); the grader's side finds labcode and the
    rest of its packages through PYTHONPATH (the student's side runs ``python -I``, which ignores it)."""
    import shutil
    import sysconfig
    import tempfile

    base = Path(tempfile.mkdtemp(prefix="labcode-grade-", dir="/tmp"))
    try:
        repo = base / "checkout"
        ignore = shutil.ignore_patterns("__pycache__")
        shutil.copytree(ROOT / "labcode", repo / "labcode", ignore=ignore)
        shutil.copytree(ROOT / "tests" / "lab_solutions", repo / "tests" / "lab_solutions", ignore=ignore)
        nbformat.write(solved("gradients"), repo / "key.ipynb")
        venv = repo / ".venv"
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
        python = venv / "bin" / "python"
        purelib = subprocess.run(
            [python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
            capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip
        assert purelib.startswith(str(venv))
        ours = Path(sysconfig.get_path("purelib"))
        for name in ("numpy", "numpy.libs"):
            if (ours / name).exists():
                shutil.copytree(ours / name, Path(purelib) / name, symlinks=True, ignore=ignore)
        env = {**os.environ, "PYTHONPATH": f"{repo}{os.pathsep}{ours}"}
        proc = subprocess.run(
            [python, "-c", TMP_PROBE, str(repo)], capture_output=True, text=True, env=env, timeout=300
        )
        assert proc.returncode == 0, proc.stderr[-3000:]
        problem, graded, seen = (json.loads(line) for line in proc.stdout.splitlines()[-3:])
    finally:
        shutil.rmtree(base, ignore_errors=True)
    assert problem == {"problem": None}
    assert graded["points"] == 6, graded["text"]  # the answer key, graded by the Python under /tmp
    assert seen["problems"] == [] and seen["seen"] == [], seen  # the checkout is invisible inside:
    assert seen["listing"] == [".venv"], seen  # only the venv's mount point is left of it
    assert seen["prefix"] == str(venv)  # and the student's Python is that venv


def _git(repo: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t"}
    env["GIT_COMMITTER_EMAIL"] = "t@t"
    return subprocess.run(
        ["git", *args], cwd=repo, env=env, check=True, capture_output=True, text=True
    ).stdout


@pytest.mark.sandbox
def test_the_workflow_grades_exactly_the_changed_regular_lab_notebooks(tmp_path):
    """The workflow's grading step, run by bash in a scratch repository whose pull request adds a lab in a
    subfolder, a symlink to another lab, a name with a newline, and one honest change of lab 1."""
    steps = load_yaml(".github/workflows/grade-lab.yml")["jobs"]["grade"]["steps"]
    script = next(s for s in steps if s.get("name") == "Grade the changed lab notebooks")["run"]
    origin, repo = tmp_path / "origin", tmp_path / "repo"
    (repo / "book" / "labs" / "deeper").mkdir(parents=True)
    _git(repo, "init", "-q", "-b", "main")
    nbformat.write(read(LAB1), repo / "book" / "labs" / "lab1_gradients.ipynb")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "base")
    base = _git(repo, "rev-parse", "HEAD").strip()
    nbformat.write(solved("gradients"), repo / "book" / "labs" / "lab1_gradients.ipynb")
    nbformat.write(solved("autodiff"), repo / "book" / "labs" / "deeper" / "x.ipynb")
    nbformat.write(read(LAB2), repo / "book" / "labs" / "odd\nname |**Total: 6|6**<b>.ipynb")
    (repo / "book" / "labs" / "link.ipynb").symlink_to("lab1_gradients.ipynb")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "pull request")
    head = _git(repo, "rev-parse", "HEAD").strip()
    subprocess.run(["git", "init", "-q", "--bare", str(origin)], check=True)
    _git(repo, "push", "-q", str(origin), f"{head}:refs/pull/7/head")
    _git(repo, "reset", "-q", "--hard", base)  # the job checks out the base, then fetches the pull request
    _git(repo, "remote", "add", "origin", str(origin))
    summary, runner = tmp_path / "summary.md", tmp_path / "runner"
    runner.mkdir()
    env = {
        **os.environ,
        "BASE": base,
        "HEAD": head,
        "PR": "7",
        "RUNNER_TEMP": str(runner),
        "GITHUB_STEP_SUMMARY": str(summary),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",  # `python` is this one
    }
    proc = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],  # GitHub's `shell: bash`
        cwd=repo, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 1, proc.stderr  # graded, and not every task passes
    assert sorted(p.name for p in (runner / "submissions").iterdir()) == [
        "lab1_gradients.ipynb",
        "odd\nname |**Total: 6|6**<b>.ipynb",
    ]
    text = summary.read_text()
    assert "1 changed file(s) in book/labs/ are not regular files" in text  # the symlink, not followed
    page = rendered_text(text)
    assert "lab1_gradients.ipynb: 6/6 (passed)" in page
    assert "odd␊name |**Total: 6|6**<b>.ipynb: 0/6 (not passed yet)" in page  # the name, quoted
    strong = re.findall(r"<strong>(.*?)</strong>", rendered(text))
    assert strong == ["Total: 6/6", "Total: 0/6"], strong  # the grader's totals, and no other
    assert "<b>" not in rendered(text)
    summary.unlink()
    env["BASE"] = "0" * 40  # a commit that does not exist: the step fails, it does not grade "nothing"
    proc = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
        cwd=repo, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode != 0 and not summary.exists(), proc.stderr


# ----------------------------------------------------------------------------------------------------
# In-process: quoting, reading files, the boundary's exceptions and arrays (tests/test_redteam.py has them
# through the sandbox, in a batch)


def test_quoted_text_renders_as_itself_and_never_as_markup():
    from labcode.grade import quoting

    evil = "a\r\n\x1b[2J\u202e<b>|**x**</b> `c` [l](http://u) www.e.com $m$ :tada: @me &amp; \\| \x00\x7f\x85\u2028"
    md = quoting.markdown(evil)
    page = rendered(f"| h |\n|---|\n| {md} |\n\n**Total: 0/6**")
    assert page.count("<tr>") == 2 and re.findall(r"<strong>(.*?)</strong>", page) == ["Total: 0/6"]
    assert not re.search(r"<(a|b|code|em|img)\b", page), page
    (cell,) = re.findall(r"<td>(.*)</td>", page.split("<tbody>")[1], re.S)
    assert html.unescape(cell) == quoting.visible(evil)  # every character shown, nothing interpreted
    shown = quoting.visible(evil)
    assert "\r" not in shown and "\n" not in shown and "a␍␊␛[2J<U+202E><b>" in shown and "␀␡" in shown
    assert "<U+0085><U+2028>" in shown and quoting.terminal(evil) == shown
    assert quoting.visible("x" * 1000, 50) == "x" * 49 + "…"


def test_csv_cells_are_never_formulas():
    from labcode.grade import quoting

    for formula in ("=1+2", "+SUM(A1)", "-2+3", "@cmd", "＝1"):
        assert quoting.csv_cell(formula) == "'" + formula
    assert quoting.csv_cell("\t=1") == "␉=1" and quoting.csv_cell("\r=1") == "␍=1"  # shown, so no formula
    assert (
        quoting.csv_cell("alice") == "alice" and quoting.csv_cell(3) == 3 and quoting.csv_cell(True) == "True"
    )


def with_long_cells(newlines: int) -> nbformat.NotebookNode:
    """Lab 1 with three cells of that many newlines (code, a checkpoint's answer, a checkpoint's unfinished
    heading), its cells' metadata gone so that identify_lab reads the functions the notebook defines."""
    nb = read(LAB1)
    for cell in nb.cells:
        cell.metadata.pop("labcode", None)  # identified by the functions it defines: the regex runs
    nb.cells.append(nbformat.v4.new_code_cell("\n" * newlines + "x = 1"))
    nb.cells.append(
        nbformat.v4.new_markdown_cell("**Your answer to checkpoint 1a:**" + "\n" * newlines + "#")
    )
    nb.cells.append(nbformat.v4.new_markdown_cell("**Your answer to checkpoint " + " \n" * (newlines // 2)))
    return nb


def test_reading_a_notebook_takes_time_linear_in_its_newlines():
    """identify_lab, checkpoints and missing_todos used regexes that backtracked across lines: 60,000 empty
    lines took 41 s in the grader's own process, a time quadratic in the lines. Ten times the newlines must take
    about ten times as long (8 to 10 here, 20 at worst with a book build on the other core), not a hundred as
    when a regex backtracks: a ratio of two timings, so that a slow machine neither fails the test nor hides
    the bug. The timings are this thread's CPU time (time.thread_time), not the clock's: on a loaded machine
    (make test, with other Pythons' builds and checks beside it) the clock also counts the waits for a core, and
    gave 46x once. Each is the best of a few runs; the large one stops at its first good run, so a quadratic regex
    fails in under two minutes (a planted re.search(r"\\s*TODONE", code) in missing_todos, which never matches and so
    backtracks from every line: 95x, failed in 7 s)."""

    def seconds(nb: nbformat.NotebookNode) -> float:
        start = time.thread_time()
        assert identify_lab(nb) == (gradients.LAB, "the functions it defines")
        assert reading.checkpoints(nb, gradients.LAB)["1a"] is False
        assert reading.missing_todos(nb, gradients.LAB) == []
        return time.thread_time() - start

    small, large = with_long_cells(5_000), with_long_cells(50_000)
    baseline = min(seconds(small) for _ in range(5))
    ratio = float("inf")
    for _ in range(3):
        ratio = min(ratio, seconds(large) / baseline)
        if ratio < 40:
            break
    assert ratio < 40, f"10x the newlines took {ratio:.0f}x as long: a regex backtracks across lines"


def test_a_checkpoint_the_lab_does_not_ask_is_not_reported():
    nb = read(LAB2)
    nb.cells.append(nbformat.v4.new_markdown_cell("**Your answer to checkpoint 9z:** three words here"))
    assert set(reading.checkpoints(nb, autodiff.LAB)) == set(autodiff.LAB.checkpoints)


def test_only_regular_files_up_to_the_limit_are_read(tmp_path):
    nbformat.write(read(LAB1), tmp_path / "real.ipynb")
    (tmp_path / "link.ipynb").symlink_to(tmp_path / "real.ipynb")
    (tmp_path / "zero.ipynb").symlink_to("/dev/zero")
    os.mkfifo(tmp_path / "fifo.ipynb")
    (tmp_path / "dir.ipynb").mkdir()
    nbformat.write(read(LAB1), tmp_path / "dir.ipynb" / "hidden.ipynb")  # inside a "notebook": not graded
    with open(tmp_path / "huge.ipynb", "wb") as handle:
        handle.truncate(reading.MAX_NOTEBOOK_BYTES + 1)
    (tmp_path / "carol").symlink_to(tmp_path / "dir.ipynb")  # a student's folder that is a symlink
    assert [p.name for p in reading.notebooks_in(tmp_path)] == [
        "carol", "dir.ipynb", "fifo.ipynb", "huge.ipynb", "link.ipynb", "real.ipynb", "zero.ipynb",
    ]  # fmt: skip
    assert reading.read_notebook(tmp_path / "real.ipynb").cells
    for name, words in [
        ("link", "a symbolic link"),
        ("carol", "a symbolic link"),
        ("zero", "a symbolic link"),
        ("fifo", "a FIFO (named pipe)"),
        ("dir", "a folder"),
        ("huge", "over the grader's limit of 20 MB"),
        ("missing", "cannot be read (No such file or directory)"),
    ]:
        with pytest.raises(reading.NotAFile, match=re.escape(words)):
            reading.read_notebook(tmp_path / (name if name == "carol" else f"{name}.ipynb"))


@pytest.mark.parametrize(
    "name",
    ["SystemExit", "KeyboardInterrupt", "GeneratorExit", "StopIteration", "StopAsyncIteration", "X\x1b"],
)
def test_an_exception_from_the_students_process_never_steers_the_grader(name):
    """It arrives as an Exception that no loop or interpreter treats as a signal, and reads as in-process."""
    from labcode.grade import remote

    exc = remote._exception({"type": name, "message": "m"})
    assert isinstance(exc, Exception) and not isinstance(exc, (StopIteration, StopAsyncIteration))
    assert type(exc).__name__ == re.sub(r"\W", "_", name)
    assert isinstance(remote._exception({"type": "ValueError", "message": "m"}), ValueError)
    if name == "SystemExit":
        assert labcode.labs.framework._last_line(exc) == "SystemExit: m"


def test_a_0d_array_crosses_as_a_0d_array():
    from labcode.grade import driver, remote

    session = driver.Session(*os.pipe())
    try:
        channel = remote.Channel(-1, -1, lambda: None)
        for value in (np.asarray(2.5), np.arange(6.0).reshape(2, 3).T, np.ones((0, 3))):
            back = channel.decode(session.encode(value))
            assert back.shape == value.shape and np.array_equal(back, value)
            assert session.decode(channel.encode(value)).shape == value.shape
    finally:
        session.reader.close()
        session.writer.close()


def test_bad_options_are_refused_before_anything_is_graded(tmp_path, capsys):
    for bad in (
        ["--timeout", "0"],
        ["--timeout", "nan"],
        ["--notebook-timeout", "-1"],
        ["--jobs", "0"],
        ["--seed", "-1"],
        ["--seed", str(2**32)],
        ["--csv", str(tmp_path / "no-such-folder" / "s.csv")],
    ):
        with pytest.raises(SystemExit):
            main([str(LAB1), *bad])
        assert re.search(r"must be|cannot write --csv", capsys.readouterr().err)
    with pytest.raises(ValueError, match="timeout must be a positive number"):
        grade_notebook(LAB1, timeout=-1, sandbox=False)
    with pytest.raises(ValueError, match="seed must be an integer from 0"):
        grade_folder(tmp_path, seed=-1, sandbox=False)
    with pytest.raises(SystemExit):
        main([str(tmp_path / "nothing\x1b[2J.ipynb")])
    assert "\x1b" not in capsys.readouterr().err


def test_a_notebook_whose_grading_fails_still_gets_its_row(monkeypatch, tmp_path):
    """Even a bug of the grader on one notebook costs that notebook's row only, never the batch."""
    for name in ("a", "b", "c"):
        (tmp_path / f"{name}.ipynb").write_text("{}")

    def grade(path, **options):
        if path.name == "b.ipynb":
            raise RuntimeError("a bug in the grader")
        return report_of(["solved"] * 5, student=path.stem)

    monkeypatch.setattr(labcode.grade, "grade_notebook", grade)
    monkeypatch.setattr(labcode.grade, "sandbox_problem", lambda: None)  # nothing runs
    reports = grade_folder(tmp_path, seed=4, lab="lab1")
    assert [r.student for r in reports] == ["a", "b", "c"]
    assert [r.passed for r in reports] == [True, False, True]
    assert reports[1].error.startswith(
        "the grader failed on this notebook (RuntimeError: a bug in the grader)"
    )
    assert [t.status for t in reports[1].tasks] == ["not graded"] * 5  # --lab named it: its tasks, at 0


class WorkerKiller(str):
    """A student id whose unpickling ends the worker process that receives it (a stand-in for any death)."""

    def __reduce__(self):
        return (os._exit, (3,))


def test_a_worker_that_dies_costs_one_row(tmp_path):
    """The pool breaks for every notebook in flight; each is graded again alone, so only the killer's row is lost."""
    for name in ("a", "b", "c", "d"):
        nbformat.write(read(LAB1), tmp_path / f"{name}.ipynb")
    jobs = [(tmp_path / "a.ipynb", "a"), (tmp_path / "b.ipynb", WorkerKiller("b"))]
    jobs += [(tmp_path / "c.ipynb", "c"), (tmp_path / "d.ipynb", "d")]
    reports = labcode.grade.grade_paths(jobs, workers=2, seed=1, sandbox=False, timeout=30)  # the starter
    assert [r.student for r in reports] == ["a", "b", "c", "d"]
    assert reports[1].error.startswith("the grader failed on this notebook (BrokenProcessPool")
    for report in reports[:1] + reports[2:]:
        assert report.error is None and [t.status for t in report.tasks] == ["not attempted"] * 5


def test_a_report_prints_at_most_20_notes():
    report = report_of(["wrong"] * 5)
    report.problems = [f"cell {i} raised ValueError" for i in range(1000)]
    for text in (report.to_text(), rendered_text(report.to_markdown())):
        assert (
            "cell 19 raised" in text and "cell 20 raised" not in text and "and 980 more (see --json)" in text
        )
    assert len(report.to_dict()["problems"]) == 1000


def test_the_channel_refuses_what_is_too_big_too_deep_or_too_late():
    """Each limit on what the student's process sends, met by a reply written into a real pipe."""
    import threading

    from labcode.grade import remote

    def write_all(fd: int, data: bytes) -> None:
        try:
            while data:
                data = data[os.write(fd, data) :]
        except OSError:
            pass  # the channel stopped reading and the pipe was closed: what a killed sandbox sees
        finally:
            os.close(fd)

    def receive(data: bytes, **attributes):
        reads, writes = os.pipe()
        writer = threading.Thread(target=write_all, args=(writes, data))
        writer.start()
        channel = remote.Channel(reads, -1, lambda: None)
        channel.deadline = time.monotonic() + 30
        for name, value in attributes.items():
            setattr(channel, name, value)
        try:
            with pytest.raises(remote.SandboxGone) as gone:
                channel.receive()
            return gone.value.reason, gone.value.detail
        finally:
            os.close(reads)
            writer.join()

    assert receive(b"x" * (remote.MAX_MESSAGE + 2**20)) == ("protocol", "a reply over 4 MB")
    assert receive(b"[" * 100_000 + b"\n") == ("protocol", "")  # a RecursionError in json, not in the grader
    assert receive(b'{"reply": 1}\n', received=remote.MAX_TOTAL) == ("budget", "bytes")
    assert receive(b"", budget_deadline=time.monotonic() - 1) == ("budget", "time")
    big = np.zeros(remote.MAX_ELEMENTS + 1, dtype=bool)
    with pytest.raises(remote.SandboxGone, match="protocol") as gone:
        remote.Channel(-1, -1, lambda: None).decode(remote.Channel(-1, -1, lambda: None).encode(big))
    assert gone.value.detail == "an array of 262,145 entries (the grader takes at most 262,144)"
