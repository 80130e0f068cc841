"""The launch buttons: a notebook opened in Colab (simulated: no labcode until its first cell installs it) and in
Binder (the environment repo2docker itself plans, with the Python version it picks, built in a venv).

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
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import (
    ROOT,
    copy_checkout,
    isolated_env,
    pinned_lines,
    pythons_on_machine,
    run,
    supported_pythons,
    toc_notebooks,
)

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
    return copy_checkout(tmp_path_factory.mktemp("clone"))


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


def sorted_versions(pythons: dict[str, Path]) -> list[tuple[str, Path]]:
    return sorted(pythons.items(), key=lambda item: tuple(map(int, item[0].split("."))))


def repo2docker_plan(clone: Path) -> tuple[str, list[str]]:
    """What mybinder.org would build from the clone, from repo2docker itself: ``--no-build --debug`` prints the
    Dockerfile it plans (no Docker needed). Returns the Python version of its environment and the commands of its
    RUN steps that install the repository (those after the repository is copied in), in order."""
    r2d = Path(sys.executable).with_name("jupyter-repo2docker")
    proc = subprocess.run([str(r2d), "--no-build", "--debug", "."], cwd=clone, capture_output=True, text=True)
    plan = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"repo2docker could not plan the image:\n{plan[-4000:]}"
    version = re.search(r"Building conda environment for python=(\d+\.\d+)", plan)
    assert version, f"repo2docker names no Python version:\n{plan[:2000]}"
    assert "Python version unspecified" not in plan, "repo2docker falls back to its default Python"
    repository_steps = plan.split("COPY --chown=0:0 src/", 1)[1]
    return version.group(1), re.findall(r"^RUN (.+)$", repository_steps, re.M)


def binder_server_stack(version: str) -> list[str]:
    """The Jupyter server packages repo2docker's base environment has for ``version``, at the versions of its
    conda lock (the environment's direct dependencies; conda resolves the rest, pip does here)."""
    # found without importing repo2docker (whose import warns about one of its own dependencies)
    folder = Path(importlib.util.find_spec("repo2docker").origin).parent / "buildpacks" / "conda"
    wanted = re.findall(r"^- ([\w-]+)==", (folder / f"environment.py-{version}.yml").read_text(), re.M)
    lock = (folder / f"environment.py-{version}-linux-64.lock").read_text()
    pip_name = {"jupyterhub-singleuser": "jupyterhub"}  # conda's name for JupyterHub's single-user server
    stack = []
    for name in wanted:
        pinned = re.search(rf"/{re.escape(name)}-(\d[\w.]*)-[^/-]+\.(?:conda|tar\.bz2)", lock)
        assert pinned, f"{name} is not in repo2docker's lock for Python {version}"
        stack.append(f"{pip_name.get(name, name)}=={pinned.group(1)}")
    return stack


@pytest.fixture(scope="module")
def binder_python(clone, tmp_path_factory) -> Path:
    """Binder's environment, from repo2docker's own plan: a venv of the Python version it plans (from the machine's
    interpreters), its Jupyter server stack at its lock's versions, then exactly the RUN commands it plans for the
    repository, with the venv as ${KERNEL_PYTHON_PREFIX}. Only --no-cache-dir is dropped (pip's cache changes
    what is downloaded, not what is installed). Then pip check: nothing we pin may break Binder's server."""
    version, commands = repo2docker_plan(clone)
    low, high = supported_pythons()[0], supported_pythons()[-1]
    assert version in supported_pythons(), (
        f"Binder would run Python {version}; the course supports {low} to {high}"
    )
    # the newest patch release here: Binder's conda has the newest (3.11.14 in repo2docker 2026.4.0's lock)
    pythons = [p for v, p in sorted_versions(pythons_on_machine()) if v.startswith(f"{version}.")][::-1]
    assert pythons, (
        f"repo2docker plans Python {version}, which is not on this machine: pyenv install {version}"
    )
    home = tmp_path_factory.mktemp("binder")
    env = isolated_env(home)
    venv = home / "venv"
    run([str(pythons[0]), "-m", "venv", str(venv)], env, home, f"creating a Python {version} venv")
    python = venv / "bin" / "python"
    run(
        [str(python), "-m", "pip", "install", "-q", *binder_server_stack(version)],
        env,
        home,
        "Binder's server",
    )
    assert commands and all(c.startswith("${KERNEL_PYTHON_PREFIX}/bin/pip install ") for c in commands), (
        f"repo2docker plans a step this simulation does not know how to run: {commands}"
    )
    for command in commands:
        command = command.replace("${KERNEL_PYTHON_PREFIX}", str(venv)).replace(" --no-cache-dir", "")
        run(["bash", "-c", command], env, clone, command)
    run([str(python), "-m", "pip", "check"], env, home, "pip check in Binder's environment")
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
