"""The server stack uvicorn runs an app on: its event loop and its HTTP parser.

uvicorn's ``loop="auto"`` and ``http="auto"`` pick uvloop and httptools when they are installed
(the ``mock`` extra installs them where they build: CPython, and uvloop not on Windows), and fall
back to asyncio and h11, both pure Python, elsewhere. The difference is about 2× in requests/s
(``python -m bench.mock_throughput``), so ``nemokit mock`` says which one it got.

uvicorn is imported by the caller: this module only reads a ``uvicorn.Config``.
"""

from __future__ import annotations

from typing import Any

__all__ = ["describe_stack", "stack_parts"]

#: uvicorn's HTTP protocol classes, by the names people know the parsers by.
_PARSERS = {"HttpToolsProtocol": "httptools", "H11Protocol": "h11",
            "LaneProtocol": "httptools with the proxy's fast lane"}  # fmt: skip
_PURE_PYTHON = ("asyncio", "h11")


def stack_parts(config: Any) -> tuple[str, str]:
    """``(loop, parser)`` that ``config`` (a ``uvicorn.Config``) resolves to, e.g.
    ``("uvloop", "httptools")``; loads the config as ``uvicorn.Server`` would."""
    if not config.loaded:
        config.load()
    factory = config.get_loop_factory()
    # The factory is uvloop's new_event_loop or an asyncio loop class (None: asyncio's default).
    loop = (getattr(factory, "__module__", None) or "asyncio").partition(".")[0]
    protocol = config.http_protocol_class.__name__
    return loop, _PARSERS.get(protocol, protocol)


def describe_stack(config: Any, version: str) -> str:
    """One line for the start-up banner, e.g. ``uvicorn 0.35.0, uvloop, httptools``."""
    loop, parser = stack_parts(config)
    pure = " (pure Python)" if (loop, parser) == _PURE_PYTHON else ""
    return f"uvicorn {version}, {loop}, {parser}{pure}"
