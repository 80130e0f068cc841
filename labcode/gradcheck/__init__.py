"""Relative error and a gradient checker that says *why* a gradient is wrong.

The public names are the four this package exports; its modules are private, as scipy's are: ``_result``
(GradCheckResult, relative_error), ``_parameters`` (w flattened, grad's output validated), ``_probes`` (the
numerical side), ``_diagnosis`` (the catalogue of verdicts, readable on its own) and ``_check``
(check_gradient, which ties them together).

``check_gradient(f, grad, w)`` compares ``grad(w)`` with central differences of ``f``
(:func:`labcode.numdiff.gradient`) and returns a :class:`GradCheckResult` whose ``kind`` names what
it found. Before any arithmetic it checks what grad returned (errors, keys, shapes, nan); when the
numbers disagree it tries, in turn, a kink, one wrong named parameter, zero, a sign, a constant
factor, a transpose, and some wrong coordinates:

===============  ==========================================================================
kind             meaning (``ok`` is True only for "ok" and a passing "noisy")
===============  ==========================================================================
``ok``           grad matches the numerical gradient up to finite-difference noise
``noisy``        f computes in low precision, or its finite differences are noisy for
                 another reason (a tiny gradient next to a large f): ``ok`` says whether grad
                 agrees within that noise; a failing "noisy" means the check is inconclusive
``error``        f or grad raised, or returned something that is not a number / an array
                 (``None``, a non-scalar loss); the diagnosis holds the exception's text
``keys``         grad returned a dict whose keys differ from w's
``shape``        grad (or one entry of its dict) has the wrong shape; caught before any
                 arithmetic, so broadcasting cannot hide it
``transpose``    grad is the transpose of the right gradient, or has the transposed shape
``nonfinite``    grad, f(w) or the numerical gradient holds nan or inf (the diagnosis says where)
``zero``         grad is zero where the numerical gradient is not
``sign``         grad = -(right gradient)
``factor``       grad = c * (right gradient) for a constant c != 1 (``factor`` holds c)
``partial``      some parameters (dict keys) or coordinates are wrong and the rest match
                 (``wrong_parts`` names them)
``kink``         f is not differentiable at w (a ReLU or abs at exactly 0): the one-sided
                 slopes differ, so no finite difference can vouch for grad there
``wrong``        grad disagrees and none of the patterns above explains it
===============  ==========================================================================

``KINDS`` holds the same table for programs (the lab grader maps kinds to hints).

How the pass threshold is set. Central differences with the step h ~ cbrt(eps) * max(1, |w_i|) err by
about eps**(2/3) ~ 4e-11 relative to the gradient, so a right float64 gradient typically agrees to 1e-8
or better, while a real bug (a dropped term, a factor, a sign) disagrees by 1e-3 or more. The check
estimates the noise of its own finite differences from the gap between steps h and 2h (which measures
the truncation error and the rounding noise) and from the rounding of f, eps * |f(w)| / h, and passes
when ``max_relative_error <= tolerance = max(rtol, 10 * expected_noise)`` (the noise term capped at
1e-2: finite differences that noisy cannot vouch for a gradient). The default ``rtol`` is
1e-6 when f computes in float64 (far above the noise, far below any bug) and 1e-3 when f returns float32
or float16, whose finite differences are good to a few digits only.

Truncation is not noise. When that gap is far above f's rounding and would loosen the tolerance, the
default step is too large for f (sin(w) at |w| = 1e6 has a step of 3) or f is noisy inside: every probe
is differenced again with ``numdiff.derivative(..., method="adaptive")``, whose error estimate becomes
the noise (at most ``_probes.ADAPT_LIMIT`` probes; beyond that the diagnosis names truncation and a
smaller h). When the default steps are that large (above 1e-4, i.e. |w_i| > 30) and even the adaptive
steps leave a disagreement that no clean pattern (zero, sign, factor, transpose) explains, the check is
"noisy" and says it is inconclusive: at |w| = 1e12 a step of 3e6 skips whole periods of sin(w), and no
finite difference there can tell a right grad from a wrong one. Two more exceptions to "disagree means
wrong": a grad that matches f's slope on w's side of a kink lying within the step (a ReLU 1e-8 from 0)
passes with a note naming the kink, and a failing grad that returns float32 says so.
"""

from labcode.gradcheck._check import check_gradient
from labcode.gradcheck._diagnosis import KINDS
from labcode.gradcheck._result import GradCheckResult, relative_error

__all__ = ["KINDS", "GradCheckResult", "check_gradient", "relative_error"]
