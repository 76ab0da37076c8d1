"""A mock a program in another process can talk to: served by uvicorn on ``127.0.0.1``.

A program cannot share the suite's virtual clock or in-process transport, so the driver
protocol (``conformance.drivers._driver``), the suite's ``live`` backend and the pytest plugin's
``nemo_live_mock`` fixture serve a :class:`~mockserver.MockServer` here, on a
:class:`~nemokit._clock.ScaledClock`.
"""

from __future__ import annotations

from mockserver import MockServer
from mockserver._config import MockConfig
from nemokit._clock import ScaledClock

from ._served import ServedApp

__all__ = ["LiveMock"]


class LiveMock:
    """A :class:`~mockserver.MockServer` served by uvicorn in a thread on ``127.0.0.1``.

    Its clock is a :class:`~nemokit._clock.ScaledClock` (``scale`` virtual seconds per real
    second), so a program in another process waits real but short times. ``url`` is its base
    URL, ``server`` the MockServer (journal, faults, configure), ``clock`` the clock. Use it as
    a context manager or call :meth:`close`.
    """

    def __init__(self, config: MockConfig | None = None, *, scale: float = 1000.0) -> None:
        self.clock = ScaledClock(scale)
        self.server = MockServer(config, self.clock)
        self._served = ServedApp(self.server.app)
        self.url = self._served.url

    def __repr__(self) -> str:
        return f"LiveMock(url={self.url!r}, clock={self.clock!r})"

    def __enter__(self) -> LiveMock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop serving (open streams are cut) and free the port."""
        self._served.close()
