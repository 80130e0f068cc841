"""``python -m labcode.grade``: see :mod:`labcode.grade.cli`."""

import sys

from labcode.grade.cli import main

sys.exit(main())
