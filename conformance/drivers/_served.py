"""Any ASGI app served by uvicorn in a thread on a free ``127.0.0.1`` port (tests, benchmarks).

:class:`~conformance.drivers.LiveMock` serves the mock through it; tests and benchmarks serve
the recording proxy (``conformance.proxy``) and small misbehaving targets the same way.
"""

from __future__ import annotations

import socket
import threading
import time
from typing import Any, Literal

import uvicorn

__all__ = ["ServedApp"]


class ServedApp:
    """``app`` under uvicorn in a daemon thread; ``url`` is its base URL. Close it when done.

    ``port`` 0 takes a free one; a given port lets a replaying proxy take the place of the
    recording one, whose address the recorded URLs hold.
    """

    def __init__(
        self,
        app: Any,
        *,
        port: int = 0,
        lifespan: Literal["auto", "on", "off"] = "off",
        **settings: Any,
    ) -> None:
        self.app = app
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # a port just freed
        self._sock.bind(("127.0.0.1", port))
        self.port: int = self._sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        # A long keep-alive: on a loaded machine a client may reuse a connection after uvicorn's
        # default 5 s, just as the server closes it.
        settings.setdefault("timeout_keep_alive", 60)
        config = uvicorn.Config(app, log_level="critical", lifespan=lifespan, **settings)
        self._uvicorn = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._uvicorn.run, kwargs={"sockets": [self._sock]}, daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._uvicorn.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                self.close()
                raise RuntimeError(f"the server did not start on {self.url}")
            time.sleep(0.005)  # real time on purpose: waiting for a real server thread

    def __repr__(self) -> str:
        return f"ServedApp(url={self.url!r})"

    def __enter__(self) -> ServedApp:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop serving (open streams are cut) and free the port."""
        self._uvicorn.should_exit = True
        if self._thread.is_alive():
            self._thread.join(10)
        self._sock.close()
