"""Reference solutions of Lab 2 (book/labs/lab2_autodiff.ipynb): the answer key, kept out of labcode.

Written as a student would write them in the notebook (numpy as ``np``, ``math``), so that each source
can be pasted into its TODO cell as is.
"""

import math

import numpy as np


class Dual:
    """A dual number value + deriv * eps, with eps**2 = 0."""

    def __init__(self, value, deriv=0.0):
        self.value = value
        self.deriv = deriv

    def __repr__(self):
        return f"Dual({self.value}, {self.deriv})"

    @staticmethod
    def lift(other):
        return other if isinstance(other, Dual) else Dual(other, 0.0)

    def __add__(self, other):
        other = Dual.lift(other)
        return Dual(self.value + other.value, self.deriv + other.deriv)

    def __radd__(self, other):  # other + self
        return self + other

    def __neg__(self):
        return Dual(-self.value, -self.deriv)

    def __sub__(self, other):
        return self + (-Dual.lift(other))

    def __rsub__(self, other):  # other - self
        return Dual.lift(other) + (-self)

    def __mul__(self, other):
        other = Dual.lift(other)
        return Dual(self.value * other.value, self.deriv * other.value + self.value * other.deriv)

    def __rmul__(self, other):  # other * self
        return self * other


def dual_sin(x):
    return Dual(math.sin(x.value), math.cos(x.value) * x.deriv)


def dual_exp(x):
    e = math.exp(x.value)
    return Dual(e, e * x.deriv)


def forward_gradient(f, w):
    d = len(w)
    grad = np.zeros(d)
    for i in range(d):
        xs = [Dual(float(w[j]), 1.0 if j == i else 0.0) for j in range(d)]
        grad[i] = f(xs).deriv
    return grad


class Value:
    """A number in a computation graph; backward() fills .grad of everything it depends on."""

    def __init__(self, data, _children=()):
        self.data = data
        self.grad = 0.0
        self._backward = lambda: None
        self._prev = tuple(_children)

    def __repr__(self):
        return f"Value(data={self.data}, grad={self.grad})"

    def __add__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data + other.data, (self, other))

        def _backward():
            self.grad += out.grad
            other.grad += out.grad

        out._backward = _backward
        return out

    def __radd__(self, other):  # other + self
        return self + other

    def __mul__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data * other.data, (self, other))

        def _backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out._backward = _backward
        return out

    def __rmul__(self, other):  # other * self
        return self * other

    def tanh(self):
        t = math.tanh(self.data)
        out = Value(t, (self,))

        def _backward():
            self.grad += (1 - t * t) * out.grad

        out._backward = _backward
        return out

    def backward(self):
        # Topological order with an explicit stack: a node comes after everything it depends on.
        order, visited, stack = [], set(), [(self, False)]
        while stack:
            node, expanded = stack.pop()
            if expanded:
                order.append(node)
            elif id(node) not in visited:
                visited.add(id(node))
                stack.append((node, True))
                stack.extend((child, False) for child in node._prev)
        self.grad = 1.0
        for node in reversed(order):
            node._backward()


def reverse_gradient(f, w):
    xs = [Value(float(v)) for v in w]
    out = f(xs)
    out.backward()
    return np.array([x.grad for x in xs])
