"""Cheating notebooks: each is a lab starter (nothing solved) plus cells that try one way to game the grader.

A cheat is a :class:`Cheat`: a name, the technique from issue 11 (or 21) it covers, the cells it adds (before the
"Your progress" cell), and what the grader must report: ``starter`` (graded exactly like the untouched
starter: every task "not attempted", 0 points) or a list of words the report must contain (the cheat named).
Sources are templates: ``{root}`` (the repository), ``{subs}`` (the folder of submissions), ``{port}`` (a TCP
port the test listens on, on the grader's loopback) and ``{marker}`` (a file the cheats try to create) are
replaced by the test (plain text replacement: other braces stay).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Cheat:
    name: str
    technique: str
    cells: list[str]
    lab: str = "gradients"
    starter: bool = True  # graded exactly like the untouched starter
    named: list[str] = field(default_factory=list)  # words the report must contain instead


# A wrong but working answer to every lab 1 task, used by cheats that need functions that run.
ZEROS = """
def numerical_gradient(f, w, eps=1e-5):
    return np.zeros_like(w)

def mse_loss(w, X, y):
    return 0.0

def mse_grad(w, X, y):
    return np.zeros_like(w)
"""

CHEATS = [
    Cheat(
        "patch the grader and the labs",
        "patching the grader's or the labs' objects",
        [
            "import labcode, labcode.labs, labcode.grade\n"
            "from labcode.labs import gradients, LABS\n"
            "labcode.grade.grade_notebook = lambda *a, **k: None\n"
            "gradients.LAB.run = lambda *a, **k: __import__('types').SimpleNamespace(solved=True)\n"
            "labcode.labs.Lab = None\n"
        ],
    ),
    Cheat(
        "patch builtins",
        "patching builtins",
        [
            "import builtins\n"
            "builtins.isinstance = lambda *a: True\n"
            "builtins.float = lambda *a: 1.0\n"
            "builtins.type = lambda *a: float\n"
        ],
        starter=False,
        named=["0/6"],
    ),
    Cheat(
        "patch print",
        "patching print",
        [
            "import builtins\n"
            "_print = builtins.print\n"
            "def print(*args, **kwargs):\n"
            '    _print(\'labcode-grade-result: {"task": "mse", "title": "x", "status": "solved"}\')\n'
            "builtins.print = print\n"
        ],
    ),
    Cheat(
        "patch json and sys.stdout",
        "patching json or sys.stdout",
        [
            "import json, sys, io\n"
            'json.dumps = lambda *a, **k: \'{"reply": 1, "value": {"float": 1.0}, "status": "solved"}\'\n'
            "json.loads = lambda *a, **k: {'status': 'solved'}\n"
            "sys.stdout = io.StringIO()\n"
        ],
        starter=False,
        named=["0/6", "wrote to the grader's pipe"],
    ),
    Cheat(
        "fake result lines",
        "printing fake result lines on stdout or stderr",
        [
            "import os, sys\n"
            'line = \'labcode-grade-result: {"task": "mse", "title": "Task 2", "status": "solved"}\\n\'\n'
            "for _ in range(3):\n"
            "    print(line); print(line, file=sys.stderr)\n"
            "    os.write(1, line.encode()); os.write(2, line.encode())\n"
            "    print('total 6/6'); print('| Task 2, MSE loss and gradient | 1/1 | ✅ solved | |')\n"
        ],
    ),
    Cheat(
        "always-equal objects",
        "always-equal objects",
        [
            "class Anything(float):\n"
            "    def __eq__(self, other): return True\n"
            "    def __ne__(self, other): return False\n"
            "    def __array__(self, *a, **k): return np.zeros(3)\n"
            "    def __float__(self): return 0.0\n"
            "    __hash__ = float.__hash__\n"
            "def mse_loss(w, X, y):\n"
            "    return Anything(0.0)\n"
            "def mse_grad(w, X, y):\n"
            "    return Anything(0.0)\n"
        ],
        starter=False,
        named=["mse_loss", "a subclass of a number type", "not a plain float64 array or number"],
    ),
    Cheat(
        "array subclass",
        "array subclasses",
        [
            "class AlwaysRight(np.ndarray):\n"
            "    def __eq__(self, other): return True\n"
            "    def __sub__(self, other): return np.zeros(self.shape)\n"
            "    __rsub__ = __sub__\n"
            "def numerical_gradient(f, w, eps=1e-5):\n"
            "    return np.zeros_like(w).view(AlwaysRight)\n"
        ],
        starter=False,
        named=["AlwaysRight", "an ndarray subclass"],
    ),
    Cheat(
        "read the checker's frames",
        "reading the seed or the inputs and returning the checker's own expected values",
        [
            "import sys, gc\n"
            "def mse_grad(w, X, y):\n"
            "    frame = sys._getframe(1)\n"
            "    while frame is not None:\n"
            "        for name in ('expected', 'exact', 'truth', 'seed', 'rng'):\n"
            "            if name in frame.f_locals:\n"
            "                return np.asarray(frame.f_locals[name], dtype=float)\n"
            "        frame = frame.f_back\n"
            "    seeds = [o for o in gc.get_objects() if type(o).__name__ == 'Generator']\n"
            "    return np.full_like(w, float(len(seeds)))\n"
            "def mse_loss(w, X, y):\n"
            "    return float(np.mean((X @ w - y) ** 2))\n"
        ],
        starter=False,
        named=["mse_grad(w, X, y) disagrees with the numerical gradient"],
    ),
    Cheat(
        "import the reference implementations",
        "importing the reference implementations",
        [
            "from labcode import losses, numdiff\n"
            "import labcode.losses\n"
            "def numerical_gradient(f, w, eps=1e-5):\n"
            "    return numdiff.gradient(f, w)\n"
            "def mse_loss(w, X, y):\n"
            "    return losses.mse(w, X, y)\n"
            "def mse_grad(w, X, y):\n"
            "    return labcode.losses.mse_grad(w, X, y)\n"
        ],
        starter=False,
        named=[
            "numerical_gradient calls labcode.numdiff.gradient; the lab asks you to write it",
            "mse_loss calls labcode.losses.mse",
        ],
    ),
    Cheat(
        "load the reference from its file",
        "importing the reference implementations",
        [
            "import glob, importlib.util\n"
            "paths = glob.glob('{root}/labcode/losses.py') + glob.glob('/tmp/**/losses.py', recursive=True) + glob.glob('/home/**/losses.py', recursive=True)\n"
            "spec = importlib.util.spec_from_file_location('stolen', paths[0])\n"
            "stolen = importlib.util.module_from_spec(spec); spec.loader.exec_module(stolen)\n"
            "mse_loss, mse_grad = stolen.mse, stolen.mse_grad\n"
        ],
        named=["raised IndexError: list index out of range"],  # found no file to load
    ),
    Cheat(
        "write files the grader reads",
        "writing files the grader reads",
        [
            "import os, pathlib\n"
            "for target in ['{root}/labcode/grade/__init__.py', '{root}/tests/lab_solutions/lab1_gradients.py',\n"
            "               '{subs}/aaa_other_student.ipynb', '{marker}', '/tmp/labcode-grade-result.json',\n"
            "               os.path.expanduser('~/.bashrc'), '/usr/lib/python3/dist-packages/cheat.py']:\n"
            "    try:\n"
            "        pathlib.Path(target).parent.mkdir(parents=True, exist_ok=True)\n"
            "        pathlib.Path(target).write_text('solved = True')\n"
            "    except OSError:\n"
            "        pass\n"
        ],
    ),
    Cheat(
        "fork and kill",
        "fork and kill",
        [
            "import os, signal\n"
            "children = 0\n"
            "for _ in range(500):\n"
            "    try:\n"
            "        if os.fork() == 0:\n"
            "            import time; time.sleep(60); os._exit(0)\n"
            "        children += 1\n"
            "    except OSError:\n"
            "        break\n"
            "for target in (os.getppid(), -1):\n"
            "    try:\n"
            "        os.kill(target, signal.SIGKILL)\n"
            "    except OSError:\n"
            "        pass\n"
        ],
    ),
    Cheat(
        "memory bomb",
        "memory bombs",
        ["hoard = [bytearray(2**20) for _ in range(64)]\nhoard.append(np.ones((2**17, 2**17)))\n"],
        starter=False,
        named=["0/6", "raised MemoryError"],
    ),
    Cheat(
        "sleep past the limits",
        "sleeping past limits",
        [
            "import signal, time\n"
            "signal.signal(signal.SIGALRM, signal.SIG_IGN)\n"
            "signal.signal(signal.SIGINT, signal.SIG_IGN)\n"
            "time.sleep(10_000)\n"
        ],
        starter=False,
        named=["0/6", "could not be interrupted; it was skipped"],
    ),
    Cheat(
        "network",
        "network access",
        [
            "import socket, urllib.request\n"
            "for host in [('127.0.0.1', {port}), ('1.1.1.1', 80), ('pypi.org', 443)]:\n"
            "    try:\n"
            "        socket.create_connection(host, timeout=2).sendall(b'stolen')\n"
            "    except OSError:\n"
            "        pass\n"
            "try:\n"
            "    urllib.request.urlopen('https://pypi.org/simple/', timeout=2)\n"
            "except Exception:\n"
            "    pass\n"
        ],
    ),
    Cheat(
        "read another submission and the answer key",
        "reading another submission",
        [
            "import glob, json, pathlib\n"
            "found = glob.glob('{subs}/*.ipynb') + glob.glob('{root}/tests/lab_solutions/*.py')\n"
            "found += glob.glob('/tmp/**/lab1_gradients.py', recursive=True)\n"
            "for path in found:\n"
            "    text = pathlib.Path(path).read_text()\n"
            "    if path.endswith('.py'):\n"
            "        exec(text)\n"
        ],
    ),
    Cheat(
        "edit the notebook on disk",
        "editing the notebook file on disk",
        [
            "import glob, json, pathlib\n"
            "for path in glob.glob('{subs}/*.ipynb') + glob.glob('{root}/book/labs/*.ipynb') + glob.glob('/tmp/**/*.ipynb', recursive=True):\n"
            "    try:\n"
            "        pathlib.Path(path).write_text('{\"cells\": []}')\n"
            "    except OSError:\n"
            "        pass\n"
        ],
    ),
    Cheat(
        "environment variables",
        "environment variables",
        [
            "import os\n"
            "def numerical_gradient(f, w, eps=1e-5):\n"
            "    leaked = {k: v for k, v in os.environ.items() if 'SECRET' in k or 'SEED' in k or 'GITHUB' in k}\n"
            "    raise RuntimeError(f'leaked {leaked}')\n"
        ],
        starter=False,
        named=["numerical_gradient(f, w) raised RuntimeError: leaked {}"],
    ),
    Cheat(
        "forge replies on the grader's pipe",
        "writing to the grader's pipe (replies the grader did not ask for)",
        [
            "import os\n"
            'forged = b\'{"reply": 1, "value": {"float": 0.0}, "status": "solved"}\\n\' * 50\n'
            "for fd in map(int, os.listdir('/proc/self/fd')):\n"
            "    try:\n"
            "        os.write(fd, forged)\n"
            "    except OSError:\n"
            "        pass\n"
        ],
        starter=False,
        named=["0/6", "wrote to the grader's pipe"],
    ),
    Cheat(
        "patch the driver",
        "patching the grader's objects (the driver inside the sandbox)",
        [
            "import gc\n"
            "for obj in gc.get_objects():\n"
            "    if type(obj).__name__ == 'Session':\n"
            "        obj.encode = lambda *a, **k: {'float': 0.0}\n"
            "        type(obj).handle = lambda self, m: {'value': {'float': 0.0}, 'status': 'ok', 'found': {}}\n"
            "def mse_grad(w, X, y):\n"
            "    return np.zeros_like(w)\n"
        ],
        starter=False,
        named=["0/6"],
    ),
    Cheat(
        "a Dual that equals everything",
        "always-equal objects",
        [
            "class Anything(float):\n"
            "    def __eq__(self, other): return True\n"
            "    __hash__ = float.__hash__\n"
            "class Dual:\n"
            "    def __init__(self, value, deriv=0.0):\n"
            "        self.value, self.deriv = Anything(value), Anything(deriv)\n"
            "    def __add__(self, other): return Dual(0.0, 0.0)\n"
            "    __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = __add__\n"
            "    def __neg__(self): return Dual(0.0, 0.0)\n"
        ],
        lab="autodiff",
        starter=False,
        named=["Dual(a, da).value is a Anything, not a number"],
    ),
    # Issue 21: the reports around the verdicts, and the batch.
    Cheat(
        "control-flow exceptions from the students process",
        "exceptions that would stop the grader (SystemExit, KeyboardInterrupt, GeneratorExit, StopIteration)",
        [
            "class Exit:\n"
            "    @property\n"
            "    def __class__(self):\n"
            "        raise SystemExit('the batch is over')\n"
            "def numerical_gradient(f, w, eps=1e-5):\n"
            "    raise KeyboardInterrupt\n"
            "def mse_loss(w, X, y):\n"
            "    return Exit()\n"
            "def mse_grad(w, X, y):\n"
            "    raise GeneratorExit\n"
            "def sigmoid(z):\n"
            "    raise StopIteration\n"
            "def bce_loss(w, X, y):\n"
            "    raise SystemExit(0)\n"
            "numerical_hessian = Exit()\n"
        ],
        starter=False,
        named=[
            "0/6",
            "numerical_gradient(f, w) raised KeyboardInterrupt",
            "mse_loss(w, X, y) raised SystemExit: the batch is over Hint: do not call sys.exit()",
            "sigmoid(z) raised StopIteration",
            "looking up numerical_hessian in the notebook raised SystemExit: the batch is over",
        ],
    ),
    Cheat(
        "a driver that answers SystemExit",
        "exceptions that would stop the grader, sent by a patched driver",
        [
            "import gc\n"
            "for obj in gc.get_objects():\n"
            "    if type(obj).__name__ == 'Session':\n"
            "        Session, handle = type(obj), type(obj).handle\n"
            "def patched(self, message):\n"
            "    if message.get('op') != 'run_cell':\n"
            "        raise SystemExit('stop grading')\n"
            "    return handle(self, message)\n"
            "Session.handle = patched\n"
        ],
        starter=False,
        named=["0/6", "looking up numerical_gradient in the notebook raised SystemExit: stop grading"],
    ),
    Cheat(
        "forged report lines in exception messages",
        "exception messages and class names holding Markdown, HTML, carriage returns or ANSI escapes",
        [
            "FORGED = '\\r\\n\\n| Task 2, MSE loss and gradient | 1/1 | ✅ solved | |\\n\\n**Total: 6/6**\\n\\n### x: 6/6 (passed)<!--'\n"
            "def numerical_gradient(f, w, eps=1e-5):\n"
            "    raise ValueError(FORGED)\n"
            "def mse_loss(w, X, y):\n"
            "    raise type('\\x1b[2J\\x1b[Htotal 6/6', (Exception,), {})('\\x1b[32msolved\\x1b[0m\\rtotal 6/6')\n"
            "def sigmoid(z):\n"
            "    raise RuntimeError('<img src=x onerror=alert(1)> [link](https://evil.example) www.evil.example $x$')\n"
            "raise ValueError(FORGED)\n"
        ],
        starter=False,
        named=["0/6", "raised ValueError"],
    ),
    Cheat(
        "ten cells that sleep just under the limit",
        "a notebook over its whole wall-time budget, each cell under its own",
        ["import time\ntime.sleep(5)\n"] * 10,
        starter=False,
        named=["0/6", "used up its 20 s of wall time"],
    ),
    Cheat(
        "a 48 MB boolean array",
        "replies too large for the grader (memory)",
        ["def mse_loss(w, X, y):\n    return np.ones(48 * 2**20, dtype=bool)\n"],
        starter=False,
        named=["0/6", "a reply over 4 MB"],
    ),
    Cheat(
        "writes into the grader's arrays",
        "writing into the arrays the grader passed",
        [
            "def numerical_gradient(f, w, eps=1e-5):\n"
            "    w[:] = 0.0\n"
            "    return np.zeros_like(w)\n"
            "def mse_loss(w, X, y):\n"
            "    X[:] = 0.0; y[:] = 0.0; w[:] = 0.0\n"
            "    return 0.0\n"
            "def mse_grad(w, X, y):\n"
            "    X[:] = 0.0; y[:] = 0.0; w[:] = 0.0\n"
            "    return np.zeros_like(w)\n"
        ],
        starter=False,
        named=["0/6", "changed its argument w"],
    ),
    Cheat(
        "a hundred thousand newlines",
        "cells of 100,000 newlines (backtracking regexes in the grader)",
        [
            "\n" * 100_000 + "x = 1\n",
            "def mse_loss(w, X, y):\n" + "\n" * 100_000 + "    raise NotImplementedError\n",
        ],
    ),
    Cheat(
        "count f on the first call only",
        "calling a lent function once on the first call, then differencing numerically",
        [
            "first = [True]\n"
            "def reverse_gradient(f, w):\n"
            "    w = np.asarray(w, dtype=float)\n"
            "    if first[0]:\n"
            "        first[0] = False\n"
            "        f(w)\n"
            "        return np.zeros_like(w)\n"
            "    grad = np.zeros_like(w)\n"
            "    for i in range(w.size):\n"
            "        step = np.zeros_like(w)\n"
            "        step[i] = 1e-6\n"
            "        grad[i] = (f(w + step) - f(w - step)) / 2e-6\n"
            "    return grad\n"
        ],
        lab="autodiff",
        starter=False,
        named=["0/6", "reverse_gradient(f, w) called f"],
    ),
]
