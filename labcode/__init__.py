"""labcode: the tested numerical code behind *Calculus for Machine Learning*.

Modules
-------
numdiff    finite differences, complex step and Richardson extrapolation
gradcheck  relative error and a gradient checker that says why a gradient is wrong
losses     stable activations and losses with their analytic gradients
optim      gradient descent, momentum and Newton's method, recording their history
autodiff   forward mode (Dual, jvp), reverse mode (Tensor, backward, vjp) and grad/jacobian/hessian/hvp
models     linear, logistic and softmax regression and a two-layer MLP, with hand-derived gradients
plots      the figures the chapters draw, in one readable style
notebook   notebook conveniences (glue for the book, setup) that also work on Colab
labs       the checks behind the student labs: a verdict and a hint per task, and the progress count
grade      the grader: runs submitted lab notebooks in a fresh kernel (python -m labcode.grade)
"""

__version__ = "0.1.0"
