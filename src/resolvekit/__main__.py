"""``python -m resolvekit``: the command line (see :mod:`resolvekit.cli`)."""

from __future__ import annotations

import sys

from resolvekit.cli import main

__all__ = ["main"]

if __name__ == "__main__":
    sys.exit(main())
