"""Chapter 12 (PyTorch and JAX) and the frameworks it runs on: one set of pins, a CPU build, outputs any version gives.

The chapter's second code cell (the "frameworks cell") installs torch and JAX where they are missing (Binder, a
fresh clone); its versions are requirements-frameworks.txt's, which `make test` installs. Colab has other
versions, so nothing the chapter stores may depend on them. `make book` renders stored outputs and needs neither.
(tests/test_site_launch.py runs the frameworks cell in a Binder environment.)
"""

from __future__ import annotations

import ast
import importlib.metadata
import re

import pytest
from conftest import ROOT, load_yaml, pinned_lines, read_notebook, toc_files
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

CHAPTER = ROOT / "book" / "12_pytorch_jax.ipynb"
FRAMEWORKS = ROOT / "requirements-frameworks.txt"
# What a stored output must not show: a framework's repr (its format changes between versions, and it names
# dtypes and devices), a machine's devices, an installation's paths.
MACHINE_SPECIFIC = [
    "tensor(",
    "Array(",
    "dtype=torch.",
    "device=",
    "grad_fn=",
    "CpuDevice",
    "TFRT_CPU",
    "site-packages",
    "dist-packages",
    "/usr/",
]
BINARY_MIMES = ("image/png", "image/jpeg", "image/gif", "application/pdf")  # base64: any substring may occur


def pins(path) -> dict[str, str]:
    """canonical name -> exact version, from a requirements file of ``name==version`` lines."""
    found = {}
    for line in pinned_lines(path):
        name, sep, version = line.partition("==")
        assert sep and version, f"{path.name}: {line!r} is not pinned to an exact version"
        found[canonicalize_name(name)] = version
    return found


def code_cells(nb) -> list:
    return [c for c in nb.cells if c.cell_type == "code"]


@pytest.fixture(scope="module")
def chapter():
    if not CHAPTER.exists():
        pytest.fail(f"{CHAPTER.relative_to(ROOT)} does not exist", pytrace=False)
    return read_notebook(CHAPTER)


@pytest.fixture(scope="module")
def frameworks_cell(chapter):
    cells = code_cells(chapter)
    assert len(cells) >= 2, "chapter 12 has no second code cell (the frameworks cell)"
    return cells[1]


@pytest.fixture(scope="module")
def frameworks_tree(frameworks_cell) -> ast.Module:
    return ast.parse(frameworks_cell.source)


def list_assigned(tree: ast.Module, name: str) -> list[str]:
    """The literal list of strings assigned to ``name`` at the cell's top level."""
    for node in tree.body:
        if isinstance(node, ast.Assign) and [getattr(t, "id", None) for t in node.targets] == [name]:
            value = ast.literal_eval(node.value)
            assert isinstance(value, list) and all(isinstance(v, str) for v in value), (
                f"{name} is not a list of str"
            )
            return value
    pytest.fail(f"the frameworks cell assigns no {name} = [...]", pytrace=False)


def pip_installs(tree: ast.Module) -> list[ast.List]:
    """The argument lists of the cell's ``subprocess.run([... "pip", "install", ...])`` calls."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.List):
            words = [e.value for e in node.args[0].elts if isinstance(e, ast.Constant)]
            if "pip" in words and "install" in words:
                found.append(node.args[0])
    return found


def starred_names(args: ast.List) -> set[str]:
    return {e.value.id for e in args.elts if isinstance(e, ast.Starred) and isinstance(e.value, ast.Name)}


# --- one set of pins ------------------------------------------------------------------------------------------


def test_the_chapter_is_in_the_table_of_contents():
    """Else the site omits it and tests/test_site_launch.py checks none of its imports."""
    assert "book/12_pytorch_jax" in toc_files()


def test_the_frameworks_cell_installs_exactly_the_pinned_versions(frameworks_tree):
    pinned = pins(FRAMEWORKS)
    for name, packages in (("TORCH", {"torch"}), ("JAX", {"jax", "jaxlib"})):
        wanted = list_assigned(frameworks_tree, name)
        requirements = [Requirement(w) for w in wanted]
        assert {canonicalize_name(r.name) for r in requirements} == packages, f"{name} = {wanted}"
        for r in requirements:
            assert str(r.specifier) == f"=={pinned[canonicalize_name(r.name)]}", (
                f"the frameworks cell's {name} asks for {r}; requirements-frameworks.txt pins "
                f"{r.name}=={pinned[canonicalize_name(r.name)]}"
            )


@pytest.mark.frameworks
def test_the_frameworks_pins_are_complete():
    """Every package torch and JAX need (as installed here) is pinned, in requirements.txt or
    requirements-frameworks.txt, at the version installed: `make test` runs what the pins say."""
    pinned = pins(ROOT / "requirements.txt") | pins(FRAMEWORKS)
    todo, seen, wrong = ["torch", "jax", "jaxlib"], set(), []
    while todo:
        name = canonicalize_name(todo.pop())
        if name in seen:
            continue
        seen.add(name)
        dist = importlib.metadata.distribution(name)  # make test installs the frameworks before the tests run
        if pinned.get(name) != dist.version.split("+")[0]:
            wrong.append(f"{name} {dist.version} (pinned: {pinned.get(name)})")
        for spec in dist.requires or []:
            requirement = Requirement(spec)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                todo.append(requirement.name)
    assert {"torch", "jax", "jaxlib", "ml-dtypes", "opt-einsum"} <= seen
    assert not wrong, f"installed but not pinned at that version: {wrong}"


# --- the frameworks cell ----------------------------------------------------------------------------------------


def test_the_frameworks_cell_is_hidden_and_runs_with_the_live_kernel(frameworks_cell):
    tags = frameworks_cell.metadata.get("tags", [])
    assert "thebe-init" in tags, "the frameworks must be installed when a Thebe (Binder) kernel starts"
    assert "hide-input" in tags, "the install is plumbing: its input is folded away on the page"


def test_the_frameworks_cell_installs_torch_from_the_cpu_index_and_only_where_missing(frameworks_tree):
    installs = pip_installs(frameworks_tree)
    torch_installs = [args for args in installs if "TORCH" in starred_names(args)]
    jax_installs = [args for args in installs if "JAX" in starred_names(args)]
    assert len(torch_installs) == 1 and len(jax_installs) == 1, "one pip install for TORCH, one for JAX"
    # PyPI's Linux torch is a CUDA build of several GB: torch comes from an index of CPU wheels, never the default
    words = [e.value if isinstance(e, ast.Constant) else None for e in torch_installs[0].elts]
    assert "--index-url" in words, (
        "torch must be installed with --index-url (PyPI's default is the CUDA build)"
    )
    index_arg = torch_installs[0].elts[words.index("--index-url") + 1]
    assert isinstance(index_arg, ast.Name), "the index is a variable that TORCH_INDEX_URL can override"
    defaults = [
        node.args[1].value
        for node in ast.walk(frameworks_tree)
        if isinstance(node, ast.Call)
        and len(node.args) == 2
        and isinstance(node.args[0], ast.Constant)
        and node.args[0].value == "TORCH_INDEX_URL"
        and isinstance(node.args[1], ast.Constant)
    ]
    assert defaults == ["https://download.pytorch.org/whl/cpu"], f"TORCH_INDEX_URL's default: {defaults}"
    # installed only where missing: Colab's own torch and JAX, and `make test`'s pinned ones, are left alone
    guards = {}
    for node in ast.walk(frameworks_tree):
        if isinstance(node, ast.If):
            test = ast.unparse(node.test)
            for args in installs:
                if any(inner is args for stmt in node.body for inner in ast.walk(stmt)):
                    guards[ast.unparse(args)] = test
    for module, args in (("torch", torch_installs[0]), ("jax", jax_installs[0])):
        assert guards.get(ast.unparse(args)) == f"importlib.util.find_spec('{module}') is None", (
            f"the {module} install must run only where {module} is missing"
        )


# --- outputs any version gives ----------------------------------------------------------------------------------


def stored_texts(nb) -> list[tuple[int, str]]:
    """(cell index, text) of every stored output's text: streams, values, displays, errors, glued records."""
    found = []
    for i, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            if "text" in output:
                found.append((i, output["text"]))
            if "traceback" in output:
                found.append((i, "\n".join(output["traceback"])))
            for mime, data in output.get("data", {}).items():
                if mime not in BINARY_MIMES:
                    found.append((i, data if isinstance(data, str) else "".join(data)))
    return found


def test_the_chapter_stores_outputs(chapter):
    assert stored_texts(chapter), "chapter 12 is committed with its outputs (nbval compares them)"


def test_no_stored_output_depends_on_the_framework_versions_or_the_machine(chapter):
    """Colab runs other versions than ours: the chapter prints numbers through numpy, never a tensor's repr."""
    versions = set(pins(FRAMEWORKS).values())
    for name in ("torch", "jax", "jaxlib"):
        try:
            versions.add(importlib.metadata.version(name))
        except importlib.metadata.PackageNotFoundError:
            pass  # the pins above still count
    versions = {v for v in versions if v.count(".") >= 2}  # "2.13.0", "0.10.2": not a bare number like "3.4"
    patterns = [re.escape(s) for s in MACHINE_SPECIFIC] + [
        rf"(?<![\d.]){re.escape(v)}(?![\d])" for v in versions
    ]
    found = [
        f"cell {i}: {m.group(0)!r} in ...{text[max(0, m.start() - 40) : m.end() + 40]!r}..."
        for i, text in stored_texts(chapter)
        for p in patterns
        for m in [re.search(p, text)]
        if m
    ]
    assert not found, "version- or machine-specific stored outputs:\n" + "\n".join(found)


# --- the book does without them ---------------------------------------------------------------------------------


def test_make_book_and_binder_do_not_need_the_frameworks():
    book = pins(ROOT / "requirements.txt")
    assert not {"torch", "jax", "jaxlib"} & set(book), (
        "requirements.txt (make book, Binder) must not pin them"
    )
    requested = {
        canonicalize_name(Requirement(line).name)
        for line in (ROOT / "requirements.in").read_text().splitlines()
        if line.split("#")[0].strip() and not line.startswith("-")
    }
    assert not {"torch", "jax", "jaxlib"} & requested
    assert load_yaml("_config.yml")["execute"]["execute_notebooks"] == "off", (
        "the build must not run chapter 12"
    )
    book_rule = next(
        line for line in (ROOT / "Makefile").read_text().splitlines() if line.startswith("book:")
    )
    assert "FRAMEWORKS" not in book_rule
