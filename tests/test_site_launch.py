"""The launch buttons, simulated: a notebook opened in Colab (no labcode until its first cell installs it) and in
Binder (an environment installed exactly as repo2docker does).

Every notebook already runs top to bottom four times in `make test` (nbval here and under three dispatch
settings), and every notebook's first cell is the same bootstrap (tests/test_repository.py). So each runtime runs
a chapter and a lab from top to bottom (the bootstrap, the install, a kernel in that environment), and for every
notebook checks that each module it imports is there. Chapter 12 imports PyTorch and JAX, which Colab has and
Binder lacks: its second cell (the frameworks cell) installs them, and runs here in the Binder environment. Slow
(two fresh virtual environments, installed from PyPI through pip's cache; torch from PyTorch's CPU index, or from
a local wheelhouse where pip has one); runs offline once pip's cache holds the pinned wheels.
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
from conftest import ROOT, pinned_lines, toc_notebooks

NOTEBOOKS = toc_notebooks()
# The notebooks each runtime runs from top to bottom: the first chapter, and the first lab (what students open in Colab).
RUN_IN_FULL = [NOTEBOOKS[0], next(p for p in NOTEBOOKS if "labs" in p.parts)]
# What a Colab runtime already has that the chapters use, at the versions requirements.txt pins; and PyTorch and
# JAX, at requirements-frameworks.txt's pins (real Colab has other versions, and a CUDA torch).
COLAB_PACKAGES = ["ipykernel", "nbclient", "nbformat", "numpy", "scipy", "matplotlib", "sympy"]
# The chapter whose second code cell installs PyTorch and JAX where they are missing (tests/test_frameworks_chapter.py).
FRAMEWORKS_CHAPTER = Path("book/12_pytorch_jax.ipynb")
CPU_INDEX = "https://download.pytorch.org/whl/cpu"  # the frameworks cell's default TORCH_INDEX_URL

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


def torch_index(python: Path, pin: str, env: dict[str, str], cwd: Path) -> str:
    """The index torch's CPU build comes from: TORCH_INDEX_URL if set; PyPI where pip finds the pinned CPU wheel
    without any index (a local wheelhouse in pip's find-links: PyPI then supplies only its dependencies); else
    PyTorch's CPU index, as on Binder. Never PyPI alone: its Linux torch is the CUDA build."""
    if os.environ.get("TORCH_INDEX_URL"):
        return os.environ["TORCH_INDEX_URL"]
    probe = [
        str(python),
        "-m",
        "pip",
        "install",
        "--dry-run",
        "--quiet",
        "--no-index",
        "--no-deps",
        "--ignore-installed",
        "--report",
        "-",
    ]
    proc = subprocess.run([*probe, pin], cwd=cwd, env=env, capture_output=True, text=True)
    found = json.loads(proc.stdout)["install"] if proc.returncode == 0 else []
    local_cpu = [i for i in found if i["metadata"]["version"].endswith("+cpu")]
    return "https://pypi.org/simple" if local_cpu else CPU_INDEX


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
    """A runtime like Colab's: numpy and friends, Jupyter, PyTorch and JAX (at the pinned versions), and no
    labcode, no myst-nb."""
    home = tmp_path_factory.mktemp("colab")
    env = isolated_env(home)
    python = make_venv(home / "venv", env)
    frameworks = pinned_lines(clone / "requirements-frameworks.txt")
    constraints = home / "constraints.txt"
    constraints.write_text("\n".join(pinned_lines(clone / "requirements.txt") + frameworks) + "\n")
    # torch first, alone, from the CPU wheels (Colab's is a CUDA build; only the modules matter here); then the
    # rest from PyPI at the pins, torch's dependencies included
    torch = next(pin for pin in frameworks if pin.startswith("torch=="))
    index = torch_index(python, torch, env, home)
    run(
        [str(python), "-m", "pip", "install", "-q", "--no-deps", torch, "--index-url", index],
        env,
        home,
        "pip",
    )
    run(
        [str(python), "-m", "pip", "install", "-q", "-c", str(constraints), *COLAB_PACKAGES, *frameworks],
        env,
        home,
        "pip",
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


def installed_by_the_notebook(path: Path) -> set[str]:
    """The modules a notebook installs itself where they are missing (``if importlib.util.find_spec("m") is None``):
    labcode (the bootstrap), PyTorch and JAX (chapter 12's frameworks cell)."""
    found: set[str] = set()
    for cell in json.loads(path.read_text())["cells"]:
        if cell["cell_type"] != "code":
            continue
        try:
            tree = ast.parse("".join(cell["source"]))
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Compare)
                and isinstance(node.left, ast.Call)
                and ast.unparse(node.left.func) == "importlib.util.find_spec"
                and isinstance(node.ops[0], ast.Is)
                and isinstance(node.left.args[0], ast.Constant)
            ):
                found.add(node.left.args[0].value)
    return found


def missing_modules(python: Path, modules: set[str], env: dict[str, str], cwd: Path) -> list[str]:
    code = "import importlib.util, sys; print(' '.join(m for m in sys.argv[1:] if importlib.util.find_spec(m) is None))"
    return run([str(python), "-c", code, *sorted(modules)], env, cwd, "looking for modules").split()


def test_every_notebook_imports_only_what_a_runtime_has():
    assert RUN_IN_FULL[0].stem.startswith("01") and "labs" in RUN_IN_FULL[1].parts
    assert all({"numpy", "labcode"} <= imported_modules(p) for p in NOTEBOOKS if "labs" not in p.parts)
    assert all("labcode" in installed_by_the_notebook(p) for p in NOTEBOOKS)
    assert {"labcode", "torch", "jax"} == installed_by_the_notebook(ROOT / FRAMEWORKS_CHAPTER)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_colab_has_every_module_the_notebook_imports(colab_python, tmp_path, path):
    """labcode aside (the bootstrap installs it), a Colab runtime has what the notebook imports."""
    missing = missing_modules(
        colab_python, imported_modules(path) - {"labcode"}, isolated_env(tmp_path), tmp_path
    )
    assert not missing, f"{path.name} imports {missing}, which a Colab runtime (COLAB_PACKAGES) lacks"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_binder_has_every_module_the_notebook_imports(binder_python, tmp_path, path):
    """Binder has what the notebook imports, or the notebook installs it (chapter 12: PyTorch and JAX; run below)."""
    missing = missing_modules(binder_python, imported_modules(path), isolated_env(tmp_path), tmp_path)
    lacking = set(missing) - installed_by_the_notebook(path)
    assert not lacking, f"{path.name} imports {sorted(lacking)}, which requirements.txt does not install"


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


def test_binder_frameworks_cell_installs_the_pinned_cpu_builds(clone, binder_python, tmp_path):
    """Chapter 12's frameworks cell, alone, in the Binder environment (which lacks PyTorch and JAX): it installs
    torch's CPU build and JAX at requirements-frameworks.txt's versions, then does nothing when run again.
    It installs into the module's Binder venv: the other tests here accept what a notebook installs itself."""
    env = isolated_env(tmp_path)
    assert missing_modules(binder_python, {"torch", "jax"}, env, tmp_path) == ["jax", "torch"]
    cells = [
        c for c in json.loads((clone / FRAMEWORKS_CHAPTER).read_text())["cells"] if c["cell_type"] == "code"
    ]
    cell = tmp_path / "frameworks_cell.py"
    cell.write_text("".join(cells[1]["source"]))
    pins = dict(line.split("==") for line in pinned_lines(clone / "requirements-frameworks.txt"))

    env["TORCH_INDEX_URL"] = torch_index(binder_python, f"torch=={pins['torch']}", env, tmp_path)
    run([str(binder_python), str(cell)], env, tmp_path, "the frameworks cell")
    report = (
        "import json, jax, jaxlib, torch; "
        "print(json.dumps([torch.__version__, torch.version.cuda, jax.__version__, jaxlib.__version__]))"
    )
    torch_version, cuda, jax_version, jaxlib_version = json.loads(
        run([str(binder_python), "-c", report], env, tmp_path, "importing torch and jax")
    )
    assert torch_version.split("+")[0] == pins["torch"] and cuda is None, (
        f"torch {torch_version}, CUDA {cuda}"
    )
    assert (jax_version, jaxlib_version) == (pins["jax"], pins["jaxlib"])

    # once installed, the cell installs nothing: it runs again with subprocess.run recording instead of running
    again = (
        "import subprocess; calls = []; subprocess.run = lambda *a, **k: calls.append(a); "
        f"exec(open({str(cell)!r}).read()); print(len(calls))"
    )
    assert run([str(binder_python), "-c", again], env, tmp_path, "the frameworks cell, again").strip() == "0"
