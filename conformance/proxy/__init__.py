"""The recording reverse proxy behind ``nemokit proxy``: any client, any language, recorded.

A client points ``NEMO_API_URL`` at the proxy; the proxy forwards to the target (the real API or
a mock) and writes what passed into a cassette, or answers from a cassette without any target
(``mode="none"``: a cassette server).

It sits beside ``conformance.drivers``, above ``conformance.cassettes``: it imports the standard
library, httpx, anyio and ``nemokit`` (the contract, the clock) and records and replays through
``conformance.cassettes``; never ``conformance.drivers`` or ``conformance.suite``. Serve it with
uvicorn (``nemokit proxy``), or in a thread with ``conformance.drivers.ServedApp``.

``nemokit proxy`` serves it with the fast lane (:mod:`._lane`, ``http=LaneProtocol``: it imports
uvicorn and httptools, so it is not imported here): plain requests are forwarded over raw
connections parsed by httptools and small plain answers written back without an ASGI cycle,
which brings a recorded GET from about 2x the direct GET to about 1.35x. It is hand-written
because no library parses and forwards at that cost (aiohttp as a bare forwarder behind uvicorn
measured 1.68x); everything that is not plain runs this ASGI app as before.
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
