"""Automatic differentiation from scratch: forward mode (Dual), reverse mode (Tensor) and derivatives of functions.

=================  ==================================================================================
module             what it holds
=================  ==================================================================================
``forward``        :class:`Dual` (a value and a tangent) and :func:`jvp`
``reverse``        :class:`Tensor` (an array that records its operations), ``backward``, :func:`no_grad`,
                   :func:`vjp`
``rules``          the JVP and VJP of every primitive, as tables apart from the engines
``ops``            exp, log, sin, cos, tanh, sigmoid, relu, sqrt, softplus, log_sigmoid, logsumexp,
                   log_softmax, softmax and stack, for numbers, arrays, Duals and Tensors alike
``functional``     :func:`grad`, :func:`value_and_grad`, :func:`jacobian`, :func:`hessian`, :func:`hvp`
=================  ==================================================================================

    >>> import numpy as np
    >>> from labcode.autodiff import grad, tanh
    >>> f = lambda w: tanh(w).sum()
    >>> grad(f)(np.zeros(3))
    array([1., 1., 1.])
"""

from labcode.autodiff.forward import Dual, jvp
from labcode.autodiff.functional import grad, hessian, hvp, jacobian, value_and_grad
from labcode.autodiff.ops import (
    cos,
    exp,
    log,
    log_sigmoid,
    log_softmax,
    logsumexp,
    relu,
    sigmoid,
    sin,
    softmax,
    softplus,
    sqrt,
    stack,
    tanh,
)
from labcode.autodiff.reverse import Tensor, no_grad, vjp
from labcode.autodiff.rules import unbroadcast

__all__ = [
    "Dual",
    "Tensor",
    "cos",
    "exp",
    "grad",
    "hessian",
    "hvp",
    "jacobian",
    "jvp",
    "log",
    "log_sigmoid",
    "log_softmax",
    "logsumexp",
    "no_grad",
    "relu",
    "sigmoid",
    "sin",
    "softmax",
    "softplus",
    "sqrt",
    "stack",
    "tanh",
    "unbroadcast",
    "value_and_grad",
    "vjp",
]
