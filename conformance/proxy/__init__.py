"""The recording reverse proxy behind ``nemokit proxy``: any client, any language, recorded.

A client points ``NEMO_API_URL`` at the proxy; the proxy forwards to the target (the real API or
a mock) and writes what passed into a cassette, or answers from a cassette without any target
(``mode="none"``: a cassette server).

It sits beside ``conformance.drivers``, above ``conformance.cassettes``: it imports the standard
library, httpx, anyio and ``nemokit`` (the contract, the clock) and records and replays through
``conformance.cassettes``; never ``conformance.drivers`` or ``conformance.suite``. Serve it with
uvicorn (``nemokit proxy``), or in a thread with ``conformance.drivers.ServedApp``.
"""

from __future__ import annotations

from ._app import DEFAULT_MAX_BODY, ProxyApp, ProxyStats, proxy_timeout
from ._hop import HOP_BY_HOP, end_to_end

__all__ = [
    "DEFAULT_MAX_BODY",
    "HOP_BY_HOP",
    "ProxyApp",
    "ProxyStats",
    "end_to_end",
    "proxy_timeout",
]
