"""The command line, ``python -m labcode.grade``: grade notebooks and folders, print a table, JSON or Markdown."""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

from labcode.grade import NO_SANDBOX_FLAG, SandboxUnavailable, grade_paths, write_csv
from labcode.grade.notebook import lab_named, notebooks_in, student_id
from labcode.grade.quoting import MAX_NAME, terminal

__all__ = ["main"]


def _collect(paths: Iterable[str]) -> list[tuple[Path, str]]:
    """(notebook, student id) for every notebook named or found under a named folder."""
    found: list[tuple[Path, str]] = []
    for name in paths:
        path = Path(name)
        if path.is_dir():  # (a folder the caller names is followed even if it is a symlink: it is theirs)
            found += [(p, student_id(p, path)) for p in notebooks_in(path)]
        else:
            found.append((path, student_id(path, None)))
    return found


def main(argv: Sequence[str] | None = None) -> int:
    """Grade notebooks and folders; exit 0 only when every task of every notebook passes, 2 on misuse."""
    parser = argparse.ArgumentParser(
        prog="python -m labcode.grade",
        description="Grade lab notebooks: the student's code runs in a sandbox, the verdict is decided outside it.",
    )
    parser.add_argument("paths", nargs="+", help="notebooks, or folders of notebooks")
    parser.add_argument("--lab", help="gradients (lab1) or autodiff (lab2); default: tell from the notebook")
    parser.add_argument("--seed", type=int, help="the seed of the random problems (default: a fresh one)")
    parser.add_argument(
        "--timeout", type=float, default=60, help="seconds per cell and per task (default 60)"
    )
    parser.add_argument(
        "--notebook-timeout",
        type=float,
        help="seconds for a whole notebook, all its cells and tasks (default 4 x --timeout)",
    )
    parser.add_argument("--jobs", type=int, default=1, help="notebooks graded at once (default 1)")
    parser.add_argument(
        NO_SANDBOX_FLAG,
        action="store_true",
        help="UNSAFE: run the submissions' code without bubblewrap, with your permissions "
        "(only for code you trust, or where no sandbox can be made)",
    )
    form = parser.add_mutually_exclusive_group()
    form.add_argument("--json", action="store_true", help="print a JSON list of reports")
    form.add_argument("--markdown", action="store_true", help="print Markdown (e.g. >> $GITHUB_STEP_SUMMARY)")
    parser.add_argument("--csv", metavar="FILE", help="also write one CSV row per notebook to FILE")
    args = parser.parse_args(argv)
    if args.lab is not None:
        try:
            lab_named(args.lab)
        except ValueError as exc:
            parser.error(str(exc))
    if args.jobs < 1:
        parser.error(f"--jobs must be at least 1, got {args.jobs}")
    for flag, value in (("--timeout", args.timeout), ("--notebook-timeout", args.notebook_timeout)):
        if value is not None and not 0 < value < float("inf"):
            parser.error(f"{flag} must be a positive number of seconds, got {value:g}")
    if args.seed is not None and not 0 <= args.seed < 2**32:
        parser.error(f"--seed must be from 0 to {2**32 - 1}, got {args.seed}")
    if args.csv:
        try:  # before grading: a typo in the path must not cost a whole batch's work
            with open(args.csv, "a", encoding="utf-8"):
                pass
        except OSError as exc:
            parser.error(f"cannot write --csv {terminal(args.csv, MAX_NAME)}: {exc.strerror}")
    # lexists: a broken symlink is still a path to report (as what it is), not a typo
    missing = [name for name in args.paths if not os.path.lexists(name)]
    if missing:
        parser.error(f"no such file or folder: {', '.join(terminal(m, MAX_NAME) for m in missing)}")
    files = _collect(args.paths)
    if not files:
        parser.error("no notebooks found")
    seed = secrets.randbelow(2**32) if args.seed is None else args.seed
    try:
        reports = grade_paths(
            files,
            workers=args.jobs,
            lab=args.lab,
            seed=seed,
            timeout=args.timeout,
            notebook_timeout=args.notebook_timeout,
            sandbox=not args.no_sandbox,
        )
    except SandboxUnavailable as exc:
        print(f"python -m labcode.grade: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps([r.to_dict() for r in reports], indent=2))
    elif args.markdown:
        print("\n".join(r.to_markdown() for r in reports))
    else:
        print("\n\n".join(r.to_text() for r in reports))
    if args.csv:
        try:
            write_csv(reports, args.csv)
        except OSError as exc:
            print(
                f"python -m labcode.grade: cannot write {terminal(args.csv, MAX_NAME)}: {exc}",
                file=sys.stderr,
            )
            return 2
    return 0 if all(r.passed for r in reports) else 1
