"""``python -m em_core fit PATH --k K --out fit.emviz``: see :mod:`em_core.cli`."""

import sys

from .cli import main

# The guard matters: a LocalCluster's worker processes start by importing the main module again.
if __name__ == "__main__":
    sys.exit(main())
