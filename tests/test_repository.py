"""The repository keeps its promises: one repository URL, pinned tools, clean executed notebooks."""

from __future__ import annotations

import itertools
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import (
    ROOT,
    all_notebooks,
    load_yaml,
    pinned_lines,
    read_notebook,
    supported_pythons,
    toc_files,
    toc_notebooks,
)

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


def test_the_build_reads_nothing_in_the_tool_folders(config, tmp_path):
    """book/_ext (Sphinx extensions) and book/_tools (the PDF printer; Lighthouse, installed into
    book/_tools/node_modules) hold no page: Sphinx, given _config.yml's exclude_patterns, finds no source in
    them. only_build_toc_files is not enough: the glob that lists what it excludes skips hidden folders, and
    Sphinx read the .md files in npm packages' .github folders (the strict build failed: "document isn't
    included in any toctree")."""
    from sphinx.project import Project

    for page in (
        "book/intro.md",
        "book/_ext/notes.md",
        "book/_tools/node_modules/resolve/.github/THREAT_MODEL.md",
    ):
        (tmp_path / page).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / page).write_text("# A page\n")
    found = Project(str(tmp_path), {".md": "markdown"}).discover(config["exclude_patterns"])
    assert found == {"book/intro"}, f"exclude_patterns lets the build read {sorted(found - {'book/intro'})}"


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
    """requirements.txt: `-e .` first, then one exact pin per package (or one per side of a Python-version line,
    where a package dropped a Python the course supports), as `make lock` writes it."""
    from packaging.requirements import Requirement

    lines = [ln.strip() for ln in (ROOT / "requirements.txt").read_text().splitlines()]
    lines = [ln for ln in lines if ln and not ln.startswith("#")]
    assert lines[0] == "-e .", (
        "Binder (repo2docker) installs requirements.txt; its '-e .' makes labcode importable"
    )
    pins: dict[str, list] = {}
    for line in lines[1:]:
        req = Requirement(line)
        (spec,) = req.specifier
        assert spec.operator == "==" and "*" not in spec.version, f"not an exact pin: {line}"
        pins.setdefault(req.name.lower().replace("_", "-"), []).append((spec.version, req.marker))
    for name, versions in pins.items():
        if len(versions) > 1:
            assert all(m is not None and "python" in str(m) for _, m in versions), (
                f"{name} pinned twice: {versions}"
            )
    assert int(pins["jupyter-book"][0][0].split(".")[0]) == 1, "Jupyter Book 2 is a different tool"
    assert pins["sphinx"][0][0].startswith("7."), pins["sphinx"]
    for tool in ("pytest", "nbval", "hypothesis", "ruff", "myst-nb", "sphinx-book-theme", "numpy", "uv"):
        assert tool in pins, f"{tool} is not pinned in requirements.txt"
    assert not (ROOT / "binder").exists(), "a binder/ folder would make repo2docker ignore .binder/"


def test_the_frameworks_lock_agrees_with_the_book_and_pins_no_cuda_package():
    """requirements-frameworks.txt (`make lock`) pins one exact version per package for every Python and machine
    at once (chapter 12's cell installs one), at requirements.txt's version of each package both pin (the book's
    lock is its constraint), and nothing only PyPI's CUDA build of torch needs: `make test` installs the CPU build,
    and pip would fetch several GB. The CUDA packages torch needs come with a Linux marker, so a new name that the
    Makefile's CUDA_ONLY pattern misses fails here too."""
    from packaging.requirements import Requirement

    def pins(path: Path) -> dict[str, str]:
        found = {}
        for line in pinned_lines(path):
            req = Requirement(line)
            (spec,) = req.specifier
            assert spec.operator == "==" and req.marker is None, f"{path.name}: not one exact pin: {line}"
            found[req.name.lower().replace("_", "-")] = spec.version
        return found

    frameworks = pins(ROOT / "requirements-frameworks.txt")
    book = {}
    for line in pinned_lines(ROOT / "requirements.txt"):
        req = Requirement(line)
        book.setdefault(req.name.lower().replace("_", "-"), set()).add(next(iter(req.specifier)).version)
    assert {"torch", "jax", "jaxlib"} <= set(frameworks)
    differ = {name: (v, book[name]) for name, v in frameworks.items() if name in book and book[name] != {v}}
    assert not differ, f"pinned otherwise than requirements.txt (run make lock): {differ}"
    cuda = [name for name in frameworks if re.match(r"(nvidia-|cuda-|triton$)", name)]
    assert not cuda, f"pins of torch's CUDA build: {cuda}"


def test_readme_pyproject_makefile_and_binder_name_one_python_range():
    low, high = supported_pythons()[0], supported_pythons()[-1]
    text = (ROOT / "pyproject.toml").read_text()  # one reader for every file here, tomllib or not
    assert re.search(rf'^requires-python = ">={re.escape(low)}"', text, re.M), "pyproject's lower bound"
    readme = (ROOT / "README.md").read_text()[:1500]
    assert f"Python {low} to {high}" in readme, "the README's opening paragraph names another range"
    assert "3.10" not in readme, "the README still names Python 3.10"
    runtime = (ROOT / ".binder" / "runtime.txt").read_text().strip()
    assert re.fullmatch(r"python-3\.\d+", runtime), runtime
    binder = tuple(map(int, runtime.removeprefix("python-").split(".")))
    assert tuple(map(int, low.split("."))) <= binder <= tuple(map(int, high.split("."))), runtime
    # Binder installs the one lock: .binder/requirements.txt only points at it
    binder_requirements = [
        ln.strip() for ln in (ROOT / ".binder" / "requirements.txt").read_text().splitlines() if ln.strip()
    ]
    assert [ln for ln in binder_requirements if not ln.startswith("#")] == ["-r ../requirements.txt"]


def test_package_metadata():
    text = (ROOT / "pyproject.toml").read_text()
    assert re.search(r'^name = "labcode"$', text, re.M)
    assert re.search(r'^license = "MIT"', text, re.M), "an SPDX string (a TOML table is deprecated)"
    assert re.search(r'^requires = \["setuptools>=\d+,<\d+"\]', text, re.M), "setuptools bounded above"
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


# What GitHub's ubuntu-24.04 runner image has, of what our steps call (actions/runner-images,
# images/ubuntu/Ubuntu2404-Readme.md): Node.js and npm, Google Chrome, make, git, sudo. Not bubblewrap, not
# Debian's Chromium at /usr/bin/chromium, and AppArmor forbids unprivileged user namespaces.
RUNNER_IMAGE = {"node", "make", "git", "sudo", "/usr/bin/google-chrome"}
# What a step's command needs beyond Python: (pattern of the command, the needs)
STEP_NEEDS = [
    (r"\bmake (test|pytest)\b|\.ci/run\b", {"bwrap", "userns", "chromium", "node", "make", "poppler"}),
    (r"-m labcode\.grade\b", {"bwrap", "userns"}),
    (r"print_pdf\.py", {"chromium"}),
    (r"jupyter-book build|\bmake (book|venv|pdf)\b", {"node", "make"}),
]
# How a step (or the script it runs) provides a need
PROVIDES = [
    (r"(apt-get install|need_apt\+=\()[^\n]*\bbubblewrap\b", "bwrap"),
    (r"sysctl -w kernel\.apparmor_restrict_unprivileged_userns=0", "userns"),
    (r"(apt-get install|need_apt\+=\()[^\n]*\bnodejs\b", "node"),
    (r"(apt-get install|need_apt\+=\()[^\n]*\bpoppler-utils\b", "poppler"),
]


def step_provides(text: str, env: dict[str, str]) -> set[str]:
    found = {need for pattern, need in PROVIDES if re.search(pattern, text)}
    chromium = env.get("CHROMIUM", "/usr/bin/chromium")  # the path tests/site_helpers.py and print_pdf.py use
    if chromium in RUNNER_IMAGE or (
        chromium == "/usr/bin/chromium"
        and re.search(r"(apt-get install|need_apt\+=\()[^\n]*\bchromium\b", text)
    ):
        found.add("chromium")
    return found


def test_every_workflow_step_has_the_tools_it_needs():
    """Each `run:` step's needs (bubblewrap and user namespaces for the grader, Chromium at the path the tests use,
    Node for the build) are in the runner image or provided by an earlier step, or by the script it calls."""
    for path in sorted((ROOT / ".github" / "workflows").glob("*.yml")):
        for name, job in load_yaml(f".github/workflows/{path.name}")["jobs"].items():
            have = set(RUNNER_IMAGE)
            for step in job.get("steps", []):
                script = step.get("run", "")
                env = {**job.get("env", {}), **step.get("env", {})}
                text = script + ((ROOT / ".ci" / "run").read_text() if ".ci/run" in script else "")
                have |= {
                    need.removeprefix("/usr/bin/google-") for need in RUNNER_IMAGE if need in env.values()
                }
                have |= step_provides(text, env)
                for pattern, needs in STEP_NEEDS:
                    if re.search(pattern, script):
                        missing = needs - have
                        assert not missing, (
                            f"{path.name}/{name}: `{script.strip()[:60]}` needs {sorted(missing)}"
                        )


def test_the_test_workflow_runs_ci_with_every_supported_python():
    """test.yml runs .ci/run (one definition of "the tests pass"), with every Python the README names on PATH for
    tests/test_doors.py, one older for the refusal check, and the supported oldest as the default."""
    job = load_yaml(".github/workflows/test.yml")["jobs"]["test"]
    assert any(step.get("run", "").strip() == ".ci/run" for step in job["steps"])
    setup = next(s for s in job["steps"] if s.get("uses", "").startswith("actions/setup-python@"))
    versions = str(setup["with"]["python-version"]).split()
    low = supported_pythons()[0]
    older = f"3.{int(low.split('.')[1]) - 1}"
    assert set(versions) == {older, *supported_pythons()}, versions
    assert versions[-1] == low, "setup-python's last version is the default python3"


def test_workflows_match_github_schema(tmp_path):
    """check-jsonschema with the schema of GitHub's workflows it ships (offline), as `make lint` runs it."""
    tool = Path(sys.executable).with_name("check-jsonschema")
    workflows = sorted(str(p) for p in (ROOT / ".github" / "workflows").glob("*.yml"))
    proc = subprocess.run(
        [str(tool), "--builtin-schema", "vendor.github-workflows", *workflows], capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    broken = ROOT / ".github" / "workflows" / "test.yml"
    bad = load_yaml(".github/workflows/test.yml")
    bad["jobs"]["test"]["runs-on"] = {"not": "a runner"}  # the schema must be able to fail
    import tempfile

    with tempfile.NamedTemporaryFile("w", suffix=".yml") as handle:
        yaml.safe_dump(bad, handle)
        handle.flush()
        proc = subprocess.run(
            [str(tool), "--builtin-schema", "vendor.github-workflows", handle.name],
            capture_output=True,
            text=True,
        )
    assert proc.returncode != 0, f"a broken copy of {broken.name} passed the schema"
