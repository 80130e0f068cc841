"""labcode: the tested numerical code behind *Calculus for Machine Learning*.

Modules
-------
numdiff    finite differences, complex step and Richardson extrapolation
gradcheck  relative error and a gradient checker that says why a gradient is wrong
losses     stable activations and losses with their analytic gradients
optim      gradient descent, momentum and Newton's method, recording their history
plots      the figures the chapters draw, in one readable style
notebook   notebook conveniences (glue for the book, setup) that also work on Colab
"""

__version__ = "0.1.0"
