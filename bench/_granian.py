"""Serve an app factory on granian the way ``nemokit mock`` does (:func:`run_granian`).

``python -m bench._granian MODULE:FUNC PORT [ROOT_PATH]``: the benchmarks start servers as
processes (:func:`bench._common.serve`); this is that process for granian, with the very
function the CLI uses, so the benchmark measures what users run.
"""

from __future__ import annotations

import importlib
import sys

from nemokit.cli._servers import run_granian


def main(argv: list[str]) -> None:
    factory, port, *rest = argv
    module, _, name = factory.partition(":")
    app = getattr(importlib.import_module(module), name)()
    run_granian(app, "127.0.0.1", int(port), root_path=rest[0] if rest else None)


if __name__ == "__main__":
    main(sys.argv[1:])
