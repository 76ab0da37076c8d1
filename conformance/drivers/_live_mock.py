"""A mock a program in another process can talk to: served by uvicorn on ``127.0.0.1``.

A program cannot share the suite's virtual clock or in-process transport, so the driver
protocol (``conformance.drivers._driver``), the suite's ``live`` backend and the pytest plugin's
``nemo_live_mock`` fixture serve a :class:`~mockserver.MockServer` here, on a
:class:`~nemokit._clock.ScaledClock`.
"""

from __future__ import annotations

import socket
import threading
import time

import uvicorn

from mockserver import MockServer
from mockserver._config import MockConfig
from nemokit._clock import ScaledClock

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
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}"
        settings = uvicorn.Config(self.server.app, log_level="critical", lifespan="off")
        self._uvicorn = uvicorn.Server(settings)
        self._thread = threading.Thread(
            target=self._uvicorn.run, kwargs={"sockets": [self._sock]}, daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._uvicorn.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                self.close()
                raise RuntimeError(f"the live mock did not start on {self.url}")
            time.sleep(0.005)  # real time on purpose: waiting for a real server thread

    def __repr__(self) -> str:
        return f"LiveMock(url={self.url!r}, clock={self.clock!r})"

    def __enter__(self) -> LiveMock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop serving (open streams are cut) and free the port."""
        self._uvicorn.should_exit = True
        if self._thread.is_alive():
            self._thread.join(10)
        self._sock.close()
