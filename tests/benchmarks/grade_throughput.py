"""How fast the grader grades a class: 40 mixed submissions, as ``python -m labcode.grade folder --jobs 2`` does.

Run ``python tests/benchmarks/grade_throughput.py`` (``make bench``). The folder: 20 answer keys (10 per lab), 10
notebooks with a planted bug (the first five of each lab's list), 10 untouched starters (5 per lab), written
with the same helpers the tests use (tests/lab_solutions). Each notebook runs in its own bubblewrap sandbox,
so bwrap must work here. Prints the wall time, notebooks per minute and the scores' tally, and exits with status
1 below the target of 200 notebooks per minute (README, issue 21), which needs a quiet machine.
"""

from __future__ import annotations

import argparse
import collections
import csv
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))
from lab_solutions import lab1_bugs, lab1_gradients, lab2_autodiff, lab2_bugs  # noqa: E402
from lab_solutions._planted import fill_notebook, solution_sources  # noqa: E402

LABS = {
    "lab1_gradients": (lab1_gradients, lab1_bugs.BUGS),
    "lab2_autodiff": (lab2_autodiff, lab2_bugs.BUGS),
}
TARGET_PER_MINUTE = 200


def write_class(folder: Path) -> int:
    count = 0
    for lab, (solution, bugs) in LABS.items():
        starter = ROOT / "book" / "labs" / f"{lab}.ipynb"
        key = solution_sources(solution)
        for i in range(10):
            nb = fill_notebook(nbformat.read(starter, as_version=4), key)
            nbformat.write(nb, folder / f"{lab}-key{i:02d}.ipynb")
        for i, bug in enumerate(bugs[:5]):
            nb = fill_notebook(nbformat.read(starter, as_version=4), {**key, **bug.sources})
            nbformat.write(nb, folder / f"{lab}-bug{i:02d}.ipynb")
        for i in range(5):
            nbformat.write(nbformat.read(starter, as_version=4), folder / f"{lab}-starter{i:02d}.ipynb")
        count += 20
    return count


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "class"
        folder.mkdir()
        count = write_class(folder)
        scores = Path(tmp) / "scores.csv"
        start = time.perf_counter()
        command = [
            sys.executable,
            "-m",
            "labcode.grade",
            str(folder),
            "--jobs",
            str(args.jobs),
            "--csv",
            str(scores),
        ]
        subprocess.run(command, capture_output=True, text=True, check=False)
        wall = time.perf_counter() - start
        rows = list(csv.DictReader(scores.open()))
    per_minute = count / wall * 60
    scores_by_kind = collections.defaultdict(collections.Counter)
    for row in rows:
        kind = row["student"].rsplit("-", 1)[-1].rstrip("0123456789")
        scores_by_kind[kind][f"{row['points']}/{row['max_points']}"] += 1
    print(
        f"{count} notebooks, --jobs {args.jobs}: {wall:.1f} s, {per_minute:.0f} per minute; {len(rows)} CSV rows"
    )
    for kind, tally in sorted(scores_by_kind.items()):
        print(f"  {kind:8} {dict(sorted(tally.items()))}")
    if len(rows) != count:
        print(f"FAIL: {len(rows)} CSV rows for {count} notebooks")
        return 1
    if per_minute < TARGET_PER_MINUTE:
        print(f"MISSED: {per_minute:.0f} per minute, target {TARGET_PER_MINUTE} (needs a quiet machine)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
