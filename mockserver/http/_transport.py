"""In-process httpx transports that *stream*, unlike ``httpx.ASGITransport``.

``httpx.ASGITransport`` runs the app to completion and returns the whole body at once (httpx
issue #2186), so an SSE stream arrives only when it has ended and a client can never disconnect
from it. These transports run the app as a task beside the client instead:

- The response is returned as soon as the app sends ``http.response.start``; body chunks are
  yielded as the app sends them. ``send`` of a body chunk returns only once the client has taken
  the chunk (a rendezvous, like a socket with no buffer), so an app never runs ahead of its
  reader: with a shared virtual clock, the app's time moves only as fast as the client reads.
- The request body is handed to the app chunk by chunk as the client's stream yields it (an
  upload is never joined in memory here).
- Closing the response before its end (a client disconnect) makes ``receive()`` return
  ``http.disconnect`` and drops later sends; the app gets ``grace`` real seconds to finish (a
  Starlette ``StreamingResponse`` listens for the disconnect and closes its generator at once),
  after which its task is cancelled.
- An exception in the app after the response started surfaces as ``httpx.RemoteProtocolError``
  when reading, as a connection cut mid-body would; so does an app that returns without finishing
  its body. Before the response started, the exception is re-raised (as ``httpx.ASGITransport``
  does), or with ``raise_app_exceptions=False`` becomes an empty 500 response. An app that
  returns without any response gives ``httpx.RemoteProtocolError`` ("server disconnected").
- With a :class:`~nemokit.VirtualClock` (``clock=``, or the mock's own clock found on
  ``app.state.mock``), the sync transport makes the calling thread a party of the clock's
  virtual world: while it waits for the app, time may move on the app's event loop; from the
  moment it has an answer until it waits again (the next call, or ``clock.sleep``), time holds
  still. The client's ``clock.sleep`` and the mock's streams thus share one scheduler.

:class:`AsyncStreamingTransport` runs on the caller's asyncio event loop (trio is not
supported). :class:`StreamingTransport` is the sync version: it runs the app on an event loop in
a background thread (an anyio blocking portal, as Starlette's ``TestClient`` does) and
:meth:`~StreamingTransport.close` stops that thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import threading
import weakref
from collections.abc import AsyncIterator, Awaitable, Iterable, Iterator
from contextlib import AbstractContextManager
from typing import Any, TypeVar

import httpx
from anyio.from_thread import BlockingPortal, start_blocking_portal

from nemokit._clock import Clock, VirtualClock

__all__ = ["AsyncStreamingTransport", "StreamingTransport"]

Message = dict[str, Any]
_T = TypeVar("_T")
_CUT = "peer closed connection without sending complete message body"


class _End:
    """The app task finished, with ``error`` if it raised."""

    def __init__(self, error: BaseException | None) -> None:
        self.error = error


class _Exchange:
    """One request/response between a client and an app task."""

    def __init__(self, app: Any, scope: Message, body: AsyncIterator[bytes], grace: float) -> None:
        self.app, self.scope, self.body, self.grace = app, scope, body, grace
        self.queue: asyncio.Queue[Message | _End] = asyncio.Queue()
        self.disconnected = asyncio.Event()
        self.request_done = False
        self.complete = False  # the app sent its last body chunk and the client took it
        self.closed = False  # the client disconnected (or the exchange is over)
        self.body_error: Exception | None = None
        self.task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self.task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        error: BaseException | None = None
        try:
            await self.app(self.scope, self._receive, self._send)
        except Exception as exc:
            error = exc
        finally:
            self.queue.put_nowait(_End(error))

    async def _receive(self) -> Message:
        while not self.request_done and not self.closed:
            try:
                chunk = await self.body.__anext__()
            except StopAsyncIteration:
                self.request_done = True
                return {"type": "http.request", "body": b"", "more_body": False}
            except Exception as exc:  # the client's body failed: the connection is gone
                self.request_done, self.body_error = True, exc
                self.disconnected.set()
                break
            if chunk:
                return {"type": "http.request", "body": bytes(chunk), "more_body": True}
        await self.disconnected.wait()
        return {"type": "http.disconnect"}

    async def _send(self, message: Message) -> None:
        if self.closed:
            return  # the client has gone; like a server for ASGI < 2.4, drop it silently
        self.queue.put_nowait(dict(message))
        await self.queue.join()  # returns once the client has taken it (or has gone)

    async def next_message(self) -> Message | _End:
        item = await self.queue.get()
        self.queue.task_done()
        return item

    async def aclose(self) -> None:
        """The client is done: unless the body was complete that is a disconnect, so tell the
        app and unblock it; then let it finish, or cancel it after ``grace`` seconds."""
        if not self.closed:
            self.closed = True
            self.disconnected.set()
            while not self.queue.empty():
                self.queue.get_nowait()
                self.queue.task_done()
        if self.task is None or self.task.done():
            return
        done, _ = await asyncio.wait({self.task}, timeout=self.grace)
        if not done:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)


class _AsyncBody(httpx.AsyncByteStream):
    def __init__(self, exchange: _Exchange, head: bool) -> None:
        self.exchange, self.head = exchange, head

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while True:
            item = await self.exchange.next_message()
            if isinstance(item, _End):
                await self.exchange.aclose()
                raise httpx.RemoteProtocolError(_CUT) from item.error
            if item.get("type") != "http.response.body":
                continue
            body = item.get("body", b"")
            if body and not self.head:
                yield bytes(body)
            if not item.get("more_body", False):
                self.exchange.complete = True
                await self.exchange.aclose()  # the exchange is over (ASGITransport says so too)
                return

    async def aclose(self) -> None:
        await self.exchange.aclose()


class AsyncStreamingTransport(httpx.AsyncBaseTransport):
    """Send requests to an ASGI app in the same event loop, streaming both ways."""

    def __init__(
        self,
        app: Any,
        *,
        client: tuple[str, int] = ("127.0.0.1", 123),
        root_path: str = "",
        raise_app_exceptions: bool = True,
        grace: float = 1.0,
    ) -> None:
        self.app, self.client, self.root_path = app, client, root_path
        self.raise_app_exceptions, self.grace = raise_app_exceptions, grace
        self._open: weakref.WeakSet[_Exchange] = weakref.WeakSet()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        stream = request.stream
        if not isinstance(stream, httpx.AsyncByteStream):
            raise TypeError("AsyncStreamingTransport needs an httpx.AsyncClient request")
        return await self.open(request, stream.__aiter__())

    async def open(self, request: httpx.Request, body: AsyncIterator[bytes]) -> httpx.Response:
        """Start the app on ``request`` with ``body``; return once the response has started."""
        exchange = _Exchange(self.app, self._scope(request), body, self.grace)
        self._open.add(exchange)
        exchange.start()
        try:
            first = await exchange.next_message()
        except BaseException:
            await exchange.aclose()
            raise
        if exchange.body_error is not None:
            await exchange.aclose()
            raise exchange.body_error
        if isinstance(first, _End):
            return self._no_response(first)
        if first.get("type") != "http.response.start":
            await exchange.aclose()
            raise RuntimeError(f"the app sent {first.get('type')!r} before http.response.start")
        return httpx.Response(
            first["status"],
            headers=list(first.get("headers", [])),
            stream=_AsyncBody(exchange, head=request.method == "HEAD"),
            extensions={"http_version": b"HTTP/1.1"},
        )

    async def aclose(self) -> None:
        """Disconnect every response still open."""
        for exchange in list(self._open):
            await exchange.aclose()

    def _no_response(self, end: _End) -> httpx.Response:
        if end.error is not None and self.raise_app_exceptions:
            raise end.error
        if end.error is not None:
            return httpx.Response(500, headers=[("content-length", "0")])
        raise httpx.RemoteProtocolError("Server disconnected without sending a response.")

    def _scope(self, request: httpx.Request) -> Message:
        url = request.url
        return {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": request.method,
            "headers": [(k.lower(), v) for k, v in request.headers.raw],
            "scheme": url.scheme,
            "path": url.path,
            "raw_path": url.raw_path.split(b"?")[0],
            "query_string": url.query,
            "server": (url.host, url.port),
            "client": self.client,
            "root_path": self.root_path,
        }


async def _from_sync(chunks: Iterable[bytes]) -> AsyncIterator[bytes]:
    for chunk in chunks:
        yield chunk


def _virtual_clock(app: Any, clock: Clock | None) -> VirtualClock | None:
    """The virtual clock the app runs on: ``clock``, or a mock's own (``app.state.mock``)."""
    if clock is None:
        mock = getattr(getattr(app, "state", None), "mock", None)
        clock = getattr(mock, "clock", None)
    return clock if isinstance(clock, VirtualClock) else None


def _call(portal: BlockingPortal, clock: VirtualClock | None, call: Awaitable[_T]) -> _T:
    """Run ``call`` on the portal's loop; with a virtual clock, the calling thread takes part
    in its world (it waits while the call runs and holds time while it works on the answer)."""
    try:
        if clock is None:
            return portal.call(_awaited, call)
        clock.hold()  # until the call has started on the loop: time must not move meanwhile
        return portal.call(clock.serve, threading.get_ident(), call)
    finally:
        if inspect.iscoroutine(call) and inspect.getcoroutinestate(call) == "CORO_CREATED":
            call.close()  # never started (the loop was closed): no "never awaited" warning


async def _awaited(call: Awaitable[_T]) -> _T:
    return await call


class _SyncBody(httpx.SyncByteStream):
    def __init__(
        self, portal: BlockingPortal, body: httpx.AsyncByteStream, clock: VirtualClock | None
    ) -> None:
        self.portal, self.body, self.clock = portal, body, clock
        self.chunks = body.__aiter__()

    def __iter__(self) -> Iterator[bytes]:
        while (chunk := _call(self.portal, self.clock, self._next())) is not None:
            yield chunk

    async def _next(self) -> bytes | None:
        try:
            return await self.chunks.__anext__()
        except StopAsyncIteration:
            return None

    def close(self) -> None:
        # RuntimeError: the transport (and its event loop) was closed first.
        with contextlib.suppress(RuntimeError):
            _call(self.portal, self.clock, self.body.aclose())


class StreamingTransport(httpx.BaseTransport):
    """The sync version: the app runs on an event loop in a background thread."""

    def __init__(
        self,
        app: Any,
        *,
        client: tuple[str, int] = ("127.0.0.1", 123),
        root_path: str = "",
        raise_app_exceptions: bool = True,
        grace: float = 1.0,
        clock: Clock | None = None,
    ) -> None:
        self._async = AsyncStreamingTransport(
            app,
            client=client,
            root_path=root_path,
            raise_app_exceptions=raise_app_exceptions,
            grace=grace,
        )
        self._clock = _virtual_clock(app, clock)
        self._lock = threading.Lock()
        self._portal_cm: AbstractContextManager[BlockingPortal] | None = None
        self._portal: BlockingPortal | None = None

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        stream = request.stream
        if not isinstance(stream, httpx.SyncByteStream):
            raise TypeError("StreamingTransport needs an httpx.Client request")
        portal = self._started()
        response = _call(portal, self._clock, self._async.open(request, _from_sync(stream)))
        body = response.stream
        assert isinstance(body, httpx.AsyncByteStream)
        return httpx.Response(
            response.status_code,
            headers=response.headers.raw,
            stream=_SyncBody(portal, body, self._clock),
            extensions=response.extensions,
        )

    def close(self) -> None:
        """Disconnect open responses and stop the event loop thread."""
        with self._lock:
            portal_cm, portal = self._portal_cm, self._portal
            self._portal_cm = self._portal = None
        if portal_cm is not None and portal is not None:
            _call(portal, self._clock, self._async.aclose())
            portal_cm.__exit__(None, None, None)

    def _started(self) -> BlockingPortal:
        with self._lock:
            if self._portal is None:
                self._portal_cm = start_blocking_portal("asyncio", name="nemokit-mock")
                self._portal = self._portal_cm.__enter__()
            return self._portal
