"""Watching a response go by: SSE blocks with their times, and the tee streams.

:class:`BlockSplitter` cuts an event stream into its raw blocks (CRLF, CR or LF, even split
across chunks). The tee streams hand the client every chunk untouched while a
``_ResponseCapture`` records it (decoded from gzip/deflate), and mark a stream that broke as cut
or one the client closed early; a request body is counted and hashed as the transport reads it.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Any

import httpx

from ._capture import RESPONSE_HEADERS, BodySink, capture_body, capture_request
from ._cassette import RecordedResponse, StreamEvent

if TYPE_CHECKING:
    from ._record import Recorder


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


def _is_event_stream(response: httpx.Response) -> bool:
    return "text/event-stream" in response.headers.get("content-type", "")


class _ResponseCapture:
    """Watches one response body go by and hands the finished record to the recorder.

    With ``request`` (the request, its body and when it was sent), the request is not recorded
    yet either: at the end, the exchange is handed to :meth:`Recorder.defer` whole, request
    first, so the placeholders are numbered as if it had been recorded at once.
    """

    def __init__(
        self,
        recorder: Recorder,
        slot: int,
        response: httpx.Response,
        *,
        request: tuple[httpx.Request, BodySink, float] | None = None,
    ) -> None:
        self._recorder, self._slot, self._request = recorder, slot, request
        self._headers = {k: v for k, v in response.headers.items() if k in RESPONSE_HEADERS}
        self._status = response.status_code
        self._start = recorder.now()
        self._is_stream = _is_event_stream(response)
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
        if self._request is not None:
            self._recorder.defer(self._slot, lambda: self._complete(cut, client_closed))
            return
        self._complete(cut, client_closed)

    def _complete(self, cut: bool, client_closed: bool) -> None:
        if self._request is not None:
            request, sink, at = self._request
            self._request = None  # the raw request (its token too) is held no longer than this
            capture = capture_request(request, sink, self._recorder.redactor)
            self._recorder.fill_request(self._slot, capture, at)
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
