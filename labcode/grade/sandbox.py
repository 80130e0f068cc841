"""The student's process: the driver started inside bubblewrap, with resource limits, and how to end it.

:class:`Sandbox` starts ``python driver.py`` (:mod:`labcode.grade.driver`) in ``bwrap`` (bubblewrap, what
Flatpak uses) with:

- every namespace unshared (``--unshare-all``): no network but a loopback of its own, its own process tree,
  and ``--die-with-parent``, so nothing it starts outlives the grader;
- read-only binds of the system's libraries and of Python's installation(s) only: not the repository,
  not labcode (:mod:`labcode.grade.driver` installs stand-ins), not the answer key, not the folder of
  submissions; a private tmpfs as home and working folder, and no other writable place;
- all capabilities dropped, no new privileges, and a clean environment;
- rlimits on CPU seconds, address space, processes and file size (:class:`Limits`);

and the grader puts a wall-clock deadline on every request (:class:`labcode.grade.remote.Channel`).

:func:`sandbox_problem` says why no sandbox can be made here (no ``bwrap``, or user namespaces refused, as by
Ubuntu 24.04's AppArmor default); the grader then refuses to run submissions unless told ``sandbox=False``
(``--no-sandbox``), which runs the same driver as a plain process: the verdict is still decided outside, but
the student's code then runs with the grader's permissions.
"""

from __future__ import annotations

import math
import os
import resource
import shutil
import signal
import subprocess
import sys
import sysconfig
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from labcode.grade import driver
from labcode.grade.remote import Channel

HOME = "/home/student"  # the sandbox's home and working folder (a private tmpfs)
DRIVER = "/opt/grader/driver.py"  # where the driver is bound inside the sandbox


@dataclass(frozen=True)
class Limits:
    """The resource limits of one student process.

    cpu_seconds: CPU time of the whole process (a backstop: the wall-clock deadlines come first).
    memory_bytes: address space (RLIMIT_AS). processes: how many more processes the user may start
    (RLIMIT_NPROC counts the real user's processes, so the limit is that count plus this; the kernel exempts
    root from it, so a grader run as root relies on the pid namespace and the deadlines to end a fork bomb).
    file_bytes: the largest file it may write. tmpfs_bytes: the size of its private home.
    """

    cpu_seconds: int = 300
    memory_bytes: int = 2 * 2**30
    processes: int = 32
    file_bytes: int = 16 * 2**20
    tmpfs_bytes: int = 64 * 2**20


def _user_processes() -> int:
    uid = os.getuid()
    count = 0
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid == uid:
                    count += 1
            except OSError:
                pass
    return count


def _bind_roots() -> list[str]:
    """The folders the sandbox sees read-only: the system's libraries and Python's installation(s)."""
    roots = [
        "/usr",
        "/lib",
        "/lib64",
        "/lib32",
        "/bin",
        "/sbin",
        "/etc/ld.so.cache",
        "/etc/ld.so.conf",
        "/etc/ld.so.conf.d",
        "/etc/alternatives",
        "/etc/localtime",
    ]
    python = [
        sys.prefix,
        sys.base_prefix,
        sys.exec_prefix,
        sys.base_exec_prefix,
        str(Path(sys.executable).resolve().parent.parent),
    ]
    python += [sysconfig.get_path(name) for name in ("stdlib", "platstdlib", "purelib", "platlib")]
    found: list[str] = []
    for root in roots + python:
        real = os.path.realpath(root)
        for path in dict.fromkeys([root, real]):
            if os.path.exists(path) and not any(
                path == f or path.startswith(f.rstrip("/") + "/") for f in found
            ):
                found.append(path)
    return found


def _hidden() -> list[str]:
    """Folders inside a bound one that must stay out of sight: labcode itself (a non-editable install)."""
    labcode = str(Path(driver.__file__).resolve().parent.parent)
    return [labcode] if any(labcode.startswith(root.rstrip("/") + "/") for root in _bind_roots()) else []


def bwrap_command(limits: Limits) -> list[str]:
    """The bwrap command line that runs the driver (without the driver's own arguments).

    bwrap mounts in the order of its arguments, so the private tmpfs (``/tmp`` and the home) come first and
    the read-only roots are bound over them: a Python or a venv that lives under ``/tmp`` (a CI checkout, a
    clone in /tmp) stays visible, while the rest of the grader's ``/tmp`` (the repository, the submissions)
    does not exist inside.
    """
    command = ["bwrap", "--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL"]
    command += [
        "--proc", "/proc", "--dev", "/dev",
        "--size", str(limits.tmpfs_bytes), "--tmpfs", "/tmp",
        "--size", str(limits.tmpfs_bytes), "--tmpfs", HOME,
    ]  # fmt: skip
    for root in _bind_roots():
        command += ["--ro-bind", os.path.realpath(root) if os.path.islink(root) else root, root]
    for path in _hidden():
        command += ["--tmpfs", path]
    command += [
        "--ro-bind", str(Path(driver.__file__).resolve()), DRIVER,
        "--chdir", HOME, "--clearenv",
        "--setenv", "HOME", HOME, "--setenv", "PATH", "/usr/bin:/bin",
        "--setenv", "MPLBACKEND", "Agg",
    ]  # fmt: skip
    return command


def _environment() -> dict[str, str]:
    """Single-threaded numerics (2 cores shared), no user site, nothing of the grader's environment."""
    threads = {k: "1" for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")}
    return {"PATH": "/usr/bin:/bin", "HOME": HOME, "PYTHONNOUSERSITE": "1", "MPLBACKEND": "Agg", **threads}


@cache
def sandbox_problem() -> str | None:
    """None when bwrap can isolate a process here; otherwise why not, in one sentence."""
    if sys.platform != "linux":
        return f"bubblewrap needs Linux, and this is {sys.platform}"
    if shutil.which("bwrap") is None:
        return "bubblewrap is not installed (apt-get install bubblewrap)"
    command = [*bwrap_command(Limits()), sys.executable, "-I", "-c", "import numpy"]
    try:
        probe = subprocess.run(command, capture_output=True, text=True, timeout=60, env=_environment())
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"bwrap did not start: {exc}"
    if probe.returncode != 0:
        detail = " ".join(probe.stderr.split())[:300]
        hint = ""
        if "ermission" in detail or "not permitted" in detail:
            hint = (
                " (user namespaces refused: on Ubuntu 24.04 run "
                "`sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0` or give bwrap an AppArmor profile)"
            )
        return f"bwrap could not start a sandbox: {detail}{hint}"
    return None


class Sandbox:
    """One student process: started, then talked to through :attr:`channel`, then killed (:meth:`close`)."""

    def __init__(
        self, *, isolate: bool, limits: Limits, startup_timeout: float = 60, deadline: float = math.inf
    ) -> None:
        """Start the driver (in bwrap when ``isolate``); ``deadline`` (time.monotonic) ends the notebook's
        wall-time budget, which every request of :attr:`channel`, the start included, must meet."""
        self.limits = limits
        driver_reads, grader_writes = os.pipe()
        grader_reads, driver_writes = os.pipe()
        keep = (driver_reads, driver_writes)
        if isolate:
            command = [
                *bwrap_command(limits),
                sys.executable,
                "-I",
                DRIVER,
                str(driver_reads),
                str(driver_writes),
            ]
        else:
            command = [
                sys.executable,
                "-I",
                str(Path(driver.__file__).resolve()),
                str(driver_reads),
                str(driver_writes),
            ]
        nproc = _user_processes() + limits.processes

        def limit() -> None:
            for which, value in (
                (resource.RLIMIT_CPU, limits.cpu_seconds),
                (resource.RLIMIT_AS, limits.memory_bytes),
                (resource.RLIMIT_NPROC, nproc),
                (resource.RLIMIT_FSIZE, limits.file_bytes),
                (resource.RLIMIT_CORE, 0),
            ):
                resource.setrlimit(which, (value, value))

        self.process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            pass_fds=keep,
            env=_environment(),
            cwd="/" if isolate else None,
            preexec_fn=limit,  # noqa: PLW1509 (rlimits must be set between fork and exec)
            start_new_session=True,
        )
        os.close(driver_reads)
        os.close(driver_writes)
        self.channel = Channel(grader_reads, grader_writes, self.kill)
        self.channel.budget_deadline = deadline
        self._closed = False
        self.channel.deadline = time.monotonic() + startup_timeout
        try:
            hello = self.channel.receive()
        except BaseException:
            self.close()
            raise
        if "hello" not in hello:
            self.close()
            raise OSError("the student's process did not start")

    def kill(self) -> None:
        """End the student's process and everything it started (its whole session and namespace)."""
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self.kill()
        for fd in (self.channel.read_fd, self.channel.write_fd):
            try:
                os.close(fd)
            except OSError:
                pass
