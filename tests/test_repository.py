"""The repository keeps its promises: one repository URL, pinned tools, clean executed notebooks."""

from __future__ import annotations

import itertools
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, all_notebooks, load_yaml, read_notebook, toc_files, toc_notebooks

CHAPTERS = toc_notebooks()


def bootstrap_source(config: dict) -> str:
    """The first code cell every chapter must carry, built from the one repository URL in _config.yml."""
    repo = config["repository"]
    return (
        "# Make labcode importable: already installed locally and on Binder; on Colab this installs it from GitHub.\n"
        "import importlib.util\n"
        "import os\n"
        "import subprocess\n"
        "import sys\n"
        "\n"
        'if importlib.util.find_spec("labcode") is None:\n'
        "    LABCODE_SOURCE = os.environ.get(\n"
        f'        "LABCODE_SOURCE", "git+{repo["url"]}@{repo["branch"]}"\n'
        "    )\n"
        '    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", LABCODE_SOURCE], check=True)'
    )


def code_cells(nb):
    return [c for c in nb.cells if c.cell_type == "code"]


def test_there_are_chapters():
    assert CHAPTERS, "_toc.yml lists no notebook"


def test_every_toc_entry_exists():
    for name in toc_files():
        candidates = [ROOT / f"{name}{ext}" for ext in (".ipynb", ".md")]
        assert any(p.exists() for p in candidates), f"_toc.yml names {name}, which is neither .ipynb nor .md"


def test_every_notebook_in_book_is_in_the_toc():
    listed = set(toc_notebooks())
    stray = [p.relative_to(ROOT) for p in all_notebooks() if p not in listed]
    assert not stray, f"notebooks not in _toc.yml (they would not be built): {stray}"


def test_repository_settings(config):
    repo = config["repository"]
    assert re.fullmatch(r"https://github\.com/[\w.-]+/[\w.-]+", repo["url"]), repo["url"]
    assert repo["branch"] == "main", "launch buttons 404 unless the branch is the one the site is built from"
    assert repo["path_to_book"] == ""
    buttons = config["launch_buttons"]
    assert buttons["binderhub_url"] == "https://mybinder.org"
    assert buttons["colab_url"] == "https://colab.research.google.com"
    assert buttons["thebe"] is True


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_first_code_cell_bootstraps_labcode(path, config):
    first = code_cells(read_notebook(path))[0]
    assert first.source == bootstrap_source(config), (
        f"{path.name}: the first code cell must be the labcode bootstrap built from _config.yml's repository "
        "(see tests/test_repository.py::bootstrap_source)"
    )
    assert "thebe-init" in first.metadata.get("tags", []), "the bootstrap must run when a Thebe kernel starts"


def test_repository_url_appears_nowhere_else_in_a_different_form(config):
    url = config["repository"]["url"]
    other = re.compile(r"github\.com/([\w.-]+/[\w.-]+)")
    expected = url.removeprefix("https://github.com/")
    owner, name = expected.lower().split("/")
    for path in all_notebooks():
        for owner_repo in other.findall(path.read_text()):
            found = owner_repo.removesuffix(".git")
            theirs = found.lower().split("/")
            if theirs[0] != owner and theirs[1] != name:
                continue  # another project (a chapter may link to micrograd), not a form of this one
            assert found == expected, f"{path.name} points at github.com/{owner_repo}"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_uses_labcode(path):
    source = "\n".join(c.source for c in code_cells(read_notebook(path))[1:])
    assert re.search(r"^\s*(from|import) labcode", source, re.M), f"{path.name} does not import labcode"


@pytest.mark.parametrize("path", all_notebooks(), ids=lambda p: p.stem)
def test_notebook_is_stored_executed_and_clean(path):
    nb = read_notebook(path)
    counts = [c.execution_count for c in code_cells(nb) if c.source.strip()]
    assert counts == list(range(1, len(counts) + 1)), (
        f"not executed top to bottom on a fresh kernel: {counts}"
    )
    assert [c.id for c in nb.cells] == [f"cell-{i:03d}" for i in range(len(nb.cells))], (
        "cell ids not normalised"
    )
    assert set(nb.metadata) <= {"kernelspec", "language_info"}, f"stray notebook metadata: {set(nb.metadata)}"
    for cell in code_cells(nb):
        assert "execution" not in cell.metadata, "execution timings are stored (timestamps)"
        tags = cell.metadata.get("tags", [])
        kinds = [(o.output_type, o.get("name")) for o in cell.outputs]
        assert all(a != b or a[0] != "stream" for a, b in itertools.pairwise(kinds)), (
            f"{cell.id}: one stream stored in pieces (the split depends on timing); run make notebooks"
        )
        for out in cell.outputs:
            if out.output_type == "error":
                assert "raises-exception" in tags, f"stored error output: {out.ename}"
            text = out.get("text", "") + out.get("data", {}).get("text/plain", "")
            assert not re.search(r"0x[0-9a-fA-F]{6,}", text), f"memory address in an output: {text[:200]}"
            assert "image/svg+xml" not in out.get("data", {}), "SVG output would make nbval compare drawings"


def test_requirements_are_pinned():
    lines = [
        ln.strip()
        for ln in (ROOT / "requirements.txt").read_text().splitlines()
        if ln.strip() and not ln.startswith("#")
    ]
    assert lines[0] == "-e .", (
        "Binder (repo2docker) installs requirements.txt; its '-e .' makes labcode importable"
    )
    for line in lines[1:]:
        assert re.fullmatch(r"[A-Za-z0-9_.\-\[\]]+==[\w.+!-]+", line), f"not an exact pin: {line}"
    pins = dict(line.split("==") for line in lines[1:])
    pins = {k.lower().replace("_", "-"): v for k, v in pins.items()}
    assert int(pins["jupyter-book"].split(".")[0]) == 1, "Jupyter Book 2 is a different tool"
    assert pins["sphinx"].startswith("7."), pins["sphinx"]
    for tool in ("pytest", "nbval", "hypothesis", "ruff", "myst-nb", "sphinx-book-theme", "numpy"):
        assert tool in pins, f"{tool} is not pinned in requirements.txt"
    assert not (ROOT / "binder").exists(), "a binder/ folder would make repo2docker ignore requirements.txt"


def test_package_metadata():
    text = (ROOT / "pyproject.toml").read_text()  # tomllib is 3.11+, and the course supports 3.10
    assert re.search(r'^name = "labcode"$', text, re.M)
    assert re.search(r'^requires-python = ">=3.10"$', text, re.M)
    dependencies = re.search(r"^dependencies = \[(.*?)\]", text, re.M | re.S).group(1)
    assert "numpy" in dependencies and "==" not in dependencies, (
        "a library takes ranges; pins live in requirements.txt"
    )


def test_readme_names_every_public_labcode_module():
    row = next(
        line for line in (ROOT / "README.md").read_text().splitlines() if line.startswith("| `labcode/` |")
    )
    modules = {
        p.stem for p in (ROOT / "labcode").iterdir() if p.suffix == ".py" or (p / "__init__.py").exists()
    }
    public = sorted(m for m in modules if not m.startswith("_"))
    assert public and [m for m in public if f"`{m}`" not in row] == [], "README's labcode row misses a module"


def test_readme_opens_with_the_two_commands():
    head = (ROOT / "README.md").read_text()[:1500]
    assert "make book" in head and "make test" in head
    assert "_build/html/index.html" in head


def test_workflows_pin_actions_and_use_least_privilege():
    for path in (ROOT / ".github" / "workflows").glob("*.yml"):
        text = path.read_text()
        for ref in re.findall(r"uses:\s*(\S+)", text):
            assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", ref), (
                f"{path.name}: {ref} is not pinned to a SHA"
            )
        workflow = load_yaml(f".github/workflows/{path.name}")
        assert "permissions" in workflow, f"{path.name} sets no top-level permissions"
        assert "concurrency" in workflow, f"{path.name} has no concurrency group"
    pages = load_yaml(".github/workflows/pages.yml")
    assert pages["jobs"]["deploy"]["environment"]["name"] == "github-pages"
    assert pages["jobs"]["deploy"]["permissions"] == {"pages": "write", "id-token": "write"}


def test_workflows_pass_zizmor():
    """zizmor audits the workflows (offline: no GitHub API) and finds nothing of medium or high severity."""
    zizmor = Path(sys.executable).with_name("zizmor")
    proc = subprocess.run(
        [
            str(zizmor),
            "--offline",
            "--persona",
            "auditor",
            "--format",
            "json",
            str(ROOT / ".github" / "workflows"),
        ],
        capture_output=True,
        text=True,
    )
    findings = json.loads(proc.stdout)
    serious = [
        f"{f['ident']} ({f['determinations']['severity']}): {f['desc']}"
        for f in findings
        if f["determinations"]["severity"] in ("Medium", "High")
    ]
    assert not serious, "\n".join(serious)
