"""The doors readers walk through, with the real tools: every Python the README names builds the book and passes
labcode's tests (`make book`, `make check`, each in a fresh copy of the repository, as a newcomer would run them);
a Python outside that range is refused with the fix; requirements.txt and requirements-frameworks.txt are what
`make lock` (uv) makes of requirements.in and requirements-frameworks.in. Binder is tested with repo2docker's own
plan in tests/test_site_launch.py; GitHub's workflows against GitHub's schema in `make lint` and for the tools
their steps need in tests/test_repository.py.

Slow (a virtual environment per Python, installed from PyPI through pip's cache) and needs the registries.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, copy_checkout, isolated_env, python_version, pythons_on_machine, supported_pythons

THIS_PYTHON = Path(sys.executable).resolve()  # `make test` already runs everything on this one
# .ci/run's second run, as an ordinary user, runs `make book` and `make check` (then the sandbox and site tests) on
# the system's Python and names it here, so that `make test` does not install and build on it a second time.
SECOND_RUN_PYTHON = os.environ.get("DOORS_IN_SECOND_RUN")
ELSEWHERE = {Path(SECOND_RUN_PYTHON).resolve()} if SECOND_RUN_PYTHON else set()
OTHER_PYTHONS = {
    v: p
    for v, p in pythons_on_machine().items()
    if p.resolve() != THIS_PYTHON and p.resolve() not in ELSEWHERE
}


def make(target: str, python: Path, clone: Path, home: Path, *extra: str) -> subprocess.CompletedProcess:
    env = isolated_env(home)
    return subprocess.run(
        ["make", "-C", str(clone), target, f"PYTHON={python}", *extra],
        env=env,
        capture_output=True,
        text=True,
    )


def test_every_supported_python_is_on_this_machine():
    """Each minor version the README names has an interpreter here (this one included), so none goes untested."""
    versions = {".".join(v.split(".")[:2]) for v in pythons_on_machine()}
    missing = [v for v in supported_pythons() if v not in versions]
    assert not missing, (
        f"no interpreter for Python {missing} here: `pyenv install {missing[0]}`, or setup-python"
    )
    assert OTHER_PYTHONS or ELSEWHERE, "only the interpreter running the tests was found"


@pytest.mark.parametrize("version", sorted(OTHER_PYTHONS), ids=lambda v: f"python{v}")
def test_make_book_and_make_check_on(version, tmp_path):
    """`make book` then `make check` with PYTHON set, in a fresh copy: the pinned versions install, the book
    builds, and labcode's unit, property and doctests pass, on this interpreter."""
    python = OTHER_PYTHONS[version]
    clone = copy_checkout(tmp_path / "repo")
    book = make("book", python, clone, tmp_path)
    assert book.returncode == 0, (
        f"make book on Python {version} failed:\n{(book.stdout + book.stderr)[-6000:]}"
    )
    assert (clone / "_build" / "html" / "index.html").exists()
    assert python_version(clone / ".venv" / "bin" / "python") == version
    check = make("check", python, clone, tmp_path)
    tail = (check.stdout + check.stderr)[-6000:]
    assert check.returncode == 0, f"make check on Python {version} failed:\n{tail}"
    assert re.search(r"\d+ passed", tail), f"make check ran no test:\n{tail}"


def test_the_second_run_of_ci_builds_and_checks_on_the_python_it_names():
    """Where .ci/run takes the system Python's door out of this file (DOORS_IN_SECOND_RUN), its second run walks
    through it instead: `make book` and `make check` on that Python, as an ordinary user."""
    script = (ROOT / ".ci" / "run").read_text()
    assert re.search(r'DOORS_IN_SECOND_RUN="\$USER_PYTHON" make test', script), "make test not told"
    assert re.search(r'make -C "\$clone/repo" PYTHON="\$USER_PYTHON" "\$@"', script), (
        "the second run's make is not told the system Python"
    )
    assert re.search(r"^\s*as_reader book check\b", script, re.M), "the second run does not build and check"
    # it runs beside make test, and its failure fails CI all the same
    assert re.search(r'wait "\$reader" \|\| reader_status=\$\?', script)
    assert re.search(r'\[ "\$reader_status" -eq 0 \] \|\| \{.*exit "\$reader_status"; \}', script)


def test_make_refuses_a_python_outside_the_range(tmp_path):
    """An older Python (pyenv's or on PATH) is refused before anything is installed, with the fix."""
    oldest = supported_pythons()[0]
    older = f"3.{int(oldest.split('.')[1]) - 1}"
    candidates = list(pythons_on_machine([older]).values())
    assert candidates, f"no Python {older} here to check the refusal with (pyenv install {older})"
    clone = copy_checkout(tmp_path / "repo")
    proc = make("venv", candidates[0], clone, tmp_path)
    assert proc.returncode != 0
    assert f"Python {oldest} to {supported_pythons()[-1]} is needed" in proc.stdout + proc.stderr
    assert not (clone / ".venv").exists(), "a venv was created before the version was checked"


def test_the_locks_are_what_make_lock_makes(tmp_path):
    """`make lock` (uv pip compile, for every supported Python at once) reproduces requirements.txt from
    requirements.in, and requirements-frameworks.txt from requirements-frameworks.in: the locks were made by the
    tool, and nobody edited them by hand since."""
    clone = copy_checkout(tmp_path / "repo")
    (clone / ".venv").symlink_to(ROOT / ".venv")  # uv from this venv; -o keeps the stamp from being remade
    proc = subprocess.run(
        ["make", "-C", str(clone), "-o", ".venv/.installed", "lock"],
        env=isolated_env(tmp_path),
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
    for lock in ("requirements.txt", "requirements-frameworks.txt"):
        made = (clone / lock).read_text()
        assert made == (ROOT / lock).read_text(), f"{lock} differs from `make lock`'s output"
