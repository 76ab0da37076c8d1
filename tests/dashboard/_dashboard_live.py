"""The mock the dashboard's browser tests look at."""

from __future__ import annotations

from conformance.drivers._served import ServedApp
from mockserver import MockConfig, MockServer
from nemokit import VirtualClock


class Mock:
    """A :class:`MockServer` on a virtual clock, served on 127.0.0.1."""

    def __init__(self, config: MockConfig) -> None:
        self.clock = VirtualClock()
        self.server = MockServer(config, self.clock)
        self._served = ServedApp(self.server.app)
        self.url = self._served.url
        self.ui = f"{self.url}/__admin/ui/"

    def close(self) -> None:
        self._served.close()
