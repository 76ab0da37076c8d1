"""Serve an app factory the way ``nemokit mock`` serves the mock (:mod:`nemokit.cli._servers`).

``python -m bench._serve SERVER MODULE:FUNC PORT LOOP HTTP [ROOT_PATH]``: the process
:func:`bench._common.serve` starts for each server of a benchmark, with the very runner the CLI
uses (``SERVER`` ``granian`` or ``uvicorn``; ``LOOP`` and ``HTTP`` as uvicorn takes them), so the
benchmarks measure what users run.
"""

from __future__ import annotations

import importlib
import sys

from nemokit.cli._servers import run_granian, run_uvicorn


def main(argv: list[str]) -> None:
    server, factory, port, loop, http, *rest = argv
    module, _, name = factory.partition(":")
    app = getattr(importlib.import_module(module), name)()
    root_path = rest[0] if rest else None
    if server == "granian":
        run_granian(app, "127.0.0.1", int(port), root_path=root_path)
    else:
        run_uvicorn(app, "127.0.0.1", int(port), loop=loop, http=http, root_path=root_path)


if __name__ == "__main__":
    main(sys.argv[1:])
