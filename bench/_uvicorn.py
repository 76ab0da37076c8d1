"""Serve an app factory on uvicorn the way ``nemokit mock`` does (:func:`run_uvicorn`).

``python -m bench._uvicorn MODULE:FUNC PORT LOOP HTTP [ROOT_PATH]`` (``LOOP`` and ``HTTP`` as
uvicorn takes them): the uvicorn counterpart of :mod:`bench._granian`, so that every server in a
benchmark runs with the settings users get.
"""

from __future__ import annotations

import importlib
import sys

from nemokit.cli._servers import run_uvicorn


def main(argv: list[str]) -> None:
    factory, port, loop, http, *rest = argv
    module, _, name = factory.partition(":")
    app = getattr(importlib.import_module(module), name)()
    run_uvicorn(app, "127.0.0.1", int(port), loop=loop, http=http,
                root_path=rest[0] if rest else None)  # fmt: skip


if __name__ == "__main__":
    main(sys.argv[1:])
