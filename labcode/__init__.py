"""labcode: the tested numerical code behind *Calculus for Machine Learning*.

Modules
-------
numdiff    finite differences, complex step and Richardson extrapolation
gradcheck  relative error and a gradient checker that says why a gradient is wrong
losses     losses with their analytic gradients (their activations are autodiff's functions)
optim      gradient descent, momentum and Newton's method, recording their history
tree       parameters as one array or a dict of named arrays: flatten, unflatten, map, the keys check
autodiff   forward mode (Dual, jvp), reverse mode (Tensor, backward, vjp), grad/jacobian/hessian/hvp, and
           the functions (sigmoid, softmax, logsumexp, ...) for arrays, Duals and Tensors alike
models     linear, logistic and softmax regression and a two-layer MLP, with hand-derived gradients
plots      the figures the chapters draw, in one readable style
notebook   notebook conveniences (glue for the book, setup) that also work on Colab
labs       the checks behind the student labs: a verdict and a hint per task, and the progress count
grade      the grader: runs submitted lab notebooks in a sandbox, judges them outside (python -m labcode.grade)
"""

__version__ = "0.1.0"
