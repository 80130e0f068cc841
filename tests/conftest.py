"""Shared fixtures: the repository's layout, its configuration, and one strict build of the book."""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display in tests or CI: set before anything imports pyplot

import matplotlib.pyplot as plt  # noqa: E402
import nbformat  # noqa: E402
import pytest  # noqa: E402
import yaml  # noqa: E402
from hypothesis import settings  # noqa: E402

# Property tests: derandomized by default, so `make test` and CI run the same examples every time and a
# failure reproduces. HYPOTHESIS_PROFILE=random explores new examples locally (and keeps a database of failures).
settings.register_profile("derandomized", derandomize=True, database=None, deadline=None, print_blob=True)
settings.register_profile("random", derandomize=False, deadline=None, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "derandomized"))

ROOT = Path(__file__).resolve().parents[1]

# Test tiers (the markers are registered in pyproject.toml): what a whole module needs beyond labcode's own
# dependencies. `make check` deselects them all. Modules that mix tiers mark their tests themselves.
MODULE_MARKERS = {
    "test_book.py": ("build",),
    "test_site_links.py": ("build",),
    "test_site.py": ("build", "browser"),
    "test_site_explorables.py": ("build", "browser"),
    # taps and keys in Chromium, which runs with its own sandbox for an ordinary user
    "test_site_navigation.py": ("build", "browser", "user"),
    "test_site_lighthouse.py": ("build", "browser"),
    "test_site_math.py": ("build", "browser"),
    "test_site_launch.py": ("notebooks", "doors", "slow"),
    "test_portability.py": ("notebooks", "slow"),
    "test_optim_torch.py": ("frameworks",),
    "test_doors.py": ("doors", "slow"),
    "test_pdf.py": ("build", "browser", "slow"),
}
FRAMEWORKS_NOTEBOOKS = ("12_pytorch_jax.ipynb",)


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """A module whose every test the -m expression deselects is not even imported (the fast tier never imports
    torch or Playwright). pytest applies -m only after collection, so it evaluates the same expression here."""
    from _pytest.mark.expression import Expression  # pytest's own -m parser (stable since pytest 6)

    markers = MODULE_MARKERS.get(collection_path.name)
    expression = config.getoption("markexpr")
    if not markers or not expression:
        return None
    return not Expression.compile(expression).evaluate(lambda name: name in markers) or None


# The order pytest-xdist hands out modules (`--dist loadfile --no-loadscope-reorder`, Makefile: one worker runs a
# module whole, since a notebook's cells share one kernel and a module's fixtures are built once): the longest go
# first and the short ones fill in around them (list scheduling). By default xdist orders modules by their number of
# tests, and the site's visits (one test's 361 s setup) could start last. The seconds each took in .ci/run on a
# 2-core machine (2026-12-07); a module not listed follows them, in collection order. A stale figure only
# makes the run slower, never a test wrong. (`--dist loadgroup`, which would let tests of one module run on two
# workers, does nothing under pytest 9: pytest-xdist 3.8 renames items through `item._nodeid`, which pytest 9 no
# longer reads, so every test became a unit of its own and the notebooks' cells ran on both workers.)
LONGEST_FIRST = {
    "tests/test_doors.py": 440,
    "tests/test_site.py": 285,
    "tests/test_site_launch.py": 200,
    "tests/test_portability.py": 195,
    "tests/test_pdf.py": 70,
    "tests/test_site_explorables.py": 65,
    "tests/test_site_lighthouse.py": 60,
    "tests/test_site_math.py": 55,
    "tests/test_site_navigation.py": 40,
    "book/11_stochastic_optimisers.ipynb": 35,
    "tests/test_redteam.py": 30,
    "tests/test_grade.py": 30,
}


@pytest.hookimpl(tryfirst=True)  # before pytest applies -m
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        markers = MODULE_MARKERS.get(item.path.name, ())
        if item.path.suffix == ".ipynb":  # nbval's cells
            markers = (
                ("notebooks", "frameworks") if item.path.name in FRAMEWORKS_NOTEBOOKS else ("notebooks",)
            )
        for name in markers:
            item.add_marker(name)
    # stable: a module's tests keep their order
    items.sort(key=lambda item: -LONGEST_FIRST.get(item.path.relative_to(ROOT).as_posix(), 0))


def load_yaml(name: str) -> dict:
    return yaml.safe_load((ROOT / name).read_text())


@functools.cache
def toc_files() -> list[str]:
    """Every document of _toc.yml, root first, in reading order: read by sphinx_external_toc, the parser Jupyter
    Book itself uses, so that globs, sections and parts mean here what they mean in the build."""
    from sphinx_external_toc.parsing import parse_toc_yaml

    site = parse_toc_yaml(ROOT / "_toc.yml")
    order: list[str] = []

    def walk(docname: str) -> None:
        order.append(docname)
        for tree in site[docname].subtrees:
            for item in tree.items:
                if isinstance(item, str):  # a document (not a glob or a URL)
                    walk(item)

    walk(site.root.docname)
    return order


def toc_notebooks() -> list[Path]:
    return [ROOT / f"{f}.ipynb" for f in toc_files() if (ROOT / f"{f}.ipynb").exists()]


def all_notebooks() -> list[Path]:
    return sorted(p for p in (ROOT / "book").rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)


def pinned_lines(path: Path) -> list[str]:
    """The requirement lines of a requirements file (``name==version``), without comments and ``-e .``."""
    lines = (ln.split("#")[0].strip() for ln in path.read_text().splitlines())
    return [ln for ln in lines if ln and not ln.startswith("-")]


def copy_checkout(target: Path) -> Path:
    """The repository as a fresh clone would have it, in ``target``: the tracked files and the new ones git does
    not ignore (so that uncommitted work is tested too), without .venv, _build or node_modules."""
    files = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\0")
    for name in filter(None, files):
        if (ROOT / name).is_file():  # a tracked file deleted in the work tree is not in the clone either
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, target / name)
    return target


def supported_pythons() -> list[str]:
    """The Pythons the course supports, oldest first ("3.11", ...), from the Makefile's PYTHON_MIN and PYTHON_MAX
    (the README, pyproject.toml and .binder/runtime.txt agree with them: tests/test_repository.py)."""
    makefile = (ROOT / "Makefile").read_text()
    low, high = (
        int(re.search(rf"^PYTHON_{k} := 3\.(\d+)$", makefile, re.M).group(1)) for k in ("MIN", "MAX")
    )
    return [f"3.{minor}" for minor in range(low, high + 1)]


def python_version(python: str | Path) -> str:
    """The full version of an interpreter ("3.12.1")."""
    code = "import platform; print(platform.python_version())"
    return subprocess.run(
        [str(python), "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()


def pythons_on_machine(minors: list[str] | None = None) -> dict[str, Path]:
    """Every distinct interpreter here of the given minor versions (default: the supported ones), by full version:
    pyenv's, those on PATH (``python3.12``; actions/setup-python puts them there on GitHub) and the system's
    /usr/bin/python3."""
    minors = supported_pythons() if minors is None else minors
    candidates = [Path("/usr/bin/python3")]
    for minor in minors:
        candidates += sorted(Path.home().glob(f".pyenv/versions/{minor}.*/bin/python{minor}"))
        on_path = shutil.which(f"python{minor}")
        if on_path and "/.pyenv/shims/" not in on_path:  # a shim runs only where pyenv selects a version
            candidates.append(Path(on_path))
    found: dict[str, Path] = {}
    seen: set[Path] = set()
    for python in candidates:
        if python.exists() and python.resolve() not in seen:
            seen.add(python.resolve())
            version = python_version(python)
            if ".".join(version.split(".")[:2]) in minors:
                found.setdefault(version, python)
    return found


def run(cmd: list[str], env: dict[str, str], cwd: Path, what: str) -> str:
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.fail(
            f"{what} failed (exit {proc.returncode}):\n{(proc.stdout + proc.stderr)[-6000:]}", pytrace=False
        )
    return proc.stdout


def isolated_env(home: Path) -> dict[str, str]:
    """The environment a fresh machine would give: no outer venv, Jupyter and matplotlib state kept in ``home``."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME") and not k.startswith("PYTEST_")
    }
    env.update(
        JUPYTER_DATA_DIR=str(home / "jupyter-data"),
        JUPYTER_CONFIG_DIR=str(home / "jupyter-config"),
        JUPYTER_PATH="",
        IPYTHONDIR=str(home / "ipython"),
        MPLCONFIGDIR=str(home / "matplotlib"),
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        # pip byte-compiles every file it installs; the tests' throwaway venvs import a fraction of them once, and
        # Python compiles what it imports anyway. Not compiling cuts each install's time (it is not a door: the
        # same packages install, and the README's venv compiles as usual).
        PIP_NO_COMPILE="1",
    )
    return env


def read_notebook(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


@pytest.fixture(autouse=True)
def isolated_matplotlib():
    """Each test gets matplotlib's defaults back and leaves no figure open."""
    with matplotlib.rc_context():
        yield
    plt.close("all")


def visible_lines(ax) -> list:
    """The lines of ``ax`` that have a legend entry (matplotlib hides labels starting with "_")."""
    return [ln for ln in ax.get_lines() if not ln.get_label().startswith("_")]


@pytest.fixture(scope="session")
def config() -> dict:
    return load_yaml("_config.yml")


@pytest.fixture(scope="session")
def built_book(tmp_path_factory) -> tuple[Path, str]:
    """Build the book once, from scratch, with warnings as errors; return (html folder, build log). Under
    pytest-xdist the workers share one build (the first to ask builds it, the others wait for it): no test writes
    into it, and each build is half a minute of a core."""
    from filelock import FileLock

    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent  # the session's folder, above each worker's own
    out = shared / "strict-book"
    with FileLock(str(shared / "strict-book.lock")):
        if not (out / "build.log").exists():
            out.mkdir(exist_ok=True)
            cmd = [
                str(Path(sys.executable).with_name("jupyter-book")),
                "build",
                str(ROOT),
                "--path-output",
                str(out),
                "--all",
                "-W",
                "-n",
                "--keep-going",
            ]
            proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
            (out / "build.log").write_text(
                f"exit {proc.returncode}\n{proc.stdout}{proc.stderr}", encoding="utf-8"
            )
    status, _, log = (out / "build.log").read_text(encoding="utf-8").partition("\n")
    html = out / "_build" / "html"
    if status != "exit 0" or not (html / "index.html").exists():
        pytest.fail(f"the strict book build failed ({status}):\n{log[-6000:]}")
    return html, log


@pytest.fixture(scope="session")
def served_site(built_book) -> tuple[str, Path]:
    """The built site on 127.0.0.1, gzip-compressed like GitHub Pages: (base URL ending in '/', html folder)."""
    from site_helpers import serve

    html, _ = built_book
    with serve(html) as base_url:
        yield base_url, html


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium, shared by every browser test of the session (Playwright's sync API)."""
    from playwright.sync_api import sync_playwright
    from site_helpers import CHROMIUM_ARGS, chromium_executable

    executable = chromium_executable()  # fails, with the install command, where Chromium is missing
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()
