"""The trusted side of the protocol: the grader's view of the student's process, as plain data and references.

:class:`Channel` sends requests to the driver (:mod:`labcode.grade.driver`) and reads its replies; while it
waits, it answers the driver's callbacks (a trusted function such as the ``f`` of ``numerical_gradient(f, w)``
runs here, on validated arguments). Every reply is untrusted: :meth:`Channel.decode` accepts only

- a number (a JSON number, or the strings ``nan``/``inf``/``-inf``) -> ``float``;
- a ``.npy`` array loaded with ``np.load(allow_pickle=False)``, of a real numeric dtype -> a plain
  float64 ndarray (any other dtype is refused);
- a string, ``None``, a list of these;
- a reference to an object that stays in the student's process -> a :class:`Remote`.

A :class:`Remote` never runs the student's code here. Its operators (``x + y``, ``c * x``, ``-x``), calls and
attribute reads become requests; it refuses to be a number or an array (``float()``, ``np.asarray``) with a
message that says what it is ("a FakeArray (an ndarray subclass)"), so a check that expects an answer reports
it as one that is not. So the lab's checks (:mod:`labcode.labs`) run unchanged on it, in the trusted process.
"""

from __future__ import annotations

import base64
import binascii
import builtins
import inspect
import io
import json
import math
import os
import re
import select
import time
from collections.abc import Callable
from typing import Any

import numpy as np

# Limits on what the student's process may send. The largest honest reply is a lab's Hessian or softmax, a few
# hundred numbers (a few kB); the limits keep a hostile one from costing the grader more than ~100 MB of memory.
MAX_MESSAGE = 4 * 2**20  # bytes of one reply: a longer one ends the student's process
MAX_ELEMENTS = 2**18  # entries of one array (2 MB as float64)
MAX_TOTAL = 256 * 2**20  # bytes of all the replies of one notebook: a notebook that sends more is stopped


class SandboxGone(BaseException):  # noqa: N818 (not an error of the code that catches Exception)
    """The student's process died, sent garbage, or stopped answering: it must be started afresh.

    A BaseException, so that a lab's check (which turns every Exception into a verdict) lets it through. It is
    the grader's own signal, raised here, never a student's exception passed on (see :func:`_exception`).
    """

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(reason)
        self.reason = reason  # "dead", "timeout", "protocol" or "budget" (the notebook's time or bytes)
        self.detail = detail  # what exactly, for the report


class RemoteError(Exception):
    """An exception raised in the student's process whose type is not a builtin one (named after it)."""


class ReferenceUsed(Exception):
    """The student's code called one of labcode's reference implementations (``self.qualname``)."""

    def __init__(self, qualname: str) -> None:
        super().__init__(qualname)
        self.qualname = qualname


_REMOTE_ERRORS: dict[str, type[RemoteError]] = {}
_REMOTE_TYPES: dict[tuple[str, bool], type[Remote]] = {}


# Builtin exceptions that steer control flow when raised, not only report an error: StopIteration ends the loop
# that called the student's function (``map``, a generator), GeneratorExit, SystemExit and KeyboardInterrupt
# end the grader. One raised in the student's process arrives as a RemoteError named after it instead.
_CONTROL_FLOW = (StopIteration, StopAsyncIteration)


def _exception(raised: Any) -> Exception:
    """The trusted exception standing for one raised in the student's process (its name and text only).

    Always an ``Exception`` that carries no control flow: a builtin error type (``ValueError``...) when the
    name is one, else a :class:`RemoteError` subclass named after it ("SystemExit", "MyError").
    """
    if not isinstance(raised, dict):
        return RemoteError("an exception")
    name, message = str(raised.get("type", "Exception"))[:200], str(raised.get("message", ""))[:2000]
    if name == "ReferenceUsed":
        return ReferenceUsed(message)
    kind = getattr(builtins, name, None)
    if (
        isinstance(kind, type)
        and issubclass(kind, Exception)
        and not issubclass(kind, _CONTROL_FLOW)
        and kind.__module__ == "builtins"
    ):
        try:
            return kind(message)
        except Exception:  # noqa: BLE001 (UnicodeDecodeError and friends want more arguments)
            pass
    safe = re.sub(r"\W", "_", name)[:80] or "Error"
    if safe not in _REMOTE_ERRORS:
        # Named like the student's exception, in module "builtins" so that its last line reads "SystemExit: bye"
        # (as the same exception in-process would), never "student.SystemExit".
        module = "builtins" if isinstance(getattr(builtins, safe, None), type) else "student"
        _REMOTE_ERRORS[safe] = type(safe, (RemoteError,), {"__module__": module})
    return _REMOTE_ERRORS[safe](message)


class Remote:
    """A student's object, left in the student's process: operations on it are requests (see the module)."""

    _channel: Channel
    _ref: int
    _note: str
    _name: str = ""  # the student's name for it, when the grader looked it up by name

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name.startswith("_Remote"):
            raise AttributeError(name)
        return self._channel.request({"op": "getattr", "target": {"ref": self._ref}, "name": name})

    def _describe(self) -> str:
        note = f" ({self._note})" if self._note else ""
        return f"a {type(self).__name__}{note}, not a plain float64 array or number"

    def __array__(self, *args: Any, **kwargs: Any) -> np.ndarray:
        raise TypeError(self._describe())

    def __float__(self) -> float:
        raise TypeError(self._describe())

    def __index__(self) -> int:
        raise TypeError(self._describe())

    def __len__(self) -> int:
        raise TypeError(self._describe())

    def __iter__(self) -> Any:
        raise TypeError(self._describe())

    def __repr__(self) -> str:
        return f"<{type(self).__name__} in the student's process>"

    def _binop(self, name: str, left: Any, right: Any) -> Any:
        return self._channel.request(
            {
                "op": "binop",
                "name": name,
                "left": self._channel.encode(left),
                "right": self._channel.encode(right),
            }
        )

    def __add__(self, other: Any) -> Any:
        return self._binop("add", self, other)

    def __radd__(self, other: Any) -> Any:
        return self._binop("add", other, self)

    def __sub__(self, other: Any) -> Any:
        return self._binop("sub", self, other)

    def __rsub__(self, other: Any) -> Any:
        return self._binop("sub", other, self)

    def __mul__(self, other: Any) -> Any:
        return self._binop("mul", self, other)

    def __rmul__(self, other: Any) -> Any:
        return self._binop("mul", other, self)

    def __truediv__(self, other: Any) -> Any:
        return self._binop("truediv", self, other)

    def __rtruediv__(self, other: Any) -> Any:
        return self._binop("truediv", other, self)

    def __pow__(self, other: Any) -> Any:
        return self._binop("pow", self, other)

    def __neg__(self) -> Any:
        return self._channel.request({"op": "unop", "target": {"ref": self._ref}})


class RemoteCallable(Remote):
    """A student's function or class: calling it is a request; ``inspect.signature`` works on it."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        encode, name = self._channel.encode, self._name
        if name:
            self._channel.calling.append(name)
        try:
            reply = self._channel.request(
                {
                    "op": "call",
                    "target": {"ref": self._ref},
                    "args": [encode(a) for a in args],
                    "kwargs": {str(k): encode(v) for k, v in kwargs.items()},
                },
                full=True,
            )
            value = self._channel.decode(reply.get("value"))
            # The student's function changed an argument in place: so does the grader's copy (same shape only).
            for entry in (
                reply.get("mutated", [])[: len(args)] if isinstance(reply.get("mutated"), list) else []
            ):
                if isinstance(entry, list) and len(entry) == 2 and isinstance(entry[0], int):
                    i, changed = entry[0], self._channel.decode(entry[1])
                    if (
                        0 <= i < len(args)
                        and isinstance(args[i], np.ndarray)
                        and isinstance(changed, np.ndarray)
                    ):
                        if changed.shape == args[i].shape and args[i].flags.writeable:
                            args[i][...] = changed
            return value
        finally:
            if name:
                self._channel.calling.pop()

    @property
    def __signature__(self) -> inspect.Signature:
        reply = self._channel.request({"op": "signature", "target": {"ref": self._ref}}, full=True)
        parameters = []
        for entry in reply.get("parameters", [])[:50]:
            name, kind, default, empty = entry
            parameters.append(
                inspect.Parameter(
                    re.sub(r"\W", "_", str(name)) or "_",
                    inspect._ParameterKind(int(kind)),
                    default=inspect.Parameter.empty if empty else default,
                )
            )
        return inspect.Signature(parameters)


def _remote_type(name: str, is_callable: bool) -> type[Remote]:
    """A Remote subclass named after the student's type, so messages say "a Dual" or "a FakeArray"."""
    safe = re.sub(r"\W", "_", name)[:80] or "object"
    key = (safe, is_callable)
    if key not in _REMOTE_TYPES:
        _REMOTE_TYPES[key] = type(
            safe, (RemoteCallable if is_callable else Remote,), {"__module__": "student"}
        )
    return _REMOTE_TYPES[key]


class Channel:
    """The two pipes to the driver, with a deadline for the current request and the callbacks it may make."""

    def __init__(self, read_fd: int, write_fd: int, on_gone: Callable[[], None]) -> None:
        self.read_fd, self.write_fd = read_fd, write_fd
        self.buffer = bytearray()
        # Bytes read from the student's process; :mod:`running` carries the count over the notebook's processes.
        self.received = 0
        self.deadline = math.inf
        self.budget_deadline = math.inf  # the end of the notebook's wall-time budget (:mod:`running`)
        self.next_request = 0
        self.callbacks: dict[int, Callable[..., Any]] = {}
        self.references: list[tuple[str, str]] = []  # (the student's function, the reference it called)
        self.calling: list[str] = []  # the names of the student's functions being called, innermost last
        self.on_gone = on_gone

    # -- encoding what the grader sends ----------------------------------------------------------------

    def encode(self, obj: Any) -> dict[str, Any]:
        if isinstance(obj, Remote):
            return {"ref": obj._ref}
        if obj is None:
            return {"none": True}
        if isinstance(obj, (bool, int, float, np.integer, np.floating)):
            value = float(obj)
            return {"float": value if math.isfinite(value) else repr(value)}
        if isinstance(obj, str):
            return {"str": obj}
        if isinstance(obj, np.ndarray):
            if obj.dtype.kind not in "biuf":
                raise TypeError(f"the grader sends only real arrays, not dtype {obj.dtype}")
            buffer = io.BytesIO()
            np.save(buffer, obj, allow_pickle=False)  # (np.ascontiguousarray would make a 0-d array 1-d)
            return {"npy": base64.b64encode(buffer.getvalue()).decode("ascii")}
        if isinstance(obj, (list, tuple)):
            return {"list": [self.encode(item) for item in obj]}
        if callable(obj):
            number = len(self.callbacks) + 1
            self.callbacks[number] = obj
            return {"callback": number}
        raise TypeError(f"the grader cannot send a {type(obj).__name__}")

    # -- decoding what the student's process sends -----------------------------------------------------

    def decode(self, data: Any, depth: int = 0) -> Any:
        """Plain data from a reply (see the module docstring), or SandboxGone("protocol")."""
        if not isinstance(data, dict) or len(data) == 0 or depth > 4:
            raise SandboxGone("protocol")
        if "float" in data:
            value = data["float"]
            if isinstance(value, bool) or not isinstance(value, (int, float, str)):
                raise SandboxGone("protocol")
            if isinstance(value, str) and value not in ("nan", "inf", "-inf"):
                raise SandboxGone("protocol")
            return float(value)
        if "npy" in data:
            try:
                array = np.load(
                    io.BytesIO(base64.b64decode(str(data["npy"]), validate=True)), allow_pickle=False
                )
            except (ValueError, OSError, EOFError, binascii.Error):
                raise SandboxGone("protocol") from None
            if (
                type(array) is not np.ndarray
                or array.dtype.kind not in "biuf"
                or array.dtype.names is not None
            ):
                raise SandboxGone("protocol")
            if array.size > MAX_ELEMENTS:
                raise SandboxGone(
                    "protocol",
                    f"an array of {array.size:,} entries (the grader takes at most {MAX_ELEMENTS:,})",
                )
            return np.array(array, dtype=np.float64)
        if "str" in data:
            return str(data["str"])[:2000]
        if "none" in data:
            return None
        if "list" in data and isinstance(data["list"], list):
            return [self.decode(item, depth + 1) for item in data["list"]]
        if "ref" in data and isinstance(data["ref"], int):
            kind = _remote_type(str(data.get("type", "object")), bool(data.get("callable")))
            remote = kind.__new__(kind)
            object.__setattr__(remote, "_channel", self)
            object.__setattr__(remote, "_ref", data["ref"])
            object.__setattr__(remote, "_note", str(data.get("note", ""))[:200])
            return remote
        raise SandboxGone("protocol")

    # -- the pipes ---------------------------------------------------------------------------------------

    def send(self, message: dict[str, Any]) -> None:
        data = json.dumps(message).encode() + b"\n"
        try:
            while data:
                self._wait(select_write=True)
                written = os.write(self.write_fd, data)
                data = data[written:]
        except (BrokenPipeError, OSError):
            self._gone("dead")

    def _gone(self, reason: str, detail: str = "") -> None:
        self.on_gone()
        raise SandboxGone(reason, detail)

    def _wait(self, select_write: bool = False) -> None:
        now = time.monotonic()
        if now >= self.budget_deadline:
            self._gone("budget", "time")
        remaining = min(self.deadline, self.budget_deadline) - now
        if remaining <= 0:
            self._gone("timeout")
        fds = ([], [self.write_fd], []) if select_write else ([self.read_fd], [], [])
        ready = select.select(*fds, min(remaining, 3600))
        if not any(ready):
            self._wait(select_write)  # past a deadline now: say which one

    def receive(self) -> dict[str, Any]:
        while (end := self.buffer.find(b"\n")) < 0:
            if len(self.buffer) > MAX_MESSAGE:
                self._gone("protocol", f"a reply over {MAX_MESSAGE // 2**20} MB")
            self._wait()
            try:
                chunk = os.read(self.read_fd, 1 << 20)
            except OSError:
                chunk = b""
            if not chunk:
                self._gone("dead")
            self.received += len(chunk)
            if self.received > MAX_TOTAL:
                self._gone("budget", "bytes")
            self.buffer += chunk
        line = bytes(self.buffer[:end])
        del self.buffer[: end + 1]
        if len(line) > MAX_MESSAGE:
            self._gone("protocol", f"a reply over {MAX_MESSAGE // 2**20} MB")
        try:
            message = json.loads(line)
        except (ValueError, RecursionError):  # (RecursionError: JSON nested a million deep)
            self._gone("protocol")
        if not isinstance(message, dict):
            self._gone("protocol")
        references = message.get("references", [])
        if isinstance(references, list):
            who = self.calling[-1] if self.calling else ""
            self.references += [(who, str(r)[:200]) for r in references[:20]]
        return message

    def request(self, message: dict[str, Any], *, full: bool = False) -> Any:
        """Send a request; answer callbacks until its reply comes; return the decoded value (or raise)."""
        self.next_request += 1
        number = message["request"] = self.next_request
        self.send(message)
        while True:
            incoming = self.receive()
            if incoming.get("reply") == number:
                if "raised" in incoming:
                    raise _exception(incoming["raised"])
                if full:
                    return incoming
                return self.decode(incoming.get("value"))
            if incoming.get("op") == "callback":
                self._answer_callback(incoming)
            else:
                self._gone("protocol")  # a reply to nothing: the student's process writes to the pipe

    def _answer_callback(self, incoming: dict[str, Any]) -> None:
        number = incoming.get("request")
        function = self.callbacks.get(incoming.get("id"))  # type: ignore[arg-type]
        args = incoming.get("args")
        if function is None or not isinstance(args, list) or not isinstance(number, int):
            self._gone("protocol")
            return
        try:
            with np.errstate(all="ignore"):
                value = function(*[self.decode(a) for a in args])
            reply = {"reply": number, "value": self.encode(value)}
        except (SandboxGone, KeyboardInterrupt):
            raise
        except Exception as exc:  # noqa: BLE001 (the student passed our function something odd)
            reply = {"reply": number, "raised": {"type": type(exc).__name__, "message": str(exc)[:500]}}
        self.send(reply)
