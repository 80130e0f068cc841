"""Optimizers that record their whole history for plots: gradient descent, momentum, Newton, SGD, RMSProp, Adam,
AdamW.

Every optimizer takes ``grad`` (and ``hess`` for Newton) and a starting point ``w0``, and returns an
:class:`OptimResult` holding the final parameters and the path it walked. ``w0`` is either one array of
any shape or a dict ``{name: array}`` of named parameters (an MLP's ``{"W1": ..., "b1": ...}``); then
``grad`` must return a dict with the same keys and shapes. ``w0`` is never modified.

What is recorded, with ``n = result.n_steps`` updates done:

==============  ===============================================================================
field           meaning
==============  ===============================================================================
``params``      the last iterate ``path[n]``, in w0's structure (an array, or a dict of arrays)
``path``        every iterate ``w_0, ..., w_n``: shape ``(n + 1, *w0.shape)``, or for a dict
                ``{name: (n + 1, *w0[name].shape)}``
``losses``      ``f(w_k)`` for every iterate, ``(n + 1,)``, when ``f`` is given; else ``None``
``grad_norms``  ``||grad(w_k)||`` (Euclidean norm of all parameters' gradients concatenated) for
                every iterate, ``(n + 1,)``; ``nan`` at a non-finite iterate
``converged``   ``grad_norms[n] <= tol`` (always False when ``tol`` is None)
``diverged``    the run stopped because it blew up (see below)
==============  ===============================================================================

When it stops. After ``steps`` updates; earlier when ``tol`` is given and the gradient norm at the
current iterate is ``<= tol`` (converged); earlier when the run diverges: an iterate, its gradient or its
loss is not finite, or the loss or the parameters grow past ``BLOWUP`` times their starting size
(``|f(w_k)| > BLOWUP * (1 + |f(w_0)|)`` or ``||w_k|| > BLOWUP * (1 + ||w_0||)``). Stopping there usually
comes before any overflow; numpy's overflow and invalid-value warnings inside ``f`` and ``grad`` are
silenced during a run, because a run that produces inf or nan says so: ``diverged``.

The package: ``_run`` (the shared loop and :class:`OptimResult`), ``deterministic`` (gradient descent,
momentum, Newton), ``stochastic`` (SGD, RMSProp, Adam, AdamW: torch.optim's updates, on mini-batches or full
gradients), ``batches`` (:class:`Minibatches`, which examples each update sees), ``schedules`` (learning
rates that change with the update: step, 1/t, cosine, warm-up), ``objectives`` (test functions with their
gradient and Hessian).
"""

from labcode.optim._run import BLOWUP, OptimResult
from labcode.optim.batches import Minibatches
from labcode.optim.deterministic import gradient_descent, momentum, newton
from labcode.optim.objectives import Objective, quadratic, rosenbrock
from labcode.optim.schedules import Schedule, cosine, inverse_time, step_decay, warmup
from labcode.optim.stochastic import adam, adamw, rmsprop, sgd

__all__ = [
    "BLOWUP",
    "Minibatches",
    "Objective",
    "OptimResult",
    "Schedule",
    "adam",
    "adamw",
    "cosine",
    "gradient_descent",
    "inverse_time",
    "momentum",
    "newton",
    "quadratic",
    "rmsprop",
    "rosenbrock",
    "sgd",
    "step_decay",
    "warmup",
]
