"""Clients for the parallel-suite tests, importable by worker processes (they pickle by name)."""

from __future__ import annotations

import os
import pathlib
from dataclasses import dataclass
from typing import Any

from conformance.drivers._adapter import nemokit_factory
from conformance.drivers._protocol import ClientAdapter


@dataclass(frozen=True)
class CrashOnce:
    """nemokit's client, except that the first process to make one exits at once (status 3),
    as a client that segfaults would; ``marker`` is the file that says it has happened."""

    marker: pathlib.Path

    def __call__(self, *args: Any) -> ClientAdapter:
        try:
            os.close(os.open(self.marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        except FileExistsError:
            return nemokit_factory(*args)
        os._exit(3)


def crash_always(*args: Any) -> ClientAdapter:
    """A client whose every process dies making it."""
    os._exit(4)


def _closure() -> Any:
    def factory(*args: Any) -> ClientAdapter:
        return nemokit_factory(*args)

    return factory


#: A factory that does not pickle (a local function), as some users' factories are.
unpicklable = _closure()
