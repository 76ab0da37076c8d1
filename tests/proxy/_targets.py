"""Small misbehaving HTTP targets on loopback, for the proxy's fault tests.

One raw asyncio server in a thread answers by path, byte for byte, so it can break HTTP in ways
no framework allows: ``/ok`` (a JSON answer), ``/garbage`` (not HTTP at all), ``/bad-header``
(a header value with control bytes), ``/cut`` (an SSE stream whose server dies after two events),
``/short`` (a body that ends before its declared length), ``/big`` (a 100 MB body), ``/token``
(an answer carrying a token), ``/flaky`` (every other request is dropped without an answer;
``FLAKY_SEEN`` counts them by method), ``/echo`` (the request's head, byte for byte, as the body),
``/gzip`` (a gzip-encoded JSON answer, :data:`GZIPPED`), ``/cookie`` (sets a cookie),
``/redirect`` (a 302 to ``/ok``), ``/hop`` (an answer with hop-by-hop headers), ``/held`` (an
SSE stream whose second event waits until :data:`RELEASE` is set: proof that the first one
reached the client while the stream was still open; :data:`HELD_DONE` is set once it ended),
``/flood`` (an SSE stream of :data:`FLOOD_EVENTS` events of :data:`FLOOD_EVENT` bytes, written as
fast as the connection takes them; :data:`FLOOD_SENT` counts the bytes written).
"""

from __future__ import annotations

import asyncio
import gzip
import pathlib
import socket
import threading

from conformance.drivers._served import ServedApp
from conformance.proxy import ProxyApp
from conformance.proxy._lane import LaneProtocol

TOKEN = "nmv_usr_FaultTargetSecret123"
BIG = 100 * 1024 * 1024
_CHUNK = b"\0" * (1024 * 1024)
FLAKY_SEEN: dict[str, int] = {}
RELEASE = threading.Event()
#: Set when a ``/held`` answer's handler has finished (its connection closed).
HELD_DONE = threading.Event()
#: ``/flood``: events of 64 KB, 32 MB in all (more than the sockets between can hold).
FLOOD_EVENT, FLOOD_EVENTS = 64 * 1024, 512
FLOOD_SENT = [0]
GZIPPED = gzip.compress(b'{"code": 0, "message": "success", "data": {"zipped": true}}', mtime=0)


async def _stream(writer: asyncio.StreamWriter, events: tuple[bytes, ...], *,
                  held: bool = False, sent: list[int] | None = None) -> None:  # fmt: skip
    """An event stream's head and ``events`` as chunks (no last chunk: the caller ends it or
    not); ``held``: each event waits for :data:`RELEASE` (at most 10 s) before the next;
    ``sent``: its one number counts the events' bytes the connection took."""
    writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
                 b"transfer-encoding: chunked\r\n\r\n")  # fmt: skip
    for event in events:
        writer.write(b"%x\r\n%s\r\n" % (len(event), event))
        await writer.drain()
        if sent is not None:
            sent[0] += len(event)
        if held:
            await asyncio.get_running_loop().run_in_executor(None, RELEASE.wait, 10)


def _json(body: bytes, extra: bytes = b"") -> bytes:
    head = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
    return head + extra + b"content-length: %d\r\n\r\n" % len(body) + body


async def _answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    path = b""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
        path = head.split(b" ", 2)[1].split(b"?")[0]
        if path == b"/held":
            HELD_DONE.clear()
        if path == b"/flaky":
            method = head.split(b" ", 1)[0].decode()
            FLAKY_SEEN[method] = FLAKY_SEEN.get(method, 0) + 1
            if sum(FLAKY_SEEN.values()) % 2 == 1:
                return  # closed with nothing sent back, as a server closing an idle connection
            writer.write(_json(b'{"code": 0, "message": "success", "data": {"flaky": true}}'))
        elif path == b"/garbage":
            writer.write(b"this is not HTTP at all\r\n\r\n")
        elif path == b"/bad-header":
            writer.write(b"HTTP/1.1 200 OK\r\nx-bad: a\x00\x01b\r\ncontent-length: 2\r\n\r\n{}")
        elif path == b"/flood":
            FLOOD_SENT[0] = 0
            event = b"data: " + b"x" * (FLOOD_EVENT - 8) + b"\n\n"
            await _stream(writer, (event,) * FLOOD_EVENTS, sent=FLOOD_SENT)
            writer.write(b"0\r\n\r\n")
        elif path == b"/cut":
            await _stream(writer, (b'data: {"type": "text", "content": "one"}\n\n', b": ping\n\n"))
        elif path == b"/echo":
            writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n"
                         b"content-length: %d\r\n\r\n%s" % (len(head), head))  # fmt: skip
        elif path == b"/gzip":
            writer.write(_json(GZIPPED, b"content-encoding: gzip\r\n"))
        elif path == b"/cookie":
            writer.write(_json(b'{"code": 0, "message": "success", "data": {}}',
                               b"set-cookie: sid=secret-of-one-user; Path=/\r\n"))  # fmt: skip
        elif path == b"/redirect":
            writer.write(b"HTTP/1.1 302 Found\r\nlocation: /ok\r\ncontent-length: 0\r\n\r\n")
        elif path == b"/short":
            writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                         b"content-length: 100\r\n\r\n{\"code\": 0")  # fmt: skip
        elif path == b"/big":
            writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: video/mp4\r\n"
                         b"content-length: %d\r\n\r\n" % BIG)  # fmt: skip
            for _ in range(BIG // len(_CHUNK)):
                writer.write(_CHUNK)
                await writer.drain()
        elif path == b"/hop":
            writer.write(_json(b'{"code": 0, "message": "success", "data": {}}',
                               b"connection: x-hop\r\nx-hop: 1\r\nkeep-alive: timeout=5\r\n"
                               b"proxy-authenticate: Basic\r\nx-end: kept\r\n"))  # fmt: skip
        elif path == b"/held":
            await _stream(writer, (b"data: one\n\n", b"data: two\n\n"), held=True)
            writer.write(b"0\r\n\r\n")
        elif path == b"/token":
            body = b'{"code": 0, "message": "ok", "data": {"token": "%s"}}' % TOKEN.encode()
            writer.write(_json(body))
        else:
            writer.write(_json(b'{"code": 0, "message": "success", "data": {"ok": true}}'))
        await writer.drain()
    except (ConnectionError, asyncio.IncompleteReadError):
        pass
    finally:
        writer.close()  # every answer ends the connection (the /cut one mid-stream)
        if path == b"/held":
            HELD_DONE.set()


class FaultTarget:
    """The raw server on a free loopback port; ``url`` is its base URL."""

    def __init__(self) -> None:
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}"
        self._loop = asyncio.new_event_loop()
        started = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(self._loop)
            server = self._loop.run_until_complete(asyncio.start_server(_answer, sock=self._sock))
            self._server = server
            started.set()
            self._loop.run_forever()
            server.close()
            self._loop.run_until_complete(server.wait_closed())
            self._loop.close()

        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()
        started.wait(10)

    def close(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)


def closed_port_url() -> str:
    """A loopback URL where nothing listens (a target that is down)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def recording_proxy(url: str, path: pathlib.Path, **options: object) -> tuple[ProxyApp, ServedApp]:
    """The proxy in front of ``url``, recording everything (mode ``all``) into ``path``, served
    on loopback as ``nemokit proxy`` serves it (uvicorn with the fast lane)."""
    app = ProxyApp(url, cassette=path, mode="all", **options)  # type: ignore[arg-type]
    return app, ServedApp(app, lifespan="on", http=LaneProtocol)
