"""Lab 2, Automatic differentiation: the checks behind ``book/labs/lab2_autodiff.ipynb``.

The student builds forward mode from dual numbers and reverse mode from a small ``Value`` class in the
style of micrograd. Every check runs fresh random inputs, and random programs (a few dozen +, -, *,
tanh steps whose intermediate results are reused, so the graph is a DAG, not a tree) through the
student's classes, and compares with labcode.numdiff (and labcode.gradcheck for whole gradients):

====  ======================  =======================================================  ======
task  check                   the student's code                                       points
====  ======================  =======================================================  ======
1     check_dual              ``class Dual(value, deriv=0.0)`` with +, -, * (numbers on either side)  1
2     check_dual_functions    ``dual_sin(x)``, ``dual_exp(x)`` for a Dual x              1
3     check_forward_gradient  ``forward_gradient(f, w) -> (d,)``, one pass per input     1
4     check_value             ``class Value(data)`` with +, *, tanh() and backward()    2
5     check_reverse_gradient  ``reverse_gradient(f, w) -> (d,)``, one backward pass      1
====  ======================  =======================================================  ======

``f`` in tasks 3 and 5 takes a list of numbers (Dual or Value objects) and returns one. ``progress``
counts the solved tasks.

It is one module of about 550 lines on purpose: each task's problems, hints and check read together,
in the lab's order (the shared machinery is in :mod:`labcode.labs.framework` and :mod:`labcode.labs.checking`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from labcode import numdiff
from labcode.labs.checking import Known, call, fmt, gradient_check
from labcode.labs.framework import Fail, Lab, Task, Verdict

__all__ = [
    "LAB",
    "check_dual",
    "check_dual_functions",
    "check_forward_gradient",
    "check_reverse_gradient",
    "check_value",
    "progress",
]

Rng = np.random.Generator


# ---------------------------------------------------------------------------------------------------------
# Random programs: the same steps run on floats (for labcode.numdiff) and on the student's objects


def _random_program(rng: Rng, d: int, steps: int, ops: Sequence[str]) -> list[tuple[Any, ...]]:
    """``steps`` random operations on d inputs; each reads earlier nodes, so nodes are shared.

    A step is ``(op, i)``, ``(op, i, j)`` (nodes i, j) or ``(op, i, c)`` (a number c on one side:
    "addc" is x + c, "radd" c + x, "mulc" x * c, "rmul" c * x, "rsub" c - x). The first operand is
    one of the four latest nodes, so the graph is deep; the second is any earlier node, so it is wide.
    Inputs that no step read are added in at the end: every input matters.
    """
    program: list[tuple[Any, ...]] = []
    for k in range(steps):
        m = d + k
        op = ops[int(rng.integers(len(ops)))]
        i = int(rng.integers(max(0, m - 4), m))
        if op in ("add", "sub", "mul"):
            program.append((op, i, int(rng.integers(0, m))))
        elif op in ("tanh", "neg"):
            program.append((op, i))
        else:
            program.append((op, i, float(np.round(rng.uniform(-1.5, 1.5), 2))))
    reached = _ancestors(program, d)
    for x in range(d):
        if x not in reached:
            program.append(("add", d + len(program) - 1, x))
    return program


def _ancestors(program: list[tuple[Any, ...]], d: int) -> set[int]:
    """The nodes the program's output depends on (a loop with a stack: programs can be long)."""
    seen: set[int] = set()
    stack = [d + len(program) - 1]
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        if node >= d:
            step = program[node - d]
            stack.append(step[1])
            if step[0] in ("add", "sub", "mul"):
                stack.append(step[2])
    return seen


# The steps with a number c on one side: each exercises one of +, * and - with c on the left or the right.
WITH_NUMBER: dict[str, Callable[[Any, float], Any]] = {
    "addc": lambda x, c: x + c,
    "radd": lambda x, c: c + x,  # calls type(x).__radd__
    "mulc": lambda x, c: x * c,
    "rmul": lambda x, c: c * x,  # calls type(x).__rmul__
    "rsub": lambda x, c: c - x,  # calls type(x).__rsub__
}


def _tanh(x: Any) -> Any:
    return x.tanh() if hasattr(x, "tanh") else math.tanh(float(x))


def _run(program: list[tuple[Any, ...]], inputs: Sequence[Any]) -> Any:
    """The program's output for ``inputs`` (numbers, Duals or Values): only +, -, *, unary - and tanh."""
    nodes = list(inputs)
    for step in program:
        op, x = step[0], nodes[step[1]]
        if op == "tanh":
            nodes.append(_tanh(x))
        elif op == "neg":
            nodes.append(-x)
        elif op in ("add", "sub", "mul"):
            y = nodes[step[2]]
            nodes.append(x + y if op == "add" else x - y if op == "sub" else x * y)
        else:
            nodes.append(WITH_NUMBER[op](x, step[2]))
    return nodes[-1]


def _as_function(program: list[tuple[Any, ...]]) -> Callable[[Any], Any]:
    """f(w) for the program: w a list of numbers/Duals/Values, or an array (then a float comes back)."""

    def f(w: Any) -> Any:
        if isinstance(w, np.ndarray):
            return float(_run(program, [float(v) for v in w]))
        return _run(program, list(w))

    return f


# ---------------------------------------------------------------------------------------------------------
# Reading the student's objects


def _number(name: str, value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise Fail(
            f"{name} is a {type(value).__name__}, not a number",
            "store plain numbers in value/deriv (data/grad), not other objects",
            status="error",
        ) from None


def _parts(name: str, obj: Any, kind: str) -> tuple[float, float]:
    """The two numbers a student's Dual (value, deriv) or Value (data, grad) holds."""
    first, second = ("value", "deriv") if kind == "Dual" else ("data", "grad")
    if not (hasattr(obj, first) and hasattr(obj, second)):
        made = "Dual(value, deriv)" if kind == "Dual" else "Value(data, (self, other))"
        raise Fail(
            f"{name} is a {type(obj).__name__}, not a {kind}",
            f"every operation returns a new {made}",
            status="error",
        )
    return _number(f"{name}.{first}", getattr(obj, first)), _number(f"{name}.{second}", getattr(obj, second))


def _dual(name: str, out: Any) -> tuple[float, float]:
    return _parts(name, out, "Dual")


def _value(name: str, obj: Any) -> tuple[float, float]:
    return _parts(name, obj, "Value")


def _close(got: float, expected: float, rtol: float = 1e-9) -> bool:
    return abs(got - expected) <= rtol * max(1.0, abs(expected))


def _random_pair(rng: Rng) -> tuple[float, float]:
    """A number in +-[0.5, 2] and a derivative in +-[0.5, 2] other than 1 (so a dropped factor shows)."""
    value = float(rng.uniform(0.5, 2.0) * rng.choice([-1.0, 1.0]))
    deriv = (
        float(rng.uniform(0.5, 0.9) * rng.choice([-1.0, 1.0]))
        if rng.uniform() < 0.5
        else float(rng.uniform(1.2, 2))
    )
    return value, deriv


# ---------------------------------------------------------------------------------------------------------
# Task 1: Dual arithmetic

REVERSED = {"c + x": "__radd__", "c * x": "__rmul__", "c - x": "__rsub__"}


def _evaluate_dual(rng: Rng, Dual: Any) -> str:  # noqa: N803 (the student's class)
    (a, da), (b, db) = _random_pair(rng), _random_pair(rng)
    c = float(np.round(rng.uniform(1.5, 3.0), 2))
    x = call("Dual(a, da)", Dual, a, da)
    y = call("Dual(b, db)", Dual, b, db)
    _dual("Dual(a, da)", x)
    # (text, compute, value, deriv, the deriv if a number were lifted to Dual(c, 1.0) instead of Dual(c, 0.0))
    cases = [
        ("x + y", lambda: x + y, a + b, da + db, None),
        ("x - y", lambda: x - y, a - b, da - db, None),
        ("x * y", lambda: x * y, a * b, da * b + a * db, None),
        ("-x", lambda: -x, -a, -da, None),
        ("x + c", lambda: x + c, a + c, da, da + 1),
        ("c + x", lambda: c + x, c + a, da, da + 1),
        ("x * c", lambda: x * c, a * c, da * c, da * c + a),
        ("c * x", lambda: c * x, c * a, c * da, c * da + a),
        ("x - c", lambda: x - c, a - c, da, da - 1),
        ("c - x", lambda: c - x, c - a, -da, 1 - da),
    ]
    where = f"for x = Dual({fmt(a)}, {fmt(da)}), y = Dual({fmt(b)}, {fmt(db)}), c = {fmt(c)}"
    for text, compute, value, deriv, lifted_with_1 in cases:
        try:
            out = call(text, compute)
        except Fail as fail:
            if "unsupported operand" in fail.message and text in REVERSED:
                raise Fail(
                    fail.message,
                    f"Python asks the float c first, and a float does not know Dual: define "
                    f"Dual.{REVERSED[text]}(self, other) (c on the left calls it with other = c)",
                    status="error",
                ) from None
            raise
        got_value, got_deriv = _dual(text, out)
        if not _close(got_value, value):
            raise Fail(
                f"{text} has value {fmt(got_value)}, expected {fmt(value)} {where}",
                "the value part is plain arithmetic on the values",
            )
        if _close(got_deriv, deriv):
            continue
        hint = "d(u + v) = du + dv, d(u - v) = du - dv, d(uv) = du v + u dv, and a number has derivative 0"
        if text == "x * y" and _close(got_deriv, da * db):
            hint = "the product rule: (uv)' = u'v + uv', not u'v'"
        elif text == "x * y" and (_close(got_deriv, da * b) or _close(got_deriv, a * db)):
            hint = "the product rule has two terms: (uv)' = u'v + uv'"
        elif lifted_with_1 is not None and _close(got_deriv, lifted_with_1):
            hint = "a plain number is a constant: lift it as Dual(c, 0.0), with derivative 0, not 1"
        raise Fail(f"{text} has deriv {fmt(got_deriv)}, expected {fmt(deriv)} {where}", hint)

    # A random polynomial of one variable, against labcode.numdiff.
    program = _random_program(rng, 1, 8, ("add", "sub", "mul", "addc", "radd", "mulc", "rmul", "rsub", "neg"))
    x0 = float(rng.uniform(-1.5, 1.5))
    out = call("f(Dual(x0, 1.0))", lambda: _run(program, [Dual(x0, 1.0)]))
    got_value, got_deriv = _dual("f(Dual(x0, 1.0))", out)
    value = float(_run(program, [x0]))
    deriv = numdiff.derivative(lambda t: float(_run(program, [t])), x0)
    if not (_close(got_value, value, 1e-9) and _close(got_deriv, deriv, 1e-6)):
        raise Fail(
            f"for a random polynomial f, f(Dual(x0, 1.0)) = Dual({fmt(got_value)}, {fmt(got_deriv)}), "
            f"expected value {fmt(value)} and f'(x0) = {fmt(deriv)} (central differences)",
            "each operation must return a new Dual and leave its operands unchanged",
        )
    return "every operation right, and f'(x) of a fresh random polynomial"


# ---------------------------------------------------------------------------------------------------------
# Task 2: sin and exp of a Dual


def _evaluate_dual_functions(rng: Rng, dual_sin: Any, dual_exp: Any, Dual: Any) -> str:  # noqa: N803
    a, da = _random_pair(rng)
    x = call("Dual(a, da)", Dual, a, da)
    where = f"for x = Dual({fmt(a)}, {fmt(da)})"
    for name, fn, f, df in (
        ("dual_sin(x)", dual_sin, math.sin, math.cos),
        ("dual_exp(x)", dual_exp, math.exp, math.exp),
    ):
        got_value, got_deriv = _dual(name, call(name, fn, x))
        if not _close(got_value, f(a)):
            raise Fail(
                f"{name} has value {fmt(got_value)}, expected {fmt(f(a))} {where}",
                f"the value is {name[5:8]}(x.value)",
            )
        expected = df(a) * da
        if _close(got_deriv, expected):
            continue
        hint = f"the chain rule: deriv = {name[5:8]}'(x.value) * x.deriv"
        if _close(got_deriv, df(a)):
            hint = "the chain rule: multiply by x.deriv, the derivative carried in from x"
        elif _close(got_deriv, -expected):
            hint = "d/dx sin x = +cos x (it is cos whose derivative is -sin)"
        elif _close(got_deriv, da):
            hint = "d/dx exp x = exp x: deriv = exp(x.value) * x.deriv"
        raise Fail(f"{name} has deriv {fmt(got_deriv)}, expected {fmt(expected)} {where}", hint)
    # A composition, against labcode.numdiff: d/dt sin(exp(t)) = cos(exp t) exp t.
    t0 = float(rng.uniform(-1.0, 1.0))
    out = call("dual_sin(dual_exp(Dual(t0, 1.0)))", lambda: dual_sin(dual_exp(Dual(t0, 1.0))))
    got_value, got_deriv = _dual("dual_sin(dual_exp(Dual(t0, 1.0)))", out)
    deriv = numdiff.derivative(lambda t: math.sin(math.exp(t)), t0)
    if not (_close(got_value, math.sin(math.exp(t0))) and _close(got_deriv, deriv, 1e-6)):
        raise Fail(
            f"dual_sin(dual_exp(Dual(t0, 1.0))) has deriv {fmt(got_deriv)}, expected {fmt(deriv)}",
            "each function must use its argument's deriv (the chain rule), whatever produced it",
        )
    return "sin, exp and their composition right"


# ---------------------------------------------------------------------------------------------------------
# Task 3: forward-mode gradient

FORWARD_HINTS = {
    "shape": "return one partial derivative per input: an array of shape (d,)",
    "factor:2": "seed each input with derivative 1, not 2",
    "sign": "read the derivative as it comes out: no minus sign",
    "zero": "seed input i with derivative 1 (Dual(w[i], 1.0)) and the others with 0, and read out.deriv",
    "default": "for each i: inputs Dual(w[j], 1.0 if j == i else 0.0), run f, grad[i] = out.deriv "
    "(and f runs on your Dual from task 1: is task 1 solved?)",
}


def _evaluate_forward_gradient(rng: Rng, forward_gradient: Any) -> str:
    d = int(rng.integers(3, 6))
    program = _random_program(rng, d, 10, ("add", "sub", "mul", "addc", "radd", "mulc", "rmul", "rsub"))
    f = _as_function(program)
    w = rng.uniform(-1.2, 1.2, d)
    name = "forward_gradient(f, w)"
    total = float(np.sum(numdiff.gradient(f, w)))
    seeded_together = Known(
        np.full(d, total),
        f"{name} returns the sum of the partial derivatives ({fmt(total)}) in every entry",
        "seeding every input with derivative 1 gives the derivative along (1, ..., 1): seed one input at a "
        "time, d passes for d partials",
    )
    gradient_check(name, f, lambda v: forward_gradient(f, v), w, FORWARD_HINTS, known=[seeded_together])
    return "right for a fresh random polynomial of several inputs"


# ---------------------------------------------------------------------------------------------------------
# Task 4: reverse mode, the Value class


def _backward(name: str, out: Any) -> None:
    if not hasattr(out, "backward"):
        raise Fail(f"{name} is a {type(out).__name__}, not a Value", "return a new Value", status="error")
    call(f"{name}.backward()", out.backward, allow_none=True)


def _grads(Value: Any, build: Callable[..., Any], values: Sequence[float], text: str) -> list[float]:  # noqa: N803
    """Leaves Value(v) for v in values, out = build(*leaves), out.backward(): the leaves' grads."""
    leaves = [call("Value(x)", Value, v) for v in values]
    for i, leaf in enumerate(leaves):
        data, grad = _value(f"Value({fmt(values[i])})", leaf)
        if not _close(data, values[i]) or grad != 0:
            raise Fail(
                f"Value({fmt(values[i])}) has data {fmt(data)} and grad {fmt(grad)}, expected data "
                f"{fmt(values[i])} and grad 0",
                "__init__ stores data and starts with grad = 0.0",
            )
    out = call(text, build, *leaves)
    _value(text, out)
    _backward(text, out)
    return [_value("leaf", leaf)[1] for leaf in leaves]


NOT_SEEDED = "backward starts the chain rule at the output: set self.grad = 1.0 before walking the graph"
# A fixed graph that no order but a reverse topological one gets right: t feeds out directly (one step from
# the output) and through t * t (two steps), so a breadth-first walk from the output runs t's _backward before
# t * t has added its share, whatever order each node keeps its inputs in.
ORDER_PROBE = "t + (t * t) * c with t = a * b"
WRONG_ORDER = (
    "the nodes were visited in a wrong order (breadth-first from the output?): t reaches out directly and "
    "through t * t, so t's _backward may run only after t * t has added its share to t.grad. Visit the "
    "nodes in reverse topological order (build the order with a loop and an explicit stack), and accumulate "
    "with +="
)
TOPOLOGICAL = (
    "t is used twice: visit the nodes in reverse topological order (a node's _backward may run only "
    "after every node that uses it has added its share to node.grad), and accumulate with +="
)


def _evaluate_value(rng: Rng, Value: Any) -> str:  # noqa: N803 (the student's class)
    (a, _), (b, _) = _random_pair(rng), _random_pair(rng)
    c = float(np.round(rng.uniform(1.5, 3.0), 2))
    where = f"for a = Value({fmt(a)}), b = Value({fmt(b)}), c = {fmt(c)}"
    t = math.tanh(a)
    shared = "a node used twice gets both contributions: accumulate with +=, never ="
    # (out = text, its build from the leaves, the leaves' values, their expected grads, the hint if wrong)
    probes: list[tuple[str, Callable[..., Any], list[float], list[float], str]] = [
        (
            "a + b",
            lambda x, y: x + y,
            [a, b],
            [1.0, 1.0],
            "d(a + b)/da = 1: self.grad += out.grad, other.grad += out.grad",
        ),
        (
            "a * b",
            lambda x, y: x * y,
            [a, b],
            [b, a],
            "d(ab)/da = b and d(ab)/db = a: self.grad += other.data * out.grad, other.grad += self.data * out.grad",
        ),
        (
            "c * a + c",
            lambda x: c * x + c,
            [a],
            [c],
            "a number c in c * a scales the gradient like any other factor: wrap it as Value(c)",
        ),
        (
            "a.tanh()",
            lambda x: x.tanh(),
            [a],
            [1 - t * t],
            "d tanh(x)/dx = 1 - tanh(x)**2, with t = tanh(x) from the forward pass",
        ),
        ("a * a", lambda x: x * x, [a], [2 * a], shared),
        ("a + a", lambda x: x + x, [a], [2.0], shared),
        (
            ORDER_PROBE,
            lambda x, y: (lambda s: s + (s * s) * c)(x * y),
            [a, b],
            [(1 + 2 * c * a * b) * b, (1 + 2 * c * a * b) * a],
            WRONG_ORDER,
        ),
    ]
    for text, build, values, expected, hint in probes:
        got = _grads(Value, build, values, text)
        if all(_close(g, e) for g, e in zip(got, expected, strict=True)):
            continue
        names = "a.grad, b.grad" if len(got) == 2 else "a.grad"
        message = (
            f"after out = {text}; out.backward(): {names} = {', '.join(fmt(g) for g in got)}, "
            f"expected {', '.join(fmt(e) for e in expected)} {where}"
        )
        raise Fail(message, NOT_SEEDED if all(g == 0 for g in got) else hint)

    # Random programs with shared nodes, against labcode.numdiff (through gradcheck).
    for _ in range(2):
        d = int(rng.integers(2, 5))
        program = _random_program(rng, d, 12, ("add", "mul", "tanh", "addc", "radd", "mulc", "rmul"))
        w = rng.uniform(-1.2, 1.2, d)

        def grads(v: np.ndarray, program: list[tuple[Any, ...]] = program) -> list[float]:
            return _grads(Value, lambda *leaves: _run(program, leaves), list(map(float, v)), "f(leaves)")

        f = _as_function(program)
        gradient_check("the leaves' grads", f, grads, w, {"default": TOPOLOGICAL})

    # A deep chain: a recursive topological sort overflows Python's stack (about 1000 frames).
    depth = 3000
    x = call("Value(0.5)", Value, 0.5)
    out = x
    try:
        for _ in range(depth):
            out = out * 1.0 + 0.001
    except Exception as exc:  # noqa: BLE001 (the student's operators)
        raise Fail(
            f"building a chain of {depth} operations raised {type(exc).__name__}: {exc}", status="error"
        ) from None
    try:
        _backward(f"a chain of {depth} operations", out)
    except Fail as fail:
        if "RecursionError" in fail.message:
            raise Fail(
                f"backward() raised RecursionError on a chain of {depth} operations",
                "a recursive topological sort goes one Python call deeper per node, and Python stops near "
                "1000: build the order with a loop and an explicit stack",
                status="error",
            ) from None
        raise
    got = _value("x", x)[1]
    if not _close(got, 1.0, 1e-6):
        raise Fail(f"on a chain of {depth} operations x.grad = {fmt(got)}, expected 1", TOPOLOGICAL)
    return "every rule, shared nodes, random programs and a chain of 3000 operations right"


# ---------------------------------------------------------------------------------------------------------
# Task 5: reverse-mode gradient

REVERSE_HINTS = {
    "shape": "return one partial derivative per input: np.array([x.grad for x in xs]), shape (d,)",
    "zero": "call out.backward() before reading the inputs' grads",
    "factor:2": "the grads doubled: build fresh Values for every call (a second backward() adds again)",
    "default": "xs = [Value(v) for v in w]; out = f(xs); out.backward(); return the xs' grads "
    "(and f runs on your Value from task 4: is task 4 solved?)",
}


def _evaluate_reverse_gradient(rng: Rng, reverse_gradient: Any) -> str:
    d = int(rng.integers(3, 7))
    program = _random_program(rng, d, 14, ("add", "mul", "tanh", "addc", "radd", "mulc", "rmul"))
    f = _as_function(program)
    calls = [0]
    counts: list[int] = []  # the calls of f made by each call of reverse_gradient

    def counted(w: Any) -> Any:
        calls[0] += 1
        return f(w)

    def counting(v: Any) -> Any:
        # Every call is counted, not only the first: a second call could difference f numerically.
        start = calls[0]
        try:
            return reverse_gradient(counted, v)
        finally:
            counts.append(calls[0] - start)

    def once(times: int, when: str) -> None:
        if times != 1:
            raise Fail(
                f"{name} called f {times} times for d = {d} inputs{when}",
                "reverse mode gets all d partials from one forward pass and one backward(): call f once",
            )

    w = rng.uniform(-1.2, 1.2, d)
    name = "reverse_gradient(f, w)"
    if not callable(reverse_gradient):
        call(name, reverse_gradient)  # its Fail says what it is instead
    call(name, counting, w.copy())
    once(counts[0], "")
    gradient_check(name, f, counting, w, REVERSE_HINTS)
    for times in counts[1:]:
        once(times, " (on a later call)")
    return "right for a fresh random program, with one call of f"


# ---------------------------------------------------------------------------------------------------------
# The lab

LAB = Lab(
    "autodiff",
    "Lab 2: Automatic differentiation",
    (
        Task("dual", 1, "dual-number arithmetic", ("Dual",), 1, _evaluate_dual),
        Task(
            "dual_functions",
            2,
            "sin and exp of a dual number",
            ("dual_sin", "dual_exp", "Dual"),
            1,
            _evaluate_dual_functions,
        ),
        Task(
            "forward_gradient",
            3,
            "forward-mode gradient",
            ("forward_gradient",),
            1,
            _evaluate_forward_gradient,
        ),
        Task("value", 4, "reverse mode: Value and backward", ("Value",), 2, _evaluate_value),
        Task(
            "reverse_gradient",
            5,
            "reverse-mode gradient",
            ("reverse_gradient",),
            1,
            _evaluate_reverse_gradient,
        ),
    ),
    checkpoints=("1a", "3a", "4a", "4b", "5a"),
)

progress = LAB.progress


def check_dual(Dual: Any, *, seed: int | None = None) -> Verdict:  # noqa: N803
    """Task 1: ``Dual(value, deriv)`` with +, -, * and unary -, numbers on either side."""
    return LAB.check("dual", Dual, seed=seed)


def check_dual_functions(dual_sin: Any, dual_exp: Any, Dual: Any, *, seed: int | None = None) -> Verdict:  # noqa: N803
    """Task 2: ``dual_sin(x)`` and ``dual_exp(x)`` for a Dual x (the chain rule)."""
    return LAB.check("dual_functions", dual_sin, dual_exp, Dual, seed=seed)


def check_forward_gradient(forward_gradient: Any, *, seed: int | None = None) -> Verdict:
    """Task 3: ``forward_gradient(f, w) -> (d,)`` on a fresh random polynomial."""
    return LAB.check("forward_gradient", forward_gradient, seed=seed)


def check_value(Value: Any, *, seed: int | None = None) -> Verdict:  # noqa: N803
    """Task 4: ``Value`` with +, *, tanh() and backward(): rules, shared nodes, random programs, a deep chain."""
    return LAB.check("value", Value, seed=seed)


def check_reverse_gradient(reverse_gradient: Any, *, seed: int | None = None) -> Verdict:
    """Task 5: ``reverse_gradient(f, w) -> (d,)`` with one call of f."""
    return LAB.check("reverse_gradient", reverse_gradient, seed=seed)
