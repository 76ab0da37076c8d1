"""Which server stack ``nemokit mock`` says it runs on: uvicorn's loop and HTTP parser."""

from __future__ import annotations

import pytest
import uvicorn
from starlette.types import Receive, Scope, Send

from nemokit.cli._stack import describe_stack, stack_parts


async def _app(scope: Scope, receive: Receive, send: Send) -> None:  # never called
    raise AssertionError("the stack is read without serving")


def _config(loop: str, http: str) -> uvicorn.Config:
    # log_config=None: a Config made only to be read must not set uvicorn's loggers to INFO
    # (a loopback server of another test would then log its shutdown after pytest closed
    # the streams it logs to)
    return uvicorn.Config(_app, lifespan="off", loop=loop, http=http, log_config=None)


def test_the_pure_python_stack_is_named_as_such() -> None:
    line = describe_stack(_config("asyncio", "h11"), "0.1")
    assert line == "uvicorn 0.1, asyncio, h11 (pure Python)"


@pytest.mark.parametrize(("loop", "http"), [("uvloop", "httptools"), ("uvloop", "h11"),
                                            ("asyncio", "httptools")])  # fmt: skip
def test_each_fast_part_is_named_and_the_mix_is_not_called_pure(loop: str, http: str) -> None:
    for module in {loop, http} - {"asyncio", "h11"}:
        pytest.importorskip(module)
    assert stack_parts(_config(loop, http)) == (loop, http)
    assert describe_stack(_config(loop, http), "0.1") == f"uvicorn 0.1, {loop}, {http}"


def test_auto_takes_uvloop_and_httptools_when_they_are_installed() -> None:
    loop = "uvloop" if _installed("uvloop") else "asyncio"
    parser = "httptools" if _installed("httptools") else "h11"
    assert stack_parts(_config("auto", "auto")) == (loop, parser)


def _installed(module: str) -> bool:
    try:
        __import__(module)
    except ImportError:
        return False
    return True
