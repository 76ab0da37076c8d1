"""ASGI app factories that the benchmarks serve in a child process (:func:`bench._common.serve`).

Settings arrive through the environment (a child process has no other input):

- ``BENCH_MOCK_CONFIG``: JSON of :class:`~mockserver._config.MockConfig` changes;
  ``BENCH_MOCK_CLOCK``: ``virtual`` (default) or ``system`` (time scale 1, for heartbeats);
  ``BENCH_MOCK_JOURNAL_CAP``: the journal's size (10,000 by default, as in ``MockServer``).
- ``BENCH_BARE_ANSWERS``: JSON ``{path template: [content type, body text]}`` for the bare app.
- ``BENCH_PROXY_TARGET``, ``BENCH_PROXY_CASSETTE``: the recording proxy's target and cassette.
"""

from __future__ import annotations

import json
import os
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mockserver import MockServer
from mockserver._config import MockConfig
from nemokit._clock import Clock, SystemClock, VirtualClock

__all__ = ["bare", "mock", "proxy"]


def mock() -> Starlette:
    """The mock, configured from ``BENCH_MOCK_CONFIG`` and ``BENCH_MOCK_CLOCK``."""
    changes: dict[str, Any] = json.loads(os.environ.get("BENCH_MOCK_CONFIG", "{}"))
    system = os.environ.get("BENCH_MOCK_CLOCK") == "system"
    clock: Clock = SystemClock() if system else VirtualClock()
    cap = int(os.environ.get("BENCH_MOCK_JOURNAL_CAP", "10000"))
    return MockServer(MockConfig().replace(**changes), clock, journal_cap=cap).app


def bare() -> Starlette:
    """A bare Starlette app answering each path template with fixed bytes (the baseline)."""
    answers: dict[str, list[str]] = json.loads(os.environ["BENCH_BARE_ANSWERS"])
    return Starlette(routes=[_route(path, kind, text) for path, (kind, text) in answers.items()])


def _route(path: str, media_type: str, text: str) -> Route:
    body = text.encode()

    async def endpoint(request: Request) -> Response:
        return Response(body, media_type=media_type)

    return Route(path, endpoint, methods=["GET"])


def proxy() -> Any:
    """The recording proxy in front of ``BENCH_PROXY_TARGET``, recording (mode ``all``) into
    ``BENCH_PROXY_CASSETTE`` when set (else forwarding only). Serve it as ``nemokit proxy`` does,
    with the fast lane: ``serve("bench._apps:proxy", http=nemokit.cli._proxy_cmd.proxy_http())``."""
    from conformance.proxy import ProxyApp

    cassette = os.environ.get("BENCH_PROXY_CASSETTE") or None
    return ProxyApp(os.environ["BENCH_PROXY_TARGET"], cassette=cassette, mode="all")
