"""Shared helpers of the reliability suite: a mock in process, clear-error checks, secret scans.

Requests go through the mock's streaming in-process transport (``AsyncStreamingTransport``), so
request bodies stream to the app and a client can vanish mid-response, as over a socket.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

import httpx

from mockserver import AsyncStreamingTransport, MockServer
from mockserver._config import MockConfig
from nemokit import contract
from nemokit._clock import VirtualClock

BASE = "http://mock.test"
ATTRIBUTION = {
    contract.HEADER_SKILL_SOURCE: contract.DEFAULT_SKILL_SOURCE,
    contract.HEADER_SKILL_VERSION: "1.0.0",
    contract.HEADER_SKILL_PLATFORM: "unknown",
}
#: Any token-looking text: the API token and claim token prefixes.
SECRET = re.compile(
    f"{re.escape(contract.TOKEN_PREFIX)}|{re.escape(contract.CLAIM_TOKEN_PREFIX)}[A-Za-z0-9_-]"
)
#: True when the deep budgets run (``NEMOKIT_DEEP=1``); CI runs the small ones.
DEEP = os.environ.get("NEMOKIT_DEEP") == "1"
#: Real seconds any single in-process exchange may take before the test calls it a hang.
HANG = 10.0

T = TypeVar("T")


def budget(ci: int, deep: int) -> int:
    """``deep`` under ``NEMOKIT_DEEP=1``, else ``ci``."""
    return deep if DEEP else ci


def run(main: Callable[[], Awaitable[T]], *, limit: float = 60.0) -> T:
    """Run ``main()`` on a new event loop, failing (not hanging) after ``limit`` real seconds."""

    async def bounded() -> T:
        return await asyncio.wait_for(main(), limit)

    return asyncio.run(bounded())


def secrets_in(text: str) -> list[str]:
    """Every token-looking substring of ``text`` (with a little context)."""
    return [text[max(0, m.start() - 20) : m.end() + 20] for m in SECRET.finditer(text)]


class Mock:
    """One mock server on a virtual clock and an async client to it (use inside a loop)."""

    def __init__(self, **config: Any) -> None:
        self.clock = VirtualClock()
        self.server = MockServer(MockConfig().replace(**config), self.clock)
        self.transport = AsyncStreamingTransport(self.server.app)
        self.http = httpx.AsyncClient(transport=self.transport, base_url=BASE, timeout=HANG)

    async def aclose(self) -> None:
        await self.http.aclose()
        await self.transport.aclose()

    async def request(
        self, method: str, path: str, *, token: str | None = None, **kwargs: Any
    ) -> httpx.Response:
        headers = dict(ATTRIBUTION)
        if token is not None:
            headers[contract.HEADER_AUTHORIZATION] = f"Bearer {token}"
        headers.update(kwargs.pop("headers", None) or {})
        response = await asyncio.wait_for(
            self.http.request(method, path, headers=headers, **kwargs), HANG
        )
        await asyncio.wait_for(response.aread(), HANG)
        return response

    async def token(self, client_id: str = "client-1") -> str:
        response = await self.request(
            "POST", contract.PATH_ANONYMOUS_TOKEN, headers={contract.HEADER_CLIENT_ID: client_id}
        )
        token: str = response.json()["data"]["token"]
        return token

    async def session(self, token: str) -> str:
        response = await self.request(
            "POST", contract.PATH_SESSION, token=token, json={"task_name": "project"}
        )
        sid: str = response.json()["data"]["session_id"]
        return sid

    async def user(self, client_id: str = "client-1") -> tuple[str, str]:
        token = await self.token(client_id)
        return token, await self.session(token)

    async def credits(self, token: str) -> dict[str, int]:
        response = await self.request("GET", contract.PATH_CREDITS, token=token)
        data: dict[str, int] = response.json()["data"]
        return data


def sse_body(session_id: str, text: str) -> dict[str, Any]:
    return {
        "app_name": contract.APP_NAME,
        "user_id": "me",
        "session_id": session_id,
        "new_message": {"parts": [{"text": text}]},
    }


def render_body(session_id: str, render_id: str = "render_1") -> dict[str, Any]:
    draft = {"t": [{"tt": 0, "sg": [{"id": "sg_1", "start": 0, "duration": 1000}]}], "d": 1000}
    return {"id": render_id, "sessionId": session_id, "draft": draft}


def assert_clear_error(response: httpx.Response, *, allow: tuple[int, ...] = ()) -> str:
    """A refusal a person can act on: no 5xx, a JSON envelope with a message, no traceback.

    Returns the message. ``allow`` lists contract codes that count as a clear answer too (the
    business codes arrive as HTTP 200 by default).
    """
    assert response.status_code < 500, (response.status_code, response.text[:300])
    assert "Traceback" not in response.text
    assert response.headers["content-type"].startswith("application/json"), response.headers
    body = response.json()
    assert isinstance(body, dict), body
    if "success" in body:  # the render endpoints' envelope
        assert body["success"] is False, body
        message = body["error"]
    else:
        assert body["code"] != 0, body
        assert body["data"] is None, body
        message = body["message"]
        assert response.status_code != 200 or body["code"] in (*contract.CODE_HTTP_STATUS, *allow)
    assert isinstance(message, str), body
    assert message.strip(), body
    assert len(response.content) < 64 * 1024, "an error echoes far too much of the request"
    return message


async def chunks(total: int, size: int, counter: list[int]) -> AsyncIterator[bytes]:
    """``total`` bytes of zeros in ``size`` chunks (one reused object), counting what went out."""
    block = bytes(size)
    while counter[0] < total:
        piece = block if total - counter[0] >= size else bytes(total - counter[0])
        counter[0] += len(piece)
        yield piece


def dumps(value: Any) -> bytes:
    return json.dumps(value).encode()
