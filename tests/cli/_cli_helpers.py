"""Helpers shared by the CLI tests (the fixtures are in conftest.py)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from click.testing import Result

from mockserver import MockServer
from nemokit._clock import VirtualClock

API = "http://mock.cli.test"

#: ``run("say", "hi", input=..., secrets_ok=False)``: the ``run`` fixture's type.
Run = Callable[..., Result]
SECRETS = ("nmv_usr_", "clm_")


class InterruptingClock(VirtualClock):
    """A virtual clock that can play a Ctrl-C at the next long wait (a render poll)."""

    def __init__(self) -> None:
        super().__init__()
        self.interrupt_at_wait: float | None = None

    def sleep(self, seconds: float) -> None:
        if self.interrupt_at_wait is not None and seconds >= self.interrupt_at_wait:
            self.interrupt_at_wait = None
            raise KeyboardInterrupt
        super().sleep(seconds)


def json_lines(result: Result) -> list[dict[str, Any]]:
    """Every stdout line as a JSON object (fails on a line that is not one)."""
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


def paths(server: MockServer, method: str, prefix: str) -> list[str]:
    """The journal's paths of ``method`` requests starting with ``prefix``."""
    return [
        e.path for e in server.journal.entries() if e.method == method and e.path.startswith(prefix)
    ]
