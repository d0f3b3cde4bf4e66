"""The command line: the only place that prints or exits.

One module per command (``subtool/cli/<name>.py`` defining ``command``) keeps each small; they
load on use (see ``app.COMMANDS``), so ``subtool --help`` loads nothing but click.
"""

from __future__ import annotations

from .app import main

__all__ = ["main"]
