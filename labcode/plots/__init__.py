"""The figures the chapters draw, in one readable style that stays legible in the site's dark mode.

Every helper takes data (or a function to sample), draws on the Axes you pass (or on a new one)
and returns that Axes, so a chapter can add a title or a second panel without copying plotting code.
One module per topic; everything is available as ``labcode.plots.<name>``.
"""

from labcode.plots.autodiff import *  # noqa: F403
from labcode.plots.chain_rule import *  # noqa: F403
from labcode.plots.classification import *  # noqa: F403
from labcode.plots.curvature import *  # noqa: F403
from labcode.plots.derivatives import *  # noqa: F403
from labcode.plots.descent import *  # noqa: F403
from labcode.plots.explorable import *  # noqa: F403
from labcode.plots.frameworks import *  # noqa: F403
from labcode.plots.gradients import *  # noqa: F403
from labcode.plots.layout import *  # noqa: F403
from labcode.plots.stochastic import *  # noqa: F403
from labcode.plots.style import *  # noqa: F403
