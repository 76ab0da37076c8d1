"""The recording reverse proxy behind ``nemokit proxy``: any client, any language, recorded.

A client points ``NEMO_API_URL`` at the proxy; the proxy forwards to the target (the real API or
a mock) and writes what passed into a cassette, or answers from a cassette without any target
(``mode="none"``: a cassette server).
"""

from __future__ import annotations

from ._app import DEFAULT_MAX_BODY, ProxyApp, ProxyStats, proxy_timeout
from ._hop import HOP_BY_HOP, end_to_end
from ._served import ServedApp

__all__ = [
    "DEFAULT_MAX_BODY",
    "HOP_BY_HOP",
    "ProxyApp",
    "ProxyStats",
    "ServedApp",
    "end_to_end",
    "proxy_timeout",
]
