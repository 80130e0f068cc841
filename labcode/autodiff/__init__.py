"""Automatic differentiation from scratch: forward mode (Dual), reverse mode (Tensor) and derivatives of functions.

=================  ==================================================================================
module             what it holds
=================  ==================================================================================
``functions``      exp, log, sin, cos, tanh, sqrt, sigmoid, relu, softplus, log_sigmoid, logsumexp,
                   log_softmax, softmax and stack, for numbers, arrays, Duals and Tensors alike
``forward``        :class:`Dual` (a value and a tangent) and :func:`jvp`
``reverse``        :class:`Tensor` (an array that records its operations), ``backward``, :func:`no_grad`,
                   :func:`vjp`
``functional``     :func:`grad`, :func:`value_and_grad`, :func:`jacobian`, :func:`hessian`, :func:`hvp`
``rules``          the JVP and VJP of every primitive, as tables apart from the engines
``kernels``        the numpy computation of every primitive (the stable numerics live here, once)
``ops``            :func:`~labcode.autodiff.ops.apply`, the one door every operation goes through, and the
                   operators and methods Dual and Tensor share
``levels``         which of several nested derivatives an operation belongs to, scoped to running calls
=================  ==================================================================================

    >>> import numpy as np
    >>> from labcode.autodiff import grad, tanh
    >>> f = lambda w: tanh(w).sum()
    >>> grad(f)(np.zeros(3))
    array([1., 1., 1.])
"""

from labcode.autodiff import functions
from labcode.autodiff.forward import Dual, jvp
from labcode.autodiff.functional import grad, hessian, hvp, jacobian, value_and_grad
from labcode.autodiff.functions import *  # noqa: F403  (every public function: functions.__all__)
from labcode.autodiff.ops import LostDerivativeWarning
from labcode.autodiff.reverse import Tensor, no_grad, vjp
from labcode.autodiff.rules import unbroadcast

__all__ = [
    "Dual",
    "LostDerivativeWarning",
    "Tensor",
    "grad",
    "hessian",
    "hvp",
    "jacobian",
    "jvp",
    "no_grad",
    "unbroadcast",
    "value_and_grad",
    "vjp",
    *functions.__all__,
]
