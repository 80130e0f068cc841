"""The stored outputs reproduce under other CPU-dispatch settings, not only on the CPU that executed them.

The main run checks every notebook with nbval under this machine's defaults. Here nbval runs again over every
notebook under settings that change which machine code computes the numbers:

- ``numpy-baseline-openblas-<A>``: numpy's SIMD dispatch limited to its build baseline (``NPY_ENABLE_CPU_FEATURES``),
  so ``exp``, ``log``, ``sin``, sums... take the paths a CPU without AVX2/AVX-512 takes, and OpenBLAS on one thread
  with a kernel other than this machine's (``OPENBLAS_CORETYPE``);
- ``openblas-<B>``: a third OpenBLAS kernel, on two threads, numpy dispatching as usual.

Between them every factor differs from this machine's default at least once (numpy's dispatch, OpenBLAS's kernel
and its blocking, hence the order of additions in matrix products, and the thread count), in two runs rather than
one per factor: each run executes every notebook, and they share the machine's two cores with the rest of the suite.

Each setting is first read back from a fresh interpreter (numpy's ``__cpu_features__``, threadpoolctl), so a
setting that silently did nothing fails here instead of passing vacuously. The environment's own
``OPENBLAS_CORETYPE``/``OPENBLAS_L2_SIZE`` (set on some machines for old OpenBLAS builds) are never unset: the
kernels chosen here are ones this CPU supports, read from its feature flags.
"""

from __future__ import annotations

import json
import os
import platform
import re
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest
from conftest import ROOT

PROBE = """
import json
import numpy as np
import threadpoolctl
from numpy._core._multiarray_umath import __cpu_dispatch__, __cpu_features__
blas = [i for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas"]
print(json.dumps({
    "dispatch_enabled": sorted(t for t in __cpu_dispatch__ if __cpu_features__.get(t)),
    "blas_architecture": blas[0].get("architecture") if blas else None,
    "blas_threads": blas[0]["num_threads"] if blas else None,
    "dot": float(np.ones(3) @ np.ones(3)),
}))
"""

# OpenBLAS kernels by what the CPU must support to run them, most capable first.
X86_CORETYPES = [("SkylakeX", {"avx512f", "avx512bw", "avx512dq", "avx512vl"}), ("Haswell", {"avx2", "fma"}),
                 ("Sandybridge", {"avx"}), ("Prescott", {"sse3"})]  # fmt: skip
ARM_CORETYPES = [("NEOVERSEN1", {"asimd"}), ("CORTEXA57", {"asimd"}), ("ARMV8", set())]


def cpu_flags() -> set[str]:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return set()
    match = re.search(r"^(?:flags|Features)\s*:(.*)$", text, re.MULTILINE)
    return set(match.group(1).split()) if match else set()


def probe(env: dict[str, str]) -> dict:
    """What numpy and OpenBLAS really run under ``env``, read from a fresh interpreter."""
    out = subprocess.run(
        [sys.executable, "-c", PROBE], env={**os.environ, **env}, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout)


@cache
def default() -> dict:
    return probe({})


@cache
def configurations() -> dict[str, dict[str, str]]:
    """name -> environment of each setting; the two coretypes are the first this CPU runs whose kernels differ
    from the default's and from each other's."""
    from numpy._core._multiarray_umath import __cpu_baseline__

    table = X86_CORETYPES if platform.machine().lower() in ("x86_64", "amd64") else ARM_CORETYPES
    flags = cpu_flags()
    seen = {default()["blas_architecture"]}
    coretypes = []
    for name, needs in table:
        if needs <= flags or not flags:
            architecture = probe({"OPENBLAS_CORETYPE": name})["blas_architecture"]
            if architecture not in seen:
                seen.add(architecture)
                coretypes.append(name)
    assert len(coretypes) >= 2, f"fewer than two other OpenBLAS kernels run here: {coretypes}"
    return {
        f"numpy-baseline-openblas-{coretypes[0]}": {
            "NPY_ENABLE_CPU_FEATURES": " ".join(__cpu_baseline__),
            "OPENBLAS_CORETYPE": coretypes[0],
            "OPENBLAS_NUM_THREADS": "1",
        },
        f"openblas-{coretypes[1]}": {"OPENBLAS_CORETYPE": coretypes[1], "OPENBLAS_NUM_THREADS": "2"},
    }


SETTINGS = list(configurations().items())


@pytest.mark.parametrize(("name", "env"), SETTINGS, ids=[name for name, _ in SETTINGS])
def test_each_setting_really_changes_what_runs(name, env):
    base, seen = default(), probe(env)
    assert seen["dot"] == 3.0
    if "NPY_ENABLE_CPU_FEATURES" in env:
        assert seen["dispatch_enabled"] == [], f"{name}: numpy still dispatches to {seen['dispatch_enabled']}"
        assert base["dispatch_enabled"] or platform.machine() not in ("x86_64", "AMD64"), (
            "this x86 CPU dispatches to nothing beyond numpy's baseline, so the numpy-baseline run would test nothing"
        )
    assert seen["blas_architecture"] != base["blas_architecture"], f"{name}: OpenBLAS still runs {base}"
    assert seen["blas_threads"] == int(env["OPENBLAS_NUM_THREADS"]), seen


def test_the_settings_differ_from_each_other():
    architectures = [probe(env)["blas_architecture"] for env in configurations().values()]
    assert len(set(architectures)) == len(architectures) == 2, architectures
    assert sum("NPY_ENABLE_CPU_FEATURES" in env for env in configurations().values()) == 1
    threads = {env["OPENBLAS_NUM_THREADS"] for env in configurations().values()}
    assert threads == {"1", "2"}, "the BLAS thread count is not varied"


@pytest.fixture(scope="module")
def nbval_runs(tmp_path_factory):
    """nbval over every notebook under each setting, both started at once (they share the cores with the
    rest of the suite instead of running one after another); name -> (process, path of its output)."""
    logs = tmp_path_factory.mktemp("nbval-runs")
    runs = {}
    for name, env in SETTINGS:
        log = logs / f"{name}.txt"
        with log.open("w") as out:  # the child keeps its own copy of the file descriptor
            command = [
                sys.executable,
                "-m",
                "pytest",
                "--nbval",
                "book",
                "-q",
                "-p",
                "no:cacheprovider",
                "-p",
                "no:xdist",
            ]
            proc = subprocess.Popen(
                command, env={**os.environ, **env}, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT
            )
        runs[name] = (proc, log)
    yield runs
    for proc, _ in runs.values():
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.mark.parametrize(("name", "env"), SETTINGS, ids=[name for name, _ in SETTINGS])
def test_every_notebook_reproduces_its_outputs_under(name, env, nbval_runs):
    proc, log = nbval_runs[name]
    returncode = proc.wait(timeout=900)
    output = log.read_text()
    summary = output.strip().splitlines()[-1] if output.strip() else ""
    print(f"{name}: {summary}")
    assert returncode == 0 and " passed" in summary and "failed" not in summary, (
        f"nbval under {name} ({env}):\n{output[-8000:]}"
    )
