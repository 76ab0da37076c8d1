"""A small synchronous driver for the mock in process (httpx.ASGITransport, one loop per call)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx

from mockserver import MockServer
from mockserver._config import MockConfig
from nemokit import contract
from nemokit._clock import VirtualClock

BASE = "http://mock.test"
ATTRIBUTION = {
    contract.HEADER_SKILL_SOURCE: contract.DEFAULT_SKILL_SOURCE,
    contract.HEADER_SKILL_VERSION: "1.0.0",
    contract.HEADER_SKILL_PLATFORM: "unknown",
}


def sse_body(session_id: str, text: str, **extra: Any) -> dict[str, Any]:
    return {
        "app_name": contract.APP_NAME,
        "user_id": "me",
        "session_id": session_id,
        "new_message": {"parts": [{"text": text}]},
        **extra,
    }


class Api:
    """Requests against one :class:`MockServer`, with helpers for the usual first steps."""

    def __init__(self, server: MockServer | None = None, **config: Any) -> None:
        self.clock = VirtualClock()
        self.server = server or MockServer(MockConfig().replace(**config), self.clock)

    def request(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        stream: Callable[[], AsyncIterator[bytes]] | None = None,
        client: tuple[str, int] = ("127.0.0.1", 123),
        **kwargs: Any,
    ) -> httpx.Response:
        headers = dict(ATTRIBUTION)
        if token is not None:
            headers[contract.HEADER_AUTHORIZATION] = f"Bearer {token}"
        headers.update(kwargs.pop("headers", {}) or {})
        if stream is not None:
            kwargs["content"] = stream()

        async def go() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.server.app, client=client)
            async with httpx.AsyncClient(transport=transport, base_url=BASE) as http:
                response = await http.request(method, path, headers=headers, **kwargs)
                await response.aread()
                return response

        return asyncio.run(go())

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", path, **kwargs)

    def token(self, client_id: str = "client-1", **kwargs: Any) -> tuple[str, str]:
        response = self.post(
            contract.PATH_ANONYMOUS_TOKEN,
            headers={contract.HEADER_CLIENT_ID: client_id, **kwargs.pop("headers", {})},
            **kwargs,
        )
        data = response.json()["data"]
        return data["token"], data["user_id"]

    def session(self, token: str) -> str:
        response = self.post(contract.PATH_SESSION, token=token, json={"task_name": "project"})
        sid: str = response.json()["data"]["session_id"]
        return sid

    def user(self, client_id: str = "client-1") -> tuple[str, str]:
        """A token and a session of a new user."""
        token, _ = self.token(client_id)
        return token, self.session(token)

    def credits(self, token: str) -> dict[str, int]:
        data: dict[str, int] = self.get(contract.PATH_CREDITS, token=token).json()["data"]
        return data

    def state(self, token: str, sid: str) -> httpx.Response:
        return self.get(contract.PATH_STATE.format(sid=sid), token=token)

    def turn(self, token: str, sid: str, text: str, **extra: Any) -> httpx.Response:
        return self.post(contract.PATH_RUN_SSE, token=token, json=sse_body(sid, text, **extra))

    def upload(self, token: str, sid: str, *files: tuple[str, bytes]) -> httpx.Response:
        parts = [("files", (name, data, "application/octet-stream")) for name, data in files]
        return self.post(contract.PATH_UPLOAD.format(sid=sid), token=token, files=parts)
