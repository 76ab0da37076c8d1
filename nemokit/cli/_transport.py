"""A transport around the real one that sees what the CLI needs: connection failures (for exit
code 3) and the bytes of an upload as httpx reads them (for the progress bar).

The client's upload flow takes no progress callback, so the count is taken here, at the one
seam the client already has: the request body is wrapped in a stream that counts what the inner
transport pulls from it. Nothing is read ahead or held in memory.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

import httpx

__all__ = ["ObservedTransport", "ProgressCallback"]

#: ``(bytes sent so far, total bytes)`` for one request body.
ProgressCallback = Callable[[int, int], None]


class _CountingStream(httpx.SyncByteStream):
    """A request body that reports each chunk as the transport takes it."""

    def __init__(self, inner: Iterable[bytes], total: int, on_progress: ProgressCallback) -> None:
        self._inner = inner
        self._total = total
        self._on_progress = on_progress

    def __iter__(self) -> Iterator[bytes]:
        sent = 0
        for chunk in self._inner:
            sent += len(chunk)
            self._on_progress(sent, self._total)
            yield chunk

    def close(self) -> None:
        close = getattr(self._inner, "close", None)
        if callable(close):
            close()


class ObservedTransport(httpx.BaseTransport):
    """``inner`` (the network by default), noting connection failures and upload progress.

    :param on_upload: called as a multipart body (an upload) is sent.
    """

    def __init__(
        self,
        inner: httpx.BaseTransport | None = None,
        on_upload: ProgressCallback | None = None,
    ) -> None:
        self.inner = inner if inner is not None else httpx.HTTPTransport()
        self.on_upload = on_upload
        #: A request could not be sent or answered at the transport level.
        self.unreachable = False

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self.on_upload is not None and _is_upload(request):
            request = _counted(request, self.on_upload)
        try:
            return self.inner.handle_request(request)
        except httpx.TransportError:
            self.unreachable = True
            raise

    def close(self) -> None:
        self.inner.close()


def _is_upload(request: httpx.Request) -> bool:
    content_type = request.headers.get("Content-Type", "")
    return request.method == "POST" and content_type.startswith("multipart/form-data")


def _counted(request: httpx.Request, on_progress: ProgressCallback) -> httpx.Request:
    length = request.headers.get("Content-Length", "")
    total = int(length) if length.isdigit() else 0
    stream = _CountingStream(request.stream, total, on_progress)  # type: ignore[arg-type]
    return httpx.Request(
        request.method,
        request.url,
        headers=request.headers,
        stream=stream,
        extensions=request.extensions,
    )
