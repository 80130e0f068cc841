"""Student labs with instant feedback: the checks a lab notebook calls, and what the grader calls.

Each lab is a module with one ``check_<task>(...)`` function per task and a ``progress`` object:

- :mod:`labcode.labs.gradients`, Lab 1 (book/labs/lab1_gradients.ipynb): numerical gradient, MSE, BCE,
  numerical Hessian, softmax cross-entropy;
- :mod:`labcode.labs.framework` (labs, tasks, verdicts, progress) and :mod:`labcode.labs.checking` (calling
  the student's code, comparing its answers) are what both share;
- :mod:`labcode.labs.autodiff`, Lab 2 (book/labs/lab2_autodiff.ipynb): dual numbers, forward-mode
  gradient, a micrograd-style ``Value`` with ``backward()``, reverse-mode gradient.

A check runs the student's functions on fresh random problems, prints a verdict with a hint drawn from
labcode.gradcheck's diagnosis, records it in the lab's progress and returns it (a :class:`Verdict`).
It never raises: an unfinished function is "not attempted yet", an exception becomes a verdict.
``LABS`` maps each lab's key to its :class:`Lab`, for the grader (:mod:`labcode.grade`).
"""

from labcode.labs import autodiff, gradients
from labcode.labs.framework import STATUSES, Lab, Progress, Task, Verdict

__all__ = ["LABS", "STATUSES", "Lab", "Progress", "Task", "Verdict", "autodiff", "gradients"]

LABS: dict[str, Lab] = {lab.key: lab for lab in (gradients.LAB, autodiff.LAB)}
