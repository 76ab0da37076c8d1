"""A mock a program in another process can talk to: served by uvicorn on ``127.0.0.1``.

A program cannot share the suite's virtual clock or in-process transport, so the driver
protocol (``conformance.drivers._driver``), the suite's ``live`` backend and the pytest plugin's
``nemo_live_mock`` fixture serve a :class:`~mockserver.MockServer` here, on a
:class:`~nemokit._clock.ScaledClock`.
"""

from __future__ import annotations

import atexit
import threading

from starlette.types import ASGIApp, Receive, Scope, Send

from mockserver import MockServer
from mockserver._config import MockConfig
from nemokit._clock import ScaledClock

from ._served import ServedApp

__all__ = ["LiveMock"]


class _Switch:
    """An ASGI app that passes each request to the app set last: one uvicorn serves one
    example's mock after another, so no example pays for a server's start and stop (~0.2 s)."""

    def __init__(self) -> None:
        self.app: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        app = self.app
        if app is None:  # between two mocks: nobody is being observed
            await send({"type": "http.response.start", "status": 503, "headers": []})
            await send({"type": "http.response.body", "body": b""})
            return
        await app(scope, receive, send)


_shared: tuple[ServedApp, _Switch] | None = None
_shared_lock = threading.Lock()


def _shared_host() -> tuple[ServedApp, _Switch]:
    """The one loopback server that shared live mocks take turns on (stopped at exit)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            switch = _Switch()
            _shared = (ServedApp(switch), switch)
            atexit.register(_shared[0].close)
        return _shared


class LiveMock:
    """A :class:`~mockserver.MockServer` served by uvicorn in a thread on ``127.0.0.1``.

    Its clock is a :class:`~nemokit._clock.ScaledClock` (``scale`` virtual seconds per real
    second), so a program in another process waits real but short times. ``url`` is its base
    URL, ``server`` the MockServer (journal, faults, configure), ``clock`` the clock. Use it as
    a context manager or call :meth:`close`. ``shared``: serve it on one loopback server kept
    for the whole process, one shared mock at a time (the suite's ``live`` examples), instead
    of a server of its own.
    """

    def __init__(
        self, config: MockConfig | None = None, *, scale: float = 1000.0, shared: bool = False
    ) -> None:
        self.clock = ScaledClock(scale)
        self.server = MockServer(config, self.clock)
        self._switch: _Switch | None = None
        self._served: ServedApp | None = None
        if shared:  # one at a time: the suite runs its examples one after another
            served, self._switch = _shared_host()
            self._switch.app = self.server.app
            self.url = served.url
        else:
            self._served = ServedApp(self.server.app)
            self.url = self._served.url

    def __repr__(self) -> str:
        return f"LiveMock(url={self.url!r}, clock={self.clock!r})"

    def __enter__(self) -> LiveMock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop serving (open streams are cut) and free the port; a shared one steps off the
        shared server (its open streams run on against this mock, observed by nobody)."""
        if self._switch is not None:
            if self._switch.app is self.server.app:
                self._switch.app = None
        elif self._served is not None:
            self._served.close()
