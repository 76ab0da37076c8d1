"""The proxy's fast lane: plain requests forwarded over raw connections, parsed by httptools.

A GET through :class:`~._app.ProxyApp` on plain uvicorn took about 2x the direct GET
(``python -m bench.proxy_overhead``): uvicorn's request cycle and the ASGI messages on one side,
aiohttp's request and answer objects and httpx's on the other, ~485 us of CPU per recorded GET.
No library parses and forwards at the cost needed (aiohttp alone, as a bare forwarder behind
uvicorn, measured 1.68x), so the lane is hand-written on the two pieces that are cheap:
httptools (llhttp in C, uvicorn's own parser) reads both sides, asyncio protocols move the bytes.
A recorded GET on the lane costs ~270 us of CPU (most of it the recording, done after the client
has its answer) and takes about 1.35x the direct GET.

:class:`LaneProtocol` is uvicorn's httptools protocol (``uvicorn.Config(app, http=LaneProtocol)``,
as ``nemokit proxy`` serves), with one step added once a request's headers are read: a *plain*
request to a proxy that sends everything to its target (:attr:`ProxyApp.lane_ready`) takes the
lane; every other request is uvicorn's ASGI cycle running ``ProxyApp`` as before. Plain means
GET, OPTIONS or DELETE (or a POST with a declared JSON body, such as a ``/run_sse`` turn) in
origin form, no ``Expect``, ``Upgrade`` or ``Transfer-Encoding``, a body of at most
:data:`SMALL_REQUEST` bytes, and nothing else in flight on the connection.

On the lane the request goes out over a pooled connection (end-to-end headers only, as
:mod:`._hop` says, ``Host`` per ``preserve_host``, and ``Via``; the URL as httpx normalizes it,
as the ASGI path sends it). What happens next depends on the answer:

- a small plain answer (a declared length up to ``SMALL_ANSWER``, not an event stream) is read
  whole and written back in one piece (end-to-end headers and ``Via``); then, with the client
  served, the proxy records it through the same recorder calls as the ASGI path, so the
  cassette entry is the same;
- an event stream (no declared length, to an HTTP/1.1 client) is relayed on the lane
  (:class:`_Relay`): its head with end-to-end headers, ``Via`` and chunked framing at once, then
  each chunk as the target's parser hands it on, shown to the recorder only after it was written
  (through the ASGI path and aiohttp a chunk cost ~60 us of CPU, on the lane ~35 us). The client
  that leaves, the target that dies mid-stream, the slow client and the shutdown end it as the
  ASGI path does (the same cassette entry and failure notes);
- anything else (a stream with a declared length, a large or undeclared body, an answer over
  ``max_body``, an answer that breaks, a target that is down or answers garbage) is handed, as
  it stands, to ``ProxyApp``'s own code in an ASGI cycle of uvicorn's: the 502 envelope and the
  failure notes, the cut, the client that leaves, the stream relayed as it comes, the grace on
  shutdown are the ones the ASGI path has, because they are its code. The answer's bytes so
  far and the rest as it arrives come through an httpx stream. A request is sent again only
  when nothing at all came back, and never a POST (a turn that reached the target must not
  start twice): on a new connection after a pooled one broke (as aiohttp's pool does), and once
  more after a new one broke (as the ASGI path does). So a POST always goes out on a new
  connection, never on a pooled one the target may be closing at that moment.

The lane never holds more connections to the target than clients hold to the proxy (one
exchange per client connection at a time); an idle one is reused for up to
:data:`KEEPALIVE_EXPIRY` seconds, and closed when no client is connected or the app shuts down.
uvicorn's protocol internals are what the lane extends (the parser callbacks, ``cycle``,
``pipeline``, ``on_response_complete``): a lane exchange stands in ``cycle`` while it runs, so
pipelined requests, keep-alive and graceful shutdown keep uvicorn's rules
(``tests/proxy/test_proxy_lane.py`` holds them).
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import urllib.parse
import weakref
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, ClassVar, cast

import httptools
import httpx
from uvicorn.protocols.http.httptools_impl import (
    STATUS_LINE,
    HttpToolsProtocol,
    RequestResponseCycle,
)

from nemokit import contract

from ._app import SMALL_ANSWER, VIA, ProxyApp, Receive, Send, _framing, _Ticket
from ._hop import end_to_end

log = logging.getLogger("nemokit.proxy")

__all__ = ["KEEPALIVE_EXPIRY", "SMALL_REQUEST", "LaneProtocol"]

#: Request bodies up to this size may take the lane (read whole before sending).
SMALL_REQUEST = 64 * 1024
#: An idle connection to the target is dropped after this long (uvicorn closes its own after 5 s:
#: reusing one the target is closing at that moment fails with nothing sent back).
KEEPALIVE_EXPIRY = 2.0
#: Seconds to connect to the target, and the longest wait for its next bytes (a whole turn).
CONNECT_TIMEOUT = 10.0
READ_TIMEOUT = contract.TURN_LIMIT + 60.0
#: A streamed answer's bytes waiting for the client beyond this pause reading the target.
_BUFFERED = 256 * 1024
_METHODS = frozenset({b"GET", b"OPTIONS", b"DELETE"})
#: Methods sent again when nothing at all came back (the lane's others are never resent).
_IDEMPOTENT = _METHODS
_NOT_PLAIN = frozenset({b"transfer-encoding", b"expect", b"upgrade"})
_VIA_LINE = VIA[0] + b": " + VIA[1] + b"\r\n"


class LaneProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with the fast lane for a :class:`ProxyApp`'s plain requests
    (any other app, or a proxy that replays, is served exactly as uvicorn serves it)."""

    def __init__(self, config: Any, server_state: Any, app_state: dict[str, Any],
                 _loop: asyncio.AbstractEventLoop | None = None) -> None:  # fmt: skip
        super().__init__(config, server_state, app_state, _loop)
        app = config.app
        self._lane = _Lane.of(app) if isinstance(app, ProxyApp) and not config.root_path else None
        self._exchange: _Exchange | None = None

    def on_headers_complete(self) -> None:
        lane, current = self._lane, self.cycle
        if lane is not None and (current is None or current.response_complete):
            exchange = lane.admit(self)
            if exchange is not None:
                self.cycle = self._exchange = exchange  # type: ignore[assignment]
                return
        super().on_headers_complete()

    def on_body(self, body: bytes) -> None:
        exchange: object = self.cycle
        if isinstance(exchange, _Exchange):
            exchange.request_body.append(body)
        else:
            super().on_body(body)

    def on_message_complete(self) -> None:
        exchange: object = self.cycle
        if isinstance(exchange, _Exchange):
            exchange.start()
        else:
            super().on_message_complete()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if self._lane is not None:
            self._lane.clients += 1
            self._lane.stopping = False

    def connection_lost(self, exc: Exception | None) -> None:
        if self._lane is not None:
            self._lane.left()
        exchange = self._exchange
        if exchange is not None and not exchange.response_complete:
            exchange.disconnected = True
            exchange.client_left()
            if exchange.cycle is not None and exchange.cycle is not self.cycle:
                exchange.cycle.disconnected = True  # a pipelined request stands in cycle
                exchange.cycle.message_event.set()
        super().connection_lost(exc)

    def resume_writing(self) -> None:
        super().resume_writing()
        exchange = self._exchange
        if exchange is not None and not exchange.response_complete:
            exchange.drained()

    def hand_off(
        self, exchange: _Exchange, run: Callable[[Receive, Send], Awaitable[None]]
    ) -> None:
        """Go on with ``exchange`` in an ASGI cycle of uvicorn's running ``run``."""
        scope = exchange.scope
        parsed = httptools.parse_url(exchange.url)
        path = parsed.path.decode("ascii")
        scope.update({"method": exchange.method.decode("ascii"), "http_version": exchange.version,
                      "path": urllib.parse.unquote(path) if "%" in path else path,
                      "raw_path": parsed.path, "query_string": parsed.query or b""})  # fmt: skip
        cycle = RequestResponseCycle(
            scope=scope, transport=self.transport, flow=self.flow, logger=self.logger,
            access_logger=self.access_logger, access_log=self.access_log,
            default_headers=self.server_state.default_headers, message_event=asyncio.Event(),
            expect_100_continue=False, keep_alive=exchange.keep_alive,
            on_response=self.on_response_complete,
        )  # fmt: skip
        cycle.more_body = False  # the request's body was read whole
        cycle.disconnected = exchange.disconnected
        exchange.cycle = cycle
        current: object = self.cycle
        if current is exchange:
            self.cycle = cycle

        async def app(scope: Any, receive: Receive, send: Send) -> None:
            await run(receive, send)

        # As uvicorn starts a cycle (0.29 to 0.55): a task it waits for, and cancels after the
        # grace, on shutdown.
        task = self.loop.create_task(cycle.run_asgi(cast(Any, app)))
        task.add_done_callback(self.tasks.discard)
        self.tasks.add(task)

    def answer(self, exchange: _Exchange, status: int, headers: list[tuple[bytes, bytes]],
               body: bytes) -> None:  # fmt: skip
        """Write a small plain answer whole, then finish the request as uvicorn's cycle does."""
        exchange.response_complete = True
        transport = self.transport
        if not exchange.disconnected and not transport.is_closing():
            transport.write(self.head(exchange, status, headers) + body)
            if not exchange.keep_alive:
                transport.close()
        self.on_response_complete()

    def head(self, exchange: _Exchange, status: int, headers: list[tuple[bytes, bytes]],
             framing: bytes = b"") -> bytes:  # fmt: skip
        """An answer's head as the lane writes it: uvicorn's default headers, the target's
        end-to-end ones, ``Via``, ``framing`` (a header line of its own), and
        ``Connection: close`` where the exchange does not keep the connection alive."""
        out = [STATUS_LINE.get(status) or b"HTTP/1.1 %d \r\n" % status]
        for name, value in [*self.server_state.default_headers, *end_to_end(headers)]:
            out += [name, b": ", value, b"\r\n"]
        out += [_VIA_LINE, framing]
        if not exchange.keep_alive:
            out.append(b"connection: close\r\n")
        out.append(b"\r\n")
        return b"".join(out)


class _Lane:
    """One proxy's lane: where its target is and the idle connections to it."""

    _lanes: ClassVar[weakref.WeakKeyDictionary[ProxyApp, _Lane | None]] = (
        weakref.WeakKeyDictionary()
    )

    @classmethod
    def of(cls, app: ProxyApp) -> _Lane | None:
        if app not in cls._lanes:
            cls._lanes[app] = cls(app) if app.lane_ready else None
        return cls._lanes[app]

    def __init__(self, app: ProxyApp) -> None:
        assert app.target is not None
        self.app = app
        target = httpx.URL(app.target)
        self.host, self.https = target.host, target.scheme == "https"
        self.port = target.port or (443 if self.https else 80)
        self.host_line = b"host: " + target.netloc + b"\r\n"
        self.preserve_host = b"host" not in app._drop
        #: Answers the lane writes back itself: small (and within the proxy's ``max_body``).
        self.small = min(SMALL_ANSWER, app.max_body)
        self.idle: list[_Upstream] = []
        self.busy: set[_Upstream] = set()
        self.stopping = (
            False  # closed by the app's shutdown: no new connections until a client comes
        )
        self.connecting: set[asyncio.Task[None]] = set()
        self.carried = 0  #: requests that took the lane (for tests and curious users)
        self.relayed = 0  #: of these, event streams the lane relayed itself
        # Connections of clients to the proxy: with none left, idle connections to the target
        # are closed (the server may be stopping, and nothing else tells the lane: uvicorn
        # runs the proxy with or without its lifespan).
        self.clients = 0
        self._ssl: ssl.SSLContext | None = ssl.create_default_context() if self.https else None
        app.closers.append(self.close)

    def admit(self, protocol: LaneProtocol) -> _Exchange | None:
        """A lane exchange for the request whose headers ``protocol`` just read, if plain."""
        parser = protocol.parser
        method, url = parser.get_method(), protocol.url
        post = method == b"POST"
        if (method not in _METHODS and not post) or not url.startswith(b"/") or b"#" in url:
            return None
        if not url.isascii():
            return None
        sized = json = False
        for name, value in protocol.headers:
            if name in _NOT_PLAIN:
                return None
            if name == b"content-length":
                if not value.isdigit() or int(value) > SMALL_REQUEST:
                    return None
                sized = True
            elif name == b"content-type":
                json = b"json" in value.lower()
        if post and not (sized and json):  # a POST: a small JSON body of declared length only
            return None
        app = self.app
        try:  # as the ASGI path builds it (cached): a URL httpx refuses gets its 400 there
            target = app._url(app._base + url.decode("latin-1").removesuffix("?"))
        except (httpx.InvalidURL, UnicodeError, ValueError):
            return None
        version = parser.get_http_version()
        keep_alive = version != "1.0" and parser.should_keep_alive()
        self.carried += 1
        return _Exchange(self, protocol, method, url, target, keep_alive, version)

    def take(self) -> _Upstream | None:
        """An idle connection that is young enough, else ``None``."""
        now = asyncio.get_running_loop().time()
        while self.idle:
            upstream = self.idle.pop()
            fresh = now - upstream.idle_since < KEEPALIVE_EXPIRY
            if fresh and not upstream.closing and not upstream.transport_closing():
                return upstream
            upstream.close()
        return None

    def give_back(self, upstream: _Upstream) -> None:
        if not self.clients:
            upstream.close()
            return
        upstream.idle_since = asyncio.get_running_loop().time()
        self.idle.append(upstream)

    def left(self) -> None:
        """A client's connection to the proxy closed."""
        self.clients -= 1
        if not self.clients:
            while self.idle:
                self.idle.pop().close()

    async def connect(self) -> _Upstream:
        loop = asyncio.get_running_loop()
        try:
            _, upstream = await asyncio.wait_for(
                loop.create_connection(lambda: _Upstream(self), self.host, self.port, ssl=self._ssl,
                                       server_hostname=self.host if self._ssl else None),
                CONNECT_TIMEOUT,
            )  # fmt: skip
        except TimeoutError as error:
            raise httpx.ConnectTimeout(f"no connection to {self.host}:{self.port}") from error
        except OSError as error:
            raise httpx.ConnectError(
                f"cannot connect to {self.host}:{self.port}: {error}"
            ) from error
        return upstream

    def close(self) -> None:
        """Close every connection to the target (the proxy is stopping): the requests still
        waiting for an answer get the ASGI path's 502 where their client is still there."""
        self.stopping = True
        while self.idle:
            self.idle.pop().close()
        for upstream in list(self.busy):
            upstream.close()
        for task in self.connecting:
            task.cancel()


class _Upstream(asyncio.Protocol):
    """One connection to the target, carrying one exchange at a time."""

    def __init__(self, lane: _Lane) -> None:
        self.lane = lane
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.exchange: _Exchange | None = None
        self.idle_since = 0.0
        self.closing = False
        self.heard = False  # bytes arrived since the read timer last looked
        self.answered = False  # bytes arrived for the current exchange
        self._headers: list[tuple[bytes, bytes]] = []
        self._informational = False
        self.paused = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass

    def send(self, exchange: _Exchange, data: bytes) -> None:
        assert self.transport is not None
        self.exchange, self.heard, self.answered = exchange, False, False
        self.lane.busy.add(self)
        self.transport.write(data)

    def pause(self) -> None:
        """Read no more for now (a streamed answer's bytes wait for a slow client)."""
        if self.transport is not None and not self.paused:
            self.paused = True
            self.transport.pause_reading()

    def resume(self) -> None:
        if self.transport is not None and self.paused:
            self.paused = False
            self.transport.resume_reading()

    def transport_closing(self) -> bool:
        return self.transport is None or self.transport.is_closing()

    def close(self) -> None:
        self.closing = True
        self.lane.busy.discard(self)
        if self.transport is not None:
            self.transport.abort()

    def data_received(self, data: bytes) -> None:
        self.heard = self.answered = True
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as error:
            self.closing = True
            exchange, self.exchange = self.exchange, None
            if self.transport is not None:
                self.transport.abort()
            if exchange is not None:
                reason = str(error) or type(error).__name__
                exchange.broken(httpx.RemoteProtocolError(f"not an HTTP answer ({reason})"))

    def connection_lost(self, exc: Exception | None) -> None:
        self.closing = True
        self.lane.busy.discard(self)
        if self in self.lane.idle:
            self.lane.idle.remove(self)
        exchange, self.exchange = self.exchange, None
        if exchange is not None:
            exchange.lost(exc, nothing_back=not self.answered)

    # --- httptools' callbacks ---

    def on_message_begin(self) -> None:
        self._headers = []

    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers.append((name, value))

    def on_headers_complete(self) -> None:
        status = self.parser.get_status_code()
        self._informational = 100 <= status < 200  # a 1xx before the answer: not passed on
        if not self._informational and self.exchange is not None:
            self.exchange.head(status, self._headers)

    def on_body(self, body: bytes) -> None:
        if self.exchange is not None:
            self.exchange.body(body)

    def on_message_complete(self) -> None:
        if self._informational:
            return
        exchange, self.exchange = self.exchange, None
        self.lane.busy.discard(self)
        if self.parser.should_keep_alive() and not self.closing and exchange is not None:
            self.resume()  # the answer ended while a slow client held the reading back
            self.lane.give_back(self)
        else:
            self.close()
        if exchange is not None:
            exchange.complete()


class _Exchange:
    """One lane request, from its headers to the end of its answer.

    While it runs it stands in the client protocol's ``cycle``, answering what uvicorn asks of
    a cycle there (``response_complete``, ``keep_alive``, ``disconnected``, ``message_event``).
    """

    def __init__(self, lane: _Lane, protocol: LaneProtocol, method: bytes, url: bytes,
                 target: httpx.URL, keep_alive: bool, version: str) -> None:  # fmt: skip
        self.lane, self.protocol = lane, protocol
        self.method, self.url, self.target = method, url, target
        self.keep_alive, self.version = keep_alive, version
        self.headers, self.scope = protocol.headers, protocol.scope
        self.request_body: list[bytes] = []
        self.response_complete = self.disconnected = False
        self.message_event = _NOBODY_WAITS  # uvicorn sets it on a disconnect
        self.cycle: RequestResponseCycle | None = None  # once handed to an ASGI cycle
        self._ticket: _Ticket | None = None
        self._upstream: _Upstream | None = None
        self._retried = False
        self._reused = False  # the current attempt went out on a pooled connection
        self._status = 0
        self._answer_headers: list[tuple[bytes, bytes]] = []
        self._chunks: list[bytes] = []
        self._stream: _Arriving | None = None
        self._relayed: _Relay | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._done = False

    # --- sending ---

    def start(self) -> None:
        """The request is whole: send it to the target."""
        self._ticket = self.lane.app._lane_begin()
        # A POST goes out on a new connection: one it is never sent twice on must not be a pooled
        # connection the target may be closing just then (nothing would come back, and a POST
        # is not sent again: the client would get a 502 for a request the target never saw).
        upstream = self.lane.take() if self.method in _IDEMPOTENT else None
        if upstream is not None:
            self._send(upstream)
        else:
            self._connect()

    def _connect(self) -> None:
        task = asyncio.get_running_loop().create_task(self._connect_and_send())
        self.lane.connecting.add(task)
        task.add_done_callback(self.lane.connecting.discard)

    async def _connect_and_send(self) -> None:
        try:
            upstream = await self.lane.connect()
        except httpx.TransportError as error:
            self._no_answer(error)
            return
        self._send(upstream)

    def _wire(self) -> bytes:
        lane, body = self.lane, b"".join(self.request_body)
        out = [self.method, b" ", self.target.raw_path, b" HTTP/1.1\r\n"]
        headers = end_to_end(self.headers, drop=lane.app._drop)
        if not lane.preserve_host or not any(name == b"host" for name, _ in headers):
            out.append(lane.host_line)
        for name, value in headers:
            out += [name, b": ", value, b"\r\n"]
        if body:
            out += [b"content-length: ", str(len(body)).encode(), b"\r\n"]
        out += [_VIA_LINE, b"\r\n", body]
        return b"".join(out)

    def _send(self, upstream: _Upstream) -> None:
        self._upstream, self._reused = upstream, upstream.idle_since > 0
        upstream.send(self, self._wire())
        self._timer = asyncio.get_running_loop().call_later(READ_TIMEOUT, self._check)

    def _check(self) -> None:
        """The read timeout: the target sent nothing for :data:`READ_TIMEOUT` seconds."""
        upstream = self._upstream
        if upstream is not None and upstream.heard:
            upstream.heard = False
            self._timer = asyncio.get_running_loop().call_later(READ_TIMEOUT, self._check)
            return
        self._timer = None
        self._abandon()
        self.broken(httpx.ReadTimeout(f"no bytes from the target for {READ_TIMEOUT:g} s"))

    def _stop_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _abandon(self) -> None:
        """Stop reading the target: the connection is closed, never reused."""
        self._stop_timer()
        upstream, self._upstream = self._upstream, None
        if upstream is not None:
            upstream.exchange = None
            upstream.close()

    # --- the answer ---

    def head(self, status: int, headers: list[tuple[bytes, bytes]]) -> None:
        self._status, self._answer_headers = status, headers
        declared, stream = _framing(headers)
        if stream and declared is None and self.version == "1.1" and not self.disconnected:
            self._relayed = _Relay(self)  # an event stream: relayed here, chunk by chunk
        elif declared is None or declared > self.lane.small or stream:
            self._stream = _Arriving(self)
            self._relay(self._stream)

    def body(self, chunk: bytes) -> None:
        if self._relayed is not None:
            self._relayed.chunk(chunk)
        elif self._stream is not None:
            self._stream.push(chunk)
        else:
            self._chunks.append(chunk)

    def complete(self) -> None:
        self._stop_timer()
        self._upstream = None
        if self._relayed is not None:
            self._relayed.end()
            return
        if self._stream is not None:
            self._stream.end()
            return
        body = b"".join(self._chunks)
        self.protocol.answer(self, self._status, self._answer_headers, body)
        app = self.lane.app
        try:
            app._lane_done(self._ticket, self._request, self._status, self._answer_headers, body)
        except Exception:  # never expected; raised here it would only break the target's parser
            log.exception("%s %s: the exchange was not recorded", self._method_text, self.url)

    def lost(self, exc: Exception | None, *, nothing_back: bool) -> None:
        """The target closed the connection before the answer ended."""
        self._stop_timer()
        self._upstream = None
        stream = self._stream
        if exc is None and self._status and _until_close(self._answer_headers):
            # an answer without length or chunks ends when its connection does
            if self._relayed is not None:
                self._relayed.end()
                return
            if stream is not None:
                stream.end()
                return
        reason = f" ({exc})" if exc is not None else ""
        error = httpx.RemoteProtocolError(f"the target closed the connection{reason}")
        resend = self.method in _IDEMPOTENT  # never a POST: a turn must not start twice
        again = self._reused or not self._retried
        if nothing_back and resend and again and not self.lane.stopping:
            # Nothing came back: a pooled connection may close just as it is reused (then the
            # request goes out on a new one, as aiohttp's pool does), and a new one may fail
            # once (sent once more, as the ASGI path does). A POST is never sent again.
            self._retried = self._retried or not self._reused
            self._connect()
            return
        self.broken(error)

    def broken(self, error: httpx.TransportError) -> None:
        """The answer broke (or never came): retried, handed on cut, or a 502."""
        self._stop_timer()
        self._upstream = None
        if self._relayed is not None:
            self._relayed.cut(error)
        elif self._stream is not None:
            self._stream.fail(error)
        elif self._status:  # a small answer cut mid-body: handed on as far as it came
            cut = _Arriving(self, self._chunks)
            cut.fail(error)
            self._relay(cut)
        else:
            self._no_answer(error)

    def client_left(self) -> None:
        """The client's connection closed before the answer ended."""
        if self._relayed is not None:
            self._relayed.client_left()

    def drained(self) -> None:
        """The client's write buffer went below its mark again."""
        upstream = self._upstream
        if self._relayed is not None and upstream is not None:
            upstream.resume()

    # --- handing on to the ASGI path ---

    @property
    def _method_text(self) -> str:
        return self.method.decode("ascii")

    def _request(self) -> httpx.Request:
        """The request as the ASGI path builds it (for the recorder and the failure notes)."""
        body = b"".join(self.request_body)
        return self.lane.app._lane_request(self._method_text, self.target, self.headers, body)

    def _relay(self, stream: _Arriving) -> None:
        app = self.lane.app
        request = self._request()
        answer = httpx.Response(self._status, headers=self._answer_headers, stream=stream,
                                request=request)  # fmt: skip
        answer = app._lane_watch(self._ticket, request, answer)

        async def run(receive: Receive, send: Send) -> None:
            await app._relay(request, self.scope["path"], answer, receive, send)

        self.protocol.hand_off(self, run)

    def _no_answer(self, error: httpx.TransportError) -> None:
        app = self.lane.app
        request = self._request()
        app._lane_unanswered(self._ticket, request)

        async def run(receive: Receive, send: Send) -> None:
            await app._no_answer(request, self.scope["path"], error, send)

        self.protocol.hand_off(self, run)


class _Relay:
    """An event stream relayed on the lane: its head written at once, each chunk written to the
    client as the target's parser hands it on (chunked framing), then shown to the recorder.

    What the ASGI path does for a stream, without its layers (~60 us of CPU per chunk there):
    the client that leaves stops the reading and is recorded as gone; a target that dies
    mid-stream ends the client's body cleanly and is noted as a cut (:meth:`ProxyApp._cut`); a
    client that reads slowly pauses the target (uvicorn's write marks).
    """

    def __init__(self, exchange: _Exchange) -> None:
        self.exchange = exchange
        protocol, app = exchange.protocol, exchange.lane.app
        self.transport = protocol.transport
        self.request = exchange._request()
        headers = exchange._answer_headers
        self.capture = app._lane_capture(exchange._ticket, self.request, exchange._status, headers)
        self.done = False
        exchange.lane.relayed += 1
        chunked = b"transfer-encoding: chunked\r\n"
        self.transport.write(protocol.head(exchange, exchange._status, headers, chunked))

    def chunk(self, data: bytes) -> None:
        transport = self.transport
        if self.done or not data or transport.is_closing():
            return  # a client that is going: its connection_lost ends the relay
        transport.write(b"%x\r\n%s\r\n" % (len(data), data))
        if self.capture is not None:
            self.capture.feed(data)  # after the write: the client never waits for the record
        upstream = self.exchange._upstream
        if self.exchange.protocol.flow.write_paused and upstream is not None:
            upstream.pause()  # resumed by the client protocol's resume_writing

    def end(self) -> None:
        """The answer ended (or was cut): the last chunk, the record, the next request."""
        if self.done:
            return
        self.done = True
        if self.capture is not None:
            self.capture.finish()
        self._finish()

    def cut(self, error: httpx.TransportError) -> None:
        """The target's connection broke mid-stream (or the proxy is stopping and closed it)."""
        if self.done:
            return
        self.done = True
        lane = self.exchange.lane
        if lane.stopping:  # as the ASGI path's stream cancelled after the grace: not a failure
            if self.capture is not None:
                self.capture.finish(client_closed=True)
        else:
            if self.capture is not None:
                self.capture.finish(cut=True)
            lane.app._cut(self.request, error)
        self._finish()

    def client_left(self) -> None:
        if self.done:
            return
        self.done = True
        self.exchange._abandon()  # stop reading the target: the connection is not reused
        if self.capture is not None:
            self.capture.finish(client_closed=True)
        self.exchange.lane.app._lane_flush()
        self.exchange.response_complete = True

    def _finish(self) -> None:
        exchange, transport = self.exchange, self.transport
        exchange.response_complete = True
        if not transport.is_closing():
            transport.write(b"0\r\n\r\n")
            if not exchange.keep_alive:
                transport.close()
        exchange.lane.app._lane_flush()
        exchange.protocol.on_response_complete()


class _Arriving(httpx.AsyncByteStream):
    """An answer's body as it arrives from a lane connection (what came already first)."""

    def __init__(self, exchange: _Exchange, first: list[bytes] | None = None) -> None:
        self._exchange = exchange
        self._chunks: deque[bytes] = deque(first or ())
        self._size = sum(len(chunk) for chunk in self._chunks)
        self._error: httpx.TransportError | None = None
        self._ended = False
        self._paused = False
        self._waiter: asyncio.Future[None] | None = None

    def push(self, chunk: bytes) -> None:
        self._chunks.append(chunk)
        self._size += len(chunk)
        upstream = self._exchange._upstream
        if self._size > _BUFFERED and not self._paused and upstream is not None:
            self._paused = True
            upstream.pause()
        self._wake()

    def end(self) -> None:
        self._ended = True
        self._wake()

    def fail(self, error: httpx.TransportError) -> None:
        self._error, self._ended = error, True
        self._wake()

    def _wake(self) -> None:
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while True:
            while self._chunks:
                chunk = self._chunks.popleft()
                self._size -= len(chunk)
                if self._paused and self._size <= _BUFFERED // 2:
                    self._resume()
                yield chunk
            if self._ended:
                if self._error is not None:
                    raise self._error
                return
            self._waiter = asyncio.get_running_loop().create_future()
            await self._waiter

    def _resume(self) -> None:
        self._paused = False
        upstream = self._exchange._upstream
        if upstream is not None:
            upstream.resume()

    async def aclose(self) -> None:
        if not self._ended:  # read no further (the client left, or the answer was refused)
            self._ended = True
            self._exchange._abandon()


class _NobodyWaits:
    """What an exchange has for uvicorn's ``cycle.message_event``: only ever set."""

    def set(self) -> None:
        pass


_NOBODY_WAITS = _NobodyWaits()


def _until_close(headers: list[tuple[bytes, bytes]]) -> bool:
    """Whether an answer's body runs until the connection closes (no length, not chunked)."""
    for name, value in headers:
        lowered = name.lower()
        if lowered == b"content-length" or (
            lowered == b"transfer-encoding" and b"chunked" in value.lower()
        ):
            return False
    return True
