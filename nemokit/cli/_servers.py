"""The HTTP servers an ASGI app of the kit can run on: granian or uvicorn.

granian parses HTTP/1.1 in Rust and hands the ASGI app its requests on a Python event loop;
uvicorn parses in Python (httptools, a C extension, or h11, pure Python). On one process the
mock answers about twice the requests per second on granian as on uvicorn with uvloop and
httptools, and about five times those of the pure-Python stack (``python -m
bench.mock_throughput``).
``auto`` takes granian where the ``mock`` extra installed it (CPython on Linux and macOS), and
uvicorn elsewhere.

granian runs *embedded*: in this process, on this process's event loop, serving the very app
object the command built (one mock, one state), so nothing about the mock is passed through the
environment to a worker process. granian's own log calls its embedded server experimental; the
tests in ``tests/cli/test_cli_servers.py`` hold what the mock needs of it on both servers
(streaming, a client that leaves, faults that break connections, Ctrl-C with a stream open), and
``--server uvicorn`` is always there.

The servers are imported inside the functions: ``nemokit`` itself never depends on them.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import importlib.util
import inspect
import logging
import signal
import sys
from collections.abc import Callable
from typing import Any, Literal

from ._stack import describe_stack

__all__ = [
    "SERVERS", "ServerName", "pick_server", "raised", "run_granian", "run_uvicorn", "server_line",
    "tune_gc_for_serving",
]  # fmt: skip

ServerName = Literal["granian", "uvicorn"]
#: What ``--server`` takes.
SERVERS = ("auto", "granian", "uvicorn")
#: How long Ctrl-C waits for open responses (a turn's stream may last 15 minutes) before they are
#: closed: a mock is stopped on purpose, and its clients retry.
GRACE_SECONDS = 3.0
#: The collector's thresholds while serving (CPython's defaults: 700, 10, 10).
GC_THRESHOLDS = (50_000, 20, 100)
#: Requests granian answers at once (open streams included) before it holds new ones back.
MAX_IN_FLIGHT = 65_536


def _installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def pick_server(choice: str) -> ServerName:
    """The server ``choice`` (``auto``, ``granian`` or ``uvicorn``) stands for here.

    Raises ``ValueError`` with a sentence when the chosen one is not installed.
    """
    if choice == "auto":
        return "granian" if _installed("granian") and sys.platform != "win32" else "uvicorn"
    if choice not in ("granian", "uvicorn"):
        raise ValueError(f"unknown server {choice!r}: choose one of {', '.join(SERVERS)}")
    if not _installed(choice):
        raise ValueError(
            f"{choice} is not installed: pip install {choice}, or choose --server "
            f"{'uvicorn' if choice == 'granian' else 'granian'}"
        )
    return "granian" if choice == "granian" else "uvicorn"


def _loop_name() -> str:
    return "uvloop" if _installed("uvloop") and sys.platform != "win32" else "asyncio"


def server_line(name: ServerName, *, loop: str = "auto", http: str = "auto") -> str:
    """One line for a start-up banner, e.g. ``granian 2.8.9 (HTTP in Rust), uvloop`` or
    ``uvicorn 0.35.0, uvloop, httptools`` (``loop`` and ``http``: uvicorn's settings)."""
    if name == "granian":
        from importlib.metadata import version

        return f"granian {version('granian')} (HTTP in Rust), {_loop_name()}"
    import uvicorn

    async def described(scope: Any, receive: Any, send: Any) -> None:  # never served
        raise NotImplementedError

    # log_config=None: a Config made only to be described must not reset uvicorn's loggers
    config = uvicorn.Config(described, lifespan="off", loop=loop, http=http, log_config=None)
    return describe_stack(config, uvicorn.__version__)


def tune_gc_for_serving() -> None:
    """Make the collector's passes rarer in a process that serves many long-lived streams.

    A mock holding 10,000 open turns keeps millions of objects alive (each stream's coroutine,
    response and journal notes), and CPython's full collections walk all of them: one pass
    stalled every stream's heartbeat by about a second (``python -m bench.sse_load``, p99
    lateness 1.1 s; 4-50 ms with this). What exists at start-up is frozen out of the walks, and
    the first generation collects after 50,000 allocations instead of 700. Cycles are still
    collected, only later.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def run_uvicorn(
    app: Any, host: str, port: int, *, quiet: Callable[[logging.LogRecord], bool] | None = None,
    root_path: str | None = None, loop: str = "auto", http: str = "auto",
) -> None:  # fmt: skip
    """Serve ``app`` with uvicorn (``loop`` and ``http`` as uvicorn takes them; ``auto``: uvloop
    and httptools where installed) until Ctrl-C or SIGTERM."""
    import uvicorn

    tune_gc_for_serving()
    settings = uvicorn.Config(
        app, host=host, port=port, log_level="warning", lifespan="off", loop=loop, http=http,
        access_log=False, backlog=4096,
        timeout_graceful_shutdown=int(GRACE_SECONDS), root_path=root_path or "",
        # The mock decides whether X-Forwarded-For counts (--trust-forwarded), not uvicorn: by
        # default uvicorn takes it from loopback peers, so a local client could pick its address.
        proxy_headers=False,
    )  # fmt: skip
    # uvicorn sets its logging up in Config(); the filters go on after that.
    logger = logging.getLogger("uvicorn.error")
    logger.addFilter(_not_shutdown_noise)
    if quiet is not None:
        logger.addFilter(quiet)
    # uvicorn shuts down gracefully on Ctrl-C, then raises the signal again for the caller.
    with contextlib.suppress(KeyboardInterrupt):
        uvicorn.Server(settings).run()


def run_granian(
    app: Any, host: str, port: int, *, quiet: Callable[[logging.LogRecord], bool] | None = None,
    root_path: str | None = None,
) -> None:  # fmt: skip
    """Serve ``app`` with granian, embedded in this process, until Ctrl-C or SIGTERM."""
    from granian.constants import HTTPModes, Interfaces
    from granian.log import LogLevels
    from granian.server.embed import Server

    tune_gc_for_serving()
    responses = _OpenResponses(app)
    server = Server(
        app, address=host, port=port, interface=Interfaces.ASGINL, websockets=False,
        # HTTP/1.1 only, as uvicorn serves: telling HTTP/2 apart keeps a buffer per connection
        # (21 KB an idle keep-alive connection against 9 KB), 120 MB at 10,000 open streams.
        http=HTTPModes.http1,
        log_level=LogLevels.warning, backlog=2048, url_path_prefix=root_path,
        # Each open /run_sse stream is a request in flight; granian would hold every request
        # past this many (its default is the backlog, 2048) until one ends: 10,000 clients
        # watching their turns must all be answered.
        backpressure=MAX_IN_FLIGHT,
        log_dictconfig={"handlers": _GRANIAN_HANDLERS},
    )  # fmt: skip
    # granian configures its logging when the server is built. Its Rust part logs to child
    # loggers, whose records only the handlers see (a logger's filters apply to its own records).
    for handler in logging.getLogger("_granian").handlers:
        handler.addFilter(_not_shutdown_noise)
        if quiet is not None:
            handler.addFilter(quiet)

    async def serve() -> None:
        loop = asyncio.get_running_loop()

        def stop() -> None:
            server.stop()  # type: ignore[no-untyped-call]
            # granian waits for every open response before it stops, and a turn's stream may
            # last 15 minutes: past the grace time they are cancelled, as uvicorn's
            # timeout_graceful_shutdown does.
            loop.call_later(GRACE_SECONDS, responses.cancel)

        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop)
        await server.serve()

    if _loop_name() == "uvloop":
        import uvloop

        uvloop.run(serve())
    else:
        asyncio.run(serve())


#: granian's own handlers, on standard error like every other log line of the kit (its default
#: is standard output, where a program reading the banner would find them).
_GRANIAN_HANDLERS = {
    "console": {"formatter": "generic", "class": "logging.StreamHandler",
                "stream": "ext://sys.stderr"},
    "access": {"formatter": "access", "class": "logging.StreamHandler",
               "stream": "ext://sys.stderr"},
}  # fmt: skip


class _OpenResponses:
    """Finds, when a stop must end them, the tasks that are answering a request with ``app``.

    Nothing is done per request (a wrapper that kept each request's task cost the mock about 3%
    of its CPU per GET): at the stop, a task answers a request when the chain of coroutines it
    awaits reaches a call of ``app``.
    """

    #: How deep an await chain is followed (granian's watcher, then the app: two links).
    DEPTH = 8

    def __init__(self, app: Any) -> None:
        call = app if inspect.iscoroutinefunction(app) else type(app).__call__
        self._code = getattr(call, "__code__", None)

    def tasks(self) -> list[asyncio.Task[Any]]:
        """The tasks now inside a call of the app."""
        return [task for task in asyncio.all_tasks() if self._answering(task)]

    def _answering(self, task: asyncio.Task[Any]) -> bool:
        if self._code is None:  # an app whose calls cannot be told apart: none is found
            return False
        link: Any = task.get_coro()
        for _ in range(self.DEPTH):
            if link is None:
                return False
            if getattr(link, "cr_code", None) is self._code:
                return True
            link = getattr(link, "cr_await", None)
        return False

    def cancel(self) -> None:
        """Cancel them, and look again each second: a request that came in just before the
        stop had not reached the app yet."""
        for task in self.tasks():
            task.cancel()
        asyncio.get_running_loop().call_later(1.0, self.cancel)


def raised(record: logging.LogRecord) -> str | None:
    """The name of the exception a log record reports, if any: from its ``exc_info`` (uvicorn)
    or from the last line of the traceback in its text (granian's Rust part formats it there)."""
    if record.exc_info and record.exc_info[1] is not None:
        return type(record.exc_info[1]).__name__
    message = record.getMessage()
    if "Traceback (most recent call last)" not in message:
        return None
    last = message.rstrip().rpartition("\n")[2]
    name = last.partition(":")[0].strip().rpartition(".")[2]
    return name if name.isidentifier() else None


def _not_shutdown_noise(record: logging.LogRecord) -> bool:
    """Drop what a server logs as it stops on purpose: the responses it cancels (a stream still
    open at Ctrl-C) and granian's note on its embedded mode (the module's docstring says it)."""
    if raised(record) == "CancelledError":
        return False
    return "Embedded server is experimental" not in record.getMessage()
