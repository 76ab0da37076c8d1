"""The proxy in process: a client → the proxy app → the mock app, all on one event loop and one
virtual clock (no sockets), for tests that need exact virtual times or many quick recordings."""

from __future__ import annotations

import asyncio
import contextlib
import pathlib
from collections.abc import AsyncIterator
from typing import Any

import httpx

from conformance.proxy import ProxyApp
from mockserver import AsyncStreamingTransport, MockServer
from mockserver._config import MockConfig
from nemokit import contract
from nemokit._clock import VirtualClock

UNKNOWN_SID = "1234567890123456789"


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


def record(path: pathlib.Path, **variant: Any) -> pathlib.Path:
    """A token, a session, a turn and a refused state read, through the proxy, in process."""
    clock = VirtualClock()
    config = MockConfig().replace(**{"seed": 1, "noise_rate": 0.0, "silent_rate": 0.0, **variant})
    mock = MockServer(config, clock)

    async def flow() -> None:
        async with proxied(mock, clock, path) as client:
            auth, sid = await session(client, "d")
            await client.post(contract.PATH_RUN_SSE, json=turn_body(sid, "hello"), headers=auth)
            await client.get(contract.PATH_STATE.format(sid=UNKNOWN_SID), headers=auth)

    asyncio.run(flow())
    return path
