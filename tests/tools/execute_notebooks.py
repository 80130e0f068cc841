"""Execute notebooks in place on a fresh kernel and store them without noise.

    python tests/tools/execute_notebooks.py book/01_derivatives.ipynb [more.ipynb ...]

Each notebook runs top to bottom in a new ``python3`` kernel from its own folder (as nbval and
Colab run it). Then it is normalised so that a re-run changes nothing unless an output changed:
cell ids are derived from the cell's position, per-cell execution timings are not recorded, and
the kernel and language metadata are fixed. Exits non-zero if a cell raises (unless the cell is
tagged ``raises-exception``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
LANGUAGE_INFO = {"name": "python", "pygments_lexer": "ipython3"}


def merge_streams(outputs: list) -> list:
    """Join consecutive outputs of the same stream (stdout, stderr) into one. How the kernel splits a
    cell's printing into messages depends on timing, so without this a re-run can store the same text
    in a different number of pieces."""
    merged: list = []
    for output in outputs:
        previous = merged[-1] if merged else None
        if (
            output.output_type == "stream"
            and previous is not None
            and previous.output_type == "stream"
            and previous.name == output.name
        ):
            previous.text += output.text
        else:
            merged.append(output)
    return merged


def normalise(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Give cells stable ids, store each stream in one piece, and keep only metadata that does not change
    between runs."""
    nb.metadata = nbformat.from_dict({"kernelspec": KERNELSPEC, "language_info": LANGUAGE_INFO})
    for index, cell in enumerate(nb.cells):
        cell.id = f"cell-{index:03d}"
        cell.metadata.pop("execution", None)
        cell.metadata.pop("collapsed", None)
        cell.metadata.pop("scrolled", None)
        if cell.cell_type == "code":
            cell.outputs = merge_streams(cell.outputs)
    return nb


def execute(path: Path, timeout: int) -> None:
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:  # start from nothing so no stale output survives
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
        record_timing=False,
    )
    client.execute()
    nbformat.validate(nb)
    nbformat.write(normalise(nb), path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--timeout", type=int, default=600, help="seconds per cell (default 600)")
    args = parser.parse_args(argv)
    failed = []
    for path in args.notebooks:
        print(f"executing {path} ...", flush=True)
        try:
            execute(path, args.timeout)
        except CellExecutionError as exc:
            print(f"FAILED {path}:\n{exc}", file=sys.stderr)
            failed.append(path)
    if failed:
        print(f"{len(failed)} notebook(s) failed: {', '.join(map(str, failed))}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
