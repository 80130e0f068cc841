"""The launch buttons, simulated: a notebook opened in Colab (no labcode until its first cell installs it) and in
Binder (an environment installed exactly as repo2docker does).

Every notebook already runs top to bottom four times in `make test` (nbval here and under three dispatch
settings), and every notebook's first cell is the same bootstrap (tests/test_repository.py). So each runtime runs
a chapter and a lab from top to bottom (the bootstrap, the install, a kernel in that environment), and for every
notebook checks that each module it imports is there. Slow (two fresh virtual environments, installed from PyPI
through pip's cache); runs offline once pip's cache holds the pinned wheels.
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, toc_notebooks

NOTEBOOKS = toc_notebooks()
# The notebooks each runtime runs from top to bottom: the first chapter, and the first lab (what students open in Colab).
RUN_IN_FULL = [NOTEBOOKS[0], next(p for p in NOTEBOOKS if "labs" in p.parts)]
# What a Colab runtime already has that the chapters use, at the versions requirements.txt pins.
COLAB_PACKAGES = ["ipykernel", "nbclient", "nbformat", "numpy", "scipy", "matplotlib", "sympy"]

# Runs inside a venv: execute one notebook on a fresh kernel of that venv, from the notebook's folder.
RUN_NOTEBOOK = """
import sys
import nbformat
from nbclient import NotebookClient
path = sys.argv[1]
nb = nbformat.read(path, as_version=4)
NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": sys.argv[2]}}).execute()
"""
FIND_LABCODE = (
    "import importlib.util; spec = importlib.util.find_spec('labcode'); print(spec.origin if spec else '')"
)


def run(cmd: list[str], env: dict[str, str], cwd: Path, what: str) -> str:
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.fail(
            f"{what} failed (exit {proc.returncode}):\n{(proc.stdout + proc.stderr)[-6000:]}", pytrace=False
        )
    return proc.stdout


def isolated_env(home: Path) -> dict[str, str]:
    """The environment a fresh machine would give: no outer venv, Jupyter and matplotlib state kept in ``home``."""
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")}
    env.update(
        JUPYTER_DATA_DIR=str(home / "jupyter-data"),
        JUPYTER_CONFIG_DIR=str(home / "jupyter-config"),
        JUPYTER_PATH="",
        IPYTHONDIR=str(home / "ipython"),
        MPLCONFIGDIR=str(home / "matplotlib"),
        PIP_DISABLE_PIP_VERSION_CHECK="1",
    )
    return env


def make_venv(path: Path, env: dict[str, str]) -> Path:
    run([sys.executable, "-m", "venv", str(path)], env, path.parent, f"creating {path.name}")
    return path / "bin" / "python"


@pytest.fixture(scope="module")
def clone(tmp_path_factory) -> Path:
    """The repository as a fresh clone would have it: the tracked files and the new ones git does not ignore."""
    files = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\0")
    target = tmp_path_factory.mktemp("clone")
    for name in filter(None, files):
        if (ROOT / name).is_file():  # a tracked file deleted in the work tree is not in the clone either
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, target / name)
    return target


@pytest.fixture(scope="module")
def colab_python(clone, tmp_path_factory) -> Path:
    """A runtime like Colab's: numpy and friends (at the pinned versions), Jupyter, and no labcode, no myst-nb."""
    home = tmp_path_factory.mktemp("colab")
    env = isolated_env(home)
    python = make_venv(home / "venv", env)
    constraints = home / "constraints.txt"
    pins = (clone / "requirements.txt").read_text().splitlines()
    constraints.write_text("\n".join(line for line in pins if not line.startswith("-e")) + "\n")
    run(
        [str(python), "-m", "pip", "install", "-q", "-c", str(constraints), *COLAB_PACKAGES], env, home, "pip"
    )
    return python


def imported_modules(path: Path) -> set[str]:
    """The top-level modules a notebook's code cells import (cells with IPython magics are read line by line)."""
    found: set[str] = set()
    for cell in json.loads(path.read_text())["cells"]:
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"])
        try:
            tree = ast.parse(source)
        except SyntaxError:
            tree = ast.parse(
                "\n".join(ln for ln in source.splitlines() if not ln.lstrip().startswith(("%", "!")))
            )
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add(node.module.split(".")[0])
    return found


def missing_modules(python: Path, modules: set[str], env: dict[str, str], cwd: Path) -> list[str]:
    code = "import importlib.util, sys; print(' '.join(m for m in sys.argv[1:] if importlib.util.find_spec(m) is None))"
    return run([str(python), "-c", code, *sorted(modules)], env, cwd, "looking for modules").split()


def test_every_notebook_imports_only_what_a_runtime_has():
    assert RUN_IN_FULL[0].stem.startswith("01") and "labs" in RUN_IN_FULL[1].parts
    assert all({"numpy", "labcode"} <= imported_modules(p) for p in NOTEBOOKS if "labs" not in p.parts)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_colab_has_every_module_the_notebook_imports(colab_python, tmp_path, path):
    """labcode aside (the bootstrap installs it), a Colab runtime has what the notebook imports."""
    missing = missing_modules(
        colab_python, imported_modules(path) - {"labcode"}, isolated_env(tmp_path), tmp_path
    )
    assert not missing, f"{path.name} imports {missing}, which a Colab runtime (COLAB_PACKAGES) lacks"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_binder_has_every_module_the_notebook_imports(binder_python, tmp_path, path):
    missing = missing_modules(binder_python, imported_modules(path), isolated_env(tmp_path), tmp_path)
    assert not missing, f"{path.name} imports {missing}, which requirements.txt does not install"


@pytest.mark.parametrize("path", RUN_IN_FULL, ids=lambda p: p.stem)
def test_colab_bootstrap_installs_labcode_and_the_chapter_runs(clone, colab_python, tmp_path, path):
    """Colab: the notebook alone, without labcode; its first cell installs labcode from LABCODE_SOURCE (here the
    clone; on Colab the default, git+https://github.com/...@main), then every later cell runs."""
    env = isolated_env(tmp_path)
    # each chapter starts as a fresh Colab runtime would: without labcode, whatever the previous chapter installed
    run([str(colab_python), "-m", "pip", "uninstall", "-q", "-y", "labcode"], env, tmp_path, "pip uninstall")
    content = tmp_path / "content"  # Colab's working folder: the notebook, without the repository around it
    content.mkdir()
    notebook = content / path.name
    shutil.copy2(clone / path.relative_to(ROOT), notebook)
    assert run([str(colab_python), "-c", FIND_LABCODE], env, content, "looking for labcode").strip() == ""

    env["LABCODE_SOURCE"] = str(clone)
    run(
        [str(colab_python), "-c", RUN_NOTEBOOK, str(notebook), str(content)],
        env,
        content,
        f"running {path.name}",
    )
    origin = run([str(colab_python), "-c", FIND_LABCODE], env, content, "looking for labcode").strip()
    venv = colab_python.parent.parent
    assert origin.startswith(str(venv)), (
        f"the bootstrap cell did not install labcode into the runtime: {origin!r}"
    )


@pytest.fixture(scope="module")
def binder_python(clone, tmp_path_factory) -> Path:
    """repo2docker without a binder/ folder: `pip install -r requirements.txt` from the repository root."""
    home = tmp_path_factory.mktemp("binder")
    env = isolated_env(home)
    python = make_venv(home / "venv", env)
    run([str(python), "-m", "pip", "install", "-q", "-r", "requirements.txt"], env, clone, "pip install -r")
    return python


@pytest.mark.parametrize("path", RUN_IN_FULL, ids=lambda p: p.stem)
def test_binder_environment_runs_the_notebook(clone, binder_python, tmp_path, path):
    env = isolated_env(tmp_path)
    notebook = clone / path.relative_to(ROOT)
    origin = run(
        [str(binder_python), "-c", FIND_LABCODE], env, notebook.parent, "looking for labcode"
    ).strip()
    assert origin.startswith(str(clone / "labcode")), (
        f"labcode should come from the repository (-e .): {origin!r}"
    )
    run(
        [str(binder_python), "-c", RUN_NOTEBOOK, str(notebook), str(notebook.parent)],
        env,
        notebook.parent,
        "run",
    )
