"""The proxy in process: a client → the proxy app → the mock app, all on one event loop and one
virtual clock (no sockets), for tests that need exact virtual times or many quick recordings."""

from __future__ import annotations

import contextlib
import pathlib
from collections.abc import AsyncIterator
from typing import Any

import httpx

from conformance.proxy import ProxyApp
from mockserver._app import MockServer
from mockserver._transport import AsyncStreamingTransport
from nemokit import contract
from nemokit._clock import VirtualClock


@contextlib.asynccontextmanager
async def proxied(
    mock: MockServer, clock: VirtualClock, path: pathlib.Path
) -> AsyncIterator[httpx.AsyncClient]:
    """A client through a recording proxy (mode ``all``) in front of ``mock``; saved on exit."""
    upstream = AsyncStreamingTransport(mock.app)
    app = ProxyApp("http://mock.test", cassette=path, mode="all", clock=clock, upstream=upstream)
    transport = AsyncStreamingTransport(app)
    async with httpx.AsyncClient(transport=transport, base_url="http://proxy.test") as client:
        yield client
    await app.aclose()
    app.save()


async def session(client: httpx.AsyncClient, client_id: str) -> tuple[dict[str, str], str]:
    """A token and a session: the bearer header and the session id."""
    answer = await client.post(contract.PATH_ANONYMOUS_TOKEN, headers={"x-client-id": client_id})
    auth = {"authorization": f"Bearer {answer.json()['data']['token']}"}
    made = await client.post(contract.PATH_SESSION, json={"task_name": "project"}, headers=auth)
    return auth, made.json()["data"]["session_id"]


def turn_body(sid: str, text: str) -> dict[str, Any]:
    return {"app_name": "nemo_agent", "user_id": "me", "session_id": sid,
            "new_message": {"parts": [{"text": text}]}}  # fmt: skip
