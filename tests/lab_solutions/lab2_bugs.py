"""Classic wrong answers to Lab 2, each planted in the reference solution's source (see _planted)."""

from __future__ import annotations

import inspect
from textwrap import dedent, indent

from . import lab2_autodiff as ref
from ._planted import Bug, mutate

DUAL_WITHOUT_REFLECTED = dedent(
    """
    class Dual:
        def __init__(self, value, deriv=0.0):
            self.value = value
            self.deriv = deriv

        def __add__(self, other):
            other = other if isinstance(other, Dual) else Dual(other)
            return Dual(self.value + other.value, self.deriv + other.deriv)

        def __sub__(self, other):
            other = other if isinstance(other, Dual) else Dual(other)
            return Dual(self.value - other.value, self.deriv - other.deriv)

        def __neg__(self):
            return Dual(-self.value, -self.deriv)

        def __mul__(self, other):
            other = other if isinstance(other, Dual) else Dual(other)
            return Dual(self.value * other.value, self.deriv * other.value + self.value * other.deriv)
    """
)

RECURSIVE_BACKWARD = dedent(
    """
        def backward(self, _seed=True):
            # no topological sort: pass the gradient on, then ask each child to do the same
            if _seed:
                self.grad = 1.0
            self._backward()
            for child in self._prev:
                child.backward(_seed=False)
    """
)

BREADTH_FIRST = dedent(
    """
        def backward(self):
            # breadth-first from the output: a node's _backward may run before all its users have added theirs
            self.grad = 1.0
            queue, seen = [self], {id(self)}
            while queue:
                node = queue.pop(0)
                node._backward()
                for child in node._prev:
                    if id(child) not in seen:
                        seen.add(id(child))
                        queue.append(child)
    """
)

# micrograd keeps a node's inputs in a set: their order follows memory addresses, so it changes from run to run
BREADTH_FIRST_SET_ORDER = BREADTH_FIRST.replace("for child in node._prev:", "for child in set(node._prev):")

RECURSIVE_TOPOLOGICAL_SORT = dedent(
    """
        def backward(self):
            order, visited = [], set()

            def build(node):
                if id(node) not in visited:
                    visited.add(id(node))
                    for child in node._prev:
                        build(child)
                    order.append(node)

            build(self)
            self.grad = 1.0
            for node in reversed(order):
                node._backward()
    """
)


def _replace_backward(new: str) -> str:
    """The reference Value with its backward() method replaced by ``new``."""
    source = dedent(inspect.getsource(ref.Value))
    start = source.index("    def backward(self):")
    tail = "        for node in reversed(order):\n            node._backward()\n"
    end = source.index(tail, start) + len(tail)
    return source[:start] + indent(new.strip("\n") + "\n", "    ") + source[end:]


# d(ab)/da = a and d(ab)/db = b: each factor gets its own value instead of the other's
SWAPPED_OLD = "self.grad += other.data * out.grad\n            other.grad += self.data * out.grad"
SWAPPED_NEW = "self.grad += self.data * out.grad\n            other.grad += other.data * out.grad"

ONE_PASS_PER_INPUT = dedent(
    """
    def reverse_gradient(f, w):
        grads = []
        for i in range(len(w)):
            xs = [Value(float(v)) for v in w]
            f(xs).backward()
            grads.append(xs[i].grad)
        return np.array(grads)
    """
)

BUGS = [
    # Task 1: Dual arithmetic
    Bug(
        "Dual product rule: u'v'",
        "dual",
        {
            "Dual": mutate(
                ref.Dual, "self.deriv * other.value + self.value * other.deriv", "self.deriv * other.deriv"
            )
        },
        "wrong",
        ["x * y has deriv"],
        ["product rule", "u'v + uv'"],
    ),
    Bug(
        "Dual product rule with one term",
        "dual",
        {
            "Dual": mutate(
                ref.Dual, "self.deriv * other.value + self.value * other.deriv", "self.deriv * other.value"
            )
        },
        "wrong",
        ["x * y has deriv"],
        ["two terms"],
    ),
    Bug(
        "Dual without __radd__",
        "dual",
        {"Dual": DUAL_WITHOUT_REFLECTED},
        "error",
        ["c + x raised TypeError", "unsupported operand"],
        ["__radd__"],
    ),
    Bug(
        "Dual lifts numbers with derivative 1",
        "dual",
        {"Dual": mutate(ref.Dual, "else Dual(other, 0.0)", "else Dual(other, 1.0)")},
        "wrong",
        ["x + c has deriv"],
        ["Dual(c, 0.0)"],
    ),
    # Task 2: sin and exp
    Bug(
        "dual_sin without the chain rule",
        "dual_functions",
        {"dual_sin": mutate(ref.dual_sin, "math.cos(x.value) * x.deriv", "math.cos(x.value)")},
        "wrong",
        ["dual_sin(x) has deriv"],
        ["multiply by x.deriv"],
    ),
    Bug(
        "dual_sin with -cos",
        "dual_functions",
        {"dual_sin": mutate(ref.dual_sin, "math.cos(x.value) * x.deriv", "-math.cos(x.value) * x.deriv")},
        "wrong",
        ["dual_sin(x) has deriv"],
        ["+cos"],
    ),
    Bug(
        "dual_exp keeps x.deriv",
        "dual_functions",
        {"dual_exp": mutate(ref.dual_exp, "e * x.deriv", "x.deriv")},
        "wrong",
        ["dual_exp(x) has deriv"],
        ["exp x = exp x"],
    ),
    # Task 3: forward-mode gradient
    Bug(
        "forward_gradient seeds every input at once",
        "forward_gradient",
        {"forward_gradient": mutate(ref.forward_gradient, "1.0 if j == i else 0.0", "1.0")},
        "wrong",
        ["sum of the partial derivatives"],
        ["one input at a time"],
    ),
    Bug(
        "forward_gradient seeds nothing",
        "forward_gradient",
        {"forward_gradient": mutate(ref.forward_gradient, "1.0 if j == i else 0.0", "0.0")},
        "wrong",
        ["zero"],
        ["seed input i"],
        kind="zero",
    ),
    # Task 4: Value and backward
    Bug(
        "backward overwrites instead of accumulating",
        "value",
        {"Value": mutate(ref.Value, "grad += ", "grad = ", count=5)},
        "wrong",
        ["a * a", "a.grad"],
        ["+="],
    ),
    Bug(
        "Value product rule swapped",
        "value",
        {"Value": mutate(ref.Value, SWAPPED_OLD, SWAPPED_NEW)},
        "wrong",
        ["a * b", "a.grad, b.grad"],
        ["d(ab)/da = b"],
    ),
    Bug(
        "tanh derivative 1 - t",
        "value",
        {"Value": mutate(ref.Value, "(1 - t * t) * out.grad", "(1 - t) * out.grad")},
        "wrong",
        ["a.tanh()"],
        ["tanh(x)**2"],
    ),
    Bug(
        "backward does not seed out.grad = 1",
        "value",
        {"Value": mutate(ref.Value, "        self.grad = 1.0\n", "")},
        "wrong",
        ["a + b", "= 0, 0"],
        ["self.grad = 1.0"],
    ),
    Bug(
        "backward without a topological order",
        "value",
        {"Value": _replace_backward(RECURSIVE_BACKWARD)},
        "wrong",
        ["t + (t * t) * c"],
        ["topological order"],
    ),
    Bug(
        "backward breadth-first from the output",
        "value",
        {"Value": _replace_backward(BREADTH_FIRST)},
        "wrong",
        ["t + (t * t) * c"],
        ["breadth-first", "topological order"],
    ),
    Bug(
        "backward breadth-first, inputs in a set",
        "value",
        {"Value": _replace_backward(BREADTH_FIRST_SET_ORDER)},
        "wrong",
        ["t + (t * t) * c"],
        ["breadth-first", "topological order"],
    ),
    Bug(
        "recursive topological sort",
        "value",
        {"Value": _replace_backward(RECURSIVE_TOPOLOGICAL_SORT)},
        "error",
        ["RecursionError", "3000"],
        ["explicit stack"],
    ),
    # Task 5: reverse-mode gradient
    Bug(
        "reverse_gradient runs one pass per input",
        "reverse_gradient",
        {"reverse_gradient": ONE_PASS_PER_INPUT},
        "wrong",
        ["called f"],
        ["call f once"],
    ),
    Bug(
        "reverse_gradient forgets backward()",
        "reverse_gradient",
        {"reverse_gradient": mutate(ref.reverse_gradient, "    out.backward()\n", "")},
        "wrong",
        ["zero"],
        ["out.backward()"],
        kind="zero",
    ),
    Bug(
        "reverse_gradient returns a (d, 1) column",
        "reverse_gradient",
        {"reverse_gradient": mutate(ref.reverse_gradient, "for x in xs])", "for x in xs]).reshape(-1, 1)")},
        "wrong",
        ["has shape", ", 1)"],
        ["shape (d,)"],
        kind="shape",
    ),
]
