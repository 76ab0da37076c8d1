"""The recording reverse proxy: an ASGI app that forwards to a target and keeps a cassette.

(``nemokit proxy`` serves it with a fast lane for plain requests, :mod:`._lane`, which hands
everything else to this app's code: what follows holds on both paths.)

Every request is forwarded over one pooled transport, called directly: httpx's request and
response objects over aiohttp's client (:mod:`._aiohttp_transport`: its C parser and pool cost a
third of httpcore's CPU per request), with nothing added to or decoded from what passes. An
``httpx.AsyncClient`` on top would only add layers the proxy never uses (auth, cookies,
redirects, hooks) at a cost on every request. With a
cassette, the requests go through the replay router of :func:`conformance.cassettes.build_router`
(the same record modes, matching, redaction and playback as the pytest plugin): ``none`` answers
from the cassette alone, ``once``/``new_episodes``/``all`` send to the target what they must and
record it through the existing recording transport, SSE blocks with their times included.
Responses go back chunk by chunk as they arrive (``aiter_raw``: nothing is buffered, so
heartbeats keep flowing), with only end-to-end headers (:mod:`._hop`).

Faults never take the proxy down and never reach the cassette as a made-up answer:

- the target is down, answers garbage or sends invalid header bytes: the client gets a ``502``
  in the contract's envelope naming what went wrong; the failure is noted in the cassette's
  ``extra.proxy.failures`` (method, path and error kind, secrets replaced);
- the target dies mid-stream: the stream to the client ends cleanly where the target stopped,
  and the interaction is recorded with ``cut: true``;
- an answer that declares more than ``max_body`` bytes is refused with a ``502``; any other body
  is streamed through, and the recorder keeps at most a size and a hash of a large one;
- a request the cassette has no answer for (``none``) gets the contract's ``404`` envelope whose
  message names the nearest recorded request and what differed.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import pathlib
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, replace
from typing import Any, NamedTuple

import anyio
import httpx

from nemokit import contract
from nemokit._clock import Clock

from ..cassettes._capture import BodySink
from ..cassettes._cassette import CassetteError, dumps_cassette, save_cassette
from ..cassettes._playback import Timing
from ..cassettes._record import Recorder
from ..cassettes._redact import SECRET_RE, Redactor, find_secrets
from ..cassettes._replay import CassetteRouter, build_router
from ..cassettes._replay_values import CassetteMiss, RecordMode
from ..cassettes._tee import _ResponseCapture
from ._aiohttp_transport import AiohttpTransport
from ._hop import end_to_end

__all__ = ["DEFAULT_MAX_BODY", "ProxyApp", "ProxyStats", "proxy_timeout"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

log = logging.getLogger("nemokit.proxy")

#: Answers that declare more bytes than this are refused (a download is streamed, never held).
DEFAULT_MAX_BODY = 2 * 1024 * 1024 * 1024
#: Requests bodies are read whole (the replay key needs them): an upload's limit, plus room.
MAX_REQUEST_BODY = contract.MAX_UPLOAD_BYTES + 1024 * 1024
VIA = (b"via", b"1.1 nemokit-proxy")
#: Plain answers up to this size are read whole without watching for the client to leave.
SMALL_ANSWER = 64 * 1024
#: How many distinct URLs the proxy keeps parsed.
_URLS = 1024
#: Methods RFC 9110 calls idempotent: safe to send again when no answer came back.
_IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})


class _HideSecrets(logging.Filter):
    """Replaces tokens in httpx's log lines: httpx logs each request's URL at INFO, and a client
    that (wrongly) puts a token in a query would otherwise have the proxy write it to its log."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if find_secrets(message):
            record.msg, record.args = SECRET_RE.sub("<TOKEN>", message), ()
        return True


def _hide_secrets_in_httpx_logs() -> None:
    logger = logging.getLogger("httpx")
    if not any(isinstance(f, _HideSecrets) for f in logger.filters):
        logger.addFilter(_HideSecrets())


def proxy_timeout() -> httpx.Timeout:
    """Timeouts that fit a whole turn: 15 minutes may pass between two chunks of ``/run_sse``."""
    return httpx.Timeout(connect=10.0, read=contract.TURN_LIMIT + 60.0, write=60.0, pool=60.0)


def _pool() -> AiohttpTransport:
    # Hundreds of clients may hold a stream open at once: the pool must not be what waits.
    # An idle connection is dropped well before common servers drop it (uvicorn after 5 s):
    # reusing one the target is closing at that moment fails with nothing sent back.
    return AiohttpTransport(max_connections=1000, keepalive_expiry=2.0)


@dataclass(slots=True)
class ProxyStats:
    """What the proxy did: answers recorded, replayed, missed; requests that failed at the target
    (502 or a cut stream); and requests forwarded without a cassette."""

    recorded: int = 0
    replayed: int = 0
    missed: int = 0
    failed: int = 0
    forwarded: int = 0

    def summary(self) -> str:
        line = f"{self.recorded} recorded, {self.replayed} replayed, {self.missed} missed"
        extra = [f"{self.forwarded} forwarded"] if self.forwarded else []
        extra += [f"{self.failed} failed at the target"] if self.failed else []
        return line + (f" ({', '.join(extra)})" if extra else "")


class ProxyApp:
    """The proxy as an ASGI app (serve it with uvicorn; see :mod:`nemokit.cli._proxy_cmd`).

    ``target`` is the base URL forwarded to (not needed to replay in ``none``, or ``once`` with an
    existing cassette); ``cassette`` the file recorded to or replayed from (``None``: forward
    only); ``upstream`` replaces the network transport to the target (tests); ``clock`` stamps
    recordings and paces ``timing`` of replayed streams; ``preserve_host`` sends the client's
    ``Host`` to the target instead of the target's own.
    """

    def __init__(
        self,
        target: str | None = None,
        *,
        cassette: str | os.PathLike[str] | None = None,
        mode: RecordMode | str = RecordMode.ONCE,
        upstream: httpx.AsyncBaseTransport | None = None,
        clock: Clock | None = None,
        timing: Timing = "recorded",
        max_body: int = DEFAULT_MAX_BODY,
        preserve_host: bool = False,
    ) -> None:
        self.mode = RecordMode.parse(mode)
        self.target = target.rstrip("/") if target else None
        self.path = pathlib.Path(cassette) if cassette is not None else None
        self.max_body = max_body
        # As WireMock's --preserve-host-header: the target then builds absolute URLs (a render's
        # outputUrl) on the proxy's address, so following them goes through the proxy too.
        self._drop = (b"content-length",) if preserve_host else (b"host", b"content-length")
        self._own = ProxyStats()  # what the router does not count: failures, plain forwards
        self._unanswered = 0  # live sends that got no answer (the router counted them recorded)
        self.failures: list[dict[str, Any]] = []
        self._redactor = Redactor()
        # The fast lane (:mod:`._lane`) sends over its own connections: not with a given upstream.
        self._own_pool = upstream is None
        #: Called by :meth:`aclose` (the fast lane's connections).
        self.closers: list[Callable[[], None]] = []
        real: httpx.AsyncBaseTransport | None = upstream
        if real is None and self.target is not None:
            real = _pool()
        self._real = real
        self.router: CassetteRouter | None = None
        if self.path is not None:
            self.router = build_router(
                self.path, mode=self.mode, real=real, timing=timing, clock=clock
            )
            transport: httpx.AsyncBaseTransport = httpx.MockTransport(self.router.async_handler)
        elif real is not None:
            transport = real
        else:
            raise CassetteError("give a target to forward to, or a cassette to replay", file="-")
        self._recorder = self.router._recorder if self.router is not None else None
        if self._recorder is not None:
            self._recorder.deferred = True  # plain exchanges are worked out after the answer
        self._base = self.target or "http://cassette.invalid"
        # The transport is called as is: no client, so no cookie jar that could keep one user's
        # cookies for the next (requests and answers pass through untouched).
        self._transport = transport
        self._timeout = proxy_timeout().as_dict()
        # Clients ask for the same few URLs again and again (balance, polls): each is parsed
        # and checked once. An httpx.URL never changes, so one can serve many requests.
        self._url: Callable[[str], httpx.URL] = functools.lru_cache(maxsize=_URLS)(httpx.URL)
        _hide_secrets_in_httpx_logs()

    def __repr__(self) -> str:
        return f"ProxyApp(target={self.target!r}, cassette={self.path!s}, mode={self.mode.value})"

    @property
    def stats(self) -> ProxyStats:
        """The counts so far (answers recorded and replayed as the replay router counted them)."""
        own, router = self._own, self.router
        if router is None:
            return replace(own)
        return replace(own, recorded=router.stats.recorded - self._unanswered,
                       replayed=router.stats.replayed, missed=router.stats.misses)  # fmt: skip

    @property
    def records(self) -> bool:
        """Whether this proxy may send to the target and record (else it only replays)."""
        return self.router is not None and self.router._recorder is not None

    # --- the ASGI app ---------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
        elif scope["type"] == "http":
            await self._http(scope, receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def aclose(self) -> None:
        """Close the pool (the target's connections too, which a replay router holds)."""
        await self._transport.aclose()
        if self._real is not None and self._real is not self._transport:
            await self._real.aclose()
        for close in self.closers:
            close()

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        method, path = scope["method"], scope["path"]
        try:
            body = await _read_body(receive)
        except _ClientGone:
            return
        if body is None:
            limit = f"{MAX_REQUEST_BODY} bytes"
            await _envelope(send, path, 413, f"the request body is over the proxy's {limit}")
            return
        query = scope.get("query_string", b"").decode("latin-1")
        url = self._base + scope.get("raw_path", path.encode()).decode("latin-1").split("?")[0]
        headers = [*end_to_end(scope["headers"], drop=self._drop), VIA]
        try:
            request = httpx.Request(
                method, self._url(url + ("?" + query if query else "")), headers=headers,
                content=body, extensions={"timeout": self._timeout},
            )  # fmt: skip
        except (httpx.InvalidURL, UnicodeError, ValueError) as error:
            await _envelope(send, path, 400, f"the proxy cannot forward this request ({error})")
            return
        await self._forward(request, path, receive, send)

    async def _forward(
        self, request: httpx.Request, path: str, receive: Receive, send: Send
    ) -> None:
        try:
            response = await self._send(request)
        except CassetteMiss as miss:
            log.warning("%s", miss)
            await _envelope(send, path, 404, str(miss))
            return
        except (httpx.HTTPError, httpx.InvalidURL, ValueError) as error:
            await self._no_answer(request, path, error, send)
            return
        await self._relay(request, path, response, receive, send)

    async def _no_answer(
        self, request: httpx.Request, path: str, error: object, send: Send
    ) -> None:
        """The ``502`` for a request the target gave no usable answer to (noted as a failure)."""
        self._own.failed += 1
        detail = self._fail(request, "no answer", error)
        await _envelope(send, path, 502, f"the target gave no usable answer: {detail}")

    async def _relay(
        self, request: httpx.Request, path: str, response: httpx.Response, receive: Receive,
        send: Send,
    ) -> None:  # fmt: skip
        """Hand the target's answer on (or refuse one declared over ``max_body``)."""
        declared, streamed = _framing(response.headers.raw)
        if declared is not None and declared > self.max_body:
            self._own.failed += 1
            await response.aclose()
            detail = self._fail(request, "too big", f"{declared} bytes over {self.max_body}")
            await _envelope(send, path, 502, f"the target's answer is too big: {detail}")
            return
        self._own.forwarded += self.router is None
        small = _small_and_plain(response, (declared, streamed))
        await self._stream(request, response, receive, send, small=small)

    async def _send(self, request: httpx.Request) -> httpx.Response:
        """Send once; an idempotent request whose connection broke before any answer is sent
        once more (as nginx does), since a pooled connection may close as it is reused. Never a
        POST: a turn that reached the target must not be started twice."""
        for attempt in (1, 2):
            try:
                return await self._transport.handle_async_request(request)
            except httpx.TransportError as error:
                self._unanswered += self.router is not None
                broken = isinstance(error, (httpx.ReadError, httpx.WriteError,
                                            httpx.RemoteProtocolError))  # fmt: skip
                if attempt == 2 or not broken or request.method not in _IDEMPOTENT:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    async def _stream(
        self, request: httpx.Request, response: httpx.Response, receive: Receive, send: Send,
        *, small: bool,
    ) -> None:  # fmt: skip
        """Hand the response on chunk by chunk; stop reading the target if the client leaves.

        A small plain answer (its length declared, at most :data:`SMALL_ANSWER` bytes, not an
        event stream) is read whole first and handed on in one piece, without a task watching
        for the client: it arrives at once in practice, and a task per request plus the extra
        messages were a measurable share of a GET's hop. (A client that leaves while a target
        stalls inside such a body is noticed when the body ends, at worst at the read timeout.)
        Anything else is handed on as it arrives while a task waits for the client's disconnect,
        which stops the reading. A plain exchange's recording is worked out once the client has
        its answer.
        """
        headers = [*end_to_end(response.headers.raw), VIA]
        start = {"type": "http.response.start", "status": response.status_code, "headers": headers}
        try:
            if small:
                body = await self._read_small(request, response)
                await send(start)
                await self._end(request, send, body)
            else:
                await send(start)
                await self._pump_watched(request, response, receive, send)
        finally:
            with anyio.CancelScope(shield=True):
                await response.aclose()
            if self._recorder is not None:
                self._recorder.flush()

    async def _read_small(self, request: httpx.Request, response: httpx.Response) -> bytes:
        """A small answer's body, as far as the target sent it (a cut is noted)."""
        if response.is_stream_consumed:  # a replayed plain answer: already in memory
            return response.content
        chunks: list[bytes] = []
        try:
            async for chunk in response.aiter_raw():
                chunks.append(chunk)
        except httpx.HTTPError as error:
            self._cut(request, error)
        return b"".join(chunks)

    async def _pump_watched(
        self, request: httpx.Request, response: httpx.Response, receive: Receive, send: Send
    ) -> None:
        left = anyio.Event()
        async with anyio.create_task_group() as group:

            async def watch() -> None:
                while (await receive())["type"] != "http.disconnect":
                    pass
                left.set()
                group.cancel_scope.cancel()  # the client left: stop reading the target

            group.start_soon(watch)
            await self._pump(request, response, send, left.is_set)
            group.cancel_scope.cancel()

    async def _pump(
        self, request: httpx.Request, response: httpx.Response, send: Send,
        left: Callable[[], bool],
    ) -> None:  # fmt: skip
        """Hand chunks on until the answer ends or the client has left. The cancellation alone
        is not enough: while the target's bytes keep coming, reading the next chunk may never
        wait (aiohttp hands on what it has buffered), so the pump looks after each chunk."""
        try:
            async for chunk in response.aiter_raw():
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
                if left():
                    return  # the response's close notes the client as gone
        except httpx.HTTPError as error:
            self._cut(request, error)
        await self._end(request, send)

    def _cut(self, request: httpx.Request, error: httpx.HTTPError) -> None:
        if self.router is None or self.records:  # a replayed cut is the recording's own
            self._own.failed += 1
            self._fail(request, "cut", error)

    async def _end(self, request: httpx.Request, send: Send, body: bytes = b"") -> None:
        try:
            await send({"type": "http.response.body", "body": body, "more_body": False})
        except Exception:
            log.info(
                "%s %s: the answer ended short of its length", request.method, request.url.path
            )

    # --- what the fast lane (:mod:`._lane`) shares -----------------------------------------------

    @property
    def lane_ready(self) -> bool:
        """Whether the fast lane may carry plain requests: every request goes to the target
        (forwarding only, or recording with nothing to replay: mode ``all``, or a first
        recording), over the proxy's own connections (no ``upstream`` given)."""
        if self.target is None or not self._own_pool:
            return False
        return self.router is None or self.router._live_only

    def _lane_begin(self) -> _Ticket | None:
        """Count a live send as the replay router counts one, and keep the request's place in
        the cassette (the order requests were sent in); ``None`` when nothing is recorded."""
        router, recorder = self.router, self._recorder
        if router is None or recorder is None:
            return None
        router.stats.requests += 1
        router.stats.recorded += 1
        return _Ticket(recorder.reserve(), recorder.now())

    def _lane_request(
        self, method: str, url: httpx.URL, headers: list[tuple[bytes, bytes]], body: bytes
    ) -> httpx.Request:
        """The request as :meth:`_http` builds it, for the recorder and the failure notes."""
        headers = [*end_to_end(headers, drop=self._drop), VIA]
        return httpx.Request(method, url, headers=headers, content=body,
                             extensions={"timeout": self._timeout})  # fmt: skip

    def _lane_watch(
        self, ticket: _Ticket | None, request: httpx.Request, response: httpx.Response
    ) -> httpx.Response:
        """``response`` as the recording transport hands it on: its body watched by the
        recorder (the same steps as :class:`~conformance.cassettes.AsyncRecordingTransport`)."""
        live = self._lane_live(ticket, request)
        if live is None:
            return response
        recorder, sink, slot, at = live
        return recorder.respond(slot, request, sink, response, at)

    def _lane_capture(
        self, ticket: _Ticket | None, request: httpx.Request, status: int,
        headers: list[tuple[bytes, bytes]],
    ) -> _ResponseCapture | None:  # fmt: skip
        """What a stream the lane relays itself is shown to, chunk by chunk after each is
        written (the capture :meth:`_lane_watch` wraps around a body); ``None`` when nothing is
        recorded. Counted as :meth:`_relay` counts a stream."""
        self._own.forwarded += self.router is None
        live = self._lane_live(ticket, request)
        if live is None:
            return None
        recorder, sink, slot, at = live
        answer = httpx.Response(status, headers=headers, request=request)
        return recorder.capture(slot, request, sink, answer, at)

    def _lane_live(
        self, ticket: _Ticket | None, request: httpx.Request
    ) -> tuple[Recorder, BodySink, int, float] | None:
        """For a lane exchange that is recorded: noted as sent live, the recorder, the request's
        body as the recording transport keeps it, the exchange's slot and time; else ``None``."""
        router, recorder = self.router, self._recorder
        if ticket is None or router is None or recorder is None:
            return None
        router.log_live(request)
        sink = BodySink()
        sink.feed(request.content)
        return recorder, sink, ticket.slot, ticket.at

    def _lane_flush(self) -> None:
        if self._recorder is not None:
            self._recorder.flush()

    def _lane_done(
        self, ticket: _Ticket | None, request: Callable[[], httpx.Request], status: int,
        headers: list[tuple[bytes, bytes]], body: bytes,
    ) -> None:  # fmt: skip
        """Record a small plain exchange the lane answered (its client has the answer);
        ``request`` builds the request (only a recording needs it)."""
        if ticket is None or self._recorder is None:
            self._own.forwarded += 1
            return
        sent = request()
        answer = httpx.Response(status, headers=headers, stream=httpx.ByteStream(body),
                                request=sent)  # fmt: skip
        for _ in self._lane_watch(ticket, sent, answer).iter_raw():
            pass  # the recorder sees the body go by, as it does on the ASGI path
        self._recorder.flush()

    def _lane_unanswered(self, ticket: _Ticket | None, request: httpx.Request) -> None:
        """A live send that got no answer: its place is given up (as the recording transport
        drops it) and it is not counted as recorded."""
        router, recorder = self.router, self._recorder
        if ticket is None or router is None or recorder is None:
            return
        router.log_live(request)
        recorder.drop(ticket.slot)
        self._unanswered += 1

    # --- bookkeeping ------------------------------------------------------------------------------

    def _fail(self, request: httpx.Request, kind: str, error: object) -> str:
        """Note a failure (secrets replaced) for the log and the cassette; its description."""
        text = str(error) or type(error).__name__
        if isinstance(error, BaseException):
            text = f"{type(error).__name__}: {text}"
        detail = self._redactor.text(text)[:300]
        where = self._redactor.text(f"{request.method} {request.url.path}")
        self.failures.append({"request": where, "kind": kind, "error": detail})
        log.warning("%s: %s (%s)", where, kind, detail)
        return detail

    # --- the cassette ---------------------------------------------------------------------------

    def save(self) -> pathlib.Path | None:
        """Write the cassette (atomically) if anything was recorded; its path, else ``None``."""
        router = self.router
        if router is None or self.path is None or router._recorder is None:
            return None
        if not router._recorder.recorded and not self.failures:
            return None
        cassette = router.cassette
        if self.failures:
            proxy = {**_as_dict(cassette.extra.get("proxy")), "failures": self.failures}
            cassette = replace(cassette, extra={**cassette.extra, "proxy": proxy})
        if find_secrets(dumps_cassette(cassette)):  # never expected: the redactor ran
            raise CassetteError(
                "a token reached the recording; nothing was written", file=str(self.path)
            )
        return save_cassette(cassette, self.path)


class _Ticket(NamedTuple):
    """A lane request's place in the cassette and when it was sent."""

    slot: int
    at: float


def _small_and_plain(
    response: httpx.Response, framing: tuple[int | None, bool] | None = None
) -> bool:
    """An answer already in memory, or one of a declared small length that is not a stream
    (``framing``: what :func:`_framing` found in its headers, if known already)."""
    if response.is_stream_consumed:
        return True
    length, stream = framing if framing is not None else _framing(response.headers.raw)
    return length is not None and length <= SMALL_ANSWER and not stream


def _framing(headers: list[tuple[bytes, bytes]]) -> tuple[int | None, bool]:
    """An answer's declared length (``None``: none, or not a number) and whether it is an event
    stream, in one pass over its raw headers (this runs on every request)."""
    length: int | None = None
    stream = False
    for name, value in headers:
        lowered = name.lower()
        if lowered == b"content-length":
            length = int(value) if value.isdigit() else None
        elif lowered == b"content-type":
            stream = b"text/event-stream" in value
    return length, stream


def _as_dict(value: object) -> dict[str, Any]:
    return dict(value) if isinstance(value, dict) else {}


async def _read_body(receive: Receive) -> bytes | None:
    """The whole request body; ``None`` past :data:`MAX_REQUEST_BODY` (the rest drained).

    Raises :class:`_ClientGone` when the client disconnects before its body ended: a partial
    body is never forwarded.
    """
    parts, size, more = [], 0, True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise _ClientGone
        chunk = message.get("body", b"")
        size += len(chunk)
        if size <= MAX_REQUEST_BODY:
            parts.append(chunk)
        more = message.get("more_body", False)
    return b"".join(parts) if size <= MAX_REQUEST_BODY else None


class _ClientGone(Exception):
    """The client left before its request was whole."""


async def _envelope(send: Send, path: str, status: int, message: str) -> None:
    """The contract's error envelope (the render form on render paths), from the proxy itself."""
    if path.startswith("/api/render/"):
        body: dict[str, Any] = {"success": False, "error": message, "code": status}
    else:
        body = {"code": status, "message": message, "data": None}
    data = json.dumps(body, ensure_ascii=False).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode()),
               (b"x-nemokit-proxy", b"1"), VIA]  # fmt: skip
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": data, "more_body": False})
