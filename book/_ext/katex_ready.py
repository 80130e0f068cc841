"""Wait for sphinxcontrib-katex's rendering server to listen before giving up on it.

sphinxcontrib-katex 0.9.10 starts KaTeX in Node (``katex_prerender``), waits for its Unix socket file to exist and
connects once; but Node creates the file a moment before it listens, so on a busy machine the connection is
refused now and then and the whole build stops. Connect again for up to the startup timeout instead.
"""

from __future__ import annotations

import socket
import time
from typing import Any

from sphinxcontrib import katex

RETRY_SECONDS = 0.05


def _connect_when_listening(cls: type, rundir: Any, timeout: float) -> tuple[Any, socket.socket]:
    """KaTeXServer.start_server_process, but retrying a refused connection until ``timeout``."""
    socket_path = rundir / "katex.sock"
    process = katex.Popen(
        cls.build_command(socket=socket_path), stdin=katex.PIPE, stdout=katex.PIPE, cwd=rundir
    )
    deadline = time.monotonic() + timeout
    while True:
        if socket_path.is_socket():
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                sock.connect(str(socket_path))
                return process, sock
            except (ConnectionRefusedError, FileNotFoundError):
                sock.close()
        if process.poll() is not None:
            raise RuntimeError(
                f"the KaTeX server (node) exited with {process.returncode}: is Node.js installed?"
            )
        if time.monotonic() > deadline:
            raise cls.timeout_error(timeout)
        time.sleep(RETRY_SECONDS)


def setup(app: Any) -> dict[str, Any]:
    katex.KaTeXServer.start_server_process = classmethod(_connect_when_listening)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
