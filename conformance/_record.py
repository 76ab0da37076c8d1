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
- Secrets go through one :class:`~conformance._redact.Redactor` before they are kept anywhere,
  even in memory: nothing the recorder holds can leak a token.

Times come from ``clock`` (a ``VirtualClock`` makes a recording deterministic), else real time.
"""

from __future__ import annotations

import hashlib
import json
import os
import pathlib
import re
import threading
import zlib
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from typing import Any

import httpx

from nemokit._clock import Clock, SystemClock

from ._cassette import (
    BinaryBody,
    Body,
    Cassette,
    CassetteError,
    Interaction,
    JsonBody,
    MultipartBody,
    MultipartPart,
    RecordedRequest,
    RecordedResponse,
    StreamEvent,
    TextBody,
    save_cassette,
)
from ._redact import Redactor

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

#: Binary bodies larger than this are stored as size and SHA-256 only.
KEEP_BINARY_BYTES = 64 * 1024
#: Bodies are held in memory up to this size to be summarised; beyond it only size and hash.
_BUFFER_LIMIT = 16 * 1024 * 1024
#: Request and response headers worth keeping (the rest is transport detail or noise).
REQUEST_HEADERS = ("accept", "authorization", "content-type", "x-client-id",
                   "x-skill-platform", "x-skill-source", "x-skill-version")  # fmt: skip
RESPONSE_HEADERS = ("content-disposition", "content-type", "location", "retry-after")
_TEXTUAL = re.compile(r"^(text/|application/(json|[\w.+-]*\+json|x-www-form-urlencoded|xml))")
_BOUNDARY = re.compile(r'boundary="?([^";]+)"?', re.IGNORECASE)


# --- bodies ---------------------------------------------------------------------------------------


class BodySink:
    """Bytes fed in pieces: counted and hashed as they come, kept up to a limit."""

    def __init__(self, limit: int = _BUFFER_LIMIT) -> None:
        self.size = 0
        self._hash = hashlib.sha256()
        self._parts: list[bytes] = []
        self._limit = limit

    def feed(self, chunk: bytes) -> None:
        self.size += len(chunk)
        self._hash.update(chunk)
        if self.size <= self._limit:
            self._parts.append(chunk)

    @property
    def complete(self) -> bool:
        """All bytes are held (the body was not over the limit)."""
        return self.size <= self._limit

    def data(self) -> bytes:
        return b"".join(self._parts)

    def sha256(self) -> str:
        return self._hash.hexdigest()


def capture_body(
    sink: BodySink, content_type: str | None, redactor: Redactor, *, keep: int = KEEP_BINARY_BYTES
) -> Body:
    """What a cassette keeps of a body: JSON value, text, multipart summary or binary summary."""
    if sink.size == 0:
        return None
    if not sink.complete:
        return BinaryBody(size=sink.size, sha256=sink.sha256())
    data, kind = sink.data(), (content_type or "").lower()
    boundary = _BOUNDARY.search(kind) if kind.startswith("multipart/") else None
    if boundary is not None:
        parts = _multipart_parts(data, boundary.group(1).encode("latin-1"), redactor)
        if parts is not None:
            return MultipartBody(parts)
    if not kind or _TEXTUAL.match(kind):
        textual = _textual_body(data, redactor)
        if textual is not None:
            return textual
    kept = data if len(data) <= keep else None
    return BinaryBody(size=sink.size, sha256=sink.sha256(), data=kept)


def _textual_body(data: bytes, redactor: Redactor) -> Body:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    try:
        return JsonBody(redactor.json(json.loads(text)))
    except ValueError:
        return TextBody(redactor.text(text))


def _multipart_parts(
    data: bytes, boundary: bytes, redactor: Redactor
) -> tuple[MultipartPart, ...] | None:
    """The parts of a multipart body, or ``None`` if it does not parse."""
    chunks = data.split(b"--" + boundary)
    if len(chunks) < 3:
        return None
    parts = []
    for chunk in chunks[1:-1]:
        head, sep, content = chunk.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        if not sep:
            return None
        parts.append(
            _part(head.decode("utf-8", "replace"), content.removesuffix(b"\r\n"), redactor)
        )
    return tuple(parts)


def _part(head: str, content: bytes, redactor: Redactor) -> MultipartPart:
    disposition = re.search(r"(?im)^content-disposition:(.*)$", head)
    ctype = re.search(r"(?im)^content-type:\s*(.*?)\s*$", head)
    params = disposition.group(1) if disposition else ""
    name = re.search(r'\bname="([^"]*)"', params)
    filename = re.search(r'\bfilename="([^"]*)"', params)
    return MultipartPart(
        name=redactor.text(name.group(1)) if name else "",
        filename=redactor.text(filename.group(1)) if filename else None,
        content_type=ctype.group(1) if ctype else None,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
    )


def capture_request(request: httpx.Request, sink: BodySink, redactor: Redactor) -> RecordedRequest:
    """A request as a cassette keeps it (``sink`` holds its body)."""
    query: dict[str, list[str]] = {}
    for key, value in request.url.params.multi_items():
        query.setdefault(redactor.text(key), []).append(redactor.text(value))
    headers = {k: v for k, v in request.headers.items() if k in REQUEST_HEADERS}
    if headers.get("content-type", "").startswith("multipart/"):
        # The boundary is random: keep the kind only, so re-recording gives the same bytes.
        headers["content-type"] = headers["content-type"].split(";")[0]
    return RecordedRequest(
        method=request.method.upper(),
        path=redactor.text(request.url.path),
        query=query,
        headers=redactor.headers(headers),
        body=capture_body(sink, request.headers.get("content-type"), redactor),
    )


# --- streams --------------------------------------------------------------------------------------


class BlockSplitter:
    """Cuts an event stream into raw blocks, each ending with a blank line (CRLF, CR or LF)."""

    _LINE_END = re.compile(rb"\r\n|\r|\n")

    def __init__(self) -> None:
        self._buffer = b""

    def feed(self, chunk: bytes) -> list[bytes]:
        self._buffer += chunk
        blocks = []
        while (end := self._block_end()) is not None:
            blocks.append(self._buffer[:end])
            self._buffer = self._buffer[end:]
        return blocks

    def flush(self) -> bytes:
        """Whatever is left at the end of the stream (an unfinished block, kept as is)."""
        rest, self._buffer = self._buffer, b""
        return rest

    def _block_end(self) -> int | None:
        previous_end = 0
        for match in self._LINE_END.finditer(self._buffer):
            if match.group() == b"\r" and match.end() == len(self._buffer):
                return None  # maybe the first half of a CRLF: wait for the next chunk
            if match.start() == previous_end:
                return match.end()
            previous_end = match.end()
        return None


class _ResponseCapture:
    """Watches one response body go by and hands the finished record to the recorder."""

    def __init__(self, recorder: Recorder, slot: int, response: httpx.Response) -> None:
        self._recorder, self._slot = recorder, slot
        self._headers = {k: v for k, v in response.headers.items() if k in RESPONSE_HEADERS}
        self._status = response.status_code
        self._start = recorder.now()
        self._is_stream = "text/event-stream" in response.headers.get("content-type", "")
        self._inflate = _inflater(response.headers.get("content-encoding", ""))
        if self._inflate is None and "content-encoding" in response.headers:
            self._headers["content-encoding"] = response.headers["content-encoding"]
        self._splitter = BlockSplitter()
        self._events: list[StreamEvent] = []
        self._sink = BodySink()
        self._done = False

    def feed(self, chunk: bytes) -> None:
        data = self._inflate.decompress(chunk) if self._inflate is not None else chunk
        if not self._is_stream:
            self._sink.feed(data)
            return
        for block in self._splitter.feed(data):
            self._event(block)

    def finish(self, *, cut: bool = False, client_closed: bool = False) -> None:
        if self._done:
            return
        self._done = True
        if self._is_stream and (rest := self._splitter.flush()):
            self._event(rest)
        redactor = self._recorder.redactor
        body = None if self._is_stream else capture_body(
            self._sink, self._headers.get("content-type"), redactor
        )  # fmt: skip
        response = RecordedResponse(
            status=self._status,
            headers=redactor.headers(self._headers),
            body=body,
            events=tuple(self._events) if self._is_stream else None,
            cut=cut,
            client_closed=client_closed and not cut,
        )
        self._recorder.complete(self._slot, response)

    def _event(self, block: bytes) -> None:
        raw = self._recorder.redactor.text(block.decode("utf-8", "replace"))
        self._events.append(StreamEvent(t=_round(self._recorder.now() - self._start), raw=raw))


def _inflater(encoding: str) -> Any:
    """A decompressor for gzip/deflate bodies (recorded decoded), ``None`` for anything else."""
    if encoding.strip().lower() in ("gzip", "x-gzip", "deflate"):
        return zlib.decompressobj(wbits=47)  # 47: zlib or gzip header, detected
    return None


def _round(seconds: float) -> float:
    # Microseconds are plenty, and rounding keeps float noise out of the cassette's bytes.
    return round(seconds, 6)


class _TeeStream(httpx.SyncByteStream, httpx.AsyncByteStream):
    """The response body as it came, chunk by chunk, shown to a capture on the way."""

    def __init__(self, inner: Any, capture: _ResponseCapture) -> None:
        self._inner, self._capture = inner, capture

    def __iter__(self) -> Iterator[bytes]:
        try:
            for chunk in self._inner:
                self._capture.feed(chunk)
                yield chunk
        except Exception:
            self._capture.finish(cut=True)
            raise
        self._capture.finish()

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._inner:
                self._capture.feed(chunk)
                yield chunk
        except Exception:
            self._capture.finish(cut=True)
            raise
        self._capture.finish()

    def close(self) -> None:
        self._capture.finish(client_closed=True)
        self._inner.close()

    async def aclose(self) -> None:
        self._capture.finish(client_closed=True)
        await self._inner.aclose()


class _TeeRequestStream(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A streaming request body, counted and hashed as the inner transport reads it.

    It keeps one iterator over the body, so iterating again after an early stop (a server that
    refused an upload without reading it) drains the rest instead of starting over.
    """

    def __init__(self, inner: Any, sink: BodySink) -> None:
        self._inner, self._sink, self.exhausted = inner, sink, False
        self._iter: Iterator[bytes] | None = None
        self._aiter: AsyncIterator[bytes] | None = None

    def __iter__(self) -> Iterator[bytes]:
        if self._iter is None:
            self._iter = iter(self._inner)
        for chunk in self._iter:
            self._sink.feed(chunk)
            yield chunk
        self.exhausted = True

    async def __aiter__(self) -> AsyncIterator[bytes]:
        if self._aiter is None:
            self._aiter = self._inner.__aiter__()
        async for chunk in self._aiter:
            self._sink.feed(chunk)
            yield chunk
        self.exhausted = True


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

    @property
    def recorded(self) -> tuple[Interaction, ...]:
        """The interactions recorded so far, complete ones only."""
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

    def respond(
        self, slot: int, request: httpx.Request, sink: BodySink, response: httpx.Response, at: float
    ) -> httpx.Response:
        """Record the request and give back ``response`` with its body watched as it streams."""
        self.fill_request(slot, capture_request(request, sink, self.redactor), at)
        capture = _ResponseCapture(self, slot, response)
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
