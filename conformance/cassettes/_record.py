"""Recording: transports that wrap any httpx transport and write down what passes through.

:class:`RecordingTransport` (sync) and :class:`AsyncRecordingTransport` pass every request to the
transport they wrap and hand its response back with the body untouched and still streaming: the
recorder watches the chunks go by. A response is recorded when its body ends (or breaks, or the
client closes it), in the order the *requests* were sent, so repeated polls keep their order even
when responses finish out of order.

- JSON and text bodies are kept as values; binary bodies as size + SHA-256, with the bytes only up
  to :data:`KEEP_BINARY_BYTES`; multipart request bodies as a summary of their parts.
- ``text/event-stream`` responses are cut into their raw blocks (split on blank lines, CRLF, CR
  or LF) with each block's time from the response start; a stream that breaks is recorded with
  ``cut: true`` and the error still reaches the client.
- Secrets go through one :class:`~conformance.cassettes._redact.Redactor` before anything is
  kept: nothing the recorder's entries, reprs or saves hold can leak a token.
- A recorder with ``deferred = True`` (the proxy's) works out a plain (not event-stream) exchange
  after its body ended instead of while it passes: the request, the body bytes and the headers
  wait as they came (never in a repr, never on disk) until :meth:`Recorder.flush`, which the
  proxy calls once its client has the answer, and which :attr:`Recorder.recorded` (so every
  save) calls first. The result is the same entry, redacted in the same order (request, then
  response); only the work moves off the request's path. Event streams are never deferred: their
  blocks are redacted as they arrive, after the request.

Times come from ``clock`` (a ``VirtualClock`` makes a recording deterministic), else real time.

This module holds the recorder and the transports; what is kept of a request or body is worked
out in :mod:`._capture`, and responses are watched by the streams of :mod:`._tee`.
"""

from __future__ import annotations

import json
import os
import pathlib
import threading
from collections.abc import Callable
from dataclasses import replace

import httpx

from nemokit._clock import Clock, SystemClock

from ._capture import KEEP_BINARY_BYTES, BodySink, capture_body, capture_request
from ._capture import REQUEST_HEADERS as REQUEST_HEADERS
from ._capture import RESPONSE_HEADERS as RESPONSE_HEADERS
from ._cassette import (
    Cassette,
    CassetteError,
    Interaction,
    RecordedRequest,
    RecordedResponse,
    save_cassette,
)
from ._redact import Redactor
from ._tee import (
    BlockSplitter,
    _is_event_stream,
    _ResponseCapture,
    _round,
    _TeeRequestStream,
    _TeeStream,
)

__all__ = [
    "KEEP_BINARY_BYTES",
    "AsyncRecordingTransport",
    "BlockSplitter",
    "BodySink",
    "Recorder",
    "RecordingTransport",
    "capture_body",
    "capture_request",
]

# --- the recorder ---------------------------------------------------------------------------------


class Recorder:
    """The interactions being recorded for one cassette, in request order; thread-safe.

    ``base`` is a cassette whose interactions come first (``new_episodes`` appends to it) and
    whose metadata the result keeps.
    """

    def __init__(
        self,
        base: Cassette | None = None,
        *,
        path: str | os.PathLike[str] | None = None,
        clock: Clock | None = None,
        redactor: Redactor | None = None,
    ) -> None:
        self.base = base if base is not None else Cassette(recorded_with=_version())
        self.path = pathlib.Path(path) if path is not None else None
        self.clock: Clock = clock if clock is not None else SystemClock()
        if redactor is None:
            # Continue the base cassette's numbering: a new secret must not reuse <TOKEN_1>.
            redactor = Redactor()
            if self.base.interactions:
                redactor.continue_after(json.dumps(self.base.to_json()))
        self.redactor = redactor
        self._origin = self.clock.now()
        self._slots: list[Interaction | None] = []
        self._lock = threading.Lock()
        #: Work plain exchanges out only at :meth:`flush` (see the module's notes).
        self.deferred = False
        self._pending: dict[int, Callable[[], None]] = {}

    def __repr__(self) -> str:
        return f"Recorder({len(self._slots)} exchanges, {len(self._pending)} to finish)"

    def now(self) -> float:
        return self.clock.now()

    def reserve(self) -> int:
        """A place for the next request's interaction, in the order requests are sent."""
        with self._lock:
            self._slots.append(None)
            return len(self._slots) - 1

    def fill_request(self, slot: int, request: RecordedRequest, at: float) -> None:
        placeholder = RecordedResponse(status=0)
        with self._lock:
            self._slots[slot] = Interaction(request, placeholder, at=_round(at - self._origin))

    def complete(self, slot: int, response: RecordedResponse) -> None:
        with self._lock:
            started = self._slots[slot]
            if started is not None:
                self._slots[slot] = replace(started, response=response)

    def drop(self, slot: int) -> None:
        """Forget a request that got no response at all (the transport failed before one)."""
        with self._lock:
            self._slots[slot] = None

    def defer(self, slot: int, finish: Callable[[], None]) -> None:
        """Keep ``finish`` (which fills ``slot``) for :meth:`flush`."""
        with self._lock:
            self._pending[slot] = finish

    def flush(self) -> None:
        """Finish every exchange whose recording waited, in the order their bodies ended."""
        while True:
            with self._lock:
                if not self._pending:
                    return
                finish = self._pending.pop(next(iter(self._pending)))
            finish()

    @property
    def recorded(self) -> tuple[Interaction, ...]:
        """The interactions recorded so far, complete ones only (deferred ones finished first)."""
        self.flush()
        with self._lock:
            return tuple(i for i in self._slots if i is not None and i.response.status)

    @property
    def cassette(self) -> Cassette:
        """The base cassette with the recorded interactions appended."""
        return replace(self.base, interactions=self.base.interactions + self.recorded)

    def save(self, path: str | os.PathLike[str] | None = None) -> pathlib.Path:
        """Write the cassette atomically to ``path`` (or the recorder's own)."""
        target = path if path is not None else self.path
        if target is None:
            raise CassetteError("no path to save the cassette to", file="<memory>")
        return save_cassette(self.cassette, target)

    # --- one exchange ---------------------------------------------------------------------------

    def start(self, request: httpx.Request) -> tuple[int, BodySink, _TeeRequestStream | None]:
        """Reserve a slot and arrange to see the request body (in memory, or as it streams)."""
        slot, sink = self.reserve(), BodySink()
        try:
            sink.feed(request.content)
            return slot, sink, None
        except httpx.RequestNotRead:
            tee = _TeeRequestStream(request.stream, sink)
            request.stream = tee
            return slot, sink, tee

    def capture(
        self, slot: int, request: httpx.Request, sink: BodySink, response: httpx.Response, at: float
    ) -> _ResponseCapture:
        """Record the request; the capture that ``response``'s body is to be shown to, chunk
        by chunk, then finished (what :meth:`respond` wraps around the body; a proxy that
        writes the chunks itself feeds it directly)."""
        if self.deferred and not _is_event_stream(response):
            return _ResponseCapture(self, slot, response, request=(request, sink, at))
        self.fill_request(slot, capture_request(request, sink, self.redactor), at)
        return _ResponseCapture(self, slot, response)

    def respond(
        self, slot: int, request: httpx.Request, sink: BodySink, response: httpx.Response, at: float
    ) -> httpx.Response:
        """Record the request and give back ``response`` with its body watched as it streams."""
        capture = self.capture(slot, request, sink, response, at)
        return httpx.Response(
            status_code=response.status_code,
            headers=response.headers,
            stream=_TeeStream(response.stream, capture),
            extensions=response.extensions,
            request=request,
        )


def _version() -> str:
    from nemokit import __version__

    return __version__


def _as_recorder(
    cassette: Cassette | Recorder | str | os.PathLike[str],
    clock: Clock | None,
    redactor: Redactor | None,
) -> Recorder:
    if isinstance(cassette, Recorder):
        return cassette
    if isinstance(cassette, Cassette):
        return Recorder(cassette, clock=clock, redactor=redactor)
    return Recorder(path=cassette, clock=clock, redactor=redactor)


class RecordingTransport(httpx.BaseTransport):
    """Wraps any sync transport and records every exchange that passes through.

    ``cassette`` is a path (a new recording, saved there by :meth:`save`), a :class:`Cassette`
    (recorded interactions are appended to it) or a shared :class:`Recorder`.
    """

    def __init__(
        self,
        inner: httpx.BaseTransport,
        cassette: Cassette | Recorder | str | os.PathLike[str],
        *,
        clock: Clock | None = None,
        redactor: Redactor | None = None,
    ) -> None:
        self.inner = inner
        self.recorder = _as_recorder(cassette, clock, redactor)

    @property
    def cassette(self) -> Cassette:
        return self.recorder.cassette

    def save(self, path: str | os.PathLike[str] | None = None) -> pathlib.Path:
        return self.recorder.save(path)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        recorder = self.recorder
        at = recorder.now()
        slot, sink, tee = recorder.start(request)
        try:
            response = self.inner.handle_request(request)
        except BaseException:
            recorder.drop(slot)
            raise
        if tee is not None and not tee.exhausted:
            for _ in tee:  # the server stopped reading early; the record needs the whole body
                pass
        return recorder.respond(slot, request, sink, response, at)

    def close(self) -> None:
        self.inner.close()


class AsyncRecordingTransport(httpx.AsyncBaseTransport):
    """Wraps any async transport and records every exchange (see :class:`RecordingTransport`)."""

    def __init__(
        self,
        inner: httpx.AsyncBaseTransport,
        cassette: Cassette | Recorder | str | os.PathLike[str],
        *,
        clock: Clock | None = None,
        redactor: Redactor | None = None,
    ) -> None:
        self.inner = inner
        self.recorder = _as_recorder(cassette, clock, redactor)

    @property
    def cassette(self) -> Cassette:
        return self.recorder.cassette

    def save(self, path: str | os.PathLike[str] | None = None) -> pathlib.Path:
        return self.recorder.save(path)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        recorder = self.recorder
        at = recorder.now()
        slot, sink, tee = recorder.start(request)
        try:
            response = await self.inner.handle_async_request(request)
        except BaseException:
            recorder.drop(slot)
            raise
        if tee is not None and not tee.exhausted:
            async for _ in tee:
                pass
        return recorder.respond(slot, request, sink, response, at)

    async def aclose(self) -> None:
        await self.inner.aclose()
