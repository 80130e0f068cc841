"""The driver: the one program that runs inside the sandbox, next to the student's code (untrusted side).

It imports nothing from labcode (the sandbox holds only this file, Python and its packages) and speaks a
line protocol on two pipes (file descriptors given on its command line): one JSON object per line, arrays
as base64 ``.npy`` (never pickle). Requests from the grader:

- ``run_cell``: run a notebook cell's source (with IPython when it is installed, as a kernel would) under
  a soft time limit (SIGALRM raises KeyboardInterrupt); reply the status and the exception's name/text;
- ``lookup``: the student's names, as references;
- ``call``, ``getattr``, ``binop``, ``unop``, ``signature``: exercise a student's object and reply plain
  data (a number, a plain ndarray, a string, a list) or a reference to an object that stays here;
- ``release``: forget every reference.

A trusted function the grader passes as an argument (the ``f`` of ``numerical_gradient(f, w)``) arrives
as a callback: calling it sends a request back, and the grader evaluates it on its side.

The student's code can read and patch everything in this process, including this driver: nothing here is
trusted. The grader treats every reply as data a student could have chosen, validates it, and decides
every verdict on its side. ``labcode`` itself is replaced here by stand-ins (:func:`install_stand_ins`):
the notebook's check cells do nothing, and any reference implementation is a tripwire that raises
``ReferenceUsed`` when called, which the reply reports.
"""

from __future__ import annotations

import base64
import builtins
import importlib
import importlib.abc
import importlib.machinery
import io
import json
import math
import os
import signal
import sys
import types
from typing import Any

import numpy as np

MAX_LIST = 100_000  # longest list or tuple sent as data
MAX_TEXT = 2_000  # longest string or exception message sent


class ReferenceUsed(Exception):
    """Raised by a labcode stand-in when the student's code calls a reference implementation."""


class _Tripwire:
    """Stands for ``labcode.<module>.<name>``: any call (or use as a base class) raises ReferenceUsed."""

    def __init__(self, qualname: str) -> None:
        self._qualname = qualname

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        _HITS.append(self._qualname)
        raise ReferenceUsed(self._qualname)

    def __mro_entries__(self, bases: tuple[Any, ...]) -> tuple[type, ...]:
        _HITS.append(self._qualname)
        raise ReferenceUsed(self._qualname)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return _Tripwire(f"{self._qualname}.{name}")


_HITS: list[str] = []  # the reference implementations called since the last reply


class _Quiet:
    """What a notebook's check function returns while grading: prints and displays nothing."""

    def __repr__(self) -> str:
        return "(checked by the grader)"


def _stand_in(name: str) -> types.ModuleType:
    """A stand-in for labcode module ``name``. Dunder attributes (``__file__``, ``__spec__``...) are plainly
    missing, never tripwires: libraries such as torch read them from every module in ``sys.modules``."""
    module = types.ModuleType(name)
    module.__path__ = []  # a package: submodules are stand-ins too
    if name in ("labcode.labs.gradients", "labcode.labs.autodiff"):
        module.progress = _Quiet()  # type: ignore[attr-defined]

        def check(*args: Any, **kwargs: Any) -> None:
            return None

        def attribute(attr: str) -> Any:
            if attr.startswith("__"):
                return _no_attribute(attr)
            return check if attr.startswith("check_") else _Tripwire(f"{name}.{attr}")

        module.__getattr__ = attribute  # type: ignore[attr-defined]
    elif name == "labcode.notebook":
        module.setup = lambda *args, **kwargs: None  # type: ignore[attr-defined]
        module.glue = lambda *args, **kwargs: None  # type: ignore[attr-defined]
        module.__getattr__ = lambda attr: (  # type: ignore[attr-defined]
            _Tripwire(f"{name}.{attr}") if not attr.startswith("__") else _no_attribute(attr)
        )
    elif name in ("labcode", "labcode.labs"):
        # ``from labcode.labs import gradients``: a package's attributes are its (stand-in) submodules
        module.__getattr__ = lambda attr: (  # type: ignore[attr-defined]
            importlib.import_module(f"{name}.{attr}") if not attr.startswith("__") else _no_attribute(attr)
        )
    else:
        module.__getattr__ = lambda attr: (  # type: ignore[attr-defined]
            _Tripwire(f"{name}.{attr}") if not attr.startswith("__") else _no_attribute(attr)
        )
    return module


def _no_attribute(attr: str) -> Any:
    raise AttributeError(attr)


class _StandInFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Serves ``labcode`` and every ``labcode.*`` import with a stand-in module."""

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        if fullname == "labcode" or fullname.startswith("labcode."):
            return importlib.machinery.ModuleSpec(fullname, self, is_package=True)
        return None

    def create_module(self, spec: Any) -> types.ModuleType:
        return _stand_in(spec.name)

    def exec_module(self, module: types.ModuleType) -> None:
        return None


def install_stand_ins() -> None:
    """labcode's place is taken by stand-ins: check cells are silent, reference implementations trip."""
    for name in [m for m in sys.modules if m == "labcode" or m.startswith("labcode.")]:
        del sys.modules[name]
    sys.meta_path.insert(0, _StandInFinder())


# ---------------------------------------------------------------------------------------------------------
# Encoding: plain data goes as data, everything else stays here behind a reference


class Session:
    """The objects the grader holds references to, and the two pipes."""

    def __init__(self, read_fd: int, write_fd: int) -> None:
        self.reader = os.fdopen(read_fd, "rb", buffering=1 << 16)
        self.writer = os.fdopen(write_fd, "wb", buffering=0)
        self.objects: dict[int, Any] = {}
        self.next_id = 0
        self.next_request = 0
        self.namespace: dict[str, Any] = {"__name__": "__main__", "__builtins__": builtins}
        self.shell: Any = None

    # -- encoding ----------------------------------------------------------------------------------------

    def ref(self, obj: Any, note: str = "") -> dict[str, Any]:
        self.next_id += 1
        self.objects[self.next_id] = obj
        kind = type(obj)
        return {"ref": self.next_id, "type": kind.__name__[:80], "callable": callable(obj), "note": note}

    def encode(self, obj: Any, depth: int = 0) -> dict[str, Any]:
        kind = type(obj)
        if obj is None:
            return {"none": True}
        if kind is bool:
            return {"float": float(obj)}
        if kind in (int, float) or kind in (np.float64, np.float32, np.float16, np.int64, np.int32):
            value = float(obj)
            return {"float": value if math.isfinite(value) else repr(value)}
        if kind is str:
            return {"str": obj[:MAX_TEXT]}
        if kind is np.ndarray:
            if obj.dtype.kind in "biuf" and obj.dtype.names is None:
                buffer = io.BytesIO()
                np.save(buffer, obj, allow_pickle=False)  # (np.ascontiguousarray would make a 0-d array 1-d)
                return {"npy": base64.b64encode(buffer.getvalue()).decode("ascii")}
            return self.ref(obj, f"an array of dtype {obj.dtype}")
        if isinstance(obj, np.ndarray):
            return self.ref(obj, "an ndarray subclass")
        if kind in (list, tuple) and depth < 3 and len(obj) <= MAX_LIST:
            return {"list": [self.encode(item, depth + 1) for item in obj]}
        notes = [
            (isinstance(obj, (float, int)), "a subclass of a number type"),
            (hasattr(kind, "__array__"), "an object with __array__"),
            (hasattr(kind, "__float__"), "an object with __float__"),
        ]
        return self.ref(obj, next((note for hit, note in notes if hit), ""))

    def decode(self, data: Any) -> Any:
        if not isinstance(data, dict):
            raise ValueError("bad message")
        if "float" in data:
            return float(data["float"])
        if "npy" in data:
            return np.load(io.BytesIO(base64.b64decode(data["npy"])), allow_pickle=False)
        if "str" in data:
            return str(data["str"])
        if "none" in data:
            return None
        if "list" in data:
            return [self.decode(item) for item in data["list"]]
        if "ref" in data:
            return self.objects[int(data["ref"])]
        if "callback" in data:
            return self.callback(int(data["callback"]))
        raise ValueError("bad message")

    def callback(self, number: int) -> Any:
        def trusted_function(*args: Any) -> Any:
            return self.request({"op": "callback", "id": number, "args": [self.encode(a) for a in args]})

        return trusted_function

    # -- the pipes ---------------------------------------------------------------------------------------

    def send(self, message: dict[str, Any]) -> None:
        if _HITS:
            message["references"] = sorted(set(_HITS))
            _HITS.clear()
        self.writer.write(json.dumps(message, allow_nan=False).encode() + b"\n")

    def receive(self) -> dict[str, Any]:
        line = self.reader.readline()
        if not line:
            os._exit(0)  # the grader is gone
        return json.loads(line)

    def request(self, message: dict[str, Any]) -> Any:
        """Ask the grader (a callback), serving the grader's own requests until the answer comes."""
        self.next_request += 1
        message["request"] = -self.next_request
        self.send(message)
        while True:
            incoming = self.receive()
            if incoming.get("reply") == message["request"]:
                if "raised" in incoming:
                    raised = incoming["raised"]
                    kind = getattr(builtins, str(raised.get("type")), None)
                    if not (isinstance(kind, type) and issubclass(kind, Exception)):
                        kind = RuntimeError
                    raise kind(str(raised.get("message", "")))
                return self.decode(incoming["value"])
            self.serve(incoming)

    def serve(self, incoming: dict[str, Any]) -> None:
        number = incoming.get("request")
        try:
            reply: dict[str, Any] = {"reply": number, **self.handle(incoming)}
        except BaseException as exc:  # noqa: BLE001 (whatever the student's code does becomes data)
            if isinstance(exc, KeyboardInterrupt):
                reply = {"reply": number, "raised": {"type": "KeyboardInterrupt", "message": ""}}
            else:
                text = str(exc) if not isinstance(exc, SystemExit) else f"{exc.code}"
                reply = {
                    "reply": number,
                    "raised": {"type": type(exc).__name__[:80], "message": text[:MAX_TEXT]},
                }
        try:
            self.send(reply)
        except (TypeError, ValueError):
            self.send({"reply": number, "raised": {"type": "TypeError", "message": "the reply is not data"}})

    # -- requests ----------------------------------------------------------------------------------------

    def handle(self, message: dict[str, Any]) -> dict[str, Any]:
        op = message.get("op")
        if op == "run_cell":
            return self.run_cell(str(message["source"]), float(message["timeout"]))
        if op == "lookup":
            found = {}
            for name in message["names"]:
                if name in self.namespace:
                    obj = self.namespace[name]
                    found[name] = self.encode(obj)
            return {"value": {"list": []}, "found": found}
        if op == "release":
            self.objects.clear()
            return {"value": {"none": True}}
        target = self.decode(message["target"]) if "target" in message else None
        if op == "call":
            args = [self.decode(a) for a in message.get("args", [])]
            kwargs = {str(k): self.decode(v) for k, v in message.get("kwargs", {}).items()}
            before = {i: a.copy() for i, a in enumerate(args) if type(a) is np.ndarray}
            value = self.encode(target(*args, **kwargs))
            # An argument changed in place is part of what the function did: the grader's copy changes too.
            mutated = [
                [i, self.encode(args[i])]
                for i, old in before.items()
                if type(args[i]) is np.ndarray and not np.array_equal(old, args[i], equal_nan=True)
            ]
            return {"value": value, "mutated": mutated}
        if op == "getattr":
            return {"value": self.encode(getattr(target, str(message["name"])))}
        if op == "unop":
            return {"value": self.encode(-target)}
        if op == "binop":
            left, right = self.decode(message["left"]), self.decode(message["right"])
            operation = {
                "add": lambda: left + right,
                "sub": lambda: left - right,
                "mul": lambda: left * right,
                "truediv": lambda: left / right,
                "pow": lambda: left**right,
            }[str(message["name"])]
            return {"value": self.encode(operation())}
        if op == "signature":
            import inspect

            parameters = []
            for p in inspect.signature(target).parameters.values():
                default = p.default
                if default is inspect.Parameter.empty or type(default) not in (int, float, bool):
                    default = None
                parameters.append([p.name[:80], int(p.kind), default, p.default is inspect.Parameter.empty])
            return {"value": {"none": True}, "parameters": parameters}
        raise ValueError(f"unknown request {op!r}")

    def run_cell(self, source: str, timeout: float) -> dict[str, Any]:
        def interrupt(signum: int, frame: Any) -> None:
            raise KeyboardInterrupt

        signal.signal(signal.SIGALRM, interrupt)
        signal.setitimer(signal.ITIMER_REAL, timeout)
        error: BaseException | None = None
        try:
            if self.shell is not None:
                result = self.shell.run_cell(source, store_history=False, silent=False)
                error = result.error_before_exec or result.error_in_exec
            else:
                exec(compile(source, "<cell>", "exec"), self.namespace)  # noqa: S102 (this is the point)
        except BaseException as exc:  # noqa: BLE001
            error = exc
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        if error is None:
            return {"value": {"none": True}, "status": "ok"}
        if isinstance(error, KeyboardInterrupt):
            return {"value": {"none": True}, "status": "timeout"}
        if isinstance(error, SystemExit):
            return {"value": {"none": True}, "status": "exit"}
        text = " ".join(str(error).split())[:MAX_TEXT]
        return {
            "value": {"none": True},
            "status": "error",
            "ename": type(error).__name__[:80],
            "evalue": text,
        }


def _start_shell(session: Session) -> None:
    """An IPython shell whose namespace is the session's, as in a kernel (plain exec without IPython)."""
    try:
        from IPython.core.interactiveshell import InteractiveShell
    except ImportError:
        return
    shell = InteractiveShell.instance(user_ns=session.namespace)
    shell.showtraceback = lambda *args, **kwargs: None  # the reply carries the exception; output is dropped
    session.namespace = shell.user_ns
    session.shell = shell


def main(argv: list[str]) -> None:
    read_fd, write_fd = int(argv[1]), int(argv[2])
    # The student's output goes nowhere: the grader never reads it, so it cannot matter.
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    install_stand_ins()
    session = Session(read_fd, write_fd)
    _start_shell(session)
    session.send({"hello": os.getpid()})
    while True:
        session.serve(session.receive())


if __name__ == "__main__":
    main(sys.argv)
