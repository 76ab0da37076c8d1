"""The ``nemokit`` command line (click for commands, rich for output).

``main`` is the console script; ``cli`` the click group (tests invoke it with
``CliRunner().invoke(cli, args, obj=Runtime(transport=..., clock=...))`` to run the commands in
process against the mock). Only this package imports ``mockserver`` and ``conformance``, and
only inside the commands that need them.
"""

from __future__ import annotations

from ._app import cli, main
from ._runtime import ExitCode, Runtime

__all__ = ["ExitCode", "Runtime", "cli", "main"]
