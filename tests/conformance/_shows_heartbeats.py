"""A client for the CLI tests: nemokit's, but it shows a heartbeat after every step."""

from __future__ import annotations

from conformance.drivers._adapter import NemokitAdapter
from conformance.drivers._protocol import Shown, Step


class _Adapter(NemokitAdapter):
    def run_step(self, step: Step) -> list[Shown]:
        return [*super().run_step(step), Shown("progress", "heartbeat")]


factory = _Adapter
