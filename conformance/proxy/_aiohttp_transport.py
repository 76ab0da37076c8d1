"""The proxy's way to the target: an httpx transport over aiohttp's pooled client.

The proxy keeps httpx's request and response objects (the replay router and the recorder work
on them), but the bytes go out through an :class:`aiohttp.ClientSession`: its HTTP/1.1 parser
(llhttp, in C) and connection pool cost a third of the CPU per request that httpcore's pure-Python
h11 parsing on anyio does, and a forwarded GET spends most of its time there
(``python -m bench.proxy_overhead``).

The session is set up to change nothing that passes, as a proxy must:

- no headers of aiohttp's own: no ``User-Agent``, ``Accept``, ``Accept-Encoding`` or
  ``Content-Type`` is added, so the client's (its attribution headers included) reach the
  target as they came; ``Host`` and ``Content-Length`` are written for the request as forwarded
  (and an ``Expect: 100-continue`` the proxy met already is not passed on);
- no decompression: a gzip answer is forwarded and recorded as the gzip bytes it was;
- no cookie jar (:class:`aiohttp.DummyCookieJar`): one user's cookies never go out with another
  user's request; no redirects followed; no proxy from the environment;
- the URL is sent as httpx built it (already percent-encoded): nothing is quoted again.

aiohttp's exceptions become httpx's, by what happened (no answer, a broken answer, a timeout),
so the proxy tells a dead target from a cut stream the way it did on httpcore. (The
``httpx-aiohttp`` package does this job in general; it maps a closed connection to a connect
timeout and lets a malformed answer's exception through unmapped, and the proxy's retry and
502 rules depend on exactly these.)
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator, Mapping
from typing import Any

import aiohttp
import httpx
import yarl

__all__ = ["AiohttpTransport"]

#: Headers aiohttp would add to a request that lacks them.
_NOT_ADDED = ("Accept", "Accept-Encoding", "User-Agent", "Content-Type")
#: Longest status line and header aiohttp accepts (its default, 8 KiB, is below common servers').
_MAX_FIELD = 64 * 1024
_URLS = 1024
#: Not passed on: the length is written for the body as forwarded; and ``Expect: 100-continue``
#: was met already (the proxy's server said 100 to its client and the proxy holds the whole
#: body), while aiohttp, seeing it, would hold the body back until the target says 100, and a
#: target that waits for the body instead would stall the request until the read timeout.
_WRITTEN_AGAIN = frozenset({b"content-length", b"expect"})


class AiohttpTransport(httpx.AsyncBaseTransport):
    """Sends httpx requests through one pooled :class:`aiohttp.ClientSession`.

    ``max_connections`` bounds the pool, ``keepalive_expiry`` is how long an idle connection is
    kept. The session is made on the first request, on the event loop that serves it.
    A request's ``timeout`` extension (httpx's) applies: ``read`` is the longest wait for the
    next bytes of the answer, as in httpx; ``connect`` bounds connecting, ``pool`` plus
    ``connect`` the wait for a connection. (aiohttp has no write timeout: a target that stops
    reading a request body is caught by the read timeout.)
    """

    def __init__(self, *, max_connections: int = 1000, keepalive_expiry: float = 2.0) -> None:
        self._max_connections = max_connections
        self._keepalive_expiry = keepalive_expiry
        self._session: aiohttp.ClientSession | None = None

    def _open(self) -> aiohttp.ClientSession:
        connector = aiohttp.TCPConnector(
            limit=self._max_connections, keepalive_timeout=self._keepalive_expiry
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            cookie_jar=aiohttp.DummyCookieJar(),
            skip_auto_headers=_NOT_ADDED,
            auto_decompress=False,
            trust_env=False,
            max_line_size=_MAX_FIELD,
            max_field_size=_MAX_FIELD,
        )
        return self._session

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        session = self._session or self._open()
        try:
            content = request.content
        except httpx.RequestNotRead:  # a streamed body: the proxy's are read whole already
            content = await request.aread()
        headers = [(name.decode("latin-1"), value.decode("latin-1"))
                   for name, value in request.headers.raw
                   if name.lower() not in _WRITTEN_AGAIN]  # fmt: skip
        try:
            answer = await session.request(
                request.method,
                _yarl(str(request.url)),
                headers=headers,
                data=content or None,
                allow_redirects=False,
                timeout=_timeout(_key(request.extensions.get("timeout"))),
            )
        except (aiohttp.ClientError, asyncio.TimeoutError) as error:
            raise _translate(error) from error
        return httpx.Response(
            answer.status,
            headers=answer.raw_headers,
            stream=_Body(answer),
            request=request,
            extensions={"http_version": b"HTTP/1.1",
                        "reason_phrase": (answer.reason or "").encode("latin-1", "replace")},
        )  # fmt: skip

    async def aclose(self) -> None:
        if self._session is not None:
            session, self._session = self._session, None
            await session.close()


class _Body(httpx.AsyncByteStream):
    """An answer's body as it arrives (each chunk as soon as it is there, not gathered)."""

    def __init__(self, answer: aiohttp.ClientResponse) -> None:
        self._answer = answer

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._answer.content.iter_any():
                yield chunk
        except (aiohttp.ClientError, asyncio.TimeoutError) as error:
            raise _translate(error) from error

    async def aclose(self) -> None:
        # A body read to its end leaves the connection in the pool; one left unread closes it.
        self._answer.release()


@functools.lru_cache(maxsize=_URLS)
def _yarl(url: str) -> yarl.URL:
    # encoded=True: httpx already percent-encoded the URL; it goes out byte for byte.
    return yarl.URL(url, encoded=True)


def _key(timeout: object) -> tuple[float | None, ...]:
    if not isinstance(timeout, Mapping):
        return (None, None, None)
    return (timeout.get("connect"), timeout.get("read"), timeout.get("pool"))


@functools.lru_cache(maxsize=16)
def _timeout(key: tuple[float | None, ...]) -> aiohttp.ClientTimeout:
    connect, read, pool = key
    # No total: a turn's stream may last 15 minutes; waiting for a pooled connection and then
    # connecting together get pool + connect.
    wait = None if connect is None or pool is None else connect + pool
    return aiohttp.ClientTimeout(total=None, connect=wait, sock_connect=connect, sock_read=read)


def _translate(error: aiohttp.ClientError | asyncio.TimeoutError) -> httpx.TransportError:
    """An aiohttp or asyncio failure as the httpx exception it corresponds to."""
    text = _describe(error)
    kind: type[httpx.TransportError]
    if isinstance(error, aiohttp.ConnectionTimeoutError):
        kind = httpx.ConnectTimeout
    elif isinstance(error, (aiohttp.ServerTimeoutError, asyncio.TimeoutError)):
        kind = httpx.ReadTimeout
    elif isinstance(error, aiohttp.ClientConnectorError):
        kind = httpx.ConnectError  # nothing was sent: the target is not there
    elif isinstance(error, (aiohttp.ServerDisconnectedError, aiohttp.ClientResponseError)):
        # Closed before a whole answer, or sent something that is not HTTP (a status line or a
        # header that does not parse, invalid bytes in a header).
        kind = httpx.RemoteProtocolError
    elif isinstance(error, aiohttp.ClientPayloadError):
        kind = httpx.RemoteProtocolError  # the body stopped short or its framing broke
    elif isinstance(error, aiohttp.ClientOSError):
        kind = httpx.ReadError
    elif isinstance(error, aiohttp.InvalidURL):
        kind = httpx.UnsupportedProtocol
    else:
        kind = httpx.TransportError
    return kind(text)


def _describe(error: BaseException) -> str:
    message: Any = getattr(error, "message", None)
    text = message if isinstance(message, str) and message else str(error)
    return text or type(error).__name__
