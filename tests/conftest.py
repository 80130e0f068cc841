"""Shared fixtures: the repository's layout, its configuration, and one strict build of the book."""

from __future__ import annotations

import os
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


def load_yaml(name: str) -> dict:
    return yaml.safe_load((ROOT / name).read_text())


def toc_files(entry: dict | list | None = None) -> list[str]:
    """Every ``file:`` named in _toc.yml, root first, in reading order."""
    if entry is None:
        toc = load_yaml("_toc.yml")
        return [toc["root"], *toc_files(toc.get("parts", []) + toc.get("chapters", []))]
    found: list[str] = []
    for item in entry if isinstance(entry, list) else [entry]:
        if "file" in item:
            found.append(item["file"])
        for key in ("chapters", "sections", "parts"):
            found += toc_files(item.get(key, []))
    return found


def toc_notebooks() -> list[Path]:
    return [ROOT / f"{f}.ipynb" for f in toc_files() if (ROOT / f"{f}.ipynb").exists()]


def all_notebooks() -> list[Path]:
    return sorted(p for p in (ROOT / "book").rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)


def pinned_lines(path: Path) -> list[str]:
    """The requirement lines of a requirements file (``name==version``), without comments and ``-e .``."""
    lines = (ln.split("#")[0].strip() for ln in path.read_text().splitlines())
    return [ln for ln in lines if ln and not ln.startswith("-")]


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
    """Build the book once, from scratch, with warnings as errors; return (html folder, build log)."""
    out = tmp_path_factory.mktemp("book")
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
    log = proc.stdout + proc.stderr
    html = out / "_build" / "html"
    if proc.returncode != 0 or not (html / "index.html").exists():
        pytest.fail(f"the strict book build failed (exit {proc.returncode}):\n{log[-6000:]}")
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
